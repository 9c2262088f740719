"""The bundled dataset covers the founding analysis: every dated fact, figure and relationship of
`../shared/seed/putin-kim-pyongyang-analysis.txt` is findable with its date, actors and figure."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import alliances
from alliances.formats import partial_dates

SEED = (
    "Responsible Statecraft: \"Putin and Kim in Pyongyang, making it 'strategic'\" "
    "(analysis, June 2024)"
)


@pytest.fixture(scope="module")
def ds():
    return alliances.load_dataset()


@pytest.fixture(scope="module")
def events(ds):
    e = ds.events
    return e.assign(when=partial_dates(e["date"], e["date_precision"]))


def find(events, when, etype, actors, magnitude=None, unit=None) -> pd.DataFrame:
    rows = events[(events["when"] == when) & (events["event_type"] == etype)]
    pair = {str(a) for a in actors}
    rows = rows[
        rows.apply(lambda r: {str(r.actor_1), str(r.actor_2)} >= pair, axis=1) if len(rows) else []
    ]
    if magnitude is not None:
        rows = rows[(rows["magnitude"] == magnitude) & (rows["unit"] == unit)]
    return rows


@pytest.mark.parametrize(
    ("when", "etype", "actors", "magnitude", "unit", "what"),
    [
        ("2024-06-19", "summit", ["RUS", "PRK"], None, None, "Putin's visit to Pyongyang"),
        ("2024-06-19", "treaty", ["RUS", "PRK"], None, None, "comprehensive strategic partnership"),
        ("2023-09-13", "summit", ["RUS", "PRK"], None, None, "second visit in nine months"),
        ("2000-07-19", "summit", ["RUS", "PRK"], None, None, "first trip in 24 years"),
        ("2019-02-27", "summit", ["USA", "PRK"], None, None, "Hanoi summit fell through"),
        ("2022-02-24", "military_action", ["RUS", "UKR"], None, None, "invasion of Ukraine"),
        # an analyst's estimate of the fire rate is an assessment, not a use of force (issue #15)
        ("2024-06", "statement", ["RUS", "UKR"], 10000, "artillery shells per day",
         "around 10,000 shells per day"),
        ("2024-03-18", "arms_transfer", ["PRK", "RUS"], 7000, "containers",
         "7,000 containers of munitions (ROK Defense Ministry)"),
        ("2024-03-28", "veto", ["RUS", "PRK"], None, None, "veto of the Panel of Experts"),
        ("2022-05-26", "veto", ["RUS", "PRK"], None, None, "blocked additional sanctions"),
        ("2024-06-05", "threat", ["RUS"], None, None, "threat to arm third parties"),
        ("2024-06-05", "endorsement", ["RUS", "KOR"], None, None, "praise of South Korea"),
        ("2024-06-13", "aid", ["G7", "UKR"], 50_000_000_000, "USD", "G7 $50 bn ERA loans"),
        ("2024-12-10", "aid", ["USA", "UKR"], 20_000_000_000, "USD", "Treasury $20 bn"),
        ("2024-10", "aid", ["EU", "UKR"], 20_000_000_000, "USD", "EU share $20 bn"),
        ("2024-10", "aid", ["GBR", "UKR"], 10_000_000_000, "USD", "UK, Canada, Japan $10 bn"),
        ("2024-12-08", "leadership_change", ["SYR"], None, None, "fall of Assad"),
        ("2018-05-16", "summit", ["USA", "UZB"], None, None, "Trump and Mirziyoyev"),
        ("2025-01-20", "leadership_change", ["USA"], None, None, "Trump's second term"),
    ],
)  # fmt: skip
def test_seed_fact_is_in_the_events(events, when, etype, actors, magnitude, unit, what):
    rows = find(events, when, etype, actors, magnitude, unit)
    assert len(rows) == 1, f"{what}: expected one {etype} on {when} between {actors}"
    row = rows.iloc[0]
    assert row["source_name"]
    assert row["confidence"] in ("confirmed", "reported", "estimated", "disputed")


def test_seed_rows_cite_the_seed_without_a_guessed_url(ds):
    for frame in (ds.events, ds.relations):
        cited = frame[frame["source_name"] == SEED]
        assert len(cited) > 0
        assert cited["source_url"].isna().all()


@pytest.mark.parametrize(
    ("a", "b", "rtype", "start", "what"),
    [
        ("RUS", "PRK", "defense_pact", "2024-06-19", "the 2024 treaty (Article 4: mutual aid)"),
        ("CHN", "PRK", "defense_pact", "1961-07-11", "China, North Korea's largest partner"),
        ("KOR", "RUS", "diplomatic_relations", "1990-09-30", "Russia's stable ties with Seoul"),
        ("USA", "CHN", "rivalry", "2017-12-18", "US-China rivalry"),
        ("RUS", "USA", "rivalry", "2014-03", "US-Russia rupture"),
    ],
)
def test_seed_relationships_are_in_the_relations(ds, a, b, rtype, start, what):
    r = ds.relations
    r = r.assign(since=partial_dates(r["start_date"], r["start_precision"]))
    rows = r[
        (r["relation_type"] == rtype)
        & (r["since"] == start)
        & (
            ((r["actor_a"] == a) & (r["actor_b"] == b))
            | ((r["actor_a"] == b) & (r["actor_b"] == a))
        )
    ]
    assert len(rows) == 1, what


def test_cumulative_munitions_estimates_are_counted_once(ds):
    from alliances import query

    estimates = ds.events[
        (ds.events["unit"] == "containers") & (ds.events["magnitude_basis"] == "cumulative")
    ]
    assert {5000, 6700, 7000, 10000, 13000} <= set(estimates["magnitude"])
    totals = query.kpis(estimates)["totals"]
    assert totals["containers"] == estimates.sort_values("date")["magnitude"].iloc[-1]


def test_bundled_counts_meet_the_minimums(ds):
    c = ds.counts()
    assert c["actors"] >= 25
    assert c["relations"] >= 40
    assert c["events"] >= 150
    for frame in (ds.events, ds.relations):
        assert frame["source_name"].notna().all()


# --------------------------------------------------------------------------- data audit (issue #15)
# The bundled CSVs are read directly with pandas, as text, so that the audit does not depend on
# the loader it is meant to keep honest.

DATA = Path(__file__).resolve().parents[1] / "data"
URL_SHARE = 0.8  # the share of events and of relations that must carry a source_url


def read(table: str) -> pd.DataFrame:
    return pd.read_csv(DATA / f"{table}.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def raw():
    return {t: read(t) for t in ("actors", "events", "relations", "event_types", "relation_types")}


def span(value: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day a partial date (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`) can mean."""
    period = pd.Period(value)
    return period.start_time.normalize(), period.end_time.normalize()


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ("actors", "id"),
        ("events", "event_id"),
        ("relations", "relation_id"),
        ("event_types", "id"),
        ("relation_types", "id"),
    ],
)
def test_ids_are_unique(raw, table, key):
    ids = raw[table][key]
    assert ids.is_unique, sorted(ids[ids.duplicated()])
    assert (ids != "").all()


def test_relation_spans_are_ordered(raw):
    r = raw["relations"]
    for row in r.itertuples():
        start, _ = span(row.start_date)
        if row.end_date:
            _, end = span(row.end_date)
            assert end >= start, row.relation_id


def test_event_spans_are_ordered(raw):
    e = raw["events"]
    for row in e[e["end_date"] != ""].itertuples():
        assert span(row.end_date)[1] >= span(row.date)[0], row.event_id


def link_problem(event, relation) -> str | None:
    """The event-relation rule the bundled data satisfies (issue #15).

    1. Actors: if the event has an actor_2, {actor_1, actor_2} equals {actor_a, actor_b}; if it
       is one-sided (no actor_2), actor_1 is actor_a or actor_b. Participants do not count.
    2. Dates: the event's `date`, at its precision, overlaps the relation's span
       [start_date, end_date] at theirs (an open end_date means still in force).
    """
    pair = {relation.actor_a, relation.actor_b}
    if event.actor_2:
        if {event.actor_1, event.actor_2} != pair:
            return f"actors {event.actor_1}/{event.actor_2} are not the relation's {sorted(pair)}"
    elif event.actor_1 not in pair:
        return f"one-sided actor {event.actor_1} is not in the relation's {sorted(pair)}"
    first, last = span(event.date)
    if last < span(relation.start_date)[0]:
        return f"{event.date} is before the relation's start {relation.start_date}"
    if relation.end_date and first > span(relation.end_date)[1]:
        return f"{event.date} is after the relation's end {relation.end_date}"
    return None


def test_events_link_only_to_relations_of_their_actors_in_force(raw):
    relations = raw["relations"].set_index("relation_id", drop=False)
    linked = raw["events"][raw["events"]["relation_id"] != ""]
    assert len(linked) > 200
    problems = {
        row.event_id: link_problem(row, relations.loc[row.relation_id])
        for row in linked.itertuples()
    }
    assert {k: v for k, v in problems.items() if v} == {}


def test_the_link_rule_rejects_the_mistakes_it_was_written_for():
    def rel(a, b, start, end=""):
        return pd.Series({"actor_a": a, "actor_b": b, "start_date": start, "end_date": end})

    def ev(a1, a2, date):
        return pd.Series({"actor_1": a1, "actor_2": a2, "date": date, "event_id": "x"})

    # a Russian veto linked to the UNSC sanctions regime on North Korea
    assert link_problem(ev("RUS", "PRK", "2024-03-28"), rel("UNSC", "PRK", "2006-10-14"))
    # Camp David (US host, Japan visitor) linked to the Japan-ROK leg
    assert link_problem(ev("USA", "JPN", "2023-08-18"), rel("JPN", "KOR", "2023-08-18"))
    # a day before the treaty existed; a suspension after the agreement had ended
    assert link_problem(ev("RUS", "PRK", "2024-06-18"), rel("RUS", "PRK", "2024-06-19"))
    assert link_problem(
        ev("KOR", "PRK", "2024-06-04"), rel("KOR", "PRK", "2018-09-19", "2023-11-23")
    )
    # month and year precision overlap rather than compare strings
    assert (
        link_problem(ev("RUS", "CHN", "1980-04"), rel("RUS", "CHN", "1950-02-14", "1980-04"))
        is None
    )
    assert link_problem(ev("RUS", "PRK", "1996"), rel("RUS", "PRK", "1961-07-06", "1996")) is None
    assert link_problem(ev("PRK", "", "2017-07-04"), rel("PRK", "USA", "1953-07-27")) is None


@pytest.mark.parametrize("table", ["events", "relations"])
def test_every_row_is_sourced(raw, table):
    t = raw[table]
    assert (t["source_name"].str.strip() != "").all()
    assert t["confidence"].isin(["confirmed", "reported", "estimated", "disputed"]).all()
    urls = t["source_url"]
    assert urls[urls != ""].str.match(r"https?://[^/\s]*[^./\s]/").all()  # no host ending in a dot
    cited = t["other_sources"].str.findall(r"https?://[^/\s;]+").explode().dropna()
    assert not cited.str.endswith(".").any(), sorted(cited[cited.str.endswith(".")])
    # a bare outlet ("Reuters", "Yonhap") does not identify the article or document
    bare = t[~t["source_name"].str.contains(r"[:(]")]
    assert bare.empty, sorted(bare.iloc[:, 0])


def test_rows_on_events_the_analysis_only_mentions_cite_their_primary_source(raw):
    e = raw["events"].set_index("event_id")
    mentioned = [
        "2024-12-08-fall-of-assad",
        "2024-06-13-g7-apulia-era-loans",
        "2024-10-25-g7-era-loan-shares",
        "2024-10-eu-era-share",
        "2024-10-gbr-can-jpn-era-share",
        "2024-10-biden-confirms-era-loan",
        "2024-12-10-treasury-disburses-20bn",
        "2018-05-16-trump-mirziyoyev-white-house",
        "2025-01-20-trump-second-term",
    ]
    for event_id in mentioned:
        row = e.loc[event_id]
        assert row["source_name"] != SEED, event_id
        assert row["source_url"].startswith("https://"), event_id
        assert "Responsible Statecraft" in row["other_sources"], event_id
    csp = raw["relations"].set_index("relation_id").loc["rel-rus-prk-2024-csp-treaty"]
    assert csp["source_name"] != SEED
    assert "interfax.com" in csp["other_sources"]  # entry into force, 4 December 2024


@pytest.mark.parametrize("table", ["events", "relations"])
def test_most_rows_give_an_address_a_reader_can_check(raw, table):
    urls = raw[table]["source_url"]
    share = (urls != "").mean()
    assert share >= URL_SHARE, f"{table}: {share:.1%} of rows carry a source_url"


# ------------------------------------------------------------------------ facts added in issue #15
# Each pin is one row an analyst would look for first; the row's source states the fact.


@pytest.mark.parametrize(
    ("event_id", "date", "etype", "actor_1", "actor_2"),
    [
        ("2021-09-15-aukus-announced", "2021-09-15", "declaration", "USA", "AUKUS"),
        ("2023-03-13-aukus-optimal-pathway", "2023-03-13", "declaration", "USA", "AUKUS"),
        ("2017-11-12-quad-revived", "2017-11-12", "declaration", "USA", "QUAD"),
        ("2021-03-12-quad-virtual-summit", "2021-03-12", "summit", "USA", "QUAD"),
        ("2021-09-24-quad-washington-summit", "2021-09-24", "summit", "USA", "QUAD"),
        ("2022-05-24-quad-tokyo-summit", "2022-05-24", "summit", "JPN", "QUAD"),
        ("2023-05-20-quad-hiroshima-summit", "2023-05-20", "summit", "JPN", "QUAD"),
        ("2024-09-21-quad-wilmington-summit", "2024-09-21", "summit", "USA", "QUAD"),
        ("2022-06-29-nato-madrid-strategic-concept", "2022-06-29", "statement", "NATO", "RUS"),
        ("2023-07-11-nato-vilnius-summit", "2023-07-11", "declaration", "NATO", "UKR"),
        ("2024-07-10-nato-washington-declaration", "2024-07-10", "statement", "NATO", "CHN"),
        ("2025-06-25-nato-hague-summit", "2025-06-25", "declaration", "NATO", ""),
        ("2024-06-27-freedom-edge-1", "2024-06-27", "military_cooperation", "USA", "KOR"),
        ("2024-11-13-freedom-edge-2", "2024-11-13", "military_cooperation", "USA", "KOR"),
        ("2023-12-19-trilateral-missile-warning-data-sharing", "2023-12-19",
         "military_cooperation", "KOR", "JPN"),
        ("2022-12-16-japan-national-security-strategy", "2022-12-16", "statement", "JPN", "CHN"),
        ("2022-09-08-prk-nuclear-forces-law", "2022-09-08", "statement", "PRK", ""),
        ("2023-09-26-prk-constitution-nuclear", "2023-09-26", "statement", "PRK", ""),
        ("2023-02-21-russia-suspends-new-start", "2023-02-21", "treaty_status", "RUS", "USA"),
        ("2023-06-23-wagner-mutiny", "2023-06-23", "military_action", "WAGNER", "RUS"),
        ("2019-07-23-chn-rus-first-joint-bomber-patrol", "2019-07-23",
         "military_cooperation", "RUS", "CHN"),
        ("2024-07-24-chn-rus-bomber-patrol-alaska", "2024-07-24",
         "military_cooperation", "RUS", "CHN"),
        ("2024-12-prk-troops-first-combat-kursk", "2024-12", "military_action", "PRK", "UKR"),
        ("2020-05-14-russia-wheat-aid-prk", "2020-05-14", "aid", "RUS", "PRK"),
        ("2024-03-07-russia-oil-to-prk", "2024-03-07", "aid", "RUS", "PRK"),
        ("2023-09-06-prk-tactical-nuclear-submarine", "2023-09-06", "statement", "PRK", ""),
        ("2024-04-blinken-china-dual-use", "2024-04", "statement", "USA", "CHN"),
    ],
)  # fmt: skip
def test_issue_15_strands_are_recorded_with_an_address(
    raw, event_id, date, etype, actor_1, actor_2
):
    e = raw["events"].set_index("event_id")
    assert event_id in e.index, event_id
    row = e.loc[event_id]
    assert (row["date"], row["event_type"]) == (date, etype)
    assert (row["actor_1"], row["actor_2"]) == (actor_1, actor_2)
    assert row["source_url"].startswith("http"), event_id


# The packages added to complete the series, with the day the Council adopted each. Package 3 is
# left out on purpose: its measures were adopted over 28 February-2 March 2022 (central bank, then
# SWIFT) and sources number those days differently, so no one adoption day can be recorded.
ADDED_EU_PACKAGES = {
    4: "2022-03-15",
    5: "2022-04-08",
    7: "2022-07-21",
    8: "2022-10-06",
    9: "2022-12-16",
    17: "2025-05-20",
}


def test_eu_sanctions_packages_are_a_numbered_series(raw):
    e = raw["events"]
    packages = e[e["event_id"].str.match(r"\d{4}-\d\d-\d\d-eu-\d+(st|nd|rd|th)-sanctions-package$")]
    numbers = packages["event_id"].str.extract(r"-eu-(\d+)")[0].astype(int)
    assert {1, 2, 6, 10, 11, 12, 13, 14, 15, 16, 18, 19} | set(ADDED_EU_PACKAGES) <= set(numbers)
    assert numbers.is_unique
    by_number = packages.set_index(numbers)
    for number, adopted in ADDED_EU_PACKAGES.items():
        row = by_number.loc[number]
        assert row["date"] == adopted, number
        assert row["event_id"].startswith(adopted), number
        assert row["relation_id"] == "rel-eu-rus-2014-sanctions", number
        assert row["confidence"] == "confirmed", number
        assert row["source_url"].startswith("https://"), number
        assert row["description"].endswith(f"Package {number} of the series since February 2022.")
    assert (
        (packages[["actor_1", "actor_2", "event_type"]] == ["EU", "RUS", "sanctions"]).all().all()
    )
    # numbered in the order they were adopted
    assert list(
        packages.sort_values("date")["event_id"].str.extract(r"-eu-(\d+)")[0].astype(int)
    ) == sorted(numbers)


def test_issue_15_coding_fixes_hold(raw):
    e = raw["events"].set_index("event_id")
    r = raw["relations"].set_index("relation_id")
    a = raw["actors"].set_index("id")
    msmt = e.loc["2024-10-16-msmt-launched", "participants"].split(";")
    assert "NLD" in msmt
    assert "ITA" in msmt
    assert "ITA" not in e.loc["2024-06-05-putin-praises-south-korea", "participants"].split(";")
    assert "MSMT" not in e.loc["2025-05-29-msmt-first-report", "participants"].split(";")
    members = set(r[r["actor_b"] == "MSMT"]["actor_a"])
    assert members == {"AUS", "CAN", "DEU", "FRA", "GBR", "ITA", "JPN", "KOR", "NLD", "NZL", "USA"}
    assert set(r[r["actor_b"] == "QUAD"]["actor_a"]) == {"AUS", "IND", "JPN", "USA"}
    assert set(r[r["actor_b"] == "AUKUS"]["actor_a"]) == {"AUS", "GBR", "USA"}
    # the 1951 US-Japan treaty gave basing rights without a US duty to defend Japan
    assert r.loc["rel-usa-jpn-1951-security-treaty", "relation_type"] == "security_assistance"
    assert r.loc["rel-rus-chn-2019-csp-new-era", "title"] == (
        "Comprehensive Strategic Partnership of Coordination for a New Era"
    )
    # annexation claims are statements; the force used is recorded in its own events
    for annexation in ("2014-03-18-crimea-annexed", "2022-09-30-russia-annexes-four-regions"):
        assert e.loc[annexation, "event_type"] == "statement"
    assert (a.loc["IND", "iso_numeric"], a.loc["IND", "cow_code"]) == ("356", "750")
    assert (a.loc["NLD", "iso_numeric"], a.loc["NLD", "cow_code"]) == ("528", "210")
    assert "260" in a.loc["DEU", "description"]  # West Germany's COW code before 1990
    types = set(raw["event_types"].iloc[:, 0])
    assert {"statement", "leadership_change"} <= types
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert "`statement`" in readme
    assert "`leadership_change`" in readme


def test_camp_david_commitments_and_dual_use_sanctions_are_recorded(raw):
    r = raw["relations"].set_index("relation_id")
    for leg in (
        "rel-usa-jpn-2023-camp-david",
        "rel-usa-kor-2023-camp-david",
        "rel-jpn-kor-2023-camp-david",
    ):
        assert r.loc[leg, "start_date"] == "2023-08-18"
        assert r.loc[leg, "relation_type"] == "strategic_partnership"
    e = raw["events"].set_index("event_id")
    chinese_suppliers = e.loc["2024-05-01-us-sanctions-chinese-suppliers"]
    assert (chinese_suppliers["event_type"], chinese_suppliers["actor_2"]) == ("sanctions", "RUS")
    # the Chinese suppliers are what the sanctions are directed against: targets (issue #12)
    assert "CHN" in chinese_suppliers["targets"].split(";")
    assert "CHN" in e.loc["2024-12-16-eu-15th-sanctions-package", "targets"].split(";")


def test_issue_15_recitations_name_the_piece_that_states_the_fact(raw):
    e = raw["events"].set_index("event_id")
    # Lavrov's arrival in Wonsan on 11 July 2025, not Xinhua's report of the next day
    lavrov = e.loc["2025-07-11-lavrov-in-wonsan"]
    assert lavrov["source_name"].startswith(
        "A News: Russian foreign minister arrives in North Korea"
    )
    assert lavrov["source_url"].startswith("https://www.anews.com.tr/")
    assert "Xinhua" not in lavrov["source_name"]
    # Russia's own acknowledgement (Gerasimov to Putin), not North Korea's two days later
    kursk = e.loc["2025-04-26-russia-acknowledges-nk-troops"]
    assert kursk["source_name"].startswith("Reuters via The Japan News:")
    assert "Russia confirms North Korean troops for the first time" in kursk["source_name"]
    assert "MENAFN" not in kursk["source_name"]
    # the launch in Seoul on 16 October 2024, not the report on the team's first findings (May 2025)
    msmt = e.loc["2024-10-16-msmt-launched"]
    assert msmt["source_name"].startswith("Yonhap via The Korea Herald:")
    assert "launch Multilateral Sanctions Monitoring Team (16 October 2024)" in msmt["source_name"]
    assert "JoongAng" not in msmt["source_name"]
    # an analyst's fire-rate estimate is an assessment, not a use of force
    fire_rate = e.loc["2024-06-russian-shell-fire-rate"]
    assert (fire_rate["event_type"], fire_rate["date"]) == ("statement", "2024-06")


def test_russia_iran_treaty_is_a_partnership_with_a_neutrality_clause_not_a_defence_pact(raw):
    r = raw["relations"]
    treaty = r.set_index("relation_id").loc["rel-irn-rus-2025-csp-treaty"]
    assert treaty["relation_type"] == "comprehensive_strategic_partnership"
    assert treaty["start_date"] == "2025-01-17"
    assert "neutrality undertaking" in treaty["description"]
    assert "no mutual-defence obligation" in treaty["description"]
    # one relation for the treaty: its Article 3 clause is described, not recorded a second time
    pair = r[
        ((r["actor_a"] == "IRN") & (r["actor_b"] == "RUS"))
        | ((r["actor_a"] == "RUS") & (r["actor_b"] == "IRN"))
    ]
    assert list(pair[pair["start_date"] == "2025-01-17"].index) == list(
        r.index[r["relation_id"] == "rel-irn-rus-2025-csp-treaty"]
    )
    assert not {"defense_pact", "non_aggression"} & set(pair["relation_type"])
    assert "deliberately not recorded as a second, non_aggression relation" in treaty["description"]
