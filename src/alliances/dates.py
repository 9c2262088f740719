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


_WIDTH = {"year": 4, "month": 7, "day": 10}
"""How many characters of ``YYYY-MM-DD`` each precision keeps: the one rule for printing a
partial date, in both the scalar and the vectorised form below."""


def format_partial(start: pd.Timestamp | None, precision: object) -> str:
    """One date at its precision: ``2024``, ``2024-06`` or ``2024-06-19`` (empty if missing)."""
    if start is None or pd.isna(start):
        return ""
    width = _WIDTH.get(str(precision), _WIDTH["day"])
    return pd.Timestamp(start).strftime("%Y-%m-%d")[:width]


def partial_dates(start: pd.Series, precision: pd.Series) -> pd.Series:
    """Dates at their precisions, vectorised (missing dates and unknown precisions: ``""``)."""
    values = start.to_numpy("datetime64[ns]")
    days = np.datetime_as_string(values.astype("datetime64[D]"), unit="D")
    prec = precision.astype(object).to_numpy()
    widths = np.zeros(len(prec), dtype=np.int64)
    for name, width in _WIDTH.items():
        widths[prec == name] = width
    widths[np.isnat(values)] = 0
    out = [text[:width] for text, width in zip(days.tolist(), widths.tolist(), strict=True)]
    return pd.Series(out, index=start.index, dtype=object)


def format_span(
    start: pd.Timestamp | None,
    start_precision: object,
    stop_start: pd.Timestamp | None = None,
    stop_precision: object = None,
) -> str:
    """``2024-06-13 – 2024-06-15``, or one date, each at its own precision."""
    first = format_partial(start, start_precision)
    if stop_start is None or pd.isna(stop_start):
        return first
    return f"{first} – {format_partial(stop_start, stop_precision)}"


def partial_spans(
    start: pd.Series, start_precision: pd.Series, end: pd.Series, end_precision: pd.Series
) -> pd.Series:
    """:func:`format_span` for whole columns (an event's date and end date, say)."""
    first = partial_dates(start, start_precision)
    until = partial_dates(end, end_precision)
    return first.where(until == "", first + " – " + until)
