"""sepia: the warm brown tone of old photographic prints."""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from clipkit.effects import Effect, Param
from clipkit.effects.kernels import (
    B_U, G_U, G_V, R_V, R_Y, U_B, U_G, U_R, V_B, V_G, V_R, Y_B, Y_G, Y_R,
    ref_apply_rgb_delta, ref_rgb_float, u8,
)
from clipkit.frame import Frame

# the classic sepia matrix (rows give R, G, B from R, G, B)
SEPIA = np.array([[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]])


@njit(nogil=True, cache=True)
def _kernel(y: np.ndarray, u: np.ndarray, v: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    h2, w2 = u.shape
    oy = np.empty(y.shape, np.uint8)
    ou = np.empty((h2, w2), np.uint8)
    ov = np.empty((h2, w2), np.uint8)
    for i in range(h2):
        for j in range(w2):
            cb = u[i, j] - 128.0
            cr = v[i, j] - 128.0
            dr = R_V * cr
            dg = G_U * cb + G_V * cr
            db = B_U * cb
            sr = 0.0
            sg = 0.0
            sb = 0.0
            for di in range(2):
                for dj in range(2):
                    yy = (y[2 * i + di, 2 * j + dj] - 16.0) * R_Y
                    r = yy + dr
                    g = yy + dg
                    b = yy + db
                    r = min(max(r, 0.0), 255.0)
                    g = min(max(g, 0.0), 255.0)
                    b = min(max(b, 0.0), 255.0)
                    # the change in RGB is added to the planes, so colours the matrix
                    # leaves alone (and out-of-gamut input) come through bit-exact
                    er = min(max(m[0, 0] * r + m[0, 1] * g + m[0, 2] * b, 0.0), 255.0) - r
                    eg = min(max(m[1, 0] * r + m[1, 1] * g + m[1, 2] * b, 0.0), 255.0) - g
                    eb = min(max(m[2, 0] * r + m[2, 1] * g + m[2, 2] * b, 0.0), 255.0) - b
                    oy[2 * i + di, 2 * j + dj] = u8(y[2 * i + di, 2 * j + dj] + Y_R * er + Y_G * eg + Y_B * eb)
                    sr += er
                    sg += eg
                    sb += eb
            sr *= 0.25
            sg *= 0.25
            sb *= 0.25
            ou[i, j] = u8(u[i, j] + U_R * sr + U_G * sg + U_B * sb)
            ov[i, j] = u8(v[i, j] + V_R * sr + V_G * sg + V_B * sb)
    return oy, ou, ov


def _matrix(strength: float) -> np.ndarray:
    return np.eye(3) * (1.0 - strength) + SEPIA * strength


class Sepia(Effect):
    """Sepia toning: the classic brown-tinted monochrome of old prints, blended by strength."""

    id = "sepia"
    title = "Sepia"
    category = "color"
    params = (Param("strength", "float", 1.0, min=0.0, max=1.0, doc="Blend with the original; 0 leaves the picture as is", neutral=0.0),)
    example = {"strength": 0.8}

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        y, u, v = _kernel(frame.y, frame.u, frame.v, _matrix(p["strength"]))
        return Frame(y, u, v, frame.alpha)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        rgb = np.clip(ref_rgb_float(frame.y, frame.u, frame.v), 0.0, 255.0)
        y, u, v = ref_apply_rgb_delta(frame, np.clip(rgb @ _matrix(p["strength"]).T, 0.0, 255.0) - rgb)
        return Frame(y, u, v, frame.alpha)
