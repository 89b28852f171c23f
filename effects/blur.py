"""blur: Gaussian blur of the whole picture."""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from clipkit.effects import Effect, Param
from clipkit.effects.kernels import _box_blur, box_passes, ref_box_blur
from clipkit.frame import Frame


@njit(nogil=True, cache=True, fastmath=True)
def _kernel(y: np.ndarray, u: np.ndarray, v: np.ndarray, ry: np.ndarray, rc: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return _box_blur(y, ry), _box_blur(u, rc), _box_blur(v, rc)


class Blur(Effect):
    """Gaussian blur, approximated by three box blurs (cost does not grow with the size).

    ``sigma`` is the Gaussian's standard deviation in pixels of a 1080x1920 frame.
    """

    id = "blur"
    title = "Gaussian blur"
    category = "look"
    params = (
        Param("sigma", "float", 6.0, min=0.0, max=100.0, unit="px", doc="Blur size (standard deviation); 0 leaves the picture sharp", neutral=0.0),
    )
    example = {"sigma": 8.0}

    @staticmethod
    def _radii(sigma: float) -> tuple[list[int], list[int]]:
        return box_passes(sigma), box_passes(sigma / 2.0)

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        ry, rc = self._radii(p["sigma"])
        ry_a = np.asarray(ry or [0], np.int64)
        rc_a = np.asarray(rc or [0], np.int64)
        y, u, v = _kernel(np.ascontiguousarray(frame.y), np.ascontiguousarray(frame.u), np.ascontiguousarray(frame.v), ry_a, rc_a)
        return Frame(y, u, v, frame.alpha)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        ry, rc = self._radii(p["sigma"])
        return Frame(ref_box_blur(frame.y, ry), ref_box_blur(frame.u, rc), ref_box_blur(frame.v, rc), frame.alpha)
