"""What the analyst chose, as the query functions read it: the frozen :class:`Criteria`, and
the day window (:func:`window`) and network date (:func:`as_of`) resolved against the data.

The query, scope and engine modules share these; nothing here tests an event or a relation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import pandas as pd

from .dataset import Dataset
from .state import Filters

DAY = pd.Timedelta(days=1)


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
