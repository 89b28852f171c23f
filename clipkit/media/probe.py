"""What clipkit sees in a media file: streams, geometry, timing, audio layout."""

from __future__ import annotations

import errno
import os
import stat
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass, field, replace
from fractions import Fraction
from typing import Any

import av
import numpy as np

from ..errors import MediaError, ParameterError, ResourceError
from .colour import colour_of

__all__ = ["MediaInfo", "VideoInfo", "AudioInfo", "probe", "clear_probe_cache", "open_container", "ON_TRUNCATED", "MIN_VIDEO_SIZE"]

ON_TRUNCATED = ("refuse", "use")
"""What to do with a file whose data ends early: refuse it (naming where it ends), or
use the part that decodes."""

MIN_VIDEO_SIZE = 2
"""Smallest width and height of a video clip, in pixels (4:2:0 needs two)."""

PROBE_CACHE_SIZE = 256
"""Probes remembered per process (a few hundred bytes each)."""

_probes: OrderedDict[tuple[Any, ...], MediaInfo] = OrderedDict()
_probes_lock = threading.Lock()

_IMAGE_FORMATS = {"image2", "png_pipe", "jpeg_pipe", "webp_pipe", "bmp_pipe", "tiff_pipe", "image2pipe"}


@dataclass(frozen=True, slots=True)
class VideoInfo:
    """The first real video stream of a file (cover art excluded).

    Attributes
    ----------
    width, height : int
        Coded size in pixels.
    display_width, display_height : int
        Size as shown: pixel aspect applied, then rotation; always even.
    sample_aspect : Fraction
        Pixel aspect ratio (1 for square pixels).
    rotation : int
        Clockwise rotation the player applies, one of 0, 90, 180, 270.
    fps : Fraction or None
        Average frame rate.
    vfr : bool
        True when frame durations vary by more than 10%.
    duration : float
        Seconds from the file's start to the end of the last frame.
    start : float
        Seconds from the file's start to the first frame (late-starting streams).
    frames : int
        Frames counted or estimated.
    pix_fmt : str
        Decoded pixel format, e.g. ``yuv420p10le``.
    full_range : bool
        True for full ("PC"/JPEG) range.
    codec : str
        Codec name.
    colour : {'pq', 'hlg', 'bt2020', 'bt601'} or None
        The source's colours when they are not SDR BT.709 (the output's), from its
        colour tags (:func:`clipkit.media.colour.colour_of`): an HDR curve, BT.2020
        primaries, or the BT.601 matrix of standard-definition video. Such frames are
        converted to BT.709 as they are decoded or fitted. None for BT.709.
    """

    width: int
    height: int
    display_width: int
    display_height: int
    sample_aspect: Fraction
    rotation: int
    fps: Fraction | None
    vfr: bool
    duration: float
    start: float
    frames: int
    pix_fmt: str
    full_range: bool
    codec: str
    colour: str | None = None


@dataclass(frozen=True, slots=True)
class AudioInfo:
    """The first audio stream of a file."""

    sample_rate: int
    channels: int
    layout: str
    codec: str
    duration: float
    start: float


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """Everything :func:`probe` learns about a file."""

    path: str
    format: str
    duration: float
    is_image: bool
    video: VideoInfo | None
    audio: AudioInfo | None
    streams: tuple[str, ...] = field(default_factory=tuple)
    metadata: dict[str, str] = field(default_factory=dict)
    truncated_at: float | None = None
    """Where the decodable video ends, in seconds, when the file is cut short and was
    probed with ``on_truncated="use"`` (``duration`` then stops there too)."""
    decoder: str = "ffmpeg"
    """Who decodes the frames: ``"ffmpeg"`` (PyAV), or ``"pillow"`` for animated
    images FFmpeg refuses."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict (fractions as strings)."""

        def conv(value: Any) -> Any:
            if isinstance(value, Fraction):
                return str(value)
            if isinstance(value, dict):
                return {k: conv(v) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return [conv(v) for v in value]
            return value

        return conv(asdict(self))


def open_container(path: str | os.PathLike[str], *, options: dict[str, str] | None = None) -> av.container.InputContainer:
    """Open a file with PyAV, turning every failure into a :class:`MediaError`
    (``options``: FFmpeg's demuxer options, e.g. ``probesize``)."""
    path = os.fspath(path)
    try:
        if not os.path.exists(path):
            raise MediaError(path, "file not found")
        if os.path.isdir(path):
            raise MediaError(path, "is a folder, not a media file")
        if os.path.getsize(path) == 0:
            raise MediaError(path, "is empty (0 bytes)")
        if options:
            return av.open(path, "r", metadata_errors="replace", options=options)
        return av.open(path, "r", metadata_errors="replace")
    except MediaError:
        raise
    except (av.error.FFmpegError, OSError) as exc:
        # the machine's problem (no file handles left, a vanished mount), not the file's
        env = ResourceError.from_os_error(path, exc, doing="cannot be opened")
        if env is not None and getattr(exc, "errno", None) not in (errno.EPERM,):
            raise env from None
        if isinstance(exc, av.error.FFmpegError):
            raise MediaError(path, f"not a media file FFmpeg can read ({exc.strerror or exc})") from None
        raise MediaError(path, f"cannot be opened ({exc.strerror or exc})") from None


def _video_stream(container: av.container.InputContainer) -> av.video.stream.VideoStream | None:
    for stream in container.streams.video:
        if stream.disposition & av.stream.Disposition.attached_pic:
            continue  # cover art in a music file
        return stream
    return None


def _even(n: float) -> int:
    return max(2, int(round(n / 2.0)) * 2)


def probe(path: str | os.PathLike[str], *, count_frames: bool = False, on_truncated: str = "refuse") -> MediaInfo:
    """Inspect a media file.

    Decodes the first video frame (to learn rotation and pixel format, and to prove
    the stream is decodable) and reads packet timestamps to tell VFR from CFR. Answers
    are remembered in this process (the last :data:`PROBE_CACHE_SIZE`), keyed by the
    file's device, inode, size and modification time, so probing an unchanged file again
    costs one ``os.stat``; a file that changes is probed afresh.

    Parameters
    ----------
    path : str or os.PathLike
        Any file PyAV reads; the extension is ignored (content decides).
    count_frames : bool
        Demux every packet to count frames and measure duration exactly. Costs a
        read of the whole file; without it the first ~300 packets are sampled.
    on_truncated : {"refuse", "use"}
        A file whose video data ends early (a copy cut short, a recording stopped by a
        crash) is refused, naming the time where it ends; ``"use"`` keeps the part that
        decodes (the whole file is then read, and ``truncated_at`` says where it ends).

    Returns
    -------
    MediaInfo

    Raises
    ------
    MediaError
        The file is missing, empty, not media, or its video cannot be decoded.
    """
    path = os.fspath(path)
    if on_truncated not in ON_TRUNCATED:
        raise ParameterError(f"on_truncated: {on_truncated!r} is not one of {', '.join(ON_TRUNCATED)}")
    key = _probe_key(path, count_frames, on_truncated)
    if key is not None:
        with _probes_lock:
            known = _probes.get(key)
            if known is not None:
                _probes.move_to_end(key)
        if known is not None:
            return replace(known, metadata=dict(known.metadata))  # the caller may change its dict
    info = _probe_file(path, count_frames=count_frames, on_truncated=on_truncated)
    if key is not None:
        with _probes_lock:
            _probes[key] = info
            while len(_probes) > PROBE_CACHE_SIZE:
                _probes.popitem(last=False)
        info = replace(info, metadata=dict(info.metadata))
    return info


def clear_probe_cache() -> None:
    """Forget every remembered probe (they are also dropped when their file changes)."""
    with _probes_lock:
        _probes.clear()


def _probe_key(path: str, count_frames: bool, on_truncated: str) -> tuple[Any, ...] | None:
    """What identifies a probe's answer: the file (device, inode, size, modification and
    change times) and the options; ``None`` for anything but a regular file.

    A batch worker opens the same clips and songs job after job, and a render probes each
    of them again (building the edit, opening the soundtrack): ~10-30 ms a file for what
    an ``os.stat`` can tell has not changed.
    """
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode) or st.st_size == 0:
        return None
    return (path, os.path.abspath(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, count_frames, on_truncated)


def _probe_file(path: str, *, count_frames: bool, on_truncated: str) -> MediaInfo:
    container = open_container(path)
    try:
        if container.format.name == "apng":
            # Pillow composites animated PNGs the way browsers do; FFmpeg's decoder
            # refuses some valid ones and blends palette frames differently. FFmpeg
            # stays the reader for files Pillow cannot walk through.
            pillow = _animated_image_fallback(path, container)
            if pillow is not None:
                return pillow
        return _probe_open(path, container, count_frames=count_frames or on_truncated == "use", on_truncated=on_truncated)
    except (av.error.FFmpegError, MediaError) as exc:
        fallback = _animated_image_fallback(path, container)
        if fallback is not None:
            return fallback
        if isinstance(exc, MediaError):
            raise
        raise MediaError(path, f"is corrupt or truncated ({exc.strerror or exc})") from None
    finally:
        container.close()


def _animated_image_fallback(path: str, container: av.container.InputContainer) -> MediaInfo | None:
    """Pillow's reading of an animated PNG (or GIF/WebP) FFmpeg's decoder refused."""
    from .image import animated_image_info

    try:
        fmt = container.format.name
    except Exception:  # noqa: BLE001 - a container in a bad state: let Pillow judge
        fmt = ""
    if fmt and not any(name in fmt.split(",") for name in ("apng", "png_pipe", "gif", "webp_pipe", "image2")):
        return None
    return animated_image_info(path)


def _probe_open(path: str, container: av.container.InputContainer, *, count_frames: bool, on_truncated: str = "refuse") -> MediaInfo:
    fmt = container.format.name
    origin = (container.start_time or 0) / av.time_base
    container_duration = (container.duration or 0) / av.time_base
    streams = tuple(f"{s.type}:{s.codec_context.name if s.codec_context else '?'}" for s in container.streams)
    vstream = _video_stream(container)
    # an audio stream FFmpeg found no decoder parameters for cannot be played: skip it
    astreams = [s for s in container.streams.audio if s.codec_context is not None]
    is_image = bool(vstream is not None and fmt.split(",")[0] in _IMAGE_FORMATS)

    video = None
    truncated_at = None
    if vstream is not None:
        video, truncated_at = _probe_video(path, container, vstream, origin, container_duration, count_frames, on_truncated)
    if video is not None and not is_image and not astreams and _heif_still(path):
        # a HEIC photo: FFmpeg's MP4 reader sees a one-frame HEVC video (of a tiled one, its
        # first tile); clipkit reads it as a still through pillow-heif, at this upright size
        from .image import image_size

        is_image = True
        shown = image_size(path)
        video = replace(video, display_width=shown[0], display_height=shown[1])
    audio = None
    if astreams:
        s = astreams[0]
        cc = s.codec_context
        a_start = ((s.start_time or 0) * s.time_base - origin) if s.start_time is not None and s.time_base else 0.0
        a_dur = float(s.duration * s.time_base) if s.duration and s.time_base else container_duration - float(a_start)
        audio = AudioInfo(
            sample_rate=int(cc.sample_rate or 0),
            channels=int(cc.channels or 0),
            layout=cc.layout.name if cc.layout else "",
            codec=cc.name,
            duration=max(0.0, float(a_dur)),
            start=max(0.0, float(a_start)),
        )
    if video is None and audio is None:
        raise MediaError(path, "has neither a video nor an audio stream")
    duration = container_duration
    if video is not None:
        duration = max(duration if not is_image else 0.0, video.start + video.duration if not is_image else 0.0)
        if truncated_at is not None:
            duration = video.start + video.duration
    metadata = {str(k): str(v) for k, v in (container.metadata or {}).items()}
    return MediaInfo(
        path=path,
        format=fmt,
        duration=float(duration),
        is_image=is_image,
        video=video,
        audio=audio,
        streams=streams,
        metadata=metadata,
        truncated_at=truncated_at,
    )


def _heif_still(path: str) -> bool:
    """Whether the file is a HEIF image that Pillow (with pillow-heif) reads as one still."""
    from .image import _looks_like_heif, is_still_image

    return _looks_like_heif(path) and is_still_image(path)


def _probe_video(
    path: str,
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    origin: float,
    container_duration: float,
    count_frames: bool,
    on_truncated: str = "refuse",
) -> tuple[VideoInfo, float | None]:
    cc = stream.codec_context
    tb = stream.time_base
    # timestamps of the first packets (or all) to tell VFR and measure the duration
    pts: list[int] = []
    durations: list[int] = []
    limit = None if count_frames else 300
    read_all = True
    last_packet_duration = 0
    ends_damaged = False
    # The first frame is decoded during the same pass, not after a seek back to the
    # start: some demuxers cannot seek at all (SWF, some animated PNGs).
    first: av.VideoFrame | None = None
    for packet in container.demux(stream):
        if first is None and packet.size:
            for frame in packet.decode():
                first = frame
                break
        if packet.pts is None:
            continue
        ends_damaged = bool(packet.is_corrupt and packet.size)
        pts.append(packet.pts)
        last_packet_duration = packet.duration or 0
        if packet.duration:
            durations.append(packet.duration)
        if limit is not None and len(pts) >= limit:
            read_all = False
            break
    truncated_at = None
    if read_all and ends_damaged:
        at = float((pts[-1] - min(pts)) * tb) if tb is not None else 0.0
        if on_truncated != "use" or len(pts) < 2:
            raise MediaError(
                path, f"is truncated: its video data ends in a damaged frame at {at:.3f} s (on_truncated='use' keeps what decodes)"
            )
        pts.pop()  # the damaged frame is not shown; the clip ends where it would start
        truncated_at = at
        last_packet_duration = 0
    if first is None:
        try:  # a decoder that holds frames back: drain it
            for frame in stream.decode(None):
                first = frame
                break
        except av.error.FFmpegError:
            first = None
    if first is None:
        raise MediaError(path, "video stream has no decodable frame")
    if first.width < MIN_VIDEO_SIZE or first.height < MIN_VIDEO_SIZE:
        raise MediaError(
            path, f"video of {first.width}x{first.height} pixels is too small (at least {MIN_VIDEO_SIZE}x{MIN_VIDEO_SIZE})"
        )
    rotation = int(round(-(first.rotation or 0))) % 360 if hasattr(first, "rotation") else 0
    rotation = (int(round(rotation / 90.0)) * 90) % 360
    sar = stream.sample_aspect_ratio or cc.sample_aspect_ratio
    sar = Fraction(sar) if sar and sar > 0 else Fraction(1)
    width, height = first.width, first.height
    disp_w, disp_h = width * float(sar), float(height)
    if rotation in (90, 270):
        disp_w, disp_h = disp_h, disp_w
    fps = stream.average_rate or stream.guessed_rate or stream.base_rate
    fps = Fraction(fps) if fps else None
    vfr = False
    if len(pts) >= 3 and tb is not None:
        deltas = np.diff(np.sort(np.asarray(pts, dtype=np.int64)))
        deltas = deltas[deltas > 0]
        if deltas.size >= 2:
            med = float(np.median(deltas))
            vfr = bool(np.mean(np.abs(deltas - med) > 0.1 * med) > 0.05)
    start = 0.0
    if stream.start_time is not None and tb is not None:
        start = max(0.0, float(stream.start_time * tb) - origin)
    if stream.duration and tb is not None and truncated_at is None:
        duration = float(stream.duration * tb)
    else:
        duration = max(0.0, container_duration - start)
    # Count from the packets when asked, and when the stream has no duration of its own
    # but every packet was read anyway (short Matroska/WebM clips): the container's
    # duration also covers the audio, which often runs a few frames longer.
    if pts and tb is not None and (count_frames or (read_all and not stream.duration)):
        last = max(pts)
        if last_packet_duration:  # the end of the last frame, exact even for VFR
            frame_dur = float(last_packet_duration)
        else:
            frame_dur = float(np.median(durations)) if durations else (1.0 / float(fps) / float(tb) if fps else 0.0)
        duration = float((last - min(pts) + frame_dur) * tb)
        frames = len(pts)
    else:
        frames = int(stream.frames or (round(duration * float(fps)) if fps else 0))
    fmt_name = first.format.name
    full_range = fmt_name.startswith("yuvj") or int(getattr(first, "color_range", 0) or 0) == 2
    return VideoInfo(
        width=width,
        height=height,
        display_width=_even(disp_w),
        display_height=_even(disp_h),
        sample_aspect=sar,
        rotation=rotation,
        fps=fps,
        vfr=vfr,
        duration=duration,
        start=start,
        frames=frames,
        pix_fmt=fmt_name,
        full_range=full_range,
        codec=cc.name,
        colour=colour_of(first),
    ), truncated_at
