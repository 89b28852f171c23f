"""beauty: edge-preserving skin smoothing, with a skin mask that holds across skin tones and casts.

Where the skin is, per frame (nothing carries over between frames):

1. Colour is read as log-chromaticity ``(log R/G, log B/G)``: a coloured light multiplies
   the channels, so there its cast is a plain shift. The cast is estimated from the frame
   itself, half white patch (the brightest 3% of pixels, mostly neutral highlights) and
   half grey world (all pixels), and taken off, so a blue or orange light does not move
   skin out of the mask.
2. A broad skin locus in that cast-free chromaticity: the skin *hue* direction (red over
   green over blue: the same for very light and very dark skin, which differ in
   luminance and saturation, not in hue), with a wide angle and any saturation from
   nearly neutral to strong.
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
# Colour is read as log-chromaticity a = log R/G, b = log B/G, turned 45 degrees: "warm"
# (a - b) / sqrt 2 is the blue-orange axis along which daylight, shade and tungsten move
# every colour, and along which skin tones from very light to very dark differ; "tint"
# (a + b) / sqrt 2 is the green-magenta axis, on which all skin sits in one narrow band.
_SQRT_HALF = math.sqrt(0.5)
TINT_CENTRE, TINT_HALF, TINT_FALLOFF = 0.04, 0.10, 0.04  # skin's tint band (flat top, soft sides), from the median tint
WARMER_THAN_COOLEST = (0.0, 0.05)  # how much warmer than the coolest part skin is (log units)
LOG_OFFSET = 8.0  # added before the log, so that noise in dark pixels does not swing the ratios
_LOG = np.log(np.arange(256, dtype=np.float64) + LOG_OFFSET)


def _ref_log_chroma(y: np.ndarray, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(log R/G, log B/G) of limited-range BT.709 YCbCr values (the light's cast is a shift here)."""
    yp = (y - 16.0) * (255.0 / 219.0)
    cb = (u - 128.0) * (255.0 / 224.0)
    cr = (v - 128.0) * (255.0 / 224.0)
    r = np.clip(np.floor(yp + 1.5748 * cr + 0.5), 0, 255).astype(np.int64)
    g = np.clip(np.floor(yp - 0.1873 * cb - 0.4681 * cr + 0.5), 0, 255).astype(np.int64)
    b = np.clip(np.floor(yp + 1.8556 * cb + 0.5), 0, 255).astype(np.int64)
    return _LOG[r] - _LOG[g], _LOG[b] - _LOG[g]


@njit(nogil=True, cache=True, fastmath=True)
def _log_chroma(y: float, u: float, v: float, table: np.ndarray) -> tuple[float, float]:
    yp = (y - 16.0) * (255.0 / 219.0)
    cb = (u - 128.0) * (255.0 / 224.0)
    cr = (v - 128.0) * (255.0 / 224.0)
    r = min(max(math.floor(yp + 1.5748 * cr + 0.5), 0.0), 255.0)
    g = min(max(math.floor(yp - 0.1873 * cb - 0.4681 * cr + 0.5), 0.0), 255.0)
    b = min(max(math.floor(yp + 1.8556 * cb + 0.5), 0.0), 255.0)
    lg = table[int(g)]
    return table[int(r)] - lg, table[int(b)] - lg


def skin_model(y: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The frame's light, as ``[tint, coolest]`` in log-chromaticity, from a sparse sample.

    ``tint`` is the median green-magenta coordinate (a fluorescent or green cast moves it);
    ``coolest`` is the 10th percentile of the blue-orange coordinate: the coolest sizeable
    part of the picture (walls, sky, shade), which skin is always warmer than. Both the
    kernel and the reference use this one estimate, so they see the same mask.
    """
    step = max(1, int(math.sqrt(u.size / 6000.0)))  # about 6000 chroma samples, any frame size
    h2, w2 = u.shape
    rows = np.arange(0, h2, step)
    cols = np.arange(0, w2, step)
    yy = y.astype(np.float64)
    lum = 0.25 * (yy[2 * rows][:, 2 * cols] + yy[2 * rows][:, 2 * cols + 1] + yy[2 * rows + 1][:, 2 * cols] + yy[2 * rows + 1][:, 2 * cols + 1]).ravel()
    a, b = _ref_log_chroma(lum, u[::step, ::step].astype(np.float64).ravel(), v[::step, ::step].astype(np.float64).ravel())
    warm, tint = (a - b) * _SQRT_HALF, (a + b) * _SQRT_HALF
    lit = (lum > 40) & (lum < 235)  # deep shadows and clipped highlights say little about the light
    if lit.sum() < 20:
        lit = np.ones_like(lum, bool)
    return np.array([float(np.median(tint[lit])), float(np.percentile(warm[lit], 10))])


def _ramp(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return np.clip((x - lo) / (hi - lo), 0.0, 1.0)


def _ref_weight(u: np.ndarray, v: np.ndarray, lum: np.ndarray, light: np.ndarray) -> np.ndarray:
    """Skin weight: on the skin's green-magenta band, warmer than the picture's coolest part."""
    a, b = _ref_log_chroma(lum, u, v)
    warm, tint = (a - b) * _SQRT_HALF - light[1], (a + b) * _SQRT_HALF - light[0]
    off = np.maximum(np.abs(tint - TINT_CENTRE) - TINT_HALF, 0.0) / TINT_FALLOFF
    band = np.exp(-0.5 * off * off)
    return band * _ramp(warm, *WARMER_THAN_COOLEST) * (1.0 - _ramp(warm, 1.2, 1.6)) * _ramp(lum, 20.0, 35.0) * (1.0 - _ramp(lum, 242.0, 252.0))


@njit(nogil=True, cache=True, fastmath=True)
def _ramp1(x: float, lo: float, hi: float) -> float:
    return min(max((x - lo) / (hi - lo), 0.0), 1.0)


@njit(nogil=True, cache=True, fastmath=True)
def _weight(u: float, v: float, lum: float, light: np.ndarray, table: np.ndarray) -> float:
    a, b = _log_chroma(lum, u, v, table)
    warm = (a - b) * _SQRT_HALF - light[1]
    tint = (a + b) * _SQRT_HALF - light[0]
    d = max(abs(tint - TINT_CENTRE) - TINT_HALF, 0.0) / TINT_FALLOFF
    band = math.exp(-0.5 * d * d)
    lo, hi = WARMER_THAN_COOLEST
    return band * _ramp1(warm, lo, hi) * (1.0 - _ramp1(warm, 1.2, 1.6)) * _ramp1(lum, 20.0, 35.0) * (1.0 - _ramp1(lum, 242.0, 252.0))


@njit(nogil=True, cache=True, fastmath=True)
def _kernel(y: np.ndarray, u: np.ndarray, v: np.ndarray, r: int, strength: float, skin_only: bool, model: np.ndarray, table: np.ndarray) -> np.ndarray:
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
                k *= _weight(np.float64(u[i, j]), np.float64(v[i, j]), np.float64(small[i, j]), model, table)
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
        model = skin_model(frame.y, frame.u, frame.v) if p["skin_only"] else np.zeros(2)
        y = _kernel(frame.y, frame.u, frame.v, self._radius(p), p["strength"], p["skin_only"], model, _LOG)
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
