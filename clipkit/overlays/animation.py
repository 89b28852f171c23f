"""Values that change over time (keyframes, beat envelopes) and enter/exit animations.

A layer's position, scale, rotation and opacity each take a :class:`Track`:

- a constant: ``1.2`` (or ``[0.5, 0.3]`` for a position);
- keyframes over the layer's own time: ``{"keyframes": [[0, 1.0], [0.5, 1.3, "back-out"]]}``,
  each key ``[seconds, value]`` or ``[seconds, value, ease]``; the ease of a key shapes
  the segment that starts there (the vocabulary of :mod:`clipkit.effects.params`,
  plus the overshooting ``back-out``, ``bounce-out`` and ``elastic-out``);
- an envelope on the output timeline: ``{"envelope": "beats", "from": 1.0, "to": 1.15,
  "attack": 0.01, "decay": 0.2}`` with ``beats``, ``downbeats`` or ``onsets`` of the
  edit's music (through ``RenderContext.analysis()``; with no music the value stays
  at ``from``), or any :class:`clipkit.envelope.Envelope` callable.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..easing import canonical_ease
from ..easing import ease as _curve
from ..envelope import ENVELOPE_SOURCES, check_envelope_spec, music_envelope
from ..errors import ParameterError, describe_value
from ..nodes import FrameTime, RenderContext

__all__ = [
    "EASES",
    "ENVELOPE_SOURCES",
    "ANIMATIONS",
    "DIRECTIONS",
    "ease",
    "Track",
    "Animation",
    "LayerState",
]

EASES = ("linear", "ease-in", "ease-out", "ease-in-out", "smooth", "hold", "back-out", "bounce-out", "elastic-out")
"""Easing curves between keyframes and of enter/exit animations."""

ANIMATIONS = ("pop", "bounce", "fade", "slide", "spin", "wiggle")
"""Enter/exit animation kinds."""

DIRECTIONS = ("up", "down", "left", "right")
"""Directions of a ``slide``: where the motion goes."""


def ease(kind: str, x: float) -> float:
    """Shape ``x`` in [0, 1] by an easing curve (see :data:`EASES` and :mod:`clipkit.easing`); ends at 0 and 1."""
    if kind not in EASES:
        raise ParameterError(f"ease: {kind!r} is not one of {', '.join(EASES)}")
    return _curve(kind, x)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) and math.isfinite(float(value))


# -- tracks ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Track:
    """A layer property over time: constant, keyframes or envelope.

    Build with :meth:`parse`. Values are floats, or tuples of ``dims`` floats.
    """

    kind: str  # "constant", "keyframes", "envelope"
    dims: int
    constant: tuple[float, ...] = ()
    times: tuple[float, ...] = ()
    values: tuple[tuple[float, ...], ...] = ()
    eases: tuple[str, ...] = ()
    source: Any = None
    low: float = 0.0
    high: float = 1.0
    attack: float = 0.01
    decay: float = 0.2

    @classmethod
    def parse(
        cls,
        value: Any,
        *,
        field: str,
        dims: int = 1,
        lo: float = -math.inf,
        hi: float = math.inf,
        unit: str = "",
    ) -> Track:
        """Validate a user value (constant, keyframes or envelope) for ``field``.

        Parameters
        ----------
        value : number, sequence, Track or mapping
            See the module docs.
        field : str
            Name used in error messages, e.g. ``"Sticker.scale"``.
        dims : {1, 2}
            1 for scalars, 2 for positions ``[x, y]``.
        lo, hi : float
            Inclusive range of every value.
        unit : str
            Shown in error messages.

        Raises
        ------
        ParameterError
            Naming ``field``, the value and what is allowed.
        """
        if isinstance(value, Track):
            if value.dims != dims:
                raise ParameterError(f"{field}: a track of {value.dims} values where {dims} are needed")
            return value
        if isinstance(value, Mapping) and "keyframes" in value:
            extra = set(value) - {"keyframes"}
            if extra:
                raise ParameterError(f"{field}: unknown field {sorted(extra)[0]!r} next to keyframes")
            return cls._keyframes(value["keyframes"], field=field, dims=dims, lo=lo, hi=hi, unit=unit)
        if isinstance(value, Mapping) and "envelope" in value:
            if dims != 1:
                raise ParameterError(f"{field}: envelopes drive single numbers, not [x, y] pairs")
            return cls._envelope(value, field=field, lo=lo, hi=hi, unit=unit)
        return cls("constant", dims, constant=_check_value(value, field=field, dims=dims, lo=lo, hi=hi, unit=unit))

    @classmethod
    def _keyframes(cls, keys: Any, *, field: str, dims: int, lo: float, hi: float, unit: str) -> Track:
        if not isinstance(keys, Sequence) or isinstance(keys, str) or not keys:
            raise ParameterError(f"{field}.keyframes: {describe_value(keys)} is not a non-empty list of [t, value, ease]")
        times: list[float] = []
        values: list[tuple[float, ...]] = []
        eases: list[str] = []
        for i, key in enumerate(keys):
            where = f"{field}.keyframes[{i}]"
            if isinstance(key, Mapping):
                t, v, e = key.get("t"), key.get("value"), key.get("ease", "linear")
            elif isinstance(key, Sequence) and not isinstance(key, str) and len(key) in (2, 3):
                t, v = key[0], key[1]
                e = key[2] if len(key) == 3 else "linear"
            else:
                raise ParameterError(f"{where}: {describe_value(key)} is not [t, value] or [t, value, ease]")
            if not _is_number(t) or float(t) < 0:
                raise ParameterError(f"{where}.t: {describe_value(t)} is not a time in seconds >= 0")
            if times and float(t) <= times[-1]:
                raise ParameterError(f"{where}.t: {float(t):g} is not after the previous key's {times[-1]:g}")
            e = canonical_ease(e)
            if e not in EASES:
                raise ParameterError(f"{where}.ease: {describe_value(e)} is not one of {', '.join(EASES)}")
            times.append(float(t))
            values.append(_check_value(v, field=f"{where}.value", dims=dims, lo=lo, hi=hi, unit=unit))
            eases.append(str(e))
        return cls("keyframes", dims, times=tuple(times), values=tuple(values), eases=tuple(eases))

    @classmethod
    def _envelope(cls, spec: Mapping[str, Any], *, field: str, lo: float, hi: float, unit: str) -> Track:
        source, attack, decay = check_envelope_spec(spec, field=field)
        if "from" not in spec or "to" not in spec:
            raise ParameterError(f"{field}: an envelope needs 'from' (the value at rest) and 'to' (the value on a peak)")
        low = _check_value(spec["from"], field=f"{field}.from", dims=1, lo=lo, hi=hi, unit=unit)[0]
        high = _check_value(spec["to"], field=f"{field}.to", dims=1, lo=lo, hi=hi, unit=unit)[0]
        return cls("envelope", 1, source=source, low=low, high=high, attack=float(attack), decay=float(decay))

    @property
    def is_constant(self) -> bool:
        """Whether the value never changes."""
        return self.kind == "constant"

    def at(self, t: float) -> tuple[float, ...]:
        """The keyframed value at layer-local ``t`` seconds (constants ignore ``t``)."""
        if self.kind == "constant":
            return self.constant
        if self.kind != "keyframes":
            raise ParameterError("Track.at: envelopes need a render context; use bind()")
        times = self.times
        if t <= times[0]:
            return self.values[0]
        if t >= times[-1]:
            return self.values[-1]
        i = int(np.searchsorted(times, t, side="right")) - 1
        x = ease(self.eases[i], (t - times[i]) / (times[i + 1] - times[i]))
        a, b = self.values[i], self.values[i + 1]
        return tuple(p + (q - p) * x for p, q in zip(a, b))

    def bind(self, ctx: RenderContext) -> Callable[[FrameTime], tuple[float, ...]]:
        """A per-frame function for one render."""
        if self.kind == "constant":
            value = self.constant
            return lambda time: value
        if self.kind == "keyframes":
            return lambda time: self.at(time.local_t)
        env = self.source if callable(self.source) else music_envelope(ctx, self.source, attack=self.attack, decay=self.decay)
        low, high = self.low, self.high
        if env is None:
            return lambda time: (low,)
        return lambda time: (low + (high - low) * float(env(time.t)),)

    def describe(self) -> Any:
        """Plain data (for templates and docs)."""
        if self.kind == "constant":
            return self.constant[0] if self.dims == 1 else list(self.constant)
        if self.kind == "keyframes":
            return {"keyframes": [[t, v[0] if self.dims == 1 else list(v), e] for t, v, e in zip(self.times, self.values, self.eases)]}
        src = self.source if isinstance(self.source, str) else "<callable>"
        return {"envelope": src, "from": self.low, "to": self.high, "attack": self.attack, "decay": self.decay}


def _check_value(value: Any, *, field: str, dims: int, lo: float, hi: float, unit: str) -> tuple[float, ...]:
    if dims == 1:
        items = [value]
        if not _is_number(value):
            raise ParameterError(f"{field}: {describe_value(value)} is not a number")
    else:
        if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != dims or not all(_is_number(v) for v in value):
            raise ParameterError(f"{field}: {describe_value(value)} is not a pair of numbers [x, y]")
        items = list(value)
    out = tuple(float(v) for v in items)
    for v in out:
        if not lo <= v <= hi:
            rng = f"{lo:g}..{hi:g}" if math.isfinite(lo) and math.isfinite(hi) else (f">= {lo:g}" if math.isfinite(lo) else f"<= {hi:g}")
            raise ParameterError(f"{field}: {describe_value(value)} is outside {rng}{(' ' + unit) if unit else ''}")
    return out


# -- enter / exit -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Animation:
    """An enter or exit animation.

    Parameters
    ----------
    kind : {'pop', 'bounce', 'fade', 'slide', 'spin'}
        ``pop`` scales up from nothing with an overshoot; ``bounce`` drops in from
        above and bounces on landing; ``fade`` fades; ``slide`` moves in (out) along
        ``direction`` while fading; ``spin`` turns a full circle while growing.
    duration : float in (0, 10]
        Seconds.
    direction : {'up', 'down', 'left', 'right'}
        Where a ``slide`` moves.
    distance : float in [0, 2]
        How far a ``slide`` or ``bounce`` travels, as a fraction of the canvas
        height (up/down) or width (left/right).
    """

    kind: str
    duration: float = 0.4
    direction: str = "up"
    distance: float = 0.2

    def __post_init__(self) -> None:
        if self.kind not in ANIMATIONS:
            raise ParameterError(f"animation: {self.kind!r} is not one of {', '.join(ANIMATIONS)}")
        if not _is_number(self.duration) or not 0 < float(self.duration) <= 10:
            raise ParameterError(f"{self.kind}.duration: {self.duration!r} must be above 0 and at most 10 seconds")
        if self.direction not in DIRECTIONS:
            raise ParameterError(f"{self.kind}.direction: {self.direction!r} is not one of {', '.join(DIRECTIONS)}")
        if not _is_number(self.distance) or not 0 <= float(self.distance) <= 2:
            raise ParameterError(f"{self.kind}.distance: {self.distance!r} is outside 0..2 (fractions of the canvas)")

    @classmethod
    def parse(cls, value: Any, *, field: str) -> Animation | None:
        """``None``, a kind name, a mapping ``{type, duration, direction, distance}`` or an Animation."""
        if value is None or isinstance(value, Animation):
            return value
        if isinstance(value, str):
            if value not in ANIMATIONS:
                raise ParameterError(f"{field}: {value!r} is not one of {', '.join(ANIMATIONS)}")
            return cls(value)
        if isinstance(value, Mapping):
            extra = set(value) - {"type", "duration", "direction", "distance"}
            if extra or "type" not in value:
                what = f"unknown field {sorted(extra)[0]!r}" if extra else "no 'type'"
                raise ParameterError(f"{field}: {what}; use type ({', '.join(ANIMATIONS)}), duration, direction, distance")
            try:
                return cls(
                    value["type"],
                    float(value.get("duration", 0.4)),
                    value.get("direction", "up"),
                    float(value.get("distance", 0.2)),
                )
            except (TypeError, ValueError) as exc:
                raise ParameterError(f"{field}: {exc}") from None
        raise ParameterError(f"{field}: {describe_value(value)} is not an animation; use one of {', '.join(ANIMATIONS)} or a mapping")

    def describe(self) -> dict[str, Any]:
        """Plain data."""
        return {"type": self.kind, "duration": self.duration, "direction": self.direction, "distance": self.distance}


@dataclass(slots=True)
class LayerState:
    """Where and how a layer is drawn in one frame.

    Attributes
    ----------
    x, y : float
        Anchor position in canvas fractions (0..1 across, 0..1 down).
    scale : float
        Multiplier on the layer's base size.
    rotation : float
        Degrees clockwise.
    opacity : float
        In [0, 1].
    """

    x: float
    y: float
    scale: float
    rotation: float
    opacity: float

    def apply(self, anim: Animation, p: float, *, entering: bool) -> None:
        """Apply ``anim`` at progress ``p`` (0 = absent, 1 = fully in)."""
        p = min(1.0, max(0.0, p))
        kind = anim.kind
        if kind == "fade":
            self.opacity *= ease("ease-out", p) if entering else ease("ease-in", p)
        elif kind == "pop":
            self.scale *= ease("back-out", p) if entering else ease("ease-out", p)
            self.opacity *= min(1.0, 3.0 * p)
        elif kind == "bounce":
            if entering:
                self.y -= (1.0 - ease("bounce-out", p)) * anim.distance
            else:
                self.y -= (1.0 - ease("ease-out", p)) * anim.distance
            self.opacity *= min(1.0, 3.0 * p)
        elif kind == "slide":
            dx, dy = {"up": (0.0, -1.0), "down": (0.0, 1.0), "left": (-1.0, 0.0), "right": (1.0, 0.0)}[anim.direction]
            off = (1.0 - ease("ease-out", p)) * anim.distance
            sign = -1.0 if entering else 1.0  # enter from behind the motion, exit along it
            self.x += sign * dx * off
            self.y += sign * dy * off
            self.opacity *= ease("ease-out", p)
        elif kind == "spin":
            e = ease("ease-out", p)
            self.rotation += (1.0 - e) * (-360.0 if entering else 360.0)
            self.scale *= e
            self.opacity *= min(1.0, 3.0 * p)
        elif kind == "wiggle":
            # grows in over the first third while it rocks two times either way, settling at rest
            self.rotation += 18.0 * math.sin(4.0 * math.pi * p) * (1.0 - p)
            self.scale *= ease("back-out", min(1.0, 3.0 * p))
            self.opacity *= min(1.0, 3.0 * p)
