"""The relation network: actors as nodes, relations in force as (curved, parallel) edges."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .common import base_layout, empty_figure, esc, join_lines, lookup, span_label

WIDTHS = ((0, 1.2), (1, 2.5), (3, 4.0), (10, 6.0))  # (events between the pair at least, px)
NODE_MIN, NODE_MAX = 18, 46
CURVE_POINTS = 9


def _width(count: int) -> float:
    width = WIDTHS[0][1]
    for threshold, px in WIDTHS:
        if count >= threshold:
            width = px
    return width


def _curve(p0: np.ndarray, p1: np.ndarray, bend: float) -> np.ndarray:
    """Points of a quadratic Bézier from p0 to p1 bent sideways by ``bend`` (share of length)."""
    mid = (p0 + p1) / 2
    d = p1 - p0
    normal = np.array([-d[1], d[0]])
    control = mid + normal * bend
    t = np.linspace(0, 1, CURVE_POINTS)[:, None]
    return (1 - t) ** 2 * p0 + 2 * (1 - t) * t * control + t**2 * p1


def _edge_hover(row, names: Mapping[str, str], labels: Mapping[str, str]) -> str:
    a, b = str(row.actor_a), str(row.actor_b)
    arrow = "→" if row.directed else "–"
    return join_lines(
        [
            f"<b>{esc(row.title)}</b>",
            f"{esc(labels.get(str(row.relation_type), row.relation_type))}",
            f"{esc(names.get(a, a))} {arrow} {esc(names.get(b, b))}",
            span_label(row.start_date, row.start_precision, row.end_date, row.end_precision)
            + ("" if pd.notna(row.end_date) else " (in force)"),
            f"Source: {esc(row.source_name, 120)}",
            f"Events in window: {row.events}" if row.events else "",
        ]
    )


def network_figure(
    relations: pd.DataFrame,
    positions: pd.DataFrame,
    relation_types: pd.DataFrame,
    *,
    names: Mapping[str, str],
    sizes: Mapping[str, float] | None = None,
    size_label: str = "Centrality",
    pair_counts: pd.Series | None = None,
    focus: Iterable[str] = (),
    extra_nodes: Iterable[str] = (),
    title: str | None = None,
    height: int | None = None,
) -> go.Figure:
    """Draw relations in force between actors placed at ``positions`` (columns x, y).

    Several relations between one pair are drawn as separate curves, coloured by type; edge
    width grows with ``pair_counts`` (events between the pair); node size with ``sizes``.
    Each node carries its actor id as ``customdata`` for click handling.
    """
    focus = [str(f) for f in focus]
    nodes = pd.unique(
        np.concatenate(
            [
                relations["actor_a"].astype(str).to_numpy(),
                relations["actor_b"].astype(str).to_numpy(),
                np.asarray(focus + [str(x) for x in extra_nodes], dtype=object),
            ]
        )
    )
    nodes = [n for n in nodes if n in positions.index and positions.loc[n].notna().all()]
    if not nodes:
        return empty_figure("No relations in force for these filters on this date", height=height)

    colors = lookup(relation_types, "id", "color")
    labels = lookup(relation_types, "id", "label")
    counts = pair_counts if pair_counts is not None else pd.Series(dtype="int64")
    rel = relations.copy()
    a_str, b_str = rel["actor_a"].astype(str), rel["actor_b"].astype(str)
    rel["pair"] = np.where(a_str <= b_str, a_str + "–" + b_str, b_str + "–" + a_str)
    rel["events"] = rel["pair"].map(counts).fillna(0).astype(int)
    rel = rel.sort_values(["pair", "relation_type", "start_date"], kind="stable")
    rel["slot"] = rel.groupby("pair").cumcount()
    rel["of"] = rel.groupby("pair")["slot"].transform("size")

    fig = go.Figure()
    # one trace per (type, width) so widths can differ; the legend shows each type once
    lines: dict[tuple[str, float], tuple[list, list]] = {}
    mids_x, mids_y, mids_text, mids_color = [], [], [], []
    for row in rel.itertuples(index=False):
        a, b = str(row.actor_a), str(row.actor_b)
        if a not in positions.index or b not in positions.index:
            continue
        p0 = positions.loc[a, ["x", "y"]].to_numpy(float)
        p1 = positions.loc[b, ["x", "y"]].to_numpy(float)
        if a > b:  # bend parallel edges consistently whatever the row's direction
            p0, p1 = p1, p0
        bend = (row.slot - (row.of - 1) / 2) * 0.18
        pts = _curve(p0, p1, bend)
        key = (str(row.relation_type), _width(row.events))
        xs, ys = lines.setdefault(key, ([], []))
        xs += [*pts[:, 0], None]
        ys += [*pts[:, 1], None]
        mid = pts[CURVE_POINTS // 2]
        mids_x.append(mid[0])
        mids_y.append(mid[1])
        mids_text.append(_edge_hover(row, names, labels))
        mids_color.append(colors.get(str(row.relation_type), "#888"))

    shown: set[str] = set()
    order = list(relation_types["id"].astype(str))
    for (rtype, width), (xs, ys) in sorted(
        lines.items(), key=lambda kv: (order.index(kv[0][0]) if kv[0][0] in order else 99, kv[0][1])
    ):
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                line={"color": colors.get(rtype, "#888"), "width": width},
                name=esc(labels.get(rtype, rtype)),
                legendgroup=rtype,
                showlegend=rtype not in shown,
                hoverinfo="skip",
            )
        )
        shown.add(rtype)
    fig.add_trace(
        go.Scatter(
            x=mids_x,
            y=mids_y,
            mode="markers",
            marker={"size": 9, "color": mids_color, "opacity": 0.35, "symbol": "diamond"},
            text=mids_text,
            hovertemplate="%{text}<extra></extra>",
            showlegend=False,
            name="relations",
        )
    )

    sizes = sizes or {}
    values = np.array([float(sizes.get(n, 0.0)) for n in nodes])
    span = values.max() - values.min() if len(values) else 0
    scaled = NODE_MIN + (NODE_MAX - NODE_MIN) * ((values - values.min()) / span if span else 0.3)
    focus_set = set(focus)
    fig.add_trace(
        go.Scatter(
            x=positions.loc[nodes, "x"],
            y=positions.loc[nodes, "y"],
            mode="markers+text",
            text=[esc(n) for n in nodes],
            textposition="middle center",
            textfont={"size": 10, "color": "#111"},
            customdata=list(nodes),
            hovertext=[
                join_lines(
                    [f"<b>{esc(names.get(n, n))}</b> ({esc(n)})", f"{esc(size_label)}: {v:.3f}"]
                )
                for n, v in zip(nodes, values, strict=True)
            ],
            hovertemplate="%{hovertext}<extra></extra>",
            marker={
                "size": scaled,
                "color": ["#fde68a" if n in focus_set else "#e5eef8" for n in nodes],
                "line": {
                    "color": ["#b45309" if n in focus_set else "#4a5a6a" for n in nodes],
                    "width": [3 if n in focus_set else 1 for n in nodes],
                },
            },
            showlegend=False,
            name="actors",
        )
    )
    xr = positions["x"].agg(["min", "max"]).to_numpy(float)
    yr = positions["y"].agg(["min", "max"]).to_numpy(float)
    pad_x, pad_y = (xr[1] - xr[0]) * 0.08 + 0.05, (yr[1] - yr[0]) * 0.08 + 0.05
    base_layout(fig, height=height, title=title)
    fig.update_xaxes(visible=False, range=[xr[0] - pad_x, xr[1] + pad_x])
    fig.update_yaxes(visible=False, range=[yr[0] - pad_y, yr[1] + pad_y])
    fig.update_layout(
        legend={"orientation": "v", "x": 1.0, "xanchor": "left", "y": 1.0, "font": {"size": 10}},
        hovermode="closest",
        dragmode="pan",
        uirevision="network",
        clickmode="event",
    )
    return fig
