"""The network view: relations in force on a date, with a year-by-year player."""

from __future__ import annotations

import datetime as dt

import panel as pn
import plotly.graph_objects as go

from .. import metrics, query
from ..figures import network_figure
from ..figures.network import relation_hovers
from .base import PLOTLY_CONFIG, DatasetView, FigurePane


class NetworkView(DatasetView):
    """Actors as nodes, relations in force as edges; click a node to focus on it."""

    _watches = (*DatasetView._watches, "as_of", "centrality")

    def _build(self):
        self._pane = FigurePane(
            config=PLOTLY_CONFIG,
            sizing_mode="stretch_width",
            height=500,
            css_classes=["al-network"],
        )
        self._pane.param.watch(self._on_click, "click_data")
        self._size = pn.widgets.Select.from_param(
            self.filters.param.centrality, label="Node size", width=150, margin=(5, 10)
        )
        self._player = pn.widgets.DiscretePlayer(
            label="As of (year)", options=[0], value=0, interval=1200, loop_policy="once",
            show_loop_controls=False, show_value=True, width=320, margin=(5, 10),
            visible_buttons=["previous", "play", "pause", "next"],
        )  # fmt: skip
        self._player.param.watch(self._on_year, "value")
        controls = pn.Row(self._size, self._player, sizing_mode="stretch_width")
        return pn.Column(controls, self._pane, sizing_mode="stretch_width")

    # the date the network is drawn for
    @property
    def as_of(self):
        return query.as_of(self.dataset, self.filters)

    @property
    def relations_in_force(self):
        return query.relations_in_force(self.dataset, self.filters)

    def figure(self, as_dict: bool = False) -> go.Figure | dict:
        """The network as a plotly figure (a new object each call)."""
        sel = self.selection
        in_force = self.relations_in_force
        ranking = metrics.ranking_at(
            self.dataset, self.filters, self.as_of, self.filters.centrality
        )
        label = metrics.CENTRALITY_LABELS[self.filters.centrality]
        return network_figure(
            in_force,
            metrics.layout(self.dataset),
            self.dataset.relation_types,
            names=self.dataset.names,
            sizes=dict(zip(ranking["actor"], ranking["value"], strict=True)),
            size_label=label,
            pair_counts=sel.pair_counts,
            focus=sel.focus,
            title=f"Relations in force on {self.as_of:%Y-%m-%d}",
            hover=relation_hovers(self.dataset)[in_force.index.to_numpy()],
            as_dict=as_dict,
        )

    def _refresh(self) -> None:
        w = query.window(self.dataset, self.filters)
        years = list(range(w.start.year, w.end.year + 1))
        when = self.as_of
        year = min(max(when.year, years[0]), years[-1])
        self._syncing = True
        try:
            self._player.param.update(options=years, value=year)
        finally:
            self._syncing = False
        self._pane.object = self.figure(as_dict=True)

    def _on_year(self, event) -> None:
        if getattr(self, "_syncing", False) or not isinstance(event.new, int):
            return
        w = query.window(self.dataset, self.filters)
        day = min(dt.date(event.new, 12, 31), w.end.date())
        self.filters.as_of = max(day, w.start.date())

    def _on_click(self, event) -> None:
        points = (event.new or {}).get("points") or []
        actor = points[0].get("customdata") if points else None
        if isinstance(actor, str) and actor in self.dataset.names:
            self.filters.param.update(actors=[actor], event="")
