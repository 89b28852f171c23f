"""duotone: map brightness onto a gradient between two colours."""

from __future__ import annotations

from typing import Any

import numpy as np
from clipkit.jit import njit

from clipkit.effects import Effect, Param
from clipkit.effects.kernels import u8
from clipkit.frame import Frame, color_yuv


@njit(nogil=True, cache=True, fastmath=True)
def _kernel(y: np.ndarray, u: np.ndarray, v: np.ndarray, lo: tuple, hi: tuple, s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    h, w = y.shape
    h2, w2 = u.shape
    oy = np.empty((h, w), np.uint8)
    ou = np.empty((h2, w2), np.uint8)
    ov = np.empty((h2, w2), np.uint8)
    for r in range(h):
        for j in range(w):
            yy = np.float32(y[r, j])
            t = min(max((yy - 16.0) * (1.0 / 219.0), 0.0), 1.0)
            oy[r, j] = u8(yy + s * (lo[0] + (hi[0] - lo[0]) * t - yy))
    for r in range(h2):
        for c in range(w2):
            acc = np.float32(0.0)
            for dr in range(2):
                for dc in range(2):
                    acc += min(max((np.float32(y[2 * r + dr, 2 * c + dc]) - 16.0) * (1.0 / 219.0), 0.0), 1.0)
            t = acc * 0.25
            ou[r, c] = u8(u[r, c] + s * (lo[1] + (hi[1] - lo[1]) * t - u[r, c]))
            ov[r, c] = u8(v[r, c] + s * (lo[2] + (hi[2] - lo[2]) * t - v[r, c]))
    return oy, ou, ov


class Duotone(Effect):
    """Two-colour print: shadows take one colour, highlights another, with a smooth blend between."""

    id = "duotone"
    title = "Duotone"
    category = "color"
    params = (
        Param("strength", "float", 1.0, min=0.0, max=1.0, doc="Blend with the original; 0 leaves the picture as is", neutral=0.0),
        Param("shadows", "color", "#1b1f5e", doc="Colour of black"),
        Param("highlights", "color", "#ffc46b", doc="Colour of white"),
    )
    example = {"strength": 1.0, "shadows": "#1b1f5e", "highlights": "#ffc46b"}
    before_scaling = True  # a per-pixel colour map: may run on a source's pixels before a fit scales it up

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        y, u, v = _kernel(frame.y, frame.u, frame.v, color_yuv(p["shadows"]), color_yuv(p["highlights"]), p["strength"])
        return Frame(y, u, v, frame.alpha)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        lo, hi, s = np.array(color_yuv(p["shadows"])), np.array(color_yuv(p["highlights"])), p["strength"]
        yy = frame.y.astype(np.float64)
        t = np.clip((yy - 16.0) / 219.0, 0.0, 1.0)
        h2, w2 = frame.u.shape
        tb = t.reshape(h2, 2, w2, 2).mean(axis=(1, 3))
        q = lambda a: np.floor(np.clip(a, 0, 255) + 0.5).astype(np.uint8)  # noqa: E731
        y = yy + s * (lo[0] + (hi[0] - lo[0]) * t - yy)
        u = frame.u + s * (lo[1] + (hi[1] - lo[1]) * tb - frame.u)
        v = frame.v + s * (lo[2] + (hi[2] - lo[2]) * tb - frame.v)
        return Frame(q(y), q(u), q(v), frame.alpha)
