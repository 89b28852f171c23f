"""Audio finishing: ducking, loudness normalization and a true-peak limiter.

Both run inside the streaming mixer (:class:`clipkit.audio.mix.Mixer`) and are exact
against the video timeline: every decision is keyed to absolute output sample
positions, so the result does not depend on how the executor sizes its audio blocks.

**Ducking** (a bus processor): the music bus dips by ``depth`` dB while the clips' own
sound or a voice-over is above ``threshold`` dBFS. The detector measures the trigger
buses' RMS in 5 ms slices; the gain moves toward its target with the ``attack`` time
constant going down and ``release`` coming back up, after a ``hold``. Gains are
interpolated linearly inside each slice (no zipper noise), one slice behind the
detector.

**Loudness** (a master processor): before the render, one extra pass through the mixer
(audio only: decoding and mixing sound costs a fraction of the video) measures the
mix's integrated loudness (ITU-R BS.1770-4: pyloudnorm's K-weighting filters, applied
by FFT convolution; 400 ms blocks with 75 % overlap, -70 LUFS absolute and -10 LU
relative gates; streamed, so memory stays flat) and its true peak (4x oversampled) in 10 ms chunks. From these
the render gets one gain to the target (-14 LUFS by default) and a look-ahead limiter
curve that keeps the true peak at or below the ceiling (-1 dBTP): since the whole
peak envelope is known in advance, the limiter needs no delay line. Gain lost to
limiting is made up by re-solving the gain on the measured energies (three rounds),
within ``max_gain``.
"""

from __future__ import annotations

import math
import threading
from array import array
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ParameterError, RenderCancelled
from .settings import DuckingSettings, LoudnessSettings

__all__ = [
    "DuckingSettings",
    "LoudnessSettings",
    "Ducker",
    "LoudnessMeter",
    "TruePeakMeter",
    "LoudnessNormalizer",
    "with_ducking",
    "with_loudness",
    "install_finishing",
    "FinishingInfo",
    "LoudnessMeasurement",
    "integrated_loudness",
    "true_peak",
]

def with_ducking(edit: Any, **settings: Any) -> Any:
    """``edit.with_ducking(**settings)``, kept as a function for older callers."""
    return edit.with_ducking(**settings)


def with_loudness(edit: Any, **settings: Any) -> Any:
    """``edit.with_loudness(**settings)``, kept as a function for older callers."""
    return edit.with_loudness(**settings)


# ---------------------------------------------------------------------------------------
# ducking


class Ducker:
    """Bus processor ducking the ``music`` bus under the trigger buses.

    Parameters
    ----------
    settings : DuckingSettings
        The parameters.
    sr : int > 0
        Sample rate.
    """

    def __init__(self, settings: DuckingSettings, *, sr: int) -> None:
        self.settings = settings
        self.sr = sr
        self.slice = max(1, int(round(sr * 0.005)))
        self.depth = 10 ** (settings.depth / 20)
        self.threshold_power = 10 ** (settings.threshold / 10)
        self.attack_coef = math.exp(-self.slice / (settings.attack * sr))
        self.release_coef = math.exp(-self.slice / (settings.release * sr))
        self.hold_slices = int(round(settings.hold * sr / self.slice))
        self.position = 0  # absolute sample the next block must start at
        self._acc = 0.0  # trigger energy accumulated in the current slice
        self._g_start = 1.0  # gain at the start of the current slice
        self._g_end = 1.0  # gain at its end
        self._hold = 0
        self.gains: list[float] = []  # gain at each slice end, for inspection (bounded)

    def _advance(self, level_power: float) -> None:
        """A slice ended with mean trigger power ``level_power``: plan the next slice."""
        if level_power > self.threshold_power:
            self._hold = self.hold_slices
            active = True
        elif self._hold > 0:
            self._hold -= 1
            active = True
        else:
            active = False
        target = self.depth if active else 1.0
        g = self._g_end
        coef = self.attack_coef if target < g else self.release_coef
        self._g_start, self._g_end = g, target + (g - target) * coef

    def __call__(self, buses: dict[str, np.ndarray], start: int) -> None:
        n = next((b.shape[1] for b in buses.values()), 0)
        if n == 0:
            return
        if start != self.position:
            raise ParameterError(f"ducker: block at sample {start}, expected {self.position} (blocks must be in order)")
        trig = None
        for role in self.settings.under:
            bus = buses.get(role)
            if bus is not None:
                trig = bus.astype(np.float64) if trig is None else trig + bus
        power = np.zeros(n) if trig is None else np.mean(trig**2, axis=0)
        music = buses.get("music")
        gain = np.empty(n, np.float32) if music is not None else None
        i = 0
        while i < n:
            abs_pos = start + i
            in_slice = abs_pos % self.slice
            take = min(n - i, self.slice - in_slice)
            if gain is not None:
                frac = (in_slice + np.arange(take) + 0.5) / self.slice
                gain[i : i + take] = self._g_start + (self._g_end - self._g_start) * frac
            self._acc += float(power[i : i + take].sum())
            i += take
            if in_slice + take == self.slice:
                self._advance(self._acc / self.slice)
                self._acc = 0.0
        self.position = start + n
        if music is not None and gain is not None:
            music *= gain


# ---------------------------------------------------------------------------------------
# loudness and peaks


def _biquad(kind: str, *, gain_db: float, q: float, fc: float, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """RBJ cookbook biquad ``(b, a)`` normalized by ``a0``, as pyloudnorm designs them."""
    a_ = 10 ** (gain_db / 40.0)
    w0 = 2.0 * math.pi * fc / sr
    cw, alpha = math.cos(w0), math.sin(w0) / (2.0 * q)
    if kind == "high_shelf":
        r = 2 * math.sqrt(a_) * alpha
        b = [a_ * ((a_ + 1) + (a_ - 1) * cw + r), -2 * a_ * ((a_ - 1) + (a_ + 1) * cw), a_ * ((a_ + 1) + (a_ - 1) * cw - r)]
        a = [(a_ + 1) - (a_ - 1) * cw + r, 2 * ((a_ - 1) - (a_ + 1) * cw), (a_ + 1) - (a_ - 1) * cw - r]
    else:  # high_pass
        b = [(1 + cw) / 2, -(1 + cw), (1 + cw) / 2]
        a = [1 + alpha, -2 * cw, 1 - alpha]
    return np.asarray(b) / a[0], np.asarray(a) / a[0]


def _k_weighting(sr: int) -> np.ndarray:
    """BS.1770 K-weighting (high shelf +4 dB at 1.5 kHz, then high pass at 38 Hz) as SOS
    rows, with pyloudnorm's filter parameters (the tests check them against it)."""
    rows = []
    for kind, gain_db, q, fc in (("high_shelf", 4.0, 1 / math.sqrt(2), 1500.0), ("high_pass", 0.0, 0.5, 38.0)):
        b, a = _biquad(kind, gain_db=gain_db, q=q, fc=fc, sr=sr)
        rows.append(np.concatenate([b, a]))
    return np.stack(rows)


_IMPULSE: dict[int, np.ndarray] = {}


def _k_impulse(sr: int) -> np.ndarray:
    """Impulse response of the K-weighting cascade, cut where it has decayed below 1e-12.

    Computed from the exact frequency response on a long FFT grid (the filters are
    stable and their response decays exponentially, so the tail wrapped into the grid is
    far below float64 resolution). Filtering by FFT convolution with it equals the
    recursive filter to about 1e-12, and vectorizes in numpy: the meter needs no scipy,
    whose ``signal`` package alone adds 69 MB to a render's memory.
    """
    h = _IMPULSE.get(sr)
    if h is None:
        n = 1 << max(15, int(math.ceil(math.log2(sr))) + 1)
        z = np.exp(-2j * np.pi * np.fft.rfftfreq(n))  # z^-1 on the grid
        response = np.ones(z.shape, np.complex128)
        for row in _k_weighting(sr):
            b, a = row[:3], row[3:]
            response *= (b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z)
        full = np.fft.irfft(response, n)
        big = np.nonzero(np.abs(full) > 1e-12 * np.abs(full).max())[0]
        h = full[: int(big[-1]) + 1].copy()
        _IMPULSE[sr] = h
    return h


_SPECTRA: dict[tuple[int, int], np.ndarray] = {}
_SPECTRUM_CACHE_MAX_SIZE = 1 << 18  # 2 MB a spectrum; whole-file blocks are not kept


def _k_spectrum(sr: int, size: int) -> np.ndarray:
    """``rfft`` of the K-weighting impulse response on a ``size``-point grid, made once
    per (rate, size) for the block sizes renders use: the meter's blocks mostly share
    one size, and this FFT was a third of the meter's work."""
    spectrum = _SPECTRA.get((sr, size))
    if spectrum is None:
        spectrum = np.fft.rfft(_k_impulse(sr), size)
        if size <= _SPECTRUM_CACHE_MAX_SIZE:
            _SPECTRA[(sr, size)] = spectrum
    return spectrum


def _gated_loudness(step_energy: np.ndarray, step: int) -> float:
    """BS.1770 gating over 100 ms step energies (sum over channels of sum of squares)."""
    if step_energy.size < 4:
        return -math.inf
    window = np.convolve(step_energy, np.ones(4), mode="valid") / (4 * step)
    with np.errstate(divide="ignore"):
        block = -0.691 + 10 * np.log10(window)
    above = window[block >= -70.0]
    if above.size == 0:
        return -math.inf
    relative = -0.691 + 10 * math.log10(float(above.mean())) - 10.0
    gated = window[(block >= -70.0) & (block >= relative)]
    if gated.size == 0:
        return -math.inf
    return -0.691 + 10 * math.log10(float(gated.mean()))


class LoudnessMeter:
    """Streaming integrated loudness (BS.1770-4), fed blocks in order.

    Parameters
    ----------
    sr : int > 0
        Sample rate.
    channels : int >= 1
        Channels of the blocks (each weighted 1, as for stereo).
    """

    def __init__(self, *, sr: int, channels: int = 2) -> None:
        self.sr = sr
        self.impulse = _k_impulse(sr)
        self._carry = np.zeros((channels, self.impulse.size - 1))  # filter output still to come
        self.step = int(round(sr * 0.1))
        self._partial = 0.0
        self._filled = 0
        self.steps = array("d")  # 8 bytes a step (a list of floats takes 32)

    def add(self, block: np.ndarray) -> None:
        """Feed samples of shape (channels, n)."""
        n = block.shape[1]
        if n == 0:
            return
        h = self.impulse
        size = 1 << int(math.ceil(math.log2(n + h.size - 1)))
        spectrum = np.fft.rfft(np.asarray(block, np.float64), size, axis=1) * _k_spectrum(self.sr, size)[None, :]
        full = np.fft.irfft(spectrum, size, axis=1)[:, : n + h.size - 1]  # overlap-add
        m = min(n, self._carry.shape[1])
        full[:, :m] += self._carry[:, :m]
        rest = self._carry[:, m:]
        full[:, n : n + rest.shape[1]] += rest
        weighted = full[:, :n]
        self._carry = full[:, n:].copy()
        energy = np.sum(weighted**2, axis=0)
        i = 0
        n = energy.size
        while i < n:
            take = min(n - i, self.step - self._filled)
            self._partial += float(energy[i : i + take].sum())
            self._filled += take
            i += take
            if self._filled == self.step:
                self.steps.append(self._partial)
                self._partial, self._filled = 0.0, 0

    @property
    def step_energy(self) -> np.ndarray:
        """Sum of K-weighted squares over channels, per complete 100 ms step."""
        return np.frombuffer(self.steps, dtype=np.float64).copy()

    def integrated(self) -> float:
        """Integrated loudness in LUFS so far (-inf for silence)."""
        return _gated_loudness(self.step_energy, self.step)


_OVERSAMPLING_TAPS = 48
_FILTER: list[np.ndarray] = []


def _oversampling_filter() -> np.ndarray:
    """48-tap interpolation filter for 4x oversampling (as in BS.1770-4 annex 2)."""
    if not _FILTER:
        # a windowed-sinc low pass at a quarter of the oversampled band, unity DC gain per
        # phase (what scipy.signal.firwin(48, 0.25, window=("kaiser", 5.0)) designs)
        n = np.arange(_OVERSAMPLING_TAPS) - (_OVERSAMPLING_TAPS - 1) / 2
        h = 0.25 * np.sinc(0.25 * n) * np.kaiser(_OVERSAMPLING_TAPS, 5.0)
        _FILTER.append((h / h.sum() * 4).astype(np.float32))
    return _FILTER[0]


def _upsample4(h: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Zero-stuff ``x`` (channels, m) by 4 and filter by ``h``: polyphase, one short
    convolution per phase (what scipy.signal.upfirdn(h, x, up=4, axis=1) gives)."""
    rows = []
    for c in range(x.shape[0]):
        phases = [np.convolve(x[c], h[r::4]) for r in range(4)]  # each m + taps/4 - 1 long
        rows.append(np.stack(phases, axis=1).reshape(-1))
    return np.stack(rows)[:, : (x.shape[1] - 1) * 4 + h.size]


class TruePeakMeter:
    """Streaming true-peak envelope: 4x oversampled absolute peak per 10 ms chunk.

    Blocks overlap by a few samples so every sample's oversampled value is computed
    with its real neighbours on both sides, whatever the block sizes.
    """

    _EDGE = _OVERSAMPLING_TAPS // 8  # input samples the filter reaches on each side

    def __init__(self, *, sr: int) -> None:
        self.sr = sr
        self.chunk = max(1, int(round(sr * 0.01)))
        self.position = 0  # samples fed
        self.final = 0  # samples whose value is settled
        self._tail = np.zeros((0, 0), np.float32)
        self.peaks = array("d")  # one per 10 ms: 60 000 for a 10-minute mix
        self._current = 0.0

    def _per_sample(self, joined: np.ndarray) -> np.ndarray:
        m = joined.shape[1]
        up = np.abs(_upsample4(_oversampling_filter(), joined))
        delay = (_OVERSAMPLING_TAPS - 1) // 2
        up = up[:, delay : delay + 4 * m].max(axis=0)
        if up.size < 4 * m:
            up = np.pad(up, (0, 4 * m - up.size))
        return np.maximum(up.reshape(-1, 4).max(axis=1), np.abs(joined).max(axis=0))

    def _settle(self, values: np.ndarray) -> None:
        i, n = 0, values.size
        while i < n:
            pos = self.final + i
            take = min(n - i, self.chunk - pos % self.chunk)
            self._current = max(self._current, float(values[i : i + take].max()))
            i += take
            if (pos + take) % self.chunk == 0:
                self.peaks.append(self._current)
                self._current = 0.0
        self.final += n

    def add(self, block: np.ndarray) -> None:
        """Feed samples of shape (channels, n), in order."""
        n = block.shape[1]
        if n == 0:
            return
        data = np.asarray(block, dtype=np.float32)
        tail = self._tail if self._tail.size else np.zeros((data.shape[0], 0), np.float32)
        joined = np.concatenate([tail, data], axis=1)
        origin = self.position - tail.shape[1]  # absolute position of joined[:, 0]
        self.position += n
        values = self._per_sample(joined)
        settle_to = max(self.final, self.position - self._EDGE)
        self._settle(values[self.final - origin : settle_to - origin])
        self._tail = joined[:, -min(joined.shape[1], 2 * self._EDGE + 2) :]

    def finish(self) -> np.ndarray:
        """Peak per chunk (the last partial chunk included)."""
        if self.final < self.position:
            tail = self._tail
            origin = self.position - tail.shape[1]
            values = self._per_sample(tail)
            self._settle(values[self.final - origin :])
        if self.final % self.chunk:
            self.peaks.append(self._current)
            self._current = 0.0
        return np.frombuffer(self.peaks, dtype=np.float64).copy()


def integrated_loudness(y: np.ndarray, sr: int) -> float:
    """Integrated loudness in LUFS of samples (channels, n) with the streaming meter."""
    meter = LoudnessMeter(sr=sr, channels=y.shape[0])
    meter.add(np.asarray(y))
    return meter.integrated()


def true_peak(y: np.ndarray, sr: int) -> float:
    """True peak of samples (channels, n) in dBTP (4x oversampling)."""
    meter = TruePeakMeter(sr=sr)
    meter.add(np.asarray(y))
    peaks = meter.finish()
    top = float(peaks.max()) if peaks.size else 0.0
    return 20 * math.log10(top) if top > 0 else -math.inf


class LoudnessNormalizer:
    """Master processor applying the planned gain curve (see the module notes).

    Parameters
    ----------
    gains : np.ndarray
        Linear gain at the centre of each 10 ms chunk.
    chunk : int
        Chunk length in samples.
    """

    def __init__(self, gains: np.ndarray, *, chunk: int) -> None:
        self.gains = np.asarray(gains, dtype=np.float64)
        self.chunk = chunk
        self.centres = (np.arange(self.gains.size) + 0.5) * chunk

    def gain_at(self, positions: np.ndarray) -> np.ndarray:
        """Linear gain at absolute sample positions."""
        if self.gains.size == 0:
            return np.ones(positions.shape)
        return np.interp(positions + 0.5, self.centres, self.gains)

    def __call__(self, block: np.ndarray, start: int) -> np.ndarray:
        n = block.shape[1]
        if n == 0:
            return block
        g = self.gain_at(np.arange(start, start + n, dtype=np.float64)).astype(np.float32)
        return block * g


def plan_gains(
    step_energy: np.ndarray,
    step: int,
    peaks: np.ndarray,
    chunk: int,
    settings: LoudnessSettings,
) -> tuple[np.ndarray, float]:
    """The per-chunk gain curve and the overall gain in dB (see the module notes)."""
    ceiling = 10 ** ((settings.true_peak - 0.15) / 20)  # a hair under, for the estimate's error
    measured = _gated_loudness(step_energy, step)
    if not math.isfinite(measured) or peaks.size == 0:
        limiter = _limiter(np.ones_like(peaks), peaks, ceiling)
        return limiter, 0.0
    gain_db = min(settings.max_gain, settings.target - measured)
    per_step = max(1, step // chunk)
    for _ in range(3):
        g = 10 ** (gain_db / 20)
        curve = _limiter(np.full(peaks.size, g), peaks, ceiling)
        # loudness of the limited mix, from the measured energies and the gain curve
        sq = curve**2
        n_steps = step_energy.size
        padded = np.resize(sq, n_steps * per_step) if sq.size < n_steps * per_step else sq[: n_steps * per_step]
        step_gain = padded.reshape(n_steps, per_step).mean(axis=1) if n_steps else np.zeros(0)
        achieved = _gated_loudness(step_energy * step_gain, step)
        if not math.isfinite(achieved):
            break
        short = settings.target - achieved
        if abs(short) < 0.05:
            break
        new_db = min(settings.max_gain, gain_db + short)
        if new_db <= gain_db + 1e-3 and short > 0:
            break
        gain_db = new_db
    g = 10 ** (gain_db / 20)
    return _limiter(np.full(peaks.size, g), peaks, ceiling), gain_db


def _limiter(gains: np.ndarray, peaks: np.ndarray, ceiling: float) -> np.ndarray:
    """Gain per chunk so that ``gain * peak <= ceiling`` everywhere, smoothly.

    A minimum over +-2 chunks makes the gain arrive before a peak (look-ahead) and
    stay through it, so linear interpolation between chunk centres never exceeds the
    allowed gain inside a peak chunk; the recovery after it is a 80 ms release.
    """
    with np.errstate(divide="ignore"):
        allowed = np.where(peaks > 0, ceiling / np.maximum(peaks, 1e-12), np.inf)
    req = np.minimum(gains, allowed)
    if req.size == 0:
        return req
    m = np.lib.stride_tricks.sliding_window_view(np.pad(req, 2, mode="edge"), 5).min(axis=1)
    out = np.empty_like(m)
    coef = math.exp(-1 / 8.0)  # 10 ms chunks, 80 ms release
    prev = m[0]
    for i, target in enumerate(m):
        prev = target if target <= prev else min(target, target + (prev - target) * coef)
        out[i] = prev
    return out


# ---------------------------------------------------------------------------------------
# wiring into a render


class _Stopped(RenderCancelled):
    """The render ended before its loudness measurement did."""


class LoudnessMeasurement:
    """One render's loudness pre-pass, run on a thread of its own.

    The pass mixes the whole soundtrack once (decoding every sound, ~0.1-0.3 s for a
    short edit) before the first audio block can be normalized. Run on its own thread
    from the moment the render is set up, it overlaps the opening of the video sources
    and the first frames instead of delaying them; the render's first audio block waits
    for it (:meth:`result`). Decoding (PyAV) and the FFTs release the GIL.

    Parameters
    ----------
    plan : RenderPlan
        The render's plan (segments, sample rate, length, edit settings).
    ducking : bool
        Whether the render ducks its music (the measured mix must be the heard one).
    block : int > 0, optional
        Samples mixed per step (default: one second).
    """

    def __init__(self, plan: Any, *, ducking: bool, block: int | None = None) -> None:
        self._plan = plan
        self._ducking = ducking
        self._block = block or plan.sr
        self._done = threading.Event()
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self.gains: np.ndarray | None = None
        """Linear gain per 10 ms chunk, once measured."""
        self.chunk = 0
        self.gain_db = 0.0
        self.measured_lufs = -math.inf
        self._thread = threading.Thread(target=self._run, name="clipkit-loudness", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from .mix import Mixer

        plan = self._plan
        try:
            meter = LoudnessMeter(sr=plan.sr, channels=2)
            peaks = TruePeakMeter(sr=plan.sr)

            def measure(out: np.ndarray, start: int) -> np.ndarray:
                meter.add(out)
                peaks.add(out)
                return out

            with Mixer(plan.segments, sr=plan.sr, total=plan.total_samples) as probe:
                if self._ducking:
                    probe.bus_processors.append(Ducker(plan.edit.ducking, sr=plan.sr))
                probe.master_processors.append(measure)
                while probe.position < plan.total_samples:
                    if self._stop.is_set():
                        raise _Stopped("the render ended before its loudness was measured")
                    probe.read(min(self._block, plan.total_samples - probe.position))
            chunk_peaks = peaks.finish()
            self.gains, self.gain_db = plan_gains(meter.step_energy, meter.step, chunk_peaks, peaks.chunk, plan.edit.loudness)
            self.chunk = peaks.chunk
            self.measured_lufs = meter.integrated()
        except BaseException as exc:  # noqa: BLE001 - handed to the render's thread by result()
            self._error = exc
        finally:
            self._done.set()

    def done(self) -> bool:
        """Whether the measurement has finished (or failed)."""
        return self._done.is_set()

    def result(self) -> LoudnessMeasurement:
        """Wait for the measurement; raises what it raised (a source that cannot be decoded)."""
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        """Abandon it (the render ended): the thread stops after its current block."""
        self._stop.set()
        self._done.wait(timeout=10)


class _PendingNormalizer:
    """The loudness master processor of a render whose measurement may still run: the
    first block waits for it, then every block is a :class:`LoudnessNormalizer` call."""

    def __init__(self, measurement: LoudnessMeasurement) -> None:
        self.measurement = measurement
        self._normalizer: LoudnessNormalizer | None = None

    def __call__(self, block: np.ndarray, start: int) -> np.ndarray:
        if self._normalizer is None:
            done = self.measurement.result()
            self._normalizer = LoudnessNormalizer(done.gains, chunk=done.chunk)
        return self._normalizer(block, start)

    def ready(self) -> bool:
        """Whether the first block would not wait for the measurement."""
        return self._normalizer is not None or self.measurement.done()

    def close(self) -> None:
        self.measurement.stop()


class FinishingInfo(Mapping[str, Any]):
    """What :func:`install_finishing` decided: ``ducking`` (bool), ``gain_db`` and
    ``measured_lufs`` (floats). Reading the two loudness figures waits for the measurement."""

    def __init__(self, ducking: bool, measurement: LoudnessMeasurement | None) -> None:
        self._ducking = ducking
        self._measurement = measurement

    def __getitem__(self, key: str) -> Any:
        if key == "ducking":
            return self._ducking
        if key in ("gain_db", "measured_lufs"):
            if self._measurement is None:
                return 0.0 if key == "gain_db" else -math.inf
            return getattr(self._measurement.result(), key)
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(("ducking", "gain_db", "measured_lufs"))

    def __len__(self) -> int:
        return 3


def install_finishing(mixer: Any, plan: Any, *, block: int | None = None) -> FinishingInfo:
    """Add ducking and loudness processors to a render's mixer.

    Ducking is added when the mix has music and one of the trigger roles; loudness
    normalization measures the mix first (one extra audio-only pass, started here on a
    thread of its own: see :class:`LoudnessMeasurement`; the mixer's first block waits
    for it, and closing the mixer abandons it). Returns what was decided, for logs and
    tests (:class:`FinishingInfo`).
    """
    if not mixer.segments or plan.total_samples <= 0:
        return FinishingInfo(False, None)
    duck, loud = plan.edit.ducking, plan.edit.loudness
    roles = mixer.roles
    use_duck = duck is not None and "music" in roles and any(r in roles for r in duck.under)
    if use_duck:
        mixer.bus_processors.append(Ducker(duck, sr=plan.sr))
    if loud is None:
        return FinishingInfo(use_duck, None)
    measurement = LoudnessMeasurement(plan, ducking=use_duck, block=block)
    mixer.master_processors.append(_PendingNormalizer(measurement))
    return FinishingInfo(use_duck, measurement)
