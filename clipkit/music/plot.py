"""A picture of an analysis a creator understands at a glance (drawn with OpenCV).

Top: the waveform, with high-energy sections shaded and the montage's span framed.
Bottom: the onset envelope. Across both: beats (thin grey; red where the beat
confidence is low and cuts follow onsets instead), bar lines (orange, with bar numbers)
and the planned cuts (cyan, dashed). A time axis in seconds runs along
the bottom.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import MediaError

__all__ = ["plot_analysis", "render_analysis_image"]

_BG = (24, 22, 20)
_WAVE = (200, 170, 120)
_ENV = (120, 220, 140)
_BEAT = (150, 150, 150)
_UNSURE = (60, 60, 220)
_BAR = (40, 150, 255)
_CUT = (255, 230, 60)
_SECTION = (60, 40, 90)
_TEXT = (235, 235, 235)


def render_analysis_image(
    waveform: np.ndarray,
    sr: int,
    analysis: Any,
    *,
    cuts: Sequence[float] = (),
    span: tuple[float, float] | None = None,
    width: int = 1600,
    height: int = 560,
    title: str = "",
) -> np.ndarray:
    """Draw the picture into a BGR uint8 array of shape ``(height, width, 3)``."""
    import cv2

    img = np.zeros((height, width, 3), np.uint8)
    img[:] = _BG
    left, right, top = 60, 20, 46
    axis_h = 34
    plot_w = width - left - right
    wave_top, wave_h = top, int((height - top - axis_h) * 0.55)
    env_top = wave_top + wave_h + 10
    env_h = height - axis_h - env_top
    duration = max(analysis.duration, waveform.size / sr if sr else 0.0, 1e-3)

    def x_of(t: float | np.ndarray) -> np.ndarray:
        return (left + np.asarray(t, dtype=np.float64) / duration * plot_w).round().astype(np.int64)

    for s in analysis.sections:
        cv2.rectangle(img, (int(x_of(s.start)), wave_top), (int(x_of(s.end)), env_top + env_h), _SECTION, -1)
    if span is not None:
        cv2.rectangle(img, (int(x_of(span[0])), wave_top - 4), (int(x_of(span[1])), env_top + env_h + 4), _CUT, 1)

    # waveform: min/max of the samples under each pixel column
    if waveform.size:
        edges = np.linspace(0, waveform.size, plot_w + 1).astype(np.int64)
        idx = np.clip(edges[:-1], 0, waveform.size - 1)
        hi = np.maximum.reduceat(waveform, idx)
        lo = np.minimum.reduceat(waveform, idx)
        peak = max(float(np.abs(waveform).max()), 1e-6)
        mid = wave_top + wave_h // 2
        for i in range(plot_w):
            y0 = int(mid - hi[i] / peak * (wave_h // 2 - 2))
            y1 = int(mid - lo[i] / peak * (wave_h // 2 - 2))
            cv2.line(img, (left + i, y0), (left + i, y1), _WAVE, 1)

    env = np.asarray(analysis.envelope, dtype=np.float64)
    if env.size:
        t = analysis.envelope_times()
        xs = x_of(t)
        ys = (env_top + env_h - 2 - np.clip(env, 0, 1) * (env_h - 4)).round().astype(np.int64)
        pts = np.stack([xs, ys], axis=1).reshape(-1, 1, 2).astype(np.int32)
        cv2.polylines(img, [pts], False, _ENV, 1, lineType=cv2.LINE_AA)

    from .cuts import LOW_CONFIDENCE

    sure = np.asarray(getattr(analysis, "beat_confidence", np.ones(analysis.beats.size)), dtype=np.float64)
    for t, c in zip(analysis.beats, sure):
        x = int(x_of(t))
        cv2.line(img, (x, wave_top + wave_h - 12), (x, env_top + env_h), _BEAT if c >= LOW_CONFIDENCE else _UNSURE, 1)
    for n, t in enumerate(analysis.downbeats, start=1):
        x = int(x_of(t))
        cv2.line(img, (x, wave_top), (x, env_top + env_h), _BAR, 2 if plot_w / max(1, analysis.downbeats.size) > 6 else 1)
        if plot_w / max(1, analysis.downbeats.size) > 28 or n % 8 == 1:
            cv2.putText(img, str(n), (x + 2, wave_top + 12), cv2.FONT_HERSHEY_SIMPLEX, 0.35, _BAR, 1, cv2.LINE_AA)
    for t in cuts:
        x = int(x_of(t))
        for y in range(wave_top, env_top + env_h, 8):
            cv2.line(img, (x, y), (x, min(y + 4, env_top + env_h)), _CUT, 2)

    # time axis
    base = height - axis_h + 6
    cv2.line(img, (left, base), (left + plot_w, base), _TEXT, 1)
    step = _tick_step(duration, plot_w)
    t = 0.0
    while t <= duration + 1e-9:
        x = int(x_of(t))
        cv2.line(img, (x, base), (x, base + 5), _TEXT, 1)
        label = f"{t:.0f}s" if step >= 1 else f"{t:.1f}s"
        cv2.putText(img, label, (x - 10, base + 20), cv2.FONT_HERSHEY_SIMPLEX, 0.4, _TEXT, 1, cv2.LINE_AA)
        t += step
    cv2.putText(img, "wave", (6, wave_top + wave_h // 2), cv2.FONT_HERSHEY_SIMPLEX, 0.4, _WAVE, 1, cv2.LINE_AA)
    cv2.putText(img, "onsets", (6, env_top + env_h // 2), cv2.FONT_HERSHEY_SIMPLEX, 0.4, _ENV, 1, cv2.LINE_AA)

    head = title + ("  |  " if title else "")
    if analysis.is_empty:
        head += "no beat found" + (f": {analysis.no_beat_reason}" if getattr(analysis, "no_beat_reason", "") else "")
    else:
        head += f"{analysis.tempo:.1f} BPM  {analysis.beats.size} beats  {analysis.downbeats.size} bars"
        alternatives = getattr(analysis, "tempo_alternatives", ())
        if alternatives:
            head += f"  (or {alternatives[0]:.1f} BPM)"
    cv2.putText(img, head, (left, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.55, _TEXT, 1, cv2.LINE_AA)
    legend = [("beat", _BEAT), ("unsure beat", _UNSURE), ("bar line", _BAR), ("cut", _CUT), ("loud section", (120, 80, 170))]
    x = left
    for name, color in legend:
        cv2.line(img, (x, 34), (x + 18, 34), color, 3)
        cv2.putText(img, name, (x + 22, 38), cv2.FONT_HERSHEY_SIMPLEX, 0.4, _TEXT, 1, cv2.LINE_AA)
        x += 30 + 9 * len(name)
    return img


def _tick_step(duration: float, width: int) -> float:
    for step in (0.5, 1, 2, 5, 10, 15, 30, 60, 120):
        if duration / step * 60 <= width:
            return float(step)
    return 300.0


def plot_analysis(
    path: str | os.PathLike[str],
    analysis: Any,
    out: str | os.PathLike[str],
    *,
    cuts: Sequence[float] = (),
    span: tuple[float, float] | None = None,
    width: int = 1600,
    height: int = 560,
) -> str:
    """Decode ``path``'s sound and write the picture to ``out`` (PNG or JPEG).

    Raises
    ------
    MediaError
        When the image cannot be written.
    """
    import cv2

    from ..media.audio import load_audio

    y, sr = load_audio(path, sr=8000, mono=True)
    img = render_analysis_image(y[0], sr, analysis, cuts=cuts, span=span, width=width, height=height, title=os.path.basename(os.fspath(path)))
    out = os.fspath(out)
    ok = False
    try:
        ok = bool(cv2.imwrite(out, img))
    except cv2.error:
        ok = False
    if not ok:
        raise MediaError(out, "cannot write the plot here (use a .png or .jpg path in a writable folder)")
    return out
