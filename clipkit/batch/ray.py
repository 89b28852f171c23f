"""The Ray backend: the same jobs on long-lived Ray actors, on a cluster or a local Ray.

Needs the ``clipkit[ray]`` extra; Ray is imported only when this backend is used.
Each actor is a warm worker, like a local pool's process: it warms up once when it
starts (imports, kernels, fonts) and renders job after job with
:func:`clipkit.batch.worker.run_job`, one at a time, so the per-job cost is the render
and not a Ray worker's start or warm-up. The driver keeps one job in flight per actor
(as the local pool does per process). Clips, templates and outputs are paths: they must
be on storage every node sees (the same mount point everywhere); a job first checks
that it can read its inputs and write its output, and fails with that message otherwise.

An actor whose process died (segfault, OOM kill, a lost node) is restarted by Ray and
its job tried again, up to :data:`RAY_MAX_RETRIES` times; a job that fails on its input
returns a ``failed`` result, which is never retried. Cancelling asks each actor to
stop its render (a threaded actor: the request reaches it while it renders), which
deletes its temporary file; an actor that does not stop within
:data:`~clipkit.batch.local.CANCEL_GRACE` seconds is killed.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ..errors import ParameterError, PluginError
from .jobs import Job
from .local import CANCEL_GRACE, cores_per_render, default_workers, job_message
from .results import BatchProgress, JobResult, RunningJob

__all__ = ["run_on_ray", "RenderActor", "RAY_MAX_RETRIES", "RAY_INIT_OPTIONS"]

RAY_MAX_RETRIES = 2
"""Times Ray runs a job again after its actor's process died (never for bad input)."""

RAY_INIT_OPTIONS: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
"""What :func:`run_on_ray` passes to ``ray.init``: no dashboard, workers' logs stay in
Ray's log folder (a render's progress is reported through results, not prints)."""


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise PluginError("the Ray backend needs Ray: pip install 'clipkit[ray]'") from None
    return ray


class RenderActor:
    """A warm worker in a Ray actor: :meth:`render` one job at a time, :meth:`cancel`
    from the driver while it renders (the actor runs two threads for that).

    Parameters
    ----------
    threads : int in [0, 64]
        x264 threads per render (0: x264's choice).
    """

    def __init__(self, threads: int) -> None:
        from .worker import warm_up

        self.threads = threads
        self._lock = threading.Lock()
        self._running: tuple[str, threading.Event] | None = None
        self._cancelled: set[str] = set()
        self._frames = (0, 0)
        self.warm_up_seconds = warm_up()

    def render(self, job: dict[str, Any]) -> dict[str, Any]:
        """Render ``job`` (a :func:`~clipkit.batch.local.job_message`); the result as a dict."""
        from .worker import after_job, run_job

        handed_over = time.perf_counter()
        event = threading.Event()
        with self._lock:
            self._running, self._frames = (job["id"], event), (0, 0)
            if job["id"] in self._cancelled:
                event.set()

        def progress(done: int, total: int) -> None:
            self._frames = (done, total)

        try:
            return run_job(job, threads=self.threads, cancel=event, progress=progress, handed_over=handed_over).to_dict()
        finally:
            after_job()  # flat RSS job after job, as in the local pool
            with self._lock:
                self._running = None
                self._cancelled.discard(job["id"])

    def cancel(self, job_id: str) -> None:
        """Stop job ``job_id`` if it runs here, or before it starts."""
        with self._lock:
            self._cancelled.add(job_id)
            if self._running is not None and self._running[0] == job_id:
                self._running[1].set()

    def frames(self) -> tuple[int, int]:
        """(frames done, total frames) of the running render."""
        return self._frames

    def pid(self) -> int:
        """The actor's process id."""
        return os.getpid()


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
    """Render prepared, valid ``jobs`` on Ray actors; yield each result as it finishes.

    Parameters
    ----------
    jobs : sequence of Job
        Prepared jobs (ids and absolute output paths set).
    address : str, optional
        Cluster to join when Ray is not initialised yet in this process. Without one,
        a local Ray is started for the batch (and stopped after it).
    workers : int >= 1, optional
        Actors, i.e. renders at once (default: the cluster's CPUs over ``threads``,
        no more than there are jobs).
    threads : int in [0, 64], optional
        x264 threads per render (default: from the measured curve, see
        :func:`~clipkit.batch.default_workers`); each actor reserves ``num_cpus`` = half
        of them (at least 1), a render's share of the cores on that curve.
    cancel, fail_fast, progress
        As for :func:`clipkit.batch.batch_iter`.
    """
    ray = _import_ray()
    threads = default_workers()[1] if threads is None else threads
    if isinstance(threads, bool) or not isinstance(threads, int) or not 0 <= threads <= 64:
        raise ParameterError(f"threads: {threads!r} is not a whole number in 0..64 (0 = x264's choice)")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ParameterError(f"workers: {workers!r} is not a whole number of at least 1")
    started_here = False
    if not ray.is_initialized():
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        if address:
            ray.init(address=address, **RAY_INIT_OPTIONS)
        else:  # a Ray of our own for this batch: on loopback, nothing listens outside
            ray.init(_node_ip_address="127.0.0.1", **RAY_INIT_OPTIONS)
            started_here = True
    try:
        yield from _run(ray, jobs, workers=workers, threads=threads, cancel=cancel, fail_fast=fail_fast, progress=progress)
    finally:
        if started_here:
            ray.shutdown()


def _run(ray: Any, jobs: Sequence[Job], *, workers: int | None, threads: int, cancel: threading.Event | None,
         fail_fast: bool, progress: Callable[[BatchProgress], None] | None) -> Iterator[JobResult]:
    cpus_per_actor = cores_per_render(threads)  # the same renders per node as the local pool
    cluster_cpus = int(ray.cluster_resources().get("CPU", 1))
    count = workers if workers is not None else max(1, cluster_cpus // cpus_per_actor)
    count = max(1, min(count, len(jobs)))
    actor_class = ray.remote(
        num_cpus=cpus_per_actor,
        max_concurrency=2,  # render() and the driver's cancel() at once
        max_restarts=-1,  # a crashed actor comes back warm for the next job...
        max_task_retries=RAY_MAX_RETRIES,  # ...and its job is tried again this many times
    )(RenderActor)
    actors = [actor_class.remote(threads) for _ in range(count)]
    idle: deque[Any] = deque(actors)
    pending: deque[Job] = deque(jobs)
    in_flight: dict[Any, tuple[Job, Any, float]] = {}  # result ref -> (job, actor, sent at)
    total, finished, failed = len(pending), 0, 0
    started = time.perf_counter()
    stop_reason: str | None = None
    cancel_sent: dict[Any, float] = {}

    def report() -> None:
        if progress is not None:
            elapsed = time.perf_counter() - started
            running = tuple(RunningJob(job.id, 0, 0) for job, _, _ in in_flight.values())
            eta = elapsed / finished * (total - finished) if finished else None
            progress(BatchProgress(total=total, finished=finished, failed=failed, running=running, elapsed=elapsed, eta=eta))

    try:
        while pending or in_flight:
            if stop_reason is None and cancel is not None and cancel.is_set():
                stop_reason = "cancelled"
            if stop_reason is not None:
                while pending:
                    job = pending.popleft()
                    finished += 1
                    yield JobResult(id=job.id, status="cancelled", output=job.output or "", origin=job.origin,
                                    error="not started: the batch was " + ("stopped at the first failure (--fail-fast)" if stop_reason == "fail-fast" else "cancelled"))
                now = time.perf_counter()
                for ref, (job, actor, _) in in_flight.items():
                    if ref not in cancel_sent:
                        actor.cancel.remote(job.id)  # the render unwinds and deletes its temporary file
                        cancel_sent[ref] = now
                    elif now - cancel_sent[ref] > CANCEL_GRACE:
                        ray.kill(actor, no_restart=True)  # it did not stop: its render never finishes
                        cancel_sent[ref] = float("inf")
            while pending and idle and stop_reason is None:
                job, actor = pending.popleft(), idle.popleft()
                in_flight[actor.render.remote(job_message(job))] = (job, actor, time.perf_counter())
            if not in_flight:
                break
            ready, _ = ray.wait(list(in_flight), num_returns=1, timeout=0.25)
            for ref in ready:
                job, actor, sent = in_flight.pop(ref)
                idle.append(actor)
                result = _result(ray, ref, job, sent, cancelled=ref in cancel_sent)
                finished += 1
                if result.status == "failed":
                    failed += 1
                    if fail_fast and stop_reason is None:
                        stop_reason = "fail-fast"
                yield result
            report()
        report()
    finally:
        for actor in actors:
            ray.kill(actor)


def _result(ray: Any, ref: Any, job: Job, sent: float, *, cancelled: bool) -> JobResult:
    base = {"id": job.id, "output": job.output or "", "origin": job.origin, "elapsed": time.perf_counter() - sent}
    try:
        return JobResult.from_dict(ray.get(ref))
    except ray.exceptions.TaskCancelledError:
        return JobResult(status="cancelled", error="cancelled before it finished; nothing written", **base)
    except (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError, ray.exceptions.RayActorError) as exc:
        status = "cancelled" if cancelled else "failed"
        return JobResult(status=status, error=f"its Ray worker died while rendering it ({type(exc).__name__}; tried {RAY_MAX_RETRIES + 1} times)", **base)
    except ray.exceptions.RayTaskError as exc:
        if cancelled or isinstance(getattr(exc, "cause", None), KeyboardInterrupt):
            return JobResult(status="cancelled", error="cancelled before it finished; nothing written", **base)
        return JobResult(status="failed", error=f"the Ray task failed: {' '.join(str(exc).split())[:300]}", **base)
    except ray.exceptions.RayError as exc:
        status = "cancelled" if cancelled else "failed"
        return JobResult(status=status, error=f"Ray could not run it: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}", **base)
