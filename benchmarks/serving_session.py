"""The served side of ``python -m benchmarks.serving``, and one session on it.

:func:`start_server` runs ``alliances serve`` with the ledger of :mod:`benchmarks.serving_probe`
loaded, which charges the server thread's CPU to :data:`STAGES`; :func:`ledger` reads or resets
it. :class:`Session` holds one dashboard session over Bokeh's websocket protocol as a browser
tab does, sends changes as the browser sends them, and counts every byte the server sends, per
model and property.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import sys
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

from . import ROOT

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


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and its children so far."""
    import psutil

    main = psutil.Process(pid)
    total = 0.0
    for p in [main, *main.children(recursive=True)]:
        times = p.cpu_times()
        total += times.user + times.system
    return total


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
