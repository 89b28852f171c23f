"""Music analysis: beats, tempo, bars, onsets, energy, cache, on generated tracks."""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import pytest

from clipkit.errors import MediaError, ParameterError
from clipkit.music import Analysis, analyze, analyze_signal, beat_f_measure, match_events
from clipkit.music import analysis as analysis_module
from clipkit.music.dsp import mel_filters
from clipkit.music.synth import click_track, drum_track, write_audio


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLIPKIT_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "music-cache"))


# -- evaluation helpers -----------------------------------------------------------------
def test_f_measure_counts_one_to_one_matches_within_70ms() -> None:
    ref = [1.0, 2.0, 3.0, 4.0]
    assert beat_f_measure(ref, ref) == 1.0
    assert beat_f_measure(ref, [1.06, 2.0, 3.08]) == pytest.approx(2 * (2 / 3) * (2 / 4) / (2 / 3 + 2 / 4))
    # two estimates near one reference count once
    assert len(match_events([1.0], [0.98, 1.02])) == 1
    assert beat_f_measure([], []) == 1.0
    assert beat_f_measure(ref, []) == 0.0
    with pytest.raises(ParameterError):
        beat_f_measure(ref, ref, window=0)


def test_mel_filters_match_librosa() -> None:
    import librosa.filters

    ours = mel_filters(22050, 2048, n_mels=128)
    theirs = librosa.filters.mel(sr=22050, n_fft=2048, n_mels=128)
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-7)


# -- beat tracking on tracks with known beats ----------------------------------------------
TRACKS = [
    ("clicks", 120.0),
    ("rock", 95.0),
    ("four_on_floor", 128.0),
    ("syncopated", 105.0),
    ("ballad", 72.0),
    ("rock", 150.0),
    # metrically ambiguous: the tempo prior (70-180 BPM, centred on 120) must choose
    ("halftime", 140.0),  # kick/snare every two beats, hats on sixteenths
    ("four_on_floor", 85.0),  # loud off-beat hats suggest 170
    ("rock", 175.0),  # snare read as off-beats suggests 87.5
]


@pytest.mark.parametrize(("pattern", "bpm"), TRACKS)
def test_beats_tempo_and_bars_on_generated_tracks(pattern: str, bpm: float) -> None:
    track = click_track(bpm, 20.0) if pattern == "clicks" else drum_track(bpm, 20.0, pattern=pattern, seed=3, start=0.4)
    a = analyze_signal(track.y, track.sr)
    assert a.tempo == pytest.approx(bpm, rel=0.02)
    assert beat_f_measure(track.beats, a.beats) >= 0.95
    assert beat_f_measure(track.downbeats, a.downbeats) >= 0.9
    assert a.beats.size == a.beat_strengths.size
    assert np.all((a.beat_strengths >= 0) & (a.beat_strengths <= 1))
    assert np.all(np.diff(a.beats) > 0)


def test_beats_sit_on_the_attacks() -> None:
    track = drum_track(120.0, 16.0, pattern="rock", seed=1, start=0.25, jitter=0.0)
    a = analyze_signal(track.y, track.sr)
    err = [float(np.min(np.abs(track.beats - b))) for b in a.beats]
    assert np.median(err) < 0.012  # well inside one 30 fps frame


def test_tempo_range_folds_slow_and_fast_readings() -> None:
    track = drum_track(64.0, 24.0, pattern="ballad", seed=2, start=0.3)
    default = analyze_signal(track.y, track.sr)
    assert default.tempo == pytest.approx(128.0, rel=0.03)  # 64 is below 70: double time
    slow = analyze_signal(track.y, track.sr, tempo_range=(50, 100))
    assert slow.tempo == pytest.approx(64.0, rel=0.03)
    assert beat_f_measure(track.beats, slow.beats) >= 0.95


def test_onsets_include_offbeat_hits_with_strengths() -> None:
    track = drum_track(100.0, 12.0, pattern="syncopated", seed=4, start=0.2)
    a = analyze_signal(track.y, track.sr)
    assert a.onsets.size > a.beats.size  # hats and off-beat kicks too
    assert np.all((a.onset_strengths >= 0) & (a.onset_strengths <= 1))
    assert a.onset_strengths.max() == 1.0
    # every beat has an onset next to it
    assert len(match_events(track.beats, a.onsets)) >= 0.95 * track.beats.size


def test_energy_curve_and_high_energy_section_at_the_drop() -> None:
    track = drum_track(120.0, 32.0, pattern="four_on_floor", seed=5, drop=16.0)
    a = analyze_signal(track.y, track.sr)
    assert a.energy.min() >= 0 and a.energy.max() <= 1
    assert a.energy_at(24.0) > a.energy_at(8.0)
    assert a.sections, "the louder second half is a high-energy section"
    best = a.strongest_section
    assert best is not None and abs(best.start - 16.0) <= 0.6
    assert best.end >= 30.0


@pytest.mark.parametrize("seconds", [0.0, 0.02, 0.3, 3.0])
def test_silence_and_short_audio_give_no_beats(seconds: float) -> None:
    a = analyze_signal(np.zeros(int(seconds * 22050), np.float32), 22050)
    assert a.tempo == 0 and a.beats.size == 0 and a.downbeats.size == 0 and a.is_empty
    assert a.duration == pytest.approx(seconds)


def test_a_few_isolated_hits_are_not_a_beat() -> None:
    y = np.zeros(22050 * 2, np.float32)
    y[1000:1200] = 0.8
    a = analyze_signal(y, 22050)
    assert a.beats.size == 0


def test_noise_and_stereo_and_other_rates_do_not_crash() -> None:
    rng = np.random.default_rng(0)
    a = analyze_signal(0.1 * rng.standard_normal((2, 44100 * 3)).astype(np.float32), 44100)
    assert isinstance(a, Analysis)
    track = click_track(120.0, 8.0, sr=44100)
    b = analyze_signal(np.stack([track.y, track.y]), 44100)
    assert b.tempo == pytest.approx(120.0, rel=0.02)


def test_parameters_are_validated_with_the_value_quoted() -> None:
    y = np.zeros(1000, np.float32)
    with pytest.raises(ParameterError, match="tempo_range"):
        analyze_signal(y, 22050, tempo_range=(180, 70))
    with pytest.raises(ParameterError, match="hop_length: 10"):
        analyze_signal(y, 22050, hop_length=10)
    with pytest.raises(ParameterError, match="beats_per_bar"):
        analyze_signal(y, 22050, beats_per_bar=0)
    with pytest.raises(ParameterError, match="sr"):
        analyze_signal(y, 0)
    with pytest.raises(ParameterError, match="shape"):
        analyze_signal(np.zeros((2, 2, 2)), 22050)


def test_three_four_time_bars() -> None:
    track = click_track(150.0, 16.0, beats_per_bar=3)
    a = analyze_signal(track.y, track.sr, beats_per_bar=3)
    assert a.beats_per_bar == 3
    assert beat_f_measure(track.downbeats, a.downbeats) >= 0.9


# -- windows onto the output timeline ----------------------------------------------------
def test_window_moves_song_times_to_output_times() -> None:
    track = drum_track(120.0, 20.0, pattern="rock", seed=1)
    a = analyze_signal(track.y, track.sr)
    w = a.window(4.0, 12.0, at=1.0)
    assert w.duration == pytest.approx(8.0)
    expected = a.beats[(a.beats >= 4.0) & (a.beats < 12.0)] - 3.0
    np.testing.assert_allclose(w.beats, expected)
    assert w.beats.min() >= 1.0 and w.beats.max() < 9.0
    assert w.energy_at(2.0) == pytest.approx(a.energy_at(5.0), abs=0.02)
    assert np.all(np.isin(w.downbeats, w.beats))
    with pytest.raises(ParameterError):
        a.window(5.0, 4.0)


# -- files and the cache -----------------------------------------------------------------
@pytest.fixture(scope="module")
def song(tmp_path_factory: pytest.TempPathFactory) -> str:
    track = drum_track(110.0, 12.0, pattern="rock", seed=7, start=0.3)
    return write_audio(str(tmp_path_factory.mktemp("songs") / "song.m4a"), np.stack([track.y, track.y]), track.sr)


def test_analyze_reads_any_container_and_caches(song: str, monkeypatch: pytest.MonkeyPatch) -> None:
    first = analyze(song)
    assert first.tempo == pytest.approx(110.0, rel=0.02)
    calls = []
    real = analysis_module._analyze
    monkeypatch.setattr(analysis_module, "_analyze", lambda *a, **k: calls.append(1) or real(*a, **k))
    again = analyze(song)
    assert calls == []  # served from the cache
    np.testing.assert_allclose(again.beats, first.beats)
    np.testing.assert_allclose(again.energy, first.energy, atol=1e-6)
    assert again.sections == first.sections
    other = analyze(song, beats_per_bar=3)  # other parameters: another entry
    assert calls == [1] and other.beats_per_bar == 3
    analyze(song, cache=False)
    assert calls == [1, 1]


def test_cache_key_follows_content_not_name(song: str, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    analyze(song)
    copy = tmp_path / "renamed.m4a"
    copy.write_bytes(open(song, "rb").read())
    calls = []
    real = analysis_module._analyze
    monkeypatch.setattr(analysis_module, "_analyze", lambda *a, **k: calls.append(1) or real(*a, **k))
    analyze(copy)
    assert calls == []
    other = drum_track(90.0, 6.0, pattern="rock", seed=8)
    write_audio(str(copy), other.y, other.sr)  # same name, other content
    analyze(copy)
    assert calls == [1]


def test_corrupt_cache_entries_are_recomputed(song: str) -> None:
    from clipkit.music import cache

    params = analysis_module.check_params(hop_length=512, tempo_range=(70, 180), start_bpm=120, beats_per_bar=4, tightness=100)
    analyze(song)
    entry = cache.cache_dir() / f"{cache.content_key(song, params)}.npz"
    assert entry.is_file()
    entry.write_bytes(b"not a zip")
    assert analyze(song).tempo == pytest.approx(110.0, rel=0.02)


def test_audio_clip_span_gives_clip_relative_times(song: str) -> None:
    import clipkit as ck

    whole = analyze(song)
    part = analyze(ck.audio(song).trim(2.0, 8.0))
    assert part.duration == pytest.approx(6.0, abs=0.05)
    np.testing.assert_allclose(part.beats, whole.beats[(whole.beats >= 2.0) & (whole.beats < 8.0)] - 2.0)


def test_missing_and_soundless_files_raise_media_errors(tmp_path) -> None:
    with pytest.raises(MediaError, match="not found"):
        analyze(tmp_path / "nope.mp3")
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"\x00" * 100)
    with pytest.raises(MediaError):
        analyze(junk)
    with pytest.raises(ParameterError):
        analyze(42)  # type: ignore[arg-type]


def test_silent_and_tiny_files_analyse_to_no_beats(tmp_path) -> None:
    silent = write_audio(str(tmp_path / "silence.wav"), np.zeros(22050 * 2, np.float32), 22050)
    tiny = write_audio(str(tmp_path / "tiny.wav"), np.full(300, 0.2, np.float32), 22050)
    for path in (silent, tiny):
        a = analyze(path)
        assert a.is_empty and a.tempo == 0


def test_to_dict_is_json_ready(song: str) -> None:
    data = analyze(song).to_dict(curves=True)
    text = json.dumps(data)
    back = json.loads(text)
    assert back["tempo"] == pytest.approx(110.0, rel=0.02)
    assert len(back["beats"]) == len(back["beat_strengths"])
    assert back["envelope"]["values"]


def test_importing_the_package_does_not_import_librosa() -> None:
    import subprocess

    code = "import sys, clipkit.music, clipkit.music.analysis; print('librosa' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env={**os.environ})
    assert out.stdout.strip() == "False"


def test_a_cache_hit_in_a_fresh_process_does_not_decode(song: str) -> None:
    import subprocess

    first = analyze(song)  # fills the cache (the autouse fixture's folder, passed on below)
    code = (
        "import sys, clipkit.music as m; a = m.analyze(sys.argv[1]); "
        "print('av' in sys.modules, len(a.beats))"
    )
    out = subprocess.run([sys.executable, "-c", code, song], capture_output=True, text=True, check=True, env={**os.environ})
    assert out.stdout.split() == ["False", str(first.beats.size)]  # served without importing PyAV
