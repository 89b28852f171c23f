"""brightness: lift or lower luma by a fraction of the video range."""

from __future__ import annotations

from typing import Any

import numpy as np

from clipkit.effects import Effect, Param
from clipkit.effects.kernels import lookup, u8_table
from clipkit.frame import Frame


def _table(offset: float) -> np.ndarray:
    return u8_table(np.arange(256, dtype=np.float32) + np.float32(offset))


class Brightness(Effect):
    """Lift or lower the brightness of the whole picture.

    Adds ``offset`` times the luma range (219 levels) to every pixel; colours keep
    their chroma.
    """

    id = "brightness"
    title = "Brightness"
    category = "color"
    params = (
        Param("offset", "float", 0.0, min=-1.0, max=1.0, doc="Luma shift as a fraction of the video range; 0 leaves the picture as is", neutral=0.0, aliases=("amount",)),
    )
    example = {"offset": 0.08}

    def luma_table(self, p: dict[str, Any], state: Any) -> np.ndarray:
        return _table(p["offset"] * 219.0)

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        return Frame(lookup(frame.y, _table(p["offset"] * 219.0)), frame.u, frame.v, frame.alpha)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        y = frame.y.astype(np.float64) + p["offset"] * 219.0
        return Frame(np.floor(np.clip(y, 0, 255) + 0.5).astype(np.uint8), frame.u, frame.v, frame.alpha)
