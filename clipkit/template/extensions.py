"""Template sections that other parts of clipkit add (effects, music cuts, overlays...).

A provider module calls :func:`register_shot_key` / :func:`register_section` at import
time. The modules listed in :data:`PROVIDERS` are imported when the schema is first
built, so their keys validate, build and appear in the exported JSON Schema.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..edit.clip import Clip
    from ..edit.edit import Edit
    from .loader import TemplateContext

__all__ = ["PROVIDERS", "ShotKey", "Section", "register_shot_key", "register_section", "shot_keys", "sections"]

PROVIDERS: tuple[str, ...] = (
    "clipkit.music.template",  # cuts: (issue 4)
    "clipkit.reframe",  # fit: smart (issue 6)
    "clipkit.layouts.template",  # layout: (issue 6)
    "clipkit.timefx.template",  # speed:, reverse:, boomerang:, freeze: (issue 6)
    "clipkit.effects.template",  # effects:, look: per shot and for the whole edit (issue 3)
    "clipkit.overlays.template",  # overlays: stickers, text, captions (issue 5)
)
"""Modules that register template keys when imported."""

ShotApply = Callable[["Clip", Any, "TemplateContext"], "Clip"]
SectionApply = Callable[["Edit", Any, "TemplateContext"], "Edit"]


@dataclass(frozen=True, slots=True)
class ShotKey:
    """A key every shot may carry."""

    name: str
    schema: dict[str, Any]
    apply: ShotApply
    order: int = 100


@dataclass(frozen=True, slots=True)
class Section:
    """A top-level template section."""

    name: str
    schema: dict[str, Any]
    apply: SectionApply
    order: int = 100


_SHOT_KEYS: dict[str, ShotKey] = {}
_SECTIONS: dict[str, Section] = {}
_loaded = False
_lock = threading.Lock()


def register_shot_key(name: str, schema: dict[str, Any], apply: ShotApply, *, order: int = 100) -> None:
    """Let every shot carry ``name``.

    Parameters
    ----------
    name : str
        The key, e.g. ``"effects"``.
    schema : dict
        JSON Schema of its value (validated before anything is decoded).
    apply : callable
        ``apply(clip, value, ctx) -> clip``, called while the edit is built.
    order : int
        Lower runs first when a shot has several such keys.
    """
    _SHOT_KEYS[name] = ShotKey(name, schema, apply, order)


def register_section(name: str, schema: dict[str, Any], apply: SectionApply, *, order: int = 100) -> None:
    """Add a top-level section ``name`` (schema as above; ``apply(edit, value, ctx) -> edit``)."""
    _SECTIONS[name] = Section(name, schema, apply, order)


def load_providers() -> None:
    """Import the provider modules once (thread-safe)."""
    global _loaded
    with _lock:
        if _loaded:
            return
        for module in PROVIDERS:
            importlib.import_module(module)
        _loaded = True


def shot_keys() -> list[ShotKey]:
    """Registered shot keys, in application order."""
    load_providers()
    return sorted(_SHOT_KEYS.values(), key=lambda k: (k.order, k.name))


def sections() -> list[Section]:
    """Registered sections, in application order."""
    load_providers()
    return sorted(_SECTIONS.values(), key=lambda s: (s.order, s.name))
