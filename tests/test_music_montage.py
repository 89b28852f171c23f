"""Montages rendered for real: every cut within one output frame of its planned beat."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

import clipkit as ck
from clipkit.cli.main import main
from clipkit.errors import ParameterError, TemplateError
from clipkit.music import PLAN_KEY, analyze, montage, score_clip
from clipkit.render.plan import music_analysis as analysis_for_edit
from clipkit.music.synth import drum_track, write_audio

import mediagen

CANVAS = ck.Canvas(160, 288, fps=30)


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLIPKIT_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "music-cache"))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("montage")


@pytest.fixture(scope="module")
def song(folder: Path) -> str:
    """16 s at 128 BPM, louder from 7.5 s (the first beat at 0.3 s)."""
    track = drum_track(128.0, 16.0, pattern="four_on_floor", seed=2, start=0.3, drop=0.3 + 16 * 60 / 128)
    return write_audio(str(folder / "song.m4a"), np.stack([track.y, track.y]), track.sr)


@pytest.fixture(scope="module")
def clips(folder: Path) -> list[str]:
    """Three 3 s clips whose frames carry their index; no sound."""
    return [mediagen.make_video(str(folder / f"clip{i}.mp4"), frames=90, hue=i, audio=False) for i in range(3)]


def _cut_frames(path: str) -> tuple[list[int], int]:
    """Output frames where the source index stops advancing by one (a cut)."""
    indices = []
    with av.open(path) as container:
        for frame in container.decode(video=0):
            indices.append(mediagen.read_index(frame.to_ndarray(format="gray")))
    cuts = [k for k in range(1, len(indices)) if indices[k] != indices[k - 1] + 1]
    return cuts, len(indices)


@pytest.mark.parametrize(("mode", "every"), [("auto", 1), ("beats", 3)])
def test_rendered_cuts_land_on_their_beats(song: str, clips: list[str], folder: Path, mode: str, every: int) -> None:
    edit = montage(clips, song, mode=mode, every=every, duration=6.0, canvas=CANVAS, max_shot=2.0)
    plan = getattr(edit, PLAN_KEY)
    assert len(plan.shots) >= 3
    out = str(folder / f"montage-{mode}.mp4")
    edit.render(out, profile="preview")
    cuts, frames = _cut_frames(out)
    assert frames == plan.total_frames
    assert len(cuts) == len(plan.cut_frames)
    fps = float(CANVAS.fps)
    song_beats = analyze(song).beats
    start = edit.tracks[0].clip.start
    for detected, planned, beat in zip(cuts, plan.cut_frames, plan.cut_times):
        assert abs(detected - planned) <= 1
        assert abs(detected - beat * fps) <= 1.0  # within one frame of its beat
        assert np.min(np.abs(song_beats - (start + beat))) < 1e-6  # a real beat of the song


def test_montage_fits_the_song_and_ends_on_a_bar(song: str, clips: list[str]) -> None:
    edit = montage(clips, song, duration=5.0, canvas=CANVAS)
    plan = getattr(edit, PLAN_KEY)
    music = edit.tracks[0]
    a = analyze(song)
    start = music.clip.start
    assert np.isclose(a.downbeats, start, atol=1e-6).any()  # starts on a bar line...
    assert a.strongest_section is not None and abs(start - a.strongest_section.start) < 0.6  # ...of the drop
    end = start + plan.duration
    assert np.min(np.abs(a.downbeats - end)) <= 0.5 / 30 + 1e-6  # ends on a bar line
    assert music.fade_out > 0
    assert edit.original_volume == 0.0


def test_montage_cycles_clips_and_picks_different_moments(song: str, clips: list[str]) -> None:
    edit = montage(clips[:1], song, mode="beats", duration=6.0, canvas=CANVAS, start=0.3)
    spans = [(s.clip.start, s.clip.end) for s in edit.shots]
    assert len(spans) > 3
    first_two = spans[:2]
    assert first_two[0] != first_two[1]
    for a, b in spans:
        assert 0 <= a < b <= 3.0 + 1e-6


def test_window_scoring_prefers_motion(folder: Path) -> None:
    # 2 s still, then 2 s of a moving disc
    path = str(folder / "still-then-moving.mp4")
    with av.open(path, "w") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 128, 128, "yuv420p"
        for i in range(120):
            img = np.full((128, 128, 3), 90, np.uint8)
            x = 20 if i < 60 else 20 + (i - 60) * 3 % 90
            img[50:80, x : x + 30] = 240
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    clip = ck.open(path)
    scores = score_clip(clip)
    assert scores.best(1.5) >= 2.0 - 0.3
    from clipkit.music import best_window

    assert best_window(clip, 1.5, scores=scores) == pytest.approx(scores.best(1.5))


def test_analysis_for_edit_is_on_the_output_timeline(song: str, clips: list[str]) -> None:
    base = ck.sequence([ck.open(c) for c in clips], canvas=CANVAS)  # 9 s
    a = analyze(song)
    edit = base.with_music(ck.audio(song), start=4.0, at=1.0)
    out = analysis_for_edit(edit)
    expected = a.beats[(a.beats >= 4.0) & (a.beats < 12.0)] - 3.0
    np.testing.assert_allclose(out.beats, expected)
    assert out.tempo == pytest.approx(a.tempo)
    assert out.beats.min() >= 1.0 and out.beats.max() < 9.0
    assert analysis_for_edit(base) is None
    # a looped short span repeats its beats
    loop = base.with_music(ck.audio(song).trim(0.3, 0.3 + 60 / 128 * 4), loop=True)
    looped = analysis_for_edit(loop)
    assert looped.beats.size >= 2 * 4 * 2
    assert np.all(np.diff(looped.beats) > 0)


def test_template_cuts_section(song: str, clips: list[str], folder: Path) -> None:
    from clipkit.template import load_template

    doc = {
        "version": 1,
        "canvas": {"width": 160, "height": 288, "fps": 30},
        "slots": [{"id": "a"}, {"id": "b"}, {"id": "c"}],
        "music": {"file": song, "start": 0.3},
        "cuts": {"on": "bars"},
        "shots": [
            {"slot": "a", "duration": 2.0},
            {"slot": "b", "start": 0.5, "duration": 1.5},
            {"slot": "c", "duration": 2.0, "transition": {"type": "crossfade", "duration": 0.4}},
        ],
    }
    template = load_template(doc, allowed_roots=(str(folder),))
    edit = template.build({"a": clips[0], "b": clips[1], "c": clips[2]})
    plan = getattr(edit, PLAN_KEY)
    bar = 4 * 60 / 128
    assert len(plan.shots) == 3
    assert plan.durations == pytest.approx([bar] * 3, abs=1 / 30)
    assert edit.shots[1].clip.start == pytest.approx(0.5)  # pinned start kept
    # the crossfade is centred on the cut: half an overlap on each side
    assert edit.shots[1].clip.duration == pytest.approx(plan.shots[1].duration + 0.2, abs=1e-6)
    assert edit.duration == pytest.approx(plan.duration, abs=1e-6)
    with pytest.raises(TemplateError, match="cuts.on"):
        load_template({**doc, "cuts": {"on": "bar"}})
    with pytest.raises(TemplateError, match="cuts"):
        load_template({**doc, "music": {"required": False}}, allowed_roots=(str(folder),)).build({"a": clips[0], "b": clips[1], "c": clips[2]})


def test_montage_rejects_bad_input(song: str, clips: list[str]) -> None:
    with pytest.raises(ParameterError):
        montage([], song)
    with pytest.raises(ParameterError):
        montage(clips, song, mode="fast")
    with pytest.raises(ParameterError):
        montage([42], song)  # type: ignore[list-item]


def test_cli_beats_json_and_plot(song: str, folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png = folder / "beats.png"
    assert main(["beats", song, "--json", "--plot", str(png), "--duration", "6"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tempo"] == pytest.approx(128.0, rel=0.02)
    assert data["montage"]["shots"] and len(data["montage"]["song_cut_times"]) == len(data["montage"]["cut_times"])
    import cv2

    img = cv2.imread(str(png))
    assert img is not None and img.shape[1] == 1600
    assert main(["beats", song]) == 0
    assert "BPM" in capsys.readouterr().out
    assert main(["beats", str(folder / "missing.mp3")]) == 2


def test_cli_montage(song: str, clips: list[str], folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = folder / "cli.mp4"
    code = main(["montage", *clips, "--music", song, "-o", str(out), "--duration", "4", "--profile", "preview", "--quiet", "--mode", "bars"])
    assert code == 0
    assert out.is_file()
    assert "shots" in capsys.readouterr().out
    with av.open(str(out)) as c:
        assert c.streams.video[0].average_rate == Fraction(30)


def test_top_level_names_are_lazy() -> None:
    import subprocess
    import sys

    code = "import sys, clipkit as ck; before = 'clipkit.music' in sys.modules; f = ck.analyze; print(before, f.__module__, ck.montage.__module__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "clipkit.music.analysis", "clipkit.music.montage"]


def test_voice_over_sets_the_length_and_ducks_the_music(song: str, clips: list[str], folder: Path) -> None:
    voice_track = np.zeros((2, int(48000 * 3.3)), np.float32)
    voice_track[:, 4800:-4800] = 0.2 * np.sin(2 * np.pi * 200 * np.arange(voice_track.shape[1] - 9600) / 48000)
    voice = write_audio(str(folder / "voice.wav"), voice_track, 48000)
    edit = montage(clips, song, voice=voice, canvas=CANVAS)
    plan = getattr(edit, PLAN_KEY)
    assert plan.duration >= 3.3 - 1 / 30
    bar = 4 * 60 / 128
    assert plan.duration <= 3.3 + bar
    roles = [t.role for t in edit.tracks]
    assert roles == ["music", "voice"] and edit.original_volume == 0.0
    from clipkit.audio.finishing import DuckingSettings

    duck = edit.ducking
    assert isinstance(duck, DuckingSettings) and "voice" in duck.under
