"""The query layer: what each filter selects, on the small dataset and purpose-made tiny ones."""

from __future__ import annotations

import datetime as dt
import gc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alliances import query, scope
from alliances.query import Criteria
from alliances.state import Filters
from unit_helpers import actor, build, event, relation, small

D = dt.date


pytestmark = pytest.mark.usefixtures("fresh_caches")


def ids(frame: pd.DataFrame, column: str = "event_id") -> list[str]:
    return sorted(frame[column].astype(str))


def selected(dataset, **filters) -> list[str]:
    return ids(query.select(dataset, Filters(**filters)).events)


def selected_relations(dataset, **filters) -> list[str]:
    return ids(query.select(dataset, Filters(**filters)).relations, "relation_id")


ALL_EVENTS = ["e1", "e2", "e3", "e4", "e5", "e6"]
ALL_RELATIONS = [
    "rel-rus-prk-1961",
    "rel-rus-prk-2024",
    "rel-rus-ukr-2022",
    "rel-usa-kor-1953",
    "rel-usa-rus-2022",
]


# --------------------------------------------------------------------------- window


def test_window_defaults_to_the_data_span(ds):
    w = query.window(ds, Filters())
    # first: the 1953 US-ROK treaty; last: the 2024-06-19 summit (the 1961 treaty ends 1995)
    assert (w.start, w.end) == (pd.Timestamp("1953-10-01"), pd.Timestamp("2024-06-19"))
    assert w.stop == pd.Timestamp("2024-06-20")


def test_window_honours_start_and_end(ds):
    w = query.window(ds, Filters(start=D(2024, 1, 1), end=D(2024, 3, 31)))
    assert (w.start, w.end, w.stop) == (
        pd.Timestamp("2024-01-01"),
        pd.Timestamp("2024-03-31"),
        pd.Timestamp("2024-04-01"),
    )


def test_window_with_only_a_start_ends_with_the_data(ds):
    w = query.window(ds, Filters(start=D(2024, 1, 1)))
    assert (w.start, w.end) == (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-06-19"))


def test_window_puts_a_reversed_range_in_order(ds):
    w = query.window(ds, Filters(start=D(2024, 3, 31), end=D(2024, 1, 1)))
    assert (w.start, w.end) == (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-03-31"))


def test_a_reversed_window_is_read_in_order_and_said_so(ds):
    """From 2024-12-31 to 2023-01-01 once showed events with no word of the swap."""
    sel = query.select(ds, Filters(start=D(2024, 12, 31), end=D(2023, 1, 1)))
    assert ids(sel.events) == ids(
        query.select(ds, Filters(start=D(2023, 1, 1), end=D(2024, 12, 31))).events
    )
    assert sel.notices == (
        "'From' (2024-12-31) is after 'To' (2023-01-01): showing 2023-01-01 to 2024-12-31",
    )


def test_a_start_after_the_data_selects_nothing(ds):
    """``From 2030`` with no ``To``: nothing happened yet, whatever the data's last day."""
    sel = query.select(ds, Filters(start=D(2030, 1, 1)))
    assert ids(sel.events) == []
    assert sel.window.start == pd.Timestamp("2030-01-01")


def test_an_end_before_the_data_selects_nothing(ds):
    sel = query.select(ds, Filters(end=D(1900, 1, 1)))
    assert ids(sel.relations, "relation_id") == []
    assert sel.window.end == pd.Timestamp("1900-01-01")


def test_no_filter_selects_everything(ds):
    sel = query.select(ds, Filters())
    assert ids(sel.events) == ALL_EVENTS
    assert ids(sel.relations, "relation_id") == ALL_RELATIONS
    assert sel.notices == ()
    assert sel.focus == ()


def test_events_are_selected_by_day_window(ds):
    # e3 2024-03-18 and e4 2024-03-28
    assert selected(ds, start=D(2024, 3, 1), end=D(2024, 3, 31)) == ["e3", "e4"]
    assert selected(ds, start=D(2024, 3, 18), end=D(2024, 3, 18)) == ["e3"]
    assert selected(ds, start=D(2024, 3, 19), end=D(2024, 3, 27)) == []


def test_a_month_precision_event_overlaps_windows_inside_its_month(ds):
    # e5 is dated 2023-08: some day in August 2023
    assert selected(ds, start=D(2023, 8, 15), end=D(2023, 8, 20)) == ["e5"]
    assert selected(ds, start=D(2023, 8, 31), end=D(2023, 8, 31)) == ["e5"]
    assert selected(ds, start=D(2023, 9, 1), end=D(2023, 12, 31)) == []
    assert selected(ds, start=D(2023, 1, 1), end=D(2023, 7, 31)) == []


def test_a_year_precision_event_overlaps_any_window_in_its_year(tmp_path: Path):
    ds = build(
        tmp_path,
        actors=[actor("A"), actor("B")],
        events=[event("y", "2022", "summit", "A", "B"), event("d", "2023-01-01", "visit", "A")],
    )
    assert selected(ds, start=D(2022, 12, 31), end=D(2022, 12, 31)) == ["y"]
    assert selected(ds, start=D(2022, 6, 1), end=D(2022, 6, 1)) == ["y"]
    assert selected(ds, start=D(2023, 1, 1), end=D(2023, 12, 31)) == ["d"]
    assert selected(ds, start=D(2021, 1, 1), end=D(2021, 12, 31)) == []


def test_a_ranged_event_overlaps_windows_touching_any_of_its_days(ds):
    # e6 runs 2024-06-13 to 2024-06-15
    assert selected(ds, start=D(2024, 6, 15), end=D(2024, 6, 15)) == ["e6"]
    assert selected(ds, start=D(2024, 6, 10), end=D(2024, 6, 13)) == ["e6"]
    assert selected(ds, start=D(2024, 6, 16), end=D(2024, 6, 18)) == []


def test_relations_are_selected_when_in_force_during_the_window(ds):
    # the 1961 treaty lapsed in 1995 (year precision: in force until the end of 1995)
    assert selected_relations(ds, start=D(1995, 12, 1), end=D(1995, 12, 31)) == [
        "rel-rus-prk-1961",
        "rel-usa-kor-1953",
    ]
    assert selected_relations(ds, start=D(1996, 1, 1), end=D(2021, 12, 31)) == ["rel-usa-kor-1953"]


# --------------------------------------------------------------------------- actors


def test_actor_focus_matches_actor_1(ds):
    assert selected(ds, actors=["USA"]) == ["e6"]


def test_actor_focus_matches_actor_2(ds):
    assert selected(ds, actors=["UKR"]) == ["e6"]


def test_actor_focus_matches_participants(ds):
    # China is only a participant of the veto e4
    assert selected(ds, actors=["CHN"]) == ["e4"]


def test_actor_focus_matches_participants_inside_a_list(tmp_path: Path):
    ds = build(
        tmp_path,
        actors=[actor("A"), actor("B"), actor("C"), actor("D"), actor("CC")],
        events=[
            event("multi", "2024-01-01", "treaty", "A", "B", participants="D;C"),
            event("near", "2024-01-02", "treaty", "A", "B", participants="CC"),
            event("other", "2024-01-03", "visit", "A", "B"),
        ],
    )
    assert selected(ds, actors=["C"]) == ["multi"]
    assert selected(ds, actors=["D"]) == ["multi"]


def test_several_actors_select_events_of_any_of_them(ds):
    assert selected(ds, actors=["USA", "CHN"]) == ["e4", "e6"]


def test_actor_focus_keeps_relations_touching_the_actor(ds):
    sel = query.select(ds, Filters(actors=["USA"]))
    assert ids(sel.relations, "relation_id") == ["rel-usa-kor-1953", "rel-usa-rus-2022"]
    assert sel.focus == ("USA",)


@pytest.fixture
def partner_world(tmp_path: Path):
    """A is aligned with B (both ways round), rival of C, formerly aligned with D, neutral with
    E, aligned with F only after 2024, and G is B's partner (a partner of a partner)."""
    return build(
        tmp_path,
        actors=[actor(x) for x in "ABCDEFGH"],
        relations=[
            relation("ab", "A", "B", "defense_pact", "2000-01-01"),
            relation("ha", "H", "A", "strategic_partnership", "2010"),
            relation("ac", "A", "C", "rivalry", "2000-01-01"),
            relation("ad", "A", "D", "entente", "1990-01-01", "1999-12-31"),
            relation("ae", "A", "E", "diplomatic_relations", "1990-01-01"),
            relation("af", "A", "F", "strategic_partnership", "2025-01-01"),
            relation("bg", "B", "G", "defense_pact", "2000-01-01"),
        ],
        events=[
            event("a-c", "2020-05-01", "threat", "A", "C"),
            event("b-g", "2020-05-02", "visit", "G", "B"),
            event("g-c", "2020-05-03", "visit", "G", "C"),
        ],
    )


def test_include_partners_adds_only_aligned_partners_in_force(partner_world):
    window = {"start": D(2020, 1, 1), "end": D(2020, 12, 31)}
    assert query.focus(partner_world, Filters(actors=["A"], **window)) == ["A"]
    focused = query.focus(partner_world, Filters(actors=["A"], include_partners=True, **window))
    assert focused == ["A", "B", "H"]


def test_include_partners_uses_the_window(partner_world):
    nineties = Filters(
        actors=["A"], include_partners=True, start=D(1995, 1, 1), end=D(1995, 12, 31)
    )
    assert query.focus(partner_world, nineties) == ["A", "D"]
    later = Filters(actors=["A"], include_partners=True, start=D(2025, 1, 1), end=D(2025, 6, 30))
    assert query.focus(partner_world, later) == ["A", "B", "F", "H"]


def test_include_partners_widens_the_selected_events(partner_world):
    window = {"start": D(2020, 1, 1), "end": D(2020, 12, 31)}
    assert selected(partner_world, actors=["A"], **window) == ["a-c"]
    sel = query.select(partner_world, Filters(actors=["A"], include_partners=True, **window))
    assert ids(sel.events) == ["a-c", "b-g"]
    assert sel.focus == ("A", "B", "H")


def test_include_partners_without_actors_changes_nothing(ds):
    assert selected(ds, include_partners=True) == ALL_EVENTS


# --------------------------------------------------------------------------- other filters


def test_event_types_filter(ds):
    assert selected(ds, event_types=["arms_transfer"]) == ["e3", "e5"]
    assert selected(ds, event_types=["summit", "veto"]) == ["e1", "e4"]


def test_relation_types_filter(ds):
    assert selected_relations(ds, relation_types=["defense_pact"]) == [
        "rel-rus-prk-1961",
        "rel-usa-kor-1953",
    ]
    # relation types do not filter events
    assert selected(ds, relation_types=["defense_pact"]) == ALL_EVENTS


def test_regions_filter_keeps_events_touching_the_region(ds):
    # USA (North America) -> UKR (Europe): only e6 touches North America
    assert selected(ds, regions=["North America"]) == ["e6"]
    assert selected(ds, regions=["East Asia"]) == ["e1", "e2", "e3", "e4", "e5"]


def test_regions_filter_keeps_relations_inside_the_region(ds):
    assert selected_relations(ds, regions=["Europe"]) == ["rel-rus-ukr-2022"]
    assert selected_relations(ds, regions=["Europe", "East Asia"]) == [
        "rel-rus-prk-1961",
        "rel-rus-prk-2024",
        "rel-rus-ukr-2022",
    ]


@pytest.fixture
def texts(tmp_path: Path):
    return build(
        tmp_path,
        actors=[actor("A"), actor("B")],
        events=[
            event("paren", "2024-01-01", "visit", "A", "B", title="Talks (round 2*) in Seoul"),
            event("desc", "2024-01-02", "visit", "A", "B", description="Shells and MUNITIONS"),
            event("plain", "2024-01-03", "visit", "A", "B", title="Round of talks"),
            event("dots", "2024-01-04", "visit", "A", "B", title="a.b.c"),
        ],
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("munitions", ["desc"]),
        ("MUNITIONS", ["desc"]),
        ("  shells ", ["desc"]),
        ("(", ["paren"]),
        ("(round 2*)", ["paren"]),
        ("*", ["paren"]),
        ("round", ["paren", "plain"]),
        ("a.b", ["dots"]),
        (".*", []),
        ("[", []),
        ("\\", []),
        ("nothing like this", []),
    ],
)
def test_search_is_literal_and_case_insensitive(texts, text, expected):
    assert selected(texts, search=text) == expected


def test_blank_search_selects_everything(texts):
    assert selected(texts, search="   ") == ["desc", "dots", "paren", "plain"]


def test_filters_combine(ds):
    assert selected(ds, actors=["PRK"], event_types=["arms_transfer"], start=D(2024, 1, 1)) == [
        "e3"
    ]


@pytest.mark.parametrize(
    ("name", "known", "what"),
    [
        ("actors", "USA", "actor ids"),
        ("event_types", "aid", "event types"),
        ("relation_types", "rivalry", "relation types"),
        ("regions", "North America", "regions"),
    ],
)
def test_unknown_ids_give_a_notice_and_are_ignored(ds, name, known, what):
    with_unknown = query.select(ds, Filters(**{name: [known, "NOPE<x>"]}))
    without = query.select(ds, Filters(**{name: [known]}))
    assert ids(with_unknown.events) == ids(without.events)
    assert ids(with_unknown.relations, "relation_id") == ids(without.relations, "relation_id")
    assert len(with_unknown.notices) == 1
    assert what in with_unknown.notices[0]
    assert "NOPE<x>" in with_unknown.notices[0]


@pytest.mark.parametrize("name", ["actors", "event_types", "relation_types", "regions"])
def test_a_filter_of_only_unknown_ids_is_ignored_like_an_empty_one(ds, name):
    """The notice says the ids were ignored: the selection is the one without the filter."""
    sel = query.select(ds, Filters(**{name: ["NOPE"]}))
    assert ids(sel.events) == ALL_EVENTS
    assert ids(sel.relations, "relation_id") == ALL_RELATIONS
    assert len(sel.notices) == 1


# --------------------------------------------------------------------------- relations in force


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("1961-07-05", ["rel-usa-kor-1953"]),
        ("1961-07-06", ["rel-rus-prk-1961", "rel-usa-kor-1953"]),
        ("1995-12-31", ["rel-rus-prk-1961", "rel-usa-kor-1953"]),
        ("1996-01-01", ["rel-usa-kor-1953"]),
        ("2022-01-01", ["rel-usa-kor-1953", "rel-usa-rus-2022"]),
        ("2022-02-24", ["rel-rus-ukr-2022", "rel-usa-kor-1953", "rel-usa-rus-2022"]),
        ("2024-06-19", ALL_RELATIONS[1:]),
    ],
)
def test_relations_in_force_respects_start_and_end_dates(ds, day, expected):
    assert ids(query.relations_in_force(ds, Filters(), pd.Timestamp(day)), "relation_id") == (
        expected
    )


def test_relations_in_force_default_to_the_as_of_date(ds):
    f = Filters(as_of=D(1970, 1, 1))
    assert ids(query.relations_in_force(ds, f), "relation_id") == [
        "rel-rus-prk-1961",
        "rel-usa-kor-1953",
    ]


def test_relations_in_force_and_their_ranking_are_shared_across_event_types_and_search():
    """Event types and the text search choose events, not relations: a change of either finds
    the relations in force and their centrality cached, and they are what a fresh computation
    with those filters gives."""
    import alliances
    from alliances import metrics

    dataset = alliances.load_dataset()  # the bundled data: partners and several types
    base = Filters(actors=["RUS"], include_partners=True, start=D(2020, 1, 1))
    other = Filters(actors=["RUS"], include_partners=True, start=D(2020, 1, 1),
                    event_types=["summit"], search="treaty")  # fmt: skip
    when = query.as_of(dataset, base)
    shown = query.relations_in_force(dataset, base)
    assert query.relations_in_force(dataset, other) is shown
    fresh = scope._in_force.__wrapped__(dataset, Criteria.of(other), when.normalize())
    pd.testing.assert_frame_equal(fresh, shown)
    assert len(shown) > 0
    ranking = metrics.ranking_at(dataset, base, when, "degree")
    assert metrics.ranking_at(dataset, other, when, "degree") is ranking
    # relation types do choose relations: another key, another answer
    fewer = Filters(actors=["RUS"], include_partners=True, start=D(2020, 1, 1),
                    relation_types=["defense_pact"])  # fmt: skip
    assert len(query.relations_in_force(dataset, fewer)) < len(shown)


def test_relations_in_force_default_to_the_window_end(ds):
    f = Filters(end=D(2023, 1, 1))
    assert ids(query.relations_in_force(ds, f), "relation_id") == [
        "rel-rus-ukr-2022",
        "rel-usa-kor-1953",
        "rel-usa-rus-2022",
    ]


def test_relations_in_force_apply_actor_and_type_filters(ds):
    day = pd.Timestamp("2024-06-19")
    f = Filters(actors=["USA"])
    assert ids(query.relations_in_force(ds, f, day), "relation_id") == [
        "rel-usa-kor-1953",
        "rel-usa-rus-2022",
    ]
    f = Filters(relation_types=["rivalry", "armed_conflict"])
    assert ids(query.relations_in_force(ds, f, day), "relation_id") == [
        "rel-rus-ukr-2022",
        "rel-usa-rus-2022",
    ]


# --------------------------------------------------------------------------- caching


def test_select_is_cached_for_equal_filters(ds):
    one = query.select(ds, Filters(actors=["USA"], start=D(2020, 1, 1)))
    two = query.select(ds, Filters(actors=["USA"], start=D(2020, 1, 1)))
    assert one is two
    assert query.select(ds, Criteria(actors=("USA",), start=D(2020, 1, 1))) is one


def test_select_is_not_shared_between_different_filters(ds):
    one = query.select(ds, Filters(actors=["USA"]))
    assert query.select(ds, Filters(actors=["RUS"])) is not one
    assert ids(query.select(ds, Filters(actors=["RUS"])).events) != ids(one.events)


def test_filters_that_do_not_change_the_selection_share_it(ds):
    # lanes, centrality and the detail event are presentation, not selection
    one = query.select(ds, Filters())
    assert query.select(ds, Filters(lanes="pair", centrality="eigenvector", event="e1")) is one


def test_select_cache_is_bounded(ds):
    first = query.select(ds, Filters(search="q0"))
    for i in range(1, 40):
        query.select(ds, Filters(search=f"q{i}"))
    assert len(query._select.cache[ds]) <= 16
    again = query.select(ds, Filters(search="q0"))
    assert again is not first
    assert ids(again.events) == ids(first.events)


def test_select_cache_is_per_dataset(tmp_path: Path):
    one, two = small(), small()
    assert one is not two
    a = query.select(one, Filters(actors=["USA"]))
    b = query.select(two, Filters(actors=["USA"]))
    assert a is not b
    assert ids(a.events) == ids(b.events) == ["e6"]
    other = build(
        tmp_path,
        actors=[actor("USA"), actor("X")],
        events=[event("only", "2024-01-01", "visit", "USA", "X")],
    )
    assert ids(query.select(other, Filters(actors=["USA"])).events) == ["only"]


def test_select_cache_frees_a_dropped_dataset():
    ds = small()
    query.select(ds, Filters(actors=["USA"]))
    assert ds in query._select.cache
    before = len(query._select.cache)
    del ds
    gc.collect()
    assert len(query._select.cache) == before - 1


# --------------------------------------------------------------------------- kpis


def magnitudes(tmp_path: Path, rows: list[dict]):
    return build(tmp_path, actors=[actor("PRK"), actor("RUS"), actor("USA")], events=rows)


def containers(
    eid: str,
    date: str,
    amount: str,
    basis: str = "cumulative",
    etype: str = "arms_transfer",
    a1: str = "PRK",
    a2: str = "RUS",
) -> dict:
    """An event row with a magnitude in containers (by default a PRK-RUS cumulative estimate)."""
    return event(
        eid, date, etype, a1, a2, magnitude=amount, unit="containers", magnitude_basis=basis
    )


# Two cumulative estimates of one series, PRK to RUS: the later one is the larger.
ESTIMATE_5000 = containers("c1", "2023-10-01", "5000")
ESTIMATE_7000 = containers("c2", "2024-02-01", "7000")


def test_kpis_take_the_latest_cumulative_estimate(tmp_path: Path):
    ds = magnitudes(tmp_path, [ESTIMATE_5000, ESTIMATE_7000])
    k = query.kpis(ds.events)
    assert k["events"] == 2
    assert k["totals"].to_dict() == {"containers": 7000.0}


def test_kpis_add_amounts_to_the_latest_cumulative_estimate(tmp_path: Path):
    ds = magnitudes(
        tmp_path,
        [
            ESTIMATE_7000,
            ESTIMATE_5000,
            containers("a1", "2024-03-01", "100", "amount"),
            event("u1", "2024-03-02", "aid", "USA", "RUS", magnitude="2.5", unit="USD"),
        ],
    )
    totals = query.kpis(ds.events)["totals"]
    assert totals.to_dict() == {"containers": 7100.0, "USD": 2.5}
    assert list(totals.index) == ["containers", "USD"]  # largest first


def test_kpis_add_the_latest_estimates_of_different_series(tmp_path: Path):
    ds = magnitudes(
        tmp_path,
        [
            ESTIMATE_5000,
            ESTIMATE_7000,
            containers("x1", "2024-01-01", "300", a1="USA"),
            containers("x2", "2024-01-01", "40", etype="aid", a2=""),
        ],
    )
    assert query.kpis(ds.events)["totals"].to_dict() == {"containers": 7340.0}


def test_kpis_of_the_small_dataset(ds):
    k = query.kpis(ds.events)
    assert k["events"] == 6
    assert k["by_type"].to_dict() == {
        "arms_transfer": 2,
        "summit": 1,
        "treaty": 1,
        "aid": 1,
        "veto": 1,
    }
    assert k["totals"].to_dict() == {"USD": 50_000_000_000.0, "containers": 7000.0}


def test_kpis_of_no_events(ds):
    k = query.kpis(ds.events.iloc[0:0])
    assert k["events"] == 0
    assert k["by_type"].empty
    assert k["totals"].empty


# --------------------------------------------------------------------------- temperature


def temperature_rows(frame: pd.DataFrame) -> list[tuple[str, str, float, int]]:
    return [
        (r.pair, f"{r.quarter:%Y-%m-%d}", round(r.score, 6), r.events) for r in frame.itertuples()
    ]


def test_temperature_sums_scores_per_quarter_per_pair(ds):
    assert temperature_rows(query.temperature(ds.events, fill=False)) == [
        ("CHN–PRK", "2024-01-01", -5.0, 1),  # e4 veto: China acts with Russia (a participant)
        ("CHN–RUS", "2024-01-01", 5.0, 1),  # ... together: +|score|
        ("PRK–RUS", "2023-07-01", 8.3, 1),  # e5 arms transfer
        ("PRK–RUS", "2024-01-01", 3.3, 2),  # e3 arms transfer 8.3 + e4 veto -5.0
        ("PRK–RUS", "2024-04-01", 10.8, 2),  # e1 summit 2.8 + e2 treaty 8.0
        ("UKR–USA", "2024-04-01", 7.4, 1),  # e6 aid
    ]


def test_temperature_fills_quiet_quarters_with_zero(ds):
    assert temperature_rows(query.temperature(ds.events, ["PRK–RUS", "UKR–USA"])) == [
        ("PRK–RUS", "2023-07-01", 8.3, 1),
        ("PRK–RUS", "2023-10-01", 0.0, 0),
        ("PRK–RUS", "2024-01-01", 3.3, 2),
        ("PRK–RUS", "2024-04-01", 10.8, 2),
        ("UKR–USA", "2023-07-01", 0.0, 0),
        ("UKR–USA", "2023-10-01", 0.0, 0),
        ("UKR–USA", "2024-01-01", 0.0, 0),
        ("UKR–USA", "2024-04-01", 7.4, 1),
    ]


def test_temperature_of_chosen_pairs_only(ds):
    t = query.temperature(ds.events, ["UKR–USA"])
    assert list(t["pair"]) == ["UKR–USA"]
    assert list(t["score"]) == [7.4]


def test_temperature_over_a_window_starts_and_ends_with_it(ds):
    """The x axis once began at the first quarter with data, not at the window's start."""
    t = query.temperature(
        ds.events, ["UKR–USA"], start=pd.Timestamp("2023-01-01"), stop=pd.Timestamp("2025-01-01")
    )
    assert [f"{q:%Y-%m}" for q in t["quarter"]] == [
        "2023-01", "2023-04", "2023-07", "2023-10", "2024-01", "2024-04", "2024-07", "2024-10",
    ]  # fmt: skip
    assert list(t["score"]) == [0, 0, 0, 0, 0, 7.4, 0, 0]


def test_temperature_top_keeps_the_busiest_pairs(ds):
    assert list(query.temperature(ds.events, top=1)["pair"].unique()) == ["PRK–RUS"]


def test_temperature_of_no_pairs_is_empty(ds):
    assert query.temperature(ds.events, ["CHN–KOR"]).empty
    t = query.temperature(ds.events.iloc[0:0])
    assert t.empty
    assert list(t.columns) == ["pair", "quarter", "score", "events"]


def test_pair_event_counts_ignore_order_and_one_sided_events(tmp_path: Path):
    ds = build(
        tmp_path,
        actors=[actor("A"), actor("B")],
        events=[
            event("1", "2024-01-01", "visit", "A", "B"),
            event("2", "2024-01-02", "visit", "B", "A"),
            event("3", "2024-01-03", "weapons_test", "A"),
        ],
    )
    assert query.pair_event_counts(ds.events).to_dict() == {"A–B": 2}


# --------------------------------------------------------------------------- focused pairs


def test_focused_pairs_among_two_focused_actors(ds):
    assert query.focused_pairs(["RUS", "PRK"], ds.events) == ["PRK–RUS"]


def test_focused_pairs_of_one_actor_are_the_pairs_touching_it(ds):
    assert query.focused_pairs(["UKR"], ds.events) == ["UKR–USA"]
    assert query.focused_pairs(["KOR"], ds.events) == []


def test_focused_pairs_without_focus_are_the_busiest(ds):
    # China takes part in e4 (a participant): its pairs count, after the busier PRK–RUS
    assert query.focused_pairs([], ds.events) == ["PRK–RUS", "CHN–PRK", "CHN–RUS", "UKR–USA"]
    assert query.focused_pairs([], ds.events, top=1) == ["PRK–RUS"]


# --------------------------------------------------------------------------- changes


def changes_in(ds, start: dt.date, end: dt.date) -> list[tuple[str, str, str, str]]:
    sel = query.select(ds, Filters(start=start, end=end))
    out = query.changes(sel.relations, sel.window)
    return [
        (r.relation_id, r.change, f"{r.when:%Y-%m-%d}", str(r.when_precision))
        for r in out.itertuples()
    ]


def test_changes_lists_relations_that_began_in_the_window(ds):
    assert changes_in(ds, D(2022, 1, 1), D(2024, 12, 31)) == [
        ("rel-usa-rus-2022", "began", "2022-01-01", "year"),
        ("rel-rus-ukr-2022", "began", "2022-02-24", "day"),
        ("rel-rus-prk-2024", "began", "2024-06-19", "day"),
    ]


def test_changes_lists_relations_that_ended_in_the_window(ds):
    assert changes_in(ds, D(1990, 1, 1), D(1999, 12, 31)) == [
        ("rel-rus-prk-1961", "ended", "1995-01-01", "year"),
    ]


def test_changes_lists_both_oldest_first(ds):
    assert changes_in(ds, D(1953, 1, 1), D(1999, 12, 31)) == [
        ("rel-usa-kor-1953", "began", "1953-10-01", "day"),
        ("rel-rus-prk-1961", "began", "1961-07-06", "day"),
        ("rel-rus-prk-1961", "ended", "1995-01-01", "year"),
    ]


def test_no_changes_in_a_quiet_window(ds):
    assert changes_in(ds, D(2000, 1, 1), D(2020, 12, 31)) == []


# --------------------------------------------------------------------------- edge datasets


def test_a_dataset_without_events_or_relations_selects_nothing(tmp_path: Path):
    """The loader accepts it (``alliances info`` prints "date span none"); select must too."""
    ds = build(tmp_path, actors=[actor("A"), actor("B")])
    sel = query.select(ds, Filters())
    assert sel.events.empty
    assert sel.relations.empty
    assert query.relations_in_force(ds, Filters()).empty


def test_kpis_leave_parts_out(tmp_path: Path):
    """``part`` rows share a quantity recorded in another row: counting them would add it twice."""
    ds = magnitudes(
        tmp_path,
        [
            event("loan", "2024-06-13", "aid", "USA", "RUS", magnitude="1000", unit="USD"),
            event("tranche", "2024-12-01", "aid", "USA", "RUS", magnitude="400", unit="USD",
                  magnitude_basis="part"),
        ],
    )  # fmt: skip
    k = query.kpis(ds.events)
    assert k["events"] == 2
    assert k["totals"].to_dict() == {"USD": 1000.0}


# --------------------------------------------------------------------------- parties and targets


@pytest.fixture
def vetoes(tmp_path: Path):
    """A co-veto shielding C: A vetoes with B taking part, the sponsor S as target."""
    return build(
        tmp_path / "vetoes",
        actors=[actor("A"), actor("B"), actor("C"), actor("S")],
        events=[
            event("v", "2024-03-28", "veto", "A", "C", participants="B", targets="S", score="5"),
            event("t", "2024-05-01", "threat", "C", "S"),
            event("r1", "2024-01-10", "arms_transfer", "C", "A", magnitude="1000",
                  unit="containers", magnitude_basis="cumulative"),
            event("r2", "2024-08-10", "arms_transfer", "C", "A", magnitude="20000",
                  unit="containers", magnitude_basis="cumulative"),
        ],
    )  # fmt: skip


def test_every_side_and_target_of_an_event_is_a_pair_it_bears_on(vetoes):
    quarters = {
        (r.pair, f"{r.quarter:%Y-%m}"): r.score
        for r in query.temperature(
            vetoes.events, ["A–C", "B–C", "A–B", "A–S", "B–S", "C–S"]
        ).itertuples()
    }
    # the veto shields C (+5): A and B, who vetoed together (+5), each with C; and the acting
    # side against the draft's sponsor S (-5); C, the shielded actor, is not set against S
    assert quarters[("A–C", "2024-01")] == 5
    assert quarters[("B–C", "2024-01")] == 5
    assert quarters[("A–B", "2024-01")] == 5
    assert quarters[("A–S", "2024-01")] == -5
    assert quarters[("B–S", "2024-01")] == -5
    assert quarters[("C–S", "2024-01")] == 0
    assert quarters[("C–S", "2024-04")] == pytest.approx(-4.4)  # C's threat to S (type score)


def test_actors_acting_together_against_a_counterpart_are_allies_in_it(tmp_path: Path):
    """Co-belligerents: -10 each with the enemy, +10 between themselves."""
    ds = build(
        tmp_path,
        actors=[actor("A"), actor("B"), actor("E")],
        events=[event("x", "2024-02-01", "military_action", "A", "E", participants="B")],
    )
    t = query.temperature(ds.events, ["A–E", "B–E", "A–B"], fill=False)
    assert dict(zip(t["pair"], t["score"], strict=True)) == {"A–B": 10, "A–E": -10, "B–E": -10}


def test_a_running_total_counts_once_in_the_quarter_of_its_latest_report(vetoes):
    """1,000 then 20,000 containers reported: one transfer series, not two transfers."""
    t = query.temperature(vetoes.events, ["A–C"])
    by_quarter = {f"{r.quarter:%Y-%m}": (r.score, r.events) for r in t.itertuples()}
    assert by_quarter["2024-01"] == (5, 1)  # the veto; the first report is superseded
    assert by_quarter["2024-07"] == pytest.approx((8.3, 1))  # the latest report
    assert query.kpis(vetoes.events)["totals"].to_dict() == {"containers": 20000}


def test_pair_counts_count_participants_and_targets(vetoes):
    counts = query.pair_event_counts(vetoes.events).to_dict()
    assert counts["A–C"] == 3  # the veto and both reports
    assert counts["C–S"] == 1  # the threat (the veto was not directed at C's side)
    assert counts["A–B"] == counts["B–C"] == counts["A–S"] == counts["B–S"] == 1


def test_between_keeps_events_with_two_chosen_actors_from_keeps_the_direction(vetoes):
    def ids_of(**filters) -> list[str]:
        return sorted(query.select(vetoes, Filters(**filters)).events["event_id"])

    assert ids_of(actors=["C", "S"]) == ["r1", "r2", "t", "v"]  # any event of either
    assert ids_of(actors=["C", "S"], link="between") == ["t", "v"]  # both in the veto
    assert ids_of(actors=["B", "C"], link="between") == ["v"]  # B took part in the veto
    assert ids_of(actors=["C", "S"], link="from") == ["t"]  # C threatened S
    assert ids_of(actors=["S", "C"], link="from") == []
    assert ids_of(actors=["A", "S"], link="from") == ["v"]  # against its target
    sel = query.select(vetoes, Filters(actors=["C"], link="between"))
    assert sorted(sel.events["event_id"]) == ["r1", "r2", "t", "v"]
    assert sel.notices == (
        "'between' needs two or more actors: showing any event of the chosen one",
    )


# --------------------------------------------------------------------------- whole-dataset tables


def _random_filters(dataset, rng) -> Filters:
    actors = list(dataset.actor_ids)
    types = list(dataset.event_types["id"])
    start = D(rng.randint(1950, 2024), rng.randint(1, 12), 1)
    return Filters(
        actors=rng.sample(actors, rng.choice([0, 1, 2])),
        include_partners=rng.random() < 0.3,
        event_types=rng.sample(types, rng.choice([0, 1, 3])),
        start=start,
        end=start + dt.timedelta(days=rng.randint(30, 20_000)),
    )


@pytest.mark.parametrize("which", ["bundled", "synthetic"])
def test_a_selection_takes_its_links_and_latest_reports_from_the_whole_dataset(which, tmp_path):
    """Pair links and the latest report of each running total are computed once per dataset
    and cut to a selection's rows: they must be what computing them on the selected events
    alone gives, for any filters (the views' KPIs and temperature read them)."""
    import random

    from benchmarks.synthetic import generate

    import alliances
    from alliances.aggregates import latest_of_series

    folder = None if which == "bundled" else generate(4_000, tmp_path / "data", seed=3)
    dataset = alliances.load_dataset(folder, cache=False)
    assert (dataset.events["magnitude_basis"] == "cumulative").sum() > 1  # something to check
    assert dataset.events["participants"].notna().any()
    rng = random.Random(5)
    checked = links = 0
    for _ in range(40):
        sel = query.select(dataset, _random_filters(dataset, rng))
        fresh = query.pair_links(sel.facts)
        np.testing.assert_array_equal(sel.links.rows, fresh.rows)
        np.testing.assert_array_equal(sel.links.codes, fresh.codes)
        np.testing.assert_array_equal(sel.links.kinds, fresh.kinds)
        np.testing.assert_array_equal(sel.latest, latest_of_series(sel.facts))
        checked += int((~sel.latest).sum())
        links += len(fresh.rows)
    if which == "bundled":  # the synthetic generator repeats no running-total series
        assert checked > 0  # superseded reports were compared
    assert links > 0
