"""Faces followed between detections (optical flow) and the planned reframe's main person."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import clipkit as ck
from clipkit.errors import ParameterError
from clipkit.vision import FaceBox
from clipkit.vision.framing import analyze_subject, crop_path
from clipkit.vision.tracking import FaceTracker
from mediagen import write_grey_video

_RNG = np.random.default_rng(12)
# a "face" with texture of its own (the flow follows its pixels), all brighter than the background
_PATCH = np.clip(190 + 25 * _RNG.standard_normal((40, 40)), 140, 250).astype(np.uint8)


def _bright_box(grey: np.ndarray) -> list[FaceBox]:
    """Stand-in detector: the box of the pixels brighter than the background (one face)."""
    ys, xs = np.nonzero(grey > 120)
    if ys.size < 20:
        return []
    return [FaceBox(float(xs.min()), float(ys.min()), float(xs.max() - xs.min() + 1), float(ys.max() - ys.min() + 1))]


def _scene(x: float) -> np.ndarray:
    y = np.full((240, 400), 60, np.uint8)
    y[100:140, int(round(x)) : int(round(x)) + 40] = _PATCH
    return y


def _worst_error(optical_flow: bool) -> tuple[float, float]:
    """Largest box error (pixels) between detections, before and after the face turns back."""
    tracker = FaceTracker(_bright_box, max_faces=1, detect_every=8, smoothing=0.0, hold=0.5, analysis_width=400, optical_flow=optical_flow, look_closer=False)
    x, before, after = 40.0, 0.0, 0.0
    for k in range(40):
        x += 4.0 if k < 20 else -4.0  # walks right, then turns back at frame 20 (between detections)
        faces = tracker.update(_scene(x), k / 30)
        assert len(faces) == 1
        error = abs(faces[0].box.x - x)
        if k < 20:
            before = max(before, error)
        else:
            after = max(after, error)
    return before, after


def test_between_detections_a_face_is_followed_by_its_own_pixels() -> None:
    flow_before, flow_after = _worst_error(True)
    velocity_before, velocity_after = _worst_error(False)
    # with the flow the box stays on the face, even when it turns back between two detections
    assert flow_before < 3.0 and flow_after < 3.0, (flow_before, flow_after)
    # extrapolating the last velocity alone overshoots after the turn (the case flow fixes)
    assert velocity_after > 12.0, velocity_after


def test_a_flat_face_with_nothing_to_follow_falls_back_to_its_velocity() -> None:
    """A textureless box gives the flow nothing to hold on to (its points are dropped): the
    tracker predicts it from its velocity exactly as it does without the flow."""
    trackers = [FaceTracker(_bright_box, max_faces=1, detect_every=6, smoothing=0.0, hold=0.5, analysis_width=400, look_closer=False, optical_flow=f) for f in (True, False)]
    for k in range(18):
        y = np.full((240, 400), 60, np.uint8)
        y[100:140, 40 + 3 * k : 80 + 3 * k] = 200
        with_flow, without = (t.update(y, k / 30) for t in trackers)
        assert len(with_flow) == 1
        assert with_flow[0].box == without[0].box


def _write(path: Path, frames: list[np.ndarray], fps: int = 12) -> Path:
    return write_grey_video(path, frames, fps=fps, crf=10)


def _levels(grey: np.ndarray) -> list[FaceBox]:
    """Stand-in detector: one face per flat bright level (200 and 250 in RGB: about 188 and
    231 in limited-range luma)."""
    out = []
    for lo, hi in ((160, 210), (215, 256)):
        ys, xs = np.nonzero((grey >= lo) & (grey < hi))
        if ys.size > 30:
            out.append(FaceBox(float(xs.min()), float(ys.min()), float(xs.max() - xs.min() + 1), float(ys.max() - ys.min() + 1)))
    return out


def test_planned_reframe_keeps_the_shots_main_person_not_whoever_passes_by_larger(tmp_path: Path) -> None:
    # A (level 200) stands at the left all along; B (level 250, larger) stands at the right for
    # the first quarter only. The 9:16 crop (136 px of 480) cannot hold both.
    frames = []
    for k in range(48):
        y = np.full((240, 480), 60, np.uint8)
        y[90:140, 40:90] = 200
        if k < 12:
            y[80:140, 380:440] = 250
        frames.append(y)
    clip = ck.open(str(_write(tmp_path / "two.mp4", frames)))
    plan = crop_path(clip, 9 / 16, sample_fps=12, faces=_levels)
    left = plan.cx - plan.size[0] / 2
    assert np.all(left <= 40) and np.all(left + plan.size[0] >= 90), "A left the crop"
    # without the crop's shape the samples are chosen one by one, as the streaming crop chooses
    track = analyze_subject(clip, sample_fps=12, faces=_levels)
    assert np.nanmax(track.x[:10]) > 300  # B, larger, first
    with pytest.raises(ParameterError, match=r"aspect: 0 is outside 0.1..10"):
        analyze_subject(clip, sample_fps=12, faces=_levels, aspect=0)


class _Counted:
    def __init__(self) -> None:
        self.frames: list[int] = []
        self.k = 0

    def __call__(self, grey: np.ndarray) -> list[FaceBox]:
        self.frames.append(self.k)
        return _bright_box(grey)


def test_a_shot_without_faces_is_searched_less_often_until_a_face_or_a_cut() -> None:
    detector = _Counted()
    tracker = FaceTracker(detector, detect_every=3, idle_every=12, analysis_width=400, optical_flow=False, look_closer=False)
    empty = np.full((240, 400), 60, np.uint8)
    found_at = None
    for k in range(120):
        detector.k = k
        if k < 60:
            y = empty
        elif k < 90:
            y = np.full((240, 400), 20, np.uint8)  # a new shot (much darker): a scene cut at 60
        else:
            y = np.where(_scene(100.0) == 60, 20, _scene(100.0)).astype(np.uint8)  # a face walks into the dark shot
        faces = tracker.update(y, k / 30)
        if faces and found_at is None:
            found_at = k
    before_cut = [k for k in detector.frames if k < 60]
    # every 3rd frame until 12 frames went by without a face, then 12 frames apart
    assert before_cut == [0, 3, 6, 9, 21, 33, 45, 57], before_cut
    assert 60 in detector.frames  # the cut is searched at once
    assert found_at is not None and 90 <= found_at < 90 + 12  # found within one idle interval
    after = [k for k in detector.frames if k >= found_at]
    assert after[:3] == [found_at, found_at + 3, found_at + 6]  # and followed at the full rate again
    with pytest.raises(ParameterError, match="idle_every"):
        FaceTracker(detector, idle_every=0)
