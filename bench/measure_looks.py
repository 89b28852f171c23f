"""How much each look changes real footage, and how different the looks are from each other.

For every look at strength 1.0, on frames of the real clips in ../shared/media/video:

- ``dE``: mean CIEDE2000 colour difference between the plain frame and the graded one
  (about 1: just visible side by side; 2-10: clearly visible; above 10: a strong grade);
- ``nearest``: the look whose result is closest (mean CIEDE2000 between the two graded
  frames) and that distance: a look must differ from its neighbours, not only from the
  plain picture;
- ``skin``: for ``teal_orange`` and the warm/cool looks, the mean hue shift of skin pixels
  (faces found by the CNN detector) towards orange, and of shadows towards teal.

Run: python bench/measure_looks.py [--frames N]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import av
import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import clipkit  # noqa: E402
from clipkit.effects import look, look_names  # noqa: E402
from clipkit.frame import Frame  # noqa: E402
from clipkit.nodes import FrameTime, RenderContext  # noqa: E402

MEDIA = HERE.parent.parent / "shared" / "media" / "video"
CLIPS = ("faces_video.mp4", "carphone_pristine.mp4", "big_buck_bunny_0_30.webm", "chaplin.mp4")


def ciede2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """CIEDE2000 per pixel between two CIELAB images (L 0..100)."""
    L1, a1, b1 = lab1[..., 0], lab1[..., 1], lab1[..., 2]
    L2, a2, b2 = lab2[..., 0], lab2[..., 1], lab2[..., 2]
    C1, C2 = np.hypot(a1, b1), np.hypot(a2, b2)
    Cm = (C1 + C2) / 2
    G = 0.5 * (1 - np.sqrt(Cm**7 / (Cm**7 + 25.0**7)))
    a1p, a2p = (1 + G) * a1, (1 + G) * a2
    C1p, C2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    dLp = L2 - L1
    dCp = C2p - C1p
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(C1p * C2p == 0, 0, dh)
    dHp = 2 * np.sqrt(C1p * C2p) * np.sin(np.radians(dh / 2))
    Lpm = (L1 + L2) / 2
    Cpm = (C1p + C2p) / 2
    hsum = h1p + h2p
    hpm = np.where(C1p * C2p == 0, hsum, np.where(np.abs(h1p - h2p) <= 180, hsum / 2, np.where(hsum < 360, (hsum + 360) / 2, (hsum - 360) / 2)))
    T = 1 - 0.17 * np.cos(np.radians(hpm - 30)) + 0.24 * np.cos(np.radians(2 * hpm)) + 0.32 * np.cos(np.radians(3 * hpm + 6)) - 0.20 * np.cos(np.radians(4 * hpm - 63))
    dtheta = 30 * np.exp(-(((hpm - 275) / 25) ** 2))
    Rc = 2 * np.sqrt(Cpm**7 / (Cpm**7 + 25.0**7))
    Sl = 1 + 0.015 * (Lpm - 50) ** 2 / np.sqrt(20 + (Lpm - 50) ** 2)
    Sc = 1 + 0.045 * Cpm
    Sh = 1 + 0.015 * Cpm * T
    Rt = -np.sin(np.radians(2 * dtheta)) * Rc
    return np.sqrt((dLp / Sl) ** 2 + (dCp / Sc) ** 2 + (dHp / Sh) ** 2 + Rt * (dCp / Sc) * (dHp / Sh))


def lab(frame: Frame) -> np.ndarray:
    rgb = frame.to_rgb().astype(np.float32) / 255.0
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab)


def sample_frames(count: int) -> list[tuple[str, Frame]]:
    out = []
    for name in CLIPS:
        path = MEDIA / name
        if not path.is_file():
            continue
        with av.open(str(path)) as c:
            stream = c.streams.video[0]
            seconds = float(c.duration) / 1e6 if c.duration else 4.0
            total = stream.frames or int(seconds * float(stream.average_rate or 25))
            wanted = set(np.linspace(0, max(0, total - 2), count).astype(int).tolist())
            frames = []
            for k, f in enumerate(c.decode(stream)):
                if k in wanted:
                    frames.append(f.to_ndarray(format="rgb24"))
                if k >= max(wanted):
                    break
        for rgb in frames:
            h, w = rgb.shape[:2]
            if w > 640:  # the grade is per pixel: a 640-pixel copy measures the same
                rgb = cv2.resize(rgb, (640, int(round(h * 640 / w / 2)) * 2), interpolation=cv2.INTER_AREA)
            h, w = rgb.shape[:2]
            rgb = rgb[: h // 2 * 2, : w // 2 * 2]
            out.append((name, Frame.from_rgb(np.ascontiguousarray(rgb))))
    return out


def grade(name: str, frame: Frame) -> Frame:
    ctx = RenderContext(width=frame.width, height=frame.height, fps=30, scale=1.0, total_frames=1, seed=0)
    bound = look(name, strength=1.0).bind(ctx)
    return bound(frame.copy(), FrameTime(index=0, t=0.0, local_index=0, local_t=0.0, duration=1.0))


def skin_shift(plain: Frame, graded: Frame) -> tuple[float, float] | None:
    """(skin hue shift toward orange, shadow shift toward teal) in CIELAB degrees / units."""
    from clipkit.vision import default_face_detector, detect_faces

    faces = detect_faces(default_face_detector(), plain.y, plain.u, plain.v, width=640)
    if not faces:
        return None
    a, b = lab(plain), lab(graded)
    mask = np.zeros(plain.y.shape, bool)
    for f in faces:
        x0, y0 = int(f.x + 0.25 * f.w), int(f.y + 0.45 * f.h)
        mask[y0 : int(y0 + 0.3 * f.h), x0 : int(x0 + 0.5 * f.w)] = True
    orange = np.array([0.55, 0.84])  # direction of orange on the (a*, b*) plane (hue ~57 degrees)
    teal = np.array([-0.6, -0.3]) / np.hypot(0.6, 0.3)
    skin = float(np.mean((b[..., 1:][mask] - a[..., 1:][mask]) @ orange))
    shadow = a[..., 0] < 25
    sh = float(np.mean((b[..., 1:][shadow] - a[..., 1:][shadow]) @ teal)) if shadow.any() else float("nan")
    return skin, sh


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=3, help="frames per clip")
    parser.add_argument("--write", action="store_true", help="save the figures to presets/looks/measured.json (docs/effects.md shows them)")
    parser.add_argument("--looks", nargs="*", help="only these looks (their nearest neighbour is still searched among all)")
    args = parser.parse_args()
    frames = sample_frames(args.frames)
    names = look_names()
    plain_lab = [lab(f) for _, f in frames]
    graded = {n: [grade(n, f) for _, f in frames] for n in names}
    graded_lab = {n: [lab(g) for g in gs] for n, gs in graded.items()}
    print(f"clipkit {clipkit.__version__}; {len(frames)} frames of {', '.join(sorted({c for c, _ in frames}))}; looks at strength 1.0")
    print(f"{'look':20s} {'dE2000':>7s} {'nearest look':>26s} {'skin->orange':>13s} {'shadow->teal':>13s}")
    rows = []
    for n in args.looks or names:
        de = float(np.mean([ciede2000(p, g).mean() for p, g in zip(plain_lab, graded_lab[n])]))
        near, dist = "", float("inf")
        for m in names:
            if m == n:
                continue
            d = float(np.mean([ciede2000(g1, g2).mean() for g1, g2 in zip(graded_lab[n], graded_lab[m])]))
            if d < dist:
                near, dist = m, d
        shifts = [s for (clip, f), g in zip(frames, graded[n]) if clip in ("faces_video.mp4", "carphone_pristine.mp4") for s in [skin_shift(f, g)] if s is not None]
        skin = f"{np.mean([s[0] for s in shifts]):+.1f}" if shifts else "-"
        shadow = f"{np.nanmean([s[1] for s in shifts]):+.1f}" if shifts else "-"
        rows.append((n, de, near, dist))
        print(f"{n:20s} {de:7.1f} {near:>18s} {dist:6.1f} {skin:>13s} {shadow:>13s}")
    if args.write and not args.looks:
        import json

        data = {
            "source": f"on {len(frames)} frames of {', '.join(sorted({c for c, _ in frames}))} (../shared/media)",
            "looks": {n: {"de2000": round(de, 1), "nearest": near, "nearest_de2000": round(dist, 1)} for n, de, near, dist in rows},
        }
        target = HERE.parent / "presets" / "looks" / "measured.json"
        target.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {target}")
    weakest = min(rows, key=lambda r: r[1])
    closest = min(rows, key=lambda r: r[3])
    print(f"weakest look: {weakest[0]} (dE {weakest[1]:.1f}); closest pair: {closest[0]} ~ {closest[2]} (dE {closest[3]:.1f})")


if __name__ == "__main__":
    main()
