"""Frame content and timing: the right source frame at the right output time, A/V in sync.

Source frames carry their index (a 4x4 bit grid), so reading the grid back from an
output frame tells which source frame it shows. Sync clips have a white frame and a
click at the same instant; the decoded output must keep them within one frame.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import clipkit as ck
from conftest import VFR_TIMESTAMPS
from mediagen import decode_output, onsets, read_index

SMALL = ck.Canvas(160, 284, 30)
TINY = ck.Canvas(64, 64, 30)
FRAME = 1 / 30


def indices(edit: ck.Edit, **kwargs: object) -> list[int]:
    return [read_index(f.y) for f in edit.frames(**kwargs)]  # type: ignore[arg-type]


def rendered_indices(edit: ck.Edit, path: Path) -> list[int]:
    edit.render(path, preset="ultrafast")
    lumas, _, _ = decode_output(str(path))
    return [read_index(y) for y in lumas]


def background_luma(path: str) -> float:
    """Luma of the background of a mediagen clip, read from its first frame."""
    return corner_luma(next(iter(ck.sequence([ck.open(path).trim(0, 0.1)], canvas=SMALL).frames())).y)


def corner_luma(y: np.ndarray) -> float:
    """Mean luma of the bottom-left corner (background only)."""
    return float(y[-12:, :12].mean())


# -- trims ------------------------------------------------------------------------------------
def test_trim_on_the_output_grid(portrait: str, out_dir: Path) -> None:
    edit = ck.sequence([ck.open(portrait).trim(0.5, 1.5)], canvas=SMALL)
    assert rendered_indices(edit, out_dir / "o.mp4") == list(range(15, 45))


@pytest.mark.parametrize(
    ("start", "end", "first", "count"),
    [
        (0.0, 0.5, 0, 15),
        (1.2, 2.5, 36, 39),  # starts after a seek (keyframes every 15 frames)
        (2.0, 3.0, 60, 30),  # starts exactly on a keyframe, runs to the very end
        (1.99, 2.51, 60, 16),  # sub-frame start/end snap to the nearest frame
        (2.9, 3.0, 87, 3),
    ],
)
def test_trim_variants(portrait: str, start: float, end: float, first: int, count: int) -> None:
    edit = ck.sequence([ck.open(portrait).trim(start, end)], canvas=SMALL)
    assert indices(edit) == list(range(first, first + count))


def test_trim_with_duration_and_nested_trim(portrait: str) -> None:
    clip = ck.open(portrait)
    assert indices(ck.sequence([clip.trim(0.3, duration=0.5)], canvas=SMALL)) == list(range(9, 24))
    nested = clip.trim(1.0).trim(0.5, 1.0)  # relative to the first trim: source 1.5 .. 2.0
    assert (nested.start, nested.end) == (1.5, 2.0)
    assert indices(ck.sequence([nested], canvas=SMALL)) == list(range(45, 60))


def test_frames_range(portrait: str) -> None:
    edit = ck.sequence([ck.open(portrait).trim(1.0, 2.0)], canvas=SMALL)
    assert indices(edit, start=10, stop=15) == list(range(40, 45))


# -- frame rates ----------------------------------------------------------------------------------
def test_60fps_source_in_30fps_edit(fps60: str, out_dir: Path) -> None:
    edit = ck.sequence([ck.open(fps60)], canvas=SMALL)
    got = rendered_indices(edit, out_dir / "o.mp4")
    assert len(got) == 60  # 2 s at 30 fps: real time, not slow motion
    assert got == list(range(0, 120, 2))


def test_60fps_source_trimmed(fps60: str) -> None:
    edit = ck.sequence([ck.open(fps60).trim(0.5, 1.0)], canvas=SMALL)
    assert indices(edit) == list(range(30, 60, 2))


def test_30fps_source_in_60fps_edit_duplicates(portrait: str) -> None:
    edit = ck.sequence([ck.open(portrait).trim(0, 0.5)], canvas=ck.Canvas(160, 284, 60))
    got = indices(edit)
    assert len(got) == 30
    assert got == [k // 2 for k in range(30)]


def test_ntsc_source_in_30fps_edit(ntsc: str) -> None:
    edit = ck.sequence([ck.open(ntsc)], canvas=SMALL)
    got = indices(edit)
    assert len(got) == 30  # 1.001 s rounds to 30 frames
    step = Fraction(1001, 30000)
    expected = [min(range(30), key=lambda j: (abs(j * step - Fraction(k, 30)), j)) for k in range(30)]
    assert got == expected


def test_vfr_keeps_duration_and_timing(vfr: str, out_dir: Path) -> None:
    info = ck.probe(vfr)
    assert info.video is not None and info.video.vfr
    assert info.video.duration == pytest.approx(1.4, abs=0.05)
    edit = ck.sequence([ck.open(vfr)], canvas=SMALL)
    got = rendered_indices(edit, out_dir / "o.mp4")
    assert abs(len(got) / 30 - 1.4) <= 2 * FRAME  # duration kept, not 40 frames at 30 fps
    # each output frame shows the source frame nearest its time
    for k, index in enumerate(got):
        t = k / 30
        best = min(abs(ts - t) for ts in VFR_TIMESTAMPS)
        assert abs(VFR_TIMESTAMPS[index] - t) <= best + 1e-6, (k, index)


def test_cfr_source_is_not_vfr(portrait: str) -> None:
    info = ck.probe(portrait)
    assert info.video is not None and not info.video.vfr
    assert info.video.fps == 30


# -- late starts ----------------------------------------------------------------------------------
def test_late_video_holds_first_frame_then_keeps_time(late_video: str) -> None:
    info = ck.probe(late_video)
    assert info.video is not None and info.video.start == pytest.approx(0.5, abs=1e-3)
    assert info.audio is not None and info.audio.start == pytest.approx(0.0, abs=0.03)
    edit = ck.sequence([ck.open(late_video)], canvas=SMALL)
    got = indices(edit)
    assert len(got) == 45  # 0.5 s lead + 1 s of video
    assert got[15:] == list(range(30))
    assert set(got[:15]) == {0}


def test_late_video_trim_is_in_file_time(late_video: str) -> None:
    edit = ck.sequence([ck.open(late_video).trim(1.0, 1.2)], canvas=SMALL)
    assert indices(edit) == list(range(15, 21))


# -- cuts and transitions ----------------------------------------------------------------------
def test_sequence_cut_points(portrait: str, portrait_b: str, out_dir: Path) -> None:
    a, b = ck.open(portrait), ck.open(portrait_b)
    edit = ck.sequence([a.trim(0, 1.0), b.trim(0.5, 1.0), a.trim(2.0, 2.4)], canvas=SMALL)
    edit.render(out_dir / "o.mp4", preset="ultrafast")
    lumas, _, _ = decode_output(str(out_dir / "o.mp4"))
    assert len(lumas) == 30 + 15 + 12
    got = [read_index(y) for y in lumas]
    assert got == list(range(0, 30)) + list(range(15, 30)) + list(range(60, 72))
    la, lb = background_luma(portrait), background_luma(portrait_b)
    assert abs(la - lb) > 40
    source = ["a" if abs(corner_luma(y) - la) < abs(corner_luma(y) - lb) else "b" for y in lumas]
    assert source == ["a"] * 30 + ["b"] * 15 + ["a"] * 12


def test_shots_of_one_file_continue_its_decoder_and_show_the_right_frames(
    portrait: str, portrait_b: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A montage cutting one file into shots: each shot that starts at or just after where
    the previous one left the decoder continues from it (no seek); going back in time or
    to another file opens again; every frame is the one the trims ask for, and no decoder
    is left open after the render."""
    import clipkit.media.video as video

    opened: list[str] = []
    real_open = video.open_container

    def spy_open(path: str, *args: object, **kwargs: object) -> object:
        opened.append(path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(video, "open_container", spy_open)
    trims = [(1.2, 1.5), (1.5, 1.8), (2.0, 2.2), (0.4, 0.6), (0.6, 0.9)]  # on, a gap, back, on
    shots = [ck.open(portrait).trim(a, b) for a, b in trims[:3]]
    shots += [ck.open(portrait_b).trim(0.2, 0.4)]  # another file in between
    shots += [ck.open(portrait).trim(a, b) for a, b in trims[3:]]
    got = indices(ck.sequence(shots, canvas=SMALL))
    expected: list[int] = []
    for a, b in trims[:3]:
        expected += list(range(round(a * 30), round(b * 30)))
    expected += list(range(6, 12))  # portrait_b's own frame numbers
    for a, b in trims[3:]:
        expected += list(range(round(a * 30), round(b * 30)))
    assert got == expected
    # opened: portrait (shots 1-3 on one decoder), portrait_b, portrait again (shots 5-6)
    assert [os.path.basename(p) for p in opened] == ["portrait.mp4", "portrait_b.mp4", "portrait.mp4"]
    assert getattr(video._waiting, "reader", None) is None  # the stream's end closed the last one


def test_fractional_shot_lengths_tile_the_timeline(portrait: str, portrait_b: str) -> None:
    a, b = ck.open(portrait), ck.open(portrait_b)
    durations = [0.35, 0.35, 0.35, 0.35]  # 10.5 frames each: cut points round, no gaps
    clips = [(a if i % 2 == 0 else b).trim(0, d) for i, d in enumerate(durations)]
    frames = list(ck.sequence(clips, canvas=SMALL).frames())
    assert len(frames) == round(sum(durations) * 30) == 42
    la, lb = background_luma(portrait), background_luma(portrait_b)
    assert abs(la - lb) > 40
    source = ["a" if abs(corner_luma(f.y) - la) < abs(corner_luma(f.y) - lb) else "b" for f in frames]
    cuts = [round(Fraction(7, 20) * k * 30) for k in range(1, 4)]  # 10 (10.5 rounds to even), 21, 32
    expected = []
    for i in range(42):
        shot = sum(1 for c in cuts if i >= c)
        expected.append("a" if shot % 2 == 0 else "b")
    assert source == expected
    # every shot starts at its clip's first frame
    for c in [0] + cuts:
        assert read_index(frames[c].y) == 0


def test_crossfade_overlap(portrait: str, portrait_b: str, out_dir: Path) -> None:
    a, b = ck.open(portrait).trim(0, 1.0), ck.open(portrait_b).trim(0, 1.0)
    edit = ck.sequence([a, b], canvas=SMALL, transitions=ck.crossfade(0.2))
    assert edit.duration == pytest.approx(1.8)
    edit.render(out_dir / "o.mp4", preset="ultrafast")
    lumas, audio, sr = decode_output(str(out_dir / "o.mp4"))
    assert len(lumas) == 54  # 30 + 30 - 6 overlapping frames
    got = [read_index(y) for y in lumas]
    assert got[:24] == list(range(24))
    assert got[30:] == list(range(6, 30))
    la, lb = background_luma(portrait), background_luma(portrait_b)
    assert abs(la - lb) > 40
    corners = [corner_luma(y) for y in lumas]
    assert all(abs(c - la) < 3 for c in corners[:24])
    assert all(abs(c - lb) < 3 for c in corners[30:])
    blend = corners[24:30]
    # six mixed frames, moving from a towards b
    assert all(min(la, lb) + 2 < c < max(la, lb) - 2 for c in blend[1:]), blend
    assert blend == sorted(blend, reverse=la > lb)
    # the sound crossfades too: 440 Hz (a) fades out while 660 Hz (b) fades in
    assert audio.shape[1] >= int(1.8 * sr) - 1024


def test_crossfade_audio_overlap(portrait: str, portrait_b: str) -> None:
    """The two clips' sounds overlap for exactly the transition's span."""
    from clipkit.render.plan import plan_edit

    a, b = ck.open(portrait).trim(0, 1.0), ck.open(portrait_b).trim(0, 1.0)
    edit = ck.sequence([a, b], canvas=SMALL, transitions=[ck.crossfade(0.2)])
    plan = plan_edit(edit, ck.get_profile("tiktok"))
    first, second = plan.segments
    assert second.out_start == round(0.8 * plan.sr)
    assert first.out_end == round(1.0 * plan.sr)
    assert first.fade_out == second.fade_in == round(0.2 * plan.sr)
    assert plan.total_samples == round(1.8 * plan.sr)


# -- A/V sync ------------------------------------------------------------------------------------
def flash_times(lumas: list[np.ndarray], fps: float = 30) -> list[float]:
    return [i / fps for i, y in enumerate(lumas) if float(y.mean()) > 180]


def assert_in_sync(path: Path, expected_flashes: list[float]) -> None:
    lumas, audio, sr = decode_output(str(path))
    flashes = flash_times(lumas)
    clicks = onsets(audio, sr, threshold=0.3 * float(np.abs(audio).max()))  # levels may be normalized
    assert flashes == pytest.approx(expected_flashes, abs=1e-6), flashes
    assert len(clicks) == len(flashes), (flashes, clicks)
    for f, c in zip(flashes, clicks):
        assert abs(f - c) <= FRAME, f"A/V offset {c - f:+.4f} s at {f:.3f} s"


@pytest.mark.parametrize("name", ["flash", "flash_44k", "flash_late_audio"])
def test_av_sync_whole_clip(name: str, request: pytest.FixtureRequest, out_dir: Path) -> None:
    path = request.getfixturevalue(name)
    out = out_dir / "o.mp4"
    ck.sequence([ck.open(path)], canvas=TINY).render(out, preset="ultrafast")
    assert_in_sync(out, [0.5, 1.5])


def test_av_sync_late_video(flash_late_video: str, out_dir: Path) -> None:
    out = out_dir / "o.mp4"
    ck.sequence([ck.open(flash_late_video)], canvas=TINY).render(out, preset="ultrafast")
    assert_in_sync(out, [1.0, 2.0])


def test_av_sync_trimmed(flash: str, flash_late_video: str, out_dir: Path) -> None:
    out = out_dir / "o.mp4"
    edit = ck.sequence([ck.open(flash).trim(0.3, 1.8), ck.open(flash_late_video).trim(0.8, 2.2)], canvas=TINY)
    edit.render(out, preset="ultrafast")
    # flashes at 0.5-0.3, 1.5-0.3, then 1.5 + (1.0-0.8), 1.5 + (2.0-0.8)
    assert_in_sync(out, [0.2, 1.2, 1.7, 2.7])


@pytest.mark.parametrize(("start", "end"), [(2.2, 3.9), (2.45, 4.95), (0.5, 1.0)])
def test_av_sync_after_a_seek(flash_long: str, out_dir: Path, start: float, end: float) -> None:
    """Trims far into a file with B-frames and late streams seek both decoders: still in sync."""
    info = ck.probe(flash_long)
    assert info.video is not None
    # flash times as clipkit counts them: from the file's start (its earliest stream)
    flashes = [info.video.start + k / 30 for k in (15, 75, 105, 140)]
    expected = [t - start for t in flashes if start <= t < end]
    out = out_dir / "o.mp4"
    ck.sequence([ck.open(flash_long).trim(start, end)], canvas=TINY).render(out, preset="ultrafast")
    lumas, audio, sr = decode_output(str(out))
    assert len(lumas) == round((end - start) * 30)
    seen = flash_times(lumas)
    assert len(seen) == len(expected)
    for got, want in zip(seen, expected):
        assert abs(got - want) <= FRAME / 2 + 1e-6, (seen, expected)
    clicks = onsets(audio, sr, threshold=0.3 * float(np.abs(audio).max()))
    assert len(clicks) == len(seen)
    for f, c in zip(seen, clicks):
        assert abs(f - c) <= FRAME, f"A/V offset {c - f:+.4f} s at {f:.3f} s"


def test_av_sync_over_a_longer_sequence(flash: str, flash_44k: str, flash_late_audio: str, out_dir: Path) -> None:
    """Ten flashes over 10 s from three kinds of source: no drift at the end."""
    out = out_dir / "o.mp4"
    clips = [ck.open(p) for p in (flash, flash_44k, flash_late_audio, flash, flash_44k)]
    ck.sequence(clips, canvas=TINY).render(out, preset="ultrafast")
    expected = [2.0 * k + t for k in range(5) for t in (0.5, 1.5)]
    assert_in_sync(out, expected)


# -- music ----------------------------------------------------------------------------------------
def test_music_offset_and_start(no_audio: str, song: str, out_dir: Path) -> None:
    out = out_dir / "o.mp4"
    edit = ck.sequence([ck.open(no_audio), ck.color("black", duration=1.0)], canvas=TINY)
    # the song clicks every 0.5 s from 0; skip 0.25 s of it and start it at 0.5 s
    edit = edit.with_music(ck.audio(song), start=0.25, at=0.5)
    edit.render(out, preset="ultrafast")
    _, audio, sr = decode_output(str(out))
    assert float(np.abs(audio[:, : int(0.45 * sr)]).max()) < 1e-3  # silence before `at`
    clicks = onsets(audio, sr, threshold=0.4 * float(np.abs(audio).max()))
    assert clicks == pytest.approx([0.75, 1.25, 1.75], abs=0.005)


def test_music_fade_out_ends_with_the_edit(no_audio: str, song: str, out_dir: Path) -> None:
    out = out_dir / "o.mp4"
    edit = ck.sequence([ck.open(no_audio), ck.color("black", duration=1.0)], canvas=TINY)
    edit = edit.with_music(ck.audio(song), fade_out=1.0)
    edit.render(out, preset="ultrafast")
    _, audio, sr = decode_output(str(out))
    assert audio.shape[1] >= 2 * sr - 2048
    # measure the song's hum between the clicks (at 0, 0.5, 1.0, 1.5 s): the mix may be
    # loudness-normalized and limited, so compare levels with the start, not values
    peak = lambda a, b: float(np.abs(audio[:, int(a * sr) : int(b * sr)]).max())  # noqa: E731
    full = peak(0.1, 0.45)
    assert full > 0.01
    assert peak(0.6, 0.95) > 0.9 * full  # the fade has not started
    assert peak(1.6, 1.9) < 0.45 * full  # gain 0.4 .. 0.1
    assert peak(1.95, 2.0) < 0.1 * full  # nearly silent at the end


def test_music_loop_and_span(song: str, out_dir: Path) -> None:
    """A 1 s span of the song (clicks at its 0 and 0.5 s), looped from 0.5 s of a 4 s edit."""
    out = out_dir / "o.mp4"
    edit = ck.sequence([ck.color("black", duration=4.0)], canvas=TINY)
    edit.with_music(ck.audio(song).trim(1.0, 2.0), at=0.5, loop=True).render(out, preset="ultrafast")
    _, audio, sr = decode_output(str(out))
    clicks = onsets(audio, sr, threshold=0.4 * float(np.abs(audio).max()))
    assert clicks == pytest.approx([0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5], abs=0.005)


def test_music_shorter_than_the_edit_stops(song: str, out_dir: Path) -> None:
    out = out_dir / "o.mp4"
    ck.sequence([ck.color("black", duration=4.0)], canvas=TINY).with_music(ck.audio(song)).render(out, preset="ultrafast")
    _, audio, sr = decode_output(str(out))
    assert audio.shape[1] >= 4 * sr - 1024  # the output lasts as long as the video
    assert float(np.abs(audio[:, : int(2.9 * sr)]).max()) > 0.1
    assert float(np.abs(audio[:, int(3.05 * sr) :]).max()) < 1e-3  # the song (3 s) has ended


# -- what nodes are told -------------------------------------------------------------------------------
class Recorder:
    """A node that records its context and every FrameTime it is called with."""

    def __init__(self) -> None:
        self.contexts: list[ck.RenderContext] = []
        self.times: list[ck.FrameTime] = []
        self.indices: list[int] = []

    def bind(self, ctx: ck.RenderContext):  # noqa: ANN201 - a bound node
        self.contexts.append(ctx)

        def apply(frame: ck.Frame, time: ck.FrameTime) -> ck.Frame:
            self.times.append(time)
            self.indices.append(read_index(frame.y))
            return frame

        return apply


def test_clip_edit_and_overlay_nodes_get_the_right_times(portrait: str, portrait_b: str, out_dir: Path) -> None:
    clip_fx, edit_fx, layer = Recorder(), Recorder(), Recorder()
    a = ck.open(portrait).trim(0, 0.5)
    b = ck.open(portrait_b).trim(1.0, 1.5).with_effect(clip_fx)
    edit = ck.sequence([a, b], canvas=SMALL).with_effect(edit_fx).with_overlay(layer, start=0.2, end=0.6)
    edit.render(out_dir / "o.mp4", preset="ultrafast")
    # bound once per render, with the render's facts
    for rec in (clip_fx, edit_fx, layer):
        assert len(rec.contexts) == 1
        ctx = rec.contexts[0]
        assert (ctx.width, ctx.height, ctx.fps, ctx.scale, ctx.total_frames) == (160, 284, 30, 1.0, 30)
    # the clip effect sees its own shot only, before composition, in its own time
    assert [t.index for t in clip_fx.times] == list(range(15, 30))
    assert [t.local_index for t in clip_fx.times] == list(range(15))
    assert clip_fx.times[3].local_t == pytest.approx(0.1)
    assert clip_fx.times[0].duration == pytest.approx(0.5)
    assert [t.source_t for t in clip_fx.times] == pytest.approx([1.0 + k / 30 for k in range(15)], abs=1e-3)
    assert clip_fx.indices == list(range(30, 45))
    # the edit effect sees every output frame
    assert [t.index for t in edit_fx.times] == list(range(30))
    assert edit_fx.times[12].t == pytest.approx(0.4)
    # the layer from 0.2 s to 0.6 s: frames 6..17, its local time from its start
    assert [t.index for t in layer.times] == list(range(6, 18))
    assert [t.local_index for t in layer.times] == list(range(12))
    assert layer.times[0].duration == pytest.approx(0.4)


def test_preview_context_scale(portrait: str, out_dir: Path) -> None:
    rec = Recorder()
    ck.sequence([ck.open(portrait).trim(0, 0.2)], canvas=SMALL).with_effect(rec).render(out_dir / "o.mp4", profile="preview")
    ctx = rec.contexts[0]
    assert (ctx.width, ctx.height) == (80, 142)
    assert ctx.scale == pytest.approx(0.5)


def test_node_may_return_a_frame_with_alpha(portrait: str, out_dir: Path) -> None:
    """A clip effect that makes the frame half transparent: the canvas background shows through."""

    class Fade:
        def bind(self, ctx: ck.RenderContext):  # noqa: ANN201
            def apply(frame: ck.Frame, time: ck.FrameTime) -> ck.Frame:
                out = frame.copy()
                out.alpha = np.zeros_like(out.y)
                return out

            return apply

    clip = ck.open(portrait).trim(0, 0.2).with_effect(Fade())
    canvas = ck.Canvas(160, 284, 30, background=(255, 255, 255))
    frames = list(ck.sequence([clip], canvas=canvas).frames())
    assert all(f.alpha is None and float(f.y.min()) >= 233 for f in frames)
