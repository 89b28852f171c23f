"""Smart reframe: turn landscape or square footage vertical by following the subject.

Two ways in:

- :func:`reframe` (and :meth:`clipkit.Clip.reframe`) analyses the clip first: it decodes
  it once at a few frames per second, finds the subject in each sampled frame, and
  plans a crop path *with hindsight* (so pans start before the subject leaves the
  frame), then crops along it while rendering.
- ``fit: smart`` (:func:`smart_fit`, a registered fit mode) follows the subject *as the
  frames stream*, with no analysis pass: a causal tracker for any clip, e.g. in a
  template. Its spring lags a little behind sudden moves by design, but a fast
  subject is never let out of the frame.

Finding the subject and moving the crop is :mod:`clipkit.vision.framing` (the one framing
every crop uses): faces first (the CNN detector, tracked with identities), then motion,
with spectral-residual saliency choosing where to start when nothing moves yet; a dead
zone, eased moves, a pan speed cap, and a clean jump at scene cuts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import replace
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from .edit.sources import Source
from .errors import ParameterError, PluginError
from .frame import Frame
from .edit.framing import parse_aspect
from .nodes import RenderContext
from .vision.detector import HaarFaceDetector
from .vision.framing import (
    FOLLOW_MODES,
    SubjectFinder,
    SubjectTrack,
    _used_area,
    analyze_subject,
    crop_size_for,
    plan_crop_path,
    subject_cover,
)

if TYPE_CHECKING:
    from .audio.mix import Segment
    from .edit.clip import Clip
    from .render.fit import FitGeometry

__all__ = [
    "FOLLOW_MODES",
    "SubjectTrack",
    "SubjectFinder",
    "parse_aspect",
    "face_detector",
    "analyze_subject",
    "plan_crop_path",
    "ReframeSource",
    "reframe",
    "smart_fit",
]



def face_detector() -> Callable[[np.ndarray], list[tuple[int, int, int, int]]] | None:
    """OpenCV's bundled Haar cascade as an ``(x, y, w, h)`` detector, or ``None`` when this
    OpenCV has none. The default framing uses :func:`clipkit.vision.default_face_detector`
    (the CNN); this is the fallback, kept for callers that asked for it by name."""
    try:
        haar = HaarFaceDetector(scale_factor=1.15, min_size=1 / 12)
    except PluginError:
        return None

    def detect(gray: np.ndarray) -> list[tuple[int, int, int, int]]:
        return [(int(b.x), int(b.y), int(b.w), int(b.h)) for b in haar(gray)]

    return detect


# -- cropping along a path ----------------------------------------------------------------


class ReframeSource(Source):
    """The frames of ``inner`` cropped along a planned path to a fixed aspect.

    Parameters
    ----------
    inner : Clip
        The clip (its span, speed and crop apply).
    times, cx, cy : np.ndarray
        Crop centre in the used area's display pixels at clip seconds ``times``.
    crop_size : (int, int)
        Crop size in display pixels (even).
    """

    kind = "reframe"

    def __init__(self, inner: Clip, times: np.ndarray, cx: np.ndarray, cy: np.ndarray, crop_size: tuple[int, int]) -> None:
        self.inner = inner
        self.times = np.asarray(times, np.float64)
        self.cx = np.asarray(cx, np.float64)
        self.cy = np.asarray(cy, np.float64)
        self.crop_size = crop_size

    @property
    def duration(self) -> float:  # type: ignore[override]
        return self.inner.duration

    @property
    def display_size(self) -> tuple[int, int]:  # type: ignore[override]
        return self.crop_size

    @property
    def has_audio(self) -> bool:  # type: ignore[override]
        return self.inner.source.has_audio

    def describe(self) -> str:
        return f"reframe of {self.inner.describe()}"

    def centre_at(self, t: float) -> tuple[float, float]:
        """Crop centre (display pixels of the used area) at clip second ``t``."""
        return float(np.interp(t, self.times, self.cx)), float(np.interp(t, self.times, self.cy))

    def frames(
        self, *, ctx: RenderContext, start: float, count: int, fps: Fraction, width: int, height: int, speed: float = 1.0
    ) -> Iterator[tuple[Frame, float]]:
        inner = self.inner
        frames = inner.source.frames(
            ctx=ctx,
            start=inner.start + start * inner.speed, count=count, fps=fps, width=width, height=height, speed=inner.speed * speed
        )
        step = float(speed) / float(fps)
        try:
            for k, (frame, source_t) in enumerate(frames):
                ux, uy, uw, uh, sx, sy = _used_area(inner, (frame.width, frame.height))
                cx, cy = self.centre_at(start + k * step)
                w = min(int(round(self.crop_size[0] / sx / 2)) * 2, int(uw) // 2 * 2)
                h = min(int(round(self.crop_size[1] / sy / 2)) * 2, int(uh) // 2 * 2)
                x = int(round((ux + cx / sx - w / 2) / 2)) * 2
                y = int(round((uy + cy / sy - h / 2) / 2)) * 2
                x = min(max(x, int(math.ceil(ux / 2)) * 2), int(ux + uw) - w)
                y = min(max(y, int(math.ceil(uy / 2)) * 2), int(uy + uh) - h)
                x, y = max(0, x - x % 2), max(0, y - y % 2)
                yield Frame(
                    frame.y[y : y + h, x : x + w],
                    frame.u[y // 2 : (y + h) // 2, x // 2 : (x + w) // 2],
                    frame.v[y // 2 : (y + h) // 2, x // 2 : (x + w) // 2],
                    None if frame.alpha is None else frame.alpha[y : y + h, x : x + w],
                ), source_t
        finally:
            close = getattr(frames, "close", None)
            if close is not None:
                close()

    def audio_segments(self, clip: Clip, *, out_start: int, length: int, sr: int, gain: float, **_: Any) -> list[Segment]:
        """The inner clip's own sound for ``clip``'s span (cropping does not change it)."""
        from .edit.retime import clip_sound_segments

        inner = self.inner
        span = replace(inner, start=inner.start + clip.start * inner.speed, end=inner.start + clip.end * inner.speed, speed=inner.speed * clip.speed)
        return clip_sound_segments(span, out_start=out_start, length=length, sr=sr, gain=gain)


def reframe(
    clip: Clip,
    aspect: str | float | tuple[int, int] = "9:16",
    *,
    follow: str = "auto",
    dead_zone: float = 0.08,
    smoothing: float = 0.5,
    max_speed: float = 2.0,
    sample_fps: float = 6.0,
    faces: Any = "default",
) -> Clip:
    """Crop ``clip`` to ``aspect``, following its subject along a smoothed path.

    The clip is analysed now (decoded once at ``sample_fps``); the crop is applied while
    rendering. The result's display shape is ``aspect``, so it fills a canvas of that
    shape with the ordinary ``cover`` fit.

    Parameters
    ----------
    clip : Clip
        Landscape or square footage (any clip wider or taller than ``aspect``).
    aspect : str, float or (int, int)
        Target width:height, e.g. ``"9:16"`` (vertical), ``"4:5"``, ``"1:1"``.
    follow : {'auto', 'faces', 'motion', 'center'}
        What the crop follows.
    dead_zone : float in [0, 0.5]
        Share of the crop the subject may drift before the crop moves.
    smoothing : float in [0, 3]
        Seconds of easing on moves.
    max_speed : float in (0, 10]
        Fastest pan in crop widths per second.
    sample_fps : float in [1, 30]
        Analysis rate.
    faces : callable, None or 'default'
        Face detector override (tests, or a stronger detector).

    Returns
    -------
    Clip
        Same duration and sound; fit ``cover``; effects and volume carried over.
    """
    from .edit.clip import Clip as ClipType

    if not isinstance(clip, ClipType):
        raise ParameterError(f"reframe: {clip!r} is not a clip")
    ratio = parse_aspect(aspect)
    inner = replace(clip, effects=(), fit=None, volume=1.0)
    track = analyze_subject(inner, sample_fps=sample_fps, follow=follow, faces=faces, aspect=ratio)
    crop = crop_size_for(track.size, ratio)
    times, cx, cy = plan_crop_path(track, crop, dead_zone=dead_zone, smoothing=smoothing, max_speed=max_speed)
    source = ReframeSource(inner, times, cx, cy, crop)
    return replace(clip, source=source, start=0.0, end=inner.duration, speed=1.0, crop_box=None, fit="cover")


# -- the streaming fit mode ---------------------------------------------------------------


def smart_fit(g: FitGeometry) -> Callable[[Frame], Frame]:
    """The ``smart`` fit mode: cover the canvas, cropping where the subject is (streaming),
    whatever the shapes (``cover`` does the same only when the shapes differ enough)."""
    return subject_cover(g)

