"""``clipkit stickers list|search|preview|credits``: the OpenMoji library and the sticker packs."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "stickers",
        help="the sticker library (OpenMoji, 4,000+ emoji) and the sticker packs",
        description="The sticker library (OpenMoji, CC BY-SA 4.0) and the bundled sticker packs.",
    )
    ssub = p.add_subparsers(dest="stickers_command", metavar="ACTION", parser_class=type(p))
    ls = ssub.add_parser("list", help="library sticker names, one a line (or the packs' stickers with --packs)")
    ls.add_argument("--group", metavar="G", help="only this group or subgroup (e.g. flags, smileys_emotion, food_fruit)")
    ls.add_argument("--packs", action="store_true", help="list the packs' stickers (pack/sticker) instead")
    ls.set_defaults(func=run_list)
    se = ssub.add_parser("search", help="find stickers by name, tag or group, best first, one a line")
    se.add_argument("words", nargs="+", help="words to look for (all must match), e.g. fire, red heart, lantern")
    se.add_argument("--group", metavar="G", help="only this group or subgroup")
    se.add_argument("--limit", type=int, default=50, help="most matches shown (default %(default)s; 0: all)")
    se.set_defaults(func=run_search)
    pv = ssub.add_parser("preview", help="save a PNG sheet of stickers")
    pv.add_argument("names", nargs="+", metavar="NAME", help="openmoji/fire, fire, 🔥 or pack/sticker")
    pv.add_argument("-o", "--output", default="stickers.png", metavar="SHEET.png", help="output image (default %(default)s)")
    pv.add_argument("--size", type=int, default=160, help="pixels per sticker (default %(default)s)")
    pv.set_defaults(func=run_preview)
    cr = ssub.add_parser("credits", help="the attribution the artwork's licences require")
    cr.set_defaults(func=run_credits)
    p.set_defaults(func=lambda args: (p.print_help(sys.stderr), 2)[1])


def run_list(args: argparse.Namespace) -> int:
    from ...overlays.library import check_group, in_group, library_entries

    out = sys.stdout
    if args.packs:
        from ...overlays.packs import sticker_pack, sticker_packs

        for pid in sticker_packs():
            for name in sorted(sticker_pack(pid).stickers):
                out.write(f"{pid}/{name}\n")
        return 0
    entries = library_entries().values()
    if args.group:
        check_group(args.group)
        entries = [e for e in entries if in_group(e, args.group)]
    for entry in entries:
        out.write(f"{entry.id}\n")
    return 0


def run_search(args: argparse.Namespace) -> int:
    from ...errors import ParameterError
    from ...overlays.library import check_group, search
    from ...overlays.packs import sticker_pack, sticker_packs

    if args.limit < 0:
        raise ParameterError(f"--limit: {args.limit} is below 0")
    if args.group:
        check_group(args.group)
    query = " ".join(args.words)
    words = query.lower().replace("-", " ").replace("_", " ").split()
    lines = [f"{e.id}\t{e.emoji}\t{e.group} / {e.subgroup}\t{' '.join(e.tags)}" for e in search(query, group=args.group)]
    if not args.group:  # then pack stickers whose pack or name holds every word
        for pid in sticker_packs():
            pack = sticker_pack(pid)
            for name, entry in sorted(pack.stickers.items()):
                hay = f"{pid} {pack.name} {name} {entry.description}".lower().replace("_", " ")
                if all(w in hay for w in words):
                    lines.append(f"{pid}/{name}\t\tpack: {pack.name}\t{entry.description}")
    if not lines:
        sys.stderr.write(f"clipkit: no sticker matches {query!r}\n")
        return 1
    for line in lines[: args.limit or None]:
        sys.stdout.write(line + "\n")
    return 0


def run_preview(args: argparse.Namespace) -> int:
    from ...overlays.library import preview_sheet

    path = preview_sheet(args.names, args.output, size=args.size)
    sys.stdout.write(f"wrote {path}: {len(args.names)} sticker(s)\n")
    return 0


def run_credits(args: argparse.Namespace) -> int:
    from ...overlays.library import credits
    from ...overlays.packs import sticker_pack, sticker_packs

    sys.stdout.write(credits() + "\n\nPacks:\n")
    for pid in sticker_packs():
        pack = sticker_pack(pid)
        sys.stdout.write(f"  {pid}: {pack.name}: {pack.license}{'; ' + pack.author if pack.author else ''}\n")
    return 0
