"""Layouts and transitions: what a 2x2 grid and a transition frame cost.

1. **Grid vs its floor.** A 2x2 grid of four 1080x1920 clips rendered at 1080x1920
   (tiktok profile) against its floor: the plain render of one such clip plus three
   more decodes (a grid must decode four clips; everything else should be thin).
   Target: grid <= 1.3x floor. Each variant runs in its own child process; with
   ``--repeat N`` the variants are interleaved N times and the best time of each kept.
2. **Transition cost per frame** on 1080x1920 YUV planes, in-process (median and best of
   many calls). Target: crossfade <= 2 ms.
3. **Grid compose cost per frame** without decoding (four in-memory 1080x1920 frames
   into one canvas), to show what the layout adds on top of the decoders.

Usage::

    python bench/bench_layouts.py              # everything
    python bench/bench_layouts.py --repeat 3   # interleave the render runs 3 times
    python bench/bench_layouts.py --only transitions
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

W, H, FPS = 1080, 1920, 30
SECONDS = 5.0
FRAMES = int(SECONDS * FPS)


def media() -> list[Path]:
    return [common.make_clip(common.MEDIA / f"clip{i}_{W}x{H}.mp4", width=W, height=H, seconds=8, seed=i) for i in range(3)]


# -- child variants ---------------------------------------------------------------------
def run_single(out: str) -> None:
    import clipkit as ck

    clips = media()
    edit = ck.sequence([ck.open(clips[0]).trim(1.0, 1.0 + SECONDS)], canvas=ck.Canvas(W, H, FPS))
    start = time.perf_counter()
    edit.render(out, profile="tiktok")
    common.report_self(wall=time.perf_counter() - start)


def run_grid(out: str) -> None:
    import clipkit as ck
    from clipkit import layouts

    clips = media()
    cells = [ck.open(p).trim(1.0, 1.0 + SECONDS) for p in (clips[0], clips[1], clips[2], clips[0])]
    edit = ck.sequence([layouts.grid(cells, audio="first")], canvas=ck.Canvas(W, H, FPS))
    start = time.perf_counter()
    edit.render(out, profile="tiktok")
    common.report_self(wall=time.perf_counter() - start)


def run_decode(out: str) -> None:
    """Decode one clip's 5 s as the render does (frame threads, planes), nothing else."""
    from clipkit.media.video import read_video_frames

    clips = media()
    start = time.perf_counter()
    n = sum(1 for _ in read_video_frames(clips[1], start=1.0, count=FRAMES, fps=Fraction(FPS)))
    common.report_self(wall=time.perf_counter() - start, frames=n)


VARIANTS = {"single": run_single, "grid": run_grid, "decode": run_decode}


def render_comparison(repeat: int) -> None:
    media()
    out_dir = common.MEDIA / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    best: dict[str, common.Run] = {}
    for _ in range(repeat):
        for name in ("single", "decode", "grid"):
            run = common.measure(
                name, [sys.executable, __file__, "--child", name, str(out_dir / f"layout_{name}.mp4")], frames=FRAMES
            )
            if name not in best or run.wall < best[name].wall:
                best[name] = run
    single, decode, grid = best["single"].wall, best["decode"].wall, best["grid"].wall
    floor = single + 3 * decode
    rows = [["variant", "wall s", "fps", "peak MB"]]
    for name in ("single", "decode", "grid"):
        r = best[name]
        rows.append([name, f"{r.wall:.2f}", f"{r.fps:.1f}", f"{r.peak_rss_mb:.0f}"])
    print(common.table(rows))
    print(f"\nfloor = single render + 3 decodes = {single:.2f} + 3 x {decode:.2f} = {floor:.2f} s")
    print(f"2x2 grid / floor = {grid / floor:.2f}x   (target <= 1.30x)")
    print(f"2x2 grid / single render = {grid / single:.2f}x")


# -- in-process micro benchmarks ----------------------------------------------------------
def _planes(seed: int):
    import numpy as np

    from clipkit.frame import Frame

    rng = np.random.default_rng(seed)
    return Frame(
        rng.integers(16, 236, (H, W), dtype=np.uint8),
        rng.integers(16, 241, (H // 2, W // 2), dtype=np.uint8),
        rng.integers(16, 241, (H // 2, W // 2), dtype=np.uint8),
    )


def _timeit(fn, calls: int) -> tuple[float, float]:
    fn()
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000, min(times) * 1000


def transitions_bench(calls: int) -> None:
    from clipkit import transitions as T
    from clipkit.nodes import FrameTime, RenderContext

    ctx = RenderContext(W, H, Fraction(FPS))
    a, b = _planes(1), _planes(2)
    rows = [["transition", "median ms", "best ms"]]
    for name in T.transition_names():
        bound = T.transition(name, 0.5).bind(ctx)
        k = [0]

        def step() -> None:
            k[0] += 1
            p = (k[0] % 29 + 0.5) / 30
            bound(a, b, p, FrameTime(k[0], k[0] / FPS, k[0], k[0] / FPS, 1.0))

        med, best = _timeit(step, calls if name == "crossfade" else max(10, calls // 5))
        rows.append([name, f"{med:.2f}", f"{best:.2f}"])
    print(f"transition cost per frame, {W}x{H} YUV 4:2:0 (target: crossfade <= 2 ms)")
    print(common.table(rows))


def compose_bench(calls: int) -> None:
    from collections.abc import Iterator

    import clipkit as ck
    from clipkit import layouts
    from clipkit.edit.sources import Source

    frames = [_planes(s) for s in range(4)]

    class Memory(Source):
        kind = "memory"

        def __init__(self, frame) -> None:
            self.frame = frame

        @property
        def duration(self) -> float:  # type: ignore[override]
            return 3600.0

        @property
        def display_size(self) -> tuple[int, int]:  # type: ignore[override]
            return (W, H)

        def frames(self, *, ctx, start, count, fps, width, height, speed=1.0) -> Iterator:
            for k in range(count):
                yield self.frame, start + k / float(fps)

    cells = [ck.Clip(source=Memory(f), start=0.0, end=60.0) for f in frames]
    rows = [["layout", "median ms", "best ms"]]
    for label, clip in (
        ("grid 2x2", layouts.grid(cells)),
        ("grid 2x2, gaps", layouts.grid(cells, gap=0.01)),
        ("duet", layouts.duet(cells[0], cells[1])),
        ("pip, border + radius", layouts.pip(cells[0], cells[1])),
    ):
        stream = iter(clip.source.frames(ctx=RenderContext(W, H, Fraction(FPS)), start=0.0, count=calls + 1, fps=Fraction(FPS), width=W, height=H))
        med, best = _timeit(lambda: next(stream), calls)
        rows.append([label, f"{med:.2f}", f"{best:.2f}"])
    print(f"\nlayout compose cost per frame without decoding, {W}x{H}")
    print(common.table(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", nargs=2, metavar=("VARIANT", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=1, help="interleaved repetitions of the render comparison")
    parser.add_argument("--calls", type=int, default=200, help="calls per micro benchmark")
    parser.add_argument("--only", choices=["render", "transitions", "compose"], help="run one part")
    args = parser.parse_args()
    if args.child:
        VARIANTS[args.child[0]](args.child[1])
        return
    if args.only in (None, "transitions"):
        transitions_bench(args.calls)
    if args.only in (None, "compose"):
        compose_bench(max(20, args.calls // 4))
    if args.only in (None, "render"):
        print()
        render_comparison(max(1, args.repeat))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
