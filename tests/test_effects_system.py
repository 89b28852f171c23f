"""The effect system: parameters over time, validation, intensity, chains, plugins, looks, templates, docs."""

from __future__ import annotations

import importlib.metadata
import inspect
import os
import sys
import textwrap
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import clipkit.effects as fx
from clipkit.effects import base
from clipkit.effects.params import EnvelopeValue, Keyframes, ease
from clipkit.errors import ParameterError, PluginError
from clipkit.jit import declared_kernels
from clipkit.frame import Frame
from clipkit.nodes import FrameTime, RenderContext
from clipkit.testing import check_effect, frame_difference, sample_frames

ROOT = Path(__file__).resolve().parent.parent


def _ctx(w: int = 64, h: int = 48, *, analysis: object = None, seed: int = 0) -> RenderContext:
    return RenderContext(width=w, height=h, fps=Fraction(30), seed=seed, analysis=lambda: analysis)


def _t(seconds: float, *, local: float | None = None) -> FrameTime:
    i = int(round(seconds * 30))
    lt = seconds if local is None else local
    return FrameTime(index=i, t=seconds, local_index=int(round(lt * 30)), local_t=lt, duration=10.0)


# -- parameters -----------------------------------------------------------------------------
def test_validation_messages_name_effect_parameter_value_and_range() -> None:
    with pytest.raises(ParameterError, match=r"^contrast\.amount: 3\.5 is above the maximum 2$"):
        fx.create("contrast", amount=3.5)
    with pytest.raises(ValueError, match=r"saturation\.amount: -1 is below the minimum 0"):
        fx.create("saturation", amount=-1)
    with pytest.raises(ParameterError, match=r"contrast: no parameter 'amont' \(did you mean 'amount'\?\)"):
        fx.create("contrast", amont=1.0)
    with pytest.raises(ParameterError, match=r"effect 'contrst' is not registered; did you mean contrast"):
        fx.create("contrst")
    with pytest.raises(ParameterError, match=r"mirror\.mode: 'sideways' is not one of none, left"):
        fx.create("mirror", mode="sideways")
    with pytest.raises(ParameterError, match=r"pixelate\.size: True is not a number"):
        fx.create("pixelate", size=True)
    with pytest.raises(ParameterError, match=r"grain\.seed: 1\.5 is not a whole number"):
        fx.create("grain", seed=1.5)
    with pytest.raises(ParameterError, match=r"grain\.size: this parameter is not keyframable"):
        fx.create("grain", size={"keyframes": [[0, 1.0], [1, 2.0]]})
    with pytest.raises(ParameterError, match=r"curves\.master\[1\]\.x: 0 is not after the previous point's x 0\.5"):
        fx.create("curves", master=[[0.5, 0.5], [0.0, 1.0]])


def test_keyframes_validate_each_key() -> None:
    with pytest.raises(ParameterError, match=r"contrast\.amount\.keyframes\[2\]\.value: 2\.5 is above the maximum 2"):
        fx.create("contrast", amount={"keyframes": [[0, 1.0], [1, 1.5], [2, 2.5]]})
    with pytest.raises(ParameterError, match=r"keyframes\[1\]\.t: 0\.5 is not after the previous key's 1"):
        fx.create("contrast", amount={"keyframes": [[1, 1.0], [0.5, 1.5]]})
    with pytest.raises(ParameterError, match=r"keyframes\[0\]\.ease: 'bouncy' is not one of linear"):
        fx.create("contrast", amount={"keyframes": [[0, 1.0, "bouncy"], [1, 1.5]]})
    with pytest.raises(ParameterError, match=r"keyframes\[0\]: .* needs t and value"):
        fx.create("contrast", amount={"keyframes": [{"time": 0, "value": 1.0}]})
    with pytest.raises(ParameterError, match=r"contrast\.amount\.envelope: 'beat' is not one of beats, downbeats, onsets"):
        fx.create("contrast", amount={"envelope": "beat"})
    with pytest.raises(ParameterError, match=r"contrast\.amount\.to: 9 is above the maximum 2"):
        fx.create("contrast", amount={"envelope": "beats", "to": 9})
    with pytest.raises(ParameterError, match=r"contrast\.amount: unknown field 'speed'"):
        fx.create("contrast", amount={"envelope": "beats", "speed": 2})


@pytest.mark.parametrize(
    "kind, x, expected",
    [
        ("linear", 0.25, 0.25),
        ("ease-in", 0.5, 0.125),
        ("ease-out", 0.5, 0.875),
        ("ease-in-out", 0.5, 0.5),
        ("ease-in-out", 0.25, 0.0625),  # the cubic pair of ease-in and ease-out
        ("ease-in-out", 0.75, 0.9375),
        ("smooth", 0.25, 0.15625),  # smoothstep
        ("hold", 0.9, 0.0),
    ],
)
def test_ease_curves(kind: str, x: float, expected: float) -> None:
    assert ease(kind, x) == pytest.approx(expected)


def test_an_easing_name_is_the_same_curve_for_keyframes_overlays_and_transitions() -> None:
    from clipkit.easing import CURVES
    from clipkit.overlays.animation import EASES as OVERLAY_EASES
    from clipkit.overlays.animation import ease as overlay_ease
    from clipkit.transitions import EASINGS
    from clipkit.transitions import ease as transition_ease

    xs = [0.0, 0.1, 0.25, 0.5, 0.6, 0.9, 1.0]
    shared = [n for n in fx.EASES if n != "hold"]  # a keyframe's hold keeps the value until the next key
    assert set(shared) <= set(OVERLAY_EASES) and set(EASINGS) <= set(CURVES)
    for name in shared:
        curve = [CURVES[name](x) for x in xs]
        assert [ease(name, x) for x in xs] == pytest.approx(curve)
        assert [overlay_ease(name, x) for x in xs] == pytest.approx(curve)
        if name in EASINGS:
            assert [transition_ease(name, x) for x in xs] == pytest.approx(curve)
        assert curve[0] == pytest.approx(0.0) and curve[-1] == pytest.approx(1.0)


def test_keyframes_interpolate_over_clip_time_with_eases() -> None:
    node = fx.create("contrast", amount={"keyframes": [[1.0, 1.0], [2.0, 1.5, "ease-in"], [3.0, 0.5, "hold"], [4.0, 2.0]]})
    bound = node.bind(_ctx())
    at = lambda s: bound.values(_t(s + 7.0, local=s))["amount"]  # noqa: E731 - output time differs from clip time
    assert at(0.0) == 1.0  # held before the first key
    assert at(1.5) == pytest.approx(1.25)  # linear half way
    assert at(2.5) == pytest.approx(1.5 + (0.5 - 1.5) * 0.125)  # ease-in: slow start
    assert at(3.5) == 0.5  # hold until the next key
    assert at(4.0) == 2.0
    assert at(9.0) == 2.0  # held after the last


def test_int_keyframes_round() -> None:
    node = fx.create("posterize", levels={"keyframes": [[0, 2], [1, 5]]})
    bound = node.bind(_ctx())
    assert bound.values(_t(0.5))["levels"] == 4  # 3.5 rounds to even? no: round half away is not Python's; 3.5 -> 4
    assert isinstance(bound.values(_t(0.5))["levels"], int)


def test_envelope_from_music_analysis_peaks_on_beats() -> None:
    analysis = SimpleNamespace(beats=np.array([1.0, 2.0]), beat_strengths=np.array([1.0, 0.5]), downbeats=np.array([1.0]),
                               onsets=np.array([1.5]), onset_strengths=np.array([1.0]), tempo=60.0)
    node = fx.create("zoom", scale={"envelope": "beats", "from": 1.0, "to": 1.2, "attack": 0.0, "decay": 0.1})
    bound = node.bind(_ctx(analysis=analysis))
    value = lambda s: bound.values(_t(s))["scale"]  # noqa: E731
    assert value(0.5) == pytest.approx(1.0)
    assert value(1.0) == pytest.approx(1.2)  # on a full-strength beat
    assert value(2.0) == pytest.approx(1.1)  # a half-strength beat
    assert 1.0 < value(1.1) < 1.2  # decaying
    down = fx.create("flash", strength={"envelope": "downbeats", "to": 0.8, "attack": 0.0}).bind(_ctx(analysis=analysis))
    assert down.values(_t(1.0))["strength"] == pytest.approx(0.8)
    assert down.values(_t(2.0))["strength"] < 0.01  # not a downbeat
    onsets = fx.create("flash", strength={"envelope": "onsets", "to": 0.5, "attack": 0.0}).bind(_ctx(analysis=analysis))
    assert onsets.values(_t(1.5))["strength"] == pytest.approx(0.5)


def test_envelope_without_music_rests_at_from_and_is_skipped() -> None:
    node = fx.create("zoom", scale={"envelope": "beats", "from": 1.0, "to": 1.2})
    frame = sample_frames(64, 48, count=1)[0]
    bound = node.bind(_ctx(analysis=None))
    assert bound(frame, _t(0.0)) is frame  # the neutral value costs nothing


def test_envelope_accepts_a_python_callable() -> None:
    node = fx.create("brightness", offset={"envelope": lambda t: min(1.0, t), "from": 0.0, "to": 0.5})
    bound = node.bind(_ctx())
    assert bound.values(_t(0.5))["offset"] == pytest.approx(0.25)
    assert isinstance(node.params()["offset"], dict)


def test_px_parameters_scale_with_the_frame() -> None:
    big = Frame.solid(256, 192, (0, 0, 0))
    rng = np.random.default_rng(0)
    big.y[:] = rng.integers(16, 235, big.y.shape)
    small = Frame(big.y[::2, ::2].copy(), big.u[::2, ::2].copy(), big.v[::2, ::2].copy())
    node = fx.create("pixelate", size=20 * 1080 / 192)  # 20 px blocks at 256x192 (short side 192)
    out_big = fx.run_frames(node, [big])[0]
    out_small = fx.run_frames(node, [small])[0]
    run = lambda row: np.bincount(np.diff(np.flatnonzero(np.diff(row.astype(int)) != 0))).argmax()  # noqa: E731 - commonest block width
    assert run(out_big.y[96]) == 20
    assert run(out_small.y[48]) == 10


# -- intensity ------------------------------------------------------------------------------
def test_intensity_moves_parameters_from_neutral() -> None:
    node = fx.create("contrast", amount=1.4)
    assert node.with_strength(0.5).params()["amount"] == pytest.approx(1.2)
    assert node.with_strength(0.0).params()["amount"] == pytest.approx(1.0)
    kf = fx.create("vignette", strength={"keyframes": [[0, 0.2], [1, 0.8]]}, midpoint=0.5).with_strength(0.5)
    assert kf.params()["strength"]["keyframes"][1][1] == pytest.approx(0.4)
    assert kf.params()["midpoint"] == 0.5  # no neutral: unchanged
    env = fx.create("zoom", scale={"envelope": "beats", "from": 1.0, "to": 1.2}).with_strength(0.5)
    assert env.params()["scale"]["to"] == pytest.approx(1.1)
    curve = fx.create("curves", master=[[0, 0.2], [1, 0.8]]).with_strength(0.5)
    assert curve.params()["master"] == [[0.0, 0.1], [1.0, 0.9]]
    mirror = fx.create("mirror", mode="quad")
    assert mirror.with_strength(0.0).params()["mode"] == "none"
    assert mirror.with_strength(0.3).params()["mode"] == "quad"


def test_look_intensity_is_validated() -> None:
    with pytest.raises(ParameterError, match=r"look\.strength: 1\.5 is outside 0\.\.1"):
        fx.look("vintage", strength=1.5)
    with pytest.raises(ParameterError, match=r"look: 'vintge' is not a look; did you mean vintage"):
        fx.look("vintge")


# -- chains and RGB conversion ---------------------------------------------------------------
def _count_conversions(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    calls = {"to": 0, "from": 0}
    real_to, real_from = base.to_rgb, base.from_rgb

    def to(frame: Frame) -> np.ndarray:
        calls["to"] += 1
        return real_to(frame)

    def frm(rgb: np.ndarray, alpha: np.ndarray | None = None) -> Frame:
        calls["from"] += 1
        return real_from(rgb, alpha)

    monkeypatch.setattr(base, "to_rgb", to)
    monkeypatch.setattr(base, "from_rgb", frm)
    return calls


def test_chain_converts_once_around_a_run_of_rgb_effects(monkeypatch: pytest.MonkeyPatch) -> None:
    frames = sample_frames(64, 48, count=1)
    a, b = fx.create("posterize", levels=5), fx.create("rgb_split", offset=60)
    separate = fx.run_frames(b, fx.run_frames(a, frames))[0]
    calls = _count_conversions(monkeypatch)
    chained = fx.run_frames(fx.chain(a, b), frames)[0]
    assert calls == {"to": 1, "from": 1}
    expected = base.from_rgb(fx.get("rgb_split").apply(fx.get("posterize").apply(base.to_rgb(frames[0]), {"levels": 5}, None, None), {"offset": 60 * 48 / 1080, "angle": 0.0}, None, None))
    assert frame_difference(chained, expected) == 0
    # the extra round trip of converting around each effect alone is lossy at hard edges
    assert np.abs(chained.y.astype(int) - separate.y).mean() < 1.5
    calls.update(to=0, **{"from": 0})
    fx.run_frames(fx.chain(a, fx.create("contrast", amount=1.2), b), frames)
    assert calls == {"to": 2, "from": 2}  # a YUV effect in between splits the run
    calls.update(to=0, **{"from": 0})
    fx.run_frames(fx.chain(fx.create("posterize", levels=256), fx.create("contrast", amount=1.2)), frames)
    assert calls == {"to": 0, "from": 0}  # a neutral RGB effect is skipped before converting


def test_bind_chain_merges_neighbouring_effects(monkeypatch: pytest.MonkeyPatch) -> None:
    class Other:
        def bind(self, ctx: RenderContext):  # noqa: ANN202
            return lambda frame, time: frame

    nodes = [fx.create("posterize", levels=4), fx.look("neon"), Other(), fx.create("contrast", amount=1.1)]
    bound = fx.bind_chain(nodes, _ctx())
    assert len(bound) == 3
    assert isinstance(bound[0], fx.BoundChain) and isinstance(bound[2], fx.BoundChain)
    calls = _count_conversions(monkeypatch)
    frame = sample_frames(64, 48, count=1)[0]
    for b in bound:
        frame = b(frame, _t(0))
    # posterize and the look's duotone..rgb_split: posterize | duotone saturation curves | rgb_split
    assert calls["to"] == 2


def _chain_matches_its_effects_one_by_one(chain: fx.Chain, frames: list[Frame], monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Run ``chain`` and its effects one by one; require identical frames; return the
    luma-table passes the chain made (one entry per ``lookup`` call)."""
    one_by_one = frames
    for node in chain.nodes:
        one_by_one = fx.run_frames(node, one_by_one)
    passes: list[int] = []
    real = base.lookup
    monkeypatch.setattr(base, "lookup", lambda plane, table: passes.append(1) or real(plane, table))
    together = fx.run_frames(chain, frames)
    for a, b in zip(together, one_by_one):
        assert frame_difference(a, b) == 0
    return passes


def test_neighbouring_luma_tables_merge_into_one_pass_with_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    frames = sample_frames(96, 64, count=3)
    keyed = {"keyframes": [[0.0, 0.8], [0.1, 1.4, "ease-in"]]}
    chain = fx.chain(
        fx.create("contrast", amount=keyed),
        fx.create("gamma", gamma=1.3),
        fx.create("saturation", amount=1.3),  # not a table: splits the run
        fx.create("brightness", offset=-0.05),
        fx.create("posterize", levels=5),  # RGB: the table before it is applied first
        fx.create("contrast", amount=1.1),
    )
    passes = _chain_matches_its_effects_one_by_one(chain, frames, monkeypatch)
    # merged passes per frame: contrast+gamma, then brightness (the last contrast runs on its
    # own: it follows an RGB effect, whose conversion back comes first)
    assert len(passes) == 3 * 2
    # the reference implementations never take the shortcut
    bound = base.BoundEffect(fx.create("contrast", amount=1.2), _ctx(), reference=True)
    assert bound.luma_table({"amount": 1.2}) is None
    assert base.BoundEffect(fx.create("contrast", amount=1.2), _ctx()).luma_table({"amount": 1.2}) is not None


@pytest.mark.parametrize("strength", [1.0, 0.6])
def test_luma_tables_after_a_colour_cube_fold_into_its_pass_with_the_same_result(monkeypatch: pytest.MonkeyPatch, strength: float) -> None:
    frames = sample_frames(96, 64, count=3)
    chain = fx.chain(
        fx.create("lut", file="teal_orange", strength=strength),
        fx.create("contrast", amount=1.08),
        fx.create("gamma", gamma=1.2),
        fx.create("sharpen", amount=0.3, sigma=1.2),  # not a table: the cube runs before it
        fx.create("sepia", strength=0.5),
        fx.create("brightness", offset=0.04),
    )
    passes = _chain_matches_its_effects_one_by_one(chain, frames, monkeypatch)
    assert passes == []  # every luma table rode on a cube's pass
    cube = base.BoundEffect(fx.create("lut", file="teal_orange"), _ctx())
    assert cube.colour_cube({**cube.values(_t(0.0))}) is not None
    assert base.BoundEffect(fx.create("lut", file="teal_orange"), _ctx(), reference=True).colour_cube(cube.values(_t(0.0))) is None


def test_identity_effects_pass_the_same_frame_through() -> None:
    frame = sample_frames(64, 48, count=1)[0]
    for node in (fx.create("contrast", amount=1.0), fx.look("vintage", strength=0.0), fx.create("posterize", levels=256)):
        assert fx.run_frames(node, [frame])[0] is frame


def test_strided_planes_are_handled() -> None:
    frame = sample_frames(64, 48, count=1)[0]
    wide = Frame.solid(80, 48)
    wide.y[:, :64] = frame.y
    wide.u[:, :32] = frame.u
    wide.v[:, :32] = frame.v
    view = Frame(wide.y[:, :64], wide.u[:, :32], wide.v[:, :32])
    assert not view.y.flags.c_contiguous
    for name in ("contrast", "vignette", "lut", "posterize"):
        node = fx.create(name, **fx.get(name).example)
        assert frame_difference(fx.run_frames(node, [view])[0], fx.run_frames(node, [frame])[0]) == 0


# -- specific effects behave as described ------------------------------------------------------
def test_chroma_key_makes_the_screen_transparent_and_keeps_the_subject() -> None:
    rgb = np.zeros((48, 64, 3), np.uint8)
    rgb[:] = (0, 177, 64)  # green screen
    rgb[12:36, 16:48] = (200, 120, 90)  # subject
    out = fx.run_frames(fx.create("chroma_key"), [Frame.from_rgb(rgb)])[0]
    assert out.alpha is not None
    assert out.alpha[2, 2] == 0 and out.alpha[24, 32] == 255
    spill = np.zeros((48, 64, 3), np.uint8)
    spill[:] = (150, 190, 130)  # skin with a green cast
    base_frame = Frame.from_rgb(spill)
    kept = fx.run_frames(fx.create("chroma_key", spill=0.0), [base_frame])[0]
    cleaned = fx.run_frames(fx.create("chroma_key", spill=1.0), [base_frame])[0]
    g_kept = kept.to_rgb()[24, 32].astype(int)
    g_clean = cleaned.to_rgb()[24, 32].astype(int)
    assert g_clean[1] - g_clean[0] < g_kept[1] - g_kept[0]  # less green relative to red


def test_grain_is_seeded_and_changes_every_frame() -> None:
    frames = [sample_frames(64, 48, count=1)[0]] * 2
    a = fx.run_frames(fx.create("grain", strength=1.0), frames)
    b = fx.run_frames(fx.create("grain", strength=1.0), frames)
    assert frame_difference(a[0], b[0]) == 0
    assert frame_difference(a[0], a[1]) > 0
    c = fx.run_frames(fx.create("grain", strength=1.0, seed=7), frames)
    assert frame_difference(a[0], c[0]) > 0


def test_grain_is_round_and_seamless() -> None:
    """Grain clumps are as tall as they are wide (no streaks), and no row of the frame is a seam."""
    flat = Frame.solid(540, 960, (128, 128, 128))
    out = fx.run_frames(fx.create("grain", strength=1.0, size=6.0), [flat])[0]
    n = out.y.astype(np.float64) - flat.y

    def corr(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])

    across, down = corr(n[:, :-1], n[:, 1:]), corr(n[:-1], n[1:])
    assert across > 0.6 and down > 0.6 and 0.8 < down / across < 1.25
    rows = np.array([corr(n[i], n[i + 1]) for i in range(n.shape[0] - 1)])
    assert rows.min() > 0.7 * down  # a row where the pattern jumps would correlate with nothing
    spread = n.std(axis=1)
    assert spread.min() > 0.6 * spread.max()  # every row equally grainy


def test_black_white_turns_a_colour_ramp_into_a_smooth_grey_ramp() -> None:
    """The luma change comes from chroma scaled up as it is shown (bilinear): a blue ramp
    becomes a grey ramp that climbs a little on every pixel, not in steps of 2x2 blocks."""
    w, h = 64, 16
    u = np.tile(np.clip(np.arange(w // 2) * 14 - 100, 16, 240).astype(np.uint8), (h // 2, 1))
    f = Frame(np.full((h, w), 128, np.uint8), u, np.full_like(u, 128))
    row = fx.run_frames(fx.create("black_white", strength=1.0, filter="blue"), [f])[0].y[8].astype(int)
    per_sample = (row.max() - row.min()) / 16  # the ramp climbs over 16 chroma samples
    assert row.max() - row.min() > 150
    assert np.abs(np.diff(row)).max() <= 0.6 * per_sample


def test_fade_reaches_the_colour_at_the_ends() -> None:
    frames = [Frame.solid(64, 48, (200, 200, 200))] * 30
    out = fx.run_frames(fx.create("fade", fade_in=0.3, fade_out=0.3, color="black"), frames)
    assert out[0].y.max() == 16 and out[-1].y.max() == 16
    assert out[15] is frames[15]
    assert out[3].y.mean() < out[8].y.mean()


def test_strobe_switches_on_and_off() -> None:
    frames = [Frame.solid(64, 48, (0, 0, 0))] * 30
    out = fx.run_frames(fx.create("flash", strength=1.0, frequency=5.0, duty=0.5), frames)
    lit = [int(f.y.mean() > 200) for f in out]
    assert lit[:6] == [1, 1, 1, 0, 0, 0]


def test_hue_shift_turns_red_toward_yellow() -> None:
    red = Frame.solid(64, 48, (220, 30, 30))
    out = fx.run_frames(fx.create("hue_shift", degrees=40), [red])[0].to_rgb()[20, 20].astype(int)
    # luma is kept, so red turns to a dark orange: green rises, blue stays lowest
    assert out[1] > 45 and out[0] > out[1] > out[2]
    back = fx.run_frames(fx.create("hue_shift", degrees=-40), [red])[0].to_rgb()[20, 20].astype(int)
    assert back[2] > 45 and back[0] > back[2] > back[1]  # the other way: toward magenta


# -- LUTs ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [17, 33, 65])
@pytest.mark.parametrize("interpolation", ["trilinear", "tetrahedral"])
def test_lut_reproduces_a_linear_transform_at_every_size(tmp_path: Path, size: int, interpolation: str) -> None:
    table = fx.lut.identity_table(size) * 0.6 + np.array([0.2, 0.1, 0.0], np.float32)
    path = tmp_path / f"lin{size}.cube"
    fx.write_cube(path, table, title="linear")
    lut = fx.read_cube(path)
    assert lut.size == size and lut.title == "linear"
    frame = sample_frames(64, 48, count=1)[0]
    out = fx.run_frames(fx.create("lut", file=str(path), interpolation=interpolation), [frame])[0]
    rgb = np.clip(fx.kernels.ref_rgb_float(frame.y, frame.u, frame.v), 0, 255)
    want = fx.kernels.ref_apply_rgb_transform(frame, rgb * 0.6 + np.array([0.2, 0.1, 0.0]) * 255, 1.0)
    for got, exp in zip((out.y, out.u, out.v), want):
        # the effect looks colours up in a cube with chroma in steps of 2
        assert np.abs(got.astype(int) - exp).max() <= fx.get("lut").tolerance
        assert np.abs(got.astype(int) - exp).mean() < 0.6


def test_lut_honours_the_domain(tmp_path: Path) -> None:
    path = tmp_path / "dom.cube"
    # the identity grid over a 0..2 domain: each colour maps to half its value
    fx.write_cube(path, fx.lut.identity_table(17), domain_max=(2.0, 2.0, 2.0))
    text = path.read_text()
    assert "DOMAIN_MAX 2 2 2" in text
    lut = fx.read_cube(path)
    np.testing.assert_allclose(lut.domain_max, [2, 2, 2])
    grey = Frame.solid(64, 48, (200, 200, 200))
    out = fx.run_frames(fx.create("lut", file=str(path)), [grey])[0].to_rgb()
    assert abs(int(out[10, 10, 0]) - 100) <= 2


def test_lut_reader_rejects_malformed_files(tmp_path: Path) -> None:
    cases = {
        "nosize.cube": ("0 0 0\n1 1 1\n", r"no LUT_3D_SIZE"),
        "short.cube": ("LUT_3D_SIZE 2\n0 0 0\n1 1 1\n", r"2 colour rows for LUT_3D_SIZE 2; expected 8"),
        "oned.cube": ("LUT_1D_SIZE 4\n", r"line 1: a 1D LUT"),
        "text.cube": ("LUT_3D_SIZE 2\n0 0 zero\n", r"line 2: '0 0 zero' is not 3 numbers"),
        "big.cube": ("LUT_3D_SIZE 300\n", r"LUT_3D_SIZE 300 is outside 2\.\.256"),
        "domain.cube": ("LUT_3D_SIZE 2\nDOMAIN_MIN 1 0 0\nDOMAIN_MAX 0 1 1\n" + "0 0 0\n" * 8, r"DOMAIN_MAX .* must be above DOMAIN_MIN"),
    }
    for name, (text, message) in cases.items():
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(ParameterError, match=message):
            fx.read_cube(path)
        with pytest.raises(ParameterError, match=message):
            fx.create("lut", file=str(path))  # fails when built, not mid-render
    with pytest.raises(ParameterError, match=r"lut\.file: 'nothing_here' is neither a \.cube file nor a bundled LUT; bundled: bleach_bypass"):
        fx.create("lut", file="nothing_here")


def test_lut_reader_takes_comments_titles_and_resolve_range(tmp_path: Path) -> None:
    path = tmp_path / "resolve.cube"
    rows = "\n".join("%g %g %g" % (r, g, b) for b in (0, 1) for g in (0, 1) for r in (0, 1))
    path.write_text(f'# made by hand\nTITLE "hand"\nLUT_3D_INPUT_RANGE 0 1\nLUT_3D_SIZE 2\n{rows}\n')
    lut = fx.read_cube(path)
    assert lut.title == "hand"
    np.testing.assert_allclose(lut.table, fx.lut.identity_table(2))


def test_bundled_luts_come_from_the_script(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "presets" / "luts"))
    try:
        import make_luts
    finally:
        sys.path.pop(0)
    assert set(make_luts.LUTS) == set(fx.bundled_luts())
    for name, (fn, size) in make_luts.LUTS.items():
        table = np.clip(fn(fx.lut.identity_table(size).astype(np.float64)), 0.0, 1.0)
        fx.write_cube(tmp_path / f"{name}.cube", table, title=f"clipkit {name.replace('_', ' ')} (generated by make_luts.py)", decimals=4)
        assert (tmp_path / f"{name}.cube").read_text() == (ROOT / "presets" / "luts" / f"{name}.cube").read_text()


# -- plugins ------------------------------------------------------------------------------------
GOOD_PLUGIN = '''
"""A plugin effect: invert luma."""
import numpy as np
from numba import njit
from clipkit.effects import Effect, Param
from clipkit.frame import Frame


@njit(nogil=True, cache=True)
def _kernel(y, amount):
    out = np.empty_like(y)
    for i in range(y.shape[0]):
        for j in range(y.shape[1]):
            v = y[i, j] + amount * (251.0 - 2.0 * y[i, j])
            out[i, j] = np.uint8(min(max(v + 0.5, 0.0), 255.0))
    return out


class Invert(Effect):
    """Invert the picture's luma."""
    id = "test_invert"
    title = "Invert"
    category = "look"
    params = (Param("amount", "float", 1.0, min=0.0, max=1.0, doc="How far to invert", neutral=0.0),)
    example = {"amount": 1.0}

    def apply(self, frame, p, state, time):
        return Frame(_kernel(frame.y, p["amount"]), frame.u, frame.v, frame.alpha)

    def reference(self, frame, p, state, time):
        y = frame.y.astype(np.float64)
        return Frame(np.clip(np.floor(y + p["amount"] * (251 - 2 * y) + 0.5), 0, 255).astype(np.uint8), frame.u, frame.v, frame.alpha)
'''


@pytest.fixture()
def plugin_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    folder = tmp_path / "fx"
    folder.mkdir()
    (folder / "test_invert.py").write_text(GOOD_PLUGIN)
    (folder / "broken_syntax.py").write_text("def oops(:\n")
    (folder / "broken_import.py").write_text("import clipkit_no_such_module\n")
    (folder / "bad_declaration.py").write_text(GOOD_PLUGIN.replace('"test_invert"', '"bad_decl"').replace("max=1.0", "max=-1.0"))
    (folder / "duplicate.py").write_text(GOOD_PLUGIN.replace('"test_invert"', '"contrast"'))
    (folder / "nothing.py").write_text("X = 1\n")
    (folder / "_private.py").write_text("raise RuntimeError('never imported')\n")
    looks = folder / "looks"
    looks.mkdir()
    (looks / "inverted.yaml").write_text("description: Inverted and warm.\neffects:\n  - {id: test_invert, amount: 1.0}\n  - {id: temperature, temperature: 0.4}\n")
    monkeypatch.setenv("CLIPKIT_EFFECTS_PATH", os.pathsep.join([str(folder), str(tmp_path / "missing")]))
    fx.reload()
    yield folder
    monkeypatch.delenv("CLIPKIT_EFFECTS_PATH")
    fx.reload()


def test_effect_folder_plugins_load_and_broken_ones_are_reported_by_name(plugin_folder: Path) -> None:
    assert "test_invert" in fx.effect_ids()
    assert fx.source_of("test_invert").endswith("test_invert.py")
    failures = {f.name: f for f in fx.plugin_errors()}
    assert set(failures) == {"broken_syntax", "broken_import", "bad_decl", "contrast", "nothing", str(plugin_folder.parent / "missing")}
    assert "SyntaxError" in failures["broken_syntax"].message
    assert "clipkit_no_such_module" in failures["broken_import"].message
    assert "min < max" in failures["bad_decl"].message
    assert "already registered by builtin" in failures["contrast"].message
    assert "defines no Effect" in failures["nothing"].message
    assert fx.source_of("contrast") == "builtin"  # the built-in survives
    assert len([e for e in fx.effect_ids()]) >= 30
    with pytest.raises(ParameterError, match="bad_decl.* failed to load: .*min < max"):
        fx.create("bad_decl")
    results = check_effect("test_invert")
    assert all(v is None for v in results.values()), results
    out = fx.run_frames(fx.look("inverted"), sample_frames(64, 48, count=1))[0]
    assert out.y.mean() > 0


def test_entry_point_plugins_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real installed distribution (a .dist-info on sys.path) declaring entry points."""
    pkg = tmp_path / "ck_plugin_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "invert.py").write_text(GOOD_PLUGIN.replace('"test_invert"', '"ep_invert"'))
    info = tmp_path / "ck_plugin_pkg-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: ck-plugin-pkg\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[clipkit.effects]\n"
        "invert = ck_plugin_pkg.invert\n"
        "gone = ck_plugin_pkg.missing_module\n"
        "odd = ck_plugin_pkg.invert:np\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    try:
        fx.reload()
        assert "ep_invert" in fx.effect_ids()
        assert fx.source_of("ep_invert").startswith("entry point invert")
        names = {f.name for f in fx.plugin_errors()}
        assert names == {"gone", "odd"}
        assert fx.run_frames(fx.create("ep_invert"), sample_frames(64, 48, count=1))[0].y.mean() > 0
    finally:
        monkeypatch.undo()
        importlib.invalidate_caches()
        fx.reload()
    assert "ep_invert" not in fx.effect_ids()


BROKEN = '''
import numpy as np
from clipkit.effects import Effect, Param
from clipkit.frame import Frame
COUNTER = [0]

class Sloppy(Effect):
    """An effect that breaks every rule."""
    id = "test_sloppy"
    category = "look"
    params = (Param("amount", "float", 0.5, min=0.0, max=1.0, doc="strength", neutral=0.0),)

    def apply(self, frame, p, state, time):
        COUNTER[0] += 1
        y = frame.y
        y += np.uint8(COUNTER[0] % 7)              # writes into the input, drifts per call
        return Frame(y, frame.u, frame.v, None)    # drops alpha

    def reference(self, frame, p, state, time):
        return Frame(frame.y + np.uint8(9), frame.u, frame.v, frame.alpha)
'''


def test_the_conformance_suite_catches_a_bad_effect(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "test_sloppy.py").write_text(BROKEN)
    monkeypatch.setenv("CLIPKIT_EFFECTS_PATH", str(tmp_path))
    try:
        fx.reload()
        results = check_effect("test_sloppy")
        for name in ("kernel_vs_reference", "neutral_is_identity", "preserves_format", "streaming_equals_batch", "deterministic", "input_untouched"):
            assert results[name] is not None, name
        assert results["rejects_out_of_range"] is None
    finally:
        monkeypatch.delenv("CLIPKIT_EFFECTS_PATH")
        fx.reload()


def test_register_rejects_bad_declarations() -> None:
    class NoDoc(fx.Effect):
        id = "nodoc_effect"
        params = (fx.Param("amount", "float", 0.0, min=0, max=1, doc="x", neutral=0.0),)

        def apply(self, *a):  # noqa: ANN002, ANN202
            return a[0]

        def reference(self, *a):  # noqa: ANN002, ANN202
            return a[0]

    with pytest.raises(PluginError, match="nodoc_effect.*docstring"):
        fx.register(NoDoc)
    NoDoc.__doc__ = "Does nothing."
    NoDoc.params = (fx.Param("amount", "float", 2.0, min=0, max=1, doc="x", neutral=0.0),)
    with pytest.raises(PluginError, match=r"nodoc_effect\.amount: 2 is above the maximum 1"):
        fx.register(NoDoc)
    NoDoc.params = (fx.Param("amount", "float", 0.5, min=0, max=1, doc="x"),)
    with pytest.raises(PluginError, match="needs a neutral value"):
        fx.register(NoDoc)

    class KernelOnly(fx.Effect):
        """Has a kernel but no reference."""

        id = "kernel_only"

        def apply(self, *a):  # noqa: ANN002, ANN202
            return a[0]

    with pytest.raises(PluginError, match=r"kernel_only: defines no reference\(\)"):
        fx.register(KernelOnly)
    assert "kernel_only" not in fx.effect_ids()


# -- builtin layout and docs ------------------------------------------------------------------
def test_each_builtin_file_is_named_after_its_effect_and_has_kernel_and_reference() -> None:
    import clipkit.builtin_effects as pkg

    files = sorted(p.stem for p in Path(pkg.__path__[0]).glob("*.py") if not p.stem.startswith("_"))
    builtin = sorted(e for e in fx.effect_ids() if fx.source_of(e) == "builtin")
    assert files == builtin
    for name in files:
        module = sys.modules[f"clipkit.builtin_effects.{name}"]
        # the fast path is numba kernels or OpenCV; every numba kernel is declared through
        # clipkit.jit (numba loads only when one runs), nogil, cached and single-threaded
        assert "from numba import" not in inspect.getsource(module), f"{name}: declare kernels with clipkit.jit.njit"
        for k in declared_kernels(module.__name__):
            assert k.options.get("nogil") and k.options.get("cache"), f"{name}.{k.__name__} must be nogil and cached"
            assert not k.options.get("parallel"), f"{name}.{k.__name__}: kernels are single-threaded (x264 owns the cores)"
        effect = fx.get(name)
        assert "reference" in type(effect).__dict__ and "apply" in type(effect).__dict__
        assert "print(" not in inspect.getsource(module)


def test_reference_page_is_up_to_date() -> None:
    from clipkit.effects.docs import effects_markdown

    committed = (ROOT / "docs" / "effects.md").read_text(encoding="utf-8")
    assert committed == effects_markdown(), "regenerate with: python -m clipkit.effects.docs -o docs/effects.md"
    for e in fx.effect_ids():
        assert f"`{e}`" in committed


def test_large_blurs_take_the_box_path_and_match_the_reference() -> None:
    frame = sample_frames(256, 192, count=1)[0]
    node = fx.create("blur", sigma=90.0)  # 16 px at this size: three box blurs
    fast = fx.run_frames(node, [frame])[0]
    slow = fx.run_frames(node, [frame], reference=True)[0]
    assert frame_difference(fast, slow) == 0
    detail = lambda plane: np.abs(np.diff(plane.astype(int), axis=1)).mean()  # noqa: E731
    assert detail(fast.y) < detail(frame.y) * 0.2


# -- one vocabulary: old names work for a release, with a warning ---------------------------
@pytest.mark.parametrize(
    ("effect", "old", "new", "value"),
    [("grain", "amount", "strength", 0.3), ("brightness", "amount", "offset", 0.1), ("sharpen", "radius", "sigma", 2.0), ("vignette", "radius", "midpoint", 0.6)],
)
def test_old_parameter_names_are_aliases_that_warn(effect: str, old: str, new: str, value: float) -> None:
    from clipkit.errors import ClipkitDeprecationWarning

    with pytest.warns(ClipkitDeprecationWarning, match=rf"{effect}: '{old}' is deprecated; use '{new}'"):
        legacy = fx.create(effect, **{old: value})
    assert legacy == fx.create(effect, **{new: value})
    with pytest.raises(ParameterError, match="not both"):
        fx.create(effect, **{old: value, new: value})


def test_look_intensity_is_the_old_name_of_strength() -> None:
    from clipkit.errors import ClipkitDeprecationWarning

    with pytest.warns(ClipkitDeprecationWarning, match="'intensity' is deprecated; use 'strength'"):
        legacy = fx.look("vintage", intensity=0.4)
    assert legacy == fx.look("vintage", strength=0.4)


def test_template_validate_reports_deprecated_names(tmp_path, capsys) -> None:
    import yaml

    from clipkit.cli.main import main

    doc = {
        "version": 1,
        "slots": [{"id": "a", "optional": True}],
        "shots": [{"color": "red", "duration": 1, "effects": [{"id": "grain", "amount": 0.2}]}],
        "look": {"name": "vivid", "intensity": 0.5},
    }
    path = tmp_path / "old.yaml"
    path.write_text(yaml.safe_dump(doc))
    assert main(["template", "validate", str(path)]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert f"clipkit: warning: {path}: shots[0].effects[0]: 'amount' is deprecated; use 'strength' (see docs/glossary.md)" in err
    assert f"clipkit: warning: {path}: look: 'intensity' is deprecated; use 'strength' (see docs/glossary.md)" in err


def test_a_chain_head_of_fixed_colour_maps_is_static() -> None:
    """A still's look is graded once when its head is static (see Fitter): no animated
    values, only per-pixel maps; a keyframed value or a positional effect makes it not."""
    ctx = _ctx()
    head, tail = fx.chain(fx.create("contrast", amount=1.2), fx.create("saturation", amount=1.1), fx.create("sharpen", amount=0.5)).bind(ctx).split_point_ops()
    assert head is not None and head.is_static() and tail is not None and not tail.is_static()
    animated, _ = fx.chain(fx.create("contrast", amount={"keyframes": [[0, 1.0], [1, 1.5]]})).bind(ctx).split_point_ops()
    assert animated is not None and not animated.is_static()
