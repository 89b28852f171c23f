"""Beat-tracking evaluation with the mir_eval conventions."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import ParameterError

__all__ = ["match_events", "beat_f_measure"]


def match_events(reference: Sequence[float] | np.ndarray, estimated: Sequence[float] | np.ndarray, *, window: float = 0.07) -> list[tuple[int, int]]:
    """Pair reference and estimated events that lie within ``window`` seconds.

    A maximum one-to-one matching (each event used once), as ``mir_eval.util.match_events``:
    augmenting paths over the bipartite graph of pairs closer than ``window``.

    Returns
    -------
    list of (int, int)
        ``(reference index, estimated index)`` pairs.
    """
    if window <= 0:
        raise ParameterError(f"window: {window!r} must be above 0 seconds")
    ref = np.asarray(reference, dtype=np.float64).reshape(-1)
    est = np.asarray(estimated, dtype=np.float64).reshape(-1)
    if ref.size == 0 or est.size == 0:
        return []
    order = np.argsort(est)
    est_sorted = est[order]
    graph: list[list[int]] = []
    for r in ref:
        lo = int(np.searchsorted(est_sorted, r - window, side="left"))
        hi = int(np.searchsorted(est_sorted, r + window, side="right"))
        graph.append([int(order[k]) for k in range(lo, hi) if abs(est_sorted[k] - r) <= window])
    match_est: dict[int, int] = {}

    def augment(r: int, seen: set[int]) -> bool:
        for e in graph[r]:
            if e in seen:
                continue
            seen.add(e)
            if e not in match_est or augment(match_est[e], seen):
                match_est[e] = r
                return True
        return False

    for r in range(ref.size):
        if graph[r]:
            augment(r, set())
    return sorted((r, e) for e, r in match_est.items())


def beat_f_measure(reference: Sequence[float] | np.ndarray, estimated: Sequence[float] | np.ndarray, *, window: float = 0.07) -> float:
    """F-measure of estimated beats against reference beats (mir_eval's ``f_measure``).

    Parameters
    ----------
    reference, estimated : array of float
        Beat times in seconds.
    window : float > 0
        Tolerance in seconds (70 ms by convention).

    Returns
    -------
    float in [0, 1]
        ``2 P R / (P + R)``; 0 when either list is empty (1 when both are).
    """
    ref = np.asarray(reference, dtype=np.float64).reshape(-1)
    est = np.asarray(estimated, dtype=np.float64).reshape(-1)
    if ref.size == 0 and est.size == 0:
        return 1.0
    if ref.size == 0 or est.size == 0:
        return 0.0
    hits = len(match_events(ref, est, window=window))
    precision = hits / est.size
    recall = hits / ref.size
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)
