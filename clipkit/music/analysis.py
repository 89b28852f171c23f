"""Music analysis: tempo, beats, downbeats, onsets, energy and high-energy sections.

How it works (one STFT; the front end is an *engine*, see :mod:`clipkit.music.engines`):

1. **Onset envelopes.** Mono audio at 22 050 Hz, a centred 2048-point STFT every
   512 samples (23 ms), 128 Slaney mel bands in dB, and the half-wave rectified
   frame-to-frame rise averaged over all bands, over the bands below 1.5 kHz (the
   body: kick, snare, bass, chords) and below 200 Hz (the low end: kick, bass), plus
   the loudness-weighted rise of the low band's amplitude. The beat is tracked on the
   full band plus the body (bright hi-hats alone cannot carry it).
2. **Tempo.** The autocorrelation of the pulse plus the low band gives a salience for
   every period: its own peak, half its double's and quadruple's (a beat repeats at its
   multiples), and half the peak at half the period (a beat is subdivided; a period of
   three eighths, which off-beat hats and strums make look regular, is not). A
   log-normal prior around ``start_bpm`` weighs it, inside ``tempo_range``, and so does
   the low band: where kick and bass repeat clearly, a period they repeat at at no
   octave is discounted (a swing's walking bass rules out the 3:2 reading its swung
   "and"s suggest). The period is also read in 8-second windows; when few of them
   agree with the whole song's reading (a tempo change: no single period fits both
   halves), the period most windows read is taken.
3. **Beats.** Ellis' dynamic programme (as librosa's ``beat_track``): each frame scores
   its onset strength plus the best previous beat one period earlier, with a
   log-squared penalty for deviating from the period. The period may drift along the
   song: where the local autocorrelation, scored like the song's tempo (with its
   subdivision), clearly repeats at 0.78-1.28 times the song's period, the penalty is
   measured from the local period (tempo changes, sways). The
   backtrace starts from the best end point of the last beat and a half, weak beats at
   the ends are trimmed, and the grid is carried to the ends while onsets keep coming.
4. **Phase, over the whole song.** A bright off-beat (a country strum, a reggae skank,
   an open hat, a swung "and") can be the loudest attack. The low-band flux on the
   grid is compared with the grid shifted by 1/3, 1/2 and 2/3 of a beat; when a shift
   carries clearly more low end, the beats are tracked again on an envelope led by the
   low band and that grid is kept if it sits on more low end than all its shifts. The
   same comparison over every stretch of ``PHASE_SPAN`` beats catches a grid that left
   the beat part of the way through (:func:`_slips_off_the_low_end`).
5. **Tempo octave.** Listeners tap 80-160 BPM and follow the low end. The tempo is
   doubled when the points halfway between beats carry the low end and the body as the
   beats do (kick and snare on every half beat), or the loudness-weighted low end hits
   as hard there, or the loudest attacks sit on the quarter points (a boom-chick read
   at half speed); it is halved when the low end alternates between hits and nothing
   and nothing subdivides the beats (a 70 BPM oom-pah read at 140). Last, the harmony
   decides between octaves those checks cannot tell apart (a half-time groove at 160
   and a backbeat at 80 look alike between the beats): chords and bass notes change
   once a bar, so the grid at half or double the period is taken when its
   ``beats_per_bar`` bars are clearly clearer (:func:`_bar_clarity`; even bars only).
   Two checks keep the tempo from doubling onto what only subdivides it: the grid at
   twice the tempo must itself be subdivided (:func:`_doubled_is_subdivided`), and the
   harmony does not double a grid whose low end hits on every beat while nothing
   beat-like comes between them (chords that change twice a bar at a slow tempo), nor
   halve onto a grid with a backbeat or an oom-pah between its beats
   (:func:`_half_beats_are_beats`; the same chords at a fast tempo look like chords
   once a bar at half of it).
   The other octave is reported in ``tempo_alternatives``.
6. **Confidence.** For each beat, the correlation of the envelope around it (eight
   beats either side) with itself one or two beats later: music repeats from beat to
   beat, speech and noise do not. A grid shorter than the window (16 beats) holds
   fewer repetitions, so its confidence is scaled by the square root of the share its
   beats fill (whichever engine's envelope it was tracked on). A song whose mean beat
   confidence is below ``MIN_TRACK_CONFIDENCE`` has no beat ("no steady beat");
   sections carry their mean.
7. **Sub-frame refinement.** Each beat moves to the sub-frame peak of the envelope,
   minus the flux's measured lag behind the attack.
8. **Downbeats (bar phase).** librosa has no downbeat tracker. Bars start where the
   low end and the harmony change: for every beat we measure (a) the spectral flux below
   200 Hz (kick drums and new bass notes), (b) how much the log-mel spectrum below
   2 kHz differs between the beat after and the beat before (chord/bass changes). Each
   is standardised over the song; their sum is averaged over the beats of each of the
   ``beats_per_bar`` possible phases, and the phase with the highest mean accent gives
   the downbeats. The full-band onset strength is deliberately left out: the loudest
   hits are often the snare or clap on 2 and 4 (the backbeat), not the bar's start.
9. **Onsets.** Peaks of the onset envelope (local maximum over 30 ms, above the
   0.2 s local mean by a margin, at least 30 ms apart), with strengths in [0, 1].
10. **Energy and sections.** RMS loudness in dB smoothed over one second gives an
    energy curve in [0, 1] (1 = the loudest second, 0 = 40 dB below or silence).
    High-energy sections (drops, choruses) are the spans clearly above the song's
    usual level, at least 4 s long, snapped to bar lines.

Silence, speech, noise and sounds shorter than ``MIN_BEAT_SECONDS`` give an analysis
with no beats (tempo 0) and a ``no_beat_reason``, never an error.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..errors import ParameterError
from .engines import DEFAULT_ENGINE, check_engine, compute_features

__all__ = ["Analysis", "Section", "analyze", "analyze_signal", "ANALYSIS_VERSION", "ANALYSIS_SR", "DEFAULT_TEMPO_RANGE"]

ANALYSIS_VERSION = 6
"""Bumped whenever results change; part of the cache key."""

ANALYSIS_SR = 22_050
"""Sample rate the analysis runs at."""

DEFAULT_TEMPO_RANGE = (70.0, 180.0)

N_FFT = 2048
# The log-mel flux peaks about this long after a percussive attack (measured on click
# tracks at several tempi; the STFT frame must contain the attack's energy to rise).
ONSET_LAG = -0.019
SILENCE_RMS = 10 ** (-60 / 20)  # below -60 dBFS RMS everywhere: treat as silence
ENERGY_RATE = 10.0
BODY_WEIGHT = 1.0  # weight of the body band (< 1.5 kHz) in the tracking pulse
LOW_WEIGHT = 1.0  # weight of the low band (< 200 Hz) added for the tempo reading
HALVE_LOW_RATIO = 0.35  # weak/strong low-end rise of alternate beats that halves the tempo
QUARTER_RATIO = 1.5  # attacks on the quarter points / on the beats that mean half tempo
DOUBLE_RISE_RATIO = 0.9  # low-end rise between the beats / on them that doubles the tempo
SUBDIVISION_RATIO = 0.35  # attacks halfway / on the beats the harmony step needs before it doubles
# attacks between the beats / on them below which nothing is played there: the grid is
# the fastest pulse (a tatum, halved when its low end alternates), or the grid at twice
# the tempo would not be subdivided (so it is not doubled). Measured on the generated
# set (30 s, seeds 1-8): halfway between the beats, 0.02-0.09 on every pattern read at
# twice its tempo (boom-chick, polka, skank, two_chord, house, disco, four-on-the-floor
# at 70-77 BPM) against 0.33-0.51 on rock at 150 BPM; at the quarter points, 0.14-0.16
# on trap at 70-90 BPM and 0.04-0.11 on four-on-the-floor, house and ballad at 70-85,
# against 0.32-0.52 on two_chord, rock and dnb at 150-180 read at half speed, whose quiet
# eighth-note hats do subdivide the beat (at 0.35, two_chord at 180 and 16 s of rock at
# 150 with a drop were read at half speed)
TATUM_RATIO = 0.2
PHASE_RATIO = 1.25  # low end off the grid / on it that triggers the phase check
PHASE_SHIFTS = (1 / 3, 1 / 2, 2 / 3)  # beat fractions the grid is compared with (straight and swung off-beats)
PHASE_SPAN = 16  # beats per stretch in which a slip off the low end is looked for
MIN_TRACK_CONFIDENCE = 0.45  # mean beat confidence below which there is no beat
FULL_CONFIDENCE = 0.5  # beat-to-beat correlation that counts as full confidence
CONFIDENCE_SPAN = 8  # beat periods on either side of a beat in its confidence window
CONFIDENCE_DRIFT = 1  # frames of tempo drift allowed inside the window
MIN_BEAT_SECONDS = 2.0  # shorter sounds get onsets but no beat grid
DRIFT_WINDOW = 6.0  # seconds per local tempo reading
DRIFT_MIN_PEAK = 0.2  # weakest autocorrelation peak trusted as a local tempo
DRIFT_RANGE = (0.78, 1.28)  # local/song period ratios followed: +-20 % tempo changes, not 3:4 or 4:3 (0.75, 1.33)
DRIFT_GAIN = 0.05  # how much better the local period must repeat than the song's
DRIFT_TOLERANCE = 0.045  # local tempo this close to the song's: steady
EDGE_TOLERANCE = 0.97  # a tempo 3 % outside tempo_range still counts as inside
LISTENER_TEMPI = (80.0, 160.0)  # the BPM most listeners tap; the nearer octave is the likelier alternative
DOUBLE_WEIGHT = 0.5
PRIOR_OCTAVES = 0.7
OFFBEAT_MIN_RATIO = 0.4  # each band's off-beat/beat ratio needed to double the tempo
OFFBEAT_SUM_RATIO = 1.35  # and the two ratios' sum
QUAD_WEIGHT = 0.5
HALF_WEIGHT = 0.5
BAR_MARGIN = math.log(1.15)  # how much clearer another octave's bars must be to move to it
MIN_BARS = 4  # bars a grid needs before its bar clarity is trusted
LOW_FIT_SHARE = 0.5  # share of the low band's clearest periodicity that counts as a fit
LOW_MISFIT = 0.5  # tempo score kept by a period the low band does not repeat at
LOW_MIN_PERIODICITY = 0.3  # low-band autocorrelation below which the low band has no say
TEMPO_WINDOW = 8.0  # seconds per local reading of the song's period
MIN_AGREEMENT = 0.4  # share of the windows that must read the whole song's period
AGREE_TOLERANCE = 0.05  # periods this close read the same tempo


@dataclass(frozen=True, slots=True)
class Section:
    """A span of high energy (a drop, a chorus).

    Attributes
    ----------
    start, end : float
        Seconds; both on bar lines when the song has downbeats there.
    energy : float in [0, 1]
        Mean energy over the span.
    confidence : float in [0, 1]
        Mean beat confidence over the span (how clearly its beat grid is heard; 0
        without beats).
    """

    start: float
    end: float
    energy: float
    confidence: float = 0.0

    @property
    def duration(self) -> float:
        """``end - start`` in seconds."""
        return self.end - self.start


def _f64(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).reshape(-1)


@dataclass(frozen=True, slots=True, eq=False)
class Analysis:
    """What the music analysis found. Times are seconds, strengths in [0, 1].

    Attributes
    ----------
    duration : float
        Seconds of audio analysed (after windowing: of the window).
    tempo : float
        Beats per minute; 0 when no beat was found.
    beats, beat_strengths : np.ndarray
        Beat times and the onset strength at each beat.
    downbeats : np.ndarray
        The beats that start a bar.
    beats_per_bar : int
        Beats in a bar (the meter the bar phase was estimated for).
    onsets, onset_strengths : np.ndarray
        Note/drum attack times and their strengths.
    sections : tuple of Section
        High-energy spans, in time order.
    envelope : np.ndarray
        The onset envelope in [0, 1], one value per ``1 / envelope_rate`` seconds,
        the first at ``envelope_start`` seconds.
    envelope_rate, envelope_start : float
        Sampling of :attr:`envelope`.
    energy : np.ndarray
        Loudness curve in [0, 1] (see the module notes), sampled like the envelope but
        at ``energy_rate`` per second from ``energy_start``.
    energy_rate, energy_start : float
        Sampling of :attr:`energy`.
    params : dict
        The analysis parameters (part of the cache key).
    tempo_alternatives : tuple of float
        The other tempo octave(s) listeners may tap (half and double :attr:`tempo`,
        the likelier first); empty without beats.
    confidence : np.ndarray
        How strongly the audio supports the beat grid, in [0, 1], one value per beat
        of the analysed song (see :meth:`confidence_at` and :attr:`beat_confidence`).
    confidence_times : np.ndarray
        Times of the :attr:`confidence` values (the beats they were measured at).
    no_beat_reason : str
        Why there are no beats ("silence", "too short (...)", "no steady beat (...)");
        empty when there are beats.
    """

    duration: float
    tempo: float
    beats: np.ndarray
    beat_strengths: np.ndarray
    downbeats: np.ndarray
    beats_per_bar: int
    onsets: np.ndarray
    onset_strengths: np.ndarray
    sections: tuple[Section, ...] = ()
    envelope: np.ndarray = field(default_factory=lambda: np.zeros(0))
    envelope_rate: float = ANALYSIS_SR / 512
    envelope_start: float = 0.0
    energy: np.ndarray = field(default_factory=lambda: np.zeros(0))
    energy_rate: float = ENERGY_RATE
    energy_start: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)
    tempo_alternatives: tuple[float, ...] = ()
    confidence: np.ndarray = field(default_factory=lambda: np.zeros(0))
    confidence_times: np.ndarray = field(default_factory=lambda: np.zeros(0))
    no_beat_reason: str = ""

    # -- derived ------------------------------------------------------------------------
    @property
    def bars(self) -> np.ndarray:
        """Alias of :attr:`downbeats` (bar lines)."""
        return self.downbeats

    @property
    def is_empty(self) -> bool:
        """True when no beat was found (silence, noise, a very short file)."""
        return self.beats.size == 0

    @property
    def beat_period(self) -> float:
        """Seconds per beat (``60 / tempo``); 0 without beats."""
        return 60.0 / self.tempo if self.tempo > 0 else 0.0

    @property
    def strongest_section(self) -> Section | None:
        """The section with the highest energy (the longest on ties), if any."""
        if not self.sections:
            return None
        return max(self.sections, key=lambda s: (round(s.energy, 3), s.duration))

    def energy_at(self, t: float | np.ndarray) -> float | np.ndarray:
        """Energy in [0, 1] at time(s) ``t`` (linear interpolation; the ends held outside)."""
        times = self.energy_start + np.arange(self.energy.size) / self.energy_rate
        out = np.interp(t, times, self.energy) if self.energy.size else np.zeros_like(np.asarray(t, float))
        return float(out) if np.ndim(out) == 0 else out

    def confidence_at(self, t: float | np.ndarray) -> float | np.ndarray:
        """Beat confidence in [0, 1] at time(s) ``t``: that of the nearest measured beat
        (0 outside the beats' span by more than one beat period, and without beats)."""
        times = np.asarray(t, dtype=np.float64)
        if self.confidence.size == 0:
            out = np.zeros_like(times)
        else:
            ref = self.confidence_times
            idx = np.clip(np.searchsorted(ref, times), 1, max(1, ref.size - 1)) if ref.size > 1 else np.zeros(times.shape, np.int64)
            if ref.size > 1:
                left = ref[idx - 1]
                idx = np.where(np.abs(times - left) <= np.abs(ref[idx] - times), idx - 1, idx)
            reach = self.beat_period if self.beat_period > 0 else 0.5
            out = np.where(np.abs(ref[idx] - times) <= reach * 1.01, self.confidence[idx], 0.0)
        return float(out) if np.ndim(out) == 0 else out

    @property
    def beat_confidence(self) -> np.ndarray:
        """Confidence in [0, 1] of each of :attr:`beats`."""
        return np.asarray(self.confidence_at(self.beats), dtype=np.float64).reshape(-1)

    def envelope_times(self) -> np.ndarray:
        """Times of the :attr:`envelope` samples."""
        return self.envelope_start + np.arange(self.envelope.size) / self.envelope_rate

    # -- timeline -----------------------------------------------------------------------
    def window(self, start: float = 0.0, end: float | None = None, *, at: float = 0.0) -> Analysis:
        """The part from ``start`` to ``end`` seconds, moved so ``start`` falls at ``at``.

        This is how song times become output times: a song heard from its second 30,
        placed 2 s into the edit, is ``analysis.window(30, 30 + length, at=2)``.

        Parameters
        ----------
        start : float >= 0
            First second kept.
        end : float > start, optional
            Second after the last one kept (defaults to the end of the analysis).
        at : float
            Where ``start`` lands.
        """
        if start < 0:
            raise ParameterError(f"window start: {start!r} is below 0")
        stop = self.duration if end is None else float(end)
        if stop <= start:
            raise ParameterError(f"window end: {end!r} is not after start {start!r}")
        shift = at - start

        def keep(times: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
            mask = (times >= start - 1e-9) & (times < stop - 1e-9)
            return [times[mask] + shift] + [o[mask] for o in others]

        beats, strengths = keep(self.beats, self.beat_strengths)
        (downbeats,) = keep(self.downbeats)
        onsets, onset_strengths = keep(self.onsets, self.onset_strengths)
        sections = tuple(
            Section(max(s.start, start) + shift, min(s.end, stop) + shift, s.energy, s.confidence)
            for s in self.sections
            if s.end > start and s.start < stop and min(s.end, stop) - max(s.start, start) > 0
        )
        env_a = max(0, int(math.ceil((start - self.envelope_start) * self.envelope_rate - 1e-9)))
        env_b = max(env_a, int(math.ceil((stop - self.envelope_start) * self.envelope_rate - 1e-9)))
        en_a = max(0, int(math.ceil((start - self.energy_start) * self.energy_rate - 1e-9)))
        en_b = max(en_a, int(math.ceil((stop - self.energy_start) * self.energy_rate - 1e-9)))
        conf_keep = (self.confidence_times >= start - 2 * max(self.beat_period, 0.5)) & (self.confidence_times < stop + 2 * max(self.beat_period, 0.5))
        return replace(
            self,
            confidence=self.confidence[conf_keep],
            confidence_times=self.confidence_times[conf_keep] + shift,
            duration=min(stop, self.duration) - start,
            beats=beats,
            beat_strengths=strengths,
            downbeats=downbeats,
            onsets=onsets,
            onset_strengths=onset_strengths,
            sections=sections,
            envelope=self.envelope[env_a:env_b],
            envelope_start=self.envelope_start + env_a / self.envelope_rate + shift,
            energy=self.energy[en_a:en_b],
            energy_start=self.energy_start + en_a / self.energy_rate + shift,
        )

    # -- serialisation ------------------------------------------------------------------
    def to_dict(self, *, curves: bool = False) -> dict[str, Any]:
        """Plain JSON-ready data (``curves=True`` adds the envelope and energy curves)."""
        out: dict[str, Any] = {
            "duration": round(self.duration, 6),
            "tempo": round(self.tempo, 3),
            "beats_per_bar": self.beats_per_bar,
            "beats": [round(float(t), 4) for t in self.beats],
            "beat_strengths": [round(float(s), 3) for s in self.beat_strengths],
            "downbeats": [round(float(t), 4) for t in self.downbeats],
            "onsets": [round(float(t), 4) for t in self.onsets],
            "onset_strengths": [round(float(s), 3) for s in self.onset_strengths],
            "tempo_alternatives": [round(t, 3) for t in self.tempo_alternatives],
            "beat_confidence": [round(float(c), 3) for c in self.beat_confidence],
            "sections": [
                {"start": round(s.start, 4), "end": round(s.end, 4), "energy": round(s.energy, 3), "confidence": round(s.confidence, 3)}
                for s in self.sections
            ],
            "params": dict(self.params),
        }
        if self.is_empty:
            out["no_beat_reason"] = self.no_beat_reason
        if curves:
            out["envelope"] = {"rate": self.envelope_rate, "start": self.envelope_start, "values": [round(float(v), 4) for v in self.envelope]}
            out["energy"] = {"rate": self.energy_rate, "start": self.energy_start, "values": [round(float(v), 4) for v in self.energy]}
        return out

    def _arrays(self) -> dict[str, np.ndarray]:
        meta = {
            "duration": self.duration,
            "tempo": self.tempo,
            "beats_per_bar": self.beats_per_bar,
            "envelope_rate": self.envelope_rate,
            "envelope_start": self.envelope_start,
            "energy_rate": self.energy_rate,
            "energy_start": self.energy_start,
            "params": self.params,
            "tempo_alternatives": list(self.tempo_alternatives),
            "no_beat_reason": self.no_beat_reason,
        }
        sections = np.array([[s.start, s.end, s.energy, s.confidence] for s in self.sections], dtype=np.float64).reshape(-1, 4)
        return {
            "meta": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
            "beats": self.beats,
            "beat_strengths": self.beat_strengths,
            "downbeats": self.downbeats,
            "onsets": self.onsets,
            "onset_strengths": self.onset_strengths,
            "sections": sections,
            "envelope": self.envelope.astype(np.float32),
            "energy": self.energy.astype(np.float32),
            "confidence": self.confidence.astype(np.float32),
            "confidence_times": self.confidence_times,
        }

    @classmethod
    def _from_arrays(cls, data: Any) -> Analysis:
        meta = json.loads(bytes(data["meta"]).decode())
        return cls(
            duration=float(meta["duration"]),
            tempo=float(meta["tempo"]),
            beats=_f64(data["beats"]),
            beat_strengths=_f64(data["beat_strengths"]),
            downbeats=_f64(data["downbeats"]),
            beats_per_bar=int(meta["beats_per_bar"]),
            onsets=_f64(data["onsets"]),
            onset_strengths=_f64(data["onset_strengths"]),
            sections=tuple(Section(float(a), float(b), float(e), float(c)) for a, b, e, c in np.asarray(data["sections"]).reshape(-1, 4)),
            envelope=_f64(data["envelope"]),
            envelope_rate=float(meta["envelope_rate"]),
            envelope_start=float(meta["envelope_start"]),
            energy=_f64(data["energy"]),
            energy_rate=float(meta["energy_rate"]),
            energy_start=float(meta["energy_start"]),
            params=dict(meta["params"]),
            tempo_alternatives=tuple(float(t) for t in meta["tempo_alternatives"]),
            confidence=_f64(data["confidence"]),
            confidence_times=_f64(data["confidence_times"]),
            no_beat_reason=str(meta["no_beat_reason"]),
        )

    def __repr__(self) -> str:
        return (
            f"Analysis(duration={self.duration:.2f}s, tempo={self.tempo:.1f}, beats={self.beats.size}, "
            f"downbeats={self.downbeats.size}, onsets={self.onsets.size}, sections={len(self.sections)})"
        )


# ---------------------------------------------------------------------------------------
# parameters


def check_params(
    *,
    hop_length: int,
    tempo_range: Sequence[float],
    start_bpm: float,
    beats_per_bar: int,
    tightness: float,
    engine: str = DEFAULT_ENGINE,
) -> dict[str, Any]:
    """Validate analysis parameters and return them as the cache-key dict."""
    check_engine(engine)
    if isinstance(hop_length, bool) or not isinstance(hop_length, int) or not 64 <= hop_length <= 4096:
        raise ParameterError(f"hop_length: {hop_length!r} must be a whole number of samples in 64..4096")
    try:
        lo, hi = (float(v) for v in tempo_range)
    except (TypeError, ValueError):
        raise ParameterError(f"tempo_range: {tempo_range!r} must be two numbers (min_bpm, max_bpm)") from None
    if not (20 <= lo < hi <= 400):
        raise ParameterError(f"tempo_range: {tempo_range!r} must satisfy 20 <= min < max <= 400 BPM")
    if isinstance(start_bpm, bool) or not isinstance(start_bpm, (int, float)) or not 20 <= start_bpm <= 400:
        raise ParameterError(f"start_bpm: {start_bpm!r} must be a tempo in 20..400 BPM")
    if isinstance(beats_per_bar, bool) or not isinstance(beats_per_bar, int) or not 1 <= beats_per_bar <= 16:
        raise ParameterError(f"beats_per_bar: {beats_per_bar!r} must be a whole number in 1..16")
    if isinstance(tightness, bool) or not isinstance(tightness, (int, float)) or not 0 < tightness <= 10_000:
        raise ParameterError(f"tightness: {tightness!r} must be in (0, 10000]")
    return {
        "hop_length": int(hop_length),
        "tempo_range": [lo, hi],
        "start_bpm": float(start_bpm),
        "beats_per_bar": int(beats_per_bar),
        "tightness": float(tightness),
        "engine": engine,
        "version": ANALYSIS_VERSION,
    }


# ---------------------------------------------------------------------------------------
# the analysis


def analyze_signal(
    y: np.ndarray,
    sr: int,
    *,
    hop_length: int = 512,
    tempo_range: Sequence[float] = DEFAULT_TEMPO_RANGE,
    start_bpm: float = 120.0,
    beats_per_bar: int = 4,
    tightness: float = 100.0,
    engine: str = DEFAULT_ENGINE,
) -> Analysis:
    """Analyse audio samples already in memory (see :func:`clipkit.music.analyze`).

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (channels, n)
        Samples in [-1, 1]; several channels are averaged.
    sr : int > 0
        Sample rate of ``y`` (resampled to 22 050 Hz internally).
    hop_length : int in [64, 4096]
        Samples between analysis frames at 22 050 Hz.
    tempo_range : (float, float)
        Preferred tempo range in BPM; the estimate stays inside it.
    start_bpm : float in [20, 400]
        Centre of the log-normal tempo prior.
    beats_per_bar : int in [1, 16]
        Meter used for the downbeats.
    tightness : float > 0
        How strictly beats keep to the tempo (librosa's ``tightness``).
    engine : {'clipkit', 'librosa'}
        Front end computing the onset envelopes (see :mod:`clipkit.music.engines`).

    Returns
    -------
    Analysis
    """
    params = check_params(hop_length=hop_length, tempo_range=tempo_range, start_bpm=start_bpm, beats_per_bar=beats_per_bar, tightness=tightness, engine=engine)
    if isinstance(sr, bool) or not isinstance(sr, (int, np.integer)) or sr <= 0:
        raise ParameterError(f"sr: {sr!r} must be a positive sample rate")
    data = np.asarray(y, dtype=np.float32)
    if data.ndim == 2:
        data = data.mean(axis=0)
    elif data.ndim != 1:
        raise ParameterError(f"y: shape {data.shape} must be (n,) or (channels, n)")
    if not np.all(np.isfinite(data)):
        data = np.nan_to_num(data, nan=0.0, posinf=0.0, neginf=0.0)
    if sr != ANALYSIS_SR and data.size:
        import soxr

        data = soxr.resample(data, int(sr), ANALYSIS_SR).astype(np.float32)
    return _analyze(data, ANALYSIS_SR, params)


def analyze(
    music: str | os.PathLike[str] | Any,
    *,
    hop_length: int = 512,
    tempo_range: Sequence[float] = DEFAULT_TEMPO_RANGE,
    start_bpm: float = 120.0,
    beats_per_bar: int = 4,
    tightness: float = 100.0,
    engine: str = DEFAULT_ENGINE,
    cache: bool = True,
) -> Analysis:
    """Analyse a song: tempo, beats, downbeats, onsets, energy and loud sections.

    Parameters
    ----------
    music : str, os.PathLike or AudioClip
        Any file PyAV reads (MP3, M4A, WAV, a video's sound track), or a
        :class:`clipkit.AudioClip` (then times are relative to the clip's start and
        only its span is kept; the whole file is analysed and cached).
    hop_length : int in [64, 4096]
        Samples between analysis frames at 22 050 Hz (512 = 23 ms).
    tempo_range : (float, float)
        Preferred tempo range in BPM, ``(70, 180)`` by default; half- or double-tempo
        readings outside it are folded back in.
    start_bpm : float in [20, 400]
        Centre of the tempo prior.
    beats_per_bar : int in [1, 16]
        Beats per bar for the downbeats (4 for 4/4, 3 for waltz time).
    tightness : float > 0
        How strictly beats keep to one tempo.
    engine : {'clipkit', 'librosa'}
        Front end computing the onset envelopes (see :mod:`clipkit.music.engines`
        and the measurements in ``docs/music.md``); part of the cache key.
    cache : bool
        Read and write the on-disk cache (see :mod:`clipkit.music.cache`).

    Returns
    -------
    Analysis
        Silence and files too short to hold a beat give ``tempo == 0`` and no beats.

    Raises
    ------
    MediaError
        Missing or unreadable files, or files without sound.
    """
    from . import cache as cache_module

    params = check_params(hop_length=hop_length, tempo_range=tempo_range, start_bpm=start_bpm, beats_per_bar=beats_per_bar, tightness=tightness, engine=engine)
    clip = None
    if hasattr(music, "path") and hasattr(music, "start") and hasattr(music, "end") and not isinstance(music, (str, os.PathLike)):
        clip = music
        path = os.fspath(music.path)
    elif isinstance(music, (str, os.PathLike)):
        path = os.fspath(music)
    else:
        raise ParameterError(f"music: {music!r} is neither a file path nor a clipkit.AudioClip")
    if not os.path.isfile(path):
        from ..errors import MediaError

        raise MediaError(path, "file not found")
    result: Analysis | None = None
    key = cache_module.content_key(path, params) if cache else None
    if key is not None:
        entry = cache_module.load_entry(key)
        if entry is not None:
            try:
                result = Analysis._from_arrays(entry)
            except (KeyError, ValueError, TypeError):
                result = None
    if result is None and key is not None:
        # another process (a batch worker) may be analysing this song right now: wait
        # for it and read its entry instead of analysing the song a second time
        with cache_module.entry_lock(key):
            entry = cache_module.load_entry(key)
            if entry is not None:
                try:
                    result = Analysis._from_arrays(entry)
                except (KeyError, ValueError, TypeError):
                    result = None
            if result is None:
                result = _analyze_file(path, params)
                cache_module.store_entry(key, result._arrays())
    if result is None:
        result = _analyze_file(path, params)
    if clip is not None:
        end = min(float(clip.end), result.duration) if result.duration > float(clip.start) else None
        if end is None:
            return _empty(0.0, params, rate=result.envelope_rate)
        result = result.window(float(clip.start), end, at=0.0)
    return result


def _analyze_file(path: str, params: dict[str, Any]) -> Analysis:
    """Decode and analyse ``path``. PyAV is imported here, not in :func:`analyze`: a
    cache hit in a fresh worker then costs milliseconds instead of PyAV's import."""
    from ..media.audio import load_audio

    y, sr = load_audio(path, sr=ANALYSIS_SR, mono=True)
    return _analyze(np.ascontiguousarray(y[0]), sr, params)


def _empty(duration: float, params: dict[str, Any], *, envelope: np.ndarray | None = None, rate: float, energy: np.ndarray | None = None, reason: str = "silence") -> Analysis:
    z = np.zeros(0)
    return Analysis(
        duration=duration,
        tempo=0.0,
        beats=z,
        beat_strengths=z,
        downbeats=z,
        beats_per_bar=params["beats_per_bar"],
        onsets=z,
        onset_strengths=z,
        envelope=z if envelope is None else envelope,
        envelope_rate=rate,
        energy=z if energy is None else energy,
        params=params,
        no_beat_reason=reason,
    )


def _analyze(y: np.ndarray, sr: int, params: dict[str, Any]) -> Analysis:
    hop = params["hop_length"]
    duration = y.size / sr
    rate = sr / hop
    if y.size < N_FFT or float(np.max(np.abs(y), initial=0.0)) < SILENCE_RMS:
        reason = "silence" if y.size >= N_FFT and duration >= MIN_BEAT_SECONDS else _too_short(duration)
        return _empty(duration, params, rate=rate, reason=reason)
    feats = compute_features(params["engine"], y, sr, n_fft=N_FFT, hop_length=hop)
    onset = feats.onset
    peak = float(np.percentile(onset, 99.5)) if onset.size else 0.0
    envelope = np.clip(onset / peak, 0.0, 1.0) if peak > 0 else np.zeros_like(onset)
    energy = _energy_curve(feats.rms, rate)
    if float(feats.rms.max(initial=0.0)) < SILENCE_RMS or peak <= 0:
        return _empty(duration, params, envelope=envelope, rate=rate, energy=energy, reason="silence")

    lo, hi = params["tempo_range"]
    pulse = _pulse_envelope(feats)
    # a beat needs a few periods to be heard: shorter sounds get onsets, no grid
    low_pulse = _unit(feats.onset_low) + _unit(feats.low_rise)
    period = _song_period(_tempo_envelope(feats), low_pulse, rate, lo, hi, params["start_bpm"]) if duration >= MIN_BEAT_SECONDS else None
    beat_frames = np.zeros(0)
    if period is not None:
        tight = params["tightness"]
        drift = _tempo_drift(_tempo_envelope(feats), rate, period)
        beat_frames = _track_beats(pulse, period, tight, drift)
        # phase before octave (the octave checks compare the beats with what lies
        # between them), and again after a change of octave
        beat_frames = _fix_phase(feats, pulse, beat_frames, period, tight, drift)
        octave, beat_frames = _choose_octave(feats, pulse, beat_frames, period, rate, lo, hi, tight, drift)
        if octave != period:
            period = octave
            beat_frames = _fix_phase(feats, pulse, beat_frames, period, tight, drift)
        period, beat_frames = _prefer_clear_bars(feats, pulse, beat_frames, period, rate, lo, hi, tight, drift, params["beats_per_bar"])
    onset_frames = _pick_onsets(onset, rate)
    onset_strengths = _strengths_at(envelope, onset_frames)
    onsets = _refine(envelope, onset_frames) / rate - ONSET_LAG
    confidence = np.zeros(0)
    alternatives: tuple[float, ...] = ()
    reason = ""
    if beat_frames.size >= 4:
        confidence = _confidence_curve(feats, pulse, beat_frames)
        if float(np.mean(confidence)) < MIN_TRACK_CONFIDENCE:
            gap = float(np.median(np.diff(beat_frames)))
            found = min(beat_frames.size, onset.size / gap)
            short = _evidence(found) < 1.0
            reason = "no steady beat (speech, free time or noise" + (f"; {duration:.1f} s gives a grid of only {found:.0f} beats, too few to be sure)" if short else ")")
            beat_frames = np.zeros(0)
    else:
        reason = "no steady beat (speech, free time or noise)" if duration >= MIN_BEAT_SECONDS else _too_short(duration)
    if beat_frames.size < 4:
        # a few isolated hits are not a beat
        beats = np.zeros(0)
        tempo = 0.0
        strengths = np.zeros(0)
        downbeats = np.zeros(0)
        confidence = np.zeros(0)
    else:
        beats = _refine(envelope, beat_frames) / rate - ONSET_LAG
        strengths = _strengths_at(envelope, beat_frames.astype(np.int64))
        tempo = 60.0 / float(np.median(np.diff(beats)))
        alternatives = _alternatives(tempo, lo, hi)
        phase = _bar_phase(feats, beat_frames.astype(np.int64), params["beats_per_bar"])
        downbeats = beats[phase :: params["beats_per_bar"]]
    confidence_times = beats.copy()
    keep = onsets >= 0
    onsets, onset_strengths = onsets[keep], onset_strengths[keep]
    first = int(np.searchsorted(beats, 0.0)) if beats.size else 0
    if first:
        strengths, beats = strengths[first:], beats[first:]
        downbeats = downbeats[downbeats >= 0]
    analysis = Analysis(
        duration=duration,
        tempo=tempo,
        beats=beats,
        beat_strengths=strengths,
        downbeats=downbeats,
        beats_per_bar=params["beats_per_bar"],
        onsets=onsets,
        onset_strengths=onset_strengths,
        envelope=envelope,
        envelope_rate=rate,
        envelope_start=-ONSET_LAG,
        energy=energy,
        params=params,
        tempo_alternatives=alternatives,
        confidence=confidence,
        confidence_times=confidence_times,
        no_beat_reason=reason if beats.size == 0 else "",
    )
    return replace(analysis, sections=_sections(analysis))


def _too_short(duration: float) -> str:
    return f"too short for a beat ({duration:.3f} s; at least {MIN_BEAT_SECONDS:g} s needed)"


def _unit(env: np.ndarray) -> np.ndarray:
    """``env`` scaled to unit standard deviation (zeros stay zeros)."""
    sd = float(env.std())
    return env / sd if sd > 0 else np.zeros_like(env)


def _pulse_envelope(feats: Any) -> np.ndarray:
    """The envelope beats are tracked on: full-band flux plus the flux below 1.5 kHz,
    each scaled to unit deviation. The second term keeps bright off-beat hi-hats from
    outvoting the kick and snare that carry the beat."""
    return _unit(feats.onset) + BODY_WEIGHT * _unit(feats.onset_body)


def _tempo_envelope(feats: Any) -> np.ndarray:
    """The envelope the tempo is read from: the pulse plus the flux below 200 Hz.

    The low band is where the beat's own instruments (kick, bass) live; off-beat hats,
    strums and skanks repeat at every eighth note, so on the full band alone a period of
    three eighths (a 3:2 error) can look as regular as the beat."""
    return _pulse_envelope(feats) + LOW_WEIGHT * _unit(feats.onset_low)


def _support(env: np.ndarray, frames: np.ndarray) -> float:
    """Mean of ``env``'s peak within one frame of each frame (0 without frames)."""
    frames = np.asarray(frames, dtype=np.int64)
    if frames.size == 0:
        return 0.0
    n = env.size
    return float(np.mean(np.max(np.stack([env[np.clip(frames + d, 0, n - 1)] for d in (-1, 0, 1)]), axis=0)))


def _midpoints(frames: np.ndarray) -> np.ndarray:
    frames = np.asarray(frames, dtype=np.int64)
    return (frames[:-1] + frames[1:]) // 2


def _doubled_is_subdivided(feats: Any, frames: np.ndarray) -> bool:
    """True when the grid at twice this tempo would still have attacks between its
    beats, straight (halfway) or swung (a third or two thirds of the way).

    A beat is subdivided; the fastest pulse of a song (its tatum) is not, and a grid
    moved onto it is the "half the beat" reading the halving check undoes. The doubled
    grid's beats are these beats and their midpoints; its subdivisions are the quarter
    points of these beats (and the swung points around them). Without attacks there
    (``TATUM_RATIO`` of those on the doubled grid's beats) the tempo is not
    doubled, whatever the cues between the beats say: the eighth-note hats under a
    72 BPM trap groove subdivide that tempo, they are not the beats of one twice as
    fast (trap at 70-74 BPM was doubled on some seeds)."""
    frames = np.asarray(frames, dtype=np.int64)
    if frames.size < 3:
        return False
    full = _unit(feats.onset)
    gaps = np.diff(frames)
    doubled = np.sort(np.concatenate([frames, _midpoints(frames)]))
    on = _support(full, doubled)
    if on <= 0:
        return False
    base = frames[:-1]
    between = max(
        _support(full, np.concatenate([np.round(base + f * gaps), np.round(base + (0.5 + f) * gaps)])) for f in (1 / 6, 1 / 4, 1 / 3)
    )
    return between >= TATUM_RATIO * on


def _low_on_every_beat(feats: Any, frames: np.ndarray) -> bool:
    """True when the loudness-weighted low end hits on every beat of the grid: the
    weaker of alternate beats carries at least ``HALVE_LOW_RATIO`` of the stronger's
    (the opposite of the halving check's "hits and nothing" alternation)."""
    frames = np.asarray(frames, dtype=np.int64)
    rise = _unit(feats.low_rise)
    even, odd = _support(rise, frames[0::2]), _support(rise, frames[1::2])
    return max(even, odd) > 0 and min(even, odd) >= HALVE_LOW_RATIO * max(even, odd)


def _midpoints_carry_a_beat(feats: Any, frames: np.ndarray) -> bool:
    """True when the points halfway between the beats carry the low end by loudness
    (``HALVE_LOW_RATIO`` of the beats' low-band rise) or the low end and the body
    together (:func:`_offbeats_carry_body`): a grid through them would have a beat
    there, not just a subdivision."""
    frames = np.asarray(frames, dtype=np.int64)
    rise = _unit(feats.low_rise)
    on = _support(rise, frames)
    return (on > 0 and _support(rise, _midpoints(frames)) >= HALVE_LOW_RATIO * on) or _offbeats_carry_body(feats, frames)


def _choose_octave(
    feats: Any, pulse: np.ndarray, frames: np.ndarray, period: float, rate: float, lo: float, hi: float, tightness: float, drift: np.ndarray | None
) -> tuple[float, np.ndarray]:
    """Move the grid to the tempo octave listeners tap (see the module notes, step 5)."""
    factor = _octave_move(feats, pulse, frames, period, rate, lo, hi)
    if factor == 1.0:
        return period, frames
    period *= factor
    return period, _track_beats(pulse, period, tightness, drift)


def _octave_move(feats: Any, pulse: np.ndarray, frames: np.ndarray, period: float, rate: float, lo: float, hi: float) -> float:
    """The factor on the period the checks between the beats ask for: 0.5 (twice the
    tempo), 2.0 (half the tempo) or 1.0 (keep)."""
    if frames.size < 8:
        return 1.0
    bpm = rate * 60.0 / period
    if bpm * 2 <= hi / EDGE_TOLERANCE and _asks_to_double(feats, pulse, frames):
        return 0.5
    # halve: the low band alternates between hits and nothing from beat to beat, and
    # nothing subdivides the beats (the grid is the fastest pulse, the tatum): a
    # boom-chick or oom-pah at 70 BPM read as 140
    if bpm / 2 >= lo * EDGE_TOLERANCE:
        full = _unit(feats.onset)
        rise = _unit(feats.low_rise)
        even, odd = _support(rise, frames[0::2]), _support(rise, frames[1::2])
        strong, weak = max(even, odd), min(even, odd)
        between = _support(full, _midpoints(frames))
        on = _support(full, frames)
        if strong > 0 and weak < HALVE_LOW_RATIO * strong and between < TATUM_RATIO * on:
            return 2.0
    return 1.0


def _half_beats_are_beats(feats: Any, frames: np.ndarray) -> bool:
    """True when a backbeat (:func:`_backbeat_between`) or an oom-pah
    (:func:`_offbeats_on_quarters`) lies between the beats and the grid at twice the
    tempo is subdivided: the points halfway are beats of a grid twice as fast."""
    frames = np.asarray(frames, dtype=np.int64)
    if frames.size < 8:
        return False
    return (_backbeat_between(feats, frames) or _offbeats_on_quarters(feats, frames)) and _doubled_is_subdivided(feats, frames)


def _asks_to_double(feats: Any, pulse: np.ndarray, frames: np.ndarray) -> bool:
    """True when what lies halfway between the beats is a beat of a grid twice as fast
    (see the module notes, step 5) and that grid is itself subdivided."""
    frames = np.asarray(frames, dtype=np.int64)
    rise = _unit(feats.low_rise)
    # the points halfway between beats carry the low end and the body as the beats do
    # (a kick and snare on every half beat), or the loudness-weighted low end hits as
    # hard there (a kick on every half beat): the low-band pulse is twice as fast
    on_low = _support(rise, frames)
    low_between = _support(rise, _midpoints(frames)) / on_low if on_low > 0 else 0.0
    cues = (
        _offbeats_carry_body(feats, frames)
        or low_between >= DOUBLE_RISE_RATIO
        or _offbeats_on_quarters(feats, frames)
        or _backbeat_between(feats, frames)
    )
    # the subdivision check speaks for this tempo only where the audio supports its
    # grid at all (an orchestral rubato read at half speed has no steady grid at
    # either octave to keep)
    return bool(cues and (_doubled_is_subdivided(feats, frames) or float(np.mean(_confidence_curve(feats, pulse, frames))) < MIN_TRACK_CONFIDENCE))


def _harmony_change(feats: Any, frames: np.ndarray) -> np.ndarray:
    """How much the sustained sound below 2 kHz changes at each beat, one value per beat.

    Each beat's spectrum is the per-band median of the log-mel frames up to the next
    beat (the median keeps what rings through the beat, the chord and the bass note,
    and drops the drum hits), with its mean over the bands removed (a loud beat is not
    a new chord); the change at a beat is the cosine distance between its spectrum and
    the previous beat's. The first beat gets the median change."""
    frames = np.asarray(frames, dtype=np.int64)
    mel = feats.mel_db
    n = mel.shape[1]
    bounds = np.concatenate([frames, [min(n, frames[-1] + (frames[-1] - frames[-2]))]])
    spectra = np.stack([np.median(mel[:, a : max(a + 1, b)], axis=1) for a, b in zip(bounds[:-1], bounds[1:])])
    spectra = spectra - spectra.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(spectra, axis=1)
    norms = np.where(norms > 0, norms, 1.0)
    cosine = np.sum(spectra[1:] * spectra[:-1], axis=1) / (norms[1:] * norms[:-1])
    change = np.concatenate(([0.0], 1.0 - cosine))
    change[0] = float(np.median(change[1:]))
    return change


def _bar_clarity(feats: Any, frames: np.ndarray, beats_per_bar: int) -> float | None:
    """How clearly the harmony changes once every ``beats_per_bar`` beats of this grid
    (log of a ratio; 0 = no bar structure), or None for fewer than ``MIN_BARS`` bars.

    The contrast of a period ``k`` is the mean change on the best of its ``k`` phases
    over the mean change; the clarity is the contrast at the bar over the contrast at
    half the bar, so a grid whose beats merely alternate (kick, snare) does not count
    as having bars. Chords and bass notes change on bar lines far more often than
    elsewhere (Goto and Muraoka's chord-change cue), so on a grid at twice the played
    tempo they change every two "bars", on a grid at half the tempo twice per "bar".
    Only even bars are measured (the half bar is the reference): in 3/4 a grid at half
    the tempo puts a bar line every one and a half of its beats, which no phase of the
    contrast can describe, so there is nothing to compare."""
    frames = np.asarray(frames, dtype=np.int64)
    if beats_per_bar < 2 or beats_per_bar % 2 or frames.size < MIN_BARS * beats_per_bar or frames.size < 3:
        return None
    change = _harmony_change(feats, frames)
    mean = float(change.mean())
    if mean <= 0:
        return None

    def contrast(k: int) -> float:
        return max(float(change[p::k].mean()) for p in range(k)) / mean

    return math.log(contrast(beats_per_bar) / contrast(beats_per_bar // 2))


def _prefer_clear_bars(
    feats: Any,
    pulse: np.ndarray,
    frames: np.ndarray,
    period: float,
    rate: float,
    lo: float,
    hi: float,
    tightness: float,
    drift: np.ndarray | None,
    beats_per_bar: int,
) -> tuple[float, np.ndarray]:
    """Move to the other tempo octave when its grid has clearly clearer bars.

    The checks in :func:`_choose_octave` look at what lies between the beats; a
    half-time groove (kick on 1, snare on 3) at 160 BPM and a backbeat at 80 BPM, or a
    house groove at 70 BPM and one at 140, can look the same there. What differs is
    where the harmony moves: once a bar of ``beats_per_bar`` beats at the played tempo.
    The grids at half and double the period (inside ``tempo_range``) are tracked and
    phase-checked like the first; one whose :func:`_bar_clarity` beats the current
    grid's by ``BAR_MARGIN`` is taken (the clearest if both do). Doubling also needs
    attacks halfway between the current beats (``SUBDIVISION_RATIO`` of those on them)."""
    here = _bar_clarity(feats, frames, beats_per_bar)
    if here is None:
        return period, frames
    bpm = rate * 60.0 / period
    best = (here + BAR_MARGIN, period, frames)
    for factor in (0.5, 2.0):
        other = bpm / factor
        if not lo * EDGE_TOLERANCE <= other <= hi / EDGE_TOLERANCE:
            continue
        # twice as fast only where something is played between the beats: chords that
        # change twice a bar over an empty half beat do not make eighths into beats
        if factor < 1 and _support(_unit(feats.onset), _midpoints(frames)) < SUBDIVISION_RATIO * _support(_unit(feats.onset), frames):
            continue
        # nor where the low end already hits on every beat and what comes between
        # them carries none of what makes a beat (neither the low end by loudness nor
        # low end and body together): that grid is the low-band pulse listeners
        # follow, and chords that change twice a bar do not make its eighths beats
        if factor < 1 and _low_on_every_beat(feats, frames) and not _midpoints_carry_a_beat(feats, frames):
            continue
        alt_period = period * factor
        alt = _fix_phase(feats, pulse, _track_beats(pulse, alt_period, tightness, drift), alt_period, tightness, drift)
        # nor half as fast onto a grid whose half beats hold a beat of a grid twice as
        # fast, by its figure: a snare or clap on every half beat (a backbeat) or the
        # loudest attacks on its quarter points with the low end back halfway (an
        # oom-pah), over a subdivided grid. Chords that change every two beats look
        # like chords once a bar at half the tempo (a 140-160 BPM pop song with two
        # chords a bar, a 160 BPM polka whose chord changes with each two-beat bar,
        # were read at half speed). Only by those figures: the loudness of low end and
        # body halfway also comes from a syncopated kick on the "and" of a slow beat
        # (syncopated at 72-92 BPM, which the harmony rightly halves from 144-184)
        if factor > 1 and _half_beats_are_beats(feats, alt):
            continue
        clarity = _bar_clarity(feats, alt, beats_per_bar)
        if clarity is not None and clarity > best[0]:
            best = (clarity, alt_period, alt)
    return best[1], best[2]


def _fix_phase(feats: Any, pulse: np.ndarray, frames: np.ndarray, period: float, tightness: float, drift: np.ndarray | None = None) -> np.ndarray:
    """Put the grid on the downbeat side of the beat, checked over the whole track.

    A bright off-beat (strum, skank, open hat, clap, a swung "and") can be the loudest
    attack and pull the tracker off the beat. Over the whole song, compare the flux
    below 200 Hz on the grid with the grid shifted by a third, a half and two thirds of
    a beat; when a shift carries clearly more low end, track again on an envelope led
    by the low band, and keep that grid if its low end stands out more from its shifts."""
    if frames.size < 4:
        return frames
    # the low end both as new notes (log flux) and as loudness (amplitude rise): an
    # octave-bass bounce on the "and" is a new note, but the kick on the beat is louder
    low = 0.5 * (_unit(feats.onset_low) + _unit(feats.low_rise))

    def on_and_off(grid: np.ndarray) -> tuple[float, float]:
        gaps = np.diff(grid)
        base = grid[:-1]
        shifted = [_support(low, np.round(base + f * gaps)) for f in PHASE_SHIFTS]
        return _support(low, grid), max(shifted)

    on, off = on_and_off(frames)
    whole = off > PHASE_RATIO * on
    # a stretch that slipped is looked for only on a grid the audio supports: in free
    # time (an orchestra's rubato read at half speed, confidence 0.22) there is no
    # steady phase to slip from, and every grid "slips" somewhere
    if not whole and not (_slips_off_the_low_end(low, frames) and float(np.mean(_confidence_curve(feats, pulse, frames))) >= MIN_TRACK_CONFIDENCE):
        return frames
    led = 2.0 * low + _unit(feats.onset_body)
    again = _track_beats(led, period, tightness, drift)
    if again.size >= 4:
        on_again, off_again = on_and_off(again)
        # kept when it sits on clearly more low end relative to its shifts (a half-beat
        # shift as strong as the grid is the octave's business, decided next); a
        # grid re-tracked for a stretch that slipped must itself slip nowhere (in
        # free time, an orchestra's rubato, every grid slips somewhere, and trading
        # one for another only loses the pulse)
        if on_again - off_again > on - off and (whole or not _slips_off_the_low_end(low, again)):
            return again
    return frames


def _slips_off_the_low_end(low: np.ndarray, frames: np.ndarray) -> bool:
    """True when some stretch of ``PHASE_SPAN`` beats of the grid carries clearly less
    low end than one of its shifts (``PHASE_RATIO``), though the song as a whole does not.

    The programme can leave the beat for a bright off-beat part of the way through and
    stay there (every later beat as regular as before): the end of a 178 BPM swing
    followed the swung "and"s for its last eight seconds, too short a stretch to tip
    the whole song's comparison. Measured per stretch, it does; the grid tracked on the
    low-led envelope is then kept by the same whole-song test as before, if it slips
    nowhere itself."""
    frames = np.asarray(frames, dtype=np.int64)
    if frames.size < PHASE_SPAN + 1:
        return False
    gaps = np.diff(frames)
    base = frames[:-1]
    n = low.size

    def peaks(points: np.ndarray) -> np.ndarray:
        points = np.asarray(points, dtype=np.int64)
        return np.max(np.stack([low[np.clip(points + d, 0, n - 1)] for d in (-1, 0, 1)]), axis=0)

    on = _moving_average(peaks(base), PHASE_SPAN)
    off = np.max(np.stack([_moving_average(peaks(np.round(base + f * gaps)), PHASE_SPAN) for f in PHASE_SHIFTS]), axis=0)
    inside = slice(PHASE_SPAN // 2, base.size - PHASE_SPAN // 2)
    return bool(np.any(off[inside] > PHASE_RATIO * np.maximum(on[inside], 1e-9)))


def _confidence_curve(feats: Any, pulse: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """How strongly the audio supports the beat grid, in [0, 1], one value per beat.

    For each beat: the correlation of the (locally de-meaned) envelope over the eight
    beat periods on either side with itself one period later (the best lag within one
    frame of the song's period, which allows for drift), on the pulse and on the
    low-led envelope, the larger one, and at two beats as well (a grid folded to twice
    the played pulse repeats every other beat). ``FULL_CONFIDENCE`` or more counts as
    full confidence. Measured mean per song: 0.51-0.94 on the six real recordings in
    shared/media, 0.8-1 on steady generated grooves, 0.19-0.5 on generated speech-like
    sound and 0.25-0.37 on noise."""
    frames = np.asarray(frames, dtype=np.int64)
    if frames.size < 2:
        return np.zeros(frames.size)
    n = pulse.size
    period = max(3, int(round(float(np.median(np.diff(frames))))))
    led = 2.0 * _unit(feats.onset_low) + _unit(feats.onset_body)
    best = np.zeros(frames.size)
    for env in (pulse, led):
        e = env - _moving_average(env, period)
        power = np.concatenate(([0.0], np.cumsum(e * e)))
        # one beat later, or two (a grid folded to twice the played pulse, e.g. a
        # 64 BPM ballad read at 128, repeats every other beat)
        lags = [lag for base in (period, 2 * period) for lag in range(base - CONFIDENCE_DRIFT, base + CONFIDENCE_DRIFT + 1)]
        for lag in lags:
            if lag >= n:
                continue
            prod = np.concatenate(([0.0], np.cumsum(e[:-lag] * e[lag:])))
            a = np.clip(frames - CONFIDENCE_SPAN * period, 0, n - lag)
            b = np.clip(frames + CONFIDENCE_SPAN * period, 0, n - lag)
            cross = prod[b] - prod[a]
            denom = np.sqrt(np.maximum((power[b] - power[a]) * (power[b + lag] - power[a + lag]), 0.0))
            corr = np.where((denom > 0) & (b - a >= 2 * lag), cross / np.where(denom > 0, denom, 1.0), 0.0)
            best = np.maximum(best, corr)
    return np.clip(best / FULL_CONFIDENCE, 0.0, 1.0) * _evidence(min(frames.size, n / period))


def _evidence(beats: float) -> float:
    """How much of a full confidence window (``2 * CONFIDENCE_SPAN`` beats) the grid
    fills, as a factor in (0, 1]: the square root of the share, 1 from that many on.

    ``beats`` is the number of beats the grid found, at most as many periods as the
    sound holds. A correlation measured over few beats says little (its error grows as
    one over the square root of the repetitions it compares): over the 5.3 s, eleven
    beat periods, of the unaccompanied trumpet loop in shared/media a chance grid at
    123.5 BPM (the loop is 90) correlated as well as half of a steady groove, and short
    speech-like clips reach that too, while a steady groove of a few seconds still
    correlates fully. Counting the grid's own beats, not the sound's periods, makes
    the discount the same whatever envelope the engine gives: on the trumpet loop both
    engines' grids hold only six beats (the tracker found nothing steady in the rest),
    and librosa's envelope, which repeats a little better there, no longer lifts its
    grid over the cut-off (0.47 before)."""
    return math.sqrt(min(1.0, max(0.0, float(beats)) / (2 * CONFIDENCE_SPAN)))


def _alternatives(tempo: float, lo: float, hi: float) -> tuple[float, ...]:
    """The other tempo octave(s) a listener might tap: half and double, the one
    closest to the 80-160 BPM listeners favour first."""
    out = [t for t in (tempo / 2, tempo * 2) if 30.0 <= t <= 300.0]
    centre = math.sqrt(LISTENER_TEMPI[0] * LISTENER_TEMPI[1])
    return tuple(round(t, 3) for t in sorted(out, key=lambda t: abs(math.log2(t / centre))))


def _moving_average(x: np.ndarray, size: int) -> np.ndarray:
    from scipy.ndimage import uniform_filter1d

    return uniform_filter1d(x, size=max(1, size), mode="nearest")


def _song_period(onset: np.ndarray, low: np.ndarray, rate: float, lo: float, hi: float, start_bpm: float) -> float | None:
    """The song's beat period in frames: the whole song's reading, unless the song
    changes tempo and that reading is heard in few of its parts.

    A song that moves from 120 to 144 BPM has no autocorrelation peak at either tempo
    over its whole length (each holds for half of it), but a period that fits both
    halves poorly can win (96 BPM: five eighths of one, three of the other). So the
    period is also read in ``TEMPO_WINDOW``-second windows (every half window); when
    fewer than ``MIN_AGREEMENT`` of them read the whole song's period (within
    ``AGREE_TOLERANCE``, at any octave), the period most windows read is taken instead,
    and the tempo drift (:func:`_tempo_drift`) follows the rest."""
    whole = _estimate_period(onset, rate, lo, hi, start_bpm, low=low)
    win = int(round(TEMPO_WINDOW * rate))
    if whole is None or onset.size < 2 * win:
        return whole
    hop = win // 2
    local = [_estimate_period(onset[a : a + win], rate, lo, hi, start_bpm, low=low[a : a + win]) for a in range(0, onset.size - win + 1, hop)]
    local = np.array([p for p in local if p is not None])
    if local.size < 3:
        return whole

    def agree(period: float, others: np.ndarray, octaves: tuple[float, ...]) -> int:
        return int(sum(np.sum(np.abs(others / (period * k) - 1.0) <= AGREE_TOLERANCE) for k in octaves))

    if agree(whole, local, (0.5, 1.0, 2.0)) >= MIN_AGREEMENT * local.size:
        return whole
    votes = [agree(p, local, (1.0,)) for p in local]
    best = int(np.argmax(votes))
    near = local[np.abs(local / local[best] - 1.0) <= AGREE_TOLERANCE]
    return float(np.median(near))


def _autocorrelation(onset: np.ndarray, rate: float, max_lag: int) -> np.ndarray | None:
    """Unbiased autocorrelation of the locally de-meaned envelope, 1 at lag 0, lags
    ``0 .. max_lag + 1`` (None for a flat envelope)."""
    e = onset - _moving_average(onset, int(round(rate * 0.5)))
    n = e.size
    size = 1 << int(math.ceil(math.log2(2 * n)))
    spec = np.fft.rfft(e, size)
    acf = np.fft.irfft(spec.real**2 + spec.imag**2, size)[: max_lag + 2]
    if acf[0] <= 0:
        return None
    return acf / (n - np.arange(acf.size)) * n / acf[0]


def _estimate_period(onset: np.ndarray, rate: float, lo: float, hi: float, start_bpm: float, *, low: np.ndarray | None = None) -> float | None:
    """Beat period in frames: the autocorrelation peak under the tempo prior.

    ``low`` (the low-band pulse, kick and bass) weighs the prior: where the low band
    repeats clearly, a period it does not repeat at, at any octave, is discounted down
    to ``LOW_MISFIT`` (the walking bass of a 70 BPM swing does not fit the 105 BPM its
    swung "and"s suggest). The low band's autocorrelation at the period, its half, its
    double or its quadruple (a syncopated kick may repeat only once a bar) counts
    alike, so this does not pick the octave, and any fit of at least
    ``LOW_FIT_SHARE`` of the low band's clearest periodicity is a full fit (a
    syncopated kick repeats at odd spans too; only a clear misfit is discounted)."""
    n = onset.size
    max_lag = int(min(n - 3, math.ceil(rate * 60.0 / lo * 4.2)))
    min_lag = int(max(1, math.floor(rate * 60.0 / hi)))
    if max_lag <= min_lag + 2:
        return None
    acf = _autocorrelation(onset, rate, max_lag)
    if acf is None:
        return None
    # salience on a fine tempo grid: the period's own peak plus half its double's,
    # which favours the level the pattern actually repeats at over its subdivisions
    bpms = np.exp(np.linspace(np.log(lo), np.log(hi), 600))
    lags = rate * 60.0 / bpms
    # read each multiple as the peak within a lag of it: the autocorrelation's peaks
    # are one or two lags wide, and interpolating between integer lags at a fractional
    # multiple (a 168 BPM beat is 15.4 frames) reads a flank instead of the peak, which
    # handed the tempo to whichever reading happened to fall on whole lags
    from scipy.ndimage import maximum_filter1d

    tolerant = maximum_filter1d(acf, size=3, mode="nearest")
    grid = np.arange(acf.size)
    own = np.interp(lags, grid, tolerant)
    double = np.interp(np.minimum(2 * lags, acf.size - 1), grid, tolerant)
    quad = np.interp(np.minimum(4 * lags, acf.size - 1), grid, tolerant)
    # a beat is subdivided (eighths repeat at half its period); a period of three
    # eighths, which off-beat hats and strums make look regular, is not: its half
    # falls between the eighths, where the autocorrelation is negative, and counts so
    half = np.interp(lags / 2, grid, tolerant)
    salience = np.maximum(own + DOUBLE_WEIGHT * double + QUAD_WEIGHT * quad + HALF_WEIGHT * half, 0.0)
    prior = np.exp(-0.5 * (np.log2(bpms / start_bpm) / PRIOR_OCTAVES) ** 2)
    score = salience * prior
    low_acf = _autocorrelation(low, rate, max_lag) if low is not None and low.size == n else None
    if low_acf is not None:
        grid = np.arange(low_acf.size)
        fits = np.max(np.stack([np.interp(np.minimum(k * lags, low_acf.size - 1), grid, low_acf) for k in (0.5, 1.0, 2.0, 4.0)]), axis=0)
        clearest = float(fits.max())
        if clearest >= LOW_MIN_PERIODICITY:
            # a period the low band repeats at half as clearly as its clearest one (or
            # better) fits; below that the score falls, to LOW_MISFIT at no fit at all
            fit = np.clip(fits / (LOW_FIT_SHARE * clearest), 0.0, 1.0)
            score = score * (LOW_MISFIT + (1.0 - LOW_MISFIT) * fit)
    if not np.any(score > 0):
        return None
    best = int(np.argmax(score))
    lag = float(lags[best])
    # refine on the integer-lag autocorrelation with a parabola through its peak
    k = int(round(lag))
    if 1 <= k < acf.size - 1:
        window = range(max(1, k - 1), min(acf.size - 1, k + 2))
        k = max(window, key=lambda j: acf[j])
        a, b, c = acf[k - 1], acf[k], acf[k + 1]
        denom = a - 2 * b + c
        if denom < 0:
            offset = 0.5 * (a - c) / denom
            if abs(offset) <= 1:
                refined = k + offset
                if rate * 60.0 / hi * 0.97 <= refined <= rate * 60.0 / lo * 1.03:
                    lag = refined
    return lag


def _track_beats(onset: np.ndarray, period: float, tightness: float, drift: np.ndarray | None = None) -> np.ndarray:
    """Ellis' dynamic-programming beat tracker; returns beat frames (ints as floats).

    ``drift`` (one value per frame, see :func:`_tempo_drift`) scales the period along
    the song, so the log-squared penalty is measured from the local period: a tempo
    change or a slow sway is followed instead of fought."""
    std = float(onset.std())
    if std <= 0:
        return np.zeros(0)
    norm = onset / std
    half = int(round(period))
    k = np.arange(-half, half + 1)
    window = np.exp(-0.5 * (k * 32.0 / period) ** 2)
    local = np.convolve(norm, window, mode="same")
    n = local.size
    scale = np.ones(n) if drift is None or drift.size != n else np.asarray(drift, dtype=np.float64)
    lo_off = max(1, int(round(period * float(scale.min()) / 2)))
    hi_off = max(lo_off + 1, int(round(2 * period * float(scale.max()))))
    offsets = np.arange(hi_off, lo_off - 1, -1)  # distance back to the candidate previous beat
    log_offsets = np.log(offsets)
    steady = drift is None or float(np.ptp(scale)) < 1e-6
    txcost = -tightness * (log_offsets - math.log(period * float(scale[0]))) ** 2
    cum = np.zeros(n)
    back = np.full(n, -1, dtype=np.int64)
    threshold = 0.01 * float(local.max())
    started = False
    for i in range(n):
        a = i - hi_off
        b = i - lo_off + 1
        if b <= 0:
            cum[i] = local[i]
            continue
        skip = max(0, -a)
        if not steady:
            txcost = -tightness * (log_offsets - math.log(period * scale[i])) ** 2
        cand = txcost[skip:] + cum[a + skip : b]
        j = int(np.argmax(cand))
        cum[i] = local[i] + cand[j]
        if not started and local[i] < threshold:
            back[i] = -1
        else:
            back[i] = a + skip + j
            started = True
    # the last beat: the last local maximum of the cumulative score that is high enough
    peaks = np.flatnonzero((cum[1:-1] > cum[:-2]) & (cum[1:-1] >= cum[2:])) + 1
    if peaks.size == 0:
        return np.zeros(0)
    median = float(np.median(cum[peaks]))
    good = peaks[cum[peaks] >= 0.5 * median]
    i = int(good[-1]) if good.size else int(peaks[-1])
    # the backtrace starts from the best end point within the last beat and a half,
    # not simply the last peak: ending on a loud off-beat would pull the whole end of
    # the grid onto the off-beats before the path rejoins the beat
    near_end = good[good >= i - 1.5 * period * float(scale[i])] if good.size else np.zeros(0, np.int64)
    if near_end.size:
        i = int(near_end[np.argmax(cum[near_end])])
    beats = []
    while i >= 0:
        beats.append(i)
        i = int(back[i])
    frames = np.array(beats[::-1], dtype=np.int64)
    if frames.size < 2:
        return frames.astype(np.float64)
    # trim weak beats at both ends (silence before the music, a fade at the end)
    smooth = np.convolve(local[frames], np.hanning(5), mode="same") if frames.size >= 5 else local[frames]
    thresh = 0.5 * math.sqrt(float(np.mean(smooth**2)))
    strong = np.flatnonzero(smooth > thresh)
    if strong.size == 0:
        return np.zeros(0)
    kept = [int(f) for f in frames[strong[0] : strong[-1] + 1]]
    # the programme's end point rarely sits on the last beat: carry the grid on to the
    # ends while clear onsets keep arriving on time (recovers first and last beats)
    reach = max(1, int(round(period * 0.1)))
    floor = 0.5 * float(np.median(local[kept]))
    while True:
        guess = int(round(kept[-1] + period * scale[min(n - 1, kept[-1])]))
        if guess + reach >= n:
            break
        j = guess - reach + int(np.argmax(local[guess - reach : guess + reach + 1]))
        if local[j] < floor:
            break
        kept.append(j)
    while True:
        guess = int(round(kept[0] - period * scale[max(0, kept[0])]))
        if guess - reach < 1:
            break
        j = guess - reach + int(np.argmax(local[guess - reach : guess + reach + 1]))
        if local[j] < floor:
            break
        kept.insert(0, j)
    return np.asarray(kept, dtype=np.float64)


def _tempo_drift(env: np.ndarray, rate: float, period: float) -> np.ndarray | None:
    """Local tempo relative to the song's, one value per frame, or None when steady.

    In windows of ``DRIFT_WINDOW`` seconds (every second), the autocorrelation of the
    de-meaned envelope is searched for a peak at 0.78-1.28 times the song's period (the
    same octave; a window cannot switch to half or double time) that, scored with half
    the autocorrelation at its own half (the beat's subdivision), repeats clearly
    better than the song's period there; other windows keep the song's period. The
    ratios are median-filtered over five windows. A song whose local tempo stays within
    ``DRIFT_TOLERANCE`` of its own is steady."""
    n = env.size
    win = int(max(DRIFT_WINDOW * rate, 8 * period))
    if n < 2 * win:
        return None
    e = env - _moving_average(env, int(round(period)))
    # search a wider span than is accepted, so a peak is known to be a peak
    lo, hi = int(math.floor(period * 0.7)), int(math.ceil(period * 1.4))
    if lo < 2 or hi >= win // 2:
        return None
    hop = int(round(rate))
    centres, ratios = [], []
    for a in range(0, n - win + 1, hop):
        seg = e[a : a + win]
        energy = float(seg @ seg)
        if energy <= 0:
            ratios.append(1.0)
            centres.append(a + win // 2)
            continue
        # each period is scored with half the autocorrelation at its own half (a beat
        # is subdivided; a period of three eighths, which off-beat hats and bass
        # bounces make regular, is not)
        full = np.array([float(seg[: win - lag] @ seg[lag:]) / energy for lag in range(hi + 2)])
        lags = np.arange(lo - 1, hi + 2)
        acf = full[lags]
        sal = acf + HALF_WEIGHT * np.maximum(np.interp(lags / 2, np.arange(full.size), full), 0.0)
        # candidates are the autocorrelation's own peaks inside the search range (a
        # slope rising to its edge is another periodicity, a syncopated figure, not
        # this beat sped up or slowed); the best scored of them is the local period
        inner = np.arange(2, acf.size - 2)
        peaks = inner[(acf[inner] >= acf[inner - 1]) & (acf[inner] >= acf[inner + 1]) & (acf[inner] >= DRIFT_MIN_PEAK)]
        ratio = 1.0
        at_song_period = float(np.interp(period, lags, sal))
        j = int(peaks[np.argmax(sal[peaks])]) if peaks.size else 0
        if peaks.size and sal[j] >= at_song_period + DRIFT_GAIN:
            a_, b_, c_ = acf[j - 1], acf[j], acf[j + 1]
            denom = a_ - 2 * b_ + c_
            offset = 0.5 * (a_ - c_) / denom if denom < 0 else 0.0
            ratio = (lo - 1 + j + float(np.clip(offset, -0.5, 0.5))) / period
            if not DRIFT_RANGE[0] <= ratio <= DRIFT_RANGE[1]:
                ratio = 1.0
        ratios.append(ratio)
        centres.append(a + win // 2)
    r = np.asarray(ratios)
    if r.size >= 5:
        from scipy.ndimage import median_filter

        r = median_filter(r, size=5, mode="nearest")
    if float(np.max(np.abs(r - 1.0))) < DRIFT_TOLERANCE:
        return None
    return np.interp(np.arange(n), np.asarray(centres, dtype=np.float64), r)


def _offbeats_on_quarters(feats: Any, frames: np.ndarray) -> bool:
    """True when the loudest attacks fall a quarter and three quarters of the way
    between the beats, and the low end comes back halfway: a boom-chick or oom-pah
    read at half its tempo (its "chick" is the off-beat of a beat twice as fast).

    "Comes back halfway" means more low-band flux at the midpoints than at the
    quarter points, where the bright attacks are. Comparing the midpoints with the
    beats instead made the check depend on the tempo: the beat's kick and bass still
    ring when the note halfway arrives, and the faster the song, the more they mask
    its rise (measured on the skank read at half speed: 0.38 of the beats' low-band
    flux at 120 BPM, 0.26-0.29 at 168-180, where the check stopped firing); the
    quarter points lie just as close behind a loud attack as the midpoints do."""
    frames = np.asarray(frames, dtype=np.int64)
    gaps = np.diff(frames)
    full, low = _unit(feats.onset), _unit(feats.onset_low)
    on = _support(full, frames)
    quarter_points = [np.round(frames[:-1] + f * gaps) for f in (0.25, 0.75)]
    quarters = min(_support(full, q) for q in quarter_points)
    low_quarters = max(_support(low, q) for q in quarter_points)
    low_mid = _support(low, _midpoints(frames))
    return on > 0 and quarters >= QUARTER_RATIO * on and low_mid > low_quarters


def _backbeat_between(feats: Any, frames: np.ndarray) -> bool:
    """True when the body (below 1.5 kHz) hits at least as hard halfway between the
    beats as on them: a snare or clap on every half beat is the backbeat of a beat
    twice as fast (rock or a syncopated groove at 168-180 BPM read at half speed).

    This needs no low end between the beats, which :func:`_offbeats_carry_body` does
    and which fast grooves lose: a syncopated kick a sixteenth before the snare masks
    the snare's low end (0.63 of the beats' low-band flux at 120 BPM, 0.40 at 180). A
    bright chord on the "and" of a slow song (a strum, a skank, an accordion) is as
    loud in the body band, but its grid at twice the tempo is not subdivided, which
    :func:`_doubled_is_subdivided` checks before any doubling."""
    frames = np.asarray(frames, dtype=np.int64)
    body = _unit(feats.onset_body)
    on = _support(body, frames)
    return on > 0 and _support(body, _midpoints(frames)) >= on


def _offbeats_carry_body(feats: Any, beat_frames: np.ndarray) -> bool:
    """True when the points halfway between beats carry both the low end (below 200 Hz)
    and the body (below 1.5 kHz) nearly as hard as the beats do (a kick and snare on
    every half beat read as off-beats): the beat is twice as fast. A strum or skank
    between the beats is bright without low end, an octave bass bounce is low end
    without body: neither doubles the tempo."""
    frames = np.asarray(beat_frames, dtype=np.int64)
    mids = _midpoints(frames)
    ratios = []
    for env in (feats.onset_low, feats.onset_body):
        unit = _unit(env)
        on = _support(unit, frames)
        ratios.append(_support(unit, mids) / on if on > 0 else 0.0)
    return min(ratios) >= OFFBEAT_MIN_RATIO and sum(ratios) >= OFFBEAT_SUM_RATIO


def _refine(envelope: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """Move each frame to the sub-frame peak of the envelope within one frame."""
    out = np.asarray(frames, dtype=np.float64).copy()
    n = envelope.size
    for idx, f in enumerate(np.asarray(frames, dtype=np.int64)):
        if f <= 0 or f >= n - 1:
            continue
        j = f
        if envelope[f - 1] > envelope[j]:
            j = f - 1
        if envelope[f + 1] > envelope[j]:
            j = f + 1
        if j <= 0 or j >= n - 1:
            out[idx] = j
            continue
        a, b, c = envelope[j - 1], envelope[j], envelope[j + 1]
        denom = a - 2 * b + c
        offset = 0.5 * (a - c) / denom if denom < 0 else 0.0
        out[idx] = j + float(np.clip(offset, -0.5, 0.5))
    return out


def _strengths_at(envelope: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """Peak envelope value within one frame of each frame, scaled so the 95th
    percentile of the song's values is 1."""
    frames = np.asarray(frames, dtype=np.int64)
    if frames.size == 0:
        return np.zeros(0)
    n = envelope.size
    vals = np.max(np.stack([envelope[np.clip(frames + d, 0, n - 1)] for d in (-1, 0, 1)]), axis=0)
    ref = float(np.percentile(vals, 95))
    return np.clip(vals / ref, 0.0, 1.0) if ref > 0 else np.zeros_like(vals)


def _pick_onsets(onset: np.ndarray, rate: float) -> np.ndarray:
    """librosa-style peak picking on the onset envelope (frames)."""
    from scipy.ndimage import maximum_filter1d

    lo, hi = float(onset.min()), float(onset.max())
    if hi <= lo:
        return np.zeros(0, dtype=np.int64)
    x = (onset - lo) / (hi - lo)
    pre_max = max(1, int(round(0.03 * rate)))
    local_max = maximum_filter1d(x, size=2 * pre_max + 1, mode="nearest")
    avg = _moving_average(x, 2 * int(round(0.1 * rate)) + 1)
    cands = np.flatnonzero((x >= local_max) & (x >= avg + 0.07) & (x > 0))
    wait = max(1, int(round(0.03 * rate)))
    out = []
    last = -(10**9)
    for c in cands:
        if c - last > wait:
            out.append(c)
            last = c
    return np.asarray(out, dtype=np.int64)


def _zscore(x: np.ndarray) -> np.ndarray:
    sd = float(x.std())
    return (x - x.mean()) / sd if sd > 1e-12 else np.zeros_like(x)


def _bar_phase(feats: Any, beat_frames: np.ndarray, beats_per_bar: int) -> int:
    """Which beat (0..beats_per_bar-1) starts the bars; see the module notes."""
    if beats_per_bar == 1 or beat_frames.size < 2:
        return 0
    n = feats.onset.size
    near = np.stack([np.clip(beat_frames + d, 0, n - 1) for d in (-1, 0, 1)])
    low = feats.onset_low[near].max(axis=0)
    mel = feats.mel_db
    bounds = np.concatenate([beat_frames, [min(n, beat_frames[-1] + (beat_frames[-1] - beat_frames[-2]))]])
    means = np.stack([mel[:, a : max(a + 1, b)].mean(axis=1) for a, b in zip(bounds[:-1], bounds[1:])])
    change = np.zeros(beat_frames.size)
    change[1:] = np.abs(means[1:] - means[:-1]).mean(axis=1)
    change[0] = float(np.median(change[1:])) if beat_frames.size > 1 else 0.0
    accent = _zscore(low) + _zscore(change)
    scores = [float(accent[p::beats_per_bar].mean()) if accent[p::beats_per_bar].size else -np.inf for p in range(beats_per_bar)]
    return int(np.argmax(scores))


def _energy_curve(rms: np.ndarray, rate: float) -> np.ndarray:
    """Loudness over one-second windows, in [0, 1], sampled at ENERGY_RATE."""
    if rms.size == 0:
        return np.zeros(0)
    power = _moving_average(rms.astype(np.float64) ** 2, int(round(rate)))
    step = rate / ENERGY_RATE
    idx = np.clip(np.round(np.arange(0, rms.size, step)).astype(np.int64), 0, rms.size - 1)
    db = 10 * np.log10(np.maximum(power[idx], 1e-12))
    top = float(db.max())
    if top < 20 * math.log10(SILENCE_RMS):
        return np.zeros(idx.size)
    return np.clip((db - (top - 40.0)) / 40.0, 0.0, 1.0)


def _sections(a: Analysis) -> tuple[Section, ...]:
    """High-energy spans: clearly above the song's usual level, >= 4 s, on bar lines."""
    e = a.energy
    if e.size < 4 * ENERGY_RATE:
        return ()
    smooth = _moving_average(e, int(2 * ENERGY_RATE))
    low, high = float(np.percentile(smooth, 10)), float(np.percentile(smooth, 95))
    if high - low < 0.05:  # under 2 dB of dynamics: a flat song has no "drop"
        return ()
    above = smooth >= low + 0.6 * (high - low)
    # spans of consecutive True, merging gaps shorter than 2 s
    spans: list[list[int]] = []
    for i in np.flatnonzero(above):
        if spans and i - spans[-1][1] <= 2 * ENERGY_RATE:
            spans[-1][1] = i
        else:
            spans.append([i, i])
    bars = a.downbeats
    out = []
    for i, j in spans:
        start = a.energy_start + i / ENERGY_RATE
        end = min(a.duration, a.energy_start + (j + 1) / ENERGY_RATE)
        if bars.size:
            k = int(np.argmin(np.abs(bars - start)))
            if abs(bars[k] - start) <= 2.0:
                start = float(bars[k])
            k = int(np.argmin(np.abs(bars - end)))
            if a.duration - end < 1.0:
                end = a.duration  # runs to the end of the song
            elif abs(bars[k] - end) <= 2.0 and bars[k] > start:
                end = float(bars[k])
        if end - start >= 4.0:
            level = float(e[i : j + 1].mean())
            inside = a.beats[(a.beats >= start) & (a.beats < end)]
            sure = float(np.mean(a.confidence_at(inside))) if inside.size else 0.0
            out.append(Section(float(max(0.0, start)), float(end), round(level, 4), round(sure, 4)))
    return tuple(out)
