"""The cut planner: where the cuts go so that every one lands on the beat.

Cuts are chosen among candidate times (beats, bar lines or onsets of the analysed
music, already on the output timeline) by a small dynamic programme over output frames:
each candidate has a score (how good a place to cut it is) and each shot a target
length (how long shots should be there); the plan maximises the total score minus a
log-squared penalty for shots far from their target, under hard limits (``min_shot``,
``max_shot``, and each clip's available length). Every cut is placed on the output frame
nearest its beat (``round(t * fps)``).

Modes
-----
``beats``
    A cut every ``every`` beats, counted from the first bar line.
``bars``
    A cut every ``every`` bars, on bar lines.
``onsets``
    Cuts on the strongest note/drum attacks (strength above 0.5), at least
    ``min_shot`` apart.
``auto``
    Cuts on beats, preferring bar lines, half bars and strong beats; shots are about
    two beats long at the song's loudest and two bars long at its quietest, within
    ``min_shot`` and ``max_shot``.

Beat level
----------
``level`` picks the tempo octave the beats are counted at: ``"main"`` (the analysis'
tempo), ``"half"`` (every other beat, from the first bar line), ``"double"`` (a beat
halfway between each two), or ``"alternative"`` (the first of the analysis'
``tempo_alternatives``: half or double, whichever listeners are likelier to tap).
``every=2, level="double"`` cuts once a beat; ``every=1, level="half"`` every other beat.

Low confidence
--------------
Where the analysis' beat confidence is below ``LOW_CONFIDENCE`` (a rubato passage, a
break without drums) the beat grid is not trusted: those beats are poor candidates, and
the strong onsets there become candidates instead, so cuts follow what is heard. Without
any beat (silence, speech) the cuts fall on the onsets when there are some, else on
steady phrase lengths (two seconds, four beats at 120 BPM).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ..errors import ParameterError

__all__ = ["CUT_MODES", "BEAT_LEVELS", "LOW_CONFIDENCE", "PlannedShot", "CutPlan", "plan_cuts", "snap_to_grid", "beats_at_level"]

CUT_MODES = ("auto", "beats", "bars", "onsets")
BEAT_LEVELS = ("main", "half", "double", "alternative")
LOW_CONFIDENCE = 0.4
"""Beat confidence under which the grid yields to onsets."""
FALLBACK_BPM = 120.0
_NEG = -1e18


@dataclass(frozen=True, slots=True)
class PlannedShot:
    """One shot of the plan, on the output frame grid.

    Attributes
    ----------
    index : int
        Position in the edit.
    start_frame, end_frame : int
        Output frames ``[start_frame, end_frame)``.
    start, end : float
        The same in seconds (``frame / fps``).
    """

    index: int
    start_frame: int
    end_frame: int
    start: float
    end: float

    @property
    def frames(self) -> int:
        """Frames in the shot."""
        return self.end_frame - self.start_frame

    @property
    def duration(self) -> float:
        """Seconds (a whole number of frames)."""
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class CutPlan:
    """A shot list whose cuts sit on the music.

    Attributes
    ----------
    shots : tuple of PlannedShot
        In order, back to back from frame 0.
    fps : Fraction
        Output frame rate.
    cut_times : tuple of float
        The musical time (beat, bar line or onset, in output seconds) each cut was
        placed for; ``shots[k + 1].start_frame == round(cut_times[k] * fps)``.
    mode : str
        The mode that planned it.
    """

    shots: tuple[PlannedShot, ...]
    fps: Fraction
    cut_times: tuple[float, ...]
    mode: str

    @property
    def cut_frames(self) -> tuple[int, ...]:
        """Output frame where each cut happens (the first frame of the next shot)."""
        return tuple(s.start_frame for s in self.shots[1:])

    @property
    def total_frames(self) -> int:
        """Frames in the whole plan."""
        return self.shots[-1].end_frame if self.shots else 0

    @property
    def duration(self) -> float:
        """Seconds in the whole plan."""
        return float(Fraction(self.total_frames) / self.fps)

    @property
    def durations(self) -> tuple[float, ...]:
        """Shot lengths in seconds."""
        return tuple(s.duration for s in self.shots)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description."""
        return {
            "mode": self.mode,
            "fps": str(self.fps),
            "total_frames": self.total_frames,
            "cut_times": [round(t, 4) for t in self.cut_times],
            "shots": [
                {"index": s.index, "start_frame": s.start_frame, "end_frame": s.end_frame, "start": round(s.start, 4), "end": round(s.end, 4)}
                for s in self.shots
            ],
        }


def _to_fps(fps: Any) -> Fraction:
    try:
        value = Fraction(fps).limit_denominator(1001) if isinstance(fps, float) else Fraction(fps)
    except (TypeError, ValueError, ZeroDivisionError):
        raise ParameterError(f"fps: {fps!r} is not a frame rate") from None
    if not 1 <= value <= 240:
        raise ParameterError(f"fps: {fps!r} is outside 1..240")
    return value


def _seconds(name: str, value: Any, *, allow_none: bool = True) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)) or value <= 0:
        raise ParameterError(f"{name}: {value!r} must be a number of seconds above 0")
    return float(value)


def beats_at_level(analysis: Any, level: str = "main") -> tuple[np.ndarray, np.ndarray]:
    """The analysis' beats and their strengths counted at another tempo octave.

    Parameters
    ----------
    analysis : Analysis
        With ``beats``, ``beat_strengths``, ``downbeats`` and ``tempo_alternatives``.
    level : {'main', 'half', 'double', 'alternative'}
        See the module notes.

    Returns
    -------
    beats, strengths : np.ndarray
        Beat times (seconds) and strengths in [0, 1].
    """
    if level not in BEAT_LEVELS:
        raise ParameterError(f"level: {level!r} is not one of {', '.join(BEAT_LEVELS)}")
    beats = np.asarray(getattr(analysis, "beats", np.zeros(0)), dtype=np.float64)
    strengths = np.asarray(getattr(analysis, "beat_strengths", np.ones(beats.size)), dtype=np.float64)[: beats.size]
    if level == "alternative":
        tempo = float(getattr(analysis, "tempo", 0.0) or 0.0)
        alternatives = tuple(getattr(analysis, "tempo_alternatives", ()) or ())
        if tempo <= 0 or not alternatives:
            return beats, strengths
        level = "half" if alternatives[0] < tempo else "double"
    if level == "main" or beats.size < 2:
        return beats, strengths
    if level == "half":
        downbeats = np.asarray(getattr(analysis, "downbeats", np.zeros(0)), dtype=np.float64)
        first = int(np.argmin(np.abs(beats - downbeats[0]))) if downbeats.size else 0
        keep = (np.arange(beats.size) - first) % 2 == 0
        return beats[keep], strengths[keep]
    mids = (beats[:-1] + beats[1:]) / 2
    mid_strengths = 0.5 * np.minimum(strengths[:-1], strengths[1:])
    order = np.argsort(np.concatenate([beats, mids]), kind="stable")
    return np.concatenate([beats, mids])[order], np.concatenate([strengths, mid_strengths])[order]


def _grid(analysis: Any, duration: float, level: str = "main") -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Beats, their strengths and downbeats; a 120 BPM grid when there are none."""
    beats = np.asarray(getattr(analysis, "beats", np.zeros(0)), dtype=np.float64) if analysis is not None else np.zeros(0)
    if beats.size >= 2:
        beats, strengths = beats_at_level(analysis, level)
        downbeats = np.asarray(analysis.downbeats, dtype=np.float64)
        period = float(np.median(np.diff(beats)))
        return beats, strengths, downbeats, period
    period = 60.0 / FALLBACK_BPM
    beats = np.arange(0.0, duration + period, period)
    return beats, np.ones_like(beats), beats[::4], period


def snap_to_grid(analysis: Any, duration: float, *, on: str = "bars", every: int = 1, level: str = "main") -> float:
    """The bar line (or beat) nearest ``duration`` seconds, counting from 0.

    Used to make an edit end on the music: ``on`` is ``"bars"`` or ``"beats"``; beats
    are counted at ``level`` (see the module notes). Returns ``duration`` unchanged
    when there is no grid line after 0.
    """
    beats, _, downbeats, period = _grid(analysis, duration, level)
    lines = downbeats if on == "bars" and downbeats.size else beats
    lines = lines[lines > 0.5 * period]
    if every > 1 and lines.size:
        lines = lines[every - 1 :: every]
    if lines.size == 0:
        return duration
    return float(lines[int(np.argmin(np.abs(lines - duration)))])


def plan_cuts(
    analysis: Any,
    *,
    duration: float,
    fps: Any = 30,
    mode: str = "auto",
    every: int = 1,
    count: int | None = None,
    min_shot: float | None = None,
    max_shot: float | None = None,
    max_lengths: Sequence[float] | None = None,
    level: str = "main",
) -> CutPlan:
    """Plan the shots of an edit so that the cuts fall on the music.

    Parameters
    ----------
    analysis : Analysis or None
        The music on the output timeline (0 = the first frame), e.g.
        ``analyze(song).window(start, start + duration)``; ``None`` plans on a
        120 BPM grid.
    duration : float > 0
        Seconds of the edit; the last shot ends on the frame nearest it.
    fps : int, float, str or Fraction in [1, 240]
        Output frame rate.
    mode : {'auto', 'beats', 'bars', 'onsets'}
        How cut times are chosen (see the module notes).
    every : int >= 1
        For ``beats`` and ``bars``: cut every that many beats or bars.
    count : int >= 1, optional
        Exact number of shots (template slots); free when omitted.
    min_shot, max_shot : float > 0, optional
        Shortest and longest shot in seconds (default 0.5 s and, for ``auto`` with a
        free shot count, 4 s).
    max_lengths : sequence of float > 0, optional
        Longest possible shot for each shot index (the clip's own length), cycled
        when there are more shots than values.
    level : {'main', 'half', 'double', 'alternative'}
        Tempo octave the beats are counted at (see the module notes).

    Returns
    -------
    CutPlan

    Raises
    ------
    ParameterError
        Bad values, or when no plan meets the limits (clips too short, ``count`` too
        large for the duration).
    """
    if mode not in CUT_MODES:
        raise ParameterError(f"mode: {mode!r} is not one of {', '.join(CUT_MODES)}")
    if isinstance(every, bool) or not isinstance(every, int) or not 1 <= every <= 64:
        raise ParameterError(f"every: {every!r} must be a whole number in 1..64")
    if level not in BEAT_LEVELS:
        raise ParameterError(f"level: {level!r} is not one of {', '.join(BEAT_LEVELS)}")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise ParameterError(f"count: {count!r} must be a whole number of shots >= 1")
    total_s = _seconds("duration", duration, allow_none=False)
    lo_s = _seconds("min_shot", min_shot)
    hi_s = _seconds("max_shot", max_shot)
    if lo_s is not None and hi_s is not None and hi_s < lo_s:
        raise ParameterError(f"max_shot: {max_shot!r} is below min_shot {min_shot!r}")
    rate = _to_fps(fps)
    total = int(round(Fraction(total_s).limit_denominator(1_000_000) * rate))
    if total < 1:
        raise ParameterError(f"duration: {duration!r} s is less than one frame at {rate} fps")
    lengths = None
    if max_lengths is not None:
        lengths = [_seconds(f"max_lengths[{i}]", v, allow_none=False) for i, v in enumerate(max_lengths)]
        if not lengths:
            raise ParameterError("max_lengths: give at least one length")

    beats, strengths, downbeats, period = _grid(analysis, total_s, level)
    lo_s = lo_s if lo_s is not None else 0.5
    if hi_s is None and mode == "auto" and count is None:
        hi_s = max(4.0, lo_s)
    cands, scores, targets_fn, weight = _candidates(analysis, mode, every, beats, strengths, downbeats, period, total_s)
    if mode != "onsets":
        cands, scores = _trust_the_grid(analysis, cands, scores)

    frames_per_s = float(rate)
    cand_frames = np.round(cands * frames_per_s).astype(np.int64)
    keep = (cand_frames > 0) & (cand_frames < total)
    cand_frames, scores, cand_times = cand_frames[keep], scores[keep], cands[keep]
    # one candidate per frame: the best-scored
    order = np.lexsort((-scores, cand_frames))
    cand_frames, scores, cand_times = cand_frames[order], scores[order], cand_times[order]
    first = np.concatenate(([True], np.diff(cand_frames) > 0)) if cand_frames.size else np.zeros(0, bool)
    cand_frames, scores, cand_times = cand_frames[first], scores[first], cand_times[first]

    pos = np.concatenate(([0], cand_frames, [total])).astype(np.int64)
    gain = np.concatenate(([0.0], scores, [0.0]))
    times = np.concatenate(([0.0], cand_times, [total_s]))
    min_f = max(1, int(math.ceil(lo_s * frames_per_s - 1e-9)))
    hi_f = None if hi_s is None else int(math.floor(hi_s * frames_per_s + 1e-9))
    clip_f = None if lengths is None else [int(math.floor(v * frames_per_s + 1e-6)) for v in lengths]

    path = _solve(pos, gain, targets_fn(times) * frames_per_s, weight, min_f=min_f, max_f=hi_f, clip_f=clip_f, count=count)
    if path is None:
        # the music's grid cannot satisfy the limits: allow any frame as a last resort
        path = _fallback(total, min_f=min_f, max_f=hi_f, clip_f=clip_f, count=count)
        if path is None:
            raise ParameterError(_infeasible_message(total_s, lo_s, hi_s, lengths, count))
        pos_used = path
        cut_times = tuple(float(f / frames_per_s) for f in pos_used[1:-1])
    else:
        pos_used = [int(pos[j]) for j in path]
        cut_times = tuple(float(times[j]) for j in path[1:-1])
    shots = tuple(
        PlannedShot(i, a, b, float(Fraction(a) / rate), float(Fraction(b) / rate))
        for i, (a, b) in enumerate(zip(pos_used[:-1], pos_used[1:]))
    )
    return CutPlan(shots=shots, fps=rate, cut_times=cut_times, mode=mode)


def _candidates(analysis: Any, mode: str, every: int, beats: np.ndarray, strengths: np.ndarray, downbeats: np.ndarray, period: float, duration: float):
    """Candidate times, their scores, a target-length function and the penalty weight."""
    is_down = np.zeros(beats.size, bool)
    if downbeats.size:
        idx = np.searchsorted(beats, downbeats)
        ok = idx < beats.size
        idx = idx[ok][np.abs(beats[idx[ok]] - downbeats[ok]) < 1e-6]
        is_down[idx] = True
    first_down = int(np.flatnonzero(is_down)[0]) if is_down.any() else 0
    rel = np.arange(beats.size) - first_down
    per_bar = _beats_per_bar(analysis, beats, downbeats)

    def constant(length: float):
        return lambda t: np.full(np.shape(t), length)

    if mode == "beats":
        on_grid = rel % every == 0
        scores = np.where(on_grid, 1.0, -0.3)
        return beats, scores, constant(every * period), 0.05
    if mode == "bars":
        bar_index = np.floor_divide(rel, per_bar)
        on_grid = is_down & (bar_index % every == 0)
        scores = np.where(on_grid, 1.0, np.where(is_down, -0.2, -0.3))
        return beats, scores, constant(every * per_bar * period), 0.05
    if mode == "onsets":
        onsets = np.asarray(getattr(analysis, "onsets", np.zeros(0)), dtype=np.float64) if analysis is not None else np.zeros(0)
        ostr = np.asarray(getattr(analysis, "onset_strengths", np.zeros(0)), dtype=np.float64) if analysis is not None else np.zeros(0)
        cands = np.concatenate([onsets, beats])
        scores = np.concatenate([ostr - 0.5, np.full(beats.size, -0.45)])
        return cands, scores, constant(2 * period), 0.2
    # auto: bar lines > half bars > other beats, plus the beat's own strength
    half_bar = (rel % per_bar) == (per_bar // 2) if per_bar % 2 == 0 else np.zeros(beats.size, bool)
    metric = np.where(is_down, 1.0, np.where(half_bar, 0.6, 0.25))
    scores = 0.6 * metric + 0.4 * np.clip(strengths[: beats.size], 0, 1) - 0.5
    energy_fn = _relative_energy(analysis, duration)

    def target(t: np.ndarray) -> np.ndarray:
        e = energy_fn(np.asarray(t, dtype=np.float64))
        return period * 2.0 ** (1.0 + 2.0 * (1.0 - e))  # 2 beats when loudest, 8 when quietest

    return beats, scores, target, 1.0


def _trust_the_grid(analysis: Any, cands: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Demote grid candidates where the beat confidence is low and add the strong
    onsets there (all onsets when the song has no beat at all)."""
    if analysis is None:
        return cands, scores
    onsets = np.asarray(getattr(analysis, "onsets", np.zeros(0)), dtype=np.float64)
    strengths = np.asarray(getattr(analysis, "onset_strengths", np.zeros(0)), dtype=np.float64)
    has_beats = np.asarray(getattr(analysis, "beats", np.zeros(0))).size >= 2
    confidence_at = getattr(analysis, "confidence_at", None)
    if has_beats and confidence_at is not None and np.asarray(getattr(analysis, "confidence", np.zeros(0))).size:
        doubt = np.asarray(confidence_at(cands), dtype=np.float64) < LOW_CONFIDENCE
        if not doubt.any():
            return cands, scores
        scores = np.where(doubt, np.minimum(scores, 0.0) - 0.3, scores)
        unsure_onsets = np.asarray(confidence_at(onsets), dtype=np.float64) < LOW_CONFIDENCE if onsets.size else np.zeros(0, bool)
    elif not has_beats:
        unsure_onsets = np.ones(onsets.size, bool)  # no grid at all: the onsets lead
    else:
        return cands, scores
    pick = unsure_onsets & (strengths >= 0.3)
    if not pick.any():
        return cands, scores
    return np.concatenate([cands, onsets[pick]]), np.concatenate([scores, strengths[pick] - 0.2])


def _beats_per_bar(analysis: Any, beats: np.ndarray, downbeats: np.ndarray) -> int:
    value = getattr(analysis, "beats_per_bar", None) if analysis is not None else None
    if isinstance(value, int) and value >= 1:
        return value
    return 4


def _relative_energy(analysis: Any, duration: float):
    """Loudness over the next four seconds, in [0, 1] relative to the edit's own
    quietest and loudest stretches (a constant 0.5 when the loudness is flat)."""
    if analysis is None or not hasattr(analysis, "energy_at") or getattr(analysis, "energy", np.zeros(0)).size == 0:
        return lambda t: np.full(np.shape(t), 0.5)
    offsets = np.linspace(0.0, 4.0, 9)

    def ahead(t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64)
        return np.mean([np.asarray(analysis.energy_at(np.minimum(t + d, duration)), dtype=np.float64) for d in offsets], axis=0)

    probe = ahead(np.linspace(0.0, max(0.0, duration - 1.0), max(2, int(duration * 2))))
    lo, hi = float(probe.min()), float(probe.max())
    if hi - lo < 0.04:  # under ~1.5 dB of change: a steady medium pace
        return lambda t: np.full(np.shape(t), 0.5)
    return lambda t: np.clip((ahead(t) - lo) / (hi - lo), 0.0, 1.0)


def _solve(pos: np.ndarray, gain: np.ndarray, target: np.ndarray, weight: float, *, min_f: int, max_f: int | None, clip_f: list[int] | None, count: int | None) -> list[int] | None:
    """Best path 0 -> last through ``pos`` (indices), or None when infeasible."""
    m = pos.size
    length = pos[None, :] - pos[:, None]  # [a, b]
    valid = length >= min_f
    if max_f is not None:
        valid &= length <= max_f
    with np.errstate(divide="ignore", invalid="ignore"):
        penalty = weight * np.log(np.maximum(length, 1) / np.maximum(target[:, None], 1e-9)) ** 2
    value = np.where(valid, gain[None, :] - penalty, _NEG)
    value[:, 0] = _NEG
    value[m - 1, :] = _NEG  # nothing starts at the end
    if clip_f is None and count is None:
        best = np.full(m, _NEG)
        back = np.full(m, -1, dtype=np.int64)
        best[0] = 0.0
        for b in range(1, m):
            cand = best[:b] + value[:b, b]
            a = int(np.argmax(cand))
            if cand[a] > _NEG / 2:
                best[b], back[b] = cand[a], a
        if best[m - 1] <= _NEG / 2:
            return None
        path = [m - 1]
        while path[-1] != 0:
            path.append(int(back[path[-1]]))
        return path[::-1]
    min_total = int(pos[-1])
    k_max = count if count is not None else max(1, min(m - 1, min_total // max(1, min_f)))
    best = np.full((k_max + 1, m), _NEG)
    back = np.full((k_max + 1, m), -1, dtype=np.int64)
    best[0, 0] = 0.0
    for i in range(1, k_max + 1):
        step = value
        if clip_f is not None:
            limit = clip_f[(i - 1) % len(clip_f)]
            step = np.where(length <= limit, value, _NEG)
        cand = best[i - 1][:, None] + step  # [a, b]
        a = np.argmax(cand, axis=0)
        best[i] = cand[a, np.arange(m)]
        back[i] = a
        best[i][best[i] <= _NEG / 2] = _NEG
    if count is not None:
        k = count
        if best[k, m - 1] <= _NEG / 2:
            return None
    else:
        finals = best[1:, m - 1]
        if np.all(finals <= _NEG / 2):
            return None
        k = int(np.argmax(finals)) + 1
    path = [m - 1]
    for i in range(k, 0, -1):
        path.append(int(back[i, path[-1]]))
    if path[-1] != 0:
        return None
    return path[::-1]


def _fallback(total: int, *, min_f: int, max_f: int | None, clip_f: list[int] | None, count: int | None) -> list[int] | None:
    """Evenly spread cuts on any frames that satisfy the limits, or None."""
    limits = [max_f] if max_f is not None else []
    for n in ([count] if count is not None else range(1, total // max(1, min_f) + 1)):
        if n < 1 or total < n * min_f:
            continue
        bounds = [int(round(k * total / n)) for k in range(n + 1)]
        ok = True
        for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])):
            cap = min(limits + ([clip_f[i % len(clip_f)]] if clip_f else []), default=None)
            if b - a < min_f or (cap is not None and b - a > cap):
                ok = False
                break
        if ok:
            return bounds
    return None


def _infeasible_message(total: float, lo: float, hi: float | None, lengths: list[float] | None, count: int | None) -> str:
    parts = [f"no shot list fits {total:.2f} s with shots of at least {lo:g} s"]
    if hi is not None:
        parts.append(f"at most {hi:g} s")
    if lengths is not None:
        parts.append(f"clips of {', '.join(f'{v:.2f}' for v in lengths)} s")
    if count is not None:
        parts.append(f"exactly {count} shots")
    return ", ".join(parts) + "; use longer clips, a shorter duration or other min_shot/max_shot"
