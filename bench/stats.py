"""Timing helpers: medians, percentiles, and a timer around one call."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any


def percentile(samples: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100); None for no samples."""
    if not samples:
        return None
    ordered = sorted(samples)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def median(samples: Sequence[float]) -> float | None:
    return statistics.median(samples) if samples else None


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    """(milliseconds, result) of one call."""
    started = time.perf_counter()
    result = call()
    return (time.perf_counter() - started) * 1000, result


def summary(samples: Sequence[float]) -> dict[str, float | int | None]:
    return {
        "n": len(samples),
        "median_ms": _round(median(samples)),
        "p95_ms": _round(percentile(samples, 95)),
        "p99_ms": _round(percentile(samples, 99)),
        "min_ms": _round(min(samples) if samples else None),
        "max_ms": _round(max(samples) if samples else None),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
