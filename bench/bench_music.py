"""Music analysis benchmark: speed (cold, warm, cached) and beat accuracy vs librosa.

    python bench/bench_music.py [--quick]

Prints, side by side in one run:

- a 3-minute generated song: analysis time in a fresh process (imports included),
  in a warm process, and from the cache (fresh process and in-process), next to
  librosa's ``beat_track`` on the same audio;
- beat F-measure (70 ms window, the mir_eval convention) of clipkit and of librosa's
  default tracker on generated tracks with known beats, including tempo-ambiguous
  ones (half-time feels, loud off-beat hats, fast rock), and the demo song.

Targets: 3-minute analysis <= 3 s, cache hit <= 50 ms, F >= 0.95.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from clipkit.music.evaluate import beat_f_measure  # noqa: E402
from clipkit.music.synth import click_track, drum_track, write_audio  # noqa: E402

TRACKS = [
    ("clicks", 120.0, False),
    ("rock", 95.0, False),
    ("four_on_floor", 128.0, False),
    ("syncopated", 105.0, False),
    ("ballad", 72.0, False),
    ("rock", 150.0, False),
    ("four_on_floor", 100.0, False),
    ("dnb", 160.0, False),
    ("syncopated", 90.0, False),
    ("halftime", 140.0, True),
    ("halftime", 160.0, True),
    ("four_on_floor", 85.0, True),
    ("rock", 175.0, True),
    ("dnb", 172.0, True),
    ("rock", 72.0, True),
]
"""(pattern, bpm, tempo-ambiguous)."""

COLD = """
import sys, time, json
t0 = time.perf_counter()
from clipkit.music import analyze
t1 = time.perf_counter()
a = analyze(sys.argv[1], cache=sys.argv[2] == "1")
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "analyze": t2 - t1, "beats": int(a.beats.size)}))
"""


def _run_child(code: str, *args: str, env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True, env=env, cwd=str(ROOT))
    return json.loads(out.stdout.strip().splitlines()[-1])


def speed(song: Path, cache_root: str) -> None:
    import librosa

    from clipkit.media.audio import load_audio
    from clipkit.music import analyze

    env = {**os.environ, "CLIPKIT_CACHE_DIR": cache_root, "PYTHONPATH": str(ROOT)}
    cold = _run_child(COLD, str(song), "0", env=env)
    t = time.perf_counter()
    analyze(song, cache=False)  # warm-up of this process (imports, first allocations)
    first = time.perf_counter() - t
    t = time.perf_counter()
    warm_a = analyze(song, cache=False)
    warm = time.perf_counter() - t
    analyze(song)  # fill the cache
    t = time.perf_counter()
    analyze(song)
    hit_in_process = time.perf_counter() - t
    hit_cold = _run_child(COLD, str(song), "1", env=env)

    y, sr = load_audio(song, sr=22050, mono=True)
    t = time.perf_counter()
    librosa.beat.beat_track(y=y[0], sr=sr)
    lib_first = time.perf_counter() - t
    t = time.perf_counter()
    librosa.beat.beat_track(y=y[0], sr=sr)
    lib_warm = time.perf_counter() - t

    print(f"3-minute song ({song.name}, {warm_a.duration:.0f} s, {warm_a.tempo:.1f} BPM, {warm_a.beats.size} beats)")
    print(f"  clipkit fresh process : import {cold['import']:.2f} s + analyse {cold['analyze']:.2f} s (decode included)")
    print(f"  clipkit warm process  : {warm:.2f} s   (first call in this process {first:.2f} s)      target <= 3 s")
    print(f"  clipkit cache hit     : {hit_in_process * 1000:.1f} ms in-process, {hit_cold['analyze'] * 1000:.1f} ms in a fresh process   target <= 50 ms")
    print(f"  librosa beat_track    : {lib_warm:.2f} s warm (first call {lib_first:.2f} s), decode excluded")
    print(f"  ratio warm clipkit / librosa: {warm / lib_warm:.2f}")


def accuracy(quick: bool) -> None:
    import librosa

    from clipkit.music import analyze, analyze_signal
    from clipkit.resources import samples_dir

    seeds = (1,) if quick else (1, 2, 3)
    rows = []
    for pattern, bpm, ambiguous in TRACKS:
        for seed in seeds:
            track = click_track(bpm, 30.0) if pattern == "clicks" else drum_track(bpm, 30.0, pattern=pattern, seed=seed, start=0.4)
            ours = analyze_signal(track.y, track.sr)
            tempo, lib_beats = librosa.beat.beat_track(y=track.y, sr=track.sr, units="time")
            rows.append(
                (
                    f"{pattern} {bpm:.0f}" + (" *" if ambiguous else ""),
                    seed,
                    ours.tempo,
                    beat_f_measure(track.beats, ours.beats),
                    beat_f_measure(track.downbeats, ours.downbeats),
                    float(np.atleast_1d(tempo)[0]),
                    beat_f_measure(track.beats, lib_beats),
                    ambiguous,
                )
            )
    print("\nbeat F-measure (70 ms) on generated tracks; * = tempo-ambiguous")
    print(f"  {'track':22s} {'seed':>4s} {'clipkit BPM':>11s} {'F':>6s} {'F bars':>7s} {'librosa BPM':>11s} {'F':>6s}")
    for name, seed, t_ours, f_ours, f_bar, t_lib, f_lib, _ in rows:
        print(f"  {name:22s} {seed:4d} {t_ours:11.1f} {f_ours:6.3f} {f_bar:7.3f} {t_lib:11.1f} {f_lib:6.3f}")
    plain = [r for r in rows if not r[7]]
    amb = [r for r in rows if r[7]]
    for label, subset in (("unambiguous", plain), ("tempo-ambiguous", amb), ("all", rows)):
        ours = np.mean([r[3] for r in subset])
        lib = np.mean([r[6] for r in subset])
        share = np.mean([r[3] >= 0.95 for r in subset])
        print(f"  mean F {label:16s}: clipkit {ours:.3f} ({share:.0%} of tracks >= 0.95), librosa {lib:.3f}")

    song = samples_dir() / "song.m4a"
    if song.is_file():
        truth = np.arange(0.0, 24.0, 0.5)  # samples/make_samples.py: 120 BPM from 0 s
        a = analyze(song, cache=False)
        from clipkit.media.audio import load_audio

        y, sr = load_audio(song, sr=22050, mono=True)
        tempo, lib_beats = librosa.beat.beat_track(y=y[0], sr=sr, units="time")
        print(
            f"  demo song: clipkit {a.tempo:.1f} BPM F {beat_f_measure(truth, a.beats):.3f} bars F "
            f"{beat_f_measure(truth[::4], a.downbeats):.3f}; librosa {float(np.atleast_1d(tempo)[0]):.1f} BPM F {beat_f_measure(truth, lib_beats):.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one seed per track")
    args = parser.parse_args()
    media = HERE / ".media"
    media.mkdir(parents=True, exist_ok=True)
    song = media / "song-3min.m4a"
    if not song.exists():
        track = drum_track(124.0, 180.0, pattern="four_on_floor", seed=11, drop=60.0)
        write_audio(str(song), np.stack([track.y, track.y]), track.sr)
    with tempfile.TemporaryDirectory() as cache_root:
        os.environ["CLIPKIT_CACHE_DIR"] = cache_root
        speed(song, cache_root)
    accuracy(args.quick)


if __name__ == "__main__":
    main()
