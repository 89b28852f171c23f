"""sharpen: unsharp mask on luma."""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from clipkit.effects import Effect, Param
from clipkit.effects.kernels import gaussian_blur, gaussian_taps, ref_gaussian, u8
from clipkit.frame import Frame


@njit(nogil=True, cache=True, fastmath=True)
def _kernel(y: np.ndarray, blurred: np.ndarray, amount: float, threshold: float) -> np.ndarray:
    h, w = y.shape
    out = np.empty((h, w), np.uint8)
    k = np.float32(amount)
    th = np.float32(threshold)
    zero = np.float32(0.0)
    for i in range(h):
        yr = y[i]
        br = blurred[i]
        o = out[i]
        for j in range(w):
            v = np.float32(yr[j])
            d = v - br[j]
            # coring: detail up to the threshold is noise and ignored; above it the
            # threshold is subtracted, so the response has no hard step
            cored = max(d - th, zero) + min(d + th, zero)
            o[j] = u8(v + k * cored)
    return out


class Sharpen(Effect):
    """Crisper detail by an unsharp mask on luma (chroma is left soft, so no colour fringes).

    Adds ``amount`` times the difference between the picture and a Gaussian-blurred
    copy of size ``sigma``, cored: differences up to ``threshold`` levels (noise) are
    ignored and the threshold is taken off larger ones.
    """

    id = "sharpen"
    title = "Sharpen"
    category = "look"
    params = (
        Param("amount", "float", 0.8, min=0.0, max=3.0, unit="x", doc="Strength; 0 leaves the picture as is", neutral=0.0),
        Param("sigma", "float", 1.5, min=0.5, max=10.0, unit="px", doc="Size of the detail that is enhanced (Gaussian standard deviation)", aliases=("radius",)),
        Param("threshold", "float", 2.0, min=0.0, max=32.0, doc="Detail up to this many levels is treated as noise and not sharpened"),
    )
    example = {"amount": 0.8, "sigma": 1.5}
    tolerance = 1

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        taps = gaussian_taps(max(p["sigma"], 0.3))
        return Frame(_kernel(frame.y, gaussian_blur(frame.y, taps), p["amount"], p["threshold"]), frame.u, frame.v, frame.alpha)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        y = frame.y.astype(np.float64)
        d = y - ref_gaussian(frame.y, gaussian_taps(max(p["sigma"], 0.3)))
        cored = np.sign(d) * np.maximum(np.abs(d) - p["threshold"], 0.0)
        out = np.floor(np.clip(y + p["amount"] * cored, 0, 255) + 0.5)
        return Frame(out.astype(np.uint8), frame.u, frame.v, frame.alpha)
