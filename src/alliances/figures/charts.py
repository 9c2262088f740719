"""Metric charts: relationship temperature per quarter, and the centrality ranking."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from .common import empty_figure, epoch_ms, esc, make_figure


def _pair_name(pair: str, names: Mapping[str, str]) -> str:
    return " – ".join(names.get(p, p) for p in pair.split("–"))


def temperature_figure(
    temperature: pd.DataFrame,
    *,
    names: Mapping[str, str],
    height: int | None = 300,
    title: str | None = "Relationship temperature (sum of event scores per quarter)",
    as_dict: bool = False,
) -> go.Figure:
    """Lines of quarterly score sums per pair: above zero cooperation, below zero conflict."""
    if temperature.empty:
        return empty_figure(
            "No events between two actors for these filters", height=height, as_dict=as_dict
        )
    palette = qualitative.D3
    traces = []
    for i, (pair, rows) in enumerate(temperature.groupby("pair", sort=False)):
        label = esc(_pair_name(str(pair), names))
        traces.append(
            {
                "type": "scatter",
                "x": epoch_ms(rows["quarter"]),
                "y": rows["score"].to_numpy(float),
                "customdata": rows["events"].to_numpy(int),
                "mode": "lines+markers",
                "line": {"color": palette[i % len(palette)], "width": 1.5},
                "marker": {"size": np.where(rows["events"].to_numpy(int) > 0, 6, 0)},
                "name": label,
                "hovertemplate": (
                    f"<b>{label}</b><br>quarter from %{{x|%Y-%m-%d}}<br>"
                    "score %{y:+.1f} from %{customdata} event(s)<extra></extra>"
                ),
            }
        )
    zero = {
        "type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": 0, "y1": 0,
        "line": {"color": "#999", "width": 1, "dash": "dot"},
    }  # fmt: skip
    layout = {
        "xaxis": {"type": "date"},
        "yaxis": {"title": {"text": "score"}, "zeroline": False},
        "legend": {"orientation": "h", "y": -0.15, "x": 0},
        "hovermode": "closest",
        "shapes": [zero],
    }
    return make_figure(traces, layout, height=height, title=title, as_dict=as_dict)


def ranking_figure(
    ranking: pd.DataFrame,
    *,
    label: str = "Centrality",
    top: int = 12,
    focus: tuple[str, ...] = (),
    height: int | None = 300,
    title: str | None = None,
    as_dict: bool = False,
) -> go.Figure:
    """Horizontal bars of the most central actors (columns ``actor``, ``name``, ``value``)."""
    if ranking.empty:
        return empty_figure(
            "No relations in force at the end of the window", height=height, as_dict=as_dict
        )
    head = ranking.head(top).iloc[::-1]
    focus_set = set(focus)
    bar = {
        "type": "bar",
        "x": head["value"].to_numpy(float),
        "y": [esc(a) for a in head["actor"]],
        "orientation": "h",
        "customdata": head["actor"].to_numpy(object),
        "text": [esc(n) for n in head["name"]],
        "textposition": "inside",
        "insidetextanchor": "end",
        "textfont": {"size": 10},
        "marker": {"color": ["#d97706" if a in focus_set else "#4c78a8" for a in head["actor"]]},
        "hovertemplate": "%{text} (%{y})<br>" + esc(label) + ": %{x:.3f}<extra></extra>",
    }
    layout = {"xaxis": {"title": {"text": esc(label)}}, "yaxis": {"type": "category"}}
    return make_figure([bar], layout, height=height, title=title or label, as_dict=as_dict)
