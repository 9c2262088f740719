"""The Analysis tab and the Export card in Chromium (issue #12): a person steers the temperature,
reads what shifted and the alignment index, downloads the values and the files."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import networkx as nx
import openpyxl
import pytest
from playwright.sync_api import Page, expect

from alliances.testing.pages import (
    expect_query,
    open_dashboard,
    pick_option,
    show_tab,
    text,
    wait_until,
)

from .conftest import Server

pytestmark = pytest.mark.browser

LINK = "?actors=PRK,RUS&from=2022-01-01&to=2025-10-31"
LINK_QUERY = {"actors": "PRK,RUS", "from": "2022-01-01", "to": "2025-10-31"}


def open_analysis(page: Page, server: Server, link: str = LINK) -> None:
    open_dashboard(page, server.url + link)
    page.locator(".bk-tab", has_text="Analysis").click()
    expect(page.locator(".al-pair-temperature .js-plotly-plot")).to_be_visible()


def test_the_temperature_of_chosen_pairs_with_its_values_and_shifts(
    page: Page, bundled_server: Server, tmp_path: Path
):
    open_analysis(page, bundled_server)
    wait_until(lambda: "North Korea – Russia, 2023Q3" in text(page, ".al-shifts"), page)
    assert "warmer" in text(page, ".al-shifts")
    assert "Putin-Kim summit at the Vostochny Cosmodrome" in text(page, ".al-shifts")  # behind it
    titles = page.locator(".al-temperature-table .tabulator-col-title").all_text_contents()
    assert [t for t in titles if t.strip()] == ["quarter", "North Korea – Russia"]

    pick_option(page, ".al-pairs", "South Korea", "South Korea – North Korea (KOR–PRK)")
    expect_query(page, {**LINK_QUERY, "pairs": "KOR–PRK"}, timeout=30_000)
    wait_until(lambda: "South Korea – North Korea, 2023Q4" in text(page, ".al-shifts"), page)
    with page.expect_download() as info:
        page.locator(".al-temperature-download button").click()
    download = info.value
    assert download.suggested_filename.startswith("alliances-temperature_PRK-RUS_2022-01-01")
    body = Path(download.path()).read_text(encoding="utf-8").splitlines()
    assert body[0].startswith("# alliances relationship temperature")
    assert "# Temperature of: KOR–PRK" in body
    header = next(line for line in body if not line.startswith("#"))
    assert header == "quarter,South Korea – North Korea"
    assert "2023Q4,-8.0" in body


def test_the_alignment_index_ranks_pairs_and_explains_one(page: Page, bundled_server: Server):
    open_analysis(page, bundled_server)
    ranking = page.locator(".al-alignment .tabulator-row")
    wait_until(lambda: ranking.count() > 0, page)
    first = ranking.first.locator(".tabulator-cell[tabulator-field='pair']").text_content()
    assert first == "North Korea – Russia"
    wait_until(lambda: "Defence pact" in text(page, ".al-explained"), page)
    assert "North Korea – Russia" in text(page, ".al-explained")


def test_the_export_card_writes_a_workbook_a_network_and_svg_charts(
    page: Page, bundled_server: Server
):
    open_dashboard(page, bundled_server.url + LINK)
    page.locator(".al-briefing").get_by_text("Export").first.click()
    with page.expect_download() as info:
        page.locator(".al-export-xlsx button").click()
    book = openpyxl.load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    assert book.sheetnames == ["Filters", "Events", "Relations", "Sources"]
    with page.expect_download() as info:
        page.locator(".al-export-gexf button").click()
    graph = nx.read_gexf(info.value.path())
    assert {"PRK", "RUS"} <= set(graph.nodes)

    name, svg = network_image(page, "SVG")
    assert name.endswith(".svg")
    assert svg.decode("utf-8").lstrip().startswith("<svg")


def network_image(page: Page, label: str) -> tuple[str, bytes]:
    """The network chart's camera download after choosing ``label`` (PNG or SVG) in the Export
    card's image format: its file name and bytes."""
    show_tab(page, "Overview")
    camera = page.locator(".al-network .modebar-btn[data-title^='Download plot']").first
    page.locator(".al-image-format").get_by_text(label).click()
    chart = page.locator(".al-network .js-plotly-plot")
    fmt = label.lower()
    wait_until(lambda: chart.evaluate("e => e._context.toImageButtonOptions.format") == fmt, page)
    with page.expect_download() as info:
        camera.click()
    return info.value.suggested_filename, Path(info.value.path()).read_bytes()


def test_the_export_card_writes_png_charts_after_svg_ones(page: Page, bundled_server: Server):
    """PNG is the default; choosing SVG then PNG again gives a PNG image of the chart, twice
    its size on screen (the camera's scale 2)."""
    open_dashboard(page, bundled_server.url + LINK)
    page.locator(".al-briefing").get_by_text("Export").first.click()
    assert network_image(page, "SVG")[0].endswith(".svg")
    name, png = network_image(page, "PNG")
    assert name.endswith(".png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert 10_000 < len(png) < 10_000_000, len(png)
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
    chart = page.locator(".al-network .js-plotly-plot")
    shown = chart.evaluate("e => [e._fullLayout.width, e._fullLayout.height]")
    assert [width, height] == [2 * shown[0], 2 * shown[1]]
