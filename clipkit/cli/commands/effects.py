"""``clipkit effects ...``, ``clipkit preview`` and ``clipkit warmup``: the preset author's tools.

- ``clipkit effects list``: every effect (by category) and look, and plugins that failed;
- ``clipkit effects show ID``: parameters, ranges, defaults and an example;
- ``clipkit effects test ID...``: run the conformance suite on effects (yours too);
- ``clipkit effects docs -o docs/effects.md``: regenerate the reference page;
- ``clipkit preview NAME``: a before/after contact sheet PNG of an effect or look
  (and optionally an animated GIF or an MP4);
- ``clipkit warmup``: compile every kernel into numba's on-disk cache.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...errors import ParameterError

if TYPE_CHECKING:
    import numpy as np


def register(sub: Any) -> None:
    p = sub.add_parser("effects", help="list, show, test and document effects and looks")
    esub = p.add_subparsers(dest="effects_command", metavar="ACTION")
    p.set_defaults(func=lambda args: (p.print_help(sys.stderr), 2)[1])

    q = esub.add_parser("list", help="every effect and look, and plugins that failed to load")
    q.add_argument("--category", choices=["color", "look", "motion", "key"], help="only this category")
    q.add_argument("--json", action="store_true", help="machine-readable output")
    q.set_defaults(func=run_list)

    q = esub.add_parser("show", help="an effect's parameters, ranges, defaults and an example (or a look's chain)")
    q.add_argument("id", help="effect id or look name")
    q.add_argument("--json", action="store_true", help="machine-readable output")
    q.set_defaults(func=run_show)

    q = esub.add_parser("test", help="run the conformance suite on effects")
    q.add_argument("ids", nargs="*", help="effect ids (default: every registered effect)")
    q.set_defaults(func=run_test)

    q = esub.add_parser("docs", help="write the effects reference page (Markdown)")
    q.add_argument("-o", "--output", help="file to write (default: standard output)")
    q.set_defaults(func=run_docs)

    q = sub.add_parser("preview", help="before/after contact sheet of an effect or look")
    q.add_argument("name", help="effect id or look name (or a look .yaml file)")
    q.add_argument("--set", dest="params", action="append", default=[], metavar="PARAM=VALUE",
                   help="effect parameter (YAML value, e.g. amount=1.2 or 'scale={envelope: beats, to: 1.1}')")
    q.add_argument("--strength", "--intensity", dest="strength", type=float, default=1.0, help="look strength in [0, 1] (default 1; --intensity is its old name)")
    q.add_argument("--input", help="video or image to preview on (default: the bundled sample clip)")
    q.add_argument("--music", help="song for envelope parameters (default: the bundled song when one is used)")
    q.add_argument("--start", type=float, default=0.0, help="second of the input to start at")
    q.add_argument("--duration", type=float, default=2.0, help="seconds to preview (default 2)")
    q.add_argument("--frames", type=int, default=4, help="columns of the contact sheet (default 4)")
    q.add_argument("-o", "--output", default=None, help="PNG to write (default: preview_NAME.png)")
    q.add_argument("--gif", help="also write an animated before|after GIF here")
    q.add_argument("--mp4", help="also render the preview clip with the effect to this MP4")
    q.set_defaults(func=run_preview)

    q = sub.add_parser("warmup", help="compile every effect kernel into the on-disk cache")
    q.add_argument("ids", nargs="*", help="effect ids (default: all)")
    q.add_argument("--clear", action="store_true", help="first delete the effects' cached kernels (after editing a shared helper)")
    q.set_defaults(func=run_warmup)


# -- list / show ------------------------------------------------------------------------------
def run_list(args: argparse.Namespace) -> int:
    from ...effects import effects, look_names, plugin_errors, source_of
    from ...effects.looks import load_look

    chosen = [e for e in effects() if args.category in (None, e.category)]
    failures = plugin_errors()
    if args.json:
        data = {
            "effects": [{"id": e.id, "title": e.title, "category": e.category, "space": e.space, "summary": e.summary(), "source": source_of(e.id)} for e in chosen],
            "looks": [{"name": n, "description": load_look(n).description} for n in look_names()],
            "failed": [{"name": f.name, "source": f.source, "error": f.message} for f in failures],
        }
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    lines: list[str] = []
    category = None
    for e in chosen:
        if e.category != category:
            category = e.category
            lines.append(f"{category}:")
        src = "" if source_of(e.id) == "builtin" else f"  [{source_of(e.id)}]"
        rgb = " (rgb)" if e.space == "rgb" else ""
        lines.append(f"  {e.id:<14} {e.summary()}{rgb}{src}")
    if args.category is None:
        lines.append("looks:")
        for n in look_names():
            try:
                lines.append(f"  {n:<18} {load_look(n).description}")
            except ParameterError as exc:
                lines.append(f"  {n:<18} BROKEN: {exc}")
    if failures:
        lines.append("failed to load:")
        lines.extend(f"  {f.name} ({f.source}): {f.message}" for f in failures)
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def run_show(args: argparse.Namespace) -> int:
    from ...effects import effect_ids, get, look_names, source_of
    from ...effects.docs import example_python, example_yaml, param_rows
    from ...effects.looks import load_look

    if args.id not in effect_ids() and (args.id in look_names() or args.id.endswith((".yaml", ".yml"))):
        spec = load_look(args.id)
        if args.json:
            json.dump({"look": spec.name, "description": spec.description, "strength": spec.strength, "path": spec.path,
                       "effects": [{"id": n.id, **n.params()} for n in spec.effects]}, sys.stdout, indent=2, default=list)
            sys.stdout.write("\n")
            return 0
        lines = [f"look {spec.name}: {spec.description}", f"  file: {spec.path}", "  effects:"]
        lines += [f"    - {n.id} {json.dumps(n.params(), default=list)}" for n in spec.effects]
        lines.append(f'  use: clip.with_look("{spec.name}", strength=0.8)   or in a template: look: {{name: {spec.name}, strength: 0.8}}')
        sys.stdout.write("\n".join(lines) + "\n")
        return 0
    effect = get(args.id)
    rows = param_rows(effect)
    if args.json:
        json.dump({"id": effect.id, "title": effect.title, "category": effect.category, "space": effect.space, "summary": effect.summary(),
                   "source": source_of(effect.id), "params": rows, "example": effect.example}, sys.stdout, indent=2, default=list)
        sys.stdout.write("\n")
        return 0
    lines = [f"{effect.id}: {effect.title} ({effect.category}, {effect.space.upper()})", f"  {effect.summary()}"]
    if effect.details():
        lines += ["  " + line for line in effect.details().splitlines()]
    lines.append("parameters:")
    for r in rows:
        unit = f" {r['unit']}" if r["unit"] else ""
        extra = ", keyframable" if r["keyframable"] == "yes" else ""
        neutral = f", neutral {r['neutral']}" if r["neutral"] else ""
        lines.append(f"  {r['name']:<12} {r['kind']:<6} default {r['default']}{unit}; {r['range'].replace(chr(92), '')}{neutral}{extra}")
        lines.append(f"  {'':<12} {r['doc']}")
    lines += ["example (template):", *("  " + line for line in example_yaml(effect).splitlines()), "example (Python):", "  " + example_python(effect)]
    if source_of(effect.id) != "builtin":
        lines.append(f"loaded from: {source_of(effect.id)}")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def run_test(args: argparse.Namespace) -> int:
    from ...effects import effect_ids, get
    from ...testing import check_effect

    ids = args.ids or effect_ids()
    failed = 0
    for effect_id in ids:
        get(effect_id)
        results = check_effect(effect_id)
        bad = {k: v for k, v in results.items() if v}
        failed += bool(bad)
        sys.stdout.write(f"{effect_id}: {'ok' if not bad else 'FAILED'} ({len(results) - len(bad)}/{len(results)} checks)\n")
        for message in bad.values():
            sys.stdout.write(f"  {message}\n")
    return 1 if failed else 0


def run_docs(args: argparse.Namespace) -> int:
    from ...effects.docs import main

    return main(["-o", args.output] if args.output else [])


def run_warmup(args: argparse.Namespace) -> int:
    from ...effects.warmup import warmup

    started = time.perf_counter()
    if args.clear:
        from ...effects.warmup import clear_cache

        sys.stderr.write(f"  removed {clear_cache()} cached kernel files\n")
    def report(name: str, seconds: float) -> None:
        sys.stderr.write(f"  {name:<14} {seconds:6.2f} s\n")

    timings = warmup(args.ids or None, progress=report)
    effects = len([name for name in timings if not name.startswith("(")])
    also = ""
    if not args.ids:  # everything: the music analysis' librosa engine too (imports, numba cache)
        from ...music.engines import warm_librosa

        seconds = warm_librosa()
        report("(librosa analysis)", seconds)
        also = " and the librosa analysis engine"
    sys.stdout.write(f"warmed {effects} effects{also} in {time.perf_counter() - started:.1f} s (kernels are now in numba's on-disk cache)\n")
    return 0


# -- preview ------------------------------------------------------------------------------------
def _parse_params(items: list[str]) -> dict[str, Any]:
    import yaml

    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ParameterError(f"--set {item!r}: use PARAM=VALUE")
        try:
            out[key.strip()] = yaml.safe_load(raw)
        except yaml.YAMLError:
            raise ParameterError(f"--set {item!r}: {raw!r} is not a YAML value") from None
    return out


def _uses_envelope(params: dict[str, Any]) -> bool:
    return any(isinstance(v, dict) and "envelope" in v for v in params.values())


def preview_node(name: str, params: dict[str, Any], strength: float) -> tuple[Any, str, bool]:
    """(node, label, uses an envelope) for an effect id or a look name."""
    from ...effects import create, effect_ids, get, look, look_names

    if name in effect_ids():
        effect = get(name)
        merged = {**effect.example, **params} if not params else params
        node = create(name, **merged)
        label = f"{name} " + " ".join(f"{k}={v}" for k, v in node.params().items() if not isinstance(v, dict))
        return node, label.strip(), _uses_envelope(merged)
    if name in look_names() or name.endswith((".yaml", ".yml")):
        if params:
            raise ParameterError(f"preview: --set applies to effects; {name!r} is a look (use --strength)")
        chain = look(name, strength=strength)
        uses = any(_uses_envelope(n.params()) for n in chain.flat() if hasattr(n, "params"))
        return chain, f"look {Path(name).stem} @ {strength:g}", uses
    raise ParameterError(f"preview: {name!r} is neither an effect nor a look (see `clipkit effects list`)")


def _label(img: np.ndarray, text: str) -> np.ndarray:
    import numpy as np

    import cv2

    bar = np.full((22, img.shape[1], 3), 24, np.uint8)
    cv2.putText(bar, text[: max(8, img.shape[1] // 7)], (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (235, 235, 235), 1, cv2.LINE_AA)
    return np.vstack([bar, img])


def run_preview(args: argparse.Namespace) -> int:
    import numpy as np

    import clipkit as ck
    from PIL import Image

    from ...resources import samples_dir

    if not 1 <= args.frames <= 12:
        raise ParameterError(f"--frames: {args.frames} is outside 1..12")
    if not 0 < args.duration <= 30:
        raise ParameterError(f"--duration: {args.duration} is outside (0, 30] seconds")
    node, label, uses_envelope = preview_node(args.name, _parse_params(args.params), args.strength)
    source = args.input or str(samples_dir() / "portrait.mp4")
    info = ck.probe(source)
    clip = ck.image(source) if info.is_image else ck.open(source)
    clip = clip.with_duration(args.duration) if info.is_image else clip.trim(args.start, duration=min(args.duration, max(0.1, info.duration - args.start)))
    canvas = ck.Canvas(1080, 1920, 30)
    before = ck.sequence([clip], canvas=canvas, fit="cover").with_original_volume(0)
    music = args.music or (str(samples_dir() / "song.m4a") if uses_envelope else None)
    if music:
        before = before.with_music(ck.audio(music))
    after = before.with_effect(node)
    frames_before = list(before.frames(profile="preview"))
    frames_after = list(after.frames(profile="preview"))
    count = len(frames_after)
    picks = sorted({int(round(k * (count - 1) / max(1, args.frames - 1))) for k in range(args.frames)})
    tile_w = 270
    rows = []
    for title, frames in (("before", frames_before), (label, frames_after)):
        tiles = []
        for i in picks:
            rgb = frames[i].to_rgb()
            h = int(round(rgb.shape[0] * tile_w / rgb.shape[1])) // 2 * 2
            import cv2

            tiles.append(_label(cv2.resize(rgb, (tile_w, h), interpolation=cv2.INTER_AREA), f"{title if i == picks[0] else ''} t={i / 30:.2f}s"))
        rows.append(np.hstack(tiles))
    sheet = np.vstack(rows)
    out = args.output or f"preview_{Path(args.name).stem}.png"
    Image.fromarray(sheet).save(out)
    sys.stdout.write(f"wrote {out} ({sheet.shape[1]}x{sheet.shape[0]}, {len(picks)} frames before/after)\n")
    if args.gif:
        import cv2

        gif_frames = []
        for a, b in zip(frames_before, frames_after):
            pair = np.hstack([a.to_rgb(), b.to_rgb()])
            pair = cv2.resize(pair, (2 * tile_w, int(round(pair.shape[0] * 2 * tile_w / pair.shape[1]))), interpolation=cv2.INTER_AREA)
            gif_frames.append(Image.fromarray(pair))
        gif_frames[0].save(args.gif, save_all=True, append_images=gif_frames[1:], duration=33, loop=0, optimize=True)
        sys.stdout.write(f"wrote {args.gif} ({len(gif_frames)} frames, before | after)\n")
    if args.mp4:
        result = after.render(args.mp4, profile="preview")
        sys.stdout.write(f"wrote {args.mp4} ({result.frames} frames)\n")
    return 0
