"""pixelate: mosaic of flat blocks."""

from __future__ import annotations

from typing import Any

import numpy as np
from clipkit.jit import njit

from clipkit.effects import Effect, Param
from clipkit.frame import Frame


@njit(nogil=True, cache=True, fastmath=True)
def _blocks(src: np.ndarray, b: int, ox: int, oy: int) -> np.ndarray:
    h, w = src.shape
    out = np.empty((h, w), np.uint8)
    y0 = -oy
    while y0 < h:
        y1 = min(y0 + b, h)
        ys = max(y0, 0)
        x0 = -ox
        while x0 < w:
            x1 = min(x0 + b, w)
            xs = max(x0, 0)
            acc = 0
            for i in range(ys, y1):
                for j in range(xs, x1):
                    acc += np.int64(src[i, j])
            n = (y1 - ys) * (x1 - xs)
            val = np.uint8((acc + n // 2) // n)
            for i in range(ys, y1):
                for j in range(xs, x1):
                    out[i, j] = val
            x0 += b
        y0 += b
    return out


@njit(nogil=True, cache=True, fastmath=True)
def _kernel(y: np.ndarray, u: np.ndarray, v: np.ndarray, b: int, ox: int, oy: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return _blocks(y, b, ox, oy), _blocks(u, b // 2, ox // 2, oy // 2), _blocks(v, b // 2, ox // 2, oy // 2)


def _ref_blocks(src: np.ndarray, b: int, ox: int, oy: int) -> np.ndarray:
    h, w = src.shape
    out = np.empty_like(src)
    for y0 in range(-oy, h, b):
        for x0 in range(-ox, w, b):
            ys, xs = max(y0, 0), max(x0, 0)
            block = src[ys : y0 + b, xs : x0 + b].astype(np.int64)
            out[ys : y0 + b, xs : x0 + b] = (block.sum() + block.size // 2) // block.size
    return out


class Pixelate(Effect):
    """Mosaic: the picture as flat square blocks, centred on the frame."""

    id = "pixelate"
    title = "Pixelate / mosaic"
    category = "look"
    params = (
        Param("size", "float", 32.0, min=1.0, max=400.0, unit="px", doc="Block size; 1 leaves the picture as is", neutral=1.0),
    )
    example = {"size": 40.0}

    @staticmethod
    def _geometry(frame: Frame, size: float) -> tuple[int, int, int]:
        b = max(2, 2 * int(round(size / 2)))  # even, so chroma blocks line up with luma blocks
        # centre the grid: offsets are even so chroma offsets are exact halves
        ox = 2 * (((b - frame.width % b) % b) // 4)
        oy = 2 * (((b - frame.height % b) % b) // 4)
        return b, ox, oy

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        if p["size"] < 1.5:
            return frame
        b, ox, oy = self._geometry(frame, p["size"])
        y, u, v = _kernel(frame.y, frame.u, frame.v, b, ox, oy)
        return Frame(y, u, v, frame.alpha)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        if p["size"] < 1.5:
            return frame
        b, ox, oy = self._geometry(frame, p["size"])
        return Frame(_ref_blocks(frame.y, b, ox, oy), _ref_blocks(frame.u, b // 2, ox // 2, oy // 2), _ref_blocks(frame.v, b // 2, ox // 2, oy // 2), frame.alpha)
