"""Typed frames back to the public CSV format: what downloads, exports and imports write.

Text that a spreadsheet would run as a formula (a cell starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return: data imported from public sources can hold anything) is written
with a leading ``'``, OWASP's rule against CSV injection; :mod:`alliances.raw_tables` takes the
quote off again, so a written file loads back unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from . import schema
from .dates import partial_dates
from .raw_tables import COMMENT, FORMULA_STARTS

__all__ = [
    "comment_lines",
    "csv_text",
    "neutralise_formulas",
    "partial_dates",
    "to_csv",
    "to_public",
]


def _number(value: object) -> str:
    if value is None or pd.isna(value):
        return ""
    return np.format_float_positional(float(value), trim="-")


_FORMULA_REGEX = "^[" + "".join(re.escape(c) for c in FORMULA_STARTS) + "]"


def _numbers(values: pd.Series) -> pd.Series:
    """:func:`_number` for a whole column; vectorised for the usual values (a million imported
    scores and coordinates), per value for the rest (exponents, negative zero, non-numbers)."""
    try:
        numbers = values.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        return values.map(_number)
    out = np.full(len(numbers), "", dtype=object)
    size = np.abs(numbers)
    whole = (numbers == np.floor(numbers)) & (size < 2**53) & (numbers != 0)
    plain = ~whole & (size >= 1e-4) & (size < 1e15)  # numpy's shortest repr is positional here
    out[whole] = numbers[whole].astype(np.int64).astype(str)
    out[plain] = numbers[plain].astype(str)
    rest = np.flatnonzero(~whole & ~plain & ~np.isnan(numbers))
    out[rest] = [_number(v) for v in numbers[rest]]
    return pd.Series(out, index=values.index, dtype=object)


def neutralise_formulas(values: pd.Series) -> pd.Series:
    """Text cells a spreadsheet would evaluate, with a ``'`` in front (others unchanged)."""
    text = values.astype(object)
    if pd.api.types.infer_dtype(text, skipna=True) in ("string", "empty"):  # vectorised
        import pyarrow as pa
        import pyarrow.compute as pc

        cells = pa.array(text.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
        starts = pc.match_substring_regex(cells, _FORMULA_REGEX)
        quoted = pc.fill_null(starts, False).to_numpy(zero_copy_only=False)
        if not quoted.any():
            return pd.Series(text, index=text.index, dtype=object)
        out = text.copy()
        out[quoted] = "'" + text[quoted]
        return out
    cells = [f"'{v}" if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v for v in text]
    return pd.Series(cells, index=text.index, dtype=object)


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
            out[f.name] = _numbers(col)
        else:
            out[f.name] = neutralise_formulas(col.astype(object).where(col.notna(), ""))
    return out.reset_index(drop=True)


def to_csv(frame: pd.DataFrame, table: str, comments: Iterable[str] = ()) -> str:
    """CSV text of ``frame`` in the public format of ``table`` (loads back with the loader).

    ``comments`` become ``# ...`` lines before the header (what filters made the file, say);
    the loader skips them.
    """
    return comment_lines(comments) + csv_text(to_public(frame, table))


def csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as CSV rows ending in ``\\n``, with every cell that holds a line break quoted.

    pandas quotes a cell only for the characters of its line terminator: with ``\\n``, a cell
    holding a carriage return (``'\\r…``, say) was written bare, and every reader, the loader
    included, ended the row there. Written with ``\\r\\n``, such cells are quoted; the row ends
    outside quotes are then made ``\\n`` again.
    """
    text = frame.to_csv(index=False, lineterminator="\n")
    if "\r" not in text:
        return text
    parts = frame.to_csv(index=False, lineterminator="\r\n").split('"')
    parts[::2] = [part.replace("\r\n", "\n") for part in parts[::2]]  # outside quoted cells
    return '"'.join(parts)


def comment_lines(comments: Iterable[str]) -> str:
    """``# ...`` lines for the top of a CSV file, one per comment, each on one line."""
    return "".join(f"{COMMENT} {' '.join(str(c).split())}\n" for c in comments)


def neutralise_text(cells):
    """:func:`neutralise_formulas` for an Arrow string array (a table's column of a hundred
    million rows): cells a spreadsheet would evaluate get a ``'`` in front. A cell already
    written so (``'=…``) is left as it is, so this is idempotent, and the loader reads both
    forms the same."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(cells.type):  # the distinct values only
        return pa.DictionaryArray.from_arrays(cells.indices, neutralise_text(cells.dictionary))
    starts = pc.fill_null(pc.match_substring_regex(cells, _FORMULA_REGEX), False)
    if not pc.any(starts).as_py():
        return cells
    return pc.if_else(starts, pc.binary_join_element_wise("'", cells, ""), cells)
