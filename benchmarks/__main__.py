"""``python -m benchmarks``: measure the dashboard at 1e3, 1e5 and 1e6 events.

Writes the results table, the machine and the targets to docs/performance.md (``--quick``:
the two smaller sizes, fewer repeats, written to benchmarks/out/performance-quick.md).
Not part of the test run: it takes about 20 minutes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import hashlib
import json
import shlex
import shutil
import sys
import time
from pathlib import Path

from . import ROOT, changes, cold, measure, report, reporting, targets
from .measure import PROFILE_ACTOR
from .results import SizeResult
from .synthetic import GENERATOR, generate

OUT = ROOT / "benchmarks" / "out"
HAND_WRITTEN = ("\n## Notes on the targets",)
"""The section of docs/performance.md written by hand: kept when the page is rewritten."""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _source_hash() -> str:
    """A digest of the generator's source files: a cached dataset is reused while it holds."""
    digest = hashlib.sha256()
    for path in GENERATOR:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def dataset(n: int, seed: int, parquet: bool = False) -> tuple[Path, float | None]:
    """The generated folder for ``n`` events, reused while the generator is unchanged.

    Returns the folder and the generation time (``None`` if it was reused). With
    ``parquet``, the folder holds events and relations as Parquet instead of CSV.
    """
    name = f"data-{n}-seed{seed}" + ("-parquet" if parquet else "")
    folder = OUT / name
    marker = OUT / f"{name}.json"
    wanted = {"n_events": n, "seed": seed, "generator": _source_hash()}
    if folder.is_dir() and marker.is_file() and json.loads(marker.read_text()) == wanted:
        return folder, None
    shutil.rmtree(folder, ignore_errors=True)
    marker.unlink(missing_ok=True)
    t0 = time.perf_counter()
    if parquet:
        staging = OUT / f"{name}-staging"
        shutil.rmtree(staging, ignore_errors=True)
        generate(n, staging, seed=seed, parquet=True)
        measure.parquet_folder(staging, folder)
        shutil.rmtree(staging)
    else:
        generate(n, folder, seed=seed)
    seconds = time.perf_counter() - t0
    marker.write_text(json.dumps(wanted))
    return folder, seconds


def parse_sizes(text: str) -> list[int]:
    return [int(float(x)) for x in text.split(",") if x.strip()]


def run_size(
    n: int, args: argparse.Namespace, parquet: bool, largest: bool, bundled: bool = False
) -> SizeResult:
    """Every measurement on ``n`` events (or the bundled dataset); with ``largest``, profiles
    for missed targets."""
    from alliances.dataset import bundled_path, load_dataset

    if bundled:
        path, generated = bundled_path(), None
        n = len(load_dataset(path).events)
    else:
        path, generated = dataset(n, args.seed)
    csv_mb = sum(p.stat().st_size for p in path.glob("*.csv")) / 1e6
    log(f"{n:,} events: {path} ({csv_mb:.0f} MB)" + (" generated" if generated else ""))
    r = SizeResult(n=n, csv_mb=csv_mb, generate_s=generated, bundled=bundled)

    log("  load + validate (CSV)")
    r.load_csv = measure.load(path, args.load_runs, args.budget)
    if parquet and not bundled:
        pq_path, _ = dataset(n, args.seed, parquet=True)
        log("  load + validate (Parquet)")
        r.load_parquet = measure.load(pq_path, args.load_runs, args.budget)

    ds = load_dataset(path, cache=False)
    plan = changes.plan_changes(ds, args.repeat, args.seed)
    log(f"  filter changes ({args.repeat} per kind)")
    r.dashboard, latency_profile = changes.filter_changes(
        ds, plan, args.budget, profile_worst=largest
    )
    log("  baseline")
    r.baseline = changes.baseline(path, plan, args.budget)
    log("  briefings")
    r.briefing_all = measure.briefing(ds, [], args.briefing_runs, args.budget)
    r.briefing_actor = measure.briefing(ds, [PROFILE_ACTOR], args.briefing_runs, args.budget)
    log("  cold start")
    r.cold = cold.cold_start(path, args.cold_runs, args.cold_budget)

    if largest:
        r.profiles = _profiles(r, ds, path, latency_profile)
    del ds
    gc.collect()
    return r


def _profiles(r: SizeResult, ds, path: Path, latency_profile: str) -> dict[str, str]:
    """Profiles for the targets ``r`` misses, by re-running the slow thing once."""
    from alliances.dataset import load_dataset

    _, missed = targets.targets([r])
    keys = {t.key for t in missed}
    out = {}
    if keys & {"latency", "faster"} and latency_profile:
        out["Slowest filter change (pyinstrument)"] = latency_profile
    if "load" in keys:
        log("  profiling the load")
        out["load_dataset (pyinstrument)"] = measure.profile(
            lambda: load_dataset(path, cache=False)
        )
    if "briefing" in keys:
        log("  profiling the briefing")
        out["export_briefing, all events (pyinstrument)"] = _profile_briefing(ds)
    if "cold" in keys:
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--sizes", help="comma-separated event counts (default 1e3,1e5,1e6)")
    parser.add_argument("--repeat", type=int, help="filter changes per kind (default 30)")
    parser.add_argument("--out", type=Path, help="the Markdown report to write")
    parser.add_argument("--quick", action="store_true", help="1e3 and 1e5 only, fewer repeats")
    parser.add_argument("--seed", type=int, default=0, help="generator and plan seed")
    parser.add_argument(
        "--budget", type=float, help="seconds per measured series before it is cut short"
    )
    args = parser.parse_args(argv)
    command = "python -m benchmarks" + "".join(
        " " + shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv)
    )
    quick = args.quick
    sizes = parse_sizes(args.sizes or ("1e3,1e5" if quick else "1e3,1e5,1e6"))
    args.repeat = args.repeat or (10 if quick else 30)
    args.budget = args.budget or (20.0 if quick else 90.0)
    args.load_runs = 2 if quick else 3
    args.briefing_runs = 1 if quick else 3
    args.cold_runs = 1 if quick else 3
    args.cold_budget = 60.0 if quick else 180.0
    out = args.out or (OUT / "performance-quick.md" if quick else ROOT / "docs/performance.md")

    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    info = report.machine()
    OUT.mkdir(parents=True, exist_ok=True)
    parquet = measure.parquet_supported()
    log("Parquet " + ("supported" if parquet else "not supported") + " by load_dataset")
    changes.warm_up()
    results = [run_size(0, args, parquet, largest=False, bundled=True)]
    print(report.table(results, parquet), flush=True)
    for n in sizes:
        results.append(run_size(n, args, parquet, largest=n == max(sizes)))
        print(f"\nafter {(time.perf_counter() - t0) / 60:.1f} min:", flush=True)
        print(report.table(results, parquet), flush=True)
    seconds = time.perf_counter() - t0
    notes = []
    if not parquet:
        notes.append(
            "Parquet: `load_dataset` did not read a folder with `events.parquet` and "
            "`relations.parquet` in place of their CSV files, so it is reported as not supported."
        )
    text = report.document(
        results,
        command=command,
        started=started,
        seconds=seconds,
        info=info,
        parquet=parquet,
        notes=notes,
    )
    reporting.write_report(out, text, HAND_WRITTEN)
    verdicts, _ = targets.targets(results)
    print("\n" + verdicts)
    log(f"wrote {out} after {seconds / 60:.1f} min")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
