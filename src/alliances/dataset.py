"""Loading a dataset folder into typed, read-only pandas frames.

``load_dataset()`` validates first (:mod:`alliances.validation`) and raises
:class:`~alliances.problems.DatasetError` listing every problem; a valid folder becomes a
:class:`Dataset` whose ids and types are categoricals and whose dates keep their precision.
Loads are cached per folder and reused until a file in it changes.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import cache, schema
from .checks import validate_tables
from .dates import parse_partial
from .problems import DatasetError
from .raw_tables import RawTable
from .reading import (
    ENV_DATA,
    bundled_path,
    fingerprint_files,
    fingerprint_of,
    resolve_path,
    signature,
)

if TYPE_CHECKING:
    from .engine.store import EventStore


@dataclass(frozen=True, eq=False)
class Dataset:
    """A loaded dataset: five typed frames plus where they came from.

    Treat the frames as read-only: the same object is shared by every session that loads the
    same folder.

    On the engine path (:mod:`alliances.engine`) the events stay where they are: ``store``
    answers every question about them and ``events`` holds no rows, only the columns and their
    types. Ask :mod:`alliances.query` for events, never ``events`` directly.
    """

    actors: pd.DataFrame
    event_types: pd.DataFrame
    relation_types: pd.DataFrame
    relations: pd.DataFrame
    events: pd.DataFrame
    path: Path | None = None
    fingerprint: str = ""
    store: EventStore | None = None
    """The events' engine on the large path (``None``: the events are in ``events``)."""

    def __repr__(self) -> str:  # the frames' own reprs would fill a notebook cell
        counts = ", ".join(f"{n:,} {what}" for what, n in list(self.counts().items())[:3])
        where = self.path or (self.store.name if self.store is not None else "(in memory)")
        return f"<Dataset {where}: {counts}; fingerprint {self.fingerprint}>"

    @property
    def actor_ids(self) -> list[str]:
        return list(self.actors["id"])

    @cached_property
    def names(self) -> dict[str, str]:
        """Actor id -> display name."""
        return _mapping(self.actors, "name")

    def actor_name(self, actor_id: str) -> str:
        """Display name of an actor id (the id itself if unknown)."""
        return self.names.get(actor_id, actor_id)

    @cached_property
    def event_type_labels(self) -> dict[str, str]:
        """Event type id -> label."""
        return _mapping(self.event_types, "label")

    @cached_property
    def event_type_colors(self) -> dict[str, str]:
        """Event type id -> ``#rrggbb``."""
        return _mapping(self.event_types, "color")

    @cached_property
    def relation_type_labels(self) -> dict[str, str]:
        """Relation type id -> label."""
        return _mapping(self.relation_types, "label")

    @cached_property
    def relation_type_colors(self) -> dict[str, str]:
        """Relation type id -> ``#rrggbb``."""
        return _mapping(self.relation_types, "color")

    @cached_property
    def regions(self) -> list[str]:
        """The regions of the actors, sorted."""
        return sorted(self.actors["region"].dropna().unique())

    @cached_property
    def span(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """First and last day covered by any event or relation."""
        events = self.store.span_frame() if self.store is not None else self.events
        starts = pd.concat([events["date"], self.relations["start_date"]])
        stops = pd.concat(
            [events["stop"], self.relations["start_stop"], self.relations["end_stop"]]
        )
        return starts.min(), stops.max() - pd.Timedelta(days=1)

    def counts(self) -> dict[str, int]:
        return {
            "actors": len(self.actors),
            "relations": len(self.relations),
            "events": self.store.count() if self.store is not None else len(self.events),
            "event_types": len(self.event_types),
            "relation_types": len(self.relation_types),
        }

    def url_coverage(self) -> dict[str, float]:
        """Share of relations and of events whose source has a web address (0..1)."""
        relations = self.relations
        share = float(relations["source_url"].notna().mean()) if len(relations) else 0.0
        if self.store is not None:
            return {"relations": share, "events": self.store.url_share()}
        events = self.events
        return {
            "relations": share,
            "events": float(events["source_url"].notna().mean()) if len(events) else 0.0,
        }

    def summary(self) -> str:
        """Counts, date span, source URL coverage and events per type, as ``alliances info``
        prints them."""
        first, last = self.span
        c = self.counts()
        urls = self.url_coverage()
        rows = [
            ("dataset", str(self.path)),
            ("fingerprint", self.fingerprint),
            ("actors", c["actors"]),
            ("relations", c["relations"]),
            ("events", c["events"]),
            ("event types", c["event_types"]),
            ("relation types", c["relation_types"]),
            (
                "date span",
                f"{first:%Y-%m-%d} to {last:%Y-%m-%d}"
                if not pd.isna(first)
                else "none (no events or relations)",
            ),
            ("source URLs", f"relations {urls['relations']:.0%}, events {urls['events']:.0%}"),
        ]
        width = max(len(label) for label, _ in rows) + 2
        lines = [f"{label:<{width}}{value}" for label, value in rows]
        per_type = (
            self.store.type_counts()
            if self.store is not None
            else self.events["event_type"].value_counts()
        )
        labels = self.event_type_labels
        lines.append("events by type:")
        shown = [(labels.get(str(k), str(k)), v) for k, v in per_type.items() if v]
        type_width = max((len(label) for label, _ in shown), default=0) + 2
        lines += [f"  {label:<{type_width}}{v}" for label, v in shown]
        return "\n".join(lines)


def _mapping(frame: pd.DataFrame, column: str) -> dict[str, str]:
    """``id`` -> ``column`` of a table, as strings."""
    return dict(zip(frame["id"].astype(str), frame[column].astype(str), strict=True))


# --------------------------------------------------------------------------- building


def _categorical(values: pd.Series, categories: list[str]) -> pd.Series:
    """Values as a categorical with exactly these categories (in this order)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.set_categories(categories)
    return pd.Series(pd.Categorical(values, categories=categories), index=values.index)


def _numbers(values: pd.Series) -> pd.Series:
    """Numeric values of a (categorical) text column, converted once per distinct value."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        numbers = pd.to_numeric(pd.Series(values.cat.categories.astype(object)))
        return pd.Series(
            numbers.reindex(values.cat.codes.to_numpy()).to_numpy(float), index=values.index
        )
    return pd.to_numeric(values).astype(float)


def _dates(frame: pd.DataFrame, column: str, prefix: str) -> dict[str, pd.Series]:
    parsed = parse_partial(frame[column])
    return {
        column: parsed["start"],
        f"{prefix}_stop": parsed["stop"],
        f"{prefix}_precision": parsed["precision"],
    }


def _by_date(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    when = frame[column].to_numpy("datetime64[ns]").view("int64")
    if len(when) < 2 or bool(np.all(when[1:] >= when[:-1])):
        return frame.reset_index(drop=True)  # already in order: no copy of a million rows
    return frame.take(np.argsort(when, kind="stable")).reset_index(drop=True)


def typed_events(
    raw: pd.DataFrame, actor_ids: list[str], event_types: pd.DataFrame, relation_ids: pd.Series
) -> pd.DataFrame:
    """Events as read (text) -> typed: ids as categoricals of the dataset's ids, dates with
    their precision and span, numbers, and each event's score. The one conversion, used for
    a whole file here and for the rows an engine fetches (:mod:`alliances.engine`)."""
    events = raw.copy()
    for col in ("actor_1", "actor_2"):
        events[col] = _categorical(events[col], actor_ids)
    events["event_type"] = _categorical(events["event_type"], list(event_types["id"]))
    events = events.assign(**_dates(events, "date", "date"), **_dates(events, "end_date", "end"))
    # The span an event covers: from its date to the end of its end_date (or of its own date),
    # each at its own precision, so "2023-08" covers the whole month.
    events["stop"] = events["end_stop"].where(events["end_stop"].notna(), events["date_stop"])
    events["magnitude"] = _numbers(events["magnitude"])
    events["unit"] = events["unit"].astype("category")  # a few units over many rows
    basis = _categorical(events["magnitude_basis"], list(schema.MAGNITUDE_BASIS))
    events["magnitude_basis"] = basis.fillna("amount")
    events["confidence"] = _categorical(events["confidence"], list(schema.CONFIDENCE))
    events["relation_id"] = _categorical(events["relation_id"], list(relation_ids))
    # an event's own score (GDELT's GoldsteinScale, say) wins over its type's
    scores = dict(zip(event_types["id"], event_types["score"], strict=True))
    # (the file's own values stay in score_given, so that a dataset written back keeps them)
    events["score_given"] = _numbers(events["score"])
    events["score"] = events["score_given"].where(
        events["score_given"].notna(), events["event_type"].map(scores).astype(float)
    )
    for col in ("latitude", "longitude"):
        events[col] = _numbers(events[col])
    return events


def _build(
    raws: dict[str, RawTable], path: Path | None, fingerprint: str, store: EventStore | None = None
) -> Dataset:
    actors = raws["actors"].frame.copy()
    event_types = raws["event_types"].frame.copy()
    relation_types = raws["relation_types"].frame.copy()
    relations = raws["relations"].frame.copy()

    actor_ids = list(actors["id"])
    actors["kind"] = _categorical(actors["kind"], list(schema.ACTOR_KINDS))
    for col in ("iso_numeric", "cow_code"):
        actors[col] = _numbers(actors[col]).astype("Int64")
    event_types["score"] = _numbers(event_types["score"])
    relation_types["polarity"] = _numbers(relation_types["polarity"]).astype(int)

    for col in ("actor_a", "actor_b"):
        relations[col] = _categorical(relations[col], actor_ids)
    relations["relation_type"] = _categorical(
        relations["relation_type"], list(relation_types["id"])
    )
    relations["directed"] = (
        relations["directed"].astype(object).str.lower().isin(schema.TRUE_WORDS).astype(bool)
    )
    relations = relations.assign(
        **_dates(relations, "start_date", "start"), **_dates(relations, "end_date", "end")
    )
    relations["confidence"] = _categorical(relations["confidence"], list(schema.CONFIDENCE))
    polarity = dict(zip(relation_types["id"], relation_types["polarity"], strict=True))
    relations["polarity"] = relations["relation_type"].map(polarity).astype(int)

    # chronological, ties in file order (a stable sort on int64 dates: fast at a million rows)
    events = _by_date(
        typed_events(raws["events"].frame, actor_ids, event_types, relations["relation_id"]),
        "date",
    )
    relations = _by_date(relations, "start_date")

    return Dataset(
        actors=actors,
        event_types=event_types,
        relation_types=relation_types,
        relations=relations,
        events=events,
        path=path,
        fingerprint=fingerprint,
        store=store,
    )


# --------------------------------------------------------------------------- loading + cache


_CACHE: OrderedDict[tuple, Dataset] = OrderedDict()
_LAST_GOOD: dict[str, Dataset] = {}  # per folder: the latest version that passed validation
_FOLDER_LOCKS: dict[str, threading.Lock] = {}
_CACHE_SIZE = 4
_LOCK = threading.Lock()


def load_dataset(
    path: str | os.PathLike[str] | None = None, *, cache: bool = True, engine: str | None = None
) -> Dataset:
    """Load and validate a dataset folder (default: the bundled dataset), or open a
    connection URL (``duckdb:///file.duckdb``, ``pyspark://``: ``docs/engine.md``).

    Large data takes the engine path (:func:`alliances.engine.choose`; ``engine`` forces it:
    ``"memory"`` or ``"duckdb"``): the events stay where they are and ``Dataset.store``
    queries them. Raises :class:`~alliances.problems.DatasetError`, listing every problem, if
    the data does not pass validation or cannot be read; ``NotADirectoryError`` if a path is
    not a folder.
    """
    from .engine import choose, open_dataset
    from .engine.sources import given, is_url

    path = given(path)
    url = is_url(None if path is None else str(path))
    directory = None if url else resolve_path(path)
    if directory is not None and not directory.is_dir():
        raise NotADirectoryError(f"not a dataset folder: {directory}")
    large = choose(path, engine) == "engine"
    if not cache:
        return open_dataset(path) if large else _load(directory)
    name = str(path) if url else str(directory)
    with _LOCK:
        folder_lock = _FOLDER_LOCKS.setdefault(name, threading.Lock())
    with folder_lock:  # sessions arriving together after a change load the folder once
        # a URL's events are queried live; its small tables are read once per process
        key = (name, large, None if url else signature(directory))
        with _LOCK:
            if key in _CACHE:
                _CACHE.move_to_end(key)
                return _CACHE[key]
        dataset = open_dataset(path) if large else _load(directory)
        with _LOCK:
            _CACHE[key] = dataset
            _LAST_GOOD[name] = dataset
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
    return dataset


def _load(directory: Path) -> Dataset:
    raws, problems = validate_tables(directory)
    if problems:
        raise DatasetError(directory, problems)
    read = [raws[t.name] for t in schema.TABLES.values() if t.name in raws]
    return _build(raws, directory, fingerprint_of((r.path.name, r.digest) for r in read))


@dataclass(frozen=True)
class ServedDataset:
    """What a server should show: the dataset, and why it may not be the files' current state."""

    dataset: Dataset | None
    problems: list = field(default_factory=list)
    settling: bool = False  # files changed moments ago: still being written, maybe

    @property
    def stale(self) -> bool:
        """True when serving the last good version instead of what is on disk."""
        return bool(self.problems) or self.settling


SETTLE_SECONDS = 2.0
"""Files modified more recently than this may be half-written: keep serving the last good data."""


def serve_dataset(path: str | os.PathLike[str] | None = None) -> ServedDataset:
    """The dataset a new session should get: the files as they are if they are valid, else the
    last version that was (with the problems), so a bad or half-written edit never takes the
    dashboard down. With no good version yet, ``dataset`` is ``None``."""
    from .engine.sources import given, is_url

    path = given(path)
    url = is_url(None if path is None else str(path))
    directory = None if url else resolve_path(path)
    name = str(path) if url else str(directory)
    last_good = _LAST_GOOD.get(name)
    if (
        directory is not None
        and last_good is not None
        and _recently_modified(directory)
        and last_good.fingerprint != fingerprint_files(directory)
    ):
        return ServedDataset(last_good, settling=True)
    try:
        return ServedDataset(load_dataset(path if url else directory))
    except DatasetError as exc:
        return ServedDataset(_LAST_GOOD.get(name), exc.problems)


def _recently_modified(directory: Path) -> bool:
    now = time.time()
    return any(m is not None and now - m / 1e9 < SETTLE_SECONDS for _, m, _ in signature(directory))


def clear_cache() -> None:
    """Forget every cached load, and every result cached per dataset (tests use this)."""
    with _LOCK:
        _CACHE.clear()
        _LAST_GOOD.clear()
    cache.clear()


__all__ = [
    "ENV_DATA",
    "Dataset",
    "DatasetError",
    "ServedDataset",
    "bundled_path",
    "clear_cache",
    "fingerprint_files",
    "load_dataset",
    "resolve_path",
    "serve_dataset",
]
