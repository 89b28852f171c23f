"""Audio finishing: ducking, loudness normalization, true-peak limiting, in the mixer."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import clipkit as ck
from clipkit.audio.mix import Mixer, Segment
from clipkit.errors import ParameterError
from clipkit.media.audio import load_audio
from clipkit.audio.finishing import (
    Ducker,
    DuckingSettings,
    LoudnessMeter,
    LoudnessNormalizer,
    LoudnessSettings,
    TruePeakMeter,
    install_finishing,
    integrated_loudness,
    plan_gains,
    true_peak,
    with_ducking,
    with_loudness,
)
from clipkit.music.synth import drum_track, write_audio

import mediagen

SR = 48000


def _tone(seconds: float, hz: float, amp: float, sr: int = SR) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    x = (amp * np.sin(2 * np.pi * hz * t)).astype(np.float32)
    return np.stack([x, x])


# -- meters ------------------------------------------------------------------------------
def test_loudness_meter_matches_pyloudnorm_in_any_block_size() -> None:
    import pyloudnorm

    rng = np.random.default_rng(1)
    y = np.concatenate([_tone(3, 440, 0.3), 0.05 * rng.standard_normal((2, SR * 2)).astype(np.float32), _tone(2, 90, 0.02)], axis=1)
    reference = pyloudnorm.Meter(SR).integrated_loudness(y.T.astype(np.float64))
    assert integrated_loudness(y, SR) == pytest.approx(reference, abs=0.05)
    meter = LoudnessMeter(sr=SR)
    for a in range(0, y.shape[1], 7001):
        meter.add(y[:, a : a + 7001])
    assert meter.integrated() == pytest.approx(reference, abs=0.05)
    assert integrated_loudness(np.zeros((2, SR)), SR) == -math.inf


@pytest.mark.parametrize("sr", [8000, 22050, 44100, 48000, 96000])
def test_k_weighting_is_pyloudnorms_filter_applied_exactly(sr: int) -> None:
    import pyloudnorm
    from scipy.signal import sosfilt

    from clipkit.audio.finishing import _k_impulse, _k_weighting

    sos = _k_weighting(sr)
    filters = pyloudnorm.Meter(sr)._filters
    for row, name in zip(sos, ("high_shelf", "high_pass")):
        np.testing.assert_allclose(row[:3], np.asarray(filters[name].b) * filters[name].passband_gain, atol=1e-12)
        np.testing.assert_allclose(row[3:], filters[name].a, atol=1e-12)
    x = np.random.default_rng(sr).standard_normal((2, sr * 2))
    reference = sosfilt(sos, x, axis=1)
    h = _k_impulse(sr)
    ours = np.stack([np.convolve(c, h)[: x.shape[1]] for c in x])
    np.testing.assert_allclose(ours, reference, atol=1e-9)


def test_oversampling_matches_scipys_design_and_upfirdn() -> None:
    from scipy.signal import firwin, upfirdn

    from clipkit.audio.finishing import _oversampling_filter, _upsample4

    h = _oversampling_filter()
    np.testing.assert_allclose(h, firwin(48, 0.25, window=("kaiser", 5.0)) * 4, atol=1e-6)
    x = np.random.default_rng(3).standard_normal((2, 1001)).astype(np.float32)
    np.testing.assert_allclose(_upsample4(h, x), upfirdn(h, x, up=4, axis=1), atol=1e-5)


def test_a_render_with_loudness_normalization_does_not_load_scipy(tmp_path: Path) -> None:
    import subprocess
    import sys

    song = tmp_path / "song.wav"
    track = drum_track(120.0, 3.0, seed=1)
    write_audio(str(song), track.y, track.sr)
    code = (
        "import sys, clipkit as ck\n"
        f"edit = ck.sequence([ck.color('#101010', duration=1.0)], canvas=ck.Canvas(64, 64, 10)).with_music(ck.audio({str(song)!r}))\n"
        f"edit.render({str(tmp_path / 'out.mp4')!r}, profile='preview')\n"
        "print(sorted(m for m in ('scipy', 'scipy.signal', 'pyloudnorm', 'librosa') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
    assert integrated_loudness(load_audio(str(tmp_path / "out.mp4"), sr=SR)[0], SR) == pytest.approx(-14.0, abs=1.0)


def test_true_peak_sees_intersample_peaks_and_streams_identically() -> None:
    t = np.arange(SR) / SR
    x = (0.9 * np.sin(2 * np.pi * SR / 4 * t + math.pi / 4)).astype(np.float32)[None, :]  # samples at 0.636
    assert 20 * math.log10(float(np.abs(x).max())) < -3.5
    assert true_peak(x, SR) == pytest.approx(20 * math.log10(0.9), abs=0.3)
    whole = TruePeakMeter(sr=SR)
    whole.add(x)
    streamed = TruePeakMeter(sr=SR)
    for a in range(0, x.shape[1], 333):
        streamed.add(x[:, a : a + 333])
    np.testing.assert_allclose(streamed.finish(), whole.finish(), atol=1e-6)


# -- ducking -----------------------------------------------------------------------------
def _duck_run(block: int, settings: DuckingSettings) -> np.ndarray:
    n = SR * 3
    music = np.ones((2, n), np.float32) * 0.5
    voice = np.zeros((2, n), np.float32)
    voice[:, SR : 2 * SR] = _tone(1, 300, 0.3)
    ducker = Ducker(settings, sr=SR)
    out = []
    for a in range(0, n, block):
        buses = {"music": music[:, a : a + block].copy(), "voice": voice[:, a : a + block].copy()}
        ducker(buses, a)
        out.append(buses["music"])
    return np.concatenate(out, axis=1)[0] / 0.5  # the music's gain


def test_ducking_dips_music_under_the_voice_with_attack_hold_and_release() -> None:
    settings = DuckingSettings(depth=-12.0, attack=0.04, release=0.2, hold=0.2)
    gain = _duck_run(4800, settings)
    depth = 10 ** (-12 / 20)
    assert gain[: SR - 10] == pytest.approx(1.0)  # untouched before the voice
    assert gain[SR + int(0.25 * SR)] == pytest.approx(depth, abs=0.01)  # fully ducked after ~6 attack constants
    assert gain[SR + int(0.01 * SR)] > depth + 0.1  # not instantly: an attack
    assert gain[2 * SR + int(0.15 * SR)] == pytest.approx(depth, abs=0.02)  # held after the voice stops
    assert depth + 0.05 < gain[2 * SR + int(0.5 * SR)] < 0.99  # releasing
    assert gain[-1] == pytest.approx(1.0, abs=0.02)
    assert np.max(np.abs(np.diff(gain))) < 0.01  # smooth: no steps


def test_ducking_does_not_depend_on_block_sizes() -> None:
    settings = DuckingSettings()
    np.testing.assert_array_equal(_duck_run(4800, settings), _duck_run(1023, settings))


def test_ducking_settings_are_validated() -> None:
    with pytest.raises(ParameterError, match="depth"):
        DuckingSettings(depth=5.0)
    with pytest.raises(ParameterError, match="under"):
        DuckingSettings(under=("music",))
    with pytest.raises(ParameterError, match="target"):
        LoudnessSettings(target=3.0)


# -- loudness gain and limiter ----------------------------------------------------------
def test_planned_gains_reach_the_target_without_exceeding_the_ceiling() -> None:
    rng = np.random.default_rng(2)
    quiet = 0.02 * rng.standard_normal((2, SR * 4)).astype(np.float32)
    quiet[:, SR * 2 : SR * 2 + 200] = 0.5  # a transient far above the rest
    meter, peaks = LoudnessMeter(sr=SR), TruePeakMeter(sr=SR)
    meter.add(quiet)
    peaks.add(quiet)
    settings = LoudnessSettings()
    gains, gain_db = plan_gains(meter.step_energy, meter.step, peaks.finish(), peaks.chunk, settings)
    normalizer = LoudnessNormalizer(gains, chunk=peaks.chunk)
    out = np.concatenate([normalizer(quiet[:, a : a + 5000], a) for a in range(0, quiet.shape[1], 5000)], axis=1)
    assert integrated_loudness(out, SR) == pytest.approx(-14.0, abs=0.3)
    assert true_peak(out, SR) <= -1.0 + 0.05
    assert gain_db > 10


def test_silence_is_not_boosted() -> None:
    meter, peaks = LoudnessMeter(sr=SR), TruePeakMeter(sr=SR)
    y = np.zeros((2, SR), np.float32)
    meter.add(y)
    peaks.add(y)
    gains, gain_db = plan_gains(meter.step_energy, meter.step, peaks.finish(), peaks.chunk, LoudnessSettings())
    assert gain_db == 0.0 and np.all(gains <= 1.0)


# -- in the mixer and in a render ---------------------------------------------------------
@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("finishing")
    track = drum_track(120.0, 6.0, pattern="rock", seed=3)
    loud = np.clip(np.stack([track.y, track.y]) * 1.25, -1, 1)  # hot master: peaks at 0 dBFS
    voice = np.zeros((2, SR * 6), np.float32)
    voice[:, SR * 2 : SR * 4] = _tone(2, 220, 0.25)
    return {
        "song": write_audio(str(folder / "song.wav"), loud, track.sr),
        "voice": write_audio(str(folder / "voice.wav"), voice, SR),
        "clip": mediagen.make_video(str(folder / "clip.mp4"), frames=120, audio=True),
        "folder": str(folder),
    }


class _Plan:
    """The parts of a RenderPlan install_finishing reads."""

    def __init__(self, edit, segments, total: int) -> None:
        self.edit = edit
        self.segments = tuple(segments)
        self.sr = SR
        self.total_samples = total


def _mix(plan: _Plan, block: int) -> tuple[np.ndarray, dict]:
    with Mixer(plan.segments, sr=SR, total=plan.total_samples) as mixer:
        info = install_finishing(mixer, plan)
        out = []
        while mixer.position < plan.total_samples:
            out.append(mixer.read(min(block, plan.total_samples - mixer.position)))
    return np.concatenate(out, axis=1), info


def test_mixer_output_is_normalized_limited_and_block_independent(files: dict[str, str]) -> None:
    total = SR * 6
    segments = [
        Segment(files["song"], 0.0, 0, total, role="music"),
        Segment(files["voice"], 0.0, 0, total, role="voice"),
    ]
    edit = ck.sequence([ck.color("red", duration=6.0)])
    plan = _Plan(edit, segments, total)
    out, info = _mix(plan, SR // 2)
    assert info["ducking"] is True
    assert integrated_loudness(out, SR) == pytest.approx(-14.0, abs=0.5)
    assert true_peak(out, SR) <= -1.0 + 0.05
    assert np.abs(out).max() < 1.0
    again, _ = _mix(plan, 777)
    np.testing.assert_allclose(again, out, atol=1e-6)
    # the music is lower while the voice speaks: compare with ducking off
    plain, info_off = _mix(_Plan(with_ducking(edit, enabled=False), segments, total), SR // 2)
    assert info_off["ducking"] is False
    song, _ = load_audio(files["song"], sr=SR)
    during = slice(int(SR * 2.5), int(SR * 3.5))
    before = slice(int(SR * 0.5), int(SR * 1.5))

    def music_share(mix: np.ndarray, span: slice) -> float:
        s = song[:, span].ravel()
        return float(np.dot(mix[:, span].ravel(), s) / np.dot(s, s))

    assert music_share(out, during) < 0.5 * music_share(out, before)
    assert music_share(plain, during) == pytest.approx(music_share(plain, before), rel=0.15)  # only the limiter differs


def test_loudness_can_be_turned_off_or_retargeted(files: dict[str, str]) -> None:
    total = SR * 6
    segments = [Segment(files["song"], 0.0, 0, total, role="music", gain=0.3)]
    edit = ck.sequence([ck.color("red", duration=6.0)])
    off, info = _mix(_Plan(with_loudness(edit, target=None), segments, total), SR)
    assert info["gain_db"] == 0.0
    raw, _ = load_audio(files["song"], sr=SR)
    np.testing.assert_allclose(off, raw[:, :total] * 0.3, atol=2e-3)
    quieter, _ = _mix(_Plan(with_loudness(edit, target=-20.0), segments, total), SR)
    assert integrated_loudness(quieter, SR) == pytest.approx(-20.0, abs=0.5)


def test_rendered_file_meets_the_loudness_target(files: dict[str, str]) -> None:
    clip = ck.open(files["clip"])  # 4 s with a 440 Hz tone
    edit = ck.sequence([clip], canvas=ck.Canvas(160, 288, fps=30)).with_music(ck.audio(files["song"]), volume=0.8)
    out = str(Path(files["folder"]) / "finished.mp4")
    edit.render(out, profile="preview")
    y, sr = load_audio(out, sr=SR)
    assert integrated_loudness(y, sr) == pytest.approx(-14.0, abs=1.0)
    assert np.abs(y).max() < 1.0
    assert true_peak(y, sr) <= -0.3  # AAC may overshoot the mix's -1 dBTP slightly


def test_template_audio_section(files: dict[str, str]) -> None:
    from clipkit.errors import TemplateError
    from clipkit.template import load_template

    doc = {
        "version": 1,
        "slots": [{"id": "a"}],
        "shots": [{"slot": "a", "duration": 2.0}],
        "audio": {"ducking": {"depth": -6, "under": ["voice"]}, "loudness": {"target": -16, "true_peak": -2}},
    }
    edit = load_template(doc).build({"a": files["clip"]})
    duck, loud = edit.ducking, edit.loudness
    assert duck.depth == -6 and duck.under == ("voice",)
    assert loud.target == -16 and loud.true_peak == -2
    off = load_template({**doc, "audio": {"ducking": False, "loudness": False}}).build({"a": files["clip"]})
    assert off.ducking is None and off.loudness is None
    assert load_template({**doc, "audio": {"loudness": -18}}).build({"a": files["clip"]}).loudness.target == -18
    with pytest.raises(TemplateError, match="audio"):
        load_template({**doc, "audio": {"loudness": 3}})


def test_edit_methods_set_the_same_finishing_as_the_functions() -> None:
    edit = ck.sequence([ck.color("#000000", duration=1.0)], canvas=ck.Canvas(64, 64, 10))
    assert edit.with_loudness(-16.0) == with_loudness(edit, target=-16.0)
    assert edit.with_loudness(-16.0).loudness == LoudnessSettings(-16.0)
    assert edit.with_loudness(None) == with_loudness(edit, target=None)
    assert edit.with_loudness(None).loudness is None
    assert edit.with_ducking(depth=-6.0, under=("voice",)) == with_ducking(edit, depth=-6.0, under=("voice",))
    assert edit.with_ducking(depth=-6.0, under=("voice",)).ducking == DuckingSettings(depth=-6.0, under=("voice",))
    assert edit.with_ducking(enabled=False) == with_ducking(edit, enabled=False)
    assert edit.with_ducking(enabled=False).ducking is None
    with pytest.raises(ParameterError, match="loudness target: -60"):
        edit.with_loudness(-60.0)
