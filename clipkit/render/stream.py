"""The frame stream: a plan's output frames, in order, without encoding.

One shot stream serves every place a clip is played:

    source frames (decode; time maps and crops are sources wrapping sources)
      -> fit (a registered fit mode, geometry fixed per shot)
      -> the clip's effect chain, bound once (neighbouring luma tables merged, one RGB
         round trip per run of RGB effects: :func:`clipkit.effects.bind_chain`)
      -> close (a frame with alpha is laid over the background)

:class:`ClipStream` is that stream for one clip; the executor opens one per shot, and
composite sources (layout cells, picture-in-picture, duets) open theirs through it too, so
a cell's effects merge and bind exactly as a shot's do. :func:`frame_stream` composes
the shots of a plan (transitions over overlaps, the edit's effects, overlay layers).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from fractions import Fraction
from typing import Any

from ..edit.sources import ImageSource, VideoSource
from ..errors import MediaError
from ..frame import Frame
from ..media.colour import to_bt709
from ..media.video import close_handed_over
from ..nodes import BoundFrameNode, FrameNode, FrameTime, RenderContext
from ..registry import AUDIO_PROCESSORS
from .fit import Fitter, close_fit_hand_over, composite_over
from .plan import RenderPlan, ShotPlan, music_analysis
from .profile import StageProfiler

__all__ = ["ClipStream", "bind_effects", "render_context", "frame_stream", "install_audio_processors"]


def bind_effects(nodes: Sequence[FrameNode], ctx: RenderContext) -> list[BoundFrameNode]:
    """Bind a clip's (or an edit's) effects for one render, as one merged chain."""
    if not nodes:
        return []
    from ..effects import bind_chain

    return bind_chain(nodes, ctx)


def _lazy_analysis(edit: Any) -> Callable[[], Any]:
    lock = threading.Lock()
    cache: list[Any] = []

    def analysis() -> Any:
        with lock:
            if not cache:
                cache.append(music_analysis(edit))
            return cache[0]

    return analysis


def render_context(plan: RenderPlan) -> RenderContext:
    """The :class:`RenderContext` every node and source of ``plan`` is bound with."""
    return RenderContext(
        width=plan.width,
        height=plan.height,
        fps=plan.fps,
        scale=plan.scale,
        total_frames=plan.total_frames,
        seed=plan.edit.seed,
        analysis=_lazy_analysis(plan.edit),
    )


class _OutOfFrames(MediaError):
    """A source that stopped yielding before its frame count (not a decode error, whose
    own message must reach the user)."""


class ClipStream:
    """One clip played into frames of ``size``: source -> fit -> effect chain.

    Parameters
    ----------
    clip : Clip
        What plays (its span, speed, crop, fit and effects apply).
    ctx : RenderContext
        The render's context; ``size`` may differ from the render size (a layout cell),
        in which case the effects are bound with a context of that size.
    size : (int, int)
        Width and height of the frames produced.
    fit : str
        Fit mode when the clip has none of its own.
    background : tuple of int
        RGB behind letterboxed or transparent frames.
    fps : Fraction
        Rate the source is read at (the output rate).
    speed : float
        Extra speed factor on top of the clip's own (a layout played faster).
    scale : float, optional
        Pixel scale the effects see (``ctx.scale`` by default; layout cells use their
        frame's short side over 1080).
    profiler : StageProfiler, optional
        Time decode, fit and each effect as stages of a profiled render.
    """

    def __init__(
        self,
        clip: Any,
        *,
        ctx: RenderContext,
        size: tuple[int, int],
        fit: str,
        background: tuple[int, int, int],
        fps: Fraction,
        speed: float = 1.0,
        scale: float | None = None,
        profiler: StageProfiler | None = None,
    ) -> None:
        self.clip = clip
        self.ctx = ctx
        self.size = size
        self.fps = Fraction(fps)
        self.speed = speed
        self.background = background
        source = clip.source
        self.fit_mode = clip.fit or fit
        self.fitter = Fitter(
            clip.fit or fit,
            display_size=source.display_size,
            crop_box=clip.crop_box,
            canvas=size,
            background=background,
            fps=float(self.fps),
            source=source.describe(),
        )
        self._fit = self.fitter  # the fitter itself (profiling wraps self.fitter)
        if size != (ctx.width, ctx.height) or (scale is not None and scale != ctx.scale):
            ctx = RenderContext(
                width=size[0],
                height=size[1],
                fps=ctx.fps,
                scale=ctx.scale if scale is None else scale,
                total_frames=ctx.total_frames,
                seed=ctx.seed,
                analysis=ctx.analysis,
            )
        self.effect_ctx = ctx
        self.effects: list[BoundFrameNode] = bind_effects(clip.effects, ctx)
        self._frames: Iterator[tuple[Frame, float]] | None = None
        self._background: Frame | None = None
        self.profiler = profiler
        if profiler is not None:
            self._profile(profiler)

    def _profile(self, profiler: StageProfiler) -> None:
        """Time this stream's stages: decode per source, fit per mode, each effect."""
        from ..effects.base import BoundChain

        self._decode_stage = f"decode {self.clip.source.describe()}"
        self.fitter = profiler.wrap(f"fit {self.fitter.mode}", self.fitter)  # type: ignore[assignment]
        timed: list[BoundFrameNode] = []
        for bound in self.effects:
            if isinstance(bound, BoundChain):  # effect chains time each of their effects
                bound.profile = True
                profiler.collect_later(bound.effect_times)
                timed.append(bound)
            else:
                timed.append(profiler.wrap(f"node {type(bound).__name__}", bound))
        self.effects = timed
    def open(self, *, start: float, count: int) -> None:
        """Start decoding at clip second ``start`` (relative to the clip) for ``count`` frames."""
        clip = self.clip
        first = clip.start + max(0.0, start) * clip.speed
        self._fit.plays(first, first + count / float(self.fps) * clip.speed * self.speed)
        # the frames of a file not in SDR BT.709 (HDR, BT.2020, BT.601) come unconverted and
        # are converted inside the fit, on the fewest pixels (the crop before an upscale,
        # the output after a downscale; never the fit's background)
        self._colour = clip.source.colour if isinstance(clip.source, VideoSource) else None
        self._to_bt709 = None if self._colour is None else _bt709_ops(self._colour)
        width, height = self.source_box(self.size)
        self._frames = clip.source.frames(
            ctx=self.ctx,
            start=clip.start + max(0.0, start) * clip.speed,
            count=count,
            fps=self.fps,
            width=width,
            height=height,
            speed=clip.speed * self.speed,
            **({"convert_colour": False} if self._colour else {}),
        )

    def source_box(self, size: tuple[int, int]) -> tuple[int, int]:
        """The box the whole source must cover for its shown part to fill ``size``: a crop
        needs its own pixels at full size. Sources that shrink what they read (a photo, a
        rotated 4K clip) are asked for frames of this box."""
        clip = self.clip
        width, height = size
        if clip.crop_box is not None and isinstance(clip.source, (VideoSource, ImageSource)):
            dw, dh = clip.source.display_size
            width, height = int(round(width * dw / max(1, clip.crop_box[2]))), int(round(height * dh / max(1, clip.crop_box[3])))
        return width, height

    def pull(self) -> tuple[Frame, float]:
        """The next source frame, as decoded (not fitted), with its source second."""
        if self._frames is None:
            raise MediaError(self.clip.source.describe(), "read before the stream was opened")
        try:
            if self.profiler is not None:
                with self.profiler.stage(self._decode_stage):
                    return next(self._frames)
            return next(self._frames)
        except StopIteration:
            raise _OutOfFrames(self.clip.source.describe(), "ran out of frames") from None

    def process(self, frame: Frame, time: FrameTime, *, point_ops: Callable[[Frame], Frame] | None = None) -> Frame:
        """Fit ``frame`` and run the clip's effects on it.

        ``point_ops`` (per-pixel colour work that follows the clip's effects) runs inside
        the fit, before the scaling when the picture is scaled up; it is only taken when
        the clip has no effects of its own, whose order it would otherwise change
        (:meth:`takes_point_ops`).
        """
        if point_ops is not None:
            if not self.takes_point_ops:
                raise ValueError("point_ops given to a clip stream with effects of its own")
            return self.fitter(frame, point_ops, source=self._to_bt709)
        frame = self.fitter(frame, source=self._to_bt709)
        for fx in self.effects:
            frame = fx(frame, time)
        return frame

    _colour: str | None = None  # the source's colours while open, when not BT.709 (see open)
    _to_bt709: Callable[[Frame], Frame] | None = None

    @property
    def colour(self) -> str | None:
        """The colours of the frames :meth:`pull` gives, when not BT.709
        (:data:`clipkit.media.colour.COLOURS`): :meth:`process` converts them; a caller
        that draws pulled frames itself must too."""
        return self._colour

    @property
    def takes_point_ops(self) -> bool:
        """Whether :meth:`process` may run the edit's leading colour effects in the fit."""
        return not self.effects

    def close_over_background(self, frame: Frame) -> Frame:
        """Lay a frame with alpha over the background (the last step of a shot)."""
        if frame.alpha is None:
            return frame
        if self._background is None:
            self._background = Frame.solid(self.size[0], self.size[1], self.background)
        return composite_over(frame, self._background)

    def close(self) -> None:
        """Stop decoding and release the bound effects."""
        close = getattr(self._frames, "close", None)
        if close is not None:
            close()
        self._frames = None
        self._fit.close()
        for fx in self.effects:
            closer = getattr(fx, "close", None)
            if closer is not None:
                closer()


class _Shot:
    """A shot of the plan during the frame stream: its clip stream and local frame count."""

    def __init__(self, plan: RenderPlan, shot: ShotPlan, ctx: RenderContext, profiler: StageProfiler | None) -> None:
        self.shot = shot
        self.stream = ClipStream(
            shot.clip,
            ctx=ctx,
            size=(plan.width, plan.height),
            fit=plan.edit.fit,
            background=plan.canvas.background,
            fps=plan.fps,
            profiler=profiler,
        )
        self.stream.open(start=0.0, count=shot.count)
        self._fps = float(plan.fps)
        self.local = 0

    def next(self, index: int, point_ops: Callable[[Frame], Frame] | None = None) -> Frame:
        try:
            frame, source_t = self.stream.pull()
        except _OutOfFrames:
            raise MediaError(
                self.shot.clip.source.describe(), f"ran out of frames at output frame {index} (shot {self.shot.index})"
            ) from None
        time_ = FrameTime(
            index=index,
            t=index / self._fps,
            local_index=self.local,
            local_t=self.local / self._fps,
            duration=self.shot.count / self._fps,
            source_t=source_t,
        )
        frame = self.stream.close_over_background(self.stream.process(frame, time_, point_ops=point_ops))
        self.local += 1
        return frame

    def close(self) -> None:
        self.stream.close()


def frame_stream(
    plan: RenderPlan, *, start: int = 0, stop: int | None = None, profiler: StageProfiler | None = None
) -> Iterator[Frame]:
    """Yield the finished output frames ``[start, stop)`` of ``plan``, in order.

    Frames before ``start`` are decoded and composed but not yielded (sources stream
    forward; there is no seek per frame). With a ``profiler``, every stage is timed.
    """
    ctx = render_context(plan)
    fps = float(plan.fps)
    stop = plan.total_frames if stop is None else min(stop, plan.total_frames)
    transitions = {s.index: s.transition.bind(ctx) for s in plan.shots if s.transition is not None}
    edit_fx = bind_effects(plan.edit.effects, ctx)
    layers = [(ov, ov.node.bind(ctx)) for ov in plan.edit.overlays]
    if profiler is not None:
        transitions = {k: profiler.wrap(f"transition {type(plan.shots[k].transition).__name__}", t) for k, t in transitions.items()}
        edit_fx = _profiled_effects(edit_fx, profiler, "edit")
        layers = [(ov, profiler.wrap(f"overlay {i} {type(ov.node).__name__}", b)) for i, (ov, b) in enumerate(layers)]
    # The edit's leading per-pixel colour effects (a look's LUT, curves, contrast) run in
    # a lone shot's fit, before it scales the source up; transitions, and shots with
    # effects of their own, take the whole chain after (the order there matters).
    hoisted, edit_rest = _point_ops_first(edit_fx)
    hoisted_static = hoisted is not None and hoisted.is_static()  # type: ignore[attr-defined]
    open_shots: dict[int, _Shot] = {}
    try:
        for index in range(0, stop):
            active = [s for s in plan.shots if s.start <= index < s.end]
            for s in active:
                if s.index not in open_shots:
                    open_shots[s.index] = _Shot(plan, s, ctx, profiler)
            for key in [k for k in open_shots if plan.shots[k].end <= index]:
                open_shots.pop(key).close()
            time_ = FrameTime(index=index, t=index / fps, local_index=index, local_t=index / fps, duration=plan.duration)
            chain = edit_fx
            if hoisted is not None and len(active) == 1 and open_shots[active[0].index].stream.takes_point_ops:
                lone = open_shots[active[0].index]
                if profiler is None:
                    ops = lambda f, scale=1.0, t=time_: hoisted(f, t, scale=scale)  # noqa: E731
                else:  # the effects keep their own rows: take their time out of the fit's
                    ops = lambda f, scale=1.0, t=time_: _outside(profiler, f"fit {lone.stream.fit_mode}", hoisted, f, t, scale=scale)  # noqa: E731
                ops.static = hoisted_static  # type: ignore[attr-defined]  # the same picture at every frame: a still's is graded once
                frames = [lone.next(index, ops)]
                chain = edit_rest
            else:
                frames = [open_shots[s.index].next(index) for s in active]
            if index < start:
                continue
            if len(frames) == 1:
                frame = frames[0]
            else:
                incoming = active[-1]
                progress = (index - incoming.start) / max(1, incoming.overlap)
                frame = transitions[incoming.index](frames[0], frames[1], progress, time_)
            for fx in chain:
                frame = fx(frame, time_)
            for ov, bound in layers:
                if index / fps < ov.start or (ov.end is not None and index / fps >= ov.end):
                    continue
                first = int(round(ov.start * fps))
                end = plan.total_frames if ov.end is None else int(round(ov.end * fps))
                lt = FrameTime(
                    index=index,
                    t=index / fps,
                    local_index=index - first,
                    local_t=(index - first) / fps,
                    duration=(end - first) / fps,
                )
                frame = bound(frame, lt)
            yield frame
    finally:
        for shot in open_shots.values():
            shot.close()
        close_handed_over()  # the decoder the last shot left open for a next one
        close_fit_hand_over()
        for bound in list(transitions.values()) + edit_fx + [b for _, b in layers]:
            closer = getattr(bound, "close", None)
            if closer is not None:
                closer()


def _outside(profiler: StageProfiler, stage: str, fn: Callable[..., Frame], *args: Any, **kwargs: Any) -> Frame:
    """Run ``fn`` inside ``stage`` without counting its time there (it has rows of its own)."""
    import time as _time

    cpu, wall = _time.thread_time(), _time.perf_counter()
    try:
        return fn(*args, **kwargs)
    finally:
        profiler.add(stage, cpu - _time.thread_time(), wall - _time.perf_counter(), calls=0)


def _bt709_ops(kind: str) -> Callable[[Frame], Frame]:
    """A source's planes to SDR BT.709 (the fit runs it on the source's pixels)."""

    def ops(frame: Frame) -> Frame:
        y, u, v = to_bt709(frame.y, frame.u, frame.v, kind)
        return Frame(y, u, v, frame.alpha)

    return ops


def _point_ops_first(bound: list[BoundFrameNode]) -> tuple[BoundFrameNode | None, list[BoundFrameNode]]:
    """The leading effects of a bound effect list that may run before a fit scales up
    (per-pixel colour work, size-only filters), and what follows them."""
    if not bound:
        return None, bound  # nothing to split: do not import the effects (and numba) for it
    from ..effects.base import BoundChain

    if not isinstance(bound[0], BoundChain):
        return None, bound
    head, tail = bound[0].split_point_ops()
    if head is None:
        return None, bound
    return head, ([tail] if tail is not None else []) + bound[1:]


def _profiled_effects(bound: list[BoundFrameNode], profiler: StageProfiler, where: str) -> list[BoundFrameNode]:
    from ..effects.base import BoundChain

    out: list[BoundFrameNode] = []
    for b in bound:
        if isinstance(b, BoundChain):
            b.profile = True
            profiler.collect_later(lambda b=b: [(f"{name} ({where})", s, n) for name, s, n in b.effect_times()])
            out.append(b)
        else:
            out.append(profiler.wrap(f"node {type(b).__name__} ({where})", b))
    return out


def install_audio_processors(mixer: Any, plan: RenderPlan) -> None:
    """Add every registered audio processor (:data:`clipkit.registry.AUDIO_PROCESSORS`;
    the built-in ``finishing`` does ducking and loudness) to a render's mixer."""
    for _, install in AUDIO_PROCESSORS.items():
        install(mixer, plan)
