"""The checks of a dataset's tables, reporting every problem in them at once.

:func:`alliances.validation.validate` is the entry point for a folder; it runs these checks
(:func:`validate_tables`) or, for events too large to hold, :mod:`alliances.streaming`, which
runs them batch by batch.

The rules come from :mod:`alliances.schema`, compiled into pandera schemas; the tables come
from :mod:`alliances.reading`. Problems are reported as ``FILE:LINE: COLUMN: message`` with LINE
counted as a text editor does (header = 1), even when quoted values span several lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from . import schema
from .dates import invalid_dates, parse_partial
from .problems import Problem, show
from .raw_tables import RawTable
from .reading import read_table
from .schema import Field, Table

__all__ = [
    "REFERENCED",
    "check_table",
    "duplicate_message",
    "link_problems",
    "pandera_schema",
    "validate_tables",
]


# --------------------------------------------------------------------------- checking


def per_value(test: Callable[[pd.Series], pd.Series]) -> Callable[[pd.Series], pd.Series]:
    """Run a vectorised test once per distinct value of a categorical column, then per row."""

    def check(values: pd.Series) -> pd.Series:
        if not isinstance(values.dtype, pd.CategoricalDtype):
            return test(values)
        categories = pd.Series(values.cat.categories.astype(object), dtype=object)
        ok = np.asarray(test(categories), dtype=bool) if len(categories) else np.ones(0, bool)
        codes = values.cat.codes.to_numpy()
        return pd.Series(np.where(codes >= 0, ok[codes], True), index=values.index)

    return check


def _finite(s: pd.Series) -> pd.Series:
    # abs() < inf: a finite number ("inf" and "nan" parse, but are no data)
    return pd.to_numeric(s, errors="coerce").abs().lt(float("inf"))


def _matches(pattern) -> Callable[[pd.Series], pd.Series]:
    return lambda s: s.astype(str).str.match(pattern).fillna(False)


def _checks_for(f: Field, ids: Mapping[str, pd.Index]) -> list:
    import pandera.pandas as pa

    def check(test, error: str):
        return pa.Check(per_value(test), error=error)

    checks = []
    if f.kind == "date":
        checks.append(
            check(
                lambda s: ~invalid_dates(s),
                "not a date: use YYYY, YYYY-MM or YYYY-MM-DD (a real day, years 1800-2100)",
            )
        )
    elif f.kind == "number":
        checks.append(check(_finite, "not a number"))
        if f.bounds:
            lo, hi = f.bounds

            def within(s, lo=lo, hi=hi):
                n = pd.to_numeric(s, errors="coerce")
                return ~n.lt(lo) & ~n.gt(hi)

            checks.append(check(within, f"out of range: must be between {lo:g} and {hi:g}"))
    elif f.kind == "bool":
        checks.append(
            check(
                lambda s: s.astype(str).str.lower().isin(schema.BOOL_WORDS),
                "not a boolean: use true or false",
            )
        )
    elif f.kind == "choice":
        checks.append(check(lambda s: s.isin(f.choices), f"must be one of {', '.join(f.choices)}"))
    elif f.kind == "url":
        checks.append(
            check(
                _matches(schema.URL_PATTERN),
                "not a web address: source_url must start with http:// or https://",
            )
        )
    elif f.kind == "color":
        checks.append(check(_matches(schema.COLOR_PATTERN), "not a colour: use #rrggbb"))
    elif f.kind == "id":
        checks.append(
            check(
                # an explicit class: pandas runs it in pyarrow, while \s falls back to Python
                lambda s: ~s.str.contains(r"[ \t\n\r\f\v;,]", regex=True),
                "an id may not contain spaces, ';' or ','",
            )
        )
    elif f.kind in ("ref", "refs") and f.ref in ids:
        known = ids[f.ref]
        what = {"actors": "actor", "relations": "relation"}.get(f.ref, f.ref.rstrip("s"))
        if f.kind == "ref":
            checks.append(check(lambda s, k=known: s.isin(k), f"unknown {what} id"))
        else:
            checks.append(
                check(lambda s, k=known: _list_items_known(s, k), f"unknown {what} id in the list")
            )
    if f.pattern is not None:
        checks.append(check(_matches(f.pattern), f"does not match {f.pattern.pattern}"))
    return checks


def _list_items_known(values: pd.Series, known: pd.Index) -> pd.Series:
    items = values.astype(str).str.split(";").explode().str.strip()
    items = items[items != ""]
    bad = items.index[~items.isin(known).to_numpy()]
    return pd.Series(~values.index.isin(bad), index=values.index)


def _row_check(rule_name: str, frame: pd.DataFrame) -> pd.Series:
    """Evaluate a cross-column rule; True where the row passes."""
    if rule_name == "end_after_start":
        start_col = "start_date" if "start_date" in frame else "date"
        start = parse_partial(frame[start_col])["start"]
        stop = parse_partial(frame["end_date"])["stop"]
        return ~(stop <= start).fillna(False)
    if rule_name == "distinct_actors":
        a, b = ("actor_a", "actor_b") if "actor_a" in frame else ("actor_1", "actor_2")
        same = frame[a].astype(object) == frame[b].astype(object)
        return ~same.fillna(False).astype(bool)
    if rule_name == "unit_with_magnitude":
        return ~(frame["magnitude"].notna() & frame["unit"].isna())
    raise KeyError(rule_name)


def pandera_schema(table: Table, ids: Mapping[str, pd.Index] | None = None, *, unique: bool = True):
    """The pandera ``DataFrameSchema`` for a table, given the ids of the tables it refers to.

    ``unique=False`` leaves duplicate keys to the caller (rows checked in batches)."""
    import pandera.pandas as pa

    ids = ids or {}
    columns = {
        f.name: pa.Column(
            nullable=not f.required,
            unique=unique and f.name == table.key,
            report_duplicates="exclude_first",
            checks=_checks_for(f, ids),
            description=f.description or None,
        )
        for f in table.fields
    }
    checks = [
        pa.Check(lambda df, n=r.name: _row_check(n, df), name=r.name, error=r.message)
        for r in table.rules
    ]
    return pa.DataFrameSchema(columns, checks=checks, strict=False, coerce=False)


def check_table(
    raw: RawTable, ids: Mapping[str, pd.Index], *, unique: bool = True
) -> list[Problem]:
    """Every problem in one table's values (``unique=False``: but duplicate keys)."""
    import pandera.errors
    import pandera.pandas

    table = raw.table
    try:
        pandera_schema(table, ids, unique=unique).validate(raw.frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    else:
        return []
    rule_columns = {r.message: r.column for r in table.rules}
    problems: dict[tuple[int, str, str], Problem] = {}
    first_seen = _first_occurrence(raw.frame[table.key]) if table.key in raw.frame else {}
    for case in cases.itertuples(index=False):
        if case.index is None or pd.isna(case.index):
            if case.check != "column_in_dataframe":  # missing columns come from the header
                column = "-" if case.column is None else str(case.column)
                problems.setdefault(
                    (-1, column, str(case.check)),
                    Problem(raw.name, 1, column, f"check failed: {case.check}"),
                )
            continue
        if case.column in raw.absent:
            continue  # reported once, on the header line
        index = int(case.index)
        message = str(case.check)
        value = case.failure_case
        if message in rule_columns:
            column = rule_columns[message]
            value = raw.frame.at[index, column] if column in raw.frame else None
        else:
            column = str(case.column)
        if message == "not_nullable":
            message, value = "required value is empty", None
        elif message == "field_uniqueness":
            first = first_seen.get(value)
            message = duplicate_message(
                raw.where(index), raw.where(first) if first is not None else None
            )
        if value is not None and not pd.isna(value):
            message = f"{message}: {show(value)}"
        key = (index, column, message)
        problems.setdefault(key, Problem(*raw.where(index), column, message))
    return sorted(problems.values())


def duplicate_message(here: tuple[str, int], first: tuple[str, int] | None) -> str:
    """ "duplicate id (first on line 4)", or "(first on FILE:LINE)" when in another file."""
    if first is None:
        return "duplicate id"
    if first[0] == here[0]:
        return f"duplicate id (first on line {first[1]})"
    return f"duplicate id (first on {first[0]}:{first[1]})"


def _first_occurrence(keys: pd.Series) -> dict[str, int]:
    dup = keys[keys.duplicated(keep=False) & keys.notna()]
    return {v: int(i) for v, i in dup.groupby(dup, sort=False).apply(lambda g: g.index[0]).items()}


REFERENCED = frozenset(f.ref for t in schema.TABLES.values() for f in t.fields if f.ref)


def validate_tables(
    directory: Path, *, skip: Iterable[str] = ()
) -> tuple[dict[str, RawTable], list[Problem]]:
    """Read and check every table of a folder; returns what could be read, and every problem.

    Tables named in ``skip`` are neither read nor checked here (a large events table is
    checked in batches, :mod:`alliances.streaming`)."""
    raws: dict[str, RawTable] = {}
    problems: list[Problem] = []
    ids: dict[str, pd.Index] = {}
    for table in schema.TABLES.values():
        if table.name in skip:
            continue
        raw, read_problems = read_table(directory, table)
        problems += read_problems
        if raw is None:
            continue
        raws[table.name] = raw
        problems += check_table(raw, ids)
        referenced = table.name in REFERENCED
        if referenced and table.key not in raw.absent:  # else every reference would be "unknown"
            ids[table.name] = pd.Index(raw.frame[table.key].dropna().unique())
    if "events" in raws and "relations" in raws:
        problems += link_problems(raws["events"], raws["relations"])
    return raws, problems


def _ids(values: pd.Series) -> np.ndarray:
    """Ids as an object array, ``None`` where missing (so ``==`` never meets ``pd.NA``)."""
    return np.array([None if pd.isna(v) else str(v) for v in values.astype(object)], dtype=object)


def link_problems(events: RawTable, relations: RawTable) -> list[Problem]:
    """Events whose ``relation_id`` names a relation of other actors, or one not in force.

    The rule (``data/README.md``): with an ``actor_2``, {actor_1, actor_2} is the relation's
    {actor_a, actor_b}; a one-sided event's actor_1 is one of the two. The event's date, as a
    span at its precision, overlaps the relation's span (an empty end_date: still in force).
    """
    needed = {"relation_id", "actor_1", "actor_2", "date", "actor_a", "actor_b", "start_date"}
    if needed & (events.absent | relations.absent):
        return []  # the missing column is reported on the header line
    ev, rel = events.frame, relations.frame
    rel = rel.dropna(subset=["relation_id"]).drop_duplicates("relation_id")
    rel = rel.set_index(rel["relation_id"].astype(object))
    linked = ev["relation_id"].astype(object)
    rows = np.flatnonzero(linked.isin(rel.index).to_numpy(bool))  # unknown ids: reported already
    if not len(rows):
        return []
    rid = linked.iloc[rows]
    a = _ids(rel["actor_a"].reindex(rid))
    b = _ids(rel["actor_b"].reindex(rid))
    a1 = _ids(ev["actor_1"].iloc[rows])
    a2 = _ids(ev["actor_2"].iloc[rows])
    pair = ((a1 == a) & (a2 == b)) | ((a1 == b) & (a2 == a))
    actors_ok = np.where(a2 != None, pair, (a1 == a) | (a1 == b))  # noqa: E711
    when = parse_partial(ev["date"].iloc[rows].astype(object).reset_index(drop=True))
    starts = parse_partial(rel["start_date"].astype(object).reindex(rid).reset_index(drop=True))
    ends = parse_partial(rel["end_date"].astype(object).reindex(rid).reset_index(drop=True))
    before = (when["stop"] <= starts["start"]).fillna(False).to_numpy(bool)
    after = (ends["stop"].notna() & (when["start"] >= ends["stop"])).fillna(False).to_numpy(bool)
    start_text = rel["start_date"].astype(object).reindex(rid).to_numpy()
    end_text = rel["end_date"].astype(object).reindex(rid).to_numpy()
    problems = []
    for i, row in enumerate(rows):
        relation = rid.iloc[i]
        if not actors_ok[i]:
            message = (
                f"relation {show(relation)} is between {a[i]} and {b[i]}, not this event's actors"
            )
        elif before[i]:
            message = f"relation {show(relation)} starts later ({start_text[i]}) than this event"
        elif after[i]:
            message = f"relation {show(relation)} ended ({end_text[i]}) before this event"
        else:
            continue
        problems.append(Problem(*events.where(int(row)), "relation_id", message))
    return problems
