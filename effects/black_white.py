"""black_white: monochrome with an optional colour filter, as on black-and-white film."""

from __future__ import annotations

from typing import Any

import numpy as np

from clipkit.effects import Effect, Param
from clipkit.effects.kernels import B_U, G_U, G_V, R_V, R_Y
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


BAND_ROWS = 256
"""Luma rows changed per pass: the float32 change of a band stays in the cache."""


def _apply(y: np.ndarray, u: np.ndarray, v: np.ndarray, strength: float, kcb: float, kcr: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Luma plus the filter's change from chroma (the chroma plane's change scaled up
    bilinearly to luma size, as the chroma itself is shown: no 2x2 blocks along colour
    edges), chroma toward grey by ``strength``; OpenCV passes, no numba."""
    import cv2

    h, w = y.shape
    h2 = u.shape[0]
    a, b = strength * kcb, strength * kcr
    oy = np.empty_like(y)
    for r0 in range(0, h, BAND_ROWS):
        r1 = min(h, r0 + BAND_ROWS)
        # the chroma rows this band's bilinear rows read, one more on each side
        c0, c1 = max(0, r0 // 2 - 1), min(h2, (r1 + 1) // 2 + 1)
        d = cv2.addWeighted(u[c0:c1], a, v[c0:c1], b, -128.0 * (a + b), dtype=cv2.CV_32F)
        # 2x up with half-pixel centres: the rows at the band's cut edges read their
        # neighbour across the cut (included above); only the plane's own edges repeat
        d = cv2.resize(d, (w, 2 * (c1 - c0)), interpolation=cv2.INTER_LINEAR)[r0 - 2 * c0 : r1 - 2 * c0]
        cv2.add(y[r0:r1], d, dst=oy[r0:r1], dtype=cv2.CV_8U)
    keep = 1.0 - strength
    ou = cv2.addWeighted(u, keep, u, 0.0, 128.0 * strength)
    ov = cv2.addWeighted(v, keep, v, 0.0, 128.0 * strength)
    return oy, ou, ov


def _ref_up(c: np.ndarray) -> np.ndarray:
    """A plane scaled up 2x bilinearly with half-pixel centres and repeated edges (numpy)."""
    p = np.pad(c, 1, mode="edge")
    rows = np.empty((2 * c.shape[0], c.shape[1] + 2))
    rows[0::2] = 0.75 * p[1:-1] + 0.25 * p[:-2]
    rows[1::2] = 0.75 * p[1:-1] + 0.25 * p[2:]
    out = np.empty((rows.shape[0], 2 * c.shape[1]))
    out[:, 0::2] = 0.75 * rows[:, 1:-1] + 0.25 * rows[:, :-2]
    out[:, 1::2] = 0.75 * rows[:, 1:-1] + 0.25 * rows[:, 2:]
    return out


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
    before_scaling = True  # a per-pixel colour map: may run on a source's pixels before a fit scales it up

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        kcb, kcr = _chroma_weights(p["filter"])
        y, u, v = _apply(frame.y, frame.u, frame.v, p["strength"], kcb, kcr)
        return Frame(y, u, v, frame.alpha)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        kcb, kcr = _chroma_weights(p["filter"])
        s = p["strength"]
        cb = frame.u.astype(np.float64) - 128.0
        cr = frame.v.astype(np.float64) - 128.0
        dy = _ref_up(s * (kcb * cb + kcr * cr))
        q = lambda a: np.floor(np.clip(a, 0, 255) + 0.5).astype(np.uint8)  # noqa: E731
        return Frame(q(frame.y + dy), q(128.0 + cb * (1 - s)), q(128.0 + cr * (1 - s)), frame.alpha)
