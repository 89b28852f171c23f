"""The executor: the frame stream (:mod:`clipkit.render.stream`) encoded, in threads.

Two threads share the work. A producer thread decodes (PyAV releases the GIL),
fits, applies effects, transitions and overlays, and puts finished frames in a small
bounded queue; the calling thread encodes them (x264 runs its own frame threads) and
interleaves AAC blocks from the streaming mixer. Memory is bounded by the queue depth
and the decoders' own buffers, whatever the length of the edit.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..audio.mix import Mixer
from ..edit.edit import Edit
from ..edit.sources import VideoSource
from ..errors import ClipkitError, ParameterError, RenderCancelled
from ..frame import Frame
from . import safety
from .encoder import Mp4Writer
from .memory import tune_allocator
from .plan import RenderPlan, plan_edit, sample_at
from .profile import StageProfile, StageProfiler
from .profiles import Profile, get_profile
from .stream import frame_stream, install_audio_processors

__all__ = ["RenderProgress", "RenderResult", "render_edit", "iter_edit_frames", "QUEUE_DEPTH"]

QUEUE_DEPTH = 3
"""Frames buffered between the producer and the encoder (bounds memory)."""


@dataclass(frozen=True, slots=True)
class RenderProgress:
    """A progress report.

    Attributes
    ----------
    frames_done, total_frames : int
        Encoded frames and frames in the output.
    elapsed : float
        Seconds since the render started.
    eta : float or None
        Estimated seconds left (``None`` until a few frames are done).
    fps : float
        Frames encoded per second so far.
    """

    frames_done: int
    total_frames: int
    elapsed: float
    eta: float | None
    fps: float

    @property
    def fraction(self) -> float:
        """Done share in [0, 1]."""
        return self.frames_done / self.total_frames if self.total_frames else 1.0


@dataclass(frozen=True, slots=True)
class RenderResult:
    """What a finished render produced.

    Attributes
    ----------
    path : str
        The file written.
    frames, duration, width, height
        Output frames, seconds and size.
    elapsed : float
        Wall seconds the render took.
    profile : str
        The upload profile used.
    stages : StageProfile or None
        Where the time went, stage by stage, when rendered with ``profile_stages=True``.
    """

    path: str
    frames: int
    duration: float
    width: int
    height: int
    elapsed: float
    profile: str
    stages: StageProfile | None = None

    @property
    def speed(self) -> float:
        """Output frames per wall-clock second."""
        return self.frames / self.elapsed if self.elapsed > 0 else float("inf")


def iter_edit_frames(edit: Edit, *, profile: str | Profile = "tiktok", start: int = 0, stop: int | None = None) -> Iterator[Frame]:
    """Iterate output frames without encoding (see :meth:`Edit.frames`)."""
    tune_allocator()
    plan = plan_edit(edit, get_profile(profile))
    return frame_stream(plan, start=start, stop=stop)


class _Producer(threading.Thread):
    """Runs the frame stream in a worker thread and hands frames over a bounded queue."""

    _END = object()

    def __init__(self, plan: RenderPlan, stop: threading.Event, profiler: StageProfiler | None = None) -> None:
        super().__init__(name="clipkit-frames", daemon=True)
        self.plan = plan
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_DEPTH)
        self.stop_event = stop
        self.error: BaseException | None = None
        self.profiler = profiler

    def _put(self, item: Any) -> bool:
        waited = time.perf_counter()
        try:
            while not self.stop_event.is_set():
                try:
                    self.queue.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False
        finally:
            if self.profiler is not None:
                self.profiler.add("queue: frames wait for the encoder", 0.0, time.perf_counter() - waited)

    def run(self) -> None:
        stream = frame_stream(self.plan, profiler=self.profiler)
        try:
            for frame in stream:
                if not self._put(frame):
                    return
            self._put(self._END)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer thread
            self.error = exc
            self._put(self._END)
        finally:
            stream.close()

    def frames(self, cancel: threading.Event | None) -> Iterator[Frame]:
        while True:
            if cancel is not None and cancel.is_set():
                raise RenderCancelled("render cancelled")
            waited = time.perf_counter()
            try:
                item = self.queue.get(timeout=0.1)
                if self.profiler is not None:
                    self.profiler.add("queue: encoder waits for frames", 0.0, time.perf_counter() - waited)
            except queue.Empty:
                if self.profiler is not None:
                    self.profiler.add("queue: encoder waits for frames", 0.0, time.perf_counter() - waited, calls=0)
                if not self.is_alive() and self.queue.empty():
                    if self.error is not None:
                        raise self.error
                    raise ClipkitError("frame producer stopped unexpectedly")
                continue
            if item is self._END:
                if self.error is not None:
                    raise self.error
                return
            yield item


def _source_metadata(edit: Edit) -> dict[str, str]:
    for clip in edit.clips:
        if isinstance(clip.source, VideoSource):
            return dict(clip.source.info.metadata)
    return {}


@safety.owns_signals  # SIGTERM/SIGHUP/SIGINT cancel cleanly when render() runs on the main thread
def render_edit(
    edit: Edit,
    path: str | os.PathLike[str],
    *,
    profile: str | Profile = "tiktok",
    progress: Callable[[RenderProgress], None] | None = None,
    cancel: threading.Event | None = None,
    keep_metadata: bool = False,
    overwrite: bool = True,
    profile_stages: bool = False,
    **encoder_options: Any,
) -> RenderResult:
    """Render ``edit`` to ``path`` (see :meth:`Edit.render`)."""
    started = time.perf_counter()
    profiler = StageProfiler() if profile_stages else None
    tune_allocator()  # flat memory in long renders (see clipkit.render.memory)
    prof = get_profile(profile)
    if encoder_options:
        prof = prof.with_options(**encoder_options)
    out = os.fspath(path)
    if not out.lower().endswith((".mp4", ".m4v", ".mov")):
        raise ParameterError(f"output: {out!r} must end in .mp4 (or .m4v/.mov); clipkit writes MP4")
    if os.path.isdir(out):
        raise ParameterError(f"output: {out!r} is a folder")
    if not overwrite and os.path.exists(out):
        raise ParameterError(f"output: {out!r} exists and overwrite=False")
    if profiler is not None:
        with profiler.stage("plan"):
            plan = plan_edit(edit, prof)
    else:
        plan = plan_edit(edit, prof)
    has_audio = True  # always write a track: silent if nothing sounds, as upload apps expect
    stop = threading.Event()
    producer = _Producer(plan, stop, profiler)
    mixer = Mixer(plan.segments, sr=plan.sr, total=plan.total_samples)
    audio_block = plan.sr // 2
    last_report = 0.0
    writer: Mp4Writer | None = None
    try:
        # inside the try: a source failing in the loudness pre-pass must not leak the
        # mixer's files, nor leave the writer's temporary file behind
        if profiler is not None:
            with profiler.stage("audio: finishing set-up (loudness pass)"):
                install_audio_processors(mixer, plan)
        else:
            install_audio_processors(mixer, plan)
        writer = Mp4Writer(
            out,
            width=plan.width,
            height=plan.height,
            fps=plan.fps,
            profile=prof,
            audio=has_audio,
            metadata=_source_metadata(edit) if keep_metadata else None,
        )
        if profiler is not None:
            writer.write_video = profiler.wrap("encode (frames handed to x264)", writer.write_video)  # type: ignore[method-assign]
            writer.write_audio = profiler.wrap("audio: AAC encode and mux", writer.write_audio)  # type: ignore[method-assign]
            mixer.read = profiler.wrap("audio: mix, ducking, loudness", mixer.read)  # type: ignore[method-assign]
        producer.start()
        lead_frames = int(2 * plan.fps)
        for frame in producer.frames(cancel):
            writer.write_video(frame)
            done = writer.frames_written
            # keep the audio half a second ahead of the video for good interleaving; while
            # the loudness pass still runs, video may lead by up to two seconds instead of
            # the first frames waiting for it (the muxer interleaves what it holds)
            want = min(plan.total_samples, sample_at(done, sr=plan.sr, fps=plan.fps) + audio_block)
            if done < lead_frames and not mixer.ready():
                want = mixer.position
            while mixer.position < want:
                writer.write_audio(mixer.read(min(audio_block, want - mixer.position)))
            if progress is not None:
                now = time.perf_counter()
                if now - last_report >= 0.2 or done == plan.total_frames:
                    last_report = now
                    elapsed = now - started
                    rate = done / elapsed if elapsed > 0 else 0.0
                    eta = (plan.total_frames - done) / rate if rate > 0 and done >= 5 else None
                    progress(RenderProgress(done, plan.total_frames, elapsed, eta, rate))
        if writer.frames_written != plan.total_frames:
            raise ClipkitError(f"rendered {writer.frames_written} frames, planned {plan.total_frames}")
        while mixer.position < plan.total_samples:
            writer.write_audio(mixer.read(min(audio_block, plan.total_samples - mixer.position)))
        if profiler is not None:
            with profiler.stage("encode: flush x264 and finish the file"):
                writer.finish()
        else:
            writer.finish()
    except BaseException:
        stop.set()
        if writer is not None:
            writer.abort()
        raise
    finally:
        stop.set()
        if producer.ident is not None:
            producer.join(timeout=30)
        mixer.close()
    return RenderResult(
        path=out,
        frames=plan.total_frames,
        duration=plan.duration,
        width=plan.width,
        height=plan.height,
        elapsed=time.perf_counter() - started,
        profile=prof.name,
        stages=profiler.finish(plan.total_frames) if profiler is not None else None,
    )
