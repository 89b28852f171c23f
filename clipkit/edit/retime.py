"""The time-mapped source: a clip played through a :class:`TimeMap`.

Video: the inner clip is decoded once, forward, on a grid at least as fine as its
own frame rate; each output frame takes the grid frame nearest its mapped time. A
grid frame is kept only while a later output frame still needs it, so forward maps
(speed, ramps, freezes) stream with no buffer and backward maps (reverse, boomerang)
hold exactly the frames of their own segment.

Sound: the inner clip's sound for the span used is read into memory, then played
along the map: straight copies where the speed is 1, a pitch-preserving phase vocoder
where it is not (ramps included), reversed where the map runs backwards, silence where
it holds still. It reaches the mix as an in-memory :class:`~clipkit.audio.Segment`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from ..audio.mix import Mixer, Segment
from ..audio.stretch import play_positions, stretch_to_positions
from ..errors import MediaError, ParameterError
from ..frame import Frame
from ..media.audio import load_audio
from ..nodes import RenderContext
from .sources import Source, VideoSource
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

if TYPE_CHECKING:
    from .clip import Clip

__all__ = [
    "TimeMapSource",
    "AUDIO_MODES",
    "inner_audio",
    "synthesize",
    "clip_sound_segments",
    "remap",
    "speed",
    "ramp",
    "reverse",
    "freeze",
    "boomerang",
]

AUDIO_MODES = ("stretch", "mute")
"""What happens to the sound of a time-mapped clip: pitch-preserving stretch, or silence."""

_MAX_GRID_FPS = Fraction(240)
_DECLICK = 0.004  # seconds of fade where the sound starts or stops abruptly


def _grid_fps(inner: Clip, fps: Fraction) -> Fraction:
    native = None
    if isinstance(inner.source, VideoSource) and inner.source.info.video is not None:
        native = inner.source.info.video.fps
    if not native:
        return fps
    need = Fraction(native) * Fraction(inner.speed).limit_denominator(1000)
    return min(_MAX_GRID_FPS, max(fps, need))


def inner_audio(inner: Clip, lo: float, hi: float, *, sr: int) -> tuple[np.ndarray, float, float] | None:
    """The sound of ``inner`` between its own seconds ``lo`` and ``hi``.

    Returns ``(samples, origin, rate)``: ``samples`` is float32 (2, n) and clip second
    ``tau`` sits at sample ``(origin + tau * rate) * sr``; ``None`` when the clip is silent.
    """
    source = inner.source
    start = inner.start + lo * inner.speed
    span = replace(inner, start=start, end=max(start + 1e-6, inner.start + hi * inner.speed))
    n = max(1, int(round((hi - lo) * sr)))
    segments = source.audio_segments(span, out_start=0, length=n, sr=sr, gain=1.0)
    if segments is not None:  # a composite source places its own sound
        if not segments:
            return None
        with Mixer(segments, sr=sr, total=n) as mixer:
            samples = mixer.read(n)
        return samples, -lo, 1.0
    if not source.has_audio or source.path is None:
        return None
    f_lo = inner.start + lo * inner.speed
    f_hi = inner.start + hi * inner.speed
    samples, _ = load_audio(source.path, sr=sr, offset=max(0.0, f_lo), duration=max(1.0 / sr, f_hi - f_lo + 1.0 / sr))
    if samples.shape[0] == 1:
        samples = np.repeat(samples, 2, axis=0)
    # file second f = inner.start + tau * speed sits at sample (f - f_lo) * sr
    return samples, inner.start - f_lo, inner.speed


def _runs(direction: np.ndarray) -> list[tuple[int, int, int]]:
    """Split a per-sample direction array (-1, 0, 1) into (start, end, direction) runs."""
    if direction.size == 0:
        return []
    change = np.flatnonzero(np.diff(direction)) + 1
    bounds = np.concatenate([[0], change, [direction.size]])
    return [(int(a), int(b), int(direction[a])) for a, b in zip(bounds[:-1], bounds[1:])]


def synthesize(samples: np.ndarray, positions: np.ndarray, *, sr: int) -> np.ndarray:
    """Play ``samples`` along ``positions`` (input sample per output sample), keeping pitch.

    Forward runs at speed 1 are copied, other forward runs go through the phase
    vocoder, backward runs are synthesized forwards and reversed, flat runs are silent;
    short fades hide the edges next to silence.
    """
    n = positions.size
    out = np.zeros((2, n), np.float32)
    if n == 0:
        return out
    step = np.diff(positions, append=positions[-1] + (positions[-1] - positions[-2] if n > 1 else 0.0))
    direction = np.where(step > 1e-4, 1, np.where(step < -1e-4, -1, 0)).astype(np.int8)
    # absorb runs shorter than a few ms into their neighbour (turning points of a boomerang)
    runs = _runs(direction)
    declick = max(1, int(_DECLICK * sr))
    for idx, (a, b, d) in enumerate(runs):
        if d == 0:
            continue
        pos = positions[a:b]
        if d < 0:
            pos = pos[::-1]
        lo = max(0, int(np.floor(pos.min())) - 4096)
        hi = min(samples.shape[1], int(np.ceil(pos.max())) + 4096)
        if hi <= lo:
            continue
        window = samples[:, lo:hi]
        rel = pos - lo
        rate = np.abs(step[a:b])
        if np.all(np.abs(rate - 1.0) < 1e-3):
            chunk = play_positions(window, rel)
        else:
            chunk = stretch_to_positions(window, rel)
        if d < 0:
            chunk = chunk[:, ::-1]
        prev_d = runs[idx - 1][2] if idx > 0 else None
        next_d = runs[idx + 1][2] if idx + 1 < len(runs) else None
        m = chunk.shape[1]
        k = min(declick, m // 2)
        if k > 0 and prev_d == 0:
            chunk[:, :k] *= np.linspace(0.0, 1.0, k, dtype=np.float32)
        if k > 0 and next_d == 0:
            chunk[:, m - k :] *= np.linspace(1.0, 0.0, k, dtype=np.float32)
        out[:, a:b] = chunk
    return out


class TimeMapSource(Source):
    """Frames and sound of ``inner`` played through ``timemap``.

    Parameters
    ----------
    inner : Clip
        The clip to re-time (its span, speed and source; its fit and effects stay on the
        wrapping clip).
    timemap : TimeMap
        Output seconds to ``inner`` seconds; its clip times must lie in
        ``[0, inner.duration]``.
    audio : {'stretch', 'mute'}
        Keep the sound (time-stretched without pitch change) or drop it.
    label : str
        What the effect is called in errors and plans (``"reverse"``, ``"ramp hero"``).
    """

    kind = "timefx"

    def __init__(self, inner: Clip, timemap: TimeMap, *, audio: str = "stretch", label: str = "time map") -> None:
        if audio not in AUDIO_MODES:
            raise ParameterError(f"audio: {audio!r} is not one of {', '.join(AUDIO_MODES)}")
        lo, hi = timemap.span
        if hi > inner.duration + 1e-6:
            raise ParameterError(
                f"{label}: reaches clip second {hi:.3f}, past the end of {inner.describe()} ({inner.duration:.3f} s)"
            )
        self.inner = inner
        self.timemap = timemap
        self.audio = audio
        self.label = label

    @property
    def duration(self) -> float:  # type: ignore[override]
        return self.timemap.duration

    @property
    def display_size(self) -> tuple[int, int] | None:  # type: ignore[override]
        return self.inner.source.display_size

    @property
    def sample_aspect(self) -> Fraction:  # type: ignore[override]
        return self.inner.source.sample_aspect

    @property
    def has_audio(self) -> bool:  # type: ignore[override]
        return self.audio != "mute" and self.inner.source.has_audio

    def describe(self) -> str:
        return f"{self.label} of {self.inner.describe()}"

    def source_times(self, *, start: float, count: int, fps: Fraction, speed: float = 1.0) -> np.ndarray:
        """Inner clip seconds at the start of ``count`` output frames from mapped second ``start``."""
        t = start + np.arange(count, dtype=np.float64) * (float(speed) / float(fps))
        return np.clip(self.timemap(t), 0.0, self.inner.duration)

    def grid_indices(self, *, start: float, count: int, fps: Fraction, grid: Fraction, speed: float = 1.0) -> np.ndarray:
        """Index of the inner frame (on a ``grid`` fps grid from clip second 0) that each
        output frame shows: the one on screen just after the output frame starts, so a
        forward map shows frame ``floor(tau * grid)`` and a backward map the frame that
        ends at ``tau`` (a reversed clip starts on its last frame and ends on its first)."""
        step = float(speed) / float(fps)
        t = start + np.arange(count, dtype=np.float64) * step
        tau = np.clip(self.timemap(t), 0.0, self.inner.duration)
        ahead = np.clip(self.timemap(t + step * 1e-3), 0.0, self.inner.duration)
        g = float(grid)
        forward = np.floor(tau * g + 1e-6)
        backward = np.ceil(tau * g - 1e-6) - 1
        index = np.where(ahead < tau - 1e-12, backward, forward)
        last = max(0, int(np.ceil(self.inner.duration * g - 1e-6)) - 1)
        return np.clip(index, 0, last).astype(np.int64)

    def frames(
        self, *, ctx: RenderContext, start: float, count: int, fps: Fraction, width: int, height: int, speed: float = 1.0
    ) -> Iterator[tuple[Frame, float]]:
        if count <= 0:
            return iter(())
        return self._frames(ctx=ctx, start=start, count=count, fps=fps, width=width, height=height, speed=speed)

    def _frames(
        self, *, ctx: RenderContext, start: float, count: int, fps: Fraction, width: int, height: int, speed: float
    ) -> Iterator[tuple[Frame, float]]:
        inner = self.inner
        grid = _grid_fps(inner, Fraction(fps))
        absolute = self.grid_indices(start=start, count=count, fps=fps, grid=grid, speed=speed)
        first = int(absolute.min())
        lo = first / float(grid)
        index = absolute - first
        needed = int(index.max()) + 1
        last_use: dict[int, int] = {}
        for k, g in enumerate(index.tolist()):
            last_use[g] = k
        pulled = 0
        kept: dict[int, tuple[Frame, float]] = {}
        frames = inner.source.frames(
            ctx=ctx,
            start=inner.start + lo * inner.speed, count=needed, fps=grid, width=width, height=height, speed=inner.speed
        )
        try:
            for k, g in enumerate(index.tolist()):
                while g not in kept:
                    try:
                        item = next(frames)
                    except StopIteration:
                        raise MediaError(inner.source.describe(), f"{self.label}: ran out of frames at clip second {lo + pulled / float(grid):.3f}") from None
                    if last_use.get(pulled, -1) >= k:
                        kept[pulled] = item
                    pulled += 1
                item = kept[g]
                if last_use[g] == k:
                    del kept[g]
                yield item
        finally:
            close = getattr(frames, "close", None)
            if close is not None:
                close()

    def audio_segments(self, clip: Clip, *, out_start: int, length: int, sr: int, gain: float, **_: Any) -> list[Segment]:
        """The re-timed sound of ``clip`` (a clip of this source), as in-memory segments."""
        if self.audio == "mute" or gain <= 0 or length <= 0:
            return []
        n = np.arange(length, dtype=np.float64)
        t = clip.start + n * (clip.speed / sr)
        tau = np.clip(self.timemap(t), 0.0, self.inner.duration)
        lo, hi = float(tau.min()), float(tau.max())
        got = inner_audio(self.inner, lo, hi, sr=sr)
        if got is None:
            return []
        samples, origin, rate = got
        positions = (origin + tau * rate) * sr
        out = synthesize(samples, positions, sr=sr)
        declick = int(_DECLICK * sr)
        return [
            Segment(
                path=None,
                source_start=0.0,
                out_start=out_start,
                length=length,
                gain=gain,
                fade_in=declick,
                fade_out=declick,
                role="original",
                samples=out,
            )
        ]


def clip_sound_segments(clip: Clip, *, out_start: int, length: int, sr: int, gain: float) -> list[Segment]:
    """The sound of any clip placed at output sample ``out_start`` for ``length`` samples.

    Composite clips (layouts, time effects) place their own; a file clip at speed 1 is
    one streamed segment; a file clip at another speed is time-stretched (pitch kept).
    Used by layouts for their cells' sound.
    """
    source = clip.source
    if length <= 0 or gain <= 0:
        return []
    own = source.audio_segments(clip, out_start=out_start, length=length, sr=sr, gain=gain)
    if own is not None:
        return list(own)
    if not source.has_audio or source.path is None:
        return []
    declick = int(_DECLICK * sr)
    if abs(clip.speed - 1.0) < 1e-9:
        return [
            Segment(
                path=source.path,
                source_start=clip.start,
                out_start=out_start,
                length=length,
                gain=gain,
                fade_in=declick,
                fade_out=declick,
                role="original",
            )
        ]
    stretched = TimeMapSource(clip, constant_map(clip.duration, 1.0), label="speed")
    wrapper = replace(clip, source=stretched, start=0.0, end=stretched.duration, speed=1.0)
    return stretched.audio_segments(wrapper, out_start=out_start, length=length, sr=sr, gain=gain)


# -- building re-timed clips ----------------------------------------------------------


def _check_clip(clip: Any, name: str) -> Clip:
    from .clip import Clip

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
