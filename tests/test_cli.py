"""The `alliances` command, run as a real process: reports, exit codes, and never a traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from alliances.cli import main
from unit_helpers import summary_values

FIXTURES = Path(__file__).parent / "fixtures"
SMALL = FIXTURES / "small"
DOZEN = FIXTURES / "dozen"
PROBLEM_LINE = re.compile(
    r"^(?:actors|event_types|relation_types|relations|events)\.csv:\d+: \S+: "
)

NOT_A_DATE = "not a date: use YYYY, YYYY-MM or YYYY-MM-DD (a real day, years 1800-2100)"

# The dozen is the small dataset with these mistakes (compare the two folders file by file).
DOZEN_REPORT = [
    "relations.csv:4: confidence: must be one of confirmed, reported, estimated, disputed: 'sure'",
    "relations.csv:6: actor_b: actor_b is the same actor as actor_a: 'USA'",
    "relations.csv:6: directed: not a boolean: use true or false: 'maybe'",
    "events.csv:4: event_id: duplicate id (first on line 2): 'e1'",
    "events.csv:4: relation_id: unknown relation id: 'rel-nope'",
    "events.csv:4: source_name: required value is empty",
    f"events.csv:5: date: {NOT_A_DATE}: '2024-02-30'",
    "events.csv:5: magnitude: not a number: '7 000'",
    "events.csv:6: actor_2: unknown actor id: 'XXX'",
    "events.csv:6: participants: unknown actor id in the list: 'CHN;ZZZ'",
    "events.csv:6: source_url: not a web address: source_url must start with http:// or https://: "
    "'javascript:alert(1)'",
    "events.csv:7: event_type: unknown event_type id: 'arms_deal'",
    "events.csv:8: end_date: end_date is before date: '2024-05-15'",
]


def alliances(
    *args: str | Path, cwd: Path | None = None, **env: str
) -> subprocess.CompletedProcess:
    """Run ``python -m alliances.cli ARGS`` in a fresh process."""
    environ = {k: v for k, v in os.environ.items() if k != "ALLIANCES_DATA"}
    environ.update(env)
    result = subprocess.run(
        [sys.executable, "-m", "alliances.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environ,
        timeout=120,
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout, result.stdout
    return result


# --------------------------------------------------------------------------- validate


def test_validate_a_valid_folder_exits_0():
    result = alliances("validate", SMALL)
    assert result.returncode == 0
    assert result.stdout == ""
    assert result.stderr.strip() == f"{SMALL.resolve()}: valid"


def test_validate_quiet_prints_nothing():
    result = alliances("validate", "-q", SMALL)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_validate_the_dozen_prints_one_line_per_problem_and_exits_1():
    result = alliances("validate", DOZEN)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert all(PROBLEM_LINE.match(line) for line in lines), lines
    locations = {tuple(line.split(": ", 2)[:2]) for line in lines}  # (FILE:LINE, COLUMN)
    assert len(locations) >= 12
    assert lines == DOZEN_REPORT
    assert result.stderr.strip() == f"13 problem(s) in {DOZEN.resolve()}"


def test_validate_a_missing_folder_is_a_usage_error(tmp_path):
    result = alliances("validate", tmp_path / "nowhere")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("usage: alliances validate")
    assert f"no such folder: {tmp_path / 'nowhere'}" in result.stderr


def test_validate_a_file_is_a_usage_error():
    result = alliances("validate", SMALL / "events.csv")
    assert result.returncode == 2
    assert result.stderr.startswith("usage: alliances validate")
    assert "not a folder" in result.stderr
    assert "give the folder holding the CSV files" in result.stderr


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        b'event_id,date\n"e1,2024\n',
        "event_id,titre\ne1,Été\n".encode("latin-1"),
    ],
    ids=["empty", "binary", "unclosed-quote", "latin-1"],
)
def test_validate_never_shows_a_traceback_for_a_broken_file(small_copy, data):
    (small_copy / "events.csv").write_bytes(data)
    result = alliances("validate", small_copy)
    assert result.returncode == 1
    assert result.stdout.startswith("events.csv:")
    assert all(PROBLEM_LINE.match(line) for line in result.stdout.splitlines())


def test_validate_uses_alliances_data():
    result = alliances("validate", ALLIANCES_DATA=str(DOZEN))
    assert result.returncode == 1
    assert result.stdout.splitlines() == DOZEN_REPORT


def test_validate_without_argument_checks_the_bundled_data():
    result = alliances("validate")
    assert result.returncode == 0, result.stdout
    assert result.stderr.strip().endswith(": valid")


# --------------------------------------------------------------------------- info


def test_info_prints_counts_and_date_span():
    result = alliances("info", SMALL)
    assert result.returncode == 0
    info = summary_values(result.stdout)
    assert next(iter(info)) == "dataset"
    assert info["dataset"] == str(SMALL.resolve())
    assert (info["actors"], info["relations"], info["events"]) == ("7", "5", "6")
    assert (info["event types"], info["relation types"]) == ("16", "11")
    assert info["date span"] == "1953-10-01 to 2024-06-19"
    assert info["source URLs"] == "relations 20%, events 33%"
    assert info["  Arms or munitions transfer"] == "2"  # labels, not type ids
    assert "  arms_transfer" not in info


def test_info_on_an_invalid_folder_prints_the_report_and_exits_1():
    result = alliances("info", DOZEN)
    assert result.returncode == 1
    assert result.stdout.splitlines() == DOZEN_REPORT
    assert "13 problem(s)" in result.stderr
    assert "alliances validate" in result.stderr


def test_info_on_a_missing_folder_is_a_usage_error(tmp_path):
    result = alliances("info", tmp_path / "nowhere")
    assert result.returncode == 2
    assert result.stderr.startswith("usage: alliances info")


def test_info_when_alliances_data_names_no_folder(tmp_path):
    result = alliances("info", ALLIANCES_DATA=str(tmp_path / "nowhere"))
    assert result.returncode == 1
    assert (
        result.stderr.strip() == f"alliances: error: not a dataset folder: {tmp_path / 'nowhere'}"
    )


def test_info_on_tables_with_no_rows(small_copy):
    for path in small_copy.glob("*.csv"):
        path.write_text(path.read_text(encoding="utf-8").split("\n")[0] + "\n", encoding="utf-8")
    result = alliances("info", small_copy)
    assert result.returncode == 0
    info = summary_values(result.stdout)
    assert info["events"] == "0"
    assert info["date span"] == "none (no events or relations)"


def test_info_runs_from_any_directory(tmp_path):
    result = alliances("info", SMALL.resolve(), cwd=tmp_path)
    assert result.returncode == 0
    assert summary_values(result.stdout)["events"] == "6"


# --------------------------------------------------------------------------- in-process


def test_main_returns_the_exit_code(capsys):
    assert main(["validate", str(DOZEN)]) == 1
    out = capsys.readouterr().out
    assert out.splitlines() == DOZEN_REPORT
    assert main(["validate", "-q", str(SMALL)]) == 0


def test_no_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2
    assert "usage: alliances" in capsys.readouterr().err


def test_the_alliances_script_is_installed():
    script = Path(sys.executable).parent / "alliances"
    result = subprocess.run(
        [str(script), "validate", "-q", str(DOZEN)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert result.stdout.splitlines() == DOZEN_REPORT
