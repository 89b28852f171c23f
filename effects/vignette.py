"""vignette: darken and desaturate toward the frame's edges."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from clipkit.effects import Effect, Param
from clipkit.frame import Frame


BAND_ROWS = 256
"""Rows of a plane darkened per pass: the 8-bit planes of a pass stay in the cache."""


MASK_CODES = 65535.0  # a falloff of 1 as a uint16 code


def _mask(h: int, w: int, radius: float, softness: float) -> np.ndarray:
    """Falloff (0 inside, ``MASK_CODES`` far out) for a plane of h x w, shaped like the frame,
    as uint16 codes (half the memory of float32); built once per size and shape, in bands
    of rows (a whole 1080x1920 plane of float64 temporaries held 50 MB at once)."""
    dy = ((((np.arange(h) + 0.5) / h - 0.5) * 2.0) ** 2).astype(np.float32)
    dx = ((((np.arange(w) + 0.5) / w - 0.5) * 2.0) ** 2).astype(np.float32)
    lo, inv = np.float32(radius - softness * 0.5), np.float32(1.0 / softness)
    out = np.empty((h, w), np.uint16)
    for r0 in range(0, h, BAND_ROWS):
        d = np.sqrt(dy[r0 : r0 + BAND_ROWS, None] + dx[None, :]) * np.float32(1.0 / math.sqrt(2.0))
        t = np.clip((d - lo) * inv, 0.0, 1.0)
        out[r0 : r0 + BAND_ROWS] = np.rint(t * t * (3.0 - 2.0 * t) * np.float32(MASK_CODES))
    return out




def _toward(plane: np.ndarray, dark: np.ndarray, level: int) -> np.ndarray:
    """``level + (plane - level) * (1 - dark / 255)`` in 8-bit OpenCV passes (no numba): the
    distance above ``level`` scaled by the pixel's darkening code and taken off, and the
    distance below it (super-blacks, the other half of chroma) scaled and added."""
    import cv2

    h, w = plane.shape
    out = np.empty_like(plane)
    a = np.empty((min(h, BAND_ROWS), w), np.uint8)
    k = 1.0 / 255.0
    for r0 in range(0, h, BAND_ROWS):
        r1 = min(h, r0 + BAND_ROWS)
        src, m, o, t = plane[r0:r1], dark[r0:r1], out[r0:r1], a[: r1 - r0]
        cv2.subtract(src, level, dst=t)
        cv2.multiply(t, m, dst=t, scale=k)
        cv2.subtract(src, t, dst=o)
        if level == 16 and cv2.minMaxLoc(src)[0] >= 16:
            continue  # no super-blacks in this band (most luma)
        cv2.subtract(np.full_like(t, level), src, dst=t)
        cv2.multiply(t, m, dst=t, scale=k)
        cv2.add(o, t, dst=o)
    return out


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
        return {}  # masks by (size, radius, softness) and codes by strength; all three may be keyframed

    def _darkening(self, cache: dict, h: int, w: int, radius: float, softness: float, strength: float) -> tuple[np.ndarray, np.ndarray]:
        """Per-pixel darkening ``strength * mask`` in 8-bit codes (255: all the way to black
        and grey), for luma and for chroma. The masks are kept by size and shape, the codes
        for the last strength (a keyframed strength recomputes them, not the masks)."""
        shape = (h, w, radius, softness)
        masks = cache.get(shape)
        if masks is None:
            if len(cache) > 8:
                cache.clear()
            masks = cache[shape] = (_mask(h, w, radius, softness), _mask(h // 2, w // 2, radius, softness))
        last = cache.get("codes")
        if last is None or last[0] != (shape, strength):
            import cv2

            codes = tuple(cv2.convertScaleAbs(m, alpha=255.0 * strength / MASK_CODES) for m in masks)
            last = cache["codes"] = ((shape, strength), codes)
        return last[1]

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        dy, dc = self._darkening(state, frame.height, frame.width, p["midpoint"], p["softness"], p["strength"])
        return Frame(_toward(frame.y, dy, 16), _toward(frame.u, dc, 128), _toward(frame.v, dc, 128), frame.alpha)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        s = p["strength"]
        gy = 1 - s * _ref_mask(frame.height, frame.width, p["midpoint"], p["softness"])
        gc = 1 - s * _ref_mask(frame.height // 2, frame.width // 2, p["midpoint"], p["softness"])
        q = lambda a: np.floor(np.clip(a, 0, 255) + 0.5).astype(np.uint8)  # noqa: E731
        return Frame(q(16 + (frame.y - 16.0) * gy), q(128 + (frame.u - 128.0) * gc), q(128 + (frame.v - 128.0) * gc), frame.alpha)
