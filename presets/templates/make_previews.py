"""Regenerate the preview image of every bundled template (deterministic; no downloads).

    python presets/templates/make_previews.py [TEMPLATE_ID ...]

Each ``<id>.png`` beside its ``<id>.yaml`` is a strip of four frames of the template
rendered with the bundled sample clips and song (``samples/``), small enough to ship.
"""

from __future__ import annotations

import sys
from pathlib import Path

from clipkit.library import contact_sheet, list_templates, preview_edit, sample_clips
from clipkit.template import load_template

HERE = Path(__file__).resolve().parent


def make_preview(path: Path, *, width: int = 216, height: int = 320) -> Path:
    """Write ``path``'s preview PNG and return its path."""
    template = load_template(path)
    edit = preview_edit(template, sample_clips(template), width=width)
    return contact_sheet(edit, path.with_suffix(".png"), count=4, height=height)


def main(argv: list[str]) -> int:
    wanted = set(argv)
    for info in list_templates(HERE):
        if wanted and info.id not in wanted:
            continue
        out = make_preview(info.path)
        sys.stdout.write(f"{out.name}: {out.stat().st_size // 1024} KB\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
