"""The Ray backend: the same jobs as Ray tasks, on a cluster or a local Ray.

Needs the ``clipkit[ray]`` extra; Ray is imported only when this backend is used.
Each task runs :func:`clipkit.batch.worker.run_job` in a Ray worker process, which Ray
keeps between tasks, so the warm-up (imports, kernels) is paid once per process as in
the local pool. Clips, templates and outputs are paths: they must be on storage every
node sees (the same mount point everywhere); a task first checks that it can read its
inputs and write its output, and fails with that message otherwise.

Ray retries a task only when its worker process died (``max_retries``); a job that
fails on its input returns a ``failed`` result, which Ray never retries.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ..errors import ParameterError, PluginError
from .jobs import Job
from .local import default_workers, job_message
from .results import BatchProgress, JobResult, RunningJob

__all__ = ["run_on_ray", "RAY_MAX_RETRIES"]

RAY_MAX_RETRIES = 2
"""Times Ray runs a task again after its worker process died (never for bad input)."""

_warm = False


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise PluginError("the Ray backend needs Ray: pip install 'clipkit[ray]'") from None
    return ray


def render_task(job: dict[str, Any], threads: int) -> dict[str, Any]:
    """A Ray task: render one job in this worker process (warming it up the first time)."""
    global _warm
    from .worker import run_job, warm_up

    handed_over = time.perf_counter()
    if not _warm:
        warm_up()
        _warm = True
        handed_over = time.perf_counter()
    return run_job(job, threads=threads, handed_over=handed_over).to_dict()


def run_on_ray(
    jobs: Sequence[Job],
    *,
    address: str | None = None,
    workers: int | None = None,
    threads: int | None = None,
    cancel: threading.Event | None = None,
    fail_fast: bool = False,
    progress: Callable[[BatchProgress], None] | None = None,
) -> Iterator[JobResult]:
    """Render prepared, valid ``jobs`` as Ray tasks; yield each result as it finishes.

    Parameters
    ----------
    jobs : sequence of Job
        Prepared jobs (ids and absolute output paths set).
    address : str, optional
        Cluster to join when Ray is not initialised yet in this process. Without one,
        a local Ray is started for the batch (and stopped after it).
    workers : int, optional
        Renders in flight at once (default: the cluster's CPUs over ``threads``).
    threads : int in [0, 64], optional
        x264 threads per render, also the ``num_cpus`` each task reserves (default: from
        the measured curve, see :func:`~clipkit.batch.default_workers`).
    cancel, fail_fast, progress
        As for :func:`clipkit.batch.batch_iter`.
    """
    ray = _import_ray()
    threads = default_workers()[1] if threads is None else threads
    if isinstance(threads, bool) or not isinstance(threads, int) or not 0 <= threads <= 64:
        raise ParameterError(f"threads: {threads!r} is not a whole number in 0..64 (0 = x264's choice)")
    started_here = False
    if not ray.is_initialized():
        options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
        if address:
            ray.init(address=address, **options)
        else:  # a Ray of our own for this batch: on loopback, nothing listens outside
            ray.init(_node_ip_address="127.0.0.1", **options)
            started_here = True
    try:
        yield from _run(ray, jobs, workers=workers, threads=threads, cancel=cancel, fail_fast=fail_fast, progress=progress)
    finally:
        if started_here:
            ray.shutdown()


def _run(ray: Any, jobs: Sequence[Job], *, workers: int | None, threads: int, cancel: threading.Event | None,
         fail_fast: bool, progress: Callable[[BatchProgress], None] | None) -> Iterator[JobResult]:
    cpus_per_task = max(1, threads)
    cluster_cpus = int(ray.cluster_resources().get("CPU", 1))
    window = workers if workers is not None else max(1, cluster_cpus // cpus_per_task)
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise ParameterError(f"workers: {window!r} is not a whole number of at least 1")
    task = ray.remote(num_cpus=cpus_per_task, max_retries=RAY_MAX_RETRIES, retry_exceptions=False)(render_task)
    pending: deque[Job] = deque(jobs)
    in_flight: dict[Any, tuple[Job, float]] = {}
    total, finished, failed = len(pending), 0, 0
    started = time.perf_counter()
    stop_reason: str | None = None
    cancelled_refs: set[Any] = set()

    def report() -> None:
        if progress is not None:
            elapsed = time.perf_counter() - started
            running = tuple(RunningJob(job.id, 0, 0) for job, _ in in_flight.values())
            eta = elapsed / finished * (total - finished) if finished else None
            progress(BatchProgress(total=total, finished=finished, failed=failed, running=running, elapsed=elapsed, eta=eta))

    while pending or in_flight:
        if stop_reason is None and cancel is not None and cancel.is_set():
            stop_reason = "cancelled"
        if stop_reason is not None:
            while pending:
                job = pending.popleft()
                finished += 1
                yield JobResult(id=job.id, status="cancelled", output=job.output or "", origin=job.origin,
                                error="not started: the batch was " + ("stopped at the first failure (--fail-fast)" if stop_reason == "fail-fast" else "cancelled"))
            for ref in in_flight:
                if ref not in cancelled_refs:
                    # a KeyboardInterrupt in the task: the render unwinds and deletes its temporary file
                    ray.cancel(ref)
                    cancelled_refs.add(ref)
        while pending and len(in_flight) < window and stop_reason is None:
            job = pending.popleft()
            in_flight[task.remote(job_message(job), threads)] = (job, time.perf_counter())
        if not in_flight:
            break
        ready, _ = ray.wait(list(in_flight), num_returns=1, timeout=0.25)
        for ref in ready:
            job, sent = in_flight.pop(ref)
            result = _result(ray, ref, job, sent, cancelled=ref in cancelled_refs)
            finished += 1
            if result.status == "failed":
                failed += 1
                if fail_fast and stop_reason is None:
                    stop_reason = "fail-fast"
            yield result
        report()
    report()


def _result(ray: Any, ref: Any, job: Job, sent: float, *, cancelled: bool) -> JobResult:
    base = {"id": job.id, "output": job.output or "", "origin": job.origin, "elapsed": time.perf_counter() - sent}
    try:
        return JobResult.from_dict(ray.get(ref))
    except ray.exceptions.TaskCancelledError:
        return JobResult(status="cancelled", error="cancelled before it finished; nothing written", **base)
    except (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError, ray.exceptions.ActorDiedError) as exc:
        status = "cancelled" if cancelled else "failed"
        return JobResult(status=status, error=f"its Ray worker died while rendering it ({type(exc).__name__}; tried {RAY_MAX_RETRIES + 1} times)", **base)
    except ray.exceptions.RayTaskError as exc:
        if cancelled or isinstance(getattr(exc, "cause", None), KeyboardInterrupt):
            return JobResult(status="cancelled", error="cancelled before it finished; nothing written", **base)
        return JobResult(status="failed", error=f"the Ray task failed: {' '.join(str(exc).split())[:300]}", **base)
    except ray.exceptions.RayError as exc:
        status = "cancelled" if cancelled else "failed"
        return JobResult(status=status, error=f"Ray could not run it: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}", **base)
