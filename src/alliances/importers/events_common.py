"""Pieces the event readers (ACLED, UCDP) share: dates written in several styles, coordinates,
numbers, text joined for descriptions."""

from __future__ import annotations

import numpy as np
import pandas as pd

DATE_STYLES = ("%Y-%m-%d", "%d %B %Y", "%d/%m/%Y", "%d-%B-%Y", "%d-%b-%Y", "%d-%b-%y", "%B %d, %Y")
"""How exports write a day: ISO (the API, R), ``18 April 2001`` (the export tool),
``18/04/2001`` (the old uppercase files), ``18-April-2001`` and spreadsheet styles."""


def days(values: pd.Series) -> pd.Series:
    """``YYYY-MM-DD`` text (or missing) from dates in any of :data:`DATE_STYLES`; a value with
    a time after the day (``2021-06-01 00:00:00.000``) counts by its day."""
    text = values.astype("string").str.strip().str.replace(r"[ T]00:00:00(\.0+)?$", "", regex=True)
    unique = pd.Series(text.dropna().unique(), dtype=object)
    parsed = pd.Series(pd.NaT, index=unique.index, dtype="datetime64[ns]")
    for style in DATE_STYLES:
        todo = parsed.isna()
        if not todo.any():
            break
        parsed[todo] = pd.to_datetime(unique[todo], format=style, errors="coerce")
    found = dict(zip(unique, parsed.dt.strftime("%Y-%m-%d"), strict=True))
    return text.map(found).astype(object).where(text.notna(), None)


def coordinates(lat: pd.Series, lon: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Latitude and longitude as numbers, both missing where either is out of range."""
    la, lo = pd.to_numeric(lat, errors="coerce"), pd.to_numeric(lon, errors="coerce")
    ok = la.between(-90, 90) & lo.between(-180, 180)
    return la.where(ok), lo.where(ok)


def integers(values: pd.Series) -> pd.Series:
    """Whole numbers from text (``"12"``, ``"12.0"``); missing where not a number."""
    numbers = pd.to_numeric(values, errors="coerce")
    return numbers.where(numbers.notna() & (numbers == np.floor(numbers)))


def joined(*parts: pd.Series | str, sep: str = "; ") -> pd.Series:
    """Row-wise join of the non-empty parts (text, or Series of text)."""
    series = [p for p in parts if isinstance(p, pd.Series)]
    index = series[0].index
    columns = [
        (p if isinstance(p, pd.Series) else pd.Series(p, index=index)).astype(object) for p in parts
    ]
    frame = pd.concat(columns, axis=1)
    return frame.apply(
        lambda row: sep.join(str(v) for v in row if isinstance(v, str) and v.strip()), axis=1
    )


def labelled(label: str, values: pd.Series) -> pd.Series:
    """``label value`` where there is a value, else missing: a part of a description."""
    return (label + " " + values.astype("string")).astype(object).where(values.notna(), None)
