"""Loading a dataset folder into typed, read-only pandas frames.

``load_dataset()`` validates first (:mod:`alliances.validation`) and raises
:class:`~alliances.validation.DatasetError` listing every problem; a valid folder becomes a
:class:`Dataset` whose ids and types are categoricals and whose dates keep their precision.
Loads are cached per folder and reused until a file in it changes.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from . import schema
from .dates import parse_partial
from .validation import DatasetError, RawTable, validate_tables

ENV_DATA = "ALLIANCES_DATA"
"""Environment variable naming the dataset folder to use instead of the bundled one."""


def bundled_path() -> Path:
    """The dataset shipped with the package (in a source checkout: the repository's ``data/``)."""
    packaged = Path(str(resources.files("alliances"))) / "data"
    if (packaged / "events.csv").is_file():
        return packaged
    return Path(__file__).resolve().parents[2] / "data"


def resolve_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The folder to load: ``path``, else ``$ALLIANCES_DATA``, else the bundled dataset."""
    if path is None or str(path) == "":
        path = os.environ.get(ENV_DATA) or bundled_path()
    return Path(path).expanduser().resolve()


@dataclass(frozen=True, eq=False)
class Dataset:
    """A loaded dataset: five typed frames plus where they came from.

    Treat the frames as read-only: the same object is shared by every session that loads the
    same folder.
    """

    actors: pd.DataFrame
    event_types: pd.DataFrame
    relation_types: pd.DataFrame
    relations: pd.DataFrame
    events: pd.DataFrame
    path: Path | None = None
    fingerprint: str = ""
    origin: str = ""
    _names: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def actor_ids(self) -> list[str]:
        return list(self.actors["id"])

    @property
    def names(self) -> dict[str, str]:
        """Actor id -> display name."""
        return self._names

    def actor_name(self, actor_id: str) -> str:
        """Display name of an actor id (the id itself if unknown)."""
        return self._names.get(actor_id, actor_id)

    @cached_property
    def span(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """First and last day covered by any event or relation."""
        starts = pd.concat([self.events["date"], self.relations["start_date"]])
        stops = pd.concat(
            [self.events["stop"], self.relations["start_stop"], self.relations["end_stop"]]
        )
        return starts.min(), stops.max() - pd.Timedelta(days=1)

    def counts(self) -> dict[str, int]:
        return {
            "actors": len(self.actors),
            "relations": len(self.relations),
            "events": len(self.events),
            "event_types": len(self.event_types),
            "relation_types": len(self.relation_types),
        }

    def summary(self) -> str:
        """Counts and date span, as ``alliances info`` prints them."""
        first, last = self.span
        c = self.counts()
        lines = [
            f"dataset      {self.path}",
            f"fingerprint  {self.fingerprint}",
            f"actors       {c['actors']}",
            f"relations    {c['relations']}",
            f"events       {c['events']}",
            f"event types  {c['event_types']}",
            f"relation types {c['relation_types']}",
            f"date span    {first:%Y-%m-%d} to {last:%Y-%m-%d}"
            if not pd.isna(first)
            else "date span    none (no events or relations)",
        ]
        per_type = self.events["event_type"].value_counts()
        lines.append("events by type:")
        lines += [f"  {k:<22} {v}" for k, v in per_type.items() if v]
        return "\n".join(lines)


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


def _build(raws: dict[str, RawTable], path: Path | None, fingerprint: str) -> Dataset:
    actors = raws["actors"].frame.copy()
    event_types = raws["event_types"].frame.copy()
    relation_types = raws["relation_types"].frame.copy()
    relations = raws["relations"].frame.copy()
    events = raws["events"].frame.copy()

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
    events["relation_id"] = _categorical(events["relation_id"], list(relations["relation_id"]))
    scores = dict(zip(event_types["id"], event_types["score"], strict=True))
    events["score"] = events["event_type"].map(scores).astype(float)
    # chronological, ties in file order (a stable sort on int64 dates: fast at a million rows)
    events = _by_date(events, "date")
    relations = _by_date(relations, "start_date")

    names = dict(zip(actors["id"], actors["name"], strict=True))
    return Dataset(
        actors=actors,
        event_types=event_types,
        relation_types=relation_types,
        relations=relations,
        events=events,
        path=path,
        fingerprint=fingerprint,
        origin=str(path) if path else "",
        _names=names,
    )


# --------------------------------------------------------------------------- loading + cache


def _signature(directory: Path) -> tuple:
    sig = []
    for table in schema.TABLES.values():
        try:
            st = (directory / table.filename).stat()
            sig.append((table.filename, st.st_mtime_ns, st.st_size))
        except OSError:
            sig.append((table.filename, None, None))
    return tuple(sig)


def _fingerprint(files: Iterable[tuple[str, str]]) -> str:
    """12 hex digits from each (file name, SHA-256 of its bytes) in table order."""
    combined = hashlib.sha256()
    for name, digest in files:
        combined.update(f"{name}\0{digest}\n".encode())
    return combined.hexdigest()[:12]


def fingerprint_files(directory: Path) -> str:
    """A short content hash of the dataset's files: equal data, equal fingerprint.

    Each table's file is the one the loader reads: its CSV, or its Parquet file without one.
    A load computes the same value from the bytes it read (no second read of the files).
    """
    found = []
    for table in schema.TABLES.values():
        for p in (directory / table.filename, directory / f"{table.name}.parquet"):
            if p.is_file():
                with p.open("rb") as fh:
                    found.append((p.name, hashlib.file_digest(fh, "sha256").hexdigest()))
                break
    return _fingerprint(found)


_CACHE: OrderedDict[tuple, Dataset] = OrderedDict()
_LAST_GOOD: dict[str, Dataset] = {}  # per folder: the latest version that passed validation
_FOLDER_LOCKS: dict[str, threading.Lock] = {}
_CACHE_SIZE = 4
_LOCK = threading.Lock()


def load_dataset(path: str | os.PathLike[str] | None = None, *, cache: bool = True) -> Dataset:
    """Load and validate a dataset folder (default: the bundled dataset).

    Raises :class:`~alliances.validation.DatasetError`, listing every problem, if the folder
    does not pass validation; ``NotADirectoryError`` if it is not a folder.
    """
    directory = resolve_path(path)
    if not directory.is_dir():
        raise NotADirectoryError(f"not a dataset folder: {directory}")
    if not cache:
        return _load(directory)
    with _LOCK:
        folder_lock = _FOLDER_LOCKS.setdefault(str(directory), threading.Lock())
    with folder_lock:  # sessions arriving together after a change load the folder once
        key = (str(directory), _signature(directory))
        with _LOCK:
            if key in _CACHE:
                _CACHE.move_to_end(key)
                return _CACHE[key]
        dataset = _load(directory)
        with _LOCK:
            _CACHE[key] = dataset
            _LAST_GOOD[str(directory)] = dataset
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
    return dataset


def _load(directory: Path) -> Dataset:
    raws, problems = validate_tables(directory)
    if problems:
        raise DatasetError(directory, problems)
    read = [raws[t.name] for t in schema.TABLES.values() if t.name in raws]
    return _build(raws, directory, _fingerprint((r.path.name, r.digest) for r in read))


@dataclass(frozen=True)
class Served:
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


def serve_dataset(path: str | os.PathLike[str] | None = None) -> Served:
    """The dataset a new session should get: the files as they are if they are valid, else the
    last version that was (with the problems), so a bad or half-written edit never takes the
    dashboard down. With no good version yet, ``dataset`` is ``None``."""
    directory = resolve_path(path)
    last_good = _LAST_GOOD.get(str(directory))
    if (
        last_good is not None
        and _recently_modified(directory)
        and last_good.fingerprint != fingerprint_files(directory)
    ):
        return Served(last_good, settling=True)
    try:
        return Served(load_dataset(directory))
    except DatasetError as exc:
        return Served(_LAST_GOOD.get(str(directory)), exc.problems)


def _recently_modified(directory: Path) -> bool:
    now = time.time()
    return any(
        m is not None and now - m / 1e9 < SETTLE_SECONDS for _, m, _ in _signature(directory)
    )


def clear_cache() -> None:
    """Forget every cached load (tests use this)."""
    with _LOCK:
        _CACHE.clear()
        _LAST_GOOD.clear()


__all__ = [
    "Dataset",
    "DatasetError",
    "Served",
    "bundled_path",
    "clear_cache",
    "load_dataset",
    "resolve_path",
    "serve_dataset",
]
