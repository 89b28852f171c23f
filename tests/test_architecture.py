"""The package layering: data flows one way (template -> edit model -> plan -> stream ->
encode), and ``import clipkit`` stays light.

The import graph is read from the source with :mod:`ast`, imports inside functions
included (a function-level import is still a dependency; it only hides a cycle), imports
under ``if TYPE_CHECKING:`` excluded (they never run). Every edge between two clipkit
packages must go from a higher layer to a lower one; the few call-time forwards that a
convenient API needs are listed, each with its reason, and nothing else may cross upward.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "clipkit"

# Lower numbers are lower layers; a module may import only from layers below its own
# (and from its own package).
LAYERS: dict[str, int] = {
    "clipkit._version": 0,
    "clipkit.errors": 0,
    "clipkit.registry": 1,
    "clipkit.easing": 1,
    "clipkit.resources": 1,
    "clipkit.jit": 1,  # numba, imported when a kernel first runs
    "clipkit.frame": 1,
    "clipkit.nodes": 2,
    "clipkit.cube": 2,  # colour cubes: applied by looks (effects) and the decoder's HDR conversion
    "clipkit.envelope": 3,
    "clipkit.media": 4,  # decoding
    "clipkit.audio": 5,  # tracks (data), mixer, finishing
    "clipkit.effects": 6,  # frame nodes: effects and looks
    "clipkit.transitions": 6,
    "clipkit.overlays": 6,
    "clipkit.edit": 7,  # the edit model: clips, shots, tracks, time maps, framing requests
    "clipkit.music": 8,  # analysis and montage planning (builds edits through the API)
    "clipkit.timefx": 8,
    "clipkit.reframe": 8,
    "clipkit.testing": 8,
    "clipkit.render": 9,  # plan -> stream -> encode
    "clipkit.layouts": 10,  # composite sources that play their cells through render.stream
    "clipkit.interop": 10,
    "clipkit.template": 11,  # template -> features, one direction
    "clipkit": 12,  # the package's lazy names: the public API
    "clipkit.library": 13,
    "clipkit.batch": 14,  # builds templates with the library's placeholder clips to validate jobs
    "clipkit.vision": 5,
    "clipkit.cli": 15,
    "clipkit.__main__": 16,
}

# Upward edges allowed, each a call-time forward with its reason.
FORWARDS: dict[tuple[str, str], str] = {
    ("clipkit.edit.edit", "clipkit.render.executor"): "Edit.render() and Edit.frames() forward to the renderer at call time",
    ("clipkit.effects.warmup", "clipkit.testing"): "clipkit warmup runs the conformance frames to compile every kernel",
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path) -> list[tuple[str, int]]:
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for sub in child.orelse:
                    visit(sub)
                continue
            if isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - child.level + 1]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                if target.startswith("clipkit"):
                    found.append((target, child.lineno))
                    if not child.module or child.level:  # from . import x: x may be a module
                        for alias in child.names:
                            found.append((f"{target}.{alias.name}", child.lineno))
            elif isinstance(child, ast.Import):
                found.extend((a.name, child.lineno) for a in child.names if a.name.startswith("clipkit"))
            visit(child)

    visit(ast.parse(path.read_text(), filename=str(path)))
    return found


def _layer_of(module: str) -> tuple[str, int] | None:
    best = None
    for name, layer in LAYERS.items():
        if module == name or (name != "clipkit" and module.startswith(name + ".")):
            if best is None or len(name) > len(best[0]):
                best = (name, layer)
    return best


def _edges() -> list[tuple[str, str, int]]:
    edges = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = _module_name(path)
        for target, line in _imports(path):
            edges.append((source, target, line))
    return edges


def test_every_module_has_a_layer() -> None:
    missing = sorted({m for m, _, _ in _edges() if _layer_of(m) is None})
    assert missing == []


def test_imports_only_go_down_the_layers() -> None:
    wrong = []
    for source, target, line in _edges():
        a, b = _layer_of(source), _layer_of(target)
        if a is None or b is None or a[0] == b[0]:
            continue
        if b[1] >= a[1] and not any(source.startswith(s) and target.startswith(t) for s, t in FORWARDS):
            wrong.append(f"{source}:{line} imports {target} ({a[0]} is layer {a[1]}, {b[0]} is layer {b[1]})")
    assert wrong == []


def test_the_edit_model_imports_no_renderer_music_reframe_or_timefx() -> None:
    banned = ("clipkit.render", "clipkit.music", "clipkit.reframe", "clipkit.timefx", "clipkit.template")
    found = [
        f"{s}:{line} -> {t}"
        for s, t, line in _edges()
        if s.startswith("clipkit.edit") and t.startswith(banned) and not any(s.startswith(a) and t.startswith(b) for a, b in FORWARDS)
    ]
    assert found == []


def test_features_do_not_import_the_template_package() -> None:
    features = ("clipkit.effects", "clipkit.music", "clipkit.overlays", "clipkit.layouts", "clipkit.timefx", "clipkit.reframe")
    found = [f"{s}:{line} -> {t}" for s, t, line in _edges() if s.startswith(features) and t.startswith("clipkit.template")]
    assert found == []


def _fresh(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_clipkit_loads_no_heavy_library() -> None:
    loaded = _fresh(
        "import json, sys; import clipkit; "
        "print(json.dumps(sorted(m for m in ('av', 'numpy', 'numba', 'cv2', 'PIL', 'scipy', 'yaml', 'librosa') if m in sys.modules)))"
    )
    assert loaded == []


def test_names_still_resolve_lazily() -> None:
    names = _fresh(
        "import json, clipkit as ck; "
        "print(json.dumps([ck.open.__module__, ck.sequence.__module__, ck.Edit.__name__, ck.crossfade.__module__, "
        "ck.Text.__name__, ck.get_profile('tiktok').name]))"
    )
    assert names == ["clipkit.edit.clip", "clipkit.edit.edit", "Edit", "clipkit.transitions", "Text", "tiktok"]


@pytest.mark.parametrize(
    "package",
    ["clipkit.edit", "clipkit.audio", "clipkit.media", "clipkit.render", "clipkit.music", "clipkit.effects", "clipkit.template", "clipkit.layouts", "clipkit.timefx"],
)
def test_each_package_imports_alone(package: str) -> None:
    assert _fresh(f"import importlib, json; importlib.import_module({package!r}); print(json.dumps(True))") is True


def test_music_analysis_knows_no_edit_and_renders_nothing() -> None:
    pure = ("clipkit.music.analysis", "clipkit.music.dsp", "clipkit.music.cache", "clipkit.music.cuts")
    found = [
        f"{s}:{line} -> {t}"
        for s, t, line in _edges()
        if s.startswith(pure) and t.startswith(("clipkit.edit", "clipkit.render", "clipkit.template"))
    ]
    assert found == []


def test_a_clip_renders_on_its_own(tmp_path: Path) -> None:
    import av

    import clipkit as ck

    out = tmp_path / "card.mp4"
    result = ck.color("#3366cc", duration=0.5).render(out, canvas=ck.Canvas(64, 112, fps=10), profile="preview")
    assert result.frames == 5 and out.is_file()
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (32, 56)  # preview is half size
        assert sum(1 for _ in container.decode(stream)) == 5
