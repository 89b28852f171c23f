"""Text layers: shaping, per-script fonts, wrapping in the safe area, rasterizing, animation.

Shaping goes through Pillow with libraqm (HarfBuzz + FriBiDi): Arabic letters join and
run right to left, Thai and Devanagari marks stack, conjuncts form. Each run of text
gets a font that covers it, chosen per script from the installed OFL packages
(:mod:`clipkit.overlays.fonts`), and emoji, per grapheme cluster, from the OpenMoji
colour font, drawn in colour with the style's outline and shadow. A character no font
covers is drawn with the closest font and logged once per layer
(``overlays.text[1]: no font has U+05E9 ...``); with ``strict_fonts`` it raises
:class:`~clipkit.errors.FontError` naming the script and the package to install.

Lines break at spaces, and between any two CJK characters (except before closing and
after opening punctuation); a word wider than the line breaks between grapheme
clusters. Thai and Lao, written without spaces between words, break at spaces and
otherwise between clusters: clipkit ships no word dictionary.

A layout is rasterized once per visible state (the whole text, or each step of a
typewriter reveal, or each highlighted word) and cached as a
:class:`~clipkit.overlays.composite.Sprite`.
"""

from __future__ import annotations

import logging
import math
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..errors import FontError, ParameterError, describe_value
from ..nodes import FrameTime, RenderContext
from .animation import LayerState
from .composite import Sprite
from .fonts import (
    EMOJI_FONT,
    FONT_PACKAGES,
    FontFace,
    MissingGlyph,
    char_script,
    emoji_face,
    grapheme_clusters,
    is_emoji_cluster,
    face_for_script,
    font_lock,
    has_raqm,
    load_font,
    script_name,
    user_face,
)
from .layer import SAFE_AREA, Content, Layer, SafeArea, clamp_into, reference_scale
from .styles import TextStyle, text_style

__all__ = ["Text", "TextLayout", "TextRenderer", "layout_text", "Run", "Line", "word_spans", "missing_glyphs_message", "with_strict_fonts"]

log = logging.getLogger("clipkit.overlays")

_RTL_SCRIPTS = frozenset({"arabic", "hebrew", "syriac", "thaana", "nko"})
_CJK_SCRIPTS = frozenset({"han", "hiragana", "katakana", "bopomofo"})
_NO_LINE_START = set("、。，．,.!?！？:;：；)]}）】」』〉》〕ー～ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ々・…")
_NO_LINE_END = set("([{（【「『〈《〔")
_THAI_LEADING = set("เแโใไ")  # written before the consonant they follow in speech


# -- runs and lines ---------------------------------------------------------------------
@dataclass(slots=True)
class Run:
    """A stretch of one line set in one face and one direction.

    Attributes
    ----------
    start, end : int
        Character range in the layout's text.
    face : FontFace
        The face that covers every character of the run.
    rtl : bool
        Right-to-left run.
    x : float
        Left edge of the run's advance box in the line, pixels.
    width : float
        Advance width, pixels.
    """

    start: int
    end: int
    face: FontFace
    rtl: bool
    x: float = 0.0
    width: float = 0.0


@dataclass(slots=True)
class Line:
    """One line of a layout: runs in visual order, its width and baseline."""

    start: int
    end: int
    runs: list[Run]
    rtl: bool
    width: float = 0.0
    x: float = 0.0
    baseline: float = 0.0


@dataclass(slots=True)
class TextLayout:
    """Lines of shaped text, ready to rasterize.

    Attributes
    ----------
    text : str
        The text as set (after uppercasing, NFC).
    lines : list of Line
    width, height : float
        Size of the text block (advance widths, ascent of the first line to descent of
        the last), pixels.
    size : int
        Font size in pixels.
    missing : tuple of MissingGlyph
        Characters no installed font has (drawn with the closest font's missing-glyph box).
    """

    text: str
    lines: list[Line]
    width: float
    height: float
    size: int
    weight: int
    language: str | None
    ascent: float = 0.0
    missing: tuple[MissingGlyph, ...] = ()

    def faces(self) -> list[tuple[str, FontFace]]:
        """Each run's text and face (to check coverage)."""
        return [(self.text[r.start : r.end], r.face) for ln in self.lines for r in ln.runs]


def _font(face: FontFace, layout_size: int, weight: int) -> ImageFont.FreeTypeFont:
    return load_font(face, layout_size, weight=weight)


def _length(face: FontFace, size: int, weight: int, text: str, rtl: bool, language: str | None) -> float:
    if not text:
        return 0.0
    font = _font(face, size, weight)
    kwargs: dict[str, Any] = {}
    if has_raqm():
        kwargs["direction"] = "rtl" if rtl else "ltr"
        if language:
            kwargs["language"] = language
    with font_lock:
        return float(font.getlength(text, **kwargs))


def _installed_faces(language: str | None) -> list[FontFace]:
    """Every installed face, the colour emoji face last (it only sets emoji and spaces)."""
    out: list[FontFace] = []
    for name, package in FONT_PACKAGES.items():
        path = package.path()
        if path is None:
            continue
        faces = dict(package.faces)
        out.append(FontFace(path, faces.get((language or "").lower(), faces[""]), package.distribution))
    return sorted(out, key=lambda f: f.is_color)


def _fallback_face(user: FontFace | None) -> FontFace:
    """The face that draws a character no font has (as its missing-glyph box)."""
    return user or face_for_script("latin")


def _assign_faces(
    text: str, user: FontFace | None, language: str | None, *, strict_fonts: bool = False
) -> tuple[list[FontFace | None], list[MissingGlyph]]:
    """A face for every character (``None`` for line breaks), and the characters no font has.

    Faces are chosen per grapheme cluster: an emoji cluster (ZWJ sequence, flag, keycap,
    skin tone) goes whole to the colour emoji font; other clusters take the face of their
    script, and neutral characters (spaces, digits, punctuation) join a neighbouring run.
    """
    scripts = [char_script(c) for c in text]
    # Japanese and Korean text set their Han characters in the regional face
    lang = language
    if lang is None:
        if any(s in ("hiragana", "katakana") for s in scripts):
            lang = "ja"
        elif any(s == "hangul" for s in scripts):
            lang = "ko"
    # combining marks take the script of their base
    for i, s in enumerate(scripts):
        if s == "inherited":
            scripts[i] = scripts[i - 1] if i else "common"
    faces: list[FontFace | None] = [None] * len(text)
    strong: list[FontFace | None] = [None] * len(text)
    missing: dict[str, MissingGlyph] = {}
    cache: dict[str, FontFace | None] = {}
    hints: dict[str, str] = {}
    emoji = emoji_face()

    def miss(ch: str, script: str, face: FontFace, hint: str) -> None:
        if ch not in missing:
            missing[ch] = MissingGlyph(ch, script, f"{face.label} from {face.package or 'your font'}", hint)

    for a, b in grapheme_clusters(text):
        cluster = text[a:b]
        if cluster == "\n":
            continue
        emoji_cluster = is_emoji_cluster(cluster)
        # an emoji is set in colour even when the user's font has a plain glyph for it
        if emoji_cluster and emoji is not None and emoji.covers(cluster[0]):
            faces[a:b] = strong[a:b] = [emoji] * (b - a)
            continue
        if user is not None and all(user.covers(c) or c.isspace() for c in cluster):
            faces[a:b] = [user] * (b - a)
            continue
        if emoji_cluster:  # no emoji font, or it lacks this one: text fonts below
            if emoji is None and strict_fonts:
                raise FontError(
                    f"U+{ord(cluster[0]):04X} {cluster!r} is an emoji and the colour emoji font is not installed; "
                    f"install it with: pip install {FONT_PACKAGES[EMOJI_FONT].distribution}"
                )
        for i in range(a, b):
            ch, s = text[i], scripts[i]
            if ch == "\n" or s in ("common", "emoji"):
                continue
            key = "han" if s == "bopomofo" else s
            if key not in cache:
                try:
                    cache[key] = face_for_script(key, language=lang)
                except FontError as exc:
                    if strict_fonts:
                        raise
                    cache[key] = None
                    hints[key] = str(exc)
            face = cache[key]
            if face is None:
                face = _fallback_face(user)
                miss(ch, s, face, hints[key])
            elif not face.covers(ch):
                if strict_fonts:
                    raise FontError(
                        f"U+{ord(ch):04X} {ch!r} ({unicodedata.name(ch, 'unnamed')}, {script_name(s)} script) is not in "
                        f"{face.label} from {face.package or 'your font'}; no installed font can set it"
                    )
                miss(ch, s, face, "pass style font= a .ttf/.otf that covers it")
            faces[i] = strong[i] = face
    # neutral characters (spaces, digits, punctuation) join a neighbouring run when its face
    # covers them; never the emoji font (its digits and '#' are emoji glyphs, its space an
    # emoji's width)
    last: FontFace | None = None
    for i, ch in enumerate(text):
        if ch == "\n":
            last = None
            continue
        if faces[i] is not None:
            last = faces[i]
            continue
        nxt = next((strong[j] for j in range(i + 1, len(text)) if strong[j] is not None or text[j] == "\n"), None)
        for cand in (last, nxt):
            if cand is not None and not cand.is_color and (ch.isspace() or cand.covers(ch)):
                faces[i] = cand
                break
        else:
            for cand in _installed_faces(lang):
                if cand.covers(ch):
                    faces[i] = cand
                    break
            else:
                s = scripts[i]
                hint = (
                    f"install the colour emoji font with: pip install {FONT_PACKAGES[EMOJI_FONT].distribution}"
                    if s == "emoji"
                    else "pass style font= a .ttf/.otf that covers it"
                )
                if strict_fonts:
                    raise FontError(
                        f"U+{ord(ch):04X} {ch!r} ({unicodedata.name(ch, 'unnamed')}, {script_name(s)}) is not covered by "
                        f"any installed font; {hint}"
                    )
                face = last if last is not None and not last.is_color else _fallback_face(user)
                faces[i] = face
                miss(ch, s, face, hint)
        last = faces[i]
    return faces, list(missing.values())


def _is_mark(ch: str) -> bool:
    return unicodedata.category(ch) in ("Mn", "Mc", "Me") or ch in "\u200d\u200c\ufe0f"


def _cluster_starts(text: str, start: int, end: int) -> list[int]:
    """Indices in [start, end) where a grapheme cluster begins.

    UAX #29 extended grapheme clusters (so an emoji ZWJ sequence, a flag or a keycap is
    one), joined further after a Thai leading vowel, a virama or a ZWJ, so a line or a
    typewriter step never separates a consonant from what is written with it.
    """
    out: list[int] = []
    for a, _b in grapheme_clusters(text[start:end]):
        i = start + a
        if out and (text[i - 1] in _THAI_LEADING or text[i - 1] in "\u200d\u094d"):
            continue
        out.append(i)
    return out


def _break_opportunities(text: str, start: int, end: int) -> list[int]:
    """Indices where a new line may begin (after spaces, between CJK characters)."""
    out = []
    for i in range(start + 1, end):
        prev, ch = text[i - 1], text[i]
        if prev.isspace() and not ch.isspace():
            out.append(i)
            continue
        if ch.isspace() or _is_mark(ch):
            continue
        cjk_here = char_script(ch) in _CJK_SCRIPTS or ch in _NO_LINE_START
        cjk_prev = char_script(prev) in _CJK_SCRIPTS or prev in _NO_LINE_END or prev in _NO_LINE_START
        if (cjk_here or cjk_prev) and ch not in _NO_LINE_START and prev not in _NO_LINE_END:
            if char_script(ch) in _CJK_SCRIPTS or char_script(prev) in _CJK_SCRIPTS:
                out.append(i)
    return out


def _runs(text: str, faces: list[FontFace | None], start: int, end: int, rtl_base: bool = False) -> list[Run]:
    runs: list[Run] = []
    for i in range(start, end):
        face = faces[i]
        if face is None:
            continue
        rtl = char_script(text[i]) in _RTL_SCRIPTS
        if runs and runs[-1].face == face and runs[-1].end == i:
            prev_rtl = runs[-1].rtl
            neutral = char_script(text[i]) in ("common", "inherited")
            if neutral or rtl == prev_rtl:
                runs[-1].end = i + 1
                continue
        runs.append(Run(i, i + 1, face, rtl))
    # a run is RTL if it holds any RTL letter (neutrals inside follow it)
    for r in runs:
        r.rtl = any(char_script(c) in _RTL_SCRIPTS for c in text[r.start : r.end])

    def is_neutral(r: Run) -> bool:
        return r.face.is_color or not text[r.start : r.end].strip()

    # a run's trailing spaces before text of the other direction are neutrals between the
    # two (their own run, resolved below): inside the run they would be turned with it and
    # show on the wrong side ("is  محمد😀" for "is محمد 😀")
    split: list[Run] = []
    for k, r in enumerate(runs):
        body = r.end
        while body > r.start and text[body - 1].isspace():
            body -= 1
        if r.start < body < r.end and not is_neutral(r):
            after_dir = next((q.rtl for q in runs[k + 1 :] if not is_neutral(q)), rtl_base)
            if after_dir != r.rtl:
                split += [Run(r.start, body, r.face, r.rtl), Run(body, r.end, r.face, r.rtl)]
                continue
        split.append(r)
    runs = split
    # emoji and spaces are neutral in the bidi algorithm: between two runs of one direction
    # they take it, elsewhere the paragraph's (UAX #9 rules N1, N2), so an emoji between
    # two Arabic words stays between them; runs with digits keep their own order
    neutral = [is_neutral(r) for r in runs]
    for k, r in enumerate(runs):
        if not neutral[k]:
            continue
        before = next((runs[j].rtl for j in range(k - 1, -1, -1) if not neutral[j]), None)
        after = next((runs[j].rtl for j in range(k + 1, len(runs)) if not neutral[j]), None)
        r.rtl = before if before is not None and before == after else rtl_base
    return runs


def _visual_order(runs: list[Run], rtl_base: bool) -> list[Run]:
    if not rtl_base:
        out: list[Run] = []
        i = 0
        while i < len(runs):  # consecutive RTL runs inside LTR text read right to left
            j = i
            while j < len(runs) and runs[j].rtl:
                j += 1
            if j > i:
                out.extend(reversed(runs[i:j]))
                i = j
            else:
                out.append(runs[i])
                i += 1
        return out
    groups: list[list[Run]] = []
    for r in runs:
        if groups and (groups[-1][0].rtl == r.rtl):
            groups[-1].append(r)
        else:
            groups.append([r])
    out = []
    for g in reversed(groups):
        out.extend(reversed(g) if g[0].rtl else g)
    return out


def layout_text(
    text: str,
    style: TextStyle,
    *,
    size: int,
    max_width: float,
    language: str | None = None,
    strict_fonts: bool = False,
) -> TextLayout:
    """Shape and wrap ``text``.

    Parameters
    ----------
    text : str
        The text; ``\\n`` forces a line break.
    style : TextStyle
        Font choice, weight, alignment, line spacing, case.
    size : int >= 1
        Font size in pixels.
    max_width : float > 0
        Widest line in pixels.
    language : str, optional
        BCP 47 tag (``'ja'``, ``'zh-Hant'``, ``'ar'``...): picks regional CJK faces and
        language-specific glyph forms.
    strict_fonts : bool
        Raise instead of drawing a character no installed font has with the closest
        font (the layout's ``missing`` lists such characters).

    Raises
    ------
    FontError
        With ``strict_fonts``, when a character has no installed font (naming the
        script and the package to install).
    """
    if not isinstance(text, str):
        raise ParameterError(f"text: {describe_value(text)} is not a string")
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    if style.uppercase:
        text = text.upper()
    user = user_face(style.font) if style.font else None
    faces, missing = _assign_faces(text, user, language, strict_fonts=strict_fonts)
    weight = style.weight
    lines: list[Line] = []
    pos = 0
    for para in text.split("\n"):
        p0, p1 = pos, pos + len(para)
        pos = p1 + 1
        first_strong = next((char_script(c) for c in para if char_script(c) not in ("common", "inherited", "emoji")), "latin")
        rtl_base = first_strong in _RTL_SCRIPTS
        if p1 == p0:
            lines.append(Line(p0, p1, [], rtl_base))
            continue

        def width_of(a: int, b: int) -> float:
            total = 0.0
            for r in _runs(text, faces, a, b, rtl_base):
                total += _length(r.face, size, weight, text[r.start : r.end], r.rtl, language)
            return total

        # greedy wrapping over break opportunities
        start = p0
        last_fit: int | None = None
        for stop in _break_opportunities(text, p0, p1) + [p1]:
            if width_of(start, _trim(text, start, stop)) <= max_width:
                last_fit = stop
                continue
            if last_fit is not None:
                lines.append(Line(start, _trim(text, start, last_fit), [], rtl_base))
                start, last_fit = last_fit, None
                if width_of(start, _trim(text, start, stop)) <= max_width:
                    last_fit = stop
                    continue
            # one word wider than the line: break it between grapheme clusters
            start = _split_long(text, start, _trim(text, start, stop), max_width, width_of, lines, rtl_base)
            last_fit = stop
        if start < p1:
            lines.append(Line(start, _trim(text, start, p1), [], rtl_base))
    # measure lines, order runs visually
    metrics: dict[FontFace, tuple[int, int]] = {}
    for ln in lines:
        runs = _runs(text, faces, ln.start, ln.end, ln.rtl)
        for r in runs:
            r.width = _length(r.face, size, weight, text[r.start : r.end], r.rtl, language)
            if r.face not in metrics:
                with font_lock:
                    metrics[r.face] = _font(r.face, size, weight).getmetrics()
        x = 0.0
        for r in _visual_order(runs, ln.rtl):
            r.x = x
            x += r.width
        ln.runs = _visual_order(runs, ln.rtl)
        ln.width = x
    if not metrics:  # nothing visible: the block still has the height of a line
        with font_lock:
            metrics[user or face_for_script("latin")] = _font(user or face_for_script("latin"), size, weight).getmetrics()
    ascent = max(m[0] for m in metrics.values())
    descent = max(m[1] for m in metrics.values())
    pitch = size * style.line_spacing
    block_w = max((ln.width for ln in lines), default=0.0)
    for i, ln in enumerate(lines):
        ln.baseline = ascent + i * pitch
        if style.align == "left":
            ln.x = 0.0
        elif style.align == "right":
            ln.x = block_w - ln.width
        else:
            ln.x = (block_w - ln.width) / 2
    height = ascent + descent + pitch * max(0, len(lines) - 1)
    return TextLayout(text, lines, block_w, height, size, weight, language, ascent, tuple(missing))


def _trim(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _split_long(text: str, start: int, end: int, max_width: float, width_of: Any, lines: list[Line], rtl_base: bool) -> int:
    """Break ``text[start:end]`` between clusters into full lines; return where the rest starts."""
    clusters = _cluster_starts(text, start, end) + [end]
    line_start = start
    k = 1
    while k < len(clusters):
        if width_of(line_start, clusters[k]) > max_width and clusters[k - 1] > line_start:
            lines.append(Line(line_start, clusters[k - 1], [], rtl_base))
            line_start = clusters[k - 1]
            continue
        k += 1
    return line_start


def word_spans(text: str) -> list[tuple[int, int]]:
    """Character ranges of the words of ``text`` (split at whitespace).

    Text with no spaces in a CJK script (or Thai) gives one span per character cluster,
    so word timings can be given per character.
    """
    spans: list[tuple[int, int]] = []
    i = 0
    n = len(text)
    while i < n:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            break
        j = i
        while j < n and not text[j].isspace():
            j += 1
        spans.append((i, j))
        i = j
    return spans


# -- rasterizing ---------------------------------------------------------------------------
def _rounded_box(h: int, w: int, box: tuple[float, float, float, float], radius: float) -> np.ndarray:
    """Antialiased coverage of a rounded rectangle (x0, y0, x1, y1), from a distance field."""
    x0, y0, x1, y1 = box
    ys = np.arange(h, dtype=np.float32)[:, None] + 0.5
    xs = np.arange(w, dtype=np.float32)[None, :] + 0.5
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    hw, hh = (x1 - x0) / 2, (y1 - y0) / 2
    r = min(radius, hw, hh)
    qx = np.abs(xs - cx) - (hw - r)
    qy = np.abs(ys - cy) - (hh - r)
    outside = np.sqrt(np.maximum(qx, 0) ** 2 + np.maximum(qy, 0) ** 2) + np.minimum(np.maximum(qx, qy), 0) - r
    return np.clip(0.5 - outside, 0.0, 1.0).astype(np.float32)


class TextRenderer:
    """Rasterizes one layout in one style at one render scale, caching each visible state.

    Parameters
    ----------
    layout : TextLayout
        From :func:`layout_text`.
    style : TextStyle
        The look.
    scale : float
        Render pixels per reference pixel (style lengths are pixels of a 1080x1920 frame).
    """

    def __init__(self, layout: TextLayout, style: TextStyle, scale: float) -> None:
        self.layout = layout
        self.style = style
        self.scale = scale
        s = scale
        self.stroke = int(round(style.stroke_width * s))
        pad_x, pad_y = style.box_padding
        self.box_pad = (pad_x * s, pad_y * s) if style.box_color is not None else (0.0, 0.0)
        shadow = 0.0
        if style.shadow_color is not None:
            shadow = max(abs(style.shadow_offset[0]), abs(style.shadow_offset[1])) * s + 3 * style.shadow_blur * s
        # glyph ink may overhang the advance box (marks, swashes, italics)
        ink = 0.3 * layout.size
        self.margin = int(math.ceil(max(self.box_pad) + self.stroke + shadow + ink)) + 2
        self.origin = (self.margin, self.margin)  # block's top-left in the image
        self.width = int(math.ceil(layout.width)) + 2 * self.margin
        self.height = int(math.ceil(layout.height)) + 2 * self.margin
        self._cache: dict[tuple[int | None, int | None], Sprite] = {}
        self.clusters = _cluster_starts(layout.text, 0, len(layout.text))
        self.words = word_spans(layout.text)

    @property
    def block_box(self) -> tuple[float, float, float, float]:
        """The text block with its box padding, in image pixels (x0, y0, x1, y1)."""
        ox, oy = self.origin
        px, py = self.box_pad
        return (ox - px, oy - py, ox + self.layout.width + px, oy + self.layout.height + py)

    def _pieces(self, *, color: bool, visible: int | None, span: tuple[int, int] | None) -> Any:
        """The pieces of text to draw: ``(xy, piece, font, kwargs)`` for the colour runs
        (``color``) or the others.

        ``visible`` limits drawing to the first characters (typewriter); ``span`` draws
        only that character range (a highlighted word).
        """
        lay = self.layout
        ox, oy = self.origin
        for ln in lay.lines:
            for r in ln.runs:
                if r.face.is_color != color:
                    continue
                a, b = r.start, r.end
                if visible is not None:
                    b = min(b, visible)
                if span is not None:
                    a, b = max(a, span[0]), min(b, span[1])
                if b <= a:
                    continue
                piece = lay.text[a:b]
                if not piece.strip():
                    continue
                font = _font(r.face, lay.size, lay.weight)
                kwargs: dict[str, Any] = {}
                if has_raqm():
                    kwargs["direction"] = "rtl" if r.rtl else "ltr"
                    if lay.language:
                        kwargs["language"] = lay.language
                x = ox + ln.x + r.x
                if a > r.start or b < r.end:
                    # a part of the run: place it where it sits inside the whole run
                    before = _length(r.face, lay.size, lay.weight, lay.text[r.start : a], r.rtl, lay.language) if a > r.start else 0.0
                    w = _length(r.face, lay.size, lay.weight, piece, r.rtl, lay.language)
                    x = x + (r.width - before - w if r.rtl else before)
                yield (x, oy + ln.baseline), piece, font, kwargs

    def _draw_runs(self, image: Image.Image, *, stroke: int, visible: int | None, span: tuple[int, int] | None) -> None:
        """Draw the layout's (non-colour) runs as coverage into an ``L`` image."""
        draw = ImageDraw.Draw(image)
        for xy, piece, font, kwargs in self._pieces(color=False, visible=visible, span=span):
            with font_lock:
                draw.text(xy, piece, fill=255, font=font, anchor="ls", stroke_width=stroke, stroke_fill=255, **kwargs)

    def color_glyphs(self, *, visible: int | None = None) -> np.ndarray | None:
        """The colour (emoji) glyphs as premultiplied RGBA float32, or ``None`` when there are none."""
        pieces = list(self._pieces(color=True, visible=visible, span=None))
        if not pieces:
            return None
        image = Image.new("RGBA", (self.width, self.height), (0, 0, 0, 0))
        draw = ImageDraw.Draw(image)
        for xy, piece, font, kwargs in pieces:
            with font_lock:
                draw.text(xy, piece, fill=(0, 0, 0, 255), font=font, anchor="ls", embedded_color=True, **kwargs)
        rgba = np.asarray(image, np.float32) * np.float32(1 / 255)
        rgba[:, :, :3] *= rgba[:, :, 3:4]
        return rgba

    def masks(self, *, visible: int | None = None, span: tuple[int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Fill and outline coverage in [0, 1] (the outline mask includes the fill)."""
        fill = Image.new("L", (self.width, self.height), 0)
        self._draw_runs(fill, stroke=0, visible=visible, span=span)
        f = np.asarray(fill, np.float32) * np.float32(1 / 255)
        if self.stroke > 0:
            outline = Image.new("L", (self.width, self.height), 0)
            self._draw_runs(outline, stroke=self.stroke, visible=visible, span=span)
            o = np.maximum(np.asarray(outline, np.float32) * np.float32(1 / 255), f)
        else:
            o = f
        return f, o

    def rgba(self, *, visible: int | None = None, highlight: int | None = None) -> np.ndarray:
        """The premultiplied RGBA image (float32 in [0, 1]) of one visible state.

        Parameters
        ----------
        visible : int, optional
            Show only the first ``visible`` characters (typewriter).
        highlight : int, optional
            Index of the word drawn in the highlight colour.
        """
        st = self.style
        s = self.scale
        fill, outline = self.masks(visible=visible)
        emoji = self.color_glyphs(visible=visible)
        if emoji is not None:
            # emoji get the style's outline and shadow around their silhouette, like letters
            alpha = emoji[:, :, 3]
            if self.stroke > 0:
                k = 2 * self.stroke + 1
                alpha = cv2.dilate(alpha, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
            outline = np.maximum(outline, alpha)
        out = np.zeros((self.height, self.width, 4), np.float32)

        def over(color: tuple[int, int, int], coverage: np.ndarray, opacity: float = 1.0) -> None:
            a = coverage * np.float32(opacity)
            rgb = np.asarray(color, np.float32) / 255.0
            inv = 1.0 - a
            for k in range(3):
                out[:, :, k] = rgb[k] * a + out[:, :, k] * inv
            out[:, :, 3] = a + out[:, :, 3] * inv

        if st.box_color is not None and st.box_opacity > 0 and self.layout.lines:
            over(st.box_color, _rounded_box(self.height, self.width, self.block_box, st.box_radius * s), st.box_opacity)
        if st.shadow_color is not None and st.shadow_opacity > 0:
            dx, dy = st.shadow_offset[0] * s, st.shadow_offset[1] * s
            m = np.float32([[1, 0, dx], [0, 1, dy]])
            shadow = cv2.warpAffine(outline, m, (self.width, self.height), flags=cv2.INTER_LINEAR)
            sigma = st.shadow_blur * s
            if sigma > 0.3:
                shadow = cv2.GaussianBlur(shadow, (0, 0), sigmaX=sigma)
                if st.shadow_offset == (0.0, 0.0):
                    shadow = np.minimum(shadow * 2.0, 1.0)  # a glow: strengthen the halo
            over(st.shadow_color, shadow, st.shadow_opacity)
        if self.stroke > 0:
            over(st.stroke_color, outline)
        over(st.color, fill)
        if emoji is not None:
            out *= 1.0 - emoji[:, :, 3:4]
            out += emoji
        if highlight is not None and 0 <= highlight < len(self.words):
            span = self.words[highlight]
            if visible is not None:
                span = (span[0], min(span[1], visible))
            if span[1] > span[0]:
                word_fill, _ = self.masks(span=span)
                over(st.highlight_color, word_fill)
        return out

    def sprite(self, *, visible: int | None = None, highlight: int | None = None) -> Sprite:
        """The cached sprite of one visible state."""
        key = (visible, highlight)
        hit = self._cache.get(key)
        if hit is None:
            if len(self._cache) > 256:
                self._cache.clear()
            hit = Sprite.from_rgba(self.rgba(visible=visible, highlight=highlight), premultiplied=True)
            self._cache[key] = hit
        return hit

    def visible_after(self, count: int) -> int | None:
        """Characters shown when ``count`` clusters are typed (``None``: everything)."""
        if count >= len(self.clusters):
            return None
        return self.clusters[count] if count > 0 else 0


def _short(text: str, limit: int = 24) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _check_timings(value: Any, field: str) -> tuple[tuple[float, float], ...] | None:
    if value is None:
        return None
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise ParameterError(f"{field}: {describe_value(value)} is not a list of [start, end] seconds")
    out = []
    for i, item in enumerate(value):
        if (
            not isinstance(item, Sequence)
            or isinstance(item, str)
            or len(item) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in item)
        ):
            raise ParameterError(f"{field}[{i}]: {describe_value(item)} is not [start, end] in seconds")
        a, b = float(item[0]), float(item[1])
        if a < 0 or b < a:
            raise ParameterError(f"{field}[{i}]: [{a:g}, {b:g}] must have 0 <= start <= end")
        out.append((a, b))
    return tuple(out)


def active_word(timings: Sequence[tuple[float, float]], t: float) -> int | None:
    """Index of the word spoken at ``t`` (the last one started, until its end)."""
    best = None
    for i, (a, b) in enumerate(timings):
        if a <= t < b:
            best = i
    return best


@dataclass(frozen=True)
class Text(Layer):
    """A text layer, shaped for every script, kept inside the safe area.

    Parameters
    ----------
    text : str
        What to show; ``\\n`` breaks lines. Any script, and colour emoji: fonts are
        chosen per script and per emoji.
    style : str, TextStyle or mapping
        A named style (``classic``, ``bold_outline``, ``typewriter``, ``neon``,
        ``boxed``, ``subtitle``), a :class:`TextStyle`, or a mapping of style fields with
        an optional ``preset`` they change.
    max_width : float in (0, 1]
        Widest line as a fraction of the safe area's width.
    language : str, optional
        BCP 47 tag (``'ja'``, ``'ko'``, ``'zh-Hant'``...) for regional glyphs.
    typewriter : float, optional
        Reveal the text at this many characters (grapheme clusters) per second.
    word_timings : list of [start, end], optional
        Layer-local seconds of each word (whitespace-separated; per character for CJK
        text without spaces): the word being spoken is drawn in the style's
        ``highlight_color``.
    safe_area : SafeArea or bool
        Keep the text block inside this area (``True``: the default 9:16 area;
        ``False``: anywhere).
    strict_fonts : bool
        A character no installed font has raises :class:`~clipkit.errors.FontError`
        when the render starts; by default it is drawn with the closest font and the
        layer logs one warning naming it.
    **placement
        ``position`` (default: the centre of the safe area), ``anchor``, ``scale``,
        ``rotation``, ``opacity``, ``enter`` (``pop`` gives a pop-in, ``fade`` a fade),
        ``exit``, ``beat_bounce`` (see :class:`~clipkit.overlays.layer.Layer`).
    """

    text: str = ""
    _: KW_ONLY
    style: Any = "classic"
    max_width: float = 1.0
    language: str | None = None
    typewriter: float | None = None
    word_timings: Any = None
    safe_area: Any = True
    strict_fonts: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.strict_fonts, bool):
            raise ParameterError(f"Text.strict_fonts: {describe_value(self.strict_fonts)} is not true or false")
        if not isinstance(self.text, str):
            raise ParameterError(f"Text.text: {describe_value(self.text)} is not a string")
        set_ = object.__setattr__
        try:
            set_(self, "style", text_style(self.style))
        except ParameterError as exc:
            raise ParameterError(f"Text.{exc}" if str(exc).startswith("style") else f"Text.style: {exc}") from None
        if isinstance(self.max_width, bool) or not isinstance(self.max_width, (int, float)) or not 0 < self.max_width <= 1:
            raise ParameterError(f"Text.max_width: {self.max_width!r} is outside (0, 1] (a fraction of the safe area width)")
        if self.language is not None and not isinstance(self.language, str):
            raise ParameterError(f"Text.language: {describe_value(self.language)} is not a language tag such as 'ja'")
        if self.typewriter is not None and (
            isinstance(self.typewriter, bool) or not isinstance(self.typewriter, (int, float)) or not 0 < self.typewriter <= 1000
        ):
            raise ParameterError(f"Text.typewriter: {self.typewriter!r} is outside (0, 1000] characters per second")
        set_(self, "word_timings", _check_timings(self.word_timings, "Text.word_timings"))
        if self.safe_area is True:
            set_(self, "safe_area", SAFE_AREA)
        elif self.safe_area is False or self.safe_area is None:
            set_(self, "safe_area", None)
        elif not isinstance(self.safe_area, SafeArea):
            raise ParameterError(f"Text.safe_area: {describe_value(self.safe_area)} is not true, false or a SafeArea")

    def renderer(self, ctx: RenderContext) -> TextRenderer:
        """Lay out and prepare rasterizing for one render.

        Raises
        ------
        FontError
            With ``strict_fonts``, for a character no installed font has (named with the
            layer's label).
        """
        label = layer_label(self, f"Text({_short(self.text)})")
        try:
            renderer = make_renderer(
                self.text, self.style, ctx, safe_area=self.safe_area, max_width=self.max_width, language=self.language, strict_fonts=self.strict_fonts
            )
        except FontError as exc:
            raise FontError(f"{label}: {exc}") from None
        report_missing_glyphs(label, renderer.layout.missing)
        return renderer

    def _bind_content(self, ctx: RenderContext) -> Content:
        renderer = self.renderer(ctx)
        n_words = len(renderer.words)
        if self.word_timings is not None and len(self.word_timings) != n_words:
            raise ParameterError(
                f"Text.word_timings: {len(self.word_timings)} timings for {n_words} words in {self.text!r}"
            )
        return TextContent(renderer, ctx, anchor=self.anchor, typewriter=self.typewriter, word_timings=self.word_timings, safe_area=self.safe_area)


def make_renderer(
    text: str,
    style: TextStyle,
    ctx: RenderContext,
    *,
    safe_area: SafeArea | None,
    max_width: float,
    language: str | None,
    strict_fonts: bool = False,
) -> TextRenderer:
    """Lay out ``text`` for a render and wrap it in a :class:`TextRenderer`.

    The renderers of the last :data:`SHARED_RENDERERS` (text, style, frame size, layout
    options) are kept for the process with the sprites they rasterized, so a worker
    rendering job after job of one template lays out and rasterizes its fixed texts once.
    """
    return _shared_renderer(text, style, ctx.width, ctx.height, safe_area, max_width, language, strict_fonts)


SHARED_RENDERERS = 16
"""Text renderers (layout and rasterized sprites) a process keeps across renders, at most."""

SHARED_TEXT_BYTES = 32 * 2**20
"""Bytes of sprites (with their resized copies) the kept renderers may hold; past it the
least recently used go (a batch's per-job texts, used once, would otherwise pile up)."""

_shared_lock = threading.Lock()
_shared: OrderedDict[tuple, TextRenderer] = OrderedDict()


def _held_bytes(renderer: TextRenderer) -> int:
    return sum(s.nbytes for s in renderer._cache.values())  # a sprite's nbytes counts its resized copies


def _shared_renderer(*key: Any) -> TextRenderer:
    with _shared_lock:
        hit = _shared.get(key)
        if hit is not None:
            _shared.move_to_end(key)
            return hit
    renderer = _new_renderer(*key)
    with _shared_lock:
        _shared[key] = renderer
        while len(_shared) > 1 and (len(_shared) > SHARED_RENDERERS or sum(_held_bytes(r) for r in _shared.values()) > SHARED_TEXT_BYTES):
            _shared.popitem(last=False)
    return renderer


def _new_renderer(
    text: str, style: TextStyle, width: int, height: int, safe_area: SafeArea | None, max_width: float, language: str | None, strict_fonts: bool
) -> TextRenderer:
    area = safe_area or SafeArea(0.0, 0.0, 0.0, 0.0)
    x0, _, x1, _ = area.box(width, height)
    k = reference_scale(RenderContext(width, height, 30))
    size = max(1, int(round(style.size * k)))
    pad = 2 * (style.box_padding[0] * k if style.box_color is not None else 0.0) + 2 * style.stroke_width * k
    limit = max(size * 1.0, (x1 - x0) * max_width - pad)
    layout = layout_text(text, style, size=size, max_width=limit, language=language, strict_fonts=strict_fonts)
    return TextRenderer(layout, style, k)


def missing_glyphs_message(label: str, missing: Sequence[MissingGlyph]) -> str:
    """One line naming the characters no font has and what drew them.

    ``overlays.text[1]: no font has U+05E9 'ש', U+05DC 'ל' (Hebrew script); drawn with
    NotoSans[wdth,wght].ttf from fontpkg-noto-sans as missing-glyph boxes; ...``
    """
    by_face: dict[tuple[str, str], list[MissingGlyph]] = {}
    for m in missing:
        by_face.setdefault((m.drawn_with, m.hint), []).append(m)
    parts = []
    for (drawn_with, hint), items in by_face.items():
        shown = ", ".join(f"U+{ord(m.char):04X} {m.char!r}" for m in items[:6]) + (f" and {len(items) - 6} more" if len(items) > 6 else "")
        scripts = ", ".join(sorted({script_name(m.script) for m in items}))
        parts.append(f"no font has {shown} ({scripts} script); drawn with {drawn_with} as missing-glyph boxes ({hint})")
    return f"{label}: " + "; ".join(parts)


def report_missing_glyphs(label: str, missing: Sequence[MissingGlyph]) -> None:
    """Log the one warning of a layer whose text has characters no font has."""
    if missing:
        log.warning("%s", missing_glyphs_message(label, missing))


def layer_label(layer: Layer, default: str) -> str:
    """The layer's :attr:`~clipkit.overlays.layer.Layer.label`, or ``default``."""
    return layer.label if layer.label is not None else default


@dataclass
class TextContent:
    """Per-render content of a text layer (also used for each caption cue)."""

    renderer: TextRenderer
    ctx: RenderContext
    anchor: tuple[float, float]
    typewriter: float | None = None
    word_timings: tuple[tuple[float, float], ...] | None = None
    safe_area: SafeArea | None = None
    _area: tuple[float, float, float, float] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.safe_area is not None:
            self._area = self.safe_area.box(self.ctx.width, self.ctx.height)

    def anchor_px(self) -> tuple[float, float]:
        """The anchor as a fraction of the sprite, measured on the text block (not the margins)."""
        r = self.renderer
        x0, y0, x1, y1 = r.block_box
        ax = (x0 + self.anchor[0] * (x1 - x0)) / r.width
        ay = (y0 + self.anchor[1] * (y1 - y0)) / r.height
        return ax, ay

    def __call__(self, time: FrameTime, state: LayerState) -> tuple[Sprite, tuple[float, float]] | None:
        r = self.renderer
        visible = None
        if self.typewriter is not None:
            visible = r.visible_after(int(math.floor(time.local_t * self.typewriter + 1e-9)))
            if visible == 0:
                return None
        highlight = active_word(self.word_timings, time.local_t) if self.word_timings else None
        sprite = r.sprite(visible=visible, highlight=highlight)
        anchor = self.anchor_px()
        if self._area is not None:
            # keep the (unanimated) block inside the safe area
            w, h = self.ctx.width, self.ctx.height
            px, py = state.x * w, state.y * h
            bx0, by0, bx1, by1 = r.block_box
            left = px + (bx0 - anchor[0] * r.width) * state.scale
            top = py + (by0 - anchor[1] * r.height) * state.scale
            box = (left, top, left + (bx1 - bx0) * state.scale, top + (by1 - by0) * state.scale)
            dx, dy = clamp_into(box, self._area)
            state.x += dx / w
            state.y += dy / h
        return sprite, anchor


def with_strict_fonts(edit: Any) -> Any:
    """``edit`` with ``strict_fonts=True`` on every text and captions overlay.

    What ``clipkit render --strict-fonts`` does: a character that no installed font has
    then fails the render when it starts, naming the layer, instead of being drawn with
    the closest font and logged.
    """
    from dataclasses import replace

    from .captions import Captions

    overlays = tuple(
        replace(ov, node=replace(ov.node, strict_fonts=True)) if isinstance(ov.node, (Text, Captions)) else ov for ov in edit.overlays
    )
    return replace(edit, overlays=overlays)
