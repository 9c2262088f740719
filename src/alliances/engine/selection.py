"""What the filters select on the engine: :class:`EngineSelection` answers as
:class:`alliances.query.Selection` does, each aggregate (counts, KPIs, pair counts,
temperatures, timeline bins) a query that returns a few rows, cached on the selection.

The rollups answer the whole years inside the window (counts by type and by pair, totals by
unit), its whole months or days (the timeline's type lanes) and a few pairs' whole months
(temperatures); the facts only the window's edges and the events chosen through their lists.
The rows themselves (pages, the latest events, every selected row for callers without a query
of their own) are :class:`~.rows.SelectedRows`'.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from .. import aggregates
from ..aggregates import kpi_record
from ..bins import MAX_LANES, OTHER, Bins, bin_edges, lane_names
from . import cubes, queries, reports
from .queries import Ask
from .rows import SelectedRows, window_days

if TYPE_CHECKING:
    from ..query import Plan, Window
    from .store import EventStore


class EngineSelection(SelectedRows):
    """What the filters select, on the engine: the interface of
    :class:`alliances.query.Selection`, each answer a query (cached on this object)."""

    def __init__(self, store: EventStore, plan: Plan, ask: Ask):
        super().__init__(store, ask)
        self.window: Window = plan.window
        self.relations: pd.DataFrame = plan.relations
        self.focus: tuple[str, ...] = plan.focused
        self.notices: tuple[str, ...] = plan.notices
        self._temperatures: dict[tuple[str, ...], pd.DataFrame] = {}
        self._counts: dict[tuple[int, int], int] = {}

    def __repr__(self) -> str:
        return f"<EngineSelection of {self.store.name}: {self.window}>"

    @cached_property
    def _links(self) -> ir.Table:
        """The selected events' links through their participants and targets."""
        return self.store.chosen(self.ask, "links")

    @cached_property
    def _latest(self) -> ir.Table:
        """The selected running totals that count: the latest report of each series."""
        # computed once per selection (KPIs and temperature read it)
        return self.store.cached(self.store.latest(self.ask))

    @cached_property
    def _window_only(self) -> bool:
        """Whether the selection chooses by window and types only (no actors, regions, link
        or search): the timeline's type lanes then add up the rollups by month or by day."""
        ask, store = self.ask, self.store
        chosen_by = ask.allowed is not None or ask.mode != "any" or ask.search
        return not chosen_by and store.types is not None and store.days is not None

    @cached_property
    def _years(self) -> tuple[int, int] | None:
        """The whole years inside the window (first > last: none) whose counts by type and by
        pair the pairs rollup answers for this selection's types and actors; ``None`` when it
        cannot (a link, a search, no rollups)."""
        ask = self.ask
        if ask.mode != "any" or ask.search or self.store.pairs is None:
            return None
        return queries.whole(ask.first, ask.last, "Y")

    def _cube(self, name: str) -> ir.Table:
        """The rows of the rollup ``name`` (by year, type and pair) for the whole years, the
        types and the actors chosen (an event is chosen for its actors when actor_1 or
        actor_2 is): for a choice of actors, from its copy by actor where there is one."""
        first, last = self._years
        store, allowed = self.store, self.ask.allowed
        mine = None if allowed is None else store.of_actors(name, allowed)
        rows = getattr(store, name) if mine is None else mine
        return self._chosen_cells(rows.filter(rows.year.between(first, last)))

    def _chosen_cells(self, t: ir.Table) -> ir.Table:
        """The rows of a rollup by type and pair (``type``, ``lo``, ``hi``) for the chosen
        types and actors (an event is chosen for its actors when actor_1 or actor_2 is)."""
        ask = self.ask
        if ask.types is not None:
            t = t.filter(queries.isin(t.type, ask.types))
        if ask.allowed is not None:
            t = t.filter(queries.touching(t, ask.allowed, "lo", "hi"))
        return t

    def _outside_years(self, t: ir.Table) -> ir.Table:
        """The rows of ``t`` that start outside the whole years of :attr:`_years` (months
        compared as stored, so that an engine skips the row groups of the years between)."""
        first, last = self._years
        return t.filter((t.month < first * 12) | (t.month > last * 12 + 11))

    def _through_lists(self) -> ir.Table | None:
        """The selected events that the rollups, which choose by actor_1 and actor_2, miss:
        chosen for a focused actor among their participants or targets only."""
        ask = self.ask
        if ask.allowed is None or not ask.focused:
            return None
        return self.store.list_only(ask)

    def _in_cube(self, rollup: str, group: list[str], value: str) -> list[ir.Table]:
        """``value`` summed by ``group`` over the whole years of a rollup by year, type and
        pair (:meth:`_cube`; by pair: only the events with actor_2), as one query (none
        without whole years)."""
        first, last = self._years
        if first > last:
            return []
        cube = self._cube(rollup)
        if "hi" in group:
            cube = cube.filter(cube.hi.notnull())
        return [cube.group_by(group).agg(**{value: cube[value].sum()})]

    def _beyond_cube(self, rows: ir.Table, measure) -> list[ir.Table]:
        """``measure`` (a query per group) of what the rollups by year do not hold of the
        selected ``rows`` (the facts or a part of them): the partial years at the window's
        edges, and in the whole years the events chosen through their lists."""
        first, last = self._years
        parts = [measure(self._outside_years(rows))]
        others = self._through_lists()
        if first <= last and others is not None:
            others = others.filter(others.month.between(first * 12, last * 12 + 11))
            parts.append(measure(others))
        return parts

    def _partial_years(self) -> list[ir.Table]:
        """The counts by type and pair of the selected events that the whole years of the
        pairs rollup do not hold (:meth:`_beyond_cube`); for a choice of window and types, the
        whole months among them from the rollup by month (:func:`.cubes.outside_years`), the
        rest (partial months, events begun before the window) from the facts."""
        store, ask, rows = self.store, self.ask, self.chosen
        (first, last), (start, end) = self._years, queries.whole(ask.first, ask.last, "M")
        no_months = start > end or (first <= last and (start, end) == (first * 12, last * 12 + 11))
        if store.month_pairs is None or ask.allowed is not None or no_months:
            return self._beyond_cube(rows, cubes.cell_counts)
        rest = rows.filter((rows.month < start) | (rows.month > end))
        months = self._chosen_cells(cubes.outside_years(store.month_pairs, start, end, self._years))
        whole = months.group_by("type", "lo", "hi").agg(n=months.n.sum())
        return [cubes.cell_counts(rest), whole]

    @cached_property
    def _cells(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The selection's counts ``n`` by ``type``, and by pair (``lo``, ``hi``) with the
        pairs its events' lists link (:attr:`_links`): the whole years from the pairs rollup
        (summed by type, and by pair: a window's pairs by type are many rows), the rest
        counted by type and pair at once, all in one query."""
        null = ibis.null("int32")
        parts = [
            *self._partial_years(),
            *(e.mutate(lo=null, hi=null) for e in self._in_cube("pairs", ["type"], "n")),
            *(e.mutate(type=null) for e in self._in_cube("pairs", ["lo", "hi"], "n")),
            queries.pair_counts(self._links).mutate(type=null),
        ]
        got = self.store.execute_all(parts)  # a row without a type or a pair: left out there
        return (
            got.groupby("type", as_index=False)["n"].sum(),
            got[got["hi"].notna()].groupby(["lo", "hi"], as_index=False)["n"].sum(),
        )

    def __len__(self) -> int:
        return int(self._type_counts.sum())

    @cached_property
    def _type_counts(self) -> pd.Series:
        """Selected events per type id, every type of the vocabulary (one query: also the
        selection's size)."""
        store = self.store
        if self._years is not None:
            got = self._cells[0]
        else:
            got = store.execute(queries.type_counts(self.chosen))
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
        amounts = store.chosen(self.ask, "amounts")
        if self._years is not None and store.unit_pairs is not None:
            parts = [
                *self._in_cube("unit_pairs", ["unit"], "total"),
                *self._beyond_cube(amounts, queries.amount_totals),
                queries.latest_totals(self._latest),
            ]
            totals = store.execute_all(parts).groupby("unit", as_index=False)["total"].sum()
        else:
            totals = store.execute(queries.unit_totals(amounts, self._latest))
        units = pd.Index(totals["unit"].astype(str), name="unit")
        total = pd.Series(totals["total"].to_numpy(float), index=units, name="magnitude")
        return kpi_record(int(by_type.sum()), by_type, total)

    @cached_property
    def pair_counts(self) -> pd.Series:
        """Events per unordered pair, busiest first, ties alphabetical."""
        store = self.store
        if self._years is not None:
            got = self._cells[1]
        else:
            own = queries.pair_counts(queries.base_links(self.chosen))
            got = store.execute_all([own, queries.pair_counts(self._links)])
            got = got.groupby(["lo", "hi"], as_index=False)["n"].sum()
        if got.empty:
            return pd.Series(dtype="int64", name="count")
        ids = pd.Index(store.actor_ids)
        codes = got["lo"].to_numpy("int64") * len(ids) + got["hi"].to_numpy("int64")
        return aggregates.busiest_pairs(aggregates.pair_labels(codes, ids), got["n"].to_numpy())

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
        listed = reports.counted(store.chosen(self.ask, "pair_links"), latest)
        parts = [queries.temperature_cells(listed, pairs, first, last)]
        if self._months is None:
            rows = store.pair_rows(self.ask, pairs)
            if rows is None:
                rows = queries.pairs_among(self.chosen, pairs, n)
            among = reports.counted(rows, latest)
            parts.append(queries.temperature_cells(queries.base_links(among), pairs, first, last))
        else:
            parts += self._month_parts(pairs, first, last)
        got = store.execute_all(parts)
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

    @cached_property
    def _months(self) -> tuple[int, int] | None:
        """The whole months inside the window (first > last: none) whose pair scores the
        rollup of scores by pair and month answers for this selection; ``None`` when it cannot
        (a link, a search, no rollups)."""
        ask = self.ask
        if ask.mode != "any" or ask.search or self.store.pair_scores is None:
            return None
        return queries.whole(ask.first, ask.last, "M")

    def _month_parts(self, pairs: list[tuple[int, int]], first: int, last: int) -> list[ir.Table]:
        """The score sums of ``pairs``' own events (actor_1 and actor_2) per quarter, as
        queries: whole months from the rollup, plus what it does not hold (the running totals
        that count, the partial months at the window's edges, the events chosen only through
        their lists)."""
        store, latest = self.store, self._latest
        m1, m2 = self._months

        def cells(t: ir.Table) -> ir.Table:
            return queries.temperature_cells(queries.base_links(t), pairs, first, last)

        # the running totals that count are the latest reports (in the window, any month)
        parts = [cells(latest)]
        rows = queries.not_running(store.pair_rows(self.ask, pairs, by_day=True))
        if m1 > m2:
            return [*parts, cells(rows)]
        # the partial months at the edges: from the facts sorted by day, one query (DuckDB
        # checks the two ranges against the files' statistics; two queries of the same rows,
        # one per edge, it merges into one scan of the whole window)
        parts.append(cells(rows.filter((rows.month < m1) | (rows.month > m2))))
        cube = cubes.of_pairs(store.pair_scores, pairs).filter(lambda t: t.month.between(m1, m2))
        cube = self._chosen_cells(cube).mutate(quarter=lambda t: t.month // 3)
        parts.append(
            cube.group_by("lo", "hi", "quarter").agg(score=cube.score.sum(), n=cube.n.sum())
        )
        others = self._through_lists()
        if others is not None:
            others = queries.pairs_among(others, pairs, len(store.actor_ids))
            parts.append(cells(queries.not_running(others.filter(others.month.between(m1, m2)))))
        return parts

    def _months_inside(self, start: pd.Timestamp, stop: pd.Timestamp) -> tuple[int, int]:
        """The months wholly inside both the window and [start, stop) (first > last: none)."""
        first, last = window_days(start, stop)
        return queries.whole(max(first, self.ask.first), min(last, self.ask.last), "M")

    @cached_property
    def _by_actor_months(self) -> bool:
        """Whether the timeline's type lanes add up the chosen actors' months (a choice of
        actors, no link, no search): two rollups of at most actors (or pairs) x months x
        types rows, whichever actors and however many events they hold."""
        ask, store = self.ask, self.store
        return (
            ask.allowed is not None
            and self._years is not None
            and store.actor_months is not None
            and store.pair_months is not None
        )

    def _actor_month_bins(
        self, t: ir.Table, start: pd.Timestamp, stop: pd.Timestamp, origin: int, step: int,
        nbins: int,
    ) -> pd.DataFrame:  # fmt: skip
        """Events per type (``lane``) and month-based ``bin`` for a choice of actors: the
        chosen actors' whole months from the rollup, less the events both of whose actors are
        chosen (counted under each), plus the events chosen through their lists and the
        months at the edges (``t``: the selected events in [start, stop))."""
        store, ask = self.store, self.ask
        m1, m2 = self._months_inside(start, stop)

        def binned(rows: ir.Table, count: str | None = None, sign: int = 1) -> ir.Table:
            rows = rows.mutate(
                lane=rows.type, bin=queries.bin_of(rows, "month", origin, step, nbins)
            )
            n = rows.count() if count is None else rows[count].sum()
            return rows.group_by("lane", "bin").agg(n=n if sign == 1 else -n)

        def inside(rows: ir.Table) -> ir.Table:
            rows = rows.filter(rows.month.between(m1, m2))
            return rows if ask.types is None else rows.filter(queries.isin(rows.type, ask.types))

        parts = [binned(t.filter((t.month < m1) | (t.month > m2)))]
        if m1 <= m2:
            cube = store.actor_months
            parts.append(binned(inside(cube.filter(queries.equal_any(cube.key, ask.allowed))), "n"))
            parts.append(binned(inside(cubes.both_chosen(store.pair_months, ask.allowed)), "n", -1))
            others = self._through_lists()
            if others is not None:
                parts.append(binned(inside(others)))
        got = store.execute_all(parts).groupby(["lane", "bin"], as_index=False)["n"].sum()
        return got[got["n"] != 0]

    def count_between(self, start: pd.Timestamp, stop: pd.Timestamp) -> int:
        return self._count(*window_days(start, stop))

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
            top = np.lexsort((names, -per_lane["n"].to_numpy("int64")))[:MAX_LANES]
            order = list(names[top]) + ([OTHER] if len(keys) > len(top) else [])
            lane = ibis.literal(len(top))
            for i, k in enumerate(keys[top]):
                lane = ibis.cases((keyed.key == int(k), i), else_=lane)
            grouped = keyed.mutate(lane=lane, bin=queries.bin_of(keyed, unit, origin, step, nbins))
            got = store.execute(grouped.group_by("lane", "bin").agg(n=grouped.count()))
        elif unit == "month" and self._by_actor_months:
            got = self._actor_month_bins(t, start, stop, origin, step, nbins)
        elif self._window_only:
            # whole months (or days) from the rollup, the window's edges from the events
            if unit == "month":
                rollup, (lo, hi) = store.types, self._months_inside(start, stop)
            else:
                first, last = window_days(start, stop)
                rollup, lo, hi = store.days, max(first, self.ask.first), min(last, self.ask.last)
            edges_t = t.filter((t[unit] < lo) | (t[unit] > hi))
            edges_t = edges_t.mutate(
                lane=edges_t.type, bin=queries.bin_of(edges_t, unit, origin, step, nbins)
            )
            inside = rollup.filter(rollup[unit].between(lo, hi))
            if self.ask.types is not None:
                inside = inside.filter(inside.type.isin(list(self.ask.types)))
            inside = inside.mutate(
                lane=inside.type, bin=queries.bin_of(inside, unit, origin, step, nbins)
            )
            got = store.execute_all(
                [
                    edges_t.group_by("lane", "bin").agg(n=edges_t.count()),
                    inside.group_by("lane", "bin").agg(n=inside.n.sum()),
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
