"""``clipkit templates list`` and ``clipkit template preview FILE``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ...errors import ParameterError


def register(sub: Any) -> None:
    p = sub.add_parser("templates", help="the bundled template library", description="The bundled template library.")
    tsub = p.add_subparsers(dest="templates_command", metavar="ACTION", parser_class=type(p))
    ls = tsub.add_parser("list", help="list the bundled templates with their slots")
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    ls.add_argument("--folder", metavar="DIR", help="list the templates in DIR instead")
    ls.set_defaults(func=run_list)
    p.set_defaults(func=lambda args: (p.print_help(sys.stderr), 2)[1])


def add_preview_parser(tsub: Any) -> None:
    """Add ``preview`` to the ``clipkit template`` sub-commands."""
    v = tsub.add_parser(
        "preview",
        help="render a low-resolution preview (placeholder clips for slots you do not fill)",
        description="Render a low-resolution preview of a template. Slots without --clip get placeholder "
        "clips; templates that need music get the bundled sample song unless --music is given.",
    )
    v.add_argument("template", help="template file, or the id of a bundled template (e.g. beat_montage)")
    v.add_argument("-o", "--output", default="preview.mp4", metavar="OUT.mp4", help="output file (default %(default)s)")
    v.add_argument("--clip", action="append", default=[], metavar="SLOT=FILE", help="fill a slot (repeat per slot)")
    v.add_argument("--samples", action="store_true", help="fill the slots with the bundled sample clips")
    v.add_argument("--music", metavar="FILE", help="soundtrack")
    v.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="set a template variable or field")
    v.add_argument("--width", type=int, default=270, help="preview width in pixels (default %(default)s)")
    v.add_argument("--image", metavar="OUT.png", help="also save a strip of four frames as a PNG")
    v.set_defaults(func=run_preview)


def run_list(args: argparse.Namespace) -> int:
    from ...library import list_templates

    infos = list_templates(args.folder)
    if args.json:
        data = [
            {
                "id": i.id,
                "name": i.name,
                "description": i.description,
                "slots": list(i.slots),
                "needs_music": i.needs_music,
                "path": str(i.path),
                "preview": str(i.preview_image) if i.preview_image.is_file() else None,
            }
            for i in infos
        ]
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    width = max((len(i.id) for i in infos), default=4)
    for i in infos:
        music = " (needs music)" if i.needs_music else ""
        sys.stdout.write(f"{i.id:<{width}}  {i.name}{music}\n{'':<{width}}  slots: {', '.join(i.slots) or 'none'}\n")
        if i.description:
            sys.stdout.write(f"{'':<{width}}  {i.description}\n")
    return 0


def run_preview(args: argparse.Namespace) -> int:
    from ...library import PREVIEW_PROFILE, contact_sheet, find_template, preview_edit, sample_clips
    from ...template import load_template, parse_set_options
    from .render import _parse_clips

    path = find_template(args.template)
    template = load_template(path, overrides=parse_set_options(args.set))
    clips: dict[str, Any] = sample_clips(template) if args.samples else {}
    clips.update(_parse_clips(args.clip))
    if args.width < 16 or args.width > 4096:
        raise ParameterError(f"--width {args.width}: must be within 16..4096")
    edit = preview_edit(template, clips, music=args.music, width=args.width)
    result = edit.render(args.output, profile=PREVIEW_PROFILE)
    sys.stdout.write(
        f"wrote {result.path}: {result.width}x{result.height}, {result.duration:.2f} s, {result.frames} frames "
        f"in {result.elapsed:.1f} s\n"
    )
    if args.image:
        contact_sheet(edit, args.image)
        sys.stdout.write(f"wrote {args.image}\n")
    return 0
