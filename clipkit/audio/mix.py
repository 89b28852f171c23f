"""The streaming audio mixer.

The mix is a list of :class:`Segment` s, each a span of a file placed at an exact
output sample. The mixer renders the timeline in blocks, in order, opening a decoder
when a segment starts and closing it when it ends, so memory does not grow with the
length of the edit. Sample positions come from frame indices
(``round(frame * sr / fps)``), so audio and video cannot drift apart.

Buses: every segment has a role (``music``, ``voice``, ``sfx``, ``original``). Blocks are
mixed per role first, then :attr:`Mixer.bus_processors` (e.g. ducking the music under
the voice) and :attr:`Mixer.master_processors` (e.g. loudness, limiting) run in order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..media.audio import AudioStreamReader

__all__ = ["Segment", "Mixer", "BusProcessor", "MasterProcessor", "soft_limit"]

BusProcessor = Callable[[dict[str, np.ndarray], int], None]
"""Called with the per-role blocks (shape (2, n), modified in place) and the block's first sample."""

MasterProcessor = Callable[[np.ndarray, int], np.ndarray]
"""Called with the mixed block (2, n) and its first sample; returns the processed block."""


@dataclass(frozen=True, slots=True)
class Segment:
    """A span of a file's sound placed on the output timeline.

    Attributes
    ----------
    path : str
        The file.
    source_start : float
        Second in the file where the segment starts.
    out_start : int
        Output sample where it starts.
    length : int
        Samples it lasts.
    gain : float
        Linear gain.
    fade_in, fade_out : int
        Fade lengths in samples.
    role : str
        Bus name.
    loop_length : int
        When > 0, the source restarts every ``loop_length`` samples (looped music).
    samples : np.ndarray or None
        Already-decoded sound, float32 (2, n) at the mix rate, used instead of
        ``path`` (time-stretched or reversed audio, generated sounds).
    on_truncated : {"refuse", "use"}
        What the reader of ``path`` does where its sound stops decoding: refuse, or end
        there (silence after); ``"use"`` for clips opened with ``on_truncated="use"``.
    """

    path: str | None
    source_start: float
    out_start: int
    length: int
    gain: float = 1.0
    fade_in: int = 0
    fade_out: int = 0
    role: str = "original"
    loop_length: int = 0
    samples: np.ndarray | None = None
    on_truncated: str = "refuse"

    @property
    def out_end(self) -> int:
        """Output sample after the segment's last."""
        return self.out_start + self.length

    def envelope(self, offset: int, n: int) -> np.ndarray | None:
        """Gain × fades for samples ``offset .. offset+n`` of the segment; None if flat."""
        if self.fade_in <= 0 and self.fade_out <= 0:
            return None
        idx = np.arange(offset, offset + n, dtype=np.float64)
        env = np.ones(n, np.float64)
        if self.fade_in > 0:
            env = np.minimum(env, (idx + 0.5) / self.fade_in)
        if self.fade_out > 0:
            env = np.minimum(env, (self.length - idx - 0.5) / self.fade_out)
        return np.clip(env, 0.0, 1.0).astype(np.float32)


class _ActiveSegment:
    def __init__(self, segment: Segment, sr: int) -> None:
        self.segment = segment
        self.sr = sr
        self.done = 0  # samples of the segment already produced
        self.reader: AudioStreamReader | None = None
        self.loop_pos = 0

    def _open(self) -> AudioStreamReader:
        return AudioStreamReader(
            self.segment.path, sr=self.sr, channels=2, offset=self.segment.source_start, on_truncated=self.segment.on_truncated
        )

    def _read_samples(self, n: int) -> np.ndarray:
        data = self.segment.samples
        out = np.zeros((2, n), np.float32)
        avail = data[:, self.done : self.done + n]
        out[:, : avail.shape[1]] = avail
        return out

    def _read_file(self, n: int) -> np.ndarray:
        seg = self.segment
        if self.reader is None:
            self.reader = self._open()
        if seg.loop_length <= 0:
            return self.reader.read(n)
        parts = []
        need = n
        while need > 0:
            take = min(need, seg.loop_length - self.loop_pos)
            parts.append(self.reader.read(take))
            self.loop_pos += take
            need -= take
            if self.loop_pos >= seg.loop_length:
                self.reader.close()
                self.reader = self._open()
                self.loop_pos = 0
        return np.concatenate(parts, axis=1)

    def read(self, n: int) -> np.ndarray:
        seg = self.segment
        data = self._read_samples(n) if seg.samples is not None else self._read_file(n)
        env = seg.envelope(self.done, n)
        if env is not None:
            data *= env
        if seg.gain != 1.0:
            data *= np.float32(seg.gain)
        self.done += n
        return data

    def close(self) -> None:
        if self.reader is not None:
            self.reader.close()
            self.reader = None


def soft_limit(block: np.ndarray, *, ceiling: float = 0.98) -> np.ndarray:
    """Keep samples inside ±1 without hard clipping: values above ``ceiling`` are
    compressed smoothly (tanh knee); everything below it passes unchanged."""
    over = np.abs(block) > ceiling
    if not over.any():
        return block
    out = block.copy()
    head = 1.0 - ceiling
    x = np.abs(block[over]) - ceiling
    out[over] = np.sign(block[over]) * (ceiling + head * np.tanh(x / head))
    return out


class Mixer:
    """Mix segments block by block.

    Parameters
    ----------
    segments : sequence of Segment
        Everything that sounds.
    sr : int > 0
        Sample rate.
    total : int >= 0
        Output length in samples.
    """

    def __init__(self, segments: Sequence[Segment], *, sr: int, total: int) -> None:
        self.sr = sr
        self.total = total
        self.segments = sorted((s for s in segments if s.length > 0 and s.out_start < total), key=lambda s: s.out_start)
        self.position = 0
        self._active: list[_ActiveSegment] = []
        self._next = 0
        self.bus_processors: list[BusProcessor] = []
        self.master_processors: list[MasterProcessor] = []

    @property
    def roles(self) -> set[str]:
        """Roles present in the mix."""
        return {s.role for s in self.segments}

    def ready(self) -> bool:
        """Whether :meth:`read` would return without waiting (a processor may still be
        preparing, e.g. the loudness measurement of a render)."""
        return all(getattr(p, "ready", lambda: True)() for p in self.master_processors)

    def read(self, n: int) -> np.ndarray:
        """Mix the next ``n`` samples (fewer at the end); returns float32 (2, n)."""
        n = max(0, min(n, self.total - self.position))
        start, end = self.position, self.position + n
        while self._next < len(self.segments) and self.segments[self._next].out_start < end:
            self._active.append(_ActiveSegment(self.segments[self._next], self.sr))
            self._next += 1
        buses: dict[str, np.ndarray] = {}
        still: list[_ActiveSegment] = []
        for act in self._active:
            seg = act.segment
            lo = max(start, seg.out_start + act.done)
            hi = min(end, seg.out_end)
            if hi > lo:
                bus = buses.get(seg.role)
                if bus is None:
                    bus = buses[seg.role] = np.zeros((2, n), np.float32)
                bus[:, lo - start : hi - start] += act.read(hi - lo)
            if seg.out_start + act.done >= seg.out_end:
                act.close()
            else:
                still.append(act)
        self._active = still
        for proc in self.bus_processors:
            proc(buses, start)
        out = np.zeros((2, n), np.float32)
        for bus in buses.values():
            out += bus
        for master in self.master_processors:
            out = master(out, start)
        self.position = end
        return soft_limit(out)

    def close(self) -> None:
        """Close every open decoder and stop the processors' own work (a loudness
        measurement still running); idempotent."""
        for act in self._active:
            act.close()
        self._active = []
        for proc in (*self.bus_processors, *self.master_processors):
            stop = getattr(proc, "close", None)
            if callable(stop):
                stop()

    def __enter__(self) -> Mixer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
