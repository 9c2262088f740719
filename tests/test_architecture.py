"""docs/architecture.md's layers are the package's import graph: no import points up."""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "alliances"
DOC = ROOT / "docs" / "architecture.md"
PANEL_HOMES = ("views.", "app", "notebook")
"""Where Panel (or Bokeh) may be imported at a module's top (the doc's table says so)."""


@dataclass(frozen=True)
class Import:
    source: str  # "query", "engine.store", "__init__"
    target: str
    top: bool  # at the module's top, not inside a function
    line: int


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts)  # "__init__", "engine.__init__", "query"


def modules() -> list[str]:
    return sorted(module_name(p) for p in PACKAGE.rglob("*.py"))


def _resolve(source: str, node: ast.ImportFrom) -> list[str]:
    """The package modules an ``from ... import ...`` names (``from . import query`` included).

    ``__version__`` is read from the package's ``__init__``, which Python has loaded before any
    of its modules: not a dependency on the layer of the ``__init__``'s own lazy imports.
    """
    module = node.module or ""
    if node.level:
        package = source.split(".")[:-1]  # "engine.store" -> ["engine"]
        stem = [*package[: len(package) - node.level + 1], *filter(None, module.split("."))]
    elif module.split(".")[0] == "alliances":
        stem = module.split(".")[1:]
    else:
        return []
    known = set(modules())
    found = []
    for alias in node.names:
        if alias.name == "__version__":
            continue
        for candidate in (".".join([*stem, alias.name]), ".".join([*stem, alias.name, "__init__"])):
            if candidate in known:
                found.append(candidate)
                break
        else:
            target = ".".join(stem)
            found.append(target if target in known else ".".join([*stem, "__init__"]))
    return found


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                lines.update(range(inner.lineno, (inner.end_lineno or inner.lineno) + 1))
    return lines


def imports() -> list[Import]:
    out = []
    for path in PACKAGE.rglob("*.py"):
        source = module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _type_checking_lines(tree)
        top_level = {id(n) for n in tree.body}
        for node in ast.walk(tree):
            if node.lineno in skip if hasattr(node, "lineno") else True:
                continue
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom):
                targets = _resolve(source, node)
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]  # third-party, for the Panel rule
            for target in targets:
                out.append(Import(source, target, id(node) in top_level, node.lineno))
    return out


def unit(module: str) -> str:
    """The name a layer lists a module under: ``engine/store``; ``views/`` for a whole package."""
    return module.replace(".", "/")


def layers() -> dict[str, int]:
    """The doc's layers: listed name (``query``, ``views/``, ``engine/store``) -> layer number."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("\n## Layers\n", 1)[1].split("\n## ", 1)[0]
    out = {}
    for number, line in re.findall(r"^(\d+)\. (.+)$", section, re.M):
        for name in re.findall(r"`([^`]+)`", line):
            out[name] = int(number)
    return out


def layer_of(module: str, table: dict[str, int]) -> int | None:
    name = unit(module)
    if name in table:
        return table[name]
    if name.endswith("/__init__") and name[: -len("__init__")] in table:
        return table[name[: -len("__init__")]]
    package = name.split("/")[0] + "/"
    return table.get(package) if "/" in name else None


def allowed_upward() -> set[tuple[str, str]]:
    """The doc's listed function-level imports that point up: (``dataset``, ``engine``)."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("\n## Layers\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^- `([^`]+)` → `([^`]+)`", section, re.M))


def test_every_module_is_in_one_layer():
    table = layers()
    assert table, "docs/architecture.md has no '## Layers' list"
    missing = [m for m in modules() if layer_of(m, table) is None]
    assert missing == [], f"modules the layer list does not name: {missing}"
    listed = {name.rstrip("/") for name in table}
    present = {unit(m) for m in modules()} | {unit(m).split("/")[0] for m in modules()}
    assert listed <= present, f"layers name modules that do not exist: {listed - present}"


def test_no_module_imports_a_layer_above_it():
    table, upward = layers(), allowed_upward()
    wrong = []
    for i in imports():
        if i.target not in modules():
            continue
        here, there = layer_of(i.source, table), layer_of(i.target, table)
        if there is None or here is None or there <= here:
            continue
        pair = (unit(i.source).removesuffix("/__init__"), unit(i.target).split("/")[0])
        if not i.top and pair in upward:
            continue
        where = "at the top" if i.top else "in a function"
        wrong.append(f"{unit(i.source)}.py:{i.line} imports {unit(i.target)} {where} "
                     f"(layer {here} -> {there})")  # fmt: skip
    assert wrong == []


def test_no_two_modules_import_each_other():
    """No cycle, at the top or hidden inside a function, but for the upward imports the page
    lists (the engine builds the Dataset that hands it a large folder)."""
    upward = allowed_upward()
    graph: dict[str, set[str]] = {}
    for i in imports():
        if i.target not in modules() or i.target == i.source:
            continue
        pair = (unit(i.source).removesuffix("/__init__"), unit(i.target).split("/")[0])
        if not i.top and pair in upward:
            continue
        graph.setdefault(i.source, set()).add(i.target)
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in graph.get(node, ()):
            if nxt in path:
                cycles.append(" -> ".join([*path[path.index(nxt) :], nxt]))
            elif len(path) < 12:
                visit(nxt, [*path, nxt])

    for start in graph:
        visit(start, [start])
    assert cycles == []


def test_panel_and_bokeh_are_imported_at_the_top_only_by_the_views_the_app_and_the_notebook():
    outside = sorted(
        f"{unit(i.source)}.py:{i.line}"
        for i in imports()
        if i.top
        and i.target.split(".")[0] in ("panel", "bokeh")
        and not i.source.startswith(PANEL_HOMES)
    )
    assert outside == []


def test_the_checks_see_a_violation():
    """The rules above can fail: a top-level import of the app from the query layer, and a
    function-level import of the views from the dataset, are both reported."""
    table = layers()
    assert layer_of("app", table) > layer_of("query", table)
    assert layer_of("views.base", table) > layer_of("dataset", table)
    assert ("dataset", "views") not in allowed_upward()
    fake = ast.parse("from .app import Dashboard\n")
    assert _resolve("query", fake.body[0]) == ["app"]
    nested = ast.parse("def f():\n    from .views import base\n")
    inner = nested.body[0].body[0]
    assert _resolve("dataset", inner) == ["views.base"]


@pytest.mark.parametrize("name", ["query", "engine/store", "views/", "__init__"])
def test_the_layer_list_names_the_modules_it_is_read_for(name):
    assert name in layers()


MAX_LINES = 450
"""Issue #14: no file outside tests/ much over 400 lines; split by responsibility instead."""


def long_files(limit: int = MAX_LINES) -> list[str]:
    """Python files of the package, the benchmarks (not their output), the reliability tool and
    the dashboards longer than ``limit`` lines, with their lengths."""
    out = []
    for folder in ("src", "benchmarks", "reliability", "dashboards"):
        for here, dirs, files in os.walk(ROOT / folder):
            if Path(here) == ROOT / "benchmarks":
                dirs[:] = [d for d in dirs if d != "out"]  # generated data, other revisions
            for name in sorted(f for f in files if f.endswith(".py")):
                path = Path(here) / name
                lines = len(path.read_text(encoding="utf-8").splitlines())
                if lines > limit:
                    out.append(f"{path.relative_to(ROOT)}: {lines} lines")
    return sorted(out)


def test_no_source_file_outside_the_tests_is_much_over_400_lines():
    assert long_files() == []


def test_the_length_check_sees_a_long_file():
    longest = max(
        len(p.read_text(encoding="utf-8").splitlines()) for p in (ROOT / "src").rglob("*.py")
    )
    assert len(long_files(longest - 1)) >= 1


def test_each_module_of_the_reliability_tool_is_under_300_lines():
    # issue #14: the reliability tool is a package a newcomer reads one module at a time
    lengths = {
        path.name: len(path.read_text(encoding="utf-8").splitlines())
        for path in (ROOT / "reliability").glob("*.py")
    }
    assert "deploy.py" in lengths
    assert {name: n for name, n in lengths.items() if n >= 300} == {}
