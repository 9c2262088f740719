"""A synthetic dataset in the public CSV format, as large as asked, valid and reproducible.

``generate(n_events, out_dir)`` writes the five files ``alliances validate`` checks. The
vocabularies are the bundled ones; actors are the seven real ids the deep links use (RUS, PRK,
CHN, USA, KOR, JPN, UKR) plus synthetic ``A001``... Events are skewed as real event data is: a
few busy pairs and many quiet ones (Zipf over pairs), more events in recent years, cooperative
or conflictual types depending on the pair, ~10% one-sided, mostly day precision.

Everything is drawn from one ``numpy`` generator seeded by ``seed`` and written with pyarrow, so
the same arguments give byte-identical files, and a million events take a few seconds.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from alliances.dataset import bundled_path
from alliances.dates import parse_partial

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


def _event_days(rng: np.random.Generator, n: int, years: tuple[int, int]) -> np.ndarray:
    """Days in ``years``, denser towards the end (activity grows ~5% a year)."""
    first = np.datetime64(f"{years[0]}-01-01")
    span = (np.datetime64(f"{years[1]}-12-31") - first).astype(int) + 1
    rate = span / (20 * 365.25)  # e-folding over 20 years
    u = rng.random(n)
    t = np.log1p(u * np.expm1(rate)) / rate
    return first + np.minimum((t * span).astype(int), span - 1).astype("timedelta64[D]")


def _events(
    rng: np.random.Generator,
    n: int,
    actors: Columns,
    pairs: np.ndarray,
    weights: np.ndarray,
    stance: np.ndarray,
    relations: Columns,
    relation_pairs: np.ndarray,
    type_labels: dict[str, str],
    years: tuple[int, int],
) -> Columns:
    ids, names = actors["id"], actors["name"]
    pick = rng.choice(len(pairs), size=n, p=weights)
    swap = rng.random(n) < 0.5
    a1 = np.where(swap, pairs[pick, 1], pairs[pick, 0])
    a2 = np.where(swap, pairs[pick, 0], pairs[pick, 1])
    actor_1 = ids[a1]
    actor_2 = ids[a2].copy()
    one_sided = rng.random(n) < 0.10
    actor_2[one_sided] = None

    st = stance[pick]
    conflict = np.where(st < 0, 0.75, np.where(st > 0, 0.15, 0.4))
    is_conflict = rng.random(n) < conflict
    types = np.where(is_conflict, choice(rng, CONFLICTUAL, n), choice(rng, COOPERATIVE, n)).astype(
        object
    )
    types[one_sided & (rng.random(n) < 0.5)] = "weapons_test"
    if "leadership_change" in type_labels:
        types[one_sided & (rng.random(n) < 0.1)] = "leadership_change"

    days = _event_days(rng, n, years)
    precision = choice(rng, (0, 1, 2), n, (0.03, 0.10, 0.87)).astype(int)
    with_end = (precision == 2) & (rng.random(n) < 0.05 / 0.87)
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
    relation_of_pair[relation_pairs[::-1]] = np.arange(len(relation_pairs))[::-1]
    linked = relation_of_pair[pick]
    linked = np.where((linked >= 0) & (rng.random(n) < 0.05), linked, -1)
    # ... and only while the relation is in force (the validator's rule for links)
    spans = parse_partial(pd.Series(relations["start_date"], dtype=object))["start"].to_numpy()
    ends = parse_partial(pd.Series(relations["end_date"], dtype=object))["stop"].to_numpy()
    at = np.maximum(linked, 0)
    day = days.astype("datetime64[ns]")
    in_force = (spans[at] <= day) & (np.isnat(ends[at]) | (day < ends[at]))
    linked = np.where(in_force, linked, -1)
    rel_ids = relations["relation_id"]
    relation_id = np.where(linked >= 0, rel_ids[np.maximum(linked, 0)], None)

    event_id = np.char.add("ev-", np.char.zfill(np.arange(1, n + 1).astype(str), 7)).astype(object)
    label = pd.Series(types).map(type_labels).to_numpy(object)
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
    n_docs = max(n // 4, 1)
    doc = rng.integers(0, n_docs, n)
    doc_no = np.char.zfill(np.arange(1, n_docs + 1).astype(str), 7).astype(object)
    doc_name = choice(rng, OUTLETS, n_docs) + ": report " + doc_no
    doc_url = np.where(
        rng.random(n_docs) < 0.5,
        "https://" + choice(rng, DOMAINS, n_docs) + "/reports/" + doc_no,
        None,
    )
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
        "source_name": doc_name[doc],
        "source_url": doc_url[doc],
        "other_sources": _none(n),
        "confidence": choice(rng, CONFIDENCE, n, CONFIDENCE_WEIGHTS),
        "relation_id": relation_id,
    }


def _table(columns: Columns) -> pa.Table:
    """Every column as strings, ``None`` for missing (written as an empty cell)."""
    return pa.table({name: pa.array(values, type=pa.string()) for name, values in columns.items()})


def _write_csv(columns: Columns, path: Path) -> None:
    """Header, then every value quoted (pyarrow quotes all strings), ``\\n`` line ends."""
    options = pacsv.WriteOptions(include_header=True, quoting_style="needed")
    pacsv.write_csv(_table(columns), path, write_options=options)


def _write_parquet(columns: Columns, path: Path) -> None:
    pq.write_table(_table(columns), path, compression="zstd")


def generate(
    n_events: int,
    out_dir: Path,
    *,
    seed: int = 0,
    n_actors: int = 200,
    years: tuple[int, int] = (START_YEAR, END_YEAR),
    parquet: bool = False,
) -> Path:
    """Write a valid dataset of ``n_events`` events and ~2,000 relations to ``out_dir``.

    ``n_actors`` counts the seven real actors. With ``parquet``, events and relations are also
    written as ``.parquet`` files with the same (string) columns. Returns ``out_dir``.
    """
    if n_actors < len(REAL_ACTORS):
        raise ValueError(f"n_actors must be at least {len(REAL_ACTORS)}")
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
    type_labels = dict(zip(event_types["id"], event_types["label"], strict=True))
    events = _events(
        rng, int(n_events), actors, pairs, weights, stance, relations, relation_pairs, type_labels,
        years,
    )  # fmt: skip

    _write_csv(actors, out_dir / "actors.csv")
    _write_csv(relations, out_dir / "relations.csv")
    _write_csv(events, out_dir / "events.csv")
    if parquet:
        _write_parquet(relations, out_dir / "relations.parquet")
        _write_parquet(events, out_dir / "events.parquet")
    return out_dir
