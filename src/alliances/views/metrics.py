"""Metric views: KPI cards, relationship temperature, centrality ranking, what changed."""

from __future__ import annotations

import pandas as pd
import panel as pn
import plotly.graph_objects as go

from .. import metrics, query
from ..figures import ranking_figure, temperature_figure
from ..figures.common import lookup
from ..fragments import CSS, changes_html, kpis_html
from .base import PLOTLY_CONFIG, DatasetView, FigurePane, Linked


class KpiView(DatasetView):
    """KPI cards for the window: counts per event type and magnitude totals per unit."""

    def _build(self):
        self._html = pn.pane.HTML(
            "", stylesheets=[CSS], sizing_mode="stretch_width", css_classes=["al-kpis"]
        )
        return self._html

    @property
    def kpis(self) -> dict:
        return query.kpis(self.selection.light)

    def _refresh(self) -> None:
        labels = lookup(self.dataset.event_types, "id", "label")
        self._html.object = kpis_html(self.kpis, labels, len(self.selection.relations))


class TemperatureView(DatasetView):
    """Sum of event scores per quarter for the focused pairs (else the busiest pairs)."""

    def _build(self):
        self._pane = FigurePane(
            config=PLOTLY_CONFIG,
            sizing_mode="stretch_width",
            height=300,
            css_classes=["al-temperature"],
        )
        return self._pane

    @property
    def temperature(self) -> pd.DataFrame:
        sel = self.selection
        return sel.temperature

    def figure(self, as_dict: bool = False) -> go.Figure | dict:
        """The view's chart as a plotly figure (a new object each call)."""
        return temperature_figure(self.temperature, names=self.dataset.names, as_dict=as_dict)

    def _refresh(self) -> None:
        self._pane.object = self.figure(as_dict=True)


class RankingView(DatasetView):
    """Actors ranked by the chosen centrality in the network at the window's end."""

    _watches = (*DatasetView._watches, "centrality")

    def _build(self):
        self._pane = FigurePane(
            config=PLOTLY_CONFIG,
            sizing_mode="stretch_width",
            height=300,
            css_classes=["al-ranking"],
        )
        return self._pane

    @property
    def ranking(self) -> pd.DataFrame:
        w = self.selection.window
        return metrics.ranking_at(self.dataset, self.filters, w.end, self.filters.centrality)

    def figure(self, as_dict: bool = False) -> go.Figure | dict:
        """The view's chart as a plotly figure (a new object each call)."""
        label = metrics.CENTRALITY_LABELS[self.filters.centrality]
        sel = self.selection
        return ranking_figure(
            self.ranking,
            label=label,
            focus=sel.focus,
            title=f"{label} on {sel.window.end:%Y-%m-%d}",
            as_dict=as_dict,
        )

    def _refresh(self) -> None:
        self._pane.object = self.figure(as_dict=True)


class ChangesView(DatasetView):
    """Relations that began or ended inside the window."""

    def _build(self):
        self._html = pn.pane.HTML("", sizing_mode="stretch_width", css_classes=["al-changes"])
        return pn.Column(
            pn.pane.HTML("<h4>What changed in the window</h4>", margin=(0, 10)),
            self._html,
            sizing_mode="stretch_width",
            max_height=320,
            scroll=True,
        )

    @property
    def changes(self) -> pd.DataFrame:
        sel = self.selection
        return query.changes(sel.relations, sel.window)

    def _refresh(self) -> None:
        self._html.object = changes_html(self.changes, self.dataset)


class MetricsView(Linked):
    """The four metric views together, for a notebook cell."""

    def __init__(self, **params):
        super().__init__(**params)
        self.kpis = KpiView(**self.shared)
        self.temperature = TemperatureView(**self.shared)
        self.ranking = RankingView(**self.shared)
        self.changes = ChangesView(**self.shared)

    def __panel__(self):
        return pn.Column(
            self.kpis,
            pn.Row(self.temperature, self.ranking, sizing_mode="stretch_width"),
            self.changes,
            sizing_mode="stretch_width",
        )
