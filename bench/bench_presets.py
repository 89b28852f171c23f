"""The x264 preset curve behind the upload profiles.

Encodes the same 1080x1920 frames with every preset from ``ultrafast`` to ``medium``
at several CRFs (the profile's maxrate/bufsize cap applied), measures encode time,
file size and SSIM against the unencoded frames, then interpolates each preset to the
same quality (the SSIM of ``veryfast`` at CRF 23) and prints time and size there.

    python bench/bench_presets.py [--frames 90]

The frames are half textured (noise, fine gradients: hard to compress) and half
smooth (the demo clips upscaled: phone-like), decoded once and kept in memory, so the
figures are encode time only.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

PRESETS = ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium"]
CRFS = [19, 23, 27]
W, H = 1080, 1920


def load_frames(n: int) -> list[np.ndarray]:
    textured = common.make_clip(common.MEDIA / f"clip0_{W}x{H}.mp4", width=W, height=H, seconds=8, seed=0)
    smooth = Path(__file__).resolve().parent.parent / "samples" / "portrait.mp4"
    frames: list[np.ndarray] = []
    for path, count in ((textured, n // 2), (smooth, n - n // 2)):
        with av.open(str(path)) as ic:
            for k, f in enumerate(ic.decode(video=0)):
                if k >= count:
                    break
                f = f.reformat(width=W, height=H, format="yuv420p", interpolation="BICUBIC")
                frames.append(f.to_ndarray())
    return frames


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM of two luma planes (Gaussian window, sigma 1.5; Wang et al. 2004)."""
    a = a.astype(np.float32)
    b = b.astype(np.float32)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    blur = lambda x: cv2.GaussianBlur(x, (11, 11), 1.5)  # noqa: E731
    mu_a, mu_b = blur(a), blur(b)
    saa = blur(a * a) - mu_a * mu_a
    sbb = blur(b * b) - mu_b * mu_b
    sab = blur(a * b) - mu_a * mu_b
    num = (2 * mu_a * mu_b + c1) * (2 * sab + c2)
    den = (mu_a * mu_a + mu_b * mu_b + c1) * (saa + sbb + c2)
    return float((num / den).mean())


def encode(frames: list[np.ndarray], preset: str, crf: int) -> tuple[float, int, float]:
    buf = io.BytesIO()
    oc = av.open(buf, "w", format="mp4")
    vs = oc.add_stream("libx264", rate=30)
    vs.width, vs.height, vs.pix_fmt = W, H, "yuv420p"
    vs.codec_context.thread_type = "FRAME"
    vs.codec_context.gop_size = 60
    vs.options = {"preset": preset, "crf": str(crf), "maxrate": "8000k", "bufsize": "16000k", "profile": "high"}
    t = time.perf_counter()
    for i, arr in enumerate(frames):
        f = av.VideoFrame.from_numpy_buffer(arr, format="yuv420p")
        f.pts = i
        f.time_base = Fraction(1, 30)
        oc.mux(vs.encode(f))
    oc.mux(vs.encode(None))
    wall = time.perf_counter() - t
    oc.close()
    data = buf.getvalue()
    scores = []
    with av.open(io.BytesIO(data)) as ic:
        for k, f in enumerate(ic.decode(video=0)):
            scores.append(ssim(f.to_ndarray()[:H], frames[k][:H]))
    return wall, len(data), float(np.mean(scores))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=90)
    args = ap.parse_args()
    frames = load_frames(args.frames)
    results: dict[str, list[tuple[int, float, int, float]]] = {}
    rows = [["preset", "crf", "encode s", "fps", "size MB", "SSIM"]]
    for preset in PRESETS:
        for crf in CRFS:
            wall, size, score = encode(frames, preset, crf)
            results.setdefault(preset, []).append((crf, wall, size, score))
            rows.append([preset, str(crf), f"{wall:.2f}", f"{len(frames) / wall:.1f}", f"{size / 2**20:.2f}", f"{score:.4f}"])
    print(f"{len(frames)} frames {W}x{H}; cap 8 Mb/s; nproc 2")
    print(common.table(rows))
    target = np.interp(23, [r[0] for r in results["veryfast"]], [r[3] for r in results["veryfast"]])
    print(f"\nAt equal quality (SSIM {target:.4f}, that of veryfast CRF 23):")
    rows = [["preset", "CRF needed", "encode s", "size MB", "time / veryfast", "size / veryfast"]]
    eq: dict[str, tuple[float, float, float]] = {}
    for preset, rs in results.items():
        crfs = np.array([r[0] for r in rs], float)
        walls = np.array([r[1] for r in rs])
        sizes = np.array([r[2] for r in rs], float)
        scores = np.array([r[3] for r in rs])
        order = np.argsort(scores)
        crf_eq = float(np.interp(target, scores[order], crfs[order]))
        wall_eq = float(np.interp(crf_eq, crfs, walls))
        size_eq = float(np.exp(np.interp(crf_eq, crfs, np.log(sizes))))
        eq[preset] = (crf_eq, wall_eq, size_eq)
    vf = eq["veryfast"]
    for preset, (c, w, s) in eq.items():
        rows.append([preset, f"{c:.1f}", f"{w:.2f}", f"{s / 2**20:.2f}", f"{w / vf[1]:.2f}", f"{s / vf[2]:.2f}"])
    print(common.table(rows))


if __name__ == "__main__":
    main()
