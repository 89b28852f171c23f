"""Hostile input for the reliability tests and ``bench/fuzz.py``: seeded byte-level
mutations of small valid media, schema-shaped random templates, and the invariant
every case must keep.

The invariant: a case ends in a valid output or in a :class:`clipkit.ClipkitError`
whose message is one line (naming the file, for media); never another exception, never
a hang past the case's time limit, never a file left behind.
"""

from __future__ import annotations

import copy
import os
import random
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image

import mediagen

# -- seeds: small valid files of every kind users bring --------------------------------------
SEED_KINDS = ("mp4", "webm", "png", "apng", "gif", "jpg", "wav", "m4a")


def make_seeds(folder: Path) -> dict[str, bytes]:
    """Write one small valid file per kind into ``folder``; return their bytes by kind."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {kind: folder / f"seed.{ 'png' if kind == 'apng' else kind}" for kind in SEED_KINDS}
    paths["apng"] = folder / "seed_anim.png"
    if not paths["mp4"].exists():
        mediagen.make_video(str(paths["mp4"]), width=32, height=32, frames=12, sr=8000, gop=4)
    if not paths["webm"].exists():
        _make_webm(str(paths["webm"]))
    frames = [Image.fromarray(mediagen.draw_frame(32, 32, i)) for i in range(4)]
    if not paths["png"].exists():
        frames[0].save(paths["png"])
    if not paths["apng"].exists():
        rgba = [f.convert("RGBA") for f in frames]
        rgba[0].save(paths["apng"], save_all=True, append_images=rgba[1:], duration=80, blend=1, disposal=2)
    if not paths["gif"].exists():
        frames[0].save(paths["gif"], save_all=True, append_images=frames[1:], duration=80)
    if not paths["jpg"].exists():
        frames[1].save(paths["jpg"], quality=80)
    if not paths["wav"].exists():
        mediagen.make_audio(str(paths["wav"]), duration=0.6, sr=8000, codec="pcm_s16le", container_format="wav")
    if not paths["m4a"].exists():
        mediagen.make_audio(str(paths["m4a"]), duration=0.6, sr=22050, container_format="mp4")
    return {kind: path.read_bytes() for kind, path in paths.items()}


def _make_webm(path: str) -> None:
    out = av.open(path, "w", format="webm")
    vs = out.add_stream("libvpx", rate=30)
    vs.width, vs.height, vs.pix_fmt = 32, 32, "yuv420p"
    for i in range(10):
        frame = av.VideoFrame.from_ndarray(mediagen.draw_frame(32, 32, i), format="rgb24")
        frame.pts = i
        out.mux(vs.encode(frame))
    out.mux(vs.encode(None))
    out.close()


# -- byte-level mutations ---------------------------------------------------------------------
EXTENSIONS = (".mp4", ".mov", ".webm", ".mkv", ".png", ".gif", ".jpg", ".wav", ".m4a", ".avi", ".txt")


def mutate(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    """One seeded mutation: ``(what was done, new bytes)``."""
    kind = rng.choice(("truncate", "bitflip", "header", "zero_run", "duplicate", "splice", "none"))
    buf = bytearray(data)
    n = len(buf)
    if kind == "truncate":
        cut = rng.randrange(0, n)
        return f"truncate@{cut}", bytes(buf[:cut])
    if kind == "bitflip":
        flips = rng.randint(1, 24)
        for _ in range(flips):
            i = rng.randrange(n)
            buf[i] ^= 1 << rng.randrange(8)
        return f"bitflip x{flips}", bytes(buf)
    if kind == "header":
        span = min(n, rng.choice((8, 16, 32, 64, 128)))
        for i in range(rng.randint(1, 6)):
            buf[rng.randrange(span)] = rng.randrange(256)
        return f"header<{span}", bytes(buf)
    if kind == "zero_run":
        a = rng.randrange(n)
        b = min(n, a + rng.randint(1, max(1, n // 4)))
        buf[a:b] = bytes(b - a)
        return f"zero[{a}:{b}]", bytes(buf)
    if kind == "duplicate":
        a = rng.randrange(n)
        b = min(n, a + rng.randint(1, 512))
        at = rng.randrange(n)
        return f"dup[{a}:{b}]@{at}", bytes(buf[:at] + buf[a:b] + buf[at:])
    if kind == "splice":  # a large size field: what decompression bombs and lying headers do
        at = rng.randrange(max(1, n - 4))
        buf[at : at + 4] = rng.choice((b"\xff\xff\xff\xff", b"\x7f\xff\xff\xff", b"\x00\x00\x00\x00", b"\x00\x01\x00\x00"))
        return f"size@{at}", bytes(buf)
    return "none", bytes(buf)


@dataclass
class Outcome:
    """What one case did."""

    case: str
    ok: bool = False  # rendered (or refused cleanly)
    refused: str | None = None  # the ClipkitError message
    failure: str | None = None  # an invariant broken: another exception, a leftover, a bad output
    seconds: float = 0.0
    details: list[str] = field(default_factory=list)


def _check_refusal(outcome: Outcome, exc: BaseException, path: str, *, names_file: bool) -> None:
    import clipkit as ck

    if not isinstance(exc, ck.ClipkitError):
        outcome.failure = f"{type(exc).__name__}: {exc} | " + " / ".join(traceback.format_exception(exc)[-3:]).replace("\n", " ")
        return
    message = str(exc)
    if "\n" in message:
        outcome.failure = f"multi-line message: {message!r}"
    elif names_file and path not in message and isinstance(exc, (ck.MediaError,)):
        outcome.failure = f"message does not name the file: {message!r}"
    else:
        outcome.refused = message


def run_media_case(path: Path, out_dir: Path, *, render: bool = True) -> Outcome:
    """Open ``path`` as a clip (and as sound) and render a short piece of it into ``out_dir``."""
    import clipkit as ck

    outcome = Outcome(case=path.name)
    started = time.perf_counter()
    spath = str(path)
    try:
        try:
            clip = ck.open(spath)
        except BaseException as exc:  # noqa: BLE001 - judged by the invariant
            if isinstance(exc, KeyboardInterrupt):
                raise
            _check_refusal(outcome, exc, spath, names_file=True)
            clip = None
        if clip is not None and render and outcome.failure is None:
            out = out_dir / f"{path.stem}.mp4"
            try:
                piece = clip.trim(0, min(0.3, clip.duration)) if clip.duration > 0.3 else clip
                edit = ck.sequence([piece], canvas=ck.Canvas(32, 32, 30))
                result = edit.render(out, preset="ultrafast")
                info = ck.probe(out)
                if info.video is None or result.frames < 1:
                    outcome.failure = f"output without video: {info}"
                outcome.details.append("rendered")
                out.unlink()
            except BaseException as exc:  # noqa: BLE001
                if isinstance(exc, KeyboardInterrupt):
                    raise
                _check_refusal(outcome, exc, spath, names_file=True)
        if outcome.failure is None:
            try:
                sound = ck.audio(spath)
                if sound.duration < 0:
                    outcome.failure = f"negative duration {sound.duration}"
                outcome.details.append("sound")
            except BaseException as exc:  # noqa: BLE001
                if isinstance(exc, KeyboardInterrupt):
                    raise
                _check_refusal(outcome, exc, spath, names_file=True)
    finally:
        outcome.seconds = time.perf_counter() - started
    left = sorted(p.name for p in out_dir.iterdir())
    inputs_left = sorted(p.name for p in path.parent.iterdir() if p.name.endswith(".part"))
    if left or inputs_left:
        outcome.failure = (outcome.failure or "") + f" left behind: {left + inputs_left}"
        for name in left:
            (out_dir / name).unlink()
    outcome.ok = outcome.failure is None
    return outcome


def media_cases(seeds: dict[str, bytes], count: int, *, seed: int) -> list[tuple[str, bytes]]:
    """``count`` seeded cases: ``(file name, bytes)``; some keep a lying extension."""
    rng = random.Random(seed)
    cases = []
    kinds = sorted(seeds)
    for index in range(count):
        kind = kinds[index % len(kinds)]
        what, data = mutate(seeds[kind], rng)
        ext = "." + ("png" if kind == "apng" else kind)
        if rng.random() < 0.2:
            ext = rng.choice(EXTENSIONS)
            what += f" as {ext}"
        cases.append((f"c{index:05d}_{kind}_{_slug(what)}{ext}", data))
    return cases


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text)[:40]


# -- schema-shaped templates ------------------------------------------------------------------
def schema_document(schema: dict[str, Any], rng: random.Random, *, depth: int = 0, invalid_rate: float = 0.08) -> Any:
    """A random value shaped by a JSON Schema node; now and then a wrong one on purpose
    (another type, out of range, an unknown key), which the loader must refuse cleanly."""
    if depth and rng.random() < invalid_rate:  # the top stays a document (a mapping)
        return rng.choice([None, -1, 1e9, "?", "", [], {}, True, "../../etc/passwd", float("nan"), "#zzz", [1, 2]])
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return rng.choice(schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return schema_document(rng.choice(schema[key]), rng, depth=depth, invalid_rate=invalid_rate)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = rng.choice(kind)
    if kind == "object" or "properties" in schema:
        out: dict[str, Any] = {}
        props = schema.get("properties", {})
        required = set(schema.get("required", ()))
        for name, sub in props.items():
            if name in required or (depth < 4 and rng.random() < 0.45):
                out[name] = schema_document(sub, rng, depth=depth + 1, invalid_rate=invalid_rate)
        if rng.random() < invalid_rate:
            out["unknown_key"] = 1
        return out
    if kind == "array":
        items = schema.get("items", {})
        lo = int(schema.get("minItems", 0))
        hi = int(schema.get("maxItems", lo + 3))
        return [schema_document(items, rng, depth=depth + 1, invalid_rate=invalid_rate) for _ in range(rng.randint(lo, max(lo, min(hi, lo + 3))))]
    if kind == "integer":
        lo = int(schema.get("minimum", -5))
        hi = int(schema.get("maximum", lo + 100))
        value = rng.randint(lo, min(hi, lo + 200))
        step = int(schema.get("multipleOf", 1))
        return value - value % step if step > 1 else value
    if kind == "number":
        lo = float(schema.get("minimum", schema.get("exclusiveMinimum", 0.0)))
        hi = float(schema.get("maximum", lo + 10.0))
        return round(rng.uniform(lo, min(hi, lo + 10.0)), 3)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "string":
        return rng.choice(["a", "intro", "clip1", "#ff0000", "red", "hello {name}", "x" * 40, "1/2", "30", "ease-in", "cover"])
    return rng.choice([0, "a", None])


def fuzz_template_document(base: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A random mutation of a library template: keys dropped, values replaced or retyped."""
    doc = copy.deepcopy(base)
    for _ in range(rng.randint(1, 4)):
        _mutate_node(doc, rng)
    return doc


def _mutate_node(node: Any, rng: random.Random) -> None:
    path = []
    while isinstance(node, (dict, list)) and node and rng.random() < 0.75:
        key = rng.choice(list(node)) if isinstance(node, dict) else rng.randrange(len(node))
        path.append((node, key))
        node = node[key]
    if not path:
        return
    parent, key = path[-1]
    action = rng.choice(("drop", "replace", "scale", "retype"))
    if action == "drop":
        if isinstance(parent, dict):
            parent.pop(key, None)
        elif len(parent) > 1:
            parent.pop(key)
    elif action == "scale" and isinstance(parent[key], (int, float)) and not isinstance(parent[key], bool):
        parent[key] = parent[key] * rng.choice((-1, 0, 0.001, 3, 1000))
    elif action == "retype":
        parent[key] = rng.choice(["", "0", [], {}, None, True, -3, 1e12, "#12", [0, 0]])
    else:
        parent[key] = rng.choice([0, 0.01, 99999, -0.5, "none", "crossfade", {"type": "crossfade", "duration": 5}])


def run_template_case(doc: Any, clips: dict[str, str], music: str | None, *, frames: int = 2) -> Outcome:
    """Load, build and pull a few frames of a template document; check the invariant."""
    import clipkit as ck
    from clipkit.template import load_template

    outcome = Outcome(case="template")
    started = time.perf_counter()
    try:
        template = load_template(doc)
        slot_ids = [s.get("id") for s in template.slots if isinstance(s, dict)]
        given = {sid: clips[list(clips)[i % len(clips)]] for i, sid in enumerate(slot_ids) if isinstance(sid, str)}
        edit = template.build(given, music=music)
        canvas = template.canvas()
        small = canvas is None or canvas.width * canvas.height <= 320 * 320
        if frames and small and edit.duration <= 60:
            for _ in zip(range(frames), edit.frames(profile="preview")):
                pass
    except BaseException as exc:  # noqa: BLE001
        if isinstance(exc, KeyboardInterrupt):
            raise
        _check_refusal(outcome, exc, "", names_file=False)
    outcome.seconds = time.perf_counter() - started
    outcome.ok = outcome.failure is None
    del ck
    return outcome


def library_templates() -> dict[str, dict[str, Any]]:
    """The library templates as documents (YAML read with the loader's own reader)."""
    import yaml

    from clipkit.resources import templates_dir

    out = {}
    for path in sorted(templates_dir().glob("*.yaml")):
        out[path.stem] = yaml.safe_load(path.read_text())
    return out


def rss_mb() -> float:
    """Resident memory of this process, in MB."""
    import psutil

    return psutil.Process().memory_info().rss / 1e6


def open_fds() -> int:
    """Open file descriptors of this process."""
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:  # pragma: no cover - not Linux
        import psutil

        return psutil.Process().num_fds()


def slope(values: list[float]) -> float:
    """Least-squares slope per step."""
    if len(values) < 2:
        return 0.0
    x = np.arange(len(values), dtype=np.float64)
    return float(np.polyfit(x, np.asarray(values, dtype=np.float64), 1)[0])


# -- soak: a varied render workload -----------------------------------------------------------
SOAK_TEMPLATE = {
    "version": 1,
    "canvas": {"width": 96, "height": 160, "fps": 30},
    "slots": [{"id": "a"}, {"id": "b"}],
    "shots": [
        {"slot": "a", "duration": 0.4},
        {"slot": "b", "start": 0.2, "duration": 0.4, "transition": {"type": "crossfade", "duration": 0.2}},
    ],
    "output": {"preset": "ultrafast"},
}


def mixed_edit(k: int, clips: list[str], song: str, sticker: str) -> Any:
    """The ``k``-th edit of a soak: templates, effects, looks, stickers, text and music
    in turn, at a small size so that hundreds of renders stay quick."""
    import clipkit as ck
    from clipkit.template import load_template

    kind = k % 5
    if kind == 4:
        edit = load_template(SOAK_TEMPLATE).build({"a": clips[0], "b": clips[1 % len(clips)]}, music=song)
        return edit
    a = ck.open(clips[k % len(clips)]).trim(0, 0.5)
    b = ck.open(clips[(k + 1) % len(clips)]).trim(0.2, 0.6)
    if kind == 0:
        a = a.with_effect("vignette", strength=0.5).with_effect("contrast", amount=0.2)
    elif kind == 1:
        a = a.with_look("film")
    edit = ck.sequence([a, b], canvas=ck.Canvas(96, 160, 30), transitions=ck.crossfade(0.2) if kind == 2 else None)
    if kind in (1, 3):
        edit = edit.with_overlay(ck.Sticker(sticker, width=0.3), start=0.0, end=0.6)
    if kind in (2, 3):
        edit = edit.with_overlay(ck.Text("soak"), start=0.1)
    if kind in (0, 2):
        edit = edit.with_music(ck.audio(song))
    return edit


def clipkit_threads() -> list[str]:
    """Names of this process's live threads other than the main one."""
    import threading

    return sorted(t.name for t in threading.enumerate() if t is not threading.main_thread())


class CancelAt:
    """An overlay node that sets ``cancel`` when output frame ``index`` is drawn (a user
    pressing stop at a chosen moment; the render notices at its next frame)."""

    def __init__(self, index: int, cancel: Any) -> None:
        self.index = index
        self.cancel = cancel

    def bind(self, ctx: Any) -> Any:
        def draw(frame: Any, time: Any) -> Any:
            if time.index >= self.index:
                self.cancel.set()
            return frame

        return draw


# -- the same documents as hypothesis strategies (shrinkable, for the test suite) --------------
ASCII = "".join(chr(c) for c in range(32, 127))
WRONG_VALUES = (None, -1, 0, 1e9, "?", "", [], {}, True, "../../etc/passwd", "#zzz", [1, 2], {"x": 1})


def schema_strategy(schema: dict[str, Any], *, depth: int = 0) -> Any:
    """A hypothesis strategy for documents shaped by ``schema``: valid values mostly,
    now and then a wrong one (another type, out of range, an unknown key)."""
    from hypothesis import strategies as st

    valid = _valid_strategy(schema, depth=depth)
    if depth == 0:
        return valid
    # one_of shrinks towards its first branch: towards valid documents
    return st.one_of(valid, valid, valid, valid, valid, valid, valid, st.sampled_from(WRONG_VALUES))


def _valid_strategy(schema: dict[str, Any], *, depth: int) -> Any:
    from hypothesis import strategies as st

    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return st.one_of([schema_strategy(sub, depth=depth) for sub in schema[key]])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([_valid_strategy({**schema, "type": k}, depth=depth) for k in kind])
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        required = set(schema.get("required", ()))
        if depth >= 5:
            props = {k: v for k, v in props.items() if k in required}
        fixed = {k: schema_strategy(v, depth=depth + 1) for k, v in props.items() if k in required}
        optional = {k: schema_strategy(v, depth=depth + 1) for k, v in props.items() if k not in required}
        doc = st.fixed_dictionaries(fixed, optional=optional)
        if depth == 0:
            return doc
        return st.one_of(doc, doc, doc, doc, doc, doc, doc, doc, doc, doc.map(lambda d: {**d, "unknown_key": 1}))
    if kind == "array":
        lo = int(schema.get("minItems", 0))
        hi = min(int(schema.get("maxItems", lo + 3)), lo + 3)
        return st.lists(schema_strategy(schema.get("items", {}), depth=depth + 1), min_size=lo, max_size=max(lo, hi))
    if kind == "integer":
        lo = schema.get("minimum")
        hi = schema.get("maximum")
        ints = st.integers(min_value=lo if lo is not None else -10, max_value=hi if hi is not None else (lo or 0) + 200)
        step = int(schema.get("multipleOf", 1))
        return ints.map(lambda v: v - v % step) if step > 1 else ints
    if kind == "number":
        lo = schema.get("minimum", schema.get("exclusiveMinimum"))
        hi = schema.get("maximum")
        lo = float(lo) if lo is not None else -10.0
        hi = float(hi) if hi is not None else lo + 12.0
        return st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False).map(lambda v: round(v, 3))
    if kind == "boolean":
        return st.booleans()
    if kind == "string":
        pattern = schema.get("pattern")
        samples = st.sampled_from(["a", "intro", "clip1", "#ff0000", "red", "hello {name}", "1/2", "30", "cover", "x" * 30])
        if pattern:
            return st.one_of(st.from_regex(pattern, fullmatch=True, alphabet=ASCII), samples)
        return samples
    return st.sampled_from([0, "a", None])
