"""``python -m benchmarks.serving``: a served change's CPU by stage, and its bytes, add up.

One real ``alliances serve`` with the ledger loaded, one websocket session, one change of
each kind. Nothing here is timed against a bound: the checks are that the stages account for
the whole, that the work lands in the stages it belongs to, and that the bytes counted per
model add up to what arrived.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from benchmarks import revisions, serving_changes, serving_session, serving_tables
from benchmarks.__main__ import HAND_WRITTEN
from benchmarks.reporting import write_report

import alliances

ROOT = Path(__file__).resolve().parents[1]
SECTION = "\n## Where a served change's time goes"


def test_the_hand_written_section_survives_a_rewrite_of_the_page(tmp_path):
    """``python -m benchmarks`` rewrites docs/performance.md: the section on served changes,
    written by hand from ``python -m benchmarks.serving``, must stay."""
    page = tmp_path / "performance.md"
    page.write_text((ROOT / "docs" / "performance.md").read_text(encoding="utf-8"))
    written = write_report(page, "# Performance\n\nregenerated\n", HAND_WRITTEN)
    assert written.startswith("# Performance\n\nregenerated\n")
    assert SECTION in written
    assert "python -m benchmarks.serving" in written.split(SECTION, 1)[1]


def test_a_revision_is_unpacked_once_with_the_checkouts_files_on_top():
    """``--against REV --only FILES``: REV's package, with only FILES taken from the checkout."""
    overlay = "src/alliances/views/compat.py"
    tree = revisions.source_tree("HEAD", [overlay])
    assert (tree / "src" / "alliances" / "__init__.py").is_file()
    assert (tree / "dashboards" / "alliances_app.py").is_file()
    assert (tree / "data" / "events.csv").is_file()
    assert (tree / overlay).read_bytes() == (ROOT / overlay).read_bytes()
    assert revisions.source_tree("HEAD", [overlay]) == tree  # reused, not unpacked again
    assert revisions.source_tree("HEAD") != tree  # without the overlay: a tree of its own


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> list[serving_changes.Measured]:
    changes = serving_changes.plan(alliances.load_dataset(), 1)  # the tab change opens Events
    log = tmp_path_factory.mktemp("serving") / "server.log"
    server = serving_session.start_server(None, log)
    try:
        return serving_changes.measure(server, changes)
    finally:
        server.stop()


@pytest.mark.slow
def test_every_kind_of_change_is_measured(measured):
    assert [m.kind for m in measured] == list(serving_changes.KINDS)


@pytest.mark.slow
def test_the_stages_add_up_to_the_thread_cpu(measured):
    for m in measured:
        assert set(m.stages) == {*serving_session.STAGES, serving_session.OTHER}
        assert all(seconds >= 0 for seconds in m.stages.values()), m
        assert sum(m.stages.values()) == pytest.approx(m.cpu, abs=1e-6), m.kind
        if m.kind in ("actors", "window", "types"):
            # the stages hold most of it: the rest is the event loop and Panel's dispatch
            assert m.stages[serving_session.OTHER] < 0.5 * m.cpu, m.stages
        # the server process as a whole used at least what its thread did, give or take the
        # ledger route's own requests
        assert m.process_cpu >= 0.5 * m.cpu, m


@pytest.mark.slow
def test_a_filter_change_computes_draws_serialises_and_sends(measured):
    for m in measured:
        if m.kind in ("actors", "window", "types"):
            for stage in ("selection", "figures", "panel", "bokeh", "serialize", "send"):
                assert m.stages[stage] > 0, (m.kind, stage, m.stages)


@pytest.mark.slow
def test_a_filter_change_reaches_the_page_in_one_message(measured):
    """``compat.one_message_per_change``: every view's update in one ``PATCH-DOC``, not a
    message per view (each one serialised against the whole document)."""
    for m in measured:
        if m.kind in ("actors", "window", "types"):
            assert m.view_messages == 1, m


@pytest.mark.slow
def test_bytes_are_counted_per_model_and_add_up(measured):
    for m in measured:
        assert m.messages >= 1, m
        assert m.sent > 0, m
        assert 0 < sum(m.parts.values()) <= m.sent, m
    actors = measured[0]
    # the KPI cards are HTML: their text changes with the actors
    assert any(key.startswith("al-kpis ") and key.endswith(".text") for key in actors.parts)
    # the network's data arrives in its Plotly model's data sources
    assert any(key.startswith("al-network ") for key in actors.parts), actors.parts


@pytest.mark.slow
def test_the_tables_list_every_kind_and_stage(measured):
    text = serving_tables.tables(measured)
    rows = {line.split("|")[1].strip() for line in text.splitlines() if line.startswith("| ")}
    assert set(serving_changes.KINDS) <= rows
    assert "all" in rows
    head = next(line for line in text.splitlines() if line.startswith("| change"))
    assert all(f" {stage} " in head for stage in serving_session.STAGES)
    assert "| message framing" in text
