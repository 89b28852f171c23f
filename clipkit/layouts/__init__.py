"""Layouts: several clips in one frame.

- :func:`duet`: two clips side by side or top and bottom, with either or both soundtracks.
- :func:`grid`: 2x2, 3x3 or any rows x columns, or custom cell rectangles (the
  "multi-person frame" challenge); cells may start one after another.
- :func:`pip`: picture-in-picture / react: an inset with a border and rounded corners
  over a main clip.
- :func:`green_screen`: a chroma-keyed subject over a background clip or image.
- :func:`layout`: any list of :class:`Cell` s.

Each returns a :class:`~clipkit.Clip` that sequences, trims and takes effects like any
other::

    import clipkit as ck
    from clipkit import layouts

    a, b = ck.open("me.mp4"), ck.open("friend.mp4")
    edit = ck.sequence([layouts.duet(a, b, audio="both")], canvas=ck.Canvas(1080, 1920))

Cells fit their clips (``cover`` crops to fill, ``contain`` letterboxes) and can start at
different times (``at``). A layout lasts as long as its longest cell unless given a
``duration``; picture-in-picture and green screen last as long as their main clip.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..edit.clip import Clip
from ..errors import ParameterError
from .keying import ChromaKey, auto_key_color
from .source import REFERENCE_SHORT_SIDE, Cell, LayoutSource

__all__ = [
    "AUDIO_CHOICES",
    "ARRANGEMENTS",
    "PIP_POSITIONS",
    "Cell",
    "ChromaKey",
    "LayoutSource",
    "REFERENCE_SHORT_SIDE",
    "auto_key_color",
    "duet",
    "green_screen",
    "grid",
    "grid_rects",
    "layout",
    "pip",
]

ARRANGEMENTS = ("side-by-side", "top-bottom")
AUDIO_CHOICES = ("both", "first", "second", "none")
PIP_POSITIONS = ("top-left", "top-right", "bottom-left", "bottom-right", "center")


def _clip(value: Any, name: str) -> Clip:
    if not isinstance(value, Clip):
        raise ParameterError(f"{name}: {value!r} is not a clip (use clipkit.open, image or color)")
    return value


def _offsets(offsets: Sequence[float] | None, n: int, name: str) -> list[float]:
    if offsets is None:
        return [0.0] * n
    values = list(offsets)
    if len(values) != n:
        raise ParameterError(f"{name}: {len(values)} start times given for {n} clips")
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
            raise ParameterError(f"{name}[{i}]: {v!r} must be a number of seconds >= 0")
    return [float(v) for v in values]


def layout(
    cells: Sequence[Cell],
    *,
    duration: float | None = None,
    background: Any = "black",
    label: str = "layout",
) -> Clip:
    """Compose any cells into one clip.

    Parameters
    ----------
    cells : sequence of Cell
        Drawn in order, later ones on top.
    duration : float > 0, optional
        Seconds; defaults to when the last cell's clip ends.
    background : str or tuple of int
        Colour where no cell draws.
    label : str
        Name used in errors and plans.
    """
    cells = tuple(cells)
    if not cells:
        raise ParameterError(f"{label}: needs at least one cell")
    length = duration if duration is not None else max(c.end for c in cells)
    source = LayoutSource(cells, duration=length, background=background, label=label)
    return Clip(source=source, start=0.0, end=source.duration, fit="stretch", name=None)


def _gap_rects(rows: int, cols: int, gap: float, aspect: float) -> list[tuple[float, float, float, float]]:
    """Cell rectangles of a rows x cols grid with a gap (share of the frame width)."""
    gx = gap
    gy = gap * aspect  # the same gap in pixels vertically on a frame of this width/height
    w = (1.0 - gx * (cols + 1)) / cols
    h = (1.0 - gy * (rows + 1)) / rows
    if w <= 0 or h <= 0:
        raise ParameterError(f"gap: {gap!r} leaves no room for {rows}x{cols} cells")
    return [(gx + c * (w + gx), gy + r * (h + gy), w, h) for r in range(rows) for c in range(cols)]


def grid_rects(rows: int, cols: int, *, gap: float = 0.0, aspect: float = 9 / 16) -> list[tuple[float, float, float, float]]:
    """Rectangles (shares of the frame) of a rows x cols grid, row by row.

    Parameters
    ----------
    rows, cols : int in [1, 8]
        Grid shape.
    gap : float in [0, 0.2]
        Space between and around cells, as a share of the frame width.
    aspect : float > 0
        Frame width / height (the gap is equal in pixels both ways).
    """
    for name, value in (("rows", rows), ("cols", cols)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 8:
            raise ParameterError(f"grid.{name}: {value!r} is not a whole number in 1..8")
    if isinstance(gap, bool) or not isinstance(gap, (int, float)) or not 0 <= gap <= 0.2:
        raise ParameterError(f"grid.gap: {gap!r} is outside 0..0.2")
    if gap == 0:
        return [(c / cols, r / rows, 1 / cols, 1 / rows) for r in range(rows) for c in range(cols)]
    return _gap_rects(rows, cols, float(gap), aspect)


def duet(
    first: Clip,
    second: Clip,
    *,
    arrangement: str = "side-by-side",
    audio: str = "both",
    fit: str = "cover",
    offsets: Sequence[float] | None = None,
    gap: float = 0.0,
    background: Any = "black",
    duration: float | None = None,
) -> Clip:
    """Two clips in one frame: side by side (left, right) or top-bottom.

    Parameters
    ----------
    first, second : Clip
        Left/top and right/bottom.
    arrangement : {'side-by-side', 'top-bottom'}
        How the two halves are placed.
    audio : {'both', 'first', 'second', 'none'}
        Whose sound is heard.
    fit : {'cover', 'contain', 'blur', 'stretch'}
        How each clip fills its half.
    offsets : (float, float), optional
        Layout seconds where each clip starts (a reply that starts later); before it
        starts a clip shows its first frame.
    gap : float in [0, 0.2]
        Space between and around the halves (share of the frame width).
    background : str or tuple of int
        Colour of the gap.
    duration : float > 0, optional
        Defaults to the longer of the two.
    """
    first, second = _clip(first, "duet.first"), _clip(second, "duet.second")
    if arrangement not in ARRANGEMENTS:
        raise ParameterError(f"duet.arrangement: {arrangement!r} is not one of {', '.join(ARRANGEMENTS)}")
    if audio not in AUDIO_CHOICES:
        raise ParameterError(f"duet.audio: {audio!r} is not one of {', '.join(AUDIO_CHOICES)}")
    at = _offsets(offsets, 2, "duet.offsets")
    rows, cols = (1, 2) if arrangement == "side-by-side" else (2, 1)
    rects = grid_rects(rows, cols, gap=gap)
    hear = {"both": (True, True), "first": (True, False), "second": (False, True), "none": (False, False)}[audio]
    cells = [
        Cell(c, rect=r, fit=fit, at=t, before="hold", audio=h, name=f"duet.{n}")
        for c, r, t, h, n in zip((first, second), rects, at, hear, ("first", "second"))
    ]
    return layout(cells, duration=duration, background=background, label="duet")


def grid(
    clips: Sequence[Clip],
    *,
    rows: int | None = None,
    cols: int | None = None,
    rects: Sequence[tuple[float, float, float, float]] | None = None,
    fit: str = "cover",
    gap: float = 0.0,
    offsets: Sequence[float] | None = None,
    before: str = "empty",
    audio: str | Sequence[int] = "first",
    background: Any = "black",
    duration: float | None = None,
) -> Clip:
    """Clips in a grid (2x2, 3x3, any rows x cols) or in custom rectangles.

    Parameters
    ----------
    clips : sequence of Clip
        Filled row by row; at most rows x cols.
    rows, cols : int in [1, 8], optional
        Grid shape; by default the smallest square grid that holds the clips.
    rects : sequence of (x, y, width, height), optional
        Custom cell rectangles (shares of the frame), one per clip, instead of a grid.
    fit : {'cover', 'contain', 'blur', 'stretch'}
        How each clip fills its cell.
    gap : float in [0, 0.2]
        Space between and around cells (share of the frame width).
    offsets : sequence of float, optional
        Layout seconds where each clip starts (one per clip).
    before : {'empty', 'hold'}
        What a cell shows before its clip starts: the background, or its first frame.
    audio : 'first', 'all', 'none', or sequence of int
        Whose sound is heard (indices into ``clips`` for a custom choice).
    background : str or tuple of int
        Colour of gaps and empty cells.
    duration : float > 0, optional
        Defaults to when the last clip ends.
    """
    clips = [_clip(c, f"grid.clips[{i}]") for i, c in enumerate(clips)]
    if not clips:
        raise ParameterError("grid.clips: needs at least one clip")
    if rects is not None:
        rect_list = [tuple(r) for r in rects]
        if len(rect_list) != len(clips):
            raise ParameterError(f"grid.rects: {len(rect_list)} rectangles for {len(clips)} clips")
        label = f"grid of {len(clips)}"
    else:
        if rows is None and cols is None:
            side = 1
            while side * side < len(clips):
                side += 1
            rows, cols = side, side
        elif rows is None:
            rows = -(-len(clips) // int(cols))  # type: ignore[arg-type]
        elif cols is None:
            cols = -(-len(clips) // int(rows))
        rect_list = grid_rects(int(rows), int(cols), gap=gap)  # type: ignore[arg-type]
        if len(clips) > len(rect_list):
            raise ParameterError(f"grid.clips: {len(clips)} clips do not fit a {rows}x{cols} grid")
        label = f"grid {rows}x{cols}"
    at = _offsets(offsets, len(clips), "grid.offsets")
    if isinstance(audio, str):
        if audio not in ("first", "all", "none"):
            raise ParameterError(f"grid.audio: {audio!r} is not 'first', 'all', 'none' or a list of clip indices")
        heard = {0} if audio == "first" else set(range(len(clips))) if audio == "all" else set()
    else:
        heard = set()
        for i in audio:
            if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < len(clips):
                raise ParameterError(f"grid.audio: {i!r} is not a clip index in 0..{len(clips) - 1}")
            heard.add(i)
    cells = [
        Cell(c, rect=r, fit=fit, at=t, before=before, audio=i in heard, name=f"grid.clips[{i}]")  # type: ignore[arg-type]
        for i, (c, r, t) in enumerate(zip(clips, rect_list, at))
    ]
    return layout(cells, duration=duration, background=background, label=label)


def pip(
    main: Clip,
    inset: Clip,
    *,
    position: str | tuple[float, float] = "top-right",
    size: float = 0.36,
    margin: float = 0.04,
    aspect: float | None = None,
    fit: str = "cover",
    border: float = 8.0,
    border_color: Any = "white",
    radius: float = 36.0,
    audio: str = "both",
    offset: float = 0.0,
    frame_aspect: float = 9 / 16,
) -> Clip:
    """Picture-in-picture / react: ``inset`` over ``main``, with a border and rounded corners.

    Parameters
    ----------
    main : Clip
        Fills the frame; the layout lasts as long as it does.
    inset : Clip
        The small picture (the reaction).
    position : str or (x, y)
        ``top-left``, ``top-right``, ``bottom-left``, ``bottom-right``, ``center``, or the
        inset's top-left corner as shares of the frame.
    size : float in (0, 1]
        Inset width as a share of the frame width.
    margin : float in [0, 0.3]
        Distance from the frame edges (share of the frame width) for named positions.
    aspect : float > 0, optional
        Inset width / height; defaults to the inset clip's own shape.
    fit : {'cover', 'contain', 'blur', 'stretch'}
        How the inset clip fills its box.
    border : float >= 0
        Border width in pixels (at a 1080 short side).
    border_color : str or tuple of int
        Border colour.
    radius : float >= 0
        Corner radius in pixels (at a 1080 short side).
    audio : {'both', 'first', 'second', 'none'}
        Whose sound is heard: ``first`` is the main clip, ``second`` the inset.
    offset : float >= 0
        Second of the main clip where the inset starts (it shows its first frame until then).
    frame_aspect : float > 0
        Width / height of the frame it will be rendered on (9/16 for vertical video).
    """
    main, inset = _clip(main, "pip.main"), _clip(inset, "pip.inset")
    if audio not in AUDIO_CHOICES:
        raise ParameterError(f"pip.audio: {audio!r} is not one of {', '.join(AUDIO_CHOICES)}")
    if isinstance(size, bool) or not isinstance(size, (int, float)) or not 0 < size <= 1:
        raise ParameterError(f"pip.size: {size!r} is outside (0, 1]")
    if isinstance(margin, bool) or not isinstance(margin, (int, float)) or not 0 <= margin <= 0.3:
        raise ParameterError(f"pip.margin: {margin!r} is outside 0..0.3")
    if aspect is None:
        shape = inset.source.display_size
        if inset.crop_box is not None:
            shape = inset.crop_box[2:]
        aspect = shape[0] / shape[1] if shape else 9 / 16
    if isinstance(aspect, bool) or not isinstance(aspect, (int, float)) or not aspect > 0:
        raise ParameterError(f"pip.aspect: {aspect!r} must be above 0")
    w = float(size)
    h = w / aspect * frame_aspect
    if h > 1:
        w, h = w / h, 1.0
    mx, my = margin, margin * frame_aspect
    if isinstance(position, str):
        spots = {
            "top-left": (mx, my),
            "top-right": (1 - mx - w, my),
            "bottom-left": (mx, 1 - my - h),
            "bottom-right": (1 - mx - w, 1 - my - h),
            "center": ((1 - w) / 2, (1 - h) / 2),
        }
        if position not in spots:
            raise ParameterError(f"pip.position: {position!r} is not one of {', '.join(PIP_POSITIONS)} or (x, y)")
        x, y = spots[position]
    else:
        if not (isinstance(position, (tuple, list)) and len(position) == 2):
            raise ParameterError(f"pip.position: {position!r} is not a named position or (x, y)")
        x, y = (float(v) for v in position)
        if not (0 <= x <= 1 - w + 1e-9 and 0 <= y <= 1 - h + 1e-9):
            raise ParameterError(f"pip.position: {position!r} puts the inset ({w:.2f} x {h:.2f}) outside the frame")
    x, y = max(0.0, min(x, 1 - w)), max(0.0, min(y, 1 - h))
    hear = {"both": (True, True), "first": (True, False), "second": (False, True), "none": (False, False)}[audio]
    cells = [
        Cell(main, fit=main.fit or "cover", audio=hear[0], name="pip.main"),
        Cell(inset, rect=(x, y, w, h), fit=fit, at=float(offset), before="hold", audio=hear[1], border=border,
             border_color=border_color, radius=radius, name="pip.inset"),
    ]
    return layout(cells, duration=main.duration, label="pip")


def green_screen(
    subject: Clip,
    background: Clip,
    *,
    key_color: Any = "auto",
    similarity: float = 0.35,
    smoothness: float = 0.12,
    spill: float = 0.5,
    rect: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0),
    fit: str = "cover",
    background_fit: str = "cover",
    audio: str = "first",
) -> Clip:
    """A chroma-keyed subject over a background clip or image.

    Parameters
    ----------
    subject : Clip
        Filmed in front of a green (or blue) screen.
    background : Clip
        What shows through the screen (a video, or a still from :func:`clipkit.image`).
    key_color : str, tuple of int, or 'auto'
        Screen colour; ``auto`` reads it from the subject's first frame edges.
    similarity : float in [0, 1]
        How close to the key a colour must be to vanish (share of the chroma range).
    smoothness : float in (0, 1]
        Soft edge width past ``similarity``.
    spill : float in [0, 1]
        Removal of the screen's colour cast from the subject's edges.
    rect : (x, y, width, height)
        Where the subject goes (shares of the frame); the whole frame by default.
    fit, background_fit : str
        How the subject and the background fill their areas.
    audio : {'both', 'first', 'second', 'none'}
        Whose sound is heard: ``first`` is the subject.
    """
    subject, background = _clip(subject, "green_screen.subject"), _clip(background, "green_screen.background")
    if audio not in AUDIO_CHOICES:
        raise ParameterError(f"green_screen.audio: {audio!r} is not one of {', '.join(AUDIO_CHOICES)}")
    key = ChromaKey(key_color, similarity, smoothness, spill)
    hear = {"both": (True, True), "first": (True, False), "second": (False, True), "none": (False, False)}[audio]
    cells = [
        Cell(background, fit=background_fit, audio=hear[1], name="green_screen.background"),
        Cell(subject, rect=rect, fit=fit, audio=hear[0], key=key, name="green_screen.subject"),
    ]
    return layout(cells, duration=subject.duration, label="green screen")
