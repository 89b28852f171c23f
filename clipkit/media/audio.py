"""Audio decoding through PyAV: any container, any codec FFmpeg reads.

Two ways in: :func:`load_audio` reads a span into memory (analysis, short sounds), and
:class:`AudioStreamReader` streams a span sample by sample for the mixer, so a
10-minute song never sits in memory whole. Both resample with FFmpeg's resampler,
which also downmixes 5.1 to stereo with the standard matrix.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import av
import numpy as np

from ..errors import MediaError, ParameterError
from .probe import open_container

__all__ = ["load_audio", "AudioStreamReader", "DEFAULT_SR"]

DEFAULT_SR = 48_000


HEADER_ONLY = {"probesize": "32", "analyzeduration": "0"}
"""Demuxer options that stop FFmpeg's stream probing at the container's header."""

_HEADER_FORMATS = ("mov", "mp4", "m4a", "matroska", "webm", "ogg")
"""Containers whose header carries every audio stream's parameters and timing."""


def _open_audio(path: str | os.PathLike[str]) -> tuple[av.container.InputContainer, av.audio.stream.AudioStream]:
    """Open a file's first audio stream for decoding.

    Opening a container normally probes every stream by decoding its first packets,
    video included: ~70 ms for a 1080x1920 phone clip, paid each time the mixer or the
    loudness pass opens a clip's sound (six times a job for three clips). MP4/MOV,
    Matroska/WebM and Ogg headers already carry the audio stream's codec, rate, layout
    and start time, so those are opened with :data:`HEADER_ONLY` (~1 ms) and their
    stream taken as the header gives it; anything else, or a header that leaves the
    stream's rate or channels unknown, is opened again with FFmpeg's full probe.
    """
    path = os.fspath(path)
    container = open_container(path, options=HEADER_ONLY)
    audio = next((s for s in container.streams if s.type == "audio"), None)
    names = set((container.format.name or "").split(","))
    complete = audio is not None and audio.codec_context is not None and audio.codec_context.sample_rate > 0 and audio.codec_context.channels > 0
    if not (complete and names & set(_HEADER_FORMATS)):
        container.close()
        container = open_container(path)
    streams = [s for s in container.streams if s.type == "audio"]
    if not streams:
        container.close()
        raise MediaError(path, "has no audio stream")
    stream = streams[0]
    stream.thread_type = "AUTO"
    return container, stream


class AudioStreamReader:
    """Stream float32 audio from a file, starting at a given time.

    Parameters
    ----------
    path : str or os.PathLike
        Any file with an audio stream (a song, or a video's own sound).
    sr : int > 0
        Output sample rate.
    channels : {1, 2}
        Output channels (mono, or stereo with 5.1 and other layouts downmixed).
    offset : float >= 0
        Where to start, in seconds from the start of the file (the container's start
        time, so a stream that starts late yields leading silence and stays in sync
        with the file's video).
    on_truncated : {"refuse", "use"}
        Sound that stops decoding part way (a file cut short) raises a MediaError, or
        with ``"use"`` ends there: the rest reads as silence and ``truncated_at`` says
        where (seconds from the file's start).

    Notes
    -----
    :meth:`read` returns exactly the samples asked for, padding with zeros past the
    end of the stream; call :meth:`close` (or use ``with``) to release the file.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        sr: int = DEFAULT_SR,
        channels: int = 2,
        offset: float = 0.0,
        on_truncated: str = "refuse",
    ) -> None:
        if on_truncated not in ("refuse", "use"):
            raise ParameterError(f"on_truncated: {on_truncated!r} is not one of refuse, use")
        if sr <= 0:
            raise ParameterError(f"sr: {sr!r} must be a positive sample rate")
        if channels not in (1, 2):
            raise ParameterError(f"channels: {channels!r} must be 1 or 2")
        if offset < 0:
            raise ParameterError(f"offset: {offset!r} is below 0")
        self.path = os.fspath(path)
        self.sr = sr
        self.channels = channels
        self.offset = float(offset)
        self.on_truncated = on_truncated
        self.truncated_at: float | None = None
        self._container, self._stream = _open_audio(self.path)
        self._origin = (self._container.start_time or 0) / av.time_base
        self._resampler = av.AudioResampler(format="fltp", layout="mono" if channels == 1 else "stereo", rate=sr)
        self._pending: list[np.ndarray] = []
        self._pending_len = 0
        self._eof = False
        self._skip = 0  # samples still to drop before the offset
        self._frames = self._decode_from_offset()

    # -- decoding ---------------------------------------------------------------------
    def _decode_from_offset(self) -> Iterator[np.ndarray]:
        stream = self._stream
        target = self._origin + self.offset
        if self.offset > 1.0 and stream.time_base is not None:
            try:
                self._container.seek(int((target - 0.5) / stream.time_base), stream=stream, backward=True)
            except av.error.FFmpegError:
                self._container.seek(0)
        positioned = False
        decoded_to = target
        try:
            for packet in self._container.demux(stream):
                for frame in packet.decode():
                    if not positioned:
                        start = frame.time if frame.time is not None else self._origin
                        lead = int(round((start - target) * self.sr))
                        if lead > 0:  # stream starts after the requested time: silence first
                            yield np.zeros((self.channels, lead), np.float32)
                        else:
                            self._skip = -lead
                        positioned = True
                    if frame.time is not None:
                        decoded_to = frame.time + frame.samples / (frame.sample_rate or self.sr)
                    for out in self._resampler.resample(frame):
                        yield out.to_ndarray().reshape(self.channels, -1)
            for out in self._resampler.resample(None):
                yield out.to_ndarray().reshape(self.channels, -1)
        except av.error.FFmpegError as exc:
            if self.on_truncated != "use":
                raise MediaError(
                    self.path,
                    f"audio is corrupt or truncated ({exc.strerror or exc}) after {max(0.0, decoded_to - self._origin):.3f} s",
                ) from None
            self.truncated_at = max(0.0, decoded_to - self._origin)

    def _fill(self, n: int) -> None:
        while self._pending_len < n and not self._eof:
            try:
                chunk = next(self._frames)
            except StopIteration:
                self._eof = True
                break
            if self._skip:
                drop = min(self._skip, chunk.shape[1])
                chunk = chunk[:, drop:]
                self._skip -= drop
            if chunk.shape[1]:
                self._pending.append(chunk)
                self._pending_len += chunk.shape[1]

    def read(self, n: int) -> np.ndarray:
        """Return the next ``n`` samples as float32 of shape (channels, n), zero-padded at the end."""
        got = self.read_available(n)
        if got.shape[1] == n:
            return got
        out = np.zeros((self.channels, n), np.float32)
        out[:, : got.shape[1]] = got
        return out

    def read_available(self, n: int) -> np.ndarray:
        """Return up to ``n`` samples; fewer only at the end of the stream."""
        self._fill(n)
        take_total = min(n, self._pending_len)
        out = np.empty((self.channels, take_total), np.float32)
        filled = 0
        while filled < take_total:
            chunk = self._pending[0]
            take = min(take_total - filled, chunk.shape[1])
            out[:, filled : filled + take] = chunk[:, :take]
            filled += take
            if take == chunk.shape[1]:
                self._pending.pop(0)
            else:
                self._pending[0] = chunk[:, take:]
            self._pending_len -= take
        return out

    @property
    def exhausted(self) -> bool:
        """True once the stream has ended and every decoded sample was read."""
        return self._eof and self._pending_len == 0

    def close(self) -> None:
        """Release the file (idempotent)."""
        frames = getattr(self, "_frames", None)
        if frames is not None:
            frames.close()
        container = getattr(self, "_container", None)
        if container is not None:
            container.close()
            self._container = None  # type: ignore[assignment]

    def __enter__(self) -> AudioStreamReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - never raise from a finalizer
            pass


def load_audio(
    path: str | os.PathLike[str],
    *,
    sr: int = DEFAULT_SR,
    mono: bool = False,
    offset: float = 0.0,
    duration: float | None = None,
) -> tuple[np.ndarray, int]:
    """Decode audio from any file PyAV reads into memory.

    Parameters
    ----------
    path : str or os.PathLike
        The file (an audio file, or a video whose sound is wanted).
    sr : int > 0
        Sample rate to resample to.
    mono : bool
        Downmix to one channel.
    offset : float >= 0
        Start, in seconds from the start of the file.
    duration : float > 0 or None
        How much to read; ``None`` reads to the end.

    Returns
    -------
    y : np.ndarray, dtype float32, shape (channels, n)
        The samples, channels first (1 or 2 rows).
    sr : int
        The sample rate of ``y``.

    Raises
    ------
    MediaError
        The file is missing, unreadable or has no audio stream.
    """
    if duration is not None and duration <= 0:
        raise ParameterError(f"duration: {duration!r} must be above 0 seconds")
    with AudioStreamReader(path, sr=sr, channels=1 if mono else 2, offset=offset) as reader:
        if duration is not None:
            return reader.read(int(round(duration * sr))), sr
        chunks = []
        while not reader.exhausted:
            chunks.append(reader.read_available(sr * 10))
        if not chunks:
            return np.zeros((reader.channels, 0), np.float32), sr
        return np.concatenate(chunks, axis=1), sr
