"""fade: fade in from and out to a colour at the clip's ends."""

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


class Fade(Effect):
    """Fade in from a colour at the clip's start and out to it at the end (smoothstep-shaped).

    The first frame of a fade-in and the last frame of a fade-out are the pure colour.
    """

    id = "fade"
    title = "Fade to colour"
    category = "motion"
    params = (
        Param("fade_in", "float", 0.5, min=0.0, max=30.0, unit="s", keyframable=False, doc="Seconds of fade-in at the start; 0 for none", neutral=0.0),
        Param("fade_out", "float", 0.5, min=0.0, max=30.0, unit="s", keyframable=False, doc="Seconds of fade-out at the end; 0 for none", neutral=0.0),
        Param("color", "color", "black", doc="The colour faded from and to"),
    )
    example = {"fade_in": 0.5, "fade_out": 0.8, "color": "black"}

    def prepare(self, ctx: Any, static: dict[str, Any]) -> Any:
        return 1.0 / float(ctx.fps)

    @staticmethod
    def _amount(p: dict[str, Any], frame_step: float, time: Any) -> float:
        a = 0.0
        if p["fade_in"] > 0:
            a = max(a, 1.0 - time.local_t / p["fade_in"])
        if p["fade_out"] > 0 and time.duration > 0:
            remaining = time.duration - (time.local_t + frame_step)
            a = max(a, 1.0 - remaining / p["fade_out"])
        a = min(max(a, 0.0), 1.0)
        return a * a * (3.0 - 2.0 * a)

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        a = self._amount(p, state, time)
        if a <= 0:
            return frame
        y, u, v = _kernel(frame.y, frame.u, frame.v, color_yuv(p["color"]), a)
        return Frame(y, u, v, frame.alpha)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        a = self._amount(p, state, time)
        if a <= 0:
            return frame
        return Frame(*ref_blend_toward(frame.y, frame.u, frame.v, color_yuv(p["color"]), a), frame.alpha)
