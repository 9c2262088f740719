"""The events table: sortable, paginated, sources as safe links, CSV download."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import panel as pn

from ..figures.common import lookup
from ..formats import partial_dates, to_csv
from .base import DatasetView, link

PAGE_SIZE = 15
MAX_ROWS = 10_000


def source_links(events: pd.DataFrame) -> np.ndarray:
    """The source cell of each row: an escaped link, built once per distinct source."""
    pairs = pd.MultiIndex.from_arrays(
        [
            events["source_url"].astype(object).fillna(""),
            events["source_name"].astype(object).fillna(""),
        ]
    )
    codes, uniques = pd.factorize(pairs)
    cells = np.array([link(url or None, name) for url, name in uniques], dtype=object)
    return cells[codes] if len(codes) else np.array([], dtype=object)


def table_frame(events: pd.DataFrame, type_labels: dict[str, str]) -> pd.DataFrame:
    """What the table shows: readable columns; every cell text except the escaped source link."""
    when = partial_dates(events["date"], events["date_precision"])
    until = partial_dates(events["end_date"], events["end_precision"])
    when = when.where(until == "", when + " – " + until)
    return pd.DataFrame(
        {
            "id": events["event_id"].astype(str).to_numpy(),
            "date": when.to_numpy(),
            "type": events["event_type"].astype(str).map(type_labels).to_numpy(),
            "actor 1": events["actor_1"].astype(str).to_numpy(),
            "actor 2": events["actor_2"].astype(object).fillna("").to_numpy(),
            "title": events["title"].astype(object).to_numpy(),
            # None, not NaN: Tabulator's number formatters print NaN as "NaN"
            "magnitude": events["magnitude"]
            .astype(object)
            .where(events["magnitude"].notna(), None)
            .to_numpy(),
            "unit": events["unit"].astype(object).fillna("").to_numpy(),
            "confidence": events["confidence"].astype(str).to_numpy(),
            "source": source_links(events),
        }
    )


class EventsTable(DatasetView):
    """All selected events; select a row to open it in the detail card."""

    def _build(self):
        self._table = pn.widgets.Tabulator(
            pd.DataFrame(),
            pagination="remote",
            page_size=PAGE_SIZE,
            show_index=False,
            disabled=True,
            selectable=1,
            layout="fit_data_stretch",
            sizing_mode="stretch_width",
            formatters={"source": {"type": "html"}, "magnitude": {"type": "money", "precision": 0}},
            widths={"title": 320},
            header_filters=False,
            css_classes=["al-table"],
        )
        self._table.param.watch(self._on_select, "selection")
        self._count = pn.pane.HTML("", margin=(12, 10, 0, 10), css_classes=["al-count"])
        self._download = pn.widgets.FileDownload(
            callback=self._csv,
            filename="alliances-events.csv",
            label="Download these events (CSV)",
            color="primary",
            width=260,
            css_classes=["al-download"],
        )
        return pn.Column(
            pn.Row(self._download, self._count), self._table, sizing_mode="stretch_width"
        )

    def _refresh(self) -> None:
        sel = self.selection
        labels = lookup(self.dataset.event_types, "id", "label")
        shown = sel.last_events(MAX_ROWS)  # the latest: nobody pages through a million rows
        self._table.value = table_frame(shown, labels)
        note = ""
        if len(shown) < len(sel):
            note = f"; the table shows the latest {len(shown):,}, the download has them all"
        self._count.object = f"<b>{len(sel):,}</b> events match the filters{note}"

    def _csv(self) -> io.StringIO:
        """The filtered rows in the public format, ready to load or validate."""
        return io.StringIO(to_csv(self.selection.events, "events"))

    def _on_select(self, event) -> None:
        if event.new:
            value = self._table.value
            row = event.new[0]
            if 0 <= row < len(value):
                self.filters.event = str(value["id"].iloc[row])
