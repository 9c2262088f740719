"""Pure functions from (Dataset, Filters) to DataFrames: what every view shows.

Nothing here imports Panel or plotly. Masks are computed on categorical codes and int64 dates,
so a filter change over a million events stays in the tens of milliseconds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import pandas as pd

# The derived tables live in aggregates.py; they are re-exported here so that views, briefings
# and notebooks ask one module for what the filters select and what follows from it.
from .aggregates import (
    Bins,
    PairLinks,
    changes,
    focused_pairs,
    kpis,
    pair_codes,
    pair_event_counts,
    pair_label,
    pair_links,
    temperature,
    timeline_bins,
)
from .cache import per_dataset
from .dataset import Dataset
from .state import Filters

DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class ColumnArrays:
    """Numpy views of the columns the filters test, computed once per dataset."""

    ev_date: np.ndarray  # int64 ns
    ev_stop: np.ndarray
    ev_a1: np.ndarray  # actor codes, -1 = missing
    ev_a2: np.ndarray
    ev_type: np.ndarray
    ev_has_lists: np.ndarray  # participants or targets given
    rel_start: np.ndarray
    rel_stop: np.ndarray  # int64 ns, max int64 when still in force
    rel_a: np.ndarray
    rel_b: np.ndarray
    rel_type: np.ndarray
    rel_polarity: np.ndarray
    actor_index: dict[str, int]
    region_of: np.ndarray  # region name per actor code
    facts: pd.DataFrame  # the events' columns without free text: cheap to filter a million rows


# Event columns without free text: what counts, charts and metrics need. Filtering these is
# several times cheaper than filtering titles and descriptions, which only a few views read.
FACT_COLUMNS = (
    "event_id", "date", "end_date", "stop", "date_precision", "end_precision", "event_type",
    "actor_1", "actor_2", "participants", "targets", "magnitude", "unit", "magnitude_basis",
    "stage", "confidence", "relation_id", "score",
)  # fmt: skip


@per_dataset(maxsize=1)
def arrays(dataset: Dataset) -> ColumnArrays:
    ev, rel = dataset.events, dataset.relations
    far = np.iinfo("int64").max
    return ColumnArrays(
        ev_date=ev["date"].to_numpy("datetime64[ns]").view("int64"),
        ev_stop=ev["stop"].to_numpy("datetime64[ns]").view("int64"),
        ev_a1=ev["actor_1"].cat.codes.to_numpy(),
        ev_a2=ev["actor_2"].cat.codes.to_numpy(),
        ev_type=ev["event_type"].cat.codes.to_numpy(),
        ev_has_lists=(ev["participants"].notna() | ev["targets"].notna()).to_numpy(),
        rel_start=rel["start_date"].to_numpy("datetime64[ns]").view("int64"),
        rel_stop=np.where(
            rel["end_stop"].isna(), far, rel["end_stop"].to_numpy("datetime64[ns]").view("int64")
        ),
        rel_a=rel["actor_a"].cat.codes.to_numpy(),
        rel_b=rel["actor_b"].cat.codes.to_numpy(),
        rel_type=rel["relation_type"].cat.codes.to_numpy(),
        rel_polarity=rel["polarity"].to_numpy(),
        actor_index={a: i for i, a in enumerate(dataset.actors["id"])},
        region_of=dataset.actors["region"].to_numpy(object),
        facts=ev[[c for c in FACT_COLUMNS if c in ev.columns]],
    )


def _ns(value: dt.date | pd.Timestamp) -> int:
    return pd.Timestamp(value).value


def _lookup(size: int, codes: Iterable[int]) -> np.ndarray:
    table = np.zeros(size + 1, bool)  # last slot: code -1 (missing) stays False
    idx = np.fromiter(codes, int)
    if idx.size:
        table[idx] = True
    return table


@dataclass(frozen=True)
class Criteria:
    """The filter values that decide a selection, frozen so selections can be cached."""

    start: dt.date | None = None
    end: dt.date | None = None
    actors: tuple[str, ...] = ()
    include_partners: bool = False
    link: str = "any"
    event_types: tuple[str, ...] = ()
    relation_types: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    search: str = ""
    as_of: dt.date | None = None

    def for_relations(self) -> Criteria:
        """These criteria without those only events answer to (event types, the text search):
        the key of results about relations alone (relations in force, their centrality), so
        that a change of event types finds them cached."""
        return replace(self, event_types=(), search="")

    @classmethod
    def of(cls, filters: Filters | Criteria) -> Criteria:
        if isinstance(filters, Criteria):
            return filters
        return cls(
            start=filters.start,
            end=filters.end,
            actors=tuple(filters.actors),
            include_partners=bool(filters.include_partners),
            link=getattr(filters, "link", "any") or "any",
            event_types=tuple(filters.event_types),
            relation_types=tuple(filters.relation_types),
            regions=tuple(filters.regions),
            search=filters.search or "",
            as_of=filters.as_of,
        )


AnyFilters = Filters | Criteria
"""Anything the query functions accept as filters."""


@per_dataset(maxsize=1)
def event_index(dataset: Dataset) -> pd.Index:
    """The dataset's event ids, hashed once, for membership tests."""
    return pd.Index(dataset.events["event_id"])


def event_row(dataset: Dataset, event_id: str) -> pd.Series | None:
    """One event by id, every column (``None`` if the dataset has none): the detail card's."""
    if dataset.store is not None:
        return dataset.store.event_row(str(event_id))
    position = event_index(dataset).get_indexer_for([event_id])[0]
    return None if position < 0 else dataset.events.iloc[position]


def has_event(dataset: Dataset, event_id: str) -> bool:
    """Whether the dataset holds an event with this id (a link's ``event=``)."""
    return event_row(dataset, event_id) is not None


@dataclass(frozen=True)
class Window:
    """The inclusive day window [start, end] the analyst chose, resolved against the data."""

    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def stop(self) -> pd.Timestamp:
        """Exclusive end."""
        return self.end + DAY


def window(dataset: Dataset, filters: AnyFilters) -> Window:
    """The chosen window; a missing bound is the data's (or today, for a dataset with no dates).

    Bounds given the wrong way round are swapped; a single bound beyond the data gives an
    empty window at that bound rather than a window reaching back into the data.
    """
    first, last = dataset.span
    today = pd.Timestamp.today().normalize()
    first = today if pd.isna(first) else first.normalize()
    last = today if pd.isna(last) else last.normalize()
    start = pd.Timestamp(filters.start) if filters.start else None
    end = pd.Timestamp(filters.end) if filters.end else None
    if start is not None and end is not None:
        return Window(*sorted((start, end)))
    if start is not None:
        return Window(start, max(start, last))
    if end is not None:
        return Window(min(end, first), end)
    return Window(first, last)


def as_of(dataset: Dataset, filters: AnyFilters) -> pd.Timestamp:
    """The network view's date: the chosen one, else the window's end."""
    return pd.Timestamp(filters.as_of) if filters.as_of else window(dataset, filters).end


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
    @cached_property
    def links(self) -> PairLinks:
        """The pairs each selected event bears on (see :class:`~.aggregates.PairLinks`)."""
        return pair_links(self.facts)

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
            self.facts, chosen, start=self.window.start, stop=self.window.stop, links=self.links
        )

    def kpis(self) -> dict[str, object]:
        """Events per type and totals per unit (see :func:`~.aggregates.kpis`)."""
        return kpis(self.facts)

    def actor_events(self, actor: str, n: int) -> tuple[pd.DataFrame, int]:
        """The ``n`` latest selected events with ``actor`` as actor_1 or actor_2 (oldest
        first), and how many there are: the actor card's."""
        facts = self.facts
        involved = ((facts["actor_1"] == actor) | (facts["actor_2"] == actor)).to_numpy(bool)
        rows = self.rows[involved]
        return self.source.iloc[rows[-n:] if n else rows[:0]], int(involved.sum())

    def _inside(self, start: pd.Timestamp, stop: pd.Timestamp) -> np.ndarray:
        light = self.facts
        return ((light["date"] < stop) & (light["stop"] > start)).to_numpy(bool)

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
        light = self.facts[self._inside(start, stop)]
        return timeline_bins(light, lanes, start, stop, type_labels)

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


def _known(values: Iterable[str], known: Iterable[str], what: str, notices: list[str]) -> list[str]:
    """The known values; unknown ones are dropped with a notice (all unknown: no restriction)."""
    known = set(known)
    good = [v for v in values if v in known]
    bad = [v for v in values if v not in known]
    if bad:
        notices.append(f"unknown {what} ignored: {', '.join(map(str, bad[:5]))}")
    return good


def relation_mask(dataset: Dataset, filters: AnyFilters, start: int, stop: int) -> np.ndarray:
    """Relations of the chosen types that are in force at some point in [start, stop)."""
    a = arrays(dataset)
    mask = (a.rel_start < stop) & (a.rel_stop > start)
    types = list(dataset.relation_types["id"])
    codes = [types.index(t) for t in filters.relation_types if t in types]
    if codes:
        mask &= _lookup(len(types), codes)[a.rel_type]
    return mask


def partners(dataset: Dataset, filters: AnyFilters, actors: Iterable[str]) -> set[str]:
    """Actors aligned (polarity +1) with any of ``actors`` by a relation in force in the window."""
    a = arrays(dataset)
    w = window(dataset, filters)
    mask = relation_mask(dataset, filters, _ns(w.start), _ns(w.stop)) & (a.rel_polarity > 0)
    codes = _lookup(len(a.actor_index), (a.actor_index[x] for x in actors if x in a.actor_index))
    ids = dataset.actors["id"].to_numpy(object)
    touching_a, touching_b = mask & codes[a.rel_a], mask & codes[a.rel_b]
    return set(ids[a.rel_b[touching_a]]) | set(ids[a.rel_a[touching_b]])


def focus(dataset: Dataset, filters: AnyFilters, notices: list[str] | None = None) -> list[str]:
    """The focused actors: the chosen ones, plus their partners if asked."""
    notices = [] if notices is None else notices
    chosen = _known(filters.actors, dataset.actor_ids, "actor ids", notices)
    if chosen and filters.include_partners:
        extra = partners(dataset, filters, chosen) - set(chosen)
        chosen = chosen + sorted(extra)
    return chosen


def _actor_allowed(dataset: Dataset, filters: AnyFilters, focused: list[str]) -> np.ndarray | None:
    """Per actor code: may rows touching this actor be shown? ``None`` = no restriction."""
    a = arrays(dataset)
    n = len(a.actor_index)
    allowed = None
    if focused:
        allowed = _lookup(n, (a.actor_index[x] for x in focused))
    regions = [r for r in filters.regions if r in set(a.region_of)]
    if regions:
        in_region = np.append(np.isin(a.region_of, regions), False)
        allowed = in_region if allowed is None else allowed & in_region
    return allowed


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
    start, stop = _ns(w.start), _ns(w.stop)
    focused = focus(dataset, filters, notices)
    allowed = _actor_allowed(dataset, filters, focused)
    types = _known(filters.event_types, list(dataset.event_types["id"]), "event types", notices)
    mode = _link_mode(filters, focused, notices)
    _known(filters.relation_types, dataset.relation_types["id"], "relation types", notices)
    _known(filters.regions, set(a.region_of), "regions", notices)
    rel_mask = relation_mask(dataset, filters, start, stop) & _relation_actors(
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
    start, stop = _ns(w.start), _ns(w.stop)
    focused = list(p.focused)
    allowed = _actor_allowed(dataset, filters, focused)

    ev_mask = (a.ev_date < stop) & (a.ev_stop > start)
    types = list(dataset.event_types["id"])
    if p.event_types:
        ev_mask &= _lookup(len(types), (types.index(t) for t in p.event_types))[a.ev_type]
    if allowed is not None:
        touching = allowed[a.ev_a1] | allowed[a.ev_a2]
        if focused and a.ev_has_lists.any():
            touching |= _lists_touch(dataset, focused, ev_mask & ~touching)
        ev_mask &= touching
    if p.mode != "any":
        ev_mask &= _linked(dataset, focused, p.mode, ev_mask)
    rows = np.flatnonzero(ev_mask)
    if p.search:
        rows = rows[text_match(dataset.events.iloc[rows], p.search)]
    return Selection(rows, a.facts.iloc[rows], p.relations, w, p.focused, p.notices, dataset.events)


def _id_lists(dataset: Dataset, column: str, rows: np.ndarray) -> list[set[str]]:
    values = dataset.events[column].iloc[rows].astype(object)
    return [
        {p.strip() for p in v.split(";") if p.strip()} if isinstance(v, str) else set()
        for v in values
    ]


def _lists_touch(dataset: Dataset, focused: list[str], candidates: np.ndarray) -> np.ndarray:
    """Rows among ``candidates`` whose participants or targets include a focused actor."""
    out = np.zeros(len(candidates), bool)
    idx = np.flatnonzero(candidates & arrays(dataset).ev_has_lists)
    if idx.size:
        wanted = set(focused)
        lists = zip(
            _id_lists(dataset, "participants", idx), _id_lists(dataset, "targets", idx), strict=True
        )
        out[idx] = [bool(wanted & (p | t)) for p, t in lists]
    return out


def _link_mode(filters: AnyFilters, focused: list[str], notices: list[str]) -> str:
    mode = getattr(filters, "link", "any") or "any"
    if mode != "any" and len(focused) < 2:
        notices.append(f"'{mode}' needs two or more actors: showing any event of the chosen one")
        return "any"
    return mode


def _linked(dataset: Dataset, focused: list[str], mode: str, candidates: np.ndarray) -> np.ndarray:
    """Rows among ``candidates`` between two or more focused actors (``between``), or from the
    first chosen actor to another (``from``: actor_1 is the first, and actor_2 or a target is
    one of the others)."""
    a = arrays(dataset)
    codes = [a.actor_index[x] for x in focused]
    out = np.zeros(len(candidates), bool)
    if mode == "from":
        others = _lookup(len(a.actor_index), codes[1:])
        out = candidates & (a.ev_a1 == codes[0]) & others[a.ev_a2]
        rest = np.flatnonzero(candidates & (a.ev_a1 == codes[0]) & ~out & a.ev_has_lists)
        if rest.size:
            wanted = set(focused[1:])
            out[rest] = [bool(wanted & t) for t in _id_lists(dataset, "targets", rest)]
        return out
    chosen = _lookup(len(a.actor_index), codes)
    count = chosen[a.ev_a1].astype(np.int8) + chosen[a.ev_a2]
    out = candidates & (count >= 2)
    rest = np.flatnonzero(candidates & ~out & a.ev_has_lists)
    if rest.size:
        wanted = set(focused)
        first = dataset.events["actor_1"].astype(object).iloc[rest]
        second = dataset.events["actor_2"].astype(object).iloc[rest]
        lists = zip(
            first, second, _id_lists(dataset, "participants", rest),
            _id_lists(dataset, "targets", rest), strict=True,
        )  # fmt: skip
        out[rest] = [len(wanted & ({x, y} | p | t)) >= 2 for x, y, p, t in lists]
    return out


def text_match(events: pd.DataFrame, text: str) -> np.ndarray:
    """Rows whose title or description contains ``text`` (case-insensitive, literal)."""
    needle = text.strip()
    hit = events["title"].str.contains(needle, case=False, regex=False, na=False)
    hit |= events["description"].str.contains(needle, case=False, regex=False, na=False)
    return hit.to_numpy(bool)


# --------------------------------------------------------------------------- derived tables


def relations_in_force(
    dataset: Dataset, filters: AnyFilters, when: pd.Timestamp | None = None
) -> pd.DataFrame:
    """Relations in force on one day (default: the network's as-of date) that the filters show."""
    when = as_of(dataset, filters) if when is None else pd.Timestamp(when)
    return _in_force(dataset, Criteria.of(filters).for_relations(), when.normalize())


@per_dataset(maxsize=16)
def _in_force(dataset: Dataset, filters: Criteria, when: pd.Timestamp) -> pd.DataFrame:
    day = _ns(when.normalize())
    mask = relation_mask(dataset, filters, day, day + DAY.value)
    focused = focus(dataset, filters)
    allowed = _actor_allowed(dataset, filters, focused)
    mask &= _relation_actors(dataset, allowed, focused, _link_mode(filters, focused, []))
    return dataset.relations[mask]


def pair_temperature(dataset: Dataset, filters: AnyFilters) -> pd.DataFrame:
    """The quarterly temperature of the chosen pairs (``filters.pairs``, else the selection's
    default pairs) over the whole window: what the chart, its table and its CSV show."""
    return _pair_temperature(dataset, Criteria.of(filters), tuple(getattr(filters, "pairs", ())))


@per_dataset(maxsize=16)
def _pair_temperature(dataset: Dataset, criteria: Criteria, pairs: tuple[str, ...]) -> pd.DataFrame:
    return _select(dataset, criteria).temperature(pairs)


def _relation_actors(
    dataset: Dataset, allowed: np.ndarray | None, focused: list[str], mode: str
) -> np.ndarray | bool:
    """Relations the actor filters keep: touching a focused actor; between two of them when
    only events between them are asked for; inside the regions (both ends) without a focus."""
    if allowed is None:
        return True
    a = arrays(dataset)
    if focused and mode == "any":
        return allowed[a.rel_a] | allowed[a.rel_b]
    return allowed[a.rel_a] & allowed[a.rel_b]


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
