"""vhs: worn videotape, bleeding colour, scanlines, tracking noise."""

from __future__ import annotations

from typing import Any

import numpy as np

from clipkit.effects import Effect, Param, px_scale
from clipkit.effects.kernels import field_offset, ref_shift_rows, ref_wrapped, shift_rows, wrapped_pieces
from clipkit.frame import Frame


PASS_ROWS = 256  # luma rows worked per pass: the float32 planes of a pass stay in the cache
NOISE_CODES = 127.0  # the noise field's int8 code for 1 (the noise spans -1..1)


def _noise_field(h: int, w: int, seed: int) -> np.ndarray:
    """Seeded uniform noise in [-1, 1] of the frame's size, as float32 (read at a new
    offset each frame, as grain's field is)."""
    rng = np.random.default_rng([seed, h, w])
    codes = rng.integers(-127, 128, size=(h, w), dtype=np.int8)
    return codes.astype(np.float32) * np.float32(1.0 / NOISE_CODES)


def _apply(frame: Frame, plan: tuple, field: np.ndarray, start: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The tape in OpenCV passes (no numba): luma through the tape's soft 3-tap filter,
    each row shifted by its wobble, darkened by its scanline and band, plus the noise
    field; chroma smeared by a box filter, shifted, and faded toward grey."""
    import cv2

    rows, dark, noise, _key, soft, cr, cshift, csat = plan
    y, u, v = frame.y, frame.u, frame.v
    h, w = y.shape
    taps = np.array([[soft / 4.0, 1.0 - soft / 2.0, soft / 4.0]], np.float32)
    gain = (1.0 - dark).astype(np.float32)[:, None]
    offset = (16.0 * dark).astype(np.float32)[:, None]
    oy = np.empty_like(y)
    band = np.empty((min(h, PASS_ROWS), w), np.float32)
    for r0 in range(0, h, PASS_ROWS):
        r1 = min(h, r0 + PASS_ROWS)
        soft_rows = cv2.filter2D(y[r0:r1], cv2.CV_32F, taps, borderType=cv2.BORDER_REPLICATE)
        b = shift_rows(soft_rows, rows[r0:r1], band[: r1 - r0])
        b *= gain[r0:r1]
        b += offset[r0:r1]
        for dr, dc, sr, sc in wrapped_pieces((h, w), start, r0, r1):
            cv2.scaleAdd(field[sr, sc], float(noise), b[dr, dc], dst=b[dr, dc])
        cv2.add(b, 0.0, dst=oy[r0:r1], dtype=cv2.CV_8U)
    cshifts = rows[::2][: u.shape[0]] // 2 + cshift
    outs = []
    for c in (u, v):
        smeared = cv2.blur(c, (2 * cr + 1, 1), borderType=cv2.BORDER_REPLICATE) if cr > 0 else c
        faded = cv2.addWeighted(smeared, csat, smeared, 0.0, 128.0 * (1.0 - csat))
        outs.append(shift_rows(faded, cshifts))
    return oy, outs[0], outs[1]


class Vhs(Effect):
    """Worn VHS tape: soft luma, chroma smeared and shifted right, scanlines, noise and a rolling tracking band.

    All randomness comes from the seed and the frame index.
    """

    id = "vhs"
    title = "VHS / retro"
    category = "look"
    params = (
        Param("strength", "float", 0.7, min=0.0, max=1.0, doc="How worn the tape looks; 0 leaves the picture as is", neutral=0.0),
        Param("seed", "int", 0, min=0, max=2**31 - 1, keyframable=False, doc="Seed of the noise and tracking wobble"),
    )
    example = {"strength": 0.8}

    def prepare(self, ctx: Any, static: dict[str, Any]) -> Any:
        return (int(ctx.seed) * 1_000_003 + static["seed"]) & 0x7FFFFFFF, px_scale(ctx.width, ctx.height), float(ctx.fps), {}

    def _plan(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> tuple:
        seed, scale, fps = state[:3]
        s = p["strength"]
        h = frame.height
        rng = np.random.default_rng([seed, time.index])
        t = time.index / fps
        i = np.arange(h, dtype=np.float64)
        # a tracking band rolls slowly down the frame; rows inside it tear sideways
        centre = ((0.15 * t + rng.uniform(0, 0.02)) % 1.2 - 0.1) * h
        band = np.exp(-(((i - centre) / (0.03 * h + 1)) ** 2))
        wobble = np.sin(i * 0.05 + t * 3.0) * 1.5 * scale * s
        rows = np.round(wobble + band * rng.uniform(6, 24) * scale * s).astype(np.int64) & ~np.int64(1)
        period = max(2, int(round(3 * scale)))
        dark = np.where((np.arange(h) // max(1, period // 2)) % 2 == 1, 0.10 * s, 0.0) + band * 0.15 * s
        noise = 10.0 * s
        key = np.int64((seed * 31 + time.index) & 0x7FFFFFFF)
        soft = s
        cr = int(round(5 * s * scale))
        cshift = int(round(4 * s * scale))
        csat = 1.0 - 0.3 * s
        return rows, dark, noise, key, soft, cr, cshift, csat

    def _noise(self, state: Any, h: int, w: int, time: Any) -> tuple[np.ndarray, tuple[int, int]]:
        """The noise field of this frame size (built once) and where this frame reads it."""
        seed, fields = state[0], state[3]
        field = fields.get((h, w))
        if field is None:
            fields.clear()  # one size at a time (a field is 4 bytes a pixel)
            field = fields[(h, w)] = _noise_field(h, w, seed)
        return field, field_offset((seed * 31 + time.index) & 0x7FFFFFFF, (h, w))

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        plan = self._plan(frame, p, state, time)
        field, start = self._noise(state, frame.height, frame.width, time)
        y, u, v = _apply(frame, plan, field, start)
        return Frame(y, u, v, frame.alpha)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        rows, dark, noise, key, soft, cr, cshift, csat = self._plan(frame, p, state, time)
        field, start = self._noise(state, frame.height, frame.width, time)
        h, w = frame.y.shape
        jj = np.arange(w)
        src = frame.y.astype(np.float64)
        take = lambda off: src[:, np.clip(jj + off, 0, w - 1)]  # noqa: E731
        soft_rows = take(0) + soft * ((take(-1) + 2 * take(0) + take(1)) * 0.25 - take(0))
        val = ref_shift_rows(soft_rows, rows)  # the tape's signal, then its time-base wobble
        y = 16.0 + (val - 16.0) * (1 - dark[:, None]) + noise * ref_wrapped(field.astype(np.float64), start)
        w2 = frame.u.shape[1]
        j2 = np.arange(w2)
        n = 2 * cr + 1
        cshifts = rows[::2][: frame.u.shape[0]] // 2 + cshift
        q = lambda a: np.floor(np.clip(a, 0, 255) + 0.5).astype(np.uint8)  # noqa: E731
        chroma = []
        for c in (frame.u, frame.v):
            smeared = sum(c[:, np.clip(j2 + k, 0, w2 - 1)].astype(np.float64) for k in range(-cr, cr + 1)) / n
            chroma.append(ref_shift_rows(q(128 + (smeared - 128) * csat), cshifts))
        return Frame(q(y), chroma[0], chroma[1], frame.alpha)
