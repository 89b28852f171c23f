"""The shared machinery of overlay layers: placement, animation, safe area, drawing.

A layer (sticker, text, captions) is an immutable :class:`~clipkit.nodes.FrameNode`.
Its ``bind`` builds the per-render state (decoded sticker frames, rasterized text) and
returns a callable that, for each frame, works out the layer's :class:`LayerState`
(keyframes, enter/exit animation, beat bounce), asks the content for its image, and
blends it into the frame's planes inside its bounding box.

Positions are fractions of the canvas (``[0.5, 0.5]`` is the centre); sticker sizes are
fractions of the canvas width; text lengths are pixels of a 1080x1920 frame
(:data:`REFERENCE_SHORT_SIDE`), scaled to the render, so a half-size preview or a
smaller canvas looks the same.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass
from typing import Any

import numpy as np

from ..errors import ParameterError, describe_value
from ..frame import REFERENCE_SHORT_SIDE, Frame
from ..nodes import FrameTime, RenderContext
from ..envelope import music_envelope
from .animation import ENVELOPE_SOURCES, Animation, LayerState, Track
from .composite import Sprite, affine

__all__ = ["SafeArea", "SAFE_AREA", "BeatBounce", "Layer", "Content", "own_frame", "reference_scale"]


def reference_scale(ctx: RenderContext) -> float:
    """Render pixels per reference pixel (see :data:`REFERENCE_SHORT_SIDE`)."""
    return min(ctx.width, ctx.height) / REFERENCE_SHORT_SIDE


_owned = threading.local()


def own_frame(frame: Frame) -> Frame:
    """A frame overlays may draw into: ``frame`` itself if an overlay made it, else a copy.

    Sources may hand the same planes to several output frames (a colour card, a still,
    a held frame) without marking them read-only, so :meth:`Frame.writable` cannot tell
    a shared frame from a private one. The first overlay drawing on an output frame
    copies it (about 1 ms at 1080x1920, what ``writable()`` costs a decoded frame
    anyway); the next layers see planes an overlay made on this thread and draw in place.
    The thread keeps a reference to the planes it made, so their identity cannot be reused.
    """
    mine = getattr(_owned, "planes", None)
    if mine is not None and frame.y is mine[0] and frame.u is mine[1] and frame.v is mine[2]:
        return frame
    if frame.width % 2 or frame.height % 2:
        out = frame.copy()
    else:
        # copied into one yuv420p buffer: the encoder then takes the frame without a second copy
        out = Frame.packed(frame.width, frame.height)
        np.copyto(out.y, frame.y)
        np.copyto(out.u, frame.u)
        np.copyto(out.v, frame.v)
        out.alpha = None if frame.alpha is None else frame.alpha.copy()
    _owned.planes = (out.y, out.u, out.v)
    return out


@dataclass(frozen=True, slots=True)
class SafeArea:
    """Margins of a vertical video kept clear of the apps' interface, as canvas fractions.

    The defaults keep text clear of the top bar, the caption and buttons at the bottom,
    and the like/comment/share column on the right of TikTok, Reels and Shorts at 9:16.

    Attributes
    ----------
    left, top, right, bottom : float in [0, 0.5)
        Margins as fractions of the canvas width (left, right) or height (top, bottom).
    """

    left: float = 0.06
    top: float = 0.10
    right: float = 0.16
    bottom: float = 0.22

    def __post_init__(self) -> None:
        for name in ("left", "top", "right", "bottom"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not 0 <= v < 0.5:
                raise ParameterError(f"safe_area.{name}: {v!r} is outside 0..0.5 (a fraction of the canvas)")

    def box(self, width: float, height: float) -> tuple[float, float, float, float]:
        """``(x0, y0, x1, y1)`` in pixels for a frame of ``width`` x ``height``."""
        return (self.left * width, self.top * height, (1 - self.right) * width, (1 - self.bottom) * height)

    @property
    def center_x(self) -> float:
        """Horizontal centre of the safe area, as a canvas fraction."""
        return (self.left + 1 - self.right) / 2


SAFE_AREA = SafeArea()
"""The default 9:16 safe area."""


@dataclass(frozen=True, slots=True)
class BeatBounce:
    """Scale pulses on the music's beats.

    Parameters
    ----------
    amount : float in [0, 2]
        Extra scale on a full-strength beat (0.15 = 15 % bigger).
    on : {'beats', 'downbeats', 'onsets'}
        Which events pulse.
    attack, decay : float
        Seconds to rise before the beat; time constant of the fall after it.
    """

    amount: float = 0.12
    on: str = "beats"
    attack: float = 0.02
    decay: float = 0.15

    def __post_init__(self) -> None:
        if not isinstance(self.amount, (int, float)) or not 0 <= self.amount <= 2:
            raise ParameterError(f"beat_bounce.amount: {self.amount!r} is outside 0..2")
        if self.on not in ENVELOPE_SOURCES:
            raise ParameterError(f"beat_bounce.on: {self.on!r} is not one of {', '.join(ENVELOPE_SOURCES)}")
        if not isinstance(self.attack, (int, float)) or not 0 <= self.attack <= 2:
            raise ParameterError(f"beat_bounce.attack: {self.attack!r} is outside 0..2 seconds")
        if not isinstance(self.decay, (int, float)) or not 0 < self.decay <= 10:
            raise ParameterError(f"beat_bounce.decay: {self.decay!r} must be above 0 and at most 10 seconds")

    @classmethod
    def parse(cls, value: Any, *, field: str) -> BeatBounce | None:
        """``None``/``0``, an amount, a mapping ``{amount, on, attack, decay}`` or a BeatBounce."""
        if value is None or isinstance(value, BeatBounce):
            return value
        if isinstance(value, bool):
            raise ParameterError(f"{field}: {value!r} is not an amount; use a number such as 0.12")
        if isinstance(value, (int, float)):
            return None if value == 0 else cls(float(value))
        if isinstance(value, Mapping):
            extra = set(value) - {"amount", "on", "attack", "decay"}
            if extra:
                raise ParameterError(f"{field}: unknown field {sorted(extra)[0]!r}; use amount, on, attack, decay")
            return cls(**{k: value[k] for k in value})
        raise ParameterError(f"{field}: {describe_value(value)} is not a beat bounce; use an amount or {{amount, on}}")


Content = Callable[[FrameTime, LayerState], "tuple[Sprite, tuple[float, float]] | None"]
"""Per-frame content of a bound layer: given the time and the (mutable) state, the
sprite to draw and its anchor in sprite fractions, or ``None`` to draw nothing."""


@dataclass(frozen=True)
class Layer(ABC):
    """Placement and animation shared by every overlay layer.

    Parameters
    ----------
    position : [x, y] in canvas fractions, or keyframes
        Where the layer's anchor sits.
    anchor : [x, y], each in [0, 1]
        The point of the layer pinned to ``position`` (``[0.5, 0.5]`` its centre).
    scale : float > 0, keyframes or envelope
        Multiplier on the layer's base size.
    rotation : float (degrees, clockwise), keyframes or envelope
    opacity : float in [0, 1], keyframes or envelope
    enter, exit : Animation, kind name or mapping, optional
        Played over the first (last) ``duration`` seconds of the layer.
    beat_bounce : float, mapping or BeatBounce, optional
        Scale pulses on the music's beats (no music: no bounce).
    label : str, optional
        How messages name the layer (a template names it by its field,
        ``overlays.text[1]``); ``None``: by its kind and content.
    """

    _: KW_ONLY
    position: Any = (0.5, 0.5)
    anchor: Any = (0.5, 0.5)
    scale: Any = 1.0
    rotation: Any = 0.0
    opacity: Any = 1.0
    enter: Any = None
    exit: Any = None
    beat_bounce: Any = None
    label: str | None = None

    def __post_init__(self) -> None:
        name = type(self).__name__
        set_ = object.__setattr__
        if self.label is not None and not isinstance(self.label, str):
            raise ParameterError(f"{name}.label: {describe_value(self.label)} is not a string")
        set_(self, "position", Track.parse(self.position, field=f"{name}.position", dims=2, lo=-2.0, hi=3.0))
        anchor = Track.parse(self.anchor, field=f"{name}.anchor", dims=2, lo=0.0, hi=1.0)
        if not anchor.is_constant:
            raise ParameterError(f"{name}.anchor: must be a constant [x, y], not {anchor.kind}")
        set_(self, "anchor", anchor.constant)
        set_(self, "scale", Track.parse(self.scale, field=f"{name}.scale", lo=0.0, hi=20.0))
        set_(self, "rotation", Track.parse(self.rotation, field=f"{name}.rotation", lo=-3600.0, hi=3600.0, unit="degrees"))
        set_(self, "opacity", Track.parse(self.opacity, field=f"{name}.opacity", lo=0.0, hi=1.0))
        set_(self, "enter", Animation.parse(self.enter, field=f"{name}.enter"))
        set_(self, "exit", Animation.parse(self.exit, field=f"{name}.exit"))
        set_(self, "beat_bounce", BeatBounce.parse(self.beat_bounce, field=f"{name}.beat_bounce"))

    # subclasses provide the content ---------------------------------------------------
    @abstractmethod
    def _bind_content(self, ctx: RenderContext) -> Content:
        """The layer's content for one render (a sticker's frames, a text's raster)."""

    def _state_fns(
        self, ctx: RenderContext
    ) -> tuple[Callable[[FrameTime], LayerState], Callable[[LayerState, FrameTime], None]]:
        """Bound to one render: the base state from the tracks, and the animation step
        (enter/exit and beat bounce) applied after the content has adjusted the base."""
        position = self.position.bind(ctx)
        scale = self.scale.bind(ctx)
        rotation = self.rotation.bind(ctx)
        opacity = self.opacity.bind(ctx)
        enter: Animation | None = self.enter
        exit_: Animation | None = self.exit
        bounce: BeatBounce | None = self.beat_bounce
        env = None
        if bounce is not None and bounce.amount > 0:
            env = music_envelope(ctx, bounce.on, attack=bounce.attack, decay=bounce.decay)
        amount = bounce.amount if bounce is not None else 0.0

        def base(time: FrameTime) -> LayerState:
            x, y = position(time)
            return LayerState(x, y, scale(time)[0], rotation(time)[0], opacity(time)[0])

        def animate(st: LayerState, time: FrameTime) -> None:
            if enter is not None and time.local_t < enter.duration:
                st.apply(enter, time.local_t / enter.duration, entering=True)
            if exit_ is not None and time.duration > 0:
                left = time.duration - time.local_t
                if left < exit_.duration:
                    st.apply(exit_, left / exit_.duration, entering=False)
            if env is not None:
                st.scale *= 1.0 + amount * float(env(time.t))

        return base, animate

    def bind(self, ctx: RenderContext) -> Callable[[Frame, FrameTime], Frame]:
        """Bind to a render: returns ``draw(frame, time) -> frame`` (see the module docs)."""
        content = self._bind_content(ctx)
        base, animate = self._state_fns(ctx)
        width, height = ctx.width, ctx.height

        def draw(frame: Frame, time: FrameTime) -> Frame:
            st = base(time)
            if st.opacity <= 0.002:
                return frame
            got = content(time, st)  # may move the base state (safe area, face tracking)
            if got is None:
                return frame
            animate(st, time)
            if st.opacity <= 0.002 or st.scale <= 1e-4:
                return frame
            sprite, anchor = got
            matrix = affine(
                position=(st.x * width, st.y * height),
                anchor=anchor,
                size=(sprite.width, sprite.height),
                scale=st.scale,
                rotation=st.rotation,
            )
            if not _touches(matrix, sprite, width, height):
                return frame
            frame = own_frame(frame)
            sprite.draw(frame, matrix, opacity=st.opacity)
            return frame

        closer = getattr(content, "close", None)
        if closer is not None:
            draw.close = closer  # type: ignore[attr-defined]
        return draw


def _touches(matrix: np.ndarray, sprite: Sprite, width: int, height: int) -> bool:
    w, h = sprite.width, sprite.height
    pts = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], np.float64) @ matrix.T
    return not (pts[:, 0].max() < 0 or pts[:, 1].max() < 0 or pts[:, 0].min() > width or pts[:, 1].min() > height)


def clamp_into(box: tuple[float, float, float, float], area: tuple[float, float, float, float]) -> tuple[float, float]:
    """The shift ``(dx, dy)`` that moves ``box`` inside ``area`` (centred when larger)."""
    x0, y0, x1, y1 = box
    a0, b0, a1, b1 = area
    dx = dy = 0.0
    if x1 - x0 > a1 - a0:
        dx = (a0 + a1) / 2 - (x0 + x1) / 2
    elif x0 < a0:
        dx = a0 - x0
    elif x1 > a1:
        dx = a1 - x1
    if y1 - y0 > b1 - b0:
        dy = (b0 + b1) / 2 - (y0 + y1) / 2
    elif y0 < b0:
        dy = b0 - y0
    elif y1 > b1:
        dy = b1 - y1
    return dx, dy


def scaled_px(value: float, ctx: RenderContext) -> float:
    """Reference pixels (see :data:`REFERENCE_SHORT_SIDE`) -> render pixels."""
    return float(value) * reference_scale(ctx)
