"""The effect registry: built-ins, entry-point plugins and effect folders.

Effects are found on first use, in this order:

1. the built-in effects, one module per effect in :mod:`clipkit.builtin_effects`
   (the repository's ``effects/`` folder);
2. the entry-point group ``clipkit.effects``: each entry point names a module (every
   :class:`Effect` subclass defined in it registers), an :class:`Effect` subclass, or a
   list of them;
3. every ``*.py`` file (not starting with ``_``) in the folders listed in the
   ``CLIPKIT_EFFECTS_PATH`` environment variable (separated like ``PATH``).

A plugin that fails to import, declares something inconsistent or reuses a taken id is
skipped and recorded with its error (:func:`plugin_errors`, shown by ``clipkit effects
list``); the other plugins load as usual.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.metadata
import importlib.util
import logging
import os
import pkgutil
import sys
import threading
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from ..errors import ParameterError, PluginError, describe_value
from .base import Effect, EffectNode
from .params import ParamValue

__all__ = [
    "ENTRY_POINT_GROUP",
    "PATH_VARIABLE",
    "PluginFailure",
    "register",
    "get",
    "effect_ids",
    "effects",
    "source_of",
    "plugin_errors",
    "reload",
    "create",
]

ENTRY_POINT_GROUP = "clipkit.effects"
PATH_VARIABLE = "CLIPKIT_EFFECTS_PATH"

log = logging.getLogger("clipkit.effects")


@dataclass(frozen=True, slots=True)
class PluginFailure:
    """A plugin that did not load.

    Attributes
    ----------
    name : str
        The entry point, file or effect concerned.
    source : str
        Where it came from (``builtin``, ``entry point ...``, a file path).
    message : str
        What went wrong, one line.
    details : str
        The traceback, for ``--debug``.
    """

    name: str
    source: str
    message: str
    details: str = ""

    def __str__(self) -> str:
        return f"{self.name} ({self.source}): {self.message}"


_lock = threading.RLock()
_effects: dict[str, Effect] = {}
_sources: dict[str, str] = {}
_failures: list[PluginFailure] = []
_loaded = False


def register(cls: type[Effect], *, source: str = "python") -> type[Effect]:
    """Register an effect class (usable as a class decorator).

    Parameters
    ----------
    cls : type
        An :class:`Effect` subclass.
    source : str
        Where it comes from, shown by ``clipkit effects list``.

    Raises
    ------
    PluginError
        When the declaration is inconsistent or the id is taken.
    """
    if not (isinstance(cls, type) and issubclass(cls, Effect)):
        raise PluginError(f"register: {cls!r} is not an Effect subclass")
    try:
        cls.check_declaration()
    except ValueError as exc:
        raise PluginError(f"effect {getattr(cls, 'id', cls.__name__)!r}: {exc}") from None
    with _lock:
        taken = _sources.get(cls.id)
        if taken is not None and type(_effects[cls.id]) is not cls:
            raise PluginError(f"effect {cls.id!r} from {source} is already registered by {taken}")
        _effects[cls.id] = cls()
        _sources[cls.id] = source
    return cls


def _effect_classes(module: ModuleType) -> list[type[Effect]]:
    declared = getattr(module, "EFFECTS", None)
    if declared is not None:
        return list(declared)
    return [
        obj
        for obj in vars(module).values()
        if isinstance(obj, type) and issubclass(obj, Effect) and obj is not Effect and obj.__module__ == module.__name__ and obj.id
    ]


def _fail(name: str, source: str, exc: BaseException) -> None:
    message = f"{type(exc).__name__}: {exc}" if not isinstance(exc, PluginError) else str(exc)
    failure = PluginFailure(name, source, " ".join(message.split()), traceback.format_exc())
    _failures.append(failure)
    log.warning("effect plugin %s failed to load: %s", name, failure.message)


def _register_all(classes: Iterable[Any], name: str, source: str) -> None:
    found = False
    for cls in classes:
        found = True
        try:
            register(cls, source=source)
        except PluginError as exc:
            _fail(getattr(cls, "id", None) or name, source, exc)
    if not found:
        _fail(name, source, PluginError("defines no Effect subclass with an id"))


def _load_builtins() -> None:
    try:
        package = importlib.import_module("clipkit.builtin_effects")
    except ImportError as exc:  # a broken install; report, do not crash the registry
        _fail("clipkit.builtin_effects", "builtin", exc)
        return
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        try:
            module = importlib.import_module(f"{package.__name__}.{info.name}")
        except Exception as exc:  # noqa: BLE001 - one broken effect must not hide the others
            _fail(info.name, "builtin", exc)
            continue
        _register_all(_effect_classes(module), info.name, "builtin")


def _load_entry_points() -> None:
    try:
        points = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    except Exception as exc:  # noqa: BLE001
        _fail(ENTRY_POINT_GROUP, "entry points", exc)
        return
    for ep in sorted(points, key=lambda e: e.name):
        source = f"entry point {ep.name} = {ep.value}"
        try:
            obj = ep.load()
        except Exception as exc:  # noqa: BLE001 - a plugin's own bug
            _fail(ep.name, source, exc)
            continue
        if isinstance(obj, ModuleType):
            classes = _effect_classes(obj)
        elif isinstance(obj, type):
            classes = [obj]
        elif isinstance(obj, (list, tuple)):
            classes = list(obj)
        else:
            _fail(ep.name, source, PluginError(f"points to {describe_value(obj)}, not a module, an Effect class or a list of them"))
            continue
        _register_all(classes, ep.name, source)


def effect_folders() -> list[Path]:
    """Folders named in ``CLIPKIT_EFFECTS_PATH``, in order (missing ones skipped)."""
    raw = os.environ.get(PATH_VARIABLE, "")
    return [Path(p).expanduser() for p in raw.split(os.pathsep) if p.strip()]


def _load_folders() -> None:
    for k, folder in enumerate(effect_folders()):
        if not folder.is_dir():
            _fail(str(folder), PATH_VARIABLE, PluginError("is not a folder"))
            continue
        for path in sorted(folder.glob("*.py")):
            if path.name.startswith("_"):
                continue
            module_name = f"clipkit_effects_path_{k}.{path.stem}"
            try:
                spec = importlib.util.spec_from_file_location(module_name, path)
                if spec is None or spec.loader is None:
                    raise PluginError("cannot be imported")
                module = importlib.util.module_from_spec(spec)
                sys.modules[module_name] = module  # numba's disk cache and pickling look modules up
                try:
                    spec.loader.exec_module(module)
                except BaseException:
                    sys.modules.pop(module_name, None)
                    raise
            except Exception as exc:  # noqa: BLE001 - a plugin's own bug
                _fail(path.stem, str(path), exc)
                continue
            _register_all(_effect_classes(module), path.stem, str(path))


def _ensure_loaded() -> None:
    global _loaded
    if _loaded:
        return
    with _lock:
        if _loaded:
            return
        _load_builtins()
        _load_entry_points()
        _load_folders()
        _loaded = True


def reload() -> None:
    """Forget every effect and failure and load them again (after changing
    ``CLIPKIT_EFFECTS_PATH`` or installing a plugin)."""
    global _loaded
    with _lock:
        for name in [m for m in sys.modules if m.startswith("clipkit_effects_path_")]:
            del sys.modules[name]
        _effects.clear()
        _sources.clear()
        _failures.clear()
        _loaded = False
    _ensure_loaded()


def get(name: str) -> Effect:
    """The registered effect ``name``.

    Raises
    ------
    ParameterError
        When no effect has that id (the message suggests close ids).
    """
    _ensure_loaded()
    effect = _effects.get(name) if isinstance(name, str) else None
    if effect is None:
        hint = difflib.get_close_matches(str(name), list(_effects), n=3)
        failed = [f for f in _failures if f.name == name]
        if failed:
            raise ParameterError(f"effect {name!r} failed to load: {failed[0].message}")
        raise ParameterError(
            f"effect {describe_value(name)} is not registered"
            + (f"; did you mean {', '.join(hint)}?" if hint else "")
            + " (see `clipkit effects list`)"
        )
    return effect


def effect_ids() -> list[str]:
    """Ids of every registered effect, sorted."""
    _ensure_loaded()
    return sorted(_effects)


def effects() -> list[Effect]:
    """Every registered effect, by category then id."""
    from .base import CATEGORIES

    _ensure_loaded()
    return sorted(_effects.values(), key=lambda e: (CATEGORIES.index(e.category), e.id))


def source_of(name: str) -> str:
    """Where effect ``name`` was loaded from."""
    _ensure_loaded()
    return _sources.get(name, "?")


def plugin_errors() -> list[PluginFailure]:
    """Plugins that failed to load (empty when all is well)."""
    _ensure_loaded()
    return list(_failures)


def create(name: str, /, **params: Any) -> EffectNode:
    """An effect node for registered effect ``name`` with ``params``.

    Parameters
    ----------
    name : str
        The effect id, e.g. ``"contrast"``.
    **params
        Parameter values: constants, ``{"keyframes": [...]}`` or
        ``{"envelope": "beats", ...}`` for keyframable parameters. Omitted parameters
        take their defaults.

    Returns
    -------
    EffectNode

    Raises
    ------
    ParameterError
        Unknown effect or parameter, or a bad value; the message names the effect, the
        parameter, the value and what is allowed.

    Examples
    --------
    >>> create("contrast", amount=1.2)
    EffectNode(contrast: amount=1.2)
    """
    effect = get(name)
    known = {p.name: p for p in effect.params}
    unknown = [k for k in params if k not in known]
    if unknown:
        hint = difflib.get_close_matches(unknown[0], list(known), n=1)
        raise ParameterError(
            f"{effect.id}: no parameter {unknown[0]!r}"
            + (f" (did you mean {hint[0]!r}?)" if hint else "")
            + f"; parameters: {', '.join(known) or 'none'}"
        )
    values: list[tuple[str, ParamValue]] = []
    for p in effect.params:
        raw = params.get(p.name, p.default)
        values.append((p.name, p.parse(raw, owner=effect.id)))
    effect.check(dict(values))
    return EffectNode(effect, tuple(values))
