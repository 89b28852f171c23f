"""Throughput of N template renders: the batch pool vs a shell loop vs a serial loop vs Ray.

The job (issue 10's target): three clips, 1080x1920, 8 s, a look, music, two stickers
(one bouncing on the beat, so the song is analysed) and one text, the ``tiktok``
profile. Each batch of ``--jobs`` jobs (12 by default) runs four ways, each in its own
child process, interleaved ``--repeat`` times:

- ``pool``: ``clipkit.batch.batch`` on the local pool (spawn, warm-up and all included).
- ``serial``: one warm process (imports and kernels loaded first) calling ``render()``
  job after job: the floor a pool must beat.
- ``shell``: ``clipkit render`` once per job, as a shell loop would.
- ``ray``: ``batch(backend="ray")`` on a local Ray (2 CPUs, loopback), timed from the
  first task (``ray.init`` excluded, worker warm-up included).

On generated clips (``bench/.media``) and on real ones from ``../shared/media``
(``--media generated|real|both``). Also reported: per-job start-up in a warm worker
(job handed over -> first frame encoded), peak RSS per worker vs a single render, and
(``--soak N``) RSS and open files of one worker over N small jobs.

Peak RSS, as compared: a *worker's* peak is the kernel's high-water mark (``VmHWM``) of
each pool worker after the whole batch (every job it rendered), the largest worker's
taken; a *single render's* peak is that of a fresh process that warms up as a worker does
(``warm_up``) and renders one of the batch's jobs with the pool's x264 threads, for each
of jobs 0-2 (the three clip orders), the largest taken. Each mode's row also shows its
CPU time per job and the share of the machine's cores it left idle (or to the other
sessions of a shared machine). ``--curve`` measures
throughput over workers x x264 threads, the data behind ``default_workers``;
``--startup`` times each step of a warm worker's start-up on a job (template loaded,
clips probed, render set up, first frame out of the frame stream, loudness measured,
first frame encoded), through thin wrappers around the real calls, then cancels the
render (the start-up is what is measured; ``--baseline`` times another checkout too).

Usage::

    python bench/bench_batch.py                       # the comparison, generated + real
    python bench/bench_batch.py --curve --jobs 4      # workers x threads
    python bench/bench_batch.py --curve --jobs 4 --repeat 2 --settings 1x0,2x1,2x2   # some of them, interleaved
    python bench/bench_batch.py --soak 100            # flat RSS / open files in one worker (MB a job over jobs 20-100)
    python bench/bench_batch.py --soak 100 --media real --baseline ../main-checkout   # ... and another clipkit's
    python bench/bench_batch.py --startup --jobs 8    # a warm worker's per-job start-up, step by step
    python bench/bench_batch.py --startup --baseline ../main-checkout --repeat 2   # ... against another clipkit

The machine may be shared: read the ratios of one run, not the absolute times.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "media"

TEMPLATE = """\
version: 1
name: Batch bench
canvas: {width: 1080, height: 1920, fps: 30}
slots:
  - {id: one, min_duration: 3}
  - {id: two, min_duration: 3}
  - {id: three, min_duration: 2}
vars: {name: Sam}
music: {start: 2, fade_out: 0.8, volume: 0.8}
original_volume: 0.3
shots:
  - {slot: one, duration: 3}
  - {slot: two, duration: 3}
  - {slot: three, duration: 2}
look: {name: vivid, strength: 0.7}
overlays:
  stickers:
    - {pack: hearts/heart_red, position: [0.2, 0.15], start: 0.5, enter: pop, beat_bounce: 0.1}
    - {pack: sparkles/sparkle_gold, position: [0.8, 0.8], start: 1.0}
  text:
    - {text: "Hello {{name}}!", style: neon, position: [0.5, 0.7], enter: pop, start: 0.3}
output: {profile: tiktok}
"""


# -- media and jobs ---------------------------------------------------------------------------
def generated_media() -> tuple[list[Path], list[Path]]:
    clips = [common.make_clip(common.MEDIA / f"clip{i}_1080x1920.mp4", width=1080, height=1920, seconds=8, seed=i) for i in range(3)]
    songs = [common.make_song(common.MEDIA / "song60.m4a", seconds=60), common.make_song(common.MEDIA / "song45_100.m4a", seconds=45, bpm=100)]
    return clips, songs


def real_media() -> tuple[list[Path], list[Path]]:
    video = SHARED / "video"
    music = SHARED / "music"
    clips = [video / "big_buck_bunny_0_30.webm", video / "faces_video.mp4", video / "chaplin.mp4"]
    songs = [music / "Kevin_MacLeod_-_Vibe_Ace.ogg", music / "Karissa_Hobbs_-_Lets_Go_Fishin.ogg"]
    missing = [p for p in clips + songs if not p.exists()]
    if missing:
        raise SystemExit(f"real media missing: {', '.join(map(str, missing))} (expected in ../shared/media)")
    return clips, songs


def write_batch(folder: Path, clips: list[Path], songs: list[Path], count: int, *, seconds: float | None = None) -> Path:
    """``count`` jobs over rotating clip orders and two songs, as a JSONL batch file."""
    folder.mkdir(parents=True, exist_ok=True)
    template = TEMPLATE
    if seconds is not None:  # shorter jobs for the soak run
        template = template.replace("min_duration: 3", "min_duration: 0.5").replace("min_duration: 2", "min_duration: 0.5")
        template = template.replace("duration: 3}", f"duration: {seconds / 3:.2f}}}").replace("duration: 2}", f"duration: {seconds / 3:.2f}}}")
        template = template.replace("width: 1080, height: 1920", "width: 540, height: 960")
    (folder / "bench.yaml").write_text(template)
    lines = []
    for i in range(count):
        order = [clips[(i + k) % len(clips)] for k in range(3)]
        lines.append(json.dumps({
            "id": f"job{i:03d}", "template": "bench.yaml",
            "clips": {"one": str(order[0]), "two": str(order[1]), "three": str(order[2])},
            "music": str(songs[i % len(songs)]), "set": {"name": f"Creator {i}"},
        }))
    path = folder / "jobs.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


# -- child runs -------------------------------------------------------------------------------
POOL = r"""
import json, sys, threading, time, psutil
from clipkit.batch import LocalPool, batch_iter
batch_file, out, workers, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
start = time.perf_counter()
peaks = {}
done = threading.Event()
with LocalPool(workers, threads=threads) as pool:
    def sample():
        while not done.is_set():
            for pid in pool.pids:
                try:
                    peaks[pid] = max(peaks.get(pid, 0), psutil.Process(pid).memory_info().rss)
                except psutil.Error:
                    pass
            time.sleep(0.05)
    t = threading.Thread(target=sample, daemon=True); t.start()
    results = list(batch_iter(batch_file, backend=pool, output_dir=out))
    done.set(); t.join()
    for pid in pool.pids:  # the kernel's exact peak (VmHWM) of each live worker, beside the sampled one
        try:
            with open(f"/proc/{pid}/status") as f:
                hwm = next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmHWM:"))
            peaks[pid] = max(peaks.get(pid, 0), hwm)
        except (OSError, StopIteration):
            pass
wall = time.perf_counter() - start
bad = [r for r in results if r.status != "ok"]
if bad:
    sys.exit(f"jobs failed: {bad[0].error}")
by_worker = {}
for r in sorted(results, key=lambda r: r.elapsed):
    by_worker.setdefault(r.worker, []).append(r)
startups = [r.startup for r in results]
print("RESULT " + json.dumps({"wall": wall, "frames": sum(r.frames for r in results),
      "startups": startups, "elapsed": [r.elapsed for r in results],
      "worker_peak_mb": max(peaks.values()) / 2**20 if peaks else 0.0}))
"""

SERIAL = r"""
import json, resource, sys, time
from clipkit.batch import prepare_jobs, load_jobs
from clipkit.batch.local import job_message
from clipkit.batch.worker import run_job, warm_up
batch_file, out = sys.argv[1], sys.argv[2]
jobs = prepare_jobs(load_jobs(batch_file), output_dir=out)
warm_up()  # a warm process: imports and kernels loaded before the clock starts
start = time.perf_counter()
results = []
for job in jobs:
    results.append(run_job(job_message(job)))  # load_template -> build -> render(), x264 threads auto
wall = time.perf_counter() - start
bad = [r for r in results if r.status != "ok"]
if bad:
    sys.exit(f"jobs failed: {bad[0].error}")
print("RESULT " + json.dumps({"wall": wall, "frames": sum(r.frames for r in results), "startups": [r.startup for r in results]}))
"""

SINGLE = r"""
import json, resource, sys, time
from clipkit.batch import prepare_jobs, load_jobs
from clipkit.batch.local import job_message
from clipkit.batch.worker import run_job, warm_up
batch_file, out, index, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
job = job_message(prepare_jobs(load_jobs(batch_file), output_dir=out)[index])
warm_up()  # what a pool worker does before its first job
start = time.perf_counter()
r = run_job(job, threads=threads)
if r.status != "ok":
    sys.exit(f"job failed: {r.error}")
print("RESULT " + json.dumps({"wall": time.perf_counter() - start, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

RAY = r"""
import json, os, sys, time
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
import ray
from clipkit.batch import batch_iter
batch_file, out, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1")
start = time.perf_counter()
results = list(batch_iter(batch_file, backend="ray", threads=threads, output_dir=out))
wall = time.perf_counter() - start
ray.shutdown()
bad = [r for r in results if r.status != "ok"]
if bad:
    sys.exit(f"jobs failed: {bad[0].error}")
print("RESULT " + json.dumps({"wall": wall, "frames": sum(r.frames for r in results), "startups": [r.startup for r in results]}))
"""

WARM_CACHE = r"""
import json, sys
from clipkit.music import analyze
for song in sys.argv[1:]:
    analyze(song)
print("RESULT " + json.dumps({"wall": 0}))
"""

SHELL = r"""
import json, os, subprocess, sys, time
from clipkit.batch import prepare_jobs, load_jobs
batch_file, out = sys.argv[1], sys.argv[2]
jobs = prepare_jobs(load_jobs(batch_file), output_dir=out)
os.makedirs(out, exist_ok=True)
start = time.perf_counter()
for job in jobs:   # for job in ...; do clipkit render ...; done
    argv = ["clipkit", "render", job.template, "-o", job.output, "--quiet", "--music", job.music]
    argv += [a for slot, path in job.clips.items() for a in ("--clip", f"{slot}={path}")]
    argv += [a for k, v in job.overrides.items() for a in ("--set", f"{k}={v}")]
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
wall = time.perf_counter() - start
print("RESULT " + json.dumps({"wall": wall, "frames": 0}))
"""


def run_child(name: str, code: str, args: list[str], cache_dir: Path, *, code_root: str | None = None) -> dict:
    env = {**common.child_env(), "CLIPKIT_CACHE_DIR": str(cache_dir)}  # bytecode cached, as in an install
    if code_root:  # another checkout's clipkit first on the path (the --baseline runs)
        env["PYTHONPATH"] = code_root + os.pathsep + env.get("PYTHONPATH", "")
    bin_dir = os.path.dirname(sys.executable)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")  # the clipkit command of this environment
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    # run from the work folder: ``python -c`` puts its folder first on sys.path, which from the
    # repository root would shadow a --baseline checkout with this one
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=cache_dir.parent)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[7:])
            # CPU of the child and the processes it waited for (pool workers, clipkit render);
            # Ray's workers are not its children, so Ray's figure is the driver's only
            result["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            return result
    raise SystemExit(f"{name} printed no result:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")


def compare(label: str, clips: list[Path], songs: list[Path], *, jobs: int, workers: int, threads: int, repeat: int, ray: bool, shell: bool) -> None:
    work = Path(tempfile.mkdtemp(prefix="clipkit-bench-batch-"))
    try:
        batch_file = write_batch(work, clips, songs, jobs)
        cache = work / "cache"
        # analyse the songs once into the cache the children share, as a warm machine has them
        run_child("warm cache", WARM_CACHE, [str(p) for p in songs], cache)
        modes = ["pool", "serial"] + (["shell"] if shell else []) + (["ray"] if ray else [])
        runs: dict[str, list[dict]] = {m: [] for m in modes}
        for r in range(repeat):
            for mode in modes if r % 2 == 0 else list(reversed(modes)):  # interleaved: the shared machine's noise hits all
                out = work / f"out-{mode}-{r}"
                if mode == "pool":
                    runs[mode].append(run_child(mode, POOL, [str(batch_file), str(out), str(workers), str(threads)], cache))
                elif mode == "serial":
                    runs[mode].append(run_child(mode, SERIAL, [str(batch_file), str(out)], cache))
                elif mode == "shell":
                    runs[mode].append(run_child(mode, SHELL, [str(batch_file), str(out)], cache))
                else:
                    runs[mode].append(run_child(mode, RAY, [str(batch_file), str(out), str(threads)], cache))
                print(f"  [{label}] {mode:<6} run {r + 1}: {runs[mode][-1]['wall']:.1f} s, CPU {runs[mode][-1]['cpu']:.1f} s "
                      f"(load average {os.getloadavg()[0]:.1f} after it)", flush=True)
        wall = {m: statistics.median(x["wall"] for x in runs[m]) for m in modes}
        frames = runs["pool"][0]["frames"]
        cores = len(os.sched_getaffinity(0))
        rows = [["mode", "wall s (runs)", "median", "jobs/min", "CPU s/job", "cores busy", "idle share", "pool speed-up"]]
        for m in modes:
            cpu = statistics.median(x["cpu"] for x in runs[m]) / jobs
            # cores busy: the mode's CPU over its wall time; idle share: what it left of this
            # machine's cores (on a shared machine the other sessions took part of it)
            busy = statistics.median(x["cpu"] / x["wall"] for x in runs[m])
            rows.append([m, ", ".join(f"{x['wall']:.1f}" for x in runs[m]), f"{wall[m]:.1f}", f"{jobs / wall[m] * 60:.2f}",
                         f"{cpu:.1f}" if m != "ray" else "-", f"{busy:.2f}" if m != "ray" else "-",
                         f"{1 - busy / cores:.0%}" if m != "ray" else "-", f"{wall[m] / wall['pool']:.2f}x"])
        print(f"\n{label}: {jobs} jobs of {frames // jobs} frames, pool = {workers} workers x {threads} x264 thread(s), {repeat} interleaved runs")
        print(common.table(rows))
        # per-job start-up in warm workers: every job but the first of each worker
        startups = sorted(s for run in runs["pool"] for s in run["startups"] if s is not None)
        warm = startups[workers:] if len(startups) > workers else startups
        print(f"start-up (handed over -> first frame encoded), pool: median {statistics.median(warm) * 1000:.0f} ms, "
              f"max {max(warm) * 1000:.0f} ms; serial loop median {statistics.median(s for run in runs['serial'] for s in run['startups'][1:]) * 1000:.0f} ms")
        outputs = sorted((work / "out-pool-0").glob("*.mp4"))
        size = statistics.median(p.stat().st_size for p in outputs) / 1e6
        inputs = sum(p.stat().st_size for p in clips) / 1e6
        print(f"per job: output {size:.1f} MB (median), inputs {inputs:.1f} MB of clips read (the job's three clips) + the song")
        # a single render's peak: fresh processes (warmed up as a worker is), each rendering one
        # of the batch's first jobs (the three clip orders) with the pool's x264 threads; the
        # largest of them is the figure a worker's peak (over all its jobs) is held to
        singles = [run_child("single", SINGLE, [str(batch_file), str(work / "out-single"), str(i), str(threads)], cache)["peak_mb"]
                   for i in range(min(3, jobs))]
        worker_peak = max(run["worker_peak_mb"] for run in runs["pool"])
        single = max(singles)
        print(f"peak RSS: worker {worker_peak:.0f} MB (the largest pool worker's VmHWM) vs a single render's {single:.0f} MB "
              f"(the largest of fresh processes rendering jobs 0-{len(singles) - 1} alone: {', '.join(f'{x:.0f}' for x in singles)} MB) "
              f"= {worker_peak / single:.2f}x")
        if "ray" in wall:
            print(f"ray / pool wall: {wall['ray'] / wall['pool']:.2f}x")
        print(f"pool vs serial: {wall['serial'] / wall['pool']:.2f}x" + (f"; pool vs shell loop: {wall['shell'] / wall['pool']:.2f}x" if shell else ""))
        print()
    finally:
        shutil.rmtree(work, ignore_errors=True)


CURVE_SETTINGS = [(1, 0), (1, 2), (2, 0), (2, 1), (2, 2), (3, 1)]
"""(workers, x264 threads) the curve measures by default (0 threads: x264's own choice)."""


def curve(clips: list[Path], songs: list[Path], *, jobs: int, repeat: int, settings: list[tuple[int, int]] | None = None) -> None:
    work = Path(tempfile.mkdtemp(prefix="clipkit-bench-curve-"))
    try:
        batch_file = write_batch(work, clips, songs, jobs)
        cache = work / "cache"
        run_child("warm cache", WARM_CACHE, [str(p) for p in songs], cache)
        settings = settings or CURVE_SETTINGS
        walls: dict[tuple[int, int], list[float]] = {s: [] for s in settings}
        cpus: dict[tuple[int, int], list[float]] = {s: [] for s in settings}
        for r in range(repeat):
            for s in settings if r % 2 == 0 else list(reversed(settings)):  # interleaved: the shared machine's noise hits all
                res = run_child("curve", POOL, [str(batch_file), str(work / f"o{s[0]}{s[1]}{r}"), str(s[0]), str(s[1])], cache)
                walls[s].append(res["wall"])
                cpus[s].append(res["cpu"])
                print(f"  workers={s[0]} threads={s[1] or 'auto'}: {res['wall']:.1f} s, CPU {res['cpu']:.1f} s "
                      f"(load average {os.getloadavg()[0]:.1f} after it)", flush=True)
        base = statistics.median(walls[settings[0]])
        cores = len(os.sched_getaffinity(0))
        name = f"{settings[0][0]} x {settings[0][1] or 'auto'}"
        rows = [["workers x threads", "wall s (runs)", "median", "jobs/min", "CPU s/job", "idle share", f"vs {name}"]]
        for s in settings:
            w = statistics.median(walls[s])
            busy = statistics.median(c / x for c, x in zip(cpus[s], walls[s]))
            rows.append([f"{s[0]} x {s[1] or 'auto'}", ", ".join(f"{x:.1f}" for x in walls[s]), f"{w:.1f}", f"{jobs / w * 60:.2f}",
                         f"{statistics.median(cpus[s]) / jobs:.1f}", f"{1 - busy / cores:.0%}", f"{base / w:.2f}x"])
        print(f"\ncurve on {cores} cores, {jobs} jobs, {repeat} interleaved runs, load average {os.getloadavg()[0]:.1f} at the end")
        print(common.table(rows))
    finally:
        shutil.rmtree(work, ignore_errors=True)


SOAK = r"""
import json, sys, psutil
from clipkit.batch import LocalPool, batch_iter
batch_file, out = sys.argv[1], sys.argv[2]
samples = []
with LocalPool(1, threads=1) as pool:
    for i, r in enumerate(batch_iter(batch_file, backend=pool, output_dir=out)):
        if r.status != "ok":
            sys.exit(f"job failed: {r.error}")
        p = psutil.Process(r.worker)
        samples.append((i + 1, p.memory_info().rss / 2**20, p.num_fds(), len(p.threads())))
import clipkit, os
print("RESULT " + json.dumps({"samples": samples, "clipkit": os.path.dirname(os.path.dirname(clipkit.__file__))}))
"""


def soak(clips: list[Path], songs: list[Path], count: int, *, baseline: str | None = None) -> None:
    """RSS, open files and threads of one pool worker over ``count`` small jobs; with
    ``baseline`` (a checkout of another clipkit), the same for it right after."""
    for name, code_root in [("this", None)] + ([("baseline", baseline)] if baseline else []):
        print(f"\n[{name}{' = ' + baseline if code_root else ''}]", end="")
        _soak_one(clips, songs, count, code_root)


def _soak_one(clips: list[Path], songs: list[Path], count: int, code_root: str | None) -> None:
    work = Path(tempfile.mkdtemp(prefix="clipkit-bench-soak-"))
    try:
        batch_file = write_batch(work, clips, songs, count, seconds=1.5)
        res = run_child("soak", SOAK, [str(batch_file), str(work / "out")], work / "cache", code_root=code_root)
        if code_root and not res["clipkit"].startswith(code_root.rstrip("/")):
            raise SystemExit(f"the baseline run imported clipkit from {res['clipkit']}, not {code_root}")
        samples = res["samples"]
        rows = [["after job", "worker RSS MB", "open fds", "threads"]]
        for n, rss, fds, threads in samples:
            if n in (1, 2, 5, 10, 25, 50, 75, count) or n == len(samples):
                rows.append([str(n), f"{rss:.0f}", str(fds), str(threads)])
        print(f"\none worker, {count} jobs (540x960, 1.5 s each)")
        print(common.table(rows))
        tail = [s[1] for s in samples[len(samples) // 2:]]
        print(f"RSS from job {samples[len(samples) // 2][0]} to {samples[-1][0]}: {min(tail):.0f}..{max(tail):.0f} MB; "
              f"open fds {samples[1][2]} after job 2, {samples[-1][2]} after job {samples[-1][0]}")
        fitted = [s for s in samples if s[0] >= 20]
        if len(fitted) >= 3:  # least-squares slopes over jobs 20..N: the first jobs fill the caches
            import numpy as np

            jobs_done = [s[0] for s in fitted]
            rss_slope = np.polyfit(jobs_done, [s[1] for s in fitted], 1)[0]
            fd_slope = np.polyfit(jobs_done, [s[2] for s in fitted], 1)[0]
            print(f"fitted over jobs {fitted[0][0]}-{fitted[-1][0]}: RSS {rss_slope:+.3f} MB a job, open fds {fd_slope:+.4f} a job, "
                  f"threads {min(s[3] for s in fitted)}..{max(s[3] for s in fitted)}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


STARTUP = r"""
import json, os, sys, threading, time
from clipkit.batch import prepare_jobs, load_jobs
from clipkit.batch.local import job_message
from clipkit.batch.worker import run_job, warm_up
from clipkit.batch import worker
after_job = getattr(worker, "after_job", lambda: None)
import clipkit.template as template_pkg
from clipkit.template.loader import Template
from clipkit.render import executor
from clipkit.audio import finishing
batch_file, out, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
jobs = [job_message(j) for j in prepare_jobs(load_jobs(batch_file), output_dir=out)]
warm_up()
# timestamps of the steps run_job takes, read through thin wrappers around the real calls
marks = {}
cpu_marks = {}
def mark(name):
    # wall and this process's CPU (all its threads: the loudness pass, decoder and x264
    # threads count too), so a shared machine's waiting shows as wall without CPU
    if name not in marks:
        marks[name] = time.perf_counter()
        cpu_marks[name] = time.process_time()
real_load, real_build, real_stream = template_pkg.load_template, Template.build, executor.frame_stream
real_result = getattr(finishing, "LoudnessMeasurement", None) and finishing.LoudnessMeasurement.result  # absent before issue 10's second round
def load_template(*a, **k):
    try:
        return real_load(*a, **k)
    finally:
        mark("template loaded")
def build(self, *a, **k):
    try:
        return real_build(self, *a, **k)
    finally:
        mark("edit built (clips probed)")
def frame_stream(*a, **k):
    mark("render set up (plan, mixer, loudness started, encoder opened)")
    for i, frame in enumerate(real_stream(*a, **k)):
        if i == 0:
            mark("first frame out of the stream (decoded, fitted, graded, composited)")
        yield frame
def result(self):
    try:
        return real_result(self)
    finally:
        mark("loudness measured (the first audio block may go)")
template_pkg.load_template, Template.build, executor.frame_stream = load_template, build, frame_stream
if real_result:
    finishing.LoudnessMeasurement.result = result
real_install = executor.install_audio_processors
def install_audio_processors(*a, **k):
    try:
        return real_install(*a, **k)
    finally:
        mark("audio set up (loudness measured, or its measurement started)")
executor.install_audio_processors = install_audio_processors
# inside the frame stream: the first shot's container opened, its decoder's first output,
# its first frame fitted (the cover fit's face detection runs on it; a look hoisted into
# the fit too). Each step is marked once per job: the first shot's, the one that matters.
from clipkit.media import video as video_mod
from clipkit.render.fit import Fitter
real_open, real_decode, real_fit = video_mod.open_container, video_mod._decode, Fitter.__call__
def open_container(*a, **k):
    mark("video: first open started")
    try:
        return real_open(*a, **k)
    finally:
        mark("video: first container opened (FFmpeg probe)")
def decode(*a, **k):
    for i, item in enumerate(real_decode(*a, **k)):
        if i == 0:
            mark("video: first frame decoded (the decoder's first output)")
        yield item
def fit(self, *a, **k):
    try:
        return real_fit(self, *a, **k)
    finally:
        mark("first frame fitted (fit, face detection, a hoisted look)")
video_mod.open_container, video_mod._decode, Fitter.__call__ = open_container, decode, fit
rows, cpu_rows = [], []
for i, job in enumerate(jobs):
    marks.clear()
    cpu_marks.clear()
    handed = time.perf_counter()
    handed_cpu = time.process_time()
    stop = threading.Event()
    def first_report(done, total):
        mark("first frame encoded (first progress report)")
        stop.set()  # the start-up is measured: cancel the rest of the render (a real, tested path)
    r = run_job(job, threads=threads, progress=first_report, cancel=stop, handed_over=handed)
    after_job()
    if r.status != "cancelled":
        sys.exit(f"job did not start and cancel as expected: {r.status} {r.error}")
    if i >= 2:  # the first jobs of a worker also load fonts, sprites and song analyses
        rows.append({k: (v - handed) * 1000 for k, v in marks.items()})
        cpu_rows.append({k: (v - handed_cpu) * 1000 for k, v in cpu_marks.items()})
print("RESULT " + json.dumps({"rows": rows, "cpu_rows": cpu_rows, "clipkit": os.path.dirname(os.path.dirname(__import__("clipkit").__file__))}))
"""


def startup(label: str, clips: list[Path], songs: list[Path], *, jobs: int, threads: int, baseline: str | None, repeat: int) -> None:
    """Where a warm worker's time goes from a job handed over to its first frame; with
    ``baseline`` (a checkout of another clipkit), the same for it, runs interleaved."""
    work = Path(tempfile.mkdtemp(prefix="clipkit-bench-startup-"))
    try:
        batch_file = write_batch(work, clips, songs, jobs + 2)
        cache = work / "cache"
        run_child("warm cache", WARM_CACHE, [str(p) for p in songs], cache)
        codes = {"this": None, **({"baseline": baseline} if baseline else {})}
        rows: dict[str, list[dict[str, float]]] = {name: [] for name in codes}
        cpu_rows: dict[str, list[dict[str, float]]] = {name: [] for name in codes}
        for r in range(repeat):
            for name in codes if r % 2 == 0 else list(reversed(codes)):
                res = run_child("startup", STARTUP, [str(batch_file), str(work / f"out-{name}"), str(threads)], cache, code_root=codes[name])
                rows[name] += res["rows"]
                cpu_rows[name] += res.get("cpu_rows", [])
                if codes[name] and not res["clipkit"].startswith(codes[name].rstrip("/")):
                    raise SystemExit(f"the baseline run imported clipkit from {res['clipkit']}, not {codes[name]}")
        keys = list(dict.fromkeys(k for r in rows["this"] + rows.get("baseline", []) for k in r))
        head = ["ms after the job was handed over (median)", "this: wall", "max", "CPU"] + (["baseline: wall", "max", "CPU"] if baseline else [])
        table = [head]

        def cell(name: str, key: str) -> list[str]:
            values = [r[key] for r in rows[name] if key in r]
            cpu = [r[key] for r in cpu_rows[name] if key in r]
            if not values:
                return ["-", "-", "-"]
            return [f"{statistics.median(values):.0f}", f"{max(values):.0f}", f"{statistics.median(cpu):.0f}" if cpu else "-"]

        for key in sorted(keys, key=lambda k: statistics.median([r[k] for r in rows["this"] if k in r] or [1e9])):
            table.append([key, *cell("this", key), *(cell("baseline", key) if baseline else [])])
        print(f"\n{label}: per-job start-up in one warm worker ({threads} x264 thread(s)), {len(rows['this'])} jobs "
              f"after 2 to warm it, {repeat} interleaved run(s), load average {os.getloadavg()[0]:.1f} at the end"
              + (f"; baseline = {baseline}" if baseline else ""))
        print("CPU: this process's CPU time (every thread) from the hand-over; wall far above it is the shared machine")
        print(common.table(table))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=12)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--media", choices=("generated", "real", "both"), default="both")
    ap.add_argument("--workers", type=int, help="pool workers (default: clipkit.batch.default_workers)")
    ap.add_argument("--threads", type=int, help="x264 threads per worker (default: clipkit.batch.default_workers)")
    ap.add_argument("--no-ray", action="store_true")
    ap.add_argument("--no-shell", action="store_true")
    ap.add_argument("--curve", action="store_true", help="throughput over workers x threads instead")
    ap.add_argument("--settings", help="with --curve: the settings to measure, e.g. 1x0,2x1,2x2 (workers x threads, 0 = x264's choice)")
    ap.add_argument("--soak", type=int, metavar="N", help="RSS and open files of one worker over N small jobs instead")
    ap.add_argument("--startup", action="store_true", help="where a warm worker's per-job start-up goes, step by step, instead")
    ap.add_argument("--baseline", metavar="CHECKOUT", help="with --startup or --soak: also measure another clipkit checkout (e.g. a worktree of main)")
    args = ap.parse_args()
    from clipkit.batch import default_workers

    auto_w, auto_t = default_workers()
    workers, threads = args.workers or auto_w, args.threads if args.threads is not None else auto_t
    sets = []
    if args.media in ("generated", "both"):
        sets.append(("generated", *generated_media()))
    if args.media in ("real", "both"):
        sets.append(("real", *real_media()))
    print(f"{os.cpu_count()} cores (shared machine: compare ratios within one run)")
    for label, clips, songs in sets:
        if args.soak:
            soak(clips, songs, args.soak, baseline=args.baseline)
        elif args.startup:
            startup(label, clips, songs, jobs=args.jobs, threads=threads, baseline=args.baseline, repeat=args.repeat)
        elif args.curve:
            chosen = [tuple(int(v) for v in item.split("x")) for item in args.settings.split(",")] if args.settings else None
            curve(clips, songs, jobs=args.jobs, repeat=args.repeat, settings=chosen)
        else:
            compare(label, clips, songs, jobs=args.jobs, workers=workers, threads=threads, repeat=args.repeat,
                    ray=not args.no_ray, shell=not args.no_shell)


if __name__ == "__main__":
    main()
