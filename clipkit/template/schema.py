"""The template JSON Schema, and validation with messages that point at fields."""

from __future__ import annotations

import copy
import threading
from typing import Any

import jsonschema

from ..errors import describe_value
from ..render.fit import fit_modes
from ..render.profiles import PROFILES
from ..transitions import transition_schema
from .sections import load_providers, sections, shot_keys

__all__ = ["TEMPLATE_VERSION", "template_schema", "schema_errors", "field_path"]

TEMPLATE_VERSION = 1

_SECONDS = {"type": "number", "minimum": 0}
_POSITIVE_SECONDS = {"type": "number", "exclusiveMinimum": 0}
_GAIN = {"type": "number", "minimum": 0, "maximum": 4}
_COLOR = {
    "description": "'#rrggbb', '#rgb', a colour name, or [r, g, b]",
    "anyOf": [
        {"type": "string", "pattern": "^(#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}|[a-z]+)$"},
        {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 255}, "minItems": 3, "maxItems": 3},
    ],
}
_IDENT = {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_-]*$"}


def _base_schema() -> dict[str, Any]:
    transition = transition_schema()
    shot = {
        "type": "object",
        "description": "One shot: a slot's clip, a file, or a colour.",
        "properties": {
            "slot": {**_IDENT, "description": "Id of the slot whose clip plays."},
            "video": {"type": "string", "description": "A video file, relative to the template."},
            "image": {"type": "string", "description": "A still image, relative to the template."},
            "color": {**_COLOR},
            "start": {**_SECONDS, "description": "Seconds into the clip where the shot starts.", "default": 0},
            "duration": {**_POSITIVE_SECONDS, "description": "Seconds the shot lasts."},
            "end": {**_POSITIVE_SECONDS, "description": "Second of the clip where the shot ends (instead of duration)."},
            "fit": {"type": "string", "enum": list(fit_modes()), "description": "How the clip fills the canvas."},
            "crop": {
                "type": "object",
                "description": "Area of the source to keep, in its display pixels.",
                "properties": {k: {"type": "integer", "minimum": 0} for k in ("x", "y", "width", "height")},
                "required": ["x", "y", "width", "height"],
                "additionalProperties": False,
            },
            "volume": {**_GAIN, "description": "Gain of the clip's own sound.", "default": 1},
            "mute": {"type": "boolean", "description": "Silence the clip's own sound.", "default": False},
            "transition": transition,
        },
        "oneOf": [{"required": ["slot"]}, {"required": ["video"]}, {"required": ["image"]}, {"required": ["color"]}],
        "additionalProperties": False,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://clipkit.dev/schema/template-v1.json",
        "title": "clipkit template",
        "description": "A short-video template: slots for the creator's clips, shots, music and output.",
        "type": "object",
        "properties": {
            "version": {"const": TEMPLATE_VERSION, "description": "Template format version."},
            "name": {"type": "string", "description": "Display name."},
            "description": {"type": "string"},
            "canvas": {
                "type": "object",
                "description": "Output size, frame rate and background.",
                "properties": {
                    "width": {"type": "integer", "minimum": 16, "maximum": 4096, "multipleOf": 2, "default": 1080},
                    "height": {"type": "integer", "minimum": 16, "maximum": 4096, "multipleOf": 2, "default": 1920},
                    "fps": {
                        "anyOf": [
                            {"type": "number", "minimum": 1, "maximum": 240},
                            {"type": "string", "pattern": "^[0-9]+(/[0-9]+)?$"},
                        ],
                        "default": 30,
                    },
                    "background": _COLOR,
                },
                "additionalProperties": False,
            },
            "fit": {"type": "string", "enum": list(fit_modes()), "default": "cover", "description": "Default fit."},
            "slots": {
                "type": "array",
                "description": "Placeholders the creator fills with clips (--clip SLOT=FILE).",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {**_IDENT, "description": "Slot id used by shots and --clip."},
                        "description": {"type": "string"},
                        "kind": {"type": "string", "enum": ["video", "image", "any"], "default": "any"},
                        "min_duration": {**_SECONDS, "description": "Shortest acceptable clip, seconds."},
                        "orientation": {"type": "string", "enum": ["any", "portrait", "landscape", "square"], "default": "any"},
                        "optional": {"type": "boolean", "default": False, "description": "Shots of an empty optional slot are dropped."},
                    },
                    "required": ["id"],
                    "additionalProperties": False,
                },
            },
            "music": {
                "type": "object",
                "description": "The soundtrack; the file can come from --music instead.",
                "properties": {
                    "file": {"type": "string", "description": "Audio file, relative to the template."},
                    "start": {**_SECONDS, "description": "Second of the song heard first."},
                    "at": {**_SECONDS, "description": "Output second where the music begins."},
                    "volume": _GAIN,
                    "fade_in": _SECONDS,
                    "fade_out": _SECONDS,
                    "loop": {"type": "boolean", "default": False},
                    "required": {"type": "boolean", "default": False, "description": "Refuse to render without music."},
                },
                "additionalProperties": False,
            },
            "original_volume": {**_GAIN, "description": "Gain of the clips' own sound under the music."},
            "vars": {
                "type": "object",
                "description": "Values for {{placeholders}}, overridable with --set NAME=VALUE.",
                "additionalProperties": {"type": ["string", "number", "boolean"]},
            },
            "shots": {"type": "array", "minItems": 1, "items": shot, "description": "The shots, in order."},
            "output": {
                "type": "object",
                "description": "Encoding.",
                "properties": {
                    "profile": {"type": "string", "enum": list(PROFILES), "default": "tiktok"},
                    "crf": {"type": "number", "minimum": 0, "maximum": 51},
                    "preset": {"type": "string", "enum": ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow"]},
                    "keep_metadata": {"type": "boolean", "default": False},
                },
                "additionalProperties": False,
            },
        },
        "required": ["version", "shots"],
        "additionalProperties": False,
    }


def template_schema() -> dict[str, Any]:
    """The full JSON Schema, with every registered extension's keys, as the registries
    stand now (an effect, look, section or fit mode registered later is in it)."""
    return copy.deepcopy(_current()[0])


_built: dict[str, Any] = {}
_built_lock = threading.Lock()


def _registry_state() -> tuple[Any, ...]:
    """What the schema is made from: every registry's names, the effects and sections
    themselves (a reload replaces them; held here, so their identities stay unique) and
    the looks on disk. Cheap next to building the schema (~30 ms with the built-in
    effects) and a validator for it."""
    from ..effects.looks import look_names
    from ..effects.registry import EFFECTS
    from ..registry import FIT_MODES, LAYOUTS, TEMPLATE_SECTIONS, TRANSITIONS

    load_providers()  # providers may add fit modes (smart reframe) used by the base schema
    return (
        tuple(TEMPLATE_SECTIONS.items()),
        tuple(EFFECTS.items()),
        FIT_MODES.names(),
        TRANSITIONS.names(),
        LAYOUTS.names(),
        tuple(look_names()),
    )


def _current() -> tuple[dict[str, Any], jsonschema.Draft202012Validator]:
    """The schema and its validator for the registries as they are now, made again only
    when something was registered since (every template load asks: a batch worker loads
    one per job)."""
    state = _registry_state()
    with _built_lock:
        if _built.get("state") == state:
            return _built["schema"], _built["validator"]
    schema = _base_schema()
    shot = schema["properties"]["shots"]["items"]
    for key in shot_keys():
        shot["properties"][key.name] = copy.deepcopy(key.json_schema())
    for section in sections():
        schema["properties"][section.name] = copy.deepcopy(section.json_schema())
    validator = jsonschema.Draft202012Validator(schema)
    with _built_lock:
        _built.update(state=state, schema=schema, validator=validator)
    return schema, validator


def field_path(parts: Any) -> str:
    """``['shots', 3, 'start']`` -> ``'shots[3].start'``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _describe(error: jsonschema.ValidationError) -> tuple[str, str]:
    """(field path, message) for one schema error, in words."""
    path = list(error.absolute_path)
    v, value, arg = error.validator, error.instance, error.validator_value
    if v == "additionalProperties":
        known = sorted(error.schema.get("properties", {}))
        extra = sorted(set(value) - set(known)) if isinstance(value, dict) else []
        name = extra[0] if extra else "?"
        return field_path(path + [name]), f"unknown field; known fields here: {', '.join(known)}"
    if v == "required":
        missing = error.message.split("'")[1] if "'" in error.message else str(arg)
        return field_path(path + [missing]), "is required but missing"
    if v == "minimum":
        return field_path(path), f"{value!r} is below {arg}"
    if v == "maximum":
        return field_path(path), f"{value!r} is above the maximum {arg}"
    if v == "exclusiveMinimum":
        return field_path(path), f"{value!r} must be above {arg}"
    if v == "exclusiveMaximum":
        return field_path(path), f"{value!r} must be below {arg}"
    if v == "type":
        kinds = arg if isinstance(arg, list) else [arg]
        wanted = " or ".join("an " + k if k[0] in "aeiou" else "a " + k for k in kinds)
        if isinstance(value, (list, dict)):  # say what was given, not the whole of it
            given = f"a list of {len(value)} item(s)" if isinstance(value, list) else "a mapping"
            fields = sorted(error.schema.get("properties", {})) if "object" in kinds else []
            hint = f" with the fields {', '.join(fields)}" if fields else ""
            return field_path(path), f"is {given}, expected {wanted}{hint}"
        return field_path(path), f"{describe_value(value)} is not {wanted}"
    if v == "enum":
        return field_path(path), f"{value!r} is not one of: {', '.join(map(str, arg))}"
    if v == "const":
        return field_path(path), f"{value!r} is not supported (expected {arg!r})"
    if v == "multipleOf":
        return field_path(path), f"{value!r} is not a multiple of {arg}"
    if v == "minItems":
        return field_path(path), f"needs at least {arg} item(s)"
    if v == "maxItems":
        return field_path(path), f"allows at most {arg} item(s)"
    if v == "oneOf" and path and isinstance(value, dict) and error.schema.get("oneOf"):
        choices = [r.get("required", ["?"])[0] for r in error.schema["oneOf"] if "required" in r]
        given = [c for c in choices if c in value]
        if choices and len(given) != 1:
            what = "none of" if not given else "more than one of"
            return field_path(path), f"has {what} {', '.join(choices)}; give exactly one"
    if v in ("anyOf", "oneOf"):
        descr = error.schema.get("description")
        return field_path(path), f"{describe_value(value)} is not valid" + (f"; expected {descr}" if descr else "")
    if v == "pattern":
        return field_path(path), f"{value!r} does not match the expected form {arg}"
    return field_path(path), error.message


def _document_position(document: Any, path: Any) -> list[int]:
    """Where ``path`` sits in ``document``: list indices and keys in the order written."""
    position: list[int] = []
    node = document
    for part in path:
        if isinstance(node, dict):
            keys = list(node)
            position.append(keys.index(part) if part in node else len(keys))
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int):
            position.append(part)
            node = node[part] if 0 <= part < len(node) else None
        else:
            position.append(0)
            node = None
    return position


def schema_errors(document: Any, schema: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    """Every schema violation as ``(field path, message)``, in document order."""
    validator = jsonschema.Draft202012Validator(schema) if schema else _current()[1]
    errors = sorted(validator.iter_errors(document), key=lambda e: _document_position(document, e.absolute_path))
    out: list[tuple[str, str]] = []
    seen = set()
    for err in errors:
        item = _describe(err)
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out
