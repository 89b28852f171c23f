"""``clipkit template schema|validate``."""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from typing import Any

from ...errors import ClipkitDeprecationWarning, ParameterError, TemplateError


def register(sub: Any) -> None:
    p = sub.add_parser("template", help="template tools: schema, validate, preview")
    tsub = p.add_subparsers(dest="template_command", metavar="ACTION", parser_class=type(p))
    s = tsub.add_parser("schema", help="print the template JSON Schema (for editor autocompletion)")
    s.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    s.set_defaults(func=run_schema)
    v = tsub.add_parser("validate", help="check a template without rendering")
    v.add_argument("template", help="template file, or the id of a bundled template (e.g. duet)")
    v.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    v.set_defaults(func=run_validate)
    from .templates import add_preview_parser

    add_preview_parser(tsub)  # preview (issue 6)
    p.set_defaults(func=lambda args: (p.print_help(sys.stderr), 2)[1])


def run_schema(args: argparse.Namespace) -> int:
    from ...template import template_schema

    text = json.dumps(template_schema(), indent=2) + "\n"
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:  # a path the user gave: bad input (exit 2), not an internal error
            raise ParameterError(f"--output {args.output!r} cannot be written ({exc.strerror or exc})") from None
    else:
        sys.stdout.write(text)
    return 0


def run_validate(args: argparse.Namespace) -> int:
    from ...template import load_template, parse_set_options

    from ...library import preview_edit

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ClipkitDeprecationWarning)
            template = load_template(args.template, overrides=parse_set_options(args.set))
            # the schema and the loader check the document; building it with placeholder clips
            # runs every section's own checks too (looks, effects, overlays, layouts, cuts),
            # still without decoding anything of the creator's
            preview_edit(template)
        # old names still work for a release; the author should hear about them
        for w in caught:
            if isinstance(w.message, ClipkitDeprecationWarning):
                sys.stderr.write(f"clipkit: warning: {w.message}\n")
    except TemplateError as exc:
        # a template author fixing a file wants every problem, each with its field path
        for problem in exc.problems:
            sys.stderr.write(f"clipkit: error: {' '.join(str(problem).split())}\n")
        if len(exc.problems) > 1:
            sys.stderr.write(f"clipkit: {len(exc.problems)} problems in {args.template}\n")
        return 2
    slots = ", ".join(s["id"] + ("?" if s.get("optional") else "") for s in template.slots) or "none"
    sys.stdout.write(f"{args.template}: ok ({template.name}; slots: {slots}; {len(template.document['shots'])} shots)\n")
    return 0
