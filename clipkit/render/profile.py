"""Where a render's time goes: a per-stage profile (``render(..., profile_stages=True)``).

Every stage of the pipeline is timed in the thread that runs it, with both clocks:

- **CPU** (``time.thread_time``): what the stage takes from the machine's cores. On two
  cores x264 already fills, this is the figure that shows in the wall time.
- **wall** (``time.perf_counter``): how long the calling thread spent in it, waits included
  (a decode that waits for FFmpeg's frame threads, the encoder waiting for frames).

Stages: ``decode`` per source, ``fit`` per shot, each effect of a chain (merged luma
tables share their pass), ``transition``, ``edit effects``, each overlay, ``encode``
(handing frames to x264), ``audio`` (mixing, finishing, AAC), and the two queue waits.
FFmpeg's decoder threads and x264's frame threads are not Python threads: their CPU is
what the process spent beyond the measured stages, reported as ``codec threads``.
"""

from __future__ import annotations

import resource
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

__all__ = ["StageProfiler", "StageProfile", "StageRow"]


def _process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True, slots=True)
class StageRow:
    """One stage of a profiled render.

    Attributes
    ----------
    name : str
        The stage (``decode a.mp4``, ``effect contrast``, ``encode``...).
    cpu_ms : float
        CPU milliseconds per output frame, in the thread that ran it.
    wall_ms : float
        Wall milliseconds per output frame spent in it by that thread.
    wall_share : float
        ``wall`` over the render's wall time, in [0, 1] (stages of different threads
        overlap, so shares do not add up to 1).
    calls : int
        How many times it ran.
    """

    name: str
    cpu_ms: float
    wall_ms: float
    wall_share: float
    calls: int


@dataclass(frozen=True, slots=True)
class StageProfile:
    """A render's stages, with the process totals they are part of.

    Attributes
    ----------
    rows : tuple of StageRow
        The stages, in pipeline order.
    frames : int
        Output frames.
    wall : float
        Seconds the render took.
    cpu : float
        CPU seconds the whole process spent during it (every thread).
    """

    rows: tuple[StageRow, ...]
    frames: int
    wall: float
    cpu: float

    @property
    def cpu_ms_per_frame(self) -> float:
        """Process CPU milliseconds per output frame."""
        return 1000.0 * self.cpu / max(1, self.frames)

    def row(self, name: str) -> StageRow | None:
        """The row called ``name``, if any."""
        return next((r for r in self.rows if r.name == name), None)

    def table(self) -> str:
        """The profile as a text table (what ``clipkit render --stats`` prints)."""
        lines = [
            f"{self.frames} frames in {self.wall:.2f} s ({self.frames / self.wall if self.wall > 0 else 0:.1f} fps), "
            f"process CPU {self.cpu:.2f} s = {self.cpu_ms_per_frame:.1f} ms/frame",
        ]
        width = max([len("stage"), *(len(r.name) for r in self.rows)])
        lines.append(f"{'stage':{width}} {'CPU ms/frame':>13} {'wall ms/frame':>14} {'% of wall':>10} {'calls':>7}")
        for r in self.rows:
            lines.append(f"{r.name:{width}} {r.cpu_ms:13.2f} {r.wall_ms:14.2f} {100 * r.wall_share:9.1f}% {r.calls:7d}")
        return "\n".join(lines)


_PIPELINE = ("plan", "decode", "fit", "effect", "node", "transition", "overlay", "queue", "encode", "audio")


def _pipeline_order(name: str) -> int:
    """Pipeline position of a stage name (unknown names last)."""
    return next((k for k, prefix in enumerate(_PIPELINE) if name.startswith(prefix)), len(_PIPELINE))


class StageProfiler:
    """Collects stage times from every thread of one render (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stages: dict[str, list[float]] = {}  # name -> [cpu, wall, calls]
        self._sources: list[Callable[[], list[tuple[str, float, int]]]] = []
        self._started = time.perf_counter()
        self._cpu0 = _process_cpu()

    def add(self, name: str, cpu: float, wall: float, calls: int = 1) -> None:
        """Add ``cpu`` and ``wall`` seconds (and ``calls``) to stage ``name``."""
        with self._lock:
            entry = self._stages.setdefault(name, [0.0, 0.0, 0])
            entry[0] += cpu
            entry[1] += wall
            entry[2] += calls

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the block as stage ``name``."""
        cpu, wall = time.thread_time(), time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.thread_time() - cpu, time.perf_counter() - wall)

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        """``fn`` timed as stage ``name`` on every call."""

        def timed(*args: Any, **kwargs: Any) -> Any:
            cpu, wall = time.thread_time(), time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.add(name, time.thread_time() - cpu, time.perf_counter() - wall)

        return timed

    def collect_later(self, source: Callable[[], list[tuple[str, float, int]]]) -> None:
        """Register ``source() -> [(name, cpu seconds, calls), ...]``, read when the render
        ends (the per-effect times a bound effect chain keeps itself)."""
        with self._lock:
            self._sources.append(source)

    def finish(self, frames: int) -> StageProfile:
        """The profile of the render that just ended with ``frames`` output frames."""
        wall = time.perf_counter() - self._started
        cpu = _process_cpu() - self._cpu0
        for source in self._sources:
            for name, seconds, calls in source():
                self.add(name, seconds, seconds, calls)
        n = max(1, frames)
        rows = [
            StageRow(name, 1000.0 * c / n, 1000.0 * w / n, w / wall if wall > 0 else 0.0, int(k))
            for name, (c, w, k) in sorted(self._stages.items(), key=lambda item: _pipeline_order(item[0]))
        ]
        measured = sum(c for c, _, _ in self._stages.values())
        rows.append(StageRow("codec threads (FFmpeg decode, x264)", 1000.0 * max(0.0, cpu - measured) / n, 0.0, 0.0, 0))
        return StageProfile(tuple(rows), frames, wall, cpu)
