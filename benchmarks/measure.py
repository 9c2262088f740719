"""The measurements of one dataset that need no dashboard: load, briefings, profiles.

Each function measures one thing and returns plain numbers; ``__main__`` runs them for every
size and ``report`` formats them. Nothing here changes the package. Filter changes are in
``changes``, the cold start in ``cold``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import ROOT
from .stats import Series, within_budget


def profile(fn: Callable[[], object], lines: int = 45) -> str:
    """A pyinstrument call tree of one call, trimmed to its first ``lines`` lines."""
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.002)
    profiler.start()
    try:
        fn()
    finally:
        profiler.stop()
    text = profiler.output_text(unicode=False, color=False, show_all=False)
    body = [ln for ln in text.splitlines() if ln.strip()]
    start = next((i for i, ln in enumerate(body) if ln.startswith("Profile at")), -1) + 1
    return "\n".join(body[start : start + lines])


def clear_selection_caches() -> None:
    """Forget every cached selection, keeping per-dataset precomputations (arrays, layout), so
    no change is answered from a selection computed earlier."""
    from alliances import cache

    cache.clear(keep_precomputed=True)


# --------------------------------------------------------------------------- load


LOAD_SCRIPT = r"""
import gc, json, resource, sys, time
import psutil
from alliances.dataset import bundled_path, load_dataset
load_dataset(bundled_path(), cache=False)  # import everything the loader imports lazily
gc.collect()
rss0 = psutil.Process().memory_info().rss
peak0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
t0 = time.perf_counter()
ds = load_dataset(sys.argv[1], cache=False)
seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({
    "seconds": seconds,
    "peak_mb": (max(peak, peak0) - rss0) / 1e6,
    "retained_mb": (psutil.Process().memory_info().rss - rss0) / 1e6,
    "events": len(ds.events),
}))
"""


@dataclass
class LoadResult:
    seconds: Series
    peak_mb: Series
    retained_mb: Series
    error: str = ""


def load(path: Path, runs: int, budget: float, env: dict[str, str] | None = None) -> LoadResult:
    """``load_dataset(path, cache=False)`` in a fresh interpreter per run: time and the rise
    of peak RSS over the RSS before the load (so each run starts from the same state).
    ``env`` adds to the interpreter's environment (another revision's package, say)."""
    result = LoadResult(Series(planned=runs), Series(planned=runs), Series(planned=runs))
    for _ in within_budget(runs, budget):
        proc = subprocess.run(
            [sys.executable, "-c", LOAD_SCRIPT, str(path)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=1800,
            env=dict(os.environ, **(env or {})),
        )
        if proc.returncode != 0:
            result.error = (proc.stderr or proc.stdout).strip().splitlines()[-1][:300]
            break
        data = json.loads(proc.stdout.strip().splitlines()[-1])
        result.seconds.values.append(data["seconds"])
        result.peak_mb.values.append(data["peak_mb"])
        result.retained_mb.values.append(data["retained_mb"])
    return result


# --------------------------------------------------------------------------- briefing


PROFILE_ACTOR = "RUS"
"""The actor of the one-actor briefing."""


@dataclass
class BriefingResult:
    seconds: Series
    mb: float


def briefing(dataset, actors: list[str], runs: int, budget: float) -> BriefingResult:
    """``export_briefing`` to a temporary file: time per run and the file's size."""
    from alliances import Filters, export_briefing

    res = BriefingResult(Series(planned=runs), 0.0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "briefing.html"
        for _ in within_budget(runs, budget):
            clear_selection_caches()
            filters = Filters(actors=actors) if actors else None
            t0 = time.perf_counter()
            export_briefing(filters, path, dataset=dataset)
            res.seconds.values.append(time.perf_counter() - t0)
        res.mb = path.stat().st_size / 1e6
    return res
