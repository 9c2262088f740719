"""What the page says when the data cannot be read (an engine that cannot be reached, a missing
table, an unreadable Parquet file) and when it fails validation: two different wordings, chosen
by :attr:`alliances.problems.DatasetError.read_fault`, every piece of text escaped."""

from __future__ import annotations

import html
import os
import re
import shutil
import time
from pathlib import Path

import pytest

from alliances.app import Dashboard, create_app, error_page
from alliances.dataset import ServedDataset, clear_cache, serve_dataset
from alliances.engine.store import engine_problem
from alliances.problems import DatasetError, Problem, read_faults_only
from unit_helpers import SMALL

pytestmark = pytest.mark.usefixtures("fresh_panel_state")

HOSTILE = "<script>alert(1)</script>"
INVALID = [
    Problem("events.csv", 5, "date", "not a date: '2024-02-30'"),
    Problem("events.csv", 6, "source_url", f"not an http(s) URL: {HOSTILE!r}"),
]


def shown(markup: str) -> str:
    """The text a person reads in ``markup`` (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def page_parts(page) -> tuple[str, str]:
    """The alert's and the report's markup of an error page."""
    alert, report = page.main[0].objects[:2]
    return alert.object, report.object


def break_events(folder: Path) -> None:
    """Replace the folder's events with a Parquet file that is not one."""
    (folder / "events.csv").unlink()
    (folder / "events.parquet").write_bytes(b"PAR1 this is not parquet at all PAR1")


def test_only_faults_of_reading_count_as_such():
    fault = engine_problem("duckdb:///warehouse.duckdb", OSError("connection refused"))
    assert fault.read_fault
    missing = Problem("events", 1, "-", "no table 'events' in duckdb://", fault=True)
    assert DatasetError("x", [missing]).read_fault
    assert not DatasetError("x", INVALID).read_fault
    assert not DatasetError("x", [*fault.problems, *INVALID]).read_fault  # the report lists all
    assert not read_faults_only([])
    # a fault is what the engine says it is, not what a message looks like
    assert not read_faults_only([Problem("events", 1, "-", "no table in this text")])
    # the in-memory loader's report of an unreadable Parquet file is what `validate` prints
    assert not read_faults_only([Problem("events.parquet", 1, "-", "cannot read Parquet file: x")])


def test_the_error_page_says_the_data_could_not_be_read_and_what_the_error_was():
    exc = engine_problem(f"duckdb:///{HOSTILE}.duckdb", OSError(f"IO Error: {HOSTILE} refused"))
    alert, report = page_parts(error_page(exc))
    text = shown(alert)
    assert f"Cannot read the dataset in duckdb:///{HOSTILE}.duckdb" in text
    assert "engine could not be reached" in text
    assert "did not pass validation" not in text
    assert "alliances validate" not in text
    assert "class='read-error'" in report
    assert shown(report).strip() == f"cannot read the events: IO Error: {HOSTILE} refused"
    assert HOSTILE not in alert + report  # shown as text, never as markup


def test_the_error_page_keeps_the_validation_wording_for_invalid_data():
    alert, report = page_parts(error_page(DatasetError(Path(f"/data/{HOSTILE}"), INVALID)))
    text = shown(alert)
    assert f"The dataset in /data/{HOSTILE} did not pass validation: 2 problem(s)" in text
    assert "alliances validate prints the same report" in text
    assert "Cannot read" not in text
    assert "class='validation-report'" in report
    assert shown(report).splitlines() == [str(p) for p in INVALID]
    assert HOSTILE not in alert + report


def test_a_served_folder_whose_events_cannot_be_read_shows_the_read_fault(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("ALLIANCES_ENGINE", "duckdb")
    folder = tmp_path / "data"
    shutil.copytree(SMALL, folder)
    break_events(folder)
    alert, report = page_parts(create_app(str(folder)))
    assert f"Cannot read the dataset in {folder}" in shown(alert)
    assert "did not pass validation" not in shown(alert)
    assert shown(report).startswith("cannot read the events: ")
    assert "events.parquet" in shown(report)


def test_a_read_fault_after_a_good_version_says_the_last_good_one_keeps_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("ALLIANCES_ENGINE", "duckdb")
    folder = tmp_path / "data"
    shutil.copytree(SMALL, folder)
    good = serve_dataset(folder)
    assert good.dataset is not None
    assert good.dataset.store is not None
    break_events(folder)
    old = time.time() - 60
    for file in folder.glob("*.*"):  # written a minute ago: not still being written
        os.utime(file, (old, old))
    served = serve_dataset(folder)
    assert served.dataset is good.dataset
    assert served.problems

    board = Dashboard(dataset=served.dataset)
    board.report_stale(served)
    text = shown(board.notices.object)
    assert "The dataset could not be read" in text
    assert f"the last good version keeps serving (fingerprint {good.dataset.fingerprint})" in text
    assert "cannot read the events: " in text
    assert "no longer pass validation" not in text


def test_a_stale_read_fault_is_escaped(ds):
    fault = engine_problem("duckdb://db", RuntimeError(HOSTILE))
    board = Dashboard(dataset=ds)
    board.report_stale(ServedDataset(ds, fault.problems))
    assert HOSTILE not in board.notices.object
    assert f"cannot read the events: {HOSTILE}" in shown(board.notices.object)


def test_stale_invalid_files_keep_the_validation_wording(ds):
    board = Dashboard(dataset=ds)
    board.report_stale(ServedDataset(ds, INVALID))
    text = shown(board.notices.object)
    assert "The dataset files changed and no longer pass validation (2 problem(s))" in text
    assert f"you are seeing the last valid version (fingerprint {ds.fingerprint})" in text
    assert str(INVALID[0]) in text
    assert "could not be read" not in text
    assert HOSTILE not in board.notices.object


@pytest.fixture(autouse=True)
def _no_cached_loads():
    clear_cache()
    yield
    clear_cache()
