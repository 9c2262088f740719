"""Figure builders: what each figure draws, where, and that dataset text arrives escaped."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from alliances import metrics, query
from alliances.figures import network_figure, ranking_figure, temperature_figure, timeline_figure
from alliances.figures import timeline as timeline_module
from alliances.figures.common import epoch_ms, label_text
from alliances.figures.network import CURVE_POINTS, relation_hovers
from alliances.figures.timeline import MAX_POINTS, event_hovers
from alliances.state import Filters
from unit_helpers import (
    HOSTILE,
    SVG_ID,
    actor,
    build,
    event,
    hostile_dataset,
    relation,
)

pytestmark = pytest.mark.usefixtures("fresh_caches")


def ms(day: str) -> float:
    return pd.Timestamp(day).value / 1e6


def to_day(value: float) -> pd.Timestamp:
    return pd.Timestamp(int(value * 1e6))


def annotations(fig) -> list[str]:
    return [a.text for a in fig.layout.annotations]


def _temperature(*args, **kw) -> go.Figure:
    return go.Figure(temperature_figure(*args, **kw))


def _ranking(*args, **kw) -> go.Figure:
    return go.Figure(ranking_figure(*args, **kw))


# --------------------------------------------------------------------------- network


def draw_network(dataset, relations=None, **kw):
    """The network figure, validated by plotly (the builders return plain specs)."""
    relations = dataset.relations if relations is None else relations
    return go.Figure(network_figure(relations, dataset, **kw))


def edge_traces(fig):
    return [t for t in fig.data if t.mode == "lines"]


def node_trace(fig):
    (nodes,) = [t for t in fig.data if t.name == "actors"]
    return nodes


def curves(trace) -> list[np.ndarray]:
    """The separate curves of a lines trace (segments between gaps: ``None`` or NaN)."""
    out, current = [], []
    for x, y in zip(trace.x, trace.y, strict=True):
        if x is None or np.isnan(x):
            out.append(np.array(current, float))
            current = []
        else:
            current.append((x, y))
    assert current == []
    return out


def test_network_legend_has_one_entry_per_relation_type_present(ds):
    in_force = query.relations_in_force(ds, Filters(), pd.Timestamp("2024-06-19"))
    fig = draw_network(ds, in_force, pair_counts=query.pair_event_counts(ds.events))
    legend = [t.name for t in fig.data if t.showlegend is not False]
    assert legend == [
        "Defence pact",
        "Comprehensive strategic partnership",
        "Strategic rivalry",
        "Armed conflict",
    ]


def test_network_legend_lists_a_type_once_whatever_the_edge_widths(ds):
    # two defence pacts: RUS-PRK (5 events, wide) and USA-KOR (no event, thin)
    fig = draw_network(ds, pair_counts=query.pair_event_counts(ds.events))
    pacts = [t for t in edge_traces(fig) if t.legendgroup == "defense_pact"]
    assert sorted(t.line.width for t in pacts) == [1.2, 4.0]
    assert [t.showlegend for t in pacts].count(True) == 1
    legend = [t.name for t in fig.data if t.showlegend is not False]
    assert len(legend) == len(set(legend)) == 4


@pytest.fixture
def pair_world(tmp_path: Path):
    return build(
        tmp_path,
        actors=[actor("A"), actor("B"), actor("C")],
        relations=[
            relation("p1", "A", "B", "defense_pact", "2000-01-01"),
            relation("p2", "B", "A", "strategic_partnership", "2001-01-01"),
            relation("p3", "A", "C", "entente", "2002-01-01"),
            relation("p4", "A", "C", "entente", "2003-01-01"),
        ],
    )


def test_two_relations_between_one_pair_are_two_distinct_curves(pair_world):
    fig = draw_network(pair_world, pair_world.relations[pair_world.relations["actor_b"] != "C"])
    segments = [c for t in edge_traces(fig) for c in curves(t)]
    assert len(segments) == 2
    pos = metrics.layout(pair_world)
    a, b = pos.loc["A"].to_numpy(float), pos.loc["B"].to_numpy(float)
    for seg in segments:
        assert len(seg) == CURVE_POINTS
        ends = sorted([tuple(seg[0]), tuple(seg[-1])])
        assert np.allclose(ends, sorted([tuple(a), tuple(b)]))
    mid_a, mid_b = segments[0][CURVE_POINTS // 2], segments[1][CURVE_POINTS // 2]
    assert np.linalg.norm(mid_a - mid_b) > 0.05


def test_two_relations_of_the_same_type_are_two_distinct_curves(pair_world):
    fig = draw_network(pair_world, pair_world.relations[pair_world.relations["actor_b"] == "C"])
    (entente,) = edge_traces(fig)
    first, second = curves(entente)
    assert not np.allclose(first, second)
    # and the relation markers (hover targets) sit apart too
    (mids,) = [t for t in fig.data if t.name == "relations"]
    assert len(mids.x) == 2
    assert (mids.x[0], mids.y[0]) != (mids.x[1], mids.y[1])


@pytest.mark.parametrize(
    ("count", "width"), [(None, 1.2), (0, 1.2), (1, 2.5), (2, 2.5), (3, 4.0), (12, 6.0)]
)
def test_edge_width_grows_with_pair_event_counts(pair_world, count, width):
    rel = pair_world.relations[pair_world.relations["relation_id"] == "p1"]
    counts = None if count is None else pd.Series({"A–B": count})
    (edge,) = edge_traces(draw_network(pair_world, rel, pair_counts=counts))
    assert edge.line.width == width


def test_node_customdata_are_actor_ids_at_their_layout_positions(ds):
    fig = draw_network(ds)
    nodes = node_trace(fig)
    assert sorted(nodes.customdata) == ["KOR", "PRK", "RUS", "UKR", "USA"]
    pos = metrics.layout(ds)
    for actor_id, x, y in zip(nodes.customdata, nodes.x, nodes.y, strict=True):
        assert (x, y) == (pos.loc[actor_id, "x"], pos.loc[actor_id, "y"])
    assert list(nodes.text) == list(nodes.customdata)


def test_given_positions_place_the_nodes_and_an_unplaced_actor_is_left_out(ds):
    pos = metrics.layout(ds).copy()
    pos.loc["RUS", ["x", "y"]] = (5.0, -5.0)
    pos.loc["UKR", ["x", "y"]] = np.nan
    fig = draw_network(ds, positions=pos)
    nodes = node_trace(fig)
    at = dict(zip(nodes.customdata, zip(nodes.x, nodes.y, strict=True), strict=True))
    assert at["RUS"] == (5.0, -5.0)
    assert "UKR" not in at
    # no edge ends at UKR: every relation drawn is between two placed actors
    (mids,) = [t for t in fig.data if t.name == "relations"]
    assert mids.text
    assert not any("Ukraine" in text for text in mids.text)


def test_focused_nodes_are_highlighted(ds):
    nodes = node_trace(draw_network(ds, focus=["USA", "CHN"]))
    colors = zip(nodes.marker.color, nodes.marker.line.width, strict=True)
    style = dict(zip(nodes.customdata, colors, strict=True))
    # CHN has no relation but is focused, so it is drawn
    assert style["USA"] == style["CHN"] == ("#fde68a", 3)
    assert style["RUS"] == ("#e5eef8", 1)


def test_node_size_follows_sizes(ds):
    nodes = node_trace(draw_network(ds, sizes={"RUS": 0.75, "USA": 0.5, "KOR": 0.25}))
    size = dict(zip(nodes.customdata, nodes.marker.size, strict=True))
    assert size["RUS"] > size["USA"] > size["KOR"] >= size["UKR"]


def test_edge_hover_names_the_relation(ds):
    rel = ds.relations[ds.relations["relation_id"] == "rel-rus-prk-2024"]
    (mids,) = [t for t in draw_network(ds, rel).data if t.name == "relations"]
    (text,) = mids.text
    assert "<b>Treaty on Comprehensive Strategic Partnership</b>" in text
    assert "Russia – North Korea" in text
    assert "2024-06-19 (in force)" in text
    assert "Source: AFP" in text


def test_cached_relation_hovers_give_the_same_edges(ds):
    """The dashboard passes each relation's hover text from a per-dataset cache; the figure
    is the one it draws without it, the pair's event count added to each text."""
    rel = ds.relations.iloc[::-1]  # rows in any order, as a selection gives them
    counts = query.pair_event_counts(ds.events)
    plain = draw_network(ds, rel, pair_counts=counts)
    cached = draw_network(
        ds, rel, pair_counts=counts, hover=relation_hovers(ds)[rel.index.to_numpy()]
    )
    assert plain.to_plotly_json() == cached.to_plotly_json()
    (mids,) = [t for t in cached.data if t.name == "relations"]
    assert any("<br>Events in window: " in text for text in mids.text)


def test_network_of_no_relations_explains_itself(ds):
    fig = draw_network(ds, ds.relations.iloc[0:0])
    assert len(fig.data) == 0
    assert annotations(fig) == ["No relations in force for these filters on this date"]


def test_network_of_no_relations_still_shows_focused_actors(ds):
    fig = draw_network(ds, ds.relations.iloc[0:0], focus=["CHN"])
    assert list(node_trace(fig).customdata) == ["CHN"]


# --------------------------------------------------------------------------- timeline


def draw_timeline(dataset, events=None, **kw):
    """The timeline figure, validated by plotly (the builders return plain specs)."""
    events = dataset.events if events is None else events
    return go.Figure(timeline_figure(events, dataset, **kw))


def marker_traces(fig):
    return [t for t in fig.data if t.mode == "markers"]


def span_traces(fig):
    return [t for t in fig.data if t.mode == "lines"]


def points(fig) -> dict[str, tuple[float, str]]:
    """Event id -> (x, lane) of every drawn event."""
    out = {}
    for t in marker_traces(fig):
        for eid, x, y in zip(t.customdata, t.x, t.y, strict=True):
            out[eid] = (x, y)
    return out


def spans(fig) -> list[tuple[pd.Timestamp, pd.Timestamp, str]]:
    out = []
    for t in span_traces(fig):
        xs, ys = np.asarray(t.x, float), list(t.y)
        for i in range(0, len(xs), 3):
            assert np.isnan(xs[i + 2])
            assert ys[i] == ys[i + 1]
            out.append((to_day(xs[i]), to_day(xs[i + 1]), ys[i]))
    return sorted(out)


def test_timeline_customdata_are_event_ids(ds):
    assert sorted(points(draw_timeline(ds))) == ["e1", "e2", "e3", "e4", "e5", "e6"]


def test_a_day_event_is_a_point_on_that_day(ds):
    fig = draw_timeline(ds)
    x, lane = points(fig)["e3"]
    assert to_day(x).normalize() == pd.Timestamp("2024-03-18")
    assert lane == "Arms or munitions transfer"
    # no span is drawn for it
    assert all(start != pd.Timestamp("2024-03-18") for start, _, _ in spans(fig))


def test_month_year_and_ranged_events_are_spans_over_the_whole_period(tmp_path: Path):
    ds = build(
        tmp_path,
        actors=[actor("A"), actor("B")],
        events=[
            event("month", "2023-08", "arms_transfer", "A", "B"),
            event("year", "2022", "aid", "A", "B"),
            event("range", "2024-06-13", "summit", "A", "B", end_date="2024-06-15"),
            event("range-month", "2021-11-30", "visit", "A", "B", end_date="2021-12"),
            event("day", "2024-07-01", "visit", "A", "B"),
        ],
    )
    fig = draw_timeline(ds)
    assert spans(fig) == [
        (pd.Timestamp("2021-11-30"), pd.Timestamp("2022-01-01"), "Official visit"),
        (pd.Timestamp("2022-01-01"), pd.Timestamp("2023-01-01"), "Economic or financial aid"),
        (pd.Timestamp("2023-08-01"), pd.Timestamp("2023-09-01"), "Arms or munitions transfer"),
        (pd.Timestamp("2024-06-13"), pd.Timestamp("2024-06-16"), "Leader summit"),
    ]
    # the clickable point of a span sits inside it, not on an invented first day
    x, _ = points(fig)["month"]
    assert ms("2023-08-02") < x < ms("2023-08-31")


def test_timeline_lanes_by_type_follow_the_vocabulary(ds):
    fig = draw_timeline(ds, lanes="type")
    assert {eid: lane for eid, (_, lane) in points(fig).items()} == {
        "e1": "Leader summit",
        "e2": "Treaty or agreement signed",
        "e3": "Arms or munitions transfer",
        "e4": "UN Security Council veto",
        "e5": "Arms or munitions transfer",
        "e6": "Economic or financial aid",
    }
    # top to bottom in vocabulary order (plotly draws the category array bottom-up)
    assert list(fig.layout.yaxis.categoryarray)[::-1] == [
        "Leader summit",
        "Treaty or agreement signed",
        "Arms or munitions transfer",
        "Economic or financial aid",
        "UN Security Council veto",
    ]


def test_timeline_lanes_by_pair(ds, tmp_path: Path):
    fig = draw_timeline(ds, lanes="pair")
    lanes = {eid: lane for eid, (_, lane) in points(fig).items()}
    assert lanes == {
        "e1": "PRK–RUS",
        "e2": "PRK–RUS",
        "e3": "PRK–RUS",
        "e4": "PRK–RUS",
        "e5": "PRK–RUS",
        "e6": "UKR–USA",
    }
    assert list(fig.layout.yaxis.categoryarray)[::-1] == ["PRK–RUS", "UKR–USA"]


def test_a_one_sided_event_has_its_actor_as_pair_lane(tmp_path: Path):
    ds = build(
        tmp_path,
        actors=[actor("PRK"), actor("USA")],
        events=[
            event("t", "2024-01-01", "weapons_test", "PRK"),
            event("v", "2024-01-02", "visit", "USA", "PRK"),
        ],
    )
    lanes = {eid: lane for eid, (_, lane) in points(draw_timeline(ds, lanes="pair")).items()}
    assert lanes == {"t": "PRK", "v": "PRK–USA"}


def test_timeline_x_range_is_the_window(ds):
    fig = draw_timeline(ds, start=pd.Timestamp("2024-01-01"), stop=pd.Timestamp("2024-07-01"))
    assert tuple(fig.layout.xaxis.range) == (ms("2024-01-01"), ms("2024-07-01"))


def test_the_selected_event_is_drawn_larger(ds):
    fig = draw_timeline(ds, selected="e3")
    for t in marker_traces(fig):
        sizes = dict(zip(t.customdata, np.atleast_1d(t.marker.size), strict=True))
        for eid, size in sizes.items():
            assert size == (16 if eid == "e3" else 10), eid


def test_timeline_hover_describes_the_event(ds):
    texts = {eid: text for t in marker_traces(draw_timeline(ds)) for eid, text in
             zip(t.customdata, t.text, strict=True)}  # fmt: skip
    assert texts["e3"].split("<br>") == [
        "<b>Munitions estimate</b>",
        "2024-03-18 · Arms or munitions transfer",
        "North Korea → Russia",
        "7,000 containers (cumulative)",
        "Source: AP",
    ]
    assert "2024-06-13 – 2024-06-15" in texts["e6"]
    assert "2023-08 · " in texts["e5"]


def test_cached_hovers_are_the_texts_the_figure_would_make(ds, monkeypatch):
    """The dashboard's timeline takes its hover texts from a per-dataset cache: the same
    texts, each event formatted once however many selections show it."""
    made = {eid: text for t in marker_traces(draw_timeline(ds)) for eid, text in
            zip(t.customdata, t.text, strict=True)}  # fmt: skip
    rows = np.arange(len(ds.events))[::-1]  # any order, as a selection gives them
    texts = event_hovers(ds, rows)
    assert dict(zip(ds.events["event_id"].iloc[rows], texts, strict=True)) == made

    formatted = []
    real = timeline_module._hover
    monkeypatch.setattr(
        timeline_module, "_hover", lambda ev, *a: formatted.append(len(ev)) or real(ev, *a)
    )
    assert list(event_hovers(ds, rows[:3])) == list(texts[:3])
    assert formatted == [], "cached texts were formatted again"
    fig = draw_timeline(ds)  # without the cache, the figure formats its own
    assert formatted == [len(ds.events)]
    assert {t for tr in marker_traces(fig) for t in tr.text} == set(made.values())


def test_timeline_of_no_events_explains_itself(ds):
    fig = draw_timeline(ds, ds.events.iloc[0:0])
    assert len(fig.data) == 0
    assert annotations(fig) == ["No events for these filters"]


def many_events(ds, n: int, first: str = "1950-01-01", last: str = "2024-12-31", seed: int = 1):
    """``n`` single-day events copied from the small dataset's rows, on random days."""
    rng = np.random.default_rng(seed)
    rows = ds.events.iloc[rng.integers(0, len(ds.events), n)].reset_index(drop=True)
    days = (pd.Timestamp(last) - pd.Timestamp(first)).days
    date = pd.Timestamp(first) + pd.to_timedelta(rng.integers(0, days + 1, n), unit="D")
    precision = pd.Categorical(["day"] * n, categories=["year", "month", "day"])
    return rows.assign(
        event_id=[f"s{i}" for i in range(n)],
        date=date,
        stop=date + pd.Timedelta(days=1),
        date_precision=precision,
        end_date=pd.NaT,
        end_precision=pd.Categorical([None] * n, categories=["year", "month", "day"]),
    )


def heatmap(fig):
    (trace,) = fig.data
    assert trace.type == "heatmap"
    return trace


def test_more_than_max_points_events_are_binned(ds):
    events = many_events(ds, MAX_POINTS + 1)
    fig = draw_timeline(ds, events)
    hm = heatmap(fig)
    assert np.nansum(np.asarray(hm.z, float)) == MAX_POINTS + 1
    assert not any(t.type in ("scatter", "scattergl") for t in fig.data)
    assert f"{MAX_POINTS + 1:,} events binned per" in annotations(fig)[0]


def test_max_points_events_are_still_drawn_one_by_one(ds):
    fig = draw_timeline(ds, many_events(ds, 40), max_points=40)
    assert len(points(fig)) == 40


@pytest.mark.parametrize("lanes", ["type", "pair"])
def test_binned_counts_per_lane_sum_to_the_events_of_that_lane(ds, lanes):
    events = many_events(ds, 500, first="2024-01-01", last="2024-06-30")
    hm = heatmap(draw_timeline(ds, events, lanes=lanes, max_points=100))
    z = np.nan_to_num(np.asarray(hm.z, float))
    assert z.sum() == 500
    if lanes == "type":
        expected = (
            events["event_type"]
            .astype(str)
            .map(dict(zip(ds.event_types["id"], ds.event_types["label"], strict=True)))
        )
    else:
        pairs = zip(events["actor_1"], events["actor_2"], strict=True)
        expected = pd.Series([query.pair_label(str(a), str(b)) for a, b in pairs])
    per_lane = dict(zip(hm.y, z.sum(axis=1), strict=True))
    assert per_lane == expected.value_counts().astype(float).to_dict()


@pytest.mark.parametrize(
    ("first", "last", "unit"),
    [
        ("2024-01-01", "2024-06-30", "day"),
        ("2022-01-01", "2024-12-31", "week"),
        ("2010-01-01", "2024-12-31", "month"),
        ("1975-01-01", "2024-12-31", "quarter"),
        ("1950-01-01", "2024-12-31", "year"),
        ("1800-01-01", "2100-12-31", "5 years"),
    ],
)
def test_bins_grow_with_the_window_and_keep_every_event(ds, first, last, unit):
    events = many_events(ds, 1000, first=first, last=last)
    fig = draw_timeline(
        ds, events, start=pd.Timestamp(first), stop=pd.Timestamp(last), max_points=10
    )
    hm = heatmap(fig)
    assert np.nansum(np.asarray(hm.z, float)) == 1000
    assert len(hm.x) <= 250
    assert hm.colorbar.title.text == f"events per {unit}"
    five_years = 5 * 365.25 * 86_400_000
    assert ms(first) <= min(hm.x)
    assert max(hm.x) <= ms(last) + five_years


def test_many_events_drawn_one_by_one_keep_their_ids(ds):
    events = many_events(ds, 1500)
    fig = draw_timeline(ds, events)
    assert {t.type for t in marker_traces(fig)} == {"scattergl"}
    assert sorted(points(fig)) == sorted(events["event_id"])


def test_binned_events_outside_the_range_are_still_counted(ds):
    events = many_events(ds, 300, first="2020-01-01", last="2024-12-31")
    fig = draw_timeline(
        ds, events, start=pd.Timestamp("2022-01-01"), stop=pd.Timestamp("2023-01-01"),
        max_points=10,
    )  # fmt: skip
    assert np.nansum(np.asarray(heatmap(fig).z, float)) == 300


def test_100000_events_serialize_under_2_mb(ds):
    events = many_events(ds, 100_000)
    fig = draw_timeline(ds, events, lanes="pair")
    assert np.nansum(np.asarray(heatmap(fig).z, float)) == 100_000
    size = len(fig.to_json().encode())
    assert size < 2_000_000, f"{size:,} bytes"


# --------------------------------------------------------------------------- temperature


def test_temperature_figure_has_a_line_per_pair(ds):
    pairs = ["PRK–RUS", "UKR–USA"]
    fig = _temperature(query.temperature(ds.events, pairs, fill=False), names=ds.names)
    lines = {t.name: t for t in fig.data}
    assert list(lines) == ["North Korea – Russia", "Ukraine – United States"]
    prk_rus = lines["North Korea – Russia"]
    assert list(prk_rus.x) == [ms("2023-07-01"), ms("2024-01-01"), ms("2024-04-01")]
    assert list(prk_rus.y) == pytest.approx([8.3, 3.3, 10.8])
    assert list(prk_rus.customdata) == [1, 2, 2]
    assert list(lines["Ukraine – United States"].y) == pytest.approx([7.4])


def test_temperature_figure_draws_quiet_quarters_at_zero_without_a_marker(ds):
    fig = _temperature(query.temperature(ds.events), names=ds.names)
    prk_rus = {t.name: t for t in fig.data}["North Korea – Russia"]
    assert list(prk_rus.x) == [
        ms(q) for q in ("2023-07-01", "2023-10-01", "2024-01-01", "2024-04-01")
    ]
    assert list(prk_rus.y) == pytest.approx([8.3, 0.0, 3.3, 10.8])
    assert list(prk_rus.customdata) == [1, 0, 2, 2]
    sizes = list(prk_rus.marker.size)
    assert sizes[1] == 0
    assert min(sizes[0], sizes[2], sizes[3]) > 0


def test_temperature_figure_leaves_out_quiet_quarters_inside_a_quiet_run(ds):
    """Only the points that shape the line are sent: a quiet quarter (no event, score 0)
    between two quiet ones lies on the zero line drawn between its neighbours anyway."""
    quarters = pd.date_range("2020-01-01", periods=10, freq="QS")
    events = [0, 0, 0, 2, 0, 0, 0, 0, 0, 0]
    frame = pd.DataFrame(
        {
            "pair": "PRK–RUS",
            "quarter": quarters,
            "score": [4.0 if n else 0.0 for n in events],
            "events": events,
        }
    )
    (line,) = _temperature(frame, names=ds.names).data
    kept = [0, 2, 3, 4, 9]  # the window's ends, the event's quarter and its quiet neighbours
    assert list(line.x) == [ms(str(quarters[i].date())) for i in kept]
    assert list(line.y) == [0.0, 0.0, 4.0, 0.0, 0.0]
    assert list(line.customdata) == [0, 0, 2, 0, 0]
    assert list(line.marker.size) == [0, 0, 6, 0, 0]


def test_temperature_figure_of_nothing_explains_itself(ds):
    fig = _temperature(query.temperature(ds.events.iloc[0:0]), names=ds.names)
    assert len(fig.data) == 0
    assert annotations(fig) == ["No events between two actors for these filters"]


def test_temperature_of_one_chosen_pair_keeps_its_legend(ds):
    """Issue #12: plotly hides the legend of a one-line chart unless told; the chart of one
    chosen pair still names it in the legend."""
    from alliances.figures import temperature_for

    busiest = temperature_for(ds, Filters())
    assert len({t["name"] for t in busiest["data"]}) > 1  # choosing a pair narrows the chart
    spec = temperature_for(ds, Filters(pairs=["PRK–RUS"]))
    assert spec["layout"]["showlegend"] is True
    (line,) = spec["data"]
    assert line["name"] == f"{ds.actor_name('PRK')} – {ds.actor_name('RUS')}"
    assert line["name"] == "North Korea – Russia"
    assert line.get("showlegend", True) is not False
    fig = go.Figure(spec)  # plotly reads it the same way
    assert fig.layout.showlegend is True
    assert [t.name for t in fig.data] == ["North Korea – Russia"]


# --------------------------------------------------------------------------- ranking


def test_ranking_figure_puts_the_most_central_on_top(ds):
    rank = metrics.ranking(ds.relations, "degree", ds.names)
    fig = _ranking(rank, label="Degree centrality", focus=("USA",))
    (bar,) = fig.data
    # horizontal bars are drawn bottom-up: the first of the ranking comes last
    assert list(bar.y) == ["UKR", "PRK", "KOR", "USA", "RUS"]
    assert list(bar.x) == pytest.approx([0.25, 0.25, 0.25, 0.5, 0.75])
    assert list(bar.text) == ["Ukraine", "North Korea", "South Korea", "United States", "Russia"]
    colors = dict(zip(bar.y, bar.marker.color, strict=True))
    assert colors["USA"] != colors["RUS"] == colors["KOR"]
    assert fig.layout.title.text == "Degree centrality"


def test_ranking_figure_shows_the_top_only(ds):
    rank = metrics.ranking(ds.relations, "degree", ds.names)
    (bar,) = _ranking(rank, top=2).data
    assert list(bar.y) == ["USA", "RUS"]


def test_ranking_figure_of_nothing_explains_itself():
    fig = _ranking(pd.DataFrame(columns=["actor", "value", "name"]))
    assert len(fig.data) == 0
    assert annotations(fig) == ["No relations in force at the end of the window"]


def test_ranking_names_every_actor_on_the_axis_not_inside_its_bar():
    """Issue #13: names inside the bars shrank to fit short bars until nobody could read
    them. On the bundled data, each ranked actor is named by its axis tick (shortened with an
    ellipsis when long) and no bar carries text of its own."""
    from alliances.dataset import load_dataset
    from alliances.figures import ranking_for

    ds = load_dataset()
    fig = go.Figure(ranking_for(ds, Filters()))
    (bar,) = fig.data
    assert len(bar.y) == 12
    assert bar.textposition == "none"  # plotly's default, "auto", writes the text inside
    assert not bar.texttemplate
    axis = fig.layout.yaxis
    assert axis.showticklabels is not False
    ticks = dict(zip(axis.tickvals, axis.ticktext, strict=True))
    for actor_id in bar.y:
        name = ds.actor_name(actor_id)
        tick = html.unescape(ticks[actor_id])  # plotly reads labels as HTML
        assert tick == name or (tick.endswith("…") and name.startswith(tick[:-1])), actor_id
    assert "United States" in ticks.values()


# --------------------------------------------------------------------------- hostile text


def rendered_strings(fig) -> list[str]:
    """Every string of the serialized figure except ``customdata`` (data, never rendered)."""
    found: list[str] = []

    def walk(value, key=None):
        if key == "customdata":
            return
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str):
            found.append(value)

    walk(json.loads(fig.to_json()))
    return found


@pytest.fixture
def hostile(tmp_path: Path):
    return hostile_dataset(tmp_path / "hostile")


def hostile_figures(ds):
    f = Filters()
    sel = query.select(ds, f)
    rank = metrics.ranking(sel.relations, "degree", ds.names)
    network = draw_network(
        ds, sel.relations, pair_counts=query.pair_event_counts(sel.events), focus=["A"],
        sizes=dict(zip(rank["actor"], rank["value"], strict=True)), size_label=HOSTILE,
        title=HOSTILE,
    )  # fmt: skip
    return {
        "network": network,
        "timeline by type": draw_timeline(ds, lanes="type", title=HOSTILE),
        "timeline by pair": draw_timeline(ds, lanes="pair", selected="h1"),
        "binned timeline by type": draw_timeline(ds, lanes="type", max_points=1),
        "binned timeline by pair": draw_timeline(ds, lanes="pair", max_points=1),
        "temperature": _temperature(query.temperature(sel.events), names=ds.names),
        "ranking": _ranking(rank, label=HOSTILE, focus=("A",)),
    }


def test_hostile_text_is_escaped_in_every_figure(hostile):
    for name, fig in hostile_figures(hostile).items():
        strings = rendered_strings(fig)
        raw = [s for s in strings if "<img" in s or "<svg" in s]
        assert raw == [], name
        assert any("&lt;img" in s or "&lt;svg" in s for s in strings), name


def test_hostile_titles_appear_escaped_in_hover_texts(hostile):
    fig = draw_timeline(hostile)
    texts = [text for t in marker_traces(fig) for text in t.text]
    assert len(texts) == 3
    assert all(text.startswith("<b>&lt;img src=x onerror=alert(1)&gt;</b>") for text in texts)
    lanes = {lane for _, lane in points(draw_timeline(hostile, lanes="pair")).values()}
    assert lanes == {"A–B", "A", "&lt;svg/onload=alert(2)&gt;–B"}


def test_hostile_actor_id_stays_raw_in_customdata_for_clicks(hostile):
    nodes = node_trace(draw_network(hostile))
    assert SVG_ID in list(nodes.customdata)
    assert label_text(SVG_ID) in list(nodes.text)


# --------------------------------------------------------------------------- helpers


def test_label_text_escapes_shortens_and_blanks_missing():
    assert label_text("<b>&'\"") == "&lt;b&gt;&amp;&#x27;&quot;"
    assert label_text(None) == label_text(float("nan")) == label_text(pd.NA) == ""
    long = label_text("x" * 1000)
    assert len(long) == 240
    assert long.endswith("…")
    assert label_text("<" * 300, limit=10) == "&lt;" * 9 + "…"


def test_epoch_ms_keeps_missing_dates_missing():
    values = epoch_ms(pd.Series(pd.to_datetime(["1970-01-02", None])))
    assert values[0] == 86_400_000.0
    assert np.isnan(values[1])


def test_every_dashboard_figure_is_a_valid_plotly_spec(ds):
    """The dashboard sends figure specs as plain dicts, never checked by plotly (for speed):
    check here that every figure it shows passes plotly's validation, through a few changes."""
    from alliances.app import Dashboard

    f = Filters()
    board = Dashboard(dataset=ds, filters=f)
    panes = [
        board.network._pane,
        board.timeline._pane,
        board.temperature._pane,
        board.ranking._pane,
    ]
    for update in (
        {},
        {"actors": ["PRK"], "include_partners": True},
        {"lanes": "pair", "event": "e1"},
        {"event_types": ["veto"], "centrality": "betweenness"},
        {"start": pd.Timestamp("2030-01-01").date()},
    ):
        f.param.update(**update)
        for pane in panes:
            assert isinstance(pane.object, dict)  # sent as a plain spec, for speed
            go.Figure(pane.object)  # raises ValueError on any invalid property
