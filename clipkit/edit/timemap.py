"""Time maps: which moment of a clip plays at each moment of the output.

A :class:`TimeMap` is a piecewise-linear function from output seconds (``0 ..
duration``) to clip seconds: slope 1 plays normally, 0.5 is half speed, 0 a freeze,
negative slopes play backwards. Ramps are sampled densely (every few milliseconds), so
one representation serves video (evaluate at frame times) and sound (evaluate at
sample times).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError

__all__ = [
    "TimeMap",
    "RAMP_PRESETS",
    "MIN_SPEED",
    "MAX_SPEED",
    "check_speed",
    "constant_map",
    "ramp_map",
    "reverse_map",
    "freeze_map",
    "boomerang_map",
]

MIN_SPEED = 0.1
MAX_SPEED = 10.0

RAMP_PRESETS: dict[str, tuple[tuple[float, float], ...]] = {
    # (position in the output, 0..1) -> speed; eased between keyframes
    "montage": ((0.0, 2.5), (0.3, 2.5), (0.42, 0.6), (0.58, 0.6), (0.7, 2.5), (1.0, 2.5)),
    "hero": ((0.0, 1.0), (0.25, 1.0), (0.38, 0.25), (0.72, 0.25), (0.85, 1.0), (1.0, 1.0)),
    "bullet": ((0.0, 2.0), (0.3, 2.0), (0.4, 0.15), (0.7, 0.15), (0.8, 2.0), (1.0, 2.0)),
    "flash-in": ((0.0, 6.0), (0.35, 1.0), (1.0, 1.0)),
    "flash-out": ((0.0, 1.0), (0.65, 1.0), (1.0, 6.0)),
    "slow-in": ((0.0, 0.3), (0.5, 1.0), (1.0, 1.0)),
    "slow-out": ((0.0, 1.0), (0.5, 1.0), (1.0, 0.3)),
}
"""Named speed ramps: ``montage`` (fast, slow middle, fast), ``hero`` (normal, long slow
motion, normal), ``bullet`` (fast into an extreme slow motion and out), ``flash-in``
(rushes in, settles to normal), ``flash-out`` (normal, then rushes out), ``slow-in`` and
``slow-out``."""


def check_speed(value: object, *, field: str = "speed") -> float:
    """Validate a speed factor in [0.1, 10]."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
        raise ParameterError(f"{field}: {value!r} is not a number")
    v = float(value)
    if not MIN_SPEED <= v <= MAX_SPEED:
        raise ParameterError(f"{field}: {value!r} is outside {MIN_SPEED:g}..{MAX_SPEED:g} (1 is normal speed)")
    return v


@dataclass(frozen=True, slots=True)
class TimeMap:
    """A piecewise-linear map from output seconds to clip seconds.

    Attributes
    ----------
    out : tuple of float
        Breakpoints on the output, strictly increasing from 0; the last is the duration.
    src : tuple of float
        Clip seconds at each breakpoint (any order: equal values freeze, decreasing
        values play backwards).
    """

    out: tuple[float, ...]
    src: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.out) != len(self.src) or len(self.out) < 2:
            raise ParameterError("time map: needs at least two breakpoints, as many output as clip times")
        if self.out[0] != 0.0 or any(b <= a for a, b in zip(self.out, self.out[1:])):
            raise ParameterError("time map: output breakpoints must start at 0 and increase")
        if min(self.src) < -1e-9:
            raise ParameterError(f"time map: clip time {min(self.src)!r} is below 0")

    @property
    def duration(self) -> float:
        """Output seconds."""
        return self.out[-1]

    @property
    def span(self) -> tuple[float, float]:
        """Lowest and highest clip second used."""
        return min(self.src), max(self.src)

    def __call__(self, t: float | np.ndarray) -> np.ndarray:
        """Clip seconds at output seconds ``t`` (clamped to the map's ends)."""
        return np.interp(np.asarray(t, np.float64), self.out, self.src)

    def slope_at(self, t: float) -> float:
        """Playback speed (clip seconds per output second) at ``t``; negative when reversed."""
        i = int(np.clip(np.searchsorted(self.out, t, side="right") - 1, 0, len(self.out) - 2))
        return (self.src[i + 1] - self.src[i]) / (self.out[i + 1] - self.out[i])


def _dedupe(out: Sequence[float], src: Sequence[float]) -> TimeMap:
    o, s = [float(out[0])], [float(src[0])]
    for a, b in zip(out[1:], src[1:]):
        if a - o[-1] > 1e-9:
            o.append(float(a))
            s.append(float(b))
    return TimeMap(tuple(o), tuple(s))


def constant_map(length: float, speed: float) -> TimeMap:
    """Play ``length`` clip seconds at ``speed``."""
    return TimeMap((0.0, length / speed), (0.0, length))


def reverse_map(length: float, speed: float = 1.0) -> TimeMap:
    """Play ``length`` clip seconds backwards at ``speed``."""
    return TimeMap((0.0, length / speed), (length, 0.0))


def freeze_map(length: float, at: float, hold: float) -> TimeMap:
    """Play normally, hold the frame at clip second ``at`` for ``hold`` seconds, continue."""
    return _dedupe((0.0, at, at + hold, length + hold), (0.0, at, at, length))


def boomerang_map(length: float, speed: float = 1.0, loops: int = 1) -> TimeMap:
    """Forward then backward ``loops`` times, at ``speed``."""
    leg = length / speed
    out, src = [0.0], [0.0]
    for k in range(loops):
        out += [out[-1] + leg, out[-1] + 2 * leg]
        src += [length, 0.0]
    return TimeMap(tuple(out), tuple(src))


def _keyframes(spec: str | Sequence[Sequence[float]] | Sequence[dict], *, field: str) -> list[tuple[float, float]]:
    if isinstance(spec, str):
        if spec not in RAMP_PRESETS:
            raise ParameterError(f"{field}: {spec!r} is not a ramp preset; use one of {', '.join(RAMP_PRESETS)} or keyframes")
        return list(RAMP_PRESETS[spec])
    keys: list[tuple[float, float]] = []
    for i, item in enumerate(spec):
        if isinstance(item, dict):
            if set(item) - {"at", "speed"} or "at" not in item or "speed" not in item:
                raise ParameterError(f"{field}[{i}]: {item!r} needs exactly 'at' (0..1) and 'speed'")
            at, sp = item["at"], item["speed"]
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            at, sp = item
        else:
            raise ParameterError(f"{field}[{i}]: {item!r} is not an (at, speed) keyframe")
        if isinstance(at, bool) or not isinstance(at, (int, float)) or not 0.0 <= at <= 1.0:
            raise ParameterError(f"{field}[{i}].at: {at!r} is outside 0..1 (share of the ramp's length)")
        keys.append((float(at), check_speed(sp, field=f"{field}[{i}].speed")))
    if len(keys) < 2:
        raise ParameterError(f"{field}: a ramp needs at least two keyframes, got {len(keys)}")
    if any(b[0] <= a[0] for a, b in zip(keys, keys[1:])):
        raise ParameterError(f"{field}: keyframe positions must increase, got {[k[0] for k in keys]}")
    if keys[0][0] != 0.0 or keys[-1][0] != 1.0:
        raise ParameterError(f"{field}: keyframes must start at 0 and end at 1, got {keys[0][0]} .. {keys[-1][0]}")
    return keys


def ramp_speeds(keys: Sequence[tuple[float, float]], u: np.ndarray, *, curve: str = "smooth") -> np.ndarray:
    """Speed at output positions ``u`` in [0, 1], eased between keyframes."""
    pos = np.array([k[0] for k in keys])
    val = np.array([k[1] for k in keys])
    i = np.clip(np.searchsorted(pos, u, side="right") - 1, 0, len(pos) - 2)
    frac = (u - pos[i]) / (pos[i + 1] - pos[i])
    if curve == "smooth":
        frac = frac * frac * (3 - 2 * frac)
    elif curve != "linear":
        raise ParameterError(f"ramp curve: {curve!r} is not 'smooth' or 'linear'")
    return val[i] + (val[i + 1] - val[i]) * frac


def ramp_map(length: float, keys: str | Sequence, *, curve: str = "smooth", field: str = "ramp") -> TimeMap:
    """Play ``length`` clip seconds along a speed curve.

    The output lasts ``length / mean speed``; the speed at output position ``u`` (0..1)
    follows the keyframes, eased by ``curve``.
    """
    keyframes = _keyframes(keys, field=field)
    n = 400
    u = np.linspace(0.0, 1.0, n + 1)
    s = ramp_speeds(keyframes, u, curve=curve)
    cum = np.concatenate([[0.0], np.cumsum((s[1:] + s[:-1]) / 2) / n])  # integral of speed over u
    duration = length / cum[-1]
    src = length * cum / cum[-1]
    return TimeMap(tuple(u * duration), tuple(src))
