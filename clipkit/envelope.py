"""Envelopes: functions of output time in [0, 1] that drive parameters.

The music analysis turns beats, downbeats and onsets into envelopes; effects and
overlays read them through their keyframe/envelope parameters (a zoom pulse on every
beat, a flash on downbeats). An envelope is any callable mapping seconds on the output
timeline (a float or an array) to values in [0, 1].
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from .errors import ParameterError, describe_value

if TYPE_CHECKING:
    from .nodes import RenderContext

__all__ = [
    "ENVELOPE_SOURCES",
    "Envelope",
    "PulseEnvelope",
    "pulse_envelope",
    "analysis_events",
    "music_envelope",
    "check_envelope_spec",
]

ENVELOPE_SOURCES = ("beats", "downbeats", "onsets")
"""Events of the edit's music an envelope can pulse on."""


@runtime_checkable
class Envelope(Protocol):
    """A function of output time (seconds) with values in [0, 1]."""

    def __call__(self, t: float | np.ndarray) -> float | np.ndarray: ...


class PulseEnvelope:
    """Attack/decay pulses at given times, scaled by per-event strengths.

    Parameters
    ----------
    times : sequence of float
        Event times in seconds on the output timeline (beats, onsets...).
    strengths : sequence of float in [0, 1], optional
        Peak height of each pulse; all 1 when omitted.
    attack : float >= 0
        Seconds to rise from 0 to the peak; the peak sits exactly on the event.
    decay : float > 0
        Time constant of the exponential fall after the peak, in seconds.

    Notes
    -----
    Overlapping pulses take the maximum, not the sum, so values stay in [0, 1].
    """

    def __init__(
        self,
        times: Sequence[float] | np.ndarray,
        strengths: Sequence[float] | np.ndarray | None = None,
        *,
        attack: float = 0.01,
        decay: float = 0.15,
    ) -> None:
        if attack < 0:
            raise ParameterError(f"attack: {attack!r} is below 0 seconds")
        if decay <= 0:
            raise ParameterError(f"decay: {decay!r} must be above 0 seconds")
        t = np.asarray(times, dtype=np.float64).reshape(-1)
        order = np.argsort(t, kind="stable")
        self.times = t[order]
        if strengths is None:
            s = np.ones_like(self.times)
        else:
            s = np.asarray(strengths, dtype=np.float64).reshape(-1)
            if s.shape != t.shape:
                raise ParameterError(f"strengths: {s.size} values for {t.size} times")
            s = s[order]
        if s.size and (s.min() < 0 or s.max() > 1):
            raise ParameterError("strengths: every value must be in [0, 1]")
        self.strengths = s
        self.attack = float(attack)
        self.decay = float(decay)

    def __call__(self, t: float | np.ndarray) -> float | np.ndarray:
        scalar = np.ndim(t) == 0
        tt = np.atleast_1d(np.asarray(t, dtype=np.float64))
        out = np.zeros_like(tt)
        if self.times.size:
            # the previous event (decaying) and the next one (attacking) are all that matter
            nxt = np.searchsorted(self.times, tt, side="left")
            prev = nxt - 1
            has_prev = prev >= 0
            p = np.clip(prev, 0, None)
            dt = tt - self.times[p]
            out = np.where(has_prev, self.strengths[p] * np.exp(-np.maximum(dt, 0) / self.decay), 0.0)
            if self.attack > 0:
                has_next = nxt < self.times.size
                n = np.clip(nxt, 0, self.times.size - 1)
                lead = self.times[n] - tt
                rise = np.where(has_next & (lead < self.attack), self.strengths[n] * (1 - lead / self.attack), 0.0)
                out = np.maximum(out, rise)
            # exactly on an event: the full peak
            exact = (nxt < self.times.size) & (self.times[np.clip(nxt, 0, self.times.size - 1)] == tt)
            out = np.where(exact, self.strengths[np.clip(nxt, 0, self.times.size - 1)], out)
        out = np.clip(out, 0.0, 1.0)
        return float(out[0]) if scalar else out


def pulse_envelope(
    times: Sequence[float] | np.ndarray,
    strengths: Sequence[float] | np.ndarray | None = None,
    *,
    attack: float = 0.01,
    decay: float = 0.15,
) -> PulseEnvelope:
    """Build a :class:`PulseEnvelope` (see there for the parameters)."""
    return PulseEnvelope(times, strengths, attack=attack, decay=decay)


def analysis_events(analysis: Any, source: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Times and strengths (``None`` when it has none) of ``source`` events in a music analysis."""
    if source not in ENVELOPE_SOURCES:
        raise ParameterError(f"envelope: {source!r} is not one of {', '.join(ENVELOPE_SOURCES)}")
    if source == "beats":
        times, strengths = analysis.beats, getattr(analysis, "beat_strengths", None)
    elif source == "downbeats":
        times, strengths = analysis.downbeats, None
    else:
        times, strengths = analysis.onsets, getattr(analysis, "onset_strengths", None)
    times = np.asarray(times, dtype=np.float64)
    if strengths is not None:
        strengths = np.asarray(strengths, dtype=np.float64)
        if strengths.shape != times.shape:
            strengths = None
    return times, strengths


def music_envelope(ctx: RenderContext, source: str, *, attack: float, decay: float) -> PulseEnvelope | None:
    """Pulses on the ``source`` events of the edit's music (``None`` when it has no music)."""
    analysis = ctx.analysis()
    if analysis is None:
        return None
    times, strengths = analysis_events(analysis, source)
    return pulse_envelope(times, strengths, attack=attack, decay=decay)


def check_envelope_spec(spec: Mapping[str, Any], *, field: str) -> tuple[Any, float, float]:
    """Check the shared fields of an envelope value ``{envelope, attack, decay, from, to}``.

    Returns ``(source, attack, decay)``; ``from``/``to`` are the caller's to check, in
    its own units. ``source`` is one of :data:`ENVELOPE_SOURCES` or an envelope callable.
    """
    extra = set(spec) - {"envelope", "attack", "decay", "from", "to"}
    if extra:
        raise ParameterError(f"{field}: unknown field {sorted(extra)[0]!r} in an envelope; use envelope, attack, decay, from, to")
    source = spec["envelope"]
    if isinstance(source, str):
        if source not in ENVELOPE_SOURCES:
            raise ParameterError(f"{field}.envelope: {describe_value(source)} is not one of {', '.join(ENVELOPE_SOURCES)}")
    elif not callable(source):
        raise ParameterError(f"{field}.envelope: {describe_value(source)} is neither a name nor an envelope callable")
    attack, decay = spec.get("attack", 0.01), spec.get("decay", 0.2)
    if isinstance(attack, bool) or not isinstance(attack, (int, float)) or not 0 <= float(attack) <= 2:
        raise ParameterError(f"{field}.attack: {describe_value(attack)} is outside 0..2 seconds")
    if isinstance(decay, bool) or not isinstance(decay, (int, float)) or not 0 < float(decay) <= 10:
        raise ParameterError(f"{field}.decay: {describe_value(decay)} must be above 0 and at most 10 seconds")
    return source, float(attack), float(decay)
