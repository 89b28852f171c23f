"""Regenerate the demo media in this folder (deterministic; no downloads).

    python samples/make_samples.py

- ``portrait.mp4``, ``portrait2.mp4``: 540x960 clips, 30 fps, with motion and sound.
- ``landscape.mp4``: a 960x540 clip (fitted with a blurred fill in the demo).
- ``song.m4a``: 24 s of drums and bass at 120 BPM with a clear beat and a louder
  "drop" from 12 s (beats at 0.5 s steps from 0.0 s; bars of 4 beats).
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
SR = 44100


def _clip_frames(width: int, height: int, frames: int, palette: tuple[tuple[int, int, int], tuple[int, int, int]], label: str):
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    c0, c1 = (np.array(c, np.float32) for c in palette)
    for i in range(frames):
        t = i / 30.0
        mix = (0.5 + 0.5 * np.sin(xx / width * 3.0 + yy / height * 2.0 + t * 1.5))[..., None]
        img = (c0 * mix + c1 * (1 - mix)).astype(np.uint8)
        # a bouncing ball and a rotating bar: motion for the beat/motion scorers
        bx = int(width * (0.5 + 0.35 * math.sin(t * 2.1)))
        by = int(height * (0.5 + 0.3 * abs(math.sin(t * 3.3))))
        cv2.circle(img, (bx, by), max(12, width // 10), (255, 240, 90), -1, lineType=cv2.LINE_AA)
        cx, cy, r = width // 2, height // 4, min(width, height) // 5
        ang = t * 2.0
        p1 = (int(cx + r * math.cos(ang)), int(cy + r * math.sin(ang)))
        p2 = (int(cx - r * math.cos(ang)), int(cy - r * math.sin(ang)))
        cv2.line(img, p1, p2, (250, 250, 250), max(4, width // 60), lineType=cv2.LINE_AA)
        scale = width / 500
        cv2.putText(img, label, (int(width * 0.08), int(height * 0.9)), cv2.FONT_HERSHEY_DUPLEX, scale, (255, 255, 255), max(1, int(2 * scale)), cv2.LINE_AA)
        yield img


def _clip_sound(seconds: float, base_hz: float) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    tone = 0.12 * np.sin(2 * np.pi * base_hz * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t))
    rng = np.random.default_rng(int(base_hz))
    noise = 0.02 * rng.standard_normal(t.size)
    return np.stack([tone + noise, tone * 0.9 + noise]).astype(np.float32)


def write_clip(path: Path, width: int, height: int, seconds: float, palette, label: str, base_hz: float) -> None:
    frames = int(seconds * 30)
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=30)
        vs.width, vs.height, vs.pix_fmt = width, height, "yuv420p"
        vs.options = {"preset": "medium", "crf": "30"}
        aus = out.add_stream("aac", rate=SR)
        aus.layout = "stereo"
        aus.bit_rate = 64000
        for i, img in enumerate(_clip_frames(width, height, frames, palette, label)):
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            out.mux(vs.encode(frame))
        out.mux(vs.encode(None))
        _encode_audio(out, aus, _clip_sound(seconds, base_hz))


def _encode_audio(out, stream, data: np.ndarray) -> None:
    for s in range(0, data.shape[1], 1024):
        af = av.AudioFrame.from_ndarray(np.ascontiguousarray(data[:, s : s + 1024]), format="fltp", layout="stereo")
        af.sample_rate = SR
        af.pts = s
        af.time_base = Fraction(1, SR)
        out.mux(stream.encode(af))
    out.mux(stream.encode(None))


def make_song(seconds: float = 24.0, bpm: float = 120.0) -> np.ndarray:
    """Kick on every beat, snare on 2 and 4, hats on eighths, a bass line; louder after 12 s."""
    n = int(seconds * SR)
    mix = np.zeros(n, np.float64)
    beat = 60.0 / bpm
    rng = np.random.default_rng(7)

    def add(at: float, sound: np.ndarray, gain: float) -> None:
        a = int(at * SR)
        b = min(n, a + sound.size)
        if a < n:
            mix[a:b] += gain * sound[: b - a]

    tk = np.arange(int(0.25 * SR)) / SR
    kick = np.sin(2 * np.pi * (50 + 90 * np.exp(-tk * 30)) * tk) * np.exp(-tk * 12)
    ts = np.arange(int(0.18 * SR)) / SR
    snare = rng.standard_normal(ts.size) * np.exp(-ts * 25) * 0.6 + np.sin(2 * np.pi * 190 * ts) * np.exp(-ts * 20) * 0.4
    th = np.arange(int(0.05 * SR)) / SR
    hat = np.diff(rng.standard_normal(th.size + 1)) * np.exp(-th * 80) * 0.3
    bass_notes = [55.0, 55.0, 65.4, 49.0]
    beats = int(seconds / beat)
    for k in range(beats):
        at = k * beat
        drop = at >= 12.0
        add(at, kick, 0.9 if drop else 0.7)
        if k % 4 in (1, 3):
            add(at, snare, 0.55 if drop else 0.4)
        add(at, hat, 0.25)
        add(at + beat / 2, hat, 0.18)
        note = bass_notes[(k // 4) % 4]
        tb = np.arange(int(beat * SR)) / SR
        add(at, np.sin(2 * np.pi * note * tb) * np.exp(-tb * 3), 0.35 if drop else 0.2)
        if drop and k % 2 == 0:  # a lead stab in the drop
            tl = np.arange(int(0.2 * SR)) / SR
            add(at, np.sign(np.sin(2 * np.pi * note * 8 * tl)) * np.exp(-tl * 10) * 0.5, 0.15)
    mix /= max(1e-9, np.abs(mix).max()) / 0.8
    return np.stack([mix, mix]).astype(np.float32)


def write_song(path: Path) -> None:
    with av.open(str(path), "w", format="mp4") as out:
        st = out.add_stream("aac", rate=SR)
        st.layout = "stereo"
        st.bit_rate = 96000
        _encode_audio(out, st, make_song())


def main() -> None:
    write_clip(HERE / "portrait.mp4", 540, 960, 4.0, ((255, 94, 98), (92, 36, 160)), "clipkit  #1", 220.0)
    write_clip(HERE / "portrait2.mp4", 540, 960, 4.0, ((20, 180, 160), (240, 200, 60)), "clipkit  #3", 330.0)
    write_clip(HERE / "landscape.mp4", 960, 540, 4.0, ((30, 90, 200), (250, 120, 40)), "clipkit  #2 (landscape)", 262.0)
    write_song(HERE / "song.m4a")


if __name__ == "__main__":
    main()
