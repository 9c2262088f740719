"""The events of a synthetic dataset, made a chunk at a time in date order.

:func:`plan_chunks` spreads the events over months (denser towards the end) and cuts them into
chunks of consecutive months of one year; :func:`chunk_days` draws each row's day and date
precision; :func:`make_events` draws the rest of each row from the actors, pairs and relations
(:class:`EventContext`): a busy pair more often, types by the pair's stance, ~10% one-sided,
a few linked to a relation in force, sources cited by about four events each.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .pools import (
    CONFIDENCE,
    CONFIDENCE_WEIGHTS,
    CONFLICTUAL,
    COOPERATIVE,
    DOMAINS,
    OUTLETS,
    PLACES,
    SENTENCES,
    UNITS,
    choice,
    day_strings,
    partial_dates,
)
from .synthetic_actors import Columns, missing

PRECISION_SHARES = (0.03, 0.10, 0.87)
"""Shares of event dates known to the year, to the month and to the day."""


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


def plan_chunks(
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


def chunk_days(
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


def make_events(
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
        "other_sources": missing(n),
        "confidence": choice(rng, CONFIDENCE, n, CONFIDENCE_WEIGHTS),
        "relation_id": relation_id,
    }
