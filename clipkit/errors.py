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
    "BatchError",
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


class BatchError(ClipkitError, ValueError):
    """A batch file or a job in it is malformed; the message starts with where.

    Parameters
    ----------
    message : str
        What is wrong, e.g. ``"/data/a.mp4: file not found"``.
    origin : str, optional
        The batch file and line, e.g. ``"jobs.jsonl:13"``.
    field : str, optional
        The field path in the job, e.g. ``"clips.intro"``.
    """

    def __init__(self, message: str, *, origin: str | None = None, field: str | None = None) -> None:
        self.origin = origin
        self.field = field
        self.detail = message
        full = message if field is None else f"{field}: {message}"
        if origin is not None:
            full = f"{origin}: {full}"
        super().__init__(full)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_batch_error, (self.detail, self.origin, self.field))


def _rebuild_batch_error(message: str, origin: str | None, field: str | None) -> BatchError:
    return BatchError(message, origin=origin, field=field)


class FontError(ClipkitError, LookupError):
    """A font is missing, or no installed font covers a script in the text."""


class PluginError(ClipkitError, ImportError):
    """A third-party effect or preset could not be loaded."""


class RenderCancelled(ClipkitError):
    """The render was cancelled (through its cancel event or by an interrupt)."""


def describe_value(value: object) -> str:
    """Quote a value for an error message, shortening long reprs."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
