"""The timeline view: events on a time axis, one lane per type or per pair."""

from __future__ import annotations

import pandas as pd
import panel as pn
import param

from ..figures import Spec, timeline_for
from ..figures.timeline import MAX_POINTS
from .base import SELECTION_DEPENDS, ChartView, on_filters


class TimelineView(ChartView):
    """Click an event to open its detail; zoom in to see binned events one by one."""

    _height = None
    _css_class = "al-timeline"

    def _build(self):
        self._zoom: tuple[pd.Timestamp, pd.Timestamp] | None = None
        pane = super()._build()
        pane.min_height = 260
        pane.param.watch(self._on_click, "click_data")
        pane.param.watch(self._on_relayout, "relayout_data")
        lanes = pn.widgets.RadioButtonGroup.from_param(
            self.filters.param.lanes, color="light", margin=(5, 10), css_classes=["al-lanes"]
        )
        lanes_label = pn.pane.HTML("<b>Lanes:</b>", margin=(12, 0, 0, 10))
        return pn.Column(pn.Row(lanes_label, lanes), pane, sizing_mode="stretch_width")

    def spec(self) -> Spec:
        return timeline_for(self.dataset, self.filters, zoom=self._zoom)

    @param.depends(*SELECTION_DEPENDS, watch=True)
    def _on_selection(self) -> None:
        self._zoom = None  # new filters: back to the whole window
        self.update()

    @param.depends(*on_filters("lanes", "event"), watch=True)
    def _on_drawing(self) -> None:
        self.update()

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
        if len(self.selection) > MAX_POINTS:  # only binned timelines change with zoom
            self.update()
