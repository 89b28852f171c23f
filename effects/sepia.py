"""sepia: the warm brown tone of old photographic prints."""

from __future__ import annotations

from typing import Any

import numpy as np
from clipkit.jit import njit

from clipkit.effects import Effect, Param
from clipkit.effects.kernels import CUBES, apply_cube, cube_grid_rgb, cube_store, new_cube, ref_apply_rgb_transform, ref_rgb_float
from clipkit.frame import Frame

# the classic sepia matrix (rows give R, G, B from R, G, B)
SEPIA = np.array([[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]])


@njit(nogil=True, cache=True, fastmath=True)
def _build(cube: np.ndarray, m: np.ndarray) -> None:
    """Fill a colour cube with the sepia matrix applied to every (chroma pair, luma)."""
    for iu in range(cube.shape[0]):
        for iv in range(cube.shape[1]):
            for yv in range(256):
                r, g, b = cube_grid_rgb(iu, iv, yv)
                cube_store(cube, iu, iv, yv, m[0, 0] * r + m[0, 1] * g + m[0, 2] * b,
                           m[1, 0] * r + m[1, 1] * g + m[1, 2] * b, m[2, 0] * r + m[2, 1] * g + m[2, 2] * b)


def _cube() -> np.ndarray:
    cube = new_cube()
    _build(cube, SEPIA)
    return cube


class Sepia(Effect):
    """Sepia toning: the classic brown-tinted monochrome of old prints, blended by strength.

    The sepia matrix is baked into a colour cube (once per process), so a frame costs
    one table read per pixel.
    """

    id = "sepia"
    title = "Sepia"
    category = "color"
    params = (Param("strength", "float", 1.0, min=0.0, max=1.0, doc="Blend with the original; 0 leaves the picture as is", neutral=0.0),)
    example = {"strength": 0.8}
    tolerance = 3  # the cube looks chroma up in steps of 2 and stores 8-bit results

    def prepare(self, ctx: Any, static: dict[str, Any]) -> Any:
        return CUBES.get(("sepia",), _cube)

    def colour_cube(self, p: dict[str, Any], state: Any) -> tuple[np.ndarray, float]:
        return state, p["strength"]

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        y, u, v = apply_cube(frame.y, frame.u, frame.v, state, p["strength"])
        return Frame(y, u, v, frame.alpha)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        rgb = np.clip(ref_rgb_float(frame.y, frame.u, frame.v), 0.0, 255.0)
        y, u, v = ref_apply_rgb_transform(frame, rgb @ SEPIA.T, p["strength"])
        return Frame(y, u, v, frame.alpha)
