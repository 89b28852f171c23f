"""The overlay layers of a render, drawn in order, with resting overlapping layers merged.

Each layer places a sprite on the frame (:meth:`Layer.bind` gives ``draw.place``). When
consecutive layers overlap (a caption on a banner sticker, an emoji on a text box) and
none of them has moved since the previous frame, the run is composited once into one
premultiplied sprite over their union and that sprite is blended instead: one blend per
frame in place of one per layer, until something in the run moves, changes frame or
fades, when the layers are drawn one by one again (and merged again once they rest).

Luma comes out as drawing the layers one by one gives it, without the rounding between
layers; chroma is the 2x2 mean of the merged full-resolution layer, which is the exact
composite of the layers' own chroma (one by one, each layer's block mean is blended
separately, which differs by a level or two on soft overlapping edges).

Layers that do not overlap stay separate: merging distant layers would blend the empty
pixels between them (measured: five scattered 270-pixel layers cost more as one union).
"""

from __future__ import annotations

import math
import time as _time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..frame import Frame
from ..nodes import FrameTime
from .composite import Sprite, _blend_placed
from .layer import own_frame

__all__ = ["LayerStack"]

Placed = tuple[Sprite, int, int, float]  # a sprite at whole pixels (x, y) with an opacity


class LayerStack:
    """Draws a render's bound overlay layers onto its frames (see the module docstring).

    Parameters
    ----------
    layers : sequence of callables
        Bound layers in drawing order (``draw(frame, time) -> frame``); those with a
        ``place`` attribute may be merged, the others are always drawn on their own.
    names : sequence of str, optional
        Stage names of the layers, for ``profiler``.
    profiler : object with ``add(name, cpu_seconds, wall_seconds)``, optional
        Receives each layer's time under its name and the merged runs' under
        ``MERGED_STAGE``.
    """

    MERGED_STAGE = "overlays: merged resting layers"

    def __init__(self, layers: Sequence[Callable[[Frame, FrameTime], Frame]], *, names: Sequence[str] | None = None, profiler: Any = None) -> None:
        self.layers = list(layers)
        self.names = list(names) if names is not None else [f"overlay {k}" for k in range(len(self.layers))]
        self.profiler = profiler
        # runs seen on the previous frame, with their sprites held so that no new sprite can
        # take a held one's id (the key) before the next frame compares against it
        self._previous: dict[tuple, tuple[Sprite, ...]] = {}
        self._merged: dict[tuple, tuple[Sprite, int, int]] = {}
        self.merged_frames = 0  # frames where at least one merged run was drawn (for tests and benches)

    def __call__(self, frame: Frame, active: Sequence[tuple[int, FrameTime]]) -> Frame:
        """Draw the active layers (``(index into layers, layer time)``, in order) on ``frame``."""
        run: list[tuple[int, Placed]] = []
        box: tuple[int, int, int, int] | None = None
        seen: dict[tuple, tuple[Sprite, ...]] = {}
        merged_any = False
        for k, time in active:
            layer = self.layers[k]
            place = getattr(layer, "place", None)
            if place is None:
                frame, done = self._flush(frame, run, seen)
                merged_any |= done
                run, box = [], None
                frame = self._timed(self.names[k], layer, frame, time)
                continue
            placed = _whole_pixels(self._timed(self.names[k], place, time))
            if placed is not None and run and _overlaps(box, _box(placed)):
                run.append((k, placed))
                box = _union(box, _box(placed))
                continue
            frame, done = self._flush(frame, run, seen)
            merged_any |= done
            run, box = [], None
            if placed is not None:
                run, box = [(k, placed)], _box(placed)
            else:  # rotated, or drawn off the pixel grid: the layer draws itself
                frame = self._timed(self.names[k], layer, frame, time)
        frame, done = self._flush(frame, run, seen)
        merged_any |= done
        self.merged_frames += merged_any
        self._previous = seen
        for key in [key for key in self._merged if key not in seen]:
            del self._merged[key]
        return frame

    def _flush(self, frame: Frame, run: list[tuple[int, Placed]], seen: dict[tuple, tuple[Sprite, ...]]) -> tuple[Frame, bool]:
        if not run:
            return frame, False
        key = tuple((id(s), x, y, o) for _, (s, x, y, o) in run)
        if len(run) > 1:
            seen[key] = tuple(s for _, (s, _x, _y, _o) in run)
        if len(run) == 1 or key not in self._previous:  # alone, moving, or resting for its first frame
            for k, (sprite, x, y, opacity) in run:
                frame = self._timed(self.names[k], _draw_one, frame, sprite, x, y, opacity)
            return frame, False
        merged = self._merged.get(key)
        if merged is None:
            merged = self._merged[key] = self._timed(self.MERGED_STAGE, _merge, [placed for _, placed in run])
        sprite, x, y = merged
        return self._timed(self.MERGED_STAGE, _draw_one, frame, sprite, x, y, 1.0), True

    def _timed(self, name: str, fn: Callable[..., Any], *args: Any) -> Any:
        if self.profiler is None:
            return fn(*args)
        cpu, wall = _time.thread_time(), _time.perf_counter()
        try:
            return fn(*args)
        finally:
            self.profiler.add(name, _time.thread_time() - cpu, _time.perf_counter() - wall)


def _draw_one(frame: Frame, sprite: Sprite, x: int, y: int, opacity: float) -> Frame:
    if x >= frame.width or y >= frame.height or x + sprite.width <= 0 or y + sprite.height <= 0:
        return frame
    frame = own_frame(frame)
    _blend_placed(frame, sprite, x, y, min(1.0, float(opacity)))
    return frame


def _whole_pixels(placement: tuple[Sprite, np.ndarray, float] | None) -> Placed | None:
    """A placement the exact placed path draws (a translation or a rotation-free scaling), at whole pixels."""
    if placement is None:
        return None
    sprite, matrix, opacity = placement
    m = np.asarray(matrix, np.float64)
    if abs(m[0, 1]) > 1e-9 or abs(m[1, 0]) > 1e-9 or m[0, 0] <= 0 or m[1, 1] <= 0 or opacity <= 0.0:
        return None
    if abs(m[0, 0] - 1.0) > 1e-9 or abs(m[1, 1] - 1.0) > 1e-9:
        tw, th = int(round(sprite.width * m[0, 0])), int(round(sprite.height * m[1, 1]))
        if tw < 1 or th < 1:
            return None
        sprite = sprite.sized(tw, th)
    return sprite, int(math.floor(m[0, 2] + 0.5)), int(math.floor(m[1, 2] + 0.5)), min(1.0, float(opacity))


def _box(placed: Placed) -> tuple[int, int, int, int]:
    sprite, x, y, _ = placed
    return x, y, x + sprite.width, y + sprite.height


def _overlaps(a: tuple[int, int, int, int] | None, b: tuple[int, int, int, int]) -> bool:
    return a is not None and a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _union(a: tuple[int, int, int, int] | None, b: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    if a is None:
        return b
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def _merge(run: list[Placed]) -> tuple[Sprite, int, int]:
    """One premultiplied sprite of ``run`` composited in order over its union, and its place."""
    box = _box(run[0])
    for placed in run[1:]:
        box = _union(box, _box(placed))
    x0, y0, x1, y1 = box
    planes = [np.zeros((y1 - y0, x1 - x0), np.float32) for _ in range(4)]  # Y·a, U·a, V·a, a
    for sprite, x, y, opacity in run:
        window = (slice(y - y0, y - y0 + sprite.height), slice(x - x0, x - x0 + sprite.width))
        k = np.float32(opacity)
        alpha = sprite.a * k
        keep = np.float32(1.0) - alpha
        for plane, own in zip(planes[:3], (sprite.yp, sprite.up, sprite.vp)):
            plane[window] = own * k + plane[window] * keep
        planes[3][window] = alpha + planes[3][window] * keep
    return Sprite(*planes), x0, y0
