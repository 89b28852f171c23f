"""grain: seeded film grain that changes every frame."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from clipkit.effects import Effect, Param, px_scale
from clipkit.effects.kernels import field_offset, ref_wrapped, wrapped_pieces
from clipkit.frame import Frame

LEVELS = 14.0  # grain standard deviation in luma levels at strength 1, in the midtones
SCALE = 32.0  # the field's int8 codes per standard deviation
GAIN_CODES = 582.0
"""8-bit codes per unit of the per-level gain (its largest, 14/32 at strength 1 in the
midtones, is code 255): ``gain * noise`` is then within 0.11 of a level of the exact one."""
GRAIN_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0)) * math.sqrt(2.0)
"""A grain's diameter (``size``) per sigma of the blur that makes the field (3.33)."""
PASS_ROWS = 256  # rows grained per pass: the 8-bit planes of a pass stay in the cache
_FIELDS = 2  # fields kept per effect (one per frame size it is given)


def _gain(amount: float) -> np.ndarray:
    """Grain strength per luma code: strongest in the midtones, as on film."""
    x = np.clip((np.arange(256) - 16.0) / 219.0, 0.0, 1.0)
    weight = 1.0 - 0.75 * (2 * x - 1) ** 2
    return (amount * LEVELS / SCALE * weight).astype(np.float64)


def _gain_codes(amount: float) -> np.ndarray:
    """:func:`_gain` as the 8-bit table the passes multiply by (``GAIN_CODES`` per unit)."""
    return np.clip(np.round(_gain(amount) * GAIN_CODES), 0, 255).astype(np.uint8)


def _field(h: int, w: int, seed: int, sigma: float) -> np.ndarray:
    """A seamless (it wraps) Gaussian noise field of the frame's size, blurred to ``sigma``
    pixels, in int8 codes of ``SCALE`` per standard deviation.

    One field the size of the frame, read at a new seeded offset each frame, repeats
    nowhere inside a frame; a small tile read at an offset per row (as before) repeated,
    and drew the grain as short horizontal streaks.
    """
    import cv2

    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((h, w), dtype=np.float32)
    if sigma > 0.3:
        # blurred with the field's far side around it: the field stays seamless when it
        # wraps (float32 and a few rows of margin: a float64 FFT held 45 MB at 1080x1920)
        m = min(int(math.ceil(4.0 * sigma)), h, w)
        wrapped = np.pad(noise, m, mode="wrap")
        noise = cv2.GaussianBlur(wrapped, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)[m : m + h, m : m + w]
        del wrapped
        noise = noise / max(float(noise.std()), 1e-6)
    return np.clip(np.round(noise * SCALE), -127, 127).astype(np.int8)


def _grained(y: np.ndarray, pos: np.ndarray, neg: np.ndarray, codes: np.ndarray, start: tuple[int, int]) -> np.ndarray:
    """``y + gain[y] * noise`` in 8-bit OpenCV passes (no numba): the noise's positive and
    negative parts are kept apart (``pos``, ``neg``: the field wrapped by ``start`` is read
    as up to four slices), each scaled by the pixel's gain code and added or taken off."""
    import cv2

    h, w = y.shape
    k = 1.0 / GAIN_CODES
    out = np.empty_like(y)
    g = np.empty((min(h, PASS_ROWS), w), np.uint8)
    d = np.empty_like(g)
    for r0 in range(0, h, PASS_ROWS):
        r1 = min(h, r0 + PASS_ROWS)
        n = r1 - r0
        cv2.LUT(y[r0:r1], codes, dst=g[:n])
        o, src_y = out[r0:r1], y[r0:r1]
        for dr, dc, sr, sc in wrapped_pieces((h, w), start, r0, r1):
            gg, dd, oo = g[:n][dr, dc], d[:n][dr, dc], o[dr, dc]
            cv2.multiply(gg, pos[sr, sc], dst=dd, scale=k)
            cv2.add(src_y[dr, dc], dd, dst=oo)
            cv2.multiply(gg, neg[sr, sc], dst=dd, scale=k)
            cv2.subtract(oo, dd, dst=oo)
    return out


class Grain(Effect):
    """Film grain: seeded noise, strongest in the midtones, different on every frame.

    The same seed gives the same grain on every render. ``size`` sets the grain
    diameter; the pattern comes from a seamless, pre-blurred noise field of the frame's
    size, read at a new seeded offset on every frame (wrapping around its edges).

    Fresh noise on every frame is expensive for the video encoder, not for clipkit:
    measured in a 1080x1920 veryfast render the grain itself costs about 4-5 ms a frame
    (8-bit OpenCV passes, 3.3 ms alone; numba's loop took about 2, but a look with grain
    now loads no numba, which costs about 2 s of CPU and 60-145 MB per process), while
    x264 spends some 13 ms more CPU on the noise.
    Holding a pattern for 2-3 frames or making it softer barely changes that, so use
    grain where the look needs it.
    """

    id = "grain"
    title = "Film grain"
    category = "look"
    params = (
        Param("strength", "float", 0.35, min=0.0, max=1.0, doc="Grain strength; 0 leaves the picture as is", neutral=0.0, aliases=("amount",)),
        Param("size", "float", 1.5, min=0.5, max=6.0, unit="px", keyframable=False, doc="Grain size"),
        Param("seed", "int", 0, min=0, max=2**31 - 1, keyframable=False, doc="Seed of the grain pattern"),
    )
    example = {"strength": 0.4, "size": 1.5}

    def prepare(self, ctx: Any, static: dict[str, Any]) -> Any:
        seed = (int(ctx.seed) * 1_000_003 + static["seed"]) & 0x7FFFFFFF
        # size is a grain's diameter: the full width at half height of the field's
        # autocorrelation, 2 sqrt(2 ln 2) sqrt(2) = 3.33 times the blur's sigma
        sigma = static["size"] / GRAIN_PER_SIGMA * px_scale(ctx.width, ctx.height)
        return {"seed": seed, "sigma": sigma, "fields": {}}

    def _field(self, state: dict[str, Any], h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
        """The positive and negative parts of this frame size's field (built once)."""
        fields = state["fields"]
        hit = fields.get((h, w))
        if hit is None:
            if len(fields) >= _FIELDS:
                fields.clear()
            field = _field(h, w, state["seed"], state["sigma"]).astype(np.int16)
            hit = fields[(h, w)] = (np.clip(field, 0, 127).astype(np.uint8), np.clip(-field, 0, 127).astype(np.uint8))
        return hit

    def _key(self, state: dict[str, Any], time: Any) -> int:
        return (state["seed"] * 31 + time.index) & 0x7FFFFFFF

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        h, w = frame.y.shape
        pos, neg = self._field(state, h, w)
        start = field_offset(self._key(state, time), (h, w))
        return Frame(_grained(frame.y, pos, neg, _gain_codes(p["strength"]), start), frame.u, frame.v, frame.alpha)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        h, w = frame.y.shape
        pos, neg = self._field(state, h, w)
        field = pos.astype(np.int16) - neg
        oy, ox = field_offset(self._key(state, time), (h, w))
        n = ref_wrapped(field, (oy, ox)).astype(np.float64)
        y = frame.y.astype(np.float64) + _gain(p["strength"])[frame.y] * n
        return Frame(np.floor(np.clip(y, 0, 255) + 0.5).astype(np.uint8), frame.u, frame.v, frame.alpha)
