"""Faces at every scale: small faces found and kept, beauty sized to the face, crowd crops, frame rate."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

import clipkit as ck
import mediagen as mg
from clipkit.builtin_effects.beauty import Beauty, _feature_guard
from clipkit.frame import Frame
from clipkit.render.fit import Fitter
from clipkit.render.stream import ClipStream
from clipkit.nodes import RenderContext
from clipkit.vision import FaceBox, detect_faces, default_face_detector
from clipkit.vision.framing import SubjectFollower, centre_weight, crop_score, group_target, subject_cover
from clipkit.vision.tracking import FaceTracker

MEDIA = Path(__file__).resolve().parents[2] / "shared" / "media" / "video"
CARPHONE = MEDIA / "carphone_pristine.mp4"
needs_media = pytest.mark.skipif(not CARPHONE.is_file(), reason="../shared/media is not here")


class _SquareDetector:
    """Finds grey-200 squares, like a CNN, only from MIN_SIDE pixels up (in the image it is given)."""

    MIN_SIDE = 12

    def __call__(self, grey: np.ndarray) -> list[FaceBox]:
        on = (np.abs(grey.astype(int) - 200) < 30).astype(np.uint8)
        n, _, stats, _ = cv2.connectedComponentsWithStats(on)
        return [FaceBox(float(x), float(y), float(w), float(h)) for x, y, w, h, _ in stats[1:n] if min(w, h) >= self.MIN_SIDE]


def _crowd_frame(x: int, y: int, side: int) -> np.ndarray:
    grey = np.full((1080, 1920), 60, np.uint8)
    grey[y : y + side, x : x + side] = 200
    return grey


def test_a_face_too_small_for_the_frame_wide_pass_is_found_and_kept() -> None:
    side = 34  # 8.5 px in the 480-pixel analysis copy: below the detector's 12
    found_with, found_without = [], []
    for closer, found in ((True, found_with), (False, found_without)):
        tracker = FaceTracker(_SquareDetector(), max_faces=4, detect_every=3, hold=0.5, analysis_width=480, look_closer=closer)
        for k in range(90):
            x = 300 + 4 * k  # walking right, 120 px/s
            faces = tracker.update(_crowd_frame(x, 600, side), k / 30)
            found.append(any(abs(f.box.center[0] - (x + side / 2)) < side for f in faces))
    assert not any(found_without)
    first = found_with.index(True)
    assert first <= 12  # within four detections (a quarter of the frame each)
    assert sum(found_with[first:]) / len(found_with[first:]) >= 0.98  # then held: the closer look finds it again


def test_feature_guard_covers_eyes_brows_and_mouth_from_the_landmarks() -> None:
    face = FaceBox(100, 100, 100, 120, 1.0, 0.0, (130.0, 150.0, 170.0, 150.0, 150.0, 175.0, 135.0, 200.0, 165.0, 200.0))
    guard = _feature_guard((400, 400), 1.0, [face])
    assert guard[150, 130] > 0.9 and guard[150, 170] > 0.9  # eyes
    assert guard[142, 130] > 0.9  # brow above the eye
    assert guard[200, 150] > 0.9  # mouth
    assert guard[180, 110] < 0.1 and guard[185, 190] < 0.1  # cheeks stay smoothed
    assert _feature_guard((400, 400), 1.0, []) is None


def _skin_and_edges(y: np.ndarray, box: FaceBox) -> tuple[np.ndarray, np.ndarray]:
    """Plain cheek skin (away from edges) and the eye band's edge pixels, as bench/bench_faces.py measures."""
    x0, y0, bw, bh = int(box.x), int(box.y), int(box.w), int(box.h)
    cheeks = np.zeros(y.shape, bool)
    cheeks[y0 + int(0.55 * bh) : y0 + int(0.75 * bh), x0 + int(0.15 * bw) : x0 + int(0.35 * bw)] = True
    cheeks[y0 + int(0.55 * bh) : y0 + int(0.75 * bh), x0 + int(0.65 * bw) : x0 + int(0.85 * bw)] = True
    eyes = np.zeros(y.shape, bool)
    eyes[y0 + int(0.2 * bh) : y0 + int(0.45 * bh), x0 + int(0.1 * bw) : x0 + int(0.9 * bw)] = True
    edges = cv2.Canny(cv2.GaussianBlur(y, (0, 0), max(0.8, box.w / 64)), 40, 100) > 0
    reach = 2 * int(max(1, box.w / 24)) + 1
    near = cv2.dilate(edges.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (reach, reach))) > 0
    return cheeks & ~near, eyes & edges


def _texture(y: np.ndarray, mask: np.ndarray, face_w: float) -> float:
    y = y.astype(np.float32)
    return float(np.sqrt(np.mean((y - cv2.GaussianBlur(y, (0, 0), max(1.0, face_w / 32)))[mask] ** 2)))


def _gradient(y: np.ndarray, mask: np.ndarray) -> float:
    y = y.astype(np.float32)
    return float(np.mean(np.hypot(cv2.Sobel(y, cv2.CV_32F, 1, 0), cv2.Sobel(y, cv2.CV_32F, 0, 1))[mask]))


@needs_media
def test_beauty_smooths_a_small_real_face_at_its_own_scale_and_keeps_its_eyes() -> None:
    """The carphone face is about 50 pixels wide: the old fixed 12-pixel radius smoothed 2-7%
    of its detail. Measured on 20 frames (a cheek patch is ~150 pixels, so one frame is noisy)."""
    detector = default_face_detector()
    removed, kept = [], []
    with av.open(str(CARPHONE)) as c:
        for k, decoded in enumerate(c.decode(video=0)):
            if k % 5 or k >= 100:
                continue
            frame = Frame.from_rgb(np.ascontiguousarray(decoded.to_ndarray(format="rgb24")[:144, :176]))
            boxes = detect_faces(detector, frame.y, frame.u, frame.v)
            if not boxes:
                continue
            box = boxes[0]
            assert 35 < box.w < 65
            out = Beauty().apply(frame, {"strength": 0.8, "radius": 12.0, "skin_only": True}, None, None)
            skin, edges = _skin_and_edges(frame.y, box)
            removed.append(1 - _texture(out.y, skin, box.w) / _texture(frame.y, skin, box.w))
            kept.append(_gradient(out.y, edges) / _gradient(frame.y, edges))
    assert len(removed) >= 15
    assert np.median(removed) >= 0.30, f"median {np.median(removed):.0%} of the skin detail smoothed"
    assert np.median(kept) >= 0.90 and min(kept) >= 0.85, f"eyes' edge detail kept: median {np.median(kept):.0%}, least {min(kept):.0%}"


def test_beauty_smooths_a_black_and_white_face() -> None:
    rgb, masks = mg.colour_face("beige", "neutral", size=256)
    grey = cv2.cvtColor(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
    frame = Frame.from_rgb(grey)
    out = Beauty().apply(frame, {"strength": 0.8, "radius": 12.0, "skin_only": True}, None, None)
    removed = 1 - _texture(out.y, masks["cheeks"], 0.68 * 256) / _texture(frame.y, masks["cheeks"], 0.68 * 256)
    assert removed >= 0.30  # no chroma to find skin by: mid-tone luma stands in


def test_a_crowd_crop_follows_the_group_not_one_face_at_its_edge() -> None:
    crop_w = 600.0
    edge = FaceBox(40, 400, 110, 130)  # the largest face, alone at the left
    group = [FaceBox(900, 420, 90, 110), FaceBox(1010, 400, 95, 115), FaceBox(1120, 430, 85, 100)]
    faces = [edge, *group]
    best = max(faces, key=lambda b: crop_score(b, faces, crop_w))
    assert best in group
    cx, _, box = group_target(faces, crop_w, best)
    assert box.x <= 900 and box.x + box.w >= 1205  # all three in the crop
    assert crop_score(edge, faces, crop_w) == pytest.approx(110 * 130)


def test_the_streaming_framing_paces_itself_by_the_real_frame_rate(tmp_path: Path) -> None:
    fitter = Fitter("cover", display_size=None, crop_box=None, canvas=(1080, 1920), background=(0, 0, 0), fps=25.0)
    g = fitter.geometry((1920, 1080))
    assert g.fps == 25.0
    assert subject_cover(g, faces=None).follower.dt == pytest.approx(1 / 25)  # type: ignore[attr-defined]
    path = mg.make_video(str(tmp_path / "c.mp4"), width=320, height=180, frames=25, fps=25)
    ctx = RenderContext(width=180, height=320, fps=Fraction(25))
    stream = ClipStream(ck.open(path), ctx=ctx, size=(180, 320), fit="cover", background=(0, 0, 0), fps=Fraction(25))
    assert stream.fitter.geometry((320, 180)).fps == 25.0


def _squares(*boxes: tuple[int, int, int]) -> Frame:
    grey = np.full((1080, 1920), 60, np.uint8)
    for x, y, side in boxes:
        grey[y : y + side, x : x + side] = 200
    return Frame(grey, np.full((540, 960), 128, np.uint8), np.full((540, 960), 128, np.uint8))


def _follower() -> SubjectFollower:
    return SubjectFollower((0.0, 0.0, 1920.0, 1080.0), (1080 * 1080 / 1920, 1080.0), fps=30.0, faces=_SquareDetector(), motion=False)


def test_the_streaming_crop_takes_the_face_in_the_middle_over_a_larger_one_at_the_edge() -> None:
    # the camera framed the person in the middle; a bigger face at the side is a passer-by
    follower = _follower()
    for _ in range(20):
        x, _ = follower(_squares((60, 400, 130), (920, 420, 90)))
    assert abs(x - 965) < 0.1 * follower.vis[0], x
    assert centre_weight(FaceBox(920, 420, 90, 90), 1920) > 0.9 > 0.2 > centre_weight(FaceBox(60, 400, 130, 130), 1920)


def test_a_new_subject_is_reached_by_a_capped_pan_never_a_jump() -> None:
    # the face followed leaves; another appears at the far right: the crop pans to it
    follower = _follower()
    positions = []
    for k in range(90):
        frame = _squares((900, 420, 100)) if k < 15 else _squares((1700, 420, 100))
        positions.append(follower(frame)[0])
    steps = np.abs(np.diff(positions))
    cap = (2.0 + SubjectFollower.PULL_SPEED) * follower.vis[0] / 30.0  # the spring's cap plus the pull's
    assert steps.max() <= cap + 1e-6, (steps.max(), cap)
    assert steps.max() < 0.25 * follower.vis[0]
    half = follower.vis[0] / 2
    assert positions[-1] - half <= 1700 and positions[-1] + half >= 1800  # and it got there
