"""shake: seeded camera shake."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from clipkit.jit import njit

from clipkit.effects import Effect, Param
from clipkit.effects.kernels import warp_frame, warp_plane
from clipkit.frame import Frame

HARMONICS = (1.0, 2.13, 3.71)
WEIGHTS = (0.62, 0.28, 0.10)
REACH = 0.03  # largest offset at strength 1, as a share of the frame's short side


@njit(nogil=True, cache=True, fastmath=True)
def _kernel(y: np.ndarray, u: np.ndarray, v: np.ndarray, cy: tuple, cc: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # the edge repeats rather than showing black: a shaken camera never sees "outside"
    return warp_plane(y, cy, 16, True), warp_plane(u, cc, 128, True), warp_plane(v, cc, 128, True)


class Shake(Effect):
    """Handheld or impact camera shake: smooth seeded wobble in position and angle.

    The motion is a sum of a few sines with seeded phases, a function of the clip's
    own time, so the same seed shakes the same way on every render. The picture is
    zoomed a little so the moving edges stay inside the frame.
    """

    id = "shake"
    title = "Shake"
    category = "motion"
    params = (
        Param("strength", "float", 0.4, min=0.0, max=1.0, doc="Strength of the shake; 0 leaves the picture still", neutral=0.0, aliases=("amount",)),
        Param("frequency", "float", 6.0, min=0.2, max=30.0, unit="Hz", keyframable=False, doc="How fast it shakes"),
        Param("rotation", "float", 1.5, min=0.0, max=15.0, unit="deg", doc="Largest tilt at full amount"),
        Param("seed", "int", 0, min=0, max=2**31 - 1, keyframable=False, doc="Seed of the motion"),
    )
    example = {"strength": {"envelope": "beats", "from": 0.0, "to": 0.8, "decay": 0.15}, "frequency": 9.0}

    def prepare(self, ctx: Any, static: dict[str, Any]) -> Any:
        rng = np.random.default_rng((int(ctx.seed) * 1_000_003 + static["seed"]) & 0x7FFFFFFF)
        return rng.uniform(0.0, 2.0 * math.pi, size=(3, len(HARMONICS))), static["frequency"]

    def _matrix(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> np.ndarray:
        phases, freq = state
        t = time.local_t
        wave = [sum(w * math.sin(2 * math.pi * freq * f * t + ph) for w, f, ph in zip(WEIGHTS, HARMONICS, phases[k])) for k in range(3)]
        w, h = frame.width, frame.height
        reach = p["strength"] * REACH * min(w, h)
        dx, dy = wave[0] * reach, wave[1] * reach
        angle = math.radians(wave[2] * p["rotation"] * p["strength"])
        # a steady zoom (not following the wobble) that covers the largest offset and tilt
        tilt = math.radians(p["rotation"] * p["strength"])
        scale = 1.0 + 2.0 * p["strength"] * REACH + math.sin(tilt) * max(w, h) / min(w, h)
        c, s = math.cos(angle) / scale, math.sin(angle) / scale
        cx, cy = w / 2.0, h / 2.0
        # source = R(-angle) (out - centre - d) / scale + centre
        return np.array([[c, s, cx - c * (cx + dx) - s * (cy + dy)], [-s, c, cy + s * (cx + dx) - c * (cy + dy)]])

    def apply(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        return warp_frame(frame, self._matrix(frame, p, state, time), _kernel, reference=False, clamp=True)

    def reference(self, frame: Frame, p: dict[str, Any], state: Any, time: Any) -> Frame:
        return warp_frame(frame, self._matrix(frame, p, state, time), _kernel, reference=True, clamp=True)
