"""The clipkit error hierarchy.

Every error clipkit raises on purpose derives from :class:`ClipkitError`, and also from
the built-in exception a Python programmer would expect (PyAV's convention), so
``except OSError`` catches an unreadable clip and ``except ValueError`` a bad parameter.
Messages name the file or field, quote the bad value and say what is allowed.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = [
    "ClipkitError",
    "MediaError",
    "ParameterError",
    "TemplateError",
    "FontError",
    "RenderCancelled",
    "PluginError",
    "ResourceError",
    "Interrupted",
]


class ClipkitError(Exception):
    """Base class of every error clipkit raises on purpose."""


class MediaError(ClipkitError, OSError):
    """A media file is missing, unreadable, corrupt or of an unsupported kind.

    Parameters
    ----------
    path : str or os.PathLike
        The file concerned.
    problem : str
        What is wrong, in words a user understands.
    """

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        self.path = os.fspath(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")

    def __str__(self) -> str:  # OSError's own __str__ would print errno fields
        return f"{self.path}: {self.problem}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.problem))


class ParameterError(ClipkitError, ValueError):
    """A value given to the API is out of range or of the wrong kind."""


class TemplateError(ClipkitError, ValueError):
    """A template file is malformed; the message starts with the file and field path.

    Parameters
    ----------
    message : str
        What is wrong, e.g. ``"shots[3].start: -1 is below 0"``.
    path : str or os.PathLike, optional
        The template file, prefixed to the message when given.
    field : str, optional
        The field path, e.g. ``"shots[3].start"``.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | os.PathLike[str] | None = None,
        field: str | None = None,
    ) -> None:
        self.path = os.fspath(path) if path is not None else None
        self.field = field
        self.detail = message
        full = message if field is None else f"{field}: {message}"
        if self.path is not None:
            full = f"{self.path}: {full}"
        super().__init__(full)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_template_error, (self.detail, self.path, self.field))


def _rebuild_template_error(message: str, path: str | None, field: str | None) -> TemplateError:
    return TemplateError(message, path=path, field=field)


class FontError(ClipkitError, LookupError):
    """A font is missing, or no installed font covers a script in the text."""


class PluginError(ClipkitError, ImportError):
    """A third-party effect or preset could not be loaded."""


class RenderCancelled(ClipkitError):
    """The render was cancelled (through its cancel event or by an interrupt)."""


class ResourceError(ClipkitError, OSError):
    """The machine refused something the work needs: disk space, a writable folder,
    permission, file handles, a mounted drive. The user's environment, not a bug.

    Parameters
    ----------
    path : str or os.PathLike
        The file or folder concerned.
    cause : str
        What the system said, in words a user understands.
    errno : int, optional
        The system error number (``errno.ENOSPC``...), also kept as ``OSError.errno``.
    """

    def __init__(self, path: str | os.PathLike[str], cause: str, errno: int | None = None) -> None:
        self.path = os.fspath(path)
        self.cause = cause
        super().__init__(errno, cause) if errno is not None else super().__init__(cause)
        self.filename = self.path

    def __str__(self) -> str:  # OSError's own __str__ would print errno fields
        return f"{self.path}: {self.cause}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.cause, self.errno))


class Interrupted(KeyboardInterrupt):
    """A signal (SIGINT, SIGTERM or SIGHUP) stopped clipkit.

    A :class:`KeyboardInterrupt`, not an :class:`Exception`, so that no ``except
    Exception`` on the way up can swallow it; the temporary output is removed on the way.

    Parameters
    ----------
    signum : int
        The signal number.

    Attributes
    ----------
    signal_name : str
        ``"SIGTERM"``, ``"SIGHUP"`` or ``"SIGINT"``.
    exit_code : int
        ``128 + signum``, the status a shell reports for the signal (143, 129, 130).
    """

    def __init__(self, signum: int) -> None:
        import signal as _signal

        self.signum = int(signum)
        try:
            self.signal_name = _signal.Signals(self.signum).name
        except ValueError:
            self.signal_name = f"signal {self.signum}"
        self.exit_code = 128 + self.signum
        super().__init__(f"stopped by {self.signal_name}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.signum,))


def describe_value(value: object) -> str:
    """Quote a value for an error message, shortening long reprs."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
