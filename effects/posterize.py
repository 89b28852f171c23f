"""posterize: few flat tones per colour channel, like a screen print."""

from __future__ import annotations

from typing import Any

import numpy as np
from clipkit.jit import njit

from clipkit.effects import Effect, Param


@njit(nogil=True, cache=True, fastmath=True)
def _kernel(rgb: np.ndarray, levels: int) -> np.ndarray:
    lut = np.empty(256, np.uint8)
    step = 255.0 / (levels - 1)
    for i in range(256):
        lut[i] = np.uint8(int(np.floor(np.floor(i / step + 0.5) * step + 0.5)))
    h, w, _ = rgb.shape
    out = np.empty((h, w, 3), np.uint8)
    for i in range(h):
        for j in range(w):
            for c in range(3):
                out[i, j, c] = lut[rgb[i, j, c]]
    return out


class Posterize(Effect):
    """Posterize: each of red, green and blue rounded to a few evenly spaced levels.

    Works in RGB (the classic screen-print look comes from per-channel steps); the
    runner converts once around neighbouring RGB effects.
    """

    id = "posterize"
    title = "Posterize"
    category = "look"
    space = "rgb"
    params = (
        Param("levels", "int", 6, min=2, max=256, doc="Levels per channel; 256 leaves the picture as is", neutral=256),
    )
    example = {"levels": 5}

    def apply(self, rgb: np.ndarray, p: dict[str, Any], state: Any, time: Any) -> np.ndarray:
        return _kernel(rgb, int(p["levels"]))

    def reference(self, rgb: np.ndarray, p: dict[str, Any], state: Any, time: Any) -> np.ndarray:
        step = 255.0 / (int(p["levels"]) - 1)
        return np.floor(np.floor(rgb / step + 0.5) * step + 0.5).astype(np.uint8)
