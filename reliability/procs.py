"""Experiment 3: the dashboard under ``alliances serve --num-procs N``.

Sessions on every worker process, changes applied and checked, and Chromium page loads: does
a page's websocket reach the process that rendered it, and what happens when it does not?
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.loops import run_async

from alliances.testing import chromium

from . import CHANGE_TIMEOUT
from .client import Session, open_and_change
from .concurrency import ConcurrencyResult, run_concurrency
from .oracle import Oracle, plan
from .pages import BrowserSession
from .servers import Server, running


@dataclass
class ProcsResult:
    processes: int
    concurrency: ConcurrencyResult | None = None
    pids: list[int] = field(default_factory=list)
    """Worker processes that answered."""
    sessions_per_pid: dict[int, int] = field(default_factory=dict)
    """Websocket connections each worker held while the sessions were open."""
    datasets_loaded: dict[int, int] = field(default_factory=dict)
    pages: list[tuple[bool, int]] = field(default_factory=list)
    """Chromium page loads: (KPIs right, requests off 127.0.0.1)."""
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        c = self.concurrency
        return (
            len(self.pids) == self.processes
            and len(self.sessions_per_pid) == self.processes
            and all(self.sessions_per_pid.values())
            and all(ok for ok, _ in self.pages)
            and not self.errors
            and (c is None or not c.problems)
        )


async def _on_every_process(
    server: Server, oracle: Oracle, processes: int, most: int
) -> tuple[dict[int, int], list[str]]:
    sessions: list[Session] = []
    errors: list[str] = []
    counts: dict[int, int] = {}
    try:
        for i in range(most):
            # Linux hands a new connection to the worker that waited last, often the same one
            # every time; every other session, a held probe keeps that worker busy while the
            # session connects, so that the websocket goes to another
            hold = 1500 if i % 2 else 0
            busy = asyncio.create_task(asyncio.to_thread(server.probe, light=1, hold=hold))
            await asyncio.sleep(0.1)
            try:
                sessions.append(await open_and_change(server.url, oracle, i))
            except Exception as exc:
                errors.append(f"session {i}: {type(exc).__name__}: {exc}")
            await busy
            counts = server.connections()
            if len(sessions) >= processes and len(counts) >= processes and all(counts.values()):
                break
        for i, session in enumerate(sessions):  # a second change, on whichever worker
            change = plan(oracle, i, 2)[1][1]
            expected = oracle.expected(change.values)
            if await session.change(change, expected, CHANGE_TIMEOUT) is None:
                errors.append(f"session {i}: shows {session.shown()}, expected {expected}")
            errors += [f"session {i}: {e}" for e in session.errors]
    finally:
        await asyncio.gather(*(s.close() for s in sessions))
    return counts, errors


def sessions_on_every_process(
    server: Server, oracle: Oracle, processes: int, most: int = 12
) -> tuple[dict[int, int], list[str]]:
    """Open sessions one after another (each checks a change) until every worker holds one
    (at most ``most``), then change each again. Returns the connections per worker, errors."""
    return run_async(_on_every_process(server, oracle, processes, most))


def run_num_procs(
    data: Path | None,
    oracle: Oracle,
    log: Path,
    sessions: int = 6,
    changes: int = 4,
    pages: int = 4,
    processes: int = 2,
) -> ProcsResult:
    """The dashboard under ``alliances serve --num-procs N``: sessions on every worker, changes
    applied and checked, and Chromium page loads (does the page's websocket reach the
    process that rendered it?)."""
    result = ProcsResult(processes)
    started = time.monotonic()
    with running(data, log, num_procs=processes) as server:
        result.pids = sorted(server.probe_all(processes))
        result.sessions_per_pid, result.errors = sessions_on_every_process(
            server, oracle, processes
        )
        for _ in range(3):
            for pid, answer in server.probe_all(processes, light=False).items():
                result.datasets_loaded[pid] = answer["per_dataset_entries"].get("arrays", 0)
        result.concurrency = run_concurrency(
            server, oracle, sessions, changes, browsers=0, think=0.5, label="num-procs"
        )
        if pages:
            with chromium() as browser:
                for i in range(pages):
                    page = BrowserSession(browser, server.url, oracle, i)
                    result.pages.append((page.ok and not page.errors, len(page.external)))
                    result.errors += [f"page {i}: {e}" for e in page.errors]
                    page.close()
    result.seconds = time.monotonic() - started
    return result
