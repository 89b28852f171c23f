"""Photos in a video: a slideshow of phone-sized stills, clipkit vs the ffmpeg CLI vs moviepy.

The edit: three photos held 3 s each, cover-fitted into 1080x1920 at 30 fps, music, the
``tiktok`` profile's x264 settings. The photos are JPEGs as phones store them (landscape
pixels, EXIF orientation 6, so they show portrait), at 12 MP (4032x3024) or 48 MP
(8064x6048), made from frames of a real clip (``--media real``: faces_video, big_buck_bunny,
chaplin from ../shared/media, scaled up) or from generated gradients with noise
(``--media generated``). Each variant runs in its own child process:

- ``clipkit``: this checkout's public API.
- ``baseline``: the same script against another checkout (``--baseline DIR``), e.g. a
  worktree of an earlier commit, to see what a change did.
- ``ffmpeg``: the ffmpeg CLI of the imageio-ffmpeg wheel (``-loop 1`` per photo, scale and
  crop, concat, the same x264 settings).
- ``moviepy``: moviepy 2.x ``ImageClip`` per photo, resized and cropped.

Usage::

    python bench/bench_stills.py                         # 12 MP and 48 MP, real and generated
    python bench/bench_stills.py --mp 48 --media real --baseline /tmp/wt-before --repeat 2
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

W, H, FPS, HOLD = 1080, 1920, 30, 3.0
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "media"
REAL = ["video/faces_video.mp4", "video/big_buck_bunny_0_30.webm", "video/chaplin.mp4"]
SONG = "music/Karissa_Hobbs_-_Lets_Go_Fishin.ogg"
SIZES = {12: (4032, 3024), 48: (8064, 6048)}


def make_photos(media: str, mp: int) -> list[str]:
    """Three JPEGs of ``mp`` megapixels stored landscape with EXIF orientation 6."""
    import cv2
    import numpy as np
    from PIL import Image

    folder = common.MEDIA / "stills"
    folder.mkdir(parents=True, exist_ok=True)
    w, h = SIZES[mp]
    out = []
    for k in range(3):
        path = folder / f"{media}-{mp}mp-{k}.jpg"
        if not path.exists():
            if media == "real":
                import av

                with av.open(str(SHARED / REAL[k])) as c:
                    frame = next(f for i, f in enumerate(c.decode(video=0)) if i == 20).to_ndarray(format="rgb24")
                fh, fw = frame.shape[:2]
                cw = min(fw, int(fh * 4 / 3))  # the 4:3 middle of the frame
                frame = frame[:, (fw - cw) // 2 : (fw - cw) // 2 + cw]
                picture = cv2.resize(frame, (w, h), interpolation=cv2.INTER_CUBIC)
            else:
                rng = np.random.default_rng(k)
                yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
                base = np.dstack([xx / w * 255, yy / h * 255, (xx + yy) / (w + h) * 255])
                picture = np.clip(base + rng.normal(0, 12, (h, w, 1)), 0, 255).astype(np.uint8)
            pic = Image.fromarray(picture)
            exif = pic.getexif()
            exif[0x0112] = 6
            pic.save(path, exif=exif, quality=90)
        out.append(str(path))
    return out


# -- variants (inside a child) ----------------------------------------------------------
def run_clipkit(out: str, photos: list[str]) -> None:
    import clipkit as ck

    shots = [ck.image(p, duration=HOLD) for p in photos]
    edit = ck.sequence(shots, canvas=ck.Canvas(W, H, FPS), fit="cover").with_music(ck.audio(str(SHARED / SONG)), start=10.0, fade_out=1.0)
    result = edit.render(out, profile="tiktok", profile_stages=True)
    common.report_self(frames=result.frames, clipkit=ck.__file__, stages={row.name: round(row.cpu_ms, 2) for row in result.stages.rows if row.cpu_ms > 0.05})


def ffmpeg_argv(out: str, photos: list[str]) -> list[str]:
    x = common.X264
    argv = [common.ffmpeg_exe(), "-v", "error", "-y"]
    for p in photos:
        argv += ["-loop", "1", "-framerate", str(FPS), "-t", str(HOLD), "-i", p]
    argv += ["-ss", "10", "-i", str(SHARED / SONG)]
    parts = "".join(f"[{i}:v]scale={W}:{H}:force_original_aspect_ratio=increase,crop={W}:{H},setsar=1,format=yuv420p[v{i}];" for i in range(len(photos)))
    concat = "".join(f"[v{i}]" for i in range(len(photos))) + f"concat=n={len(photos)}:v=1:a=0[v]"
    seconds = HOLD * len(photos)
    argv += ["-filter_complex", parts + concat + f";[{len(photos)}:a]afade=t=out:st={seconds - 1}:d=1[a]", "-map", "[v]", "-map", "[a]", "-t", str(seconds)]
    argv += ["-c:v", "libx264", "-preset", x["preset"], "-crf", str(x["crf"]), "-maxrate", f"{x['maxrate_kbps']}k", "-bufsize", f"{x['bufsize_kbps']}k",
             "-g", str(x["gop"]), "-keyint_min", str(x["keyint_min"]), "-profile:v", "high", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", "-ar", "48000", out]
    return argv


def run_moviepy(out: str, photos: list[str]) -> None:
    import numpy as np
    from moviepy import AudioFileClip, ImageClip, concatenate_videoclips
    from moviepy.audio.fx import AudioFadeOut
    from PIL import Image, ImageOps

    parts = []
    for p in photos:
        with Image.open(p) as im:
            upright = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))  # moviepy does not read EXIF
        clip = ImageClip(upright, duration=HOLD)
        w, h = clip.size
        s = max(W / w, H / h)
        clip = clip.resized(s)
        parts.append(clip.cropped(x_center=clip.w / 2, y_center=clip.h / 2, width=W, height=H))
    video = concatenate_videoclips(parts)
    song = AudioFileClip(str(SHARED / SONG)).subclipped(10.0, 10.0 + video.duration).with_effects([AudioFadeOut(1.0)])
    x = common.X264
    video.with_audio(song).write_videofile(out, fps=FPS, codec="libx264", preset=x["preset"], audio_codec="aac", logger=None,
                                           ffmpeg_params=["-crf", str(x["crf"]), "-maxrate", f"{x['maxrate_kbps']}k", "-bufsize", f"{x['bufsize_kbps']}k"])
    common.report_self(frames=int(round(video.duration * FPS)))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--media", choices=["real", "generated", "both"], default="both")
    ap.add_argument("--mp", type=int, choices=sorted(SIZES), action="append", help="photo size in megapixels (repeatable; default 12 and 48)")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--baseline", metavar="CHECKOUT", help="also render with another clipkit checkout")
    ap.add_argument("--no-moviepy", action="store_true")
    ap.add_argument("--child", nargs=3, metavar=("VARIANT", "OUT", "PHOTOS"), help=argparse.SUPPRESS)
    ap.add_argument("--make", nargs=2, metavar=("MEDIA", "MP"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.make:
        print(json.dumps(make_photos(args.make[0], int(args.make[1]))))
        return 0
    if args.child:
        variant, out, photos = args.child
        {"clipkit": run_clipkit, "moviepy": run_moviepy}[variant](out, json.loads(photos))
        return 0
    medias = ["real", "generated"] if args.media == "both" else [args.media]
    sizes = args.mp or [12, 48]
    frames = int(round(HOLD * FPS)) * 3
    work = common.MEDIA / "stills-out"
    work.mkdir(parents=True, exist_ok=True)
    print(f"{os.cpu_count()} cores; 3 photos x {HOLD:g} s -> {W}x{H} {FPS} fps, cover fit, music; medians of {args.repeat} interleaved run(s)")
    for media in medias:
        for mp in sizes:
            # made in a child: the parent's own peak (GBs for a 48 MP float picture) would
            # otherwise be the measured children's starting high-water mark
            made = subprocess.run([sys.executable, __file__, "--make", media, str(mp)], check=True, capture_output=True, text=True)
            photos = json.loads(made.stdout.strip().splitlines()[-1])
            variants: list[tuple[str, list[str], dict[str, str] | None]] = []
            me = [sys.executable, __file__, "--child", "clipkit", str(work / "clipkit.mp4"), json.dumps(photos)]
            variants.append(("clipkit", me, None))
            if args.baseline:
                variants.append(("baseline", [sys.executable, __file__, "--child", "clipkit", str(work / "baseline.mp4"), json.dumps(photos)],
                                 {"PYTHONPATH": str(Path(args.baseline).resolve())}))
            variants.append(("ffmpeg", ffmpeg_argv(str(work / "ffmpeg.mp4"), photos), None))
            if not args.no_moviepy:
                variants.append(("moviepy", [sys.executable, __file__, "--child", "moviepy", str(work / "moviepy.mp4"), json.dumps(photos)], None))
            runs: dict[str, list[common.Run]] = {name: [] for name, _, _ in variants}
            for _ in range(args.repeat):
                for name, argv, env in variants:
                    runs[name].append(common.measure(name, argv, frames=frames, env=env))
            if args.baseline and not str(runs["baseline"][0].info.get("clipkit", "")).startswith(str(Path(args.baseline).resolve())):
                raise SystemExit(f"the baseline run imported clipkit from {runs['baseline'][0].info.get('clipkit')}, not {args.baseline}")
            mine = runs["clipkit"]
            ref_wall = statistics.median(r.wall for r in mine)
            ref_cpu = statistics.median(r.cpu for r in mine)
            rows = [["variant", "wall s", "CPU s", "peak RSS MB", "wall / clipkit", "CPU / clipkit"]]
            for name, rs in runs.items():
                wall, cpu, rss = statistics.median(r.wall for r in rs), statistics.median(r.cpu for r in rs), statistics.median(r.peak_rss_mb for r in rs)
                rows.append([name, f"{wall:.2f}", f"{cpu:.1f}", f"{rss:.0f}", f"{wall / ref_wall:.2f}", f"{cpu / ref_cpu:.2f}"])
            print(f"\n[{media}, {mp} MP photos ({SIZES[mp][0]}x{SIZES[mp][1]})]")
            print(common.table(rows))
            stages = mine[-1].info.get("stages") or {}
            print("clipkit CPU ms/frame by stage (last run): " + ", ".join(f"{k} {v}" for k, v in stages.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
