"""The two paths side by side: the dashboard's main queries and its default view, timed on the
in-memory path and on the engine (DuckDB over Parquet), for ``docs/engine.md``.

    python -m benchmarks.engine_paths --events 10000000            # makes the data if needed
    python -m benchmarks.engine_paths --data FOLDER --paths duckdb # an existing folder

Each path runs in a process of its own (its peak memory is its own). For each filter set, each
query is timed ``--repeat`` times with the per-filter caches emptied in between, and the median
is printed; "open" is the load (in memory) or the open with rollups already built (engine).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FILTERS = {
    "default": {},
    "window": {"start": "2010-01-01", "end": "2012-12-31"},
    "actors": {"actors": ["RUS", "PRK"]},
    "types": {"event_types": ["summit", "veto", "sanctions"]},
}


def _filters(spec: dict):
    from alliances.state import Filters

    values = {k: dt.date.fromisoformat(v) if k in ("start", "end") else v for k, v in spec.items()}
    return Filters(**values)


def measure(folder: Path, path: str, repeat: int) -> dict:
    """Open ``folder`` on ``path`` and time the queries; returns the figures."""
    import resource

    from alliances import cache, query
    from alliances.dataset import load_dataset
    from alliances.figures import network_for, ranking_for, temperature_for, timeline_for

    started = time.perf_counter()
    dataset = load_dataset(folder, engine=path)
    out = {"path": path, "open_s": time.perf_counter() - started, "events": len(dataset.events)}
    out["events"] = dataset.counts()["events"]

    def queries(sel):
        return {
            "KPIs": sel.kpis,
            "timeline bins": lambda: sel.bins(
                "type", sel.window.start, sel.window.stop, dataset.event_type_labels
            ),
            "pair counts": lambda: sel.pair_counts,
            "temperature": sel.temperature,
        }

    for label, spec in FILTERS.items():
        filters = _filters(spec)
        times: dict[str, list[float]] = {}
        for _ in range(repeat):
            cache.clear(keep_precomputed=True)
            sel = query.select(dataset, filters)
            for name, run in queries(sel).items():
                t = time.perf_counter()
                run()
                times.setdefault(name, []).append(time.perf_counter() - t)
            cache.clear(keep_precomputed=True)
            t = time.perf_counter()
            for build in (network_for, timeline_for, temperature_for, ranking_for):
                build(dataset, filters)
            query.select(dataset, filters).kpis()
            times.setdefault("default view (4 figures + KPIs)", []).append(time.perf_counter() - t)
        out[label] = {name: statistics.median(values) for name, values in times.items()}
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.engine_paths")
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--data", type=Path, help="an existing dataset folder")
    parser.add_argument("--paths", default="duckdb,memory", help="comma-separated")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:  # one path, in this process
        print(json.dumps(measure(args.data, args.child, args.repeat)))
        return 0
    folder = args.data
    if folder is None:
        from .synthetic import generate

        folder = Path(tempfile.mkdtemp(prefix="engine-paths-"))
        generate(args.events, folder, layout="parquet")
        from alliances.engine import build_rollups

        build_rollups(folder)
    print(f"data: {folder}; load average {os.getloadavg()}", flush=True)
    for path in args.paths.split(","):
        cmd = [sys.executable, "-m", "benchmarks.engine_paths", "--data", str(folder)]
        cmd += ["--child", path, "--repeat", str(args.repeat)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode:
            print(done.stderr[-2000:], file=sys.stderr)
            continue
        result = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"\n{path}: {result['events']:,} events, open {result['open_s']:.2f} s, "
              f"peak RSS {result['peak_rss_mb']:,.0f} MB")  # fmt: skip
        for label in FILTERS:
            row = ", ".join(f"{k} {v * 1000:,.0f} ms" for k, v in result[label].items())
            print(f"  {label}: {row}")
    print(f"\nload average at the end {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
