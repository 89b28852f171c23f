"""Long runs and concurrency, small enough for the suite (``bench/soak.py`` runs 200
renders and 50 cancellations): many renders in one process leave open files and threads
at their baseline, four renders at once equal the same renders alone, and renders
cancelled at random frames leave nothing behind."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import clipkit as ck
import faultkit as fk
from mediagen import decode_output


@pytest.fixture(scope="module")
def sticker(tmp_path_factory: pytest.TempPathFactory) -> str:
    from PIL import Image

    path = tmp_path_factory.mktemp("sticker") / "dot.png"
    rgba = np.zeros((24, 24, 4), np.uint8)
    rgba[4:20, 4:20] = (255, 40, 80, 255)
    Image.fromarray(rgba).save(path)
    return str(path)


def test_many_renders_leave_files_and_threads_at_baseline(portrait: str, landscape: str, song: str, sticker: str,
                                                          out_dir: Path) -> None:
    clips = [portrait, landscape]
    for k in range(5):  # warm up: caches, fonts, numba kernels, allocator arenas
        fk.mixed_edit(k, clips, song, sticker).render(out_dir / "warm.mp4", preset="ultrafast")
    fds, threads = fk.open_fds(), fk.clipkit_threads()
    rss = []
    for k in range(20):
        result = fk.mixed_edit(k, clips, song, sticker).render(out_dir / f"{k % 3}.mp4", preset="ultrafast")
        assert result.frames > 0
        assert fk.open_fds() == fds, f"render {k}: open files {fds} -> {fk.open_fds()}"
        assert fk.clipkit_threads() == threads, f"render {k}: threads {threads} -> {fk.clipkit_threads()}"
        rss.append(fk.rss_mb())
    # memory: flat within allocator noise (bench/soak.py measures the slope over 200)
    assert max(rss[10:]) - min(rss[:10]) < 25.0, rss
    assert sorted(p.name for p in out_dir.iterdir()) == ["0.mp4", "1.mp4", "2.mp4", "warm.mp4"]


def test_four_renders_at_once_equal_the_same_renders_alone(portrait: str, landscape: str, song: str, sticker: str,
                                                            tmp_path: Path) -> None:
    clips = [portrait, landscape]
    kinds = [0, 1, 3, 4]
    alone = tmp_path / "alone"
    together = tmp_path / "together"
    alone.mkdir()
    together.mkdir()
    for k in kinds:
        fk.mixed_edit(k, clips, song, sticker).render(alone / f"{k}.mp4", preset="ultrafast")
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(fk.mixed_edit(k, clips, song, sticker).render, together / f"{k}.mp4", preset="ultrafast") for k in kinds]
        for future in futures:
            future.result()
    for k in kinds:
        solo_frames, solo_audio, _ = decode_output(str(alone / f"{k}.mp4"))
        par_frames, par_audio, _ = decode_output(str(together / f"{k}.mp4"))
        assert len(solo_frames) == len(par_frames)
        for a, b in zip(solo_frames, par_frames):
            assert np.array_equal(a, b), f"render {k} differs when run alongside others"
        assert np.array_equal(solo_audio, par_audio)


def test_random_cancellations_leave_nothing(portrait: str, landscape: str, song: str, sticker: str, out_dir: Path) -> None:
    clips = [portrait, landscape]
    fk.mixed_edit(0, clips, song, sticker).render(out_dir / "warm.mp4", preset="ultrafast")
    (out_dir / "warm.mp4").unlink()
    fds, threads = fk.open_fds(), fk.clipkit_threads()
    rng = random.Random(14)
    for attempt in range(10):
        cancel = threading.Event()
        edit = fk.mixed_edit(attempt, clips, song, sticker)
        edit = edit.with_overlay(fk.CancelAt(rng.randint(0, 15), cancel))
        with pytest.raises(ck.RenderCancelled):
            edit.render(out_dir / "o.mp4", preset="ultrafast", cancel=cancel)
        assert list(out_dir.iterdir()) == [], attempt
        assert fk.open_fds() == fds and fk.clipkit_threads() == threads, attempt
