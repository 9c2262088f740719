"""The shipped deployment (``deploy/``): nginx in front of ``alliances serve`` processes.

The one owner of turning the shipped files into what runs here. For ``deploy/nginx.conf``:
the upstream's ``server`` lines become the given loopback ports, ``listen 80`` a free loopback
port, the log folder a temporary one (and, asked for, the commented TLS lines switched on with
a throw-away certificate), wrapped in a main context whose pid file, error log and temporary
folders are in that folder too (``daemon off``, so nginx is a child process stopped by its
PID). For ``deploy/alliances@.service``: the options of its ``ExecStart``, which the servers
here run with. Nothing else is edited: what runs is the shipped configuration.
``tests/test_deploy.py`` checks both files (``nginx -t``, ``systemd-analyze verify``);
``tests/browser/test_proxy.py`` and ``python -m reliability --proxy N`` run them.
"""

from __future__ import annotations

import contextlib
import re
import shlex
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from alliances.testing import HOST, ServerProcess, free_port, start_server

from .servers import ROOT, Server
from .servers import start_server as start_alliances

NGINX_CONF = ROOT / "deploy" / "nginx.conf"
SERVICE = ROOT / "deploy" / "alliances@.service"
SERVICE_EXECUTABLE = "/opt/alliances/venv/bin/alliances"
"""Where the shipped unit expects ``alliances`` (an installation's virtual environment)."""
ROUTE_COOKIE = "alliances_route"
"""The cookie the shipped configuration routes a browser by."""
START_TIMEOUT = 20.0

_UPSTREAM = re.compile(r"(upstream alliances \{\n)((?:.*\n)*?)(\})")
_SERVER_LINE = re.compile(r"^\s*server 127\.0\.0\.1:\d+;\n", re.MULTILINE)
_LOGS = "/var/log/nginx/"
_TLS_LINE = re.compile(
    r"^(\s*)# ((?:listen (?:\[::\]:)?443 ssl|ssl_\w+|add_header Strict-Transport-Security)\b.*)$",
    re.MULTILINE,
)
_CERT = "/etc/ssl/dashboards.example.org/fullchain.pem"
_KEY = "/etc/ssl/dashboards.example.org/privkey.pem"


@dataclass(frozen=True)
class Tls:
    """A certificate and key to switch the shipped TLS lines on with, and the port."""

    certificate: Path
    key: Path
    port: int


def self_signed(folder: Path, name: str = HOST) -> tuple[Path, Path]:
    """A throw-away self-signed certificate and key for ``name`` (``openssl``, which Debian's
    ca-certificates brings)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("no `openssl` on PATH: install it with `apt-get install openssl`")
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", f"/CN={name}", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


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


def nginx_path() -> str:
    """Debian's nginx (``apt-get install nginx``); a clear error when it is missing."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        raise RuntimeError(
            "Debian's nginx is not installed (no `nginx` on PATH or in /usr/sbin): "
            "install it with `apt-get install nginx`"
        )
    return found


def site_config(
    ports: Sequence[int],
    listen: int,
    logs: Path,
    tls: Tls | None = None,
    text: str | None = None,
) -> str:
    """``deploy/nginx.conf`` (or ``text``) with the upstream on ``ports``, listening on
    ``HOST:listen``, writing its access log into ``logs``; with ``tls``, its commented TLS
    lines switched on with that certificate and port. Raises ``ValueError`` when the file no
    longer has the lines this replaces (so that the shipped file and this stay in step)."""
    text = NGINX_CONF.read_text(encoding="utf-8") if text is None else text
    upstream = _UPSTREAM.search(text)
    if upstream is None or not _SERVER_LINE.search(upstream.group(2)):
        raise ValueError(f"{NGINX_CONF}: no `upstream alliances` with `server 127.0.0.1:PORT;`")
    body = _SERVER_LINE.sub("", upstream.group(2))
    body += "".join(f"    server {HOST}:{port};\n" for port in ports)
    text = text[: upstream.start(2)] + body + text[upstream.end(2) :]
    text = _listen_once(text, "80", f"{HOST}:{listen}")
    if _LOGS not in text:
        raise ValueError(f"{NGINX_CONF}: no log under {_LOGS}")
    text = text.replace(_LOGS, f"{logs}/")
    if tls is None:
        return text
    text, switched = _TLS_LINE.subn(r"\1\2", text)
    if switched < 4 or _CERT not in text or _KEY not in text:
        raise ValueError(f"{NGINX_CONF}: the commented TLS block is not as expected")
    text = text.replace(_CERT, str(tls.certificate)).replace(_KEY, str(tls.key))
    return _listen_once(text, "443 ssl", f"{HOST}:{tls.port} ssl")


def _listen_once(text: str, shipped: str, here: str) -> str:
    """The ``listen`` lines of ``shipped`` (IPv4 and IPv6) as one ``listen here;``."""
    pattern = re.compile(rf"^(\s*)listen (?:\[::\]:)?{shipped};\n", re.MULTILINE)
    found = len(pattern.findall(text))
    if not found:
        raise ValueError(f"{NGINX_CONF}: no `listen {shipped};` line")
    text = pattern.sub("", text, count=found - 1)
    return pattern.sub(lambda m: f"{m.group(1)}listen {here};\n", text)


def main_config(folder: Path, site: Path) -> str:
    """A main context that runs ``site`` as this user: ``daemon off``, everything in
    ``folder`` (Debian's /etc/nginx/nginx.conf plays this part in production)."""
    temp = "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""daemon off;
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} notice;
events {{
    worker_connections 4096;
}}
http {{
{temp}
    include {site};
}}
"""


def render(folder: Path, ports: Sequence[int], listen: int, tls: Tls | None = None) -> Path:
    """Write the shipped configuration for these ports into ``folder``; returns the main
    configuration file to give ``nginx -c``."""
    folder.mkdir(parents=True, exist_ok=True)
    site = folder / "alliances.conf"
    site.write_text(site_config(ports, listen, folder, tls), encoding="utf-8")
    conf = folder / "nginx.conf"
    conf.write_text(main_config(folder, site), encoding="utf-8")
    return conf


def nginx_command(conf: Path, *options: str) -> list[str]:
    """``nginx`` on ``conf``, its prefix and startup error log in the same folder."""
    folder = conf.parent
    return [
        nginx_path(),
        "-p",
        f"{folder}/",
        "-e",
        str(folder / "error.log"),
        "-c",
        str(conf),
        *options,
    ]


def check(conf: Path) -> subprocess.CompletedProcess:
    """``nginx -t`` on ``conf``: exit 0 and "syntax is ok" when nginx accepts it."""
    return subprocess.run(nginx_command(conf, "-t"), capture_output=True, text=True, timeout=60)


def _listening(server: ServerProcess) -> bool:
    with socket.create_connection((HOST, server.port), timeout=2):
        return True


def start_nginx(conf: Path, port: int) -> ServerProcess:
    """nginx on ``conf`` (listening on ``port``) as a child process; stop it by its PID."""
    log = conf.parent / "nginx.out"
    return start_server(nginx_command(conf), port, log, _listening, timeout=START_TIMEOUT)


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
