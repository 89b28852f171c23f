"""The same renders on two installs of clipkit, side by side in one run.

Compares this checkout with another install (a virtual environment holding an earlier
revision, e.g. the previous main) on the renders the other benches time: a plain 3-shot
edit, a 3-effect grade added with ``Clip.with_effect``, a look (``vintage``), a colour-cube
look (``teal_orange``), stickers + text, a 2x2 grid with a transition. Each render runs in a
fresh process; the two installs alternate, ``--repeat`` times, and the table shows medians
of wall and process CPU, the ratio new / old, and the peak RSS of each. CPU seconds are
the steadier figure on a shared machine.

    python3 -m venv --system-site-packages /tmp/old && /tmp/old/bin/pip install -e OLD_CHECKOUT --no-deps
    python3 bench/bench_revisions.py --other /tmp/old/bin/python --repeat 3 [--media real]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import common  # noqa: E402

REAL = HERE.parents[1] / "shared" / "media"
REAL_CLIPS = [("video/faces_video.mp4", 0.5, 2.5), ("video/big_buck_bunny_0_30.webm", 10.0, 12.0), ("video/chaplin.mp4", 2.0, 4.0)]
REAL_SONG = "music/Kevin_MacLeod_-_Vibe_Ace.ogg"
W, H, FPS = 1080, 1920, 30

# one render per scenario, written against the API both revisions share
CHILD = r"""
import json, resource, sys, time
import clipkit as ck
spec = json.loads(sys.argv[1])
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
shots = [ck.open(p).trim(a, b) for p, a, b in spec["clips"]]
scenario = spec["scenario"]
if scenario == "grade":
    shots = [s.with_effect("contrast", amount=1.2).with_effect("saturation", amount=1.1).with_effect("gamma", gamma=1.1) for s in shots]
canvas = ck.Canvas(spec["w"], spec["h"], fps=spec["fps"])
if scenario == "grid":
    grid = ck.grid(shots + [shots[0]]).with_duration(2.0)
    edit = ck.sequence([grid, shots[1]], canvas=canvas, transitions=[ck.transition("whip", duration=0.3, direction="left")])
else:
    edit = ck.sequence(shots, canvas=canvas)
edit = edit.with_original_volume(0).with_music(ck.audio(spec["song"]), start=5.0)
if scenario == "look":
    edit = edit.with_look("vintage")
if scenario == "cube_look":  # a LUT, luma tables and sharpen: no numba kernel on the frame path
    edit = edit.with_look("teal_orange")
if scenario == "overlays":
    edit = edit.with_overlay(ck.Sticker.from_pack("hearts/heart_red", position=(0.8, 0.2)))
    edit = edit.with_overlay(ck.Sticker.from_pack("hearts/heart_red", position=(0.2, 0.7), enter="pop"))
    edit = edit.with_overlay(ck.Text("Summer nights", style="bold_outline", position=(0.5, 0.3)))
    edit = edit.with_overlay(ck.Text("see you there", position=(0.5, 0.8)))
t, c = time.perf_counter(), cpu()
result = edit.render(spec["out"], profile="tiktok")
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"wall": time.perf_counter() - t, "cpu": cpu() - c, "frames": result.frames, "rss": rss}))
"""

SCENARIOS = ("plain", "grade", "look", "cube_look", "overlays", "grid")


def _media(kind: str) -> tuple[list[tuple[str, float, float]], str]:
    if kind == "real":
        return [(str(REAL / p), a, b) for p, a, b in REAL_CLIPS], str(REAL / REAL_SONG)
    clips = [common.make_clip(common.MEDIA / f"clip{i}_{W}x{H}.mp4", width=W, height=H, seconds=8, seed=i) for i in range(3)]
    return [(str(c), 1.0, 3.0) for c in clips], str(common.make_song(common.MEDIA / "song60.m4a", seconds=60))


def _run(python: str, spec: dict) -> dict:
    out = subprocess.run([python, "-c", CHILD, json.dumps(spec)], capture_output=True, text=True, cwd=tempfile.gettempdir())
    if out.returncode != 0:
        raise SystemExit(f"{python}: {spec['scenario']} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--other", required=True, help="python of the install to compare with (e.g. a venv with the previous main)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--media", choices=("generated", "real"), default="generated")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    args = ap.parse_args()
    clips, song = _media(args.media)
    installs = {"this": sys.executable, "other": args.other}
    results: dict[tuple[str, str], list[dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.repeat):
            for scenario in args.scenarios.split(","):
                order = ("this", "other") if k % 2 == 0 else ("other", "this")
                for name in order:
                    spec = {"scenario": scenario, "clips": clips, "song": song, "w": W, "h": H, "fps": FPS, "out": f"{tmp}/{name}_{scenario}.mp4"}
                    results.setdefault((scenario, name), []).append(_run(installs[name], spec))
    print(f"media: {args.media}; {W}x{H} @ {FPS}, x264 tiktok profile; median of {args.repeat} fresh processes per cell, installs alternating")
    rows = [["render", "frames", "this wall s", "other wall s", "wall this/other", "this CPU s", "other CPU s", "CPU this/other", "peak RSS MB this/other"]]
    for scenario in args.scenarios.split(","):
        a, b = results[(scenario, "this")], results[(scenario, "other")]
        wa, wb = statistics.median(r["wall"] for r in a), statistics.median(r["wall"] for r in b)
        ca, cb = statistics.median(r["cpu"] for r in a), statistics.median(r["cpu"] for r in b)
        ra, rb = statistics.median(r["rss"] for r in a), statistics.median(r["rss"] for r in b)
        rows.append([scenario, str(a[0]["frames"]), f"{wa:.2f}", f"{wb:.2f}", f"{wa / wb:.3f}", f"{ca:.2f}", f"{cb:.2f}", f"{ca / cb:.3f}", f"{ra:.0f} / {rb:.0f}"])
    print(common.table(rows))


if __name__ == "__main__":
    main()
