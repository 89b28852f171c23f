"""Sources in other colours than clipkit's output (SDR BT.709): HDR, BT.2020, BT.601.

Phones record HDR by default (iPhones HEVC 10-bit HLG, many Android phones HLG or
HDR10 PQ), with BT.2020 primaries. clipkit writes SDR BT.709 H.264, what upload apps
take and every screen shows. Passing an HDR clip's values through unchanged, as a plain
decode does, gives a flat, washed-out and desaturated picture. So each decoded frame of
such a source is converted to SDR, the way an editor's "HDR to SDR" does:

1. Y'CbCr (BT.2020 matrix, limited range) to R'G'B';
2. to display light in nits: the PQ EOTF (SMPTE ST 2084), or for HLG the inverse OETF
   and the OOTF of a 1000-nit display (system gamma 1.2, BT.2100);
3. HDR reference white (203 nits, BT.2408) becomes SDR white, and the light is taken to
   BT.709 primaries (colours outside BT.709 are desaturated towards their own luminance,
   not clipped channel by channel, so their hue holds);
4. highlights above :data:`KNEE` of SDR white roll off smoothly up to :data:`HDR_PEAK`
   (hue-preserving, on the largest channel) instead of clipping at 203 nits: a bright
   sky keeps its gradation;
5. the SDR display encoding (BT.1886, gamma 2.4) and Y'CbCr in BT.709, limited range.

A source with BT.2020 primaries and an SDR curve gets steps 1, 3 and 5 (gamut only).

Standard-definition video (and JPEG-based video such as MJPEG webcams) is coded with
the BT.601 matrix: decoded as if it were BT.709, its reds and greens shift by several
levels (mean 2.5-5.5 on Big Buck Bunny's 720p, which is tagged BT.601; up to 18). Its
R'G'B' is kept as it is and only re-coded with BT.709's matrix (what players do when
they show it; BT.601's primaries are within a few percent of BT.709's and are not
converted). Tagged files follow their tag; an untagged one is BT.601 when it is
standard definition (narrower than 1280 and at most 576 lines, mpv's rule) or JPEG.

The whole mapping is one colour cube (:func:`clipkit.cube.apply_cube`), built
once per kind and kept in clipkit's cube cache like a look's (BT.601's re-coding is
linear and needs none: about 0.9 ms for a 406x720 crop against the cube's 2.9). It runs on the decoded
8-bit planes (FFmpeg's scaler reduces the 10-bit planes first), at about a look's cost
per frame; SDR BT.709 sources (almost every HD clip) are not touched.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..cube import CUBE_CHROMA, CUBE_SHAPE, CUBES, apply_cube

__all__ = ["COLOURS", "CUBE_COLOURS", "REFERENCE_WHITE", "KNEE", "HDR_PEAK", "colour_of", "convert_rgb", "bt709_cube", "to_bt709"]

COLOURS = ("pq", "hlg", "bt2020", "bt601")
"""What a source needs converting from: ``pq`` (HDR10, SMPTE ST 2084), ``hlg`` (hybrid
log-gamma, ARIB STD-B67), ``bt2020`` (an SDR curve with BT.2020 primaries) or
``bt601`` (the standard-definition matrix)."""

CUBE_COLOURS = ("pq", "hlg", "bt2020")
"""The colours converted through a colour cube (BT.601 is a linear re-coding instead)."""

REFERENCE_WHITE = 203.0
"""Nits of HDR reference (diffuse) white, mapped to SDR white (BT.2408)."""

KNEE = 0.75
"""Share of SDR white above which highlights roll off (below it the light is kept)."""

HDR_PEAK = 1000.0
"""Nits that become SDR white: the display HLG's OOTF renders for (BT.2100's reference),
and the mastering peak assumed for PQ (most HDR10 and phone footage); brighter PQ
highlights clip."""

# FFmpeg's enum values (AVColorTransferCharacteristic, AVColorPrimaries, AVColorSpace)
_TRC_PQ, _TRC_HLG = 16, 18
_PRIMARIES_BT2020 = 9
_MATRIX_BT709, _MATRIX_UNSPECIFIED, _MATRIX_BT601 = 1, 2, (5, 6)  # 5 BT470BG, 6 SMPTE170M

# BT.2020 primaries to BT.709, on linear light (ITU-R BT.2087)
_BT2020_TO_709 = np.array(
    [[1.6605, -0.5876, -0.0728], [-0.1246, 1.1329, -0.0083], [-0.0182, -0.1006, 1.1187]],
    np.float32,
)


def colour_of(frame: Any) -> str | None:
    """Which conversion a decoded frame (``av.VideoFrame``) needs, or None for SDR BT.709.

    Read from the frame's colour tags (transfer curve, primaries, matrix), as players
    do; an untagged matrix is BT.601 for standard definition and JPEG (``yuvj``) video.
    RGB video (PNG, QuickTime RLE, x264 RGB) has no matrix: FFmpeg's scaler codes it with
    BT.709's when the frame is read (:func:`clipkit.media.video.frame_to_planes`).
    """
    fmt = getattr(frame, "format", None)
    if fmt is not None and (getattr(fmt, "is_rgb", False) or getattr(fmt, "has_palette", False)):
        return None
    trc = int(getattr(frame, "color_trc", 0) or 0)
    if trc == _TRC_PQ:
        return "pq"
    if trc == _TRC_HLG:
        return "hlg"
    if int(getattr(frame, "color_primaries", 0) or 0) == _PRIMARIES_BT2020:
        return "bt2020"
    matrix = int(getattr(frame, "colorspace", 0) or 0)
    if matrix in _MATRIX_BT601:
        return "bt601"
    if matrix in (0, _MATRIX_UNSPECIFIED):
        name = getattr(fmt, "name", "") or ""
        if name.startswith("yuvj") or (frame.width < 1280 and frame.height <= 576):
            return "bt601"
    return None


def _pq_nits(e: np.ndarray) -> np.ndarray:
    m1, m2 = 2610 / 16384, 2523 / 4096 * 128
    c1, c2, c3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32
    p = np.power(np.clip(e, 0.0, 1.0), 1.0 / m2)
    return 10000.0 * np.power(np.maximum(p - c1, 0.0) / (c2 - c3 * p), 1.0 / m1)


def _hlg_nits(rgb: np.ndarray) -> np.ndarray:
    """HLG signal (R'G'B', 0..1) to display light in nits on a :data:`HDR_PEAK` display."""
    a = 0.17883277
    b = 1.0 - 4.0 * a
    c = 0.5 - a * np.log(4.0 * a)
    e = np.clip(rgb, 0.0, 1.0)
    scene = np.where(e <= 0.5, e * e / 3.0, (np.exp((e - c) / a) + b) / 12.0)
    ys = scene @ np.array([0.2627, 0.6780, 0.0593], np.float32)
    gamma = 1.2  # BT.2100's system gamma at 1000 nits
    return HDR_PEAK * np.power(np.maximum(ys, 1e-6), gamma - 1.0)[..., None] * scene


def _roll_off(linear: np.ndarray) -> np.ndarray:
    """Highlights above :data:`KNEE` eased so that :data:`HDR_PEAK` nits reach SDR white.

    Above the knee, ``z`` (the light past the knee, in units of what is left up to white)
    becomes ``z (1 + z / W**2) / (1 + z)`` (extended Reinhard: slope 1 at the knee, 1 at
    ``W``, the peak), scaled on each pixel's largest channel so its hue is kept.
    """
    peak = linear.max(axis=-1)
    span = 1.0 - KNEE
    w = (HDR_PEAK / REFERENCE_WHITE - KNEE) / span
    z = np.maximum(peak - KNEE, 0.0) / span
    eased = np.where(peak > KNEE, KNEE + span * z * (1.0 + z / (w * w)) / (1.0 + z), peak)
    scale = np.where(peak > 1e-6, np.minimum(eased, 1.0) / np.maximum(peak, 1e-6), 1.0)
    return linear * scale[..., None]


def _into_gamut(linear709: np.ndarray) -> np.ndarray:
    """Colours outside BT.709 (a negative channel) desaturated towards their luminance."""
    lum = linear709 @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    low = linear709.min(axis=-1)
    lum = np.maximum(lum, 0.0)
    t = np.where(low < 0.0, lum / np.maximum(lum - low, 1e-6), 1.0)
    return lum[..., None] + t[..., None] * (linear709 - lum[..., None])


def convert_rgb(rgb2020: np.ndarray, kind: str) -> np.ndarray:
    """Source R'G'B' (BT.2020 primaries, 0..1, last axis the channels) to SDR BT.709 R'G'B'.

    Parameters
    ----------
    rgb2020 : np.ndarray
        Non-linear source values in 0..1.
    kind : {'pq', 'hlg', 'bt2020'}
        The source's colours (see :data:`CUBE_COLOURS`).

    Returns
    -------
    np.ndarray
        BT.709 R'G'B' for an SDR display (BT.1886), 0..1, float32.
    """
    rgb = np.asarray(rgb2020, np.float32)
    if kind == "pq":
        linear = _pq_nits(rgb) / REFERENCE_WHITE
    elif kind == "hlg":
        linear = _hlg_nits(rgb) / REFERENCE_WHITE
    elif kind == "bt2020":
        linear = np.power(np.clip(rgb, 0.0, 1.0), 2.4)
    else:
        raise ValueError(f"kind: {kind!r} is not one of {', '.join(CUBE_COLOURS)}")
    linear = _into_gamut(linear.astype(np.float32) @ _BT2020_TO_709.T)
    if kind != "bt2020":
        linear = _roll_off(linear)
    return np.power(np.clip(linear, 0.0, 1.0), 1.0 / 2.4).astype(np.float32)


def _build(kind: str) -> np.ndarray:
    cube = np.empty(CUBE_SHAPE, np.uint8)
    y = (np.arange(256, dtype=np.float32) - 16.0) / 219.0
    # each entry serves chroma 2i and 2i + 1; it is built for 2i, so that neutral (128)
    # is exact: PQ's steep curve turns half a level of chroma into 2-3 levels of tint
    c = (2.0 * np.arange(CUBE_CHROMA, dtype=np.float32) - 128.0) / 224.0
    kr, kb = 0.2627, 0.0593  # BT.2020's Y'CbCr matrix (non-constant luminance)
    kg = 1.0 - kr - kb
    for iu in range(CUBE_CHROMA):  # one chroma row of the cube at a time: 128 x 256 pixels
        cb = c[iu]
        cr = c[:, None]
        r = y[None, :] + 2.0 * (1.0 - kr) * cr
        b = y[None, :] + 2.0 * (1.0 - kb) * cb
        g = (y[None, :] - kr * r - kb * b) / kg
        rgb = np.stack(np.broadcast_arrays(r, g, b), axis=-1)
        out = convert_rgb(rgb, kind)
        yo = 0.2126 * out[..., 0] + 0.7152 * out[..., 1] + 0.0722 * out[..., 2]
        cube[iu, :, :, 0] = np.clip(np.floor(16.0 + 219.0 * yo + 0.5), 0, 255)
        cube[iu, :, :, 1] = np.clip(np.floor(128.0 + 224.0 * (out[..., 2] - yo) / 1.8556 + 0.5), 0, 255)
        cube[iu, :, :, 2] = np.clip(np.floor(128.0 + 224.0 * (out[..., 0] - yo) / 1.5748 + 0.5), 0, 255)
    return cube


def bt709_cube(kind: str) -> np.ndarray:
    """The colour cube that takes a ``kind`` source's Y'CbCr (limited range) to SDR BT.709 Y'CbCr.

    Built once (about a second) and kept in clipkit's cube cache (memory and disk).
    """
    if kind not in CUBE_COLOURS:
        raise ValueError(f"kind: {kind!r} is not one of {', '.join(CUBE_COLOURS)}")
    return CUBES.get(("to-bt709", kind, REFERENCE_WHITE, KNEE, HDR_PEAK), lambda: _build(kind))


def _matrix(kr: float, kb: float) -> np.ndarray:
    """R'G'B' -> (Y', Cb, Cr) for a Y'CbCr matrix (Y' in 0..1, chroma in -0.5..0.5)."""
    kg = 1.0 - kr - kb
    return np.array([[kr, kg, kb], [-kr / (2 - 2 * kb), -kg / (2 - 2 * kb), 0.5], [0.5, -kg / (2 - 2 * kr), -kb / (2 - 2 * kr)]])


# BT.601 (Y', Cb, Cr) to BT.709's, the same R'G'B' in between: Y' keeps its own value and
# gains a little of each chroma, each chroma is a mix of both (code levels, limited range)
_601_TO_709 = _matrix(0.2126, 0.0722) @ np.linalg.inv(_matrix(0.299, 0.114))
_Y_FROM_CB, _Y_FROM_CR = (219.0 / 224.0) * _601_TO_709[0, 1], (219.0 / 224.0) * _601_TO_709[0, 2]


def _recode_601(y: np.ndarray, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BT.601 planes re-coded with BT.709's matrix: linear, so no cube is needed (about a
    fifth of a cube's cost). Luma takes its 2x2 block's chroma, as a cube's lookup does."""
    import cv2

    cb = u.astype(np.float32) - 128.0
    cr = v.astype(np.float32) - 128.0
    dy = np.rint(_Y_FROM_CB * cb + _Y_FROM_CR * cr).astype(np.int16)
    out_y = cv2.add(y, cv2.resize(dy, (y.shape[1], y.shape[0]), interpolation=cv2.INTER_NEAREST), dtype=cv2.CV_8U)
    m = _601_TO_709
    out_u = np.clip(np.floor(128.5 + m[1, 1] * cb + m[1, 2] * cr), 0, 255).astype(np.uint8)
    out_v = np.clip(np.floor(128.5 + m[2, 1] * cb + m[2, 2] * cr), 0, 255).astype(np.uint8)
    return out_y, out_u, out_v


def to_bt709(y: np.ndarray, u: np.ndarray, v: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 8-bit planes of a ``kind`` source (limited range) in SDR BT.709: (y, u, v)."""
    if kind == "bt601":
        return _recode_601(y, u, v)
    return apply_cube(y, u, v, bt709_cube(kind), 1.0)
