"""Colour cubes: any per-pixel colour transform of YUV 4:2:0 frames as one table lookup.

A cube maps each pixel's (Y, U >> 1, V >> 1) to an output (Y, U, V), 12.6 MB of uint8.
Looks build theirs from their effects (``clipkit.effects``), the decoder builds one to
take HDR sources to SDR (``clipkit.media.colour``); both apply them with
:func:`apply_cube` and keep them in :data:`CUBES`, in memory and on disk. OpenCV and
numpy only: applying a cube never loads numba.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["CUBE_CHROMA", "CUBE_SHAPE", "CUBES", "CubeCache", "apply_cube", "fold_luma_tables", "new_cube", "row_bands"]


CUBE_CHROMA = 128  # chroma entries per axis (7 bits: U and V are looked up at u >> 1, v >> 1)


CUBE_SHAPE = (CUBE_CHROMA, CUBE_CHROMA, 256, 3)


def new_cube() -> np.ndarray:
    """An empty colour cube: output (Y, U, V) indexed (U >> 1, V >> 1, Y), uint8.

    Shape (128, 128, 256, 3), 12.6 MB. Seen as an image of 16384 rows (one per chroma
    pair) by 256 columns (luma) of 3-channel pixels, one ``cv2.remap`` reads all three
    outputs of every pixel, and the four pixels of a 2x2 block share a row.
    """
    return np.empty(CUBE_SHAPE, np.uint8)


def apply_cube(
    y: np.ndarray, u: np.ndarray, v: np.ndarray, cube: np.ndarray, strength: float, luma_strength: float = -1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Map every pixel through a colour cube, blended with the input by ``strength``.

    Y per pixel; U and V are each 2x2 block's mean output (rounded), blended with the
    block's input chroma. OpenCV all the way, so a look of colour cubes and luma tables
    never loads numba: each pixel's (luma, chroma pair) becomes a fixed-point map, one
    nearest-neighbour ``cv2.remap`` of the cube seen as an image reads Y, U and V out,
    an area resize averages the blocks. Measured at 1080x1920 on one thread: about the
    cost of the numba loop it replaced, whose LLVM load alone was 60-75 MB of RSS.
    ``luma_strength`` (when >= 0) blends Y by its own amount: a cube whose Y already holds
    the blend (see :func:`fold_luma_tables`) is applied with ``luma_strength=1``.
    """
    import cv2

    h, w = y.shape
    oy = np.empty((h, w), np.uint8)
    ou = np.empty((h // 2, w // 2), np.uint8)
    ov = np.empty((h // 2, w // 2), np.uint8)
    table = cube.reshape(CUBE_CHROMA * CUBE_CHROMA, 256, 3)
    sy = strength if luma_strength < 0.0 else luma_strength
    # a band of rows at a time: the int16 maps and the 3-channel read-out are about 13
    # bytes a pixel, 8.5 MB for a 608x1080 source crop and 27 MB at 1080x1920 in one go
    for r0, r1 in row_bands(h, w, pixels=_CUBE_BAND_PIXELS, even=True):
        c0, c1 = r0 // 2, r1 // 2
        # (u >> 1) * CUBE_CHROMA + (v >> 1), and luma as int16: numpy's SIMD shifts and casts
        # (0.06 + 0.03 ms at 608x1080) rather than cv2.LUT's gathers (0.18 + 0.35 ms)
        pairs = np.right_shift(u[c0:c1], 1).astype(np.int16)
        pairs *= CUBE_CHROMA
        pairs += np.right_shift(v[c0:c1], 1)
        rows = cv2.resize(pairs, (w, r1 - r0), interpolation=cv2.INTER_NEAREST)
        where = cv2.merge([y[r0:r1].astype(np.int16), rows])
        out = cv2.remap(table, where, None, cv2.INTER_NEAREST)
        if sy != 1.0:
            cv2.addWeighted(cv2.extractChannel(out, 0), sy, y[r0:r1], 1.0 - sy, _HALF_UP, dst=oy[r0:r1])
        else:
            cv2.extractChannel(out, 0, dst=oy[r0:r1])
        if c1 > c0:
            means = cv2.resize(out, (w // 2, c1 - c0), interpolation=cv2.INTER_AREA)
            for k, (dst, src) in enumerate(((ou, u), (ov, v)), start=1):
                if strength != 1.0:
                    cv2.addWeighted(cv2.extractChannel(means, k), strength, src[c0:c1], 1.0 - strength, _HALF_UP, dst=dst[c0:c1])
                else:
                    cv2.extractChannel(means, k, dst=dst[c0:c1])
    return oy, ou, ov


_CUBE_BAND_PIXELS = 160_000
"""Pixels :func:`apply_cube` maps per band (256 rows of a 608-wide crop): the same cost as the
whole frame in one go on real footage (2.26 against 2.14-2.37 ms a frame at 608x1080), and
half of it on frames whose colours jump about the cube (2.4 against 4.7 ms)."""


def row_bands(height: int, width: int, *, pixels: int, even: bool = False) -> list[tuple[int, int]]:
    """Row spans ``(r0, r1)`` covering ``height`` rows, each of about ``pixels`` pixels.

    Work that makes several passes over a whole plane runs faster band by band: each
    band's intermediate planes stay in the CPU cache (see ``docs/authoring.md``).

    Parameters
    ----------
    height, width : int >= 1
        Plane size in pixels.
    pixels : int >= 1
        Pixels per band (at least one row, or two with ``even``).
    even : bool
        Every band starts on an even row (the chroma rows of 4:2:0 planes line up).
    """
    rows = max(1, pixels // max(1, width))
    if even:
        rows = max(2, rows // 2 * 2)
    return [(r0, min(height, r0 + rows)) for r0 in range(0, height, rows)]


_HALF_UP = 1e-4  # OpenCV rounds halves to even; this tips them up, as u8 (and a folded table) rounds


def fold_luma_tables(cube: np.ndarray, strength: float, table: np.ndarray) -> np.ndarray:
    """A cube whose Y output is ``table[blend(Y)]``: the cube at ``strength``, then a luma table.

    ``apply_cube(y, u, v, folded, strength, luma_strength=1.0)`` then gives what
    ``apply_cube(y, u, v, cube, strength)`` followed by ``table[y]`` gives (the blend
    rounded as :func:`u8` rounds), in one pass instead of two. Built a slab of chroma
    rows at a time, so its float temporaries stay at a few MB (whole-cube ones were 48 MB,
    and the heap keeps its high-water mark).
    """
    folded = cube.copy()
    if strength == 1.0:
        folded[..., 0] = table[cube[..., 0]]
        return folded
    ys = np.arange(256, dtype=np.float32)
    s = np.float32(strength)
    for start in range(0, cube.shape[0], 8):
        out = cube[start : start + 8, ..., 0].astype(np.float32)
        out -= ys
        out *= s
        out += ys + np.float32(0.5)
        np.floor(out, out=out)
        np.clip(out, 0, 255, out=out)
        folded[start : start + 8, ..., 0] = table[out.astype(np.uint8)]
    return folded


class CubeCache:
    """Colour cubes by key: a few in memory (least recently used) over a folder of built ones.

    A cube takes 0.1-0.3 s to build (numba loops over its 4.2 M entries) and is the
    same in every process, so built cubes are kept in ``user_cache_dir("cubes")`` as
    ``.npy`` files (12.6 MB each; the newest :attr:`FILES` are kept, 400 MB at most): a
    render in a fresh process reads its look's cube in a few milliseconds and loads no
    numba (``clipkit warmup`` builds every installed look's). The file name hashes the
    key with the size and modification time of the builder's source and of this
    module, so editing either rebuilds. The folder is an optimisation: when it cannot
    be written the cube is built and kept in memory only.

    Cubes read from the folder are memory-mapped, read-only: a render holds only the
    pages of the colours its frames have (real footage uses a small part of the
    cube), and worker processes share them. A cube with luma tables folded in
    (:meth:`folded`) is kept the same way, and is built through a mapping of its own,
    so a look whose cube is always used folded never holds the unfolded one at all
    (25 MB of a render's peak before).
    """

    FILES = 32

    def __init__(self, size: int = 4) -> None:
        import threading

        self._size = size
        self._items: dict = {}
        self._lock = threading.Lock()
        self._files: dict[int, tuple[Any, Any]] = {}  # id(cube) -> (weak reference, file)

    def get(self, key, build):  # noqa: ANN001, ANN201
        """The cube of ``key``: from memory, from the folder, or ``build()`` (then stored)."""
        return self._get(key, build, lambda: self._path(key, build))

    def folded(self, cube: np.ndarray, strength: float, table: np.ndarray) -> np.ndarray:
        """``fold_luma_tables(cube, strength, table)``, kept as cubes are.

        ``cube`` is one this cache handed out; others are folded in memory only.
        """
        source = self._source_file(cube)
        if source is None:
            return fold_luma_tables(cube, strength, table)
        key = ("folded", str(source), float(strength), table.tobytes())

        def build() -> np.ndarray:
            # through a mapping of its own: the pages read here leave with it
            base = _read_cube(source)
            return fold_luma_tables(cube if base is None else base, strength, table)

        return self._get(key, build, lambda: self._path(key, fold_luma_tables))

    def _get(self, key, build, path_of):  # noqa: ANN001, ANN202
        with self._lock:
            hit = self._items.pop(key, None)
            if hit is not None:
                self._items[key] = hit
                return hit
        path = path_of()
        cube = _read_cube(path)
        if cube is None:
            built = build()
            _write_cube(path, built, keep=self.FILES)
            cube = _read_cube(path)  # mapped when it could be written, else the one in memory
            if cube is None:
                cube, path = built, None
        if path is not None:
            self._remember_file(cube, path)
        with self._lock:
            self._items[key] = cube
            while len(self._items) > self._size:
                self._items.pop(next(iter(self._items)))
        return cube

    def _remember_file(self, cube: np.ndarray, path: Any) -> None:
        import weakref

        ident = id(cube)
        with self._lock:
            self._files[ident] = (weakref.ref(cube, lambda _ref: self._files.pop(ident, None)), path)

    def _source_file(self, cube: np.ndarray) -> Any:
        with self._lock:
            entry = self._files.get(id(cube))
        if entry is None or entry[0]() is not cube:
            return None
        return entry[1]

    @staticmethod
    def _path(key, build):  # noqa: ANN001, ANN205
        import hashlib
        import os

        from .resources import user_cache_dir

        stamps = []
        for source in (build.__code__.co_filename, __file__):
            try:
                st = os.stat(source)
                stamps.append((source, st.st_size, st.st_mtime_ns))
            except OSError:
                stamps.append((source, 0, 0))
        digest = hashlib.blake2b(repr((key, stamps, CUBE_SHAPE)).encode(), digest_size=16).hexdigest()
        return user_cache_dir("cubes") / f"{digest}.npy"


def _read_cube(path):  # noqa: ANN001, ANN202
    """The cube stored at ``path``, memory-mapped read-only (None if missing or damaged)."""
    try:
        mapped = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    if mapped.shape != CUBE_SHAPE or mapped.dtype != np.uint8:
        return None
    return np.asarray(mapped)  # a plain array over the mapping (np.memmap's subclass leaks into results)


def _write_cube(path, cube: np.ndarray, *, keep: int) -> None:  # noqa: ANN001
    import os
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".cube-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                np.save(f, cube, allow_pickle=False)
            os.replace(tmp, path)  # never rewritten in place: mappings of the old file stay valid
        except BaseException:
            os.unlink(tmp)
            raise
        cubes = sorted(path.parent.glob("*.npy"), key=lambda p: p.stat().st_mtime_ns)
        for old in cubes[:-keep]:
            old.unlink(missing_ok=True)
    except OSError:
        return  # a read-only or full cache folder: the cube still works from memory


CUBES = CubeCache()
"""The process-wide cube cache (12.6 MB per cube)."""
