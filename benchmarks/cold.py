"""The cold start: ``panel serve`` spawned, until Chromium shows the first complete page."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from alliances.testing import (
    APP_PATH,
    HOST,
    VIEWPORT,
    chromium,
    free_port,
    server_env,
    stop_process,
)

from . import ROOT
from .stats import Series, within_budget

APP = ROOT / "dashboards" / "alliances_app.py"


@dataclass
class ColdStart:
    server_s: Series  # the server answers HTTP
    html_s: Series  # the page's HTML arrived: the session's dashboard is built
    page_s: Series  # the network and timeline graphs hold traces
    error: str = ""
    browser: dict[str, list[float]] = field(default_factory=dict)
    """Where the page's time went in Chromium, per run (:data:`BROWSER_PHASES`)."""


LONG_TASKS = """
window.__longTasks = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__longTasks.push([e.startTime, e.duration]);
}).observe({type: "longtask", buffered: true});
"""
"""Recorded from the first script on: the main thread's tasks over 50 ms (parsing and running
the JavaScript, BokehJS building the page's views, plotly.js drawing)."""

BROWSER_TIMES = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const scripts = performance.getEntriesByType("resource")
    .filter((r) => r.initiatorType === "script" || r.name.endsWith(".js"));
  const tasks = window.__longTasks || [];
  const last = scripts.reduce((m, r) => Math.max(m, r.responseEnd), nav.responseEnd);
  return {
    html_wait_s: (nav.responseStart - nav.requestStart) / 1000,
    scripts_loaded_s: (last - nav.responseEnd) / 1000,
    script_mb: scripts.reduce((n, r) => n + (r.decodedBodySize || 0), 0) / 1e6,
    long_tasks_s: tasks.reduce((n, t) => n + t[1], 0) / 1000,
    longest_task_s: tasks.reduce((m, t) => Math.max(m, t[1]), 0) / 1000,
    drawn_after_html_s: (performance.now() - nav.responseEnd) / 1000,
  };
}"""
"""Where the page's time went, read from the Performance API once the graphs are drawn."""

BROWSER_PHASES = {
    "html_wait_s": "the page's HTML requested -> its first byte (the server builds the session)",
    "scripts_loaded_s": "the HTML received -> the last script received",
    "script_mb": "JavaScript received, MB uncompressed",
    "long_tasks_s": "the main thread's tasks over 50 ms, summed (parse, run, build, draw)",
    "longest_task_s": "the longest of them",
    "drawn_after_html_s": "the HTML received -> network and timeline drawn",
}


def _server_up(port: int, deadline: float) -> bool:
    """Poll a path that is no app route: any HTTP answer means the server listens, and no
    session is created (each request to the app route would build a whole dashboard)."""
    url = f"http://{HOST}:{port}/__benchmark_ready__"
    while time.perf_counter() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=30):
                return True
        except urllib.error.HTTPError:
            return True
        except (urllib.error.URLError, OSError):
            time.sleep(0.05)
    return False


def _graphs_drawn(page, deadline: float) -> bool:
    from playwright.sync_api import Error as PlaywrightError

    script = "el => (el.data || []).length"
    while time.perf_counter() < deadline:
        try:
            if all(
                page.locator(f"{css} .js-plotly-plot").first.evaluate(script, timeout=1000) > 0
                for css in (".al-network", ".al-timeline")
            ):
                return True
        except PlaywrightError:
            pass
        page.wait_for_timeout(50)
    return False


def cold_start(path: Path, runs: int, budget: float, timeout: float = 900.0) -> ColdStart:
    """``panel serve`` from scratch until Chromium shows the network and timeline graphs.

    The clock starts when the process is spawned; ``server_s`` is when it answers HTTP,
    ``html_s`` when the page's HTML arrived (its session built), ``page_s`` when both graphs
    hold traces. Only the process started here is stopped.
    """
    res = ColdStart(Series(planned=runs), Series(planned=runs), Series(planned=runs))
    if shutil.which("chromium") is None:
        res.error = "no `chromium` on PATH"
        return res
    with chromium() as browser:
        for _ in within_budget(runs, budget):
            port = free_port()
            cmd = [sys.executable, "-m", "panel", "serve", str(APP), "--port", str(port)]
            cmd += ["--address", HOST, "--allow-websocket-origin", f"{HOST}:{port}"]
            cmd += ["--args", "--data", str(path)]
            with tempfile.TemporaryFile() as log:
                t0 = time.perf_counter()
                proc = subprocess.Popen(
                    cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=server_env()
                )
                try:
                    deadline = t0 + timeout
                    if not _server_up(port, deadline):
                        res.error = "server did not answer"
                        break
                    res.server_s.values.append(time.perf_counter() - t0)
                    context = browser.new_context(viewport=VIEWPORT)
                    context.add_init_script(LONG_TASKS)
                    try:
                        page = context.new_page()
                        page.goto(
                            f"http://{HOST}:{port}{APP_PATH}",
                            timeout=timeout * 1000,
                            wait_until="commit",
                        )
                        res.html_s.values.append(time.perf_counter() - t0)
                        if not _graphs_drawn(page, deadline):
                            res.error = "graphs not drawn before the timeout"
                            break
                        res.page_s.values.append(time.perf_counter() - t0)
                        for name, value in page.evaluate(BROWSER_TIMES).items():
                            res.browser.setdefault(name, []).append(float(value))
                    finally:
                        context.close()
                finally:
                    stop_process(proc)
                    if res.error:
                        log.seek(0)
                        tail = log.read().decode("utf-8", "replace").strip().splitlines()
                        res.error += ": " + " | ".join(tail[-3:])[:300]
    return res


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.cold [FOLDER] [--runs N]``: cold starts, and where the page's
    time went in the browser (medians)."""
    import argparse
    import statistics

    parser = argparse.ArgumentParser(prog="python -m benchmarks.cold", description=main.__doc__)
    parser.add_argument("data", nargs="?", type=Path, default=ROOT / "data")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    res = cold_start(args.data, args.runs, budget=3600)
    if res.error:
        print(f"error: {res.error}")
        return 1
    for label, series in (("server answers", res.server_s), ("HTML received", res.html_s),
                          ("network and timeline drawn", res.page_s)):  # fmt: skip
        print(f"{label:<28} {statistics.median(series.values):6.2f} s from the spawn")
    for name, what in BROWSER_PHASES.items():
        print(f"{statistics.median(res.browser[name]):6.2f}  {what}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
