"""What a warm batch worker stops paying per job: probes of unchanged files, the template
schema, the loudness pass in front of the first frame, heap pages a render freed; and a
template accepts an effect registered after import."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import av
import numpy as np
import psutil
import pytest

import clipkit as ck
import mediagen
from clipkit.audio.finishing import LoudnessMeter, LoudnessNormalizer, TruePeakMeter, install_finishing, plan_gains
from clipkit.audio.mix import Mixer, Segment
from clipkit.batch import LocalPool, batch_iter, prepare_jobs
from clipkit.batch.jobs import coerce_jobs
from clipkit.batch.worker import after_job
from clipkit.effects import Effect, Param
from clipkit.effects.registry import EFFECTS, register
from clipkit.errors import RenderCancelled, TemplateError
from clipkit.media import probe as probe_module
from clipkit.template import load_template, template_schema

TINY = """\
version: 1
canvas: {width: 160, height: 284, fps: 30}
slots:
  - {id: intro, min_duration: 0.5}
shots:
  - {slot: intro, duration: 0.5}
look: {name: vivid, strength: 0.5}
music: {start: 0}
"""


def count_opens(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every file PyAV opens from now on (the real ``av.open``, counted)."""
    opened: list[str] = []
    real = av.open

    def counting(path, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003 - PyAV's signature
        opened.append(os.fspath(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(av, "open", counting)
    return opened


def test_a_probe_is_remembered_until_its_file_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clip = str(tmp_path / "clip.mp4")
    mediagen.make_video(clip, width=64, height=48, frames=20)
    probe_module.clear_probe_cache()
    opened = count_opens(monkeypatch)
    first = ck.probe(clip)
    assert opened == [clip]
    again = ck.probe(clip)
    assert opened == [clip]  # answered without opening the file
    assert again == first
    again.metadata["edited"] = "by the caller"  # a caller's change does not reach the next answer
    assert "edited" not in ck.probe(clip).metadata
    # other options are other answers
    counted = ck.probe(clip, count_frames=True)
    assert opened == [clip, clip] and counted.video.frames == 20
    # the same path with new content: probed afresh
    mediagen.make_video(clip + ".new.mp4", width=96, height=64, frames=30)
    os.replace(clip + ".new.mp4", clip)
    fresh = ck.probe(clip)
    assert opened.count(clip) == 3
    assert (fresh.video.width, fresh.video.height) == (96, 64)
    # a file that is gone is an error, not a remembered answer
    os.unlink(clip)
    with pytest.raises(ck.errors.MediaError, match="file not found"):
        ck.probe(clip)


def test_the_cache_holds_a_bounded_number_of_probes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clip = tmp_path / "c0.mp4"
    mediagen.make_video(str(clip), width=32, height=32, frames=4)
    monkeypatch.setattr(probe_module, "PROBE_CACHE_SIZE", 3)
    probe_module.clear_probe_cache()
    for i in range(6):
        copy = tmp_path / f"copy{i}.mp4"
        shutil.copy(clip, copy)
        ck.probe(copy)
    assert len(probe_module._probes) == 3
    assert [key[0] for key in probe_module._probes] == [str(tmp_path / f"copy{i}.mp4") for i in (3, 4, 5)]


class _LateTint(Effect):
    """An effect a plug-in registers after clipkit and its templates were imported."""

    id = "test_late_tint"
    title = "Late tint"
    category = "color"
    params = (Param("amount", "float", 0.0, min=0.0, max=1.0, doc="0 leaves the picture as is", neutral=0.0),)
    example = {"amount": 0.5}

    def apply(self, image, p, state, time):  # noqa: ANN001, ANN201 - the Effect protocol
        return image

    def reference(self, image, p, state, time):  # noqa: ANN001, ANN201
        return image


def test_an_effect_registered_after_import_is_accepted_by_templates_and_batches(tmp_path: Path, portrait: str) -> None:
    (tmp_path / "late.yaml").write_text(TINY.replace("look: {name: vivid, strength: 0.5}\n", "effects: [{id: test_late_tint, amount: 0.5}]\n"))
    (tmp_path / "bad.yaml").write_text(TINY.replace("look: {name: vivid, strength: 0.5}\n", "effects: [{id: test_late_tint, amount: 3}]\n"))
    with pytest.raises(TemplateError, match=r"effects\[0\]\.id: 'test_late_tint' is not one of"):
        load_template(tmp_path / "late.yaml")  # the schema is made (and remembered) before the effect exists
    register(_LateTint, source="tests")
    try:
        template = load_template(tmp_path / "late.yaml")
        edit = template.build({"intro": portrait})
        assert edit.duration == pytest.approx(0.5)
        assert "test_late_tint" in template_schema()["properties"]["effects"]["items"]["properties"]["id"]["enum"]
        with pytest.raises(TemplateError, match=r"effects\[0\]\.amount: 3 is above the maximum 1\.0"):
            load_template(tmp_path / "bad.yaml")  # its parameters are checked like a built-in's
        (job,) = prepare_jobs(coerce_jobs([{"id": "late", "template": str(tmp_path / "late.yaml"), "clips": {"intro": portrait}}]),
                              output_dir=tmp_path / "out")
        assert job.error is None
    finally:
        EFFECTS.reload()  # forget it again: other tests list the effects
    assert "test_late_tint" not in template_schema()["properties"]["effects"]["items"]["properties"]["id"]["enum"]


def test_template_schema_hands_out_a_copy(tmp_path: Path) -> None:
    schema = template_schema()
    schema["properties"].clear()
    assert "shots" in template_schema()["properties"]


class _Plan:
    """What install_finishing reads of a RenderPlan."""

    def __init__(self, edit: ck.Edit, segments: list[Segment], sr: int, total: int) -> None:
        self.edit, self.segments, self.sr, self.total_samples = edit, tuple(segments), sr, total


def test_the_loudness_pass_runs_beside_the_render_and_gives_the_same_mix(tmp_path: Path) -> None:
    sr = 48000
    song = mediagen.make_audio(str(tmp_path / "song.m4a"), duration=4.0, sr=44100, container_format="mp4")
    edit = ck.sequence([ck.color("red", duration=4.0)])
    plan = _Plan(edit, [Segment(song, 0.0, 0, sr * 4, role="music", gain=0.2)], sr, sr * 4)

    def mix(block: int) -> tuple[np.ndarray, float]:
        with Mixer(plan.segments, sr=sr, total=plan.total_samples) as mixer:
            info = install_finishing(mixer, plan)
            assert any(t.name == "clipkit-loudness" for t in threading.enumerate())  # measuring meanwhile
            out = [mixer.read(min(block, plan.total_samples - mixer.position)) for _ in range(-(-plan.total_samples // block))]
        return np.concatenate(out, axis=1), info["gain_db"]

    a, gain_a = mix(sr // 2)
    b, gain_b = mix(777)
    assert gain_a == gain_b > 3  # a quiet song is brought up
    np.testing.assert_allclose(a, b, atol=1e-6)
    # the same as measuring first, then mixing, on one thread
    meter, peaks = LoudnessMeter(sr=sr, channels=2), TruePeakMeter(sr=sr)
    with Mixer(plan.segments, sr=sr, total=plan.total_samples) as raw:
        while raw.position < plan.total_samples:
            block = raw.read(sr)
            meter.add(block)
            peaks.add(block)
    gains, gain_db = plan_gains(meter.step_energy, meter.step, peaks.finish(), peaks.chunk, edit.loudness)
    assert gain_db == gain_a
    with Mixer(plan.segments, sr=sr, total=plan.total_samples) as serial:
        serial.master_processors.append(LoudnessNormalizer(gains, chunk=peaks.chunk))
        expected = np.concatenate([serial.read(sr // 2) for _ in range(8)], axis=1)
    np.testing.assert_allclose(a, expected, atol=1e-6)


def test_a_mixer_closed_before_its_loudness_is_measured_stops_the_measurement(tmp_path: Path) -> None:
    sr = 48000
    song = mediagen.make_audio(str(tmp_path / "long.m4a"), duration=30.0, sr=44100, container_format="mp4")
    edit = ck.sequence([ck.color("red", duration=30.0)])
    plan = _Plan(edit, [Segment(song, 0.0, 0, sr * 30, role="music")], sr, sr * 30)
    mixer = Mixer(plan.segments, sr=sr, total=plan.total_samples)
    info = install_finishing(mixer, plan, block=sr // 10)
    mixer.close()  # a render that failed or was cancelled before its first audio block
    assert not any(t.name == "clipkit-loudness" for t in threading.enumerate())
    with pytest.raises(RenderCancelled, match="before its loudness was measured"):
        info["gain_db"]


def test_after_job_returns_freed_heap_pages() -> None:
    process = psutil.Process()
    # 64 KB each (under glibc's mmap threshold: from the heap, as a render's small buffers), 128 MB in all
    blocks = [np.ones(8000) for _ in range(2000)]
    del blocks[::2]  # every other block freed: 64 MB of holes the heap cannot shrink past
    before = process.memory_info().rss
    spent = after_job()
    after = process.memory_info().rss
    assert spent < 5.0
    assert before - after > 32 * 2**20, f"RSS {before / 2**20:.0f} -> {after / 2**20:.0f} MB"
    del blocks


class _Holder:
    """A reference cycle holding a big buffer, as a sticker sprite that caches itself does."""

    def __init__(self) -> None:
        self.planes = np.ones(8 * 2**20)  # 64 MB
        self.sizes = {(1, 1): self}


def test_after_job_frees_the_reference_cycles_a_job_left() -> None:
    import gc
    import weakref

    process = psutil.Process()
    gc.disable()  # as in a warm worker whose heap makes full collections rare
    try:
        holder = _Holder()
        alive = weakref.ref(holder)
        del holder
        assert alive() is not None  # only the cycle collector can free it
        before = process.memory_info().rss
        after_job()
        assert alive() is None
        assert before - process.memory_info().rss > 32 * 2**20
    finally:
        gc.enable()


def test_a_frozen_warm_heap_still_lets_after_job_collect_a_jobs_cycles(tmp_path: Path) -> None:
    # a process of its own: freezing the test runner's heap would outlive the test; the
    # freeze warm_up ends with, without its kernel loading (seconds in a fresh process)
    code = """
import gc, json, weakref
import clipkit.template
from clipkit.batch.worker import _freeze_heap, after_job
_freeze_heap()
frozen = gc.get_freeze_count()
class Node: pass
a = Node(); a.me = a
alive = weakref.ref(a)
del a
gc.disable()
after_job()
print(json.dumps({"frozen": frozen, "cycle_freed": alive() is None}))
"""
    import json
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["frozen"] > 10_000  # the imports and kernels: out of every later collection
    assert result["cycle_freed"]


def test_one_worker_keeps_its_open_files_and_threads_flat_job_after_job(tmp_path: Path, portrait: str, song: str) -> None:
    (tmp_path / "t.yaml").write_text(TINY)
    jobs = [{"id": f"j{i}", "template": str(tmp_path / "t.yaml"), "clips": {"intro": portrait}, "music": song} for i in range(8)]
    seen = []
    with LocalPool(1, threads=1) as pool:
        for result in batch_iter(jobs, backend=pool, output_dir=tmp_path / "out"):
            assert result.status == "ok", result.error
            worker = psutil.Process(result.worker)
            time.sleep(0.2)  # the worker hands its memory back right after the result
            seen.append((worker.num_fds(), worker.num_threads()))
        assert len(set(pool.pids)) == 1
    assert len(seen) == 8
    assert len(set(seen[1:])) == 1, seen  # after the first job (fonts, caches) nothing grows


CLIP_FIXTURES = ("portrait", "landscape", "ntsc", "vfr", "late_video", "odd_size", "ten_bit", "surround", "mono", "sr44",
                 "anamorphic", "phone", "flash", "flash_late_video", "flash_late_audio", "flash_long", "flash_44k", "song")


def test_audio_opened_from_the_header_alone_decodes_as_the_fully_probed_file(request: pytest.FixtureRequest, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from clipkit.media import audio as audio_module

    files = [request.getfixturevalue(name) for name in CLIP_FIXTURES]
    codecs = av.codecs_available
    for codec, container, suffix in (("libmp3lame", "mp3", ".mp3"), ("pcm_s16le", "wav", ".wav"), ("libvorbis", "ogg", ".ogg"),
                                     ("libopus", "ogg", ".opus"), ("flac", "flac", ".flac"), ("aac", "adts", ".aac"),
                                     ("aac", "matroska", ".mkv")):
        if codec in codecs:  # whatever this FFmpeg build can write, in the containers users send
            files.append(mediagen.make_audio(str(tmp_path / f"tone-{codec}{suffix}"), duration=1.5, codec=codec,
                                             sr=48000 if codec == "libopus" else 44100, container_format=container))
    assert len(files) >= len(CLIP_FIXTURES) + 3

    def read(path: str, offset: float) -> tuple[np.ndarray, float]:
        with audio_module.AudioStreamReader(path, sr=48000, offset=offset) as reader:
            return reader.read(48000), reader._origin

    for path in files:
        for offset in (0.0, 1.3):
            monkeypatch.setattr(audio_module, "HEADER_ONLY", None)  # FFmpeg's full probe, as before
            full, full_origin = read(path, offset)
            monkeypatch.undo()
            quick, quick_origin = read(path, offset)
            assert quick_origin == full_origin, path
            np.testing.assert_array_equal(quick, full, err_msg=f"{path} at {offset} s")


def test_after_job_without_trim_collects_cycles_and_trim_heap_returns_the_pages() -> None:
    # the two halves of after_job apart: the cycles go with the collection, the freed
    # heap pages only with the trim
    import gc
    import weakref

    from clipkit.batch.worker import trim_heap

    process = psutil.Process()
    gc.disable()
    try:
        holder = _Holder()
        alive = weakref.ref(holder)
        del holder
        blocks = [np.ones(8000) for _ in range(2000)]  # 128 MB of 64 KB heap blocks
        del blocks[::2]
        after_job(trim=False)
        assert alive() is None  # the cycle is gone either way
        kept = process.memory_info().rss
        assert trim_heap()  # glibc: the holes go back to the system now
        assert kept - process.memory_info().rss > 32 * 2**20
        del blocks
    finally:
        gc.enable()
