"""Output safety: signals, temporary files and the machine's own errors.

Three jobs, all about never leaving a half-written file and never blaming the user's
machine on clipkit:

* **Signals.** SIGTERM (process managers, containers, batch systems), SIGHUP (a closed
  terminal) and SIGINT (Ctrl-C) are handled alike: :func:`handle_signals` makes each one
  raise :class:`~clipkit.errors.Interrupted` in the main thread, which unwinds the render
  (the encoder deletes its temporary file) like a ``KeyboardInterrupt`` would.
  The CLI owns the process and installs the handlers for the whole command;
  :func:`owns_signals` lets ``render()`` install them for the length of a render when
  it runs on the main thread and nobody else has claimed those signals.
* **Temporary outputs.** An output is written as ``.NAME.HOST-PID-RANDOM.part`` next to
  its final name, created exclusively and held under an advisory lock
  (:func:`claim_temporary`). A process killed with ``kill -9`` leaves that file behind;
  the next render into the folder removes it (:func:`remove_stale_parts`) once it is
  sure the owner is gone: same host, no process with that id, and the lock free.
* **Environment errors.** A full disk, a read-only or vanished folder, a denied
  permission or too many open files are the user's environment, not a bug:
  :func:`resource_error` turns such an ``OSError`` into a one-line
  :class:`~clipkit.errors.ResourceError` naming the path and the cause.
"""

from __future__ import annotations

import contextlib
import errno as errno_codes
import functools
import os
import re
import secrets
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from ..errors import RESOURCE_ERRNOS, Interrupted, ResourceError

try:  # advisory locks: POSIX only; elsewhere the process id alone decides
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "HANDLED_SIGNALS",
    "handle_signals",
    "owns_signals",
    "critical_section",
    "claim_temporary",
    "remove_stale_parts",
    "resource_error",
    "RESOURCE_ERRNOS",
]

HANDLED_SIGNALS: tuple[int, ...] = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGINT") if hasattr(signal, name)
)
"""The signals that stop a render cleanly."""

# -- environment errors ---------------------------------------------------------------------
def resource_error(path: str | os.PathLike[str], exc: BaseException, *, doing: str = "cannot be written") -> ResourceError | None:
    """The :class:`ResourceError` for an environment ``OSError``, or ``None`` for others
    (see :meth:`ResourceError.from_os_error`)."""
    return ResourceError.from_os_error(path, exc, doing=doing)


def vanished_folder_error(path: str, folder: str) -> ResourceError:
    """The error for an output folder that disappeared while writing (a removed mount)."""
    return ResourceError(path, f"cannot be written: its folder {folder} is gone (a removed drive or a lost mount?)", errno_codes.ENOENT)


# -- temporary outputs ----------------------------------------------------------------------
def _host_tag() -> str:
    host = re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:24]
    return host or "host"


_PART_RE = re.compile(r"^\.(?P<name>.+)\.(?P<host>[A-Za-z0-9]+)-(?P<pid>\d+)-[0-9a-f]{8}\.part$")


def claim_temporary(path: str) -> tuple[str, int]:
    """Create and lock the hidden temporary file a render writes before renaming.

    Parameters
    ----------
    path : str
        The final output path.

    Returns
    -------
    tmp_path : str
        ``.NAME.HOST-PID-RANDOM.part`` in the same folder (so the rename is atomic).
    lock_fd : int
        A descriptor holding an exclusive advisory lock on the file for as long as it
        is open; close it after the file is renamed or removed.

    Raises
    ------
    ResourceError
        The folder cannot be written (read-only, full, no permission, no handles left).
    """
    folder, name = os.path.split(os.path.abspath(path))
    for _ in range(8):
        tmp = os.path.join(folder, f".{name}.{_host_tag()}-{os.getpid()}-{secrets.token_hex(4)}.part")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            continue
        except OSError as exc:
            err = resource_error(path, exc)
            if err is None:
                raise
            raise err from None
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:  # file systems without locks: the process id still protects it
                pass
        return tmp, fd
    raise ResourceError(path, "cannot be written: no free temporary name in its folder")  # pragma: no cover


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    except OSError:
        return True
    return True


def remove_stale_parts(folder: str) -> list[str]:
    """Remove the temporary outputs that dead renders left in ``folder``.

    A ``.part`` file is stale when it was made on this host by a process that no
    longer exists and nobody holds its lock. Files of live renders, of other hosts
    sharing the folder, and anything clipkit did not name are left alone.

    Returns
    -------
    list of str
        The paths removed.
    """
    removed: list[str] = []
    host = _host_tag()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _PART_RE.match(entry.name)
        if match is None or match["host"] != host or _process_alive(int(match["pid"])):
            continue
        if not _lock_is_free(entry.path):
            continue
        try:
            os.unlink(entry.path)
            removed.append(entry.path)
        except OSError:  # gone already, or not ours to remove
            pass
    return removed


def _lock_is_free(path: str) -> bool:
    if fcntl is None:  # pragma: no cover - Windows
        return True
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    finally:
        os.close(fd)  # closing drops the lock we may have taken
    return True


# -- signals --------------------------------------------------------------------------------
class _SignalState:
    """Process-wide: signal handlers run in the main thread only."""

    def __init__(self) -> None:
        self.installed = 0  # nesting depth of handle_signals
        self.critical = 0  # depth of critical sections on the main thread
        self.pending: int | None = None


_STATE = _SignalState()


def _on_signal(signum: int, _frame: Any) -> None:
    if _STATE.critical:
        # the temporary file is being renamed or removed right now: finish that first
        _STATE.pending = signum
        return
    raise Interrupted(signum)


def _is_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def handle_signals() -> Iterator[None]:
    """Make SIGTERM, SIGHUP and SIGINT raise :class:`Interrupted` while inside.

    Only on the main thread (where Python runs signal handlers); elsewhere a no-op.
    The previous handlers come back on exit.
    """
    if not _is_main_thread():
        yield
        return
    previous: dict[int, Any] = {}
    for signum in HANDLED_SIGNALS:
        if signal.getsignal(signum) is signal.SIG_IGN:
            continue  # ignored on purpose by whoever started the process: leave it so
        previous[signum] = signal.signal(signum, _on_signal)
    _STATE.installed += 1
    try:
        yield
    finally:
        _STATE.installed -= 1
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


def _signals_unclaimed() -> bool:
    """True on the main thread when every handled signal still has Python's default, or
    is ignored (inherited: a background job of a shell ignores SIGINT, ``nohup`` SIGHUP)."""
    if not _is_main_thread():
        return False
    for signum in HANDLED_SIGNALS:
        handler = signal.getsignal(signum)
        if handler is signal.SIG_IGN:
            continue  # stays ignored (handle_signals skips it); the others are still ours to take
        if signum == getattr(signal, "SIGINT", None):
            if handler is not signal.default_int_handler:
                return False
        elif handler is not signal.SIG_DFL:
            return False
    return True


F = TypeVar("F", bound=Callable[..., Any])


def owns_signals(func: F) -> F:
    """Decorate a render function: handle the signals while it runs, when it may.

    When called on the main thread and the program left SIGTERM, SIGHUP and SIGINT
    at Python's defaults (or ignored, as a background job or ``nohup`` starts it: those
    stay ignored), the render takes them over for its duration. A signal then
    cancels it (the temporary output is removed), prints one line on stderr and exits
    with 128 + the signal (143, 129, 130), as the default action would have ended the
    process, but cleanly. In an interactive session SIGINT raises :class:`Interrupted`
    (a ``KeyboardInterrupt``) instead, so Ctrl-C does not end the session. A program
    with its own handlers, a render in a worker thread, or one inside the CLI keeps its
    signal policy untouched.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not _signals_unclaimed():
            return func(*args, **kwargs)
        try:
            with handle_signals():
                return func(*args, **kwargs)
        except Interrupted as exc:
            interactive = bool(sys.flags.interactive) or hasattr(sys, "ps1")
            if interactive and exc.signum == getattr(signal, "SIGINT", None):
                raise
            sys.stderr.write(f"clipkit: render stopped by {exc.signal_name}; the partial output was removed\n")
            sys.stderr.flush()
            raise SystemExit(exc.exit_code) from None

    return wrapper  # type: ignore[return-value]


@contextlib.contextmanager
def critical_section() -> Iterator[None]:
    """Hold back handled signals while a temporary file is renamed or removed.

    A signal arriving inside is raised when the section ends, so a cleanup is never cut
    half way. Only the main thread's sections count (signals are delivered there).
    """
    if not _is_main_thread() or not _STATE.installed:
        yield
        return
    _STATE.critical += 1
    try:
        yield
    finally:
        _STATE.critical -= 1
        if not _STATE.critical and _STATE.pending is not None:
            signum, _STATE.pending = _STATE.pending, None
            raise Interrupted(signum)
