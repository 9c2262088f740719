"""The example notebook in a real JupyterLab, offline: what a notebook user sees.

A ``jupyter lab`` started here opens a copy of dashboards/explore.ipynb in Debian's Chromium at
1,400 px with the file browser open, and runs all cells. Every request that leaves 127.0.0.1
is aborted, so a view that needs a CDN draws nothing and fails the test. Expected values come
from the package itself, on the same bundled dataset.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import panel as pn
import pytest
from playwright.sync_api import Locator, Page, expect

import alliances
from alliances.testing.pages import wait_until

from .conftest import (
    LOAD_MS,
    ROOT,
    JupyterServer,
    PageLog,
    block_off_host,
    start_jupyter_lab,
)

NOTEBOOK = ROOT / "dashboards" / "explore.ipynb"
RUN_MS = 150_000
"""How long running every cell may take (the bundled dataset, on a busy 2-core machine)."""
SCREENSHOT = "JUPYTERLAB_SCREENSHOT"
"""Set to a path to keep the screenshot of the dashboard in JupyterLab (docs/ uses it)."""
TOLERANCE = 1.0
"""Pixels a box may exceed its cell's output area by (subpixel rounding)."""

# The notebook's filters: its cells set actors and start, then include the partners.
ACTORS = ["RUS", "PRK"]
START = dt.date(2022, 1, 1)
LATER = dt.date(2024, 1, 1)
"""The start date the test types into a new cell."""

KERNEL_IDLE = """() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const session = panel && panel.sessionContext && panel.sessionContext.session;
  const kernel = session && session.kernel;
  return !!kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}"""

PROMPTS = """() => [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
  .map(p => p.textContent.trim())"""

# Every element matching a selector inside a cell, through Panel's shadow roots, each scrolled
# into view (up and down only, as a person scrolls a notebook) and measured with the cell
# output area that holds it; plotly graphs also report whether they drew (an SVG, a size,
# traces), the ids they show, and their title and legend.
MEASURE = """async (cell, selector) => {
  const found = [];
  const walk = root => {
    for (const el of root.querySelectorAll('*')) {
      if (el.matches(selector)) found.push(el);
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(cell);
  const box = el => {
    if (!el) return null;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0
      ? {left: r.left, right: r.right, top: r.top, bottom: r.bottom} : null;
  };
  const outputOf = el => {
    for (let n = el; n; n = parentOf(n)) {
      if (n.classList && n.classList.contains('jp-OutputArea-output')) return n;
    }
    return null;
  };
  const parentOf = n => n.parentElement || (n.getRootNode && n.getRootNode().host) || null;
  const alName = el => {  // the view it belongs to: the nearest al-* class around it
    for (let n = el; n; n = parentOf(n)) {
      const names = [...(n.classList || [])].filter(c => c.startsWith('al-'));
      if (names.length) return names.join(' ');
    }
    return '';
  };
  const frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const out = [];
  for (const el of found) {
    el.scrollIntoView({block: 'center'});
    for (let n = el; n; n = parentOf(n)) if (n.scrollLeft) n.scrollLeft = 0;  // no sideways
    await frame();
    const traces = el.data || [];
    const ids = [];
    for (const trace of traces) {
      for (const value of trace.customdata || []) if (typeof value === 'string') ids.push(value);
    }
    out.push({
      name: alName(el),
      box: box(el),
      output: box(outputOf(el)),
      drawn: !!el.querySelector('.main-svg') && !!box(el) && traces.length > 0,
      ids: ids,
      title: box(el.querySelector('.gtitle')),
      legend: box(el.querySelector('.legend')),
    });
  }
  return out;
}"""

# What the cells' outputs say on stderr (tracebacks), for a run that stopped.
STDERR = """() => [...document.querySelectorAll(
  '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
  .map(o => o.textContent.slice(0, 2000))"""


# --------------------------------------------------------------------------- expectations


def filters(*, partners: bool, start: dt.date = START) -> alliances.Filters:
    return alliances.Filters(actors=ACTORS, start=start, include_partners=partners)


def figure_ids(figure) -> list[str]:
    """The ids a figure shows (actors of the network, events of the timeline), sorted."""
    data = [trace.customdata for trace in figure.data if trace.customdata is not None]
    return sorted(v for values in data for v in values if isinstance(v, str))


class Expected:
    """What the notebook's views must show, computed by the package on the bundled data."""

    def __init__(self) -> None:
        self.dataset = alliances.load_dataset()

    def network(self, f: alliances.Filters) -> list[str]:
        return figure_ids(alliances.NetworkView(filters=f, dataset=self.dataset).figure())

    def timeline(self, f: alliances.Filters) -> list[str]:
        return figure_ids(alliances.TimelineView(filters=f, dataset=self.dataset).figure())

    def events(self, f: alliances.Filters) -> str:
        """The dashboard's Events number, as it prints it."""
        return f"{len(alliances.TimelineView(filters=f, dataset=self.dataset).events):,}"

    def dashboard_plots(self) -> int:
        """The dashboard's charts that have a figure to draw (the Analysis tab's stay empty
        until the tab is first opened)."""
        board = alliances.dashboard(self.dataset, filters=filters(partners=True))
        panes = pn.panel(board).select(pn.pane.Plotly)
        return sum(pane.object is not None for pane in panes)


# --------------------------------------------------------------------------- the page


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[JupyterServer]:
    """JupyterLab on a temporary root holding a copy of the notebook (stopped after the page)."""
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    server = start_jupyter_lab(root, tmp_path / "home")
    yield server
    server.stop()


def code_cell(page: Page, source: str) -> Locator:
    """The one code cell whose source contains ``source``."""
    editor = page.locator(".jp-InputArea-editor", has_text=source)
    cell = page.locator(".jp-CodeCell").filter(has=editor)
    expect(cell).to_have_count(1)
    return cell


def measure(cell: Locator, selector: str) -> list[dict]:
    return cell.evaluate(MEASURE, selector)


def plots(cell: Locator) -> list[dict]:
    return measure(cell, ".js-plotly-plot")


def drawn(cell: Locator) -> int:
    return sum(p["drawn"] for p in plots(cell))


def shown_ids(cell: Locator) -> list[str]:
    """The ids the cell's (one) plotly graph shows."""
    graphs = plots(cell)
    assert len(graphs) == 1, f"{len(graphs)} plotly graphs in the cell"
    return sorted(graphs[0]["ids"])


def seen(cell: Locator, check: Callable[[], object], page: Page) -> None:
    """Scroll ``cell`` into view, then wait until ``check`` holds (see :func:`wait_until`)."""
    cell.scroll_into_view_if_needed()
    wait_until(check, page)


def kpis(cell: Locator) -> dict[str, str]:
    """The KPI cards of a cell: label -> value as printed."""
    cards = cell.locator(".al-kpis .kpi").evaluate_all(
        """cards => cards.map(c => [c.querySelector('.kpi-label').textContent.trim(),
                                    c.querySelector('.kpi-value').textContent.trim()])"""
    )
    return dict(cards)


def open_notebook(page: Page, server: JupyterServer) -> None:
    """Open the notebook as a person would and wait until its kernel is connected and idle."""
    page.goto(server.notebook_url(NOTEBOOK.name), timeout=LOAD_MS)
    expect(page.locator(".jp-Notebook .jp-CodeCell").first).to_be_visible(timeout=LOAD_MS)

    def kernel_idle() -> bool:
        dialog = page.locator(".jp-Dialog", has_text="Select Kernel")
        if dialog.count():  # JupyterLab may ask; a person keeps the notebook's own kernel
            dialog.get_by_role("button", name="Select").click()
        return bool(page.evaluate(KERNEL_IDLE))

    wait_until(kernel_idle, page, LOAD_MS)


def run_all_cells(page: Page) -> None:
    """Run > Run All Cells (see :func:`wait_for_cells`)."""
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()


def wait_for_cells(page: Page) -> None:
    """Wait until every code cell has run and the kernel is idle."""

    def finished() -> None:
        prompts = page.evaluate(PROMPTS)
        assert prompts, "no code cells"
        assert all(re.fullmatch(r"\[\d+\]:", p) for p in prompts), f"prompts: {prompts}"
        assert page.evaluate(KERNEL_IDLE), "the kernel is busy"

    try:
        wait_until(finished, page, RUN_MS)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\nstderr of the cells: {page.evaluate(STDERR)}") from exc


def run_new_cell(page: Page, below: Locator, source: str) -> None:
    """Insert a code cell below ``below``, type ``source`` and run it (Shift+Enter)."""
    below.locator(".jp-InputArea-prompt").click()
    page.keyboard.press("Escape")  # command mode
    page.keyboard.press("b")  # a new cell below, selected
    page.keyboard.press("Enter")  # edit it
    page.keyboard.type(source)
    page.keyboard.press("Shift+Enter")
    prompt = code_cell(page, source).locator(".jp-InputArea-prompt")
    expect(prompt).to_have_text(re.compile(r"\[\d+\]:"))


# How far each output of a cell is wider than the cell shows (a horizontal scrollbar), in px.
OVERFLOW = """cell => [...cell.querySelectorAll('.jp-OutputArea-output')]
  .map(o => o.scrollWidth - o.clientWidth)"""


def overflow_problems(name: str, cell: Locator) -> list[str]:
    """Outputs wider than their cell: what is past the edge is cut off."""
    return [
        f"{name} output #{i + 1}: {px} px wider than the cell (scrolls sideways)"
        for i, px in enumerate(cell.evaluate(OVERFLOW))
        if px > TOLERANCE
    ]


def fit_problems(name: str, items: list[dict]) -> list[str]:
    """Boxes that leave their cell's output area (cut off), and legends over titles."""
    problems = []
    for i, item in enumerate(items):
        box, out, what = item["box"], item["output"], f"{name} #{i + 1} {item['name']}".strip()
        if box is None or out is None:
            problems.append(f"{what}: not visible (box {box}, output area {out})")
            continue
        if (
            box["left"] < out["left"] - TOLERANCE
            or box["right"] > out["right"] + TOLERANCE
            or box["top"] < out["top"] - TOLERANCE
            or box["bottom"] > out["bottom"] + TOLERANCE
        ):
            problems.append(
                f"{what}: x {box['left']:.0f}-{box['right']:.0f}, y {box['top']:.0f}-"
                f"{box['bottom']:.0f} outside the cell's output area x {out['left']:.0f}-"
                f"{out['right']:.0f}, y {out['top']:.0f}-{out['bottom']:.0f}"
            )
        title, legend = item.get("title"), item.get("legend")
        if title and legend:
            across = min(title["right"], legend["right"]) - max(title["left"], legend["left"])
            down = min(title["bottom"], legend["bottom"]) - max(title["top"], legend["top"])
            if across > 0 and down > 0:
                problems.append(f"{what}: the legend overlaps the title by {across:.0f}x{down:.0f}")
    return problems


# --------------------------------------------------------------------------- the test


@pytest.mark.browser
@pytest.mark.notebook
@pytest.mark.slow
def test_explore_notebook_in_jupyterlab_offline(
    lab: JupyterServer, new_page, page_log: PageLog, tmp_path: Path
):
    page = new_page()
    block_off_host(page)
    open_notebook(page, lab)
    expect(page.locator("#filebrowser")).to_be_visible()  # 1,400 px, minus the file browser
    run_all_cells(page)

    expected = Expected()  # while the kernel runs the cells
    with_partners, without = filters(partners=True), filters(partners=False)
    later = filters(partners=False, start=LATER)
    # the notebook's changes show in what is drawn, or this test could not see them
    assert expected.network(with_partners) != expected.network(without)
    assert expected.events(without) != expected.events(later)
    wanted = {"network": 1, "timeline": 1, "figure": 1, "dashboard": expected.dashboard_plots()}
    wait_for_cells(page)

    network = code_cell(page, "alliances.NetworkView(")
    timeline = code_cell(page, "alliances.TimelineView(")
    widgets = code_cell(page, "Checkbox.from_param")
    figure = code_cell(page, "fig = timeline.figure()")
    board = code_cell(page, "alliances.dashboard(")

    # every chart drawn, offline: Panel's views and the plain plotly figure
    cells = {"network": network, "timeline": timeline, "figure": figure, "dashboard": board}
    counts = {name: drawn(cell) for name, cell in cells.items()}
    assert counts == wanted, f"plotly graphs drawn per cell; the page: {page_log.problems()}"
    assert page_log.external == [], "the notebook asked for resources off this machine"

    # the KPIs show numbers, and the cell that included the partners reached the views shown
    # above it: the network and timeline drew what the package computes for those filters
    wait_until(lambda: kpis(board).get("Events") == expected.events(with_partners), page)
    assert all(re.fullmatch(r"[\d,.]+\s*\w*", v) for v in kpis(board).values()), kpis(board)
    assert shown_ids(network) == expected.network(with_partners)
    assert shown_ids(timeline) == expected.timeline(with_partners)

    # the dashboard from its KPIs down, inside JupyterLab with the file browser open
    board.locator(".al-kpis").first.evaluate("el => el.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(500)
    page.screenshot(path=tmp_path / "jupyterlab.png")
    if os.environ.get(SCREENSHOT):
        shutil.copy(tmp_path / "jupyterlab.png", os.environ[SCREENSHOT])

    # a widget in one cell updates the views in the others, live
    expect(widgets.locator(".jp-OutputArea-output")).to_contain_text("Include partners")
    checkbox = widgets.locator("input[type=checkbox]")  # Bokeh's has no <label> around it
    expect(checkbox).to_have_count(1)
    checkbox.uncheck()
    # looked at as a person would: JupyterLab may skip drawing cells scrolled out of view
    seen(network, lambda: shown_ids(network) == expected.network(without), page)
    seen(timeline, lambda: shown_ids(timeline) == expected.timeline(without), page)
    seen(board, lambda: kpis(board).get("Events") == expected.events(without), page)
    expect(board.locator(".al-partners input[type=checkbox]")).not_to_be_checked()

    # ... and so does code typed into a new cell
    run_new_cell(page, board, f"f.start = dt.date({LATER.year}, {LATER.month}, {LATER.day})")
    seen(board, lambda: kpis(board).get("Events") == expected.events(later), page)
    seen(timeline, lambda: shown_ids(timeline) == expected.timeline(later), page)

    # each view fits its cell at 1,400 px with the file browser open: nothing cut off
    problems = []
    for name, cell in [*cells.items(), ("widgets", widgets)]:
        problems += overflow_problems(name, cell)
        problems += fit_problems(f"{name} plot", plots(cell))
    problems += fit_problems("dashboard right column", measure(board, ".al-detail, .al-ranking"))
    assert problems == [], "views do not fit the notebook:\n" + "\n".join(problems)
