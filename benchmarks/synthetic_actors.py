"""The small tables of a synthetic dataset: actors (the seven real ids the deep links use, then
synthetic ``A001``...), every unordered pair of them busiest first (Zipf weights, a stance:
conflictual, mixed or cooperative), and relation spells drawn on those pairs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .pools import (
    CONFIDENCE,
    CONFIDENCE_WEIGHTS,
    KIND_WEIGHTS,
    KINDS,
    OUTLETS,
    REAL_ACTORS,
    REAL_PAIRS,
    REGIONS,
    SENTENCES,
    choice,
    day_strings,
    invented_names,
    partial_dates,
)

START_YEAR, END_YEAR = 1985, 2025
Columns = dict[str, np.ndarray]
"""A table as it is made: column name -> values (``None`` for a missing cell)."""
PAIR_EXPONENT = 1.05


def make_actors(rng: np.random.Generator, n_actors: int) -> Columns:
    """The actors table: the real actors, then synthetic ones (invented names, kinds, regions)
    up to ``n_actors``."""
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


def make_pairs(
    rng: np.random.Generator, ids: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


def missing(n: int) -> np.ndarray:
    return np.full(n, None, dtype=object)


def make_relations(
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
        "other_sources": missing(n),
        "confidence": choice(rng, CONFIDENCE, n, CONFIDENCE_WEIGHTS),
    }
    return columns, pick
