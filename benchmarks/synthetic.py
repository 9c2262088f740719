"""A synthetic dataset in the public format, as large as asked, valid and reproducible.

``generate(n_events, out_dir)`` writes the five files ``alliances validate`` checks (events as
CSV, or as Parquet partitioned by year with ``layout="parquet"``). The
vocabularies are the bundled ones; actors are the seven real ids the deep links use (RUS, PRK,
CHN, USA, KOR, JPN, UKR) plus synthetic ``A001``... Events are skewed as real event data is: a
few busy pairs and many quiet ones (Zipf over pairs), more events in recent years, cooperative
or conflictual types depending on the pair, ~10% one-sided, mostly day precision.

Everything is drawn from ``numpy`` generators seeded by ``seed`` (one for the plan, one per
chunk of events) and written with pyarrow, so the same arguments give byte-identical files, and
a million events take a few seconds. Events are made in date order, a chunk at a time, and
written as they are made: a hundred million take bounded memory.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from alliances import schema
from alliances.dataset import bundled_path
from alliances.dates import parse_partial
from alliances.partitioned import PartitionedWriter

from .pools import REAL_ACTORS
from .synthetic_actors import (
    END_YEAR,
    START_YEAR,
    Columns,
    make_actors,
    make_pairs,
    make_relations,
    missing,
)
from .synthetic_events import EventContext, chunk_days, make_events, plan_chunks

RELATIONS = 2000
CHUNK_EVENTS = 250_000
"""Events made at a time (at least one month of them): memory follows this, not the size
of the dataset."""
GENERATOR = tuple(
    Path(__file__).with_name(name)
    for name in ("synthetic.py", "synthetic_actors.py", "synthetic_events.py", "pools.py")
)
"""The source files of the generator: ``python -m benchmarks`` regenerates its cached data
when one of them changes."""


def _table(columns: Columns) -> pa.Table:
    """Every column as strings, ``None`` for missing (written as an empty cell)."""
    return pa.table({name: pa.array(values, type=pa.string()) for name, values in columns.items()})


CSV_OPTIONS = pacsv.WriteOptions(include_header=True, quoting_style="needed")


def _write_csv(columns: Columns, path: Path) -> None:
    """Header, then every value quoted where needed, ``\\n`` line ends."""
    pacsv.write_csv(_table(columns), path, write_options=CSV_OPTIONS)


class _EventsCsv:
    """events.csv written chunk by chunk: the header once, then each chunk's rows."""

    def __init__(self, path: Path):
        self.path = path
        self.writer: pacsv.CSVWriter | None = None

    def write(self, table: pa.Table) -> None:
        if self.writer is None:
            self.writer = pacsv.CSVWriter(self.path, table.schema, write_options=CSV_OPTIONS)
        self.writer.write_table(table)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


LAYOUTS = ("csv", "parquet")


def generate(
    n_events: int,
    out_dir: Path,
    *,
    seed: int = 0,
    n_actors: int = 200,
    years: tuple[int, int] = (START_YEAR, END_YEAR),
    layout: str = "csv",
    chunk_events: int = CHUNK_EVENTS,
) -> Path:
    """Write a valid dataset of ``n_events`` events and ~2,000 relations to ``out_dir``.

    ``n_actors`` counts the seven real actors. Events are made ``chunk_events`` at a time in
    date order and written as they are made, so memory does not grow with ``n_events``:
    ``layout="csv"`` writes ``events.csv``, ``"parquet"`` the partitioned ``events/`` folder
    (``year=YYYY/part-N.parquet``) with the same rows in the same order. The other tables
    are CSV. Returns ``out_dir``.
    """
    if n_actors < len(REAL_ACTORS):
        raise ValueError(f"n_actors must be at least {len(REAL_ACTORS)}")
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    source = bundled_path()
    for name in ("event_types.csv", "relation_types.csv"):
        shutil.copyfile(source / name, out_dir / name)
    event_types = pd.read_csv(source / "event_types.csv", dtype=str, keep_default_na=False)
    relation_types = pd.read_csv(source / "relation_types.csv", dtype=str, keep_default_na=False)

    actors = make_actors(rng, n_actors)
    pairs, weights, stance = make_pairs(rng, list(actors["id"]))
    relations, relation_pairs = make_relations(
        rng, actors, pairs, weights, stance, relation_types, RELATIONS
    )
    _write_csv(actors, out_dir / "actors.csv")
    _write_csv(relations, out_dir / "relations.csv")

    ctx = EventContext(
        actors, pairs, weights, stance, relations, relation_pairs,
        parse_partial(pd.Series(relations["start_date"], dtype=object))["start"].to_numpy(),
        parse_partial(pd.Series(relations["end_date"], dtype=object))["stop"].to_numpy(),
        dict(zip(event_types["id"], event_types["label"], strict=True)),
        int(n_events),
    )  # fmt: skip
    if layout == "parquet":
        writer = PartitionedWriter(out_dir / "events", None, "date", presorted=True)
    else:
        writer = _EventsCsv(out_dir / "events.csv")
    try:
        written = 0
        for chunk in plan_chunks(rng, int(n_events), years, chunk_events):
            chunk_rng = np.random.default_rng([seed, chunk.index + 1])
            days, precision = chunk_days(chunk_rng, chunk, years)
            writer.write(_table(make_events(chunk_rng, days, precision, written + 1, ctx)))
            written += len(days)
        if not written and layout == "csv":  # the header all the same
            writer.write(_table({c: missing(0) for c in schema.EVENTS.columns}))
    finally:
        writer.close()
    return out_dir


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.synthetic N FOLDER [--seed S] [--layout parquet]``: generate,
    then print the seconds taken and the peak RSS as JSON (what ``python -m benchmarks``
    records for its cached datasets)."""
    import argparse
    import json
    import resource
    import time

    parser = argparse.ArgumentParser(prog="python -m benchmarks.synthetic")
    parser.add_argument("n_events", type=float)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--layout", choices=LAYOUTS, default="csv")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    generate(int(args.n_events), args.folder, seed=args.seed, layout=args.layout)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": time.perf_counter() - t0, "peak_mb": peak / 1e6}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
