"""The dashboard's page in Chromium, as a person reads and works it: one page-object module.

The browser tests (tests/browser/) and the reliability tool's Chromium pages use these
helpers: they find the views by their ``al-*`` CSS classes, read what is shown (KPI cards, the
address bar, plotly traces, the table), and click, type and pick as a user does. Playwright
is imported with this module; Panel is not (the two helpers that need the views' option
labels or page size import them when called).
"""

from __future__ import annotations

import datetime as dt
import time
import urllib.parse
from collections.abc import Callable

from playwright.sync_api import Page, expect

import alliances
from alliances import query

WAIT_MS = 20_000
"""How long a page may take to react (the 2-core machines that run this are often busy)."""
LOAD_MS = 60_000
"""How long a fresh page may take to draw (session, figures; the bundled data is bigger)."""

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

TAB_CONTENT = {"Overview": ".al-network", "Events": ".al-table", "About": ".al-about"}
"""What each tab shows first: a tab's content arrives when it is first opened."""


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


# --------------------------------------------------------------------------- reading


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
    """The address bar's query string, as a dict."""
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
    """The actor ids chosen in the actors filter."""
    from alliances.views.controls import actor_options  # the views import Panel

    options = actor_options(ds)
    return [options[label] for label in chosen(page, ".al-actors")]


def chosen_types(page: Page, ds: alliances.Dataset) -> list[str]:
    """The event type ids chosen in the event-types filter."""
    ids = dict(zip(ds.event_types["label"], ds.event_types["id"], strict=True))
    return [ids[label] for label in chosen(page, ".al-event-types")]


def date_input(page: Page, css: str):
    """The text field of a date filter (it takes typed dates and opens a calendar)."""
    return page.locator(f"{css} input.bk-input").first


def date_value(page: Page, css: str) -> str:
    return date_input(page, css).input_value()


def table_titles(page: Page) -> list[str]:
    """The titles on the table's page, once it shows as many rows as the count says (the table
    is drawn when its tab opens, after the count)."""
    from alliances.views.table import PAGE_SIZE  # the views import Panel

    expected = min(count_shown(page), PAGE_SIZE)
    expect(page.locator(".al-table .tabulator-row")).to_have_count(expected)
    return page.locator(".al-table .tabulator-cell[tabulator-field='Event']").all_text_contents()


def count_shown(page: Page) -> int:
    """The number in the table's "N events match the filters" line."""
    return int(text(page, ".al-count b").replace(",", ""))


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


# --------------------------------------------------------------------------- working it


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


def show_tab(page: Page, name: str) -> None:
    """Open a tab and wait for its content (a tab's content is sent when it is first opened)."""
    page.locator(".bk-tab", has_text=name).click()
    expect(page.locator(TAB_CONTENT[name]).first).to_be_visible()


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
