"""The layout source: several clips composed into one frame.

A :class:`LayoutSource` is a composite :class:`~clipkit.edit.sources.Source`: its
``frames()`` pulls each cell's clip (one sequential decoder per cell), fits it to the
cell's rectangle, runs the cell clip's own effects, keys it (green screen), rounds its
corners and draws its border, and composes everything on one canvas. Its
``audio_segments()`` places the sound of the cells that are heard. Wrapped in a normal
:class:`~clipkit.Clip`, a layout sequences, trims and takes effects like any clip.

Cost: cells without rounded corners, keys or effects are resized straight into the
output planes (one ``cv2.resize`` per plane, no intermediate frame), so a 2x2 grid
costs four downscales and one frame allocation on top of its four decodes.

Sizes: rectangles are shares of the frame (0..1); border widths and corner radii are
pixels on a frame whose short side is 1080, scaled with the render (so a half-size
preview draws half-width borders).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from ..audio.mix import Segment
from ..edit.sources import Source
from ..errors import MediaError, ParameterError, check_within
from ..frame import REFERENCE_SHORT_SIDE, Frame, color_yuv8, parse_color
from ..media.colour import to_bt709
from ..nodes import BoundFrameNode, FrameTime, RenderContext
from ..edit.clip import check_fit
from ..edit.framing import Reframe
from ..render.stream import ClipStream
from .keying import ChromaKey

if TYPE_CHECKING:
    from ..edit.clip import Clip

__all__ = ["Cell", "LayoutSource", "REFERENCE_SHORT_SIDE"]


_EPS = 1e-6


def _even(v: float) -> int:
    return int(round(v / 2.0)) * 2


@dataclass(frozen=True, slots=True)
class Cell:
    """One clip placed in a layout.

    Parameters
    ----------
    clip : Clip
        What plays in the cell (its span, speed, crop and effects apply; its ``fit``
        overrides ``fit`` below when set).
    rect : tuple of 4 float in [0, 1]
        ``(x, y, width, height)`` as shares of the frame.
    fit : str
        How the clip fills the cell: ``cover`` (crop to fill), ``contain``, ``blur``,
        ``stretch`` or any registered mode.
    at : float >= 0
        Layout second where the cell's clip starts.
    before : {'empty', 'hold'}
        What the cell shows before ``at``: the layout background, or the first frame.
    after : {'hold', 'empty'}
        What it shows once its clip has ended: the last frame, or the background.
    audio : bool
        Whether the cell's sound is heard.
    radius : float >= 0
        Corner radius (pixels at a 1080 short side).
    border : float >= 0
        Border width inside the rectangle (pixels at a 1080 short side).
    border_color : str or tuple of int
        Border colour.
    key : ChromaKey or None
        Make the clip's coloured screen transparent (green screen).
    name : str
        Name used in error messages.
    """

    clip: Clip
    rect: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)
    fit: str = "cover"
    at: float = 0.0
    before: str = "empty"
    after: str = "hold"
    audio: bool = True
    radius: float = 0.0
    border: float = 0.0
    border_color: Any = (255, 255, 255)
    key: ChromaKey | None = None
    name: str = "cell"

    def __post_init__(self) -> None:
        from ..edit.clip import Clip

        n = self.name
        if not isinstance(self.clip, Clip):
            raise ParameterError(f"{n}: {self.clip!r} is not a clip (use clipkit.open, image or color)")
        if not (isinstance(self.rect, (tuple, list)) and len(self.rect) == 4):
            raise ParameterError(f"{n}.rect: {self.rect!r} is not (x, y, width, height)")
        rect = tuple(check_within(f"{n}.rect", v, 0.0, 1.0) for v in self.rect)
        x, y, w, h = rect
        if w <= 0 or h <= 0 or x + w > 1.0 + _EPS or y + h > 1.0 + _EPS:
            raise ParameterError(f"{n}.rect: {self.rect!r} must have a size above 0 and lie inside the frame (0..1)")
        object.__setattr__(self, "rect", rect)
        if isinstance(self.clip.fit, Reframe):  # Clip.reframe(): analysed now, as a cell is built
            from ..reframe import reframe

            request = self.clip.fit
            object.__setattr__(self, "clip", reframe(replace(self.clip, fit=None), request.aspect, **request.options))
        mode = check_fit(self.clip.fit or self.fit, field=f"{n}.fit")
        object.__setattr__(self, "fit", mode)
        object.__setattr__(self, "at", check_within(f"{n}.at", self.at, 0.0, 86400.0))
        if self.before not in ("empty", "hold"):
            raise ParameterError(f"{n}.before: {self.before!r} is not 'empty' or 'hold'")
        if self.after not in ("empty", "hold"):
            raise ParameterError(f"{n}.after: {self.after!r} is not 'hold' or 'empty'")
        object.__setattr__(self, "radius", check_within(f"{n}.radius", self.radius, 0.0, 2000.0))
        object.__setattr__(self, "border", check_within(f"{n}.border", self.border, 0.0, 500.0))
        object.__setattr__(self, "border_color", parse_color(self.border_color, field=f"{n}.border_color"))
        if self.key is not None and not isinstance(self.key, ChromaKey):
            raise ParameterError(f"{n}.key: {self.key!r} is not a ChromaKey")

    @property
    def end(self) -> float:
        """Layout second where the cell's clip ends."""
        return self.at + self.clip.duration


def _resize_into(src: np.ndarray, out: np.ndarray) -> None:
    """Resize ``src`` into the view ``out``, with area averaging for big reductions.

    OpenCV's area filter is fast only at whole-number ratios (about 2 ms for 1080x1920 to
    half size, about 35 ms at 2.06x), so a large reduction is an exact whole-number area
    step followed by a bilinear step: close to area quality at bilinear cost.
    """
    sh, sw = src.shape[:2]
    oh, ow = out.shape[:2]
    if (sh, sw) == (oh, ow):
        out[...] = src
        return
    factor = int(min(sw / ow, sh / oh))
    if factor < 2:
        cv2.resize(src, (ow, oh), dst=out, interpolation=cv2.INTER_LINEAR)
        return
    cut = src[: sh - sh % factor, : sw - sw % factor]
    small = (cut.shape[1] // factor, cut.shape[0] // factor)
    if small == (ow, oh):
        cv2.resize(cut, small, dst=out, interpolation=cv2.INTER_AREA)
        return
    reduced = cv2.resize(cut, small, interpolation=cv2.INTER_AREA)
    cv2.resize(reduced, (ow, oh), dst=out, interpolation=cv2.INTER_LINEAR)


def _rounded_mask(w: int, h: int, r: float) -> np.ndarray | None:
    """Anti-aliased coverage (float32, 0..1) of a w x h rectangle with corner radius r."""
    r = min(r, w / 2, h / 2)
    if r < 0.5:
        return None
    ys = np.arange(h, dtype=np.float32)[:, None] + 0.5
    xs = np.arange(w, dtype=np.float32)[None, :] + 0.5
    cx = np.clip(xs, r, w - r)
    cy = np.clip(ys, r, h - r)
    d = np.sqrt((xs - cx) ** 2 + (ys - cy) ** 2)
    return np.clip(r - d + 0.5, 0.0, 1.0).astype(np.float32)


def _blend_into(region: tuple[np.ndarray, np.ndarray, np.ndarray], top: tuple[np.ndarray, np.ndarray, np.ndarray] | tuple[int, int, int], alpha: np.ndarray, alpha_c: np.ndarray) -> None:
    """Blend ``top`` (planes or a solid YUV colour) into the region's planes in place."""
    for plane, src, a in zip(region, top, (alpha, alpha_c, alpha_c)):
        base = plane.astype(np.float32)
        if isinstance(src, np.ndarray):
            diff = src.astype(np.float32) - base
        else:
            diff = np.float32(src) - base
        plane[...] = np.clip(base + diff * a + 0.5, 0, 255).astype(np.uint8)


class _CellRender:
    """One cell during one render: its decoder, fitter, effects and masks."""

    def __init__(
        self,
        cell: Cell,
        *,
        times: np.ndarray,
        fps: Fraction,
        speed: float,
        frame_size: tuple[int, int],
        background: tuple[int, int, int],
        unit: float,
        ctx: RenderContext,
    ) -> None:
        W, H = frame_size
        self.cell = cell
        x, y, w, h = cell.rect
        ox, oy = min(_even(x * W), W - 2), min(_even(y * H), H - 2)
        ow, oh = max(2, min(_even(w * W), W - ox)), max(2, min(_even(h * H), H - oy))
        self.outer = (ox, oy, ow, oh)
        b = _even(cell.border * unit) if cell.border > 0 else 0
        b = min(b, (min(ow, oh) - 2) // 4 * 2)
        self.border = b
        self.inner = (ox + b, oy + b, ow - 2 * b, oh - 2 * b)
        iw, ih = self.inner[2], self.inner[3]
        radius = cell.radius * unit
        self.outer_mask = _rounded_mask(ow, oh, radius) if b else None
        self.inner_mask = _rounded_mask(iw, ih, max(0.0, radius - b))
        self.border_yuv = color_yuv8(cell.border_color)
        clip = cell.clip
        # the one shot stream: the cell's source, fitted, with its effects bound as a chain
        self.stream = ClipStream(
            clip, ctx=ctx, size=(iw, ih), fit=cell.fit, background=background, fps=fps, speed=speed, scale=unit
        )
        self.fitter = self.stream.fitter
        self.effects: list[BoundFrameNode] = self.stream.effects
        cell_ctx = self.stream.effect_ctx
        self.keyer = cell.key.keyer(cell_ctx) if cell.key is not None else None
        self.direct = not self.effects and self.keyer is None and self.inner_mask is None and cell.fit in ("cover", "stretch")
        self.fps = float(fps)
        self.fps_frac = Fraction(fps)
        local = times - cell.at
        self.local = local
        active = np.flatnonzero((local >= -_EPS) & (local < clip.duration - _EPS))
        self.first = int(active[0]) if active.size else len(times)
        self.last = int(active[-1]) if active.size else -1
        self.count_active = int(active.size)
        self.speed = speed
        self.opened = False
        self.pending: tuple[Frame, float] | None = None  # pulled early for a 'hold' before start
        self.current: tuple[Frame, float] | None = None  # the frame on show (raw source frame)
        self.processed: Frame | None = None
        self.processed_for: int = -1
        self.pulled = 0
        self._rect_for: tuple[int, int] | None = None
        self._rect = (0, 0, 2, 2)

    # -- source frames --------------------------------------------------------------------
    def _pull(self) -> tuple[Frame, float]:
        if self.pending is not None:
            item, self.pending = self.pending, None
            return item
        if not self.opened:
            self.stream.open(start=float(self.local[self.first]), count=self.count_active)
            self.opened = True
        try:
            item = self.stream.pull()
        except MediaError:
            raise MediaError(self.cell.clip.source.describe(), f"{self.cell.name}: ran out of frames") from None
        self.pulled += 1
        return item

    def _single(self, local_t: float) -> tuple[Frame, float]:
        """One frame at cell second ``local_t`` (a hold before or after the clip plays),
        from a decoder of its own so the main stream keeps its place."""
        clip = self.cell.clip
        width, height = self.stream.source_box((self.inner[2], self.inner[3]))
        it = clip.source.frames(
            ctx=self.stream.ctx,
            start=clip.start + max(0.0, local_t) * clip.speed,
            count=1,
            fps=self.fps_frac,
            width=width,
            height=height,
            speed=clip.speed * self.speed,
        )
        try:
            return next(iter(it))
        except StopIteration:
            raise MediaError(self.cell.clip.source.describe(), f"{self.cell.name}: no frame at {local_t:.3f} s") from None
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()

    def frame_for(self, k: int) -> tuple[Frame, float] | None:
        """The raw source frame the cell shows at output frame ``k`` (None: empty)."""
        cell = self.cell
        if k < self.first:
            if cell.before == "empty":
                return None
            if self.current is None:
                if self.count_active:
                    self.pending = self._pull()
                    self.current = self.pending
                else:
                    self.current = self._single(0.0)
            return self.current
        if k <= self.last:
            if self.pending is not None and self.current is self.pending:
                self.current = self._pull()  # consumes the peeked first frame
            else:
                self.current = self._pull()
            return self.current
        if cell.after == "empty":
            return None
        if self.current is None:
            self.current = self._single(max(0.0, cell.clip.duration - 1.0 / self.fps))
        return self.current

    # -- drawing --------------------------------------------------------------------------
    def _process(self, raw: Frame, source_t: float, k: int) -> Frame:
        local_index = max(0, k - self.first)
        time_ = FrameTime(
            index=k,
            t=k / self.fps,
            local_index=local_index,
            local_t=local_index / self.fps,
            duration=self.cell.clip.duration,
            source_t=source_t,
        )
        frame = self.stream.process(raw, time_)
        if self.keyer is not None:
            frame = self.keyer(frame, time_)
        return frame

    def _source_rect(self, raw: Frame) -> tuple[int, int, int, int]:
        """The even-aligned area of the source frame that a cover/stretch fit shows."""
        size = (raw.width, raw.height)
        if self._rect_for != size:
            g = self.fitter.geometry(size)
            cx, cy, cw, ch = g.crop
            if self.cell.fit == "cover":
                sx, sy = g.pixel_scale
                dw, dh = g.crop_display_size
                W, H = g.canvas
                s = max(W / dw, H / dh)
                vw, vh = W / s / sx, H / s / sy
                cx, cy, cw, ch = cx + (cw - vw) / 2, cy + (ch - vh) / 2, vw, vh
            w = max(2, min(_even(cw), size[0] // 2 * 2))
            h = max(2, min(_even(ch), size[1] // 2 * 2))
            x = min(max(0, _even(cx) if cx > 0 else 0), size[0] - w) // 2 * 2
            y = min(max(0, _even(cy) if cy > 0 else 0), size[1] - h) // 2 * 2
            self._rect = (x, y, w, h)
            self._rect_for = size
        return self._rect

    def _follows(self, raw: Frame) -> bool:
        """Whether this cell's cover fit follows the subject (then the fitter crops, not a fixed rect)."""
        from ..vision.framing import follows_subject

        return self.cell.fit == "cover" and follows_subject(self.fitter.geometry((raw.width, raw.height)))

    def draw(self, k: int, canvas: Frame) -> None:
        item = self.frame_for(k)
        if item is None:
            return
        raw, source_t = item
        ox, oy, ow, oh = self.outer
        if self.border:
            region = (
                canvas.y[oy : oy + oh, ox : ox + ow],
                canvas.u[oy // 2 : (oy + oh) // 2, ox // 2 : (ox + ow) // 2],
                canvas.v[oy // 2 : (oy + oh) // 2, ox // 2 : (ox + ow) // 2],
            )
            if self.outer_mask is None:
                for plane, value in zip(region, self.border_yuv):
                    plane[...] = value
            else:
                a_c = cv2.resize(self.outer_mask, (ow // 2, oh // 2), interpolation=cv2.INTER_AREA)
                _blend_into(region, self.border_yuv, self.outer_mask, a_c)
        x, y, w, h = self.inner
        dst = (
            canvas.y[y : y + h, x : x + w],
            canvas.u[y // 2 : (y + h) // 2, x // 2 : (x + w) // 2],
            canvas.v[y // 2 : (y + h) // 2, x // 2 : (x + w) // 2],
        )
        if self.direct and raw.alpha is None and not self._follows(raw):
            sx, sy, sw, sh = self._source_rect(raw)
            for plane, out, half in ((raw.y, dst[0], 1), (raw.u, dst[1], 2), (raw.v, dst[2], 2)):
                _resize_into(plane[sy // half : (sy + sh) // half, sx // half : (sx + sw) // half], out)
            if self.stream.colour is not None:  # a source not in BT.709: converted on the cell's pixels
                for out, converted in zip(dst, to_bt709(*dst, self.stream.colour)):
                    out[...] = converted
            return
        if self.processed_for != id(raw) or self.processed is None or self.effects:
            self.processed = self._process(raw, source_t, k)
            self.processed_for = id(raw)
        top = self.processed
        alpha = top.alpha
        mask = self.inner_mask
        if alpha is None and mask is None:
            dst[0][...] = top.y
            dst[1][...] = top.u
            dst[2][...] = top.v
            return
        a = (alpha.astype(np.float32) * (1.0 / 255.0)) if alpha is not None else None
        if mask is not None:
            a = mask if a is None else a * mask
        a_c = cv2.resize(a, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
        _blend_into(dst, (top.y, top.u, top.v), a, a_c)

    def close(self) -> None:
        self.stream.close()


def _canvas(width: int, height: int) -> Frame:
    """A frame whose planes are views into one I420 buffer (one allocation)."""
    buf = np.empty((height * 3 // 2, width), np.uint8)
    chroma = buf[height:].reshape(-1)
    q = (width // 2) * (height // 2)
    return Frame(buf[:height], chroma[:q].reshape(height // 2, width // 2), chroma[q : 2 * q].reshape(height // 2, width // 2))


class LayoutSource(Source):
    """Cells composed on one canvas; see the module notes.

    Parameters
    ----------
    cells : sequence of Cell
        Drawn in order (later cells on top).
    duration : float > 0
        Seconds the layout lasts.
    background : str or tuple of int
        Colour where no cell draws.
    label : str
        What the layout is called in errors and plans (``"duet"``, ``"grid 2x2"``).
    """

    kind = "layout"

    def __init__(self, cells: Sequence[Cell], *, duration: float, background: Any = (0, 0, 0), label: str = "layout") -> None:
        self.cells = tuple(cells)
        self.label = label
        if not self.cells or not all(isinstance(c, Cell) for c in self.cells):
            raise ParameterError(f"{label}: needs at least one Cell")
        if isinstance(duration, bool) or not isinstance(duration, (int, float)) or not duration > 0:
            raise ParameterError(f"{label}.duration: {duration!r} must be above 0 seconds")
        self.layout_duration = float(duration)
        self.background = parse_color(background, field=f"{label}.background")

    # -- Source facts ---------------------------------------------------------------------
    @property
    def duration(self) -> float:  # type: ignore[override]
        return self.layout_duration

    @property
    def display_size(self) -> None:  # type: ignore[override]
        return None  # fills the canvas, like a colour

    @property
    def path(self) -> None:  # type: ignore[override]
        return None

    @property
    def has_audio(self) -> bool:  # type: ignore[override]
        return any(c.audio and c.clip.source.has_audio for c in self.cells)

    def describe(self) -> str:
        return f"{self.label} of {', '.join(c.clip.describe() for c in self.cells)}"

    # -- frames ---------------------------------------------------------------------------
    def frames(
        self, *, ctx: RenderContext, start: float,
        count: int,
        fps: Fraction,
        width: int,
        height: int,
        speed: float = 1.0,
    ) -> Iterator[tuple[Frame, float]]:
        """Yield ``count`` composed frames from layout second ``start``.

        ``ctx`` (the render's context) gives cell effects the render's seed and music
        analysis, and is handed on to the cells' own sources.
        """
        if count <= 0:
            return iter(())
        return self._frames(start=start, count=count, fps=Fraction(fps), width=width, height=height, speed=speed, ctx=ctx)

    def _frames(
        self, *, ctx: RenderContext, start: float, count: int, fps: Fraction, width: int, height: int, speed: float
    ) -> Iterator[tuple[Frame, float]]:
        times = start + np.arange(count, dtype=np.float64) * (float(speed) / float(fps))
        unit = min(width, height) / REFERENCE_SHORT_SIDE
        renders = [
            _CellRender(
                cell,
                times=times,
                fps=fps,
                speed=speed,
                frame_size=(width, height),
                background=self.background,
                unit=unit,
                ctx=ctx,
            )
            for cell in self.cells
        ]
        bg = color_yuv8(self.background)
        covered = self._always_covered(renders, width, height, count)
        try:
            for k in range(count):
                canvas = _canvas(width, height)
                if not covered:
                    canvas.y[...] = bg[0]
                    canvas.u[...] = bg[1]
                    canvas.v[...] = bg[2]
                for r in renders:
                    r.draw(k, canvas)
                yield canvas, float(times[k])
        finally:
            for r in renders:
                r.close()

    @staticmethod
    def _always_covered(renders: Sequence[_CellRender], width: int, height: int, count: int) -> bool:
        """True when opaque, always-visible, full-rectangle cells cover every pixel."""
        cover = np.zeros((height // 2, width // 2), bool)
        for r in renders:
            cell = r.cell
            always = (r.first == 0 or cell.before == "hold") and (r.last == count - 1 or cell.after == "hold")
            if not always or not r.direct or r.border and r.outer_mask is not None:
                continue
            if cell.fit not in ("cover", "stretch"):
                continue
            ox, oy, ow, oh = r.outer
            cover[oy // 2 : (oy + oh) // 2, ox // 2 : (ox + ow) // 2] = True
        return bool(cover.all())

    # -- sound ----------------------------------------------------------------------------
    def audio_segments(self, clip: Clip, *, out_start: int, length: int, sr: int, gain: float, **_: Any) -> list[Segment]:
        """The sound of the heard cells for ``clip`` (a clip of this layout)."""
        from ..edit.retime import clip_sound_segments, synthesize

        if gain <= 0 or length <= 0:
            return []
        if abs(clip.speed - 1.0) > 1e-9:
            # a re-timed layout: mix its sound at speed 1, then stretch it (pitch kept)
            span = length * clip.speed / sr
            plain = replace(clip, end=min(self.layout_duration, clip.start + span + 1.0 / sr), speed=1.0)
            n_plain = int(math.ceil(span * sr)) + 1
            parts = self.audio_segments(plain, out_start=0, length=n_plain, sr=sr, gain=1.0)
            if not parts:
                return []
            from ..audio.mix import Mixer

            with Mixer(parts, sr=sr, total=n_plain) as mixer:
                samples = mixer.read(n_plain)
            out = synthesize(samples, np.arange(length, dtype=np.float64) * clip.speed, sr=sr)
            return [Segment(path=None, source_start=0.0, out_start=out_start, length=length, gain=gain, role="original", samples=out)]
        t0 = clip.start
        t1 = t0 + length / sr
        segments: list[Segment] = []
        for cell in self.cells:
            if not cell.audio or cell.clip.volume <= 0:
                continue
            a, b = max(t0, cell.at), min(t1, cell.end)
            if b - a <= 1.0 / sr:
                continue
            sub = cell.clip
            sub = replace(sub, start=sub.start + (a - cell.at) * sub.speed, end=sub.start + (b - cell.at) * sub.speed)
            o = out_start + int(round((a - t0) * sr))
            n = min(out_start + length, out_start + int(round((b - t0) * sr))) - o
            segments.extend(clip_sound_segments(sub, out_start=o, length=n, sr=sr, gain=gain * cell.clip.volume))
        return segments
