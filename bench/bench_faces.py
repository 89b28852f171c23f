"""Faces and framing on real footage: detector recall and cost, sticker tracking, crops, beauty.

    python bench/bench_faces.py                 # every section
    python bench/bench_faces.py --detector      # recall vs Haar, ms per analysed frame
    python bench/bench_faces.py --stickers      # sticker presence, jumps to another person
    python bench/bench_faces.py --framing       # face-in-crop: duet cells and 9:16 reframe
    python bench/bench_faces.py --beauty        # skin detail removed, edge detail kept
    python bench/bench_faces.py --cost          # face analysis as a share of a render

Reference faces come from ``bench/faces_reference.json`` (``bench/faces_reference.py``
says how it was made: four detectors at full resolution, two must agree, checked by
eye). The pipeline is measured at its own settings (480-pixel analysis, every few
frames). Timings: the machine is shared, so each figure is a median of repeats and the
ratios are measured side by side in one run.

Targets (issue 12): face-in-crop >= 90% on a landscape duet and on a 9:16 reframe; a
sticker on >= 98% of the frames where its face is visible, 0 jumps to another person;
beauty at 0.8 removes >= 30% of skin detail and keeps >= 90% of edge detail on every
test face; detector recall >= 1.5x Haar's.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import clipkit  # noqa: E402
from clipkit.frame import Frame  # noqa: E402
from clipkit.render.fit import FitGeometry  # noqa: E402
from clipkit.vision.detector import CNNFaceDetector, FaceBox, HaarFaceDetector, detect_faces  # noqa: E402
from clipkit.vision.framing import crop_path, subject_cover  # noqa: E402
from clipkit.vision.tracking import FaceTracker  # noqa: E402

MEDIA = ROOT.parent / "shared" / "media" / "video"
REFERENCE = HERE / "faces_reference.json"


def _reference() -> dict:
    if not REFERENCE.is_file():
        raise SystemExit(f"{REFERENCE} is missing: run python bench/faces_reference.py first")
    return json.loads(REFERENCE.read_text())


def _decode(name: str) -> list[np.ndarray]:
    with av.open(str(MEDIA / name)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def _even(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    return np.ascontiguousarray(rgb[: h // 2 * 2, : w // 2 * 2])


def _boxes(raw: list[list[float]]) -> list[FaceBox]:
    return [FaceBox(*b) for b in raw]


def _matched(found: list[FaceBox], refs: list[FaceBox], iou: float = 0.3) -> int:
    used: set[int] = set()
    hits = 0
    for r in refs:
        best, best_iou = None, iou
        for i, b in enumerate(found):
            if i not in used and r.iou(b) >= best_iou:
                best, best_iou = i, r.iou(b)
        if best is not None:
            used.add(best)
            hits += 1
    return hits


def _inside(box: FaceBox, rect: tuple[float, float, float, float]) -> float:
    """Share of ``box``'s area inside ``rect`` (x, y, w, h)."""
    x, y, w, h = rect
    iw = max(0.0, min(box.x + box.w, x + w) - max(box.x, x))
    ih = max(0.0, min(box.y + box.h, y + h) - max(box.y, y))
    return iw * ih / max(1e-9, box.w * box.h)


def _table(rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))))


# -- detector ---------------------------------------------------------------------------------
def detector_section(ref: dict) -> None:
    print("\n== detector: recall on the reference faces (IoU >= 0.3), cost per analysed frame")
    detectors = {
        "CNN (default), 480 px": (CNNFaceDetector(), 480),
        "Haar, 480 px": (HaarFaceDetector(min_size=0.02), 480),
        "Haar, 360 px (old sticker setting)": (HaarFaceDetector(), 360),
    }
    rows = [["clip", "faces"] + [f"{n} recall" for n in detectors] + [f"{n} ms" for n in detectors] + ["CNN / Haar-480"]]
    for name, entry in ref.items():
        frames = _decode(name)
        refs = {int(k): _boxes(v) for k, v in entry["frames"].items() if v}
        total = sum(len(v) for v in refs.values())
        recall, cost = {}, {}
        for label, (det, width) in detectors.items():
            hits, times = 0, []
            for k, boxes in refs.items():
                f = Frame.from_rgb(_even(frames[k]))
                t = time.perf_counter()
                found = detect_faces(det, f.y, f.u, f.v, width=width)
                times.append((time.perf_counter() - t) * 1000)
                hits += _matched(found, boxes)
            recall[label] = hits / max(1, total)
            cost[label] = statistics.median(times)
        ratio = recall["CNN (default), 480 px"] / max(1e-9, recall["Haar, 480 px"])
        rows.append([name, str(total)] + [f"{100 * recall[n]:.0f}%" for n in detectors] + [f"{cost[n]:.1f}" for n in detectors] + [f"{ratio:.1f}x"])
    _table(rows)


# -- stickers ---------------------------------------------------------------------------------
def _identities(refs: dict[int, list[FaceBox]]) -> dict[int, list[tuple[FaceBox, int]]]:
    """Reference boxes linked into people across the sampled frames (by overlap, then nearness)."""
    out: dict[int, list[tuple[FaceBox, int]]] = {}
    last: dict[int, tuple[FaceBox, int, float, float]] = {}  # id -> (box, frame, vx, vy per frame)
    next_id = 0
    for k in sorted(refs):
        mine = []
        taken: set[int] = set()
        for b in sorted(refs[k], key=lambda b: -b.w * b.h):
            best, cost = None, 1e9
            for pid, (pb, pk, vx, vy) in last.items():
                if pid in taken or k - pk > 60:
                    continue
                # where that person should be now, moving as they did (people walk fast across a crowd)
                px, py = pb.center[0] + vx * (k - pk), pb.center[1] + vy * (k - pk)
                d = np.hypot(b.center[0] - px, b.center[1] - py) / max(b.w, pb.w)
                reach = 0.8 if (vx, vy) != (0.0, 0.0) else 1.6  # a first link has no speed to go by
                if d < reach and 0.6 < b.w / pb.w < 1.6 and d < cost:
                    best, cost = pid, d
            if best is None:
                best = next_id
                next_id += 1
                vx = vy = 0.0
            else:
                pb, pk = last[best][0], last[best][1]
                vx, vy = (b.center[0] - pb.center[0]) / (k - pk), (b.center[1] - pb.center[1]) / (k - pk)
            taken.add(best)
            last[best] = (b, k, vx, vy)
            mine.append((b, best))
        out[k] = mine
    return out


def sticker_section(ref: dict) -> None:
    print("\n== stickers: the tracker as FaceSticker runs it (detect every 3rd frame at 480 px, hold 0.5 s)")
    rows = [["clip", "detector", "mode", "people", "present", "jumps", "median error (face widths)", "gone > 0.1 s"]]
    for name, entry in ref.items():
        frames = _decode(name)
        with av.open(str(MEDIA / name)) as c:
            fps = float(c.streams.video[0].average_rate)
        refs = {int(k): _boxes(v) for k, v in entry["frames"].items()}
        people = _identities(refs)
        for det_name, det in (("CNN", CNNFaceDetector()), ("Haar", HaarFaceDetector())):
            for mode, max_faces in (("one sticker", 1), ("every face", 16)):
                tracker = FaceTracker(det, max_faces=max_faces, detect_every=3, smoothing=0.6, hold=0.5, analysis_width=480)
                owner: dict[int, int] = {}  # track id -> person it was put on
                visible = present = jumps = 0
                errors: list[float] = []
                gaps, gap = [], 0
                for k, rgb in enumerate(frames):
                    f = Frame.from_rgb(_even(rgb))
                    shown = tracker.update(f.y, k / fps, f.u, f.v)
                    if k not in people:
                        continue
                    here = people[k]
                    targets = here if max_faces > 1 else here[:1] if not owner else [p for p in here if p[1] in owner.values()]
                    for track in shown:
                        # who is under this sticker now?
                        cx, cy = track.box.center
                        under = [pid for b, pid in here if abs(cx - b.center[0]) < 0.6 * b.w and abs(cy - b.center[1]) < 0.6 * b.h]
                        if under:
                            if track.id not in owner:
                                owner[track.id] = under[0]
                            elif owner[track.id] not in under:
                                jumps += 1
                                owner[track.id] = under[0]
                    for b, pid in targets:
                        visible += 1
                        on = [t for t in shown if owner.get(t.id) == pid and abs(t.box.center[0] - b.center[0]) < 0.6 * b.w and abs(t.box.center[1] - b.center[1]) < 0.6 * b.h]
                        if on:
                            present += 1
                            errors.append(float(np.hypot(on[0].box.center[0] - b.center[0], on[0].box.center[1] - b.center[1]) / b.w))
                            if gap:
                                gaps.append(gap)
                            gap = 0
                        else:
                            gap += entry["step"]
                long_gaps = sum(1 for g in gaps if g / fps > 0.1)
                rows.append([name, det_name, mode, str(len({p for v in people.values() for _, p in v})), f"{100 * present / max(1, visible):.1f}% of {visible}",
                             str(jumps), f"{np.median(errors) if errors else float('nan'):.2f}", str(long_gaps)])
    _table(rows)
    print("present: reference sightings of the sticker's person (every face: of every person) with a sticker on that face;")
    print("jumps: a sticker found on another person than the one it was put on")


# -- framing ----------------------------------------------------------------------------------
def _geometry(size: tuple[int, int], canvas: tuple[int, int], fps: float) -> FitGeometry:
    return FitGeometry(size, size, (0.0, 0.0, float(size[0]), float(size[1])), canvas, (0, 0, 0), fps)


def _cover_rects(frames: list[np.ndarray], canvas: tuple[int, int], *, follow: bool, motion: bool = False, fps: float = 30.0) -> list[tuple[float, float, float, float]]:
    h, w = _even(frames[0]).shape[:2]
    g = _geometry((w, h), canvas, fps)  # the clip's own rate: the crop paces itself by it
    s = max(canvas[0] / w, canvas[1] / h)
    vw, vh = canvas[0] / s, canvas[1] / s
    out = []
    if not follow:
        return [((w - vw) / 2, (h - vh) / 2, vw, vh)] * len(frames)
    fit = subject_cover(g, motion=motion)
    for rgb in frames:
        fit(Frame.from_rgb(_even(rgb)))
        px, py = fit.follower.pos  # type: ignore[attr-defined]
        out.append((px - vw / 2, py - vh / 2, vw, vh))
    return out


def _rate(rects: list[tuple[float, float, float, float]], refs: dict[int, list[FaceBox]], *, need: float = 0.9, main_only: bool = False) -> tuple[int, int]:
    """(frames with a face >= ``need`` inside the crop, frames with a face); ``main_only``:
    the largest face must be the one inside."""
    good = total = 0
    for k, boxes in refs.items():
        if not boxes:
            continue
        total += 1
        pool = [max(boxes, key=lambda b: b.w * b.h)] if main_only else boxes
        good += any(_inside(b, rects[k]) >= need for b in pool)
    return good, total


def _main_person(refs: dict[int, list[FaceBox]]) -> dict[int, list[FaceBox]]:
    """The clip's most important person's box per frame: the reference person (linked by
    :func:`_identities`) with the most face area summed over the clip (large and there long)."""
    people = _identities(refs)
    area: dict[int, float] = {}
    for v in people.values():
        for b, pid in v:
            area[pid] = area.get(pid, 0.0) + b.w * b.h
    if not area:
        return {}
    main = max(area, key=area.__getitem__)
    return {k: [b for b, pid in v if pid == main] for k, v in people.items()}


def _off_centre(frames: list[np.ndarray], refs: dict[int, list[FaceBox]], *, right: bool) -> tuple[list[np.ndarray], dict[int, list[FaceBox]]]:
    """A 16:9 frame with the clip pasted against one side (a subject off to the side, as in
    phone footage), and the reference boxes moved with it."""
    h, w = frames[0].shape[:2]
    W = int(round(h * 16 / 9 / 2)) * 2
    x0 = W - w if right else 0
    out = []
    for rgb in frames:
        canvas = np.full((h, W, 3), 96, np.uint8)
        canvas[:, x0 : x0 + w] = rgb
        out.append(canvas)
    return out, {k: [FaceBox(b.x + x0, b.y, b.w, b.h) for b in v] for k, v in refs.items()}


def _largest_vs_main(clip: str, rects: list[tuple[float, float, float, float]], refs: dict[int, list[FaceBox]], crop_w: float) -> list[str]:
    """Where keeping the frame's largest face conflicts with keeping the main person: frames
    whose largest face is out of the crop, and of those the frames where the two faces'
    union is wider than the crop (no crop holds both)."""
    main = _main_person(refs)
    total = out = apart = fit_total = fit_in = 0
    for k, boxes in refs.items():
        if not boxes:
            continue
        total += 1
        largest = max(boxes, key=lambda b: b.w * b.h)
        inside = _inside(largest, rects[k]) >= 0.9
        both = main.get(k) or []
        wide = bool(both) and max(largest.x + largest.w, both[0].x + both[0].w) - min(largest.x, both[0].x) > crop_w
        out += not inside
        apart += (not inside) and wide
        if not wide:
            fit_total += 1
            fit_in += inside
    return [clip, str(total), str(out), str(apart), f"{100 * fit_in / max(1, fit_total):.0f}% of {fit_total}"]


def framing_section(ref: dict) -> None:
    print("\n== framing: share of sampled frames with a reference face >= 90% inside the crop (in brackets: the frame's largest face; the clip's main person, most face area over the clip)")
    rows = [["clip", "crop", "centre crop (fit: center)", "fit: cover (faces)", "fit: smart (faces, then motion)", "planned (reframe)"]]
    cases = []
    for name, entry in ref.items():
        frames = _decode(name)
        refs = {int(k): _boxes(v) for k, v in entry["frames"].items()}
        cases.append((name, name, frames, refs))
        if name == "carphone_pristine.mp4":
            for right in (False, True):
                f2, r2 = _off_centre(frames, refs, right=right)
                cases.append((f"{name} pasted {'right' if right else 'left'} in 16:9", None, f2, r2))

    def pct(rects: list[tuple[float, float, float, float]], refs: dict[int, list[FaceBox]]) -> str:
        r, m, p = _rate(rects, refs), _rate(rects, refs, main_only=True), _rate(rects, _main_person(refs))
        return f"{100 * r[0] / max(1, r[1]):.0f}% ({100 * m[0] / max(1, m[1]):.0f}%, {100 * p[0] / max(1, p[1]):.0f}%)"

    conflicts: list[list[str]] = []
    for label_clip, name, frames, refs in cases:
        h, w = frames[0].shape[:2]
        for label, canvas in (("duet cell 540x960 (side by side on 1080x1920)", (540, 960)), ("duet cell 1080x960 (top-bottom)", (1080, 960)), ("reframe 9:16", (1080, 1920))):
            fps = float(_fps(name or "carphone_pristine.mp4"))
            rc, rf = _cover_rects(frames, canvas, follow=False), _cover_rects(frames, canvas, follow=True, fps=fps)
            rs = _cover_rects(frames, canvas, follow=True, motion=True, fps=fps)
            centre, follow, smart = pct(rc, refs), pct(rf, refs), pct(rs, refs)
            planned = "-"
            if label.startswith("reframe") and name is not None:
                plan = crop_path(clipkit.open(str(MEDIA / name)), 9 / 16, sample_fps=6)
                with av.open(str(MEDIA / name)) as c:
                    fps = float(c.streams.video[0].average_rate)
                pw, ph = plan.size
                sx = w / plan.track.size[0]
                rects = []
                for k in range(len(frames)):
                    cx, cy = plan.centre_at(k / fps)
                    rects.append(((cx - pw / 2) * sx, (cy - ph / 2) * sx, pw * sx, ph * sx))
                planned = pct(rects, refs)
                conflicts.append(_largest_vs_main(label_clip, rects, refs, pw * sx))
            rows.append([label_clip, label, centre, follow, smart, planned])
    _table(rows)
    print("\nplanned reframe: frames where the frame's largest face is not in the crop, and how many of them could not hold it")
    print("together with the clip's main person (the two faces' union wider than the crop: a crop on one leaves the other out)")
    _table([["clip", "frames with faces", "largest face out of the crop", "of those: largest and main person wider apart than the crop", "largest face in the crop where both fit"]] + conflicts)


# -- beauty -----------------------------------------------------------------------------------
# Skin detail is measured relative to the face, since what reads as skin texture scales with
# it (pores on a 600-pixel selfie, noise and blotches on a 50-pixel face in a crowd):
# - plain skin: the cheek boxes minus the pixels within 1/24 of a face width of an edge
#   (Canny on the original, blurred at 1/64 of the face width): nostrils, the face's
#   outline or the background in a cheek box are not skin texture;
# - skin detail: RMS of the high-pass y - G(y) with sigma = face width / 32 (features up
#   to about 1/16 of the face: pores, blemishes, fine wrinkles, noise) over plain skin;
# - edge detail: mean gradient magnitude (Sobel) on the Canny edge pixels of the original
#   inside the eye band (eyes, brows, lids, hair at the temples).
# Real faces are measured as they render: the effect is bound once and fed the clip's
# frames in order (faces are tracked), and read at the reference frames.
TEXTURE_SIGMA = 1 / 32
MID_DETECTION = 6  # frames after a detection frame: half of beauty's detection interval at 25-30 fps


def _face_regions(y: np.ndarray, cheeks: np.ndarray, eyes: np.ndarray, face_w: float) -> tuple[np.ndarray, np.ndarray]:
    blurred = cv2.GaussianBlur(y, (0, 0), max(0.8, face_w / 64))
    edges = cv2.Canny(blurred, 40, 100) > 0
    reach = 2 * int(max(1, face_w / 24)) + 1
    near = cv2.dilate(edges.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (reach, reach))) > 0
    return cheeks & ~near, eyes & edges


def _detail(y: np.ndarray, mask: np.ndarray, face_w: float) -> float:
    y = y.astype(np.float32)
    return float(np.sqrt(np.mean((y - cv2.GaussianBlur(y, (0, 0), max(1.0, face_w * TEXTURE_SIGMA)))[mask] ** 2)))


def _edges(y: np.ndarray, mask: np.ndarray) -> float:
    y = y.astype(np.float32)
    return float(np.mean(np.hypot(cv2.Sobel(y, cv2.CV_32F, 1, 0), cv2.Sobel(y, cv2.CV_32F, 0, 1))[mask]))


def _old_metric(before: np.ndarray, after: np.ndarray, cheeks: np.ndarray, eyes: np.ndarray) -> str:
    """The earlier session's figure: 2-pixel high-pass over the whole cheek box."""
    def hp(y: np.ndarray) -> float:
        y = y.astype(np.float32)
        return float(np.sqrt(np.mean((y - cv2.GaussianBlur(y, (0, 0), 2.0))[cheeks] ** 2)))
    return f"{100 * (1 - hp(after) / max(1e-6, hp(before))):.0f}%"


def _beauty_cells(before: Frame, outs: dict[float, Frame], cheeks: np.ndarray, eyes: np.ndarray, face_w: float) -> tuple[list[str], tuple[float, float]]:
    skin, edges = _face_regions(before.y, cheeks, eyes, face_w)
    cells: list[str] = []
    at_08 = (float("nan"), float("nan"))
    for strength, out in outs.items():
        removed = 100 * (1 - _detail(out.y, skin, face_w) / max(1e-6, _detail(before.y, skin, face_w)))
        kept = 100 * _edges(out.y, edges) / max(1e-6, _edges(before.y, edges))
        cells += [f"{removed:.0f}%", f"{kept:.0f}%"]
        if strength == 0.8:
            at_08 = (removed, kept)
    cells.append(_old_metric(before.y, outs[0.8].y, cheeks, eyes))
    # the detail measured before smoothing: on a plain cheek it is texture and noise (1-3
    # levels RMS on these clips); far above that, the cheek disc holds structure (a fold,
    # the nose wing, a profile's nose) that an edge-preserving filter rightly keeps
    cells.append(f"{_detail(before.y, skin, face_w):.1f}")
    cells.append(f"{int(skin.sum())} / {int(edges.sum())}")
    return cells, at_08


def _real_face_regions(f: Frame, box: FaceBox, landmarker: CNNFaceDetector) -> tuple[np.ndarray, np.ndarray, str]:
    """Cheeks and eye band of a real face: from its landmarks where the detector finds them.

    The landmarks come from the CNN run on the original frame (at full size, or upscaled
    so the face is at least 80 pixels wide) and matched to the reference box: a turned or
    downcast face's cheeks are not where fixed fractions of its box put them (those landed
    on the nose wing, the mouth or a moustache). Each cheek is a disc between the eye and
    the mouth corner on its side, pushed away from the nose; a cheek the head is turned
    away from (its disc closer to the nose than a quarter of the eye distance) is left
    out. Without landmarks, fixed fractions of the box ("box" in the table).
    """
    h, w = f.y.shape
    cheeks = np.zeros((h, w), bool)
    eyes = np.zeros((h, w), bool)
    x0, y0, x1, y1 = int(max(0, box.x - box.w)), int(max(0, box.y - box.h)), int(min(w, box.x + 2 * box.w)), int(min(h, box.y + 2 * box.h))
    zoom = max(1.0, 80.0 / box.w)
    rgb = cv2.cvtColor(cv2.merge([f.y[y0:y1, x0:x1], cv2.resize(f.u, (w, h))[y0:y1, x0:x1], cv2.resize(f.v, (w, h))[y0:y1, x0:x1]]), cv2.COLOR_YUV2RGB)
    rgb = cv2.resize(rgb, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_CUBIC) if zoom > 1 else rgb
    found = [b.scaled(1 / zoom) for b in landmarker(rgb)]
    found = [b.moved(b.x + x0, b.y + y0, b.w, b.h) for b in found]
    best = max(found, key=lambda b: b.iou(box), default=None)
    if best is not None and best.iou(box) >= 0.3 and len(best.landmarks) == 10:
        m = np.asarray(best.landmarks).reshape(5, 2)
        eye_d = float(np.hypot(*(m[1] - m[0])))
        yy, xx = np.mgrid[0:h, 0:w]
        for eye, mouth in ((m[0], m[3]), (m[1], m[4])):
            centre = 0.5 * (eye + mouth)
            centre = centre + 0.35 * (centre - m[2])
            if abs(centre[0] - m[2][0]) >= 0.25 * eye_d:
                cheeks |= (xx - centre[0]) ** 2 + (yy - centre[1]) ** 2 <= (0.3 * eye_d) ** 2
        ey = 0.5 * (m[0][1] + m[1][1])
        ex0, ex1 = min(m[0][0], m[1][0]) - 0.5 * eye_d, max(m[0][0], m[1][0]) + 0.5 * eye_d
        eyes[int(max(0, ey - 0.6 * eye_d)) : int(ey + 0.3 * eye_d) + 1, int(max(0, ex0)) : int(ex1) + 1] = True
        if cheeks.any():
            return cheeks, eyes, "landmarks"
    bx0, by0, bw, bh = int(box.x), int(box.y), int(box.w), int(box.h)
    cheeks[:] = False
    eyes[:] = False
    cheeks[by0 + int(0.55 * bh) : by0 + int(0.75 * bh), bx0 + int(0.15 * bw) : bx0 + int(0.35 * bw)] = True
    cheeks[by0 + int(0.55 * bh) : by0 + int(0.75 * bh), bx0 + int(0.65 * bw) : bx0 + int(0.85 * bw)] = True
    eyes[by0 + int(0.2 * bh) : by0 + int(0.45 * bh), bx0 + int(0.1 * bw) : bx0 + int(0.9 * bw)] = True
    return cheeks, eyes, "box"


def beauty_section(ref: dict) -> None:
    import mediagen as mg

    import clipkit.effects as fx
    from clipkit.builtin_effects.beauty import Beauty
    from clipkit.nodes import FrameTime, RenderContext

    beauty = Beauty()
    print("\n== beauty: skin detail removed / edge detail kept (skin detail at 1/32 of the face width over plain cheek skin; edges: gradient on the eye band's edges)")
    rows = [["face", "light", "0.5 skin removed", "0.5 edges kept", "0.8 skin removed", "0.8 edges kept", "0.8 removed, old metric", "skin detail before (levels RMS)", "pixels: skin / edges"]]
    worst_synth = [100.0, 100.0]
    for tone in mg.SKIN_TONES:
        for cast in list(mg.COLOR_CASTS) + ["mixed"]:
            rgb, m = mg.colour_face(tone, "blue" if cast == "mixed" else cast, size=320, mixed=cast == "mixed")
            f = Frame.from_rgb(rgb)
            outs = {s: beauty.apply(f, {"strength": s, "radius": 12.0, "skin_only": True}, None, None) for s in (0.5, 0.8)}
            cells, (removed, kept) = _beauty_cells(f, outs, m["cheeks"], m["features"], 0.68 * 320)
            worst_synth = [min(worst_synth[0], removed), min(worst_synth[1], kept)]
            rows.append([f"synthetic {tone}", "blue mixed with neutral" if cast == "mixed" else cast] + cells)
    # real faces: cheeks below the eyes, the eye band above, from the reference boxes
    worst_real = [100.0, 100.0]
    summaries: list[str] = []
    landmarker = CNNFaceDetector(min_size=0.02)  # the measure's own detector: full size, independent of beauty's tracker
    for name, entry in ref.items():
        frames = _decode(name)
        picks = [(int(k), max(_boxes(v), key=lambda b: b.w)) for k, v in entry["frames"].items() if v]
        picks = [p for p in picks if p[1].w >= 40]
        picks = picks[:: max(1, len(picks) // 8)][:8]  # a cheek patch of a 50-px face is ~150 px: one frame is noisy
        if not picks:
            continue
        # these frames fall on beauty's own detections (every 0.5 s: every 12th or 15th
        # frame), where its boxes and landmarks are fresh; the same faces are read again
        # MID_DETECTION frames later, between two detections (faces followed by their flow)
        between = {int(k): max(_boxes(v), key=lambda b: b.w) for k, v in entry["frames"].items() if v}
        mids = [(k + MID_DETECTION, between[k + MID_DETECTION]) for k, _ in picks if k + MID_DETECTION in between and between[k + MID_DETECTION].w >= 40]
        mid_removed: list[float] = []
        mid_kept: list[float] = []
        clip_removed: list[float] = []
        clip_kept: list[float] = []
        h, w = _even(frames[0]).shape[:2]
        outs_at: dict[int, dict[float, Frame]] = {k: {} for k, _ in picks + mids}
        for strength in (0.5, 0.8):
            fps = _fps(name)
            bound = fx.create("beauty", strength=strength, radius=12.0).bind(RenderContext(w, h, fps))
            for i in range(max(k for k, _ in picks + mids) + 1):
                f = Frame.from_rgb(_even(frames[i]))
                t = FrameTime(i, i / float(fps), i, i / float(fps), len(frames) / float(fps))
                out = bound.run(f, bound.values(t), t)
                if i in outs_at:
                    outs_at[i][strength] = out
        for k, box in picks:
            f = Frame.from_rgb(_even(frames[k]))
            cheeks, eyes, placed = _real_face_regions(f, box, landmarker)
            cells, (removed, kept) = _beauty_cells(f, outs_at[k], cheeks, eyes, box.w)
            worst_real = [min(worst_real[0], removed), min(worst_real[1], kept)]
            clip_removed.append(removed)
            clip_kept.append(kept)
            rows.append([f"{name} frame {k} ({int(box.w)} px face, {placed})", "as shot"] + cells)
        for k, box in mids:
            f = Frame.from_rgb(_even(frames[k]))
            cheeks, eyes, placed = _real_face_regions(f, box, landmarker)
            cells, (removed, kept) = _beauty_cells(f, outs_at[k], cheeks, eyes, box.w)
            mid_removed.append(removed)
            mid_kept.append(kept)
            rows.append([f"{name} frame {k} ({int(box.w)} px face, {placed})", "between detections"] + cells)
        if mid_removed:
            summaries.append(f"{name}: {len(mid_removed)} faces between detections at 0.8: skin detail removed median {np.median(mid_removed):.0f}% (least {min(mid_removed):.0f}%), edge detail kept median {np.median(mid_kept):.0f}% (least {min(mid_kept):.0f}%)")
        summaries.append(f"{name}: {len(clip_removed)} faces at 0.8: skin detail removed median {np.median(clip_removed):.0f}% (least {min(clip_removed):.0f}%), edge detail kept median {np.median(clip_kept):.0f}% (least {min(clip_kept):.0f}%)")
    _table(rows)
    print(f"worst synthetic face at 0.8: {worst_synth[0]:.0f}% skin detail removed, {worst_synth[1]:.0f}% edge detail kept (targets >= 30%, >= 90%)")
    print(f"worst real face at 0.8:      {worst_real[0]:.0f}% skin detail removed, {worst_real[1]:.0f}% edge detail kept (targets >= 30%, >= 90%)")
    for line in summaries:
        print(line)


def _fps(name: str) -> Fraction:
    with av.open(str(MEDIA / name)) as c:
        rate = c.streams.video[0].average_rate
    return Fraction(rate) if rate else Fraction(25)


# -- cost -------------------------------------------------------------------------------------
class _Timed:
    """A detector that adds up the thread CPU time it spends (what it takes from the encoder)."""

    def __init__(self, inner) -> None:  # noqa: ANN001
        self.inner = inner
        self.wants_rgb = getattr(inner, "wants_rgb", False)
        self.seconds = 0.0
        self.calls = 0

    def __call__(self, image: np.ndarray) -> list[FaceBox]:
        t = time.thread_time()
        try:
            return self.inner(image)
        finally:
            self.seconds += time.thread_time() - t
            self.calls += 1


def cost_section(repeat: int) -> None:
    import tempfile

    import clipkit as ck
    import clipkit.vision.framing as framing
    from clipkit.overlays.faces import FaceSticker

    print(f"\n== cost: face analysis inside a render (1080x1920 tiktok profile, faces_video.mp4 4.2 s = 105 frames), best of {repeat}")
    hat = np.zeros((40, 60, 4), np.uint8)
    hat[..., 0] = 255
    hat[..., 3] = 255
    src = str(MEDIA / "faces_video.mp4")
    timers: dict[str, list[_Timed]] = {}

    def timed(label: str):  # noqa: ANN202
        def make() -> _Timed:
            d = _Timed(CNNFaceDetector())
            timers.setdefault(label, []).append(d)
            return d
        return make

    def plain() -> object:
        return ck.sequence([ck.open(src)], canvas=ck.Canvas(1080, 1920, 30), fit="center")

    variants = {
        "plain (fit: center)": (plain, None),
        "fit: cover (subject-aware)": (lambda: ck.sequence([ck.open(src)], canvas=ck.Canvas(1080, 1920, 30), fit="cover"), "framing"),
        "fit: center + face sticker on every face": (lambda: plain().with_overlay(FaceSticker(hat, every_face=True, size=0.8, offset=(0, -0.8), detector=timed("sticker")())), "sticker"),
    }
    best: dict[str, tuple[float, float, int]] = {}
    original = framing.default_face_detector
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeat):
            for label, (make, kind) in variants.items():
                timers.clear()
                framing.default_face_detector = timed("framing") if kind == "framing" else original  # type: ignore[assignment]
                edit = make()
                t = time.perf_counter()
                edit.render(str(Path(tmp) / "out.mp4"), profile="tiktok")
                wall = time.perf_counter() - t
                det = sum(d.seconds for ds in timers.values() for d in ds)
                calls = sum(d.calls for ds in timers.values() for d in ds)
                if label not in best or wall < best[label][0]:
                    best[label] = (wall, det, calls)
    framing.default_face_detector = original  # type: ignore[assignment]
    plain_wall = best["plain (fit: center)"][0]
    rows = [["variant", "wall s", "/ plain", "detector CPU s", "detections", "ms per detection", "detector share of the plain render's wall time"]]
    for k, (wall, det, calls) in best.items():
        rows.append([k, f"{wall:.2f}", f"{wall / plain_wall:.2f}x", f"{det:.2f}", str(calls), f"{1000 * det / max(1, calls):.0f}", f"{100 * det / plain_wall:.0f}%"])
    _table(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("detector", "stickers", "framing", "beauty", "cost"):
        parser.add_argument(f"--{name}", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="renders per variant for --cost")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    every = not any(getattr(args, n) for n in ("detector", "stickers", "framing", "beauty", "cost"))
    ref = _reference()
    sampled = ", ".join(f"{n} ({len(e['frames'])} frames)" for n, e in ref.items())
    print(f"clipkit {clipkit.__version__}; reference: {sampled}; machine shared with other sessions")
    if every or args.detector:
        detector_section(ref)
    if every or args.stickers:
        sticker_section(ref)
    if every or args.framing:
        framing_section(ref)
    if every or args.beauty:
        beauty_section(ref)
    if every or args.cost:
        cost_section(args.repeat)


if __name__ == "__main__":
    main()
