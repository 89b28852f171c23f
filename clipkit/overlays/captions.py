"""Captions: timed text from SRT or ASS files (pysubs2), WebVTT files (webvtt-py) or the API, burned in.

Each cue is laid out once (per render) with the caption style and drawn inside the
9:16 safe area, by default centred just above the bottom margin, clear of the apps'
caption and buttons. A cue may carry word timings (ASS karaoke ``{\\k}`` tags and
WebVTT inline timestamps give them), or the words may share the cue evenly: with
``highlight="words"`` the word being spoken takes the style's ``highlight_color``.
"""

from __future__ import annotations

import bisect
import html
import os
import re
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass
from pathlib import Path
from typing import Any

import pysubs2

from ..errors import FontError, MediaError, ParameterError, describe_value
from ..nodes import FrameTime, RenderContext
from .animation import Animation, LayerState
from .composite import Sprite
from .layer import SAFE_AREA, Content, Layer, SafeArea
from .fonts import MissingGlyph
from .styles import text_style
from .text import TextContent, layer_label, make_renderer, report_missing_glyphs, word_spans

__all__ = ["Cue", "Captions", "load_cues", "HIGHLIGHTS"]

HIGHLIGHTS = ("none", "words")
"""Caption highlight modes."""

_KARAOKE = re.compile(r"\{[^}]*?\\[kK][fo]?(\d+)[^}]*\}")
_TAG = re.compile(r"\{[^}]*\}")
_VTT_TAG = re.compile(r"<(/?)([^>]*)>")
_VTT_TIME = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})")
_ENTITY = re.compile(r"&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z]+\d*);")


@dataclass(frozen=True, slots=True)
class Cue:
    """One caption.

    Parameters
    ----------
    start, end : float
        Seconds from the start of the captions layer; ``0 <= start < end``.
    text : str
        The words; ``\\n`` breaks lines.
    words : tuple of (start, end), optional
        Absolute seconds of each word (whitespace-separated; per character for CJK text
        without spaces), for the word-by-word highlight.
    """

    start: float
    end: float
    text: str
    words: tuple[tuple[float, float], ...] | None = None

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise ParameterError(f"cue.{name}: {describe_value(v)} is not a time in seconds")
        if self.start < 0 or self.end <= self.start:
            raise ParameterError(f"cue [{self.start:g}, {self.end:g}]: needs 0 <= start < end ({self.text!r})")
        if not isinstance(self.text, str):
            raise ParameterError(f"cue.text: {describe_value(self.text)} is not a string")


def _karaoke(raw: str, start: float, end: float) -> tuple[str, tuple[tuple[float, float], ...] | None]:
    """Plain text of an ASS line and, when it has ``\\k`` tags, the word timings."""
    text = raw.replace("\\N", "\n").replace("\\n", "\n").replace("\\h", "\u00a0")
    if not _KARAOKE.search(text):
        return _TAG.sub("", text).strip(), None
    # syllables: (duration, text) pairs; a syllable that starts with a space starts a word
    pieces = []
    pos = 0
    current = None
    for m in _KARAOKE.finditer(text):
        if current is not None:
            pieces.append((current, _TAG.sub("", text[pos : m.start()])))
        current = int(m.group(1)) / 100.0
        pos = m.end()
    if current is not None:
        pieces.append((current, _TAG.sub("", text[pos:])))
    plain = _TAG.sub("", text[: _KARAOKE.search(text).start()]) + "".join(p for _, p in pieces)  # type: ignore[union-attr]
    plain = plain.strip()
    t = start
    times: list[tuple[float, float]] = []
    buffer = ""
    for dur, syl in pieces:
        s0 = t
        t = min(end, t + dur)
        if not syl.strip():
            continue
        if buffer and syl[:1].isspace():
            buffer = ""
        if not buffer or syl[:1].isspace() or not times:
            times.append((s0, t))
        else:
            times[-1] = (times[-1][0], t)
        buffer += syl
        if syl[-1:].isspace():
            buffer = ""
    if len(times) != len(word_spans(plain)):
        return plain, None  # syllables that do not map onto words: no per-word timing
    return plain, tuple(times)


def _unescape(text: str) -> str:
    """``&amp;``, ``&lt;``, ``&nbsp;``, ``&#39;``... decoded; a bare ``&`` (``Q&A``) left as it is."""
    return _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)


def _vtt_seconds(stamp: str) -> float | None:
    m = _VTT_TIME.fullmatch(stamp.strip())
    if m is None:
        return None
    h, mi, s, ms = m.groups()
    return ((int(h or 0) * 3600 + int(mi) * 60 + int(s)) * 1000 + int(ms.ljust(3, "0"))) / 1000.0


def _vtt_cue(raw: str, start: float, end: float) -> tuple[str, tuple[tuple[float, float], ...] | None]:
    """Plain text of a WebVTT cue and, when it has inline ``<00:00:01.280>`` timestamps
    (YouTube's automatic captions, karaoke files), the word timings.

    Voice, class, italic, bold, underline, ruby and language spans are dropped; character
    references are decoded; blank lines (YouTube's rolling captions start with one) are
    left out. A word starts at the timestamp before it (the cue's start without one) and
    lasts until the next word starts: the words YouTube repeats from the line before
    start and end with the cue, so they are never the spoken word.
    """
    t, timed = start, False
    lines: list[tuple[str, list[float]]] = []
    for line in raw.split("\n"):
        parts: list[str] = []
        times: list[float] = []
        pos = 0
        for m in [*_VTT_TAG.finditer(line), None]:
            piece = _unescape(line[pos : len(line) if m is None else m.start()])
            parts.append(piece)
            times += [t] * len(piece)
            if m is None:
                break
            stamp = None if m.group(1) else _vtt_seconds(m.group(2))
            if stamp is not None:
                t, timed = min(end, max(start, stamp)), True
            pos = m.end()
        text = "".join(parts)
        if text.strip():
            lines.append((text, times))
    plain = "\n".join(text for text, _ in lines)
    at = [x for k, (_, times) in enumerate(lines) for x in ([*times, times[-1]] if k < len(lines) - 1 else times)]
    lead = len(plain) - len(plain.lstrip())
    plain = plain.strip()
    if not timed or not plain:
        return plain, None
    starts = [at[lead + a] for a, _b in word_spans(plain)]
    for k in range(1, len(starts)):  # a timestamp out of order never runs a word backwards
        starts[k] = max(starts[k], starts[k - 1])
    return plain, tuple(zip(starts, [*starts[1:], end]))


def _vtt_cues(text: str) -> list[tuple[float, float, str, tuple[tuple[float, float], ...] | None]] | None:
    """The cues of a WebVTT file read by webvtt-py (NOTE, STYLE and REGION blocks skipped),
    or None when it is not WebVTT (no ``WEBVTT`` header): pysubs2 reads it then."""
    import webvtt
    from webvtt.errors import MalformedCaptionError, MalformedFileError

    try:
        captions = webvtt.from_string(text)
    except (MalformedFileError, MalformedCaptionError):
        return None
    out = []
    for c in captions:
        start, end = _vtt_seconds(c.start), _vtt_seconds(c.end)
        if start is None or end is None:
            continue
        plain, words = _vtt_cue(c.raw_text, start, end)
        out.append((start, end, plain, words))
    return out


# byte-order marks, longest first (UTF-32's starts with UTF-16's)
_BOMS = ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def _subtitle_text(p: Path, encoding: str) -> str:
    """The file's text: in ``encoding``, or (``"auto"``) by its byte-order mark, as UTF-8
    when it is valid UTF-8, else in the encoding charset-normalizer finds most coherent."""
    data = p.read_bytes()
    if encoding != "auto":
        try:
            return data.decode(encoding)
        except LookupError:
            raise ParameterError(f"encoding: {encoding!r} is not a text encoding (use 'auto', 'utf-8', 'cp1252', 'gbk', ...)", field="encoding", value=encoding, allowed="'auto' or a text encoding's name") from None
        except UnicodeDecodeError as exc:
            raise MediaError(p, f"is not {encoding} text ({exc.reason} at byte {exc.start}); leave encoding at 'auto' to detect it") from None
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(name)
            except UnicodeDecodeError as exc:
                raise MediaError(p, f"starts with a {name} byte-order mark but is not {name} text ({exc.reason} at byte {exc.start})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        raise MediaError(p, "is not text in any encoding clipkit recognises; give the captions' encoding (e.g. 'cp1252', 'gbk')")
    best = matches[0]
    # Shift JIS Japanese also decodes, without errors, as Korean (cp949) Hangul, which
    # charset-normalizer may rank first; hiragana, which every Japanese sentence has and
    # no other language's bytes decode to, settle it
    for m in matches:
        if m.encoding in _JAPANESE and m.chaos <= best.chaos + 0.1 and _hiragana_share(str(m)) >= 0.1:
            return str(m)
    # a short Western text decodes as well in several code pages: Windows-1252, the one
    # most old subtitle files are in, wins those ties
    tied = [m for m in matches if m.chaos == best.chaos and m.coherence == best.coherence]
    return str(next((m for m in tied if m.encoding == "cp1252"), best))


_JAPANESE = {"cp932", "shift_jis", "shift_jis_2004", "shift_jisx0213", "euc_jp", "euc_jis_2004", "iso2022_jp"}


def _hiragana_share(text: str) -> float:
    """Share of hiragana among a text's non-ASCII characters (0 without any)."""
    wide = [c for c in text if ord(c) > 0x7F and not c.isspace()]
    return sum(1 for c in wide if "\u3040" <= c <= "\u309f") / len(wide) if wide else 0.0


def load_cues(path: str | os.PathLike[str], *, encoding: str = "auto", fps: float | None = None) -> tuple[Cue, ...]:
    """Read cues from an SRT, WebVTT, ASS/SSA (or other pysubs2) subtitle file.

    ASS override tags are dropped except karaoke ``{\\k}`` timings, which become word
    timings; comment lines are skipped.

    Parameters
    ----------
    path : str or path
        The subtitle file.
    encoding : str
        Its text encoding; ``"auto"`` (default) reads a byte-order mark (UTF-8, UTF-16
        and UTF-32 files from Windows editors), takes valid UTF-8 as UTF-8, and otherwise
        detects a legacy encoding (Windows-1252, -1251, GBK, Shift JIS...) with
        charset-normalizer.
    fps : float, optional
        Frame rate of frame-based formats (MicroDVD).

    Raises
    ------
    MediaError
        When the file is missing, its text cannot be decoded, or it is not a subtitle
        format pysubs2 can read.
    ParameterError
        For an encoding Python does not know.
    """
    p = Path(path)
    if not p.is_file():
        raise MediaError(p, "captions file does not exist")
    text = _subtitle_text(p, encoding)
    found = _vtt_cues(text) if text.lstrip("\ufeff").startswith("WEBVTT") else None
    if found is None:
        try:
            subs = pysubs2.SSAFile.from_string(text, fps=fps)
        except (pysubs2.exceptions.Pysubs2Error, ValueError) as exc:
            raise MediaError(p, f"is not a subtitle file pysubs2 can read (SRT, WebVTT, ASS): {exc}") from None
        ass = p.suffix.lower() in (".ass", ".ssa")
        found = []
        for ev in subs.events:
            if ev.is_comment:
                continue
            start, end = ev.start / 1000.0, ev.end / 1000.0
            if end > start:
                found.append((start, end, *(_karaoke(ev.text, start, end) if ass else (_unescape(ev.plaintext.strip()), None))))
    cues: list[Cue] = []
    for start, end, plain, words in found:
        if end <= start or not plain.strip():
            continue
        if start < 0:
            words = None if words is None else tuple((max(0.0, a), max(0.0, b)) for a, b in words)
        cues.append(Cue(max(0.0, start), end, plain, words))
    cues.sort(key=lambda c: (c.start, c.end))
    return tuple(cues)


def _parse_cues(value: Any) -> tuple[Cue, ...]:
    if isinstance(value, (str, os.PathLike)):
        return load_cues(value)
    if not isinstance(value, Sequence):
        raise ParameterError(f"Captions.cues: {describe_value(value)} is not a file path or a list of cues")
    out = []
    for i, item in enumerate(value):
        if isinstance(item, Cue):
            out.append(item)
        elif isinstance(item, dict):
            extra = set(item) - {"start", "end", "text", "words"}
            if extra or not {"start", "end", "text"} <= set(item):
                raise ParameterError(f"Captions.cues[{i}]: needs start, end and text (and optionally words); got {sorted(item)}")
            words = item.get("words")
            out.append(Cue(item["start"], item["end"], item["text"], tuple(tuple(w) for w in words) if words else None))
        elif isinstance(item, (list, tuple)) and len(item) == 3:
            out.append(Cue(item[0], item[1], item[2]))
        else:
            raise ParameterError(f"Captions.cues[{i}]: {describe_value(item)} is not a Cue, {{start, end, text}} or [start, end, text]")
    out.sort(key=lambda c: (c.start, c.end))
    return tuple(out)


@dataclass(frozen=True)
class Captions(Layer):
    """Timed captions burned into the video, inside the safe area.

    Parameters
    ----------
    cues : path or sequence of Cue / {start, end, text} / [start, end, text]
        A subtitle file (SRT, WebVTT, ASS) or the cues; times are seconds from the
        layer's start.
    style : str, TextStyle or mapping
        Default ``"subtitle"``.
    highlight : {'none', 'words'}
        ``words`` draws the word being spoken in the style's highlight colour (cue word
        timings when given, else the words share the cue's time evenly).
    max_width : float in (0, 1]
        Widest line as a fraction of the safe area width.
    language : str, optional
        BCP 47 tag for regional glyphs.
    safe_area : SafeArea or bool
        Area the captions stay inside.
    cue_enter, cue_exit : animation, optional
        Played at each cue's start and end (default: a 0.12 s fade in and out).
    strict_fonts : bool
        A character no installed font has raises :class:`~clipkit.errors.FontError`
        when the render starts; by default it is drawn with the closest font and the
        layer logs one warning naming it.
    **placement
        ``position`` (default: centre of the safe area's width, its bottom edge),
        ``anchor`` (default ``[0.5, 1.0]``: the block's bottom centre), ``scale``,
        ``rotation``, ``opacity``, ``enter``, ``exit``, ``beat_bounce``.
    """

    cues: Any = ()
    _: KW_ONLY
    style: Any = "subtitle"
    highlight: str = "none"
    max_width: float = 1.0
    language: str | None = None
    safe_area: Any = True
    cue_enter: Any = Animation("fade", 0.12)
    cue_exit: Any = Animation("fade", 0.12)
    strict_fonts: bool = False

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if not isinstance(self.strict_fonts, bool):
            raise ParameterError(f"Captions.strict_fonts: {describe_value(self.strict_fonts)} is not true or false")
        area = SAFE_AREA if self.safe_area is True else (None if self.safe_area in (False, None) else self.safe_area)
        if area is not None and not isinstance(area, SafeArea):
            raise ParameterError(f"Captions.safe_area: {describe_value(self.safe_area)} is not true, false or a SafeArea")
        set_(self, "safe_area", area)
        # default placement: bottom centre of the safe area
        if self.position == (0.5, 0.5):
            a = area or SafeArea(0.0, 0.0, 0.0, 0.0)
            set_(self, "position", (a.center_x, 1.0 - a.bottom))
        if self.anchor == (0.5, 0.5):
            set_(self, "anchor", (0.5, 1.0))
        super().__post_init__()
        set_(self, "cues", _parse_cues(self.cues))
        try:
            set_(self, "style", text_style(self.style))
        except ParameterError as exc:
            raise ParameterError(f"Captions.{exc}" if str(exc).startswith("style") else f"Captions.style: {exc}") from None
        if self.highlight not in HIGHLIGHTS:
            raise ParameterError(f"Captions.highlight: {self.highlight!r} is not one of {', '.join(HIGHLIGHTS)}")
        if isinstance(self.max_width, bool) or not isinstance(self.max_width, (int, float)) or not 0 < self.max_width <= 1:
            raise ParameterError(f"Captions.max_width: {self.max_width!r} is outside (0, 1]")
        set_(self, "cue_enter", Animation.parse(self.cue_enter, field="Captions.cue_enter"))
        set_(self, "cue_exit", Animation.parse(self.cue_exit, field="Captions.cue_exit"))

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], *, encoding: str = "auto", **options: Any) -> Captions:
        """Captions from an SRT, WebVTT or ASS file (see :func:`load_cues`)."""
        return cls(load_cues(path, encoding=encoding), **options)

    def _bind_content(self, ctx: RenderContext) -> Content:
        return CaptionContent(self, ctx)


class CaptionContent:
    """Per-render content of a captions layer: the cue showing now, laid out once."""

    def __init__(self, captions: Captions, ctx: RenderContext) -> None:
        self.captions = captions
        self.ctx = ctx
        self.starts = [c.start for c in captions.cues]
        cues = captions.cues
        gap = 1.5 / float(ctx.fps) if ctx.fps else 0.05
        # back-to-back cues swap without fading through nothing
        self.joined_before = [i > 0 and c.start - cues[i - 1].end < gap for i, c in enumerate(cues)]
        self.joined_after = [i + 1 < len(cues) and cues[i + 1].start - c.end < gap for i, c in enumerate(cues)]
        self._contents: dict[int, TextContent] = {}
        # lay out every cue now: a missing font is reported (or fails, with strict_fonts)
        # at the start of the render, once for the whole layer, not midway
        label = layer_label(captions, "Captions")
        missing: dict[str, MissingGlyph] = {}
        for i in range(len(captions.cues)):
            try:
                content = self._content(i)
            except FontError as exc:
                raise FontError(f"{label}: cue {i + 1} ({captions.cues[i].text!r}): {exc}") from None
            for m in content.renderer.layout.missing:
                missing.setdefault(m.char, m)
        report_missing_glyphs(label, list(missing.values()))

    def _content(self, i: int) -> TextContent:
        hit = self._contents.get(i)
        if hit is None:
            cap = self.captions
            cue = cap.cues[i]
            renderer = make_renderer(
                cue.text, cap.style, self.ctx, safe_area=cap.safe_area, max_width=cap.max_width, language=cap.language, strict_fonts=cap.strict_fonts
            )
            timings = None
            if cap.highlight == "words":
                n = len(renderer.words)
                if cue.words is not None and len(cue.words) == n:
                    timings = tuple((a - cue.start, b - cue.start) for a, b in cue.words)
                elif n:
                    step = (cue.end - cue.start) / n
                    timings = tuple((k * step, (k + 1) * step) for k in range(n))
            hit = TextContent(renderer, self.ctx, anchor=cap.anchor, word_timings=timings, safe_area=cap.safe_area)
            self._contents[i] = hit
        return hit

    def cue_at(self, t: float) -> int | None:
        """Index of the cue showing at layer-local ``t`` (the latest started)."""
        i = bisect.bisect_right(self.starts, t) - 1
        while i >= 0:
            cue = self.captions.cues[i]
            if cue.start <= t < cue.end:
                return i
            if i and self.captions.cues[i - 1].end > t:
                i -= 1
                continue
            return None
        return None

    def __call__(self, time: FrameTime, state: LayerState) -> tuple[Sprite, tuple[float, float]] | None:
        i = self.cue_at(time.local_t)
        if i is None:
            return None
        cap = self.captions
        cue = cap.cues[i]
        local = FrameTime(time.index, time.t, time.local_index, time.local_t - cue.start, cue.end - cue.start, time.source_t)
        got = self._content(i)(local, state)
        # per-cue fades
        if cap.cue_enter is not None and not self.joined_before[i] and local.local_t < cap.cue_enter.duration:
            state.apply(cap.cue_enter, local.local_t / cap.cue_enter.duration, entering=True)
        left = local.duration - local.local_t
        if cap.cue_exit is not None and not self.joined_after[i] and left < cap.cue_exit.duration:
            state.apply(cap.cue_exit, left / cap.cue_exit.duration, entering=False)
        return got

    def close(self) -> None:
        """Drop the cached rasters."""
        self._contents.clear()
