"""The cold start: ``panel serve`` spawned, until Chromium shows the first complete page."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
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
                    finally:
                        context.close()
                finally:
                    stop_process(proc)
                    if res.error:
                        log.seek(0)
                        tail = log.read().decode("utf-8", "replace").strip().splitlines()
                        res.error += ": " + " | ".join(tail[-3:])[:300]
    return res
