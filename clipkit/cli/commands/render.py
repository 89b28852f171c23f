"""``clipkit render`` and ``clipkit demo``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...errors import ParameterError, TemplateError
from ...render.profiles import PROFILES
from ...resources import samples_dir, templates_dir
from ..progress import ProgressBar

if TYPE_CHECKING:
    from ...render.executor import RenderResult

DEMO_TEMPLATE = "demo.yaml"
# real footage and a real song, openly licensed (credits: samples/README.md)
DEMO_CLIPS = {"meadow": "bunny_meadow.mp4", "bird": "bunny_bird.mp4", "people": "chaplin.mp4"}
DEMO_MUSIC = "lets_go_fishin.m4a"


def register(sub: Any) -> None:
    p = sub.add_parser("render", help="render a template with your clips to an MP4", description="Render a template.")
    p.add_argument("template", help="template file (YAML or JSON), or the id of a bundled template (clipkit templates list)")
    p.add_argument("--clip", action="append", default=[], metavar="SLOT=FILE", help="fill a slot (repeat per slot)")
    p.add_argument("--music", metavar="FILE", help="soundtrack (overrides the template's)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="set a template variable or field")
    p.add_argument("-o", "--output", required=True, metavar="OUT.mp4", help="output file")
    _output_options(p)
    p.add_argument("--allow-root", action="append", default=[], metavar="DIR", help="another folder assets may come from")
    p.set_defaults(func=run_render)

    d = sub.add_parser(
        "demo",
        help="render the bundled demo: real footage cut to a real song, with a look, stickers, emoji text and captions",
    )
    d.add_argument("-o", "--output", default="clipkit-demo.mp4", metavar="OUT.mp4", help="output file (default %(default)s)")
    _output_options(d)
    d.set_defaults(func=run_demo)


def _output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", choices=sorted(PROFILES), help="upload profile (default: the template's, else tiktok)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--keep-metadata", action="store_true", help="keep the source's metadata (location, device)")
    p.add_argument("--stats", action="store_true", help="after the render, print where the time went, stage by stage")
    p.add_argument(
        "--strict-fonts",
        action="store_true",
        help="fail when a character of a text or caption has no installed font (default: draw it with the closest font and warn)",
    )


def _parse_clips(items: list[str]) -> dict[str, str]:
    clips: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            raise ParameterError(f"--clip {item!r}: expected SLOT=FILE")
        slot, path = item.split("=", 1)
        if not slot or not path:
            raise ParameterError(f"--clip {item!r}: expected SLOT=FILE")
        if slot in clips:
            raise ParameterError(f"--clip {slot}=...: slot given twice")
        clips[slot] = path
    return clips


def _render(template_path: str | Path, *, clips: dict[str, str], music: str | None, sets: list[str], output: str,
            profile: str | None, quiet: bool, keep_metadata: bool, allowed_roots: tuple[str, ...] = (),
            stats: bool = False, strict_fonts: bool = False) -> int:
    from ...template import load_template, parse_set_options

    template = load_template(template_path, overrides=parse_set_options(sets), allowed_roots=allowed_roots)
    edit = template.build(clips, music=music)
    if strict_fonts:
        from ...overlays.text import with_strict_fonts

        edit = with_strict_fonts(edit)
    prof = PROFILES[profile] if profile else template.profile()
    bar = ProgressBar(enabled=not quiet and sys.stderr.isatty(), label=os.path.basename(output))
    try:
        result: RenderResult = edit.render(
            output, profile=prof, progress=bar, keep_metadata=keep_metadata or template.keep_metadata, profile_stages=stats
        )
    finally:
        bar.close()
    sys.stdout.write(
        f"wrote {result.path}: {result.width}x{result.height}, {result.duration:.2f} s, "
        f"{result.frames} frames in {result.elapsed:.1f} s ({result.speed:.0f} fps)\n"
    )
    if result.stages is not None:
        sys.stdout.write(result.stages.table() + "\n")
    return 0


def run_render(args: argparse.Namespace) -> int:
    return _render(
        args.template,
        clips=_parse_clips(args.clip),
        music=args.music,
        sets=args.set,
        output=args.output,
        profile=args.profile,
        quiet=args.quiet,
        keep_metadata=args.keep_metadata,
        allowed_roots=tuple(args.allow_root),
        stats=args.stats,
        strict_fonts=args.strict_fonts,
    )


def run_demo(args: argparse.Namespace) -> int:
    template = templates_dir() / DEMO_TEMPLATE
    samples = samples_dir()
    missing = [name for name in [*DEMO_CLIPS.values(), DEMO_MUSIC] if not (samples / name).is_file()]
    if missing or not template.is_file():
        raise TemplateError(f"the bundled demo is incomplete (missing {', '.join(missing) or DEMO_TEMPLATE}); reinstall clipkit")
    clips = {slot: str(samples / name) for slot, name in DEMO_CLIPS.items()}
    return _render(
        template,
        clips=clips,
        music=str(samples / DEMO_MUSIC),
        sets=[],
        output=args.output,
        profile=args.profile,
        quiet=args.quiet,
        keep_metadata=args.keep_metadata,
        stats=args.stats,
        strict_fonts=args.strict_fonts,
    )
