"""Running totals counted once: a running total (``magnitude_basis`` cumulative, with a
magnitude) counts only as the latest report of its series (type, actors, unit) among the
selected events, latest by day, then by event id (as
:func:`alliances.aggregates.latest_of_series`; docs/engine.md, "Running totals counted once").

:func:`running` numbers the reports once for all, :func:`report_spans` adds what
:func:`latest_at` needs to find a window's latest reports without grouping them,
:func:`latest_reports` and :func:`latest_among` group where that does not apply, and
:func:`counted` keeps the rows that count.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from .queries import is_running

SERIES = ("type", "a1", "a2", "unit")
"""What makes a series of running totals: its type, actors and unit."""


def running(f: ir.Table) -> ir.Table:
    """The facts of the running totals (``magnitude_basis`` cumulative, with a magnitude),
    each numbered once for all: ``series`` (one number per type, actors and unit) and ``seq``
    (its place in the order of reports: by day, then event id). The latest report of a series
    among any rows is then the one with the highest ``seq``: one aggregation, no join on text."""
    runs = f.filter(is_running(f))
    order = (
        runs.row if "row" in runs.columns else ibis.row_number().over(order_by=["day", "event_id"])
    )
    return runs.mutate(
        series=ibis.dense_rank().over(order_by=list(SERIES)).cast("int64"),
        seq=order.cast("int64"),
    )


NO_NEXT = 2**31 - 1
"""The ``upto`` of a series' last report (:func:`report_spans`): no next report."""


def report_spans(runs: ir.Table) -> ir.Table:
    """The running totals (rows of :func:`running`) with what :func:`latest_at` reads: ``upto``,
    the first day of the series' next report (:data:`NO_NEXT` for its last), and
    ``outlasts``, whether a later report of the series ends before this one does (a report
    for a year, then one for a day in March: the yearly one outlasts)."""
    order = ibis.window(group_by="series", order_by="seq")
    later = ibis.window(group_by="series", order_by="seq", following=(1, None))
    return runs.mutate(
        upto=runs.day.lead().over(order).fill_null(NO_NEXT).cast("int32"),
        outlasts=(runs.last > runs.last.min().over(later)).fill_null(False),
    )


def latest_at(runs: ir.Table, first: int, last: int) -> ir.Table:
    """The latest report of each series among the rows of ``runs`` (:func:`report_spans`)
    that overlap the days [first, last], as :func:`latest_reports` finds them, without
    grouping: the series' last report begun by ``last`` (``day <= last < upto``) when it
    overlaps; when it ended before ``first``, the latest overlapping report is one that
    outlasts it, found among the few reports that outlast another. ``runs`` must hold every
    report of the series it holds (chosen by type and actors, not by window). A filter, not
    an aggregation over the window's reports (docs/engine.md, "Running totals")."""
    last_begun = runs.filter((runs.day <= last) & (runs.upto > last))
    found = last_begun.filter(last_begun.last >= first)
    ended = last_begun.filter(last_begun.last < first)
    early = runs.filter(
        runs.outlasts & (runs.day <= last) & (runs.last >= first) & runs.series.isin(ended.series)
    )
    best = early.group_by("series").agg(seq=early.seq.max())
    early = early.filter(early.seq.isin(best.seq))
    return found.select(*LATEST).union(early.select(*LATEST))


def latest_reports(runs: ir.Table, same: Sequence[str] = ("a1", "a2")) -> ir.Table:
    """The running totals (rows of :func:`running`) that are the latest report of their
    series among ``runs`` (latest by day, then by event id: the highest ``seq``), one row per
    series with what totals and temperatures read of it: its number (``row``, where the
    table has it; else its ``event_id``), ``unit``, ``magnitude``, ``month`` and ``score``,
    and the columns ``same`` that every report of a series shares (its actors)."""
    key = "row" if "row" in runs.columns else "event_id"
    # the highest seq of each series, then those rows (a seq is one report's alone): at 1e8,
    # 116-279 ms where an arg_max of each column took 181-488 ms (docs/performance.md)
    last = runs.group_by("series").agg(seq=runs.seq.max())
    latest = runs.filter(runs.seq.isin(last.seq))
    return latest.select("series", key, "unit", "magnitude", "month", "score", *same)


LATEST = ("row", "unit", "magnitude", "month", "score", "a1", "a2")
"""The columns of a latest report that totals and temperatures read (with the rollups)."""


def latest_among(rows: ir.Table) -> ir.Table:
    """The latest report of each series among the running totals of ``rows`` (facts numbered
    in the order of reports, ``row``; a few rows whose series are theirs alone, such as the
    events chosen only through their lists), as :func:`latest_reports` gives them."""
    runs = rows.filter(is_running(rows))
    runs = runs.filter(runs.row == runs.row.max().over(group_by=list(SERIES)))
    return runs.select(*LATEST)


def counted(t: ir.Table, latest: ir.Table) -> ir.Table:
    """The rows of ``t`` that count in totals and temperatures: all but the running totals
    that are not among ``latest`` (:func:`latest_reports` of the selection's)."""
    if "row" in t.columns and "row" in latest.columns:  # the rollups' number: no text to read
        return t.filter(~is_running(t) | t.row.isin(latest.row))
    return t.filter(~is_running(t) | t.event_id.isin(latest.event_id))
