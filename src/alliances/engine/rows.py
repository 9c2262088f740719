"""The rows an engine selection chooses: :class:`SelectedRows` holds the selection's expression
and fetches, by id from :meth:`.store.EventStore.fetch`, only what is drawn one by one (a table
page, the latest events, an actor's events, the timeline's points).

What no query covers yet (the Analysis tab, briefings, exports) reads
:attr:`SelectedRows.facts`/``rows``/``source``: the selected rows fetched once, so every
caller works on both paths and costs what the selection holds.
"""

from __future__ import annotations

import logging
import os
from functools import cached_property
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from .. import aggregates
from ..aggregates import PairLinks
from ..problems import SelectionTooLarge
from . import queries
from .facts import day_number
from .queries import Ask

if TYPE_CHECKING:
    from .store import EventStore

log = logging.getLogger("alliances")

FETCH_LIMIT = 500_000
"""At most this many selected rows are fetched into memory for what has no query of its own
(the Analysis tab, briefings, exports): past it they say how many are selected and ask for
narrower filters rather than read 100 million rows. ``$ALLIANCES_FETCH_LIMIT`` changes it."""


def fetch_limit() -> int:
    """:data:`FETCH_LIMIT`, or ``$ALLIANCES_FETCH_LIMIT`` when it is set to a number."""
    try:
        return int(os.environ.get("ALLIANCES_FETCH_LIMIT", FETCH_LIMIT))
    except ValueError:
        return FETCH_LIMIT


def window_days(start: pd.Timestamp, stop: pd.Timestamp) -> tuple[int, int]:
    """Days [first, last] of the events overlapping the instants [start, stop)."""
    return day_number(start), day_number(pd.Timestamp(stop) - pd.Timedelta(1, "ns"))


class SelectedRows:
    """The rows ``ask`` chooses from ``store``'s events: the expression, and the rows fetched
    (:class:`~.selection.EngineSelection` adds the aggregates)."""

    def __init__(self, store: EventStore, ask: Ask):
        self.store = store
        self.ask = ask

    @cached_property
    def chosen(self) -> ir.Table:
        return self.store.chosen(self.ask)

    def _between(self, start: pd.Timestamp, stop: pd.Timestamp) -> ir.Table:
        first, last = window_days(start, stop)
        t = self.chosen
        return t.filter(queries.in_window(t, first, last))

    def _fetch_page(self, page: pd.DataFrame) -> pd.DataFrame:
        if page.empty:
            return self.store.fetch([])
        rows = self.store.fetch(page["event_id"], page["day"].min(), page["day"].max())
        return (
            rows.set_index(rows["event_id"].astype(str))
            .loc[page["event_id"].astype(str)]
            .reset_index(drop=True)
        )

    def events_between(self, start: pd.Timestamp, stop: pd.Timestamp) -> pd.DataFrame:
        t = self._between(start, stop)
        ids = self.store.execute(t.select("event_id", "day"))
        return (
            self.store.fetch(ids["event_id"], ids["day"].min(), ids["day"].max())
            if len(ids)
            else self.store.fetch([])
        )

    def _since(self, n: int) -> ir.Table:
        """The selection from the first day of its ``n`` latest events on (facts sorted by
        day then hold them in their last row groups)."""
        days = self.store.execute(queries.days_from(self.chosen))
        if days.empty:
            return self.chosen
        enough = np.flatnonzero(days["n"].cumsum().to_numpy() >= n)
        first = int(days["day"].iloc[enough[0]] if len(enough) else days["day"].iloc[-1])
        return self.chosen.filter(self.chosen.day >= first)

    def actor_events(self, actor: str, n: int) -> tuple[pd.DataFrame, int]:
        """The ``n`` latest selected events with ``actor`` as actor_1 or actor_2 (oldest
        first), and how many there are."""
        code = self.store.actor_index.get(actor)
        if code is None:
            return self.store.fetch([]), 0
        t = self.chosen
        mine = t.filter((t.a1 == code) | (t.a2 == code).fill_null(False))
        total = int(self.store.scalar(mine.count()))
        if not total or not n:
            return self.store.fetch([]), total
        page = self.store.execute(queries.page(mine, None, True, 0, n))
        return self._fetch_page(page.iloc[::-1]), total

    def last_events(self, n: int) -> pd.DataFrame:
        """The ``n`` latest selected events (by date, then id), oldest first."""
        if not n:
            return self.store.fetch([])
        page = self.store.execute(queries.page(self._since(n), None, True, 0, n))
        return self._fetch_page(page.iloc[::-1])

    def page(self, sort: str = "date", descending: bool = True, offset: int = 0,
             limit: int = 15) -> pd.DataFrame:  # fmt: skip
        from ..query import PAGE_SORTS

        if sort not in PAGE_SORTS:
            raise ValueError(f"cannot sort events by {sort!r}; use one of {', '.join(PAGE_SORTS)}")
        t = self.chosen
        if sort == "date" and descending:
            t = self._since(offset + limit)
        key = None
        if sort in ("magnitude", "score"):
            key = t[sort]
        elif sort != "date":
            names = self.store.type_ids if sort == "event_type" else self.store.actor_ids
            rank = {
                code: r
                for r, code in enumerate(np.argsort(np.array(names, dtype=object), kind="stable"))
            }
            column = {"event_type": t.type, "actor_1": t.a1, "actor_2": t.a2}[sort]
            key = column.substitute(rank, else_=ibis.null("int64")) if rank else column
        page = self.store.execute(queries.page(t, key, descending, offset, limit))
        return self._fetch_page(page)

    @cached_property
    def events(self) -> pd.DataFrame:
        """Every selected event with every column (fetched once; a large selection costs)."""
        n, limit = len(self), fetch_limit()
        if n > limit:
            raise SelectionTooLarge(
                f"{n:,} events match the filters; this view reads them one by one, and takes "
                f"at most {limit:,} from a dataset this large. Narrow the filters (a shorter "
                "window, fewer actors or event types) to see it."
            )
        ids = self.store.execute(self.chosen.select("event_id", "day"))
        if ids.empty:
            return self.store.fetch([])
        return self.store.fetch(ids["event_id"], ids["day"].min(), ids["day"].max())

    # the in-memory interface, on the selected rows fetched once
    @property
    def source(self) -> pd.DataFrame:
        return self.events

    @cached_property
    def rows(self) -> np.ndarray:
        return np.arange(len(self.events))

    @cached_property
    def facts(self) -> pd.DataFrame:
        from ..columns import FACT_COLUMNS

        events = self.events
        return events[[c for c in FACT_COLUMNS if c in events.columns]]

    @cached_property
    def links(self) -> PairLinks:
        return aggregates.pair_links(self.facts)

    @cached_property
    def latest(self) -> np.ndarray:
        """Per fetched event: False for a running total a later fetched report supersedes."""
        return aggregates.latest_of_series(self.facts)

    def rows_between(self, start: pd.Timestamp, stop: pd.Timestamp) -> np.ndarray:
        facts = self.facts
        inside = ((facts["date"] < stop) & (facts["stop"] > start)).to_numpy(bool)
        return self.rows[inside]
