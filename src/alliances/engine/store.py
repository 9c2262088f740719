"""The events of a large dataset, kept where they are: :class:`EventStore` holds the engine's
connection and tables, runs the queries of :mod:`.queries` (a failure becomes an
:class:`EngineError`), answers what the whole dataset holds, and fetches rows by id.

What filters select is an :class:`~.selection.EngineSelection` (:meth:`EventStore.select`),
which gives the views what :class:`alliances.query.Selection` gives them on the in-memory path.
Rows are fetched only for what is drawn one by one and go through
:func:`alliances.dataset.typed_events`, the in-memory path's own conversion.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from .. import cache
from ..problems import DatasetError, Problem
from . import compiled, cubes, queries, reports
from .facts import actor_codes, day_number, text
from .fetch import RowFetching
from .queries import Ask
from .selection import EngineSelection
from .sources import execute, unfused

if TYPE_CHECKING:
    from ..query import Plan

log = logging.getLogger("alliances")

SUBSETS = {
    "listed": lambda store: queries.listed(store.facts),
    "running": lambda store: reports.running(store.facts),
    "amounts": lambda store: queries.amounts(store.facts),
    "links": lambda store: queries.link_facts(store.listed, store.codes),
}
"""The parts of the facts queries read apart (rollups; on an engine without, derivations)."""


class EngineError(RuntimeError):
    """A query failed on the engine (unreachable, a table gone, an unreadable file)."""


class EventStore(RowFetching):
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
        compiled.install(backend)  # a query of a shape compiled before is not compiled again
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
        # the rows the links and "counted once" read: rollups, else cached when first needed
        self._subsets = {name: rollups.get(name) for name in SUBSETS}
        self.by_actor = rollups.get("by_actor")  # every event under each of its two actors
        self._pair_links = rollups.get("pair_links")  # the links sorted by pair
        self.members = rollups.get("list_members")  # the actors named in lists, by actor
        self.pair_scores = rollups.get("pair_scores")  # scores per pair, month and type
        self.actor_months = rollups.get("actor_months")  # events per actor, month and type
        self.pair_months = rollups.get("pair_months")  # events per pair, month and type
        self.types = rollups.get("types")  # events per month and type
        self.days = rollups.get("days")  # events per day and type
        self.pairs = rollups.get("pairs")  # events per year and pair
        self.month_pairs = rollups.get("month_pairs")  # events per month and pair
        self.unit_pairs = rollups.get("unit_pairs")  # amount totals per year, pair and unit
        # the rollups' copies by actor (:data:`.cubes.BY_ACTOR`), read by :meth:`of_actors`
        self._copies = {name: rollups.get(f"{name}_by_actor") for name in cubes.BY_ACTOR}
        self._copy_counts: dict[str, np.ndarray] = {}
        self.codes = codes if codes is not None else ibis.memtable(actor_codes(self.actor_ids))

        self._lock = threading.RLock()
        self._rows: OrderedDict[str, pd.Series] = OrderedDict()

    def __repr__(self) -> str:
        return f"<EventStore {self.name}>"

    def _subset(self, name: str) -> ir.Table:
        """The rollup ``name`` (:data:`SUBSETS`), or without rollups its derivation, computed
        once into the engine's session when first needed."""
        with self._lock:
            if self._subsets[name] is None:
                self._subsets[name] = self.cached(SUBSETS[name](self))
            return self._subsets[name]

    @property
    def listed(self) -> ir.Table:
        """The facts of the events with participants or targets."""
        return self._subset("listed")

    @property
    def running(self) -> ir.Table:
        """The facts of the running totals."""
        return self._subset("running")

    @property
    def amounts(self) -> ir.Table:
        """The facts of the events whose magnitude is an amount in a unit."""
        return self._subset("amounts")

    @property
    def links(self) -> ir.Table:
        """The pairs the events with lists bear on, with their facts
        (:func:`.queries.link_facts`)."""
        return self._subset("links")

    @property
    def pair_links(self) -> ir.Table:
        """The links sorted by pair (a rollup; without rollups, :attr:`links`)."""
        return self.links if self._pair_links is None else self._pair_links

    def cached(self, expr: ir.Table) -> ir.Table:
        """``expr`` computed once into a table of the engine's session: the queries that read
        it several times (the links) then read a small table, not the derivation again."""
        return self._run(expr.cache)

    # ----------------------------------------------------------------- running queries
    def execute(self, expr: ir.Expr) -> pd.DataFrame:
        """Run ``expr``; any failure of the engine becomes an :class:`EngineError` that says
        which data could not be read."""
        result = self._run(lambda: execute(self.backend, expr))
        return result if isinstance(result, pd.DataFrame) else pd.DataFrame({"value": [result]})

    def execute_all(self, parts: Sequence[ir.Table]) -> pd.DataFrame:
        """The rows of several queries with the same columns (each column's type widened to
        fit every part), as one query (``UNION ALL``): one round trip and one conversion, and
        the engine runs the parts side by side on its threads."""
        if len(parts) == 1:
            return self.execute(parts[0])
        columns = parts[0].columns
        widest = {c: dt.highest_precedence([p.schema()[c] for p in parts]) for c in columns}
        same = [p.select(*(p[c].cast(widest[c]).name(c) for c in columns)) for p in parts]
        return self.execute(ibis.union(*same, distinct=False))

    def scalar(self, expr: ir.Expr):
        return self._run(lambda: execute(self.backend, expr))

    def _run(self, action):
        """``action()``, one query at a time, compiled :func:`.sources.unfused`; any failure of the
        engine becomes an :class:`EngineError`."""
        with self._lock, unfused():
            try:
                return action()
            except Exception as exc:  # each engine raises its own types
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

    def _matching(self, ask: Ask) -> ir.Table | None:
        """The ids the text search finds (``None`` without a search)."""
        if not ask.search:
            return None
        end = pd.Timestamp("1970-01-01") + pd.Timedelta(days=ask.last)
        return queries.search_ids(self.raw, ask.search, f"{end:%Y-%m-%d}")

    def chosen(self, ask: Ask, part: str | None = None) -> ir.Table:
        """The selected rows of the facts, or of the part of them ``part`` names
        (:data:`SUBSETS`, ``pair_links``).

        A choice of actors is read as two parts (:meth:`_parts`), so that no row is tested
        against the lists whose actor_1 or actor_2 is chosen."""
        own, lists = self._parts(ask, part)
        return own if lists is None else own.union(lists)

    def _parts(self, ask: Ask, part: str | None) -> tuple[ir.Table, ir.Table | None]:
        """:meth:`chosen` in two: the rows of the chosen actors' events (from a copy by actor
        when one reads less, :meth:`of_actors`; every selected row when no actor is chosen),
        and the rows of the events chosen only through their lists (:meth:`list_only`, a few
        rows computed once per choice, matched by event number), or ``None``. No event, and
        no series of running totals, is in both."""
        table = self.facts if part is None else getattr(self, part)
        matching, longest = self._matching(ask), self.meta.get("longest")
        if ask.allowed is None or "row" not in table.columns:
            return queries.selected(table, ask, matching, longest), None
        if part is None:
            reads_less = self._by_actor_reads_less(ask.allowed)
            mine = cubes.actor_rows(self.by_actor, ask.allowed) if reads_less else None
        else:
            mine = self.of_actors(part, ask.allowed) if part in cubes.BY_ACTOR else None
        if mine is None:
            allowed = ask.allowed
            mine = table.filter(queries.touching(table, allowed))
        own = queries.selected(mine, _without_lists(ask), matching, longest)
        if not ask.focused:
            return own, None
        lists = self.list_only(ask)
        if part is not None:
            lists = table.filter(
                table.row.isin(lists.row) & queries.in_window(table, ask.first, ask.last)
            )
        return own, lists

    def latest(self, ask: Ask) -> ir.Table:
        """The selected running totals that count: the latest report of each series
        (:func:`.reports.latest_reports`, without the series' number).

        With the rollups' numbers, each part of :meth:`_parts` is aggregated alone (no series
        is in both): the series chosen through lists from the list-only events' own rows
        (:func:`.reports.latest_among`), not from every running total. When what chooses a
        report is the same for every report of its series (the "any" link, no search), the
        chosen series' latest reports are found without grouping: their last ones, kept once
        per store (:attr:`_last_reports`), for a window that holds every event; else those
        :func:`.reports.latest_at` finds from the reports' spans."""
        if "row" not in self.running.columns:  # no rollups
            own, lists = self._parts(ask, "running")
            both = own if lists is None else own.union(lists)
            return reports.latest_reports(both).drop("series")
        whole = self.meta.get("first_day") is not None and (
            ask.first <= self.meta["first_day"] and ask.last >= self.meta["last_day"]
        )
        if ask.mode == "any" and not ask.search and (whole or "upto" in self.running.columns):
            # what chooses a report is the same for every report of its series
            latest = self._last_reports if whole else self._series_reports(ask)
            if ask.types is not None:
                latest = latest.filter(queries.isin(latest.type, ask.types))
            if ask.allowed is not None:
                latest = latest.filter(queries.touching(latest, ask.allowed))
            if not whole:
                latest = reports.latest_at(latest, ask.first, ask.last)
        else:
            latest = reports.latest_reports(self._parts(ask, "running")[0])
        latest = latest.select(*reports.LATEST)
        if ask.allowed is None or not ask.focused:  # no events chosen through their lists
            return latest
        return latest.union(reports.latest_among(self.list_only(ask)))

    def _series_reports(self, ask: Ask) -> ir.Table:
        """Every report of the running totals whose actor_1 or actor_2 is chosen (from the
        copy by actor where it reads less), whatever the window."""
        mine = None if ask.allowed is None else self.of_actors("running", ask.allowed)
        return self.running if mine is None else mine

    @cached_property
    def _last_reports(self) -> ir.Table:
        """The last report of every series of running totals, with its type and actors,
        computed into the engine's session once per store (a row per series)."""
        return self.cached(reports.latest_reports(self.running, ("a1", "a2", "type")))

    def of_actors(self, name: str, actors: Sequence[int]) -> ir.Table | None:
        """The rows of the rollup ``name`` (:data:`.cubes.BY_ACTOR`) whose first or second
        actor is among ``actors``, each once, read from its copy by actor; ``None`` without
        the copy, or when so many rows are the actors' that reading the rollup itself costs
        less (:meth:`_reads_less`, the one rule for every copy by actor)."""
        copy = self._copies.get(name)
        if copy is None or not self._reads_less(self._copy_rows(name), actors):
            return None
        return cubes.actor_rows(copy, actors, first=cubes.BY_ACTOR[name][0])

    def _copy_rows(self, name: str) -> np.ndarray:
        """Rows per actor code in the copy by actor of the rollup ``name`` (counted once, when
        first needed); the last item: the rows of the rollup itself."""
        with self._lock:
            if name not in self._copy_counts:
                copy, table = self._copies[name], getattr(self, name)
                got = self.execute(copy.group_by("key").agg(n=copy.count()))
                counts = np.zeros(len(self.actor_ids) + 1, dtype=np.int64)
                counts[got["key"].to_numpy("int64")] = got["n"].to_numpy("int64")
                counts[-1] = int(self.scalar(table.count()))
                self._copy_counts[name] = counts
            return self._copy_counts[name]

    def list_only(self, ask: Ask) -> ir.Table:
        """The selected events whose actor_1 and actor_2 are not among the chosen actors: those
        chosen for a focused actor among their participants or targets (a part of the listed
        ones), which whatever chooses by actor_1 and actor_2 misses."""
        return _list_only(self, ask)

    BY_ACTOR_SHARE = 0.4
    """The share of all events above which the chosen actors' events are read from the facts
    rather than from the copy by actor (which holds most events twice)."""

    def _by_actor_reads_less(self, actors: Sequence[int]) -> bool:
        """Whether reading ``actors``' rows of the copy by actor beats scanning the facts."""
        if self.by_actor is None:
            return False
        return self._reads_less(np.append(self._actor_events, self.count()), actors)

    def _reads_less(self, rows: np.ndarray, actors: Sequence[int]) -> bool:
        """Whether reading ``actors``' rows of a copy by actor (``rows``: per actor code, then
        the rows of the table it copies) beats scanning that table: the one rule."""
        mine = int(rows[list(actors)].sum()) if len(actors) else 0
        return bool(mine <= self.BY_ACTOR_SHARE * rows[-1])

    @cached_property
    def _actor_events(self) -> np.ndarray:
        """Events per actor code as actor_1 or actor_2 (each event once per actor): what the
        copy by actor holds of each, added up from the pairs rollup."""
        counts = np.zeros(len(self.actor_ids), dtype=np.int64)
        if self.pairs is None:
            return counts
        p = self.pairs
        for column, rows in (("lo", p), ("hi", p.filter(p.hi.notnull() & (p.hi != p.lo)))):
            got = self.execute(rows.group_by(code=rows[column]).agg(n=rows.n.sum()))
            np.add.at(counts, got["code"].to_numpy("int64"), got["n"].to_numpy("int64"))
        return counts

    def pair_rows(
        self, ask: Ask, pairs: Sequence[tuple[int, int]], *, by_day: bool = False
    ) -> ir.Table | None:
        """The selected events whose actor_1 and actor_2 form one of ``pairs``: from the copy
        sorted by actor, only those pairs' row groups (``None`` without it); ``by_day``, from
        the facts, sorted by day: a window's edges then read only their days' row groups."""
        if by_day:
            rows = queries.pairs_among(self.facts, pairs, len(self.actor_ids))
        elif self.by_actor is not None:
            rows = cubes.pair_rows(self.by_actor, pairs)
        else:
            return None
        return queries.selected(rows, ask, self._matching(ask), self.meta.get("longest"))


def _without_lists(ask: Ask) -> Ask:
    """``ask`` for rows whose actor_1 or actor_2 is chosen: in the "any" link, the focused
    actors' lists then decide nothing (the other links still count who is in them)."""
    return replace(ask, focused=(), focused_codes=()) if ask.mode == "any" else ask


@cache.per_dataset
def _list_only(store: EventStore, ask: Ask) -> ir.Table:
    """:meth:`EventStore.list_only`, computed into the engine's session once per choice (a few
    rows, read by most queries of a selection), for the last few choices of each store. In the
    "any" link with the rollups, the events whose lists name a focused actor are found in
    ``list_members`` (the listed events under each actor their lists name, sorted by actor),
    not by testing every list's text."""
    listed, allowed = store.listed, ask.allowed or ()

    def not_mine(t: ir.Table) -> ir.Table:
        return t.filter(~queries.touching(t, allowed))

    matching, longest = store._matching(ask), store.meta.get("longest")
    members = store.members
    if members is None or ask.mode != "any":
        return store.cached(queries.selected(not_mine(listed), ask, matching, longest))
    named = not_mine(members.filter(queries.equal_any(members.code, ask.focused_codes)))
    plain = replace(ask, allowed=None, focused=(), focused_codes=())
    chosen = queries.selected(named, plain, matching, longest).select(*listed.columns)
    return store.cached(chosen.distinct() if len(ask.focused_codes) > 1 else chosen)


def engine_problem(where: str, exc: BaseException) -> DatasetError:
    """A failure to reach or read an engine, as the report a dataset that fails validation
    gives (the served dashboard shows it, and keeps the last good data)."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    problem = Problem(str(where), 1, "-", f"cannot read the events: {message}", fault=True)
    return DatasetError(where, [problem])
