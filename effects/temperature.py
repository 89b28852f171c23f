"""temperature: warm/cool and green/magenta white balance."""

from __future__ import annotations

from typing import Any

import numpy as np
from clipkit.jit import njit

from clipkit.effects import Effect, Param
from clipkit.effects.kernels import u8
from clipkit.frame import Frame

WARM = 24.0  # chroma levels a full warm shift moves Cb down and Cr up
TINT = 18.0  # chroma levels a full magenta tint moves Cb and Cr up


@njit(nogil=True, cache=True, fastmath=True)
def _kernel(y: np.ndarray, u: np.ndarray, v: np.ndarray, du: float, dv: float) -> tuple[np.ndarray, np.ndarray]:
    h2, w2 = u.shape
    ou = np.empty((h2, w2), np.uint8)
    ov = np.empty((h2, w2), np.uint8)
    for r in range(h2):
        for c in range(w2):
            s = np.int32(y[2 * r, 2 * c]) + y[2 * r, 2 * c + 1] + y[2 * r + 1, 2 * c] + y[2 * r + 1, 2 * c + 1]
            lum = min(max((s * 0.25 - 16.0) / 219.0, 0.0), 1.0)
            ou[r, c] = u8(u[r, c] + du * lum)
            ov[r, c] = u8(v[r, c] + dv * lum)
    return ou, ov


class Temperature(Effect):
    """Warm up or cool down the picture, and tint it toward magenta or green.

    Shifts chroma by an amount that grows with brightness, so blacks stay neutral
    (as a white-balance change in a camera does).
    """

    id = "temperature"
    title = "Temperature / tint"
    category = "color"
    params = (
        Param("temperature", "float", 0.0, min=-1.0, max=1.0, doc="Warmth: positive toward amber, negative toward blue; 0 leaves it", neutral=0.0),
        Param("tint", "float", 0.0, min=-1.0, max=1.0, doc="Tint: positive toward magenta, negative toward green; 0 leaves it", neutral=0.0),
    )
    example = {"temperature": 0.3, "tint": 0.05}

    @staticmethod
    def _shift(p: dict[str, Any]) -> tuple[float, float]:
        return -WARM * p["temperature"] + TINT * p["tint"], WARM * p["temperature"] + TINT * p["tint"]

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        du, dv = self._shift(p)
        u, v = _kernel(frame.y, frame.u, frame.v, du, dv)
        return Frame(frame.y, u, v, frame.alpha)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        du, dv = self._shift(p)
        h2, w2 = frame.u.shape
        mean = frame.y.astype(np.float64).reshape(h2, 2, w2, 2).mean(axis=(1, 3))
        lum = np.clip((mean - 16.0) / 219.0, 0.0, 1.0)
        q = lambda a: np.floor(np.clip(a, 0, 255) + 0.5).astype(np.uint8)  # noqa: E731
        return Frame(frame.y, q(frame.u + du * lum), q(frame.v + dv * lum), frame.alpha)
