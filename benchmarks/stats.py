"""Repeated measurements: a series of values, its median and p95, and a time budget."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np


def median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def p95(values: list[float]) -> float:
    return float(np.percentile(values, 95)) if values else float("nan")


@dataclass
class Series:
    """Repeated measurements of one quantity, and how many were planned."""

    values: list[float] = field(default_factory=list)
    planned: int = 0

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def median(self) -> float:
        return median(self.values)

    @property
    def p95(self) -> float:
        return p95(self.values)

    @property
    def max(self) -> float:
        return max(self.values) if self.values else float("nan")


def paired(theirs: Series, ours: Series) -> float:
    """Median of the baseline over median of ours, on the changes both made (a budget may
    have cut one series short; the changes come in the same order)."""
    n = min(theirs.n, ours.n)
    if not n:
        return float("nan")
    return median(theirs.values[:n]) / median(ours.values[:n])


def within_budget(planned: int, budget: float, minimum: int = 1) -> Iterator[int]:
    """Indices 0..planned-1, stopping early once ``budget`` seconds have passed (after
    ``minimum`` runs): keeps the slowest sizes from taking the whole run."""
    start = time.perf_counter()
    for i in range(planned):
        if i >= minimum and time.perf_counter() - start > budget:
            return
        yield i
