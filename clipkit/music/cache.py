"""On-disk cache of analyses, keyed by file content and analysis parameters.

Entries are ``.npz`` files (no pickles) in ``<user cache dir>/clipkit/music``, or in
``$CLIPKIT_CACHE_DIR/music`` when that variable is set. The key is a BLAKE2 hash of
the file's bytes and the parameters (which include the analysis version), so a
renamed or copied song still hits and an edited one misses. Writes go to a temporary
file renamed into place, so concurrent workers never read half an entry; an entry that
cannot be read is ignored and recomputed. :func:`entry_lock` lets concurrent processes
(a batch's workers starting on the same song) analyse it once: the first computes while
the others wait, then read its entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from ..resources import user_cache_dir

__all__ = ["cache_dir", "content_key", "entry_lock", "load_entry", "store_entry"]

_HASH_CHUNK = 1 << 20
_memo: dict[tuple[str, int, int], str] = {}
_memo_lock = threading.Lock()


def cache_dir() -> Path:
    """Folder of the analysis cache (created on first write)."""
    return user_cache_dir("music")


def file_digest(path: str | os.PathLike[str]) -> str:
    """BLAKE2b digest of a file's bytes, remembered per (path, size, mtime) in-process."""
    path = os.fspath(path)
    st = os.stat(path)
    memo_key = (os.path.abspath(path), st.st_size, st.st_mtime_ns)
    with _memo_lock:
        if memo_key in _memo:
            return _memo[memo_key]
    h = hashlib.blake2b(digest_size=20)
    with open(path, "rb") as f:
        while chunk := f.read(_HASH_CHUNK):
            h.update(chunk)
    digest = h.hexdigest()
    with _memo_lock:
        if len(_memo) > 4096:
            _memo.clear()
        _memo[memo_key] = digest
    return digest


def content_key(path: str | os.PathLike[str], params: dict[str, Any]) -> str:
    """Cache key of ``path`` analysed with ``params``."""
    h = hashlib.blake2b(digest_size=20)
    h.update(file_digest(path).encode())
    h.update(json.dumps(params, sort_keys=True).encode())
    return h.hexdigest()


def load_entry(key: str, folder: Path | None = None) -> dict[str, np.ndarray] | None:
    """The stored arrays for ``key``, or ``None`` (missing or unreadable)."""
    path = (folder or cache_dir()) / f"{key}.npz"
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except (OSError, ValueError, KeyError, EOFError):
        return None
    except Exception:  # noqa: BLE001 - a corrupt zip raises zipfile errors; treat as a miss
        return None


def store_entry(key: str, arrays: dict[str, np.ndarray], folder: Path | None = None) -> None:
    """Write an entry atomically; failures (read-only disk, full disk) are ignored."""
    folder = folder or cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{key}.", suffix=".npz", dir=folder)
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **arrays)
            os.replace(tmp, folder / f"{key}.npz")
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except OSError:
        return


@contextmanager
def entry_lock(key: str, folder: Path | None = None) -> Iterator[None]:
    """Hold an exclusive lock on ``key`` across processes (POSIX ``flock``).

    Without a writable cache folder (or on a system without ``fcntl``) it holds
    nothing, and concurrent analyses of one song simply both compute it.
    """
    try:
        import fcntl
    except ImportError:  # Windows: no cross-process lock, only duplicated work
        yield
        return
    folder = folder or cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / f"{key}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
