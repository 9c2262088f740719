"""The example notebook runs top to bottom on a real kernel."""

from __future__ import annotations

import os
import re
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
    folder = tmp_path / "notebooks"  # where the notebook is, as a user's checkout would be
    folder.mkdir()
    temp = tmp_path / "temp"  # the kernel's temporary directory
    temp.mkdir()
    shutil.copy(NOTEBOOK, folder / NOTEBOOK.name)
    nb = nbformat.read(folder / NOTEBOOK.name, as_version=4)
    client = NotebookClient(
        nb,
        timeout=180,
        kernel_name="python3",
        resources={"metadata": {"path": str(folder)}},
    )
    # raises CellExecutionError on the first failing cell
    client.execute(env={**os.environ, "TMPDIR": str(temp)})

    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    # the summary printed the bundled dataset's counts
    from alliances import load_dataset

    counts = load_dataset().counts()
    assert re.search(rf"^events +{counts['events']}$", text, re.M)
    # linking: including partners added actors to the network and kept or grew the events
    assert "events:" in text
    assert "'CHN'" in text  # China is a partner of Russia and North Korea in the window
    # the views rendered as Panel/Bokeh outputs, not as plain reprs
    assert any("application/vnd.holoviews_exec.v0+json" in o.get("data", {}) for o in outputs)
    # the briefing was written where the notebook printed, in a temporary folder, and
    # nothing was written beside the notebook (in a checkout, that is the repository)
    printed = re.findall(r"^(\S+\.html) \d+\.\d MB$", text, re.M)
    assert len(printed) == 1, text
    briefing = Path(printed[0])
    assert briefing.parent.parent == temp
    html = briefing.read_text(encoding="utf-8")
    assert "Russia and North Korea since 2022" in html
    assert "<strong>Assessment.</strong>" in html
    assert sorted(p.name for p in folder.iterdir()) == [NOTEBOOK.name]
