"""Following faces across frames: identity by position, size and appearance.

The tracker runs the detector every few frames on a shrunk copy of the frame. Each
face becomes a *track* with an id, a smoothed box, a velocity and an appearance (a
colour histogram of the face). A detection joins the track it fits best: near the
track's predicted position, of a similar size and of a similar look; a detection that
fits no track starts a new one, so two people never share a track and a sticker never
jumps from one to the other.

A face the detector misses for a moment (turned away, motion blur) keeps its track,
moved by its velocity, for ``hold`` seconds (0.5 s by default); only then is it dropped.
A scene cut (:class:`~clipkit.vision.scenecut.SceneCutDetector`) drops every track at
once, so nothing slides from one shot into the next, and the detector runs on the first
frame of the new shot.

Of all tracks, up to ``max_faces`` are *shown* (what a caller draws on): the largest
faces when chosen, kept while they live. A shown track is never handed to another face.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np

from ..errors import ParameterError
from .detector import FaceBox, FaceDetector, analysis_image
from .scenecut import SceneCutDetector

__all__ = ["TrackedFace", "FaceTracker"]

_MAX_TRACKS = 32  # faces followed internally (identities), shown or not
_CLOSER_FACE = 40.0  # pixels a missed face is scaled to when searched for again around its track
_CLOSER_CROPS = 12  # most crops searched per detection
_FLOW_WIDTH = 480  # long side of the grey copy faces are followed in between detections
_FLOW_GRID = 4  # points per side of the grid followed on each face
_FLOW_BACK = 0.7  # most forward-backward error (flow pixels) of a point that is kept


class TrackedFace(NamedTuple):
    """A shown face at one frame.

    Attributes
    ----------
    box : FaceBox
        Smoothed (and, while missed, predicted) box in frame pixels.
    age : float
        Seconds since the face appeared.
    lost : float
        Seconds since the detector last saw it (0 when seen at this frame's detection).
    id : int
        The track's identity: the same person keeps the same id.
    """

    box: FaceBox
    age: float
    lost: float
    id: int


@dataclass(slots=True)
class _Track:
    id: int
    box: FaceBox
    vx: float
    vy: float
    first_seen: float
    last_seen: float
    last_update: float
    look: np.ndarray | None
    raw: tuple[float, float, float]  # last detection's centre x, y and time
    hits: int = 1
    shown: bool = False
    flowed: float = -1.0  # time the optical flow last moved the box


def _appearance(image: np.ndarray, box: FaceBox) -> np.ndarray | None:
    """Normalised colour (or grey) histogram of the face's central area in the analysis image."""
    h, w = image.shape[:2]
    x0, y0 = int(max(0, box.x + 0.2 * box.w)), int(max(0, box.y + 0.15 * box.h))
    x1, y1 = int(min(w, box.x + 0.8 * box.w)), int(min(h, box.y + 0.9 * box.h))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    patch = np.ascontiguousarray(image[y0:y1, x0:x1])
    if patch.ndim == 3:
        hist = cv2.calcHist([patch], [0, 1, 2], None, [4, 4, 4], [0, 256, 0, 256, 0, 256]).ravel()
    else:
        hist = cv2.calcHist([patch], [0], None, [16], [0, 256]).ravel()
    total = float(hist.sum())
    return (hist / total).astype(np.float64) if total > 0 else None


def _look_distance(a: np.ndarray | None, b: np.ndarray | None) -> float:
    """Bhattacharyya distance of two histograms (0 same, 1 disjoint); 0.3 when unknown."""
    if a is None or b is None or a.shape != b.shape:
        return 0.3
    return math.sqrt(max(0.0, 1.0 - float(np.sum(np.sqrt(a * b)))))


class FaceTracker:
    """Detects faces every few frames and follows each one as a track with an identity.

    Parameters
    ----------
    detector : callable
        A :data:`~clipkit.vision.detector.FaceDetector`.
    max_faces : int in [1, 16]
        Faces shown at once (the largest when chosen); more are followed internally so
        that identities hold.
    detect_every : int >= 1
        Run the detector on every n-th frame (tracks are predicted in between).
    idle_every : int >= 1, optional
        Once the detections of this many frames have found no face, detect only on every
        n-th frame until one is found again or a scene cut (which detects at once): a shot
        without faces costs a few detections a second less. ``None``: always every
        ``detect_every``.
    smoothing : float in [0, 1)
        Weight of the prediction against a new detection (0: boxes jump to each detection).
    hold : float >= 0
        Seconds a missed face is kept (moving with its last velocity) before it is dropped.
    analysis_width : int >= 64
        Pixels the frame's long side is shrunk to before detection (a landscape frame's width).
    scene_cuts : bool
        Drop every track at a scene cut and detect again at once.
    look_closer : bool
        Find and keep small faces: each detection also searches one quarter of the frame
        (in turn) at twice the scale, and searches again around each followed face the
        frame-wide pass missed, in a crop scaled so the face is 40 pixels wide.
    optical_flow : bool
        Between detections (and for faces a detection misses), move each face with the
        optical flow of its own pixels (pyramidal Lucas-Kanade on a grid of points in the
        face, on a grey copy 480 pixels long, points that do not flow back to where they
        started dropped), instead of only extrapolating its last velocity: a face that
        turns, stops or speeds up between detections keeps its box on it, and a box does
        not coast onto the face behind it. About 0.1-0.3 ms per face and frame.

    Notes
    -----
    :meth:`update` takes the planes of consecutive frames; calling it on frames out of
    order (a seek) should be preceded by :meth:`reset`.
    """

    def __init__(
        self,
        detector: FaceDetector,
        *,
        max_faces: int = 1,
        detect_every: int = 3,
        idle_every: int | None = None,
        smoothing: float = 0.6,
        hold: float = 0.5,
        analysis_width: int = 480,
        scene_cuts: bool = True,
        look_closer: bool = True,
        optical_flow: bool = True,
    ) -> None:
        if isinstance(max_faces, bool) or not isinstance(max_faces, int) or not 1 <= max_faces <= 16:
            raise ParameterError(f"max_faces: {max_faces!r} is outside 1..16")
        if isinstance(detect_every, bool) or not isinstance(detect_every, int) or detect_every < 1:
            raise ParameterError(f"detect_every: {detect_every!r} is not a whole number >= 1")
        if idle_every is not None and (isinstance(idle_every, bool) or not isinstance(idle_every, int) or idle_every < 1):
            raise ParameterError(f"idle_every: {idle_every!r} is not a whole number >= 1 (or None)")
        if isinstance(smoothing, bool) or not isinstance(smoothing, (int, float)) or not 0 <= smoothing < 1:
            raise ParameterError(f"smoothing: {smoothing!r} is outside [0, 1)")
        if isinstance(hold, bool) or not isinstance(hold, (int, float)) or hold < 0:
            raise ParameterError(f"hold: {hold!r} is below 0 seconds")
        if isinstance(analysis_width, bool) or not isinstance(analysis_width, int) or analysis_width < 64:
            raise ParameterError(f"analysis_width: {analysis_width!r} is below 64 pixels")
        self.detector = detector
        self.max_faces = max_faces
        self.detect_every = detect_every
        self.idle_every = idle_every
        self._faceless = 0  # frames since a detection last found a face (or the shot began)
        self.smoothing = float(smoothing)
        self.hold = float(hold)
        self.analysis_width = analysis_width
        self.cuts = SceneCutDetector() if scene_cuts else None
        self.look_closer = bool(look_closer)
        self.optical_flow = bool(optical_flow)
        self._flow_prev: tuple[np.ndarray, float] | None = None  # previous frame's grey copy and its scale
        self._tile = 0
        self.tracks: list[_Track] = []
        self.cut_count = 0
        self._calls = 0
        self._since_detect = 0
        self._next_id = 0
        self._last_t: float | None = None

    def reset(self) -> None:
        """Forget every track (after a seek or between unrelated clips)."""
        self.tracks = []
        self._since_detect = 0
        self._faceless = 0
        self._calls = 0
        self._last_t = None
        self._flow_prev = None
        if self.cuts is not None:
            self.cuts.reset()

    # -- one detection step ------------------------------------------------------------
    def _predicted(self, tr: _Track, t: float) -> FaceBox:
        dt = max(0.0, t - tr.last_update)
        b = tr.box
        return b.moved(b.x + tr.vx * dt, b.y + tr.vy * dt, b.w, b.h)

    def _match(self, found: list[FaceBox], looks: list[np.ndarray | None], t: float) -> dict[int, int]:
        """Detection index -> track index, by lowest cost under position/size/look gates."""
        pairs = []
        for ti, tr in enumerate(self.tracks):
            p = self._predicted(tr, t)
            (px, py) = p.center
            lost = t - tr.last_seen
            reach = 1.2 + 1.0 * min(1.0, lost / max(self.hold, 1e-6))  # in face widths; a longer miss searches wider
            for di, b in enumerate(found):
                (bx, by) = b.center
                size = max(p.w, b.w, 1e-6)
                dist = math.hypot(px - bx, py - by) / size
                ratio = b.w / max(p.w, 1e-6)
                if dist > reach or not 0.6 < ratio < 1.65:
                    continue
                look = _look_distance(tr.look, looks[di])
                if look > 0.55:
                    continue  # someone else in the same place
                pairs.append((dist + abs(math.log(ratio)) + 1.5 * look - 0.5 * p.iou(b), ti, di))
        pairs.sort()
        taken_t: set[int] = set()
        out: dict[int, int] = {}
        for _, ti, di in pairs:
            if ti in taken_t or di in out:
                continue
            taken_t.add(ti)
            out[di] = ti
        return out

    def _look_closer(self, y: np.ndarray, u: np.ndarray | None, v: np.ndarray | None, t: float, found: list[FaceBox], looks: list[np.ndarray | None]) -> None:
        """Search again, at a larger scale, around each followed face the frame-wide pass missed.

        A face small in the analysis image (a far-away head in a crowd) is near the
        detector's smallest size and found in some passes only; in a crop around where its
        track predicts it, scaled so the face is :data:`_CLOSER_FACE` pixels wide, it is
        found again. Crops are small, so this costs a fraction of the frame-wide pass.
        """
        rgb = bool(getattr(self.detector, "wants_rgb", False))
        h, w = y.shape
        budget = _CLOSER_CROPS
        for tr in sorted(self.tracks, key=lambda tr: tr.last_seen, reverse=True):
            if budget == 0:
                break
            p = self._predicted(tr, t)
            (px, py) = p.center
            if any(math.hypot(b.center[0] - px, b.center[1] - py) < 0.6 * max(b.w, p.w) for b in found):
                continue  # the frame-wide pass has it
            half = 1.3 * max(p.w, p.h) + 2.0
            x0, x1 = int(max(0, px - half)) // 2 * 2, min(w, int(px + half + 2)) // 2 * 2
            y0, y1 = int(max(0, py - half)) // 2 * 2, min(h, int(py + half + 2)) // 2 * 2
            if x1 - x0 < 8 or y1 - y0 < 8:
                continue
            budget -= 1
            k = _CLOSER_FACE / max(p.w, 1.0)
            size = (max(8, int(round((x1 - x0) * k))), max(8, int(round((y1 - y0) * k))))
            crop_y = cv2.resize(y[y0:y1, x0:x1], size, interpolation=cv2.INTER_LINEAR)
            if rgb and u is not None and v is not None:
                crop_u = cv2.resize(u[y0 // 2 : y1 // 2, x0 // 2 : x1 // 2], size, interpolation=cv2.INTER_LINEAR)
                crop_v = cv2.resize(v[y0 // 2 : y1 // 2, x0 // 2 : x1 // 2], size, interpolation=cv2.INTER_LINEAR)
                crop = cv2.cvtColor(cv2.merge([crop_y, crop_u, crop_v]), cv2.COLOR_YUV2RGB)
            else:
                crop = crop_y
            best, best_d = None, 0.8
            for b in self.detector(crop):
                full = FaceBox(x0 + b.x / k, y0 + b.y / k, b.w / k, b.h / k, b.score, b.angle, tuple((x0 if i % 2 == 0 else y0) + c / k for i, c in enumerate(b.landmarks)))
                d = math.hypot(full.center[0] - px, full.center[1] - py) / max(p.w, 1e-6)
                if d < best_d and 0.6 < full.w / max(p.w, 1e-6) < 1.65:
                    best, best_d = (full, b), d
            if best is not None:
                found.append(best[0])
                looks.append(_appearance(crop, best[1]) if self._look_is_rgb(looks) == rgb else None)

    def _search_tile(self, y: np.ndarray, u: np.ndarray | None, v: np.ndarray | None, found: list[FaceBox], looks: list[np.ndarray | None]) -> None:
        """Search one quarter of the frame (in turn, overlapping) at twice the frame-wide scale.

        Faces too small for the frame-wide pass (far-away heads in a crowd) are found within
        four detections and then followed (and searched for again) by their tracks.
        """
        h, w = y.shape
        q = self._tile % 4
        self._tile += 1
        tw, th = int(w * 0.55) // 2 * 2, int(h * 0.55) // 2 * 2
        x0 = 0 if q % 2 == 0 else (w - tw) // 2 * 2
        y0 = 0 if q < 2 else (h - th) // 2 * 2
        tile_y = y[y0 : y0 + th, x0 : x0 + tw]
        tile_u = u[y0 // 2 : (y0 + th) // 2, x0 // 2 : (x0 + tw) // 2] if u is not None else None
        tile_v = v[y0 // 2 : (y0 + th) // 2, x0 // 2 : (x0 + tw) // 2] if v is not None else None
        image, k = analysis_image(tile_y, tile_u, tile_v, width=self.analysis_width, rgb=bool(getattr(self.detector, "wants_rgb", False)))
        for b in self.detector(image):
            full = b.scaled(1.0 / k)
            full = full.moved(full.x + x0, full.y + y0, full.w, full.h)
            if any(full.iou(o) > 0.3 or math.hypot(full.center[0] - o.center[0], full.center[1] - o.center[1]) < 0.5 * max(full.w, o.w) for o in found):
                continue  # the frame-wide pass has it
            found.append(full)
            looks.append(_appearance(image, b))

    @staticmethod
    def _look_is_rgb(looks: list[np.ndarray | None]) -> bool:
        shapes = {lk.shape for lk in looks if lk is not None}
        return not shapes or (64,) in shapes

    def _flow_image(self, y: np.ndarray) -> tuple[np.ndarray, float]:
        """A grey copy of the luma plane about :data:`_FLOW_WIDTH` pixels long, and its scale.

        Taken by striding (every n-th pixel), not by area averaging: a strided copy of a
        1080p plane costs a few hundredths of a millisecond, and the flow's own pyramid
        smooths it.
        """
        step = max(1, int(round(max(y.shape) / _FLOW_WIDTH)))
        return np.ascontiguousarray(y[::step, ::step]), 1.0 / step

    def _follow_flow(self, y: np.ndarray, t: float) -> None:
        """Move each followed face by the optical flow of its pixels since the previous frame."""
        now = self._flow_image(y)
        prev, self._flow_prev = self._flow_prev, now
        if prev is None or prev[0].shape != now[0].shape or not self.tracks or self._last_t is None or t <= self._last_t:
            return
        t_prev = self._last_t
        image, k = now
        before = prev[0]
        h, w = image.shape
        grid = (np.arange(_FLOW_GRID, dtype=np.float32) + 0.5) / _FLOW_GRID
        followed: list[tuple[_Track, FaceBox, slice]] = []
        points: list[np.ndarray] = []
        sizes: list[float] = []
        n = 0
        for tr in self.tracks:
            b = self._predicted(tr, t_prev)  # where it was at the previous frame
            bw, bh = b.w * k, b.h * k
            if bw < 6 or bh < 6:
                continue  # too few pixels to follow: velocity only
            # the face's inner area (cheeks, eyes, nose): its outline moves against the background
            xs = (b.x * k + (0.2 + 0.6 * grid) * bw).astype(np.float32)
            ys = (b.y * k + (0.2 + 0.65 * grid) * bh).astype(np.float32)
            pts = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
            pts = pts[(pts[:, 0] >= 0) & (pts[:, 0] < w) & (pts[:, 1] >= 0) & (pts[:, 1] < h)]
            if pts.shape[0] < 5:
                continue
            followed.append((tr, b, slice(n, n + pts.shape[0])))
            points.append(pts)
            sizes.append(bw)
            n += pts.shape[0]
        if not followed:
            return
        # every face's points in one forward and one backward call: the image pyramids,
        # most of the cost, are built once a frame, not once a face
        win = int(max(7, min(21, float(np.median(sizes)) / 3))) | 1
        params = {"winSize": (win, win), "maxLevel": 2, "criteria": (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 10, 0.03)}
        start = np.concatenate(points).reshape(-1, 1, 2)
        ahead, ok, _ = cv2.calcOpticalFlowPyrLK(before, image, start, None, **params)
        back, ok_back, _ = cv2.calcOpticalFlowPyrLK(image, before, ahead, None, **params)
        kept = (ok.ravel() == 1) & (ok_back.ravel() == 1) & (np.linalg.norm((back - start).reshape(-1, 2), axis=1) < _FLOW_BACK)
        start, ahead = start.reshape(-1, 2), ahead.reshape(-1, 2)
        for tr, b, span in followed:
            good = kept[span]
            if good.sum() < max(5, good.size // 3):
                continue  # the face's pixels do not flow consistently (occluded, blurred, flat): velocity only
            p0, p1 = start[span][good], ahead[span][good]
            dx, dy = (np.median(p1 - p0, axis=0) / k).tolist()
            # scale from the points' spread about their median (a face walking toward the camera grows)
            c0, c1 = np.median(p0, axis=0), np.median(p1, axis=0)
            r0, r1 = np.linalg.norm(p0 - c0, axis=1), np.linalg.norm(p1 - c1, axis=1)
            spread = r0 > 1.0
            scale = float(np.clip(np.median(r1[spread] / r0[spread]), 0.9, 1.1)) if spread.sum() >= 3 else 1.0
            cx, cy = b.center[0] + dx, b.center[1] + dy
            nw, nh = b.w * scale, b.h * scale
            tr.box = b.moved(cx - nw / 2, cy - nh / 2, nw, nh)
            # the velocity a later miss coasts on is the one the flow saw
            tr.vx, tr.vy = 0.7 * tr.vx + 0.3 * dx / (t - t_prev), 0.7 * tr.vy + 0.3 * dy / (t - t_prev)
            tr.last_update = t
            tr.flowed = t

    def _detect(self, y: np.ndarray, u: np.ndarray | None, v: np.ndarray | None, t: float) -> bool:
        """One detection step; whether it found any face."""
        image, k = analysis_image(y, u, v, width=self.analysis_width, rgb=bool(getattr(self.detector, "wants_rgb", False)))
        small = list(self.detector(image))
        looks = [_appearance(image, b) for b in small]
        found = [b.scaled(1.0 / k) for b in small]
        if self.look_closer and k < 1.0:
            self._search_tile(y, u, v, found, looks)
        if self.look_closer and self.tracks:
            self._look_closer(y, u, v, t, found, looks)
        matches = self._match(found, looks, t)
        for di, ti in matches.items():
            tr = self.tracks[ti]
            b = found[di]
            p = self._predicted(tr, t)
            # smoothing is for jitter: a detection far from the prediction (a fast move the
            # velocity has not caught up with) is followed at once, not eased towards
            residual = math.hypot(b.center[0] - p.center[0], b.center[1] - p.center[1]) / max(p.w, 1e-6)
            a = self.smoothing * min(1.0, max(0.0, 1.0 - (residual - 0.1) / 0.3))
            nx = a * p.x + (1 - a) * b.x
            ny = a * p.y + (1 - a) * b.y
            nw = a * p.w + (1 - a) * b.w
            nh = a * p.h + (1 - a) * b.h
            # velocity from raw detection to raw detection (the smoothed box lags), damped
            (bx, by), (rx, ry, rt) = b.center, tr.raw
            if t > rt:
                mvx, mvy = (bx - rx) / (t - rt), (by - ry) / (t - rt)
                tr.vx, tr.vy = 0.5 * tr.vx + 0.5 * mvx, 0.5 * tr.vy + 0.5 * mvy
            tr.raw = (bx, by, t)
            # the landmarks come from this detection, placed in the smoothed box
            tr.box = b.moved(nx, ny, nw, nh, self.smoothing * tr.box.angle + (1 - self.smoothing) * b.angle)
            tr.last_seen = t
            tr.last_update = t
            tr.hits += 1
            if looks[di] is not None:
                tr.look = looks[di] if tr.look is None else 0.8 * tr.look + 0.2 * looks[di]
        for tr in self.tracks:
            if tr.last_seen < t:
                # missed: coast on the velocity, slowing down (1 s time constant), within the hold
                decay = math.exp(-(t - tr.last_update) / 1.0)
                tr.box = self._predicted(tr, t)
                tr.last_update = t
                tr.vx *= decay
                tr.vy *= decay
        for di, b in enumerate(found):
            if di in matches or len(self.tracks) >= _MAX_TRACKS:
                continue
            self.tracks.append(_Track(self._next_id, b, 0.0, 0.0, t, t, t, looks[di], (*b.center, t)))
            self._next_id += 1
        return bool(found)

    def update(self, y: np.ndarray, t: float, u: np.ndarray | None = None, v: np.ndarray | None = None) -> list[TrackedFace]:
        """Advance to time ``t`` (seconds) with the current frame's planes.

        Parameters
        ----------
        y : np.ndarray
            Luma plane (H, W).
        t : float
            The frame's time in seconds (increasing).
        u, v : np.ndarray, optional
            Chroma planes (H/2, W/2); colour detectors and appearance use them.

        Returns
        -------
        list of TrackedFace
            The shown faces, largest first at the time they were chosen.
        """
        cut = self.cuts(y) if self.cuts is not None else False
        if cut:
            self.tracks = []
            self.cut_count += 1
            self._since_detect = 0
            self._faceless = 0
            self._flow_prev = None
        if self.optical_flow:
            self._follow_flow(y, t)
        idle = self.idle_every is not None and self._faceless >= self.idle_every
        if self._since_detect % (self.idle_every if idle else self.detect_every) == 0:  # type: ignore[operator]
            if self._detect(y, u, v, t):
                self._faceless = 0
            self._since_detect = 0
        self._since_detect += 1
        self._faceless += 1
        self._calls += 1
        self._last_t = t
        self.tracks = [tr for tr in self.tracks if t - tr.last_seen <= self.hold]
        shown = [tr for tr in self.tracks if tr.shown]
        if len(shown) < self.max_faces:
            # fill free places with the largest faces seen now (a missed face is not new)
            for tr in sorted((tr for tr in self.tracks if not tr.shown and tr.last_seen == t), key=lambda tr: -tr.box.w * tr.box.h):
                if len(shown) >= self.max_faces:
                    break
                tr.shown = True
                shown.append(tr)
        out = []
        for tr in shown:
            box = self._predicted(tr, t) if tr.last_update < t else tr.box
            out.append(TrackedFace(box, t - tr.first_seen, t - tr.last_seen, tr.id))
        return out
