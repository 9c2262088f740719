"""The events of a large dataset, kept where they are: :class:`EventStore` runs the queries of
:mod:`.queries` on its engine and :class:`EngineSelection` gives the views what
:class:`alliances.query.Selection` gives them on the in-memory path.

Aggregates (counts, KPIs, pair counts, temperatures, timeline bins) come back as a few rows;
rows themselves are fetched only for what is drawn one by one (a table page, the timeline's
points, the detail card) and go through :func:`alliances.dataset.typed_events`, the in-memory
path's own conversion. What no query covers yet (the Analysis tab, briefings, exports) reads
:attr:`EngineSelection.facts`/``rows``/``source``: the selected rows fetched once, so every
caller works on both paths and costs what the selection holds.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from .. import aggregates, schema
from ..aggregates import Bins, PairLinks, bin_edges, kpi_record, lane_names, pair_label
from ..dataset import typed_events
from ..problems import DatasetError, Problem
from ..reading import unquote_formulas
from . import queries
from .facts import day_number, text
from .queries import Ask

if TYPE_CHECKING:
    from ..query import Plan, Window

log = logging.getLogger("alliances")

ROW_CACHE = 20_000
"""Event rows kept by id (those a page or the timeline showed): the detail card of a row just
shown needs no query."""

FETCH_WARNING = 1_000_000
"""Fetching more selected rows than this into memory is logged (a view without a query of its
own asked for every selected row)."""


class EngineError(RuntimeError):
    """A query failed on the engine (unreachable, a table gone, an unreadable file)."""


class EventStore:
    """One dataset's events on an engine: the facts to query and the raw rows to fetch.

    ``facts`` is a :mod:`.facts` table (the cached Parquet copy, or the expression itself);
    ``raw`` the events in the public format; ``meta`` what the rollups know without a query
    (row count, span, counts per type, URL share), if any.
    """

    def __init__(
        self,
        backend,
        raw: ir.Table,
        facts: ir.Table,
        *,
        actor_ids: Sequence[str],
        event_types: pd.DataFrame,
        relation_ids: Sequence[str],
        name: str,
        meta: dict | None = None,
        has_year: bool = False,
    ):
        self.backend = backend
        self.raw = raw
        self.facts = facts
        self.actor_ids = list(actor_ids)
        self.actor_index = {a: i for i, a in enumerate(self.actor_ids)}
        self.event_types = event_types
        self.type_ids = [str(t) for t in event_types["id"]]
        self.relation_ids = list(relation_ids)
        self.name = name
        self.meta = meta or {}
        self.has_year = has_year
        self.codes = ibis.memtable(
            pd.DataFrame(
                {"id": self.actor_ids, "code": np.arange(len(self.actor_ids), dtype="int32")}
            )
        )
        self._lock = threading.RLock()
        self._rows: OrderedDict[str, pd.Series] = OrderedDict()

    def __repr__(self) -> str:
        return f"<EventStore {self.name}>"

    # ----------------------------------------------------------------- running queries
    def execute(self, expr: ir.Expr) -> pd.DataFrame:
        """Run ``expr``; any failure of the engine becomes an :class:`EngineError` that says
        which data could not be read."""
        with self._lock:
            try:
                result = self.backend.execute(expr)
            except Exception as exc:  # each engine raises its own types
                log.exception("query on %s failed", self.name)
                raise EngineError(f"the events in {self.name} could not be read: {exc}") from exc
        return result if isinstance(result, pd.DataFrame) else pd.DataFrame({"value": [result]})

    def scalar(self, expr: ir.Expr):
        with self._lock:
            try:
                return self.backend.execute(expr)
            except Exception as exc:
                log.exception("query on %s failed", self.name)
                raise EngineError(f"the events in {self.name} could not be read: {exc}") from exc

    # ----------------------------------------------------------------- the whole dataset
    def count(self) -> int:
        if "events" in self.meta:
            return int(self.meta["events"])
        return int(self.scalar(self.facts.count()))

    def type_counts(self) -> pd.Series:
        """Events per type id (every type of the vocabulary, in its order)."""
        if "by_type" in self.meta:
            counts = pd.Series(self.meta["by_type"], dtype="int64")
        else:
            got = self.execute(queries.type_counts(self.facts))
            counts = pd.Series(
                got["n"].to_numpy("int64"), index=[self.type_ids[int(c)] for c in got["type"]]
            )
        return counts.reindex(self.type_ids, fill_value=0).sort_values(
            ascending=False, kind="stable"
        )

    def url_share(self) -> float:
        if "url_share" in self.meta:
            return float(self.meta["url_share"])
        raw = self.raw
        n = int(self.scalar(raw.count()))
        with_url = int(self.scalar(raw.filter(text(raw, "source_url").notnull()).count()))
        return with_url / n if n else 0.0

    def span_frame(self) -> pd.DataFrame:
        """First and last days as a frame with ``date`` and ``stop`` (what ``Dataset.span``
        reads): one row, or none for a dataset without events."""
        if "first_day" in self.meta:
            first, last = self.meta["first_day"], self.meta["last_day"]
        else:
            got = self.execute(
                self.facts.aggregate(first=self.facts.day.min(), last=self.facts.last.max())
            )
            first, last = got["first"].iloc[0], got["last"].iloc[0]
        if first is None or pd.isna(first):
            return pd.DataFrame(
                {"date": pd.Series([], "datetime64[ns]"), "stop": pd.Series([], "datetime64[ns]")}
            )
        day = pd.Timedelta(days=1)
        epoch = pd.Timestamp("1970-01-01")
        return pd.DataFrame(
            {"date": [epoch + int(first) * day], "stop": [epoch + (int(last) + 1) * day]}
        )

    # ----------------------------------------------------------------- selections
    def ask(self, plan: Plan) -> Ask:
        types = None
        if plan.event_types:
            types = tuple(self.type_ids.index(t) for t in plan.event_types)
        allowed = None
        if plan.allowed is not None:
            allowed = tuple(self.actor_index[a] for a in plan.allowed)
        return Ask(
            first=day_number(plan.window.start),
            last=day_number(plan.window.end),
            types=types,
            allowed=allowed,
            focused=plan.focused,
            focused_codes=tuple(self.actor_index[a] for a in plan.focused),
            mode=plan.mode,
            search=plan.search,
        )

    def select(self, dataset, plan: Plan) -> EngineSelection:
        """What ``plan`` selects (:func:`alliances.query.select` calls this on the engine path)."""
        return EngineSelection(self, plan, self.ask(plan))

    def chosen(self, ask: Ask) -> ir.Table:
        matching = None
        if ask.search:
            end = pd.Timestamp("1970-01-01") + pd.Timedelta(days=ask.last)
            matching = queries.search_ids(self.raw, ask.search, f"{end:%Y-%m-%d}")
        return queries.selected(self.facts, ask, matching, self.meta.get("longest"))

    # ----------------------------------------------------------------- rows
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
        wanted = ibis.memtable(pd.DataFrame({"event_id": ids}))
        keep = text(raw, "event_id").isin(wanted.event_id)
        if first is not None and last is not None:
            epoch = pd.Timestamp("1970-01-01")
            lo = epoch + pd.Timedelta(days=int(first))
            hi = epoch + pd.Timedelta(days=int(last))
            # a partial date compares as text as its first day does (YYYY <= YYYY-MM-DD)
            keep &= (text(raw, "date") >= f"{lo.year:04d}") & (
                text(raw, "date") <= f"{hi:%Y-%m-%d}"
            )
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


def _window_days(start: pd.Timestamp, stop: pd.Timestamp) -> tuple[int, int]:
    """Days [first, last] of the events overlapping the instants [start, stop)."""
    return day_number(start), day_number(pd.Timestamp(stop) - pd.Timedelta(1, "ns"))


class EngineSelection:
    """What the filters select, on the engine: the interface of
    :class:`alliances.query.Selection`, each answer a query (cached on this object)."""

    def __init__(self, store: EventStore, plan: Plan, ask: Ask):
        self.store = store
        self.ask = ask
        self.window: Window = plan.window
        self.relations: pd.DataFrame = plan.relations
        self.focus: tuple[str, ...] = plan.focused
        self.notices: tuple[str, ...] = plan.notices
        self._temperatures: dict[tuple[str, ...], pd.DataFrame] = {}
        self._counts: dict[tuple[int, int], int] = {}

    def __repr__(self) -> str:
        return f"<EngineSelection of {self.store.name}: {self.window}>"

    @cached_property
    def chosen(self) -> ir.Table:
        return self.store.chosen(self.ask)

    def __len__(self) -> int:
        return int(self._type_counts.sum())

    @cached_property
    def _type_counts(self) -> pd.Series:
        """Selected events per type id, every type of the vocabulary (one query: also the
        selection's size)."""
        store = self.store
        got = store.execute(queries.type_counts(self.chosen))
        ids = [store.type_ids[int(c)] for c in got["type"]]
        counts = pd.Series(got["n"].to_numpy("int64"), index=ids)
        return counts.reindex(store.type_ids, fill_value=0)

    def _count(self, first: int, last: int) -> int:
        key = (first, last)
        if key == (self.ask.first, self.ask.last):
            return len(self)
        if key not in self._counts:
            t = self.chosen
            if key != (self.ask.first, self.ask.last):
                t = t.filter(queries.in_window(t, first, last))
            self._counts[key] = int(self.store.scalar(t.count()))
        return self._counts[key]

    # ----------------------------------------------------------------- aggregates
    def kpis(self) -> dict[str, object]:
        return self._kpis

    @cached_property
    def _kpis(self) -> dict[str, object]:
        store = self.store
        by_type = pd.Series(
            self._type_counts.to_numpy("int64"),
            index=pd.CategoricalIndex(store.type_ids, categories=store.type_ids, name="event_type"),
            name="count",
        )
        totals = store.execute(queries.unit_totals(self.chosen))
        units = pd.Index(totals["unit"].astype(str), name="unit")
        total = pd.Series(totals["total"].to_numpy(float), index=units, name="magnitude")
        return kpi_record(int(by_type.sum()), by_type, total)

    @cached_property
    def _linked(self) -> ir.Table:
        return queries.links(self.chosen, self.store.codes)

    @cached_property
    def pair_counts(self) -> pd.Series:
        """Events per unordered pair, busiest first, ties alphabetical."""
        got = self.store.execute(queries.pair_counts(self._linked))
        if got.empty:
            return pd.Series(dtype="int64", name="count")
        ids = self.store.actor_ids
        labels = np.array(
            [
                pair_label(ids[int(lo)], ids[int(hi)])
                for lo, hi in zip(got["lo"], got["hi"], strict=True)
            ],
            dtype=object,
        )
        counts = got["n"].to_numpy("int64")
        order = np.lexsort((labels, -counts))
        return pd.Series(counts[order], index=labels[order], name="count")

    def default_pairs(self, top: int = 5) -> list[str]:
        return aggregates.focused_pairs(self.focus, None, top, counts=self.pair_counts)

    def temperature(self, pairs: Iterable[str] = ()) -> pd.DataFrame:
        chosen = tuple(pairs) or tuple(self.default_pairs())
        if chosen not in self._temperatures:
            self._temperatures[chosen] = self._temperature(chosen)
        return self._temperatures[chosen]

    def _temperature(self, chosen: tuple[str, ...]) -> pd.DataFrame:
        ids = self.store.actor_ids
        wanted = aggregates.wanted_pairs(chosen, ids)
        if not wanted:
            return pd.DataFrame(columns=["pair", "quarter", "score", "events"])
        n = len(ids)
        first, last = aggregates.window_quarters(self.window.start, self.window.stop)
        codes = sorted(wanted)
        linked = queries.links(queries.counted(self.chosen), self.store.codes)
        got = self.store.execute(
            queries.temperature_cells(linked, [(c // n, c % n) for c in codes], first, last)
        )
        nq = last - first + 1
        sums = np.zeros((len(codes), nq))
        counts = np.zeros((len(codes), nq), dtype=np.int64)
        row = np.searchsorted(codes, got["lo"].to_numpy("int64") * n + got["hi"].to_numpy("int64"))
        col = got["quarter"].to_numpy("int64") - first
        sums[row, col] = got["score"].to_numpy(float)
        counts[row, col] = got["n"].to_numpy("int64")
        return aggregates.temperature_table(wanted, first, sums, counts)

    def count_between(self, start: pd.Timestamp, stop: pd.Timestamp) -> int:
        return self._count(*_window_days(start, stop))

    def _between(self, start: pd.Timestamp, stop: pd.Timestamp) -> ir.Table:
        first, last = _window_days(start, stop)
        t = self.chosen
        return t.filter(queries.in_window(t, first, last))

    def bins(
        self, lanes: str, start: pd.Timestamp, stop: pd.Timestamp, type_labels: dict[str, str]
    ) -> Bins:
        name, edges = bin_edges(start, stop)
        t = self._between(start, stop)
        nbins = len(edges) - 1
        if name in ("day", "week"):
            unit, step = "day", 1 if name == "day" else 7
            origin = int(edges[0].astype("datetime64[D]").astype(np.int64))
        else:
            unit, step = "month", {"month": 1, "quarter": 3, "year": 12, "5 years": 60}[name]
            origin = int(edges[0].astype("datetime64[M]").astype(np.int64))
        position = queries.bin_of(t, unit, origin, step, nbins)
        store = self.store
        if lanes == "pair":
            n = len(store.actor_ids)
            keyed = t.mutate(key=queries.lane_keys(t, n))
            per_lane = store.execute(keyed.group_by("key").agg(n=keyed.count()))
            keys = per_lane["key"].to_numpy("int64")
            names = np.array(lane_names(keys, pd.Index(store.actor_ids)), dtype=object)
            top = np.lexsort((names, -per_lane["n"].to_numpy("int64")))[: aggregates.MAX_LANES]
            order = list(names[top]) + ([aggregates.OTHER] if len(keys) > len(top) else [])
            lane = ibis.literal(len(top))
            for i, k in enumerate(keys[top]):
                lane = ibis.cases((keyed.key == int(k), i), else_=lane)
            grouped = keyed.mutate(lane=lane, bin=queries.bin_of(keyed, unit, origin, step, nbins))
        else:
            grouped = t.mutate(lane=t.type, bin=position)
        got = store.execute(grouped.group_by("lane", "bin").agg(n=grouped.count()))
        if lanes != "pair":
            present = sorted(set(got["lane"].astype(int)))
            order = [type_labels.get(store.type_ids[i], store.type_ids[i]) for i in present]
            position_of = {code: i for i, code in enumerate(present)}
            got = got.assign(lane=[position_of[int(c)] for c in got["lane"]])
        counts = np.zeros((len(order), nbins), dtype=np.int64)
        counts[got["lane"].to_numpy("int64"), got["bin"].to_numpy("int64")] = got["n"].to_numpy(
            "int64"
        )
        return Bins(name, edges, [str(x) for x in order], counts, int(counts.sum()))

    # ----------------------------------------------------------------- rows
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

    def last_events(self, n: int) -> pd.DataFrame:
        """The ``n`` latest selected events (by date, then id), oldest first."""
        if not n:
            return self.store.fetch([])
        page = self.store.execute(queries.page(self.chosen, None, True, 0, n))
        return self._fetch_page(page.iloc[::-1])

    def page(self, sort: str = "date", descending: bool = True, offset: int = 0,
             limit: int = 15) -> pd.DataFrame:  # fmt: skip
        from ..query import PAGE_SORTS

        if sort not in PAGE_SORTS:
            raise ValueError(f"cannot sort events by {sort!r}; use one of {', '.join(PAGE_SORTS)}")
        t = self.chosen
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
        ids = self.store.execute(self.chosen.select("event_id", "day"))
        if len(ids) > FETCH_WARNING:
            log.warning(
                "fetching %s selected events from %s into memory", f"{len(ids):,}", self.store.name
            )
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
        from ..query import FACT_COLUMNS

        events = self.events
        return events[[c for c in FACT_COLUMNS if c in events.columns]]

    @cached_property
    def links(self) -> PairLinks:
        return aggregates.pair_links(self.facts)

    def rows_between(self, start: pd.Timestamp, stop: pd.Timestamp) -> np.ndarray:
        facts = self.facts
        inside = ((facts["date"] < stop) & (facts["stop"] > start)).to_numpy(bool)
        return self.rows[inside]


def engine_problem(where: str, exc: BaseException) -> DatasetError:
    """A failure to reach or read an engine, as the report a dataset that fails validation
    gives (the served dashboard shows it, and keeps the last good data)."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return DatasetError(where, [Problem(str(where), 1, "-", f"cannot read the events: {message}")])
