"""Which part of a clip to use: windows scored for motion and sharpness (OpenCV).

A clip is sampled a few times per second (decoded once, downscaled luma only). Each
sample gets a motion value (mean absolute difference to the previous sample) and a
sharpness value (variance of the Laplacian). Both are scaled by their 90th percentile
over the clip, so the score is relative to the clip itself, and combined
``0.6 * motion + 0.4 * sharpness``: lively, in-focus moments win over static or blurred
ones. A window's score is the mean over the samples it covers.

A hard cut inside the source is not motion: scene cuts are found on the same samples
(:class:`clipkit.vision.scenecut.SceneCutDetector`), the sample across a cut takes its
neighbours' motion instead of the jump, and a window that would contain a cut is chosen
only when the clip has no cut-free window of that length, so every cut in a montage is
one of its planned cuts, on its beat.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from ..errors import ParameterError

__all__ = ["ClipScores", "score_clip", "best_window"]

MOTION_WEIGHT = 0.6
SHARPNESS_WEIGHT = 0.4
CUT_PENALTY = 10.0  # far below any score: a window across a scene cut is the last resort


@dataclass(frozen=True, slots=True)
class ClipScores:
    """Per-sample scores of a clip.

    Attributes
    ----------
    times : np.ndarray
        Sample times in seconds from the clip's start.
    motion, sharpness : np.ndarray
        Raw measures (mean absolute luma difference; Laplacian variance).
    duration : float
        Seconds of the clip.
    cuts : np.ndarray
        Scene cuts inside the clip, shape (n, 2): each lies between the two sample
        times given (seconds from the clip's start).
    """

    times: np.ndarray
    motion: np.ndarray
    sharpness: np.ndarray
    duration: float
    cuts: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))

    @property
    def score(self) -> np.ndarray:
        """Combined score per sample, about [0, 1]."""
        if self.times.size == 0:
            return np.zeros(0)

        def rel(x: np.ndarray) -> np.ndarray:
            ref = float(np.percentile(x, 90)) if x.size else 0.0
            return np.clip(x / ref, 0.0, 1.5) if ref > 1e-9 else np.zeros_like(x)

        return MOTION_WEIGHT * rel(self.motion) + SHARPNESS_WEIGHT * rel(self.sharpness)

    def window_scores(self, length: float, *, step: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Candidate window starts (seconds) and their mean scores."""
        if length <= 0:
            raise ParameterError(f"length: {length!r} must be above 0 seconds")
        latest = max(0.0, self.duration - length)
        step = step or (float(self.times[1] - self.times[0]) if self.times.size > 1 else 0.25)
        starts = np.arange(0.0, latest + 1e-9, max(step, 1e-3))
        if starts.size == 0 or starts[-1] < latest - 1e-6:
            starts = np.append(starts, latest)
        if self.times.size == 0:
            return starts, np.zeros_like(starts)
        score = self.score
        cum = np.concatenate(([0.0], np.cumsum(score)))
        lo = np.searchsorted(self.times, starts - 1e-9, side="left")
        hi = np.searchsorted(self.times, starts + length - 1e-9, side="left")
        count = np.maximum(hi - lo, 1)
        means = np.where(hi > lo, (cum[hi] - cum[lo]) / count, score[np.clip(lo, 0, score.size - 1)])
        for after, before in self.cuts:
            # the cut is somewhere in (after, before]: a window must end by it or start after it
            across = (starts < before - 1e-9) & (starts + length > after + 1e-9)
            means = np.where(across, means - CUT_PENALTY, means)
        return starts, means

    def best(self, length: float, *, avoid: Sequence[tuple[float, float]] = ()) -> float:
        """Start (seconds from the clip's start) of the best window of ``length``.

        Windows overlapping the spans in ``avoid`` are penalised by the overlapping
        share, so a clip used twice shows different moments when it can.
        """
        starts, means = self.window_scores(length)
        if avoid:
            ends = starts + length
            overlap = np.zeros_like(starts)
            for a, b in avoid:
                overlap = np.maximum(overlap, np.clip(np.minimum(ends, b) - np.maximum(starts, a), 0, None) / length)
            means = means - 2.0 * overlap
        return float(starts[int(np.argmax(means))])  # ties: the earliest


def score_clip(clip: Any, *, sample_fps: float = 4.0, width: int = 128) -> ClipScores:
    """Sample a clip and measure motion and sharpness.

    Parameters
    ----------
    clip : Clip
        A video clip (stills and colours get flat scores).
    sample_fps : float in (0, 30]
        Samples per second of clip.
    width : int in [32, 640]
        Width the luma is downscaled to before measuring.
    """
    import cv2

    from ..edit.sources import VideoSource
    from ..media.video import read_video_frames
    from ..vision.scenecut import SceneCutDetector, thumbnail

    if not 0 < sample_fps <= 30:
        raise ParameterError(f"sample_fps: {sample_fps!r} must be in (0, 30]")
    if isinstance(width, bool) or not isinstance(width, int) or not 32 <= width <= 640:
        raise ParameterError(f"width: {width!r} must be a whole number of pixels in 32..640")
    duration = float(clip.duration)
    source = clip.source
    count = max(1, int(math.floor(duration * sample_fps + 1e-9)))
    if not isinstance(source, VideoSource):
        times = np.arange(count) / sample_fps
        return ClipScores(times, np.ones(count), np.ones(count), duration)
    rate = Fraction(sample_fps).limit_denominator(1000)
    rotation = source.info.video.rotation if source.info.video else 0
    times: list[float] = []
    motion: list[float] = []
    sharp: list[float] = []
    prev: np.ndarray | None = None
    cut_at: list[int] = []
    cuts = SceneCutDetector()
    # motion and sharpness read luma structure: an HDR clip needs no SDR conversion for them
    frames = read_video_frames(source.path, start=clip.start, count=count, fps=rate, rotation=rotation, speed=float(clip.speed), convert_colour=False)
    try:
        for k, (frame, _) in enumerate(frames):
            y = frame.y
            h = max(8, int(round(y.shape[0] * width / y.shape[1])))
            small = cv2.resize(y, (width, h), interpolation=cv2.INTER_AREA).astype(np.float32)
            times.append(k / float(rate))
            sharp.append(float(cv2.Laplacian(small, cv2.CV_32F).var()))
            cut = cuts.push_thumbnail(thumbnail(y))
            if cut and k > 0:
                cut_at.append(k)
            motion.append(float(np.mean(np.abs(small - prev))) if prev is not None and not cut else np.nan)
            prev = small
    finally:
        frames.close()
    m = np.asarray(motion, dtype=np.float64)
    known = ~np.isnan(m)
    if known.any():
        # the first sample, and samples across a cut, take their neighbours' motion
        m = np.interp(np.arange(m.size), np.flatnonzero(known), m[known])
    else:
        m = np.zeros_like(m)
    spans = np.asarray([((k - 1) / float(rate), k / float(rate)) for k in cut_at], np.float64).reshape(-1, 2)
    return ClipScores(np.asarray(times), m, np.asarray(sharp, dtype=np.float64), duration, spans)


def best_window(clip: Any, length: float, *, avoid: Sequence[tuple[float, float]] = (), scores: ClipScores | None = None) -> float:
    """Seconds from ``clip``'s start where its best ``length``-second window begins.

    Parameters
    ----------
    clip : Clip
        The clip (its own trim is the range searched).
    length : float > 0
        Window length in seconds; at most the clip's duration.
    avoid : sequence of (float, float)
        Spans (seconds from the clip's start) already used.
    scores : ClipScores, optional
        Precomputed :func:`score_clip` result.
    """
    if length > clip.duration + 1e-6:
        raise ParameterError(f"length: {length!r} s is longer than {clip.describe()} ({clip.duration:.3f} s)")
    scores = scores or score_clip(clip)
    return min(scores.best(length, avoid=avoid), max(0.0, clip.duration - length))
