"""Where the bundled presets and samples are (a source checkout or an installed wheel), and the user cache."""

from __future__ import annotations

import importlib.resources
import os
from pathlib import Path

__all__ = ["presets_dir", "samples_dir", "templates_dir", "user_cache_dir"]


def _package_dir(package: str) -> Path:
    return Path(str(importlib.resources.files(package)))


def presets_dir() -> Path:
    """The ``presets/`` folder (looks, templates, sticker packs, text styles, LUTs)."""
    return _package_dir("clipkit.presets")


def templates_dir() -> Path:
    """The bundled templates."""
    return presets_dir() / "templates"


def samples_dir() -> Path:
    """The ``samples/`` folder with the demo media."""
    return _package_dir("clipkit.samples")


def user_cache_dir(kind: str) -> Path:
    """The folder of one kind of cached result (``music``, ``stickers``, ``cubes``), created on first write.

    ``$CLIPKIT_CACHE_DIR/<kind>`` when that variable is set, else the platform's user
    cache folder for clipkit (``~/.cache/clipkit/<kind>`` on Linux).
    """
    root = os.environ.get("CLIPKIT_CACHE_DIR")
    if root:
        return Path(root) / kind
    import platformdirs

    return Path(platformdirs.user_cache_dir("clipkit")) / kind
