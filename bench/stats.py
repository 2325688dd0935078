"""Summaries of repeated measurements: medians and percentiles, nothing fancier.

Absolute times drift on a shared two-core machine, so the report leans on ratios
of things measured side by side, and shows min-max over repeats so the spread is
visible.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0-100) of a non-empty sample."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(values: Sequence[float]) -> dict[str, float]:
    """Median, p50, p99, min and max (all equal to 0 for an empty sample)."""
    if not values:
        return {"n": 0, "median": 0.0, "p50": 0.0, "p99": 0.0, "min": 0.0, "max": 0.0}
    return {
        "n": len(values),
        "median": statistics.median(values),
        "p50": percentile(values, 50),
        "p99": percentile(values, 99),
        "min": min(values),
        "max": max(values),
    }


def spread(values: Sequence[float], fmt: str = "{:,.0f}") -> str:
    """ "median (min-max)" of repeats, for the table."""
    s = summary(values)
    return f"{fmt.format(s['median'])} ({fmt.format(s['min'])}-{fmt.format(s['max'])})"
