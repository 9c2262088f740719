"""The offline briefing in Chromium, opened from ``file://`` with the network cut off.

A briefing is one HTML file an analyst emails or opens air-gapped: its charts must draw from
the inlined plotly.js, it must not even try to fetch anything, dataset and analyst text must
stay text, and it must print. Each page's context aborts every http(s) request and counts it.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

import alliances
from alliances.testing.pages import open_dashboard, wait_until
from unit_helpers import HOSTILE, hostile_dataset

from .conftest import LOAD_MS, VIEWPORT, WAIT_MS, Server, injected, watch_dialogs

CHARTS = ("network", "timeline", "temperature")
SCRIPT = "<script>alert(2)</script>"
MARKUP = f"{HOSTILE} {SCRIPT}"

# CSP violations are reported as events, not requests: record them so that a blocked
# attempt to fetch something fails the test as surely as a fetch.
RECORD_CSP = """
window.__blocked = [];
document.addEventListener('securitypolicyviolation',
  e => window.__blocked.push(`${e.violatedDirective} ${e.blockedURI}`));
"""


@dataclass
class Offline:
    """A briefing opened from disk, and everything it tried or complained about."""

    page: Page
    aborted: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def blocked(self) -> list[str]:
        return self.page.evaluate("window.__blocked")


@pytest.fixture
def open_offline(browser) -> Iterator:
    """``open_offline(path)``: the file in a context where every http(s) request is aborted."""
    contexts = []

    def open_(path: Path) -> Offline:
        context = browser.new_context(viewport=VIEWPORT)
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        page = context.new_page()
        seen = Offline(page)

        def route(route) -> None:
            scheme = urllib.parse.urlsplit(route.request.url).scheme
            if scheme in ("file", "data", "blob"):
                route.continue_()
            else:
                seen.aborted.append(route.request.url)
                route.abort()

        context.route("**/*", route)
        context.add_init_script(RECORD_CSP)
        page.on("console", lambda m: seen.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: seen.errors.append(f"uncaught: {exc}"))
        seen.dialogs = watch_dialogs(page)
        page.goto(path.as_uri(), timeout=LOAD_MS)
        return seen

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def bundled_briefing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("briefing") / "rus-prk.html"
    return alliances.export_briefing(alliances.Filters(actors=["RUS", "PRK"]), path)


@pytest.fixture(scope="module")
def hostile_briefing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    ds = hostile_dataset(folder / "data")
    notes = f"{MARKUP}\n\n* {SCRIPT}\n\n[click](javascript:alert(4))"
    return alliances.export_briefing(
        None, folder / "hostile.html", dataset=ds, title=MARKUP, notes=notes
    )


def charts(page: Page) -> dict[str, dict]:
    """Each chart div: is it a plotly graph, how many traces, does it hold a drawn svg."""
    return page.evaluate(
        """ids => Object.fromEntries(ids.map(id => {
             const el = document.getElementById(id);
             return [id, el && {plot: el.classList.contains('js-plotly-plot'),
                                traces: (el.data || []).length,
                                svg: el.querySelectorAll('svg.main-svg').length}];
           }))""",
        list(CHARTS),
    )


def rows(page: Page, section: str) -> int:
    return page.locator(f"section.{section} table.data tbody tr").count()


def expect_drawn_offline(seen: Offline) -> None:
    """All three charts drawn, both tables filled, every link http(s), nothing fetched."""
    page = seen.page

    def drawn() -> None:
        for name, chart in charts(page).items():
            assert chart is not None, f"no #{name} in the briefing"
            assert chart["plot"], f"#{name} is not a plotly graph"
            assert chart["traces"] > 0, f"#{name} has no trace"
            assert chart["svg"] > 0, f"#{name} drew no svg"

    wait_until(drawn, page, LOAD_MS)
    assert rows(page, "relations") > 0
    assert rows(page, "events") > 0
    hrefs = page.locator("a[href]").evaluate_all("links => links.map(a => a.href)")
    assert all(re.match(r"https?://", href) for href in hrefs), hrefs
    assert seen.aborted == []
    assert seen.blocked() == []
    assert seen.errors == []
    assert seen.dialogs == []
    assert injected(page) == []


def expect_printable(page: Page, pdf: Path) -> None:
    """In print media the plotly toolbars go and the tables stay; the PDF has pages."""
    modebars = page.locator(".modebar-container")
    expect(modebars).to_have_count(len(CHARTS))
    displays = "els => els.map(el => getComputedStyle(el).display)"
    assert "none" not in modebars.evaluate_all(displays)
    page.emulate_media(media="print")
    assert modebars.evaluate_all(displays) == ["none"] * len(CHARTS)
    for section in ("relations", "events"):
        expect(page.locator(f"section.{section} table.data")).to_be_visible()
    page.pdf(path=str(pdf), format="A4")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page\b", data)) >= 2  # the tables run over pages


@pytest.mark.browser
def test_bundled_briefing_works_offline_and_prints(
    open_offline, bundled_briefing: Path, tmp_path: Path
):
    ds = alliances.load_dataset()
    seen = open_offline(bundled_briefing)
    page = seen.page
    expect(page.locator("header.cover h1")).to_have_text("Alliance briefing")
    expect_drawn_offline(seen)

    scope = dict(
        page.locator("dl.filters dt").evaluate_all(
            "dts => dts.map(dt => [dt.textContent, dt.nextElementSibling.textContent])"
        )
    )
    assert scope["Actors"] == "Russia (RUS), North Korea (PRK)"
    assert page.locator("code.fingerprint").text_content() == ds.fingerprint
    links = page.locator("table.data a[href]")
    assert links.count() > 0  # the bundled data cites its sources
    selection = alliances.select(ds, alliances.Filters(actors=["RUS", "PRK"]))
    assert len(selection.events) <= alliances.briefing.MAX_EVENTS  # so every event is listed
    titles = page.locator("section.events td:nth-child(4)").all_text_contents()
    assert titles == list(selection.events["title"])
    assert "Putin-Kim summit in Pyongyang" in titles  # June 2024, in data/events.csv

    expect_printable(page, tmp_path / "briefing.pdf")
    assert seen.errors == []


@pytest.mark.browser
def test_hostile_briefing_shows_markup_as_text_offline(
    open_offline, hostile_briefing: Path, tmp_path: Path
):
    seen = open_offline(hostile_briefing)
    page = seen.page
    expect(page.locator("header.cover h1")).to_have_text(MARKUP)
    assert page.title() == MARKUP
    expect_drawn_offline(seen)

    notes = page.locator(".notes")
    assert notes.locator("p").first.text_content() == MARKUP
    assert notes.locator("li").all_text_contents() == [SCRIPT]
    assert notes.locator("a").count() == 0  # a javascript: link is dropped, its text stays
    assert "click" in notes.text_content()
    titles = page.locator("section.events td:nth-child(4)").all_text_contents()
    assert titles == [HOSTILE] * 3
    sources = page.locator("section.events td:nth-child(7)").all_text_contents()
    assert sources == [HOSTILE] * 3
    relation = page.locator("section.relations td").all_text_contents()
    assert HOSTILE in relation
    hover = page.evaluate(
        "() => document.getElementById('timeline').data.flatMap(t => t.text ? [t.text] : [])"
    )
    assert hover
    assert all("&lt;img" in str(t) for t in hover), hover
    assert not any("<img" in str(t) for t in hover), hover

    expect_printable(page, tmp_path / "hostile.pdf")
    assert seen.dialogs == []
    assert injected(page) == []


@pytest.mark.browser
def test_briefing_downloaded_from_the_dashboard(
    page: Page, small_server: Server, open_offline, tmp_path: Path
):
    open_dashboard(page, f"{small_server.url}?actors=PRK")
    page.locator(".al-briefing .card-header").first.click()
    title = page.locator(".al-briefing input")
    expect(title).to_be_visible()
    title.fill("Korea watch: June")
    title.press("Enter")
    notes = page.locator(".al-briefing textarea")
    notes.fill("Watch the **munitions** pipeline.")
    notes.press("Tab")  # the notes reach the server when the box loses focus

    # one websocket, in order: the server has the title and notes before it sees the click
    with page.expect_download(timeout=LOAD_MS) as info:
        page.locator(".al-export button").click()
    assert info.value.suggested_filename == "korea-watch-june.html"  # named after the title
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    body = path.read_text(encoding="utf-8")
    assert "<h1>Korea watch: June</h1>" in body
    assert "<strong>munitions</strong>" in body
    ds = alliances.load_dataset(Path(__file__).parents[1] / "fixtures" / "small")
    assert f'<code class="fingerprint">{ds.fingerprint}</code>' in body
    assert "<dt>Actors</dt><dd>North Korea (PRK)</dd>" in body
    assert "Putin-Kim summit" in body  # e1: PRK and RUS
    assert "ERA loans" not in body  # e6: USA and Ukraine only

    seen = open_offline(path)
    expect(seen.page.locator("header.cover h1")).to_have_text("Korea watch: June")
    expect_drawn_offline(seen)
    events = alliances.select(ds, alliances.Filters(actors=["PRK"])).events
    assert rows(seen.page, "events") == len(events)
