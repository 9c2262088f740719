"""`alliances serve`: loopback by default, exact websocket origins, authentication passed to
panel serve, and no secret in the logs. Real servers on free loopback ports."""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from alliances.cli import build_parser
from alliances.serve_cli import serve_command
from alliances.testing import free_port

SMALL = Path(__file__).parent / "fixtures" / "small"
PASSWORD = "Corr3ct-Horse-Battery"
COOKIE_SECRET = "cookie-secret-0123456789-abcdefghij"


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
    # imports and the dataset's load happen before the first analyst comes, with no session
    setup = Path(cmd[cmd.index("--setup") + 1])
    assert setup.name == "warm_up.py"
    assert setup.is_file()
    assert "--warm" not in cmd


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


@contextlib.contextmanager
def start_server(args: list[str], log: Path, env: dict[str, str] | None = None):
    """``alliances serve --data SMALL --port FREE ARGS``; yields its base URL once /login
    answers, and stops it (by its PID) afterwards."""
    port = free_port()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "alliances.cli", "serve", "--data", str(SMALL),
             "--port", str(port), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
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
    try:
        yield base
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory):
    log = tmp_path_factory.mktemp("serve") / "server.log"
    args = ["--basic-auth", PASSWORD, "--cookie-secret", COOKIE_SECRET]
    with start_server(args, log) as base:
        yield base, log


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


def log_in(base: str, password: str) -> int:
    """Log in as ``analyst``; the status of the dashboard's page with the cookies received."""
    jar = http.cookiejar.CookieJar()
    request(f"{base}/login", {"username": "analyst", "password": password}, jar=jar)
    return request(f"{base}/alliances_app", jar=jar)[0]


def test_credentials_from_the_environment_keep_their_capitals(tmp_path):
    """Secrets belong in the environment, not on the command line (``ps`` shows it). Panel
    lower-cases PANEL_BASIC_AUTH, so a password given there directly is refused with advice,
    and a credentials file at a lower-case path keeps the password's capitals."""
    env = dict(os.environ, PANEL_BASIC_AUTH=PASSWORD, PANEL_COOKIE_SECRET=COOKIE_SECRET)
    refused = subprocess.run(
        [sys.executable, "-m", "alliances.cli", "serve", "--data", str(SMALL)],
        capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert refused.returncode == 2
    assert "lower-case path" in refused.stderr
    assert PASSWORD not in refused.stderr + refused.stdout

    users = tmp_path / "users.json"
    assert str(users) == str(users).lower(), "the test needs a lower-case temporary folder"
    users.write_text(json.dumps({"analyst": PASSWORD}), encoding="utf-8")
    users.chmod(0o600)
    env["PANEL_BASIC_AUTH"] = str(users)
    log = tmp_path / "server.log"
    with start_server([], log, env) as base:
        assert log_in(base, PASSWORD.lower()) == 302
        assert log_in(base, PASSWORD) == 200
    assert PASSWORD not in log.read_text()
    assert COOKIE_SECRET not in log.read_text()


def test_a_login_without_a_cookie_secret_gets_one_instead_of_http_500(tmp_path):
    """Panel needs a secret to sign login cookies and answered every request with HTTP 500
    without one; ``alliances serve`` makes one for the run and says what that means."""
    log = tmp_path / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANEL_")}
    with start_server(["--basic-auth", PASSWORD], log, env) as base:
        assert request(f"{base}/login")[0] == 200
        assert request(f"{base}/alliances_app")[0] == 302  # to the login page, not a 500
        assert log_in(base, "wrong") == 302
        assert log_in(base, PASSWORD) == 200
    text = log.read_text()
    assert "logins will not survive a restart" in text
    assert "PANEL_COOKIE_SECRET" in text
    # no request answered 500 (tornado logs "500 GET /path (ip) ms"; a timestamp may hold
    # ",500" and a port "5006", so neither is looked for as such), and nothing raised
    assert not re.search(r"\b500 (GET|POST|HEAD)\b", text), text
    assert "Traceback" not in text
    assert "Uncaught exception" not in text


@pytest.mark.parametrize(
    ("args", "env", "needed"),
    [
        (["--basic-auth", "pw"], {}, True),
        (["--basic-auth=pw"], {}, True),
        ([], {"PANEL_BASIC_AUTH": "/etc/users.json"}, True),
        (["--oauth-provider", "github"], {}, True),
        (["--basic-auth", "pw", "--cookie-secret", "s"], {}, False),
        (["--basic-auth", "pw"], {"PANEL_COOKIE_SECRET": "s"}, False),
        ([], {}, False),
    ],
)
def test_when_a_cookie_secret_is_made(args, env, needed):
    from alliances.serve_cli import needs_cookie_secret

    assert needs_cookie_secret(args, env) is needed
