"""Metric views: KPI cards, relationship temperature, centrality ranking, what changed."""

from __future__ import annotations

import html

import pandas as pd
import panel as pn
import param

from .. import metrics, query
from ..dataset import Dataset, load_dataset
from ..figures import ranking_figure, temperature_figure
from ..figures.common import lookup, span_label
from ..state import Filters
from .base import PLOTLY_CONFIG, DatasetView

MAX_TYPES_SHOWN = 8


def _number(value: float) -> str:
    for size, suffix in ((1e12, " tn"), (1e9, " bn"), (1e6, " m")):
        if abs(value) >= size:
            return f"{value / size:,.1f}{suffix}"
    return f"{value:,.0f}"


def kpi_html(kpis: dict, type_labels: dict[str, str], relations: int) -> str:
    """KPI cards as escaped HTML."""
    cards = [("Events", f"{kpis['events']:,}"), ("Relations", f"{relations:,}")]
    for type_id, count in list(kpis["by_type"].items())[:MAX_TYPES_SHOWN]:
        cards.append((type_labels.get(str(type_id), str(type_id)), f"{count:,}"))
    for unit, total in kpis["totals"].items():
        cards.append((f"Total {unit}", _number(float(total))))
    body = "".join(
        f'<div class="kpi"><div class="kpi-value">{html.escape(v)}</div>'
        f'<div class="kpi-label">{html.escape(k)}</div></div>'
        for k, v in cards
    )
    return f'<div class="kpis">{body}</div>'


KPI_CSS = """
.kpis {display: flex; flex-wrap: wrap; gap: 8px;}
.kpi {background: #f4f6f9; border-radius: 6px; padding: 6px 12px; min-width: 96px;}
.kpi-value {font-size: 1.35em; font-weight: 600; color: #1f3b57;}
.kpi-label {font-size: 0.8em; color: #555; max-width: 180px;}
"""


def changes_html(changes: pd.DataFrame, names: dict[str, str], labels: dict[str, str]) -> str:
    """What began and ended in the window, as an escaped list."""
    if changes.empty:
        return "<p><i>No relation began or ended in this window.</i></p>"
    items = []
    for row in changes.itertuples(index=False):
        a, b = str(row.actor_a), str(row.actor_b)
        when = span_label(row.when, row.when_precision)
        items.append(
            f"<li><b>{html.escape(when)}</b> {html.escape(row.change)}: "
            f"{html.escape(labels.get(str(row.relation_type), str(row.relation_type)))}, "
            f"{html.escape(names.get(a, a))} – {html.escape(names.get(b, b))} "
            f"<span class='muted'>({html.escape(str(row.title))})</span></li>"
        )
    return f"<ul class='changes'>{''.join(items)}</ul>"


class KpiView(DatasetView):
    """KPI cards for the window: counts per event type and magnitude totals per unit."""

    def _build(self):
        self._html = pn.pane.HTML(
            "", stylesheets=[KPI_CSS], sizing_mode="stretch_width", css_classes=["al-kpis"]
        )
        return self._html

    @property
    def kpis(self) -> dict:
        return query.kpis(self.selection.events)

    def _refresh(self) -> None:
        labels = lookup(self.dataset.event_types, "id", "label")
        self._html.object = kpi_html(self.kpis, labels, len(self.selection.relations))


class TemperatureView(DatasetView):
    """Sum of event scores per quarter for the focused pairs (else the busiest pairs)."""

    def _build(self):
        self._pane = pn.pane.Plotly(
            config=PLOTLY_CONFIG,
            sizing_mode="stretch_width",
            height=300,
            css_classes=["al-temperature"],
        )
        return self._pane

    @property
    def temperature(self) -> pd.DataFrame:
        sel = self.selection
        return query.temperature(sel.events, query.focused_pairs(sel.focus, sel.events))

    def figure(self):
        return temperature_figure(self.temperature, names=self.dataset.names)

    def _refresh(self) -> None:
        self._pane.object = self.figure()


class RankingView(DatasetView):
    """Actors ranked by the chosen centrality in the network at the window's end."""

    _watches = (*DatasetView._watches, "centrality")

    def _build(self):
        self._pane = pn.pane.Plotly(
            config=PLOTLY_CONFIG,
            sizing_mode="stretch_width",
            height=300,
            css_classes=["al-ranking"],
        )
        return self._pane

    @property
    def ranking(self) -> pd.DataFrame:
        w = self.selection.window
        in_force = query.relations_in_force(self.dataset, self.filters, w.end)
        return metrics.ranking(in_force, self.filters.centrality, self.dataset.names)

    def figure(self):
        label = metrics.CENTRALITY_LABELS[self.filters.centrality]
        sel = self.selection
        return ranking_figure(
            self.ranking,
            label=label,
            focus=sel.focus,
            title=f"{label} on {sel.window.end:%Y-%m-%d}",
        )

    def _refresh(self) -> None:
        self._pane.object = self.figure()


class ChangesView(DatasetView):
    """Relations that began or ended inside the window."""

    def _build(self):
        self._html = pn.pane.HTML("", sizing_mode="stretch_width", css_classes=["al-changes"])
        return pn.Column(
            pn.pane.HTML("<h4>What changed in the window</h4>", margin=(0, 10)),
            self._html,
            sizing_mode="stretch_width",
        )

    @property
    def changes(self) -> pd.DataFrame:
        sel = self.selection
        return query.changes(sel.relations, sel.window)

    def _refresh(self) -> None:
        ds = self.dataset
        labels = lookup(ds.relation_types, "id", "label")
        self._html.object = changes_html(self.changes, ds.names, labels)


class MetricsView(pn.viewable.Viewer):
    """The four metric views together, for a notebook cell."""

    filters = param.ClassSelector(class_=Filters)
    dataset = param.ClassSelector(class_=Dataset)

    def __init__(self, **params):
        if params.get("filters") is None:
            params["filters"] = Filters()
        if params.get("dataset") is None:
            params["dataset"] = load_dataset()
        super().__init__(**params)
        shared = {"filters": self.filters, "dataset": self.dataset}
        self.kpis = KpiView(**shared)
        self.temperature = TemperatureView(**shared)
        self.ranking = RankingView(**shared)
        self.changes = ChangesView(**shared)

    def __panel__(self):
        return pn.Column(
            self.kpis,
            pn.Row(self.temperature, self.ranking, sizing_mode="stretch_width"),
            self.changes,
            sizing_mode="stretch_width",
        )
