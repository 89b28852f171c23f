"""Synthetic music with known beats: click tracks and drum/bass patterns.

Used by the tests, the benchmark and the docs to check the analysis against ground
truth without shipping songs. Every generator returns the samples and the true beat
and downbeat times.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..errors import ParameterError

__all__ = ["SyntheticTrack", "PATTERNS", "BEATS_PER_BAR", "click_track", "drum_track", "speech_like", "write_audio"]

PATTERNS = (
    "rock",
    "four_on_floor",
    "halftime",
    "dnb",
    "ballad",
    "syncopated",
    "boom_chick",
    "skank",
    "polka",
    "disco",
    "house",
    "trap",
    "swing",
    "two_chord",
)
"""Drum patterns :func:`drum_track` can play.

- ``rock``: kick on 1 and 3, snare on 2 and 4, eighth-note hats, a bass note per bar.
- ``four_on_floor``: kick on every beat, clap on 2 and 4, off-beat open hats.
- ``halftime``: kick on 1, snare on 3 only, sixteenth hats (sounds half as fast).
- ``dnb``: fast breakbeat (kick 1 and the "and" of 3, snare 2 and 4), eighth hats.
- ``ballad``: soft kick on 1, rim on 3, quarter hats, sustained chords changing per bar.
- ``syncopated``: kicks off the beat, snare on 2 and 4, hats on every sixteenth.

Patterns whose off-beat is brighter and louder than the beat (the failure cases of
trackers that follow the loudest attack):

- ``boom_chick``: country two-beat: a bass note (root, fifth) on every beat, a loud
  bright guitar strum on every "and", a soft kick on 1 and 3.
- ``skank``: reggae/ska: bass and kick on 1 and 3, a soft rim on 2 and 4, a loud
  short bright chord chop (the skank) on every "and".
- ``polka``: oom-pah: a tuba-like bass on every beat, a loud bright accordion chord
  and a light snare on every "and" (2 beats per bar).
- ``disco``: kick on every beat, clap on 2 and 4, loud open hats and an octave-bass
  bounce on every "and".
- ``house``: kick on every beat, clap on 2 and 4, very loud open hats and the bass
  stab on the "and" only.
- ``trap``: half-time: an 808 kick on 1 and the "and" of 2, a clap on 3, eighth hats
  with sixteenth-note rolls (the beat is the notated tempo, twice the snare's rate).
- ``swing``: jazz: a ride on every beat with swung "and"s (2/3 of a beat late),
  hi-hat foot on 2 and 4, a walking bass on every beat, a loud comping chord on the
  swung "and" of 2 and of 4.
- ``two_chord``: a slow pop ballad whose chords change twice a bar: kick on 1 and 3,
  snare on 2 and 4, eighth-note hats, a bass note on every beat (each chord's root,
  then its fifth). Its harmony alone says "twice as fast" (a chord every two beats is
  a chord a bar at double tempo); the beat is the notated tempo.
"""

BEATS_PER_BAR = {"polka": 2}
"""Beats per bar of the patterns that are not in 4/4."""


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
    rubato: float = 0.0,
    tempo_change: tuple[float, float] | None = None,
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
    rubato : float in [0, 0.3]
        Depth of a slow tempo sway: the local tempo is ``bpm * (1 + rubato * sin(2 pi t / 8 s))``
        (the true beats follow it).
    tempo_change : (float, float), optional
        ``(second, new_bpm)``: the tempo jumps to ``new_bpm`` at the first beat after
        that second.
    """
    _check(bpm, duration, sr)
    if pattern not in PATTERNS:
        raise ParameterError(f"pattern: {pattern!r} is not one of {', '.join(PATTERNS)}")
    if not 0 <= rubato <= 0.3:
        raise ParameterError(f"rubato: {rubato!r} must be in 0..0.3")
    if tempo_change is not None:
        _check(float(tempo_change[1]), duration, sr)
    rng = np.random.default_rng(seed)
    n = int(round(duration * sr))
    buf, add = _mixer(n)
    beats = _beat_times(bpm, duration, start=start, rubato=rubato, tempo_change=tempo_change)
    per_bar = BEATS_PER_BAR.get(pattern, 4)

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

    strum = _chord_burst(rng, sr, seconds=0.18, decay=18.0, brightness=1.0)
    skank = _chord_burst(rng, sr, seconds=0.09, decay=40.0, brightness=1.3)
    squeeze = _chord_burst(rng, sr, seconds=0.2, decay=9.0, brightness=0.8, noise=0.05)
    comp = _chord_burst(rng, sr, seconds=0.25, decay=10.0, brightness=0.7, noise=0.1)
    tr, er = env(0.5, 6)
    ride = (np.diff(np.diff(rng.standard_normal(tr.size + 2))) * 0.2 + 0.15 * np.sin(2 * np.pi * 5100 * tr)) * er
    t8, e8 = env(0.6, 4)
    kick808 = np.sin(2 * np.pi * (45 * t8 + 90 / 25 * (1 - np.exp(-t8 * 25)))) * e8
    clap = sum(np.roll(rng.standard_normal(ts.size) * es, int(d * sr)) for d in (0.0, 0.008, 0.016)) * 0.5
    for k, grid in enumerate(beats):
        bar, pos = divmod(k, per_bar)
        beat = float(beats[k + 1] - grid) if k + 1 < beats.size else float(grid - beats[k - 1]) if k else 60.0 / bpm
        at = grid + (rng.normal(0, jitter) if jitter > 0 else 0.0)
        # a drop: everything plays louder, the hats and cymbals too (a real drop keeps
        # its hats and percussion; louder drums over the same quiet hats would leave
        # the beats with less between them than any real drop does)
        loud = 1.4 if drop is not None and grid >= drop else 1.0
        root = roots[bar % 4]
        if pattern == "two_chord":
            # a chord every two beats; the bass walks root, fifth under each
            chord = (2 * bar + pos // 2) % 4
            root = roots[chord]
            if pos % 2 == 0:
                tb = np.arange(int(2 * beat * sr)) / sr
                pad = sum(np.sin(2 * np.pi * f * tb) for f in chords[chord]) / 3 * np.minimum(1, tb / 0.02) * np.exp(-tb * 0.6)
                add(at, pad, 0.07 * loud, sr)
            if pos == 0 and bar % 4 == 0:
                add(at, crash, 0.5 * loud, sr)
        elif pos == 0:
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
            add(at, hat, 0.5 * loud, sr)
            add(at + beat / 2, hat, 0.35 * loud, sr)
            add(at, bass, (0.35 if pos == 0 else 0.2) * loud, sr)
        elif pattern == "four_on_floor":
            add(at, kick, (0.95 if pos == 0 else 0.8) * loud, sr)
            if pos in (1, 3):
                add(at, snare, 0.35 * loud, sr)
            add(at + beat / 2, open_hat, 0.45 * loud, sr)
            add(at + beat / 2, bass * 0.8, 0.25 * loud, sr)
        elif pattern == "halftime":
            if pos == 0:
                add(at, kick, 1.0 * loud, sr)
                add(at, bass, 0.35 * loud, sr)
            if pos == 2:
                add(at, snare, 0.55 * loud, sr)
            for q in range(4):
                add(at + q * beat / 4, hat, (0.4 if q == 0 else 0.25) * loud, sr)
        elif pattern == "dnb":
            if pos == 0:
                add(at, kick, 0.95 * loud, sr)
                add(at, bass, 0.35 * loud, sr)
            if pos == 2:
                add(at + beat / 2, kick, 0.7 * loud, sr)
            if pos in (1, 3):
                add(at, snare, 0.5 * loud, sr)
            add(at, hat, 0.35 * loud, sr)
            add(at + beat / 2, hat, 0.25 * loud, sr)
        elif pattern == "ballad":
            if pos == 0:
                add(at, kick, 0.7 * loud, sr)
                add(at, bass, 0.4 * loud, sr)
            if pos == 2:
                add(at, snare, 0.25 * loud, sr)
            add(at, hat, 0.3 * loud, sr)
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
                add(at + q * beat / 4, hat, (0.3 if q in (0, 2) else 0.18) * loud, sr)
        elif pattern == "boom_chick":
            add(at, bass if pos % 2 == 0 else _transpose(bass, 1.5), 0.4 * loud, sr)
            if pos in (0, 2):
                add(at, kick, 0.35 * loud, sr)
            add(at + beat / 2, strum, 0.8 * loud, sr)
        elif pattern == "skank":
            if pos in (0, 2):
                add(at, kick, 0.6 * loud, sr)
                add(at, bass, 0.35 * loud, sr)
            else:
                add(at, hat, 0.3 * loud, sr)
                add(at, _transpose(bass, 1.5), 0.2 * loud, sr)
            add(at + beat / 2, skank, 0.9 * loud, sr)
        elif pattern == "polka":
            add(at, bass if pos == 0 else _transpose(bass, 1.5), 0.45 * loud, sr)
            add(at, kick, 0.3 * loud, sr)
            add(at + beat / 2, squeeze, 0.75 * loud, sr)
            add(at + beat / 2, snare, 0.2 * loud, sr)
        elif pattern == "disco":
            add(at, kick, (0.9 if pos == 0 else 0.8) * loud, sr)
            if pos in (1, 3):
                add(at, clap, 0.4 * loud, sr)
            add(at + beat / 2, open_hat, 0.8 * loud, sr)
            add(at, bass, 0.25 * loud, sr)
            add(at + beat / 2, _transpose(bass, 2.0), 0.3 * loud, sr)
        elif pattern == "house":
            add(at, kick, (0.85 if pos == 0 else 0.75) * loud, sr)
            if pos in (1, 3):
                add(at, clap, 0.45 * loud, sr)
            add(at + beat / 2, open_hat, 1.1 * loud, sr)
            add(at + beat / 2, bass, 0.35 * loud, sr)
        elif pattern == "trap":
            if pos == 0:
                add(at, kick808, 0.9 * loud, sr)
            if pos == 1:
                add(at + beat / 2, kick808, 0.7 * loud, sr)
            if pos == 2:
                add(at, clap, 0.6 * loud, sr)
            rolls = 4 if (bar % 2 == 1 and pos == 3) else 2
            for q in range(rolls):
                add(at + q * beat / rolls, hat, (0.35 if q == 0 else 0.28) * loud, sr)
        elif pattern == "two_chord":
            add(at, kick if pos in (0, 2) else snare, (0.8 if pos == 0 else 0.65 if pos == 2 else 0.45) * loud, sr)
            add(at, hat, 0.4 * loud, sr)
            add(at + beat / 2, hat, 0.3 * loud, sr)
            add(at, bass if pos % 2 == 0 else _transpose(bass, 1.5), 0.35 * loud, sr)
        elif pattern == "swing":
            add(at, ride, 0.5 * loud, sr)
            if pos in (1, 3):
                add(at + beat * 2 / 3, ride, 0.35 * loud, sr)
                add(at, hat, 0.3 * loud, sr)
                add(at + beat * 2 / 3, comp, 0.5 * loud, sr)
            walk = _transpose(bass, (1.0, 1.26, 1.5, 1.68)[pos % 4])
            add(at, walk, (0.45 if pos == 0 else 0.35) * loud, sr)
            if pos == 0:
                add(at, kick, 0.25 * loud, sr)
        if drop is not None and grid >= drop and pos % 2 == 0:
            tl = np.arange(int(0.2 * sr)) / sr
            add(at, np.sign(np.sin(2 * np.pi * root * 8 * tl)) * np.exp(-tl * 10), 0.12, sr)
    buf += 0.002 * rng.standard_normal(n)
    peak = float(np.abs(buf).max()) or 1.0
    y = (buf / peak * 0.8).astype(np.float32)
    return SyntheticTrack(y, sr, float(bpm), beats, beats[::per_bar])


def _beat_times(bpm: float, duration: float, *, start: float, rubato: float, tempo_change: tuple[float, float] | None) -> np.ndarray:
    """True beat times under a steady tempo, a sway (``rubato``) or a step change."""
    if rubato == 0 and tempo_change is None:
        return np.arange(start, duration - 1e-9, 60.0 / bpm)
    out = []
    t = start
    while t < duration - 1e-9:
        out.append(t)
        local = bpm if tempo_change is None or t < tempo_change[0] else float(tempo_change[1])
        local *= 1.0 + rubato * math.sin(2 * math.pi * t / 8.0)
        t += 60.0 / local
    return np.asarray(out)


def _chord_burst(rng: np.random.Generator, sr: int, *, seconds: float, decay: float, brightness: float, noise: float = 0.3) -> np.ndarray:
    """A short, bright chord (a strum, a skank chop, an accordion 'pah'): sawtooth-rich
    partials of a major triad around 300-500 Hz plus a noisy pick attack."""
    t = np.arange(int(seconds * sr)) / sr
    out = np.zeros(t.size)
    for f0 in (329.6, 415.3, 493.9, 659.3):
        for h in range(1, 12):
            out += np.sin(2 * np.pi * f0 * h * t + rng.uniform(0, 2 * np.pi)) * (brightness**h) / h
    out /= np.abs(out).max() or 1.0
    pick = np.diff(rng.standard_normal(t.size + 1)) * np.exp(-t * 120)
    return (out + noise * pick) * np.minimum(1, t / 0.003) * np.exp(-t * decay)


def _transpose(sound: np.ndarray, ratio: float) -> np.ndarray:
    """The sound played ``ratio`` times faster (a pitch up by that ratio), same length."""
    idx = np.arange(sound.size) * ratio
    return np.interp(idx, np.arange(sound.size), sound, right=0.0)


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


def speech_like(duration: float = 10.0, *, sr: int = 22050, seed: int = 0) -> np.ndarray:
    """Speech-shaped sound without a beat: voiced syllables of 80-300 ms at irregular
    intervals (about four a second, with pauses), a gliding pitch of 90-220 Hz and
    two moving formants. For checking that talk gives no beats; returns mono samples.

    Parameters
    ----------
    duration : float > 0
        Seconds.
    sr : int > 0
        Sample rate.
    seed : int
        Seed of the syllable timing and pitch.
    """
    _check(120.0, duration, sr)
    rng = np.random.default_rng(seed)
    n = int(round(duration * sr))
    buf, add = _mixer(n)
    t = float(rng.uniform(0.05, 0.3))
    while t < duration:
        length = float(rng.uniform(0.08, 0.3))
        ts = np.arange(int(length * sr)) / sr
        f0 = float(rng.uniform(90, 220)) * (1 + 0.15 * rng.uniform(-1, 1) * ts / length)
        phase = 2 * np.pi * np.cumsum(f0) / sr
        voiced = sum(np.sin(h * phase) / h for h in range(1, 25))
        formants = (float(rng.uniform(300, 900)), float(rng.uniform(900, 2500)))
        shaped = voiced * sum(1.0 / (1 + ((h_f - formants[0]) / 150) ** 2) for h_f in (f0.mean(),)) + 0.0
        # crude formant colouring: band-pass by mixing harmonics near the formants louder
        colour = sum(np.sin(h * phase) * (1.0 / (1 + ((h * f0.mean() - f) / 200) ** 2)) for h in range(1, 25) for f in formants)
        syllable = (0.4 * shaped / (np.abs(shaped).max() or 1) + colour / (np.abs(colour).max() or 1)) * np.sin(np.pi * ts / length) ** 2
        add(t, syllable, float(rng.uniform(0.3, 0.8)), sr)
        t += length + float(rng.exponential(0.12)) + (float(rng.uniform(0.3, 0.9)) if rng.uniform() < 0.12 else 0.0)
    buf += 0.002 * rng.standard_normal(n)
    peak = float(np.abs(buf).max()) or 1.0
    return (buf / peak * 0.7).astype(np.float32)
