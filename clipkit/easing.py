"""Easing curves, one set shared by effect keyframes, overlay animations and transitions.

A name means the same curve wherever it is accepted: ``ease-in`` and ``ease-out`` are
cubic, ``ease-in-out`` is the cubic pair of them (slow, fast, slow), ``smooth`` is the
gentler smoothstep. Each place lists the names it takes (``hold`` only makes sense
between keyframes; the overshooting ``back-out``, ``bounce-out`` and ``elastic-out``
only for overlays). Names are hyphenated; the underscore spelling (``ease_in_out``) is
read as the same name everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

__all__ = ["CURVES", "canonical_ease", "ease", "ease_spellings"]


def _bounce_out(x: float) -> float:
    n, d = 7.5625, 2.75
    if x < 1 / d:
        return n * x * x
    if x < 2 / d:
        x -= 1.5 / d
        return n * x * x + 0.75
    if x < 2.5 / d:
        x -= 2.25 / d
        return n * x * x + 0.9375
    x -= 2.625 / d
    return n * x * x + 0.984375


def _back_out(x: float) -> float:
    c1 = 1.70158
    return 1.0 + (c1 + 1.0) * (x - 1.0) ** 3 + c1 * (x - 1.0) ** 2


def _elastic_out(x: float) -> float:
    if x in (0.0, 1.0):
        return x
    return 2.0 ** (-10.0 * x) * math.sin((x * 10.0 - 0.75) * (2.0 * math.pi / 3.0)) + 1.0


CURVES: dict[str, Callable[[float], float]] = {
    "linear": lambda x: x,
    "ease-in": lambda x: x * x * x,
    "ease-out": lambda x: 1.0 - (1.0 - x) ** 3,
    "ease-in-out": lambda x: 4.0 * x * x * x if x < 0.5 else 1.0 - (2.0 - 2.0 * x) ** 3 / 2.0,
    "smooth": lambda x: x * x * (3.0 - 2.0 * x),
    "hold": lambda x: 0.0 if x < 1.0 else 1.0,
    "back-out": _back_out,
    "bounce-out": _bounce_out,
    "elastic-out": _elastic_out,
}
"""Every easing curve by name: progress in [0, 1] to eased progress (0 at 0, 1 at 1)."""


def ease(name: str, x: float) -> float:
    """``x`` (clamped to [0, 1]) shaped by the curve ``name`` (see :data:`CURVES`).

    Raises
    ------
    KeyError
        For a name that is not a curve: callers validate names where they are given.
    """
    return CURVES[name](min(1.0, max(0.0, float(x))))


def canonical_ease(name: object) -> object:
    """``name`` in the house spelling (underscores read as hyphens); non-strings unchanged."""
    return name.replace("_", "-") if isinstance(name, str) else name


def ease_spellings(names: Iterable[str]) -> list[str]:
    """Every accepted spelling of ``names``, for a JSON Schema ``enum``."""
    names = list(names)
    return names + [n.replace("-", "_") for n in names if "-" in n]
