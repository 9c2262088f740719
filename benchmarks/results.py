"""Everything measured on one dataset size, and how a size is named."""

from __future__ import annotations

from dataclasses import dataclass, field

from .changes import BaselineResult, DashboardResult
from .cold import ColdStart
from .measure import BriefingResult, LoadResult
from .opening import OpenResult

LARGE = 10_000_000
"""From this many events a size is measured on Parquet partitioned by year only: opened and
worked in a process of its own, with the in-memory path beside it where it fits. Loading CSV,
the notebook baseline (it reads 3 GB of CSV at 1e7), briefings and the cold start are not
measured."""


@dataclass
class SizeResult:
    """Everything measured on one dataset size."""

    n: int
    csv_mb: float | None  # None: no CSV folder at this size
    bundled: bool = False  # the dataset shipped with the package, not a synthetic one
    generated: dict[str, dict] = field(default_factory=dict)  # layout -> seconds, peak_mb
    parquet_mb: float | None = None
    load_csv: LoadResult | None = None
    load_parquet: LoadResult | None = None  # the folder partitioned by year
    opened: OpenResult | None = None  # alliances.dashboard(DATA) in a process of its own
    opened_layout: str = "csv"  # which folder it opened: "csv" or "parquet"
    in_memory: OpenResult | None = None  # large sizes: the in-memory path, for comparison
    dashboard: DashboardResult | None = None  # the filter changes (from ``opened``)
    baseline: BaselineResult | None = None
    briefing_all: BriefingResult | None = None
    briefing_actor: BriefingResult | None = None
    cold: ColdStart | None = None
    profiles: dict[str, str] = field(default_factory=dict)
    measured: str = ""  # when and on which code: a page may show columns of earlier runs
    rollups: dict = field(default_factory=dict)  # the engine's rollups: said, seconds, peak_mb
    against: dict = field(default_factory=dict)  # --against REV: "rev", "opened", "load_csv"

    @property
    def large(self) -> bool:
        return not self.bundled and self.n >= LARGE


def label(r: SizeResult) -> str:
    """How a size is named in tables: the bundled dataset, or a count of synthetic events."""
    return f"bundled ({r.n:,})" if r.bundled else f"{r.n:,}"
