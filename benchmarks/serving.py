"""``python -m benchmarks.serving``: where a served filter change's server CPU and bytes go.

Starts ``alliances serve`` with the ledger of :mod:`benchmarks.serving_probe` loaded, opens one
session over Bokeh's websocket protocol as a browser tab holds it, and makes filter changes
the way the browser sends them (a ``PATCH-DOC`` setting a widget's model): actors, the date
window, event types, the network's "As of" slider, and a tab switch. For each change it reads
the server thread's CPU per stage (the ledger, reset before the change) and counts every byte
the server sent until it fell quiet, per model and property. Prints Markdown tables
(docs/performance.md, "Where a served change's time goes", has the method and the figures).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import json
import os
import sys
import time
import urllib.request
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from . import ROOT
from .loops import run_async
from .revisions import OUT, source_tree
from .stats import median, p95

STAGES = {
    "receive": "applying the browser's message to the document",
    "selection": "computing the selection (alliances.query, aggregates, metrics, analyses)",
    "figures": "building figure specs and HTML (alliances.figures, fragments)",
    "views": "the views' own code (alliances.views, app)",
    "panel": "Panel model updates (its diff of figures, tables and properties)",
    "bokeh": "Bokeh properties and document events (validation, change events, model graph)",
    "serialize": "serialising PATCH-DOC messages",
    "send": "writing to the websocket",
    "gc": "Python's garbage collector",
}
"""Each stage a change's server CPU is charged to, and what it covers."""
OTHER = "other"
"""What ran outside every stage: tornado's loop, Panel's scheduling, param's dispatch."""

STAGES_ENV = "BENCHMARKS_SERVING_STAGES"
"""``0`` in the server's environment: time no stage, only the whole (to see what timers cost)."""
PLUGIN = "benchmarks.serving_probe"
LEDGER_PATH = "/serving/ledger"
QUIET = 0.4
"""Seconds without a message after which a change may be finished ..."""
IDLE_CPU = 0.010
"""... if the server thread spent less CPU (seconds) than this meanwhile (an idle server
spends a few milliseconds a second answering the ledger's requests)."""
KINDS = ("actors", "window", "types", "as_of", "tab")
"""The kinds of change measured, in the order a round makes them."""


# --------------------------------------------------------------------------- the server


def start_server(data: Path | None, log: Path, stages: bool = True, src: Path | None = None):
    """``alliances serve`` on a free loopback port with the ledger loaded (``stages``: with
    its timers; without, it measures only the whole); ``src``: a source tree (see
    :func:`source_tree`) whose package and dashboards to serve instead of the installed ones."""
    from alliances.testing import free_port, server_env, start_server

    port = free_port()
    command = [sys.executable, "-m", "alliances.cli", "serve", "--port", str(port)]
    if data is not None:
        command += ["--data", str(data)]
    command.append(f"--plugins={PLUGIN}")
    first = [str(src / "src")] if src is not None else []
    path = os.pathsep.join(filter(None, [*first, str(ROOT), os.environ.get("PYTHONPATH")]))

    def ready(server) -> bool:
        with urllib.request.urlopen(server.base + LEDGER_PATH, timeout=10) as r:
            return r.status == 200

    return start_server(
        command, port, log, ready, timeout=120, cwd=ROOT,
        env=server_env(PYTHONPATH=path, **{STAGES_ENV: "1" if stages else "0"}),
    )  # fmt: skip


def ledger(base: str, reset: bool = False, clear: bool = False, profile: bool = False) -> dict:
    """Read the server's ledger, or start a new account (``clear``: drop cached selections;
    ``profile``: run pyinstrument from the reset to the read that also says ``profile``,
    which returns its call tree)."""
    flags = {"reset": reset, "clear": reset and clear, "profile": profile}
    query = "?" + "&".join(f"{k}=1" for k, v in flags.items() if v)
    with urllib.request.urlopen(base + LEDGER_PATH + query, timeout=120) as r:
        return json.load(r)


# --------------------------------------------------------------------------- the client

DOCUMENT_READY = {
    "kind": "MessageSent",
    "msg_type": "bokeh_event",
    "msg_data": {"type": "event", "name": "document_ready", "values": {"type": "map"}},
}
"""The event BokehJS sends once it has drawn the document."""


@dataclasses.dataclass
class Received:
    """One message the server sent: its type, bytes on the wire, and bytes per model/property."""

    msgtype: str
    size: int
    parts: dict[str, int]


def _short(name: str) -> str:
    return name.rsplit(".", 1)[-1]


class Session:
    """One dashboard session over Bokeh's protocol that records every message it receives.

    ``labels`` names each model by the dashboard's CSS class nearest to it (``al-network``,
    ``al-kpis``, ...), so the bytes of a figure's data sources count for that figure.
    """

    def __init__(self, ws, protocol, receiver):
        self._ws, self._protocol, self._receiver = ws, protocol, receiver
        self.types: dict[str, str] = {}
        self.labels: dict[str, str] = {}
        self.attrs: dict[str, dict] = {}
        self.received: list[Received] = []
        self._arrived = asyncio.Event()
        self._reader: asyncio.Task | None = None
        self.open_bytes = 0

    @classmethod
    async def open(
        cls, url: str, arguments: dict[str, str] | None = None, ready: bool = True
    ) -> Session:
        """Connect, pull the document, and (``ready``) say the page is ready, as BokehJS does
        once it has drawn the document: until then Panel treats the session as loading (no
        ``onload`` callbacks, and every model change goes out as a message of its own)."""
        from bokeh.client.util import websocket_url_for_server_url
        from bokeh.client.websocket import WebSocketClientConnectionWrapper
        from bokeh.protocol import Protocol
        from bokeh.protocol.receiver import Receiver
        from bokeh.util.strings import format_url_query_arguments
        from bokeh.util.token import generate_jwt_token, generate_session_id
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        ws_url = format_url_query_arguments(websocket_url_for_server_url(url), arguments or None)
        token = generate_jwt_token(generate_session_id())
        request = HTTPRequest(ws_url, connect_timeout=120, request_timeout=120)
        ws = await websocket_connect(request, subprotocols=["bokeh", token], max_message_size=2**28)
        protocol = Protocol()
        self = cls(WebSocketClientConnectionWrapper(ws), protocol, Receiver(protocol))
        await self._expect("ACK")
        await protocol.create("PULL-DOC-REQ").send(self._ws)
        reply = await self._expect("PULL-DOC-REPLY")
        self.open_bytes = self._last_size
        self._index(reply.content["doc"], "")
        self._reader = asyncio.create_task(self._read_forever())
        if ready:
            await self.send_events([DOCUMENT_READY])
        return self

    async def _message(self):
        """The next whole message, and its size on the wire in bytes."""
        size = 0
        while True:
            fragment = await self._ws.read_message()
            if fragment is None:
                return None
            size += len(fragment.encode() if isinstance(fragment, str) else fragment)
            message = await self._receiver.consume(fragment)
            if message is not None:
                self._last_size = size
                return message

    async def _expect(self, msgtype: str):
        while (message := await self._message()) is not None:
            if message.msgtype == msgtype:
                return message
        raise ConnectionError(f"closed by the server before {msgtype}")

    def _index(self, node, label: str) -> None:
        """Remember each model's type, attributes and label, in the document or a patch."""
        if isinstance(node, list):
            for item in node:
                self._index(item, label)
            return
        if not isinstance(node, dict):
            return
        attrs = node.get("attributes")
        if node.get("type") == "object" and "id" in node and isinstance(attrs, dict):
            classes = [c for c in attrs.get("css_classes") or [] if str(c).startswith("al-")]
            label = classes[0] if classes else label
            self.types[node["id"]] = _short(str(node.get("name", "")))
            self.labels.setdefault(node["id"], label)
            self.attrs[node["id"]] = attrs
        for value in node.values():
            self._index(value, label)

    def _parts(self, message) -> dict[str, int]:
        """Bytes of each event (its JSON plus the buffers it refers to) by model and property."""
        buffers = {b.id: len(b.to_bytes()) for b in getattr(message, "buffers", [])}
        parts: dict[str, int] = defaultdict(int)
        for event in message.content.get("events", []):
            model = (event.get("model") or {}).get("id", "")
            owner = self.labels.get(model, "")
            self._index(event.get("new"), owner)
            text = json.dumps(event, separators=(",", ":"))
            size = len(text.encode()) + sum(n for b, n in buffers.items() if f'"{b}"' in text)
            what = self.types.get(model, event.get("kind", "?"))
            key = f"{owner or '-'} {what}.{event.get('attr') or event.get('kind')}"
            parts[key] += size
        return dict(parts)

    async def _read_forever(self) -> None:
        while (message := await self._message()) is not None:
            parts = self._parts(message) if message.msgtype == "PATCH-DOC" else {}
            self.received.append(Received(message.msgtype, self._last_size, parts))
            self._arrived.set()

    def find(self, css: str | None = None, kind: str | None = None, title: str | None = None):
        """The id of the first model with this CSS class, type (and, for Tabs, a tab title)."""
        for model, attrs in self.attrs.items():
            if css and css not in (attrs.get("css_classes") or []):
                continue
            if kind and self.types.get(model) != kind:
                continue
            if title:
                tabs = [self.attrs.get(t.get("id"), {}) for t in attrs.get("tabs") or []]
                if title not in [t.get("title") for t in tabs]:
                    continue
            return model
        raise LookupError(f"no model {css or ''} {kind or ''} {title or ''}")

    async def set(self, model: str, **values: object) -> None:
        """Set properties of one model as the browser does: one ``PATCH-DOC`` message."""
        await self.send_events(
            [
                {"kind": "ModelChanged", "model": {"id": model}, "attr": attr, "new": value}
                for attr, value in values.items()
            ]
        )

    async def send_events(self, events: list[dict]) -> None:
        header = {"msgid": f"c{time.monotonic_ns()}", "msgtype": "PATCH-DOC"}
        message = self._protocol.assemble(json.dumps(header), "{}", json.dumps({"events": events}))
        await message.send(self._ws)

    async def quiet(self, seconds: float = QUIET, timeout: float = 120) -> list[Received]:
        """Every message that arrives until none has for ``seconds``; returns them."""
        deadline = time.monotonic() + timeout
        start = len(self.received)
        while time.monotonic() < deadline:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), seconds)
            except TimeoutError:
                break
        return self.received[start:]

    async def settle(self, base: str, timeout: float = 300) -> list[Received]:
        """Every message until the server is done with the change: no message for
        :data:`QUIET` seconds, and meanwhile the server thread entered no stage (without
        stage timers: spent less than :data:`IDLE_CPU`). The server may compute for longer
        than :data:`QUIET` before it sends anything."""
        deadline = time.monotonic() + timeout
        start = len(self.received)
        before = await asyncio.to_thread(ledger, base)
        while time.monotonic() < deadline:
            await self.quiet()
            after = await asyncio.to_thread(ledger, base)
            if after["entered"] == before["entered"] and after["cpu"] - before["cpu"] < IDLE_CPU:
                break
            before = after
        return self.received[start:]

    async def close(self) -> None:
        self._ws.close(1000, "closed")
        if self._reader is not None:
            self._reader.cancel()


# --------------------------------------------------------------------------- the changes


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


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and its children so far."""
    import psutil

    main = psutil.Process(pid)
    total = 0.0
    for p in [main, *main.children(recursive=True)]:
        times = p.cpu_times()
        total += times.user + times.system
    return total


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


# --------------------------------------------------------------------------- the tables


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def _kb(size: float) -> str:
    return f"{size / 1000:.1f}"


def tables(results: list[Measured]) -> str:
    """Markdown: CPU per kind of change and stage, and bytes per model and property."""
    kinds = [k for k in KINDS if any(m.kind == k for m in results)]
    groups = {k: [m for m in results if m.kind == k] for k in kinds}
    groups["all"] = results
    columns = [*STAGES, OTHER]
    head = (
        "| change | n | CPU median / p95 ms | "
        + " | ".join(columns)
        + " | process CPU median ms | sent median / max KB |"
    )
    lines = [
        "Server CPU per change, ms (median and p95 of the total; each stage's mean per change,"
        " which add up to the mean total):",
        "",
        head,
        "|---|---:|---:|" + "---:|" * len(columns) + "---:|---:|",
    ]
    for kind, group in groups.items():
        cpu = [m.cpu for m in group]
        means = [sum(m.stages.get(c, 0.0) for m in group) / len(group) for c in columns]
        sent = [m.sent for m in group]
        lines.append(
            f"| {kind} | {len(group)} | {_ms(median(cpu))} / {_ms(p95(cpu))} | "
            + " | ".join(_ms(v) for v in means)
            + f" | {_ms(median([m.process_cpu for m in group]))}"
            + f" | {_kb(median(sent))} / {_kb(max(sent))} |"
        )
    totals: dict[str, int] = defaultdict(int)
    for m in results:
        for key, size in m.parts.items():
            totals[key] += size
    framing = sum(m.sent for m in results) - sum(totals.values())
    lines += [
        "",
        "Bytes sent per change, by model and property (mean over all changes; the model is"
        " named by the dashboard's CSS class nearest to it):",
        "",
        "| model and property | KB per change | share |",
        "|---|---:|---:|",
    ]
    whole = sum(m.sent for m in results) or 1
    ranked = sorted(totals.items(), key=lambda kv: -kv[1])
    for key, size in ranked[:15]:
        lines.append(f"| `{key}` | {_kb(size / len(results))} | {size / whole:.0%} |")
    rest = sum(size for _, size in ranked[15:])
    if rest:
        lines.append(
            f"| {len(ranked) - 15} others | {_kb(rest / len(results))} | {rest / whole:.0%} |"
        )
    lines.append(
        f"| message framing and JSON outside events | {_kb(framing / len(results))} | "
        f"{framing / whole:.0%} |"
    )
    return "\n".join(lines)


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


def top_functions(results: list[Measured], kinds: Sequence[str], count: int = 20) -> str:
    """Markdown: the functions that cost most CPU per change of these kinds (exclusive)."""
    chosen = [m for m in results if m.kind in kinds]
    totals: dict[str, float] = defaultdict(float)
    for m in chosen:
        for name, seconds in m.functions.items():
            totals[name] += seconds
    lines = [f"| stage: function ({', '.join(kinds)}) | ms per change |", "|---|---:|"]
    for name, seconds in sorted(totals.items(), key=lambda kv: -kv[1])[:count]:
        lines.append(f"| `{name}` | {seconds / max(1, len(chosen)) * 1000:.1f} |")
    return "\n".join(lines)


def summary(variants: list[Variant], results: list[list[Measured]]) -> str:
    """Markdown: median CPU and bytes per kind of change, one column per variant."""
    kinds = [*KINDS, "all"]
    head = "| change | " + " | ".join(f"{v.label}: CPU ms / sent KB" for v in variants) + " |"
    lines = [head, "|---|" + "---:|" * len(variants)]
    for kind in kinds:
        cells = []
        for group in results:
            chosen = [m for m in group if kind in ("all", m.kind)]
            cpu = median([m.cpu for m in chosen])
            cells.append(f"{_ms(cpu)} / {_kb(median([m.sent for m in chosen]))}")
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.serving", description=__doc__)
    parser.add_argument("--data", type=Path, help="dataset folder (default: the bundled one)")
    parser.add_argument("--rounds", type=int, default=12, help="changes of each kind")
    parser.add_argument(
        "--cold", action="store_true",
        help="drop every selection cached for some filters before each change (default: keep "
        "them, as a server does; each change still sets filters not seen before)",
    )  # fmt: skip
    parser.add_argument(
        "--against", metavar="REV",
        help="also serve git revision REV's code, and make every change on both servers",
    )  # fmt: skip
    parser.add_argument(
        "--this", metavar="REV",
        help="with --against: serve git revision REV's code as this side, not the checkout",
    )  # fmt: skip
    parser.add_argument(
        "--only", nargs="+", metavar="PATH", default=(),
        help="with --against: measure REV plus this checkout's version of these files only "
        "(one change against its parent), instead of the whole checkout",
    )  # fmt: skip
    parser.add_argument(
        "--overhead", action="store_true",
        help="also serve each side without the stage timers, to see what they cost",
    )  # fmt: skip
    parser.add_argument(
        "--again", action="store_true",
        help="also make each change in a second session on the same server, right after the "
        "first: what one session's change costs when another computed it already",
    )  # fmt: skip
    parser.add_argument(
        "--functions", type=int, default=0, metavar="N",
        help="also list the N functions that cost most per filter change",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write every change's figures here")
    args = parser.parse_args(argv)
    if (args.only or args.this) and not args.against:
        parser.error("--only and --this need --against")
    variants = [Variant("this code")]
    if args.this:
        variants = [Variant(args.this, src=source_tree(args.this))]
    elif args.only:
        label = f"{args.against} + {', '.join(args.only)}"
        variants = [Variant(label, src=source_tree(args.against, args.only))]
    if args.against:
        variants.insert(0, Variant(args.against, src=source_tree(args.against)))
    if args.overhead:
        variants += [
            dataclasses.replace(v, label=f"{v.label}, no stage timers", stages=False)
            for v in variants
        ]
    if args.again:
        variants.append(Variant("a second session, same changes", again=True))
    results = run(args.data, args.rounds, variants, cold=args.cold)
    for variant, group in zip(variants, results, strict=True):
        if variant.stages:
            print(f"## {variant.label}\n\n{tables(group)}\n")
            if args.functions:
                print(top_functions(group, ("actors", "window", "types"), args.functions) + "\n")
    if len(variants) > 1:
        print(summary(variants, results))
    if args.json:
        dump = {
            v.label: [dataclasses.asdict(m) for m in g]
            for v, g in zip(variants, results, strict=True)
        }
        args.json.write_text(json.dumps(dump, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
