"""Live data: a running dashboard picks up edited files, survives bad edits and lost sessions.

New sessions get the files as they are when they are valid, else the last valid version with
the problems listed; open sessions keep working on the data they started with. Files are
aged past ``SETTLE_SECONDS`` (``os.utime``) so that the server does not treat them as still
being written.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

import alliances
from alliances.dataset import SETTLE_SECONDS
from alliances.testing.pages import (
    expect_view,
    kpis,
    open_dashboard,
    pick_option,
    show_tab,
    wait_until,
)

from .conftest import LOAD_MS, SMALL, Server, panel_serve

E7 = "e7,2024-07-01,,summit,PRK,RUS,,Moscow,,,,Second summit,,AFP,https://example.org/b,,confirmed,"
E8_BAD = "e8,2024-13-45,,visit,CHN,PRK,,Beijing,,,,Bad date visit,,AP,,,reported,"
E8 = E8_BAD.replace("2024-13-45", "2024-08-01").replace("Bad date visit", "Beijing visit")


@pytest.fixture
def live_data(small_copy: Path) -> Path:
    """A private copy of the small dataset that the test edits while it is served."""
    return small_copy


@pytest.fixture
def live_server(tmp_path: Path, live_data: Path) -> Iterator[Server]:
    server = panel_serve(live_data, tmp_path / "live-server.log")
    yield server
    server.stop()


def settle(folder: Path) -> None:
    """Date every file back past the settling delay: the edit is complete."""
    past = time.time() - SETTLE_SECONDS - 1
    for path in folder.glob("*.csv"):
        os.utime(path, (past, past))


def write_events(folder: Path, *extra: str) -> None:
    """The small fixture's events.csv with ``extra`` rows after its own."""
    body = (SMALL / "events.csv").read_text(encoding="utf-8")
    (folder / "events.csv").write_text(
        body + "".join(row + "\n" for row in extra), encoding="utf-8", newline=""
    )
    settle(folder)


def events_shown(page: Page) -> str:
    return kpis(page).get("Events", "")


def notices(page: Page) -> list[str]:
    box = page.locator(".al-notices")
    return box.locator("li").all_text_contents() if box.is_visible() else []


def fingerprint_shown(page: Page) -> str:
    show_tab(page, "About")
    shown = page.locator(".al-about code.fingerprint").text_content()
    show_tab(page, "Overview")
    return shown


@pytest.mark.browser
def test_new_sessions_get_new_data_and_bad_edits_keep_the_last_good(
    live_server: Server, live_data: Path, new_page
):
    # live_server before new_page: set up first, stopped last, after the pages are closed
    # (a page left open on a stopped server logs its failed reconnections as console errors)
    first = new_page()
    open_dashboard(first, live_server.url)
    assert events_shown(first) == "6"  # the six rows of tests/fixtures/small/events.csv
    original = alliances.load_dataset(live_data, cache=False)

    # a valid edit: a new session shows it, the open one goes on with what it had
    write_events(live_data, E7)
    seven = alliances.load_dataset(live_data, cache=False)
    assert len(seven.events) == 7
    second = new_page()
    open_dashboard(second, live_server.url)
    wait_until(lambda: events_shown(second) == "7", second)
    assert fingerprint_shown(second) == seven.fingerprint
    assert notices(second) == []
    pick_option(first, ".al-actors", "PRK", "North Korea (PRK)")
    expect_view(first, original, alliances.Filters(actors=["PRK"]))
    assert fingerprint_shown(first) == original.fingerprint

    # an invalid edit: new sessions get the last good version and the report
    write_events(live_data, E7, E8_BAD)
    problems = [str(p) for p in alliances.validate(live_data)]
    assert problems, "the bad date should not validate"
    assert all(p.startswith("events.csv:") for p in problems), problems
    third = new_page()
    open_dashboard(third, live_server.url)
    assert events_shown(third) == "7"
    expect(third.locator(".al-notices")).to_be_visible()
    shown = notices(third)
    assert "no longer pass validation" in shown[0]
    assert seven.fingerprint in shown[0]
    assert shown[1:] == problems
    assert any(re.match(r"events\.csv:\d+: date:", line) for line in shown), shown
    assert fingerprint_shown(third) == seven.fingerprint

    # fixed: "Reload data" brings the new version into this page
    write_events(live_data, E7, E8)
    eight = alliances.load_dataset(live_data, cache=False)
    third.evaluate("window.__before_reload = true")
    with third.expect_event("load", timeout=LOAD_MS):
        third.locator(".al-reload button").click()
    assert third.evaluate("window.__before_reload === undefined")  # a new document
    expect(third.locator(".al-kpis .kpi").first).to_be_visible(timeout=LOAD_MS)
    wait_until(lambda: events_shown(third) == "8", third)
    assert notices(third) == []
    assert fingerprint_shown(third) == eight.fingerprint

    # nothing new: the button says so and the page stays
    third.evaluate("window.__stays = true")
    third.locator(".al-reload button").click()
    expect(third.locator(".al-notices")).to_contain_text(
        f"The data has not changed (fingerprint {eight.fingerprint})."
    )
    assert third.evaluate("window.__stays === true")
    assert events_shown(third) == "8"
    assert failures(live_server.output()) == []


def tracebacks(log: str) -> list[str]:
    """Each traceback in a server log, with the line before it (what was being done)."""
    blocks = re.split(r"\n(?=\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})", log)
    return [block for block in blocks if "Traceback" in block]


def failures(log: str) -> list[str]:
    """Tracebacks in a server log, except those of writes to a socket the browser closed
    (Panel leaves those futures unretrieved: see the test below)."""
    return [t for t in tracebacks(log) if "WebSocketClosedError" not in t]


@pytest.mark.browser
def test_sessions_closed_mid_update_leave_the_server_healthy(new_page, small_server: Server):
    ds = alliances.load_dataset(SMALL, cache=False)
    log_start = len(small_server.output())
    changes = [
        (".al-event-types", "Arms", "Arms or munitions transfer"),
        (".al-actors", "PRK", "North Korea (PRK)"),
        (".al-event-types", "veto", "UN Security Council veto"),
    ]
    for css, typed, option in changes:
        page = new_page()
        open_dashboard(page, small_server.url)
        box = page.locator(f"{css} input.choices__input--cloned")
        box.click()
        box.press_sequentially(typed)
        choice = page.locator(f"{css} .choices__list--dropdown .choices__item--choice")
        choice.filter(has_text=option).click()
        page.close()  # while the server recomputes and sends the new figures

    time.sleep(2)  # let the server finish the updates of the closed sessions
    assert small_server.proc.poll() is None, "the server exited"
    fresh = new_page()
    open_dashboard(fresh, small_server.url)
    expect_view(fresh, ds, alliances.Filters())
    pick_option(fresh, ".al-event-types", "Arms", "Arms or munitions transfer")
    pick_option(fresh, ".al-actors", "PRK", "North Korea (PRK)")
    expect_view(fresh, ds, alliances.Filters(actors=["PRK"], event_types=["arms_transfer"]))

    log = small_server.output()[log_start:]
    assert failures(log) == []  # nothing failed in the dashboard's own code
    # Closing mid-update leaves Panel's pending websocket writes failed and never awaited;
    # asyncio then logs "Task exception was never retrieved ... WebSocketClosedError".
    found = tracebacks(log)
    assert found == [], "\n".join(found)
