"""``alliances validate``: check a dataset folder, whatever its size.

The checks are in :mod:`alliances.checks`; a folder whose events are too large to hold is
checked batch by batch (:mod:`alliances.streaming`). Names other modules and notebooks use
from here (problems, reports, the table checks) are re-exported.
"""

from __future__ import annotations

from pathlib import Path

from .checks import check_table, pandera_schema, validate_tables
from .problems import DatasetError, Problem, format_report
from .reading import resolve_path
from .streaming import large_tables, validate_large

__all__ = [
    "DatasetError",
    "Problem",
    "check_table",
    "format_report",
    "pandera_schema",
    "validate",
    "validate_tables",
]


def validate(path: str | Path | None = None) -> list[Problem]:
    """Check a dataset folder (the bundled one by default); an empty list means it is valid.

    Events in Parquet with more rows than :data:`alliances.streaming.STREAM_ROWS` are checked
    batch by batch, never all in memory (:func:`alliances.streaming.validate_large`)."""
    directory = resolve_path(path)
    if not directory.is_dir():
        return [Problem(str(directory), 0, "-", "not a dataset folder")]
    large = large_tables(directory)
    if large:  # too many rows to hold at once: checked batch by batch
        return validate_large(directory, large)
    return validate_tables(directory)[1]
