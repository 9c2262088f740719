"""The "Export briefing" control: the current filters as one offline HTML file."""

from __future__ import annotations

import io
import re

import panel as pn

from ..briefing import render_briefing
from .base import FilteredViewer


def briefing_filename(title: str) -> str:
    """A safe file name from the title: letters, digits and dashes only."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-").lower()[:60]
    return f"{slug or 'briefing'}.html"


class BriefingExport(FilteredViewer):
    """Title, notes and a download button that renders the briefing when clicked."""

    def __init__(self, **params):
        super().__init__(**params)
        self.title = pn.widgets.TextInput(
            label="Briefing title", value="Alliance briefing", sizing_mode="stretch_width"
        )
        self.notes = pn.widgets.TextAreaInput(
            label="Notes (Markdown)",
            placeholder="Your assessment, in Markdown",
            height=90,
            sizing_mode="stretch_width",
        )
        self.download = pn.widgets.FileDownload(
            callback=self._render,
            filename="briefing.html",
            label="Export briefing (HTML)",
            color="primary",
            sizing_mode="stretch_width",
            css_classes=["al-export"],
        )
        self.title.param.watch(self._rename, "value")
        self._layout = pn.Card(
            self.title,
            self.notes,
            self.download,
            title="Briefing",
            collapsed=True,
            sizing_mode="stretch_width",
            css_classes=["al-briefing"],
        )

    def _rename(self, event) -> None:
        self.download.filename = briefing_filename(event.new or "")

    def _render(self) -> io.BytesIO:
        html = render_briefing(
            self.filters,
            dataset=self.dataset,
            title=self.title.value or "Alliance briefing",
            notes=self.notes.value or "",
        )
        return io.BytesIO(html.encode("utf-8"))

    def __panel__(self):
        return self._layout
