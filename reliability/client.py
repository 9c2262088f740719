"""One dashboard session over Bokeh's websocket protocol, as a browser tab holds it.

A lean client, and why not ``bokeh.client``: ``pull_session`` builds a whole ``Document`` per
session (0.6 s of this process's CPU on the bundled dataset, 267 models, against 0.03 s here)
and applies every patch to it; it drives a connection by starting and stopping a tornado loop,
so 20-100 concurrent sessions would need a thread each; and it must resolve every model class
the server generates (Panel's ``ReactiveHTML`` makes ``NarrowScreen1``). The measuring process
would then compete with the server it measures, on 2 cores. So this client uses Bokeh's pieces
below that level (``websocket_url_for_server_url``, its websocket wrapper, ``Protocol`` and
``Receiver`` for the framing), runs every session on one asyncio loop, and keeps only the
models a session reads or sets, found by their CSS classes.

Once it has the document it sends ``document_ready``, as BokehJS does once it has drawn the
page: without it Panel never counts the session as loaded (its ``onload`` callbacks do not
run, and a change's updates go out message by message), so its cost is not a browser's
(docs/performance.md, "Where a served change's time goes").

The Events tab's table and count are sent when the tab is first opened, and an attribute at its
default value is not sent at all: a model's values start as ``None`` and are filled in by the
patches that follow (an empty count stays ``None``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import html
import json
import re
import time
import urllib.parse
from collections.abc import Callable

from benchmarks.serving_session import DOCUMENT_READY

from . import CHANGE_TIMEOUT, OPEN_TIMEOUT
from .oracle import Change, Oracle, Shown, deep_link, kpi_cards, plan

WIDGETS = ("al-actors", "al-event-types", "al-start", "al-partners", "al-kpis", "al-count")
"""CSS classes of the models a session sets or reads (besides Location and the Tabs)."""
ATTRS = ("text", "search", "value", "active")
"""The model attributes a session reads or sets."""


class Session:
    """A dashboard session: :meth:`open` it on a deep link, :meth:`change` widgets, read what
    it :meth:`shown`, :meth:`close` it as a closing tab does."""

    def __init__(self, name: str, ws, protocol, receiver):
        self.name = name
        self.ids: dict[str, str] = {}
        self.values: dict[tuple[str, str], object] = {}
        self.errors: list[str] = []
        self.open_seconds = 0.0
        self.events_tab = False
        self.closed = False
        self._ws, self._protocol, self._receiver = ws, protocol, receiver
        self._arrived = asyncio.Event()
        self._reader: asyncio.Task | None = None

    @classmethod
    async def open(cls, url: str, arguments: dict[str, str], name: str = "") -> Session:
        """Connect (a deep link's query goes in the websocket URL), pull the document."""
        from bokeh.client.util import websocket_url_for_server_url
        from bokeh.client.websocket import WebSocketClientConnectionWrapper
        from bokeh.protocol import Protocol
        from bokeh.protocol.receiver import Receiver
        from bokeh.util.strings import format_url_query_arguments
        from bokeh.util.token import generate_jwt_token, generate_session_id
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        started = time.monotonic()
        ws_url = format_url_query_arguments(websocket_url_for_server_url(url), arguments or None)
        token = generate_jwt_token(generate_session_id())
        # a browser waits for a busy server's handshake; tornado gives up after 20 s by default
        request = HTTPRequest(ws_url, connect_timeout=OPEN_TIMEOUT, request_timeout=OPEN_TIMEOUT)
        ws = await websocket_connect(request, subprotocols=["bokeh", token], max_message_size=2**28)
        protocol = Protocol()
        self = cls(name, WebSocketClientConnectionWrapper(ws), protocol, Receiver(protocol))
        try:
            await asyncio.wait_for(self._expect("ACK"), OPEN_TIMEOUT)
            await protocol.create("PULL-DOC-REQ").send(self._ws)
            # patches sent before the reply are already in the document it carries
            reply = await asyncio.wait_for(self._expect("PULL-DOC-REPLY"), OPEN_TIMEOUT)
            self._index(reply.content["doc"])
            # the Events tab's table and count arrive when the tab is opened (dynamic tabs)
            needed = [w for w in WIDGETS if w != "al-count"]
            missing = [w for w in (*needed, "location", "tabs") if w not in self.ids]
            if missing:
                raise ConnectionError(f"{name}: the document has no {missing}")
        except BaseException:
            ws.close(1000, "failed")
            raise
        self._reader = asyncio.create_task(self._read_forever())
        # as BokehJS once it has drawn the page: Panel then counts the session as loaded
        # (its onload callbacks run, and each change goes out as one message)
        await self._patch([DOCUMENT_READY])
        self.open_seconds = time.monotonic() - started
        return self

    async def _next_message(self):
        while True:
            fragment = await self._ws.read_message()
            if fragment is None:
                return None
            message = await self._receiver.consume(fragment)
            if message is not None:
                return message

    async def _expect(self, msgtype: str):
        """The next message of this type (others are skipped); an ERROR message raises."""
        while True:
            message = await self._next_message()
            if message is None:
                raise ConnectionError(f"{self.name}: closed by the server before {msgtype}")
            if message.msgtype == msgtype:
                return message
            if message.msgtype == "ERROR":
                raise ConnectionError(f"{self.name}: server ERROR {message.content}")

    def _index(self, content: dict) -> None:
        """Remember the ids and current values of the models this session reads or sets."""
        stack: list = [content]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                attrs = node.get("attributes")
                if node.get("type") == "object" and isinstance(attrs, dict):
                    self._remember(node, attrs)
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)

    def _remember(self, node: dict, attrs: dict) -> None:
        name = str(node.get("name", ""))
        if name.endswith("Location"):
            key = "location"
        elif name.rsplit(".", 1)[-1] == "Tabs":  # the first: Overview / Events / About
            key = "tabs"
        else:
            classes = attrs.get("css_classes") or []
            key = next((c for c in classes if c in WIDGETS and c not in self.ids), None)
        if key is None or key in self.ids:
            return
        self.ids[key] = node["id"]
        for attr in ATTRS:
            # an attribute at its default is not sent, but may change later (an empty count)
            self.values[(node["id"], attr)] = attrs.get(attr)

    async def _read_forever(self) -> None:
        try:
            while (message := await self._next_message()) is not None:
                if message.msgtype == "ERROR":
                    self.errors.append(f"server ERROR message: {message.content}")
                elif message.msgtype == "PATCH-DOC":
                    if "al-count" not in self.ids:  # models sent when a tab is opened
                        self._index(message.content)
                    for event in message.content.get("events", []):
                        key = ((event.get("model") or {}).get("id"), event.get("attr"))
                        if event.get("kind") == "ModelChanged" and key in self.values:
                            self.values[key] = event.get("new")
                self._arrived.set()
        except Exception as exc:  # a protocol error is a failed session, not a crash
            if not self.closed:
                self.errors.append(f"reading: {type(exc).__name__}: {exc}")
        finally:
            self.closed = True
            self._arrived.set()

    def _value(self, key: str, attr: str):
        """The model's value; ``None`` until the model has arrived (a tab not opened yet)."""
        return self.values.get((self.ids.get(key), attr))

    def shown(self) -> Shown:
        """KPIs and URL; the table's count too once the Events tab is open (a background tab
        updates only when it is shown)."""
        kpis = kpi_cards(html.unescape(self._value("al-kpis", "text") or ""))
        count = None
        if self.events_tab:
            count_text = html.unescape(self._value("al-count", "text") or "")
            match = re.search(r"<b>([\d,]+)</b>", count_text)
            count = int(match.group(1).replace(",", "")) if match else -1
        search = self._value("location", "search") or ""
        return Shown(kpis, count, dict(urllib.parse.parse_qsl(search.lstrip("?"))))

    def sees(self, expected: Shown) -> bool:
        """Whether the session shows ``expected`` (its count only if the table is open)."""
        if not self.events_tab:
            expected = dataclasses.replace(expected, count=None)
        return self.shown() == expected

    async def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait until ``predicate()`` holds after a message, or ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not predicate():
            left = deadline - time.monotonic()
            if left <= 0 or self.closed:
                return predicate()
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), left)
        return True

    async def set(self, widget: str, value: object) -> None:
        """Change one widget's model as the browser does: a ``PATCH-DOC`` message."""
        attr = "active" if widget in ("al-partners", "tabs") else "value"
        if widget == "al-partners":  # a one-option checkbox group: the indices ticked
            value = [0] if value else []
        event = {"kind": "ModelChanged", "model": {"id": self.ids[widget]}, "attr": attr}
        await self._patch([{**event, "new": value}])

    async def _patch(self, events: list[dict]) -> None:
        """Send ``events`` in one ``PATCH-DOC`` message, as BokehJS does."""
        header = {"msgid": f"{self.name}-{time.monotonic_ns()}", "msgtype": "PATCH-DOC"}
        content = {"events": events}
        message = self._protocol.assemble(json.dumps(header), "{}", json.dumps(content))
        await message.send(self._ws)

    async def open_events_tab(self) -> None:
        """Click the Events tab: the table and its count follow the filters from now on."""
        self.events_tab = True
        await self.set("tabs", 1)

    async def change(self, change: Change, expected: Shown, timeout: float) -> float | None:
        """Set one widget; the seconds until the session shows ``expected`` (None: it did not)."""
        started = time.monotonic()
        await self.set(change.widget, change.value)
        if await self.wait_for(lambda: self.sees(expected), timeout):
            return time.monotonic() - started
        return None

    async def close(self) -> None:
        """Close the websocket as a closing tab does."""
        self._ws.close(1000, "closed")
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._reader, 10)
        self.closed = True


async def open_and_change(url: str, oracle: Oracle, index: int) -> Session:
    """Session ``index`` on its deep link (every other one with the Events tab open), after
    one filter change it checked."""
    start, steps = plan(oracle, index, 1)
    session = await Session.open(url, deep_link(start), f"session {index}")
    if index % 2:
        await session.open_events_tab()
    if not await session.wait_for(lambda: session.sees(oracle.expected(start)), 60):
        await session.close()
        raise AssertionError(f"session {index} does not show its deep link: {session.shown()}")
    seconds = await session.change(steps[0], oracle.expected(steps[0].values), CHANGE_TIMEOUT)
    if seconds is None or session.errors:
        shown = session.shown()
        await session.close()
        raise AssertionError(f"session {index} did not show its change: {shown} {session.errors}")
    return session
