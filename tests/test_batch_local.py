"""The local worker pool: real renders of tiny jobs, failures, crashes, cancellation, signals, resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import av
import pytest

from clipkit.batch import batch, batch_iter, read_manifest
from clipkit.batch.results import file_sha256

TINY = """\
version: 1
canvas: {width: 160, height: 284, fps: 30}
slots:
  - {id: intro, min_duration: 0.5}
  - {id: outro}
shots:
  - {slot: intro, duration: 0.5}
  - {slot: outro, duration: 0.5}
look: {name: vivid, strength: 0.5}
"""

# long enough (3 s at 540x960) that a signal lands while a render runs
SLOW = """\
version: 1
canvas: {width: 540, height: 960, fps: 30}
slots:
  - {id: intro}
shots:
  - {slot: intro, duration: 3}
look: {name: film}
"""

CRASH_PLUGIN = '''
"""Effects that kill their process on a real frame (warm-up frames are 64x48)."""
import ctypes
import os

from clipkit.effects import Effect, Param


class Segfault(Effect):
    """Dereference address 0 (a real SIGSEGV)."""
    id = "test_segfault"
    title = "Segfault"
    category = "look"
    params = (Param("strength", "float", 1.0, min=0.0, max=1.0, doc="0 does nothing", neutral=0.0),)
    example = {"strength": 1.0}

    def apply(self, frame, p, state, time):
        if frame.width > 100 and p["strength"] > 0:
            ctypes.string_at(0)
        return frame

    def reference(self, frame, p, state, time):
        return frame


class HardExit(Effect):
    """Leave the process at once, as os._exit does (no cleanup, no exception)."""
    id = "test_hard_exit"
    title = "Hard exit"
    category = "look"
    params = (Param("strength", "float", 1.0, min=0.0, max=1.0, doc="0 does nothing", neutral=0.0),)
    example = {"strength": 1.0}

    def apply(self, frame, p, state, time):
        if frame.width > 100 and p["strength"] > 0:
            os._exit(3)
        return frame

    def reference(self, frame, p, state, time):
        return frame
'''


def write_jsonl(path: Path, jobs: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(j) + "\n" for j in jobs))
    return path


def probe_frames(path: str) -> tuple[int, int, int]:
    with av.open(path) as c:
        stream = c.streams.video[0]
        frames = sum(1 for _ in c.decode(stream))
        return frames, stream.width, stream.height


def parts_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*.part"))


@pytest.fixture()
def folder(tmp_path: Path, portrait: str, portrait_b: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # jobs given in memory resolve their paths against the current folder
    (tmp_path / "tiny.yaml").write_text(TINY)
    (tmp_path / "slow.yaml").write_text(SLOW)
    os.symlink(portrait, tmp_path / "a.mp4")
    os.symlink(portrait_b, tmp_path / "b.mp4")
    return tmp_path


def tiny_job(job_id: str, **extra: object) -> dict[str, object]:
    return {"id": job_id, "template": "tiny.yaml", "clips": {"intro": "a.mp4", "outro": "b.mp4"}, **extra}


def test_good_jobs_render_and_a_failing_or_invalid_one_does_not_stop_them(folder: Path, tmp_path: Path) -> None:
    short = tmp_path / "short.mp4"
    import mediagen

    mediagen.make_video(str(short), frames=6)  # 0.2 s, shorter than the intro slot's 0.5 s
    batch_file = write_jsonl(folder / "jobs.jsonl", [
        tiny_job("one"),
        tiny_job("short", clips={"intro": str(short), "outro": "b.mp4"}),
        tiny_job("bad", clips={"intro": "nope.mp4", "outro": "b.mp4"}),
        tiny_job("two", variants={"look.name": ["film", "noir"]}, output="{id}/{look.name}.mp4"),
    ])
    out = tmp_path / "out"
    results = {r.id: r for r in batch(batch_file, workers=2, output_dir=out, manifest=out / "manifest.jsonl")}
    assert {k: r.status for k, r in results.items()} == {"one": "ok", "short": "failed", "bad": "invalid", "two-film": "ok", "two-noir": "ok"}
    assert "slot 'intro' needs a clip of at least 0.5 s" in results["short"].error
    assert results["bad"].error == f"{batch_file}:3: clips.intro: {folder / 'nope.mp4'}: file not found"
    for job_id in ("one", "two-film", "two-noir"):
        r = results[job_id]
        assert probe_frames(r.output) == (30, 160, 284)
        assert r.frames == 30 and r.sha256 == file_sha256(r.output) and r.startup is not None and r.startup < r.elapsed
    assert results["two-noir"].output == str(out / "two-noir" / "noir.mp4")
    assert not os.path.exists(results["short"].output)
    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert sorted(m["id"] for m in manifest) == sorted(results)
    assert parts_in(out) == []


def test_fail_fast_stops_at_the_first_failed_render(folder: Path, tmp_path: Path) -> None:
    import mediagen

    short = tmp_path / "short.mp4"
    mediagen.make_video(str(short), frames=6)
    jobs = [tiny_job("first"), tiny_job("short", clips={"intro": str(short), "outro": "b.mp4"}), tiny_job("never"), tiny_job("nor")]
    results = {r.id: r for r in batch(jobs, workers=1, output_dir=tmp_path / "out", fail_fast=True)}
    assert {k: r.status for k, r in results.items()} == {"first": "ok", "short": "failed", "never": "cancelled", "nor": "cancelled"}
    assert results["never"].error == "not started: the batch was stopped at the first failure (--fail-fast)"
    assert not os.path.exists(results["never"].output)


def test_a_worker_is_recycled_after_its_share_of_jobs(folder: Path, tmp_path: Path) -> None:
    from clipkit.batch import LocalPool

    with LocalPool(1, threads=1, max_jobs_per_worker=2) as pool:
        results = list(batch_iter([tiny_job(f"j{i}") for i in range(3)], backend=pool, output_dir=tmp_path / "out"))
        recycled = pool.recycled
    assert [r.status for r in results] == ["ok"] * 3
    assert results[0].worker == results[1].worker != results[2].worker
    assert recycled == 1


def test_a_worker_that_crashes_hard_is_replaced_and_only_its_job_fails(folder: Path, tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "test_crash.py").write_text(CRASH_PLUGIN)
    (folder / "segv.yaml").write_text(TINY + "effects: [{id: test_segfault}]\n")
    (folder / "exit.yaml").write_text(TINY + "effects: [{id: test_hard_exit}]\n")
    batch_file = write_jsonl(folder / "jobs.jsonl", [
        tiny_job("before"), tiny_job("segv", template="segv.yaml"), tiny_job("exit", template="exit.yaml"), tiny_job("after")])
    out = tmp_path / "out"
    # a fresh process, so the template schema knows the plugin effects (the workers inherit the variable)
    env = {**os.environ, "CLIPKIT_EFFECTS_PATH": str(plugins)}
    proc = subprocess.run([sys.executable, "-m", "clipkit", "batch", str(batch_file), "-o", str(out), "--workers", "1", "--quiet"],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 1, proc.stderr  # some jobs failed
    results = read_manifest(out / "manifest.jsonl")
    assert {k: r.status for k, r in results.items()} == {"before": "ok", "segv": "failed", "exit": "failed", "after": "ok"}, results
    assert results["segv"].error == "its worker process died from SIGSEGV while rendering it"
    assert results["exit"].error == "its worker process exited with code 3 while rendering it"
    assert len({results[k].worker for k in ("before", "after")}) == 2  # "after" ran in a replacement worker
    assert probe_frames(results["after"].output) == (30, 160, 284)
    assert "failed: segv: its worker process died from SIGSEGV" in proc.stderr
    # a killed worker leaves its temporary file; the next render into the folder removes it
    assert parts_in(out) == []


def test_cancel_stops_running_renders_without_partial_files(folder: Path, tmp_path: Path) -> None:
    jobs = [{"id": f"slow{i}", "template": "slow.yaml", "clips": {"intro": "a.mp4"}} for i in range(4)]
    cancel = threading.Event()
    seen_running: list[int] = []

    def progress(p: object) -> None:
        frames = [r.frames_done for r in p.running]  # type: ignore[attr-defined]
        if any(f > 5 for f in frames):
            seen_running.append(max(frames))
            cancel.set()

    results = batch(jobs, workers=2, threads=1, output_dir=tmp_path / "out", progress=progress, cancel=cancel)
    assert seen_running, "the renders never reported progress"
    statuses = [r.status for r in results]
    assert len(results) == 4 and "cancelled" in statuses and set(statuses) <= {"ok", "cancelled"}
    for r in results:
        assert os.path.exists(r.output) == (r.status == "ok")
    assert parts_in(tmp_path / "out") == []


def _wait_for(predicate: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_sigterm_mid_batch_then_resume_finishes_every_job_once(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    batch_file = write_jsonl(folder / "jobs.jsonl", [{"id": f"s{i}", "template": "slow.yaml", "clips": {"intro": "a.mp4"}} for i in range(4)])
    cmd = [sys.executable, "-m", "clipkit", "batch", str(batch_file), "-o", str(out), "--workers", "1", "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    manifest = out / "manifest.jsonl"
    try:
        # the first job done, the second being written: stop the batch there
        assert _wait_for(lambda: manifest.exists() and manifest.read_text().count("\n") >= 1 and parts_in(out), 120)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, stderr
    assert "stopped by SIGTERM" in stderr
    assert parts_in(out) == []
    first = read_manifest(manifest)
    done = {k for k, r in first.items() if r.status == "ok"}
    assert done and len(done) < 4
    assert {r.status for r in first.values()} <= {"ok", "cancelled"}
    for k in done:
        assert file_sha256(first[k].output) == first[k].sha256
    for k in set(first) - done:
        assert not os.path.exists(first[k].output)

    resumed = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    lines = [json.loads(line) for line in manifest.read_text().splitlines()]
    oks = [line["id"] for line in lines if line["status"] == "ok"]
    assert sorted(oks) == sorted(f"s{i}" for i in range(4))  # every job rendered exactly once
    assert sorted(line["id"] for line in lines if line["status"] == "skipped") == sorted(done)
    for i in range(4):
        assert probe_frames(str(out / f"s{i}.mp4")) == (90, 540, 960)
    assert parts_in(out) == []


def test_sigterm_on_clipkit_render_leaves_no_partial_file(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "render"
    out.mkdir()
    target = out / "video.mp4"
    proc = subprocess.Popen(
        [sys.executable, "-m", "clipkit", "render", str(folder / "slow.yaml"), "--clip", f"intro={folder / 'a.mp4'}", "-o", str(target), "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert _wait_for(lambda: parts_in(out), 60), "the render never started writing"
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143
    assert "stopped by SIGTERM" in stderr
    assert parts_in(out) == [] and not target.exists()


def test_default_split_gives_each_render_two_x264_threads_per_core_and_ray_reserves_those_cores():
    # the rule behind the measured curve in docs/batch.md: one render per core up to 8,
    # two x264 threads per core a render gets; a Ray actor reserves the render's cores
    from clipkit.batch import default_workers
    from clipkit.batch.local import cores_per_render

    assert default_workers(1) == (1, 2)
    assert default_workers(2) == (2, 2)
    assert default_workers(8) == (8, 2)
    assert default_workers(16) == (8, 4)
    for cores in (1, 2, 3, 8, 16, 64):
        workers, threads = default_workers(cores)
        assert workers * cores_per_render(threads) <= max(cores, 1)  # Ray: no more renders per node than the pool
    assert [cores_per_render(t) for t in (0, 1, 2, 4, 8)] == [1, 1, 1, 2, 4]
