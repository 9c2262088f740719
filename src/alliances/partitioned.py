"""A large table stored as Parquet partitioned by year: ``events/year=YYYY/part-N.parquet``.

The layout an embedded engine reads without loading everything: one folder per year (Hive
style, so engines prune by year), rows sorted by date inside each part, row groups of
:data:`ROW_GROUP_ROWS` rows whose statistics let an engine skip what a date window excludes.
Columns are the public format's, as text, like the CSV. :mod:`alliances.reading` decides which
file holds a table; this module knows the layout: which files are parts, where a row belongs,
how to write one in bounded memory, and a digest that needs no full read.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

DATE_COLUMN = {"events": "date", "relations": "start_date"}
"""The column whose year chooses a row's partition, and whose order the rows follow."""

ROW_GROUP_ROWS = 131_072
"""Rows per row group: about one DuckDB work unit (122,880 rows), small enough that a date
window skips most of a year's groups, large enough that 1e8 rows make under 1,000 groups."""

PART_ROWS = 8 * ROW_GROUP_ROWS
"""Rows per part file; a larger year continues in ``part-1.parquet`` and so on."""

YEAR_FOLDER = re.compile(r"^year=(\d{4})$")
PART_FILE = re.compile(r"^part-(\d+)\.parquet$")
IGNORED_PREFIXES = (".", "_")
"""Names skipped in a partitioned folder, as pyarrow and Spark skip them: files being written
(``.part-0.parquet.tmp``) and writers' markers (``_SUCCESS``, ``_common_metadata``)."""

COMPRESSION = "zstd"


@dataclass(frozen=True)
class Part:
    """One file of a partitioned table."""

    year: int
    number: int
    path: Path
    label: str  # as reports name it: "events/year=2024/part-0.parquet"


def partitioned(table: str) -> bool:
    """Whether ``table`` can be stored partitioned by year (it has a date to partition on)."""
    return table in DATE_COLUMN


def parts(folder: Path) -> tuple[list[Part], list[str]]:
    """The parts of a partitioned table's folder in reading order (year, then part number),
    and the files or folders in it that break the layout (as labels)."""
    found: list[Part] = []
    strays: list[str] = []
    base = folder.name
    for entry in sorted(_entries(folder)):
        label = f"{base}/{entry.name}"
        year = YEAR_FOLDER.match(entry.name)
        if not entry.is_dir() or year is None:
            strays.append(label)
            continue
        for item in sorted(_entries(entry)):
            number = PART_FILE.match(item.name)
            if number is None or not item.is_file():
                strays.append(f"{label}/{item.name}")
                continue
            found.append(Part(int(year[1]), int(number[1]), item, f"{label}/{item.name}"))
    found.sort(key=lambda p: (p.year, p.number))
    return found, strays


def _entries(folder: Path) -> Iterator[Path]:
    try:
        items = list(folder.iterdir())
    except OSError:
        return
    yield from (p for p in items if not p.name.startswith(IGNORED_PREFIXES))


def part_files(folder: Path) -> list[Path]:
    """The Parquet files of a partitioned table, in reading order (what an engine scans)."""
    return [p.path for p in parts(folder)[0]]


def footer(path: Path) -> bytes:
    """A Parquet file's footer (its metadata: schema, row groups, column statistics) and
    trailer, read from its end."""
    with path.open("rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        if size < 12:
            return fh.seek(0) or fh.read()
        fh.seek(size - 8)
        trailer = fh.read(8)
        length = int.from_bytes(trailer[:4], "little")
        fh.seek(max(0, size - 8 - length))
        return fh.read(min(length, size - 8)) + trailer


def digest(folder: Path) -> str:
    """SHA-256 of each part's label, size and footer: changes when a part is added, removed,
    resized or rewritten (row counts, offsets and per-column statistics are in the footer),
    without reading the 10 GB of a hundred million events."""
    combined = hashlib.sha256()
    for part in parts(folder)[0]:
        try:
            size = part.path.stat().st_size
            tail = footer(part.path)
        except OSError:
            continue
        combined.update(f"{part.label}\0{size}\0".encode())
        combined.update(hashlib.sha256(tail).digest())
    return combined.hexdigest()


def signature(folder: Path) -> tuple:
    """Name, mtime and size of every part: what the load cache compares."""
    sig = []
    for part in parts(folder)[0]:
        try:
            st = part.path.stat()
            sig.append((part.label, st.st_mtime_ns, st.st_size))
        except OSError:
            sig.append((part.label, None, None))
    return tuple(sig)


# --------------------------------------------------------------------------- rows and years


def start_key(dates: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Partial dates as the text of their first day (``2024`` -> ``2024-01-01``, ``2024-03``
    -> ``2024-03-01``): ordering this text orders rows by when they start, as the loader
    does. Missing dates stay missing."""
    text = pc.cast(dates, pa.string()) if dates.type != pa.string() else dates
    length = pc.utf8_length(text)
    return pc.if_else(
        pc.equal(length, 4),
        pc.binary_join_element_wise(text, "01-01", "-"),
        pc.if_else(pc.equal(length, 7), pc.binary_join_element_wise(text, "01", "-"), text),
    )


def years_of(dates: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """The year of each text date (its first four characters) as int32; missing if not
    four digits."""
    text = pc.cast(dates, pa.string()) if dates.type != pa.string() else dates
    head = pc.utf8_slice_codeunits(text, 0, 4)
    digits = pc.match_substring_regex(head, r"^\d{4}$")
    return pc.if_else(digits, pc.cast(pc.if_else(digits, head, "0"), pa.int32()), None)


def layout_problems(
    part: Part, dates: pa.ChunkedArray | pa.Array, previous: str | None = None, offset: int = 0
) -> tuple[list[tuple[int, str]], str | None]:
    """What in a part's rows breaks the layout: rows of another year than the part's folder,
    rows out of date order. Returns (row, message) pairs, at most one per kind and call, and
    the last key (pass it with the next rows of the same part, and their ``offset``)."""
    found: list[tuple[int, str]] = []
    if len(dates) == 0:
        return found, previous
    years = years_of(dates)
    wrong = pc.fill_null(pc.not_equal(years, part.year), False)
    count = pc.sum(wrong).as_py() or 0
    if count:
        first = pc.index(wrong, True).as_py()
        more = f" (and {count - 1:,} more row(s) of this part)" if count > 1 else ""
        found.append(
            (
                offset + first,
                f"date {dates[first].as_py()!r} is not in year {part.year}, the year of its "
                f"folder{more}: rows go in the folder of their date's year",
            )
        )
    keys = pc.fill_null(start_key(dates), "")
    keys = keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys
    if previous is not None:
        keys_before = pa.concat_arrays([pa.array([previous], pa.string()), keys[:-1]])
    else:
        keys_before = pa.concat_arrays([keys[:1], keys[:-1]])
    backwards = pc.less(keys, keys_before)
    if pc.any(backwards).as_py():
        first = pc.index(backwards, True).as_py()
        found.append(
            (
                offset + first,
                f"rows are not in date order here ({dates[first].as_py()!r} after "
                f"{keys_before[first].as_py()!r}): `alliances convert` writes them sorted",
            )
        )
    return found, keys[-1].as_py()


# --------------------------------------------------------------------------- writing


class PartitionedWriter:
    """Writes a table's rows (text columns) into ``folder`` as ``year=YYYY/part-N.parquet``.

    ``schema``: the columns to write, as text (``None``: those of the first rows written).

    With ``presorted``, chunks must come in date order (each chunk sorted, and starting no
    earlier than the last ended): rows are written as they come, buffered into full row
    groups, so memory stays at about one row group per column plus the chunk. Otherwise each
    chunk is spilled to a staging folder by year, and :meth:`close` sorts one year at a time
    (memory: the largest year). Rows with the same start keep their order in both cases.
    """

    def __init__(
        self,
        folder: Path,
        schema: pa.Schema | None,
        date_column: str,
        *,
        presorted: bool = False,
        row_group_rows: int = ROW_GROUP_ROWS,
        part_rows: int = PART_ROWS,
    ):
        self.folder = Path(folder)
        self.schema = schema
        self.date_column = date_column
        self.presorted = presorted
        self.row_group_rows = row_group_rows
        self.part_rows = max(part_rows, row_group_rows)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.rows = 0
        self.files: list[Path] = []
        self._year: int | None = None
        self._buffer: list[pa.Table] = []
        self._buffered = 0
        self._writer: pq.ParquetWriter | None = None
        self._part_rows = 0
        self._part_number = 0
        self._last_key: str | None = None
        self._staging = self.folder / "_staging"
        self._spills: dict[int, list[Path]] = {}

    def __enter__(self) -> PartitionedWriter:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()

    def write(self, table: pa.Table) -> None:
        """Add rows (a table with this writer's columns, as text)."""
        if self.schema is None:
            self.schema = text_schema(table.column_names)
        table = table.select(self.schema.names).cast(self.schema)
        if not len(table):
            return
        years = years_of(table.column(self.date_column))
        if years.null_count:
            row = pc.index(pc.is_null(years), True).as_py()
            value = table.column(self.date_column)[row].as_py()
            raise ValueError(f"{self.date_column} {value!r} has no year to partition on")
        if self.presorted:
            self._write_sorted(table, years)
        else:
            self._spill(table, years)

    def _write_sorted(self, table: pa.Table, years: pa.ChunkedArray) -> None:
        keys = start_key(table.column(self.date_column))
        first = keys[0].as_py()
        if self._last_key is not None and first < self._last_key:
            raise ValueError(
                f"chunk starts at {first}, before the previous chunk ended ({self._last_key})"
            )
        keys = keys.combine_chunks()
        if pc.any(pc.less(keys[1:], keys[:-1])).as_py():
            raise ValueError("a chunk's rows are not in date order")
        self._last_key = keys[-1].as_py()
        values = pc.unique(years).to_pylist()
        for year in sorted(values):
            rows = table.filter(pc.equal(years, year)) if len(values) > 1 else table
            if year != self._year:
                self._flush(final=True)
                self._year, self._part_number, self._part_rows = year, 0, 0
            self._buffer.append(rows)
            self._buffered += len(rows)
            self._flush()

    def _flush(self, final: bool = False) -> None:
        """Write full row groups from the buffer (all of it with ``final``)."""
        if not self._buffered:
            if final:
                self._close_part()
            return
        table = pa.concat_tables(self._buffer)
        start = 0
        while len(table) - start >= self.row_group_rows or (final and start < len(table)):
            room = self.part_rows - self._part_rows
            size = min(self.row_group_rows, len(table) - start, room)
            self._open_part().write_table(table.slice(start, size), row_group_size=size)
            self._part_rows += size
            self.rows += size
            start += size
            if self._part_rows >= self.part_rows:
                self._close_part()
                self._part_number += 1
                self._part_rows = 0
        rest = table.slice(start)
        self._buffer, self._buffered = ([rest], len(rest)) if len(rest) else ([], 0)
        if final:
            self._close_part()

    def _open_part(self) -> pq.ParquetWriter:
        if self._writer is None:
            path = self.folder / f"year={self._year:04d}" / f"part-{self._part_number}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = pq.ParquetWriter(
                path,
                self.schema,
                compression=COMPRESSION,
                sorting_columns=[pq.SortingColumn(self.schema.get_field_index(self.date_column))],
            )
            self.files.append(path)
        return self._writer

    def _close_part(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def _spill(self, table: pa.Table, years: pa.ChunkedArray) -> None:
        sequence = pa.array(range(self.rows, self.rows + len(table)), pa.int64())
        table = table.append_column("__row", sequence)
        self.rows += len(table)
        for year in pc.unique(years).to_pylist():
            spills = self._spills.setdefault(year, [])
            path = self._staging / f"{year:04d}-{len(spills)}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(table.filter(pc.equal(years, year)), path, compression="lz4")
            spills.append(path)

    def close(self) -> list[Path]:
        """Finish writing; returns the part files written."""
        if self.presorted:
            self._flush(final=True)
            return self.files
        spills, self._spills = self._spills, {}
        written = self.rows
        self.rows = 0
        self.presorted = True
        for year in sorted(spills):
            table = pa.concat_tables([pq.read_table(p) for p in spills[year]])
            order = pc.sort_indices(
                pa.table({"key": start_key(table.column(self.date_column)), "row": table["__row"]}),
                sort_keys=[("key", "ascending"), ("row", "ascending")],
            )
            table = table.take(order).drop_columns(["__row"])
            for path in spills[year]:
                path.unlink()
            self._year, self._part_number, self._part_rows = year, 0, 0
            self._buffer, self._buffered = [table], len(table)
            self._flush(final=True)
            del table
        shutil.rmtree(self._staging, ignore_errors=True)
        assert self.rows == written, (self.rows, written)
        return self.files

    def abort(self) -> None:
        """Stop without finishing (the caller removes the folder)."""
        self._close_part()
        shutil.rmtree(self._staging, ignore_errors=True)


def text_schema(columns: list[str]) -> pa.Schema:
    """Every column as text, as the public format stores it."""
    return pa.schema([(c, pa.string()) for c in columns])
