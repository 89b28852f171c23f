"""saturation: scale chroma around neutral."""

from __future__ import annotations

from typing import Any

import numpy as np

from clipkit.effects import Effect, Param
from clipkit.effects.kernels import lookup, u8_table
from clipkit.frame import Frame


def _table(amount: float) -> np.ndarray:
    """Chroma codes scaled around neutral (128) by ``amount``, one table for U and V."""
    return u8_table((np.arange(256, dtype=np.float32) - np.float32(128.0)) * np.float32(amount) + np.float32(128.0))


class Saturation(Effect):
    """Make colours more vivid or more muted by scaling chroma."""

    id = "saturation"
    title = "Saturation"
    category = "color"
    params = (
        Param("amount", "float", 1.0, min=0.0, max=3.0, unit="x", doc="Chroma gain; 1 leaves colours as they are, 0 is greyscale", neutral=1.0),
    )
    example = {"amount": 1.3}
    before_scaling = True  # a per-pixel colour map: may run on a source's pixels before a fit scales it up

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        table = _table(p["amount"])  # two OpenCV table passes on the chroma planes: no numba
        return Frame(frame.y, lookup(frame.u, table), lookup(frame.v, table), frame.alpha)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        def scale(c: np.ndarray) -> np.ndarray:
            x = (c.astype(np.float64) - 128.0) * p["amount"] + 128.0
            return np.floor(np.clip(x, 0, 255) + 0.5).astype(np.uint8)

        return Frame(frame.y, scale(frame.u), scale(frame.v), frame.alpha)
