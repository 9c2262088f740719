"""One set of query semantics: every query on the engine path (DuckDB over Parquet) and on the
in-memory path, on the same data, compared exactly (float sums to 1e-9).

Two datasets: the bundled one (stored as Parquet), and a synthetic one made here with what the
bundled data has little of: participants and targets, running totals in series (with reports
on the same day), dates known to the year or month, multi-day events, one-sided events,
formula-quoted titles and accented text.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.utils
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from alliances import engine, query, schema
from alliances.aggregates import pair_label
from alliances.dataset import bundled_path, clear_cache, load_dataset
from alliances.engine import compiled, cubes
from alliances.engine.selection import EngineSelection
from alliances.figures import network_for, ranking_for, temperature_for
from alliances.reading import read_table
from alliances.state import Filters

D = dt.date

CASES = {
    "default": Filters(),
    "window": Filters(start=D(2022, 1, 15), end=D(2024, 6, 10)),
    "reversed window": Filters(start=D(2024, 6, 10), end=D(2019, 3, 3)),
    "from only": Filters(start=D(2023, 8, 20)),
    "actors": Filters(actors=["RUS", "PRK"]),
    "partners": Filters(actors=["PRK"], include_partners=True, start=D(2010, 1, 1)),
    "many actors": Filters(actors=["RUS", "PRK", "USA", "CHN", "UKR", "JPN"]),  # looked up
    "between": Filters(actors=["RUS", "PRK", "USA"], link="between"),
    "from": Filters(actors=["RUS", "UKR", "USA"], link="from"),
    "types": Filters(event_types=["veto", "sanctions", "arms_transfer", "summit", "nope"]),
    "actors, types and window": Filters(
        actors=["RUS", "UKR"],
        event_types=["sanctions", "military_action", "summit"],
        start=D(2019, 3, 3),
        end=D(2024, 6, 10),
    ),
    "regions": Filters(regions=["Europe", "Nowhere"]),
    "region and actor": Filters(regions=["East Asia"], actors=["RUS", "CHN"]),
    "search": Filters(search="  Veto "),
    "search accented": Filters(search="séoul"),
    "unknown actor": Filters(actors=["XXX"], link="between"),
}


@pytest.fixture(autouse=True)
def check_templates(monkeypatch):
    """Every query's SQL made from a template (:mod:`alliances.engine.compiled`) is compared
    with what ibis compiles for it."""
    monkeypatch.setattr(compiled, "CHECK", True)


def _parquet_events(folder: Path) -> None:
    """Store a folder's events as ``events.parquet`` (text columns), as large data is."""
    raw, problems = read_table(folder, schema.TABLES["events"])
    assert raw is not None, problems
    frame = raw.frame.astype(object).where(raw.frame.notna(), None)
    table = pa.table({c: pa.array(frame[c].tolist(), type=pa.string()) for c in frame.columns})
    pq.write_table(table, folder / "events.parquet")
    (folder / "events.csv").unlink()


def synthetic_events(actors: list[str], types: list[str], n: int = 3000) -> pd.DataFrame:
    """Events with everything the engine must get right, reproducibly."""
    rng = np.random.default_rng(11)
    days = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 3650, n), "D")
    precision = rng.choice(["day", "month", "year"], n, p=[0.8, 0.15, 0.05])
    date = np.where(
        precision == "day",
        days.strftime("%Y-%m-%d"),
        np.where(precision == "month", days.strftime("%Y-%m"), days.strftime("%Y")),
    )
    ends = days + pd.to_timedelta(rng.integers(1, 60, n), "D")
    with_end = (precision == "day") & (rng.random(n) < 0.1)
    pick = rng.integers(0, len(actors), (n, 5))
    a1 = np.array(actors, dtype=object)[pick[:, 0]]
    a2 = np.array(actors, dtype=object)[
        (pick[:, 0] + 1 + pick[:, 1] % (len(actors) - 1)) % len(actors)
    ]
    one_sided = rng.random(n) < 0.1
    lists = rng.random(n)
    participants = [
        f"{actors[p]}; {actors[q]}" if u < 0.08 else (actors[p] if u < 0.15 else None)
        for p, q, u in zip(pick[:, 2], pick[:, 3], lists, strict=True)
    ]
    targets = [
        f"{actors[t]};{actors[(t + 3) % len(actors)]}" if u > 0.9 else None
        for t, u in zip(pick[:, 4], rng.random(n), strict=True)
    ]
    series = rng.random(n) < 0.12  # running totals: a few series, some reported the same day
    kind = rng.integers(0, 3, n)
    a1[series] = np.array(["RUS", "PRK", "CHN"], dtype=object)[kind[series]]
    a2[series] = "UKR"
    unit = np.where(series, np.where(kind == 1, "containers", "USD"), None)
    magnitude = np.where(series | (rng.random(n) < 0.1), rng.integers(1, 9000, n).astype(str), None)
    unit = np.where((magnitude != None) & (unit == None), "troops", unit)  # noqa: E711
    basis = np.where(series, "cumulative", np.where(rng.random(n) < 0.1, "part", None))
    same_day = series & (rng.random(n) < 0.3)
    date = np.where(same_day, "2020-05-05", date)
    precision = np.where(same_day, "day", precision)
    with_end &= ~same_day
    score = np.where(rng.random(n) < 0.2, np.round(rng.uniform(-10, 10, n), 1).astype(str), None)
    titles = np.array(["Talks in Séoul", "=SUM(A1) sheet", "Veto cast", "Shipment", "Strike"])
    return pd.DataFrame(
        {
            "event_id": [f"syn-{i:05d}" for i in range(n)],
            "date": date,
            "end_date": np.where(with_end, ends.strftime("%Y-%m-%d"), None),
            "event_type": np.array(types, dtype=object)[rng.integers(0, len(types), n)],
            "actor_1": a1,
            "actor_2": np.where(one_sided & ~series, None, a2),
            "participants": participants,
            "targets": targets,
            "magnitude": magnitude,
            "unit": unit,
            "magnitude_basis": basis,
            "title": np.where(titles[rng.integers(0, 5, n)] == "=SUM(A1) sheet", "'=SUM(A1) sheet",
                              titles[rng.integers(0, 5, n)]),
            "description": np.where(rng.random(n) < 0.5, "A VETO on Séoul's draft", None),
            "source_name": "Synthetic wire",
            "confidence": "reported",
            "score": score,
        }
    )  # fmt: skip


@pytest.fixture(scope="module", params=["bundled", "synthetic"])
def paths(request, tmp_path_factory):
    """The same data opened on both paths: (in memory, on the engine)."""
    folder = tmp_path_factory.mktemp(request.param)
    shutil.copytree(bundled_path(), folder, dirs_exist_ok=True)
    if request.param == "synthetic":
        bundled = load_dataset(bundled_path())
        events = synthetic_events(bundled.actor_ids, list(bundled.event_types["id"]))
        events = events[events["actor_1"] != events["actor_2"]]
        events.to_csv(folder / "events.csv", index=False)
    _parquet_events(folder)
    clear_cache()
    memory = load_dataset(folder, engine="memory")
    large = load_dataset(folder, engine="duckdb")
    assert memory.store is None
    assert large.store is not None
    return memory, large


def _same_series(a: pd.Series, b: pd.Series) -> None:
    assert [str(k) for k in a.index] == [str(k) for k in b.index]
    np.testing.assert_allclose(a.to_numpy(float), b.to_numpy(float), rtol=1e-9, atol=1e-9)


def _same_frame(a: pd.DataFrame, b: pd.DataFrame) -> None:
    a, b = a.reset_index(drop=True), b.reset_index(drop=True)
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b)
    for column in a.columns:
        x, y = a[column], b[column]
        if pd.api.types.is_float_dtype(x) or pd.api.types.is_float_dtype(y):
            np.testing.assert_allclose(x.to_numpy(float), y.to_numpy(float), rtol=1e-9, atol=1e-9)
        else:
            assert (
                x.astype(object).where(x.notna(), None).tolist()
                == y.astype(object).where(y.notna(), None).tolist()
            ), column


def _ordered(events: pd.DataFrame) -> pd.DataFrame:
    """Rows in one order whatever stored them: by date, then id."""
    order = np.lexsort((events["event_id"].astype(str), events["date"].to_numpy("datetime64[ns]")))
    return events.iloc[order]


def _public(events: pd.DataFrame) -> pd.DataFrame:
    from alliances.formats import to_public

    return _ordered(to_public(events, "events")).reset_index(drop=True)


BUNDLED_CASES = ("default", "window", "partners", "between", "search")
"""The bundled data is small and hand-coded: these cases cover it; the synthetic data gets all."""
PAGES = (("date", True), ("actor_2", False), ("magnitude", True))


@pytest.mark.parametrize("case", list(CASES))
def test_every_query_answers_the_same_on_both_paths(paths, case, request):
    memory, large = paths
    if "bundled" in request.node.callspec.id and case not in BUNDLED_CASES:
        pytest.skip("covered on the synthetic data")
    filters = CASES[case]
    a, b = query.select(memory, filters), query.select(large, filters)
    assert isinstance(b, EngineSelection)
    assert (a.window, a.focus, a.notices) == (b.window, b.focus, b.notices)
    _same_frame(a.relations, b.relations)
    assert len(a) == len(b)
    ka, kb = a.kpis(), b.kpis()
    assert ka["events"] == kb["events"] == len(a)
    _same_series(ka["by_type"], kb["by_type"])
    _same_series(ka["totals"], kb["totals"])
    _same_series(a.pair_counts, b.pair_counts)
    assert a.default_pairs() == b.default_pairs()
    _same_frame(a.temperature(), b.temperature())
    busy = [*list(a.pair_counts.index[3:6]), "PRK–RUS", "RUS–USA", "nope", "RUS–RUS"]
    _same_frame(a.temperature(busy), b.temperature(busy))
    # pairs of selected events whose own actors are not the focused ones (chosen through
    # their participants or targets, or as partners): the rollups hold them apart
    ev = a.events
    focus = set(filters.actors)
    apart = ev[ev["actor_2"].notna() & ~ev["actor_1"].isin(focus) & ~ev["actor_2"].isin(focus)]
    pairs = zip(apart["actor_1"], apart["actor_2"], strict=True)
    apart = sorted({pair_label(x, y) for x, y in pairs if x != y})
    _same_frame(a.temperature(apart[:6]), b.temperature(apart[:6]))
    w = a.window
    zoom = (w.start + (w.stop - w.start) * 0.3, w.start + (w.stop - w.start) * 0.55)
    for (start, stop), lanes in [((w.start, w.stop), "type"), (zoom, "pair"), (zoom, "type")]:
        assert a.count_between(start, stop) == b.count_between(start, stop)
        x = a.bins(lanes, start, stop, memory.event_type_labels)
        y = b.bins(lanes, start, stop, large.event_type_labels)
        assert (x.name, x.lanes, x.events) == (y.name, y.lanes, y.events)
        assert np.array_equal(x.edges, y.edges)
        assert np.array_equal(x.counts, y.counts)
    _same_frame(_public(a.events_between(*zoom)), _public(b.events_between(*zoom)))
    if len(a) < 500:  # every row fetched (what exports read): checked where it is cheap
        _same_frame(_public(a.events), _public(b.events))
    tail = _ordered(a.events).tail(7)
    assert list(b.last_events(7)["event_id"]) == list(tail["event_id"].astype(str))
    for actor in ("RUS", "A0", "UKR"):
        (x, n), (y, m) = a.actor_events(actor, 4), b.actor_events(actor, 4)
        assert n == m
        assert list(x["event_id"].astype(str)) == list(y["event_id"].astype(str))
    for sort, descending in PAGES:
        x, y = a.page(sort, descending, 3, 9), b.page(sort, descending, 3, 9)
        assert list(x["event_id"].astype(str)) == list(y["event_id"].astype(str)), sort


@pytest.mark.parametrize("case", ["default", "between", "search"])
def test_the_figures_are_the_same_on_both_paths(paths, case):
    memory, large = paths
    filters = CASES[case]

    def spec(build, dataset):  # floats to 9 digits: sums may be added in another order
        text = json.dumps(build(dataset, filters), cls=plotly.utils.PlotlyJSONEncoder)
        return json.loads(text, parse_float=lambda x: round(float(x), 9))

    for build in (network_for, temperature_for, ranking_for):
        assert spec(build, memory) == spec(build, large), build.__name__


def test_one_event_by_id_and_the_dataset_summary_agree(paths):
    memory, large = paths
    ids = list(memory.events["event_id"].astype(str).iloc[[0, 7, -1]])
    for event_id in ids:
        x, y = query.event_row(memory, event_id), query.event_row(large, event_id)
        _same_frame(
            _public(pd.DataFrame([x]).astype(memory.events.dtypes.to_dict())),
            _public(pd.DataFrame([y]).astype(large.events.dtypes.to_dict())),
        )
    assert query.event_row(large, "no-such-event") is None
    assert not query.has_event(large, "no-such-event")
    assert query.has_event(large, ids[0])
    assert memory.summary().split("\n")[2:] == large.summary().split("\n")[2:]
    assert memory.span == large.span
    assert memory.counts() == large.counts()


def test_choose_takes_the_engine_for_urls_and_large_parquet(tmp_path, monkeypatch):
    monkeypatch.delenv(engine.ENV_ENGINE, raising=False)
    assert engine.choose(bundled_path()) == "memory"  # CSV
    assert engine.choose("duckdb:///x.duckdb") == "engine"
    assert engine.choose(bundled_path(), "duckdb") == "engine"
    shutil.copytree(bundled_path(), tmp_path, dirs_exist_ok=True)
    _parquet_events(tmp_path)
    assert engine.choose(tmp_path) == "memory"  # 300 rows of Parquet
    monkeypatch.setattr(engine, "ENGINE_ROWS", 10)
    assert engine.choose(tmp_path) == "engine"
    monkeypatch.setenv(engine.ENV_ENGINE, "memory")
    assert engine.choose(tmp_path) == "memory"
    with pytest.raises(ValueError, match="unknown engine"):
        engine.choose(tmp_path, "oracle")


@pytest.mark.parametrize(
    "share", [0.0, float("inf")], ids=["from the facts", "from the copy by actor"]
)
@pytest.mark.parametrize("case", ["actors", "partners", "actors, types and window"])
def test_both_routes_to_the_chosen_actors_answer_the_same(paths, case, share, monkeypatch):
    """A choice of actors reads the copies by actor (of the facts, of the counts and totals
    by year and pair, of the links), or the tables themselves when the actors hold most of
    their rows: both routes give the in-memory path's answers."""
    from alliances import cache
    from alliances.engine.store import EventStore

    memory, large = paths
    monkeypatch.setattr(EventStore, "BY_ACTOR_SHARE", share)
    cache.clear(keep_precomputed=True)
    filters = CASES[case]
    a, b = query.select(memory, filters), query.select(large, filters)
    assert large.store._by_actor_reads_less(b.ask.allowed) is (share > 0)
    for rollup in cubes.BY_ACTOR:  # the rollups' copies by actor too
        assert (large.store.of_actors(rollup, b.ask.allowed) is not None) is (share > 0)
    assert len(a) == len(b)
    _same_series(a.kpis()["by_type"], b.kpis()["by_type"])
    _same_series(a.kpis()["totals"], b.kpis()["totals"])
    _same_series(a.pair_counts, b.pair_counts)
    _same_frame(a.temperature(), b.temperature())
    w = a.window
    x = a.bins("type", w.start, w.stop, memory.event_type_labels)
    y = b.bins("type", w.start, w.stop, large.event_type_labels)
    assert (x.lanes, x.counts.tolist()) == (y.lanes, y.counts.tolist())
    cache.clear(keep_precomputed=True)


def test_codes_looked_up_in_a_list_of_flags_are_those_of_an_in_test():
    """Many actors are looked up by position in a list of flags (one step per row), a few
    tested with ``IN``: the same rows either way, a missing actor never chosen, codes beyond
    the list's end not chosen."""
    import ibis

    from alliances.engine import queries

    rng = np.random.default_rng(7)
    frame = pd.DataFrame({"a1": rng.integers(0, 60, 500), "a2": rng.integers(0, 60, 500)})
    frame["a2"] = frame["a2"].astype("Int32").mask(rng.random(500) < 0.2)
    t = ibis.memtable(frame)
    con = ibis.duckdb.connect()
    for size in (1, 3, queries.LOOKUP_FROM, 12, 40):
        codes = sorted(int(c) for c in rng.choice(50, size, replace=False))
        got = con.execute(t.select(hit=queries.touching(t, codes)))["hit"].tolist()
        expected = (frame["a1"].isin(codes) | frame["a2"].isin(codes)).tolist()
        assert got == expected, size
        assert all(isinstance(v, bool) for v in got)  # never null
    assert "IN" in ibis.to_sql(t.filter(queries.looked_up(t.a1, [1, 2])), dialect="duckdb")
    lookup = ibis.to_sql(t.filter(queries.looked_up(t.a1, list(range(0, 20, 2)))))
    assert "LIST_EXTRACT" in lookup.upper()
    assert " IN " not in lookup.upper()


def test_lists_of_actors_and_pairs_choose_the_right_rows_in_one_shape_skipping_row_groups(
    tmp_path,
):
    """The actors and pairs a choice names go in as ``IN`` lists: the rows are those of the
    pairs (shared actors, a missing second actor never chosen), the SQL has one shape however
    many actors or pairs and whichever they share (so its template is filled, not compiled
    anew), and DuckDB still checks the lists against the row groups of a file sorted by pair."""
    import re

    import ibis

    from alliances.engine import queries

    rng = np.random.default_rng(11)
    n = 4000
    frame = pd.DataFrame({"lo": np.sort(rng.integers(0, 40, n)), "hi": rng.integers(40, 80, n)})
    frame["hi"] = frame["hi"].astype("Int32").mask(rng.random(n) < 0.1)
    path = tmp_path / "pairs.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=200)
    con = ibis.duckdb.connect()
    t = con.read_parquet(path)
    choices = [[(3, 50)], [(3, 50), (3, 61), (7, 61)], [(1, 41), (2, 42), (3, 43), (39, 79)]]
    keys = set()
    for pairs in choices:
        expr = t.filter(queries.on_pairs(t, "lo", "hi", pairs))
        got = sorted(map(tuple, con.execute(expr)[["lo", "hi"]].to_numpy().tolist()))
        chosen = [pd.notna(b) and (a, b) in pairs for a, b in zip(frame.lo, frame.hi, strict=True)]
        wanted = frame[chosen].astype("int64")
        assert got == sorted(map(tuple, wanted.to_numpy().tolist())), pairs
        keys.add(compiled.Shape(expr.op()).key)
        plan = con.con.sql("EXPLAIN ANALYZE " + ibis.to_sql(expr, dialect="duckdb")).fetchall()
        scanned, total = map(
            int, re.search(r"Row Groups Scanned: *(\d+) */ *(\d+)", plan[0][1]).groups()
        )
        assert (total, scanned <= len({a for a, _ in pairs}) + 2) == (20, True), plan[0][1]
    assert len(keys) == 1
    shapes = {
        compiled.Shape(t.filter(queries.equal_any(t.lo, list(range(k)))).op()).key
        for k in (1, 2, 5)
    }
    assert len(shapes) == 1
    assert con.execute(t.filter(queries.equal_any(t.lo, [])).count()) == 0


ODD_IDS = ["A.B", "X+1", "(Q)", "a|b", "$", "\\d", "[z]", "^c", "Séoul", "RUS"]
"""Actor ids the format allows that mean something in a regular expression."""


def lists_with_odd_ids() -> pd.DataFrame:
    """``;A;B;`` lists (:func:`alliances.engine.facts.id_list`) of :data:`ODD_IDS` and of
    strings a careless pattern would take for them."""
    near = ["AxB", "XX1", "Q", "a", "b", "", "7", "z", "c", "SéoulX", "RUSS"]
    rng = np.random.default_rng(5)
    rows = [None, ";;"]
    for _ in range(300):
        k = int(rng.integers(1, 4))
        rows.append(";" + ";".join(rng.choice(ODD_IDS + near, k)) + ";")
    return pd.DataFrame({"ids": rows})


def holds_any_answers(execute, table) -> None:
    """``queries.holds_any`` on ``table`` (of :func:`lists_with_odd_ids`), run by ``execute``,
    picks the lists that hold an id, literally, and has one shape whatever the ids."""
    from alliances.engine import queries

    frame = lists_with_odd_ids()
    keys = set()
    for ids in (["A.B"], ["X+1", "(Q)"], ["a|b", "$", "\\d", "[z]", "^c"], ["Séoul", "RUS"], []):
        expr = table.select(hit=queries.holds_any(table.ids, ids))
        got = execute(expr)["hit"].tolist()
        wanted = [isinstance(s, str) and any(f";{i};" in s for i in ids) for s in frame["ids"]]
        assert got == wanted, ids
        if ids:
            keys.add(compiled.Shape(expr.op()).key)
    assert len(keys) == 1


def test_lists_of_actors_are_searched_for_the_ids_literally_in_one_shape():
    """The focused actors are found in the lists of participants and targets by one pattern:
    ids with characters a regular expression reads (``.``, ``+``, ``|``, ``$``, ``\\``...)
    match only themselves, and one, two or five ids make the same query shape."""
    import ibis

    con = ibis.duckdb.connect()
    holds_any_answers(con.execute, ibis.memtable(lists_with_odd_ids()))


def test_the_latest_report_in_a_window_may_be_an_earlier_one_that_lasts_longer(tmp_path):
    """A running total reported for the year 2021, then for 5 March 2021, then for February
    2022: in a window of June 2021 the yearly report is the latest that overlaps it (the one
    of March ended before), in January 2022 none does. The engine finds the latest report from
    where each report's turn ends (:func:`alliances.engine.reports.latest_at`); both paths
    give the totals a person reads off the reports."""
    shutil.copytree(bundled_path(), tmp_path, dirs_exist_ok=True)
    events = pd.read_csv(tmp_path / "events.csv", dtype=str)
    reports = [("2021", "100"), ("2021-03-05", "150"), ("2022-02", "300")]
    extra = pd.DataFrame(
        {
            "event_id": [f"shells-{i}" for i in range(len(reports))],
            "date": [date for date, _ in reports],
            "event_type": "arms_transfer",
            "actor_1": "RUS",
            "actor_2": "PRK",
            "magnitude": [amount for _, amount in reports],
            "unit": "test shells",
            "magnitude_basis": "cumulative",
            "title": "Shells delivered so far",
            "source_name": "Test wire",
            "confidence": "reported",
        }
    )
    pd.concat([events, extra]).to_csv(tmp_path / "events.csv", index=False)
    _parquet_events(tmp_path)
    clear_cache()
    memory, large = load_dataset(tmp_path, engine="memory"), load_dataset(tmp_path, engine="duckdb")
    windows = {
        (D(2021, 6, 1), D(2021, 6, 30)): 100,
        (D(2021, 3, 1), D(2021, 3, 31)): 150,
        (D(2021, 1, 1), D(2021, 2, 28)): 100,
        (D(2022, 1, 1), D(2022, 1, 31)): 0,
        (D(2022, 2, 10), D(2022, 12, 31)): 300,
        (D(2020, 1, 1), D(2023, 1, 1)): 300,
    }
    for (start, end), expected in windows.items():
        for actors in ([], ["PRK"]):
            filters = Filters(start=start, end=end, actors=actors)
            totals = [query.select(ds, filters).kpis()["totals"] for ds in (memory, large)]
            got = [float(t.get("test shells", 0)) for t in totals]
            assert got == [expected, expected], (start, end, actors)
    clear_cache()


def test_queries_run_as_one_give_the_rows_each_gives(paths):
    """Parts of an answer run as one query (``UNION ALL``): the same rows as run one by one,
    whatever the order of their columns and the width of their integers."""
    import ibis

    store = paths[1].store
    t = store.facts
    alone, none = t.filter(t.a2.isnull()), t.filter(t.day < 0)
    parts = [
        t.group_by("type").agg(n=t.count()),
        alone.group_by("type").agg(n=alone.count()).select("n", "type"),
        none.group_by("type").agg(n=none.count()),  # no rows
        t.group_by("a1").agg(n=t.count()).select(type=ibis.null("int64"), n="n"),
    ]
    together = store.execute_all(parts)
    one_by_one = pd.concat([store.execute(p)[["type", "n"]] for p in parts])
    key = ["type", "n"]
    got = together.astype(float).sort_values(key, na_position="first").reset_index(drop=True)
    wanted = one_by_one.astype(float).sort_values(key, na_position="first").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, wanted)
    assert len(got) > 10
    assert got["type"].isna().any()


def test_the_store_compiles_unfused_and_leaves_ibis_as_it_found_it(paths):
    """The store compiles its queries without merging nested selects (faster to compile),
    and leaves the user's ibis option as it was, after a failed query too."""
    import ibis

    from alliances.engine.store import EngineError

    store = paths[1].store
    seen = []
    t = store.facts
    probe = t.filter(t.day > 0).select("day", "type").filter(t.type >= 0).count()
    original = store.backend.compile

    def spy(expr, **kwargs):
        seen.append(ibis.options.sql.fuse_selects)
        return original(expr, **kwargs)

    store.backend.compile = spy
    try:
        assert ibis.options.sql.fuse_selects is True
        assert int(store.scalar(probe)) > 0
        assert seen == [False]
        assert ibis.options.sql.fuse_selects is True
        with pytest.raises(EngineError, match="could not be read"):
            store.scalar(t.filter(t.day.cast("string").cast("int8") > 0).count())
        assert ibis.options.sql.fuse_selects is True
    finally:
        store.backend.compile = original
    # two stores' queries overlapping in two threads: unfused until the last one ends
    from alliances.engine.sources import unfused

    first, second = unfused(), unfused()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert ibis.options.sql.fuse_selects is False
    second.__exit__(None, None, None)
    assert ibis.options.sql.fuse_selects is True
