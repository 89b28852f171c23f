"""Video frame readers: decode with PyAV and resample to the output frame grid.

A reader decodes one source sequentially from a single seek at the trim start, and
hands out, for each output frame, the source frame nearest its timestamp (dropping or
duplicating frames), so VFR phone clips keep their duration and a 60 fps source plays
at the right speed in a 30 fps edit. Frames come out upright (rotation metadata
applied), as 8-bit limited-range YUV 4:2:0 planes at the coded size; the fit stage
applies the pixel aspect when it scales.

A render cuts one file into many shots (a beat montage of one clip), and every seek
lands on a keyframe before the shot and decodes forward from there: with long GOPs,
thirty half-second shots of a 4 s window decoded the window ten times over. So a
render's reader, when its shot ends, hands its decoder on (:func:`read_video_frames`
``hand_over=True``): the next shot of the same file that starts at or shortly after
where the decoder stands continues from there, without seeking. One decoder waits per
thread, and any other read (another file, an earlier time) closes it; the render closes
the last one with :func:`close_handed_over`.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any

import av
import cv2
import numpy as np

from ..errors import MediaError
from ..frame import Frame
from .colour import colour_of, to_bt709
from .image import decoded_by_pillow, iter_animated_frames, rgba_to_frame
from .probe import _video_stream, open_container

__all__ = ["read_video_frames", "frame_to_planes", "close_handed_over", "RESUME_SECONDS"]

# limited-range conversion tables for full-range ("yuvj", PC range) sources
_Y_FULL_TO_LIMITED = np.round(16 + np.arange(256) * 219 / 255).astype(np.uint8)
_C_FULL_TO_LIMITED = np.round(128 + (np.arange(256) - 128) * 224 / 255).clip(16, 240).astype(np.uint8)

_ROTATE = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


def _plane_view(plane: av.video.plane.VideoPlane, width: int, height: int) -> np.ndarray:
    buf = np.frombuffer(plane, np.uint8)
    return buf.reshape(-1, plane.line_size)[:height, :width]


def frame_to_planes(frame: av.VideoFrame, *, rotation: int = 0, path: str = "<frame>", convert_colour: bool = True, halve: bool = False) -> Frame:
    """Turn a decoded PyAV frame into upright 8-bit limited-range YUV 4:2:0 planes.

    ``yuv420p`` frames are viewed without copying; anything else (10-bit, 4:2:2,
    4:4:4, NV12, RGB, odd sizes) is converted once by FFmpeg's scaler, and full-range
    input is mapped to limited range with a lookup table.

    Parameters
    ----------
    frame : av.VideoFrame
        A decoded frame.
    rotation : {0, 90, 180, 270}
        Clockwise rotation to apply.
    path : str
        The file the frame comes from, named in errors.
    convert_colour : bool
        Convert a frame in other colours than SDR BT.709 (HDR, BT.2020, BT.601) to
        SDR BT.709 (:mod:`clipkit.media.colour`); off, its planes are left in the
        source's colours for a caller that converts them later (a render's clip stream
        does it where the fit has the fewest pixels).
    halve : bool
        With a rotation, halve the picture (2x2 means) before turning it, when its sides
        are multiples of 4: a 4K portrait phone clip for a 1080x1920 video is turned at
        1080p (a quarter of the bytes), and the fit then has nothing left to scale. The
        means commute with the turn, so the fitted picture is the same.
    """
    full_range = frame.format.name.startswith("yuvj") or int(frame.color_range or 0) == 2
    colour = colour_of(frame)  # HDR, BT.2020 and BT.601 sources become BT.709 (clipkit.media.colour)
    width, height = frame.width, frame.height
    untouched = frame.format.name == "yuv420p" and not (width % 2 or height % 2) and not full_range and not rotation and colour is None
    if frame.format.name not in ("yuv420p", "yuvj420p") or width % 2 or height % 2:
        even_w, even_h = width - width % 2, height - height % 2
        if even_w < 2 or even_h < 2:
            raise MediaError(path, f"video frame of {width}x{height} pixels is too small (at least 2x2)")
        # RGB frames are coded with BT.709's matrix, the output's (the scaler's default is BT.601)
        coded = {"dst_colorspace": "ITU709"} if frame.format.is_rgb or frame.format.has_palette else {}
        frame = frame.reformat(width=even_w, height=even_h, format="yuv420p", **coded)
        width, height = even_w, even_h
    y = _plane_view(frame.planes[0], width, height)
    u = _plane_view(frame.planes[1], width // 2, height // 2)
    v = _plane_view(frame.planes[2], width // 2, height // 2)
    if full_range:
        y = cv2.LUT(y, _Y_FULL_TO_LIMITED)
        u = cv2.LUT(u, _C_FULL_TO_LIMITED)
        v = cv2.LUT(v, _C_FULL_TO_LIMITED)
    if colour is not None and convert_colour:
        y, u, v = to_bt709(y, u, v, colour)
    if rotation:
        if halve and width % 4 == 0 and height % 4 == 0:
            y = cv2.resize(y, (width // 2, height // 2), interpolation=cv2.INTER_AREA)
            u = cv2.resize(u, (width // 4, height // 4), interpolation=cv2.INTER_AREA)
            v = cv2.resize(v, (width // 4, height // 4), interpolation=cv2.INTER_AREA)
        code = _ROTATE[rotation]
        y, u, v = cv2.rotate(y, code), cv2.rotate(u, code), cv2.rotate(v, code)
    return Frame(y, u, v, av_frame=frame if untouched else None)


RESUME_SECONDS = 3.0
"""How far past a handed-over decoder's position a shot may start and still continue from
it (decoding forward up to this far costs about what a seek's decode from a keyframe does)."""


class _Pending:
    """Decoded ``(frame, t)`` pairs with a push-back slot: a reader that stops gives back the
    frames it had looked at but not passed, so the next reader starts from them."""

    def __init__(self, decoded: Iterator[tuple[Any, float]]) -> None:
        self.decoded = decoded
        self.back: deque[tuple[Any, float]] = deque()

    def __iter__(self) -> _Pending:
        return self

    def __next__(self) -> tuple[Any, float]:
        if self.back:
            return self.back.popleft()
        return next(self.decoded)


class _HandedOver:
    """An open decoder whose shot has ended, waiting for the next shot of its file."""

    def __init__(self, path: str, rotation: int, container: Any, pending: _Pending, end: Any) -> None:
        self.path, self.rotation, self.container, self.pending, self.end = path, rotation, container, pending, end

    def takes(self, path: str, rotation: int, start: float) -> bool:
        """Whether a read of ``path`` from ``start`` can continue from this decoder."""
        if path != self.path or rotation != self.rotation or not self.pending.back:
            return False
        first, last = self.pending.back[0][1], self.pending.back[-1][1]
        # the frame the decoder stands on must not lie after the start (nothing is read twice)
        return first - max(self.end.frame_step, 1e-3) <= start <= last + RESUME_SECONDS

    def close(self) -> None:
        self.pending.back.clear()
        close = getattr(self.pending.decoded, "close", None)
        if close is not None:
            close()
        self.container.close()


_waiting = threading.local()


def _take_handed_over(path: str, rotation: int, start: float) -> _HandedOver | None:
    waiting: _HandedOver | None = getattr(_waiting, "reader", None)
    if waiting is None:
        return None
    _waiting.reader = None
    if waiting.takes(path, rotation, start):
        return waiting
    waiting.close()
    return None


def close_handed_over() -> None:
    """Close the decoder a finished shot left open in this thread, if any (a render's end)."""
    waiting: _HandedOver | None = getattr(_waiting, "reader", None)
    _waiting.reader = None
    if waiting is not None:
        waiting.close()


def read_video_frames(
    path: str | os.PathLike[str],
    *,
    start: float,
    count: int,
    fps: Fraction,
    rotation: int = 0,
    speed: float = 1.0,
    hand_over: bool = False,
    convert_colour: bool = True,
    halve: bool = False,
) -> Iterator[tuple[Frame, float]]:
    """Yield ``count`` frames on the output grid, starting at ``start`` seconds.

    Output frame ``k`` shows the source frame whose timestamp is nearest to
    ``start + k * speed / fps`` (seconds from the file's start). Before the first frame
    the first frame is shown; past the last one, the last frame is held.

    Parameters
    ----------
    path : str or os.PathLike
        The video file (or an animated image that only Pillow decodes).
    start : float >= 0
        Source time of the first output frame, in seconds.
    count : int >= 0
        Number of output frames.
    fps : Fraction > 0
        Output frame rate.
    rotation : {0, 90, 180, 270}
        Clockwise rotation applied to every frame.
    speed : float > 0
        Source seconds per output second (2.0 plays twice as fast).
    hand_over : bool
        Leave the decoder open when the reader ends (is closed or done), for the next
        reader of the same file in this thread to continue from (see the module's notes);
        whoever asks for it closes the last one with :func:`close_handed_over`.
    convert_colour : bool
        Frames in other colours than SDR BT.709 converted to it (see :func:`frame_to_planes`).
    halve : bool
        A rotated picture halved before it is turned (see :func:`frame_to_planes`).

    Yields
    ------
    frame : Frame
        Upright planes (views into the decoder's buffer, or converted copies).
    source_t : float
        The timestamp of the source frame shown.

    Raises
    ------
    MediaError
        The file cannot be decoded, or its data ends (cut short or damaged) before a
        frame the clip needs. A file cut short still plays up to where it ends: only
        frames past the end of the decodable part are refused, naming that time.
    """
    if count <= 0:
        return
    path = os.fspath(path)
    if decoded_by_pillow(path):
        yield from _pick_frames(path, iter_animated_frames(path), rgba_to_frame, start=start, count=count, fps=fps, speed=speed, end=_End())
        return
    resumed = _take_handed_over(path, rotation, start) if hand_over else None
    container = resumed.container if resumed is not None else open_container(path)
    keep = False
    pending: _Pending | None = None
    try:
        if resumed is not None:
            pending, end = resumed.pending, resumed.end
        else:
            opened, end = _open_decoder(path, container, start)
            container, pending = opened.container, opened.frames  # a demuxer that cannot seek is opened again

        def convert(frame: av.VideoFrame) -> Frame:
            return frame_to_planes(frame, rotation=rotation, path=path, convert_colour=convert_colour, halve=halve)

        try:
            yield from _pick_frames(path, pending, convert, start=start, count=count, fps=fps, speed=speed, end=end)
        except GeneratorExit:
            keep = hand_over
            raise
        keep = hand_over
    finally:
        if keep and pending is not None and pending.back:
            close_handed_over()  # one decoder waits per thread
            _waiting.reader = _HandedOver(path, rotation, container, pending, end)
        else:
            container.close()


class _Opened:
    """A container (perhaps opened again) and its decoded frames."""

    def __init__(self, container: Any, frames: _Pending) -> None:
        self.container, self.frames = container, frames


def _open_decoder(path: str, container: Any, start: float) -> tuple[_Opened, _End]:
    """Decoded frames of ``container`` from the keyframe at or before ``start``."""
    stream = _video_stream(container)
    if stream is None:
        raise MediaError(path, "has no video stream")
    stream.thread_type = "AUTO"
    origin = (container.start_time or 0) / av.time_base
    tb = stream.time_base
    # seek once, to the keyframe at or before the start (skip for starts near 0)
    if start > 1.0 and tb is not None:
        try:
            container.seek(int((origin + start - 0.25) / tb), stream=stream, backward=True, any_frame=False)
        except av.error.FFmpegError:
            # a demuxer that cannot seek (SWF, some APNG): read again from the top
            container.close()
            container = open_container(path)
            stream = _video_stream(container)
            stream.thread_type = "AUTO"  # type: ignore[union-attr]
    end = _End()
    return _Opened(container, _Pending(_decode(path, container, stream, end))), end  # type: ignore[arg-type]


class _End:
    """How a decode ended: cleanly, or at a damaged frame (and where, and why)."""

    def __init__(self) -> None:
        self.damaged_at: float | None = None
        self.reason = ""
        self.frame_step = 0.0


def _pick_frames(
    path: str,
    decoded: Iterator[tuple[Any, float]],
    convert: Callable[[Any], Frame],
    *,
    start: float,
    count: int,
    fps: Fraction,
    speed: float,
    end: _End,
) -> Iterator[tuple[Frame, float]]:
    """Resample decoded ``(frame, t)`` pairs onto the output grid (nearest timestamp)."""
    step = Fraction(speed).limit_denominator(1_000_000) / fps
    current: tuple[Any, float] | None = None
    upcoming: tuple[Any, float] | None = next(decoded, None)
    if upcoming is None:
        if end.damaged_at is not None:
            raise MediaError(path, f"video {end.reason}: no frame decodes at or after {start:.3f} s")
        raise MediaError(path, f"no video frame could be decoded at or after {start:.3f} s")
    cache_source: Any = None
    cache: Frame | None = None
    try:
        for k in range(count):
            target = start + float(step * k)
            # current: last frame at or before the target; upcoming: the one after it
            while upcoming is not None and upcoming[1] <= target + 1e-6:
                current, upcoming = upcoming, next(decoded, None)
            # a tie (a 30 fps frame halfway between two 60 fps slots) goes to the earlier
            # frame; without the margin float noise picks either, and the cadence judders
            if current is None or (upcoming is not None and upcoming[1] - target < target - current[1] - 1e-6):
                chosen = upcoming
            else:
                chosen = current
            if chosen is None:
                break
            if upcoming is None and end.damaged_at is not None and target > chosen[1] + max(end.frame_step, 1e-3) + 1e-6:
                # the data ends early: holding the last good frame would fake the rest
                raise MediaError(
                    path, f"video {end.reason} (the data ends at {max(0.0, end.damaged_at):.3f} s; the clip needs {target:.3f} s)"
                )
            if cache_source is not chosen[0]:
                cache = convert(chosen[0])
                cache_source = chosen[0]
            yield cache, chosen[1]  # type: ignore[misc]
    finally:
        if isinstance(decoded, _Pending):
            # give back what was looked at but not passed on: the next reader starts there
            decoded.back.extendleft(f for f in (upcoming, current) if f is not None)


def _decode(
    path: str, container: av.container.InputContainer, stream: av.video.stream.VideoStream, end: _End
) -> Iterator[tuple[av.VideoFrame, float]]:
    """Decoded frames with monotonic times; a damaged or failing end is noted in ``end``."""
    origin = (container.start_time or 0) / av.time_base
    last_t = -1e9
    fallback_step = 1.0 / float(stream.average_rate or stream.guessed_rate or 30)
    end.frame_step = fallback_step
    damaged_at: float | None = None
    try:
        for packet in container.demux(stream):
            if packet.size:
                # A file cut short ends on a damaged packet. With frame threads the
                # decoder drops it silently, and the reader would hold the last frame to
                # the end of the clip: remember it, and refuse frames past it.
                damaged_at = None
                if packet.is_corrupt:
                    damaged_at = float(packet.pts * packet.time_base) - origin if packet.pts is not None and packet.time_base else last_t
            for frame in packet.decode():
                if frame.time is not None:
                    t = float(frame.time) - origin
                else:
                    t = last_t + fallback_step
                if t <= last_t:  # broken or duplicate timestamps: keep order monotonic
                    t = last_t + 1e-6
                last_t = t
                yield frame, t
    except av.error.FFmpegError as exc:
        end.damaged_at = max(0.0, last_t + fallback_step) if last_t > -1e9 else 0.0
        end.reason = f"is corrupt or truncated ({exc.strerror or exc})"
        return
    if damaged_at is not None:
        end.damaged_at = damaged_at
        end.reason = "is truncated (its data ends in a damaged frame)"
