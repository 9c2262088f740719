"""The benchmark data generator, and what must hold at 100,000 events (checked, not timed).

``python -m benchmarks`` measures; these tests keep the properties the measurements rely on:
the generated data is valid, reproducible and skewed, and at scale the timeline is binned and
every figure sent to the browser stays small.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import panel as pn
import plotly.graph_objects as go
import pytest
from benchmarks import changes
from benchmarks.synthetic import REAL_ACTORS, generate
from bokeh.document import Document

import alliances
from alliances import partitioned
from alliances.app import Dashboard
from alliances.state import Filters

LARGE = 100_000
MAX_FIGURE_BYTES = 2_000_000
MAX_TOTAL_BYTES = 4_000_000
FILES = ("actors.csv", "event_types.csv", "relation_types.csv", "relations.csv", "events.csv")


def read_events(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "events.csv", dtype=str, keep_default_na=False, na_values=[""])


def pair_counts(events: pd.DataFrame) -> pd.Series:
    two = events[events["actor_2"].notna()]
    lo = two[["actor_1", "actor_2"]].min(axis=1)
    hi = two[["actor_1", "actor_2"]].max(axis=1)
    return (lo + "–" + hi).value_counts()


# --------------------------------------------------------------------------- small


@pytest.fixture(scope="module")
def small_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(2_000, tmp_path_factory.mktemp("synthetic") / "data", seed=1)


def test_same_seed_gives_the_same_bytes(small_folder: Path, tmp_path: Path):
    again = generate(2_000, tmp_path / "again", seed=1)
    other = generate(2_000, tmp_path / "other", seed=2)
    for name in FILES:
        assert (again / name).read_bytes() == (small_folder / name).read_bytes(), name
    assert (other / "events.csv").read_bytes() != (small_folder / "events.csv").read_bytes()


def test_made_in_chunks_as_parquet_by_year_the_same_events(tmp_path: Path):
    """Events are made a chunk at a time in date order and written as made (bounded memory at
    1e8): as CSV or as Parquet partitioned by year, the same seed gives the same dataset, and
    small chunks (several a year, so rows known only to the year are carried) stay valid."""
    csv_folder = generate(3_000, tmp_path / "csv", seed=1, chunk_events=40)
    chunked = generate(3_000, tmp_path / "parquet", seed=1, layout="parquet", chunk_events=40)
    parts = partitioned.parts(chunked / "events")
    assert parts[1] == []
    assert [p.year for p in parts[0]] == list(range(1985, 2026))  # one folder a year
    assert alliances.validate(chunked) == []
    csv = alliances.load_dataset(csv_folder, cache=False)
    parquet = alliances.load_dataset(chunked, cache=False)
    for name in ("events", "relations", "actors"):
        pd.testing.assert_frame_equal(getattr(parquet, name), getattr(csv, name))
    # written in date order: the loader had nothing to sort
    text = pd.read_csv(csv_folder / "events.csv", dtype=str, keep_default_na=False)
    assert list(text["event_id"]) == list(csv.events["event_id"])
    assert text["date"].str.len().eq(4).sum() > 40  # ~3% known only to the year


def test_generated_data_is_valid(small_folder: Path):
    assert alliances.validate(small_folder) == []
    ds = alliances.load_dataset(small_folder, cache=False)
    assert len(ds.events) == 2_000
    assert len(ds.actors) == 200
    assert {a[0] for a in REAL_ACTORS} <= set(ds.actor_ids)
    assert 1_500 <= len(ds.relations) <= 2_500
    assert set(ds.relations["polarity"]) == {-1, 0, 1}
    assert ds.relations["end_date"].notna().any()


def test_busy_pairs_and_quiet_pairs(small_folder: Path):
    counts = pair_counts(read_events(small_folder))
    assert counts.iloc[0] >= 10 * counts.median()
    assert counts.index[0] == "RUS–UKR"
    assert (counts == 1).sum() > len(counts) / 3  # many pairs with a single event


def test_shares_of_the_event_columns(small_folder: Path):
    events = read_events(small_folder)
    n = len(events)
    assert 0.06 < events["actor_2"].isna().mean() < 0.14
    lengths = events["date"].str.len().value_counts(normalize=True)
    assert 0.8 < lengths[10] < 0.93  # YYYY-MM-DD
    assert 0.06 < lengths[7] < 0.14  # YYYY-MM
    assert 0.01 < lengths[4] < 0.06  # YYYY
    assert 0.02 < events["end_date"].notna().mean() < 0.08
    assert 0.15 < events["magnitude"].notna().mean() < 0.25
    assert events["unit"].notna().sum() == events["magnitude"].notna().sum()
    assert events["source_name"].notna().all()
    urls = events["source_url"].dropna()
    assert 0.35 < len(urls) / n < 0.65
    assert urls.str.startswith("https://").all()
    assert events["title"].str.len().between(10, 160).all()


def test_the_benchmark_measures_every_kind_of_change(small_folder: Path):
    """The measuring code of ``python -m benchmarks`` runs on today's views (not timed): each
    change replaces the figures and is counted in Bokeh patch bytes and in figure JSON."""
    dataset = alliances.load_dataset(small_folder, cache=False)
    plan = changes.plan_changes(dataset, repeat=2, seed=0)
    result, profiled = changes.filter_changes(dataset, plan, budget=120, profile_worst=True)

    assert set(result.kinds) == set(changes.KINDS)
    for kind, res in result.kinds.items():
        assert res.ms.n == 2, kind
        assert res.stale == 0, f"{kind}: a change left the network or timeline figure as it was"
        assert min(res.patch_bytes.values) > 1_000, kind
        assert min(res.json_bytes.values) > 1_000, kind
    assert "filters.param.update" in profiled


def test_changes_planned_from_parquet_files_are_those_of_the_loaded_data(tmp_path: Path):
    """At 1e8 events the changes are planned from the files (nothing loaded): the same plan."""
    folder = generate(1_500, tmp_path / "parquet", seed=2, layout="parquet")
    loaded = changes.plan_changes(alliances.load_dataset(folder, cache=False), 4, seed=0)
    assert changes.plan_for_folder(folder, 4, seed=0) == loaded


def test_a_measuring_process_over_the_memory_cap_is_stopped(small_folder: Path):
    """The in-memory path at 1e8 would need ~37 GB on a shared machine: stopped and said."""
    from benchmarks import opening

    plan = {kind: [] for kind in changes.KINDS}
    result = opening.measure(small_folder, plan, budget=5, cap_mb=60, timeout=120)
    assert result.open_s is None
    assert result.error.startswith("stopped at ")
    assert "(cap 60 MB)" in result.error
    assert result.peak_mb > 60


# --------------------------------------------------------------------------- 100,000 events


@pytest.fixture(scope="session")
def large_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(LARGE, tmp_path_factory.mktemp("synthetic-large") / "data")


@pytest.fixture(scope="session")
def large(large_folder: Path) -> alliances.Dataset:
    return alliances.load_dataset(large_folder, cache=False)


def plotly_panes(view: pn.viewable.Viewable) -> dict[str, pn.pane.Plotly]:
    panes = {}
    for pane in view.select(pn.pane.Plotly):
        name = next((c for c in pane.css_classes if c.startswith("al-")), None)
        if name is not None:  # the Analysis tab's charts are not the dashboard's figures
            panes[name] = pane
    return panes


def as_figure(obj) -> go.Figure:
    """A pane's figure: the dashboard sends plain specs, notebooks get plotly Figures."""
    return go.Figure(obj) if isinstance(obj, dict) else obj


def figure_sizes(panes: dict[str, pn.pane.Plotly]) -> dict[str, int]:
    return {  # a tab not opened yet has drawn nothing
        name: len(as_figure(pane.object).to_json())
        for name, pane in panes.items()
        if pane.object is not None
    }


@pytest.mark.slow
def test_a_large_dataset_stays_small_in_the_browser(large_folder: Path, large):
    assert alliances.validate(large_folder) == []
    assert len(large.events) == LARGE

    filters = Filters()
    board = Dashboard(dataset=large, filters=filters)
    view = pn.panel(board)
    doc = Document()
    doc.add_root(view.get_root(doc))
    panes = plotly_panes(view)
    assert {"al-network", "al-timeline", "al-temperature", "al-ranking"} <= set(panes)

    # the full window: 100,000 events binned into one heatmap that counts every one of them
    timeline = as_figure(panes["al-timeline"].object)
    heatmaps = [t for t in timeline.data if t.type == "heatmap"]
    assert len(heatmaps) == 1
    assert not [t for t in timeline.data if t.type in ("scatter", "scattergl")]
    counts = np.nan_to_num(np.asarray(heatmaps[0].z, dtype=float))
    assert counts.sum() == len(board.timeline.events) == LARGE

    changes = [
        {"actors": ["RUS"], "include_partners": True},
        {"actors": [], "include_partners": False, "start": None, "end": None},
        {"start": pd.Timestamp("2000-01-01").date(), "end": pd.Timestamp("2019-12-31").date()},
        {"event_types": ["military_action", "weapons_test", "summit"]},
    ]
    for change in changes:
        before = panes["al-timeline"].object
        filters.param.update(**change)
        assert panes["al-timeline"].object is not before, change
        sizes = figure_sizes(panes)
        too_big = {name: size for name, size in sizes.items() if size >= MAX_FIGURE_BYTES}
        assert not too_big, (change, sizes)
        assert sum(sizes.values()) < MAX_TOTAL_BYTES, (change, sizes)
        selected = len(board.timeline.events)
        heat = [t for t in as_figure(panes["al-timeline"].object).data if t.type == "heatmap"]
        if heat:  # still binned: the bins count exactly the selected events
            assert np.nan_to_num(np.asarray(heat[0].z, dtype=float)).sum() == selected


def test_the_details_say_whether_the_rollups_were_built_or_reused():
    """Rollups found from an earlier run are reported with that build's time, not as built in
    the few milliseconds finding them took."""
    from benchmarks.report import details
    from benchmarks.results import SizeResult

    made = {"said": "built in X", "seconds": 42.0, "peak_mb": 9}
    built = SizeResult(n=10, csv_mb=None, rollups=made)
    reused = SizeResult(
        n=10, csv_mb=None,
        rollups={"said": "built in X", "seconds": 0.004, "peak_mb": 9, "reused_from_seconds": 38.0},
    )  # fmt: skip
    assert "rollups built in X in 42 s" in details([built])
    text = details([reused])
    assert "rollups reused (built in X by an earlier run, in 38 s)" in text
    assert " in 0 s" not in text


def test_the_patch_is_measured_as_the_held_document_sends_it():
    """Panel drops a trace's old columns from its data source one by one, each event a whole
    new ``data``; the served dashboard's held document sends the last of them once, and so
    does the measure."""
    from bokeh.models import ColumnDataSource

    doc = Document()
    big = {"x": np.arange(1000.0), "a": [1], "b": [2]}
    source, other = ColumnDataSource(big), ColumnDataSource({"y": [3], "c": [4]})
    doc.add_root(source)
    doc.add_root(other)
    events: list = []
    doc.on_change(events.append)
    del source.data["a"]  # as Panel's plotly pane drops them
    del other.data["c"]
    del source.data["b"]
    assert [(type(e).__name__, e.model) for e in events] == [
        ("ModelChangedEvent", source), ("ModelChangedEvent", other),
        ("ModelChangedEvent", source),
    ]  # fmt: skip
    sent = changes.held(list(events))
    assert [(e.model, sorted(e.new)) for e in sent] == [(source, ["x"]), (other, ["y"])]
    once, _ = changes.patch_size(events[2:])
    assert changes.patch_size(events)[0] < once + 1000  # not twice the 8 KB of the array
