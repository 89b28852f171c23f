"""fade: fade in from and out to a colour at the clip's ends."""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from clipkit.effects import Effect, Param
from clipkit.effects.kernels import U_B, U_G, U_R, V_B, V_G, V_R, Y_B, Y_G, Y_R, u8
from clipkit.frame import Frame


@njit(nogil=True, cache=True, fastmath=True)
def _blend(plane: np.ndarray, target: float, a: float) -> np.ndarray:
    h, w = plane.shape
    out = np.empty((h, w), np.uint8)
    for i in range(h):
        for j in range(w):
            out[i, j] = u8(plane[i, j] + (target - plane[i, j]) * a)
    return out


@njit(nogil=True, cache=True, fastmath=True)
def _kernel(y: np.ndarray, u: np.ndarray, v: np.ndarray, c: tuple, a: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return _blend(y, c[0], a), _blend(u, c[1], a), _blend(v, c[2], a)


def _yuv(rgb: tuple[int, int, int]) -> tuple[float, float, float]:
    r, g, b = (float(c) for c in rgb)
    return (16.0 + Y_R * r + Y_G * g + Y_B * b, 128.0 + U_R * r + U_G * g + U_B * b, 128.0 + V_R * r + V_G * g + V_B * b)


class Fade(Effect):
    """Fade in from a colour at the clip's start and out to it at the end (smoothstep-shaped).

    The first frame of a fade-in and the last frame of a fade-out are the pure colour.
    """

    id = "fade"
    title = "Fade to colour"
    category = "motion"
    params = (
        Param("fade_in", "float", 0.5, min=0.0, max=30.0, unit="s", keyframable=False, doc="Seconds of fade-in at the start; 0 for none", neutral=0.0),
        Param("fade_out", "float", 0.5, min=0.0, max=30.0, unit="s", keyframable=False, doc="Seconds of fade-out at the end; 0 for none", neutral=0.0),
        Param("color", "color", "black", doc="The colour faded from and to"),
    )
    example = {"fade_in": 0.5, "fade_out": 0.8, "color": "black"}

    def prepare(self, ctx: Any, static: dict[str, Any]) -> Any:
        return 1.0 / float(ctx.fps)

    @staticmethod
    def _amount(p: dict[str, Any], frame_step: float, time: Any) -> float:
        a = 0.0
        if p["fade_in"] > 0:
            a = max(a, 1.0 - time.local_t / p["fade_in"])
        if p["fade_out"] > 0 and time.duration > 0:
            remaining = time.duration - (time.local_t + frame_step)
            a = max(a, 1.0 - remaining / p["fade_out"])
        a = min(max(a, 0.0), 1.0)
        return a * a * (3.0 - 2.0 * a)

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        a = self._amount(p, state, time)
        if a <= 0:
            return frame
        y, u, v = _kernel(frame.y, frame.u, frame.v, _yuv(p["color"]), a)
        return Frame(y, u, v, frame.alpha)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        a = self._amount(p, state, time)
        if a <= 0:
            return frame
        q = lambda x: np.floor(np.clip(x, 0, 255) + 0.5).astype(np.uint8)  # noqa: E731
        c = _yuv(p["color"])
        return Frame(*(q(pl + (t - pl.astype(np.float64)) * a) for pl, t in zip((frame.y, frame.u, frame.v), c)), frame.alpha)
