"""Importing event files as GDELT, ACLED and UCDP publish them (fixtures written from their
codebooks, one per layout): ids, dates at the source's precision, types, scores, magnitudes,
coordinates and sources traceable to the original records."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

import alliances
from alliances.importers import import_files
from alliances.validation import validate

FIXTURES = Path(__file__).parent / "fixtures" / "import"
GDELT = FIXTURES / "gdelt"
GDELT_FILES = [
    GDELT / "20240219151500.export.CSV.zip",
    GDELT / "20130401.export.CSV",
    GDELT / "1985.zip",
]


def rows(dataset: alliances.Dataset) -> dict[str, pd.Series]:
    return {str(r["event_id"]): r for _, r in dataset.events.iterrows()}


def day(row: pd.Series) -> str:
    return f"{row['date']:%Y-%m-%d}"[: {"year": 4, "month": 7, "day": 10}[row["date_precision"]]]


@pytest.fixture(scope="module")
def gdelt(tmp_path_factory):
    out = tmp_path_factory.mktemp("gdelt") / "data"
    return import_files("gdelt", GDELT_FILES, out)


def test_gdelt_every_layout_imports_with_its_ids_days_scores_and_urls(gdelt):
    ev = rows(gdelt.dataset)
    assert validate(gdelt.report.output) == []
    # 2.0 (61 columns, zipped): Russia's military against Ukraine at Avdiivka
    avdiivka = ev["gdelt:1156432907"]
    assert (day(avdiivka), avdiivka["event_type"], avdiivka["cameo"]) == (
        "2024-02-19", "military_action", "190",
    )  # fmt: skip
    assert (avdiivka["actor_1"], avdiivka["actor_2"], avdiivka["score"]) == ("RUS", "UKR", -10.0)
    assert (avdiivka["latitude"], avdiivka["longitude"]) == (48.1397, 37.7497)
    assert avdiivka["source_url"] == "https://www.example.org/world/2024/02/19/avdiivka"
    assert avdiivka["source_name"] == "GDELT 2.0 Event Database"
    # the GoldsteinScale wins over the type's score (arms_transfer is +8.3 in both here; a
    # threat is -4.4 by type but GDELT scores this 138 at -7.0)
    assert ev["gdelt:1156432940"]["event_type"] == "threat"
    assert ev["gdelt:1156432940"]["score"] == -7.0
    # an organisation by its known group code, a named group as a non-state actor
    assert (ev["gdelt:1156432915"]["actor_1"], ev["gdelt:1156432915"]["event_type"]) == (
        "UN", "sanctions",
    )  # fmt: skip
    assert ev["gdelt:1156432930"]["actor_1"] == "ns-taliban"
    # 1.0 daily (58 columns): a four-digit CAMEO code, and a SOURCEURL that is no address
    assert (ev["gdelt:253423877"]["cameo"], ev["gdelt:253423877"]["event_type"]) == (
        "1383",
        "threat",
    )
    assert pd.isna(ev["gdelt:253423877"]["source_url"])
    assert day(ev["gdelt:253423877"]) == "2013-03-31"
    assert ev["gdelt:253424010"]["event_type"] == "visit"  # 0421 under 042
    # 1.0 backfile (57 columns, no SOURCEURL): the Soviet Union is RUS, as COW 365
    assert (ev["gdelt:12036456"]["actor_1"], ev["gdelt:12036456"]["actor_2"]) == ("USA", "RUS")
    assert ev["gdelt:12036456"]["source_name"] == "GDELT 1.0 Event Database (backfile)"
    assert len(ev) == 10


def test_gdelt_report_counts_what_it_skipped_and_could_not_map(gdelt):
    report = gdelt.report
    assert report.read == 14
    assert report.imported["events"] == 10
    zipped = f"{GDELT / '20240219151500.export.CSV.zip'}:20240219151500.export.CSV"
    assert report.skipped == {
        "Actor1 is no state or organisation (only Actor2 is)": 2,
        "no state or organisation on either side": 1,
        "both sides are the same actor": 1,
    }
    assert report.examples["no state or organisation on either side"] == [f"{zipped}:5"]
    assert report.examples["both sides are the same actor"] == [f"{zipped}:4"]
    assert report.unmapped == {"GDELT country code EUR": 1}
    assert "ns-taliban" in report.actors_created
    text = report.text()
    assert "14 records read, imported 10 events, 4 skipped" in text
    assert f"(first: {zipped}:4)" in text


def test_gdelt_vocabulary_adds_only_the_cameo_types_it_used(gdelt):
    types = set(gdelt.dataset.event_types["id"])
    assert {"disapprove", "declaration", "military_action", "summit"} <= types
    assert "protest" not in types  # no CAMEO 14 in the fixtures
    disapprove = gdelt.dataset.event_types.set_index("id").loc["disapprove"]
    assert (disapprove["cameo"], disapprove["score"]) == ("110", -2.0)


ACLED = FIXTURES / "acled"


@pytest.fixture(scope="module")
def acled(tmp_path_factory):
    out = tmp_path_factory.mktemp("acled") / "data"
    return import_files("acled", sorted(ACLED.glob("*.csv")), out)


def test_acled_current_layout_keeps_precision_fatalities_and_multiline_notes(acled):
    ev = rows(acled.dataset)
    clash = ev["acled:UKR150432"]
    assert (day(clash), clash["event_type"], clash["actor_1"], clash["actor_2"]) == (
        "2024-02-17", "military_action", "RUS", "UKR",
    )  # fmt: skip
    assert (clash["magnitude"], clash["unit"]) == (12, "fatalities")
    assert (clash["latitude"], clash["longitude"]) == (48.1394, 37.7425)
    assert "Ukrainian forces withdrew from the town." in clash["description"]
    assert clash["other_sources"] == "Ukrainska Pravda; Ministry of Defence of Ukraine"
    # time_precision 2 (a week) and 3 (a month): only the month is sure
    assert day(ev["acled:UKR150519"]) == "2024-02"
    assert day(ev["acled:UKR150601"]) == "2024-01"
    assert "reported 2024-01-15" in ev["acled:UKR150601"]["description"]
    assert ev["acled:UKR150519"]["actor_1"] == "ns-protesters-ukraine"
    assert pd.isna(ev["acled:UKR150800"]["actor_2"])  # a drone strike with no named target
    assert ev["acled:UKR150777"]["event_type"] == "strategic_development"


def test_acled_old_uppercase_and_r_resaved_files(acled):
    ev = rows(acled.dataset)
    # uppercase layout, dates dd/mm/yyyy, police forces are the state
    old = ev["acled:1416RTA"]
    assert (day(old), old["actor_1"], old["event_type"], old["magnitude"]) == (
        "2001-04-18", "DZA", "assault", 1,
    )  # fmt: skip
    assert ev["acled:1416RTA"]["source_name"] == "ACLED (old uppercase layout)"
    assert ev["acled:2229RTA"]["event_type"] == "protest"  # Riots/Protests
    # a state's forces abroad (inter 8) are still that state
    assert ev["acled:1DRC"]["actor_2"] == "RWA"
    assert ev["acled:1DRC"]["event_type"] == "military_action"  # Battle-No change of territory
    # R: NA for missing, a first column of row numbers
    assert pd.isna(ev["acled:CEN47283"]["magnitude"])
    assert ev["acled:CEN47283"]["actor_1"] == "CAF"
    assert ev["acled:DRC16211"]["magnitude"] == 5
    assert acled.report.read == 10
    assert acled.report.skipped_total == 0


UCDP = FIXTURES / "ucdp"


@pytest.fixture(scope="module")
def ucdp(tmp_path_factory):
    out = tmp_path_factory.mktemp("ucdp") / "data"
    return import_files("ucdp", [UCDP / "GEDEvent_v23_1_sample.csv"], out)


def test_ucdp_ged_dates_deaths_and_sides(ucdp):
    ev = rows(ucdp.dataset)
    hostomel = ev["ucdp:458720"]
    assert (day(hostomel), hostomel["actor_1"], hostomel["actor_2"]) == ("2022-02-24", "RUS", "UKR")
    assert (hostomel["magnitude"], hostomel["unit"]) == (37, "deaths (UCDP best estimate)")
    assert "deaths best 37 (low 30, high 60)" in hostomel["description"]
    # date_prec 4 within one month: the month; 2: the span of days; 5 within a year: the year
    assert day(ev["ucdp:193015"]) == "2017-06"
    span = ev["ucdp:193101"]
    assert (day(span), f"{span['end_date']:%Y-%m-%d}") == ("2017-01-03", "2017-01-06")
    assert day(ev["ucdp:150020"]) == "2016"
    # one-sided violence against civilians, named with their country; unclear events estimated
    assert (ev["ucdp:193015"]["event_type"], ev["ucdp:193015"]["actor_2"]) == (
        "assault", "ns-civilians-syria",
    )  # fmt: skip
    assert ev["ucdp:193015"]["confidence"] == "estimated"
    assert ev["ucdp:150020"]["actor_1"] == "AFG"  # by its Gleditsch-Ward number 700


def test_ucdp_ged_coordinates_are_the_records_own(ucdp):
    """Each event sits where the GED record puts it (read from the fixture, not retyped)."""
    with (UCDP / "GEDEvent_v23_1_sample.csv").open(encoding="utf-8", newline="") as f:
        published = {r["id"]: r for r in csv.DictReader(f)}
    ev = rows(ucdp.dataset)
    hostomel = published["458720"]
    assert (ev["ucdp:458720"]["latitude"], ev["ucdp:458720"]["longitude"]) == (
        float(hostomel["latitude"]),
        float(hostomel["longitude"]),
    )
    for gid, record in published.items():
        event = ev[f"ucdp:{gid}"]
        assert (event["latitude"], event["longitude"]) == pytest.approx(
            (float(record["latitude"]), float(record["longitude"]))
        ), gid


def test_data_readme_documents_the_cameo_table_the_code_uses():
    import re

    from alliances.importers.types import CAMEO_TYPES, cameo_type

    text = (Path(__file__).parents[1] / "data" / "README.md").read_text(encoding="utf-8")
    section = text.split("## Importing public datasets")[1]
    documented = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[1].startswith("`"):
            for codes, etype in ((cells[0], cells[1]), (cells[2], cells[3])):
                for code in re.findall(r"\d+", re.sub(r"\(except[^)]*\)", "", codes)):
                    documented[code] = etype.strip("`")
    assert documented == CAMEO_TYPES
    assert (cameo_type("0421"), cameo_type("1383"), cameo_type("1631")) == (
        "visit",
        "threat",
        "sanctions",
    )
    assert cameo_type("X12") is None
