"""The binned timeline's data: each event's lane (its type, or its pair with the busiest
:data:`MAX_LANES` kept), bin edges sized to the window (at most :data:`MAX_BINS`), and the
events counted per lane and bin. Both paths use it: the engine counts its own rows into the
same lanes and edges.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .aggregates import pair_codes, pair_label

MAX_LANES = 30
MAX_BINS = 240
OTHER = "other pairs"
_BIN_SIZES = (  # (name, numpy unit, step)
    ("day", "D", 1),
    ("week", "W", 1),
    ("month", "M", 1),
    ("quarter", "M", 3),
    ("year", "Y", 1),
    ("5 years", "Y", 5),
)


def lane_names(keys: np.ndarray, ids: pd.Index) -> list[str]:
    """Pair lane names for lane keys: a pair code (``PRK–RUS``) or ``n*n + actor`` (``PRK``)."""
    n = len(ids)
    return [
        str(ids[k - n * n]) if k >= n * n else pair_label(str(ids[k // n]), str(ids[k % n]))
        for k in keys
    ]


@dataclass(frozen=True)
class Bins:
    """Events counted per timeline lane and time bin: what a binned timeline draws."""

    name: str  # "day", "week", "month", "quarter", "year" or "5 years"
    edges: np.ndarray  # datetime64[ns], one more than the bins
    lanes: list[str]
    counts: np.ndarray  # lanes x bins
    events: int


def timeline_bins(
    events: pd.DataFrame,
    lanes: str,
    start: pd.Timestamp,
    stop: pd.Timestamp,
    type_labels: dict[str, str],
) -> Bins:
    """Count ``events`` per lane (:func:`lane_labels`) and bin (:func:`binned_counts`)."""
    lane, order = lane_labels(events, lanes, type_labels)
    name, edges, names, counts = binned_counts(events, lane, start, stop, order)
    return Bins(name, edges, names, counts, len(events))


def lane_labels(
    events: pd.DataFrame, lanes: str, type_labels: Mapping[str, str]
) -> tuple[pd.Series, list[str]]:
    """The lane each event goes in (its type's label, or its pair ``PRK–RUS``), and lane order.

    Type lanes follow the vocabulary's order; pair lanes the busiest first, at most
    ``MAX_LANES`` of them, the rest in one "other pairs" lane at the bottom.
    """
    if lanes == "pair":
        # one code per lane: the pair's code, or n*n + actor for one-sided events
        codes, ids = pair_codes(events)
        n = len(ids)
        one_sided = codes < 0
        # int64: the categorical codes are int8 for a few actors, and n * n overflows them
        actor_1 = events["actor_1"].cat.codes.to_numpy().astype(np.int64)
        codes[one_sided] = n * n + actor_1[one_sided]
        lane_of, keys = pd.factorize(codes)
        counts = np.bincount(lane_of, minlength=len(keys))
        names = np.array(lane_names(keys, ids), dtype=object)
        top = np.lexsort((names, -counts))[:MAX_LANES]  # busiest first, ties by name
        labels = list(names[top])
        position = np.full(len(keys), len(top))  # not in the top: the "other pairs" lane
        position[top] = np.arange(len(top))
        lane_codes = position[lane_of]
        order = labels + ([OTHER] if len(keys) > len(top) else [])
        return _lane_series(lane_codes, order, events.index), order
    type_codes = events["event_type"].cat.codes.to_numpy()
    type_ids = [str(t) for t in events["event_type"].cat.categories]
    present = np.flatnonzero(np.bincount(type_codes[type_codes >= 0], minlength=len(type_ids)))
    order = [type_labels.get(type_ids[i], type_ids[i]) for i in present]
    position = np.full(len(type_ids), -1)
    position[present] = np.arange(len(present))
    return _lane_series(position[type_codes], order, events.index), order


def _lane_series(codes: np.ndarray, order: list[str], index: pd.Index) -> pd.Series:
    categories = pd.Index(order, dtype=object)
    return pd.Series(pd.Categorical.from_codes(codes, categories=categories), index=index)


def bin_edges(start: pd.Timestamp, stop: pd.Timestamp) -> tuple[str, np.ndarray]:
    for name, unit, step in _BIN_SIZES:
        first = np.datetime64(start, unit)
        last = np.datetime64(stop, unit) + np.timedelta64(1, unit)
        n = int((last - first) / np.timedelta64(step, unit)) + 1
        if n <= MAX_BINS or name == _BIN_SIZES[-1][0]:
            edges = first + np.arange(n + 1) * np.timedelta64(step, unit)
            return name, edges.astype("datetime64[ns]")
    raise AssertionError("unreachable")


def binned_counts(
    events: pd.DataFrame,
    lane: pd.Series,
    start: pd.Timestamp,
    stop: pd.Timestamp,
    order: list[str] | None = None,
) -> tuple[str, np.ndarray, list[str], np.ndarray]:
    """Count events per lane and time bin with one ``numpy.bincount``.

    Returns the bin size name, the bin edges, the lane names and a (lanes x bins) count matrix.
    """
    name, edges = bin_edges(start, stop)
    lanes = pd.Index(order if order is not None else sorted(set(lane)))
    if isinstance(lane.dtype, pd.CategoricalDtype) and list(lane.cat.categories) == list(lanes):
        codes = lane.cat.codes.to_numpy().astype(np.int64)
    else:
        codes = lanes.get_indexer(lane)
    when = events["date"].to_numpy("datetime64[ns]")
    idx = np.searchsorted(edges, when, side="right") - 1
    idx = np.clip(idx, 0, len(edges) - 2)
    nbins = len(edges) - 1
    flat = np.bincount(codes * nbins + idx, minlength=len(lanes) * nbins)
    return name, edges, [str(x) for x in lanes], flat.reshape(len(lanes), nbins)
