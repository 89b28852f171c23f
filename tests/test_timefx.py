"""Time effects: which source frame each output frame shows, how long the result lasts,
what happens to the sound, how much is buffered, and the template keys."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

import numpy as np
import pytest

import clipkit as ck
from clipkit import timefx
from clipkit.edit.sources import Source
from clipkit.frame import Frame
from clipkit.nodes import RenderContext
from clipkit.template import load_template
from clipkit.edit.retime import synthesize
from clipkit.audio.stretch import stretch_to_positions

import mediagen

CANVAS = ck.Canvas(160, 284, 30)
SR = 48000


def _indices(clip: ck.Clip) -> list[int]:
    return [mediagen.read_index(f.y) for f in ck.sequence([clip], canvas=CANVAS).frames()]


def _sound(clip: ck.Clip) -> np.ndarray:
    n = int(round(clip.duration * SR))
    segments = clip.source.audio_segments(clip, out_start=0, length=n, sr=SR, gain=1.0)
    out = np.zeros((2, n), np.float32)
    for seg in segments:
        out[:, seg.out_start : seg.out_end] += seg.samples[:, : seg.length]
    return out


def _pitch(signal: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(signal * np.hanning(signal.size)))
    return float(np.argmax(spectrum) * SR / signal.size)


@pytest.fixture
def second(portrait: str) -> ck.Clip:
    """The first second (30 frames, indices 0..29) of the index-coded portrait clip."""
    return ck.open(portrait).trim(0, 1)


def test_constant_speed_skips_or_repeats_frames(second: ck.Clip) -> None:
    fast = timefx.speed(second, 2)
    assert fast.duration == pytest.approx(0.5)
    assert _indices(fast) == list(range(0, 30, 2))
    slow = timefx.speed(second, 0.5)
    assert slow.duration == pytest.approx(2.0)
    assert _indices(slow) == [k // 2 for k in range(60)]


def test_reverse_starts_on_the_last_frame_and_ends_on_the_first(second: ck.Clip) -> None:
    assert _indices(timefx.reverse(second)) == list(range(29, -1, -1))
    assert _indices(timefx.reverse(second, speed=3)) == [29, 26, 23, 20, 17, 14, 11, 8, 5, 2]


def test_boomerang_goes_forward_then_back(second: ck.Clip) -> None:
    idx = _indices(timefx.boomerang(second))
    assert idx == list(range(30)) + list(range(29, -1, -1))
    looped = timefx.boomerang(second, speed=2, loops=2)
    assert looped.duration == pytest.approx(2.0)
    assert _indices(looped) == (list(range(0, 30, 2)) + list(range(29, 0, -2))) * 2


def test_freeze_holds_one_frame_then_plays_on(second: ck.Clip) -> None:
    frozen = timefx.freeze(second, 0.5, 0.5)
    assert frozen.duration == pytest.approx(1.5)
    assert _indices(frozen) == list(range(15)) + [15] * 15 + list(range(15, 30))


def test_ramps_play_everything_once_in_order(second: ck.Clip) -> None:
    for preset in timefx.RAMP_PRESETS:
        ramped = timefx.ramp(second, preset)
        idx = _indices(ramped)
        assert idx == sorted(idx), preset
        last_speed = timefx.RAMP_PRESETS[preset][-1][1]
        # the last output frame shows the material within one (fast) step of the end
        assert idx[0] == 0 and idx[-1] >= 29 - int(np.ceil(last_speed)), preset
    hero = _indices(timefx.ramp(second, "hero"))
    # the slow middle repeats frames, the normal-speed start does not
    middle = hero[len(hero) // 3 : 2 * len(hero) // 3]
    assert len(middle) - len(set(middle)) > len(middle) // 2
    assert hero[:5] == [0, 1, 2, 3, 4]


def test_ramp_length_follows_the_mean_speed(second: ck.Clip) -> None:
    ramped = timefx.ramp(second, [(0, 2.0), (1, 2.0)])
    assert ramped.duration == pytest.approx(0.5)
    fast_in = timefx.ramp(second, "flash-in")
    assert fast_in.duration < 1.0
    tm = fast_in.source.timemap
    assert tm.slope_at(0.0) == pytest.approx(6.0, rel=0.01) and tm.slope_at(tm.duration * 0.99) == pytest.approx(1.0, rel=0.01)


def test_effects_and_fit_move_to_the_retimed_clip(second: ck.Clip) -> None:
    node = ck.Crossfade(0.5)  # any object with bind() stands in for an effect here
    styled = ck.Clip(source=second.source, start=0.0, end=1.0, fit="contain", effects=(node,), volume=0.5)  # type: ignore[arg-type]
    out = timefx.speed(styled, 2)
    assert out.fit == "contain" and out.effects == (node,) and out.volume == 0.5
    assert out.source.inner.effects == () and out.source.inner.fit is None


def test_sound_is_stretched_without_changing_pitch(second: ck.Clip) -> None:
    slow = _sound(timefx.speed(second, 0.5))
    assert slow.shape[1] == 2 * SR
    assert _pitch(slow[0, SR // 2 : SR + SR // 2]) == pytest.approx(440, abs=6)
    assert float(np.sqrt((slow[0, 4800:-4800] ** 2).mean())) > 0.1  # the tone is still there, at level
    fast = _sound(timefx.speed(second, 2))
    assert fast.shape[1] == SR // 2
    assert _pitch(fast[0, 2400:-2400]) == pytest.approx(440, abs=10)


def test_ramp_sound_keeps_its_pitch_through_the_slow_part(second: ck.Clip) -> None:
    hero = timefx.ramp(second, "hero")
    sound = _sound(hero)
    n = sound.shape[1]
    assert _pitch(sound[0, int(n * 0.4) : int(n * 0.7)]) == pytest.approx(440, abs=8)


def test_mute_drops_the_sound_and_freeze_is_silent_while_frozen(second: ck.Clip) -> None:
    muted = timefx.speed(second, 0.5, audio="mute")
    assert muted.source.audio_segments(muted, out_start=0, length=SR, sr=SR, gain=1.0) == []
    frozen = _sound(timefx.freeze(second, 0.5, 0.5))
    assert np.abs(frozen[:, int(0.55 * SR) : int(0.95 * SR)]).max() < 1e-6
    assert np.abs(frozen[:, int(0.1 * SR) : int(0.4 * SR)]).max() > 0.2


def test_reversed_sound_is_the_sound_backwards() -> None:
    ramp = np.linspace(-1, 1, 1000, dtype=np.float32)
    data = np.stack([ramp, ramp])
    out = synthesize(data, np.arange(999, -1, -1, dtype=np.float64), sr=SR)
    assert np.allclose(out[0, 300:700], ramp[::-1][300:700], atol=1e-5)


def test_phase_vocoder_keeps_length_and_pitch() -> None:
    t = np.arange(SR) / SR
    tone = np.stack([np.sin(2 * np.pi * 330 * t)] * 2).astype(np.float32) * 0.5
    out = stretch_to_positions(tone, np.arange(int(1.5 * SR)) / 1.5)
    assert out.shape == (2, int(1.5 * SR))
    assert _pitch(out[0, 8000:-8000]) == pytest.approx(330, abs=4)
    with pytest.raises(ck.ParameterError, match="must not decrease"):
        stretch_to_positions(tone, np.arange(100, 0, -1, dtype=np.float64))


class _CountingSource(Source):
    """Index-coded frames on demand; counts how many it hands out."""

    kind = "counting"

    def __init__(self, frames: int = 300) -> None:
        self.total = frames
        self.handed = 0

    @property
    def duration(self) -> float:  # type: ignore[override]
        return self.total / 30

    @property
    def display_size(self) -> tuple[int, int]:  # type: ignore[override]
        return (160, 284)

    def frames(
        self, *, ctx: RenderContext, start: float, count: int, fps: Fraction, width: int, height: int, speed: float = 1.0) -> Iterator[tuple[Frame, float]]:
        for k in range(count):
            t = start + k * speed / float(fps)
            self.handed += 1
            yield Frame.from_rgb(mediagen.draw_frame(160, 284, int(round(t * 30)))), t


def test_reverse_reads_only_its_own_segment() -> None:
    source = _CountingSource(300)  # 10 s of material
    clip = ck.Clip(source=source, start=4.0, end=5.0)
    idx = _indices(timefx.reverse(clip))
    assert idx == list(range(149, 119, -1))
    assert source.handed == 30  # one second decoded, not the whole file


def test_values_out_of_range_are_refused_with_the_field(second: ck.Clip) -> None:
    with pytest.raises(ck.ParameterError, match=r"speed: 0\.05 is outside 0\.1\.\.10"):
        timefx.speed(second, 0.05)
    with pytest.raises(ck.ParameterError, match="reverse.speed"):
        timefx.reverse(second, speed=11)
    with pytest.raises(ck.ParameterError, match="freeze.at"):
        timefx.freeze(second, 2.0, 0.5)
    with pytest.raises(ck.ParameterError, match="boomerang.loops"):
        timefx.boomerang(second, loops=0)
    with pytest.raises(ck.ParameterError, match="not a ramp preset"):
        timefx.ramp(second, "warp")
    with pytest.raises(ck.ParameterError, match=r"ramp\[1\]\.speed"):
        timefx.ramp(second, [(0, 1), (1, 40)])
    with pytest.raises(ck.ParameterError, match="start at 0 and end at 1"):
        timefx.ramp(second, [(0.2, 1), (1, 2)])
    with pytest.raises(ck.ParameterError, match="audio"):
        timefx.speed(second, 2, audio="chipmunk")


def test_retimed_clips_sequence_trim_and_render(tmp_path, second: ck.Clip, portrait_b: str) -> None:
    slow = timefx.speed(second, 0.5).trim(0.5, 1.5)
    assert _indices(slow) == [k // 2 for k in range(15, 45)]
    edit = ck.sequence([slow, ck.open(portrait_b).trim(0, 0.5)], canvas=CANVAS)
    result = edit.render(tmp_path / "slow.mp4", profile="preview")
    assert result.frames == 45
    lumas, audio, sr = mediagen.decode_output(str(tmp_path / "slow.mp4"))
    assert len(lumas) == 45
    assert audio.shape[1] / sr == pytest.approx(1.5, abs=0.05)
    # the stretched tone is in the first second of the output
    assert float(np.abs(audio[:, int(0.2 * sr) : int(0.8 * sr)]).max()) > 0.1


def test_template_keys_build_time_effects(portrait: str) -> None:
    doc = {
        "version": 1,
        "canvas": {"width": 160, "height": 284, "fps": 30},
        "slots": [{"id": "a"}],
        "shots": [
            {"slot": "a", "duration": 1, "speed": 0.5},
            {"slot": "a", "duration": 1, "speed": "hero"},
            {"slot": "a", "duration": 1, "speed": {"keyframes": [[0, 2], [1, 2]], "audio": "mute"}},
            {"slot": "a", "duration": 1, "reverse": True},
            {"slot": "a", "duration": 1, "boomerang": {"loops": 2, "speed": 2}},
            {"slot": "a", "duration": 1, "freeze": {"at": 0.5, "duration": 0.25}},
        ],
    }
    edit = load_template(doc).build({"a": portrait})
    durations = [round(c.duration, 3) for c in edit.clips]
    assert durations[0] == 2.0 and durations[2] == 0.5 and durations[3] == 1.0 and durations[4] == 2.0 and durations[5] == 1.25
    assert 1.0 < durations[1] < 3.0
    assert edit.clips[2].source.audio == "mute"
    bad = {**doc, "shots": [{"slot": "a", "speed": 12}]}
    with pytest.raises(ck.TemplateError, match=r"shots\[0\]\.speed"):
        load_template(bad)
    bad_freeze = {**doc, "shots": [{"slot": "a", "duration": 1, "freeze": {"at": 3, "duration": 1}}]}
    with pytest.raises(ck.TemplateError, match=r"shots\[0\]\.freeze: freeze\.at"):
        load_template(bad_freeze).build({"a": portrait})
