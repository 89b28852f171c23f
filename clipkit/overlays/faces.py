"""Face-anchored stickers: detect faces with OpenCV, track and smooth them, pin a sticker.

Detection runs on the luma plane (no colour conversion), shrunk to ``analysis_width``
pixels, every ``detect_every`` frames; between detections the tracked boxes hold.
Boxes are smoothed exponentially and matched to the previous ones by overlap, so the
sticker does not jitter or jump between faces. A face that is lost fades its sticker
out after ``hold`` seconds. No face means no sticker and no error.

Detectors (nothing is downloaded at run time):

- :class:`HaarFaceDetector`: OpenCV's frontal-face Haar cascade, whose model file ships
  inside the ``opencv-python`` 4.x wheels (``cv2.data.haarcascades``). OpenCV 5 dropped
  the cascade classifier and its data from the wheels; there it raises
  :class:`~clipkit.errors.PluginError` saying what to install or pass instead.
- :class:`YuNetFaceDetector`: OpenCV's ``FaceDetectorYN`` (4.5.4+ and 5.x) with a YuNet
  ONNX model file you provide; it also gives the eyes, so stickers tilt with the head.
- any callable ``detector(grey) -> list[FaceBox]``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ..errors import ParameterError, PluginError, describe_value
from ..frame import Frame
from ..nodes import FrameTime, RenderContext
from .composite import affine
from .layer import own_frame
from .sticker import MediaContent, Sticker, _media_size

__all__ = [
    "FaceBox",
    "FaceDetector",
    "HaarFaceDetector",
    "YuNetFaceDetector",
    "default_face_detector",
    "FaceTracker",
    "FaceSticker",
]


@dataclass(frozen=True, slots=True)
class FaceBox:
    """A face in frame pixels.

    Attributes
    ----------
    x, y, w, h : float
        Top-left corner and size.
    score : float
        Detector confidence (1 when the detector gives none).
    angle : float
        Head roll in degrees, clockwise (0 when the detector gives no landmarks).
    """

    x: float
    y: float
    w: float
    h: float
    score: float = 1.0
    angle: float = 0.0

    @property
    def center(self) -> tuple[float, float]:
        """Centre of the box."""
        return (self.x + self.w / 2, self.y + self.h / 2)

    def iou(self, other: FaceBox) -> float:
        """Intersection over union with ``other``."""
        x0, y0 = max(self.x, other.x), max(self.y, other.y)
        x1, y1 = min(self.x + self.w, other.x + other.w), min(self.y + self.h, other.y + other.h)
        inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
        union = self.w * self.h + other.w * other.h - inter
        return inter / union if union > 0 else 0.0

    def scaled(self, k: float) -> FaceBox:
        """The box with every coordinate multiplied by ``k``."""
        return FaceBox(self.x * k, self.y * k, self.w * k, self.h * k, self.score, self.angle)


FaceDetector = Callable[[np.ndarray], Sequence[FaceBox]]
"""``detector(grey) -> boxes``: grey is a uint8 (H, W) image; boxes in its pixels."""


def _cv_version() -> str:
    return str(getattr(cv2, "__version__", "?"))


class HaarFaceDetector:
    """OpenCV's frontal-face Haar cascade, from the data shipped in the OpenCV wheel.

    Parameters
    ----------
    cascade : str
        File name in ``cv2.data.haarcascades``, or a path to a cascade XML file.
    scale_factor : float in (1, 2)
        Image pyramid step.
    min_neighbors : int >= 1
        Detections needed to keep a face (higher: fewer false faces).
    min_size : float in (0, 1)
        Smallest face, as a fraction of the image width.

    Raises
    ------
    PluginError
        When this OpenCV has no cascade classifier or no cascade data (OpenCV 5 wheels).
    """

    def __init__(
        self,
        cascade: str = "haarcascade_frontalface_default.xml",
        *,
        scale_factor: float = 1.1,
        min_neighbors: int = 5,
        min_size: float = 0.08,
    ) -> None:
        if not 1 < scale_factor < 2:
            raise ParameterError(f"HaarFaceDetector.scale_factor: {scale_factor!r} is outside (1, 2)")
        if min_neighbors < 1:
            raise ParameterError(f"HaarFaceDetector.min_neighbors: {min_neighbors!r} is below 1")
        if not 0 < min_size < 1:
            raise ParameterError(f"HaarFaceDetector.min_size: {min_size!r} is outside (0, 1)")
        classifier = getattr(cv2, "CascadeClassifier", None)
        data_dir = getattr(getattr(cv2, "data", None), "haarcascades", None)
        path = Path(cascade) if os.path.isabs(cascade) or os.path.exists(cascade) else (Path(data_dir) / cascade if data_dir else None)
        if classifier is None or path is None or not path.is_file():
            raise PluginError(
                f"face detection: OpenCV {_cv_version()} has "
                + ("no CascadeClassifier" if classifier is None else f"no Haar cascade data ({cascade} is not in cv2.data)")
                + "; install an OpenCV 4 wheel, which ships it (pip install 'opencv-python-headless>=4.9,<5'), "
                "or pass detector=YuNetFaceDetector('face_detection_yunet.onnx') with a YuNet model file"
            )
        self._classifier = classifier(str(path))
        if self._classifier.empty():
            raise PluginError(f"face detection: {path} is not a readable Haar cascade")
        self.scale_factor = scale_factor
        self.min_neighbors = min_neighbors
        self.min_size = min_size

    def __call__(self, grey: np.ndarray) -> list[FaceBox]:
        side = max(8, int(self.min_size * grey.shape[1]))
        found = self._classifier.detectMultiScale(
            grey, scaleFactor=self.scale_factor, minNeighbors=self.min_neighbors, minSize=(side, side)
        )
        return [FaceBox(float(x), float(y), float(w), float(h)) for (x, y, w, h) in np.asarray(found).reshape(-1, 4)]


class YuNetFaceDetector:
    """OpenCV's YuNet face detector (``cv2.FaceDetectorYN``) with a model file you provide.

    Parameters
    ----------
    model : path
        A YuNet ``.onnx`` file (from the OpenCV model zoo).
    score_threshold : float in (0, 1)
        Minimum confidence.

    Raises
    ------
    PluginError
        When this OpenCV has no ``FaceDetectorYN`` or the model cannot be loaded.
    """

    def __init__(self, model: str | os.PathLike[str], *, score_threshold: float = 0.7) -> None:
        if not 0 < score_threshold < 1:
            raise ParameterError(f"YuNetFaceDetector.score_threshold: {score_threshold!r} is outside (0, 1)")
        create = getattr(cv2, "FaceDetectorYN_create", None) or getattr(getattr(cv2, "FaceDetectorYN", None), "create", None)
        if create is None:
            raise PluginError(f"face detection: OpenCV {_cv_version()} has no FaceDetectorYN (needs 4.5.4 or later)")
        path = Path(model)
        if not path.is_file():
            raise PluginError(f"face detection: YuNet model {os.fspath(model)!r} does not exist")
        try:
            self._net = create(str(path), "", (320, 320), score_threshold, 0.3, 5000)
        except cv2.error as exc:
            raise PluginError(f"face detection: {path} is not a YuNet model OpenCV can load ({exc})") from None
        self._size: tuple[int, int] | None = None

    def __call__(self, grey: np.ndarray) -> list[FaceBox]:
        h, w = grey.shape[:2]
        if self._size != (w, h):
            self._net.setInputSize((w, h))
            self._size = (w, h)
        bgr = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR) if grey.ndim == 2 else grey
        _, faces = self._net.detect(bgr)
        out = []
        for f in np.asarray(faces if faces is not None else []).reshape(-1, 15):
            # landmarks: right eye (4, 5), left eye (6, 7) in image coordinates
            angle = math.degrees(math.atan2(f[7] - f[5], f[6] - f[4]))
            out.append(FaceBox(float(f[0]), float(f[1]), float(f[2]), float(f[3]), float(f[14]), angle))
        return out


def default_face_detector() -> FaceDetector:
    """The detector used when none is given: :class:`HaarFaceDetector` (raises PluginError without it)."""
    return HaarFaceDetector()


@dataclass(slots=True)
class _Track:
    box: FaceBox
    first_seen: float
    last_seen: float


class FaceTracker:
    """Detects faces every few frames, matches them to tracks and smooths the boxes.

    Parameters
    ----------
    detector : callable
        ``detector(grey) -> list[FaceBox]``.
    max_faces : int >= 1
        Faces followed at once (the largest first).
    detect_every : int >= 1
        Run the detector on every n-th call.
    smoothing : float in [0, 1)
        Weight of the previous box in the exponential smoothing (0: no smoothing).
    hold : float >= 0
        Seconds a lost face is kept before its track is dropped.
    analysis_width : int >= 64
        Width the luma plane is shrunk to before detection.
    """

    def __init__(
        self,
        detector: FaceDetector,
        *,
        max_faces: int = 1,
        detect_every: int = 3,
        smoothing: float = 0.6,
        hold: float = 0.3,
        analysis_width: int = 360,
    ) -> None:
        if max_faces < 1:
            raise ParameterError(f"max_faces: {max_faces!r} is below 1")
        if detect_every < 1:
            raise ParameterError(f"detect_every: {detect_every!r} is below 1")
        if not 0 <= smoothing < 1:
            raise ParameterError(f"smoothing: {smoothing!r} is outside [0, 1)")
        if hold < 0:
            raise ParameterError(f"hold: {hold!r} is below 0 seconds")
        if analysis_width < 64:
            raise ParameterError(f"analysis_width: {analysis_width!r} is below 64 pixels")
        self.detector = detector
        self.max_faces = max_faces
        self.detect_every = detect_every
        self.smoothing = smoothing
        self.hold = hold
        self.analysis_width = analysis_width
        self.tracks: list[_Track] = []
        self._calls = 0

    def _detect(self, luma: np.ndarray) -> list[FaceBox]:
        h, w = luma.shape
        k = min(1.0, self.analysis_width / w)
        small = luma if k >= 1.0 else cv2.resize(luma, (max(1, int(w * k)), max(1, int(h * k))), interpolation=cv2.INTER_AREA)
        boxes = [b.scaled(1.0 / k) for b in self.detector(np.ascontiguousarray(small))]
        return sorted(boxes, key=lambda b: -b.w * b.h)

    def update(self, luma: np.ndarray, t: float) -> list[tuple[FaceBox, float, float]]:
        """Advance to time ``t`` with the luma plane of the current frame.

        Returns
        -------
        list of (box, age, lost)
            Smoothed box of each live track, seconds since it appeared, and seconds
            since it was last detected.
        """
        if self._calls % self.detect_every == 0:
            found = self._detect(luma)
            used: set[int] = set()
            a = self.smoothing
            for tr in self.tracks:
                best, best_score = None, 0.0
                for i, b in enumerate(found):
                    if i in used:
                        continue
                    score = tr.box.iou(b)
                    if score <= 0.05:  # fast motion: accept a nearby box of similar size
                        (cx, cy), (bx, by) = tr.box.center, b.center
                        if math.hypot(cx - bx, cy - by) < 0.6 * max(tr.box.w, b.w) and 0.6 < b.w / max(tr.box.w, 1e-6) < 1.6:
                            score = 0.06
                    if score > best_score:
                        best, best_score = i, score
                if best is not None:
                    used.add(best)
                    b = found[best]
                    o = tr.box
                    tr.box = FaceBox(
                        a * o.x + (1 - a) * b.x,
                        a * o.y + (1 - a) * b.y,
                        a * o.w + (1 - a) * b.w,
                        a * o.h + (1 - a) * b.h,
                        b.score,
                        a * o.angle + (1 - a) * b.angle,
                    )
                    tr.last_seen = t
            self.tracks = [tr for tr in self.tracks if t - tr.last_seen <= self.hold]
            for i, b in enumerate(found):
                if i in used:
                    continue
                if len(self.tracks) < self.max_faces:
                    self.tracks.append(_Track(b, t, t))
                    continue
                # no free slot: a face seen now replaces a track that was not
                stale = [k for k, tr in enumerate(self.tracks) if tr.last_seen < t]
                if stale:
                    self.tracks[stale[0]] = _Track(b, t, t)
        else:
            self.tracks = [tr for tr in self.tracks if t - tr.last_seen <= self.hold]
        self._calls += 1
        return [(tr.box, t - tr.first_seen, t - tr.last_seen) for tr in self.tracks]


@dataclass(frozen=True)
class FaceSticker(Sticker):
    """A sticker pinned to each tracked face (a hat, glasses, an emoji).

    Parameters
    ----------
    source : path, list of paths or RGBA array
        As for :class:`~clipkit.overlays.sticker.Sticker`.
    size : float in (0, 10]
        Sticker width as a multiple of the face width.
    offset : [dx, dy]
        Where the sticker's anchor sits, from the face centre, in face widths (dx) and
        face heights (dy): ``[0, -0.75]`` puts a hat's anchor above the forehead.
    detector : callable, optional
        ``detector(grey) -> list[FaceBox]``; default :func:`default_face_detector`.
    max_faces : int in [1, 16]
        Faces followed at once.
    detect_every : int >= 1
        Run the detector every n-th frame (the boxes hold in between).
    smoothing : float in [0, 1)
        Box smoothing.
    hold : float >= 0
        Seconds the sticker stays on a face that is lost for a moment.
    fade : float >= 0
        Seconds the sticker takes to appear on a new face and to vanish from a lost one.
    tilt : bool
        Follow the head's roll when the detector gives eye positions.
    **options
        ``anchor``, ``rotation``, ``opacity``, ``scale``, ``enter``, ``exit``,
        ``beat_bounce``, ``loop``, ``speed``, ``fps`` as for Sticker; ``position`` and
        ``width`` are set by the face.
    """

    _: KW_ONLY
    size: float = 1.2
    offset: Any = (0.0, 0.0)
    detector: Any = field(default=None, compare=False)
    max_faces: int = 1
    detect_every: int = 3
    smoothing: float = 0.6
    hold: float = 0.3
    fade: float = 0.15
    tilt: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.size, bool) or not isinstance(self.size, (int, float)) or not 0 < self.size <= 10:
            raise ParameterError(f"FaceSticker.size: {self.size!r} is outside (0, 10] face widths")
        off = self.offset
        if not isinstance(off, (list, tuple)) or len(off) != 2 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in off):
            raise ParameterError(f"FaceSticker.offset: {describe_value(off)} is not [dx, dy] in face sizes")
        object.__setattr__(self, "offset", (float(off[0]), float(off[1])))
        if self.detector is not None and not callable(self.detector):
            raise ParameterError(f"FaceSticker.detector: {describe_value(self.detector)} is not callable")
        if not isinstance(self.max_faces, int) or not 1 <= self.max_faces <= 16:
            raise ParameterError(f"FaceSticker.max_faces: {self.max_faces!r} is outside 1..16")
        if self.fade < 0:
            raise ParameterError(f"FaceSticker.fade: {self.fade!r} is below 0 seconds")
        # the other tracker options are checked by FaceTracker now, not at render time
        FaceTracker(lambda g: [], max_faces=self.max_faces, detect_every=self.detect_every, smoothing=self.smoothing, hold=self.hold)

    def bind(self, ctx: RenderContext) -> Callable[[Frame, FrameTime], Frame]:
        """Bind to a render: detect, track and draw on every frame."""
        detector = self.detector if self.detector is not None else default_face_detector()
        tracker = FaceTracker(
            detector, max_faces=self.max_faces, detect_every=self.detect_every, smoothing=self.smoothing, hold=self.hold
        )
        media = self.load(width_px=max(16, round(0.25 * ctx.width)))
        ref = _media_size(ctx, media.size, 0.25, None)  # drawn size is set per face below
        content = MediaContent(media, ref, loop=self.loop, speed=self.speed, anchor=self.anchor)
        base, animate = self._state_fns(ctx)
        width, height = ctx.width, ctx.height
        size, (ox, oy), fade, hold, tilt = self.size, self.offset, self.fade, self.hold, self.tilt

        def draw(frame: Frame, time: FrameTime) -> Frame:
            faces = tracker.update(frame.y, time.local_t)
            if not faces:
                return frame
            sprite = content.sprite_at(time.local_t)
            for box, age, lost in faces:
                st = base(time)
                cx, cy = box.center
                st.x = (cx + ox * box.w) / width
                st.y = (cy + oy * box.h) / height
                # quantize the drawn width to 4 px so that resampled sizes are reused
                target = max(4.0, round(size * box.w / 4.0) * 4.0)
                st.scale *= target / sprite.width
                if tilt:
                    st.rotation += box.angle
                if fade > 0:
                    st.opacity *= min(1.0, (age + 1e-9) / fade) if age < fade else 1.0
                    if lost > max(0.0, hold - fade):
                        st.opacity *= max(0.0, (hold - lost) / fade)
                animate(st, time)
                if st.opacity <= 0.002 or st.scale <= 1e-4:
                    continue
                matrix = affine(
                    position=(st.x * width, st.y * height),
                    anchor=content.anchor,
                    size=(sprite.width, sprite.height),
                    scale=st.scale,
                    rotation=st.rotation,
                )
                frame = own_frame(frame)
                sprite.draw(frame, matrix, opacity=st.opacity)
            return frame

        draw.close = content.close  # type: ignore[attr-defined]
        return draw
