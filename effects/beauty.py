"""beauty: edge-preserving skin smoothing."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

from clipkit.effects import Effect, Param
from clipkit.effects.kernels import box_mean_f32, ref_box_mean, u8
from clipkit.frame import Frame

EPS = 12.0**2  # guided-filter regulariser: variations well below 12 levels are smoothed, edges kept
SKIN_CB, SKIN_CR, SKIN_SIGMA = -22.0, 25.0, 13.0  # skin tones on the limited-range Cb/Cr plane


@njit(nogil=True, cache=True, fastmath=True)
def _kernel(y: np.ndarray, u: np.ndarray, v: np.ndarray, r: int, strength: float, skin_only: bool) -> np.ndarray:
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
                dcb = u[i, j] - 128.0 - SKIN_CB
                dcr = v[i, j] - 128.0 - SKIN_CR
                k *= math.exp(-(dcb * dcb + dcr * dcr) / (2.0 * SKIN_SIGMA * SKIN_SIGMA))
            for di in range(2):
                for dj in range(2):
                    yy = np.float64(y[2 * i + di, 2 * j + dj])
                    smooth = ma[i, j] * yy + mb[i, j]
                    out[2 * i + di, 2 * j + dj] = u8(yy + k * (smooth - yy))
    return out


class Beauty(Effect):
    """Beauty filter: smooths skin while keeping edges (eyes, hair, outlines) sharp.

    A guided filter (edge-preserving, cost independent of the radius) smooths luma;
    the result is blended in by ``strength``, only where the colour is a skin tone
    unless ``skin_only`` is off.
    """

    id = "beauty"
    title = "Beauty (skin smoothing)"
    category = "look"
    params = (
        Param("strength", "float", 0.6, min=0.0, max=1.0, doc="Blend of the smoothed skin; 0 leaves the picture as is", neutral=0.0),
        Param("radius", "float", 10.0, min=2.0, max=40.0, unit="px", doc="Size of the blemishes smoothed away"),
        Param("skin_only", "bool", True, doc="Smooth only skin-coloured areas"),
    )
    example = {"strength": 0.7, "radius": 10.0}
    tolerance = 2

    @staticmethod
    def _radius(p: dict[str, Any]) -> int:
        return max(1, int(round(p["radius"] / 2)))  # on the half-size image

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        y = _kernel(frame.y, frame.u, frame.v, self._radius(p), p["strength"], p["skin_only"])
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
            d2 = (frame.u - 128.0 - SKIN_CB) ** 2 + (frame.v - 128.0 - SKIN_CR) ** 2
            k = k * np.exp(-d2 / (2 * SKIN_SIGMA**2))
        out = yy + up(k) * (smooth - yy)
        return Frame(np.floor(np.clip(out, 0, 255) + 0.5).astype(np.uint8), frame.u, frame.v, frame.alpha)
