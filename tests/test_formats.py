"""Typed frames back to the public CSV format, and that what is written loads back unchanged."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

from alliances import schema
from alliances.dataset import Dataset, load_dataset
from alliances.formats import partial_dates, to_csv, to_public
from unit_helpers import DATA, actor, build, event

TABLES = ("actors", "event_types", "relation_types", "relations", "events")


pytestmark = pytest.mark.usefixtures("fresh_caches")


def rows(text: str) -> dict[str, dict[str, str]]:
    """CSV text -> {first column value: row}."""
    reader = csv.DictReader(io.StringIO(text))
    key = reader.fieldnames[0]
    return {r[key]: r for r in reader}


def write_all(dataset: Dataset, folder: Path) -> Path:
    folder.mkdir()
    for table in TABLES:
        text = to_csv(getattr(dataset, table), table)
        (folder / f"{table}.csv").write_text(text, encoding="utf-8", newline="")
    return folder


def test_events_csv_writes_dates_at_their_precision(ds):
    events = rows(to_csv(ds.events, "events"))
    assert events["e5"]["date"] == "2023-08"
    assert events["e3"]["date"] == "2024-03-18"
    assert (events["e6"]["date"], events["e6"]["end_date"]) == ("2024-06-13", "2024-06-15")
    assert events["e1"]["end_date"] == ""


def test_relations_csv_writes_dates_at_their_precision(ds):
    relations = rows(to_csv(ds.relations, "relations"))
    assert relations["rel-usa-rus-2022"]["start_date"] == "2022"
    assert relations["rel-rus-prk-1961"]["end_date"] == "1995"
    assert relations["rel-rus-prk-1961"]["start_date"] == "1961-07-06"
    assert relations["rel-usa-kor-1953"]["end_date"] == ""
    assert relations["rel-usa-kor-1953"]["directed"] == "false"


def test_magnitudes_are_written_without_exponent(ds):
    text = to_csv(ds.events, "events")
    events = rows(text)
    assert events["e6"]["magnitude"] == "50000000000"
    assert events["e3"]["magnitude"] == "7000"
    assert events["e1"]["magnitude"] == ""
    assert "e+" not in text
    assert "E+" not in text


@pytest.mark.parametrize(
    ("magnitude", "written"),
    [("12.75", "12.75"), ("0.0001", "0.0001"), ("1000000000000000", "1000000000000000")],
)
def test_decimal_and_huge_magnitudes_keep_their_digits(tmp_path: Path, magnitude, written):
    ds = build(
        tmp_path,
        actors=[actor("A"), actor("B")],
        events=[event("m", "2024-01-01", "aid", "A", "B", magnitude=magnitude, unit="USD")],
    )
    assert rows(to_csv(ds.events, "events"))["m"]["magnitude"] == written


def test_csv_has_the_public_columns_in_schema_order(ds):
    for table in TABLES:
        header = to_csv(getattr(ds, table), table).splitlines()[0]
        assert header.split(",") == list(schema.TABLES[table].columns), table


def test_multiline_text_is_quoted(ds):
    assert rows(to_csv(ds.events, "events"))["e1"]["description"] == "Multi\nline description"


def test_a_written_dataset_loads_back_with_the_same_ids_and_dates(ds, tmp_path: Path):
    again = load_dataset(write_all(ds, tmp_path / "out"), cache=False)
    for column in ("event_id", "date", "end_date", "date_precision", "end_precision"):
        assert again.events[column].astype(object).tolist() == (
            ds.events[column].astype(object).tolist()
        ), column
    for column in ("relation_id", "start_date", "end_date", "start_precision", "end_precision"):
        assert again.relations[column].astype(object).tolist() == (
            ds.relations[column].astype(object).tolist()
        ), column
    assert again.actor_ids == ds.actor_ids


def test_a_written_dataset_writes_the_same_text_again(ds, tmp_path: Path):
    again = load_dataset(write_all(ds, tmp_path / "out"), cache=False)
    for table in TABLES:
        assert to_csv(getattr(again, table), table) == to_csv(getattr(ds, table), table), table


def test_the_bundled_dataset_round_trips(tmp_path: Path):
    bundled = load_dataset(DATA, cache=False)
    again = load_dataset(write_all(bundled, tmp_path / "out"), cache=False)
    assert again.counts() == bundled.counts()
    for table in TABLES:
        pd.testing.assert_frame_equal(
            to_public(getattr(again, table), table), to_public(getattr(bundled, table), table)
        )


def test_a_filtered_selection_writes_only_its_rows(ds):
    subset = ds.events[ds.events["event_id"].isin(["e5", "e6"])]
    assert list(rows(to_csv(subset, "events"))) == ["e5", "e6"]


def test_an_empty_selection_writes_a_header_only(ds):
    text = to_csv(ds.events.iloc[0:0], "events")
    assert text == ",".join(schema.EVENTS.columns) + "\n"


def test_partial_dates_of_missing_values_are_empty():
    start = pd.Series(pd.to_datetime(["2024-06-19", None, "2023-08-01", "2022-01-01"]))
    precision = pd.Series(["day", None, "month", "year"], dtype="category")
    assert partial_dates(start, precision).tolist() == ["2024-06-19", "", "2023-08", "2022"]


# --------------------------------------------------------------------------- spreadsheet formulas

FORMULAS = [
    '=HYPERLINK("http://example.invalid/x","click me")',
    "+1+2",
    "-2+3",
    "@SUM(A1:A2)",
    "\tindented",
]


def test_every_formula_start_of_owasp_is_neutralised():
    from alliances.formats import neutralise_formulas

    cells = pd.Series(
        ["=1", "+1", "-1", "@a", "\t1", "\r1", "a=1", "", None, "'=already"], dtype=object
    )
    assert neutralise_formulas(cells).tolist() == [
        "'=1", "'+1", "'-1", "'@a", "'\t1", "'\r1", "a=1", "", None, "'=already",
    ]  # fmt: skip


@pytest.fixture
def formula_events(tmp_path: Path) -> Dataset:
    return build(
        tmp_path / "formulas",
        actors=[actor("A"), actor("B")],
        events=[
            event(f"f{i}", "2024-01-02", "summit", "A", "B", title=text, description=text,
                  location=text, source_name=text)
            for i, text in enumerate(FORMULAS)
        ]
        + [event("plain", "2024-01-03", "aid", "A", "B", title="Aid - 3 tranches",
                 magnitude="-5", unit="USD")],
    )  # fmt: skip


def test_cells_a_spreadsheet_would_evaluate_are_written_with_a_quote(formula_events):
    written = rows(to_csv(formula_events.events, "events"))
    for i, text in enumerate(FORMULAS):
        for column in ("title", "description", "location", "source_name"):
            assert written[f"f{i}"][column] == "'" + text, (i, column)
    # other text, and numbers (a negative magnitude is a number, not a formula), stay as they are
    assert written["plain"]["title"] == "Aid - 3 tranches"
    assert written["plain"]["magnitude"] == "-5"


def test_a_neutralised_file_loads_back_with_the_original_text(formula_events, tmp_path: Path):
    folder = write_all(formula_events, tmp_path / "written")
    assert "'=HYPERLINK" in (folder / "events.csv").read_text(encoding="utf-8")
    again = load_dataset(folder, cache=False)
    titles = dict(zip(again.events["event_id"], again.events["title"], strict=True))
    assert [titles[f"f{i}"] for i in range(len(FORMULAS))] == FORMULAS
    assert titles["plain"] == "Aid - 3 tranches"
    assert again.events.set_index("event_id").at["plain", "magnitude"] == -5


def test_comment_lines_before_the_header_are_skipped_and_lines_still_count(ds, tmp_path: Path):
    folder = write_all(ds, tmp_path / "written")
    events = folder / "events.csv"
    body = events.read_text(encoding="utf-8")
    events.write_text(
        "# alliances events\n# Actors: all\n" + body.replace(",2023-08,", ",2023-13,"),
        encoding="utf-8",
    )
    from alliances.validation import validate

    problems = [str(p) for p in validate(folder)]
    # the bad date is on the file's line 2 + 2 comment lines below where it was
    line = body.splitlines().index(next(x for x in body.splitlines() if ",2023-08," in x)) + 1
    assert len(problems) == 1
    assert problems[0].startswith(f"events.csv:{line + 2}: date: ")
