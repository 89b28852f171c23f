"""Errors, atomic output, cancellation, concurrency and resource use over many renders."""

from __future__ import annotations

import gc
import pickle
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest

import clipkit as ck
from mediagen import decode_output, read_index

SMALL = ck.Canvas(160, 284, 30)
TINY = ck.Canvas(64, 64, 30)


class Raise:
    """An effect node that raises ``exc_type(message)`` at output frame ``at``."""

    def __init__(self, at: int, exc_type: type[BaseException], message: str = "") -> None:
        self.at = at
        self.exc_type = exc_type
        self.message = message
        self.seen: list[int] = []

    def bind(self, ctx: ck.RenderContext):  # noqa: ANN201 - a bound node
        def apply(frame: ck.Frame, time: ck.FrameTime) -> ck.Frame:
            self.seen.append(time.index)
            if time.index == self.at:
                raise self.exc_type(self.message)  # a fresh exception each time
            return frame

        return apply


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# -- the hierarchy ---------------------------------------------------------------------------
def test_hierarchy() -> None:
    assert issubclass(ck.MediaError, ck.ClipkitError) and issubclass(ck.MediaError, OSError)
    assert issubclass(ck.ParameterError, ck.ClipkitError) and issubclass(ck.ParameterError, ValueError)
    assert issubclass(ck.TemplateError, ck.ClipkitError) and issubclass(ck.TemplateError, ValueError)
    assert issubclass(ck.FontError, LookupError) and issubclass(ck.PluginError, ImportError)
    assert issubclass(ck.RenderCancelled, ck.ClipkitError)


def test_errors_survive_pickling() -> None:
    """Worker pools send exceptions between processes."""
    err = pickle.loads(pickle.dumps(ck.MediaError("a.mp4", "is broken")))
    assert isinstance(err, ck.MediaError) and str(err) == "a.mp4: is broken" and err.path == "a.mp4"
    terr = pickle.loads(pickle.dumps(ck.TemplateError("-1 is below 0", path="t.yaml", field="shots[1].start")))
    assert str(terr) == "t.yaml: shots[1].start: -1 is below 0" and terr.field == "shots[1].start"


# -- bad files --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("empty", "empty"),
        ("garbage", "not a media file"),
        ("text", "not a media file"),
        ("truncated_index", "not a media file"),
    ],
)
def test_unreadable_files(kind: str, words: str, broken: dict[str, str]) -> None:
    path = broken[kind]
    for call in (ck.open, ck.probe, ck.audio):
        with pytest.raises(ck.MediaError) as info:
            call(path)
        assert path in str(info.value) and words in str(info.value)
        assert isinstance(info.value, OSError)
        assert "\n" not in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    path = str(tmp_path / "nope.mp4")
    for call in (ck.open, ck.probe, ck.audio, ck.image):
        with pytest.raises(ck.MediaError, match="file not found") as info:
            call(path)
        assert path in str(info.value)


def test_folder_is_not_media(tmp_path: Path) -> None:
    with pytest.raises(ck.MediaError, match="folder"):
        ck.probe(tmp_path)


def test_truncated_file_fails_when_opened(broken: dict[str, str]) -> None:
    path = broken["truncated_data"]
    with pytest.raises(ck.MediaError, match="truncated") as info:
        ck.open(path)
    assert path in str(info.value)


def test_truncated_file_fails_at_render_and_leaves_nothing(broken: dict[str, str], out_dir: Path) -> None:
    path = broken["truncated_long"]
    clip = ck.open(path)  # the damage is past what probing reads
    assert clip.duration == pytest.approx(11.0)
    head = ck.sequence([clip.trim(0, 0.5)], canvas=TINY)
    assert [read_index(f.y, (16, 16, 32)) for f in head.frames()] == list(range(15))  # the start is fine
    with pytest.raises(ck.MediaError, match="truncated") as info:
        ck.sequence([clip.trim(10.0)], canvas=TINY).render(out_dir / "o.mp4", preset="ultrafast")
    assert path in str(info.value)
    assert leftovers(out_dir) == []


def test_truncated_sound_fails_and_leaves_nothing(broken: dict[str, str], out_dir: Path) -> None:
    path = broken["truncated_av"]
    with pytest.raises(ck.MediaError, match="corrupt or truncated") as info:
        ck.sequence([ck.open(path)], canvas=TINY).render(out_dir / "o.mp4", preset="ultrafast")
    assert path in str(info.value)
    assert leftovers(out_dir) == []


def test_audio_only_file_is_not_a_clip(song: str) -> None:
    with pytest.raises(ck.MediaError, match="no video stream") as info:
        ck.open(song)
    assert song in str(info.value) and "--music FILE" in str(info.value)  # what to do with it, on the CLI too
    assert ck.audio(song).duration == pytest.approx(3.0, abs=0.05)


def test_video_without_sound_is_not_music(no_audio: str) -> None:
    with pytest.raises(ck.MediaError, match="no audio stream"):
        ck.audio(no_audio)


def test_video_is_not_an_image(portrait: str) -> None:
    with pytest.raises(ck.ParameterError, match="not a still image"):
        ck.image(portrait)


# -- bad parameters ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"width": 161, "height": 284}, "canvas.width: 161 is odd"),
        ({"width": 160, "height": 8}, "canvas.height: 8 is outside 16..4096"),
        ({"width": 160.0, "height": 284}, "canvas.width: 160.0 is not a whole number"),
        ({"fps": 0}, "fps: 0 is outside 1..240"),
        ({"fps": "fast"}, "fps: 'fast' is not a frame rate"),
        ({"background": "nocolour"}, "canvas.background: 'nocolour' is not a colour"),
        ({"background": (300, 0, 0)}, "canvas.background"),
    ],
)
def test_bad_canvas(kwargs: dict[str, object], words: str) -> None:
    with pytest.raises(ck.ParameterError) as info:
        ck.Canvas(**kwargs)  # type: ignore[arg-type]
    assert words in str(info.value)


def test_trim_past_the_end_names_the_file(portrait: str) -> None:
    clip = ck.open(portrait)
    with pytest.raises(ck.ParameterError) as info:
        clip.trim(5.0)
    assert portrait in str(info.value) and "past the end" in str(info.value) and "3.000 s" in str(info.value)
    with pytest.raises(ck.ParameterError, match="trim.end.*past the end"):
        clip.trim(0, 10)
    with pytest.raises(ck.ParameterError, match="trim.end: 0.5 is not after trim.start 1"):
        clip.trim(1, 0.5)
    with pytest.raises(ck.ParameterError, match="trim.start: -1 is below 0"):
        clip.trim(-1)
    with pytest.raises(ck.ParameterError, match="trim.start: nan is not a finite number"):
        clip.trim(float("nan"))
    with pytest.raises(ck.ParameterError, match="not both"):
        clip.trim(0, 1, duration=1)
    with pytest.raises(ck.ParameterError, match="past the end"):
        clip.trim(2.0).trim(1.5)  # relative to the first trim: source 3.5 s


@pytest.mark.parametrize(("value", "words"), [(5, "volume: 5 is above the maximum 4"), (-1, "volume: -1 is below 0"), ("loud", "volume: 'loud' is not a finite number")])
def test_bad_volume(portrait: str, value: object, words: str) -> None:
    with pytest.raises(ck.ParameterError) as info:
        ck.open(portrait).with_volume(value)  # type: ignore[arg-type]
    assert words in str(info.value)


def test_bad_music_settings(portrait: str, song: str) -> None:
    edit = ck.sequence([ck.open(portrait)], canvas=TINY)
    with pytest.raises(ck.ParameterError, match="volume: 9 is outside 0..4"):
        edit.with_music(ck.audio(song), volume=9)
    with pytest.raises(ck.ParameterError, match="fade_in: -1"):
        edit.with_music(ck.audio(song), fade_in=-1)
    with pytest.raises(ck.ParameterError, match="not an AudioClip"):
        edit.with_music(song)  # type: ignore[arg-type]
    with pytest.raises(ck.ParameterError, match="original_volume"):
        edit.with_original_volume(-0.5)


def test_bad_crop(portrait: str) -> None:
    clip = ck.open(portrait)
    with pytest.raises(ck.ParameterError, match=r"reaches outside the 160x284 source"):
        clip.crop(100, 0, 100, 100)
    with pytest.raises(ck.ParameterError, match="at least 2x2"):
        clip.crop(-1, 0, 10, 10)
    with pytest.raises(ck.ParameterError, match="crop.width: 10.5 is not a whole number"):
        clip.crop(0, 0, 10.5, 10)  # type: ignore[arg-type]


def test_bad_fit_and_sequence(portrait: str) -> None:
    clip = ck.open(portrait)
    with pytest.raises(ck.ParameterError, match="'zoom' is not a fit mode; use one of cover, contain, blur, stretch"):
        clip.with_fit("zoom")
    with pytest.raises(ck.ParameterError, match="'zoom' is not a fit mode"):
        ck.sequence([clip], fit="zoom")
    with pytest.raises(ck.ParameterError, match="at least one clip"):
        ck.sequence([])
    with pytest.raises(ck.ParameterError, match=r"clips\[1\]: 'b.mp4' is not a clip"):
        ck.sequence([clip, "b.mp4"])  # type: ignore[list-item]
    with pytest.raises(ck.ParameterError, match="canvas"):
        ck.sequence([clip], canvas=(160, 284))  # type: ignore[arg-type]
    with pytest.raises(ck.ParameterError, match=r"shorter of the two shots \(0.500 s\)"):
        ck.sequence([clip.trim(0, 0.5), clip.trim(0, 1)], transitions=ck.crossfade(0.8))
    with pytest.raises(ck.ParameterError, match="2 given for 1 cuts"):
        ck.sequence([clip, clip], transitions=[ck.crossfade(0.2), None])
    with pytest.raises(ck.ParameterError, match="crossfade.duration"):
        ck.crossfade(0)


def test_shot_shorter_than_a_frame(portrait: str, out_dir: Path) -> None:
    edit = ck.sequence([ck.open(portrait).trim(0, 0.01)], canvas=TINY)
    with pytest.raises(ck.ParameterError, match="less than one frame"):
        edit.render(out_dir / "o.mp4")
    assert leftovers(out_dir) == []


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"profile": "tiktokk"}, "profile: 'tiktokk' is not a profile; use one of tiktok, reels"),
        ({"crff": 20}, "profile option 'crff' is unknown; known options: "),
        ({"preset": "turbo"}, "profile.preset: 'turbo' is not an x264 preset"),
        ({"crf": 99}, "profile.crf: 99 is outside 0..51"),
        ({"sample_rate": 12345}, "profile.sample_rate: 12345"),
        ({"scale": 0}, "profile.scale: 0 must be in (0, 1]"),
    ],
)
def test_bad_profile_options(portrait: str, out_dir: Path, options: dict[str, object], words: str) -> None:
    edit = ck.sequence([ck.open(portrait)], canvas=TINY)
    with pytest.raises(ck.ParameterError) as info:
        edit.render(out_dir / "o.mp4", **options)  # type: ignore[arg-type]
    assert words in str(info.value)
    assert leftovers(out_dir) == []


def test_bad_output_path(portrait: str, out_dir: Path) -> None:
    edit = ck.sequence([ck.open(portrait)], canvas=TINY)
    with pytest.raises(ck.ParameterError, match="must end in .mp4"):
        edit.render(out_dir / "o.avi")
    (out_dir / "sub.mp4").mkdir()
    with pytest.raises(ck.ParameterError, match="is a folder"):
        edit.render(out_dir / "sub.mp4")
    with pytest.raises(ck.MediaError, match="does not exist"):
        edit.render(out_dir / "missing" / "o.mp4")
    assert leftovers(out_dir) == ["sub.mp4"]


# -- atomic output ---------------------------------------------------------------------------------
def test_effect_error_leaves_nothing(portrait: str, out_dir: Path) -> None:
    node = Raise(40, RuntimeError, "effect exploded")
    edit = ck.sequence([ck.open(portrait)], canvas=TINY).with_effect(node)
    with pytest.raises(RuntimeError, match="effect exploded"):
        edit.render(out_dir / "o.mp4", preset="ultrafast")
    assert node.seen[-1] == 40
    assert leftovers(out_dir) == []


def test_failure_keeps_the_previous_file(portrait: str, out_dir: Path) -> None:
    out = out_dir / "o.mp4"
    out.write_bytes(b"the previous render")
    edit = ck.sequence([ck.open(portrait)], canvas=TINY).with_effect(Raise(20, RuntimeError, "boom"))
    with pytest.raises(RuntimeError):
        edit.render(out, preset="ultrafast")
    assert out.read_bytes() == b"the previous render"
    assert leftovers(out_dir) == ["o.mp4"]


def test_keyboard_interrupt_in_a_node_leaves_nothing(portrait: str, out_dir: Path) -> None:
    edit = ck.sequence([ck.open(portrait)], canvas=TINY).with_effect(Raise(30, KeyboardInterrupt))
    threads = threading.active_count()
    with pytest.raises(KeyboardInterrupt):
        edit.render(out_dir / "o.mp4", preset="ultrafast")
    assert leftovers(out_dir) == []
    assert threading.active_count() == threads


def test_keyboard_interrupt_in_the_calling_thread_leaves_nothing(portrait: str, out_dir: Path) -> None:
    """Ctrl-C arrives in the thread that called render (here: from the progress callback)."""

    def progress(p: ck.RenderProgress) -> None:
        if p.frames_done >= p.total_frames:  # the very last moment before the file is finished
            raise KeyboardInterrupt

    threads = threading.active_count()
    with pytest.raises(KeyboardInterrupt):
        ck.sequence([ck.open(portrait).trim(0, 1)], canvas=TINY).render(out_dir / "o.mp4", preset="ultrafast", progress=progress)
    assert leftovers(out_dir) == []
    assert threading.active_count() == threads


def test_cancel_from_another_thread(portrait: str, out_dir: Path) -> None:
    cancel = threading.Event()
    reached = threading.Event()

    class Gate:
        """Holds the render at frame 10 until the other thread has cancelled it."""

        def bind(self, ctx: ck.RenderContext):  # noqa: ANN201
            def apply(frame: ck.Frame, time: ck.FrameTime) -> ck.Frame:
                if time.index == 10:
                    reached.set()
                    cancel.wait(30)
                return frame

            return apply

    def canceller() -> None:
        reached.wait(30)
        cancel.set()

    other = threading.Thread(target=canceller)
    other.start()
    threads = threading.active_count()
    edit = ck.sequence([ck.open(portrait)], canvas=TINY).with_effect(Gate())
    with pytest.raises(ck.RenderCancelled):
        edit.render(out_dir / "o.mp4", preset="ultrafast", cancel=cancel)
    other.join()
    assert leftovers(out_dir) == []
    assert threading.active_count() <= threads


def test_cancel_before_start(portrait: str, out_dir: Path) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(ck.RenderCancelled):
        ck.sequence([ck.open(portrait)], canvas=TINY).render(out_dir / "o.mp4", preset="ultrafast", cancel=cancel)
    assert leftovers(out_dir) == []


def test_error_while_iterating_frames_closes_readers(portrait: str) -> None:
    before = psutil.Process().num_fds()
    edit = ck.sequence([ck.open(portrait)], canvas=TINY).with_effect(Raise(5, RuntimeError, "stop"))
    with pytest.raises(RuntimeError):
        list(edit.frames())
    frames = edit.frames()
    next(frames)
    frames.close()  # abandoned generator
    gc.collect()
    assert psutil.Process().num_fds() <= before


# -- concurrency and resources ---------------------------------------------------------------------
def test_concurrent_renders(portrait: str, portrait_b: str, fps60: str, out_dir: Path) -> None:
    jobs = {
        "a.mp4": (ck.sequence([ck.open(portrait).trim(1.0, 2.0)], canvas=SMALL), list(range(30, 60))),
        "b.mp4": (ck.sequence([ck.open(portrait_b).trim(0.5, 1.5)], canvas=SMALL), list(range(15, 45))),
        "c.mp4": (ck.sequence([ck.open(fps60).trim(0, 1)], canvas=SMALL), list(range(0, 60, 2))),
    }

    def run(name: str) -> list[int]:
        jobs[name][0].render(out_dir / name, preset="ultrafast")
        lumas, audio, _ = decode_output(str(out_dir / name))
        assert audio.shape[1] >= 48000 - 1024
        return [read_index(y) for y in lumas]

    with ThreadPoolExecutor(3) as pool:
        results = dict(zip(jobs, pool.map(run, jobs)))
    for name, (_, expected) in jobs.items():
        assert results[name] == expected, name
    assert leftovers(out_dir) == sorted(jobs)


def test_same_edit_rendered_concurrently(portrait: str, out_dir: Path) -> None:
    edit = ck.sequence([ck.open(portrait).trim(0, 1)], canvas=TINY)
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda n: edit.render(out_dir / f"{n}.mp4", preset="ultrafast"), range(2)))
    a, b = (decode_output(str(out_dir / f"{n}.mp4"))[0] for n in range(2))
    assert len(a) == len(b) == 30
    assert [read_index(y) for y in a] == list(range(30))
    assert video_packets(out_dir / "0.mp4") == video_packets(out_dir / "1.mp4")  # deterministic output


def video_packets(path: Path) -> list[bytes]:
    import av

    with av.open(str(path)) as c:
        return [bytes(p) for p in c.demux(video=0) if p.size]


def test_many_renders_leak_nothing(portrait: str, index_png: str, song: str, out_dir: Path) -> None:
    """200 small renders: open files, threads and memory stay flat."""
    clip = ck.open(portrait)
    edits = [
        ck.sequence([clip.trim(0, 0.1)], canvas=TINY),
        ck.sequence([ck.image(index_png, duration=0.1), ck.color("red", duration=0.1)], canvas=TINY).with_music(ck.audio(song)),
        ck.sequence([clip.trim(1.0, 1.2), clip.trim(2.0, 2.2)], canvas=TINY, transitions=ck.crossfade(0.1)),
        ck.sequence([clip.trim(0, 0.1)], canvas=TINY).with_effect(Raise(2, RuntimeError, "fail")),
    ]
    proc = psutil.Process()
    out = out_dir / "o.mp4"

    def render(i: int) -> None:
        try:
            edits[i % len(edits)].render(out, preset="ultrafast")
        except RuntimeError:
            pass

    for i in range(20):  # warm up caches, encoders, allocator pools
        render(i)
    gc.collect()
    fds, threads, rss = proc.num_fds(), threading.active_count(), proc.memory_info().rss
    for i in range(200):
        render(i)
    gc.collect()
    assert proc.num_fds() <= fds
    assert threading.active_count() <= threads
    assert proc.memory_info().rss - rss < 40 * 1024 * 1024
    assert leftovers(out_dir) == ["o.mp4"]
