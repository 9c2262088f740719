"""Which actors and relations the filters keep: the focused actors and their partners, the
actors allowed by focus and regions, the link mode, the relations in force, and the row tests
(participants and targets, links between focused actors, the text search) that
:func:`alliances.query.select` applies to the events.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from .aggregates import id_lists
from .cache import per_dataset
from .columns import arrays, code_lookup, instant_ns
from .criteria import DAY, AnyFilters, Criteria, as_of, window
from .dataset import Dataset


def known_values(
    values: Iterable[str], known: Iterable[str], what: str, notices: list[str]
) -> list[str]:
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
        mask &= code_lookup(len(types), codes)[a.rel_type]
    return mask


def partners(dataset: Dataset, filters: AnyFilters, actors: Iterable[str]) -> set[str]:
    """Actors aligned (polarity +1) with any of ``actors`` by a relation in force in the window."""
    a = arrays(dataset)
    w = window(dataset, filters)
    mask = relation_mask(dataset, filters, instant_ns(w.start), instant_ns(w.stop)) & (
        a.rel_polarity > 0
    )
    codes = code_lookup(
        len(a.actor_index), (a.actor_index[x] for x in actors if x in a.actor_index)
    )
    ids = dataset.actors["id"].to_numpy(object)
    touching_a, touching_b = mask & codes[a.rel_a], mask & codes[a.rel_b]
    return set(ids[a.rel_b[touching_a]]) | set(ids[a.rel_a[touching_b]])


def focus(dataset: Dataset, filters: AnyFilters, notices: list[str] | None = None) -> list[str]:
    """The focused actors: the chosen ones, plus their partners if asked."""
    notices = [] if notices is None else notices
    chosen = known_values(filters.actors, dataset.actor_ids, "actor ids", notices)
    if chosen and filters.include_partners:
        extra = partners(dataset, filters, chosen) - set(chosen)
        chosen = chosen + sorted(extra)
    return chosen


def allowed_actors(dataset: Dataset, filters: AnyFilters, focused: list[str]) -> np.ndarray | None:
    """Per actor code: may rows touching this actor be shown? ``None`` = no restriction."""
    a = arrays(dataset)
    n = len(a.actor_index)
    allowed = None
    if focused:
        allowed = code_lookup(n, (a.actor_index[x] for x in focused))
    regions = [r for r in filters.regions if r in set(a.region_of)]
    if regions:
        in_region = np.append(np.isin(a.region_of, regions), False)
        allowed = in_region if allowed is None else allowed & in_region
    return allowed


def _id_lists(dataset: Dataset, column: str, rows: np.ndarray) -> list[set[str]]:
    return [set(ids) for ids in id_lists(dataset.events[column].iloc[rows])]


def lists_touch(dataset: Dataset, focused: list[str], candidates: np.ndarray) -> np.ndarray:
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


def link_mode(filters: AnyFilters, focused: list[str], notices: list[str]) -> str:
    mode = getattr(filters, "link", "any") or "any"
    if mode != "any" and len(focused) < 2:
        notices.append(f"'{mode}' needs two or more actors: showing any event of the chosen one")
        return "any"
    return mode


def linked_rows(
    dataset: Dataset, focused: list[str], mode: str, candidates: np.ndarray
) -> np.ndarray:
    """Rows among ``candidates`` between two or more focused actors (``between``), or from the
    first chosen actor to another (``from``: actor_1 is the first, and actor_2 or a target is
    one of the others)."""
    a = arrays(dataset)
    codes = [a.actor_index[x] for x in focused]
    out = np.zeros(len(candidates), bool)
    if mode == "from":
        others = code_lookup(len(a.actor_index), codes[1:])
        out = candidates & (a.ev_a1 == codes[0]) & others[a.ev_a2]
        rest = np.flatnonzero(candidates & (a.ev_a1 == codes[0]) & ~out & a.ev_has_lists)
        if rest.size:
            wanted = set(focused[1:])
            out[rest] = [bool(wanted & t) for t in _id_lists(dataset, "targets", rest)]
        return out
    chosen = code_lookup(len(a.actor_index), codes)
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


def relations_in_force(
    dataset: Dataset, filters: AnyFilters, when: pd.Timestamp | None = None
) -> pd.DataFrame:
    """Relations in force on one day (default: the network's as-of date) that the filters show."""
    when = as_of(dataset, filters) if when is None else pd.Timestamp(when)
    return _in_force(dataset, Criteria.of(filters).for_relations(), when.normalize())


@per_dataset(maxsize=16)
def _in_force(dataset: Dataset, filters: Criteria, when: pd.Timestamp) -> pd.DataFrame:
    day = instant_ns(when.normalize())
    mask = relation_mask(dataset, filters, day, day + DAY.value)
    focused = focus(dataset, filters)
    allowed = allowed_actors(dataset, filters, focused)
    mask &= relation_actors(dataset, allowed, focused, link_mode(filters, focused, []))
    return dataset.relations[mask]


def relation_actors(
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
