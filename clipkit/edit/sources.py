"""Where frames come from: video files, still images and solid colours."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterator
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from ..errors import MediaError
from ..frame import Frame
from ..nodes import RenderContext
from ..media.image import image_size, is_still_image, load_image_frame
from ..media.probe import MediaInfo, probe
from ..media.video import read_video_frames

if TYPE_CHECKING:
    from ..audio.mix import Segment

__all__ = ["Source", "VideoSource", "ImageSource", "ColorSource", "open_source"]


class Source(ABC):
    """Base class of frame sources; subclasses are immutable and thread-safe.

    Attributes
    ----------
    path : str or None
        The file, if any.
    duration : float or None
        Seconds of material, ``None`` for stills and colours (any length).
    display_size : tuple of int or None
        Upright display ``(width, height)``; ``None`` for colours (fill the canvas).
    sample_aspect : Fraction
        Pixel aspect ratio of the coded frames.
    has_audio : bool
        Whether the file has a sound track.
    """

    path: str | None = None
    duration: float | None = None
    display_size: tuple[int, int] | None = None
    sample_aspect: Fraction = Fraction(1)
    has_audio: bool = False
    kind: str = "source"

    @abstractmethod
    def frames(
        self, *, ctx: RenderContext, start: float, count: int, fps: Fraction, width: int, height: int, speed: float = 1.0
    ) -> Iterator[tuple[Frame, float]]:
        """Yield ``(frame, source_t)`` for ``count`` output frames from ``start``.

        ``ctx`` is the render's context (composite sources hand it to the clips they
        contain, whose effects need the render's seed and music analysis);
        ``width``/``height`` is the size of the frames wanted, used by sources without a
        size of their own.
        """

    def audio_segments(self, clip: Any, *, out_start: int, length: int, sr: int, gain: float) -> list[Segment] | None:
        """The sound of ``clip`` (a clip of this source) placed at output sample ``out_start``.

        Composite sources (layouts, time effects, bridges) return their own segments;
        the default ``None`` means "the file's own sound track, if it has one", which the
        planner streams.
        """
        return None

    def describe(self) -> str:
        """Short human description for errors and progress."""
        return self.path or self.kind

    # Sources that yield one frame repeatedly mark it read-only (Frame.shared) so stages
    # drawing in place copy it first (Frame.writable).

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.describe()!r})"


class VideoSource(Source):
    """A video file, probed once when opened."""

    kind = "video"

    def __init__(self, path: str, info: MediaInfo, *, on_truncated: str = "refuse") -> None:
        self.path = path
        self.info = info
        self.on_truncated = on_truncated  # what reading it does where its data stops decoding

    @property
    def duration(self) -> float:  # type: ignore[override]
        video = self.info.video
        return video.start + video.duration if video else self.info.duration

    @property
    def display_size(self) -> tuple[int, int]:  # type: ignore[override]
        video = self.info.video
        return (video.display_width, video.display_height) if video else (2, 2)

    @property
    def sample_aspect(self) -> Fraction:  # type: ignore[override]
        return self.info.video.sample_aspect if self.info.video else Fraction(1)

    @property
    def has_audio(self) -> bool:  # type: ignore[override]
        return self.info.audio is not None

    def frames(
        self, *, ctx: RenderContext, start: float, count: int, fps: Fraction, width: int, height: int, speed: float = 1.0, convert_colour: bool = True
    ) -> Iterator[tuple[Frame, float]]:
        """Decoded frames (see :meth:`Source.frames`); ``convert_colour=False`` leaves the frames of a
        source not in BT.709 in its own colours, for a caller that converts them
        (:attr:`colour`)."""
        rotation = self.info.video.rotation if self.info.video else 0
        # a rotated picture (a portrait phone clip) twice the size its shot needs or more is
        # halved before it is turned: a 4K clip in a 1080x1920 video is turned at 1080p
        dw, dh = self.display_size
        halve = bool(rotation) and max(width / max(1, dw), height / max(1, dh)) <= 0.5
        # a shot that ends hands its decoder to the next shot of this file (frame_stream closes the last)
        return read_video_frames(self.path, start=start, count=count, fps=fps, rotation=rotation, speed=speed, hand_over=True, convert_colour=convert_colour, halve=halve)

    @property
    def colour(self) -> str | None:
        """The source's colours when not SDR BT.709 (:data:`clipkit.media.colour.COLOURS`), or None."""
        return self.info.video.colour if self.info.video else None


STILL_HEADROOM = 1.5
"""A still is read at the size that covers its shot's box this many times over (a crop
or a zoom of up to 1.5x stays at full sharpness); a larger photo is shrunk as it is read
(:func:`clipkit.media.image.load_image_frame`)."""


class ImageSource(Source):
    """A still image held for as long as the clip lasts.

    Its frames are the picture at the size its shot needs (:data:`STILL_HEADROOM`), not
    always the file's: a 48 MP photo in a 1080x1920 video is read at 3840x2880. Its
    :attr:`display_size` stays the file's; fits work in that space at any frame size.
    """

    kind = "image"

    def __init__(self, path: str, size: tuple[int, int]) -> None:
        self.path = path
        self.size = size

    @property
    def display_size(self) -> tuple[int, int]:  # type: ignore[override]
        return self.size

    def frames(
        self, *, ctx: RenderContext, start: float, count: int, fps: Fraction, width: int, height: int, speed: float = 1.0
    ) -> Iterator[tuple[Frame, float]]:
        # the pixels the shot can show sharply: its box with room for a crop or a zoom
        needed = (int(width * STILL_HEADROOM), int(height * STILL_HEADROOM))
        frame = load_image_frame(self.path, needed=needed).shared()
        for k in range(count):
            yield frame, start + k * speed / float(fps)


class ColorSource(Source):
    """A solid colour filling the canvas."""

    kind = "color"

    def __init__(self, rgb: tuple[int, int, int] = (0, 0, 0)) -> None:
        self.rgb = rgb

    def frames(
        self, *, ctx: RenderContext, start: float, count: int, fps: Fraction, width: int, height: int, speed: float = 1.0
    ) -> Iterator[tuple[Frame, float]]:
        frame = Frame.solid(width, height, self.rgb).shared()
        for k in range(count):
            yield frame, start + k / float(fps)

    def describe(self) -> str:
        return "color #%02x%02x%02x" % self.rgb


def open_source(path: str | os.PathLike[str], *, on_truncated: str = "refuse") -> Source:
    """Open a file as a frame source: a still image or a video (content decides).

    ``on_truncated="use"`` keeps the part of a truncated file that decodes (see
    :func:`clipkit.media.probe.probe`); the default refuses it, saying where it ends.

    Raises
    ------
    MediaError
        Missing, unreadable, audio-only, or undecodable files.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise MediaError(path, "file not found")
    if os.path.isfile(path) and is_still_image(path):
        return ImageSource(path=path, size=image_size(path))
    info = probe(path, on_truncated=on_truncated)
    if info.video is None:
        raise MediaError(path, "has no video stream (an audio file? give it as the music: --music FILE, or clipkit.audio() in Python)")
    if info.is_image:
        return ImageSource(path=path, size=(info.video.display_width, info.video.display_height))
    return VideoSource(path=path, info=info, on_truncated=on_truncated)
