"""Test media made on the spot with PyAV: frames that carry their own index.

Each frame has a 4x4 grid of black/white cells in a centred square whose side is
half the frame's shorter side; the 16 bits are the frame index. Cover-fitting keeps the
centre, so tests can read the index back from rendered output.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

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


def read_index_rect(y_plane: np.ndarray, x: float, y: float, width: float, height: float) -> int:
    """Read the index grid drawn (stretched) into the rectangle ``(x, y, width, height)``."""
    value = 0
    cw, ch = width / GRID, height / GRID
    for bit in range(GRID * GRID):
        r, c = divmod(bit, GRID)
        cy, cx = int(y + (r + 0.5) * ch), int(x + (c + 0.5) * cw)
        py, px = max(1, int(ch / 4)), max(1, int(cw / 4))
        if float(y_plane[cy - py : cy + py, cx - px : cx + px].mean()) > 128:
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
    container_options: dict[str, str] | None = None,
    gop: int | None = None,
    channel_gains: tuple[float, ...] | None = None,
) -> str:
    """Write a test video. ``timestamps`` (seconds) makes it VFR.

    With ``rotation`` the picture is stored turned back and tagged so that a player
    (rotating clockwise by ``rotation``) shows it upright at ``height`` x ``width``.
    ``gop`` sets the keyframe interval (small values make seeking matter);
    ``channel_gains`` scales the tone per channel (e.g. sound in one channel of 5.1 only);
    ``container_options`` go to the muxer (e.g. ``{"movflags": "use_metadata_tags"}``
    so that ``make``/``model`` tags are written).
    """
    out = av.open(path, "w", format=container_format, options=container_options or {})
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
    if gop is not None:
        vs.codec_context.gop_size = gop
        if codec == "libx264":
            vs.options = {**vs.options, "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0"}
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
        if channel_gains is not None:
            data = data * np.asarray(channel_gains, np.float32).reshape(-1, 1)
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


def make_flash_video(
    path: str,
    *,
    width: int = 64,
    height: int = 64,
    fps: int = 30,
    frames: int = 60,
    flashes: tuple[int, ...] = (15, 45),
    sr: int = 48000,
    video_start: float = 0.0,
    audio_start: float = 0.0,
    audio_duration: float | None = None,
    gop: int | None = None,
    preset: str = "ultrafast",
) -> str:
    """A sync test clip: dark frames, with a white frame and a click at the same instants.

    Frame ``k`` (for ``k`` in ``flashes``) is white and is shown at file time
    ``video_start + k / fps``; the audio (starting at ``audio_start``) is silent but for
    a 10 ms 1 kHz burst starting at that same file time. ``preset`` other than
    ``ultrafast`` gives B-frames (decode order differs from display order).
    """
    out = av.open(path, "w")
    vs = out.add_stream("libx264", rate=fps)
    vs.width, vs.height = width, height
    vs.pix_fmt = "yuv420p"
    vs.time_base = Fraction(1, fps)
    vs.codec_context.time_base = Fraction(1, fps)
    vs.options = {"preset": preset, "crf": "18"}
    if gop is not None:  # keyframes every `gop` frames, so that trims really seek
        vs.codec_context.gop_size = gop
        vs.options = {**vs.options, "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0"}
    aus = out.add_stream("aac", rate=sr)
    aus.layout = "stereo"
    aus.time_base = Fraction(1, sr)
    dark = np.full((height, width, 3), 40, np.uint8)
    white = np.full((height, width, 3), 255, np.uint8)
    first = int(round(video_start * fps))
    for i in range(frames):
        frame = av.VideoFrame.from_ndarray(white if i in flashes else dark, format="rgb24").reformat(format="yuv420p")
        frame.pts = i + first
        out.mux(vs.encode(frame))
    out.mux(vs.encode(None))
    end = audio_duration if audio_duration is not None else video_start + frames / fps - audio_start
    n = int(round(end * sr))
    sig = np.zeros(n, np.float32)
    burst = int(0.010 * sr)
    for k in flashes:
        a = int(round((video_start + k / fps - audio_start) * sr))
        if 0 <= a < n:
            b = min(n, a + burst)
            sig[a:b] = 0.8 * np.sin(2 * np.pi * 1000 * np.arange(b - a) / sr)
    data = np.tile(sig, (2, 1))
    offset = int(round(audio_start * sr))
    for s in range(0, n, 1024):
        af = av.AudioFrame.from_ndarray(np.ascontiguousarray(data[:, s : s + 1024]), format="fltp", layout="stereo")
        af.sample_rate = sr
        af.pts = s + offset
        af.time_base = Fraction(1, sr)
        out.mux(aus.encode(af))
    out.mux(aus.encode(None))
    out.close()
    return path


def decode_output(path: str) -> tuple[list[np.ndarray], np.ndarray, int]:
    """Decode a rendered file: the luma planes of every frame, the audio (channels, n) and its rate."""
    lumas: list[np.ndarray] = []
    with av.open(path) as container:
        for frame in container.decode(video=0):
            if frame.format.name not in ("yuv420p", "yuvj420p"):
                frame = frame.reformat(format="yuv420p")
            lumas.append(frame.to_ndarray()[: frame.height].copy())  # the Y plane, as coded
    audio = np.zeros((2, 0), np.float32)
    sr = 0
    with av.open(path) as container:
        if container.streams.audio:
            sr = container.streams.audio[0].sample_rate
            chunks = [f.to_ndarray().reshape(f.layout.nb_channels, -1) if f.format.is_planar else f.to_ndarray().reshape(-1, f.layout.nb_channels).T for f in container.decode(audio=0)]
            if chunks:
                audio = np.concatenate(chunks, axis=1).astype(np.float32)
    return lumas, audio, sr


def onsets(audio: np.ndarray, sr: int, *, threshold: float = 0.2, gap: float = 0.1) -> list[float]:
    """Seconds where the absolute signal first exceeds ``threshold`` after ``gap`` s of quiet."""
    level = np.abs(audio).max(axis=0) if audio.ndim == 2 else np.abs(audio)
    loud = np.flatnonzero(level > threshold)
    out: list[float] = []
    last = -1e9
    for i in loud:
        t = i / sr
        if t - last > gap:
            out.append(float(t))
        last = t
    return out


def make_levels_video(
    path: str, *, width: int = 64, height: int = 64, frames: int = 5, pix_fmt: str = "yuv420p", color_range: int | None = None
) -> str:
    """Left half RGB black, right half RGB white, encoded in ``pix_fmt`` (and range)."""
    out = av.open(path, "w")
    vs = out.add_stream("libx264", rate=30)
    vs.width, vs.height = width, height
    vs.pix_fmt = pix_fmt
    vs.options = {"preset": "ultrafast", "crf": "10"}
    if color_range is not None:
        vs.codec_context.color_range = color_range
    img = np.zeros((height, width, 3), np.uint8)
    img[:, width // 2 :] = 255
    for i in range(frames):
        frame = av.VideoFrame.from_ndarray(img, format="rgb24")
        frame = frame.reformat(format=pix_fmt, dst_color_range=color_range or 1)
        if color_range is not None:
            frame.color_range = color_range
        frame.pts = i
        out.mux(vs.encode(frame))
    out.mux(vs.encode(None))
    out.close()
    return path


def draw_face(grey: np.ndarray, cx: int, cy: int, size: int) -> None:
    """Draw a simple face (oval, eyes, brows, nose, mouth) that OpenCV's shipped frontal-face
    Haar cascade finds, ``size`` pixels wide, centred at ``(cx, cy)`` on a grey image."""
    s = size
    cv2.ellipse(grey, (cx, cy), (int(s * 0.5), int(s * 0.65)), 0, 0, 360, 190, -1)
    for dx in (-0.2, 0.2):
        cv2.ellipse(grey, (int(cx + dx * s), int(cy - 0.12 * s)), (int(0.1 * s), int(0.05 * s)), 0, 0, 360, 40, -1)
        brow = int(cy - 0.24 * s)
        cv2.line(grey, (int(cx + dx * s - 0.12 * s), brow), (int(cx + dx * s + 0.12 * s), brow), 60, max(2, int(0.03 * s)))
    cv2.ellipse(grey, (cx, int(cy + 0.12 * s)), (int(0.06 * s), int(0.04 * s)), 0, 0, 360, 120, -1)
    cv2.ellipse(grey, (cx, int(cy + 0.3 * s)), (int(0.18 * s), int(0.05 * s)), 0, 0, 360, 70, -1)


# -- faces in colour (skin tones, colour casts) ------------------------------------------------
SKIN_TONES = {
    # sRGB swatches from very light to very dark skin
    "pale": (250, 226, 214),
    "light": (241, 194, 167),
    "beige": (224, 172, 140),
    "tan": (198, 134, 96),
    "brown": (141, 85, 56),
    "dark": (84, 52, 38),
}
COLOR_CASTS = {
    # per-channel RGB gains of the light
    "neutral": (1.0, 1.0, 1.0),
    "blue": (0.78, 0.95, 1.3),
    "warm": (1.2, 1.0, 0.72),
    "green": (0.9, 1.15, 0.85),
}


def colour_face(tone: str, cast: str = "neutral", *, size: int = 256, seed: int = 0, mixed: bool = False) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """An RGB portrait: a textured face of skin ``tone`` under the light ``cast``, with eyes,
    brows, lips and hair, on a neutral wall; and boolean masks of its regions.

    Returns
    -------
    rgb : np.ndarray
        (size * 4 // 3, size) uint8 image.
    masks : dict
        ``cheeks`` (plain skin, away from the features), ``features`` (eyes, brows,
        lips, hairline: the edges a beauty filter must keep), ``face``.
    mixed : bool
        Light of the cast on the left half, neutral on the right (mixed light).
    """
    rng = np.random.default_rng(seed)
    w, h = size, size * 4 // 3 // 2 * 2
    img = np.empty((h, w, 3), np.float32)
    img[...] = (150, 148, 146)  # a neutral wall with a white shelf (highlights) and a plant
    img[int(0.9 * h) :, :] = (236, 236, 234)
    cv2.rectangle(img, (int(0.02 * w), int(0.55 * h)), (int(0.12 * w), int(0.85 * h)), (60, 120, 50), -1)
    cx, cy, fw, fh = w // 2, int(0.55 * h), int(0.34 * w), int(0.42 * h)
    skin = np.array(SKIN_TONES[tone], np.float32)
    face = np.zeros((h, w), np.uint8)
    cv2.ellipse(face, (cx, cy), (fw, fh), 0, 0, 360, 255, -1)
    # skin: the tone with shading, pores and blemishes (the detail a beauty filter removes)
    shade = 1.0 - 0.18 * ((np.arange(w)[None, :] - cx) / fw) ** 2
    texture = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), 1.2)
    texture = texture / texture.std() * 0.06
    blotch = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), 4)
    blotch = blotch / blotch.std() * 0.04
    for c in range(3):
        layer = skin[c] * shade * (1.0 + texture + blotch)
        img[..., c] = np.where(face > 0, layer, img[..., c])
    features = np.zeros((h, w), np.uint8)
    hair = np.zeros((h, w), np.uint8)
    cv2.ellipse(hair, (cx, int(cy - 0.55 * fh)), (int(1.08 * fw), int(0.62 * fh)), 0, 180, 360, 255, -1)
    strands = (np.sin(np.arange(w) * 1.3)[None, :] * 18 + rng.normal(0, 8, (h, w))).astype(np.float32)
    img[hair > 0] = (np.array((40, 28, 22), np.float32) + strands[hair > 0, None])
    cv2.ellipse(features, (cx, int(cy - 0.55 * fh)), (int(1.08 * fw), int(0.62 * fh)), 0, 180, 360, 255, 9)
    for dx in (-0.38, 0.38):
        ex, ey = int(cx + dx * fw), int(cy - 0.18 * fh)
        cv2.ellipse(img, (ex, ey), (int(0.2 * fw), int(0.08 * fh)), 0, 0, 360, (235, 232, 228), -1)
        cv2.circle(img, (ex, ey), int(0.07 * fh), (70, 45, 30), -1)
        cv2.circle(img, (ex, ey), int(0.03 * fh), (10, 10, 10), -1)
        cv2.line(img, (ex - int(0.24 * fw), ey - int(0.16 * fh)), (ex + int(0.24 * fw), ey - int(0.19 * fh)), (45, 32, 25), max(3, size // 60))
        cv2.ellipse(features, (ex, ey), (int(0.26 * fw), int(0.14 * fh)), 0, 0, 360, 255, -1)
        cv2.line(features, (ex - int(0.24 * fw), ey - int(0.16 * fh)), (ex + int(0.24 * fw), ey - int(0.19 * fh)), 255, max(3, size // 60) + 6)
    lips = (int(0.22 * fw), int(0.07 * fh))
    cv2.ellipse(img, (cx, int(cy + 0.5 * fh)), lips, 0, 0, 360, tuple(float(v) for v in skin * np.array([0.85, 0.55, 0.6])), -1)
    cv2.ellipse(features, (cx, int(cy + 0.5 * fh)), (lips[0] + 4, lips[1] + 4), 0, 0, 360, 255, -1)
    cheeks = np.zeros((h, w), np.uint8)
    for dx in (-0.5, 0.5):
        cv2.circle(cheeks, (int(cx + dx * fw), int(cy + 0.18 * fh)), int(0.17 * fw), 255, -1)
    gains = np.array(COLOR_CASTS[cast], np.float32)
    if mixed:
        ramp = np.clip((np.arange(w) - 0.3 * w) / (0.4 * w), 0, 1)[None, :, None]
        img = img * (gains * (1 - ramp) + ramp)
    else:
        img = img * gains
    rgb = np.clip(img, 0, 255).astype(np.uint8)
    return rgb, {"cheeks": cheeks > 0, "features": features > 0, "face": face > 0}


def write_grey_video(path: str | Path, frames: list[np.ndarray], *, fps: int = 30, crf: int = 18) -> Path:
    """Encode greyscale (H, W) uint8 frames as an H.264 MP4 (ultrafast); returns the path."""
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv420p"
        s.options = {"preset": "ultrafast", "crf": str(crf)}
        for k, grey in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.repeat(np.ascontiguousarray(grey)[..., None], 3, axis=2), format="rgb24")
            frame.pts = k
            for p in s.encode(frame):
                out.mux(p)
        for p in s.encode(None):
            out.mux(p)
    return Path(path)



# -- ICC profiles ----------------------------------------------------------------------------
_D50 = np.array([0.9642, 1.0, 0.8249])
_BRADFORD = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]])


def _xyz(x: float, y: float) -> np.ndarray:
    return np.array([x / y, 1.0, (1.0 - x - y) / y])


def icc_rgb_profile(primaries: tuple[tuple[float, float], ...], *, gamma: float, description: str, white: tuple[float, float] = (0.3127, 0.3290)) -> bytes:
    """A matrix/TRC RGB display profile (ICC v2): chromaticities of R, G, B, a white and
    one gamma for all three channels; its colorants adapted to D50 (Bradford), as ICC asks."""
    import struct

    w = _xyz(*white)
    m = np.stack([_xyz(*p) for p in primaries], axis=1)
    m = m * np.linalg.solve(m, w)  # columns scaled so R + G + B = the white
    cone = _BRADFORD @ _D50 / (_BRADFORD @ w)
    adapt = np.linalg.inv(_BRADFORD) @ np.diag(cone) @ _BRADFORD
    colorants = adapt @ m

    def s15(v: float) -> bytes:
        return struct.pack(">i", int(round(v * 65536)))

    def xyz_tag(v: np.ndarray) -> bytes:
        return b"XYZ " + b"\0" * 4 + b"".join(s15(c) for c in v)

    ascii_text = description.encode("ascii") + b"\0"
    desc = b"desc" + b"\0" * 4 + struct.pack(">I", len(ascii_text)) + ascii_text + b"\0" * 8 + b"\0\0\0" + b"\0" * 67
    curve = b"curv" + b"\0" * 4 + struct.pack(">IH", 1, int(round(gamma * 256))) + b"\0\0"
    text = b"text" + b"\0" * 4 + b"public domain test profile\0"
    tags = [(b"desc", desc), (b"wtpt", xyz_tag(_D50)), (b"rXYZ", xyz_tag(colorants[:, 0])), (b"gXYZ", xyz_tag(colorants[:, 1])),
            (b"bXYZ", xyz_tag(colorants[:, 2])), (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve), (b"cprt", text)]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for sig, body in tags:
        body = body + b"\0" * (-len(body) % 4)
        table += sig + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = struct.pack(">I", size) + b"\0" * 4 + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ " + b"\0" * 12 + b"acsp"
    header += b"\0" * (68 - len(header)) + b"".join(s15(c) for c in _D50)
    header += b"\0" * (128 - len(header))
    return header + struct.pack(">I", len(tags)) + table + data


SRGB_PRIMARIES = ((0.64, 0.33), (0.30, 0.60), (0.15, 0.06))
P3_PRIMARIES = ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060))
