"""Long fuzz run: seeded byte-level mutations of small valid media (MP4, WebM, PNG,
APNG, GIF, JPEG, WAV, M4A, and the real clips in ../shared/media) and schema-shaped or
mutated templates, each checked against the invariant in ``tests/faultkit.py``.

    python bench/fuzz.py --cases 5000 [--seed 1] [--timeout 30] [--templates 0.3]

Cases run in a worker process; the parent gives each case ``--timeout`` seconds and
counts a hang (and restarts the worker) when a case does not answer in time. Printed:
cases per second, non-clipkit exceptions, hangs, leftover files, and the first failures
with their case names (a case name says which seed file and which mutation).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
REAL_MEDIA = HERE.parent.parent / "shared" / "media"


def _real_seeds(limit_bytes: int = 400_000) -> dict[str, bytes]:
    """Head-and-tail pieces of the real clips: real codecs and containers, small enough
    to mutate quickly (a cut file is itself a realistic case)."""
    seeds: dict[str, bytes] = {}
    for path in sorted((REAL_MEDIA / "video").glob("*")) + sorted((REAL_MEDIA / "music").glob("*.ogg"))[:1]:
        data = path.read_bytes()
        seeds[f"real-{path.stem[:12]}{path.suffix}"] = data if len(data) <= limit_bytes else data[:limit_bytes]
    return seeds


def _worker(conn: Any, root: str, seed: int, template_share: float) -> None:
    warnings.simplefilter("ignore")
    import faultkit as fk
    import mediagen

    from clipkit.template import template_schema

    root_path = Path(root)
    seeds = fk.make_seeds(root_path / "seeds")
    real = _real_seeds() if REAL_MEDIA.is_dir() else {}
    kinds = {**seeds, **real}
    clip = root_path / "slot.mp4"
    song = root_path / "song.m4a"
    if not clip.exists():
        mediagen.make_video(str(clip), width=64, height=112, frames=300, sr=22050, gop=30)
        mediagen.make_audio(str(song), duration=12.0, sr=22050, container_format="mp4")
    schema = template_schema()
    library = fk.library_templates()
    inputs = root_path / "in"
    outputs = root_path / "out"
    inputs.mkdir(exist_ok=True)
    outputs.mkdir(exist_ok=True)
    conn.send("ready")
    while True:
        index = conn.recv()
        if index is None:
            return
        rng = random.Random(seed * 1_000_003 + index)
        if rng.random() < template_share:
            if rng.random() < 0.5:
                doc = fk.schema_document(schema, rng)
                label = f"t{index:05d}_schema"
            else:
                name = rng.choice(sorted(library))
                doc = fk.fuzz_template_document(library[name], rng)
                label = f"t{index:05d}_{name}"
            outcome = fk.run_template_case(doc, {"a": str(clip)}, str(song) if rng.random() < 0.8 else None, frames=1)
            outcome.case = label
        else:
            kind = rng.choice(sorted(kinds))
            what, data = fk.mutate(kinds[kind], rng)
            ext = os.path.splitext(kind)[1] or ("." + ("png" if kind == "apng" else kind))
            if rng.random() < 0.2:
                ext = rng.choice(fk.EXTENSIONS)
                what += f" as {ext}"
            path = inputs / f"m{index:05d}_{fk._slug(kind)}_{fk._slug(what)}{ext}"
            path.write_bytes(data)
            outcome = fk.run_media_case(path, outputs)
            path.unlink()
        conn.send((outcome.case, outcome.failure, outcome.seconds, "rendered" in outcome.details, outcome.refused is not None))


def _start(root: str, seed: int, share: float) -> tuple[Any, Any]:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_worker, args=(child, root, seed, share), daemon=True)
    proc.start()
    if not parent.poll(300) or parent.recv() != "ready":
        raise SystemExit("fuzz worker did not start")
    return proc, parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds a case may take before it counts as a hang")
    ap.add_argument("--templates", type=float, default=0.3, help="share of template cases (the rest are media)")
    args = ap.parse_args()

    root = tempfile.mkdtemp(prefix="clipkit-fuzz-")
    proc, conn = _start(root, args.seed, args.templates)
    failures: list[str] = []
    hangs: list[str] = []
    rendered = refused = media = templates = 0
    slowest = (0.0, "")
    started = time.perf_counter()
    try:
        for index in range(args.cases):
            conn.send(index)
            if not conn.poll(args.timeout):
                hangs.append(f"case {index}")
                proc.kill()
                proc.join()
                shutil.rmtree(Path(root) / "out", ignore_errors=True)
                shutil.rmtree(Path(root) / "in", ignore_errors=True)
                proc, conn = _start(root, args.seed, args.templates)
                continue
            case, failure, seconds, was_rendered, was_refused = conn.recv()
            media += case.startswith("m")
            templates += case.startswith("t")
            rendered += was_rendered
            refused += was_refused
            slowest = max(slowest, (seconds, case))
            if failure:
                failures.append(f"{case}: {failure}")
            if (index + 1) % 500 == 0:
                rate = (index + 1) / (time.perf_counter() - started)
                print(f"  {index + 1} cases, {rate:.1f}/s, {len(failures)} failures, {len(hangs)} hangs", flush=True)
        conn.send(None)
        proc.join(timeout=30)
    finally:
        if proc.is_alive():
            proc.kill()
    elapsed = time.perf_counter() - started
    leftovers = [str(p) for p in Path(root).rglob("*") if p.is_file() and (p.name.endswith(".part") or p.parent.name in ("in", "out"))]
    shutil.rmtree(root, ignore_errors=True)
    print(f"fuzz: {args.cases} cases (seed {args.seed}) in {elapsed:.0f} s = {args.cases / elapsed:.1f} cases/s "
          f"[{media} media, {templates} templates; {rendered} rendered, {refused} refused with a ClipkitError]")
    print(f"  non-clipkit exceptions / broken invariants: {len(failures)}")
    print(f"  hangs (> {args.timeout:g} s): {len(hangs)}")
    print(f"  leftover files: {len(leftovers)}")
    print(f"  slowest case: {slowest[0]:.2f} s ({slowest[1]})")
    for line in failures[:20] + hangs[:5] + leftovers[:5]:
        print("   ", line[:400])
    sys.exit(1 if failures or hangs or leftovers else 0)


if __name__ == "__main__":
    main()
