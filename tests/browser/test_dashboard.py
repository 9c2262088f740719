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
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

import alliances
from alliances import query
from alliances.schema import EVENTS
from alliances.views.controls import actor_options
from alliances.views.table import PAGE_SIZE

from .conftest import (
    HOST,
    LOAD_MS,
    SMALL,
    WAIT_MS,
    PageLog,
    Server,
    free_port,
    start_server,
)

# Text of an element and of every open shadow root inside it (Panel renders into shadow DOM),
# without the <style> and <script> elements Panel puts there.
DEEP_TEXT = """el => {
  const parts = [];
  const walk = node => {
    if (node.nodeType === Node.TEXT_NODE) { parts.push(node.textContent); return; }
    if (node.nodeType === Node.ELEMENT_NODE) {
      if (['STYLE', 'SCRIPT', 'LINK', 'TEMPLATE'].includes(node.tagName)) return;
      if (node.shadowRoot) walk(node.shadowRoot);
    }
    for (const child of node.childNodes) walk(child);
  };
  walk(el);
  return parts.join('').replace(/\\s+/g, ' ').trim();
}"""

# The traces of a plotly graph, reduced to what the tests read.
TRACES = """el => (el.data || []).map(t => ({
  name: t.name === undefined ? null : t.name,
  mode: t.mode === undefined ? null : t.mode,
  type: t.type === undefined ? 'scatter' : t.type,
  customdata: t.customdata ? Array.from(t.customdata) : null,
}))"""


# --------------------------------------------------------------------------- helpers


def wait_until(fn: Callable[[], object], page: Page, timeout: float = WAIT_MS) -> None:
    """Poll ``fn`` until it returns something other than ``False`` without an AssertionError.

    Waits with ``page.wait_for_timeout`` so Playwright keeps processing the page's events
    (``time.sleep`` would freeze them, and ``page.url`` with them).
    """
    deadline = time.monotonic() + timeout / 1000
    while True:
        try:
            if fn() is not False:
                return
            failure: AssertionError | None = None
        except AssertionError as exc:
            failure = exc
        if time.monotonic() > deadline:
            if failure is not None:
                raise failure
            raise AssertionError(f"{getattr(fn, '__name__', fn)} still false after {timeout} ms")
        page.wait_for_timeout(100)


def small_dataset() -> alliances.Dataset:
    return alliances.load_dataset(SMALL)


def open_dashboard(page: Page, url: str) -> None:
    """Go to the dashboard and wait until the KPIs and every plot are drawn."""
    page.goto(url, timeout=LOAD_MS)
    try:
        expect(page.locator(".al-kpis .kpi").first).to_be_visible(timeout=LOAD_MS)
        for css in (".al-network", ".al-timeline", ".al-temperature", ".al-ranking"):
            wait_until(lambda css=css: len(traces(page, css)) > 0, page, LOAD_MS)
    except AssertionError as exc:  # say what the page shows instead (an error page?)
        raise AssertionError(f"{exc}\nThe page shows: {page_text(page)[:2000]}") from exc


def current_url(page: Page) -> str:
    """The address bar as the user would copy it."""
    return page.evaluate("location.href")


def query_of(page: Page) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(current_url(page)).query))


def expect_query(page: Page, wanted: dict[str, str], timeout: float = WAIT_MS) -> None:
    """Wait until the address bar's query string holds exactly ``wanted``."""

    def matches():
        url = current_url(page)
        assert query_of(page) == wanted, f"the address bar shows {url}"

    wait_until(matches, page, timeout)


def text(page: Page, css: str) -> str:
    return page.locator(css).first.evaluate(DEEP_TEXT)


def page_text(page: Page) -> str:
    return page.evaluate(f"({DEEP_TEXT})(document.body)")


def traces(page: Page, css: str) -> list[dict]:
    return page.locator(f"{css} .js-plotly-plot").evaluate(TRACES)


def network_actors(page: Page) -> list[str]:
    """The actor ids of the network's nodes (the node trace carries them as customdata)."""
    nodes = [t for t in traces(page, ".al-network") if t["name"] == "actors"]
    return nodes[0]["customdata"] if nodes else []


def timeline_events(page: Page) -> list[str]:
    """The event ids of the timeline's markers."""
    return [
        event_id
        for t in traces(page, ".al-timeline")
        if t["mode"] == "markers" and t["customdata"]
        for event_id in t["customdata"]
    ]


def kpis(page: Page) -> dict[str, str]:
    """KPI label -> the value shown on its card."""
    return dict(
        page.locator(".al-kpis .kpi").evaluate_all(
            """cards => cards.map(c => [c.querySelector('.kpi-label').textContent,
                                        c.querySelector('.kpi-value').textContent])"""
        )
    )


def chosen(page: Page, css: str) -> list[str]:
    """The option labels chosen in a MultiChoice widget, in order."""
    return page.locator(f"{css} .choices__list--multiple .choices__item").evaluate_all(
        "items => items.map(item => item.dataset.value)"
    )


def chosen_actors(page: Page, ds: alliances.Dataset) -> list[str]:
    options = actor_options(ds)
    return [options[label] for label in chosen(page, ".al-actors")]


def chosen_types(page: Page, ds: alliances.Dataset) -> list[str]:
    ids = dict(zip(ds.event_types["label"], ds.event_types["id"], strict=True))
    return [ids[label] for label in chosen(page, ".al-event-types")]


def date_input(page: Page, css: str):
    """The text field of a date filter (it takes typed dates and opens a calendar)."""
    return page.locator(f"{css} input.bk-input").first


def date_value(page: Page, css: str) -> str:
    return date_input(page, css).input_value()


def pick_option(page: Page, css: str, typed: str, option: str) -> None:
    """Type into a MultiChoice's search box, then click the dropdown option holding ``option``."""
    box = page.locator(f"{css} input.choices__input--cloned")
    box.click()
    box.press_sequentially(typed)
    page.locator(f"{css} .choices__list--dropdown .choices__item--choice", has_text=option).click()
    page.keyboard.press("Escape")


def pick_date(page: Page, css: str, day: dt.date) -> None:
    """Choose ``day`` in a date filter's calendar: year box, month menu, then the day."""
    date_input(page, css).click()
    calendar = page.locator(f"{css} .flatpickr-calendar")
    expect(calendar).to_be_visible()
    year = calendar.locator("input.cur-year")
    year.fill(str(day.year))
    year.press("Enter")
    calendar.locator("select.flatpickr-monthDropdown-months").select_option(str(day.month - 1))
    label = f"{day:%B} {day.day}, {day.year}"
    calendar.locator(f".flatpickr-day[aria-label='{label}']").click()
    expect(date_input(page, css)).to_have_value(day.isoformat())


def type_date(page: Page, css: str, day: str) -> None:
    """Type a date into a date filter, as someone who knows the date would."""
    field = date_input(page, css)
    field.click()
    field.fill(day)
    field.press("Enter")
    page.keyboard.press("Escape")


TAB_CONTENT = {"Overview": ".al-network", "Events": ".al-table", "About": ".al-about"}


def show_tab(page: Page, name: str) -> None:
    """Open a tab and wait for its content (a tab's content is sent when it is first opened)."""
    page.locator(".bk-tab", has_text=name).click()
    expect(page.locator(TAB_CONTENT[name]).first).to_be_visible()


def table_titles(page: Page) -> list[str]:
    """The titles on the table's page, once it shows as many rows as the count says (the table
    is drawn when its tab opens, after the count)."""
    expected = min(count_shown(page), PAGE_SIZE)
    expect(page.locator(".al-table .tabulator-row")).to_have_count(expected)
    return page.locator(".al-table .tabulator-cell[tabulator-field='Event']").all_text_contents()


def count_shown(page: Page) -> int:
    """The number in the table's "N events match the filters" line."""
    return int(text(page, ".al-count b").replace(",", ""))


def click_point(page: Page, css: str, trace: int, point: int) -> None:
    """Click the centre of one marker of a plotly graph, as a mouse would."""
    graph = page.locator(f"{css} .js-plotly-plot")
    graph.scroll_into_view_if_needed()
    marker = graph.locator(".scatterlayer .trace").nth(trace).locator(".points .point").nth(point)
    boxes: list[dict | None] = [None]

    def steady() -> bool:  # the graph may still be resizing to its container
        box = marker.bounding_box()
        assert box is not None, f"marker {point} of trace {trace} in {css} is not drawn"
        steady = box == boxes[-1]
        boxes.append(box)
        return steady

    wait_until(steady, page)
    box = boxes[-1]
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def expect_view(page: Page, ds: alliances.Dataset, filters: alliances.Filters) -> None:
    """Wait until the KPIs, network and timeline show what ``select`` gives for ``filters``."""
    selection = alliances.select(ds, filters)
    events = selection.events
    in_force = query.relations_in_force(ds, filters)
    nodes = set(in_force["actor_a"]) | set(in_force["actor_b"]) | set(selection.focus)

    def shown():
        k = kpis(page)
        assert k.get("Events") == f"{len(events):,}", k
        assert k.get("Relations") == f"{len(selection.relations):,}", k
        assert sorted(network_actors(page)) == sorted(nodes)
        assert sorted(timeline_events(page)) == sorted(events["event_id"])

    wait_until(shown, page)


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
    assert rows[0] == list(EVENTS.columns)
    assert rows[0] == (SMALL / "events.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
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
