"""The effect conformance suite, for built-in effects and plugins alike.

Every registered effect must pass these checks; clipkit's own tests run them over every
effect, and a plugin author runs them over theirs::

    # tests/test_my_effect.py
    import pytest
    from clipkit.testing import conformance_cases, run_check

    @pytest.mark.parametrize("effect_id, check", conformance_cases(["my_effect"]))
    def test_conformance(effect_id, check):
        run_check(effect_id, check)

or from the shell: ``clipkit effects test my_effect``.

The checks (:data:`CHECKS`):

- ``declaration``: the declaration is consistent and documented;
- ``kernel_vs_reference``: the fast kernel matches the numpy reference within the
  effect's ``tolerance`` grey levels, at the example parameters and at random ones;
- ``neutral_is_identity``: neutral parameters leave frames untouched (both the
  skipped path and the kernel itself);
- ``rejects_out_of_range``: values outside each parameter's range, wrong kinds,
  unknown names and bad keyframes raise :class:`~clipkit.errors.ParameterError`
  naming the effect, the parameter and the value;
- ``preserves_format``: planes keep shape and dtype, RGB images too, alpha survives;
- ``streaming_equals_batch``: a frame rendered in a stream equals the same frame
  rendered on its own (no state leaks between frames), in any order;
- ``deterministic``: two renders give the same bytes, and a different seed gives a
  different result for seeded effects;
- ``input_untouched``: the input frame is never written to.

Checks raise ``AssertionError`` with a message saying what differed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from .effects import base as _base
from .effects import create, effect_ids, get
from .effects.params import Param
from .errors import ParameterError
from .frame import Frame
from .nodes import FrameTime, RenderContext

__all__ = [
    "CHECKS",
    "sample_frames",
    "active_params",
    "random_params",
    "conformance_cases",
    "run_check",
    "check_effect",
    "frame_difference",
]

FPS = Fraction(30)


def sample_frames(width: int = 64, height: int = 48, count: int = 4, *, seed: int = 0) -> list[Frame]:
    """Small frames with every kind of content an effect meets.

    Smooth gradients, hard edges, colour bars, a skin-tone patch, a chroma-green patch,
    noise, and luma and chroma reaching past the legal video range. Each frame moves
    the content a little so frames differ.

    Parameters
    ----------
    width, height : int, even, >= 16
        Size.
    count : int >= 1
        Number of frames.
    seed : int
        Seed of the noise.
    """
    if width < 16 or height < 16 or width % 2 or height % 2:
        raise ParameterError(f"sample_frames: size must be even and at least 16x16, got {width}x{height}")
    rng = np.random.default_rng(seed)
    frames = []
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    for k in range(count):
        rgb = np.zeros((height, width, 3), np.float64)
        rgb[..., 0] = 255 * (xx + 3 * k) % width / width
        rgb[..., 1] = 255 * yy / height
        rgb[..., 2] = 255 * (1 - xx / width) * (yy / height)
        bars = [(255, 255, 255), (255, 255, 0), (0, 255, 255), (0, 255, 0), (255, 0, 255), (255, 0, 0), (0, 0, 255), (0, 0, 0)]
        bw = width // len(bars)
        for i, c in enumerate(bars):
            rgb[: height // 4, i * bw : (i + 1) * bw] = c
        rgb[height // 2 : height // 2 + height // 6, width // 8 : width // 8 + width // 5] = (224, 172, 140)  # skin
        rgb[height - height // 5 :, width - width // 3 :] = (0, 177, 64)  # chroma-key green
        rgb += rng.normal(0, 6, rgb.shape)
        frame = Frame.from_rgb(np.clip(rgb, 0, 255).astype(np.uint8))
        y = frame.y.copy()
        y[0, : width // 4] = np.linspace(0, 255, width // 4).astype(np.uint8)  # out-of-range luma
        u = frame.u.copy()
        u[-1, : width // 8] = np.linspace(0, 255, width // 8).astype(np.uint8)
        frames.append(Frame(y, u, frame.v.copy()))
    return frames


def _with_alpha(frames: Sequence[Frame]) -> list[Frame]:
    out = []
    for f in frames:
        a = np.full(f.y.shape, 255, np.uint8)
        a[:, : f.width // 3] = np.linspace(0, 255, f.height, dtype=np.float64)[:, None].astype(np.uint8)
        out.append(Frame(f.y, f.u, f.v, a))
    return out


# -- parameters -----------------------------------------------------------------------------
def _active_value(p: Param) -> Any:
    """A constant that makes a parameter do something (between neutral and an end of its range)."""
    if p.kind in ("float", "int") and p.neutral is not None:
        far = p.max if p.max != p.neutral else p.min
        v = p.neutral + 0.6 * (far - p.neutral)
        return int(round(v)) if p.kind == "int" else float(v)
    if p.kind == "choice" and p.neutral is not None and p.default == p.neutral:
        return next(c for c in p.choices if c != p.neutral)
    return p.default


def active_params(effect_id: str) -> dict[str, Any]:
    """The effect's example parameters with keyframes and envelopes replaced by constants
    that make it do something."""
    effect = get(effect_id)
    out: dict[str, Any] = {}
    for p in effect.params:
        value = effect.example.get(p.name, p.default)
        if isinstance(value, dict) or (p.neutral is not None and value == p.neutral):
            value = _active_value(p)
        out[p.name] = value
    if effect.is_identity(create(effect_id, **out).bind(_context(64, 48)).values(_time(0, 1))):
        for p in effect.params:
            if p.neutral is not None:
                out[p.name] = _active_value(p)
    return out


def random_params(effect_id: str, rng: np.random.Generator) -> dict[str, Any]:
    """Random valid constants for every parameter (files and curves keep their example)."""
    effect = get(effect_id)
    out = dict(active_params(effect_id))
    for p in effect.params:
        if p.kind == "float":
            out[p.name] = float(rng.uniform(p.min, p.max))
        elif p.kind == "int":
            hi = min(p.max, p.min + 10_000)
            out[p.name] = int(rng.integers(p.min, hi + 1))
        elif p.kind == "bool":
            out[p.name] = bool(rng.integers(0, 2))
        elif p.kind == "choice":
            out[p.name] = str(rng.choice([c for c in p.choices if c != p.neutral] or list(p.choices)))
        elif p.kind == "color":
            out[p.name] = [int(c) for c in rng.integers(0, 256, 3)]
    return out


# -- running --------------------------------------------------------------------------------
def _context(width: int, height: int, *, seed: int = 0, frames: int = 4) -> RenderContext:
    return RenderContext(width=width, height=height, fps=FPS, scale=1.0, total_frames=frames, seed=seed)


def _time(index: int, count: int) -> FrameTime:
    t = index / float(FPS)
    return FrameTime(index=index, t=t, local_index=index, local_t=t, duration=count / float(FPS))


def _stream(node: Any, frames: Sequence[Frame], *, reference: bool = False, seed: int = 0, order: Iterable[int] | None = None) -> list[Frame]:
    ctx = _context(frames[0].width, frames[0].height, seed=seed, frames=len(frames))
    bound = node.bind(ctx, reference=reference)
    out: list[Frame | None] = [None] * len(frames)
    for i in order if order is not None else range(len(frames)):
        # fresh input, snapshot output: an effect that writes into its input or
        # returns shared planes cannot hide differences between runs
        out[i] = bound(frames[i].copy(), _time(i, len(frames))).copy()
    return out  # type: ignore[return-value]


def _kernel_direct(effect_id: str, params: dict[str, Any], frames: Sequence[Frame], *, reference: bool) -> list[Any]:
    """Run ``apply`` (or ``reference``) without the identity short-cut, in the effect's own space."""
    node = create(effect_id, **params)
    ctx = _context(frames[0].width, frames[0].height, frames=len(frames))
    bound = node.bind(ctx, reference=reference)
    out = []
    for i, f in enumerate(frames):
        t = _time(i, len(frames))
        image = f if bound.space == "yuv" else _base.to_rgb(f)
        out.append(bound.run(image, bound.values(t), t))
    return out


def frame_difference(a: Any, b: Any) -> int:
    """Largest absolute difference between two frames (or two RGB images), in grey levels."""
    if isinstance(a, Frame):
        pairs = [(a.y, b.y), (a.u, b.u), (a.v, b.v)]
        if a.alpha is not None or b.alpha is not None:
            # no alpha plane means fully opaque
            opaque = np.full(a.y.shape, 255, np.uint8)
            pairs.append((opaque if a.alpha is None else a.alpha, opaque if b.alpha is None else b.alpha))
    else:
        pairs = [(a, b)]
    worst = 0
    for x, y in pairs:
        if x.shape != y.shape:
            return 255
        worst = max(worst, int(np.abs(x.astype(np.int16) - y.astype(np.int16)).max()))
    return worst


def _fail(effect_id: str, check: str, message: str) -> None:
    raise AssertionError(f"{effect_id}: {check}: {message}")


# -- checks ---------------------------------------------------------------------------------
def check_declaration(effect_id: str) -> None:
    """The declaration is consistent (ids, kinds, ranges, defaults, docs, neutral values)."""
    effect = get(effect_id)
    try:
        type(effect).check_declaration()
    except ValueError as exc:
        _fail(effect_id, "declaration", str(exc))
    if effect.id != effect_id:
        _fail(effect_id, "declaration", f"registered under {effect_id!r} but declares id {effect.id!r}")
    create(effect_id, **{k: v for k, v in effect.example.items()})
    if not isinstance(effect.tolerance, int) or not 0 <= effect.tolerance <= 4:
        _fail(effect_id, "declaration", f"tolerance {effect.tolerance!r} must be a whole number of grey levels in 0..4")


def check_kernel_vs_reference(effect_id: str, *, size: tuple[int, int] = (64, 48)) -> None:
    """Kernel and numpy reference agree within the effect's tolerance."""
    effect = get(effect_id)
    frames = sample_frames(*size, count=3)
    rng = np.random.default_rng(1234)
    settings = [active_params(effect_id)] + [random_params(effect_id, rng) for _ in range(3)]
    for params in settings:
        for frame_set in (frames, _with_alpha(frames)):
            fast = _kernel_direct(effect_id, params, frame_set, reference=False)
            slow = _kernel_direct(effect_id, params, frame_set, reference=True)
            for i, (a, b) in enumerate(zip(fast, slow)):
                d = frame_difference(a, b)
                if d > effect.tolerance:
                    _fail(effect_id, "kernel_vs_reference", f"frame {i} with {params}: kernel and reference differ by {d} levels (tolerance {effect.tolerance})")


def check_neutral_is_identity(effect_id: str, *, size: tuple[int, int] = (64, 48)) -> None:
    """Neutral parameters leave frames as they are."""
    effect = get(effect_id)
    frames = sample_frames(*size, count=2)
    neutral = effect.neutral()
    for frame_set in (frames, _with_alpha(frames)):
        out = _stream(create(effect_id, **neutral), frame_set)
        for i, (a, b) in enumerate(zip(frame_set, out)):
            if frame_difference(a, b) != 0:
                _fail(effect_id, "neutral_is_identity", f"frame {i} changed with neutral parameters {neutral}")
        for reference in (False, True):
            direct = _kernel_direct(effect_id, neutral, frame_set, reference=reference)
            for i, (f, b) in enumerate(zip(frame_set, direct)):
                a = f if effect.space == "yuv" else _base.to_rgb(f)
                d = frame_difference(a, b)
                if d > max(1, effect.tolerance):
                    which = "reference" if reference else "kernel"
                    _fail(effect_id, "neutral_is_identity", f"the {which} at neutral parameters changes frame {i} by {d} levels")


def _expect_rejected(effect_id: str, params: dict[str, Any], must_mention: Sequence[str]) -> None:
    try:
        create(effect_id, **params)
    except ParameterError as exc:
        text = str(exc)
        missing = [m for m in must_mention if m not in text]
        if missing:
            _fail(effect_id, "rejects_out_of_range", f"error for {params} does not mention {missing}: {text!r}")
        return
    _fail(effect_id, "rejects_out_of_range", f"accepted invalid parameters {params}")


def check_rejects_out_of_range(effect_id: str) -> None:
    """Out-of-range values, wrong kinds, unknown names and bad keyframes are rejected clearly."""
    effect = get(effect_id)
    _expect_rejected(effect_id, {"no_such_parameter": 1}, [effect_id, "no_such_parameter"])
    for p in effect.params:
        where = f"{effect_id}.{p.name}"
        if p.kind in ("float", "int"):
            span = p.max - p.min
            low = p.min - max(1, span * 0.1)
            high = p.max + max(1, span * 0.1)
            if p.kind == "int":
                low, high = int(math.floor(low)), int(math.ceil(high))
            _expect_rejected(effect_id, {p.name: low}, [where, f"{low:g}", "minimum"])
            _expect_rejected(effect_id, {p.name: high}, [where, f"{high:g}", "maximum"])
            _expect_rejected(effect_id, {p.name: "lots"}, [where, "'lots'"])
            _expect_rejected(effect_id, {p.name: float("nan")}, [where])
            if p.keyframable:
                _expect_rejected(effect_id, {p.name: {"keyframes": [[0, p.default], [1, high]]}}, [where, "keyframes[1]", "maximum"])
                _expect_rejected(effect_id, {p.name: {"keyframes": [[1, p.default], [0.5, p.default]]}}, [where, "keyframes[1].t"])
                _expect_rejected(effect_id, {p.name: {"envelope": "beats", "to": high}}, [where, "maximum"])
            else:
                _expect_rejected(effect_id, {p.name: {"keyframes": [[0, p.default], [1, p.default]]}}, [where, "not keyframable"])
        elif p.kind == "choice":
            _expect_rejected(effect_id, {p.name: "not-a-choice"}, [where, "'not-a-choice'", p.choices[0]])
        elif p.kind == "bool":
            _expect_rejected(effect_id, {p.name: "yes"}, [where, "'yes'"])
        elif p.kind == "color":
            _expect_rejected(effect_id, {p.name: "#12345"}, [where, "'#12345'"])
        elif p.kind == "points":
            _expect_rejected(effect_id, {p.name: [[0, 0], [1.5, 1]]}, [where, "1.5"])
            _expect_rejected(effect_id, {p.name: [[0.5, 0], [0.2, 1]]}, [where])
        elif p.kind == "file":
            _expect_rejected(effect_id, {p.name: ""}, [where])


def check_preserves_format(effect_id: str, *, size: tuple[int, int] = (64, 48)) -> None:
    """Outputs keep plane shapes and dtype; alpha survives."""
    effect = get(effect_id)
    params = active_params(effect_id)
    for frame_set in (sample_frames(*size, count=2), _with_alpha(sample_frames(*size, count=2))):
        for i, (f, out) in enumerate(zip(frame_set, _stream(create(effect_id, **params), frame_set))):
            if not isinstance(out, Frame):
                _fail(effect_id, "preserves_format", f"returned {type(out).__name__}, not a Frame")
            for name in ("y", "u", "v"):
                a, b = getattr(f, name), getattr(out, name)
                if b.shape != a.shape or b.dtype != np.uint8:
                    _fail(effect_id, "preserves_format", f"plane {name} is {b.shape} {b.dtype}, expected {a.shape} uint8")
            if f.alpha is not None and (out.alpha is None or out.alpha.shape != f.alpha.shape or out.alpha.dtype != np.uint8):
                _fail(effect_id, "preserves_format", "dropped or reshaped the alpha plane")
            if f.alpha is None and out.alpha is not None and effect.category != "key":
                _fail(effect_id, "preserves_format", "added an alpha plane (only key effects may)")
        if effect.space == "rgb":
            rgb = _base.to_rgb(frame_set[0])
            out = _kernel_direct(effect_id, params, frame_set[:1], reference=False)[0]
            if not isinstance(out, np.ndarray) or out.shape != rgb.shape or out.dtype != np.uint8:
                _fail(effect_id, "preserves_format", f"RGB kernel returned {getattr(out, 'shape', out)!r}, expected {rgb.shape} uint8")


def _moving_params(effect_id: str) -> dict[str, Any]:
    """Active parameters with the first keyframable one keyframed from neutral, so time matters."""
    effect = get(effect_id)
    params = active_params(effect_id)
    for p in effect.params:
        if p.keyframable and p.neutral is not None:
            params[p.name] = {"keyframes": [[0.0, p.neutral], [0.1, params[p.name], "ease-in-out"]]}
            break
    return params


def check_streaming_equals_batch(effect_id: str, *, size: tuple[int, int] = (64, 48)) -> None:
    """Each frame comes out the same streamed, alone, or out of order."""
    frames = sample_frames(*size, count=4)
    params = _moving_params(effect_id)
    stream = _stream(create(effect_id, **params), frames)
    for i, f in enumerate(frames):
        node = create(effect_id, **params)
        ctx = _context(f.width, f.height, frames=len(frames))
        alone = node.bind(ctx)(f.copy(), _time(i, len(frames)))
        if frame_difference(alone, stream[i]) != 0:
            _fail(effect_id, "streaming_equals_batch", f"frame {i} differs rendered alone vs in a stream")
    backwards = _stream(create(effect_id, **params), frames, order=reversed(range(len(frames))))
    for i, (a, b) in enumerate(zip(stream, backwards)):
        if frame_difference(a, b) != 0:
            _fail(effect_id, "streaming_equals_batch", f"frame {i} differs when frames come in reverse order (state leaks between frames)")


def check_deterministic(effect_id: str, *, size: tuple[int, int] = (64, 48)) -> None:
    """Same inputs, same bytes; a different seed changes seeded effects."""
    effect = get(effect_id)
    frames = sample_frames(*size, count=3)
    params = active_params(effect_id)
    if any(p.name == "rate" for p in effect.params):
        params["rate"] = 1.0
    a = _stream(create(effect_id, **params), frames)
    b = _stream(create(effect_id, **params), frames)
    for i, (x, y) in enumerate(zip(a, b)):
        if frame_difference(x, y) != 0:
            _fail(effect_id, "deterministic", f"frame {i} differs between two identical renders")
    if any(p.name == "seed" for p in effect.params):
        c = _stream(create(effect_id, **{**params, "seed": params.get("seed", 0) + 1}), frames)
        d = _stream(create(effect_id, **params), frames, seed=99)
        for other, what in ((c, "the seed parameter"), (d, "the render seed")):
            if all(frame_difference(x, y) == 0 for x, y in zip(a, other)):
                _fail(effect_id, "deterministic", f"changing {what} does not change the output of a seeded effect")


def check_input_untouched(effect_id: str, *, size: tuple[int, int] = (64, 48)) -> None:
    """The input frame's planes are never written to."""
    frames = _with_alpha(sample_frames(*size, count=2))
    copies = [f.copy() for f in frames]
    _stream(create(effect_id, **active_params(effect_id)), frames)
    for reference in (False, True):
        _kernel_direct(effect_id, active_params(effect_id), frames, reference=reference)
    for i, (f, c) in enumerate(zip(frames, copies)):
        if frame_difference(f, c) != 0:
            _fail(effect_id, "input_untouched", f"input frame {i} was modified; effects must return new planes")


def check_before_scaling(effect_id: str, *, size: tuple[int, int] = (540, 960)) -> None:
    """An effect that says it may run before a fit scales up (``before_scaling``) gives,
    run on a picture (with its ``px`` sizes halved) that is then scaled up 2x, what it
    gives on the scaled-up picture: a mean difference of at most 1 level per plane, and
    the same amount of fine detail (mean absolute Laplacian of luma within 5%). The
    output is 1080x1920, where ``px`` sizes are what they say."""
    import cv2

    effect = get(effect_id)
    if not getattr(type(effect), "before_scaling", False):
        return
    if effect.space != "yuv":
        _fail(effect_id, "before_scaling", "only a YUV effect can run before the scaling (inside the fit, on the source's planes)")

    def up(f: Frame) -> Frame:
        w, h = f.width * 2, f.height * 2
        return Frame(*(cv2.resize(plane, (pw, ph), interpolation=cv2.INTER_LINEAR) for plane, pw, ph in ((f.y, w, h), (f.u, w // 2, h // 2), (f.v, w // 2, h // 2))))

    def detail(y: np.ndarray) -> float:
        return float(np.abs(cv2.Laplacian(y, cv2.CV_32F)).mean())

    frames = sample_frames(*size, count=2)
    node = create(effect_id, **active_params(effect_id))
    bound = node.bind(_context(size[0] * 2, size[1] * 2, frames=len(frames)))
    for i, f in enumerate(frames):
        t = _time(i, len(frames))
        after = bound.run(up(f), bound.values(t), t)
        before = up(bound.run(f.copy(), bound.values(t), t, scale=2.0))
        for name in ("y", "u", "v"):
            d = float(np.abs(getattr(after, name).astype(np.int16) - getattr(before, name).astype(np.int16)).mean())
            if d > 1.0:
                _fail(effect_id, "before_scaling", f"frame {i}: run before a 2x upscale, plane {name} differs by {d:.2f} levels on average from running after it (at most 1)")
        a, b = detail(after.y), detail(before.y)
        if abs(b - a) > 0.05 * max(a, 1e-6):
            _fail(effect_id, "before_scaling", f"frame {i}: run before a 2x upscale, it leaves {b / max(a, 1e-6):.0%} of the fine detail it leaves run after it (95-105% allowed)")


CHECKS: dict[str, Callable[[str], None]] = {
    "declaration": check_declaration,
    "kernel_vs_reference": check_kernel_vs_reference,
    "neutral_is_identity": check_neutral_is_identity,
    "rejects_out_of_range": check_rejects_out_of_range,
    "preserves_format": check_preserves_format,
    "streaming_equals_batch": check_streaming_equals_batch,
    "deterministic": check_deterministic,
    "input_untouched": check_input_untouched,
    "before_scaling": check_before_scaling,
}
"""Every conformance check by name."""


def conformance_cases(ids: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """``(effect id, check name)`` pairs for ``pytest.mark.parametrize``.

    Parameters
    ----------
    ids : iterable of str, optional
        Effects to check; every registered effect by default.
    """
    chosen = list(ids) if ids is not None else effect_ids()
    return [(e, c) for e in chosen for c in CHECKS]


def run_check(effect_id: str, check: str) -> None:
    """Run one check on one effect (raises ``AssertionError`` on failure)."""
    if check not in CHECKS:
        raise ParameterError(f"check {check!r} is not one of {', '.join(CHECKS)}")
    CHECKS[check](effect_id)


def check_effect(effect_id: str) -> dict[str, str | None]:
    """Run every check on an effect.

    Returns
    -------
    dict
        Check name -> ``None`` when it passed, else the failure message.
    """
    results: dict[str, str | None] = {}
    for name, fn in CHECKS.items():
        try:
            fn(effect_id)
            results[name] = None
        except AssertionError as exc:
            results[name] = str(exc)
    return results
