"""Soak and concurrency: many renders in one process, renders side by side, random
cancellations and signals. Targets (issue 14): RSS slope <= 0.1 MB per render after the
first 20, open files and threads back to baseline, 4 threaded renders equal to the same
renders alone, 0 files left over 50 cancellations and 20 SIGTERMs.

    python bench/soak.py [--renders 200] [--cancels 50] [--signals 20] [--media generated|real|both]

``generated`` renders the small clips the tests make; ``real`` the clips and a song from
../shared/media (trimmed to half a second each, at the same 96x160 canvas).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
REAL_MEDIA = HERE.parent.parent / "shared" / "media"

import faultkit as fk  # noqa: E402
import mediagen  # noqa: E402


def _media(kind: str, folder: Path) -> tuple[list[str], str, str]:
    from PIL import Image

    sticker = folder / "dot.png"
    rgba = np.zeros((24, 24, 4), np.uint8)
    rgba[4:20, 4:20] = (255, 40, 80, 255)
    Image.fromarray(rgba).save(sticker)
    if kind == "real":
        clips = [str(REAL_MEDIA / "video" / "chaplin.mp4"), str(REAL_MEDIA / "video" / "big_buck_bunny_0_30.webm"),
                 str(REAL_MEDIA / "video" / "carphone_pristine.mp4")]
        return clips, str(REAL_MEDIA / "music" / "Kevin_MacLeod_-_Vibe_Ace.ogg"), str(sticker)
    a, b = folder / "a.mp4", folder / "b.mp4"
    mediagen.make_video(str(a), width=160, height=284, frames=60)
    mediagen.make_video(str(b), width=284, height=160, frames=60, hue=4)
    song = folder / "song.m4a"
    mediagen.make_audio(str(song), duration=3.0, container_format="mp4")
    return [str(a), str(b)], str(song), str(sticker)


def soak(kind: str, renders: int, folder: Path) -> None:
    clips, song, sticker = _media(kind, folder)
    out = folder / "out"
    out.mkdir()
    fds0, threads0 = fk.open_fds(), fk.clipkit_threads()
    rss, fds, threads = [], [], []
    started = time.perf_counter()
    for k in range(renders):
        fk.mixed_edit(k, clips, song, sticker).render(out / f"{k % 4}.mp4", preset="ultrafast")
        rss.append(fk.rss_mb())
        fds.append(fk.open_fds())
        threads.append(len(fk.clipkit_threads()))
    elapsed = time.perf_counter() - started
    after = rss[20:] if len(rss) > 25 else rss
    print(f"soak [{kind}]: {renders} renders in {elapsed:.0f} s ({renders / elapsed:.1f}/s)")
    print(f"  RSS: first {rss[0]:.0f} MB, render 20 {rss[min(19, len(rss) - 1)]:.0f} MB, last {rss[-1]:.0f} MB; "
          f"slope after the first 20: {fk.slope(after):+.3f} MB/render (target <= 0.1)")
    print(f"  open fds: baseline {fds0}, min {min(fds)}, max {max(fds)}, last {fds[-1]}; "
          f"threads: baseline {len(threads0)}, max {max(threads)}, last {threads[-1]}")
    left = sorted(p.name for p in out.iterdir() if not p.name.endswith(".mp4"))
    print(f"  files other than outputs left: {left}")


def concurrency(kind: str, folder: Path) -> None:
    from mediagen import decode_output

    clips, song, sticker = _media(kind, folder)
    kinds = [0, 1, 3, 4]
    alone, together = folder / "alone", folder / "together"
    alone.mkdir()
    together.mkdir()
    t0 = time.perf_counter()
    for k in kinds:
        fk.mixed_edit(k, clips, song, sticker).render(alone / f"{k}.mp4", preset="ultrafast")
    t_alone = time.perf_counter() - t0
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=4) as pool:
        for future in [pool.submit(fk.mixed_edit(k, clips, song, sticker).render, together / f"{k}.mp4", preset="ultrafast") for k in kinds]:
            future.result()
    t_together = time.perf_counter() - t0
    same = 0
    for k in kinds:
        a_frames, a_audio, _ = decode_output(str(alone / f"{k}.mp4"))
        b_frames, b_audio, _ = decode_output(str(together / f"{k}.mp4"))
        same += len(a_frames) == len(b_frames) and all(np.array_equal(x, y) for x, y in zip(a_frames, b_frames)) and np.array_equal(a_audio, b_audio)
    print(f"concurrency [{kind}]: 4 renders in threads equal to alone: {same}/4; wall time alone {t_alone:.2f} s, "
          f"4 threads {t_together:.2f} s (ratio {t_together / t_alone:.2f})")


def cancellations(kind: str, count: int, folder: Path) -> None:
    import clipkit as ck

    clips, song, sticker = _media(kind, folder)
    out = folder / "cancel"
    out.mkdir()
    fk.mixed_edit(0, clips, song, sticker).render(out / "warm.mp4", preset="ultrafast")
    (out / "warm.mp4").unlink()
    fds0, threads0 = fk.open_fds(), fk.clipkit_threads()
    rng = random.Random(50)
    cancelled = left = leaks = 0
    for attempt in range(count):
        cancel = threading.Event()
        edit = fk.mixed_edit(attempt, clips, song, sticker).with_overlay(fk.CancelAt(rng.randint(0, 20), cancel))
        try:
            edit.render(out / "o.mp4", preset="ultrafast", cancel=cancel)
        except ck.RenderCancelled:
            cancelled += 1
        left += len(list(out.iterdir()))
        for p in out.iterdir():
            p.unlink()
        leaks += fk.open_fds() != fds0 or fk.clipkit_threads() != threads0
    print(f"cancellations [{kind}]: {cancelled}/{count} cancelled at a random frame; files left {left}; "
          f"renders after which fds or threads differed from baseline: {leaks}")


SIGNAL_TEMPLATE = """version: 1
canvas: {width: 320, height: 568, fps: 30}
slots: [{id: a}]
shots: [{slot: a, duration: 2.0}, {slot: a, duration: 2.0}]
output: {preset: medium}
"""


def signals(count: int, folder: Path) -> None:
    """``count`` CLI renders stopped by SIGTERM at a random moment of their run (from
    start-up to the end of encoding): exit codes and files left in the output folder."""
    clip = folder / "clip.mp4"
    mediagen.make_video(str(clip), width=160, height=284, frames=90)
    template = folder / "t.yaml"
    template.write_text(SIGNAL_TEMPLATE)
    env = dict(os.environ)
    env["PYTHONPATH"] = str(HERE.parent) + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, "-m", "clipkit.cli.main", "render", str(template), "--clip", f"a={clip}", "--quiet"]
    # one unsignalled run to learn how long a render takes here
    t0 = time.perf_counter()
    subprocess.run(cmd + ["-o", str(folder / "full.mp4")], check=True, env=env, capture_output=True)
    full = time.perf_counter() - t0
    rng = random.Random(20)
    codes: dict[int, int] = {}
    left = 0
    for k in range(count):
        out = folder / f"sig{k}"
        out.mkdir()
        proc = subprocess.Popen(cmd + ["-o", str(out / "o.mp4")], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.05, full * 0.95))
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=120)
        codes[proc.returncode] = codes.get(proc.returncode, 0) + 1
        names = [p.name for p in out.iterdir()]
        left += sum(1 for n in names if n != "o.mp4")  # a render that finished first keeps its output
    print(f"signals: {count} SIGTERMs at random moments of a {full:.1f} s CLI render; exit codes {codes}; files left: {left}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--renders", type=int, default=200)
    ap.add_argument("--cancels", type=int, default=50)
    ap.add_argument("--signals", type=int, default=20)
    ap.add_argument("--media", choices=["generated", "real", "both"], default="both")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    kinds = ["generated", "real"] if args.media == "both" else [args.media]
    if "real" in kinds and not REAL_MEDIA.is_dir():
        print(f"no {REAL_MEDIA}: real media skipped")
        kinds.remove("real")
    print(f"machine: {os.cpu_count()} cores (shared with other work: timings are indicative)")
    with tempfile.TemporaryDirectory(prefix="clipkit-soak-") as tmp:
        root = Path(tmp)
        for kind in kinds:
            for name, job in (("soak", lambda f: soak(kind, args.renders, f)), ("threads", lambda f: concurrency(kind, f)),
                              ("cancel", lambda f: cancellations(kind, args.cancels, f))):
                folder = root / f"{kind}-{name}"
                folder.mkdir()
                job(folder)
        if args.signals:
            folder = root / "signals"
            folder.mkdir()
            signals(args.signals, folder)


if __name__ == "__main__":
    main()
