"""The example notebook runs top to bottom on a real kernel."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "dashboards" / "explore.ipynb"


@pytest.mark.notebook
@pytest.mark.slow
def test_explore_notebook_runs_without_errors(tmp_path):
    shutil.copy(NOTEBOOK, tmp_path / NOTEBOOK.name)
    nb = nbformat.read(tmp_path / NOTEBOOK.name, as_version=4)
    client = NotebookClient(
        nb,
        timeout=180,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError on the first failing cell

    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    # the summary printed the bundled dataset's counts
    from alliances import load_dataset

    counts = load_dataset().counts()
    assert f"events       {counts['events']}" in text
    # linking: including partners added actors to the network and kept or grew the events
    assert "events:" in text
    assert "'CHN'" in text  # China is a partner of Russia and North Korea in the window
    # the views rendered as Panel/Bokeh outputs, not as plain reprs
    assert any("application/vnd.holoviews_exec.v0+json" in o.get("data", {}) for o in outputs)
    # the briefing was written, self-contained
    briefing = tmp_path / "russia-dprk-briefing.html"
    html = briefing.read_text(encoding="utf-8")
    assert "Russia and North Korea since 2022" in html
    assert "<strong>Assessment.</strong>" in html
