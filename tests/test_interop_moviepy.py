"""moviepy interop with the real moviepy 2.x (in the ``test`` extra): a moviepy clip plays
as a clipkit clip (frames, mask, sound), and an edit is served to moviepy frame by frame
with its mixed sound, which moviepy can composite and write."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from moviepy import AudioClip, ColorClip, CompositeVideoClip, VideoClip, VideoFileClip

import clipkit as ck
from clipkit.interop.moviepy import MoviepySource, from_moviepy, to_moviepy
from clipkit.nodes import RenderContext
from fractions import Fraction

import mediagen


SR = 48000


def _indexed_clip(duration: float = 2.0, *, width: int = 161, height: int = 284) -> VideoClip:
    """A moviepy clip whose frame at t carries the index round(t * 30); odd width on purpose."""
    return VideoClip(frame_function=lambda t: mediagen.draw_frame(width, height, int(round(t * 30))), duration=duration)


def _tone(hz: float, duration: float) -> AudioClip:
    def sound(t: np.ndarray | float) -> np.ndarray:
        tone = 0.4 * np.sin(2 * np.pi * hz * np.asarray(t, dtype=np.float64))
        return np.stack([tone, tone], axis=-1) if np.ndim(tone) else np.array([tone, tone])

    return AudioClip(sound, duration=duration, fps=SR)


def test_a_moviepy_clip_plays_as_a_clipkit_clip() -> None:
    clip = from_moviepy(_indexed_clip(2.0)).trim(0.5, 1.5)
    assert isinstance(clip.source, MoviepySource) and clip.source.display_size == (160, 284)  # cropped to even
    frames = list(ck.sequence([clip], canvas=ck.Canvas(160, 284, 30)).frames())
    assert len(frames) == 30
    assert [mediagen.read_index(f.y) for f in frames[:3]] == [15, 16, 17]
    assert mediagen.read_index(frames[-1].y) == 44


def test_a_moviepy_file_clip_renders_through_clipkit(portrait: str, tmp_path: Path) -> None:
    source = VideoFileClip(portrait)
    try:
        clip = from_moviepy(source).trim(0, 1)
        out = tmp_path / "from_moviepy.mp4"
        ck.sequence([clip], canvas=ck.Canvas(160, 284, 30)).render(str(out), profile="preview")
        info = ck.probe(str(out))
        assert info.video is not None and info.duration == pytest.approx(1.0, abs=0.07)
        assert info.audio is not None  # the file's sound came along through moviepy
        decoded, _, _ = mediagen.decode_output(str(out))
        assert [mediagen.read_index(y) for y in decoded[:3]] == [0, 1, 2]
    finally:
        source.close()


def test_its_mask_becomes_transparency_and_its_sound_joins_the_mix() -> None:
    red = ColorClip((160, 284), color=(255, 0, 0), duration=1.0)
    mask = np.ones((284, 160))
    mask[:, :80] = 0.0  # left half transparent
    red = red.with_mask(VideoClip(frame_function=lambda t: mask, is_mask=True, duration=1.0)).with_audio(_tone(440, 1.0))
    clip = from_moviepy(red)
    frame, _ = next(iter(clip.source.frames(ctx=RenderContext(160, 284, Fraction(30)), start=0, count=1, fps=30, width=160, height=284)))
    assert frame.alpha is not None and int(frame.alpha[:, :78].max()) == 0 and int(frame.alpha[:, 82:].min()) == 255
    segments = clip.source.audio_segments(clip, out_start=10, length=SR, sr=SR, gain=0.5)
    assert len(segments) == 1 and segments[0].out_start == 10 and segments[0].gain == 0.5
    samples = segments[0].samples
    assert samples.shape == (2, SR)
    spectrum = np.abs(np.fft.rfft(samples[0]))
    assert np.argmax(spectrum) == pytest.approx(440, abs=2)
    silent = from_moviepy(ColorClip((160, 284), color=(0, 0, 255), duration=1.0))
    assert not silent.source.has_audio and silent.source.audio_segments(silent, out_start=0, length=SR, sr=SR, gain=1) == []


def test_clips_without_duration_or_frames_are_refused() -> None:
    with pytest.raises(ck.ParameterError, match="no duration"):
        from_moviepy(VideoClip(frame_function=lambda t: np.zeros((4, 4, 3), np.uint8)))
    with pytest.raises(ck.ParameterError, match="not a moviepy video clip"):
        from_moviepy(object())


def test_an_edit_is_served_to_moviepy_frame_by_frame(portrait: str) -> None:
    edit = ck.sequence([ck.open(portrait).trim(0, 1)], canvas=ck.Canvas(160, 284, 30))
    clip = to_moviepy(edit)
    assert isinstance(clip, VideoClip)
    assert clip.duration == pytest.approx(1.0) and clip.fps == 30.0
    forward = [mediagen.read_index(clip.get_frame(k / 30)[:, :, 1]) for k in (0, 1, 2, 20)]
    assert forward == [0, 1, 2, 20]
    assert mediagen.read_index(clip.get_frame(5 / 30)[:, :, 1]) == 5  # seeking back restarts the stream
    assert clip.get_frame(0.5).shape == (284, 160, 3)
    sound = clip.audio.to_soundarray(fps=SR)
    assert sound.shape[1] == 2 and sound.shape[0] == pytest.approx(SR, abs=SR // 100)
    assert float(np.abs(sound).max()) > 0.1
    assert to_moviepy(edit, audio=False).audio is None


def test_moviepy_composites_and_writes_a_clipkit_edit(portrait: str, tmp_path: Path) -> None:
    edit = ck.sequence([ck.open(portrait).trim(0, 1)], canvas=ck.Canvas(160, 284, 30))
    background = ColorClip((200, 320), color=(0, 0, 0), duration=1.0)
    composite = CompositeVideoClip([background, to_moviepy(edit).with_position((20, 18))])
    frame = composite.get_frame(10 / 30)
    assert mediagen.read_index(frame[18 : 18 + 284, 20 : 20 + 160, 1]) == 10
    out = tmp_path / "written_by_moviepy.mp4"
    composite.write_videofile(str(out), fps=30, codec="libx264", audio_codec="aac", logger=None)
    info = ck.probe(str(out))
    assert (info.video.display_width, info.video.display_height) == (200, 320)
    assert info.duration == pytest.approx(1.0, abs=0.1) and info.audio is not None


def test_to_moviepy_explains_a_missing_install(monkeypatch: pytest.MonkeyPatch, portrait: str) -> None:
    monkeypatch.setitem(sys.modules, "moviepy", None)  # import fails as when it is not installed
    edit = ck.sequence([ck.open(portrait).trim(0, 1)], canvas=ck.Canvas(160, 284, 30))
    with pytest.raises(ck.ClipkitError, match=r"clipkit\[interop\]"):
        to_moviepy(edit)
