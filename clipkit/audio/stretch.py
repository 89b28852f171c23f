"""Pitch-preserving time stretch with a time-varying rate (a phase vocoder).

:func:`stretch_to_positions` synthesizes sound whose every output sample ``n`` plays the
input around input sample ``positions[n]``: a constant slope is a constant speed, a
curve is a ramp. Pitch is kept because each output hop re-uses the input spectrum at
the mapped position with phases advanced by the measured instantaneous frequencies
(the classic phase vocoder, as in librosa's ``phase_vocoder``, generalised to a
variable step). Plain numpy FFTs: no librosa import on the render path.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError

__all__ = ["stft", "istft", "stretch_to_positions", "play_positions"]

N_FFT = 2048
HOP = 512


def _window(n_fft: int) -> np.ndarray:
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)).astype(np.float64)  # periodic Hann


def stft(y: np.ndarray, *, n_fft: int = N_FFT, hop: int = HOP) -> np.ndarray:
    """Centred STFT of a 1-D signal: complex array (n_fft // 2 + 1, frames), frame k at sample k*hop."""
    pad = n_fft // 2
    yp = np.pad(np.asarray(y, np.float64), (pad, pad + n_fft), mode="constant")
    frames = 1 + len(y) // hop
    idx = np.arange(n_fft)[None, :] + hop * np.arange(frames)[:, None]
    return np.fft.rfft(yp[idx] * _window(n_fft)[None, :], axis=1).T


def istft(spec: np.ndarray, *, length: int, n_fft: int = N_FFT, hop: int = HOP) -> np.ndarray:
    """Inverse of :func:`stft` by windowed overlap-add, ``length`` samples long."""
    frames = spec.shape[1]
    win = _window(n_fft)
    chunks = np.fft.irfft(spec.T, n=n_fft, axis=1) * win[None, :]
    total = n_fft + hop * (frames - 1)
    out = np.zeros(total, np.float64)
    norm = np.zeros(total, np.float64)
    for k in range(frames):  # frames are few (one per hop); the adds are vectorised
        s = k * hop
        out[s : s + n_fft] += chunks[k]
        norm[s : s + n_fft] += win * win
    nz = norm > 1e-8
    out[nz] /= norm[nz]
    pad = n_fft // 2
    res = out[pad : pad + length]
    if res.size < length:
        res = np.pad(res, (0, length - res.size))
    return res


def stretch_to_positions(y: np.ndarray, positions: np.ndarray, *, n_fft: int = N_FFT, hop: int = HOP) -> np.ndarray:
    """Play ``y`` along non-decreasing input ``positions`` without changing pitch.

    Parameters
    ----------
    y : np.ndarray, shape (channels, n_in), float32
        Input sound.
    positions : np.ndarray, shape (n_out,), non-decreasing
        For every output sample, the input sample (fractional) it corresponds to.
    n_fft, hop : int
        Analysis window and hop in samples.

    Returns
    -------
    np.ndarray, shape (channels, n_out), float32
    """
    y = np.atleast_2d(np.asarray(y, np.float32))
    positions = np.asarray(positions, np.float64)
    n_out = positions.size
    if n_out == 0:
        return np.zeros((y.shape[0], 0), np.float32)
    if np.any(np.diff(positions) < -1e-6):
        raise ParameterError("stretch_to_positions: positions must not decrease (reverse them first)")
    n_in = y.shape[1]
    out_frames = 1 + n_out // hop
    at = positions[np.minimum(np.arange(out_frames) * hop, n_out - 1)]
    f = np.clip(at / hop, 0.0, None)
    result = np.empty((y.shape[0], n_out), np.float32)
    bins = n_fft // 2 + 1
    phi_advance = np.linspace(0, np.pi * hop, bins)
    for c in range(y.shape[0]):
        spec = stft(y[c], n_fft=n_fft, hop=hop)
        spec = np.concatenate([spec, np.zeros((bins, 2), spec.dtype)], axis=1)
        last = spec.shape[1] - 2
        fc = np.clip(f, 0, max(0, last - 1e-9)) if n_in else f * 0
        i0 = fc.astype(np.int64)
        alpha = (fc - i0)[None, :]
        c0, c1 = spec[:, i0], spec[:, i0 + 1]
        mag = (1 - alpha) * np.abs(c0) + alpha * np.abs(c1)
        dphase = np.angle(c1) - np.angle(c0) - phi_advance[:, None]
        dphase -= 2.0 * np.pi * np.round(dphase / (2.0 * np.pi))
        steps = phi_advance[:, None] + dphase
        phase = np.angle(c0[:, :1]) + np.concatenate([np.zeros((bins, 1)), np.cumsum(steps[:, :-1], axis=1)], axis=1)
        result[c] = istft(mag * np.exp(1j * phase), length=n_out, n_fft=n_fft, hop=hop)
    return result


def play_positions(y: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Read ``y`` at fractional ``positions`` by linear interpolation (speed 1, reversed
    or resampled playback; pitch follows the speed)."""
    y = np.atleast_2d(np.asarray(y, np.float32))
    idx = np.arange(y.shape[1], dtype=np.float64)
    return np.stack([np.interp(positions, idx, ch, left=0.0, right=0.0) for ch in y]).astype(np.float32)
