"""The ``overlays:`` template section: stickers, text and captions from YAML/JSON.

Example::

    overlays:
      stickers:
        - {pack: hearts/heart_beat, position: [0.8, 0.2], start: 0.5, end: 4, enter: pop, beat_bounce: 0.12}
        - {src: stickers/logo.png, width: 0.2, position: [0.85, 0.08], opacity: 0.9}
        - {pack: festival/lantern, face: {size: 0.9, offset: [0, -1.1]}}
        - {library: fire, width: 0.2, position: [0.2, 0.3], enter: pop}     # OpenMoji, by name
        - {emoji: "🎉", width: 0.25, position: [0.7, 0.7], beat_bounce: 0.1}  # or by the emoji itself
      text:
        - {text: "Hi {{name}}!", style: bold_outline, position: [0.5, 0.25], enter: pop, start: 0, end: 3}
        - {text: "สวัสดี", style: {preset: neon, size: 90}, typewriter: 8}
        - {text: "Happy Diwali 🪔✨ दिवाली मुबारक", strict_fonts: true}  # a character no font has fails
      captions:
        file: talk.srt
        style: subtitle
        highlight: words

Asset paths are relative to the template and may not leave its folder; ``{{name}}``
placeholders in text and captions take the template's variables.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..easing import ease_spellings
from ..errors import ClipkitError, MediaError, ParameterError, TemplateError
from .animation import ANIMATIONS, DIRECTIONS, EASES, ENVELOPE_SOURCES
from .captions import HIGHLIGHTS, Captions, Cue, load_cues
from .faces import FaceSticker
from .library import entry_for_emoji, find_entry
from .packs import find_sticker
from .sticker import Sticker
from .styles import ALIGNMENTS, TextStyle, text_style, text_style_names
from .text import Text

if TYPE_CHECKING:
    from ..edit.edit import Edit
    from ..template.loader import TemplateContext

__all__ = ["SCHEMA", "apply_overlays"]

_NUM = {"type": "number"}
_PAIR = {"type": "array", "items": _NUM, "minItems": 2, "maxItems": 2}
_COLOR = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 255}, "minItems": 3, "maxItems": 3}]}


def _track(value: dict[str, Any], description: str) -> dict[str, Any]:
    # positional items are "prefixItems" in JSON Schema 2020-12 (a list under "items" is invalid)
    key = {"type": "array", "minItems": 2, "maxItems": 3, "prefixItems": [_NUM, value, {"enum": ease_spellings(EASES)}]}
    return {
        "description": description + "; a constant, {keyframes: [[t, value, ease], ...]} or {envelope: beats, from, to}",
        "anyOf": [
            value,
            {"type": "object", "properties": {"keyframes": {"type": "array", "items": key, "minItems": 1}}, "required": ["keyframes"], "additionalProperties": False},
            {
                "type": "object",
                "properties": {
                    "envelope": {"enum": list(ENVELOPE_SOURCES)},
                    "from": _NUM,
                    "to": _NUM,
                    "attack": _NUM,
                    "decay": _NUM,
                },
                "required": ["envelope", "from", "to"],
                "additionalProperties": False,
            },
        ],
    }


_ANIMATION = {
    "description": "enter/exit animation: a name or {type, duration, direction, distance}",
    "anyOf": [
        {"enum": list(ANIMATIONS)},
        {
            "type": "object",
            "properties": {
                "type": {"enum": list(ANIMATIONS)},
                "duration": {"type": "number", "exclusiveMinimum": 0, "maximum": 10},
                "direction": {"enum": list(DIRECTIONS)},
                "distance": {"type": "number", "minimum": 0, "maximum": 2},
            },
            "required": ["type"],
            "additionalProperties": False,
        },
    ],
}

_BOUNCE = {
    "description": "scale pulse on the music's beats: an amount (0.12 = 12 %) or {amount, on, attack, decay}",
    "anyOf": [
        {"type": "number", "minimum": 0, "maximum": 2},
        {
            "type": "object",
            "properties": {"amount": _NUM, "on": {"enum": list(ENVELOPE_SOURCES)}, "attack": _NUM, "decay": _NUM},
            "additionalProperties": False,
        },
    ],
}

_PLACEMENT = {
    "start": {"type": "number", "minimum": 0, "description": "output second the layer appears"},
    "end": {"type": "number", "exclusiveMinimum": 0, "description": "output second it goes (default: the end)"},
    "position": _track(_PAIR, "anchor position [x, y] in canvas fractions"),
    "anchor": {**_PAIR, "description": "point of the layer pinned to position, [x, y] in [0, 1]"},
    "scale": _track({"type": "number", "minimum": 0}, "size multiplier"),
    "rotation": _track(_NUM, "degrees clockwise"),
    "opacity": _track({"type": "number", "minimum": 0, "maximum": 1}, "opacity in [0, 1]"),
    "enter": _ANIMATION,
    "exit": _ANIMATION,
    "beat_bounce": _BOUNCE,
}

_STYLE_FIELDS = {
    "preset": {"enum": text_style_names() or ["classic"]},
    "font": {"type": "string", "description": "font file, relative to the template"},
    "size": _NUM,
    "weight": {"type": "integer", "minimum": 100, "maximum": 900},
    "color": _COLOR,
    "stroke_width": _NUM,
    "stroke_color": _COLOR,
    "shadow_color": {"anyOf": [_COLOR, {"type": "null"}]},
    "shadow_offset": _PAIR,
    "shadow_blur": _NUM,
    "shadow_opacity": _NUM,
    "box_color": {"anyOf": [_COLOR, {"type": "null"}]},
    "box_opacity": _NUM,
    "box_padding": {"anyOf": [_NUM, _PAIR]},
    "box_radius": _NUM,
    "align": {"enum": list(ALIGNMENTS)},
    "line_spacing": _NUM,
    "highlight_color": _COLOR,
    "uppercase": {"type": "boolean"},
}
_STYLE = {
    "description": f"a named style ({', '.join(text_style_names())}) or style fields with an optional preset",
    "anyOf": [{"enum": text_style_names() or ["classic"]}, {"type": "object", "properties": _STYLE_FIELDS, "additionalProperties": False}],
}

_STICKER = {
    "type": "object",
    "description": "a sticker: src (a file), pack ('pack/sticker'), library (an OpenMoji name) or emoji",
    "properties": {
        "src": {"type": "string", "description": "image, SVG, animation, folder/glob of images or alpha WebM, relative to the template"},
        "pack": {"type": "string", "description": "a bundled sticker, 'pack/sticker' (e.g. hearts/heart_red, diwali/diya)"},
        "library": {"type": "string", "description": "an OpenMoji library sticker by name, e.g. fire or openmoji/fire (clipkit stickers search WORD)"},
        "emoji": {"type": "string", "description": "the OpenMoji library sticker of one emoji, e.g. 🔥"},
        "width": {"type": "number", "exclusiveMinimum": 0, "maximum": 4},
        "height": {"type": "number", "exclusiveMinimum": 0, "maximum": 4},
        "loop": {"type": "boolean"},
        "speed": {"type": "number", "exclusiveMinimum": 0, "maximum": 16},
        "fps": {"type": "number", "exclusiveMinimum": 0},
        "face": {
            "type": "object",
            "description": "pin to tracked faces instead of a fixed position",
            "properties": {
                "size": {"type": "number", "exclusiveMinimum": 0, "maximum": 10},
                "offset": _PAIR,
                "max_faces": {"type": "integer", "minimum": 1, "maximum": 16},
                "every_face": {"type": "boolean", "description": "one sticker on every face (each stays with its own face)"},
                "detect_every": {"type": "integer", "minimum": 1},
                "smoothing": {"type": "number", "minimum": 0, "exclusiveMaximum": 1},
                "hold": {"type": "number", "minimum": 0},
                "tilt": {"type": "boolean"},
            },
            "additionalProperties": False,
        },
        **_PLACEMENT,
    },
    "oneOf": [{"required": ["src"]}, {"required": ["pack"]}, {"required": ["library"]}, {"required": ["emoji"]}],
    "additionalProperties": False,
}

_STRICT = {"type": "boolean", "description": "a character no installed font has fails the render (default: drawn with the closest font, one warning)"}

_TEXT = {
    "type": "object",
    "properties": {
        "text": {"type": "string", "description": "the words; {{name}} placeholders take template variables"},
        "style": _STYLE,
        "max_width": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
        "language": {"type": "string"},
        "typewriter": {"type": "number", "exclusiveMinimum": 0, "maximum": 1000, "description": "characters per second"},
        "word_timings": {"type": "array", "items": _PAIR},
        "safe_area": {"type": "boolean"},
        "strict_fonts": _STRICT,
        **_PLACEMENT,
    },
    "required": ["text"],
    "additionalProperties": False,
}

_CUE = {
    "type": "object",
    "properties": {"start": _NUM, "end": _NUM, "text": {"type": "string"}, "words": {"type": "array", "items": _PAIR}},
    "required": ["start", "end", "text"],
    "additionalProperties": False,
}

_CAPTIONS = {
    "type": "object",
    "description": "captions from a subtitle file (SRT, WebVTT, ASS) or a list of cues",
    "properties": {
        "file": {"type": "string"},
        "encoding": {"type": "string"},
        "cues": {"type": "array", "items": _CUE},
        "style": _STYLE,
        "highlight": {"enum": list(HIGHLIGHTS)},
        "max_width": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
        "language": {"type": "string"},
        "safe_area": {"type": "boolean"},
        "cue_enter": {"anyOf": [_ANIMATION, {"type": "null"}]},
        "cue_exit": {"anyOf": [_ANIMATION, {"type": "null"}]},
        "strict_fonts": _STRICT,
        **_PLACEMENT,
    },
    "oneOf": [{"required": ["file"]}, {"required": ["cues"]}],
    "additionalProperties": False,
}

SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "stickers, text layers and captions drawn over the video",
    "properties": {
        "stickers": {"type": "array", "items": _STICKER},
        "text": {"type": "array", "items": _TEXT},
        "captions": {"anyOf": [_CAPTIONS, {"type": "array", "items": _CAPTIONS}]},
    },
    "additionalProperties": False,
}
"""JSON Schema of the ``overlays`` section."""

_LAYER_KEYS = ("position", "anchor", "scale", "rotation", "opacity", "enter", "exit", "beat_bounce")


def _layer_options(spec: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: copy.deepcopy(spec[k]) for k in _LAYER_KEYS if k in spec}
    if "anchor" in out:
        out["anchor"] = tuple(out["anchor"])
    if isinstance(out.get("position"), list):
        out["position"] = tuple(out["position"])
    return out


def _style(value: Any, where: str, ctx: TemplateContext) -> TextStyle:
    if isinstance(value, Mapping) and "font" in value:
        value = dict(value)
        value["font"] = str(ctx.resolve_path(value["font"], f"{where}.font"))
    return text_style(value)


def _span(spec: Mapping[str, Any], where: str, ctx: TemplateContext) -> tuple[float, float | None]:
    start = float(spec.get("start", 0.0))
    end = spec.get("end")
    if end is not None and float(end) <= start:
        raise ctx.error(f"{where}.end", f"{end!r} is not after start {start!r}")
    return start, None if end is None else float(end)


def _sticker(spec: Mapping[str, Any], where: str, ctx: TemplateContext) -> Any:
    options = _layer_options(spec)
    for key in ("width", "height", "loop", "speed", "fps"):
        if key in spec:
            options[key] = spec[key]
    if "pack" in spec:
        entry = find_sticker(ctx.substitute(spec["pack"], f"{where}.pack"))
        source: Any = entry.source()
        options.setdefault("width", entry.width)
        options.setdefault("anchor", entry.anchor)
    elif "library" in spec:
        source = find_entry(ctx.substitute(spec["library"], f"{where}.library")).vector()
    elif "emoji" in spec:
        source = entry_for_emoji(ctx.substitute(spec["emoji"], f"{where}.emoji")).vector()
    else:
        src = spec["src"]
        if any(ch in src for ch in "*?["):
            folder = ctx.resolve_path(src.rsplit("/", 1)[0] if "/" in src else ".", f"{where}.src", must_exist=False)
            source = str(folder / src.rsplit("/", 1)[-1])
        else:
            path = ctx.resolve_path(src, f"{where}.src", must_exist=False)
            if not path.exists():
                raise ctx.error(f"{where}.src", f"{src!r} does not exist (looked for {path})")
            source = str(path)
    options["label"] = where
    if "face" in spec:
        face = dict(spec["face"])
        if "offset" in face:
            face["offset"] = tuple(face["offset"])
        options.pop("position", None)
        return FaceSticker(source, **options, **face)
    return Sticker(source, **options)


def _text(spec: Mapping[str, Any], where: str, ctx: TemplateContext) -> Text:
    options = _layer_options(spec)
    for key in ("max_width", "language", "typewriter", "word_timings", "safe_area", "strict_fonts"):
        if key in spec:
            options[key] = spec[key]
    style = _style(spec.get("style", "classic"), f"{where}.style", ctx)
    return Text(ctx.substitute(spec["text"], f"{where}.text"), style=style, label=where, **options)


def _captions(spec: Mapping[str, Any], where: str, ctx: TemplateContext) -> Captions:
    options = _layer_options(spec)
    for key in ("highlight", "max_width", "language", "safe_area", "cue_enter", "cue_exit", "strict_fonts"):
        if key in spec:
            options[key] = spec[key]
    if "file" in spec:
        try:
            cues = load_cues(ctx.resolve_path(spec["file"], f"{where}.file"), encoding=spec.get("encoding", "auto"))
        except ParameterError as exc:  # an unknown encoding: name the field
            raise ParameterError(f"{where}.{exc}", field=f"{where}.encoding", value=exc.value, allowed=exc.allowed) from None
    else:
        cues = tuple(
            Cue(c["start"], c["end"], c["text"], tuple(tuple(w) for w in c["words"]) if c.get("words") else None) for c in spec["cues"]
        )
    cues = tuple(Cue(c.start, c.end, ctx.substitute(c.text, f"{where}.cues[{i}].text"), c.words) for i, c in enumerate(cues))
    style = _style(spec.get("style", "subtitle"), f"{where}.style", ctx)
    return Captions(cues, style=style, label=where, **options)


def apply_overlays(edit: Edit, value: Mapping[str, Any], ctx: TemplateContext) -> Edit:
    """Add the section's layers to ``edit`` (stickers, then text, then captions on top)."""
    groups: list[tuple[str, Any, Any]] = [
        ("stickers", value.get("stickers", []), _sticker),
        ("text", value.get("text", []), _text),
    ]
    caps = value.get("captions")
    if caps is not None:
        groups.append(("captions", caps if isinstance(caps, list) else [caps], _captions))
    for group, items, build in groups:
        for i, spec in enumerate(items):
            where = f"overlays.{group}[{i}]" if not (group == "captions" and isinstance(caps, Mapping)) else "overlays.captions"
            try:
                node = build(spec, where, ctx)
                start, end = _span(spec, where, ctx)
                edit = edit.with_overlay(node, start=start, end=end)
            except (TemplateError, MediaError):
                raise
            except ClipkitError as exc:
                raise ctx.error(where, str(exc)) from None
    return edit
