"""Extension points of the render pipeline.

Everything that touches frames during a render plugs in through one of these
protocols. Nodes are immutable descriptions (cheap to build, safe to share between
threads and renders); ``bind`` is called once per render with the render's
:class:`RenderContext` and returns the callable that does the per-frame work, which may
hold caches (a rasterized text, a compiled LUT) for that render only.

- :class:`FrameNode`: effects on a clip or on the whole edit, and overlay layers
  (stickers, text). The bound callable takes a :class:`Frame` and a :class:`FrameTime`
  and returns a frame (the same one drawn into, or a new one).
- :class:`TransitionNode`: blends the outgoing and incoming shot over an overlap.
- Audio tracks live in :mod:`clipkit.audio`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from .frame import Frame

__all__ = [
    "RenderContext",
    "FrameTime",
    "FrameNode",
    "BoundFrameNode",
    "TransitionNode",
    "BoundTransition",
]


@dataclass(frozen=True, slots=True)
class RenderContext:
    """What a node learns about the render it is bound to.

    Attributes
    ----------
    width, height : int
        Size of the frames the node will see, in pixels (the render size).
    fps : Fraction
        Output frame rate.
    scale : float
        Render size over the edit's canvas size (0.5 for a half-size preview). Nodes
        express pixel quantities relative to the canvas and multiply by this.
    total_frames : int
        Frames in the whole output.
    seed : int
        Base seed for deterministic randomness (grain, shake, glitch).
    analysis : callable returning an analysis or None
        Zero-argument callable giving the music analysis of the edit's soundtrack on
        the *output* timeline (attributes ``tempo``, ``beats``, ``beat_strengths``,
        ``downbeats``, ``onsets``, ``onset_strengths``: seconds and [0, 1] strengths),
        computed on first call and cached; it returns ``None`` when the edit has no
        music. Beat-reactive nodes call it in ``bind``.
    extras : dict
        Free-form values later stages share (kept out of the way of the fields above).
    """

    width: int
    height: int
    fps: Fraction
    scale: float = 1.0
    total_frames: int = 0
    seed: int = 0
    analysis: Callable[[], Any] = field(default=lambda: None)
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FrameTime:
    """When a frame is, on the output timeline and inside the node's own span.

    Attributes
    ----------
    index : int
        Output frame index (0-based).
    t : float
        Output time in seconds (``index / fps``).
    local_index : int
        Frame index inside the clip or layer the node belongs to.
    local_t : float
        Seconds since the start of that clip or layer.
    duration : float
        Duration of that clip or layer in seconds (for progress = local_t / duration).
    source_t : float
        Time in the source media that this frame shows (seconds), when there is one.
    """

    index: int
    t: float
    local_index: int
    local_t: float
    duration: float
    source_t: float = 0.0

    @property
    def progress(self) -> float:
        """``local_t / duration`` clamped to [0, 1]."""
        if self.duration <= 0:
            return 0.0
        return min(1.0, max(0.0, self.local_t / self.duration))


@runtime_checkable
class BoundFrameNode(Protocol):
    """A node bound to one render; called once per frame, in frame order."""

    def __call__(self, frame: Frame, time: FrameTime) -> Frame: ...


@runtime_checkable
class FrameNode(Protocol):
    """An effect or an overlay layer: an immutable description of per-frame work."""

    def bind(self, ctx: RenderContext) -> BoundFrameNode: ...


@runtime_checkable
class BoundTransition(Protocol):
    """A transition bound to one render.

    Called for every frame of the overlap with the outgoing frame ``a``, the incoming
    frame ``b`` and ``progress`` in [0, 1) (0 = all ``a``).
    """

    def __call__(self, a: Frame, b: Frame, progress: float, time: FrameTime) -> Frame: ...


@runtime_checkable
class TransitionNode(Protocol):
    """A transition between two shots; ``duration`` is the overlap in seconds."""

    duration: float

    def bind(self, ctx: RenderContext) -> BoundTransition: ...
