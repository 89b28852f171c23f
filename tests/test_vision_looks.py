"""Looks and LUTs: log LUTs come out right with their input curve; every look reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import clipkit.effects as fx
from clipkit.effects.lut import TRANSFERS, _CURVES, identity_table, transfer_table, write_cube
from clipkit.errors import ParameterError
from clipkit.frame import Frame
from clipkit.nodes import FrameTime, RenderContext


def _run(node, frame: Frame) -> Frame:
    ctx = RenderContext(width=frame.width, height=frame.height, fps=30, scale=1.0, total_frames=1, seed=0)
    return node.bind(ctx)(frame.copy(), FrameTime(index=0, t=0.0, local_index=0, local_t=0.0, duration=1.0))


def _gradient() -> Frame:
    """Greys and colours from black to white (a rec709 picture)."""
    x = np.linspace(0, 255, 128)
    rgb = np.zeros((64, 128, 3), np.uint8)
    rgb[:32] = x[None, :, None]
    rgb[32:, :, 0] = x
    rgb[32:, :, 1] = x * 0.7
    rgb[32:, :, 2] = x * 0.4
    return Frame.from_rgb(rgb)


@pytest.fixture(scope="module")
def slog3_to_rec709(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A camera LUT: S-Log3 in, Rec.709 out (the curve only), as camera makers ship them."""
    grid = identity_table(33).astype(np.float64)
    decode, _ = _CURVES["slog3"]
    _, encode = _CURVES["rec709"]
    path = tmp_path_factory.mktemp("luts") / "slog3_to_709.cube"
    write_cube(path, np.clip(encode(decode(grid)), 0, 1), title="S-Log3 to Rec709")
    return path


def test_transfer_curves_round_trip_and_hit_their_published_grey() -> None:
    x = np.linspace(0.0, 1.0, 11)
    for name in TRANSFERS:
        decode, encode = _CURVES[name]
        assert np.allclose(decode(encode(x)), x, atol=1e-6), name
    # 18% grey code values published by the camera makers
    grey = {"slog3": 0.4106, "logc3": 0.3910, "vlog": 0.4233, "flog": 0.4593}
    for name, value in grey.items():
        assert float(_CURVES[name][1](np.array(0.18))) == pytest.approx(value, abs=2e-3), name
    assert np.array_equal(transfer_table("rec709", "rec709", size=9), np.linspace(0, 1, 9))
    with pytest.raises(ParameterError, match=r"lut.input: 'slog2' is not a transfer curve; use one of rec709"):
        transfer_table("rec709", "slog2")


def test_a_log_lut_with_its_input_curve_leaves_rec709_footage_as_it_was(slog3_to_rec709: Path) -> None:
    frame = _gradient()
    right = _run(fx.create("lut", file=str(slog3_to_rec709), input="slog3"), frame)
    wrong = _run(fx.create("lut", file=str(slog3_to_rec709)), frame)
    err_right = np.abs(right.y.astype(int) - frame.y).mean()
    err_wrong = np.abs(wrong.y.astype(int) - frame.y).mean()
    assert err_right < 2.0  # re-encoded to S-Log3 first: the LUT undoes exactly that
    assert err_wrong > 15.0  # fed rec709 as if it were log: crushed and over-contrasty
    assert wrong.y[:32].std() > frame.y[:32].std() * 1.15
    # footage shot in S-Log3 with that LUT needs no conversion (both curves the same)
    log_frame = _run(fx.create("lut", file=str(slog3_to_rec709), input="slog3", footage="slog3"), frame)
    assert np.array_equal(log_frame.y, wrong.y)


def test_lut_curve_options_are_checked_and_match_the_reference(slog3_to_rec709: Path) -> None:
    with pytest.raises(ParameterError, match=r"input.*'hlg'.*rec709"):
        fx.create("lut", file=str(slog3_to_rec709), input="hlg")
    frame = _gradient()
    node = fx.create("lut", file=str(slog3_to_rec709), input="slog3", footage="rec709")
    ctx = RenderContext(width=frame.width, height=frame.height, fps=30, scale=1.0, total_frames=1, seed=0)
    t = FrameTime(index=0, t=0.0, local_index=0, local_t=0.0, duration=1.0)
    fast = node.bind(ctx)(frame.copy(), t)
    ref = node.bind(ctx, reference=True)(frame.copy(), t)
    assert np.abs(fast.y.astype(int) - ref.y).max() <= 3
