"""Kernels that load numba only when they run, and colour cubes kept on disk between processes."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from clipkit.jit import Kernel, declared_kernels, njit

ROOT = Path(__file__).resolve().parent.parent


def _fresh(code: str, **env: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300, env={**os.environ, **env})
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@njit(nogil=True, cache=False)
def _double(x: float) -> float:
    return 2.0 * x


@njit(nogil=True, cache=False)
def _double_plus_one(x: float) -> float:
    return _double(x) + 1.0  # a kernel calling a kernel: numba must see a dispatcher here


def test_a_kernel_is_built_on_first_call_and_can_call_other_kernels() -> None:
    kernels = {k.py_func.__name__: k for k in declared_kernels(__name__)}
    assert set(kernels) == {"_double", "_double_plus_one"}
    outer = kernels["_double_plus_one"]
    assert outer.options == {"nogil": True, "cache": False}
    assert outer(3.0) == 7.0
    assert outer.signatures  # numba's attributes are reached through the kernel
    assert "built" in repr(outer) and "built" in repr(kernels["_double"])
    # building swapped the module's names for the dispatchers, as numba's typing needs
    assert not isinstance(globals()["_double"], Kernel) and globals()["_double"](1.5) == 3.0


def test_a_kernel_pickles_as_a_reference_to_its_module_name() -> None:
    again = pickle.loads(pickle.dumps(_double))
    assert again(2.0) == 4.0


def test_importing_the_effects_and_building_an_edit_loads_no_numba() -> None:
    loaded = _fresh(
        "import json, sys, clipkit as ck, clipkit.effects as fx\n"
        "fx.effect_ids(); ck.look('teal_orange')\n"
        "print(json.dumps(sorted(m for m in ('numba', 'llvmlite') if m in sys.modules)))"
    )
    assert loaded == []


@pytest.mark.parametrize("look", ["vintage", "noir", "retro_vhs"])
def test_looks_with_vignette_grain_black_and_white_and_vhs_render_without_numba(look: str, portrait: str) -> None:
    """Their per-frame work is 8-bit OpenCV passes: the look costs no LLVM load (60-145 MB)."""
    loaded = _fresh(
        "import json, sys, clipkit as ck\n"
        f"plain = ck.sequence([ck.open({portrait!r}).trim(0, 0.3)], canvas=ck.Canvas(160, 284, 30))\n"
        f"pairs = list(zip(plain.frames(), plain.with_look({look!r}).frames()))\n"
        "change = min(float(abs(a.y.astype(int) - b.y).mean()) for a, b in pairs)\n"
        "print(json.dumps({'numba': 'numba' in sys.modules, 'change': change, 'frames': len(pairs)}))"
    )
    assert loaded["numba"] is False
    assert loaded["frames"] == 9 and loaded["change"] > 2.0  # the look is there on every frame


def test_a_look_of_colour_cubes_tables_and_sharpen_renders_without_numba_once_its_cube_is_built(tmp_path: Path, portrait: str) -> None:
    """teal_orange (a LUT, contrast, sharpen): the first process builds the cube (numba) and
    keeps it on disk; the next renders the look with OpenCV alone and gets the same frames."""
    code = (
        "import json, sys, hashlib, clipkit as ck\n"
        f"edit = ck.sequence([ck.open({portrait!r}).trim(0, 0.4)], canvas=ck.Canvas(160, 284, 30)).with_look('teal_orange')\n"
        "frames = [f.y.tobytes() + f.u.tobytes() for f in edit.frames()]\n"
        "print(json.dumps({'numba': 'numba' in sys.modules, 'digest': hashlib.sha1(b''.join(frames)).hexdigest()}))"
    )
    cache = str(tmp_path / "cache")
    first = _fresh(code, CLIPKIT_CACHE_DIR=cache)
    cubes = list((tmp_path / "cache" / "cubes").glob("*.npy"))
    # the LUT's cube, and the same cube with the contrast table folded into its Y
    assert len(cubes) == 2 and all(c.stat().st_size > 12_000_000 for c in cubes)
    second = _fresh(code, CLIPKIT_CACHE_DIR=cache)
    assert first["numba"] is True and second["numba"] is False
    assert first["digest"] == second["digest"]


def test_a_damaged_or_unwritable_cube_cache_only_costs_a_rebuild(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from clipkit.effects.kernels import CubeCache, new_cube

    monkeypatch.setenv("CLIPKIT_CACHE_DIR", str(tmp_path))
    builds: list[int] = []

    def build() -> np.ndarray:
        builds.append(1)
        cube = new_cube()
        cube[...] = 7
        return cube

    assert CubeCache().get(("test", 1), build)[0, 0, 0, 0] == 7
    (path,) = (tmp_path / "cubes").glob("*.npy")
    assert CubeCache().get(("test", 1), build)[5, 5, 5, 2] == 7 and len(builds) == 1  # read back, not rebuilt
    path.write_bytes(b"not a cube")
    assert CubeCache().get(("test", 1), build)[1, 2, 3, 1] == 7 and len(builds) == 2
    assert CubeCache().get(("test", 2), build).shape == new_cube().shape  # another key, another file
    assert len(list((tmp_path / "cubes").glob("*.npy"))) == 2
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder should be")
    monkeypatch.setenv("CLIPKIT_CACHE_DIR", str(blocked))
    assert CubeCache().get(("test", 3), build)[0, 0, 0, 0] == 7 and len(builds) == 4


def test_cached_cubes_are_mapped_read_only_and_their_folds_are_kept_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mmap

    from clipkit.effects.kernels import CubeCache, fold_luma_tables, new_cube

    monkeypatch.setenv("CLIPKIT_CACHE_DIR", str(tmp_path))
    rng = np.random.default_rng(9)
    random_cube = rng.integers(0, 256, new_cube().shape, dtype=np.uint8)
    cache = CubeCache()
    cube = cache.get(("test", "mapped"), lambda: random_cube.copy())
    assert np.array_equal(cube, random_cube) and not cube.flags.writeable
    assert isinstance(cube.base, mmap.mmap) or isinstance(getattr(cube.base, "base", None), mmap.mmap)
    table = rng.integers(0, 256, 256, dtype=np.uint8)
    folded = cache.folded(cube, 0.7, table)
    assert np.array_equal(folded, fold_luma_tables(random_cube, 0.7, table)) and not folded.flags.writeable
    assert cache.folded(cube, 0.7, table) is folded  # from memory the second time
    assert len(list((tmp_path / "cubes").glob("*.npy"))) == 2
    again = CubeCache().folded(CubeCache().get(("test", "mapped"), lambda: pytest.fail("rebuilt")), 0.7, table)
    assert np.array_equal(again, folded)  # a fresh process reads the fold back
    loose = random_cube.copy()  # not from a cache: folded in memory, not stored
    assert np.array_equal(cache.folded(loose, 0.7, table), folded)
    assert len(list((tmp_path / "cubes").glob("*.npy"))) == 2


def test_folded_luma_tables_equal_the_cube_then_the_table() -> None:
    from clipkit.effects.kernels import apply_cube, fold_luma_tables, lookup

    rng = np.random.default_rng(4)
    cube = rng.integers(0, 256, (128, 128, 256, 3), dtype=np.uint8)
    table = rng.integers(0, 256, 256, dtype=np.uint8)
    y = rng.integers(0, 256, (64, 96), dtype=np.uint8)
    u = rng.integers(0, 256, (32, 48), dtype=np.uint8)
    v = rng.integers(0, 256, (32, 48), dtype=np.uint8)
    for strength in (1.0, 0.6, 0.25):
        y1, u1, v1 = apply_cube(y, u, v, cube, strength)
        y2, u2, v2 = apply_cube(y, u, v, fold_luma_tables(cube, strength, table), strength, 1.0)
        assert np.array_equal(lookup(y1, table), y2) and np.array_equal(u1, u2) and np.array_equal(v1, v2)


def test_a_cube_read_band_by_band_is_each_pixels_own_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    from clipkit import cube as cube_module
    from clipkit.effects import kernels

    rng = np.random.default_rng(6)
    cube = rng.integers(0, 256, (128, 128, 256, 3), dtype=np.uint8)
    h, w = 70, 40
    y = rng.integers(0, 256, (h, w), dtype=np.uint8)
    u = rng.integers(0, 256, (h // 2, w // 2), dtype=np.uint8)
    v = rng.integers(0, 256, (h // 2, w // 2), dtype=np.uint8)
    # the definition, per pixel: the entry at (U >> 1, V >> 1, Y), chroma as 2x2 means
    entries = cube[(u >> 1).repeat(2, 0).repeat(2, 1), (v >> 1).repeat(2, 0).repeat(2, 1), y].astype(np.float64)
    want_y = entries[..., 0]
    means = entries.reshape(h // 2, 2, w // 2, 2, 3).mean(axis=(1, 3))
    want_u, want_v = np.floor(means[..., 1] + 0.5), np.floor(means[..., 2] + 0.5)
    monkeypatch.setattr(cube_module, "_CUBE_BAND_PIXELS", 6 * w)  # bands of 6 rows, the last one of 4
    got = kernels.apply_cube(y, u, v, cube, 1.0)
    monkeypatch.setattr(cube_module, "_CUBE_BAND_PIXELS", 10**9)
    whole = kernels.apply_cube(y, u, v, cube, 1.0)
    assert np.array_equal(got[0], want_y) and np.array_equal(got[1], want_u) and np.array_equal(got[2], want_v)
    assert all(np.array_equal(a, b) for a, b in zip(got, whole))
    half = kernels.apply_cube(y, u, v, cube, 0.5)
    assert np.abs(half[0].astype(int) - np.floor(0.5 * want_y + 0.5 * y + 0.5)).max() == 0


@pytest.mark.parametrize("numba_first", [True, False])
def test_an_authors_own_numba_kernel_may_call_a_clipkit_kernel(numba_first: bool) -> None:
    """Plugins written with ``from numba import njit`` keep calling ``kernels.u8``."""
    imports = "import numba\nimport clipkit.effects as fx\n" if numba_first else "import clipkit.effects as fx\nimport numba\nfx.effect_ids()\n"
    result = _fresh(
        imports + "import json\nfrom clipkit.effects.kernels import u8\n"
        "@numba.njit\ndef mine(x):\n    return u8(x * 2.0)\n"
        "print(json.dumps(int(mine(100.3))))"
    )
    assert result == 201


def test_row_bands_cover_every_row_once() -> None:
    from clipkit.effects.kernels import row_bands

    assert row_bands(10, 4, pixels=12) == [(0, 3), (3, 6), (6, 9), (9, 10)]
    assert row_bands(10, 4, pixels=12, even=True) == [(0, 2), (2, 4), (4, 6), (6, 8), (8, 10)]
    assert row_bands(5, 1000, pixels=10) == [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]  # at least one row
    assert row_bands(1920, 1080, pixels=276_480) == [(r, min(1920, r + 256)) for r in range(0, 1920, 256)]
