"""Partial ISO 8601 dates (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``) that keep their precision.

A date of month precision is a span over that month: the loader stores where it starts, where it
stops (exclusive) and its precision, and never invents a day.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .schema import DATE_PATTERN, MAX_YEAR, MIN_YEAR, PRECISIONS

# length of the text -> (strptime format, numpy unit); the order follows schema.PRECISIONS
_FORMATS = {4: ("%Y", "Y"), 7: ("%Y-%m", "M"), 10: ("%Y-%m-%d", "D")}


def parse_partial(values: pd.Series) -> pd.DataFrame:
    """Parse partial dates; returns ``start``, ``stop`` (exclusive) and ``precision`` columns.

    Empty, malformed or impossible dates (``2023-02-30``) give ``NaT`` and a missing precision;
    :func:`invalid_dates` says which non-empty values failed. A categorical column is parsed
    once per distinct date.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        parsed = _parse(pd.Series(values.cat.categories.astype(object), dtype=object))
        out = parsed.reindex(values.cat.codes.to_numpy())  # code -1 (missing): NaT
        return out.set_axis(values.index)
    return _parse(values)


def _parse(values: pd.Series) -> pd.DataFrame:
    text = values.astype("string")
    lengths = text.str.len().fillna(0).to_numpy("int64")
    n = len(text)
    start = np.full(n, np.datetime64("NaT"), "datetime64[ns]")
    stop = start.copy()
    codes = np.full(n, -1, "int8")
    for code, (length, (fmt, unit)) in enumerate(_FORMATS.items()):
        idx = np.flatnonzero(lengths == length)
        if not len(idx):
            continue
        part = text.iloc[idx]
        part = part.where(part.str.fullmatch(DATE_PATTERN.pattern, na=False))
        begin = pd.to_datetime(part, format=fmt, errors="coerce").to_numpy("datetime64[ns]")
        years = begin.astype("datetime64[Y]").astype("int64") + 1970
        ok = ~np.isnat(begin) & (years >= MIN_YEAR) & (years <= MAX_YEAR)
        idx = idx[ok]
        begin = begin[ok]
        start[idx] = begin
        stop[idx] = (begin.astype(f"datetime64[{unit}]") + np.timedelta64(1, unit)).astype(
            "datetime64[ns]"
        )
        codes[idx] = code
    precision = pd.Categorical.from_codes(codes, categories=list(PRECISIONS))
    return pd.DataFrame({"start": start, "stop": stop, "precision": precision}, index=values.index)


def invalid_dates(values: pd.Series) -> pd.Series:
    """True where a non-empty value is not a valid partial date."""
    parsed = parse_partial(values)
    return values.notna() & parsed["start"].isna()


def format_partial(start: pd.Timestamp | None, precision: str | None) -> str:
    """Format a date at its precision: ``2024``, ``2024-06`` or ``2024-06-19`` (or empty)."""
    if start is None or pd.isna(start):
        return ""
    fmt = {"year": "%Y", "month": "%Y-%m"}.get(str(precision), "%Y-%m-%d")
    return pd.Timestamp(start).strftime(fmt)
