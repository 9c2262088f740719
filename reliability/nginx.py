"""The shipped ``deploy/nginx.conf`` made to run here, as this user, on free loopback ports.

The one owner of filling in the shipped nginx configuration: the upstream's ``server`` lines
become the given loopback ports, ``listen 80`` a free loopback port, the log folder a temporary
one (and, asked for, the commented TLS lines switched on with a throw-away certificate),
wrapped in a main context whose pid file, error log and temporary folders are in that folder
too (``daemon off``, so nginx is a child process stopped by its PID). Nothing else is edited:
what runs is the shipped configuration. ``tests/test_deploy.py`` checks it (``nginx -t``);
:mod:`reliability.deploy` puts it in front of the servers.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from alliances.testing import HOST, ServerProcess, start_server

from .servers import ROOT

NGINX_CONF = ROOT / "deploy" / "nginx.conf"
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
