"""Smart reframe: the crop follows a moving subject, holds still when nothing moves,
never jitters, and works both planned (Clip.reframe) and streaming (fit: smart)."""

from __future__ import annotations

import av
import cv2
import numpy as np
import pytest

import clipkit as ck
from clipkit import reframe as R
from clipkit.template import load_template

W, H = 284, 160


def _write(path: str, positions: list[tuple[int, int]], *, size: int = 24, audio: bool = False) -> str:
    """A landscape clip: static textured background, a bright square at ``positions``."""
    rng = np.random.default_rng(5)
    background = cv2.GaussianBlur(rng.integers(40, 110, (H, W), dtype=np.uint8), (0, 0), 3)
    with av.open(path, "w") as out:
        vs = out.add_stream("libx264", rate=30)
        vs.width, vs.height, vs.pix_fmt = W, H, "yuv420p"
        vs.options = {"preset": "ultrafast", "crf": "10"}
        for i, (x, y) in enumerate(positions):
            img = np.repeat(background[:, :, None], 3, axis=2).copy()
            img[y - size // 2 : y + size // 2, x - size // 2 : x + size // 2] = 250
            f = av.VideoFrame.from_ndarray(img, format="rgb24")
            f.pts = i
            out.mux(vs.encode(f))
        out.mux(vs.encode(None))
    return path


@pytest.fixture(scope="module")
def moving(tmp_path_factory: pytest.TempPathFactory) -> str:
    """2 s: the square rests at the left for 0.5 s, crosses to the right, rests there."""
    xs = [40] * 15 + [int(40 + (244 - 40) * k / 30) for k in range(30)] + [244] * 15
    return _write(str(tmp_path_factory.mktemp("reframe") / "moving.mp4"), [(x, 80) for x in xs])


@pytest.fixture(scope="module")
def still(tmp_path_factory: pytest.TempPathFactory) -> str:
    """2 s of a square that never moves (off centre)."""
    return _write(str(tmp_path_factory.mktemp("reframe") / "still.mp4"), [(200, 80)] * 60)


@pytest.fixture(scope="module")
def wobble(tmp_path_factory: pytest.TempPathFactory) -> str:
    """2 s of a square trembling a few pixels around one spot."""
    rng = np.random.default_rng(1)
    xs = [150 + int(rng.integers(-3, 4)) for _ in range(60)]
    return _write(str(tmp_path_factory.mktemp("reframe") / "wobble.mp4"), [(x, 80) for x in xs])


def _square_x(frame) -> float | None:
    bright = frame.y > 220
    if bright.sum() < 10:
        return None
    return float(np.nonzero(bright)[1].mean())


def test_the_crop_follows_the_subject_across_the_frame(moving: str) -> None:
    clip = R.reframe(ck.open(moving), "9:16")
    source = clip.source
    assert source.crop_size == (90, 160) and clip.duration == pytest.approx(2.0)
    start = source.centre_at(0.2)[0]
    end = source.centre_at(1.9)[0]
    assert start < 90 and end > 190  # it panned from the left side to the right side
    frames = list(ck.sequence([clip], canvas=ck.Canvas(90, 160, 30)).frames())
    seen = [_square_x(f) for f in frames]
    assert sum(x is not None for x in seen) >= 55  # the subject stays in the vertical frame


def test_the_crop_holds_still_when_nothing_moves(still: str, wobble: str) -> None:
    for path in (still, wobble):
        source = R.reframe(ck.open(path), "9:16").source
        assert float(np.ptp(source.cx)) < 0.5 and float(np.ptp(source.cy)) < 0.5, path
    # the still subject is off centre: saliency places the crop on it
    cx = R.reframe(ck.open(still), "9:16").source.cx[0]
    assert abs(cx - 200) < 30


def test_the_crop_path_is_smooth(moving: str) -> None:
    source = R.reframe(ck.open(moving), "9:16", smoothing=0.5).source
    t = np.linspace(0, 2, 121)
    path = np.array([source.centre_at(v)[0] for v in t])
    steps = np.diff(path)
    assert np.all(steps >= -0.5)  # it never doubles back
    accel = np.abs(np.diff(steps))
    assert accel.max() < 2.0  # no jumps: speed changes gently between 1/60 s samples


def test_faces_win_over_motion(moving: str) -> None:
    calls = []

    def fake_faces(gray: np.ndarray) -> list[tuple[int, int, int, int]]:
        calls.append(gray.shape)
        return [(gray.shape[1] - 40, 60, 30, 30)]  # a face at the right edge, always

    source = R.reframe(ck.open(moving), "9:16", faces=fake_faces).source
    assert calls and all(x > 200 for x in source.cx)
    centered = R.reframe(ck.open(moving), "9:16", follow="center").source
    assert np.allclose(centered.cx, W / 2, atol=1)


def test_the_shipped_face_detector_frames_a_face_over_motion(tmp_path) -> None:
    """A drawn face stands at the right while a bright square moves at the left: the
    real Haar cascade finds the face and the 9:16 crop stays on it."""
    import mediagen

    w, h = 640, 360
    path = str(tmp_path / "face.mp4")
    with av.open(path, "w") as out:
        vs = out.add_stream("libx264", rate=15)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        vs.options = {"crf": "12"}
        for k in range(30):
            grey = np.full((h, w), 100, np.uint8)
            mediagen.draw_face(grey, 480, 170, 130)
            x = 40 + 6 * k  # the moving distraction
            grey[150:200, x : x + 50] = 250
            rgb = cv2.cvtColor(cv2.GaussianBlur(grey, (5, 5), 0), cv2.COLOR_GRAY2RGB)
            out.mux(vs.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
        out.mux(vs.encode(None))
    assert R.face_detector() is not None
    source = R.reframe(ck.open(path), "9:16").source
    assert np.all(np.abs(source.cx - 480) < 40), source.cx  # on the face, not the motion


def test_face_detector_matches_what_opencv_ships() -> None:
    detector = R.face_detector()
    has_cascades = hasattr(cv2, "CascadeClassifier") and bool(getattr(getattr(cv2, "data", None), "haarcascades", ""))
    if detector is None:
        assert not has_cascades or not any(name.startswith("haarcascade") for name in _listing(cv2.data.haarcascades))
    else:
        assert detector(np.zeros((120, 160), np.uint8)) == []


def _listing(folder: str) -> list[str]:
    import os

    return os.listdir(folder) if folder and os.path.isdir(folder) else []


def test_square_target_and_sound_carry_over(tmp_path, moving: str, portrait: str) -> None:
    square = R.reframe(ck.open(moving), "1:1").source
    assert square.crop_size == (160, 160)
    portrait_clip = ck.open(portrait).trim(0, 1)
    framed = R.reframe(portrait_clip, "1:1")
    assert framed.source.crop_size == (160, 160) and framed.source.has_audio
    segments = framed.source.audio_segments(framed, out_start=0, length=48000, sr=48000, gain=1.0)
    assert [(s.path, s.source_start) for s in segments] == [(portrait, 0.0)]


def test_smart_fit_streams_a_subject_following_crop(moving: str) -> None:
    edit = ck.sequence([ck.open(moving).with_fit("smart")], canvas=ck.Canvas(90, 160, 30))
    frames = list(edit.frames())
    assert all(f.size == (90, 160) for f in frames)
    xs = [_square_x(f) for f in frames[-10:]]
    assert all(x is not None for x in xs)  # by the end the crop has caught up with the subject
    # a template can ask for it
    doc = {"version": 1, "canvas": {"width": 90, "height": 160}, "slots": [{"id": "a"}], "shots": [{"slot": "a", "fit": "smart"}]}
    assert load_template(doc).build({"a": moving}).clips[0].fit == "smart"


@pytest.mark.parametrize("bad", ["9x16", "0:1", 42, "tall"])
def test_bad_aspects_are_refused(bad) -> None:
    with pytest.raises(ck.ParameterError, match="aspect"):
        R.parse_aspect(bad)


def test_bad_options_are_refused(moving: str) -> None:
    clip = ck.open(moving)
    with pytest.raises(ck.ParameterError, match="follow"):
        clip.reframe("9:16", follow="eyes")
    with pytest.raises(ck.ParameterError, match="dead_zone"):
        clip.reframe("9:16", dead_zone=0.9)
    with pytest.raises(ck.ParameterError, match="sample_fps"):
        clip.reframe("9:16", sample_fps=0)


def test_clip_reframe_is_a_request_the_planner_carries_out(moving: str) -> None:
    from clipkit.edit.framing import Reframe

    clip = ck.open(moving).reframe("9:16", smoothing=0.5)
    # building the edit decodes nothing: the clip records the request
    assert isinstance(clip.fit, Reframe) and clip.source.kind == "video"
    canvas = ck.Canvas(90, 160, 30)
    planned = list(ck.sequence([clip], canvas=canvas).frames())
    analysed = list(ck.sequence([R.reframe(ck.open(moving), "9:16", smoothing=0.5)], canvas=canvas).frames())
    assert len(planned) == len(analysed) == 60
    assert all(np.array_equal(a.y, b.y) for a, b in zip(planned, analysed))
    # and the crop follows the subject there too
    xs = [_square_x(f) for f in planned[-10:]]
    assert all(x is not None for x in xs)
