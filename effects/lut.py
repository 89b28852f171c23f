"""lut: colour grading through a 3D LUT from a .cube file."""

from __future__ import annotations

from typing import Any

import numpy as np
from clipkit.jit import njit

from clipkit.effects import Effect, Param
from clipkit.effects.kernels import CUBES, apply_cube, cube_grid_rgb, cube_store, new_cube, ref_apply_rgb_transform, ref_rgb_float
from clipkit.effects.lut import TRANSFERS, load_cube, ref_lookup, resolve_lut, transfer_table
from clipkit.errors import ParameterError
from clipkit.frame import Frame


@njit(nogil=True, cache=True, fastmath=True)
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


@njit(nogil=True, cache=True, fastmath=True)
def _curve(curve: np.ndarray, x: float) -> float:
    """``x`` (0..255) through a transfer table over 0..1 (linear between its steps), back in 0..255."""
    m = curve.shape[0] - 1
    p = min(max(x * (1.0 / 255.0), 0.0), 1.0) * m
    i = min(int(p), m - 1)
    f = p - i
    return (curve[i] * (1.0 - f) + curve[i + 1] * f) * 255.0


@njit(nogil=True, cache=True, fastmath=True)
def _build(cube: np.ndarray, t: np.ndarray, lo: np.ndarray, scale: np.ndarray, tetra: bool, curve: np.ndarray) -> None:
    """Fill a colour cube with the LUT's output for every (chroma pair, luma)."""
    n = t.shape[0]
    convert = curve.shape[0] > 1
    for iu in range(cube.shape[0]):
        for iv in range(cube.shape[1]):
            for yv in range(256):
                r, g, b = cube_grid_rgb(iu, iv, yv)
                if convert:
                    r, g, b = _curve(curve, r), _curve(curve, g), _curve(curve, b)
                lr, lg, lb = _sample(t, n, r, g, b, lo, scale, tetra)
                cube_store(cube, iu, iv, yv, lr, lg, lb)


class Lut(Effect):
    """Grade colours through a 3D LUT read from a ``.cube`` file (sizes 2 to 256; 17, 33 and 65 are usual).

    ``file`` is a path (relative to the look or template that names it) or the name of
    a bundled LUT (``clipkit effects show lut`` lists them). The file's
    ``DOMAIN_MIN``/``DOMAIN_MAX`` are honoured; colours outside the domain clamp to its
    edge.

    ``input`` is the transfer curve the LUT expects (a camera LUT made for S-Log3 or
    LogC footage expects that log curve; most creative LUTs expect ``rec709``);
    ``footage`` is the curve the clip is in (``rec709`` for phone clips). When they
    differ, each colour is re-encoded from one to the other (through scene-linear
    light) before the lookup, so a log LUT on ordinary footage comes out as meant
    instead of crushed and over-contrasty. Only the curve is converted, not the gamut.

    The LUT is baked once per process into a colour cube indexed by the frame's own
    YUV values (every luma level, chroma in steps of 2), so a frame costs one table read
    per pixel and is never converted to RGB.
    """

    id = "lut"
    title = "3D LUT"
    category = "color"
    params = (
        Param("file", "file", "teal_orange", doc="A .cube file, or the name of a bundled LUT"),
        Param("strength", "float", 1.0, min=0.0, max=1.0, doc="Blend with the original; 0 leaves the picture as is", neutral=0.0),
        Param("interpolation", "choice", "tetrahedral", choices=("tetrahedral", "trilinear"), doc="Blend of grid points: tetrahedral (sharper, the usual choice) or trilinear"),
        Param("input", "choice", "rec709", choices=TRANSFERS, doc="Transfer curve the LUT expects: rec709, or the camera log curve a log LUT was made for"),
        Param("footage", "choice", "rec709", choices=TRANSFERS, doc="Transfer curve the clip is in: rec709 for phone clips, or the log curve it was shot in"),
    )
    example = {"file": "teal_orange", "strength": 0.8}
    tolerance = 3  # the cube looks chroma up in steps of 2 and stores 8-bit results

    def check(self, values: dict[str, Any]) -> None:
        name = values["file"].describe()
        if not isinstance(name, str):
            raise ParameterError("lut.file: must be a constant file name")
        load_cube(resolve_lut(name))  # fail when the effect is built, not mid-render

    def prepare(self, ctx: Any, static: dict[str, Any]) -> Any:
        path = resolve_lut(static["file"])
        lut = load_cube(path)
        tetra = static["interpolation"] == "tetrahedral"
        st = path.stat()
        curves = (static["footage"], static["input"])
        curve = transfer_table(*curves) if curves[0] != curves[1] else np.zeros(1)

        def build() -> np.ndarray:
            cube = new_cube()
            lo = lut.domain_min.astype(np.float64)
            scale = 1.0 / (lut.domain_max - lut.domain_min).astype(np.float64)
            _build(cube, np.ascontiguousarray(lut.table), lo, scale, tetra, curve)
            return cube

        cube = CUBES.get(("lut", str(path.resolve()), st.st_mtime, st.st_size, tetra, curves), build)
        return lut, cube, curve

    def colour_cube(self, p: dict[str, Any], state: Any) -> tuple[np.ndarray, float]:
        return state[1], p["strength"]

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        y, u, v = apply_cube(frame.y, frame.u, frame.v, state[1], p["strength"])
        return Frame(y, u, v, frame.alpha)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        lut = state[0]
        rgb = np.clip(ref_rgb_float(frame.y, frame.u, frame.v), 0.0, 255.0)
        curve = state[2]
        if curve.size > 1:
            rgb = np.interp(rgb / 255.0, np.linspace(0.0, 1.0, curve.size), curve) * 255.0
        graded = ref_lookup(rgb / 255.0, lut, p["interpolation"]) * 255.0
        y, u, v = ref_apply_rgb_transform(frame, graded, p["strength"])
        return Frame(y, u, v, frame.alpha)
