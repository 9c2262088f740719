"""Chromium pages on the dashboard, changing filters by clicking, as people do.

Reading and working the page goes through the page object the browser tests use
(:mod:`alliances.testing.pages`); this module adds what an experiment records: the latency
of each click, errors, and every address a page asks for off 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import re
import time
import urllib.parse

from playwright.sync_api import Error as PlaywrightError

from alliances.testing import HOST, VIEWPORT, chromium
from alliances.testing.pages import kpis, pick_option, query_of, wait_until

from . import OPEN_TIMEOUT
from .oracle import Oracle, Shown
from .servers import Server


class BrowserSession:
    """A Chromium page on the dashboard, on its own deep link (the actor of session
    ``index``), changing filters by clicking its widgets."""

    def __init__(self, browser, url: str, oracle: Oracle, index: int):
        if hasattr(browser, "new_context"):
            self.context = browser.new_context(viewport=VIEWPORT)
        else:  # a context prepared by the caller
            self.context = browser
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.external: set[str] = set()
        """Addresses off 127.0.0.1 the page asked for (they fail offline)."""
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))
        self.page.on("request", self._request)
        self.oracle = oracle
        self.index = index
        self.own = oracle.actors[index % len(oracle.actors)]
        self.values: dict = {"actors": [self.own]}
        self.step = 0
        started = time.monotonic()
        try:
            self.page.goto(f"{url}?actors={self.own}", timeout=OPEN_TIMEOUT * 1000)
        except PlaywrightError as exc:  # a saturated server: an error, not a crash
            self.errors.append(f"did not open: {str(exc).splitlines()[0]}")
            self.ok = False
        else:
            self.ok = self.wait(oracle.expected(self.values), OPEN_TIMEOUT)
        self.open_seconds = time.monotonic() - started

    def _console(self, message) -> None:
        # an offline machine cannot resolve a CDN: counted in ``external``, not as an error
        if message.type == "error" and "ERR_NAME_NOT_RESOLVED" not in message.text:
            self.errors.append(f"console.error: {message.text}")

    def _request(self, request) -> None:
        host = urllib.parse.urlsplit(request.url).hostname
        if request.url.startswith(("http:", "https:", "ws:")) and host != HOST:
            self.external.add(request.url.split("?")[0])

    def shown(self) -> tuple[dict[str, str], dict[str, str]]:
        """The KPI cards and the address bar's query."""
        return kpis(self.page), query_of(self.page)

    def wait(self, expected: Shown, timeout: float) -> bool:
        """Whether the page shows ``expected``'s KPIs and query within ``timeout`` seconds."""

        def shows() -> bool:
            try:
                return self.shown() == (expected.kpis, expected.query)
            except PlaywrightError:  # the page is still drawing
                return False

        try:
            wait_until(shows, self.page, timeout * 1000)
        except AssertionError:
            return False
        return True

    def change(self, timeout: float) -> tuple[float | None, Shown]:
        """The next click (partners on, add a type, partners off, remove it); its latency."""
        page, oracle, turn = self.page, self.oracle, self.step % 4
        values = dict(self.values)
        started = time.monotonic()
        if turn in (0, 2):
            values["include_partners"] = turn == 0
            page.locator(".al-partners input").click()
        elif turn == 1:
            kind = oracle.types[(self.index + self.step // 4) % len(oracle.types)]
            values["event_types"] = [kind]
            label = oracle.type_text[kind]
            pick_option(page, ".al-event-types", label.split()[0], label)
        else:
            values["event_types"] = []
            page.locator(".al-event-types .choices__button").first.click()
        self.step += 1
        self.values = values
        expected = oracle.expected(values)
        if self.wait(expected, timeout):
            return time.monotonic() - started, expected
        return None, expected

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.context.close()


def websocket_built_page(
    server: Server, oracle: Oracle, delay: float = 4.0, browser=None
) -> BrowserSession:
    """A Chromium page whose session the websocket had to build: Bokeh's JavaScript is held
    back ``delay`` seconds, so a server started with ``cleanup_ms`` of 1 s discards the session
    the page's HTTP request made before the page connects (as when the websocket reaches
    another ``--num-procs`` worker). Returns the page (closed): its ``ok``, ``errors`` and
    ``external``. ``browser``: a Playwright browser to use (default: launch one)."""
    with contextlib.ExitStack() as stack:
        if browser is None:
            browser = stack.enter_context(chromium())
        context = browser.new_context()
        context.route(
            re.compile(r".*/static/js/bokeh\.min\.js.*"),
            lambda route: (time.sleep(delay), route.continue_()),
        )
        page = BrowserSession(context, server.url, oracle, 0)
        page.close()
    return page
