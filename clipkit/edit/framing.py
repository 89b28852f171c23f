"""Framing requests the edit model records and the planner carries out.

:meth:`clipkit.Clip.reframe` stores a :class:`Reframe` as the clip's fit: pure data,
checked here when it is made. The render planner resolves it (one analysis pass of the
clip, then a crop path; see :mod:`clipkit.reframe`) before anything is streamed, so
building an edit never decodes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..errors import ParameterError, check_within
from ..vision.framing import FOLLOW_MODES  # what the crop follows, defined with the framing

__all__ = ["FOLLOW_MODES", "Reframe", "parse_aspect"]


def parse_aspect(aspect: str | float | tuple[int, int]) -> float:
    """Width / height from ``"9:16"``, ``"1:1"``, ``(9, 16)`` or a number.

    Raises
    ------
    ParameterError
        For anything that is not a positive ratio between 1:10 and 10:1.
    """
    value: float | None = None
    if isinstance(aspect, str):
        parts = aspect.replace("/", ":").split(":")
        try:
            if len(parts) == 2:
                value = float(parts[0]) / float(parts[1])
            elif len(parts) == 1:
                value = float(parts[0])
        except (ValueError, ZeroDivisionError):
            value = None
    elif isinstance(aspect, (tuple, list)) and len(aspect) == 2 and all(isinstance(v, (int, float)) and v > 0 for v in aspect):
        value = float(aspect[0]) / float(aspect[1])
    elif isinstance(aspect, (int, float)) and not isinstance(aspect, bool):
        value = float(aspect)
    if value is None or not math.isfinite(value) or not 0.1 <= value <= 10:
        raise ParameterError(f"aspect: {aspect!r} is not a ratio such as '9:16', '1:1' or '4:5'")
    return value


@dataclass(frozen=True, slots=True)
class Reframe:
    """Crop to ``aspect`` following the subject (see :func:`clipkit.reframe.reframe`).

    Parameters
    ----------
    aspect : str, float or (int, int)
        Target width:height, e.g. ``"9:16"``.
    follow : {'auto', 'faces', 'motion', 'center'}
        What the crop follows.
    dead_zone : float in [0, 0.5]
        Share of the crop the subject may drift before the crop moves.
    smoothing : float in [0, 3]
        Seconds of easing on moves.
    max_speed : float in (0, 10]
        Fastest pan, in crop widths per second.
    sample_fps : float in [1, 30]
        Analysis rate.
    faces : callable, None or 'default'
        Face detector override.
    """

    aspect: Any = "9:16"
    follow: str = "auto"
    dead_zone: float = 0.08
    smoothing: float = 0.5
    max_speed: float = 2.0
    sample_fps: float = 6.0
    faces: Any = "default"

    def __post_init__(self) -> None:
        parse_aspect(self.aspect)
        if self.follow not in FOLLOW_MODES:
            raise ParameterError(f"follow: {self.follow!r} is not one of {', '.join(FOLLOW_MODES)}")
        check_within("dead_zone", self.dead_zone, 0.0, 0.5)
        check_within("smoothing", self.smoothing, 0.0, 3.0, unit=" seconds")
        check_within("sample_fps", self.sample_fps, 1.0, 30.0)
        if isinstance(self.max_speed, bool) or not isinstance(self.max_speed, (int, float)) or not 0 < self.max_speed <= 10:
            raise ParameterError(
                f"max_speed: {self.max_speed!r} is outside (0, 10] crop widths per second", field="max_speed", value=self.max_speed, allowed="(0, 10]"
            )
        if not (self.faces is None or self.faces == "default" or callable(self.faces)):
            raise ParameterError(f"faces: {self.faces!r} is not a detector, None or 'default'")

    @property
    def options(self) -> dict[str, Any]:
        """The keyword options of :func:`clipkit.reframe.reframe`."""
        return {
            "follow": self.follow,
            "dead_zone": self.dead_zone,
            "smoothing": self.smoothing,
            "max_speed": self.max_speed,
            "sample_fps": self.sample_fps,
            "faces": self.faces,
        }
