"""Music analysis benchmark: beat accuracy and speed of both engines next to librosa.

    python bench/bench_music.py [--quick] [--skip-speed] [--skip-real]

Prints, side by side in one run:

- **generated set** (exact beats, :mod:`clipkit.music.synth`): beat F-measure (70 ms) and
  AMLt continuity (mir_eval, first 5 s trimmed) of clipkit's two engines and of librosa's
  default ``beat_track``, by pattern, over 70-180 BPM; the share of tracks whose tempo is
  in the right octave (within 4 % of the truth), and the half/double readings;
- **real recordings** in ``../shared/media/music`` (no annotations): each tracker's tempo,
  the share of clipkit's beats within 70 ms of librosa's beats, and the share of each
  tracker's beats within 70 ms of a strong low-band (< 200 Hz) onset;
- **speed**: a 3-minute song analysed in a fresh process (imports included, numba cache
  warm, then cold), warm in-process, and from the cache, for both engines, next to
  librosa's ``beat_track`` in a fresh process.

Targets (issue 13): F >= 0.95 on every steady pattern at 70-180 BPM, >= 0.9 mean on swing
and half-time; 3-minute song <= 3 s in a fresh process with a warm numba cache; cache hit
<= 50 ms.
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
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MEDIA = ROOT.parent / "shared" / "media" / "music"
sys.path.insert(0, str(ROOT))

from clipkit.music.synth import BEATS_PER_BAR, drum_track, write_audio  # noqa: E402

STEADY = ("rock", "four_on_floor", "syncopated", "ballad", "dnb", "boom_chick", "skank", "polka", "disco", "house")
"""Patterns with one unambiguous steady beat (the F >= 0.95 target)."""
LOOSE = ("swing", "halftime", "trap")
"""Swing and half-time feels (the >= 0.9 mean target)."""
BPMS = (70, 85, 100, 120, 140, 160, 180)
SLOW = ("two_chord",)
"""Songs whose chords change twice a bar (harmony alone says twice as fast, or, on the
grid at half the tempo, once a bar): must be neither doubled nor halved. Measured at
all the run's tempi."""
DROP_PATTERNS = ("rock", "dnb", "four_on_floor", "house")
DROP_BPMS = (90, 120, 150)
"""16 s tracks with a drop (everything louder, a lead on 1 and 3) halfway through."""
TIMING = (("rubato", {"rubato": 0.08}), ("tempo +20 %", {"tempo_change": (15.0, 1.2)}), ("tempo -20 %", {"tempo_change": (15.0, 0.8)}))
"""Tempo that moves: a slow +-8 % sway, a jump of +20 % or -20 % at 15 s (the second
value is the factor on the track's tempo)."""
TIMING_PATTERNS = ("rock", "four_on_floor", "boom_chick", "disco", "skank")
TRACKERS = ("clipkit", "ck-librosa", "librosa")
ACTIVE = list(TRACKERS)
"""The trackers this run measures (``--trackers``)."""
README_TEMPI = {"sorohanro_-_solo-trumpet-06.ogg": 90.0}
"""Tempi the media README states (the trumpet loop's author gives 90 BPM)."""

COLD = """
import sys, time, json
t0 = time.perf_counter()
from clipkit.music import analyze
t1 = time.perf_counter()
a = analyze(sys.argv[1], cache=sys.argv[2] == "1", engine=sys.argv[3])
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "analyze": t2 - t1, "beats": int(a.beats.size)}))
"""

LIBROSA_COLD = """
import sys, time, json
t0 = time.perf_counter()
import librosa
from clipkit.media.audio import load_audio
y, sr = load_audio(sys.argv[1], sr=22050, mono=True)
y = y[0]
t1 = time.perf_counter()
librosa.beat.beat_track(y=y, sr=sr)
t2 = time.perf_counter()
print(json.dumps({"load": t1 - t0, "beat_track": t2 - t1}))
"""


def _scores(reference: np.ndarray, estimated: np.ndarray) -> tuple[float, float]:
    """(F-measure, AMLt) with mir_eval's conventions (beats before 5 s ignored)."""
    import mir_eval

    ref = mir_eval.beat.trim_beats(np.asarray(reference, dtype=np.float64))
    est = mir_eval.beat.trim_beats(np.asarray(estimated, dtype=np.float64))
    f = mir_eval.beat.f_measure(ref, est)
    aml_t = mir_eval.beat.continuity(ref, est)[3] if est.size > 1 else 0.0
    return float(f), float(aml_t)


def _track_all(y: np.ndarray, sr: int, beats_per_bar: int) -> dict[str, tuple[float, np.ndarray]]:
    import librosa

    from clipkit.music import analyze_signal

    out = {}
    for name, engine in (("clipkit", "clipkit"), ("ck-librosa", "librosa")):
        if name in ACTIVE:
            a = analyze_signal(y, sr, engine=engine, beats_per_bar=beats_per_bar)
            out[name] = (a.tempo, a.beats)
    if "librosa" in ACTIVE:
        tempo, beats = librosa.beat.beat_track(y=y, sr=sr, units="time")
        out["librosa"] = (float(np.atleast_1d(tempo)[0]), beats)
    return out


def generated(quick: bool, seeds: tuple[int, ...] = (1, 2), bpms: tuple[int, ...] = BPMS) -> None:
    seeds = seeds[:1] if quick else seeds
    rows: list[dict] = []
    for pattern in STEADY + LOOSE:
        for bpm in bpms:
            for seed in seeds:
                track = drum_track(float(bpm), 30.0, pattern=pattern, seed=seed, start=0.4)
                rows.append({"group": pattern, "bpm": bpm, "seed": seed, "truth": track, "res": _track_all(track.y, track.sr, BEATS_PER_BAR.get(pattern, 4))})
    for pattern in SLOW:
        for bpm in bpms:
            for seed in seeds:
                track = drum_track(float(bpm), 30.0, pattern=pattern, seed=seed, start=0.4)
                rows.append({"group": pattern, "bpm": bpm, "seed": seed, "truth": track, "res": _track_all(track.y, track.sr, 4)})
    for pattern in DROP_PATTERNS:
        for bpm in DROP_BPMS:
            for seed in seeds:
                track = drum_track(float(bpm), 16.0, pattern=pattern, seed=seed, start=0.4, drop=8.0)
                rows.append({"group": "16 s, drop", "bpm": bpm, "seed": seed, "truth": track, "res": _track_all(track.y, track.sr, 4)})
    for label, options in TIMING:
        for pattern in TIMING_PATTERNS:
            for bpm in (90, 120):
                for seed in seeds:
                    opts = dict(options)
                    if "tempo_change" in opts:
                        at, factor = opts["tempo_change"]
                        opts["tempo_change"] = (at, bpm * factor)
                    track = drum_track(float(bpm), 30.0, pattern=pattern, seed=seed, start=0.4, **opts)
                    rows.append({"group": label, "bpm": bpm, "seed": seed, "truth": track, "res": _track_all(track.y, track.sr, 4)})

    print(f"\ngenerated set: 30 s tracks, seed(s) {', '.join(map(str, seeds))}, F-measure (70 ms) / AMLt, first 5 s trimmed")
    print(f"  {'group':14s} " + " ".join(f"{name + ' F':>14s} {'AMLt':>6s}" for name in ACTIVE) + "   clipkit F per BPM (" + " ".join(str(b) for b in bpms) + ")")
    groups = list(dict.fromkeys(r["group"] for r in rows))
    means: dict[str, dict[str, list[float]]] = {}
    for group in groups:
        subset = [r for r in rows if r["group"] == group]
        cells = []
        for name in ACTIVE:
            scores = [_scores(r["truth"].beats, r["res"][name][1]) for r in subset]
            f = float(np.mean([s[0] for s in scores]))
            a = float(np.mean([s[1] for s in scores]))
            means.setdefault(name, {}).setdefault(group, []).extend(s[0] for s in scores)
            cells.append(f"{f:14.3f} {a:6.3f}")
        per_bpm = []
        for bpm in sorted({r["bpm"] for r in subset}):
            fs = [_scores(r["truth"].beats, r["res"]["clipkit"][1])[0] for r in subset if r["bpm"] == bpm]
            per_bpm.append(f"{np.mean(fs):.2f}")
        print(f"  {group:14s} " + " ".join(cells) + "   " + " ".join(per_bpm))
    print("  summary:")
    for name in ACTIVE:
        steady = [f for g in STEADY for f in means[name][g]]
        loose = [f for g in LOOSE for f in means[name][g]]
        swing_half = [f for g in ("swing", "halftime") for f in means[name][g]]
        worst = min(STEADY, key=lambda g: np.mean(means[name][g]))
        moving = [f for label, _ in TIMING for f in means[name].get(label, [])]
        slow = [f for pattern in SLOW for f in means[name].get(pattern, [])]
        drops = means[name].get("16 s, drop", [])
        print(
            f"    {name:11s} steady mean F {np.mean(steady):.3f} ({np.mean(np.array(steady) >= 0.95):.0%} of tracks >= 0.95, lowest track {np.min(steady):.3f}; worst pattern {worst} "
            f"{np.mean(means[name][worst]):.3f}), swing + half-time mean F {np.mean(swing_half):.3f}, with trap {np.mean(loose):.3f}, moving tempo {np.mean(moving):.3f}"
            + (f", two chords a bar {np.mean(slow):.3f} ({np.mean(np.array(slow) >= 0.95):.0%} >= 0.95)" if slow else "")
            + (f", 16 s with a drop {np.mean(drops):.3f} ({np.mean(np.array(drops) >= 0.95):.0%} >= 0.95)" if drops else "")
        )
    print("  tempo octave (share of tracks read within 4 % of the true tempo / at half / at double):")
    for name in ACTIVE:
        ratios = np.array([r["res"][name][0] / r["truth"].bpm for r in rows if r["group"] in STEADY + LOOSE])
        right = np.mean(np.abs(ratios - 1) < 0.04)
        half = np.mean(np.abs(ratios - 0.5) < 0.02)
        double = np.mean(np.abs(ratios - 2) < 0.08)
        print(f"    {name:11s} {right:.0%} right, {half:.0%} half, {double:.0%} double, {max(0.0, 1 - right - half - double):.0%} other")
    misses = []
    for r in rows:
        if "clipkit" in r["res"]:
            f = _scores(r["truth"].beats, r["res"]["clipkit"][1])[0]
            if f < 0.95:
                misses.append(f"{r['group']} {r['bpm']} seed {r['seed']} (F {f:.2f}, read at {r['res']['clipkit'][0]:.0f})")
    every = [_scores(r["truth"].beats, r["res"]["clipkit"][1])[0] for r in rows if "clipkit" in r["res"]]
    if every:
        print(f"  clipkit over all {len(every)} tracks: mean F {np.mean(every):.3f}, {np.mean(np.array(every) >= 0.95):.1%} >= 0.95; below 0.95: " + ("; ".join(misses) or "none"))


def _low_onsets(y: np.ndarray, sr: int) -> np.ndarray:
    """Strong low-band onsets: peaks of the flux below 200 Hz above the median peak."""
    from clipkit.music.analysis import _pick_onsets
    from clipkit.music.dsp import spectral_features

    feats = spectral_features(y, sr)
    rate = sr / 512
    frames = _pick_onsets(feats.onset_low, rate)
    if frames.size == 0:
        return np.zeros(0)
    values = feats.onset_low[frames]
    return frames[values >= np.median(values)] / rate + 0.019


def _share_near(events: np.ndarray, targets: np.ndarray, window: float = 0.07) -> float:
    if events.size == 0 or targets.size == 0:
        return 0.0
    idx = np.clip(np.searchsorted(targets, events), 1, targets.size - 1)
    nearest = np.minimum(np.abs(targets[idx - 1] - events), np.abs(targets[idx] - events))
    return float(np.mean(nearest <= window))


def real() -> None:
    from clipkit.media.audio import load_audio

    chosen = list(ACTIVE)
    ACTIVE[:] = TRACKERS  # the agreement columns need all three
    try:
        _real_table(load_audio)
    finally:
        ACTIVE[:] = chosen


def _real_table(load_audio: Any) -> None:
    files = sorted(MEDIA.glob("*.ogg")) if MEDIA.is_dir() else []
    if not files:
        print(f"\nreal recordings: {MEDIA} not found, skipped")
        return
    print("\nreal recordings (no annotations): tempo; 'low' = share of the tracker's beats within 70 ms of a strong low-band onset;")
    print("  ck~lib = share of clipkit's beats within 70 ms of librosa's, lib~ck the reverse (1.0 when librosa taps every other one of our beats)")
    print(f"  {'file':34s} {'s':>5s} " + " ".join(f"{name + ' BPM':>15s} {'low':>5s}" for name in TRACKERS) + f" {'ck~lib':>7s} {'lib~ck':>7s} {'ckl~lib':>7s} {'README':>7s}")
    for path in files:
        y, sr = load_audio(path, sr=22050, mono=True)
        y = np.ascontiguousarray(y[0])
        res = _track_all(y, sr, 4)
        low = _low_onsets(y, sr)
        cells = [f"{res[n][0]:15.1f} {_share_near(res[n][1], low):5.2f}" for n in TRACKERS]
        lib = res["librosa"][1]
        stated = README_TEMPI.get(path.name)
        print(
            f"  {path.name[:34]:34s} {y.size / sr:5.0f} " + " ".join(cells) + f" {_share_near(res['clipkit'][1], lib):7.2f} {_share_near(lib, res['clipkit'][1]):7.2f} {_share_near(res['ck-librosa'][1], lib):7.2f}"
            + (f" {stated:7.0f}" if stated else f" {'-':>7s}")
        )


def _run_child(code: str, *args: str, env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True, env=env, cwd=str(ROOT))
    return json.loads(out.stdout.strip().splitlines()[-1])


def speed(song: Path, cache_root: str) -> None:
    from clipkit.music import analyze

    env = {**os.environ, "CLIPKIT_CACHE_DIR": cache_root, "PYTHONPATH": str(ROOT)}
    print(f"\n3-minute song ({song.name}); fresh processes include imports and decoding")
    rows = {}
    for engine in ("clipkit", "librosa"):
        with tempfile.TemporaryDirectory() as numba_cold:
            cold = _run_child(COLD, str(song), "0", engine, env={**env, "NUMBA_CACHE_DIR": numba_cold})
        warm_fresh = [_run_child(COLD, str(song), "0", engine, env=env) for _ in range(3)]
        fresh = sorted(warm_fresh, key=lambda r: r["import"] + r["analyze"])[1]
        analyze(song, cache=False, engine=engine)  # this process: imports, first allocations
        t = time.perf_counter()
        analyze(song, cache=False, engine=engine)
        warm = time.perf_counter() - t
        analyze(song, engine=engine)  # fill the cache
        t = time.perf_counter()
        analyze(song, engine=engine)
        hit = time.perf_counter() - t
        hit_fresh = _run_child(COLD, str(song), "1", engine, env=env)
        rows[engine] = (cold, fresh, warm, hit, hit_fresh)
        print(
            f"  engine={engine:8s} fresh process {fresh['import'] + fresh['analyze']:.2f} s (median of 3; import {fresh['import']:.2f} + analyse {fresh['analyze']:.2f}), "
            f"cold numba cache {cold['import'] + cold['analyze']:.2f} s, warm process {warm:.2f} s, "
            f"cache hit {hit * 1000:.1f} ms in-process / {hit_fresh['analyze'] * 1000:.1f} ms in a fresh process"
        )
    lib = _run_child(LIBROSA_COLD, str(song), env=env)
    print(f"  librosa beat_track  fresh process {lib['load'] + lib['beat_track']:.2f} s (import + load {lib['load']:.2f} + beat_track {lib['beat_track']:.2f})")
    ck = rows["clipkit"][1]
    print(f"  ratio fresh clipkit / fresh librosa beat_track: {(ck['import'] + ck['analyze']) / (lib['load'] + lib['beat_track']):.2f}   targets: <= 3 s fresh, <= 50 ms cache hit")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one seed per generated track")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-real", action="store_true")
    parser.add_argument("--skip-generated", action="store_true")
    parser.add_argument("--seeds", default="1,2", help="seeds of the generated set (comma-separated; 3,4 is a held-out set)")
    parser.add_argument("--bpms", default=",".join(map(str, BPMS)), help="tempi of the generated set (e.g. 72,78,92,110,130,150,175 held out)")
    parser.add_argument("--trackers", default=",".join(TRACKERS), help="trackers measured on the generated set (e.g. clipkit for a quick held-out check)")
    args = parser.parse_args()
    ACTIVE[:] = [name for name in args.trackers.split(",") if name in TRACKERS] or list(TRACKERS)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (shared; timings are noisy)")
    if not args.skip_speed:
        media = HERE / ".media"
        media.mkdir(parents=True, exist_ok=True)
        song = media / "song-3min.m4a"
        if not song.exists():
            track = drum_track(124.0, 180.0, pattern="four_on_floor", seed=11, drop=60.0)
            write_audio(str(song), np.stack([track.y, track.y]), track.sr)
        with tempfile.TemporaryDirectory() as cache_root:
            os.environ["CLIPKIT_CACHE_DIR"] = cache_root
            speed(song, cache_root)
    if not args.skip_real:
        real()
    if not args.skip_generated:
        generated(args.quick, tuple(int(v) for v in args.seeds.split(",")), tuple(int(v) for v in args.bpms.split(",")))


if __name__ == "__main__":
    main()
