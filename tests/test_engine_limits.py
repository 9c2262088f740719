"""What has no query of its own (the Analysis tab, briefings, exports) reads the selected
events one by one: on a large dataset it takes at most ``$ALLIANCES_FETCH_LIMIT`` of them and
otherwise says how many match and how to narrow the filters, instead of reading them all."""

from __future__ import annotations

import datetime as dt

import pytest

from alliances import query
from alliances.convert import convert
from alliances.dataset import bundled_path, load_dataset
from alliances.problems import SelectionTooLarge
from alliances.state import Filters
from alliances.views import EventsTable
from alliances.views.analysis import PledgesView, ShiftsView

pytestmark = pytest.mark.usefixtures("fresh_panel_state")

NARROW = Filters(actors=["PRK"], start=dt.date(2024, 6, 1), end=dt.date(2024, 6, 30))


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    folder = tmp_path_factory.mktemp("limits") / "data"
    convert(bundled_path(), folder, rollups=False)
    dataset = load_dataset(folder, engine="duckdb", cache=False)
    assert dataset.store is not None
    return dataset


@pytest.fixture
def limit(monkeypatch) -> int:
    monkeypatch.setenv("ALLIANCES_FETCH_LIMIT", "40")
    return 40


def test_a_selection_past_the_limit_says_how_many_instead_of_reading_them(
    large, limit, bundled_events
):
    sel = query.select(large, Filters())
    assert len(sel) == bundled_events > limit
    with pytest.raises(
        SelectionTooLarge, match=rf"{bundled_events:,} events match the filters.*at most 40"
    ):
        _ = sel.events


def test_a_selection_within_the_limit_is_read_as_in_memory(large, limit):
    sel = query.select(large, NARROW)
    memory = query.select(load_dataset(bundled_path(), cache=False), NARROW)
    assert 0 < len(sel) <= limit
    assert sorted(sel.events["event_id"]) == sorted(memory.events["event_id"])


def test_the_analysis_views_show_the_message_and_recover_when_narrowed(
    large, limit, bundled_events
):
    filters = Filters()
    shifts = ShiftsView(dataset=large, filters=filters)
    assert f"{bundled_events:,} events match the filters" in shifts._html.object
    assert "Narrow the filters" in shifts._html.object
    pledges = PledgesView(dataset=large, filters=filters)
    notes = [a["text"] for a in pledges._pane.object["layout"]["annotations"]]
    assert any(f"{bundled_events:,} events match the filters" in text for text in notes)
    filters.param.update(**{k: getattr(NARROW, k) for k in ("actors", "start", "end")})
    assert "events match the filters" not in shifts._html.object
    assert "could not be drawn" not in shifts._html.object


def test_an_unset_or_garbled_limit_falls_back_to_the_default(large, monkeypatch, bundled_events):
    from alliances.engine.rows import FETCH_LIMIT, fetch_limit

    monkeypatch.setenv("ALLIANCES_FETCH_LIMIT", "many")
    assert fetch_limit() == FETCH_LIMIT
    monkeypatch.delenv("ALLIANCES_FETCH_LIMIT")
    assert fetch_limit() == FETCH_LIMIT
    assert len(query.select(large, Filters()).events) == bundled_events


def test_a_download_past_the_limit_is_a_note_saying_why(large, limit, bundled_events):
    table = EventsTable(dataset=large, filters=Filters())
    note = table._download.callback().getvalue()
    assert table._download.filename.endswith(".txt")
    assert "too-many" in table._download.filename
    assert f"{bundled_events:,} events match the filters" in note
    table.filters.param.update(**{k: getattr(NARROW, k) for k in ("actors", "start", "end")})
    rows = table._download.callback().getvalue()
    assert table._download.filename.endswith(".csv")
    assert "event_id" in rows
    assert "events match the filters" not in rows


def test_building_rollups_removes_those_of_every_older_layout(tmp_path):
    """A new rollups layout leaves no older one behind (at 1e8 events each is 3 GB), and
    keeps what is not a rollups folder."""
    import shutil

    from alliances.dataset import bundled_path
    from alliances.engine import rollups

    folder = tmp_path / "data"  # without rollups a run on the bundled folder left there
    shutil.copytree(bundled_path(), folder, ignore=shutil.ignore_patterns(rollups.CACHE_FOLDER))
    root = folder / rollups.CACHE_FOLDER
    older = [root / "v1-0123456789ab", root / f"v{rollups.VERSION - 1}-0123456789ab"]
    for path in older:
        path.mkdir(parents=True)
    (root / "notes-kept").mkdir()
    built = rollups.build_rollups(folder)
    assert built.is_dir()
    assert built.name.startswith(f"v{rollups.VERSION}-")
    assert not any(path.exists() for path in older)
    assert (root / "notes-kept").is_dir()
