"""rotate: turn the picture about its centre."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from clipkit.jit import njit

from clipkit.effects import Effect, Param
from clipkit.effects.kernels import warp_frame, warp_plane
from clipkit.frame import Frame


@njit(nogil=True, cache=True, fastmath=True)
def _kernel(y: np.ndarray, u: np.ndarray, v: np.ndarray, cy: tuple, cc: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return warp_plane(y, cy, 16, False), warp_plane(u, cc, 128, False), warp_plane(v, cc, 128, False)


def rotation_matrix(width: int, height: int, degrees: float, scale: float = 1.0) -> np.ndarray:
    """Output -> source matrix of a turn by ``degrees`` (clockwise on screen) and a zoom by ``scale``."""
    a = math.radians(degrees)
    c, s = math.cos(a) / scale, math.sin(a) / scale
    cx, cy = width / 2.0, height / 2.0
    # inverse rotation: source = R(-a) (out - centre) / scale + centre
    return np.array([[c, s, cx - c * cx - s * cy], [-s, c, cy + s * cx - c * cy]])


def cover_scale(width: int, height: int, degrees: float) -> float:
    """Zoom that keeps a turned frame covering the whole output (no corners showing)."""
    a = abs(math.radians(degrees)) % math.pi
    if a > math.pi / 2:
        a = math.pi - a
    c, s = math.cos(a), math.sin(a)
    return max((width * c + height * s) / width, (width * s + height * c) / height)


class Rotate(Effect):
    """Turn the picture about its centre (clockwise for positive angles), optionally zooming so no corner shows.

    Bilinear resampling; without ``fill`` the uncovered corners are black.
    """

    id = "rotate"
    title = "Rotate"
    category = "motion"
    params = (
        Param("degrees", "float", 10.0, min=-360.0, max=360.0, unit="deg", doc="Turn, clockwise; 0 leaves the picture as is", neutral=0.0),
        Param("fill", "bool", True, doc="Zoom in just enough that the turned picture covers the frame"),
    )
    example = {"degrees": {"keyframes": [[0, -6, "ease-in-out"], [1.0, 6]]}, "fill": True}

    def _matrix(self, frame: Frame, p: dict[str, Any]) -> np.ndarray:
        scale = cover_scale(frame.width, frame.height, p["degrees"]) if p["fill"] else 1.0
        return rotation_matrix(frame.width, frame.height, p["degrees"], scale)

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        return warp_frame(frame, self._matrix(frame, p), _kernel, reference=False)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        return warp_frame(frame, self._matrix(frame, p), _kernel, reference=True)
