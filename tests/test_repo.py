"""The repository keeps its promises: lint clean, and CI runs exactly the README's command."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_ruff_check_is_clean():
    result = _ruff("check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean():
    result = _ruff("format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def _readme_block_after(heading_text: str) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index(heading_text)
    block = re.search(r"```(?:sh|bash|console)?\n(.*?)```", readme[start:], re.S)
    assert block, f"no code block after {heading_text!r} in README.md"
    return block.group(1).strip()


def test_ci_runs_the_readme_test_command_verbatim():
    command = _readme_block_after("<!-- test-command -->")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    lines = [ln for ln in ci.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    assert command in lines, f".ci/run does not run the README's test command:\n{command}"
    # ... in a virtual environment of its own, made just before: a dependency that only the
    # CI machine's Python happens to have must not hide a gap in pyproject.toml
    before = lines[: lines.index(command)]
    assert any(re.search(r"python3? -m venv ", ln) for ln in before), before
    assert any(re.search(r"^(source|\.) .*/bin/activate", ln) for ln in before), before
    assert "chromium" in command
    assert "pytest" in command
