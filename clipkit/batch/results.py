"""Job results and the manifest (``OUTDIR/manifest.jsonl``) a batch appends to.

Each finished job appends one JSON line, flushed and fsynced before the next job is
reported, so a batch killed at any moment loses nothing that was done: ``--resume``
skips the jobs whose line says ``ok`` and whose output still has that sha256.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from ..errors import BatchError

__all__ = ["JobResult", "BatchProgress", "RunningJob", "Manifest", "read_manifest", "file_sha256", "STATUSES"]

STATUSES = ("ok", "failed", "invalid", "skipped", "cancelled")
"""``ok`` rendered; ``failed`` the render raised or its worker died; ``invalid`` refused
by validation; ``skipped`` done in an earlier run (resume); ``cancelled`` stopped by a
cancel or signal before it finished (nothing written)."""


@dataclass(frozen=True)
class JobResult:
    """What became of one job.

    Attributes
    ----------
    id : str
        The job's id.
    status : str
        One of ``ok``, ``failed``, ``invalid``, ``skipped``, ``cancelled``.
    output : str
        The output path (written only when ``ok`` or ``skipped``).
    frames : int
        Frames rendered.
    duration : float
        Seconds of video.
    elapsed : float
        Wall seconds the job took in its worker.
    error : str or None
        Why it failed, in one line.
    sha256 : str or None
        Hex digest of the output file.
    origin : str or None
        Where the job was written (``jobs.jsonl:13``).
    startup : float or None
        Seconds from the job reaching its worker to its first frame encoded (template
        load, build, plan, first decode and effects): the per-job overhead.
    worker : int or None
        Process id of the worker that ran it.
    """

    id: str
    status: str
    output: str
    frames: int = 0
    duration: float = 0.0
    elapsed: float = 0.0
    error: str | None = None
    sha256: str | None = None
    origin: str | None = None
    startup: float | None = None
    worker: int | None = None

    @property
    def ok(self) -> bool:
        """Rendered now or in an earlier run."""
        return self.status in ("ok", "skipped")

    def to_dict(self) -> dict[str, Any]:
        """Plain data (one manifest line)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JobResult:
        """Read one back (unknown keys from newer versions are ignored)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class RunningJob:
    """A job being rendered: its id and frames encoded so far."""

    id: str
    frames_done: int
    total_frames: int


@dataclass(frozen=True)
class BatchProgress:
    """A batch progress report (what ``clipkit batch`` draws).

    Attributes
    ----------
    total : int
        Jobs to run in this batch (valid, not skipped).
    finished : int
        Jobs finished, whatever their status.
    failed : int
        Of those, jobs that failed.
    running : tuple of RunningJob
        Jobs being rendered now, with their frames.
    elapsed : float
        Seconds since the batch started.
    eta : float or None
        Estimated seconds left (``None`` before the first job finishes).
    """

    total: int
    finished: int
    failed: int
    running: tuple[RunningJob, ...]
    elapsed: float
    eta: float | None


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


class Manifest:
    """An append-only JSONL record of finished jobs, durable line by line.

    Parameters
    ----------
    path : str or os.PathLike
        The manifest file (created with its folder when missing).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # O_APPEND: every line goes at the end even if two batches share the file
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            raise BatchError(f"{self.path}: the manifest cannot be written ({exc.strerror or exc})") from None

    def append(self, result: JobResult) -> None:
        """Write one line and make it durable (flush + fsync) before returning."""
        line = (json.dumps(result.to_dict(), ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
        with self._lock:
            os.write(self._fd, line)
            os.fsync(self._fd)

    def close(self) -> None:
        """Close the file (idempotent)."""
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1

    def __enter__(self) -> Manifest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_manifest(path: str | os.PathLike[str]) -> dict[str, JobResult]:
    """The last record of each job id in a manifest (a missing file reads as empty).

    A torn last line (the process was killed while writing it) is ignored.
    """
    out: dict[str, JobResult] = {}
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return out
    except OSError as exc:
        raise BatchError(f"{path}: the manifest cannot be read ({exc.strerror or exc})") from None
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            result = JobResult.from_dict(data)
        except (json.JSONDecodeError, TypeError):
            continue
        out[result.id] = result
    return out


def done_before(previous: dict[str, JobResult], job_id: str, output: str) -> JobResult | None:
    """The earlier ``ok`` record of a job whose output is still there, unchanged."""
    record = previous.get(job_id)
    if record is None or record.status != "ok" or not record.sha256:
        return None
    if os.path.abspath(record.output) != os.path.abspath(output) or not os.path.isfile(output):
        return None
    try:
        if file_sha256(output) != record.sha256:
            return None
    except OSError:
        return None
    return record


def summarize(results: Iterable[JobResult]) -> dict[str, int]:
    """Count of results per status."""
    counts = {status: 0 for status in STATUSES}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    return counts
