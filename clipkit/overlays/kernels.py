"""numba kernels of overlay compositing: affine (warped) sprites, and frames with alpha.

Imported only when a render needs them (see :mod:`clipkit.overlays.composite`): text
and stickers at rest blend with numpy and load no numba.
"""

from __future__ import annotations

import math

import numpy as np
from clipkit.jit import njit

# Frames with their own alpha are rare (the executor flattens them before overlays) and
# take plain scalar loops.
@njit(nogil=True, cache=True)
def _rows_over_alpha(dst, dst_alpha, src_p, src_a, opacity, chroma):  # pragma: no cover - compiled
    """Porter-Duff over onto a destination with coverage (scalar; rare path)."""
    fh, fw = dst_alpha.shape
    for r in range(dst.shape[0]):
        for c in range(dst.shape[1]):
            a = src_a[r, c] * opacity
            if a <= 0.0:
                continue
            if chroma:
                d = 0.0
                n = 0
                for dy in range(2):
                    for dx in range(2):
                        yy = 2 * r + dy
                        xx = 2 * c + dx
                        if yy < fh and xx < fw:
                            d += dst_alpha[yy, xx]
                            n += 1
                d = d / (255.0 * max(n, 1))
            else:
                d = dst_alpha[r, c] / 255.0
            out_a = a + d * (1.0 - a)
            v = (src_p[r, c] * opacity + dst[r, c] * d * (1.0 - a)) / out_a + 0.5
            dst[r, c] = np.uint8(min(max(v, 0.0), 255.0))
            if not chroma:
                dst_alpha[r, c] = np.uint8(min(out_a * 255.0 + 0.5, 255.0))


@njit(nogil=True, cache=True, inline="always")
def _span(a: float, b: float, lo: float, hi: float, x0: int, x1: int) -> tuple[int, int]:
    """Integers X in [x0, x1) with lo <= a·(X + 0.5) + b <= hi."""
    if abs(a) < 1e-12:
        if lo <= b + 0.5 * a <= hi:
            return x0, x1
        return 0, 0
    t0 = (lo - b) / a - 0.5
    t1 = (hi - b) / a - 0.5
    if t0 > t1:
        t0, t1 = t1, t0
    s = max(x0, int(math.ceil(t0)))
    e = min(x1, int(math.floor(t1)) + 1)
    return s, e


@njit(nogil=True, cache=True)
def _warp_rows(dst, dst_alpha, has_alpha, pp, pa, inv, x0, y0, x1, y1, step, margin, opacity):  # pragma: no cover
    """Sample ``pp``/``pa`` (zero-padded by 2) through ``inv`` and blend into ``dst``.

    ``step`` is 1 for luma and 2 for chroma: destination sample (X, Y) sits at frame
    coordinate (step·X + step/2, step·Y + step/2), and a sprite coordinate s maps to
    plane index s/step - 0.5.
    """
    h = pa.shape[0] - 4
    w = pa.shape[1] - 4
    lim_x = w * step
    lim_y = h * step
    fstep = float(step)
    for Y in range(y0, y1):
        cy = fstep * (Y + 0.5)
        bx = inv[0, 1] * cy + inv[0, 2]
        by = inv[1, 1] * cy + inv[1, 2]
        # X range where the sample can touch the sprite
        s1, e1 = _span(inv[0, 0] * fstep, bx, -margin, lim_x + margin, x0, x1)
        s2, e2 = _span(inv[1, 0] * fstep, by, -margin, lim_y + margin, x0, x1)
        s = max(s1, s2)
        e = min(e1, e2)
        for X in range(s, e):
            cx = fstep * (X + 0.5)
            sx = (inv[0, 0] * cx + bx) / fstep - 0.5 + 2.0
            sy = (inv[1, 0] * cx + by) / fstep - 0.5 + 2.0
            ix = int(math.floor(sx))
            iy = int(math.floor(sy))
            if ix < 0 or iy < 0 or ix > w + 2 or iy > h + 2:
                continue
            fx = sx - ix
            fy = sy - iy
            w00 = (1.0 - fx) * (1.0 - fy)
            w01 = fx * (1.0 - fy)
            w10 = (1.0 - fx) * fy
            w11 = fx * fy
            a = (pa[iy, ix] * w00 + pa[iy, ix + 1] * w01 + pa[iy + 1, ix] * w10 + pa[iy + 1, ix + 1] * w11) * opacity
            if a <= 1e-6:
                continue
            p = (pp[iy, ix] * w00 + pp[iy, ix + 1] * w01 + pp[iy + 1, ix] * w10 + pp[iy + 1, ix + 1] * w11) * opacity
            if has_alpha:
                if step == 2:
                    d = 0.0
                    n = 0
                    for dy in range(2):
                        for dx in range(2):
                            yy = 2 * Y + dy
                            xx = 2 * X + dx
                            if yy < dst_alpha.shape[0] and xx < dst_alpha.shape[1]:
                                d += dst_alpha[yy, xx]
                                n += 1
                    d = d / (255.0 * max(n, 1))
                else:
                    d = dst_alpha[Y, X] / 255.0
                out_a = a + d * (1.0 - a)
                v = (p + dst[Y, X] * d * (1.0 - a)) / out_a + 0.5
                if step == 1:
                    dst_alpha[Y, X] = np.uint8(min(out_a * 255.0 + 0.5, 255.0))
            else:
                v = p + dst[Y, X] * (1.0 - a) + 0.5
            dst[Y, X] = np.uint8(min(max(v, 0.0), 255.0))


