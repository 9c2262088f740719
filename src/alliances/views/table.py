"""The events table: one page at a time, sorted, sources as safe links, chosen columns, CSV
download of every selected event."""

from __future__ import annotations

import numpy as np
import pandas as pd
import panel as pn
import param

from ..dataset import Dataset
from ..downloads import download_lines
from ..formats import to_csv
from ..fragments import EVENT_TABLE_COLUMNS, event_table, link
from ..query import PAGE_SORTS
from .base import SELECTION_DEPENDS, DatasetView, log, made_download

PAGE_SIZE = 15
DEFAULT_COLUMNS = ("Date", "Type", "Actors", "Event", "Magnitude", "Source")
"""What the table shows until the analyst picks other columns: enough to read each row at
1,366 px, with the title wrapped rather than cut."""
COLUMNS = (*DEFAULT_COLUMNS[:-1], *(c for c in EVENT_TABLE_COLUMNS if c not in DEFAULT_COLUMNS))
CHOOSABLE = (*COLUMNS, "Source")
COLUMN_SHARES = {"Date": "11%", "Type": "15%", "Actors": "19%", "Magnitude": "13%", "Source": "17%"}
SORTS = {
    "Date": "date",
    "Type": "event_type",
    "Actor 1": "actor_1",
    "Actor 2": "actor_2",
    "Magnitude": "magnitude",
    "Score": "score",  # the cooperation/conflict score: no column, but a useful order
}
"""The "Sort by" choices, each a key of :data:`~alliances.query.PAGE_SORTS`: the table's columns
that have one, and the score. The others (the title, the description ...) have none, and a
header click would sort only the page on screen, so the headers do not sort."""


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


def page_count(total: int) -> int:
    """How many pages ``total`` events fill (at least one, empty or not)."""
    return max(-(-total // PAGE_SIZE), 1)


class EventsTable(DatasetView):
    """The selected events, a page at a time; select a row to open it in the detail card.

    Only the page on screen is fetched (``Selection.page``), on both paths, so a filter change
    or a page turn costs one page, however many events match.
    """

    sort = param.Selector(
        default="date", objects=list(PAGE_SORTS), doc="What the events are sorted by."
    )
    descending = param.Boolean(default=True, doc="Largest (or latest) first.")

    def __init__(self, **params):
        self._page = 1
        self._total = 0
        super().__init__(**params)

    @property
    def page(self) -> int:
        """The page on screen, 1 for the first."""
        return self._page

    @property
    def pages(self) -> int:
        """How many pages the selected events fill."""
        return page_count(self._total)

    def _build(self):
        self._table = pn.widgets.Tabulator(
            pd.DataFrame(columns=list(CHOOSABLE)),
            show_index=False,
            disabled=True,
            selectable=1,
            # a header click would sort only the rows on screen: "Sort by" sorts them all
            sortable=False,
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
        sort = pn.widgets.Select.from_param(
            self.param.sort, label="Sort by", options=SORTS, width=140, css_classes=["al-sort"]
        )
        direction = pn.widgets.RadioButtonGroup.from_param(
            self.param.descending,
            name="",
            options={"Descending": True, "Ascending": False},
            align="end",
            css_classes=["al-direction"],
        )
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
        self._turns = {}
        for name in ("First", "Previous", "Next", "Last"):
            css = f"al-page-{name.lower()}"
            button = pn.widgets.Button(label=name, width=90, css_classes=[css])
            button.on_click(lambda _, name=name: self._turn(name))
            self._turns[name] = button
        self._where = pn.pane.HTML("", margin=(0, 10), css_classes=["al-page"])
        turns = self._turns
        pager = [turns["First"], turns["Previous"], self._where, turns["Next"], turns["Last"]]
        return pn.Column(
            pn.FlexBox(self._download, self._count, flex_wrap="wrap"),
            pn.FlexBox(sort, direction, flex_wrap="wrap", align_items="flex-end"),
            self._columns,
            self._table,
            pn.FlexBox(*pager, flex_wrap="wrap", align_items="center", css_classes=["al-pager"]),
            sizing_mode="stretch_width",
        )

    def show_page(self, page: int) -> None:
        """Show page ``page`` of the selected events (1 is the first; kept within the pages)."""
        self._page = page
        if not self.active:
            self._stale = True  # shown at this page when the view is next shown
            return
        try:
            self._show_page()
        except Exception:  # a view must never take the page down
            log.exception("%s failed to show a page", type(self).__name__)
            self._show_error()

    def _turn(self, button: str) -> None:
        target = {"First": 1, "Previous": self._page - 1, "Next": self._page + 1}
        self.show_page(target.get(button, self.pages))

    def _refresh(self) -> None:
        self._total = len(self.selection)
        self._count.object = f"<b>{self._total:,}</b> events match the filters"
        self._show_page()

    def _show_page(self) -> None:
        last = self.pages
        page = self._page = min(max(self._page, 1), last)
        start = (page - 1) * PAGE_SIZE
        events = self.selection.page(self.sort, self.descending, start, PAGE_SIZE)
        self._table.selection = []  # a row index means another event on another page
        self._table.value = table_frame(events, self.dataset)
        self._where.object = f"Page <b>{page:,}</b> of {last:,}"
        for name, button in self._turns.items():
            button.disabled = page == (1 if name in ("First", "Previous") else last)

    def _show_error(self) -> None:
        self._table.value = pd.DataFrame(columns=list(CHOOSABLE))
        self._count.object = f"<span class='al-error'>{self.error_text}</span>"
        self._where.object = ""

    @param.depends(*SELECTION_DEPENDS, watch=True)
    def _on_selection(self) -> None:
        self._page = 1  # another selection: its first page
        self.update()

    @param.depends("sort", "descending", watch=True)
    def _on_order(self) -> None:
        self.show_page(1)

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
