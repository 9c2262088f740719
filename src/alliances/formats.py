"""Typed frames back to the public CSV format: what downloads and exports write."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import schema

_WIDTH = {"year": 4, "month": 7, "day": 10}  # characters of ``YYYY-MM-DD`` each precision keeps


def partial_dates(start: pd.Series, precision: pd.Series) -> pd.Series:
    """Format datetimes at their precision (``2024``, ``2024-06``, ``2024-06-19``), vectorised.

    Missing dates and unknown precisions give ``""``.
    """
    values = start.to_numpy("datetime64[ns]")
    days = np.datetime_as_string(values.astype("datetime64[D]"), unit="D")
    prec = precision.astype(object).to_numpy()
    widths = np.zeros(len(prec), dtype=np.int64)
    for name, width in _WIDTH.items():
        widths[prec == name] = width
    widths[np.isnat(values)] = 0
    out = [text[:width] for text, width in zip(days.tolist(), widths.tolist(), strict=True)]
    return pd.Series(out, index=start.index, dtype=object)


def _number(value: object) -> str:
    if value is None or pd.isna(value):
        return ""
    return np.format_float_positional(float(value), trim="-")


def to_public(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """The columns of ``table`` as the public format writes them (strings, partial dates)."""
    spec = schema.TABLES[table]
    out = pd.DataFrame(index=frame.index)
    for f in spec.fields:
        col = frame[f.name]
        if f.kind == "date":
            prefix = {"start_date": "start", "end_date": "end", "date": "date"}[f.name]
            out[f.name] = partial_dates(col, frame[f"{prefix}_precision"])
        elif f.kind == "bool":
            out[f.name] = col.map({True: "true", False: "false"})
        elif f.kind == "number":
            out[f.name] = col.map(_number)
        else:
            out[f.name] = col.astype(object).where(col.notna(), "")
    return out.reset_index(drop=True)


def to_csv(frame: pd.DataFrame, table: str) -> str:
    """CSV text of ``frame`` in the public format of ``table`` (loads back with the loader)."""
    return to_public(frame, table).to_csv(index=False, lineterminator="\n")
