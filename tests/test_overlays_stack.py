"""Overlay layers drawn in order, with resting overlapping runs merged into one blend."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from clipkit.frame import Frame
from clipkit.nodes import FrameTime
from clipkit.overlays.composite import Sprite, affine
from clipkit.overlays.stack import LayerStack


def _sprite(seed: int, size: int = 40) -> Sprite:
    """A sticker-like sprite: a soft-edged disc of smoothly varying colour."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    r = np.hypot(xx - size / 2, yy - size / 2) / (size / 2)
    a = np.clip((1.0 - r) * 4.0, 0.0, 1.0).astype(np.float32)  # opaque inside, a soft rim
    base = rng.uniform(40, 200, 3)
    planes = [np.float32(b) + np.float32(30.0) * np.sin(xx / 7 + k) * np.cos(yy / 9) for k, b in enumerate(base)]
    return Sprite(*(p * a for p in planes), a)


class _Layer:
    """A bound layer: a sprite at a position that may move with the frame index."""

    def __init__(self, sprite: Sprite, x: float, y: float, *, dx: float = 0.0, opacity: float = 1.0) -> None:
        self.sprite, self.x, self.y, self.dx, self.opacity = sprite, x, y, dx, opacity

    def place(self, time: FrameTime):  # noqa: ANN201
        matrix = affine(position=(self.x + self.dx * time.index, self.y), anchor=(0.0, 0.0), size=(self.sprite.width, self.sprite.height))
        return self.sprite, matrix, self.opacity

    def __call__(self, frame: Frame, time: FrameTime) -> Frame:
        sprite, matrix, opacity = self.place(time)
        out = frame.copy()
        sprite.draw(out, matrix, opacity=opacity)
        return out


def _frame() -> Frame:
    rng = np.random.default_rng(9)
    return Frame(rng.integers(16, 236, (120, 160), dtype=np.uint8), rng.integers(16, 240, (60, 80), dtype=np.uint8), rng.integers(16, 240, (60, 80), dtype=np.uint8))


def _one_by_one(layers: list[_Layer], frame: Frame, time: FrameTime) -> Frame:
    for layer in layers:
        frame = layer(frame, time)
    return frame


def _at(index: int) -> FrameTime:
    return FrameTime(index, index / 30, index, index / 30, 2.0)


def test_a_resting_overlapping_run_is_blended_once_with_the_same_picture() -> None:
    layers = [_Layer(_sprite(1), 20, 30), _Layer(_sprite(2), 41, 45, opacity=0.7), _Layer(_sprite(3), 50, 31)]
    stack = LayerStack(layers)
    for index in range(4):
        source = _frame()
        got = stack(source, [(k, _at(index)) for k in range(3)])
        want = _one_by_one(layers, source, _at(index))
        assert np.abs(got.y.astype(int) - want.y).max() <= 1  # no rounding between layers: within a level
        assert np.abs(got.u.astype(int) - want.u).max() <= 3 and np.abs(got.v.astype(int) - want.v).max() <= 3
        assert np.abs(got.u.astype(int) - want.u).mean() < 0.1
    assert stack.merged_frames == 3  # the first frame draws one by one, the next three merged


def test_moving_or_distant_layers_are_drawn_one_by_one() -> None:
    moving = [_Layer(_sprite(1), 20, 30, dx=1.0), _Layer(_sprite(2), 41, 45)]
    distant = [_Layer(_sprite(1), 0, 0), _Layer(_sprite(2), 100, 70)]
    for layers in (moving, distant):
        stack = LayerStack(layers)
        for index in range(3):
            source = _frame()
            got = stack(source, [(k, _at(index)) for k in range(2)])
            want = _one_by_one(layers, source, _at(index))
            assert np.array_equal(got.y, want.y) and np.array_equal(got.u, want.u)
        assert stack.merged_frames == 0


def test_a_run_that_moves_again_is_drawn_one_by_one_and_merges_once_it_rests(tmp_path: Path) -> None:
    top = _Layer(_sprite(2), 41, 45)
    layers = [_Layer(_sprite(1), 20, 30), top]
    stack = LayerStack(layers)
    merged = []
    for index in range(8):
        top.x = 41 + (3 if 3 <= index < 5 else 0)  # moves at frames 3 and 4 (and lands at 5)
        before = stack.merged_frames
        stack(_frame(), [(0, _at(index)), (1, _at(index))])
        merged.append(stack.merged_frames > before)
    assert merged == [False, True, True, False, True, False, True, True]


def test_a_profiled_stack_reports_each_layer_and_the_merged_runs() -> None:
    class Profiler:
        def __init__(self) -> None:
            self.rows: dict[str, int] = {}

        def add(self, name: str, cpu: float, wall: float) -> None:
            self.rows[name] = self.rows.get(name, 0) + 1

    profiler = Profiler()
    layers = [_Layer(_sprite(1), 20, 30), _Layer(_sprite(2), 41, 45)]
    stack = LayerStack(layers, names=["overlay 0 A", "overlay 1 B"], profiler=profiler)
    for index in range(3):
        stack(_frame(), [(0, _at(index)), (1, _at(index))])
    assert set(profiler.rows) == {"overlay 0 A", "overlay 1 B", LayerStack.MERGED_STAGE}
