"""`alliances serve`: loopback by default, exact websocket origins, authentication passed to
panel serve, and no secret in the logs. Real servers on free loopback ports."""

from __future__ import annotations

import http.cookiejar
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from alliances.cli import build_parser, serve_command

SMALL = Path(__file__).parent / "fixtures" / "small"
PASSWORD = "Corr3ct-Horse-Battery"
COOKIE_SECRET = "cookie-secret-0123456789-abcdefghij"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def request(url: str, data: dict | None = None, jar=None) -> tuple[int, str]:
    """Status and Location of one request, without following redirects."""
    handlers = [NoRedirect()]
    if jar is not None:
        handlers.append(urllib.request.HTTPCookieProcessor(jar))
    opener = urllib.request.build_opener(*handlers)
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with opener.open(url, data=body, timeout=60) as response:
            return response.status, response.headers.get("Location", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Location", "")


def test_default_command_binds_loopback_and_allows_exactly_its_origins():
    args, extra = build_parser().parse_known_args(["serve", "--port", "5100"])
    cmd = serve_command(args, extra)
    assert cmd[cmd.index("--address") + 1] == "127.0.0.1"
    origins = [cmd[i + 1] for i, c in enumerate(cmd) if c == "--allow-websocket-origin"]
    assert origins == ["127.0.0.1:5100", "localhost:5100"]


def test_other_interfaces_need_an_explicit_flag(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "alliances.cli", "serve", "--address", "0.0.0.0", "--port", "5101"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--expose" in result.stderr
    args, extra = build_parser().parse_known_args(
        [
            "serve",
            "--address",
            "0.0.0.0",
            "--expose",
            "--allow-websocket-origin",
            "intel.example:443",
        ]
    )
    cmd = serve_command(args, extra)
    origins = [cmd[i + 1] for i, c in enumerate(cmd) if c == "--allow-websocket-origin"]
    assert origins == ["intel.example:443"]


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "alliances.cli", "serve", "--data", str(SMALL),
                "--port", str(port), "--basic-auth", PASSWORD, "--cookie-secret", COOKIE_SECRET,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            request(f"{base}/login")
            break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail(f"server did not start:\n{log.read_text()}")
            time.sleep(0.3)
    yield base, log
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_every_route_but_login_redirects_to_login(auth_server):
    """Every route that serves the app or its data (static library files are public by
    Bokeh's design: they hold no data)."""
    base, _ = auth_server
    routes = ("/", "/alliances_app", "/alliances_app/ws",
              "/alliances_app/autoload.js?bokeh-autoload-element=x&bokeh-absolute-url=/",
              "/alliances_app/metadata")  # fmt: skip
    for route in routes:
        status, location = request(base + route)
        assert status in (302, 403), route
        if status == 302:
            assert "/login" in location, route
    status, _ = request(base + "/login")
    assert status == 200


def test_a_wrong_password_is_refused_and_the_right_one_gets_in(auth_server):
    base, log = auth_server
    jar = http.cookiejar.CookieJar()
    status, location = request(
        f"{base}/login", {"username": "analyst", "password": "wrong"}, jar=jar
    )
    assert status == 302
    assert "error=" in location
    assert request(f"{base}/alliances_app", jar=jar)[0] == 302

    jar = http.cookiejar.CookieJar()
    status, location = request(
        f"{base}/login", {"username": "analyst", "password": PASSWORD}, jar=jar
    )
    assert status == 302
    assert "error" not in location
    assert request(f"{base}/alliances_app", jar=jar)[0] == 200
    text = log.read_text()
    assert PASSWORD not in text
    assert COOKIE_SECRET not in text
