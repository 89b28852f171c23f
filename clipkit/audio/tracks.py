"""Audio clips and the tracks an edit mixes: music, voice-over, sound effects."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from ..errors import MediaError, ParameterError
from ..media.probe import AudioInfo, probe

__all__ = ["AudioClip", "AudioTrack", "audio", "TRACK_ROLES"]

TRACK_ROLES = ("music", "voice", "sfx", "original")
"""Roles a track plays in the mix; ducking rules and loudness refer to them."""


def _seconds(name: str, value: float, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParameterError(f"{name}: {value!r} is not a number of seconds")
    v = float(value)
    if v < 0 or (positive and v == 0) or v != v or v == float("inf"):
        raise ParameterError(f"{name}: {value!r} must be {'above' if positive else 'at least'} 0 seconds")
    return v


@dataclass(frozen=True, slots=True)
class AudioClip:
    """A span of the sound of a file (a song, a narration, a video's own audio).

    Attributes
    ----------
    path : str
        The file.
    info : AudioInfo
        What probing found.
    start, end : float
        The span used, in seconds of the file.
    """

    path: str
    info: AudioInfo
    start: float = 0.0
    end: float = 0.0

    @property
    def duration(self) -> float:
        """Seconds of sound in the span."""
        return self.end - self.start

    def trim(self, start: float = 0.0, end: float | None = None) -> AudioClip:
        """Use the file from ``start`` to ``end`` seconds (relative to the current span)."""
        start = _seconds("trim.start", start)
        new_start = self.start + start
        if new_start >= self.end:
            raise ParameterError(f"trim.start: {start!r} is past the end of {self.path} ({self.duration:.3f} s)")
        new_end = self.end if end is None else self.start + _seconds("trim.end", end)
        if new_end <= new_start:
            raise ParameterError(f"trim.end: {end!r} is not after trim.start {start!r}")
        return replace(self, start=new_start, end=min(new_end, self.end))


@dataclass(frozen=True, slots=True)
class AudioTrack:
    """An audio clip placed on the output timeline.

    Attributes
    ----------
    clip : AudioClip
        The sound.
    at : float >= 0
        Output second where it starts.
    duration : float or None
        Output seconds it plays; ``None`` plays until the clip or the edit ends.
    volume : float in [0, 4]
        Linear gain.
    fade_in, fade_out : float >= 0
        Fade lengths in seconds (the fade out ends where the track ends).
    role : {'music', 'voice', 'sfx', 'original'}
        What it is in the mix.
    loop : bool
        Start again from the clip's start when it runs out.
    """

    clip: AudioClip
    at: float = 0.0
    duration: float | None = None
    volume: float = 1.0
    fade_in: float = 0.0
    fade_out: float = 0.0
    role: str = "music"
    loop: bool = False

    def __post_init__(self) -> None:
        _seconds("at", self.at)
        if self.duration is not None:
            _seconds("duration", self.duration, positive=True)
        _seconds("fade_in", self.fade_in)
        _seconds("fade_out", self.fade_out)
        if isinstance(self.volume, bool) or not isinstance(self.volume, (int, float)) or not 0 <= self.volume <= 4:
            raise ParameterError(f"volume: {self.volume!r} is outside 0..4")
        if self.role not in TRACK_ROLES:
            raise ParameterError(f"role: {self.role!r} is not one of {', '.join(TRACK_ROLES)}")


def audio(path: str | os.PathLike[str]) -> AudioClip:
    """Open the sound of any file PyAV reads (an MP3, an M4A, a video's track...).

    Raises
    ------
    MediaError
        Missing or unreadable files, or files without sound.
    """
    path = os.fspath(path)
    info = probe(path)
    if info.audio is None:
        raise MediaError(path, "has no audio stream")
    end = info.audio.start + info.audio.duration if info.audio.duration else info.duration
    if end <= 0:
        raise MediaError(path, "audio stream has no duration")
    return AudioClip(path=path, info=info.audio, start=0.0, end=float(end))
