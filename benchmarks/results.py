"""Everything measured on one dataset size, and how a size is named."""

from __future__ import annotations

from dataclasses import dataclass, field

from .changes import BaselineResult, DashboardResult
from .cold import ColdStart
from .measure import BriefingResult, LoadResult


@dataclass
class SizeResult:
    """Everything measured on one dataset size."""

    n: int
    csv_mb: float
    bundled: bool = False  # the dataset shipped with the package, not a synthetic one
    generate_s: float | None = None  # None: reused from the cache
    load_csv: LoadResult | None = None
    load_parquet: LoadResult | None = None  # None: Parquet not supported
    dashboard: DashboardResult | None = None
    baseline: BaselineResult | None = None
    briefing_all: BriefingResult | None = None
    briefing_actor: BriefingResult | None = None
    cold: ColdStart | None = None
    profiles: dict[str, str] = field(default_factory=dict)


def label(r: SizeResult) -> str:
    """How a size is named in tables: the bundled dataset, or a count of synthetic events."""
    return f"bundled ({r.n:,})" if r.bundled else f"{r.n:,}"
