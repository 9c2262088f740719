"""Experiment 1: many sessions at once on one server, each checking it sees its own filters.

Websocket sessions (``client``) run on one asyncio loop in a thread of their own while this
thread clicks through the Chromium pages (``pages``); ``_Gates`` keeps the two in step: all
open, then all change, then all close. A session showing what another session's filters
give is reported as a state leak.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
import time
from dataclasses import dataclass, field

from benchmarks.loops import run_async

from alliances.testing import chromium

from . import CHANGE_TIMEOUT, OPEN_TIMEOUT
from .client import Session, open_and_change
from .deploy import Proxied
from .oracle import Oracle, Shown, deep_link, plan
from .pages import BrowserSession
from .servers import Server


@dataclass
class ConcurrencyResult:
    dataset: str
    sessions: int
    browsers: int
    changes: int
    held: int = 0
    """Sessions the server held at once (its own count, with every client connected)."""
    rss_held: int = 0
    latencies: list[float] = field(default_factory=list)
    browser_latencies: list[float] = field(default_factory=list)
    open_seconds: list[float] = field(default_factory=list)
    browser_open_seconds: list[float] = field(default_factory=list)
    changes_ok: int = 0
    errors: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    """A session showing what another session's filters give: state shared between sessions."""
    server_errors: list[str] = field(default_factory=list)
    external: set[str] = field(default_factory=set)
    """Addresses off 127.0.0.1 the Chromium pages requested."""
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    """CPU time the server's processes used during the run."""
    client_cpu_seconds: float = 0.0
    """CPU time this measuring process used (its sessions, the oracle, Playwright's calls)."""
    solo_latencies: list[float] = field(default_factory=list)
    """One session alone on the server, before the others: a change without queueing."""
    solo_cpu_per_change: float = 0.0
    change_seconds: float = 0.0
    """Wall time from the first change to the last session's last one."""
    held_per_process: dict[int, int] = field(default_factory=dict)
    """Behind a proxy: the sessions each server process held at once."""
    cpu_per_process: dict[int, float] = field(default_factory=dict)
    """Behind a proxy: the CPU time each server process used during the run."""
    proxy: int = 0
    """Server processes behind nginx (0: one server, reached directly)."""

    @property
    def throughput(self) -> float:
        """Changes shown per second while every session was changing filters."""
        return self.changes_ok / self.change_seconds if self.change_seconds else 0.0

    @property
    def changes_expected(self) -> int:
        return (self.sessions + self.browsers) * self.changes

    @property
    def problems(self) -> list[str]:
        return self.errors + self.leaks + self.server_errors


@dataclass
class _Gates:
    """How the sessions' event loop and the main thread (Chromium) keep in step."""

    opened: threading.Event = field(default_factory=threading.Event)
    go: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


async def _drive_sessions(
    server: Server, oracle: Oracle, result: ConcurrencyResult, think: float, gates: _Gates
) -> None:
    loop = asyncio.get_running_loop()
    current: dict[int, Shown] = {}
    plans = [plan(oracle, i, result.changes) for i in range(result.sessions)]

    async def open_one(i: int) -> Session | None:
        start = plans[i][0]
        try:
            session = await Session.open(server.url, deep_link(start), f"session {i}")
        except Exception as exc:
            result.errors.append(f"session {i} did not open: {type(exc).__name__}: {exc}")
            return None
        result.open_seconds.append(session.open_seconds)
        current[i] = oracle.expected(start)
        if i % 2:  # half the sessions look at the Events tab, with its count
            await session.open_events_tab()
        if not await session.wait_for(lambda: session.sees(current[i]), CHANGE_TIMEOUT):
            result.errors.append(f"session {i}: the deep link shows {session.shown()}")
        return session

    async def change_all(i: int, session: Session) -> None:
        rng = random.Random(i)
        for k, change in enumerate(plans[i][1]):
            await asyncio.sleep(think * rng.uniform(0.5, 1.5))
            expected = current[i] = oracle.expected(change.values)
            seconds = await session.change(change, expected, CHANGE_TIMEOUT)
            if seconds is not None:
                result.latencies.append(seconds)
                result.changes_ok += 1
                continue
            # whose filters does it show instead?
            others = [j for j, e in current.items() if j != i and session.sees(e)]
            message = (
                f"session {i}, change {k} ({change.widget} -> {change.values}): after "
                f"{CHANGE_TIMEOUT:.0f} s it shows {session.shown()}, expected {expected}"
            )
            if others:
                result.leaks.append(f"{message}: what session(s) {others} should show")
            else:
                result.errors.append(message)
            break
        result.errors += [f"session {i}: {e}" for e in session.errors]

    sessions = await asyncio.gather(*(open_one(i) for i in range(result.sessions)))
    gates.opened.set()
    await loop.run_in_executor(None, gates.go.wait, OPEN_TIMEOUT * 2)
    await asyncio.gather(*(change_all(i, s) for i, s in enumerate(sessions) if s is not None))
    gates.done.set()
    await loop.run_in_executor(None, gates.release.wait, OPEN_TIMEOUT * 4)
    await asyncio.gather(*(s.close() for s in sessions if s is not None))


def run_solo(
    server: Server | Proxied, oracle: Oracle, changes: int, index: int
) -> tuple[list[float], float]:
    """The latencies of ``changes`` changes by one session alone on the server, and the
    server CPU per change (the session's opening not counted)."""

    async def go() -> tuple[list[float], float]:
        start, steps = plan(oracle, index, changes)
        session = await Session.open(server.url, deep_link(start), "solo")
        try:
            await session.wait_for(lambda: session.sees(oracle.expected(start)), CHANGE_TIMEOUT)
            cpu = server.cpu_seconds()
            out = []
            for change in steps:
                expected = oracle.expected(change.values)
                seconds = await session.change(change, expected, CHANGE_TIMEOUT)
                if seconds is None:
                    raise AssertionError(f"solo session: {session.shown()}, expected {expected}")
                out.append(seconds)
            return out, (server.cpu_seconds() - cpu) / max(len(out), 1)
        finally:
            await session.close()

    return run_async(go())


def warm(server: Server | Proxied, oracle: Oracle) -> None:
    """One session opened, changed once and closed on each process behind a proxy, directly:
    the first session a process builds imports and compiles what later ones reuse, and a
    long-running server has done that long before (one server: the solo run warms it)."""

    async def go() -> None:
        for process in server.servers:
            session = await open_and_change(process.url, oracle, 0)
            await session.close()

    if isinstance(server, Proxied):
        run_async(go())


def _click_through(pages: list[BrowserSession], changes: int, result: ConcurrencyResult) -> None:
    """Every page makes ``changes`` clicks, in turn."""
    for k in range(changes):
        for b, page in enumerate(pages):
            seconds, expected = page.change(CHANGE_TIMEOUT)
            if seconds is None:
                result.errors.append(
                    f"page {b}, click {k}: shows {page.shown()}, expected {expected}"
                )
            else:
                result.browser_latencies.append(seconds)
                result.changes_ok += 1


def run_concurrency(
    server: Server | Proxied,
    oracle: Oracle,
    sessions: int,
    changes: int,
    browsers: int = 0,
    think: float = 1.0,
    label: str = "",
    solo: bool = False,
) -> ConcurrencyResult:
    """``sessions`` websocket sessions and ``browsers`` Chromium pages on one server (or on
    several behind nginx: :class:`~reliability.deploy.Proxied`), all held at once, each
    making ``changes`` filter changes and checking it sees its own filters.
    ``solo``: first measure one session alone, for the latency without queueing."""
    result = ConcurrencyResult(label, sessions, browsers, changes)
    log_before = len(server.error_lines())
    if solo:
        warm(server, oracle)
        result.solo_latencies, result.solo_cpu_per_change = run_solo(
            server, oracle, changes, sessions + browsers
        )
        server.wait_sessions(0, timeout=60)
    gates = _Gates()
    started = time.monotonic()
    cpu_before = server.cpu_seconds()
    client_before = time.process_time()
    failure: list[BaseException] = []

    def drive() -> None:
        try:
            asyncio.run(_drive_sessions(server, oracle, result, think, gates))
        except BaseException as exc:  # reported below, never lost in a thread
            failure.append(exc)
        finally:
            gates.opened.set()
            gates.done.set()

    thread = threading.Thread(target=drive, name="sessions", daemon=True)
    thread.start()
    pages: list[BrowserSession] = []
    with contextlib.ExitStack() as stack:
        # whatever happens here, let the sessions' thread go on and close its sessions
        stack.callback(gates.release.set)
        stack.callback(gates.go.set)
        if browsers:
            browser = stack.enter_context(chromium())
        for b in range(browsers):
            page = BrowserSession(browser, server.url, oracle, sessions + b)
            result.browser_open_seconds.append(page.open_seconds)
            if page.ok:
                pages.append(page)
                continue
            if not page.errors:
                result.errors.append(f"page {b}: the deep link shows {page.shown()}")
            result.errors += [f"page {b}: {e}" for e in page.errors]
            page.close()  # no clicks on a page that did not open
        gates.opened.wait(OPEN_TIMEOUT * 2)
        result.held = server.sessions()
        result.rss_held = server.rss()
        if isinstance(server, Proxied):
            result.proxy = len(server.servers)
            result.held_per_process = {
                pid: sum(answer["sessions"].values())
                for pid, answer in server.per_process().items()
            }
            cpu_each = {s.proc.pid: s.cpu_seconds() for s in server.servers}
        gates.go.set()
        changing = time.monotonic()
        _click_through(pages, changes, result)
        gates.done.wait(OPEN_TIMEOUT * 4)
        result.change_seconds = time.monotonic() - changing
        if isinstance(server, Proxied):
            result.cpu_per_process = {
                s.proc.pid: s.cpu_seconds() - cpu_each[s.proc.pid] for s in server.servers
            }
        gates.release.set()
        thread.join(timeout=60)
        for b, page in enumerate(pages):
            result.errors += [f"page {b}: {e}" for e in page.errors]
            result.external |= page.external
            page.close()
    if thread.is_alive():
        result.errors.append("the sessions did not finish")
    result.errors += [f"{type(e).__name__}: {e}" for e in failure]
    result.seconds = time.monotonic() - started
    result.cpu_seconds = server.cpu_seconds() - cpu_before
    result.client_cpu_seconds = time.process_time() - client_before
    result.server_errors = server.error_lines()[log_before:]
    return result
