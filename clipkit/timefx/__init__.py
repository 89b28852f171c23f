"""Time effects: speed, ramps, reverse, freeze frame and boomerang.

Each function takes a clip and returns a new clip that plays it re-timed; the result
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

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from ..edit.clip import Clip
from ..errors import ParameterError
from .source import AUDIO_MODES, TimeMapSource
from .timemap import (
    MAX_SPEED,
    MIN_SPEED,
    RAMP_PRESETS,
    TimeMap,
    boomerang_map,
    check_speed,
    constant_map,
    freeze_map,
    ramp_map,
    reverse_map,
)

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


def _check_clip(clip: Any, name: str) -> Clip:
    if not isinstance(clip, Clip):
        raise ParameterError(f"{name}: {clip!r} is not a clip (use clipkit.open, image or color)")
    return clip


def remap(clip: Clip, timemap: TimeMap, *, audio: str = "stretch", label: str = "time map") -> Clip:
    """Play ``clip`` through any :class:`TimeMap` (output seconds -> clip seconds).

    Parameters
    ----------
    clip : Clip
        The clip; its fit, crop, volume, effects and name carry over to the result.
    timemap : TimeMap
        Its clip times must lie within ``[0, clip.duration]``.
    audio : {'stretch', 'mute'}
        Keep the sound, time-stretched without pitch change, or drop it.
    label : str
        Name used in error messages.

    Returns
    -------
    Clip
        A clip of ``timemap.duration`` seconds.
    """
    clip = _check_clip(clip, label)
    if audio not in AUDIO_MODES:
        raise ParameterError(f"{label}.audio: {audio!r} is not one of {', '.join(AUDIO_MODES)}")
    inner = replace(clip, fit=None, crop_box=None, effects=(), volume=1.0)
    source = TimeMapSource(inner, timemap, audio=audio, label=label)
    return replace(clip, source=source, start=0.0, end=timemap.duration, speed=1.0)


def speed(clip: Clip, factor: float, *, audio: str = "stretch") -> Clip:
    """Play ``clip`` at a constant speed.

    Parameters
    ----------
    clip : Clip
        The clip.
    factor : float in [0.1, 10]
        Speed (0.5 is half speed and twice as long, 2 is double speed).
    audio : {'stretch', 'mute'}
        Keep the sound, time-stretched without pitch change, or drop it.
    """
    factor = check_speed(factor, field="speed")
    clip = _check_clip(clip, "speed")
    return remap(clip, constant_map(clip.duration, factor), audio=audio, label=f"speed {factor:g}x")


def ramp(
    clip: Clip,
    curve: str | Sequence[Sequence[float]] | Sequence[dict[str, float]],
    *,
    audio: str = "stretch",
    easing: str = "smooth",
) -> Clip:
    """Play ``clip`` with a speed ramp: a named preset or keyframes.

    Parameters
    ----------
    clip : Clip
        The clip; all of it plays, so the output lasts ``clip.duration / mean speed``.
    curve : str or sequence of (at, speed)
        A preset from :data:`RAMP_PRESETS` (``montage``, ``hero``, ``bullet``,
        ``flash-in``, ``flash-out``, ``slow-in``, ``slow-out``), or keyframes ``(at,
        speed)`` / ``{"at": .., "speed": ..}`` with ``at`` in [0, 1] (share of the
        output, first 0 and last 1, increasing) and ``speed`` in [0.1, 10].
    audio : {'stretch', 'mute'}
        Keep the sound, time-stretched without pitch change, or drop it.
    easing : {'smooth', 'linear'}
        How speed moves between keyframes.
    """
    clip = _check_clip(clip, "ramp")
    timemap = ramp_map(clip.duration, curve, curve=easing, field="ramp")
    name = curve if isinstance(curve, str) else "keyframes"
    return remap(clip, timemap, audio=audio, label=f"ramp {name}")


def reverse(clip: Clip, *, speed: float = 1.0, audio: str = "stretch") -> Clip:
    """Play ``clip`` backwards (its frames are held in memory while it plays).

    Parameters
    ----------
    clip : Clip
        The clip; keep it short (a few seconds).
    speed : float in [0.1, 10]
        Playback speed.
    audio : {'stretch', 'mute'}
        Play the sound backwards too, or drop it.
    """
    clip = _check_clip(clip, "reverse")
    factor = check_speed(speed, field="reverse.speed")
    return remap(clip, reverse_map(clip.duration, factor), audio=audio, label="reverse")


def freeze(clip: Clip, at: float, duration: float, *, audio: str = "stretch") -> Clip:
    """Hold the frame at ``at`` for ``duration`` seconds, then play on.

    Parameters
    ----------
    clip : Clip
        The clip.
    at : float in [0, clip.duration]
        Second of the clip to freeze on.
    duration : float > 0
        Seconds of freeze; the result is that much longer than the clip.
    audio : {'stretch', 'mute'}
        Keep the clip's sound around the freeze (silent during it), or drop it.
    """
    clip = _check_clip(clip, "freeze")
    for name, value in (("at", at), ("duration", duration)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParameterError(f"freeze.{name}: {value!r} is not a number of seconds")
    if not 0 <= at <= clip.duration:
        raise ParameterError(f"freeze.at: {at!r} is outside the clip (0..{clip.duration:.3f} s)")
    if not duration > 0:
        raise ParameterError(f"freeze.duration: {duration!r} must be above 0 seconds")
    return remap(clip, freeze_map(clip.duration, float(at), float(duration)), audio=audio, label="freeze")


def boomerang(clip: Clip, *, speed: float = 1.0, loops: int = 1, audio: str = "stretch") -> Clip:
    """Play ``clip`` forwards then backwards, ``loops`` times.

    Parameters
    ----------
    clip : Clip
        The clip; keep it short (its frames are held in memory).
    speed : float in [0.1, 10]
        Playback speed of both legs.
    loops : int in [1, 10]
        Forward-backward repetitions.
    audio : {'stretch', 'mute'}
        Keep the sound (played backwards on the way back), or drop it.
    """
    clip = _check_clip(clip, "boomerang")
    factor = check_speed(speed, field="boomerang.speed")
    if isinstance(loops, bool) or not isinstance(loops, int) or not 1 <= loops <= 10:
        raise ParameterError(f"boomerang.loops: {loops!r} is not a whole number in 1..10")
    return remap(clip, boomerang_map(clip.duration, factor, loops), audio=audio, label="boomerang")
