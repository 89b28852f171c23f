"""Smart reframe: turn landscape or square footage vertical by following the subject.

Two ways in:

- :func:`reframe` (and :meth:`clipkit.Clip.reframe`) analyses the clip first: it decodes
  it once at a few frames per second, finds the subject in each sampled frame, and
  plans a crop path *with hindsight* (so pans start before the subject leaves the
  frame), then crops along it while rendering.
- ``fit: smart`` (:func:`smart_fit`, a registered fit mode) follows the subject *as the
  frames stream*, with no analysis pass: a causal tracker for any clip, e.g. in a
  template. Its spring lags a little behind sudden moves by design, but a fast
  subject is never let out of the frame.

Finding the subject, in order: faces (OpenCV's Haar cascade from ``cv2.data``, when the
installed OpenCV ships it: OpenCV 5 moved Haar cascades out of the main package, so on
OpenCV 5 this step is skipped), then motion (frame differences), with spectral-residual
saliency choosing where to start when nothing moves yet.

Smoothing: a dead zone keeps the crop still until the subject drifts a set share of the
crop away from its centre, so the crop holds still when nothing moves and never
trembles; moves then ease in and out (Gaussian smoothing of the held path offline, a
critically damped follower online).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from .errors import ParameterError
from .frame import Frame
from .nodes import RenderContext
from .edit.framing import FOLLOW_MODES, parse_aspect
from .edit.sources import Source

if TYPE_CHECKING:
    from .audio.mix import Segment
    from .edit.clip import Clip
    from .render.fit import FitGeometry

__all__ = [
    "FOLLOW_MODES",
    "SubjectTrack",
    "SubjectFinder",
    "parse_aspect",
    "face_detector",
    "analyze_subject",
    "plan_crop_path",
    "ReframeSource",
    "reframe",
    "smart_fit",
]

_ANALYSIS_WIDTH = 256  # pixels of the long side of analysed frames
_FACE_WIDTH = 480


# -- finding the subject ------------------------------------------------------------------


def face_detector() -> Callable[[np.ndarray], list[tuple[int, int, int, int]]] | None:
    """A face detector from OpenCV's bundled Haar cascade, or ``None`` when this OpenCV
    has none (OpenCV 5 wheels ship no ``CascadeClassifier`` and no cascade files).

    The detector takes a grey image and returns ``(x, y, w, h)`` boxes.
    """
    classifier_type = getattr(cv2, "CascadeClassifier", None)
    data = getattr(cv2, "data", None)
    folder = getattr(data, "haarcascades", None) if data is not None else None
    if classifier_type is None or not folder:
        return None
    path = os.path.join(folder, "haarcascade_frontalface_default.xml")
    if not os.path.isfile(path):
        return None
    classifier = classifier_type(path)
    if classifier.empty():
        return None

    def detect(gray: np.ndarray) -> list[tuple[int, int, int, int]]:
        side = min(gray.shape[:2])
        found = classifier.detectMultiScale(gray, scaleFactor=1.15, minNeighbors=5, minSize=(max(16, side // 12),) * 2)
        return [tuple(int(v) for v in box) for box in found]  # type: ignore[misc]

    return detect


def _saliency(gray: np.ndarray) -> np.ndarray:
    """Spectral-residual saliency (Hou & Zhang 2007) of a small grey image, in [0, 1]."""
    small = cv2.resize(gray, (64, 64), interpolation=cv2.INTER_AREA).astype(np.float32)
    spectrum = np.fft.fft2(small)
    log_amp = np.log(np.abs(spectrum) + 1e-6)
    phase = np.angle(spectrum)
    residual = log_amp - cv2.blur(log_amp, (3, 3))
    sal = np.abs(np.fft.ifft2(np.exp(residual + 1j * phase))) ** 2
    sal = cv2.GaussianBlur(sal.astype(np.float32), (0, 0), 2.5)
    sal -= sal.min()
    peak = sal.max()
    sal = sal / peak if peak > 0 else sal
    return cv2.resize(sal, (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_LINEAR)


def _centroid(weights: np.ndarray) -> tuple[float, float] | None:
    total = float(weights.sum())
    if total <= 0:
        return None
    ys, xs = np.indices(weights.shape, dtype=np.float32)
    return float((xs * weights).sum() / total), float((ys * weights).sum() / total)


def _box(box: Any) -> tuple[float, float, float, float]:
    """(x, y, w, h) from a tuple or from a box object with those attributes
    (e.g. :class:`clipkit.overlays.faces.FaceBox`)."""
    if hasattr(box, "w"):
        return float(box.x), float(box.y), float(box.w), float(box.h)
    x, y, w, h = box[:4]
    return float(x), float(y), float(w), float(h)


class SubjectFinder:
    """Locate the subject in successive frames (faces, then motion, then saliency).

    Parameters
    ----------
    follow : {'auto', 'faces', 'motion', 'center'}
        What to look for.
    faces : callable or None or 'default'
        A face detector (grey image -> ``(x, y, w, h)`` boxes or objects with those
        attributes, such as :class:`clipkit.overlays.faces.YuNetFaceDetector` with a
        model file); ``'default'`` uses :func:`face_detector`.
    motion_threshold : float > 0
        Mean absolute luma change (0..255) of the moving pixels needed to count as motion.

    Notes
    -----
    :meth:`__call__` returns ``(x, y, kind)`` in the given frame's pixel coordinates, or
    ``None`` when nothing is found (nothing moves): the caller then holds still.
    """

    def __init__(self, *, follow: str = "auto", faces: Any = "default", motion_threshold: float = 12.0) -> None:
        if follow not in FOLLOW_MODES:
            raise ParameterError(f"follow: {follow!r} is not one of {', '.join(FOLLOW_MODES)}")
        self.follow = follow
        self.faces = face_detector() if faces == "default" else faces
        self.motion_threshold = float(motion_threshold)
        self._previous: np.ndarray | None = None

    def __call__(self, y_plane: np.ndarray) -> tuple[float, float, str] | None:
        h, w = y_plane.shape
        if self.follow == "center":
            return (w / 2, h / 2, "center")
        found: tuple[float, float, str] | None = None
        if self.follow in ("auto", "faces") and self.faces is not None:
            scale = min(1.0, _FACE_WIDTH / max(h, w))
            gray = cv2.resize(y_plane, (max(2, int(w * scale)), max(2, int(h * scale))), interpolation=cv2.INTER_AREA) if scale < 1 else y_plane
            boxes = [_box(b) for b in self.faces(gray)]
            if boxes:
                x, y, bw, bh = max(boxes, key=lambda b: b[2] * b[3])
                found = ((x + bw / 2) / scale, (y + bh / 2) / scale, "face")
        scale = min(1.0, _ANALYSIS_WIDTH / max(h, w))
        small = cv2.resize(y_plane, (max(2, int(w * scale)), max(2, int(h * scale))), interpolation=cv2.INTER_AREA)
        small = cv2.GaussianBlur(small, (5, 5), 0)
        previous, self._previous = self._previous, small
        if found is not None or self.follow == "faces":
            return found
        if previous is not None and previous.shape == small.shape:
            diff = cv2.absdiff(small, previous)
            moving = diff > self.motion_threshold
            if moving.mean() > 0.002:
                c = _centroid(np.where(moving, diff.astype(np.float32), 0.0))
                if c is not None:
                    return (c[0] / scale, c[1] / scale, "motion")
        return None

    def salient_point(self, y_plane: np.ndarray) -> tuple[float, float]:
        """Where the eye goes in a still frame (used to place the first crop)."""
        h, w = y_plane.shape
        scale = min(1.0, _ANALYSIS_WIDTH / max(h, w))
        small = cv2.resize(y_plane, (max(2, int(w * scale)), max(2, int(h * scale))), interpolation=cv2.INTER_AREA)
        sal = _saliency(small)
        c = _centroid(np.where(sal > 0.5, sal, 0.0))
        if c is None:
            return (w / 2, h / 2)
        return (c[0] / scale, c[1] / scale)


@dataclass(frozen=True, slots=True)
class SubjectTrack:
    """Where the subject was in a clip's sampled frames.

    Attributes
    ----------
    times : np.ndarray
        Clip seconds of the samples.
    x, y : np.ndarray
        Subject centre in upright display pixels (NaN where nothing was found).
    kinds : tuple of str
        ``face``, ``motion``, ``center`` or ``none`` per sample.
    size : tuple of int
        Display ``(width, height)`` of the area analysed.
    start : tuple of float
        Salient point of the first frame (where to start when nothing moves yet).
    """

    times: np.ndarray
    x: np.ndarray
    y: np.ndarray
    kinds: tuple[str, ...]
    size: tuple[int, int]
    start: tuple[float, float]


def _used_area(clip: Clip, frame_size: tuple[int, int]) -> tuple[float, float, float, float, float, float]:
    """(x, y, w, h) of the used area in frame pixels and the frame->display scales."""
    display = clip.source.display_size or frame_size
    sx, sy = display[0] / frame_size[0], display[1] / frame_size[1]
    if clip.crop_box is None:
        return 0.0, 0.0, float(frame_size[0]), float(frame_size[1]), sx, sy
    x, y, w, h = clip.crop_box
    return x / sx, y / sy, w / sx, h / sy, sx, sy


def analyze_subject(clip: Clip, *, sample_fps: float = 6.0, follow: str = "auto", faces: Any = "default") -> SubjectTrack:
    """Find the subject in ``clip`` at ``sample_fps`` frames per second (one decode pass).

    Parameters
    ----------
    clip : Clip
        The clip (its span, speed and crop apply).
    sample_fps : float in [1, 30]
        Analysis rate.
    follow : {'auto', 'faces', 'motion', 'center'}
        What to look for.
    faces : callable, None or 'default'
        Face detector override (see :class:`SubjectFinder`).
    """
    if isinstance(sample_fps, bool) or not isinstance(sample_fps, (int, float)) or not 1 <= sample_fps <= 30:
        raise ParameterError(f"sample_fps: {sample_fps!r} is outside 1..30")
    finder = SubjectFinder(follow=follow, faces=faces)
    rate = Fraction(sample_fps).limit_denominator(1000)
    count = max(1, int(math.floor(clip.duration * float(rate))) + 1)
    xs, ys, kinds, times = [], [], [], []
    start_point = None
    size = None
    frames = clip.source.frames(
        ctx=RenderContext(1080, 1920, Fraction(rate)), start=clip.start, count=count, fps=rate, width=1080, height=1920, speed=clip.speed
    )
    try:
        for k, (frame, _) in enumerate(frames):
            ux, uy, uw, uh, sx, sy = _used_area(clip, (frame.width, frame.height))
            area = frame.y[int(uy) : int(uy + uh), int(ux) : int(ux + uw)]
            if size is None:
                size = (int(round(uw * sx)), int(round(uh * sy)))
                start_point = finder.salient_point(area)
                start_point = (start_point[0] * sx, start_point[1] * sy)
            hit = finder(area)
            times.append(k / float(rate))
            if hit is None:
                xs.append(np.nan)
                ys.append(np.nan)
                kinds.append("none")
            else:
                xs.append(hit[0] * sx)
                ys.append(hit[1] * sy)
                kinds.append(hit[2])
    finally:
        close = getattr(frames, "close", None)
        if close is not None:
            close()
    if size is None:
        raise ParameterError(f"reframe: {clip.describe()} gave no frames to analyse")
    return SubjectTrack(np.array(times), np.array(xs), np.array(ys), tuple(kinds), size, start_point or (size[0] / 2, size[1] / 2))


def plan_crop_path(
    track: SubjectTrack,
    crop_size: tuple[float, float],
    *,
    dead_zone: float = 0.08,
    smoothing: float = 0.5,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Plan the crop centre over time from a subject track, with hindsight.

    Parameters
    ----------
    track : SubjectTrack
        From :func:`analyze_subject`.
    crop_size : (float, float)
        Crop width and height in display pixels (at most the analysed size).
    dead_zone : float in [0, 0.5]
        How far (share of the crop size) the subject may drift from the crop centre
        before the crop moves.
    smoothing : float in [0, 3]
        Seconds of easing (Gaussian sigma) applied to moves.

    Returns
    -------
    times, cx, cy : np.ndarray
        Crop centre (display pixels) at each sample time; always inside the frame.
    """
    if isinstance(dead_zone, bool) or not isinstance(dead_zone, (int, float)) or not 0 <= dead_zone <= 0.5:
        raise ParameterError(f"dead_zone: {dead_zone!r} is outside 0..0.5")
    if isinstance(smoothing, bool) or not isinstance(smoothing, (int, float)) or not 0 <= smoothing <= 3:
        raise ParameterError(f"smoothing: {smoothing!r} is outside 0..3 seconds")
    W, H = track.size
    cw, ch = min(crop_size[0], W), min(crop_size[1], H)
    n = track.times.size
    lo_x, hi_x = cw / 2, W - cw / 2
    lo_y, hi_y = ch / 2, H - ch / 2
    cx = np.empty(n)
    cy = np.empty(n)
    px = min(max(track.start[0], lo_x), hi_x)
    py = min(max(track.start[1], lo_y), hi_y)
    # first known subject position wins over the salient point for the opening
    known = np.flatnonzero(~np.isnan(track.x))
    if known.size:
        px = min(max(float(track.x[known[0]]), lo_x), hi_x)
        py = min(max(float(track.y[known[0]]), lo_y), hi_y)
    zx, zy = dead_zone * cw, dead_zone * ch
    for i in range(n):
        tx, ty = track.x[i], track.y[i]
        if not np.isnan(tx):
            # move only by what leaves the dead zone: a subject that sits still, or
            # wobbles inside the zone, leaves the crop where it is
            if tx > px + zx:
                px = tx - zx
            elif tx < px - zx:
                px = tx + zx
            if ty > py + zy:
                py = ty - zy
            elif ty < py - zy:
                py = ty + zy
            px = min(max(px, lo_x), hi_x)
            py = min(max(py, lo_y), hi_y)
        cx[i], cy[i] = px, py
    if smoothing > 0 and n > 2:
        rate = (n - 1) / max(1e-9, float(track.times[-1] - track.times[0]))
        sigma = smoothing * rate
        if sigma >= 0.3:
            cx = _gaussian(cx, sigma)
            cy = _gaussian(cy, sigma)
    return track.times, np.clip(cx, lo_x, hi_x), np.clip(cy, lo_y, hi_y)


def _gaussian(values: np.ndarray, sigma: float) -> np.ndarray:
    radius = max(1, int(3 * sigma))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps /= taps.sum()
    padded = np.pad(values, radius, mode="edge")
    return np.convolve(padded, taps, mode="valid")


# -- cropping along a path ----------------------------------------------------------------


class ReframeSource(Source):
    """The frames of ``inner`` cropped along a planned path to a fixed aspect.

    Parameters
    ----------
    inner : Clip
        The clip (its span, speed and crop apply).
    times, cx, cy : np.ndarray
        Crop centre in the used area's display pixels at clip seconds ``times``.
    crop_size : (int, int)
        Crop size in display pixels (even).
    """

    kind = "reframe"

    def __init__(self, inner: Clip, times: np.ndarray, cx: np.ndarray, cy: np.ndarray, crop_size: tuple[int, int]) -> None:
        self.inner = inner
        self.times = np.asarray(times, np.float64)
        self.cx = np.asarray(cx, np.float64)
        self.cy = np.asarray(cy, np.float64)
        self.crop_size = crop_size

    @property
    def duration(self) -> float:  # type: ignore[override]
        return self.inner.duration

    @property
    def display_size(self) -> tuple[int, int]:  # type: ignore[override]
        return self.crop_size

    @property
    def has_audio(self) -> bool:  # type: ignore[override]
        return self.inner.source.has_audio

    def describe(self) -> str:
        return f"reframe of {self.inner.describe()}"

    def centre_at(self, t: float) -> tuple[float, float]:
        """Crop centre (display pixels of the used area) at clip second ``t``."""
        return float(np.interp(t, self.times, self.cx)), float(np.interp(t, self.times, self.cy))

    def frames(
        self, *, ctx: RenderContext, start: float, count: int, fps: Fraction, width: int, height: int, speed: float = 1.0
    ) -> Iterator[tuple[Frame, float]]:
        inner = self.inner
        frames = inner.source.frames(
            ctx=ctx,
            start=inner.start + start * inner.speed, count=count, fps=fps, width=width, height=height, speed=inner.speed * speed
        )
        step = float(speed) / float(fps)
        try:
            for k, (frame, source_t) in enumerate(frames):
                ux, uy, uw, uh, sx, sy = _used_area(inner, (frame.width, frame.height))
                cx, cy = self.centre_at(start + k * step)
                w = min(int(round(self.crop_size[0] / sx / 2)) * 2, int(uw) // 2 * 2)
                h = min(int(round(self.crop_size[1] / sy / 2)) * 2, int(uh) // 2 * 2)
                x = int(round((ux + cx / sx - w / 2) / 2)) * 2
                y = int(round((uy + cy / sy - h / 2) / 2)) * 2
                x = min(max(x, int(math.ceil(ux / 2)) * 2), int(ux + uw) - w)
                y = min(max(y, int(math.ceil(uy / 2)) * 2), int(uy + uh) - h)
                x, y = max(0, x - x % 2), max(0, y - y % 2)
                yield Frame(
                    frame.y[y : y + h, x : x + w],
                    frame.u[y // 2 : (y + h) // 2, x // 2 : (x + w) // 2],
                    frame.v[y // 2 : (y + h) // 2, x // 2 : (x + w) // 2],
                    None if frame.alpha is None else frame.alpha[y : y + h, x : x + w],
                ), source_t
        finally:
            close = getattr(frames, "close", None)
            if close is not None:
                close()

    def audio_segments(self, clip: Clip, *, out_start: int, length: int, sr: int, gain: float, **_: Any) -> list[Segment]:
        """The inner clip's own sound for ``clip``'s span (cropping does not change it)."""
        from .edit.retime import clip_sound_segments

        inner = self.inner
        span = replace(inner, start=inner.start + clip.start * inner.speed, end=inner.start + clip.end * inner.speed, speed=inner.speed * clip.speed)
        return clip_sound_segments(span, out_start=out_start, length=length, sr=sr, gain=gain)


def reframe(
    clip: Clip,
    aspect: str | float | tuple[int, int] = "9:16",
    *,
    follow: str = "auto",
    dead_zone: float = 0.08,
    smoothing: float = 0.5,
    sample_fps: float = 6.0,
    faces: Any = "default",
) -> Clip:
    """Crop ``clip`` to ``aspect``, following its subject along a smoothed path.

    The clip is analysed now (decoded once at ``sample_fps``); the crop is applied while
    rendering. The result's display shape is ``aspect``, so it fills a canvas of that
    shape with the ordinary ``cover`` fit.

    Parameters
    ----------
    clip : Clip
        Landscape or square footage (any clip wider or taller than ``aspect``).
    aspect : str, float or (int, int)
        Target width:height, e.g. ``"9:16"`` (vertical), ``"4:5"``, ``"1:1"``.
    follow : {'auto', 'faces', 'motion', 'center'}
        What the crop follows.
    dead_zone : float in [0, 0.5]
        Share of the crop the subject may drift before the crop moves.
    smoothing : float in [0, 3]
        Seconds of easing on moves.
    sample_fps : float in [1, 30]
        Analysis rate.
    faces : callable, None or 'default'
        Face detector override (tests, or a stronger detector).

    Returns
    -------
    Clip
        Same duration and sound; fit ``cover``; effects and volume carried over.
    """
    from .edit.clip import Clip as ClipType

    if not isinstance(clip, ClipType):
        raise ParameterError(f"reframe: {clip!r} is not a clip")
    ratio = parse_aspect(aspect)
    inner = replace(clip, effects=(), fit=None, volume=1.0)
    track = analyze_subject(inner, sample_fps=sample_fps, follow=follow, faces=faces)
    W, H = track.size
    if W / H > ratio:
        crop = (max(2, int(round(H * ratio / 2)) * 2), H - H % 2)
    else:
        crop = (W - W % 2, max(2, int(round(W / ratio / 2)) * 2))
    times, cx, cy = plan_crop_path(track, crop, dead_zone=dead_zone, smoothing=smoothing)
    source = ReframeSource(inner, times, cx, cy, crop)
    return replace(clip, source=source, start=0.0, end=inner.duration, speed=1.0, crop_box=None, fit="cover")


# -- the streaming fit mode ---------------------------------------------------------------


class _SmartFit:
    """``fit: smart``: crop to the canvas shape following the subject, causally."""

    DETECT_EVERY = 3  # frames between subject searches
    KEEP_IN = 0.15  # share of the crop kept between a moving subject and the crop's edge

    def __init__(self, g: FitGeometry, *, dead_zone: float = 0.08, response: float = 0.5) -> None:
        self.g = g
        self.finder = SubjectFinder(follow="auto")
        sx, sy = g.pixel_scale
        cx, cy, cw, ch = g.crop  # used area, frame pixels
        W, H = g.canvas
        dw, dh = g.crop_display_size
        s = max(W / dw, H / dh)
        self.vis = (W / s / sx, H / s / sy)  # crop size in frame pixels
        self.area = (cx, cy, cw, ch)
        self.dead = (dead_zone * self.vis[0], dead_zone * self.vis[1])
        self.pos: list[float] | None = None
        self.goal: list[float] | None = None
        self.vel = [0.0, 0.0]
        self.subject: tuple[float, float] | None = None
        self.response = response
        self.count = 0
        self.fps_dt = 1.0 / 30.0

    def _clamp(self, x: float, y: float) -> tuple[float, float]:
        cx, cy, cw, ch = self.area
        hw, hh = self.vis[0] / 2, self.vis[1] / 2
        return min(max(x, cx + hw), cx + cw - hw), min(max(y, cy + hh), cy + ch - hh)

    def __call__(self, frame: Frame) -> Frame:
        cx, cy, cw, ch = self.area
        if self.pos is None:
            ax, ay = int(cx), int(cy)
            area = frame.y[ay : ay + int(ch), ax : ax + int(cw)]
            sx, sy = self.finder.salient_point(area)
            self.pos = list(self._clamp(cx + sx, cy + sy))
            self.goal = list(self.pos)
        if self.count % self.DETECT_EVERY == 0:
            ax, ay = int(cx), int(cy)
            hit = self.finder(frame.y[ay : ay + int(ch), ax : ax + int(cw)])
            if hit is not None and self.goal is not None:
                tx, ty = cx + hit[0], cy + hit[1]
                self.subject = (tx, ty)
                for i, (t, d) in enumerate(((tx, self.dead[0]), (ty, self.dead[1]))):
                    if t > self.goal[i] + d:
                        self.goal[i] = t - d
                    elif t < self.goal[i] - d:
                        self.goal[i] = t + d
                self.goal = list(self._clamp(*self.goal))
        self.count += 1
        # critically damped spring towards the goal: eases in and out, never overshoots
        omega = 2.0 * math.pi / max(0.05, self.response) / 2.0
        dt = self.fps_dt
        for i in range(2):
            target = self.goal[i] if self.goal is not None else self.pos[i]
            accel = omega * omega * (target - self.pos[i]) - 2.0 * omega * self.vel[i]
            self.vel[i] += accel * dt
            self.pos[i] += self.vel[i] * dt
        if self.subject is not None:
            # never let a fast subject leave the frame while the spring catches up
            for i in range(2):
                room = self.vis[i] * (0.5 - self.KEEP_IN)
                lo, hi = self.subject[i] - room, self.subject[i] + room
                if self.pos[i] < lo or self.pos[i] > hi:
                    self.pos[i] = min(max(self.pos[i], lo), hi)
                    self.vel[i] = max(self.vel[i], 0.0) if self.pos[i] == lo else min(self.vel[i], 0.0)
        self.pos = list(self._clamp(*self.pos))
        w = max(2, int(round(self.vis[0] / 2)) * 2)
        h = max(2, int(round(self.vis[1] / 2)) * 2)
        x = int(round((self.pos[0] - w / 2) / 2)) * 2
        y = int(round((self.pos[1] - h / 2) / 2)) * 2
        fw, fh = self.g.frame_size
        x = min(max(0, x), (fw - w) // 2 * 2)
        y = min(max(0, y), (fh - h) // 2 * 2)
        W, H = self.g.canvas
        interp = cv2.INTER_AREA if W * 1.5 < w else cv2.INTER_LINEAR
        return Frame(
            cv2.resize(frame.y[y : y + h, x : x + w], (W, H), interpolation=interp),
            cv2.resize(frame.u[y // 2 : (y + h) // 2, x // 2 : (x + w) // 2], (W // 2, H // 2), interpolation=interp),
            cv2.resize(frame.v[y // 2 : (y + h) // 2, x // 2 : (x + w) // 2], (W // 2, H // 2), interpolation=interp),
        )


def smart_fit(g: FitGeometry) -> Callable[[Frame], Frame]:
    """The ``smart`` fit mode: cover the canvas, cropping where the subject is (streaming)."""
    return _SmartFit(g)

