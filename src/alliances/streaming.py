"""Checking an events table too large to hold in memory: batch by batch, the same checks.

``alliances validate`` (:func:`alliances.validation.validate`) comes here when the events are
Parquet (a partitioned folder or one file) with more than :data:`STREAM_ROWS` rows. Each batch
of :data:`BATCH_ROWS` rows is read as text and given to the same checks as a whole table
(:func:`~alliances.checks.check_table`: types, references, row rules; the event ↔ relation
links; the layout of a partitioned folder), so a problem is reported exactly as it would be
for a small table. Duplicate ids across batches are found from 64-bit hashes of every id
(8 bytes per row, sorted in place), then named in a second pass over the id column only.
Memory: about one batch plus the hashes (800 MB for 1e8 events).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import partitioned, schema
from .checks import (
    REFERENCED,
    check_table,
    duplicate_message,
    link_problems,
    validate_tables,
)
from .parquet_reading import batch_table, first_line, open_part, parquet_text, stray_problems
from .problems import Problem, show
from .raw_tables import RawTable, unquote_formulas
from .reading import is_partitioned, table_file

STREAM_ROWS = 2_000_000
"""Events in Parquet above this many rows are checked in batches rather than read whole."""

BATCH_ROWS = 1_000_000
"""Rows per batch when checking in batches."""

STREAMED = ("events",)
"""Tables that may be checked in batches: no other table refers to their ids."""


@dataclass(frozen=True)
class Source:
    """One Parquet file of a table: a part of a partitioned folder, or the table's file."""

    label: str
    part: partitioned.Part
    partitioned: bool  # a part of a folder partitioned by year: its layout is checked


def sources(path: Path) -> tuple[list[Source], list[Problem]]:
    """The files of a table stored as Parquet, in reading order, and stray files."""
    if is_partitioned(path):
        found, strays = partitioned.parts(path)
        return [Source(p.label, p, True) for p in found], stray_problems(strays)
    return [Source(path.name, partitioned.Part(0, 0, path, path.name), False)], []


def parquet_rows(path: Path) -> int:
    """Rows of a table stored as Parquet, from the files' footers (0 if unreadable)."""
    rows = 0
    for source in sources(path)[0]:
        handle, _problem = open_part(source.part)
        if handle is not None:
            rows += handle.metadata.num_rows
    return rows


def large_tables(directory: Path, limit: int | None = None) -> list[str]:
    """The tables of ``directory`` to check in batches: Parquet with more than ``limit``
    rows (default :data:`STREAM_ROWS`)."""
    limit = STREAM_ROWS if limit is None else limit
    large = []
    for name in STREAMED:
        path = table_file(directory, schema.TABLES[name])
        if (is_partitioned(path) or path.suffix == ".parquet") and parquet_rows(path) > limit:
            large.append(name)
    return large


def validate_large(
    directory: Path, large: list[str], batch_rows: int = BATCH_ROWS
) -> list[Problem]:
    """Every problem in ``directory``, the ``large`` tables read ``batch_rows`` at a time."""
    raws, problems = validate_tables(directory, skip=large)
    ids = {
        name: pd.Index(raw.frame[raw.table.key].dropna().unique())
        for name, raw in raws.items()
        if name in REFERENCED and raw.table.key not in raw.absent
    }
    for name in large:
        problems += check_in_batches(directory, name, ids, raws.get("relations"), batch_rows)
    return problems


def check_in_batches(
    directory: Path,
    name: str,
    ids: dict[str, pd.Index],
    relations: RawTable | None,
    batch_rows: int = BATCH_ROWS,
) -> list[Problem]:
    """Every problem of one table, reading ``batch_rows`` rows at a time (a batch may span
    several small parts: each row is still reported in its own file)."""
    table = schema.TABLES[name]
    found, problems = sources(table_file(directory, table))
    batch = _Batch(table, ids, relations)
    unreadable: set[str] = set()
    for source in found:
        read_problems = _read_source(source, table, batch, batch_rows)
        if read_problems:  # the file cannot be read: only that is said of it, as when whole
            unreadable.add(source.label)
            problems += read_problems
    batch.check()
    problems += [p for p in batch.problems if p.file not in unreadable]
    readable = [s for s in found if s.label not in unreadable]
    problems += _duplicates(readable, table, batch.hashes, batch_rows)
    return sorted(problems)


class _Batch:
    """Rows gathered from one or more files, checked together when there are enough."""

    def __init__(self, table: schema.Table, ids: dict[str, pd.Index], relations):
        self.table, self.ids, self.relations = table, ids, relations
        self.pieces: list = []  # Arrow tables of text columns
        self.parts: list[tuple[str, int]] = []  # (file, the batch row of its row 0)
        self.rows = 0
        self.problems: list[Problem] = []
        self.hashes: list[np.ndarray] = []

    def add(self, label: str, first_row: int, arrow) -> None:
        """Rows of ``label`` from its row ``first_row`` on."""
        start = self.rows - first_row
        if not self.parts or self.parts[-1] != (label, start):
            self.parts.append((label, start))
        self.pieces.append(arrow)
        self.rows += len(arrow)

    def check(self) -> None:
        import pyarrow as pa

        if not self.pieces:
            return
        arrow = pa.concat_tables(self.pieces, promote_options="default")
        raw = batch_table(self.table, Path(self.parts[0][0]), "", 0, arrow)
        raw.parts = tuple(self.parts)
        self.problems += check_table(raw, self.ids, unique=False)
        if self.relations is not None and self.table.name == "events":
            self.problems += link_problems(raw, self.relations)
        self.hashes.append(_hashes(raw.frame[self.table.key]))
        self.pieces, self.parts, self.rows = [], [], 0


def _read_source(source: Source, table: schema.Table, batch: _Batch, batch_rows: int) -> list:
    """Add one file's rows to ``batch`` (checking it whenever it is full) and check the
    file's layout; returns the problems that make the file unreadable (none if it is not)."""
    import pyarrow as pa

    handle, problem = open_part(source.part)
    if handle is None:
        return [problem]
    empty, header = parquet_text(handle.schema_arrow.empty_table(), source.label, table)
    if empty is None:
        return header
    date_column = partitioned.DATE_COLUMN.get(table.name, "")
    previous: str | None = None
    offset = 0
    try:
        for piece in handle.iter_batches(batch_size=batch_rows):
            arrow, found = parquet_text(pa.Table.from_batches([piece]), source.label, table)
            if arrow is None:
                return found
            if source.partitioned and date_column in arrow.column_names:
                layout, previous = partitioned.layout_problems(
                    source.part, arrow.column(date_column), previous, offset
                )
                batch.problems += [Problem(source.label, r + 2, date_column, m) for r, m in layout]
            batch.add(source.label, offset, arrow)
            offset += len(arrow)
            if batch.rows >= batch_rows:
                batch.check()
    except (OSError, pa.ArrowException) as exc:  # a damaged page: the file, as when read whole
        return [Problem(source.label, 1, "-", f"cannot read Parquet file: {first_line(exc)}")]
    return []


def _batches(source: Source, batch_rows: int, columns=None) -> Iterator:
    handle, _ = open_part(source.part)
    if handle is not None:
        yield from handle.iter_batches(batch_size=batch_rows, columns=columns)


def _hashes(keys: pd.Series) -> np.ndarray:
    """64-bit hashes of the present ids."""
    values = keys.dropna().astype(str).to_numpy(dtype=object)
    return pd.util.hash_array(values, categorize=False)


def _duplicates(
    found: list[Source], table: schema.Table, hashes: list[np.ndarray], batch_rows: int
) -> list[Problem]:
    """Ids that appear more than once, each repeat located and pointing at the first."""
    if not hashes:
        return []
    every = np.concatenate(hashes)
    del hashes[:]
    every.sort()
    repeated = np.unique(every[1:][every[1:] == every[:-1]])
    del every
    if not len(repeated):
        return []
    problems = []
    first: dict[str, tuple[str, int]] = {}
    for source in found:
        offset = 0
        for batch in _batches(source, batch_rows, columns=[table.key]):
            keys = unquote_formulas(batch.column(0).to_pandas().astype(object))
            keys = keys.where(keys.notna() & (keys != ""), None)
            present = keys.notna().to_numpy()
            candidates = np.zeros(len(keys), dtype=bool)
            candidates[present] = np.isin(_hashes(keys), repeated)
            for row in np.flatnonzero(candidates):
                value = str(keys.iloc[row])
                here = (source.label, offset + int(row) + 2)
                if value not in first:
                    first[value] = here
                    continue
                message = f"{duplicate_message(here, first[value])}: {show(value)}"
                problems.append(Problem(*here, table.key, message))
            offset += len(keys)
    return problems
