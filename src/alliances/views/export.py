"""The Export card: the current filters as an offline briefing, a workbook, the network for
Gephi or other graph tools, and the format of chart images."""

from __future__ import annotations

import io
import re

import panel as pn
import param

from .. import exports
from ..briefing import render_briefing
from .base import FilteredViewer, made_download


def briefing_filename(title: str) -> str:
    """A safe file name from the title: letters, digits and dashes only."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-").lower()[:60]
    return f"{slug or 'briefing'}.html"


class BriefingExport(FilteredViewer):
    """The briefing (title, notes, a download that renders it when clicked), the workbook and
    network files for the current filters, and the chart image format."""

    image_format = param.Selector(default="png", objects=["png", "svg"], doc="Chart images.")

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
        files = []
        for what, label, writer, ext in (
            ("workbook", "Events and relations (Excel)", exports.workbook_bytes, "xlsx"),
            ("network", "Network for Gephi (GEXF)", exports.gexf_bytes, "gexf"),
            ("network", "Network (GraphML)", exports.graphml_bytes, "graphml"),
        ):
            files.append(
                made_download(
                    self,
                    what,
                    ext,
                    lambda writer=writer: writer(self.dataset, self.filters),
                    label=label,
                    color="light",
                    sizing_mode="stretch_width",
                    css_classes=[f"al-export-{ext}"],
                )
            )
        self.images = pn.widgets.RadioButtonGroup.from_param(
            self.param.image_format,
            options={"PNG": "png", "SVG": "svg"},
            color="light",
            css_classes=["al-image-format"],
        )
        self._layout = pn.Card(
            self.title,
            self.notes,
            self.download,
            *files,
            pn.pane.HTML("Chart images (the camera button of each chart):", margin=(8, 10, 0, 10)),
            self.images,
            title="Export",
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
