"""Connection URLs as ``--data`` (a DuckDB file with its own table names), the SQL the queries
compile to on BigQuery, ClickHouse and Trino, and faults: an unreachable engine, a missing
table, a malformed Parquet file give a clear report, and the last good data keeps serving."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

import duckdb
import ibis
import pytest

from alliances import query
from alliances.dataset import bundled_path, clear_cache, load_dataset, serve_dataset
from alliances.engine import queries, reports
from alliances.engine.facts import facts
from alliances.engine.store import EngineError
from alliances.problems import DatasetError
from alliances.state import Filters
from test_engine import CASES, _parquet_events, _same_frame, _same_series


@pytest.fixture(scope="module")
def parquet_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pq")
    shutil.copytree(bundled_path(), folder, dirs_exist_ok=True)
    _parquet_events(folder)
    return folder


@pytest.fixture(scope="module")
def duckdb_file(parquet_folder, tmp_path_factory):
    """The bundled data in a DuckDB file, under table names of its own."""
    path = tmp_path_factory.mktemp("db") / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute(f"CREATE TABLE gdelt_events AS SELECT * FROM '{parquet_folder}/events.parquet'")
    for name in ("actors", "event_types", "relation_types", "relations"):
        csv = parquet_folder / f"{name}.csv"
        con.execute(f"CREATE TABLE my_{name} AS SELECT * FROM read_csv('{csv}', all_varchar=true)")
    con.close()
    return path


def test_a_duckdb_file_with_its_own_table_names_answers_as_the_folder(parquet_folder, duckdb_file):
    clear_cache()
    memory = load_dataset(parquet_folder, engine="memory")
    names = "&".join(
        f"{t}=my_{t}" for t in ("actors", "event_types", "relation_types", "relations")
    )
    large = load_dataset(f"duckdb://{duckdb_file}?events=gdelt_events&{names}")
    assert large.store is not None
    assert large.path is None
    assert large.counts() == memory.counts()
    for case in ("default", "between"):
        a, b = query.select(memory, CASES[case]), query.select(large, CASES[case])
        _same_series(a.kpis()["by_type"], b.kpis()["by_type"])
        _same_series(a.pair_counts, b.pair_counts)
        _same_frame(a.temperature(), b.temperature())
    # the small tables may come from a folder instead
    mixed = load_dataset(f"duckdb://{duckdb_file}?events=gdelt_events&folder={parquet_folder}")
    assert mixed.counts() == memory.counts()
    assert len(query.select(mixed, Filters(actors=["RUS"]))) == len(
        query.select(memory, Filters(actors=["RUS"]))
    )


@pytest.mark.parametrize("dialect", ["bigquery", "clickhouse", "trino"])
def test_every_query_compiles_to_the_sql_of(dialect, parquet_folder):
    dataset = load_dataset(parquet_folder, engine="memory")
    raw = ibis.table(
        {c: "string" for c in dataset.events.columns if not c.endswith(("_stop", "_precision"))},
        name="gdelt_events",
    )
    f = facts(raw, dataset.actor_ids, dataset.event_types)
    codes = ibis.table({"id": "string", "code": "int32"}, name="actor_codes")
    ask = queries.Ask(0, 20000, (1, 2), (3, 4), ("RUS", "PRK"), (3, 4), "between", "")
    chosen = queries.selected(f, ask, queries.search_ids(raw, "veto", "2024-12-31"), 400)
    latest = reports.latest_reports(reports.running(chosen))
    expressions = {
        "count": chosen.count(),
        "types": queries.type_counts(chosen),
        "totals": queries.unit_totals(chosen, latest),
        "pairs": queries.pair_counts(queries.links(chosen, codes)),
        "temperature": queries.temperature_cells(
            queries.links(reports.counted(chosen, latest), codes), [(3, 4)], -80, 220
        ),
        "bins": chosen.group_by(bin=queries.bin_of(chosen, "month", 600, 3, 200)).agg(
            n=chosen.count()
        ),
        "page": queries.page(chosen, chosen.score, True, 30, 15),
        "latest": queries.page(chosen.filter(chosen.day >= 19000), None, True, 0, 15),
    }
    for name, expr in expressions.items():
        sql = ibis.to_sql(expr, dialect=dialect)
        assert "gdelt_events" in sql, name
        assert "SELECT" in sql.upper(), name


def test_an_unreachable_engine_or_a_missing_table_is_reported(tmp_path, duckdb_file):
    clear_cache()
    with pytest.raises(DatasetError) as missing:
        load_dataset(f"duckdb://{tmp_path}/nowhere.duckdb")
    assert "no DuckDB database at" in str(missing.value.problems[0])
    broken = tmp_path / "broken.duckdb"
    broken.write_bytes(b"this is no database" * 100)
    with pytest.raises(DatasetError) as unreadable:
        load_dataset(f"duckdb://{broken}")
    assert "cannot read the events" in str(unreadable.value.problems[0])
    with pytest.raises(DatasetError) as no_actors:  # the small tables' default names
        load_dataset(f"duckdb://{duckdb_file}?events=gdelt_events")
    assert "no table 'actors' in duckdb://" in str(no_actors.value.problems[0])
    names = "&".join(
        f"{t}=my_{t}" for t in ("actors", "event_types", "relation_types", "relations")
    )
    url = f"duckdb://{duckdb_file}?events=no_such_table&{names}"
    with pytest.raises(DatasetError) as no_table:
        load_dataset(url)
    assert "no table 'no_such_table' in duckdb://" in str(no_table.value.problems[0])
    served = serve_dataset(url)
    assert served.dataset is None
    assert "no_such_table" in str(served.problems[0])


def test_a_malformed_parquet_file_keeps_the_last_good_data_serving(
    parquet_folder, tmp_path, monkeypatch, caplog
):
    folder = tmp_path / "served"
    shutil.copytree(parquet_folder, folder)
    monkeypatch.setenv("ALLIANCES_ENGINE", "duckdb")
    clear_cache()
    good = serve_dataset(folder)
    assert good.dataset is not None
    assert good.dataset.store is not None
    assert not good.stale
    shown = len(query.select(good.dataset, Filters()))
    (folder / "events.parquet").write_bytes(b"PAR1 this is not parquet at all PAR1")
    old = time.time() - 60
    os.utime(folder / "events.parquet", (old, old))  # written a minute ago: not settling
    with caplog.at_level(logging.ERROR, logger="alliances"):
        served = serve_dataset(folder)
    assert served.dataset is good.dataset
    assert served.stale
    report = "\n".join(map(str, served.problems))
    assert "events.parquet" in report or "events" in report
    assert "cannot read" in report
    # the last good version still answers from its rollups
    assert len(query.select(served.dataset, Filters(actors=["RUS"]))) > 0
    assert query.select(served.dataset, Filters()).kpis()["events"] == shown
    with pytest.raises(DatasetError):
        load_dataset(folder)


def test_a_failing_query_says_which_data_could_not_be_read(parquet_folder, tmp_path):
    folder = tmp_path / "vanishing"
    shutil.copytree(parquet_folder, folder)
    clear_cache()
    dataset = load_dataset(folder, engine="duckdb")
    (folder / "events.parquet").unlink()  # the rows are gone; the rollups are not
    with pytest.raises(EngineError, match="could not be read"):
        query.select(dataset, Filters(search="veto")).kpis()


def test_the_page_and_the_log_say_which_table_is_missing(duckdb_file, caplog):
    from alliances.app import create_app

    names = "&".join(
        f"{t}=my_{t}" for t in ("actors", "event_types", "relation_types", "relations")
    )
    clear_cache()
    with caplog.at_level(logging.ERROR, logger="alliances"):
        page = create_app(f"duckdb://{duckdb_file}?events=nope&{names}")
    alert, report = page.main[0].objects[:2]
    assert f"duckdb://{duckdb_file}" in alert.object
    assert "no table &#x27;nope&#x27;" in report.object or "no table 'nope'" in report.object
    assert "no table 'nope'" in caplog.text


def test_alliances_info_takes_a_url_and_the_engine_option(
    duckdb_file, parquet_folder, capsys, monkeypatch
):
    from alliances.cli import main

    monkeypatch.delenv("ALLIANCES_ENGINE", raising=False)
    clear_cache()
    names = "&".join(
        f"{t}=my_{t}" for t in ("actors", "event_types", "relation_types", "relations")
    )
    assert main(["info", f"duckdb://{duckdb_file}?events=gdelt_events&{names}"]) == 0
    from_url = capsys.readouterr().out
    assert main(["info", "--engine", "duckdb", str(parquet_folder)]) == 0
    from_folder = capsys.readouterr().out
    assert os.environ["ALLIANCES_ENGINE"] == "duckdb"
    assert main(["info", "--engine", "memory", str(parquet_folder)]) == 0
    in_memory = capsys.readouterr().out
    # the same counts, span, URL share and events per type whatever the path
    assert from_url.splitlines()[2:] == in_memory.splitlines()[2:]
    assert from_folder.splitlines()[1:] == in_memory.splitlines()[1:]
    assert main(["info", f"duckdb://{duckdb_file}?events=nope&{names}"]) == 1
    assert "no table 'nope'" in capsys.readouterr().out


def test_a_cached_subset_is_dropped_from_the_engine_once_no_query_needs_it(parquet_folder):
    """The store caches subsets (listed events, running totals) as temporary tables that ibis
    drops when they are freed. sqlglot 30.18 and later render ibis 12's DROP TABLE without
    the table's name (pyproject.toml pins below it): every subset stayed in the engine's
    session and each drop logged a traceback."""
    import gc
    import sys

    clear_cache()
    ds = load_dataset(parquet_folder, engine="duckdb", cache=False)
    store = ds.store
    # the events with participants or targets, as the store caches them without rollups
    subset = store.cached(queries.listed(store.facts))
    name = subset.op().name

    def exists() -> bool:
        sql = "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?"
        return store.backend.con.execute(sql, [name]).fetchone()[0] == 1

    assert exists()
    raised = []
    hook, sys.unraisablehook = sys.unraisablehook, raised.append
    try:
        subset = None
        gc.collect()
    finally:
        sys.unraisablehook = hook
    assert raised == []
    assert not exists()


def test_kept_parquet_footers_never_hide_a_rewritten_file(tmp_path):
    """The backend keeps Parquet footers between queries (at 1e8 events they cost 60 ms a
    query to parse), yet a file rewritten in place is read as it now is."""
    import pandas as pd

    from alliances.engine.sources import duckdb_backend

    con = duckdb_backend()
    kept = con.raw_sql("SELECT current_setting('parquet_metadata_cache')").fetchall()
    assert kept == [(True,)]
    path = tmp_path / "part.parquet"
    pd.DataFrame({"n": [1, 2, 3]}).to_parquet(path)
    table = con.read_parquet(str(path))
    assert int(con.execute(table.n.sum())) == 6
    time.sleep(1.1)  # a later modification time, whatever the file system's resolution
    pd.DataFrame({"n": [10, 20]}).to_parquet(path)
    assert int(con.execute(table.n.sum())) == 30


def test_results_arrive_as_ibis_gives_them_with_nulls_in_any_column():
    """:func:`alliances.engine.sources.execute` converts DuckDB's results column by column
    through Arrow; what it gives is what ``backend.execute`` gives, values and types, for
    columns with some, no or only nulls, scalars and columns alike (an ibis release that
    converts otherwise fails here)."""
    import ibis
    import numpy as np
    import pandas as pd

    from alliances.engine.sources import execute

    con = ibis.duckdb.connect()
    frame = pd.DataFrame(
        {
            "i": pd.array([1, None, 3] * 4, dtype="Int32"),
            "s": ["a", None, "<b>O'Brien</b>"] * 4,
            "f": [1.5, None, np.nan] * 4,
            "b": pd.array([True, None, False] * 4, dtype="boolean"),
            "t": pd.to_datetime(["2020-01-01", None, "2021-02-03"] * 4),
            "full": np.arange(12),
        }
    )
    t = con.create_table("x", frame).mutate(none=ibis.null("int32"))
    t = t.mutate(day=t.t.date())
    for expr in [
        t,
        t.filter(t.full < 0),
        t.select("none", "i"),
        t.group_by("s").agg(n=t.count(), top=t.i.max()).order_by("s"),  # rows in one order
        t.i.sum(),
        t.s,
    ]:
        ours, ibis_own = execute(con, expr), con.execute(expr)
        if isinstance(ibis_own, pd.DataFrame):
            assert ours.dtypes.to_dict() == ibis_own.dtypes.to_dict()
            pd.testing.assert_frame_equal(ours, ibis_own)
        elif isinstance(ibis_own, pd.Series):
            pd.testing.assert_series_equal(ours, ibis_own)
        else:
            assert ours == ibis_own
            assert type(ours) is type(ibis_own)


def test_duckdb_spills_into_a_temporary_folder_not_the_working_directory(tmp_path, monkeypatch):
    """DuckDB's own default spills into ``.tmp`` of the working directory: a user's folder
    would fill with files while a large dataset is converted or served."""
    from alliances.engine.sources import duckdb_backend

    def spill_folder() -> Path:
        con = duckdb_backend()
        try:
            ((value,),) = con.raw_sql("SELECT current_setting('temp_directory')").fetchall()
        finally:
            con.disconnect()
        return Path(value)

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ALLIANCES_DUCKDB_TEMP", raising=False)
    default = spill_folder()
    assert default.is_absolute()  # DuckDB's own: '.tmp'
    assert tmp_path not in default.parents
    assert default.parent == Path(tempfile.gettempdir())
    chosen = tmp_path / "scratch space" / "it's here"
    monkeypatch.setenv("ALLIANCES_DUCKDB_TEMP", str(chosen))
    assert spill_folder() == chosen
