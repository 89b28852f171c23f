"""Sticker media: still images with alpha, animated images, image sequences, video with alpha.

Everything decodes to straight-alpha RGBA arrays (uint8, or uint16 for 16-bit PNGs)
with a display duration per frame:

- PNG / WebP / GIF / BMP / TIFF stills, in any Pillow mode: RGBA, grey+alpha (``LA``),
  palette images with a transparent index, plain RGB/grey (opaque); 16-bit PNGs keep
  their 16 bits (read through OpenCV);
- animated GIF, APNG and animated WebP (Pillow composites disposal/blending);
- image sequences: a folder of images or a glob pattern, at ``fps``;
- video: VP8/VP9 WebM with alpha (decoded with libvpx, which reads the alpha layer the
  native decoder drops), and any format whose decoder gives alpha (ProRes 4444, QuickTime
  Animation, PNG-in-MOV). A WebM that declares alpha when this PyAV build lacks libvpx
  raises :class:`~clipkit.errors.MediaError` rather than silently losing transparency.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np
from PIL import Image, ImageSequence, UnidentifiedImageError

from ..errors import MediaError, ParameterError
from ..media.image import open_image, to_srgb

__all__ = ["StickerMedia", "load_sticker_media", "VIDEO_SUFFIXES", "MAX_DECODED_BYTES"]

VIDEO_SUFFIXES = (".webm", ".mkv", ".mov", ".mp4", ".m4v", ".avi")
"""File name endings read as video."""

MAX_DECODED_BYTES = 512 * 2**20
"""Decoded size limit of one animated sticker (frames are kept in memory to loop)."""

_IMAGE_SUFFIXES = (".png", ".apng", ".webp", ".gif", ".bmp", ".tif", ".tiff", ".jpg", ".jpeg", ".avif", ".heic", ".heif")


@dataclass(frozen=True, slots=True)
class StickerMedia:
    """Decoded sticker frames.

    Attributes
    ----------
    frames : tuple of np.ndarray, each (H, W, 4) uint8 or uint16
        Straight-alpha RGBA, all of one size.
    durations : tuple of float
        Seconds each frame shows.
    source : str
        Where the frames came from (for messages).
    """

    frames: tuple[np.ndarray, ...]
    durations: tuple[float, ...]
    source: str

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` in pixels."""
        h, w = self.frames[0].shape[:2]
        return (int(w), int(h))

    @property
    def animated(self) -> bool:
        """Whether there is more than one frame."""
        return len(self.frames) > 1

    @property
    def duration(self) -> float:
        """Seconds of one pass through the frames."""
        return float(sum(self.durations))

    def index_at(self, t: float, *, loop: bool = True) -> int:
        """The frame showing ``t`` seconds after the start (held on the last without ``loop``)."""
        n = len(self.frames)
        if n == 1 or t <= 0:
            return 0
        total = self.duration
        if loop:
            t = t % total
        elif t >= total:
            return n - 1
        ends = np.cumsum(self.durations)
        return int(min(np.searchsorted(ends, t, side="right"), n - 1))


def load_sticker_media(source: str | os.PathLike[str] | list[str], *, fps: float = 12.0) -> StickerMedia:
    """Decode a sticker file, folder, glob pattern or list of image paths.

    Parameters
    ----------
    source : path, glob pattern or list of paths
        An image, animated image or video file; a folder or glob of images (sorted by
        name) for an image sequence; or an explicit list of image paths.
    fps : float > 0
        Rate of an image sequence.

    Raises
    ------
    MediaError
        Missing, unreadable or unsupported files, frames of differing sizes, or an
        animation too big to hold in memory; the message names the file.
    """
    if fps <= 0:
        raise ParameterError(f"sticker fps: {fps!r} must be above 0")
    if isinstance(source, (list, tuple)):
        return _sequence([str(p) for p in source], fps, label=f"{len(source)} images")
    text = os.fspath(source)
    path = Path(text)
    if path.is_dir():
        files = sorted(str(p) for p in path.iterdir() if p.suffix.lower() in _IMAGE_SUFFIXES)
        if not files:
            raise MediaError(text, "folder holds no images for an image-sequence sticker")
        return _sequence(files, fps, label=text)
    if any(ch in text for ch in "*?[") and not path.exists():
        files = sorted(glob.glob(text))
        if not files:
            raise MediaError(text, "no file matches this image-sequence pattern")
        return _sequence(files, fps, label=text)
    if not path.is_file():
        raise MediaError(text, "sticker file does not exist")
    if path.suffix.lower() in VIDEO_SUFFIXES or _sniff_video(path):
        return _video(path)
    return _image(path)


def _sniff_video(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(12)
    except OSError as exc:
        raise MediaError(path, f"cannot be read ({exc.strerror or exc})") from None
    return head.startswith(b"\x1a\x45\xdf\xa3") or head[4:8] == b"ftyp"


def _png_bit_depth(path: Path) -> int:
    with open(path, "rb") as fh:
        head = fh.read(33)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or len(head) < 25:
        return 8
    return head[24]


def _is_animated_png(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(4096)
    return b"acTL" in head


def _check_size(frames: list[np.ndarray], label: str) -> None:
    total = sum(f.nbytes for f in frames)
    if total > MAX_DECODED_BYTES:
        raise MediaError(
            label,
            f"animated sticker decodes to {total / 2**20:.0f} MB (limit {MAX_DECODED_BYTES / 2**20:.0f} MB); "
            "make it shorter or smaller",
        )


def _to_rgba(im: Image.Image) -> np.ndarray:
    if im.info.get("icc_profile") and im.mode not in ("I;16", "I;16B", "I;16L", "I"):
        return np.asarray(to_srgb(im, alpha=True), np.uint8).copy()  # a P3 or Adobe RGB sticker: in sRGB
    if im.mode == "RGBA":
        return np.asarray(im, np.uint8).copy()
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(im).astype(np.float64)
        grey = np.clip(arr / (65535.0 if arr.max() > 255 else 255.0) * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.dstack([grey, grey, grey, np.full_like(grey, 255)])
    # palette transparency, LA, RGB, L, CMYK...: Pillow knows how to reach RGBA
    return np.asarray(im.convert("RGBA"), np.uint8).copy()


def _image(path: Path) -> StickerMedia:
    label = str(path)
    if _png_bit_depth(path) == 16 and not _is_animated_png(path):
        still = _png16(path)
        if still is not None:
            return StickerMedia((still,), (1.0,), label)
    try:
        with open_image(path) as im:
            n = int(getattr(im, "n_frames", 1))
            if n <= 1:
                im.load()
                return StickerMedia((_to_rgba(im),), (1.0,), label)
            frames: list[np.ndarray] = []
            durations: list[float] = []
            for frame in ImageSequence.Iterator(im):
                frames.append(_to_rgba(frame))
                ms = frame.info.get("duration", im.info.get("duration", 100)) or 100
                durations.append(max(float(ms), 10.0) / 1000.0)  # browsers treat < 10 ms as 100 ms; keep >= 10 ms
                _check_size(frames, label)
    except UnidentifiedImageError:
        raise MediaError(label, "is not an image Pillow can read (PNG, WebP, GIF, APNG...)") from None
    except OSError as exc:
        raise MediaError(label, f"cannot be decoded ({exc})") from None
    if len({f.shape for f in frames}) != 1:
        raise MediaError(label, "animation frames differ in size")
    return StickerMedia(tuple(frames), tuple(durations), label)


def _png16(path: Path) -> np.ndarray | None:
    data = np.fromfile(str(path), np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if img is None:
        return None
    if img.dtype != np.uint16:
        img = img.astype(np.uint16) * 257
    if img.ndim == 2:
        return np.dstack([img, img, img, np.full_like(img, 65535)])
    if img.shape[2] == 2:  # grey + alpha
        g, a = img[:, :, 0], img[:, :, 1]
        return np.dstack([g, g, g, a])
    if img.shape[2] == 3:
        rgb = img[:, :, ::-1]
        return np.dstack([rgb, np.full(img.shape[:2], 65535, np.uint16)])
    return np.ascontiguousarray(img[:, :, [2, 1, 0, 3]])


def _sequence(files: list[str], fps: float, *, label: str) -> StickerMedia:
    frames: list[np.ndarray] = []
    for f in files:
        media = _image(Path(f)) if Path(f).is_file() else None
        if media is None:
            raise MediaError(f, "image of the sequence does not exist")
        frames.append(media.frames[0])
        _check_size(frames, label)
    if len({fr.shape[:2] for fr in frames}) != 1:
        sizes = sorted({f"{fr.shape[1]}x{fr.shape[0]}" for fr in frames})
        raise MediaError(label, f"images of the sequence differ in size ({', '.join(sizes)})")
    if len({fr.dtype for fr in frames}) != 1:
        frames = [fr if fr.dtype == np.uint8 else (fr // 257).astype(np.uint8) for fr in frames]
    return StickerMedia(tuple(frames), tuple([1.0 / fps] * len(frames)), label)


def _alpha_decoder(stream: av.video.stream.VideoStream) -> av.CodecContext | None:
    """A libvpx decoder for VP8/VP9 streams that carry an alpha layer."""
    meta = {k.lower(): v for k, v in (stream.metadata or {}).items()}
    if str(meta.get("alpha_mode", "0")) != "1":
        return None
    name = {"vp9": "libvpx-vp9", "vp8": "libvpx"}.get(stream.codec_context.name)
    if name is None:
        return None
    try:
        return av.CodecContext.create(name, "r")
    except (av.error.FFmpegError, ValueError):
        raise MediaError(
            stream.container.name,
            f"this {stream.codec_context.name.upper()} video has an alpha channel, but this PyAV build has no "
            f"'{name}' decoder to read it (the built-in decoder drops alpha); install a PyAV wheel built with libvpx "
            "or convert the sticker to animated WebP/PNG",
        ) from None


def _video(path: Path) -> StickerMedia:
    label = str(path)
    frames: list[np.ndarray] = []
    times: list[float] = []
    try:
        with av.open(label, "r", metadata_errors="replace") as container:
            if not container.streams.video:
                raise MediaError(label, "has no video stream")
            stream = container.streams.video[0]
            decoder = _alpha_decoder(stream)
            tb = float(stream.time_base) if stream.time_base else 0.0
            rate = float(stream.average_rate or stream.guessed_rate or 30)

            def keep(frame: av.VideoFrame) -> None:
                frames.append(frame.to_ndarray(format="rgba"))
                t = float(frame.pts * tb) if frame.pts is not None and tb else len(frames) / rate
                times.append(t)
                _check_size(frames, label)

            if decoder is None:
                stream.thread_type = "AUTO"
                for frame in container.decode(stream):
                    keep(frame)
            else:
                for packet in container.demux(stream):
                    try:
                        decoded = decoder.decode(packet if packet.size else None)
                    except av.error.EOFError:
                        decoded = []
                    for frame in decoded:
                        keep(frame)
    except MediaError:
        raise
    except (av.error.FFmpegError, OSError) as exc:
        raise MediaError(label, f"cannot be decoded as a video sticker ({exc})") from None
    if not frames:
        raise MediaError(label, "holds no video frames")
    order = np.argsort(times, kind="stable")
    frames = [frames[i] for i in order]
    ts = [times[i] for i in order]
    durations = [max(b - a, 1e-3) for a, b in zip(ts, ts[1:])]
    durations.append(durations[-1] if durations else 1.0 / rate)
    return StickerMedia(tuple(frames), tuple(durations), label)
