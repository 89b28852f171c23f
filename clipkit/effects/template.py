"""Template keys for effects and looks.

Each shot may carry::

    effects:
      - {id: contrast, amount: 1.15}
      - {id: zoom, scale: {envelope: beats, from: 1.0, to: 1.1}}
      - {id: lut, file: luts/mine.cube, strength: 0.8}     # relative to the template
    look: vintage                        # or {name: vintage, strength: 0.7}

and the template may carry the same two keys at the top level for the whole edit
(applied after the shots are composed). The JSON Schemas are generated from the effect
declarations, so every parameter's range, kind and doc reaches editors and
``clipkit template schema``. Values are then checked again by the effect itself, which
names the shot, the entry, the effect, the parameter and the value.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from ..errors import ClipkitDeprecationWarning, ParameterError, renamed
from .looks import effect_entry, look, look_names
from .lut import bundled_luts
from .registry import effects, get

if TYPE_CHECKING:
    from ..edit.clip import Clip
    from ..edit.edit import Edit
    from ..template.loader import TemplateContext

__all__ = ["effects_schema", "look_schema", "apply_shot_effects", "apply_shot_look", "apply_edit_effects", "apply_edit_look"]


def effect_entry_schema() -> dict[str, Any]:
    """Schema of one ``{id: ..., params...}`` entry, with one branch per registered effect."""
    ids = [e.id for e in effects()]
    branches = []
    for e in effects():
        props: dict[str, Any] = {"id": {"const": e.id}, "name": {"const": e.id}}
        for p in e.params:
            props[p.name] = p.json_schema()
            for old in p.aliases:
                props[old] = {**p.json_schema(), "deprecated": True, "description": f"Old name of {p.name!r} (deprecated)."}
        picks = [
            {"properties": {"id": {"const": e.id}}, "required": ["id"]},
            {"properties": {"name": {"const": e.id}}, "required": ["name"]},
        ]
        branches.append({"if": {"anyOf": picks}, "then": {"properties": props, "additionalProperties": False}})
    return {
        "type": "object",
        "description": "An effect: its id and its parameters beside it, e.g. {id: contrast, amount: 1.2}",
        "properties": {
            "id": {"enum": ids, "description": "Effect id (see `clipkit effects list`)"},
            "name": {"enum": ids, "description": "Same as id"},
        },
        "oneOf": [{"required": ["id"]}, {"required": ["name"]}],
        "allOf": branches,
    }


def effects_schema() -> dict[str, Any]:
    """Schema of an ``effects:`` list."""
    return {"type": "array", "description": "Effects applied in order.", "items": effect_entry_schema()}


def look_schema() -> dict[str, Any]:
    """Schema of a ``look:`` value: a name or ``{name, strength}`` (``intensity``: old name)."""
    names = look_names()
    name = {"type": "string", "minLength": 1, "description": f"A look: {', '.join(names)} (or a look file)"}
    return {
        "description": "A named look, optionally at a strength in [0, 1]",
        "anyOf": [
            name,
            {
                "type": "object",
                "properties": {
                    "name": name,
                    "strength": {"type": "number", "minimum": 0, "maximum": 1, "default": 1.0},
                    "intensity": {"type": "number", "minimum": 0, "maximum": 1, "deprecated": True, "description": "Old name of strength (deprecated)."},
                },
                "required": ["name"],
                "additionalProperties": False,
            },
        ],
    }


def _shot_field(value: Any, ctx: TemplateContext, key: str) -> str:
    """``shots[i].key`` for the shot holding ``value`` (by identity), else ``shots.key``."""
    for i, shot in enumerate(ctx.document.get("shots", [])):
        if isinstance(shot, dict) and shot.get(key) is value:
            return f"shots[{i}].{key}"
    return key if ctx.document.get(key) is value else f"shots[?].{key}"


def _nodes(value: Any, ctx: TemplateContext, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise ctx.error(where, f"{value!r} is not a list of effects")
    nodes = []
    for j, entry in enumerate(value):
        field = f"{where}[{j}]"
        entry = dict(entry) if isinstance(entry, dict) else entry
        if isinstance(entry, dict):
            ident = entry.get("id", entry.get("name"))
            try:
                effect = get(ident) if isinstance(ident, str) else None
            except ParameterError as exc:
                raise ctx.error(field, str(exc)) from None
            for p in effect.params if effect is not None else ():
                raw = entry.get(p.name)
                if p.kind == "file" and isinstance(raw, str) and raw not in bundled_luts():
                    entry[p.name] = str(ctx.resolve_path(raw, f"{field}.{p.name}"))
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ClipkitDeprecationWarning)
                nodes.append(effect_entry(entry, field))
            for w in caught:  # say where in the template the old name is
                if isinstance(w.message, ClipkitDeprecationWarning):
                    renamed(f"{ctx.template_path or 'template'}: {field}", w.message.old, w.message.new)
                else:
                    warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        except ParameterError as exc:
            # effect_entry names the entry's own field (shots[0].effects[1].amount) as an attribute
            where = exc.field if exc.field and exc.field.startswith(field) else field
            raise ctx.error(where, exc.detail if where == exc.field else str(exc)) from None
    return nodes


def _look(value: Any, ctx: TemplateContext, where: str) -> Any:
    if isinstance(value, dict):
        name, strength, intensity = value.get("name"), value.get("strength", 1.0), value.get("intensity")
        if intensity is not None:
            renamed(f"{ctx.template_path or 'template'}: {where}", "intensity", "strength")
            strength, intensity = intensity, None
    else:
        name, strength, intensity = value, 1.0, None
    if isinstance(name, str) and name.endswith((".yaml", ".yml")):
        name = str(ctx.resolve_path(name, f"{where}.name" if isinstance(value, dict) else where))
    try:
        return look(name, strength=strength, intensity=intensity)
    except ParameterError as exc:
        message = str(exc)
        message = message[len("look: ") :] if message.startswith("look: ") else message
        raise ctx.error(where, message) from None


def apply_shot_effects(clip: Clip, value: Any, ctx: TemplateContext) -> Clip:
    """``effects:`` on a shot: each entry becomes ``clip.with_effect(node)``."""
    for node in _nodes(value, ctx, _shot_field(value, ctx, "effects")):
        clip = clip.with_effect(node)
    return clip


def apply_shot_look(clip: Clip, value: Any, ctx: TemplateContext) -> Clip:
    """``look:`` on a shot."""
    return clip.with_effect(_look(value, ctx, _shot_field(value, ctx, "look")))


def apply_edit_effects(edit: Edit, value: Any, ctx: TemplateContext) -> Edit:
    """Top-level ``effects:``, on the whole composed frame."""
    for node in _nodes(value, ctx, "effects"):
        edit = edit.with_effect(node)
    return edit


def apply_edit_look(edit: Edit, value: Any, ctx: TemplateContext) -> Edit:
    """Top-level ``look:``, on the whole composed frame."""
    return edit.with_effect(_look(value, ctx, "look"))
