"""Registries: one per kind of plug-in, all of the same shape.

Every way to extend clipkit is a :class:`Registry`: effects, transitions, fit modes,
layouts, template sections and audio processors. Each registry

- knows its built-ins by name without importing them (a table of ``"module:attr"``
  strings, loaded on first use, so naming a fit mode costs no import of the renderer);
- discovers third-party plug-ins through its entry-point group ``clipkit.<kind>``
  (``pyproject.toml``: ``[project.entry-points."clipkit.transitions"] ripple =
  "mypkg.ripple:Ripple"``) and through :meth:`Registry.register` at run time;
- validates what is registered (the registry's ``check``), refusing a name already
  taken by another plug-in, and records a plug-in that fails to load instead of
  failing the others (:meth:`Registry.failures`, shown by the CLI's listings);
- answers :meth:`Registry.get` with the registered value, or with a
  :class:`~clipkit.errors.ParameterError` that quotes the name and suggests close ones.

The registries themselves are the module-level instances at the bottom of this file,
so every extension point can be found in one place.
"""

from __future__ import annotations

import difflib
import importlib
import logging
import threading
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .errors import ParameterError, PluginError, describe_value

__all__ = [
    "PluginFailure",
    "Registry",
    "REGISTRIES",
    "FIT_MODES",
    "TRANSITIONS",
    "LAYOUTS",
    "TEMPLATE_SECTIONS",
    "AUDIO_PROCESSORS",
    "load_object",
]

T = TypeVar("T")

log = logging.getLogger("clipkit.plugins")


@dataclass(frozen=True, slots=True)
class PluginFailure:
    """A plug-in that could not be loaded or registered.

    Attributes
    ----------
    name : str
        The plug-in's name (entry point, id or file stem).
    source : str
        Where it came from (``builtin``, ``entry point NAME = VALUE``, a path).
    message : str
        One-line reason.
    details : str
        The traceback, for ``--debug`` listings.
    """

    name: str
    source: str
    message: str
    details: str = ""

    def __str__(self) -> str:
        return f"{self.name} ({self.source}): {self.message}"


def load_object(spec: str) -> Any:
    """Import ``"package.module:attribute"`` (or a plain module path) and return it."""
    module_name, _, attr = spec.partition(":")
    module = importlib.import_module(module_name)
    if not attr:
        return module
    obj: Any = module
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


Check = Callable[[str, Any], Any]
"""``check(name, value) -> value``: validates (and may normalize) what is registered;
raises :class:`PluginError` or ``ValueError``/``TypeError`` to refuse it."""

Adapt = Callable[[str, Any], Iterable[tuple[str, Any]]]
"""``adapt(entry_point_name, loaded_object) -> [(name, value), ...]``: how an entry point's
object becomes registrations (default: one registration under the entry point's name)."""


class Registry(Generic[T]):
    """The plug-ins of one kind.

    Parameters
    ----------
    kind : str
        Singular name used in messages (``"fit mode"``).
    group : str
        Entry-point group third-party packages declare plug-ins in (``clipkit.fit_modes``).
    builtins : mapping of str to str, optional
        Built-in name -> ``"module:attribute"``, imported the first time that name is
        asked for.
    loaders : sequence of callable, optional
        ``loader(registry)`` functions that register plug-ins in bulk on first full use
        (the built-in effects package scan, effect folders).
    check : callable, optional
        Validates each registration; see :data:`Check`.
    adapt : callable, optional
        Turns an entry point's object into registrations; see :data:`Adapt`.
    hint : str, optional
        Where users see the list (added to "not registered" messages).
    unknown : str
        The start of the message for a name nothing has (``{value}`` is the quoted name).
    """

    def __init__(
        self,
        kind: str,
        *,
        group: str,
        builtins: Mapping[str, str] | None = None,
        loaders: Sequence[Callable[[Registry[T]], None]] = (),
        check: Check | None = None,
        adapt: Adapt | None = None,
        hint: str = "",
        unknown: str = "",
    ) -> None:
        self.kind = kind
        article = "an" if kind[:1] in "aeiou" else "a"
        self._unknown = unknown or f"{{value}} is not {article} {kind}"
        self.group = group
        self._builtins = dict(builtins or {})
        self._loaders = tuple(loaders)
        self._check = check
        self._adapt = adapt
        self._hint = hint
        self._lock = threading.RLock()
        self._values: dict[str, T] = {}
        self._sources: dict[str, str] = {}
        self._failures: list[PluginFailure] = []
        self._entry_points: dict[str, Any] | None = None
        self._loaded = False

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, group={self.group!r})"

    # -- registering -------------------------------------------------------------------
    def register(self, name: str, value: T | None = None, *, source: str = "python") -> Any:
        """Register ``value`` under ``name``; without ``value``, return a decorator.

        Parameters
        ----------
        name : str
            Name users write (in the API, templates and the CLI).
        value : object, optional
            The plug-in (a class, a factory function...).
        source : str
            Where it comes from, shown in listings and conflicts.

        Raises
        ------
        PluginError
            When the check refuses it or another plug-in has the name.
        """
        if value is None:
            def decorator(obj: T) -> T:
                self.register(name, obj, source=source)
                return obj

            return decorator
        if not isinstance(name, str) or not name.strip():
            raise PluginError(f"{self.kind}: {describe_value(name)} is not a name")
        if self._check is not None:
            try:
                value = self._check(name, value)
            except PluginError:
                raise
            except (ValueError, TypeError) as exc:
                raise PluginError(f"{self.kind} {name!r} from {source}: {exc}") from None
        with self._lock:
            taken = self._sources.get(name)
            if taken is not None and taken != source and not _same_plugin(self._values[name], value):
                raise PluginError(f"{self.kind} {name!r} from {source} is already registered by {taken}")
            self._values[name] = value  # type: ignore[assignment]
            self._sources[name] = source
        return value

    def fail(self, name: str, source: str, exc: BaseException) -> None:
        """Record that plug-in ``name`` from ``source`` failed with ``exc`` (loaders use it)."""
        message = str(exc) if isinstance(exc, PluginError) else f"{type(exc).__name__}: {exc}"
        failure = PluginFailure(name, source, " ".join(message.split()), traceback.format_exc())
        with self._lock:
            self._failures.append(failure)
        log.warning("%s plug-in %s failed to load: %s", self.kind, name, failure.message)

    # -- discovery -----------------------------------------------------------------------
    def _discover_entry_points(self) -> dict[str, Any]:
        if self._entry_points is None:
            import importlib.metadata

            try:
                points = importlib.metadata.entry_points(group=self.group)
            except Exception as exc:  # noqa: BLE001 - broken metadata must not break clipkit
                self.fail(self.group, "entry points", exc)
                points = ()
            self._entry_points = {ep.name: ep for ep in sorted(points, key=lambda e: e.name)}
        return self._entry_points

    def _load_builtin(self, name: str) -> bool:
        spec = self._builtins.get(name)
        if spec is None or name in self._values:
            return name in self._values
        try:
            obj = load_object(spec)
        except Exception as exc:  # noqa: BLE001 - a broken built-in is reported, not fatal
            self.fail(name, "builtin", exc)
            return False
        if name not in self._values:  # importing the module may have registered it
            try:
                self.register(name, obj, source="builtin")
            except PluginError as exc:
                self.fail(name, "builtin", exc)
                return False
        return True

    def _load_entry_point(self, ep: Any) -> None:
        source = f"entry point {ep.name} = {ep.value}"
        try:
            obj = ep.load()
        except Exception as exc:  # noqa: BLE001 - a plug-in's own bug
            self.fail(ep.name, source, exc)
            return
        try:
            pairs = list(self._adapt(ep.name, obj)) if self._adapt is not None else [(ep.name, obj)]
        except (PluginError, ValueError, TypeError) as exc:
            self.fail(ep.name, source, exc)
            return
        for name, value in pairs:
            try:
                self.register(name, value, source=source)
            except PluginError as exc:
                self.fail(name, source, exc)

    def load_all(self) -> None:
        """Load every built-in, loader and entry point (once; thread-safe)."""
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            for name in self._builtins:
                self._load_builtin(name)
            for loader in self._loaders:
                try:
                    loader(self)
                except Exception as exc:  # noqa: BLE001
                    self.fail(getattr(loader, "__name__", "loader"), "loader", exc)
            for ep in self._discover_entry_points().values():
                if ep.name not in self._values:
                    self._load_entry_point(ep)
            self._loaded = True

    def reload(self) -> None:
        """Forget every registration and failure, then load them again."""
        with self._lock:
            for loader in self._loaders:
                forget = getattr(loader, "forget", None)
                if forget is not None:
                    forget()
            self._values.clear()
            self._sources.clear()
            self._failures.clear()
            self._entry_points = None
            self._loaded = False
        self.load_all()

    # -- asking ------------------------------------------------------------------------
    def names(self) -> tuple[str, ...]:
        """Every name without importing any plug-in (built-ins by table, entry points by
        their declared names): built-ins first in their documented order, then the others
        as they were registered."""
        with self._lock:
            if self._loaders and not self._loaded:
                self.load_all()
            found = dict.fromkeys([*self._builtins, *self._values, *self._discover_entry_points()])
        return tuple(found)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self.names()

    def get(self, name: str) -> T:
        """The plug-in registered as ``name``.

        Raises
        ------
        ParameterError
            When nothing has that name (the message suggests close names) or the
            plug-in failed to load (the message says why).
        """
        if isinstance(name, str):
            with self._lock:
                if name in self._values:
                    return self._values[name]
                if name in self._builtins and self._load_builtin(name):
                    return self._values[name]
                if self._loaders and not self._loaded:
                    self.load_all()
                elif name in self._discover_entry_points() and name not in self._values:
                    self._load_entry_point(self._discover_entry_points()[name])
                if name in self._values:
                    return self._values[name]
        failed = [f for f in self._failures if f.name == name]
        if failed:
            raise ParameterError(f"{self.kind} {name!r} failed to load: {failed[0].message}")
        close = difflib.get_close_matches(str(name), list(self.names()), n=3)
        raise ParameterError(
            self._unknown.format(value=describe_value(name))
            + (f"; did you mean {', '.join(close)}?" if close else f"; use one of {', '.join(self.names())}")
            + (f" (see {self._hint})" if self._hint else "")
        )

    def items(self) -> list[tuple[str, T]]:
        """``(name, plug-in)`` pairs of every loaded plug-in, in :meth:`names` order."""
        self.load_all()
        return [(name, self._values[name]) for name in self.names() if name in self._values]

    def source_of(self, name: str) -> str:
        """Where ``name`` was registered from (``builtin``, an entry point, a path)."""
        self.get(name)
        return self._sources.get(name, "?")

    def values(self) -> list[T]:
        """Every loaded plug-in, in :meth:`names` order."""
        return [value for _, value in self.items()]

    def failures(self) -> list[PluginFailure]:
        """Plug-ins that failed to load (empty when all is well)."""
        self.load_all()
        return list(self._failures)


def _same_plugin(a: Any, b: Any) -> bool:
    """Re-registering the same thing (a module imported twice, an instance of the same class)."""
    return a is b or (type(a) is type(b) and not isinstance(a, type) and getattr(a, "__dict__", None) == getattr(b, "__dict__", None))


def _callable(kind: str) -> Check:
    def check(name: str, value: Any) -> Any:
        if not callable(value):
            raise PluginError(f"{kind} {name!r}: {describe_value(value)} is not callable")
        return value

    return check


# -- the registries ----------------------------------------------------------------------
FIT_MODES: Registry[Callable[..., Any]] = Registry(
    "fit mode",
    group="clipkit.fit_modes",
    builtins={
        "cover": "clipkit.render.fit:cover_fit",
        "contain": "clipkit.render.fit:contain_fit",
        "blur": "clipkit.render.fit:blur_fit",
        "stretch": "clipkit.render.fit:stretch_fit",
        "center": "clipkit.render.fit:center_fit",
        "smart": "clipkit.reframe:smart_fit",
    },
    check=_callable("fit mode"),
)
"""How a clip fills its frame: ``factory(geometry: FitGeometry) -> (frame -> Frame)``."""

TRANSITIONS: Registry[Any] = Registry(
    "transition",
    group="clipkit.transitions",
    loaders=(lambda registry: load_object("clipkit.transitions:_register_builtins")(registry),),
    check=lambda name, value: load_object("clipkit.transitions:_check_kind")(name, value),
    hint="clipkit.transition_names()",
)
"""Transitions between shots: :class:`clipkit.transitions.TransitionKind` (a factory and its options)."""

LAYOUTS: Registry[Callable[..., Any]] = Registry(
    "layout",
    group="clipkit.layouts",
    builtins={
        "duet": "clipkit.layouts:duet",
        "grid": "clipkit.layouts:grid",
        "pip": "clipkit.layouts:pip",
        "green_screen": "clipkit.layouts:green_screen",
    },
    check=_callable("layout"),
)
"""Layouts: functions of clips returning one composite clip."""

TEMPLATE_SECTIONS: Registry[Any] = Registry(
    "template section",
    group="clipkit.template_sections",
    loaders=(lambda registry: load_object("clipkit.template.sections:register_builtins")(registry),),
    check=lambda name, value: load_object("clipkit.template.sections:check")(name, value),
    adapt=lambda name, obj: load_object("clipkit.template.sections:adapt")(name, obj),
)
"""Template keys beyond the core: :class:`clipkit.template.sections.Section` (``"cuts"``)
and :class:`~clipkit.template.sections.ShotKey` (``"shots[].effects"``)."""

AUDIO_PROCESSORS: Registry[Callable[..., Any]] = Registry(
    "audio processor",
    group="clipkit.audio_processors",
    builtins={"finishing": "clipkit.audio.finishing:install_finishing"},
    check=_callable("audio processor"),
)
"""Functions ``install(mixer, plan)`` that add bus or master processors to every render's
mixer (ducking and loudness are the built-in ``finishing``)."""

REGISTRIES: dict[str, Registry[Any]] = {
    "fit_modes": FIT_MODES,
    "transitions": TRANSITIONS,
    "layouts": LAYOUTS,
    "template_sections": TEMPLATE_SECTIONS,
    "audio_processors": AUDIO_PROCESSORS,
}
"""Every registry by entry-point suffix (effects join it from :mod:`clipkit.effects.registry`)."""
