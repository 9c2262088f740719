"""Experiment 2: sessions opened and closed in batches; does the server's memory come back?

The server destroys sessions without a connection quickly (``servers.CLEANUP_MS``); its RSS
is read with psutil after each batch, and the probe counts what is still alive.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from benchmarks.loops import run_async

from .client import Session, open_and_change
from .oracle import Oracle
from .servers import Server


@dataclass
class MemoryResult:
    dataset: str
    sessions: int
    batch: int
    baseline: int = 0
    baseline_trimmed: int = 0
    held_per_session: list[float] = field(default_factory=list)
    held: list[int] = field(default_factory=list)
    """The server's own session count while each batch was held."""
    after_batches: list[int] = field(default_factory=list)
    objects: list[int] = field(default_factory=list)
    """Objects gc tracks in the server after each batch (after ``gc.collect()``)."""
    after_close: int = 0
    after_settle: int = 0
    after_trim: int = 0
    after_clear: int = 0
    """After emptying the query caches too (and malloc_trim)."""
    destroyed: bool = False
    probe_before: dict = field(default_factory=dict)
    probe_after: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    settle: float = 0.0
    seconds: float = 0.0

    @property
    def per_session(self) -> float:
        """RSS per session held, from the first batch (later batches reuse freed memory)."""
        return self.held_per_session[0] if self.held_per_session else 0.0

    @property
    def growth(self) -> int:
        """RSS after every session was destroyed and gc settled, over the baseline."""
        return self.after_settle - self.baseline

    @property
    def leak_per_100(self) -> float:
        """RSS growth per 100 sessions over the second half of the run. By then the
        allocator holds the memory of ``batch`` sessions at once and reuses it, and the
        bounded caches are full: what still grows is kept by something."""
        n = len(self.after_batches)
        if n < 2:
            return self.growth * 100 / self.sessions if self.sessions else 0.0
        half = n // 2
        grew = self.after_settle - self.after_batches[half - 1]
        return grew * 100 / ((n - half) * self.batch)

    def grown_types(self, top: int = 8) -> list[tuple[str, int]]:
        """The object types whose live count grew most between baseline and the end."""
        before = self.probe_before.get("types", {})
        after = self.probe_after.get("types", {})
        grown = [(name, n - before.get(name, 0)) for name, n in after.items()]
        return sorted((g for g in grown if g[1] > 0), key=lambda g: -g[1])[:top]

    @property
    def slope_per_100(self) -> float:
        """Growth per 100 sessions from a least-squares line through the post-batch RSS."""
        ys = self.after_batches
        if len(ys) < 2:
            return 0.0
        xs = [(i + 1) * self.batch for i in range(len(ys))]
        mx, my = statistics.fmean(xs), statistics.fmean(ys)
        sxx = sum((x - mx) ** 2 for x in xs)
        return 100 * sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx


def hold(
    server: Server,
    oracle: Oracle,
    indices: Sequence[int],
    while_held: Callable[[int], None] = lambda n: None,
) -> list[str]:
    """Sessions opened at the same time (each checks one change) and held while
    ``while_held(count)`` runs, then closed; returns their errors."""

    async def go() -> list[str]:
        opened = await asyncio.gather(
            *(open_and_change(server.url, oracle, i) for i in indices), return_exceptions=True
        )
        sessions = [s for s in opened if isinstance(s, Session)]
        errors = [f"{type(e).__name__}: {e}" for e in opened if isinstance(e, BaseException)]
        try:
            if sessions:
                while_held(len(sessions))
        finally:
            await asyncio.gather(*(s.close() for s in sessions))
        return errors

    return run_async(go())


def run_memory(
    server: Server,
    oracle: Oracle,
    sessions: int,
    batch: int = 10,
    settle: float = 10.0,
    trim: bool = True,
) -> MemoryResult:
    """Open and close ``sessions`` sessions, ``batch`` at a time (opened together, held, then
    closed); RSS of the server along the way. The server must destroy unused sessions quickly
    (``cleanup_ms``). ``trim`` also measures RSS after ``malloc_trim``."""
    result = MemoryResult(str(oracle.dataset.path), sessions, batch, settle=settle)
    started = time.monotonic()
    result.errors += hold(server, oracle, [0])  # warm-up: imports, the data, the caches
    server.wait_sessions(0)
    time.sleep(settle)
    result.baseline = server.settled_rss()
    result.probe_before = server.probe(types=True)
    if trim:
        server.probe(trim=True)
        result.baseline_trimmed = server.rss()
    opened = 0
    while opened < sessions:
        size = min(batch, sessions - opened)
        before = server.rss()

        def measure(count: int, before: int = before) -> None:
            result.held.append(server.sessions())
            result.held_per_session.append((server.rss() - before) / count)

        result.errors += hold(server, oracle, range(opened + 1, opened + size + 1), measure)
        opened += size
        answer = server.wait_sessions(0)
        if sum(answer["sessions"].values()):
            result.errors.append(f"after {opened} sessions the server still holds {answer}")
        result.after_batches.append(server.rss())
        result.objects.append(server.probe(light=True, collect=True)["objects"])
    result.after_close = server.rss()
    time.sleep(settle)
    result.after_settle = server.settled_rss()
    result.probe_after = server.probe(types=True)
    result.destroyed = (
        sum(result.probe_after["sessions"].values()) == 0 and result.probe_after["dashboards"] == 0
    )
    if not result.destroyed:  # what keeps them alive
        result.probe_after = server.probe(referrers=True, types=True)
    if trim:
        server.probe(trim=True)
        result.after_trim = server.rss()
        server.probe(trim=True, clear_caches=True)
        result.after_clear = server.rss()
    result.seconds = time.monotonic() - started
    return result
