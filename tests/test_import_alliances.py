"""Importing alliance and arms-transfer data as ATOP, COW and SIPRI publish it: one relation per
pair and obligation with the alliance's own id and spell, SIPRI deals as orders and deliveries."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from alliances.importers import import_files
from alliances.validation import validate

FIXTURES = Path(__file__).parent / "fixtures" / "import"


def relations(result) -> dict[str, pd.Series]:
    return {str(r["relation_id"]): r for _, r in result.dataset.relations.iterrows()}


def span(row: pd.Series) -> tuple[str, str]:
    def text(when, precision) -> str:
        if pd.isna(when):
            return ""
        return f"{when:%Y-%m-%d}"[: {"year": 4, "month": 7, "day": 10}[precision]]

    return text(row["start_date"], row["start_precision"]), text(
        row["end_date"], row["end_precision"]
    )


@pytest.fixture(scope="module")
def atop(tmp_path_factory):
    files = [FIXTURES / "atop" / "atop5_1m.csv", FIXTURES / "atop" / "atop3_0m.csv"]
    return import_files("atop", files, tmp_path_factory.mktemp("atop") / "data")


def test_atop_pairs_obligations_and_phases(atop):
    rel = relations(atop)
    assert validate(atop.report.output) == []
    # NATO (3180): France's two phases are one spell; exit year 0 means still in force
    nato = rel["atop:3180:200-220:defense_pact"]
    assert (nato["actor_a"], nato["actor_b"], nato["relation_type"]) == (
        "GBR",
        "FRA",
        "defense_pact",
    )
    assert span(nato) == ("1949-04-04", "")
    assert "atop:3180:200-220:defense_pact:2" not in rel
    # the 1961 Soviet-North Korean treaty ends with the Soviet Union (RUS, COW 365)
    assert span(rel["atop:3375:365-731:defense_pact"]) == ("1961-07-06", "1991-12-25")
    # US-Japan: only the United States holds the defence obligation: directed
    us_japan = rel["atop:4905:2-740:defense_pact"]
    assert (us_japan["actor_a"], us_japan["actor_b"], bool(us_japan["directed"])) == (
        "USA",
        "JPN",
        True,
    )
    assert not bool(rel["atop:4905:2-740:entente"]["directed"])
    # version 3 file in capitals: neutrality and non-aggression are one relation type
    assert rel["atop:2355:255-365:non_aggression"]["source_name"] == "ATOP 3.0"
    assert span(rel["atop:2355:255-365:non_aggression"]) == ("1939-08-23", "1941-06-22")
    assert len(rel) == 12


@pytest.fixture(scope="module")
def cow(tmp_path_factory):
    files = sorted((FIXTURES / "cow").glob("*.csv"))
    return import_files("cow", files, tmp_path_factory.mktemp("cow") / "data")


def test_cow_dyad_and_member_files(cow):
    rel = relations(cow)
    # the dyad file lists US-UK in both directions: one relation per type
    assert [k for k in rel if k.startswith("cow:1:")] == [
        "cow:1:2-200:defense_pact", "cow:1:2-200:entente", "cow:1:2-200:non_aggression",
    ]  # fmt: skip
    assert span(rel["cow:3:365-710:defense_pact"]) == ("1950-02-14", "1980")
    # the member file: ANZUS as three pairs
    anzus = sorted(k for k in rel if k.startswith("cow:200:") and k.endswith("defense_pact"))
    assert anzus == ["cow:200:2-900:defense_pact", "cow:200:2-920:defense_pact",
                     "cow:200:900-920:defense_pact"]  # fmt: skip
    assert (
        rel["cow:200:900-920:defense_pact"]["source_name"]
        == "Correlates of War Formal Alliances v4.1"
    )
    assert cow.report.read == 7


@pytest.fixture(scope="module")
def sipri(tmp_path_factory):
    files = [FIXTURES / "sipri" / "trade-register.csv"]
    return import_files("sipri", files, tmp_path_factory.mktemp("sipri") / "data")


def test_sipri_register_orders_deliveries_flags_and_latin1(sipri):
    ev = sipri.dataset.events
    himars = ev[ev["title"].str.contains("HIMARS")].set_index("event_id")
    order = himars[himars["stage"] == "ordered"].iloc[0]
    assert (order["actor_1"], order["actor_2"], order["magnitude"], order["unit"]) == (
        "USA", "UKR", 186.2, "SIPRI TIV (millions)",
    )  # fmt: skip
    assert order["title"] == "Order: 38 HIMARS (self-propelled MRL) from United States to Ukraine"
    deliveries = himars[himars["stage"] == "delivered"]
    assert sorted(f"{d:%Y}" for d in deliveries["date"]) == ["2022", "2023"]
    assert set(deliveries["date_precision"]) == {"year"}
    # '?' flags and bracketed years say "uncertain"; Latin-1 names read right
    iris = ev[ev["title"].str.startswith("Order: 3 IRIS-T")].iloc[0]
    assert "number ordered 3 (uncertain)" in iris["description"]
    gowind = ev[ev["title"].str.contains("Gowind")].iloc[0]
    assert gowind["actor_2"] == "CIV"
    assert "from France to Côte d'Ivoire" in gowind["title"]
    assert "year of order 2021 (uncertain)" in gowind["description"]
    # * a non-state recipient, ** an organisation; an unknown supplier is skipped, not an actor
    actors = sipri.dataset.actors.set_index("id")
    assert actors.loc["ns-houthi-rebels-yemen", "kind"] == "non_state"
    assert "NATO" in actors.index
    assert sipri.report.skipped == {"supplier or recipient unknown or not mapped": 1}
    assert sipri.report.examples["supplier or recipient unknown or not mapped"][0].endswith(
        "trade-register.csv:12"
    )
    assert len(ev) == 13


def test_atop_source_names_the_version_its_file_name_gives():
    """ATOP publishes member files as atop3_0m.csv, atop4_01m.csv, atop5_1m.csv: the source
    name keeps the version as written (4.01, not 4.1). (v4's column layout has no fixture: its
    codebook could not be consulted, and a layout is not written from guesses.)"""
    from alliances.importers.atop import version

    assert version("atop4_01m.csv") == "ATOP 4.01"
    assert version("ATOP V4.01 Data (csv)/atop4_01m.csv") == "ATOP 4.01"
    assert version("atop5_1m.csv") == "ATOP 5.1"
    assert version("members.csv") == "ATOP"
