"""Experiment 4: what one server process needs per dataset size, for capacity planning.

For each dataset, one ``alliances serve`` process (destroying closed sessions quickly): its
RSS once warm and settled, then with ``held`` sessions open at once (each on its own deep link,
one change made), the CPU an opening costs, and one session's filter changes alone (CPU per
change, latency without queueing). README's "Serving a team" turns these into sessions per
core and memory per process.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from .concurrency import run_solo
from .memory import hold
from .oracle import Oracle
from .servers import CLEANUP_MS, Server, running


@dataclass
class CapacityResult:
    label: str
    events: int
    held: int
    baseline: int = 0
    """RSS once warm: one session opened and destroyed, ``gc.collect()``, settled."""
    rss_held: int = 0
    """RSS with ``held`` sessions open."""
    open_cpu: float = 0.0
    """Server CPU per session opened (document built and sent, one change)."""
    cpu_per_change: float = 0.0
    latencies: list[float] = field(default_factory=list)
    """One session alone: seconds per change."""
    start_seconds: float = 0.0
    """From starting the process to its first answer (the data loaded by the warm-up)."""
    errors: list[str] = field(default_factory=list)

    @property
    def per_session(self) -> float:
        return (self.rss_held - self.baseline) / self.held if self.held else 0.0


def measure(
    server: Server,
    oracle: Oracle,
    label: str,
    held: int = 10,
    changes: int = 10,
    settle: float = 5.0,
) -> CapacityResult:
    """On a running server that destroys closed sessions quickly: RSS warm (after ``settle``
    seconds), RSS and CPU with ``held`` sessions, one session's changes alone."""
    result = CapacityResult(label, len(oracle.dataset.events), held)
    log_before = len(server.error_lines())
    result.errors += hold(server, oracle, [0])  # the first session's imports and caches
    server.wait_sessions(0)
    time.sleep(settle)
    result.baseline = server.settled_rss()
    cpu = server.cpu_seconds()

    def while_held(count: int) -> None:
        result.open_cpu = (server.cpu_seconds() - cpu) / count
        result.rss_held = server.rss()

    result.errors += hold(server, oracle, range(1, held + 1), while_held)
    server.wait_sessions(0)
    result.latencies, result.cpu_per_change = run_solo(server, oracle, changes, held + 1)
    result.errors += server.error_lines()[log_before:]
    return result


def run_capacity(
    data: Path | None,
    oracle: Oracle,
    label: str,
    log: Path,
    held: int = 10,
    changes: int = 10,
    engine: str | None = None,
) -> CapacityResult:
    """:func:`measure` on a process of its own, started for it on ``data``; ``engine``: the
    path the server takes (``ALLIANCES_ENGINE``: ``memory``, ``duckdb``; default: its own
    choice)."""
    env = None
    if engine:
        from alliances.engine import ENV_ENGINE  # newer than some revisions measured

        env = {ENV_ENGINE: engine}
    started = time.monotonic()
    with running(data, log, cleanup_ms=CLEANUP_MS, env=env) as server:
        start_seconds = time.monotonic() - started
        result = measure(server, oracle, label, held, changes)
    result.start_seconds = start_seconds
    return result
