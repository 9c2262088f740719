"""The relation network: actors as nodes, relations in force as (curved, parallel) edges."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from .. import metrics, query
from ..cache import per_dataset
from ..dataset import Dataset
from ..dates import partial_dates
from .common import Spec, empty_figure, join_lines, label_text, make_figure

WIDTHS = ((0, 1.2), (1, 2.5), (3, 4.0), (10, 6.0))  # (events between the pair at least, px)
NODE_MIN, NODE_MAX = 18, 46
CURVE_POINTS = 9


def _widths(counts: np.ndarray) -> np.ndarray:
    """Edge width in px for each pair's event count (see ``WIDTHS``)."""
    thresholds = np.array([t for t, _ in WIDTHS])
    px = np.array([w for _, w in WIDTHS])
    return px[np.searchsorted(thresholds, counts, side="right") - 1]


_HOVER_COLUMNS = [
    "title", "relation_type", "actor_a", "actor_b", "directed", "start_date",
    "start_precision", "end_date", "end_precision", "source_name",
]  # fmt: skip


def _arrays(positions: pd.DataFrame) -> tuple[dict[str, int], np.ndarray, set[str]]:
    """Positions (columns x, y, one row per actor id) as a row per id, an (n, 2) array, and
    the ids that have a position."""
    row_of = {str(actor): i for i, actor in enumerate(positions.index)}
    xy = positions[["x", "y"]].to_numpy(float)
    return row_of, xy, {actor for actor, i in row_of.items() if not np.isnan(xy[i]).any()}


@per_dataset(maxsize=1)
def _layout_arrays(dataset: Dataset) -> tuple[dict[str, int], np.ndarray, set[str]]:
    """:func:`_arrays` of the dataset's stable layout, made once (shared: read only)."""
    return _arrays(metrics.layout(dataset))


def _ids(column: pd.Series) -> np.ndarray:
    """A column of ids as an object array of ``str``; a categorical one through its codes
    (casting the column itself goes through pandas' string machinery, slow per call)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        categories = column.cat.categories.to_numpy(dtype=object)
        codes = column.cat.codes.to_numpy()
        return np.where(codes >= 0, categories[codes], "nan").astype(object)
    return np.array([str(v) for v in column.tolist()], dtype=object)


def _positions(ids: np.ndarray, row_of: Mapping[str, int], xy: np.ndarray) -> np.ndarray:
    """The (x, y) of each id (NaN for one without a position)."""
    rows = np.array([row_of.get(i, -1) for i in ids.tolist()], dtype=int)
    out = xy[rows] if len(rows) else np.zeros((0, 2))
    out[rows < 0] = np.nan
    return out


def _slots(pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For rows sorted by pair: each row's rank within its pair, and its pair's size."""
    n = len(pairs)
    if not n:
        return np.zeros(0, int), np.zeros(0, int)
    first = np.r_[True, pairs[1:] != pairs[:-1]]
    starts = np.flatnonzero(first)
    group = np.cumsum(first) - 1
    sizes = np.diff(np.r_[starts, n])
    return np.arange(n) - starts[group], sizes[group]


def _curves(p0: np.ndarray, p1: np.ndarray, bend: np.ndarray) -> np.ndarray:
    """Quadratic Béziers from p0 to p1 (arrays of shape (E, 2)) bent sideways by ``bend``.

    Returns (E, CURVE_POINTS, 2). ``bend`` is a share of each edge's length, so parallel
    relations between one pair fan out symmetrically.
    """
    d = p1 - p0
    normal = np.stack([-d[:, 1], d[:, 0]], axis=1)
    control = (p0 + p1) / 2 + normal * bend[:, None]
    t = np.linspace(0, 1, CURVE_POINTS)[None, :, None]
    return (1 - t) ** 2 * p0[:, None] + 2 * (1 - t) * t * control[:, None] + t**2 * p1[:, None]


def _edge_hovers(rel: pd.DataFrame, names: Mapping[str, str], labels: Mapping[str, str]) -> list:
    """Hover text of each relation: title, type, actors, dates, source (no event count)."""
    starts = partial_dates(rel["start_date"], rel["start_precision"])
    ends = partial_dates(rel["end_date"], rel["end_precision"])
    out = []
    for title, rtype, a, b, directed, start, end, source in zip(
        rel["title"], rel["relation_type"].astype(str), rel["actor_a"].astype(str),
        rel["actor_b"].astype(str), rel["directed"], starts, ends, rel["source_name"],
        strict=True,
    ):  # fmt: skip
        arrow = "→" if directed else "–"
        dates = f"{start} – {end}" if end else f"{start} (in force)"
        out.append(
            join_lines(
                [
                    f"<b>{label_text(title)}</b>",
                    label_text(labels.get(rtype, rtype)),
                    f"{label_text(names.get(a, a))} {arrow} {label_text(names.get(b, b))}",
                    dates,
                    f"Source: {label_text(source, 120)}",
                ]
            )
        )
    return out


@per_dataset(maxsize=1)
def relation_hovers(dataset: Dataset) -> np.ndarray:
    """The hover text of every relation of ``dataset`` (row for row), made once per dataset:
    pass ``relation_hovers(ds)[relations.index]`` to :func:`network_figure`."""
    hovers = _edge_hovers(dataset.relations, dataset.names, dataset.relation_type_labels)
    return np.array(hovers, dtype=object)


def network_figure(
    relations: pd.DataFrame,
    dataset: Dataset,
    *,
    positions: pd.DataFrame | None = None,
    sizes: Mapping[str, float] | None = None,
    size_label: str = "Centrality",
    pair_counts: pd.Series | None = None,
    focus: Iterable[str] = (),
    extra_nodes: Iterable[str] = (),
    title: str | None = None,
    height: int | None = None,
    hover: np.ndarray | None = None,
) -> Spec:
    """Draw relations of ``dataset`` between actors placed at ``positions`` (columns x, y;
    default: the dataset's stable layout, :func:`alliances.metrics.layout`).

    Several relations between one pair are drawn as separate curves, coloured by type; edge
    width grows with ``pair_counts`` (events between the pair); node size with ``sizes``.
    Each node carries its actor id as ``customdata`` for click handling. ``hover``: the
    relations' hover texts, row for row, if the caller has them (see :func:`relation_hovers`).
    """
    # plain arrays and dicts: pandas' indexing on string ids costs more than the drawing here
    if positions is None:
        row_of, xy, placed_ids = _layout_arrays(dataset)
    else:
        row_of, xy, placed_ids = _arrays(positions)
    names = dataset.names
    focus = [str(f) for f in focus]
    a, b = _ids(relations["actor_a"]), _ids(relations["actor_b"])
    nodes = [
        n
        for n in dict.fromkeys([*a.tolist(), *b.tolist(), *focus, *map(str, extra_nodes)])
        if n in placed_ids
    ]
    if not nodes:
        return empty_figure("No relations in force for these filters on this date", height=height)

    colors, labels = dataset.relation_type_colors, dataset.relation_type_labels
    counts = {} if pair_counts is None else pair_counts.to_dict()
    p_a, p_b = _positions(a, row_of, xy), _positions(b, row_of, xy)
    placed = ~(np.isnan(p_a).any(axis=1) | np.isnan(p_b).any(axis=1))
    swap = a > b  # bend parallel edges the same way whatever each row's direction
    pairs = np.array(
        [f"{y}–{x}" if s else f"{x}–{y}" for x, y, s in zip(a, b, swap, strict=True)], dtype=object
    )
    p0 = np.where(swap[:, None], p_b, p_a)
    p1 = np.where(swap[:, None], p_a, p_b)
    # by pair, then type and date: parallel relations of a pair are neighbours
    type_codes = relations["relation_type"].cat.codes.to_numpy()
    order = np.lexsort((relations["start_date"].to_numpy(), type_codes, pairs))
    order = order[placed[order]]
    pairs, p0, p1 = pairs[order], p0[order], p1[order]
    events = np.array([counts.get(p, 0) for p in pairs.tolist()], dtype=int)
    if hover is None:
        texts = _edge_hovers(relations[_HOVER_COLUMNS].iloc[order], names, labels)
    else:
        texts = np.asarray(hover, dtype=object)[order].tolist()
    texts = [
        f"{t}<br>Events in window: {n}" if n else t
        for t, n in zip(texts, events.tolist(), strict=True)
    ]
    slot, of = _slots(pairs)
    pts = _curves(p0, p1, (slot - (of - 1) / 2) * 0.18)
    widths = _widths(events)
    types = _ids(relations["relation_type"])[order]

    traces: list[dict] = []
    # one trace per (type, width) so widths can differ; the legend shows each type once
    gap = np.full((len(order), 1), np.nan)
    shown: set[str] = set()
    for rtype in dataset.relation_types["id"].astype(str):
        for width in np.unique(widths[types == rtype]):
            idx = np.flatnonzero((types == rtype) & (widths == width))
            traces.append(
                {
                    "type": "scatter",
                    "x": np.hstack([pts[idx, :, 0], gap[idx]]).ravel(),
                    "y": np.hstack([pts[idx, :, 1], gap[idx]]).ravel(),
                    "mode": "lines",
                    "line": {"color": colors.get(rtype, "#888"), "width": float(width)},
                    "name": label_text(labels.get(rtype, rtype)),
                    "legendgroup": rtype,
                    "showlegend": rtype not in shown,
                    "hoverinfo": "skip",
                    "connectgaps": False,
                }
            )
            shown.add(rtype)
    mid = pts[:, CURVE_POINTS // 2]
    traces.append(
        {
            "type": "scatter",
            "x": mid[:, 0],
            "y": mid[:, 1],
            "mode": "markers",
            "marker": {
                "size": 9,
                "color": [colors.get(t, "#888") for t in types],
                "opacity": 0.35,
                "symbol": "diamond",
            },
            "text": texts,
            "hovertemplate": "%{text}<extra></extra>",
            "showlegend": False,
            "name": "relations",
        }
    )

    sizes = sizes or {}
    values = np.array([float(sizes.get(n, 0.0)) for n in nodes])
    span = values.max() - values.min() if len(values) else 0
    scaled = NODE_MIN + (NODE_MAX - NODE_MIN) * ((values - values.min()) / span if span else 0.3)
    focus_set = set(focus)
    node_xy = xy[[row_of[n] for n in nodes]]
    traces.append(
        {
            "type": "scatter",
            "x": node_xy[:, 0],
            "y": node_xy[:, 1],
            "mode": "markers+text",
            "text": [label_text(n) for n in nodes],
            "textposition": "middle center",
            "textfont": {"size": 10, "color": "#111"},
            "customdata": list(nodes),
            "hovertext": [
                join_lines(
                    [
                        f"<b>{label_text(names.get(n, n))}</b> ({label_text(n)})",
                        f"{label_text(size_label)}: {v:.3f}",
                    ]
                )
                for n, v in zip(nodes, values, strict=True)
            ],
            "hovertemplate": "%{hovertext}<extra></extra>",
            "marker": {
                "size": scaled,
                "color": ["#fde68a" if n in focus_set else "#e5eef8" for n in nodes],
                "line": {
                    "color": ["#b45309" if n in focus_set else "#4a5a6a" for n in nodes],
                    "width": [3 if n in focus_set else 1 for n in nodes],
                },
            },
            "showlegend": False,
            "name": "actors",
        }
    )
    xr = np.array([np.nanmin(xy[:, 0]), np.nanmax(xy[:, 0])])
    yr = np.array([np.nanmin(xy[:, 1]), np.nanmax(xy[:, 1])])
    pad_x, pad_y = (xr[1] - xr[0]) * 0.08 + 0.05, (yr[1] - yr[0]) * 0.08 + 0.05
    layout = {
        "xaxis": {"visible": False, "range": [xr[0] - pad_x, xr[1] + pad_x]},
        "yaxis": {"visible": False, "range": [yr[0] - pad_y, yr[1] + pad_y]},
        "legend": {
            "orientation": "h",
            "x": 0,
            "y": 0,
            "yanchor": "top",
            "font": {"size": 10},
            "itemwidth": 30,
            "tracegroupgap": 0,
        },
        "hovermode": "closest",
        "dragmode": "pan",
        "uirevision": "network",
        "clickmode": "event",
    }
    return make_figure(traces, layout, height=height, title=title)


def network_for(
    dataset: Dataset,
    filters: query.AnyFilters,
    *,
    height: int | None = None,
    titled: bool = True,
) -> Spec:
    """The network the dashboard and the briefing draw for ``filters``: relations in force on
    the as-of date, node size from the chosen centrality, edge width from the window's events."""
    sel = query.select(dataset, filters)
    when = query.as_of(dataset, filters)
    in_force = query.relations_in_force(dataset, filters, when)
    kind = getattr(filters, "centrality", "degree")
    ranking = metrics.ranking_at(dataset, filters, when, kind)
    return network_figure(
        in_force,
        dataset,
        sizes=dict(zip(ranking["actor"], ranking["value"], strict=True)),
        size_label=metrics.CENTRALITY_LABELS[kind],
        pair_counts=sel.pair_counts,
        focus=sel.focus,
        title=f"Relations in force on {when:%Y-%m-%d}" if titled else None,
        height=height,
        hover=relation_hovers(dataset)[in_force.index.to_numpy()],
    )
