"""saturation: scale chroma around neutral."""

from __future__ import annotations

from typing import Any

import numpy as np
from clipkit.jit import njit

from clipkit.effects import Effect, Param
from clipkit.effects.kernels import u8
from clipkit.frame import Frame


@njit(nogil=True, cache=True, fastmath=True)
def _kernel(u: np.ndarray, v: np.ndarray, amount: float) -> tuple[np.ndarray, np.ndarray]:
    lut = np.empty(256, np.uint8)
    for i in range(256):
        lut[i] = u8((i - 128.0) * amount + 128.0)
    h, w = u.shape
    ou = np.empty((h, w), np.uint8)
    ov = np.empty((h, w), np.uint8)
    for r in range(h):
        for c in range(w):
            ou[r, c] = lut[u[r, c]]
            ov[r, c] = lut[v[r, c]]
    return ou, ov


class Saturation(Effect):
    """Make colours more vivid or more muted by scaling chroma."""

    id = "saturation"
    title = "Saturation"
    category = "color"
    params = (
        Param("amount", "float", 1.0, min=0.0, max=3.0, unit="x", doc="Chroma gain; 1 leaves colours as they are, 0 is greyscale", neutral=1.0),
    )
    example = {"amount": 1.3}

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        u, v = _kernel(frame.u, frame.v, p["amount"])
        return Frame(frame.y, u, v, frame.alpha)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        def scale(c: np.ndarray) -> np.ndarray:
            x = (c.astype(np.float64) - 128.0) * p["amount"] + 128.0
            return np.floor(np.clip(x, 0, 255) + 0.5).astype(np.uint8)

        return Frame(frame.y, scale(frame.u), scale(frame.v), frame.alpha)
