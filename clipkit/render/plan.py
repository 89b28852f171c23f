"""Planning: turn an edit into integer frame spans and sample-exact audio segments."""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from ..audio.mix import Segment
from ..edit.clip import Canvas, Clip
from ..edit.edit import Edit
from ..edit.framing import Reframe
from ..edit.sources import VideoSource
from ..errors import ParameterError
from ..nodes import TransitionNode
from .profiles import Profile

__all__ = ["ShotPlan", "RenderPlan", "plan_edit", "resolve_clip", "music_analysis", "sample_at"]


def sample_at(frame: int, *, sr: int, fps: Fraction) -> int:
    """Output sample where output frame ``frame`` starts (exact rational rounding)."""
    return int(round(Fraction(frame) * sr / fps))


@dataclass(frozen=True, slots=True)
class ShotPlan:
    """A shot placed on the frame grid.

    Attributes
    ----------
    index : int
        Position in the edit.
    clip : Clip
        The clip.
    start, end : int
        Output frames ``[start, end)``.
    transition : TransitionNode or None
        Transition into this shot.
    overlap : int
        Frames shared with the previous shot (the transition's span).
    """

    index: int
    clip: Clip
    start: int
    end: int
    transition: TransitionNode | None
    overlap: int

    @property
    def count(self) -> int:
        """Frames in the shot."""
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class RenderPlan:
    """Everything the executor needs, computed before anything is decoded."""

    edit: Edit
    canvas: Canvas
    width: int
    height: int
    scale: float
    shots: tuple[ShotPlan, ...]
    total_frames: int
    sr: int
    total_samples: int
    segments: tuple[Segment, ...]

    @property
    def fps(self) -> Fraction:
        """Output frame rate."""
        return self.canvas.fps

    @property
    def duration(self) -> float:
        """Output seconds."""
        return float(self.total_frames / self.canvas.fps)


def _render_size(canvas: Canvas, scale: float) -> tuple[int, int]:
    if scale >= 1.0:
        return canvas.width, canvas.height
    return max(16, int(round(canvas.width * scale / 2)) * 2), max(16, int(round(canvas.height * scale / 2)) * 2)


def resolve_clip(clip: Clip) -> Clip:
    """Carry out what the edit model only records: a :class:`~clipkit.edit.framing.Reframe`
    fit is analysed (one decode pass) and becomes a crop path (:func:`clipkit.reframe.reframe`)."""
    if isinstance(clip.fit, Reframe):
        from ..reframe import reframe

        request = clip.fit
        return reframe(replace(clip, fit=None), request.aspect, **request.options)
    return clip


def plan_edit(edit: Edit, profile: Profile) -> RenderPlan:
    """Place every shot and sound on the output grid.

    Raises
    ------
    ParameterError
        When a shot is shorter than one frame or a transition is longer than a shot.
    """
    canvas = edit.canvas or Canvas(profile.width, profile.height, profile.fps)
    fps = canvas.fps
    shots: list[ShotPlan] = []
    pos = Fraction(0)
    prev_end = 0
    for i, shot in enumerate(edit.shots):
        clip = resolve_clip(shot.clip)
        dur = Fraction(clip.duration).limit_denominator(1_000_000)
        trans = shot.transition if i > 0 else None
        if trans is not None:
            pos -= Fraction(trans.duration).limit_denominator(1_000_000)
        start = int(round(pos * fps))
        end = int(round((pos + dur) * fps))
        if end - start < 1:
            raise ParameterError(f"shots[{i}]: {clip.describe()} lasts {float(dur):.4f} s, less than one frame at {fps} fps")
        overlap = max(0, prev_end - start) if i > 0 else 0
        if trans is not None and (overlap < 1 or overlap > min(end - start, shots[-1].count)):
            raise ParameterError(
                f"shots[{i}].transition: {trans.duration!r} s does not fit between shots of "
                f"{shots[-1].count} and {end - start} frames"
            )
        shots.append(ShotPlan(i, clip, start, end, trans, overlap if trans is not None else 0))
        pos += dur
        prev_end = end
    total = max(s.end for s in shots)
    sr = profile.sample_rate
    total_samples = sample_at(total, sr=sr, fps=fps)
    segments = _audio_segments(edit, shots, sr=sr, fps=fps, total_samples=total_samples)
    width, height = _render_size(canvas, profile.scale)
    return RenderPlan(
        edit=edit,
        canvas=canvas,
        width=width,
        height=height,
        scale=width / canvas.width,
        shots=tuple(shots),
        total_frames=total,
        sr=sr,
        total_samples=total_samples,
        segments=tuple(segments),
    )


def _audio_segments(edit: Edit, shots: list[ShotPlan], *, sr: int, fps: Fraction, total_samples: int) -> list[Segment]:
    segments: list[Segment] = []
    for k, shot in enumerate(shots):
        clip = shot.clip
        source = clip.source
        gain = clip.volume * edit.original_volume
        a = sample_at(shot.start, sr=sr, fps=fps)
        b = sample_at(shot.end, sr=sr, fps=fps)
        # a transition's overlap crossfades the sound with the picture
        fade_in = sample_at(shot.overlap, sr=sr, fps=fps) if shot.overlap else 0
        nxt = shots[k + 1] if k + 1 < len(shots) else None
        fade_out = sample_at(nxt.overlap, sr=sr, fps=fps) if nxt is not None and nxt.overlap else 0
        own = source.audio_segments(clip, out_start=a, length=b - a, sr=sr, gain=gain) if gain > 0 else None
        if own is not None:  # composite sources (layouts, time effects) place their own sound
            for seg in own:
                if fade_in and seg.out_start <= a:
                    seg = replace(seg, fade_in=max(seg.fade_in, fade_in))
                if fade_out and seg.out_end >= b:
                    seg = replace(seg, fade_out=max(seg.fade_out, fade_out))
                segments.append(seg)
            continue
        if not source.has_audio or gain <= 0 or source.path is None or clip.speed != 1.0:
            continue
        # a short fade at hard cuts avoids clicks without softening the cut
        declick = int(sr * 0.004)
        segments.append(
            Segment(
                path=source.path,
                source_start=clip.start,
                out_start=a,
                length=b - a,
                gain=gain,
                fade_in=max(fade_in, declick if k else 0),
                fade_out=max(fade_out, declick if nxt is not None else 0),
                role="original",
                on_truncated=source.on_truncated if isinstance(source, VideoSource) else "refuse",
            )
        )
    for track in edit.tracks:
        clip = track.clip
        a = int(round(track.at * sr))
        if a >= total_samples:
            continue
        available = int(round(clip.duration * sr))
        length = total_samples - a
        if track.duration is not None:
            length = min(length, int(round(track.duration * sr)))
        loop_length = 0
        if track.loop:
            loop_length = available
        else:
            length = min(length, available)
        segments.append(
            Segment(
                path=clip.path,
                source_start=clip.start,
                out_start=a,
                length=length,
                gain=track.volume,
                fade_in=int(round(track.fade_in * sr)),
                fade_out=int(round(track.fade_out * sr)),
                role=track.role,
                loop_length=loop_length,
            )
        )
    return segments


def music_analysis(edit: Edit) -> Any:
    """The music analysis of an edit's soundtrack on its output timeline, or ``None``.

    The first music track drives the beat: its song is analysed whole (and cached by
    :func:`clipkit.music.analyze`), then placed where the track plays
    (:func:`clipkit.music.place_song`: from ``AudioTrack.at``, cut at the end of the
    edit, repeated when the track loops). The renderer gives it to beat-reactive nodes
    through ``RenderContext.analysis``.
    """
    tracks = [t for t in edit.tracks if t.role == "music"]
    if not tracks:
        return None
    from ..music import analyze, place_song

    track = tracks[0]
    clip = track.clip
    length = float(edit.duration) - float(track.at)
    if track.duration is not None:
        length = min(length, float(track.duration))
    return place_song(analyze(clip.path), start=float(clip.start), end=float(clip.end), at=float(track.at), length=length, loop=track.loop)
