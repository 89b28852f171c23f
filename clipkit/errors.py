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
    "ClipkitDeprecationWarning",
    "renamed",
    "check_within",
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


_UNSET: Any = object()


class ParameterError(ClipkitError, ValueError):
    """A value given to the API is out of range or of the wrong kind.

    Parameters
    ----------
    message : str
        The whole message, e.g. ``"trim.start: -1 is below 0"``.
    field : str, optional
        The parameter's path (``"trim.start"``, ``"canvas.width"``), so callers such as
        the template loader can place the error without reading the message.
    value : object, optional
        The value refused.
    allowed : str, optional
        What is allowed, in words (``">= 0"``, ``"one of cover, contain"``).
    """

    def __init__(self, message: str, *, field: str | None = None, value: Any = _UNSET, allowed: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.value = None if value is _UNSET else value
        self.has_value = value is not _UNSET
        self.allowed = allowed

    @property
    def detail(self) -> str:
        """The message without its leading ``field: `` (when the field is known)."""
        text = str(self)
        prefix = f"{self.field}: "
        return text[len(prefix) :] if self.field and text.startswith(prefix) else text

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_parameter_error, (type(self), str(self), self.field, self.value if self.has_value else _UNSET, self.allowed))


def _rebuild_parameter_error(cls: type, message: str, field: str | None, value: Any, allowed: str | None) -> ParameterError:
    return cls(message, field=field, value=value, allowed=allowed)


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
    value : object, optional
        The value refused.
    allowed : str, optional
        What is allowed, in words.
    problems : sequence of TemplateError, optional
        Every problem found when several were (``template validate`` lists them all);
        this error is the first of them.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | os.PathLike[str] | None = None,
        field: str | None = None,
        value: Any = _UNSET,
        allowed: str | None = None,
        problems: Any = (),
    ) -> None:
        self.path = os.fspath(path) if path is not None else None
        self.field = field
        self.detail = message
        self.value = None if value is _UNSET else value
        self.has_value = value is not _UNSET
        self.allowed = allowed
        self.problems: tuple[TemplateError, ...] = tuple(problems) or (self,)
        full = message if field is None else f"{field}: {message}"
        if self.path is not None:
            full = f"{self.path}: {full}"
        ValueError.__init__(self, full)

    @property
    def errors(self) -> list[tuple[str | None, str]]:
        """``(field, message)`` of every problem, in document order."""
        return [(p.field, p.detail) for p in self.problems]

    def __reduce__(self) -> tuple[Any, ...]:
        value = self.value if self.has_value else _UNSET
        problems = () if self.problems == (self,) else self.problems
        return (_rebuild_template_error, (self.detail, self.path, self.field, value, self.allowed, problems))


def _rebuild_template_error(message: str, path: str | None, field: str | None, value: Any = _UNSET, allowed: str | None = None, problems: Any = ()) -> TemplateError:
    return TemplateError(message, path=path, field=field, value=value, allowed=allowed, problems=problems)


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
        if errno is not None:
            super().__init__(errno, cause)  # OSError's two-argument form sets .errno
        else:
            super().__init__(cause)
        self.filename = self.path

    def __str__(self) -> str:  # OSError's own __str__ would print errno fields
        return f"{self.path}: {self.cause}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.cause, self.errno))

    @classmethod
    def from_os_error(cls, path: str | os.PathLike[str], exc: BaseException, *, doing: str = "cannot be written") -> ResourceError | None:
        """The ResourceError for an environment ``OSError`` (one of :data:`RESOURCE_ERRNOS`),
        or ``None`` for any other error. PyAV's FFmpeg errors carry the ``errno`` too.

        Parameters
        ----------
        path : str or os.PathLike
            The file the work was about (the final output, not its temporary name).
        exc : BaseException
            The error raised.
        doing : str
            What failed, e.g. ``"cannot be written"``, ``"cannot be opened"``.
        """
        import errno as errno_codes

        code = getattr(exc, "errno", None)
        if not isinstance(exc, OSError) or code not in RESOURCE_ERRNOS:
            return None
        return cls(path, f"{doing}: {RESOURCE_ERRNOS[code]} ({errno_codes.errorcode.get(code, str(code))})", code)


def _resource_errnos() -> dict[int, str]:
    import errno as errno_codes

    words = (
        ("ENOSPC", "no space left on the device"),
        ("EDQUOT", "the disk quota is used up"),
        ("EFBIG", "the file is larger than this file system or the file-size limit allows"),
        ("EROFS", "the folder is on a read-only file system"),
        ("EACCES", "permission denied"),
        ("EPERM", "operation not permitted"),
        ("EMFILE", "too many open files in this process (raise the limit: ulimit -n)"),
        ("ENFILE", "too many open files on this system"),
        ("ENOMEM", "out of memory"),
        ("EIO", "input/output error (a failing or removed drive?)"),
        ("ENODEV", "the device is gone (a removed drive?)"),
        ("ENXIO", "the device is gone (a removed drive?)"),
        ("ESTALE", "the network mount went stale"),
        ("ENOTCONN", "the mount is disconnected"),
        ("ESHUTDOWN", "the mount is disconnected"),
        ("EHOSTDOWN", "the host behind the network mount is down"),
    )
    return {code: text for name, text in words if (code := getattr(errno_codes, name, None)) is not None}


RESOURCE_ERRNOS: dict[int, str] = _resource_errnos()
"""System errors that describe the machine, not clipkit, with the words shown to users."""


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


class ClipkitDeprecationWarning(FutureWarning):
    """An old name that still works for one release (a FutureWarning, so users see it).

    Attributes
    ----------
    old, new : str
        The old and the new name.
    """

    def __init__(self, message: str, *, old: str = "", new: str = "") -> None:
        super().__init__(message)
        self.old = old
        self.new = new


def renamed(where: str, old: str, new: str) -> None:
    """Warn that ``where``'s ``old`` name is now ``new`` (the old one works until the next release)."""
    import warnings

    warnings.warn(
        ClipkitDeprecationWarning(f"{where}: {old!r} is deprecated; use {new!r} (see docs/glossary.md)", old=old, new=new),
        stacklevel=3,
    )


def check_within(field: str, value: Any, low: float, high: float, *, unit: str = "") -> float:
    """``value`` as a float when it is a finite number in ``[low, high]``.

    Raises
    ------
    ParameterError
        Naming ``field`` and the value, with ``allowed`` set to the range.
    """
    import math

    allowed = f"{low:g}..{high:g}{unit}"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
        raise ParameterError(f"{field}: {value!r} is not a number", field=field, value=value, allowed=allowed)
    if not low <= value <= high:
        raise ParameterError(f"{field}: {value!r} is outside {allowed}", field=field, value=value, allowed=allowed)
    return float(value)


def describe_value(value: object) -> str:
    """Quote a value for an error message, shortening long reprs."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
