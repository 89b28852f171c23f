"""temperature: warm/cool and green/magenta white balance."""

from __future__ import annotations

from typing import Any

import numpy as np

from clipkit.effects import Effect, Param
from clipkit.frame import Frame

WARM = 24.0  # chroma levels a full warm shift moves Cb down and Cr up
TINT = 18.0  # chroma levels a full magenta tint moves Cb and Cr up


_LUM = np.clip((np.arange(256, dtype=np.float64) - 16.0) / 219.0, 0.0, 1.0)  # block-mean luma -> 0..1


def _shifted(plane: np.ndarray, mean: np.ndarray, shift: float) -> np.ndarray:
    """``plane + shift * lum(mean)`` rounded half up and clipped, in two OpenCV 8-bit passes.

    The plane is whole levels, so rounding the sum is rounding the offset (down for a
    negative shift's exact halves): a table of offsets by block-mean luma, then one
    saturating add or subtract.
    """
    import cv2

    offset = shift * _LUM
    if shift >= 0.0:
        return cv2.add(plane, cv2.LUT(mean, np.clip(np.floor(offset + 0.5), 0, 255).astype(np.uint8)))
    return cv2.subtract(plane, cv2.LUT(mean, np.clip(np.ceil(-offset - 0.5), 0, 255).astype(np.uint8)))


def _kernel(y: np.ndarray, u: np.ndarray, v: np.ndarray, du: float, dv: float) -> tuple[np.ndarray, np.ndarray]:
    """Chroma shifted by each 2x2 block's brightness (OpenCV: no numba for a white balance)."""
    import cv2

    h2, w2 = u.shape
    mean = cv2.resize(y, (w2, h2), interpolation=cv2.INTER_AREA)  # each block's mean luma, rounded
    return _shifted(u, mean, du), _shifted(v, mean, dv)


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
    before_scaling = True  # a per-pixel colour map: may run on a source's pixels before a fit scales it up

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
