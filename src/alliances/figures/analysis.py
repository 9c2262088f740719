"""Charts of the analyses (:mod:`alliances.analyses`): alignment over time, what was pledged
against what arrived, and running estimates as series."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from plotly.colors import qualitative

from ..aggregates import pair_name
from ..dates import partial_dates
from .common import Spec, empty_figure, epoch_ms, label_text, make_figure

PALETTE = qualitative.D3
STAGE_STYLE = {  # stage -> (colour, dash)
    "pledged": ("#9467bd", "dot"),
    "ordered": ("#ff7f0e", "dash"),
    "delivered": ("#2ca02c", "solid"),
}


def _legend_below() -> dict:
    return {"orientation": "h", "y": -0.15, "yanchor": "top", "x": 0}


def alignment_figure(
    over_time: pd.DataFrame, *, names: Mapping[str, str], height: int | None = 320
) -> Spec:
    """The alignment index of each pair over time (columns ``pair``, ``date``, ``index``)."""
    if over_time.empty:
        return empty_figure("No pair to chart for these filters", height=height)
    traces = []
    for i, (pair, rows) in enumerate(over_time.groupby("pair", sort=False)):
        label = label_text(pair_name(str(pair), names))
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": epoch_ms(rows["date"]),
                "y": rows["index"].to_numpy(float),
                "name": label,
                "line": {"color": PALETTE[i % len(PALETTE)], "width": 2, "shape": "hv"},
                "hovertemplate": f"<b>{label}</b><br>%{{x|%Y-%m-%d}}: %{{y:.0f}}<extra></extra>",
            }
        )
    neutral = {
        "type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": 50, "y1": 50,
        "line": {"color": "#999", "width": 1, "dash": "dot"},
    }  # fmt: skip
    layout = {
        "xaxis": {"type": "date"},
        "yaxis": {"title": {"text": "alignment (0-100)"}, "range": [0, 100]},
        "legend": _legend_below(),
        "showlegend": True,
        "shapes": [neutral],
    }
    return make_figure(traces, layout, height=height, title="Alignment index over time")


def pledges_figure(
    pledges: pd.DataFrame, *, names: Mapping[str, str], height: int | None = 320
) -> Spec:
    """Running totals per supplier → recipient, unit and stage: pledged against delivered."""
    if pledges.empty:
        return empty_figure("No pledge or delivery recorded for these filters", height=height)
    traces = []
    for (pair, unit, stage), rows in pledges.groupby(["pair", "unit", "stage"], sort=False):
        a1, _, a2 = str(pair).partition(" → ")
        who = f"{names.get(a1, a1)} → {names.get(a2, a2)}"
        color, dash = STAGE_STYLE.get(str(stage), ("#888", "solid"))
        label = label_text(f"{who}, {unit}: {stage}")
        hover = [
            f"<b>{label_text(who)}</b>: {label_text(stage)} {total:,.0f} {label_text(unit)}"
            f"<br>{label_text(title)}<br>Source: {label_text(source, 120)}"
            for total, title, source in zip(
                rows["total"], rows["title"], rows["source_name"], strict=True
            )
        ]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": epoch_ms(rows["date"]),
                "y": rows["total"].to_numpy(float),
                "name": label,
                "line": {"color": color, "dash": dash, "shape": "hv", "width": 2},
                "text": hover,
                "hovertemplate": "%{text}<extra></extra>",
            }
        )
    layout = {
        "xaxis": {"type": "date"},
        "yaxis": {"title": {"text": "running total"}, "type": "log"},
        "legend": _legend_below(),
        "showlegend": True,
    }
    return make_figure(traces, layout, height=height, title="Pledged, ordered and delivered")


def running_figure(series: pd.DataFrame, *, height: int | None = 300) -> Spec:
    """Running estimates drawn as lines over time, each estimate's source in its hover."""
    if series.empty:
        return empty_figure("No running estimate in these filters", height=height)
    traces = []
    for i, (name, rows) in enumerate(series.groupby("series", sort=False)):
        when = partial_dates(rows["date"], rows["date_precision"])  # a month stays a month
        hover = [
            f"<b>{label_text(name)}</b><br>{v:,.0f} as of {d}<br>Source: {label_text(s, 120)}"
            for v, d, s in zip(rows["value"], when, rows["source_name"], strict=True)
        ]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": epoch_ms(rows["date"]),
                "y": rows["value"].to_numpy(float),
                "customdata": rows["event_id"].to_numpy(object),
                "name": label_text(name),
                "line": {"color": PALETTE[i % len(PALETTE)], "width": 2},
                "marker": {"size": 8},
                "text": hover,
                "hovertemplate": "%{text}<extra></extra>",
            }
        )
    layout = {
        "xaxis": {"type": "date"},
        "yaxis": {"title": {"text": "running total"}, "rangemode": "tozero"},
        "legend": _legend_below(),
        "showlegend": True,
        "clickmode": "event",
    }
    return make_figure(traces, layout, height=height, title="Running estimates")
