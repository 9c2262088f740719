"""The shipped deployment (``deploy/``): nginx in front of ``alliances serve`` processes.

The one owner of what the servers behind the proxy run with: the options of the
``ExecStart`` of ``deploy/alliances@.service`` (and the unit itself with ``alliances`` where it
is installed here, for ``systemd-analyze verify``), and :class:`Proxied`, those servers started
together behind the shipped nginx configuration (which :mod:`reliability.nginx` fills in and
runs). ``tests/test_deploy.py`` checks the unit; ``tests/browser/test_proxy.py`` and
``python -m reliability --proxy N`` run the whole.
"""

from __future__ import annotations

import contextlib
import re
import shlex
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from alliances.testing import HOST, ServerProcess, free_port

from .nginx import render, start_nginx
from .servers import ROOT, Server
from .servers import start_server as start_alliances

SERVICE = ROOT / "deploy" / "alliances@.service"
SERVICE_EXECUTABLE = "/opt/alliances/venv/bin/alliances"
"""Where the shipped unit expects ``alliances`` (an installation's virtual environment)."""


def unit_serve_options(origin: str, text: str | None = None) -> list[str]:
    """The ``alliances serve`` options of the unit's ``ExecStart`` (``deploy/alliances@.service``
    or ``text``) but ``--port %i``, with ``origin`` for ``${ALLIANCES_ORIGIN}``."""
    text = SERVICE.read_text(encoding="utf-8") if text is None else text
    lines = [line for line in text.splitlines() if line.startswith("ExecStart=")]
    if len(lines) != 1:
        raise ValueError(f"{SERVICE}: expected one ExecStart= line, found {len(lines)}")
    words = shlex.split(lines[0].removeprefix("ExecStart="))
    if words[1:2] != ["serve"] or "--port" not in words or words[words.index("--port") + 1] != "%i":
        raise ValueError(f"{SERVICE}: ExecStart is not `alliances serve --port %i ...`")
    at = words.index("--port")
    options = [w.replace("${ALLIANCES_ORIGIN}", origin) for w in words[2:at] + words[at + 2 :]]
    unknown = [w for w in options if "$" in w or "%" in w]
    if unknown:
        raise ValueError(f"{SERVICE}: ExecStart has variables this does not fill in: {unknown}")
    return options


def unit_file(executable: str, text: str | None = None) -> str:
    """The unit (``deploy/alliances@.service`` or ``text``) with ``alliances`` at ``executable``
    instead of the shipped path (``systemd-analyze verify`` checks that it exists)."""
    text = SERVICE.read_text(encoding="utf-8") if text is None else text
    if f"ExecStart={SERVICE_EXECUTABLE} " not in text:
        raise ValueError(f"{SERVICE}: ExecStart does not run {SERVICE_EXECUTABLE}")
    return text.replace(f"ExecStart={SERVICE_EXECUTABLE} ", f"ExecStart={executable} ")


@dataclass
class Proxied:
    """``alliances serve`` processes behind nginx, with the same questions a single
    :class:`~reliability.servers.Server` answers (summed over the processes), so that the
    experiments run through the proxy unchanged."""

    nginx: ServerProcess
    servers: list[Server]
    folder: Path
    command: list[str] = field(default_factory=list)
    """One server's ``alliances serve`` command."""

    @property
    def port(self) -> int:
        return self.nginx.port

    @property
    def base(self) -> str:
        return self.nginx.base

    @property
    def url(self) -> str:
        """The dashboard's address, through the proxy."""
        return self.nginx.url

    def error_lines(self) -> list[str]:
        return [line for s in self.servers for line in s.error_lines()]

    def nginx_errors(self) -> list[str]:
        """Lines of nginx's error log at level error or worse."""
        log = self.folder / "error.log"
        text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        return [
            line for line in text.splitlines() if re.search(r"\[(error|crit|alert|emerg)\]", line)
        ]

    def cpu_seconds(self) -> float:
        return sum(s.cpu_seconds() for s in self.servers)

    def rss(self) -> int:
        return sum(s.rss() for s in self.servers)

    def per_process(self) -> dict[int, dict]:
        """Each live process's light probe (PID, sessions, their ids and websockets)."""
        answers = {}
        for server in self.servers:
            if server.proc.poll() is None:
                answer = server.probe(light=True)
                answers[answer["pid"]] = answer
        return answers

    def sessions(self) -> int:
        return sum(sum(a["sessions"].values()) for a in self.per_process().values())

    def wait_sessions(self, count: int = 0, timeout: float = 60.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            answers = self.per_process()
            held = sum(sum(a["sessions"].values()) for a in answers.values())
            if held == count or time.monotonic() > deadline:
                return answers
            time.sleep(0.5)

    def stop(self) -> None:
        self.nginx.stop()
        for server in self.servers:
            server.stop()


def start_proxied(
    data: Path | None,
    folder: Path,
    processes: int = 2,
    cleanup_ms: int | None = None,
    env: dict[str, str] | None = None,
) -> Proxied:
    """``processes`` ``alliances serve`` (started together, with the shipped unit's options)
    behind the shipped nginx configuration on a free loopback port; logs and configuration in
    ``folder``. ``env``: more environment for the servers (a login's secrets)."""
    port = free_port()
    extra = unit_serve_options(f"{HOST}:{port}")

    def start(i: int) -> Server:
        log = folder / f"server-{i}.log"
        return start_alliances(data, log, 0, cleanup_ms, extra, env)

    with ThreadPoolExecutor(processes) as pool:
        futures = [pool.submit(start, i) for i in range(processes)]
    servers, failures = [], []
    for future in futures:
        try:
            servers.append(future.result())
        except Exception as exc:  # stop those that did start, then report
            failures.append(exc)
    try:
        if failures:
            raise failures[0]
        conf = render(folder / "nginx", [s.port for s in servers], port)
        nginx = start_nginx(conf, port)
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return Proxied(nginx, servers, conf.parent, servers[0].command)


@contextlib.contextmanager
def running_proxied(
    data: Path | None,
    folder: Path,
    processes: int = 2,
    cleanup_ms: int | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[Proxied]:
    """:func:`start_proxied` for the ``with`` block, stopped afterwards."""
    proxied = start_proxied(data, folder, processes, cleanup_ms, env)
    try:
        yield proxied
    finally:
        proxied.stop()
