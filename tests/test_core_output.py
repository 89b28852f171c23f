"""Properties of the files clipkit writes, read back with PyAV and a hand-rolled box parser."""

from __future__ import annotations

import struct
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

import clipkit as ck
from conftest import PHONE_METADATA
from mediagen import decode_output, read_index

SMALL = ck.Canvas(160, 284, 30)


def top_level_boxes(path: str | Path) -> list[str]:
    """Types of the top-level ISO-BMFF boxes, in file order."""
    boxes = []
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        size_total = fh.tell()
        pos = 0
        while pos < size_total:
            fh.seek(pos)
            header = fh.read(8)
            if len(header) < 8:
                raise AssertionError(f"truncated box header at {pos}")
            size, kind = struct.unpack(">I4s", header)
            if size == 1:
                size = struct.unpack(">Q", fh.read(8))[0]
            elif size == 0:
                size = size_total - pos
            if size < 8:
                raise AssertionError(f"bad box size {size} at {pos}")
            boxes.append(kind.decode("latin-1"))
            pos += size
    return boxes


def stream_facts(path: str | Path) -> dict[str, object]:
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        a = c.streams.audio[0] if c.streams.audio else None
        keyframes = []
        frames = 0
        for packet in c.demux(v):
            if packet.size == 0:
                continue
            if packet.is_keyframe:
                keyframes.append(frames)
            frames += 1
        facts: dict[str, object] = {
            "codec": v.codec_context.name,
            "profile": v.codec_context.profile,
            "pix_fmt": v.codec_context.pix_fmt,
            "width": v.codec_context.width,
            "height": v.codec_context.height,
            "rate": v.average_rate,
            "frames": frames,
            "duration": float(v.duration * v.time_base),
            "keyframes": keyframes,
            "streams": [s.type for s in c.streams],
            "metadata": {k.lower(): val for k, val in c.metadata.items()},
            "stream_metadata": [{k.lower(): val for k, val in s.metadata.items()} for s in c.streams],
        }
        if a is not None:
            facts.update(
                audio_codec=a.codec_context.name,
                audio_profile=a.codec_context.profile,
                audio_channels=a.codec_context.channels,
                audio_layout=a.codec_context.layout.name,
                audio_rate=a.codec_context.sample_rate,
                audio_duration=float(a.duration * a.time_base),
            )
    return facts


def video_bytes(path: str | Path) -> int:
    """Bytes of coded video in a file."""
    with av.open(str(path)) as c:
        return sum(p.size for p in c.demux(video=0))


def test_box_parser_sees_a_plain_mp4(portrait: str) -> None:
    """The helper itself: a PyAV-written file without faststart has mdat before moov."""
    boxes = top_level_boxes(portrait)
    assert boxes[0] == "ftyp"
    assert boxes.index("mdat") < boxes.index("moov")


@pytest.fixture(scope="module")
def rendered(portrait: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ck.RenderResult]:
    out = tmp_path_factory.mktemp("output") / "out.mp4"
    result = ck.sequence([ck.open(portrait)], canvas=SMALL).render(out, profile="tiktok")
    return out, result


def test_video_stream_is_upload_ready(rendered: tuple[Path, ck.RenderResult]) -> None:
    path, _ = rendered
    f = stream_facts(path)
    assert f["codec"] == "h264"
    assert f["profile"] == "High"
    assert f["pix_fmt"] == "yuv420p"
    assert (f["width"], f["height"]) == (160, 284)
    assert f["rate"] == 30
    assert f["frames"] == 90
    assert f["duration"] == pytest.approx(3.0, abs=1e-6)
    assert sorted(f["streams"]) == ["audio", "video"]


def test_keyframe_every_two_seconds(rendered: tuple[Path, ck.RenderResult]) -> None:
    keyframes = stream_facts(rendered[0])["keyframes"]
    assert keyframes[0] == 0
    assert 60 in keyframes  # a forced keyframe at 2 s (GOP of 60 frames at 30 fps)
    gaps = [b - a for a, b in zip(keyframes, keyframes[1:])]
    assert all(15 <= g <= 60 for g in gaps), keyframes


def test_audio_is_aac_lc_stereo(rendered: tuple[Path, ck.RenderResult]) -> None:
    f = stream_facts(rendered[0])
    assert f["audio_codec"] == "aac"
    assert f["audio_profile"] == "LC"
    assert f["audio_channels"] == 2
    assert f["audio_layout"] == "stereo"
    assert f["audio_rate"] == 48000
    assert f["audio_duration"] == pytest.approx(3.0, abs=1 / 30)


def test_moov_before_mdat(rendered: tuple[Path, ck.RenderResult]) -> None:
    boxes = top_level_boxes(rendered[0])
    assert boxes[0] == "ftyp"
    assert "moov" in boxes and "mdat" in boxes
    assert boxes.index("moov") < boxes.index("mdat"), boxes


def test_result_describes_the_file(rendered: tuple[Path, ck.RenderResult]) -> None:
    path, result = rendered
    assert Path(result.path) == path
    assert result.frames == 90
    assert result.duration == pytest.approx(3.0)
    assert (result.width, result.height) == (160, 284)
    assert result.profile == "tiktok"
    assert result.elapsed > 0


def test_frames_in_order_in_output(rendered: tuple[Path, ck.RenderResult]) -> None:
    lumas, audio, sr = decode_output(str(rendered[0]))
    assert [read_index(y) for y in lumas] == list(range(90))
    assert sr == 48000
    # the source's 440 Hz tone comes through, at a steady level
    level = np.abs(audio[:, 4800:-4800])
    assert float(level.max()) > 0.1
    quarters = [float(q.max()) for q in np.array_split(level, 4, axis=1)]
    assert max(quarters) < 1.2 * min(quarters)


def test_frame_count_rounds_to_the_grid(portrait: str, out_dir: Path) -> None:
    out = out_dir / "o.mp4"
    ck.sequence([ck.open(portrait).trim(0, 1.01)], canvas=SMALL).render(out, preset="ultrafast")
    assert stream_facts(out)["frames"] == 30


def test_ntsc_rate(ntsc: str, out_dir: Path) -> None:
    out = out_dir / "o.mp4"
    ck.sequence([ck.open(ntsc)], canvas=ck.Canvas(160, 284, "30000/1001")).render(out, preset="ultrafast")
    f = stream_facts(out)
    assert f["rate"] == Fraction(30000, 1001)
    assert f["frames"] == 30
    assert f["duration"] == pytest.approx(30 * 1001 / 30000, abs=1e-6)


def test_silent_track_when_nothing_sounds(no_audio: str, out_dir: Path) -> None:
    out = out_dir / "o.mp4"
    ck.sequence([ck.open(no_audio), ck.color("blue", duration=0.5)], canvas=SMALL).render(out, preset="ultrafast")
    f = stream_facts(out)
    assert f["audio_codec"] == "aac" and f["audio_channels"] == 2
    assert f["audio_duration"] == pytest.approx(1.5, abs=1 / 30)
    _, audio, _ = decode_output(str(out))
    assert audio.shape[1] >= int(1.5 * 48000)
    assert float(abs(audio).max()) < 1e-3


def _tag_keys(f: dict[str, object]) -> set[str]:
    keys = set(f["metadata"])  # type: ignore[arg-type]
    for md in f["stream_metadata"]:  # type: ignore[union-attr]
        keys |= set(md)
    return keys


PRIVATE = ("location", "make", "model", "com.apple.quicktime", "creation_time")


def test_source_has_the_private_tags(phone: str) -> None:
    """The fixture really carries what the output must not."""
    md = ck.probe(phone).metadata
    for key in ("location", "make", "model", "com.apple.quicktime.location.ISO6709", "creation_time"):
        assert key in md


def test_location_and_device_stripped(phone: str, out_dir: Path) -> None:
    out = out_dir / "o.mp4"
    ck.sequence([ck.open(phone)], canvas=SMALL).render(out, preset="ultrafast")
    keys = _tag_keys(stream_facts(out))
    leaked = [k for k in keys if any(p in k for p in PRIVATE)]
    assert not leaked, leaked
    raw = out.read_bytes()
    assert b"+48.8584" not in raw and b"iPhone" not in raw


def test_metadata_kept_when_asked(phone: str, out_dir: Path) -> None:
    out = out_dir / "o.mp4"
    ck.sequence([ck.open(phone)], canvas=SMALL).render(out, preset="ultrafast", keep_metadata=True)
    md = stream_facts(out)["metadata"]
    assert md.get("location", "").startswith("+48.8584")  # type: ignore[union-attr]
    assert md.get("make") == PHONE_METADATA["make"]  # type: ignore[union-attr]
    assert md.get("model") == PHONE_METADATA["model"]  # type: ignore[union-attr]
    assert md.get("creation_time", "").startswith("2024-05-01T10:00:00")  # type: ignore[union-attr]
    # container facts of the source file are not copied as tags
    assert "major_brand" not in md or md["major_brand"] != "qt"  # type: ignore[operator]
    assert top_level_boxes(out).index("moov") < top_level_boxes(out).index("mdat")


@pytest.mark.parametrize("name", sorted(ck.PROFILES))
def test_profile_output(name: str, out_dir: Path) -> None:
    """Each upload profile's own size and rate (edit without a canvas), H.264 High."""
    profile = ck.PROFILES[name]
    out = out_dir / f"{name}.mp4"
    result = ck.sequence([ck.color("red", duration=0.2)]).render(out, profile=name)
    f = stream_facts(out)
    want = (profile.width, profile.height)
    if name == "preview":
        want = (profile.width // 2, profile.height // 2)
    assert (f["width"], f["height"]) == want
    assert (result.width, result.height) == want
    assert f["rate"] == profile.fps
    assert f["frames"] == 6
    assert f["codec"] == "h264" and f["pix_fmt"] == "yuv420p"
    assert f["profile"] == "High"
    assert f["audio_profile"] == "LC" and f["audio_channels"] == 2
    assert f["audio_rate"] == profile.sample_rate
    assert top_level_boxes(out).index("moov") < top_level_boxes(out).index("mdat")


def test_known_profiles() -> None:
    assert {"tiktok", "reels", "shorts", "square", "landscape", "preview"} <= set(ck.PROFILES)
    assert (ck.PROFILES["tiktok"].width, ck.PROFILES["tiktok"].height, ck.PROFILES["tiktok"].fps) == (1080, 1920, 30)
    assert ck.PROFILES["landscape"].width > ck.PROFILES["landscape"].height
    assert ck.PROFILES["square"].width == ck.PROFILES["square"].height


def test_preview_renders_a_canvas_at_half_size(portrait: str, out_dir: Path) -> None:
    out = out_dir / "o.mp4"
    result = ck.sequence([ck.open(portrait).trim(0, 1)], canvas=SMALL).render(out, profile="preview")
    f = stream_facts(out)
    assert (f["width"], f["height"]) == (80, 142) == (result.width, result.height)
    assert f["frames"] == 30
    lumas, _, _ = decode_output(str(out))
    assert [read_index(y) for y in lumas] == list(range(30))


def test_encoder_options_override_the_profile(portrait: str, out_dir: Path) -> None:
    hi = out_dir / "hi.mp4"
    lo = out_dir / "lo.mp4"
    edit = ck.sequence([ck.open(portrait).trim(0, 1)], canvas=SMALL)
    edit.render(hi, preset="ultrafast", crf=12)
    edit.render(lo, preset="ultrafast", crf=40)
    assert video_bytes(hi) > 2 * video_bytes(lo)
    assert stream_facts(out_dir / "lo.mp4")["frames"] == 30


def test_overwrite_false_keeps_existing_file(portrait: str, out_dir: Path) -> None:
    out = out_dir / "o.mp4"
    out.write_bytes(b"keep me")
    with pytest.raises(ck.ParameterError, match="exists"):
        ck.sequence([ck.open(portrait)], canvas=SMALL).render(out, overwrite=False)
    assert out.read_bytes() == b"keep me"


def test_overwrite_replaces_existing_file(portrait: str, out_dir: Path) -> None:
    out = out_dir / "o.mp4"
    out.write_bytes(b"old")
    ck.sequence([ck.open(portrait).trim(0, 0.5)], canvas=SMALL).render(out, preset="ultrafast")
    assert stream_facts(out)["frames"] == 15
    assert sorted(p.name for p in out_dir.iterdir()) == ["o.mp4"]


def test_progress_reports(portrait: str, out_dir: Path) -> None:
    reports: list[ck.RenderProgress] = []
    ck.sequence([ck.open(portrait)], canvas=SMALL).render(out_dir / "o.mp4", preset="ultrafast", progress=reports.append)
    assert reports, "no progress reported"
    assert reports[-1].frames_done == reports[-1].total_frames == 90
    assert reports[-1].fraction == 1.0
    done = [r.frames_done for r in reports]
    assert done == sorted(done)
    assert all(r.total_frames == 90 for r in reports)


@pytest.mark.parametrize(
    ("h264_profile", "preset", "expected"),
    [
        ("high", "ultrafast", "High"),
        ("main", "ultrafast", "Main"),
        ("main", "veryfast", "Main"),
        ("baseline", "veryfast", "Constrained Baseline"),
    ],
)
def test_h264_profile_is_the_one_asked_for(h264_profile: str, preset: str, expected: str, out_dir: Path) -> None:
    out = out_dir / "o.mp4"
    ck.sequence([ck.color("red", duration=0.2)], canvas=ck.Canvas(64, 64, 30)).render(out, preset=preset, h264_profile=h264_profile)
    assert stream_facts(out)["profile"] == expected


def test_custom_profile_object(portrait: str, out_dir: Path) -> None:
    mine = ck.Profile("mine", width=96, height=160, fps=Fraction(25), sample_rate=44100, preset="ultrafast")
    out = out_dir / "o.mp4"
    result = ck.sequence([ck.open(portrait).trim(0, 1)]).render(out, profile=mine)
    f = stream_facts(out)
    assert (f["width"], f["height"], f["rate"], f["frames"]) == (96, 160, 25, 25)
    assert f["audio_rate"] == 44100 and result.profile == "mine"
    with pytest.raises(ck.ParameterError, match="profile.crf"):
        ck.sequence([ck.open(portrait)]).render(out_dir / "x.mp4", profile=ck.Profile("bad", crf=80))


def test_a_stage_profile_says_where_the_time_goes(tmp_path: Path) -> None:
    import clipkit as ck
    from clipkit.cli.main import main

    song = tmp_path / "song.wav"
    from clipkit.music.synth import drum_track, write_audio

    write_audio(str(song), drum_track(120, 3.0, sr=22050).y, sr=22050)
    a = ck.color("#224488", duration=1.0).with_effect("contrast", amount=1.2).with_effect("vignette", strength=0.4)
    b = ck.color("#884422", duration=1.0)
    edit = ck.sequence([a, b], canvas=ck.Canvas(128, 224, fps=10), transitions=[ck.crossfade(0.3)])
    edit = edit.with_music(ck.audio(str(song))).with_overlay(ck.Text("hi", position=(0.5, 0.5)))
    result = edit.render(tmp_path / "p.mp4", profile="tiktok", profile_stages=True)
    stages = result.stages
    assert stages is not None and stages.frames == result.frames == 17
    names = [r.name for r in stages.rows]
    for expected in ("plan", "decode color #224488", "fit stretch", "effect contrast", "effect vignette", "transition Crossfade",
                     "overlay 0 Text", "encode (frames handed to x264)", "audio: mix, ducking, loudness", "codec threads (FFmpeg decode, x264)"):
        assert expected in names, (expected, names)
    # pipeline order, and the figures are real measurements
    assert names.index("decode color #224488") < names.index("effect contrast") < names.index("overlay 0 Text") < names.index("encode (frames handed to x264)")
    assert stages.row("effect contrast").calls == 10 and stages.row("overlay 0 Text").calls == 17
    assert all(r.cpu_ms >= 0 and r.wall_ms >= 0 for r in stages.rows) and stages.cpu > 0
    assert edit.render(tmp_path / "q.mp4", profile="tiktok").stages is None  # off by default
    assert "effect contrast" in stages.table()
