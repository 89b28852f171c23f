"""Transitions between shots.

A transition overlaps the end of one shot with the start of the next by its
``duration``; the executor calls the bound transition for each frame of the overlap
with both frames and the progress in [0, 1). The clips' own sound crossfades over the
same span (the planner fades the two shots' audio segments over the overlap).

Every transition works on the YUV 4:2:0 planes directly (no RGB round trip): blends
use ``cv2.addWeighted``, moves are plane slices, zooms and spins one ``cv2.resize`` or
``cv2.warpAffine`` per plane, so a transition frame costs about what a fit does.

Beat-centred transitions
------------------------
The planner lays a transition over the *end* of the outgoing shot: with a hard cut at
``T`` the overlap is ``[T - d, T)``. A beat-synced cut wants the overlap centred on the
beat, ``[T - d/2, T + d/2)``. :func:`centre_on_cuts` does that through the edit the
planner reads, without any special case in the planner: it lengthens the outgoing clip
by ``d/2`` (more of its source after its old end) and starts the incoming clip ``d/2``
earlier in its source, so every shot after the cut keeps its place on the timeline and
the incoming clip shows at ``T`` the very source frame it showed with the hard cut.
Where a clip has no spare material, the shift is shortened to what exists (the overlap
then leans towards the side that has it). The beat-cut planner (``cuts:`` in templates,
``clipkit.montage``) calls it after placing cuts on beats.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import cv2
import numpy as np

from .easing import CURVES, canonical_ease, ease_spellings
from .errors import ParameterError
from .frame import Frame, color_yuv8, parse_color
from .nodes import BoundTransition, FrameTime, RenderContext
from .registry import TRANSITIONS

__all__ = [
    "EASINGS",
    "DIRECTIONS",
    "Transition",
    "Crossfade",
    "Dip",
    "Wipe",
    "Slide",
    "Push",
    "Zoom",
    "WhipPan",
    "Spin",
    "Glitch",
    "Flash",
    "crossfade",
    "transition",
    "transition_names",
    "ease",
    "centre_on_cuts",
    "transition_from_spec",
    "transition_schema",
    "transition_options",
    "TransitionKind",
    "register_transition",
]

DIRECTIONS = ("left", "right", "up", "down")
"""Directions of wipes, slides, pushes and whip pans: where the motion goes."""


EASINGS: dict[str, Callable[[float], float]] = {name: CURVES[name] for name in ("linear", "ease-in", "ease-out", "ease-in-out", "smooth")}
"""The easing curves a transition takes (:data:`clipkit.easing.CURVES`, the same curves
effect keyframes and overlay animations use): progress in [0, 1] to eased progress.
``ease_in``-style spellings are accepted too."""


def _easing_name(name: object, *, field: str = "easing") -> str:
    """The canonical easing name for ``name`` (underscores read as hyphens)."""
    canonical = canonical_ease(name)
    if canonical not in EASINGS:
        raise ParameterError(f"{field}: {name!r} is not an easing; use one of {', '.join(EASINGS)}")
    return canonical  # type: ignore[return-value]


def ease(name: str, progress: float) -> float:
    """Eased ``progress`` (clamped to [0, 1]) by the curve ``name`` (see :data:`EASINGS`)."""
    return EASINGS[_easing_name(name)](min(1.0, max(0.0, float(progress))))


# -- plane helpers ------------------------------------------------------------------------


def _blend(a: Frame, b: Frame, w: float) -> Frame:
    """``a * (1 - w) + b * w`` on every plane (w in [0, 1])."""
    if w <= 0.0:
        return a
    if w >= 1.0:
        return b
    return Frame(
        cv2.addWeighted(a.y, 1.0 - w, b.y, w, 0.0),
        cv2.addWeighted(a.u, 1.0 - w, b.u, w, 0.0),
        cv2.addWeighted(a.v, 1.0 - w, b.v, w, 0.0),
    )


def _blend_solid(a: Frame, yuv: tuple[int, int, int], w: float) -> Frame:
    """Blend a frame towards a solid YUV colour by ``w``."""
    if w <= 0.0:
        return a
    k = 1.0 - w
    return Frame(
        cv2.convertScaleAbs(a.y, alpha=k, beta=yuv[0] * w),
        cv2.convertScaleAbs(a.u, alpha=k, beta=yuv[1] * w),
        cv2.convertScaleAbs(a.v, alpha=k, beta=yuv[2] * w),
    )


def _even(v: float) -> int:
    return int(round(v / 2.0)) * 2


def _zoomed(frame: Frame, scale: float) -> Frame:
    """The frame magnified by ``scale`` >= 1 about its centre (crop, then resize)."""
    if scale <= 1.0005:
        return frame
    W, H = frame.width, frame.height
    cw, ch = max(2, _even(W / scale)), max(2, _even(H / scale))
    x, y = (W - cw) // 4 * 2, (H - ch) // 4 * 2
    return Frame(
        cv2.resize(frame.y[y : y + ch, x : x + cw], (W, H), interpolation=cv2.INTER_LINEAR),
        cv2.resize(frame.u[y // 2 : (y + ch) // 2, x // 2 : (x + cw) // 2], (W // 2, H // 2), interpolation=cv2.INTER_LINEAR),
        cv2.resize(frame.v[y // 2 : (y + ch) // 2, x // 2 : (x + cw) // 2], (W // 2, H // 2), interpolation=cv2.INTER_LINEAR),
    )


def _shrunk_onto(top: Frame, base: Frame, scale: float) -> Frame:
    """``top`` scaled down by ``scale`` <= 1 and pasted centred on a copy of ``base``."""
    W, H = base.width, base.height
    tw, th = max(2, _even(W * scale)), max(2, _even(H * scale))
    out = base.copy()
    x, y = (W - tw) // 4 * 2, (H - th) // 4 * 2
    # linear, straight into the pasted area: a moving picture hides the little aliasing,
    # and INTER_AREA at non-integer ratios costs ten times more
    cv2.resize(top.y, (tw, th), dst=out.y[y : y + th, x : x + tw], interpolation=cv2.INTER_LINEAR)
    cv2.resize(top.u, (tw // 2, th // 2), dst=out.u[y // 2 : (y + th) // 2, x // 2 : (x + tw) // 2], interpolation=cv2.INTER_LINEAR)
    cv2.resize(top.v, (tw // 2, th // 2), dst=out.v[y // 2 : (y + th) // 2, x // 2 : (x + tw) // 2], interpolation=cv2.INTER_LINEAR)
    return out


def _warp(frame: Frame, matrix: np.ndarray) -> Frame:
    """Apply a 2x3 affine matrix (luma pixel units) to all planes; edges reflect."""
    W, H = frame.width, frame.height
    mc = matrix.copy()
    mc[:, 2] *= 0.5  # the same motion on the half-resolution chroma grid
    flags = cv2.INTER_LINEAR
    border = cv2.BORDER_REFLECT_101
    return Frame(
        cv2.warpAffine(frame.y, matrix, (W, H), flags=flags, borderMode=border),
        cv2.warpAffine(frame.u, mc, (W // 2, H // 2), flags=flags, borderMode=border),
        cv2.warpAffine(frame.v, mc, (W // 2, H // 2), flags=flags, borderMode=border),
    )


def _shifted_pair(a: Frame, b: Frame, offset: int, direction: str, *, move_a: bool) -> Frame:
    """``b`` entering by ``offset`` pixels in ``direction``; ``a`` pushed along when ``move_a``."""
    W, H = a.width, a.height
    out = Frame(np.empty_like(a.y), np.empty_like(a.u), np.empty_like(a.v))
    horizontal = direction in ("left", "right")
    size = W if horizontal else H
    o = max(0, min(size, offset - offset % 2))
    for plane_o, plane_a, plane_b, half in ((out.y, a.y, b.y, 1), (out.u, a.u, b.u, 2), (out.v, a.v, b.v, 2)):
        s, n = o // half, size // half
        po, pa, pb = (plane_o, plane_a, plane_b) if horizontal else (plane_o.T, plane_a.T, plane_b.T)
        if direction in ("left", "up"):  # b comes in from the far side (right / bottom)
            po[:, : n - s] = pa[:, s:] if move_a else pa[:, : n - s]
            po[:, n - s :] = pb[:, : s]
        else:  # b comes in from the near side (left / top)
            po[:, s:] = pa[:, : n - s] if move_a else pa[:, s:]
            po[:, :s] = pb[:, n - s :]
    return out


def _check_direction(kind: str, direction: str) -> None:
    if direction not in DIRECTIONS:
        raise ParameterError(f"{kind}.direction: {direction!r} is not a direction; use one of {', '.join(DIRECTIONS)}")


# -- transitions --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Transition(ABC):
    """Base of the built-in transitions: a duration and an easing curve.

    Parameters
    ----------
    duration : float > 0
        Seconds of overlap between the two shots.
    easing : {'linear', 'ease-in', 'ease-out', 'ease-in-out', 'smooth'}
        How progress is shaped over the overlap.
    """

    duration: float = 0.5
    easing: str = "linear"
    kind: ClassVar[str] = "transition"

    def __post_init__(self) -> None:
        d = self.duration
        if isinstance(d, bool) or not isinstance(d, (int, float)) or not math.isfinite(d) or not d > 0:
            raise ParameterError(f"{self.kind}.duration: {d!r} must be a number of seconds above 0")
        object.__setattr__(self, "easing", _easing_name(self.easing, field=f"{self.kind}.easing"))

    def bind(self, ctx: RenderContext) -> BoundTransition:
        curve = EASINGS[self.easing]
        draw = self._drawer(ctx)

        def bound(a: Frame, b: Frame, progress: float, time: FrameTime) -> Frame:
            return draw(a, b, curve(min(1.0, max(0.0, float(progress)))), time)

        return bound

    @abstractmethod
    def _drawer(self, ctx: RenderContext) -> BoundTransition:
        """Draw ``(a, b, eased progress, time) -> frame`` for one render."""


@dataclass(frozen=True, slots=True)
class Crossfade(Transition):
    """Dissolve from one shot to the next (see :class:`Transition` for the parameters)."""

    kind: ClassVar[str] = "crossfade"

    def _drawer(self, ctx: RenderContext) -> BoundTransition:
        return lambda a, b, p, time: _blend(a, b, p)


@dataclass(frozen=True, slots=True)
class Dip(Transition):
    """Fade the outgoing shot to a colour, then the colour to the incoming shot.

    Parameters
    ----------
    duration, easing
        See :class:`Transition`.
    color : str or tuple of int
        The colour in between (``"black"``, ``"white"``, ``"#rrggbb"``).
    hold : float in [0, 0.8]
        Share of the overlap spent on the plain colour.
    """

    color: Any = "black"
    hold: float = 0.1
    kind: ClassVar[str] = "dip"

    def __post_init__(self) -> None:
        Transition.__post_init__(self)
        object.__setattr__(self, "color", parse_color(self.color, field=f"{self.kind}.color"))
        if isinstance(self.hold, bool) or not isinstance(self.hold, (int, float)) or not 0 <= self.hold <= 0.8:
            raise ParameterError(f"{self.kind}.hold: {self.hold!r} is outside 0..0.8")

    def _drawer(self, ctx: RenderContext) -> BoundTransition:
        yuv = color_yuv8(self.color)
        half = (1.0 - self.hold) / 2

        def draw(a: Frame, b: Frame, p: float, time: FrameTime) -> Frame:
            if p < half:
                return _blend_solid(a, yuv, p / half)
            if p < half + self.hold:
                return _blend_solid(a, yuv, 1.0)
            return _blend_solid(b, yuv, 1.0 - (p - half - self.hold) / half)

        return draw


@dataclass(frozen=True, slots=True)
class Wipe(Transition):
    """A moving edge uncovers the incoming shot.

    Parameters
    ----------
    duration, easing
        See :class:`Transition`.
    direction : {'left', 'right', 'up', 'down'}
        Where the edge travels (``right``: the new shot appears from the left side).
    softness : float in [0, 0.5]
        Width of the soft edge as a share of the frame.
    """

    direction: str = "right"
    softness: float = 0.04
    kind: ClassVar[str] = "wipe"

    def __post_init__(self) -> None:
        Transition.__post_init__(self)
        _check_direction(self.kind, self.direction)
        if isinstance(self.softness, bool) or not isinstance(self.softness, (int, float)) or not 0 <= self.softness <= 0.5:
            raise ParameterError(f"{self.kind}.softness: {self.softness!r} is outside 0..0.5")

    def _drawer(self, ctx: RenderContext) -> BoundTransition:
        horizontal = self.direction in ("left", "right")
        forward = self.direction in ("right", "down")  # the edge moves towards larger x / y
        softness = float(self.softness)

        def weights(n: int, p: float) -> np.ndarray:
            # weight of b along the axis: 1 where the edge has passed, 0 ahead of it
            band = softness * n
            pos = p * (n + band) - band / 2
            idx = np.arange(n, dtype=np.float32) + 0.5
            w = (idx < pos).astype(np.float32) if band <= 0 else np.clip((pos - idx) / band + 0.5, 0.0, 1.0)
            return w if forward else w[::-1].copy()

        def draw(a: Frame, b: Frame, p: float, time: FrameTime) -> Frame:
            planes = []
            for pa, pb in ((a.y, b.y), (a.u, b.u), (a.v, b.v)):
                w = weights(pa.shape[1] if horizontal else pa.shape[0], p)
                out = pa.copy()
                view_o, view_a, view_b = (out, pa, pb) if horizontal else (out.T, pa.T, pb.T)
                full = np.flatnonzero(w >= 1.0)
                if full.size:
                    view_o[:, full[0] : full[-1] + 1] = view_b[:, full[0] : full[-1] + 1]
                soft = np.flatnonzero((w > 0.0) & (w < 1.0))
                if soft.size:
                    s = slice(soft[0], soft[-1] + 1)
                    ra = view_a[:, s].astype(np.float32)
                    view_o[:, s] = np.rint(ra + (view_b[:, s].astype(np.float32) - ra) * w[s][None, :]).astype(np.uint8)
                planes.append(out)
            return Frame(*planes)

        return draw


@dataclass(frozen=True, slots=True)
class Slide(Transition):
    """The incoming shot slides in over the outgoing one, which stays still.

    Parameters
    ----------
    duration, easing
        See :class:`Transition` (``ease-out`` is the natural choice).
    direction : {'left', 'right', 'up', 'down'}
        Where the incoming shot moves (``left``: it enters from the right edge).
    """

    direction: str = "left"
    kind: ClassVar[str] = "slide"

    def __post_init__(self) -> None:
        Transition.__post_init__(self)
        _check_direction(self.kind, self.direction)

    def _drawer(self, ctx: RenderContext) -> BoundTransition:
        horizontal = self.direction in ("left", "right")
        move_a = self.kind == "push"

        def draw(a: Frame, b: Frame, p: float, time: FrameTime) -> Frame:
            n = a.width if horizontal else a.height
            return _shifted_pair(a, b, int(round(p * n)), self.direction, move_a=move_a)

        return draw


@dataclass(frozen=True, slots=True)
class Push(Slide):
    """The incoming shot pushes the outgoing one out of the frame (parameters as :class:`Slide`)."""

    kind: ClassVar[str] = "push"


@dataclass(frozen=True, slots=True)
class Zoom(Transition):
    """Zoom through the cut.

    ``in``: the outgoing shot magnifies, the incoming one arrives magnified and settles.
    ``out``: the outgoing shot shrinks away, revealing the incoming one settling behind it.

    Parameters
    ----------
    duration, easing
        See :class:`Transition`.
    mode : {'in', 'out'}
        Direction of the zoom.
    amount : float in (0, 4]
        Extra magnification at the cut (1.0 doubles the size).
    """

    mode: str = "in"
    amount: float = 1.0
    kind: ClassVar[str] = "zoom"

    def __post_init__(self) -> None:
        Transition.__post_init__(self)
        if self.mode not in ("in", "out"):
            raise ParameterError(f"{self.kind}.mode: {self.mode!r} is not 'in' or 'out'")
        if isinstance(self.amount, bool) or not isinstance(self.amount, (int, float)) or not 0 < self.amount <= 4:
            raise ParameterError(f"{self.kind}.amount: {self.amount!r} is outside (0, 4]")

    def _drawer(self, ctx: RenderContext) -> BoundTransition:
        z = float(self.amount)

        def draw_in(a: Frame, b: Frame, p: float, time: FrameTime) -> Frame:
            w = ease("smooth", (p - 0.4) / 0.2)
            if w <= 0.0:
                return _zoomed(a, 1 + z * p)
            if w >= 1.0:
                return _zoomed(b, 1 + z * (1 - p))
            return _blend(_zoomed(a, 1 + z * p), _zoomed(b, 1 + z * (1 - p)), w)

        def draw_out(a: Frame, b: Frame, p: float, time: FrameTime) -> Frame:
            behind = _zoomed(b, 1 + z * 0.5 * (1 - p))
            shrunk = _shrunk_onto(a, behind, 1.0 / (1 + z * p))
            return _blend(shrunk, behind, ease("smooth", (p - 0.5) / 0.5))

        return draw_in if self.mode == "in" else draw_out


@dataclass(frozen=True, slots=True)
class WhipPan(Transition):
    """A fast pan: both shots rush across the frame with directional motion blur.

    Parameters
    ----------
    duration, easing
        See :class:`Transition` (usually short, 0.2-0.4 s; ``ease-in-out`` gives the whip).
    direction : {'left', 'right', 'up', 'down'}
        Direction of the pan.
    blur : float in [0, 0.5]
        Longest blur streak, as a share of the frame along the pan.
    """

    direction: str = "left"
    blur: float = 0.15
    easing: str = "ease-in-out"
    kind: ClassVar[str] = "whip"

    def __post_init__(self) -> None:
        Transition.__post_init__(self)
        _check_direction(self.kind, self.direction)
        if isinstance(self.blur, bool) or not isinstance(self.blur, (int, float)) or not 0 <= self.blur <= 0.5:
            raise ParameterError(f"{self.kind}.blur: {self.blur!r} is outside 0..0.5")

    def _drawer(self, ctx: RenderContext) -> BoundTransition:
        horizontal = self.direction in ("left", "right")

        def draw(a: Frame, b: Frame, p: float, time: FrameTime) -> Frame:
            n = a.width if horizontal else a.height
            moved = _shifted_pair(a, b, int(round(p * n)), self.direction, move_a=True)
            # the streak follows the speed of the (eased) motion: longest mid-pan
            strength = math.sin(math.pi * p)
            k = int(self.blur * n * strength)
            if k < 3:
                return moved
            planes = []
            for plane, half in ((moved.y, 1), (moved.u, 2), (moved.v, 2)):
                kk = max(1, k // half)
                size = (kk, 1) if horizontal else (1, kk)
                planes.append(cv2.blur(plane, size, borderType=cv2.BORDER_REFLECT_101))
            return Frame(*planes)

        return draw


@dataclass(frozen=True, slots=True)
class Spin(Transition):
    """The outgoing shot spins away and the incoming one spins in.

    Parameters
    ----------
    duration, easing
        See :class:`Transition` (``ease-in-out`` by default).
    turns : float in (0, 4]
        Full turns over the transition.
    clockwise : bool
        Direction of the spin.
    """

    turns: float = 1.0
    clockwise: bool = True
    easing: str = "ease-in-out"
    kind: ClassVar[str] = "spin"

    def __post_init__(self) -> None:
        Transition.__post_init__(self)
        if isinstance(self.turns, bool) or not isinstance(self.turns, (int, float)) or not 0 < self.turns <= 4:
            raise ParameterError(f"{self.kind}.turns: {self.turns!r} is outside (0, 4]")

    def _drawer(self, ctx: RenderContext) -> BoundTransition:
        sign = -1.0 if self.clockwise else 1.0  # OpenCV angles are counter-clockwise

        def spun(frame: Frame, angle: float, scale: float) -> Frame:
            if abs(angle) < 1e-3 and abs(scale - 1) < 1e-3:
                return frame
            m = cv2.getRotationMatrix2D((frame.width / 2, frame.height / 2), angle, scale)
            return _warp(frame, m)

        def draw(a: Frame, b: Frame, p: float, time: FrameTime) -> Frame:
            angle = sign * 360.0 * self.turns * p
            scale = 1.0 + 0.35 * math.sin(math.pi * p)  # zoom in mid-spin to hide the corners
            w = ease("smooth", (p - 0.4) / 0.2)
            if w <= 0.0:
                return spun(a, angle, scale)
            back = angle - sign * 360.0 * self.turns  # b finishes upright
            if w >= 1.0:
                return spun(b, back, scale)
            return _blend(spun(a, angle, scale), spun(b, back, scale), w)

        return draw


@dataclass(frozen=True, slots=True)
class Glitch(Transition):
    """Digital breakup: displaced bands, split chroma and block noise around the cut.

    Deterministic: the pattern depends on the render seed and the frame index only.

    Parameters
    ----------
    duration, easing
        See :class:`Transition` (short, 0.2-0.5 s).
    strength : float in [0, 1]
        How far bands and chroma are displaced at the peak.
    """

    strength: float = 0.7
    kind: ClassVar[str] = "glitch"

    def __post_init__(self) -> None:
        Transition.__post_init__(self)
        if isinstance(self.strength, bool) or not isinstance(self.strength, (int, float)) or not 0 <= self.strength <= 1:
            raise ParameterError(f"{self.kind}.strength: {self.strength!r} is outside 0..1")

    def _drawer(self, ctx: RenderContext) -> BoundTransition:
        seed = int(ctx.seed)

        def draw(a: Frame, b: Frame, p: float, time: FrameTime) -> Frame:
            base = a if p < 0.5 else b
            g = self.strength * (1.0 - abs(2.0 * p - 1.0))
            if g <= 0.01:
                return base
            rng = np.random.default_rng([seed, int(time.index), 7321])
            W, H = base.width, base.height
            y, u, v = base.y.copy(), base.u.copy(), base.v.copy()
            # horizontal bands of luma (and their chroma) shifted sideways
            for _ in range(int(3 + 10 * g)):
                h = int(rng.integers(2, max(4, H // 12))) // 2 * 2
                top = int(rng.integers(0, max(1, H - h))) // 2 * 2
                shift = int(rng.integers(-1, 2) * g * W * 0.15 * rng.random()) // 2 * 2
                if shift == 0 or h == 0:
                    continue
                y[top : top + h] = np.roll(y[top : top + h], shift, axis=1)
                u[top // 2 : (top + h) // 2] = np.roll(u[top // 2 : (top + h) // 2], shift // 2, axis=1)
                v[top // 2 : (top + h) // 2] = np.roll(v[top // 2 : (top + h) // 2], shift // 2, axis=1)
            # chroma split: Cb and Cr drift apart
            split = max(1, int(g * W * 0.02))
            u = np.roll(u, split, axis=1)
            v = np.roll(v, -split, axis=1)
            # a few blocks of the other shot, as a broken stream shows
            other = b if p < 0.5 else a
            for _ in range(int(6 * g)):
                bw = int(rng.integers(W // 16 + 2, W // 4 + 4)) // 2 * 2
                bh = int(rng.integers(H // 32 + 2, H // 10 + 4)) // 2 * 2
                bx = int(rng.integers(0, max(1, W - bw))) // 2 * 2
                by = int(rng.integers(0, max(1, H - bh))) // 2 * 2
                y[by : by + bh, bx : bx + bw] = other.y[by : by + bh, bx : bx + bw]
                u[by // 2 : (by + bh) // 2, bx // 2 : (bx + bw) // 2] = other.u[by // 2 : (by + bh) // 2, bx // 2 : (bx + bw) // 2]
                v[by // 2 : (by + bh) // 2, bx // 2 : (bx + bw) // 2] = other.v[by // 2 : (by + bh) // 2, bx // 2 : (bx + bw) // 2]
            return Frame(y, u, v)

        return draw


@dataclass(frozen=True, slots=True)
class Flash(Transition):
    """A burst of light at the cut: the picture brightens to white and clears on the new shot.

    Parameters
    ----------
    duration, easing
        See :class:`Transition`.
    color : str or tuple of int
        Colour of the flash.
    """

    color: Any = "white"
    kind: ClassVar[str] = "flash"

    def __post_init__(self) -> None:
        Transition.__post_init__(self)
        object.__setattr__(self, "color", parse_color(self.color, field=f"{self.kind}.color"))

    def _drawer(self, ctx: RenderContext) -> BoundTransition:
        yuv = color_yuv8(self.color)

        def draw(a: Frame, b: Frame, p: float, time: FrameTime) -> Frame:
            base = a if p < 0.5 else b
            # sharp attack into the cut, slower release after it
            f = math.exp(-(((p - 0.5) / (0.12 if p < 0.5 else 0.22)) ** 2))
            return _blend_solid(base, yuv, f)

        return draw


# -- registry -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TransitionKind:
    """A named transition as registered in :data:`clipkit.registry.TRANSITIONS`.

    Attributes
    ----------
    factory : callable
        ``factory(*, duration, easing=..., **options) -> TransitionNode``.
    options : tuple of str
        Keyword options it takes besides ``duration`` and ``easing``.
    """

    factory: Callable[..., Any]
    options: tuple[str, ...] = ()


def register_transition(name: str, factory: Callable[..., Any], *, options: tuple[str, ...] = (), source: str = "python") -> None:
    """Make ``name`` usable in :func:`transition` and templates.

    Parameters
    ----------
    name : str
        The name users write (``type: ripple`` in a template).
    factory : callable
        ``factory(*, duration, easing=..., **options)`` returning a node with
        ``duration`` and ``bind(ctx)`` (see :class:`clipkit.TransitionNode`).
    options : tuple of str
        The options it accepts besides ``duration`` and ``easing``.
    source : str
        Where it comes from, for listings and conflicts.
    """
    TRANSITIONS.register(name, TransitionKind(factory, tuple(options)), source=source)


def _check_kind(name: str, value: Any) -> TransitionKind:
    if isinstance(value, TransitionKind):
        return value
    if isinstance(value, type) and hasattr(value, "bind"):  # an entry point naming a class
        fields = getattr(value, "__dataclass_fields__", {})
        return TransitionKind(value, tuple(f for f in fields if f not in ("duration", "easing")))
    raise TypeError(f"{value!r} is neither a TransitionKind nor a transition class with bind()")


def _register_builtins(registry: Any) -> None:
    builtin: dict[str, tuple[Callable[..., Transition], tuple[str, ...]]] = {
        "crossfade": (Crossfade, ()),
        "dip_black": (lambda **kw: Dip(color="black", **kw), ("hold",)),
        "dip_white": (lambda **kw: Dip(color="white", **kw), ("hold",)),
        "dip": (Dip, ("color", "hold")),
        "wipe_left": (lambda **kw: Wipe(direction="left", **kw), ("softness",)),
        "wipe_right": (lambda **kw: Wipe(direction="right", **kw), ("softness",)),
        "wipe_up": (lambda **kw: Wipe(direction="up", **kw), ("softness",)),
        "wipe_down": (lambda **kw: Wipe(direction="down", **kw), ("softness",)),
        "wipe": (Wipe, ("direction", "softness")),
        "slide": (Slide, ("direction",)),
        "push": (Push, ("direction",)),
        "zoom_in": (lambda **kw: Zoom(mode="in", **kw), ("amount",)),
        "zoom_out": (lambda **kw: Zoom(mode="out", **kw), ("amount",)),
        "whip": (WhipPan, ("direction", "blur")),
        "spin": (Spin, ("turns", "clockwise")),
        "glitch": (Glitch, ("strength",)),
        "flash": (Flash, ("color",)),
    }
    for name, (factory, options) in builtin.items():
        registry.register(name, TransitionKind(factory, options), source="builtin")


def transition_names() -> tuple[str, ...]:
    """Names :func:`transition` and templates accept (besides ``cut``): the built-ins,
    then plug-ins from the ``clipkit.transitions`` entry points and :func:`register_transition`."""
    return TRANSITIONS.names()


def transition_options(name: str) -> tuple[str, ...]:
    """Options the transition ``name`` accepts besides ``duration`` and ``easing``."""
    return TRANSITIONS.get(name).options


def transition(name: str, duration: float = 0.5, *, easing: str | None = None, **options: Any) -> Transition:
    """Build a transition by name.

    Parameters
    ----------
    name : str
        One of :func:`transition_names`: ``crossfade``, ``dip_black``, ``dip_white``,
        ``dip``, ``wipe_left|right|up|down``, ``wipe``, ``slide``, ``push``,
        ``zoom_in``, ``zoom_out``, ``whip``, ``spin``, ``glitch``, ``flash``, or a
        registered plug-in.
    duration : float > 0
        Seconds of overlap.
    easing : str, optional
        One of :data:`EASINGS`; each transition has its own default.
    **options
        The transition's own options (``direction``, ``color``, ``softness``, ``amount``,
        ``blur``, ``turns``, ``clockwise``, ``strength``, ``hold``).

    Raises
    ------
    ParameterError
        Unknown names or options, and out-of-range values.
    """
    kind = TRANSITIONS.get(name)
    unknown = sorted(set(options) - set(kind.options))
    if unknown:
        raise ParameterError(
            f"transition {name!r}: unknown option {unknown[0]!r}; it takes duration, easing"
            + "".join(f", {o}" for o in kind.options)
        )
    kwargs = dict(options)
    if easing is not None:
        kwargs["easing"] = easing
    return kind.factory(duration=duration, **kwargs)


def crossfade(duration: float = 0.5, *, easing: str = "linear") -> Crossfade:
    """A :class:`Crossfade` of ``duration`` seconds (> 0)."""
    return Crossfade(duration, easing)


def centre_on_cuts(edit: Any) -> Any:
    """Centre every transition of ``edit`` on its cut point instead of ending there.

    For a transition of ``d`` seconds into shot ``i``, the outgoing clip gets ``d/2``
    more material at its end and the incoming clip starts ``d/2`` earlier in its source,
    so the overlap spans ``[T - d/2, T + d/2)`` around the hard-cut time ``T`` and the
    shots after it keep their timing (see the module notes). Clips without spare
    material shift as far as they can.

    Parameters
    ----------
    edit : Edit
        An edit whose cut times (the hard-cut positions) are where they should be.

    Returns
    -------
    Edit
        A new edit; the one given is unchanged.
    """
    shots = list(edit.shots)
    for i in range(1, len(shots)):
        trans = shots[i].transition
        if trans is None:
            continue
        half = trans.duration / 2.0
        prev, cur = shots[i - 1].clip, shots[i].clip
        # outgoing: extend the end by up to half (in source seconds: times its speed)
        limit = prev.source.duration
        spare_after = half if limit is None else max(0.0, (limit - prev.end) / prev.speed)
        # incoming: start earlier by up to half
        spare_before = cur.start / cur.speed if cur.source.duration is not None else half
        shift = min(half, spare_after, spare_before)
        if shift <= 0:
            continue
        new_prev = replace(prev, end=prev.end + shift * prev.speed)
        new_cur = replace(cur, start=cur.start - shift * cur.speed)
        shots[i - 1] = replace(shots[i - 1], clip=new_prev)
        shots[i] = replace(shots[i], clip=new_cur)
    return replace(edit, shots=tuple(shots))


_SPEC_KEYS = ("type", "duration", "easing")


def transition_from_spec(spec: dict[str, Any]) -> Transition | None:
    """Build a transition from its template form ``{type, duration, easing, ...options}``.

    ``type: cut`` gives ``None`` (a hard cut).

    Raises
    ------
    ParameterError
        Unknown types, options the type does not take, out-of-range values.
    """
    kind = spec.get("type", "crossfade")
    if kind == "cut":
        return None
    options = {k: v for k, v in spec.items() if k not in _SPEC_KEYS}
    return transition(kind, spec.get("duration", 0.5), easing=spec.get("easing"), **options)


def transition_schema() -> dict[str, Any]:
    """JSON Schema of a shot's ``transition`` in templates."""
    number = {"type": "number"}
    return {
        "type": "object",
        "description": "How the previous shot hands over to this one.",
        "properties": {
            "type": {"type": "string", "description": "Transition kind.", "enum": ["cut", *transition_names()]},
            "duration": {"type": "number", "exclusiveMinimum": 0, "description": "Seconds of overlap.", "default": 0.5},
            "easing": {
                "type": "string",
                "enum": ease_spellings(EASINGS),
                "description": "Progress curve (ease_in-style spellings are accepted too).",
            },
            "direction": {"type": "string", "enum": list(DIRECTIONS), "description": "wipe, slide, push, whip: where the motion goes."},
            "color": {"description": "dip, flash: the colour ('#rrggbb', a name, or [r, g, b]).", "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 255}, "minItems": 3, "maxItems": 3}]},
            "softness": {**number, "minimum": 0, "maximum": 0.5, "description": "wipe: soft edge width (share of the frame)."},
            "hold": {**number, "minimum": 0, "maximum": 0.8, "description": "dip: share of the overlap on the plain colour."},
            "amount": {**number, "exclusiveMinimum": 0, "maximum": 4, "description": "zoom: extra magnification at the cut."},
            "blur": {**number, "minimum": 0, "maximum": 0.5, "description": "whip: longest blur streak (share of the frame)."},
            "turns": {**number, "exclusiveMinimum": 0, "maximum": 4, "description": "spin: full turns."},
            "clockwise": {"type": "boolean", "description": "spin: direction."},
            "strength": {**number, "minimum": 0, "maximum": 1, "description": "glitch: displacement at the peak."},
        },
        "required": ["type"],
        "additionalProperties": False,
    }
