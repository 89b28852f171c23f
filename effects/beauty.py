"""beauty: edge-preserving skin smoothing, scaled to the faces in the picture, with a skin mask
that holds across skin tones and casts.

Where the skin is, per frame:

1. Colour is read as log-chromaticity ``(log R/G, log B/G)``: a coloured light multiplies
   the channels, so there its cast is a plain shift. The frame's light (its median
   green-magenta tint and its coolest sizeable part) is estimated from a sparse sample of
   the frame itself and taken off, so a blue or orange light does not move skin out of
   the mask.
2. Skin is the band of that cast-free chromaticity where skin of every tone sits (very
   light and very dark skin differ in luminance and saturation, not in hue), warmer than
   the picture's coolest part.
3. Faces, found by :mod:`clipkit.vision` (the CNN detector, sampled every half second and
   followed by their optical flow in between; see ``docs/faces.md``), set the scale and guard the features: the
   smoothing radius follows the largest face's width (skin texture is relative to the
   face: a 50-pixel face in a crowd and a 600-pixel selfie need radii 12x apart), and the
   eyes with their brows and the mouth, placed from the detector's landmarks, are left
   out of the mask (at small face sizes their edges are as faint as the skin's texture,
   and no colour or edge test tells them apart). On grey (black-and-white) frames there
   is no chroma to find skin by: the mask is mid-tone luma inside the faces (everywhere
   when no face is found).

The smoothing is a fast guided filter (He & Sun 2015) on luma's detail layer (luma minus a
Gaussian base of its shading, the base added back after): edges keep their contrast even
inside the mask, and a cheek turning away from the light is smoothed too (on luma itself
the shading's own variance told the filter to keep everything there, texture included).
Its coefficients are smooth, so they are computed at 1/2 or 1/4 size (the smallest that keeps the radius at least 2 small pixels) with OpenCV's box
filters and brought to the half-size grid bilinearly; the mask is computed at that size
too. Only the final ``a * y + b`` runs at full size, in one pass, one coefficient pair per
2x2 block of luma, skipping rows with no skin.

Because faces are tracked, a frame's result depends on the frames before it in a render
(where the tracked faces are); a seek starts the tracks again from the frame sought.
"""

from __future__ import annotations

import math
import threading
from typing import Any

import cv2
import numpy as np
from clipkit.jit import njit

from clipkit.effects import Effect, Param
from clipkit.effects.kernels import ref_box_mean, u8
from clipkit.frame import Frame

# The filter works on the detail layer (luma minus a Gaussian "base" of the shading), not
# on luma itself: on a sloped part of a face (a cheek turning away from the light) the
# shading's own variance made the guided filter keep everything, texture included.
BASE_SIGMA = 2.0  # Gaussian sigma of the base, in filter radii (1 smoothed the eyes of a face in mixed light: 89% of their edges kept, 2: 91%)
EPS = 10.0**2  # guided-filter regulariser: variations well below 10 levels are smoothed, edges kept
# Colour is read as log-chromaticity a = log R/G, b = log B/G, turned 45 degrees: "warm"
# (a - b) / sqrt 2 is the blue-orange axis along which daylight, shade and tungsten move
# every colour, and along which skin tones from very light to very dark differ; "tint"
# (a + b) / sqrt 2 is the green-magenta axis, on which all skin sits in one narrow band.
_SQRT_HALF = math.sqrt(0.5)
TINT_CENTRE, TINT_HALF, TINT_FALLOFF = 0.04, 0.10, 0.04  # skin's tint band (flat top, soft sides), from the median tint
WARMER_THAN_COOLEST = (0.0, 0.05)  # how much warmer than the coolest part skin is (log units)
LOG_OFFSET = 8.0  # added before the log, so that noise in dark pixels does not swing the ratios
_LOG = np.log(np.arange(256, dtype=np.float64) + LOG_OFFSET)


def _ref_log_chroma(y: np.ndarray, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(log R/G, log B/G) of limited-range BT.709 YCbCr values (the light's cast is a shift here)."""
    yp = (y - 16.0) * (255.0 / 219.0)
    cb = (u - 128.0) * (255.0 / 224.0)
    cr = (v - 128.0) * (255.0 / 224.0)
    r = np.clip(np.floor(yp + 1.5748 * cr + 0.5), 0, 255).astype(np.int64)
    g = np.clip(np.floor(yp - 0.1873 * cb - 0.4681 * cr + 0.5), 0, 255).astype(np.int64)
    b = np.clip(np.floor(yp + 1.8556 * cb + 0.5), 0, 255).astype(np.int64)
    return _LOG[r] - _LOG[g], _LOG[b] - _LOG[g]


@njit(nogil=True, cache=True, fastmath=True)
def _log_chroma(y: float, u: float, v: float, table: np.ndarray) -> tuple[float, float]:
    yp = (y - 16.0) * (255.0 / 219.0)
    cb = (u - 128.0) * (255.0 / 224.0)
    cr = (v - 128.0) * (255.0 / 224.0)
    r = min(max(math.floor(yp + 1.5748 * cr + 0.5), 0.0), 255.0)
    g = min(max(math.floor(yp - 0.1873 * cb - 0.4681 * cr + 0.5), 0.0), 255.0)
    b = min(max(math.floor(yp + 1.8556 * cb + 0.5), 0.0), 255.0)
    lg = table[int(g)]
    return table[int(r)] - lg, table[int(b)] - lg


def skin_model(y: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The frame's light, as ``[tint, coolest]`` in log-chromaticity, from a sparse sample.

    ``tint`` is the median green-magenta coordinate (a fluorescent or green cast moves it);
    ``coolest`` is the 10th percentile of the blue-orange coordinate: the coolest sizeable
    part of the picture (walls, sky, shade), which skin is always warmer than. Both the
    kernel and the reference use this one estimate, so they see the same mask.
    """
    step = max(1, int(math.sqrt(u.size / 6000.0)))  # about 6000 chroma samples, any frame size
    h2, w2 = u.shape
    rows = np.arange(0, h2, step)
    cols = np.arange(0, w2, step)
    # index first, convert after: only the sampled pixels become float
    top, bottom = y[2 * rows], y[2 * rows + 1]
    lum = 0.25 * (top[:, 2 * cols].astype(np.float64) + top[:, 2 * cols + 1] + bottom[:, 2 * cols] + bottom[:, 2 * cols + 1]).ravel()
    a, b = _ref_log_chroma(lum, u[::step, ::step].astype(np.float64).ravel(), v[::step, ::step].astype(np.float64).ravel())
    warm, tint = (a - b) * _SQRT_HALF, (a + b) * _SQRT_HALF
    lit = (lum > 40) & (lum < 235)  # deep shadows and clipped highlights say little about the light
    if lit.sum() < 20:
        lit = np.ones_like(lum, bool)
    return np.array([float(np.median(tint[lit])), float(np.percentile(warm[lit], 10))])


def _ramp(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return np.clip((x - lo) / (hi - lo), 0.0, 1.0)


def _ref_weight(u: np.ndarray, v: np.ndarray, lum: np.ndarray, light: np.ndarray) -> np.ndarray:
    """Skin weight: on the skin's green-magenta band, warmer than the picture's coolest part."""
    a, b = _ref_log_chroma(lum, u, v)
    warm, tint = (a - b) * _SQRT_HALF - light[1], (a + b) * _SQRT_HALF - light[0]
    off = np.maximum(np.abs(tint - TINT_CENTRE) - TINT_HALF, 0.0) / TINT_FALLOFF
    band = np.exp(-0.5 * off * off)
    return band * _ramp(warm, *WARMER_THAN_COOLEST) * (1.0 - _ramp(warm, 1.2, 1.6)) * _ramp(lum, 20.0, 35.0) * (1.0 - _ramp(lum, 242.0, 252.0))


@njit(nogil=True, cache=True, fastmath=True)
def _ramp1(x: float, lo: float, hi: float) -> float:
    return min(max((x - lo) / (hi - lo), 0.0), 1.0)


@njit(nogil=True, cache=True, fastmath=True)
def _weight(u: float, v: float, lum: float, light: np.ndarray, table: np.ndarray) -> float:
    a, b = _log_chroma(lum, u, v, table)
    warm = (a - b) * _SQRT_HALF - light[1]
    tint = (a + b) * _SQRT_HALF - light[0]
    d = max(abs(tint - TINT_CENTRE) - TINT_HALF, 0.0) / TINT_FALLOFF
    band = math.exp(-0.5 * d * d)
    lo, hi = WARMER_THAN_COOLEST
    return band * _ramp1(warm, lo, hi) * (1.0 - _ramp1(warm, 1.2, 1.6)) * _ramp1(lum, 20.0, 35.0) * (1.0 - _ramp1(lum, 242.0, 252.0))


FACE_RADIUS = 0.08  # smoothing radius per face width: blemish-sized (8 px on a 100-pixel face)
# guided-filter regulariser on found faces: their eyes, brows and mouth are guarded, so the
# filter may smooth more (variations below ~22 levels) than on unguarded skin (EPS)
EPS_GUARDED = 22.0**2
DETECT_EVERY_S = 0.5  # faces are detected twice a second and followed by their optical flow in between
ANALYSIS_WIDTH = 480  # long side of the copy faces are searched in (as for stickers and framing)
# no search for faces below the detector's frame-wide size (FaceTracker's look_closer): such
# faces get little from smoothing, and the search doubled a detection's cost; measured on
# the real clips (bench_faces --beauty), no face's figures changed without it
LOOK_CLOSER = False
MIN_FACE = 0.04  # smallest face searched for, as a share of the frame's width
GREY_CHROMA = 3.0  # largest chroma offset (levels) of a frame read as black-and-white


@njit(nogil=True, cache=True, fastmath=True)
def _weight_map(lum: np.ndarray, u: np.ndarray, v: np.ndarray, light: np.ndarray, table: np.ndarray) -> np.ndarray:
    h, w = lum.shape
    out = np.empty((h, w), np.float32)
    for i in range(h):
        for j in range(w):
            out[i, j] = _weight(np.float64(u[i, j]), np.float64(v[i, j]), np.float64(lum[i, j]), light, table)
    return out


@njit(nogil=True, cache=True, fastmath=True)
def _guided_terms(mean_i: np.ndarray, mean_ii: np.ndarray, eps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The guided filter's per-window terms in one pass: ``a = var / (var + eps)`` and
    ``(1 - a) * mean`` (numpy made a temporary of the work grid for each operation)."""
    h, w = mean_i.shape
    a = np.empty((h, w), np.float32)
    b = np.empty((h, w), np.float32)
    for i in range(h):
        for j in range(w):
            m = mean_i[i, j]
            var = max(mean_ii[i, j] - m * m, np.float32(0.0))
            aa = var / (var + eps[i, j])
            a[i, j] = aa
            b[i, j] = (np.float32(1.0) - aa) * m
    return a, b


@njit(nogil=True, cache=True, fastmath=True)
def _blend_coefficients(ma: np.ndarray, mb: np.ndarray, base: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(1 + k (ma - 1), k ((1 - ma) base + mb))``: the filtered detail layer
    (``base + ma (y - base) + mb``) blended into ``y`` by ``k``, as ``A y + B``, in one pass."""
    h, w = ma.shape
    ca = np.empty((h, w), np.float32)
    cb = np.empty((h, w), np.float32)
    for i in range(h):
        for j in range(w):
            kk = k[i, j]
            ca[i, j] = np.float32(1.0) + kk * (ma[i, j] - np.float32(1.0))
            cb[i, j] = kk * ((np.float32(1.0) - ma[i, j]) * base[i, j] + mb[i, j])
    return ca, cb


def _base(guide: np.ndarray, sigma: float) -> np.ndarray:
    """The shading base: ``guide`` blurred with a Gaussian of ``sigma`` (work pixels).

    The base is smooth, so it is blurred on a copy halved while the sigma stays at least
    3 of its pixels, and brought back bilinearly (it differs from the blur at full work
    size by a fraction of a level; at full work size the blur was the filter's dearest
    step, about a third of its time).
    """
    h, w = guide.shape
    small, s = guide, 1
    while sigma / (2 * s) >= 3.0 and min(small.shape) >= 16:
        small = cv2.resize(small, (small.shape[1] // 2, small.shape[0] // 2), interpolation=cv2.INTER_AREA)
        s *= 2
    blurred = cv2.GaussianBlur(small, (0, 0), sigma / s, borderType=cv2.BORDER_REPLICATE)
    return blurred if s == 1 else cv2.resize(blurred, (w, h), interpolation=cv2.INTER_LINEAR)


@njit(nogil=True, cache=True, fastmath=True)
def _apply_coefficients(y: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a * y + b`` at full size, with ``a`` and ``b`` on the full grid or on the half-size
    (chroma) grid, where each value serves a 2x2 block of luma (they are smooth: the guided
    filter's box means). Rows without skin (``a = 1``, ``b = 0``) are copied."""
    out = y.copy()
    if a.shape == y.shape:
        block = 1
    else:
        block = 2
    sh, sw = a.shape
    for i in range(sh):
        skin = False
        for j in range(sw):
            if a[i, j] != 1.0 or b[i, j] != 0.0:
                skin = True
                break
        if not skin:
            continue
        ar, br = a[i], b[i]
        for di in range(block):
            src, dst = y[block * i + di], out[block * i + di]
            if block == 1:
                for j in range(sw):
                    dst[j] = u8(ar[j] * np.float32(src[j]) + br[j])
            else:
                for j in range(sw):
                    aa, bb = ar[j], br[j]
                    dst[2 * j] = u8(aa * np.float32(src[2 * j]) + bb)
                    dst[2 * j + 1] = u8(aa * np.float32(src[2 * j + 1]) + bb)
    return out


def _to_blocks(x: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Coefficients from the work grid to the half-size grid (bilinear), or as they are when
    the work grid is the full or the half-size grid."""
    h, w = shape
    if x.shape in ((h, w), (h // 2, w // 2)):
        return np.ascontiguousarray(x, np.float32)
    return cv2.resize(np.ascontiguousarray(x, np.float32), (w // 2, h // 2), interpolation=cv2.INTER_LINEAR)


def _is_grey(u: np.ndarray, v: np.ndarray) -> bool:
    """Whether the frame has no colour to find skin by (black-and-white film, a grey grade)."""
    step = max(1, int(math.sqrt(u.size / 4000.0)))
    su, sv = u[::step, ::step].astype(np.int16) - 128, v[::step, ::step].astype(np.int16) - 128
    return float(np.percentile(np.maximum(np.abs(su), np.abs(sv)), 99)) <= GREY_CHROMA


def _work_factor(h: int, w: int, radius: float) -> int:
    """1, 2 or 4: the largest shrink that keeps the radius at least 2 small pixels
    (large frames always at least 2: the coefficients are smooth, full size buys nothing)."""
    d = 4 if radius >= 8 else 2 if radius >= 4 else 1
    return max(d, 2 if min(h, w) >= 480 else 1)


def _shrunk(plane: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``plane`` as float32 at ``size`` (width, height), by area averaging.

    A uint8 plane is shrunk as uint8 (OpenCV's fastest path; the means are rounded to
    whole levels, far below what the filter and the mask resolve) and converted after,
    so no full-size float copy is made.
    """
    if plane.shape[1] == size[0] and plane.shape[0] == size[1]:
        return plane.astype(np.float32)
    # halve first while the plane is twice the target or more: OpenCV's exact-half area
    # resize is a fast path (a 1080x1920 luma to 1/4 in two halvings: 0.2 ms, in one
    # area resize 1.9 ms), and the means differ by at most a level of rounding
    while plane.shape[1] >= 2 * size[0] and plane.shape[0] >= 2 * size[1] and plane.shape[1] // 2 > size[0]:
        plane = cv2.resize(plane, (plane.shape[1] // 2, plane.shape[0] // 2), interpolation=cv2.INTER_AREA)
    if plane.shape[1] == size[0] and plane.shape[0] == size[1]:
        return plane.astype(np.float32)
    return cv2.resize(plane, size, interpolation=cv2.INTER_AREA).astype(np.float32)


def _ellipse(mask: np.ndarray, centre: tuple[float, float], axes: tuple[float, float], angle: float, k: float) -> None:
    cv2.ellipse(mask, (int(round(centre[0] * k)), int(round(centre[1] * k))), (max(1, int(round(axes[0] * k))), max(1, int(round(axes[1] * k)))), angle, 0, 360, 255, -1)


def _feature_guard(shape: tuple[int, int], k: float, faces: list[Any]) -> np.ndarray | None:
    """1 on the eyes with their brows and on the mouth of every face (soft-edged), else 0.

    Placed from the detector's landmarks (eyes, nose, mouth corners), or where they sit in
    an average face box when the detector gives none; sized by the eye distance (never
    below 30% of the face width, so a turned face keeps its guard). ``k`` is the work
    grid's scale (small pixels per frame pixel).
    """
    if not faces:
        return None
    mask = np.zeros(shape, np.uint8)
    soft = 0.0
    for f in faces:
        if len(f.landmarks) == 10:
            m = np.asarray(f.landmarks, np.float64).reshape(5, 2)
        else:
            m = np.array([(0.3, 0.4), (0.7, 0.4), (0.5, 0.6), (0.35, 0.8), (0.65, 0.8)]) * (f.w, f.h) + (f.x, f.y)
        eyes = max(math.hypot(*(m[1] - m[0])), 0.3 * f.w)
        for ex, ey in m[:2]:
            # the eye with its lids and the whole brow above it (a brow sits about half an
            # eye distance above the eye; the smaller ellipse before left its top smoothed)
            _ellipse(mask, (ex, ey - 0.2 * eyes), (0.5 * eyes, 0.45 * eyes), f.angle, k)
        mouth = max(math.hypot(*(m[4] - m[3])), 0.2 * f.w)
        _ellipse(mask, tuple((m[3] + m[4]) / 2), (0.5 * mouth + 0.15 * eyes, 0.3 * eyes), f.angle, k)
        soft = max(soft, 0.06 * eyes * k)
    guard = mask.astype(np.float32) * (1.0 / 255.0)
    return cv2.GaussianBlur(guard, (0, 0), max(0.5, soft)) if soft > 0.6 else guard


def _seeded_skin(lum: np.ndarray, u: np.ndarray, v: np.ndarray, k: float, faces: list[Any]) -> np.ndarray:
    """Skin by each face's own colour: near the chromaticity of its centre (below the eyes,
    above the mouth), inside the face. Catches skin the frame-wide band misses (a face lit
    differently from the rest of the picture). Planes on one grid, ``k`` its scale."""
    out = np.zeros(lum.shape, np.float32)
    h, w = lum.shape
    for f in faces:
        px0, px1 = int(max(0, (f.x + 0.3 * f.w) * k)), int(min(w, (f.x + 0.7 * f.w) * k + 1))
        py0, py1 = int(max(0, (f.y + 0.45 * f.h) * k)), int(min(h, (f.y + 0.75 * f.h) * k + 1))
        if px1 - px0 < 2 or py1 - py0 < 2:
            continue
        cut = np.s_[py0:py1, px0:px1]
        a, b = _ref_log_chroma(lum[cut].astype(np.float64), u[cut].astype(np.float64), v[cut].astype(np.float64))
        warm, tint = (a - b) * _SQRT_HALF, (a + b) * _SQRT_HALF
        w0, t0 = float(np.median(warm)), float(np.median(tint))
        sw = max(0.08, 2.0 * float(np.median(np.abs(warm - w0))))
        st = max(0.04, 2.0 * float(np.median(np.abs(tint - t0))))
        # the face and a margin around it (forehead, cheeks, neck below the box)
        x0, x1 = int(max(0, (f.x - 0.2 * f.w) * k)), int(min(w, (f.x + 1.2 * f.w) * k + 1))
        y0, y1 = int(max(0, (f.y - 0.2 * f.h) * k)), int(min(h, (f.y + 1.3 * f.h) * k + 1))
        area = np.s_[y0:y1, x0:x1]
        a, b = _ref_log_chroma(lum[area].astype(np.float64), u[area].astype(np.float64), v[area].astype(np.float64))
        dw, dt = ((a - b) * _SQRT_HALF - w0) / sw, ((a + b) * _SQRT_HALF - t0) / st
        near = np.exp(-0.5 * (dw * dw + dt * dt)) * _ramp(lum[area].astype(np.float64), 20.0, 35.0)
        out[area] = np.maximum(out[area], near.astype(np.float32))
    return out * _face_region(lum.shape, k, faces, grow=1.25)


def _face_region(shape: tuple[int, int], k: float, faces: list[Any], *, grow: float = 1.0) -> np.ndarray:
    """1 inside the faces (an ellipse a little larger than each box, ``grow`` times more), soft-edged."""
    mask = np.zeros(shape, np.uint8)
    for f in faces:
        cx, cy = f.center
        _ellipse(mask, (cx, cy + 0.05 * (grow - 1) * f.h), (0.55 * grow * f.w, 0.65 * grow * f.h), f.angle, k)
    return cv2.GaussianBlur(mask.astype(np.float32) * (1.0 / 255.0), (0, 0), max(0.5, 0.05 * max(f.w for f in faces) * k))


def _load_detector() -> Any:
    """The CNN detector searching faces from MIN_FACE of the frame up; Haar without it; None without either."""
    from clipkit.errors import PluginError
    from clipkit.vision.detector import CNNFaceDetector, HaarFaceDetector

    try:
        # faces narrower than MIN_FACE of the frame get little from smoothing: not
        # searching for them halves a detection on a landscape frame (on a portrait
        # 1080x1920 one the detector's own 12-pixel floor is already about that size)
        return CNNFaceDetector(min_size=MIN_FACE)
    except PluginError:
        try:
            return HaarFaceDetector()
        except PluginError:
            return None  # no detector installed: beauty goes by colour alone


_SHARED: list[Any] = []  # the detector for frames outside a render, loaded on first use
_SHARED_LOCK = threading.Lock()  # OpenCV's networks must not run two forward passes at once


class _Faces:
    """One render's face tracks: detected every half second, followed in between.

    Each render has its own detector (OpenCV's networks are not safe to share between
    threads); frames outside a render share one, under a lock.
    """

    def __init__(self, fps: float) -> None:
        self.fps = fps
        self.tracker: Any = None
        self.last_index: int | None = None

    def at(self, frame: Frame, time: Any) -> list[Any]:
        if time is None:  # a frame on its own (no render): detect on it
            from clipkit.vision.detector import detect_faces

            with _SHARED_LOCK:
                if not _SHARED:
                    _SHARED.append(_load_detector())
                return [] if _SHARED[0] is None else detect_faces(_SHARED[0], frame.y, frame.u, frame.v, width=ANALYSIS_WIDTH)
        if self.tracker is None:
            from clipkit.vision.tracking import FaceTracker

            detector = _load_detector()
            if detector is None:
                self.tracker = False
            else:
                every = max(1, int(round(DETECT_EVERY_S * self.fps)))
                # a face missed by one detection is kept until the next (followed by its flow meanwhile)
                self.tracker = FaceTracker(detector, max_faces=16, detect_every=every, hold=max(0.5, DETECT_EVERY_S), analysis_width=ANALYSIS_WIDTH, look_closer=LOOK_CLOSER)
        if self.tracker is False:
            return []
        if self.last_index is not None and time.index != self.last_index + 1:
            self.tracker.reset()  # a seek: start again from this frame
        self.last_index = time.index
        return [t.box for t in self.tracker.update(frame.y, time.index / self.fps, frame.u, frame.v)]


class Beauty(Effect):
    """Beauty filter: smooths skin while keeping edges (eyes, hair, outlines) sharp.

    A guided filter (edge-preserving) smooths luma, at a radius that follows the size of
    the faces found in the picture; the result is blended in by ``strength`` where the
    frame's skin is (a mask fitted to the light's colour cast, so it holds from very light
    to very dark skin and under blue, warm or mixed light) and away from the eyes, brows
    and mouth of each face, or everywhere when ``skin_only`` is off.
    """

    id = "beauty"
    title = "Beauty (skin smoothing)"
    category = "look"
    params = (
        Param("strength", "float", 0.6, min=0.0, max=1.0, doc="Blend of the smoothed skin; 0 leaves the picture as is", neutral=0.0),
        Param("radius", "float", 12.0, min=2.0, max=40.0, unit="px", doc="Smoothing radius when no face is found; on faces it follows the largest face (8% of its width)"),
        Param("skin_only", "bool", True, doc="Smooth only the skin (found per frame, across skin tones and colour casts) and keep eyes, brows and mouth"),
    )
    example = {"strength": 0.7, "radius": 12.0}
    tolerance = 2

    def prepare(self, ctx: Any, static: Any) -> _Faces:
        return _Faces(float(ctx.fps))

    @staticmethod
    def _eps(p: dict[str, Any], faces: list[Any], shape: tuple[int, int], k: float) -> Any:
        """The regulariser: stronger smoothing inside found faces (their features guarded)."""
        if not faces or not p["skin_only"]:
            return EPS
        return (EPS + (EPS_GUARDED - EPS) * _face_region(shape, k, faces, grow=1.25)).astype(np.float32)

    @staticmethod
    def _plan(frame: Frame, p: dict[str, Any], state: Any, time: Any) -> tuple[int, int, list[Any], np.ndarray | None, bool]:
        """Work factor, radius in work pixels, faces, skin model (None without skin_only), grey."""
        faces = (state if state is not None else _Faces(30.0)).at(frame, time)
        radius = FACE_RADIUS * max(f.w for f in faces) if faces else float(p["radius"])
        h, w = frame.y.shape
        d = _work_factor(h, w, max(1.0, radius))
        if not p["skin_only"]:
            return d, max(1, int(round(radius / d))), faces, None, False
        grey = _is_grey(frame.u, frame.v)
        model = None if grey else skin_model(frame.y, frame.u, frame.v)
        return d, max(1, int(round(radius / d))), faces, model, grey

    @staticmethod
    def _mask(frame: Frame, p: dict[str, Any], d: int, faces: list[Any], model: np.ndarray | None, grey: bool, guide: np.ndarray, *, reference: bool) -> np.ndarray | None:
        """Blend weight (strength x skin x away from features) on the work grid, or None for 'strength everywhere'."""
        if not p["skin_only"]:
            return None
        h, w = frame.y.shape
        size = (w // d, h // d)
        # skin is found at chroma resolution (its colour is only there) or, on large work
        # grids, at half the work grid: skin areas are broad, and the guided filter keeps
        # the outlines the coarser mask blurs
        cd = min(8, max(2, 2 * d))
        csize = (w // cd, h // cd)
        lum = _shrunk(guide, csize)  # from the already shrunk luma: no second full-size pass
        u, v = (_shrunk(frame.u, csize), _shrunk(frame.v, csize)) if not grey else (None, None)
        if grey:
            weight = (_ramp(lum, 20.0, 35.0) * (1.0 - _ramp(lum, 242.0, 252.0))).astype(np.float32)
            if faces:
                weight *= _face_region(weight.shape, 1.0 / cd, faces)
        elif reference:
            weight = _ref_weight(u.astype(np.float64), v.astype(np.float64), lum.astype(np.float64), model).astype(np.float32)
        else:
            weight = _weight_map(lum, u, v, model, _LOG)
        if faces and not grey:
            weight = np.maximum(weight, _seeded_skin(lum, u, v, 1.0 / cd, faces))
        if cd != d:
            weight = cv2.resize(weight, size, interpolation=cv2.INTER_LINEAR)
        # a blend below 2% moves a pixel by well under a level: none, so the full-size
        # pass can skip what is not skin
        weight[weight < 0.02] = 0.0
        guard = _feature_guard(weight.shape, 1.0 / d, faces)
        if guard is not None:
            weight *= 1.0 - guard
        return weight * np.float32(p["strength"])

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        d, r, faces, model, grey = self._plan(frame, p, state, time)
        h, w = frame.y.shape
        guide = _shrunk(frame.y, (w // d, h // d))
        size = (2 * r + 1, 2 * r + 1)
        base = _base(guide, BASE_SIGMA * r)
        detail = guide - base
        mean_i = cv2.boxFilter(detail, -1, size, borderType=cv2.BORDER_REPLICATE)
        mean_ii = cv2.sqrBoxFilter(detail, -1, size, borderType=cv2.BORDER_REPLICATE)
        eps = self._eps(p, faces, guide.shape, 1.0 / d)
        eps = np.full(guide.shape, eps, np.float32) if np.isscalar(eps) else eps
        a, b = _guided_terms(mean_i, mean_ii, eps)
        ma = cv2.boxFilter(a, -1, size, borderType=cv2.BORDER_REPLICATE)
        mb = cv2.boxFilter(b, -1, size, borderType=cv2.BORDER_REPLICATE)
        k = self._mask(frame, p, d, faces, model, grey, guide, reference=False)
        k = np.full(guide.shape, p["strength"], np.float32) if k is None else np.ascontiguousarray(k, np.float32)
        # filtered = base + ma (y - base) + mb; out = y + k (filtered - y)
        #          = (1 + k (ma - 1)) y + k ((1 - ma) base + mb)
        ca, cb = _blend_coefficients(ma, mb, base, k)
        shape = frame.y.shape
        y = _apply_coefficients(frame.y, _to_blocks(ca, shape), _to_blocks(cb, shape))
        return Frame(y, frame.u, frame.v, frame.alpha)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        d, r, faces, model, grey = self._plan(frame, p, state, time)
        h, w = frame.y.shape
        guide = _shrunk(frame.y, (w // d, h // d)).astype(np.float64)
        base = _base(guide, BASE_SIGMA * r)
        detail = guide - base
        mean_i = ref_box_mean(detail, r)
        var = np.maximum(ref_box_mean(detail * detail, r) - mean_i**2, 0)
        a = var / (var + self._eps(p, faces, guide.shape, 1.0 / d))
        ma, mb = ref_box_mean(a, r), ref_box_mean((1 - a) * mean_i, r)
        k = self._mask(frame, p, d, faces, model, grey, guide.astype(np.float32), reference=True)
        k = p["strength"] if k is None else k.astype(np.float64)
        coef_a = _to_blocks(1 + k * (ma - 1), (h, w)).astype(np.float64)
        coef_b = _to_blocks(k * ((1 - ma) * base + mb), (h, w)).astype(np.float64)
        if coef_a.shape != (h, w):  # one coefficient per 2x2 block of luma
            coef_a, coef_b = (np.repeat(np.repeat(c, 2, 0), 2, 1) for c in (coef_a, coef_b))
        out = coef_a * frame.y + coef_b
        return Frame(np.floor(np.clip(out, 0, 255) + 0.5).astype(np.uint8), frame.u, frame.v, frame.alpha)
