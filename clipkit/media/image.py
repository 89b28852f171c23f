"""Still images as sources: read once with Pillow, held for a duration.

Pillow reads PNG, JPEG, WebP, AVIF, GIF and the rest; HEIF/HEIC (what iPhones take
photos in) is read through ``pillow-heif``, registered with Pillow when a file's header
says HEIF. Every reader here opens files with :func:`open_image`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import MediaError
from ..frame import Frame

__all__ = [
    "is_still_image",
    "load_image_frame",
    "image_size",
    "animated_image_info",
    "iter_animated_frames",
    "decoded_by_pillow",
    "rgba_to_frame",
    "open_image",
    "to_srgb",
]

# ISO base media brands of HEIF images (HEVC-coded; AVIF, Pillow reads itself)
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}
_HEIF_READY: list[bool] = []


def _looks_like_heif(path: str | os.PathLike[str]) -> bool:
    """Whether the file starts with an ISO ``ftyp`` box naming a HEIF brand (cheap: 64 bytes)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(64)
    except OSError:
        return False
    if len(head) < 16 or head[4:8] != b"ftyp":
        return False
    size = min(len(head), int.from_bytes(head[0:4], "big") or len(head))
    brands = {head[8:12]} | {head[i : i + 4] for i in range(16, size - 3, 4)}
    return bool(brands & _HEIF_BRANDS)


def open_image(path: str | os.PathLike[str]) -> Image.Image:
    """``PIL.Image.open``, with HEIF/HEIC support switched on first when the file is one.

    ``pillow-heif`` (libheif in a wheel) decodes the whole picture, tiled grids as
    iPhones write them included, with its rotation and mirroring applied (its EXIF
    orientation then reads 1). Importing it costs ~40 ms, so that happens only for the
    first HEIF file a process opens.
    """
    if not _HEIF_READY and _looks_like_heif(path):
        try:
            import pillow_heif

            pillow_heif.register_heif_opener()
        except ImportError:  # not installed: Pillow reports the file as unreadable
            pass
        _HEIF_READY.append(True)
    return Image.open(path)


# Pillow's parsers report damaged files with whatever went wrong inside them
# (IndexError, struct.error, SyntaxError, EOFError...), not only OSError: every one of
# them means "this file is not a readable image".
_PILLOW_ERRORS = (Exception,)


def _pillow_problem(exc: BaseException) -> str:
    if isinstance(exc, Image.DecompressionBombError):
        return f"is larger than clipkit decodes (a decompression bomb?): {exc}".split(", could be")[0]
    if isinstance(exc, (UnidentifiedImageError,)):
        return "not an image Pillow can read"
    return f"not an image Pillow can read ({type(exc).__name__}: {exc})" if str(exc) else f"not an image Pillow can read ({type(exc).__name__})"


def is_still_image(path: str | os.PathLike[str]) -> bool:
    """True when Pillow recognises the file (by content) as a single-frame image."""
    try:
        with open_image(path) as im:
            return int(getattr(im, "n_frames", 1)) == 1
    except _PILLOW_ERRORS:  # damaged or not an image: FFmpeg gets to judge it
        return False


def image_size(path: str | os.PathLike[str]) -> tuple[int, int]:
    """Upright ``(width, height)`` of an image, EXIF orientation applied, made even."""
    try:
        with open_image(path) as im:
            w, h = im.size
            orientation = im.getexif().get(0x0112, 1)
    except _PILLOW_ERRORS as exc:
        raise MediaError(path, _pillow_problem(exc)) from None
    if orientation in (5, 6, 7, 8):
        w, h = h, w
    return max(2, w - w % 2), max(2, h - h % 2)


SHRINK_BELOW = 0.75
"""A still is shrunk at load when the scale it is needed at is below this (see
:func:`load_image_frame`); closer to full size, the saving is not worth a resample."""


def load_image_frame(path: str | os.PathLike[str], *, needed: tuple[int, int] | None = None) -> Frame:
    """Decode an image to YUV planes with an alpha plane when it has transparency.

    EXIF orientation is applied, and an embedded ICC profile (Display P3 from phones,
    Adobe RGB, CMYK) is honoured (:func:`to_srgb`); odd sizes lose their last row/column
    so chroma subsampling is exact.

    Parameters
    ----------
    path : str or path
        The image.
    needed : (width, height), optional
        The size of the box the picture must cover at full sharpness (a render asks for
        1.5 times its canvas or cell, room for a crop or a zoom). A photo much larger than
        that (a 48 MP phone photo for a 1080x1920 video: 8064x6048) is shrunk as it is read,
        its aspect kept, before the colour work: a JPEG is decoded at a reduced DCT scale
        (Pillow's ``draft``), then area-averaged. Without it, the picture keeps its size.
    """
    path = os.fspath(path)
    try:
        with open_image(path) as im:
            if needed is not None:
                im = _shrunk_still(im, needed)
            im = ImageOps.exif_transpose(im)
            has_alpha = im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)
            rgba = to_srgb(im, alpha=has_alpha)
            data = np.asarray(rgba)
    except _PILLOW_ERRORS as exc:
        raise MediaError(path, _pillow_problem(exc)) from None
    h, w = data.shape[:2]
    if w < 2 or h < 2:
        raise MediaError(path, f"image of {w}x{h} pixels is too small")
    data = data[: h - h % 2, : w - w % 2]
    alpha = np.ascontiguousarray(data[:, :, 3]) if has_alpha else None
    if alpha is not None and alpha.min() == 255:
        alpha = None
    return Frame.from_rgb(np.ascontiguousarray(data[:, :, :3]), alpha)


def _shrunk_still(im: Image.Image, needed: tuple[int, int]) -> Image.Image:
    """``im`` (as stored, before its EXIF turn) at the smallest size that still covers ``needed`` upright."""
    w, h = im.size
    if im.getexif().get(0x0112, 1) in (5, 6, 7, 8):
        needed = (needed[1], needed[0])  # the box is upright; the stored picture is turned
    scale = max(needed[0] / max(1, w), needed[1] / max(1, h))
    if scale >= SHRINK_BELOW:
        return im
    size = (max(2, int(round(w * scale))), max(2, int(round(h * scale))))
    if im.format == "JPEG" and im.mode in ("RGB", "L", "CMYK", "YCbCr"):
        im.draft(im.mode, size)  # decoded at 1/2, 1/4 or 1/8 where that still covers the size
    if im.size != size:
        exif = im.getexif()
        info = dict(im.info)
        # Pillow's filters widen with the reduction (an area average, as cv2's INTER_AREA)
        im = im.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
        im.info.update(info)
        if exif:
            im.info["exif"] = exif.tobytes()
    return im


_SRGB: list[Any] = []


def to_srgb(im: Image.Image, *, alpha: bool) -> Image.Image:
    """An RGB (``alpha``: RGBA) copy of ``im`` in sRGB, through its ICC profile if it has one.

    Phones tag photos Display P3 (its red and green reach past sRGB's), cameras Adobe RGB,
    print files CMYK; read as they are, such colours come out dull or shifted (a P3
    orange's green is about 10 levels off). LittleCMS (in Pillow's wheel) converts them
    with the relative colorimetric intent, as browsers and phone galleries show them.
    A profile that names itself sRGB, or one LittleCMS cannot read, leaves the values
    as they are.
    """
    mode = "RGBA" if alpha else "RGB"
    icc = im.info.get("icc_profile")
    if icc:
        from io import BytesIO

        from PIL import ImageCms

        try:
            source = ImageCms.ImageCmsProfile(BytesIO(icc))
            name = (ImageCms.getProfileDescription(source) or "").lower()
            if "srgb" not in name and "iec61966-2" not in name and im.mode in ("RGB", "RGBA", "CMYK", "L", "LA", "P", "PA"):
                if not _SRGB:
                    _SRGB.append(ImageCms.createProfile("sRGB"))
                picture = im
                if picture.mode in ("P", "PA", "LA") or (picture.mode == "L" and alpha):
                    picture = picture.convert(mode)
                elif picture.mode == "RGBA" and not alpha:
                    picture = picture.convert("RGB")
                elif picture.mode == "RGB" and alpha:
                    picture = picture.convert("RGBA")
                in_mode = picture.mode
                out_mode = mode if in_mode in ("RGB", "RGBA") else "RGB"
                done = ImageCms.profileToProfile(picture, source, _SRGB[0], renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC, outputMode=out_mode)
                if done is not None:
                    return done if done.mode == mode else done.convert(mode)
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # an unreadable or unusable profile: the values as they are, as most players show them
    return im.convert(mode)


# -- animated images that FFmpeg refuses -------------------------------------------------------
# probe() falls back to Pillow for animated PNGs (and GIF/WebP) whose frames FFmpeg's
# decoder will not give; the frame readers then ask here who decodes the file.
_PILLOW_DECODED: dict[tuple[str, int, int], bool] = {}


def _file_key(path: str) -> tuple[str, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (os.path.abspath(path), st.st_size, st.st_mtime_ns)


def decoded_by_pillow(path: str | os.PathLike[str]) -> bool:
    """True when :func:`animated_image_info` accepted this file (as it is now)."""
    key = _file_key(os.fspath(path))
    return key is not None and _PILLOW_DECODED.get(key, False)


def _frame_durations(im: Image.Image) -> list[float]:
    """Seconds each frame is shown; walks every frame, so a damaged one fails here."""
    durations = []
    for index in range(int(getattr(im, "n_frames", 1))):
        im.seek(index)
        im.load()
        ms = im.info.get("duration", 100)
        # players show a 0 ms (or missing) delay as 100 ms, as browsers do
        durations.append((float(ms) if ms and float(ms) > 10 else 100.0) / 1000.0)
    return durations


def animated_image_info(path: str | os.PathLike[str]) -> Any:
    """A :class:`~clipkit.media.probe.MediaInfo` for an animated image Pillow decodes.

    Returns ``None`` when Pillow cannot read every frame either (or the file is not an
    animated image), so the caller reports FFmpeg's refusal.

    Raises
    ------
    MediaError
        The animation decodes but its frames are smaller than 2x2 pixels.
    """
    from .probe import MIN_VIDEO_SIZE, MediaInfo, VideoInfo

    path = os.fspath(path)
    try:
        with open_image(path) as im:
            if int(getattr(im, "n_frames", 1)) < 2:
                return None
            fmt = (im.format or "image").lower()
            width, height = im.size
            durations = _frame_durations(im)
    except _PILLOW_ERRORS:
        return None
    if width < MIN_VIDEO_SIZE or height < MIN_VIDEO_SIZE:
        raise MediaError(path, f"animation of {width}x{height} pixels is too small (at least {MIN_VIDEO_SIZE}x{MIN_VIDEO_SIZE})")
    duration = float(sum(durations))
    steps = np.asarray(durations)
    vfr = bool(np.mean(np.abs(steps - np.median(steps)) > 0.1 * np.median(steps)) > 0.05) if steps.size >= 3 else False
    video = VideoInfo(
        width=width,
        height=height,
        display_width=max(2, width - width % 2),
        display_height=max(2, height - height % 2),
        sample_aspect=Fraction(1),
        rotation=0,
        fps=Fraction(len(durations)) / Fraction(duration).limit_denominator(1000) if duration > 0 else None,
        vfr=vfr,
        duration=duration,
        start=0.0,
        frames=len(durations),
        pix_fmt="rgba",
        full_range=True,
        codec=fmt,
    )
    key = _file_key(path)
    if key is not None:
        _PILLOW_DECODED[key] = True
    return MediaInfo(
        path=path,
        format=f"{fmt} (pillow)",
        duration=duration,
        is_image=False,
        video=video,
        audio=None,
        streams=(f"video:{fmt}",),
        metadata={},
        decoder="pillow",
    )


def iter_animated_frames(path: str | os.PathLike[str]) -> Iterator[tuple[np.ndarray, float]]:
    """Yield ``(rgba, t)``: each frame of an animated image, composited by Pillow
    (disposal and blending applied), with its start time in seconds."""
    path = os.fspath(path)
    try:
        with open_image(path) as im:
            t = 0.0
            for index in range(int(getattr(im, "n_frames", 1))):
                im.seek(index)
                rgba = np.asarray(im.convert("RGBA"))
                yield rgba, t
                ms = im.info.get("duration", 100)
                t += (float(ms) if ms and float(ms) > 10 else 100.0) / 1000.0
    except _PILLOW_ERRORS as exc:
        raise MediaError(path, f"animation cannot be decoded: {_pillow_problem(exc)}") from None


def rgba_to_frame(rgba: np.ndarray) -> Frame:
    """YUV planes (with alpha when not opaque) of an RGBA array, cropped to even size."""
    h, w = rgba.shape[:2]
    rgba = rgba[: h - h % 2, : w - w % 2]
    alpha = np.ascontiguousarray(rgba[:, :, 3])
    return Frame.from_rgb(np.ascontiguousarray(rgba[:, :, :3]), None if alpha.min() == 255 else alpha)
