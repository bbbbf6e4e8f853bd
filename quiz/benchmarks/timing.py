"""Small timing helpers shared by the benchmarks."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence


def rate(run: Callable[[int], object], count: int, repeats: int = 3) -> float:
    """Best-of-``repeats`` calls per second of ``run(i)`` for ``i`` in ``range(count)``."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for index in range(count):
            run(index)
        best = min(best, time.perf_counter() - start)
    return count / best


def percentile(samples: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation."""
    if not samples:
        return float("nan")
    if len(samples) == 1:
        return float(samples[0])
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return float(cuts[min(98, max(0, round(q) - 1))])
