"""beauty: edge-preserving skin smoothing, with a skin mask that holds across skin tones and casts.

Where the skin is, per frame (nothing carries over between frames):

1. The light's colour cast is estimated from the frame itself: half white patch (mean
   chroma of the brightest 3% of pixels, which are mostly neutral highlights) and half
   grey world (mean chroma of all), capped at 30 levels. Chroma is read relative to it,
   so a blue or orange cast does not move skin out of the mask.
2. A broad skin locus in that cast-corrected chroma: the skin *hue* direction (the same
   for very light and very dark skin, which differ in luma and saturation, not in hue),
   with a wide angle and any saturation from nearly neutral to strong.
3. The frame's own skin colour: the mean and spread (chroma and luma) of the pixels the
   broad locus picked; the final mask is a Gaussian around that colour, so it fits the
   face actually in the picture (pale under blue light, dark under warm light) and
   leaves out eyes, brows, hair and lips, which differ from it in luma or chroma.

The smoothing is a fast guided filter on luma (He & Sun 2015): its cost does not depend
on the radius, and strong edges (eyes, hair, outlines) keep their contrast even inside
the mask. On grey (black-and-white) frames there is no chroma to find skin by, and the
mask falls back to mid-tone luma.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

from clipkit.effects import Effect, Param
from clipkit.effects.kernels import box_mean_f32, ref_box_mean, u8
from clipkit.frame import Frame

EPS = 10.0**2  # guided-filter regulariser: variations well below 10 levels are smoothed, edges kept
SKIN_DIR = (-0.60, 0.80)  # skin hue direction on the (Cb, Cr) plane, cast removed
SKIN_ANGLE = 0.55  # radians (about 31 degrees): spread of the broad locus around that hue
MAX_CAST = 30.0  # chroma levels: a stronger estimated cast is taken as scene colour, not light


def skin_model(y: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The frame's skin model as 9 numbers (cast, mean colour, spreads), from a sparse sample.

    Returns ``[cast_u, cast_v, mean_u, mean_v, inv_cov_uu, inv_cov_uv, inv_cov_vv, mean_y, spread_y]``
    with chroma relative to 128 (cast-corrected for the means). Both the kernel and the
    reference use this same estimate.
    """
    step = max(1, int(math.sqrt(u.size / 6000.0)))  # about 6000 chroma samples, any frame size
    su = u[::step, ::step].astype(np.float64) - 128.0
    sv = v[::step, ::step].astype(np.float64) - 128.0
    sy = y[::2 * step, ::2 * step][: su.shape[0], : su.shape[1]].astype(np.float64)
    su, sv = su[: sy.shape[0], : sy.shape[1]], sv[: sy.shape[0], : sy.shape[1]]
    lum = sy.ravel()
    cu_all, cv_all = su.ravel(), sv.ravel()
    bright = lum >= np.percentile(lum, 97)
    white = (cu_all[bright].mean(), cv_all[bright].mean()) if bright.any() else (0.0, 0.0)
    grey = (cu_all.mean(), cv_all.mean())
    cast = np.array([0.5 * (white[0] + grey[0]), 0.5 * (white[1] + grey[1])])
    mag = float(np.hypot(*cast))
    if mag > MAX_CAST:
        cast *= MAX_CAST / mag
    du, dv = cu_all - cast[0], cv_all - cast[1]
    w = _broad(du, dv, lum)
    out = np.zeros(9)
    out[0], out[1] = cast
    total = float(w.sum())
    chroma_spread = float(np.sqrt(np.mean(cu_all**2 + cv_all**2)))
    if total < 0.01 * lum.size or chroma_spread < 2.0:
        # no skin-hued area worth the name, or a grey frame: mid-tone luma only
        out[2:4] = 0.0
        out[4] = out[6] = 0.0
        out[5] = 0.0
        out[7], out[8] = 140.0, 60.0
        return out
    mu = np.array([float((w * du).sum() / total), float((w * dv).sum() / total)])
    eu, ev = du - mu[0], dv - mu[1]
    cov = np.array([[float((w * eu * eu).sum() / total), float((w * eu * ev).sum() / total)],
                    [float((w * eu * ev).sum() / total), float((w * ev * ev).sum() / total)]])
    cov += np.eye(2) * 9.0  # at least 3 levels of spread: noise and compression
    cov *= 2.5 ** 2  # the mask's width: 2.5 standard deviations of the skin's own colour
    inv = np.linalg.inv(cov)
    my = float((w * lum).sum() / total)
    spread_y = float(np.sqrt((w * (lum - my) ** 2).sum() / total))
    out[2:4] = mu
    out[4], out[5], out[6] = inv[0, 0], inv[0, 1], inv[1, 1]
    out[7], out[8] = my, 2.2 * spread_y + 14.0
    return out


def _ramp(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return np.clip((x - lo) / (hi - lo), 0.0, 1.0)


def _broad(du: np.ndarray, dv: np.ndarray, lum: np.ndarray) -> np.ndarray:
    """The broad skin locus (hue gate, any saturation, no deep shadows or clipped highlights)."""
    r = np.hypot(du, dv)
    c = np.clip((du * SKIN_DIR[0] + dv * SKIN_DIR[1]) / np.maximum(r, 1e-6), -1.0, 1.0)
    ang = np.arccos(c)
    return np.exp(-0.5 * (ang / SKIN_ANGLE) ** 2) * _ramp(r, 1.5, 5.0) * (1.0 - _ramp(r, 55.0, 75.0)) * _ramp(lum, 20.0, 35.0) * (1.0 - _ramp(lum, 240.0, 252.0))


@njit(nogil=True, cache=True, fastmath=True)
def _weight(u: float, v: float, lum: float, m: np.ndarray) -> float:
    if m[4] == 0.0 and m[6] == 0.0:
        dl = (lum - m[7]) / m[8]
        return math.exp(-0.5 * dl * dl)
    du = u - 128.0 - m[0] - m[2]
    dv = v - 128.0 - m[1] - m[3]
    d2 = m[4] * du * du + 2.0 * m[5] * du * dv + m[6] * dv * dv
    dl = (lum - m[7]) / m[8]
    return math.exp(-0.5 * (d2 + dl * dl))


def _ref_weight(u: np.ndarray, v: np.ndarray, lum: np.ndarray, m: np.ndarray) -> np.ndarray:
    dl = (lum - m[7]) / m[8]
    if m[4] == 0.0 and m[6] == 0.0:
        return np.exp(-0.5 * dl * dl)
    du = u - 128.0 - m[0] - m[2]
    dv = v - 128.0 - m[1] - m[3]
    d2 = m[4] * du * du + 2.0 * m[5] * du * dv + m[6] * dv * dv
    return np.exp(-0.5 * (d2 + dl * dl))


@njit(nogil=True, cache=True, fastmath=True)
def _kernel(y: np.ndarray, u: np.ndarray, v: np.ndarray, r: int, strength: float, skin_only: bool, model: np.ndarray) -> np.ndarray:
    h2, w2 = u.shape
    # fast guided filter (He & Sun 2015): coefficients on the half-size image, applied at full size
    small = np.empty((h2, w2), np.float32)
    sq = np.empty((h2, w2), np.float32)
    for i in range(h2):
        for j in range(w2):
            m = (np.float32(y[2 * i, 2 * j]) + y[2 * i, 2 * j + 1] + y[2 * i + 1, 2 * j] + y[2 * i + 1, 2 * j + 1]) * 0.25
            small[i, j] = m
            sq[i, j] = m * m
    mean_i = box_mean_f32(small, r)
    mean_ii = box_mean_f32(sq, r)
    a = np.empty((h2, w2), np.float32)
    b = np.empty((h2, w2), np.float32)
    for i in range(h2):
        for j in range(w2):
            var = max(mean_ii[i, j] - mean_i[i, j] * mean_i[i, j], 0.0)
            a[i, j] = var / (var + EPS)
            b[i, j] = (1.0 - a[i, j]) * mean_i[i, j]
    ma = box_mean_f32(a, r)
    mb = box_mean_f32(b, r)
    out = np.empty(y.shape, np.uint8)
    for i in range(h2):
        for j in range(w2):
            k = strength
            if skin_only:
                k *= _weight(np.float64(u[i, j]), np.float64(v[i, j]), np.float64(small[i, j]), model)
            for di in range(2):
                for dj in range(2):
                    yy = np.float64(y[2 * i + di, 2 * j + dj])
                    smooth = ma[i, j] * yy + mb[i, j]
                    out[2 * i + di, 2 * j + dj] = u8(yy + k * (smooth - yy))
    return out


class Beauty(Effect):
    """Beauty filter: smooths skin while keeping edges (eyes, hair, outlines) sharp.

    A guided filter (edge-preserving, cost independent of the radius) smooths luma;
    the result is blended in by ``strength`` where the frame's skin is (a mask fitted
    to the skin colour found in each frame, relative to the light's colour cast, so it
    holds from very light to very dark skin and under blue, warm or mixed light), or
    everywhere when ``skin_only`` is off.
    """

    id = "beauty"
    title = "Beauty (skin smoothing)"
    category = "look"
    params = (
        Param("strength", "float", 0.6, min=0.0, max=1.0, doc="Blend of the smoothed skin; 0 leaves the picture as is", neutral=0.0),
        Param("radius", "float", 12.0, min=2.0, max=40.0, unit="px", doc="Size of the blemishes smoothed away"),
        Param("skin_only", "bool", True, doc="Smooth only the skin (found per frame, across skin tones and colour casts)"),
    )
    example = {"strength": 0.7, "radius": 12.0}
    tolerance = 2

    @staticmethod
    def _radius(p: dict[str, Any]) -> int:
        return max(1, int(round(p["radius"] / 2)))  # on the half-size image

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        model = skin_model(frame.y, frame.u, frame.v) if p["skin_only"] else np.zeros(9)
        y = _kernel(frame.y, frame.u, frame.v, self._radius(p), p["strength"], p["skin_only"], model)
        return Frame(y, frame.u, frame.v, frame.alpha)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        r = self._radius(p)
        yy = frame.y.astype(np.float64)
        h2, w2 = frame.u.shape
        small = yy.reshape(h2, 2, w2, 2).mean(axis=(1, 3))
        mean_i = ref_box_mean(small, r)
        var = np.maximum(ref_box_mean(small * small, r) - mean_i**2, 0)
        a = var / (var + EPS)
        b = (1 - a) * mean_i
        up = lambda x: np.repeat(np.repeat(x, 2, 0), 2, 1)  # noqa: E731
        smooth = up(ref_box_mean(a, r)) * yy + up(ref_box_mean(b, r))
        k = np.full((h2, w2), p["strength"])
        if p["skin_only"]:
            k = k * _ref_weight(frame.u.astype(np.float64), frame.v.astype(np.float64), small, skin_model(frame.y, frame.u, frame.v))
        out = yy + up(k) * (smooth - yy)
        return Frame(np.floor(np.clip(out, 0, 255) + 0.5).astype(np.uint8), frame.u, frame.v, frame.alpha)
