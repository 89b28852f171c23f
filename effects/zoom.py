"""zoom: scale the picture about a point (pulse it on the beat with an envelope)."""

from __future__ import annotations

from typing import Any

import numpy as np
from clipkit.jit import njit

from clipkit.effects import Effect, Param
from clipkit.effects.kernels import warp_frame, warp_plane
from clipkit.frame import Frame


@njit(nogil=True, cache=True, fastmath=True)
def _kernel(y: np.ndarray, u: np.ndarray, v: np.ndarray, cy: tuple, cc: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return warp_plane(y, cy, 16, False), warp_plane(u, cc, 128, False), warp_plane(v, cc, 128, False)


def scale_matrix(width: int, height: int, scale: float, cx: float, cy: float) -> np.ndarray:
    """Output -> source matrix of a zoom by ``scale`` about (cx, cy) given in 0..1."""
    px, py = cx * width, cy * height
    inv = 1.0 / scale
    return np.array([[inv, 0.0, px - px * inv], [0.0, inv, py - py * inv]])


class Zoom(Effect):
    """Zoom in or out about a point; drive ``scale`` with keyframes for a push-in, or an envelope for a beat pulse.

    Zooming out leaves black borders.
    """

    id = "zoom"
    title = "Zoom / scale pulse"
    category = "motion"
    params = (
        Param("scale", "float", 1.1, min=0.25, max=4.0, unit="x", doc="Magnification; 1 leaves the picture as is", neutral=1.0),
        Param("center_x", "float", 0.5, min=0.0, max=1.0, doc="Horizontal position of the fixed point, 0 left to 1 right"),
        Param("center_y", "float", 0.5, min=0.0, max=1.0, doc="Vertical position of the fixed point, 0 top to 1 bottom"),
    )
    example = {"scale": {"envelope": "beats", "from": 1.0, "to": 1.12, "decay": 0.2}}

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        m = scale_matrix(frame.width, frame.height, p["scale"], p["center_x"], p["center_y"])
        return warp_frame(frame, m, _kernel, reference=False)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        m = scale_matrix(frame.width, frame.height, p["scale"], p["center_x"], p["center_y"])
        return warp_frame(frame, m, _kernel, reference=True)
