"""Batch rendering: many videos from templates, on a local worker pool or a Ray cluster.

::

    import clipkit as ck

    results = ck.batch("jobs.yaml", output_dir="out", manifest="out/manifest.jsonl")
    for r in ck.batch_iter(jobs, workers=2):      # as each job finishes
        report(r.id, r.status, r.error or r.output)

A job is a template render (see :class:`Job`); a batch file is JSONL or YAML/JSON with
``jobs:`` and ``defaults:``. See docs/batch.md.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..errors import BatchError, ParameterError
from .jobs import Job, coerce_jobs, expand_job, load_jobs, prepare_jobs
from .local import LocalPool, default_workers
from .results import BatchProgress, JobResult, Manifest, RunningJob, done_before, read_manifest, summarize

__all__ = [
    "BatchProgress",
    "Job",
    "JobResult",
    "LocalPool",
    "RunningJob",
    "batch",
    "batch_iter",
    "default_workers",
    "expand_job",
    "load_jobs",
    "prepare_jobs",
    "read_manifest",
    "summarize",
]

BACKENDS = ("local", "ray")


def batch_iter(
    jobs: Any,
    *,
    workers: int | None = None,
    threads: int | None = None,
    backend: str | LocalPool = "local",
    output_dir: str | os.PathLike[str] | None = None,
    manifest: str | os.PathLike[str] | None = None,
    resume_from: str | os.PathLike[str] | None = None,
    fail_fast: bool = False,
    progress: Callable[[BatchProgress], None] | None = None,
    cancel: threading.Event | None = None,
    ray_address: str | None = None,
) -> Iterator[JobResult]:
    """Render many jobs, yielding one :class:`JobResult` per job as each finishes.

    Every job is validated before any render starts; invalid jobs come first, with
    status ``invalid`` and their message, and the valid ones still run.

    Parameters
    ----------
    jobs : path, Job, mapping, or iterable of Job or mapping
        A batch file (JSONL, YAML or JSON), or jobs in memory (mappings take the
        batch-file fields; their relative paths resolve against the current folder).
    workers : int in [1, 256], optional
        Parallel renders (default: from the measured curve, see
        :func:`~clipkit.batch.default_workers`).
    threads : int in [0, 64], optional
        x264 threads per render (default: from the same curve).
    backend : {"local", "ray"} or LocalPool
        ``local``: warm worker processes on this machine (a :class:`LocalPool` you
        keep is reused across batches). ``ray``: warm Ray actors (needs ``clipkit[ray]``).
    output_dir : str or os.PathLike, optional
        Folder relative outputs go in (default: the current folder).
    manifest : str or os.PathLike, optional
        A JSONL file to append each result to, durably, as it finishes.
    resume_from : str or os.PathLike, optional
        An earlier manifest: jobs it records as done whose output is still there with
        the same sha256 are ``skipped`` instead of rendered again.
    fail_fast : bool
        Refuse the whole batch when any job is invalid (:class:`BatchError`), and stop
        at the first failed render (the jobs not finished are ``cancelled``).
    progress : callable, optional
        Called with a :class:`BatchProgress` a few times a second.
    cancel : threading.Event, optional
        Set it from any thread to stop: running renders are cancelled (nothing partial
        is written), jobs not started are ``cancelled``.
    ray_address : str, optional
        For ``backend="ray"``: the cluster to join (``ray://host:10001`` or
        ``host:6379``); a local Ray is started when none is running and none is given.

    Raises
    ------
    BatchError
        A batch file that cannot be read; with ``fail_fast``, any invalid job.
    ParameterError
        An unknown backend or a bad worker or thread count.
    """
    if not isinstance(backend, LocalPool) and backend not in BACKENDS:
        raise ParameterError(f"backend: {backend!r} is not a backend; use one of {', '.join(BACKENDS)}")
    prepared = prepare_jobs(coerce_jobs(jobs), output_dir=output_dir if output_dir is not None else os.getcwd())
    invalid = [j for j in prepared if j.error is not None]
    if fail_fast and invalid:
        more = f" (and {len(invalid) - 1} more invalid job{'s' if len(invalid) > 2 else ''})" if len(invalid) > 1 else ""
        raise BatchError(invalid[0].error + more)
    previous = read_manifest(resume_from) if resume_from is not None else {}
    record = Manifest(manifest) if manifest is not None else None
    try:
        for job in invalid:
            result = JobResult(id=job.id or "", status="invalid", output=job.output or "", error=job.error, origin=job.origin)
            if record is not None:
                record.append(result)
            yield result
        to_run: list[Job] = []
        for job in prepared:
            if job.error is not None:
                continue
            earlier = done_before(previous, job.id, job.output) if previous else None
            if earlier is not None:
                result = JobResult(id=job.id, status="skipped", output=job.output, frames=earlier.frames, duration=earlier.duration,
                                   sha256=earlier.sha256, origin=job.origin, error=None)
                if record is not None:
                    record.append(result)
                yield result
            else:
                to_run.append(job)
        if not to_run:
            return
        for result in _run(to_run, workers=workers, threads=threads, backend=backend, fail_fast=fail_fast,
                           progress=progress, cancel=cancel, ray_address=ray_address):
            if record is not None:
                record.append(result)
            yield result
    finally:
        if record is not None:
            record.close()


def _run(jobs: list[Job], *, workers: int | None, threads: int | None, backend: str | LocalPool, fail_fast: bool,
         progress: Callable[[BatchProgress], None] | None, cancel: threading.Event | None, ray_address: str | None) -> Iterator[JobResult]:
    if isinstance(backend, LocalPool):
        yield from backend.run(jobs, cancel=cancel, fail_fast=fail_fast, progress=progress)
        return
    if backend == "ray":
        from .ray import run_on_ray

        yield from run_on_ray(jobs, address=ray_address, workers=workers, threads=threads, cancel=cancel,
                              fail_fast=fail_fast, progress=progress)
        return
    with LocalPool(min(workers or default_workers()[0], len(jobs)), threads=threads) as pool:
        yield from pool.run(jobs, cancel=cancel, fail_fast=fail_fast, progress=progress)


def batch(
    jobs: Any,
    *,
    workers: int | None = None,
    threads: int | None = None,
    backend: str | LocalPool = "local",
    output_dir: str | os.PathLike[str] | None = None,
    manifest: str | os.PathLike[str] | None = None,
    resume_from: str | os.PathLike[str] | None = None,
    fail_fast: bool = False,
    progress: Callable[[BatchProgress], None] | None = None,
    cancel: threading.Event | None = None,
    ray_address: str | None = None,
) -> list[JobResult]:
    """Render many jobs; one :class:`JobResult` per job, in the order they finished.

    The parameters are :func:`batch_iter`'s.
    """
    return list(
        batch_iter(jobs, workers=workers, threads=threads, backend=backend, output_dir=output_dir, manifest=manifest,
                   resume_from=resume_from, fail_fast=fail_fast, progress=progress, cancel=cancel, ray_address=ray_address)
    )


def default_manifest(output_dir: str | os.PathLike[str]) -> Path:
    """``OUTDIR/manifest.jsonl``, where ``clipkit batch`` keeps its record."""
    return Path(output_dir) / "manifest.jsonl"
