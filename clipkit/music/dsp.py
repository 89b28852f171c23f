"""Spectral front end of the music analysis: STFT, mel bands, onset envelopes.

Written with numpy/scipy instead of librosa's feature functions: the results match
librosa's definitions (Slaney mel filters, log-power spectral flux), but a fresh worker
process does not pay librosa's import and JIT-loading cost (several seconds) before its
first analysis. ``tests/test_music_analysis.py`` checks the mel filters against librosa.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Features", "mel_filters", "spectral_features", "frame_rms", "LOW_HZ", "BODY_HZ", "HARMONY_HZ"]

LOW_HZ = 200.0
"""Upper edge of the low band (kick drums, bass notes)."""
BODY_HZ = 1500.0
"""Upper edge of the body band (kick, snare body, bass, chords; no hi-hats)."""
HARMONY_HZ = 2000.0
"""Upper edge of the log-mel bands kept for the bar phase (harmonic content)."""


def _hz_to_mel(f: np.ndarray | float) -> np.ndarray:
    """Slaney's mel scale (linear below 1 kHz, logarithmic above), as librosa's default."""
    f = np.asarray(f, dtype=np.float64)
    f_sp = 200.0 / 3
    mels = f / f_sp
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-9) / min_log_hz) / logstep, mels)


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    f_sp = 200.0 / 3
    freqs = f_sp * m
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), freqs)


def mel_filters(sr: int, n_fft: int, *, n_mels: int = 128, fmin: float = 0.0, fmax: float | None = None) -> np.ndarray:
    """Slaney-normalised triangular mel filters, shape ``(n_mels, 1 + n_fft // 2)``.

    Same definition as ``librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels)``.
    """
    fmax = sr / 2.0 if fmax is None else fmax
    fftfreqs = np.linspace(0, sr / 2.0, 1 + n_fft // 2)
    mel_f = _mel_to_hz(np.linspace(_hz_to_mel(fmin), _hz_to_mel(fmax), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fftfreqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    enorm = 2.0 / (mel_f[2 : n_mels + 2] - mel_f[:n_mels])
    weights *= enorm[:, None]
    return weights.astype(np.float32)


@dataclass(frozen=True, slots=True)
class Features:
    """Frame-level features on the grid ``t = k * hop_length / sr``.

    Attributes
    ----------
    onset : np.ndarray
        Spectral flux of the log-mel spectrum (mean over all bands, half-wave rectified).
    onset_low : np.ndarray
        The same over the bands below ~200 Hz (kick drum, bass notes).
    onset_body : np.ndarray
        The same over the bands below ~1.5 kHz (kick, snare body, bass, chords: the
        instruments that carry the beat, without the hi-hats' off-beat ticks).
    mel_db : np.ndarray, shape (n_low_mels, frames)
        Log power of the mel bands below ~2 kHz (harmonic content, for bar phase).
    rms : np.ndarray
        Root mean square of the signal around each frame.
    low_rise : np.ndarray
        Half-wave rectified frame-to-frame rise of the low band's amplitude (square
        root of the mel power below ~200 Hz), scaled by its maximum. Unlike the
        log-power flux it weighs a hit by its loudness: a kick drum rises far more than
        the soft bass note between two kicks.
    """

    onset: np.ndarray
    onset_low: np.ndarray
    onset_body: np.ndarray
    mel_db: np.ndarray
    rms: np.ndarray
    low_rise: np.ndarray


def frame_rms(y: np.ndarray, *, frame_length: int, hop_length: int, n_frames: int) -> np.ndarray:
    """RMS over ``frame_length`` samples centred on each hop, via a cumulative sum."""
    energy = np.concatenate(([0.0], np.cumsum(np.asarray(y, dtype=np.float64) ** 2)))
    centres = np.arange(n_frames) * hop_length
    lo = np.clip(centres - frame_length // 2, 0, y.size)
    hi = np.clip(centres + frame_length // 2, 0, y.size)
    length = np.maximum(hi - lo, 1)
    return np.sqrt(np.maximum(energy[hi] - energy[lo], 0.0) / length)


def spectral_features(
    y: np.ndarray,
    sr: int,
    *,
    n_fft: int = 2048,
    hop_length: int = 512,
    n_mels: int = 128,
    chunk_frames: int = 1024,
) -> Features:
    """Compute the onset envelopes, low-band log-mel and RMS of a mono signal.

    The STFT is centred (frame ``k`` covers ``k * hop_length ± n_fft / 2``, zero padded)
    and computed in chunks of ``chunk_frames`` frames so memory stays small for long
    songs. Log power is clipped 80 dB below the loudest bin, as librosa's ``power_to_db``
    with ``top_db=80``.
    """
    from scipy import fft as sp_fft

    y = np.asarray(y, dtype=np.float32).reshape(-1)
    n_frames = 1 + y.size // hop_length
    padded = np.pad(y, (n_fft // 2, n_fft // 2 + hop_length))
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)).astype(np.float32)  # periodic Hann
    filters = mel_filters(sr, n_fft, n_mels=n_mels)
    centres = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(sr / 2.0), n_mels + 2))[1:-1]
    low = int(max(2, np.searchsorted(centres, LOW_HZ)))
    body = int(max(low + 1, np.searchsorted(centres, BODY_HZ)))
    harm = int(max(low + 1, np.searchsorted(centres, HARMONY_HZ)))
    mel_power = np.empty((n_mels, n_frames), np.float32)
    frames_view = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop_length]
    for a in range(0, n_frames, chunk_frames):
        b = min(n_frames, a + chunk_frames)
        spec = sp_fft.rfft(frames_view[a:b] * window, axis=-1, workers=1)
        power = spec.real**2 + spec.imag**2
        mel_power[:, a:b] = filters @ power.T
    mel_db = 10.0 * np.log10(np.maximum(mel_power, 1e-10))
    top = float(mel_db.max()) if mel_db.size else 0.0
    np.maximum(mel_db, top - 80.0, out=mel_db)
    flux = np.maximum(0.0, np.diff(mel_db, axis=1, prepend=mel_db[:, :1]))
    onset = flux.mean(axis=0)
    onset_low = flux[:low].mean(axis=0)
    onset_body = flux[:body].mean(axis=0)
    rms = frame_rms(y, frame_length=n_fft, hop_length=hop_length, n_frames=n_frames)
    return Features(onset=onset.astype(np.float64), onset_low=onset_low.astype(np.float64),
        onset_body=onset_body.astype(np.float64), mel_db=mel_db[:harm], rms=rms, low_rise=low_rise(mel_power[:low]))


def low_rise(low_power: np.ndarray) -> np.ndarray:
    """:attr:`Features.low_rise` from the mel power of the low bands, shape (bands, frames)."""
    amplitude = np.sqrt(np.maximum(np.asarray(low_power, dtype=np.float64).sum(axis=0), 0.0))
    rise = np.maximum(0.0, np.diff(amplitude, prepend=amplitude[:1]))
    top = float(rise.max(initial=0.0))
    return rise / top if top > 0 else rise
