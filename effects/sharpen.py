"""sharpen: unsharp mask on luma."""

from __future__ import annotations

from typing import Any

import numpy as np

from clipkit.effects import Effect, Param
from clipkit.effects.kernels import _HALF_UP, gaussian_blur, gaussian_taps, ref_gaussian, row_bands
from clipkit.frame import Frame


def _gain_table(amount: float, threshold: float) -> np.ndarray:
    """What a pixel gains or loses, by how far it is from its blur: ``amount`` times the
    difference beyond ``threshold``, rounded half up."""
    d = np.arange(256, dtype=np.float64)
    return np.clip(np.floor(amount * np.maximum(d - threshold, 0.0) + 0.5), 0, 255).astype(np.uint8)


def _kernel(y: np.ndarray, blurred: np.ndarray, amount: float, threshold: float, out: np.ndarray | None = None) -> np.ndarray:
    """The cored unsharp mask in saturating 8-bit OpenCV passes (no numba: looks with a
    sharpen stay free of LLVM's 60-75 MB): the distance to the blur, its gain (scaled, or
    from a table for a fractional threshold), subtracted everywhere and added instead
    where the pixel is above its blur (into ``out`` when given).
    A loss of exactly half a level rounds away from the pixel (the reference rounds it
    up): within the one-level tolerance."""
    import cv2

    d = cv2.absdiff(y, blurred)
    if float(threshold).is_integer():
        # a whole-level threshold: a saturating subtract and one SIMD scale do the table's
        # work (0.26 ms against cv2.LUT's 0.7-1.0 at 1080x1920); OpenCV rounds halves to
        # even, and the small offset tips them up as the table rounds (the same gains for
        # amounts 0.3-2.25 on every difference, measured)
        gain = cv2.convertScaleAbs(cv2.subtract(d, threshold), alpha=amount, beta=_HALF_UP)
    else:
        gain = cv2.LUT(d, _gain_table(amount, threshold))
    out = cv2.subtract(y, gain, dst=out)
    cv2.add(y, gain, dst=out, mask=cv2.compare(y, blurred, cv2.CMP_GT))
    return out


BAND_PIXELS = 276_480
"""Pixels sharpened per band (256 rows of a 1080-wide frame). The blur and the five 8-bit
passes after it then work on about 0.3 MB planes that stay in the cache, instead of
2 MB ones that go through memory at each pass: 3.2 ms a frame at 1080x1920 instead of
7.9-8.9 (one thread, a real frame; the same output bit for bit)."""


def _banded(y: np.ndarray, taps: np.ndarray, amount: float, threshold: float) -> np.ndarray:
    """:func:`_kernel` of ``y`` and its blur, a band of rows at a time. Each band's blur reads
    the rows around it (the kernel's radius), so the result is the whole plane's."""
    h, w = y.shape
    radius = (len(taps) - 1) // 2
    bands = row_bands(h, w, pixels=BAND_PIXELS)
    if len(bands) == 1:
        return _kernel(y, gaussian_blur(y, taps, dtype=np.uint8), amount, threshold)
    out = np.empty_like(y)
    for r0, r1 in bands:
        a0, a1 = max(0, r0 - radius), min(h, r1 + radius)
        blurred = gaussian_blur(y[a0:a1], taps, dtype=np.uint8)
        _kernel(y[r0:r1], blurred[r0 - a0 : r1 - a0], amount, threshold, out[r0:r1])
    return out


class Sharpen(Effect):
    """Crisper detail by an unsharp mask on luma (chroma is left soft, so no colour fringes).

    Adds ``amount`` times the difference between the picture and a Gaussian-blurred
    copy of size ``sigma`` (rounded to whole levels), cored: differences up to
    ``threshold`` levels (noise) are ignored and the threshold is taken off larger ones.
    """

    id = "sharpen"
    title = "Sharpen"
    category = "look"
    params = (
        Param("amount", "float", 0.8, min=0.0, max=3.0, unit="x", doc="Strength; 0 leaves the picture as is", neutral=0.0),
        Param("sigma", "float", 1.5, min=0.5, max=10.0, unit="px", doc="Size of the detail that is enhanced (Gaussian standard deviation, in pixels of the output)", aliases=("radius",)),
        Param("threshold", "float", 2.0, min=0.0, max=32.0, doc="Detail up to this many levels is treated as noise and not sharpened"),
    )
    example = {"amount": 0.8, "sigma": 1.5}
    tolerance = 1
    # not before_scaling: run on a source before the fit scales it up (at sigma / k), the
    # mask sharpens the source's pixels, not the scaled picture's, and the result is softer
    # (vivid on the real clips of bench_render.py --real: 13% less fine detail, 47 dB;
    # the conformance check's detail test fails it); it stays at the output size

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        taps = gaussian_taps(max(p["sigma"], 0.3))
        return Frame(_banded(frame.y, taps, p["amount"], p["threshold"]), frame.u, frame.v, frame.alpha)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        y = frame.y.astype(np.float64)
        blurred = np.clip(np.rint(ref_gaussian(frame.y, gaussian_taps(max(p["sigma"], 0.3)))), 0, 255)  # the blur in whole levels
        d = y - blurred
        cored = np.sign(d) * np.maximum(np.abs(d) - p["threshold"], 0.0)
        out = np.floor(np.clip(y + p["amount"] * cored, 0, 255) + 0.5)
        return Frame(out.astype(np.uint8), frame.u, frame.v, frame.alpha)
