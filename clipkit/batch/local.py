"""The local backend: a pool of warm worker processes on this machine.

Each worker is a spawned process that imports clipkit and loads the effect kernels
once, then renders job after job, so a job costs its render and not a process start.
The parent hands out one job at a time per worker over a pipe and watches each
worker's process handle: a worker that dies (segfault, OOM kill, ``os._exit``) is
replaced, its job is marked failed with the cause, and the batch goes on.

Cancelling (the ``cancel`` event, or SIGTERM/SIGINT in ``clipkit batch``) asks the
running renders to stop; a render that stops deletes its temporary file, so nothing
partial is left, and the jobs not started are reported ``cancelled``.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from ..errors import ParameterError
from .jobs import Job
from .results import BatchProgress, JobResult, RunningJob

__all__ = ["LocalPool", "cores_per_render", "default_workers", "job_message"]

DEFAULT_MAX_JOBS = 200
"""Jobs a worker renders before a fresh process takes over: a bound on what a leaking
plug-in (or native library) could add; the built-in jobs keep a worker's RSS flat
(see docs/batch.md)."""

CANCEL_GRACE = 30.0
"""Seconds a cancelled render gets to stop before its worker is killed."""


def default_workers(cores: int | None = None) -> tuple[int, int]:
    """(workers, x264 threads per worker) for a machine with ``cores`` cores.

    One worker per core, up to 8 workers, each render with two x264 threads per core it
    gets (past 8 cores a render gets ``cores // 8`` cores: 8 x 4 on 16 cores; Ray actors
    reserve those cores, ``threads // 2``). Why: one render leaves part of the
    cores idle (its producer thread decodes, applies effects and overlays one frame at a
    time, x264's frame threads wait on it, and the start and end of a job run on one
    thread), so a second render fills them; and with one x264 thread a render's encode
    is one serial thread, so two renders of one thread each still leave cores idle while
    either waits. Measured by ``bench/bench_batch.py --curve`` on this 2-core machine
    (see docs/batch.md): 2 workers x 2 threads 1.14x the throughput of one render at a
    time with x264's own thread count, 2 x 1 0.81x. Renders per node are capped at 8 so
    that a big node does not hold dozens of ~500 MB workers (the split on big nodes is
    not measured here: this machine has 2 cores).
    """
    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    workers = max(1, min(cores, 8))
    threads = 2 * max(1, cores // workers)  # two x264 threads per core a render gets
    return workers, threads


def cores_per_render(threads: int) -> int:
    """The cores a render of ``threads`` x264 threads is given on the measured curve (two
    threads per core, at least one core; 0 = x264's choice counts as one): what a Ray
    actor reserves (``num_cpus``), so Ray runs as many renders per node as the pool."""
    return max(1, threads // 2)


def job_message(job: Job) -> dict[str, Any]:
    """What a worker (or Ray actor) gets: the prepared job as plain data."""
    return {**job.to_dict(), "origin": job.origin}


# -- the worker process ----------------------------------------------------------------
def _worker_main(conn: Connection, threads: int) -> None:
    """A worker's life: warm up, then render the jobs the parent sends until told to stop."""
    from .worker import after_job, run_job, warm_up

    # Ctrl-C in a terminal reaches the whole process group: the parent decides what
    # stops, and tells this worker over the pipe
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    lock = threading.Lock()
    state: dict[str, Any] = {"id": None, "event": None}
    cancelled: set[str] = set()
    stopping = threading.Event()
    jobs: queue.Queue[tuple[dict[str, Any], float] | None] = queue.Queue()

    def cancel_current() -> None:
        with lock:
            if state["event"] is not None:
                state["event"].set()

    def on_sigterm(signum: int, frame: object) -> None:
        # a process manager stopping everything: finish cleanly (no partial files). Only
        # flags here: taking the job queue's lock in a signal handler could deadlock
        stopping.set()
        event = state["event"]
        if event is not None:
            event.set()

    signal.signal(signal.SIGTERM, on_sigterm)
    warm_up()
    conn.send(("ready", os.getpid()))

    def read_parent() -> None:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):  # the parent is gone: stop what runs, exit
                stopping.set()
                cancel_current()
                jobs.put(None)
                return
            kind = message[0]
            if kind == "job":
                jobs.put((message[1], time.perf_counter()))
            elif kind == "cancel":
                with lock:
                    cancelled.add(message[1])
                    if state["id"] == message[1] and state["event"] is not None:
                        state["event"].set()
            elif kind == "stop":
                jobs.put(None)
                return

    threading.Thread(target=read_parent, name="clipkit-batch-reader", daemon=True).start()
    while not stopping.is_set():
        try:
            item = jobs.get(timeout=0.5)
        except queue.Empty:
            continue
        if item is None:
            break
        job, handed_over = item
        event = threading.Event()
        with lock:
            state["id"], state["event"] = job["id"], event
            if job["id"] in cancelled or stopping.is_set():
                event.set()
        job_id = job["id"]

        def progress(done: int, total: int, job_id: str = job_id) -> None:
            conn.send(("progress", job_id, done, total))

        result = run_job(job, threads=threads, cancel=event, progress=progress, handed_over=handed_over)
        with lock:
            state["id"], state["event"] = None, None
        try:
            conn.send(("result", result.to_dict()))  # first, so the next job is on its way meanwhile
        except (BrokenPipeError, OSError):
            return
        after_job()  # the job's cycles and freed heap pages: a flat peak job after job


# -- the parent's side -----------------------------------------------------------------
@dataclass
class _Worker:
    process: Any
    conn: Connection
    job: Job | None = None
    sent_at: float = 0.0
    frames: tuple[int, int] = (0, 0)
    cancel_sent: float | None = None
    stopped: bool = False
    jobs_done: int = 0


def _death_cause(exitcode: int | None) -> str:
    if exitcode is None:
        return "its worker stopped answering"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = " (out of memory, or killed by an operator)" if -exitcode == signal.SIGKILL else ""
        return f"its worker process died from {name}{hint}"
    return f"its worker process exited with code {exitcode}"


class LocalPool:
    """Warm worker processes on this machine; reusable for many batches.

    Parameters
    ----------
    workers : int in [1, 256], optional
        Worker processes (default: :func:`default_workers`).
    threads : int in [0, 64], optional
        x264 threads per render (default: :func:`default_workers`; 0 = x264's choice).
    max_jobs_per_worker : int >= 0
        Replace a worker by a fresh one after this many jobs (0: never). A worker frees
        each job's garbage and heap pages after it (:func:`~clipkit.batch.worker.after_job`),
        so its RSS stays flat over the built-in jobs; recycling bounds what a leaking
        plug-in or native library would add, for the price of
        one warm-up (~1 s) per ``max_jobs_per_worker`` jobs.

    Use it as a context manager, or call :meth:`close`; the processes start with the
    first batch.
    """

    def __init__(self, workers: int | None = None, *, threads: int | None = None, max_jobs_per_worker: int = DEFAULT_MAX_JOBS) -> None:
        auto_workers, auto_threads = default_workers()
        workers = auto_workers if workers is None else workers
        threads = auto_threads if threads is None else threads
        if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= 256:
            raise ParameterError(f"workers: {workers!r} is not a whole number in 1..256")
        if isinstance(threads, bool) or not isinstance(threads, int) or not 0 <= threads <= 64:
            raise ParameterError(f"threads: {threads!r} is not a whole number in 0..64 (0 = x264's choice)")
        if isinstance(max_jobs_per_worker, bool) or not isinstance(max_jobs_per_worker, int) or max_jobs_per_worker < 0:
            raise ParameterError(f"max_jobs_per_worker: {max_jobs_per_worker!r} is not a whole number >= 0 (0 = never recycle)")
        self.workers = workers
        self.threads = threads
        self.max_jobs_per_worker = max_jobs_per_worker
        self._context = multiprocessing.get_context("spawn")
        self._pool: list[_Worker] = []
        self._retired: list[_Worker] = []
        self.replaced = 0
        """Workers started again after one died."""
        self.recycled = 0
        """Workers retired after ``max_jobs_per_worker`` jobs."""

    # -- processes ------------------------------------------------------------------
    def _start_worker(self) -> _Worker:
        parent, child = self._context.Pipe(duplex=True)
        process = self._context.Process(target=_worker_main, args=(child, self.threads), name="clipkit-batch-worker", daemon=True)
        process.start()
        child.close()
        return _Worker(process=process, conn=parent)

    def _ensure_workers(self, wanted: int) -> None:
        self._pool = [w for w in self._pool if w.process.is_alive() and not w.stopped]
        while len(self._pool) < min(wanted, self.workers):
            self._pool.append(self._start_worker())

    @property
    def pids(self) -> list[int]:
        """Process ids of the live workers."""
        return [w.process.pid for w in self._pool if w.process.is_alive()]

    def _retire(self, w: _Worker) -> None:
        """Stop an idle worker that has done its share of jobs (it exits on its own)."""
        try:
            w.conn.send(("stop",))
        except (BrokenPipeError, OSError):
            pass
        w.stopped = True
        self._pool.remove(w)
        self._retired = [r for r in self._retired if r.process.is_alive()]  # is_alive() reaps the exited
        self._retired.append(w)
        self.recycled += 1

    def close(self) -> None:
        """Stop the workers and wait for them; a render still running is cancelled
        (its temporary file deleted), as when a caller stops reading results early."""
        for w in self._pool:
            try:
                if w.job is not None:
                    w.conn.send(("cancel", w.job.id))
                w.conn.send(("stop",))
            except (BrokenPipeError, OSError):
                pass
        deadline = time.monotonic() + 10
        for w in self._pool + self._retired:
            w.process.join(timeout=max(0.1, deadline - time.monotonic()))
            if w.process.is_alive():
                w.process.kill()
                w.process.join(timeout=5)
            w.conn.close()
        self._pool = []
        self._retired = []

    def __enter__(self) -> LocalPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- running ----------------------------------------------------------------------
    def run(
        self,
        jobs: Sequence[Job],
        *,
        cancel: threading.Event | None = None,
        fail_fast: bool = False,
        progress: Callable[[BatchProgress], None] | None = None,
    ) -> Iterator[JobResult]:
        """Render ``jobs`` (prepared and valid) and yield each result as it finishes."""
        pending: deque[Job] = deque(jobs)
        total = len(pending)
        started = time.perf_counter()
        finished = failed = 0
        stop_reason: str | None = None
        self._ensure_workers(len(pending))

        def report() -> None:
            if progress is None:
                return
            running = tuple(RunningJob(w.job.id, *w.frames) for w in self._pool if w.job is not None)
            elapsed = time.perf_counter() - started
            eta = elapsed / finished * (total - finished) if finished else None
            progress(BatchProgress(total=total, finished=finished, failed=failed, running=running, elapsed=elapsed, eta=eta))

        def give_out() -> None:
            for w in self._pool:
                if w.job is None and pending and stop_reason is None and not w.stopped:
                    job = pending.popleft()
                    try:
                        w.conn.send(("job", job_message(job)))
                    except (BrokenPipeError, OSError):
                        pending.appendleft(job)
                        continue
                    w.job, w.sent_at, w.frames = job, time.perf_counter(), (0, 0)

        report()
        while True:
            if stop_reason is None and cancel is not None and cancel.is_set():
                stop_reason = "cancelled"
            if stop_reason is not None:
                while pending:  # never started: nothing to undo
                    job = pending.popleft()
                    finished += 1
                    yield JobResult(id=job.id, status="cancelled", output=job.output or "", origin=job.origin,
                                    error="not started: the batch was " + ("stopped at the first failure (--fail-fast)" if stop_reason == "fail-fast" else "cancelled"))
                for w in self._pool:
                    if w.job is not None and w.cancel_sent is None:
                        w.cancel_sent = time.perf_counter()
                        try:
                            w.conn.send(("cancel", w.job.id))
                        except (BrokenPipeError, OSError):
                            pass
            give_out()
            busy = [w for w in self._pool if w.job is not None]
            if not busy and (not pending or stop_reason is not None):
                break
            if not busy and pending:  # every worker died at once and could not be replaced
                self._ensure_workers(len(pending))
                continue
            handles: list[Any] = []
            for w in self._pool:
                handles.extend((w.conn, w.process.sentinel))
            ready = wait(handles, timeout=0.25)
            for w in list(self._pool):
                outcome: list[JobResult] = []
                dead = False
                if w.conn in ready or w.process.sentinel in ready:
                    dead = self._drain(w, outcome)
                if (
                    w.job is not None
                    and w.cancel_sent is not None
                    and time.perf_counter() - w.cancel_sent > CANCEL_GRACE
                    and w.process.is_alive()
                ):
                    w.process.kill()  # it did not stop: kill it, its render never finishes
                    w.process.join(timeout=5)
                    dead = True
                if dead:
                    w.stopped = True
                    if w.job is not None:
                        job = w.job
                        status = "cancelled" if w.cancel_sent is not None else "failed"
                        outcome.append(JobResult(id=job.id, status=status, output=job.output or "", origin=job.origin,
                                                 error=f"{_death_cause(w.process.exitcode)} while rendering it",
                                                 elapsed=time.perf_counter() - w.sent_at))
                        w.job = None
                    w.conn.close()
                for result in outcome:
                    finished += 1
                    if result.status == "failed":
                        failed += 1
                        if fail_fast and stop_reason is None:
                            stop_reason = "fail-fast"
                    yield result
                if dead:
                    self._pool.remove(w)
                    if pending and stop_reason is None:
                        self.replaced += 1
                        self._pool.append(self._start_worker())
                elif outcome and self.max_jobs_per_worker and w.jobs_done >= self.max_jobs_per_worker and w.job is None:
                    self._retire(w)
                    if pending and stop_reason is None:
                        self._pool.append(self._start_worker())
            report()

    def _drain(self, w: _Worker, outcome: list[JobResult]) -> bool:
        """Read what ``w`` sent; True when it is gone."""
        try:
            while w.conn.poll():
                message = w.conn.recv()
                kind = message[0]
                if kind == "progress" and w.job is not None and message[1] == w.job.id:
                    w.frames = (message[2], message[3])
                elif kind == "result":
                    outcome.append(JobResult.from_dict(message[1]))
                    w.job, w.cancel_sent = None, None
                    w.jobs_done += 1
        except (EOFError, OSError):
            w.process.join(timeout=5)
            return True
        if not w.process.is_alive():
            w.process.join(timeout=5)
            return True
        return False
