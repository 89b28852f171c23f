"""Beat envelopes: attack/decay pulses on beats, bar lines or onsets, for any
keyframable parameter (a zoom pulse on every beat, a flash on downbeats, a shake on
strong onsets).

Effects take them by name in templates (``{envelope: beats, from: 1.0, to: 1.1}``,
resolved from the edit's music when the render starts); from Python,
:func:`beat_envelope` builds the callable from an :class:`Analysis` directly.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..envelope import ENVELOPE_SOURCES, PulseEnvelope, analysis_events, pulse_envelope
from ..errors import ParameterError

__all__ = ["ENVELOPE_EVENTS", "beat_envelope"]

ENVELOPE_EVENTS = ENVELOPE_SOURCES


def beat_envelope(
    analysis: Any,
    *,
    on: str = "beats",
    attack: float = 0.01,
    decay: float = 0.15,
    every: int = 1,
    min_strength: float = 0.0,
    use_strengths: bool = True,
) -> PulseEnvelope:
    """A pulse envelope (values in [0, 1]) on the music's events.

    Parameters
    ----------
    analysis : Analysis
        On the output timeline (e.g. from :func:`clipkit.render.plan.music_analysis`).
    on : {'beats', 'downbeats', 'onsets'}
        Which events pulse.
    attack : float >= 0
        Seconds of rise before each event.
    decay : float > 0
        Time constant of the fall after it, in seconds.
    every : int >= 1
        Keep every n-th event (``on="beats", every=2``: beats 1 and 3).
    min_strength : float in [0, 1]
        Drop events weaker than this (``on="onsets", min_strength=0.7``: strong hits).
    use_strengths : bool
        Scale each pulse by its event's strength (downbeats always pulse fully).
    """
    if on not in ENVELOPE_EVENTS:
        raise ParameterError(f"on: {on!r} is not one of {', '.join(ENVELOPE_EVENTS)}")
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ParameterError(f"every: {every!r} must be a whole number >= 1")
    if not 0.0 <= min_strength <= 1.0:
        raise ParameterError(f"min_strength: {min_strength!r} is outside 0..1")
    times, found = analysis_events(analysis, on)
    strengths = np.ones(times.size) if found is None else found
    keep = strengths >= min_strength
    times, strengths = times[keep][::every], strengths[keep][::every]
    return pulse_envelope(times, np.clip(strengths, 0, 1) if use_strengths else None, attack=attack, decay=decay)
