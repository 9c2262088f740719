"""Reading a table stored as Parquet as text: one file (``TABLE.parquet``), or a table
partitioned by year (``TABLE/year=YYYY/part-N.parquet``, :mod:`alliances.partitioned`), read
part by part with each row located in its part. Columns are cast to text (dictionaries for the
categorical kinds), so the checks see what they see in a CSV; :mod:`alliances.streaming`
reuses the pieces to check a table too large to read whole.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import partitioned
from .problems import Problem
from .raw_tables import CATEGORICAL_KINDS, RawTable, header_problems, raw_table
from .schema import Table


def read_parquet(path: Path, table: Table) -> tuple[RawTable | None, list[Problem]]:
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
    return raw_table(table, path, _text_frame(arrow), data), []


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (pyarrow's run on with context)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def parquet_text(arrow, name: str, table: Table):
    """A Parquet table's columns as text (dictionary-encoded for :data:`CATEGORICAL_KINDS`),
    or ``None`` and the problems (a required column missing, one that is not text)."""
    import pyarrow as pa

    header = [str(c) for c in arrow.column_names]
    problems = header_problems(name, table, header)
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
    raw = raw_table(table, path, _text_frame(arrow))
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


def read_partitioned(folder: Path, table: Table) -> tuple[RawTable | None, list[Problem]]:
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
    raw = raw_table(table, folder, frame)
    raw.digest = partitioned.digest(folder)
    raw.parts = tuple(zip(labels, starts, strict=True))
    return raw, problems
