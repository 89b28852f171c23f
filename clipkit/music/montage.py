"""Beat-synced montages, song fitting, and the music analysis of an edit."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import numpy as np

from ..errors import ParameterError
from .analysis import Analysis, analyze
from .cuts import CutPlan, plan_cuts, snap_to_grid

__all__ = ["SongFit", "fit_song", "montage", "place_song", "PLAN_KEY"]

PLAN_KEY = "cut_plan"
"""The :class:`~clipkit.Edit` field where :func:`montage` leaves its :class:`CutPlan` (``edit.cut_plan``)."""


@dataclass(frozen=True, slots=True)
class SongFit:
    """Where the song starts and how long the edit lasts.

    Attributes
    ----------
    start : float
        Second of the song heard at the edit's first frame.
    duration : float
        Seconds of the edit (ending on a bar line when the song has bars).
    analysis : Analysis
        The song's analysis on the output timeline (0 = the edit's first frame).
    """

    start: float
    duration: float
    analysis: Analysis


def fit_song(
    analysis: Analysis,
    duration: float,
    *,
    start: float | None = None,
    song_start: float = 0.0,
    song_end: float | None = None,
) -> SongFit:
    """Choose the part of a song an edit of about ``duration`` seconds uses.

    The start is ``start`` when given; otherwise the start of the strongest
    high-energy section (moved back by whole bars when the song would run out
    before the edit ends), or the first bar line. The length is snapped to the bar line
    nearest ``duration`` so the edit ends on the music.

    Parameters
    ----------
    analysis : Analysis
        Of the whole song (song time).
    duration : float > 0
        Wanted length in seconds.
    start : float >= 0, optional
        Song second to start at (relative to ``song_start``).
    song_start, song_end : float
        The usable span of the song (an :class:`AudioClip`'s trim).
    """
    if isinstance(duration, bool) or not isinstance(duration, (int, float)) or not duration > 0:
        raise ParameterError(f"duration: {duration!r} must be above 0 seconds")
    end = analysis.duration if song_end is None else min(float(song_end), analysis.duration)
    if end - song_start <= 0:
        raise ParameterError(f"the song has no sound between {song_start:.2f} s and {end:.2f} s")
    bars = analysis.downbeats[(analysis.downbeats >= song_start) & (analysis.downbeats < end)]
    if start is not None:
        if isinstance(start, bool) or not isinstance(start, (int, float)) or start < 0:
            raise ParameterError(f"start: {start!r} must be a number of seconds >= 0")
        s0 = song_start + float(start)
        if s0 >= end:
            raise ParameterError(f"start: {start!r} s is past the end of the song ({end - song_start:.2f} s)")
    else:
        strongest = None
        sections = [s for s in analysis.sections if song_start <= s.start < end]
        if sections:
            strongest = max(sections, key=lambda s: (round(s.energy, 3), s.duration))
        s0 = strongest.start if strongest is not None else (float(bars[0]) if bars.size else song_start)
        if s0 + duration > end:
            earlier = bars[bars + duration <= end + 1e-6]
            s0 = float(earlier[-1]) if earlier.size else song_start
    window = analysis.window(s0, end)
    available = end - s0
    length = min(float(duration), available)
    snapped = snap_to_grid(window, length, on="bars")
    if snapped > available + 1e-6:
        lines = window.downbeats[(window.downbeats > 0) & (window.downbeats <= available + 1e-6)]
        snapped = float(lines[-1]) if lines.size else length
    if window.downbeats.size and abs(snapped - length) > 0.75 * max(1e-9, _bar_length(window)):
        snapped = length  # no bar line near the wanted length: keep it
    return SongFit(start=float(s0), duration=float(max(snapped, 1e-3)), analysis=window)


def _bar_length(a: Analysis) -> float:
    if a.downbeats.size >= 2:
        return float(np.median(np.diff(a.downbeats)))
    return a.beat_period * a.beats_per_bar


def montage(
    clips: Sequence[Any],
    music: Any,
    *,
    mode: str = "auto",
    duration: float | None = None,
    start: float | None = None,
    every: int = 1,
    min_shot: float | None = None,
    max_shot: float | None = None,
    canvas: Any = None,
    fit: str = "cover",
    volume: float = 1.0,
    fade_out: float = 0.5,
    original_volume: float = 0.0,
    pick_windows: bool = True,
    voice: Any = None,
    analysis: Analysis | None = None,
) -> Any:
    """Cut clips to a song, every cut on the beat.

    Parameters
    ----------
    clips : sequence of Clip or path
        The footage, used in order and cycled when there are more shots than clips
        (a clip used again shows a different moment when it is long enough).
    music : AudioClip or path
        The song.
    mode : {'auto', 'beats', 'bars', 'onsets'}
        Cut planning mode (see :mod:`clipkit.music.cuts`).
    duration : float > 0, optional
        Wanted length in seconds (default 15, or the voice-over's length); the edit
        ends on the nearest bar line (with a voice-over: the first one after it ends).
    start : float >= 0, optional
        Song second to start at; by default the strongest section.
    every : int >= 1
        For ``beats`` and ``bars``: cut every that many beats or bars.
    min_shot, max_shot : float > 0, optional
        Shot length limits in seconds.
    canvas : Canvas, optional
        Output size and rate (1080x1920 at 30 fps by default).
    fit : {'cover', 'contain', 'blur', 'stretch'}
        How clips fill the canvas.
    volume : float in [0, 4]
        Music gain.
    fade_out : float >= 0
        Seconds of music fade at the end.
    original_volume : float in [0, 4]
        Gain of the clips' own sound (0: music only).
    pick_windows : bool
        Choose each shot's moment by motion and sharpness (else take clips from
        their start, continuing where the previous use stopped).
    voice : AudioClip or path, optional
        A voice-over or a sound to lip-sync to: it plays from the first frame, sets
        the edit's length, replaces the clips' own sound, and the music ducks under it.
    analysis : Analysis, optional
        The song's analysis, when already at hand (whole-file song times).

    Returns
    -------
    Edit
        With the plan in ``edit.cut_plan``.
    """
    from ..audio.tracks import AudioClip
    from ..audio.tracks import audio as open_audio
    from ..edit.clip import Canvas, Clip
    from ..edit.clip import open as open_clip
    from ..edit.edit import sequence
    from .windows import score_clip

    items = list(clips)
    if not items:
        raise ParameterError("clips: a montage needs at least one clip")
    opened: list[Clip] = []
    for i, c in enumerate(items):
        if isinstance(c, Clip):
            opened.append(c)
        elif isinstance(c, (str, os.PathLike)):
            opened.append(open_clip(c))
        else:
            raise ParameterError(f"clips[{i}]: {c!r} is neither a clip nor a file path")
    song = music if isinstance(music, AudioClip) else open_audio(music)
    canvas = canvas if canvas is not None else Canvas()
    if not isinstance(canvas, Canvas):
        raise ParameterError(f"canvas: {canvas!r} is not a clipkit.Canvas")
    narration = None
    if voice is not None:
        narration = voice if isinstance(voice, AudioClip) else open_audio(voice)
        original_volume = 0.0
    wanted = float(duration) if duration is not None else (narration.duration if narration is not None else 15.0)
    full = analysis if analysis is not None else analyze(song.path)
    fitted = fit_song(full, wanted, start=start, song_start=song.start, song_end=song.end)
    if narration is not None and fitted.duration < narration.duration - 1e-6:
        # the voice sets the timing: end on the first bar line after it, if the song has one
        after = fitted.analysis.downbeats[fitted.analysis.downbeats >= narration.duration - 1e-6]
        room = fitted.analysis.duration
        end = float(after[0]) if after.size and after[0] <= room else min(room, narration.duration)
        fitted = SongFit(fitted.start, end, fitted.analysis)
    plan = plan_cuts(
        fitted.analysis,
        duration=fitted.duration,
        fps=canvas.fps,
        mode=mode,
        every=every,
        min_shot=min_shot,
        max_shot=max_shot,
        max_lengths=[c.duration for c in opened],
    )
    shots = _shot_clips(opened, plan, pick_windows=pick_windows, score=score_clip)
    edit = sequence(shots, canvas=canvas, fit=fit)
    edit = edit.with_music(song, start=fitted.start - song.start, volume=volume, fade_out=min(fade_out, plan.duration))
    edit = edit.with_original_volume(original_volume)
    if narration is not None:
        from ..audio.tracks import AudioTrack

        edit = edit.with_audio(AudioTrack(narration, at=0.0, role="voice"))
    return replace(edit, cut_plan=plan)


def _shot_clips(clips: Sequence[Any], plan: CutPlan, *, pick_windows: bool, score: Any) -> list[Any]:
    """Trim a clip for every planned shot."""
    fps = plan.fps
    used: dict[int, list[tuple[float, float]]] = {}
    scores: dict[int, Any] = {}
    out = []
    for shot in plan.shots:
        k = shot.index % len(clips)
        clip = clips[k]
        length = float(Fraction(shot.frames) / fps)
        spans = used.setdefault(k, [])
        if pick_windows:
            if k not in scores:
                scores[k] = score(clip)
            offset = min(scores[k].best(length, avoid=spans), max(0.0, clip.duration - length))
        else:
            offset = spans[-1][1] if spans else 0.0
            if offset + length > clip.duration + 1e-6:
                offset = 0.0
        spans.append((offset, offset + length))
        out.append(clip.trim(offset * clip.speed, duration=length * clip.speed))
    return out


def place_song(song: Analysis, *, start: float, end: float, at: float, length: float, loop: bool = False) -> Analysis:
    """A song's analysis moved to where it plays on an output timeline.

    The span ``[start, end)`` of the song (seconds of the song) plays from output second
    ``at`` for ``length`` output seconds, repeating when ``loop`` is set; events outside
    it are dropped. Knows nothing of edits: the render planner reads the edit's music
    track and calls this (:func:`clipkit.render.plan.music_analysis`).

    Parameters
    ----------
    song : Analysis
        The whole song's analysis (:func:`analyze`).
    start, end : float
        Seconds of the song that play.
    at : float >= 0
        Output second where they start.
    length : float
        Output seconds they play (less when the song span is shorter and not looped).
    loop : bool
        Repeat the span until ``length`` is filled.
    """
    span = float(end - start)
    if not loop:
        length = min(length, span)
    song_end = min(float(end), song.duration)
    if length <= 0 or span <= 0 or song_end <= start:
        return replace(song.window(0.0, max(song.duration, 1e-3)), duration=0.0, beats=np.zeros(0), beat_strengths=np.zeros(0),
                       downbeats=np.zeros(0), onsets=np.zeros(0), onset_strengths=np.zeros(0), sections=())
    parts = []
    for k in range(int(math.ceil(length / span - 1e-9))):
        part_len = min(span, length - k * span)
        parts.append(song.window(float(start), min(song_end, float(start) + part_len), at=float(at) + k * span))
    return _concat(parts, duration=float(at) + length)


def _concat(parts: list[Analysis], *, duration: float) -> Analysis:
    first = parts[0]
    if len(parts) == 1:
        return replace(first, duration=duration)

    def cat(name: str) -> np.ndarray:
        return np.concatenate([getattr(p, name) for p in parts])

    return replace(
        first,
        duration=duration,
        beats=cat("beats"),
        beat_strengths=cat("beat_strengths"),
        downbeats=cat("downbeats"),
        onsets=cat("onsets"),
        onset_strengths=cat("onset_strengths"),
        sections=tuple(s for p in parts for s in p.sections),
    )
