"""curves: tone curves through control points, for all channels and per channel."""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from clipkit.effects import Effect, Param
from clipkit.effects.kernels import (
    B_U, G_U, G_V, R_V, R_Y, U_B, U_G, U_R, V_B, V_G, V_R, Y_B, Y_G, Y_R,
    ref_apply_rgb_transform, ref_rgb_float, u8,
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


@njit(nogil=True, cache=True, fastmath=True)
def _kernel(y: np.ndarray, u: np.ndarray, v: np.ndarray, tr: np.ndarray, tg: np.ndarray, tb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each pixel to RGB (its block's chroma), through the three curve tables, back to YUV.

    Row by row in float32 with the chroma terms of a row expanded to full width, so
    every loop is contiguous and vectorizes; the tables (SAMPLES float32 each) stay in
    L1 cache. U and V are each 2x2 block's mean.
    """
    h, w = y.shape
    h2, w2 = u.shape
    oy = np.empty((h, w), np.uint8)
    ou = np.empty((h2, w2), np.uint8)
    ov = np.empty((h2, w2), np.uint8)
    f = np.float32
    dr = np.empty(w, f)
    dg = np.empty(w, f)
    db = np.empty(w, f)
    pu = np.empty(w, f)
    pv = np.empty(w, f)
    su = np.empty(w2, f)
    sv = np.empty(w2, f)
    ry, rv, gu, gv, bu = f(R_Y), f(R_V), f(G_U), f(G_V), f(B_U)
    yr_, yg_, yb_ = f(Y_R), f(Y_G), f(Y_B)
    ur_, ug_, ub_ = f(U_R), f(U_G), f(U_B)
    vr_, vg_, vb_ = f(V_R), f(V_G), f(V_B)
    k = f((tr.shape[0] - 1) / 255.0)
    lo = f(0.0)
    hi = f(255.0)
    for r2 in range(h2):
        for c in range(w2):
            cb = f(u[r2, c]) - f(128.0)
            cr = f(v[r2, c]) - f(128.0)
            a = rv * cr
            b = gu * cb + gv * cr
            d = bu * cb
            dr[2 * c] = a
            dr[2 * c + 1] = a
            dg[2 * c] = b
            dg[2 * c + 1] = b
            db[2 * c] = d
            db[2 * c + 1] = d
            su[c] = 0.0
            sv[c] = 0.0
        for r in range(2 * r2, 2 * r2 + 2):
            yrow = y[r]
            o = oy[r]
            for j in range(w):
                yy = (f(yrow[j]) - f(16.0)) * ry
                rr = tr[np.uint32(min(max(yy + dr[j], lo), hi) * k + f(0.5))]
                gg = tg[np.uint32(min(max(yy + dg[j], lo), hi) * k + f(0.5))]
                bb = tb[np.uint32(min(max(yy + db[j], lo), hi) * k + f(0.5))]
                o[j] = u8(f(16.0) + yr_ * rr + yg_ * gg + yb_ * bb)
                pu[j] = ur_ * rr + ug_ * gg + ub_ * bb
                pv[j] = vr_ * rr + vg_ * gg + vb_ * bb
            for c in range(w2):
                su[c] += pu[2 * c] + pu[2 * c + 1]
                sv[c] += pv[2 * c] + pv[2 * c + 1]
        for c in range(w2):
            ou[r2, c] = u8(f(128.0) + su[c] * f(0.25))
            ov[r2, c] = u8(f(128.0) + sv[c] * f(0.25))
    return oy, ou, ov


class Curves(Effect):
    """Tone curves through control points: a master curve for all channels, then one per channel.

    Points are ``[[x, y], ...]`` with input ``x`` and output ``y`` in 0..1 (x
    increasing); a smooth monotone curve runs through them. Lift the first point's y
    for faded blacks, pull the middle down for a darker mood, give red and blue
    opposite S-shapes for a split tone.

    The curves are sampled into three small tables once per render; a frame is run
    through them in one pass on the YUV planes, without converting the frame.
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
    tolerance = 2  # float32 and tables sampled every quarter level

    def prepare(self, ctx: Any, static: dict[str, Any]) -> Any:
        x = np.linspace(0.0, 1.0, SAMPLES)
        return tuple(np.ascontiguousarray((_channel(static["master"], static[c], x) * 255.0).astype(np.float32)) for c in ("red", "green", "blue"))

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        if self.is_identity(p):  # identity curves: leave even out-of-gamut colours alone
            return frame
        y, u, v = _kernel(frame.y, frame.u, frame.v, *state)
        return Frame(y, u, v, frame.alpha)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        rgb = np.clip(ref_rgb_float(frame.y, frame.u, frame.v), 0.0, 255.0) / 255.0
        if self.is_identity(p):
            return frame
        out = np.stack([_channel(p["master"], p[c], rgb[..., k]) for k, c in enumerate(("red", "green", "blue"))], axis=-1)
        y, u, v = ref_apply_rgb_transform(frame, out * 255.0, 1.0)
        return Frame(y, u, v, frame.alpha)
