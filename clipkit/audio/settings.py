"""How an edit's sound is finished: ducking and loudness settings (pure data).

The processing lives in :mod:`clipkit.audio.finishing`; these are the typed fields
``Edit.ducking`` and ``Edit.loudness`` that it reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ParameterError, check_within
from .tracks import TRACK_ROLES

__all__ = ["DuckingSettings", "LoudnessSettings"]


@dataclass(frozen=True, slots=True)
class DuckingSettings:
    """How the music dips under other sound.

    Attributes
    ----------
    depth : float in [-60, 0]
        Gain change of the music in dB while a trigger sounds.
    threshold : float in [-90, 0]
        Trigger level (dBFS RMS over 5 ms) above which the music ducks.
    attack : float in [0.001, 2]
        Time constant of the dip, in seconds.
    release : float in [0.01, 5]
        Time constant of the recovery, in seconds.
    hold : float in [0, 5]
        Seconds the dip is held after the trigger falls silent (bridges pauses
        between words).
    under : tuple of str
        Roles that trigger it (``voice``, ``original``, ``sfx``).
    """

    depth: float = -10.0
    threshold: float = -45.0
    attack: float = 0.04
    release: float = 0.4
    hold: float = 0.25
    under: tuple[str, ...] = ("voice", "original")

    def __post_init__(self) -> None:
        check_within("ducking depth", self.depth, -60.0, 0.0)
        check_within("ducking threshold", self.threshold, -90.0, 0.0)
        check_within("ducking attack", self.attack, 0.001, 2.0)
        check_within("ducking release", self.release, 0.01, 5.0)
        check_within("ducking hold", self.hold, 0.0, 5.0)
        roles = tuple(self.under)
        bad = [r for r in roles if r not in TRACK_ROLES or r == "music"]
        if bad or not roles:
            raise ParameterError(f"ducking under: {self.under!r} must name roles among voice, original, sfx")
        object.__setattr__(self, "under", roles)


@dataclass(frozen=True, slots=True)
class LoudnessSettings:
    """Loudness target of the final mix.

    Attributes
    ----------
    target : float in [-40, -5]
        Integrated loudness in LUFS (-14 is what the big platforms play at).
    true_peak : float in [-9, 0]
        Ceiling for the true peak in dBTP.
    max_gain : float in [0, 40]
        Most the mix is raised, in dB (quiet recordings are not pumped up endlessly).
    """

    target: float = -14.0
    true_peak: float = -1.0
    max_gain: float = 20.0

    def __post_init__(self) -> None:
        check_within("loudness target", self.target, -40.0, -5.0)
        check_within("true_peak", self.true_peak, -9.0, 0.0)
        check_within("max_gain", self.max_gain, 0.0, 40.0)


