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
import importlib.util
import os
import pkgutil
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

from ..errors import ParameterError, PluginError, describe_value, renamed
from ..jit import numba_loaded, register_with_numba
from ..registry import REGISTRIES, PluginFailure, Registry
from .base import Effect, EffectNode
from .params import ParamValue

__all__ = [
    "ENTRY_POINT_GROUP",
    "PATH_VARIABLE",
    "EFFECTS",
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


def _check(name: str, value: Any) -> Effect:
    """Registry check: an :class:`Effect` subclass with a consistent declaration, stored
    as its instance."""
    cls = type(value) if isinstance(value, Effect) else value
    if not (isinstance(cls, type) and issubclass(cls, Effect)):
        raise PluginError(f"register: {value!r} is not an Effect subclass")
    try:
        cls.check_declaration()
    except ValueError as exc:
        raise PluginError(f"effect {getattr(cls, 'id', cls.__name__)!r}: {exc}") from None
    if cls.id != name:
        raise PluginError(f"effect {cls.id!r} registered under another name, {name!r}")
    return value if isinstance(value, Effect) else cls()


def _effect_classes(module: ModuleType) -> list[type[Effect]]:
    declared = getattr(module, "EFFECTS", None)
    if declared is not None:
        return list(declared)
    return [
        obj
        for obj in vars(module).values()
        if isinstance(obj, type) and issubclass(obj, Effect) and obj is not Effect and obj.__module__ == module.__name__ and obj.id
    ]


def _register_all(registry: Registry[Effect], classes: Iterable[Any], name: str, source: str) -> None:
    _numba_knows_kernels()
    found = False
    for cls in classes:
        found = True
        try:
            registry.register(getattr(cls, "id", None) or name, cls, source=source)
        except PluginError as exc:
            registry.fail(getattr(cls, "id", None) or name, source, exc)
    if not found:
        registry.fail(name, source, PluginError("defines no Effect subclass with an id"))


def _numba_knows_kernels() -> None:
    """A plugin that loaded numba may call clipkit's lazy kernels from its own ``numba.njit`` code."""
    if numba_loaded():
        register_with_numba()


def _adapt(name: str, obj: Any) -> list[tuple[str, Any]]:
    """An entry point names a module (every Effect subclass in it), a class, or a list."""
    if isinstance(obj, ModuleType):
        classes = _effect_classes(obj)
    elif isinstance(obj, type):
        classes = [obj]
    elif isinstance(obj, (list, tuple)):
        classes = list(obj)
    else:
        raise PluginError(f"points to {describe_value(obj)}, not a module, an Effect class or a list of them")
    if not classes:
        raise PluginError("defines no Effect subclass with an id")
    return [(getattr(cls, "id", None) or name, cls) for cls in classes]


def _load_builtins(registry: Registry[Effect]) -> None:
    """The built-in effects: one module per effect in :mod:`clipkit.builtin_effects`."""
    try:
        package = importlib.import_module("clipkit.builtin_effects")
    except ImportError as exc:  # a broken install; report, do not crash the registry
        registry.fail("clipkit.builtin_effects", "builtin", exc)
        return
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        try:
            module = importlib.import_module(f"{package.__name__}.{info.name}")
        except Exception as exc:  # noqa: BLE001 - one broken effect must not hide the others
            registry.fail(info.name, "builtin", exc)
            continue
        _register_all(registry, _effect_classes(module), info.name, "builtin")


def effect_folders() -> list[Path]:
    """Folders named in ``CLIPKIT_EFFECTS_PATH``, in order (missing ones skipped)."""
    raw = os.environ.get(PATH_VARIABLE, "")
    return [Path(p).expanduser() for p in raw.split(os.pathsep) if p.strip()]


def _load_folders(registry: Registry[Effect]) -> None:
    """Every ``*.py`` file in the folders of ``CLIPKIT_EFFECTS_PATH`` (the third channel)."""
    for k, folder in enumerate(effect_folders()):
        if not folder.is_dir():
            registry.fail(str(folder), PATH_VARIABLE, PluginError("is not a folder"))
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
                registry.fail(path.stem, str(path), exc)
                continue
            _register_all(registry, _effect_classes(module), path.stem, str(path))


def _forget_folders() -> None:
    for name in [m for m in sys.modules if m.startswith("clipkit_effects_path_")]:
        del sys.modules[name]


_load_folders.forget = _forget_folders  # type: ignore[attr-defined]

EFFECTS: Registry[Effect] = Registry(
    "effect",
    group=ENTRY_POINT_GROUP,
    loaders=(_load_builtins, _load_folders),
    check=_check,
    adapt=_adapt,
    hint="`clipkit effects list`",
    unknown="effect {value} is not registered",
)
"""Effects: built-ins (``effects/``), the ``clipkit.effects`` entry points and
``CLIPKIT_EFFECTS_PATH`` folders, in that order."""

REGISTRIES["effects"] = EFFECTS


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
    _numba_knows_kernels()
    EFFECTS.register(cls.id, cls, source=source)
    return cls


def reload() -> None:
    """Forget every effect and failure and load them again (after changing
    ``CLIPKIT_EFFECTS_PATH`` or installing a plugin)."""
    EFFECTS.reload()


def get(name: str) -> Effect:
    """The registered effect ``name``.

    Raises
    ------
    ParameterError
        When no effect has that id (the message suggests close ids).
    """
    return EFFECTS.get(name)


def effect_ids() -> list[str]:
    """Ids of every registered effect, sorted."""
    return sorted(name for name, _ in EFFECTS.items())


def effects() -> list[Effect]:
    """Every registered effect, by category then id."""
    from .base import CATEGORIES

    return sorted(EFFECTS.values(), key=lambda e: (CATEGORIES.index(e.category), e.id))


def source_of(name: str) -> str:
    """Where effect ``name`` was loaded from."""
    try:
        return EFFECTS.source_of(name)
    except ParameterError:
        return "?"


def plugin_errors() -> list[PluginFailure]:
    """Plugins that failed to load (empty when all is well)."""
    return EFFECTS.failures()


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
    for p in effect.params:
        for old in p.aliases:
            if old in params:
                if p.name in params:
                    raise ParameterError(f"{effect.id}: give {p.name!r} or its old name {old!r}, not both", field=f"{effect.id}.{p.name}")
                renamed(effect.id, old, p.name)
                params = {(p.name if k == old else k): v for k, v in params.items()}
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
