"""Render the same edit four ways and print wall time, fps, peak RSS and ratios.

The edit: three 1080x1920 clips trimmed to 5 s each with hard cuts, music from 10 s
into a song with a 1 s fade-out, 30 fps, x264 veryfast CRF 23 with an 8 Mb/s cap
(the ``tiktok`` profile's settings). The variants:

- ``clipkit``: the public API.
- ``pyav``: a bare PyAV decode -> encode of the same frames (no threads of its own,
  decoder frame threads and encoder frame threads as DESIGN.md recommends) plus the
  same music encode; the floor for any PyAV-based tool.
- ``moviepy``: moviepy 2.x with the same settings (its encoder is the ffmpeg CLI
  in a child process, fed raw RGB through a pipe).
- ``ffmpeg``: the ffmpeg CLI from the imageio-ffmpeg wheel with a concat filter.

Usage::

    python bench/bench_render.py                 # the four-way comparison
    python bench/bench_render.py --memory        # peak RSS: 10 s vs 10 min input
    python bench/bench_render.py --avsync        # A/V offset at start and end of 60 s
    python bench/bench_render.py --shots         # peak RSS: 3 vs 30 shots (real clips, full template)
    python bench/bench_render.py --real          # real footage: plain and full template

``--real`` renders three real clips from ../shared/media (1920x1080 H.264 25 fps,
1280x720 VP8 24 fps, 640x360 H.264) to 14 s of 1080x1920 30 fps with cover fit and
a real song, two ways: ``plain`` (cuts + fit + music) and ``full`` (plus the
``teal_orange`` look, 3 PNG stickers and 2 text layers). The floor is a bare PyAV
decode -> fps/crop/scale (libavfilter) -> encode of the same frames plus the same
music; moviepy and the ffmpeg CLI render the full edit with their own tools (a
per-channel curve and unsharp mask for the look, PNG overlays, text). See
:mod:`bench_render_real`.

Each variant runs in its own child process (peak RSS is its own); ``--repeat N`` runs
the comparison N times interleaved and reports the best wall time of each.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

TRIMS = [(1.0, 6.0), (0.5, 5.5), (2.0, 7.0)]
MUSIC_START, FADE_OUT = 10.0, 1.0
W, H, FPS = 1080, 1920, 30


def media() -> tuple[list[Path], Path]:
    clips = [common.make_clip(common.MEDIA / f"clip{i}_{W}x{H}.mp4", width=W, height=H, seconds=8, seed=i) for i in range(3)]
    song = common.make_song(common.MEDIA / "song60.m4a", seconds=60)
    return clips, song


def total_frames() -> int:
    return sum(round((b - a) * FPS) for a, b in TRIMS)


# -- variants (run inside a child process) ---------------------------------------------
def run_clipkit(out: str) -> None:
    import clipkit as ck

    clips, song = media()
    shots = [ck.open(p).trim(a, b) for p, (a, b) in zip(clips, TRIMS)]
    edit = ck.sequence(shots, canvas=ck.Canvas(W, H, FPS)).with_original_volume(0)
    edit = edit.with_music(ck.audio(song), start=MUSIC_START, fade_out=FADE_OUT)
    t = time.perf_counter()
    edit.render(out, profile="tiktok")
    common.report_self(wall=time.perf_counter() - t)


def run_pyav(out: str) -> None:
    import av

    clips, song = media()
    t0 = time.perf_counter()
    oc = av.open(out, "w", format="mp4", options={"movflags": "+faststart"})
    vs = oc.add_stream("libx264", rate=FPS)
    vs.width, vs.height, vs.pix_fmt = W, H, "yuv420p"
    vs.codec_context.thread_type = "FRAME"
    vs.codec_context.gop_size = common.X264["gop"]
    vs.options = {
        "preset": common.X264["preset"],
        "crf": str(common.X264["crf"]),
        "maxrate": f"{common.X264['maxrate_kbps']}k",
        "bufsize": f"{common.X264['bufsize_kbps']}k",
        "profile": "high",
        "x264-params": f"min-keyint={common.X264['keyint_min']}",
    }
    aus = oc.add_stream("aac", rate=48000)
    aus.layout = "stereo"
    aus.bit_rate = 128000
    k = 0
    for path, (a, b) in zip(clips, TRIMS):
        with av.open(str(path)) as ic:
            st = ic.streams.video[0]
            st.thread_type = "AUTO"
            if a > 1:
                ic.seek(int((a - 0.25) / st.time_base), stream=st, backward=True)
            for frame in ic.decode(st):
                if frame.time < a - 1e-3:
                    continue
                if frame.time >= b - 1e-3:
                    break
                frame.pts = k
                frame.time_base = Fraction(1, FPS)
                frame.pict_type = av.video.frame.PictureType.NONE
                oc.mux(vs.encode(frame))
                k += 1
    oc.mux(vs.encode(None))
    common.encode_music(oc, aus, str(song), start=MUSIC_START, seconds=k / FPS)
    oc.close()
    common.report_self(wall=time.perf_counter() - t0, frames=k)


def run_moviepy(out: str) -> None:
    from moviepy import AudioFileClip, VideoFileClip, concatenate_videoclips
    from moviepy.audio.fx import AudioFadeOut

    clips, song = media()
    t = time.perf_counter()
    parts = [VideoFileClip(str(p), audio=False).subclipped(a, b) for p, (a, b) in zip(clips, TRIMS)]
    video = concatenate_videoclips(parts)
    music = AudioFileClip(str(song)).subclipped(MUSIC_START, MUSIC_START + video.duration).with_effects([AudioFadeOut(FADE_OUT)])
    video = video.with_audio(music)
    video.write_videofile(
        out,
        fps=FPS,
        codec="libx264",
        preset=common.X264["preset"],
        audio_codec="aac",
        audio_bitrate="128k",
        ffmpeg_params=_x264_cli_args(with_preset=False),
        temp_audiofile_path=str(Path(out).parent),
        pixel_format="yuv420p",
        audio_fps=48000,
        logger=None,
    )
    for p in parts:
        p.close()
    common.report_self(wall=time.perf_counter() - t)


def _x264_cli_args(*, with_preset: bool = True) -> list[str]:
    x = common.X264
    args = ["-crf", str(x["crf"]), "-maxrate", f"{x['maxrate_kbps']}k", "-bufsize", f"{x['bufsize_kbps']}k",
            "-profile:v", "high", "-g", str(x["gop"]), "-keyint_min", str(x["keyint_min"]), "-pix_fmt", "yuv420p"]
    if not with_preset:  # moviepy adds -preset and -pix_fmt itself
        return args[:-2]
    return ["-preset", x["preset"]] + args


def ffmpeg_argv(out: str) -> list[str]:
    clips, song = media()
    argv = [common.ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y"]
    for p, (a, b) in zip(clips, TRIMS):
        argv += ["-ss", str(a), "-t", str(b - a), "-i", str(p)]
    dur = total_frames() / FPS
    argv += ["-ss", str(MUSIC_START), "-t", str(dur), "-i", str(song)]
    argv += [
        "-filter_complex",
        f"[0:v][1:v][2:v]concat=n=3:v=1:a=0[v];[3:a]afade=t=out:st={dur - FADE_OUT}:d={FADE_OUT},aresample=48000[a]",
        "-map", "[v]", "-map", "[a]", "-r", str(FPS), "-c:v", "libx264", *_x264_cli_args(),
        "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", out,
    ]
    return argv


# -- driver ------------------------------------------------------------------------------
def child(name: str, out: str) -> list[str]:
    return [sys.executable, __file__, "--run", name, "--out", out]


def compare(repeat: int) -> None:
    media()
    frames = total_frames()
    outdir = common.MEDIA / "out"
    outdir.mkdir(parents=True, exist_ok=True)
    best: dict[str, common.Run] = {}
    walls: dict[str, list[float]] = {}
    cpus: dict[str, list[float]] = {}
    for _ in range(repeat):
        for name in ("pyav", "clipkit", "moviepy", "ffmpeg"):
            out = str(outdir / f"{name}.mp4")
            argv = ffmpeg_argv(out) if name == "ffmpeg" else child(name, out)
            run = common.measure(name, argv, frames=frames)
            walls.setdefault(name, []).append(run.wall)
            cpus.setdefault(name, []).append(run.cpu)
            if name not in best or run.wall < best[name].wall:
                best[name] = run
    base = best["pyav"]
    median = {name: statistics.median(v) for name, v in walls.items()}
    cpu = {name: statistics.median(v) for name, v in cpus.items()}
    rows = [["variant", "best wall s", "median wall s", "fps", "CPU s", "peak RSS MB", "time / pyav", "RSS / pyav"]]
    for name in ("clipkit", "pyav", "moviepy", "ffmpeg"):
        r = best[name]
        rows.append([
            name, f"{r.wall:.2f}", f"{median[name]:.2f}", f"{r.fps:.1f}", f"{cpu[name]:.1f}", f"{r.peak_rss_mb:.0f}",
            f"{r.wall / base.wall:.3f}", f"{r.peak_rss_mb / base.peak_rss_mb:.2f}",
        ])
    print(f"edit: 3 x 1080x1920 shots, {frames} frames at {FPS} fps, music; x264 {common.X264}")
    print(f"best and median of {repeat} interleaved run(s); nproc={os.cpu_count()}; CPU s is the median")
    print("user+system time of the whole process (Python variants include interpreter start and imports)")
    print(common.table(rows))
    ck, mp, ff = best["clipkit"], best["moviepy"], best["ffmpeg"]
    print()
    print(f"clipkit / bare PyAV wall      : {ck.wall / base.wall:.3f} best, {median['clipkit'] / median['pyav']:.3f} median  (target <= 1.10)")
    print(f"moviepy / clipkit wall        : {mp.wall / ck.wall:.3f} best, {median['moviepy'] / median['clipkit']:.3f} median  (target >= 1.30)")
    print(f"clipkit / ffmpeg CLI wall     : {ck.wall / ff.wall:.3f} best, {median['clipkit'] / median['ffmpeg']:.3f} median  (target <= 1.00)")
    print(f"clipkit / ffmpeg CLI CPU      : {cpu['clipkit'] / cpu['ffmpeg']:.3f} median")
    print(f"clipkit / bare PyAV peak RSS  : {ck.peak_rss_mb / base.peak_rss_mb:.3f}  (target <= 1.30)")


def run_long(out: str, seconds: float, size: str) -> None:
    import clipkit as ck

    w, h = (int(v) for v in size.split("x"))
    clip = common.make_clip(common.MEDIA / f"long_{w}x{h}_{int(seconds)}.mp4", width=w, height=h, seconds=seconds, seed=5)
    by_minute: list[float] = []

    def sample(p: ck.RenderProgress) -> None:  # current RSS at every whole minute of output
        if p.frames_done >= (len(by_minute) + 1) * 60 * FPS:
            by_minute.append(common.current_rss_mb())

    t = time.perf_counter()
    edit = ck.sequence([ck.open(clip)], canvas=ck.Canvas(w, h, FPS))
    if FULL_TEMPLATE:  # the full template of --real: a look, 3 stickers, 2 texts
        import bench_render_real as real

        edit = edit.with_look("teal_orange")
        for path, position, width in real.STICKERS:
            edit = edit.with_overlay(ck.Sticker(str(real.ROOT / path), position=position, width=width))
        for text, position, style in real.TEXTS:
            edit = edit.with_overlay(ck.Text(text, position=position, **({"style": style} if style else {})))
    edit.render(out, profile="tiktok", preset="ultrafast", progress=sample)
    common.report_self(wall=time.perf_counter() - t, rss_by_minute=by_minute)


FULL_TEMPLATE = "--full" in sys.argv


def run_shots(out: str, count: int) -> None:
    """The full template of --real over ``count`` shots (a multiple of 3) cut from its three windows (14 s)."""
    import bench_render_real as real

    import clipkit as ck

    shots = []
    per_window = count // len(real.SHOTS)  # each of --real's three windows cut into this many shots
    for rel, a, b in real.SHOTS:
        length = (b - a) / per_window
        shots += [ck.open(real._clip(rel)).trim(a + i * length, a + (i + 1) * length) for i in range(per_window)]
    edit = ck.sequence(shots, canvas=ck.Canvas(540, 960, FPS)).with_original_volume(0)
    edit = edit.with_music(ck.audio(real._clip(real.SONG)), start=real.MUSIC_START, fade_out=real.FADE_OUT)
    edit = edit.with_look("teal_orange")
    for path, position, width in real.STICKERS:
        edit = edit.with_overlay(ck.Sticker(str(real.ROOT / path), position=position, width=width))
    for text, position, style in real.TEXTS:
        edit = edit.with_overlay(ck.Text(text, position=position, **({"style": style} if style else {})))
    result = edit.render(out, profile="tiktok", preset="ultrafast")
    common.report_self(frames=result.frames)


def shots_memory() -> None:
    """Peak RSS of the full template over 3 and over 30 shots of real clips (the same 14 s)."""
    outdir = common.MEDIA / "out"
    outdir.mkdir(parents=True, exist_ok=True)
    rows = [["shots", "frames", "wall s", "peak RSS MB"]]
    runs = {}
    for count in (3, 30):
        argv = [sys.executable, __file__, "--run", "shots", "--out", str(outdir / f"shots{count}.mp4"), "--seconds", str(count)]
        run = common.measure(f"{count} shots", argv, frames=14 * FPS)
        runs[count] = run
        rows.append([str(count), str(14 * FPS), f"{run.wall:.1f}", f"{run.peak_rss_mb:.0f}"])
    print("full template of --real (teal_orange, 3 stickers, 2 texts, music) at 540x960, real clips, 14 s")
    print(common.table(rows))
    print(f"\npeak RSS 30 shots / 3 shots: {runs[30].peak_rss_mb / runs[3].peak_rss_mb:.3f}  (target: flat)")


def memory(size: str) -> None:
    outdir = common.MEDIA / "out"
    outdir.mkdir(parents=True, exist_ok=True)
    w, h = (int(v) for v in size.split("x"))
    rows = [["input", "frames", "wall s", "peak RSS MB"]]
    runs = {}
    for seconds in (10, 60, 600):
        # make the media first, outside the measured run
        common.make_clip(common.MEDIA / f"long_{w}x{h}_{seconds}.mp4", width=w, height=h, seconds=seconds, seed=5)
        argv = [sys.executable, __file__, "--run", "long", "--out", str(outdir / f"long{seconds}.mp4"), "--seconds", str(seconds), "--size", size]
        argv += ["--full"] if FULL_TEMPLATE else []
        run = common.measure(f"{seconds}s", argv, frames=seconds * FPS)
        runs[seconds] = run
        rows.append([f"{seconds} s {size}", str(seconds * FPS), f"{run.wall:.1f}", f"{run.peak_rss_mb:.0f}"])
    print(common.table(rows))
    print(f"\npeak RSS 10 min / 10 s: {runs[600].peak_rss_mb / runs[10].peak_rss_mb:.3f}  (target <= 1.10)")
    print(f"peak RSS 10 min / 60 s: {runs[600].peak_rss_mb / runs[60].peak_rss_mb:.3f}")
    minutes = runs[600].info.get("rss_by_minute", [])
    print("current RSS of the 10 min render at each minute (MB): " + ", ".join(f"{v:.0f}" for v in minutes))


def avsync() -> None:
    """Render 60 s made of a clip whose frames flash white exactly when its audio clicks,
    then find flashes and clicks in the output and report the offsets."""
    import av
    import numpy as np

    import clipkit as ck

    src = common.MEDIA / "flashclick_60.mp4"
    if not src.exists():
        _make_flash_click(src, seconds=60)
    out = common.MEDIA / "out" / "avsync.mp4"
    out.parent.mkdir(parents=True, exist_ok=True)
    ck.sequence([ck.open(src)], canvas=ck.Canvas(320, 568, FPS)).render(out, profile="tiktok", preset="ultrafast")
    flashes, clicks = [], []
    with av.open(str(out)) as ic:
        for f in ic.decode(video=0):
            if f.to_ndarray()[: f.height].mean() > 128:
                flashes.append(float(f.time))
    from clipkit.media.audio import load_audio

    data, sr = load_audio(out, sr=48000, mono=True)
    env = np.abs(data[0])
    above = np.flatnonzero(env > 0.3)
    if above.size:
        starts = above[np.insert(np.diff(above) > sr * 0.2, 0, True)]
        clicks = list(starts / sr)
    fd = [t for i, t in enumerate(flashes) if i == 0 or t - flashes[i - 1] > 0.2]
    pairs = list(zip(fd, clicks))
    offsets = [c - f for f, c in pairs]
    print(f"flashes {len(fd)}, clicks {len(clicks)}; frame = {1000 / FPS:.1f} ms")
    print(f"A/V offset at start: {offsets[0] * 1000:+.1f} ms, at end: {offsets[-1] * 1000:+.1f} ms, max |offset| {max(abs(o) for o in offsets) * 1000:.1f} ms (target <= {1000 / FPS:.1f})")


def _make_flash_click(path: Path, *, seconds: int) -> None:
    import av
    import numpy as np

    sr = 48000
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=FPS)
        vs.width, vs.height, vs.pix_fmt = 320, 568, "yuv420p"
        vs.options = {"preset": "ultrafast"}
        aus = out.add_stream("aac", rate=sr)
        aus.layout = "stereo"
        for i in range(seconds * FPS):
            level = 235 if i % (FPS * 2) == 0 else 16
            buf = np.concatenate([np.full((568, 320), level, np.uint8), np.full((284, 320), 128, np.uint8)])
            f = av.VideoFrame.from_numpy_buffer(buf, format="yuv420p")
            f.pts = i
            out.mux(vs.encode(f))
        out.mux(vs.encode(None))
        n = seconds * sr
        sig = np.zeros(n, np.float32)
        for k in range(0, seconds, 2):
            a = k * sr
            sig[a : a + 480] = 0.8 * np.sin(2 * np.pi * 1000 * np.arange(480) / sr)
        data = np.tile(sig, (2, 1))
        for s in range(0, n, 1024):
            af = av.AudioFrame.from_ndarray(np.ascontiguousarray(data[:, s : s + 1024]), format="fltp", layout="stereo")
            af.sample_rate = sr
            af.pts = s
            out.mux(aus.encode(af))
        out.mux(aus.encode(None))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--seconds", type=float, default=10, help=argparse.SUPPRESS)
    ap.add_argument("--size", default="540x960", help="frame size for --memory (default %(default)s)")
    ap.add_argument("--repeat", type=int, default=1, help="interleaved repetitions (best wall time kept)")
    ap.add_argument("--memory", action="store_true", help="peak RSS of a 10 s vs a 10 min input")
    ap.add_argument("--full", action="store_true", help="with --memory: render the full template (look, stickers, texts)")
    ap.add_argument("--shots", action="store_true", help="peak RSS of the full template over 3 vs 30 shots of real clips")
    ap.add_argument("--avsync", action="store_true", help="A/V offset at start and end of a 60 s render")
    ap.add_argument("--real", action="store_true", help="real footage from ../shared/media: plain and full template vs the floor and peers")
    ap.add_argument("--variants", default="floor,plain,full,moviepy,ffmpeg", help="with --real: which variants to run (the floor always runs)")
    ap.add_argument("--fit", default="cover", help="fit mode of the clipkit runs with --real (cover follows faces; center is the plain crop)")
    args = ap.parse_args()
    if args.real:
        import bench_render_real

        bench_render_real.main(repeat=args.repeat, fit=args.fit, variants=tuple(args.variants.split(",")))
        return
    if args.run:
        if args.run == "long":
            run_long(args.out, args.seconds, args.size)
        elif args.run == "shots":
            run_shots(args.out, int(args.seconds))
        else:
            {"clipkit": run_clipkit, "pyav": run_pyav, "moviepy": run_moviepy}[args.run](args.out)
        return
    if args.shots:
        shots_memory()
    elif args.memory:
        memory(args.size)
    elif args.avsync:
        avsync()
    else:
        compare(args.repeat)


if __name__ == "__main__":
    main()
