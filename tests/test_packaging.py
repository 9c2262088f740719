"""Packaging and docs: dependencies declared once, the format documented, a wheel that works."""

from __future__ import annotations

import importlib.util
import os
import re
import site
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from alliances import schema
from alliances.dataset import load_dataset
from unit_helpers import summary_values

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "data" / "README.md"
DATA_FILES = sorted(t.filename for t in schema.TABLES.values())


def requirement_bounds(requirements: list[str]) -> dict[str, str]:
    """``{"pandas": ">=3.0", "sqlglot": "<30.18,>=23.4", ...}``: each requirement's version
    range by normalised name (a pip extra such as ``ibis-framework[duckdb]`` counts as its
    package); every one must pin a lower bound."""
    bounds = {}
    for text in requirements:
        requirement = Requirement(text.strip())
        lower = [s for s in requirement.specifier if s.operator == ">="]
        assert lower, f"no lower bound: {text!r}"
        bounds[canonicalize_name(requirement.name)] = str(requirement.specifier)
    return bounds


def test_environment_yml_lists_the_runtime_dependencies_of_pyproject():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = requirement_bounds(pyproject["project"]["dependencies"])

    conda = []
    text = (ROOT / "environment.yml").read_text(encoding="utf-8")
    for line in text.split("\ndependencies:\n")[1].splitlines():
        match = re.fullmatch(r"  - ([^\s#:]+)\s*(?:#.*)?", line)  # top-level entries only
        if match and not match[1].startswith(("python", "pip")):
            conda.append(match[1])
    assert "pandera>=0.24" in conda  # the parser found the list
    assert requirement_bounds(conda) == declared


def readme_sections() -> dict[str, str]:
    """Second-level sections of data/README.md by heading."""
    parts = re.split(r"^## (.+)$", README.read_text(encoding="utf-8"), flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def column_rows(section: str) -> list[tuple[list[str], str]]:
    """(column names, 'required' cell) of each row of the section's `| column |` table."""
    rows, inside = [], False
    for line in section.splitlines():
        if line.startswith("| column |"):
            inside = True
        elif inside and line.startswith("|---"):
            continue
        elif inside and line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows.append((re.findall(r"`([^`]+)`", cells[0]), cells[1]))
        elif inside:
            break
    return rows


@pytest.mark.parametrize("table", list(schema.TABLES.values()), ids=lambda t: t.name)
def test_readme_documents_every_column(table):
    sections = [text for heading, text in readme_sections().items() if table.filename in heading]
    assert len(sections) == 1, f"no section of data/README.md is about {table.filename}"
    rows = column_rows(sections[0])
    documented = {name for names, _ in rows for name in names}
    missing = [c for c in table.columns if c not in documented]
    assert missing == [], f"undocumented columns of {table.filename}: {missing}"

    for names, required in rows:
        if len(names) == 1 and names[0] in table.columns:
            is_required = required.startswith("yes")
            assert is_required == table.field(names[0]).required, (table.name, names[0], required)


def test_readme_documents_no_column_that_does_not_exist():
    for heading, text in readme_sections().items():
        tables = [t for t in schema.TABLES.values() if t.filename in heading]
        for names, _ in column_rows(text):
            for name in names:
                assert any(name in t.columns for t in tables), (heading, name)


def test_readme_scores_are_those_of_the_bundled_event_types():
    text = readme_sections()["`event_types.csv` and `relation_types.csv`"]
    documented = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0].startswith("`"):
            for id_cell, cameo_cell, score_cell in (cells[:3], cells[3:]):
                cameo = cameo_cell.split()[0]
                documented[id_cell.strip("`")] = (
                    cameo if cameo.isdigit() else "",
                    float(score_cell.replace("−", "-")),
                )
    assert len(documented) == 14

    bundled = pd.read_csv(ROOT / "data" / "event_types.csv", dtype=str, keep_default_na=False)
    actual = {
        row.id: (row.cameo, float(row.score))
        for row in bundled.itertuples()
        if row.id in documented
    }
    assert actual == documented


def test_readme_polarities_are_those_of_the_bundled_relation_types():
    text = README.read_text(encoding="utf-8")
    paragraph = text.split("The bundled relation types:")[1].split("See the")[0]
    bundled = pd.read_csv(ROOT / "data" / "relation_types.csv", dtype=str)
    polarity = dict(zip(bundled["id"], bundled["polarity"].astype(int), strict=True))
    signs = {"(+1)": 1, "(0)": 0, "(−1)": -1}
    mentioned = set()
    for clause in paragraph.split(";"):
        ids = re.findall(r"`([a-z_]+)`", clause)
        mentioned.update(ids)
        stated = [v for k, v in signs.items() if k in clause]
        for relation_type in ids:
            assert relation_type in polarity, relation_type
            if stated:
                assert polarity[relation_type] == stated[0], relation_type
    assert mentioned == set(polarity)


# --------------------------------------------------------------------------- a real install


def run(*args: str | Path, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("ALLIANCES_DATA", "PYTHONPATH")}
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def borrow_dependencies(python: Path) -> None:
    """Let the venv of ``python`` import this interpreter's packages, without its own install.

    ``venv --system-site-packages`` would not do: run from inside a virtual environment (as CI
    and the README run the tests) it links the base interpreter, which has none of them. A
    ``.pth`` line adds a folder to ``sys.path`` but runs no ``.pth`` file inside it, so this
    checkout's editable install stays out and the wheel's copy is the one imported.
    """
    target = run(
        python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=ROOT
    )
    folders = dict.fromkeys([*site.getsitepackages(), sysconfig.get_paths()["purelib"]])
    Path(target.stdout.strip(), "borrowed-dependencies.pth").write_text(
        "".join(f"{folder}\n" for folder in folders), encoding="utf-8"
    )


@pytest.mark.slow
def test_a_wheel_installs_and_runs_from_anywhere(tmp_path):
    """pip install of a built wheel (not editable): the bundled data ships inside the package."""
    wheels = tmp_path / "wheels"
    build = [sys.executable, "-m", "pip", "wheel", ROOT, "--no-deps", "-q", "-w", wheels]
    if importlib.util.find_spec("hatchling") is not None:
        build.append("--no-build-isolation")
    result = run(*build, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr
    (wheel,) = wheels.glob("alliances-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for filename in [*DATA_FILES, "README.md"]:
        assert f"alliances/data/{filename}" in names
    assert "alliances/cli.py" in names
    # what alliances serve runs: the app, and the start-up script that warms it
    assert {"alliances/dashboards/alliances_app.py", "alliances/dashboards/warm_up.py"} <= names

    venv = tmp_path / "venv"
    python, script = venv / "bin" / "python", venv / "bin" / "alliances"
    run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    borrow_dependencies(python)
    install = [python, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", wheel]
    result = run(*install, cwd=tmp_path)
    assert result.returncode == 0, result.stderr

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = "import alliances; print(alliances.__file__); print(alliances.bundled_path())"
    result = run(python, "-c", where, cwd=elsewhere)
    module, data = (Path(line) for line in result.stdout.splitlines())
    assert module.is_relative_to(venv), module  # not the checkout's src/
    assert data == module.parent / "data"
    assert sorted(p.name for p in data.glob("*.csv")) == DATA_FILES

    result = run(script, "validate", cwd=elsewhere)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr.strip() == f"{data.resolve()}: valid"

    result = run(script, "info", cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    info = summary_values(result.stdout)
    assert info["dataset"] == str(data.resolve())
    counts = load_dataset(ROOT / "data").counts()
    for table in ("actors", "relations", "events"):
        assert info[table] == str(counts[table])
