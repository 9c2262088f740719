"""Reading the CSV files of a dataset and reporting every problem in them at once.

The rules come from :mod:`alliances.schema`, compiled into pandera schemas. Problems are
reported as ``FILE:LINE: COLUMN: message`` with LINE counted as a text editor does (header = 1),
even when quoted values span several lines.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import schema
from .dates import invalid_dates, parse_partial
from .schema import Field, Table

MAX_SHOWN_VALUE = 60


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a dataset, located as precisely as possible."""

    file: str
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.column}: {self.message}"


class DatasetError(ValueError):
    """Raised by :func:`alliances.load_dataset` for a dataset that fails validation."""

    def __init__(self, path: Path, problems: list[Problem]):
        self.path = path
        self.problems = problems
        lines = "\n".join(str(p) for p in problems[:50])
        more = f"\n... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s) in dataset {path}:\n{lines}{more}")


def show(value: object) -> str:
    """A value quoted for a report: control characters escaped, long values shortened."""
    text = str(value)
    if len(text) > MAX_SHOWN_VALUE:
        text = text[: MAX_SHOWN_VALUE - 3] + "..."
    return repr(text)


# --------------------------------------------------------------------------- reading


@dataclass
class RawTable:
    """A table as read from disk: every cell a string or missing, plus where its rows are."""

    table: Table
    path: Path
    frame: pd.DataFrame
    absent: frozenset[str] = frozenset()  # columns missing from the file, added empty
    digest: str = ""  # SHA-256 of the file's bytes, as read: the dataset's fingerprint uses it
    _lines: list[int] | None = None

    def line_of(self, index: int) -> int:
        """The editor line on which data row ``index`` (0-based) starts."""
        if self.path.suffix == ".parquet":  # no text lines: row number, as if under a header
            return index + 2
        if self._lines is None:
            self._lines = record_lines(self.path)
        if 0 <= index < len(self._lines):
            return self._lines[index]
        return index + 2


def record_lines(path: Path) -> list[int]:
    """Start line of every non-blank data record, accounting for line breaks inside quotes."""
    lines: list[int] = []
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        previous = 0
        for row in reader:
            if row and previous:  # skip the header (first record) and blank lines
                lines.append(previous + 1)
            previous = reader.line_num
    return lines


HEADER_CHARS = 1 << 20
"""The header row is read from the first this many characters of a file."""


def read_table(directory: Path, table: Table) -> tuple[RawTable | None, list[Problem]]:
    """Read one CSV file as strings. Returns ``None`` with problems if it cannot be read."""
    path = directory / table.filename
    name = table.filename
    parquet = directory / f"{table.name}.parquet"
    if not path.exists() and parquet.is_file():
        return _read_parquet(parquet, table)
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
    if not text or text.isspace():
        return None, [Problem(name, 1, "-", "file is empty: a header row is needed")]
    try:  # newline="": the csv module sees \r and \r\n line ends as they are
        # the header from the file's start only: a StringIO of a 300 MB text costs a second
        header = next(csv.reader(io.StringIO(text[:HEADER_CHARS], newline="")))
    except csv.Error as exc:
        return None, [Problem(name, 1, "-", f"cannot read the header row: {exc}")]
    problems = _header_problems(name, table, [h.strip() for h in header])
    if any(p.column == "-" for p in problems):
        return None, problems
    if not problems:
        fast = _read_fast(data, table, [h.strip() for h in header])
        if fast is not None:
            return _raw(table, path, fast, data), problems
    # pandas silently turns the first column into the index when rows are wider than the
    # header, so rows with too many fields are found here first.
    shape = _shape_problems(name, text, len(header))
    if shape:
        return None, problems + shape
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=True,
            index_col=False,
        )
    except (pd.errors.ParserError, ValueError, csv.Error) as exc:
        shape = _shape_problems(name, text, len(header), strict=True)
        return None, problems + (shape or [_malformed(name, exc)])
    frame.columns = [c.strip() for c in frame.columns]
    for f in table.fields:
        if f.kind in CATEGORICAL_KINDS and f.name in frame.columns:
            frame[f.name] = frame[f.name].astype("category")
    return _raw(table, path, frame, data), problems


# Columns with few distinct values (ids of other tables, dates, numbers, vocabularies) are read
# as categoricals: checks and parsing then run once per distinct value, not once per row.
CATEGORICAL_KINDS = frozenset({"ref", "refs", "date", "number", "bool", "choice", "url", "color"})


def _raw(table: Table, path: Path, frame: pd.DataFrame, data: bytes) -> RawTable:
    absent = frozenset(f.name for f in table.fields if f.name not in frame.columns)
    for f in table.fields:
        if f.name in absent:
            dtype = "category" if f.kind in CATEGORICAL_KINDS else "string"
            frame[f.name] = pd.Series(pd.NA, index=frame.index, dtype="string").astype(dtype)
    return RawTable(table, path, frame, absent, hashlib.sha256(data).hexdigest())


def _read_parquet(path: Path, table: Table) -> tuple[RawTable | None, list[Problem]]:
    """A table stored as Parquet: the same columns as the CSV, as strings (or dictionaries)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    name = path.name
    try:
        data = path.read_bytes()  # once: the fingerprint hashes the same bytes
        arrow = pq.read_table(pa.BufferReader(data))
    except (OSError, pa.ArrowException) as exc:
        return None, [Problem(name, 1, "-", f"cannot read Parquet file: {exc}")]
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
            return None, [Problem(name, 1, column, f"column cannot be read as text: {exc}")]
        columns.append(values)
    arrow = pa.table(dict(zip(header, columns, strict=True)))
    string = pd.StringDtype("pyarrow", na_value=float("nan"))
    frame = arrow.to_pandas(types_mapper={pa.string(): string}.get)
    for column in header:  # empty strings are missing values, as in the CSV
        if isinstance(frame[column].dtype, pd.CategoricalDtype):
            if "" in frame[column].cat.categories:
                frame[column] = frame[column].cat.remove_categories([""])
        else:
            frame[column] = frame[column].replace("", np.nan)
    return _raw(table, path, frame, data), []


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


# --------------------------------------------------------------------------- checking


def per_value(test: Callable[[pd.Series], pd.Series]) -> Callable[[pd.Series], pd.Series]:
    """Run a vectorised test once per distinct value of a categorical column, then per row."""

    def check(values: pd.Series) -> pd.Series:
        if not isinstance(values.dtype, pd.CategoricalDtype):
            return test(values)
        categories = pd.Series(values.cat.categories.astype(object), dtype=object)
        ok = np.asarray(test(categories), dtype=bool) if len(categories) else np.ones(0, bool)
        codes = values.cat.codes.to_numpy()
        return pd.Series(np.where(codes >= 0, ok[codes], True), index=values.index)

    return check


def _finite(s: pd.Series) -> pd.Series:
    # abs() < inf: a finite number ("inf" and "nan" parse, but are no data)
    return pd.to_numeric(s, errors="coerce").abs().lt(float("inf"))


def _matches(pattern) -> Callable[[pd.Series], pd.Series]:
    return lambda s: s.astype(str).str.match(pattern).fillna(False)


def _checks_for(f: Field, ids: Mapping[str, pd.Index]) -> list:
    import pandera.pandas as pa

    def check(test, error: str):
        return pa.Check(per_value(test), error=error)

    checks = []
    if f.kind == "date":
        checks.append(
            check(
                lambda s: ~invalid_dates(s),
                "not a date: use YYYY, YYYY-MM or YYYY-MM-DD (a real day, years 1800-2100)",
            )
        )
    elif f.kind == "number":
        checks.append(check(_finite, "not a number"))
        if f.bounds:
            lo, hi = f.bounds

            def within(s, lo=lo, hi=hi):
                n = pd.to_numeric(s, errors="coerce")
                return ~n.lt(lo) & ~n.gt(hi)

            checks.append(check(within, f"out of range: must be between {lo:g} and {hi:g}"))
    elif f.kind == "bool":
        checks.append(
            check(
                lambda s: s.astype(str).str.lower().isin(schema.BOOL_WORDS),
                "not a boolean: use true or false",
            )
        )
    elif f.kind == "choice":
        checks.append(check(lambda s: s.isin(f.choices), f"must be one of {', '.join(f.choices)}"))
    elif f.kind == "url":
        checks.append(
            check(
                _matches(schema.URL_PATTERN),
                "not a web address: source_url must start with http:// or https://",
            )
        )
    elif f.kind == "color":
        checks.append(check(_matches(schema.COLOR_PATTERN), "not a colour: use #rrggbb"))
    elif f.kind == "id":
        checks.append(
            check(
                # an explicit class: pandas runs it in pyarrow, while \s falls back to Python
                lambda s: ~s.str.contains(r"[ \t\n\r\f\v;,]", regex=True),
                "an id may not contain spaces, ';' or ','",
            )
        )
    elif f.kind in ("ref", "refs") and f.ref in ids:
        known = ids[f.ref]
        what = {"actors": "actor", "relations": "relation"}.get(f.ref, f.ref.rstrip("s"))
        if f.kind == "ref":
            checks.append(check(lambda s, k=known: s.isin(k), f"unknown {what} id"))
        else:
            checks.append(
                check(lambda s, k=known: _list_items_known(s, k), f"unknown {what} id in the list")
            )
    if f.pattern is not None:
        checks.append(check(_matches(f.pattern), f"does not match {f.pattern.pattern}"))
    return checks


def _list_items_known(values: pd.Series, known: pd.Index) -> pd.Series:
    items = values.astype(str).str.split(";").explode().str.strip()
    items = items[items != ""]
    bad = items.index[~items.isin(known).to_numpy()]
    return pd.Series(~values.index.isin(bad), index=values.index)


def _row_check(rule_name: str, frame: pd.DataFrame) -> pd.Series:
    """Evaluate a cross-column rule; True where the row passes."""
    if rule_name == "end_after_start":
        start_col = "start_date" if "start_date" in frame else "date"
        start = parse_partial(frame[start_col])["start"]
        stop = parse_partial(frame["end_date"])["stop"]
        return ~(stop <= start).fillna(False)
    if rule_name == "distinct_actors":
        a, b = ("actor_a", "actor_b") if "actor_a" in frame else ("actor_1", "actor_2")
        same = frame[a].astype(object) == frame[b].astype(object)
        return ~same.fillna(False).astype(bool)
    if rule_name == "unit_with_magnitude":
        return ~(frame["magnitude"].notna() & frame["unit"].isna())
    raise KeyError(rule_name)


def pandera_schema(table: Table, ids: Mapping[str, pd.Index] | None = None):
    """The pandera ``DataFrameSchema`` for a table, given the ids of the tables it refers to."""
    import pandera.pandas as pa

    ids = ids or {}
    columns = {
        f.name: pa.Column(
            nullable=not f.required,
            unique=f.name == table.key,
            report_duplicates="exclude_first",
            checks=_checks_for(f, ids),
            description=f.description or None,
        )
        for f in table.fields
    }
    checks = [
        pa.Check(lambda df, n=r.name: _row_check(n, df), name=r.name, error=r.message)
        for r in table.rules
    ]
    return pa.DataFrameSchema(columns, checks=checks, strict=False, coerce=False)


def check_table(raw: RawTable, ids: Mapping[str, pd.Index]) -> list[Problem]:
    """Every problem in one table's values."""
    import pandera.errors
    import pandera.pandas

    table = raw.table
    try:
        pandera_schema(table, ids).validate(raw.frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    else:
        return []
    rule_columns = {r.message: r.column for r in table.rules}
    problems: dict[tuple[int, str, str], Problem] = {}
    first_seen = _first_occurrence(raw.frame[table.key]) if table.key in raw.frame else {}
    for case in cases.itertuples(index=False):
        if case.index is None or pd.isna(case.index):
            if case.check != "column_in_dataframe":  # missing columns come from the header
                column = "-" if case.column is None else str(case.column)
                problems.setdefault(
                    (-1, column, str(case.check)),
                    Problem(raw.path.name, 1, column, f"check failed: {case.check}"),
                )
            continue
        if case.column in raw.absent:
            continue  # reported once, on the header line
        index = int(case.index)
        message = str(case.check)
        value = case.failure_case
        if message in rule_columns:
            column = rule_columns[message]
            value = raw.frame.at[index, column] if column in raw.frame else None
        else:
            column = str(case.column)
        if message == "not_nullable":
            message, value = "required value is empty", None
        elif message == "field_uniqueness":
            first = first_seen.get(value)
            where = f" (first on line {raw.line_of(first)})" if first is not None else ""
            message = f"duplicate id{where}"
        if value is not None and not pd.isna(value):
            message = f"{message}: {show(value)}"
        key = (index, column, message)
        problems.setdefault(key, Problem(raw.path.name, raw.line_of(index), column, message))
    return sorted(problems.values())


def _first_occurrence(keys: pd.Series) -> dict[str, int]:
    dup = keys[keys.duplicated(keep=False) & keys.notna()]
    return {v: int(i) for v, i in dup.groupby(dup, sort=False).apply(lambda g: g.index[0]).items()}


REFERENCED = frozenset(f.ref for t in schema.TABLES.values() for f in t.fields if f.ref)


def validate_tables(directory: Path) -> tuple[dict[str, RawTable], list[Problem]]:
    """Read and check every table of a folder; returns what could be read, and every problem."""
    raws: dict[str, RawTable] = {}
    problems: list[Problem] = []
    ids: dict[str, pd.Index] = {}
    for table in schema.TABLES.values():
        raw, read_problems = read_table(directory, table)
        problems += read_problems
        if raw is None:
            continue
        raws[table.name] = raw
        problems += check_table(raw, ids)
        referenced = table.name in REFERENCED
        if referenced and table.key not in raw.absent:  # else every reference would be "unknown"
            ids[table.name] = pd.Index(raw.frame[table.key].dropna().unique())
    return raws, problems


def validate(path: str | Path | None = None) -> list[Problem]:
    """Check a dataset folder (the bundled one by default); an empty list means it is valid."""
    from .dataset import resolve_path

    directory = resolve_path(path)
    if not directory.is_dir():
        return [Problem(str(directory), 0, "-", "not a dataset folder")]
    return validate_tables(directory)[1]


def format_report(problems: Iterable[Problem]) -> str:
    """One problem per line."""
    return "\n".join(str(p) for p in problems)
