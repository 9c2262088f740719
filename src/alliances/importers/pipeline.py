"""One import from start to finish: read each file with its source's reader, keep the slice
asked for, drop records already there, write the folder, and report.

A source module has ``NAME``, ``LABEL`` and ``read(inp, ctx)``, which yields :class:`Batch`\\ es
of rows in the public format's columns (dates as partial-date text).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd

from .. import schema
from ..dataset import Dataset, load_dataset
from ..dates import parse_partial
from ..problems import DatasetError
from ..reading import bundled_path
from .actors import Actors, read_actors_map
from .inputs import InputFile, input_files
from .report import ImportFailed, Report
from .types import catalogue
from .writer import Writer, check_output

FORMATS = ("csv", "parquet")


@dataclass
class Batch:
    """Rows for one table, in the public format's columns, with the line each came from."""

    table: str  # "events" or "relations"
    frame: pd.DataFrame
    file: str
    lines: np.ndarray


@dataclass
class Context:
    """What a reader needs besides its file: the report and the actor resolver."""

    report: Report
    actors: Actors
    cache: dict = field(default_factory=dict)  # a reader's lookups, kept across files


@dataclass
class Options:
    """``alliances import`` options (see the command's help)."""

    merge: Path | None = None
    format: str = "csv"
    actors_map: Path | None = None
    start: str | None = None
    end: str | None = None
    actors: Sequence[str] = ()


@dataclass
class ImportResult:
    """What :func:`run` did: the report, and the dataset when asked to load it."""

    report: Report
    dataset: Dataset | None = None
    used: set[str] = field(default_factory=set)


def _window(options: Options) -> tuple[np.datetime64 | None, np.datetime64 | None]:
    bounds = []
    for flag, value, side in (("--from", options.start, "start"), ("--to", options.end, "stop")):
        if not value:
            bounds.append(None)
            continue
        parsed = parse_partial(pd.Series([value]))
        if pd.isna(parsed["start"].iloc[0]):
            raise ImportFailed(
                f"{flag} {value}: not a date (YYYY, YYYY-MM or YYYY-MM-DD)", usage=True
            )
        bounds.append(parsed[side].to_numpy()[0])
    return bounds[0], bounds[1]


def _base(options: Options) -> Dataset:
    if options.merge is None:  # the bundled vocabularies (cached: read-only here)
        return load_dataset(bundled_path())
    if not options.merge.is_dir():
        raise ImportFailed(f"--merge {options.merge}: not a dataset folder", usage=True)
    try:
        return load_dataset(options.merge, cache=False)
    except DatasetError as exc:
        raise ImportFailed(
            [f"--merge {options.merge}: the dataset does not validate; fix it first:"]
            + [str(p) for p in exc.problems[:20]]
        ) from None


def run(
    module: ModuleType,
    files: Sequence[str | os.PathLike[str]],
    output: str | os.PathLike[str],
    options: Options | None = None,
    *,
    load: bool = False,
) -> ImportResult:
    """Import ``files`` with the reader ``module`` into the folder ``output``.

    Raises :class:`ImportFailed` (nothing written) for files that cannot be imported.
    """
    options = options or Options()
    out = Path(output).expanduser()
    if options.format not in FORMATS:
        raise ImportFailed(f"--format {options.format}: use csv or parquet", usage=True)
    check_output(out, options.merge)
    start, stop = _window(options)
    inputs = input_files(list(files))
    base = _base(options)
    report = Report(module.NAME)
    user_map = read_actors_map(options.actors_map) if options.actors_map else None
    merged = options.merge is not None
    actors = Actors(report, base.actors if merged else None, user_map)
    wanted = set(options.actors)
    unknown = [a for a in wanted if a not in base.actor_ids and a not in actors.crosswalk.entries]
    if unknown and user_map is None:
        report.note(f"--actors: {', '.join(sorted(unknown))} not among the known actor ids")
    ctx = Context(report, actors)
    used: set[str] = set()
    types: dict[str, set[str]] = {"event_types": set(), "relation_types": set()}
    vocabulary_ids = {
        table: set(getattr(base, table)["id"].astype(str)) | set(catalogue(table)["id"])
        for table in ("event_types", "relation_types")
    }
    with Writer(out, base, merged=merged, fmt=options.format) as writer:
        for inp in inputs:
            for batch in _batches(module, inp, ctx):
                frame = _keep(batch, report, writer, start, stop, wanted)
                if frame is None or frame.empty:
                    continue
                _record_use(frame, batch.table, used, types)
                if batch.table == "events":
                    refs = {
                        "actors": set(base.actor_ids) | set(actors.added),
                        "event_types": vocabulary_ids["event_types"],
                        "relations": writer.existing["relations"] | writer.added["relations"],
                    }
                    writer.append_events(_typed(frame, "events"), refs)
                else:
                    writer.add_relations(_typed(frame, "relations"))
                report.imported[batch.table] += len(frame)
        in_place = merged and out.exists() and out.resolve() == options.merge.resolve()
        if in_place and not any(report.imported.values()):
            report.note(f"nothing new: {out} is left as it was")
            report.output = out
            return ImportResult(report, load_dataset(out, cache=False) if load else None, used)
        new_actors = actors.table(used)
        report.actors_created = list(new_actors["id"])
        dataset = writer.finish(
            _concat(base.actors if merged else base.actors.iloc[:0], new_actors),
            _vocabulary(base.event_types, "event_types", types["event_types"]),
            _vocabulary(base.relation_types, "relation_types", types["relation_types"]),
            load=load,
        )
    report.output = out
    return ImportResult(report, dataset, used)


def _batches(module: ModuleType, inp: InputFile, ctx: Context) -> Iterator[Batch]:
    yield from module.read(inp, ctx)


def _keep(
    batch: Batch,
    report: Report,
    writer: Writer,
    start: np.datetime64 | None,
    stop: np.datetime64 | None,
    wanted: set[str],
) -> pd.DataFrame | None:
    """The rows of a batch to write; the others counted by reason."""
    columns = schema.TABLES[batch.table].columns
    frame = batch.frame.reset_index(drop=True).reindex(columns=columns)
    lines, file = batch.lines, batch.file
    events = batch.table == "events"
    first_date, last_date = ("date", "end_date") if events else ("start_date", "end_date")
    a, b = ("actor_1", "actor_2") if events else ("actor_a", "actor_b")
    keep = np.ones(len(frame), dtype=bool)

    def drop(reason: str, mask: np.ndarray) -> None:
        mask = mask & keep
        report.skip_rows(reason, mask, file, lines)
        keep[mask] = False

    begins = parse_partial(frame[first_date].astype("category"))
    ends = parse_partial(frame[last_date].astype("category"))
    drop("date missing or not a valid date", begins["start"].isna().to_numpy())
    drop("no actor", frame[a].isna().to_numpy())
    same = (frame[a] == frame[b]).fillna(False).to_numpy(bool)
    drop("both sides are the same actor", same)
    if start is not None or stop is not None:
        until = ends["stop"].where(ends["stop"].notna(), begins["stop"])
        if not events:  # a relation in force (no end) reaches to today
            until = ends["stop"].where(frame[last_date].notna(), np.datetime64("2262-01-01"))
        outside = np.zeros(len(frame), dtype=bool)
        if start is not None:
            outside |= (until <= start).fillna(False).to_numpy(bool)
        if stop is not None:
            outside |= (begins["start"] >= stop).fillna(False).to_numpy(bool)
        drop("outside --from/--to", outside)
    if wanted:
        involved = frame[a].isin(wanted) | frame[b].isin(wanted)
        if events:
            parts = frame["participants"].astype(object)
            involved |= parts.map(
                lambda items: isinstance(items, str) and bool(wanted.intersection(items.split(";")))
            )
        drop("involves none of --actors", ~involved.to_numpy(bool))
    key = "event_id" if events else "relation_id"
    ids = frame[key].to_numpy(dtype=object)
    existing, added = writer.existing[batch.table], writer.added[batch.table]
    if existing:
        drop("already in the dataset", np.fromiter((i in existing for i in ids), bool, len(ids)))
    again = np.fromiter((i in added for i in ids), bool, len(ids))
    again |= pd.Series(ids).duplicated().to_numpy(bool)
    drop("the same record again (an earlier line or file)", again)
    added.update(ids[keep])
    return frame[keep]


def _record_use(frame: pd.DataFrame, table: str, used: set[str], types: dict) -> None:
    if table == "events":
        for col in ("actor_1", "actor_2"):
            used.update(frame[col].dropna().unique())
        for items in frame["participants"].dropna().unique():
            used.update(i for i in str(items).split(";") if i)
        types["event_types"].update(frame["event_type"].unique())
    else:
        used.update(frame["actor_a"].unique())
        used.update(frame["actor_b"].unique())
        types["relation_types"].update(frame["relation_type"].unique())


def _typed(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Public-format text columns -> the frame :func:`alliances.formats.to_public` writes."""
    spec = schema.TABLES[table]
    out = pd.DataFrame(index=frame.index)
    for f in spec.fields:
        values = frame[f.name] if f.name in frame else pd.Series(None, index=frame.index)
        if f.kind == "date":
            prefix = {"start_date": "start", "end_date": "end", "date": "date"}[f.name]
            parsed = parse_partial(values.astype("category"))
            out[f.name] = parsed["start"]
            out[f"{prefix}_precision"] = parsed["precision"]
        elif f.kind == "number":
            out[f.name] = pd.to_numeric(values, errors="coerce").astype(float)
        elif f.kind == "bool":
            out[f.name] = values.astype(bool)
        else:
            out[f.name] = values.astype(object).where(values.notna(), None)
    return out


def _concat(base: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    columns = schema.ACTORS.columns
    new = new.reindex(columns=columns)
    base = base.reindex(columns=columns)
    frames = [f for f in (base, new) if len(f)]
    if not frames:
        return base
    return pd.concat(frames, ignore_index=True).astype({"iso_numeric": float, "cow_code": float})


def _vocabulary(base: pd.DataFrame, table: str, used: set[str]) -> pd.DataFrame:
    """The base vocabulary plus the types this import used that it lacks."""
    known = set(base["id"].astype(str))
    extra = catalogue(table)
    extra = extra[extra["id"].isin(used - known)]
    return pd.concat([base, extra], ignore_index=True) if len(extra) else base
