"""moviepy interop: a moviepy-style clip plays as a clipkit clip (frames, mask, sound),
and an edit is served to moviepy frame by frame with its mixed sound.

The clips here are duck-typed stand-ins with moviepy's interface (``get_frame``,
``duration``, ``size``, ``mask``, ``audio.to_soundarray``), and ``to_moviepy`` runs
against a stand-in ``moviepy`` module, so these tests need no optional install."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

import clipkit as ck
from clipkit.interop.moviepy import MoviepySource, from_moviepy, to_moviepy

import mediagen

SR = 48000


class FakeAudio:
    def __init__(self, duration: float, hz: float) -> None:
        self.duration = duration
        self.hz = hz

    def to_soundarray(self, tt=None, fps=None, quantize=False):
        tone = 0.4 * np.sin(2 * np.pi * self.hz * np.asarray(tt))
        return np.stack([tone, tone], axis=1)


class FakeMask:
    def get_frame(self, t: float) -> np.ndarray:
        m = np.ones((284, 160))
        m[:, :80] = 0.0  # left half transparent
        return m


class FakeClip:
    """A moviepy-like clip whose frame at t carries the index round(t * 30)."""

    def __init__(self, duration: float = 2.0, *, audio: bool = True, mask: bool = False) -> None:
        self.duration = duration
        self.size = (161, 284)  # odd width: clipkit crops to even
        self.audio = FakeAudio(duration, 440.0) if audio else None
        self.mask = FakeMask() if mask else None
        self.asked: list[float] = []

    def get_frame(self, t: float) -> np.ndarray:
        self.asked.append(t)
        img = mediagen.draw_frame(161, 284, int(round(t * 30)))
        return img


def test_a_moviepy_clip_plays_as_a_clipkit_clip() -> None:
    fake = FakeClip(2.0)
    clip = from_moviepy(fake).trim(0.5, 1.5)
    assert isinstance(clip.source, MoviepySource) and clip.source.display_size == (160, 284)
    frames = list(ck.sequence([clip], canvas=ck.Canvas(160, 284, 30)).frames())
    assert len(frames) == 30
    assert [mediagen.read_index(f.y) for f in frames[:3]] == [15, 16, 17]
    assert fake.asked[0] == pytest.approx(0.5)


def test_its_mask_becomes_transparency_and_its_sound_joins_the_mix() -> None:
    clip = from_moviepy(FakeClip(1.0, mask=True))
    frame, _ = next(iter(clip.source.frames(start=0, count=1, fps=30, width=160, height=284)))
    assert frame.alpha is not None and int(frame.alpha[:, :78].max()) == 0 and int(frame.alpha[:, 82:].min()) == 255
    segments = clip.source.audio_segments(clip, out_start=10, length=SR, sr=SR, gain=0.5)
    assert len(segments) == 1 and segments[0].out_start == 10 and segments[0].gain == 0.5
    samples = segments[0].samples
    assert samples.shape == (2, SR)
    spectrum = np.abs(np.fft.rfft(samples[0]))
    assert np.argmax(spectrum) == pytest.approx(440, abs=2)
    silent = from_moviepy(FakeClip(1.0, audio=False))
    assert not silent.source.has_audio and silent.source.audio_segments(silent, out_start=0, length=SR, sr=SR, gain=1) == []


def test_clips_without_duration_or_frames_are_refused() -> None:
    with pytest.raises(ck.ParameterError, match="no duration"):
        from_moviepy(types.SimpleNamespace(get_frame=lambda t: None, duration=None, size=(2, 2)))
    with pytest.raises(ck.ParameterError, match="not a moviepy video clip"):
        from_moviepy(object())


@pytest.fixture
def fake_moviepy(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    module = types.ModuleType("moviepy")

    class VideoClip:
        def __init__(self, frame_function=None, duration=None):
            self.frame_function = frame_function
            self.duration = duration
            self.fps = None
            self.audio = None

        def get_frame(self, t):
            return self.frame_function(t)

        def with_fps(self, fps):
            self.fps = fps
            return self

        def with_audio(self, audio):
            self.audio = audio
            return self

    class AudioArrayClip:
        def __init__(self, array, fps):
            self.array = array
            self.fps = fps

    module.VideoClip = VideoClip
    module.AudioArrayClip = AudioArrayClip
    monkeypatch.setitem(sys.modules, "moviepy", module)
    return module


def test_an_edit_is_served_to_moviepy_frame_by_frame(fake_moviepy, portrait: str) -> None:
    edit = ck.sequence([ck.open(portrait).trim(0, 1)], canvas=ck.Canvas(160, 284, 30))
    clip = to_moviepy(edit)
    assert clip.duration == pytest.approx(1.0) and clip.fps == 30.0
    forward = [mediagen.read_index(clip.get_frame(k / 30)[:, :, 1]) for k in (0, 1, 2, 20)]
    assert forward == [0, 1, 2, 20]
    assert mediagen.read_index(clip.get_frame(5 / 30)[:, :, 1]) == 5  # seeking back restarts the stream
    assert clip.get_frame(0.5).shape == (284, 160, 3)
    assert clip.audio.fps == 48000 and clip.audio.array.shape == (48000, 2)
    assert float(np.abs(clip.audio.array).max()) > 0.1
    silent = to_moviepy(edit, audio=False)
    assert silent.audio is None


def test_to_moviepy_explains_a_missing_install(monkeypatch: pytest.MonkeyPatch, portrait: str) -> None:
    monkeypatch.setitem(sys.modules, "moviepy", None)  # import fails as when it is not installed
    edit = ck.sequence([ck.open(portrait).trim(0, 1)], canvas=ck.Canvas(160, 284, 30))
    with pytest.raises(ck.ClipkitError, match=r"clipkit\[interop\]"):
        to_moviepy(edit)
