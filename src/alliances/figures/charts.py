"""Metric charts: relationship temperature per quarter, and the centrality ranking."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from plotly.colors import qualitative

from .. import analyses, metrics, query
from ..aggregates import pair_name
from ..dataset import Dataset
from .common import Spec, empty_figure, epoch_ms, label_text, make_figure

TEMPERATURE_TITLE = "Relationship temperature (sum of event scores per quarter)"


def temperature_figure(
    temperature: pd.DataFrame,
    *,
    names: Mapping[str, str],
    height: int | None = 300,
    title: str | None = TEMPERATURE_TITLE,
    span: tuple[pd.Timestamp, pd.Timestamp] | None = None,
    shifts: pd.DataFrame | None = None,
) -> Spec:
    """Lines of quarterly score sums per pair: above zero cooperation, below zero conflict.

    ``span``: the x axis's range (the window), else the quarters shown; ``shifts``: quarters
    to ring as departures from the pair's baseline (:func:`alliances.analyses.shifts`)."""
    if temperature.empty:
        return empty_figure("No events between two actors for these filters", height=height)
    palette = qualitative.D3
    traces = []
    for i, (pair, rows) in enumerate(temperature.groupby("pair", sort=False)):
        label = label_text(pair_name(str(pair), names))
        events = rows["events"].to_numpy(int)
        score = rows["score"].to_numpy(float)
        keep = _drawn(events, score)
        traces.append(
            {
                "type": "scatter",
                "x": epoch_ms(rows["quarter"])[keep],
                "y": score[keep],
                "customdata": events[keep],
                "mode": "lines+markers",
                "line": {"color": palette[i % len(palette)], "width": 1.5},
                "marker": {"size": np.where(events[keep] > 0, 6, 0)},
                "name": label,
                "hovertemplate": (
                    f"<b>{label}</b><br>quarter from %{{x|%Y-%m-%d}}<br>"
                    "score %{y:+.1f} from %{customdata} event(s)<extra></extra>"
                ),
            }
        )
    if shifts is not None:
        traces += shift_markers(shifts, names)
    zero = {
        "type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": 0, "y1": 0,
        "line": {"color": "#999", "width": 1, "dash": "dot"},
    }  # fmt: skip
    xaxis = {"type": "date"}
    if span is not None:
        xaxis["range"] = epoch_ms(np.array(span, dtype="datetime64[ns]")).tolist()
    layout = {
        "xaxis": xaxis,
        "yaxis": {"title": {"text": "score"}, "zeroline": False},
        "legend": {"orientation": "h", "y": -0.12, "yanchor": "top", "x": 0},
        "showlegend": True,  # also for one pair: the legend names it
        "hovermode": "closest",
        "shapes": [zero],
    }
    return make_figure(traces, layout, height=height, title=title)


def _drawn(events: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Which quarters of a pair's line to send: all but the quiet ones (no event, score 0)
    between two quiet ones. The line between the quiet quarters kept runs along zero as it
    did through the ones left out, so the chart looks the same with a fraction of the points
    (a pair of a 75-year window is mostly quiet quarters)."""
    quiet = (events == 0) & (score == 0)
    inner = np.zeros_like(quiet)
    inner[1:-1] = quiet[:-2] & quiet[2:]
    return ~(quiet & inner)


def ranking_figure(
    ranking: pd.DataFrame,
    *,
    label: str = "Centrality",
    top: int = 12,
    focus: tuple[str, ...] = (),
    height: int | None = 300,
    title: str | None = None,
) -> Spec:
    """Horizontal bars of the most central actors (columns ``actor``, ``name``, ``value``)."""
    if ranking.empty:
        return empty_figure("No relations in force at the end of the window", height=height)
    head = ranking.head(top).iloc[::-1]
    focus_set = set(focus)
    # names on the axis, not inside the bars: text inside a bar shrinks to fit it, unreadably
    # for short bars
    bar = {
        "type": "bar",
        "x": head["value"].to_numpy(float),
        "y": [label_text(a) for a in head["actor"]],
        "orientation": "h",
        "customdata": head["actor"].to_numpy(object),
        "text": [label_text(n) for n in head["name"]],
        "textposition": "none",
        "marker": {"color": ["#d97706" if a in focus_set else "#4c78a8" for a in head["actor"]]},
        "hovertemplate": "%{text} (%{y})<br>" + label_text(label) + ": %{x:.3f}<extra></extra>",
    }
    layout = {
        "xaxis": {"title": {"text": label_text(label)}},
        "yaxis": {
            "type": "category",
            "tickmode": "array",
            "tickvals": bar["y"],
            "ticktext": [label_text(n, 22) for n in head["name"]],
            "tickfont": {"size": 11},
        },
    }
    return make_figure([bar], layout, height=height, title=title or label)


def temperature_for(
    dataset: Dataset,
    filters: query.AnyFilters,
    *,
    height: int | None = 300,
    title: str | None = TEMPERATURE_TITLE,
    rule: analyses.ShiftRule | None = None,
) -> Spec:
    """The temperature chart the dashboard and the briefing draw for ``filters``: the chosen
    pairs (default: the busiest), over the whole window; with a ``rule``, the quarters that
    depart from each pair's baseline are ringed."""
    w = query.select(dataset, filters).window
    return temperature_figure(
        query.pair_temperature(dataset, filters),
        names=dataset.names,
        height=height,
        title=title,
        span=(w.start, w.stop),
        shifts=analyses.shifts(dataset, filters, rule) if rule is not None else None,
    )


def ranking_for(dataset: Dataset, filters: query.AnyFilters, *, height: int | None = 300) -> Spec:
    """The centrality ranking at the window's end, as the dashboard shows it."""
    sel = query.select(dataset, filters)
    kind = getattr(filters, "centrality", "degree")
    label = metrics.CENTRALITY_LABELS[kind]
    ranking = metrics.ranking_at(dataset, filters, sel.window.end, kind)
    return ranking_figure(
        ranking,
        label=label,
        focus=sel.focus,
        height=height,
        title=f"{label} on {sel.window.end:%Y-%m-%d}",
    )


def shift_markers(shifts: pd.DataFrame, names: Mapping[str, str]) -> list[dict]:
    """Rings on the temperature chart's flagged quarters (see :func:`analyses.shifts`)."""
    if shifts.empty:
        return []
    text = [
        f"<b>{label_text(pair_name(str(p), names))}</b>: {d} than its baseline<br>"
        f"{s:+.1f} against {m:+.1f} ± {sd:.1f} (z {z:+.1f}), {n} events"
        for p, d, s, m, sd, z, n in zip(
            shifts["pair"], shifts["direction"], shifts["score"], shifts["mean"], shifts["sd"],
            shifts["z"], shifts["events"], strict=True,
        )
    ]  # fmt: skip
    return [
        {
            "type": "scatter",
            "mode": "markers",
            "x": epoch_ms(shifts["quarter"]),
            "y": shifts["score"].to_numpy(float),
            "marker": {
                "size": 16,
                "symbol": "circle-open",
                "color": np.where(shifts["z"] > 0, "#d62728", "#1f77b4").tolist(),
                "line": {"width": 2},
            },
            "text": text,
            "hovertemplate": "%{text}<extra></extra>",
            "name": "shift from baseline",
        }
    ]
