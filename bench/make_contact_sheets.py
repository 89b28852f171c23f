"""Before/after contact sheets on real footage: beauty, every look, duet framing, face stickers.

    python bench/make_contact_sheets.py [--out bench/results/sheets] [--looks film teal_orange]

Beauty and the looks go through ``clipkit preview`` (the preset author's own tool) on the
real clips in ../shared/media/video. Duet framing (centre crop above, subject-aware below)
and face stickers (one per face) are rendered with the public API and laid out the same
way. The sheets are PNGs of a few hundred kB each, written under ``bench/results/``, which
git ignores: make them again rather than committing them.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import clipkit as ck  # noqa: E402
from clipkit.effects import look_names  # noqa: E402
from clipkit.overlays.faces import FaceSticker  # noqa: E402

MEDIA = HERE.parent.parent / "shared" / "media" / "video"


def _preview(name: str, clip: Path, out: Path, *, extra: list[str] | None = None) -> None:
    cmd = [sys.executable, "-m", "clipkit.cli.main", "preview", name, "--input", str(clip), "--duration", "3", "--frames", "4", "-o", str(out)]
    subprocess.run(cmd + (extra or []), check=True)


def _strip(frames: list, columns: int, width: int) -> np.ndarray:
    picks = [frames[int(i)] for i in np.linspace(0, len(frames) - 1, columns)]
    tiles = []
    for f in picks:
        rgb = f.to_rgb()
        s = width / rgb.shape[1]
        tiles.append(cv2.resize(rgb, (width, int(round(rgb.shape[0] * s))), interpolation=cv2.INTER_AREA))
    return np.hstack(tiles)


def _label(img: np.ndarray, text: str) -> np.ndarray:
    bar = np.full((28, img.shape[1], 3), 24, np.uint8)
    cv2.putText(bar, text, (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (240, 240, 240), 1, cv2.LINE_AA)
    return np.vstack([bar, img])


def duet_sheet(out: Path) -> None:
    a = ck.open(str(MEDIA / "chaplin.mp4")).trim(3.0, 6.0)
    b = ck.open(str(MEDIA / "faces_video.mp4")).trim(0.0, 3.0)
    rows = []
    for fit, label in (("center", "fit: center (the old centre crop)"), ("cover", "fit: cover (subject-aware: the shapes differ by > 1.2x)")):
        edit = ck.sequence([ck.duet(a, b, fit=fit)], canvas=ck.Canvas(540, 480, 25))
        rows.append(_label(_strip(list(edit.frames()), 4, 320), label))
    cv2.imwrite(str(out), cv2.cvtColor(np.vstack(rows), cv2.COLOR_RGB2BGR))


def sticker_sheet(out: Path) -> None:
    hat = np.zeros((60, 80, 4), np.uint8)
    cv2.ellipse(hat, (40, 40), (38, 18), 0, 180, 360, (230, 40, 160, 255), -1)
    cv2.rectangle(hat, (2, 38), (78, 46), (250, 220, 40, 255), -1)
    rows = []
    for name, span in (("faces_video.mp4", (0.0, 4.0)), ("chaplin.mp4", (2.0, 9.0)), ("carphone_pristine.mp4", (0.0, 4.0))):
        clip = ck.open(str(MEDIA / name)).trim(*span)
        info = clip.source.display_size or (640, 360)
        w = 640
        h = int(round(w * info[1] / info[0] / 2)) * 2
        edit = ck.sequence([clip], canvas=ck.Canvas(w, h, 25), fit="center").with_overlay(FaceSticker(hat, every_face=True, size=0.9, offset=(0.0, -0.75)))
        rows.append(_label(_strip(list(edit.frames()), 4, 320), f"{name}: a sticker on every face (CNN detector, tracked)"))
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0))) for r in rows]
    cv2.imwrite(str(out), cv2.cvtColor(np.vstack(rows), cv2.COLOR_RGB2BGR))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "results" / "sheets")
    parser.add_argument("--looks", nargs="*", help="only these looks (default: every look)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    faces = MEDIA / "faces_video.mp4"
    _preview("beauty", MEDIA / "carphone_pristine.mp4", args.out / "beauty_carphone.png", extra=["--set", "strength=0.8"])
    _preview("beauty", faces, args.out / "beauty_faces_video.png", extra=["--set", "strength=0.8"])
    for name in args.looks or look_names():
        _preview(name, faces, args.out / f"look_{name}.png")
    duet_sheet(args.out / "duet_framing.png")
    sticker_sheet(args.out / "face_stickers.png")
    print(f"wrote {len(list(args.out.glob('*.png')))} sheets to {args.out}")


if __name__ == "__main__":
    main()
