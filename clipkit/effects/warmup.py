"""Compile every effect kernel ahead of time (``clipkit warmup``).

numba compiles a kernel the first time it meets a new combination of argument types
and keeps the machine code in its on-disk cache, so this runs once per machine (or
after an upgrade): later processes load the cached code in well under a second.
Each effect runs through the kernel paths a render takes: its example parameters,
random parameters, an alpha plane, and RGB conversions for RGB effects.

``clipkit warmup`` with no ids also warms the music analysis' librosa engine
(:func:`clipkit.music.engines.warm_librosa`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from ..errors import ParameterError
from .base import from_rgb, to_rgb
from .registry import effect_ids, get

__all__ = ["warmup", "clear_cache"]


def clear_cache() -> int:
    """Delete numba's cached machine code of the effect modules (built-ins, the shared
    kernels and loaded plugins); returns the number of files removed.

    numba keys a cached kernel on its own file only, so after editing a shared helper
    the callers' caches must go. Only ``*.nbi``/``*.nbc`` files in the ``__pycache__``
    folders beside those modules are touched (or under ``NUMBA_CACHE_DIR`` when set).
    """
    import os
    import sys
    from pathlib import Path

    from .registry import effects as registered

    modules = {sys.modules[type(e).__module__] for e in registered()} | {sys.modules[__name__.rsplit(".", 1)[0] + ".kernels"]}
    folders = {Path(m.__file__).resolve().parent for m in modules if getattr(m, "__file__", None)}
    root = os.environ.get("NUMBA_CACHE_DIR")
    removed = 0
    for folder in folders:
        cache = Path(root) / folder.relative_to(folder.anchor) if root else folder / "__pycache__"
        if not cache.is_dir():
            continue
        for path in list(cache.glob("*.nbi")) + list(cache.glob("*.nbc")):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def warmup(ids: list[str] | None = None, *, progress: Callable[[str, float], None] | None = None) -> dict[str, float]:
    """Compile (or load from the cache) the kernels of the given effects.

    Parameters
    ----------
    ids : list of str, optional
        Effects to warm; every registered effect by default.
    progress : callable, optional
        Called as ``progress(effect_id, seconds)`` after each effect.

    Returns
    -------
    dict
        Seconds spent per effect (large on the first run, small once cached).
    """
    from ..testing import _kernel_direct, _with_alpha, active_params, random_params, sample_frames

    chosen = ids if ids is not None else effect_ids()
    frames = sample_frames(64, 48, count=1)
    rng = np.random.default_rng(0)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    from_rgb(to_rgb(frames[0]))
    timings["(rgb conversion)"] = time.perf_counter() - started
    for effect_id in chosen:
        get(effect_id)
        started = time.perf_counter()
        settings = [active_params(effect_id), random_params(effect_id, rng)]
        for params in settings:
            for frame_set in (frames, _with_alpha(frames)):
                try:
                    _kernel_direct(effect_id, params, frame_set, reference=False)
                except ParameterError:
                    continue
        timings[effect_id] = time.perf_counter() - started
        if progress is not None:
            progress(effect_id, timings[effect_id])
    if ids is None:
        started = time.perf_counter()
        _bake_look_cubes()
        timings["(look colour cubes)"] = time.perf_counter() - started
        if progress is not None:
            progress("(look colour cubes)", timings["(look colour cubes)"])
        started = time.perf_counter()
        from ..media.colour import CUBE_COLOURS, bt709_cube

        for kind in CUBE_COLOURS:  # HDR and BT.2020 sources: about a second each to build
            bt709_cube(kind)
        timings["(source colour cubes)"] = time.perf_counter() - started
        if progress is not None:
            progress("(source colour cubes)", timings["(source colour cubes)"])
    return timings


def _bake_look_cubes() -> None:
    """Build the colour cubes of every installed look (kept in the user cache folder), so a
    look's first render in a fresh process reads its cube instead of building it with numba.
    One frame through each look also stores its cubes with the luma tables folded in."""
    from ..frame import Frame
    from ..nodes import FrameTime, RenderContext
    from .looks import look, look_names

    ctx = RenderContext(64, 48, 30)
    frame = Frame.solid(64, 48, (128, 96, 64))
    for name in look_names():
        try:
            bound = look(name).bind(ctx)
        except ParameterError:
            continue  # a look that does not load is reported where it is used
        try:
            bound(frame, FrameTime(0, 0.0, 0, 0.0, 1.0))
        finally:
            bound.close()
