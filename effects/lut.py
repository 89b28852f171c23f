"""lut: colour grading through a 3D LUT from a .cube file."""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from clipkit.effects import Effect, Param
from clipkit.effects.kernels import (
    B_U, G_U, G_V, R_V, R_Y, U_B, U_G, U_R, V_B, V_G, V_R, Y_B, Y_G, Y_R,
    ref_apply_rgb_delta, ref_rgb_float, u8,
)
from clipkit.effects.lut import load_cube, ref_lookup, resolve_lut
from clipkit.errors import ParameterError
from clipkit.frame import Frame


@njit(nogil=True, cache=True)
def _sample(t: np.ndarray, n: int, r: float, g: float, b: float, lo: np.ndarray, scale: np.ndarray, tetra: bool) -> tuple[float, float, float]:
    """Look up one colour (0..255) in table ``t`` (N, N, N, 3); returns 0..255."""
    x = min(max((r * (1.0 / 255.0) - lo[0]) * scale[0], 0.0), 1.0) * (n - 1)
    y = min(max((g * (1.0 / 255.0) - lo[1]) * scale[1], 0.0), 1.0) * (n - 1)
    z = min(max((b * (1.0 / 255.0) - lo[2]) * scale[2], 0.0), 1.0) * (n - 1)
    i = min(int(x), n - 2)
    j = min(int(y), n - 2)
    k = min(int(z), n - 2)
    fr = x - i
    fg = y - j
    fb = z - k
    out0 = 0.0
    out1 = 0.0
    out2 = 0.0
    if tetra:
        # pick the tetrahedron of the cube that holds the point; 4 corners
        if fr > fg:
            if fg > fb:
                w0, w1, w2, w3 = 1.0 - fr, fr - fg, fg - fb, fb
                a0, a1, a2 = 1, 0, 0
                b0, b1, b2 = 1, 1, 0
            elif fr > fb:
                w0, w1, w2, w3 = 1.0 - fr, fr - fb, fb - fg, fg
                a0, a1, a2 = 1, 0, 0
                b0, b1, b2 = 1, 0, 1
            else:
                w0, w1, w2, w3 = 1.0 - fb, fb - fr, fr - fg, fg
                a0, a1, a2 = 0, 0, 1
                b0, b1, b2 = 1, 0, 1
        else:
            if fb > fg:
                w0, w1, w2, w3 = 1.0 - fb, fb - fg, fg - fr, fr
                a0, a1, a2 = 0, 0, 1
                b0, b1, b2 = 0, 1, 1
            elif fb > fr:
                w0, w1, w2, w3 = 1.0 - fg, fg - fb, fb - fr, fr
                a0, a1, a2 = 0, 1, 0
                b0, b1, b2 = 0, 1, 1
            else:
                w0, w1, w2, w3 = 1.0 - fg, fg - fr, fr - fb, fb
                a0, a1, a2 = 0, 1, 0
                b0, b1, b2 = 1, 1, 0
        for ch in range(3):
            v = (w0 * t[i, j, k, ch] + w1 * t[i + a0, j + a1, k + a2, ch]
                 + w2 * t[i + b0, j + b1, k + b2, ch] + w3 * t[i + 1, j + 1, k + 1, ch])
            if ch == 0:
                out0 = v
            elif ch == 1:
                out1 = v
            else:
                out2 = v
    else:
        for ch in range(3):
            c00 = t[i, j, k, ch] * (1.0 - fr) + t[i + 1, j, k, ch] * fr
            c01 = t[i, j, k + 1, ch] * (1.0 - fr) + t[i + 1, j, k + 1, ch] * fr
            c10 = t[i, j + 1, k, ch] * (1.0 - fr) + t[i + 1, j + 1, k, ch] * fr
            c11 = t[i, j + 1, k + 1, ch] * (1.0 - fr) + t[i + 1, j + 1, k + 1, ch] * fr
            c0 = c00 * (1.0 - fg) + c10 * fg
            c1 = c01 * (1.0 - fg) + c11 * fg
            v = c0 * (1.0 - fb) + c1 * fb
            if ch == 0:
                out0 = v
            elif ch == 1:
                out1 = v
            else:
                out2 = v
    return out0 * 255.0, out1 * 255.0, out2 * 255.0


@njit(nogil=True, cache=True)
def _kernel(y: np.ndarray, u: np.ndarray, v: np.ndarray, t: np.ndarray, lo: np.ndarray, scale: np.ndarray,
            tetra: bool, strength: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = t.shape[0]
    h2, w2 = u.shape
    oy = np.empty(y.shape, np.uint8)
    ou = np.empty((h2, w2), np.uint8)
    ov = np.empty((h2, w2), np.uint8)
    keep = 1.0 - strength
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
                    r = min(max(yy + dr, 0.0), 255.0)
                    g = min(max(yy + dg, 0.0), 255.0)
                    b = min(max(yy + db, 0.0), 255.0)
                    lr, lg, lb = _sample(t, n, r, g, b, lo, scale, tetra)
                    # the change in RGB is added to the planes, so strength 0 is bit-exact
                    er = min(max(r * keep + lr * strength, 0.0), 255.0) - r
                    eg = min(max(g * keep + lg * strength, 0.0), 255.0) - g
                    eb = min(max(b * keep + lb * strength, 0.0), 255.0) - b
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


class Lut(Effect):
    """Grade colours through a 3D LUT read from a ``.cube`` file (sizes 2 to 256; 17, 33 and 65 are usual).

    ``file`` is a path (relative to the look or template that names it) or the name of
    a bundled LUT (``clipkit effects show lut`` lists them). The file's
    ``DOMAIN_MIN``/``DOMAIN_MAX`` are honoured; colours outside the domain clamp to its
    edge. The lookup runs straight on the YUV planes, without converting the frame.
    """

    id = "lut"
    title = "3D LUT"
    category = "color"
    params = (
        Param("file", "file", "teal_orange", doc="A .cube file, or the name of a bundled LUT"),
        Param("strength", "float", 1.0, min=0.0, max=1.0, doc="Blend with the original; 0 leaves the picture as is", neutral=0.0),
        Param("interpolation", "choice", "tetrahedral", choices=("tetrahedral", "trilinear"), doc="Blend of grid points: tetrahedral (sharper, the usual choice) or trilinear"),
    )
    example = {"file": "teal_orange", "strength": 0.8}
    tolerance = 1

    def check(self, values: dict[str, Any]) -> None:
        name = values["file"].describe()
        if not isinstance(name, str):
            raise ParameterError("lut.file: must be a constant file name")
        load_cube(resolve_lut(name))  # fail when the effect is built, not mid-render

    def prepare(self, ctx: Any, static: dict[str, Any]) -> Any:
        lut = load_cube(resolve_lut(static["file"]))
        lo = lut.domain_min.astype(np.float64)
        scale = 1.0 / (lut.domain_max - lut.domain_min).astype(np.float64)
        return lut, np.ascontiguousarray(lut.table), lo, scale

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        _, table, lo, scale = state
        y, u, v = _kernel(frame.y, frame.u, frame.v, table, lo, scale, p["interpolation"] == "tetrahedral", p["strength"])
        return Frame(y, u, v, frame.alpha)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        lut = state[0]
        rgb = np.clip(ref_rgb_float(frame.y, frame.u, frame.v), 0.0, 255.0)
        graded = ref_lookup(rgb / 255.0, lut, p["interpolation"]) * 255.0
        s = p["strength"]
        y, u, v = ref_apply_rgb_delta(frame, np.clip(rgb * (1 - s) + graded * s, 0.0, 255.0) - rgb)
        return Frame(y, u, v, frame.alpha)
