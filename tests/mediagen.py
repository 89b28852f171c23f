"""Test media made on the spot with PyAV: frames that carry their own index.

Each frame has a 4x4 grid of black/white cells in a centred square whose side is
half the frame's shorter side; the 16 bits are the frame index. Cover-fitting keeps the
centre, so tests can read the index back from rendered output.
"""

from __future__ import annotations

from fractions import Fraction

import av
import cv2
import numpy as np

GRID = 4


def index_square(width: int, height: int) -> tuple[int, int, int]:
    """(x, y, side) of the index square in a frame of this size."""
    side = min(width, height) // 2
    return (width - side) // 2, (height - side) // 2, side


def draw_frame(width: int, height: int, index: int, *, hue: int = 0) -> np.ndarray:
    """An RGB frame: coloured background, a moving disc, and the index grid."""
    img = np.empty((height, width, 3), np.uint8)
    img[:] = ((hue * 53) % 200 + 30, (hue * 97) % 200 + 30, 120)
    cx = int((index * 7) % max(1, width))
    cv2.circle(img, (cx, height // 6), max(4, min(width, height) // 12), (250, 250, 40), -1)
    x0, y0, side = index_square(width, height)
    cell = side / GRID
    for bit in range(GRID * GRID):
        on = (index >> bit) & 1
        r, c = divmod(bit, GRID)
        xa, ya = int(x0 + c * cell), int(y0 + r * cell)
        xb, yb = int(x0 + (c + 1) * cell), int(y0 + (r + 1) * cell)
        img[ya:yb, xa:xb] = 235 if on else 16
    return img


def read_index(y_plane: np.ndarray, square: tuple[int, int, int] | None = None) -> int:
    """Read the index grid back from a luma plane (optionally at a given square)."""
    h, w = y_plane.shape
    x0, y0, side = square if square is not None else index_square(w, h)
    cell = side / GRID
    value = 0
    for bit in range(GRID * GRID):
        r, c = divmod(bit, GRID)
        cy, cx = int(y0 + (r + 0.5) * cell), int(x0 + (c + 0.5) * cell)
        pad = max(1, int(cell / 4))
        mean = float(y_plane[cy - pad : cy + pad, cx - pad : cx + pad].mean())
        if mean > 128:
            value |= 1 << bit
    return value


def make_video(
    path: str,
    *,
    width: int = 160,
    height: int = 284,
    fps: int | Fraction = 30,
    frames: int = 30,
    audio: bool = True,
    sr: int = 48000,
    layout: str = "stereo",
    tone_hz: float = 440.0,
    rotation: int = 0,
    pix_fmt: str = "yuv420p",
    codec: str = "libx264",
    timestamps: list[float] | None = None,
    video_start: float = 0.0,
    audio_start: float = 0.0,
    sar: Fraction | None = None,
    color_range: int | None = None,
    container_format: str | None = None,
    hue: int = 0,
    metadata: dict[str, str] | None = None,
) -> str:
    """Write a test video. ``timestamps`` (seconds) makes it VFR.

    With ``rotation`` the picture is stored turned back and tagged so that a player
    (rotating clockwise by ``rotation``) shows it upright at ``height`` x ``width``.
    """
    out = av.open(path, "w", format=container_format)
    if metadata:
        for k, v in metadata.items():
            out.metadata[k] = v
    fps = Fraction(fps)
    vs = out.add_stream(codec, rate=fps)
    vs.width, vs.height = width, height
    vs.pix_fmt = pix_fmt
    tb = Fraction(1, 90000)
    vs.time_base = tb
    vs.codec_context.time_base = Fraction(1) / fps if timestamps is None else tb
    if codec == "libx264":
        vs.options = {"preset": "ultrafast", "crf": "18"}
    if sar is not None:
        vs.sample_aspect_ratio = sar
        vs.codec_context.sample_aspect_ratio = sar
    if color_range is not None:
        vs.codec_context.color_range = color_range
    if rotation:
        vs.set_display_rotation(-rotation)  # counter-clockwise degrees in the display matrix
    aus = None
    if audio:
        aus = out.add_stream("aac", rate=sr)
        aus.layout = layout
        aus.time_base = Fraction(1, sr)
    for i in range(frames):
        if rotation in (90, 270):  # draw upright at the display size, store sideways
            img = draw_frame(height, width, i, hue=hue)
        else:
            img = draw_frame(width, height, i, hue=hue)
        if rotation:  # the player rotates clockwise by `rotation`, so store it turned back
            img = np.ascontiguousarray(np.rot90(img, k=rotation // 90))
        frame = av.VideoFrame.from_ndarray(img, format="rgb24")
        frame = frame.reformat(format=pix_fmt)
        if color_range is not None:
            frame.color_range = color_range
        t = (timestamps[i] if timestamps is not None else i / float(fps)) + video_start
        if timestamps is not None:
            frame.pts = int(round(t / tb))
            frame.time_base = tb
        else:
            frame.pts = i + int(round(video_start * float(fps)))
        out.mux(vs.encode(frame))
    out.mux(vs.encode(None))
    if aus is not None:
        duration = (timestamps[-1] + 1 / float(fps)) if timestamps is not None else frames / float(fps)
        n = int(duration * sr)
        channels = av.AudioLayout(layout).nb_channels
        t = np.arange(n) / sr
        tone = (0.3 * np.sin(2 * np.pi * tone_hz * t)).astype(np.float32)
        data = np.tile(tone, (channels, 1))
        offset = int(round(audio_start * sr))
        for s in range(0, n, 1024):
            af = av.AudioFrame.from_ndarray(np.ascontiguousarray(data[:, s : s + 1024]), format="fltp", layout=layout)
            af.sample_rate = sr
            af.pts = s + offset
            af.time_base = Fraction(1, sr)
            out.mux(aus.encode(af))
        out.mux(aus.encode(None))
    out.close()
    return path


def make_audio(path: str, *, duration: float = 2.0, sr: int = 44100, bpm: float = 120.0, layout: str = "stereo", codec: str = "aac", container_format: str | None = None) -> str:
    """A click track: a short 1 kHz burst on every beat, over a quiet 110 Hz hum."""
    n = int(duration * sr)
    t = np.arange(n) / sr
    sig = 0.05 * np.sin(2 * np.pi * 110 * t)
    period = 60.0 / bpm
    for k in range(int(duration / period) + 1):
        a = int(k * period * sr)
        b = min(n, a + int(0.03 * sr))
        if a < n:
            sig[a:b] += 0.6 * np.sin(2 * np.pi * 1000 * t[: b - a]) * np.linspace(1, 0, b - a)
    out = av.open(path, "w", format=container_format)
    st = out.add_stream(codec, rate=sr)
    st.layout = layout
    channels = av.AudioLayout(layout).nb_channels
    data = np.tile(sig.astype(np.float32), (channels, 1))
    fmt = "fltp" if codec == "aac" else "s16"
    for s in range(0, n, 1024):
        chunk = np.ascontiguousarray(data[:, s : s + 1024])
        if fmt == "s16":
            chunk = (np.clip(chunk, -1, 1) * 32767).astype(np.int16).T.reshape(1, -1)
        af = av.AudioFrame.from_ndarray(chunk, format=fmt, layout=layout)
        af.sample_rate = sr
        af.pts = s
        out.mux(st.encode(af))
    out.mux(st.encode(None))
    out.close()
    return path
