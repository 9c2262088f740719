"""The filter changes ``python -m benchmarks.serving`` makes, and what each cost the server.

:func:`plan` chooses rounds of changes (actors, the date window, event types, the network's
"As of" slider, a tab switch), each to filters not seen before; :func:`measure` makes them in a
session (:class:`~benchmarks.serving_session.Session`) and reads, per change, the server
thread's CPU by stage and the bytes sent (:class:`Measured`); :func:`run` does so on one server
per :class:`Variant` (this code, another revision, without timers), each change on every
server in turn.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from pathlib import Path

from .loops import run_async
from .revisions import OUT
from .serving_session import OTHER, Session, ledger, process_cpu, start_server

KINDS = ("actors", "window", "types", "as_of", "tab")
"""The kinds of change measured, in the order a round makes them."""


@dataclasses.dataclass
class Change:
    """One widget change: its kind, the model (by CSS class or tab), the values it sets."""

    kind: str
    target: str
    values: dict


def plan(dataset, rounds: int) -> list[Change]:
    """``rounds`` rounds of one change of each kind, each to filters not seen before.

    Actors and event types are chosen among the busiest; windows start at distinct years;
    the as-of slider steps back a year at a time; the tab switch opens Events or Analysis
    after the filters changed (what a background tab then computes), or goes back.
    """
    from alliances.views.controls import actor_options, vocabulary_options

    events = dataset.events
    busy = (events["actor_1"].astype(object).value_counts()
            .add(events["actor_2"].astype(object).value_counts(), fill_value=0)
            .sort_values(ascending=False, kind="stable"))  # fmt: skip
    actors = [str(a) for a in busy.index[:12]]
    label = {v: k for k, v in actor_options(dataset).items()}
    type_label = {v: k for k, v in vocabulary_options(dataset.event_types).items()}
    per_type = events["event_type"].astype(object).value_counts()
    types = [str(t) for t in per_type.index if per_type[t] > 0]
    first, last = events["date"].min().year, events["date"].max().year
    tabs = (1, 0, 2, 0)  # Events, Overview, Analysis, Overview
    changes = []
    for r in range(rounds):
        chosen = [actors[r % len(actors)], actors[(r + 3) % len(actors)]][: 1 + r % 2]
        changes.append(Change("actors", "al-actors", {"value": [label[a] for a in chosen]}))
        year = first + (r * 3) % max(1, last - first)
        changes.append(Change("window", "al-start", {"value": dt.date(year, 1, 1).isoformat()}))
        picked = [types[(r + k) % len(types)] for k in range(1 + r % 3)]
        changes.append(
            Change("types", "al-event-types", {"value": [type_label[t] for t in picked]})
        )
        as_of = last - 1 - r % max(1, last - year)
        changes.append(Change("as_of", "al-year", {"value": as_of, "value_throttled": as_of}))
        changes.append(Change("tab", "tabs", {"active": tabs[r % len(tabs)]}))
    return changes


@dataclasses.dataclass
class Measured:
    """One change as the server paid for it."""

    kind: str
    cpu: float
    """Seconds of the server thread's CPU from the change sent to the session quiet."""
    stages: dict[str, float]
    """Seconds per stage, and ``other``: they add up to ``cpu``."""
    process_cpu: float
    """Seconds of CPU of the whole server process over the same span (psutil, a check)."""
    sent: int
    """Bytes the server sent for the change."""
    parts: dict[str, int]
    messages: int
    """Messages the server sent for the change (the ``OK`` for the change's own included)."""
    view_messages: int
    """Of them, the ``PATCH-DOC`` messages that change a model of the dashboard's views."""
    functions: dict[str, float] = dataclasses.field(default_factory=dict)
    """Seconds per function the ledger times, exclusive of the stages it entered."""


async def _open(server) -> tuple[Session, dict[str, str]]:
    """A session on ``server``, and the ids of the models the changes set."""
    session = await Session.open(server.url)
    await session.settle(server.base)
    ids = {"tabs": session.find(kind="Tabs", title="Overview")}
    for change in plan_targets():
        ids[change] = session.find(css=change)
    return session, ids


def plan_targets() -> tuple[str, ...]:
    """The CSS classes of the widgets the changes set (besides the tabs)."""
    return ("al-actors", "al-start", "al-event-types", "al-year")


async def _change(server, session: Session, model: str, change: Change, clear: bool) -> Measured:
    base = server.base
    ledger(base, reset=True, clear=clear)
    cpu0 = process_cpu(server.proc.pid)
    await session.set(model, **change.values)
    received = await session.settle(base)
    account = ledger(base)
    whole = process_cpu(server.proc.pid) - cpu0
    stages = dict(account["stages"])
    stages[OTHER] = max(0.0, account["cpu"] - sum(stages.values()))
    parts: dict[str, int] = defaultdict(int)
    for message in received:
        for key, size in message.parts.items():
            parts[key] += size
    sent = sum(m.size for m in received)
    functions = {f"{stage}: {name}": sec for stage, name, sec, _ in account["functions"]}
    views = sum(1 for m in received if any(key.startswith("al-") for key in m.parts))
    return Measured(
        change.kind, account["cpu"], stages, whole, sent, dict(parts), len(received), views,
        functions,
    )  # fmt: skip


async def _measure(servers: list, changes: list[Change], clear: bool) -> list[list[Measured]]:
    opened = [await _open(server) for server in servers]
    out: list[list[Measured]] = [[] for _ in servers]
    try:
        for change in changes:  # each change on every server in turn: they share the noise
            cleared: set[int] = set()  # a second session on a server finds what the first left
            for results, server, (session, ids) in zip(out, servers, opened, strict=True):
                model = ids[change.target]
                first = id(server) not in cleared
                cleared.add(id(server))
                results.append(await _change(server, session, model, change, clear and first))
    finally:
        for session, _ in opened:
            await session.close()
    return out


def measure(server, changes: list[Change], clear: bool = False) -> list[Measured]:
    """Make ``changes`` in one new session of ``server``; each change's server CPU by stage,
    and the bytes sent."""
    return run_async(_measure([server], changes, clear))[0]


def compare(servers: list, changes: list[Change], clear: bool = False) -> list[list[Measured]]:
    """:func:`measure` on several servers at once, each change made on one after the other."""
    return run_async(_measure(servers, changes, clear))


@dataclasses.dataclass(frozen=True)
class Variant:
    """A server to measure: whose code (``None``: the installed package), timed by stage?
    ``again``: not a server of its own but a second session on the previous variant's, each
    change made there right after the first session made it (what sessions share)."""

    label: str
    src: Path | None = None
    stages: bool = True
    again: bool = False


def run(
    data: Path | None, rounds: int, variants: list[Variant], cold: bool = False
) -> list[list[Measured]]:
    """Start one server per variant, warm each up with one round in a session of its own,
    then measure ``rounds`` rounds of changes in a new session on each, each change on every
    server in turn (so that the machine's noise falls on all of them alike)."""
    import alliances

    changes = plan(alliances.load_dataset(data), rounds + 1)
    OUT.mkdir(parents=True, exist_ok=True)
    servers = []
    try:
        for i, variant in enumerate(variants):
            if variant.again:
                servers.append(servers[-1])
                continue
            log = OUT / f"serving-server-{i}.log"
            servers.append(start_server(data, log, stages=variant.stages, src=variant.src))
        compare(servers, changes[: len(KINDS)], clear=cold)  # warm up
        return compare(servers, changes[len(KINDS) :], clear=cold)
    finally:
        for server in servers:
            server.stop()
