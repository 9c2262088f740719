"""The dashboard's queries, written once in ibis over the event facts (:mod:`.facts`).

Each function takes ibis tables and returns an ibis expression; :mod:`.store` runs them (on
DuckDB by default, or on the engine a connection URL names) and turns the few rows they return
into what :mod:`alliances.query` returns on the in-memory path. The semantics are the in-memory
path's, rule for rule (``tests/test_engine.py`` compares every query on both paths):

- the selection (:func:`selected`): the window (an event overlapping it at its precision), the
  event types, the allowed actors (actor_1 or actor_2 allowed, or a focused actor among the
  participants or targets), the link (``between``: two or more focused actors among its
  actors, participants and targets; ``from``: actor_1 the first focused actor and actor_2 or a
  target another), and the text search (:func:`search_ids`);
- the pairs an event bears on (:func:`links`): ``data/README.md``, "Scores", and
  :class:`alliances.aggregates.PairLinks`;
- running totals counted once (:mod:`.reports`): only the latest report of a series, as
  :func:`alliances.aggregates.latest_of_series`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import numpy as np

from .facts import AMOUNT, CUMULATIVE, text, unquoted

ACROSS, AGAINST, TOGETHER = 0, 1, 2  # as alliances.aggregates


@dataclass(frozen=True)
class Ask:
    """A :class:`alliances.query.Plan` in the facts' terms: days and codes."""

    first: int  # window: first and last day (days since 1970-01-01), inclusive
    last: int
    types: tuple[int, ...] | None  # event type codes; None: every type
    allowed: tuple[int, ...] | None  # actor codes; None: any actor
    focused: tuple[str, ...]  # ids, in the order chosen
    focused_codes: tuple[int, ...]
    mode: str
    search: str


def equal_any(column: ir.Value, values: Sequence) -> ir.BooleanValue:
    """Whether ``column`` equals one of ``values`` (null when it is null, as an equality): a
    bare ``IN``, which an engine checks against the files' statistics to skip row groups
    (DuckDB and Spark push it into their scan of a file; a ``COALESCE`` around it, as
    :func:`isin` has, stops that: 60 against 200 ms for one actor's rows of ``by_actor`` at
    1e8 events). Its SQL has one shape whatever the number of values, so that a choice of
    actors fills a template (:mod:`.compiled`) instead of being compiled anew."""
    if not values:
        return ibis.literal(False)
    return column.isin(list(values))


PAIR_BASE = 2**31
"""The factor of a pair's code (``lo * PAIR_BASE + hi``) in :func:`on_pairs`: above every
actor code, the same in every query."""


def on_pairs(t: ir.Table, lo: str, hi: str, pairs: Sequence[tuple[int, int]]) -> ir.BooleanValue:
    """Whether columns ``lo`` and ``hi`` of ``t`` form one of ``pairs``: the first actors and
    the second ones (:func:`equal_any`, what the statistics of a table sorted by ``lo`` and
    ``hi`` check), then the pair's code among the pairs' codes. Three ``IN`` tests, one shape
    however many pairs and whichever actors they share (an ``OR`` of equalities per pair was a
    new query for each pattern)."""
    if not pairs:
        return ibis.literal(False)
    firsts = sorted({a for a, _ in pairs})
    seconds = sorted({b for _, b in pairs})
    codes = sorted({a * PAIR_BASE + b for a, b in pairs})
    code = t[lo].cast("int64") * PAIR_BASE + t[hi].cast("int64")
    return equal_any(t[lo], firsts) & equal_any(t[hi], seconds) & code.isin(codes)


def isin(column: ir.Value, values: Sequence) -> ir.BooleanValue:
    """Whether ``column`` is one of ``values`` (never null, so that it can be negated; false
    for no values): an ``IN`` test evaluated row by row (the ``COALESCE`` keeps an engine from
    checking it against the files' statistics; where that should skip row groups,
    :func:`equal_any`)."""
    if not values:
        return ibis.literal(False)
    return column.isin(list(values)).fill_null(False)


LOOKUP_FROM = 4
"""From this many codes on, :func:`looked_up` looks a code up in a list of flags."""


def looked_up(column: ir.IntegerValue, codes: Sequence[int]) -> ir.BooleanValue:
    """Whether ``column`` is one of ``codes`` (small non-negative integers: actors), like
    :func:`isin`, for a test that cannot be pushed into a scan anyway (one of two columns,
    :func:`touching`): from :data:`LOOKUP_FROM` codes on, the flag at the code's position in
    a list, one step per row however many codes (an engine tests ``IN`` one value at a time:
    at 1e8 events, 44 actors against the actors of the yearly pairs' 7.6 M rows took 365 ms
    as ``IN``, 83 ms looked up; docs/performance.md)."""
    codes = [int(c) for c in codes]
    if len(codes) < LOOKUP_FROM or min(codes) < 0:
        return isin(column, codes)
    top, wanted = max(codes), set(codes)
    flags = ibis.literal([i in wanted for i in range(top + 1)], type="array<boolean>")
    return ibis.cases((column.between(0, top), flags[column]), else_=False).fill_null(False)


def touching(
    t: ir.Table, codes: Sequence[int], first: str = "a1", second: str = "a2"
) -> ir.BooleanValue:
    """Whether the actor ``first`` or ``second`` of a row of ``t`` is one of ``codes``."""
    return looked_up(t[first], codes) | looked_up(t[second], codes)


def holds_any(column: ir.StringValue, ids: Sequence[str]) -> ir.BooleanValue:
    """Whether a ``;A;B;`` list (:func:`.facts.id_list`) holds any of ``ids``: one regular
    expression of the ids as literals, so that the query has one shape however many actors
    are focused (a test per actor made a new shape, compiled anew, for each number)."""
    if not ids:
        return ibis.literal(False)
    pattern = ";(?:" + "|".join(re.escape(str(actor)) for actor in ids) + ");"
    return column.re_search(pattern).fill_null(False)


def whole(first: int, last: int, unit: str) -> tuple[int, int]:
    """The first and last months (``unit`` "M") or years ("Y") lying wholly inside the days
    [first, last], as numbers since 1970 (first > last when there is none)."""
    start, end = np.datetime64(int(first), "D"), np.datetime64(int(last), "D")
    lo, hi = start.astype(f"datetime64[{unit}]"), end.astype(f"datetime64[{unit}]")
    if lo.astype("datetime64[D]") != start:
        lo += 1
    if (hi + 1).astype("datetime64[D]") - 1 != end:
        hi -= 1
    return int(lo.astype(np.int64)), int(hi.astype(np.int64))


def in_window(f: ir.Table, first: int, last: int) -> ir.BooleanValue:
    """Events that overlap the days [first, last]."""
    return (f.day <= last) & (f.last >= first)


def selected(
    f: ir.Table, ask: Ask, matching: ir.Table | None = None, longest: int | None = None
) -> ir.Table:
    """The facts of the selected events (``matching``: the ids the text search found).

    ``longest``: the most days any event spans, when known; then no event starting earlier
    than that before the window can overlap it, and facts sorted by day skip those rows."""
    m = in_window(f, ask.first, ask.last)
    if longest is not None:
        m &= f.day >= ask.first - longest
    if ask.types is not None:
        m &= isin(f.type, ask.types)
    if ask.allowed is not None:
        hit = touching(f, ask.allowed)
        if ask.focused:
            hit |= holds_any(f.plist, ask.focused) | holds_any(f.tlist, ask.focused)
        m &= hit
    if ask.mode == "between":
        involved = [
            ibis.cases(
                (
                    (f.a1 == code).fill_null(False)
                    | (f.a2 == code).fill_null(False)
                    | holds_any(f.plist, [actor])
                    | holds_any(f.tlist, [actor]),
                    1,
                ),
                else_=0,
            )
            for actor, code in zip(ask.focused, ask.focused_codes, strict=True)
        ]
        m &= sum(involved[1:], involved[0]) >= 2
    elif ask.mode == "from":
        rest, rest_codes = ask.focused[1:], ask.focused_codes[1:]
        m &= (f.a1 == ask.focused_codes[0]).fill_null(False) & (
            isin(f.a2, rest_codes) | holds_any(f.tlist, rest)
        )
    chosen = f.filter(m)
    if matching is not None:
        chosen = chosen.filter(chosen.event_id.isin(matching.event_id))
    return chosen


def not_running(t: ir.Table) -> ir.Table:
    """The rows of ``t`` that are not running totals."""
    return t.filter(~is_running(t))


def search_ids(raw: ir.Table, needle: str, last_text: str) -> ir.Table:
    """Ids of the events whose title or description holds ``needle`` (case-insensitive,
    literal), among those starting on or before ``last_text`` (``YYYY-MM-DD``: a partial date
    compares as text as its first day does, so sorted files skip what comes after)."""
    needle = needle.lower()
    hit = unquoted(text(raw, "title")).lower().contains(needle).fill_null(False)
    hit |= unquoted(text(raw, "description")).lower().contains(needle).fill_null(False)
    return raw.filter(hit & (text(raw, "date") <= last_text)).select(event_id=text(raw, "event_id"))


def is_running(t: ir.Table) -> ir.BooleanValue:
    """Whether a row is a running total (``magnitude_basis`` cumulative, with a magnitude)."""
    return (t.basis == CUMULATIVE) & t.magnitude.notnull()


def listed(f: ir.Table) -> ir.Table:
    """The facts of the events with participants or targets."""
    return f.filter(f.plist.notnull() | f.tlist.notnull())


def year_of(month: ir.IntegerValue) -> ir.IntegerValue:
    """Years since 1970 of a month number (months since 1970-01)."""
    return (month // 12).cast("int32")


def type_counts(t: ir.Table) -> ir.Table:
    return t.group_by("type").agg(n=t.count())


def amounts(t: ir.Table) -> ir.Table:
    """The rows of ``t`` whose magnitude is an amount in a unit (added up in totals)."""
    return t.filter((t.basis == AMOUNT) & t.magnitude.notnull() & t.unit.notnull())


def amount_totals(t: ir.Table) -> ir.Table:
    """Totals per unit (``total``) of the amounts among the rows of ``t``."""
    rows = amounts(t)
    return rows.group_by("unit").agg(total=rows.magnitude.sum())


def latest_totals(latest: ir.Table) -> ir.Table:
    """Totals per unit (``total``) of the running totals that count
    (:func:`.reports.latest_reports`)."""
    rows = latest.filter(latest.unit.notnull())
    return rows.group_by("unit").agg(total=rows.magnitude.sum())


def unit_totals(t: ir.Table, latest: ir.Table) -> ir.Table:
    """Magnitude totals per unit: amounts added, running totals once (``latest``: the latest
    reports among the running totals of ``t``, :func:`.reports.latest_reports`; ``unit`` and
    ``magnitude`` are enough)."""
    rows = (
        amounts(t)
        .select("unit", "magnitude")
        .union(latest.filter(latest.unit.notnull()).select("unit", "magnitude"))
    )
    return rows.group_by("unit").agg(total=rows.magnitude.sum())


def _tokens(rows: ir.Table, column: str, codes: ir.Table) -> ir.Table:
    """(key, a2, code) for each known actor id in a ``;A;B;`` list column."""
    split = rows.select("key", "a2", token=rows[column].split(";").unnest())
    split = split.filter(split.token != "")
    joined = split.join(codes, split.token == codes.id)
    return joined.select("key", "a2", code=joined.code.cast("int32"))


def list_members(t: ir.Table, codes: ir.Table) -> ir.Table:
    """Each actor (``code``) named among the participants or targets of an event of ``t``,
    once, with the event's row of ``t``: the events a focused actor is in the lists of are
    then read from its own rows, without testing every list's text (:func:`selected` tests
    the text) nor joining the events again."""
    rows = t.filter(t.plist.notnull() | t.tlist.notnull()).select("a2", "plist", "tlist", key=t.row)
    named = _tokens(rows, "plist", codes).union(_tokens(rows, "tlist", codes))
    named = named.select("code", row=named.key).distinct()
    return named.join(t, "row")


def base_links(t: ir.Table) -> ir.Table:
    """The pair of each event's actor_1 and actor_2 (``ACROSS``, its own score): see
    :func:`links` for the columns."""
    base = t.filter(t.a2.notnull())
    return base.select(
        lo=ibis.least(base.a1, base.a2), hi=ibis.greatest(base.a1, base.a2),
        kind=ibis.literal(ACROSS, "int8"), score=base.score, month=base.month,
    )  # fmt: skip


def list_links(t: ir.Table, codes: ir.Table) -> ir.Table:
    """The pairs an event bears on through its participants and targets (see :func:`links`):
    its other acting actors with actor_2, the acting actors with one another, and the acting
    actors against each target. Only rows with a list take part: a small share of any data.
    Rows are keyed by ``row`` where the table has it (the rollups number them), else by id."""
    key = t.row if "row" in t.columns else t.event_id
    rows = t.filter(t.plist.notnull() | t.tlist.notnull()).select(
        "a1", "a2", "score", "month", "plist", "tlist", key=key
    )
    first = rows.select("key", "a2", code=rows.a1)
    acting = first.union(_tokens(rows, "plist", codes), distinct=True)
    acting = acting.filter(acting.a2.isnull() | (acting.code != acting.a2))
    acting = acting.select("key", x="code")
    targets = _tokens(rows, "tlist", codes)
    targets = targets.filter(targets.a2.isnull() | (targets.code != targets.a2))
    targets = targets.anti_join(acting, [targets.key == acting.key, targets.code == acting.x])
    targets = targets.select("key", y="code").distinct()
    facts = rows.select("key", "a1", "a2", "score", "month")

    across = acting.join(facts, "key")
    across = across.filter((across.x != across.a1) & across.a2.notnull())
    across = across.select(
        lo=ibis.least(across.x, across.a2), hi=ibis.greatest(across.x, across.a2),
        kind=ibis.literal(ACROSS, "int8"), score=across.score, month=across.month,
        key=across.key,
    )  # fmt: skip
    other = acting.select(key2="key", x2="x")
    together = acting.join(other, [acting.key == other.key2, acting.x < other.x2])
    together = together.join(facts, together.key == facts.key)
    together = together.select(
        lo=together.x, hi=together.x2, kind=ibis.literal(TOGETHER, "int8"),
        score=together.score.abs(), month=together.month, key=together.key,
    )  # fmt: skip
    against = acting.join(targets, "key").join(facts, "key")
    against = against.select(
        lo=ibis.least(against.x, against.y), hi=ibis.greatest(against.x, against.y),
        kind=ibis.literal(AGAINST, "int8"), score=-against.score.abs(), month=against.month,
        key=against.key,
    )  # fmt: skip
    return across.union(together).union(against)


def link_facts(t: ir.Table, codes: ir.Table) -> ir.Table:
    """Each pair an event with participants or targets bears on (:func:`list_links`), as a
    row with that event's facts, ``score`` being what the link adds: the links do not depend on
    the filters, so they are computed once per dataset (a rollup), and a selection filters them
    as it filters the facts (:func:`selected`, :func:`.reports.counted`)."""
    key = t.row if "row" in t.columns else t.event_id
    linked = list_links(t, codes).drop("month")
    own = t.drop("score").mutate(_key=key)
    joined = linked.join(own, linked.key == own._key)
    return joined.drop("key", "_key")


def links(t: ir.Table, codes: ir.Table) -> ir.Table:
    """Every (event, pair) an event of ``t`` bears on: columns ``lo``, ``hi`` (actor codes,
    ``lo < hi``), ``kind`` (``ACROSS``, ``AGAINST``, ``TOGETHER``), ``score`` (what it adds to
    the pair's temperature) and ``month``. ``codes``: actor ``id`` -> ``code``. The store runs
    its two parts apart (:func:`base_links`, :func:`list_links`), each reading the data once."""
    return base_links(t).union(list_links(t, codes).drop("key"))


def pairs_among(t: ir.Table, pairs: Sequence[tuple[int, int]], n_actors: int) -> ir.Table:
    """Rows of ``t`` whose actor_1 and actor_2 form one of ``pairs`` (codes): what a pair's
    temperature reads of the events without lists. One integer ``IN`` test (a row without
    actor_2 has no key), which an engine evaluates far faster than ORs of comparisons."""
    keys = [lo * n_actors + hi for lo, hi in pairs] + [hi * n_actors + lo for lo, hi in pairs]
    return t.filter((t.a1.cast("int64") * n_actors + t.a2.cast("int64")).isin(keys))


def days_from(t: ir.Table) -> ir.Table:
    """Events per first day, latest first: where the latest ``n`` events begin."""
    return t.group_by("day").agg(n=t.count()).order_by(ibis.desc("day"))


def pair_counts(linked: ir.Table) -> ir.Table:
    return linked.group_by("lo", "hi").agg(n=linked.count())


def temperature_cells(
    linked: ir.Table, pairs: Sequence[tuple[int, int]], first_quarter: int, last_quarter: int
) -> ir.Table:
    """Score sums and counts per (pair, quarter) for the chosen pairs, inside the quarters."""
    wanted = on_pairs(linked, "lo", "hi", pairs)
    # months compared as stored: an engine checks them against the files' statistics
    months = linked.month.between(first_quarter * 3, last_quarter * 3 + 2)
    inside = linked.filter(wanted & months)
    inside = inside.mutate(quarter=inside.month // 3)
    return inside.group_by("lo", "hi", "quarter").agg(score=inside.score.sum(), n=inside.count())


def lane_keys(t: ir.Table, n_actors: int) -> ir.IntegerValue:
    """A pair lane's key: the pair's code (``lo * n + hi``), or ``n * n + actor_1`` alone."""
    lo = ibis.least(t.a1, t.a2).cast("int64")
    hi = ibis.greatest(t.a1, t.a2).cast("int64")
    return ibis.cases(
        (t.a2.isnull(), t.a1.cast("int64") + n_actors * n_actors), else_=lo * n_actors + hi
    )


def bin_of(t: ir.Table, unit: str, origin: int, step: int, bins: int) -> ir.IntegerValue:
    """The timeline bin of each event's first day: bins of ``step`` days (``unit`` "day") or
    months ("month") from ``origin``, clipped to the first and last bin. The numbers are
    typed ``int32`` whatever their size, so that every window's query has one shape (ibis
    types an integer by its size, and a typed value in arithmetic is part of the shape)."""
    start, last = ibis.literal(int(origin), "int32"), ibis.literal(int(bins) - 1, "int32")
    position = (t.day - start) if unit == "day" else (t.month - start)
    return ibis.greatest(ibis.least(position // step, last), 0)


def page(t: ir.Table, sort: ir.Value | None, descending: bool, offset: int, limit: int) -> ir.Table:
    """Ids of one page of events sorted by ``sort`` (missing first), then day and id."""
    keys = [] if sort is None else [sort.isnull(), sort]
    keys += [t.day, t.event_id]
    order = [ibis.desc(k) if descending else ibis.asc(k) for k in keys]
    if sort is not None:  # missing values first ascending, last descending, as in memory
        order[0] = ibis.asc(keys[0]) if descending else ibis.desc(keys[0])
    return t.order_by(order).limit(limit, offset=offset).select("event_id", "day")
