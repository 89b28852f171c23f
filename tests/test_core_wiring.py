"""How the feature packages plug into the core: top-level names, fit modes loaded on first
use, the render context given to composite sources, transition fades on composite sound,
shared frames, and metadata that is not valid UTF-8."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

import clipkit as ck
from clipkit.edit.sources import Source
from clipkit.nodes import FrameNode, FrameTime, RenderContext
from clipkit.render.plan import plan_edit
from clipkit.render.profiles import get_profile


def test_every_public_name_resolves() -> None:
    for name in ck.__all__:
        assert getattr(ck, name) is not None, name
    assert ck.Text.__module__.startswith("clipkit.overlays")
    assert ck.duet.__module__.startswith("clipkit.layouts")
    assert ck.effect("contrast", amount=1.2).effect.id == "contrast"
    assert isinstance(ck.transition("wipe", duration=0.4, direction="left"), ck.TransitionNode)
    assert ck.timefx.speed is not None and ck.reframe.reframe is not None
    with pytest.raises(AttributeError):
        getattr(ck, "no_such_name")


def test_import_clipkit_stays_light() -> None:
    code = "import sys, clipkit; print(sorted(m for m in ('clipkit.overlays', 'clipkit.layouts', 'clipkit.music', 'clipkit.effects', 'librosa', 'moviepy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_smart_fit_is_known_without_importing_reframe() -> None:
    code = (
        "import clipkit as ck\n"
        "c = ck.color('#123456', duration=1).with_fit('smart')\n"
        "print(c.fit)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "smart"


def test_clip_time_methods(portrait: str) -> None:
    clip = ck.open(portrait).trim(0, 2.0)
    assert clip.with_speed(2.0).duration == pytest.approx(1.0, abs=1e-6)
    assert clip.with_speed(0.5).duration == pytest.approx(4.0, abs=1e-6)
    assert clip.reversed().duration == pytest.approx(2.0, abs=1e-6)
    assert clip.boomerang(loops=2).duration == pytest.approx(8.0, abs=1e-6)
    assert clip.with_freeze(1.0, 0.5).duration == pytest.approx(2.5, abs=1e-6)
    assert clip.with_ramp("hero").duration > 0
    with pytest.raises(ck.ParameterError, match="speed"):
        clip.with_speed(50.0)


class _ContextSource(Source):
    """A composite-style source that takes the render context and records it."""

    kind = "test"

    def __init__(self) -> None:
        self.seen: list[RenderContext | None] = []

    def frames(
        self, *, ctx: RenderContext, start: float, count: int, fps: Fraction, width: int, height: int, speed: float = 1.0
    ) -> Iterator[tuple[ck.Frame, float]]:
        self.seen.append(ctx)
        frame = ck.Frame.solid(width, height, (40, 80, 120)).shared()
        for k in range(count):
            yield frame, start + k / float(fps)


def test_composite_sources_get_the_render_context(tmp_path: Path) -> None:
    source = _ContextSource()
    clip = ck.Clip(source=source, start=0.0, end=0.5)
    edit = ck.sequence([clip], canvas=ck.Canvas(64, 112, fps=10))
    edit.render(str(tmp_path / "ctx.mp4"), profile="preview")
    assert len(source.seen) == 1
    ctx = source.seen[0]
    assert isinstance(ctx, RenderContext)
    assert (ctx.width, ctx.height) == (int(64 * ctx.scale), int(112 * ctx.scale)) and ctx.total_frames == 5


class _DrawInPlace(FrameNode):
    """Draws a white square into the frame it is given (after asking for a writable one)."""

    def bind(self, ctx: RenderContext) -> Any:
        def run(frame: ck.Frame, t: FrameTime) -> ck.Frame:
            frame = frame.writable()
            frame.y[: 8 + 4 * t.index, :8] = 235
            return frame

        return run


def test_repeated_frames_are_read_only_so_drawing_copies(tmp_path: Path) -> None:
    card = ck.color("#202020", duration=0.5)
    frames = list(card.source.frames(ctx=RenderContext(32, 32, Fraction(10)), start=0.0, count=3, fps=Fraction(10), width=32, height=32))
    assert frames[0][0] is frames[1][0]  # the same planes, handed out again
    assert not frames[0][0].y.flags.writeable
    with pytest.raises(ValueError):
        frames[0][0].y[0, 0] = 1
    edit = ck.sequence([card.with_effect(_DrawInPlace())], canvas=ck.Canvas(64, 64, fps=10))
    out = list(edit.frames(profile="preview"))
    # each frame's square grows by 4 rows only: nothing drawn earlier leaked into a later frame
    heights = [int((f.y[:, 2] > 200).sum()) for f in out]
    assert heights == [8 + 4 * k for k in range(5)]


def test_transition_crossfades_the_sound_of_composite_clips(portrait: str) -> None:
    a = ck.open(portrait).trim(0, 1.5).with_speed(0.5)  # a composite (time effect) source
    b = ck.open(portrait).trim(0, 1.5)
    edit = ck.sequence([a, b], canvas=ck.Canvas(160, 284, fps=30)).with_transition(1, ck.crossfade(0.4))
    plan = plan_edit(edit, get_profile("preview"))
    overlap = plan.shots[1].overlap
    assert overlap > 0
    fade = round(overlap * plan.sr / float(plan.fps))  # the overlap in samples
    assert fade == pytest.approx(0.4 * plan.sr, rel=0.1)
    first = [s for s in plan.segments if s.role == "original" and s.out_start == 0]
    second = [s for s in plan.segments if s.role == "original" and s.out_start > 0]
    assert len(first) == 1 and first[0].samples is not None  # the time effect's own sound
    assert second
    assert first[0].fade_out >= fade - 1
    assert second[0].fade_in >= fade - 1


def test_audio_with_metadata_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "tagged.wav"
    with av.open(str(path), "w", format="wav") as out:
        out.metadata["title"] = "QQQQQQQQ"
        stream = out.add_stream("pcm_s16le", rate=8000, layout="mono")
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 8000), np.int16), format="s16", layout="mono")
        frame.sample_rate = 8000
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    data = path.read_bytes()
    assert b"QQQQQQQQ" in data
    path.write_bytes(data.replace(b"QQQQQQQQ", b"\xff\xfe\xc3(\xa0\xa1QQ"))
    from clipkit.media.audio import load_audio

    assert ck.audio(str(path)).duration == pytest.approx(1.0, abs=0.01)
    samples, rate = load_audio(str(path), sr=8000)
    assert rate == 8000 and samples.shape[-1] == pytest.approx(8000, abs=10)


def test_allocator_arenas_are_capped_once_unless_the_environment_says_otherwise() -> None:
    import platform

    code = "from clipkit.render.memory import tune_allocator; print(tune_allocator(), tune_allocator())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert out == ([str(glibc)] * 2)
    env = {**os.environ, "MALLOC_ARENA_MAX": "4"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout.split()
    assert out == ["False", "False"]
