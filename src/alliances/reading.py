"""Where a dataset's files are, and reading a table from them.

One function, :func:`table_file`, decides which file holds a table (its CSV, else its folder
of Parquet files partitioned by year, else its Parquet file); reading, the load cache's
signature, the fingerprint and the engine all ask it. :func:`read_table` reads that file as
text (:mod:`.csv_reading`, :mod:`.parquet_reading`); :mod:`alliances.validation` checks the
values.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from . import partitioned, schema
from .csv_reading import read_csv
from .parquet_reading import read_parquet, read_partitioned
from .problems import Problem
from .raw_tables import RawTable
from .schema import Table

ENV_DATA = "ALLIANCES_DATA"
"""Environment variable naming the dataset folder to use instead of the bundled one."""


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


def read_table(directory: Path, table: Table) -> tuple[RawTable | None, list[Problem]]:
    """Read one table's file as strings. Returns ``None`` with problems if it cannot be read."""
    path = table_file(directory, table)
    if is_partitioned(path):
        return read_partitioned(path, table)
    if path.suffix == ".parquet":
        return read_parquet(path, table)
    return read_csv(path, table)
