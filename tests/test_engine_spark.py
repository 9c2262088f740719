"""The same views on a distributed engine: Apache Spark in local mode (a real SparkSession,
Java 17), its answers compared with the in-memory path's. One session for the module.

Skipped only where pyspark or Java is missing; the README's test command installs both.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from alliances import query
from alliances.dataset import bundled_path, clear_cache, load_dataset
from test_engine import (
    CASES,
    _parquet_events,
    _same_frame,
    _same_series,
    check_templates,  # noqa: F401  (autouse: every template checked)
    holds_any_answers,
    lists_with_odd_ids,
)

pyspark = pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip("Spark needs Java (README: openjdk-17-jre-headless)", allow_module_level=True)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]  # a JVM starts; Spark plans each join

TABLES = {"events": "ev_bundled", "actors": "actors_tbl", "event_types": "event_types",
          "relation_types": "relation_types", "relations": "relations"}  # fmt: skip


@pytest.fixture(scope="module")
def spark_paths(tmp_path_factory):
    """The bundled data in memory, and as Spark tables (events under another name)."""
    from alliances.engine.sources import spark_session

    folder = tmp_path_factory.mktemp("spark")
    shutil.copytree(bundled_path(), folder, dirs_exist_ok=True)
    _parquet_events(folder)
    session = spark_session("local[2]")
    session.read.parquet(str(folder / "events.parquet")).createOrReplaceTempView(TABLES["events"])
    for name in ("actors", "event_types", "relation_types", "relations"):
        frame = session.read.csv(str(folder / f"{name}.csv"), header=True, multiLine=True,
                                 escape='"')  # fmt: skip
        frame.createOrReplaceTempView(TABLES[name])
    clear_cache()
    memory = load_dataset(folder, engine="memory")
    options = "&".join(f"{k}={v}" for k, v in TABLES.items())
    large = load_dataset(f"pyspark://?master=local[2]&{options}")
    yield memory, large
    session.stop()


@pytest.mark.parametrize("case", ["between", "many actors"])  # many actors: looked up
def test_spark_answers_as_the_in_memory_path(spark_paths, case):
    memory, large = spark_paths
    assert large.store is not None
    assert large.store.name.startswith("pyspark://")
    filters = CASES[case]
    a, b = query.select(memory, filters), query.select(large, filters)
    assert len(a) == len(b)
    ka, kb = a.kpis(), b.kpis()
    _same_series(ka["by_type"], kb["by_type"])
    _same_series(ka["totals"], kb["totals"])
    _same_series(a.pair_counts, b.pair_counts)
    _same_frame(a.temperature(), b.temperature())
    x = a.bins("type", a.window.start, a.window.stop, memory.event_type_labels)
    y = b.bins("type", b.window.start, b.window.stop, large.event_type_labels)
    assert (x.name, x.lanes) == (y.name, y.lanes)
    assert np.array_equal(x.counts, y.counts)
    assert list(a.last_events(5)["event_id"].astype(str)) == list(b.last_events(5)["event_id"])


def test_spark_dataset_matches_the_folder(spark_paths):
    memory, large = spark_paths
    assert memory.counts() == large.counts()
    assert memory.span == large.span
    event_id = str(memory.events["event_id"].iloc[-1])
    assert query.event_row(large, event_id)["title"] == memory.events["title"].iloc[-1]


def test_spark_searches_lists_for_odd_ids_literally(spark_paths):
    """Spark reads the pattern with Java's rules and its SQL strings with backslash escapes:
    the same lists are chosen as on DuckDB."""
    import ibis
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession()
    rows = [(s if isinstance(s, str) else None,) for s in lists_with_odd_ids()["ids"]]
    session.createDataFrame(rows, "ids string").createOrReplaceTempView("odd_lists")
    con = ibis.pyspark.connect(session)
    holds_any_answers(con.execute, con.table("odd_lists"))
