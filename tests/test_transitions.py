"""Transitions: every kind starts on the outgoing shot and ends on the incoming one,
moves the way its name says, validates its options, and plugs into edits and templates."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import clipkit as ck
from clipkit import transitions as T
from clipkit.frame import Frame
from clipkit.nodes import FrameTime, RenderContext
from clipkit.render.plan import plan_edit
from clipkit.render.profiles import get_profile
from clipkit.template import load_template

import mediagen

W, H = 64, 96
CTX = RenderContext(W, H, Fraction(30), seed=3)
TIME = FrameTime(index=5, t=5 / 30, local_index=5, local_t=5 / 30, duration=1.0)


def _textured(seed: int) -> Frame:
    rng = np.random.default_rng(seed)
    return Frame(
        rng.integers(16, 236, (H, W), dtype=np.uint8),
        rng.integers(16, 241, (H // 2, W // 2), dtype=np.uint8),
        rng.integers(16, 241, (H // 2, W // 2), dtype=np.uint8),
    )


A = _textured(1)
B = _textured(2)


def _diff(x: Frame, y: Frame) -> float:
    return float(np.mean([np.abs(p.astype(np.int16) - q.astype(np.int16)).mean() for p, q in ((x.y, y.y), (x.u, y.u), (x.v, y.v))]))


@pytest.mark.parametrize("name", T.transition_names())
def test_starts_on_the_outgoing_and_ends_on_the_incoming_shot(name: str) -> None:
    bound = T.transition(name, 0.5).bind(CTX)
    start = bound(A, B, 0.0, TIME)
    end = bound(A, B, 1.0, TIME)
    middle = bound(A, B, 0.5, TIME)
    assert start.y.shape == (H, W) and start.u.shape == (H // 2, W // 2)
    assert _diff(start, A) < 1.0, name
    assert _diff(end, B) < 1.5, name
    # halfway, the picture is neither shot as it was
    assert _diff(middle, A) > 5 and _diff(middle, B) > 5, name


def test_crossfade_weights_follow_the_easing() -> None:
    black, white = Frame.solid(W, H, (0, 0, 0)), Frame.solid(W, H, (255, 255, 255))
    linear = T.crossfade(0.5).bind(CTX)(black, white, 0.5, TIME)
    eased = T.crossfade(0.5, easing="ease_in").bind(CTX)(black, white, 0.5, TIME)
    assert abs(int(linear.y[0, 0]) - (16 + 235) / 2) <= 1
    assert abs(int(eased.y[0, 0]) - (16 + 0.125 * (235 - 16))) <= 1
    assert T.ease("ease_out", 0.5) == pytest.approx(0.875)
    # hyphens are the house spelling (as in effect keyframes and overlay animations)
    assert T.ease("ease-out", 0.5) == T.ease("ease_out", 0.5)
    assert T.crossfade(0.5, easing="ease_in_out").easing == "ease-in-out"
    with pytest.raises(ck.ParameterError, match="easing: 'bouncy' is not an easing"):
        T.crossfade(0.5, easing="bouncy")
    assert T.ease("smooth", 0.25) == pytest.approx(0.15625)


@pytest.mark.parametrize(
    ("direction", "b_side"),
    [("right", "left"), ("left", "right"), ("down", "top"), ("up", "bottom")],
)
def test_wipes_uncover_the_new_shot_from_the_side_they_start(direction: str, b_side: str) -> None:
    out = T.Wipe(0.5, direction=direction, softness=0.0).bind(CTX)(A, B, 0.5, TIME)
    halves = {
        "left": (np.s_[:, : W // 2 - 2], np.s_[:, W // 2 + 2 :]),
        "right": (np.s_[:, W // 2 + 2 :], np.s_[:, : W // 2 - 2]),
        "top": (np.s_[: H // 2 - 2], np.s_[H // 2 + 2 :]),
        "bottom": (np.s_[H // 2 + 2 :], np.s_[: H // 2 - 2]),
    }
    b_part, a_part = halves[b_side]
    assert np.array_equal(out.y[b_part], B.y[b_part])
    assert np.array_equal(out.y[a_part], A.y[a_part])


def test_soft_wipe_blends_only_a_band_at_the_edge() -> None:
    out = T.Wipe(0.5, direction="right", softness=0.25).bind(CTX)(A, B, 0.5, TIME)
    assert np.array_equal(out.y[:, :8], B.y[:, :8])
    assert np.array_equal(out.y[:, -8:], A.y[:, -8:])
    band = out.y[:, W // 2].astype(int)
    assert not np.array_equal(band, A.y[:, W // 2]) and not np.array_equal(band, B.y[:, W // 2])


def test_push_moves_both_shots_and_slide_moves_only_the_new_one() -> None:
    push = T.Push(0.5, direction="left").bind(CTX)(A, B, 0.5, TIME)
    slide = T.Slide(0.5, direction="left").bind(CTX)(A, B, 0.5, TIME)
    half = W // 2
    assert np.array_equal(push.y[:, :half], A.y[:, half:])  # a pushed out to the left
    assert np.array_equal(push.y[:, half:], B.y[:, :half])  # b's left half enters on the right
    assert np.array_equal(slide.y[:, :half], A.y[:, :half])  # a stays still
    assert np.array_equal(slide.y[:, half:], B.y[:, :half])
    assert np.array_equal(push.u[:, : half // 2], A.u[:, half // 2 :])
    down = T.Push(0.5, direction="down").bind(CTX)(A, B, 0.5, TIME)
    assert np.array_equal(down.y[H // 2 :], A.y[: H // 2])
    assert np.array_equal(down.y[: H // 2], B.y[H // 2 :])


def test_whip_pan_blurs_along_the_pan_only() -> None:
    stripes = np.zeros((H, W), np.uint8) + 16
    stripes[:, ::4] = 235
    a = Frame(stripes, A.u, A.v)
    b = Frame(stripes.copy(), B.u, B.v)
    out = T.WhipPan(0.3, direction="left", blur=0.3).bind(CTX)(a, b, 0.5, TIME)
    # vertical stripes smear sideways (columns even out) but rows stay alike
    assert out.y.astype(float).std(axis=1).mean() < stripes.astype(float).std(axis=1).mean() * 0.5
    assert out.y.astype(float).std(axis=0).mean() < 2.0


def test_dip_passes_through_its_colour() -> None:
    mid = T.transition("dip_white", 0.5, hold=0.2).bind(CTX)(A, B, 0.5, TIME)
    assert int(mid.y.min()) >= 234 and abs(int(mid.u.mean()) - 128) <= 1
    black = T.transition("dip_black", 0.5).bind(CTX)(A, B, 0.5, TIME)
    assert int(black.y.max()) <= 17


def test_flash_peaks_bright_at_the_cut() -> None:
    bound = T.Flash(0.4).bind(CTX)
    levels = [float(bound(A, B, p, TIME).y.mean()) for p in (0.1, 0.3, 0.5, 0.7, 0.9)]
    assert levels[2] == max(levels) and levels[2] > 230


def test_zoom_in_magnifies_the_centre() -> None:
    # a centred bright square grows as the outgoing shot zooms in
    y = np.full((H, W), 16, np.uint8)
    y[H // 2 - 8 : H // 2 + 8, W // 2 - 8 : W // 2 + 8] = 235
    a = Frame(y, A.u, A.v)
    out = T.transition("zoom_in", 0.5, amount=1.0).bind(CTX)(a, B, 0.3, TIME)
    assert (out.y > 128).sum() > (y > 128).sum() * 1.4


def test_glitch_is_deterministic_per_seed_and_frame() -> None:
    g = T.Glitch(0.3)
    one = g.bind(CTX)(A, B, 0.45, TIME)
    two = g.bind(CTX)(A, B, 0.45, TIME)
    other = g.bind(RenderContext(W, H, Fraction(30), seed=99))(A, B, 0.45, TIME)
    assert np.array_equal(one.y, two.y) and np.array_equal(one.u, two.u)
    assert not np.array_equal(one.y, other.y)


def test_spin_turns_the_picture() -> None:
    out = T.Spin(0.5, turns=0.5, easing="linear").bind(CTX)(A, B, 0.25, TIME)
    assert _diff(out, A) > 20


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: T.transition("wipe_left", 0), "duration"),
        (lambda: T.transition("crossfade", 0.5, direction="left"), "unknown option 'direction'"),
        (lambda: T.transition("sparkle", 0.5), "'sparkle' is not a transition"),
        (lambda: T.transition("slide", 0.5, direction="sideways"), "slide.direction"),
        (lambda: T.transition("crossfade", 0.5, easing="bouncy"), "easing"),
        (lambda: T.transition("glitch", 0.5, strength=2), "glitch.strength"),
        (lambda: T.transition("dip", 0.5, color="nope"), "dip.color"),
    ],
)
def test_bad_options_name_the_field_and_the_value(call, fragment: str) -> None:
    with pytest.raises(ck.ParameterError, match=fragment):
        call()


def test_transition_from_spec_builds_cuts_and_kinds() -> None:
    assert T.transition_from_spec({"type": "cut"}) is None
    wipe = T.transition_from_spec({"type": "wipe_up", "duration": 0.25, "softness": 0.1, "easing": "smooth"})
    assert isinstance(wipe, T.Wipe) and wipe.direction == "up" and wipe.duration == 0.25 and wipe.easing == "smooth"


def test_an_edit_renders_the_overlap_through_the_transition(portrait: str, portrait_b: str) -> None:
    a = ck.open(portrait).trim(0, 1)
    b = ck.open(portrait_b).trim(0, 1)
    edit = ck.sequence([a, b], canvas=ck.Canvas(160, 284, 30), transitions=T.transition("push", 0.5, direction="up"))
    frames = list(edit.frames())
    assert len(frames) == 45  # 1 s + 1 s - 0.5 s overlap
    assert mediagen.read_index(frames[10].y) == 10  # before the overlap: the first clip
    assert mediagen.read_index(frames[44].y) == 29  # after it: the second clip, 0.5 s in
    mid = frames[22].y  # halfway through the push: a's lower half on top, b's upper half below
    assert not np.array_equal(mid, frames[14].y)


def test_centre_on_cuts_straddles_the_cut_and_keeps_later_shots_in_place(portrait: str, portrait_b: str) -> None:
    a = ck.open(portrait).trim(0, 1)
    b = ck.open(portrait_b).trim(0.5, 1.5)
    c = ck.open(portrait).trim(1.0, 2.0)
    hard = ck.sequence([a, b, c], canvas=ck.Canvas(160, 284, 30))
    soft = hard.with_transition(1, T.crossfade(0.4))
    centred = T.centre_on_cuts(soft)
    plan = plan_edit(centred, get_profile("tiktok"))
    cut = 30  # the hard cut between a and b, in frames
    assert plan.shots[1].start == cut - 6 and plan.shots[0].end == cut + 6
    assert plan.shots[2].start == plan_edit(hard, get_profile("tiktok")).shots[2].start
    # b shows at the cut the source moment it showed with the hard cut
    assert centred.shots[1].clip.start == pytest.approx(0.3)
    # a clip with no material before its start cannot shift: the overlap stays put
    flush = ck.sequence([a, ck.open(portrait_b).trim(0, 1)], canvas=ck.Canvas(160, 284, 30), transitions=T.crossfade(0.4))
    assert T.centre_on_cuts(flush).shots[1].clip.start == 0.0


def test_templates_take_every_transition_kind_and_check_options() -> None:
    base = {"version": 1, "shots": [{"color": "red", "duration": 1}, {"color": "blue", "duration": 1}]}
    for name in T.transition_names():
        doc = {**base, "shots": [base["shots"][0], {**base["shots"][1], "transition": {"type": name, "duration": 0.3}}]}
        edit = load_template(doc).build()
        assert edit.shots[1].transition is not None and edit.shots[1].transition.duration == 0.3
    bad = {**base, "shots": [base["shots"][0], {**base["shots"][1], "transition": {"type": "crossfade", "direction": "left"}}]}
    with pytest.raises(ck.TemplateError, match=r"shots\[1\]\.transition: .*unknown option 'direction'"):
        load_template(bad)
    unknown = {**base, "shots": [base["shots"][0], {**base["shots"][1], "transition": {"type": "sparkle"}}]}
    with pytest.raises(ck.TemplateError, match=r"shots\[1\]\.transition\.type"):
        load_template(unknown)
