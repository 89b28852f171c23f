"""beauty's skin mask across skin tones and colour casts (synthetic portraits with known regions)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import mediagen as mg
from clipkit.builtin_effects.beauty import Beauty
from clipkit.frame import Frame


def _skin_detail(y: np.ndarray, mask: np.ndarray) -> float:
    y = y.astype(np.float32)
    return float(np.sqrt(np.mean((y - cv2.GaussianBlur(y, (0, 0), 2.0))[mask] ** 2)))


def _edge_detail(y: np.ndarray, mask: np.ndarray) -> float:
    y = y.astype(np.float32)
    return float(np.mean(np.hypot(cv2.Sobel(y, cv2.CV_32F, 1, 0), cv2.Sobel(y, cv2.CV_32F, 0, 1))[mask]))


@pytest.mark.parametrize("tone", ["pale", "beige", "brown", "dark"])
@pytest.mark.parametrize("cast", ["neutral", "blue", "warm", "green", "mixed"])
def test_beauty_smooths_skin_of_every_tone_under_every_light_and_keeps_edges(tone: str, cast: str) -> None:
    rgb, masks = mg.colour_face(tone, "blue" if cast == "mixed" else cast, size=256, mixed=cast == "mixed")
    frame = Frame.from_rgb(rgb)
    out = Beauty().apply(frame, {"strength": 0.8, "radius": 12.0, "skin_only": True}, None, None)
    removed = 1 - _skin_detail(out.y, masks["cheeks"]) / _skin_detail(frame.y, masks["cheeks"])
    kept = _edge_detail(out.y, masks["features"]) / _edge_detail(frame.y, masks["features"])
    assert removed >= 0.30, f"{tone} under {cast} light: only {removed:.0%} of the skin detail smoothed"
    assert kept >= 0.90, f"{tone} under {cast} light: {kept:.0%} of the edge detail kept"


def test_beauty_leaves_foliage_and_sky_alone() -> None:
    """Textured green leaves under a blue sky: no skin hue, so the mask keeps them sharp."""
    rng = np.random.default_rng(2)
    rgb = np.empty((128, 128, 3), np.float64)
    rgb[:64] = (110, 150, 215)  # sky
    rgb[64:] = (60, 120, 45)  # leaves
    rgb += rng.normal(0, 14, rgb.shape)
    frame = Frame.from_rgb(np.clip(rgb, 0, 255).astype(np.uint8))
    out = Beauty().apply(frame, {"strength": 1.0, "radius": 12.0, "skin_only": True}, None, None)
    everywhere = Beauty().apply(frame, {"strength": 1.0, "radius": 12.0, "skin_only": False}, None, None)
    share = np.abs(out.y.astype(int) - frame.y).mean() / max(1e-6, np.abs(everywhere.y.astype(int) - frame.y).mean())
    assert share < 0.2


@pytest.mark.parametrize("sigma", [4.0, 6.0, 8.0, 16.0])
def test_the_shading_base_blurred_small_matches_the_blur_at_full_work_size(sigma: float) -> None:
    """The base is blurred on a halved copy (a third of the filter's time saved): on a
    shaded, textured face-sized patch it stays within a level of the full-size blur."""
    from clipkit.builtin_effects.beauty import _base

    rng = np.random.default_rng(5)
    yy, xx = np.mgrid[0:240, 0:135].astype(np.float32)
    shading = 120 + 60 * np.sin(xx / 23.0) * np.cos(yy / 31.0)  # cheeks turning from the light
    guide = (shading + rng.normal(0, 6, shading.shape)).astype(np.float32)  # pores and noise
    exact = cv2.GaussianBlur(guide, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE)
    fast = _base(guide, sigma)
    assert fast.shape == guide.shape and fast.dtype == np.float32
    inner = np.s_[int(2 * sigma) : -int(2 * sigma), int(2 * sigma) : -int(2 * sigma)]  # the borders are replicated differently
    assert float(np.abs(fast - exact)[inner].max()) <= 1.0
    assert float(np.abs(fast - exact).mean()) <= 0.5
