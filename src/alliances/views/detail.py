"""The event detail card: every field of the selected event, its relation and source."""

from __future__ import annotations

import panel as pn

from ..fragments import CSS, detail_html
from .base import DatasetView


class EventDetail(DatasetView):
    """The selected event (``filters.event``) in full."""

    _watches = ("event",)

    def _build(self):
        self._html = pn.pane.HTML(
            "", stylesheets=[CSS], sizing_mode="stretch_width", css_classes=["al-detail"]
        )
        return self._html

    def _refresh(self) -> None:
        self._html.object = detail_html(self.dataset, self.filters.event)
