"""The package list in pyproject.toml matches the tree, and the bundled data is reachable."""

from __future__ import annotations

import tomllib
from pathlib import Path

import clipkit
from clipkit.resources import presets_dir, samples_dir, templates_dir

ROOT = Path(__file__).resolve().parent.parent


def _declared() -> set[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return set(data["tool"]["setuptools"]["packages"])


def test_every_clipkit_package_is_declared() -> None:
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "clipkit").rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    missing = found - _declared()
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"


def test_mapped_folders_are_declared_and_importable() -> None:
    declared = _declared()
    for name in ("clipkit.builtin_effects", "clipkit.presets", "clipkit.samples"):
        assert name in declared
    assert (templates_dir() / "demo.yaml").is_file()
    assert presets_dir().is_dir()
    for name in ("portrait.mp4", "portrait2.mp4", "landscape.mp4", "song.m4a", "make_samples.py"):
        assert (samples_dir() / name).is_file(), name


def test_samples_stay_small() -> None:
    total = sum(p.stat().st_size for p in samples_dir().iterdir() if p.is_file())
    assert total < 5 * 2**20, f"samples/ holds {total / 2**20:.1f} MB; keep demo media to a few MB"


def test_version_is_exposed() -> None:
    assert clipkit.__version__.count(".") == 2
