"""Chroma keying for green-screen layouts.

The keying itself is the ``chroma_key`` effect (``effects/chroma_key.py``): distance from
the key colour on the (Cb, Cr) plane gives the transparency, with a soft edge and spill
suppression. This module adds what a layout needs around it: a key description that
can say ``"auto"`` (read the screen colour from the first frame's edges) and a
per-render keyer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..frame import Frame, parse_color
from ..nodes import FrameTime, RenderContext

__all__ = ["ChromaKey", "auto_key_color"]


def auto_key_color(frame: Frame, *, border: float = 0.06) -> tuple[int, int, int]:
    """The screen colour (RGB): the median chroma of the frame's outer border.

    Raises
    ------
    ParameterError
        When the border is nearly neutral (grey or white): there is no coloured screen.
    """
    u, v = frame.u, frame.v
    h, w = u.shape
    b = max(1, int(min(h, w) * border))
    mask = np.ones((h, w), bool)
    mask[b:-b, b:-b] = False
    cu, cv = float(np.median(u[mask])), float(np.median(v[mask]))
    if np.hypot(cu - 128, cv - 128) < 12:
        raise ParameterError("green screen: key_color 'auto' found no coloured screen at the frame edges; give key_color")
    ys = float(np.median(frame.y[::2, ::2][mask]))
    probe = Frame(np.full((2, 2), ys, np.uint8), np.full((1, 1), cu, np.uint8), np.full((1, 1), cv, np.uint8))
    r, g, b_ = (int(c) for c in probe.to_rgb()[0, 0])
    return (r, g, b_)


@dataclass(frozen=True, slots=True)
class ChromaKey:
    """Make a coloured screen transparent (parameters as the ``chroma_key`` effect).

    Parameters
    ----------
    color : str, tuple of int, or 'auto'
        The screen colour (``"#00b140"``, ``"green"``, ``"blue"``, RGB) or ``"auto"`` to
        read it from the first frame's edges.
    similarity : float in [0, 1]
        Chroma distance from the key (share of the full chroma range) that is screen.
    smoothness : float in (0, 1]
        Width of the soft edge past ``similarity``.
    spill : float in [0, 1]
        How strongly the key colour's cast is removed from what remains.
    """

    color: Any = "auto"
    similarity: float = 0.35
    smoothness: float = 0.12
    spill: float = 0.5

    def __post_init__(self) -> None:
        if self.color != "auto":
            object.__setattr__(self, "color", parse_color(self.color, field="key_color"))
        for name, low, high in (("similarity", 0.0, 1.0), ("smoothness", 1e-3, 1.0), ("spill", 0.0, 1.0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
                raise ParameterError(f"green screen: {name} {value!r} is outside {low:g}..{high:g}")

    def keyer(self, ctx: RenderContext) -> _Keyer:
        """A keyer bound to one render (it learns an 'auto' colour from the first frame)."""
        return _Keyer(self, ctx)


class _Keyer:
    def __init__(self, spec: ChromaKey, ctx: RenderContext) -> None:
        self.spec = spec
        self.ctx = ctx
        self.bound: Any = None
        if spec.color != "auto":
            self._bind(spec.color)

    def _bind(self, rgb: tuple[int, int, int]) -> None:
        from ..effects import create

        node = create("chroma_key", color=rgb, similarity=self.spec.similarity, smoothness=self.spec.smoothness, spill=self.spec.spill)
        self.bound = node.bind(self.ctx)

    def __call__(self, frame: Frame, time: FrameTime) -> Frame:
        """The frame with an alpha plane (0 where the screen was) and spill removed."""
        if self.bound is None:
            self._bind(auto_key_color(frame))
        return self.bound(frame, time)
