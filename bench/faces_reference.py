"""Reference face boxes for the real clips in ../shared/media/video (for bench_faces.py).

How the reference is made (no clip comes with face annotations):

1. Each sampled frame is searched at full resolution (at most 1280 pixels wide) by four
   detectors: the CNN (MTCNN) on the frame, the CNN on the mirrored frame (a different
   pyramid alignment, so not the same answer twice), OpenCV's frontal Haar cascade and its
   profile cascade (both orientations), the cascades with a permissive ``minNeighbors=3``.
2. Boxes that overlap (IoU >= 0.3) are merged; a face enters the reference when at least
   two of the four agree, so neither detector alone decides what a face is.
3. The result was checked by eye on the contact sheets this script writes
   (``--sheets DIR``: every sampled frame with its reference boxes); see docs/faces.md for
   what the check found.

The analysis the bench measures runs at the pipeline's own settings (480 pixels wide,
every few frames), not at these, so the reference is stricter than what is measured.

Writes ``bench/faces_reference.json``: per clip, the sampled frame indices and their boxes
``[x, y, w, h]`` in source pixels.

Run: python bench/faces_reference.py [--sheets /tmp/sheets]
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import av
import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from clipkit.vision.detector import CNNFaceDetector, FaceBox  # noqa: E402

MEDIA = HERE.parent.parent / "shared" / "media" / "video"
CLIPS = {
    # clip: every n-th frame
    "carphone_pristine.mp4": 1,
    "chaplin.mp4": 2,
    "faces_video.mp4": 3,
}
OUT = HERE / "faces_reference.json"


def decode(path: Path, step: int) -> list[tuple[int, np.ndarray]]:
    out = []
    with av.open(str(path)) as c:
        for k, f in enumerate(c.decode(video=0)):
            if k % step == 0:
                out.append((k, f.to_ndarray(format="rgb24")))
    return out


def _iou(a: FaceBox, b: FaceBox) -> float:
    return a.iou(b)


def reference_boxes(rgb: np.ndarray, cnn: CNNFaceDetector, frontal: cv2.CascadeClassifier, profile: cv2.CascadeClassifier) -> list[list[float]]:
    h, w = rgb.shape[:2]
    k = min(1.0, 1280 / w)
    img = cv2.resize(rgb, (int(w * k), int(h * k)), interpolation=cv2.INTER_AREA) if k < 1 else rgb
    iw = img.shape[1]
    grey = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    votes: list[list[FaceBox]] = []
    votes.append(list(cnn(img)))
    mirrored = cnn(np.ascontiguousarray(img[:, ::-1]))
    votes.append([FaceBox(iw - b.x - b.w, b.y, b.w, b.h, b.score) for b in mirrored])
    side = 12
    votes.append([FaceBox(*map(float, r)) for r in np.asarray(frontal.detectMultiScale(grey, 1.1, 3, minSize=(side, side))).reshape(-1, 4)])
    prof = [FaceBox(*map(float, r)) for r in np.asarray(profile.detectMultiScale(grey, 1.1, 3, minSize=(side, side))).reshape(-1, 4)]
    flipped = np.asarray(profile.detectMultiScale(np.ascontiguousarray(grey[:, ::-1]), 1.1, 3, minSize=(side, side))).reshape(-1, 4)
    prof += [FaceBox(float(iw - x - bw), float(y), float(bw), float(bh)) for x, y, bw, bh in flipped]
    votes.append(prof)
    clusters: list[tuple[FaceBox, set[int]]] = []
    for method, boxes in enumerate(votes):
        for b in boxes:
            for i, (c, who) in enumerate(clusters):
                if _iou(c, b) >= 0.3:
                    # a CNN box (methods 0, 1) gives the cluster its shape: tighter than a cascade's
                    clusters[i] = (b if method <= 1 and not who & {0, 1} else c, who | {method})
                    break
            else:
                clusters.append((b, {method}))
    keep = [c for c, who in clusters if len(who) >= 2]
    return [[round(b.x / k, 1), round(b.y / k, 1), round(b.w / k, 1), round(b.h / k, 1)] for b in keep]


def sheet(frames: list[tuple[int, np.ndarray]], boxes: dict[int, list[list[float]]], path: Path, *, per_row: int = 8, width: int = 240) -> None:
    tiles = []
    for k, rgb in frames:
        img = rgb.copy()
        for x, y, w, h in boxes.get(k, []):
            cv2.rectangle(img, (int(x), int(y)), (int(x + w), int(y + h)), (255, 40, 40), max(1, img.shape[1] // 300))
        s = width / img.shape[1]
        tile = cv2.resize(img, (width, int(img.shape[0] * s)), interpolation=cv2.INTER_AREA)
        cv2.putText(tile, str(k), (3, 12), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 0), 1)
        tiles.append(tile)
    rows = []
    for i in range(0, len(tiles), per_row):
        row = tiles[i : i + per_row]
        row += [np.zeros_like(tiles[0])] * (per_row - len(row))
        rows.append(np.hstack(row))
    cv2.imwrite(str(path), cv2.cvtColor(np.vstack(rows), cv2.COLOR_RGB2BGR))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=Path, help="write contact sheets with the boxes here, for checking by eye")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    cnn = CNNFaceDetector(min_size=0.008, score_threshold=0.8)
    frontal = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    profile = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_profileface.xml")
    data = {}
    for name, step in CLIPS.items():
        path = MEDIA / name
        if not path.is_file():
            print(f"skipped {name}: not in {MEDIA}")
            continue
        frames = decode(path, step)
        boxes = {k: reference_boxes(rgb, cnn, frontal, profile) for k, rgb in frames}
        data[name] = {"step": step, "size": list(frames[0][1].shape[1::-1]), "frames": {str(k): b for k, b in boxes.items()}}
        with_faces = sum(1 for b in boxes.values() if b)
        print(f"{name}: {len(frames)} frames sampled, {with_faces} with faces, {sum(len(b) for b in boxes.values())} boxes")
        if args.sheets:
            args.sheets.mkdir(parents=True, exist_ok=True)
            sheet(frames[:: max(1, len(frames) // 40)], boxes, args.sheets / f"{Path(name).stem}.png")
    OUT.write_text(json.dumps(data, indent=None, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
