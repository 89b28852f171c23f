"""Still images as sources: read once with Pillow, held for a duration."""

from __future__ import annotations

import os

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import MediaError
from ..frame import Frame

__all__ = ["is_still_image", "load_image_frame", "image_size"]


def is_still_image(path: str | os.PathLike[str]) -> bool:
    """True when Pillow recognises the file (by content) as a single-frame image."""
    try:
        with Image.open(path) as im:
            return int(getattr(im, "n_frames", 1)) == 1
    except (UnidentifiedImageError, OSError, ValueError):
        return False


def image_size(path: str | os.PathLike[str]) -> tuple[int, int]:
    """Upright ``(width, height)`` of an image, EXIF orientation applied, made even."""
    try:
        with Image.open(path) as im:
            w, h = im.size
            orientation = im.getexif().get(0x0112, 1)
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise MediaError(path, f"not an image Pillow can read ({exc})") from None
    if orientation in (5, 6, 7, 8):
        w, h = h, w
    return max(2, w - w % 2), max(2, h - h % 2)


def load_image_frame(path: str | os.PathLike[str]) -> Frame:
    """Decode an image to YUV planes with an alpha plane when it has transparency.

    EXIF orientation is applied; odd sizes lose their last row/column so chroma
    subsampling is exact.
    """
    path = os.fspath(path)
    try:
        with Image.open(path) as im:
            im = ImageOps.exif_transpose(im)
            has_alpha = im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)
            rgba = im.convert("RGBA") if has_alpha else im.convert("RGB")
            data = np.asarray(rgba)
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise MediaError(path, f"not an image Pillow can read ({exc})") from None
    h, w = data.shape[:2]
    if w < 2 or h < 2:
        raise MediaError(path, f"image of {w}x{h} pixels is too small")
    data = data[: h - h % 2, : w - w % 2]
    alpha = np.ascontiguousarray(data[:, :, 3]) if has_alpha else None
    if alpha is not None and alpha.min() == 255:
        alpha = None
    return Frame.from_rgb(np.ascontiguousarray(data[:, :, :3]), alpha)
