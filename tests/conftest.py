"""Shared fixtures: small media generated once per test session.

Every clip is tiny (160x284 portrait or 284x160 landscape, 1-3 s) so that the suite
stays fast on two shared cores. Frames carry their index as a 4x4 bit grid (see
:mod:`mediagen`), so tests can prove which source frame ended up where.
"""

from __future__ import annotations

import os
import shutil
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

sys.path.insert(0, os.path.dirname(__file__))

import mediagen  # noqa: E402

PORTRAIT = (160, 284)
LANDSCAPE = (284, 160)

# VFR: 40 frames alternating 20 ms and 50 ms apart (as phones do under load)
VFR_TIMESTAMPS = [0.0]
for _k in range(1, 40):
    VFR_TIMESTAMPS.append(VFR_TIMESTAMPS[-1] + (0.02 if _k % 2 else 0.05))
VFR_FRAME_DURATION = 0.05  # the last frame lasts as long as the longer interval

# written into the "phone" clip's container; must never reach an output by default
PHONE_METADATA = {
    "location": "+48.8584+002.2945/",
    "com.apple.quicktime.location.ISO6709": "+48.8584+002.2945/",
    "make": "Apple",
    "model": "iPhone 15 Pro",
    "com.apple.quicktime.make": "Apple",
    "com.apple.quicktime.model": "iPhone 15 Pro",
    "creation_time": "2024-05-01T10:00:00.000000Z",
}


@pytest.fixture(scope="session", autouse=True)
def _private_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> object:
    """Caches (music analyses, stickers, colour cubes) in the session's temporary folder.

    The suite must not fill or evict the user's own cache: a run used to push the cubes
    of the looks a user renders out of the 16 kept on disk, so their next render built
    them again (loading numba). Child processes the tests start inherit the variable.
    """
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CLIPKIT_CACHE_DIR", str(tmp_path_factory.mktemp("clipkit-cache")))
        yield os.environ["CLIPKIT_CACHE_DIR"]


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder holding the generated media."""
    return tmp_path_factory.mktemp("media")


def _make(media_dir: Path, name: str, **kwargs: object) -> str:
    path = media_dir / name
    if not path.exists():
        mediagen.make_video(str(path), **kwargs)  # type: ignore[arg-type]
    return str(path)


# -- ordinary clips -----------------------------------------------------------------------
@pytest.fixture(scope="session")
def portrait(media_dir: Path) -> str:
    """3 s, 30 fps, 160x284, stereo 48 kHz, keyframe every 15 frames (seeks matter)."""
    return _make(media_dir, "portrait.mp4", width=160, height=284, frames=90, gop=15)


@pytest.fixture(scope="session")
def portrait_b(media_dir: Path) -> str:
    """A second portrait clip (2 s, different colour and 440 -> 660 Hz tone)."""
    return _make(media_dir, "portrait_b.mp4", width=160, height=284, frames=60, hue=3, tone_hz=660.0, gop=15)


@pytest.fixture(scope="session")
def landscape(media_dir: Path) -> str:
    """2 s, 30 fps, 284x160."""
    return _make(media_dir, "landscape.mp4", width=284, height=160, frames=60, hue=5)


@pytest.fixture(scope="session")
def fps60(media_dir: Path) -> str:
    """2 s at 60 fps."""
    return _make(media_dir, "fps60.mp4", fps=60, frames=120)


@pytest.fixture(scope="session")
def ntsc(media_dir: Path) -> str:
    """1 s at 30000/1001 fps."""
    return _make(media_dir, "ntsc.mp4", fps=Fraction(30000, 1001), frames=30)


@pytest.fixture(scope="session", params=[90, 180, 270], ids=lambda r: f"rot{r}")
def rotated(request: pytest.FixtureRequest, media_dir: Path) -> tuple[str, int]:
    """(path, rotation): a clip shown upright at 160x284 only when its rotation tag is applied."""
    rotation = request.param
    w, h = (284, 160) if rotation in (90, 270) else (160, 284)
    return _make(media_dir, f"rot{rotation}.mp4", width=w, height=h, rotation=rotation, frames=20), rotation


@pytest.fixture(scope="session")
def vfr(media_dir: Path) -> str:
    """40 frames with timestamps from :data:`VFR_TIMESTAMPS` (1.4 s)."""
    return _make(media_dir, "vfr.mp4", timestamps=VFR_TIMESTAMPS, frames=len(VFR_TIMESTAMPS))


@pytest.fixture(scope="session")
def late_video(media_dir: Path) -> str:
    """Video starts 0.5 s after the audio (30 frames from 0.5 s; audio from 0)."""
    return _make(media_dir, "late_video.mp4", frames=30, video_start=0.5)


@pytest.fixture(scope="session")
def odd_size(media_dir: Path) -> str:
    """161x285 (odd both ways), MPEG-4 part 2 in MP4."""
    return _make(media_dir, "odd.mp4", width=161, height=285, frames=20, codec="mpeg4")


@pytest.fixture(scope="session")
def ten_bit(media_dir: Path) -> str:
    """H.264 High 10 (yuv420p10le)."""
    return _make(media_dir, "ten_bit.mp4", frames=20, pix_fmt="yuv420p10le")


@pytest.fixture(scope="session")
def yuv444(media_dir: Path) -> str:
    """H.264 4:4:4 (yuv444p)."""
    return _make(media_dir, "yuv444.mp4", frames=20, pix_fmt="yuv444p")


@pytest.fixture(scope="session")
def full_range(media_dir: Path) -> str:
    """Full-range ("yuvj420p", PC range) H.264."""
    return _make(media_dir, "full_range.mp4", frames=20, pix_fmt="yuvj420p", color_range=2)


@pytest.fixture(scope="session")
def no_audio(media_dir: Path) -> str:
    """Video only."""
    return _make(media_dir, "no_audio.mp4", frames=30, audio=False)


@pytest.fixture(scope="session")
def surround(media_dir: Path) -> str:
    """5.1 AAC whose sound is only in the front-left channel."""
    return _make(media_dir, "surround.mp4", frames=30, layout="5.1", channel_gains=(1, 0, 0, 0, 0, 0))


@pytest.fixture(scope="session")
def mono(media_dir: Path) -> str:
    """Mono AAC at 22.05 kHz."""
    return _make(media_dir, "mono.mp4", frames=30, layout="mono", sr=22050)


@pytest.fixture(scope="session")
def sr44(media_dir: Path) -> str:
    """Audio at 44.1 kHz (880 Hz tone)."""
    return _make(media_dir, "sr44.mp4", frames=30, sr=44100, tone_hz=880.0)


@pytest.fixture(scope="session")
def anamorphic(media_dir: Path) -> str:
    """Coded 80x284 with 2:1 pixels: displayed 160x284."""
    return _make(media_dir, "anamorphic.mp4", width=80, height=284, sar=Fraction(2, 1), frames=20)


@pytest.fixture(scope="session")
def phone(media_dir: Path) -> str:
    """A QuickTime file carrying location and device tags."""
    return _make(
        media_dir,
        "phone.mov",
        frames=20,
        container_format="mov",
        container_options={"movflags": "use_metadata_tags"},
        metadata=PHONE_METADATA,
    )


@pytest.fixture(scope="session")
def levels(media_dir: Path) -> dict[str, str]:
    """Black-left / white-right clips in limited, full-range and 10-bit flavours."""
    out = {}
    for name, kwargs in (
        ("limited", {"pix_fmt": "yuv420p"}),
        ("full", {"pix_fmt": "yuvj420p", "color_range": 2}),
        ("ten_bit", {"pix_fmt": "yuv420p10le"}),
    ):
        path = media_dir / f"levels_{name}.mp4"
        if not path.exists():
            mediagen.make_levels_video(str(path), **kwargs)  # type: ignore[arg-type]
        out[name] = str(path)
    return out


# -- sync clips ------------------------------------------------------------------------------
def _flash(media_dir: Path, name: str, **kwargs: object) -> str:
    path = media_dir / name
    if not path.exists():
        mediagen.make_flash_video(str(path), **kwargs)  # type: ignore[arg-type]
    return str(path)


@pytest.fixture(scope="session")
def flash(media_dir: Path) -> str:
    """2 s at 30 fps; white frames 15 and 45 with a click at 0.5 s and 1.5 s."""
    return _flash(media_dir, "flash.mp4")


@pytest.fixture(scope="session")
def flash_late_video(media_dir: Path) -> str:
    """Video starts at 0.5 s (flashes at file times 1.0 and 2.0 s, clicks too)."""
    return _flash(media_dir, "flash_late_video.mp4", video_start=0.5)


@pytest.fixture(scope="session")
def flash_late_audio(media_dir: Path) -> str:
    """Audio starts at 0.4 s; flashes and clicks at 0.5 and 1.5 s."""
    return _flash(media_dir, "flash_late_audio.mp4", audio_start=0.4)


@pytest.fixture(scope="session")
def flash_long(media_dir: Path) -> str:
    """5 s with B-frames and a keyframe every 12 frames; video from 0.3 s, audio from 0.1 s.

    Flashes (and clicks) at video frames 15, 75, 105 and 140, i.e. file times
    0.8, 2.8, 3.8 and 4.967 s (counted from the file's own timestamps).
    """
    return _flash(media_dir, "flash_long.mp4", frames=150, flashes=(15, 75, 105, 140), gop=12, preset="veryfast", video_start=0.3, audio_start=0.1)


@pytest.fixture(scope="session")
def flash_44k(media_dir: Path) -> str:
    """Like :func:`flash` with 44.1 kHz audio."""
    return _flash(media_dir, "flash_44k.mp4", sr=44100)


# -- audio --------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def song(media_dir: Path) -> str:
    """3 s click track at 120 BPM, 44.1 kHz stereo AAC in .m4a."""
    path = media_dir / "song.m4a"
    if not path.exists():
        mediagen.make_audio(str(path), duration=3.0, sr=44100, bpm=120.0, container_format="mp4")
    return str(path)


# -- stills -----------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def png_alpha(media_dir: Path) -> str:
    """120x200 RGBA PNG: left half transparent, right half opaque red."""
    path = media_dir / "alpha.png"
    if not path.exists():
        img = np.zeros((200, 120, 4), np.uint8)
        img[:, :, 0] = 255
        img[:, 60:, 3] = 255
        Image.fromarray(img).save(path)
    return str(path)


@pytest.fixture(scope="session")
def jpeg_exif(media_dir: Path) -> str:
    """A JPEG stored 200x120 (landscape) with EXIF orientation 6: shown 120x200.

    Stored, its left half is white and its right half black; the viewer rotates it 90
    degrees clockwise, so upright the top half is white and the bottom half black.
    """
    path = media_dir / "exif.jpg"
    if not path.exists():
        img = np.zeros((120, 200, 3), np.uint8)
        img[:, :100] = 255
        pic = Image.fromarray(img)
        exif = pic.getexif()
        exif[0x0112] = 6
        pic.save(path, exif=exif, quality=95)
    return str(path)


@pytest.fixture(scope="session")
def index_png(media_dir: Path) -> str:
    """A 160x284 PNG showing index 77."""
    path = media_dir / "index77.png"
    if not path.exists():
        Image.fromarray(mediagen.draw_frame(160, 284, 77)).save(path)
    return str(path)


# -- files that lie or are broken -----------------------------------------------------------------
@pytest.fixture(scope="session")
def lying(media_dir: Path, portrait: str) -> dict[str, str]:
    """Files whose extension lies: MP4 data as .mov and .webm, Matroska as .mp4, PNG as .mp4."""
    out = {}
    for ext in ("mov", "webm"):
        path = media_dir / f"really_mp4.{ext}"
        if not path.exists():
            shutil.copy(portrait, path)
        out[ext] = str(path)
    out["mkv_as_mp4"] = _make(media_dir, "really_mkv.mp4", frames=10, container_format="matroska")
    png = media_dir / "really_png.mp4"
    if not png.exists():
        Image.fromarray(mediagen.draw_frame(160, 284, 5)).save(png, format="PNG")
    out["png_as_mp4"] = str(png)
    return out


@pytest.fixture(scope="session")
def broken(media_dir: Path, portrait: str) -> dict[str, str]:
    """Corrupt, truncated and empty files."""
    out = {}
    data = Path(portrait).read_bytes()
    # moov is at the end of a plain mediagen file: cut in half, the index is gone
    out["truncated_index"] = str(media_dir / "truncated_index.mp4")
    Path(out["truncated_index"]).write_bytes(data[: len(data) // 2])
    # faststart files (index first) cut short: they open, then run out of data
    fast = _make(media_dir, "faststart.mp4", frames=30, audio=False, container_options={"movflags": "+faststart"})
    fdata = Path(fast).read_bytes()
    out["truncated_data"] = str(media_dir / "truncated_data.mp4")
    Path(out["truncated_data"]).write_bytes(fdata[: int(len(fdata) * 0.4)])
    # longer than what probe samples (300 packets): the damage shows only when decoding
    long = _make(media_dir, "faststart_long.mp4", width=64, height=64, frames=330, audio=False, container_options={"movflags": "+faststart"})
    ldata = Path(long).read_bytes()
    out["truncated_long"] = str(media_dir / "truncated_long.mp4")
    Path(out["truncated_long"]).write_bytes(ldata[: int(len(ldata) * 0.97)])
    av_fast = _make(media_dir, "faststart_av.mp4", width=64, height=64, frames=60, container_options={"movflags": "+faststart"})
    avdata = Path(av_fast).read_bytes()
    out["truncated_av"] = str(media_dir / "truncated_av.mp4")
    Path(out["truncated_av"]).write_bytes(avdata[: int(len(avdata) * 0.6)])
    out["garbage"] = str(media_dir / "garbage.mp4")
    Path(out["garbage"]).write_bytes(np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8).tobytes())
    out["empty"] = str(media_dir / "empty.mp4")
    Path(out["empty"]).write_bytes(b"")
    out["text"] = str(media_dir / "notes.mp4")
    Path(out["text"]).write_text("this is not a video\n")
    return out


@pytest.fixture()
def out_dir(tmp_path: Path) -> Path:
    """An empty folder for one test's outputs."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder
