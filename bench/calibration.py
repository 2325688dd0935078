"""The machine's speed at a moment: a fixed pure-Python loop, timed.

This VM's speed swings about 2x within minutes (its neighbours take CPU), and
every absolute figure swings with it. Each scenario is bracketed by this loop's
time before and after it, so a figure taken in a slow stretch says so in the
doc rather than reading as a regression.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager

from bench.report import Report

LOOP_ITERATIONS = 1_000_000
LOOP_REPEATS = 5


def loop_ms() -> float:
    """Median milliseconds of the fixed loop: ~35-40 ms when this VM runs fast."""
    times = []
    for _ in range(LOOP_REPEATS):
        start = time.perf_counter()
        total = 0
        for n in range(LOOP_ITERATIONS):
            total += n
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


@contextmanager
def bracketed(report: Report, stack: str, scenario: str) -> Iterator[None]:
    """Time the loop before and after the scenario run inside, into the report."""
    before = loop_ms()
    yield
    report.speed(stack, scenario, before, loop_ms())
