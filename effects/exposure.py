"""exposure: brighten or darken in linear light, in photographic stops."""

from __future__ import annotations

from typing import Any

import numpy as np
from clipkit.jit import njit

from clipkit.effects import Effect, Param
from clipkit.effects.kernels import u8
from clipkit.frame import Frame

DECODE_GAMMA = 2.4  # BT.1886 display gamma: video luma -> linear light


@njit(nogil=True, cache=True, fastmath=True)
def _kernel(y: np.ndarray, u: np.ndarray, v: np.ndarray, gain: float, gamma: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lut = np.empty(256, np.float64)
    ratio = np.empty(256, np.float32)
    for i in range(256):
        x = (i - 16.0) / 219.0
        if x < 0.0 or x > 1.0:  # sub-black and super-white pass through
            lut[i] = i
            ratio[i] = 1.0
            continue
        o = min(x**gamma * gain, 1.0) ** (1.0 / gamma)
        lut[i] = 16.0 + 219.0 * o
        ratio[i] = min((o + 0.02) / (x + 0.02), 4.0)
    lut8 = np.empty(256, np.uint8)
    for i in range(256):
        lut8[i] = u8(lut[i])
    h, w = y.shape
    oy = np.empty((h, w), np.uint8)
    for r in range(h):
        for c in range(w):
            oy[r, c] = lut8[y[r, c]]
    h2, w2 = u.shape
    ou = np.empty((h2, w2), np.uint8)
    ov = np.empty((h2, w2), np.uint8)
    m = np.empty(w2, np.uint8)
    c128 = np.float32(128.0)
    for r in range(h2):
        y0 = y[2 * r]
        y1 = y[2 * r + 1]
        for c in range(w2):
            m[c] = np.uint8((np.uint32(y0[2 * c]) + y0[2 * c + 1] + y1[2 * c] + y1[2 * c + 1] + 2) >> 2)
        for c in range(w2):
            k = ratio[m[c]]
            ou[r, c] = u8(c128 + (np.float32(u[r, c]) - c128) * k)
            ov[r, c] = u8(c128 + (np.float32(v[r, c]) - c128) * k)
    return oy, ou, ov


class Exposure(Effect):
    """Brighten or darken like a camera's exposure, in stops (each stop doubles the light).

    Luma is taken to linear light (gamma 2.4), multiplied by ``2 ** stops`` and
    clipped at white; chroma follows each 2x2 block's brightness change so colours do
    not wash out or turn grey.
    """

    id = "exposure"
    title = "Exposure"
    category = "color"
    params = (
        Param("stops", "float", 0.0, min=-4.0, max=4.0, unit="stops", doc="Exposure change; 0 leaves the picture as is, +1 doubles the light", neutral=0.0),
    )
    example = {"stops": 0.5}

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        y, u, v = _kernel(frame.y, frame.u, frame.v, 2.0 ** p["stops"], DECODE_GAMMA)
        return Frame(y, u, v, frame.alpha)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        g = DECODE_GAMMA
        gain = 2.0 ** p["stops"]

        def curve(yv: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            x = (yv - 16.0) / 219.0
            inside = (x >= 0.0) & (x <= 1.0)
            xs = np.clip(x, 0.0, 1.0)
            return np.minimum(xs**g * gain, 1.0) ** (1.0 / g), xs, inside

        q = lambda a: np.floor(np.clip(a, 0, 255) + 0.5).astype(np.uint8)  # noqa: E731
        yy = frame.y.astype(np.float64)
        o, _, inside = curve(yy)
        y = np.where(inside, 16.0 + 219.0 * o, yy)
        h2, w2 = frame.u.shape
        m = (frame.y.astype(np.int64).reshape(h2, 2, w2, 2).sum(axis=(1, 3)) + 2) // 4
        om, xm, inside_m = curve(m.astype(np.float64))
        k = np.where(inside_m, np.minimum((om + 0.02) / (xm + 0.02), 4.0), 1.0)
        u = 128.0 + (frame.u - 128.0) * k
        v = 128.0 + (frame.v - 128.0) * k
        return Frame(q(y), q(u), q(v), frame.alpha)
