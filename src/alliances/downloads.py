"""What every download is called and says about itself: the filters that made it.

The events CSV, the temperature table, the workbook and the network files all name the filters
in their file name and carry them inside (``#`` comment lines in a CSV, a sheet in a
workbook), so a file found later still says what it holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from . import query, state
from .dataset import Dataset
from .formats import comment_lines, csv_text, neutralise_formulas
from .fragments import describe_filters


def download_name(what: str, dataset: Dataset, filters: query.AnyFilters, ext: str) -> str:
    """``alliances-events_RUS-PRK_2022-01-01_to_2024-12-31.csv``: what, for which filters."""
    w = query.window(dataset, filters)
    parts = [f"alliances-{what}"]
    for ids, most in ((filters.actors, 4), (filters.event_types, 3)):
        if ids:
            parts.append("-".join(ids[:most]) + ("-etc" if len(ids) > most else ""))
    if filters.search:
        parts.append("q-" + filters.search[:20])
    parts.append(f"{w.start:%Y-%m-%d}_to_{w.end:%Y-%m-%d}")
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", "_".join(parts)).strip("-")
    return f"{name[:150]}.{ext}"


def download_lines(what: str, dataset: Dataset, filters: query.AnyFilters) -> list[str]:
    """What a download holds and the filters that chose it, one line each, with the link that
    opens the same view."""
    lines = [f"alliances {what} (dataset fingerprint {dataset.fingerprint})"]
    lines += [f"{label}: {value}" for label, value in describe_filters(dataset, filters)]
    query_string = "&".join(f"{k}={v}" for k, v in state.to_query(filters).items())
    if query_string:
        lines.append(f"link: ?{query_string}")
    return lines


def table_csv(frame: pd.DataFrame, comments: Iterable[str] = ()) -> str:
    """Any table as CSV: ``#`` comment lines first, text a spreadsheet would run as a formula
    quoted (see :mod:`alliances.formats`)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or isinstance(out[column].dtype, pd.StringDtype):
            out[column] = neutralise_formulas(out[column])
    # headers are cells too: the temperature table's are pair names ("=Evil – Russia")
    out.columns = neutralise_formulas(pd.Series(out.columns, dtype=object)).tolist()
    return comment_lines(comments) + csv_text(out)
