"""Support for testing and measuring a served dashboard.

The browser tests (tests/browser/), ``tests/test_serve.py``, the benchmarks and the
reliability tool (``python -m reliability``) all start real servers and drive Debian's
Chromium; they share these pieces: a free loopback port, a server process stopped by its own
PID (never by name), and Chromium launched through Playwright with the flags this project's
machines need. Playwright is imported only when a browser is launched; what they do on the
dashboard's page is in :mod:`alliances.testing.pages`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
import urllib.error
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
APP_PATH = "/alliances_app"
"""Where ``panel serve dashboards/alliances_app.py`` (and ``alliances serve``) serve it."""
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)
"""Flags for Debian's Chromium in a container: no sandbox, GPU or background traffic."""
VIEWPORT = {"width": 1400, "height": 1000}
"""The window size of every page: wide enough for the dashboard's full layout."""


def free_port() -> int:
    """A TCP port nobody listens on right now, on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def stop_process(proc: subprocess.Popen, timeout: float = 20.0) -> None:
    """Terminate ``proc`` (this PID only); kill it if it has not stopped after ``timeout``."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)


def server_env(**extra: str) -> dict[str, str]:
    """This process's environment without ``ALLIANCES_DATA`` (a server serves the dataset its
    command names, never one a developer's shell exports), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k != "ALLIANCES_DATA"}
    return env | extra


@dataclass
class ServerProcess:
    """A dashboard server process that its caller started on ``port`` and will stop."""

    proc: subprocess.Popen
    port: int
    log: Path
    """The file that receives the server's stdout and stderr."""

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def url(self) -> str:
        """The dashboard's address."""
        return self.base + APP_PATH

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        stop_process(self.proc)


def start_server(
    cmd: list[str],
    port: int,
    log: Path,
    ready: Callable[[ServerProcess], bool],
    *,
    timeout: float = 90.0,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    server_class: type[ServerProcess] = ServerProcess,
    **fields: object,
) -> ServerProcess:
    """Run ``cmd`` (output to ``log``) and return once ``ready(server)`` is true.

    Raises ``RuntimeError`` with the command, the last answer and the server's log if it exits
    or is not ready within ``timeout`` seconds (it is stopped then). ``server_class`` and
    ``fields``: a subclass of :class:`ServerProcess` to return, and its extra fields.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=cwd, env=env)
    server = server_class(proc, port, log, **fields)
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            last = f"the server exited with code {proc.returncode}"
            break
        try:
            if ready(server):
                return server
            last = "not ready yet"
        except (urllib.error.URLError, OSError) as exc:
            last = repr(exc)
        time.sleep(0.25)
    server.stop()
    raise RuntimeError(
        f"{' '.join(cmd)}\ndid not serve {server.url} ({last}); its log:\n{server.output()}"
    )


def chromium_path() -> str:
    """Debian's Chromium (``apt-get install chromium``); a clear error when it is missing."""
    executable = shutil.which("chromium")
    if executable is None:
        raise RuntimeError(
            "Debian's Chromium is not installed (no `chromium` on PATH): "
            "install it with `apt-get install chromium fonts-liberation`"
        )
    return executable


def launch_chromium(playwright):
    """Chromium from ``playwright.chromium`` with :data:`CHROMIUM_ARGS`
    (``playwright install`` cannot download browsers on these machines)."""
    return playwright.chromium.launch(executable_path=chromium_path(), args=list(CHROMIUM_ARGS))


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """A Playwright (sync API) Chromium browser, closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            yield browser
        finally:
            browser.close()
