"""vhs: worn videotape, bleeding colour, scanlines, tracking noise."""

from __future__ import annotations

from typing import Any

import numpy as np
from clipkit.jit import njit

from clipkit.effects import Effect, Param, px_scale
from clipkit.effects.kernels import u8
from clipkit.frame import Frame


@njit(nogil=True, cache=True, fastmath=True)
def _noise(a: np.int64) -> float:
    """Hash to [-1, 1)."""
    a = (a ^ (a >> 16)) * 0x45D9F3B & 0xFFFFFFFF
    a = (a ^ (a >> 16)) * 0x45D9F3B & 0xFFFFFFFF
    a = a ^ (a >> 16)
    return (a & 0xFFFF) / 32768.0 - 1.0


@njit(nogil=True, cache=True, fastmath=True)
def _kernel(y: np.ndarray, u: np.ndarray, v: np.ndarray, rows: np.ndarray, dark: np.ndarray, noise: float, key: np.int64,
            soft: float, cr: int, cshift: int, csat: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    h, w = y.shape
    oy = np.empty((h, w), np.uint8)
    for i in range(h):
        s = rows[i]
        g = 1.0 - dark[i]
        base = key * 1_000_003 + i * 4099
        for j in range(w):
            # luma: soft horizontal 3-tap (tape bandwidth), row jitter, scanlines, noise
            a = y[i, min(max(j - s - 1, 0), w - 1)]
            b = y[i, min(max(j - s, 0), w - 1)]
            c = y[i, min(max(j - s + 1, 0), w - 1)]
            val = b + soft * ((a + 2.0 * b + c) * 0.25 - b)
            oy[i, j] = u8(16.0 + (val - 16.0) * g + noise * _noise(base + j))
    h2, w2 = u.shape
    ou = np.empty((h2, w2), np.uint8)
    ov = np.empty((h2, w2), np.uint8)
    n = 2 * cr + 1
    for i in range(h2):
        s = rows[2 * i] // 2 + cshift
        for j in range(w2):
            su = 0.0
            sv = 0.0
            for k in range(-cr, cr + 1):
                x = min(max(j - s + k, 0), w2 - 1)
                su += u[i, x]
                sv += v[i, x]
            ou[i, j] = u8(128.0 + (su / n - 128.0) * csat)
            ov[i, j] = u8(128.0 + (sv / n - 128.0) * csat)
    return oy, ou, ov


def _ref_noise(a: np.ndarray) -> np.ndarray:
    a = a.astype(np.int64)
    a = (a ^ (a >> 16)) * 0x45D9F3B & 0xFFFFFFFF
    a = (a ^ (a >> 16)) * 0x45D9F3B & 0xFFFFFFFF
    a = a ^ (a >> 16)
    return (a & 0xFFFF) / 32768.0 - 1.0


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
        return (int(ctx.seed) * 1_000_003 + static["seed"]) & 0x7FFFFFFF, px_scale(ctx.width, ctx.height), float(ctx.fps)

    def _plan(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> tuple:
        seed, scale, fps = state
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

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        rows, dark, noise, key, soft, cr, cshift, csat = self._plan(frame, p, state, time)
        y, u, v = _kernel(frame.y, frame.u, frame.v, rows, dark, noise, key, soft, cr, cshift, csat)
        return Frame(y, u, v, frame.alpha)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        rows, dark, noise, key, soft, cr, cshift, csat = self._plan(frame, p, state, time)
        h, w = frame.y.shape
        ii = np.arange(h)[:, None]
        jj = np.arange(w)[None, :]
        src = frame.y.astype(np.float64)
        take = lambda off: src[ii, np.clip(jj - rows[:, None] + off, 0, w - 1)]  # noqa: E731
        val = take(0) + soft * ((take(-1) + 2 * take(0) + take(1)) * 0.25 - take(0))
        base = key * 1_000_003 + ii * 4099
        y = 16.0 + (val - 16.0) * (1 - dark[:, None]) + noise * _ref_noise(base + jj)
        h2, w2 = frame.u.shape
        i2 = np.arange(h2)[:, None]
        j2 = np.arange(w2)[None, :]
        shift = (rows[::2] // 2 + cshift)[:, None]
        n = 2 * cr + 1
        su = sum(frame.u[i2, np.clip(j2 - shift + k, 0, w2 - 1)].astype(np.float64) for k in range(-cr, cr + 1))
        sv = sum(frame.v[i2, np.clip(j2 - shift + k, 0, w2 - 1)].astype(np.float64) for k in range(-cr, cr + 1))
        q = lambda a: np.floor(np.clip(a, 0, 255) + 0.5).astype(np.uint8)  # noqa: E731
        return Frame(q(y), q(128 + (su / n - 128) * csat), q(128 + (sv / n - 128) * csat), frame.alpha)


