"""Jobs, batch files, variants and validation.

A job is one template render: a template file, the creator's clips (slot -> file),
optional music, ``set`` overrides (as ``--set`` takes them), an output path and a
profile. A batch file holds many: JSONL (one job per line) or YAML/JSON with a ``jobs:``
list and shared ``defaults:``. ``variants`` expand a job into the cartesian product of
their values. Every job is checked before any render starts, with the precision of
``clipkit template validate``; an invalid job keeps its message in :attr:`Job.error`
and is recorded as ``invalid`` instead of blocking the others.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from ..errors import BatchError, ClipkitError, TemplateError, describe_value
from ..library import preview_edit

__all__ = ["Job", "JOB_FIELDS", "load_jobs", "expand_job", "prepare_jobs", "coerce_jobs"]

JOB_FIELDS = ("id", "template", "clips", "music", "set", "output", "profile", "variants")
"""The keys a job (and ``defaults:``) may have in a batch file."""

DEFAULT_OUTPUT = "{id}.mp4"
"""Output pattern of a job that names none (relative to the output folder)."""

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_SLUG_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_OUTPUT_SUFFIXES = (".mp4", ".m4v", ".mov")


@dataclass(frozen=True)
class Job:
    """One render: a template with the creator's clips, written to ``output``.

    Parameters
    ----------
    template : str
        Template file (YAML or JSON).
    clips : mapping of str to str
        Slot id -> clip file.
    output : str, optional
        Output MP4 path, or a pattern with ``{id}``, ``{index}`` and the variant keys
        (``out/{id}-{look.name}.mp4``); ``{id}.mp4`` when not given. Relative paths are
        inside the batch's output folder.
    music : str, optional
        Soundtrack (overrides the template's).
    overrides : mapping of str to object
        Template variables and dotted field paths, as ``--set`` takes them (the
        ``set`` key of a batch file: a mapping, or a list of ``KEY=VALUE`` strings).
    profile : str, optional
        Upload profile name (default: the template's).
    id : str, optional
        Stable identifier (letters, digits, ``._-``); derived from the job's content
        when not given, so the same job keeps its id when the file is reordered.
    variants : mapping of str to list
        ``--set`` keys -> the values to try; the job expands to their cartesian product.
    origin : str, optional
        Where the job was written (``jobs.jsonl:13``), for messages.
    variant : mapping of str to object
        For an expanded job: the variant values it takes.
    error : str, optional
        Why the job cannot run (set by validation), with its origin and field.
    """

    template: str
    clips: Mapping[str, str] = field(default_factory=dict)
    output: str | None = None
    music: str | None = None
    overrides: Mapping[str, Any] = field(default_factory=dict)
    profile: str | None = None
    id: str | None = None
    variants: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    origin: str | None = None
    variant: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None

    # -- conversions ------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, base_dir: str | os.PathLike[str] | None = None, origin: str | None = None) -> Job:
        """A job from batch-file fields (``id``, ``template``, ``clips``, ``music``,
        ``set``, ``output``, ``profile``, ``variants``).

        Relative ``template``, ``clips`` and ``music`` paths resolve against
        ``base_dir`` (the batch file's folder; the current folder by default); a
        ``template`` without a folder or an ending that names no file there is a
        bundled template's id (``duet``).

        Raises
        ------
        BatchError
            Unknown fields and values of the wrong type, naming the field.
        """
        base = Path(base_dir if base_dir is not None else os.getcwd())

        def err(where: str | None, message: str) -> BatchError:
            return BatchError(message, origin=origin, field=where)

        if not isinstance(data, Mapping):
            raise err(None, f"a job must be a mapping of {', '.join(JOB_FIELDS)}; found {type(data).__name__}")
        for key in data:
            if key not in JOB_FIELDS:
                hint = difflib.get_close_matches(str(key), JOB_FIELDS, n=1)
                raise err(str(key), "is not a job field" + (f"; did you mean {hint[0]!r}?" if hint else f" (fields: {', '.join(JOB_FIELDS)})"))
        if "template" not in data or data["template"] in (None, ""):
            raise err("template", "is required (the template file to render, or a bundled template's id)")
        template = _template_field(data["template"], base, err)
        clips_raw = data.get("clips") or {}
        if not isinstance(clips_raw, Mapping):
            raise err("clips", f"{describe_value(clips_raw)} is not a mapping of slot to file")
        clips = {str(slot): _path_field(path, f"clips.{slot}", base, err) for slot, path in clips_raw.items()}
        music = data.get("music")
        music = None if music is None else _path_field(music, "music", base, err)
        overrides = _overrides(data.get("set"), err)
        output = data.get("output")
        if output is not None and (not isinstance(output, str) or not output.strip()):
            raise err("output", f"{describe_value(output)} is not a file path or pattern")
        profile = data.get("profile")
        if profile is not None:
            from ..render.profiles import PROFILES

            if profile not in PROFILES:
                hint = difflib.get_close_matches(str(profile), list(PROFILES), n=1)
                raise err("profile", f"{describe_value(profile)} is not a profile" + (f"; did you mean {hint[0]!r}?" if hint else "") + f" (profiles: {', '.join(PROFILES)})")
        job_id = data.get("id")
        if job_id is not None:
            if isinstance(job_id, bool) or not isinstance(job_id, (str, int)) or not _ID.match(str(job_id)):
                raise err("id", f"{describe_value(job_id)} is not an id (letters, digits, '.', '_' and '-', starting with a letter or digit)")
            job_id = str(job_id)
        variants_raw = data.get("variants") or {}
        if not isinstance(variants_raw, Mapping):
            raise err("variants", f"{describe_value(variants_raw)} is not a mapping of --set key to a list of values")
        variants: dict[str, list[Any]] = {}
        for key, values in variants_raw.items():
            if not isinstance(values, list) or not values:
                raise err(f"variants.{key}", f"{describe_value(values)} is not a non-empty list of values")
            variants[str(key)] = list(values)
        return cls(
            template=template, clips=clips, output=output, music=music, overrides=overrides,
            profile=profile, id=job_id, variants=variants, origin=origin,
        )

    def to_dict(self) -> dict[str, Any]:
        """The job's batch-file fields (plain data, picklable, JSON-serialisable)."""
        out: dict[str, Any] = {"id": self.id, "template": self.template, "clips": dict(self.clips), "output": self.output}
        if self.music is not None:
            out["music"] = self.music
        if self.overrides:
            out["set"] = dict(self.overrides)
        if self.profile is not None:
            out["profile"] = self.profile
        if self.variants:
            out["variants"] = {k: list(v) for k, v in self.variants.items()}
        return out

    def describe(self) -> str:
        """``id (origin)`` for messages."""
        return f"{self.id}" + (f" ({self.origin})" if self.origin else "")


def _path_field(value: Any, where: str, base: Path, err: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise err(where, f"{describe_value(value)} is not a file path")
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", value):
        raise err(where, f"{value!r} is a URL; jobs take paths on storage every worker can read")
    path = Path(os.path.expanduser(value))
    return str(path if path.is_absolute() else (base / path))


def _template_field(value: Any, base: Path, err: Any) -> str:
    """A job's template: a path (relative to the batch file's folder) or a bundled template's id."""
    path = _path_field(value, "template", base, err)
    if os.path.exists(path):
        return path
    from ..errors import TemplateError
    from ..template import resolve_template

    try:
        found = resolve_template(value.strip())  # a bare name: the bundled template of that id
    except TemplateError as exc:
        raise err("template", str(exc)) from None
    return str(found) if found.is_file() else path  # a path that names no file: reported as not found


def _overrides(raw: Any, err: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if isinstance(raw, Mapping):
        return {str(k): v for k, v in raw.items()}
    if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
        from ..template import parse_set_options

        try:
            return parse_set_options(raw)
        except ClipkitError as exc:
            raise err("set", str(exc)) from None
    raise err("set", f"{describe_value(raw)} is neither a mapping of KEY: VALUE nor a list of 'KEY=VALUE' strings")


# -- batch files --------------------------------------------------------------------------
def load_jobs(path: str | os.PathLike[str]) -> list[Job]:
    """Read a batch file: JSONL (one job per line), or YAML/JSON with ``jobs:`` and ``defaults:``.

    A line or entry that cannot be read becomes a job whose :attr:`Job.error` says why
    (it is recorded as ``invalid``; the others still run).

    Raises
    ------
    BatchError
        When the file itself cannot be read or has the wrong shape.
    """
    path = Path(path)
    shown = os.fspath(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BatchError("file not found", origin=shown) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BatchError(f"cannot be read ({exc})", origin=shown) from None
    base = path.parent.resolve()
    if path.suffix.lower() == ".jsonl":
        return _jobs_from_jsonl(text, shown, base)
    return _jobs_from_document(text, shown, base, is_json=path.suffix.lower() == ".json")


def _broken_job(origin: str, message: str, index: int) -> Job:
    """A placeholder for an entry that is not a job at all, so it is recorded as invalid."""
    return Job(template="", id=f"entry{index}", origin=origin, error=f"{origin}: {message}")


def _jobs_from_jsonl(text: str, shown: str, base: Path) -> list[Job]:
    jobs: list[Job] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        origin = f"{shown}:{lineno}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            jobs.append(_broken_job(origin, f"not valid JSON (column {exc.colno}: {exc.msg})", lineno))
            continue
        jobs.append(_job_or_broken(data, {}, base, origin, lineno))
    return jobs


def _job_or_broken(data: Any, defaults: Mapping[str, Any], base: Path, origin: str, index: int) -> Job:
    try:
        merged = _merge(defaults, data) if isinstance(data, Mapping) else data
        return Job.from_dict(merged, base_dir=base, origin=origin)
    except BatchError as exc:
        job_id = data.get("id") if isinstance(data, Mapping) and isinstance(data.get("id"), str) and _ID.match(data["id"]) else f"entry{index}"
        return Job(template="", id=job_id, origin=origin, error=str(exc))


def _merge(defaults: Mapping[str, Any], job: Mapping[str, Any]) -> dict[str, Any]:
    """A job's fields over the defaults; ``clips``, ``set`` and ``variants`` merge key by key."""
    out = dict(defaults)
    for key, value in job.items():
        if key in ("clips", "variants") and isinstance(out.get(key), Mapping) and isinstance(value, Mapping):
            out[key] = {**out[key], **value}
        elif key == "set" and out.get(key) is not None and value is not None:
            out[key] = {**_overrides(out[key], _raiser), **_overrides(value, _raiser)}
        else:
            out[key] = value
    return out


def _raiser(where: str | None, message: str) -> BatchError:
    return BatchError(message, field=where)


def _jobs_from_document(text: str, shown: str, base: Path, *, is_json: bool) -> list[Job]:
    lines: list[int] | None = None
    try:
        if is_json:
            document = json.loads(text)
        else:
            document = yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise BatchError(f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})", origin=shown) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{shown}:{mark.line + 1}" if mark else shown
        raise BatchError(f"is not valid YAML: {getattr(exc, 'problem', None) or exc}", origin=where) from None
    if isinstance(document, list):
        document = {"jobs": document}
    if isinstance(document, dict):
        unknown = [k for k in document if k not in ("jobs", "defaults")]
        if unknown:
            hint = difflib.get_close_matches(str(unknown[0]), ["jobs", "defaults"], n=1)
            raise BatchError(f"{unknown[0]!r} is not a batch-file section" + (f"; did you mean {hint[0]!r}?" if hint else " (sections: jobs, defaults)"),
                             origin=shown, field=str(unknown[0]))
    if not isinstance(document, dict) or "jobs" not in document:
        found = type(document).__name__ if not isinstance(document, dict) else f"keys {', '.join(map(str, document)) or 'none'}"
        raise BatchError(f"a batch file has a 'jobs:' list (and optional 'defaults:'); found {found}", origin=shown)
    entries = document["jobs"]
    if not isinstance(entries, list):
        raise BatchError(f"{describe_value(entries)} is not a list of jobs", origin=shown, field="jobs")
    defaults = document.get("defaults") or {}
    if not isinstance(defaults, Mapping):
        raise BatchError(f"{describe_value(defaults)} is not a mapping of job fields", origin=shown, field="defaults")
    for key in defaults:
        if key == "id":
            raise BatchError("ids are per job; defaults cannot set one", origin=shown, field="defaults.id")
        if key not in JOB_FIELDS:
            hint = difflib.get_close_matches(str(key), JOB_FIELDS, n=1)
            raise BatchError("is not a job field" + (f"; did you mean {hint[0]!r}?" if hint else ""), origin=shown, field=f"defaults.{key}")
    lines = _entry_lines(text)
    jobs: list[Job] = []
    for i, entry in enumerate(entries):
        line = lines[i] if lines is not None and i < len(lines) else None
        origin = f"{shown}:{line}" if line is not None else f"{shown}: jobs[{i}]"
        jobs.append(_job_or_broken(entry, defaults, base, origin, i))
    return jobs


def _entry_lines(text: str) -> list[int] | None:
    """The line each ``jobs:`` entry starts on (YAML's node marks; JSON is read as YAML)."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return None
    if isinstance(root, yaml.SequenceNode):
        return [item.start_mark.line + 1 for item in root.value]
    if not isinstance(root, yaml.MappingNode):
        return None
    for key, value in root.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "jobs" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return None


# -- ids, variants and output names ----------------------------------------------------
def _content_id(job: Job) -> str:
    """An id from what the job does, so it survives reordering the batch file."""
    data = {"template": job.template, "clips": dict(job.clips), "music": job.music, "set": dict(job.overrides),
            "output": job.output, "profile": job.profile, "variants": {k: list(v) for k, v in job.variants.items()}}
    digest = hashlib.sha1(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    return f"job-{digest[:10]}"


def _slug(value: Any) -> str:
    text = _SLUG_UNSAFE.sub("_", str(value)).strip("_.")
    return text[:40] or "x"


def expand_job(job: Job) -> list[Job]:
    """The job's variants as separate jobs (itself when it has none).

    The cartesian product runs over the variant keys in the order written, the last key
    changing fastest; each expanded job's id is the job's id followed by its values
    (``promo-vivid-0``), so it stays the same from run to run.
    """
    base_id = job.id or _content_id(job)
    if not job.variants:
        return [replace(job, id=base_id)]
    keys = list(job.variants)
    out: list[Job] = []
    for combo in itertools.product(*(list(job.variants[k]) for k in keys)):
        values = dict(zip(keys, combo))
        job_id = "-".join([base_id, *(_slug(v) for v in combo)])
        out.append(replace(job, id=job_id, variants={}, variant=values, overrides={**job.overrides, **values}))
    return out


def _output_path(job: Job, index: int, output_dir: Path) -> str:
    pattern = job.output or DEFAULT_OUTPUT
    values: dict[str, Any] = {"id": job.id, "index": index, **job.overrides, **job.variant}

    def fill(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        if name not in values:
            known = ", ".join(["id", "index", *job.variant]) or "id, index"
            raise BatchError(f"{{{name}}} in {pattern!r} is not a variant key or set field (known: {known})", origin=job.origin, field="output")
        return _slug(values[name]) if name not in ("id", "index") else str(values[name])

    filled = _PLACEHOLDER.sub(fill, pattern)
    path = Path(os.path.expanduser(filled))
    path = path if path.is_absolute() else output_dir / path
    if not str(path).lower().endswith(_OUTPUT_SUFFIXES):
        raise BatchError(f"{filled!r} must end in .mp4 (or .m4v/.mov); clipkit writes MP4", origin=job.origin, field="output")
    return str(path)


# -- validation ------------------------------------------------------------------------
class _TemplateChecks:
    """Template validation results, remembered per (file, overrides): a batch of 1,000
    jobs on one template with a few variants loads and checks it a few times, not 1,000."""

    def __init__(self) -> None:
        self._results: dict[tuple[str, int, str], tuple[Any, TemplateError | None]] = {}

    def check(self, path: str, overrides: Mapping[str, Any]) -> tuple[Any, ClipkitError | None]:
        try:
            stamp = os.stat(path).st_mtime_ns
        except OSError:
            stamp = -1
        key = (path, stamp, json.dumps(dict(overrides), sort_keys=True, default=str))
        if key not in self._results:
            self._results[key] = self._load(path, overrides)
        return self._results[key]

    @staticmethod
    def _load(path: str, overrides: Mapping[str, Any]) -> tuple[Any, ClipkitError | None]:
        from ..template import load_template

        try:
            template = load_template(path, overrides=dict(overrides))
            # as `clipkit template validate`: build with placeholder clips, so every
            # section's own checks run (looks, effects, overlays, layouts, cuts)
            preview_edit(template)
        except ClipkitError as exc:
            return None, exc
        return template, None


def _detail(exc: ClipkitError) -> tuple[str | None, str]:
    """(field, message) of a template error without its file prefix."""
    if isinstance(exc, TemplateError):
        return exc.field, exc.detail
    return None, str(exc)


def _validate(job: Job, checks: _TemplateChecks, indices: Mapping[str, int]) -> str | None:
    """Why ``job`` (expanded, with its output resolved) cannot run, or ``None``.

    ``indices`` gives where each of its variant values sits in the job's list.
    """

    def fail(where: str | None, message: str) -> str:
        return str(BatchError(message, origin=job.origin, field=where))

    if not os.path.isfile(job.template):
        return fail("template", f"{job.template}: file not found")
    for key, value in job.variant.items():
        # each variant value on its own first, so the message points at the bad one
        base = {k: v for k, v in job.overrides.items() if k not in job.variant}
        _, exc = checks.check(job.template, {**base, key: value})
        if exc is not None:
            _, message = _detail(exc)
            return fail(f"variants.{key}[{indices.get(key, 0)}]", message.replace(f"--set {key}: ", ""))
    template, exc = checks.check(job.template, job.overrides)
    if exc is not None:
        where, message = _detail(exc)
        for key in job.overrides:
            # a bad --set value: name it as the job wrote it (set.look.name)
            if where is not None and (where == key or where.startswith(key + ".") or key.startswith(where + ".") or key.startswith(where + "[")):
                return fail(f"set.{key}", message)
            if f"--set {key}" in message:
                return fail(f"set.{key}", message.replace(f"--set {key}: ", ""))
        return fail("template", str(exc))
    slots = {s["id"]: s for s in template.slots}
    for slot, path in job.clips.items():
        if slot not in slots:
            hint = difflib.get_close_matches(slot, list(slots), n=1)
            return fail(f"clips.{slot}", f"no slot named {slot!r}" + (f"; did you mean {hint[0]!r}?" if hint else "") + f" (slots: {', '.join(slots) or 'none'})")
        if not os.path.isfile(path):
            return fail(f"clips.{slot}", f"{path}: file not found")
    for sid, slot in slots.items():
        if sid not in job.clips and not slot.get("optional"):
            return fail("clips", f"slot {sid!r} has no clip (slots: {', '.join(slots)})")
    if job.music is not None and not os.path.isfile(job.music):
        return fail("music", f"{job.music}: file not found")
    spec = template.document.get("music") or {}
    if job.music is None and spec.get("required") and "file" not in spec:
        return fail("music", "this template needs music; give the job a music file")
    return None


def prepare_jobs(jobs: Iterable[Job], *, output_dir: str | os.PathLike[str]) -> list[Job]:
    """Expand variants, give every job an id and an output path, and validate each.

    Parameters
    ----------
    jobs : iterable of Job
        As written (with variants, relative output patterns).
    output_dir : str or os.PathLike
        Folder relative outputs go in.

    Returns
    -------
    list of Job
        One per expanded job, in order; an invalid one has :attr:`Job.error` set. Two
        jobs with the same id or the same output: the later ones are invalid.
    """
    out_dir = Path(output_dir).resolve()
    checks = _TemplateChecks()
    prepared: list[Job] = []
    ids: dict[str, Job] = {}
    outputs: dict[str, Job] = {}
    index = 0
    for job in jobs:
        if job.error is not None:
            prepared.append(job)
            continue
        expanded = expand_job(job)
        for position, item in enumerate(expanded):
            try:
                output = _output_path(item, index, out_dir)
            except BatchError as exc:
                prepared.append(replace(item, error=str(exc)))
                index += 1
                continue
            item = replace(item, output=output)
            error = _validate_expanded(item, job, position, checks)
            if error is None and item.id in ids:
                error = str(BatchError(f"{item.id!r} is also the id of the job at {ids[item.id].origin or 'an earlier job'}", origin=item.origin, field="id"))
            key = os.path.normcase(output)
            if error is None and key in outputs:
                other = outputs[key]
                error = str(BatchError(f"{output} is also written by job {other.describe()}", origin=item.origin, field="output"))
            if error is None:
                ids[item.id] = item
                outputs[key] = item
            prepared.append(replace(item, error=error))
            index += 1
    return prepared


def _validate_expanded(item: Job, original: Job, position: int, checks: _TemplateChecks) -> str | None:
    """Validate an expanded job; a bad variant value is named by its index in the list."""
    if not item.variant:
        return _validate(item, checks, {})
    keys = list(original.variants)
    # the index of each key's value in this combination (the last key changes fastest)
    sizes = [len(original.variants[k]) for k in keys]
    indices: dict[str, int] = {}
    rest = position
    for key, size in zip(reversed(keys), reversed(sizes)):
        indices[key] = rest % size
        rest //= size
    return _validate(item, checks, indices)


def coerce_jobs(jobs: Any) -> list[Job]:
    """Jobs from what :func:`clipkit.batch.batch` accepts: a batch-file path, a Job, a
    mapping of batch-file fields, or an iterable of Jobs and mappings.

    Raises
    ------
    BatchError
        For a batch file that cannot be read, or an entry that is neither.
    """
    if isinstance(jobs, (str, os.PathLike)):
        return load_jobs(jobs)
    if isinstance(jobs, (Job, Mapping)):
        jobs = [jobs]
    out: list[Job] = []
    for i, item in enumerate(jobs):
        if isinstance(item, Job):
            out.append(item)
        elif isinstance(item, Mapping):
            out.append(_job_or_broken(item, {}, Path.cwd(), f"jobs[{i}]", i))
        else:
            raise BatchError(f"{describe_value(item)} is neither a clipkit.batch.Job nor a mapping of job fields", field=f"jobs[{i}]")
    return out
