"""3D LUTs in the ``.cube`` format (Adobe/Resolve): reading, writing, finding, and
a numpy reference of trilinear and tetrahedral lookup.

A ``.cube`` file lists ``LUT_3D_SIZE``\\ :sup:`3` output colours, red changing fastest,
for inputs on a regular grid spanning ``DOMAIN_MIN`` .. ``DOMAIN_MAX`` (0..1 by
default). The fast lookup lives in the ``lut`` effect (``effects/lut.py``).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ParameterError
from ..resources import presets_dir

__all__ = [
    "CubeLut",
    "read_cube",
    "write_cube",
    "load_cube",
    "identity_table",
    "bundled_luts",
    "resolve_lut",
    "ref_lookup",
    "MIN_SIZE",
    "MAX_SIZE",
    "TRANSFERS",
    "transfer_table",
]

MIN_SIZE, MAX_SIZE = 2, 256


@dataclass(frozen=True, eq=False)
class CubeLut:
    """A 3D LUT.

    Attributes
    ----------
    table : np.ndarray, shape (N, N, N, 3), float32
        Output RGB in 0..1 indexed ``[r, g, b]``.
    domain_min, domain_max : np.ndarray, shape (3,), float32
        Input range per channel.
    title : str
        The file's TITLE, if any.
    path : str
        Where it was read from ('' when built in memory).
    """

    table: np.ndarray
    domain_min: np.ndarray
    domain_max: np.ndarray
    title: str = ""
    path: str = ""

    @property
    def size(self) -> int:
        """Points per axis."""
        return int(self.table.shape[0])


def identity_table(size: int) -> np.ndarray:
    """The (N, N, N, 3) table that maps every colour to itself."""
    g = np.linspace(0.0, 1.0, size, dtype=np.float32)
    r, gg, b = np.meshgrid(g, g, g, indexing="ij")
    return np.stack([r, gg, b], axis=-1)


def read_cube(path: str | os.PathLike[str]) -> CubeLut:
    """Read a ``.cube`` 3D LUT.

    Parameters
    ----------
    path : str or path-like
        The file.

    Returns
    -------
    CubeLut

    Raises
    ------
    ParameterError
        When the file is missing or malformed; the message names the file and line.
    """
    p = os.fspath(path)
    try:
        text = Path(p).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise ParameterError(f"lut: cannot read {p!r}: {exc.strerror or exc}") from None
    size = None
    title = ""
    dmin = np.zeros(3, np.float32)
    dmax = np.ones(3, np.float32)
    rows: list[str] = []  # the colour lines, parsed all at once below
    numbers: list[int] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        head = line.split(None, 1)[0].upper()
        where = f"{p} line {number}"
        if head[0].isalpha():
            rest = line[len(head):].strip()
            if head == "TITLE":
                title = rest.strip('"')
            elif head == "LUT_3D_SIZE":
                try:
                    size = int(rest)
                except ValueError:
                    raise ParameterError(f"{where}: LUT_3D_SIZE {rest!r} is not a whole number") from None
                if not MIN_SIZE <= size <= MAX_SIZE:
                    raise ParameterError(f"{where}: LUT_3D_SIZE {size} is outside {MIN_SIZE}..{MAX_SIZE}")
            elif head == "LUT_1D_SIZE":
                raise ParameterError(f"{where}: a 1D LUT; the lut effect takes 3D LUTs (LUT_3D_SIZE); use curves for 1D")
            elif head in ("DOMAIN_MIN", "DOMAIN_MAX"):
                vals = _floats(rest, where, 3)
                (dmin if head == "DOMAIN_MIN" else dmax)[:] = vals
            elif head == "LUT_3D_INPUT_RANGE":
                lo, hi = _floats(rest, where, 2)
                dmin[:] = lo
                dmax[:] = hi
            # other keywords (LUT_IN_VIDEO_RANGE...) do not change the maths; skip them
            continue
        rows.append(line)
        numbers.append(number)
    colours = _colour_rows(rows, numbers, p)
    if size is None:
        raise ParameterError(f"{p}: no LUT_3D_SIZE line; not a 3D .cube LUT")
    if len(rows) != size**3:
        raise ParameterError(f"{p}: {len(rows)} colour rows for LUT_3D_SIZE {size}; expected {size ** 3}")
    if np.any(dmax <= dmin):
        raise ParameterError(f"{p}: DOMAIN_MAX {dmax.tolist()} must be above DOMAIN_MIN {dmin.tolist()} on every channel")
    data = colours.astype(np.float32).reshape(size, size, size, 3)  # [b, g, r]
    table = np.ascontiguousarray(data.transpose(2, 1, 0, 3))
    return CubeLut(table, dmin, dmax, title, p)


def _colour_rows(rows: list[str], numbers: list[int], path: str) -> np.ndarray:
    """The colour lines as an (n, 3) array: numpy's parser for a well-formed file (a
    33-point cube in 20 ms, against 120 ms line by line), and line by line to name the
    line when it is not."""
    try:
        data = np.loadtxt(rows, dtype=np.float64, ndmin=2, comments=None)
        if data.shape == (len(rows), 3) and np.isfinite(data).all():
            return data
    except ValueError:
        pass
    return np.asarray([_floats(line, f"{path} line {number}", 3) for line, number in zip(rows, numbers)], np.float64).reshape(-1, 3)


def _floats(text: str, where: str, count: int) -> list[float]:
    parts = text.split()
    if len(parts) != count:
        raise ParameterError(f"{where}: expected {count} numbers, got {text!r}")
    try:
        vals = [float(x) for x in parts]
    except ValueError:
        raise ParameterError(f"{where}: {text!r} is not {count} numbers") from None
    if not all(np.isfinite(vals)):
        raise ParameterError(f"{where}: {text!r} has a non-finite number")
    return vals


def write_cube(
    path: str | os.PathLike[str],
    table: np.ndarray,
    *,
    title: str = "",
    domain_min: tuple[float, float, float] = (0.0, 0.0, 0.0),
    domain_max: tuple[float, float, float] = (1.0, 1.0, 1.0),
    decimals: int = 6,
) -> None:
    """Write an (N, N, N, 3) table indexed ``[r, g, b]`` as a ``.cube`` file.

    Parameters
    ----------
    path : str or path-like
        The file to write.
    table : np.ndarray, shape (N, N, N, 3)
        Output colours in 0..1.
    title : str
        Written as TITLE when given.
    domain_min, domain_max : tuple of 3 floats
        Input range (written only when not 0..1).
    decimals : int in [3, 9]
        Digits after the point (4 is plenty for 8-bit video and keeps files small).
    """
    n = table.shape[0]
    if table.shape != (n, n, n, 3):
        raise ParameterError(f"write_cube: table shape {table.shape} is not (N, N, N, 3)")
    lines = []
    if title:
        lines.append(f'TITLE "{title}"')
    lines.append(f"LUT_3D_SIZE {n}")
    if tuple(domain_min) != (0.0, 0.0, 0.0) or tuple(domain_max) != (1.0, 1.0, 1.0):
        lines.append("DOMAIN_MIN " + " ".join(f"{x:.6g}" for x in domain_min))
        lines.append("DOMAIN_MAX " + " ".join(f"{x:.6g}" for x in domain_max))
    flat = table.transpose(2, 1, 0, 3).reshape(-1, 3)  # red fastest
    fmt = f"{{:.{int(decimals)}f}}"
    lines.extend(f"{fmt.format(r)} {fmt.format(g)} {fmt.format(b)}" for r, g, b in flat)
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


_cache: dict[tuple[str, float, int], CubeLut] = {}
_cache_lock = threading.Lock()


def load_cube(path: str | os.PathLike[str]) -> CubeLut:
    """:func:`read_cube` with a cache keyed by path, size and modification time."""
    p = os.path.abspath(os.fspath(path))
    try:
        st = os.stat(p)
    except OSError:
        raise ParameterError(f"lut: {os.fspath(path)!r} does not exist") from None
    key = (p, st.st_mtime, st.st_size)
    with _cache_lock:
        hit = _cache.get(key)
    if hit is not None:
        return hit
    lut = read_cube(p)
    with _cache_lock:
        if len(_cache) > 32:
            _cache.clear()
        _cache[key] = lut
    return lut


def luts_dir() -> Path:
    """The bundled LUT folder (``presets/luts``)."""
    return presets_dir() / "luts"


def bundled_luts() -> list[str]:
    """Names of the bundled LUTs (file stems)."""
    d = luts_dir()
    return sorted(p.stem for p in d.glob("*.cube")) if d.is_dir() else []


def resolve_lut(name: str, *, base_dir: str | os.PathLike[str] | None = None) -> Path:
    """Find a LUT: an existing path (relative to ``base_dir`` when given), else a
    bundled LUT by name (with or without ``.cube``).

    Raises
    ------
    ParameterError
        When nothing matches; the message lists the bundled LUTs.
    """
    candidates = []
    p = Path(name).expanduser()
    if p.is_absolute():
        candidates.append(p)
    else:
        if base_dir is not None:
            candidates.append(Path(base_dir) / p)
        candidates.append(Path.cwd() / p)
        stem = p.name[:-5] if p.name.endswith(".cube") else p.name
        if p.parent == Path("."):
            candidates.append(luts_dir() / f"{stem}.cube")
    for c in candidates:
        if c.is_file():
            return c
    raise ParameterError(
        f"lut.file: {name!r} is neither a .cube file nor a bundled LUT; bundled: {', '.join(bundled_luts()) or 'none'}"
    )


def ref_lookup(rgb: np.ndarray, lut: CubeLut, interpolation: str) -> np.ndarray:
    """Look colours up in a LUT, in plain numpy.

    Parameters
    ----------
    rgb : np.ndarray, shape (..., 3), float
        Colours in 0..1.
    lut : CubeLut
        The table; inputs are mapped from its domain and clipped to the grid.
    interpolation : {'trilinear', 'tetrahedral'}
        How to blend the surrounding grid points.

    Returns
    -------
    np.ndarray, shape (..., 3), float64
    """
    n = lut.size
    t = lut.table.astype(np.float64)
    x = (rgb - lut.domain_min.astype(np.float64)) / (lut.domain_max - lut.domain_min).astype(np.float64)
    x = np.clip(x, 0.0, 1.0) * (n - 1)
    i0 = np.minimum(np.floor(x).astype(np.int64), n - 2)
    f = x - i0
    r0, g0, b0 = i0[..., 0], i0[..., 1], i0[..., 2]
    fr, fg, fb = f[..., 0:1], f[..., 1:2], f[..., 2:3]

    def c(dr: int, dg: int, db: int) -> np.ndarray:
        return t[r0 + dr, g0 + dg, b0 + db]

    if interpolation == "trilinear":
        c00 = c(0, 0, 0) * (1 - fr) + c(1, 0, 0) * fr
        c01 = c(0, 0, 1) * (1 - fr) + c(1, 0, 1) * fr
        c10 = c(0, 1, 0) * (1 - fr) + c(1, 1, 0) * fr
        c11 = c(0, 1, 1) * (1 - fr) + c(1, 1, 1) * fr
        c0 = c00 * (1 - fg) + c10 * fg
        c1 = c01 * (1 - fg) + c11 * fg
        return c0 * (1 - fb) + c1 * fb
    if interpolation != "tetrahedral":
        raise ParameterError(f"lut.interpolation: {interpolation!r} is not trilinear or tetrahedral")
    c000, c111 = c(0, 0, 0), c(1, 1, 1)
    out = np.empty(rgb.shape, np.float64)
    conds = [
        (fr > fg) & (fg > fb),
        (fr > fg) & (fg <= fb) & (fr > fb),
        (fr > fg) & (fg <= fb) & (fr <= fb),
        (fr <= fg) & (fb > fg),
        (fr <= fg) & (fb <= fg) & (fb > fr),
        (fr <= fg) & (fb <= fg) & (fb <= fr),
    ]
    forms = [
        lambda: (1 - fr) * c000 + (fr - fg) * c(1, 0, 0) + (fg - fb) * c(1, 1, 0) + fb * c111,
        lambda: (1 - fr) * c000 + (fr - fb) * c(1, 0, 0) + (fb - fg) * c(1, 0, 1) + fg * c111,
        lambda: (1 - fb) * c000 + (fb - fr) * c(0, 0, 1) + (fr - fg) * c(1, 0, 1) + fg * c111,
        lambda: (1 - fb) * c000 + (fb - fg) * c(0, 0, 1) + (fg - fr) * c(0, 1, 1) + fr * c111,
        lambda: (1 - fg) * c000 + (fg - fb) * c(0, 1, 0) + (fb - fr) * c(0, 1, 1) + fr * c111,
        lambda: (1 - fg) * c000 + (fg - fr) * c(0, 1, 0) + (fr - fb) * c(1, 1, 0) + fb * c111,
    ]
    for cond, form in zip(conds, forms):
        m = np.broadcast_to(cond, out.shape)
        out[m] = form()[m]
    return out


# -- transfer curves: what encoding a LUT expects, what the footage is in ---------------------

TRANSFERS = ("rec709", "slog3", "logc3", "vlog", "clog3", "flog")
"""Transfer curves the ``lut`` effect converts between: ``rec709`` (what phones and most
cameras deliver, and what most creative LUTs expect) and camera log curves: Sony S-Log3,
ARRI LogC3 (EI 800), Panasonic V-Log, Canon C-Log3, Fujifilm F-Log. Only the curve is
converted, not the gamut (S-Gamut3, ARRI Wide Gamut, ...): a log LUT's own matrix handles
that."""


def _rec709_to_linear(v: np.ndarray) -> np.ndarray:
    return np.where(v < 0.081, v / 4.5, ((v + 0.099) / 1.099) ** (1 / 0.45))


def _linear_to_rec709(x: np.ndarray) -> np.ndarray:
    x = np.maximum(x, 0.0)
    return np.where(x < 0.018, 4.5 * x, 1.099 * np.power(x, 0.45) - 0.099)


def _slog3_encode(x: np.ndarray) -> np.ndarray:
    return np.where(
        x >= 0.01125,
        (420.0 + np.log10(np.maximum(x + 0.01, 1e-9) / 0.19) * 261.5) / 1023.0,
        (x * (171.2102946929 - 95.0) / 0.01125 + 95.0) / 1023.0,
    )


def _slog3_decode(v: np.ndarray) -> np.ndarray:
    c = v * 1023.0
    return np.where(c >= 171.2102946929, 10.0 ** ((c - 420.0) / 261.5) * 0.19 - 0.01, (c - 95.0) * 0.01125 / (171.2102946929 - 95.0))


_LOGC3 = dict(cut=0.010591, a=5.555556, b=0.052272, c=0.247190, d=0.385537, e=5.367655, f=0.092809)


def _logc3_encode(x: np.ndarray) -> np.ndarray:
    k = _LOGC3
    return np.where(x > k["cut"], k["c"] * np.log10(np.maximum(k["a"] * x + k["b"], 1e-9)) + k["d"], k["e"] * x + k["f"])


def _logc3_decode(v: np.ndarray) -> np.ndarray:
    k = _LOGC3
    return np.where(v > k["e"] * k["cut"] + k["f"], (10.0 ** ((v - k["d"]) / k["c"]) - k["b"]) / k["a"], (v - k["f"]) / k["e"])


def _vlog_encode(x: np.ndarray) -> np.ndarray:
    return np.where(x < 0.01, 5.6 * x + 0.125, 0.241514 * np.log10(np.maximum(x + 0.00873, 1e-9)) + 0.598206)


def _vlog_decode(v: np.ndarray) -> np.ndarray:
    return np.where(v < 0.181, (v - 0.125) / 5.6, 10.0 ** ((v - 0.598206) / 0.241514) - 0.00873)


def _clog3_encode(x: np.ndarray) -> np.ndarray:
    return np.where(
        x < -0.014,
        -0.36726845 * np.log10(np.maximum(-x * 14.98325 + 1, 1e-9)) + 0.12783901,
        np.where(x <= 0.014, 1.9754798 * x + 0.12512219, 0.36726845 * np.log10(np.maximum(x * 14.98325 + 1, 1e-9)) + 0.12240537),
    )


def _clog3_decode(v: np.ndarray) -> np.ndarray:
    return np.where(
        v < 0.097465473,
        -(10.0 ** ((0.12783901 - v) / 0.36726845) - 1) / 14.98325,
        np.where(v <= 0.15277891, (v - 0.12512219) / 1.9754798, (10.0 ** ((v - 0.12240537) / 0.36726845) - 1) / 14.98325),
    )


_FLOG = dict(a=0.555556, b=0.009468, c=0.344676, d=0.790453, e=8.735631, f=0.092864, cut1=0.00089, cut2=0.100537775223865)


def _flog_encode(x: np.ndarray) -> np.ndarray:
    k = _FLOG
    return np.where(x >= k["cut1"], k["c"] * np.log10(np.maximum(k["a"] * x + k["b"], 1e-9)) + k["d"], k["e"] * x + k["f"])


def _flog_decode(v: np.ndarray) -> np.ndarray:
    k = _FLOG
    return np.where(v >= k["cut2"], (10.0 ** ((v - k["d"]) / k["c"]) - k["b"]) / k["a"], (v - k["f"]) / k["e"])


_CURVES = {
    # name: (to scene-linear, from scene-linear); signal values 0..1
    "rec709": (_rec709_to_linear, _linear_to_rec709),
    "slog3": (_slog3_decode, _slog3_encode),
    "logc3": (_logc3_decode, _logc3_encode),
    "vlog": (_vlog_decode, _vlog_encode),
    "clog3": (_clog3_decode, _clog3_encode),
    "flog": (_flog_decode, _flog_encode),
}


def transfer_table(footage: str, lut_input: str, *, size: int = 1024) -> np.ndarray:
    """Signal levels of ``footage``'s curve (``size`` steps over 0..1) re-encoded in ``lut_input``'s.

    Returns
    -------
    np.ndarray, shape (size,), float64
        The identity when the two are the same; values in 0..1 (clipped).

    Raises
    ------
    ParameterError
        For a curve name not in :data:`TRANSFERS`.
    """
    for field, name in (("lut.footage", footage), ("lut.input", lut_input)):
        if name not in _CURVES:
            raise ParameterError(f"{field}: {name!r} is not a transfer curve; use one of {', '.join(TRANSFERS)}")
    x = np.linspace(0.0, 1.0, size)
    if footage == lut_input:
        return x
    linear = _CURVES[footage][0](x)
    return np.clip(_CURVES[lut_input][1](linear), 0.0, 1.0)
