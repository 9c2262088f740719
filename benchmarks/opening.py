"""A dashboard opened on a folder and worked, in a process of its own: open time, filter
changes and the process's peak memory, as an analyst's notebook or server process has them.

``python -m benchmarks`` runs :func:`measure` per size; it starts ``python -m
benchmarks.opening`` on the folder, which opens the dashboard with ``alliances.dashboard``
(whichever path that takes: loaded into memory or on the engine), renders it into a Bokeh
Document, applies the planned filter changes (:func:`benchmarks.changes.filter_changes`) and
writes what it measured. The parent polls the child's memory and stops it above a cap, so a
path that would need 37 GB is reported, not left to exhaust a shared machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import ROOT
from .changes import DashboardResult

POLL_SECONDS = 0.2


@dataclass
class OpenResult:
    """One folder opened and worked in a fresh process."""

    open_s: float | None = None  # alliances.dashboard(DATA) + the first render
    peak_mb: float | None = None  # the process's peak RSS, open and changes
    base_mb: float | None = None  # its RSS before opening (interpreter, imports, warm-up)
    path: str = ""  # "memory" or "engine": what alliances.dashboard took
    dashboard: DashboardResult | None = None
    profile: str = ""  # the slowest change, with --profile
    profile_open: str = ""  # the open, with --profile
    error: str = ""
    seconds: float = 0.0  # wall time of the whole process
    env: dict[str, str] = field(default_factory=dict)


def measure(
    folder: Path,
    plan: dict[str, list[dict]],
    budget: float,
    *,
    cap_mb: float,
    profile: bool = False,
    env: dict[str, str] | None = None,
    timeout: float = 3600.0,
    minimum: int = 5,
) -> OpenResult:
    """Open ``folder``'s dashboard and apply ``plan`` in a child process stopped above
    ``cap_mb`` of RSS; ``env`` adds to its environment (``ALLIANCES_ENGINE=memory``...)."""
    import psutil

    with tempfile.TemporaryDirectory() as tmp:
        plan_file, out_file = Path(tmp) / "plan.pickle", Path(tmp) / "result.pickle"
        plan_file.write_bytes(pickle.dumps(plan))
        command = [sys.executable, "-m", "benchmarks.opening", str(folder), str(plan_file)]
        command += [str(out_file), "--budget", str(budget), "--minimum", str(minimum)]
        command += ["--profile"] if profile else []
        child_env = dict(os.environ, **(env or {}))
        t0 = time.perf_counter()
        with tempfile.TemporaryFile() as log:
            proc = subprocess.Popen(command, cwd=ROOT, env=child_env, stdout=log, stderr=log)
            watched = psutil.Process(proc.pid)
            seen = 0.0
            stopped = ""
            while proc.poll() is None:
                with contextlib.suppress(psutil.Error):
                    seen = max(seen, watched.memory_info().rss / 1e6)
                elapsed = time.perf_counter() - t0
                if seen > cap_mb or elapsed > timeout:
                    what = f"{seen:,.0f} MB of RSS" if seen > cap_mb else f"{elapsed:.0f} s"
                    stopped = f"stopped at {what} after {elapsed:.0f} s (cap {cap_mb:,.0f} MB)"
                    proc.kill()
                    proc.wait()
                    break
                time.sleep(POLL_SECONDS)
            seconds = time.perf_counter() - t0
            if out_file.is_file() and not stopped:
                result = pickle.loads(out_file.read_bytes())
            else:
                log.seek(0)
                tail = log.read().decode("utf-8", "replace").strip().splitlines()[-3:]
                result = OpenResult(peak_mb=seen, error=stopped or " | ".join(tail)[:400])
    result.seconds = seconds
    result.env = dict(env or {})
    return result


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 1e6


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3  # KiB on Linux


def run(folder: Path, plan: dict, budget: float, profile: bool, minimum: int = 5) -> OpenResult:
    """In the child: warm up, open, change, measure."""
    import gc

    from . import changes
    from .measure import profile as profiled

    changes.warm_up()  # imports and first-use compilation, on the bundled dataset
    gc.collect()
    result = OpenResult(base_mb=_rss_mb())
    dashboard, worst = changes.filter_changes(
        folder, plan, budget, profile_worst=profile, minimum=minimum
    )
    result.open_s = dashboard.build_s
    result.dashboard = dashboard
    result.profile = worst
    result.peak_mb = _peak_mb()
    from alliances.dataset import load_dataset

    dataset = load_dataset(folder)  # the cached load the dashboard made
    result.path = "engine" if getattr(dataset, "store", None) is not None else "memory"
    del dataset
    if profile:
        from alliances.dataset import clear_cache

        clear_cache()
        gc.collect()
        result.profile_open = profiled(lambda: _open(folder))
    return result


def _open(folder: Path) -> None:
    from . import changes

    with changes.dashboard(folder):
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.opening")
    parser.add_argument("folder", type=Path)
    parser.add_argument("plan", type=Path, help="the planned changes (pickle)")
    parser.add_argument("out", type=Path, help="where to write the result (pickle)")
    parser.add_argument("--budget", type=float, default=90.0)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--minimum", type=int, default=5, help="changes of each kind at least")
    args = parser.parse_args(argv)
    plan = pickle.loads(args.plan.read_bytes())
    # run as benchmarks.opening, not __main__: the parent unpickles benchmarks.opening's classes
    from benchmarks import opening

    result = opening.run(args.folder, plan, args.budget, args.profile, args.minimum)
    args.out.write_bytes(pickle.dumps(result))
    print(json.dumps({"open_s": result.open_s, "peak_mb": result.peak_mb}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
