"""curves: tone curves through control points, for all channels and per channel."""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from clipkit.effects import Effect, Param
from clipkit.effects.kernels import (
    B_U, G_U, G_V, R_V, R_Y, U_B, U_G, U_R, V_B, V_G, V_R, Y_B, Y_G, Y_R,
    ref_apply_rgb_delta, ref_rgb_float, u8,
)
from clipkit.frame import Frame

IDENTITY = ((0.0, 0.0), (1.0, 1.0))
SAMPLES = 1024  # table resolution for the kernel (linear between entries)


def monotone_curve(points: tuple[tuple[float, float], ...], x: np.ndarray) -> np.ndarray:
    """Evaluate the monotone cubic (Fritsch-Carlson) through ``points`` at ``x`` in [0, 1].

    Monotone pieces never overshoot, so a curve through increasing points stays
    increasing. Outside the first and last point the curve is held flat.
    """
    px = np.array([p[0] for p in points], np.float64)
    py = np.array([p[1] for p in points], np.float64)
    x = np.clip(np.asarray(x, np.float64), px[0], px[-1])
    n = len(px)
    d = np.diff(py) / np.diff(px)
    m = np.empty(n)
    m[0], m[-1] = d[0], d[-1]
    for k in range(1, n - 1):
        m[k] = 0.0 if d[k - 1] * d[k] <= 0 else (d[k - 1] + d[k]) / 2
    for k in range(n - 1):
        if d[k] == 0:
            m[k] = m[k + 1] = 0.0
        else:
            a, b = m[k] / d[k], m[k + 1] / d[k]
            s = a * a + b * b
            if s > 9:
                t = 3 / np.sqrt(s)
                m[k], m[k + 1] = t * a * d[k], t * b * d[k]
    k = np.clip(np.searchsorted(px, x, side="right") - 1, 0, n - 2)
    h = px[k + 1] - px[k]
    t = (x - px[k]) / h
    h00 = (1 + 2 * t) * (1 - t) ** 2
    h10 = t * (1 - t) ** 2
    h01 = t * t * (3 - 2 * t)
    h11 = t * t * (t - 1)
    return np.clip(h00 * py[k] + h10 * h * m[k] + h01 * py[k + 1] + h11 * h * m[k + 1], 0.0, 1.0)


def _channel(master: Any, own: Any, x: np.ndarray) -> np.ndarray:
    """A channel's curve after the master curve, on values in 0..1."""
    return monotone_curve(own, monotone_curve(master, x))


@njit(nogil=True, cache=True)
def _lookup(table: np.ndarray, value: float) -> float:
    x = min(max(value, 0.0), 255.0) * ((table.shape[0] - 1) / 255.0)
    k = min(int(x), table.shape[0] - 2)
    f = x - k
    return table[k] * (1.0 - f) + table[k + 1] * f


@njit(nogil=True, cache=True)
def _kernel(y: np.ndarray, u: np.ndarray, v: np.ndarray, tr: np.ndarray, tg: np.ndarray, tb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    h2, w2 = u.shape
    oy = np.empty(y.shape, np.uint8)
    ou = np.empty((h2, w2), np.uint8)
    ov = np.empty((h2, w2), np.uint8)
    for i in range(h2):
        for j in range(w2):
            cb = u[i, j] - 128.0
            cr = v[i, j] - 128.0
            dr = R_V * cr
            dg = G_U * cb + G_V * cr
            db = B_U * cb
            sr = 0.0
            sg = 0.0
            sb = 0.0
            for di in range(2):
                for dj in range(2):
                    yy = (y[2 * i + di, 2 * j + dj] - 16.0) * R_Y
                    r = min(max(yy + dr, 0.0), 255.0)
                    g = min(max(yy + dg, 0.0), 255.0)
                    b = min(max(yy + db, 0.0), 255.0)
                    # the change in RGB is added to the planes (exact where curves are flat-identity)
                    er = _lookup(tr, r) - r
                    eg = _lookup(tg, g) - g
                    eb = _lookup(tb, b) - b
                    oy[2 * i + di, 2 * j + dj] = u8(y[2 * i + di, 2 * j + dj] + Y_R * er + Y_G * eg + Y_B * eb)
                    sr += er
                    sg += eg
                    sb += eb
            sr *= 0.25
            sg *= 0.25
            sb *= 0.25
            ou[i, j] = u8(u[i, j] + U_R * sr + U_G * sg + U_B * sb)
            ov[i, j] = u8(v[i, j] + V_R * sr + V_G * sg + V_B * sb)
    return oy, ou, ov


class Curves(Effect):
    """Tone curves through control points: a master curve for all channels, then one per channel.

    Points are ``[[x, y], ...]`` with input ``x`` and output ``y`` in 0..1 (x
    increasing); a smooth monotone curve runs through them. Lift the first point's y
    for faded blacks, pull the middle down for a darker mood, give red and blue
    opposite S-shapes for a split tone.
    """

    id = "curves"
    title = "Curves"
    category = "color"
    params = (
        Param("master", "points", IDENTITY, doc="Curve applied to red, green and blue", neutral=IDENTITY),
        Param("red", "points", IDENTITY, doc="Curve for red, after the master", neutral=IDENTITY),
        Param("green", "points", IDENTITY, doc="Curve for green, after the master", neutral=IDENTITY),
        Param("blue", "points", IDENTITY, doc="Curve for blue, after the master", neutral=IDENTITY),
    )
    example = {"master": [[0.0, 0.05], [0.25, 0.2], [0.75, 0.82], [1.0, 0.97]], "blue": [[0.0, 0.08], [1.0, 0.92]]}
    tolerance = 1

    def prepare(self, ctx: Any, static: dict[str, Any]) -> Any:
        x = np.linspace(0.0, 1.0, SAMPLES)
        return tuple(np.ascontiguousarray(_channel(static["master"], static[c], x) * 255.0) for c in ("red", "green", "blue"))

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        y, u, v = _kernel(frame.y, frame.u, frame.v, *state)
        return Frame(y, u, v, frame.alpha)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        rgb = np.clip(ref_rgb_float(frame.y, frame.u, frame.v), 0.0, 255.0) / 255.0
        out = np.stack([_channel(p["master"], p[c], rgb[..., k]) for k, c in enumerate(("red", "green", "blue"))], axis=-1)
        y, u, v = ref_apply_rgb_delta(frame, (out - rgb) * 255.0)
        return Frame(y, u, v, frame.alpha)
