"""Pure functions from (Dataset, Filters) to DataFrames: what every view shows.

Nothing here imports Panel or plotly. Masks are computed on categorical codes and int64 dates,
so a filter change over a million events stays in the tens of milliseconds. The filters'
values are read in :mod:`.criteria`, the columns tested in :mod:`.columns`, the actors and
relations kept in :mod:`.scope`; this module plans and selects, and is the one API the views,
briefings and notebooks ask (it re-exports what they use from those modules).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

# The derived tables live in aggregates.py; they are re-exported here so that views, briefings
# and notebooks ask one module for what the filters select and what follows from it.
from .aggregates import (
    PairLinks,
    SeriesOrder,
    changes,
    focused_pairs,
    kpis,
    latest_in,
    pair_codes,
    pair_event_counts,
    pair_label,
    pair_links,
    series_order,
    temperature,
)
from .bins import Bins, timeline_bins
from .cache import per_dataset
from .columns import (
    ColumnArrays,
    arrays,
    code_lookup,
    event_index,
    event_row,
    has_event,
    instant_ns,
)
from .criteria import AnyFilters, Criteria, Window, as_of, window
from .dataset import Dataset
from .scope import (
    allowed_actors,
    focus,
    known_values,
    link_mode,
    linked_rows,
    lists_touch,
    partners,
    relation_actors,
    relation_mask,
    relations_in_force,
    text_match,
)


@dataclass(frozen=True)
class Selection:
    """What the filters select: the rows every view draws from.

    ``facts`` holds the selected events' columns without free text (what counts and charts need);
    ``events`` the full rows, materialised only when a view asks for them.
    """

    rows: np.ndarray  # positions of the selected events in the dataset's events
    facts: pd.DataFrame
    relations: pd.DataFrame
    window: Window
    focus: tuple[str, ...] = ()
    notices: tuple[str, ...] = field(default=())
    source: pd.DataFrame = field(default=None, repr=False)  # the dataset's events
    dataset_ref: Callable[[], Dataset | None] | None = field(default=None, repr=False)
    """A weak reference to the dataset (a strong one would keep it alive in its own cache):
    its whole-dataset tables (:func:`whole_links`, :func:`whole_series`) answer for the
    selection's rows; without it they are computed from the selection's events."""

    def __len__(self) -> int:
        return len(self.rows)

    @cached_property
    def events(self) -> pd.DataFrame:
        """The selected events with every column (read-only)."""
        return self.source.iloc[self.rows]

    def last_events(self, n: int) -> pd.DataFrame:
        """The ``n`` latest selected events, without materialising the others."""
        return self.source.iloc[self.rows[-n:]] if n else self.source.iloc[:0]

    # Derived tables several views need, computed once per (cached) selection.
    def _dataset(self) -> Dataset | None:
        return self.dataset_ref() if self.dataset_ref is not None else None

    @cached_property
    def links(self) -> PairLinks:
        """The pairs each selected event bears on (see :class:`~.aggregates.PairLinks`)."""
        dataset = self._dataset()
        if dataset is None:
            return pair_links(self.facts)
        return whole_links(dataset).subset(self.rows, len(self.source))

    @cached_property
    def latest(self) -> np.ndarray:
        """Per selected event: False for a running total a later selected report supersedes
        (see :func:`~.aggregates.latest_of_series`)."""
        dataset = self._dataset()
        order = series_order(self.facts) if dataset is None else whole_series(dataset)
        rows = np.arange(len(self.rows)) if dataset is None else self.rows
        return latest_in(order, rows)

    @cached_property
    def pair_counts(self) -> pd.Series:
        """Events per unordered pair, busiest first (see :func:`pair_event_counts`)."""
        return pair_event_counts(self.facts, self.links)

    def default_pairs(self, top: int = 5) -> list[str]:
        """The pairs a chart shows unless asked: among the focused actors, else the busiest."""
        return focused_pairs(self.focus, self.facts, top, counts=self.pair_counts)

    def temperature(self, pairs: Iterable[str] = ()) -> pd.DataFrame:
        """Quarterly temperature of ``pairs`` (default: :meth:`default_pairs`) over the whole
        window (see :func:`~.aggregates.temperature`)."""
        chosen = list(pairs) or self.default_pairs()
        return temperature(
            self.facts, chosen, start=self.window.start, stop=self.window.stop,
            links=self.links, latest=self.latest,
        )  # fmt: skip

    def kpis(self) -> dict[str, object]:
        """Events per type and totals per unit (see :func:`~.aggregates.kpis`)."""
        return kpis(self.facts, latest=self.latest)

    def actor_events(self, actor: str, n: int) -> tuple[pd.DataFrame, int]:
        """The ``n`` latest selected events with ``actor`` as actor_1 or actor_2 (oldest
        first), and how many there are: the actor card's."""
        facts = self.facts
        involved = ((facts["actor_1"] == actor) | (facts["actor_2"] == actor)).to_numpy(bool)
        rows = self.rows[involved]
        return self.source.iloc[rows[-n:] if n else rows[:0]], int(involved.sum())

    def _inside(self, start: pd.Timestamp, stop: pd.Timestamp) -> np.ndarray:
        facts = self.facts
        return ((facts["date"] < stop) & (facts["stop"] > start)).to_numpy(bool)

    def count_between(self, start: pd.Timestamp, stop: pd.Timestamp) -> int:
        """How many selected events overlap [start, stop) (a zoomed timeline's range)."""
        return int(self._inside(start, stop).sum())

    def rows_between(self, start: pd.Timestamp, stop: pd.Timestamp) -> np.ndarray:
        """Positions in ``source`` of the selected events that overlap [start, stop)."""
        return self.rows[self._inside(start, stop)]

    def events_between(self, start: pd.Timestamp, stop: pd.Timestamp) -> pd.DataFrame:
        """The selected events that overlap [start, stop), every column."""
        return self.source.iloc[self.rows_between(start, stop)]

    def bins(
        self, lanes: str, start: pd.Timestamp, stop: pd.Timestamp, type_labels: dict[str, str]
    ) -> Bins:
        """The events overlapping [start, stop) counted per timeline lane and bin."""
        facts = self.facts[self._inside(start, stop)]
        return timeline_bins(facts, lanes, start, stop, type_labels)

    def page(self, sort: str = "date", descending: bool = True, offset: int = 0,
             limit: int = 15) -> pd.DataFrame:  # fmt: skip
        """One page of the selected events, every column, sorted by ``sort`` (a column of
        :data:`PAGE_SORTS`), then by date and event id, in one direction."""
        facts = self.facts
        keys = page_keys(facts, sort)
        order = np.lexsort(keys[::-1])
        if descending:
            order = order[::-1]
        return self.source.iloc[self.rows[order[offset : offset + limit]]]


PAGE_SORTS = ("date", "event_type", "actor_1", "actor_2", "magnitude", "score")
"""Columns the events table can be sorted by, on both paths."""


def page_keys(facts: pd.DataFrame, sort: str) -> list[np.ndarray]:
    """Sort keys of a page, most significant first: ``sort``, then date, then event id.
    Missing values sort first (as the engine's ``NULLS FIRST``); ids and types by their text."""
    if sort not in PAGE_SORTS:
        raise ValueError(f"cannot sort events by {sort!r}; use one of {', '.join(PAGE_SORTS)}")
    date = facts["date"].to_numpy("datetime64[ns]").view("int64")
    keys = [date, _ranks(facts["event_id"])]
    if sort != "date":
        column = facts[sort]
        if sort in ("magnitude", "score"):
            values = column.to_numpy(float, na_value=np.nan)
            keys = [~np.isnan(values), np.nan_to_num(values, nan=-np.inf), *keys]
        else:
            keys = [column.notna().to_numpy(bool), _ranks(column), *keys]
    return keys


def _ranks(values: pd.Series) -> np.ndarray:
    """Each value's rank in text order (missing: -1), for ``numpy.lexsort``."""
    return pd.factorize(values.astype(object).map(str, na_action="ignore"), sort=True)[0]


def select(dataset: Dataset, filters: AnyFilters) -> Selection:
    """Apply every filter; the single entry point the views, briefing and notebook share.

    Cached per dataset for the last few distinct filter values, so views that ask for the same
    selection in one update compute it once.
    """
    return _select(dataset, Criteria.of(filters))


@dataclass(frozen=True)
class Plan:
    """What the filters ask of the events, resolved against the dataset: the one reading of
    the filters that both paths apply (in memory here, as a query in :mod:`alliances.engine`).

    ``allowed`` are the actors whose events may be shown (``None``: any); an event passes when
    its actor_1 or actor_2 is allowed, or one of its participants or targets is ``focused``.
    """

    window: Window
    focused: tuple[str, ...]
    allowed: tuple[str, ...] | None
    event_types: tuple[str, ...]  # known chosen types; empty: every type
    mode: str  # "any", "between" or "from" (with two or more focused actors)
    search: str  # stripped; empty: no text search
    notices: tuple[str, ...]
    relations: pd.DataFrame = field(repr=False, compare=False)


def plan(dataset: Dataset, filters: AnyFilters) -> Plan:
    """Resolve ``filters`` against ``dataset`` (cached): window, focus, allowed actors, types,
    link mode, the relations shown, and what could not be applied (``notices``)."""
    return _plan(dataset, Criteria.of(filters))


@per_dataset(maxsize=16)
def _plan(dataset: Dataset, filters: Criteria) -> Plan:
    notices: list[str] = []
    a = arrays(dataset)
    w = window(dataset, filters)
    start, stop = instant_ns(w.start), instant_ns(w.stop)
    focused = focus(dataset, filters, notices)
    allowed = allowed_actors(dataset, filters, focused)
    types = known_values(
        filters.event_types, list(dataset.event_types["id"]), "event types", notices
    )
    mode = link_mode(filters, focused, notices)
    known_values(filters.relation_types, dataset.relation_types["id"], "relation types", notices)
    known_values(filters.regions, set(a.region_of), "regions", notices)
    rel_mask = relation_mask(dataset, filters, start, stop) & relation_actors(
        dataset, allowed, focused, mode
    )
    if filters.start and filters.end and filters.start > filters.end:
        notices.append(
            f"'From' ({filters.start:%Y-%m-%d}) is after 'To' ({filters.end:%Y-%m-%d}): "
            f"showing {w.start:%Y-%m-%d} to {w.end:%Y-%m-%d}"
        )
    ids = dataset.actors["id"].to_numpy(object)
    return Plan(
        window=w,
        focused=tuple(focused),
        allowed=None if allowed is None else tuple(ids[np.flatnonzero(allowed[:-1])]),
        event_types=tuple(types),
        mode=mode,
        search=filters.search.strip(),
        notices=tuple(notices),
        relations=dataset.relations[rel_mask],
    )


@per_dataset(maxsize=16)
def _select(dataset: Dataset, filters: Criteria) -> Selection:
    if dataset.store is not None:  # the large path: the events stay in the engine
        return dataset.store.select(dataset, plan(dataset, filters))
    p = plan(dataset, filters)
    a = arrays(dataset)
    w = p.window
    start, stop = instant_ns(w.start), instant_ns(w.stop)
    focused = list(p.focused)
    allowed = allowed_actors(dataset, filters, focused)

    ev_mask = (a.ev_date < stop) & (a.ev_stop > start)
    types = list(dataset.event_types["id"])
    if p.event_types:
        ev_mask &= code_lookup(len(types), (types.index(t) for t in p.event_types))[a.ev_type]
    if allowed is not None:
        touching = allowed[a.ev_a1] | allowed[a.ev_a2]
        if focused and a.ev_has_lists.any():
            touching |= lists_touch(dataset, focused, ev_mask & ~touching)
        ev_mask &= touching
    if p.mode != "any":
        ev_mask &= linked_rows(dataset, focused, p.mode, ev_mask)
    rows = np.flatnonzero(ev_mask)
    if p.search:
        rows = rows[text_match(dataset.events.iloc[rows], p.search)]
    return Selection(
        rows, a.facts.iloc[rows], p.relations, w, p.focused, p.notices, dataset.events,
        weakref.ref(dataset),
    )  # fmt: skip


@per_dataset(maxsize=1)
def whole_links(dataset: Dataset) -> PairLinks:
    """The pairs every event of the dataset bears on, computed once: a selection takes its
    rows' links from here instead of expanding participants and targets on every change."""
    return pair_links(arrays(dataset).facts)


@per_dataset(maxsize=1)
def whole_series(dataset: Dataset) -> SeriesOrder:
    """Every event's running-total series and report order, computed once per dataset."""
    return series_order(arrays(dataset).facts)


def pair_temperature(dataset: Dataset, filters: AnyFilters) -> pd.DataFrame:
    """The quarterly temperature of the chosen pairs (``filters.pairs``, else the selection's
    default pairs) over the whole window: what the chart, its table and its CSV show."""
    return _pair_temperature(dataset, Criteria.of(filters), tuple(getattr(filters, "pairs", ())))


@per_dataset(maxsize=16)
def _pair_temperature(dataset: Dataset, criteria: Criteria, pairs: tuple[str, ...]) -> pd.DataFrame:
    return _select(dataset, criteria).temperature(pairs)


__all__ = [
    "AnyFilters",
    "ColumnArrays",
    "Criteria",
    "PairLinks",
    "Selection",
    "Window",
    "arrays",
    "as_of",
    "changes",
    "event_index",
    "event_row",
    "focus",
    "focused_pairs",
    "has_event",
    "kpis",
    "pair_codes",
    "pair_event_counts",
    "pair_label",
    "pair_links",
    "partners",
    "relation_mask",
    "relations_in_force",
    "select",
    "temperature",
    "text_match",
    "window",
]
