"""Template sections: every key a template may carry beyond the core, named in one place.

A section is a top-level key (``cuts:``, ``overlays:``); a shot key is a key every shot may
carry (``effects:``, ``layout:``, ``speed:``). Each is declared here with the feature
module that owns its JSON Schema and its build function, so the template package
depends on the features and no feature imports the template package::

    template (this list) --schema, build--> effects / music / overlays / layouts / timefx

All of them live in :data:`clipkit.registry.TEMPLATE_SECTIONS`, keyed by where they
appear (``"cuts"``, ``"shots[].effects"``). Plug-ins add theirs through the entry-point
group ``clipkit.template_sections`` (an entry point naming a :class:`Section`, a
:class:`ShotKey` or a sequence of them) or at run time with :func:`register_section` /
:func:`register_shot_key`. Their schemas join validation and the exported JSON Schema.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import PluginError
from ..registry import TEMPLATE_SECTIONS

if TYPE_CHECKING:
    from ..edit.clip import Clip
    from ..edit.edit import Edit
    from .loader import TemplateContext

__all__ = ["ShotKey", "Section", "register_shot_key", "register_section", "shot_keys", "sections", "load_providers"]

ShotApply = Callable[["Clip", Any, "TemplateContext"], "Clip"]
SectionApply = Callable[["Edit", Any, "TemplateContext"], "Edit"]
SchemaSource = dict[str, Any] | Callable[[], dict[str, Any]]
"""A JSON Schema, or a function that makes it when templates are validated (for a schema
that lists what is registered, such as the effect ids)."""


def _resolve(schema: SchemaSource) -> dict[str, Any]:
    return schema() if callable(schema) else schema


@dataclass(frozen=True, slots=True)
class ShotKey:
    """A key every shot may carry.

    Attributes
    ----------
    name : str
        The key, e.g. ``"effects"``.
    schema : dict or callable
        JSON Schema of its value (validated before anything is decoded), or a function
        returning it, called when templates are validated (see :meth:`json_schema`).
    apply : callable
        ``apply(clip, value, ctx) -> clip``, called while the edit is built.
    order : int
        Lower runs first when a shot has several such keys.
    """

    name: str
    schema: SchemaSource
    apply: ShotApply
    order: int = 100

    def json_schema(self) -> dict[str, Any]:
        """The schema now: a function's is made again whenever a registry changes (the
        template schema is rebuilt then), so an effect registered late is accepted."""
        return _resolve(self.schema)

    @property
    def key(self) -> str:
        """Its name in :data:`~clipkit.registry.TEMPLATE_SECTIONS`."""
        return f"shots[].{self.name}"


@dataclass(frozen=True, slots=True)
class Section:
    """A top-level template section (fields as :class:`ShotKey`; ``apply(edit, value, ctx) -> edit``)."""

    name: str
    schema: SchemaSource
    apply: SectionApply
    order: int = 100

    def json_schema(self) -> dict[str, Any]:
        """The schema now (see :meth:`ShotKey.json_schema`)."""
        return _resolve(self.schema)

    @property
    def key(self) -> str:
        """Its name in :data:`~clipkit.registry.TEMPLATE_SECTIONS`."""
        return self.name


def _builtin() -> list[ShotKey | Section]:
    """The built-in sections, each with the module that owns its schema and build."""
    from ..effects import template as effects_t
    from ..layouts import template as layouts_t
    from ..music import template as music_t
    from ..overlays import template as overlays_t
    from ..timefx import template as timefx_t

    return [
        ShotKey("layout", layouts_t.LAYOUT_SCHEMA, layouts_t.apply_layout, order=10),
        ShotKey("speed", timefx_t.SPEED_SCHEMA, timefx_t.apply_speed, order=20),
        ShotKey("reverse", timefx_t.REVERSE_SCHEMA, timefx_t.apply_reverse, order=21),
        ShotKey("boomerang", timefx_t.BOOMERANG_SCHEMA, timefx_t.apply_boomerang, order=22),
        ShotKey("freeze", timefx_t.FREEZE_SCHEMA, timefx_t.apply_freeze, order=23),
        # the effect and look schemas list what is registered: made at validation time
        ShotKey("effects", effects_t.effects_schema, effects_t.apply_shot_effects, order=60),
        ShotKey("look", effects_t.look_schema, effects_t.apply_shot_look, order=61),
        Section("cuts", music_t.CUTS_SCHEMA, music_t.apply_cuts, order=50),
        Section("audio", music_t.AUDIO_SCHEMA, music_t.apply_audio, order=60),
        Section("effects", effects_t.effects_schema, effects_t.apply_edit_effects, order=80),
        Section("look", effects_t.look_schema, effects_t.apply_edit_look, order=81),
        Section("overlays", overlays_t.SCHEMA, overlays_t.apply_overlays, order=500),
    ]


def register_builtins(registry: Any) -> None:
    """Registry loader: put the built-in sections into ``registry``."""
    for item in _builtin():
        registry.register(item.key, item, source="builtin")


def check(name: str, value: Any) -> ShotKey | Section:
    """Registry check: a :class:`ShotKey` or :class:`Section` registered under its own key."""
    if not isinstance(value, (ShotKey, Section)):
        raise PluginError(f"template section {name!r}: {value!r} is not a clipkit.template.Section or ShotKey")
    if not (isinstance(value.schema, dict) or callable(value.schema)) or not callable(value.apply):
        raise PluginError(f"template section {name!r}: needs a JSON Schema (a dict, or a function returning one) and an apply function")
    if value.key != name:
        raise PluginError(f"template section {name!r}: registered under {value.key!r}'s name")
    return value


def adapt(entry_point: str, obj: Any) -> Iterable[tuple[str, Any]]:
    """Registry adapter: an entry point names one declaration or a sequence of them."""
    items = obj if isinstance(obj, (list, tuple)) else [obj]
    return [(getattr(item, "key", entry_point), item) for item in items]


def register_shot_key(name: str, schema: SchemaSource, apply: ShotApply, *, order: int = 100) -> None:
    """Let every shot carry ``name`` (see :class:`ShotKey` for the arguments)."""
    item = ShotKey(name, schema, apply, order)
    TEMPLATE_SECTIONS.register(item.key, item)


def register_section(name: str, schema: SchemaSource, apply: SectionApply, *, order: int = 100) -> None:
    """Add a top-level section ``name`` (see :class:`Section` for the arguments)."""
    item = Section(name, schema, apply, order)
    TEMPLATE_SECTIONS.register(item.key, item)


def load_providers() -> None:
    """Load every section: built-ins, entry points and run-time registrations (once)."""
    TEMPLATE_SECTIONS.load_all()


def shot_keys() -> list[ShotKey]:
    """Registered shot keys, in application order."""
    found = [v for _, v in TEMPLATE_SECTIONS.items() if isinstance(v, ShotKey)]
    return sorted(found, key=lambda k: (k.order, k.name))


def sections() -> list[Section]:
    """Registered sections, in application order."""
    found = [v for _, v in TEMPLATE_SECTIONS.items() if isinstance(v, Section)]
    return sorted(found, key=lambda s: (s.order, s.name))
