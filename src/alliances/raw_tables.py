"""A table read as text, and the rules every reader shares.

:class:`RawTable` is a table as read from disk (every cell a string or missing) with where
each row is (an editor line, or a part of a partitioned table), which reports name. The
shared rules: ``#`` comment lines, the ``'`` that protects formulas, which columns are read
as categoricals, and the header's problems. :mod:`.csv_reading` and :mod:`.parquet_reading`
build :class:`RawTable` through :func:`raw_table`.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .problems import Problem, show
from .schema import Table

COMMENT = "#"
"""Lines at the very start of a CSV file that begin with this are comments (exports write the
filters that made them there); the header row comes after them."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A text cell starting with one of these is a formula to a spreadsheet (OWASP's CSV injection
rule): the product writes it with a leading ``'`` (:mod:`alliances.formats`), and reading takes
that quote off again, so an exported file loads back unchanged."""

# Columns with few distinct values (ids of other tables, dates, numbers, vocabularies) are read
# as categoricals: checks and parsing then run once per distinct value, not once per row.
CATEGORICAL_KINDS = frozenset({"ref", "refs", "date", "number", "bool", "choice", "url", "color"})


@dataclass
class RawTable:
    """A table as read from disk: every cell a string or missing, plus where its rows are."""

    table: Table
    path: Path
    frame: pd.DataFrame
    absent: frozenset[str] = frozenset()  # columns missing from the file, added empty
    digest: str = ""  # SHA-256 of the file's bytes, as read: the dataset's fingerprint uses it
    comment_lines: int = 0  # comment lines before the header row
    _lines: list[int] | None = None
    # a partitioned table: each part's label and first row (reports name the part); or, for
    # rows read in batches, the one file they come from and the row number of the first
    parts: tuple[tuple[str, int], ...] = ()
    _starts: np.ndarray | None = None

    @property
    def name(self) -> str:
        """How reports name the file (a partitioned table's folder, for the whole table)."""
        return self.path.name

    def line_of(self, index: int) -> int:
        """The editor line on which data row ``index`` (0-based) starts.

        Parquet has no text lines: rows are numbered as if under a header line (the first row
        is line 2), within their part for a partitioned table.
        """
        if self.parts:
            return self._in_part(index)[1]
        if self.path.suffix == ".parquet":
            return index + 2
        if self._lines is None:
            self._lines = record_lines(self.path, self.comment_lines)
        if 0 <= index < len(self._lines):
            return self._lines[index]
        return index + 2 + self.comment_lines

    def where(self, index: int) -> tuple[str, int]:
        """The file (as reports name it: a part of a partitioned table) and the line of data
        row ``index`` (0-based)."""
        if self.parts:
            return self._in_part(index)
        return self.name, self.line_of(index)

    def _in_part(self, index: int) -> tuple[str, int]:
        if self._starts is None:
            self._starts = np.array([start for _, start in self.parts], dtype=np.int64)
        at = max(int(np.searchsorted(self._starts, index, side="right")) - 1, 0)
        label, start = self.parts[at]
        return label, index - start + 2


def record_lines(path: Path, skip: int = 0) -> list[int]:
    """Start line of every non-blank data record, accounting for line breaks inside quotes
    and for ``skip`` comment lines before the header."""
    lines: list[int] = []
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        for _ in range(skip):
            fh.readline()
        reader = csv.reader(fh)
        previous = 0
        for row in reader:
            if row and previous:  # skip the header (first record) and blank lines
                lines.append(previous + 1 + skip)
            previous = reader.line_num
    return lines


def raw_table(
    table: Table, path: Path, frame: pd.DataFrame, data: bytes | None = None, skip: int = 0
) -> RawTable:
    """``frame`` as read from ``path``: absent columns added empty, formula quotes taken off,
    the digest of ``data`` (the file's bytes) kept for the fingerprint."""
    absent = frozenset(f.name for f in table.fields if f.name not in frame.columns)
    for f in table.fields:
        if f.name in absent:
            dtype = "category" if f.kind in CATEGORICAL_KINDS else "string"
            frame[f.name] = pd.Series(pd.NA, index=frame.index, dtype="string").astype(dtype)
        elif f.kind != "number":
            frame[f.name] = unquote_formulas(frame[f.name])
    digest = hashlib.sha256(data).hexdigest() if data is not None else ""
    return RawTable(table, path, frame, absent, digest, skip)


def unquote_formulas(values: pd.Series) -> pd.Series:
    """Take off the ``'`` that protects a cell like ``'=SUM(A1)`` (see :data:`FORMULA_STARTS`)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = values.cat.categories
        if len(categories) and _quoted(pd.Series(categories.astype(object))).any():
            return pd.Series(
                pd.Categorical(values.astype(object).map(_unquote_one)), index=values.index
            )
        return values
    quoted = _quoted(values)
    if not quoted.any():
        return values
    out = values.copy()
    out[quoted] = values[quoted].str.slice(1)
    return out


def _quoted(values: pd.Series) -> np.ndarray:
    text = values.astype("string")
    quote = text.str.startswith("'").fillna(False).to_numpy(bool)
    if not quote.any():  # the usual case, and cheap for a million titles
        return quote
    return quote & text.str.slice(1, 2).isin(FORMULA_STARTS).fillna(False).to_numpy(bool)


def _unquote_one(value: object) -> object:
    if isinstance(value, str) and len(value) > 1 and value[0] == "'":
        return value[1:] if value[1] in FORMULA_STARTS else value
    return value


def header_problems(name: str, table: Table, header: list[str]) -> list[Problem]:
    """Columns named twice, and required columns missing, in a file's header row."""
    problems = []
    seen: set[str] = set()
    for column in header:
        if column in seen:
            problems.append(Problem(name, 1, "-", f"column {show(column)} appears twice"))
        seen.add(column)
    for f in table.fields:
        if f.required and f.name not in seen:
            problems.append(Problem(name, 1, f.name, "required column is missing"))
    return problems
