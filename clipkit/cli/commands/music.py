"""``clipkit beats FILE`` (analysis, plot) and ``clipkit montage CLIP... --music FILE``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from ...errors import ParameterError
from ..progress import ProgressBar

ENGINE_CHOICES = ("clipkit", "librosa")  # clipkit.music.engines.ENGINES, without importing the analysis here


def register(sub: Any) -> None:
    b = sub.add_parser(
        "beats",
        help="analyse a song: tempo, beats, bars, onsets, loud sections, planned cuts",
        description="Analyse a song and show where a montage would cut.",
    )
    b.add_argument("file", help="song (any audio or video file)")
    b.add_argument("--json", action="store_true", help="machine-readable output")
    b.add_argument("--plot", metavar="PNG", help="draw waveform, onset envelope, beats, bars and cuts to an image")
    b.add_argument("--curves", action="store_true", help="with --json: include the onset envelope and energy curve")
    _plan_options(b)
    b.add_argument("--beats-per-bar", type=int, default=4, metavar="N", help="meter for the bar lines (default 4)")
    b.add_argument("--tempo-range", type=float, nargs=2, default=(70.0, 180.0), metavar=("MIN", "MAX"), help="preferred BPM range (default 70 180)")
    b.add_argument("--engine", choices=ENGINE_CHOICES, default=None, help="onset front end (default: clipkit; see docs/music.md)")
    b.add_argument("--no-cache", action="store_true", help="analyse again even if cached")
    b.set_defaults(func=run_beats)

    m = sub.add_parser("montage", help="cut clips to a song, every cut on the beat", description="Cut clips to a song, every cut on the beat.")
    m.add_argument("clips", nargs="+", metavar="CLIP", help="video clips or images, used in order (cycled)")
    m.add_argument("--music", required=True, metavar="FILE", help="the song")
    m.add_argument("-o", "--output", required=True, metavar="OUT.mp4", help="output file")
    m.add_argument("--voice", metavar="FILE", help="voice-over (or a sound to lip-sync to): sets the length, replaces the clips' sound, ducks the music")
    _plan_options(m)
    m.add_argument("--profile", default="tiktok", help="upload profile (default tiktok)")
    m.add_argument("--fit", default="cover", choices=("cover", "contain", "blur", "stretch"), help="how clips fill the frame")
    m.add_argument("--original-volume", type=float, default=0.0, metavar="GAIN", help="gain of the clips' own sound (default 0)")
    m.add_argument("--quiet", action="store_true", help="no progress bar")
    m.set_defaults(func=run_montage)


def _plan_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--mode", default="auto", choices=("auto", "beats", "bars", "onsets"), help="where cuts go (default auto)")
    p.add_argument("--duration", type=float, default=None, metavar="SECONDS", help="montage length (default 15 s, or the voice-over's length)")
    p.add_argument("--start", type=float, default=None, metavar="SECONDS", help="song second to start at (default: the strongest section)")
    p.add_argument("--every", type=int, default=1, metavar="N", help="with --mode beats/bars: cut every N beats or bars")
    p.add_argument("--min-shot", type=float, default=None, metavar="SECONDS", help="shortest shot")
    p.add_argument("--max-shot", type=float, default=None, metavar="SECONDS", help="longest shot")
    p.add_argument("--fps", default=None, help="output frame rate the cuts are placed on (default: the profile's, 30)")


def _plan(args: argparse.Namespace, analysis: Any) -> tuple[Any, Any]:
    from ...music import fit_song, plan_cuts

    if analysis.is_empty:
        return None, None
    fitted = fit_song(analysis, args.duration or 15.0, start=args.start)
    plan = plan_cuts(
        fitted.analysis,
        duration=fitted.duration,
        fps=_fps(args.fps) if args.fps else 30,
        mode=args.mode,
        every=args.every,
        min_shot=args.min_shot,
        max_shot=args.max_shot,
    )
    return fitted, plan


def _fps(text: str) -> Any:
    from fractions import Fraction

    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise ParameterError(f"--fps: {text!r} is not a frame rate") from None


def run_beats(args: argparse.Namespace) -> int:
    import numpy as np

    from ...music import analyze

    options = {} if args.engine is None else {"engine": args.engine}
    analysis = analyze(args.file, beats_per_bar=args.beats_per_bar, tempo_range=tuple(args.tempo_range), cache=not args.no_cache, **options)
    fitted, plan = _plan(args, analysis)
    if args.plot:
        from ...music.plot import plot_analysis

        cuts = [] if plan is None else [fitted.start + t for t in plan.cut_times]
        span = None if plan is None else (fitted.start, fitted.start + plan.duration)
        plot_analysis(args.file, analysis, args.plot, cuts=cuts, span=span)
    if args.json:
        out = {"file": os.fspath(args.file), **analysis.to_dict(curves=args.curves)}
        if plan is not None:
            out["montage"] = {"song_start": round(fitted.start, 4), "duration": round(plan.duration, 4), **plan.to_dict(),
                              "song_cut_times": [round(fitted.start + t, 4) for t in plan.cut_times]}
        json.dump(out, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    lines = [f"{args.file}", f"  duration: {analysis.duration:.2f} s"]
    if analysis.is_empty:
        lines.append(f"  no beat found: {analysis.no_beat_reason or 'silence, speech or too short'}")
    else:
        bar = f"{analysis.beats_per_bar} beats per bar"
        lines.append(f"  tempo: {analysis.tempo:.1f} BPM, {analysis.beats.size} beats, {analysis.downbeats.size} bars ({bar}), first bar line at {analysis.downbeats[0]:.2f} s" if analysis.downbeats.size else f"  tempo: {analysis.tempo:.1f} BPM, {analysis.beats.size} beats")
        if analysis.tempo_alternatives:
            lines.append(f"  other tempo octave: {' or '.join(f'{t:.1f}' for t in analysis.tempo_alternatives)} BPM")
        sure = analysis.beat_confidence
        unsure = int(np.sum(sure < 0.4))
        lines.append(f"  beat confidence: mean {float(np.mean(sure)):.2f}" + (f", {unsure} unsure beats (cuts there follow onsets)" if unsure else ""))
        lines.append(f"  onsets: {analysis.onsets.size} (strong: {int(np.sum(analysis.onset_strengths >= 0.7))})")
        if analysis.sections:
            spans = ", ".join(f"{s.start:.1f}-{s.end:.1f} s" for s in analysis.sections)
            lines.append(f"  high-energy sections: {spans}")
        else:
            lines.append("  high-energy sections: none (even loudness)")
        if plan is not None:
            cuts = ", ".join(f"{fitted.start + t:.2f}" for t in plan.cut_times)
            lines.append(
                f"  {args.mode} montage of {plan.duration:.2f} s from {fitted.start:.2f} s: {len(plan.shots)} shots, cuts at {cuts or 'none'} s (song time)"
            )
    if args.plot:
        lines.append(f"  plot: {args.plot}")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def run_montage(args: argparse.Namespace) -> int:
    from ...edit.clip import Canvas
    from ...music import montage
    from ...render.profiles import get_profile

    profile = get_profile(args.profile)
    canvas = Canvas(profile.width, profile.height, _fps(args.fps) if args.fps else profile.fps)
    edit = montage(
        args.clips,
        args.music,
        mode=args.mode,
        duration=args.duration,
        start=args.start,
        every=args.every,
        min_shot=args.min_shot,
        max_shot=args.max_shot,
        canvas=canvas,
        fit=args.fit,
        original_volume=args.original_volume,
        voice=args.voice,
    )
    bar = ProgressBar(enabled=not args.quiet and sys.stderr.isatty(), label=os.path.basename(args.output))
    try:
        result = edit.render(args.output, profile=profile, progress=bar)
    finally:
        bar.close()
    plan = edit.cut_plan
    sys.stdout.write(
        f"wrote {result.path}: {result.width}x{result.height}, {result.duration:.2f} s, {len(plan.shots)} shots cut on the "
        f"{args.mode if args.mode != 'auto' else 'beat'} at frames {', '.join(str(f) for f in plan.cut_frames) or '-'}\n"
    )
    return 0


