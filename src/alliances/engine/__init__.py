"""The large path: the dashboard's queries on an engine, over data that is never loaded whole.

Small datasets are loaded into memory (:mod:`alliances.dataset`, :mod:`alliances.query`). A
large one, or one in an engine, stays where it is: the same queries, written once in ibis
(:mod:`.queries`), run on DuckDB over the folder's Parquet files, or on the engine a
connection URL names (Spark, BigQuery, ClickHouse, Trino ...). One set of semantics: a
differential test (``tests/test_engine.py``) runs every query on both paths and compares.

Which path, decided once (:func:`choose`, used by ``alliances serve``, ``dashboard(DATA)`` and
``load_dataset``): a connection URL takes the engine; a folder whose events are Parquet with
more than :data:`ENGINE_ROWS` rows takes it too; anything else is loaded. ``$ALLIANCES_ENGINE``
(or ``engine=``) forces it: ``memory``, ``duckdb`` (the engine), ``auto`` (the default).

Interface with the rest of the product:

- the events of a folder are what :func:`alliances.reading.table_file` names for ``events``:
  ``events.csv``, ``events.parquet``, or a folder partitioned by year
  (``events/year=YYYY/*.parquet``, read with ``hive_partitioning``: sorted by date, so a
  window reads only its files and row groups);
- :func:`build_rollups` (called by ``alliances convert``, and on first open) writes the
  rollups beside the data, once per dataset fingerprint (:mod:`.rollups`);
- :func:`open_dataset` returns a :class:`~alliances.dataset.Dataset` whose ``store`` is an
  :class:`~.store.EventStore`; :func:`alliances.query.select` then returns an
  :class:`~.selection.EngineSelection`. Actors, vocabularies and relations are small and stay in
  memory on both paths.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

ENV_ENGINE = "ALLIANCES_ENGINE"
"""Forces the path: ``memory``, ``duckdb`` (the engine) or ``auto``."""

ENGINE_ROWS = 2_000_000
"""Events (in Parquet) above which a folder takes the engine path: up to here the in-memory
path is measured fast (docs/performance.md), and loading costs seconds, not minutes."""

CHOICES = ("auto", "memory", "duckdb")


def choose(data: object = None, engine: str | None = None) -> str:
    """``"memory"`` or ``"engine"``: the one decision of which path a dataset takes."""
    from ..reading import table_file
    from ..schema import TABLES
    from .sources import given, is_url, parse

    data = given(data)
    wanted = (engine or os.environ.get(ENV_ENGINE) or "auto").strip().lower()
    if wanted in ("engine", "ibis"):
        wanted = "duckdb"
    if wanted not in CHOICES:
        raise ValueError(f"unknown engine {wanted!r}; use one of {', '.join(CHOICES)}")
    if is_url(None if data is None else str(data)):
        return "engine"
    if wanted != "auto":
        return "memory" if wanted == "memory" else "engine"
    folder = parse(data).folder
    path = table_file(folder, TABLES["events"]) if folder is not None else None
    if path is None or path.suffix == ".csv":
        return "memory"
    return "engine" if parquet_rows(path) > ENGINE_ROWS else "memory"


def parquet_rows(path: Path) -> int:
    """Rows of a Parquet file or of every Parquet file under a folder (from their footers)."""
    import pyarrow.parquet as pq

    from ..partitioned import part_files

    files = part_files(path) if path.is_dir() else [path]
    total = 0
    for file in files:
        try:
            total += pq.ParquetFile(file).metadata.num_rows
        except Exception:  # unreadable: the engine path reports it, and says which file
            return ENGINE_ROWS + 1
    return total


def open_dataset(data: object = None):
    """The dataset ``data`` names (a folder or a URL), its events left in the engine.

    Raises :class:`~alliances.problems.DatasetError` for small tables that fail validation,
    events that name unknown ids, and for an engine, table or file that cannot be read.
    """
    import pandas as pd

    from .. import schema
    from ..dataset import _build
    from ..problems import DatasetError
    from ..raw_tables import RawTable
    from ..reading import fingerprint_files, fingerprint_of
    from .facts import actor_codes, facts
    from .rollups import FILES, build_rollups
    from .sources import (
        check_events_columns,
        connect,
        events_table,
        parse,
        session_table,
        small_tables,
    )
    from .store import EventStore, engine_problem

    spec = parse(data)
    where = spec.folder if spec.scheme == "folder" else spec.label
    try:
        if spec.scheme == "folder" and not spec.folder.is_dir():
            raise NotADirectoryError(f"not a dataset folder: {spec.folder}")
        backend = connect(spec)
        raws, problems = small_tables(backend, spec)
        if problems:
            raise DatasetError(where, problems)
        raw, has_year = events_table(backend, spec)
        problems = check_events_columns(raw, spec)
        if problems:
            raise DatasetError(where, problems)
        actor_ids = list(raws["actors"].frame["id"].astype(str))
        event_types = raws["event_types"].frame.assign(
            score=pd.to_numeric(raws["event_types"].frame["score"])
        )
        meta: dict = {}
        codes = None
        if spec.scheme == "folder":
            fingerprint = fingerprint_files(spec.folder)
            rollups = build_rollups(spec.folder, fingerprint=fingerprint)
            meta = json.loads((rollups / "meta.json").read_text())
            fact_table = backend.read_parquet(str(rollups / "facts.parquet"))
            parts = {
                name: backend.read_parquet(str(rollups / f"{name}.parquet"))
                for name in FILES
                if name != "facts"
            }
        else:
            # derived once per process and kept in the engine's session (Spark's cache, a
            # temporary table elsewhere): every query then reads typed facts, not the text
            fingerprint = fingerprint_of(
                [(spec.label, "")] + [(name, r.digest) for name, r in sorted(raws.items())]
            )
            codes = session_table(backend, f"alliances_codes_{fingerprint}", actor_codes(actor_ids))
            fact_table = facts(raw, actor_ids, event_types, codes).cache()
            parts = {}
        empty = pd.DataFrame(
            {f.name: pd.Series([], dtype="string") for f in schema.TABLES["events"].fields}
        )
        raws["events"] = RawTable(schema.TABLES["events"], Path("events"), empty)
        store = EventStore(
            backend, raw, fact_table, actor_ids=actor_ids, event_types=event_types,
            relation_ids=list(raws["relations"].frame["relation_id"].astype(str)),
            name=spec.label, meta=meta, has_year=has_year, rollups=parts, codes=codes,
        )  # fmt: skip
        return _build(raws, spec.folder if spec.scheme == "folder" else None, fingerprint, store)
    except (DatasetError, NotADirectoryError):
        raise
    except Exception as exc:  # unreachable, no such table, unreadable file: a clear report
        raise engine_problem(where, exc) from exc


def build_rollups(folder: str | os.PathLike[str]) -> Path:
    """Build the rollups of a dataset folder once per fingerprint (see :mod:`.rollups`)."""
    from .rollups import build_rollups as build

    return build(folder)


__all__ = ["CHOICES", "ENGINE_ROWS", "ENV_ENGINE", "build_rollups", "choose", "open_dataset"]
