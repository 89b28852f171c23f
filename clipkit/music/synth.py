"""Synthetic music with known beats: click tracks and drum/bass patterns.

Used by the tests, the benchmark and the docs to check the analysis against ground
truth without shipping songs. Every generator returns the samples and the true beat
and downbeat times.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..errors import ParameterError

__all__ = ["SyntheticTrack", "PATTERNS", "click_track", "drum_track", "write_audio"]

PATTERNS = ("rock", "four_on_floor", "halftime", "dnb", "ballad", "syncopated")
"""Drum patterns :func:`drum_track` can play.

- ``rock``: kick on 1 and 3, snare on 2 and 4, eighth-note hats, a bass note per bar.
- ``four_on_floor``: kick on every beat, clap on 2 and 4, off-beat open hats.
- ``halftime``: kick on 1, snare on 3 only, sixteenth hats (sounds half as fast).
- ``dnb``: fast breakbeat (kick 1 and the "and" of 3, snare 2 and 4), eighth hats.
- ``ballad``: soft kick on 1, rim on 3, quarter hats, sustained chords changing per bar.
- ``syncopated``: kicks off the beat, snare on 2 and 4, hats on every sixteenth.
"""


@dataclass(frozen=True, slots=True)
class SyntheticTrack:
    """Samples and ground truth.

    Attributes
    ----------
    y : np.ndarray, float32, shape (n,)
        Mono samples in [-1, 1].
    sr : int
        Sample rate.
    bpm : float
        The tempo.
    beats, downbeats : np.ndarray
        True beat and bar-start times in seconds.
    """

    y: np.ndarray
    sr: int
    bpm: float
    beats: np.ndarray
    downbeats: np.ndarray

    @property
    def duration(self) -> float:
        """Seconds."""
        return self.y.size / self.sr


def _mixer(n: int):
    buf = np.zeros(n, np.float64)

    def add(at: float, sound: np.ndarray, gain: float, sr: int) -> None:
        a = int(round(at * sr))
        if a >= n or a + sound.size <= 0:
            return
        s0 = max(0, -a)
        b = min(n, a + sound.size)
        buf[a + s0 : b] += gain * sound[s0 : b - a]

    return buf, add


def click_track(bpm: float = 120.0, duration: float = 10.0, *, sr: int = 22050, beats_per_bar: int = 4, start: float = 0.0) -> SyntheticTrack:
    """Clicks on every beat (the bar's first one higher and louder) over a quiet hum.

    Parameters
    ----------
    bpm : float in [20, 400]
        Tempo.
    duration : float > 0
        Seconds.
    sr : int > 0
        Sample rate.
    beats_per_bar : int >= 1
        Accent period.
    start : float >= 0
        Time of the first beat.
    """
    _check(bpm, duration, sr)
    n = int(round(duration * sr))
    buf, add = _mixer(n)
    t = np.arange(int(0.03 * sr)) / sr
    click_hi = np.sin(2 * np.pi * 1500 * t) * np.linspace(1, 0, t.size)
    click_lo = np.sin(2 * np.pi * 1000 * t) * np.linspace(1, 0, t.size)
    beats = np.arange(start, duration - 1e-9, 60.0 / bpm)
    for k, at in enumerate(beats):
        accent = k % beats_per_bar == 0
        add(at, click_hi if accent else click_lo, 0.8 if accent else 0.45, sr)
    hum = 0.03 * np.sin(2 * np.pi * 110 * np.arange(n) / sr)
    y = np.clip(buf + hum, -1, 1).astype(np.float32)
    return SyntheticTrack(y, sr, float(bpm), beats, beats[::beats_per_bar])


def _check(bpm: float, duration: float, sr: int) -> None:
    if not 20 <= bpm <= 400:
        raise ParameterError(f"bpm: {bpm!r} is outside 20..400")
    if not duration > 0:
        raise ParameterError(f"duration: {duration!r} must be above 0 seconds")
    if sr <= 0:
        raise ParameterError(f"sr: {sr!r} must be a positive sample rate")


def drum_track(
    bpm: float = 120.0,
    duration: float = 20.0,
    *,
    pattern: str = "rock",
    sr: int = 22050,
    start: float = 0.0,
    seed: int = 0,
    jitter: float = 0.004,
    drop: float | None = None,
) -> SyntheticTrack:
    """A drum-and-bass-line pattern in 4/4 with accents and harmony changes on bar 1.

    Parameters
    ----------
    bpm : float in [20, 400]
        Tempo (quarter notes per minute).
    duration : float > 0
        Seconds.
    pattern : str
        One of :data:`PATTERNS`.
    sr : int > 0
        Sample rate.
    start : float >= 0
        Time of the first downbeat (silence before it).
    seed : int
        Seed for the noise sounds and the timing jitter.
    jitter : float >= 0
        Standard deviation of human timing error in seconds (ground truth is the grid).
    drop : float, optional
        Second from which everything plays louder, with an extra lead (a "drop").
    """
    _check(bpm, duration, sr)
    if pattern not in PATTERNS:
        raise ParameterError(f"pattern: {pattern!r} is not one of {', '.join(PATTERNS)}")
    rng = np.random.default_rng(seed)
    n = int(round(duration * sr))
    buf, add = _mixer(n)
    beat = 60.0 / bpm

    def env(seconds: float, decay: float) -> tuple[np.ndarray, np.ndarray]:
        t = np.arange(int(seconds * sr)) / sr
        return t, np.exp(-t * decay)

    tk, ek = env(0.3, 14)
    kick = np.sin(2 * np.pi * (48 * tk + 110 / 28 * (1 - np.exp(-tk * 28)))) * ek
    ts, es = env(0.2, 22)
    snare = (rng.standard_normal(ts.size) * 0.7 + np.sin(2 * np.pi * 185 * ts) * 0.5) * es
    th, eh = env(0.06, 70)
    hat = np.diff(np.diff(rng.standard_normal(th.size + 2))) * eh * 0.35
    to, eo = env(0.25, 12)
    open_hat = np.diff(np.diff(rng.standard_normal(to.size + 2))) * eo * 0.3
    tc, ec = env(1.5, 2.5)
    crash = np.diff(rng.standard_normal(tc.size + 1)) * ec * 0.35
    roots = [55.0, 73.4, 61.7, 49.0]  # A1, D2, B1, G1: a new bass note every bar
    chords = [(220.0, 277.2, 329.6), (293.7, 370.0, 440.0), (246.9, 293.7, 370.0), (196.0, 246.9, 293.7)]

    beats = np.arange(start, duration - 1e-9, beat)
    for k, grid in enumerate(beats):
        bar, pos = divmod(k, 4)
        at = grid + (rng.normal(0, jitter) if jitter > 0 else 0.0)
        loud = 1.4 if drop is not None and grid >= drop else 1.0
        root = roots[bar % 4]
        if pos == 0:
            tb = np.arange(int(4 * beat * sr)) / sr
            pad = sum(np.sin(2 * np.pi * f * tb) for f in chords[bar % 4]) / 3 * np.minimum(1, tb / 0.02) * np.exp(-tb * 0.6)
            add(at, pad, 0.07 * loud, sr)
            if bar % 4 == 0:
                add(at, crash, 0.5 * loud, sr)
        tb = np.arange(int(beat * sr)) / sr
        bass = np.sin(2 * np.pi * root * tb) * np.minimum(1, tb / 0.005) * np.exp(-tb * 3)
        if pattern == "rock":
            if pos in (0, 2):
                add(at, kick, (0.9 if pos == 0 else 0.7) * loud, sr)
            else:
                add(at, snare, 0.45 * loud, sr)
            add(at, hat, 0.5, sr)
            add(at + beat / 2, hat, 0.35, sr)
            add(at, bass, (0.35 if pos == 0 else 0.2) * loud, sr)
        elif pattern == "four_on_floor":
            add(at, kick, (0.95 if pos == 0 else 0.8) * loud, sr)
            if pos in (1, 3):
                add(at, snare, 0.35 * loud, sr)
            add(at + beat / 2, open_hat, 0.45, sr)
            add(at + beat / 2, bass * 0.8, 0.25 * loud, sr)
        elif pattern == "halftime":
            if pos == 0:
                add(at, kick, 1.0 * loud, sr)
                add(at, bass, 0.35 * loud, sr)
            if pos == 2:
                add(at, snare, 0.55 * loud, sr)
            for q in range(4):
                add(at + q * beat / 4, hat, 0.4 if q == 0 else 0.25, sr)
        elif pattern == "dnb":
            if pos == 0:
                add(at, kick, 0.95 * loud, sr)
                add(at, bass, 0.35 * loud, sr)
            if pos == 2:
                add(at + beat / 2, kick, 0.7 * loud, sr)
            if pos in (1, 3):
                add(at, snare, 0.5 * loud, sr)
            add(at, hat, 0.35, sr)
            add(at + beat / 2, hat, 0.25, sr)
        elif pattern == "ballad":
            if pos == 0:
                add(at, kick, 0.7 * loud, sr)
                add(at, bass, 0.4 * loud, sr)
            if pos == 2:
                add(at, snare, 0.25 * loud, sr)
            add(at, hat, 0.3, sr)
        elif pattern == "syncopated":
            if pos == 0:
                add(at, kick, 0.9 * loud, sr)
                add(at, bass, 0.35 * loud, sr)
            if pos == 1:
                add(at + beat / 2, kick, 0.6 * loud, sr)
            if pos == 2:
                add(at + beat * 0.75, kick, 0.6 * loud, sr)
            if pos in (1, 3):
                add(at, snare, 0.5 * loud, sr)
            for q in range(4):
                add(at + q * beat / 4, hat, 0.3 if q in (0, 2) else 0.18, sr)
        if drop is not None and grid >= drop and pos % 2 == 0:
            tl = np.arange(int(0.2 * sr)) / sr
            add(at, np.sign(np.sin(2 * np.pi * root * 8 * tl)) * np.exp(-tl * 10), 0.12, sr)
    buf += 0.002 * rng.standard_normal(n)
    peak = float(np.abs(buf).max()) or 1.0
    y = (buf / peak * 0.8).astype(np.float32)
    return SyntheticTrack(y, sr, float(bpm), beats, beats[::4])


def write_audio(path: str | os.PathLike[str], y: np.ndarray, sr: int, *, codec: str | None = None) -> str:
    """Write mono or (channels, n) float samples to an audio file with PyAV.

    The codec follows the extension (``.wav`` PCM, ``.m4a``/``.mp4`` AAC, ``.mp3``)
    unless given.
    """
    import av

    path = os.fspath(path)
    data = np.asarray(y, dtype=np.float32)
    if data.ndim == 1:
        data = data[None, :]
    channels = data.shape[0]
    ext = os.path.splitext(path)[1].lower()
    codec = codec or {".wav": "pcm_s16le", ".mp3": "libmp3lame", ".flac": "flac"}.get(ext, "aac")
    fmt = "mp4" if ext in (".m4a", ".mp4") else None
    layout = "mono" if channels == 1 else "stereo"
    with av.open(path, "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=sr)
        stream.layout = layout
        sample_fmt = stream.codec_context.codec.audio_formats[0].name if stream.codec_context.codec.audio_formats else "fltp"
        for s in range(0, max(1, data.shape[1]), 1024):
            chunk = np.ascontiguousarray(data[:, s : s + 1024])
            if chunk.shape[1] == 0:
                break
            frame = _audio_frame(chunk, sample_fmt, layout)
            frame.sample_rate = sr
            frame.pts = s
            frame.time_base = Fraction(1, sr)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def _audio_frame(chunk: np.ndarray, sample_fmt: str, layout: str):
    import av

    if sample_fmt in ("s16", "s16p"):
        ints = (np.clip(chunk, -1, 1) * 32767).astype(np.int16)
        if sample_fmt == "s16":
            ints = ints.T.reshape(1, -1)
        return av.AudioFrame.from_ndarray(np.ascontiguousarray(ints), format=sample_fmt, layout=layout)
    if sample_fmt == "flt":
        return av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk.T.reshape(1, -1)), format="flt", layout=layout)
    if sample_fmt in ("s32", "s32p"):
        ints = (np.clip(chunk, -1, 1) * 2147483647).astype(np.int32)
        if sample_fmt == "s32":
            ints = ints.T.reshape(1, -1)
        return av.AudioFrame.from_ndarray(np.ascontiguousarray(ints), format=sample_fmt, layout=layout)
    return av.AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
