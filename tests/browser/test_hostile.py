"""A dataset with markup in every text field, in the dashboard: shown as text, never run.

``hostile_dataset`` puts ``<img src=x onerror=alert(1)>`` in names, aliases, titles,
descriptions, sources, units and type labels, and ``<svg/onload=alert(2)>`` in an actor id.
Every test listens for dialogs (an alert would mean script ran) and searches the whole DOM,
shadow roots included, for elements the markup could have created.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

import alliances
from alliances.testing.pages import (
    expect_query,
    kpis,
    open_dashboard,
    show_tab,
    table_titles,
    text,
    wait_until,
)
from unit_helpers import HOSTILE, SVG_ID, hostile_dataset

from .conftest import LOAD_MS, PageLog, Server, injected, panel_serve, watch_dialogs

HOVER = "<b>&lt;img src=x onerror=alert(1)&gt;</b>"
"""How the timeline's hover text must start for h1: the title escaped, inside our own <b>."""


@pytest.fixture(scope="module")
def hostile_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile") / "data"
    hostile_dataset(folder)
    return folder


@pytest.fixture(scope="module")
def hostile_server(
    tmp_path_factory: pytest.TempPathFactory, hostile_data: Path
) -> Iterator[Server]:
    server = panel_serve(hostile_data, tmp_path_factory.mktemp("logs") / "hostile-server.log")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def ds(hostile_data: Path) -> alliances.Dataset:
    return alliances.load_dataset(hostile_data, cache=False)


def assert_nothing_ran(page: Page, dialogs: list[str], page_log: PageLog) -> None:
    """No dialog, no injected element, no request for the ``x`` of ``<img src=x>``."""
    assert dialogs == []
    assert injected(page) == []
    fetched_x = [u for u in page_log.requests if urllib.parse.urlsplit(u).path.endswith("/x")]
    assert fetched_x == []


def chips(page: Page, css: str) -> list[str]:
    """The chosen options of a MultiChoice as the reader sees them (without "Remove item")."""
    return page.locator(f"{css} .choices__list--multiple .choices__item").evaluate_all(
        "items => items.map(item => item.firstChild.textContent)"
    )


def said_about_actors(page: Page) -> list[str]:
    """The actors chosen in the picker, and the notices above the views."""
    said = chips(page, ".al-actors")
    if page.locator(".al-notices").is_visible():
        said += page.locator(".al-notices li").all_text_contents()
    return said


def detail_fields(page: Page) -> dict[str, str]:
    """The event detail card as label -> text, the way a reader pairs them."""
    return page.locator(".al-detail .detail dl").evaluate(
        """dl => Object.fromEntries(Array.from(dl.querySelectorAll('dt')).map(
             dt => [dt.textContent, dt.nextElementSibling.textContent]))"""
    )


@pytest.mark.browser
def test_table_detail_and_timeline_show_markup_as_text(
    page: Page, page_log: PageLog, hostile_server: Server, ds: alliances.Dataset
):
    dialogs = watch_dialogs(page)
    open_dashboard(page, hostile_server.url)

    # the timeline's hover texts: every dataset string escaped before plotly sees it
    hover = page.locator(".al-timeline .js-plotly-plot").evaluate(
        "el => el.data.filter(t => t.mode === 'markers').map(t => Array.from(t.text))"
    )
    texts = [t for trace in hover for t in trace]
    assert len(texts) == len(ds.events)
    assert all("&lt;img src=x onerror=alert(1)&gt;" in t for t in texts), texts
    assert not any("<img" in t for t in texts), texts
    assert any(t.startswith(HOVER) for t in texts), texts

    # hovering a marker shows the title as a reader sees it: the literal markup
    graph = page.locator(".al-timeline .js-plotly-plot")
    graph.scroll_into_view_if_needed()
    marker = graph.locator(".scatterlayer .trace .points .point").first

    def hovered() -> None:
        box = marker.bounding_box()
        assert box is not None, "no timeline marker drawn"
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        assert graph.locator(".hovertext").count() > 0, "no hover label"

    wait_until(hovered, page)
    assert HOSTILE in graph.locator(".hovertext").first.text_content()
    assert HOSTILE in graph.locator(".legendtext").all_text_contents()  # the "summit" label

    show_tab(page, "Events")
    expect(page.locator(".al-count")).to_contain_text("3 events match the filters")
    assert table_titles(page) == [HOSTILE] * 3
    sources = page.locator(".al-table .tabulator-cell[tabulator-field='Source']")
    assert sources.all_text_contents() == [HOSTILE] * 3
    assert sources.locator("a").count() == 0  # no URL in the data: plain text, not a link
    row = page.locator(".al-table .tabulator-row").last  # h1, the earliest: latest first
    row.locator(".tabulator-cell[tabulator-field='Event']").click()
    expect_query(page, {"event": "h1"})

    show_tab(page, "Overview")
    detail = page.locator(".al-detail .detail")
    expect(detail.locator("h4")).to_have_text(HOSTILE)
    fields = detail_fields(page)
    assert fields["Description"] == HOSTILE
    # the relabelled "summit" type, beside the date under the title
    assert text(page, ".al-detail .detail-when") == f"2024-01-02 · {HOSTILE}"
    assert fields["Actor 1"] == f"{HOSTILE} (A)"
    assert fields["Location"] == HOSTILE
    assert fields["Magnitude"] == f"12 {HOSTILE}"
    assert text(page, ".al-detail .detail-source") == f"Source: {HOSTILE}"
    assert fields["Other sources"] == HOSTILE
    assert detail.locator("a").count() == 0  # neither the event nor its relation has a URL
    assert_nothing_ran(page, dialogs, page_log)


@pytest.mark.browser
def test_actor_picker_shows_markup_names_as_text(
    page: Page, page_log: PageLog, hostile_server: Server, ds: alliances.Dataset
):
    dialogs = watch_dialogs(page)
    open_dashboard(page, hostile_server.url)

    box = page.locator(".al-actors input.choices__input--cloned")
    box.click()
    box.press_sequentially("onerror")
    options = page.locator(".al-actors .choices__list--dropdown .choices__item--choice")
    expect(options).to_have_count(2)  # A by its name, B by its alias
    assert options.all_text_contents() == [f"{HOSTILE} (A)", f"Bravo (B) · {HOSTILE}"]
    assert_nothing_ran(page, dialogs, page_log)

    options.first.click()
    page.keyboard.press("Escape")
    wanted = alliances.select(ds, alliances.Filters(actors=["A"])).events
    wait_until(lambda: kpis(page)["Events"] == f"{len(wanted)}", page)
    expect_query(page, {"actors": "A"})
    assert chips(page, ".al-actors") == [f"{HOSTILE} (A)"]
    assert kpis(page)[f"Total {HOSTILE}"] == "12"  # the unit, as a KPI label
    assert_nothing_ran(page, dialogs, page_log)


@pytest.mark.browser
def test_about_tab_shows_markup_type_labels_as_text(
    page: Page, page_log: PageLog, hostile_server: Server
):
    dialogs = watch_dialogs(page)
    open_dashboard(page, hostile_server.url)
    show_tab(page, "About")
    vocab = page.locator(".al-about table.vocab")
    expect(vocab).to_have_count(2)
    labels = [
        table.evaluate(
            """t => Object.fromEntries(Array.from(t.querySelectorAll('tr')).slice(1).map(
                 r => [r.cells[1].textContent, r.cells[2].textContent]))"""
        )
        for table in vocab.all()
    ]
    assert labels[0]["summit"] == HOSTILE  # event types
    assert labels[1]["defense_pact"] == HOSTILE  # relation types
    assert labels[0]["weapons_test"] == "Weapons test"
    assert HOSTILE in text(page, ".al-about")
    assert_nothing_ran(page, dialogs, page_log)


@pytest.mark.browser
def test_link_with_a_markup_actor_id_injects_nothing(
    page: Page, page_log: PageLog, hostile_server: Server
):
    dialogs = watch_dialogs(page)
    open_dashboard(page, f"{hostile_server.url}?actors={urllib.parse.quote(SVG_ID, safe='')}")
    # whether the link selects the actor or is refused with a notice, the id shows as text
    wait_until(lambda: any(SVG_ID in item for item in said_about_actors(page)), page)
    assert_nothing_ran(page, dialogs, page_log)


@pytest.mark.browser
def test_copied_link_restores_an_actor_whose_id_is_markup(
    new_page, page_log: PageLog, hostile_server: Server, ds: alliances.Dataset
):
    """The validator accepts the id ``<svg/onload=alert(2)>``; a link to it must work too."""
    page = new_page()
    dialogs = watch_dialogs(page)
    open_dashboard(page, hostile_server.url)
    box = page.locator(".al-actors input.choices__input--cloned")
    box.click()
    box.press_sequentially("Svg")
    page.locator(".al-actors .choices__list--dropdown .choices__item--choice").first.click()
    page.keyboard.press("Escape")
    wanted = alliances.select(ds, alliances.Filters(actors=[SVG_ID])).events
    assert list(wanted["event_id"]) == ["h2"]
    wait_until(lambda: kpis(page)["Events"] == f"{len(wanted)}", page)
    expect_query(page, {"actors": SVG_ID})
    copied = page.evaluate("location.href")

    assert_nothing_ran(page, dialogs, page_log)

    again = new_page()
    again_dialogs = watch_dialogs(again)
    open_dashboard(again, copied)
    wait_until(lambda: said_about_actors(again) != [], again)
    assert_nothing_ran(again, again_dialogs, page_log)
    notices = said_about_actors(again)
    assert chips(again, ".al-actors") == [f"Svg state ({SVG_ID})"], notices
    assert kpis(again)["Events"] == f"{len(wanted)}", notices


@pytest.mark.browser
def test_link_with_markup_in_search_and_unknown_key_shows_text(
    page: Page, page_log: PageLog, hostile_server: Server, ds: alliances.Dataset
):
    typed = "<img src=x onerror=alert(3)>"
    query = urllib.parse.urlencode({"q": typed, "zzz": "<b>x</b>"})
    dialogs = watch_dialogs(page)
    page.goto(f"{hostile_server.url}?{query}", timeout=LOAD_MS)  # no event matches: no timeline
    expect(page.locator(".al-kpis .kpi").first).to_be_visible(timeout=LOAD_MS)

    notices = page.locator(".al-notices")
    expect(notices).to_be_visible()
    assert notices.locator("li").all_text_contents() == ["ignored unknown link parameter 'zzz'"]
    assert notices.locator("b").count() == 0
    expect(page.locator(".al-search input")).to_have_value(typed)
    found = alliances.select(ds, alliances.Filters(search=typed)).events
    wait_until(lambda: kpis(page)["Events"] == f"{len(found)}", page)
    expect_query(page, {"q": typed})
    assert_nothing_ran(page, dialogs, page_log)


@pytest.mark.browser
def test_events_table_leaves_unknown_magnitudes_blank(page: Page, hostile_server: Server):
    """h1 has a magnitude (12); h2 and h3 have none: their cells must not read "NaN"."""
    open_dashboard(page, hostile_server.url)
    show_tab(page, "Events")
    expect(page.locator(".al-table .tabulator-row")).to_have_count(3)
    cells = page.locator(".al-table .tabulator-cell[tabulator-field='Magnitude']")
    # with its unit; blank, not NaN
    assert [c.strip() for c in cells.all_text_contents()] == ["", "", f"12 {HOSTILE}"]  # h3, h2, h1
