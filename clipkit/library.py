"""The bundled template library: listing, sample clips, placeholder clips and previews.

- :func:`list_templates` reads ``presets/templates/*.yaml`` (name, description, slots).
- :func:`sample_clips` fills a template's slots with the bundled ``samples/`` media
  (portrait slots get the portrait samples, landscape slots the landscape one).
- :func:`placeholder_clip` makes a synthetic clip for a slot (moving colour bars with
  the slot's id, the right orientation, long enough), so a template can be previewed
  before anyone has filmed anything.
- :func:`preview_template` renders a low-resolution preview, with placeholders for
  every slot not given; :func:`contact_sheet` saves a strip of frames as a PNG
  (``presets/templates/make_previews.py`` makes the library's preview images with it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from .edit.clip import Canvas, Clip
from .edit.edit import Edit
from .edit.sources import Source
from .errors import ParameterError, TemplateError
from .frame import Frame
from .nodes import RenderContext
from .render.profiles import get_profile
from .resources import samples_dir, templates_dir
from .template import Template, bundled_template_ids, load_template, resolve_template

__all__ = [
    "TemplateInfo",
    "PlaceholderSource",
    "list_templates",
    "find_template",
    "sample_clips",
    "placeholder_clip",
    "PREVIEW_PROFILE",
    "preview_edit",
    "preview_template",
    "contact_sheet",
]

SAMPLE_MUSIC = "song.m4a"
PREVIEW_PROFILE = get_profile("preview").with_options(scale=1.0, crf=30.0)
"""Fast, small encodes at the preview canvas's own size."""
_PORTRAIT_SAMPLES = ("portrait.mp4", "portrait2.mp4")
_LANDSCAPE_SAMPLES = ("landscape.mp4",)
_ANY_SAMPLES = ("portrait.mp4", "landscape.mp4", "portrait2.mp4")


@dataclass(frozen=True, slots=True)
class TemplateInfo:
    """What the library knows about a bundled template without building it."""

    id: str
    path: Path
    name: str
    description: str
    slots: tuple[str, ...]
    needs_music: bool

    @property
    def preview_image(self) -> Path:
        """The template's preview picture (``<id>.png`` beside it)."""
        return self.path.with_suffix(".png")


def list_templates(folder: str | os.PathLike[str] | None = None) -> list[TemplateInfo]:
    """The templates in ``folder`` (default: the bundled library), sorted by id.

    Raises
    ------
    TemplateError
        When a template in the folder does not validate (naming the file and field).
    """
    root = Path(folder) if folder is not None else templates_dir()
    out = []
    for path in sorted(root.glob("*.yaml")) + sorted(root.glob("*.json")):
        template = load_template(path)
        out.append(
            TemplateInfo(
                id=path.stem,
                path=path,
                name=template.name,
                description=str(template.document.get("description", "")),
                slots=tuple(s["id"] + ("?" if s.get("optional") else "") for s in template.slots),
                needs_music=bool(template.document.get("music", {}).get("required")) or "cuts" in template.document,
            )
        )
    return out


def find_template(name: str) -> Path:
    """A template file: a path, or the id of a bundled template (``beat_montage``).

    The same lookup as :func:`clipkit.template.resolve_template`, which every template
    reader uses (``clipkit render duet ...``), for a file that must exist.

    Raises
    ------
    TemplateError
        When it is neither.
    """
    path = resolve_template(name)
    if not path.is_file():
        known = ", ".join(bundled_template_ids())
        raise TemplateError(f"no template file or bundled template named {name!r} (bundled: {known})")
    return path


def sample_clips(template: Template, *, include_optional: bool = True) -> dict[str, str]:
    """Fill every slot with a bundled sample that meets its orientation."""
    folder = samples_dir()
    counters = {"portrait": 0, "landscape": 0, "any": 0}
    pools = {"portrait": _PORTRAIT_SAMPLES, "landscape": _LANDSCAPE_SAMPLES, "square": _ANY_SAMPLES, "any": _ANY_SAMPLES}
    out: dict[str, str] = {}
    for slot in template.slots:
        if slot.get("optional") and not include_optional:
            continue
        if slot.get("kind") == "image":
            continue  # no still images among the samples; such slots stay empty or optional
        orientation = slot.get("orientation", "any")
        key = orientation if orientation in counters else "any"
        pool = pools[orientation]
        out[slot["id"]] = str(folder / pool[counters[key] % len(pool)])
        counters[key] += 1
    return out


class PlaceholderSource(Source):
    """Moving colour bars with a label: a stand-in clip for an empty slot.

    Parameters
    ----------
    label : str
        Drawn in the middle (the slot id).
    size : (int, int)
        Display size (even); sets the orientation.
    duration : float > 0
        Seconds of material.
    hue : int
        Varies the colours between slots.
    """

    kind = "video"

    def __init__(self, label: str, *, size: tuple[int, int] = (540, 960), duration: float = 30.0, hue: int = 0) -> None:
        if size[0] < 16 or size[1] < 16 or size[0] % 2 or size[1] % 2:
            raise ParameterError(f"placeholder size: {size!r} must be even and at least 16x16")
        self.label = label
        self._size = size
        self._duration = float(duration)
        self.hue = hue

    @property
    def duration(self) -> float:  # type: ignore[override]
        return self._duration

    @property
    def display_size(self) -> tuple[int, int]:  # type: ignore[override]
        return self._size

    def describe(self) -> str:
        return f"placeholder {self.label!r}"

    def _base(self) -> np.ndarray:
        w, h = self._size
        bars = np.array(
            [(230, 230, 230), (230, 230, 40), (40, 220, 220), (40, 210, 40), (220, 40, 220), (220, 40, 40), (40, 40, 220)],
            np.uint8,
        )
        bars = np.roll(bars, self.hue % len(bars), axis=0)
        cols = (np.arange(w) * len(bars) // w).astype(int)
        img = np.repeat(bars[cols][None, :, :], h, axis=0)
        img[int(h * 0.75) :] = (img[int(h * 0.75) :] * 0.35).astype(np.uint8)
        return img

    def frames(
        self, *, ctx: RenderContext, start: float, count: int, fps: Fraction, width: int, height: int, speed: float = 1.0) -> Iterator[tuple[Frame, float]]:
        w, h = self._size
        base = Frame.from_rgb(self._base())  # converted once; the moving parts are drawn on the planes
        scale = min(w, h) / 360
        thick = max(1, int(2 * scale))
        (tw, th), _ = cv2.getTextSize(self.label, cv2.FONT_HERSHEY_DUPLEX, scale, thick)
        cv2.putText(base.y, self.label, ((w - tw) // 2, (h + th) // 2), cv2.FONT_HERSHEY_DUPLEX, scale, 16, max(2, int(6 * scale)), cv2.LINE_AA)
        cv2.putText(base.y, self.label, ((w - tw) // 2, (h + th) // 2), cv2.FONT_HERSHEY_DUPLEX, scale, 235, thick, cv2.LINE_AA)
        radius = max(6, int(min(w, h) * 0.06))
        for k in range(count):
            t = start + k * speed / float(fps)
            frame = base.copy()
            x = int((0.5 + 0.35 * np.sin(t * 2.0)) * w)
            cv2.circle(frame.y, (x, int(h * 0.87)), radius, 235, -1)
            cv2.circle(frame.u, (x // 2, int(h * 0.87) // 2), radius // 2, 128, -1)
            cv2.circle(frame.v, (x // 2, int(h * 0.87) // 2), radius // 2, 128, -1)
            cv2.putText(frame.y, f"{t:5.2f}s", (int(w * 0.05), int(h * 0.08)), cv2.FONT_HERSHEY_SIMPLEX, scale * 0.6, 16, thick, cv2.LINE_AA)
            yield frame, t


def placeholder_clip(slot: Mapping[str, Any], *, index: int = 0, duration: float = 10.0) -> Clip:
    """A placeholder clip meeting ``slot`` 's orientation, as long as ``duration``."""
    orientation = slot.get("orientation", "any")
    size = {"landscape": (960, 540), "square": (720, 720)}.get(orientation, (540, 960))
    need = float(slot.get("min_duration", 0.0))
    source = PlaceholderSource(str(slot["id"]), size=size, duration=max(duration, need + 1.0), hue=index)
    return Clip(source=source, start=0.0, end=source.duration)


def preview_edit(
    template: Template,
    clips: Mapping[str, str | os.PathLike[str] | Clip] | None = None,
    *,
    music: str | os.PathLike[str] | None = None,
    width: int = 270,
) -> Edit:
    """Build ``template`` for a preview: placeholders for missing slots, the sample
    song when it needs music and none is given, on a canvas ``width`` pixels wide."""
    given = dict(clips or {})
    for i, slot in enumerate(template.slots):
        if slot["id"] not in given and not slot.get("optional"):
            given[slot["id"]] = placeholder_clip(slot, index=i)
    song = music
    if song is None and (template.document.get("music", {}).get("required") or "cuts" in template.document):
        song = samples_dir() / SAMPLE_MUSIC
    edit = template.build(given, music=song)
    canvas = edit.canvas or Canvas()
    if isinstance(width, bool) or not isinstance(width, int) or not 16 <= width <= 4096:
        raise ParameterError(f"preview width: {width!r} is outside 16..4096")
    height = max(16, int(round(canvas.height * width / canvas.width / 2)) * 2)
    return edit.with_canvas(Canvas(width - width % 2, height, canvas.fps, canvas.background))


def preview_template(
    template: str | os.PathLike[str] | Template,
    output: str | os.PathLike[str],
    *,
    clips: Mapping[str, str | os.PathLike[str] | Clip] | None = None,
    music: str | os.PathLike[str] | None = None,
    width: int = 270,
    overrides: Mapping[str, Any] | None = None,
) -> Any:
    """Render a low-resolution preview MP4 of a template (placeholders for missing clips).

    Returns
    -------
    RenderResult
    """
    tpl = template if isinstance(template, Template) else load_template(template, overrides=overrides)
    edit = preview_edit(tpl, clips, music=music, width=width)
    return edit.render(output, profile=PREVIEW_PROFILE)


def contact_sheet(edit: Edit, output: str | os.PathLike[str], *, count: int = 4, height: int = 320) -> Path:
    """Save ``count`` evenly spaced frames of ``edit`` side by side as a PNG.

    Parameters
    ----------
    edit : Edit
        The edit (render it small: every frame up to the last one shown is produced).
    output : path
        The PNG to write.
    count : int in [1, 12]
        Frames in the strip.
    height : int in [32, 1920]
        Height of each frame in the sheet.
    """
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 12:
        raise ParameterError(f"contact_sheet.count: {count!r} is outside 1..12")
    from .render.plan import plan_edit
    from .render.profiles import get_profile

    total = plan_edit(edit, get_profile("tiktok")).total_frames
    wanted = sorted({min(total - 1, int((k + 0.5) * total / count)) for k in range(count)})
    picks = []
    for index, frame in enumerate(edit.frames(stop=wanted[-1] + 1)):
        if index in wanted:
            rgb = frame.to_rgb()
            w = max(2, int(round(rgb.shape[1] * height / rgb.shape[0])))
            picks.append(cv2.resize(rgb, (w, height), interpolation=cv2.INTER_AREA))
    gap = np.full((height, 4, 3), 255, np.uint8)
    parts = []
    for img in picks:
        parts += [img, gap]
    sheet = np.hstack(parts[:-1])
    path = Path(output)
    if not cv2.imwrite(str(path), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 9]):
        raise ParameterError(f"contact_sheet: could not write {path}")
    return path
