"""Import budget: what ``import clipkit`` and ``clipkit --help`` cost in a fresh process.

Prints, side by side in one run, the best wall time of N fresh interpreters for a bare
``python -c pass``, ``import clipkit``, ``python -m clipkit --help`` and a first
``ck.open()`` (which loads PyAV), the difference to the bare interpreter, and the heaviest
imports of ``import clipkit`` from ``python -X importtime``. Targets (issue 15): ``import
clipkit`` <= 0.1 s and loading none of PyAV, numpy, numba; ``clipkit --help`` <= 0.25 s.

    python3 bench/bench_import.py --repeat 10
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "portrait.mp4"

CASES = {
    "bare interpreter": ["-c", "pass"],
    "import clipkit": ["-c", "import clipkit"],
    "clipkit --help": ["-m", "clipkit", "--help"],
    "import clipkit; ck.open(clip)": ["-c", f"import clipkit as ck; ck.open({str(SAMPLE)!r})"],
}


def _best(cmd: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run([sys.executable, *cmd], check=True, capture_output=True, cwd=ROOT)
        best = min(best, time.perf_counter() - t)
    return best


def _heaviest(n: int) -> list[tuple[int, str]]:
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import clipkit"], capture_output=True, text=True, cwd=ROOT)
    rows = []
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = (p.strip() for p in line[len("import time:") :].split("|"))
        if cumulative.isdigit():
            rows.append((int(cumulative), name))
    return sorted(rows, reverse=True)[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, clipkit; print(' '.join(m for m in ('av', 'numpy', 'numba', 'cv2', 'PIL', 'yaml', 'scipy') if m in sys.modules) or 'none')"],
        capture_output=True, text=True, cwd=ROOT, check=True,
    ).stdout.strip()
    # interleave the cases so a busy machine slows them alike
    best = {name: float("inf") for name in CASES}
    for _ in range(args.repeat):
        for name, cmd in CASES.items():
            best[name] = min(best[name], _best(cmd, 1))
    bare = best["bare interpreter"]
    print(f"{'case':34} {'best wall':>10} {'over bare':>10} {'x bare':>7}")
    for name, value in best.items():
        print(f"{name:34} {value:9.3f}s {value - bare:9.3f}s {value / bare:6.2f}x")
    print(f"heavy libraries loaded by `import clipkit`: {loaded}")
    print("heaviest imports of `import clipkit` (cumulative microseconds):")
    for us, name in _heaviest(8):
        print(f"  {us:8d}  {name}")


if __name__ == "__main__":
    main()
