"""The machine description, the results table, the targets and docs/performance.md."""

from __future__ import annotations

import datetime as dt
import math
import os
import platform
import subprocess
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from .measure import (
    KINDS,
    ROOT,
    BaselineResult,
    BriefingResult,
    ColdStart,
    DashboardResult,
    LoadResult,
    Series,
    median,
)

KIND_LABELS = {"actors": "actors", "dates": "date window", "types": "event types"}
PROFILE_ACTOR = "RUS"


@dataclass
class SizeResult:
    """Everything measured on one dataset size."""

    n: int
    csv_mb: float
    bundled: bool = False  # the dataset shipped with the package, not a synthetic one
    generate_s: float | None = None  # None: reused from the cache
    load_csv: LoadResult | None = None
    load_parquet: LoadResult | None = None  # None: Parquet not supported
    dashboard: DashboardResult | None = None
    baseline: BaselineResult | None = None
    briefing_all: BriefingResult | None = None
    briefing_actor: BriefingResult | None = None
    cold: ColdStart | None = None
    profiles: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class Target:
    """A promise the suite checks: ``key`` names the measurement, ``limit`` its bound."""

    key: str
    text: str
    limit: float
    sizes: str  # "all" or "largest"


TARGETS = (
    # the targets of the performance issue, on this 2-core machine
    Target("latency", "bundled dataset: filter change median ≤ {limit:g} ms, every kind",
           50, "bundled"),
    Target("latency", "1,000,000 events: filter change median ≤ {limit:g} ms, every kind",
           250, "largest"),
    Target("bytes", "1,000,000 events: ≤ {limit:,.0f} KB sent per update (largest patch)",
           2000, "largest"),
    Target("faster", "1,000,000 events: ≥ {limit:g}× faster than the notebook baseline, "
           "every kind (median)", 5, "largest"),
    Target("load", "1,000,000 events: load + validate from CSV ≤ {limit:g} s (median)", 5,
           "largest"),
    Target("load_parquet", "1,000,000 events: load + validate from Parquet ≤ {limit:g} s "
           "(median)", 1, "largest"),
    Target("cold", "cold start, `panel serve` to the first complete page ≤ {limit:g} s "
           "(median)", 3, "bundled"),
    Target("briefing", "bundled dataset: default briefing export ≤ {limit:g} s, ≤ 6 MB", 3,
           "bundled"),
)  # fmt: skip
"""The targets of the issue (docs/performance.md reports each as met or missed)."""


def check(target: Target, r: SizeResult) -> tuple[bool | None, str]:
    """Whether ``r`` meets ``target`` (``None``: not measured) and the number that decides."""
    if target.key == "latency" and r.dashboard:
        worst = max(r.dashboard.kinds.values(), key=lambda k: k.ms.median)
        return worst.ms.median <= target.limit, f"slowest median {worst.ms.median:,.0f} ms"
    if target.key == "bytes" and r.dashboard:
        top = max(k.patch_bytes.max for k in r.dashboard.kinds.values()) / 1e3
        return top <= target.limit, f"max {top:,.0f} KB"
    if target.key == "faster" and r.dashboard and r.baseline:
        ratios = [
            paired(r.baseline.kinds[k].ms, r.dashboard.kinds[k].ms)
            for k in KINDS
            if r.baseline.kinds[k].ms.n and r.dashboard.kinds[k].ms.n
        ]
        if ratios:
            return min(ratios) >= target.limit, f"lowest ratio {min(ratios):.2g}×"
    if target.key == "load" and r.load_csv and r.load_csv.seconds.n:
        s = r.load_csv.seconds.median
        return s <= target.limit, f"{s:.1f} s"
    if target.key == "load_parquet" and r.load_parquet and r.load_parquet.seconds.n:
        s = r.load_parquet.seconds.median
        return s <= target.limit, f"{s:.1f} s"
    if target.key == "briefing" and r.briefing_all and r.briefing_all.seconds.n:
        s = r.briefing_all.seconds.median
        ok = s <= target.limit and r.briefing_all.mb <= 6
        return ok, f"{s:.1f} s, {r.briefing_all.mb:.1f} MB"
    if target.key == "cold" and r.cold and r.cold.page_s.n:
        s = r.cold.page_s.median
        return s <= target.limit, f"{s:.1f} s"
    return None, "not measured"


# --------------------------------------------------------------------------- machine


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return float("nan")


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def _git() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "src"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{head} (src/ with uncommitted changes)" if dirty else head


def machine() -> dict[str, str]:
    packages = ("pandas", "panel", "plotly", "bokeh", "numpy", "pyarrow", "pandera", "networkx")
    load = os.getloadavg()
    return {
        "CPU": _cpu_model(),
        "cores": str(os.cpu_count()),
        "RAM": f"{_ram_gb():.1f} GB",
        "Python": platform.python_version(),
        "packages": ", ".join(f"{p} {_version(p)}" for p in packages),
        "load average at start": ", ".join(f"{x:.2f}" for x in load),
        "code": _git(),
    }


# --------------------------------------------------------------------------- formatting


def _n(value: int) -> str:
    return f"{value:,}"


def label(r: SizeResult) -> str:
    """How a size is named in tables: the bundled dataset, or a count of synthetic events."""
    return f"bundled ({r.n:,})" if r.bundled else f"{r.n:,}"


def _num(value: float, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def _secs(s: Series) -> str:
    return _num(s.median, 2 if s.median < 10 else 1)


def _count(s: Series) -> str:
    """``(n=12 of 30)`` when a budget cut a series short."""
    return f" (n={s.n} of {s.planned})" if s.n < s.planned else ""


def _load_cell(r: LoadResult | None, supported: bool = True) -> str:
    if not supported:
        return "not supported"
    if r is None:
        return "–"
    if r.error:
        return f"failed: {r.error}"
    return f"{_secs(r.seconds)} s, peak +{_num(r.peak_mb.median)} MB{_count(r.seconds)}"


def _ms_cell(s: Series) -> str:
    return f"{_num(s.median)} / {_num(s.p95)}{_count(s)}"


def _kb_cell(s: Series) -> str:
    return f"{_num(s.median / 1e3)} / {_num(s.max / 1e3)}"


def paired(theirs: Series, ours: Series) -> float:
    """Median of the baseline over median of ours, on the changes both made (a budget may
    have cut one series short; the changes come in the same order)."""
    n = min(theirs.n, ours.n)
    if not n:
        return float("nan")
    return median(theirs.values[:n]) / median(ours.values[:n])


def _ratio(a: float, b: float) -> str:
    return _times(a / b if b else float("nan"))


def _times(ratio: float) -> str:
    if math.isnan(ratio):
        return "–"
    return f"{ratio:.2g}×" if ratio < 10 else f"{ratio:,.0f}×"


def table(results: list[SizeResult], parquet: bool) -> str:
    """The results, one column per size, as a Markdown table."""
    head = "| measure | " + " | ".join(f"{label(r)} events" for r in results) + " |"
    rule = "|---|" + "---:|" * len(results)
    rows: list[tuple[str, list[str]]] = []

    def row(label: str, cell) -> None:
        rows.append((label, [cell(r) for r in results]))

    row("CSV files on disk", lambda r: f"{_num(r.csv_mb, 1)} MB")
    row("load + validate, CSV: median (peak RSS rise)", lambda r: _load_cell(r.load_csv))
    row(
        "load + validate, Parquet",
        lambda r: _load_cell(r.load_parquet, supported=parquet),
    )
    row(
        "dashboard build + first render into a Document",
        lambda r: f"{_num(r.dashboard.build_s, 1)} s" if r.dashboard else "–",
    )
    for kind in KINDS:
        row(
            f"filter change, {KIND_LABELS[kind]}: median / p95 ms",
            lambda r, k=kind: _ms_cell(r.dashboard.kinds[k].ms) if r.dashboard else "–",
        )
    row(
        "bytes per update, Bokeh patch: median / max KB",
        lambda r: _kb_cell(_merge(r.dashboard.kinds, "patch_bytes")) if r.dashboard else "–",
    )
    row(
        "bytes per update, figures JSON + table page: median / max KB",
        lambda r: _kb_cell(_merge(r.dashboard.kinds, "json_bytes")) if r.dashboard else "–",
    )
    row(
        "baseline: `pd.read_csv` of events + relations",
        lambda r: f"{_num(r.baseline.read_s, 2)} s" if r.baseline else "–",
    )
    for kind in KINDS:
        row(
            f"baseline, {KIND_LABELS[kind]}: median / p95 ms (baseline ÷ ours)",
            lambda r, k=kind: (
                f"{_ms_cell(r.baseline.kinds[k].ms)} "
                f"({_times(paired(r.baseline.kinds[k].ms, r.dashboard.kinds[k].ms))})"
                if r.baseline and r.dashboard
                else "–"
            ),
        )
    row(
        "baseline bytes, figures JSON: median / max KB (baseline ÷ ours)",
        lambda r: (
            f"{_kb_cell(_merge(r.baseline.kinds, 'json_bytes'))} "
            f"({_ratio(_merge(r.baseline.kinds, 'json_bytes').median, _merge(r.dashboard.kinds, 'json_bytes').median)})"  # noqa: E501
            if r.baseline and r.dashboard
            else "–"
        ),
    )
    row("briefing, all events: s / MB", lambda r: _brief(r.briefing_all))
    row(f"briefing, one actor ({PROFILE_ACTOR}): s / MB", lambda r: _brief(r.briefing_actor))
    row("cold start: server answers / HTML / first complete page, s", _cold)
    lines = [head, rule] + [f"| {label} | " + " | ".join(cells) + " |" for label, cells in rows]
    return "\n".join(lines)


def _merge(kinds: dict, attr: str) -> Series:
    out = Series()
    for k in KINDS:
        s = getattr(kinds[k], attr)
        out.values += s.values
        out.planned += s.planned
    return out


def _brief(b: BriefingResult | None) -> str:
    if b is None:
        return "–"
    return f"{_secs(b.seconds)} s / {_num(b.mb, 1)} MB{_count(b.seconds)}"


def _cold(r: SizeResult) -> str:
    c = r.cold
    if c is None:
        return "–"
    if c.error and not c.page_s.n:
        return f"failed: {c.error}"
    return f"{_secs(c.server_s)} / {_secs(c.html_s)} / {_secs(c.page_s)}{_count(c.page_s)}"


def details(results: list[SizeResult]) -> str:
    """What the changes selected and what else was seen, per size."""
    out = []
    for r in results:
        parts = [f"- **{label(r)} events**"]
        if r.generate_s is not None:
            parts.append(f"generated in {r.generate_s:.1f} s")
        else:
            parts.append("dataset reused from benchmarks/out/")
        if r.dashboard:
            sel = ", ".join(
                f"{KIND_LABELS[k]} {_num(r.dashboard.kinds[k].selected.median)}" for k in KINDS
            )
            parts.append(f"median events selected per change: {sel}")
            ser = _merge(r.dashboard.kinds, "serialise_ms")
            parts.append(f"serialising the patch took {_num(ser.median, 1)} ms median, "
                         f"{_num(ser.max, 1)} ms max (not in the latency)")  # fmt: skip
            stale = sum(k.stale for k in r.dashboard.kinds.values())
            parts.append(
                "every change replaced the network and timeline figures"
                if not stale
                else f"**{stale} change(s) left a figure unchanged**"
            )
        if r.baseline:
            sel = ", ".join(
                f"{KIND_LABELS[k]} {_num(r.baseline.kinds[k].selected.median)}" for k in KINDS
            )
            parts.append(f"baseline median events drawn: {sel}")
        if r.cold and r.cold.error:
            parts.append(f"cold start error: {r.cold.error}")
        for load in (r.load_csv, r.load_parquet):
            if load is not None and load.retained_mb.n:
                parts.append(
                    f"RSS retained after a load: {_num(load.retained_mb.median)} MB"
                )  # fmt: skip
                break
        out.append("; ".join(parts) + ".")
    return "\n".join(out)


def targets(results: list[SizeResult]) -> tuple[str, list[Target]]:
    """Met / missed per target, and the targets missed at the largest size."""
    lines = []
    missed_largest = []
    largest = max(results, key=lambda r: r.n)
    for t in TARGETS:
        if t.sizes == "all":
            scope = results
        elif t.sizes == "bundled":
            scope = [r for r in results if r.bundled]
        else:
            scope = [largest]
        verdicts = [(r, *check(t, r)) for r in scope]
        measured = [(r, ok, why) for r, ok, why in verdicts if ok is not None]
        text = t.text.format(limit=t.limit)
        if not measured:
            lines.append(f"- **not measured**: {text}.")
            continue
        misses = [(r, why) for r, ok, why in measured if not ok]
        where = "; ".join(f"{label(r)}: {why}" for r, _ok, why in measured)
        if misses:
            lines.append(f"- **missed**: {text} ({where}).")
            if any(r is largest for r, _ in misses):
                missed_largest.append(t)
        else:
            lines.append(f"- **met**: {text} ({where}).")
    return "\n".join(lines), missed_largest


def document(
    results: list[SizeResult],
    *,
    command: str,
    started: dt.datetime,
    seconds: float,
    info: dict[str, str],
    parquet: bool,
    notes: list[str],
) -> str:
    """docs/performance.md."""
    verdicts, _ = targets(results)
    largest = max(results, key=lambda r: r.n)
    profiles = "\n\n".join(
        f"**{title}** ({_n(largest.n)} events):\n\n```\n{text}\n```"
        for title, text in largest.profiles.items()
    )
    machine_lines = "\n".join(f"- {k}: {v}" for k, v in info.items())
    details_lines = "\n".join([details(results), *(f"- {n}" for n in notes)])
    return f"""# Performance

Measured with `{command}` on {started:%Y-%m-%d %H:%M} UTC, in {seconds / 60:.1f} minutes.
The data is synthetic (`benchmarks/synthetic.py`, seed 0): 200 actors, 2,000 relations and the
number of events in each column, skewed like real event data. Regenerate this page with the
same command; `python -m benchmarks --quick` runs the two smaller sizes only.

## Machine

{machine_lines}

The machine is shared and noisy: times are wall-clock medians, and p95 values move by tens of
percent between runs.

## Results

{table(results, parquet)}

Latency is the wall time of `filters.param.update(...)` on a `Dashboard` rendered into a Bokeh
`Document`: Panel watchers are synchronous, so when it returns every view has its new figure
and the Document its new models. Bytes are what the server would send for that update: the
Bokeh PATCH-DOC message built from the Document's change events (JSON plus binary buffers).
"(n=12 of 30)" marks a series cut short by the time budget.

## Targets

{verdicts}

Why each missed target is missed, with what was measured and tried, is in
[Notes on the targets](#notes-on-the-targets) at the end of this page (written by hand; the
command keeps that section when it rewrites the page).

{profiles or "No target was missed at the largest size: no profile needed."}

## Details

{details_lines}

## How it is measured

- **Data**: `benchmarks/synthetic.generate(N, folder, seed=0)`, cached in `benchmarks/out/`
  (git-ignored) and reused while the generator's source is unchanged. It passes
  `alliances validate`. Pairs of actors follow a Zipf law (the busiest pair, RUS–UKR, has about
  10% of all events), ~10% of events are one-sided, ~10% known to the month and ~3% to the year,
  ~5% have an end date and ~20% a magnitude; activity grows ~5% a year.
- **Load + validate**: `alliances.load_dataset(path, cache=False)` in a fresh interpreter per
  run (after one load of the bundled dataset, so lazy imports are not counted); peak memory is
  the rise of peak RSS over the RSS before the load. Parquet: a copy of the folder with
  `events.parquet` and `relations.parquet` instead of their CSV files.
- **Filter changes**: 30 random changes of each kind (actors: 1–3 actors drawn with
  probability growing with their activity, 30% with their partners; date windows of 1–20
  years; random subsets of the event types), each from the default filters plus the previous
  change of the same kind. Every cached selection is dropped before each change
  (per-dataset precomputations such as the layout stay). One change of each kind is applied
  first, untimed, to warm up imports.
- **Baseline**: `benchmarks/baseline.py`, the notebook an analyst would write: `pd.read_csv`
  as strings, boolean masks on string columns, `pd.to_datetime` and `px.scatter` of every
  selected event, `nx.spring_layout` of the relations in force, on every update; its bytes are
  `len(fig.to_json())` of its two figures, compared with the same measure of our four figures
  plus the table's first page. Same data, same changes, same process.
- **Briefing**: `alliances.export_briefing(filters, path, dataset=ds)`, default filters and
  `actors=["{PROFILE_ACTOR}"]`; the size includes the inlined plotly.js (~4.7 MB).
- **Cold start**: `panel serve dashboards/alliances_app.py --args --data PATH` spawned, then
  Debian's Chromium (Playwright) opens the page; times from the spawn to: the server answering
  HTTP, the page's HTML arriving (the session's dashboard is built then), and the network and
  timeline graphs holding traces (the rest is the browser building and drawing the page).
  Readiness is polled on a path that is no app route, so that polling builds no session: the
  browser's session is the only one.
"""
