"""``alliances convert FOLDER -o OUT``: a dataset rewritten for large data.

The events (and the relations, above :data:`PARTITION_RELATIONS` rows) become Parquet
partitioned by year and sorted by date (:mod:`alliances.partitioned`); actors and the two
vocabularies stay CSV. The input is validated first (in batches when large,
:mod:`alliances.streaming`), the output is written into a folder beside ``OUT``, validated
again, given the engine's rollups, and only then moved into place: a failure leaves ``OUT`` as
it was. Converting again, or converting a converted folder, gives the same files.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from . import partitioned, schema
from .files import replace_folder, staging_folder
from .formats import neutralise_text
from .reading import is_partitioned, read_table, table_file
from .schema import Table

FORMATS = ("parquet",)

PARTITION_RELATIONS = 1_000_000
"""Relations above this many rows are partitioned by their start year like the events; fewer
stay one CSV file, which people read and edit."""

BATCH_ROWS = 1_000_000
"""Rows read and written at a time."""

TABLE_NAMES = frozenset(
    name for t in schema.TABLES.values() for name in (t.filename, f"{t.name}.parquet", t.name)
)
"""What may hold a table in a folder: its CSV, its Parquet file, its partitioned folder."""


class ConvertFailed(Exception):
    """A dataset that cannot be converted (it does not validate) or an output that cannot be
    written; nothing was written. ``usage``: a mistake in the command (exit code 2)."""

    def __init__(self, problems: list[str], *, usage: bool = False):
        self.problems = problems
        self.usage = usage
        super().__init__("\n".join(problems))


@dataclass
class TableReport:
    """How one table was written."""

    name: str
    rows: int
    stored: str  # "events/ (Parquet by year)", "actors.csv"
    source: str
    years: tuple[int, int, int] | None = None  # first, last, how many have rows
    files: int = 1
    row_groups: int = 0
    bytes_before: int = 0
    bytes_after: int = 0

    def line(self) -> str:
        text = f"  {self.name}: {self.rows:,} rows from {self.source} -> {self.stored}"
        if self.years is not None:
            first, last, count = self.years
            text += (
                f": {count} year(s) {first}–{last}, {self.files} file(s), "
                f"{self.row_groups} row group(s), {_mb(self.bytes_after)} "
                f"(was {_mb(self.bytes_before)})"
            )
        return text


@dataclass
class ConvertReport:
    """What :func:`convert` did; :meth:`text` is what the command prints."""

    source: Path
    output: Path
    tables: list[TableReport] = field(default_factory=list)
    rollups: str = ""
    seconds: float = 0.0
    checked: str = ""

    def text(self) -> str:
        lines = [f"converted {self.source} in {self.seconds:.1f} s", f"wrote {self.output}"]
        lines += [t.line() for t in self.tables]
        lines.append(f"checked: {self.checked}")
        lines.append(f"rollups: {self.rollups}")
        return "\n".join(lines)


def _mb(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size if path.is_file() else 0


def check_output(output: Path, source: Path) -> None:
    """Refuse to replace a folder that holds no dataset (a converted one, the source itself
    or an empty folder may be replaced: converting again gives the same files)."""
    if not output.exists():
        return
    if not output.is_dir():
        raise ConvertFailed([f"{output}: exists and is not a folder"], usage=True)
    if output.resolve() == source.resolve():
        return
    names = {p.name for p in output.iterdir() if not p.name.startswith(".")}
    if names and not names & TABLE_NAMES:
        raise ConvertFailed(
            [f"{output}: folder exists and holds no dataset: give a new or empty folder"],
            usage=True,
        )


def convert(
    source: str | Path,
    output: str | Path,
    *,
    fmt: str = "parquet",
    batch_rows: int = BATCH_ROWS,
    partition_relations: int = PARTITION_RELATIONS,
    rollups: bool = True,
) -> ConvertReport:
    """Convert the dataset folder ``source`` into ``output`` (see the module's docstring).

    ``rollups=False`` leaves the engine's rollups to be built on first open. Raises
    :class:`ConvertFailed` (nothing written) if ``source`` does not validate.
    """
    from .validation import validate

    t0 = time.perf_counter()
    source, output = Path(source).expanduser(), Path(output).expanduser()
    if fmt not in FORMATS:
        raise ConvertFailed([f"--format {fmt}: use {', '.join(FORMATS)}"], usage=True)
    if not source.is_dir():
        raise ConvertFailed([f"{source}: not a dataset folder"], usage=True)
    check_output(output, source)
    problems = validate(source)
    if problems:
        raise ConvertFailed(
            [f"{source} does not validate; fix it first:", *(str(p) for p in problems[:50])]
            + ([f"... and {len(problems) - 50} more"] if len(problems) > 50 else [])
        )
    report = ConvertReport(source, output)
    staging = staging_folder(output, ".converting")
    try:
        for table in schema.TABLES.values():
            report.tables.append(
                _write_table(source, staging, table, batch_rows, partition_relations)
            )
        _copy_others(source, staging, output)
        problems = validate(staging)
        if problems:  # a bug here, never the data's fault: the input passed the same checks
            raise ConvertFailed(
                ["the converted folder does not validate (a bug in convert; nothing written):"]
                + [str(p) for p in problems[:20]]
            )
        report.checked = "the converted folder passes `alliances validate`"
        report.rollups = build_rollups(staging) if rollups else "not built (built on first open)"
        replace_folder(staging, output)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    report.seconds = time.perf_counter() - t0
    return report


def build_rollups(folder: Path) -> str:
    """The engine's rollups of ``folder`` (built once, kept beside the data in
    ``.alliances/``), or why there are none: the hook between ``convert`` and
    :mod:`alliances.engine`."""
    try:
        from .engine import build_rollups as build
    except ImportError:
        return "not built: this installation has no engine (alliances.engine)"
    where = Path(build(folder))
    try:
        return f"built in {where.relative_to(folder)}"
    except ValueError:
        return f"built in {where}"


def _copy_others(source: Path, staging: Path, output: Path) -> None:
    """The folder's other files (its README, its licence) come along; hidden and ``_`` files
    (the engine's rollups of the old files, say) do not, nor the output if it is inside."""
    for item in source.iterdir():
        if item.name in TABLE_NAMES or item.name.startswith((".", "_")):
            continue
        if item.resolve() == output.resolve():
            continue
        copy = shutil.copytree if item.is_dir() else shutil.copy2
        copy(item, staging / item.name)


def _write_table(
    source: Path, staging: Path, table: Table, batch_rows: int, partition_relations: int
) -> TableReport:
    path = table_file(source, table)
    label = path.name + ("/" if is_partitioned(path) else "")
    rows = _input(source, table, path, batch_rows)
    large = table.name == "events" or (
        partitioned.partitioned(table.name) and rows.count > partition_relations
    )
    if not large:
        if path.suffix == ".csv":
            shutil.copy2(path, staging / table.filename)
        else:
            _write_csv(rows, table, staging / table.filename)
        return TableReport(table.name, rows.count, table.filename, label)
    folder = staging / table.name
    written = 0
    with partitioned.PartitionedWriter(
        folder, partitioned.text_schema(rows.columns), partitioned.DATE_COLUMN[table.name]
    ) as writer:
        for batch in rows.batches():
            writer.write(_conform(batch, rows.columns, table))
            written += len(batch)
    found = partitioned.parts(folder)[0]
    years = (found[0].year, found[-1].year, len({p.year for p in found})) if found else None
    groups = sum(pq.ParquetFile(p.path).metadata.num_row_groups for p in found)
    return TableReport(
        table.name, written, f"{table.name}/ (Parquet by year)", label, years, len(found),
        groups, _size(path), _size(folder),
    )  # fmt: skip


@dataclass
class _Input:
    """A table's rows in the input folder, as text: how many, which columns (the schema's in
    its order, then extra columns, which the format keeps), and a way to read them in
    batches (a CSV is read whole, as the validator just did; Parquet a batch at a time)."""

    count: int
    columns: list[str]
    batches: Callable[[], Iterator[pa.Table]]


def _input(source: Path, table: Table, path: Path, batch_rows: int) -> _Input:
    from .streaming import parquet_rows, sources

    if path.suffix == ".csv":
        raw, _ = read_table(source, table)
        frame = raw.frame.drop(columns=list(raw.absent))

        def from_csv() -> Iterator[pa.Table]:
            for start in range(0, len(frame), batch_rows):
                chunk = frame.iloc[start : start + batch_rows]
                yield pa.Table.from_pandas(chunk, preserve_index=False)

        return _Input(len(frame), _ordered(list(frame.columns), table), from_csv)
    files = [item.part.path for item in sources(path)[0]]
    present: list[str] = []
    for file in files:
        present += [c for c in pq.ParquetFile(file).schema_arrow.names if c not in present]

    def from_parquet() -> Iterator[pa.Table]:
        for file in files:
            for batch in pq.ParquetFile(file).iter_batches(batch_size=batch_rows):
                yield pa.Table.from_batches([batch])

    return _Input(parquet_rows(path), _ordered(present, table), from_parquet)


def _ordered(present: list[str], table: Table) -> list[str]:
    known = [c for c in table.columns if c in present]
    return known + [c for c in present if c not in table.columns]


def _conform(batch: pa.Table, columns: list[str], table: Table) -> pa.Table:
    """A batch with exactly ``columns``, as text, formulas neutralised the way every file the
    product writes has them (numbers as they are)."""
    kinds = {f.name: f.kind for f in table.fields}
    arrays = []
    for name in columns:
        if name not in batch.column_names:
            arrays.append(pa.nulls(len(batch), pa.string()))
            continue
        values = batch.column(name)
        if pa.types.is_dictionary(values.type):
            values = values.cast(values.type.value_type)
        values = values.cast(pa.string()).combine_chunks()
        if kinds.get(name, "number") != "number":
            values = neutralise_text(values)
        arrays.append(values)
    return pa.table(dict(zip(columns, arrays, strict=True)))


def _write_csv(rows: _Input, table: Table, target: Path) -> None:
    """A small table stored as Parquet, written as CSV (formulas neutralised)."""
    import pyarrow.csv as pacsv

    batches = [_conform(b, rows.columns, table) for b in rows.batches()]
    schema_ = partitioned.text_schema(rows.columns)
    merged = pa.concat_tables(batches) if batches else schema_.empty_table()
    options = pacsv.WriteOptions(include_header=True, quoting_style="needed")
    pacsv.write_csv(merged.cast(schema_), target, write_options=options)
