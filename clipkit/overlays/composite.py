"""Compositing overlay images into YUV 4:2:0 frames, inside their bounding box only.

An overlay image (a sticker frame, rasterized text) is held as a :class:`Sprite`:
*premultiplied* YUVA planes in float32, ``Y·a``, ``U·a``, ``V·a`` and ``a`` in [0, 1]
(Y/U/V on the 0..255 scale, BT.709 limited range). Premultiplied values are what a
resampler may interpolate: scaling or rotating a straight-alpha image mixes the (often
black) colour of its transparent pixels into the edge and leaves a dark fringe; a
transparent premultiplied pixel contributes nothing. The blend is
``dst = src_p + dst · (1 - a)`` (Porter-Duff "over").

Chroma planes are half size. A chroma sample of the overlay is the mean of the
premultiplied values and alphas of its 2x2 luma block, which equals the 2x2 mean of a
full-resolution blend (the destination chroma is constant over the block).

Two paths, single-threaded (see DESIGN.md):

- *placed*: the overlay sits at whole pixels at its own size (text, stickers at rest).
  The blend reads the planes as they are (OpenCV arithmetic on the overlay's box: a
  render with only captions and resting stickers loads no numba, ~130 MB of RSS); chroma
  planes are cached for each parity of the position. Exact: :func:`ref_composite_rgba`
  is its float reference.
- *warped*: any affine placement, a numba ``nogil`` kernel (:mod:`.kernels`) (pop, spin, bounce). One pass over the bounding box
  maps each frame pixel back into the sprite, samples bilinearly and blends, with no
  intermediate image; the chroma is sampled from the half-size planes at chroma-sample
  centres. Shrinking below half size reads a pre-reduced copy (area filter).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from ..errors import ParameterError
from ..frame import _RGB_TO_YUV, Frame

__all__ = [
    "Sprite",
    "affine",
    "premultiplied_planes",
    "ref_composite_rgba",
    "ref_warp_blend",
]

_M = _RGB_TO_YUV[:, :3].astype(np.float64)
_OFF = _RGB_TO_YUV[:, 3].astype(np.float64)


def premultiplied_planes(rgba: np.ndarray, *, premultiplied: bool = False) -> tuple[np.ndarray, ...]:
    """Convert an RGBA image to premultiplied full-resolution ``(Y·a, U·a, V·a, a)`` planes.

    Parameters
    ----------
    rgba : np.ndarray, shape (H, W, 4), dtype uint8, uint16 or float32
        Straight (unassociated) alpha unless ``premultiplied``. Integer images use
        their full range; float images are in [0, 1].
    premultiplied : bool
        The RGB channels are already multiplied by alpha.

    Returns
    -------
    yp, up, vp, a : np.ndarray, shape (H, W), dtype float32
    """
    if rgba.ndim != 3 or rgba.shape[2] != 4:
        raise ParameterError(f"overlay image: shape {rgba.shape} is not (H, W, 4) RGBA")
    if rgba.dtype == np.uint8:
        scale = 1.0 / 255.0
    elif rgba.dtype == np.uint16:
        scale = 1.0 / 65535.0
    elif rgba.dtype in (np.float32, np.float64):
        scale = 1.0
    else:
        raise ParameterError(f"overlay image: dtype {rgba.dtype} is not uint8, uint16 or float32")
    f = rgba.astype(np.float32) * np.float32(scale)
    a = f[:, :, 3]
    rgb = f[:, :, :3] if premultiplied else f[:, :, :3] * a[:, :, None]
    m = (_M * 255.0).astype(np.float32)
    out = []
    for k in range(3):
        plane = rgb[:, :, 0] * m[k, 0] + rgb[:, :, 1] * m[k, 1] + rgb[:, :, 2] * m[k, 2] + a * np.float32(_OFF[k])
        out.append(np.ascontiguousarray(plane, np.float32))
    out.append(np.ascontiguousarray(a, np.float32))
    return tuple(out)


def _half(plane: np.ndarray, pad_top: int, pad_left: int) -> np.ndarray:
    """2x2 means of ``plane`` on the chroma grid of a placement with the given parity."""
    h, w = plane.shape
    hh = (h + pad_top + 1) // 2
    ww = (w + pad_left + 1) // 2
    padded = np.zeros((2 * hh, 2 * ww), np.float32)
    padded[pad_top : pad_top + h, pad_left : pad_left + w] = plane
    return np.ascontiguousarray(padded.reshape(hh, 2, ww, 2).mean(axis=(1, 3), dtype=np.float32))


def _over(dst: np.ndarray, p: np.ndarray, a: np.ndarray, opacity: float) -> None:
    """``dst = round(p·k + dst·(1 - a·k))`` in place, through OpenCV's SIMD arithmetic.

    At full opacity a resting sprite costs a subtraction (``1 - a``), a multiply, an add
    and a rounding per plane, written straight into the frame. ``1 - a`` is made at each
    draw rather than kept with the sprite: it is about 5 us for a 270x270 sticker, and
    kept it was a fifth of every sprite's memory (4 of 24 bytes a pixel, 5 MB for the
    bench's stickers and texts). No numba: a render with only text and resting stickers
    loads none. Measured on a 900x130 text box, one thread: 0.07 ms, against 0.49 ms for
    the same arithmetic in numpy. ``convertScaleAbs`` rounds exact halves to even, which
    differed from rounding them up on none of 117,000 random pixels.
    """
    if opacity != 1.0:
        k = np.float32(opacity)
        p = p * k
        keep = np.float32(1.0) - a * k
    else:
        keep = np.float32(1.0) - a
    blended = cv2.multiply(dst, keep, dtype=cv2.CV_32F)
    cv2.add(blended, p, dst=blended)
    cv2.convertScaleAbs(blended, dst=dst)


def _blend_placed(frame: Frame, sprite: "Sprite", ox: int, oy: int, opacity: float) -> None:
    """Blend a sprite at whole-pixel position ``(ox, oy)``, clipped to the frame."""
    fh, fw = frame.y.shape
    ch, cw = frame.u.shape
    pad_left, pad_top = ox & 1, oy & 1
    uh, vh, ah = sprite.halves(pad_top, pad_left)  # padded by _PAD
    cx0, cy0 = (ox - pad_left) // 2, (oy - pad_top) // 2
    hh, hw = uh.shape[0] - 2 * _PAD, uh.shape[1] - 2 * _PAD
    q0, q1 = max(0, -cy0), min(hh, ch - cy0)
    s0, s1 = max(0, -cx0), min(hw, cw - cx0)
    ph, pw = sprite.height, sprite.width
    r0, r1 = max(0, -oy), min(ph, fh - oy)
    c0, c1 = max(0, -ox), min(pw, fw - ox)
    if frame.alpha is None:
        if q1 > q0 and s1 > s0:
            inside = (slice(_PAD + q0, _PAD + q1), slice(_PAD + s0, _PAD + s1))
            for plane, src in ((frame.u, uh), (frame.v, vh)):
                _over(plane[cy0 + q0 : cy0 + q1, cx0 + s0 : cx0 + s1], src[inside], ah[inside], opacity)
        if r1 > r0 and c1 > c0:
            inside = (slice(_PAD + r0, _PAD + r1), slice(_PAD + c0, _PAD + c1))
            _over(frame.y[oy + r0 : oy + r1, ox + c0 : ox + c1], sprite._yp[inside], sprite._a[inside], opacity)
        return
    from .kernels import _rows_over_alpha  # numba: loaded only for frames with alpha (rare)

    if q1 > q0 and s1 > s0:
        # chroma reads the destination alpha of its 2x2 block before luma updates it
        block = frame.alpha[2 * (cy0 + q0) : 2 * (cy0 + q1), 2 * (cx0 + s0) : 2 * (cx0 + s1)]
        a = ah[_PAD + q0 : _PAD + q1, _PAD + s0 : _PAD + s1]
        for plane, src in ((frame.u, uh), (frame.v, vh)):
            sub = src[_PAD + q0 : _PAD + q1, _PAD + s0 : _PAD + s1]
            _rows_over_alpha(plane[cy0 + q0 : cy0 + q1, cx0 + s0 : cx0 + s1], block, sub, a, opacity, True)
    if r1 > r0 and c1 > c0:
        _rows_over_alpha(
            frame.y[oy + r0 : oy + r1, ox + c0 : ox + c1],
            frame.alpha[oy + r0 : oy + r1, ox + c0 : ox + c1],
            sprite.yp[r0:r1, c0:c1],
            sprite.a[r0:r1, c0:c1],
            opacity,
            False,
        )


_NO_ALPHA = np.zeros((1, 1), np.uint8)
_PAD = 2
_SIZE_CACHE = 32
_SIZE_BYTES = 8 * 2**20  # resized copies a sprite keeps: a one-off entrance (pop) never revisits a size


def _padded(plane: np.ndarray) -> np.ndarray:
    out = np.zeros((plane.shape[0] + 2 * _PAD, plane.shape[1] + 2 * _PAD), np.float32)
    out[_PAD:-_PAD, _PAD:-_PAD] = plane
    return out


def _interior(padded: np.ndarray) -> np.ndarray:
    return padded[_PAD:-_PAD, _PAD:-_PAD]


# -- sprites ----------------------------------------------------------------------------
class Sprite:
    """One overlay image as premultiplied YUVA planes, ready to draw into frames.

    Build with :meth:`from_rgba`. Drawing costs time in proportion to the overlay's
    bounding box, never to the frame.

    Parameters
    ----------
    yp, up, vp, a : np.ndarray, shape (H, W), float32
        Premultiplied luma/chroma (0..255 scale) and alpha (0..1) at full resolution.
    """

    __slots__ = ("_yp", "_up", "_vp", "_a", "_halves", "_levels", "_sizes", "nbytes")

    def __init__(self, yp: np.ndarray, up: np.ndarray, vp: np.ndarray, a: np.ndarray) -> None:
        if not (yp.shape == up.shape == vp.shape == a.shape) or yp.ndim != 2 or yp.size == 0:
            raise ParameterError(f"sprite planes: shapes {yp.shape}, {up.shape}, {vp.shape}, {a.shape} differ or are empty")
        # zero-padded so that the warp kernel samples past the edges without bounds checks
        self._yp, self._a = _padded(yp), _padded(a)
        # full-size chroma is read only to make the half-size planes of a placement parity
        # and resized copies; once the first half-size planes are made it is kept as
        # float16 (see halves)
        self._up, self._vp = (np.ascontiguousarray(p, np.float32) for p in (up, vp))
        self._halves: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._levels: list[Sprite] = []
        self._sizes: dict[tuple[int, int], Sprite] = {}
        self.nbytes = int(self._yp.nbytes * 2 + self._up.nbytes * 2)

    @classmethod
    def from_rgba(cls, rgba: np.ndarray, *, premultiplied: bool = False) -> Sprite:
        """A sprite from an RGBA image (see :func:`premultiplied_planes` for the input)."""
        return cls(*premultiplied_planes(rgba, premultiplied=premultiplied))

    @property
    def yp(self) -> np.ndarray:
        """Premultiplied luma (view)."""
        return _interior(self._yp)

    @property
    def up(self) -> np.ndarray:
        """Premultiplied Cb, float32 (read only)."""
        return self._up if self._up.dtype == np.float32 else self._up.astype(np.float32)

    @property
    def vp(self) -> np.ndarray:
        """Premultiplied Cr, float32 (read only)."""
        return self._vp if self._vp.dtype == np.float32 else self._vp.astype(np.float32)

    @property
    def a(self) -> np.ndarray:
        """Alpha in [0, 1] (view)."""
        return _interior(self._a)

    @property
    def width(self) -> int:
        """Width in pixels."""
        return int(self._yp.shape[1] - 2 * _PAD)

    @property
    def height(self) -> int:
        """Height in pixels."""
        return int(self._yp.shape[0] - 2 * _PAD)

    def halves(self, pad_top: int = 0, pad_left: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Half-size ``(U·a, V·a, a)`` planes on the chroma grid of a placement parity.

        The planes are zero-padded by 2 samples on every side (use ``[2:-2, 2:-2]`` for
        the samples themselves).

        The first parity's planes are made from the float32 chroma, which is then kept
        as float16: a resting sprite needs no other, and it saves 4 of a placed sprite's
        about 20 bytes a pixel (4 MB for the stickers and texts of ``bench_render.py
        --real``). Planes made later (a sprite that slides to the other parity, or is
        resized) are within 0.07 levels of the float32 ones.
        """
        key = (pad_top, pad_left)
        hit = self._halves.get(key)
        if hit is None:
            hit = tuple(_padded(_half(p, pad_top, pad_left)) for p in (self.up, self.vp, self.a))  # type: ignore[assignment]
            self._halves[key] = hit  # type: ignore[assignment]
            self.nbytes += sum(h.nbytes for h in hit)  # type: ignore[union-attr]
            if self._up.dtype == np.float32:
                self.nbytes -= self._up.nbytes
                self._up, self._vp = self._up.astype(np.float16), self._vp.astype(np.float16)
        return hit  # type: ignore[return-value]

    def resized(self, width: int, height: int) -> Sprite:
        """This sprite resampled to ``width`` x ``height`` (area filter when shrinking)."""
        if (width, height) == (self.width, self.height):
            return self
        if width < 1 or height < 1:
            raise ParameterError(f"sprite size: {width}x{height} is below 1 pixel")
        shrink = width < self.width or height < self.height
        interp = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
        planes = [
            np.ascontiguousarray(cv2.resize(np.ascontiguousarray(p), (width, height), interpolation=interp), np.float32)
            for p in (self.yp, self.up, self.vp, self.a)
        ]
        return Sprite(*planes)

    def sized(self, width: int, height: int) -> Sprite:
        """Like :meth:`resized`, but remembers recent sizes (an animation revisits them): the
        last 32, within 8 MB (counted in :attr:`nbytes`)."""
        if (width, height) == (self.width, self.height):
            return self  # never cached: a sprite in its own cache is a reference cycle (it held ~26 copies a job in a worker)
        key = (width, height)
        hit = self._sizes.get(key)
        if hit is None:
            hit = self.resized(width, height)
            self._sizes[key] = hit
            self.nbytes += hit.nbytes
            held = sum(s.nbytes for s in self._sizes.values())
            while len(self._sizes) > 1 and (len(self._sizes) > _SIZE_CACHE or held > _SIZE_BYTES):
                dropped = self._sizes.pop(next(iter(self._sizes)))
                held -= dropped.nbytes
                self.nbytes -= dropped.nbytes
        return hit

    def level_for(self, scale: float) -> Sprite:
        """This sprite, or a pre-reduced copy when drawn at below half ``scale``."""
        level = self
        i = 0
        while scale * self.width / level.width < 0.5 and level.width >= 8 and level.height >= 8:
            if i >= len(self._levels):
                self._levels.append(level.resized(max(1, level.width // 2), max(1, level.height // 2)))
            level = self._levels[i]
            i += 1
        return level

    def draw(self, frame: Frame, matrix: np.ndarray, *, opacity: float = 1.0) -> bool:
        """Blend this sprite into ``frame`` in place through an affine placement.

        Parameters
        ----------
        frame : Frame
            Writable frame (call :meth:`Frame.writable` first).
        matrix : np.ndarray, shape (2, 3)
            Sprite pixel coordinates -> frame pixel coordinates (see :func:`affine`).
            Translations and rotation-free scalings take the exact *placed* path
            (rounded to whole pixels; scaled copies are cached per size); anything
            else is resampled bilinearly.
        opacity : float in [0, 1]
            Multiplies the sprite's alpha.

        Returns
        -------
        bool
            Whether any part of the sprite fell inside the frame.
        """
        if opacity <= 0.0:
            return False
        opacity = min(1.0, float(opacity))
        m = np.asarray(matrix, np.float64)
        tx, ty = m[0, 2], m[1, 2]
        fw, fh = frame.width, frame.height
        translation = abs(m[0, 0] - 1.0) < 1e-9 and abs(m[1, 1] - 1.0) < 1e-9 and abs(m[0, 1]) < 1e-9 and abs(m[1, 0]) < 1e-9
        if translation:
            # whole pixels: sub-pixel motion of a flat overlay is not worth a resample
            ox, oy = int(math.floor(tx + 0.5)), int(math.floor(ty + 0.5))
            if ox >= fw or oy >= fh or ox + self.width <= 0 or oy + self.height <= 0:
                return False
            _blend_placed(frame, self, ox, oy, opacity)
            return True
        if abs(m[0, 1]) < 1e-9 and abs(m[1, 0]) < 1e-9 and m[0, 0] > 0 and m[1, 1] > 0:
            # scaled, not rotated: resample once per size (cached) and place at whole pixels
            tw, th = int(round(self.width * m[0, 0])), int(round(self.height * m[1, 1]))
            if tw < 1 or th < 1:
                return False
            ox, oy = int(math.floor(tx + 0.5)), int(math.floor(ty + 0.5))
            if ox >= fw or oy >= fh or ox + tw <= 0 or oy + th <= 0:
                return False
            _blend_placed(frame, self.sized(tw, th), ox, oy, opacity)
            return True
        scale = math.sqrt(abs(m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0]))
        if scale <= 1e-9:
            return False
        level = self.level_for(scale)
        if level is not self:
            m = m.copy()
            m[:, 0] *= self.width / level.width
            m[:, 1] *= self.height / level.height
        w, h = level.width, level.height
        corners = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], np.float64) @ m.T
        x0 = max(int(math.floor(corners[:, 0].min())) - 2, 0)
        y0 = max(int(math.floor(corners[:, 1].min())) - 2, 0)
        x1 = min(int(math.ceil(corners[:, 0].max())) + 2, fw)
        y1 = min(int(math.ceil(corners[:, 1].max())) + 2, fh)
        if x1 <= x0 or y1 <= y0:
            return False
        inv = cv2.invertAffineTransform(m)
        uh, vh, ah = level.halves(0, 0)
        has_alpha = frame.alpha is not None
        alpha = frame.alpha if has_alpha else _NO_ALPHA
        ch, cw = frame.u.shape
        cx0, cy0, cx1, cy1 = x0 // 2, y0 // 2, min((x1 + 1) // 2, cw), min((y1 + 1) // 2, ch)
        from .kernels import _warp_rows  # numba: loaded only once a sprite is scaled, turned or moved off-pixel

        # chroma first: with a destination alpha it needs the old coverage
        _warp_rows(frame.u, alpha, has_alpha, uh, ah, inv, cx0, cy0, cx1, cy1, 2, 2.0, opacity)
        _warp_rows(frame.v, alpha, has_alpha, vh, ah, inv, cx0, cy0, cx1, cy1, 2, 2.0, opacity)
        _warp_rows(frame.y, alpha, has_alpha, level._yp, level._a, inv, x0, y0, x1, y1, 1, 1.0, opacity)
        return True


def affine(
    *,
    position: tuple[float, float],
    anchor: tuple[float, float],
    size: tuple[float, float],
    scale: float = 1.0,
    rotation: float = 0.0,
) -> np.ndarray:
    """The 2x3 matrix that places an image of ``size`` with ``anchor`` at ``position``.

    Parameters
    ----------
    position : (float, float)
        Frame pixel where the anchor lands.
    anchor : (float, float), each in [0, 1]
        Point of the image (fractions of its width and height) pinned to ``position``.
    size : (float, float)
        Image width and height in pixels.
    scale : float > 0
        Uniform scale about the anchor.
    rotation : float
        Degrees, clockwise on screen, about the anchor.
    """
    th = math.radians(rotation)
    c, s = math.cos(th) * scale, math.sin(th) * scale
    ax, ay = anchor[0] * size[0], anchor[1] * size[1]
    px, py = position
    return np.array([[c, -s, px - (c * ax - s * ay)], [s, c, py - (s * ax + c * ay)]], np.float64)


# -- references -------------------------------------------------------------------------
def ref_composite_rgba(frame: Frame, rgba: np.ndarray, x: int, y: int, *, opacity: float = 1.0) -> Frame:
    """Float reference of drawing a straight-alpha RGBA image at whole pixel ``(x, y)``.

    Blends at full resolution in float64 (each luma pixel takes the colour of the
    overlay and the destination chroma of its 2x2 block), then averages chroma over
    2x2 blocks. Returns a new frame; ``frame`` must be opaque.
    """
    out = frame.copy()
    fh, fw = out.y.shape
    h, w = rgba.shape[:2]
    maxval = 65535.0 if rgba.dtype == np.uint16 else (255.0 if rgba.dtype == np.uint8 else 1.0)
    f = rgba.astype(np.float64) / maxval
    yuv = f[:, :, :3] * 255.0 @ _M.T + _OFF
    a_img = f[:, :, 3] * opacity
    a = np.zeros((fh, fw))
    src = np.zeros((fh, fw, 3))
    ys, xs = slice(max(y, 0), min(y + h, fh)), slice(max(x, 0), min(x + w, fw))
    a[ys, xs] = a_img[ys.start - y : ys.stop - y, xs.start - x : xs.stop - x]
    src[ys, xs] = yuv[ys.start - y : ys.stop - y, xs.start - x : xs.stop - x]
    yv = src[:, :, 0] * a + out.y * (1 - a)
    out.y[:] = np.clip(np.floor(yv + 0.5), 0, 255).astype(np.uint8)
    ch, cw = out.u.shape
    for plane, k in ((out.u, 1), (out.v, 2)):
        dst = np.repeat(np.repeat(plane.astype(np.float64), 2, 0), 2, 1)[:fh, :fw]
        full = src[:, :, k] * a + dst * (1 - a)
        blocks = full[: 2 * ch, : 2 * cw].reshape(ch, 2, cw, 2).mean(axis=(1, 3))
        plane[:] = np.clip(np.floor(blocks + 0.5), 0, 255).astype(np.uint8)
    return out


def ref_warp_blend(frame: Frame, sprite: Sprite, matrix: np.ndarray, *, opacity: float = 1.0) -> Frame:
    """Plain-numpy twin of the *warped* path of :meth:`Sprite.draw` (opaque frames)."""
    out = frame.copy()
    fh, fw = out.y.shape
    m = np.asarray(matrix, np.float64).copy()
    level = sprite.level_for(math.sqrt(abs(m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0])))
    m[:, 0] *= sprite.width / level.width
    m[:, 1] *= sprite.height / level.height
    sprite = level
    inv = cv2.invertAffineTransform(m)

    def sample(p: np.ndarray, sx: np.ndarray, sy: np.ndarray) -> np.ndarray:
        h, w = p.shape
        padded = np.zeros((h + 4, w + 4))
        padded[2:-2, 2:-2] = p
        x0 = np.floor(sx).astype(np.int64)
        y0 = np.floor(sy).astype(np.int64)
        fx, fy = sx - x0, sy - y0
        x0c = np.clip(x0 + 2, 0, w + 2)
        y0c = np.clip(y0 + 2, 0, h + 2)
        inside = (x0 >= -2) & (x0 <= w) & (y0 >= -2) & (y0 <= h)
        v = (
            padded[y0c, x0c] * (1 - fx) * (1 - fy)
            + padded[y0c, x0c + 1] * fx * (1 - fy)
            + padded[y0c + 1, x0c] * (1 - fx) * fy
            + padded[y0c + 1, x0c + 1] * fx * fy
        )
        return np.where(inside, v, 0.0)

    X, Y = np.meshgrid(np.arange(fw) + 0.5, np.arange(fh) + 0.5)
    sx = inv[0, 0] * X + inv[0, 1] * Y + inv[0, 2]
    sy = inv[1, 0] * X + inv[1, 1] * Y + inv[1, 2]
    a = sample(sprite.a, sx - 0.5, sy - 0.5) * opacity
    yv = sample(sprite.yp, sx - 0.5, sy - 0.5) * opacity + out.y * (1 - a)
    out.y[:] = np.where(a > 1e-6, np.clip(np.floor(yv + 0.5), 0, 255), out.y).astype(np.uint8)
    uh, vh, ah = (_interior(p) for p in sprite.halves(0, 0))
    ch, cw = out.u.shape
    CX, CY = np.meshgrid(2.0 * np.arange(cw) + 1.0, 2.0 * np.arange(ch) + 1.0)
    sx = inv[0, 0] * CX + inv[0, 1] * CY + inv[0, 2]
    sy = inv[1, 0] * CX + inv[1, 1] * CY + inv[1, 2]
    ca = sample(ah, 0.5 * sx - 0.5, 0.5 * sy - 0.5) * opacity
    for plane, src in ((out.u, uh), (out.v, vh)):
        val = sample(src, 0.5 * sx - 0.5, 0.5 * sy - 0.5) * opacity + plane * (1 - ca)
        plane[:] = np.where(ca > 1e-6, np.clip(np.floor(val + 0.5), 0, 255), plane).astype(np.uint8)
    return out
