"""hue_shift: rotate every hue around the colour wheel."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from clipkit.jit import njit

from clipkit.effects import Effect, Param
from clipkit.effects.kernels import u8
from clipkit.frame import Frame


@njit(nogil=True, cache=True, fastmath=True)
def _kernel(u: np.ndarray, v: np.ndarray, cos_a: float, sin_a: float) -> tuple[np.ndarray, np.ndarray]:
    h, w = u.shape
    ou = np.empty((h, w), np.uint8)
    ov = np.empty((h, w), np.uint8)
    for r in range(h):
        for c in range(w):
            cb = u[r, c] - 128.0
            cr = v[r, c] - 128.0
            ou[r, c] = u8(128.0 + cb * cos_a - cr * sin_a)
            ov[r, c] = u8(128.0 + cb * sin_a + cr * cos_a)
    return ou, ov


class HueShift(Effect):
    """Rotate hues: positive degrees turn red toward yellow and green.

    A rotation of the chroma (Cb, Cr) plane, so luma and saturation are unchanged.
    """

    id = "hue_shift"
    title = "Hue shift"
    category = "color"
    params = (
        Param("degrees", "float", 0.0, min=-180.0, max=180.0, unit="deg", doc="Rotation of the colour wheel; 0 leaves hues as they are", neutral=0.0),
    )
    example = {"degrees": 30.0}
    before_scaling = True  # a per-pixel colour map: may run on a source's pixels before a fit scales it up

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        a = math.radians(p["degrees"])
        u, v = _kernel(frame.u, frame.v, math.cos(a), math.sin(a))
        return Frame(frame.y, u, v, frame.alpha)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        a = math.radians(p["degrees"])
        cb = frame.u.astype(np.float64) - 128.0
        cr = frame.v.astype(np.float64) - 128.0
        u = 128.0 + cb * math.cos(a) - cr * math.sin(a)
        v = 128.0 + cb * math.sin(a) + cr * math.cos(a)
        q = lambda x: np.floor(np.clip(x, 0, 255) + 0.5).astype(np.uint8)  # noqa: E731
        return Frame(frame.y, q(u), q(v), frame.alpha)
