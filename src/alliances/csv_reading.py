"""Reading a table's CSV file as text: a fast path through pyarrow for well-formed files, and
a pandas/csv fallback that reports exactly where a file is malformed (undecodable bytes, NUL
bytes, a header that cannot be read, rows wider than the header, quotes never closed).
``#`` comment lines before the header are skipped and counted in every reported line.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pandas as pd

from .problems import Problem
from .raw_tables import CATEGORICAL_KINDS, COMMENT, RawTable, header_problems, raw_table
from .schema import Table

HEADER_CHARS = 1 << 20
"""The header row is read from the first this many characters of a file."""


def _comments(text: str) -> tuple[int, int]:
    """Number of leading comment lines and the character offset of what follows them."""
    lines = offset = 0
    while text.startswith(COMMENT, offset):
        end = text.find("\n", offset)
        if end < 0:
            return lines + 1, len(text)
        lines, offset = lines + 1, end + 1
    return lines, offset


def read_csv(path: Path, table: Table) -> tuple[RawTable | None, list[Problem]]:
    """Read a table's CSV file as strings. Returns ``None`` with problems if it cannot be read."""
    name = table.filename
    if path.is_dir():
        return None, [Problem(name, 1, "-", "is a folder, not a CSV file")]
    if not path.is_file():
        return None, [Problem(name, 1, "-", f"file not found in {path.parent}")]
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
    problems = [_moved(p, skip) for p in header_problems(name, table, header)]
    if any(p.column == "-" for p in problems):
        return None, problems
    if not problems:
        start = (len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0) + len(
            text[:offset].encode("utf-8")
        )
        fast = _read_fast(data[start:] if start else data, table, header)
        if fast is not None:
            return raw_table(table, path, fast, data, skip), problems
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
    return raw_table(table, path, frame, data, skip), problems


def _moved(problem: Problem, lines: int) -> Problem:
    """``problem`` with its line counted from the file's start, past ``lines`` comment lines."""
    return Problem(problem.file, problem.line + lines, problem.column, problem.message)


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
