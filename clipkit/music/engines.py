"""Front ends of the music analysis: the onset envelopes the beat tracker runs on.

Two engines compute the same :class:`~clipkit.music.dsp.Features` (onset envelopes
over the full band, below 200 Hz and below 1.5 kHz, the low log-mel spectrum, RMS);
everything after them (tempo, octave and phase checks, beats, bars, confidence,
sections) is clipkit's own and shared.

``"clipkit"``
    :func:`clipkit.music.dsp.spectral_features`: numpy/scipy, log-mel spectral flux
    (librosa's ``onset_strength`` definition). Loads in milliseconds.
``"librosa"``
    librosa's own ``melspectrogram`` and ``onset.onset_strength_multi`` with its
    vibrato suppression (``max_size=3``: each bin's rise is measured against the
    louder of its neighbours one frame before, the SuperFlux idea), which keeps the
    envelope quiet under strings' and voices' vibrato. librosa is imported on first
    use only: importing it costs a fresh process about 1.5 s (scipy.signal and
    librosa's numba-compiled helpers; ``clipkit warmup`` fills numba's cache).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import ParameterError
from .dsp import BODY_HZ, HARMONY_HZ, LOW_HZ, Features, frame_rms, low_rise, spectral_features

__all__ = ["ENGINES", "DEFAULT_ENGINE", "check_engine", "compute_features", "librosa_features", "warm_librosa"]

ENGINES = ("clipkit", "librosa")
"""Names :func:`clipkit.music.analyze` accepts as ``engine``."""

DEFAULT_ENGINE = "clipkit"
"""The engine used when none is given (chosen by the measurements in docs/music.md)."""


def check_engine(engine: object) -> str:
    """``engine`` if it names an engine, else a ParameterError quoting it."""
    if not isinstance(engine, str) or engine not in ENGINES:
        raise ParameterError(f"engine: {engine!r} is not one of {', '.join(ENGINES)}")
    return engine


def librosa_features(y: np.ndarray, sr: int, *, n_fft: int = 2048, hop_length: int = 512, n_mels: int = 128) -> Features:
    """The :class:`Features` computed with librosa (see the module notes).

    Raises
    ------
    ParameterError
        When librosa is not installed (it is a dependency of clipkit; a broken
        environment gets a clear message instead of an ImportError deep inside).
    """
    try:
        import librosa
    except ImportError as exc:  # pragma: no cover - librosa is a core dependency
        raise ParameterError(f"engine: 'librosa' needs the librosa package ({exc}); use engine='clipkit'") from None

    y = np.asarray(y, dtype=np.float32).reshape(-1)
    power = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels, center=True, power=2.0)
    mel_db = librosa.power_to_db(power, ref=1.0, top_db=80.0)
    centres = librosa.mel_frequencies(n_mels=n_mels + 2, fmin=0.0, fmax=sr / 2.0)[1:-1]
    low = int(max(2, np.searchsorted(centres, LOW_HZ)))
    body = int(max(low + 1, np.searchsorted(centres, BODY_HZ)))
    harm = int(max(low + 1, np.searchsorted(centres, HARMONY_HZ)))
    # channels [0, low), [0, body), [0, n_mels): the envelopes the tracker needs
    multi = librosa.onset.onset_strength_multi(
        S=mel_db, sr=sr, hop_length=hop_length, lag=1, max_size=3, channels=[0, low, body, n_mels], aggregate=np.mean, center=False
    )
    onset_low, onset_body_part, onset_high = multi[0], multi[1], multi[2]
    # channel means -> means over [0, body) and [0, n_mels)
    onset_body = (onset_low * low + onset_body_part * (body - low)) / body
    onset = (onset_body * body + onset_high * (n_mels - body)) / n_mels
    n_frames = mel_db.shape[1]
    rms = frame_rms(y, frame_length=n_fft, hop_length=hop_length, n_frames=n_frames)
    return Features(
        onset=_align(onset, n_frames),
        onset_low=_align(onset_low, n_frames),
        onset_body=_align(onset_body, n_frames),
        mel_db=mel_db[:harm].astype(np.float32),
        rms=rms,
        low_rise=_align(low_rise(power[:low]), n_frames),
    )


def _align(env: np.ndarray, n_frames: int) -> np.ndarray:
    """Frame ``k`` of the envelope is the rise into STFT frame ``k`` (as clipkit's)."""
    out = np.zeros(n_frames, np.float64)
    m = min(n_frames, env.size)
    out[:m] = env[:m]
    return out


def compute_features(engine: str, y: np.ndarray, sr: int, *, n_fft: int, hop_length: int) -> Features:
    """Features of ``y`` by the named engine."""
    table: dict[str, Callable[..., Features]] = {"clipkit": spectral_features, "librosa": librosa_features}
    return table[check_engine(engine)](y, sr, n_fft=n_fft, hop_length=hop_length)


def warm_librosa() -> float:
    """Import librosa and run the librosa engine once on a second of noise, so numba
    compiles (or loads from its cache) what the analysis uses; returns seconds spent."""
    import time

    started = time.perf_counter()
    rng = np.random.default_rng(0)
    librosa_features((0.1 * rng.standard_normal(22_050)).astype(np.float32), 22_050)
    return time.perf_counter() - started
