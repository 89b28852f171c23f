"""blur: Gaussian blur of the whole picture."""

from __future__ import annotations

from typing import Any

import numpy as np
from clipkit.jit import njit

from clipkit.effects import Effect, Param
from clipkit.effects.kernels import _box_blur, box_passes, gaussian_blur, gaussian_taps, ref_box_blur, ref_gaussian, u8
from clipkit.frame import Frame

DIRECT_MAX_SIGMA = 8.0  # up to here a true Gaussian; beyond, three box blurs (cost independent of size)


@njit(nogil=True, cache=True, fastmath=True)
def _rounded(f: np.ndarray) -> np.ndarray:
    h, w = f.shape
    out = np.empty((h, w), np.uint8)
    for i in range(h):
        for j in range(w):
            out[i, j] = u8(f[i, j])
    return out


@njit(nogil=True, cache=True, fastmath=True)
def _boxes(plane: np.ndarray, radii: np.ndarray) -> np.ndarray:
    return _box_blur(plane, radii)


def _blur(plane: np.ndarray, sigma: float, *, reference: bool) -> np.ndarray:
    if sigma < 0.2:
        return plane
    if sigma <= DIRECT_MAX_SIGMA:
        taps = gaussian_taps(sigma)
        if reference:
            return np.floor(np.clip(ref_gaussian(plane, taps), 0, 255) + 0.5).astype(np.uint8)
        return _rounded(gaussian_blur(plane, taps))
    radii = box_passes(sigma)
    if reference:
        return ref_box_blur(plane, radii)
    return _boxes(plane, np.asarray(radii, np.int64))


class Blur(Effect):
    """Gaussian blur of the whole picture.

    ``sigma`` is the Gaussian's standard deviation in pixels of a 1080x1920 frame.
    Up to 8 pixels of the render it is a true separable Gaussian; larger blurs use
    three box blurs, whose cost does not grow with the size.
    """

    id = "blur"
    title = "Gaussian blur"
    category = "look"
    params = (
        Param("sigma", "float", 6.0, min=0.0, max=100.0, unit="px", doc="Blur size (standard deviation); 0 leaves the picture sharp", neutral=0.0),
    )
    example = {"sigma": 8.0}
    before_scaling = True  # on a source a fit scales up: blurred at sigma / k on its pixels (a linear filter: the order does not matter)

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        s = p["sigma"]
        return Frame(_blur(frame.y, s, reference=False), _blur(frame.u, s / 2, reference=False), _blur(frame.v, s / 2, reference=False), frame.alpha)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        s = p["sigma"]
        return Frame(_blur(frame.y, s, reference=True), _blur(frame.u, s / 2, reference=True), _blur(frame.v, s / 2, reference=True), frame.alpha)
