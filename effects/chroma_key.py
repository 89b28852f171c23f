"""chroma_key: green/blue screen keying to alpha, with spill suppression."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from clipkit.jit import njit

from clipkit.effects import Effect, Param
from clipkit.effects.kernels import U_B, U_G, U_R, V_B, V_G, V_R, u8
from clipkit.frame import Frame

CHROMA_RANGE = 112.0  # largest chroma excursion in limited range


def key_chroma(rgb: tuple[int, int, int]) -> tuple[float, float]:
    """The key colour's (Cb, Cr) offsets from neutral."""
    r, g, b = (float(c) for c in rgb)
    return U_R * r + U_G * g + U_B * b, V_R * r + V_G * g + V_B * b


@njit(nogil=True, cache=True, fastmath=True)
def _kernel(y: np.ndarray, u: np.ndarray, v: np.ndarray, alpha_in: np.ndarray, has_alpha: bool, kcb: float, kcr: float,
            similarity: float, smoothness: float, spill: float, amount: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    h2, w2 = u.shape
    ou = np.empty((h2, w2), np.uint8)
    ov = np.empty((h2, w2), np.uint8)
    alpha = np.empty(y.shape, np.uint8)
    norm = math.sqrt(kcb * kcb + kcr * kcr)
    dcb = kcb / norm
    dcr = kcr / norm
    for i in range(h2):
        for j in range(w2):
            cb = u[i, j] - 128.0
            cr = v[i, j] - 128.0
            d = math.sqrt((cb - kcb) ** 2 + (cr - kcr) ** 2) / CHROMA_RANGE
            a = min(max((d - similarity) / smoothness, 0.0), 1.0)
            a = 1.0 - amount * (1.0 - a)
            proj = cb * dcb + cr * dcr
            if proj > 0.0:
                k = spill * amount * proj
                cb -= k * dcb
                cr -= k * dcr
            ou[i, j] = u8(128.0 + cb)
            ov[i, j] = u8(128.0 + cr)
            for di in range(2):
                for dj in range(2):
                    base = 255.0
                    if has_alpha:
                        base = np.float64(alpha_in[2 * i + di, 2 * j + dj])
                    alpha[2 * i + di, 2 * j + dj] = u8(base * a)
    return ou, ov, alpha


class ChromaKey(Effect):
    """Chroma key: make a green or blue screen transparent, for compositing over a background.

    Pixels whose colour (on the Cb/Cr plane, so shading on the screen does not
    matter) is within ``similarity`` of the key colour become transparent, with a soft
    edge ``smoothness`` wide. Spill suppression removes the key colour's cast from what
    remains (green fringes on hair and skin). The alpha is combined with any alpha the
    frame already has.
    """

    id = "chroma_key"
    title = "Chroma key"
    category = "key"
    params = (
        Param("color", "color", "#00b140", doc="The screen colour (chroma-key green by default; #0047bb for blue)"),
        Param("similarity", "float", 0.35, min=0.0, max=1.0, doc="How far from the key colour still counts as screen"),
        Param("smoothness", "float", 0.12, min=0.001, max=1.0, doc="Width of the soft edge between screen and subject"),
        Param("spill", "float", 0.5, min=0.0, max=1.0, doc="How much of the key colour's cast to remove from the subject"),
        Param("strength", "float", 1.0, min=0.0, max=1.0, doc="Strength of the whole key; 0 leaves the picture opaque and untouched", neutral=0.0, aliases=("amount",)),
    )
    example = {"color": "#00b140", "similarity": 0.35, "smoothness": 0.12, "spill": 0.5}
    tolerance = 1

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        kcb, kcr = key_chroma(p["color"])
        if kcb == 0 and kcr == 0:
            kcr = 1e-6  # a grey key: no spill direction
        alpha_in = frame.alpha if frame.alpha is not None else np.empty((1, 1), np.uint8)
        u, v, alpha = _kernel(frame.y, frame.u, frame.v, alpha_in, frame.alpha is not None, kcb, kcr,
                              p["similarity"], p["smoothness"], p["spill"], p["strength"])
        return Frame(frame.y, u, v, alpha)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        kcb, kcr = key_chroma(p["color"])
        if kcb == 0 and kcr == 0:
            kcr = 1e-6
        cb = frame.u.astype(np.float64) - 128
        cr = frame.v.astype(np.float64) - 128
        d = np.hypot(cb - kcb, cr - kcr) / CHROMA_RANGE
        a = np.clip((d - p["similarity"]) / p["smoothness"], 0, 1)
        a = 1 - p["strength"] * (1 - a)
        n = math.hypot(kcb, kcr)
        dcb, dcr = kcb / n, kcr / n
        proj = cb * dcb + cr * dcr
        k = np.where(proj > 0, p["spill"] * p["strength"] * proj, 0.0)
        q = lambda x: np.floor(np.clip(x, 0, 255) + 0.5).astype(np.uint8)  # noqa: E731
        base = frame.alpha.astype(np.float64) if frame.alpha is not None else 255.0
        alpha = q(base * np.repeat(np.repeat(a, 2, 0), 2, 1))
        return Frame(frame.y, q(128 + cb - k * dcb), q(128 + cr - k * dcr), alpha)
