"""Loading, validating and building templates.

Everything is checked before any media is decoded: the document against the JSON
Schema (messages point at fields, ``shots[3].start: -1 is below 0``), then the
meaning (slot references, files that exist inside the template's folder, clips that
meet their slot's constraints). Only then is an :class:`~clipkit.Edit` built.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..audio.tracks import AudioClip, audio
from ..edit.clip import Canvas, Clip, color
from ..edit.clip import open as open_clip
from ..edit.edit import Edit, sequence
from ..errors import _UNSET, ClipkitError, MediaError, ParameterError, TemplateError
from ..frame import parse_color
from ..render.profiles import Profile, get_profile
from ..resources import templates_dir
from ..transitions import transition_from_spec
from .sections import sections, shot_keys
from .schema import field_path, schema_errors

__all__ = ["Template", "TemplateContext", "load_template", "resolve_template", "bundled_template_ids", "parse_set_options", "apply_overrides"]

_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


@dataclass
class TemplateContext:
    """What extension sections get while an edit is built from a template.

    Attributes
    ----------
    template_path : Path or None
        The template file (``None`` for in-memory documents).
    base_dir : Path
        Folder asset paths are relative to.
    allowed_roots : tuple of Path
        Folders assets may come from (the template's folder first).
    variables : dict
        Placeholder values (template ``vars`` with ``--set`` applied).
    document : dict
        The validated template.
    clips : dict
        Slot id -> the creator's clip.
    music : AudioClip or None
        The soundtrack in use.
    """

    template_path: Path | None
    base_dir: Path
    allowed_roots: tuple[Path, ...]
    variables: dict[str, Any] = field(default_factory=dict)
    document: dict[str, Any] = field(default_factory=dict)
    clips: dict[str, Clip] = field(default_factory=dict)
    music: AudioClip | None = None

    def error(self, field_name: str, message: str) -> TemplateError:
        """A :class:`TemplateError` for this template and ``field_name``."""
        return TemplateError(message, path=self.template_path, field=field_name)

    def resolve_path(self, value: str, field_name: str, *, must_exist: bool = True) -> Path:
        """Resolve an asset path relative to the template, refusing URLs and escapes.

        Raises
        ------
        TemplateError
            For URLs, paths outside the allowed folders, and missing files.
        """
        if not isinstance(value, str) or not value.strip():
            raise self.error(field_name, f"{value!r} is not a file path")
        if _URL.match(value):
            raise self.error(field_name, f"{value!r} is a URL; templates take local files only")
        candidate = Path(value)
        if not candidate.is_absolute():
            candidate = self.base_dir / candidate
        resolved = candidate.resolve()
        if not any(resolved == root or root in resolved.parents for root in self.allowed_roots):
            roots = ", ".join(str(r) for r in self.allowed_roots)
            raise self.error(field_name, f"{value!r} is outside the template's folder (allowed: {roots})")
        if must_exist and not resolved.is_file():
            raise self.error(field_name, f"{value!r} does not exist (looked for {resolved})")
        return resolved

    def substitute(self, text: str, field_name: str) -> str:
        """Fill ``{{name}}`` placeholders from :attr:`variables`."""

        def repl(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in self.variables:
                known = ", ".join(sorted(self.variables)) or "none"
                raise self.error(field_name, f"placeholder {{{{{name}}}}} has no value; set it with --set {name}=... (known: {known})")
            return str(self.variables[name])

        return _PLACEHOLDER.sub(repl, text)


def _load_document(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TemplateError("file not found", path=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(f"cannot be read ({exc})", path=path) from None
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise TemplateError(f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})", path=path) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise TemplateError(f"is not valid YAML{where}: {problem}", path=path) from None


def parse_set_options(items: list[str]) -> dict[str, Any]:
    """Parse ``KEY=VALUE`` strings; values are read as YAML scalars (``2`` is a number)."""
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ParameterError(f"--set {item!r}: expected KEY=VALUE")
        key, raw = item.split("=", 1)
        key = key.strip()
        if not key:
            raise ParameterError(f"--set {item!r}: the key is empty")
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        out[key] = raw if isinstance(value, (dict, list)) or value is None else value
    return out


_KEY_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def apply_overrides(document: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Set dotted paths (``music.start``, ``shots[1].duration``) in a copy of ``document``.

    Keys naming a template variable (``vars``) set that variable instead.
    """
    doc = json.loads(json.dumps(document))  # a deep copy of plain data
    variables = doc.get("vars") if isinstance(doc.get("vars"), dict) else None
    for key, value in overrides.items():
        if variables is not None and key in variables:
            variables[key] = value
            continue
        parts = [m.group(1) if m.group(1) is not None else int(m.group(2)) for m in _KEY_PART.finditer(key)]
        if not parts:
            raise ParameterError(f"--set {key}: not a field path")
        node: Any = doc
        for i, part in enumerate(parts[:-1]):
            nxt = parts[i + 1]
            if isinstance(part, int):
                if not isinstance(node, list) or part >= len(node):
                    raise ParameterError(f"--set {key}: {field_path(parts[: i + 1])} does not exist")
                node = node[part]
            else:
                if not isinstance(node, dict):
                    raise ParameterError(f"--set {key}: {field_path(parts[:i])} is not a section")
                node = node.setdefault(part, [] if isinstance(nxt, int) else {})
        last = parts[-1]
        if isinstance(last, int):
            if not isinstance(node, list) or last >= len(node):
                raise ParameterError(f"--set {key}: {field_path(parts)} does not exist")
            node[last] = value
        elif isinstance(node, dict):
            node[last] = value
        else:
            raise ParameterError(f"--set {key}: {field_path(parts[:-1])} is not a section")
    return doc


class Template:
    """A validated template, ready to build edits from the creator's clips.

    Use :func:`load_template` to make one.
    """

    def __init__(self, document: dict[str, Any], *, path: Path | None, allowed_roots: tuple[Path, ...]) -> None:
        self.document = document
        self.path = path
        self.base_dir = path.parent.resolve() if path is not None else Path.cwd().resolve()
        self.allowed_roots = allowed_roots
        self._check_meaning()

    # -- facts ----------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """Display name (file stem when unnamed)."""
        return str(self.document.get("name") or (self.path.stem if self.path else "template"))

    @property
    def slots(self) -> list[dict[str, Any]]:
        """The slot declarations."""
        return list(self.document.get("slots", []))

    @property
    def variables(self) -> dict[str, Any]:
        """Placeholder defaults."""
        return dict(self.document.get("vars", {}))

    def canvas(self) -> Canvas | None:
        """The template's canvas, if it sets one."""
        spec = self.document.get("canvas")
        if spec is None:
            return None
        try:
            return Canvas(
                spec.get("width", 1080),
                spec.get("height", 1920),
                spec.get("fps", 30),
                spec.get("background", (0, 0, 0)),
            )
        except ParameterError as exc:
            raise _field_error(exc, self.path, field="canvas", prefix="canvas.") from None

    def profile(self) -> Profile:
        """The output profile with the template's overrides."""
        out = self.document.get("output", {})
        prof = get_profile(out.get("profile", "tiktok"))
        opts = {k: out[k] for k in ("crf", "preset") if k in out}
        return prof.with_options(**opts) if opts else prof

    @property
    def keep_metadata(self) -> bool:
        """Whether the output keeps the source metadata."""
        return bool(self.document.get("output", {}).get("keep_metadata", False))

    def _context(self) -> TemplateContext:
        return TemplateContext(
            template_path=self.path,
            base_dir=self.base_dir,
            allowed_roots=self.allowed_roots,
            variables=self.variables,
            document=self.document,
        )

    def _err(self, field_name: str, message: str) -> TemplateError:
        return TemplateError(message, path=self.path, field=field_name)

    # -- checks ---------------------------------------------------------------------------
    def _check_meaning(self) -> None:
        problems = self.problems()
        if problems:
            raise _combined(problems)

    def problems(self) -> list[TemplateError]:
        """Every problem of meaning (slot references, asset paths, shot timing,
        transitions, canvas), in document order; empty when the template is sound."""
        doc = self.document
        ctx = self._context()
        found: list[TemplateError] = []

        def check(field_name: str, run: Any) -> None:
            try:
                run()
            except TemplateError as exc:
                found.extend(exc.problems)
            except ParameterError as exc:
                found.append(_field_error(exc, self.path, field=field_name))

        ids: dict[str, int] = {}
        for i, slot in enumerate(doc.get("slots", [])):
            if slot["id"] in ids:
                found.append(self._err(f"slots[{i}].id", f"{slot['id']!r} is already used by slots[{ids[slot['id']]}]"))
            ids.setdefault(slot["id"], i)
        check("canvas", self.canvas)  # size, rate and background are checked now, not at build time
        for i, shot in enumerate(doc["shots"]):
            where = f"shots[{i}]"
            if "color" in shot:
                check(f"{where}.color", lambda shot=shot, where=where: parse_color(shot["color"], field=f"{where}.color"))
            if "slot" in shot and shot["slot"] not in ids:
                known = ", ".join(ids) or "none declared"
                found.append(self._err(f"{where}.slot", f"{shot['slot']!r} is not a declared slot (slots: {known})"))
            for key in ("video", "image"):
                if key in shot:
                    check(f"{where}.{key}", lambda shot=shot, key=key, where=where: ctx.resolve_path(shot[key], f"{where}.{key}"))
            if "end" in shot and "duration" in shot:
                found.append(self._err(where, "has both end and duration; give one"))
            elif "end" in shot and shot["end"] <= shot.get("start", 0):
                found.append(self._err(f"{where}.end", f"{shot['end']!r} is not after start {shot.get('start', 0)!r}"))
            if ("color" in shot or "image" in shot) and "duration" not in shot and "end" not in shot:
                found.append(self._err(f"{where}.duration", "is required for colour and image shots"))
            if "transition" in shot:
                if i == 0:
                    found.append(self._err(f"{where}.transition", "the first shot has nothing to transition from"))
                else:
                    check(f"{where}.transition", lambda shot=shot: transition_from_spec(shot["transition"]))
        music = doc.get("music")
        if music and "file" in music:
            check("music.file", lambda: ctx.resolve_path(music["file"], "music.file"))
        for name in doc.get("vars", {}):
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                found.append(self._err(f"vars.{name}", "is not a valid placeholder name (letters, digits, _)"))
        return found

    # -- building -------------------------------------------------------------------------
    def build(
        self,
        clips: Mapping[str, str | os.PathLike[str] | Clip] | None = None,
        *,
        music: str | os.PathLike[str] | AudioClip | None = None,
    ) -> Edit:
        """Build the edit from the creator's clips.

        Parameters
        ----------
        clips : mapping of slot id to path or Clip
            A clip for every required slot.
        music : path or AudioClip, optional
            Overrides the template's music file.

        Raises
        ------
        TemplateError
            Unknown or missing slots, clips that break a slot's constraints, missing
            music. Bad media raises :class:`MediaError` naming the file.
        """
        ctx = self._context()
        clips = dict(clips or {})
        slot_ids = {s["id"] for s in self.slots}
        for sid in clips:
            if sid not in slot_ids:
                import difflib

                hint = difflib.get_close_matches(str(sid), sorted(slot_ids), n=1)
                raise TemplateError(
                    f"--clip {sid}=...: no slot named {sid!r}" + (f"; did you mean {hint[0]!r}?" if hint else "") + f" (slots: {', '.join(sorted(slot_ids)) or 'none'})",
                    path=self.path,
                )
        for i, slot in enumerate(self.slots):
            sid = slot["id"]
            if sid not in clips:
                if slot.get("optional"):
                    continue
                raise TemplateError(f"slot {sid!r} has no clip; pass --clip {sid}=FILE", path=self.path)
            value = clips[sid]
            clip = value if isinstance(value, Clip) else open_clip(value)
            self._check_slot(i, slot, clip)
            ctx.clips[sid] = clip
        ctx.music = self._music(music, ctx)

        built: list[Clip] = []
        transitions: list[Any] = []
        for i, shot in enumerate(self.document["shots"]):
            clip = self._shot_clip(i, shot, ctx)
            if clip is None:
                continue
            for key in shot_keys():
                if key.name in shot:
                    try:
                        clip = key.apply(clip, shot[key.name], ctx)
                    except TemplateError:
                        raise
                    except ClipkitError as exc:
                        if isinstance(exc, MediaError):
                            raise
                        raise self._err(f"shots[{i}].{key.name}", str(exc)) from None
            built.append(clip)
            trans = shot.get("transition")
            transitions.append(None if not built[:-1] or not trans else transition_from_spec(trans))
        if not built:
            raise TemplateError("no shot has a clip (every slot used is optional and empty)", path=self.path)
        try:
            edit = sequence(built, canvas=self.canvas(), fit=self.document.get("fit", "cover"))
            for i, trans in enumerate(transitions):
                if trans is not None and i > 0:
                    edit = edit.with_transition(i, trans)
        except ParameterError as exc:
            raise TemplateError(str(exc), path=self.path) from None
        if "original_volume" in self.document:
            edit = edit.with_original_volume(self.document["original_volume"])
        spec = self.document.get("music", {})
        if ctx.music is not None:
            edit = edit.with_music(
                ctx.music,
                start=spec.get("start", 0.0),
                at=spec.get("at", 0.0),
                volume=spec.get("volume", 1.0),
                fade_in=spec.get("fade_in", 0.0),
                fade_out=spec.get("fade_out", 0.0),
                loop=spec.get("loop", False),
            )
        for section in sections():
            if section.name in self.document:
                try:
                    edit = section.apply(edit, self.document[section.name], ctx)
                except (TemplateError, MediaError):
                    raise
                except ClipkitError as exc:
                    raise self._err(section.name, str(exc)) from None
        return edit

    def _music(self, music: str | os.PathLike[str] | AudioClip | None, ctx: TemplateContext) -> AudioClip | None:
        spec = self.document.get("music")
        if isinstance(music, AudioClip):
            return music
        if music is not None:
            return audio(music)
        if spec and "file" in spec:
            return audio(ctx.resolve_path(spec["file"], "music.file"))
        if spec and spec.get("required"):
            raise TemplateError("this template needs music; pass --music FILE", path=self.path)
        return None

    def _check_slot(self, index: int, slot: dict[str, Any], clip: Clip) -> None:
        sid = slot["id"]
        kind = slot.get("kind", "any")
        if kind != "any" and clip.source.kind != kind:
            article = "an" if kind[0] in "aeiou" else "a"
            raise TemplateError(f"slot {sid!r} takes {article} {kind}, got {clip.source.kind} {clip.describe()}", path=self.path)
        need = slot.get("min_duration")
        if need is not None and clip.source.duration is not None and clip.duration + 1e-6 < need:
            raise TemplateError(
                f"slot {sid!r} needs a clip of at least {need} s; {clip.describe()} lasts {clip.duration:.2f} s",
                path=self.path,
            )
        orientation = slot.get("orientation", "any")
        size = clip.source.display_size
        if orientation != "any" and size is not None:
            w, h = size
            actual = "portrait" if h > w else "landscape" if w > h else "square"
            if actual != orientation:
                raise TemplateError(
                    f"slot {sid!r} takes a {orientation} clip; {clip.describe()} is {actual} ({w}x{h})", path=self.path
                )

    def _shot_clip(self, i: int, shot: dict[str, Any], ctx: TemplateContext) -> Clip | None:
        where = f"shots[{i}]"
        if "slot" in shot:
            if shot["slot"] not in ctx.clips:
                return None  # optional and empty
            clip = ctx.clips[shot["slot"]]
        elif "video" in shot or "image" in shot:
            key = "video" if "video" in shot else "image"
            clip = open_clip(ctx.resolve_path(shot[key], f"{where}.{key}"))
        else:
            try:
                clip = color(shot["color"], duration=shot["duration"])
            except ParameterError as exc:
                raise self._err(f"{where}.color", str(exc)) from None
        try:
            start = shot.get("start", 0.0)
            if "end" in shot:
                clip = clip.trim(start, shot["end"])
            elif "duration" in shot:
                clip = clip.trim(start, duration=shot["duration"])
            elif start:
                clip = clip.trim(start)
        except ParameterError as exc:
            raise self._err(where, f"{exc} (clip {clip.describe()})") from None
        if "fit" in shot:
            clip = clip.with_fit(shot["fit"])
        if "crop" in shot:
            c = shot["crop"]
            try:
                clip = clip.crop(c["x"], c["y"], c["width"], c["height"])
            except ParameterError as exc:
                raise self._err(f"{where}.crop", str(exc)) from None
        if shot.get("mute"):
            clip = clip.without_audio()
        elif "volume" in shot:
            clip = clip.with_volume(shot["volume"])
        return clip


def _field_error(exc: ParameterError, path: Path | None, *, field: str | None = None, prefix: str = "") -> TemplateError:
    """A :class:`TemplateError` from a parameter error, placed by the error's own ``field``
    attribute (never by reading its message).

    ``prefix`` is prepended to fields named relative to a section (``fps`` ->
    ``canvas.fps``); an error whose field lies outside ``field`` (or has none) is
    reported at ``field`` with its whole message.
    """
    name = exc.field
    if name is not None and prefix and not name.startswith(prefix):
        name = prefix + name
    if name is not None and (field is None or name.startswith(field)):
        value = exc.value if exc.has_value else _UNSET
        return TemplateError(exc.detail, path=path, field=name, value=value, allowed=exc.allowed)
    return TemplateError(str(exc), path=path, field=field)


def _combined(problems: list[TemplateError]) -> TemplateError:
    """One error for several problems: the first, saying how many more there are, with
    all of them in ``problems`` (``template validate`` lists them)."""
    first = problems[0]
    if len(problems) == 1:
        return first
    more = f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})"
    value = first.value if first.has_value else _UNSET
    return TemplateError(first.detail + more, path=first.path, field=first.field, value=value, allowed=first.allowed, problems=problems)


TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json")


def bundled_template_ids() -> list[str]:
    """The ids of the bundled templates (``presets/templates/*.yaml``), sorted."""
    root = templates_dir()
    return sorted({p.stem for suffix in TEMPLATE_SUFFIXES for p in root.glob(f"*{suffix}")})


def resolve_template(source: str | os.PathLike[str]) -> Path:
    """The file a template reference names: a path, or the id of a bundled template.

    Parameters
    ----------
    source : str or path
        A template file (YAML or JSON), or a bundled template's id such as ``duet``
        (``clipkit templates list``). A file or folder of that name in the working
        folder wins; a name ending in ``.yaml``, ``.yml`` or ``.json`` is always a file.

    Returns
    -------
    Path
        The template file (for a path that does not exist, the path itself: loading it
        reports it as not found).

    Raises
    ------
    TemplateError
        For a name without a folder or a ``.yaml``/``.json`` ending that is neither a
        file nor a bundled template: naming it, the closest bundled ids and every bundled id.
    """
    path = Path(os.fspath(source))
    if path.exists() or not isinstance(source, str):
        return path
    text = source.strip()
    if not text or "/" in text or os.sep in text:
        return path
    if Path(text).suffix.lower() in TEMPLATE_SUFFIXES:
        return path  # a file name: loading it reports it as not found
    for ending in TEMPLATE_SUFFIXES:
        candidate = templates_dir() / f"{text}{ending}"
        if candidate.is_file():
            return candidate
    import difflib

    known = bundled_template_ids()
    close = difflib.get_close_matches(text, known, n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    raise TemplateError(
        f"{text!r} is neither a template file nor a bundled template{hint} (bundled: {', '.join(known)})",
        value=text,
        allowed="a template file (YAML or JSON) or a bundled template's id",
    )


def load_template(
    source: str | os.PathLike[str] | Mapping[str, Any],
    *,
    overrides: Mapping[str, Any] | None = None,
    allowed_roots: tuple[str | os.PathLike[str], ...] = (),
) -> Template:
    """Load and validate a template file (YAML or JSON) or an in-memory document.

    Parameters
    ----------
    source : path, str or mapping
        The template: a file (YAML or JSON), a bundled template's id (``"duet"``; see
        :func:`resolve_template`), or an in-memory document.
    overrides : mapping, optional
        ``--set`` values: template variables, or dotted field paths.
    allowed_roots : tuple of path
        Extra folders assets may come from, besides the template's own folder.

    Raises
    ------
    TemplateError
        With the file, the field path, the value and what is allowed.
    """
    if isinstance(source, Mapping):
        path = None
        document: Any = dict(source)
        base = Path.cwd().resolve()
    else:
        path = resolve_template(source)
        if path.is_dir():
            raise TemplateError("is a folder, not a template file", path=path)
        document = _load_document(path)
        base = path.parent.resolve()
    if not isinstance(document, dict):
        raise TemplateError(f"the top level must be a mapping, found {type(document).__name__}", path=path)
    if overrides:
        try:
            document = apply_overrides(document, overrides)
        except ParameterError as exc:
            raise TemplateError(str(exc), path=path) from None
    errors = schema_errors(document)
    if errors:
        raise _combined([TemplateError(message, path=path, field=where) for where, message in errors])
    roots = (base,) + tuple(Path(r).resolve() for r in allowed_roots)
    return Template(document, path=path, allowed_roots=roots)
