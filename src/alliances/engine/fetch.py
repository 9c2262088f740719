"""Rows fetched by id: what a page, the timeline's latest events and the detail card show of
the events, every column in the public format, typed as on the in-memory path
(:func:`alliances.dataset.typed_events`). :class:`RowFetching` is a part of
:class:`~.store.EventStore` (its ``raw`` table, ``execute`` and vocabularies)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from .. import schema
from ..dataset import typed_events
from ..raw_tables import unquote_formulas
from .facts import text

ROW_CACHE = 20_000
"""Event rows kept by id (those a page or the timeline showed): the detail card of a row just
shown needs no query."""


MAX_LISTED = 5_000
"""Ids fetched with a literal list; more go through a table the engine joins."""


def _as_text(raw: ir.Table, column: str) -> ir.StringValue:
    """A raw column compared as it is stored (text), so that the engine can use the files'
    statistics: no function around it."""
    value = raw[column]
    return value if value.type().is_string() else value.cast("string")


class RowFetching:
    """Fetching events by id from the raw table of an :class:`~.store.EventStore`, and the
    rows just shown kept by id."""

    def fetch(
        self, ids: Sequence[str], first: int | None = None, last: int | None = None
    ) -> pd.DataFrame:
        """The events ``ids`` with every column, typed as on the in-memory path, sorted by date
        then id. ``first``/``last``: the days their first days lie in, which lets an engine
        skip files and row groups of other dates."""
        ids = [str(i) for i in ids]
        if not ids:
            return self._typed(
                pd.DataFrame({c: pd.Series([], dtype=object) for c in self._columns})
            )
        raw = self.raw
        if len(ids) <= MAX_LISTED:
            keep = _as_text(raw, "event_id").isin(ids)
        else:
            wanted = ibis.memtable(pd.DataFrame({"event_id": ids}))
            keep = _as_text(raw, "event_id").isin(wanted.event_id)
        if first is not None and last is not None:
            epoch = pd.Timestamp("1970-01-01")
            lo = epoch + pd.Timedelta(days=int(first))
            hi = epoch + pd.Timedelta(days=int(last))
            # a partial date compares as text as its first day does (YYYY <= YYYY-MM-DD)
            date = _as_text(raw, "date")
            keep &= (date >= f"{lo.year:04d}") & (date <= f"{hi:%Y-%m-%d}")
            if self.has_year:
                keep &= raw.year.cast("int32").between(lo.year, hi.year)
        columns = {c: text(raw, c) for c in self._columns}
        frame = self.execute(raw.filter(keep).select(**columns))
        events = self._typed(frame)
        for _, row in events.iterrows():
            self._remember(row)
        return events

    @cached_property
    def _columns(self) -> list[str]:
        present = set(self.raw.columns)
        return [f.name for f in schema.TABLES["events"].fields if f.name in present] + [
            c
            for c in self.raw.columns
            if c not in {f.name for f in schema.TABLES["events"].fields} and c != "year"
        ]

    def _typed(self, frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.astype(object).where(frame.notna(), None)
        for f in schema.TABLES["events"].fields:
            if f.name not in frame.columns:
                frame[f.name] = None
            elif f.kind != "number":
                frame[f.name] = unquote_formulas(frame[f.name].astype("string"))
        events = typed_events(frame, self.actor_ids, self.event_types, pd.Series(self.relation_ids))
        return _by_date_and_id(events)

    def _remember(self, row: pd.Series) -> None:
        with self._lock:
            self._rows[str(row["event_id"])] = row
            self._rows.move_to_end(str(row["event_id"]))
            while len(self._rows) > ROW_CACHE:
                self._rows.popitem(last=False)

    def event_row(self, event_id: str) -> pd.Series | None:
        """One event by id, every column (``None`` if there is none)."""
        with self._lock:
            if event_id in self._rows:
                return self._rows[event_id]
        found = self.fetch([event_id])
        return found.iloc[0] if len(found) else None


def _by_date_and_id(events: pd.DataFrame) -> pd.DataFrame:
    order = np.lexsort(
        (events["event_id"].astype(str).to_numpy(), events["date"].to_numpy("datetime64[ns]"))
    )
    return events.take(order).reset_index(drop=True)
