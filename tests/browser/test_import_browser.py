"""A dataset imported from two sources at once (ATOP alliances, then ACLED events merged into
it) opens in the real dashboard: its events counted, drawn and listed, its alliances drawn."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from alliances.dataset import load_dataset
from alliances.importers import import_files
from alliances.testing.pages import (
    kpis,
    network_actors,
    open_dashboard,
    show_tab,
    table_titles,
    timeline_events,
    wait_until,
)

from .conftest import PageLog, Server, panel_serve

FIXTURES = Path(__file__).parents[1] / "fixtures" / "import"


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("imported") / "data"
    import_files("atop", [FIXTURES / "atop" / "atop5_1m.csv"], folder)
    import_files("acled", [FIXTURES / "acled" / "acled_export_2024.csv"], folder, merge=folder)
    return folder


@pytest.fixture(scope="module")
def imported_server(tmp_path_factory, imported: Path) -> Iterator[Server]:
    server = panel_serve(imported, tmp_path_factory.mktemp("logs") / "imported-server.log")
    yield server
    server.stop()


@pytest.mark.browser
def test_a_dataset_imported_from_atop_and_acled_opens_in_the_dashboard(
    page: Page, page_log: PageLog, imported: Path, imported_server: Server
):
    ds = load_dataset(imported, cache=False)
    assert len(ds.events) == 5
    assert len(ds.relations) == 10
    open_dashboard(page, imported_server.url)
    wait_until(lambda: kpis(page)["Events"] == "5", page)
    assert {"USA", "GBR", "FRA", "JPN"} <= set(network_actors(page))  # ATOP alliances in force
    assert "acled:UKR150432" in timeline_events(page)  # the Avdiivka clash
    show_tab(page, "Events")
    titles = table_titles(page)
    assert (
        "Armed clash: Military Forces of Russia (2000-) – Military Forces of Ukraine (2019-)"
        in titles
    )
    assert page_log.problems() == []
