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
from .facts import actor_codes, day_number, text
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


MAX_LISTED = 5_000
"""Ids fetched with a literal list; more go through a table the engine joins."""


def _as_text(raw: ir.Table, column: str) -> ir.StringValue:
    """A raw column compared as it is stored (text), so that the engine can use the files'
    statistics: no function around it."""
    value = raw[column]
    return value if value.type().is_string() else value.cast("string")


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
        rollups: dict[str, ir.Table] | None = None,
        codes: ir.Table | None = None,
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
        rollups = rollups or {}
        # the few rows the links and the "counted once" rule read, kept apart in the rollups
        # (without rollups: cached in the engine when first needed)
        self._listed = rollups.get("listed")
        self._running = rollups.get("running")
        self.types = rollups.get("types")  # events per month and type
        self.pairs = rollups.get("pairs")  # events per year and pair
        self.codes = codes if codes is not None else ibis.memtable(actor_codes(self.actor_ids))

        self._lock = threading.RLock()
        self._rows: OrderedDict[str, pd.Series] = OrderedDict()

    def __repr__(self) -> str:
        return f"<EventStore {self.name}>"

    @property
    def listed(self) -> ir.Table:
        """The facts of the events with participants or targets."""
        if self._listed is None:
            self._listed = self.cached(queries.listed(self.facts))
        return self._listed

    @property
    def running(self) -> ir.Table:
        """The facts of the running totals."""
        if self._running is None:
            self._running = self.cached(queries.running(self.facts))
        return self._running

    def cached(self, expr: ir.Table) -> ir.Table:
        """``expr`` computed once into a table of the engine's session: the queries that read
        it several times (the links) then read a small table, not the derivation again."""
        with self._lock:
            try:
                return expr.cache()
            except Exception as exc:
                log.exception("caching a subset on %s failed", self.name)
                raise EngineError(f"the events in {self.name} could not be read: {exc}") from exc

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

    def chosen(self, ask: Ask, table: ir.Table | None = None) -> ir.Table:
        """The selected rows of the facts (or of ``table``, a part of them)."""
        matching = None
        if ask.search:
            end = pd.Timestamp("1970-01-01") + pd.Timedelta(days=ask.last)
            matching = queries.search_ids(self.raw, ask.search, f"{end:%Y-%m-%d}")
        facts = self.facts if table is None else table
        return queries.selected(facts, ask, matching, self.meta.get("longest"))

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


def _whole(first: int, last: int, unit: str) -> tuple[int, int]:
    """The first and last months (``unit`` "M") or years ("Y") lying wholly inside the days
    [first, last], as numbers since 1970 (first > last when there is none)."""
    start, end = np.datetime64(int(first), "D"), np.datetime64(int(last), "D")
    lo, hi = start.astype(f"datetime64[{unit}]"), end.astype(f"datetime64[{unit}]")
    if lo.astype("datetime64[D]") != start:
        lo += 1
    if (hi + 1).astype("datetime64[D]") - 1 != end:
        hi -= 1
    return int(lo.astype(np.int64)), int(hi.astype(np.int64))


def _whole_periods(first: int, last: int) -> tuple[int, int, int, int]:
    """The months and the years lying wholly inside the days [first, last]: (first month,
    last month, first year, last year)."""
    return (*_whole(first, last, "M"), *_whole(first, last, "Y"))


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

    @cached_property
    def _listed(self) -> ir.Table:
        return self.store.chosen(self.ask, self.store.listed)

    @cached_property
    def _latest(self) -> ir.Table:
        """The selected running totals that count: the latest report of each series."""
        latest = queries.latest_reports(self.store.chosen(self.ask, self.store.running))
        # computed once per selection (KPIs and temperature read it): only what they need
        return self.store.cached(latest.select("event_id", "unit", "magnitude"))

    @cached_property
    def _rolled(self) -> tuple[int, int, int, int] | None:
        """For a window-only selection (types aside), the months and years the rollups add up:
        (first month, last month, first year, last year), each wholly inside the window;
        ``None`` when the rollups cannot answer (actors, regions, a link, a search)."""
        ask = self.ask
        if ask.allowed is not None or ask.mode != "any" or ask.search or self.store.types is None:
            return None
        return _whole_periods(ask.first, ask.last)

    def __len__(self) -> int:
        return int(self._type_counts.sum())

    @cached_property
    def _type_counts(self) -> pd.Series:
        """Selected events per type id, every type of the vocabulary (one query: also the
        selection's size)."""
        store = self.store
        rolled = self._rolled
        if rolled is None:
            got = store.execute(queries.type_counts(self.chosen))
        else:
            first, last = rolled[0], rolled[1]
            edges = self.chosen.filter((self.chosen.month < first) | (self.chosen.month > last))
            inside = store.types.filter(store.types.month.between(first, last))
            if self.ask.types is not None:
                inside = inside.filter(inside.type.isin(list(self.ask.types)))
            got = pd.concat(
                [
                    store.execute(queries.type_counts(edges)),
                    store.execute(inside.group_by("type").agg(n=inside.n.sum())),
                ]
            )
            got = got.groupby("type", as_index=False)["n"].sum()
        ids = [store.type_ids[int(c)] for c in got["type"]]
        counts = pd.Series(got["n"].to_numpy("int64"), index=ids)
        return counts.groupby(level=0).sum().reindex(store.type_ids, fill_value=0)

    def _count(self, first: int, last: int) -> int:
        key = (first, last)
        if key == (self.ask.first, self.ask.last):
            return len(self)
        if key not in self._counts:
            t = self.chosen.filter(queries.in_window(self.chosen, first, last))
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
        totals = store.execute(queries.unit_totals(self.chosen, self._latest))
        units = pd.Index(totals["unit"].astype(str), name="unit")
        total = pd.Series(totals["total"].to_numpy(float), index=units, name="magnitude")
        return kpi_record(int(by_type.sum()), by_type, total)

    @cached_property
    def pair_counts(self) -> pd.Series:
        """Events per unordered pair, busiest first, ties alphabetical."""
        store = self.store
        rolled = self._rolled if self.ask.types is None else None
        if rolled is None:
            base = [store.execute(queries.pair_counts(queries.base_links(self.chosen)))]
        else:
            first, last = rolled[2], rolled[3]
            year = queries.year_of(self.chosen.month)
            edges = self.chosen.filter((year < first) | (year > last))
            inside = store.pairs.filter(store.pairs.year.between(first, last))
            base = [
                store.execute(queries.pair_counts(queries.base_links(edges))),
                store.execute(inside.group_by("lo", "hi").agg(n=inside.n.sum())),
            ]
        listed = queries.list_links(self._listed, store.codes)
        parts = [*base, store.execute(queries.pair_counts(listed))]
        got = pd.concat(parts).groupby(["lo", "hi"], as_index=False)["n"].sum()
        if got.empty:
            return pd.Series(dtype="int64", name="count")
        ids = store.actor_ids
        pairs = zip(got["lo"], got["hi"], strict=True)
        labels = np.array([pair_label(ids[int(a)], ids[int(b)]) for a, b in pairs], dtype=object)
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
        pairs = [(c // n, c % n) for c in codes]
        store = self.store
        latest = self._latest
        among = queries.counted(queries.pairs_among(self.chosen, pairs, n), latest)
        listed = queries.counted(self._listed, latest)
        got = pd.concat(
            [
                store.execute(
                    queries.temperature_cells(queries.base_links(among), pairs, first, last)
                ),
                store.execute(
                    queries.temperature_cells(
                        queries.list_links(listed, store.codes), pairs, first, last
                    )
                ),
            ]
        )
        got = got.groupby(["lo", "hi", "quarter"], as_index=False).agg(
            score=("score", "sum"), n=("n", "sum")
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
            got = store.execute(grouped.group_by("lane", "bin").agg(n=grouped.count()))
        elif unit == "month" and self._rolled is not None:  # whole months from the rollup
            months = _whole_periods(*_window_days(start, stop))
            edges_t = t.filter((t.month < months[0]) | (t.month > months[1]))
            edges_t = edges_t.mutate(
                lane=edges_t.type, bin=queries.bin_of(edges_t, unit, origin, step, nbins)
            )
            inside = store.types.filter(store.types.month.between(months[0], months[1]))
            if self.ask.types is not None:
                inside = inside.filter(inside.type.isin(list(self.ask.types)))
            inside = inside.mutate(
                lane=inside.type, bin=queries.bin_of(inside, unit, origin, step, nbins)
            )
            got = pd.concat(
                [
                    store.execute(edges_t.group_by("lane", "bin").agg(n=edges_t.count())),
                    store.execute(inside.group_by("lane", "bin").agg(n=inside.n.sum())),
                ]
            )
            got = got.groupby(["lane", "bin"], as_index=False)["n"].sum()
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
