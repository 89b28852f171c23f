"""Chroma keying on YUV planes, for green-screen layouts.

The key works in the chroma plane: a pixel's distance from the key colour in (Cb, Cr)
decides its transparency, so lighting changes on the screen (which move luma) barely
matter. Alpha is computed at chroma resolution and upsampled; spill (the screen's
colour reflected on the subject's edges) is pulled towards neutral.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from ..errors import ParameterError
from ..frame import Frame, parse_color

__all__ = ["ChromaKey", "auto_key_color"]


def _yuv(rgb: tuple[int, int, int]) -> tuple[float, float, float]:
    px = Frame.solid(2, 2, rgb)
    return float(px.y[0, 0]), float(px.u[0, 0]), float(px.v[0, 0])


def auto_key_color(frame: Frame, *, border: float = 0.06) -> tuple[float, float]:
    """The (Cb, Cr) of the screen: the median chroma of the frame's outer border.

    Raises
    ------
    ParameterError
        When the border is nearly neutral (grey or white): there is no coloured screen.
    """
    u, v = frame.u.astype(np.float32), frame.v.astype(np.float32)
    h, w = u.shape
    b = max(1, int(min(h, w) * border))
    mask = np.ones((h, w), bool)
    mask[b:-b, b:-b] = False
    cu, cv = float(np.median(u[mask])), float(np.median(v[mask]))
    if np.hypot(cu - 128, cv - 128) < 12:
        raise ParameterError("green screen: key_color 'auto' found no coloured screen at the frame edges; give key_color")
    return cu, cv


@dataclass(frozen=True, slots=True)
class ChromaKey:
    """Make a coloured screen transparent.

    Parameters
    ----------
    color : str, tuple of int, or 'auto'
        The screen colour (``"#00ff00"``, ``"green"``, ``"blue"``, RGB) or ``"auto"``
        to read it from the first frame's edges.
    similarity : float in [0, 1]
        Chroma distance (share of the key's own saturation) that is fully transparent.
    smoothness : float in (0, 1]
        Width of the soft edge past ``similarity``.
    spill : float in [0, 1]
        How strongly the key colour is removed from the kept edges.
    """

    color: Any = "lime"
    similarity: float = 0.35
    smoothness: float = 0.15
    spill: float = 0.5

    def __post_init__(self) -> None:
        if self.color != "auto":
            object.__setattr__(self, "color", parse_color(self.color, field="key_color"))
        for name, low, high in (("similarity", 0.0, 1.0), ("smoothness", 1e-3, 1.0), ("spill", 0.0, 1.0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
                raise ParameterError(f"green screen: {name} {value!r} is outside {low:g}..{high:g}")

    def keyer(self) -> _Keyer:
        """A per-render keyer (it learns the 'auto' colour from the first frame)."""
        return _Keyer(self)


class _Keyer:
    def __init__(self, spec: ChromaKey) -> None:
        self.spec = spec
        self.key: tuple[float, float] | None = None
        if spec.color != "auto":
            _, cu, cv = _yuv(spec.color)
            self.key = (cu, cv)

    def __call__(self, frame: Frame) -> Frame:
        """The frame with an alpha plane (0 where the screen was) and spill removed."""
        if self.key is None:
            self.key = auto_key_color(frame)
        ku, kv = self.key
        du, dv = ku - 128.0, kv - 128.0
        reach = max(8.0, float(np.hypot(du, dv)))  # saturation of the key colour
        u = frame.u.astype(np.float32)
        v = frame.v.astype(np.float32)
        dist = cv2.magnitude(u - ku, v - kv)
        lo = self.spec.similarity * reach
        a_c = np.clip((dist - lo) / (self.spec.smoothness * reach), 0.0, 1.0)
        if self.spec.spill > 0:
            # remove the part of each pixel's chroma that points towards the key colour
            nu, nv = du / reach, dv / reach
            along = (u - 128.0) * nu + (v - 128.0) * nv
            pull = np.clip(along, 0.0, None) * (self.spec.spill * (1.0 - a_c * 0.5))
            u = u - pull * nu
            v = v - pull * nv
            u8 = np.clip(u + 0.5, 0, 255).astype(np.uint8)
            v8 = np.clip(v + 0.5, 0, 255).astype(np.uint8)
        else:
            u8, v8 = frame.u, frame.v
        alpha = cv2.resize((a_c * 255.0 + 0.5).astype(np.uint8), (frame.width, frame.height), interpolation=cv2.INTER_LINEAR)
        return Frame(frame.y, u8, v8, alpha)
