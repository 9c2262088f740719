"""Metric views: KPI cards, relationship temperature, centrality ranking, what changed."""

from __future__ import annotations

import pandas as pd
import panel as pn
import param

from .. import metrics, query
from ..figures import Spec, ranking_for, temperature_for
from ..fragments import CSS, changes_html, kpis_html
from .base import SELECTION_DEPENDS, ChartView, FilteredViewer, HTMLView, on_filters


class KpiView(HTMLView):
    """KPI cards for the window: counts per event type and magnitude totals per unit."""

    _css_class = "al-kpis"
    _stylesheets = (CSS,)

    @property
    def kpis(self) -> dict:
        return self.selection.kpis()

    def html(self) -> str:
        labels = self.dataset.event_type_labels
        return kpis_html(self.kpis, labels, len(self.selection.relations))

    @param.depends(*SELECTION_DEPENDS, watch=True)
    def _on_selection(self) -> None:
        self.update()


class TemperatureView(ChartView):
    """Sum of event scores per quarter for the focused pairs (else the busiest pairs)."""

    _css_class = "al-temperature"

    @property
    def temperature(self) -> pd.DataFrame:
        """The quarterly values the chart draws (pair, quarter, score, events)."""
        return query.pair_temperature(self.dataset, self.filters)

    def spec(self) -> Spec:
        return temperature_for(self.dataset, self.filters)

    @param.depends(*SELECTION_DEPENDS, watch=True)
    def _on_selection(self) -> None:
        self.update()


class RankingView(ChartView):
    """Actors ranked by the chosen centrality in the network at the window's end."""

    _css_class = "al-ranking"

    @property
    def ranking(self) -> pd.DataFrame:
        w = self.selection.window
        return metrics.ranking_at(self.dataset, self.filters, w.end, self.filters.centrality)

    def spec(self) -> Spec:
        return ranking_for(self.dataset, self.filters)

    @param.depends(*SELECTION_DEPENDS, *on_filters("centrality"), watch=True)
    def _on_selection(self) -> None:
        self.update()


class ChangesView(HTMLView):
    """Relations that began or ended inside the window."""

    _css_class = "al-changes"

    def _build(self):
        html = super()._build()
        return pn.Column(
            pn.pane.HTML("<h4>What changed in the window</h4>", margin=(0, 10)),
            html,
            sizing_mode="stretch_width",
            max_height=320,
            scroll=True,
        )

    @property
    def changes(self) -> pd.DataFrame:
        sel = self.selection
        return query.changes(sel.relations, sel.window)

    def html(self) -> str:
        return changes_html(self.changes, self.dataset)

    @param.depends(*SELECTION_DEPENDS, watch=True)
    def _on_selection(self) -> None:
        self.update()


class MetricsView(FilteredViewer):
    """The four metric views together, for a notebook cell."""

    def __init__(self, **params):
        super().__init__(**params)
        self.kpis = KpiView(**self.shared)
        self.temperature = TemperatureView(**self.shared)
        self.ranking = RankingView(**self.shared)
        self.changes = ChangesView(**self.shared)

    def __panel__(self):
        return pn.FlexBox(
            self.kpis,
            pn.FlexBox(
                pn.Column(self.temperature, min_width=320, sizing_mode="stretch_width"),
                pn.Column(self.ranking, min_width=320, sizing_mode="stretch_width"),
                flex_wrap="wrap",
                sizing_mode="stretch_width",
            ),
            self.changes,
            flex_direction="column",
            sizing_mode="stretch_width",
        )
