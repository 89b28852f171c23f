"""Building blocks shared by effect kernels: numba versions and their numpy references.

Every ``@njit`` here is ``nogil`` (decode and encode run beside it) and cached on disk,
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

import numpy as np
from numba import njit

__all__ = [
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
    "u8",
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


@njit(nogil=True, cache=True)
def u8(x: float) -> np.uint8:
    """Round and clip a float to a uint8."""
    if x <= 0.0:
        return np.uint8(0)
    if x >= 255.0:
        return np.uint8(255)
    return np.uint8(int(x + 0.5))


def _u8_ref(x: np.ndarray) -> np.ndarray:
    return np.floor(np.clip(x, 0.0, 255.0) + 0.5).clip(0, 255).astype(np.uint8)


# -- colour conversion ----------------------------------------------------------------------
@njit(nogil=True, cache=True)
def yuv420_to_rgb(y: np.ndarray, u: np.ndarray, v: np.ndarray, out: np.ndarray) -> None:
    """Fill ``out`` (H, W, 3) uint8 with the RGB of the planes (chroma per 2x2 block)."""
    h2, w2 = u.shape
    for i in range(h2):
        for j in range(w2):
            cb = np.float32(u[i, j]) - 128.0
            cr = np.float32(v[i, j]) - 128.0
            dr = R_V * cr
            dg = G_U * cb + G_V * cr
            db = B_U * cb
            for di in range(2):
                for dj in range(2):
                    yy = (np.float32(y[2 * i + di, 2 * j + dj]) - 16.0) * R_Y
                    out[2 * i + di, 2 * j + dj, 0] = u8(yy + dr)
                    out[2 * i + di, 2 * j + dj, 1] = u8(yy + dg)
                    out[2 * i + di, 2 * j + dj, 2] = u8(yy + db)


@njit(nogil=True, cache=True)
def rgb_to_yuv420(rgb: np.ndarray, y: np.ndarray, u: np.ndarray, v: np.ndarray) -> None:
    """Fill the planes from an RGB image; U and V from each 2x2 block's mean colour."""
    h2, w2 = u.shape
    for i in range(h2):
        for j in range(w2):
            sr = 0.0
            sg = 0.0
            sb = 0.0
            for di in range(2):
                for dj in range(2):
                    r = np.float32(rgb[2 * i + di, 2 * j + dj, 0])
                    g = np.float32(rgb[2 * i + di, 2 * j + dj, 1])
                    b = np.float32(rgb[2 * i + di, 2 * j + dj, 2])
                    y[2 * i + di, 2 * j + dj] = u8(16.0 + Y_R * r + Y_G * g + Y_B * b)
                    sr += r
                    sg += g
                    sb += b
            sr *= 0.25
            sg *= 0.25
            sb *= 0.25
            u[i, j] = u8(128.0 + U_R * sr + U_G * sg + U_B * sb)
            v[i, j] = u8(128.0 + V_R * sr + V_G * sg + V_B * sb)


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


@njit(nogil=True, cache=True)
def _box_h(src: np.ndarray, dst: np.ndarray, r: int) -> None:
    h, w = src.shape
    n = 2 * r + 1
    half = n // 2
    for i in range(h):
        acc = 0
        for k in range(-r, r + 1):
            x = min(max(k, 0), w - 1)
            acc += np.int32(src[i, x])
        for j in range(w):
            dst[i, j] = np.uint8((acc + half) // n)
            add = min(j + r + 1, w - 1)
            sub = max(j - r, 0)
            acc += np.int32(src[i, add]) - np.int32(src[i, sub])


@njit(nogil=True, cache=True)
def _box_v(src: np.ndarray, dst: np.ndarray, r: int, acc: np.ndarray) -> None:
    h, w = src.shape
    n = 2 * r + 1
    half = n // 2
    for j in range(w):
        acc[j] = 0
    for k in range(-r, r + 1):
        y = min(max(k, 0), h - 1)
        for j in range(w):
            acc[j] += np.int32(src[y, j])
    for i in range(h):
        add = min(i + r + 1, h - 1)
        sub = max(i - r, 0)
        for j in range(w):
            dst[i, j] = np.uint8((acc[j] + half) // n)
            acc[j] += np.int32(src[add, j]) - np.int32(src[sub, j])


@njit(nogil=True, cache=True)
def _box_blur(src: np.ndarray, radii: np.ndarray) -> np.ndarray:
    a = src.copy()
    b = np.empty_like(src)
    acc = np.empty(src.shape[1], np.int32)
    for r in radii:
        if r <= 0:
            continue
        _box_h(a, b, r)
        _box_v(b, a, r, acc)
    return a


def box_blur(plane: np.ndarray, radii: list[int]) -> np.ndarray:
    """Blur a uint8 plane by successive box blurs of ``radii`` (edges clamped).

    Each pass rounds to uint8 with integer arithmetic, so :func:`ref_box_blur` gives
    the same bytes.
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
            a = (s + n // 2) // n
    return a.astype(np.uint8)


@njit(nogil=True, cache=True)
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


@njit(nogil=True, cache=True)
def warp_plane(src: np.ndarray, coeffs: tuple, fill: int, clamp: bool) -> np.ndarray:
    """Bilinear affine resampling of a uint8 plane (see :func:`plane_affine`).

    Outside the source, ``fill`` is used, or the nearest edge pixel when ``clamp``.
    """
    a, b, c, d, e, f = coeffs
    h, w = src.shape
    out = np.empty((h, w), np.uint8)
    for i in range(h):
        for j in range(w):
            sx = a * j + b * i + c
            sy = d * j + e * i + f
            if clamp:
                sx = min(max(sx, 0.0), w - 1.0)
                sy = min(max(sy, 0.0), h - 1.0)
            elif sx < -0.5 or sy < -0.5 or sx > w - 0.5 or sy > h - 0.5:
                out[i, j] = fill
                continue
            x0 = int(math.floor(sx))
            y0 = int(math.floor(sy))
            fx = sx - x0
            fy = sy - y0
            x0c = min(max(x0, 0), w - 1)
            x1c = min(max(x0 + 1, 0), w - 1)
            y0c = min(max(y0, 0), h - 1)
            y1c = min(max(y0 + 1, 0), h - 1)
            top = src[y0c, x0c] * (1.0 - fx) + src[y0c, x1c] * fx
            bot = src[y1c, x0c] * (1.0 - fx) + src[y1c, x1c] * fx
            out[i, j] = u8(top * (1.0 - fy) + bot * fy)
    return out


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
