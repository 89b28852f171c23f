"""Real-world inputs: rotation, odd sizes, pixel formats and ranges, audio layouts and
rates, lying extensions, non-square pixels, stills, colours, fit modes and crops."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import clipkit as ck
from clipkit.frame import Frame
from mediagen import decode_output, read_index, read_index_rect

SMALL = ck.Canvas(160, 284, 30)
TINY = ck.Canvas(64, 64, 30)


def indices(edit: ck.Edit) -> list[int]:
    return [read_index(f.y) for f in edit.frames()]


def solid_yuv(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    f = Frame.solid(2, 2, rgb)
    return int(f.y[0, 0]), int(f.u[0, 0]), int(f.v[0, 0])


def tone_frequency(signal: np.ndarray, sr: int) -> float:
    spectrum = np.abs(np.fft.rfft(signal * np.hanning(signal.size)))
    return float(np.argmax(spectrum) * sr / signal.size)


# -- rotation -------------------------------------------------------------------------------
def test_rotation_probe(rotated: tuple[str, int]) -> None:
    path, rotation = rotated
    v = ck.probe(path).video
    assert v is not None
    assert v.rotation == rotation
    assert (v.display_width, v.display_height) == (160, 284)
    if rotation in (90, 270):
        assert (v.width, v.height) == (284, 160)  # stored sideways


def test_rotation_output_upright(rotated: tuple[str, int], out_dir: Path) -> None:
    path, _ = rotated
    out = out_dir / "o.mp4"
    ck.sequence([ck.open(path)], canvas=SMALL).render(out, preset="ultrafast")
    lumas, _, _ = decode_output(str(out))
    assert lumas[0].shape == (284, 160)
    assert [read_index(y) for y in lumas] == list(range(20))


def test_rotation_with_crop(rotated: tuple[str, int]) -> None:
    """Crop boxes are in upright display pixels, whatever the stored orientation."""
    path, _ = rotated
    clip = ck.open(path).crop(40, 102, 80, 80)  # exactly the index square
    frames = list(ck.sequence([clip], canvas=TINY).frames())
    assert [read_index(f.y, (0, 0, 64)) for f in frames] == list(range(20))


def test_a_rotated_clip_twice_the_size_needed_is_halved_before_it_is_turned(rotated: tuple[str, int]) -> None:
    """A 4K portrait phone clip in a 1080x1920 video is turned at 1080p: the same picture
    (2x2 means commute with the turn), a quarter of the bytes turned, nothing left to scale."""
    import cv2

    from clipkit.media.video import read_video_frames

    path, rotation = rotated
    source = ck.open(path).source
    halved = next(iter(source.frames(ctx=None, start=0.0, count=1, fps=Fraction(30), width=80, height=142)))[0]
    whole = next(iter(read_video_frames(path, start=0.0, count=1, fps=Fraction(30), rotation=rotation)))[0]
    assert (whole.width, whole.height) == (160, 284)
    if rotation:
        assert (halved.width, halved.height) == (80, 142)
        assert np.array_equal(halved.y, cv2.resize(whole.y, (80, 142), interpolation=cv2.INTER_AREA))
        assert np.array_equal(halved.u, cv2.resize(whole.u, (40, 71), interpolation=cv2.INTER_AREA))
    else:  # upright as stored: the fit's own scaling, as before
        assert (halved.width, halved.height) == (160, 284)
    # a render: the same frames as with the whole picture turned and then fitted
    frames = list(ck.sequence([ck.open(path)], canvas=ck.Canvas(80, 142, 30)).frames())
    import clipkit.edit.sources as sources

    plain = sources.read_video_frames
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sources, "read_video_frames", lambda *a, **k: plain(*a, **{**k, "halve": False}))
        before = list(ck.sequence([ck.open(path)], canvas=ck.Canvas(80, 142, 30)).frames())
    assert all(np.array_equal(a.y, b.y) and np.array_equal(a.u, b.u) and np.array_equal(a.v, b.v) for a, b in zip(frames, before))
    assert [read_index(cv2.resize(f.y, (160, 284), interpolation=cv2.INTER_LINEAR)) for f in frames] == list(range(20))
    # not when a crop shows a part of it that needs the pixels
    cropped = ck.open(path).crop(0, 0, 80, 142)
    full = next(iter(ck.sequence([cropped], canvas=ck.Canvas(80, 142, 30)).frames()))
    assert np.array_equal(full.y, whole.y[:142, :80])


# -- sizes, formats, ranges ------------------------------------------------------------------
def test_odd_size_source(odd_size: str, out_dir: Path) -> None:
    v = ck.probe(odd_size).video
    assert v is not None and (v.width, v.height) == (161, 285)
    assert v.display_width % 2 == 0 and v.display_height % 2 == 0
    clip = ck.open(odd_size)
    assert all(s % 2 == 0 for s in clip.source.display_size)
    out = out_dir / "o.mp4"
    ck.sequence([clip], canvas=SMALL).render(out, preset="ultrafast")
    lumas, _, _ = decode_output(str(out))
    assert lumas[0].shape == (284, 160)
    assert [read_index(y) for y in lumas] == list(range(20))


@pytest.mark.parametrize("fit", ["cover", "contain", "blur", "stretch"])
def test_odd_size_every_fit(odd_size: str, fit: str) -> None:
    frames = list(ck.sequence([ck.open(odd_size).trim(0, 0.1)], canvas=ck.Canvas(100, 100, 30), fit=fit).frames())
    assert all(f.y.shape == (100, 100) and f.u.shape == (50, 50) for f in frames)


@pytest.mark.parametrize("name", ["ten_bit", "yuv444", "full_range"])
def test_pixel_formats_decode(name: str, request: pytest.FixtureRequest, out_dir: Path) -> None:
    path = request.getfixturevalue(name)
    v = ck.probe(path).video
    assert v is not None
    assert v.pix_fmt == {"ten_bit": "yuv420p10le", "yuv444": "yuv444p", "full_range": "yuvj420p"}[name]
    assert v.full_range == (name == "full_range")
    out = out_dir / "o.mp4"
    ck.sequence([ck.open(path)], canvas=SMALL).render(out, preset="ultrafast")
    lumas, _, _ = decode_output(str(out))
    assert [read_index(y) for y in lumas] == list(range(20))


@pytest.mark.parametrize("name", ["limited", "full", "ten_bit"])
def test_black_and_white_levels(name: str, levels: dict[str, str], out_dir: Path) -> None:
    """RGB black/white come out at limited-range 16/235 whatever the source's range/depth."""
    clip = ck.open(levels[name])
    frame = next(iter(ck.sequence([clip], canvas=TINY).frames()))
    assert frame.y.dtype == np.uint8
    black, white = frame.y[8:56, 4:24], frame.y[8:56, 40:60]
    assert abs(float(black.mean()) - 16) <= 2, black.mean()
    assert abs(float(white.mean()) - 235) <= 2, white.mean()
    for plane in (frame.u, frame.v):  # neutral chroma
        assert abs(float(plane[4:28, 2:12].mean()) - 128) <= 2
        assert abs(float(plane[4:28, 20:30].mean()) - 128) <= 2
    out = out_dir / "o.mp4"
    ck.sequence([clip], canvas=TINY).render(out, preset="ultrafast", crf=10)
    y = decode_output(str(out))[0][0]
    assert abs(float(y[8:56, 4:24].mean()) - 16) <= 3
    assert abs(float(y[8:56, 40:60].mean()) - 235) <= 3


# -- audio ------------------------------------------------------------------------------------
def test_no_audio_then_audio(no_audio: str, portrait: str, out_dir: Path) -> None:
    out = out_dir / "o.mp4"
    ck.sequence([ck.open(no_audio), ck.open(portrait).trim(0, 1)], canvas=TINY).render(out, preset="ultrafast")
    _, audio, sr = decode_output(str(out))
    assert audio.shape[0] == 2
    loud = float(np.abs(audio[:, int(1.1 * sr) : int(1.9 * sr)]).max())
    assert loud > 0.1
    assert float(np.abs(audio[:, : int(0.95 * sr)]).max()) < 0.01 * loud


def test_surround_is_downmixed(surround: str, out_dir: Path) -> None:
    a = ck.probe(surround).audio
    assert a is not None and a.channels == 6
    out = out_dir / "o.mp4"
    ck.sequence([ck.open(surround)], canvas=TINY).render(out, preset="ultrafast")
    _, audio, sr = decode_output(str(out))
    assert audio.shape[0] == 2
    mid = audio[:, int(0.2 * sr) : int(0.8 * sr)]
    left, right = float(np.sqrt((mid[0] ** 2).mean())), float(np.sqrt((mid[1] ** 2).mean()))
    assert left > 0.1  # the front-left tone is heard...
    assert right < 0.1 * left  # ...on the left only
    assert tone_frequency(mid[0], sr) == pytest.approx(440, abs=5)


def test_mono_low_rate_source(mono: str, out_dir: Path) -> None:
    a = ck.probe(mono).audio
    assert a is not None and (a.channels, a.sample_rate) == (1, 22050)
    out = out_dir / "o.mp4"
    ck.sequence([ck.open(mono)], canvas=TINY).render(out, preset="ultrafast")
    _, audio, sr = decode_output(str(out))
    assert audio.shape[0] == 2 and sr == 48000
    mid = audio[:, int(0.2 * sr) : int(0.8 * sr)]
    assert float(np.abs(mid).max()) > 0.1
    assert np.allclose(mid[0], mid[1], atol=1e-3)  # the same sound on both sides
    assert tone_frequency(mid[0], sr) == pytest.approx(440, abs=5)


def test_audio_of_surround_file(surround: str) -> None:
    from clipkit.media.audio import load_audio

    y, sr = load_audio(surround, sr=48000)
    assert y.shape[0] == 2 and sr == 48000
    assert y.shape[1] == pytest.approx(48000, abs=2048)


def test_mismatched_sample_rates(sr44: str, portrait: str, out_dir: Path) -> None:
    """A 44.1 kHz clip next to a 48 kHz one: one 48 kHz track, pitch and length kept."""
    out = out_dir / "o.mp4"
    ck.sequence([ck.open(sr44), ck.open(portrait).trim(0, 1)], canvas=TINY).render(out, preset="ultrafast")
    _, audio, sr = decode_output(str(out))
    assert sr == 48000
    assert audio.shape[1] == pytest.approx(2 * sr, abs=2048)
    assert tone_frequency(audio[0, int(0.1 * sr) : int(0.9 * sr)], sr) == pytest.approx(880, abs=5)
    assert tone_frequency(audio[0, int(1.1 * sr) : int(1.9 * sr)], sr) == pytest.approx(440, abs=5)


def test_output_sample_rate_option(portrait: str, out_dir: Path) -> None:
    out = out_dir / "o.mp4"
    ck.sequence([ck.open(portrait).trim(0, 1)], canvas=TINY).render(out, preset="ultrafast", sample_rate=44100)
    _, audio, sr = decode_output(str(out))
    assert sr == 44100
    assert tone_frequency(audio[0, 4410:40000], sr) == pytest.approx(440, abs=5)


def test_clip_volume_and_mute(portrait: str, out_dir: Path) -> None:
    clip = ck.open(portrait).trim(0, 0.5)
    edit = ck.sequence([clip, clip.with_volume(0.5), clip.without_audio()], canvas=TINY)
    out = out_dir / "o.mp4"
    edit.render(out, preset="ultrafast")
    _, audio, sr = decode_output(str(out))
    peak = lambda a, b: float(np.abs(audio[:, int(a * sr) : int(b * sr)]).max())  # noqa: E731
    full = peak(0.1, 0.4)  # the mix may be loudness-normalized: compare levels, not values
    assert full > 0.1
    assert peak(0.6, 0.9) == pytest.approx(0.5 * full, rel=0.1)
    assert peak(1.1, 1.4) < 0.01 * full


# -- lying extensions -------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["mov", "webm"])
def test_mp4_with_another_extension(kind: str, lying: dict[str, str]) -> None:
    edit = ck.sequence([ck.open(lying[kind]).trim(0, 0.5)], canvas=SMALL)
    assert indices(edit) == list(range(15))


def test_matroska_named_mp4(lying: dict[str, str], out_dir: Path) -> None:
    info = ck.probe(lying["mkv_as_mp4"])
    assert "matroska" in info.format
    clip = ck.open(lying["mkv_as_mp4"])
    assert clip.duration == pytest.approx(10 / 30, abs=0.01)
    out = out_dir / "o.mp4"
    ck.sequence([clip], canvas=SMALL).render(out, preset="ultrafast")
    lumas, _, _ = decode_output(str(out))
    assert [read_index(y) for y in lumas] == list(range(10))


def test_png_named_mp4(lying: dict[str, str]) -> None:
    clip = ck.open(lying["png_as_mp4"])
    assert clip.source.kind == "image"
    assert clip.source.display_size == (160, 284)
    assert indices(ck.sequence([clip.with_duration(0.2)], canvas=SMALL)) == [5] * 6


# -- non-square pixels ----------------------------------------------------------------------------
def test_sar_in_probe(anamorphic: str) -> None:
    v = ck.probe(anamorphic).video
    assert v is not None
    assert (v.width, v.height) == (80, 284)
    assert v.sample_aspect == Fraction(2, 1)
    assert (v.display_width, v.display_height) == (160, 284)
    assert ck.open(anamorphic).source.display_size == (160, 284)


def test_sar_respected_when_fitting(anamorphic: str) -> None:
    """Coded 80 px wide with 2:1 pixels fills a 160x284 canvas without cropping."""
    frames = list(ck.sequence([ck.open(anamorphic)], canvas=SMALL, fit="cover").frames())
    # mediagen drew the 40x40 index square at (20, 122) in coded pixels: (40, 122, 80, 40) shown
    assert [read_index_rect(f.y, 40, 122, 80, 40) for f in frames] == list(range(20))
    contain = list(ck.sequence([ck.open(anamorphic)], canvas=SMALL, fit="contain").frames())
    assert [read_index_rect(f.y, 40, 122, 80, 40) for f in contain] == list(range(20))


def test_sar_with_crop(anamorphic: str) -> None:
    clip = ck.open(anamorphic).crop(40, 122, 80, 40)  # display pixels
    frames = list(ck.sequence([clip], canvas=ck.Canvas(64, 32, 30), fit="stretch").frames())
    assert [read_index_rect(f.y, 0, 0, 64, 32) for f in frames] == list(range(20))


# -- stills and colours -----------------------------------------------------------------------
def test_still_image(index_png: str, out_dir: Path) -> None:
    clip = ck.image(index_png, duration=0.5)
    assert clip.duration == 0.5
    out = out_dir / "o.mp4"
    ck.sequence([clip], canvas=SMALL).render(out, preset="ultrafast")
    lumas, audio, _ = decode_output(str(out))
    assert [read_index(y) for y in lumas] == [77] * 15
    assert float(np.abs(audio).max()) < 1e-3


def test_still_default_duration(index_png: str) -> None:
    assert ck.open(index_png).duration == 3.0


def test_png_alpha_over_background(png_alpha: str) -> None:
    canvas = ck.Canvas(120, 200, 30, background="#0000ff")
    frame = next(iter(ck.sequence([ck.image(png_alpha, duration=0.1)], canvas=canvas).frames()))
    blue, red = solid_yuv((0, 0, 255)), solid_yuv((255, 0, 0))
    left = (frame.y[:, :56].mean(), frame.u[:, :28].mean(), frame.v[:, :28].mean())
    right = (frame.y[:, 64:].mean(), frame.u[:, 32:].mean(), frame.v[:, 32:].mean())
    assert left == pytest.approx(blue, abs=2)  # transparent: the canvas background shows
    assert right == pytest.approx(red, abs=2)
    assert frame.alpha is None  # composited before leaving the pipeline


@pytest.mark.parametrize("fit", ["contain", "blur", "stretch", "cover"])
def test_png_alpha_in_every_fit(png_alpha: str, fit: str) -> None:
    """Transparent pixels never show the colour hidden under their alpha (here red)."""
    canvas = ck.Canvas(160, 284, 30, background="#0000ff")
    frame = next(iter(ck.sequence([ck.image(png_alpha, duration=0.1)], canvas=canvas, fit=fit).frames()))
    blue, red = solid_yuv((0, 0, 255)), solid_yuv((255, 0, 0))
    assert frame.alpha is None
    left, right = frame.v[40:100, :20], frame.v[40:100, 60:]  # transparent half, opaque half
    assert abs(float(left.mean()) - blue[2]) < 12, left.mean()
    assert abs(float(right.mean()) - red[2]) < 4


def test_jpeg_exif_orientation(jpeg_exif: str) -> None:
    clip = ck.image(jpeg_exif, duration=0.1)
    assert clip.source.display_size == (120, 200)
    frame = next(iter(ck.sequence([clip], canvas=ck.Canvas(120, 200, 30), fit="stretch").frames()))
    assert float(frame.y[:90].mean()) > 225  # upright: white on top
    assert float(frame.y[110:].mean()) < 26  # black below


def test_heic_photo_renders_upright_with_its_colours(tmp_path: Path) -> None:
    """An iPhone-style HEIC still (HEVC-coded HEIF, EXIF orientation 6) is an image clip,
    read whole by pillow-heif, upright and in its colours (FFmpeg alone would take it for
    a one-frame video, and a tiled one for its first tile)."""
    import subprocess
    import sys

    path = tmp_path / "IMG_0001.HEIC"
    # written as a phone does (stored landscape, an irot box turning it upright), in a child
    # so that this process's Pillow has no HEIF reader unless clipkit registers one
    subprocess.run([sys.executable, "-c", f"""
import numpy as np, pillow_heif
from PIL import Image
pillow_heif.register_heif_opener()
stored = np.zeros((120, 200, 3), np.uint8)
stored[:, :100] = (230, 30, 30)  # left half red, right half blue: upright, red on top
stored[:, 100:] = (30, 30, 230)
pic = Image.fromarray(stored)
exif = pic.getexif()
exif[0x0112] = 6
pic.save({str(path)!r}, format="HEIF", exif=exif.tobytes(), quality=90)
"""], check=True)
    shown = subprocess.run([sys.executable, "-c", f"import clipkit as ck; print(ck.open({str(path)!r}).source.display_size)"], check=True, capture_output=True, text=True)
    assert shown.stdout.strip() == "(120, 200)"  # a fresh process: clipkit switches HEIF on itself
    info = ck.probe(str(path))  # what `clipkit probe` prints: a still, at its upright size
    assert info.is_image and (info.video.display_width, info.video.display_height) == (120, 200)
    clip = ck.open(str(path))
    assert type(clip.source).__name__ == "ImageSource" and clip.source.display_size == (120, 200)
    frame = next(iter(ck.sequence([ck.image(str(path), duration=0.1)], canvas=ck.Canvas(120, 200, 30), fit="stretch").frames()))
    red, blue = solid_yuv((230, 30, 30)), solid_yuv((30, 30, 230))
    top, bottom = (slice(10, 40), slice(20, 100)), (slice(60, 90), slice(20, 100))
    assert float(frame.v[top].mean()) == pytest.approx(red[2], abs=6) and float(frame.u[top].mean()) == pytest.approx(red[1], abs=6)
    assert float(frame.u[bottom].mean()) == pytest.approx(blue[1], abs=6) and float(frame.v[bottom].mean()) == pytest.approx(blue[2], abs=6)


def test_stills_are_read_through_their_icc_profile(tmp_path: Path) -> None:
    """Display P3 (phones), Adobe RGB (cameras): the picture is converted to sRGB as a
    gallery shows it, not read as if its values were sRGB's."""
    from PIL import Image

    from clipkit.media.image import load_image_frame
    from mediagen import P3_PRIMARIES, SRGB_PRIMARIES, icc_rgb_profile

    def rgb_of(path: Path) -> np.ndarray:
        return load_image_frame(path).to_rgb()[4:12, 4:12].reshape(-1, 3).mean(axis=0)

    grey = Image.fromarray(np.full((16, 16, 3), 64, np.uint8))
    linear = icc_rgb_profile(SRGB_PRIMARIES, gamma=1.0, description="linear-light RGB")
    grey.save(tmp_path / "linear.png", icc_profile=linear)
    grey.save(tmp_path / "untagged.png")
    assert rgb_of(tmp_path / "untagged.png") == pytest.approx([64, 64, 64], abs=1.5)
    assert rgb_of(tmp_path / "linear.png") == pytest.approx([137, 137, 137], abs=2)  # 64/255 of linear light, sRGB-coded
    # in a render too (a JPEG, the commonest tagged still)
    grey.save(tmp_path / "linear.jpg", icc_profile=linear, quality=95)
    frame = next(iter(ck.sequence([ck.image(str(tmp_path / "linear.jpg"), duration=0.1)], canvas=ck.Canvas(16, 16, 30)).frames()))
    assert float(frame.y.mean()) == pytest.approx(16 + 219 * 137 / 255, abs=2.5)
    from clipkit.overlays.sources import load_sticker_media  # stickers too

    assert load_sticker_media(tmp_path / "linear.png").frames[0][4:12, 4:12, :3].mean() == pytest.approx(137, abs=2)
    # Display P3: an orange's green is lower in sRGB; a grey stays grey
    patches = np.zeros((16, 32, 3), np.uint8)
    patches[:, :16] = (255, 128, 0)
    patches[:, 16:] = (128, 128, 128)
    Image.fromarray(patches).save(tmp_path / "p3.png", icc_profile=icc_rgb_profile(P3_PRIMARIES, gamma=2.2, description="Display P3 (test)"))
    rgb = load_image_frame(tmp_path / "p3.png").to_rgb()
    orange, neutral = rgb[4:12, 4:12].reshape(-1, 3).mean(axis=0), rgb[4:12, 20:28].reshape(-1, 3).mean(axis=0)
    assert orange[0] > 250 and 114 <= orange[1] <= 124 and orange[2] < 6, orange
    assert np.ptp(neutral) <= 2 and abs(float(neutral.mean()) - 128) <= 3, neutral
    # a profile that calls itself sRGB, or one that cannot be read, leaves the values as they are
    grey.save(tmp_path / "named.png", icc_profile=icc_rgb_profile(SRGB_PRIMARIES, gamma=1.0, description="sRGB IEC61966-2.1"))
    grey.save(tmp_path / "broken.png", icc_profile=b"not a profile" * 20)
    assert rgb_of(tmp_path / "named.png") == pytest.approx([64, 64, 64], abs=1.5)
    assert rgb_of(tmp_path / "broken.png") == pytest.approx([64, 64, 64], abs=1.5)


def test_a_large_photo_is_read_at_the_size_its_shot_needs(tmp_path: Path) -> None:
    """A 48 MP phone photo in a small video: read shrunk (1.5x the cover size), upright, the
    same picture as the full-size read fitted; its display size is the file's."""
    import cv2
    from PIL import Image

    from clipkit.edit.sources import STILL_HEADROOM
    from clipkit.media.image import load_image_frame

    stored = np.zeros((1500, 2400, 3), np.uint8)  # stored landscape, shown portrait (EXIF 6)
    stored[:, :, 0] = np.linspace(0, 255, 2400)[None, :]
    stored[:, :1200, 1] = 200
    stored[700:800, :, 2] = 255
    path = tmp_path / "photo.jpg"
    pic = Image.fromarray(stored)
    exif = pic.getexif()
    exif[0x0112] = 6
    pic.save(path, exif=exif, quality=95)
    clip = ck.image(str(path), duration=0.2)
    assert clip.source.display_size == (1500, 2400)
    canvas = ck.Canvas(90, 160, 30)
    frames = list(ck.sequence([clip], canvas=canvas, fit="cover").frames())
    assert len(frames) == 6
    shrunk = load_image_frame(path, needed=(int(90 * STILL_HEADROOM), int(160 * STILL_HEADROOM)))
    assert (shrunk.width, shrunk.height) == (150, 240)  # covers 135x240 upright, aspect kept
    full = load_image_frame(path)
    assert (full.width, full.height) == (1500, 2400)
    # the render's picture against the full-size picture scaled down by area (cv2)
    want = cv2.resize(full.y[75:2325], (90, 160), interpolation=cv2.INTER_AREA)  # the cover's centre crop, 1500x2250
    assert float(np.abs(frames[0].y.astype(float) - want.astype(float)).mean()) < 2.0
    assert all(np.array_equal(f.y, frames[0].y) for f in frames)
    assert load_image_frame(path, needed=(1200, 2000)).width == 1500  # needed at 0.83 of its size: read whole


def test_a_cropped_photo_is_read_with_the_pixels_its_crop_needs(tmp_path: Path) -> None:
    import cv2
    from PIL import Image

    from clipkit.media.image import load_image_frame

    picture = np.full((1600, 1600, 3), 128, np.uint8)
    picture[700:900, 700:900] = np.where((np.add.outer(np.arange(200), np.arange(200)) // 4) % 2 == 0, 250, 10)[..., None]  # fine stripes
    path = tmp_path / "big.png"
    Image.fromarray(picture).save(path)
    clip = ck.image(str(path), duration=0.1).crop(700, 700, 200, 200)
    frame = next(iter(ck.sequence([clip], canvas=ck.Canvas(100, 100, 30), fit="stretch").frames()))
    want = cv2.resize(load_image_frame(path).y[700:900, 700:900], (100, 100), interpolation=cv2.INTER_AREA)
    assert float(np.abs(frame.y.astype(float) - want).mean()) < 3.0  # the stripes, not a blur of a 150-pixel copy
    assert float(frame.y.std()) > 50


def test_a_still_is_fitted_once_and_point_ops_run_at_every_frame() -> None:
    from clipkit.render.fit import Fitter

    still = Frame.solid(400, 400, (200, 100, 50)).shared()
    calls: list[int] = []

    def brighten(frame: Frame, scale: float = 1.0) -> Frame:  # a look's hoisted point op, changing with time
        calls.append(frame.width)
        return Frame(np.minimum(255, frame.y.astype(np.int16) + len(calls)).astype(np.uint8), frame.u, frame.v)

    for mode in ("cover", "contain", "blur", "stretch", "center"):
        fitter = Fitter(mode, display_size=None, crop_box=None, canvas=(90, 160), background=(0, 0, 0))
        first, second = fitter(still), fitter(still)
        assert second is first and not first.y.flags.writeable, mode  # run once, handed on read-only
        calls.clear()
        a, b = fitter(still, brighten), fitter(still, brighten)
        assert calls == [90, 90] and int(b.y[0, 0]) == int(a.y[0, 0]) + 1, mode  # the point ops ran on each frame
        # point ops that say they are static (a look without animated values) run once too
        calls.clear()
        brighten.static = True  # type: ignore[attr-defined]
        c, d = fitter(still, brighten), fitter(still, brighten)
        assert calls == [90] and d is c and not d.y.flags.writeable, mode
        del brighten.static  # type: ignore[attr-defined]
    # a video's frames (writable: each one new) are fitted each time
    fitter = Fitter("center", display_size=None, crop_box=None, canvas=(90, 160), background=(0, 0, 0))
    video = Frame.solid(400, 400, (200, 100, 50))
    assert fitter(video) is not fitter(video)


@pytest.mark.parametrize("value, rgb", [("#ff0000", (255, 0, 0)), ("white", (255, 255, 255)), ((0, 128, 0), (0, 128, 0)), ("#08f", (0, 136, 255))])
def test_colour_clip(value: object, rgb: tuple[int, int, int], out_dir: Path) -> None:
    out = out_dir / "o.mp4"
    ck.sequence([ck.color(value, duration=0.2)], canvas=TINY).render(out, preset="ultrafast")  # type: ignore[arg-type]
    import av

    with av.open(str(out)) as c:
        frames = list(c.decode(video=0))
    assert len(frames) == 6
    data = frames[0].to_ndarray()
    y, u, v = data[:64].mean(), data[64:80].mean(), data[80:].mean()
    assert (y, u, v) == pytest.approx(solid_yuv(rgb), abs=2)


# -- fit modes --------------------------------------------------------------------------------------
BG = (0, 255, 0)  # lime: far from anything the clips contain


def landscape_on_portrait(landscape: str, fit: str) -> Frame:
    canvas = ck.Canvas(160, 284, 30, background=BG)
    return next(iter(ck.sequence([ck.open(landscape).trim(0, 0.1)], canvas=canvas, fit=fit).frames()))


def test_fit_contain_letterbox(landscape: str) -> None:
    f = landscape_on_portrait(landscape, "contain")
    # 284x160 scaled to 160x90, centred: bars of 96 / 98 rows in the background colour
    h = 90
    top = (284 - h) // 4 * 2
    bg = solid_yuv(BG)
    for rows in (slice(0, top), slice(top + h, 284)):
        assert np.all(np.abs(f.y[rows].astype(int) - bg[0]) <= 1)
    assert np.all(np.abs(f.u[: top // 2].astype(int) - bg[1]) <= 1)
    assert np.all(np.abs(f.v[(top + h) // 2 :].astype(int) - bg[2]) <= 1)
    assert not np.all(np.abs(f.y[top : top + h].astype(int) - bg[0]) <= 1)
    s = 160 / 284
    assert read_index_rect(f.y, 102 * s, top + 40 * s, 80 * s, 80 * s) == 0


def test_fit_contain_pillarbox(portrait: str) -> None:
    canvas = ck.Canvas(284, 160, 30, background=BG)
    f = next(iter(ck.sequence([ck.open(portrait).trim(0, 0.1)], canvas=canvas, fit="contain").frames()))
    w = 90  # 160x284 scaled to 90x160
    left = (284 - w) // 4 * 2
    bg = solid_yuv(BG)
    assert np.all(np.abs(f.y[:, :left].astype(int) - bg[0]) <= 1)
    assert np.all(np.abs(f.y[:, left + w :].astype(int) - bg[0]) <= 1)
    s = 160 / 284
    assert read_index_rect(f.y, left + 40 * s, 102 * s, 80 * s, 80 * s) == 0


def test_fit_blur_fills_bars_with_the_clip(landscape: str) -> None:
    blur = landscape_on_portrait(landscape, "blur")
    contain = landscape_on_portrait(landscape, "contain")
    h, top = 90, (284 - 90) // 4 * 2
    # the sharp clip sits where contain puts it...
    assert np.array_equal(blur.y[top : top + h], contain.y[top : top + h])
    # ...and the bars hold a blurred version of it, not the background colour
    bar = blur.y[: top - 4].astype(float)
    assert abs(float(bar.mean()) - solid_yuv(BG)[0]) > 10
    assert float(np.abs(np.diff(bar, axis=0)).mean()) < 3  # smooth
    assert bar.std() > 0.5  # but not flat


def test_fit_stretch(landscape: str) -> None:
    f = landscape_on_portrait(landscape, "stretch")
    sx, sy = 160 / 284, 284 / 160
    assert read_index_rect(f.y, 102 * sx, 40 * sy, 80 * sx, 80 * sy) == 0


def test_fit_cover_crops_the_centre(landscape: str) -> None:
    f = landscape_on_portrait(landscape, "cover")
    # the visible part of the source is 90 px wide from x=96, scaled by 160/90
    s = 160 / 90
    assert read_index_rect(f.y, (102 - 96) * s, 40 * 284 / 160, 80 * s, 80 * 284 / 160) == 0
    assert abs(float(f.y.mean()) - solid_yuv(BG)[0]) > 10


def test_clip_fit_overrides_edit_fit(landscape: str) -> None:
    canvas = ck.Canvas(160, 284, 30, background=BG)
    clip = ck.open(landscape).trim(0, 0.1).with_fit("contain")
    f = next(iter(ck.sequence([clip], canvas=canvas, fit="cover").frames()))
    assert np.all(np.abs(f.y[:90].astype(int) - solid_yuv(BG)[0]) <= 1)


def test_crop_then_cover(portrait: str) -> None:
    clip = ck.open(portrait).trim(0, 0.5).crop(40, 102, 80, 80)
    frames = list(ck.sequence([clip], canvas=TINY).frames())
    assert [read_index(f.y, (0, 0, 64)) for f in frames] == list(range(15))


def test_crop_off_centre(portrait: str) -> None:
    """A crop of the top-left quarter of the index square shows bits 0, 1, 4 and 5 only."""
    clip = ck.open(portrait).trim(0, 0.5).crop(40, 102, 40, 40)
    frames = list(ck.sequence([clip], canvas=TINY).frames())
    for k, f in enumerate(frames):
        for bit, (r, c) in {0: (0, 0), 1: (0, 1), 4: (1, 0), 5: (1, 1)}.items():
            cell = f.y[r * 32 + 8 : r * 32 + 24, c * 32 + 8 : c * 32 + 24]
            assert (float(cell.mean()) > 128) == bool(k >> bit & 1), (k, bit)
