"""Tables derived from a selection's events and relations: pair counts, KPI totals, the
relationship temperature, what changed. Pure functions of DataFrames (no dataset, no filters),
computed on categorical codes so that a million events take milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from .query import Window


def pair_label(a: str, b: str) -> str:
    """The order-free label of one pair: ``pair_label("RUS", "PRK") == "PRK–RUS"``."""
    return "–".join(sorted((a, b)))


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


def _labels(codes: np.ndarray, ids: pd.Index) -> list[str]:
    """Pair labels for pair codes, alphabetical within each pair."""
    n = len(ids)
    names = np.asarray(ids, dtype=object)
    lo, hi = names[codes // n], names[codes % n]
    swap = hi < lo
    first, second = np.where(swap, hi, lo), np.where(swap, lo, hi)
    return [f"{x}–{y}" for x, y in zip(first, second, strict=True)]


def pair_event_counts(events: pd.DataFrame) -> pd.Series:
    """Number of events between each unordered pair of actors, busiest first."""
    codes, ids = pair_codes(events)
    codes = codes[codes >= 0]
    if not len(codes):
        return pd.Series(dtype="int64")
    counts = pd.Series(codes).value_counts(sort=False)
    counts = counts.iloc[np.lexsort((counts.index.to_numpy(), -counts.to_numpy()))]
    return pd.Series(counts.to_numpy(), index=_labels(counts.index.to_numpy(), ids), name="count")


def kpis(events: pd.DataFrame) -> dict[str, object]:
    """Counts per event type and magnitude totals per unit.

    Totals add ``amount`` rows, and for ``cumulative`` estimates take only the latest figure of
    each series (same type, actors and unit), so running totals are not added up; ``part``
    rows (a share of a quantity recorded elsewhere) are left out.
    """
    counts = events["event_type"].value_counts()
    counts = counts[counts > 0]
    with_mag = events[events["magnitude"].notna()]
    amounts = with_mag[with_mag["magnitude_basis"] == "amount"]
    totals = amounts.groupby("unit", observed=True)["magnitude"].sum()
    cumulative = with_mag[with_mag["magnitude_basis"] == "cumulative"]
    if not cumulative.empty:
        latest = (
            cumulative.sort_values("date")
            .groupby(["event_type", "actor_1", "actor_2", "unit"], observed=True, dropna=False)
            .tail(1)
        )
        totals = totals.add(latest.groupby("unit", observed=True)["magnitude"].sum(), fill_value=0)
    return {
        "events": len(events),
        "by_type": counts,
        "totals": totals.sort_values(ascending=False),
    }


def temperature(
    events: pd.DataFrame,
    pairs: Iterable[str] | None = None,
    *,
    top: int = 5,
    fill: bool = True,
    max_quarters: int = 400,
) -> pd.DataFrame:
    """Sum of event scores per quarter for each pair: the relationship "temperature".

    ``pairs`` are pair labels (``"PRK–RUS"``); by default the ``top`` busiest pairs.
    Returns columns ``pair``, ``quarter`` (start of quarter), ``score``, ``events``; with
    ``fill``, quarters without events between the first and last are included with 0
    (when they are at most ``max_quarters``).
    """
    cols = ["pair", "quarter", "score", "events"]
    codes, ids = pair_codes(events)
    chosen = list(pair_event_counts(events).index[:top]) if pairs is None else list(pairs)
    index = {a: i for i, a in enumerate(ids)}
    wanted: dict[int, str] = {}
    for label in chosen:
        a, _, b = label.partition("–")
        if a in index and b in index:
            lo, hi = sorted((index[a], index[b]))
            wanted[lo * len(ids) + hi] = label
    keep = np.isin(codes, list(wanted)) if wanted else np.zeros(len(codes), bool)
    if not keep.any():
        return pd.DataFrame(columns=cols)
    # Sums per (pair, quarter) with one bincount over integer cells: no string grouping
    # (a million events' pair labels would be iterated one by one).
    known = np.array(sorted(wanted))
    pair_of = np.searchsorted(known, codes[keep])
    months = events["date"].to_numpy("datetime64[ns]")[keep].astype("datetime64[M]").astype(int)
    quarter = months // 3
    first, nq = int(quarter.min()), int(quarter.max() - quarter.min()) + 1
    cell = pair_of * nq + (quarter - first)
    scores = np.nan_to_num(events["score"].to_numpy(dtype=float, na_value=np.nan)[keep])
    size = len(known) * nq
    sums = np.bincount(cell, weights=scores, minlength=size).reshape(len(known), nq)
    counts = np.bincount(cell, minlength=size).reshape(len(known), nq)
    present = counts.sum(axis=1) > 0
    if fill and nq - 1 < max_quarters:  # quarters without events are 0, not a line across
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
    if len(focused) >= 2:
        wanted = set(focused)
        among = [p for p in counts.index if set(p.split("–")) <= wanted]
        if among:
            return among[:top]
    if len(focused) == 1:
        touching = [p for p in counts.index if focused[0] in p.split("–")]
        return touching[:top]
    return list(counts.index[:top])


def changes(relations: pd.DataFrame, w: Window) -> pd.DataFrame:
    """Relations that began or ended inside the window, oldest first, with a ``change`` column."""
    keep = ["relation_id", "actor_a", "actor_b", "relation_type", "title", "start_date",
            "start_precision", "end_date", "end_precision"]  # fmt: skip
    relations = relations[keep]
    begun = relations[(relations["start_date"] >= w.start) & (relations["start_date"] < w.stop)]
    ended = relations[
        relations["end_date"].notna()
        & (relations["end_date"] >= w.start)
        & (relations["end_date"] < w.stop)
    ]
    out = pd.concat(
        [
            begun.assign(
                change="began", when=begun["start_date"], when_precision=begun["start_precision"]
            ),
            ended.assign(
                change="ended", when=ended["end_date"], when_precision=ended["end_precision"]
            ),
        ],
        ignore_index=True,
    )
    return out.sort_values("when", kind="stable").reset_index(drop=True)
