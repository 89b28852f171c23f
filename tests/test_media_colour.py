"""Sources in other colours than the output's SDR BT.709: HDR (PQ, HLG), BT.2020 and BT.601."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

import clipkit as ck
from clipkit.media import colour
from clipkit.media.video import read_video_frames

# FFmpeg's colour tags: (primaries, transfer, matrix)
HLG = (9, 18, 9)
PQ = (9, 16, 9)
BT2020_SDR = (9, 14, 9)
BT709 = (1, 1, 1)


def _pq_signal(nits: float) -> float:
    m1, m2 = 2610 / 16384, 2523 / 4096 * 128
    c1, c2, c3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32
    lum = (nits / 10000) ** m1
    return ((c1 + c2 * lum) / (1 + c3 * lum)) ** m2


def _write(path: Path, signals: list[float], tags: tuple[int, int, int], *, codec: str = "libx264", pix_fmt: str = "yuv420p") -> str:
    """Grey bars of the given signal levels (0..1 of the curve), tagged as ``tags``."""
    w, h = 64 * len(signals), 64
    rgb = np.zeros((h, w, 3), np.uint8)
    for k, e in enumerate(signals):
        rgb[:, 64 * k : 64 * (k + 1)] = int(round(255 * e))
    with av.open(str(path), "w") as c:
        s = c.add_stream(codec, rate=10)
        s.width, s.height, s.pix_fmt = w, h, pix_fmt
        cc = s.codec_context
        cc.color_primaries, cc.color_trc, cc.colorspace = tags
        if codec == "libx265":
            s.options = {"x265-params": "log-level=error"}
        else:
            s.options = {"crf": "4"}
        for _ in range(5):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format=pix_fmt, dst_color_range=1)
            for p in s.encode(frame):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return str(path)


def _bars(path: str, n: int) -> list[float]:
    frame, _ = next(read_video_frames(path, start=0.0, count=1, fps=Fraction(10)))
    return [float(frame.y[16:48, 64 * k + 16 : 64 * k + 48].mean()) for k in range(n)]


def _sdr_y(value: float) -> float:
    return 16 + 219 * value


def _source_bars(path: str, n: int) -> list[float]:
    """The bars' source signal (0..1) as the 8-bit planes the conversion reads hold it."""
    with av.open(path) as c:
        y = next(c.decode(video=0)).reformat(format="yuv420p").to_ndarray()[:64]
    return [(float(np.round(y[16:48, 64 * k + 16 : 64 * k + 48].mean())) - 16) / 219 for k in range(n)]


def test_the_curves_put_hdr_reference_white_near_sdr_white_and_keep_highlights_apart() -> None:
    grey = lambda e, kind: float(colour.convert_rgb(np.array([[e, e, e]], np.float32), kind)[0, 1])  # noqa: E731
    ramp = np.linspace(0, 1, 41)
    for kind, signal in (("hlg", lambda x: x), ("pq", lambda x: _pq_signal(1000 * x**2.4))):
        values = [grey(signal(x), kind) for x in ramp]
        assert values[0] == 0.0 and values[-1] == pytest.approx(1.0, abs=1e-3)
        assert all(b >= a for a, b in zip(values, values[1:]))  # monotone: no band folds over
    # reference white (75% HLG, 203 nits PQ) a little under SDR white, with room above it
    assert 0.92 <= grey(0.75, "hlg") <= 0.97
    assert grey(_pq_signal(203), "pq") == pytest.approx(grey(0.75, "hlg"), abs=0.01)
    assert grey(_pq_signal(400), "pq") < grey(_pq_signal(800), "pq") < 1.0  # highlights roll off, not clip
    # a neutral stays neutral; a saturated BT.2020 green is green and inside BT.709
    neutral = colour.convert_rgb(np.array([[0.5, 0.5, 0.5]], np.float32), "hlg")[0]
    assert np.ptp(neutral) < 2e-3
    green = colour.convert_rgb(np.array([[0.1, 0.7, 0.1]], np.float32), "hlg")[0]
    assert green.min() >= 0.0 and green[1] > green[0] + 0.3 and green[1] > green[2] + 0.3


@pytest.mark.parametrize("tags, kind, signals, expected", [
    (HLG, "hlg", [0.0, 0.5, 0.75], [0.0, 0.561, 0.946]),
    (PQ, "pq", [_pq_signal(0.0), _pq_signal(100), _pq_signal(203)], [0.0, 0.745, 0.946]),
])
def test_an_hdr_clip_decodes_to_sdr_levels(tags: tuple[int, int, int], kind: str, signals: list[float], expected: list[float], tmp_path: Path) -> None:
    path = _write(tmp_path / f"{kind}.mp4", signals, tags)
    assert ck.probe(path).video.colour == kind
    got = _bars(path, len(signals))
    for g, e in zip(got, expected):
        # within a few levels of the curve's value: PQ's 8-bit steps are ~2 SDR levels here
        assert g == pytest.approx(_sdr_y(e), abs=5.0), (got, expected)
    # and exactly the curve's value for the code levels the source holds (within rounding)
    for g, e in zip(got, _source_bars(path, len(signals))):
        want = float(colour.convert_rgb(np.array([[e, e, e]], np.float32), kind)[0, 1])
        assert g == pytest.approx(_sdr_y(want), abs=1.5), (got, e)


def test_a_10_bit_hlg_phone_style_clip_is_converted(tmp_path: Path) -> None:
    path = _write(tmp_path / "hlg10.mp4", [0.25, 0.75], HLG, codec="libx265", pix_fmt="yuv420p10le")
    info = ck.probe(path).video
    assert info.pix_fmt == "yuv420p10le" and info.colour == "hlg"
    got = _bars(path, 2)
    assert got[1] == pytest.approx(_sdr_y(0.946), abs=3.0)
    assert got[0] == pytest.approx(_sdr_y(float(colour.convert_rgb(np.array([[0.25] * 3], np.float32), "hlg")[0, 1])), abs=3.0)


def test_sdr_bt709_clips_are_left_exactly_as_decoded(tmp_path: Path) -> None:
    signals = [0.1, 0.5, 0.9]
    path = _write(tmp_path / "sdr.mp4", signals, BT709)
    assert ck.probe(path).video.colour is None
    frame, _ = next(read_video_frames(path, start=0.0, count=1, fps=Fraction(10)))
    with av.open(path) as c:
        plain = next(c.decode(video=0)).to_ndarray(format="yuv420p")[:64]
    assert np.array_equal(frame.y, plain)


def test_bt2020_primaries_with_an_sdr_curve_change_only_the_gamut(tmp_path: Path) -> None:
    path = _write(tmp_path / "wide.mp4", [0.2, 0.5, 0.8], BT2020_SDR)
    assert ck.probe(path).video.colour == "bt2020"
    got = _bars(path, 3)  # greys: the same light in either gamut
    for g, e in zip(got, [0.2, 0.5, 0.8]):
        assert g == pytest.approx(_sdr_y(e), abs=2.0)
    # a saturated wide-gamut colour: more saturated once shown in BT.709 terms
    wide = colour.convert_rgb(np.array([[0.2, 0.6, 0.2]], np.float32), "bt2020")[0]
    assert wide[1] - wide[0] > 0.4


@pytest.mark.parametrize("fit", ["cover", "contain", "blur", "stretch"])
def test_a_render_converts_the_hdr_picture_and_never_the_background(fit: str, tmp_path: Path) -> None:
    # cover scales the source up (converted inside the fit, on the crop); contain lays it
    # on a coloured background, which must keep its colour exactly
    path = _write(tmp_path / "hlg.mp4", [0.75, 0.75, 0.75, 0.75], HLG)  # 256x64 of reference white
    out = tmp_path / f"{fit}.mp4"
    edit = ck.sequence([ck.open(path)], canvas=ck.Canvas(128, 128, 10, background=(200, 40, 40)), fit=fit)
    edit.render(str(out))
    with av.open(str(out)) as c:
        y = next(c.decode(video=0)).to_ndarray(format="yuv420p")
        rgb = next(c.decode(video=0)).to_ndarray(format="rgb24") if fit == "contain" else None
    assert float(y[56:72, 56:72].mean()) == pytest.approx(_sdr_y(0.946), abs=3.0)
    if rgb is not None:
        assert np.abs(rgb[4, 4].astype(int) - (200, 40, 40)).max() <= 3
    if fit == "blur":  # the backdrop is the clip too, dimmed (0.75 Y + 4): converted as well
        assert float(y[4:12, 56:72].mean()) == pytest.approx(0.75 * _sdr_y(0.946) + 4, abs=6.0)


def _colour_bars(path: Path, colours: list[tuple[int, int, int]], *, size: tuple[int, int], matrix: int, coded: str, fmt: str = "yuv420p") -> str:
    """Bars of RGB colours coded with the ``coded`` matrix and tagged ``matrix`` (5 BT.601, 1 BT.709, 2 untagged)."""
    w, h = size
    rgb = np.zeros((h, w, 3), np.uint8)
    bw = w // len(colours)
    for k, c in enumerate(colours):
        rgb[:, k * bw : (k + 1) * bw] = c
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=10)
        s.width, s.height, s.pix_fmt = w, h, fmt
        s.options = {"crf": "2"}
        s.codec_context.colorspace = matrix
        for _ in range(3):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format=fmt, dst_colorspace=coded)
            for p in s.encode(frame):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return str(path)


def _rgb709(frame) -> np.ndarray:  # noqa: ANN001
    from clipkit.effects.kernels import ref_yuv420_to_rgb

    return ref_yuv420_to_rgb(frame.y, frame.u, frame.v)


COLOURFUL = [(220, 40, 40), (40, 200, 60), (50, 60, 210), (230, 200, 60)]


@pytest.mark.parametrize("size, matrix, expected", [
    ((640, 360), 2, "bt601"),  # untagged standard definition: BT.601, as players read it
    ((1280, 720), 5, "bt601"),  # tagged BT.601 (Big Buck Bunny's 720p is)
    ((1280, 720), 2, None),  # untagged HD: BT.709
    ((640, 360), 1, None),  # tagged BT.709
])
def test_bt601_video_is_recoded_so_its_colours_show_as_coded(size: tuple[int, int], matrix: int, expected: str | None, tmp_path: Path) -> None:
    # coded as a camera or encoder following the same convention would code it
    path = _colour_bars(tmp_path / "bars.mp4", COLOURFUL, size=size, matrix=matrix, coded="ITU601" if expected else "ITU709")
    assert ck.probe(path).video.colour == expected
    frame, _ = next(read_video_frames(path, start=0.0, count=1, fps=Fraction(10)))
    rgb = _rgb709(frame)  # how clipkit's output (BT.709) shows it
    bw = size[0] // len(COLOURFUL)
    for k, want in enumerate(COLOURFUL):
        got = rgb[size[1] // 4 : 3 * size[1] // 4, k * bw + bw // 4 : k * bw + 3 * bw // 4].reshape(-1, 3).mean(0)
        assert np.abs(got - want).max() <= 4.0, (k, got, want)


@pytest.mark.parametrize("fit", ["cover", "stretch"])
def test_a_layout_cell_shows_a_bt601_or_hdr_clip_in_bt709(fit: str, tmp_path: Path) -> None:
    # grid cells draw their frames straight into the canvas (no per-cell fit pass) where
    # they can: the conversion must happen there too
    from clipkit import layouts

    sd = _colour_bars(tmp_path / "sd.mp4", [(220, 40, 40)], size=(320, 240), matrix=2, coded="ITU601")
    hlg = _write(tmp_path / "hlg.mp4", [0.75], HLG)
    duet = layouts.duet(ck.open(sd), ck.open(hlg), arrangement="top-bottom", fit=fit)
    frame = next(iter(ck.sequence([duet], canvas=ck.Canvas(160, 240, 10)).frames(stop=1)))
    rgb = _rgb709(frame)
    assert np.abs(rgb[60, 80].astype(float) - (220, 40, 40)).max() <= 5, rgb[60, 80]  # the top cell
    assert float(frame.y[180, 80]) == pytest.approx(_sdr_y(0.946), abs=3.0)  # the bottom cell


def test_bt601_recoding_is_the_matrix_pair_within_rounding() -> None:
    rng = np.random.default_rng(3)
    h, w = 48, 64
    y = rng.integers(16, 236, (h, w), dtype=np.uint8)
    u = rng.integers(16, 241, (h // 2, w // 2), dtype=np.uint8)
    v = rng.integers(16, 241, (h // 2, w // 2), dtype=np.uint8)
    oy, ou, ov = colour.to_bt709(y, u, v, "bt601")
    # reference: each pixel with its 2x2 block's chroma, to R'G'B' by BT.601, back by BT.709
    up = lambda p: np.repeat(np.repeat(p.astype(np.float64), 2, 0), 2, 1)  # noqa: E731
    yn, cb, cr = (y - 16.0) / 219, (up(u) - 128) / 224, (up(v) - 128) / 224
    r, b = yn + 1.402 * cr, yn + 1.772 * cb
    g = (yn - 0.299 * r - 0.114 * b) / 0.587
    y709 = 0.2126 * r + 0.7152 * g + 0.0722 * b
    want_y = np.clip(16 + 219 * y709, 0, 255)  # random planes hold codes outside R'G'B'
    want_u = np.clip(128 + 224 * (b - y709) / 1.8556, 0, 255)[::2, ::2]
    want_v = np.clip(128 + 224 * (r - y709) / 1.5748, 0, 255)[::2, ::2]
    assert np.abs(oy - want_y).max() <= 1.0 and np.abs(ou - want_u).max() <= 1.0 and np.abs(ov - want_v).max() <= 1.0
    grey = np.full((h // 2, w // 2), 128, np.uint8)
    assert [np.array_equal(a, b) for a, b in zip(colour.to_bt709(y, grey, grey, "bt601"), (y, grey, grey))] == [True] * 3


@pytest.mark.parametrize("codec, fmt, size", [("png", "rgb24", (1280, 720)), ("png", "rgb24", (320, 240)), ("libx264rgb", "rgb24", (640, 360))])
def test_rgb_video_is_coded_with_the_output_matrix(codec: str, fmt: str, size: tuple[int, int], tmp_path: Path) -> None:
    # RGB codecs (PNG in QuickTime, x264's RGB mode) have no Y'CbCr matrix of their own
    w, h = size
    rgb = np.zeros((h, w, 3), np.uint8)
    bw = w // len(COLOURFUL)
    for k, c in enumerate(COLOURFUL):
        rgb[:, k * bw : (k + 1) * bw] = c
    path = str(tmp_path / ("rgb.mov" if codec == "png" else "rgb.mkv"))
    with av.open(path, "w") as c:
        s = c.add_stream(codec, rate=10)
        s.width, s.height, s.pix_fmt = w, h, fmt
        if codec == "libx264rgb":
            s.options = {"crf": "0"}
        for _ in range(2):
            for p in s.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    assert ck.probe(path).video.colour is None
    frame, _ = next(read_video_frames(path, start=0.0, count=1, fps=Fraction(10)))
    shown = _rgb709(frame)
    for k, want in enumerate(COLOURFUL):
        got = shown[h // 4 : 3 * h // 4, k * bw + bw // 4 : k * bw + 3 * bw // 4].reshape(-1, 3).mean(0)
        assert np.abs(got - want).max() <= 4.0, (k, got, want)
