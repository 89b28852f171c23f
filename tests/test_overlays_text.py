"""Text layers: every script shaped with a covering font, RTL, wrapping, styles, animations."""

from __future__ import annotations

from fractions import Fraction

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw

from clipkit.errors import FontError, ParameterError
from clipkit.frame import Frame
from clipkit.nodes import FrameTime, RenderContext
from clipkit.overlays import fonts
from clipkit.overlays.fonts import char_script, face_for_script, font_coverage, load_font
from clipkit.overlays.layer import SAFE_AREA
from clipkit.overlays.styles import TextStyle, text_style, text_style_names
from clipkit.overlays.text import Text, TextRenderer, layout_text, make_renderer

CTX = RenderContext(width=540, height=960, fps=Fraction(30))

SAMPLES = {
    "english": ("Hello world, this is a caption", None),
    "thai": ("สวัสดีครับ ยินดีต้อนรับ กิ่งไม้", None),
    "arabic": ("مرحبا بالعالم ١٢٣ سلام", None),
    "hindi": ("नमस्ते दुनिया क्षत्रिय", None),
    "chinese": ("你好世界，这是中文字幕。", None),
    "japanese": ("こんにちは世界、日本語の字幕です。", None),
    "korean": ("안녕하세요 세계 여러분", None),
    "indonesian": ("Halo dunia, selamat datang", None),
    "vietnamese": ("Xin chào thế giới, Tiếng Việt", None),
}


def _t(local_t: float, duration: float = 3.0) -> FrameTime:
    return FrameTime(index=int(local_t * 30), t=local_t, local_index=int(local_t * 30), local_t=local_t, duration=duration)


def _ink_box(mask: np.ndarray, level: float = 0.05) -> tuple[int, int, int, int] | None:
    ys, xs = np.nonzero(mask > level)
    if ys.size == 0:
        return None
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


@pytest.mark.parametrize("name", list(SAMPLES))
def test_every_script_gets_a_covering_font_and_visible_ink(name: str) -> None:
    text, language = SAMPLES[name]
    renderer = make_renderer(text, text_style("classic"), CTX, safe_area=SAFE_AREA, max_width=1.0, language=language)
    layout = renderer.layout
    covered = 0
    for run_text, face in layout.faces():
        for ch in run_text:
            assert face.covers(ch) or ch.isspace(), f"{face.label} lacks {ch!r}"
            covered += 1
    assert covered >= len(text.replace(" ", "")) - 1
    fill, _ = renderer.masks()
    box = _ink_box(fill)
    assert box is not None and box[2] - box[0] > 20 and box[3] - box[1] > 10
    # the whole text is on the image (nothing clipped at the borders)
    assert fill[0].max() == 0 and fill[-1].max() == 0 and fill[:, 0].max() == 0 and fill[:, -1].max() == 0


@pytest.mark.parametrize("name", list(SAMPLES))
def test_text_layer_draws_inside_the_safe_area(name: str) -> None:
    text, language = SAMPLES[name]
    frame = Frame.solid(540, 960, (0, 0, 0))
    draw = Text(text, style="boxed", position=(0.95, 0.98), language=language).bind(CTX)
    out = draw(frame, _t(1.0))
    changed = (out.y != frame.y)
    ys, xs = np.nonzero(changed)
    assert ys.size > 500
    x0, y0, x1, y1 = SAFE_AREA.box(540, 960)
    assert xs.min() >= x0 - 2 and xs.max() <= x1 + 2 and ys.min() >= y0 - 2 and ys.max() <= y1 + 2


def test_scripts_choose_the_expected_packages() -> None:
    assert face_for_script("thai").package == "fontpkg-noto-sans-thai"
    assert face_for_script("arabic").package == "fontpkg-noto-sans-arabic"
    assert face_for_script("devanagari").package == "fontpkg-noto-sans-devanagari"
    assert face_for_script("latin").package == "fontpkg-noto-sans"
    cjk = {face_for_script("han", language=lang).index for lang in ("ja", "ko", "zh-Hans", "zh-Hant")}
    assert len(cjk) == 4  # a regional face each
    # kana pulls Han characters of the same text into the Japanese face
    lay = layout_text("日本語です", TextStyle(), size=40, max_width=1000)
    assert {face.index for _, face in lay.faces()} == {face_for_script("hiragana").index}


def test_script_detection() -> None:
    assert [char_script(c) for c in "aกمक中あア한1 "] == [
        "latin", "thai", "arabic", "devanagari", "han", "hiragana", "katakana", "hangul", "common", "common",
    ]  # fmt: skip
    assert char_script("\u0301") == "inherited"
    assert char_script("ệ") == "latin"


def test_coverage_parser_reads_real_cmaps() -> None:
    latin = face_for_script("latin")
    cov = font_coverage(latin.path, latin.index)
    assert cov.covers(ord("A")) and cov.covers(ord("ệ")) and not cov.covers(ord("ก"))
    cjk = face_for_script("han")
    big = font_coverage(cjk.path, cjk.index)
    assert len(big) > 30000 and big.covers(ord("字")) and big.covers(ord("한"))


def _template_x(haystack: np.ndarray, needle: np.ndarray) -> int:
    res = cv2.matchTemplate(haystack.astype(np.float32), needle.astype(np.float32), cv2.TM_CCOEFF_NORMED)
    _, score, _, loc = cv2.minMaxLoc(res)
    assert score > 0.8
    return int(loc[0])


def _word_mask(word: str, size: int = 48) -> np.ndarray:
    lay = layout_text(word, TextStyle(), size=size, max_width=5000)
    fill, _ = TextRenderer(lay, TextStyle(), 1.0).masks()
    box = _ink_box(fill, 0.02)
    assert box is not None
    return fill[box[1] : box[3], box[0] : box[2]]


def test_arabic_runs_right_to_left() -> None:
    first, second = "سلام", "عليكم"
    lay = layout_text(f"{first} {second}", TextStyle(), size=48, max_width=5000)
    assert lay.lines[0].rtl
    full, _ = TextRenderer(lay, TextStyle(), 1.0).masks()
    # the word read first sits on the right
    assert _template_x(full, _word_mask(first)) > _template_x(full, _word_mask(second))


def test_arabic_letters_join() -> None:
    word = "بيت"
    face = face_for_script("arabic")
    font = load_font(face, 48, weight=600)

    def components(features: list[str] | None) -> int:
        im = Image.new("L", (300, 100), 0)
        ImageDraw.Draw(im).text((20, 70), word, font=font, fill=255, anchor="ls", direction="rtl", features=features)
        n, _ = cv2.connectedComponents((np.asarray(im) > 100).astype(np.uint8))
        return n - 1

    isolated = components(["-init", "-medi", "-fina"])
    joined = components(None)
    assert joined < isolated


def test_thai_and_devanagari_marks_stack() -> None:
    base, stacked = _word_mask("ก"), _word_mask("กิ่")
    assert stacked.shape[0] > base.shape[0] * 1.2  # marks above, not beside
    assert stacked.shape[1] < base.shape[1] * 1.4
    # Devanagari conjunct: narrower than its two letters set apart
    ka, ssa, ksha = _word_mask("क"), _word_mask("ष"), _word_mask("क्ष")
    assert ksha.shape[1] < ka.shape[1] + ssa.shape[1]


def test_cjk_wraps_per_character_and_latin_at_spaces() -> None:
    zh = "这是一个很长的中文句子需要自动换行才能完整显示出来"
    lay = layout_text(zh, TextStyle(), size=40, max_width=300)
    assert len(lay.lines) >= 3
    assert all(ln.width <= 300 + 1 for ln in lay.lines)
    assert "".join(lay.text[ln.start : ln.end] for ln in lay.lines) == zh
    en = layout_text("alpha beta gamma delta epsilon zeta", TextStyle(), size=40, max_width=300)
    for ln in en.lines:
        piece = en.text[ln.start : ln.end]
        assert not piece.startswith(" ") and not piece.endswith(" ")
        assert ln.width <= 300 + 1
    words = [w for ln in en.lines for w in en.text[ln.start : ln.end].split()]
    assert words == "alpha beta gamma delta epsilon zeta".split()
    # a word wider than the line breaks between clusters, not mid-cluster
    th = layout_text("กิ่งไม้กิ่งไม้กิ่งไม้กิ่งไม้กิ่งไม้", TextStyle(), size=40, max_width=150)
    assert len(th.lines) >= 2
    for ln in th.lines[1:]:
        assert fonts.unicodedata.category(th.text[ln.start]) not in ("Mn", "Mc")


def test_missing_script_package_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = fonts.FONT_PACKAGES["noto-sans-thai"]
    monkeypatch.setitem(fonts.FONT_PACKAGES, "noto-sans-thai", fonts.FontPackage(pkg.distribution, "no_such_font_module", pkg.filename))
    with pytest.raises(FontError, match=r"Thai script.*pip install fontpkg-noto-sans-thai"):
        layout_text("สวัสดี", TextStyle(), size=40, max_width=500, strict_fonts=True)
    # without strict_fonts the text is still laid out, and the package is named in what is missing
    lay = layout_text("สวัสดี", TextStyle(), size=40, max_width=500)
    assert [m.char for m in lay.missing] == list(dict.fromkeys("สวัสดี"))
    assert all("pip install fontpkg-noto-sans-thai" in m.hint for m in lay.missing)


def test_scripts_without_a_font_fail_only_when_strict() -> None:
    with pytest.raises(FontError, match="Hebrew"):
        layout_text("שלום", TextStyle(), size=40, max_width=500, strict_fonts=True)
    with pytest.raises(FontError, match="does not exist"):
        layout_text("hi", TextStyle(font="/no/such/font.ttf"), size=40, max_width=500)
    lay = layout_text("hi שלום", TextStyle(), size=40, max_width=500)
    assert [m.char for m in lay.missing] == list("שלום")
    assert lay.missing[0].script == "hebrew" and "NotoSans" in lay.missing[0].drawn_with
    assert lay.width > 0 and len(lay.lines) == 1


def test_simple_text_is_pixel_exact_against_pillow() -> None:
    """White text, no effects, at a whole-pixel position: the frame equals Pillow's own drawing."""
    style = TextStyle(size=60, weight=700, color="white", shadow_color=None)
    ctx = RenderContext(width=1080, height=1920, fps=Fraction(30))
    renderer = make_renderer("Hi", style, ctx, safe_area=None, max_width=1.0, language=None)
    fill, _ = renderer.masks()
    # the same text drawn straight with Pillow at the same origin
    lay = renderer.layout
    run = lay.lines[0].runs[0]
    im = Image.new("L", (renderer.width, renderer.height), 0)
    font = load_font(run.face, lay.size, weight=lay.weight)
    ImageDraw.Draw(im).text((renderer.margin + lay.lines[0].x + run.x, renderer.margin + lay.lines[0].baseline), "Hi", font=font, fill=255, anchor="ls")
    expected_mask = np.asarray(im, np.float64) / 255.0
    assert np.array_equal(np.round(fill * 255), np.round(expected_mask * 255))
    # composited on black at a whole-pixel place: Y = 16 + 219·a exactly, chroma neutral
    frame = Frame.solid(1080, 1920, (0, 0, 0))
    out = frame.copy()
    renderer.sprite().draw(out, np.array([[1.0, 0.0, 100.0], [0.0, 1.0, 200.0]]))
    region = out.y[200 : 200 + renderer.height, 100 : 100 + renderer.width].astype(np.int64)
    expected = np.floor(16 + 219 * expected_mask + 0.5).astype(np.int64)
    assert np.array_equal(region, expected)
    assert np.all(out.u == 128) and np.all(out.v == 128)


def test_typewriter_reveals_in_order_and_word_highlight_colours_one_word() -> None:
    frame = Frame.solid(540, 960, (0, 0, 0))
    draw = Text("one two three", style="classic", typewriter=10).bind(CTX)
    inks = [int((draw(frame, _t(t)).y > 60).sum()) for t in (0.0, 0.25, 0.65, 1.5)]
    assert inks[0] == 0 and 0 < inks[1] < inks[2] < inks[3]
    style = TextStyle(color="white", highlight_color="#ff0000", shadow_color=None)
    hl = Text("one two three", style=style, word_timings=[(0, 1), (1, 2), (2, 3)]).bind(CTX)
    rgb = hl(frame, _t(1.5)).to_rgb().astype(int)
    red = (rgb[..., 0] > 150) & (rgb[..., 1] < 90)
    white = (rgb[..., 0] > 150) & (rgb[..., 1] > 150)
    assert red.sum() > 100 and white.sum() > 100
    xs_red = np.nonzero(red)[1]
    xs_white = np.nonzero(white)[1]
    # "two" is the middle word: white ink on both sides of the red
    assert xs_white.min() < xs_red.min() and xs_white.max() > xs_red.max()


def test_styles_and_their_errors() -> None:
    assert set(text_style_names()) >= {"classic", "bold_outline", "typewriter", "neon", "boxed", "subtitle"}
    for name in text_style_names():
        st = text_style(name)
        renderer = make_renderer("Ag", st, CTX, safe_area=SAFE_AREA, max_width=1.0, language=None)
        assert renderer.rgba()[..., 3].max() > 0.9
    assert text_style({"preset": "neon", "size": 90}).size == 90
    with pytest.raises(ParameterError, match="style.size: 2 is outside"):
        TextStyle(size=2)
    with pytest.raises(ParameterError, match="colour"):
        TextStyle(color="not-a-colour")
    with pytest.raises(ParameterError, match="unknown style field"):
        text_style({"preset": "neon", "sise": 3})
    with pytest.raises(ParameterError, match="known: .*classic"):
        text_style("nope")
    with pytest.raises(ParameterError, match="word_timings: 2 timings for 3 words"):
        Text("one two three", word_timings=[(0, 1), (1, 2)]).bind(CTX)


def test_text_is_rasterized_once_per_visible_state() -> None:
    text = Text("cache me", style="neon")
    draw = text.bind(CTX)
    frame = Frame.solid(540, 960, (0, 0, 0))
    calls = []
    original = TextRenderer.rgba

    def counting(self, **kw):  # noqa: ANN001, ANN202
        calls.append(kw)
        return original(self, **kw)

    TextRenderer.rgba = counting  # type: ignore[method-assign]
    try:
        for k in range(10):
            draw(frame, _t(k / 30))
    finally:
        TextRenderer.rgba = original  # type: ignore[method-assign]
    assert len(calls) == 1


def test_a_process_lays_out_and_rasterizes_a_fixed_text_once_across_renders() -> None:
    """A warm worker's jobs reuse a template title's layout and sprites (same text, style and size)."""
    from clipkit.overlays.styles import text_style
    from clipkit.overlays.text import make_renderer

    ctx = RenderContext(360, 640, 30)
    style = text_style("bold_outline")
    first = make_renderer("Weekend vibes", style, ctx, safe_area=None, max_width=0.9, language=None)
    again = make_renderer("Weekend vibes", style, RenderContext(360, 640, 24), safe_area=None, max_width=0.9, language=None)
    assert again is first and again.sprite() is first.sprite()
    assert make_renderer("Weekend vibes!", style, ctx, safe_area=None, max_width=0.9, language=None) is not first
    assert make_renderer("Weekend vibes", style, RenderContext(720, 1280, 30), safe_area=None, max_width=0.9, language=None) is not first


def test_shared_text_renderers_stay_within_their_byte_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch that puts each creator's name in a text makes every job's text new: the
    renderers kept across renders are bounded in bytes, the newest always kept."""
    import clipkit.overlays.text as text_mod

    probe = make_renderer("creator number 0", text_style("classic"), CTX, safe_area=SAFE_AREA, max_width=1.0, language=None)
    probe.sprite()
    budget = 3 * text_mod._held_bytes(probe)  # room for about three of the eight
    monkeypatch.setattr(text_mod, "SHARED_TEXT_BYTES", budget)
    monkeypatch.setattr(text_mod, "_shared", type(text_mod._shared)())
    made = []
    for k in range(8):
        r = make_renderer(f"creator number {k}", text_style("classic"), CTX, safe_area=SAFE_AREA, max_width=1.0, language=None)
        r.sprite()  # rasterized: now it holds bytes
        made.append(r)
    kept = list(text_mod._shared.values())
    assert kept[-1] is made[-1] and 1 <= len(kept) < 8
    assert sum(text_mod._held_bytes(r) for r in kept[:-1]) <= budget
    again = make_renderer("creator number 7", text_style("classic"), CTX, safe_area=SAFE_AREA, max_width=1.0, language=None)
    assert again is made[-1]  # still shared


def _visual(lay) -> str:  # noqa: ANN001 - a TextLayout
    """The first line's characters left to right as drawn (a right-to-left run reads backwards)."""
    runs = sorted(lay.lines[0].runs, key=lambda r: r.x)
    return "".join(lay.text[r.start : r.end][:: -1 if r.rtl else 1] for r in runs)


def test_spaces_between_directions_stay_between_the_words() -> None:
    # a space after an Arabic name in English text (and after an English word in Arabic) is
    # a neutral between the two directions: it is drawn between them, not turned with the
    # Arabic word to its far side ("I love  مالس😀" with no space before the emoji)
    lay = layout_text("I love سلام 😀 very much", TextStyle(), size=48, max_width=5000)
    assert _visual(lay) == "I love " + "سلام"[::-1] + " 😀 very much"
    lay = layout_text("مرحبا hello عالم", TextStyle(), size=48, max_width=5000)
    assert lay.lines[0].rtl
    assert _visual(lay) == "عالم"[::-1] + " hello " + "مرحبا"[::-1]
    runs = sorted(lay.lines[0].runs, key=lambda r: r.x)
    assert all(abs(a.x + a.width - b.x) < 1e-6 for a, b in zip(runs, runs[1:]))  # no gaps, no overlaps
