"""The timeline view: events on a time axis, one lane per type or per pair."""

from __future__ import annotations

import pandas as pd
import panel as pn
import plotly.graph_objects as go

from ..figures import timeline_figure
from ..figures.timeline import MAX_POINTS, event_hovers
from .base import PLOTLY_CONFIG, DatasetView, FigurePane


class TimelineView(DatasetView):
    """Click an event to open its detail; zoom in to see binned events one by one."""

    _watches = (*DatasetView._watches, "lanes", "event")

    def _build(self):
        self._zoom: tuple[pd.Timestamp, pd.Timestamp] | None = None
        self._pane = FigurePane(
            config=PLOTLY_CONFIG,
            sizing_mode="stretch_width",
            min_height=260,
            css_classes=["al-timeline"],
        )
        self._pane.param.watch(self._on_click, "click_data")
        self._pane.param.watch(self._on_relayout, "relayout_data")
        lanes = pn.widgets.RadioButtonGroup.from_param(
            self.filters.param.lanes, color="light", margin=(5, 10)
        )
        lanes_label = pn.pane.HTML("<b>Lanes:</b>", margin=(12, 0, 0, 10))
        return pn.Column(pn.Row(lanes_label, lanes), self._pane, sizing_mode="stretch_width")

    def figure(self, as_dict: bool = False) -> go.Figure | dict:
        """The timeline as a plotly figure (a new object each call)."""
        sel = self.selection
        rows, light, start, stop = sel.rows, sel.light, sel.window.start, sel.window.stop
        if self._zoom is not None:
            start, stop = self._zoom
            inside = ((light["date"] < stop) & (light["stop"] > start)).to_numpy()
            rows, light = rows[inside], light[inside]
        # binned: the light columns are enough; one by one: the full rows (few of them)
        binned = len(rows) > MAX_POINTS
        events = light if binned else sel.source.iloc[rows]
        return timeline_figure(
            events,
            self.dataset.event_types,
            names=self.dataset.names,
            lanes=self.filters.lanes,
            start=start,
            stop=stop,
            selected=self.filters.event or None,
            hover=None if binned else event_hovers(self.dataset, rows),
            as_dict=as_dict,
        )

    def _on_change(self, *events) -> None:
        if any(e.name not in ("event", "lanes") for e in events):
            self._zoom = None  # new filters: back to the whole window
        super()._on_change(*events)

    def _refresh(self) -> None:
        self._pane.object = self.figure(as_dict=True)

    def _on_click(self, event) -> None:
        points = (event.new or {}).get("points") or []
        event_id = points[0].get("customdata") if points else None
        if isinstance(event_id, str):
            self.filters.event = event_id

    def _on_relayout(self, event) -> None:
        """Re-draw for a zoomed range, so binned events come back one by one."""
        data = event.new or {}
        if data.get("xaxis.autorange"):
            zoom = None
        elif "xaxis.range[0]" in data and "xaxis.range[1]" in data:
            try:
                zoom = (pd.Timestamp(data["xaxis.range[0]"]), pd.Timestamp(data["xaxis.range[1]"]))
            except (ValueError, TypeError):
                return
        else:
            return
        if zoom == self._zoom:
            return
        self._zoom = zoom
        if len(self.selection.events) > MAX_POINTS:  # only binned timelines change with zoom
            self._on_change()
