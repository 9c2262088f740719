"""``python -m benchmarks``: measure the dashboard on the bundled dataset and at 1e3 to 1e8
events.

Writes the results table, the machine and the targets to docs/performance.md (``--quick``:
the bundled dataset and two smaller sizes, fewer repeats, written to
benchmarks/out/performance-quick.md). ``--sizes 1e7,1e8`` measures only those sizes; the page
keeps the last results of the others (kept in benchmarks/out/). Not part of the test run: the
whole run takes hours (generating 1e8 events alone about an hour, once).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

from . import ROOT, changes, cold, measure, opening, report, reporting, revisions, targets
from .measure import PROFILE_ACTOR
from .results import LARGE, SizeResult, label
from .workdir import OUT, dataset, kept, log, on_disk_mb, save

HAND_WRITTEN = ("\n## Notes on the targets",)
"""The section of docs/performance.md written by hand: kept when the page is rewritten."""


SIZES = ("bundled", "1e3", "1e5", "1e6", "1e7", "1e8")
"""What ``python -m benchmarks`` measures by default: the bundled dataset and synthetic sizes."""


def parse_sizes(text: str) -> list[int | str]:
    """``bundled,1e6,1e7`` -> ``["bundled", 1000000, 10000000]``."""
    out: list[int | str] = []
    for item in (x.strip() for x in text.split(",")):
        if item:
            out.append("bundled" if item == "bundled" else int(float(item)))
    return out


def run_size(n: int | str, args: argparse.Namespace) -> SizeResult:
    """Every measurement of one size (``"bundled"``: the dataset shipped with the package)."""
    from alliances.dataset import bundled_path

    bundled = n == "bundled"
    if bundled:
        path, generated = bundled_path(), {}
        n = _rows(path)
    elif n >= LARGE:
        return run_large(n, args)
    else:
        path, made = dataset(n, args.seed)
        generated = {"CSV": made} if made else {}
    r = SizeResult(n=n, csv_mb=on_disk_mb(path), generated=generated, bundled=bundled)
    r.measured = _measured()
    log(f"{label(r)} events: {path} ({r.csv_mb:.0f} MB)")

    log("  load + validate (CSV)")
    r.load_csv = measure.load(path, args.load_runs, args.budget)
    if not bundled:
        pq_path, made = dataset(n, args.seed, "parquet")
        if made:
            r.generated["Parquet"] = made
        r.parquet_mb = on_disk_mb(pq_path)
        log("  load + validate (Parquet by year)")
        r.load_parquet = measure.load(pq_path, args.load_runs, args.budget)

    from alliances.dataset import load_dataset

    ds = load_dataset(path, cache=False)
    plan = changes.plan_changes(ds, args.repeat, args.seed)
    log(f"  open + filter changes ({args.repeat} per kind), in a process of its own")
    r.opened = opening.measure(path, plan, args.budget, cap_mb=args.memory_cap, profile=True)
    r.dashboard = r.opened.dashboard
    if args.against:  # the same, right after, on another revision's package
        rev, env = args.against
        log(f"  the same on {rev}, and its load (CSV)")
        r.against = {
            "rev": rev,
            "opened": opening.measure(path, plan, args.budget, cap_mb=args.memory_cap, env=env),
            "load_csv": measure.load(path, args.load_runs, args.budget, env=env),
        }
    log("  baseline")
    r.baseline = changes.baseline(path, plan, args.budget)
    log("  briefings")
    r.briefing_all = measure.briefing(ds, [], args.briefing_runs, args.budget)
    r.briefing_actor = measure.briefing(ds, [PROFILE_ACTOR], args.briefing_runs, args.budget)
    log("  cold start")
    r.cold = cold.cold_start(path, args.cold_runs, args.cold_budget)
    r.profiles = _profiles(r, ds, path)
    del ds
    gc.collect()
    return r


def run_large(n: int, args: argparse.Namespace) -> SizeResult:
    """A size too large for CSV: the Parquet folder opened as analysts open it, then the
    in-memory path for comparison (stopped at the memory cap)."""
    path, made = dataset(n, args.seed, "parquet")
    r = SizeResult(n=n, csv_mb=None, parquet_mb=on_disk_mb(path), opened_layout="parquet")
    r.generated = {"Parquet": made} if made else {}
    r.measured = _measured()
    log(f"{n:,} events: {path} ({r.parquet_mb:,.0f} MB of Parquet)")
    log("  the engine's rollups, as `alliances convert` builds them (once per dataset)")
    r.rollups = _rollups(path)
    log("  planning the changes from the Parquet files")
    plan = changes.plan_for_folder(path, args.repeat, args.seed)
    log(f"  open + filter changes ({args.repeat} per kind), in a process of its own")
    # at least 3 changes of a kind, however slow, and a few hours at the most
    slow = {"cap_mb": args.memory_cap, "timeout": 4 * 3600.0, "minimum": 3}
    r.opened = opening.measure(
        path, plan, args.budget, profile=True, env=_engine(args.engine), **slow
    )
    r.dashboard = r.opened.dashboard
    if args.in_memory and r.opened.path != "memory":
        log("  the in-memory path, for comparison")
        r.in_memory = opening.measure(path, plan, args.budget, env=_engine("memory"), **slow)
    r.profiles = _profiles(r, None, path)
    return r


def _rollups(path: Path) -> dict:
    """Build the engine's rollups of a generated folder (kept beside it, so reused by later
    runs) in a child process: its seconds and peak RSS, and what convert's hook said."""
    script = (
        "import json, resource, sys, time; from pathlib import Path; "
        "from alliances.convert import build_rollups; "
        "from alliances.engine.rollups import find_rollups; "
        "from alliances.reading import fingerprint_files; folder = Path(sys.argv[1]); "
        "found = find_rollups(folder, fingerprint_files(folder)); t0 = time.perf_counter(); "
        "said = build_rollups(folder); "
        "before = json.loads((found / 'meta.json').read_text()) if found else {}; "
        "print(json.dumps({'said': said, 'seconds': time.perf_counter() - t0, "
        "'reused_from_seconds': before.get('seconds'), "
        "'peak_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3}))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(path)], cwd=ROOT, capture_output=True, text=True
    )
    if proc.returncode != 0:
        return {"said": "failed: " + (proc.stderr.strip().splitlines() or ["?"])[-1][:300]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def package_of(rev: str) -> tuple[str, dict[str, str]]:
    """Another revision's package (:func:`revisions.source_tree`), and the environment that
    makes a child process import it instead of this checkout's."""
    return revisions.commit_of(rev), {"PYTHONPATH": str(revisions.source_tree(rev) / "src")}


def _engine(engine: str | None) -> dict[str, str]:
    """The environment that makes the product take ``engine``'s path (none: its own choice)."""
    if not engine:
        return {}
    from alliances.engine import ENV_ENGINE

    return {ENV_ENGINE: engine}


def _rows(path: Path) -> int:
    from alliances.dataset import load_dataset

    return len(load_dataset(path).events)


def _measured() -> str:
    """Code, time and the machine's speed then (:func:`reporting.cpu_probe_ms`)."""
    code, probe = report.code(), reporting.cpu_probe_ms()
    return f"{code}, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M}, probe {probe:.0f} ms"


def _profiles(r: SizeResult, ds, path: Path) -> dict[str, str]:
    """Profiles for the targets ``r`` misses (from its own measurements, or by re-running
    the slow thing once)."""
    from alliances.dataset import load_dataset

    _, missed = targets.targets([r])
    keys = {t.key for t, _ in missed}
    out = {}
    opened = r.opened
    if keys & {"latency", "faster", "before"} and opened and opened.profile:
        out["Slowest filter change (pyinstrument)"] = opened.profile
    if keys & {"open", "memory"} and opened and opened.profile_open:
        out["Opening the dashboard: `alliances.dashboard(DATA)` + first render (pyinstrument)"] = (
            opened.profile_open
        )
    if keys & {"load", "before_load"}:
        log("  profiling the load")
        out["load_dataset (pyinstrument)"] = measure.profile(
            lambda: load_dataset(path, cache=False)
        )
    if "briefing" in keys and ds is not None:
        log("  profiling the briefing")
        out["export_briefing, all events (pyinstrument)"] = _profile_briefing(ds)
    if "cold" in keys and ds is not None:
        log("  profiling a session's dashboard build")
        title = "Building one session's dashboard, as `panel serve` does after the load"
        out[f"{title} (pyinstrument)"] = measure.profile(lambda: _build(ds))
    if keys & {"bytes", "smaller"}:
        out["Largest update: Bokeh patch and figures JSON per pane (bytes)"] = json.dumps(
            _largest_panes(r), indent=1
        )
    return out


def _profile_briefing(ds) -> str:
    import tempfile

    from alliances import export_briefing

    with tempfile.TemporaryDirectory() as tmp:
        measure.clear_selection_caches()
        return measure.profile(lambda: export_briefing(None, Path(tmp) / "b.html", dataset=ds))


def _build(ds) -> None:
    with changes.dashboard(ds):
        pass


def _largest_panes(r: SizeResult) -> dict:
    kinds = r.dashboard.kinds if r.dashboard else {}
    best = max(kinds.values(), key=lambda k: k.patch_bytes.max, default=None)
    return best.largest_panes if best is not None else {}


def _order(r: SizeResult) -> tuple[int, int]:
    return (0 if r.bundled else 1, r.n)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--sizes",
        help=f"sizes to measure now, comma-separated (default {','.join(SIZES)}); the page "
        "keeps the last results of the others",
    )
    parser.add_argument("--repeat", type=int, help="filter changes per kind (default 30)")
    parser.add_argument("--out", type=Path, help="the Markdown report to write")
    parser.add_argument("--quick", action="store_true", help="1e3 and 1e5 only, fewer repeats")
    parser.add_argument("--seed", type=int, default=0, help="generator and plan seed")
    parser.add_argument(
        "--budget", type=float, help="seconds per measured series before it is cut short"
    )
    parser.add_argument(
        "--memory-cap",
        type=float,
        default=8_000,
        help="MB of RSS at which a measuring process is stopped (default 8000: the machine "
        "is shared)",
    )
    parser.add_argument(
        "--engine",
        choices=["auto", "memory", "duckdb"],
        help="force the path at 1e7 and more (ALLIANCES_ENGINE; default: the product's choice)",
    )
    parser.add_argument(
        "--no-in-memory",
        dest="in_memory",
        action="store_false",
        help="at 1e7 and more, do not also measure the in-memory path",
    )
    parser.add_argument(
        "--generate", action="store_true", help="only generate (and cache) the sizes' datasets"
    )
    parser.add_argument(
        "--against",
        metavar="REV",
        help="below 1e7, also open, change and load with git revision REV's package, right "
        "after ours: 'no slower than before' compared under the same load",
    )
    args = parser.parse_args(argv)
    command = "python -m benchmarks" + "".join(
        " " + shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv)
    )
    quick = args.quick
    sizes = parse_sizes(args.sizes or ("bundled,1e3,1e5" if quick else ",".join(SIZES)))
    args.repeat = args.repeat or (10 if quick else 30)
    args.budget = args.budget or (20.0 if quick else 90.0)
    args.load_runs = 2 if quick else 3
    args.briefing_runs = 1 if quick else 3
    args.cold_runs = 1 if quick else 3
    args.cold_budget = 60.0 if quick else 180.0
    out = args.out or (OUT / "performance-quick.md" if quick else ROOT / "docs/performance.md")
    OUT.mkdir(parents=True, exist_ok=True)
    if args.generate:
        for n in sizes:
            if n != "bundled":
                layouts = ("parquet",) if n >= LARGE else ("csv", "parquet")
                for layout in layouts:
                    folder, made = dataset(n, args.seed, layout)
                    log(f"{folder}: " + (json.dumps(made) if made else "reused"))
        return 0

    if args.against:
        args.against = package_of(args.against)
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    info = report.machine()
    changes.warm_up()
    results = []
    for n in sizes:
        r = run_size(n, args)
        if not quick:  # a quick run's few repeats are not the page's figures
            save(r, args.seed)
        results.append(r)
        print(f"\nafter {(time.perf_counter() - t0) / 60:.1f} min:", flush=True)
        print(report.table(results), flush=True)
    measured = {(r.bundled, r.n) for r in results}
    others = [r for r in kept(parse_sizes(",".join(SIZES)), args.seed) if not quick]
    results += [r for r in others if (r.bundled, r.n) not in measured]
    results.sort(key=_order)
    seconds = time.perf_counter() - t0
    end = reporting.machine((), "at the end")  # other jobs share the machine: say how busy
    for key in ("load average at the end", "CPU probe at the end"):
        info[key] = end[key]
    text = report.document(
        results, command=command, started=started, seconds=seconds, info=info, notes=[]
    )
    reporting.write_report(out, text, HAND_WRITTEN)
    verdicts, _ = targets.targets(results)
    print("\n" + verdicts)
    log(f"wrote {out} after {seconds / 60:.1f} min")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
