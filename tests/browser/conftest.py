"""Browser fixtures: Debian's Chromium through Playwright, against real ``panel serve`` processes.

One browser per session, a fresh context and page per test. Every page records its console
errors, uncaught exceptions and requests; a test fails if any of them reports an error or
leaves 127.0.0.1 (the dashboard must work offline).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from alliances import testing
from alliances.testing import (
    HOST,
    VIEWPORT,
    ServerProcess,
    chromium,
    chromium_path,
    free_port,
)
from alliances.testing.pages import LOAD_MS as LOAD_MS  # re-exported: the tests import it
from alliances.testing.pages import WAIT_MS

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "dashboards" / "alliances_app.py"
SMALL = ROOT / "tests" / "fixtures" / "small"
"""The 7-actor valid dataset every test uses unless it says otherwise."""
DOZEN = ROOT / "tests" / "fixtures" / "dozen"
"""The small dataset with 13 deliberate mistakes."""

SERVER_START_TIMEOUT = 60.0


# --------------------------------------------------------------------------- servers


Server = ServerProcess
"""A ``panel serve`` process this test session started (and will stop, by its PID)."""


def start_server(cmd: list[str], port: int, log: Path, env: dict[str, str] | None = None) -> Server:
    """Run ``cmd`` and wait until the dashboard route answers 200 (else fail with the log)."""

    def ready(server: Server) -> bool:
        with urllib.request.urlopen(server.url, timeout=5) as response:
            return response.status == 200

    try:
        return testing.start_server(
            cmd, port, log, ready, timeout=SERVER_START_TIMEOUT, env=env, cwd=ROOT
        )
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)


def panel_serve(data: Path | None, log: Path, env: dict[str, str] | None = None) -> Server:
    """``panel serve dashboards/alliances_app.py [--args --data DATA]`` on a free port, with
    ``env`` added to its environment (``ALLIANCES_ENGINE=duckdb``, say)."""
    port = free_port()
    cmd = [sys.executable, "-m", "panel", "serve", str(APP), "--address", HOST]
    cmd += ["--port", str(port), "--allow-websocket-origin", f"{HOST}:{port}"]
    if data is not None:
        cmd += ["--args", "--data", str(data)]
    inherited = {k: v for k, v in os.environ.items() if k != "ALLIANCES_DATA"}
    return start_server(cmd, port, log, {**inherited, **(env or {})})


@pytest.fixture(scope="session")
def small_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The dashboard on tests/fixtures/small, shared by every test that only reads from it."""
    server = panel_serve(SMALL, tmp_path_factory.mktemp("logs") / "small-server.log")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def bundled_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The dashboard on the bundled dataset (``panel serve`` without ``--data``)."""
    server = panel_serve(None, tmp_path_factory.mktemp("logs") / "bundled-server.log")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def invalid_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the dataset with 13 mistakes."""
    folder = tmp_path_factory.mktemp("invalid") / "data"
    shutil.copytree(DOZEN, folder)
    return folder


@pytest.fixture(scope="module")
def invalid_server(
    tmp_path_factory: pytest.TempPathFactory, invalid_data: Path
) -> Iterator[Server]:
    """The dashboard pointed at an invalid dataset."""
    server = panel_serve(invalid_data, tmp_path_factory.mktemp("logs") / "invalid-server.log")
    yield server
    server.stop()


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, driven by Playwright (``playwright install`` cannot download here)."""
    try:
        chromium_path()
    except RuntimeError as exc:  # a clear failure, never a skip: CI must run these tests
        pytest.fail(f"{exc}; the browser tests need it.", pytrace=False)
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT_MS)  # the default, 5 s, is too short for a busy machine
    with chromium() as browser:
        yield browser


def off_host(url: str) -> bool:
    """Whether ``url`` leaves the loopback server (``blob:`` URLs are judged by their origin)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "blob":
        parts = urllib.parse.urlsplit(url[len("blob:") :])
    if parts.scheme in ("data", "about"):
        return False
    return parts.hostname != HOST


@dataclass
class PageLog:
    """What every page of a test reported: console errors, uncaught errors, every request."""

    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    reported: bool = False

    def attach(self, page) -> None:
        page.on(
            "console",
            lambda msg: (
                self.errors.append(f"console.error: {msg.text}") if msg.type == "error" else None
            ),
        )
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("websocket", lambda ws: self.requests.append(ws.url))

    @property
    def external(self) -> list[str]:
        return [url for url in self.requests if off_host(url)]

    def problems(self) -> list[str]:
        return self.errors + [f"request off 127.0.0.1: {url}" for url in self.external]


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


@pytest.fixture
def new_page(browser, page_log: PageLog) -> Iterator[Callable[[], object]]:
    """``new_page()``: a page in a fresh browser context, logged; checked after the test."""
    contexts = []

    def make():
        context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        page = context.new_page()
        page_log.attach(page)
        page.on("popup", page_log.attach)
        return page

    yield make
    for context in contexts:
        context.close()
    problems = page_log.problems()
    if problems and not page_log.reported:  # late ones, after the test's own check
        pytest.fail("the page reported problems:\n" + "\n".join(problems), pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """Fail the test itself (not its teardown) if one of its pages logged an error."""
    result = yield
    log = getattr(item, "funcargs", {}).get("page_log")
    if isinstance(log, PageLog) and log.problems():
        log.reported = True
        pytest.fail("the page reported problems:\n" + "\n".join(log.problems()), pytrace=False)
    return result


@pytest.fixture
def page(new_page):
    """A fresh page (its own context) for one test."""
    return new_page()


# --------------------------------------------------------------------------- injection checks

# Every element, in the document and in every open shadow root, that markup from the data
# could have produced: any on* event-handler attribute, <img src=x>, a <script>alert(...)
# (plotly's own scripts hold the escaped dataset text inside JSON: those are data, not this).
INJECTED = """() => {
  const found = [];
  const walk = root => {
    for (const el of root.querySelectorAll('*')) {
      for (const name of el.getAttributeNames()) {
        if (/^on/i.test(name)) found.push(`<${el.tagName.toLowerCase()} ${name}=...>`);
      }
      if (el.localName === 'img' && el.getAttribute('src') === 'x') found.push('<img src=x>');
      if (el.localName === 'script' && /^\\s*alert\\(/.test(el.textContent)) found.push('<script>');
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  return found;
}"""


def injected(page) -> list[str]:
    """What dataset or link markup turned into elements on ``page`` (should be nothing)."""
    return page.evaluate(INJECTED)


def watch_dialogs(page) -> list[str]:
    """Record (and dismiss) every alert/confirm/prompt ``page`` opens; returns the live list."""
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    return dialogs


# --------------------------------------------------------------------------- JupyterLab

# JupyterLab user settings for a test: no news or update checks (they would fetch from the
# internet and show a notification over the notebook).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}

NEVER_CHECK = "jupyterlab.NeverCheckForUpdate"


@dataclass
class JupyterServer(ServerProcess):
    """A ``jupyter lab`` process this test started, with its token (stopped by its PID)."""

    token: str = ""

    @property
    def url(self) -> str:
        return f"{self.base}/lab?token={self.token}"

    def notebook_url(self, name: str) -> str:
        """The address that opens notebook ``name`` (in the root folder) in JupyterLab."""
        return f"{self.base}/lab/tree/{urllib.parse.quote(name)}?token={self.token}"


def jupyter_env(home: Path) -> dict[str, str]:
    """The environment for a ``jupyter lab`` that reads and writes nothing of this machine's
    Jupyter, IPython or alliances settings: every such folder is under ``home``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("JUPYTER", "IPYTHON", "ALLIANCES_")) and k != "TMPDIR"
    }
    folders = {
        "JUPYTER_CONFIG_DIR": "config",
        "JUPYTER_DATA_DIR": "data",
        "JUPYTER_RUNTIME_DIR": "runtime",
        "JUPYTERLAB_SETTINGS_DIR": "settings",
        "JUPYTERLAB_WORKSPACES_DIR": "workspaces",
        "IPYTHONDIR": "ipython",
        "TMPDIR": "tmp",  # the kernel's temporary files (the notebook's briefing) stay here
    }
    for name, sub in folders.items():
        (home / sub).mkdir(parents=True, exist_ok=True)
        env[name] = str(home / sub)
    for plugin, settings in LAB_SETTINGS.items():
        file = home / "settings" / f"{plugin}.jupyterlab-settings"
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(json.dumps(settings), encoding="utf-8")
    return env


def start_jupyter_lab(root: Path, home: Path) -> JupyterServer:
    """``jupyter lab`` serving ``root`` on a free loopback port with a generated token.

    As root (CI) with ``--allow-root``, without a browser, news or update checks; its
    settings, runtime files and kernel temporary files are under ``home``.
    """
    port, token = free_port(), secrets.token_hex(16)
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root"]
    cmd += [f"--ServerApp.ip={HOST}", f"--ServerApp.port={port}", "--ServerApp.port_retries=0"]
    cmd += [f"--ServerApp.root_dir={root}", f"--IdentityProvider.token={token}"]
    cmd += ["--LabApp.news_url=None", "--LabApp.check_for_updates_class=" + NEVER_CHECK]
    cmd += ["--LabApp.expose_app_in_browser=True"]  # window.jupyterapp: the kernel's state

    def ready(server: JupyterServer) -> bool:
        request = urllib.request.Request(
            f"{server.base}/api/status", headers={"Authorization": f"token {server.token}"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status == 200

    try:
        server = testing.start_server(
            cmd, port, home / "jupyter.log", ready, timeout=SERVER_START_TIMEOUT,
            env=jupyter_env(home), cwd=root, server_class=JupyterServer, token=token,
        )  # fmt: skip
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    assert isinstance(server, JupyterServer)
    return server


def block_off_host(page) -> None:
    """Abort every request of ``page``'s context that leaves 127.0.0.1 (a CDN, fonts, news)."""
    page.context.route(
        "**/*",
        lambda route: route.abort() if off_host(route.request.url) else route.continue_(),
    )
