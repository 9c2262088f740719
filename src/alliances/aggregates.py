"""Tables derived from a selection's events and relations: pair counts, KPI totals, the
relationship temperature, what changed. Pure functions of DataFrames (no dataset, no filters),
computed on categorical codes so that a million events take milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations, islice
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from .criteria import Window


def pair_label(a: str, b: str) -> str:
    """The order-free label of one pair: ``pair_label("RUS", "PRK") == "PRK–RUS"``."""
    return "–".join(sorted((a, b)))


def pair_name(pair: str, names: Mapping[str, str]) -> str:
    """A pair label as people read it: ``North Korea – Russia`` for ``PRK–RUS``."""
    return " – ".join(names.get(p, p) for p in pair.split("–"))


def pair_codes(events: pd.DataFrame) -> tuple[np.ndarray, pd.Index]:
    """An int64 code per event for its unordered actor pair (-1 without actor_2), and the ids.

    Computed on the categorical codes, so a million events take milliseconds; code
    ``lo * n + hi`` for actor codes ``lo <= hi`` among ``n`` actors.
    """
    ids = events["actor_1"].cat.categories
    c1 = events["actor_1"].cat.codes.to_numpy().astype(np.int64)
    c2 = events["actor_2"].cat.codes.to_numpy().astype(np.int64)
    n = len(ids)
    codes = np.minimum(c1, c2) * n + np.maximum(c1, c2)
    codes[(c2 < 0) | (c1 < 0)] = -1
    return codes, ids


def pair_labels(codes: np.ndarray, ids: pd.Index) -> list[str]:
    """Pair labels for pair codes, alphabetical within each pair."""
    n = len(ids)
    names = np.asarray(ids, dtype=object)
    lo, hi = names[codes // n], names[codes % n]
    swap = hi < lo
    first, second = np.where(swap, hi, lo), np.where(swap, lo, hi)
    return [f"{x}–{y}" for x, y in zip(first, second, strict=True)]


ACROSS, AGAINST, TOGETHER = 0, 1, 2
"""How an event bears on a pair: across its two sides (the event's own score), its acting side
against a target (``-|score|``), or two actors acting together (``+|score|``)."""


@dataclass(frozen=True)
class PairLinks:
    """Every (event, pair) an event bears on, and how (``data/README.md``, "Scores").

    An event has two sides: who acts, ``actor_1`` with its ``participants`` (actors acting
    with it: a co-veto, co-signatories, co-belligerents), and its counterpart ``actor_2``.
    Its ``targets`` are actors the acting side is directed against (a veto's sponsors, the
    suppliers a sanctions package lists). The event's score ``s`` counts ``s`` between each
    acting actor and ``actor_2``; ``+|s|`` between actors acting together; ``-|s|`` between
    each acting actor and each target. ``rows`` are positions in the events frame, ``codes``
    pair codes as in :func:`pair_codes`, ``kinds`` one of ``ACROSS``, ``AGAINST``,
    ``TOGETHER``.
    """

    rows: np.ndarray
    codes: np.ndarray
    kinds: np.ndarray
    ids: pd.Index

    def scores(self, events: pd.DataFrame) -> np.ndarray:
        """The score each link adds to its pair's temperature."""
        s = np.nan_to_num(events["score"].to_numpy(dtype=float, na_value=np.nan)[self.rows])
        magnitude = np.abs(s)
        return np.select(
            [self.kinds == AGAINST, self.kinds == TOGETHER], [-magnitude, magnitude], s
        )

    def subset(self, rows: np.ndarray, n: int) -> PairLinks:
        """The links of the events at positions ``rows`` (ascending) of the ``n`` these links
        were computed for, with rows renumbered to positions in ``rows``: what
        :func:`pair_links` gives for those events alone, without expanding their lists again."""
        position = np.full(n, -1, np.int64)
        position[rows] = np.arange(len(rows))
        at = position[self.rows]
        keep = at >= 0
        return PairLinks(at[keep], self.codes[keep], self.kinds[keep], self.ids)

    def on_pair(self, pair: str) -> np.ndarray:
        """Which links bear on ``pair`` (a label such as ``"PRK–RUS"``): a boolean mask."""
        return np.isin(self.codes, list(wanted_pairs([pair], self.ids)))


def id_lists(values: pd.Series) -> list[list[str]]:
    """Each value of a list column (``participants``, ``targets``: ids joined by ``;``) as its
    ids; an empty list for a missing value."""
    return [
        [p.strip() for p in str(v).split(";") if p.strip()] if isinstance(v, str) else []
        for v in values.astype(object)
    ]


def _column_lists(events: pd.DataFrame, column: str, rows: np.ndarray) -> list[list[str]]:
    if column not in events.columns:
        return [[] for _ in rows]
    return id_lists(events[column].iloc[rows])


def pair_links(events: pd.DataFrame) -> PairLinks:
    """The pairs each event bears on (see :class:`PairLinks`).

    The actor_1/actor_2 pair is computed on categorical codes for all rows at once; only the
    few rows with participants or targets are expanded one by one.
    """
    codes, ids = pair_codes(events)
    base = np.flatnonzero(codes >= 0)
    rows, links, kinds = [base], [codes[base]], [np.full(len(base), ACROSS, np.int8)]
    extra = np.zeros(len(events), bool)
    for column in ("participants", "targets"):
        if column in events.columns:
            extra |= events[column].notna().to_numpy(bool)
    if extra.any():
        n = len(ids)
        index = {str(a): i for i, a in enumerate(ids)}
        where = np.flatnonzero(extra)
        c1 = events["actor_1"].cat.codes.to_numpy()[where].tolist()  # Python ints: no int8
        c2 = events["actor_2"].cat.codes.to_numpy()[where].tolist()
        more: list[tuple[int, int, int]] = []
        lists = zip(
            where, c1, c2, _column_lists(events, "participants", where),
            _column_lists(events, "targets", where), strict=True,
        )  # fmt: skip
        for row, a, b, together, against in lists:
            acting = {a} | {index[x] for x in together if x in index} - {b}
            targets = {index[x] for x in against if x in index} - acting - {b}
            links_of_row = set()
            for actor in acting - {a}:
                if b >= 0:
                    links_of_row.add((min(actor, b), max(actor, b), ACROSS))
            for x, y in combinations(sorted(acting), 2):
                links_of_row.add((x, y, TOGETHER))
            for actor in acting:
                for target in targets:
                    links_of_row.add((min(actor, target), max(actor, target), AGAINST))
            more += [(row, x * n + y, kind) for x, y, kind in sorted(links_of_row)]
        if more:
            extra_rows, extra_codes, extra_kinds = (np.array(c) for c in zip(*more, strict=True))
            rows.append(extra_rows.astype(np.int64))
            links.append(extra_codes.astype(np.int64))
            kinds.append(extra_kinds.astype(np.int8))
    return PairLinks(np.concatenate(rows), np.concatenate(links), np.concatenate(kinds), ids)


def pair_event_counts(events: pd.DataFrame, links: PairLinks | None = None) -> pd.Series:
    """Number of events bearing on each unordered pair of actors (as parties or as party and
    target), busiest first."""
    links = pair_links(events) if links is None else links
    if not len(links.codes):
        return pd.Series(dtype="int64")
    counts = pd.Series(links.codes).value_counts(sort=False)
    return busiest_pairs(pair_labels(counts.index.to_numpy(), links.ids), counts.to_numpy())


def busiest_pairs(labels: Sequence[str], counts: np.ndarray) -> pd.Series:
    """Counts by pair label, busiest first, ties alphabetical. The labels stay Python
    strings (an ``object`` index): pandas' own string dtype took 15 ms to make and 30 ms to
    read back for 19,000 pairs, at every filter change."""
    labels = np.array(labels, dtype=object)
    counts = np.asarray(counts, dtype="int64")
    order = np.lexsort((labels, -counts))
    index = pd.Index(labels[order], dtype=object)
    return pd.Series(counts[order], index=index, name="count")


SERIES = ("event_type", "actor_1", "actor_2", "unit")
"""What makes running totals one series: the same type, actors and unit."""


@dataclass(frozen=True)
class SeriesOrder:
    """Which running-total series each event belongs to, and its place in report order.

    ``series`` is a code per event (-1 for an event that is no running total: not
    ``magnitude_basis`` cumulative, or without a magnitude); ``rank`` orders the running
    totals by date, then ``event_id``. Computed once for a whole dataset, it answers
    :func:`latest_in` for any subset of its events.
    """

    series: np.ndarray
    rank: np.ndarray


def series_order(events: pd.DataFrame) -> SeriesOrder:
    """The :class:`SeriesOrder` of ``events``: series are :data:`SERIES` (a missing value
    matches a missing value)."""
    cumulative = (events["magnitude_basis"] == "cumulative").to_numpy(bool) & events[
        "magnitude"
    ].notna().to_numpy(bool)
    series = np.full(len(events), -1, np.int64)
    rank = np.zeros(len(events), np.int64)
    rows = np.flatnonzero(cumulative)
    if len(rows):
        keys = events.iloc[rows][list(SERIES)].astype(object).fillna("")
        series[rows] = keys.groupby(list(SERIES), sort=False).ngroup().to_numpy()
        ids = events["event_id"].to_numpy(object)[rows].astype(str)
        order = np.lexsort((ids, events["date"].to_numpy("datetime64[ns]")[rows]))
        rank[rows[order]] = np.arange(len(rows))
    return SeriesOrder(series, rank)


def latest_in(order: SeriesOrder, rows: np.ndarray) -> np.ndarray:
    """:func:`latest_of_series` for the events at positions ``rows`` of those ``order`` was
    computed for: per row, False for a running total a later one of ``rows`` supersedes."""
    keep = np.ones(len(rows), bool)
    series = order.series[rows]
    cumulative = np.flatnonzero(series >= 0)
    if not len(cumulative):
        return keep
    codes, ranks = series[cumulative], order.rank[rows[cumulative]]
    by = np.lexsort((ranks, codes))  # each series together, in report order
    last = np.r_[codes[by][1:] != codes[by][:-1], True]
    keep[cumulative[by[~last]]] = False
    return keep


def latest_of_series(events: pd.DataFrame) -> np.ndarray:
    """Per row: False for a running total (``magnitude_basis`` cumulative) that a later report
    of the same series (:data:`SERIES`) supersedes; True for every other row.

    Later means a later date, and on the same date a greater ``event_id``: an order that does
    not depend on how rows are stored, so the engine path (:mod:`alliances.engine`) keeps the
    same reports."""
    return latest_in(series_order(events), np.arange(len(events)))


def kpis(events: pd.DataFrame, latest: np.ndarray | None = None) -> dict[str, object]:
    """Counts per event type and magnitude totals per unit.

    Totals add ``amount`` rows, and for ``cumulative`` estimates take only the latest figure of
    each series (same type, actors and unit, :func:`latest_of_series`), so running totals are
    not added up; ``part`` rows (a share of a quantity recorded elsewhere) are left out.
    """
    counts = events["event_type"].value_counts(sort=False)
    latest = latest_of_series(events) if latest is None else latest
    counted = events[latest & events["magnitude"].notna().to_numpy(bool)]
    counted = counted[counted["magnitude_basis"].isin(["amount", "cumulative"])]
    totals = counted.groupby("unit", observed=True)["magnitude"].sum()
    return kpi_record(len(events), counts, totals[totals.index.notna()])


def kpi_record(events: int, by_type: pd.Series, totals: pd.Series) -> dict[str, object]:
    """The KPIs in one order whatever computed them: types busiest first (ties in vocabulary
    order), totals largest first (ties by unit)."""
    by_type = by_type[by_type > 0].sort_values(ascending=False, kind="stable")
    totals = totals.sort_index(kind="stable").sort_values(ascending=False, kind="stable")
    return {"events": events, "by_type": by_type, "totals": totals}


def _quarter(values: np.ndarray) -> np.ndarray:
    """Quarter numbers (months since 1970 // 3) of datetime64 values."""
    return values.astype("datetime64[M]").astype(np.int64) // 3


def temperature(
    events: pd.DataFrame,
    pairs: Iterable[str] | None = None,
    *,
    top: int = 5,
    start: pd.Timestamp | None = None,
    stop: pd.Timestamp | None = None,
    fill: bool = True,
    links: PairLinks | None = None,
    latest: np.ndarray | None = None,
    max_quarters: int = 400,
) -> pd.DataFrame:
    """Sum of event scores per quarter for each pair: the relationship "temperature".

    Every event a pair takes part in counts (its parties, and its targets against them: see
    :class:`PairLinks`); a running total counts once, in the quarter of its latest report.
    ``pairs`` are pair labels (``"PRK–RUS"``); by default the ``top`` busiest pairs.
    Returns columns ``pair``, ``quarter`` (start of quarter), ``score``, ``events``. With
    ``fill``, quarters without events are 0: from ``start`` to ``stop`` (exclusive) when given
    (the window), else between each pair's first and last; at most ``max_quarters`` of them.
    """
    cols = ["pair", "quarter", "score", "events"]
    links = pair_links(events) if links is None else links
    chosen = list(pair_event_counts(events, links).index[:top]) if pairs is None else list(pairs)
    ids = links.ids
    wanted = wanted_pairs(chosen, ids)
    counted = (latest_of_series(events) if latest is None else latest)[links.rows]
    keep = np.isin(links.codes, list(wanted)) & counted if wanted else np.zeros(0, bool)
    if not wanted or (not keep.any() and (start is None or not fill)):
        return pd.DataFrame(columns=cols)
    # Sums per (pair, quarter) with one bincount over integer cells: no string grouping
    # (a million events' pair labels would be iterated one by one).
    known = np.array(sorted(wanted))
    pair_of = np.searchsorted(known, links.codes[keep])
    quarter = _quarter(events["date"].to_numpy("datetime64[ns]")[links.rows[keep]])
    if start is not None and stop is not None:
        first, last = window_quarters(start, stop)
        inside = (quarter >= first) & (quarter <= last)
        pair_of, quarter = pair_of[inside], quarter[inside]
        scores = links.scores(events)[keep][inside]
    else:
        if not len(quarter):
            return pd.DataFrame(columns=cols)
        first, last = int(quarter.min()), int(quarter.max())
        scores = links.scores(events)[keep]
    nq = last - first + 1
    cell = pair_of * nq + (quarter - first)
    size = len(known) * nq
    sums = np.bincount(cell, weights=scores, minlength=size).reshape(len(known), nq)
    counts = np.bincount(cell, minlength=size).reshape(len(known), nq)
    return temperature_table(
        wanted, first, sums, counts, fill=fill, windowed=start is not None and stop is not None,
        max_quarters=max_quarters,
    )  # fmt: skip


def wanted_pairs(labels: Iterable[str], ids: Iterable[str]) -> dict[int, str]:
    """Pair code (as in :func:`pair_codes`, over actor ids ``ids``) -> label, for the pair
    labels (``"PRK–RUS"``) that name two different known actors."""
    ids = list(ids)
    index = {str(a): i for i, a in enumerate(ids)}
    wanted: dict[int, str] = {}
    for label in labels:
        a, _, b = str(label).partition("–")
        if a in index and b in index and a != b:
            lo, hi = sorted((index[a], index[b]))
            wanted[lo * len(ids) + hi] = pair_label(a, b)
    return wanted


def window_quarters(start: pd.Timestamp, stop: pd.Timestamp) -> tuple[int, int]:
    """The first and last quarter numbers (months since 1970 // 3) of a window [start, stop)."""
    first = int(_quarter(np.array([start], dtype="datetime64[ns]"))[0])
    last = int(_quarter(np.array([stop - pd.Timedelta(days=1)], dtype="datetime64[ns]"))[0])
    return first, last


def temperature_table(
    wanted: dict[int, str],
    first: int,
    sums: np.ndarray,
    counts: np.ndarray,
    *,
    fill: bool = True,
    windowed: bool = True,
    max_quarters: int = 400,
) -> pd.DataFrame:
    """The temperature frame from score sums and event counts per (pair, quarter) cell: rows
    follow ``sorted(wanted)``, columns quarters from ``first``. Both paths end here."""
    known = np.array(sorted(wanted))
    nq = sums.shape[1]
    if fill and nq <= max_quarters:  # quarters without events are 0, not a line across
        if windowed:
            shown = np.ones(counts.shape, bool)  # the whole window, for every chosen pair
        else:
            present = counts.sum(axis=1) > 0
            shown = np.broadcast_to(present[:, None], counts.shape)
    else:
        shown = counts > 0
    labels = np.array([wanted[c] for c in known], dtype=object)
    by_label = np.argsort(labels, kind="stable")
    p_idx, q_idx = np.nonzero(shown[by_label])
    p_idx = by_label[p_idx]
    starts = ((first + q_idx) * 3).astype("datetime64[M]").astype("datetime64[ns]")
    return pd.DataFrame(
        {
            "pair": labels[p_idx],
            "quarter": starts,
            "score": sums[p_idx, q_idx],
            "events": counts[p_idx, q_idx].astype("int64"),
        }
    )


def focused_pairs(
    focused: Iterable[str],
    events: pd.DataFrame,
    top: int = 5,
    *,
    counts: pd.Series | None = None,
) -> list[str]:
    """Pairs to chart: among the focused actors if there are two or more, else the busiest."""
    focused = list(focused)
    counts = pair_event_counts(events) if counts is None else counts
    labels = counts.index
    if len(focused) >= 2:
        wanted = set(focused)
        among = list(islice((p for p in labels if set(p.split("–")) <= wanted), top))
        if among:
            return among
    if len(focused) == 1:
        return list(islice((p for p in labels if focused[0] in p.split("–")), top))
    return list(labels[:top])


CHANGE_COLUMNS = ("relation_id", "actor_a", "actor_b", "relation_type", "title", "start_date",
                  "start_precision", "end_date", "end_precision")  # fmt: skip
"""The relation columns :func:`changes` keeps."""


def changes(relations: pd.DataFrame, w: Window) -> pd.DataFrame:
    """Relations that began or ended inside the window, oldest first, with a ``change`` column.

    A relation that began and ended inside the window is listed twice; on the same day, what
    began comes before what ended, each in the order of ``relations``. Arrays, then one row
    take: the view recomputes it on every filter change.
    """
    start, stop = np.datetime64(w.start, "ns"), np.datetime64(w.stop, "ns")
    begins = relations["start_date"].to_numpy("datetime64[ns]")
    ends = relations["end_date"].to_numpy("datetime64[ns]")  # NaT (open) compares False
    began = np.flatnonzero((begins >= start) & (begins < stop))
    ended = np.flatnonzero((ends >= start) & (ends < stop))
    when = np.concatenate([begins[began], ends[ended]])
    order = np.argsort(when, kind="stable")
    columns = [relations.columns.get_loc(c) for c in CHANGE_COLUMNS]
    out = relations.iloc[np.concatenate([began, ended])[order], columns].reset_index(drop=True)
    out["change"] = np.array(["began"] * len(began) + ["ended"] * len(ended), object)[order]
    out["when"] = when[order]
    precision = np.concatenate([
        relations["start_precision"].to_numpy(object)[began],
        relations["end_precision"].to_numpy(object)[ended],
    ])  # fmt: skip
    out["when_precision"] = precision[order]
    return out
