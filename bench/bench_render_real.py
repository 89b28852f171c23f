"""A template render on real footage against its floor and its peers (``bench_render.py --real``).

Three real clips from ../shared/media (1920x1080 H.264 25 fps, 1280x720 VP8 24 fps,
640x360 H.264) become 14 s of 1080x1920 at 30 fps, cover fit, with 14 s of a real
song from 10 s in and a 1 s fade-out, encoded with the ``tiktok`` profile's x264
settings. Variants, each in its own child process (its peak RSS is its own):

- ``floor``: a bare PyAV decode -> libavfilter ``fps,crop,scale`` -> libx264 of the
  same frames, plus the same music through the AAC encoder: the least any PyAV tool
  can spend on this output.
- ``plain``: clipkit, cuts + fit + music.
- ``full``: clipkit, plus the ``teal_orange`` look, 3 PNG stickers and 2 text layers.
- ``moviepy``: moviepy 2.x, the full edit with its own tools (the look as a
  per-channel curve and an unsharp mask in numpy/OpenCV per frame, ImageClip
  stickers, TextClip texts).
- ``ffmpeg``: the ffmpeg CLI of the imageio-ffmpeg wheel, the full edit as one
  filtergraph (``lut3d`` with the look's own .cube, ``eq``, ``unsharp``, ``overlay``,
  ``drawtext``).

Usage::

    python bench/bench_render.py --real [--repeat 3] [--fit cover|center]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "media"
SHOTS = [
    ("video/faces_video.mp4", 0.0, 4.0),
    ("video/big_buck_bunny_0_30.webm", 5.0, 10.0),
    ("video/chaplin.mp4", 1.0, 6.0),
]
SONG = "music/Karissa_Hobbs_-_Lets_Go_Fishin.ogg"
MUSIC_START, FADE_OUT = 10.0, 1.0
W, H, FPS = 1080, 1920, 30
STICKERS = [  # file, centre (x, y) as canvas fractions, width as a canvas fraction
    ("presets/stickers/festival/lantern.png", (0.2, 0.15), 0.25),
    ("presets/stickers/festival/confetti.png", (0.5, 0.4), 0.25),
    ("presets/stickers/shapes/star.png", (0.8, 0.65), 0.25),
]
TEXTS = [("Weekend vibes", (0.5, 0.3), "bold_outline"), ("follow for part 2", (0.5, 0.85), None)]


def total_frames() -> int:
    return sum(round((b - a) * FPS) for _, a, b in SHOTS)


def _clip(rel: str) -> str:
    return str(SHARED / rel)


def _font_path() -> str:
    from clipkit.overlays.fonts import face_for_script

    return str(face_for_script("latin").path)


# -- variants (run inside a child process) ---------------------------------------------
def run_clipkit(out: str, *, full: bool, fit: str) -> None:
    import clipkit as ck

    shots = [ck.open(_clip(p)).trim(a, b) for p, a, b in SHOTS]
    edit = ck.sequence(shots, canvas=ck.Canvas(W, H, FPS), fit=fit).with_original_volume(0)
    edit = edit.with_music(ck.audio(_clip(SONG)), start=MUSIC_START, fade_out=FADE_OUT)
    if full:
        edit = edit.with_look("teal_orange")
        for path, position, width in STICKERS:
            edit = edit.with_overlay(ck.Sticker(str(ROOT / path), position=position, width=width))
        for text, position, style in TEXTS:
            edit = edit.with_overlay(ck.Text(text, position=position, **({"style": style} if style else {})))
    result = edit.render(out, profile="tiktok", profile_stages=True)
    stages = {row.name: round(row.cpu_ms, 2) for row in result.stages.rows}
    common.report_self(frames=result.frames, stages=stages)  # wall: the whole process, as for ffmpeg


def _cover_crop(width: int, height: int, sar: Fraction) -> tuple[int, int, int, int]:
    """Centre crop (x, y, w, h) in coded pixels that fills W x H after pixel aspect."""
    display_w = width * sar
    if display_w / height > Fraction(W, H):
        cw = int(height * Fraction(W, H) / sar) // 2 * 2
        return ((width - cw) // 4 * 2, 0, cw, height)
    ch = int(display_w * Fraction(H, W)) // 2 * 2
    return (0, (height - ch) // 4 * 2, width, ch)


def _x264_stream(oc):  # noqa: ANN001, ANN202 - an output container in, its video stream out
    """A 1080x1920 libx264 stream with the ``tiktok`` profile's settings (common.X264)."""
    x = common.X264
    vs = oc.add_stream("libx264", rate=FPS)
    vs.width, vs.height, vs.pix_fmt = W, H, "yuv420p"
    vs.codec_context.thread_type = "FRAME"
    vs.codec_context.gop_size = x["gop"]
    vs.options = {
        "preset": x["preset"], "crf": str(x["crf"]), "maxrate": f"{x['maxrate_kbps']}k",
        "bufsize": f"{x['bufsize_kbps']}k", "profile": "high", "x264-params": f"min-keyint={x['keyint_min']}",
    }
    return vs


def run_floor(out: str) -> None:
    import av

    oc = av.open(out, "w", format="mp4", options={"movflags": "+faststart"})
    vs = _x264_stream(oc)
    aus = oc.add_stream("aac", rate=48000)
    aus.layout = "stereo"
    aus.bit_rate = 128000
    k = 0
    for rel, a, b in SHOTS:
        want = round((b - a) * FPS)
        with av.open(_clip(rel)) as ic:
            st = ic.streams.video[0]
            st.thread_type = "AUTO"
            cc = st.codec_context
            sar = Fraction(st.sample_aspect_ratio or 1) or Fraction(1)
            cx, cy, cw, ch = _cover_crop(cc.width, cc.height, sar)
            graph = av.filter.Graph()
            chain = [
                graph.add_buffer(template=st),
                graph.add("fps", f"{FPS}"),
                graph.add("crop", f"{cw}:{ch}:{cx}:{cy}"),
                graph.add("scale", f"{W}:{H}:flags=bilinear"),
                graph.add("format", "yuv420p"),
                graph.add("buffersink"),
            ]
            for left, right in zip(chain, chain[1:]):
                left.link_to(right)
            graph.configure()
            if a > 1:
                ic.seek(int((a - 0.5) / st.time_base), stream=st, backward=True)
            done = 0

            def drain() -> None:
                nonlocal done, k
                while done < want:
                    try:
                        frame = graph.vpull()
                    except (BlockingIOError, av.error.EOFError):
                        return
                    frame.pts = k
                    frame.time_base = Fraction(1, FPS)
                    frame.pict_type = av.video.frame.PictureType.NONE
                    oc.mux(vs.encode(frame))
                    done += 1
                    k += 1

            for frame in ic.decode(st):
                if frame.time is not None and frame.time < a - 1e-3:
                    continue
                frame.pts = int(round((frame.time - a) / st.time_base)) if frame.time is not None else frame.pts
                graph.vpush(frame)
                drain()
                if done >= want:
                    break
            if done < want:
                graph.vpush(None)
                drain()
    oc.mux(vs.encode(None))
    common.encode_music(oc, aus, _clip(SONG), start=MUSIC_START, seconds=k / FPS, fade_out=FADE_OUT)
    oc.close()
    common.report_self(frames=k)


def run_x264_content(src: str, out: str) -> None:
    """x264 alone on the frames of an output: its CPU ms a frame with the floor's settings.

    The frames are decoded into memory first, so only the encode is timed. The floor's,
    plain's and full's outputs show what the content itself costs x264: graded,
    sharpened frames with stickers and text have more detail to code than the bare crop.
    """
    import av

    with av.open(src) as ic:
        frames = [f.reformat(format="yuv420p") for f in ic.decode(video=0)]
    oc = av.open(out, "w", format="mp4")
    vs = _x264_stream(oc)
    started = time.process_time()
    for k, frame in enumerate(frames):
        frame.pts, frame.time_base = k, Fraction(1, FPS)
        frame.pict_type = av.video.frame.PictureType.NONE
        oc.mux(vs.encode(frame))
    oc.mux(vs.encode(None))
    cpu = time.process_time() - started
    oc.close()
    common.report_self(frames=len(frames), encode_cpu_ms=1000 * cpu / max(1, len(frames)), bytes=os.path.getsize(out))


def _moviepy_look(frame):  # noqa: ANN001, ANN202 - numpy RGB in, out
    """teal_orange as a moviepy user writes it: per-channel curves, contrast, unsharp."""
    import cv2
    import numpy as np

    global _LOOK_TABLES
    if _LOOK_TABLES is None:
        x = np.arange(256, dtype=np.float32) / 255.0
        shadows = (1.0 - x) ** 2
        highlights = x**2
        r = np.clip(x + 0.08 * highlights - 0.05 * shadows, 0, 1)
        g = np.clip(x + 0.02 * highlights + 0.01 * shadows, 0, 1)
        b = np.clip(x - 0.06 * highlights + 0.07 * shadows, 0, 1)
        tables = [np.clip(((c - 0.5) * 1.08 + 0.5) * 255.0 + 0.5, 0, 255).astype(np.uint8) for c in (r, g, b)]
        _LOOK_TABLES = np.stack(tables, axis=1)[:, None, :]  # (256, 1, 3) for cv2.LUT
    graded = cv2.LUT(np.ascontiguousarray(frame), _LOOK_TABLES)
    blur = cv2.GaussianBlur(graded, (0, 0), 1.2)
    return cv2.addWeighted(graded, 1.3, blur, -0.3, 0)


_LOOK_TABLES = None


def run_moviepy(out: str) -> None:
    from moviepy import AudioFileClip, CompositeVideoClip, ImageClip, TextClip, VideoFileClip, concatenate_videoclips
    from moviepy.audio.fx import AudioFadeOut

    parts = []
    for rel, a, b in SHOTS:
        clip = VideoFileClip(_clip(rel), audio=False).subclipped(a, b)
        w, h = clip.size
        scale = max(W / w, H / h)
        clip = clip.resized(scale)
        parts.append(clip.cropped(x_center=clip.w / 2, y_center=clip.h / 2, width=W, height=H))
    video = concatenate_videoclips(parts).image_transform(_moviepy_look)
    layers = [video]
    for path, (px, py), width in STICKERS:
        img = ImageClip(str(ROOT / path)).resized(width=int(width * W))
        layers.append(img.with_position((int(px * W - img.w / 2), int(py * H - img.h / 2))).with_duration(video.duration))
    font = _font_path()
    for text, (px, py), style in TEXTS:
        kw = {"stroke_color": "black", "stroke_width": 6} if style else {}
        txt = TextClip(font=font, text=text, font_size=72, color="white", **kw).with_duration(video.duration)
        layers.append(txt.with_position((int(px * W - txt.w / 2), int(py * H - txt.h / 2))))
    comp = CompositeVideoClip(layers, size=(W, H))
    music = AudioFileClip(_clip(SONG)).subclipped(MUSIC_START, MUSIC_START + comp.duration).with_effects([AudioFadeOut(FADE_OUT)])
    comp = comp.with_audio(music)
    x = common.X264
    comp.write_videofile(
        out, fps=FPS, codec="libx264", preset=x["preset"], audio_codec="aac", audio_bitrate="128k",
        ffmpeg_params=["-crf", str(x["crf"]), "-maxrate", f"{x['maxrate_kbps']}k", "-bufsize", f"{x['bufsize_kbps']}k",
                       "-profile:v", "high", "-g", str(x["gop"]), "-keyint_min", str(x["keyint_min"])],
        temp_audiofile_path=str(Path(out).parent), pixel_format="yuv420p", audio_fps=48000, logger=None,
    )
    common.report_self()


def ffmpeg_argv(out: str) -> list[str]:
    x = common.X264
    argv = [common.ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y"]
    for rel, a, b in SHOTS:
        argv += ["-ss", str(a), "-t", str(b - a), "-i", _clip(rel)]
    dur = total_frames() / FPS
    argv += ["-ss", str(MUSIC_START), "-t", str(dur), "-i", _clip(SONG)]
    for path, _, _ in STICKERS:
        argv += ["-f", "image2", "-loop", "1", "-framerate", str(FPS), "-t", str(dur), "-i", str(ROOT / path)]
    n = len(SHOTS)
    parts = [f"[{i}:v]fps={FPS},scale={W}:{H}:force_original_aspect_ratio=increase:flags=bilinear,crop={W}:{H},setsar=1[s{i}]" for i in range(n)]
    chain = "".join(f"[s{i}]" for i in range(n)) + f"concat=n={n}:v=1:a=0,"
    cube = ROOT / "presets" / "luts" / "teal_orange.cube"
    chain += f"lut3d=file='{cube}',eq=contrast=1.08,unsharp=5:5:0.3[g0]"
    graph = parts + [chain]
    last = "g0"
    for k, (_, (px, py), width) in enumerate(STICKERS):
        graph.append(f"[{n + 1 + k}:v]scale={int(width * W)}:-1[st{k}]")
        graph.append(f"[{last}][st{k}]overlay=x={int(px * W)}-w/2:y={int(py * H)}-h/2:shortest=1[o{k}]")
        last = f"o{k}"
    font = _font_path().replace(":", "\\:")
    texts = []
    for text, (px, py), style in TEXTS:
        border = ":borderw=6:bordercolor=black" if style else ""
        texts.append(f"drawtext=fontfile='{font}':text='{text}':fontsize=72:fontcolor=white{border}:x={int(px * W)}-tw/2:y={int(py * H)}-th/2")
    graph.append(f"[{last}]" + ",".join(texts) + "[v]")
    graph.append(f"[{n}:a]afade=t=out:st={dur - FADE_OUT}:d={FADE_OUT},aresample=48000[a]")
    argv += [
        "-filter_complex", ";".join(graph), "-map", "[v]", "-map", "[a]", "-r", str(FPS), "-c:v", "libx264",
        "-preset", x["preset"], "-crf", str(x["crf"]), "-maxrate", f"{x['maxrate_kbps']}k", "-bufsize", f"{x['bufsize_kbps']}k",
        "-profile:v", "high", "-g", str(x["gop"]), "-keyint_min", str(x["keyint_min"]), "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "128k", "-ac", "2", "-movflags", "+faststart", out,
    ]
    return argv


# -- driver ------------------------------------------------------------------------------
VARIANTS = ("floor", "plain", "full", "moviepy", "ffmpeg")


def _child(name: str, out: str, fit: str) -> list[str]:
    return [sys.executable, __file__, "--run", name, "--out", out, "--fit", fit]


def main(*, repeat: int = 1, fit: str = "cover", variants: tuple[str, ...] = VARIANTS) -> None:
    missing = [rel for rel, _, _ in SHOTS if not (SHARED / rel).exists()] + ([] if (SHARED / SONG).exists() else [SONG])
    if missing:
        raise SystemExit(f"bench_render --real needs ../shared/media: missing {', '.join(missing)}")
    frames = total_frames()
    outdir = common.MEDIA / "out"
    outdir.mkdir(parents=True, exist_ok=True)
    walls: dict[str, list[float]] = {}
    cpus: dict[str, list[float]] = {}
    rss: dict[str, list[float]] = {}
    stages: dict[str, dict] = {}
    variants = tuple(v for v in VARIANTS if v in variants or v == "floor")
    for _ in range(repeat):
        for name in variants:
            out = str(outdir / f"real_{name}.mp4")
            argv = ffmpeg_argv(out) if name == "ffmpeg" else _child(name, out, fit)
            run = common.measure(name, argv, frames=frames)
            walls.setdefault(name, []).append(run.wall)
            cpus.setdefault(name, []).append(run.cpu)
            rss.setdefault(name, []).append(run.peak_rss_mb)
            if "stages" in run.info:
                stages[name] = run.info["stages"]
    med = {k: statistics.median(v) for k, v in walls.items()}
    cpu = {k: statistics.median(v) for k, v in cpus.items()}
    mem = {k: statistics.median(v) for k, v in rss.items()}
    rows = [["variant", "median wall s", "CPU s", "peak RSS MB", "wall / floor", "CPU / floor", "RSS / floor"]]
    for name in variants:
        rows.append([name, f"{med[name]:.2f}", f"{cpu[name]:.1f}", f"{mem[name]:.0f}", f"{med[name] / med['floor']:.3f}",
                     f"{cpu[name] / cpu['floor']:.3f}", f"{mem[name] / mem['floor']:.2f}"])
    print(f"real footage: {', '.join(r for r, _, _ in SHOTS)} -> {frames} frames of {W}x{H} at {FPS} fps, {SONG}")
    print(f"clipkit fit={fit}; medians of {repeat} interleaved run(s); nproc={os.cpu_count()}; load {os.getloadavg()[0]:.1f}")
    print(common.table(rows))
    print()
    def ratio(a: str, b: str, table: dict[str, float]) -> str:
        return f"{table[a] / table[b]:.3f}" if a in table and b in table else "-"

    print(f"plain / floor      wall {ratio('plain', 'floor', med)}  CPU {ratio('plain', 'floor', cpu)}  (target <= 1.05)")
    print(f"full / floor       wall {ratio('full', 'floor', med)}  CPU {ratio('full', 'floor', cpu)}  (target <= 1.15)")
    print(f"full RSS / floor   {ratio('full', 'floor', mem)}  (target <= 1.30)")
    print(f"moviepy / full     wall {ratio('moviepy', 'full', med)}  (target >= 6)")
    print(f"ffmpeg CLI / full  wall {ratio('ffmpeg', 'full', med)}  (target >= 1.5)")
    for name in ("plain", "full"):
        if name in stages:
            top = sorted(stages[name].items(), key=lambda kv: -kv[1])[:8]
            print(f"{name}: CPU ms/frame by stage (last run): " + ", ".join(f"{k} {v:.1f}" for k, v in top))
    content = [name for name in ("floor", "plain", "full") if name in variants]
    if len(content) > 1:
        # the same x264 settings on each output's own frames, interleaved: what the picture costs to code
        costs: dict[str, list[float]] = {}
        sizes: dict[str, float] = {}
        for _ in range(max(1, repeat)):
            for name in content:
                argv = [sys.executable, __file__, "--run", "x264", "--out", str(outdir / f"x264_{name}.mp4"), "--src", str(outdir / f"real_{name}.mp4")]
                run = common.measure(f"x264 {name}", argv, frames=frames)
                costs.setdefault(name, []).append(float(run.info["encode_cpu_ms"]))
                sizes[name] = float(run.info["bytes"])
        cost = {k: statistics.median(v) for k, v in costs.items()}
        print("x264 alone on each output's frames (CPU ms/frame, size): " + ", ".join(
            f"{k} {cost[k]:.1f} ({cost[k] / cost['floor']:.2f}x, {sizes[k] / 2**20:.1f} MB)" for k in content))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True, choices=("floor", "plain", "full", "moviepy", "x264"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--fit", default="cover")
    ap.add_argument("--src", help="with --run x264: the output whose frames are encoded again")
    args = ap.parse_args()
    if args.run == "x264":
        run_x264_content(args.src, args.out)
    elif args.run == "floor":
        run_floor(args.out)
    elif args.run == "moviepy":
        run_moviepy(args.out)
    else:
        run_clipkit(args.out, full=args.run == "full", fit=args.fit)
