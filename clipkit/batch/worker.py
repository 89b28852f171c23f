"""Running one job, in whatever process a backend gives it (a pool worker, a Ray actor).

A job is a template render through the public API: :func:`clipkit.template.load_template`
with the job's ``set`` overrides, :meth:`Template.build` with its clips and music, and
:meth:`Edit.render` to its output. Nothing here touches frames.
"""

from __future__ import annotations

import ctypes
import gc
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import ClipkitError, RenderCancelled
from .results import JobResult, file_sha256

__all__ = ["run_job", "warm_up", "after_job", "trim_heap", "check_storage"]

ProgressFn = Callable[[int, int], None]


def check_storage(job: Mapping[str, Any]) -> str | None:
    """Why this process cannot read the job's inputs or write its output, or ``None``.

    On a cluster, clips and outputs must be on storage every node sees; checking here,
    before anything is decoded, turns a node without the share into a clear error.
    """
    import socket

    inputs = [("template", job["template"]), *((f"clips.{k}", v) for k, v in job.get("clips", {}).items())]
    if job.get("music"):
        inputs.append(("music", job["music"]))
    host = socket.gethostname()
    for where, path in inputs:
        if not os.path.isfile(path):
            return f"{where}: {path}: not found on worker {host} (clips and outputs must be on storage every worker sees)"
        if not os.access(path, os.R_OK):
            return f"{where}: {path}: not readable on worker {host}"
    folder = os.path.dirname(os.path.abspath(job["output"]))
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        return f"output: {folder}: cannot be created on worker {host} ({exc.strerror or exc})"
    if not os.access(folder, os.W_OK):
        return f"output: {folder}: not writable on worker {host}"
    return None


def run_job(
    job: Mapping[str, Any],
    *,
    threads: int = 0,
    cancel: threading.Event | None = None,
    progress: ProgressFn | None = None,
    handed_over: float | None = None,
) -> JobResult:
    """Render one prepared job (its ``to_dict()``) and say how it went; never raises
    for a bad job (the error goes in the result), only for cancellation.

    Parameters
    ----------
    job : mapping
        ``id``, ``template``, ``clips``, ``music``, ``set``, ``output``, ``profile``.
    threads : int in [0, 64]
        x264 threads for this render (0: x264's own choice).
    cancel : threading.Event, optional
        Set it to stop the render (the result is then ``cancelled``, nothing written).
    progress : callable, optional
        ``progress(frames_done, total_frames)`` from the rendering thread.
    handed_over : float, optional
        ``time.perf_counter()`` when the job reached this process (default: now), the
        start of :attr:`JobResult.startup`.
    """
    started = handed_over if handed_over is not None else time.perf_counter()
    first_frame: list[float] = []
    base = {"id": job["id"], "output": job["output"], "origin": job.get("origin"), "worker": os.getpid()}

    def report(p: Any) -> None:
        if not first_frame:
            first_frame.append(time.perf_counter() - started)
        if progress is not None:
            progress(p.frames_done, p.total_frames)

    try:
        problem = check_storage(job)
        if problem is not None:
            return JobResult(status="failed", error=problem, elapsed=time.perf_counter() - started, **base)
        from ..render.profiles import get_profile
        from ..template import load_template

        template = load_template(job["template"], overrides=dict(job.get("set") or {}))
        edit = template.build(dict(job.get("clips") or {}), music=job.get("music"))
        profile = get_profile(job["profile"]) if job.get("profile") else template.profile()
        if threads:
            profile = profile.with_options(threads=threads)
        rendered = edit.render(job["output"], profile=profile, progress=report, cancel=cancel, keep_metadata=template.keep_metadata)
        digest = file_sha256(rendered.path)
    except RenderCancelled:
        return JobResult(status="cancelled", error="cancelled before it finished; nothing written", elapsed=time.perf_counter() - started, **base)
    except ClipkitError as exc:
        return JobResult(status="failed", error=_one_line(str(exc)), elapsed=time.perf_counter() - started, **base)
    except Exception as exc:  # noqa: BLE001 - one job's bug must not take the batch down
        return JobResult(status="failed", error=f"internal error: {type(exc).__name__}: {_one_line(str(exc))}", elapsed=time.perf_counter() - started, **base)
    return JobResult(
        status="ok",
        frames=rendered.frames,
        duration=rendered.duration,
        elapsed=time.perf_counter() - started,
        sha256=digest,
        startup=first_frame[0] if first_frame else None,
        **base,
    )


def warm_up() -> float:
    """Pay a worker's one-time costs before its first job: the imports and the effect
    registry (every effect module). Returns the seconds spent.

    numba kernels and colour cubes are not loaded here: they load on first use, once per
    worker (kernels from numba's disk cache, cubes from the user cache folder), so a
    worker whose jobs' looks need no kernel never loads numba and LLVM (about 130 MB of
    RSS and a second or two of CPU per worker, which loading every effect's kernels up
    front spent on kernels most templates never run).

    The objects alive after it are then frozen out of the garbage collector
    (:func:`gc.freeze`): they live as long as the worker, and :func:`after_job`'s
    collection only walks what the jobs made."""
    started = time.perf_counter()
    import clipkit  # noqa: F401
    from .. import template  # noqa: F401
    from ..effects.registry import effect_ids
    from ..render import executor  # noqa: F401

    try:
        effect_ids()
    except Exception:  # noqa: BLE001 - a plugin that fails here fails in its own job, with its message
        import logging

        logging.getLogger(__name__).warning("effect registry failed to load; effects load on first use", exc_info=True)
    _freeze_heap()
    return time.perf_counter() - started


def _freeze_heap() -> None:
    """Collect what warm-up left behind, then keep its survivors (modules, compiled
    kernels, registries: most of the process's objects) out of every later garbage
    collection (:func:`gc.freeze`), so that :func:`after_job` collects a job's
    reference cycles in ~2 ms instead of ~0.3 s."""
    gc.collect()
    gc.freeze()


_trim: list[Any] = []


def after_job(*, trim: bool = True) -> float:
    """Free a finished job's memory before the next one: collect its reference cycles,
    then (``trim``) give the heap pages freed back to the system (:func:`trim_heap`).
    Returns the seconds spent (~2-5 ms in a warm worker).

    Why the collection: a render leaves some garbage in reference cycles (a plug-in's, or
    a sticker sprite that once cached itself: ~4.7 MB a job for the bench's bouncing
    sticker), and CPython frees cycles only in a full collection, which a warm worker's
    large heap makes rare: over 100 jobs the uncollected sprites piled up (+0.4 MB a job,
    while tracemalloc, which changes when collections run, saw none of it). With the
    warm-up's objects frozen (:func:`warm_up`), collecting after each job costs ~2 ms
    instead of the ~0.3 s a full collection of the heap took.

    Why the trim after every job, and not only when the worker is idle: without it the
    next render reuses the freed heap only in part, and a worker's peak grows job after
    job (measured on the bench's 1080x1920 jobs, one process, 2 x264 threads: peaks 507,
    533, 643, 721 MB over four jobs without the trim, 507, 526, 558, 565 MB with it). The
    trim costs the next job its page faults (30,000-56,000 more minor faults, ~1 CPU-s or
    7% of a job, against 10,000-11,000 without), which the peak is worth.
    """
    started = time.perf_counter()
    gc.collect()  # a job's reference cycles, before the trim hands their pages back
    if trim:
        trim_heap()
    return time.perf_counter() - started


def trim_heap() -> bool:
    """Hand the heap pages freed inside the process back to the system (glibc's
    ``malloc_trim``): a render allocates hundreds of megabytes of frame planes, decoder
    and encoder buffers from several threads, and freed, most of it stays inside the heap
    as free chunks between live ones. Returns whether anything was trimmed (always
    ``False`` off glibc, where it does nothing)."""
    if not _trim:
        trim = None
        if sys.platform.startswith("linux"):
            try:
                trim = getattr(ctypes.CDLL(None), "malloc_trim", None)  # absent on musl
            except OSError:
                trim = None
            if trim is not None:
                trim.argtypes = (ctypes.c_size_t,)
                trim.restype = ctypes.c_int
        _trim.append(trim)
    return bool(_trim[0] is not None and _trim[0](0))


def _one_line(text: str) -> str:
    return " ".join(text.split())
