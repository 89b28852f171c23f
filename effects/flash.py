"""flash: blend toward a colour; steady, keyframed, on the beat, or strobing."""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from clipkit.effects import Effect, Param
from clipkit.effects.kernels import U_B, U_G, U_R, V_B, V_G, V_R, Y_B, Y_G, Y_R, u8
from clipkit.frame import Frame


def color_yuv(rgb: tuple[int, int, int]) -> tuple[float, float, float]:
    """Limited-range Y, U, V of an RGB colour."""
    r, g, b = (float(c) for c in rgb)
    return (16.0 + Y_R * r + Y_G * g + Y_B * b, 128.0 + U_R * r + U_G * g + U_B * b, 128.0 + V_R * r + V_G * g + V_B * b)


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


def ref_blend(frame: Frame, c: tuple[float, float, float], a: float) -> Frame:
    """numpy reference of a blend of every plane toward a colour."""
    q = lambda x: np.floor(np.clip(x, 0, 255) + 0.5).astype(np.uint8)  # noqa: E731
    return Frame(*(q(pl + (t - pl.astype(np.float64)) * a) for pl, t in zip((frame.y, frame.u, frame.v), c)), frame.alpha)


class Flash(Effect):
    """Flash toward a colour: give ``amount`` an envelope to flash on the beat, or a ``frequency`` to strobe.

    With ``frequency`` above 0 the flash switches on and off that many times a
    second, on for ``duty`` of each period.
    """

    id = "flash"
    title = "Flash / strobe"
    category = "motion"
    params = (
        Param("amount", "float", 0.6, min=0.0, max=1.0, doc="Blend toward the colour; 0 leaves the picture as is", neutral=0.0),
        Param("color", "color", "white", doc="The flash colour"),
        Param("frequency", "float", 0.0, min=0.0, max=30.0, unit="Hz", doc="Strobe rate; 0 is a steady flash"),
        Param("duty", "float", 0.5, min=0.05, max=0.95, doc="Share of each strobe period that is lit"),
    )
    example = {"amount": {"envelope": "beats", "from": 0.0, "to": 0.7, "decay": 0.12}}

    @staticmethod
    def _amount(p: dict[str, Any], time: Any) -> float:
        if p["frequency"] <= 0:
            return p["amount"]
        phase = (time.local_t * p["frequency"]) % 1.0
        return p["amount"] if phase < p["duty"] else 0.0

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        a = self._amount(p, time)
        if a <= 0:
            return frame
        y, u, v = _kernel(frame.y, frame.u, frame.v, color_yuv(p["color"]), a)
        return Frame(y, u, v, frame.alpha)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        a = self._amount(p, time)
        return frame if a <= 0 else ref_blend(frame, color_yuv(p["color"]), a)
