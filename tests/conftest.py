"""Fixtures for the data layer: the small valid dataset, and copies of it with one mistake.

The query, metrics, figure and format tests also take ``ds`` (the small dataset, loaded once per
module) and mark themselves ``pytest.mark.usefixtures("fresh_caches")``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from alliances.dataset import Dataset, clear_cache
from unit_helpers import clear_query_caches, small

FIXTURES = Path(__file__).parent / "fixtures"
SMALL = FIXTURES / "small"
"""A small valid dataset (7 actors, 5 relations, 6 events; event e1 spans lines 2-3)."""
DOZEN = FIXTURES / "dozen"
"""The small dataset with 13 deliberate mistakes."""

if TYPE_CHECKING:  # the reliability tool is imported by the tests that use it, not by every test
    from reliability.oracle import Oracle
    from reliability.servers import Server


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The files with a ``slow`` test first, the rest in collection order (``browser/``
    first), each file's tests kept together and in order: the workers (one file at a time,
    ``--dist=loadfile``, in this order with ``--no-loadscope-reorder``) end on the many
    short files and finish close together instead of one running a long file alone."""
    slow = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow)


@pytest.fixture(autouse=True)
def _fresh_dataset_cache():
    """Every test loads from disk: no dataset cached by an earlier test."""
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def fresh_caches():
    """No load, selection, array or layout cached by an earlier test."""
    clear_cache()
    clear_query_caches()
    yield
    clear_cache()
    clear_query_caches()


@pytest.fixture
def fresh_panel_state(fresh_caches):
    """Besides :func:`fresh_caches`: no Panel server or Panel cache left over from another
    test, nor left for the next (the view tests build dashboards and serve pages)."""
    import panel as pn

    pn.state.kill_all_servers()
    pn.state.cache.clear()
    yield
    pn.state.kill_all_servers()
    pn.state.cache.clear()


@pytest.fixture(scope="module")
def bundled_events() -> int:
    """How many events the bundled dataset holds, as the in-memory path reads them: what
    tests compare with instead of a count that the next curated row would change."""
    from alliances.dataset import bundled_path, load_dataset

    return len(load_dataset(bundled_path(), cache=False).events)


@pytest.fixture(scope="module")
def ds() -> Dataset:
    """The small dataset, loaded once for the module (its frames are read-only)."""
    return small()


@pytest.fixture
def small_copy(tmp_path: Path) -> Path:
    """A private copy of the small valid dataset, safe to edit."""
    folder = tmp_path / "data"
    shutil.copytree(SMALL, folder)
    return folder


@pytest.fixture
def edited(small_copy: Path) -> Callable[..., Path]:
    """``edited(file, old, new)``: the small dataset with one text replacement in one file.

    ``old`` must occur exactly once, so each test shows the one mistake it makes. Call it again
    to make several edits to the same copy.
    """

    def edit(filename: str, old: str, new: str) -> Path:
        path = small_copy / filename
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {filename}"
        path.write_text(text.replace(old, new), encoding="utf-8", newline="")
        return small_copy

    return edit


# --------------------------------------------------------------------------- served (reliability)


@pytest.fixture(scope="module")
def short_lived_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``alliances serve`` on the small dataset that destroys a session without a connection
    after 1 s, with the reliability tool's debug probe (stopped after the module)."""
    from reliability.servers import CLEANUP_MS, running

    log = tmp_path_factory.mktemp("served") / "server.log"
    with running(SMALL, log, cleanup_ms=CLEANUP_MS) as server:
        yield server


@pytest.fixture(scope="module")
def oracle() -> Oracle:
    """The small dataset on the test's side: what each set of filters must show."""
    from reliability.oracle import Oracle

    return Oracle(SMALL)
