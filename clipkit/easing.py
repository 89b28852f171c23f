"""The easing names shared by effect keyframes, overlay animations and transitions.

Each of them has its own set of curves, but one spelling: hyphenated (``ease-in-out``).
The underscore spelling (``ease_in_out``) is read as the same name everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["canonical_ease", "ease_spellings"]


def canonical_ease(name: object) -> object:
    """``name`` in the house spelling (underscores read as hyphens); non-strings unchanged."""
    return name.replace("_", "-") if isinstance(name, str) else name


def ease_spellings(names: Iterable[str]) -> list[str]:
    """Every accepted spelling of ``names``, for a JSON Schema ``enum``."""
    names = list(names)
    return names + [n.replace("-", "_") for n in names if "-" in n]
