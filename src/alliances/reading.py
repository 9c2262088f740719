"""Where a dataset's files are, and reading them as text tables.

One function, :func:`table_file`, decides which file holds a table (its CSV, else its folder
of Parquet files partitioned by year, else its Parquet file); reading, the load cache's
signature, the fingerprint and the engine all ask it. Every cell is read as a string (or
missing); :mod:`alliances.validation` checks the values.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from . import partitioned, schema
from .problems import Problem, show
from .schema import Table

ENV_DATA = "ALLIANCES_DATA"
"""Environment variable naming the dataset folder to use instead of the bundled one."""

HEADER_CHARS = 1 << 20
"""The header row is read from the first this many characters of a file."""

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


# --------------------------------------------------------------------------- where


def bundled_path() -> Path:
    """The dataset shipped with the package (in a source checkout: the repository's ``data/``)."""
    packaged = Path(str(resources.files("alliances"))) / "data"
    if (packaged / "events.csv").is_file():
        return packaged
    return Path(__file__).resolve().parents[2] / "data"


def resolve_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The folder to load: ``path``, else ``$ALLIANCES_DATA``, else the bundled dataset."""
    if path is None or str(path) == "":
        path = os.environ.get(ENV_DATA) or bundled_path()
    return Path(path).expanduser().resolve()


def table_file(directory: Path, table: Table) -> Path:
    """The file that holds ``table`` in ``directory``: its CSV, else its folder partitioned by
    year (``events/year=YYYY/part-N.parquet``, :mod:`alliances.partitioned`), else its
    Parquet file.

    Without any, the CSV's path (which does not exist: reading reports it missing).
    """
    csv_path = directory / table.filename
    if csv_path.exists():
        return csv_path
    folder = directory / table.name
    if partitioned.partitioned(table.name) and folder.is_dir():
        return folder
    parquet = directory / f"{table.name}.parquet"
    if parquet.is_file():
        return parquet
    return csv_path


def is_partitioned(path: Path) -> bool:
    """Whether a path :func:`table_file` returned is a folder of Parquet parts."""
    return path.is_dir() and path.suffix == ""


def signature(directory: Path) -> tuple:
    """Name, mtime and size of each table's file: what the load cache compares. A partitioned
    table's entry holds its newest mtime and, in place of a size, every part's name, mtime
    and size."""
    sig: list[tuple] = []
    for table in schema.TABLES.values():
        path = table_file(directory, table)
        if is_partitioned(path):
            each = partitioned.signature(path)
            newest = max((m for _, m, _ in each if m is not None), default=None)
            sig.append((path.name, newest, each))
            continue
        try:
            st = path.stat()
            sig.append((path.name, st.st_mtime_ns, st.st_size))
        except OSError:
            sig.append((path.name, None, None))
    return tuple(sig)


def fingerprint_of(files: Iterable[tuple[str, str]]) -> str:
    """12 hex digits from each (file name, SHA-256 of its bytes) in table order."""
    combined = hashlib.sha256()
    for name, digest in files:
        combined.update(f"{name}\0{digest}\n".encode())
    return combined.hexdigest()[:12]


def fingerprint_files(directory: Path) -> str:
    """A short content hash of the dataset's files (:func:`table_file`): equal data, equal
    fingerprint. A load computes the same value from the bytes it read."""
    found = []
    for table in schema.TABLES.values():
        path = table_file(directory, table)
        if is_partitioned(path):
            found.append((path.name, partitioned.digest(path)))
        elif path.is_file():
            with path.open("rb") as fh:
                found.append((path.name, hashlib.file_digest(fh, "sha256").hexdigest()))
    return fingerprint_of(found)


# --------------------------------------------------------------------------- reading


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


def _comments(text: str) -> tuple[int, int]:
    """Number of leading comment lines and the character offset of what follows them."""
    lines = offset = 0
    while text.startswith(COMMENT, offset):
        end = text.find("\n", offset)
        if end < 0:
            return lines + 1, len(text)
        lines, offset = lines + 1, end + 1
    return lines, offset


def read_table(directory: Path, table: Table) -> tuple[RawTable | None, list[Problem]]:
    """Read one table's file as strings. Returns ``None`` with problems if it cannot be read."""
    path = table_file(directory, table)
    if is_partitioned(path):
        return _read_partitioned(path, table)
    if path.suffix == ".parquet":
        return _read_parquet(path, table)
    name = table.filename
    if path.is_dir():
        return None, [Problem(name, 1, "-", "is a folder, not a CSV file")]
    if not path.is_file():
        return None, [Problem(name, 1, "-", f"file not found in {directory}")]
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [Problem(name, 1, "-", f"cannot read file: {exc.strerror or exc}")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [Problem(name, line, "-", f"not valid UTF-8 (byte {data[exc.start]:#04x})")]
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        return None, [Problem(name, line, "-", "contains NUL bytes: a binary file, not CSV text")]
    skip, offset = _comments(text)
    body = text[offset:]
    if not body or body.isspace():
        return None, [Problem(name, 1 + skip, "-", "file is empty: a header row is needed")]
    try:  # newline="": the csv module sees \r and \r\n line ends as they are
        # the header from the file's start only: a StringIO of a 300 MB text costs a second
        header = next(csv.reader(io.StringIO(body[:HEADER_CHARS], newline="")))
    except csv.Error as exc:
        return None, [Problem(name, 1 + skip, "-", f"cannot read the header row: {exc}")]
    header = [h.strip() for h in header]
    problems = [_moved(p, skip) for p in _header_problems(name, table, header)]
    if any(p.column == "-" for p in problems):
        return None, problems
    if not problems:
        start = (len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0) + len(
            text[:offset].encode("utf-8")
        )
        fast = _read_fast(data[start:] if start else data, table, header)
        if fast is not None:
            return _raw(table, path, fast, data, skip), problems
    # pandas silently turns the first column into the index when rows are wider than the
    # header, so rows with too many fields are found here first.
    shape = [_moved(p, skip) for p in _shape_problems(name, body, len(header))]
    if shape:
        return None, problems + shape
    try:
        frame = pd.read_csv(
            io.StringIO(body),
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=True,
            index_col=False,
        )
    except (pd.errors.ParserError, ValueError, csv.Error) as exc:
        shape = _shape_problems(name, body, len(header), strict=True)
        return None, problems + [_moved(p, skip) for p in shape or [_malformed(name, exc)]]
    frame.columns = [c.strip() for c in frame.columns]
    for f in table.fields:
        if f.kind in CATEGORICAL_KINDS and f.name in frame.columns:
            frame[f.name] = frame[f.name].astype("category")
    return _raw(table, path, frame, data, skip), problems


def _moved(problem: Problem, lines: int) -> Problem:
    """``problem`` with its line counted from the file's start, past ``lines`` comment lines."""
    return Problem(problem.file, problem.line + lines, problem.column, problem.message)


def _raw(
    table: Table, path: Path, frame: pd.DataFrame, data: bytes | None = None, skip: int = 0
) -> RawTable:
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


def _read_parquet(path: Path, table: Table) -> tuple[RawTable | None, list[Problem]]:
    """A table stored as Parquet: the same columns as the CSV, as strings (or dictionaries)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    name = path.name
    try:
        data = path.read_bytes()  # once: the fingerprint hashes the same bytes
        arrow = pq.read_table(pa.BufferReader(data))
    except (OSError, pa.ArrowException) as exc:
        return None, [Problem(name, 1, "-", f"cannot read Parquet file: {first_line(exc)}")]
    arrow, problems = parquet_text(arrow, name, table)
    if arrow is None:
        return None, problems
    return _raw(table, path, _text_frame(arrow), data), []


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (pyarrow's run on with context)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def parquet_text(arrow, name: str, table: Table):
    """A Parquet table's columns as text (dictionary-encoded for :data:`CATEGORICAL_KINDS`),
    or ``None`` and the problems (a required column missing, one that is not text)."""
    import pyarrow as pa

    header = [str(c) for c in arrow.column_names]
    problems = _header_problems(name, table, header)
    if problems:
        return None, problems
    kinds = {f.name: f.kind for f in table.fields}
    columns = []
    for column in header:
        target = pa.string()
        if kinds.get(column) in CATEGORICAL_KINDS:
            target = pa.dictionary(pa.int32(), pa.string())
        values = arrow.column(column)
        try:
            if pa.types.is_dictionary(values.type) and target == pa.string():
                values = values.cast(pa.string())
            elif not pa.types.is_dictionary(values.type):
                values = values.cast(pa.string())
                if target != pa.string():
                    values = values.dictionary_encode()
            elif values.type.value_type != pa.string():
                values = values.cast(pa.dictionary(pa.int32(), pa.string()))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            message = f"column cannot be read as text: {first_line(exc)}"
            return None, [Problem(name, 1, column, message)]
        columns.append(values)
    return pa.table(dict(zip(header, columns, strict=True))), []


def _text_frame(arrow) -> pd.DataFrame:
    """Text columns from Parquet as the frame the checks take: empty strings missing, as in
    the CSV."""
    import pyarrow as pa

    string = pd.StringDtype("pyarrow", na_value=float("nan"))
    frame = arrow.to_pandas(types_mapper={pa.string(): string}.get)
    for column in frame.columns:  # empty strings are missing values, as in the CSV
        if isinstance(frame[column].dtype, pd.CategoricalDtype):
            if "" in frame[column].cat.categories:
                frame[column] = frame[column].cat.remove_categories([""])
        else:
            frame[column] = frame[column].replace("", np.nan)
    return frame


def batch_table(table: Table, path: Path, label: str, first_row: int, arrow) -> RawTable:
    """Rows read from one Parquet file in a batch (text columns, :func:`parquet_text`), the
    first being row ``first_row`` of the file ``label``: reports name that file and row."""
    raw = _raw(table, path, _text_frame(arrow))
    raw.parts = ((label, -first_row),)
    return raw


def open_part(part: partitioned.Part):
    """A part of a partitioned table opened for reading, or the problem that prevents it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(part.path), None
    except (OSError, pa.ArrowException) as exc:
        return None, Problem(part.label, 1, "-", f"cannot read Parquet file: {first_line(exc)}")


def stray_problems(strays: list[str]) -> list[Problem]:
    """Files in a partitioned table's folder that are not parts of it."""
    return [
        Problem(
            label,
            1,
            "-",
            "not part of the layout: a partitioned table holds only year=YYYY/part-N.parquet "
            "files (names starting with '.' or '_' are skipped)",
        )
        for label in strays
    ]


def _read_partitioned(folder: Path, table: Table) -> tuple[RawTable | None, list[Problem]]:
    """A table stored as ``TABLE/year=YYYY/part-N.parquet``: the parts read in order (year,
    then part number) into one table, each row located in its part; every part's columns,
    years and date order are checked. A part that cannot be read (or lacks a column) is
    reported and left out, so that the others are still checked."""
    import pyarrow as pa

    found, strays = partitioned.parts(folder)
    problems = stray_problems(strays)
    date_column = partitioned.DATE_COLUMN[table.name]
    pieces, labels = [], []
    for part in found:
        handle, problem = open_part(part)
        if handle is None:
            problems.append(problem)
            continue
        try:
            arrow = handle.read()
        except (OSError, pa.ArrowException) as exc:
            message = f"cannot read Parquet file: {first_line(exc)}"
            problems.append(Problem(part.label, 1, "-", message))
            continue
        arrow, found_problems = parquet_text(arrow, part.label, table)
        problems += found_problems
        if arrow is None:
            continue
        dates = arrow.column(date_column)
        for row, message in partitioned.layout_problems(part, dates)[0]:
            problems.append(Problem(part.label, row + 2, date_column, message))
        pieces.append(arrow)
        labels.append(part.label)
    # a part that cannot be read is reported, and the others are still checked
    if pieces:  # a column some parts lack is missing in their rows
        arrow = pa.concat_tables(pieces, promote_options="default")
    else:  # no parts: a table without rows
        arrow, _ = parquet_text(
            pa.table({f.name: pa.array([], pa.string()) for f in table.fields}), "", table
        )
    frame = _text_frame(arrow)
    starts = np.cumsum([0] + [len(p) for p in pieces[:-1]]).tolist()
    raw = _raw(table, folder, frame)
    raw.digest = partitioned.digest(folder)
    raw.parts = tuple(zip(labels, starts, strict=True))
    return raw, problems


def _read_fast(data: bytes, table: Table, header: list[str]) -> pd.DataFrame | None:
    """Read a well-formed CSV with pyarrow (multi-threaded); ``None`` if anything looks off.

    Anything pyarrow rejects (ragged rows, unclosed quotes, invalid UTF-8) goes to the slower
    pandas/csv path, which reports exactly where the problem is.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    kinds = {f.name: f.kind for f in table.fields}
    types = {
        column: pa.dictionary(pa.int32(), pa.string())
        if kinds.get(column) in CATEGORICAL_KINDS
        else pa.string()
        for column in header
    }
    try:
        arrow = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError, ValueError):
        return None
    string = pd.StringDtype("pyarrow", na_value=float("nan"))
    return arrow.to_pandas(types_mapper={pa.string(): string}.get)


def _header_problems(name: str, table: Table, header: list[str]) -> list[Problem]:
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


def _shape_problems(name: str, text: str, width: int, strict: bool = False) -> list[Problem]:
    """Rows with more fields than the header; with ``strict``, also quotes never closed."""
    problems = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=strict)
    previous = 0
    start = 1
    try:
        for row in reader:
            start, previous = previous + 1, reader.line_num
            if row and start > 1 and len(row) > width:
                msg = f"row has {len(row)} fields, the header has {width}"
                problems.append(Problem(name, start, "-", msg))
    except csv.Error as err:
        start = previous + 1
        if "unexpected end of data" in str(err):
            msg = 'malformed CSV: a quoted value starting on this line is never closed (missing ")'
        else:
            msg = f"malformed CSV: {err}"
        problems.append(Problem(name, start, "-", msg))
    return problems


def _malformed(name: str, exc: Exception) -> Problem:
    first = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    return Problem(name, 1, "-", f"malformed CSV: {first}")
