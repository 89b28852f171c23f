"""black_white: monochrome with an optional colour filter, as on black-and-white film."""

from __future__ import annotations

from typing import Any

import numpy as np
from clipkit.jit import njit

from clipkit.effects import Effect, Param
from clipkit.effects.kernels import B_U, G_U, G_V, R_V, R_Y, u8
from clipkit.frame import Frame

# channel weights of a lens filter in front of panchromatic film (R, G, B), summing to 1
FILTERS = {
    "none": (0.2126, 0.7152, 0.0722),
    "red": (0.60, 0.32, 0.08),
    "orange": (0.45, 0.45, 0.10),
    "yellow": (0.33, 0.59, 0.08),
    "green": (0.15, 0.75, 0.10),
    "blue": (0.15, 0.35, 0.50),
}


def _chroma_weights(name: str) -> tuple[float, float]:
    """Luma change per unit of Cb and Cr for the filter (in luma code values)."""
    wr, wg, wb = FILTERS[name]
    # mono = wr R + wg G + wb B with R, G, B written from Y, Cb, Cr; the Y terms sum to Y
    kcb = (wg * G_U + wb * B_U) / R_Y
    kcr = (wr * R_V + wg * G_V) / R_Y
    return kcb, kcr


@njit(nogil=True, cache=True, fastmath=True)
def _kernel(y: np.ndarray, u: np.ndarray, v: np.ndarray, strength: float, kcb: float, kcr: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    h, w = y.shape
    h2, w2 = u.shape
    oy = np.empty((h, w), np.uint8)
    ou = np.empty((h2, w2), np.uint8)
    ov = np.empty((h2, w2), np.uint8)
    a = np.float32(strength * kcb)
    b = np.float32(strength * kcr)
    keep = np.float32(1.0 - strength)
    d = np.empty(w, np.float32)
    for r2 in range(h2):
        # the luma change of this chroma row, expanded to full width once, then two
        # contiguous luma rows: loops LLVM vectorizes (8x faster than 2x2 blocks)
        for c in range(w2):
            x = a * (np.float32(u[r2, c]) - np.float32(128.0)) + b * (np.float32(v[r2, c]) - np.float32(128.0))
            d[2 * c] = x
            d[2 * c + 1] = x
        for r in range(2 * r2, 2 * r2 + 2):
            for j in range(w):
                oy[r, j] = u8(np.float32(y[r, j]) + d[j])
    for r in range(h2):
        for c in range(w2):
            ou[r, c] = u8(128.0 + (np.float32(u[r, c]) - 128.0) * keep)
            ov[r, c] = u8(128.0 + (np.float32(v[r, c]) - 128.0) * keep)
    return oy, ou, ov


class BlackWhite(Effect):
    """Black and white, optionally through a coloured filter (red darkens skies, green lightens foliage)."""

    id = "black_white"
    title = "Black & white"
    category = "color"
    params = (
        Param("strength", "float", 1.0, min=0.0, max=1.0, doc="How far toward monochrome; 0 leaves the colour", neutral=0.0),
        Param("filter", "choice", "none", choices=tuple(FILTERS), doc="Colour filter deciding how bright each colour turns out"),
    )
    example = {"strength": 1.0, "filter": "red"}

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        kcb, kcr = _chroma_weights(p["filter"])
        y, u, v = _kernel(frame.y, frame.u, frame.v, p["strength"], kcb, kcr)
        return Frame(y, u, v, frame.alpha)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        kcb, kcr = _chroma_weights(p["filter"])
        s = p["strength"]
        cb = frame.u.astype(np.float64) - 128.0
        cr = frame.v.astype(np.float64) - 128.0
        dy = np.repeat(np.repeat(s * (kcb * cb + kcr * cr), 2, 0), 2, 1)
        q = lambda a: np.floor(np.clip(a, 0, 255) + 0.5).astype(np.uint8)  # noqa: E731
        return Frame(q(frame.y + dy), q(128.0 + cb * (1 - s)), q(128.0 + cr * (1 - s)), frame.alpha)
