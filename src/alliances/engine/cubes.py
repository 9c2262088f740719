"""The rollups' tables as queries on the event facts (what :mod:`.rollups` writes once per
dataset), and the filters that read only a few actors' or pairs' rows of them.

Each is sorted so that what a selection asks of it is a few row groups: the copy by actor
(:func:`by_actor`) by actor, other actor and day; the months by actor and by pair
(:func:`actor_months`, :func:`pair_months`) and the scores by pair and month
(:func:`pair_scores`) by actor or pair; the counts and totals by year, type and pair
(:func:`year_pair_counts`, :func:`unit_pairs`) by year. :mod:`.selection` adds them up.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from . import queries


def under_each(t: ir.Table, first: str, second: str, order: Sequence[str]) -> ir.Table:
    """Every row of ``t`` once under its ``first`` actor and once more under its ``second``
    (when it has another one): ``key`` the actor it is under, ``other`` the other one; sorted
    by ``key``, then ``order``. A choice of actors then reads only its actors' row groups
    (:func:`actor_rows`)."""
    two = t.filter(t[second].notnull() & (t[second] != t[first]))
    return (
        t.mutate(key=t[first], other=t[second])
        .union(two.mutate(key=two[second], other=two[first]))
        .order_by(["key", *order])
    )


def by_actor(f: ir.Table) -> ir.Table:
    """Every event once under its actor_1 and once under its actor_2 (``key``, the other one
    ``other``), sorted by actor, other actor, then day: the rollup that a choice of actors
    (:func:`actor_rows`) and a pair's temperature (:func:`pair_rows`) read only the row
    groups of, instead of every event."""
    return under_each(f, "a1", "a2", ["other", "day"])


BY_ACTOR = {
    "pairs": ("lo", "hi", ["year", "type", "other"]),
    "links": ("a1", "a2", ["day"]),
    "running": ("a1", "a2", ["row"]),
}
"""The rollups that have a copy by actor (:func:`under_each`, ``NAME_by_actor.parquet``): the
columns of their two actors, and the order within an actor. ``pairs`` and ``unit_pairs``
(whose rows are pairs of actor_1 and actor_2, ``lo`` and ``hi``): a choice of actors adds up
whole years from its actors' rows; ``links`` (the links of the events with lists, under the
events' actor_1 and actor_2): its pair counts read its actors' links only; ``running`` (the
running totals): the latest report of each of its series reads its actors' reports only."""
BY_ACTOR["unit_pairs"] = BY_ACTOR["pairs"]


def copy_by_actor(name: str, t: ir.Table) -> ir.Table:
    """The copy by actor of the rollup ``name`` (:data:`BY_ACTOR`)."""
    first, second, order = BY_ACTOR[name]
    return under_each(t, first, second, order)


def actor_months(f: ir.Table) -> ir.Table:
    """Events per actor (as actor_1 or actor_2, each event once per actor), month and type,
    sorted by actor: at most actors x months x types rows however many events. A choice of
    actors adds up its actors' rows and takes away, once, the events both of whose actors are
    chosen (:func:`both_chosen`, from :func:`pair_months`)."""
    copies = by_actor(f)
    return (
        copies.group_by("key", "month", "type")
        .agg(n=copies.count())
        .order_by(["key", "month", "type"])
    )


def pair_months(f: ir.Table) -> ir.Table:
    """Events per pair of two different actors (``lo``, ``hi``), month and type, sorted by
    pair: the events a choice of actors counts twice in :func:`actor_months` are those of the
    pairs both of whose actors are chosen."""
    two = f.filter(f.a2.notnull() & (f.a2 != f.a1))
    cells = two.select(
        lo=ibis.least(two.a1, two.a2), hi=ibis.greatest(two.a1, two.a2),
        month=two.month, type=two.type,
    )  # fmt: skip
    return (
        cells.group_by("lo", "hi", "month", "type")
        .agg(n=cells.count())
        .order_by(["lo", "hi", "month", "type"])
    )


def both_chosen(cube: ir.Table, actors: Sequence[int]) -> ir.Table:
    """The rows of :func:`pair_months` both of whose actors are among ``actors`` (the actors as
    one ``IN`` on ``lo``: the files' statistics then skip the other actors' row groups)."""
    return cube.filter(queries.equal_any(cube.lo, actors) & queries.isin(cube.hi, actors))


def actor_rows(copies: ir.Table, actors: Sequence[int], first: str = "a1") -> ir.Table:
    """The rows whose actor ``first`` or the other one is one of ``actors``, each once, from a
    copy by actor (:func:`under_each`; the actors as one ``IN``: the files' statistics then
    skip the other actors' row groups)."""
    key = queries.equal_any(copies.key, actors)
    once = (copies.key == copies[first]) | ~queries.looked_up(copies[first], actors)
    return copies.filter(key & once).drop("key", "other")


def pair_rows(copies: ir.Table, pairs: Sequence[tuple[int, int]]) -> ir.Table:
    """The events whose actor_1 and actor_2 form one of ``pairs`` (``lo < hi`` codes), each
    once (under ``lo``), from :func:`by_actor`'s rows."""
    return copies.filter(queries.on_pairs(copies, "key", "other", pairs)).drop("key", "other")


def pair_scores(f: ir.Table) -> ir.Table:
    """Score sums and counts per pair (actor_1 and actor_2), month and type of the events
    that are not running totals (those count once, :func:`counted`): the rollup a pair's
    temperature adds its whole months up from, by quarter. Sorted by pair, so that a few
    pairs read only their row groups."""
    base = f.filter(f.a2.notnull() & ~queries.is_running(f))
    cells = base.select(
        lo=ibis.least(base.a1, base.a2), hi=ibis.greatest(base.a1, base.a2),
        month=base.month, type=base.type, score=base.score,
    )  # fmt: skip
    return (
        cells.group_by("lo", "hi", "month", "type")
        .agg(score=cells.score.sum(), n=cells.count())
        .order_by(["lo", "hi", "month", "type"])
    )


def of_pairs(cells: ir.Table, pairs: Sequence[tuple[int, int]]) -> ir.Table:
    """The rows of ``cells`` (with ``lo`` and ``hi``) for ``pairs`` (:func:`.queries.on_pairs`,
    which the files' statistics can check)."""
    return cells.filter(queries.on_pairs(cells, "lo", "hi", pairs))


def year_pairs(t: ir.Table, **extra: ir.Value) -> ir.Table:
    """Each row's year (of its first day), type and pair of actor_1 and actor_2 (``lo``,
    ``hi``; ``hi`` empty without actor_2), with the ``extra`` columns: what the rollups by
    year and pair group."""
    alone = t.a2.isnull()
    return t.select(
        year=queries.year_of(t.month), type=t.type,
        lo=ibis.cases((alone, t.a1), else_=ibis.least(t.a1, t.a2)),
        hi=ibis.cases((alone, ibis.null("int32")), else_=ibis.greatest(t.a1, t.a2)),
        **extra,
    )  # fmt: skip


def month_pair_counts(f: ir.Table) -> ir.Table:
    """Events per month (of their first day), type and pair (:func:`year_pairs`), sorted by
    month: a window's whole months in the partial years at its edges read their row groups
    only, where the facts of those years are tens of times as many rows."""
    cells = year_pairs(f, month=f.month).drop("year")
    return (
        cells.group_by("month", "type", "lo", "hi")
        .agg(n=cells.count())
        .order_by(["month", "type", "lo", "hi"])
    )


def outside_years(months: ir.Table, start: int, end: int, years: tuple[int, int]) -> ir.Table:
    """The rows of :func:`month_pair_counts` in the months ``start`` to ``end`` but not in the
    ``years`` (first and last, as numbers since 1970): a window's whole months that its whole
    years leave out (at 1e8 events, 96-100 ms per window selection with the rest from the
    facts, against 169-179 ms for the partial years from the facts; docs/performance.md)."""
    first, last = years
    outside = (months.month < first * 12) | (months.month > last * 12 + 11)
    return months.filter(months.month.between(start, end) & outside)


def year_pair_counts(f: ir.Table) -> ir.Table:
    """Events per year, type and pair (:func:`year_pairs`): at most years x types x pairs
    rows however many events, from which the counts by type and by pair of any choice of
    window, types and actors are added up."""
    cells = year_pairs(f)
    return (
        cells.group_by("year", "type", "lo", "hi")
        .agg(n=cells.count())
        .order_by(["year", "type", "lo", "hi"])
    )


def cell_counts(t: ir.Table) -> ir.Table:
    """Rows of ``t`` per type and pair (:func:`year_pairs`), as ``n``."""
    cells = year_pairs(t)
    return cells.group_by("type", "lo", "hi").agg(n=cells.count())


def unit_pairs(f: ir.Table) -> ir.Table:
    """The totals of the amounts per year, type, pair (:func:`year_pairs`) and unit: the
    rollup the KPIs' totals of any choice of window, types and actors add whole years up
    from."""
    rows = queries.amounts(f)
    cells = year_pairs(rows, unit=rows.unit, magnitude=rows.magnitude)
    return (
        cells.group_by("year", "type", "lo", "hi", "unit")
        .agg(total=cells.magnitude.sum())
        .order_by(["year", "type", "lo", "hi", "unit"])
    )
