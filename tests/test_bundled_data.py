"""The bundled dataset covers the founding analysis: every dated fact, figure and relationship of
`../shared/seed/putin-kim-pyongyang-analysis.txt` is findable with its date, actors and figure."""

from __future__ import annotations

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
