"""The dashboard in a real browser: what a person sees, clicks, copies and downloads.

Expected values come from the package's own loader and query functions on the same dataset;
each test also checks at least one fact a person can verify by reading the fixture CSV files.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import sys
import urllib.parse
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

import alliances
from alliances.schema import EVENTS
from alliances.testing.pages import (
    LOAD_MS,
    chosen_actors,
    chosen_types,
    click_point,
    current_url,
    date_value,
    expect_query,
    expect_view,
    kpis,
    network_actors,
    open_dashboard,
    page_text,
    pick_date,
    pick_option,
    show_tab,
    table_titles,
    text,
    timeline_events,
    traces,
    wait_until,
)
from alliances.views.table import PAGE_SIZE

from .conftest import HOST, SMALL, PageLog, Server, free_port, start_server


def small_dataset() -> alliances.Dataset:
    return alliances.load_dataset(SMALL)


# --------------------------------------------------------------------------- tests


@pytest.mark.browser
def test_every_view_renders(page: Page, page_log: PageLog, small_server: Server):
    ds = small_dataset()
    open_dashboard(page, small_server.url)

    for css in (".al-network", ".al-timeline", ".al-temperature", ".al-ranking"):
        assert len(traces(page, css)) >= 1, f"{css} has no trace"
    everything = alliances.Filters()
    expect_view(page, ds, everything)
    k = kpis(page)
    assert k["Events"] == "6"  # the six rows of tests/fixtures/small/events.csv
    assert k["Total USD"] == "50.0 bn"  # the ERA loans
    assert {"PRK", "RUS", "USA", "KOR", "UKR"} <= set(network_actors(page))

    show_tab(page, "Events")
    expect(page.locator(".al-count")).to_contain_text(f"{len(ds.events)} events match the filters")
    expect(page.locator(".al-table .tabulator-row")).to_have_count(len(ds.events))
    assert "Putin-Kim summit" in table_titles(page)

    show_tab(page, "About")
    fingerprint = page.locator(".al-about li", has_text="Fingerprint").locator("code")
    expect(fingerprint).to_have_text(ds.fingerprint)
    assert f"Fingerprint {ds.fingerprint}" in text(page, ".al-about")

    assert page_log.errors == []
    assert page_log.external == []
    assert any(url.startswith(small_server.base) for url in page_log.requests)


@pytest.mark.browser
def test_choosing_actors_changes_every_view(page: Page, small_server: Server):
    ds = small_dataset()
    open_dashboard(page, small_server.url)
    expect_view(page, ds, alliances.Filters())

    pick_option(page, ".al-actors", "DPRK", "North Korea (PRK)")  # found by its alias
    prk = alliances.Filters(actors=["PRK"])
    expect_view(page, ds, prk)
    assert chosen_actors(page, ds) == ["PRK"]
    assert sorted(network_actors(page)) == ["PRK", "RUS"]  # the 2024 treaty; USA is gone
    assert "e6" not in timeline_events(page)  # ERA loans: USA and Ukraine only

    pick_option(page, ".al-actors", "Ukr", "Ukraine (UKR)")
    both = alliances.Filters(actors=["PRK", "UKR"])
    expect_view(page, ds, both)
    assert chosen_actors(page, ds) == ["PRK", "UKR"]
    assert "UKR" in network_actors(page)
    assert "USA" not in network_actors(page)

    show_tab(page, "Events")
    events = alliances.select(ds, both).events
    expect(page.locator(".al-count")).to_contain_text(f"{len(events)} events match the filters")
    assert sorted(table_titles(page)) == sorted(events["title"])
    assert "Putin-Kim summit" in table_titles(page)


@pytest.mark.browser
def test_copied_url_restores_the_filters(new_page, small_server: Server):
    ds = small_dataset()
    page = new_page()
    open_dashboard(page, small_server.url)
    pick_option(page, ".al-actors", "PRK", "North Korea (PRK)")
    pick_option(page, ".al-event-types", "Arms", "Arms or munitions transfer")
    pick_date(page, ".al-start", dt.date(2024, 1, 1))
    pick_date(page, ".al-end", dt.date(2024, 6, 30))
    filters = alliances.Filters(
        actors=["PRK"],
        event_types=["arms_transfer"],
        start=dt.date(2024, 1, 1),
        end=dt.date(2024, 6, 30),
    )
    expect_view(page, ds, filters)
    wanted = {"actors": "PRK", "types": "arms_transfer", "from": "2024-01-01", "to": "2024-06-30"}
    expect_query(page, wanted)
    copied = current_url(page)
    before = kpis(page)

    again = new_page()
    open_dashboard(again, copied)
    expect_view(again, ds, filters)
    assert chosen_actors(again, ds) == ["PRK"]
    assert chosen_types(again, ds) == ["arms_transfer"]
    assert date_value(again, ".al-start") == "2024-01-01"
    assert date_value(again, ".al-end") == "2024-06-30"
    assert kpis(again) == before
    show_tab(again, "Events")
    expect(again.locator(".al-count")).to_contain_text("1 events match the filters")
    assert table_titles(again) == ["Munitions estimate"]  # e3; e5 (2023-08) is before the window

    link = f"{small_server.url}?actors=PRK,RUS&from=2024-01-01&to=2024-12-31&types=summit,veto"
    deep = new_page()
    open_dashboard(deep, link)
    linked = alliances.Filters(
        actors=["PRK", "RUS"],
        event_types=["summit", "veto"],
        start=dt.date(2024, 1, 1),
        end=dt.date(2024, 12, 31),
    )
    expect_view(deep, ds, linked)
    assert chosen_actors(deep, ds) == ["PRK", "RUS"]
    assert chosen_types(deep, ds) == ["summit", "veto"]
    assert date_value(deep, ".al-start") == "2024-01-01"
    assert date_value(deep, ".al-end") == "2024-12-31"
    show_tab(deep, "Events")
    expect(deep.locator(".al-count")).to_contain_text(
        f"{len(alliances.select(ds, linked).events)} events match the filters"
    )
    assert sorted(table_titles(deep)) == ["Panel of Experts veto", "Putin-Kim summit"]
    assert not deep.locator(".al-notices").is_visible()


@pytest.mark.browser
def test_clicking_a_node_focuses_on_its_actor(page: Page, small_server: Server):
    ds = small_dataset()
    open_dashboard(page, small_server.url)
    node_traces = traces(page, ".al-network")
    index = next(i for i, t in enumerate(node_traces) if t["name"] == "actors")
    point = node_traces[index]["customdata"].index("PRK")

    click_point(page, ".al-network", index, point)

    wait_until(lambda: chosen_actors(page, ds) == ["PRK"], page)
    expect_query(page, {"actors": "PRK", "actor": "PRK"})
    assert "actors=PRK" in current_url(page)
    expect_view(page, ds, alliances.Filters(actors=["PRK"]))
    # and the actor's card: who it is, its relations in force, its latest events
    card = page.locator(".al-detail .actor-card")
    expect(card.locator("h4")).to_contain_text("North Korea")
    expect(card).to_contain_text("Comprehensive strategic partnership with Russia (RUS)")
    expect(card).to_contain_text("Putin-Kim summit")


@pytest.mark.browser
def test_clicking_an_event_opens_its_detail(page: Page, small_server: Server):
    ds = small_dataset()
    event = ds.events.set_index("event_id").loc["e4"]
    assert event["title"] == "Panel of Experts veto"
    open_dashboard(page, small_server.url)
    expect(page.locator(".al-detail")).to_contain_text("Click an event in the timeline")
    timeline = traces(page, ".al-timeline")
    index = next(i for i, t in enumerate(timeline) if t["customdata"] and "e4" in t["customdata"])

    click_point(page, ".al-timeline", index, timeline[index]["customdata"].index("e4"))

    detail = page.locator(".al-detail .detail")
    expect(detail.locator("h4")).to_have_text(event["title"])
    source = detail.locator("a")
    expect(source).to_have_text(event["source_name"])  # "UN"
    expect(source).to_have_attribute("href", event["source_url"])
    assert "Russia (RUS)" in text(page, ".al-detail")
    expect_query(page, {"event": "e4"})


@pytest.mark.browser
def test_csv_download_holds_the_filtered_rows(page: Page, small_server: Server, tmp_path: Path):
    ds = small_dataset()
    open_dashboard(page, f"{small_server.url}?actors=PRK&types=arms_transfer,summit,veto")
    filters = alliances.Filters(actors=["PRK"], event_types=["arms_transfer", "summit", "veto"])
    expect_view(page, ds, filters)
    expected = list(alliances.select(ds, filters).events["event_id"])
    show_tab(page, "Events")
    expect(page.locator(".al-count")).to_contain_text(f"{len(expected)} events match the filters")

    with page.expect_download() as info:
        page.locator(".al-download button").click()
    download = info.value
    # the file says what it holds: in its name, and in comment lines before the header
    assert download.suggested_filename == (
        "alliances-events_PRK_arms_transfer-summit-veto_1953-10-01_to_2024-06-19.csv"
    )
    text_body = Path(download.path()).read_text(encoding="utf-8")
    comments = [line for line in text_body.splitlines() if line.startswith("#")]
    assert "# Event types: Arms or munitions transfer, Leader summit, UN Security Council veto" in (
        comments
    )
    body = text_body.split("\n", len(comments))[-1]

    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == list(EVENTS.columns)  # every column of the format, optional ones too
    fixture_header = (SMALL / "events.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert rows[0][: len(fixture_header)] == fixture_header
    records = list(csv.DictReader(io.StringIO(body)))
    assert [r["event_id"] for r in records] == expected
    titles = {r["title"] for r in records}
    assert "Putin-Kim summit" in titles
    assert "Treaty signed" not in titles  # a treaty, not one of the chosen types
    assert "ERA loans" not in titles  # USA and Ukraine
    summit = next(r for r in records if r["event_id"] == "e1")
    assert summit["description"] == "Multi\nline description"

    folder = tmp_path / "downloaded"
    folder.mkdir()
    for name in ("actors.csv", "event_types.csv", "relation_types.csv", "relations.csv"):
        shutil.copy(SMALL / name, folder / name)
    # the whole file, comments and all: the loader skips them
    (folder / "events.csv").write_text(text_body, encoding="utf-8", newline="")
    assert alliances.validate(folder) == []
    reloaded = alliances.load_dataset(folder, cache=False)
    assert list(reloaded.events["event_id"]) == expected


@pytest.mark.browser
def test_malformed_link_shows_a_notice_and_the_page_works(
    page: Page, page_log: PageLog, small_server: Server
):
    ds = small_dataset()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_dashboard(
        page, f"{small_server.url}?actors=<script>alert(1)</script>&from=notadate&zzz=1&size=huge"
    )

    notices = page.locator(".al-notices")
    expect(notices).to_be_visible()
    items = notices.locator("li").all_text_contents()
    assert len(items) == 4, items
    shown = " | ".join(items)
    assert "<script>alert(1)</script>" in shown  # shown as text, not run
    assert "notadate" in shown
    assert "'zzz'" in shown
    assert "'size'" in shown
    assert notices.evaluate("el => el.shadowRoot.querySelectorAll('script').length") == 0

    expect_view(page, ds, alliances.Filters())  # nothing applied, everything shown
    assert chosen_actors(page, ds) == []
    assert date_value(page, ".al-start") == ""
    pick_option(page, ".al-actors", "Ukr", "Ukraine (UKR)")
    expect_view(page, ds, alliances.Filters(actors=["UKR"]))
    assert timeline_events(page) == ["e6"]  # ERA loans
    expect_query(page, {"actors": "UKR"})

    assert dialogs == []
    assert page_log.errors == []
    assert page_log.external == []


@pytest.mark.browser
def test_opened_link_is_rewritten_to_the_filters_it_applied(page: Page, small_server: Server):
    """The address bar must say what the page shows, so that copying it shares that view."""
    ds = small_dataset()
    open_dashboard(page, f"{small_server.url}?actors=PRK,XXX&zzz=1")
    expect(page.locator(".al-notices")).to_contain_text("ignored unknown actor ids: XXX")
    expect_view(page, ds, alliances.Filters(actors=["PRK"]))
    assert chosen_actors(page, ds) == ["PRK"]

    # create_app writes ?actors=PRK once the link is applied; the address bar must follow
    expect_query(page, {"actors": "PRK"}, timeout=10_000)


@pytest.mark.browser
def test_invalid_dataset_shows_the_validation_report(
    page: Page, page_log: PageLog, invalid_server: Server, invalid_data: Path
):
    problems = [str(p) for p in alliances.validate(invalid_data)]
    assert len(problems) == 13
    page.goto(invalid_server.url, timeout=LOAD_MS)

    report = page.locator(".validation-report")
    expect(report).to_be_visible(timeout=LOAD_MS)
    lines = report.text_content().splitlines()
    assert lines == problems
    assert any(line.startswith("events.csv:5: date:") for line in lines)  # 2024-02-30
    assert "events.csv:6: source_url:" in report.text_content()  # javascript:alert(1)
    body = page_text(page)
    assert "did not pass validation" in body
    assert str(invalid_data) in body
    assert "Traceback" not in body
    assert 'File "' not in body
    assert page.locator(".al-network").count() == 0
    assert page_log.errors == []


@pytest.mark.browser
def test_bundled_dataset_smoke(page: Page, page_log: PageLog, bundled_server: Server):
    open_dashboard(page, bundled_server.url)
    ds = alliances.load_dataset(cache=False)
    wait_until(lambda: kpis(page)["Events"] == f"{len(ds.events):,}", page)
    assert "RUS" in network_actors(page)
    show_tab(page, "About")
    wait_until(lambda: "the dataset bundled with alliances" in text(page, ".al-about"), page)
    assert page_log.errors == []
    assert page_log.external == []


@pytest.mark.browser
def test_the_events_table_pages_sorts_and_opens_a_row(
    page: Page, page_log: PageLog, bundled_server: Server
):
    """The table holds one page: Next shows the 16th to 30th latest events, a row there opens
    its event, and "Sort by" orders every selected event, not only the page on screen."""
    ds = alliances.load_dataset(cache=False)
    selection = alliances.select(ds, alliances.Filters())
    total = len(selection)
    assert total > 30
    pages = -(-total // PAGE_SIZE)
    open_dashboard(page, bundled_server.url)
    show_tab(page, "Events")
    expect(page.locator(".al-count")).to_contain_text(f"{total} events match the filters")
    expect(page.locator(".al-page")).to_have_text(f"Page 1 of {pages}")
    assert table_titles(page) == list(selection.page(limit=PAGE_SIZE)["title"])

    page.locator(".al-page-next button").click()
    expect(page.locator(".al-page")).to_have_text(f"Page 2 of {pages}")
    second = selection.page(offset=PAGE_SIZE, limit=PAGE_SIZE)
    wait_until(lambda: table_titles(page) == list(second["title"]), page)
    row = page.locator(".al-table .tabulator-row").nth(3)
    row.locator(".tabulator-cell[tabulator-field='Event']").click()
    event = second.iloc[3]  # the 19th latest
    expect_query(page, {"event": event["event_id"]})

    page.locator(".al-sort select").select_option(label="Magnitude")
    expect(page.locator(".al-page")).to_have_text(f"Page 1 of {pages}")
    largest = selection.page(sort="magnitude", limit=PAGE_SIZE)
    wait_until(lambda: table_titles(page) == list(largest["title"]), page)
    assert largest["magnitude"].iloc[0] == ds.events["magnitude"].max()
    expect(page.locator(".al-table .tabulator-selected")).to_have_count(0)  # not another event

    show_tab(page, "Overview")
    expect(page.locator(".al-detail .detail h4")).to_have_text(event["title"])
    assert page_log.problems() == []


@pytest.mark.browser
def test_alliances_serve_command(page: Page, tmp_path: Path):
    command = shutil.which("alliances", path=str(Path(sys.executable).parent)) or shutil.which(
        "alliances"
    )
    assert command is not None, "the `alliances` console script is not installed"
    port = free_port()
    server = start_server(
        [command, "serve", "--data", str(SMALL), "--port", str(port)],
        port,
        tmp_path / "serve.log",
    )
    try:
        open_dashboard(page, f"http://{HOST}:{port}/")
        assert urllib.parse.urlsplit(current_url(page)).path in ("/", "/alliances_app")
        ds = small_dataset()
        assert kpis(page)["Events"] == f"{len(ds.events)}"
        show_tab(page, "About")
        wait_until(lambda: ds.fingerprint in text(page, ".al-about"), page)
    finally:
        server.stop()
    assert server.proc.returncode is not None
