"""mirror: mirror halves or quarters, or a kaleidoscope."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from clipkit.jit import njit

from clipkit.effects import Effect, Param
from clipkit.effects.kernels import u8
from clipkit.frame import Frame

MODES = ("none", "left", "right", "top", "bottom", "quad", "kaleidoscope")


@njit(nogil=True, cache=True, fastmath=True)
def _fold(src: np.ndarray, mode: int) -> np.ndarray:
    """Mirror modes 1..5 (left, right, top, bottom, quad): index remapping, no resampling."""
    h, w = src.shape
    out = np.empty((h, w), np.uint8)
    for i in range(h):
        si = i
        if (mode == 3 or mode == 5) and i >= h // 2:
            si = h - 1 - i
        elif mode == 4 and i < h // 2:
            si = h - 1 - i
        for j in range(w):
            sj = j
            if (mode == 1 or mode == 5) and j >= w // 2:
                sj = w - 1 - j
            elif mode == 2 and j < w // 2:
                sj = w - 1 - j
            out[i, j] = src[si, sj]
    return out


@njit(nogil=True, cache=True, fastmath=True)
def _kaleido_map(h: int, w: int, segments: int, angle: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Source taps of every output pixel: top-left index (y0, x0) and weights (fy, fx)."""
    y0m = np.empty((h, w), np.int32)
    x0m = np.empty((h, w), np.int32)
    fym = np.empty((h, w), np.float32)
    fxm = np.empty((h, w), np.float32)
    cx = w * 0.5
    cy = h * 0.5
    wedge = 2.0 * math.pi / segments
    for i in range(h):
        for j in range(w):
            dx = j + 0.5 - cx
            dy = i + 0.5 - cy
            r = math.sqrt(dx * dx + dy * dy)
            a = (math.atan2(dy, dx) - angle) % wedge
            if a > wedge * 0.5:
                a = wedge - a
            sx = min(max(cx + r * math.cos(a + angle) - 0.5, 0.0), w - 1.0)
            sy = min(max(cy + r * math.sin(a + angle) - 0.5, 0.0), h - 1.0)
            x0 = min(int(sx), w - 2)
            y0 = min(int(sy), h - 2)
            x0m[i, j] = x0
            y0m[i, j] = y0
            fxm[i, j] = sx - x0
            fym[i, j] = sy - y0
    return y0m, x0m, fym, fxm


@njit(nogil=True, cache=True, fastmath=True)
def _kaleido(src: np.ndarray, y0m: np.ndarray, x0m: np.ndarray, fym: np.ndarray, fxm: np.ndarray) -> np.ndarray:
    h, w = src.shape
    out = np.empty((h, w), np.uint8)
    for i in range(h):
        for j in range(w):
            y0 = y0m[i, j]
            x0 = x0m[i, j]
            fx = fxm[i, j]
            fy = fym[i, j]
            top = src[y0, x0] * (1.0 - fx) + src[y0, x0 + 1] * fx
            bot = src[y0 + 1, x0] * (1.0 - fx) + src[y0 + 1, x0 + 1] * fx
            out[i, j] = u8(top * (1.0 - fy) + bot * fy)
    return out


def _ref_fold(src: np.ndarray, mode: int) -> np.ndarray:
    h, w = src.shape
    out = src.copy()
    if mode in (1, 5):
        out[:, w // 2 :] = out[:, w - 1 - np.arange(w // 2, w)]
    if mode == 2:
        out[:, : w // 2] = out[:, w - 1 - np.arange(0, w // 2)]
    if mode in (3, 5):
        out[h // 2 :] = out[h - 1 - np.arange(h // 2, h)]
    if mode == 4:
        out[: h // 2] = out[h - 1 - np.arange(0, h // 2)]
    return out


def _ref_kaleido(src: np.ndarray, segments: int, angle: float) -> np.ndarray:
    h, w = src.shape
    ii, jj = np.mgrid[0:h, 0:w].astype(np.float64)
    dx, dy = jj + 0.5 - w / 2, ii + 0.5 - h / 2
    r = np.hypot(dx, dy)
    wedge = 2 * math.pi / segments
    a = np.mod(np.arctan2(dy, dx) - angle, wedge)
    a = np.where(a > wedge / 2, wedge - a, a)
    sx = np.clip(w / 2 + r * np.cos(a + angle) - 0.5, 0, w - 1.0)
    sy = np.clip(h / 2 + r * np.sin(a + angle) - 0.5, 0, h - 1.0)
    x0 = np.minimum(sx.astype(np.int64), w - 2)
    y0 = np.minimum(sy.astype(np.int64), h - 2)
    fx, fy = sx - x0, sy - y0
    s = src.astype(np.float64)
    top = s[y0, x0] * (1 - fx) + s[y0, x0 + 1] * fx
    bot = s[y0 + 1, x0] * (1 - fx) + s[y0 + 1, x0 + 1] * fx
    return np.floor(np.clip(top * (1 - fy) + bot * fy, 0, 255) + 0.5).astype(np.uint8)


class Mirror(Effect):
    """Mirror one half onto the other, fold into quarters, or turn the picture into a kaleidoscope.

    ``left`` keeps the left half and mirrors it onto the right (``right``, ``top`` and
    ``bottom`` likewise); ``quad`` keeps the top-left quarter; ``kaleidoscope`` folds
    the picture into ``segments`` mirrored wedges around the centre, turned by ``angle``.
    """

    id = "mirror"
    title = "Mirror / kaleidoscope"
    category = "look"
    params = (
        Param("mode", "choice", "left", choices=MODES, doc="Which fold; none leaves the picture as is", neutral="none"),
        Param("segments", "int", 6, min=2, max=24, doc="Wedges of the kaleidoscope"),
        Param("angle", "float", 0.0, min=-360.0, max=360.0, unit="deg", doc="Turn of the kaleidoscope (keyframe it to spin)"),
    )
    example = {"mode": "kaleidoscope", "segments": 6, "angle": 15.0}

    def prepare(self, ctx: Any, static: dict[str, Any]) -> Any:
        return {}  # kaleidoscope maps by (size, segments, angle): trigonometry once, not per frame

    @staticmethod
    def _map(cache: dict, h: int, w: int, segments: int, angle: float) -> tuple:
        key = (h, w, segments, angle)
        hit = cache.get(key)
        if hit is None:
            if len(cache) >= 6:  # a spinning (keyframed) angle recomputes; keep a few
                cache.pop(next(iter(cache)))
            hit = cache[key] = _kaleido_map(h, w, segments, angle)
        return hit

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        mode = MODES.index(p["mode"])
        if mode == 0:
            return frame
        planes = (frame.y, frame.u, frame.v) + (() if frame.alpha is None else (frame.alpha,))
        if mode == 6:
            a = math.radians(p["angle"])
            out = [_kaleido(pl, *self._map(state, pl.shape[0], pl.shape[1], p["segments"], a)) for pl in planes]
        else:
            out = [_fold(pl, mode) for pl in planes]
        return Frame(out[0], out[1], out[2], out[3] if len(out) > 3 else None)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        mode = MODES.index(p["mode"])
        if mode == 0:
            return frame
        planes = (frame.y, frame.u, frame.v) + (() if frame.alpha is None else (frame.alpha,))
        if mode == 6:
            a = math.radians(p["angle"])
            out = [_ref_kaleido(pl, p["segments"], a) for pl in planes]
        else:
            out = [_ref_fold(pl, mode) for pl in planes]
        return Frame(out[0], out[1], out[2], out[3] if len(out) > 3 else None)
