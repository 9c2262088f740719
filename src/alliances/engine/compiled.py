"""The SQL of a query whose shape was compiled before, with new values in its places.

ibis compiles an expression in Python: it rewrites the operation graph, then translates it
node by node into a sqlglot tree and prints that. A filter change runs 13 to 30 queries and
compiling them took 200–230 ms of a change (the same at 1e7 and 1e8 events;
docs/performance.md), while they are a few dozen shapes that differ only in the values the
filters put in them: actor codes, days, months, years, type codes.

:class:`Templates` replaces a backend's ``compile`` (:func:`install`): it keys an expression by
its shape (its graph with each *value literal* replaced by the position of its value among
the expression's distinct values) and keeps, per shape, the SQL with a mark where each value
goes. An expression of a known shape gets that SQL with its own values printed by the
compiler's own ``visit_Literal``: printing a literal is 20 µs, compiling a query 5–10 ms.

A value literal is one whose every use is an argument that the compiler prints without
looking at the value (:data:`VALUE_ARGUMENTS`: the two sides of a comparison, the options of
``IN``, the bounds of ``BETWEEN``, ...); any other literal is part of the shape with its
value. A template is checked when made (from a shape's second query): filled with the first
query's values it must give exactly the SQL ibis compiled for the first, else the shape is
compiled every time. With ``CHECK`` set (the tests do), every SQL made from a template is
compared with ibis's.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import NamedTuple

import ibis
import ibis.expr.operations as ops
import sqlglot as sg
import sqlglot.expressions as sge
from ibis.common.graph import Node

log = logging.getLogger("alliances")

VALUE_ARGUMENTS: frozenset[tuple[type, str]] = frozenset(
    [(op, side) for op in (ops.Equals, ops.NotEquals) for side in ("left", "right")]
    + [
        (op, side)
        for op in (ops.Greater, ops.GreaterEqual, ops.Less, ops.LessEqual)
        for side in ("left", "right")
    ]
    + [(op, side) for op in (ops.Add, ops.Subtract, ops.Multiply) for side in ("left", "right")]
    + [
        (ops.InValues, "options"),
        (ops.Between, "lower_bound"),
        (ops.Between, "upper_bound"),
        (ops.Greatest, "arg"),
        (ops.Least, "arg"),
        (ops.ArrayIndex, "arg"),  # the array; its index is printed by value (DuckDB: 1-based)
        (ops.StringContains, "needle"),  # a substring (position, strpos, instr, ...)
        (ops.RegexSearch, "pattern"),  # the focused actors in a list (regexp_matches, rlike, ...)
    ]
)
"""The arguments (operation, argument name) a literal in which is a value of the query:
every SQL compiler of ibis prints them as the literal's own SQL, whatever the value. (The
options of an ``IN`` that are all literals are one value: the list, whatever its length.)"""

COMPARISONS = frozenset(
    (ops.Equals, ops.NotEquals, ops.Greater, ops.GreaterEqual, ops.Less, ops.LessEqual, ops.Between)
)
"""Operations whose result is a boolean whatever the width of an integer literal in them: a
literal used only there is keyed by its kind (an integer), not its inferred width."""

CHECK = False
"""Compare every SQL made from a template with ibis's own compilation (tests)."""

SIZE = 512
"""Shapes kept per backend (a dashboard's queries come in a few dozen; ``IN`` lists of each
length are shapes of their own)."""

GENERATED = re.compile(r"ibis_[a-z]+_[a-z2-7]{26}")
"""The name ibis gives a table it makes (``expr.cache()``: ``ibis_cached_...``): a selection's
cached tables are new each time, their queries' shapes are not."""

_MARK = "__alliances_value_{}__"
_MARKS = re.compile(r"__alliances_value_(\d+)__")


class Template(NamedTuple):
    """A shape's SQL: the texts between the values, the position of each value, and the names
    of the generated tables it was made with."""

    texts: list[str]
    positions: list[int]
    tables: list[str]


class First(NamedTuple):
    """The first query of a shape: its values, generated tables and SQL (ibis's)."""

    values: list
    tables: list[str]
    sql: str


class TemplateMismatch(AssertionError):
    """With :data:`CHECK`, SQL made from a template differed from ibis's."""


def _items(arg) -> tuple:
    if isinstance(arg, Node):
        return (arg,)
    if isinstance(arg, tuple):
        return arg
    if isinstance(arg, Mapping):
        return tuple(arg.values())
    return ()


class Shape:
    """An expression's shape (:attr:`key`) and its value literals (:attr:`values`, distinct,
    in the order of their first use; :attr:`marks` maps each literal object to its position;
    :attr:`tables` the names of the tables ibis made that it reads, :data:`GENERATED`)."""

    __slots__ = ("key", "marks", "tables", "values")

    def __init__(self, root: Node):
        order: list[Node] = []
        seen: dict[int, int] = {}
        fixed: set[Node] = set()  # literals some use of which prints their value
        typed: set[Node] = set()  # literals whose type some use depends on
        stack: list[tuple[Node, bool]] = [(root, False)]
        while stack:  # post-order, each object once
            node, done = stack.pop()
            if done:
                seen[id(node)] = len(order)
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen[id(node)] = -1
            stack.append((node, True))
            kind = type(node)
            for name, arg in zip(node.__argnames__, node.__args__, strict=True):
                if kind is ops.InValues and name == "options" and _values_list(arg):
                    continue  # one value: the list (:meth:`Marking.visit_InValues`)
                for child in _items(arg):
                    if not isinstance(child, Node):
                        continue
                    if isinstance(child, ops.Literal):
                        if (kind, name) not in VALUE_ARGUMENTS:
                            fixed.add(child)
                        elif kind not in COMPARISONS:
                            typed.add(child)
                    if seen.get(id(child)) is None:
                        stack.append((child, False))
        values: dict[Node | tuple, int] = {}
        marks: dict[int, int] = {}
        key: list[tuple] = []
        tables: dict[str, int] = {}
        for node in order:
            if isinstance(node, ops.DatabaseTable) and GENERATED.fullmatch(node.name):
                position = tables.setdefault(node.name, len(tables))
                key.append((ops.DatabaseTable, position, node.schema, node.namespace))
            elif isinstance(node, ops.Literal) and node not in fixed:
                position = marks[id(node)] = values.setdefault(node, len(values))
                dtype = node.dtype if node in typed or not node.dtype.is_integer() else int
                key.append((ops.Literal, dtype, position))
            elif isinstance(node, ops.InValues) and _values_list(node.options):
                position = values.setdefault(node.options, len(values))
                key.append((ops.InValues, seen[id(node.value)], position))
            else:
                key.append((type(node), *(_encoded(arg, seen) for arg in node.__args__)))
        for node in order:  # an option equal to a value elsewhere may be the one translated
            if isinstance(node, ops.InValues) and _values_list(node.options):
                for option in node.options:
                    if (position := values.get(option)) is not None:
                        marks[id(option)] = position
        self.key = (ibis.options.sql.fuse_selects, tuple(key))
        self.values = list(values)
        self.marks = marks
        self.tables = list(tables)


def _values_list(options) -> bool:
    """Whether the options of an ``IN`` are literals, printed as one value (a list)."""
    return bool(options) and all(isinstance(option, ops.Literal) for option in options)


def _encoded(arg, seen: dict[int, int]):
    if isinstance(arg, Node):
        return ("#", seen[id(arg)])
    if isinstance(arg, tuple):
        return tuple(_encoded(a, seen) for a in arg)
    if isinstance(arg, Mapping):
        return tuple((k, _encoded(v, seen)) for k, v in arg.items())
    return arg


class Templates:
    """A backend's ``compile`` that reuses the SQL of shapes it compiled before.

    The first query of a shape is compiled by ibis, as without templates (most of an actor
    change's shapes are new: their lists of pairs differ). The second is compiled with marks,
    and the template is kept only if, filled with the first query's values, it gives the
    SQL ibis compiled for the first: a check across two sets of values, at no extra compile.
    From the third on, a query's SQL is its template filled.
    """

    def __init__(self, backend, compile_):
        self.backend = backend
        self.compile_ = compile_  # ibis's, bound to the backend
        self.shapes: OrderedDict[tuple, Template | First | None] = OrderedDict()
        self.printed: dict[Node, str] = {}
        self.lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __call__(self, expr, /, *, limit=None, params=None, pretty=False, **kwargs) -> str:
        if limit is not None or params or pretty or kwargs:
            return self.compile_(expr, limit=limit, params=params, pretty=pretty, **kwargs)
        try:
            shape = Shape(expr.op())
            with self.lock:
                known = self.shapes.get(shape.key, False)
                if known is not False:
                    self.shapes.move_to_end(shape.key)
        except TypeError:  # an argument that cannot be hashed: compile as it is
            return self.compile_(expr)
        if known is None:
            return self.compile_(expr)
        if isinstance(known, Template):
            with self.lock:
                self.hits += 1
            return self._checked(expr, self._fill(known, shape.values, shape.tables))
        with self.lock:
            self.misses += 1
        if known is False:
            sql = self.compile_(expr)
            self._keep(shape.key, First(shape.values, shape.tables, sql))
            return sql
        return self._make(expr, shape, known)

    def _checked(self, expr, sql: str) -> str:
        """``sql``, made from a template; with :data:`CHECK`, compared with ibis's first."""
        if CHECK and sql != (expected := self.compile_(expr)):
            raise TemplateMismatch(f"template gave\n{sql}\nibis compiles\n{expected}")
        return sql

    def _keep(self, key: tuple, known: Template | First | None) -> None:
        with self.lock:
            self.shapes[key] = known
            while len(self.shapes) > SIZE:
                self.shapes.popitem(last=False)

    def _fill(self, template: Template, values: list, tables: list[str]) -> str:
        texts, positions, made_with = template
        printed = [
            ", ".join(map(self._print, value)) if isinstance(value, tuple) else self._print(value)
            for value in values
        ]
        out = [texts[0]]
        for position, text in zip(positions, texts[1:], strict=True):
            out.append(printed[position])
            out.append(text)
        sql = "".join(out)
        for old, new in zip(made_with, tables, strict=True):
            if old != new:
                sql = sql.replace(old, new)
        return sql

    def _print(self, literal: ops.Literal) -> str:
        text = self.printed.get(literal)
        if text is None:
            compiler = self.backend.compiler
            tree = compiler.visit_Literal(literal, value=literal.value, dtype=literal.dtype)
            text = tree.sql(dialect=self.backend.dialect, unsupported_level=sg.ErrorLevel.RAISE)
            if len(self.printed) > 20_000:
                self.printed.clear()
            self.printed[literal] = text
        return text

    def _make(self, expr, shape: Shape, first: First) -> str:
        """The SQL of ``expr``, the second query of its shape, from the shape's template if
        the template gives the ``first`` query's SQL with its values; else ibis's."""
        try:
            lists = {value: i for i, value in enumerate(shape.values) if isinstance(value, tuple)}
            marked = _marked_sql(self.backend, expr, shape.marks, lists)
            texts = _MARKS.split(marked)
            template = Template(texts[0::2], [int(p) for p in texts[1::2]], shape.tables)
            if self._fill(template, first.values, first.tables) != first.sql:
                log.debug("no template for a query: its SQL depends on its values\n%s", first.sql)
                template = None
        except Exception:  # a compiler that does not print a mark where a value goes
            log.debug("no template for a query", exc_info=True)
            template = None
        self._keep(shape.key, template)
        if template is None:
            return self.compile_(expr)
        return self._checked(expr, self._fill(template, shape.values, shape.tables))


def _marked_sql(backend, expr, marks: dict[int, int], lists: dict[tuple, int]) -> str:
    """``expr`` compiled with a mark in place of each value (``marks``: the literal objects'
    ids and positions; ``lists``: the options of an ``IN`` and their positions), by a compiler
    of the backend's own class."""
    compiler = _marking(type(backend.compiler))()
    compiler.marks = marks
    compiler.lists = lists
    query = compiler.to_sqlglot(expr)
    return query.sql(
        dialect=backend.dialect, pretty=False, copy=False, unsupported_level=sg.ErrorLevel.RAISE
    )


_MARKING: dict[type, type] = {}


def _marking(base: type) -> type:
    """A subclass of the compiler class ``base`` that prints a mark for the value literals."""
    marking = _MARKING.get(base)
    if marking is None:

        class Marking(base):
            marks: dict[int, int]
            lists: dict[tuple, int]

            def visit_Literal(self, op, *, value, dtype):
                position = self.marks.get(id(op))
                if position is None:
                    return super().visit_Literal(op, value=value, dtype=dtype)
                return sge.Var(this=_MARK.format(position))

            def visit_InValues(self, op, *, value, options):
                # by its options: a rewrite before translation may have made a new ``IN``
                position = self.lists.get(op.options)
                if position is None:
                    return super().visit_InValues(op, value=value, options=options)
                return value.isin(sge.Var(this=_MARK.format(position)))

        marking = _MARKING[base] = Marking
    return marking


def install(backend) -> Templates | None:
    """Give ``backend`` (an ibis SQL backend) a :class:`Templates` compile, once; its
    templates, or ``None`` for a backend that does not compile to SQL."""
    current = getattr(backend, "compile", None)
    if isinstance(current, Templates):
        return current
    if current is None or getattr(backend, "compiler", None) is None:
        return None
    templates = Templates(backend, current)
    backend.compile = templates
    if getattr(backend, "name", None) == "duckdb":
        backend._create_cached_table = _CachedByTemplate(backend, templates)
    return templates


class _CachedByTemplate:
    """DuckDB's ``expr.cache()`` with the query's SQL from the templates: ibis's own (the
    backend's ``create_table``) compiles it anew every time, a third of caching a selection's
    few rows, then asks DuckDB for the schema it already knows. The table is made as ibis
    makes it (a temporary table of the expression's schema, then ``INSERT ... SELECT``) and
    released by ibis as before (``_drop_cached_table`` when no expression holds it).
    ``tests/test_engine_compiled.py`` notices an ibis whose cache no longer comes this way."""

    def __init__(self, backend, templates: Templates):
        self.backend = backend
        self.templates = templates

    def __call__(self, name: str, expr: ibis.Table) -> ibis.Table:
        backend = self.backend
        backend._run_pre_execute_hooks(expr)  # memtables registered, as on execution
        schema, dialect, quoted = expr.schema(), backend.dialect, backend.compiler.quoted
        target = sg.table(name, catalog="temp", db="main", quoted=quoted)
        columns = sge.Schema(this=target, expressions=schema.to_sqlglot_column_defs(dialect))
        temporary = sge.Properties(expressions=[sge.TemporaryProperty()])
        backend.raw_sql(sge.Create(kind="TABLE", this=columns, properties=temporary).sql(dialect))
        names = ", ".join(sg.to_identifier(c, quoted=quoted).sql(dialect) for c in schema.names)
        try:
            backend.raw_sql(f"INSERT INTO {target.sql(dialect)} ({names}) {self.templates(expr)}")
        except Exception:
            backend.raw_sql(sge.Drop(kind="TABLE", this=target, exists=True).sql(dialect))
            raise
        namespace = ops.Namespace(catalog="temp", database="main")
        return ops.DatabaseTable(name, schema=schema, source=backend, namespace=namespace).to_expr()


def templates_of(backend) -> Templates | None:
    current = getattr(backend, "compile", None)
    return current if isinstance(current, Templates) else None


__all__ = ["CHECK", "Shape", "TemplateMismatch", "Templates", "install", "templates_of"]
