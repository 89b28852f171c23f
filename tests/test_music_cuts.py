"""The cut planner, song fitting and beat envelopes (pure functions, no decoding)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from clipkit.errors import ParameterError
from clipkit.music import analyze_signal, beat_envelope, fit_song, plan_cuts, snap_to_grid
from clipkit.music.synth import drum_track


@pytest.fixture(scope="module")
def song():
    """32 s at 120 BPM with a drop at 16 s (bars every 2 s from 0)."""
    track = drum_track(120.0, 32.0, pattern="rock", seed=1, drop=16.0, start=0.0)
    return analyze_signal(track.y, track.sr)


@pytest.fixture(scope="module")
def window(song):
    start = float(song.downbeats[2])  # about 6 s: the quiet part, then the drop at 16 s
    return song.window(start, start + 20.0)


def _on_grid(plan, times: np.ndarray) -> None:
    """Every cut is on the frame nearest one of ``times``."""
    for frame, t in zip(plan.cut_frames, plan.cut_times):
        assert frame == round(t * plan.fps)
        assert np.min(np.abs(times - t)) < 1e-9


def test_every_n_beats(window) -> None:
    plan = plan_cuts(window, duration=8.0, fps=30, mode="beats", every=2)
    assert plan.total_frames == 240
    assert plan.durations == pytest.approx([1.0] * 8, abs=0.04)
    _on_grid(plan, window.beats)
    assert plan.shots[0].start_frame == 0 and plan.shots[-1].end_frame == 240
    assert all(a.end_frame == b.start_frame for a, b in zip(plan.shots, plan.shots[1:]))


def test_every_bar_cuts_on_bar_lines(window) -> None:
    plan = plan_cuts(window, duration=12.0, fps=30, mode="bars")
    _on_grid(plan, window.downbeats)
    assert len(plan.shots) == 6
    two_bars = plan_cuts(window, duration=12.0, fps=30, mode="bars", every=2)
    assert len(two_bars.shots) == 3
    _on_grid(two_bars, window.downbeats)


def test_onsets_mode_cuts_on_strong_attacks(window) -> None:
    plan = plan_cuts(window, duration=8.0, fps=30, mode="onsets", min_shot=0.6)
    strong = window.onsets[window.onset_strengths >= 0.5]
    _on_grid(plan, np.concatenate([strong, window.beats]))
    assert min(plan.durations) >= 0.6 - 1e-9
    assert sum(np.min(np.abs(strong - t)) < 1e-9 for t in plan.cut_times) >= 0.8 * len(plan.cut_times)


def test_auto_cuts_faster_when_the_music_is_louder(song, window) -> None:
    plan = plan_cuts(window, duration=20.0, fps=30, mode="auto")
    _on_grid(plan, window.beats)
    drop = 16.0 - float(song.downbeats[2])  # output time of the drop
    starts = np.array([s.start for s in plan.shots])
    lengths = np.array(plan.durations)
    quiet = lengths[starts + lengths <= drop + 0.01]
    loud = lengths[starts >= drop + 2.0]
    assert quiet.size and loud.size
    assert quiet.mean() > 1.5 * loud.mean()
    assert all(0.5 - 1e-9 <= d <= 4.0 + 1e-9 for d in lengths)
    # cuts in the quiet part fall on bar lines
    quiet_cuts = [t for t in plan.cut_times if t < drop - 0.01]
    assert quiet_cuts and all(np.isclose(window.downbeats, t).any() for t in quiet_cuts)


def test_auto_respects_min_max_and_clip_lengths(window) -> None:
    plan = plan_cuts(window, duration=12.0, fps=30, mode="auto", min_shot=1.2, max_shot=2.0)
    assert all(1.2 - 1e-9 <= d <= 2.0 + 1e-9 for d in plan.durations)
    clips = plan_cuts(window, duration=12.0, fps=30, mode="auto", max_lengths=[1.6, 3.0])
    for shot in clips.shots:
        cap = [1.6, 3.0][shot.index % 2]
        assert shot.duration <= cap + 1e-9


def test_exact_shot_count(window) -> None:
    for count in (1, 3, 7):
        plan = plan_cuts(window, duration=12.0, fps=30, mode="auto", count=count)
        assert len(plan.shots) == count
        assert plan.total_frames == 360
        _on_grid(plan, window.beats)


def test_ntsc_rate_and_frame_rounding(window) -> None:
    fps = Fraction(30000, 1001)
    plan = plan_cuts(window, duration=6.0, fps=fps, mode="beats")
    assert plan.fps == fps
    for frame, t in zip(plan.cut_frames, plan.cut_times):
        assert frame == round(Fraction(t).limit_denominator(10**9) * fps)
        assert abs(frame / float(fps) - t) <= 0.5 / float(fps) + 1e-9


def test_no_beats_falls_back_to_a_steady_grid() -> None:
    silent = analyze_signal(np.zeros(22050 * 4, np.float32), 22050)
    plan = plan_cuts(silent, duration=6.0, fps=30, mode="beats", every=4)
    assert plan.durations == pytest.approx([2.0, 2.0, 2.0])
    assert plan_cuts(None, duration=4.0, fps=30, mode="bars").durations == pytest.approx([2.0, 2.0])


def test_infeasible_limits_fall_back_or_explain(window) -> None:
    # cuts on the beat cannot give 0.7 s clips: any frame is used as the last resort
    plan = plan_cuts(window, duration=2.1, fps=30, mode="beats", max_lengths=[0.7])
    assert plan.total_frames == 63 and all(s.frames <= 21 for s in plan.shots)
    with pytest.raises(ParameterError, match="no shot list fits"):
        plan_cuts(window, duration=10.0, fps=30, count=2, max_shot=2.0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"mode": "beat"},
        {"every": 0},
        {"count": 0},
        {"duration": -1.0},
        {"min_shot": 2.0, "max_shot": 1.0},
        {"fps": 0},
        {"max_lengths": []},
    ],
)
def test_bad_parameters(window, kwargs) -> None:
    args = {"duration": 8.0, **kwargs}
    with pytest.raises(ParameterError):
        plan_cuts(window, **args)


def test_snap_to_grid(window) -> None:
    bars = window.downbeats
    assert snap_to_grid(window, 15.2, on="bars") == pytest.approx(bars[np.argmin(np.abs(bars - 15.2))])
    assert snap_to_grid(window, 15.2, on="beats") == pytest.approx(15.0, abs=0.03)


def test_fit_song_starts_at_the_drop_and_ends_on_a_bar(song) -> None:
    fit = fit_song(song, 9.0)
    assert abs(fit.start - 16.0) < 0.1
    bar = 2.0
    assert fit.duration == pytest.approx(round(9.0 / bar) * bar, abs=0.05) or fit.duration == pytest.approx(8.0, abs=0.05)
    assert np.isclose(fit.analysis.downbeats, fit.duration, atol=1e-6).any()
    # not enough song after the drop: moved back by whole bars
    late = fit_song(song, 24.0)
    assert late.start + late.duration <= song.duration + 1e-6
    assert np.isclose(song.downbeats, late.start).any()
    given = fit_song(song, 6.0, start=3.0)
    assert given.start == pytest.approx(3.0)
    with pytest.raises(ParameterError):
        fit_song(song, 6.0, start=99.0)


def test_beat_envelopes(window) -> None:
    env = beat_envelope(window, on="beats", decay=0.1)
    b = float(window.beats[3])
    assert env(b) == pytest.approx(float(window.beat_strengths[3]))
    assert env(b + 0.25) < 0.2 * env(b)
    down = beat_envelope(window, on="downbeats", use_strengths=False)
    assert down(float(window.downbeats[1])) == pytest.approx(1.0)
    values = env(np.linspace(0, 10, 500))
    assert values.min() >= 0 and values.max() <= 1
    strong = beat_envelope(window, on="onsets", min_strength=0.9)
    assert strong.times.size < window.onsets.size
    with pytest.raises(ParameterError):
        beat_envelope(window, on="bars")
