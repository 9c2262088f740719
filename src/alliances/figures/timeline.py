"""The event timeline: one lane per event type or per pair of actors.

Single days are points. Events with a date range, or known only to the month or year, are
drawn as spans over that range, never as a false exact day. When a window holds more events
than can usefully be drawn one by one, lanes are binned into counts over time (a heatmap), and
single events come back once the window is narrow enough.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import query
from ..bins import Bins, binned_counts, lane_labels  # data work: both paths use them
from ..cache import per_dataset
from ..dataset import Dataset
from ..dates import partial_spans
from .common import SYMBOLS, Spec, empty_figure, epoch_ms, join_lines, label_text, make_figure

MAX_POINTS = 2500
MAX_CACHED_HOVERS = 200_000
"""Hover texts kept per dataset (about 200 bytes each); past that the cache starts over."""


def _hover(events: pd.DataFrame, dataset: Dataset) -> list[str]:
    names, type_labels = dataset.names, dataset.event_type_labels
    when = partial_spans(
        events["date"], events["date_precision"], events["end_date"], events["end_precision"]
    )
    out = []
    for row, dates in zip(events.itertuples(index=False), when, strict=True):
        a1, a2 = str(row.actor_1), row.actor_2
        actors = label_text(names.get(a1, a1))
        if pd.notna(a2):
            actors += " → " + label_text(names.get(str(a2), str(a2)))
        magnitude = ""
        if pd.notna(row.magnitude):
            basis = " (cumulative)" if row.magnitude_basis == "cumulative" else ""
            magnitude = f"{row.magnitude:,.0f} {label_text(row.unit)}{basis}"
        out.append(
            join_lines(
                [
                    f"<b>{label_text(row.title)}</b>",
                    f"{dates} · {label_text(type_labels.get(str(row.event_type), row.event_type))}",
                    actors,
                    magnitude,
                    f"Source: {label_text(row.source_name, 120)}",
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
    bins: Bins | None = None,
) -> Spec:
    """Events of ``dataset`` on a time axis. ``start``/``stop`` fix the x range (default: the
    events' span).

    Each point carries its event id as ``customdata`` for click handling. ``hover``: the hover
    texts of ``events``, row for row, if the caller has them (see :func:`event_hovers`).
    ``bins``: the events already counted per lane and bin (``Selection.bins``), drawn as they
    are instead of ``events``.
    """
    if (bins is None and events.empty) or (bins is not None and not bins.events):
        return empty_figure("No events for these filters", height=height)
    if bins is None:
        start = pd.Timestamp(start) if start is not None else events["date"].min()
        stop = pd.Timestamp(stop) if stop is not None else events["stop"].max()
        lane, ordered = lane_labels(events, lanes, dataset.event_type_labels)
        if len(events) > max_points:
            name, edges, names, counts = binned_counts(events, lane, start, stop, ordered)
            bins = Bins(name, edges, names, counts, len(events))
    if bins is not None:
        traces, extra = _heatmap(bins)
        ordered = bins.lanes
    else:
        if hover is None:
            hover = np.array(_hover(events, dataset), dtype=object)
        traces, extra = _points(events, lane, dataset, hover, selected)
    ordered = [label_text(x) for x in ordered]
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
    start, stop = zoom if zoom is not None else (sel.window.start, sel.window.stop)
    lanes = getattr(filters, "lanes", "type")
    # binned: counted where the events are; one by one: the full rows (few of them)
    bins = events = hover = None
    if sel.count_between(start, stop) > MAX_POINTS:
        bins = sel.bins(lanes, start, stop, dataset.event_type_labels)
    elif dataset.store is None:
        rows = sel.rows_between(start, stop)
        events, hover = sel.source.iloc[rows], event_hovers(dataset, rows)
    else:
        events = sel.events_between(start, stop)
    return timeline_figure(
        events,
        dataset,
        lanes=lanes,
        start=start,
        stop=stop,
        selected=getattr(filters, "event", "") or None,
        hover=hover,
        height=height,
        title=title,
        bins=bins,
    )


def _heatmap(bins: Bins) -> tuple[list[dict], dict]:
    bin_name, edges, lanes, counts = bins.name, bins.edges, bins.lanes, bins.counts
    centers = epoch_ms(edges[:-1] + (edges[1:] - edges[:-1]) // 2)
    heatmap = {
        "type": "heatmap",
        "x": centers,
        "y": [label_text(x) for x in lanes],
        "z": np.where(counts > 0, counts, np.nan),
        "colorscale": "Blues",
        "hoverongaps": False,
        "colorbar": {"title": {"text": f"events per {bin_name}"}, "thickness": 10},
        "hovertemplate": "%{y}<br>%{x|%Y-%m-%d}: %{z:,} events<extra></extra>",
        "name": "events",
    }
    note = {
        "text": f"{bins.events:,} events binned per {bin_name}; zoom in to see each event",
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
    lane_text = lane.map(label_text).to_numpy(object)
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
        label = label_text(type_labels.get(t, t))
        sm = m & span_mask
        if sm.any():
            xs = np.column_stack([start_ms[sm], stop_ms[sm], np.full(sm.sum(), np.nan)]).ravel()
            ys = np.column_stack([lane_text[sm], lane_text[sm], np.full(sm.sum(), None)]).ravel()
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
                "y": lane_text[m],
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
