"""Tables stored as Parquet (``events.parquet``, ``relations.parquet``) instead of CSV.

Large datasets load faster from Parquet; the data and the checks are the same as for CSV, and
problems are reported per row as ``events.parquet:LINE: COLUMN: message`` (LINE counted as in
the CSV: the header is line 1, the first row line 2).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from alliances import load_dataset
from alliances.dataset import fingerprint_files
from alliances.validation import validate
from unit_helpers import SMALL


def to_parquet(folder: Path, table: str, edit=None) -> None:
    """Replace ``table``.csv in ``folder`` by ``table``.parquet with the same text columns."""
    csv = folder / f"{table}.csv"
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    if edit is not None:
        edit(frame)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), folder / f"{table}.parquet")
    csv.unlink()


@pytest.fixture
def parquet_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(SMALL, folder)
    return folder


def test_a_parquet_dataset_loads_the_same_as_its_csv(parquet_copy):
    to_parquet(parquet_copy, "events")
    to_parquet(parquet_copy, "relations")
    from_csv = load_dataset(SMALL, cache=False)
    from_parquet = load_dataset(parquet_copy, cache=False)

    assert validate(parquet_copy) == []
    for name in ("events", "relations", "actors"):
        pd.testing.assert_frame_equal(getattr(from_parquet, name), getattr(from_csv, name))


def test_a_bad_value_in_parquet_names_its_row(parquet_copy):
    def bad_date(frame: pd.DataFrame) -> None:
        frame.loc[2, "date"] = "2024-13-45"
        frame.loc[4, "actor_2"] = "XXX"

    to_parquet(parquet_copy, "events", bad_date)
    lines = [str(p) for p in validate(parquet_copy)]

    assert any(line.startswith("events.parquet:4: date: ") for line in lines), lines
    assert any(line.startswith("events.parquet:6: actor_2: ") for line in lines), lines
    assert len(lines) == 2, lines


def test_a_file_that_is_not_parquet_gets_a_report(parquet_copy):
    to_parquet(parquet_copy, "events")
    (parquet_copy / "events.parquet").write_bytes(b"PAR1 this is not a parquet file")

    lines = [str(p) for p in validate(parquet_copy)]
    assert len(lines) == 1
    assert lines[0].startswith("events.parquet:1: -: cannot read Parquet file")


def test_the_fingerprint_follows_the_parquet_content(parquet_copy, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(parquet_copy, other)
    to_parquet(parquet_copy, "events")

    def retitle(frame: pd.DataFrame) -> None:
        frame.loc[0, "title"] = "Another title"

    to_parquet(other, "events", retitle)
    first, second = load_dataset(parquet_copy, cache=False), load_dataset(other, cache=False)
    assert first.fingerprint != second.fingerprint
    assert load_dataset(parquet_copy, cache=False).fingerprint == first.fingerprint


def test_a_load_and_the_files_give_one_fingerprint(parquet_copy):
    """A load hashes the bytes it read; the server compares that with a fresh hash of the
    files to tell whether they changed: both must agree, for CSV and for Parquet."""
    assert load_dataset(SMALL, cache=False).fingerprint == fingerprint_files(SMALL)
    to_parquet(parquet_copy, "events")
    assert load_dataset(parquet_copy, cache=False).fingerprint == fingerprint_files(parquet_copy)


def test_an_edited_parquet_file_reloads(parquet_copy):
    """The load cache must notice a change to the Parquet file that holds a table (it once
    compared only the CSV's name, so a Parquet-only dataset never reloaded)."""
    to_parquet(parquet_copy, "events")
    first = load_dataset(parquet_copy)
    assert load_dataset(parquet_copy) is first  # unchanged files: the cached load

    def retitle(frame: pd.DataFrame) -> None:
        frame.loc[0, "title"] = "Another title"

    frame = pq.read_table(parquet_copy / "events.parquet").to_pandas()
    retitle(frame)
    pq.write_table(
        pa.Table.from_pandas(frame, preserve_index=False), parquet_copy / "events.parquet"
    )
    second = load_dataset(parquet_copy)
    assert second is not first
    assert "Another title" in set(second.events["title"])
    assert second.fingerprint == fingerprint_files(parquet_copy) != first.fingerprint


def test_one_function_names_the_file_of_each_table(parquet_copy):
    from alliances import schema
    from alliances.reading import signature, table_file

    to_parquet(parquet_copy, "events")
    events = schema.TABLES["events"]
    assert table_file(parquet_copy, events).name == "events.parquet"
    assert table_file(parquet_copy, schema.TABLES["actors"]).name == "actors.csv"
    assert [name for name, *_ in signature(parquet_copy)] == [
        table_file(parquet_copy, t).name for t in schema.TABLES.values()
    ]
    # a CSV beside the Parquet file wins, in reading as in the signature
    (parquet_copy / "events.csv").write_bytes((SMALL / "events.csv").read_bytes())
    assert table_file(parquet_copy, events).name == "events.csv"
