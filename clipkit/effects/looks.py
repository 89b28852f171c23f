"""Looks: named chains of effects in YAML, applied at a strength.

A look file (``presets/looks/vintage.yaml``)::

    name: vintage                  # optional; the file name otherwise
    description: Warm, faded seventies print with soft grain.
    strength: 1.0                  # optional base strength in [0, 1]
    effects:
      - {id: temperature, temperature: 0.35}
      - {id: curves, master: [[0, 0.08], [0.5, 0.52], [1, 0.92]]}
      - {id: vignette, strength: 0.35}

Each entry names an effect by ``id`` and gives its parameters beside it (or under
``params:``). ``file`` parameters (a LUT) are found next to the look file first, then
among the bundled LUTs. Applying a look at strength ``k`` moves every parameter that
has a neutral value a fraction ``k`` of the way from neutral, so 0 is the untouched
picture and 1 the look as written.

Looks are found in the bundled ``presets/looks`` folder, then in every folder of
``CLIPKIT_EFFECTS_PATH`` (``*.yaml`` beside the effect files, and a ``looks/``
sub-folder); a later folder's look replaces an earlier one of the same name.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import _UNSET, ParameterError, describe_value, renamed
from ..resources import presets_dir
from .base import Chain, EffectNode
from .registry import create, effect_folders, get

__all__ = ["LookSpec", "look", "look_names", "look_paths", "load_look", "parse_look", "effect_entry"]


@dataclass(frozen=True)
class LookSpec:
    """A parsed look file."""

    name: str
    description: str
    strength: float
    effects: tuple[EffectNode, ...]
    path: str = ""

    def chain(self, strength: float = 1.0) -> Chain:
        """The look as a chain at ``strength`` (times the look's own base strength)."""
        return Chain(self.effects, name=self.name).with_strength(strength * self.strength)


def look_paths() -> dict[str, Path]:
    """Every available look name and its file."""
    found: dict[str, Path] = {}
    folders = [presets_dir() / "looks"]
    for folder in effect_folders():
        folders += [folder, folder / "looks"]
    for folder in folders:
        if folder.is_dir():
            for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
                found[path.stem] = path
    return found


def look_names() -> list[str]:
    """Names of every available look, sorted."""
    return sorted(look_paths())


def effect_entry(entry: Any, where: str, *, base_dir: str | os.PathLike[str] | None = None) -> EffectNode:
    """Build an effect node from a mapping ``{id: ..., param: value, ...}``.

    ``name`` is accepted in place of ``id``; parameters may also sit under ``params``.
    ``file`` parameters are resolved relative to ``base_dir`` when such a file exists.

    Raises
    ------
    ParameterError
        Prefixed with ``where`` (e.g. ``"vintage.yaml: effects[2]"``).
    """
    if not isinstance(entry, dict):
        raise ParameterError(f"{where}: {describe_value(entry)} is not a mapping like {{id: contrast, amount: 1.2}}")
    entry = dict(entry)
    if "id" in entry and "name" in entry:
        raise ParameterError(f"{where}: give id or name, not both")
    ident = entry.pop("id", None) or entry.pop("name", None)
    if not isinstance(ident, str):
        raise ParameterError(f"{where}: needs an effect id, e.g. {{id: contrast, amount: 1.2}}")
    params = entry.pop("params", None) or {}
    if not isinstance(params, dict):
        raise ParameterError(f"{where}.params: {describe_value(params)} is not a mapping")
    clash = set(params) & set(entry)
    if clash:
        raise ParameterError(f"{where}: {sorted(clash)[0]!r} is given twice (beside id and under params)")
    params.update(entry)
    try:
        effect = get(ident)
        if base_dir is not None:
            for p in effect.params:
                value = params.get(p.name)
                if p.kind == "file" and isinstance(value, str) and not os.path.isabs(value):
                    candidate = Path(base_dir) / value
                    if candidate.is_file():
                        params[p.name] = str(candidate)
        return create(ident, **params)
    except ParameterError as exc:
        # contrast.amount -> <where>.amount: the entry's own field, with the value and range
        inner = exc.field.split(".", 1)[1] if exc.field and exc.field.startswith(f"{ident}.") else None
        value = exc.value if exc.has_value else _UNSET
        if inner:
            field = f"{where}.{inner}"
            raise ParameterError(f"{field}: {exc.detail}", field=field, value=value, allowed=exc.allowed) from None
        raise ParameterError(f"{where}: {exc}", field=where, value=value, allowed=exc.allowed) from None


def parse_look(document: Any, *, name: str, path: str | os.PathLike[str] | None = None) -> LookSpec:
    """Validate a look document (already parsed YAML).

    Raises
    ------
    ParameterError
        Naming the file and the field (``vintage.yaml: effects[1]: contrast.amount: ...``).
    """
    label = os.fspath(path) if path is not None else name
    if not isinstance(document, dict):
        raise ParameterError(f"{label}: a look is a mapping with an effects list")
    unknown = set(document) - {"name", "description", "strength", "intensity", "effects", "tags"}
    if unknown:
        raise ParameterError(f"{label}: unknown field {sorted(unknown)[0]!r}; known: name, description, strength, effects, tags")
    if "intensity" in document:
        if "strength" in document:
            raise ParameterError(f"{label}: give strength or its old name intensity, not both")
        renamed(label, "intensity", "strength")
        document = {**document, "strength": document["intensity"]}
    declared = document.get("name", name)
    if declared != name:
        raise ParameterError(f"{label}: name {declared!r} differs from the file name {name!r}")
    strength = document.get("strength", 1.0)
    if isinstance(strength, bool) or not isinstance(strength, (int, float)) or not 0.0 <= strength <= 1.0:
        raise ParameterError(f"{label}: strength {describe_value(strength)} is outside 0..1", field="strength", value=strength, allowed="0..1")
    entries = document.get("effects")
    if not isinstance(entries, list) or not entries:
        raise ParameterError(f"{label}: effects must be a non-empty list")
    base = Path(path).parent if path is not None else None
    nodes = tuple(effect_entry(e, f"{label}: effects[{i}]", base_dir=base) for i, e in enumerate(entries))
    description = document.get("description", "")
    if not isinstance(description, str):
        raise ParameterError(f"{label}: description must be text")
    return LookSpec(name, description.strip(), float(strength), nodes, os.fspath(path) if path is not None else "")


_cache: dict[tuple[str, float], LookSpec] = {}


def load_look(name: str) -> LookSpec:
    """Load a look by name, or from a ``.yaml`` path.

    Raises
    ------
    ParameterError
        Unknown look (with close names) or an invalid file.
    """
    if not isinstance(name, str) or not name:
        raise ParameterError(f"look: {describe_value(name)} is not a look name")
    if name.endswith((".yaml", ".yml")) and os.path.isfile(name):
        path = Path(name)
    else:
        paths = look_paths()
        if name not in paths:
            hint = difflib.get_close_matches(name, list(paths), n=3)
            raise ParameterError(
                f"look: {name!r} is not a look"
                + (f"; did you mean {', '.join(hint)}?" if hint else "")
                + f" (looks: {', '.join(sorted(paths))})"
            )
        path = paths[name]
    key = (str(path.resolve()), path.stat().st_mtime)
    hit = _cache.get(key)
    if hit is not None:
        return hit
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ParameterError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from None
    spec = parse_look(document, name=path.stem, path=path)
    _cache[key] = spec
    return spec


def look(name: str, *, strength: float = 1.0, intensity: float | None = None) -> Chain:
    """A named look as a frame node.

    Parameters
    ----------
    name : str
        A look name (``clipkit effects list`` shows them) or a path to a look file.
    strength : float in [0, 1]
        0 leaves the picture untouched, 1 is the look as written.
    intensity : float in [0, 1], optional
        Old name of ``strength`` (deprecated).

    Returns
    -------
    Chain
        Its effects, in order, at that strength.

    Raises
    ------
    ParameterError
        Unknown look, bad file, or strength outside [0, 1].
    """
    if intensity is not None:
        renamed("look", "intensity", "strength")
        strength = intensity
    if isinstance(strength, bool) or not isinstance(strength, (int, float)) or not 0.0 <= float(strength) <= 1.0:
        raise ParameterError(f"look.strength: {describe_value(strength)} is outside 0..1", field="look.strength", value=strength, allowed="0..1")
    return load_look(name).chain(float(strength))
