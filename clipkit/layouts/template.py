"""The template shot key ``layout``: put several clips in one shot.

The shot's own clip (its ``slot``, ``video``, ``image`` or ``color``) is the first cell:
the left/top clip of a duet, the first grid cell, the main picture of a
picture-in-picture, the subject of a green screen. ``with`` lists the other cells:

.. code-block:: yaml

    shots:
      - slot: me
        duration: 6
        layout:
          type: duet                  # duet | grid | pip | green_screen
          arrangement: side-by-side   # duet: side-by-side | top-bottom
          audio: both
          with:
            - {slot: partner, start: 0.5, at: 1.0}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..edit.clip import Clip, color
from ..edit.clip import open as open_clip
from ..errors import ParameterError
from ..render.fit import fit_modes
from . import AUDIO_CHOICES, ARRANGEMENTS, PIP_POSITIONS, Cell, duet, green_screen, grid, layout, pip

if TYPE_CHECKING:
    from ..template.loader import TemplateContext

__all__ = ["LAYOUT_SCHEMA", "apply_layout"]

_COLOR = {
    "description": "'#rrggbb', '#rgb', a colour name, or [r, g, b]",
    "anyOf": [
        {"type": "string"},
        {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 255}, "minItems": 3, "maxItems": 3},
    ],
}
_SHARE = {"type": "number", "minimum": 0, "maximum": 1}


def _cell_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "Another clip in the layout: a slot's clip, a file, or a colour.",
        "properties": {
            "slot": {"type": "string", "description": "Id of the slot whose clip plays in this cell."},
            "video": {"type": "string", "description": "A video file, relative to the template."},
            "image": {"type": "string", "description": "A still image, relative to the template."},
            "color": _COLOR,
            "start": {"type": "number", "minimum": 0, "description": "Seconds into the clip where the cell starts.", "default": 0},
            "duration": {"type": "number", "exclusiveMinimum": 0, "description": "Seconds of the clip used."},
            "at": {"type": "number", "minimum": 0, "description": "Second of the layout where this cell's clip starts.", "default": 0},
            "fit": {"type": "string", "enum": list(fit_modes()), "description": "How the clip fills its cell."},
            "volume": {"type": "number", "minimum": 0, "maximum": 4, "description": "Gain of the cell's sound."},
            "rect": {
                "type": "array",
                "items": _SHARE,
                "minItems": 4,
                "maxItems": 4,
                "description": "grid: custom cell [x, y, width, height] as shares of the frame.",
            },
        },
        "oneOf": [{"required": ["slot"]}, {"required": ["video"]}, {"required": ["image"]}, {"required": ["color"]}],
        "additionalProperties": False,
    }


LAYOUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Several clips in one frame; the shot's own clip is the first cell.",
    "properties": {
        "type": {"type": "string", "enum": ["duet", "grid", "pip", "green_screen"], "description": "Kind of layout."},
        "with": {"type": "array", "items": _cell_schema(), "minItems": 1, "description": "The other cells, in order."},
        "fit": {"type": "string", "enum": list(fit_modes()), "default": "cover", "description": "How clips fill their cells."},
        "audio": {
            "type": "string",
            "enum": list(AUDIO_CHOICES) + ["all"],
            "description": "Whose sound is heard: first (the shot's clip), second, both/all, none.",
        },
        "background": _COLOR,
        "duration": {"type": "number", "exclusiveMinimum": 0, "description": "Seconds the layout lasts (default: its longest cell)."},
        "arrangement": {"type": "string", "enum": list(ARRANGEMENTS), "description": "duet: how the halves sit."},
        "rows": {"type": "integer", "minimum": 1, "maximum": 8, "description": "grid: rows."},
        "cols": {"type": "integer", "minimum": 1, "maximum": 8, "description": "grid: columns."},
        "gap": {"type": "number", "minimum": 0, "maximum": 0.2, "description": "duet, grid: space between cells (share of the width)."},
        "stagger": {"type": "number", "minimum": 0, "description": "grid: seconds between one cell's start and the next."},
        "position": {
            "description": "pip: top-left, top-right, bottom-left, bottom-right, center, or [x, y].",
            "anyOf": [{"type": "string", "enum": list(PIP_POSITIONS)}, {"type": "array", "items": _SHARE, "minItems": 2, "maxItems": 2}],
        },
        "size": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "description": "pip: inset width (share of the frame)."},
        "margin": {"type": "number", "minimum": 0, "maximum": 0.3, "description": "pip: distance from the edges."},
        "border": {"type": "number", "minimum": 0, "maximum": 200, "description": "pip: border width (px at 1080)."},
        "border_color": _COLOR,
        "radius": {"type": "number", "minimum": 0, "maximum": 1000, "description": "pip: corner radius (px at 1080)."},
        "key_color": {"description": "green_screen: screen colour or 'auto'.", "anyOf": [{"type": "string"}, _COLOR]},
        "similarity": {"type": "number", "minimum": 0, "maximum": 1, "description": "green_screen: key reach."},
        "smoothness": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "description": "green_screen: edge softness."},
        "spill": {"type": "number", "minimum": 0, "maximum": 1, "description": "green_screen: colour cast removal."},
    },
    "required": ["type", "with"],
    "additionalProperties": False,
}

# options that only some layout types take
_ONLY = {
    "arrangement": ("duet",),
    "rows": ("grid",),
    "cols": ("grid",),
    "stagger": ("grid",),
    "gap": ("duet", "grid"),
    "position": ("pip",),
    "size": ("pip",),
    "margin": ("pip",),
    "border": ("pip",),
    "border_color": ("pip",),
    "radius": ("pip",),
    "key_color": ("green_screen",),
    "similarity": ("green_screen",),
    "smoothness": ("green_screen",),
    "spill": ("green_screen",),
}


def _cell_clip(spec: dict[str, Any], ctx: TemplateContext, where: str) -> Clip | None:
    if "slot" in spec:
        if spec["slot"] not in ctx.clips:
            declared = {s.get("id") for s in ctx.document.get("slots", [])}
            if spec["slot"] in declared:
                return None  # an optional slot left empty
            raise ctx.error(f"{where}.slot", f"{spec['slot']!r} is not a declared slot (slots: {', '.join(sorted(d for d in declared if d)) or 'none'})")
        clip = ctx.clips[spec["slot"]]
    elif "video" in spec or "image" in spec:
        key = "video" if "video" in spec else "image"
        clip = open_clip(ctx.resolve_path(spec[key], f"{where}.{key}"))
    else:
        try:
            clip = color(spec["color"], duration=spec.get("duration", 3600.0))
        except ParameterError as exc:
            raise ctx.error(f"{where}.color", str(exc)) from None
    try:
        start = spec.get("start", 0.0)
        if "duration" in spec and "color" not in spec:
            clip = clip.trim(start, duration=spec["duration"])
        elif start:
            clip = clip.trim(start)
    except ParameterError as exc:
        raise ctx.error(where, f"{exc} (clip {clip.describe()})") from None
    if "volume" in spec:
        clip = clip.with_volume(spec["volume"])
    return clip


def _shot_field(ctx: TemplateContext, value: dict[str, Any]) -> str:
    """``shots[i].layout`` for the shot whose layout is ``value`` (for error messages)."""
    for i, shot in enumerate(ctx.document.get("shots", [])):
        if shot.get("layout") is value:
            return f"shots[{i}].layout"
    return "layout"


def apply_layout(clip: Clip, value: dict[str, Any], ctx: TemplateContext) -> Clip:
    """``apply(clip, value, ctx) -> clip`` for the ``layout`` shot key."""
    kind = value["type"]
    for option, kinds in _ONLY.items():
        if option in value and kind not in kinds:
            raise ParameterError(f"{option}: only {' and '.join(kinds)} layouts take it, not {kind}")
    others: list[tuple[Clip, dict[str, Any]]] = []
    where = _shot_field(ctx, value)
    for i, spec in enumerate(value["with"]):
        c = _cell_clip(spec, ctx, f"{where}.with[{i}]")
        if c is not None:
            others.append((c, spec))
    fit = value.get("fit", "cover")
    background = value.get("background", "black")
    audio = value.get("audio")
    if kind in ("duet", "pip", "green_screen") and len(others) != 1:
        raise ParameterError(f"with: a {kind} takes exactly one other clip, got {len(others)}")
    for i, (_, spec) in enumerate(others):
        if "rect" in spec and kind != "grid":
            raise ParameterError(f"with[{i}].rect: only grid layouts take custom rectangles")
    if kind == "duet":
        other, spec = others[0]
        return duet(
            clip,
            other,
            arrangement=value.get("arrangement", "side-by-side"),
            audio="both" if audio in (None, "all") else audio,
            fit=fit,
            offsets=(0.0, float(spec.get("at", 0.0))),
            gap=value.get("gap", 0.0),
            background=background,
            duration=value.get("duration"),
        )
    if kind == "pip":
        other, spec = others[0]
        options = {k: value[k] for k in ("size", "margin", "border", "border_color", "radius") if k in value}
        position = value.get("position", "top-right")
        return pip(
            clip,
            other,
            position=tuple(position) if isinstance(position, list) else position,
            fit=spec.get("fit", fit),
            audio="both" if audio in (None, "all") else audio,
            offset=float(spec.get("at", 0.0)),
            **options,
        )
    if kind == "green_screen":
        other, spec = others[0]
        return green_screen(
            clip,
            other,
            key_color=value.get("key_color", "auto"),
            similarity=value.get("similarity", 0.35),
            smoothness=value.get("smoothness", 0.12),
            spill=value.get("spill", 0.5),
            fit=fit,
            background_fit=spec.get("fit", "cover"),
            audio="first" if audio is None else ("both" if audio == "all" else audio),
        )
    # grid
    clips = [clip] + [c for c, _ in others]
    specs = [{}] + [s for _, s in others]
    stagger = float(value.get("stagger", 0.0))
    offsets = [float(s.get("at", i * stagger)) for i, s in enumerate(specs)]
    heard = {"first": "first", "all": "all", "both": "all", "none": "none", "second": [1] if len(clips) > 1 else "none", None: "first"}[audio]
    rects = None
    if any("rect" in s for s in specs[1:]):
        if not all("rect" in s for s in specs[1:]):
            raise ParameterError("with: give every cell a rect, or none")
        rects = [(0.0, 0.0, 1.0, 1.0)] + [tuple(s["rect"]) for s in specs[1:]]
    if rects is not None:
        cells = [
            Cell(c, rect=r, fit=s.get("fit", fit), at=t, before="empty", audio=(heard == "all" or (heard == "first" and i == 0) or (isinstance(heard, list) and i in heard)), name=f"layout.with[{i - 1}]" if i else "layout")
            for i, (c, s, r, t) in enumerate(zip(clips, specs, rects, offsets))
        ]
        return layout(cells, duration=value.get("duration"), background=background, label=f"grid of {len(cells)}")
    return grid(
        clips,
        rows=value.get("rows"),
        cols=value.get("cols"),
        fit=fit,
        gap=value.get("gap", 0.0),
        offsets=offsets,
        audio=heard,
        background=background,
        duration=value.get("duration"),
    )
