"""The ``panel serve`` process that ``alliances serve`` starts: its command line (the shipped
dashboard, the warm-up script, the allowed origins), whether its logins need a cookie secret,
and its supervision as one process group. :func:`alliances.cli.cmd_serve` decides whether to
serve and with what environment; this module says how the server is run.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path


def app_path() -> Path:
    """The servable dashboard file: shipped in the package, or the checkout's dashboards/."""
    packaged = Path(__file__).resolve().parent / "dashboards" / "alliances_app.py"
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parents[2] / "dashboards" / "alliances_app.py"


def serve_command(args: argparse.Namespace, extra: Sequence[str]) -> list[str]:
    """The ``panel serve`` command line that ``alliances serve`` runs."""
    origins = args.allow_websocket_origin or [f"{args.address}:{args.port}"]
    if args.address in ("127.0.0.1", "localhost") and not args.allow_websocket_origin:
        origins = [f"127.0.0.1:{args.port}", f"localhost:{args.port}"]
    cmd = [sys.executable, "-m", "panel", "serve", str(app_path())]
    cmd += ["--address", args.address, "--port", str(args.port), "--index", "alliances_app"]
    # imports, the dataset's load and layout are done at start-up, before the first analyst
    # opens the page, instead of adding seconds to it (no session is built, see warm_up.py)
    cmd += ["--setup", str(app_path().with_name("warm_up.py"))]
    for origin in origins:
        cmd += ["--allow-websocket-origin", origin]
    if args.show:
        cmd.append("--show")
    if args.num_procs:
        cmd += ["--num-procs", str(args.num_procs)]
    return cmd + list(extra)


def needs_cookie_secret(extra: Sequence[str], env: dict[str, str]) -> bool:
    """Whether ``panel serve`` will ask for logins (basic auth or OAuth) without a secret."""

    def given(option: str, variable: str) -> bool:
        in_args = any(a == option or a.startswith(option + "=") for a in extra)
        return in_args or bool(env.get(variable))

    login = given("--basic-auth", "PANEL_BASIC_AUTH") or given(
        "--oauth-provider", "PANEL_OAUTH_PROVIDER"
    )
    return login and not given("--cookie-secret", "PANEL_COOKIE_SECRET")


def supervise(cmd: list[str], env: dict[str, str]) -> int:
    """Run ``panel serve`` in its own process group and stop the whole group when stopped.

    With ``--num-procs``, Tornado forks workers that outlive a SIGTERM sent to their parent
    alone; forwarding the signal to the group (then SIGKILL after a grace period) means that
    stopping ``alliances serve`` by its PID stops every worker.
    """
    import signal
    import subprocess

    if os.name != "posix":
        return subprocess.call(cmd, env=env)
    proc = subprocess.Popen(cmd, env=env, start_new_session=True)

    def stop(signum, _frame):
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, stop)
    try:
        return proc.wait()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
