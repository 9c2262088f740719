"""The filter state and its URL codec: defaults, reset, round trips, and garbage links."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alliances.state import FILTERS, MAX_LIST_ITEMS, QUERY_KEYS, Filters, from_query, to_query

KNOWN = {
    "actors": ["RUS", "PRK", "KOR", "CHN", "USA", "UKR", "UNSC"],
    "event_types": ["summit", "treaty", "veto", "aid", "arms_transfer"],
    "relation_types": ["defense_pact", "rivalry", "armed_conflict"],
    "regions": ["Europe", "East Asia", "North America", "Global"],
}
"""Known ids, as the dashboard passes them to ``from_query``."""


def parse(query: dict[str, str]) -> tuple[dict[str, object], list[str]]:
    return from_query(query, **KNOWN)


def differences(one: Filters, two: Filters) -> dict[str, tuple[object, object]]:
    """``{filter: (value in one, value in two)}`` for every filter whose values differ."""
    return {
        name: (getattr(one, name), getattr(two, name))
        for name in QUERY_KEYS.values()
        if getattr(one, name) != getattr(two, name)
    }


def assert_round_trip(original: Filters, **known: list[str]) -> None:
    """``original`` -> link -> filters gives back every value, with no notice."""
    updates, notices = from_query(to_query(original), **known)
    assert notices == []
    assert differences(Filters(**updates), original) == {}


def a_changed_filters() -> Filters:
    """Every filter set to something other than its default."""
    return Filters(
        start=dt.date(2022, 2, 24),
        end=dt.date(2024, 6, 19),
        actors=["RUS", "PRK"],
        include_partners=True,
        event_types=["summit", "treaty"],
        relation_types=["defense_pact"],
        regions=["East Asia", "Europe"],
        search="munitions, shells",
        as_of=dt.date(2023, 12, 31),
        centrality="betweenness",
        lanes="pair",
        event="e1",
    )


# --------------------------------------------------------------------------- defaults


def test_defaults_show_everything():
    f = Filters()
    assert (f.start, f.end, f.as_of) == (None, None, None)
    assert (f.actors, f.event_types, f.relation_types, f.regions) == ([], [], [], [])
    assert f.include_partners is False
    assert (f.search, f.event) == ("", "")
    assert (f.centrality, f.lanes) == ("degree", "type")


def test_reset_restores_every_default():
    f = a_changed_filters()
    f.reset()
    assert differences(f, Filters()) == {}


def test_reset_is_one_batched_change():
    f = a_changed_filters()
    calls = []
    f.param.watch(lambda *events: calls.append({e.name for e in events}), ["actors", "start"])
    f.reset()
    assert calls == [{"actors", "start"}]


def test_every_filter_has_a_query_key():
    assert sorted(QUERY_KEYS.values()) == sorted(FILTERS)
    assert set(FILTERS) == set(Filters.param) - {"name"}


# --------------------------------------------------------------------------- to_query


def test_to_query_of_defaults_is_empty():
    assert to_query(Filters()) == {}


def test_to_query_writes_only_non_defaults():
    f = Filters(actors=["USA"], lanes="pair", start=dt.date(2024, 1, 2))
    assert to_query(f) == {"from": "2024-01-02", "actors": "USA", "lanes": "pair"}


def test_to_query_encodes_every_value_as_text():
    assert to_query(a_changed_filters()) == {
        "from": "2022-02-24",
        "to": "2024-06-19",
        "actors": "RUS,PRK",
        "partners": "1",
        "types": "summit,treaty",
        "relations": "defense_pact",
        "regions": "East Asia,Europe",
        "q": "munitions, shells",
        "asof": "2023-12-31",
        "size": "betweenness",
        "lanes": "pair",
        "event": "e1",
    }


def test_to_query_keys_do_not_depend_on_the_order_of_changes():
    one, two = Filters(), Filters()
    one.actors = ["USA"]
    one.lanes = "pair"
    one.start = dt.date(2024, 1, 1)
    two.start = dt.date(2024, 1, 1)
    two.lanes = "pair"
    two.actors = ["USA"]
    assert list(to_query(one)) == list(to_query(two)) == ["from", "actors", "lanes"]


def test_to_query_drops_a_value_set_back_to_its_default():
    f = Filters(actors=["USA"])
    f.actors = []
    assert to_query(f) == {}


# --------------------------------------------------------------------------- round trip


def test_round_trip_gives_the_same_values():
    assert_round_trip(a_changed_filters(), **KNOWN)


def test_round_trip_of_one_change_changes_only_that_filter():
    updates, notices = parse(to_query(Filters(include_partners=True)))
    assert (updates, notices) == ({"include_partners": True}, [])


ids = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ-_0123456789", min_size=1, max_size=12)
days = st.dates(min_value=dt.date(1800, 1, 1), max_value=dt.date(2100, 12, 31))


@settings(max_examples=150, deadline=None)
@given(
    start=st.none() | days,
    end=st.none() | days,
    actors=st.lists(ids, max_size=6),
    event_types=st.lists(st.sampled_from(KNOWN["event_types"]), max_size=4, unique=True),
    regions=st.lists(st.sampled_from(KNOWN["regions"]), max_size=3, unique=True),
    partners=st.booleans(),
    search=st.text(max_size=200).map(str.strip),
    centrality=st.sampled_from(["degree", "betweenness", "eigenvector"]),
    lanes=st.sampled_from(["type", "pair"]),
    event=st.just("") | ids,
)
def test_round_trip_property(
    start, end, actors, event_types, regions, partners, search, centrality, lanes, event
):
    if start and end and start > end:
        start, end = end, start
    original = Filters(
        start=start,
        end=end,
        actors=actors,
        event_types=event_types,
        regions=regions,
        include_partners=partners,
        search=search,
        centrality=centrality,
        lanes=lanes,
        event=event,
    )
    assert_round_trip(original)


# --------------------------------------------------------------------------- garbage links


def test_unknown_keys_are_ignored_with_a_notice():
    updates, notices = parse({"utm_source": "mail", "actors": "USA"})
    assert updates == {"actors": ["USA"]}
    assert notices == ["ignored unknown link parameter 'utm_source'"]


@pytest.mark.parametrize("key", ["from", "to", "asof"])
@pytest.mark.parametrize("value", ["2024-13-01", "2023-02-30", "yesterday", "24-06-19", "2024/06"])
def test_bad_dates_are_ignored_with_a_notice(key, value):
    updates, notices = parse({key: value, "lanes": "pair"})
    assert updates == {"lanes": "pair"}
    assert len(notices) == 1
    assert repr(key) in notices[0]
    assert "not a date" in notices[0]


def test_from_after_to_is_kept_as_the_page_had_it():
    """A page with 'from' after 'to' writes such a link; the link must open the same view
    (the selection reads the dates in order and says so, see test_query)."""
    updates, notices = parse({"from": "2024-06-01", "to": "2024-01-01", "actors": "RUS"})
    assert updates == {
        "start": dt.date(2024, 6, 1), "end": dt.date(2024, 1, 1), "actors": ["RUS"]
    }  # fmt: skip
    assert notices == []


def test_unknown_actor_ids_are_dropped_and_named():
    updates, notices = parse({"actors": "USA,ATLANTIS,RUS"})
    assert updates == {"actors": ["USA", "RUS"]}
    assert len(notices) == 1
    assert "ATLANTIS" in notices[0]


@pytest.mark.parametrize(
    ("key", "good"),
    [("types", "summit"), ("relations", "rivalry"), ("actors", "USA")],
)
def test_script_in_ids_is_dropped(key, good):
    updates, notices = parse({key: f"{good},<script>alert(1)</script>"})
    assert updates == {QUERY_KEYS[key]: [good]}
    assert len(notices) == 1


def test_script_in_regions_is_dropped():
    updates, notices = parse({"regions": "Europe,<script>alert(1)</script>"})
    assert updates == {"regions": ["Europe"]}
    assert len(notices) == 1


def test_script_as_event_id_is_dropped():
    updates, notices = parse({"event": "<script>alert(1)</script>"})
    assert updates == {}
    assert notices == ["ignored 'event': not an event id"]


@pytest.mark.parametrize("key", list(QUERY_KEYS))
def test_a_10000_character_value_is_ignored_with_a_notice(key):
    updates, notices = parse({key: "x" * 10_000})
    assert updates == {}
    assert notices == [f"ignored {key!r}: value too long"]


@pytest.mark.parametrize("key", ["actors", "types", "relations", "regions"])
def test_a_list_of_1000_items_is_ignored_with_a_notice(key):
    raw = ",".join(["A"] * 1000)  # 1,999 characters: under the length limit, over the list limit
    known = {name: ["A"] for name in KNOWN}
    updates, notices = from_query({key: raw}, **known)
    assert QUERY_KEYS[key] not in updates
    assert len(notices) == 1
    assert str(MAX_LIST_ITEMS) in notices[0]


def test_a_list_of_1000_distinct_unknown_ids_is_ignored_with_a_notice():
    raw = ",".join(f"{i}" for i in range(1000))[:2000]
    updates, notices = parse({"actors": raw})
    assert updates == {}
    assert notices == [f"ignored actor ids: more than {MAX_LIST_ITEMS} values"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("size", "huge"),
        ("size", "Degree"),
        ("size", ""),
        ("lanes", "actor"),
        ("lanes", "<b>"),
        ("partners", "maybe"),
        ("partners", "2"),
        ("partners", ""),
    ],
)
def test_bad_choices_are_ignored_with_a_notice(key, value):
    updates, notices = parse({key: value})
    assert updates == {}
    assert len(notices) == 1
    assert repr(key) in notices[0]


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("true", True), ("No", False)])
def test_partners_accepts_the_usual_booleans(value, expected):
    assert parse({"partners": value}) == ({"include_partners": expected}, [])


def test_search_is_kept_as_text_and_shortened():
    updates, notices = parse({"q": "  <b>munitions</b> (shells*)  "})
    assert (updates, notices) == ({"search": "<b>munitions</b> (shells*)"}, [])
    updates, _ = parse({"q": "y" * 500})
    assert updates == {"search": "y" * 200}


def test_many_bad_values_each_give_a_notice_and_the_rest_applies():
    updates, notices = parse(
        {
            "from": "never",
            "to": "2024-06-19",
            "actors": "USA,NOPE",
            "size": "huge",
            "lanes": "pair",
            "zzz": "1",
        }
    )
    assert updates == {"end": dt.date(2024, 6, 19), "actors": ["USA"], "lanes": "pair"}
    assert len(notices) == 4


def test_notices_do_not_echo_long_values():
    _, notices = parse({"x" * 5000: "1", "from": "z" * 1999})
    assert all(len(n) < 200 for n in notices)


@settings(max_examples=400, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(list(QUERY_KEYS)) | st.text(max_size=12),
        st.text(max_size=60)
        | st.sampled_from(["2024-01-01", "1", "pair", "eigenvector", "USA,RUS", ""]),
        max_size=8,
    )
)
def test_garbage_never_raises_and_updates_are_valid(query):
    for known in (KNOWN, {}):
        updates, notices = from_query(query, **known)
        assert set(updates) <= set(QUERY_KEYS.values())
        assert all(isinstance(n, str) for n in notices)
        Filters(**updates)  # raises if any value does not fit its parameter


# --------------------------------------------------------------------------- link and pairs


def test_link_and_pairs_round_trip_through_a_link():
    original = Filters(actors=["RUS", "PRK"], link="between", pairs=["PRK–RUS", "CHN–PRK"])
    assert to_query(original)["link"] == "between"
    assert to_query(original)["pairs"] == "PRK–RUS,CHN–PRK"
    assert_round_trip(original, **KNOWN)


@pytest.mark.parametrize(
    ("raw", "pairs", "noticed"),
    [
        ("RUS–PRK", ["PRK–RUS"], False),  # written in order
        ("PRK-RUS", ["PRK–RUS"], False),  # a keyboard's hyphen
        ("PRK–RUS,RUS–PRK", ["PRK–RUS"], False),  # once
        ("PRK–ATLANTIS,USA–USA", [], True),
        ("<b>–PRK", [], True),
    ],
)
def test_pairs_in_a_link_are_checked(raw, pairs, noticed):
    updates, notices = parse({"pairs": raw})
    assert updates == {"pairs": pairs}
    assert bool(notices) is noticed


def test_an_unknown_link_mode_is_ignored_with_a_notice():
    updates, notices = parse({"link": "across", "actors": "RUS"})
    assert updates == {"actors": ["RUS"]}
    assert notices == ["ignored 'link': use one of any, between, from"]
