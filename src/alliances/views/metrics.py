"""Metric views: KPI cards, relationship temperature, centrality ranking, what changed."""

from __future__ import annotations

import pandas as pd
import panel as pn
import param

from .. import metrics, query
from ..dataset import Dataset, load_dataset
from ..figures import ranking_figure, temperature_figure
from ..figures.common import lookup
from ..fragments import CSS, changes_html, kpis_html
from ..state import Filters
from .base import PLOTLY_CONFIG, DatasetView


class KpiView(DatasetView):
    """KPI cards for the window: counts per event type and magnitude totals per unit."""

    def _build(self):
        self._html = pn.pane.HTML(
            "", stylesheets=[CSS], sizing_mode="stretch_width", css_classes=["al-kpis"]
        )
        return self._html

    @property
    def kpis(self) -> dict:
        return query.kpis(self.selection.events)

    def _refresh(self) -> None:
        labels = lookup(self.dataset.event_types, "id", "label")
        self._html.object = kpis_html(self.kpis, labels, len(self.selection.relations))


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
        return sel.temperature

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
            max_height=320,
            scroll=True,
        )

    @property
    def changes(self) -> pd.DataFrame:
        sel = self.selection
        return query.changes(sel.relations, sel.window)

    def _refresh(self) -> None:
        self._html.object = changes_html(self.changes, self.dataset)


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
