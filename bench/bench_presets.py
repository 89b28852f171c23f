"""The x264 preset curve behind the upload profiles.

Encodes the same 1080x1920 frames with every preset from ``ultrafast`` to ``medium``
at several CRFs (the profile's maxrate/bufsize cap applied), measures encode time,
file size and SSIM against the unencoded frames, then interpolates each preset to the
same quality (the SSIM of ``veryfast`` at CRF 23) and prints time and size there.

    python bench/bench_presets.py [--frames 90]

The frames are half a detailed handheld-like scene (multi-octave texture, hard edges and
thin lines under a wandering pan and slow zoom, with light sensor noise: the detail and
sub-pixel motion phone footage has) and half smooth (the demo clip upscaled), made once
and kept in memory, so the figures are encode time only. A preset that cannot reach the reference quality at any measured CRF is reported
as such rather than extrapolated.
"""

from __future__ import annotations

import argparse
import io
import math
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
CRFS = [17, 19, 21, 23, 25, 27, 29]
W, H = 1080, 1920


def _texture(h: int, w: int, rng: np.random.Generator, *, octaves: int = 8, persistence: float = 0.8) -> np.ndarray:
    """Multi-octave value noise in [0, 1]: detail at every scale, as in natural scenes."""
    out = np.zeros((h, w), np.float32)
    total = 0.0
    for k in range(octaves):
        cells = 2 ** (k + 2)
        small = rng.random((max(2, h * cells // w), cells)).astype(np.float32)
        out += cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC) * persistence**k
        total += persistence**k
    out /= total
    return (out - out.min()) / max(1e-6, float(np.ptp(out)))


def scene_frames(n: int, seed: int = 0) -> list[np.ndarray]:
    """A detailed scene (textures, hard edges, thin lines) filmed handheld: a wandering
    pan with a slow zoom (sub-pixel motion, as real footage has) and light sensor noise."""
    rng = np.random.default_rng(seed)
    bh, bw = H + 300, W + 300
    luma = 30 + 190 * _texture(bh, bw, rng)
    for _ in range(80):
        x0, y0 = int(rng.integers(0, bw - 40)), int(rng.integers(0, bh - 40))
        ww, hh = int(rng.integers(10, 200)), int(rng.integers(10, 200))
        cv2.rectangle(luma, (x0, y0), (x0 + ww, y0 + hh), float(rng.integers(20, 235)), int(rng.choice([-1, 2, 3])))
    for _ in range(40):
        p = rng.integers(0, [bw, bh], size=(2, 2))
        cv2.line(luma, (int(p[0, 0]), int(p[0, 1])), (int(p[1, 0]), int(p[1, 1])), float(rng.integers(20, 235)), int(rng.integers(1, 4)), cv2.LINE_AA)
    u_big = 128 + 50 * (_texture(bh // 2, bw // 2, rng, persistence=0.7) - 0.5)
    v_big = 128 + 50 * (_texture(bh // 2, bw // 2, rng, persistence=0.7) - 0.5)
    frames = []
    for i in range(n):
        z = 1.0 + 0.04 * i / max(1, n)
        cx, cy = bw / 2 + 90 * math.sin(i / 23), bh / 2 + 70 * math.cos(i / 29)
        m = np.array([[z, 0, W / 2 - z * cx], [0, z, H / 2 - z * cy]], np.float32)
        mc = m.copy()
        mc[:, 2] /= 2
        yp = cv2.warpAffine(luma, m, (W, H), flags=cv2.INTER_LINEAR) + rng.normal(0, 0.8, (H, W)).astype(np.float32)
        u = cv2.warpAffine(u_big, mc, (W // 2, H // 2), flags=cv2.INTER_LINEAR)
        v = cv2.warpAffine(v_big, mc, (W // 2, H // 2), flags=cv2.INTER_LINEAR)
        planes = [np.clip(p, 16, 235).astype(np.uint8) for p in (yp, u, v)]
        frames.append(np.concatenate([planes[0], planes[1].reshape(-1, W), planes[2].reshape(-1, W)]))
    return frames


def load_frames(n: int) -> list[np.ndarray]:
    frames = scene_frames(n // 2)
    smooth = Path(__file__).resolve().parent.parent / "samples" / "portrait.mp4"
    with av.open(str(smooth)) as ic:
        for k, f in enumerate(ic.decode(video=0)):
            if len(frames) >= n:
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
        if scores.max() < target:
            eq[preset] = (float("nan"), float("nan"), float("nan"))
            continue
        # quality falls as CRF rises: find the largest CRF still at the target quality
        k = int(np.nonzero(scores >= target)[0].max())
        if k + 1 < len(crfs):
            f = (scores[k] - target) / max(1e-12, scores[k] - scores[k + 1])
            crf_eq = float(crfs[k] + f * (crfs[k + 1] - crfs[k]))
        else:
            crf_eq = float(crfs[k])
        wall_eq = float(np.interp(crf_eq, crfs, walls))
        size_eq = float(np.exp(np.interp(crf_eq, crfs, np.log(sizes))))
        eq[preset] = (crf_eq, wall_eq, size_eq)
    vf = eq["veryfast"]
    for preset, (c, w, s) in eq.items():
        if math.isnan(c):
            rows.append([preset, f"> {CRFS[0]} (not reached)", "-", "-", "-", "-"])
            continue
        rows.append([preset, f"{c:.1f}", f"{w:.2f}", f"{s / 2**20:.2f}", f"{w / vf[1]:.2f}", f"{s / vf[2]:.2f}"])
    print(common.table(rows))


if __name__ == "__main__":
    main()
