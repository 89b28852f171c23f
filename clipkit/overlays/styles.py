"""Text styles: how a text layer or caption looks, and the named presets.

Named styles live in ``presets/text_styles/<name>.yaml`` (``classic``, ``bold_outline``,
``typewriter``, ``neon``, ``boxed``, ``subtitle``); each file holds the fields of
:class:`TextStyle`. Lengths are pixels of a frame whose short side is 1080 (the
standard 1080x1920 canvas), as for the effects' ``px`` parameters, and scale with the
render: a 540x960 preview or a 720x1280 canvas looks the same.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from ..errors import ParameterError, describe_value
from ..frame import parse_color
from ..resources import presets_dir

__all__ = ["TextStyle", "text_style", "text_style_names", "ALIGNMENTS"]

ALIGNMENTS = ("left", "center", "right")
"""Horizontal alignment of lines inside a text block."""

Color = tuple[int, int, int]


def _num(value: Any, field: str, lo: float, hi: float, unit: str = "") -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
        raise ParameterError(f"{field}: {describe_value(value)} is not a number")
    if not lo <= float(value) <= hi:
        raise ParameterError(f"{field}: {value!r} is outside {lo:g}..{hi:g}{(' ' + unit) if unit else ''}")
    return float(value)


def _pair(value: Any, field: str, lo: float, hi: float, unit: str = "") -> tuple[float, float]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        v = _num(value, field, lo, hi, unit)
        return (v, v)
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return (_num(value[0], f"{field}[0]", lo, hi, unit), _num(value[1], f"{field}[1]", lo, hi, unit))
    raise ParameterError(f"{field}: {describe_value(value)} is not a number or a pair [x, y]")


def _color(value: Any, field: str) -> Color:
    if isinstance(value, list):
        value = tuple(value)
    return parse_color(value, field=field)


@dataclass(frozen=True, slots=True)
class TextStyle:
    """The look of a text layer.

    Parameters
    ----------
    font : str, optional
        Path to a ``.ttf``/``.otf``/``.ttc`` file used first; characters it lacks, and
        every character when ``None``, get a font chosen per script from the installed
        OFL packages.
    size : float in [4, 600]
        Font size (em height) in reference pixels.
    weight : int in [100, 900]
        Weight of variable fonts (400 regular, 700 bold).
    color : colour
        Fill colour (``"#rrggbb"``, a name or ``[r, g, b]``).
    stroke_width : float in [0, 60]
        Outline width in reference pixels (0: none).
    stroke_color : colour
        Outline colour.
    shadow_color : colour, optional
        Drop shadow / glow colour (``None``: no shadow).
    shadow_offset : [x, y] in reference pixels, each in [-100, 100]
        Shadow displacement (``[0, 0]`` with a blur makes a glow).
    shadow_blur : float in [0, 100]
        Gaussian blur radius (sigma) of the shadow in reference pixels.
    shadow_opacity : float in [0, 1]
        Shadow strength.
    box_color : colour, optional
        Background box behind the text block (``None``: no box).
    box_opacity : float in [0, 1]
        Box opacity.
    box_padding : float or [x, y], each in [0, 300]
        Space between the text and the box edge, reference pixels.
    box_radius : float in [0, 300]
        Corner radius of the box, reference pixels.
    align : {'left', 'center', 'right'}
        Alignment of lines in the block.
    line_spacing : float in [0.6, 4]
        Baseline-to-baseline distance as a multiple of ``size``.
    highlight_color : colour
        Fill of the word being spoken in a word-by-word highlight.
    uppercase : bool
        Set the text in capitals (scripts without case are unchanged).
    """

    font: str | None = None
    size: float = 64.0
    weight: int = 600
    color: Color = (255, 255, 255)
    stroke_width: float = 0.0
    stroke_color: Color = (0, 0, 0)
    shadow_color: Color | None = None
    shadow_offset: tuple[float, float] = (0.0, 4.0)
    shadow_blur: float = 0.0
    shadow_opacity: float = 0.6
    box_color: Color | None = None
    box_opacity: float = 1.0
    box_padding: tuple[float, float] = (24.0, 12.0)
    box_radius: float = 0.0
    align: str = "center"
    line_spacing: float = 1.25
    highlight_color: Color = (255, 212, 0)
    uppercase: bool = False

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if self.font is not None and (not isinstance(self.font, str) or not self.font.strip()):
            raise ParameterError(f"style.font: {describe_value(self.font)} is not a font file path")
        set_(self, "size", _num(self.size, "style.size", 4, 600, "reference pixels"))
        if isinstance(self.weight, bool) or not isinstance(self.weight, (int, float)) or not 100 <= self.weight <= 900:
            raise ParameterError(f"style.weight: {self.weight!r} is outside 100..900")
        set_(self, "weight", int(self.weight))
        set_(self, "color", _color(self.color, "style.color"))
        set_(self, "stroke_width", _num(self.stroke_width, "style.stroke_width", 0, 60, "reference pixels"))
        set_(self, "stroke_color", _color(self.stroke_color, "style.stroke_color"))
        if self.shadow_color is not None:
            set_(self, "shadow_color", _color(self.shadow_color, "style.shadow_color"))
        set_(self, "shadow_offset", _pair(self.shadow_offset, "style.shadow_offset", -100, 100, "reference pixels"))
        set_(self, "shadow_blur", _num(self.shadow_blur, "style.shadow_blur", 0, 100, "reference pixels"))
        set_(self, "shadow_opacity", _num(self.shadow_opacity, "style.shadow_opacity", 0, 1))
        if self.box_color is not None:
            set_(self, "box_color", _color(self.box_color, "style.box_color"))
        set_(self, "box_opacity", _num(self.box_opacity, "style.box_opacity", 0, 1))
        set_(self, "box_padding", _pair(self.box_padding, "style.box_padding", 0, 300, "reference pixels"))
        set_(self, "box_radius", _num(self.box_radius, "style.box_radius", 0, 300, "reference pixels"))
        if self.align not in ALIGNMENTS:
            raise ParameterError(f"style.align: {self.align!r} is not one of {', '.join(ALIGNMENTS)}")
        set_(self, "line_spacing", _num(self.line_spacing, "style.line_spacing", 0.6, 4))
        set_(self, "highlight_color", _color(self.highlight_color, "style.highlight_color"))
        if not isinstance(self.uppercase, bool):
            raise ParameterError(f"style.uppercase: {self.uppercase!r} is not true or false")

    def with_(self, **changes: Any) -> TextStyle:
        """A copy with some fields changed (validated)."""
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise ParameterError(f"style: unknown field {sorted(unknown)[0]!r}; fields are {', '.join(f.name for f in fields(self))}")
        return replace(self, **changes)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, field: str = "style") -> TextStyle:
        """Build from plain data; ``preset`` names a base style the other keys change.

        Raises
        ------
        ParameterError
            Unknown keys, bad values or an unknown preset, naming ``field``.
        """
        if not isinstance(data, Mapping):
            raise ParameterError(f"{field}: {describe_value(data)} is not a mapping of style fields")
        data = dict(data)
        base = text_style(data.pop("preset")) if "preset" in data else cls()
        names = {f.name for f in fields(cls)}
        for key in data:
            if key not in names:
                raise ParameterError(f"{field}.{key}: unknown style field; fields are preset, {', '.join(sorted(names))}")
        try:
            return replace(base, **data)
        except ParameterError as exc:
            raise ParameterError(f"{field}: {exc}") from None

    def describe(self) -> dict[str, Any]:
        """Plain data (colours as ``#rrggbb``)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name.endswith("color") and v is not None:
                v = "#%02x%02x%02x" % v
            elif isinstance(v, tuple):
                v = list(v)
            out[f.name] = v
        return out


def _styles_dir() -> Path:
    return presets_dir() / "text_styles"


def text_style_names() -> list[str]:
    """Names of the bundled text styles."""
    folder = _styles_dir()
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


@lru_cache(maxsize=64)
def _load_style(name: str) -> TextStyle:
    path = _styles_dir() / f"{name}.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ParameterError(f"{path}: is not valid YAML ({exc})") from None
    if not isinstance(data, Mapping):
        raise ParameterError(f"{path}: must hold a mapping of style fields")
    data = {k: v for k, v in data.items() if k not in ("name", "description")}
    if "preset" in data:
        raise ParameterError(f"{path}: a bundled style may not name another preset")
    try:
        return TextStyle.from_mapping(data, field=str(path))
    except ParameterError:
        raise


def text_style(name: str | TextStyle | Mapping[str, Any]) -> TextStyle:
    """A named style from ``presets/text_styles``, a TextStyle, or a mapping of fields.

    Raises
    ------
    ParameterError
        For an unknown name (the message lists the known ones) or bad fields.
    """
    if isinstance(name, TextStyle):
        return name
    if isinstance(name, Mapping):
        return TextStyle.from_mapping(name)
    if not isinstance(name, str) or name not in text_style_names():
        raise ParameterError(f"text style: {describe_value(name)} is not a style; known: {', '.join(text_style_names()) or 'none'}")
    return _load_style(name)
