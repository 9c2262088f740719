"""What is computed once per dataset and kept beside it, so that queries need not parse every
event's text again, nor scan every event for the default and window-only views: the rollups of
a folder.

:func:`build_rollups` reads the folder's events where they are (CSV, ``events.parquet`` or
``events/year=YYYY/*.parquet``), checks their references against the actors and vocabularies,
and writes, in ``FOLDER/.alliances/vVERSION-FINGERPRINT/`` (or, for a folder it cannot write,
the user's cache folder: ``$XDG_CACHE_HOME/alliances`` or ``~/.cache/alliances``):

- ``facts.parquet``: every event's facts (:mod:`.facts`: days, codes, numbers; no text),
  sorted by day, so a date window reads only its row groups, and numbered in that order
  (``row``, :func:`numbered`): the other rollups refer to events by that number;
- ``listed.parquet`` and ``running.parquet``: the facts of the events with participants or
  targets, and of the running totals (numbered by series and report order,
  :func:`.reports.running`, with where each report's turn ends, :func:`.reports.report_spans`):
  the few rows the pair links and the "counted once" rule need, read without scanning the rest;
- ``amounts.parquet``: the facts of the events whose magnitude is an amount in a unit: what
  the totals add up, read without the rest;
- ``links.parquet``: the pairs each event of ``listed`` bears on through its lists, one row
  per link with the event's facts (:func:`.queries.link_facts`): a selection filters them as
  it filters the facts, and no query splits the lists again; ``pair_links.parquet``, the
  same sorted by pair then day: a pair's temperature reads only that pair's row groups;
- ``list_members.parquet``: the rows of ``listed`` under each actor their lists name
  (``code``), sorted by actor: the events a focused actor is in the lists of, read from that
  actor's row groups, without testing every list's text nor joining ``listed``;
- ``by_actor.parquet``: every event under its actor_1 and again under its actor_2, sorted by
  actor, other actor, then day (:func:`.cubes.by_actor`): a choice of actors reads only
  those actors' row groups, and a pair's temperature in a link or with a search only that
  pair's;
- ``actor_months.parquet`` and ``pair_months.parquet``: events per actor, month and type
  (:func:`.cubes.actor_months`), and per pair of two actors, month and type
  (:func:`.cubes.pair_months`): the timeline's type lanes for any choice of actors add up
  those actors' months less the months of the pairs both of whose actors are chosen;
- ``types.parquet`` and ``days.parquet``: events per month (of their first day) and type,
  and per first day and type: the timeline's type lanes for a window or types, by month and
  by day or week;
- ``pairs.parquet``: events per year (of their first day), type and pair of actor_1 and
  actor_2 (``lo``, ``hi``; ``hi`` empty for an event without actor_2): at most years x types x
  pairs rows however many events, from which the counts by type and by pair of any choice of
  window, types and actors are added up (:mod:`.selection`); ``month_pairs.parquet``, the
  same per month, sorted by month: the whole months of the partial years at a window's
  edges, for a choice of window and types;
- ``unit_pairs.parquet``: the totals of the amounts per year, type, pair and unit: the KPIs'
  totals add whole years up from it as the counts do from ``pairs``;
- ``pair_scores.parquet``: score sums and counts per pair, month and type of the events that
  are not running totals, sorted by pair (:func:`.cubes.pair_scores`): a pair's temperature
  adds up its whole months from it, and reads only the partial months at the window's edges
  from the facts;
- ``pairs_by_actor.parquet``, ``unit_pairs_by_actor.parquet``, ``links_by_actor.parquet`` and
  ``running_by_actor.parquet``: the rows of ``pairs``, ``unit_pairs``, ``links`` and
  ``running`` under each of their two actors (the links under their events' actor_1 and
  actor_2), sorted by actor (:func:`.cubes.under_each`): a choice of actors adds up its
  actors' whole years, counts its events' links and finds its series' latest reports from its
  actors' row groups only;
- ``meta.json``: counts per type, the span, the longest event, the share with a source URL.

Every event starting in a month (or year) that lies wholly inside a window is in the window,
whatever its end: the default and window-only views add those months up from the last two
rollups and read only the months at the window's edges from the facts (:mod:`.store`).

The fingerprint is the dataset's (:func:`alliances.reading.fingerprint_files`): new data gets
new rollups, and the previous version's stay (two are kept) while the last good data serves.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import ibis
import pandas as pd

from ..files import CACHE_FOLDER, cache_root
from ..problems import DatasetError, Problem
from ..reading import fingerprint_files
from . import cubes, queries, reports
from .facts import actor_codes, facts, text
from .sources import DataSpec, connect, events_table, parse, small_tables

VERSION = 21
"""Bumped when the files' layout changes: older rollups are then rebuilt."""
KEEP = 2
ROW_GROUP = 122_880  # one DuckDB work unit
FILES = (
    "facts",
    "listed",
    "running",
    "amounts",
    "links",
    "pair_links",
    "list_members",
    "by_actor",
    "actor_months",
    "pair_months",
    "types",
    "days",
    "pairs",
    "month_pairs",
    "unit_pairs",
    "pair_scores",
    *(f"{name}_by_actor" for name in cubes.BY_ACTOR),
)
"""The tables of a dataset's rollups (``NAME.parquet``): a folder missing one is built again."""


def rollup_folder(folder: Path, fingerprint: str) -> Path:
    return cache_root(folder) / f"v{VERSION}-{fingerprint}"


def find_rollups(folder: Path, fingerprint: str) -> Path | None:
    """The rollups built for this fingerprint, if any (in the folder or the user's cache)."""
    for root in (Path(folder) / CACHE_FOLDER, cache_root(folder)):
        path = root / f"v{VERSION}-{fingerprint}"
        if (path / "meta.json").is_file() and all(
            (path / f"{name}.parquet").is_file() for name in FILES
        ):
            return path
    return None


def build_rollups(folder: str | os.PathLike[str], *, fingerprint: str | None = None) -> Path:
    """Build (or find) the rollups of a dataset folder and return where they are.

    Raises :class:`~alliances.problems.DatasetError` when the small tables fail validation
    or events name an unknown type or actor, or have a date that is not one.
    """
    spec = parse(str(Path(folder).resolve()))
    folder = spec.folder
    fingerprint = fingerprint or fingerprint_files(folder)
    found = find_rollups(folder, fingerprint)
    if found is not None:
        return found
    target = rollup_folder(folder, fingerprint)
    target.parent.mkdir(parents=True, exist_ok=True)
    backend = connect(spec)
    raws, problems = small_tables(backend, spec)
    if problems:
        raise DatasetError(folder, problems)
    actor_ids = list(raws["actors"].frame["id"].astype(str))
    event_types = raws["event_types"].frame.assign(
        score=pd.to_numeric(raws["event_types"].frame["score"])
    )
    raw, _ = events_table(backend, spec)
    table = facts(raw, actor_ids, event_types)
    problems = _reference_problems(backend, raw, table, spec)
    if problems:
        raise DatasetError(folder, problems)
    work = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
    try:
        started = time.perf_counter()
        backend.to_parquet(
            numbered(table), work / "facts.parquet",
            compression="zstd", row_group_size=ROW_GROUP,
        )  # fmt: skip
        written = backend.read_parquet(str(work / "facts.parquet"))
        for name, part in subsets(written).items():
            backend.to_parquet(
                part, work / f"{name}.parquet", compression="zstd", row_group_size=ROW_GROUP
            )
        listed = backend.read_parquet(str(work / "listed.parquet"))
        codes = ibis.memtable(actor_codes(actor_ids))
        backend.to_parquet(
            queries.link_facts(listed, codes).order_by(["day", "event_id", "lo", "hi", "kind"]),
            work / "links.parquet", compression="zstd", row_group_size=ROW_GROUP,
        )  # fmt: skip
        backend.to_parquet(
            queries.list_members(listed, codes).order_by(["code", "row"]),
            work / "list_members.parquet", compression="zstd", row_group_size=ROW_GROUP,
        )  # fmt: skip
        links = backend.read_parquet(str(work / "links.parquet"))
        backend.to_parquet(
            links.order_by(["lo", "hi", "day", "row"]), work / "pair_links.parquet",
            compression="zstd", row_group_size=ROW_GROUP,
        )  # fmt: skip
        for name in cubes.BY_ACTOR:
            backend.to_parquet(
                cubes.copy_by_actor(name, backend.read_parquet(str(work / f"{name}.parquet"))),
                work / f"{name}_by_actor.parquet", compression="zstd", row_group_size=ROW_GROUP,
            )  # fmt: skip
        meta = _meta(backend, raw, written, event_types)
        meta.update(
            version=VERSION,
            fingerprint=fingerprint,
            seconds=round(time.perf_counter() - started, 2),
        )
        (work / "meta.json").write_text(json.dumps(meta, indent=1))
        try:
            work.rename(target)
        except OSError:  # built meanwhile by another process: theirs is as good
            shutil.rmtree(work, ignore_errors=True)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    _prune(target.parent, keep=target.name)
    return target


def numbered(f):
    """The facts sorted by day then event id, each numbered by its place (``row``): the
    integer key the rollups refer to an event by, and the order of reports of a series."""
    order = ["day", "event_id"]
    return f.mutate(row=ibis.row_number().over(order_by=order).cast("int64")).order_by("row")


def subsets(f) -> dict:
    """The rollups computed from the facts ``f`` (module docstring), by file name."""
    return {
        "listed": queries.listed(f).order_by("row"),
        "running": reports.report_spans(reports.running(f)).order_by("row"),
        "amounts": queries.amounts(f).order_by("row"),
        "by_actor": cubes.by_actor(f),
        "actor_months": cubes.actor_months(f),
        "pair_months": cubes.pair_months(f),
        "types": f.group_by("month", "type").agg(n=f.count()).order_by(["month", "type"]),
        "days": f.group_by("day", "type").agg(n=f.count()).order_by(["day", "type"]),
        "pair_scores": cubes.pair_scores(f),
        "pairs": cubes.year_pair_counts(f),
        "month_pairs": cubes.month_pair_counts(f),
        "unit_pairs": cubes.unit_pairs(f),
    }


def _meta(backend, raw, f, event_types: pd.DataFrame) -> dict:
    counts = backend.execute(queries.type_counts(f))
    ids = [str(t) for t in event_types["id"]]
    span = backend.execute(
        f.aggregate(first=f.day.min(), last=f.last.max(), n=f.count(), span=(f.last - f.day).max())
    )
    urls = int(backend.execute(raw.filter(text(raw, "source_url").notnull()).count()))
    n = int(span["n"].iloc[0])
    first, last = span["first"].iloc[0], span["last"].iloc[0]
    return {
        "events": n,
        "by_type": {ids[int(t)]: int(c) for t, c in zip(counts["type"], counts["n"], strict=True)},
        "url_share": urls / n if n else 0.0,
        "first_day": None if pd.isna(first) else int(first),
        "last_day": None if pd.isna(last) else int(last),
        "longest": 0 if pd.isna(span["span"].iloc[0]) else int(span["span"].iloc[0]),
    }


MAX_REPORTED = 20


def _reference_problems(backend, raw, f, spec: DataSpec) -> list[Problem]:
    """Events the facts cannot place: no id, a date that is not one, an unknown type or
    actor, as the validator would report them (by event id: a large file has no lines)."""
    checks = [
        ("event_id", f.event_id.isnull(), "required value is empty"),
        ("date", f.day.isnull(), "not a date (YYYY, YYYY-MM or YYYY-MM-DD)"),
        ("event_type", f.type.isnull(), "unknown event type"),
        ("actor_1", f.a1.isnull(), "unknown actor id"),
    ]
    problems: list[Problem] = []
    for column, bad, message in checks:
        found = backend.execute(f.filter(bad).select("event_id").limit(MAX_REPORTED))
        for event_id in found["event_id"]:
            problems.append(Problem("events", 1, column, f"{message} (event {event_id})"))
    second = text(raw, "actor_2")
    joined = raw.select(event_id=text(raw, "event_id"), actor_2=second).filter(second.notnull())
    known = f.select("event_id", "a2")
    unknown = joined.join(known, "event_id").filter(lambda t: t.a2.isnull())
    for event_id in backend.execute(unknown.select("event_id").limit(MAX_REPORTED))["event_id"]:
        problems.append(Problem("events", 1, "actor_2", f"unknown actor id (event {event_id})"))
    return problems


def _prune(root: Path, keep: str) -> None:
    """Keep the newest :data:`KEEP` rollups (the one just built among them), and none of an
    older :data:`VERSION`."""
    built = sorted(
        (p for p in root.glob(f"v{VERSION}-*") if p.is_dir()),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in [p for p in built if p.name != keep][KEEP - 1 :]:
        shutil.rmtree(old, ignore_errors=True)
    for stale in root.glob("v*-*"):  # every older layout: none is read again
        version = stale.name[1:].split("-", 1)[0]
        if stale.is_dir() and version.isdigit() and int(version) < VERSION:
            shutil.rmtree(stale, ignore_errors=True)
