"""What the engine reads, from DuckDB's own plans: a pair's temperature over a long window adds
its whole months up from the scores rollup and reads the facts only at the window's edges, not
every row group of the window (rollups written in small row groups, so that a test-sized
dataset has many)."""

from __future__ import annotations

import datetime as dt
import re
import shutil

import numpy as np
import pandas as pd
import pytest

from alliances import query
from alliances.dataset import bundled_path, clear_cache, load_dataset
from alliances.engine import rollups, sources
from alliances.state import Filters

GROUP = 2048
"""Rows per row group of the test's rollups (the product writes 122,880; DuckDB writes no
fewer than 2,048)."""

N = 100_000

SCAN = re.compile(r"(\w+)\.parquet.*?Row Groups Scanned: *(\d+) */ *(\d+)", re.S)


@pytest.fixture(scope="module")
def two_paths(tmp_path_factory):
    """Ten years of daily events between four pairs (the two asked about hold 70% of them), on
    the engine with small row groups, and in memory."""
    folder = tmp_path_factory.mktemp("reads")
    shutil.copytree(bundled_path(), folder, dirs_exist_ok=True)
    rng, n = np.random.default_rng(5), N
    days = pd.Timestamp("2015-01-01") + pd.to_timedelta(np.sort(rng.integers(0, 3650, n)), "D")
    pairs = np.array([("RUS", "PRK"), ("CHN", "RUS"), ("USA", "KOR"), ("JPN", "USA")])
    which = rng.choice(len(pairs), n, p=[0.4, 0.3, 0.2, 0.1])
    pd.DataFrame(
        {
            "event_id": [f"r-{i:05d}" for i in range(n)],
            "date": days.strftime("%Y-%m-%d"),
            "event_type": rng.choice(["summit", "arms_transfer", "sanctions"], n),
            "actor_1": pairs[which, 0],
            "actor_2": pairs[which, 1],
            "title": "Test event",
            "source_name": "Test wire",
            "confidence": "reported",
            "score": np.round(rng.uniform(-5, 5, n), 1).astype(str),
        }
    ).to_csv(folder / "events.csv", index=False)
    clear_cache()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rollups, "ROW_GROUP", GROUP)
        large = load_dataset(folder, engine="duckdb", cache=False)
    memory = load_dataset(folder, engine="memory", cache=False)
    assert large.store is not None
    assert large.store.pair_scores is not None  # the rollups were built
    yield large, memory
    clear_cache()


def scans(monkeypatch) -> list[tuple[str, int, int]]:
    """Every Parquet scan of the engine's queries, as (file, row groups read, row groups),
    recorded as they run (``EXPLAIN ANALYZE`` of each query's SQL, in the same session)."""
    seen: list[tuple[str, int, int]] = []
    run = sources.execute

    def explained(backend, expr):
        out = run(backend, expr)
        plan = backend.con.sql("EXPLAIN ANALYZE " + backend.compile(expr)).fetchall()[0][1]
        seen.extend((name, int(a), int(b)) for name, a, b in SCAN.findall(plan))
        return out

    monkeypatch.setattr("alliances.engine.store.execute", explained)
    return seen


@pytest.mark.parametrize("actors", [[], ["RUS"]])
def test_a_long_windows_temperature_reads_only_the_edges_of_the_facts(
    two_paths, monkeypatch, actors
):
    large, memory = two_paths
    filters = Filters(start=dt.date(2016, 2, 17), end=dt.date(2023, 10, 12), actors=actors)
    pairs = ["PRK–RUS", "CHN–RUS"]
    large_selection = query.select(large, filters)
    seen = scans(monkeypatch)
    got = large_selection.temperature(pairs)
    expected = query.select(memory, filters).temperature(pairs)
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False
    )
    assert got["events"].sum() > 40_000  # the pairs' events of the window are counted
    facts = [(read, total) for name, read, total in seen if name == "facts"]
    assert facts, seen  # the edges are read from the facts
    assert {total for _, total in facts} == {-(-N // GROUP)}
    # the window holds 38 of the 49 row groups; its edges' partial months (about 2% of the
    # events) and the groups they share with their neighbours are a few
    assert all(read <= 6 for read, _ in facts), facts
