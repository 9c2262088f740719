"""Shared look and text helpers for the figure builders."""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from plotly.colors import qualitative

Spec = dict[str, Any]
"""A plotly figure as plain data, ``{"data": [...], "layout": {...}}``: what every figure
builder returns. Panel's Plotly pane and ``plotly.io`` take it as it is; ``go.Figure(spec)``
makes the object form for a notebook user (views' ``figure()`` does)."""

FONT = "Liberation Sans, Helvetica, Arial, sans-serif"
SYMBOLS = (
    "circle", "square", "diamond", "triangle-up", "star", "cross", "x", "pentagon",
    "hexagon", "triangle-down", "hourglass", "bowtie", "star-diamond", "circle-x",
    "square-x", "diamond-x", "triangle-left", "triangle-right",
)  # fmt: skip
MAX_HOVER_TEXT = 240


def label_text(value: object, limit: int = MAX_HOVER_TEXT) -> str:
    """Dataset text for a plotly label or hover: HTML-escaped (plotly renders tags) and
    shortened to ``limit`` characters with an ellipsis; empty for a missing value."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    text = str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return html.escape(text, quote=True)


def epoch_ms(values: pd.Series | np.ndarray) -> np.ndarray:
    """Datetimes as float milliseconds since 1970: compact and fast to send to plotly.js."""
    arr = np.asarray(values, dtype="datetime64[ns]").view("int64").astype("float64") / 1e6
    arr[np.asarray(pd.isna(values))] = np.nan
    return arr


_AXIS = {
    "gridcolor": "#eef1f4",
    "linecolor": "#d0d5dc",
    "zerolinecolor": "#d0d5dc",
    "ticks": "",
    "automargin": True,
}
LOOK = {
    # No plotly template: applying one deep-copies it into every figure (5-16 ms each), so
    # the few things we want from "plotly_white" are set here once.
    "template": {},
    "paper_bgcolor": "#ffffff",
    "plot_bgcolor": "#ffffff",
    "colorway": list(qualitative.Plotly),
    "font": {"family": FONT, "size": 12},
    "hoverlabel": {"font": {"family": FONT, "size": 12}, "align": "left"},
    "legend": {"font": {"size": 11}},
    "autosize": True,
}


def _merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def make_figure(
    traces: list[dict],
    layout: dict | None = None,
    *,
    height: int | None = None,
    title: str | None = None,
) -> Spec:
    """One figure spec from trace dicts and layout overrides, in the house look.

    Built as plain dicts in a single pass: constructing ``go.Figure`` objects (validated or
    not) was most of the cost of a dashboard update (plotly/plotly.py#1812). The tests
    validate every spec the dashboard shows with ``go.Figure`` instead.
    """
    spec = {
        **LOOK,
        "xaxis": dict(_AXIS),
        "yaxis": dict(_AXIS),
        "margin": {"l": 10, "r": 10, "t": 36 if title else 10, "b": 10},
        "height": height,
    }
    if title:
        spec["title"] = {"text": label_text(title), "x": 0.01, "font": {"size": 14}}
    return {"data": traces, "layout": _merge(spec, layout or {})}


def empty_figure(message: str, *, height: int | None = None) -> Spec:
    """A blank figure that says why it is blank."""
    note = {
        "text": label_text(message),
        "showarrow": False,
        "x": 0.5,
        "y": 0.5,
        "xref": "paper",
        "yref": "paper",
        "font": {"size": 14, "color": "#666"},
    }
    hidden = {"visible": False}
    layout = {"annotations": [note], "xaxis": hidden, "yaxis": hidden}
    return make_figure([], layout, height=height)


def join_lines(parts: Iterable[str]) -> str:
    return "<br>".join(p for p in parts if p)


def same_spec(a: Any, b: Any) -> bool:
    """Whether two figure specs (or parts of them) are equal: dicts, lists and arrays by value
    (NaN equal to NaN in float arrays). In doubt (an int against a float, say), not equal."""
    if a is b:
        return True
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, dict):
        return (
            isinstance(b, dict)
            and a.keys() == b.keys()
            and all(same_spec(value, b[key]) for key, value in a.items())
        )
    if isinstance(a, (list, tuple)):
        return (
            isinstance(b, type(a))
            and len(a) == len(b)
            and all(same_spec(x, y) for x, y in zip(a, b, strict=True))
        )
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and a != a:
        return b != b
    return bool(a == b)
