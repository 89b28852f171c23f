"""contrast: scale luma around mid-grey."""

from __future__ import annotations

from typing import Any

import numpy as np

from clipkit.effects import Effect, Param
from clipkit.effects.kernels import lookup, u8_table
from clipkit.frame import Frame

PIVOT = 125.5  # middle of the 16..235 luma range


def _table(amount: float, pivot: float) -> np.ndarray:
    return u8_table((np.arange(256, dtype=np.float32) - np.float32(pivot)) * np.float32(amount) + np.float32(pivot))


class Contrast(Effect):
    """Raise or lower contrast by scaling luma around mid-grey.

    Chroma is left alone, so colours keep their saturation; pair with ``saturation``
    for the photographic "contrast also saturates" behaviour.
    """

    id = "contrast"
    title = "Contrast"
    category = "color"
    params = (
        Param("amount", "float", 1.0, min=0.0, max=2.0, unit="x", doc="Luma gain around mid-grey; 1 leaves the picture as is, 0 is flat grey", neutral=1.0),
    )
    example = {"amount": 1.2}

    def luma_table(self, p: dict[str, Any], state: Any) -> np.ndarray:
        return _table(p["amount"], PIVOT)

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        return Frame(lookup(frame.y, _table(p["amount"], PIVOT)), frame.u, frame.v, frame.alpha)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        y = (frame.y.astype(np.float64) - PIVOT) * p["amount"] + PIVOT
        return Frame(np.floor(np.clip(y, 0, 255) + 0.5).astype(np.uint8), frame.u, frame.v, frame.alpha)
