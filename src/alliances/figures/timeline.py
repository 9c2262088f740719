"""The event timeline: one lane per event type or per pair of actors.

Single days are points. Events with a date range, or known only to the month or year, are
drawn as spans over that range, never as a false exact day. When a window holds more events
than can usefully be drawn one by one, lanes are binned into counts over time (a heatmap), and
single events come back once the window is narrow enough.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import query
from ..aggregates import pair_codes, pair_label
from ..cache import per_dataset
from ..dataset import Dataset
from ..dates import partial_spans
from .common import SYMBOLS, Spec, empty_figure, epoch_ms, esc, join_lines, make_figure

MAX_POINTS = 2500
MAX_CACHED_HOVERS = 200_000
"""Hover texts kept per dataset (about 200 bytes each); past that the cache starts over."""
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
        top = np.argsort(-counts, kind="stable")[:MAX_LANES]
        labels = [
            str(ids[k - n * n]) if k >= n * n else pair_label(str(ids[k // n]), str(ids[k % n]))
            for k in keys[top]
        ]
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


def _bin_edges(start: pd.Timestamp, stop: pd.Timestamp) -> tuple[str, np.ndarray]:
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
    name, edges = _bin_edges(start, stop)
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


def _hover(events: pd.DataFrame, dataset: Dataset) -> list[str]:
    names, type_labels = dataset.names, dataset.event_type_labels
    when = partial_spans(
        events["date"], events["date_precision"], events["end_date"], events["end_precision"]
    )
    out = []
    for row, dates in zip(events.itertuples(index=False), when, strict=True):
        a1, a2 = str(row.actor_1), row.actor_2
        actors = esc(names.get(a1, a1))
        if pd.notna(a2):
            actors += " → " + esc(names.get(str(a2), str(a2)))
        magnitude = ""
        if pd.notna(row.magnitude):
            basis = " (cumulative)" if row.magnitude_basis == "cumulative" else ""
            magnitude = f"{row.magnitude:,.0f} {esc(row.unit)}{basis}"
        out.append(
            join_lines(
                [
                    f"<b>{esc(row.title)}</b>",
                    f"{dates} · {esc(type_labels.get(str(row.event_type), row.event_type))}",
                    actors,
                    magnitude,
                    f"Source: {esc(row.source_name, 120)}",
                ]
            )
        )
    return out


@dataclass
class _HoverStore:
    texts: np.ndarray  # one slot per event of the dataset; None until made
    made: int = 0


@per_dataset(maxsize=1)
def _hover_store(dataset: Dataset) -> _HoverStore:
    return _HoverStore(np.full(len(dataset.events), None, dtype=object))


def event_hovers(dataset: Dataset, rows: np.ndarray) -> np.ndarray:
    """The hover texts of ``dataset.events`` at positions ``rows``, for ``timeline_figure``.

    Each event's text is made once and kept while the dataset lives (shared by every session),
    so a filter change formats only the events no earlier change has shown.
    """
    rows = np.asarray(rows, dtype=np.int64)
    store = _hover_store(dataset)
    if store.made > MAX_CACHED_HOVERS:  # start over in a new array: readers keep the old one
        store.texts, store.made = np.full(len(dataset.events), None, dtype=object), 0
    texts = store.texts
    got = texts[rows]
    missing = rows[got == None]  # noqa: E711  (element-wise test of an object array)
    if len(missing):
        texts[missing] = _hover(dataset.events.iloc[missing], dataset)
        store.made += len(missing)
        got = texts[rows]
    return got


def timeline_figure(
    events: pd.DataFrame,
    dataset: Dataset,
    *,
    lanes: str = "type",
    start: pd.Timestamp | None = None,
    stop: pd.Timestamp | None = None,
    selected: str | None = None,
    max_points: int = MAX_POINTS,
    height: int | None = None,
    title: str | None = None,
    hover: np.ndarray | None = None,
) -> Spec:
    """Events of ``dataset`` on a time axis. ``start``/``stop`` fix the x range (default: the
    events' span).

    Each point carries its event id as ``customdata`` for click handling. ``hover``: the hover
    texts of ``events``, row for row, if the caller has them (see :func:`event_hovers`).
    """
    if events.empty:
        return empty_figure("No events for these filters", height=height)
    start = pd.Timestamp(start) if start is not None else events["date"].min()
    stop = pd.Timestamp(stop) if stop is not None else events["stop"].max()
    lane, ordered = lane_labels(events, lanes, dataset.event_type_labels)
    if len(events) > max_points:
        traces, extra = _heatmap(events, lane, ordered, start, stop)
    else:
        if hover is None:
            hover = np.array(_hover(events, dataset), dtype=object)
        traces, extra = _points(events, lane, dataset, hover, selected)
    ordered = [esc(x) for x in ordered]
    x_range = epoch_ms(np.array([start, stop], dtype="datetime64[ns]")).tolist()
    layout = {
        "xaxis": {
            "type": "date",
            "range": x_range,
            "showgrid": True,
            "rangeslider": {"visible": False},
        },
        "yaxis": {
            "type": "category",
            "categoryorder": "array",
            "categoryarray": ordered[::-1],
            "tickfont": {"size": 11},
            "showgrid": True,
            "gridcolor": "#f3f4f6",
        },
        "hovermode": "closest",
        "clickmode": "event",
        "uirevision": f"timeline-{lanes}",
        # under the plot: above it, a horizontal legend would cover the title
        "legend": {"orientation": "h", "y": -0.08, "yanchor": "top", "x": 0},
        **extra,
    }
    height = height or max(300, 130 + 26 * len(ordered))
    return make_figure(traces, layout, height=height, title=title)


def timeline_for(
    dataset: Dataset,
    filters: query.AnyFilters,
    *,
    zoom: tuple[pd.Timestamp, pd.Timestamp] | None = None,
    height: int | None = None,
    title: str | None = None,
) -> Spec:
    """The timeline the dashboard and the briefing draw for ``filters`` (optionally zoomed)."""
    sel = query.select(dataset, filters)
    rows, light, start, stop = sel.rows, sel.facts, sel.window.start, sel.window.stop
    if zoom is not None:
        start, stop = zoom
        inside = ((light["date"] < stop) & (light["stop"] > start)).to_numpy()
        rows, light = rows[inside], light[inside]
    # binned: the columns without text are enough; one by one: the full rows (few of them)
    binned = len(rows) > MAX_POINTS
    events = light if binned else sel.source.iloc[rows]
    return timeline_figure(
        events,
        dataset,
        lanes=getattr(filters, "lanes", "type"),
        start=start,
        stop=stop,
        selected=getattr(filters, "event", "") or None,
        hover=None if binned else event_hovers(dataset, rows),
        height=height,
        title=title,
    )


def _heatmap(events, lane, order, start, stop) -> tuple[list[dict], dict]:
    bin_name, edges, lanes, counts = binned_counts(events, lane, start, stop, order)
    centers = epoch_ms(edges[:-1] + (edges[1:] - edges[:-1]) // 2)
    heatmap = {
        "type": "heatmap",
        "x": centers,
        "y": [esc(x) for x in lanes],
        "z": np.where(counts > 0, counts, np.nan),
        "colorscale": "Blues",
        "hoverongaps": False,
        "colorbar": {"title": {"text": f"events per {bin_name}"}, "thickness": 10},
        "hovertemplate": "%{y}<br>%{x|%Y-%m-%d}: %{z:,} events<extra></extra>",
        "name": "events",
    }
    note = {
        "text": f"{len(events):,} events binned per {bin_name}; zoom in to see each event",
        "xref": "paper", "yref": "paper", "x": 0, "y": -0.12, "showarrow": False,
        "font": {"size": 11, "color": "#555"},
    }  # fmt: skip
    return [heatmap], {"annotations": [note]}


def _points(events, lane, dataset: Dataset, hover, selected):
    colors, type_labels = dataset.event_type_colors, dataset.event_type_labels
    order = list(dataset.event_types["id"].astype(str))
    symbol = {t: SYMBOLS[i % len(SYMBOLS)] for i, t in enumerate(order)}
    is_span = (events["date_precision"].astype(str) != "day") | events["end_date"].notna()
    start_ms = epoch_ms(events["date"])
    stop_ms = epoch_ms(events["stop"])
    # a point at the middle of its span (for a single day: that day's noon)
    mid_ms = (start_ms + stop_ms) / 2
    lanes_esc = lane.map(esc).to_numpy(object)
    ids = events["event_id"].astype(str).to_numpy(object)
    types = events["event_type"].astype(str).to_numpy(object)
    span_mask = is_span.to_numpy(bool)
    kind = "scattergl" if len(events) > 1000 else "scatter"
    traces = []
    for t in order:
        m = types == t
        if not m.any():
            continue
        color = colors.get(t, "#888")
        label = esc(type_labels.get(t, t))
        sm = m & span_mask
        if sm.any():
            xs = np.column_stack([start_ms[sm], stop_ms[sm], np.full(sm.sum(), np.nan)]).ravel()
            ys = np.column_stack([lanes_esc[sm], lanes_esc[sm], np.full(sm.sum(), None)]).ravel()
            traces.append(
                {
                    "type": kind,
                    "x": xs,
                    "y": ys,
                    "mode": "lines",
                    "line": {"color": color, "width": 7},
                    "opacity": 0.45,
                    "hoverinfo": "skip",
                    "legendgroup": t,
                    "showlegend": False,
                    "name": label,
                    "connectgaps": False,
                }
            )
        sel = ids[m] == selected if selected else np.zeros(m.sum(), bool)
        traces.append(
            {
                "type": kind,
                "x": mid_ms[m],
                "y": lanes_esc[m],
                "mode": "markers",
                "marker": {
                    "symbol": symbol[t],
                    "color": color,
                    "size": np.where(sel, 16, 10),
                    "line": {"color": np.where(sel, "#111", "#fff").tolist(), "width": 1},
                },
                "customdata": ids[m],
                "text": hover[m],
                "hovertemplate": "%{text}<extra></extra>",
                "name": label,
                "legendgroup": t,
            }
        )
    return traces, {}
