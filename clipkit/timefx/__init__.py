"""Time effects: speed, ramps, reverse, freeze frame and boomerang.

Each function takes a clip and returns a new clip that plays it re-timed (they are the
``Clip.with_speed``/``with_ramp``/``reversed``/``with_freeze``/``boomerang`` methods as
functions; the time map and the re-timed source are part of the edit model, in
:mod:`clipkit.edit.timemap` and :mod:`clipkit.edit.retime`); the result
sequences, trims and takes effects like any clip. The clip's fit, crop, volume and
effects move to the returned clip (they apply after re-timing)::

    import clipkit as ck
    from clipkit import timefx

    hero = timefx.ramp(ck.open("jump.mp4").trim(1, 4), "hero")
    rev = timefx.reverse(ck.open("pour.mp4").trim(0, 2))
    loop = timefx.boomerang(ck.open("wave.mp4").trim(0, 1), speed=1.5, loops=2)

Sound follows the picture, time-stretched without changing its pitch
(``audio="stretch"``), or is dropped (``audio="mute"``). Reverse and boomerang hold the
frames of their own segment in memory (nothing else does), so keep those segments short
(a few seconds).
"""

from __future__ import annotations

from ..edit.retime import (
    AUDIO_MODES,
    TimeMapSource,
    boomerang,
    freeze,
    ramp,
    remap,
    reverse,
    speed,
)
from ..edit.timemap import MAX_SPEED, MIN_SPEED, RAMP_PRESETS, TimeMap

__all__ = [
    "AUDIO_MODES",
    "MAX_SPEED",
    "MIN_SPEED",
    "RAMP_PRESETS",
    "TimeMap",
    "TimeMapSource",
    "boomerang",
    "freeze",
    "ramp",
    "remap",
    "reverse",
    "speed",
]
