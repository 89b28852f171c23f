"""``clipkit plugins``: every extension point, what is registered in it and from where."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "plugins",
        help="list every extension point (effects, transitions, fit modes, layouts, template sections, audio processors)",
        description="Every registry: its entry-point group, each name with where it came from, and plug-ins that failed to load.",
    )
    p.add_argument("kind", nargs="?", help="one registry (e.g. transitions); default all")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ...effects.registry import EFFECTS  # joins REGISTRIES when imported
    from ...errors import ParameterError
    from ...registry import REGISTRIES

    del EFFECTS
    kinds = sorted(REGISTRIES)
    if args.kind is not None:
        if args.kind not in REGISTRIES:
            raise ParameterError(f"plugins: {args.kind!r} is not a registry; use one of {', '.join(kinds)}")
        kinds = [args.kind]
    report = []
    for kind in kinds:
        registry = REGISTRIES[kind]
        items = [{"name": name, "source": registry.source_of(name)} for name, _ in registry.items()]
        failures = [{"name": f.name, "source": f.source, "message": f.message} for f in registry.failures()]
        report.append({"kind": kind, "group": registry.group, "plugins": items, "failed": failures})
    if args.json:
        json.dump(report, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    for entry in report:
        sys.stdout.write(f"{entry['kind']} (entry points: {entry['group']}): {len(entry['plugins'])}\n")
        for item in entry["plugins"]:
            sys.stdout.write(f"  {item['name']:28} {item['source']}\n")
        for failure in entry["failed"]:
            sys.stdout.write(f"  FAILED {failure['name']} ({failure['source']}): {failure['message']}\n")
    return 0
