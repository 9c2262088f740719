"""A Parquet dataset served from the engine (``ALLIANCES_ENGINE=duckdb``) in a real browser:
it opens, draws, filters and lists as the in-memory path does on the same files, and a folder
whose events cannot be read shows that, in words, instead of a traceback."""

from __future__ import annotations

import datetime as dt
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from alliances import query, state
from alliances.convert import convert
from alliances.dataset import Dataset, bundled_path, load_dataset
from alliances.engine import ENV_ENGINE, choose
from alliances.state import Filters
from alliances.testing.pages import (
    LOAD_MS,
    expect_query,
    expect_view,
    kpis,
    network_actors,
    open_dashboard,
    page_text,
    pick_option,
    show_tab,
    table_titles,
    text,
    timeline_events,
)
from alliances.views.table import PAGE_SIZE

from .conftest import PageLog, Server, panel_serve

ENGINE = {ENV_ENGINE: "duckdb"}
"""The server's environment: the engine, though the data is far below its threshold."""


def converted(folder: Path) -> Path:
    """The bundled dataset as ``alliances convert`` writes it (events as Parquet partitioned by
    year), without the engine's rollups: whoever opens it on the engine path builds them."""
    convert(bundled_path(), folder, rollups=False)
    assert list((folder / "events").glob("year=*/part-*.parquet"))
    assert not (folder / ".alliances").exists()
    return folder


def in_memory(folder: Path) -> Dataset:
    """The same files on the in-memory path: what the engine's answers are compared with."""
    return load_dataset(folder, engine="memory", cache=False)


@pytest.fixture(scope="module")
def engine_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return converted(tmp_path_factory.mktemp("engine") / "data")


@pytest.fixture(scope="module")
def engine_server(tmp_path_factory: pytest.TempPathFactory, engine_data: Path) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("logs") / "engine-server.log"
    server = panel_serve(engine_data, log, env=ENGINE)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def unreadable_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The converted dataset with one year of events overwritten by bytes that are no Parquet."""
    folder = converted(tmp_path_factory.mktemp("unreadable") / "data")
    (part,) = (folder / "events" / "year=2024").glob("part-*.parquet")
    part.write_bytes(b"these bytes are not a Parquet file\n" * 20)
    return folder


@pytest.fixture(scope="module")
def unreadable_server(
    tmp_path_factory: pytest.TempPathFactory, unreadable_data: Path
) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("logs") / "unreadable-server.log"
    server = panel_serve(unreadable_data, log, env=ENGINE)
    yield server
    server.stop()


@pytest.mark.browser
def test_an_engine_dataset_draws_filters_and_lists_as_the_memory_path(
    new_page, page_log: PageLog, engine_data: Path, engine_server: Server, bundled_events: int
):
    # small enough for memory: only the variable sends it to the engine, which then built
    # its rollups beside the data when the server opened it
    assert choose(engine_data, "auto") == "memory"
    assert choose(engine_data, ENGINE[ENV_ENGINE]) == "engine"
    assert list((engine_data / ".alliances").glob("v*/facts.parquet"))
    ds = in_memory(engine_data)
    assert len(ds.events) == bundled_events  # the bundled events, every one converted

    page = new_page()
    open_dashboard(page, engine_server.url)
    assert kpis(page)["Events"] == f"{bundled_events:,}"
    expect_view(page, ds, Filters())  # the KPIs, every node and every timeline marker
    assert {"RUS", "PRK", "USA"} <= set(network_actors(page))
    assert len(timeline_events(page)) == bundled_events

    pick_option(page, ".al-actors", "DPRK", "North Korea (PRK)")  # found by its alias
    prk = Filters(actors=["PRK"])
    expect_view(page, ds, prk)
    expected = len(query.select(ds, prk).events)
    assert 0 < expected < bundled_events
    assert kpis(page)["Events"] == f"{expected:,}"

    show_tab(page, "Events")
    expect(page.locator(".al-count")).to_contain_text(f"{expected:,} events match the filters")
    first_page = query.select(ds, prk).page(limit=PAGE_SIZE)["title"]
    assert table_titles(page) == list(first_page)  # a full page, the latest first
    row = page.locator(".al-table .tabulator-row").nth(2)
    clicked = row.locator(".tabulator-cell[tabulator-field='Event']").text_content()
    row.locator(".tabulator-cell[tabulator-field='Event']").click()
    event = ds.events[ds.events["title"] == clicked].iloc[0]
    expect_query(page, {"actors": "PRK", "event": event["event_id"]})
    show_tab(page, "Overview")
    expect(page.locator(".al-detail .detail h4")).to_have_text(clicked)
    assert event["date"].strftime("%Y-%m-%d") in text(page, ".al-detail .detail-when")

    assert page_log.problems() == []


@pytest.mark.browser
def test_an_engine_link_opens_with_the_memory_paths_counts(
    new_page, page_log: PageLog, engine_data: Path, engine_server: Server
):
    ds = in_memory(engine_data)

    linked = Filters(actors=["RUS", "UKR"], start=dt.date(2014, 1, 1), event_types=["sanctions"])
    selection = query.select(ds, linked)
    assert 0 < len(selection.events) < 40
    link = engine_server.url + "?" + urllib.parse.urlencode(state.to_query(linked))

    page = new_page()
    open_dashboard(page, link)
    expect_view(page, ds, linked)
    assert kpis(page)["Events"] == f"{len(selection.events):,}"
    show_tab(page, "Events")
    expect(page.locator(".al-count")).to_contain_text(
        f"{len(selection.events)} events match the filters"
    )
    first_page = selection.page(limit=PAGE_SIZE)["title"]  # the latest first
    assert table_titles(page) == list(first_page)
    assert page_log.problems() == []


@pytest.mark.browser
def test_unreadable_engine_events_say_they_could_not_be_read(
    page: Page, page_log: PageLog, unreadable_data: Path, unreadable_server: Server
):
    page.goto(unreadable_server.url, timeout=LOAD_MS)

    error = page.locator(".read-error")
    expect(error).to_be_visible(timeout=LOAD_MS)
    assert error.text_content().startswith("cannot read the events: ")
    assert "events/year=2024/part-0.parquet" in error.text_content()
    body = page_text(page)
    assert f"Cannot read the dataset in {unreadable_data}" in body
    assert "engine could not be reached, or a table or file in it is missing or unreadable" in body
    assert "did not pass validation" not in body
    assert "alliances validate" not in body
    assert "Traceback" not in body
    assert 'File "' not in body
    assert page.locator(".validation-report").count() == 0
    assert page.locator(".al-network").count() == 0
    assert page_log.problems() == []
