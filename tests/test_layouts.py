"""Layouts: which clip and which of its frames shows in each cell, borders, rounded
corners and keys, whose sound is heard, and the template key."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

import clipkit as ck
from clipkit import layouts
from clipkit.frame import Frame
from clipkit.layouts import Cell
from clipkit.template import load_template

import mediagen

SR = 48000
# portrait clips are 160x284 with their 80x80 index square at (40, 102)
SQUARE = (40, 102, 80, 80)


def _frames(clip: ck.Clip, width: int, height: int, *, stop: int | None = None) -> list[Frame]:
    return list(ck.sequence([clip], canvas=ck.Canvas(width, height, 30)).frames(stop=stop))


def _index_at(frame: Frame, dx: int, dy: int) -> int:
    x, y, w, h = SQUARE
    return mediagen.read_index_rect(frame.y, dx + x, dy + y, w, h)


def _yuv(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    f = Frame.solid(2, 2, rgb)
    return int(f.y[0, 0]), int(f.u[0, 0]), int(f.v[0, 0])


def test_duet_side_by_side_shows_both_clips_frame_for_frame(portrait: str, portrait_b: str) -> None:
    duet = layouts.duet(ck.open(portrait), ck.open(portrait_b))
    assert duet.duration == pytest.approx(3.0)  # the longer of 3 s and 2 s
    frames = _frames(duet, 320, 284, stop=20)
    for k in (0, 7, 19):
        assert _index_at(frames[k], 0, 0) == k
        assert _index_at(frames[k], 160, 0) == k
    # the halves are different clips (different colours)
    assert abs(int(frames[0].u[10, 10]) - int(frames[0].u[10, 90])) > 5 or abs(int(frames[0].v[10, 10]) - int(frames[0].v[10, 90])) > 5


def test_duet_top_bottom_with_a_late_partner_holds_its_first_frame(portrait: str, portrait_b: str) -> None:
    duet = layouts.duet(ck.open(portrait), ck.open(portrait_b), arrangement="top-bottom", offsets=(0, 0.5))
    frames = _frames(duet, 160, 568, stop=40)
    for k in (0, 10, 15, 30, 39):
        assert _index_at(frames[k], 0, 0) == k
        assert _index_at(frames[k], 0, 284) == max(0, k - 15)


def test_grid_places_clips_row_by_row_and_staggers_their_starts(portrait: str, portrait_b: str) -> None:
    a, b = ck.open(portrait), ck.open(portrait_b)
    grid = layouts.grid([a, b, b, a], offsets=[0, 0, 0, 0.5], background="black")
    assert grid.source.label == "grid 2x2"
    frames = _frames(grid, 320, 568, stop=30)
    k = 20
    assert _index_at(frames[k], 0, 0) == k and _index_at(frames[k], 160, 0) == k
    assert _index_at(frames[k], 0, 284) == k and _index_at(frames[k], 160, 284) == k - 15
    # before its start the last cell is empty (background), the others play
    before = frames[5]
    assert int(before.y[300:560, 170:310].max()) == 16 and int(before.y[300:560, 170:310].min()) == 16
    assert _index_at(before, 0, 284) == 5


def test_grid_shapes_and_custom_rects(portrait: str) -> None:
    a = ck.open(portrait).trim(0, 1)
    nine = layouts.grid([a] * 9)
    assert nine.source.label == "grid 3x3" and len(nine.source.cells) == 9
    frames = _frames(nine, 480, 852, stop=3)
    assert _index_at(frames[2], 320, 568) == 2  # bottom-right cell
    rects = layouts.grid_rects(2, 3, gap=0.02)
    assert len(rects) == 6 and rects[0][0] == pytest.approx(0.02) and rects[2][0] + rects[2][2] == pytest.approx(0.98)
    custom = layouts.grid([a, a], rects=[(0, 0, 1, 0.5), (0.5, 0.5, 0.5, 0.5)])
    out = _frames(custom, 320, 568, stop=1)[0]
    assert int(out.y[300:560, 10:150].max()) == 16  # the lower-left quarter is background


def test_gaps_show_the_background(portrait: str) -> None:
    a = ck.open(portrait).trim(0, 1)
    out = _frames(layouts.grid([a] * 4, gap=0.05, background="white"), 320, 568, stop=1)[0]
    assert int(out.y[:6].min()) >= 234 and int(out.y[:, 157:163].min()) >= 234


def test_pip_draws_a_bordered_rounded_inset(portrait: str, portrait_b: str) -> None:
    main, inset = ck.open(portrait), ck.open(portrait_b)
    square = layouts.pip(main, inset, position="top-right", size=0.5, margin=0.0, border=54, radius=0, border_color="white")
    rounded = layouts.pip(main, inset, position="top-right", size=0.5, margin=0.0, border=54, radius=200, border_color="white")
    assert square.duration == pytest.approx(3.0)
    sq = _frames(square, 160, 284, stop=1)[0]
    rd = _frames(rounded, 160, 284, stop=1)[0]
    main_frame = _frames(main, 160, 284, stop=1)[0]
    # the inset box is x 80..160, y 0..142; its border is 8 px (54 px at 1080)
    assert int(sq.y[0, 80]) >= 230 and int(sq.y[70, 82]) >= 230 and int(sq.y[140, 120]) >= 230
    assert abs(int(sq.y[70, 70]) - int(main_frame.y[70, 70])) <= 2  # outside: the main clip
    # rounded: the very corner shows the main clip, the edge middle is still border
    assert abs(int(rd.y[1, 158]) - int(main_frame.y[1, 158])) <= 3
    assert int(rd.y[70, 81]) >= 230
    # inside the border: the inset clip, not the main one
    assert abs(int(sq.u[35, 60]) - int(main_frame.u[35, 60])) > 5 or abs(int(sq.v[35, 60]) - int(main_frame.v[35, 60])) > 5


def _green_clip(path: str, *, frames: int = 6) -> str:
    """A subject (magenta square) in front of a chroma-green screen."""
    with av.open(path, "w") as out:
        vs = out.add_stream("libx264", rate=30)
        vs.width, vs.height, vs.pix_fmt = 160, 284, "yuv420p"
        vs.options = {"preset": "ultrafast", "crf": "12"}
        img = np.zeros((284, 160, 3), np.uint8)
        img[:] = (0, 177, 64)
        img[112:172, 50:110] = (200, 30, 200)
        for i in range(frames):
            f = av.VideoFrame.from_ndarray(img, format="rgb24")
            f.pts = i
            out.mux(vs.encode(f))
        out.mux(vs.encode(None))
    return path


@pytest.mark.parametrize("key", ["#00b140", "auto"])
def test_green_screen_keys_the_screen_out_and_keeps_the_subject(tmp_path, key: str) -> None:
    subject = ck.open(_green_clip(str(tmp_path / "green.mp4")))
    backdrop = ck.color("blue", duration=5)
    out = _frames(layouts.green_screen(subject, backdrop, key_color=key), 160, 284, stop=3)[2]
    original = _frames(subject, 160, 284, stop=3)[2]
    blue = _yuv((0, 0, 255))
    # the screen is gone: the backdrop shows there
    assert abs(int(out.y[20, 20]) - blue[0]) <= 4 and abs(int(out.u[10, 10]) - blue[1]) <= 4
    assert abs(int(out.y[270, 150]) - blue[0]) <= 4 and abs(int(out.v[130, 70]) - blue[2]) <= 4
    # the subject is kept as it was
    assert abs(int(out.y[142, 80]) - int(original.y[142, 80])) <= 3
    assert abs(int(out.u[71, 40]) - int(original.u[71, 40])) <= 3 and abs(int(out.v[71, 40]) - int(original.v[71, 40])) <= 3


def test_cells_sound_is_placed_at_their_start(portrait: str, portrait_b: str) -> None:
    a, b = ck.open(portrait), ck.open(portrait_b)
    both = layouts.duet(a, b, audio="both", offsets=(0, 0.5))
    segs = both.source.audio_segments(both, out_start=100, length=3 * SR, sr=SR, gain=0.5)
    assert sorted((s.path, s.out_start, s.length) for s in segs) == sorted(
        [(portrait, 100, 3 * SR), (portrait_b, 100 + SR // 2, 2 * SR)]
    )
    assert all(s.gain == 0.5 for s in segs)
    first = layouts.duet(a, b, audio="first")
    assert [s.path for s in first.source.audio_segments(first, out_start=0, length=SR, sr=SR, gain=1)] == [portrait]
    none = layouts.duet(a, b, audio="none")
    assert none.source.audio_segments(none, out_start=0, length=SR, sr=SR, gain=1) == []
    assert not none.source.has_audio
    picked = layouts.grid([a, b, a], audio=[1])
    assert [s.path for s in picked.source.audio_segments(picked, out_start=0, length=SR, sr=SR, gain=1)] == [portrait_b]
    # a trimmed layout starts its cells' sound part-way in
    trimmed = both.trim(1.0, 2.0)
    segs = trimmed.source.audio_segments(trimmed, out_start=0, length=SR, sr=SR, gain=1)
    starts = sorted((s.path, round(s.source_start, 3)) for s in segs)
    assert starts == sorted([(portrait, 1.0), (portrait_b, 0.5)])


def test_a_sped_up_layout_stretches_its_mixed_sound(portrait: str, portrait_b: str) -> None:
    duet = layouts.duet(ck.open(portrait), ck.open(portrait_b))
    fast = ck.Clip(source=duet.source, start=0.0, end=2.0, fit="stretch", speed=2.0)
    segs = fast.source.audio_segments(fast, out_start=0, length=SR, sr=SR, gain=1)
    assert len(segs) == 1 and segs[0].samples is not None and segs[0].samples.shape == (2, SR)
    spectrum = np.abs(np.fft.rfft(segs[0].samples[0, 4800:-4800]))
    peaks = sorted(np.argsort(spectrum)[-2:] * SR / (SR - 9600))
    assert peaks[0] == pytest.approx(440, abs=8) and peaks[1] == pytest.approx(660, abs=8)


def test_layouts_sequence_trim_and_render_with_sound(tmp_path, portrait: str, portrait_b: str) -> None:
    duet = layouts.duet(ck.open(portrait), ck.open(portrait_b)).trim(0.5, 1.5)
    assert _index_at(_frames(duet, 320, 284, stop=1)[0], 0, 0) == 15
    edit = ck.sequence([duet, ck.open(portrait).trim(0, 1)], canvas=ck.Canvas(320, 284, 30), transitions=ck.crossfade(0.2))
    result = edit.render(tmp_path / "duet.mp4", profile="preview")
    lumas, audio, sr = mediagen.decode_output(str(tmp_path / "duet.mp4"))
    assert result.frames == len(lumas) == 54
    spectrum = np.abs(np.fft.rfft(audio[0, int(0.1 * sr) : int(0.7 * sr)]))
    freqs = np.fft.rfftfreq(int(0.7 * sr) - int(0.1 * sr), 1 / sr)
    level = lambda hz: spectrum[np.abs(freqs - hz) < 10].max()  # noqa: E731
    assert level(440) > 20 * level(550) and level(660) > 20 * level(550)  # both tones heard


def test_cell_effects_run_inside_the_cell(portrait: str) -> None:
    class Darken:
        def bind(self, ctx):
            assert ctx.width == 160 and ctx.height == 284  # the cell's size, not the frame's
            return lambda frame, time: Frame(np.full_like(frame.y, 20), frame.u, frame.v)

    a = ck.open(portrait).trim(0, 1)
    duet = layouts.duet(a.with_effect(Darken()), a)
    out = _frames(duet, 320, 284, stop=1)[0]
    assert int(out.y[:, :160].max()) == 20 and int(out.y[:, 160:].max()) > 200


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda a: Cell(a, rect=(0.5, 0.5, 0.6, 0.2)), r"cell\.rect"),
        (lambda a: Cell(a, before="blink"), r"cell\.before"),
        (lambda a: layouts.grid([a] * 5, rows=2, cols=2), "do not fit a 2x2 grid"),
        (lambda a: layouts.grid([a, a], audio=[3]), "grid.audio"),
        (lambda a: layouts.duet(a, a, arrangement="diagonal"), "duet.arrangement"),
        (lambda a: layouts.duet(a, a, audio="left"), "duet.audio"),
        (lambda a: layouts.duet(a, a, offsets=(0,)), "duet.offsets"),
        (lambda a: layouts.pip(a, a, size=1.5), "pip.size"),
        (lambda a: layouts.pip(a, a, position="middle"), "pip.position"),
        (lambda a: layouts.green_screen(a, a, similarity=3), "similarity"),
        (lambda a: layouts.grid_rects(2, 2, gap=0.5), "grid.gap"),
        (lambda a: layouts.duet(a, "b.mp4"), "duet.second"),
    ],
)
def test_bad_layouts_are_refused_with_the_field(portrait: str, call, fragment: str) -> None:
    with pytest.raises(ck.ParameterError, match=fragment):
        call(ck.open(portrait))


def test_template_layout_key_builds_every_kind(portrait: str, portrait_b: str, landscape: str) -> None:
    doc = {
        "version": 1,
        "canvas": {"width": 160, "height": 284, "fps": 30},
        "slots": [{"id": "a"}, {"id": "b"}, {"id": "c", "optional": True}],
        "shots": [
            {"slot": "a", "duration": 1, "layout": {"type": "duet", "arrangement": "top-bottom", "with": [{"slot": "b", "at": 0.2}]}},
            {"slot": "a", "duration": 1, "layout": {"type": "grid", "gap": 0.01, "stagger": 0.25, "with": [{"slot": "b"}, {"slot": "c"}, {"color": "red"}]}},
            {"slot": "a", "duration": 1, "layout": {"type": "pip", "position": "bottom-left", "border": 6, "with": [{"slot": "b", "start": 0.5}]}},
            {"slot": "a", "duration": 1, "layout": {"type": "green_screen", "key_color": "#00b140", "with": [{"video": landscape}]}},
        ],
    }
    edit = load_template(doc, allowed_roots=(str(np.__file__).rsplit("/", 1)[0], landscape.rsplit("/", 1)[0])).build({"a": portrait, "b": portrait_b})
    labels = [c.source.label for c in edit.clips]
    assert labels == ["duet", "grid 2x2", "pip", "green screen"]
    grid = edit.clips[1].source
    assert [round(c.at, 2) for c in grid.cells] == [0.0, 0.25, 0.5]  # the empty optional slot is dropped
    assert len(list(edit.frames(stop=3))) == 3


def test_template_layout_errors_point_at_the_shot(portrait: str, portrait_b: str) -> None:
    base = {"version": 1, "slots": [{"id": "a"}, {"id": "b"}]}
    wrong_option = {**base, "shots": [{"slot": "a", "layout": {"type": "duet", "rows": 2, "with": [{"slot": "b"}]}}]}
    with pytest.raises(ck.TemplateError, match=r"shots\[0\]\.layout: rows: only grid layouts"):
        load_template(wrong_option).build({"a": portrait, "b": portrait_b})
    unknown_slot = {**base, "shots": [{"slot": "a", "layout": {"type": "pip", "with": [{"slot": "zz"}]}}]}
    with pytest.raises(ck.TemplateError, match=r"shots\[0\]\.layout\.with\[0\]\.slot: 'zz' is not a declared slot"):
        load_template(unknown_slot).build({"a": portrait, "b": portrait_b})
    bad_type = {**base, "shots": [{"slot": "a", "layout": {"type": "mosaic", "with": [{"slot": "b"}]}}]}
    with pytest.raises(ck.TemplateError, match=r"shots\[0\]\.layout\.type"):
        load_template(bad_type)
