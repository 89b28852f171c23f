"""Cut the demo's real footage and song from ``../shared/media`` into this folder.

    python samples/make_demo_media.py [SHARED_MEDIA_DIR]

``clipkit demo`` shows clipkit on real material (``samples/make_samples.py`` keeps making
the generated clips the other templates' previews use). Everything here is openly
licensed and credited in ``samples/README.md``:

- ``bunny_meadow.mp4``, ``bunny_bird.mp4``: 4 s each of "Big Buck Bunny" (c) Blender
  Foundation, peach.blender.org, CC BY 3.0; 1280x720, H.264, no sound.
- ``chaplin.mp4``: 4 s of a Charlie Chaplin film (public domain), its pillarbox cropped,
  480x360, H.264, no sound.
- ``lets_go_fishin.m4a``: 12 s of "Let's Go Fishin'" by Karissa Hobbs (Free Music
  Archive), CC BY 3.0; AAC.

The cuts are deterministic; the encoder settings keep the four files near 1.5 MB.
"""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
DEFAULT_SHARED = HERE.parent.parent / "shared" / "media"


def cut_video(src: Path, dst: Path, *, start: float, duration: float, size: tuple[int, int], crop_x: tuple[float, float] = (0.0, 1.0), crf: int = 27) -> None:
    """Re-encode ``duration`` seconds of ``src`` from ``start`` at ``size``, H.264, no audio."""
    tmp = dst.with_name(dst.name + ".part.mp4")
    with av.open(str(src)) as inp, av.open(str(tmp), "w") as out:
        stream = inp.streams.video[0]
        stream.thread_type = "AUTO"
        rate = stream.average_rate or Fraction(25)
        enc = out.add_stream("libx264", rate=rate)
        enc.width, enc.height = size
        enc.pix_fmt = "yuv420p"
        enc.options = {"crf": str(crf), "preset": "slow", "movflags": "+faststart"}
        n = 0
        total = int(round(duration * float(rate)))
        inp.seek(int(max(0.0, start - 1.0) / stream.time_base), stream=stream, backward=True)
        for frame in inp.decode(stream):
            if frame.time is None or frame.time < start - 1e-6:
                continue
            if n >= total:
                break
            rgb = frame.to_ndarray(format="rgb24")
            w = rgb.shape[1]
            rgb = rgb[:, int(crop_x[0] * w) : int(crop_x[1] * w)]
            rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24").reformat(format="yuv420p")
            vf.pts = n
            vf.time_base = Fraction(1) / rate
            for packet in enc.encode(vf):
                out.mux(packet)
            n += 1
        for packet in enc.encode():
            out.mux(packet)
    tmp.replace(dst)


def cut_audio(src: Path, dst: Path, *, start: float, duration: float, fade: float = 0.3) -> None:
    """``duration`` seconds of ``src`` from ``start`` as AAC, with short fades at both ends."""
    tmp = dst.with_name(dst.name + ".part.m4a")
    with av.open(str(src)) as inp:
        stream = inp.streams.audio[0]
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=44100)
        chunks = []
        for frame in inp.decode(stream):
            for f in resampler.resample(frame):
                chunks.append(f.to_ndarray())
        for f in resampler.resample(None):
            chunks.append(f.to_ndarray())
    pcm = np.concatenate(chunks, axis=1)
    a, b = int(start * 44100), int((start + duration) * 44100)
    pcm = np.ascontiguousarray(pcm[:, a:b], np.float32)
    ramp = np.linspace(0.0, 1.0, int(fade * 44100), dtype=np.float32)
    pcm[:, : ramp.size] *= ramp
    pcm[:, -ramp.size :] *= ramp[::-1]
    with av.open(str(tmp), "w", format="mp4") as out:
        enc = out.add_stream("aac", rate=44100)
        enc.layout = "stereo"
        enc.bit_rate = 96_000
        pos = 0
        step = 1024
        while pos < pcm.shape[1]:
            block = np.ascontiguousarray(pcm[:, pos : pos + step])
            frame = av.AudioFrame.from_ndarray(block, format="fltp", layout="stereo")
            frame.sample_rate = 44100
            frame.pts = pos
            for packet in enc.encode(frame):
                out.mux(packet)
            pos += step
        for packet in enc.encode(None):
            out.mux(packet)
    tmp.replace(dst)


def main(argv: list[str]) -> int:
    shared = Path(argv[0]) if argv else DEFAULT_SHARED
    video, music = shared / "video", shared / "music"
    cut_video(video / "big_buck_bunny_0_30.webm", HERE / "bunny_meadow.mp4", start=12.0, duration=4.0, size=(1280, 720))
    cut_video(video / "big_buck_bunny_0_30.webm", HERE / "bunny_bird.mp4", start=15.6, duration=4.0, size=(1280, 720))
    # the film is pillarboxed inside 640x360: keep the picture, drop the black bars
    cut_video(video / "chaplin.mp4", HERE / "chaplin.mp4", start=1.0, duration=4.0, size=(480, 360), crop_x=(0.125, 0.875), crf=25)
    cut_audio(music / "Karissa_Hobbs_-_Lets_Go_Fishin.ogg", HERE / "lets_go_fishin.m4a", start=21.7, duration=12.0)
    for name in ("bunny_meadow.mp4", "bunny_bird.mp4", "chaplin.mp4", "lets_go_fishin.m4a"):
        sys.stdout.write(f"{name}: {(HERE / name).stat().st_size // 1024} KB\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
