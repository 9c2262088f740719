"""Metric charts: relationship temperature per quarter, and the centrality ranking."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from .common import base_layout, empty_figure, epoch_ms, esc


def _pair_name(pair: str, names: Mapping[str, str]) -> str:
    return " – ".join(names.get(p, p) for p in pair.split("–"))


def temperature_figure(
    temperature: pd.DataFrame,
    *,
    names: Mapping[str, str],
    height: int | None = 300,
    title: str | None = "Relationship temperature (sum of event scores per quarter)",
) -> go.Figure:
    """Lines of quarterly score sums per pair: above zero cooperation, below zero conflict."""
    if temperature.empty:
        return empty_figure("No events between two actors for these filters", height=height)
    fig = go.Figure()
    palette = qualitative.D3
    for i, (pair, rows) in enumerate(temperature.groupby("pair", sort=False)):
        label = esc(_pair_name(str(pair), names))
        fig.add_trace(
            go.Scatter(
                x=epoch_ms(rows["quarter"]),
                y=rows["score"].to_numpy(float),
                customdata=rows["events"].to_numpy(int),
                mode="lines+markers",
                line={"color": palette[i % len(palette)], "width": 1.5},
                marker={"size": np.where(rows["events"].to_numpy(int) > 0, 6, 0)},
                name=label,
                hovertemplate=(
                    f"<b>{label}</b><br>quarter from %{{x|%Y-%m-%d}}<br>"
                    "score %{y:+.1f} from %{customdata} event(s)<extra></extra>"
                ),
            )
        )
    fig.add_hline(y=0, line={"color": "#999", "width": 1, "dash": "dot"})
    base_layout(fig, height=height, title=title)
    fig.update_xaxes(type="date")
    fig.update_yaxes(title={"text": "score"}, zeroline=False)
    fig.update_layout(legend={"orientation": "h", "y": -0.15, "x": 0}, hovermode="closest")
    return fig


def ranking_figure(
    ranking: pd.DataFrame,
    *,
    label: str = "Centrality",
    top: int = 12,
    focus: tuple[str, ...] = (),
    height: int | None = 300,
    title: str | None = None,
) -> go.Figure:
    """Horizontal bars of the most central actors (columns ``actor``, ``name``, ``value``)."""
    if ranking.empty:
        return empty_figure("No relations in force at the end of the window", height=height)
    head = ranking.head(top).iloc[::-1]
    focus_set = set(focus)
    fig = go.Figure(
        go.Bar(
            x=head["value"].to_numpy(float),
            y=[esc(a) for a in head["actor"]],
            orientation="h",
            customdata=head["actor"].to_numpy(object),
            text=[esc(n) for n in head["name"]],
            textposition="auto",
            marker={"color": ["#d97706" if a in focus_set else "#4c78a8" for a in head["actor"]]},
            hovertemplate="%{text} (%{y})<br>" + esc(label) + ": %{x:.3f}<extra></extra>",
        )
    )
    base_layout(fig, height=height, title=title or label)
    fig.update_xaxes(title={"text": esc(label)})
    fig.update_yaxes(type="category")
    return fig
