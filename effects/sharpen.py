"""sharpen: unsharp mask on luma."""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from clipkit.effects import Effect, Param
from clipkit.effects.kernels import _box_blur, box_passes, ref_box_blur, u8
from clipkit.frame import Frame


@njit(nogil=True, cache=True, fastmath=True)
def _kernel(y: np.ndarray, radii: np.ndarray, amount: float, threshold: float) -> np.ndarray:
    b = _box_blur(y, radii)
    h, w = y.shape
    out = np.empty((h, w), np.uint8)
    for i in range(h):
        for j in range(w):
            d = np.float64(y[i, j]) - b[i, j]
            if abs(d) <= threshold:
                out[i, j] = y[i, j]
            else:
                out[i, j] = u8(y[i, j] + amount * d)
    return out


class Sharpen(Effect):
    """Crisper detail by an unsharp mask on luma (chroma is left soft, so no colour fringes).

    Adds ``amount`` times the difference between the picture and a blurred copy of
    radius ``radius``; differences at or below ``threshold`` levels (noise) are left.
    """

    id = "sharpen"
    title = "Sharpen"
    category = "look"
    params = (
        Param("amount", "float", 0.8, min=0.0, max=3.0, unit="x", doc="Strength; 0 leaves the picture as is", neutral=0.0),
        Param("radius", "float", 1.5, min=0.5, max=10.0, unit="px", doc="Size of the detail that is enhanced"),
        Param("threshold", "float", 2.0, min=0.0, max=32.0, doc="Luma differences up to this many levels are left alone (keeps noise down)"),
    )
    example = {"amount": 0.8, "radius": 1.5}

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        radii = np.asarray(box_passes(p["radius"]) or [0], np.int64)
        return Frame(_kernel(np.ascontiguousarray(frame.y), radii, p["amount"], p["threshold"]), frame.u, frame.v, frame.alpha)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        y = frame.y.astype(np.float64)
        d = y - ref_box_blur(frame.y, box_passes(p["radius"]))
        out = np.where(np.abs(d) <= p["threshold"], y, np.floor(np.clip(y + p["amount"] * d, 0, 255) + 0.5))
        return Frame(out.astype(np.uint8), frame.u, frame.v, frame.alpha)
