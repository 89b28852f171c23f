"""Subject-aware framing: where to put a crop so the subject stays in it.

One framing for every place a crop is chosen: the ``cover`` fit (when the source's shape
differs from the cell's by more than :data:`COVER_FOLLOW_RATIO`), duet and grid cells,
picture-in-picture, ``fit: smart`` and :func:`clipkit.reframe.reframe`.

What the crop centres on, in order:

1. faces (:class:`~clipkit.vision.tracking.FaceTracker`: identities, 0.5 s hold through
   misses): the face followed, together with the faces near it that fit in the crop;
   vertically the faces sit a little above the centre (head room). The face followed is
   the one whose crop holds the most face area, weighted by its nearness to the frame's
   middle (:func:`centre_weight`: in a crowd the side faces are passers-by); it is kept
   until another crop would hold 1.5 times more;
2. salient motion (frame differences), when no face is known (``fit: smart`` and
   reframe; the ``cover`` fit moves for faces only, so a clip without faces is cropped in
   the centre exactly as before);
3. otherwise the crop holds still (it starts on the frame's salient point, or for
   ``cover`` in the centre).

How it moves: a dead zone keeps the crop still while the subject wobbles inside it, a
critically damped spring eases moves in and out (no jitter, no overshoot), pan speed is
capped (``max_speed`` crop widths per second), except that the face followed, about to
leave the crop, pulls it along (at up to ``PULL_SPEED``; a newly chosen face is reached by
the capped pan first, so a change of subject is never a jump), and at a scene cut the crop
jumps to the new shot's subject at once (never pans across the cut).

Two ways to use it:

- streaming (:class:`SubjectFollower`, :func:`subject_cover`): causal, frame by frame,
  inside a render; detection runs every ``detect_every`` frames on a 480-pixel copy.
- planned (:func:`analyze_subject` then :func:`plan_crop_path`, or :func:`crop_path` for
  both): the clip is sampled first and the path is planned with hindsight.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from ..errors import ParameterError, PluginError
from ..frame import Frame
from ..nodes import RenderContext
from .detector import CNNFaceDetector, FaceBox, FaceDetector, default_face_detector
from .tracking import FaceTracker

if TYPE_CHECKING:
    from ..edit.clip import Clip
    from ..render.fit import FitGeometry

__all__ = [
    "COVER_FOLLOW_RATIO",
    "FOLLOW_MODES",
    "follows_subject",
    "SubjectFinder",
    "SubjectTrack",
    "analyze_subject",
    "plan_crop_path",
    "CropPath",
    "crop_path",
    "SubjectFollower",
    "subject_cover",
]

COVER_FOLLOW_RATIO = 1.2
"""``cover`` follows the subject when the source's aspect and the cell's differ by more
than this factor (wider or taller); closer shapes crop so little that a centre crop keeps
the subject. ``fit: center`` always crops the centre."""


FOLLOW_MODES = ("auto", "faces", "motion", "center")
"""What the crop follows: ``auto`` (faces, else motion), ``faces``, ``motion``, or
``center`` (a plain centre crop)."""

_MOTION_WIDTH = 256  # pixels of the long side of frames compared for motion
_HEAD_ROOM = 0.08  # faces sit this share of the crop height above its centre
EDGE_WEIGHT = 0.1
"""Weight of a face at the frame's left or right edge in choosing the subject (see
:func:`centre_weight`)."""


def follows_subject(g: FitGeometry, *, ratio: float = COVER_FOLLOW_RATIO) -> bool:
    """Whether a ``cover`` fit of this geometry crops enough to follow the subject."""
    cw, ch = g.crop_display_size
    W, H = g.canvas
    if cw <= 0 or ch <= 0 or W <= 0 or H <= 0:
        return False
    k = (cw / ch) / (W / H)
    return max(k, 1.0 / k) > ratio


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


def _as_box(box: Any) -> FaceBox:
    if isinstance(box, FaceBox):
        return box
    if hasattr(box, "w"):
        return FaceBox(float(box.x), float(box.y), float(box.w), float(box.h))
    x, y, w, h = box[:4]
    return FaceBox(float(x), float(y), float(w), float(h))


class _Adapted:
    """A detector returning tuples or box-like objects, made to return FaceBox."""

    def __init__(self, fn: Callable[[np.ndarray], Any]) -> None:
        self.fn = fn
        self.wants_rgb = bool(getattr(fn, "wants_rgb", False))

    def __call__(self, image: np.ndarray) -> list[FaceBox]:
        return [_as_box(b) for b in self.fn(image)]


def crop_score(main: FaceBox, faces: list[FaceBox], crop_w: float) -> float:
    """Face area a crop centred on ``main`` holds: the faces that fit in 70% of its width
    around ``main``'s centre (the rest is the keep-in margin)."""
    half = 0.35 * crop_w
    return sum(b.w * b.h for b in faces if abs(b.center[0] - main.center[0]) + b.w / 2 <= half)


def centre_weight(box: FaceBox, width: float) -> float:
    """How much a face's place counts in choosing the subject: 1 in the middle of the frame,
    falling linearly to :data:`EDGE_WEIGHT` at its left or right edge.

    Whoever filmed the clip framed the subject; in a crowd, the faces at the sides are the
    passers-by. Measured on the faces_video crowd (bench_faces --framing): without this
    the streaming crop chose the largest group first (at the frame's edge) and changed
    subject four times in 4 s, holding the clip's main person in 77% of frames.
    """
    off = abs(box.center[0] - width / 2) / max(1e-6, width / 2)
    return max(EDGE_WEIGHT, 1.0 - off)


def group_target(faces: list[FaceBox], crop_w: float, main: FaceBox | None = None) -> tuple[float, float, FaceBox]:
    """Centre of the main face (default: the largest) and the faces beside it that fit in one crop width."""
    main = main if main is not None else max(faces, key=lambda b: b.w * b.h)
    x0, x1 = main.x, main.x + main.w
    y0, y1 = main.y, main.y + main.h
    for b in sorted(faces, key=lambda b: abs(b.center[0] - main.center[0])):
        if b is main or b.w < 0.5 * main.w:
            continue
        nx0, nx1 = min(x0, b.x), max(x1, b.x + b.w)
        if nx1 - nx0 <= 0.7 * crop_w:  # room left for the keep-in margin on both sides
            x0, x1, y0, y1 = nx0, nx1, min(y0, b.y), max(y1, b.y + b.h)
    return (x0 + x1) / 2, (y0 + y1) / 2, FaceBox(x0, y0, x1 - x0, y1 - y0)


class SubjectFinder:
    """Locate the subject in successive frames (faces, then motion, then saliency).

    Parameters
    ----------
    follow : {'auto', 'faces', 'motion', 'center'}
        What to look for.
    faces : callable or None or 'default'
        A face detector (image -> :class:`FaceBox` list, or ``(x, y, w, h)`` tuples);
        ``'default'`` uses :func:`~clipkit.vision.detector.default_face_detector`;
        ``None`` looks for motion only.
    motion_threshold : float > 0
        Mean absolute luma change (0..255) of the moving pixels needed to count as motion.
    detect_every : int >= 1
        Frames between face detections (faces are tracked in between).
    idle_every : int >= 1, optional
        Frames between face detections once none has found a face for that long (see
        :class:`~clipkit.vision.tracking.FaceTracker`); ``None``: always ``detect_every``.
    hold : float >= 0
        Seconds a missed face still counts.

    Notes
    -----
    :meth:`__call__` takes consecutive frames (or luma planes) and returns
    ``(x, y, kind)`` in the frame's pixels (``kind`` is ``face``, ``motion`` or
    ``center``), or ``None`` when nothing is found: the caller then holds still.
    :attr:`faces_box` is the box around the faces followed (None without faces), and
    :attr:`cut` tells whether the last frame started a new shot.
    """

    def __init__(
        self,
        *,
        follow: str = "auto",
        faces: Any = "default",
        motion_threshold: float = 12.0,
        detect_every: int = 1,
        idle_every: int | None = None,
        hold: float = 0.5,
        fps: float = 30.0,
        crop_width: float | None = None,
    ) -> None:
        if follow not in FOLLOW_MODES:
            raise ParameterError(f"follow: {follow!r} is not one of {', '.join(FOLLOW_MODES)}")
        self.follow = follow
        detector: FaceDetector | None
        if follow in ("motion", "center"):
            detector = None
        elif faces == "default":
            detector = default_face_detector()
        elif faces is None:
            detector = None
        elif callable(faces):
            detector = _Adapted(faces)
        else:
            raise ParameterError(f"faces: {faces!r} is not a face detector, None or 'default'")
        # small far-away faces do not decide a crop: no closer search (it costs detections);
        # nor does a box's exact place between detections: no optical flow (with it, the
        # streaming crop on the faces_video crowd held a face in 89% of frames, without 94-97%)
        self.tracker = (
            FaceTracker(detector, max_faces=8, detect_every=detect_every, idle_every=idle_every, smoothing=0.3, hold=hold, look_closer=False, optical_flow=False)
            if detector is not None
            else None
        )
        self.motion_threshold = float(motion_threshold)
        self.dt = 1.0 / max(1e-6, fps)
        self.crop_width = crop_width
        self.faces_box: FaceBox | None = None
        self.subject_box: FaceBox | None = None  # the followed face's own box
        self.switched = False  # the last frame changed the face followed (not at a cut)
        self.faces: list[Any] = []  # the tracked faces (TrackedFace) at the last frame
        self.cut = False
        self._subject: int | None = None  # track id of the face followed
        self._previous: np.ndarray | None = None
        self._t = 0.0

    def __call__(self, frame: Frame | np.ndarray, t: float | None = None) -> tuple[float, float, str] | None:
        if isinstance(frame, Frame):
            y, u, v = frame.y, frame.u, frame.v
        else:
            y, u, v = frame, None, None
        h, w = y.shape
        t = self._t if t is None else float(t)
        self._t = t + self.dt
        self.faces_box = None
        self.subject_box = None
        self.switched = False
        self.faces = []
        self.cut = False
        if self.follow == "center":
            return (w / 2, h / 2, "center")
        found: tuple[float, float, str] | None = None
        if self.tracker is not None:
            cuts_before = self.tracker.cut_count
            tracked = [f for f in self.tracker.update(y, t, u, v) if f.lost <= self.tracker.hold]
            self.cut = self.tracker.cut_count != cuts_before
            self.faces = tracked
            if tracked:
                # the face whose crop holds the most face area (in a crowd: the group, not
                # one face at its edge); stay with it while it is there unless another crop
                # would hold much more (someone comes to the front): no pans back and forth
                boxes = [f.box for f in tracked]

                def score(f: Any) -> float:
                    return crop_score(f.box, boxes, self.crop_width or w) * centre_weight(f.box, w)

                best = max(tracked, key=score)
                current = next((f for f in tracked if f.id == self._subject), None)
                if current is None or score(best) > 1.5 * score(current):
                    current = best
                self.switched = self._subject is not None and current.id != self._subject and not self.cut
                self._subject = current.id
                self.subject_box = current.box
                faces = [f.box for f in tracked]
                cx, cy, box = group_target(faces, self.crop_width or w, current.box)
                self.faces_box = box
                found = (cx, cy, "face")
        if self.follow == "faces":
            return found  # no motion to look for: skip the motion thumbnail
        scale = min(1.0, _MOTION_WIDTH / max(h, w))
        # every n-th pixel first: shrinking a 1080p plane by area costs more than the rest of this
        step = max(1, int(1.0 / scale) // 2)
        small = cv2.resize(y[::step, ::step], (max(2, int(w * scale)), max(2, int(h * scale))), interpolation=cv2.INTER_AREA)
        small = cv2.GaussianBlur(small, (5, 5), 0)
        previous, self._previous = self._previous, small
        if found is not None or self.follow == "faces" or self.cut:
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
        scale = min(1.0, _MOTION_WIDTH / max(h, w))
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
    cuts : np.ndarray
        Indices of the samples that start a new shot.
    face_w : np.ndarray
        Width of the faces' box in display pixels (NaN without faces).
    """

    times: np.ndarray
    x: np.ndarray
    y: np.ndarray
    kinds: tuple[str, ...]
    size: tuple[int, int]
    start: tuple[float, float]
    cuts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    face_w: np.ndarray = field(default_factory=lambda: np.zeros(0))


def _used_area(clip: Clip, frame_size: tuple[int, int]) -> tuple[float, float, float, float, float, float]:
    """(x, y, w, h) of the used area in frame pixels and the frame->display scales."""
    display = clip.source.display_size or frame_size
    sx, sy = display[0] / frame_size[0], display[1] / frame_size[1]
    if clip.crop_box is None:
        return 0.0, 0.0, float(frame_size[0]), float(frame_size[1]), sx, sy
    x, y, w, h = clip.crop_box
    return x / sx, y / sy, w / sx, h / sy, sx, sy


def _main_person(samples: list[list[Any]], s0: int, s1: int) -> int | None:
    """The track id of a shot's most important face: the most face area summed over the
    shot's samples (the largest face weighs most, and so does the one there longest)."""
    weight: dict[int, float] = {}
    for faces in samples[s0:s1]:
        for f in faces:
            weight[f.id] = weight.get(f.id, 0.0) + f.box.w * f.box.h
    return max(weight, key=weight.__getitem__) if weight else None


def analyze_subject(
    clip: Clip, *, sample_fps: float = 6.0, follow: str = "auto", faces: Any = "default", aspect: float | None = None
) -> SubjectTrack:
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
    aspect : float > 0, optional
        Width / height of the crop that will follow the subject. With it the subject is
        chosen with hindsight, shot by shot: the shot's most important face (the most
        face area over the shot: the largest, longest-seen person) wherever it is seen,
        with the faces beside it that fit in the crop; the finder's own choice elsewhere.
        Without it, each sample's subject is chosen as the streaming crop chooses it.
    """
    if isinstance(sample_fps, bool) or not isinstance(sample_fps, (int, float)) or not 1 <= sample_fps <= 30:
        raise ParameterError(f"sample_fps: {sample_fps!r} is outside 1..30")
    if aspect is not None and (isinstance(aspect, bool) or not isinstance(aspect, (int, float)) or not 0.1 <= aspect <= 10):
        raise ParameterError(f"aspect: {aspect!r} is outside 0.1..10 (width / height)")
    finder = SubjectFinder(follow=follow, faces=faces, fps=float(sample_fps))
    samples: list[list[Any]] = []  # the tracked faces at each sample (display pixels)
    crop_w: float | None = None  # in display pixels
    rate = Fraction(sample_fps).limit_denominator(1000)
    count = max(1, int(math.floor(clip.duration * float(rate))) + 1)
    xs, ys, kinds, times, fws, cuts = [], [], [], [], [], []
    start_point = None
    size = None
    frames = clip.source.frames(
        ctx=RenderContext(1080, 1920, Fraction(rate)), start=clip.start, count=count, fps=rate, width=1080, height=1920, speed=clip.speed
    )
    try:
        for k, (frame, _) in enumerate(frames):
            ux, uy, uw, uh, sx, sy = _used_area(clip, (frame.width, frame.height))
            x0, y0 = int(ux) // 2 * 2, int(uy) // 2 * 2
            x1, y1 = x0 + int(uw) // 2 * 2, y0 + int(uh) // 2 * 2
            area = Frame(frame.y[y0:y1, x0:x1], frame.u[y0 // 2 : y1 // 2, x0 // 2 : x1 // 2], frame.v[y0 // 2 : y1 // 2, x0 // 2 : x1 // 2])
            if size is None:
                size = (int(round(uw * sx)), int(round(uh * sy)))
                start_point = finder.salient_point(area.y)
                start_point = (start_point[0] * sx, start_point[1] * sy)
                if aspect is not None:
                    crop_w = float(crop_size_for(size, float(aspect))[0])
                    finder.crop_width = crop_w / sx  # the finder groups faces in frame pixels
            t = k / float(rate)
            hit = finder(area, t)
            samples.append([f._replace(box=f.box.moved(f.box.x * sx, f.box.y * sy, f.box.w * sx, f.box.h * sy)) for f in finder.faces])
            if finder.cut:
                cuts.append(k)
            times.append(t)
            fws.append(finder.faces_box.w * sx if finder.faces_box is not None else np.nan)
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
    if crop_w is not None:
        # with hindsight: follow each shot's most important face wherever it is seen
        bounds = [0] + [c for c in cuts if 0 < c < len(samples)] + [len(samples)]
        for s0, s1 in zip(bounds[:-1], bounds[1:]):
            main = _main_person(samples, s0, s1)
            for i in range(s0, s1):
                here = {f.id: f.box for f in samples[i]}
                if main in here:
                    cx, cy, box = group_target(list(here.values()), crop_w, here[main])
                    xs[i], ys[i], kinds[i], fws[i] = cx, cy, "face", box.w
    return SubjectTrack(
        np.array(times), np.array(xs), np.array(ys), tuple(kinds), size, start_point or (size[0] / 2, size[1] / 2),
        np.asarray(cuts, np.int64), np.array(fws),
    )


def _gaussian(values: np.ndarray, sigma: float) -> np.ndarray:
    radius = max(1, int(3 * sigma))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps /= taps.sum()
    padded = np.pad(values, radius, mode="edge")
    return np.convolve(padded, taps, mode="valid")


def _speed_limited(values: np.ndarray, times: np.ndarray, limit: float) -> np.ndarray:
    """Values whose change per second is capped at ``limit`` (forward then backward pass)."""
    out = values.copy()
    for i in range(1, out.size):
        step = limit * float(times[i] - times[i - 1])
        out[i] = min(max(out[i], out[i - 1] - step), out[i - 1] + step)
    for i in range(out.size - 2, -1, -1):
        step = limit * float(times[i + 1] - times[i])
        out[i] = min(max(out[i], out[i + 1] - step), out[i + 1] + step)
    return out


def plan_crop_path(
    track: SubjectTrack,
    crop_size: tuple[float, float],
    *,
    dead_zone: float = 0.08,
    smoothing: float = 0.5,
    max_speed: float = 2.0,
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
    max_speed : float in (0, 10]
        Fastest pan, in crop widths (heights) per second; a scene cut resets the crop
        at once instead.

    Returns
    -------
    times, cx, cy : np.ndarray
        Crop centre (display pixels) at each sample time; always inside the frame.
    """
    if isinstance(dead_zone, bool) or not isinstance(dead_zone, (int, float)) or not 0 <= dead_zone <= 0.5:
        raise ParameterError(f"dead_zone: {dead_zone!r} is outside 0..0.5")
    if isinstance(smoothing, bool) or not isinstance(smoothing, (int, float)) or not 0 <= smoothing <= 3:
        raise ParameterError(f"smoothing: {smoothing!r} is outside 0..3 seconds")
    if isinstance(max_speed, bool) or not isinstance(max_speed, (int, float)) or not 0 < max_speed <= 10:
        raise ParameterError(f"max_speed: {max_speed!r} is outside (0, 10] crop widths per second")
    W, H = track.size
    cw, ch = min(crop_size[0], W), min(crop_size[1], H)
    n = track.times.size
    lo_x, hi_x = cw / 2, W - cw / 2
    lo_y, hi_y = ch / 2, H - ch / 2
    # faces sit a little above the crop's centre (head room)
    ty_all = np.where(np.asarray([k == "face" for k in track.kinds]), track.y + _HEAD_ROOM * ch, track.y)
    cuts = set(int(c) for c in track.cuts)
    bounds = [0] + sorted(c for c in cuts if 0 < c < n) + [n]
    cx_all = np.empty(n)
    cy_all = np.empty(n)
    for s0, s1 in zip(bounds[:-1], bounds[1:]):
        # each shot is planned on its own: the crop never pans across a cut
        xs, ys = track.x[s0:s1], ty_all[s0:s1]
        px = min(max(track.start[0] if s0 == 0 else W / 2, lo_x), hi_x)
        py = min(max(track.start[1] if s0 == 0 else H / 2, lo_y), hi_y)
        known = np.flatnonzero(~np.isnan(xs))
        if known.size:
            px = min(max(float(xs[known[0]]), lo_x), hi_x)
            py = min(max(float(ys[known[0]]), lo_y), hi_y)
        zx, zy = dead_zone * cw, dead_zone * ch
        cx, cy = np.empty(s1 - s0), np.empty(s1 - s0)
        for i in range(s1 - s0):
            tx, ty = xs[i], ys[i]
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
        times = track.times[s0:s1]
        if smoothing > 0 and cx.size > 2:
            rate = (cx.size - 1) / max(1e-9, float(times[-1] - times[0]))
            sigma = smoothing * rate
            if sigma >= 0.3:
                cx = _gaussian(cx, sigma)
                cy = _gaussian(cy, sigma)
        if cx.size > 1:
            cx = _speed_limited(cx, times, max_speed * cw)
            cy = _speed_limited(cy, times, max_speed * ch)
        cx_all[s0:s1], cy_all[s0:s1] = cx, cy
    return track.times, np.clip(cx_all, lo_x, hi_x), np.clip(cy_all, lo_y, hi_y)


@dataclass(frozen=True, slots=True)
class CropPath:
    """A planned crop: its size and its centre over the clip's time.

    Attributes
    ----------
    times : np.ndarray
        Clip seconds.
    cx, cy : np.ndarray
        Crop centre in display pixels of the clip's used area.
    size : tuple of int
        Crop ``(width, height)`` in display pixels (even).
    track : SubjectTrack
        What the path was planned from.
    """

    times: np.ndarray
    cx: np.ndarray
    cy: np.ndarray
    size: tuple[int, int]
    track: SubjectTrack

    def centre_at(self, t: float) -> tuple[float, float]:
        """Crop centre at clip second ``t``."""
        return float(np.interp(t, self.times, self.cx)), float(np.interp(t, self.times, self.cy))


def crop_size_for(size: tuple[int, int], aspect: float) -> tuple[int, int]:
    """The largest even crop of ``aspect`` (width / height) inside ``size``."""
    W, H = size
    if W / H > aspect:
        return (max(2, int(round(H * aspect / 2)) * 2), H - H % 2)
    return (W - W % 2, max(2, int(round(W / aspect / 2)) * 2))


def crop_path(
    clip: Clip,
    aspect: float,
    *,
    follow: str = "auto",
    dead_zone: float = 0.08,
    smoothing: float = 0.5,
    max_speed: float = 2.0,
    sample_fps: float = 6.0,
    faces: Any = "default",
) -> CropPath:
    """The subject-following crop path of ``clip`` for a target ``aspect`` (planned, with hindsight).

    Parameters
    ----------
    clip : Clip
        The clip (its span, speed and crop apply).
    aspect : float > 0
        Target width / height.
    follow, dead_zone, smoothing, max_speed, sample_fps, faces
        As for :func:`analyze_subject` and :func:`plan_crop_path`.
    """
    if isinstance(aspect, bool) or not isinstance(aspect, (int, float)) or not 0.1 <= aspect <= 10:
        raise ParameterError(f"aspect: {aspect!r} is outside 0.1..10 (width / height)")
    track = analyze_subject(clip, sample_fps=sample_fps, follow=follow, faces=faces, aspect=float(aspect))
    size = crop_size_for(track.size, float(aspect))
    times, cx, cy = plan_crop_path(track, size, dead_zone=dead_zone, smoothing=smoothing, max_speed=max_speed)
    return CropPath(times, cx, cy, size, track)


# -- streaming -------------------------------------------------------------------------------


class SubjectFollower:
    """Causal subject-following crop position, one frame at a time.

    Parameters
    ----------
    area : (x, y, w, h)
        The used area of the frame, in frame pixels.
    crop : (w, h)
        Crop size in frame pixels.
    fps : float > 0
        Frame rate (the spring and the speed cap work in seconds).
    detect_every : int >= 1, optional
        Frames between face detections; default: every :attr:`DETECT_SECONDS` of video.
        The tracker predicts faces in between and holds them for two intervals.
    dead_zone : float in [0, 0.5]
        Share of the crop the subject may drift before the crop moves.
    response : float > 0
        Seconds the spring takes to settle on a new goal.
    max_speed : float > 0
        Fastest pan in crop widths per second (a face about to leave pulls faster).
    faces : callable, None or 'default'
        Face detector (see :class:`SubjectFinder`).
    motion : bool
        Follow salient motion when no face is known, and start on the salient point (the
        ``smart`` fit); off, the crop starts centred and moves only for faces (``cover``).
    """

    KEEP_IN = 0.1  # share of the crop kept between a face and the crop's edge
    # A crop pans slowly (dead zone, speed cap), so it needs a fresh detection far less
    # often than a face sticker does; detection is most of the cost of following faces.
    # Measured on the real clips (bench_faces --framing): every 0.2 s -> 0.3 s kept the
    # face in the crop in 92-100 % of frames (94-100 % before) at half the cost.
    DETECT_SECONDS = 0.3
    # Once no face has been found for this long (scenery, products, pets, cartoons), look
    # only this often until one is: a face that walks in is followed within two seconds,
    # and a scene cut looks at once. Measured (bench_faces --framing): at 1 s, chaplin's
    # cover crop fell from 92% to 89% (its small face is missed for a second at a time and
    # was found again later); at 2 s every figure is unchanged.
    IDLE_SECONDS = 2.0
    # Faces narrower than this share of the frame's width do not steer a crop; the CNN's
    # first stage costs about the inverse square of its smallest face.
    # 0.04 changed no framing figure there and cut the detector's cost by about a third.
    MIN_FACE = 0.04
    # A face about to leave the crop pulls it along at up to this many crop widths a second
    # (a brisk pan, never a jump: a detection that corrects a box by 40 pixels moves the
    # crop over a few frames).
    PULL_SPEED = 4.0

    def __init__(
        self,
        area: tuple[float, float, float, float],
        crop: tuple[float, float],
        *,
        fps: float = 30.0,
        detect_every: int | None = None,
        dead_zone: float = 0.08,
        response: float = 0.5,
        max_speed: float = 2.0,
        faces: Any = "default",
        motion: bool = True,
    ) -> None:
        self.area = area
        self.vis = crop
        self.dt = 1.0 / max(1e-6, fps)
        self.motion = motion
        if detect_every is None:
            detect_every = max(1, int(round(self.DETECT_SECONDS * fps)))
        if isinstance(faces, str) and faces == "default":
            try:
                faces = CNNFaceDetector(min_size=self.MIN_FACE)
            except PluginError:
                pass  # no CNN weights: the default detector falls back to Haar
        hold = max(0.5, 2.0 * detect_every / max(fps, 1e-6))
        idle_every = max(detect_every, int(round(self.IDLE_SECONDS * fps)))
        self.finder = SubjectFinder(
            follow="auto" if motion else "faces",
            faces=faces,
            detect_every=detect_every,
            idle_every=idle_every,
            hold=hold,
            fps=fps,
            crop_width=crop[0],
        )
        self.dead = (dead_zone * crop[0], dead_zone * crop[1])
        self.response = response
        self.max_speed = (max_speed * crop[0], max_speed * crop[1])
        self.pull_speed = (self.PULL_SPEED * crop[0], self.PULL_SPEED * crop[1])
        self._pulls = True
        self.pos: list[float] | None = None
        self.goal: list[float] = [0.0, 0.0]
        self.vel = [0.0, 0.0]
        self.t = 0.0

    def _clamp(self, x: float, y: float) -> tuple[float, float]:
        cx, cy, cw, ch = self.area
        hw, hh = self.vis[0] / 2, self.vis[1] / 2
        return min(max(x, cx + hw), cx + cw - hw), min(max(y, cy + hh), cy + ch - hh)

    def __call__(self, frame: Frame) -> tuple[float, float]:
        """Crop centre (frame pixels) for this frame."""
        ax, ay, aw, ah = (int(v) for v in self.area)
        ax, ay, aw, ah = ax // 2 * 2, ay // 2 * 2, aw // 2 * 2, ah // 2 * 2
        area = Frame(frame.y[ay : ay + ah, ax : ax + aw], frame.u[ay // 2 : (ay + ah) // 2, ax // 2 : (ax + aw) // 2], frame.v[ay // 2 : (ay + ah) // 2, ax // 2 : (ax + aw) // 2])
        hit = self.finder(area, self.t)
        self.t += self.dt
        first = self.pos is None
        if first and hit is None:
            if self.motion:
                sx, sy = self.finder.salient_point(area.y)
                hit = (sx, sy, "salient")
            else:
                hit = (aw / 2, ah / 2, "center")
        if hit is not None:
            tx, ty = ax + hit[0], ay + hit[1]
            if hit[2] == "face":
                ty += _HEAD_ROOM * self.vis[1]
            if first or self.finder.cut:
                # the first frame, or a new shot: go straight to the subject
                self.pos = list(self._clamp(tx, ty))
                self.goal = list(self.pos)
                self.vel = [0.0, 0.0]
            else:
                for i, (t, d) in enumerate(((tx, self.dead[0]), (ty, self.dead[1]))):
                    if t > self.goal[i] + d:
                        self.goal[i] = t - d
                    elif t < self.goal[i] - d:
                        self.goal[i] = t + d
                self.goal = list(self._clamp(*self.goal))
        if self.pos is None:
            self.pos = list(self._clamp(ax + aw / 2, ay + ah / 2))
        # critically damped spring towards the goal: eases in and out, never overshoots
        omega = math.pi / max(0.05, self.response)
        dt = self.dt
        for i in range(2):
            accel = omega * omega * (self.goal[i] - self.pos[i]) - 2.0 * omega * self.vel[i]
            self.vel[i] += accel * dt
            self.vel[i] = min(max(self.vel[i], -self.max_speed[i]), self.max_speed[i])
            self.pos[i] += self.vel[i] * dt
        box = self.finder.subject_box
        if self.finder.switched or first or self.finder.cut:
            # a newly chosen face is reached by the spring at the capped speed (no snap);
            # it pulls the crop only once it is inside
            self._pulls = first or self.finder.cut
        if box is not None:
            # the face followed, about to leave, pulls the crop along at up to PULL_SPEED
            bx0, by0 = ax + box.x, ay + box.y
            for i, (lo_edge, size) in enumerate(((bx0, box.w), (by0, box.h))):
                half = self.vis[i] / 2
                margin = self.KEEP_IN * self.vis[i]
                if size + 2 * margin >= 2 * half:
                    continue
                lo = lo_edge + size + margin - half  # crop centre so the face's far edge is inside
                hi = lo_edge - margin + half
                if not self._pulls:
                    self._pulls = lo <= self.pos[i] <= hi
                    continue
                step = self.pull_speed[i] * dt
                if self.pos[i] < lo:
                    self.pos[i], self.vel[i] = min(lo, self.pos[i] + step), max(self.vel[i], 0.0)
                elif self.pos[i] > hi:
                    self.pos[i], self.vel[i] = max(hi, self.pos[i] - step), min(self.vel[i], 0.0)
        self.pos = list(self._clamp(*self.pos))
        return self.pos[0], self.pos[1]


def subject_cover(g: FitGeometry, *, faces: Any = "default", motion: bool = True) -> Callable[[Frame], Frame]:
    """A cover fit whose crop follows the subject (streaming; see :class:`SubjectFollower`).

    ``motion=False`` (the ``cover`` fit) moves the crop for faces only: a clip without faces
    is cropped in the centre, as before; ``motion=True`` (``fit: smart``) also follows motion.
    """
    sx, sy = g.pixel_scale
    cx, cy, cw, ch = g.crop
    W, H = g.canvas
    dw, dh = g.crop_display_size
    s = max(W / dw, H / dh)
    vis = (W / s / sx, H / s / sy)  # crop size in frame pixels
    follower = SubjectFollower((cx, cy, cw, ch), vis, faces=faces, motion=motion, fps=g.fps)
    w = min(max(2, int(round(vis[0] / 2)) * 2), g.frame_size[0] // 2 * 2)
    h = min(max(2, int(round(vis[1] / 2)) * 2), g.frame_size[1] // 2 * 2)
    interp = cv2.INTER_AREA if W * 1.5 < w else cv2.INTER_LINEAR

    def fit(frame: Frame, pre: Callable[[Frame], Frame] | None = None) -> Frame:
        px, py = follower(frame)
        fw, fh = frame.width, frame.height
        x = min(max(0, int(round((px - w / 2) / 2)) * 2), (fw - w) // 2 * 2)
        y = min(max(0, int(round((py - h / 2) / 2)) * 2), (fh - h) // 2 * 2)
        region = (frame.y[y : y + h, x : x + w], frame.u[y // 2 : (y + h) // 2, x // 2 : (x + w) // 2], frame.v[y // 2 : (y + h) // 2, x // 2 : (x + w) // 2])
        alpha = None if frame.alpha is None else frame.alpha[y : y + h, x : x + w]
        if pre is not None and alpha is None and w * h < W * H:
            # scaling up: per-pixel colour work and size-only filters are cheaper on the source's pixels
            done = pre(Frame(*region), scale=math.sqrt((W * H) / (w * h)))  # see clipkit.render.fit.PointOps
            region = (done.y, done.u, done.v)
            pre = None
        if (w, h) == (W, H):
            return Frame(*region, alpha) if pre is None else pre(Frame(*region, alpha))
        out = Frame.packed(W, H)  # written in place: the encoder takes it without a copy
        cv2.resize(region[0], (W, H), dst=out.y, interpolation=interp)
        cv2.resize(region[1], (W // 2, H // 2), dst=out.u, interpolation=interp)
        cv2.resize(region[2], (W // 2, H // 2), dst=out.v, interpolation=interp)
        if alpha is not None:
            out.alpha = cv2.resize(alpha, (W, H), interpolation=interp)
        return out if pre is None else pre(out)

    fit.takes_point_ops = True  # type: ignore[attr-defined]
    # the same frame again (a still) finds the same faces and the crop at rest: the same picture
    fit.repeatable = True  # type: ignore[attr-defined]  # see clipkit.render.fit.Fitter
    fit.follower = follower  # type: ignore[attr-defined]  # measurement scripts read the crop position
    fit.continues_across_shots = True  # type: ignore[attr-defined]  # see clipkit.render.fit.Fitter
    return fit
