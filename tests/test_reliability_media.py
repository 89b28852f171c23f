"""Decode what can be decoded: animated PNGs (FFmpeg, or Pillow when FFmpeg refuses),
SWF and other demuxers that cannot seek, truncated files on request, and refusals that
name the file."""

from __future__ import annotations

import struct
import zlib
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

import clipkit as ck
import mediagen
from clipkit.edit.clip import Clip
from clipkit.edit.sources import VideoSource
from clipkit.media.video import read_video_frames

CANVAS = ck.Canvas(64, 64, 10)


def _frames(count: int = 6) -> list[Image.Image]:
    return [Image.fromarray(mediagen.draw_frame(64, 64, i)) for i in range(count)]


def _apng(path: Path, frames: list[Image.Image], **options: object) -> str:
    frames[0].save(path, save_all=True, append_images=frames[1:], **options)
    return str(path)


def _pillow_frames(path: str) -> list[np.ndarray]:
    out = []
    with Image.open(path) as im:
        for index in range(im.n_frames):
            im.seek(index)
            out.append(np.asarray(im.convert("RGBA")))
    return out


def _luma(rgba: np.ndarray) -> np.ndarray:
    """BT.709 limited-range luma of RGBA composited over black, as clipkit shows it."""
    rgb = rgba[:, :, :3].astype(np.float64) * (rgba[:, :, 3:4] / 255.0)
    y = 0.2126 * rgb[:, :, 0] + 0.7152 * rgb[:, :, 1] + 0.0722 * rgb[:, :, 2]
    return 16 + y * 219 / 255


def _check_plays_like_pillow(path: str) -> None:
    """The clip shows Pillow's composited frames, one per 100 ms, in order."""
    clip = ck.open(path)
    expected = _pillow_frames(path)
    assert clip.duration == pytest.approx(0.1 * len(expected), abs=1e-6)
    shown = list(ck.sequence([clip], canvas=CANVAS, fit="stretch").frames())
    assert len(shown) == len(expected)
    for frame, rgba in zip(shown, expected):
        assert np.abs(frame.y.astype(np.float64) - _luma(rgba)).mean() < 3.0


@pytest.mark.parametrize(
    ("name", "mode", "options"),
    [
        ("blend_over", "RGBA", {"blend": 1}),
        ("dispose_previous", "RGBA", {"disposal": 2}),
        ("dispose_background", "RGBA", {"disposal": 1, "blend": 1}),
        ("palette", "P", {"blend": 1}),
        ("grey", "L", {"blend": 1}),
        ("grey_alpha", "LA", {"blend": 1}),
    ],
)
def test_animated_png_is_a_clip(name: str, mode: str, options: dict[str, object], tmp_path: Path) -> None:
    """These were refused with "corrupt or truncated (Operation not permitted)" (the apng
    demuxer cannot seek back); Pillow now decodes them, composited as browsers do."""
    frames = [f.convert(mode) if mode != "P" else f.quantize(16) for f in _frames()]
    path = _apng(tmp_path / f"{name}.png", frames, duration=100, **options)
    info = ck.probe(path)
    assert info.video is not None and info.video.frames == 6 and info.decoder == "pillow"
    _check_plays_like_pillow(path)
    result = ck.sequence([ck.open(path)], canvas=CANVAS).render(tmp_path / "o.mp4", preset="ultrafast")
    assert result.frames == 6


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    pos, out = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        out.append((data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return out


def _png(chunks: list[tuple[bytes, bytes]]) -> bytes:
    out = b"\x89PNG\r\n\x1a\n"
    for kind, body in chunks:
        out += struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    return out


def test_animated_png_ffmpeg_refuses_plays_through_pillow(tmp_path: Path) -> None:
    """An APNG whose last frame has a blend_op byte outside the spec's 0/1: browsers and
    Pillow play it, FFmpeg's decoder rejects it as invalid data."""
    good = _apng(tmp_path / "good.png", [f.convert("RGBA") for f in _frames()], duration=100)
    chunks = _chunks(Path(good).read_bytes())
    last = max(i for i, (kind, _) in enumerate(chunks) if kind == b"fcTL")
    body = bytearray(chunks[last][1])
    body[25] = 2  # blend_op
    chunks[last] = (b"fcTL", bytes(body))
    path = tmp_path / "odd_blend.png"
    path.write_bytes(_png(chunks))
    with av.open(str(path)) as container, pytest.raises(av.error.FFmpegError):
        for _ in container.decode(video=0):
            pass
    info = ck.probe(path)
    assert info.decoder == "pillow" and info.format == "png (pillow)" and info.video.frames == 6
    _check_plays_like_pillow(str(path))
    result = ck.sequence([ck.open(str(path))], canvas=CANVAS).render(tmp_path / "o.mp4", preset="ultrafast")
    assert result.frames == 6


def test_animated_png_pillow_refuses_plays_through_ffmpeg(tmp_path: Path) -> None:
    """Frame sequence numbers out of order: Pillow gives up, FFmpeg plays every frame."""
    good = _apng(tmp_path / "good.png", [f.convert("RGBA") for f in _frames()], duration=100)
    chunks = _chunks(Path(good).read_bytes())
    third = [i for i, (kind, _) in enumerate(chunks) if kind == b"fcTL"][2]
    chunks[third] = (b"fcTL", struct.pack(">I", 99) + chunks[third][1][4:])
    path = tmp_path / "bad_sequence.png"
    path.write_bytes(_png(chunks))
    info = ck.probe(path)
    assert info.decoder == "ffmpeg" and info.format == "apng" and info.video.frames == 6
    shown = list(ck.sequence([ck.open(str(path))], canvas=CANVAS).frames())
    assert [mediagen.read_index(f.y) for f in shown] == list(range(6))


def _swf(path: Path, frames: int, fps: int = 10) -> str:
    container = av.open(str(path), "w", format="swf")
    stream = container.add_stream("flv", rate=fps)
    stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
    for i in range(frames):
        frame = av.VideoFrame.from_ndarray(mediagen.draw_frame(64, 64, i), format="rgb24")
        frame.pts = i
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))
    container.close()
    return str(path)


def test_swf_is_a_clip_and_trims_past_a_second(tmp_path: Path) -> None:
    """SWF cannot seek: the probe reads forward only, the reader starts over from the top."""
    path = _swf(tmp_path / "flash.swf", frames=30)
    clip = ck.open(path)
    assert clip.duration == pytest.approx(3.0)
    shown = list(ck.sequence([clip.trim(1.5, 2.5)], canvas=CANVAS).frames())
    assert [mediagen.read_index(f.y) for f in shown] == list(range(15, 25))


def _tiny_video(path: Path, width: int, height: int) -> str:
    container = av.open(str(path), "w", format="avi")
    stream = container.add_stream("rawvideo", rate=10)
    stream.width, stream.height, stream.pix_fmt = width, height, "rgb24"
    for i in range(5):
        frame = av.VideoFrame.from_ndarray(np.full((height, width, 3), i * 40, np.uint8), format="rgb24")
        frame.pts = i
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))
    container.close()
    return str(path)


@pytest.mark.parametrize(("width", "height"), [(1, 1), (1, 64), (64, 1)])
def test_too_small_video_names_the_file(width: int, height: int, tmp_path: Path) -> None:
    path = _tiny_video(tmp_path / f"tiny{width}x{height}.avi", width, height)
    with pytest.raises(ck.MediaError) as info:
        ck.open(path)
    assert str(info.value) == f"{path}: video of {width}x{height} pixels is too small (at least 2x2)"


def test_too_small_frame_in_the_reader_names_the_file(tmp_path: Path) -> None:
    path = _tiny_video(tmp_path / "tiny.avi", 1, 1)
    with pytest.raises(ck.MediaError) as info:
        list(read_video_frames(path, start=0.0, count=2, fps=Fraction(10)))
    assert str(info.value).startswith(f"{path}: video frame of 1x1 pixels is too small")


def test_truncated_file_refused_by_default_naming_where_it_ends(broken: dict[str, str]) -> None:
    path = broken["truncated_data"]
    with pytest.raises(ck.MediaError) as info:
        ck.probe(path)
    message = str(info.value)
    assert message.startswith(f"{path}: is truncated: its video data ends in a damaged frame at ")
    assert "on_truncated='use'" in message


def test_truncated_file_used_on_request(broken: dict[str, str], tmp_path: Path) -> None:
    path = broken["truncated_data"]
    info = ck.probe(path, on_truncated="use")
    assert info.truncated_at is not None and 0 < info.truncated_at < 1.0
    assert info.duration == pytest.approx(info.truncated_at, abs=0.04)
    clip = Clip(source=VideoSource(path, info), start=0.0, end=info.duration)
    frames = list(ck.sequence([clip], canvas=ck.Canvas(64, 64, 30)).frames())
    indices = [mediagen.read_index(f.y, (16, 16, 32)) for f in frames]
    assert indices == list(range(len(indices))) and len(indices) == round(info.duration * 30)
    result = ck.sequence([clip], canvas=ck.Canvas(64, 64, 30)).render(tmp_path / "o.mp4", preset="ultrafast")
    assert result.frames == len(indices)


def test_open_with_on_truncated_use_renders_what_decodes(broken: dict[str, str], tmp_path: Path) -> None:
    for kind in ("truncated_data", "truncated_av"):
        path = broken[kind]
        clip = ck.open(path, on_truncated="use")
        info = clip.source.info
        if info.truncated_at is not None:  # the clip ends where the data does
            assert clip.duration == pytest.approx(info.truncated_at, abs=0.04)
        out = tmp_path / f"{kind}.mp4"
        result = ck.sequence([clip], canvas=ck.Canvas(64, 64, 30)).render(out, preset="ultrafast")
        assert result.frames == round(clip.duration * 30) and out.is_file()
        with av.open(str(out)) as container:
            assert len(container.streams.audio) == 1 and sum(1 for _ in container.decode(video=0)) == result.frames
    with pytest.raises(ck.ParameterError, match="on_truncated"):
        ck.open(broken["truncated_data"], on_truncated="keep")


def test_truncated_long_file_plays_its_good_part_and_refuses_past_the_end(broken: dict[str, str]) -> None:
    path = broken["truncated_long"]
    clip = ck.open(path)  # the damage is past what probing samples
    tail = list(ck.sequence([clip.trim(9.5, 10.0)], canvas=ck.Canvas(64, 64, 30)).frames())
    assert [mediagen.read_index(f.y, (16, 16, 32)) for f in tail] == list(range(285, 300))
    with pytest.raises(ck.MediaError) as info:
        list(ck.sequence([clip.trim(10.0)], canvas=ck.Canvas(64, 64, 30)).frames())
    message = str(info.value)
    assert message.startswith(f"{path}: video is truncated") and "the data ends at 10." in message


def test_on_truncated_is_checked() -> None:
    with pytest.raises(ck.ParameterError, match="on_truncated: 'keep' is not one of refuse, use"):
        ck.probe("x.mp4", on_truncated="keep")


@pytest.mark.parametrize("kind", ["empty", "garbage", "text", "truncated_index", "truncated_data", "truncated_av"])
def test_every_refusal_names_the_file(kind: str, broken: dict[str, str], tmp_path: Path) -> None:
    path = broken[kind]
    for attempt in (lambda: ck.open(path), lambda: ck.probe(path), lambda: ck.audio(path),
                    lambda: ck.sequence([ck.open(path)], canvas=ck.Canvas(64, 64, 30)).render(tmp_path / "o.mp4")):
        try:
            attempt()
        except ck.MediaError as exc:
            assert str(exc).startswith(f"{path}: ") and "\n" not in str(exc)
        else:
            assert kind == "truncated_av"  # its sound ends early; opening may work, the render then refuses
    assert list(tmp_path.iterdir()) == []


def test_damaged_images_are_media_errors(tmp_path: Path) -> None:
    """Pillow reports damage with IndexError, struct.error, SyntaxError or a decompression
    bomb error depending on where its parser trips; each is a MediaError naming the file."""
    gif = tmp_path / "a.gif"
    _frames(4)[0].save(gif, save_all=True, append_images=_frames(4)[1:], duration=80)
    data = gif.read_bytes()
    bomb = bytearray(Path(_apng(tmp_path / "b.png", _frames(1))).read_bytes())
    bomb[16:24] = struct.pack(">II", 60000, 60000)  # IHDR width and height
    bomb[29:33] = struct.pack(">I", zlib.crc32(bytes(bomb[12:29])) & 0xFFFFFFFF)
    cases = {"cut.gif": data[: len(data) // 3], "bomb.png": bytes(bomb)}
    for name, body in cases.items():
        path = tmp_path / name
        path.write_bytes(body)
        with pytest.raises(ck.MediaError) as info:
            ck.sequence([ck.open(str(path))], canvas=CANVAS).render(tmp_path / "o.mp4", preset="ultrafast")
        assert str(info.value).startswith(f"{path}: ") and "\n" not in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.gif", "b.png", "bomb.png", "cut.gif"]


def test_truncated_sound_refused_or_used(broken: dict[str, str]) -> None:
    from clipkit.media.audio import AudioStreamReader

    path = broken["truncated_av"]
    with AudioStreamReader(path, sr=8000) as reader, pytest.raises(ck.MediaError) as info:
        reader.read(8000 * 3)
    assert str(info.value).startswith(f"{path}: audio is corrupt or truncated (") and " after " in str(info.value)
    with AudioStreamReader(path, sr=8000, on_truncated="use") as reader:
        samples = reader.read(8000 * 3)
        assert reader.truncated_at is not None and 0.3 < reader.truncated_at < 2.0
        ends = int(reader.truncated_at * 8000)
    assert np.abs(samples[:, : ends - 800]).max() > 0.01  # the tone up to the damage
    assert np.abs(samples[:, ends + 800 :]).max() == 0.0  # silence after it
