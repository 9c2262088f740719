"""Where a dataset's events are: a folder (read with DuckDB) or a connection URL.

``--data`` takes either. A URL names an engine that ibis can reach, and options of ours in its
query string (taken out before ibis sees the rest):

- ``events=``, ``relations=``, ``actors=``, ``event_types=``, ``relation_types=``: table names
  (default: the names of the files, ``events`` and so on);
- ``folder=PATH``: read the small tables (actors, the two vocabularies, relations) from a
  dataset folder instead of the engine; the events always come from the engine.

``duckdb:///path/file.duckdb`` opens a DuckDB file read-only; ``pyspark://`` starts a local
Spark session (``pyspark://?master=local[4]`` to choose the master); any other URL goes to
``ibis.connect`` (``bigquery://PROJECT/DATASET``, ``clickhouse://...``, ``trino://...``; see
``docs/engine.md``).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import schema
from ..problems import DatasetError, Problem
from ..raw_tables import RawTable
from ..reading import ENV_DATA, resolve_path, table_file

TABLE_OPTIONS = tuple(schema.TABLES)
"""Query-string options naming a table: ``?events=gdelt_events&actors=...``."""

FOLDER_OPTION = "folder"
DUCKDB_THREADS = int(os.environ.get("ALLIANCES_DUCKDB_THREADS", "2"))
DUCKDB_MEMORY = os.environ.get("ALLIANCES_DUCKDB_MEMORY", "1GB")
"""DuckDB's threads and memory limit for the dashboard's queries (it spills to disk past it)."""


def duckdb_spill_folder() -> Path:
    """Where DuckDB spills what does not fit in its memory limit: ``$ALLIANCES_DUCKDB_TEMP``,
    else a folder of the system's temporary directory (DuckDB's own default is ``.tmp`` in
    the working directory, which would leave files beside whatever the user ran us from)."""
    chosen = os.environ.get("ALLIANCES_DUCKDB_TEMP")
    return Path(chosen) if chosen else Path(tempfile.gettempdir()) / "alliances-duckdb"


def is_url(data: object) -> bool:
    """Whether ``--data`` names a connection URL rather than a folder."""
    return isinstance(data, str) and "://" in data


def given(data: str | os.PathLike[str] | None) -> str | os.PathLike[str] | None:
    """``data``, else ``$ALLIANCES_DATA`` (a folder or a URL), else ``None`` (the bundled
    dataset)."""
    if data is None or str(data) == "":
        return os.environ.get(ENV_DATA) or None
    return data


@dataclass(frozen=True)
class DataSpec:
    """What ``--data`` names: a folder, or an engine with its tables."""

    text: str
    scheme: str  # "folder", "duckdb", "pyspark", or another ibis backend's name
    url: str | None = None  # the connection URL without our options
    folder: Path | None = None  # the dataset folder, or where the small tables are
    tables: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)  # the URL's other query options

    @property
    def label(self) -> str:
        """How messages name the data: the folder, or the URL without secrets."""
        if self.folder is not None and self.scheme == "folder":
            return str(self.folder)
        parts = urllib.parse.urlsplit(self.url or self.text)
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        return f"{parts.scheme}://{netloc}{parts.path}"

    def table(self, name: str) -> str:
        return self.tables.get(name, name)


def describe(data: str | os.PathLike[str] | None) -> str | Path:
    """How pages and logs name ``--data``: the folder, or the URL without its secrets."""
    spec = parse(data)
    return spec.folder if spec.scheme == "folder" else spec.label


def parse(data: str | os.PathLike[str] | None) -> DataSpec:
    """Read ``--data``: a folder path (default: ``$ALLIANCES_DATA``, else the bundled data) or
    a connection URL with our options (module docstring)."""
    data = given(data)
    if not is_url(data if data is None else str(data)):
        folder = resolve_path(data)
        return DataSpec(str(folder), "folder", folder=folder)
    text = str(data)
    parts = urllib.parse.urlsplit(text)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    tables = {k: v for k, v in query if k in TABLE_OPTIONS and v}
    folder = next((v for k, v in query if k == FOLDER_OPTION and v), None)
    rest = [(k, v) for k, v in query if k not in TABLE_OPTIONS and k != FOLDER_OPTION]
    url = urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(rest)))
    return DataSpec(
        text,
        parts.scheme.lower(),
        url=url,
        folder=Path(folder).expanduser().resolve() if folder else None,
        tables=tables,
        options=dict(rest),
    )


def duckdb_backend(database: str = ":memory:", *, read_only: bool = False):
    """An ibis DuckDB backend with the dashboard's threads and memory limit."""
    import ibis

    con = ibis.duckdb.connect(database, read_only=read_only)
    con.raw_sql(f"SET threads = {DUCKDB_THREADS}")
    con.raw_sql(f"SET memory_limit = '{DUCKDB_MEMORY}'")
    spill = str(duckdb_spill_folder()).replace("'", "''")
    con.raw_sql(f"SET temp_directory = '{spill}'")
    con.raw_sql("SET enable_progress_bar = false")  # a server's log is not a terminal
    # every query reads the footers of the files it names: at 1e8 events the copy by actor's
    # (1,600 row groups) took 60 ms to parse per query, 2 ms once kept (DuckDB checks the
    # file's modification time before using what it kept)
    con.raw_sql("SET parquet_metadata_cache = true")
    return con


def connect(spec: DataSpec):
    """The ibis backend ``spec`` names (for a folder: DuckDB in memory)."""
    import ibis

    if spec.scheme == "folder":
        return duckdb_backend()
    if spec.scheme == "duckdb":
        path = urllib.parse.urlsplit(spec.url or "").path or ":memory:"
        if path != ":memory:" and not Path(path).is_file():
            raise FileNotFoundError(f"no DuckDB database at {path}")
        return duckdb_backend(path, read_only=path != ":memory:")
    if spec.scheme == "pyspark":
        return ibis.pyspark.connect(spark_session(spec.options.get("master", "local[2]")))
    return ibis.connect(spec.url)


def session_table(backend, name: str, frame: pd.DataFrame):
    """``frame`` as a table the engine's queries can join: an ibis memtable (sent with the
    query), or on Spark a temporary view of its session (ibis 12 caches a Spark query without
    registering the memtables it reads)."""
    import ibis

    if backend.name == "pyspark":
        spark_session().createDataFrame(frame).createOrReplaceTempView(name)
        return backend.table(name)
    return ibis.memtable(frame)


def spark_session(master: str = "local[2]"):
    """A Spark session (the one already running in this process, or a new local one)."""
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(master)
        .appName("alliances")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.adaptive.enabled", "false")  # small results: planning costs more
        .getOrCreate()
    )


def events_table(backend, spec: DataSpec):
    """The events in the public format, as an ibis table, and whether it has a hive ``year``
    column (a folder partitioned by year): read where they are, never loaded whole."""
    import ibis

    if spec.scheme != "folder":
        name = spec.table("events")
        try:
            return backend.table(name), False
        except Exception as exc:
            message = f"no table {name!r} in {spec.label}: {_first_line(exc)}"
            problem = Problem(name, 1, "-", message, fault=True)
            raise DatasetError(spec.label, [problem]) from exc
    path = table_file(spec.folder, schema.TABLES["events"])
    if path.is_dir():  # events/year=YYYY/part-N.parquet, sorted by date
        from ..partitioned import part_files

        files = [str(f) for f in part_files(path)]
        if not files:
            problem = Problem("events", 1, "-", f"no Parquet parts in {path}")
            raise DatasetError(spec.folder, [problem])
        return backend.read_parquet(files, hive_partitioning=True), True
    if path.suffix == ".parquet":
        return backend.read_parquet(str(path)), False
    # CSV: read as the in-memory path reads it (comments, formula quotes), then queried
    from ..reading import read_table

    raw, problems = read_table(spec.folder, schema.TABLES["events"])
    if raw is None:
        raise DatasetError(spec.folder, problems)
    frame = raw.frame.astype(object).where(raw.frame.notna(), None)
    return ibis.memtable(frame), False


class EngineTable(RawTable):
    """A small table read from an engine: rows are numbered as under a header line."""

    def line_of(self, index: int) -> int:
        return index + 2


def small_tables(backend, spec: DataSpec) -> tuple[dict[str, RawTable], list[Problem]]:
    """Actors, the vocabularies and the relations, read and checked as the in-memory path
    checks them (:func:`alliances.checks.check_table`): from the folder
    (``spec.folder``) or from the engine's tables. The events are not read here."""
    from ..checks import REFERENCED, check_table
    from ..reading import read_table

    raws: dict[str, RawTable] = {}
    problems: list[Problem] = []
    ids: dict[str, pd.Index] = {}
    for table in schema.TABLES.values():
        if table.name == "events":
            continue
        if spec.folder is not None:
            raw, read_problems = read_table(spec.folder, table)
        else:
            raw, read_problems = _engine_table(backend, spec, table)
        problems += read_problems
        if raw is None:
            continue
        raws[table.name] = raw
        problems += check_table(raw, ids)
        if table.name in REFERENCED and table.key not in raw.absent:
            ids[table.name] = pd.Index(raw.frame[table.key].dropna().unique())
    return raws, problems


def _engine_table(backend, spec: DataSpec, table) -> tuple[RawTable | None, list[Problem]]:
    """One small table from the engine, every cell as text (empty: missing)."""
    name = spec.table(table.name)
    try:
        expr = backend.table(name)
        frame = backend.execute(expr.select(*[expr[c].cast("string") for c in expr.columns]))
    except Exception as exc:
        message = f"no table {name!r} in {spec.label}: {type(exc).__name__}: {_first_line(exc)}"
        return None, [Problem(name, 1, "-", message, fault=True)]
    frame = frame.astype(object).where(frame.notna() & (frame.astype(object) != ""), None)
    missing = [f.name for f in table.fields if f.required and f.name not in frame.columns]
    if missing:
        return None, [Problem(name, 1, c, "required column is missing") for c in missing]
    absent = frozenset(f.name for f in table.fields if f.name not in frame.columns)
    for column in absent:
        frame[column] = None
    digest = hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return EngineTable(table, Path(name), frame.astype("string"), absent, digest.hexdigest()), []


def check_events_columns(raw, spec: DataSpec) -> list[Problem]:
    """The events table's required columns that the engine's table lacks."""
    name = spec.table("events") if spec.scheme != "folder" else "events"
    present = set(raw.columns)
    return [
        Problem(name, 1, f.name, "required column is missing")
        for f in schema.TABLES["events"].fields
        if f.required and f.name not in present
    ]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def execute(backend, expr):
    """``backend.execute(expr)``, the same result, faster on DuckDB: ibis reads a column with
    any null through Python objects (``to_pylist``), and a window's counts by type and pair at
    1e8 events (217,000 rows, ``hi`` empty for one-actor events) took 220 ms to arrive where
    the query took 45; Arrow's own conversion of every column takes 6 ms. Only a column all
    of whose values are null goes ibis's way (DuckDB types a null literal as an integer), and
    ibis's converter then gives each column the type it always does
    (``tests/test_engine_sources.py`` compares both ways)."""
    if getattr(backend, "name", None) != "duckdb":
        return backend.execute(expr)
    import pyarrow.types as pat
    from ibis.backends.duckdb.converter import DuckDBPandasData

    shaped = expr.as_table()
    table = backend.to_pyarrow(shaped)
    frame = pd.DataFrame(
        {
            name: (
                column.to_pylist()
                if pat.is_nested(column.type)
                or pat.is_dictionary(column.type)
                or (len(column) and column.null_count == len(column))
                else column.to_pandas()
            )
            for name, column in zip(table.column_names, table.columns, strict=True)
        }
    )
    return expr.__pandas_result__(DuckDBPandasData.convert_table(frame, shaped.schema()))


class _Unfused:
    """How many of the stores' queries are running, and the user's option to give back."""

    def __init__(self):
        self.lock = threading.Lock()
        self.users = 0
        self.saved = True


_UNFUSED = _Unfused()


@contextmanager
def unfused() -> Iterator[None]:
    """ibis compiles without merging nested selects (``sql.fuse_selects``: 40% of the time it
    takes to compile a change's queries, while the engine plans nested selects as fast; A/B
    at 1e8 in docs/performance.md) while any store runs a query, in any thread; the option is
    the user's again once none does."""
    import ibis

    state = _UNFUSED
    with state.lock:
        if state.users == 0:
            state.saved = ibis.options.sql.fuse_selects
            ibis.options.sql.fuse_selects = False
        state.users += 1
    try:
        yield
    finally:
        with state.lock:
            state.users -= 1
            if state.users == 0:
                ibis.options.sql.fuse_selects = state.saved
