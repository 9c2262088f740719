"""How reliably one ``alliances serve`` holds many sessions: concurrency, memory, ``--num-procs``.

    python scripts/reliability.py [--sessions 20] [--changes 10] [--leak-sessions 100]
                                  [--browsers 3] [--synthetic 100000] [--out docs/reliability.md]

Everything runs against real ``alliances serve`` processes on free loopback ports, started by
this script and stopped by their PID. Sessions are real websocket sessions:

- Websocket sessions that speak Bokeh's protocol as the browser does (``Session``: ACK, the
  document pulled once, ``PATCH-DOC`` messages both ways), all on one asyncio loop. A session
  opens with a deep link of its own (``?actors=X``), every other one also opens the Events tab,
  then it changes one widget model at a time (event types, the partners checkbox, the start
  date, actors) and waits until the KPI cards, the address (the ``Location`` model) and, with
  the Events tab open, the table's count show what ``alliances.select(dataset, Filters(...))``
  gives for *its* filters. The latency of a change is the time from sending it to that state
  arriving. A session showing another session's filters would be a state leak; it is reported
  as such.
- A few Chromium pages (Playwright, Debian's Chromium) at the same time: each opens its own deep
  link and clicks the widgets, checking the KPI cards and the address bar the same way.

The memory run opens and closes sessions in batches on a fresh server, lets Bokeh destroy them
(``--check-unused-sessions 1000 --unused-session-lifetime 1000``), and reads the server's RSS
with psutil. The server loads ``scripts/reliability_probe.py`` (``--plugins``), a debug route
that counts what is still alive (dashboards, documents, Plotly panes, Panel's per-document
state) after ``gc.collect()``: the evidence when memory does not come back.

The script writes its figures to ``--out`` (Markdown) and prints them; tests/test_reliability.py
runs the same functions with smaller counts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime as dt
import html
import json
import os
import platform
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from alliances.testing import HOST, ServerProcess, chromium, free_port
from alliances.testing import start_server as start_server_process

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = Path(__file__).resolve().parent
PROBE_PATH = "/reliability/probe"
START_TIMEOUT = 90.0
CHANGE_TIMEOUT = 300.0
"""How long a session may wait for one change to show (a saturated 2-core machine is slow)."""
OPEN_TIMEOUT = 300.0
CLEANUP_MS = 1000
"""In the memory run, Bokeh destroys sessions without a connection after this long (ms)."""
HAND_WRITTEN = ("\n## Findings", "\n## Production deployment")
"""Sections of the report written by hand: the script keeps them when it rewrites the page."""
ERROR_LINES = re.compile(r"Traceback|failed to update|Error\b|Exception\b")
KPI_CARD = re.compile(
    r'<div class="kpi-value">(.*?)</div><div class="kpi-label">(.*?)</div>', re.DOTALL
)


def run_async(coroutine):
    """``asyncio.run(coroutine)``, in a thread of its own when this thread already runs an
    event loop (Playwright's sync API keeps one running while a browser is open)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    result: dict[str, object] = {}

    def run() -> None:
        try:
            result["value"] = asyncio.run(coroutine)
        except BaseException as exc:
            result["error"] = exc

    thread = threading.Thread(target=run, name="reliability-async")
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


# --------------------------------------------------------------------------- servers


def serve_args(
    data: Path | None, port: int, num_procs: int = 0, cleanup_ms: int | None = None
) -> list[str]:
    """The ``alliances serve`` arguments, with the debug probe loaded.

    ``cleanup_ms`` makes Bokeh destroy sessions without a connection after that long (the
    memory run). Leave it at Bokeh's default (15 s) when browsers connect: the page's
    websocket must arrive before the session its HTTP request created is discarded.
    """
    args = ["serve", "--port", str(port)]
    if data is not None:
        args += ["--data", str(data)]
    if num_procs:
        args += ["--num-procs", str(num_procs)]
    if cleanup_ms is not None:
        args += [f"--check-unused-sessions={cleanup_ms}", f"--unused-session-lifetime={cleanup_ms}"]
    return [*args, "--plugins=reliability_probe"]


@dataclass
class Server(ServerProcess):
    """An ``alliances serve`` process this script started (and stops, by its PID)."""

    command: list[str] = field(default_factory=list)

    def error_lines(self) -> list[str]:
        """Log lines that report an error: tracebacks, views that failed to update."""
        return [line for line in self.output().splitlines() if ERROR_LINES.search(line)]

    def probe(self, **flags: int) -> dict:
        """What the process answering this request holds: ``light``, ``types``, ``trim``,
        ``referrers``, ``clear_caches``, ``hold`` (ms) (see reliability_probe.py)."""
        query = urllib.parse.urlencode({k: int(v) for k, v in flags.items()})
        with urllib.request.urlopen(f"{self.base}{PROBE_PATH}?{query}", timeout=120) as r:
            return json.load(r)

    def probe_all(self, processes: int, tries: int = 40, light: bool = True) -> dict[int, dict]:
        """One probe per server process. The kernel hands each connection to one of them, and
        an idle worker may take them all: with several processes, probes go ``processes`` at a
        time, each holding its worker 300 ms, so that the others must take some."""
        seen: dict[int, dict] = {}
        hold = 300 if processes > 1 else 0
        with ThreadPoolExecutor(processes) as pool:
            for _ in range(tries):
                for answer in pool.map(
                    lambda _: self.probe(light=light, hold=hold), range(processes)
                ):
                    seen[answer["pid"]] = answer
                if len(seen) >= processes:
                    break
        return seen

    def processes(self) -> list:
        """The server process and its forked workers (``--num-procs``)."""
        import psutil

        try:
            main = psutil.Process(self.proc.pid)
            return [main, *main.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def workers(self) -> list:
        """The processes that serve sessions: the leaves of the tree (``--num-procs`` runs
        ``alliances serve`` -> ``panel serve`` -> one worker per process)."""
        import psutil

        leaves = []
        for p in self.processes():
            with contextlib.suppress(psutil.NoSuchProcess):
                if not p.children():
                    leaves.append(p)
        return leaves

    def rss(self) -> int:
        """Resident memory of the server: its process plus any workers, in bytes."""
        import psutil

        total = 0
        for p in self.processes():
            with contextlib.suppress(psutil.NoSuchProcess):
                total += p.memory_info().rss
        return total

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server and its workers have used so far."""
        import psutil

        total = 0.0
        for p in self.processes():
            with contextlib.suppress(psutil.NoSuchProcess):
                t = p.cpu_times()
                total += t.user + t.system
        return total

    def wait_sessions(self, count: int = 0, timeout: float = 60.0) -> dict:
        """Wait until the server holds ``count`` sessions (Bokeh destroyed the others)."""
        deadline = time.monotonic() + timeout
        while True:
            answer = self.probe(light=True)
            held = sum(answer["sessions"].values())
            if held == count or time.monotonic() > deadline:
                return answer
            time.sleep(0.5)


def start_server(
    data: Path | None, log: Path, num_procs: int = 0, cleanup_ms: int | None = None
) -> Server:
    """``alliances serve`` on a free loopback port; returns once every process answers."""
    port = free_port()
    args = serve_args(data, port, num_procs, cleanup_ms)
    command = [sys.executable, "-m", "alliances.cli", *args]
    env = {k: v for k, v in os.environ.items() if k != "ALLIANCES_DATA"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SCRIPTS), env.get("PYTHONPATH")]))
    processes = max(num_procs, 1)

    def ready(server: Server) -> bool:  # every worker answers the probe
        return len(server.probe_all(processes, tries=20)) >= processes

    return start_server_process(
        command, port, log, ready, timeout=START_TIMEOUT, env=env, cwd=ROOT,
        server_class=Server, command=command,
    )  # fmt: skip


@contextlib.contextmanager
def running(
    data: Path | None, log: Path, num_procs: int = 0, cleanup_ms: int | None = None
) -> Iterator[Server]:
    server = start_server(data, log, num_procs, cleanup_ms)
    try:
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------- expectations


@dataclass(frozen=True)
class Shown:
    """What a session shows: the KPI cards, the table's count, the link's query."""

    kpis: dict[str, str]
    count: int | None
    query: dict[str, str]


def kpi_cards(text: str) -> dict[str, str]:
    """KPI label -> value, from the KPI pane's HTML."""
    return {html.unescape(k): html.unescape(v) for v, k in KPI_CARD.findall(text)}


class Oracle:
    """The dataset on the client side: widget labels, and what a set of filters must show."""

    def __init__(self, data: Path | None):
        import alliances
        from alliances.views.controls import actor_options, vocabulary_options

        self.dataset = ds = alliances.load_dataset(data)
        self.actor_label = {v: k for k, v in actor_options(ds).items()}
        self.type_label = {v: k for k, v in vocabulary_options(ds.event_types).items()}
        self.type_text = ds.event_type_labels
        events = ds.events
        busy = sum(
            events[column].astype(object).value_counts().reindex(ds.actor_ids, fill_value=0)
            for column in ("actor_1", "actor_2")
        )
        ranked = busy.sort_values(ascending=False, kind="stable")
        # the busiest first; then the quiet ones, so that sessions get distinct actors
        self.actors = [str(a) for a in ranked.index]
        per_type = events["event_type"].astype(object).value_counts()
        self.types = [str(t) for t in per_type.index if per_type[t] > 0]
        first, last = ds.span
        self.days = [dt.date(y, 1, 1) for y in range(first.year + 1, last.year + 1)]
        self._cache: dict[tuple, Shown] = {}

    def expected(self, values: dict) -> Shown:
        """What ``alliances.select`` gives for these filter values (cached per values)."""
        import alliances
        from alliances import query, state
        from alliances.fragments import kpis_html

        key = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in values.items()))
        if key not in self._cache:
            filters = alliances.Filters(**values)
            sel = alliances.select(self.dataset, filters)
            cards = kpi_cards(kpis_html(query.kpis(sel.events), self.type_text, len(sel.relations)))
            self._cache[key] = Shown(cards, len(sel.events), state.to_query(filters))
        return self._cache[key]


@dataclass(frozen=True)
class Change:
    """One filter change: the widget (by CSS class), its model value, the filter values after."""

    widget: str
    value: object
    values: dict


def plan(oracle: Oracle, index: int, changes: int) -> tuple[dict, list[Change]]:
    """A session's deep link and its ``changes`` one-widget changes, all different."""
    own = oracle.actors[index % len(oracle.actors)]
    values: dict = {"actors": [own]}
    start = dict(values)
    steps = []
    types, days, others = oracle.types, oracle.days, oracle.actors
    for k in range(changes):
        values = dict(values)
        turn, step = k % 4, k // 4
        if turn == 0 and types:
            pick = [types[(index + step) % len(types)]]
            if values.get("event_types") == pick:
                pick = [types[(index + step + 1) % len(types)]]
            values["event_types"] = pick
            value = [oracle.type_label[t] for t in pick]
            steps.append(Change("al-event-types", value, values))
        elif turn == 1:
            values["include_partners"] = not values.get("include_partners", False)
            steps.append(Change("al-partners", values["include_partners"], values))
        elif turn == 2 and days:
            day = days[(index + step) % len(days)]
            if values.get("start") == day:
                day = days[(index + step + 1) % len(days)]
            values["start"] = day
            steps.append(Change("al-start", day.isoformat(), values))
        else:
            other = others[(index + step + 1) % len(others)]
            if values["actors"] == [own] and other != own:
                values["actors"] = [own, other]
            else:
                values["actors"] = [own]
            value = [oracle.actor_label[a] for a in values["actors"]]
            steps.append(Change("al-actors", value, values))
    return start, steps


# --------------------------------------------------------------------------- websocket sessions


class Session:
    """One dashboard session over Bokeh's websocket protocol, as a browser tab holds it.

    It speaks the protocol itself (``tornado`` websocket, Bokeh's ``Receiver`` for framing):
    ACK, ``PULL-DOC-REQ``/``REPLY`` for the document, ``PATCH-DOC`` both ways. It keeps only the
    models it reads or sets (found by their CSS classes) instead of building a Bokeh
    ``Document`` per session, so 20 sessions cost the measuring process little CPU and the
    figures measure the server.
    """

    WIDGETS = ("al-actors", "al-event-types", "al-start", "al-partners", "al-kpis", "al-count")
    """CSS classes of the models a session sets or reads (besides Location and the Tabs)."""

    def __init__(self, name: str = ""):
        self.name = name
        self.ids: dict[str, str] = {}
        self.values: dict[tuple[str, str], object] = {}
        self.errors: list[str] = []
        self.open_seconds = 0.0
        self.events_tab = False
        self.closed = False
        self._ws = None
        self._conn = None
        self._receiver = None
        self._protocol = None
        self._arrived: asyncio.Event | None = None
        self._reader: asyncio.Task | None = None

    @classmethod
    async def open(cls, url: str, arguments: dict[str, str], name: str = "") -> Session:
        """Connect (a deep link's query goes in the websocket URL), pull the document."""
        from bokeh.client.websocket import WebSocketClientConnectionWrapper
        from bokeh.protocol import Protocol
        from bokeh.protocol.receiver import Receiver
        from bokeh.util.token import generate_jwt_token, generate_session_id
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        self = cls(name)
        started = time.monotonic()
        ws_url = url.replace("http://", "ws://", 1) + "/ws"
        if arguments:
            ws_url += "?" + urllib.parse.urlencode(arguments)
        token = generate_jwt_token(generate_session_id())
        # a browser waits for a busy server's handshake; tornado gives up after 20 s by default
        request = HTTPRequest(ws_url, connect_timeout=OPEN_TIMEOUT, request_timeout=OPEN_TIMEOUT)
        self._ws = await websocket_connect(
            request, subprotocols=["bokeh", token], max_message_size=2**28
        )
        try:
            self._conn = WebSocketClientConnectionWrapper(self._ws)
            self._protocol = Protocol()
            self._receiver = Receiver(self._protocol)
            await asyncio.wait_for(self._expect("ACK"), OPEN_TIMEOUT)
            await self._protocol.create("PULL-DOC-REQ").send(self._conn)
            # patches sent before the reply are already in the document it carries
            reply = await asyncio.wait_for(self._expect("PULL-DOC-REPLY"), OPEN_TIMEOUT)
            self._index(reply.content["doc"])
            # the Events tab's table and count arrive when the tab is opened (dynamic tabs)
            needed = [w for w in self.WIDGETS if w != "al-count"]
            missing = [w for w in (*needed, "location", "tabs") if w not in self.ids]
            if missing:
                raise ConnectionError(f"{name}: the document has no {missing}")
        except BaseException:
            self._ws.close(1000, "failed")
            raise
        self._arrived = asyncio.Event()
        self._reader = asyncio.create_task(self._read_forever())
        self.open_seconds = time.monotonic() - started
        return self

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

    def _index(self, doc: dict) -> None:
        """Remember the ids and current values of the models this session reads or sets."""
        stack: list = [doc]
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
        key = None
        name = str(node.get("name", ""))
        if name.endswith("Location"):
            key = "location"
        elif name.rsplit(".", 1)[-1] == "Tabs":  # the first: Overview / Events / About
            key = "tabs"
        else:
            classes = attrs.get("css_classes") or []
            key = next((c for c in classes if c in self.WIDGETS and c not in self.ids), None)
        if key is None or key in self.ids:
            return
        self.ids[key] = node["id"]
        for attr in ("text", "search", "value", "active"):  # what shown() and set() use
            # an attribute at its default is not sent, but may change later (an empty count)
            self.values[(node["id"], attr)] = attrs.get(attr)

    async def _next_message(self):
        while True:
            fragment = await self._ws.read_message()
            if fragment is None:
                return None
            message = await self._receiver.consume(fragment)
            if message is not None:
                return message

    async def _read_forever(self) -> None:
        try:
            while True:
                message = await self._next_message()
                if message is None:
                    break
                if message.msgtype == "ERROR":
                    self.errors.append(f"server ERROR message: {message.content}")
                elif message.msgtype == "PATCH-DOC":
                    if "al-count" not in self.ids:  # models sent when a tab is opened
                        self._index(message.content)
                    for event in message.content.get("events", []):
                        if event.get("kind") == "ModelChanged":
                            model = event.get("model") or {}
                            key = (model.get("id"), event.get("attr"))
                            if key in self.values:
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

    def sees(self, expected: Shown) -> bool:
        """Whether the session shows ``expected`` (its count only if the table is open)."""
        if not self.events_tab:
            expected = dataclasses.replace(expected, count=None)
        return self.shown() == expected

    async def open_events_tab(self) -> None:
        """Click the Events tab: the table and its count follow the filters from now on."""
        self.events_tab = True
        await self.set("tabs", 1)

    async def set(self, widget: str, value: object) -> None:
        """Change one widget's model as the browser does: a ``PATCH-DOC`` message."""
        attr = "active" if widget in ("al-partners", "tabs") else "value"
        content = {
            "events": [
                {
                    "kind": "ModelChanged",
                    "model": {"id": self.ids[widget]},
                    "attr": attr,
                    "new": value,
                }
            ]
        }
        header = {"msgid": f"{self.name}-{time.monotonic_ns()}", "msgtype": "PATCH-DOC"}
        message = self._protocol.assemble(json.dumps(header), "{}", json.dumps(content))
        await message.send(self._conn)

    async def change(self, change: Change, expected: Shown, timeout: float) -> float | None:
        """Set one widget; the seconds until the session shows ``expected`` (None: it did not)."""
        started = time.monotonic()
        await self.set(change.widget, change.value)
        if await self.wait_for(lambda: self.sees(expected), timeout):
            return time.monotonic() - started
        return None

    async def close(self) -> None:
        """Close the websocket as a closing tab does."""
        if self._ws is not None:
            self._ws.close(1000, "closed")
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._reader, 10)
        self.closed = True


async def open_and_change(server: Server, oracle: Oracle, index: int) -> Session:
    """A session on its deep link, after one filter change it checked."""
    start, steps = plan(oracle, index, 1)
    session = await Session.open(server.url, deep_link(start), f"session {index}")
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


def deep_link(values: dict) -> dict[str, str]:
    """The query string of a link to these filters."""
    from alliances import Filters, state

    return state.to_query(Filters(**values))


# --------------------------------------------------------------------------- browser pages


def _browser_kpis(page) -> dict[str, str]:
    return dict(
        page.locator(".al-kpis .kpi").evaluate_all(
            """cards => cards.map(c => [c.querySelector('.kpi-label').textContent,
                                        c.querySelector('.kpi-value').textContent])"""
        )
    )


def _browser_query(page) -> dict[str, str]:
    href = page.evaluate("location.href")
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(href).query))


class BrowserSession:
    """A Chromium page on the dashboard, changing filters by clicking its widgets."""

    def __init__(self, browser, url: str, oracle: Oracle, index: int):
        if hasattr(browser, "new_context"):
            self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        else:  # a context prepared by the caller
            self.context = browser
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.external: set[str] = set()
        """Addresses off 127.0.0.1 the page asked for (they fail offline)."""
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))
        self.page.on("request", self._request)
        self.oracle = oracle
        self.index = index
        self.own = oracle.actors[index % len(oracle.actors)]
        self.values: dict = {"actors": [self.own]}
        self.step = 0
        started = time.monotonic()
        self.page.goto(f"{url}?actors={self.own}", timeout=OPEN_TIMEOUT * 1000)
        self.ok = self.wait(oracle.expected(self.values), OPEN_TIMEOUT)
        self.open_seconds = time.monotonic() - started

    def _console(self, message) -> None:
        # an offline machine cannot resolve a CDN: counted in ``external``, not as an error
        if message.type == "error" and "ERR_NAME_NOT_RESOLVED" not in message.text:
            self.errors.append(f"console.error: {message.text}")

    def _request(self, request) -> None:
        host = urllib.parse.urlsplit(request.url).hostname
        if request.url.startswith(("http:", "https:", "ws:")) and host != HOST:
            self.external.add(request.url.split("?")[0])

    def shown(self) -> tuple[dict[str, str], dict[str, str]]:
        return _browser_kpis(self.page), _browser_query(self.page)

    def wait(self, expected: Shown, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.shown() == (expected.kpis, expected.query):
                    return True
            except Exception:  # the page is still drawing
                pass
            self.page.wait_for_timeout(100)
        return False

    def change(self, timeout: float) -> tuple[float | None, Shown]:
        """The next click (partners on, add a type, partners off, remove it); its latency."""
        page, oracle, turn = self.page, self.oracle, self.step % 4
        values = dict(self.values)
        started = time.monotonic()
        if turn in (0, 2):
            values["include_partners"] = turn == 0
            page.locator(".al-partners input").click()
        elif turn == 1:
            kind = oracle.types[(self.index + self.step // 4) % len(oracle.types)]
            values["event_types"] = [kind]
            label = oracle.type_text[kind]
            box = page.locator(".al-event-types input.choices__input--cloned")
            box.click()
            box.press_sequentially(label.split()[0])
            page.locator(
                ".al-event-types .choices__list--dropdown .choices__item--choice", has_text=label
            ).first.click()
            page.keyboard.press("Escape")
        else:
            values["event_types"] = []
            page.locator(".al-event-types .choices__button").first.click()
        self.step += 1
        self.values = values
        expected = oracle.expected(values)
        if self.wait(expected, timeout):
            return time.monotonic() - started, expected
        return None, expected

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.context.close()


def websocket_built_page(
    server: Server, oracle: Oracle, delay: float = 4.0, browser=None
) -> BrowserSession:
    """A Chromium page whose session the websocket had to build: Bokeh's JavaScript is held
    back ``delay`` seconds, so a server started with ``cleanup_ms`` of 1 s discards the session
    the page's HTTP request made before the page connects (as when the websocket reaches
    another ``--num-procs`` worker). Returns the page (closed): its ``ok``, ``errors`` and
    ``external``. ``browser``: a Playwright browser to use (default: launch one)."""
    with contextlib.ExitStack() as stack:
        if browser is None:
            browser = stack.enter_context(chromium())
        context = browser.new_context()
        context.route(
            re.compile(r".*/static/js/bokeh\.min\.js.*"),
            lambda route: (time.sleep(delay), route.continue_()),
        )
        page = BrowserSession(context, server.url, oracle, 0)
        page.close()
    return page


# --------------------------------------------------------------------------- 1. concurrency


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

    @property
    def changes_expected(self) -> int:
        return (self.sessions + self.browsers) * self.changes

    @property
    def problems(self) -> list[str]:
        return self.errors + self.leaks + self.server_errors


def _whose(session: Session, expected: dict[int, Shown], me: int) -> list[int]:
    """Other sessions whose current filters would show exactly what this one shows."""
    return [i for i, e in expected.items() if i != me and session.sees(e)]


@dataclass
class _Gates:
    """How the sessions' event loop and the main thread (Chromium) keep in step."""

    opened: threading.Event = field(default_factory=threading.Event)
    go: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


async def _drive_sessions(
    server: Server,
    oracle: Oracle,
    result: ConcurrencyResult,
    think: float,
    gates: _Gates,
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
            shown = session.shown()
            others = _whose(session, current, i)
            message = (
                f"session {i}, change {k} ({change.widget} -> {change.values}): after "
                f"{CHANGE_TIMEOUT:.0f} s it shows {shown}, expected {expected}"
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


def run_solo(server: Server, oracle: Oracle, changes: int, index: int) -> list[float]:
    """The latencies of ``changes`` changes by one session alone on the server."""

    async def go() -> list[float]:
        start, steps = plan(oracle, index, changes)
        session = await Session.open(server.url, deep_link(start), "solo")
        try:
            await session.wait_for(lambda: session.sees(oracle.expected(start)), CHANGE_TIMEOUT)
            out = []
            for change in steps:
                expected = oracle.expected(change.values)
                seconds = await session.change(change, expected, CHANGE_TIMEOUT)
                if seconds is None:
                    raise AssertionError(f"solo session: {session.shown()}, expected {expected}")
                out.append(seconds)
            return out
        finally:
            await session.close()

    return run_async(go())


def run_concurrency(
    server: Server,
    oracle: Oracle,
    sessions: int,
    changes: int,
    browsers: int = 0,
    think: float = 1.0,
    label: str = "",
    solo: bool = False,
) -> ConcurrencyResult:
    """``sessions`` websocket sessions and ``browsers`` Chromium pages on one server, all held
    at once, each making ``changes`` filter changes and checking it sees its own filters.
    ``solo``: first measure one session alone, for the latency without queueing."""
    result = ConcurrencyResult(label, sessions, browsers, changes)
    log_before = len(server.error_lines())
    if solo:
        cpu = server.cpu_seconds()
        result.solo_latencies = run_solo(server, oracle, changes, sessions + browsers)
        per = (server.cpu_seconds() - cpu) / max(len(result.solo_latencies), 1)
        result.solo_cpu_per_change = per
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
        if browsers:
            browser = stack.enter_context(chromium())
        for b in range(browsers):
            page = BrowserSession(browser, server.url, oracle, sessions + b)
            pages.append(page)
            result.browser_open_seconds.append(page.open_seconds)
            if not page.ok:
                result.errors.append(f"page {b}: the deep link shows {page.shown()}")
        gates.opened.wait(OPEN_TIMEOUT * 2)
        result.held = sum(server.probe(light=True)["sessions"].values())
        result.rss_held = server.rss()
        gates.go.set()
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
        gates.done.wait(OPEN_TIMEOUT * 4)
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


# --------------------------------------------------------------------------- 2. memory


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


async def _hold(
    server: Server, oracle: Oracle, indices: Sequence[int], while_held: Callable[[int], None]
) -> list[str]:
    """Open these sessions together (each checks one change), call ``while_held``, close."""
    opened = await asyncio.gather(
        *(open_and_change(server, oracle, i) for i in indices), return_exceptions=True
    )
    sessions = [s for s in opened if isinstance(s, Session)]
    errors = [f"{type(e).__name__}: {e}" for e in opened if isinstance(e, BaseException)]
    try:
        if sessions:
            while_held(len(sessions))
    finally:
        await asyncio.gather(*(s.close() for s in sessions))
    return errors


def hold(
    server: Server,
    oracle: Oracle,
    indices: Sequence[int],
    while_held: Callable[[int], None] = lambda n: None,
) -> list[str]:
    """Sessions opened at the same time and held while ``while_held(count)`` runs; errors."""
    return run_async(_hold(server, oracle, indices, while_held))


def settled(server: Server) -> int:
    """RSS right after a ``gc.collect()`` in the server (before any probe walks its objects)."""
    server.probe(light=True, collect=True)
    return server.rss()


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
    result.baseline = settled(server)
    result.probe_before = server.probe(types=True)
    if trim:
        server.probe(trim=True)
        result.baseline_trimmed = server.rss()
    opened = 0
    while opened < sessions:
        size = min(batch, sessions - opened)
        before = server.rss()

        def measure(count: int, before: int = before) -> None:
            result.held.append(sum(server.probe(light=True)["sessions"].values()))
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
    result.after_settle = settled(server)
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


# --------------------------------------------------------------------------- 3. --num-procs


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


def connections_per_process(server: Server) -> dict[int, int]:
    """Established connections to the server's port, per worker process (``psutil``)."""
    counts: dict[int, int] = {}
    for p in server.workers():
        try:
            conns = p.net_connections(kind="tcp")
        except Exception:
            continue
        counts[p.pid] = sum(
            1 for c in conns if c.status == "ESTABLISHED" and c.laddr.port == server.port
        )
    return counts


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
                sessions.append(await open_and_change(server, oracle, i))
            except Exception as exc:
                errors.append(f"session {i}: {type(exc).__name__}: {exc}")
            await busy
            counts = connections_per_process(server)
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


# --------------------------------------------------------------------------- report


def mb(n: float) -> str:
    return f"{n / 1e6:,.1f} MB"


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100), linear between closest ranks."""
    if not values:
        return float("nan")
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo, hi = int(pos), min(int(pos) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def latency_line(values: Sequence[float], what: str = "changes") -> str:
    if not values:
        return "none measured"
    return (
        f"p50 {percentile(values, 50):.2f} s, p95 {percentile(values, 95):.2f} s, "
        f"max {max(values):.2f} s ({len(values)} {what})"
    )


def machine() -> str:
    import psutil

    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} cores ({cpu}), "
        f"{psutil.virtual_memory().total / 2**30:.0f} GB RAM, Python {platform.python_version()}; "
        f"load average at the end {load}"
    )


def versions() -> str:
    from importlib.metadata import version

    return ", ".join(
        f"{name} {version(name)}" for name in ("panel", "bokeh", "tornado", "plotly", "playwright")
    )


def concurrency_section(r: ConcurrencyResult) -> list[str]:
    verdict = "no error" if not r.problems else "**problems**"
    busy = r.cpu_seconds / r.seconds if r.seconds else 0.0
    lines = [
        f"### {r.dataset}",
        "",
        f"- Sessions: {r.sessions} websocket sessions + {r.browsers} Chromium pages; the "
        f"server held **{r.held}** sessions at once (its own count), RSS {mb(r.rss_held)} "
        "while holding them.",
        f"- Filter changes: **{r.changes_ok} of {r.changes_expected}** showed the session's own "
        f"KPIs, count and link ({verdict}); state leaks between sessions: **{len(r.leaks)}**.",
        f"- Latency per change under load (websocket sessions: change sent -> KPIs, URL and, "
        f"with the Events tab open, the count updated): **{latency_line(r.latencies)}**.",
        f"- Latency per click in Chromium (click -> KPI cards and address bar updated): "
        f"{latency_line(r.browser_latencies, 'clicks')}.",
        f"- Opening a session under load: {latency_line(r.open_seconds, 'sessions')} "
        f"(websocket: connect and pull the document); "
        f"{latency_line(r.browser_open_seconds, 'pages')} (Chromium: page load to KPIs).",
        f"- One session alone on the server first (no queueing): "
        f"{latency_line(r.solo_latencies)}; {r.solo_cpu_per_change:.2f} s of server CPU per "
        "change.",
        f"- Wall time {r.seconds:.0f} s; the server process used {r.cpu_seconds:.0f} s of CPU "
        f"({busy:.0%} of one core; one process serves its sessions one event at a time, and "
        f"other jobs shared the 2 cores), this measuring process {r.client_cpu_seconds:.0f} s.",
    ]
    if r.external:
        lines.append(
            f"- Chromium pages requested {len(r.external)} address(es) off 127.0.0.1, e.g. "
            f"`{sorted(r.external)[0]}` (see Findings)."
        )
    for title, items in (
        ("Errors", r.errors),
        ("State leaks", r.leaks),
        ("Server log errors", r.server_errors),
    ):
        if items:
            lines += ["", f"{title} ({len(items)}, first 10):", ""]
            lines += [f"    {item[:400]}" for item in items[:10]]
    return [*lines, ""]


def memory_section(m: MemoryResult) -> list[str]:
    before, after = m.probe_before, m.probe_after
    keys = (
        "dashboards", "filters", "documents", "server_sessions", "plotly_panes", "objects",
        "pandas_block_refs", "pandas_dead_block_refs",
    )  # fmt: skip
    rows = [f"| {k} | {before.get(k)} | {after.get(k)} |" for k in keys]
    rows += [
        f"| pn.state.{k} | {v} | {after['pn_state'].get(k)} |"
        for k, v in before.get("pn_state", {}).items()
    ]
    caches = before.get("per_dataset_entries", {})
    rows += [
        f"| query.{k} cache entries | {caches.get(k, 0)} | {n} |"
        for k, n in after.get("per_dataset_entries", {}).items()
    ]
    batches = ", ".join(f"{x / 1e6:.0f}" for x in m.after_batches)
    objects = ", ".join(f"{x / 1e3:.0f}" for x in m.objects)
    per_batch = ", ".join(f"{x / 1e6:.1f}" for x in m.held_per_session[1:]) or "none"
    grown = ", ".join(f"`{name}` +{n:,}" for name, n in m.grown_types()) or "none"
    first = m.after_batches[0] if m.after_batches else m.baseline
    lines = [
        f"Dataset {m.dataset}; {m.sessions} sessions opened (each applies its deep link and one "
        f"filter change) and closed, {m.batch} opened together and held at a time.",
        "",
        f"- RSS baseline (after one warm-up session, destroyed, {m.settle:.0f} s pause): "
        f"**{mb(m.baseline)}** ({mb(m.baseline_trimmed)} after `malloc_trim`).",
        f"- RSS per session while held: **{mb(m.per_session)}** (first batch: {m.batch} "
        f"sessions held, server RSS over the baseline, divided by {m.batch}); later batches "
        f"reuse memory the earlier ones freed: {per_batch} MB per session.",
        f"- RSS after each batch was closed and destroyed (MB): {batches}; objects gc "
        f"tracks then (thousands): {objects}.",
        f"- After all {m.sessions} were destroyed: {mb(m.after_close)}; after a "
        f"{m.settle:.0f} s pause and `gc.collect()`: **{mb(m.after_settle)}**, "
        f"+{mb(m.growth)} over the baseline, of which +{mb(first - m.baseline)} came with the "
        f"first batch (the allocator keeps the high-water mark of {m.batch} sessions held at "
        f"once, and reuses it) and +{mb(m.after_settle - first)} over the "
        f"{m.sessions - m.batch} sessions after it, while the query caches filled up to their "
        f"bounds. After `malloc_trim`: {mb(m.after_trim)}; after emptying the query caches "
        f"too: {mb(m.after_clear)}.",
        f"- Leak per 100 sessions (RSS growth over the second half of the run, per 100 "
        f"sessions): **{mb(m.leak_per_100)}**; least-squares slope over all batches: "
        f"{mb(m.slope_per_100)} per 100 sessions.",
        f"- Sessions destroyed by the server and no dashboard left alive: **{m.destroyed}**.",
        f"- Object types that grew most (live objects after `gc.collect()`, end minus "
        f"baseline): {grown}.",
        "",
        "What the server process holds (the probe's counts after `gc.collect()`):",
        "",
        "| object | baseline | after |",
        "|---|---|---|",
        *rows,
        "",
    ]
    if after.get("referrers"):
        lines += ["Dashboards still alive, and what refers to them:", ""]
        lines += [f"    {' <- '.join(chain)}" for chain in after["referrers"]]
        lines.append("")
    if m.errors:
        lines += ["Errors:", "", *[f"    {e[:400]}" for e in m.errors[:10]], ""]
    return lines


def procs_section(p: ProcsResult) -> list[str]:
    c = p.concurrency
    cdn = sum(1 for _, n in p.pages if n)
    lines = [
        f"- Worker processes answering: {len(p.pids)} of {p.processes} (PIDs {p.pids}).",
        f"- Websocket sessions per worker, opened one after another: {p.sessions_per_pid}.",
        f"- Dataset loaded by each worker (`query.arrays` cache entries): {p.datasets_loaded}.",
    ]
    if c is not None:
        lines.append(
            f"- {c.sessions} concurrent sessions × {c.changes} changes: {c.changes_ok} of "
            f"{c.changes_expected} showed the session's own state; latency "
            f"{latency_line(c.latencies)}."
        )
    if p.pages:
        lines.append(
            f"- Chromium page loads: {sum(ok for ok, _ in p.pages)} of {len(p.pages)} showed "
            f"their deep link's KPIs; {cdn} of them requested anything off 127.0.0.1 (a page "
            "whose websocket reaches the other worker gets a second session, built from the "
            "websocket; see Findings)."
        )
    lines.append(f"- Result: **{'works, no errors' if p.ok else 'problems, see below'}**.")
    problems = p.errors + (c.errors + c.leaks + c.server_errors if c else [])
    lines += [f"    {e[:400]}" for e in problems[:10]]
    return [*lines, ""]


# --------------------------------------------------------------------------- main


def synthetic(n_events: int, folder: Path) -> Path:
    """A valid synthetic dataset (benchmarks/synthetic.py) of ``n_events`` events."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.synthetic import generate

    return generate(n_events, folder)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sessions", type=int, default=20, help="concurrent websocket sessions")
    parser.add_argument("--changes", type=int, default=10, help="filter changes per session")
    parser.add_argument("--browsers", type=int, default=3, help="Chromium pages besides them")
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between changes (s)")
    parser.add_argument("--leak-sessions", type=int, default=100, help="sessions opened/closed")
    parser.add_argument("--batch", type=int, default=10, help="sessions held at once (memory)")
    parser.add_argument("--settle", type=float, default=10.0, help="gc-settling pause (s)")
    parser.add_argument("--synthetic", type=int, default=100_000, help="events; 0: skip")
    parser.add_argument("--procs", type=int, default=2, help="--num-procs to test; 0: skip")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "reliability.md")
    parser.add_argument("--logs", type=Path, help="folder for the server logs (default: temp)")
    args = parser.parse_args(argv)

    started = time.monotonic()
    when = dt.datetime.now().astimezone()
    workdir = Path(tempfile.mkdtemp(prefix="alliances-reliability-"))
    logs = args.logs or workdir / "logs"
    bundled = Oracle(None)
    runs: list[ConcurrencyResult] = []
    try:
        print(f"concurrency: bundled dataset, {args.sessions} sessions", file=sys.stderr)
        with running(None, logs / "bundled.log") as server:
            command = " ".join(["alliances", *serve_args(None, server.port)])
            run = run_concurrency(
                server, bundled, args.sessions, args.changes, args.browsers, args.think,
                "Bundled dataset", solo=True,
            )  # fmt: skip
            runs.append(run)
        if args.synthetic:
            folder = synthetic(args.synthetic, workdir / "synthetic")
            oracle = Oracle(folder)
            label = f"Synthetic dataset, {args.synthetic:,} events"
            print(f"concurrency: {label}", file=sys.stderr)
            with running(folder, logs / "synthetic.log") as server:
                run = run_concurrency(
                    server, oracle, args.sessions, args.changes, args.browsers, args.think, label,
                    solo=True,
                )  # fmt: skip
                runs.append(run)
        print(f"memory: {args.leak_sessions} sessions", file=sys.stderr)
        with running(None, logs / "memory.log", cleanup_ms=CLEANUP_MS) as server:
            memory_command = " ".join(["alliances", *serve_args(None, server.port, 0, CLEANUP_MS)])
            memory = run_memory(server, bundled, args.leak_sessions, args.batch, args.settle)
            built = websocket_built_page(server, bundled) if args.browsers else None
        procs = None
        if args.procs:
            print(f"--num-procs {args.procs}", file=sys.stderr)
            procs = run_num_procs(None, bundled, logs / "procs.log", processes=args.procs)
    finally:
        if args.logs is None:
            shutil.rmtree(workdir, ignore_errors=True)

    total = time.monotonic() - started
    argv_text = " ".join(sys.argv[1:]) if argv is None else " ".join(argv)
    lines = [
        "# Reliability of `alliances serve`",
        "",
        "Measured by `scripts/reliability.py` (rerun it to refresh this page; "
        "`tests/test_reliability.py` checks the same things with smaller counts).",
        "",
        f"- Date: {when:%Y-%m-%d %H:%M %Z}",
        f"- Machine: {machine()} — a shared machine: other jobs ran at the same time, so "
        "latencies are upper bounds.",
        f"- Versions: {versions()}",
        f"- Command: `{' '.join(['python scripts/reliability.py', argv_text]).strip()}` "
        f"({total:.0f} s)",
        f"- Servers: `{command}` (sessions), `{memory_command}` (memory: destroy closed "
        "sessions after 1 s); `--plugins=reliability_probe` loads the debug probe, for these "
        "measurements only. Ports are free loopback ports.",
        "",
        "## Summary",
        "",
        "| figure | value |",
        "|---|---|",
    ]
    for r in runs:
        lines += [
            f"| {r.dataset}: sessions held at once | {r.held} "
            f"({r.sessions} websocket + {r.browsers} Chromium) |",
            f"| {r.dataset}: changes shown correctly | {r.changes_ok} / {r.changes_expected}; "
            f"errors {len(r.errors) + len(r.server_errors)}, leaks {len(r.leaks)} |",
            f"| {r.dataset}: latency alone (p50) | {percentile(r.solo_latencies, 50):.2f} s |",
            f"| {r.dataset}: latency p50 / p95 under load | "
            f"{percentile(r.latencies, 50):.2f} s / {percentile(r.latencies, 95):.2f} s "
            f"(Chromium clicks: {percentile(r.browser_latencies, 50):.2f} s / "
            f"{percentile(r.browser_latencies, 95):.2f} s) |",
        ]
    lines += [
        f"| RSS baseline | {mb(memory.baseline)} |",
        f"| RSS per held session | {mb(memory.per_session)} |",
        f"| RSS after {memory.sessions} sessions, destroyed, settled | "
        f"{mb(memory.after_settle)} (+{mb(memory.growth)}) |",
        f"| Leak per 100 sessions | {mb(memory.leak_per_100)} |",
        f"| Sessions destroyed, no dashboard left | {memory.destroyed} |",
    ]
    if procs is not None:
        lines.append(f"| `--num-procs {procs.processes}` | {'works' if procs.ok else 'problems'} |")
    lines += [
        "",
        "## 1. Concurrent sessions",
        "",
        "Every session opens with its own deep link (`?actors=X`, X different per session; "
        "every other session also opens the Events tab), then makes "
        f"{args.changes} one-widget changes (event type, partners, start date, actors), "
        f"pausing {args.think:g} s ± 50% between them, all sessions at the same time. After "
        "each change it waits until its KPI cards, its URL and (Events tab open) the table's "
        "count are exactly what `alliances.select(dataset, Filters(...))` gives for its own "
        "filters. The websocket sessions speak Bokeh's protocol as the browser does "
        "(`PATCH-DOC` messages); the Chromium pages click the partners checkbox and the "
        "event-type picker."
        + (
            f" The synthetic dataset is `benchmarks/synthetic.py`'s `generate({args.synthetic})` "
            "(200 actors, 2,000 relations)."
            if args.synthetic
            else ""
        ),
        "",
    ]
    for r in runs:
        lines += concurrency_section(r)
    lines += ["## 2. Memory", "", *memory_section(memory)]
    if built is not None:
        lines += [
            "A page whose session the websocket built (Bokeh's JavaScript held back 4 s, so "
            "the server discarded the session the page's HTTP request made, as happens when "
            "the websocket reaches another `--num-procs` worker): KPIs "
            f"{'right' if built.ok else 'WRONG'}, **{len(built.external)}** requests off "
            "127.0.0.1"
            + (f" ({', '.join(sorted(built.external)[:2])} ...)" if built.external else "")
            + ". See Findings.",
            "",
        ]
    if procs is not None:
        lines += [f"## 3. `--num-procs {procs.processes}`", "", *procs_section(procs)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(lines) + "\n"
    previous = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
    kept = [previous.find(m) for m in HAND_WRITTEN if m in previous]
    if kept:  # keep the hand-written part of the page
        text += previous[min(kept) :]
    args.out.write_text(text, encoding="utf-8")
    print(text)
    failed = any(r.problems for r in runs) or memory.errors or (procs and not procs.ok)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
