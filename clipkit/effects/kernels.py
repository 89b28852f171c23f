"""Building blocks shared by effect kernels: numba versions and their numpy references.

Every ``@njit`` here is ``nogil`` (decode and encode run beside it), cached on disk,
``fastmath`` (lets LLVM vectorize the per-pixel loops; inputs are finite 8-bit values)
and single-threaded: on a 2-core machine x264 owns the cores (see DESIGN.md), so
kernels win by being a thin slice, not by spreading out. Each has a plain-numpy twin
(``ref_*``) that follows the same arithmetic, so the conformance suite can compare an
effect's kernel with its reference within a grey level.

Colour is BT.709 limited range, as in :mod:`clipkit.frame`. Conversions between the
YUV 4:2:0 planes and RGB use the chroma of each 2x2 block for its four pixels and
average the block back, so an RGB round trip is nearly lossless (a bilinear
upsample/area downsample pair would soften chroma at every conversion).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from clipkit.jit import njit
from clipkit.cube import (  # noqa: F401 - the cube primitives, used here and by effects through this module
    _CUBE_BAND_PIXELS,
    _HALF_UP,
    CUBE_CHROMA,
    CUBE_SHAPE,
    CUBES,
    CubeCache,
    apply_cube,
    fold_luma_tables,
    new_cube,
    row_bands,
)

__all__ = [
    "blend_toward",
    "ref_blend_toward",
    "KR",
    "KB",
    "yuv420_to_rgb",
    "rgb_to_yuv420",
    "ref_yuv420_to_rgb",
    "ref_rgb_to_yuv420",
    "ref_rgb_float",
    "ref_rgb_float_to_yuv420",
    "ref_apply_rgb_delta",
    "box_blur",
    "ref_box_blur",
    "box_passes",
    "box_mean_f32",
    "ref_box_mean",
    "warp_plane",
    "ref_warp_plane",
    "plane_affine",
    "warp_frame",
    "gaussian_taps",
    "gaussian_f32",
    "gaussian_blur",
    "row_bands",
    "ref_gaussian",
    "new_cube",
    "apply_cube",
    "fold_luma_tables",
    "cube_grid_rgb",
    "cube_store",
    "CUBES",
    "ref_apply_rgb_transform",
    "u8",
    "u8_table",
    "lookup",
    "wrapped_pieces",
    "field_offset",
    "ref_wrapped",
    "shift_rows",
    "ref_shift_rows",
]

KR, KB = 0.2126, 0.0722
KG = 1.0 - KR - KB
_YS = 219.0 / 255.0
_CS = 224.0 / 255.0
# RGB (0..255) -> Y/U/V
Y_R, Y_G, Y_B = KR * _YS, KG * _YS, KB * _YS
U_R, U_G, U_B = -KR / (2 * (1 - KB)) * _CS, -KG / (2 * (1 - KB)) * _CS, 0.5 * _CS
V_R, V_G, V_B = 0.5 * _CS, -KG / (2 * (1 - KR)) * _CS, -KB / (2 * (1 - KR)) * _CS
# Y/U/V -> RGB (0..255), on Y-16 and U/V-128
R_Y = 1.0 / _YS
R_V = 2 * (1 - KR) / _CS
G_U = -2 * (1 - KB) * KB / KG / _CS
G_V = -2 * (1 - KR) * KR / KG / _CS
B_U = 2 * (1 - KB) / _CS


@njit(nogil=True, cache=True, fastmath=True)
def u8(x: float) -> np.uint8:
    """Round and clip a float to a uint8.

    Branch-free float32 (min/max then a truncating cast), so loops around it vectorize:
    the branching float64 form made per-pixel kernels 4-8x slower.
    """
    f = np.float32(x) + np.float32(0.5)
    return np.uint8(np.int32(min(max(f, np.float32(0.0)), np.float32(255.0))))


def _u8_ref(x: np.ndarray) -> np.ndarray:
    return np.floor(np.clip(x, 0.0, 255.0) + 0.5).clip(0, 255).astype(np.uint8)


# -- colour conversion ----------------------------------------------------------------------
def u8_table(values: np.ndarray) -> np.ndarray:
    """A 256-entry uint8 table from float values, rounded and clipped as :func:`u8` does
    (numpy: building a table needs no kernel, so a table-only effect never loads numba)."""
    f = np.asarray(values, dtype=np.float32) + np.float32(0.5)
    return np.clip(f, np.float32(0.0), np.float32(255.0)).astype(np.int32).astype(np.uint8)


def lookup(plane: np.ndarray, table: np.ndarray) -> np.ndarray:
    """A new uint8 plane with every value mapped through a 256-entry uint8 table
    (OpenCV's LUT: about 0.3 ms for a 1080x1920 plane, strided views accepted)."""
    import cv2

    return cv2.LUT(plane, table)


@njit(nogil=True, cache=True, fastmath=True)
def yuv420_to_rgb(y: np.ndarray, u: np.ndarray, v: np.ndarray, out: np.ndarray) -> None:
    """Fill ``out`` (H, W, 3) uint8 with the RGB of the planes (chroma per 2x2 block).

    The chroma terms of a chroma row are expanded to full width once; the two luma
    rows then run contiguous float32 loops.
    """
    h2, w2 = u.shape
    w = 2 * w2
    f32 = np.float32
    dr = np.empty(w, f32)
    dg = np.empty(w, f32)
    db = np.empty(w, f32)
    rv, gu, gv, bu, ry = f32(R_V), f32(G_U), f32(G_V), f32(B_U), f32(R_Y)
    for i in range(h2):
        for j in range(w2):
            cb = f32(u[i, j]) - f32(128.0)
            cr = f32(v[i, j]) - f32(128.0)
            x = rv * cr
            dr[2 * j] = x
            dr[2 * j + 1] = x
            x = gu * cb + gv * cr
            dg[2 * j] = x
            dg[2 * j + 1] = x
            x = bu * cb
            db[2 * j] = x
            db[2 * j + 1] = x
        for r in range(2 * i, 2 * i + 2):
            yr = y[r]
            o = out[r]
            for j in range(w):
                yy = (f32(yr[j]) - f32(16.0)) * ry
                o[j, 0] = u8(yy + dr[j])
                o[j, 1] = u8(yy + dg[j])
                o[j, 2] = u8(yy + db[j])


@njit(nogil=True, cache=True, fastmath=True)
def rgb_to_yuv420(rgb: np.ndarray, y: np.ndarray, u: np.ndarray, v: np.ndarray) -> None:
    """Fill the planes from an RGB image; U and V from each 2x2 block's mean colour."""
    h2, w2 = u.shape
    w = 2 * w2
    f32 = np.float32
    sr = np.empty(w, f32)
    sg = np.empty(w, f32)
    sb = np.empty(w, f32)
    yr_, yg_, yb_ = f32(Y_R), f32(Y_G), f32(Y_B)
    ur_, ug_, ub_ = f32(U_R), f32(U_G), f32(U_B)
    vr_, vg_, vb_ = f32(V_R), f32(V_G), f32(V_B)
    for i in range(h2):
        for j in range(w):
            sr[j] = 0.0
            sg[j] = 0.0
            sb[j] = 0.0
        for r in range(2 * i, 2 * i + 2):
            src = rgb[r]
            yo = y[r]
            for j in range(w):
                cr = f32(src[j, 0])
                cg = f32(src[j, 1])
                cb = f32(src[j, 2])
                yo[j] = u8(f32(16.0) + yr_ * cr + yg_ * cg + yb_ * cb)
                sr[j] += cr
                sg[j] += cg
                sb[j] += cb
        for j in range(w2):
            mr = (sr[2 * j] + sr[2 * j + 1]) * f32(0.25)
            mg = (sg[2 * j] + sg[2 * j + 1]) * f32(0.25)
            mb = (sb[2 * j] + sb[2 * j + 1]) * f32(0.25)
            u[i, j] = u8(f32(128.0) + ur_ * mr + ug_ * mg + ub_ * mb)
            v[i, j] = u8(f32(128.0) + vr_ * mr + vg_ * mg + vb_ * mb)


def ref_rgb_float(y: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Float RGB (H, W, 3), unclipped, chroma repeated over each 2x2 block."""
    cb = np.repeat(np.repeat(u.astype(np.float64) - 128.0, 2, 0), 2, 1)
    cr = np.repeat(np.repeat(v.astype(np.float64) - 128.0, 2, 0), 2, 1)
    yy = (y.astype(np.float64) - 16.0) * R_Y
    return np.stack([yy + R_V * cr, yy + G_U * cb + G_V * cr, yy + B_U * cb], axis=-1)


def ref_yuv420_to_rgb(y: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """numpy reference of :func:`yuv420_to_rgb` (returns the image)."""
    return _u8_ref(ref_rgb_float(y, u, v))


def ref_rgb_float_to_yuv420(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Planes from a float RGB image: each pixel clipped to 0..255, Y per pixel, U and V
    from each 2x2 block's mean colour (what the fused kernels compute)."""
    f = np.clip(rgb.astype(np.float64), 0.0, 255.0)
    r, g, b = f[..., 0], f[..., 1], f[..., 2]
    y = _u8_ref(16.0 + Y_R * r + Y_G * g + Y_B * b)
    h, w = r.shape
    m = f.reshape(h // 2, 2, w // 2, 2, 3).mean(axis=(1, 3))
    u = _u8_ref(128.0 + U_R * m[..., 0] + U_G * m[..., 1] + U_B * m[..., 2])
    v = _u8_ref(128.0 + V_R * m[..., 0] + V_G * m[..., 1] + V_B * m[..., 2])
    return y, u, v


def ref_rgb_to_yuv420(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """numpy reference of :func:`rgb_to_yuv420` (returns ``(y, u, v)``)."""
    return ref_rgb_float_to_yuv420(rgb)


# -- blur -------------------------------------------------------------------------------------
def box_passes(sigma: float, passes: int = 3) -> list[int]:
    """Box radii whose ``passes`` successive box blurs approximate a Gaussian of ``sigma``.

    (W. Jarosz, "Fast image convolutions"; the ideal width is rounded to odd sizes
    with some passes one size larger so the variance matches.)
    """
    if sigma <= 0:
        return []
    ideal = math.sqrt(12.0 * sigma * sigma / passes + 1.0)
    wl = int(math.floor(ideal))
    if wl % 2 == 0:
        wl -= 1
    wu = wl + 2
    m = round((12 * sigma * sigma - passes * wl * wl - 4 * passes * wl - 3 * passes) / (-4 * wl - 4))
    sizes = [wl if i < m else wu for i in range(passes)]
    return [max(0, (s - 1) // 2) for s in sizes]


@njit(nogil=True, cache=True, fastmath=True)
def _box_h(src: np.ndarray, dst: np.ndarray, r: int) -> None:
    h, w = src.shape
    n = 2 * r + 1
    mul = np.int64(round(16777216.0 / n))  # (acc * mul + 2^23) >> 24 rounds acc / n, without a division
    for i in range(h):
        acc = np.int64(0)
        for k in range(-r, r + 1):
            acc += src[i, min(max(k, 0), w - 1)]
        for j in range(w):
            dst[i, j] = np.uint8((acc * mul + 8388608) >> 24)
            acc += np.int64(src[i, min(j + r + 1, w - 1)]) - np.int64(src[i, max(j - r, 0)])


@njit(nogil=True, cache=True, fastmath=True)
def _box_v(src: np.ndarray, dst: np.ndarray, r: int, acc: np.ndarray) -> None:
    h, w = src.shape
    n = 2 * r + 1
    mul = np.int64(round(16777216.0 / n))
    for j in range(w):
        acc[j] = 0
    for k in range(-r, r + 1):
        y = min(max(k, 0), h - 1)
        for j in range(w):
            acc[j] += src[y, j]
    for i in range(h):
        add = min(i + r + 1, h - 1)
        sub = max(i - r, 0)
        for j in range(w):  # whole rows at a time: vectorizes
            dst[i, j] = np.uint8((acc[j] * mul + 8388608) >> 24)
            acc[j] += np.int64(src[add, j]) - np.int64(src[sub, j])


@njit(nogil=True, cache=True, fastmath=True)
def _box_blur(src: np.ndarray, radii: np.ndarray) -> np.ndarray:
    a = src.copy()
    b = np.empty_like(src)
    acc = np.empty(src.shape[1], np.int64)
    for r in radii:
        if r <= 0:
            continue
        _box_h(a, b, r)
        _box_v(b, a, r, acc)
    return a


def box_blur(plane: np.ndarray, radii: list[int]) -> np.ndarray:
    """Blur a uint8 plane by successive box blurs of ``radii`` (edges clamped).

    Each pass rounds to uint8 with integer arithmetic (a multiply and shift standing in
    for the division), so :func:`ref_box_blur` gives the same bytes.
    """
    if not radii or max(radii) <= 0:
        return plane.copy()
    return _box_blur(np.ascontiguousarray(plane), np.asarray(radii, np.int64))


def ref_box_blur(plane: np.ndarray, radii: list[int]) -> np.ndarray:
    """numpy reference of :func:`box_blur` (cumulative sums over clamped padding)."""
    a = plane.astype(np.int64)
    for r in radii:
        if r <= 0:
            continue
        n = 2 * r + 1
        for axis in (1, 0):
            pad = [(0, 0), (0, 0)]
            pad[axis] = (r, r)
            p = np.pad(a, pad, mode="edge")
            c = np.cumsum(p, axis=axis)
            c = np.concatenate([np.zeros_like(np.take(c, [0], axis=axis)), c], axis=axis)
            length = a.shape[axis]
            s = np.take(c, np.arange(n, n + length), axis=axis) - np.take(c, np.arange(0, length), axis=axis)
            a = (s * int(round(16777216.0 / n)) + 8388608) >> 24  # the kernel's rounding
    return a.astype(np.uint8)


@njit(nogil=True, cache=True, fastmath=True)
def box_mean_f32(src: np.ndarray, r: int) -> np.ndarray:
    """Mean over a (2r+1)^2 window with clamped edges, float32 in and out."""
    h, w = src.shape
    n = 2 * r + 1
    tmp = np.empty((h, w), np.float32)
    out = np.empty((h, w), np.float32)
    for i in range(h):
        acc = 0.0
        for k in range(-r, r + 1):
            acc += src[i, min(max(k, 0), w - 1)]
        for j in range(w):
            tmp[i, j] = acc / n
            acc += src[i, min(j + r + 1, w - 1)] - src[i, max(j - r, 0)]
    col = np.zeros(w, np.float64)
    for k in range(-r, r + 1):
        y = min(max(k, 0), h - 1)
        for j in range(w):
            col[j] += tmp[y, j]
    for i in range(h):
        add = min(i + r + 1, h - 1)
        sub = max(i - r, 0)
        for j in range(w):
            out[i, j] = col[j] / n
            col[j] += tmp[add, j] - tmp[sub, j]
    return out


def ref_box_mean(src: np.ndarray, r: int) -> np.ndarray:
    """numpy reference of :func:`box_mean_f32`."""
    a = src.astype(np.float64)
    n = 2 * r + 1
    for axis in (1, 0):
        pad = [(0, 0), (0, 0)]
        pad[axis] = (r, r)
        p = np.pad(a, pad, mode="edge")
        c = np.cumsum(p, axis=axis)
        c = np.concatenate([np.zeros_like(np.take(c, [0], axis=axis)), c], axis=axis)
        length = a.shape[axis]
        a = (np.take(c, np.arange(n, n + length), axis=axis) - np.take(c, np.arange(0, length), axis=axis)) / n
    return a


# -- geometry ---------------------------------------------------------------------------------
def plane_affine(matrix: np.ndarray, plane_scale: float) -> tuple[float, float, float, float, float, float]:
    """Coefficients mapping a plane's pixel indices to source pixel indices.

    ``matrix`` (2x3) maps output positions to source positions in luma pixel units,
    with pixel centres at ``i + 0.5``; ``plane_scale`` is 1 for luma, 0.5 for chroma.
    Returned as ``(a, b, c, d, e, f)``: ``sx = a*j + b*i + c``, ``sy = d*j + e*i + f``.
    """
    a = matrix[:, :2]
    t = matrix[:, 2]
    s = plane_scale
    # src_idx = s * (A @ ((idx + 0.5) / s) + t) - 0.5
    off = a @ np.array([0.5, 0.5]) + s * t - 0.5
    return (float(a[0, 0]), float(a[0, 1]), float(off[0]), float(a[1, 0]), float(a[1, 1]), float(off[1]))


@njit(nogil=True, cache=True, fastmath=True)
def warp_plane(src: np.ndarray, coeffs: tuple, fill: int, clamp: bool) -> np.ndarray:
    """Bilinear affine resampling of a uint8 plane (see :func:`plane_affine`).

    Outside the source, ``fill`` is used, or the nearest edge pixel when ``clamp``.
    Each row runs in three contiguous passes (coordinates, the four gathers, the
    blend), which vectorize; a zoom without rotation takes a cheaper separable path.
    """
    a, b, c, d, e, f = coeffs
    h, w = src.shape
    out = np.empty((h, w), np.uint8)
    if b == 0.0 and d == 0.0:
        _warp_axis_aligned(src, out, a, c, e, f, fill, clamp)
        return out
    flat = src.reshape(-1)
    f32 = np.float32
    idx = np.empty(w, np.int64)
    step_x = np.empty(w, np.int64)
    step_y = np.empty(w, np.int64)
    wx = np.empty(w, f32)
    wy = np.empty(w, f32)
    inside = np.empty(w, f32)
    p00 = np.empty(w, f32)
    p01 = np.empty(w, f32)
    p10 = np.empty(w, f32)
    p11 = np.empty(w, f32)
    fillf = f32(fill)
    for i in range(h):
        bx = b * i + c
        by = e * i + f
        for j in range(w):
            sx = a * j + bx
            sy = d * j + by
            ok = clamp or (sx >= -0.5 and sy >= -0.5 and sx <= w - 0.5 and sy <= h - 0.5)
            sx = min(max(sx, 0.0), w - 1.0)
            sy = min(max(sy, 0.0), h - 1.0)
            x0 = int(sx)
            y0 = int(sy)
            wx[j] = sx - x0
            wy[j] = sy - y0
            idx[j] = y0 * w + x0
            step_x[j] = min(x0 + 1, w - 1) - x0
            step_y[j] = (min(y0 + 1, h - 1) - y0) * w
            inside[j] = f32(1.0) if ok else f32(0.0)
        for j in range(w):
            k = idx[j]
            p00[j] = flat[k]
            p01[j] = flat[k + step_x[j]]
            p10[j] = flat[k + step_y[j]]
            p11[j] = flat[k + step_x[j] + step_y[j]]
        o = out[i]
        for j in range(w):
            top = p00[j] + wx[j] * (p01[j] - p00[j])
            bot = p10[j] + wx[j] * (p11[j] - p10[j])
            val = top + wy[j] * (bot - top)
            o[j] = u8(fillf + inside[j] * (val - fillf))
    return out


@njit(nogil=True, cache=True, fastmath=True)
def _warp_axis_aligned(src: np.ndarray, out: np.ndarray, a: float, c: float, e: float, f: float, fill: int, clamp: bool) -> None:
    """Scale and shift without rotation (zoom).

    Per output row: the two source rows are blended vertically into one float32 row
    (contiguous, vectorized, and it stays in L1), then each output pixel reads two
    neighbours of that row with weights computed once per column.
    """
    h, w = src.shape
    f32 = np.float32
    x0 = np.empty(w, np.int64)
    x1 = np.empty(w, np.int64)
    fx = np.empty(w, f32)
    inside = np.empty(w, f32)  # 1 inside the source, 0 outside (fill)
    for j in range(w):
        sx = a * j + c
        ok = clamp or (-0.5 <= sx <= w - 0.5)
        sx = min(max(sx, 0.0), w - 1.0)
        xf = np.floor(sx)
        fx[j] = sx - xf
        x0[j] = int(xf)
        x1[j] = min(int(xf) + 1, w - 1)
        inside[j] = f32(1.0) if ok else f32(0.0)
    row = np.empty(w, f32)
    vals = np.empty(w, f32)
    fillf = f32(fill)
    one = f32(1.0)
    for i in range(h):
        sy = e * i + f
        if not clamp and (sy < -0.5 or sy > h - 0.5):
            for j in range(w):
                out[i, j] = fill
            continue
        sy = min(max(sy, 0.0), h - 1.0)
        yf = np.floor(sy)
        fy = f32(sy - yf)
        r0 = src[int(yf)]
        r1 = src[min(int(yf) + 1, h - 1)]
        for k in range(w):
            row[k] = f32(r0[k]) + fy * (f32(r1[k]) - f32(r0[k]))
        for j in range(w):
            vals[j] = row[x0[j]] + fx[j] * (row[x1[j]] - row[x0[j]])
        o = out[i]
        for j in range(w):
            o[j] = u8(fillf + inside[j] * (vals[j] - fillf))


def ref_warp_plane(src: np.ndarray, coeffs: tuple, fill: int, clamp: bool) -> np.ndarray:
    """numpy reference of :func:`warp_plane`."""
    a, b, c, d, e, f = coeffs
    h, w = src.shape
    ii, jj = np.mgrid[0:h, 0:w].astype(np.float64)
    sx = a * jj + b * ii + c
    sy = d * jj + e * ii + f
    if clamp:
        sx = np.clip(sx, 0, w - 1.0)
        sy = np.clip(sy, 0, h - 1.0)
        outside = np.zeros_like(sx, bool)
    else:
        outside = (sx < -0.5) | (sy < -0.5) | (sx > w - 0.5) | (sy > h - 0.5)
    x0 = np.floor(sx).astype(np.int64)
    y0 = np.floor(sy).astype(np.int64)
    fx, fy = sx - x0, sy - y0
    x0c, x1c = np.clip(x0, 0, w - 1), np.clip(x0 + 1, 0, w - 1)
    y0c, y1c = np.clip(y0, 0, h - 1), np.clip(y0 + 1, 0, h - 1)
    s = src.astype(np.float64)
    top = s[y0c, x0c] * (1 - fx) + s[y0c, x1c] * fx
    bot = s[y1c, x0c] * (1 - fx) + s[y1c, x1c] * fx
    out = _u8_ref(top * (1 - fy) + bot * fy)
    out[outside] = fill
    return out


def warp_frame(frame, matrix: np.ndarray, kernel, *, reference: bool, clamp: bool = False):  # noqa: ANN001 - Frame, avoid import cycle
    """Resample every plane of ``frame`` by ``matrix`` (2x3, output -> source, luma pixels).

    ``kernel(y, u, v, coeffs_luma, coeffs_chroma)`` is the effect's numba kernel
    (returning the three planes); with ``reference`` the numpy warp runs instead.
    Outside the source, luma is black and chroma neutral (or the edge repeats when
    ``clamp``). An alpha plane is warped too, transparent outside.
    """
    from ..frame import Frame

    cy, cc = plane_affine(matrix, 1.0), plane_affine(matrix, 0.5)
    if reference:
        y = ref_warp_plane(frame.y, cy, 16, clamp)
        u = ref_warp_plane(frame.u, cc, 128, clamp)
        v = ref_warp_plane(frame.v, cc, 128, clamp)
    else:
        y, u, v = kernel(frame.y, frame.u, frame.v, cy, cc)
    alpha = None
    if frame.alpha is not None:
        alpha = (ref_warp_plane if reference else warp_plane)(frame.alpha, cy, 0, clamp)
    return Frame(y, u, v, alpha)


def ref_apply_rgb_delta(frame, delta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # noqa: ANN001
    """Planes of ``frame`` changed by an RGB difference image (H, W, 3), in numpy.

    Fused per-pixel RGB effects (curves, LUTs, sepia) work out each pixel's new RGB,
    then add the *change* to the planes: Y per pixel, U and V by each 2x2 block's mean
    change. Where an effect changes nothing the frame comes through bit-exact, even
    colours outside the RGB gamut.
    """
    d = delta.astype(np.float64)
    dy = Y_R * d[..., 0] + Y_G * d[..., 1] + Y_B * d[..., 2]
    h, w = dy.shape
    m = d.reshape(h // 2, 2, w // 2, 2, 3).mean(axis=(1, 3))
    du = U_R * m[..., 0] + U_G * m[..., 1] + U_B * m[..., 2]
    dv = V_R * m[..., 0] + V_G * m[..., 1] + V_B * m[..., 2]
    return _u8_ref(frame.y + dy), _u8_ref(frame.u + du), _u8_ref(frame.v + dv)


# -- colour cubes: any per-pixel colour transform as one table lookup ---------------------------




@njit(nogil=True, cache=True, fastmath=True)
def cube_grid_rgb(iu: int, iv: int, y: int) -> tuple[float, float, float]:
    """The RGB (0..255, clipped) a cube entry stands for: chroma at the middle of its 2-level step."""
    cb = 2.0 * iu + 0.5 - 128.0
    cr = 2.0 * iv + 0.5 - 128.0
    yy = (y - 16.0) * R_Y
    r = min(max(yy + R_V * cr, 0.0), 255.0)
    g = min(max(yy + G_U * cb + G_V * cr, 0.0), 255.0)
    b = min(max(yy + B_U * cb, 0.0), 255.0)
    return r, g, b


@njit(nogil=True, cache=True, fastmath=True)
def cube_store(cube: np.ndarray, iu: int, iv: int, y: int, r: float, g: float, b: float) -> None:
    """Write the YUV of an RGB result (clipped to 0..255) into a cube entry."""
    r = min(max(r, 0.0), 255.0)
    g = min(max(g, 0.0), 255.0)
    b = min(max(b, 0.0), 255.0)
    cube[iu, iv, y, 0] = u8(16.0 + Y_R * r + Y_G * g + Y_B * b)
    cube[iu, iv, y, 1] = u8(128.0 + U_R * r + U_G * g + U_B * b)
    cube[iu, iv, y, 2] = u8(128.0 + V_R * r + V_G * g + V_B * b)












def ref_apply_rgb_transform(frame, transformed: np.ndarray, strength: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # noqa: ANN001
    """numpy reference of a colour-cube effect: ``transformed`` is the exact RGB result
    (H, W, 3) of each pixel's clipped colour; Y per pixel and each block's mean U and V
    are blended with the input by ``strength``."""
    ty, tu, tv = ref_rgb_float_to_yuv420_exact(transformed)
    s = float(strength)
    return _u8_ref(frame.y + s * (ty - frame.y)), _u8_ref(frame.u + s * (tu - frame.u)), _u8_ref(frame.v + s * (tv - frame.v))


def ref_rgb_float_to_yuv420_exact(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unrounded Y per pixel and block-mean U, V of a float RGB image (clipped to 0..255 first)."""
    f = np.clip(rgb.astype(np.float64), 0.0, 255.0)
    r, g, b = f[..., 0], f[..., 1], f[..., 2]
    y = 16.0 + Y_R * r + Y_G * g + Y_B * b
    u = 128.0 + U_R * r + U_G * g + U_B * b
    v = 128.0 + V_R * r + V_G * g + V_B * b
    h, w = y.shape
    return y, u.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3)), v.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))










# -- small Gaussian blurs -------------------------------------------------------------------------
def gaussian_taps(sigma: float) -> np.ndarray:
    """Normalized float32 taps of a Gaussian of ``sigma`` pixels (radius ceil(3 sigma))."""
    radius = max(1, int(np.ceil(3.0 * sigma)))
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    taps = np.exp(-0.5 * (x / max(sigma, 1e-6)) ** 2)
    return (taps / taps.sum()).astype(np.float32)


@njit(nogil=True, cache=True, fastmath=True)
def gaussian_f32(src: np.ndarray, taps: np.ndarray) -> np.ndarray:
    """Separable Gaussian of a uint8 plane, edges clamped; float32 result.

    Vertical pass first (whole rows, contiguous), then horizontal on a padded row:
    every inner loop is contiguous and vectorizes. Meant for small sigmas (a few
    pixels); the cost grows with the number of taps.
    """
    h, w = src.shape
    r = (taps.shape[0] - 1) // 2
    out = np.empty((h, w), np.float32)
    acc = np.empty(w, np.float32)
    row = np.empty(w + 2 * r, np.float32)
    for i in range(h):
        # vertical: into a row of its own (writing at an offset into the padded row
        # kept LLVM from vectorizing: 50 ms instead of 10)
        for j in range(w):
            acc[j] = 0.0
        for k in range(-r, r + 1):
            t = taps[k + r]
            s = src[min(max(i + k, 0), h - 1)]
            for j in range(w):
                acc[j] += t * np.float32(s[j])
        for j in range(w):
            row[r + j] = acc[j]
        for j in range(r):
            row[j] = acc[0]
            row[r + w + j] = acc[w - 1]
        o = out[i]
        for j in range(w):
            o[j] = 0.0
        for k in range(2 * r + 1):
            t = taps[k]
            for j in range(w):
                o[j] += t * row[j + k]
    return out


def gaussian_blur(src: np.ndarray, taps: np.ndarray, *, dtype: type = np.float32) -> np.ndarray:
    """:func:`gaussian_f32` through OpenCV's separable filter (SIMD): the same taps and edges.

    The result matches :func:`gaussian_f32` to float rounding (measured: 6e-5 levels)
    at about half its cost on a 1080x1920 plane (1.9 ms vs 3.5 ms, one thread). Called
    from Python, so kernels take its result as an argument instead of calling it.
    ``dtype`` float32 keeps the fraction (unsharp masks need it); uint8 rounds.
    """
    import cv2

    depth = cv2.CV_32F if dtype == np.float32 else cv2.CV_8U
    return cv2.sepFilter2D(src, depth, taps, taps, borderType=cv2.BORDER_REPLICATE)


def ref_gaussian(src: np.ndarray, taps: np.ndarray) -> np.ndarray:
    """numpy reference of :func:`gaussian_f32` (float64)."""
    r = (len(taps) - 1) // 2
    a = src.astype(np.float64)
    t = taps.astype(np.float64)
    p = np.pad(a, ((r, r), (0, 0)), mode="edge")
    v = sum(t[k] * p[k : k + a.shape[0]] for k in range(2 * r + 1))
    p = np.pad(v, ((0, 0), (r, r)), mode="edge")
    return sum(t[k] * p[:, k : k + a.shape[1]] for k in range(2 * r + 1))


@njit(nogil=True, cache=True, fastmath=True)
def _blend_plane(plane: np.ndarray, target: float, a: float) -> np.ndarray:
    h, w = plane.shape
    out = np.empty((h, w), np.uint8)
    for i in range(h):
        for j in range(w):
            out[i, j] = u8(plane[i, j] + (target - plane[i, j]) * a)
    return out


@njit(nogil=True, cache=True, fastmath=True)
def blend_toward(y: np.ndarray, u: np.ndarray, v: np.ndarray, c: tuple, a: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every plane moved a fraction ``a`` toward the colour ``c`` = (Y, U, V) (fades, flashes)."""
    return _blend_plane(y, c[0], a), _blend_plane(u, c[1], a), _blend_plane(v, c[2], a)


def ref_blend_toward(y: np.ndarray, u: np.ndarray, v: np.ndarray, c: tuple, a: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """numpy reference of :func:`blend_toward`."""
    return tuple(np.floor(np.clip(pl + (t - pl.astype(np.float64)) * a, 0, 255) + 0.5).astype(np.uint8) for pl, t in zip((y, u, v), c))  # type: ignore[return-value]


# -- OpenCV/numpy helpers for effects that load no numba ------------------------------------------
def wrapped_pieces(shape: tuple[int, int], start: tuple[int, int], r0: int, r1: int) -> list[tuple[slice, slice, slice, slice]]:
    """Where rows ``r0:r1`` of a field of ``shape``, read cyclically from ``start`` = (row,
    column), come from: up to four ``(dst rows, dst cols, src rows, src cols)`` slices, the
    destination counted from ``r0``. Seeded noise fields (grain, vhs) are read so at a new
    offset every frame without a copy of the field."""
    h, w = shape
    oy, ox = start[0] % h, start[1] % w
    n = r1 - r0
    f0 = (r0 + oy) % h
    rows = [(0, n, f0)] if f0 + n <= h else [(0, h - f0, f0), (h - f0, n, 0)]
    cols = [(0, w - ox, ox), (w - ox, w, 0)] if ox else [(0, w, 0)]
    return [(slice(a0, a1), slice(c0, c1), slice(fr, fr + a1 - a0), slice(fc, fc + c1 - c0)) for a0, a1, fr in rows for c0, c1, fc in cols]


def field_offset(key: int, shape: tuple[int, int]) -> tuple[int, int]:
    """Where a frame with ``key`` (its seed and index) starts reading a field of ``shape``
    (row, column): an integer hash of the key, so the same render reads the same places."""
    a = np.array([key, key * 7919 + 1], dtype=np.int64)
    a = (a ^ (a >> 16)) * 0x45D9F3B & 0xFFFFFFFF
    a = (a ^ (a >> 16)) * 0x45D9F3B & 0xFFFFFFFF
    a = a ^ (a >> 16)
    return int(a[0]) % shape[0], int(a[1]) % shape[1]


def ref_wrapped(field: np.ndarray, start: tuple[int, int]) -> np.ndarray:
    """numpy reference of reading ``field`` cyclically from ``start`` (see :func:`wrapped_pieces`)."""
    return np.roll(field, (-(start[0] % field.shape[0]), -(start[1] % field.shape[1])), axis=(0, 1))


def shift_rows(src: np.ndarray, shifts: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``out[i, j] = src[i, clamp(j - shifts[i])]``: each row moved sideways, its edge pixel
    repeated, by block copies over runs of rows with the same shift (no numba)."""
    h, w = src.shape
    out = np.empty_like(src) if out is None else out
    change = np.flatnonzero(np.diff(shifts)) + 1
    bounds = np.concatenate(([0], change, [h]))
    for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        s = int(shifts[a])
        if s == 0:
            out[a:b] = src[a:b]
        elif s >= w or s <= -w:
            out[a:b] = src[a:b, :1] if s > 0 else src[a:b, -1:]
        elif s > 0:
            out[a:b, s:] = src[a:b, : w - s]
            out[a:b, :s] = src[a:b, :1]
        else:
            out[a:b, : w + s] = src[a:b, -s:]
            out[a:b, w + s :] = src[a:b, -1:]
    return out


def ref_shift_rows(src: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    """numpy reference of :func:`shift_rows`."""
    h, w = src.shape
    return src[np.arange(h)[:, None], np.clip(np.arange(w)[None, :] - shifts[:, None], 0, w - 1)]
