"""Shared helpers for the benchmark scripts: generated media and measured child runs.

Every measured variant runs in its own child process, so peak memory is that
variant's alone; the parent samples the RSS of the child and its children (moviepy
and the ffmpeg CLI spawn encoders) every 20 ms and also reads the child's own peak
from ``wait4``.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

HERE = Path(__file__).resolve().parent
MEDIA = HERE / ".media"

# the same x264 settings for every variant (those of the tiktok profile)
X264 = {
    "preset": "veryfast",
    "crf": 23,
    "maxrate_kbps": 8000,
    "bufsize_kbps": 16000,
    "gop": 60,
    "keyint_min": 30,
    "profile": "high",
}


def ffmpeg_exe() -> str:
    """The ffmpeg binary shipped in the imageio-ffmpeg wheel."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def make_clip(path: Path, *, width: int, height: int, seconds: float, fps: int = 30, seed: int = 0, audio: bool = True) -> Path:
    """A clip with real motion and texture (gradients, moving shapes, noise), encoded
    at high quality so decoding costs what a phone clip costs."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    frames = int(seconds * fps)
    tmp = path.with_suffix(".tmp.mp4")
    with av.open(str(tmp), "w") as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = width, height, "yuv420p"
        vs.options = {"preset": "ultrafast", "crf": "20"}
        vs.codec_context.thread_type = "FRAME"
        aus = None
        if audio:
            aus = out.add_stream("aac", rate=48000)
            aus.layout = "stereo"
        yy, xx = np.mgrid[0:height:4, 0:width:4].astype(np.float32)
        noise = rng.integers(0, 24, (height, width), dtype=np.uint8)
        import cv2

        for i in range(frames):
            t = i / fps
            small = (127 + 100 * np.sin(xx / 90.0 + t * (1.3 + seed)) * np.cos(yy / 130.0 - t)).astype(np.uint8)
            y = cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
            y = cv2.add(y, np.roll(noise, i * 3, axis=1))
            cx = int(width * (0.5 + 0.4 * math.sin(t * 1.7 + seed)))
            cy = int(height * (0.5 + 0.4 * math.cos(t * 1.1)))
            cv2.circle(y, (cx, cy), width // 8, 235, -1)
            u = np.full((height // 2, width // 2), 128 + int(40 * math.sin(t + seed)), np.uint8)
            v = np.full((height // 2, width // 2), 128 + int(40 * math.cos(t * 0.7)), np.uint8)
            frame = av.VideoFrame.from_numpy_buffer(np.concatenate([y, u.reshape(-1, width), v.reshape(-1, width)]), format="yuv420p")
            frame.pts = i
            out.mux(vs.encode(frame))
        out.mux(vs.encode(None))
        if aus is not None:
            _encode_tone(out, aus, seconds, 220.0 + 50 * seed)
    os.replace(tmp, path)
    return path


def _encode_tone(out: av.container.OutputContainer, stream: av.audio.stream.AudioStream, seconds: float, hz: float) -> None:
    sr = stream.rate
    n = int(seconds * sr)
    t = np.arange(n) / sr
    data = np.tile((0.2 * np.sin(2 * np.pi * hz * t)).astype(np.float32), (2, 1))
    for s in range(0, n, 1024):
        af = av.AudioFrame.from_ndarray(np.ascontiguousarray(data[:, s : s + 1024]), format="fltp", layout="stereo")
        af.sample_rate = sr
        af.pts = s
        af.time_base = Fraction(1, sr)
        out.mux(stream.encode(af))
    out.mux(stream.encode(None))


def make_song(path: Path, *, seconds: float = 60.0, bpm: float = 120.0) -> Path:
    """A drum-and-bass click song (AAC in M4A)."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(HERE.parent / "samples"))
    from make_samples import make_song as synth  # the demo song's generator

    data = synth(seconds=seconds, bpm=bpm)
    tmp = path.with_suffix(".tmp.m4a")
    with av.open(str(tmp), "w", format="mp4") as out:
        st = out.add_stream("aac", rate=44100)
        st.layout = "stereo"
        for s in range(0, data.shape[1], 1024):
            af = av.AudioFrame.from_ndarray(np.ascontiguousarray(data[:, s : s + 1024]), format="fltp", layout="stereo")
            af.sample_rate = 44100
            af.pts = s
            out.mux(st.encode(af))
        out.mux(st.encode(None))
    os.replace(tmp, path)
    return path


@dataclass
class Run:
    """One measured child run."""

    name: str
    wall: float
    peak_rss_mb: float
    frames: int
    info: dict
    cpu: float = float("nan")  # user + system CPU seconds of the whole child process tree

    @property
    def fps(self) -> float:
        return self.frames / self.wall if self.wall > 0 else float("nan")


def child_env() -> dict[str, str]:
    """The environment a measured child runs in: this one, with Python's bytecode cache on.

    A pip install compiles every module once, and an editable one caches them on first
    import; an environment with ``PYTHONDONTWRITEBYTECODE`` set (as on the project's
    build machines) makes every child compile clipkit's ~140 modules from source again,
    about 0.17 s of CPU per process that no user pays. The cache goes to a folder of the
    bench's own (``PYTHONPYCACHEPREFIX``), not into the source tree.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("PYTHONPYCACHEPREFIX", str(MEDIA / "pycache"))
    return env


def measure(name: str, argv: list[str], *, frames: int, env: dict[str, str] | None = None) -> Run:
    """Run ``argv`` as a child, timing it and sampling the RSS of its process tree."""
    import psutil

    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**child_env(), **(env or {})})
    ps = psutil.Process(proc.pid)
    peak_tree = 0
    while proc.poll() is None:
        try:
            rss = ps.memory_info().rss + sum(c.memory_info().rss for c in ps.children(recursive=True))
            peak_tree = max(peak_tree, rss)
        except psutil.Error:
            pass
        time.sleep(0.02)
    wall = time.perf_counter() - start
    out, err = proc.communicate()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise RuntimeError(f"{name} failed ({proc.returncode}):\n{err.decode(errors='replace')[-3000:]}")
    info: dict = {}
    for line in out.decode(errors="replace").splitlines():
        if line.startswith("RESULT "):
            info = json.loads(line[7:])
    child_peak = float(info.get("peak_rss_mb", 0.0))
    return Run(name, float(info.get("wall", wall)), max(peak_tree / 2**20, child_peak), frames, info, cpu)


def current_rss_mb() -> float:
    """This process's resident memory now, in MB (Linux)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def report_self(**extra: object) -> None:
    """Print this process's own peak RSS (for the parent) as a RESULT line."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    sys.stdout.write("RESULT " + json.dumps({"peak_rss_mb": peak, "children_peak_rss_mb": children, **extra}) + "\n")


def table(rows: list[list[str]]) -> str:
    """Format rows as an aligned text table (first row is the header)."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for k, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))))
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def encode_music(oc: "av.container.OutputContainer", stream: "av.audio.stream.AudioStream", song: str, *, start: float,
                 seconds: float, fade_out: float = 0.0, rate: int = 48000) -> None:
    """The bare PyAV music path of the floors: ``seconds`` of ``song`` from ``start``, resampled
    to stereo ``rate``, with a linear fade-out of ``fade_out`` seconds, into ``stream``."""
    need = int(round(seconds * rate))
    fade_from = need - int(fade_out * rate)
    done = 0
    resampler = av.AudioResampler(format="fltp", layout="stereo", rate=rate)
    with av.open(str(song)) as ic:
        st = ic.streams.audio[0]
        ic.seek(int((start - 0.5) / st.time_base), stream=st, backward=True)
        for frame in ic.decode(st):
            if frame.time + frame.samples / frame.sample_rate < start:
                continue
            for rf in resampler.resample(frame):
                if done >= need:
                    break
                data = rf.to_ndarray()[:, : need - done]
                if fade_out > 0:
                    idx = np.arange(done, done + data.shape[1])
                    data = data * np.clip((need - idx) / max(1, need - fade_from), 0.0, 1.0).astype(np.float32)
                af = av.AudioFrame.from_ndarray(np.ascontiguousarray(data), format="fltp", layout="stereo")
                af.sample_rate = rate
                af.pts = done
                oc.mux(stream.encode(af))
                done += data.shape[1]
            if done >= need:
                break
    oc.mux(stream.encode(None))
