"""The events table: sortable, paginated, sources as safe links, chosen columns, CSV download."""

from __future__ import annotations

import numpy as np
import pandas as pd
import panel as pn
import param

from ..dataset import Dataset
from ..downloads import download_lines
from ..formats import to_csv
from ..fragments import EVENT_TABLE_COLUMNS, event_table, link
from .base import SELECTION_DEPENDS, DatasetView, made_download

PAGE_SIZE = 15
MAX_ROWS = 10_000
DEFAULT_COLUMNS = ("Date", "Type", "Actors", "Event", "Magnitude", "Source")
"""What the table shows until the analyst picks other columns: enough to read each row at
1,366 px, with the title wrapped rather than cut."""
COLUMNS = (*DEFAULT_COLUMNS[:-1], *(c for c in EVENT_TABLE_COLUMNS if c not in DEFAULT_COLUMNS))
CHOOSABLE = (*COLUMNS, "Source")
COLUMN_SHARES = {"Date": "11%", "Type": "15%", "Actors": "19%", "Magnitude": "13%", "Source": "17%"}


def source_links(table: pd.DataFrame) -> np.ndarray:
    """The source cell of each row: an escaped link, built once per distinct source."""
    pairs = pd.MultiIndex.from_arrays([table["source_url"], table["source_name"]])
    codes, uniques = pd.factorize(pairs)
    cells = np.array([link(url or None, name) for url, name in uniques], dtype=object)
    return cells[codes] if len(codes) else np.array([], dtype=object)


def table_frame(events: pd.DataFrame, dataset: Dataset) -> pd.DataFrame:
    """What the table holds: readable text in every cell but the escaped source link."""
    table = event_table(events, dataset)
    table["Source"] = source_links(table)
    return table[list(CHOOSABLE)]


class EventsTable(DatasetView):
    """All selected events; select a row to open it in the detail card."""

    def _build(self):
        self._table = pn.widgets.Tabulator(
            pd.DataFrame(columns=list(CHOOSABLE)),
            pagination="remote",
            page_size=PAGE_SIZE,
            show_index=False,
            disabled=True,
            selectable=1,
            layout="fit_columns",
            sizing_mode="stretch_width",
            # every text column wraps (a textarea cell) rather than cutting its text off
            formatters={
                "Source": {"type": "html"},
                **{c: {"type": "textarea"} for c in CHOOSABLE if c != "Source"},
            },
            # shares of the table's width, so that it fits a phone as it fits a wide screen
            widths=COLUMN_SHARES,
            hidden_columns=[c for c in CHOOSABLE if c not in DEFAULT_COLUMNS],
            header_filters=False,
            stylesheets=[".tabulator-cell[tabulator-field='Source'] {white-space: normal;}"],
            css_classes=["al-table"],
        )
        self._table.param.watch(self._on_select, "selection")
        self._columns = pn.widgets.MultiChoice(
            label="Columns",
            options=list(CHOOSABLE),
            value=list(DEFAULT_COLUMNS),
            sizing_mode="stretch_width",
            css_classes=["al-columns"],
        )
        self._columns.param.watch(self._on_columns, "value")
        self._count = pn.pane.HTML("", margin=(12, 10, 0, 10), css_classes=["al-count"])
        self._download = made_download(
            self,
            "events",
            "csv",
            self._csv,
            label="Download these events (CSV)",
            color="primary",
            width=260,
            css_classes=["al-download"],
        )
        return pn.Column(
            pn.FlexBox(self._download, self._count, flex_wrap="wrap"),
            self._columns,
            self._table,
            sizing_mode="stretch_width",
        )

    def _refresh(self) -> None:
        sel = self.selection
        shown = sel.last_events(MAX_ROWS)  # the latest: nobody pages through a million rows
        self._table.value = table_frame(shown, self.dataset)
        note = ""
        if len(shown) < len(sel):
            note = f"; the table shows the latest {len(shown):,}, the download has them all"
        self._count.object = f"<b>{len(sel):,}</b> events match the filters{note}"

    def _show_error(self) -> None:
        from .base import ERROR_TEXT

        self._table.value = pd.DataFrame(columns=list(CHOOSABLE))
        self._count.object = f"<span class='al-error'>{ERROR_TEXT}</span>"

    @param.depends(*SELECTION_DEPENDS, watch=True)
    def _on_selection(self) -> None:
        self.update()

    def _on_columns(self, event) -> None:
        chosen = set(event.new or DEFAULT_COLUMNS)
        self._table.hidden_columns = [c for c in CHOOSABLE if c not in chosen]

    def _csv(self) -> str:
        """The filtered rows in the public format, ready to load or validate, with the filters
        that chose them in ``#`` comment lines (the loader skips those)."""
        events = self.selection.events
        what = f"events: {len(events):,} events matching these filters"
        comments = download_lines(what, self.dataset, self.filters)
        return to_csv(events, "events", comments)

    def _on_select(self, event) -> None:
        if event.new:
            value = self._table.value
            row = event.new[0]
            if 0 <= row < len(value):
                self.filters.event = str(value["Id"].iloc[row])
