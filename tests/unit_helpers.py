"""Shared helpers for the unit tests of the query, metrics, figure, format and view layers.

``write_dataset`` writes a purpose-made tiny dataset (the five CSV files, with the bundled
vocabularies) so that a test shows exactly the rows its case needs.
"""

from __future__ import annotations

import csv
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

from alliances import schema
from alliances.dataset import Dataset, load_dataset

TESTS = Path(__file__).parent
SMALL = TESTS / "fixtures" / "small"
"""A small valid dataset (7 actors, 5 relations, 6 events)."""
DATA = TESTS.parent / "data"
"""The bundled dataset, whose vocabularies the tiny datasets reuse."""

HOSTILE = "<img src=x onerror=alert(1)>"
"""A title that must never reach a figure or a page unescaped."""


def actor(id: str, name: str | None = None, *, region: str = "East Asia", **extra) -> dict:
    return {"id": id, "name": name or id, "kind": "state", "region": region, **extra}


def relation(rid: str, a: str, b: str, rtype: str, start: str, end: str = "", **extra: str) -> dict:
    row = {
        "relation_id": rid,
        "actor_a": a,
        "actor_b": b,
        "relation_type": rtype,
        "directed": "false",
        "start_date": start,
        "end_date": end,
        "title": f"Relation {rid}",
        "source_name": "Test source",
        "confidence": "confirmed",
    }
    row.update(extra)
    return row


def event(eid: str, date: str, etype: str, a1: str, a2: str = "", **extra: str) -> dict:
    row = {
        "event_id": eid,
        "date": date,
        "event_type": etype,
        "actor_1": a1,
        "actor_2": a2,
        "title": f"Event {eid}",
        "source_name": "Test source",
        "confidence": "confirmed",
    }
    row.update(extra)
    return row


def _write(path: Path, columns: tuple[str, ...], rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns))
        writer.writeheader()
        for row in rows:
            unknown = set(row) - set(columns)
            assert not unknown, f"not a column of {path.name}: {sorted(unknown)}"
            writer.writerow({c: row.get(c, "") for c in columns})


def write_dataset(
    folder: Path,
    *,
    actors: Iterable[dict],
    relations: Iterable[dict] = (),
    events: Iterable[dict] = (),
) -> Path:
    """Write a dataset folder with these rows and the bundled vocabularies; return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("event_types.csv", "relation_types.csv"):
        shutil.copyfile(DATA / name, folder / name)
    _write(folder / "actors.csv", schema.ACTORS.columns, list(actors))
    _write(folder / "relations.csv", schema.RELATIONS.columns, list(relations))
    _write(folder / "events.csv", schema.EVENTS.columns, list(events))
    return folder


def build(folder: Path, **rows) -> Dataset:
    """Write a tiny dataset to ``folder`` and load it (uncached, so each test gets its own)."""
    return load_dataset(write_dataset(folder, **rows), cache=False)


def small() -> Dataset:
    """The small fixture dataset, freshly loaded."""
    return load_dataset(SMALL, cache=False)


def clear_query_caches() -> None:
    """Forget every result the data layer cached per dataset (selections, arrays, layouts)."""
    from alliances import cache

    cache.clear()


def relabel(folder: Path, filename: str, type_id: str, label: str) -> None:
    """Give one type of a vocabulary file another label."""
    path = folder / filename
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        fields, rows = reader.fieldnames, list(reader)
    assert type_id in [r["id"] for r in rows]
    for row in rows:
        if row["id"] == type_id:
            row["label"] = label
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


SVG_ID = "<svg/onload=alert(2)>"
"""An actor id the validator accepts (no space, no ';') that is also markup."""


def hostile_dataset(folder: Path) -> Dataset:
    """Markup in every dataset text a figure or page shows: names, titles, labels, sources."""
    write_dataset(
        folder,
        actors=[
            actor("A", HOSTILE),
            actor("B", "Bravo", aliases=HOSTILE, description=HOSTILE),
            actor(SVG_ID, "Svg state", region=HOSTILE),
        ],
        relations=[
            relation("ab", "A", "B", "defense_pact", "2000-01-01", title=HOSTILE,
                     description=HOSTILE, source_name=HOSTILE, other_sources=HOSTILE),
            relation("bs", "B", SVG_ID, "entente", "2001", title="Entente"),
        ],
        events=[
            event("h1", "2024-01-02", "summit", "A", "B", title=HOSTILE, description=HOSTILE,
                  location=HOSTILE, magnitude="12", unit=HOSTILE, source_name=HOSTILE,
                  other_sources=HOSTILE, relation_id="ab"),
            event("h2", "2024-02", "arms_transfer", SVG_ID, "B", title=HOSTILE,
                  participants="A", source_name=HOSTILE),
            event("h3", "2024-03-01", "weapons_test", "A", title=HOSTILE, source_name=HOSTILE),
        ],
    )  # fmt: skip
    relabel(folder, "event_types.csv", "summit", HOSTILE)
    relabel(folder, "relation_types.csv", "defense_pact", HOSTILE)
    return load_dataset(folder, cache=False)


def summary_values(text: str) -> dict[str, str]:
    """``alliances info``'s lines as {label: value} (``"  arms_transfer"`` keeps its indent).

    Asserts what a reader relies on: the values of the top block start in one column, and so
    do the counts of the per-type block.
    """
    values: dict[str, str] = {}
    columns: dict[bool, set[int]] = {True: set(), False: set()}
    for line in text.splitlines():
        if not line.strip() or line.endswith(":"):
            continue
        match = re.fullmatch(r"( *)(\S.*?\S)( {2,})(\S.*)", line)
        assert match, f"not a 'label  value' line: {line!r}"
        indented = bool(match[1])
        columns[indented].add(match.start(4))
        values[match[1] + match[2]] = match[4]
    assert all(len(c) <= 1 for c in columns.values()), f"misaligned values:\n{text}"
    return values


def trace_values(model, key: str, name: str | None = None) -> list:
    """Every value of ``key`` over the model's traces (arrays travel in ``data_sources``).

    Panel keeps surplus sources when a figure loses traces; the browser pairs them by index.
    """
    out = []
    for trace, source in zip(model.data, model.data_sources[: len(model.data)], strict=True):
        if name is not None and trace.get("name") != name:
            continue
        if key in source.data:
            out += [v for arr in source.data[key] for v in arr]
        elif trace.get(key) is not None:
            out += list(trace[key])
    return out
