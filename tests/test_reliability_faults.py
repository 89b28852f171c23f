"""Fault injection: a source failing mid-decode, files removed between validation and
render: a clean error, no partial output, no leaked thread or file handle."""

from __future__ import annotations

import errno
import shutil
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import clipkit as ck
import faultkit as fk
from clipkit.edit.clip import Clip
from clipkit.edit.sources import Source


class FlakySource(Source):
    """Frames until ``fail_at``, then ``error`` (a plugin bug, a dropped network share)."""

    kind = "flaky"

    def __init__(self, fail_at: int, error: BaseException) -> None:
        self.fail_at = fail_at
        self.error = error
        self.display_size = (64, 64)
        self.closed = False

    def frames(self, *, ctx: object, start: float, count: int, fps: Fraction, width: int, height: int, speed: float = 1.0) -> Iterator[tuple[ck.Frame, float]]:
        try:
            for k in range(count):
                if k == self.fail_at:
                    raise self.error
                yield ck.Frame.solid(64, 64, (k * 3 % 256, 0, 0)), start + k / float(fps)
        finally:
            self.closed = True


@pytest.mark.parametrize(
    "error",
    [
        ck.MediaError("share/clip.mp4", "video is corrupt or truncated (Input/output error)"),
        OSError(errno.EIO, "Input/output error"),
        RuntimeError("a bug in a plugin source"),
    ],
    ids=["media", "oserror", "bug"],
)
def test_source_raising_mid_decode(error: BaseException, out_dir: Path) -> None:
    fds, threads = fk.open_fds(), fk.clipkit_threads()
    source = FlakySource(fail_at=12, error=error)
    edit = ck.sequence([Clip(source=source, start=0.0, end=1.0)], canvas=ck.Canvas(64, 64, 30))
    with pytest.raises(type(error)) as info:
        edit.render(out_dir / "o.mp4", preset="ultrafast")
    assert info.value is error  # the source's own error, not a wrapper hiding it
    assert source.closed
    assert list(out_dir.iterdir()) == []
    assert fk.open_fds() == fds and fk.clipkit_threads() == threads


def test_clip_file_removed_before_render(portrait: str, tmp_path: Path, out_dir: Path) -> None:
    path = tmp_path / "gone.mp4"
    shutil.copy(portrait, path)
    edit = ck.sequence([ck.open(str(path))], canvas=ck.Canvas(64, 64, 30))
    path.unlink()
    with pytest.raises(ck.MediaError) as info:
        edit.render(out_dir / "o.mp4", preset="ultrafast")
    assert str(info.value) == f"{path}: file not found"
    assert list(out_dir.iterdir()) == []


def test_sticker_removed_between_validation_and_render(portrait: str, tmp_path: Path, out_dir: Path) -> None:
    from PIL import Image

    sticker = tmp_path / "heart.png"
    Image.fromarray(np.full((16, 16, 4), 200, np.uint8)).save(sticker)
    layer = ck.Sticker(str(sticker), width=0.3)  # validated here: the file exists
    edit = ck.sequence([ck.open(portrait).trim(0, 0.5)], canvas=ck.Canvas(64, 64, 30)).with_overlay(layer)
    sticker.unlink()
    fds, threads = fk.open_fds(), fk.clipkit_threads()
    with pytest.raises(ck.MediaError) as info:
        edit.render(out_dir / "o.mp4", preset="ultrafast")
    assert str(sticker) in str(info.value) and "\n" not in str(info.value)
    assert list(out_dir.iterdir()) == []
    assert fk.open_fds() == fds and fk.clipkit_threads() == threads


def test_music_removed_between_build_and_render(portrait: str, song: str, tmp_path: Path, out_dir: Path) -> None:
    music = tmp_path / "song.m4a"
    shutil.copy(song, music)
    edit = ck.sequence([ck.open(portrait).trim(0, 0.5)], canvas=ck.Canvas(64, 64, 30)).with_music(ck.audio(str(music)))
    music.unlink()
    with pytest.raises(ck.MediaError) as info:
        edit.render(out_dir / "o.mp4", preset="ultrafast")
    assert str(info.value) == f"{music}: file not found"
    assert list(out_dir.iterdir()) == []


def test_clip_file_damaged_after_opening(portrait: str, tmp_path: Path, out_dir: Path) -> None:
    """Probed fine, then overwritten half way (a sync client replacing it) before the render."""
    path = tmp_path / "changing.mp4"
    shutil.copy(portrait, path)
    edit = ck.sequence([ck.open(str(path))], canvas=ck.Canvas(64, 64, 30))
    data = bytearray(path.read_bytes())
    data[len(data) // 3 : 2 * len(data) // 3] = bytes(len(data) // 3)
    path.write_bytes(bytes(data))
    try:
        edit.render(out_dir / "o.mp4", preset="ultrafast")
    except ck.MediaError as exc:
        assert str(exc).startswith(f"{path}: ") and "\n" not in str(exc)
        assert list(out_dir.iterdir()) == []
    else:  # the decoder concealed the damage: then the output must be whole
        assert ck.probe(out_dir / "o.mp4").video is not None
        assert sorted(p.name for p in out_dir.iterdir()) == ["o.mp4"]
