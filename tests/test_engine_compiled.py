"""The SQL of a known query shape with new values (:mod:`alliances.engine.compiled`): always what
ibis itself compiles, and what the engine answers is the same.

The differential tests (``test_engine.py``, ``test_engine_spark.py``) run every dashboard query
with ``compiled.CHECK`` on, which compares each SQL made from a template with ibis's.
"""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd
import pytest

from alliances.engine import compiled


@pytest.fixture
def backend():
    con = ibis.duckdb.connect()
    frame = pd.DataFrame(
        {
            "a": [1, 2, 3, 300, -5],
            "b": [4, 5, 6, 7, 8],
            "name": ["Seoul", "O'Brien", "<script>alert(1)</script>", "Kyiv", None],
            "day": pd.to_datetime(["2020-01-01", "2021-06-30", "2022-02-24", "2023-01-01", None]),
        }
    )
    con.create_table("t", frame)
    templates = compiled.install(con)
    assert templates is not None
    yield con
    con.disconnect()


def _plain(con, expr) -> str:
    return compiled.templates_of(con).compile_(expr)


def _queries(t):
    """The same four shapes with many values: comparisons, ``IN`` lists of any length, bounds,
    arithmetic, strings that need escaping, dates. (Integers in arithmetic keep their inferred
    width in the shape: these all fit in int8.)"""
    for low, high, chosen, name in [
        (1, 3, [4, 5], "Seoul"),
        (2, 100, [4], "O'Brien"),
        (-5, 0, [8, 7, 6, 5, 4], "<script>alert(1)</script>"),
        (100, 100, [6, 4, 6], "x'; DROP TABLE t; --"),
    ]:
        yield t.filter((t.a >= low) & (t.a <= high) | t.b.isin(chosen)).select("a", "b")
        yield t.filter(t.a.between(low, high) & (t.name == name)).count()
        yield t.filter(t.b != low).select(shifted=t.a - low, top=ibis.greatest(t.b, high))
        yield t.filter(t.day >= dt.datetime(2020 + (high % 3), 1, 1)).a.sum()


def test_each_value_of_a_known_shape_is_in_its_place(backend):
    t = backend.table("t")
    templates = compiled.templates_of(backend)
    for expr in _queries(t):
        sql = backend.compile(expr)
        assert sql == _plain(backend, expr)
        expected = backend.con.sql(_plain(backend, expr)).df()
        assert backend.con.sql(sql).df().equals(expected)
    # Four shapes (the lists' lengths are not part of a shape), compiled by ibis for their
    # first two queries; the last round's equal bounds (100, 100) make three shapes of their
    # own (which values are equal decides what ibis merges), each met once.
    assert (templates.misses, templates.hits) == (4 * 2 + 3, 3 + 2)
    assert sum(isinstance(known, compiled.Template) for known in templates.shapes.values()) == 4
    assert None not in templates.shapes.values()


def test_values_the_compiler_reads_are_part_of_the_shape(backend):
    """DuckDB prints a literal array index one higher (1-based), and the equality of two values
    decides what ibis merges: neither may be taken from another expression's template."""
    t = backend.table("t")
    flags = ibis.literal([True, False, True], type="array<boolean>")
    for index in (0, 1, 2, 0):
        expr = t.select(flag=flags[index], a=t.a)
        assert backend.compile(expr) == _plain(backend, expr)
    same, different = t.filter((t.a == 2) & (t.b == 2)), t.filter((t.a == 2) & (t.b == 3))
    assert compiled.Shape(same.op()).key != compiled.Shape(different.op()).key
    for expr in (same, different, t.filter((t.a == 7) & (t.b == 7))):
        assert backend.compile(expr) == _plain(backend, expr)


def test_a_new_cached_table_reuses_the_shape_of_the_last_one(backend):
    t = backend.table("t")
    names = []
    for low in (1, 2, 3):
        cached = t.filter(t.a > low).cache()
        expr = cached.filter(cached.b < 10).count()
        names.append(cached.op().name)
        assert backend.compile(expr) == _plain(backend, expr)
        assert names[-1] in backend.compile(expr)
        assert int(backend.execute(expr)) == int((pd.Series([1, 2, 3, 300, -5]) > low).sum())
    assert len(set(names)) == 3
    # the cache's own query, and the count as compiled and as executed (a table of one
    # row): three shapes, whatever the table's name
    assert len(compiled.templates_of(backend).shapes) == 3


def test_cached_tables_are_made_from_templates_and_released_as_ibis_releases_them(backend):
    """``expr.cache()`` gets its query's SQL from the templates (ibis's own ``create_table``
    compiles it every time): the third cache of a shape is a template filled, its rows and
    column types those ibis caches, and the table is dropped once nothing holds it."""
    import gc

    t = backend.table("t")
    templates = compiled.templates_of(backend)

    def temporary() -> set[str]:
        rows = backend.con.sql("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()
        return {name for (name,) in rows}

    for low in (1, 2, 3, 4):
        hits = templates.hits
        cached = t.filter(t.a > low).select("a", "name", "day", doubled=t.b * 2).cache()
        # the shape's first two were compiled by ibis, the template made from the second
        assert templates.hits == hits + (low >= 3)
        assert cached.op().name in temporary()
        assert cached.schema() == t.select("a", "name", "day", doubled=t.b * 2).schema()
        got = backend.execute(cached.order_by("a"))
        want = backend.execute(t.filter(t.a > low).select("a", "name", "day", doubled=t.b * 2))
        pd.testing.assert_frame_equal(got, want.sort_values("a").reset_index(drop=True))
        name = cached.op().name
        del cached
        gc.collect()
        assert name not in temporary()


def test_ibis_runs_its_queries_through_the_installed_compile(backend):
    """If an ibis release stops calling the backend's ``compile`` to execute, the templates are
    never used: this notices."""
    t = backend.table("t")
    templates = compiled.templates_of(backend)
    for low in (1, 2, 3):
        assert int(backend.execute(t.filter(t.a > low).count())) == sum(
            a > low for a in [1, 2, 3, 300, -5]
        )
    # ibis compiles the first two queries of a shape (the template is made from the second)
    assert (templates.misses, templates.hits) == (2, 1)
    assert compiled.install(backend) is templates  # once per backend


def test_check_mode_notices_a_template_that_does_not_give_ibis_sql(backend, monkeypatch):
    t = backend.table("t")
    backend.compile(t.filter(t.a > 1))
    backend.compile(t.filter(t.a > 2))
    templates = compiled.templates_of(backend)
    ((key, template),) = templates.shapes.items()
    assert isinstance(template, compiled.Template)
    templates.shapes[key] = template._replace(texts=[template.texts[0] + " ", *template.texts[1:]])
    monkeypatch.setattr(compiled, "CHECK", True)
    with pytest.raises(compiled.TemplateMismatch):
        backend.compile(t.filter(t.a > 3))


def test_a_template_that_misplaces_a_value_is_not_kept(backend, monkeypatch):
    """Were a value the compiler reads taken for a value it only prints (here DuckDB's array
    index, printed one higher), the template made from the second query would not give the
    first query's SQL: the shape is then compiled by ibis every time."""
    misread = compiled.VALUE_ARGUMENTS | {(ibis.expr.operations.ArrayIndex, "index")}
    monkeypatch.setattr(compiled, "VALUE_ARGUMENTS", misread)
    t = backend.table("t")
    flags = ibis.literal([True, False, True], type="array<boolean>")
    exprs = [t.select(flag=flags[index], a=t.a) for index in (0, 1, 2)]
    assert len({compiled.Shape(expr.op()).key for expr in exprs}) == 1
    for expr in exprs:
        assert backend.compile(expr) == _plain(backend, expr)
    assert list(compiled.templates_of(backend).shapes.values()) == [None]
    assert compiled.templates_of(backend).hits == 0


class _Dialect:
    """A backend's compile without a connection: a dialect's compiler, as an ibis SQL backend
    compiles (no server: the engines the docs connect to are not in the tests)."""

    def __init__(self, name: str):
        import ibis.backends.sql.compilers as compilers

        self.compiler = getattr(compilers, name).compiler
        self.dialect = self.compiler.dialect

    def compile(self, expr, /, *, limit=None, params=None, pretty=False) -> str:
        query = self.compiler.to_sqlglot(expr, limit=limit, params=params)
        return query.sql(dialect=self.dialect, pretty=pretty)


@pytest.mark.parametrize("dialect", ["pyspark", "bigquery", "clickhouse", "trino"])
def test_every_dialect_gets_from_a_template_what_its_compiler_prints(dialect, monkeypatch):
    """The engines of docs/engine.md print values their own way (quotes, dates, lists): a
    template filled with new values gives each dialect's own SQL, checked query by query."""
    monkeypatch.setattr(compiled, "CHECK", True)
    backend = _Dialect(dialect)
    templates = compiled.install(backend)
    t = ibis.table(
        {"a": "int32", "b": "int32", "name": "string", "day": "timestamp"}, name="events"
    )
    for expr in _queries(t):
        backend.compile(expr)
    assert (templates.misses, templates.hits) == (4 * 2 + 3, 3 + 2)  # as on DuckDB, above
    assert None not in templates.shapes.values()
