"""glitch: seeded digital glitches, bands of the picture torn sideways."""

from __future__ import annotations

from typing import Any

import numpy as np
from clipkit.jit import njit

from clipkit.effects import Effect, Param
from clipkit.frame import Frame


@njit(nogil=True, cache=True, fastmath=True)
def _shift_rows(src: np.ndarray, bands: np.ndarray, col: int, div: int) -> np.ndarray:
    """Copy ``src`` with each band's rows rotated sideways; bands[k] = (y0, y1, luma shift, chroma shift)."""
    out = src.copy()
    h, w = src.shape
    for k in range(bands.shape[0]):
        y0 = bands[k, 0] // div
        y1 = min(bands[k, 1] // div, h)
        s = bands[k, col] // div
        for i in range(y0, y1):
            for j in range(w):
                out[i, j] = src[i, (j - s) % w]
    return out


@njit(nogil=True, cache=True, fastmath=True)
def _kernel(y: np.ndarray, u: np.ndarray, v: np.ndarray, bands: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return _shift_rows(y, bands, 2, 1), _shift_rows(u, bands, 3, 2), _shift_rows(v, bands, 4, 2)


def _ref_shift_rows(src: np.ndarray, bands: np.ndarray, col: int, div: int) -> np.ndarray:
    out = src.copy()
    h = src.shape[0]
    for y0, y1, *shifts in bands.tolist():
        s = ([0, 0] + shifts)[col] // div
        y0, y1 = y0 // div, min(y1 // div, h)
        out[y0:y1] = np.roll(src[y0:y1], s, axis=1)
    return out


class Glitch(Effect):
    """Digital glitch: random bands of the picture torn sideways, with chroma torn further.

    Which frames glitch and how is drawn from the seed and the frame index, so a
    render is the same every time.
    """

    id = "glitch"
    title = "Glitch"
    category = "look"
    params = (
        Param("strength", "float", 0.5, min=0.0, max=1.0, doc="Strength: how many bands and how far they tear; 0 leaves the picture as is", neutral=0.0, aliases=("amount",)),
        Param("rate", "float", 0.5, min=0.0, max=1.0, doc="Share of frames that glitch"),
        Param("band", "float", 60.0, min=4.0, max=600.0, unit="px", doc="Typical height of a torn band"),
        Param("seed", "int", 0, min=0, max=2**31 - 1, keyframable=False, doc="Seed of the glitch pattern"),
    )
    example = {"strength": 0.6, "rate": 1.0}

    def prepare(self, ctx: Any, static: dict[str, Any]) -> Any:
        return (int(ctx.seed) * 1_000_003 + static["seed"]) & 0x7FFFFFFF

    def _bands(self, frame: Frame, p: dict[str, Any], seed: int, index: int) -> np.ndarray:
        """The frame's glitch plan: rows (y0, y1, luma shift, chroma shift, chroma shift), even values."""
        rng = np.random.default_rng([seed, index])
        h, w = frame.height, frame.width
        if rng.random() >= p["rate"]:
            return np.zeros((0, 5), np.int64)
        count = 1 + int(rng.integers(0, 1 + int(round(8 * p["strength"]))))
        out = np.zeros((count, 5), np.int64)
        for k in range(count):
            height = max(2, int(p["band"] * rng.uniform(0.3, 2.0)))
            y0 = int(rng.integers(0, max(1, h - 1)))
            shift = int(rng.normal(0.0, 0.12 * w * p["strength"]))
            extra = int(rng.normal(0.0, 0.03 * w * p["strength"]))
            out[k] = (y0, min(h, y0 + height), shift, shift + extra, shift - extra)
        return out & ~np.int64(1)  # even rows and shifts keep chroma aligned with luma

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        bands = self._bands(frame, p, state, time.index)
        if not len(bands):
            return frame
        y, u, v = _kernel(frame.y, frame.u, frame.v, bands)
        return Frame(y, u, v, frame.alpha)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        bands = self._bands(frame, p, state, time.index)
        return Frame(
            _ref_shift_rows(frame.y, bands, 2, 1),
            _ref_shift_rows(frame.u, bands, 3, 2),
            _ref_shift_rows(frame.v, bands, 4, 2),
            frame.alpha,
        )
