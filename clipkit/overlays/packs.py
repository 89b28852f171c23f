"""Sticker packs: folders of stickers with a manifest, bundled in ``presets/stickers/``.

A pack is a folder ``presets/stickers/<pack>/`` (or any folder given to
:func:`sticker_pack`) holding the images and a ``manifest.yaml``::

    name: Hearts
    license: CC0-1.0
    author: clipkit (drawn procedurally by presets/stickers/make_stickers.py)
    stickers:
      heart_red: {file: heart_red.png, width: 0.25, anchor: [0.5, 0.5]}
      heart_beat: {file: heart_beat.png, width: 0.3, anchor: [0.5, 0.5], description: animated}

``width`` is the default size as a fraction of the canvas width; ``anchor`` the default
anchor point. Instead of a ``file``, a sticker may name a library sticker
(``library: red_paper_lantern`` or ``emoji: "🏮"``, see :mod:`clipkit.overlays.library`)
or a sticker of another pack (``pack: hearts/heart_beat``), so festival and local packs
are data over the OpenMoji library and the procedural packs::

    name: Diwali
    license: CC-BY-SA-4.0 (OpenMoji artwork)
    stickers:
      diya: {library: diya_lamp, width: 0.22}
      sparkle: {pack: sparkles/twinkle}
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from ..errors import ClipkitError, ParameterError, describe_value
from ..resources import presets_dir
from .library import VectorImage, entry_for_emoji, find_entry

__all__ = ["StickerEntry", "StickerPack", "sticker_pack", "sticker_packs", "find_sticker", "packs_dir"]


def packs_dir() -> Path:
    """The bundled packs folder."""
    return presets_dir() / "stickers"


@dataclass(frozen=True, slots=True)
class StickerEntry:
    """One sticker of a pack: its file (or library artwork) and default placement.

    Attributes
    ----------
    name : str
        The sticker's name in its pack.
    path : Path
        The image file, or the SVG of a library sticker.
    width : float
        Default width as a fraction of the canvas width.
    anchor : (float, float)
        Default anchor.
    description : str
        A few words about it.
    vector : VectorImage, optional
        The library artwork, for a sticker that names one (rasterized at the drawn size).
    """

    name: str
    path: Path
    width: float
    anchor: tuple[float, float]
    description: str = ""
    vector: VectorImage | None = None

    def source(self) -> str | VectorImage:
        """What a :class:`~clipkit.overlays.sticker.Sticker` takes as its source."""
        return self.vector if self.vector is not None else str(self.path)


@dataclass(frozen=True, slots=True)
class StickerPack:
    """A validated pack manifest."""

    id: str
    name: str
    license: str
    author: str
    folder: Path
    stickers: dict[str, StickerEntry]


def _fail(manifest: Path, field: str, message: str) -> ParameterError:
    return ParameterError(f"{manifest}: {field}: {message}")


def load_pack(folder: str | os.PathLike[str], *, _seen: frozenset[str] = frozenset()) -> StickerPack:
    """Read and validate ``folder/manifest.yaml``.

    Raises
    ------
    ParameterError
        Naming the manifest file and field for anything malformed or missing.
    """
    folder = Path(folder)
    manifest = folder / "manifest.yaml"
    if not manifest.is_file():
        raise ParameterError(f"{folder}: no manifest.yaml (a sticker pack needs one)")
    try:
        data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ParameterError(f"{manifest}: is not valid YAML ({exc})") from None
    if not isinstance(data, Mapping):
        raise ParameterError(f"{manifest}: must be a mapping with name, license and stickers")
    for key in ("name", "license", "stickers"):
        if key not in data:
            raise _fail(manifest, key, "is missing")
    if not isinstance(data["name"], str) or not isinstance(data["license"], str) or not data["license"].strip():
        raise _fail(manifest, "name/license", "must be non-empty strings")
    stickers = data["stickers"]
    if not isinstance(stickers, Mapping) or not stickers:
        raise _fail(manifest, "stickers", "must map sticker names to {file, width, anchor}")
    entries: dict[str, StickerEntry] = {}
    sources = ("file", "library", "emoji", "pack")
    for name, spec in stickers.items():
        where = f"stickers.{name}"
        given = [k for k in sources if isinstance(spec, Mapping) and k in spec]
        if not isinstance(spec, Mapping) or len(given) != 1:
            raise _fail(manifest, where, f"{describe_value(spec)} needs exactly one of 'file', 'library', 'emoji', 'pack'")
        extra = set(spec) - {*sources, "width", "anchor", "description"}
        if extra:
            raise _fail(manifest, f"{where}.{sorted(extra)[0]}", "unknown field; use file (or library, emoji, pack), width, anchor, description")
        vector: VectorImage | None = None
        kind = given[0]
        default_width, default_anchor = 0.3, [0.5, 0.5]
        if kind == "file":
            path = (folder / str(spec["file"])).resolve()
            if folder.resolve() not in path.parents or not path.is_file():
                raise _fail(manifest, f"{where}.file", f"{spec['file']!r} is not a file inside the pack")
        else:
            try:
                if kind == "library":
                    vector = find_entry(spec["library"]).vector()
                elif kind == "emoji":
                    vector = entry_for_emoji(spec["emoji"]).vector()
                else:
                    other = find_sticker(spec["pack"], _seen=_seen | {folder.name})
                    vector = other.vector
                    default_width, default_anchor = other.width, list(other.anchor)
                    path = other.path
            except ClipkitError as exc:
                raise _fail(manifest, f"{where}.{kind}", str(exc)) from None
            if vector is not None:
                path = vector.path
        width = spec.get("width", default_width)
        if isinstance(width, bool) or not isinstance(width, (int, float)) or not 0 < width <= 4:
            raise _fail(manifest, f"{where}.width", f"{width!r} is outside (0, 4] (a fraction of the canvas width)")
        anchor = spec.get("anchor", default_anchor)
        if (
            not isinstance(anchor, (list, tuple))
            or len(anchor) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1 for v in anchor)
        ):
            raise _fail(manifest, f"{where}.anchor", f"{describe_value(anchor)} is not [x, y] with each in [0, 1]")
        entries[str(name)] = StickerEntry(
            str(name), path, float(width), (float(anchor[0]), float(anchor[1])), str(spec.get("description", "")), vector
        )
    return StickerPack(folder.name, data["name"], data["license"], str(data.get("author", "")), folder, entries)


def sticker_packs() -> list[str]:
    """Ids of the bundled packs."""
    root = packs_dir()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "manifest.yaml").is_file())


def sticker_pack(name: str, *, _seen: frozenset[str] = frozenset()) -> StickerPack:
    """A bundled pack by id (``hearts``, ``festival``, ``diwali``, ``lunar_new_year``...)."""
    return _sticker_pack(name, _seen)


@lru_cache(maxsize=64)
def _sticker_pack(name: str, _seen: frozenset[str]) -> StickerPack:
    if name not in sticker_packs():
        raise ParameterError(f"sticker pack: {name!r} is not a pack; known: {', '.join(sticker_packs()) or 'none'}")
    if name in _seen:
        raise ParameterError(f"sticker pack: {name!r} refers back to itself through {', '.join(sorted(_seen))}")
    return load_pack(packs_dir() / name, _seen=_seen)


def find_sticker(name: str, *, _seen: frozenset[str] = frozenset()) -> StickerEntry:
    """A sticker by ``"pack/sticker"``.

    Raises
    ------
    ParameterError
        For a malformed name, an unknown pack or sticker (listing the known ones).
    """
    if not isinstance(name, str) or name.count("/") != 1:
        raise ParameterError(f"sticker: {describe_value(name)} is not 'pack/sticker' (e.g. 'hearts/heart_red')")
    pack_id, sticker = name.split("/")
    pack = sticker_pack(pack_id, _seen=_seen)
    if sticker not in pack.stickers:
        raise ParameterError(f"sticker: {sticker!r} is not in pack {pack_id!r}; it has {', '.join(sorted(pack.stickers))}")
    return pack.stickers[sticker]


def describe_packs() -> dict[str, Any]:
    """Every bundled pack and its stickers, as plain data."""
    out: dict[str, Any] = {}
    for pid in sticker_packs():
        p = sticker_pack(pid)
        out[pid] = {"name": p.name, "license": p.license, "author": p.author, "stickers": sorted(p.stickers)}
    return out
