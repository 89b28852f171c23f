"""vignette: darken and desaturate toward the frame's edges."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from clipkit.jit import njit

from clipkit.effects import Effect, Param
from clipkit.effects.kernels import u8
from clipkit.frame import Frame


@njit(nogil=True, cache=True, fastmath=True)
def _mask(h: int, w: int, radius: float, softness: float) -> np.ndarray:
    """Falloff in [0, 1] (0 inside, 1 far out) for a plane of h x w, shaped like the frame."""
    out = np.empty((h, w), np.float32)
    lo = radius - softness * 0.5
    hi = radius + softness * 0.5
    for i in range(h):
        dy = ((i + 0.5) / h - 0.5) * 2.0
        for j in range(w):
            dx = ((j + 0.5) / w - 0.5) * 2.0
            d = math.sqrt(dx * dx + dy * dy) / math.sqrt(2.0)
            t = min(max((d - lo) / (hi - lo), 0.0), 1.0)
            out[i, j] = t * t * (3.0 - 2.0 * t)
    return out


@njit(nogil=True, cache=True, fastmath=True)
def _kernel(y: np.ndarray, u: np.ndarray, v: np.ndarray, my: np.ndarray, mc: np.ndarray, strength: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    h, w = y.shape
    oy = np.empty((h, w), np.uint8)
    for i in range(h):
        for j in range(w):
            oy[i, j] = u8(16.0 + (y[i, j] - 16.0) * (1.0 - strength * my[i, j]))
    h2, w2 = u.shape
    ou = np.empty((h2, w2), np.uint8)
    ov = np.empty((h2, w2), np.uint8)
    for i in range(h2):
        for j in range(w2):
            g = 1.0 - strength * mc[i, j]
            ou[i, j] = u8(128.0 + (u[i, j] - 128.0) * g)
            ov[i, j] = u8(128.0 + (v[i, j] - 128.0) * g)
    return oy, ou, ov


def _ref_mask(h: int, w: int, radius: float, softness: float) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    dy = ((yy + 0.5) / h - 0.5) * 2
    dx = ((xx + 0.5) / w - 0.5) * 2
    d = np.hypot(dx, dy) / math.sqrt(2.0)
    t = np.clip((d - (radius - softness / 2)) / softness, 0, 1)
    return t * t * (3 - 2 * t)


class Vignette(Effect):
    """Darken the edges and corners, drawing the eye to the middle.

    The falloff follows the frame's shape (an ellipse on a vertical frame): it starts
    at ``midpoint`` (as a fraction of the centre-to-corner distance) and spreads over
    ``softness``. Chroma fades with the light, as a lens vignette does.
    """

    id = "vignette"
    title = "Vignette"
    category = "look"
    params = (
        Param("strength", "float", 0.5, min=0.0, max=1.0, doc="Darkening at the corners; 0 leaves the picture as is, 1 is black", neutral=0.0),
        Param("midpoint", "float", 0.8, min=0.1, max=1.5, doc="Where the falloff is half way, as a fraction of the centre-to-corner distance", aliases=("radius",)),
        Param("softness", "float", 0.6, min=0.05, max=2.0, doc="Width of the falloff, same units as midpoint"),
    )
    example = {"strength": 0.5, "midpoint": 0.75, "softness": 0.7}

    def prepare(self, ctx: Any, static: dict[str, Any]) -> Any:
        return {}  # masks by (size, radius, softness); radius may be keyframed

    def _masks(self, cache: dict, h: int, w: int, radius: float, softness: float) -> tuple[np.ndarray, np.ndarray]:
        key = (h, w, radius, softness)
        hit = cache.get(key)
        if hit is None:
            if len(cache) > 8:
                cache.clear()
            hit = cache[key] = (_mask(h, w, radius, softness), _mask(h // 2, w // 2, radius, softness))
        return hit

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        my, mc = self._masks(state, frame.height, frame.width, p["midpoint"], p["softness"])
        y, u, v = _kernel(frame.y, frame.u, frame.v, my, mc, p["strength"])
        return Frame(y, u, v, frame.alpha)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        s = p["strength"]
        gy = 1 - s * _ref_mask(frame.height, frame.width, p["midpoint"], p["softness"])
        gc = 1 - s * _ref_mask(frame.height // 2, frame.width // 2, p["midpoint"], p["softness"])
        q = lambda a: np.floor(np.clip(a, 0, 255) + 0.5).astype(np.uint8)  # noqa: E731
        return Frame(q(16 + (frame.y - 16.0) * gy), q(128 + (frame.u - 128.0) * gc), q(128 + (frame.v - 128.0) * gc), frame.alpha)
