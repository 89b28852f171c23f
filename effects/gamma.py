"""gamma: bend the luma midtones."""

from __future__ import annotations

from typing import Any

import numpy as np

from clipkit.effects import Effect, Param
from clipkit.effects.kernels import lookup, u8_table
from clipkit.frame import Frame


def _table(gamma: float) -> np.ndarray:
    levels = np.arange(256, dtype=np.float64)
    x = (levels - 16.0) / 219.0
    inside = (x > 0.0) & (x < 1.0)
    curved = 16.0 + 219.0 * np.where(inside, x, 0.0) ** (1.0 / gamma)
    return np.where(inside, u8_table(curved), levels.astype(np.uint8))  # sub-black and super-white pass through


class Gamma(Effect):
    """Brighten or darken the midtones, keeping black and white where they are.

    Luma in the video range is mapped through ``x ** (1 / gamma)``: above 1 lifts
    the midtones, below 1 sinks them.
    """

    id = "gamma"
    title = "Gamma"
    category = "color"
    params = (
        Param("gamma", "float", 1.0, min=0.2, max=5.0, doc="Midtone exponent; 1 leaves the picture as is, above 1 brightens", neutral=1.0),
    )
    example = {"gamma": 1.15}

    def luma_table(self, p: dict[str, Any], state: Any) -> np.ndarray:
        return _table(p["gamma"])

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        return Frame(lookup(frame.y, _table(p["gamma"])), frame.u, frame.v, frame.alpha)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        y = frame.y.astype(np.float64)
        x = (y - 16.0) / 219.0
        inside = (x > 0) & (x < 1)
        mapped = 16.0 + 219.0 * np.where(inside, x, 0.5) ** (1.0 / p["gamma"])
        out = np.where(inside, np.floor(np.clip(mapped, 0, 255) + 0.5), y)
        return Frame(out.astype(np.uint8), frame.u, frame.v, frame.alpha)
