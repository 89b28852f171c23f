"""Where the bundled presets and samples are, in a source checkout or an installed wheel."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

__all__ = ["presets_dir", "samples_dir", "templates_dir"]


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
