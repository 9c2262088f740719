"""`alliances.validate`: every rule of data/README.md, reported as ``FILE:LINE: COLUMN: message``.

Each test copies tests/fixtures/small (valid) and makes one mistake in it, then checks the whole
report: the one line a user would read, and nothing else. Line numbers are as an editor counts
them; in the small dataset event e1 spans lines 2-3 (its description holds a line break), so e2 is
on line 4, e3 on 5, e4 on 6, e5 on 7 and e6 on 8.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from alliances.validation import DatasetError, Problem, format_report, validate

SMALL = Path(__file__).parent / "fixtures" / "small"

NOT_A_DATE = "not a date: use YYYY, YYYY-MM or YYYY-MM-DD (a real day, years 1800-2100)"
NOT_A_URL = "not a web address: source_url must start with http:// or https://"

# Unique starts of rows of the small dataset, for edits.
E4 = "e4,2024-03-28,,veto,RUS,PRK,CHN,New York,"  # events.csv line 6
E4_URL = "https://press.un.org/en/2024/sc15648.doc.htm"


def report(folder: Path) -> list[str]:
    return [str(p) for p in validate(folder)]


def drop_column(folder: Path, filename: str, column: str) -> None:
    """Rewrite a CSV file of the dataset without one of its columns."""
    path = folder / filename
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    fields = [f for f in rows[0] if f != column]
    out = io.StringIO()
    writer = csv.DictWriter(out, fields, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8", newline="")


# --------------------------------------------------------------------------- the valid dataset


def test_the_small_dataset_is_valid():
    assert validate(SMALL) == []


def test_a_problem_reads_file_line_column_message():
    problem = Problem("events.csv", 6, "date", "not a date: '2024/06/19'")
    assert str(problem) == "events.csv:6: date: not a date: '2024/06/19'"
    assert format_report([problem, problem]).splitlines() == [str(problem)] * 2


def test_a_path_that_is_not_a_folder_is_one_problem(tmp_path):
    assert report(tmp_path / "nowhere") == [f"{tmp_path / 'nowhere'}:0: -: not a dataset folder"]


# --------------------------------------------------------------------------- one mistake, one line


@pytest.mark.parametrize(
    ("filename", "old", "new", "expected"),
    [
        # a header row
        pytest.param(
            "relations.csv",
            "directed,start_date,end_date",
            "directed,begun,end_date",
            "relations.csv:1: start_date: required column is missing",
            id="missing_required_column_is_reported_once_on_the_header",
        ),
        pytest.param(
            "actors.csv",
            "id,name,kind",
            "code,name,kind",
            "actors.csv:1: id: required column is missing",
            id="missing_key_column_does_not_make_every_reference_unknown",
        ),
        pytest.param(
            "actors.csv",
            "cow_code,description\n",
            "cow_code,cow_code\n",
            "actors.csv:1: -: column 'cow_code' appears twice",
            id="duplicate_header_column",
        ),
        # a value
        pytest.param(
            "actors.csv",
            "KOR,South Korea,",
            "KOR,,",
            "actors.csv:4: name: required value is empty",
            id="empty_required_value-name",
        ),
        pytest.param(
            "events.csv",
            "Munitions estimate,,AP,",
            "Munitions estimate,,,",
            "events.csv:5: source_name: required value is empty",
            id="empty_required_value-source_name",
        ),
        pytest.param(
            "relations.csv",
            "rel-rus-ukr-2022,RUS,UKR,armed_conflict,false,2022-02-24",
            "rel-rus-ukr-2022,RUS,UKR,armed_conflict,false,",
            "relations.csv:5: start_date: required value is empty",
            id="empty_required_value-start_date",
        ),
        pytest.param(
            "events.csv",
            "Shipments begin,,NIS,,,reported,",
            "Shipments begin,,NIS,,,,",
            "events.csv:7: confidence: required value is empty",
            id="empty_required_value-confidence",
        ),
        pytest.param(
            "events.csv",
            "e3,2024-03-18,,arms_transfer,PRK,RUS,",
            "e3,2024-03-18,,arms_transfer,PRX,RUS,",
            "events.csv:5: actor_1: unknown actor id: 'PRX'",
            id="unknown_actor-actor_1",
        ),
        # ids are case-sensitive
        pytest.param(
            "events.csv",
            "e3,2024-03-18,,arms_transfer,PRK,RUS,",
            "e3,2024-03-18,,arms_transfer,PRK,rus,",
            "events.csv:5: actor_2: unknown actor id: 'rus'",
            id="unknown_actor-actor_2",
        ),
        pytest.param(
            "relations.csv",
            "rel-usa-kor-1953,USA,KOR,",
            "rel-usa-kor-1953,US,KOR,",
            "relations.csv:4: actor_a: unknown actor id: 'US'",
            id="unknown_actor-actor_a",
        ),
        pytest.param(
            "relations.csv",
            "rel-usa-kor-1953,USA,KOR,",
            "rel-usa-kor-1953,USA,ROK,",
            "relations.csv:4: actor_b: unknown actor id: 'ROK'",
            id="unknown_actor-actor_b",
        ),
        pytest.param(
            "events.csv",
            E4,
            "e4,2024-03-28,,veto,RUS,PRK,CHN;XYZ,New York,",
            "events.csv:6: participants: unknown actor id in the list: 'CHN;XYZ'",
            id="unknown_participant_in_a_list",
        ),
        pytest.param(
            "events.csv",
            "e5,2023-08,,arms_transfer,",
            "e5,2023-08,,arms_deal,",
            "events.csv:7: event_type: unknown event_type id: 'arms_deal'",
            id="unknown_event_type",
        ),
        pytest.param(
            "relations.csv",
            "RUS,UKR,armed_conflict,",
            "RUS,UKR,war,",
            "relations.csv:5: relation_type: unknown relation_type id: 'war'",
            id="unknown_relation_type",
        ),
        pytest.param(
            "events.csv",
            "confirmed,rel-rus-prk-2024",
            "confirmed,rel-rus-prk-2023",
            "events.csv:4: relation_id: unknown relation id: 'rel-rus-prk-2023'",
            id="unknown_relation_id",
        ),
        pytest.param(
            "relations.csv",
            "rel-usa-rus-2022,",
            "rel-rus-prk-1961,",
            "relations.csv:6: relation_id: duplicate id (first on line 2): 'rel-rus-prk-1961'",
            id="duplicate_id-relations",
        ),
        # the first e1 spans lines 2-3: the report names the line it starts on
        pytest.param(
            "events.csv",
            "e3,2024-03-18,",
            "e1,2024-03-18,",
            "events.csv:5: event_id: duplicate id (first on line 2): 'e1'",
            id="duplicate_id-events",
        ),
        pytest.param(
            "actors.csv",
            "UNSC,UN Security Council,",
            "CHN,UN Security Council,",
            "actors.csv:8: id: duplicate id (first on line 5): 'CHN'",
            id="duplicate_id-actors",
        ),
        pytest.param(
            "event_types.csv",
            "leadership_change,",
            "summit,",
            "event_types.csv:17: id: duplicate id (first on line 2): 'summit'",
            id="duplicate_id-event_types",
        ),
        pytest.param(
            "events.csv",
            "e6,2024-06-13,2024-06-15,",
            "e6,2024-06-13,2024-06-12,",
            "events.csv:8: end_date: end_date is before date: '2024-06-12'",
            id="event_end_before_date",
        ),
        pytest.param(
            "events.csv",
            ",7000,containers,",
            ",7000,,",
            "events.csv:5: unit: magnitude is given without a unit",
            id="magnitude_without_unit",
        ),
        pytest.param(
            "event_types.csv",
            ",#ff7f0e,",
            ",orange,",
            "event_types.csv:15: color: not a colour: use #rrggbb: 'orange'",
            id="bad_colour_in_event_types",
        ),
        pytest.param(
            "actors.csv",
            "UNSC,UN Security Council,",
            "UN SC,UN Security Council,",
            "actors.csv:8: id: an id may not contain spaces, ';' or ',': 'UN SC'",
            id="id_with_a_space_or_semicolon-actors",
        ),
        pytest.param(
            "events.csv",
            "e3,2024-03-18,",
            "e;3,2024-03-18,",
            "events.csv:5: event_id: an id may not contain spaces, ';' or ',': 'e;3'",
            id="id_with_a_space_or_semicolon-events",
        ),
        pytest.param(
            "relation_types.csv",
            "membership,Membership,",
            "member ship,Membership,",
            "relation_types.csv:8: id: an id may not contain spaces, ';' or ',': 'member ship'",
            id="id_with_a_space_or_semicolon-relation_types",
        ),
        pytest.param(
            "relations.csv",
            "rel-usa-kor-1953,USA,KOR,",
            "rel-usa-kor-1953,USA,USA,",
            "relations.csv:4: actor_b: actor_b is the same actor as actor_a: 'USA'",
            id="relation_of_an_actor_with_itself",
        ),
        pytest.param(
            "events.csv",
            "arms_transfer,PRK,RUS,,,7000",
            "arms_transfer,PRK,PRK,,,7000",
            "events.csv:5: actor_2: actor_2 is the same actor as actor_1: 'PRK'",
            id="event_of_an_actor_with_itself",
        ),
        pytest.param(
            "relations.csv",
            "Analysis,,,reported",
            "Analysis,,,sure",
            "relations.csv:6: confidence: must be one of confirmed, reported, estimated, "
            "disputed: 'sure'",
            id="unknown_choice-relations_confidence",
        ),
        pytest.param(
            "events.csv",
            "Panel of Experts veto,,UN,https://press.un.org/en/2024/sc15648.doc.htm,,confirmed",
            "Panel of Experts veto,,UN,https://press.un.org/en/2024/sc15648.doc.htm,,Confirmed",
            "events.csv:6: confidence: must be one of confirmed, reported, estimated, "
            "disputed: 'Confirmed'",
            id="unknown_choice-events_confidence",
        ),
        pytest.param(
            "actors.csv",
            "UNSC,UN Security Council,organization,",
            "UNSC,UN Security Council,org,",
            "actors.csv:8: kind: must be one of state, organization, bloc, non_state: 'org'",
            id="unknown_choice-actors_kind",
        ),
        pytest.param(
            "events.csv",
            "containers,cumulative,",
            "containers,total,",
            "events.csv:5: magnitude_basis: must be one of amount, cumulative, part: 'total'",
            id="unknown_choice-events_magnitude_basis",
        ),
        # a row that does not fit the header
        pytest.param(
            "events.csv",
            ",New York,",
            ",New York,Manhattan,",
            "events.csv:6: -: row has 19 fields, the header has 18",
            id="row_with_too_many_fields",
        ),
        # pandas takes the first column for the index when the first row is wider than the header
        pytest.param(
            "events.csv",
            "AFP,https://example.org/a,",
            "AFP,https://example.org/a,,",
            "events.csv:2: -: row has 19 fields, the header has 18",
            id="first_row_with_too_many_fields_is_not_taken_for_an_index",
        ),
        pytest.param(
            "events.csv",
            E4_URL,
            "data:text/html,<b>hi</b>",
            "events.csv:6: -: row has 19 fields, the header has 18",
            id="unquoted_comma_in_a_url_splits_the_row",
        ),
        pytest.param(
            "events.csv",
            ",New York,",
            ',"New York,',
            "events.csv:6: -: malformed CSV: a quoted value starting on this line is never closed "
            '(missing ")',
            id="unclosed_quote",
        ),
    ],
)
def test_one_mistake_is_one_line(edited, filename, old, new, expected):
    """One edit to the small dataset: the report is the one line naming the mistake."""
    assert report(edited(filename, old, new)) == [expected]


# --------------------------------------------------------------------------- files and columns


def test_missing_file(small_copy):
    (small_copy / "relations.csv").unlink()
    # events refer to relation ids, but with no relations file there is nothing to check them
    # against: the report is the one missing file, not one line per reference.
    assert report(small_copy) == [f"relations.csv:1: -: file not found in {small_copy}"]


def test_every_missing_file_is_reported(tmp_path):
    names = ["actors", "event_types", "relation_types", "relations", "events"]
    assert report(tmp_path) == [f"{n}.csv:1: -: file not found in {tmp_path}" for n in names]


@pytest.mark.parametrize(
    ("filename", "column"),
    [
        ("actors.csv", "description"),
        ("actors.csv", "aliases"),
        ("event_types.csv", "cameo"),
        ("relations.csv", "end_date"),
        ("events.csv", "participants"),
        ("events.csv", "magnitude_basis"),
        ("events.csv", "relation_id"),
    ],
)
def test_missing_optional_column_is_fine(small_copy, filename, column):
    drop_column(small_copy, filename, column)
    assert column not in (small_copy / filename).read_text(encoding="utf-8").splitlines()[0]
    assert report(small_copy) == []


def test_extra_columns_and_column_order_do_not_matter(small_copy):
    path = small_copy / "actors.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    reordered = [[*reversed(row), "a note"] for row in rows]
    reordered[0][-1] = "notes"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(reordered)
    path.write_text(out.getvalue(), encoding="utf-8")
    assert path.read_text(encoding="utf-8").startswith("description,cow_code,iso_numeric,")
    assert report(small_copy) == []


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("filename", "old", "new"),
    [
        pytest.param(
            "events.csv",
            E4,
            "e4,2024-03-28,,veto,RUS,PRK,CHN; KOR ;USA,New York,",
            id="participants_with_spaces_around_the_separator",
        ),
        pytest.param(
            "events.csv",
            "e5,2023-08,,",
            "e5,2023-08,2023-08-03,",
            id="event_of_a_month_ending_on_a_day_of_that_month",
        ),
        pytest.param(
            "events.csv", ",7000,containers,", ",7000.5,containers,", id="decimal_magnitude"
        ),
    ],
)
def test_an_allowed_value_is_no_problem(edited, filename, old, new):
    """An edit that looks odd but is allowed: the report is empty."""
    assert report(edited(filename, old, new)) == []


def test_every_later_copy_of_an_id_names_the_first(edited):
    edited("events.csv", "e3,2024-03-18,", "e2,2024-03-18,")
    folder = edited("events.csv", "e4,2024-03-28,", "e2,2024-03-28,")
    assert report(folder) == [
        "events.csv:5: event_id: duplicate id (first on line 4): 'e2'",
        "events.csv:6: event_id: duplicate id (first on line 4): 'e2'",
    ]


@pytest.mark.parametrize(
    "bad",
    [
        "2024/06/19",
        "June 2024",
        "24-06-19",
        "2024-6-19",
        "2023-02-30",
        "2024-13",
        "1799",
        "2101-01-01",
    ],
)
def test_bad_event_date(edited, bad):
    folder = edited("events.csv", "e4,2024-03-28,", f"e4,{bad},")
    assert report(folder) == [f"events.csv:6: date: {NOT_A_DATE}: '{bad}'"]


def test_bad_relation_dates(edited):
    edited("relations.csv", "false,1953-10-01,", "false,1953-10-1,")
    folder = edited("relations.csv", "false,2022-02-24,,", "false,2022-02-24,2023-02-29,")
    assert report(folder) == [
        f"relations.csv:4: start_date: {NOT_A_DATE}: '1953-10-1'",
        f"relations.csv:5: end_date: {NOT_A_DATE}: '2023-02-29'",
    ]


def test_the_first_and_last_allowed_years(edited):
    edited("relations.csv", "false,1953-10-01,", "false,1800,")
    assert (
        report(edited("relations.csv", "false,2022-02-24,,", "false,2022-02-24,2100-12-31,")) == []
    )


@pytest.mark.parametrize("end", ["1960", "1961-06", "1961-07-05"])
def test_relation_end_before_start(edited, end):
    folder = edited("relations.csv", "1961-07-06,1995,", f"1961-07-06,{end},")
    assert report(folder) == [f"relations.csv:2: end_date: end_date is before start_date: '{end}'"]


@pytest.mark.parametrize("end", ["1961", "1961-07", "1961-07-06"])
def test_relation_end_at_a_coarser_precision_in_the_same_period_is_not_before(edited, end):
    # "ended in 1961" may be any day of 1961, so it is not before 6 July 1961.
    assert report(edited("relations.csv", "1961-07-06,1995,", f"1961-07-06,{end},")) == []


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ("7 000", "7 000"),
        ('"7,000"', "7,000"),
        ("about 7000", "about 7000"),
        ("7000+", "7000+"),
        ("inf", "inf"),
        ("NaN", "NaN"),
    ],
)
def test_magnitude_must_be_a_number(edited, cell, shown):
    folder = edited("events.csv", ",7000,containers,", f",{cell},containers,")
    assert report(folder) == [f"events.csv:5: magnitude: not a number: '{shown}'"]


@pytest.mark.parametrize(
    ("score", "message"),
    [
        ("11", "out of range: must be between -10 and 10: '11'"),
        ("-10.5", "out of range: must be between -10 and 10: '-10.5'"),
        ("high", "not a number: 'high'"),
        ('"2,8"', "not a number: '2,8'"),  # a decimal comma
    ],
)
def test_score_out_of_range_or_not_a_number(edited, score, message):
    folder = edited("event_types.csv", "#1f77b4,2.8,", f"#1f77b4,{score},")
    assert report(folder) == [f"event_types.csv:2: score: {message}"]


def test_scores_at_the_bounds_are_fine(edited):
    edited("event_types.csv", "#1f77b4,2.8,", "#1f77b4,10,")
    assert report(edited("event_types.csv", "#7f7f7f,-10.0,", "#7f7f7f,-10,")) == []


@pytest.mark.parametrize("polarity", ["2", "+1", "yes", "1.0"])
def test_polarity_must_be_minus_one_zero_or_one(edited, polarity):
    folder = edited("relation_types.csv", "#08306b,1\n", f"#08306b,{polarity}\n")
    assert report(folder) == [
        f"relation_types.csv:2: polarity: must be one of -1, 0, 1: '{polarity}'"
    ]


@pytest.mark.parametrize("colour", ["blue", "#fff", "08306b", "#08306g", "#08306b "])
def test_bad_colour(edited, colour):
    folder = edited("relation_types.csv", ",#08306b,", f",{colour},")
    assert report(folder) == [f"relation_types.csv:2: color: not a colour: use #rrggbb: '{colour}'"]


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ("javascript:alert(1)", "javascript:alert(1)"),
        ("JavaScript:alert(document.cookie)", "JavaScript:alert(document.cookie)"),
        ('"data:text/html,<script>alert(1)</script>"', "data:text/html,<script>alert(1)</script>"),
        ("ftp://x", "ftp://x"),
        ("//evil.example", "//evil.example"),
        ("www.un.org", "www.un.org"),
        (" https://x", " https://x"),
        ("https://press.un.org/en/2024/sc 15648.htm", "https://press.un.org/en/2024/sc 15648.htm"),
        ('"https://x\ty"', "https://x\ty"),  # a tab, shown escaped
        ('"https://x.org/""onmouseover=""alert(1)"', 'https://x.org/"onmouseover="alert(1)'),
    ],
)
def test_source_url_must_be_a_plain_web_address(edited, cell, shown):
    folder = edited("events.csv", E4_URL, cell)
    (line,) = report(folder)
    assert line.startswith(f"events.csv:6: source_url: {NOT_A_URL}: ")
    assert line.endswith(repr(shown))


@pytest.mark.parametrize(
    "url", ["http://example.org", "HTTPS://EXAMPLE.ORG/A", "https://x.org/a?b=1&c=%20#d"]
)
def test_plain_web_addresses_are_fine(edited, url):
    assert report(edited("events.csv", E4_URL, url)) == []


@pytest.mark.parametrize("word", ["maybe", "y", "t", "2"])
def test_bad_boolean_in_directed(edited, word):
    folder = edited("relations.csv", "USA,KOR,defense_pact,false,", f"USA,KOR,defense_pact,{word},")
    assert report(folder) == [
        f"relations.csv:4: directed: not a boolean: use true or false: '{word}'"
    ]


@pytest.mark.parametrize("word", ["TRUE", "Yes", "no", "1", "0", "False"])
def test_booleans_in_any_case_are_fine(edited, word):
    assert (
        report(
            edited("relations.csv", "USA,KOR,defense_pact,false,", f"USA,KOR,defense_pact,{word},")
        )
        == []
    )


def test_numeric_actor_codes(edited):
    edited("actors.csv", ",643,365,", ",6430,365,")
    folder = edited("actors.csv", ",408,731,", ",408,COW,")
    assert report(folder) == [
        "actors.csv:2: iso_numeric: out of range: must be between 0 and 999: '6430'",
        "actors.csv:3: cow_code: not a number: 'COW'",
    ]


def test_bad_cameo_code(edited):
    (line,) = report(edited("event_types.csv", ",2.8,043\n", ",2.8,04x\n"))
    assert line.startswith("event_types.csv:2: cameo: ")
    assert line.endswith("'04x'")


def test_several_mistakes_in_one_row_are_all_reported(edited):
    folder = edited(
        "events.csv",
        "e3,2024-03-18,,arms_transfer,PRK,RUS,,,7000,containers,cumulative,Munitions estimate,,AP,",
        "e3,2024-3-18,,arms_transfer,PRK,XYZ,,,lots,containers,cumulative,,,AP,",
    )
    assert report(folder) == [
        "events.csv:5: actor_2: unknown actor id: 'XYZ'",
        f"events.csv:5: date: {NOT_A_DATE}: '2024-3-18'",
        "events.csv:5: magnitude: not a number: 'lots'",
        "events.csv:5: title: required value is empty",
    ]


def test_long_and_multi_line_values_are_shown_short_and_on_one_line(edited):
    edited("events.csv", E4_URL, "javascript:" + "a" * 100)
    folder = edited("events.csv", "e5,2023-08,", 'e5,"2023-08\n-01",')
    lines = report(folder)
    assert lines == [
        f"events.csv:6: source_url: {NOT_A_URL}: 'javascript:{'a' * 46}...'",
        f"events.csv:7: date: {NOT_A_DATE}: '2023-08\\n-01'",
    ]


# --------------------------------------------------------------------------- file-level problems


def write_bytes(folder: Path, filename: str, data: bytes) -> Path:
    (folder / filename).write_bytes(data)
    return folder


def small_bytes(filename: str) -> bytes:
    return (SMALL / filename).read_bytes()


def test_empty_file(small_copy):
    write_bytes(small_copy, "events.csv", b"")
    assert report(small_copy) == ["events.csv:1: -: file is empty: a header row is needed"]


def test_blank_file(small_copy):
    write_bytes(small_copy, "actors.csv", b"\n  \n")
    # the other files' references to actors are not checked against a table that is not there
    assert report(small_copy) == ["actors.csv:1: -: file is empty: a header row is needed"]


def test_a_lone_carriage_return_before_the_header_is_reported(small_copy):
    """Found by hypothesis: a file starting with ``\r`` made the header read raise."""
    write_bytes(small_copy, "actors.csv", b"\r" + small_bytes("actors.csv"))
    lines = report(small_copy)
    assert "actors.csv:1: id: required column is missing" in lines
    assert all(line.startswith("actors.csv:") for line in lines), lines


@pytest.mark.parametrize("ending", ["\n", ""])
def test_header_only_is_a_valid_empty_table(small_copy, ending):
    header = small_bytes("events.csv").split(b"\n")[0]
    write_bytes(small_copy, "events.csv", header + ending.encode())
    assert report(small_copy) == []


def test_not_utf8_reports_the_line_of_the_first_bad_byte(small_copy):
    text = small_bytes("events.csv").decode().replace("New York", "Nouvelle-Yörk")
    write_bytes(small_copy, "events.csv", text.encode("latin-1"))
    assert report(small_copy) == ["events.csv:6: -: not valid UTF-8 (byte 0xf6)"]


def test_utf8_byte_order_mark_is_accepted(edited):
    folder = edited("events.csv", "e4,2024-03-28,", "e4,2024/03/28,")
    data = (folder / "events.csv").read_bytes()
    write_bytes(folder, "events.csv", b"\xef\xbb\xbf" + data)
    # the header's first column is still event_id, and lines are counted as without the BOM
    assert report(folder) == [f"events.csv:6: date: {NOT_A_DATE}: '2024/03/28'"]


def test_crlf_line_endings_are_accepted_and_lines_counted_right(edited):
    folder = edited("events.csv", "e4,2024-03-28,", "e4,2024/03/28,")
    for name in ("actors.csv", "relations.csv", "events.csv"):
        path = folder / name
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert b"\r\n" in (folder / "events.csv").read_bytes()
    assert report(folder) == [f"events.csv:6: date: {NOT_A_DATE}: '2024/03/28'"]


def test_every_row_one_field_wider_than_the_header(edited):
    folder = edited("actors.csv", ",cow_code,description\n", ",cow_code\n")
    assert report(folder) == [
        f"actors.csv:{line}: -: row has 8 fields, the header has 7" for line in range(2, 9)
    ]


def test_quoted_line_breaks_before_a_bad_row_are_counted_as_an_editor_does(edited):
    edited("events.csv", '"Multi\nline description"', '"One\ntwo\n\nthree, ""four""\nfive"')
    folder = edited("events.csv", "e4,2024-03-28,", "e4,2024/03/28,")
    # e1 now spans lines 2-6, so e4 is on line 9
    assert report(folder) == [f"events.csv:9: date: {NOT_A_DATE}: '2024/03/28'"]


def test_blank_lines_between_rows_are_skipped_and_counted(edited):
    edited("events.csv", "\ne3,", "\n\n\ne3,")
    folder = edited("events.csv", "e4,2024-03-28,", "e4,2024/03/28,")
    assert report(folder) == [f"events.csv:8: date: {NOT_A_DATE}: '2024/03/28'"]


def test_binary_file(small_copy):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01" + bytes(range(256))
    write_bytes(small_copy, "events.csv", png)
    assert report(small_copy) == ["events.csv:1: -: not valid UTF-8 (byte 0x89)"]


def test_file_with_nul_bytes(small_copy):
    data = small_bytes("relation_types.csv").replace(b"#bdbdbd", b"#bd\x00bdbd")
    write_bytes(small_copy, "relation_types.csv", data)
    assert report(small_copy) == [
        "relation_types.csv:8: -: contains NUL bytes: a binary file, not CSV text"
    ]


def test_a_folder_named_like_a_file(small_copy):
    (small_copy / "events.csv").unlink()
    (small_copy / "events.csv").mkdir()
    assert report(small_copy) == ["events.csv:1: -: is a folder, not a CSV file"]


def test_hostile_text_is_data(edited):
    edited("events.csv", "Panel of Experts veto,", '"<script>alert(""x"")</script>",')
    edited("events.csv", "Munitions estimate,,", "Munitions estimate,<img src=x onerror=alert(1)>,")
    folder = edited("actors.csv", "UN Security Council,", '"=HYPERLINK(""http://evil.example"")",')
    assert report(folder) == []


def test_problems_of_every_file_are_reported_at_once(edited):
    edited("actors.csv", "UNSC,UN Security Council,organization,", "UNSC,UN Security Council,org,")
    edited("relations.csv", "RUS,UKR,armed_conflict,", "RUS,UKR,war,")
    folder = edited("events.csv", "e4,2024-03-28,", "e4,2024/03/28,")
    (folder / "event_types.csv").unlink()
    assert report(folder) == [
        "actors.csv:8: kind: must be one of state, organization, bloc, non_state: 'org'",
        f"event_types.csv:1: -: file not found in {folder}",
        "relations.csv:5: relation_type: unknown relation_type id: 'war'",
        f"events.csv:6: date: {NOT_A_DATE}: '2024/03/28'",
    ]


def test_dataset_error_lists_the_problems(tmp_path):
    problems = [Problem("events.csv", n, "date", "not a date") for n in range(2, 62)]
    error = DatasetError(tmp_path, problems)
    assert error.problems == problems
    lines = str(error).splitlines()
    assert lines[0] == f"60 problem(s) in dataset {tmp_path}:"
    assert lines[1] == "events.csv:2: date: not a date"
    assert lines[50] == "events.csv:51: date: not a date"
    assert lines[51:] == ["... and 10 more"]


# --------------------------------------------------------------------------- event-relation links


def test_an_event_linked_to_a_relation_of_other_actors_is_reported(edited):
    # e6 (USA-UKR aid) linked to the Russia-DPRK treaty
    folder = edited("events.csv", "EP,,,confirmed,\n", "EP,,,confirmed,rel-rus-prk-2024\n")
    assert [str(p) for p in validate(folder)] == [
        "events.csv:8: relation_id: relation 'rel-rus-prk-2024' is between RUS and PRK, "
        "not this event's actors"
    ]


def test_an_event_linked_before_its_relation_began_is_reported(edited):
    # e3 (March 2024) linked to the treaty of June 2024
    folder = edited("events.csv", "AP,,,estimated,\n", "AP,,,estimated,rel-rus-prk-2024\n")
    assert [str(p) for p in validate(folder)] == [
        "events.csv:5: relation_id: relation 'rel-rus-prk-2024' starts later (2024-06-19) "
        "than this event"
    ]


def test_an_event_linked_after_its_relation_ended_is_reported_at_the_relation_precision(edited):
    # the 1961 treaty ended "1995": a 1995-12 event is within it, a 1996-01 one is not
    within = edited(
        "events.csv", "e5,2023-08,,arms_transfer,PRK,RUS,,,,,,Shipments begin,,NIS,,,reported,\n",
        "e5,1995-12,,arms_transfer,PRK,RUS,,,,,,Shipments begin,,NIS,,,reported,rel-rus-prk-1961\n",
    )  # fmt: skip
    assert validate(within) == []
    after = edited("events.csv", "e5,1995-12,", "e5,1996-01,")
    assert [str(p) for p in validate(after)] == [
        "events.csv:7: relation_id: relation 'rel-rus-prk-1961' ended (1995) before this event"
    ]


def test_a_one_sided_event_may_link_a_relation_of_its_actor(edited):
    folder = edited(
        "events.csv", "e5,2023-08,,arms_transfer,PRK,RUS,,,,,,Shipments begin,,NIS,,,reported,\n",
        "e5,2024-07,,weapons_test,PRK,,,,,,,Launch,,NIS,,,reported,rel-rus-prk-2024\n",
    )  # fmt: skip
    assert validate(folder) == []
