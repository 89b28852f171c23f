"""clipkit.vision: the CNN face detector on real faces, tracks that hold and keep identities,
scene cuts, subject-aware framing in cover fits and layouts, montage windows that avoid cuts."""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np
import pytest

import clipkit as ck
from clipkit.errors import ParameterError
from clipkit.frame import Frame
from clipkit.music.windows import best_window, score_clip
from clipkit.overlays.faces import FaceSticker
from clipkit.render.fit import FitGeometry
from clipkit.vision import CNNFaceDetector, FaceBox, HaarFaceDetector, detect_faces
from clipkit.vision.framing import COVER_FOLLOW_RATIO, crop_path, follows_subject, subject_cover
from clipkit.vision.scenecut import SceneCutDetector, find_scene_cuts
from clipkit.vision.tracking import FaceTracker
from mediagen import write_grey_video

MEDIA = Path(__file__).resolve().parents[2] / "shared" / "media" / "video"
CARPHONE = MEDIA / "carphone_pristine.mp4"
needs_media = pytest.mark.skipif(not CARPHONE.is_file(), reason="../shared/media is not here")


def _frames(path: Path, count: int) -> list[np.ndarray]:
    out = []
    with av.open(str(path)) as c:
        for k, f in enumerate(c.decode(video=0)):
            if k >= count:
                break
            out.append(f.to_ndarray(format="rgb24"))
    return out


@pytest.fixture(scope="module")
def carphone() -> list[np.ndarray]:
    """A real face in a car (176x144, 4 s: frontal, then turned), as RGB."""
    return _frames(CARPHONE, 120)


# -- detection --------------------------------------------------------------------------------
@needs_media
def test_cnn_detector_finds_a_real_face_haar_misses(carphone: list[np.ndarray]) -> None:
    cnn, haar = CNNFaceDetector(), HaarFaceDetector()
    sample = carphone[::10]
    found_cnn = [cnn(rgb) for rgb in sample]
    found_haar = [haar(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)) for rgb in sample]
    hits_cnn = sum(bool(b) for b in found_cnn)
    hits_haar = sum(bool(b) for b in found_haar)
    assert hits_cnn == len(sample)  # the face is in every frame, turned or not
    assert hits_cnn > hits_haar
    for boxes in found_cnn:
        box = boxes[0]
        cx, cy = box.center
        assert 50 < cx < 120 and 35 < cy < 100 and 35 < box.w < 70  # on the driver's face
        assert box.score > 0.9


def test_cnn_detector_finds_no_face_in_noise_and_checks_options() -> None:
    rng = np.random.default_rng(3)
    noise = cv2.GaussianBlur(rng.integers(0, 255, (240, 320, 3), dtype=np.uint8), (0, 0), 2)
    assert CNNFaceDetector()(noise) == []
    assert CNNFaceDetector()(noise[..., 0].copy()) == []  # grey input works too
    with pytest.raises(ParameterError, match=r"CNNFaceDetector.min_size: 0 is outside \(0, 1\)"):
        CNNFaceDetector(min_size=0)
    with pytest.raises(ParameterError, match=r"width: 8 is not a whole number of pixels >= 32"):
        detect_faces(CNNFaceDetector(), noise[..., 0], width=8)


def test_the_later_stages_give_the_same_scores_in_passes_as_in_one_batch() -> None:
    from clipkit.vision import detector as det

    rng = np.random.default_rng(5)
    crops = ((rng.random((det._BATCH * 2 + 3, 48, 48, 3), dtype=np.float32) - 0.5) * 2.0).transpose(0, 2, 1, 3)
    net = CNNFaceDetector()._nets[2]
    names = ["dense_5", "dense_6", "softmax_2"]
    parts = det._forward(net, np.ascontiguousarray(crops), names)
    net.setInput(np.ascontiguousarray(crops))
    whole = net.forward(names)
    assert [p.shape[0] for p in parts] == [crops.shape[0]] * 3  # every crop, in order
    for part, one in zip(parts, whole):
        np.testing.assert_allclose(part, one, rtol=0, atol=1e-5)


@needs_media
def test_detect_faces_on_yuv_planes_returns_full_frame_pixels(carphone: list[np.ndarray]) -> None:
    rgb = carphone[0][:144, :176]
    frame = Frame.from_rgb(np.ascontiguousarray(cv2.resize(rgb, (352, 288))))  # twice the size
    boxes = detect_faces(CNNFaceDetector(), frame.y, frame.u, frame.v, width=176)
    assert len(boxes) >= 1
    cx, _ = boxes[0].center
    assert 100 < cx < 240 and boxes[0].w > 70  # scaled back to the 352-pixel frame


# -- tracking ---------------------------------------------------------------------------------
class _ScriptedDetector:
    """Stand-in detector: the boxes of bright squares whose colour (grey level) names the person;
    ``hide`` lists grey levels it pretends not to see (a turned face)."""

    def __init__(self) -> None:
        self.hide: set[int] = set()

    def __call__(self, grey: np.ndarray) -> list[FaceBox]:
        out = []
        for level in (200, 250):
            if level in self.hide:
                continue
            ys, xs = np.nonzero(np.abs(grey.astype(int) - level) < 6)
            if ys.size > 20:
                out.append(FaceBox(float(xs.min()), float(ys.min()), float(xs.max() - xs.min() + 1), float(ys.max() - ys.min() + 1)))
        return out


def _two_faces(xa: float, xb: float, *, background: int = 60) -> np.ndarray:
    y = np.full((240, 400), background, np.uint8)
    y[100:140, int(xa) : int(xa) + 40] = 200
    y[100:140, int(xb) : int(xb) + 40] = 250
    return y


def test_a_missed_face_keeps_its_track_moving_and_no_one_else_takes_it() -> None:
    det = _ScriptedDetector()
    tracker = FaceTracker(det, max_faces=1, detect_every=1, smoothing=0.3, hold=0.5, analysis_width=400)
    fps = 30
    shown_ids = []
    present = 0
    for k in range(60):
        t = k / fps
        xa = 60 + 3 * k  # person A walks right, 90 px/s
        det.hide = {200} if 20 <= k < 33 else set()  # A is missed for 0.43 s
        faces = tracker.update(_two_faces(xa, 320), t)
        if faces:
            present += 1
            shown_ids.append(faces[0].id)
            if 20 <= k < 33:
                # predicted, not frozen: the box keeps moving with A
                assert faces[0].box.x == pytest.approx(xa, abs=14)
    assert present == 60  # never gone
    assert len(set(shown_ids)) == 1  # the sticker never jumped to B (who was visible all along)


def test_a_face_gone_longer_than_hold_is_dropped_and_a_scene_cut_drops_at_once() -> None:
    det = _ScriptedDetector()
    tracker = FaceTracker(det, max_faces=2, detect_every=1, hold=0.5, analysis_width=400)
    for k in range(10):
        faces = tracker.update(_two_faces(60, 320), k / 30)
    assert len(faces) == 2
    det.hide = {200}
    for k in range(10, 30):
        faces = tracker.update(_two_faces(60, 320), k / 30)
    assert len(faces) == 1  # A gone for 0.67 s > hold
    # a new shot: everything changes at once; B's old track must not slide into it
    cut = np.full((240, 400), 160, np.uint8)
    cut[::8] = 20
    det.hide = set()
    before = tracker.cut_count
    faces = tracker.update(cut, 31 / 30)
    assert tracker.cut_count == before + 1 and faces == []


def test_every_face_gets_its_own_sticker() -> None:
    det = _ScriptedDetector()
    red = np.zeros((8, 8, 4), np.uint8)
    red[..., 0] = 255
    red[..., 3] = 255
    sticker = FaceSticker(red, detector=det, every_face=True, size=0.5, detect_every=1, fade=0.0)
    from clipkit.nodes import FrameTime, RenderContext

    draw = sticker.bind(RenderContext(width=400, height=240, fps=30, scale=1.0, total_frames=3, seed=0))
    grey = _two_faces(60, 320)
    frame = Frame(grey, np.full((120, 200), 128, np.uint8), np.full((120, 200), 128, np.uint8))
    out = draw(frame, FrameTime(index=0, t=0.0, local_index=0, local_t=0.0, duration=1.0))
    red_cols = np.nonzero((out.v > 190).any(axis=0))[0] * 2
    assert (red_cols < 200).any() and (red_cols > 200).any()  # one on each face
    with pytest.raises(ParameterError, match="every_face"):
        FaceSticker(red, every_face="yes")


# -- scene cuts -------------------------------------------------------------------------------
def _cut_clip(path: Path, *, fps: int = 30) -> Path:
    """3 s: a textured scene panning fast for 1.5 s, then a hard cut to another scene."""
    rng = np.random.default_rng(7)
    scene_a = cv2.GaussianBlur(rng.integers(0, 255, (180, 900), dtype=np.uint8), (0, 0), 4)
    scene_a = cv2.normalize(scene_a, None, 30, 220, cv2.NORM_MINMAX)
    scene_b = np.full((180, 320), 200, np.uint8)
    cv2.circle(scene_b, (160, 90), 50, 40, -1)
    # 240 px/s pan for 45 frames (lots of motion, no cut), then the other scene
    frames = [scene_a[:, 8 * k : 8 * k + 320] if k < 45 else np.roll(scene_b, 2 * (k - 45), axis=1) for k in range(3 * fps)]
    return write_grey_video(path, frames, fps=fps, crf=18)


def test_scene_cuts_are_found_and_a_fast_pan_is_not_one(tmp_path: Path) -> None:
    path = _cut_clip(tmp_path / "cut.mp4")
    det = SceneCutDetector()
    flagged = []
    with av.open(str(path)) as c:
        for k, f in enumerate(c.decode(video=0)):
            if det(f.to_ndarray(format="gray")):
                flagged.append(k)
    assert flagged == [45]
    spans = find_scene_cuts(ck.open(str(path)), sample_fps=10)
    assert spans.shape == (1, 2) and spans[0, 0] <= 1.5 <= spans[0, 1] + 1e-6
    with pytest.raises(ParameterError, match="threshold"):
        SceneCutDetector(threshold=0)


def test_montage_windows_do_not_contain_a_source_cut(tmp_path: Path) -> None:
    path = _cut_clip(tmp_path / "cut.mp4")
    clip = ck.open(str(path))
    scores = score_clip(clip)
    assert scores.cuts.shape == (1, 2)
    # the cut's jump is not counted as motion: no sample stands out around it
    assert scores.motion.max() < 3 * np.median(scores.motion) + 1
    for length in (0.75, 1.0, 1.25):
        start = best_window(clip, length, scores=scores)
        after, before = scores.cuts[0]
        assert start + length <= after + 1e-6 or start >= before - 1e-6, (length, start)


# -- framing ----------------------------------------------------------------------------------
def _geometry(frame: tuple[int, int], canvas: tuple[int, int]) -> FitGeometry:
    return FitGeometry(frame, frame, (0.0, 0.0, float(frame[0]), float(frame[1])), canvas, (0, 0, 0))


def test_cover_follows_the_subject_only_when_the_shapes_differ_enough() -> None:
    assert follows_subject(_geometry((1920, 1080), (1080, 1920)))
    assert follows_subject(_geometry((1920, 1080), (1080, 960)))  # a duet cell
    assert not follows_subject(_geometry((1920, 1080), (1280, 720)))
    assert not follows_subject(_geometry((1080, 1350), (1080, 1500)))
    w = 1000
    h = int(round(w / (16 / 9) * COVER_FOLLOW_RATIO * 1.05))
    assert follows_subject(_geometry((1920, 1080), (w, h)))


def _face_off_centre(path: Path, faces: list[np.ndarray], *, fps: int = 30) -> Path:
    """A wide clip (480x144) with the real carphone face pasted near the right edge."""
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = 480, 144, "yuv420p"
        s.options = {"preset": "ultrafast", "crf": "16"}
        for k, rgb in enumerate(faces):
            canvas = np.full((144, 480, 3), 90, np.uint8)
            canvas[:, 300:476] = rgb[:144, :176]
            frame = av.VideoFrame.from_ndarray(canvas, format="rgb24")
            frame.pts = k
            for p in s.encode(frame):
                out.mux(p)
        for p in s.encode(None):
            out.mux(p)
    return path


@needs_media
def test_duet_cells_keep_an_off_centre_face_in_their_crop(tmp_path: Path, carphone: list[np.ndarray]) -> None:
    path = _face_off_centre(tmp_path / "wide.mp4", carphone[:30])
    clip = ck.open(str(path))
    face_x = 300 + 85  # the face's centre in the source
    for fit, keeps in (("cover", True), ("center", False)):
        edit = ck.duet(clip, clip, fit=fit)
        frames = list(ck.sequence([edit], canvas=ck.Canvas(144, 256, 30)).frames())
        # the cell is 144x128 of a 480x144 source: the crop is 162 px wide; the centre crop
        # (159..321) shows the flat wall beside the face, a subject-aware crop the face
        wall = [float(np.mean(np.abs(f.y[: f.height // 2].astype(int) - 93) < 6)) for f in frames]
        if keeps:
            assert max(wall) < 0.15, f"{fit}: shows the wall, not the face"
        else:
            assert min(wall) > 0.6
    g = _geometry((480, 144), (144, 128))
    fit_fn = subject_cover(g)
    for rgb in carphone[:12]:
        canvas = np.full((144, 480, 3), 90, np.uint8)
        canvas[:, 300:476] = rgb[:144, :176]
        fit_fn(Frame.from_rgb(canvas))
    cx, _ = fit_fn.follower.pos  # type: ignore[attr-defined]
    assert abs(cx - face_x) < 40


@needs_media
def test_a_take_cut_into_shots_keeps_one_following_crop(tmp_path: Path, carphone: list[np.ndarray], monkeypatch: pytest.MonkeyPatch) -> None:
    """Shots that play one file on from where the last one stopped continue its cover crop
    (the same frames as one long shot, one face search); a jump in the file starts afresh."""
    import clipkit.vision.framing as framing

    path = _face_off_centre(tmp_path / "wide.mp4", carphone[:45])
    clip = ck.open(str(path))
    canvas = ck.Canvas(144, 256, 30)
    made: list[object] = []
    real_init = framing.SubjectFollower.__init__

    def counted(self: object, *args: object, **kwargs: object) -> None:
        made.append(self)
        real_init(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(framing.SubjectFollower, "__init__", counted)
    whole = list(ck.sequence([clip.trim(0, 1.5)], canvas=canvas, fit="cover").frames())
    assert len(made) == 1
    made.clear()
    cut = list(ck.sequence([clip.trim(0, 0.5), clip.trim(0.5, 1.0), clip.trim(1.0, 1.5)], canvas=canvas, fit="cover").frames())
    assert len(made) == 1 and len(cut) == len(whole) == 45
    for a, b in zip(whole, cut):
        assert np.array_equal(a.y, b.y) and np.array_equal(a.u, b.u) and np.array_equal(a.v, b.v)
    made.clear()
    list(ck.sequence([clip.trim(0, 0.5), clip.trim(1.0, 1.5)], canvas=canvas, fit="cover").frames())
    assert len(made) == 2  # half a second skipped: a new crop, placed on the subject at once


@needs_media
def test_planned_crop_path_centres_the_face_and_pans_smoothly(tmp_path: Path, carphone: list[np.ndarray]) -> None:
    path = _face_off_centre(tmp_path / "wide.mp4", carphone[:45])
    plan = crop_path(ck.open(str(path)), 9 / 16, sample_fps=10)
    assert plan.size == (80, 144)
    assert np.all(np.abs(plan.cx - 385) < 30)  # on the face all along
    steps = np.abs(np.diff(plan.cx)) / np.diff(plan.times)
    assert steps.max() <= 2.0 * plan.size[0] + 1e-6  # pan speed capped at 2 crop widths per second
