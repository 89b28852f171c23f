"""Every registered effect passes the shared conformance suite; every look behaves."""

from __future__ import annotations

import numpy as np
import pytest

import clipkit.effects as fx
from clipkit.testing import CHECKS, conformance_cases, frame_difference, run_check, sample_frames


@pytest.mark.parametrize("effect_id, check", conformance_cases())
def test_conformance(effect_id: str, check: str) -> None:
    run_check(effect_id, check)


def test_every_builtin_is_covered_and_nothing_failed_to_load() -> None:
    assert fx.plugin_errors() == []
    ids = set(fx.effect_ids())
    required = {
        "brightness", "contrast", "saturation", "exposure", "temperature", "hue_shift", "gamma", "curves",
        "black_white", "sepia", "duotone", "lut", "vignette", "grain", "sharpen", "blur", "pixelate",
        "posterize", "rgb_split", "glitch", "vhs", "mirror", "beauty", "zoom", "shake", "rotate",
        "flash", "fade", "chroma_key",
    }
    assert required <= ids
    assert {c for _, c in conformance_cases(["contrast"])} == set(CHECKS)


def test_the_before_scaling_check_catches_effects_that_do_not_commute_with_scaling(monkeypatch: pytest.MonkeyPatch) -> None:
    """Grain is made at the output's resolution, and a sharpen run on the source sharpens
    its pixels, not the scaled picture's: declared ``before_scaling`` each fails the check
    (the grain by its difference, the sharpen by the fine detail it leaves); the effects
    that declare it pass."""
    for effect_id, message in (("grain", r"plane y differs by"), ("sharpen", r"of the fine detail it leaves run after it")):
        monkeypatch.setattr(type(fx.get(effect_id)), "before_scaling", True)
        with pytest.raises(AssertionError, match=rf"{effect_id}: before_scaling: frame 0: run before a 2x upscale, .*{message}"):
            run_check(effect_id, "before_scaling")
    for effect_id in ("blur", "temperature", "saturation", "hue_shift", "duotone"):
        assert type(fx.get(effect_id)).before_scaling
        run_check(effect_id, "before_scaling")


@pytest.mark.parametrize("name", fx.look_names())
def test_look_intensity_zero_is_identity_and_one_changes_the_picture(name: str) -> None:
    frames = sample_frames(64, 48, count=2)
    zero = fx.run_frames(fx.look(name, strength=0.0), frames)
    for a, b in zip(frames, zero):
        assert frame_difference(a, b) == 0
    full = fx.run_frames(fx.look(name, strength=1.0), frames)
    half = fx.run_frames(fx.look(name, strength=0.5), frames)
    d_full = frame_difference(frames[0], full[0])
    d_half = frame_difference(frames[0], half[0])
    assert d_full >= 8, f"{name} barely changes the picture ({d_full} levels)"
    assert 0 < d_half <= d_full + 2


@pytest.mark.parametrize("name", fx.look_names())
def test_look_streams_like_a_batch_and_is_deterministic(name: str) -> None:
    frames = sample_frames(64, 48, count=3)
    a = fx.run_frames(fx.look(name), frames)
    b = fx.run_frames(fx.look(name), frames)
    assert all(frame_difference(x, y) == 0 for x, y in zip(a, b))
    for i, f in enumerate(frames):
        alone = fx.run_frames(fx.look(name), [f], start=i)[0]
        # a look's effects depend on the output index (grain) and clip time; run_frames
        # with start=i gives the same index, and these looks use no clip-time parameters
        assert frame_difference(alone, a[i]) == 0


def test_there_are_at_least_twelve_distinct_looks() -> None:
    names = fx.look_names()
    assert len(names) >= 12
    frames = sample_frames(64, 48, count=1)
    outs = {n: fx.run_frames(fx.look(n), frames)[0] for n in names}
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert frame_difference(outs[a], outs[b]) > 4, f"looks {a} and {b} look the same"


def test_looks_keep_frames_in_range() -> None:
    frames = sample_frames(64, 48, count=1)
    for name in fx.look_names():
        out = fx.run_frames(fx.look(name), frames)[0]
        for plane in (out.y, out.u, out.v):
            assert plane.dtype == np.uint8
