"""Where a filter change's time goes on the engine: every query it runs, timed.

    python -m benchmarks.engine_queries FOLDER [--rounds 2] [--top 10]

Opens FOLDER as ``alliances.dashboard(DATA)`` does (the engine path for a large Parquet
folder), applies one change of each kind (actors, window, event types) from the defaults, and
prints each change's wall time, the time its queries took, and the slowest queries with the
code that asked for them. The first round warms up; the last is printed in detail.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import time
import traceback
from pathlib import Path

CHANGES = {
    "actors": {"actors": ["RUS", "PRK"]},
    "window": {"start": dt.date(2010, 1, 1), "end": dt.date(2012, 12, 31)},
    "types": {"event_types": ["summit", "veto", "sanctions"]},
}


def _timed_store(log: list[tuple[float, str]]) -> None:
    """Make every query of the engine's store append (seconds, who asked) to ``log``."""
    from alliances.engine.store import EventStore

    for name in ("execute", "scalar", "cached"):
        original = getattr(EventStore, name)

        def timed(self, expr, *args, _original=original, _name=name, **kwargs):
            started = time.perf_counter()
            try:
                return _original(self, expr, *args, **kwargs)
            finally:
                frames = [
                    f
                    for f in traceback.extract_stack()[:-1]
                    if "alliances" in f.filename and not f.filename.endswith("store.py")
                ]
                where = " / ".join(f"{Path(f.filename).stem}.{f.name}" for f in frames[-3:])
                log.append((time.perf_counter() - started, f"{_name}: {where}"))

        setattr(EventStore, name, timed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.engine_queries")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--top", type=int, default=10, help="slowest queries shown per change")
    args = parser.parse_args(argv)

    from . import changes
    from .measure import clear_selection_caches

    log: list[tuple[float, str]] = []
    _timed_store(log)
    changes.warm_up()
    log.clear()
    with changes.dashboard(args.folder) as (_board, _view, _doc, filters, build):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
        print(f"open {build:.2f} s, {len(log)} queries; peak RSS {peak:,.0f} MB")
        for last in [False] * (args.rounds - 1) + [True]:
            for kind, change in CHANGES.items():
                filters.reset()
                clear_selection_caches()
                log.clear()
                started = time.perf_counter()
                filters.param.update(**change)
                total = time.perf_counter() - started
                spent = sum(seconds for seconds, _ in log)
                print(f"{kind}: {total * 1000:,.0f} ms, {len(log)} queries {spent * 1000:,.0f} ms")
                if last:
                    for seconds, where in sorted(log, reverse=True)[: args.top]:
                        print(f"  {seconds * 1000:8,.0f} ms  {where}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    print(f"peak RSS {peak:,.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
