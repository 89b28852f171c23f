"""Render the demo and save the pictures of it: the README's contact sheet and the
template library's preview.

    python samples/make_demo_sheet.py

- ``docs/demo.jpg``: six frames of ``clipkit demo`` (rendered here, at 540x960, from the
  bundled real footage and song), the picture the README opens with;
- ``presets/templates/demo.png``: the demo template's preview strip (four frames at
  216x320, as ``presets/templates/make_previews.py`` makes for the other templates).

Both come from the demo's own frames, so they show what the command really renders.
"""

from __future__ import annotations

import sys
from pathlib import Path

from clipkit.cli.commands.render import DEMO_CLIPS, DEMO_MUSIC, DEMO_TEMPLATE
from clipkit.library import contact_sheet, preview_edit
from clipkit.resources import samples_dir, templates_dir
from clipkit.template import load_template

ROOT = Path(__file__).resolve().parent.parent


def demo_edit(width: int):
    template = load_template(templates_dir() / DEMO_TEMPLATE)
    clips = {slot: str(samples_dir() / name) for slot, name in DEMO_CLIPS.items()}
    return preview_edit(template, clips, music=samples_dir() / DEMO_MUSIC, width=width)


def readme_sheet(output: Path, *, count: int = 6, width: int = 540, tile_height: int = 640) -> Path:
    """``count`` frames of the demo side by side, as a JPEG (a PNG of real footage is ~10x larger)."""
    from PIL import Image

    strip = output.with_name(output.name + ".part.png")
    try:
        contact_sheet(demo_edit(width), strip, count=count, height=tile_height)
        tmp = output.with_name(output.name + ".part.jpg")
        Image.open(strip).convert("RGB").save(tmp, format="JPEG", quality=84, optimize=True)
        tmp.replace(output)
    finally:
        strip.unlink(missing_ok=True)
    return output


def main() -> int:
    readme = readme_sheet(ROOT / "docs" / "demo.jpg")
    preview = contact_sheet(demo_edit(216), templates_dir() / "demo.png", count=4, height=320)
    for path in (readme, preview):
        sys.stdout.write(f"{path}: {path.stat().st_size // 1024} KB\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
