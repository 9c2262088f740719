"""What a new user met in their first hour (issue #13), checked where they saw it: the page.

Backwards dates, the as-of controls, the detail card's sources, the events table's columns, and
a layout that reflows at 1,024 and 390 px without anything cut off or overlapping.
"""

from __future__ import annotations

import pandas as pd
import pytest
from playwright.sync_api import Page, expect

import alliances
from alliances.testing.pages import (
    expect_query,
    kpis,
    open_dashboard,
    page_text,
    pick_option,
    show_tab,
    text,
    type_date,
    wait_until,
)
from alliances.views.table import DEFAULT_COLUMNS

from .conftest import PageLog, Server

pytestmark = pytest.mark.browser


def small() -> alliances.Dataset:
    from .conftest import SMALL

    return alliances.load_dataset(SMALL, cache=False)


def expected_kpis(ds: alliances.Dataset, filters: alliances.Filters) -> str:
    sel = alliances.select(ds, filters)
    return f"{len(sel):,}"


def test_a_backwards_window_says_so_and_its_link_opens_the_same(new_page, small_server: Server):
    """From 2024-12-31 to 2023-01-01 once showed events with no word, and wrote a link that
    opened everything."""
    ds = small()
    page = new_page()
    open_dashboard(page, small_server.url)
    type_date(page, ".al-start", "2024-12-31")
    type_date(page, ".al-end", "2023-01-01")
    expect_query(page, {"from": "2024-12-31", "to": "2023-01-01"})
    notice = "'From' (2024-12-31) is after 'To' (2023-01-01): showing 2023-01-01 to 2024-12-31"
    wait_until(lambda: notice in text(page, ".al-notices"), page)
    backwards = alliances.Filters(start=pd.Timestamp("2024-12-31").date(),
                                  end=pd.Timestamp("2023-01-01").date())  # fmt: skip
    wait_until(lambda: kpis(page)["Events"] == expected_kpis(ds, backwards), page)

    again = new_page()
    open_dashboard(again, page.url)
    wait_until(lambda: notice in text(again, ".al-notices"), again)
    assert kpis(again)["Events"] == expected_kpis(ds, backwards)


def test_the_network_date_controls_are_named_and_follow_the_window(page: Page, small_server):
    open_dashboard(page, small_server.url)
    for name in ("First", "Previous", "Play", "Next"):  # what a screen reader announces
        expect(page.get_by_role("button", name=name, exact=True)).to_have_count(1)
    type_date(page, ".al-end", "2020-12-31")
    wait_until(lambda: text(page, ".al-asof") == "2020-12-31", page)
    assert "Relations in force on 2020-12-31" in text(page, ".al-network")
    page.get_by_role("button", name="Previous", exact=True).click()
    wait_until(lambda: text(page, ".al-asof") == "2019-12-31", page)
    expect_query(page, {"to": "2020-12-31", "asof": "2019-12-31"})
    page.get_by_role("button", name="First", exact=True).click()
    first = small().span[0]  # the window starts with the data
    wait_until(lambda: text(page, ".al-asof") == f"{first.year}-12-31", page)


def test_the_detail_card_shows_the_source_first_and_links_other_sources(
    page: Page, page_log: PageLog, bundled_server: Server
):
    ds = alliances.load_dataset(cache=False)
    events = ds.events
    linked = events[events["other_sources"].fillna("").str.contains("https://", regex=False)]
    assert len(linked) > 0, "the bundled data cites further sources with addresses"
    event = linked.iloc[0]
    url = next(w for w in str(event["other_sources"]).split() if w.startswith("https://"))
    url = url.rstrip(".,);")
    open_dashboard(page, f"{bundled_server.url}?event={event['event_id']}")
    card = page.locator(".al-detail .detail")
    expect(card.locator("h4")).to_have_text(str(event["title"]))
    source = card.locator(".detail-source")
    expect(source).to_contain_text(str(event["source_name"]))
    # the source sits right under the title, before the other fields
    source_y = source.bounding_box()["y"]
    assert source_y < card.locator("dl").bounding_box()["y"]
    expect(card.locator(f".sources a[href='{url}']")).to_have_count(1)
    assert card.locator(f".sources a[href='{url}']").get_attribute("rel") == ("noopener noreferrer")


def test_the_events_table_shows_readable_columns_at_1366_and_lets_you_pick(
    new_page, small_server: Server
):
    page = new_page()
    page.set_viewport_size({"width": 1366, "height": 900})
    open_dashboard(page, small_server.url)
    show_tab(page, "Events")
    headers = page.locator(".al-table .tabulator-col[tabulator-field]")

    def shown() -> list[str]:
        visible = headers.evaluate_all(
            "cols => cols.filter(c => c.offsetParent !== null && c.offsetWidth > 0)"
            ".map(c => c.getAttribute('tabulator-field'))"
        )
        return visible

    wait_until(lambda: shown() == list(DEFAULT_COLUMNS), page)
    table = page.locator(".al-table .tabulator").first.bounding_box()
    for field in DEFAULT_COLUMNS:  # every default column inside the table, none cut off
        box = page.locator(f".al-table .tabulator-col[tabulator-field='{field}']").bounding_box()
        assert box["x"] + box["width"] <= table["x"] + table["width"] + 1, field
    box = page.locator(".al-columns input.choices__input--cloned")
    box.click()
    box.press_sequentially("Loca")
    page.locator(".al-columns .choices__item--choice", has_text="Location").click()
    page.keyboard.press("Escape")
    wait_until(lambda: "Location" in shown(), page)


# --------------------------------------------------------------------------- narrow screens

KEY_VIEWS = (".al-kpis", ".al-network", ".al-side", ".al-timeline", ".al-temperature",
             ".al-changes")  # fmt: skip


def boxes(page: Page, selectors: tuple[str, ...]) -> dict[str, dict]:
    """Each selector's first element as {left, right, top, bottom} (Playwright's locators
    reach into Bokeh's shadow roots)."""
    found = {}
    for css in selectors:
        box = page.locator(css).first.bounding_box()
        if box is not None:
            found[css] = as_edges(box)
    return found


def as_edges(box: dict) -> dict:
    return {"left": box["x"], "right": box["x"] + box["width"], "top": box["y"],
            "bottom": box["y"] + box["height"]}  # fmt: skip


def overlap(a: dict, b: dict) -> bool:
    return min(a["right"], b["right"]) - max(a["left"], b["left"]) > 2 and (
        min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > 2
    )


def assert_reflows(page: Page) -> None:
    """Nothing wider than the page, every view inside it, no two views on top of each other."""
    main = page.evaluate(
        "() => { const m = document.getElementById('main'); "
        "return [m.scrollWidth, m.clientWidth, m.getBoundingClientRect().right]; }"
    )
    assert main[0] <= main[1] + 1, f"the page scrolls sideways: {main}"
    found = boxes(page, KEY_VIEWS)
    assert set(found) == set(KEY_VIEWS), set(KEY_VIEWS) - set(found)
    for css, box in found.items():
        assert box["left"] >= -1, (css, box)
        assert box["right"] <= main[2] + 1, (css, box, main)
    names = list(found)
    for i, one in enumerate(names):
        for other in names[i + 1 :]:
            assert not overlap(found[one], found[other]), (one, other)
    # the year slider and the "Details" heading once overlapped at 1,024 px
    details = page.get_by_role("heading", name="Details").bounding_box()
    year = page.locator(".al-year").first.bounding_box()
    assert not overlap(as_edges(details), as_edges(year))


@pytest.mark.parametrize("width", [1024, 390])
def test_the_layout_reflows_on_narrow_screens(new_page, bundled_server: Server, width: int):
    page = new_page()
    page.set_viewport_size({"width": width, "height": 900})
    open_dashboard(page, bundled_server.url)
    wait_until(lambda: kpis(page)["Events"] != "", page)
    sidebar = page.locator("#sidebar")
    if width < 768:  # a phone: the filters start folded away and open over the page
        expect(sidebar).to_be_hidden()
        main_width = page.locator("#main").bounding_box()["width"]
        assert main_width >= width - 40
        assert_reflows(page)
        page.locator("#sidebar-toggle").click()
        expect(sidebar).to_be_visible()
        expect(page.locator(".al-actors")).to_be_visible()
        assert page.locator("#main").bounding_box()["width"] == main_width  # over, not beside
    else:
        expect(sidebar).to_be_visible()
        assert_reflows(page)


def test_no_legend_covers_its_chart_title(page: Page, bundled_server: Server):
    open_dashboard(page, bundled_server.url)
    plots = page.locator(".js-plotly-plot")
    wait_until(lambda: plots.count() >= 4, page)
    checked = 0
    for i in range(plots.count()):
        plot = plots.nth(i)
        title, legend = plot.locator(".gtitle"), plot.locator(".legend")
        if not title.count() or not legend.count():
            continue
        a, b = title.first.bounding_box(), legend.first.bounding_box()
        if a is None or b is None:
            continue
        checked += 1
        assert not overlap(as_edges(a), as_edges(b)), f"plot {i}: legend over title"
    assert checked >= 2  # the network and the temperature have both


def test_a_click_on_the_partners_label_ticks_the_box(page: Page, small_server: Server):
    """The label was a <div> beside the box (holoviz/panel#7106): clicking it did nothing."""
    open_dashboard(page, small_server.url)
    page.get_by_text("Include their direct partners", exact=True).click()
    expect(page.get_by_role("checkbox", name="Include their direct partners")).to_be_checked()
    expect_query(page, {"partners": "1"})


# --------------------------------------------------------------------------- chips and lanes

WORD_LINES = """chip => {
  // each word of the chip's own text (not its remove button) and the rendered lines it spans
  const walker = document.createTreeWalker(chip, NodeFilter.SHOW_TEXT);
  const words = [];
  const tops = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest('button')) continue;
    for (const m of node.data.matchAll(/\\S+/g)) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const rects = Array.from(range.getClientRects()).filter(r => r.width > 0);
      const lines = new Set(rects.map(r => Math.round(r.top / 4)));
      words.push([m[0], lines.size]);
      rects.forEach(r => tops.push(Math.round(r.top / 4)));
    }
  }
  return {words, lines: new Set(tops).size};
}"""


def test_a_long_actor_chip_wraps_between_words(new_page, bundled_server: Server):
    """Choices.js breaks chip text anywhere (``word-break: break-all``): in a narrow sidebar a
    long name was cut mid-word ("Nort / hern Ireland"). Each word of the chip stays on one line,
    whatever the sidebar's width (where the lines end depends on it, so several are tried)."""
    page = new_page()
    page.set_viewport_size({"width": 1024, "height": 900})
    open_dashboard(page, bundled_server.url)
    pick_option(page, ".al-actors", "United King", "United Kingdom (GBR)")
    expect_query(page, {"actors": "GBR"})
    chip = page.locator(".al-actors .choices__list--multiple .choices__item").first
    expect(chip).to_contain_text("United Kingdom of Great Britain and Northern Ireland")
    for width in (200, 215, 230, 250, 270):  # the sidebar, narrowed as on a small screen
        page.evaluate(f"document.getElementById('sidebar').style.width = '{width}px'")
        wait_until(lambda width=width: chip.bounding_box()["width"] < width, page)
        shown = chip.evaluate(WORD_LINES)
        assert shown["lines"] >= 2, f"{width} px: the chip fits on one line ({shown})"
        broken = [word for word, lines in shown["words"] if lines > 1]
        assert not broken, f"{width} px: words broken across lines: {broken}"


def timeline_lanes(page: Page) -> list[str]:
    """The timeline's lane labels as drawn: its y-axis tick texts."""
    return page.locator(".al-timeline .yaxislayer-above .ytick text").all_text_contents()


def expect_pair_lanes(page: Page) -> None:
    wait_until(lambda: "PRK–RUS" in timeline_lanes(page), page)
    lanes = timeline_lanes(page)
    assert "Leader summit" not in lanes  # lanes by type are gone
    assert sum("–" in lane for lane in lanes) >= 3, lanes
    assert "could not be drawn" not in page_text(page)
    expect(page.locator(".al-error")).to_have_count(0)


def test_pair_lanes_draw_from_a_link_and_from_the_button(new_page, bundled_server: Server):
    """``?lanes=pair`` and the "pair" button failed on the bundled data (an int8 overflow):
    the timeline showed its error notice instead of lanes named by pairs."""
    page = new_page()
    open_dashboard(page, f"{bundled_server.url}?lanes=pair")
    expect_pair_lanes(page)

    page = new_page()
    open_dashboard(page, bundled_server.url)
    wait_until(lambda: "Leader summit" in timeline_lanes(page), page)
    page.locator(".al-lanes button", has_text="pair").click()
    expect_query(page, {"lanes": "pair"})
    expect_pair_lanes(page)
