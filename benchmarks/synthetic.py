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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from alliances import schema
from alliances.dataset import bundled_path
from alliances.dates import parse_partial
from alliances.partitioned import PartitionedWriter

from .pools import (
    CONFIDENCE,
    CONFIDENCE_WEIGHTS,
    CONFLICTUAL,
    COOPERATIVE,
    DOMAINS,
    KIND_WEIGHTS,
    KINDS,
    OUTLETS,
    PLACES,
    REAL_ACTORS,
    REAL_PAIRS,
    REGIONS,
    SENTENCES,
    UNITS,
    choice,
    day_strings,
    invented_names,
    partial_dates,
)

START_YEAR, END_YEAR = 1985, 2025
Columns = dict[str, np.ndarray]
RELATIONS = 2000
PAIR_EXPONENT = 1.05
PRECISION_SHARES = (0.03, 0.10, 0.87)
"""Shares of event dates known to the year, to the month and to the day."""
CHUNK_EVENTS = 250_000
"""Events made at a time (at least one month of them): memory follows this, not the size
of the dataset."""
GENERATOR = (Path(__file__), Path(__file__).with_name("pools.py"))
"""The source files of the generator: ``python -m benchmarks`` regenerates its cached data
when one of them changes."""


def _actors(rng: np.random.Generator, n_actors: int) -> Columns:
    n_synth = n_actors - len(REAL_ACTORS)
    ids = [a[0] for a in REAL_ACTORS] + [f"A{i:03d}" for i in range(1, n_synth + 1)]
    kinds = ["state"] * len(REAL_ACTORS) + list(choice(rng, KINDS, n_synth, KIND_WEIGHTS))
    stems = invented_names(rng, n_synth)
    forms = {"state": "Republic of {}", "organization": "{} Council", "bloc": "{} Group"}
    synth_names = [
        forms.get(k, "{} Front").format(s)
        for s, k in zip(stems, kinds[len(REAL_ACTORS) :], strict=True)
    ]
    aliases = [a[3] or None for a in REAL_ACTORS] + [
        f"{s};{s.upper()[:3]}" if u < 0.3 else None
        for s, u in zip(stems, rng.random(n_synth), strict=True)
    ]
    states = np.array(kinds) == "state"
    iso = np.where(states, rng.integers(1, 999, len(ids)), -1)
    cow = np.where(states, rng.integers(1, 9999, len(ids)), -1)
    for i, a in enumerate(REAL_ACTORS):
        iso[i], cow[i] = a[4], a[5]
    return {
        "id": np.array(ids, dtype=object),
        "name": np.array([a[1] for a in REAL_ACTORS] + synth_names, dtype=object),
        "kind": np.array(kinds, dtype=object),
        "region": np.array(
            [a[2] for a in REAL_ACTORS] + list(choice(rng, REGIONS, n_synth)), dtype=object
        ),
        "aliases": np.array(aliases, dtype=object),
        "iso_numeric": np.array([None if v < 0 else str(v) for v in iso], dtype=object),
        "cow_code": np.array([None if v < 0 else str(v) for v in cow], dtype=object),
        "description": np.array(
            [f"Synthetic {k.replace('_', '-')} actor for benchmarks." for k in kinds], dtype=object
        ),
    }


def _pairs(rng: np.random.Generator, ids: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every unordered pair of actors, busiest first, with Zipf weights and a stance."""
    n = len(ids)
    index = {a: i for i, a in enumerate(ids)}
    ia, ib = np.triu_indices(n, k=1)
    # actors earlier in the list are busier; pairs of two busy actors come first, with noise
    rank = (ia + 1.0) * (ib + 1.0) * rng.lognormal(0.0, 1.0, len(ia))
    order = np.argsort(rank, kind="stable")
    ia, ib = ia[order], ib[order]
    stance = choice(rng, (-1, 0, 1), len(ia), (0.3, 0.3, 0.4)).astype(int)
    real = [(index[a], index[b], s) for a, b, s in REAL_PAIRS]
    head_a = np.array([min(a, b) for a, b, _ in real])
    head_b = np.array([max(a, b) for a, b, _ in real])
    keep = ~np.isin(ia * n + ib, head_a * n + head_b)
    ia = np.concatenate([head_a, ia[keep]])
    ib = np.concatenate([head_b, ib[keep]])
    stance = np.concatenate([[s for _, _, s in real], stance[keep]])
    weights = 1.0 / np.arange(1, len(ia) + 1) ** PAIR_EXPONENT
    return np.stack([ia, ib], axis=1), weights / weights.sum(), stance


def _none(n: int) -> np.ndarray:
    return np.full(n, None, dtype=object)


def _relations(
    rng: np.random.Generator,
    actors: Columns,
    pairs: np.ndarray,
    weights: np.ndarray,
    stance: np.ndarray,
    relation_types: pd.DataFrame,
    n: int,
) -> tuple[Columns, np.ndarray]:
    """``n`` relation spells on pairs drawn by (flattened) pair weight; also their pair index."""
    ids, names = actors["id"], actors["name"]
    flat = np.sqrt(weights)
    pick = rng.choice(len(pairs), size=n, p=flat / flat.sum())
    polarity = relation_types["polarity"].astype(int).to_numpy()
    type_ids = relation_types["id"].to_numpy(object)
    labels = dict(zip(relation_types["id"], relation_types["label"], strict=True))
    st = stance[pick]
    types = np.empty(n, dtype=object)
    for p in (-1, 0, 1):
        options = type_ids[polarity == p]
        m = st == p
        types[m] = options[rng.integers(0, len(options), m.sum())]
    directed = np.isin(types, ["membership", "sanctions_regime", "security_assistance"])
    first, last = np.datetime64("1950-01-01"), np.datetime64("2024-12-31")
    start = first + rng.integers(0, (last - first).astype(int), n).astype("timedelta64[D]")
    stop = start + rng.integers(30, 20 * 365, n).astype("timedelta64[D]")
    ended = (rng.random(n) < 0.35) & (stop <= np.datetime64(f"{END_YEAR}-12-31"))
    precision = choice(rng, (0, 1, 2), n, (0.05, 0.15, 0.8)).astype(int)
    swap = rng.random(n) < 0.5
    a = np.where(swap, pairs[pick, 1], pairs[pick, 0])
    b = np.where(swap, pairs[pick, 0], pairs[pick, 1])
    rid = np.array([f"rel-{i:05d}" for i in range(1, n + 1)], dtype=object)
    title = (
        np.array([labels[t] for t in types], dtype=object) + ": " + names[a] + " and " + names[b]
    )
    columns = {
        "relation_id": rid,
        "actor_a": ids[a],
        "actor_b": ids[b],
        "relation_type": types,
        "directed": np.where(directed, "true", "false").astype(object),
        "start_date": partial_dates(start, precision),
        # an end always on a later day, at day precision: never before its start
        "end_date": np.where(ended, day_strings(stop), None),
        "title": title,
        "description": choice(rng, SENTENCES, n),
        "source_name": choice(rng, OUTLETS, n) + ", treaty records",
        "source_url": np.where(rng.random(n) < 0.5, "https://treaties.example.org/" + rid, None),
        "other_sources": _none(n),
        "confidence": choice(rng, CONFIDENCE, n, CONFIDENCE_WEIGHTS),
    }
    return columns, pick


@dataclass(frozen=True)
class Chunk:
    """Events generated together: rows of consecutive months of one year, in date order.

    ``months`` and ``counts``: how many rows fall in each month; the first ``year_rows`` rows
    (their months in ``carried``) are known only to the year, which a year's first chunk
    carries for the whole year, so that no later chunk has rows that start before it ended.
    """

    index: int
    months: np.ndarray
    counts: np.ndarray
    carried: np.ndarray

    @property
    def year_rows(self) -> int:
        return len(self.carried)

    def __len__(self) -> int:
        return int(self.counts.sum()) + len(self.carried)

    def row_months(self) -> np.ndarray:
        """Each row's month, the carried rows first."""
        return np.concatenate([self.carried, np.repeat(self.months, self.counts)])


def _cdf(rate: float, t: np.ndarray) -> np.ndarray:
    """Share of events before fraction ``t`` of the span, for activity growing at ``rate``."""
    return np.expm1(rate * t) / np.expm1(rate)


def _span(years: tuple[int, int]) -> tuple[np.datetime64, int, float]:
    first = np.datetime64(f"{years[0]}-01-01")
    span = int((np.datetime64(f"{years[1]}-12-31") - first).astype(int)) + 1
    return first, span, span / (20 * 365.25)  # e-folding over 20 years: ~5% more a year


def _chunks(
    rng: np.random.Generator, n: int, years: tuple[int, int], chunk_events: int
) -> Iterator[Chunk]:
    """How ``n`` events fall in months (denser towards the end) and into chunks of at most
    about ``chunk_events`` rows, in date order."""
    first, span, rate = _span(years)
    months = np.arange(
        np.datetime64(f"{years[0]}-01", "M"), np.datetime64(f"{years[1] + 1}-01", "M")
    )
    bounds = np.append(months, months[-1] + 1).astype("datetime64[D]")
    shares = np.diff(_cdf(rate, (bounds - first).astype(int) / span))
    counts = rng.multinomial(n, shares / shares.sum())
    year_known = rng.binomial(counts, PRECISION_SHARES[0])
    rest = counts - year_known
    index = 0
    for year in range(years[0], years[1] + 1):
        in_year = np.flatnonzero(months.astype("datetime64[Y]").astype(int) + 1970 == year)
        carried = np.repeat(months[in_year], year_known[in_year])
        group: list[int] = []
        size = 0
        for m in in_year:
            if size and size + rest[m] > chunk_events:
                yield Chunk(index, months[group], rest[group], carried)
                index, carried, group, size = index + 1, carried[:0], [], 0
            group.append(int(m))
            size += int(rest[m])
        chunk = Chunk(index, months[group], rest[group], carried)
        if len(chunk):
            yield chunk
            index += 1


def _chunk_days(
    rng: np.random.Generator, chunk: Chunk, years: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's day (drawn within its month, denser towards the end) and date precision
    (0 year, 1 month, 2 day), sorted by the first day the date covers (ties in drawn order)."""
    first, span, rate = _span(years)
    row_months = chunk.row_months()
    lo = row_months.astype("datetime64[D]")
    hi = (row_months + 1).astype("datetime64[D]")
    cdf_lo = _cdf(rate, (lo - first).astype(int) / span)
    cdf_hi = _cdf(rate, (hi - first).astype(int) / span)
    u = cdf_lo + rng.random(len(lo)) * (cdf_hi - cdf_lo)
    t = np.log1p(u * np.expm1(rate)) / rate
    offset = np.clip((t * span).astype(int), (lo - first).astype(int), (hi - first).astype(int) - 1)
    days = first + offset.astype("timedelta64[D]")
    _year, month, day = PRECISION_SHARES
    precision = np.where(rng.random(len(days)) < month / (month + day), 1, 2)
    precision[: chunk.year_rows] = 0
    starts = np.where(
        precision == 0,
        days.astype("datetime64[Y]").astype("datetime64[D]"),
        np.where(precision == 1, days.astype("datetime64[M]").astype("datetime64[D]"), days),
    )
    order = np.argsort(starts, kind="stable")
    return days[order], precision[order]


def _documents(doc: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Source name and URL of each cited document, a fixed function of its number (so that
    chunks agree without a table of every document): about half have a URL."""
    mixed = (doc.astype(np.uint64) + np.uint64(1)) * np.uint64(0x9E3779B97F4A7C15)
    mixed >>= np.uint64(32)
    number = np.char.zfill((doc + 1).astype(str), width).astype(object)
    outlets = np.array(OUTLETS, dtype=object)[(mixed % np.uint64(len(OUTLETS))).astype(np.intp)]
    domains = np.array(DOMAINS, dtype=object)[
        ((mixed >> np.uint64(8)) % np.uint64(len(DOMAINS))).astype(np.intp)
    ]
    with_url = ((mixed >> np.uint64(16)) % np.uint64(2)) == 0
    name = outlets + ": report " + number
    url = np.where(with_url, "https://" + domains + "/reports/" + number, None)
    return name, url


@dataclass
class EventContext:
    """What every chunk of events draws from: actors, pairs, relations, labels, sizes."""

    actors: Columns
    pairs: np.ndarray
    weights: np.ndarray
    stance: np.ndarray
    relations: Columns
    relation_pairs: np.ndarray
    relation_starts: np.ndarray
    relation_stops: np.ndarray
    type_labels: dict[str, str]
    n_events: int

    @property
    def id_width(self) -> int:
        return max(7, len(str(self.n_events)))

    @property
    def n_docs(self) -> int:
        return max(self.n_events // 4, 1)


def _events(
    rng: np.random.Generator, days: np.ndarray, precision: np.ndarray, first_id: int,
    ctx: EventContext,
) -> Columns:  # fmt: skip
    """Events on ``days`` (sorted) at ``precision``, numbered from ``first_id``."""
    n = len(days)
    ids, names = ctx.actors["id"], ctx.actors["name"]
    pairs = ctx.pairs
    pick = rng.choice(len(pairs), size=n, p=ctx.weights)
    swap = rng.random(n) < 0.5
    a1 = np.where(swap, pairs[pick, 1], pairs[pick, 0])
    a2 = np.where(swap, pairs[pick, 0], pairs[pick, 1])
    actor_1 = ids[a1]
    actor_2 = ids[a2].copy()
    one_sided = rng.random(n) < 0.10
    actor_2[one_sided] = None

    st = ctx.stance[pick]
    conflict = np.where(st < 0, 0.75, np.where(st > 0, 0.15, 0.4))
    is_conflict = rng.random(n) < conflict
    types = np.where(is_conflict, choice(rng, CONFLICTUAL, n), choice(rng, COOPERATIVE, n)).astype(
        object
    )
    types[one_sided & (rng.random(n) < 0.5)] = "weapons_test"
    if "leadership_change" in ctx.type_labels:
        types[one_sided & (rng.random(n) < 0.1)] = "leadership_change"

    with_end = (precision == 2) & (rng.random(n) < 0.05 / PRECISION_SHARES[2])
    end = days + rng.integers(1, 15, n).astype("timedelta64[D]")
    end_date = np.where(with_end, day_strings(end), None)

    magnitude = rng.random(n) < 0.20
    mags = np.round(rng.lognormal(7.0, 2.0, n)).astype(np.int64) + 1
    basis = choice(rng, ("", "amount", "cumulative", "part"), n, (0.6, 0.2, 0.15, 0.05))

    participants = np.full(n, None, dtype=object)
    multi = np.flatnonzero(rng.random(n) < 0.02)
    extra = rng.integers(0, len(ids), (len(multi), 3))
    count = rng.integers(1, 4, len(multi))
    for row, picks, k in zip(multi, extra, count, strict=True):
        participants[row] = ";".join(ids[picks[:k]])

    # ~5% of events on a pair with a relation are evidence for one of its relations
    relation_of_pair = np.full(len(pairs), -1)
    relation_of_pair[ctx.relation_pairs[::-1]] = np.arange(len(ctx.relation_pairs))[::-1]
    linked = relation_of_pair[pick]
    linked = np.where((linked >= 0) & (rng.random(n) < 0.05), linked, -1)
    # ... and only while the relation is in force (the validator's rule for links)
    at = np.maximum(linked, 0)
    day = days.astype("datetime64[ns]")
    stops = ctx.relation_stops[at]
    in_force = (ctx.relation_starts[at] <= day) & (np.isnat(stops) | (day < stops))
    linked = np.where(in_force, linked, -1)
    rel_ids = ctx.relations["relation_id"]
    relation_id = np.where(linked >= 0, rel_ids[np.maximum(linked, 0)], None)

    numbers = np.arange(first_id, first_id + n).astype(str)
    event_id = np.char.add("ev-", np.char.zfill(numbers, ctx.id_width)).astype(object)
    label = pd.Series(types).map(ctx.type_labels).to_numpy(object)
    counterpart = np.where(one_sided, "", " and " + names[a2])
    title = label + ": " + names[a1] + counterpart
    long_title = rng.random(n) < 0.3
    title[long_title] = title[long_title] + ", as reported by the press"
    first = rng.integers(0, len(SENTENCES), n)
    second = (first + rng.integers(1, len(SENTENCES), n)) % len(SENTENCES)  # never the same
    sentences = np.array(SENTENCES, dtype=object)
    description = np.where(
        rng.random(n) < 0.5, sentences[first], sentences[first] + " " + sentences[second]
    )
    description[rng.random(n) < 0.05] = None
    # sources are documents cited by ~4 events each (as in the bundled data), half with a URL
    doc_name, doc_url = _documents(rng.integers(0, ctx.n_docs, n), max(7, len(str(ctx.n_docs))))
    return {
        "event_id": event_id,
        "date": partial_dates(days, precision),
        "end_date": end_date,
        "event_type": types,
        "actor_1": actor_1,
        "actor_2": actor_2,
        "participants": participants,
        "location": np.where(rng.random(n) < 0.6, choice(rng, PLACES, n), None),
        "magnitude": np.where(magnitude, mags.astype(str).astype(object), None),
        "unit": np.where(magnitude, choice(rng, UNITS, n), None),
        "magnitude_basis": np.where(magnitude & (basis != ""), basis, None),
        "title": title,
        "description": description,
        "source_name": doc_name,
        "source_url": doc_url,
        "other_sources": _none(n),
        "confidence": choice(rng, CONFIDENCE, n, CONFIDENCE_WEIGHTS),
        "relation_id": relation_id,
    }


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

    actors = _actors(rng, n_actors)
    pairs, weights, stance = _pairs(rng, list(actors["id"]))
    relations, relation_pairs = _relations(
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
        for chunk in _chunks(rng, int(n_events), years, chunk_events):
            chunk_rng = np.random.default_rng([seed, chunk.index + 1])
            days, precision = _chunk_days(chunk_rng, chunk, years)
            writer.write(_table(_events(chunk_rng, days, precision, written + 1, ctx)))
            written += len(days)
        if not written and layout == "csv":  # the header all the same
            writer.write(_table({c: _none(0) for c in schema.EVENTS.columns}))
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
