"""`alliances serve` under several sessions at once, after many sessions, with --num-procs.

Real servers on free loopback ports and real websocket sessions (Bokeh's protocol, as the
browser speaks it), driven by the functions of the reliability package at small counts;
``python -m reliability`` measures the same with the full counts (docs/reliability.md). Each
session opens its own deep link and checks that its KPI cards, URL and (Events tab open) table
count are what ``alliances.select`` gives for its own filters.
"""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest
from reliability.capacity import measure
from reliability.concurrency import run_concurrency
from reliability.memory import run_memory
from reliability.oracle import plan
from reliability.procs import sessions_on_every_process
from reliability.servers import running

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests" / "fixtures" / "small"

pytestmark = pytest.mark.slow


def test_concurrent_sessions_each_see_their_own_filters(short_lived_server, oracle):
    result = run_concurrency(short_lived_server, oracle, sessions=6, changes=10, think=0.0)

    problems = result.errors + result.leaks + result.server_errors
    assert not problems, "\n".join(problems)
    assert result.held >= 6, f"the server held {result.held} sessions at once"
    assert result.changes_ok == 60
    assert len(result.latencies) == 60
    # every session had its own actor, so a shared state would have shown in the URLs
    assert len({plan(oracle, i, 0)[0]["actors"][0] for i in range(6)}) == 6


def test_closed_sessions_are_destroyed_and_memory_comes_back(short_lived_server, oracle):
    result = run_memory(short_lived_server, oracle, sessions=20, batch=10, settle=1.0, trim=False)

    assert not result.errors, "\n".join(result.errors)
    assert result.held == [10, 10], "sessions the server held in each batch"
    after = result.probe_after
    assert sum(after["sessions"].values()) == 0, after
    assert after["dashboards"] == 0, after.get("referrers")
    assert after["server_sessions"] == 0
    assert after["plotly_panes"] == 0
    assert all(n == 0 for n in after["pn_state"].values()), after["pn_state"]
    # the query layer's per_dataset caches stay within their bounds (maxsize 16 at most)
    assert all(n <= 16 for n in after["per_dataset_entries"].values()), after
    # 10 more sessions, and the objects the server tracks did not grow by a dashboard's worth
    # (about 10,000 each); pandas' weak-reference lists explain the little they do grow
    assert result.objects[-1] - result.objects[0] < 50_000, result.objects
    assert result.growth < 100e6, (
        f"RSS grew by {result.growth / 1e6:.0f} MB over {result.baseline / 1e6:.0f} MB "
        f"after 20 sessions were destroyed"
    )


def test_capacity_per_process_is_measured_from_real_sessions(short_lived_server, oracle):
    result = measure(short_lived_server, oracle, "small", held=3, changes=3, settle=0.5)

    assert not result.errors, "\n".join(result.errors)
    assert result.events == 6
    assert 50e6 < result.baseline < 2e9, "RSS of a warm server with the small dataset"
    # sessions held cost a few MB each (or nothing, reusing what the first one freed), not
    # a dataset's worth
    assert result.rss_held > 0
    assert result.per_session < 50e6, result.per_session
    assert 0 < result.cpu_per_change < result.open_cpu, "a change costs less than an opening"
    assert len(result.latencies) == 3


def test_num_procs_two_workers_serve_the_dashboard(tmp_path, oracle):
    log = tmp_path / "server.log"
    with running(SMALL, log, num_procs=2) as server:
        assert len(server.probe_all(2)) == 2, "the two worker processes do not both answer"
        for _ in range(3):
            with urllib.request.urlopen(server.url, timeout=60) as response:
                assert response.status == 200
                assert b"Alliances" in response.read()

        # sessions one after another until each worker holds one; each checks two changes
        per_process, errors = sessions_on_every_process(server, oracle, 2)
        assert not errors, "\n".join(errors)
        assert len(per_process) == 2, per_process
        assert all(per_process.values()), f"websocket sessions per worker: {per_process}"
        assert not server.error_lines(), server.output()


def test_concurrent_sessions_through_the_proxy_each_see_their_own_filters(tmp_path, oracle):
    """The same experiment through nginx on the shipped configuration, in front of two
    processes (what ``python -m reliability`` measures by default): every session sees its
    own filters, and the two processes together held them all."""
    from reliability.deploy import running_proxied

    with running_proxied(SMALL, tmp_path / "logs", processes=2) as proxied:
        result = run_concurrency(proxied, oracle, sessions=8, changes=4, think=0.0)

    problems = result.errors + result.leaks + result.server_errors
    assert not problems, "\n".join(problems)
    assert result.changes_ok == 32
    assert len(result.held_per_process) == 2, result.held_per_process  # both answered
    assert sum(result.held_per_process.values()) >= 8, result.held_per_process
