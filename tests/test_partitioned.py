"""Tables stored as Parquet partitioned by year (``events/year=YYYY/part-N.parquet``).

What a person would check: the folder is the table (one owner decides which file holds it),
a small partitioned dataset loads as its CSV does, an edited part is noticed, every damaged or
misplaced file is reported as ``FILE:LINE: COLUMN: message`` (never a traceback), and checking
a large table batch by batch reports exactly what checking it whole does.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from alliances import partitioned, schema, streaming
from alliances.cli import main
from alliances.convert import convert
from alliances.dataset import fingerprint_files, load_dataset
from alliances.reading import bundled_path, signature, table_file
from alliances.validation import validate, validate_tables

EVENTS = schema.TABLES["events"]


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled dataset with its events partitioned by year (no rollups: not tested here)."""
    out = tmp_path_factory.mktemp("partitioned") / "data"
    convert(bundled_path(), out, rollups=False)
    return out


@pytest.fixture
def copy(converted: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(converted, folder)
    return folder


def part(folder: Path, year: int) -> Path:
    return folder / "events" / f"year={year}" / "part-0.parquet"


def rewrite(path: Path, edit) -> None:
    """Rewrite a part with ``edit(frame)`` applied (text columns, as the format stores them)."""
    frame = pq.read_table(path).to_pandas()
    edit(frame)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)


def lines(capsys, *args: str | Path) -> tuple[int, list[str]]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out.splitlines()


# --------------------------------------------------------------------------- which file


def test_the_folder_is_the_table_and_loads_as_the_csv_does(converted: Path, tmp_path: Path):
    assert table_file(converted, EVENTS) == converted / "events"
    assert not (converted / "events.csv").exists()
    assert validate(converted) == []
    bundled = load_dataset(bundled_path(), cache=False)
    loaded = load_dataset(converted, cache=False)
    for name in ("events", "relations", "actors", "event_types"):
        pd.testing.assert_frame_equal(getattr(loaded, name), getattr(bundled, name))
    # a load and the files give one fingerprint (the server compares the two)
    assert loaded.fingerprint == fingerprint_files(converted)

    # a CSV beside the folder wins; without both, a single events.parquet is read
    both = tmp_path / "both"
    shutil.copytree(converted, both)
    shutil.copy(bundled_path() / "events.csv", both / "events.csv")
    assert table_file(both, EVENTS) == both / "events.csv"
    (both / "events.csv").unlink()
    shutil.rmtree(both / "events")
    pq.write_table(pq.read_table(part(converted, 2024)), both / "events.parquet")
    assert table_file(both, EVENTS) == both / "events.parquet"


def test_an_edited_part_is_noticed_by_the_cache_and_the_fingerprint(copy: Path):
    first = load_dataset(copy)
    assert load_dataset(copy) is first
    entry = dict((name, rest) for name, *rest in signature(copy))["events"]
    assert [label for label, *_ in entry[1]] == [
        p.label for p in partitioned.parts(copy / "events")[0]
    ]

    def retitle(frame: pd.DataFrame) -> None:
        frame.loc[0, "title"] = "Another title"

    rewrite(part(copy, 2024), retitle)
    second = load_dataset(copy)
    assert second is not first
    assert "Another title" in set(second.events["title"])
    assert second.fingerprint == fingerprint_files(copy) != first.fingerprint


# --------------------------------------------------------------------------- bad files


def _garbage(folder: Path) -> None:
    part(folder, 2024).write_bytes(b"PAR1 not a parquet file at all")


def _truncated(folder: Path) -> None:
    path = part(folder, 2023)
    path.write_bytes(path.read_bytes()[:300])


def _empty(folder: Path) -> None:
    part(folder, 2022).write_bytes(b"")


def _damaged_page(folder: Path) -> None:
    path = part(folder, 2021)
    data = bytearray(path.read_bytes())
    for i in range(len(data) // 3, len(data) // 3 + 64):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))


def _nested_column(folder: Path) -> None:
    path = part(folder, 2024)
    table = pq.read_table(path)
    titles = pa.array([[t] for t in table["title"].to_pylist()])
    pq.write_table(table.set_column(table.schema.get_field_index("title"), "title", titles), path)


def _missing_column(folder: Path) -> None:
    path = part(folder, 2023)
    pq.write_table(pq.read_table(path).drop_columns(["event_id"]), path)


def _stray(folder: Path) -> None:
    pq.write_table(pq.read_table(part(folder, 2024)), folder / "events" / "extra.parquet")
    (folder / "events" / ".part-0.parquet.tmp").write_bytes(b"half written")  # skipped


CANNOT_READ = ": -: cannot read Parquet file: "
HOSTILE = {
    "unreadable": (
        [_garbage, _truncated, _empty, _damaged_page],
        [
            f"events/year=2021/part-0.parquet:1{CANNOT_READ}",
            f"events/year=2022/part-0.parquet:1{CANNOT_READ}Parquet file size is 0 bytes",
            f"events/year=2023/part-0.parquet:1{CANNOT_READ}",
            f"events/year=2024/part-0.parquet:1{CANNOT_READ}Parquet magic bytes not found",
        ],
    ),
    "misshapen": (
        [_nested_column, _missing_column, _stray],
        [
            "events/extra.parquet:1: -: not part of the layout: ",
            "events/year=2023/part-0.parquet:1: event_id: required column is missing",
            "events/year=2024/part-0.parquet:1: title: column cannot be read as text: ",
        ],
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_damaged_or_stray_file_is_reported_by_name(copy: Path, capsys, case: str):
    damages, expected = HOSTILE[case]
    for damage in damages:
        damage(copy)

    code, out = lines(capsys, "validate", copy)
    assert code == 1
    assert len(out) == len(expected), out
    for line, start in zip(out, expected, strict=True):
        assert line.startswith(start), out
    # the same report when the table is checked in batches, as a large one is
    assert [str(p) for p in streaming.validate_large(copy, ["events"], batch_rows=100)] == out
    if case == "misshapen":  # what `alliances info` says (the in-memory path here)
        code, info = lines(capsys, "info", copy)
        assert code == 1
        assert info == out


def test_rows_in_the_wrong_year_or_order_are_reported_at_their_row(copy: Path):
    def misplace(frame: pd.DataFrame) -> None:
        frame.loc[2, "date"] = "2019-05-01"  # a 2019 row in the 2024 folder, and out of order

    rewrite(part(copy, 2024), misplace)
    found = [str(p) for p in validate(copy)]
    assert found == [
        "events/year=2024/part-0.parquet:4: date: date '2019-05-01' is not in year 2024, the "
        "year of its folder: rows go in the folder of their date's year",
        "events/year=2024/part-0.parquet:4: date: rows are not in date order here "
        "('2019-05-01' after '2024-02-01'): `alliances convert` writes them sorted",
    ]


# --------------------------------------------------------------------------- in batches


def test_batches_report_what_the_whole_table_does(copy: Path, monkeypatch):
    """Value problems across parts and batch boundaries: a duplicate id in another part, an
    unknown actor, an impossible date, a link to a relation of other actors."""
    first_id = pq.read_table(part(copy, 2022))["event_id"][0].as_py()

    def spoil(frame: pd.DataFrame) -> None:
        frame.loc[1, "event_id"] = first_id
        frame.loc[1, "actor_2"] = "XXX"
        frame.loc[5, "end_date"] = "2024-02-30"
        frame.loc[6, "relation_id"] = "rel-can-nato-1949-membership"

    rewrite(part(copy, 2024), spoil)
    whole = sorted(validate_tables(copy)[1])
    assert [str(p) for p in whole] == [
        "events/year=2024/part-0.parquet:3: actor_2: unknown actor id: 'XXX'",
        "events/year=2024/part-0.parquet:3: event_id: duplicate id "
        "(first on events/year=2022/part-0.parquet:2): '2022-02-04-chn-rus-no-limits-statement'",
        "events/year=2024/part-0.parquet:7: end_date: not a date: use YYYY, YYYY-MM or "
        "YYYY-MM-DD (a real day, years 1800-2100): '2024-02-30'",
        "events/year=2024/part-0.parquet:8: relation_id: relation "
        "'rel-can-nato-1949-membership' is between CAN and NATO, not this event's actors",
    ]
    for rows in (50, 1000):
        assert sorted(streaming.validate_large(copy, ["events"], batch_rows=rows)) == whole

    # `alliances validate` takes the batch path above the threshold, and never reads it whole
    monkeypatch.setattr(streaming, "STREAM_ROWS", 10)
    monkeypatch.setattr(
        "alliances.reading.read_partitioned",
        lambda *a: pytest.fail("the events were read whole"),
    )
    assert streaming.large_tables(copy) == ["events"]
    assert sorted(validate(copy)) == whole


# --------------------------------------------------------------------------- the writer


def test_the_writer_sorts_by_start_keeps_ties_in_order_and_rolls_parts(tmp_path: Path):
    dates = "2021-03-04 2020 2020-05 2020-05-01 2021-01 2020-01-01 2021-03-04 2020-12-31 2021"
    rows = pd.DataFrame({"id": [f"r{i}" for i in range(9)], "date": dates.split()})
    folder = tmp_path / "events"
    schema_ = partitioned.text_schema(["id", "date"])
    writer = partitioned.PartitionedWriter(folder, schema_, "date", row_group_rows=2, part_rows=4)
    writer.write(pa.Table.from_pandas(rows.iloc[:5], preserve_index=False))
    writer.write(pa.Table.from_pandas(rows.iloc[5:], preserve_index=False))
    writer.close()

    found = partitioned.parts(folder)
    assert [(p.year, p.number) for p in found[0]] == [(2020, 0), (2020, 1), (2021, 0)]
    assert found[1] == []
    read = [pq.read_table(p.path).to_pydict() for p in found[0]]
    # a year's first day: "2020" and "2020-01-01" start together, in the order written
    assert read[0]["id"] + read[1]["id"] == ["r1", "r5", "r2", "r3", "r7"]
    assert read[2]["id"] == ["r4", "r8", "r0", "r6"]
    assert [pq.ParquetFile(p.path).metadata.num_row_groups for p in found[0]] == [2, 1, 2]
    assert not (folder / "_staging").exists()

    ahead = partitioned.PartitionedWriter(tmp_path / "sorted", schema_, "date", presorted=True)
    ahead.write(pa.table({"id": ["a"], "date": ["2021-06"]}))
    with pytest.raises(ValueError, match="before the previous chunk ended"):
        ahead.write(pa.table({"id": ["b"], "date": ["2021-01-31"]}))
    with pytest.raises(ValueError, match="has no year"):
        ahead.write(pa.table({"id": ["c"], "date": ["soon"]}))
    ahead.abort()
