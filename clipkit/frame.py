"""The frame format that flows through the pipeline: YUV 4:2:0 planes of uint8.

PyAV decodes to yuv420p and libx264 encodes yuv420p, so a pipeline whose stages all
work on planes never converts colour. Values are limited ("TV") range BT.709, the
convention of phone video and of the H.264 files clipkit writes. Effects that truly
need RGB call :meth:`Frame.to_rgb` / :meth:`Frame.from_rgb` once around their work;
both go through OpenCV (about 1-3 ms at 1080x1920, against 7-11 ms for PyAV's reformat).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from .errors import ParameterError

__all__ = ["Frame", "rgb_to_yuv", "yuv_to_rgb", "parse_color"]

# BT.709, limited range. Rows give Y, U (Cb), V (Cr) from R, G, B in [0, 255]; the
# last column is the offset. OpenCV's own YUV conversions are BT.601, hence the matrices.
_KR, _KB = 0.2126, 0.0722
_KG = 1.0 - _KR - _KB
_RGB_TO_YUV = np.array(
    [
        [_KR * 219 / 255, _KG * 219 / 255, _KB * 219 / 255, 16.0],
        [-_KR / (1 - _KB) / 2 * 224 / 255, -_KG / (1 - _KB) / 2 * 224 / 255, 0.5 * 224 / 255, 128.0],
        [0.5 * 224 / 255, -_KG / (1 - _KR) / 2 * 224 / 255, -_KB / (1 - _KR) / 2 * 224 / 255, 128.0],
    ],
    dtype=np.float64,
)
_M = _RGB_TO_YUV[:, :3]
_M_INV = np.linalg.inv(_M)
_YUV_TO_RGB = np.hstack([_M_INV, (-_M_INV @ _RGB_TO_YUV[:, 3]).reshape(3, 1)])


REFERENCE_SHORT_SIDE = 1080
"""Pixel sizes in clipkit (border widths, radii, ``px`` parameters, text sizes) are pixels
on a frame whose short side is this many pixels, scaled with the render."""


def color_yuv(rgb: tuple[int, int, int]) -> tuple[float, float, float]:
    """BT.709 limited-range ``(Y, U, V)`` of an RGB colour, unrounded (kernels blending
    toward a colour use it)."""
    r, g, b = (float(c) for c in rgb)
    m = _RGB_TO_YUV
    return tuple(float(m[k, 0] * r + m[k, 1] * g + m[k, 2] * b + m[k, 3]) for k in range(3))  # type: ignore[return-value]


def color_yuv8(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """``(Y, U, V)`` of an RGB colour as the 8-bit values :meth:`Frame.solid` fills with."""
    px = cv2.transform(np.array([[rgb]], dtype=np.uint8), _RGB_TO_YUV)[0, 0]
    return int(px[0]), int(px[1]), int(px[2])


def rgb_to_yuv(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Convert an RGB image to BT.709 limited-range YUV 4:2:0 planes.

    Parameters
    ----------
    rgb : np.ndarray, shape (H, W, 3), dtype uint8, H and W even
        The image.

    Returns
    -------
    y, u, v : np.ndarray of uint8
        Planes of shape (H, W), (H/2, W/2), (H/2, W/2).
    """
    h, w = rgb.shape[:2]
    if h % 2 or w % 2:
        raise ParameterError(f"rgb_to_yuv needs even dimensions, got {w}x{h}")
    yuv = cv2.transform(np.ascontiguousarray(rgb), _RGB_TO_YUV)
    y = np.ascontiguousarray(yuv[:, :, 0])
    uv = cv2.resize(yuv[:, :, 1:], (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    return y, np.ascontiguousarray(uv[:, :, 0]), np.ascontiguousarray(uv[:, :, 1])


def yuv_to_rgb(y: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Convert BT.709 limited-range YUV 4:2:0 planes to an RGB uint8 image (H, W, 3)."""
    h, w = y.shape
    uv = cv2.merge([u, v])
    uv = cv2.resize(uv, (w, h), interpolation=cv2.INTER_LINEAR)
    yuv = cv2.merge([y, uv[:, :, 0], uv[:, :, 1]])
    return cv2.transform(yuv, _YUV_TO_RGB)


def parse_color(value: str | tuple[int, int, int] | list[int], *, field: str = "color") -> tuple[int, int, int]:
    """Parse ``"#rrggbb"``, ``"#rgb"``, a CSS-like name or an (r, g, b) triple.

    Raises
    ------
    ParameterError
        Naming ``field`` and the value when it is not a colour.
    """
    if isinstance(value, (tuple, list)) and len(value) == 3 and all(isinstance(c, int) for c in value):
        if all(0 <= c <= 255 for c in value):
            return (int(value[0]), int(value[1]), int(value[2]))
    elif isinstance(value, str):
        text = value.strip().lower()
        if text in _NAMED_COLORS:
            return _NAMED_COLORS[text]
        if text.startswith("#") and len(text) in (4, 7):
            digits = text[1:]
            if len(digits) == 3:
                digits = "".join(c * 2 for c in digits)
            try:
                return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))
            except ValueError:
                pass
    raise ParameterError(
        f"{field}: {value!r} is not a colour; use '#rrggbb', '#rgb', a name such as "
        f"{', '.join(sorted(_NAMED_COLORS)[:6])}, or [r, g, b] with each in 0..255",
        field=field,
        value=value,
        allowed="'#rrggbb', '#rgb', a colour name, or [r, g, b] in 0..255",
    )


_NAMED_COLORS: dict[str, tuple[int, int, int]] = {
    "black": (0, 0, 0),
    "white": (255, 255, 255),
    "red": (255, 0, 0),
    "green": (0, 128, 0),
    "lime": (0, 255, 0),
    "blue": (0, 0, 255),
    "yellow": (255, 255, 0),
    "cyan": (0, 255, 255),
    "magenta": (255, 0, 255),
    "gray": (128, 128, 128),
    "grey": (128, 128, 128),
    "orange": (255, 165, 0),
    "pink": (255, 192, 203),
    "purple": (128, 0, 128),
}


@dataclass(slots=True)
class Frame:
    """One video frame as YUV 4:2:0 planes.

    Attributes
    ----------
    y : np.ndarray, shape (H, W), dtype uint8
        Luma, limited range (16..235).
    u, v : np.ndarray, shape (H/2, W/2), dtype uint8
        Chroma (Cb, Cr), limited range (16..240), 128 is neutral.
    alpha : np.ndarray, shape (H, W), dtype uint8, or None
        Coverage for compositing (255 opaque); ``None`` means fully opaque.
    av_frame : av.VideoFrame or None
        The decoded frame these planes are zero-copy views of, when they are: an
        untouched frame is then handed to the encoder as it is, with no copy. Any
        stage that builds a new frame drops it.
    """

    y: np.ndarray
    u: np.ndarray
    v: np.ndarray
    alpha: np.ndarray | None = None
    av_frame: Any = field(default=None, repr=False, compare=False)

    @property
    def width(self) -> int:
        """Width in pixels."""
        return int(self.y.shape[1])

    @property
    def height(self) -> int:
        """Height in pixels."""
        return int(self.y.shape[0])

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)``."""
        return (self.width, self.height)

    @classmethod
    def solid(cls, width: int, height: int, rgb: tuple[int, int, int] = (0, 0, 0)) -> Frame:
        """A frame filled with one colour.

        Parameters
        ----------
        width, height : int, even, > 0
            Size in pixels.
        rgb : tuple of int in [0, 255]
            The colour.
        """
        if width <= 0 or height <= 0 or width % 2 or height % 2:
            raise ParameterError(f"frame size must be even and positive, got {width}x{height}")
        px = color_yuv8(rgb)
        return cls(
            np.full((height, width), px[0], np.uint8),
            np.full((height // 2, width // 2), px[1], np.uint8),
            np.full((height // 2, width // 2), px[2], np.uint8),
        )

    @classmethod
    def from_rgb(cls, rgb: np.ndarray, alpha: np.ndarray | None = None) -> Frame:
        """Build a frame from an RGB image (H, W, 3) uint8 with even H and W."""
        y, u, v = rgb_to_yuv(rgb)
        return cls(y, u, v, alpha)

    def to_rgb(self) -> np.ndarray:
        """This frame as an RGB image (H, W, 3) uint8 (alpha is dropped)."""
        return yuv_to_rgb(self.y, self.u, self.v)

    def copy(self) -> Frame:
        """A deep copy with contiguous, writable planes."""
        return Frame(
            self.y.copy(),
            self.u.copy(),
            self.v.copy(),
            None if self.alpha is None else self.alpha.copy(),
        )

    def shared(self) -> Frame:
        """This frame with its planes marked read-only, for a source that yields it repeatedly.

        A still image, a colour card or a held frame hands the same planes to several
        output frames; read-only planes make :meth:`writable` copy before anyone draws.
        """
        for plane in (self.y, self.u, self.v) + (() if self.alpha is None else (self.alpha,)):
            plane.flags.writeable = False
        return self

    def writable(self) -> Frame:
        """This frame if all its planes are writable, else a copy.

        Decoded frames are views into PyAV's buffers and may be shared between
        output frames (a still, a duplicated frame), so stages that draw in place call
        this first.
        """
        planes = (self.y, self.u, self.v) + (() if self.alpha is None else (self.alpha,))
        if all(p.flags.writeable and p.flags.owndata for p in planes):
            return self
        return self.copy()

    @classmethod
    def packed(cls, width: int, height: int) -> Frame:
        """An uninitialised frame whose planes are views of one ``yuv420p`` buffer.

        A stage that writes its output into these planes (``cv2.resize(..., dst=)``)
        hands the encoder a frame that :meth:`to_i420` returns without copying.

        Parameters
        ----------
        width, height : int, even, > 0
            Size in pixels.
        """
        if width <= 0 or height <= 0 or width % 2 or height % 2:
            raise ParameterError(f"frame size must be even and positive, got {width}x{height}")
        buf = np.empty((height * 3 // 2, width), np.uint8)
        quarter = (height // 2) * (width // 2)
        chroma = buf[height:].reshape(-1)
        return cls(buf[:height], chroma[:quarter].reshape(height // 2, width // 2), chroma[quarter:].reshape(height // 2, width // 2))

    def _packed_buffer(self) -> np.ndarray | None:
        """The one ``yuv420p`` buffer the planes are consecutive views of, if they are."""
        base = self.y.base
        if not isinstance(base, np.ndarray) or self.u.base is not base or self.v.base is not base:
            return None
        h, w = self.y.shape
        if base.dtype != np.uint8 or base.shape != (h * 3 // 2, w) or not base.flags.c_contiguous:
            return None
        if not (self.y.flags.c_contiguous and self.u.flags.c_contiguous and self.v.flags.c_contiguous):
            return None
        start = base.ctypes.data
        if self.y.ctypes.data != start or self.u.ctypes.data != start + h * w or self.v.ctypes.data != start + h * w + self.u.size:
            return None
        return base

    def to_i420(self) -> np.ndarray:
        """The planes stacked as one (H*3/2, W) array, the layout of ``yuv420p``.

        No copy when the planes already are views of such an array in that order
        (see :meth:`packed`); the array is then shared with this frame.
        """
        packed = self._packed_buffer()
        if packed is not None:
            return packed
        h, w = self.y.shape
        out = np.empty((h * 3 // 2, w), np.uint8)
        out[:h] = self.y
        out[h:].reshape(-1)[: self.u.size] = self.u.reshape(-1)
        out[h:].reshape(-1)[self.u.size :] = self.v.reshape(-1)
        return out
