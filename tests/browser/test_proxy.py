"""The shipped deployment in Chromium: nginx (deploy/nginx.conf) in front of two servers.

Two ``alliances serve`` processes run with the options of ``deploy/alliances@.service`` and
one login (basic auth from the environment, one cookie secret for both), behind Debian's nginx
on the shipped configuration (``reliability.nginx`` fills in ports and paths). Pages log in
and work through the proxy.

How stickiness and distribution are proved: nginx keys its hash on the ``alliances_route``
cookie. The first page gets the cookie nginx hands out; the second gets a cookie chosen to
hash to the other process (found by asking nginx which process answers the debug probe for
a cookie). Each page's session id (from the token in its HTML) must then be held by exactly
one process, with its websocket open there: the page's HTTP request and its websocket
reached the same process (a websocket on another process would make that process build a
second session of the same id). Then one process is killed: its page must say so, the other
page must keep working, and reloading the first must bring it back, on the surviving
process, without logging in again and with its filters.
"""

from __future__ import annotations

import json
import re
import secrets
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from bokeh.util.token import get_session_id
from playwright.sync_api import Page, expect
from reliability.deploy import Proxied, running_proxied
from reliability.nginx import ROUTE_COOKIE
from reliability.servers import PROBE_PATH

import alliances
from alliances.app import DISCONNECTED
from alliances.testing import VIEWPORT
from alliances.testing.pages import LOAD_MS, expect_query, expect_view, traces, wait_until

from .conftest import SMALL, PageLog

pytestmark = [pytest.mark.browser, pytest.mark.slow]

USER, PASSWORD = "analyst", "Corr3ct-Horse-Battery"
LOGIN_LOGO = re.compile(r"https://cdn\.holoviz\.org/panel/[\d.]+/dist/images/logo_stacked\.png")
"""Panel 1.9.4's login page shows its logo from Panel's CDN (nothing else leaves the host)."""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxied]:
    folder = tmp_path_factory.mktemp("proxy")
    users = folder / "users.json"
    users.write_text(json.dumps({USER: PASSWORD}), encoding="utf-8")
    env = {"PANEL_BASIC_AUTH": str(users), "PANEL_COOKIE_SECRET": secrets.token_urlsafe(32)}
    with running_proxied(SMALL, folder, processes=2, env=env) as proxied:
        yield proxied


def routed_pid(cluster: Proxied, route: str) -> int:
    """The process nginx sends a browser with this route cookie to (the probe answers)."""
    request = urllib.request.Request(
        f"{cluster.base}{PROBE_PATH}?light=1", headers={"Cookie": f"{ROUTE_COOKIE}={route}"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)["pid"]


def route_to(cluster: Proxied, pid: int) -> str:
    """A route cookie that nginx hashes to process ``pid``."""
    for i in range(64):
        if routed_pid(cluster, route := f"chosen-{i}") == pid:
            return route
    raise AssertionError(f"no route cookie of 64 reaches process {pid}")


def holders(cluster: Proxied, session_id: str) -> dict[int, int]:
    """The processes holding a session of this id, and its open websockets on each."""
    return {
        pid: answer["connections"][session_id]
        for pid, answer in cluster.per_process().items()
        if session_id in answer["connections"]
    }


@dataclass
class Analyst:
    page: Page
    filters: alliances.Filters
    session_id: str = ""
    pid: int = 0
    """The process nginx routes this browser to."""

    def route(self) -> str:
        cookies = {c["name"]: c["value"] for c in self.page.context.cookies()}
        return cookies.get(ROUTE_COOKIE, "")


def log_in(page: Page, url: str) -> str:
    """Open ``url``, log in on the page it redirects to; returns the dashboard's HTML."""
    page.goto(url, timeout=LOAD_MS)
    expect(page.locator("input[name=username]")).to_be_visible(timeout=LOAD_MS)
    page.fill("input[name=username]", USER)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation(url=re.compile(r"/alliances_app\?"), timeout=LOAD_MS) as nav:
        page.locator("button[type=submit], input[type=submit]").first.click()
    html = nav.value.text()
    drawn(page)
    return html


def drawn(page: Page) -> None:
    """Wait until the KPIs and the network are drawn."""
    expect(page.locator(".al-kpis .kpi").first).to_be_visible(timeout=LOAD_MS)
    wait_until(lambda: len(traces(page, ".al-network")) > 0, page, LOAD_MS)


def session_of(html: str) -> str:
    """The Bokeh session id in a dashboard page's HTML (inside its token)."""
    match = re.search(r'"token":\s*"([^"]+)"', html) or re.search(r"token=([\w.\-]+)", html)
    assert match, "no session token in the page"
    return get_session_id(match.group(1))


def toggle_partners(analyst: Analyst) -> None:
    """Tick or untick "Include their direct partners": the views must follow."""
    analyst.filters.include_partners = not analyst.filters.include_partners
    analyst.page.locator(".al-partners input").click()


@pytest.fixture(scope="module")
def log() -> PageLog:
    return PageLog()


@pytest.fixture(scope="module")
def dataset() -> alliances.Dataset:
    return alliances.load_dataset(SMALL)


@pytest.fixture(scope="module")
def analysts(browser, cluster: Proxied, log: PageLog) -> Iterator[list[Analyst]]:
    """Two analysts logged in through the proxy: the first on the process nginx chose, the
    second with a route cookie that reaches the other process."""
    contexts, out = [], []
    for actor in ("PRK", "RUS"):
        context = browser.new_context(viewport=VIEWPORT)
        contexts.append(context)
        if out:  # the second analyst: a route to the process the first one is not on
            other = next(pid for pid in cluster.per_process() if pid != out[0].pid)
            context.add_cookies(
                [{"name": ROUTE_COOKIE, "value": route_to(cluster, other), "url": cluster.base}]
            )
        page = context.new_page()
        log.attach(page)
        analyst = Analyst(page, alliances.Filters(actors=[actor]))
        analyst.session_id = session_of(log_in(page, f"{cluster.url}?actors={actor}"))
        analyst.pid = routed_pid(cluster, analyst.route())
        out.append(analyst)
    yield out
    for context in contexts:
        context.close()


def problems(log: PageLog) -> list[str]:
    """What the pages reported, but the login page's logo. Offline, its load fails with a
    console error; any other address that failed to resolve is reported as a request off
    127.0.0.1 too, so these console errors can go."""
    unresolved = "console.error: Failed to load resource: net::ERR_NAME_NOT_RESOLVED"
    return [p for p in log.problems() if not LOGIN_LOGO.search(p) and p != unresolved]


def test_each_page_stays_on_one_process_and_the_processes_share_them(
    cluster, analysts, log, dataset
):
    first, second = analysts
    assert re.fullmatch(r"[0-9a-f]{32}", first.route()), "nginx handed out no route cookie"
    assert first.pid != second.pid, "both pages on one process"
    for analyst in analysts:
        # the page's HTTP request made the session; its websocket reached the same process
        assert holders(cluster, analyst.session_id) == {analyst.pid: 1}
        expect_view(analyst.page, dataset, analyst.filters)
        toggle_partners(analyst)
        expect_view(analyst.page, dataset, analyst.filters)
        expect_query(analyst.page, alliances.state.to_query(analyst.filters))
        assert holders(cluster, analyst.session_id) == {analyst.pid: 1}
    assert not problems(log), problems(log)
    assert not cluster.error_lines(), "\n".join(cluster.error_lines())


def test_a_killed_process_is_reported_and_the_other_keeps_serving(cluster, analysts, log, dataset):
    gone, kept = analysts
    server = next(s for s in cluster.servers if s.proc.pid == gone.pid)
    server.proc.kill()  # as a crash would; the process is this test's own child
    server.proc.wait(timeout=30)

    expect(gone.page.locator(".notyf__message")).to_have_text(DISCONNECTED, timeout=LOAD_MS)

    toggle_partners(kept)  # the other process still serves its page
    expect_view(kept.page, dataset, kept.filters)

    # a reload reconnects: nginx skips the dead process, the other accepts the login (one
    # cookie secret) and opens the filters kept in the address
    reloaded = gone.page.reload(timeout=LOAD_MS)
    assert "/login" not in gone.page.url, "the surviving process asked for the login again"
    drawn(gone.page)
    expect_view(gone.page, dataset, gone.filters)
    assert holders(cluster, session_of(reloaded.text())) == {kept.pid: 1}
    assert not problems(log), problems(log)
    survivors = [s for s in cluster.servers if s is not server]
    assert not [line for s in survivors for line in s.error_lines()]
