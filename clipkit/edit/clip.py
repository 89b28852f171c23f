"""Clips: a span of a source with how it is framed, processed and heard.

Clips are immutable; every builder method returns a new clip, so one opened source can
feed many edits and renders concurrently.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from ..errors import ParameterError
from ..frame import parse_color
from ..nodes import FrameNode
from ..registry import FIT_MODES
from .framing import Reframe
from .sources import ColorSource, ImageSource, Source, open_source

if TYPE_CHECKING:
    from ..render.executor import RenderProgress, RenderResult

__all__ = ["Canvas", "Clip", "open", "image", "color", "check_fit", "DEFAULT_STILL_DURATION"]

DEFAULT_STILL_DURATION = 3.0


def _check_number(name: str, value: Any, *, low: float | None = None, high: float | None = None, low_open: bool = False) -> float:
    allowed = " and ".join(
        part
        for part in (
            None if low is None else f"{'>' if low_open else '>='} {low:g}",
            None if high is None else f"<= {high:g}",
        )
        if part
    ) or "a finite number"
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction)) or not math.isfinite(float(value)):
        raise ParameterError(f"{name}: {value!r} is not a finite number", field=name, value=value, allowed=allowed)
    v = float(value)
    if low is not None and (v < low or (low_open and v == low)):
        raise ParameterError(f"{name}: {value!r} is {'not above' if low_open else 'below'} {low:g}", field=name, value=value, allowed=allowed)
    if high is not None and v > high:
        raise ParameterError(f"{name}: {value!r} is above the maximum {high:g}", field=name, value=value, allowed=allowed)
    return v


def _to_fps(value: Any) -> Fraction:
    given = value
    if isinstance(value, str):
        try:
            value = Fraction(value)
        except (ValueError, ZeroDivisionError):
            raise ParameterError(f"fps: {value!r} is not a frame rate (use e.g. 30, 29.97 or '30000/1001')", field="fps", value=value, allowed="1..240") from None
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction)):
        raise ParameterError(f"fps: {value!r} is not a frame rate", field="fps", value=value, allowed="1..240")
    fps = Fraction(value).limit_denominator(1001) if isinstance(value, float) else Fraction(value)
    if not (1 <= fps <= 240):
        raise ParameterError(f"fps: {given!r} is outside 1..240", field="fps", value=given, allowed="1..240")
    return fps


@dataclass(frozen=True, slots=True)
class Canvas:
    """The output frame: size, frame rate and background colour.

    Parameters
    ----------
    width, height : int, even, in [16, 4096]
        Size in pixels.
    fps : int, float, str or Fraction in [1, 240]
        Frame rate; ``29.97`` and ``"30000/1001"`` mean NTSC 30000/1001.
    background : str or tuple of int
        Colour behind letterboxed clips.
    """

    width: int = 1080
    height: int = 1920
    fps: Fraction = Fraction(30)
    background: tuple[int, int, int] = (0, 0, 0)

    def __post_init__(self) -> None:
        for name in ("width", "height"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ParameterError(f"canvas.{name}: {value!r} is not a whole number of pixels", field=f"canvas.{name}", value=value, allowed="an even whole number in 16..4096")
            if not 16 <= value <= 4096:
                raise ParameterError(f"canvas.{name}: {value} is outside 16..4096", field=f"canvas.{name}", value=value, allowed="16..4096")
            if value % 2:
                raise ParameterError(f"canvas.{name}: {value} is odd; H.264 4:2:0 needs even sizes", field=f"canvas.{name}", value=value, allowed="an even number")
        object.__setattr__(self, "fps", _to_fps(self.fps))
        # always parsed: a triple of ints may still be out of range, e.g. (300, 0, 0)
        object.__setattr__(self, "background", parse_color(self.background, field="canvas.background"))

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)``."""
        return (self.width, self.height)

    def frames(self, seconds: float) -> int:
        """Number of output frames in ``seconds`` (rounded to the nearest frame)."""
        return int(round(seconds * self.fps))


@dataclass(frozen=True, slots=True)
class Clip:
    """A span of a source, framed and processed for the canvas.

    Build clips with :func:`open`, :func:`image` or :func:`color`; change them with the
    ``trim``/``with_*`` methods, which return new clips.

    Attributes
    ----------
    source : Source
        Where the frames come from.
    start : float
        First source second used.
    end : float
        Source second after the last one used.
    fit : str, Reframe or None
        Fit mode (``cover``, ``contain``, ``blur``, ``stretch``, ``smart`` or any
        registered one; see :data:`clipkit.registry.FIT_MODES`), a :class:`Reframe`
        request (from :meth:`reframe`, resolved by the planner); ``None`` takes the edit's.
    crop_box : tuple of int or None
        ``(x, y, width, height)`` in upright display pixels of the source.
    volume : float
        Gain of the clip's own sound (0 mutes).
    effects : tuple of FrameNode
        Effects applied in order, after fitting.
    speed : float
        Source seconds per output second.
    """

    source: Source
    start: float = 0.0
    end: float = DEFAULT_STILL_DURATION
    fit: str | Reframe | None = None
    crop_box: tuple[int, int, int, int] | None = None
    volume: float = 1.0
    effects: tuple[FrameNode, ...] = field(default_factory=tuple)
    speed: float = 1.0
    name: str | None = None

    # -- time ---------------------------------------------------------------------------
    @property
    def duration(self) -> float:
        """Output seconds this clip lasts."""
        return (self.end - self.start) / self.speed

    @property
    def source_duration(self) -> float | None:
        """Seconds of material in the source (``None`` for stills and colours)."""
        return self.source.duration

    def trim(self, start: float = 0.0, end: float | None = None, *, duration: float | None = None) -> Clip:
        """Use the source from ``start`` to ``end`` seconds (or for ``duration`` seconds).

        Times are in seconds of the source, relative to this clip's own start for a
        clip already trimmed. Output frames sit on the edit's frame grid, so a trim is
        accurate to one output frame.

        Parameters
        ----------
        start : float >= 0
            First second to use.
        end : float > start, optional
            Second after the last one used; defaults to the end of the material.
        duration : float > 0, optional
            Alternative to ``end``.
        """
        start = _check_number("trim.start", start, low=0.0)
        if end is not None and duration is not None:
            raise ParameterError("trim: give end or duration, not both")
        base = self.start
        new_start = base + start
        if duration is not None:
            new_end = new_start + _check_number("trim.duration", duration, low=0.0, low_open=True)
        elif end is not None:
            end = _check_number("trim.end", end, low=0.0)
            if end <= start:
                raise ParameterError(f"trim.end: {end!r} is not after trim.start {start!r}", field="trim.end", value=end, allowed=f"> {start!r}")
            new_end = base + end
        else:
            new_end = self.end if self.source.duration is not None else new_start + DEFAULT_STILL_DURATION
        limit = self.source.duration
        if limit is not None:
            if new_start >= limit:
                raise ParameterError(
                    f"trim.start: {start!r} is past the end of {self.source.describe()} ({limit:.3f} s long)",
                    field="trim.start",
                    value=start,
                    allowed=f"< {limit - base:.3f}",
                )
            if new_end > limit + 0.02:
                raise ParameterError(
                    f"trim.end: {new_end - base:.3f} s is past the end of {self.source.describe()} "
                    f"({limit:.3f} s long)",
                    field="trim.end",
                    value=round(new_end - base, 6),
                    allowed=f"<= {limit - base:.3f}",
                )
            new_end = min(new_end, limit)
        return replace(self, start=new_start, end=new_end)

    def with_duration(self, duration: float) -> Clip:
        """Last ``duration`` output seconds from the current start (stills: hold that long)."""
        duration = _check_number("duration", duration, low=0.0, low_open=True)
        return self.trim(0.0, duration=duration * self.speed)

    # -- framing ------------------------------------------------------------------------
    def with_fit(self, mode: str) -> Clip:
        """Fit to the canvas by ``mode``: ``cover``, ``contain``, ``blur``, ``stretch``,
        ``smart`` or any registered fit mode."""
        return replace(self, fit=check_fit(mode))

    def reframe(self, aspect: str = "9:16", **options: Any) -> Clip:
        """Crop to ``aspect`` (e.g. ``"9:16"``) following the subject along a smoothed path.

        The options are checked now; the clip is analysed when the edit is planned
        (one decode pass per render); see :func:`clipkit.reframe.reframe` for the
        keyword options (``follow``, ``dead_zone``, ``smoothing``, ``sample_fps``) and
        for analysing straight away.
        """
        known = ("follow", "dead_zone", "smoothing", "max_speed", "sample_fps", "faces")
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise ParameterError(f"reframe: unknown option {unknown[0]!r}; options: {', '.join(known)}", field=f"reframe.{unknown[0]}")
        return replace(self, fit=Reframe(aspect, **options))

    def crop(self, x: int, y: int, width: int, height: int) -> Clip:
        """Keep only the rectangle ``(x, y, width, height)`` of the upright source.

        Parameters
        ----------
        x, y : int >= 0
            Top-left corner in display pixels.
        width, height : int >= 2
            Size of the kept area; must fit inside the source.
        """
        size = self.source.display_size
        for name, value in (("x", x), ("y", y), ("width", width), ("height", height)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ParameterError(f"crop.{name}: {value!r} is not a whole number of pixels")
        if x < 0 or y < 0 or width < 2 or height < 2:
            raise ParameterError(f"crop: ({x}, {y}, {width}, {height}) needs x, y >= 0 and a size of at least 2x2")
        if size is not None and (x + width > size[0] or y + height > size[1]):
            raise ParameterError(
                f"crop: ({x}, {y}, {width}, {height}) reaches outside the {size[0]}x{size[1]} source"
            )
        return replace(self, crop_box=(x, y, width, height))

    # -- sound ----------------------------------------------------------------------------
    def with_volume(self, volume: float) -> Clip:
        """Set the gain of the clip's own sound.

        Parameters
        ----------
        volume : float in [0, 4]
            Linear gain; 0 mutes, 1 leaves it unchanged.
        """
        return replace(self, volume=_check_number("volume", volume, low=0.0, high=4.0))

    def without_audio(self) -> Clip:
        """Mute the clip's own sound."""
        return replace(self, volume=0.0)

    # -- time ---------------------------------------------------------------------------
    def with_speed(self, factor: float, *, audio: str = "stretch") -> Clip:
        """Play at a constant speed; see :func:`clipkit.timefx.speed`.

        Parameters
        ----------
        factor : float in [0.1, 10]
            2 plays twice as fast (half as long), 0.5 is slow motion.
        audio : {"stretch", "mute"}
            Keep the sound time-stretched without changing its pitch, or mute it.
        """
        from .retime import speed

        return speed(self, factor, audio=audio)

    def with_ramp(self, curve: str | Sequence[Sequence[float]], *, audio: str = "stretch", easing: str = "smooth") -> Clip:
        """Ramp the speed along a named preset (``hero``, ``montage``, ``bullet``, ...) or
        keyframes ``[(clip_fraction, speed), ...]``; see :func:`clipkit.timefx.ramp`."""
        from .retime import ramp

        return ramp(self, curve, audio=audio, easing=easing)

    def reversed(self, *, speed: float = 1.0, audio: str = "stretch") -> Clip:
        """Play backwards (buffers only this clip's frames); see :func:`clipkit.timefx.reverse`."""
        from .retime import reverse

        return reverse(self, speed=speed, audio=audio)

    def boomerang(self, *, speed: float = 1.0, loops: int = 1, audio: str = "stretch") -> Clip:
        """Play forwards then backwards ``loops`` times; see :func:`clipkit.timefx.boomerang`."""
        from .retime import boomerang

        return boomerang(self, speed=speed, loops=loops, audio=audio)

    def with_freeze(self, at: float, duration: float, *, audio: str = "stretch") -> Clip:
        """Hold the frame at clip second ``at`` for ``duration`` seconds, then go on;
        see :func:`clipkit.timefx.freeze`."""
        from .retime import freeze

        return freeze(self, at, duration, audio=audio)

    # -- processing -----------------------------------------------------------------------
    def with_effect(self, effect: FrameNode | str, /, **params: Any) -> Clip:
        """Add an effect after the ones already on the clip.

        Parameters
        ----------
        effect : FrameNode or str
            A node, or the id of a registered effect (then ``params`` are its
            parameters, validated now).
        """
        node = _resolve_effect(effect, params)
        return replace(self, effects=self.effects + (node,))

    def with_look(self, name: str, *, strength: float = 1.0, intensity: float | None = None) -> Clip:
        """Apply a named look (a preset chain of effects) at ``strength`` in [0, 1]
        (``intensity`` is its old name, deprecated)."""
        from ..effects import look

        return replace(self, effects=self.effects + (look(name, strength=strength, intensity=intensity),))

    def named(self, name: str) -> Clip:
        """Give the clip a name (shown in errors and plans)."""
        return replace(self, name=name)

    def describe(self) -> str:
        """Human description: the name or the source."""
        return self.name or self.source.describe()

    # -- output ---------------------------------------------------------------------------
    def render(self, path: str | os.PathLike[str], *, canvas: Canvas | None = None, fit: str = "cover", **options: Any) -> RenderResult:
        """Render this clip alone, as a one-shot :func:`clipkit.sequence`.

        Parameters
        ----------
        path : str or os.PathLike
            Output file.
        canvas : Canvas, optional
            Output size and rate; omitted, the render profile decides.
        fit : str
            How the clip fills the canvas when it has no fit of its own.
        **options
            As :meth:`clipkit.Edit.render` (``profile``, ``progress``, ``cancel``...).
        """
        from .edit import sequence

        return sequence([self], canvas=canvas, fit=fit).render(path, **options)


def _resolve_effect(effect: FrameNode | str, params: dict[str, Any]) -> FrameNode:
    if isinstance(effect, str):
        from ..effects import create

        return create(effect, **params)
    if params:
        raise ParameterError("with_effect: parameters go with an effect id, not with an effect node")
    if not hasattr(effect, "bind"):
        raise ParameterError(f"with_effect: {effect!r} is neither an effect id nor a node with bind()")
    return effect


def check_fit(mode: Any, *, field: str = "fit") -> str:
    """``mode`` if it names a registered fit mode (:data:`clipkit.registry.FIT_MODES`).

    Raises
    ------
    ParameterError
        Naming the value and the registered modes.
    """
    names = FIT_MODES.names()
    if not isinstance(mode, str) or mode not in names:
        raise ParameterError(
            f"{field}: {mode!r} is not a fit mode; use one of {', '.join(names)}", field=field, value=mode, allowed=f"one of {', '.join(names)}"
        )
    return mode


def open(path: str | os.PathLike[str], *, on_truncated: str = "refuse") -> Clip:  # noqa: A001 - the natural name, as in PyAV
    """Open a video file or a still image as a clip.

    The file is probed now (a bad file fails here, with its name), decoded only when
    rendered. Stills last 3 seconds until trimmed or given a duration.

    Parameters
    ----------
    path : str or os.PathLike
        Any container PyAV reads (extension ignored), or an image Pillow reads.
    on_truncated : {"refuse", "use"}
        A file cut short (an interrupted upload or copy): refuse it, saying where its
        data ends (default), or use the part that decodes (the clip then ends there, and
        so does its sound).

    Raises
    ------
    MediaError
        Missing, unreadable or audio-only files.
    """
    source = open_source(path, on_truncated=on_truncated)
    if isinstance(source, ImageSource):
        return Clip(source=source, start=0.0, end=DEFAULT_STILL_DURATION)
    return Clip(source=source, start=0.0, end=float(source.duration or 0.0))


def image(path: str | os.PathLike[str], *, duration: float = DEFAULT_STILL_DURATION) -> Clip:
    """A still image held for ``duration`` seconds (> 0)."""
    clip = open(path)
    if not isinstance(clip.source, ImageSource):
        raise ParameterError(f"image: {os.fspath(path)!r} is a video, not a still image; use clipkit.open()")
    return clip.with_duration(duration)


def color(rgb: str | tuple[int, int, int], *, duration: float = DEFAULT_STILL_DURATION) -> Clip:
    """A solid colour filling the canvas for ``duration`` seconds (> 0)."""
    source = ColorSource(rgb=parse_color(rgb, field="color"))
    duration = _check_number("duration", duration, low=0.0, low_open=True)
    return Clip(source=source, start=0.0, end=duration, fit="stretch")
