"""The event facts the engine queries: one typed row per event, derived from the public format.

:func:`facts` is the one definition of how an events table of the public format (every column
text, as ``data/README.md`` describes it) becomes what the queries read; it is an ibis
expression, so it runs on DuckDB over Parquet, on Spark or on a warehouse alike. For a folder,
:mod:`alliances.engine.rollups` writes it once to Parquet (sorted by day) and the queries read
that copy; for a connection URL the queries run on the expression itself.

Columns (:data:`FACT_SCHEMA`): ``event_id``; ``day`` and ``last``, the first and last day the
event covers as days since 1970-01-01 (a month-precision date covers its month, and an
``end_date`` extends it); ``month``, months since 1970-01 of its first day; ``type``, ``a1``
and ``a2``, codes of its event type and actors (their positions in the dataset's vocabulary
and actors, as the in-memory path's categoricals); ``plist`` and ``tlist``, its participants and
targets as ``;RUS;PRK;`` (no spaces: ids have none); ``unit``, ``magnitude``, ``basis``
(:data:`AMOUNT`, :data:`CUMULATIVE`, :data:`PART`) and ``score`` (its own, else its type's).
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pandas as pd

AMOUNT, CUMULATIVE, PART = 0, 1, 2
"""``basis`` codes: ``magnitude_basis`` amount (also when empty), cumulative, part."""

FACT_SCHEMA = ibis.schema(
    {
        "event_id": "string",
        "day": "int32",
        "last": "int32",
        "month": "int32",
        "type": "int32",
        "a1": "int32",
        "a2": "int32",
        "plist": "string",
        "tlist": "string",
        "unit": "string",
        "magnitude": "float64",
        "basis": "int8",
        "score": "float64",
    }
)

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # as raw_tables.FORMULA_STARTS


def text(table: ir.Table, column: str) -> ir.StringValue:
    """A column of the public format as text: missing or empty cells are null."""
    if column not in table.columns:
        return ibis.null(dt.string)
    value = table[column]
    if not value.type().is_string():
        value = value.cast("string")
    return value.nullif("")


def unquoted(value: ir.StringValue) -> ir.StringValue:
    """``'=…`` read as ``=…``, as the reader does for cells a spreadsheet would run."""
    second = value.substr(1, 1)
    return ibis.cases(
        (value.startswith("'") & second.isin(list(FORMULA_STARTS)), value.substr(1)),
        else_=value,
    )


def number(table: ir.Table, column: str) -> ir.FloatingValue:
    """A numeric column of the public format (text or already numeric) as float64."""
    if column in table.columns and table[column].type().is_numeric():
        return table[column].cast("float64")
    return text(table, column).cast("float64")


def _parts(value: ir.StringValue) -> tuple[ir.IntegerValue, ir.IntegerValue, ir.IntegerValue]:
    """Year, month (1 if not given) and day (1 if not given) of a partial date."""
    n = value.length()
    year = value.substr(0, 4).cast("int32")
    month = ibis.cases((n >= 7, value.substr(5, 2).cast("int32")), else_=1)
    day = ibis.cases((n >= 10, value.substr(8, 2).cast("int32")), else_=1)
    return year, month, day


def first_day(value: ir.StringValue) -> ir.IntegerValue:
    """Days since 1970-01-01 of the first day a partial date covers."""
    year, month, day = _parts(value)
    return ibis.date(year, month, day).epoch_days().cast("int32")


def last_day(value: ir.StringValue) -> ir.IntegerValue:
    """Days since 1970-01-01 of the last day a partial date covers (its year, month or day)."""
    n = value.length()
    year, month, day = _parts(value)
    next_month = ibis.cases((month == 12, 1), else_=month + 1)
    year_of_next = ibis.cases((month == 12, year + 1), else_=year)
    after = ibis.cases(
        (n == 4, ibis.date(year + 1, 1, 1)),
        (n == 7, ibis.date(year_of_next, next_month, 1)),
        else_=ibis.date(year, month, day) + ibis.interval(days=1),
    )
    return (after.epoch_days() - 1).cast("int32")


def id_list(value: ir.StringValue) -> ir.StringValue:
    """A ``;``-separated list of ids as ``;A;B;`` without blanks (null stays null)."""
    return ";" + value.re_replace(r"\s+", "") + ";"


def actor_codes(actor_ids: Sequence[str]) -> pd.DataFrame:
    """Actor id -> code (its position): the table the facts and the links join."""
    return pd.DataFrame({"id": list(actor_ids), "code": range(len(actor_ids))}).astype(
        {"code": "int32"}
    )


def facts(
    raw: ir.Table,
    actor_ids: Sequence[str],
    event_types: pd.DataFrame,
    codes: ir.Table | None = None,
) -> ir.Table:
    """The facts (:data:`FACT_SCHEMA`) of an events table in the public format.

    ``actor_ids`` and ``event_types`` (columns ``id`` and ``score``) are the dataset's, in
    order: their positions are the codes. Actor codes come from a join (with ``codes``, the
    :func:`actor_codes` table, where the engine has it), so thousands of actors cost one hash
    join rather than a long ``CASE``.
    """
    date, end = text(raw, "date"), text(raw, "end_date")
    type_id = text(raw, "event_type")
    basis = text(raw, "magnitude_basis")
    base = raw.select(
        event_id=text(raw, "event_id"),
        day=first_day(date),
        last=last_day(end.coalesce(date)),
        month=((_parts(date)[0] - 1970) * 12 + _parts(date)[1] - 1).cast("int32"),
        type=type_id.substitute(
            {t: i for i, t in enumerate(event_types["id"])}, else_=ibis.null(dt.int32)
        ).cast("int32"),
        a1_id=text(raw, "actor_1"),
        a2_id=text(raw, "actor_2"),
        plist=id_list(text(raw, "participants")),
        tlist=id_list(text(raw, "targets")),
        unit=text(raw, "unit"),
        magnitude=number(raw, "magnitude"),
        basis=ibis.cases((basis == "cumulative", CUMULATIVE), (basis == "part", PART), else_=AMOUNT)
        .fill_null(AMOUNT)
        .cast("int8"),
        score=number(raw, "score").coalesce(
            type_id.substitute(
                dict(zip(event_types["id"], event_types["score"].astype(float), strict=True)),
                else_=ibis.null(dt.float64),
            ).cast("float64")
        ),
    )
    if codes is None:
        codes = ibis.memtable(actor_codes(actor_ids))
    first = codes.rename(c1_id="id", c1="code")
    second = codes.rename(c2_id="id", c2="code")
    joined = base.left_join(first, base.a1_id == first.c1_id).left_join(
        second, base.a2_id == second.c2_id
    )
    return joined.select(
        "event_id", "day", "last", "month", "type",
        a1=joined.c1.cast("int32"), a2=joined.c2.cast("int32"),
        plist=joined.plist, tlist=joined.tlist, unit=joined.unit, magnitude=joined.magnitude,
        basis=joined.basis, score=joined.score,
    )  # fmt: skip


def day_number(when: pd.Timestamp) -> int:
    """Days since 1970-01-01 of the day ``when`` falls on."""
    return int(pd.Timestamp(when).normalize().value // 86_400_000_000_000)
