"""The ``alliances serve`` processes the experiments run against, with the debug probe loaded.

Started on free loopback ports and stopped by their PID (``alliances.testing``); psutil
reads the RSS and CPU time of a server and of its ``--num-procs`` workers.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from alliances.testing import ServerProcess, free_port, server_env
from alliances.testing import start_server as start_server_process

ROOT = Path(__file__).resolve().parents[1]
PROBE = "reliability.probe"
"""The probe's module, as ``--plugins`` names it (imported from the checkout)."""
PROBE_PATH = "/reliability/probe"
START_TIMEOUT = 90.0
CLEANUP_MS = 1000
"""In the memory run, Bokeh destroys sessions without a connection after this long (ms)."""
ERROR_LINES = re.compile(r"Traceback|failed to update|Error\b|Exception\b")


def serve_args(
    data: Path | None,
    port: int,
    num_procs: int = 0,
    cleanup_ms: int | None = None,
    extra: Sequence[str] = (),
) -> list[str]:
    """The ``alliances serve`` arguments, with the debug probe loaded.

    ``cleanup_ms`` makes Bokeh destroy sessions without a connection after that long (the
    memory run). Leave it at Bokeh's default (15 s) when browsers connect: the page's
    websocket must arrive before the session its HTTP request created is discarded.
    ``extra``: more options (behind a proxy: its origin and ``--use-xheaders``).
    """
    args = ["serve", "--port", str(port)]
    if data is not None:
        args += ["--data", str(data)]
    if num_procs:
        args += ["--num-procs", str(num_procs)]
    if cleanup_ms is not None:
        args += [f"--check-unused-sessions={cleanup_ms}", f"--unused-session-lifetime={cleanup_ms}"]
    return [*args, *extra, f"--plugins={PROBE}"]


@dataclass
class Server(ServerProcess):
    """An ``alliances serve`` process an experiment started (and stops, by its PID)."""

    command: list[str] = field(default_factory=list)

    def error_lines(self) -> list[str]:
        """Log lines that report an error: tracebacks, views that failed to update."""
        return [line for line in self.output().splitlines() if ERROR_LINES.search(line)]

    def probe(self, **flags: int) -> dict:
        """What the process answering this request holds: ``light``, ``types``, ``trim``,
        ``referrers``, ``clear_caches``, ``hold`` (ms) (see :mod:`reliability.probe`)."""
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

    def sessions(self) -> int:
        """The sessions the process answering holds (its own count)."""
        return sum(self.probe(light=True)["sessions"].values())

    def processes(self) -> list[psutil.Process]:
        """The server process and its forked workers (``--num-procs``)."""
        try:
            main = psutil.Process(self.proc.pid)
            return [main, *main.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def workers(self) -> list[psutil.Process]:
        """The processes that serve sessions: the leaves of the tree (``--num-procs`` runs
        ``alliances serve`` -> ``panel serve`` -> one worker per process)."""
        leaves = []
        for p in self.processes():
            with contextlib.suppress(psutil.NoSuchProcess):
                if not p.children():
                    leaves.append(p)
        return leaves

    def rss(self) -> int:
        """Resident memory of the server: its process plus any workers, in bytes."""
        total = 0
        for p in self.processes():
            with contextlib.suppress(psutil.NoSuchProcess):
                total += p.memory_info().rss
        return total

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server and its workers have used so far."""
        total = 0.0
        for p in self.processes():
            with contextlib.suppress(psutil.NoSuchProcess):
                t = p.cpu_times()
                total += t.user + t.system
        return total

    def connections(self) -> dict[int, int]:
        """Established connections to the server's port, per worker process."""
        counts: dict[int, int] = {}
        for p in self.workers():
            try:
                conns = p.net_connections(kind="tcp")
            except psutil.Error:
                continue
            counts[p.pid] = sum(
                1 for c in conns if c.status == "ESTABLISHED" and c.laddr.port == self.port
            )
        return counts

    def wait_sessions(self, count: int = 0, timeout: float = 60.0) -> dict:
        """Wait until the server holds ``count`` sessions (Bokeh destroyed the others)."""
        deadline = time.monotonic() + timeout
        while True:
            answer = self.probe(light=True)
            held = sum(answer["sessions"].values())
            if held == count or time.monotonic() > deadline:
                return answer
            time.sleep(0.5)

    def settled_rss(self) -> int:
        """RSS right after a ``gc.collect()`` in the server (before a probe walks objects)."""
        self.probe(light=True, collect=True)
        return self.rss()


def start_server(
    data: Path | None,
    log: Path,
    num_procs: int = 0,
    cleanup_ms: int | None = None,
    extra: Sequence[str] = (),
    env: dict[str, str] | None = None,
) -> Server:
    """``alliances serve`` on a free loopback port; returns once every process answers.
    ``extra``: more options; ``env``: more environment variables."""
    port = free_port()
    args = serve_args(data, port, num_procs, cleanup_ms, extra)
    command = [sys.executable, "-m", "alliances.cli", *args]
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = server_env(**(env or {}), PYTHONPATH=path)  # PYTHONPATH: the probe's home
    processes = max(num_procs, 1)

    def ready(server: Server) -> bool:  # every worker answers the probe
        return len(server.probe_all(processes, tries=20)) >= processes

    return start_server_process(
        command, port, log, ready, timeout=START_TIMEOUT, env=env, cwd=ROOT,
        server_class=Server, command=command,
    )  # fmt: skip


@contextlib.contextmanager
def running(
    data: Path | None,
    log: Path,
    num_procs: int = 0,
    cleanup_ms: int | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[Server]:
    """A server for the ``with`` block, stopped afterwards."""
    server = start_server(data, log, num_procs, cleanup_ms, env=env)
    try:
        yield server
    finally:
        server.stop()
