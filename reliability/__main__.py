"""``python -m reliability``: run the experiments at full counts and rewrite docs/reliability.md.

    python -m reliability [--sessions 20,100] [--proxy 2] [--changes 10] [--browsers 3]
                          [--leak-sessions 100] [--synthetic 100000]
                          [--capacity 100000,1000000] [--out docs/reliability.md]

Concurrency on the bundled dataset (one run per session count) and on a synthetic one, through
nginx on the shipped configuration in front of ``--proxy`` server processes (0: one server,
reached directly); memory over many sessions; ``--num-procs``; and what one process needs
per dataset size (the bundled data and ``--capacity`` synthetic sizes). The page is printed
too. Exits 1 when an experiment found a problem.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from . import report
from .capacity import run_capacity
from .concurrency import run_concurrency
from .deploy import running_proxied
from .memory import run_memory
from .oracle import Oracle
from .pages import websocket_built_page
from .procs import run_num_procs
from .servers import CLEANUP_MS, ROOT, running, serve_args


def synthetic(n_events: int, folder: Path) -> Path:
    """A valid synthetic dataset (benchmarks/synthetic.py) of ``n_events`` events."""
    from benchmarks.synthetic import generate

    return generate(n_events, folder)


def counts(text: str, least: int = 1) -> list[int]:
    """``"20,100"`` -> ``[20, 100]``."""
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not comma-separated counts: {text!r}") from None
    if not values or min(values) < least:
        raise argparse.ArgumentTypeError(f"counts must be {least} or more: {text!r}")
    return values


def sizes(text: str) -> list[int]:
    """``"100000,1000000"`` -> ``[100000, 1000000]``; ``"0"`` -> ``[]``."""
    return [n for n in counts(text, least=0) if n]


def serving(data: Path | None, logs: Path, name: str, proxy: int):
    """The server(s) of one concurrency run: ``proxy`` processes behind nginx, or one."""
    if proxy:
        return running_proxied(data, logs / name, processes=proxy)
    return running(data, logs / f"{name}.log")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m reliability", description=__doc__.split("\n")[0])
    p.add_argument(
        "--sessions",
        type=counts,
        default=[20, 100],
        help="concurrent websocket sessions, comma-separated: a run each on the bundled "
        "dataset; the synthetic one runs with the first",
    )
    p.add_argument(
        "--proxy",
        type=int,
        default=2,
        help="server processes behind nginx (deploy/nginx.conf); 0: one server, directly",
    )
    p.add_argument("--changes", type=int, default=10, help="filter changes per session")
    p.add_argument("--browsers", type=int, default=3, help="Chromium pages besides them")
    p.add_argument("--think", type=float, default=1.0, help="mean pause between changes (s)")
    p.add_argument("--leak-sessions", type=int, default=100, help="sessions opened/closed")
    p.add_argument("--batch", type=int, default=10, help="sessions held at once (memory)")
    p.add_argument("--settle", type=float, default=10.0, help="gc-settling pause (s)")
    p.add_argument("--synthetic", type=int, default=100_000, help="events; 0: skip")
    p.add_argument("--procs", type=int, default=2, help="--num-procs to test; 0: skip")
    p.add_argument(
        "--capacity",
        type=sizes,
        default=[100_000, 1_000_000],
        help="synthetic sizes (events) to measure one process on besides the bundled data, "
        "comma-separated; 0: the bundled data only",
    )
    p.add_argument(
        "--engine-capacity",
        type=int,
        default=1_000_000,
        help="events of a synthetic dataset converted to Parquet (alliances convert) and "
        "measured on the engine's path (ALLIANCES_ENGINE=duckdb); 0: skip",
    )
    p.add_argument("--held", type=int, default=10, help="sessions held (capacity)")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "reliability.md")
    p.add_argument("--logs", type=Path, help="folder for the server logs (default: temp)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    started = time.monotonic()
    when = dt.datetime.now().astimezone()
    workdir = Path(tempfile.mkdtemp(prefix="alliances-reliability-"))
    logs = args.logs or workdir / "logs"
    bundled = Oracle(None)
    runs, sessions_command = [], []
    datasets = [(None, bundled, "Bundled dataset", "bundled")]
    try:
        if args.synthetic:
            folder = synthetic(args.synthetic, workdir / "synthetic")
            label = f"Synthetic dataset, {args.synthetic:,} events"
            datasets.append((folder, Oracle(folder), label, "synthetic"))
        for data, oracle, label, name in datasets:
            for count in args.sessions if name == "bundled" else args.sessions[:1]:
                where = f", nginx + {args.proxy} processes" if args.proxy else ""
                title = f"{label}, {count} sessions{where}"
                print(f"concurrency: {title}", file=sys.stderr)
                with serving(data, logs, f"{name}-{count}", args.proxy) as server:
                    sessions_command = sessions_command or server.command
                    runs.append(run_concurrency(
                        server, oracle, count, args.changes, args.browsers, args.think,
                        title, solo=True,
                    ))  # fmt: skip
        print(f"memory: {args.leak_sessions} sessions", file=sys.stderr)
        with running(None, logs / "memory.log", cleanup_ms=CLEANUP_MS) as server:
            memory_args = serve_args(None, server.port, 0, CLEANUP_MS)
            memory = run_memory(server, bundled, args.leak_sessions, args.batch, args.settle)
            built = websocket_built_page(server, bundled) if args.browsers else None
        procs = None
        if args.procs:
            print(f"--num-procs {args.procs}", file=sys.stderr)
            procs = run_num_procs(None, bundled, logs / "procs.log", processes=args.procs)
        capacity = []
        folders = {args.synthetic: datasets[-1][0]} if args.synthetic else {}
        sizes = [(0, None), *((n, None) for n in args.capacity)]
        if args.engine_capacity:
            sizes.append((args.engine_capacity, "duckdb"))
        for n, engine in sizes:
            data, oracle, label = None, bundled, "bundled"
            if n:
                if n not in folders:
                    folders[n] = synthetic(n, workdir / f"synthetic-{n}")
                data, label = folders[n], f"{n:,} events"
            if engine:
                from alliances.convert import convert  # newer than some revisions measured

                data = convert(data, workdir / f"converted-{n}").output
                label = f"{n:,} events, Parquet, engine ({engine})"
            if n:
                oracle = Oracle(data)
            print(f"capacity: {label}", file=sys.stderr)
            log = logs / f"capacity-{n}-{engine or 'memory'}.log"
            capacity.append(run_capacity(data, oracle, label, log, held=args.held, engine=engine))
            del oracle
    finally:
        if args.logs is None:
            shutil.rmtree(workdir, ignore_errors=True)

    argv_text = " ".join(sys.argv[1:] if argv is None else argv)
    text = report.render(
        when=when,
        seconds=time.monotonic() - started,
        command=f"python -m reliability {argv_text}".strip(),
        servers={
            "sessions": report.command_line(sessions_command),
            "memory": " ".join(["alliances", *memory_args]),
        },
        changes=args.changes,
        think=args.think,
        synthetic=args.synthetic,
        runs=runs,
        memory=memory,
        built=built,
        procs=procs,
        proxy=args.proxy,
        capacity=capacity,
    )
    print(report.write(args.out, text))
    failed = any(r.problems for r in runs) or memory.errors or (procs and not procs.ok)
    failed = failed or any(c.errors for c in capacity)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
