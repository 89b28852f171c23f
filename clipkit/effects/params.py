"""Effect parameters: declarations, validation, keyframes and envelope-driven values.

A :class:`Param` declares one parameter of an effect (kind, default, range, unit, a
one-line doc, whether it may change over time). The same declaration validates user
values, builds the template JSON Schema, and writes the reference docs.

A value given for a keyframable parameter takes one of three forms:

- a constant: ``1.2``;
- keyframes over the clip's own time: ``{"keyframes": [[0, 1.0], [1.5, 1.3, "ease-out"], [3, 1.0]]}``
  (each key is ``[seconds, value]`` or ``[seconds, value, ease]``, or a mapping
  ``{"t": ..., "value": ..., "ease": ...}``; the ease of a key shapes the segment that
  starts there: ``linear``, ``ease-in``, ``ease-out``, ``ease-in-out`` or ``hold``);
- an envelope on the output timeline: ``{"envelope": "beats", "attack": 0.01,
  "decay": 0.2, "from": 1.0, "to": 1.15}``; the envelope is ``beats``, ``downbeats`` or
  ``onsets`` of the edit's music (through ``RenderContext.analysis()``), or any
  :class:`clipkit.envelope.Envelope` callable given from Python.
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..easing import canonical_ease, ease_spellings
from ..easing import ease as _curve
from ..envelope import ENVELOPE_SOURCES, check_envelope_spec, music_envelope
from ..errors import ParameterError, describe_value
from ..frame import parse_color
from ..nodes import FrameTime, RenderContext

__all__ = [
    "PARAM_KINDS",
    "EASES",
    "ENVELOPE_SOURCES",
    "Param",
    "ParamValue",
    "Constant",
    "Keyframes",
    "EnvelopeValue",
    "ease",
]

PARAM_KINDS = ("float", "int", "bool", "choice", "color", "points", "file")
"""Kinds a parameter may have."""

EASES = ("linear", "ease-in", "ease-out", "ease-in-out", "smooth", "hold")
"""Interpolations between keyframes (the curves of :mod:`clipkit.easing`)."""

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_RESERVED = frozenset({"id", "name", "params"})


def ease(kind: str, x: float) -> float:
    """Shape ``x`` in [0, 1] by an easing curve (see :data:`EASES` and :mod:`clipkit.easing`)."""
    if kind == "hold":
        return 0.0  # between keyframes: the value holds until the next one
    return _curve(kind, x)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter of an effect.

    Parameters
    ----------
    name : str
        Lower-case identifier, unique in the effect.
    kind : str, one of PARAM_KINDS
        ``float``, ``int``, ``bool``, ``choice`` (one of ``choices``), ``color``
        (``"#rrggbb"``, a name or ``[r, g, b]``), ``points`` (curve control points
        ``[[x, y], ...]`` with x and y in [0, 1], x increasing) or ``file`` (a path).
    default : any
        The value used when none is given; must itself be valid.
    min, max : float, optional
        Inclusive range of ``float`` and ``int`` parameters.
    unit : str
        Shown in docs: ``"x"``, ``"stops"``, ``"deg"``, ``"px"`` (canvas pixels at
        1080x1920, scaled with the render), ``"s"``, ``"Hz"``...
    doc : str
        One line saying what the parameter does.
    keyframable : bool, optional
        Whether keyframes and envelopes are accepted; by default true for ``float``
        and ``int`` parameters, false otherwise.
    choices : tuple of str
        Allowed values of a ``choice`` parameter.
    neutral : any, optional
        The value at which this parameter does nothing. An effect whose every
        parameter with a neutral value is at that value is the identity (and is
        skipped); a look at ``strength`` k moves such parameters from neutral by k.
    aliases : tuple of str
        Old names still accepted for one release (a :class:`ClipkitDeprecationWarning`
        says which name to use; ``clipkit template validate`` reports them).
    """

    name: str
    kind: str
    default: Any
    min: float | None = None
    max: float | None = None
    unit: str = ""
    doc: str = ""
    keyframable: bool | None = None
    choices: tuple[str, ...] = ()
    neutral: Any = None
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.keyframable is None:
            object.__setattr__(self, "keyframable", self.kind in ("float", "int"))
        if isinstance(self.choices, list):
            object.__setattr__(self, "choices", tuple(self.choices))

    # -- declaration checks (run when an effect registers) ------------------------------
    def check_declaration(self, owner: str) -> None:
        """Raise ``ValueError`` naming ``owner`` when the declaration is inconsistent."""
        where = f"{owner}.{self.name}"
        if not isinstance(self.name, str) or not _NAME.match(self.name) or self.name in _RESERVED:
            raise ValueError(f"{owner}: parameter name {self.name!r} must be lower_case and not id/name/params")
        if self.kind not in PARAM_KINDS:
            raise ValueError(f"{where}: kind {self.kind!r} is not one of {', '.join(PARAM_KINDS)}")
        if self.kind in ("float", "int"):
            if self.min is None or self.max is None or not self.min < self.max:
                raise ValueError(f"{where}: a {self.kind} parameter needs min < max, got {self.min!r}..{self.max!r}")
        if self.kind == "choice" and not self.choices:
            raise ValueError(f"{where}: a choice parameter needs choices")
        if self.keyframable and self.kind not in ("float", "int"):
            raise ValueError(f"{where}: only float and int parameters can be keyframable")
        if not self.doc:
            raise ValueError(f"{where}: needs a one-line doc")
        self.validate(self.default, owner=owner)
        if self.neutral is not None:
            self.validate(self.neutral, owner=owner)

    # -- values -------------------------------------------------------------------------
    def validate(self, value: Any, *, owner: str, at: str | None = None) -> Any:
        """Check a constant value and return it normalized.

        Parameters
        ----------
        value : any
            The value.
        owner : str
            The effect id, for messages (``contrast.amount: ...``).
        at : str, optional
            The full field name for messages when not ``owner.name`` (a keyframe).

        Raises
        ------
        ParameterError
            Naming the field, the value and what is allowed.
        """
        where = at or f"{owner}.{self.name}"
        kind = self.kind
        if kind in ("float", "int"):
            if not _is_number(value) or not math.isfinite(float(value)):
                raise ParameterError(f"{where}: {describe_value(value)} is not a number", field=f"{where}")
            if kind == "int":
                if float(value) != int(value):
                    raise ParameterError(f"{where}: {describe_value(value)} is not a whole number", field=f"{where}")
                value = int(value)
            else:
                value = float(value)
            check_range(where, value, self.min, self.max)
            return value
        if kind == "bool":
            if not isinstance(value, (bool, np.bool_)):
                raise ParameterError(f"{where}: {describe_value(value)} is not true or false", field=f"{where}")
            return bool(value)
        if kind == "choice":
            if value not in self.choices:
                raise ParameterError(f"{where}: {describe_value(value)} is not one of {', '.join(self.choices)}", field=f"{where}")
            return str(value)
        if kind == "color":
            return parse_color(value, field=where)
        if kind == "points":
            return _validate_points(where, value)
        if kind == "file":
            if not isinstance(value, str) or not value.strip():
                raise ParameterError(f"{where}: {describe_value(value)} is not a file name", field=f"{where}")
            return value
        raise ParameterError(f"{where}: unknown kind {kind!r}", field=f"{where}")  # unreachable after check_declaration

    def parse(self, value: Any, *, owner: str) -> ParamValue:
        """Turn a user value (constant, keyframes or envelope) into a :class:`ParamValue`."""
        where = f"{owner}.{self.name}"
        if isinstance(value, ParamValue):
            return value
        if isinstance(value, Mapping) and ("keyframes" in value or "envelope" in value):
            if not self.keyframable:
                raise ParameterError(f"{where}: this parameter is not keyframable; give a constant {self.kind}", field=f"{where}")
            if "keyframes" in value:
                return Keyframes.parse(self, value, owner=owner)
            return EnvelopeValue.parse(self, value, owner=owner)
        return Constant(self.validate(value, owner=owner))

    def interpolate(self, a: Any, b: Any, k: float) -> Any:
        """The value a fraction ``k`` of the way from ``a`` to ``b`` (for looks' intensity)."""
        if self.kind == "float":
            return float(a + (b - a) * k)
        if self.kind == "int":
            return int(round(a + (b - a) * k))
        if self.kind == "color":
            return tuple(int(round(x + (y - x) * k)) for x, y in zip(a, b))
        if self.kind == "points":
            # points of the neutral curve are the identity, so pull y toward x
            if _is_identity_curve(a):
                return tuple((x, x + (y - x) * k) for x, y in b)
            return b if k > 0 else a
        return b if k > 0 else a

    def json_schema(self) -> dict[str, Any]:
        """JSON Schema of the values this parameter accepts (constants, keyframes, envelopes)."""
        const = _constant_schema(self)
        const["description"] = self.doc + (f" ({self.unit})" if self.unit else "")
        if not self.keyframable:
            return const
        bounds = {k: v for k, v in (("minimum", self.min), ("maximum", self.max)) if v is not None}
        kind = "integer" if self.kind == "int" else "number"
        number = {"type": kind, **bounds}
        array_key = {"type": "array", "prefixItems": [{"type": "number", "minimum": 0}, number, {"enum": ease_spellings(EASES)}], "minItems": 2, "maxItems": 3}
        object_key = {
            "type": "object",
            "properties": {"t": {"type": "number", "minimum": 0}, "value": number, "ease": {"enum": ease_spellings(EASES)}},
            "required": ["t", "value"],
            "additionalProperties": False,
        }
        # if/then/else rather than anyOf, so a validator reports the precise problem
        # ("3.5 is above the maximum 2") instead of "matches none of the forms"
        key_item = {"type": ["array", "object"], "if": {"type": "array"}, "then": array_key, "else": object_key}
        keyframes = {
            "type": "object",
            "properties": {"keyframes": {"type": "array", "minItems": 1, "items": key_item}},
            "required": ["keyframes"],
            "additionalProperties": False,
        }
        envelope = {
            "type": "object",
            "properties": {
                "envelope": {"enum": list(ENVELOPE_SOURCES)},
                "attack": {"type": "number", "minimum": 0, "maximum": 2},
                "decay": {"type": "number", "exclusiveMinimum": 0, "maximum": 10},
                "from": number,
                "to": number,
            },
            "required": ["envelope"],
            "additionalProperties": False,
        }
        return {
            "description": const["description"] + "; a constant, {keyframes: [[t, value, ease], ...]} or {envelope: beats, from, to, attack, decay}",
            "type": [kind, "object"],
            "default": self.default,
            "if": {"type": "number"},
            "then": bounds,
            "else": {"if": {"required": ["keyframes"]}, "then": keyframes, "else": envelope},
        }


def check_range(where: str, value: float, low: float | None, high: float | None) -> None:
    """Raise a :class:`ParameterError` when ``value`` is outside ``[low, high]``."""
    if low is not None and value < low:
        raise ParameterError(f"{where}: {value:g} is below the minimum {low:g}", field=where, value=value, allowed=_span(low, high))
    if high is not None and value > high:
        raise ParameterError(f"{where}: {value:g} is above the maximum {high:g}", field=where, value=value, allowed=_span(low, high))


def _span(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"{low:g}..{high:g}"
    return f">= {low:g}" if low is not None else f"<= {high:g}"


def _constant_schema(p: Param) -> dict[str, Any]:
    if p.kind in ("float", "int"):
        return {"type": "integer" if p.kind == "int" else "number", "minimum": p.min, "maximum": p.max, "default": p.default}
    if p.kind == "bool":
        return {"type": "boolean", "default": p.default}
    if p.kind == "choice":
        return {"enum": list(p.choices), "default": p.default}
    if p.kind == "color":
        return {
            "anyOf": [
                {"type": "string"},
                {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 255}, "minItems": 3, "maxItems": 3},
            ]
        }
    if p.kind == "points":
        pair = {"type": "array", "items": {"type": "number", "minimum": 0, "maximum": 1}, "minItems": 2, "maxItems": 2}
        return {"type": "array", "items": pair, "minItems": 2, "maxItems": 32}
    return {"type": "string", "minLength": 1}


def _validate_points(where: str, value: Any) -> tuple[tuple[float, float], ...]:
    if not isinstance(value, (list, tuple)) or len(value) < 2:
        raise ParameterError(f"{where}: {describe_value(value)} is not a list of at least 2 [x, y] points", field=f"{where}")
    if len(value) > 32:
        raise ParameterError(f"{where}: {len(value)} points; at most 32 are allowed", field=f"{where}")
    out: list[tuple[float, float]] = []
    for i, pt in enumerate(value):
        if not isinstance(pt, (list, tuple)) or len(pt) != 2 or not all(_is_number(c) for c in pt):
            raise ParameterError(f"{where}[{i}]: {describe_value(pt)} is not an [x, y] pair of numbers", field=f"{where}[{i}]")
        x, y = float(pt[0]), float(pt[1])
        for name, c in (("x", x), ("y", y)):
            if not (0.0 <= c <= 1.0):
                raise ParameterError(f"{where}[{i}].{name}: {c:g} is outside 0..1", field=f"{where}[{i}].{name}")
        if out and x <= out[-1][0]:
            raise ParameterError(f"{where}[{i}].x: {x:g} is not after the previous point's x {out[-1][0]:g}", field=f"{where}[{i}].x")
        out.append((x, y))
    return tuple(out)


def _is_identity_curve(points: Any) -> bool:
    return isinstance(points, tuple) and all(abs(x - y) < 1e-9 for x, y in points)


# -- values over time -----------------------------------------------------------------------
class ParamValue(ABC):
    """A parameter's value over time; bound once per render to a per-frame resolver."""

    __slots__ = ()

    @abstractmethod
    def bind(self, ctx: RenderContext) -> tuple[Any, Callable[[FrameTime], Any] | None]:
        """``(constant, None)`` for a constant, ``(None, resolver)`` for a changing value."""

    @abstractmethod
    def toward(self, param: Param, neutral: Any, k: float) -> ParamValue:
        """This value moved a fraction ``k`` from ``neutral`` (``k = 1`` is this value)."""

    @abstractmethod
    def describe(self) -> Any:
        """A plain-data form (as a template would write it)."""


@dataclass(frozen=True, slots=True)
class Constant(ParamValue):
    """A value that does not change."""

    value: Any

    def bind(self, ctx: RenderContext) -> tuple[Any, Callable[[FrameTime], Any] | None]:
        return self.value, None

    def toward(self, param: Param, neutral: Any, k: float) -> ParamValue:
        return Constant(param.interpolate(neutral, self.value, k))

    def describe(self) -> Any:
        return _plain(self.value)


def _plain(value: Any) -> Any:
    """Tuples (colours, curve points) as lists, as YAML and JSON write them."""
    return [_plain(v) for v in value] if isinstance(value, tuple) else value


@dataclass(frozen=True, slots=True)
class Keyframes(ParamValue):
    """Values at times (seconds since the clip start), interpolated by each key's ease."""

    times: tuple[float, ...]
    values: tuple[float, ...]
    eases: tuple[str, ...]
    integer: bool = False

    @classmethod
    def parse(cls, param: Param, value: Mapping[str, Any], *, owner: str) -> Keyframes:
        where = f"{owner}.{param.name}.keyframes"
        extra = set(value) - {"keyframes"}
        if extra:
            raise ParameterError(f"{owner}.{param.name}: unknown field {sorted(extra)[0]!r} next to keyframes", field=f"{owner}.{param.name}")
        keys = value["keyframes"]
        if not isinstance(keys, (list, tuple)) or not keys:
            raise ParameterError(f"{where}: {describe_value(keys)} is not a non-empty list of keys", field=f"{where}")
        times: list[float] = []
        values: list[float] = []
        eases: list[str] = []
        for i, key in enumerate(keys):
            if isinstance(key, Mapping):
                unknown = set(key) - {"t", "value", "ease"}
                if unknown or "t" not in key or "value" not in key:
                    raise ParameterError(f"{where}[{i}]: {describe_value(key)} needs t and value (and optionally ease)", field=f"{where}[{i}]")
                t, v, e = key["t"], key["value"], key.get("ease", "linear")
            elif isinstance(key, (list, tuple)) and len(key) in (2, 3):
                t, v = key[0], key[1]
                e = key[2] if len(key) == 3 else "linear"
            else:
                raise ParameterError(f"{where}[{i}]: {describe_value(key)} is not [t, value] or [t, value, ease]", field=f"{where}[{i}]")
            if not _is_number(t) or not math.isfinite(float(t)) or float(t) < 0:
                raise ParameterError(f"{where}[{i}].t: {describe_value(t)} is not a time in seconds >= 0", field=f"{where}[{i}].t")
            if times and float(t) <= times[-1]:
                raise ParameterError(f"{where}[{i}].t: {float(t):g} is not after the previous key's {times[-1]:g}", field=f"{where}[{i}].t")
            e = canonical_ease(e)
            if e not in EASES:
                raise ParameterError(f"{where}[{i}].ease: {describe_value(e)} is not one of {', '.join(EASES)}", field=f"{where}[{i}].ease")
            v = param.validate(v, owner=owner, at=f"{where}[{i}].value")
            times.append(float(t))
            values.append(float(v))
            eases.append(str(e))
        return cls(tuple(times), tuple(values), tuple(eases), integer=param.kind == "int")

    def at(self, t: float) -> float:
        """The value at ``t`` seconds (held before the first and after the last key)."""
        times = self.times
        if t <= times[0]:
            return self.values[0]
        if t >= times[-1]:
            return self.values[-1]
        i = int(np.searchsorted(times, t, side="right")) - 1
        x = (t - times[i]) / (times[i + 1] - times[i])
        a, b = self.values[i], self.values[i + 1]
        return a + (b - a) * ease(self.eases[i], x)

    def bind(self, ctx: RenderContext) -> tuple[Any, Callable[[FrameTime], Any] | None]:
        if len(self.times) == 1:
            return self._cast(self.values[0]), None
        return None, lambda time: self._cast(self.at(time.local_t))

    def _cast(self, v: float) -> Any:
        return int(round(v)) if self.integer else float(v)

    def toward(self, param: Param, neutral: Any, k: float) -> ParamValue:
        values = tuple(float(neutral + (v - neutral) * k) for v in self.values)
        return Keyframes(self.times, values, self.eases, self.integer)

    def describe(self) -> Any:
        return {"keyframes": [[t, self._cast(v), e] for t, v, e in zip(self.times, self.values, self.eases)]}


@dataclass(frozen=True, slots=True)
class EnvelopeValue(ParamValue):
    """``from + (to - from) * envelope(t)`` on the output timeline.

    ``source`` is a name in :data:`ENVELOPE_SOURCES` (resolved from the edit's music
    when the render is bound; with no music the value stays at ``from``) or an
    :class:`clipkit.envelope.Envelope` callable.
    """

    source: Any
    low: float
    high: float
    attack: float = 0.01
    decay: float = 0.2
    integer: bool = False

    @classmethod
    def parse(cls, param: Param, value: Mapping[str, Any], *, owner: str) -> EnvelopeValue:
        where = f"{owner}.{param.name}"
        source, attack, decay = check_envelope_spec(value, field=where)
        rest = param.default if param.neutral is None else param.neutral
        low = param.validate(value.get("from", rest), owner=owner, at=f"{where}.from")
        high = param.validate(value.get("to", param.max), owner=owner, at=f"{where}.to")
        return cls(source, float(low), float(high), float(attack), float(decay), integer=param.kind == "int")

    def bind(self, ctx: RenderContext) -> tuple[Any, Callable[[FrameTime], Any] | None]:
        env = self.resolve(ctx)
        if env is None:
            return self._cast(self.low), None
        low, high = self.low, self.high
        return None, lambda time: self._cast(low + (high - low) * float(env(time.t)))

    def resolve(self, ctx: RenderContext) -> Callable[[float], float] | None:
        """The envelope callable for this render (``None`` when the edit has no music)."""
        if callable(self.source):
            return self.source
        return music_envelope(ctx, self.source, attack=self.attack, decay=self.decay)

    def _cast(self, v: float) -> Any:
        return int(round(v)) if self.integer else float(v)

    def toward(self, param: Param, neutral: Any, k: float) -> ParamValue:
        return EnvelopeValue(
            self.source,
            float(neutral + (self.low - neutral) * k),
            float(neutral + (self.high - neutral) * k),
            self.attack,
            self.decay,
            self.integer,
        )

    def describe(self) -> Any:
        src = self.source if isinstance(self.source, str) else "<callable>"
        return {"envelope": src, "attack": self.attack, "decay": self.decay, "from": self.low, "to": self.high}


def normalize_points(points: Sequence[Sequence[float]]) -> tuple[tuple[float, float], ...]:
    """Control points as a tuple of float pairs."""
    return tuple((float(x), float(y)) for x, y in points)

