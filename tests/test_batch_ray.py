"""The Ray backend on a real local Ray instance (loopback, 2 CPUs, one per module)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from clipkit.batch import batch, batch_iter, prepare_jobs
from clipkit.batch.jobs import coerce_jobs
from clipkit.batch.ray import run_on_ray

import ray  # noqa: E402 - in the test extra; CI installs it

TEMPLATE = """\
version: 1
canvas: {width: 160, height: 284, fps: 30}
slots:
  - {id: intro}
  - {id: outro}
shots:
  - {slot: intro, duration: 0.5}
  - {slot: outro, duration: 0.5, transition: {type: crossfade, duration: 0.2}}
look: {name: film}
"""


@pytest.fixture(scope="module")
def ray_instance() -> Any:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1")
    yield ray
    ray.shutdown()


@pytest.fixture()
def folder(tmp_path: Path, portrait: str, landscape: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.yaml").write_text(TEMPLATE)
    os.symlink(portrait, tmp_path / "a.mp4")
    os.symlink(landscape, tmp_path / "b.mp4")
    return tmp_path


def planes(path: str) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    out = []
    with av.open(path) as c:
        for frame in c.decode(video=0):
            out.append(tuple(np.frombuffer(p, np.uint8).copy() for p in frame.planes))
    return out


JOBS = [
    {"id": "r1", "template": "t.yaml", "clips": {"intro": "a.mp4", "outro": "b.mp4"}},
    {"id": "r2", "template": "t.yaml", "clips": {"intro": "b.mp4", "outro": "a.mp4"}, "variants": {"look.name": ["noir", "vivid"]}},
]


def test_ray_renders_the_same_frames_as_the_local_pool(ray_instance: Any, folder: Path) -> None:
    on_ray = {r.id: r for r in batch(JOBS, backend="ray", threads=1, output_dir=folder / "ray", manifest=folder / "ray" / "manifest.jsonl")}
    local = {r.id: r for r in batch(JOBS, backend="local", workers=1, threads=1, output_dir=folder / "local")}
    assert sorted(on_ray) == sorted(local) == ["r1", "r2-noir", "r2-vivid"]
    for job_id in on_ray:
        assert on_ray[job_id].status == local[job_id].status == "ok", (on_ray[job_id], local[job_id])
        a, b = planes(on_ray[job_id].output), planes(local[job_id].output)
        assert len(a) == len(b) == 24  # 2 x 15 frames, 6 of them overlapping in the crossfade
        for fa, fb in zip(a, b):
            for pa, pb in zip(fa, fb):
                np.testing.assert_array_equal(pa, pb)
        assert on_ray[job_id].worker != os.getpid()  # rendered in a Ray worker, not here
    lines = (folder / "ray" / "manifest.jsonl").read_text().splitlines()
    assert len(lines) == 3  # the same record as the local backend's


def test_a_ray_task_that_cannot_read_its_input_fails_with_a_clear_error(ray_instance: Any, folder: Path, tmp_path: Path) -> None:
    (folder / "gone.mp4").symlink_to(folder / "a.mp4")
    prepared = prepare_jobs(coerce_jobs([{"id": "lost", "template": "t.yaml", "clips": {"intro": "gone.mp4", "outro": "b.mp4"}}]),
                            output_dir=tmp_path / "out")
    assert prepared[0].error is None
    os.unlink(folder / "gone.mp4")  # validated here, then missing where the task runs
    (result,) = list(run_on_ray(prepared, threads=1))
    assert result.status == "failed"
    assert result.error.startswith(f"clips.intro: {folder / 'gone.mp4'}: not found on worker ")
    assert "storage every worker sees" in result.error


def test_ray_jobs_run_on_long_lived_actors_that_are_stopped_after_the_batch(ray_instance: Any, folder: Path, tmp_path: Path) -> None:
    import psutil

    jobs = [{"id": f"w{i}", "template": "t.yaml", "clips": {"intro": "a.mp4", "outro": "b.mp4"}} for i in range(4)]
    results = list(batch_iter(jobs, backend="ray", workers=2, threads=1, output_dir=tmp_path / "out"))
    assert sorted(r.id for r in results) == ["w0", "w1", "w2", "w3"]
    assert all(r.status == "ok" for r in results), [r.error for r in results]
    workers = {r.worker for r in results}
    assert 1 <= len(workers) <= 2 and os.getpid() not in workers  # two warm actors rendered the four jobs
    assert all(r.startup is not None for r in results)
    deadline = time.monotonic() + 30
    while any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE for pid in workers):
        assert time.monotonic() < deadline, "the batch's actors outlived it"
        time.sleep(0.2)
