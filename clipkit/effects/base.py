"""Effect declarations, effect nodes and the chain runner.

An effect is a subclass of :class:`Effect` whose class attributes declare it (id,
category, colour space, parameters) and whose two methods process a frame: ``apply``
(the fast path: numba kernels) and ``reference`` (plain numpy, the definition the
kernel is checked against). The declaration drives validation, the CLI, the template
schema and the docs.

:func:`clipkit.effects.create` turns an id and parameters into an :class:`EffectNode`,
an immutable :class:`~clipkit.nodes.FrameNode`. A :class:`Chain` runs several effects
in order and converts to RGB once around each run of RGB-space effects; looks are
chains. :func:`bind_chain` binds a list of nodes the same way, so effects added one by
one to a clip share their conversions too.
"""

from __future__ import annotations

import time as _time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np

from ..errors import ParameterError, renamed
from ..frame import REFERENCE_SHORT_SIDE, Frame
from ..nodes import BoundFrameNode, FrameNode, FrameTime, RenderContext
from .kernels import lookup, rgb_to_yuv420, yuv420_to_rgb
from .params import Param, ParamValue

__all__ = [
    "CATEGORIES",
    "SPACES",
    "REFERENCE_SHORT_SIDE",
    "Effect",
    "EffectNode",
    "BoundEffect",
    "Chain",
    "BoundChain",
    "bind_chain",
    "run_frames",
    "to_rgb",
    "from_rgb",
    "px_scale",
]

CATEGORIES = ("color", "look", "motion", "key")
"""Effect categories, in the order the docs list them."""

SPACES = ("yuv", "rgb")
"""Colour spaces an effect may work in: the frame's YUV 4:2:0 planes, or RGB (H, W, 3)."""


def px_scale(width: int, height: int) -> float:
    """Factor from ``px`` parameter units to pixels of a ``width`` x ``height`` frame."""
    return min(width, height) / REFERENCE_SHORT_SIDE


def to_rgb(frame: Frame) -> np.ndarray:
    """The frame as RGB (H, W, 3) uint8, each 2x2 block sharing its chroma (numba, ~2 ms at 1080x1920)."""
    out = np.empty((frame.height, frame.width, 3), np.uint8)
    yuv420_to_rgb(frame.y, frame.u, frame.v, out)
    return out


def from_rgb(rgb: np.ndarray, alpha: np.ndarray | None = None) -> Frame:
    """A frame from RGB (H, W, 3) uint8; chroma is each 2x2 block's mean colour."""
    h, w = rgb.shape[:2]
    y = np.empty((h, w), np.uint8)
    u = np.empty((h // 2, w // 2), np.uint8)
    v = np.empty((h // 2, w // 2), np.uint8)
    rgb_to_yuv420(np.ascontiguousarray(rgb), y, u, v)
    return Frame(y, u, v, alpha)


def contiguous(frame: Frame) -> Frame:
    """``frame`` with C-contiguous planes (a copy of those that are strided views).

    Decoded frames passed through at their own size are views with padded rows;
    giving kernels one memory layout means numba compiles (and caches) one version of
    each kernel instead of two, and the contiguous one vectorizes better.
    """
    planes = (frame.y, frame.u, frame.v, frame.alpha)
    if all(p is None or p.flags.c_contiguous for p in planes):
        return frame
    y, u, v, a = (None if p is None else np.ascontiguousarray(p) for p in planes)
    return Frame(y, u, v, a)  # type: ignore[arg-type]


class Effect(ABC):
    """Base class of every effect. Subclass it in a file named after the effect id.

    Class attributes
    ----------------
    id : str
        Lower-case identifier, e.g. ``"contrast"`` (the file name too).
    title : str
        Human name, e.g. ``"Contrast"``.
    category : str, one of CATEGORIES
        ``color``, ``look``, ``motion`` or ``key``.
    space : str, one of SPACES
        ``"yuv"`` (default): ``apply`` gets and returns a :class:`~clipkit.frame.Frame`.
        ``"rgb"``: it gets and returns an (H, W, 3) uint8 array; the runner converts
        once around a run of such effects. Use RGB only when the maths needs it.
    params : tuple of Param
        The parameters, in the order docs list them.
    example : dict
        Parameters for docs, ``clipkit effects show`` and ``clipkit preview``.
    tolerance : int
        Largest difference in grey levels allowed between kernel and reference.
    before_scaling : bool
        ``True`` for an effect whose result on a picture scaled up k times is, to within
        rounding, its result on the picture before the scaling, with its ``px`` sizes (if
        any) divided by k: a per-pixel colour map (saturation, temperature) or a linear
        filter whose only sizes are ``px`` parameters (a blur; not an unsharp mask, which
        would sharpen the source's pixels instead of the scaled picture's). A fit that
        scales a source up may then run it on the source's pixels, k squared times fewer
        (see :meth:`BoundChain.split_point_ops`). Luma tables and colour cubes count as
        such without it. Default ``False``.

    The docstring's first line is the effect's summary.

    Methods to write
    ----------------
    apply(image, p, state, time)
        The fast path (numba kernels). ``p`` maps every parameter to its value for this
        frame (``px`` parameters already in pixels of this frame); ``state`` is what
        :meth:`prepare` returned; ``time`` is the :class:`~clipkit.nodes.FrameTime`.
        Return a new image; never write into the input (its planes may be shared).
    reference(image, p, state, time)
        The same result in plain numpy, written for clarity.
    prepare(ctx, static)
        Optional, once per render: per-render state (a loaded LUT, seeded tables) from
        the :class:`~clipkit.nodes.RenderContext` and the non-keyframable parameters.
    check(values)
        Optional: checks between parameters; raise :class:`ParameterError`.
    """

    id: ClassVar[str] = ""
    title: ClassVar[str] = ""
    category: ClassVar[str] = "color"
    space: ClassVar[str] = "yuv"
    params: ClassVar[tuple[Param, ...]] = ()
    example: ClassVar[dict[str, Any]] = {}
    tolerance: ClassVar[int] = 1
    before_scaling: ClassVar[bool] = False

    # -- declaration ----------------------------------------------------------------------
    @classmethod
    def summary(cls) -> str:
        """The docstring's first line."""
        doc = (cls.__doc__ or "").strip()
        return doc.splitlines()[0].strip() if doc else ""

    @classmethod
    def details(cls) -> str:
        """The docstring after its first line (may be empty)."""
        doc = (cls.__doc__ or "").strip().splitlines()
        import textwrap

        return textwrap.dedent("\n".join(doc[1:])).strip()

    @classmethod
    def param(cls, name: str) -> Param:
        """The declaration of parameter ``name``."""
        for p in cls.params:
            if p.name == name:
                return p
        raise ParameterError(f"{cls.id}: no parameter {name!r}; parameters: {', '.join(p.name for p in cls.params) or 'none'}")

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Default value of every parameter."""
        return {p.name: p.default for p in cls.params}

    @classmethod
    def neutral(cls) -> dict[str, Any]:
        """Parameters at which the effect is the identity (defaults elsewhere)."""
        out = cls.defaults()
        out.update({p.name: p.neutral for p in cls.params if p.neutral is not None})
        return out

    @classmethod
    def check_declaration(cls) -> None:
        """Raise ``ValueError`` when the declaration is inconsistent."""
        import re

        if not isinstance(cls.id, str) or not re.match(r"^[a-z][a-z0-9_]*$", cls.id):
            raise ValueError(f"{cls.__name__}: id {cls.id!r} must be lower_case letters, digits and _")
        if cls.category not in CATEGORIES:
            raise ValueError(f"{cls.id}: category {cls.category!r} is not one of {', '.join(CATEGORIES)}")
        if cls.space not in SPACES:
            raise ValueError(f"{cls.id}: space {cls.space!r} is not one of {', '.join(SPACES)}")
        if not cls.summary():
            raise ValueError(f"{cls.id}: needs a docstring whose first line sums it up")
        missing = sorted(getattr(cls, "__abstractmethods__", ()))
        if missing:
            raise ValueError(f"{cls.id}: defines no {' and no '.join(m + '()' for m in missing)} (both the kernel and the numpy reference are required)")
        names = [p.name for p in cls.params]
        if len(set(names)) != len(names):
            raise ValueError(f"{cls.id}: duplicate parameter names in {names}")
        for p in cls.params:
            if not isinstance(p, Param):
                raise ValueError(f"{cls.id}: params must be Param declarations, got {p!r}")
            p.check_declaration(cls.id)
        if not any(p.neutral is not None for p in cls.params):
            raise ValueError(f"{cls.id}: at least one parameter needs a neutral value (the setting that does nothing)")
        for method in ("apply", "reference"):
            if getattr(cls, method) is getattr(Effect, method):
                raise ValueError(f"{cls.id}: must define {method}()")
        for name in cls.example:
            if name not in names:
                raise ValueError(f"{cls.id}: example names unknown parameter {name!r}")

    # -- behaviour ------------------------------------------------------------------------
    def check(self, values: Mapping[str, ParamValue]) -> None:
        """Checks between parameters (override when needed)."""

    def prepare(self, ctx: RenderContext, static: Mapping[str, Any]) -> Any:
        """Per-render state (override when needed)."""
        return None

    def is_identity(self, p: Mapping[str, Any]) -> bool:
        """Whether these values make the effect do nothing (every neutral parameter at neutral)."""
        for param in self.params:
            if param.neutral is None:
                continue
            value = p[param.name]
            if param.kind == "points":
                if any(abs(x - y) > 1e-9 for x, y in value):  # any identity curve is neutral
                    return False
            elif value != param.neutral:
                return False
        return True

    @abstractmethod
    def apply(self, image: Any, p: Mapping[str, Any], state: Any, time: FrameTime) -> Any:
        """Process one frame with the fast kernels (see the class docstring)."""

    def luma_table(self, p: Mapping[str, Any], state: Any) -> np.ndarray | None:
        """The 256-entry uint8 table this effect maps luma through, if that is all it does.

        Override in effects whose ``apply`` is exactly ``y -> table[y]`` with chroma and
        alpha untouched (contrast, brightness, gamma). Neighbouring such effects in a
        chain are then merged into one table and one pass over the frame, with a result
        identical to running them one by one. ``None`` (the default): not a table.
        """
        return None

    def colour_cube(self, p: Mapping[str, Any], state: Any) -> tuple[np.ndarray, float] | None:
        """The colour cube and strength this effect applies, if that is all it does.

        Override in effects whose ``apply`` is exactly
        ``apply_cube(y, u, v, cube, strength)`` (lut, curves, sepia). Luma tables that
        follow such an effect in a chain (contrast, brightness, gamma) are then folded
        into the cube's Y table, so the whole run costs one pass. ``None`` (the
        default): not a cube.
        """
        return None

    @abstractmethod
    def reference(self, image: Any, p: Mapping[str, Any], state: Any, time: FrameTime) -> Any:
        """Process one frame in plain numpy (see the class docstring)."""


# -- nodes ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class EffectNode:
    """A registered effect with validated parameters: an immutable frame node.

    Build it with :func:`clipkit.effects.create`. Parameters are constants, keyframes or
    envelopes (:class:`~clipkit.effects.params.ParamValue`).
    """

    effect: Effect = field(repr=False)
    values: tuple[tuple[str, ParamValue], ...]

    @property
    def id(self) -> str:
        """The effect id."""
        return self.effect.id

    @property
    def space(self) -> str:
        """``"yuv"`` or ``"rgb"``."""
        return self.effect.space

    def params(self) -> dict[str, Any]:
        """Parameter values in plain-data form (constants, keyframes, envelopes)."""
        return {name: value.describe() for name, value in self.values}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"EffectNode({self.id}: {args})"

    def with_intensity(self, intensity: float) -> EffectNode:
        """Old name of :meth:`with_strength` (deprecated)."""
        renamed("EffectNode", "with_intensity", "with_strength")
        return self.with_strength(intensity)

    def with_strength(self, strength: float) -> EffectNode:
        """This effect moved toward neutral: every parameter that has a neutral value
        goes a fraction ``strength`` of the way from neutral to its value."""
        if strength == 1.0:
            return self
        out = []
        for name, value in self.values:
            param = self.effect.param(name)
            if param.neutral is not None:
                value = value.toward(param, param.neutral, strength)
            out.append((name, value))
        return replace(self, values=tuple(out))

    def bind(self, ctx: RenderContext, *, reference: bool = False) -> BoundEffect:
        """Bind to a render (see :class:`~clipkit.nodes.FrameNode`).

        Parameters
        ----------
        ctx : RenderContext
            The render.
        reference : bool
            Run the numpy reference instead of the kernels (for tests).
        """
        return BoundEffect(self, ctx, reference=reference)


class BoundEffect:
    """An effect bound to one render: resolves its parameters per frame and runs."""

    __slots__ = ("effect", "space", "state", "ctx", "_constants", "_dynamic", "_run", "_reference", "_px", "_static_identity", "seconds", "calls")

    def __init__(self, node: EffectNode, ctx: RenderContext, *, reference: bool = False) -> None:
        self.effect = node.effect
        self.space = node.effect.space
        self.ctx = ctx
        scale = px_scale(ctx.width, ctx.height)
        self._px = {p.name: scale for p in self.effect.params if p.unit == "px"}
        constants: dict[str, Any] = {}
        dynamic: list[tuple[str, Callable[[FrameTime], Any]]] = []
        for name, value in node.values:
            const, resolver = value.bind(ctx)
            if resolver is None:
                constants[name] = const
            else:
                dynamic.append((name, resolver))
        self._constants = constants
        self._dynamic = dynamic
        static = {p.name: constants[p.name] for p in self.effect.params if not p.keyframable}
        self.state = self.effect.prepare(ctx, static)
        self._run = self.effect.reference if reference else self.effect.apply
        self._reference = reference
        self._static_identity = not dynamic and self.effect.is_identity(constants)
        self.seconds = 0.0
        self.calls = 0

    def values(self, time: FrameTime) -> dict[str, Any]:
        """Every parameter's value at ``time`` (before ``px`` scaling)."""
        if not self._dynamic:
            return self._constants
        p = dict(self._constants)
        for name, resolver in self._dynamic:
            p[name] = resolver(time)
        return p

    def is_identity(self, p: Mapping[str, Any]) -> bool:
        """Whether the effect does nothing with values ``p``."""
        if not self._dynamic:
            return self._static_identity
        return self.effect.is_identity(p)

    def run(self, image: Any, p: Mapping[str, Any], time: FrameTime, *, scale: float = 1.0) -> Any:
        """Run on an image of the effect's space with values ``p`` (``px`` scaled here).

        ``scale`` > 1: the image is a source the fit then scales up ``scale`` times (an
        effect that runs :attr:`Effect.before_scaling`), so its ``px`` sizes shrink by it.
        """
        if isinstance(image, Frame):
            image = contiguous(image)
        if self._px:
            p = dict(p)
            for name, px in self._px.items():
                p[name] = p[name] * px / scale
        return self._run(image, p, self.state, time)

    def luma_table(self, p: Mapping[str, Any]) -> np.ndarray | None:
        """The effect's luma table for values ``p`` (see :meth:`Effect.luma_table`);
        never in reference mode, where the plain-numpy implementation must run."""
        if self._reference or self.space != "yuv":
            return None
        return self.effect.luma_table(p, self.state)

    def colour_cube(self, p: Mapping[str, Any]) -> tuple[np.ndarray, float] | None:
        """The effect's colour cube and strength for values ``p`` (see :meth:`Effect.colour_cube`);
        never in reference mode."""
        if self._reference or self.space != "yuv":
            return None
        return self.effect.colour_cube(p, self.state)

    def __call__(self, frame: Frame, time: FrameTime) -> Frame:
        p = self.values(time)
        if self.is_identity(p):
            return frame
        if self.space == "yuv":
            return self.run(frame, p, time)
        return from_rgb(self.run(to_rgb(frame), p, time), frame.alpha)


@dataclass(frozen=True, slots=True)
class Chain:
    """Frame nodes run in order; effects in RGB space share one conversion per run.

    Parameters
    ----------
    nodes : tuple of FrameNode
        Effect nodes, nested chains or any other frame node.
    name : str, optional
        Shown in reprs (a look's name).
    """

    nodes: tuple[FrameNode, ...]
    name: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.nodes, tuple):
            object.__setattr__(self, "nodes", tuple(self.nodes))
        for node in self.nodes:
            if not hasattr(node, "bind"):
                raise ParameterError(f"chain: {node!r} is not a frame node (it has no bind())")

    def with_intensity(self, intensity: float) -> Chain:
        """Old name of :meth:`with_strength` (deprecated)."""
        renamed("Chain", "with_intensity", "with_strength")
        return self.with_strength(intensity)

    def with_strength(self, strength: float) -> Chain:
        """Every effect in the chain moved toward neutral by ``strength`` in [0, 1]."""
        return replace(self, nodes=tuple(n.with_strength(strength) if isinstance(n, (EffectNode, Chain)) else n for n in self.nodes))

    def flat(self) -> list[FrameNode]:
        """The nodes with nested chains expanded."""
        out: list[FrameNode] = []
        for n in self.nodes:
            out.extend(n.flat() if isinstance(n, Chain) else [n])
        return out

    def bind(self, ctx: RenderContext, *, reference: bool = False) -> BoundChain:
        """Bind every node to the render (see :class:`~clipkit.nodes.FrameNode`)."""
        bound: list[Any] = []
        for n in self.flat():
            bound.append(n.bind(ctx, reference=reference) if isinstance(n, EffectNode) else n.bind(ctx))
        return BoundChain(bound)


class BoundChain:
    """A chain bound to a render.

    With ``profile`` set (on the class, or on one bound chain), every bound effect adds the CPU time of
    its calls (``BoundEffect.seconds``, thread CPU time: what it takes from the other
    threads, such as the encoder's) and chains bound meanwhile are kept in
    ``profiled``; ``bench/bench_effects.py`` uses this to measure effects inside real
    renders.
    """

    profile: bool = False  # a class default; a profiled render sets it on its own chains
    profiled: ClassVar[list[BoundChain]] = []

    def __init__(self, bound: Sequence[Any]) -> None:
        self.bound = list(bound)
        self._folds: dict[tuple[int, float, bytes], np.ndarray] = {}  # cubes with luma tables folded in
        self._fold_misses = 0
        self._folding = True  # off on a chain whose folded cubes keep changing (animated tables)
        if BoundChain.profile:
            BoundChain.profiled.append(self)

    def __call__(self, frame: Frame, time: FrameTime, *, scale: float = 1.0) -> Frame:
        """Run the chain on ``frame``; ``scale`` > 1 when it is a source picture the fit
        then scales up that many times (only a head of :meth:`split_point_ops` is run so)."""
        rgb: np.ndarray | None = None
        alpha = frame.alpha
        profile = self.profile  # the class flag (bench_effects), or this chain's (a profiled render)
        table: np.ndarray | None = None  # luma tables of neighbouring effects, merged
        tabled: list[BoundEffect] = []
        cube: _PendingCube | None = None  # a colour cube not yet applied, with the luma tables after it
        for b in self.bound:
            if isinstance(b, BoundEffect):
                p = b.values(time)
                if b.is_identity(p):
                    continue
                started = _time.thread_time() if profile else 0.0
                lut = b.luma_table(p) if rgb is None else None
                if lut is not None:
                    if cube is not None and self._folding:
                        cube.add(lut, b)  # folded into the cube's Y table: no pass of its own
                    else:
                        table = lut if table is None else lut[table]  # y -> lut[table[y]]
                        tabled.append(b)
                    if profile:
                        b.seconds += _time.thread_time() - started
                    continue
                if table is not None:
                    frame, table = _apply_table(frame, table, tabled, profile), None
                    tabled = []
                if cube is not None:
                    frame, cube = self._apply_cube(frame, cube, profile), None
                if profile:
                    started = _time.thread_time()  # the table and cube passes above counted as theirs
                found = b.colour_cube(p) if rgb is None else None
                if found is not None:
                    cube = _PendingCube(b, found[0], float(found[1]))
                    if profile:
                        b.seconds += _time.thread_time() - started
                    continue
                if b.space == "rgb":
                    if rgb is None:
                        alpha = frame.alpha
                        rgb = to_rgb(frame)
                    rgb = b.run(rgb, p, time)
                else:
                    if rgb is not None:
                        frame, rgb = from_rgb(rgb, alpha), None
                    frame = b.run(frame, p, time, scale=scale)
                if profile:
                    b.seconds += _time.thread_time() - started
                    b.calls += 1
            else:
                if table is not None:
                    frame, table = _apply_table(frame, table, tabled, profile), None
                    tabled = []
                if cube is not None:
                    frame, cube = self._apply_cube(frame, cube, profile), None
                if rgb is not None:
                    frame, rgb = from_rgb(rgb, alpha), None
                frame = b(frame, time)
        if table is not None:
            frame = _apply_table(frame, table, tabled, profile)
        if cube is not None:
            frame = self._apply_cube(frame, cube, profile)
        if rgb is not None:
            frame = from_rgb(rgb, alpha)
        return frame

    def _apply_cube(self, frame: Frame, pending: _PendingCube, profile: bool) -> Frame:
        """Apply a pending colour cube, with the luma tables after it folded into its Y table."""
        from .kernels import CUBES, apply_cube

        started = _time.thread_time() if profile else 0.0
        frame = contiguous(frame)
        if pending.table is None:
            y, u, v = apply_cube(frame.y, frame.u, frame.v, pending.cube, pending.strength)
        else:
            key = (id(pending.cube), pending.strength, pending.table.tobytes())
            folded = self._folds.get(key)
            if folded is None:
                if len(self._folds) >= 4:  # tables that change every frame: folding would cost more than it saves
                    self._folds.clear()
                    self._fold_misses += 1
                    self._folding = self._fold_misses <= 4
                folded = self._folds[key] = CUBES.folded(pending.cube, pending.strength, pending.table)
            y, u, v = apply_cube(frame.y, frame.u, frame.v, folded, pending.strength, 1.0)
        out = Frame(y, u, v, frame.alpha)
        if profile:
            pending.effect.seconds += _time.thread_time() - started
            for b in (pending.effect, *pending.tabled):
                b.calls += 1
        return out

    def is_static(self) -> bool:
        """Whether the chain gives the same picture for the same input at every frame: only
        effects without animated values, each a pixel-by-pixel map (a luma table, a colour
        cube) or a :attr:`Effect.before_scaling` filter, which may not depend on time (a
        head of :meth:`split_point_ops` that says so runs once on a still's picture)."""
        return all(isinstance(b, BoundEffect) and not b._dynamic and _runs_before_scaling(b) for b in self.bound)

    def split_point_ops(self) -> tuple[BoundChain | None, BoundChain | None]:
        """``(leading effects that may run before the scaling, the rest)`` of this chain,
        sharing its bound effects.

        The leading run of effects that only map colours pixel by pixel (luma tables and
        colour cubes: :meth:`Effect.luma_table`, :meth:`Effect.colour_cube`), or that
        declare :attr:`Effect.before_scaling` (per-pixel maps such as temperature and
        saturation, a blur), may run before a fit scales the picture up, where they
        touch fewer pixels (the head is then called with ``scale``); the rest (sharpen,
        vignette, grain, anything positional or made at the output's resolution) stays
        at the output size.
        """
        k = 0
        while k < len(self.bound) and _runs_before_scaling(self.bound[k]):
            k += 1
        if k == 0:
            return None, self
        head = BoundChain(self.bound[:k])
        head.profile = self.profile
        if k == len(self.bound):
            return head, None
        tail = BoundChain(self.bound[k:])
        tail.profile = self.profile
        return head, tail

    def effect_times(self) -> list[tuple[str, float, int]]:
        """``(effect id, CPU seconds, calls)`` of each effect, while profiled."""
        return [(f"effect {b.effect.id}", b.seconds, b.calls) for b in self.bound if isinstance(b, BoundEffect) and b.calls]

    def close(self) -> None:
        """Close bound nodes that hold resources."""
        for b in self.bound:
            closer = getattr(b, "close", None)
            if closer is not None:
                closer()


def _runs_before_scaling(bound: Any) -> bool:
    """Whether a bound node only maps each pixel's colour (its class has a luma table or a
    cube) or its effect declares :attr:`Effect.before_scaling`."""
    if not isinstance(bound, BoundEffect) or bound.space != "yuv" or bound._reference:
        return False
    kind = type(bound.effect)
    return kind.luma_table is not Effect.luma_table or kind.colour_cube is not Effect.colour_cube or kind.before_scaling


class _PendingCube:
    """A colour-cube effect waiting to run, and the luma tables folded after it."""

    __slots__ = ("effect", "cube", "strength", "table", "tabled")

    def __init__(self, effect: BoundEffect, cube: np.ndarray, strength: float) -> None:
        self.effect = effect
        self.cube = cube
        self.strength = strength
        self.table: np.ndarray | None = None
        self.tabled: list[BoundEffect] = []

    def add(self, table: np.ndarray, effect: BoundEffect) -> None:
        self.table = table if self.table is None else table[self.table]
        self.tabled.append(effect)


def _apply_table(frame: Frame, table: np.ndarray, tabled: Sequence[BoundEffect], profile: bool) -> Frame:
    """One pass of the merged luma table; chroma and alpha pass through."""
    started = _time.thread_time() if profile else 0.0
    out = Frame(lookup(frame.y, table), frame.u, frame.v, frame.alpha)
    if profile:
        share = (_time.thread_time() - started) / len(tabled)
        for b in tabled:
            b.seconds += share
            b.calls += 1
    return out


def bind_chain(nodes: Iterable[FrameNode], ctx: RenderContext) -> list[BoundFrameNode]:
    """Bind a clip's or edit's effect list, merging neighbouring effects into one chain.

    Runs of :class:`EffectNode` and :class:`Chain` items are bound together so that
    consecutive RGB-space effects convert once; any other node is bound on its own.
    The executor calls this once per render in place of binding nodes one by one.
    """
    out: list[BoundFrameNode] = []
    run: list[FrameNode] = []
    for node in nodes:
        if isinstance(node, (EffectNode, Chain)):
            run.append(node)
            continue
        if run:
            out.append(Chain(tuple(run)).bind(ctx))
            run = []
        out.append(node.bind(ctx))
    if run:
        out.append(Chain(tuple(run)).bind(ctx))
    return out


def run_frames(
    node: FrameNode,
    frames: Sequence[Frame],
    *,
    fps: float | Fraction = 30,
    seed: int = 0,
    start: int = 0,
    analysis: Callable[[], Any] | None = None,
    reference: bool = False,
) -> list[Frame]:
    """Run a node over frames as a render would (bind once, frames in order).

    Parameters
    ----------
    node : FrameNode
        An effect, a chain or a look.
    frames : sequence of Frame
        The input frames, all of one size.
    fps : float or Fraction > 0
        Frame rate for the frames' times.
    seed : int
        The render seed.
    start : int >= 0
        Output index of the first frame.
    analysis : callable, optional
        Music analysis provider for envelope parameters.
    reference : bool
        Use the numpy references (effects and chains only).

    Returns
    -------
    list of Frame
    """
    if not frames:
        return []
    fps_f = Fraction(fps).limit_denominator(1001) if isinstance(fps, float) else Fraction(fps)
    if fps_f <= 0:
        raise ParameterError(f"fps: {fps!r} must be above 0")
    h, w = frames[0].height, frames[0].width
    ctx = RenderContext(
        width=w,
        height=h,
        fps=fps_f,
        scale=1.0,
        total_frames=start + len(frames),
        seed=seed,
        analysis=analysis or (lambda: None),
    )
    bound = node.bind(ctx, reference=reference) if isinstance(node, (EffectNode, Chain)) else node.bind(ctx)
    duration = len(frames) / float(fps_f)
    out = []
    try:
        for k, frame in enumerate(frames):
            i = start + k
            t = FrameTime(index=i, t=i / float(fps_f), local_index=k, local_t=k / float(fps_f), duration=duration)
            out.append(bound(frame, t))
    finally:
        closer = getattr(bound, "close", None)
        if closer is not None:
            closer()
    return out

