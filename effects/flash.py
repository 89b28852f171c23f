"""flash: blend toward a colour; steady, keyframed, on the beat, or strobing."""

from __future__ import annotations

from typing import Any

import numpy as np
from clipkit.jit import njit

from clipkit.effects import Effect, Param
from clipkit.effects.kernels import blend_toward, ref_blend_toward
from clipkit.frame import Frame, color_yuv


@njit(nogil=True, cache=True, fastmath=True)
def _kernel(y: np.ndarray, u: np.ndarray, v: np.ndarray, c: tuple, a: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # the blend toward a colour is shared with the other effect that needs it (fade, flash)
    return blend_toward(y, u, v, c, a)


class Flash(Effect):
    """Flash toward a colour: give ``strength`` an envelope to flash on the beat, or a ``frequency`` to strobe.

    With ``frequency`` above 0 the flash switches on and off that many times a
    second, on for ``duty`` of each period.
    """

    id = "flash"
    title = "Flash / strobe"
    category = "motion"
    params = (
        Param("strength", "float", 0.6, min=0.0, max=1.0, doc="Blend toward the colour; 0 leaves the picture as is", neutral=0.0, aliases=("amount",)),
        Param("color", "color", "white", doc="The flash colour"),
        Param("frequency", "float", 0.0, min=0.0, max=30.0, unit="Hz", doc="Strobe rate; 0 is a steady flash"),
        Param("duty", "float", 0.5, min=0.05, max=0.95, doc="Share of each strobe period that is lit"),
    )
    example = {"strength": {"envelope": "beats", "from": 0.0, "to": 0.7, "decay": 0.12}}

    @staticmethod
    def _amount(p: dict[str, Any], time: Any) -> float:
        if p["frequency"] <= 0:
            return p["strength"]
        phase = (time.local_t * p["frequency"]) % 1.0
        return p["strength"] if phase < p["duty"] else 0.0

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        a = self._amount(p, time)
        if a <= 0:
            return frame
        y, u, v = _kernel(frame.y, frame.u, frame.v, color_yuv(p["color"]), a)
        return Frame(y, u, v, frame.alpha)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        a = self._amount(p, time)
        return frame if a <= 0 else Frame(*ref_blend_toward(frame.y, frame.u, frame.v, color_yuv(p["color"]), a), frame.alpha)
