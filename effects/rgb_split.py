"""rgb_split: chromatic aberration, red and blue pulled apart."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from clipkit.jit import njit

from clipkit.effects import Effect, Param


@njit(nogil=True, cache=True, fastmath=True)
def _kernel(rgb: np.ndarray, dx: int, dy: int) -> np.ndarray:
    h, w, _ = rgb.shape
    out = np.empty((h, w, 3), np.uint8)
    for i in range(h):
        ri = min(max(i - dy, 0), h - 1)
        bi = min(max(i + dy, 0), h - 1)
        for j in range(w):
            out[i, j, 0] = rgb[ri, min(max(j - dx, 0), w - 1), 0]
            out[i, j, 1] = rgb[i, j, 1]
            out[i, j, 2] = rgb[bi, min(max(j + dx, 0), w - 1), 2]
    return out


class RgbSplit(Effect):
    """RGB split / chromatic aberration: red shifted one way, blue the other, green in place.

    Works in RGB (the shift is per RGB channel); edges repeat the border pixel.
    """

    id = "rgb_split"
    title = "RGB split"
    category = "look"
    space = "rgb"
    params = (
        Param("offset", "float", 8.0, min=0.0, max=120.0, unit="px", doc="Distance each of red and blue moves; 0 leaves the picture as is", neutral=0.0),
        Param("angle", "float", 0.0, min=-180.0, max=180.0, unit="deg", doc="Direction red moves (0 is right, 90 is down)"),
    )
    example = {"offset": 10.0, "angle": 20.0}

    @staticmethod
    def _shift(p: dict[str, Any]) -> tuple[int, int]:
        a = math.radians(p["angle"])
        return int(round(p["offset"] * math.cos(a))), int(round(p["offset"] * math.sin(a)))

    def apply(self, rgb: np.ndarray, p: dict[str, Any], state: Any, time: Any) -> np.ndarray:
        dx, dy = self._shift(p)
        return _kernel(rgb, dx, dy)

    def reference(self, rgb: np.ndarray, p: dict[str, Any], state: Any, time: Any) -> np.ndarray:
        dx, dy = self._shift(p)
        h, w, _ = rgb.shape
        ii, jj = np.arange(h)[:, None], np.arange(w)[None, :]
        out = rgb.copy()
        out[..., 0] = rgb[np.clip(ii - dy, 0, h - 1), np.clip(jj - dx, 0, w - 1), 0]
        out[..., 2] = rgb[np.clip(ii + dy, 0, h - 1), np.clip(jj + dx, 0, w - 1), 2]
        return out
