"""Transitions between shots.

A transition overlaps the end of one shot with the start of the next by its
``duration``; the executor calls the bound transition for each frame of the overlap
with both frames and the progress in [0, 1). The clips' own sound crossfades over the
same span.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2

from .errors import ParameterError
from .frame import Frame
from .nodes import BoundTransition, FrameTime, RenderContext

__all__ = ["Crossfade", "crossfade"]


@dataclass(frozen=True, slots=True)
class Crossfade:
    """Dissolve from one shot to the next.

    Parameters
    ----------
    duration : float > 0
        Seconds of overlap.
    """

    duration: float = 0.5

    def __post_init__(self) -> None:
        if isinstance(self.duration, bool) or not isinstance(self.duration, (int, float)) or not self.duration > 0:
            raise ParameterError(f"crossfade.duration: {self.duration!r} must be above 0 seconds")

    def bind(self, ctx: RenderContext) -> BoundTransition:
        def blend(a: Frame, b: Frame, progress: float, time: FrameTime) -> Frame:
            w = float(progress)
            return Frame(
                cv2.addWeighted(a.y, 1.0 - w, b.y, w, 0.0),
                cv2.addWeighted(a.u, 1.0 - w, b.u, w, 0.0),
                cv2.addWeighted(a.v, 1.0 - w, b.v, w, 0.0),
            )

        return blend


def crossfade(duration: float = 0.5) -> Crossfade:
    """A :class:`Crossfade` of ``duration`` seconds."""
    return Crossfade(duration)
