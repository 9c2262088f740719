"""docs/performance.md: the results table, the details, the targets and how it is measured."""

from __future__ import annotations

import datetime as dt
import math
import subprocess

from . import ROOT, reporting
from .changes import KINDS
from .measure import PROFILE_ACTOR, BriefingResult, LoadResult
from .opening import OpenResult
from .results import SizeResult, label
from .stats import Series, paired
from .targets import targets

KIND_LABELS = {"actors": "actors", "dates": "date window", "types": "event types"}
PACKAGES = ("pandas", "panel", "plotly", "bokeh", "numpy", "pyarrow", "pandera", "networkx")
"""The packages whose versions the Machine section lists."""


def machine() -> dict[str, str]:
    """The Machine section: the shared description, and the code that was measured."""
    return reporting.machine(PACKAGES, "at start") | {"code": code()}


def code() -> str:
    """The measured commit (short hash; says so when ``src`` has uncommitted changes)."""
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


def _n(value: int) -> str:
    return f"{value:,}"


def _num(value: float, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def _secs(s: Series) -> str:
    return _num(s.median, 2 if s.median < 10 else 1)


def _count(s: Series) -> str:
    """``(n=12 of 30)`` when a budget cut a series short."""
    return f" (n={s.n} of {s.planned})" if s.n < s.planned else ""


def _load_cell(r: LoadResult | None) -> str:
    if r is None:
        return "–"
    if r.error:
        return f"failed: {r.error}"
    return f"{_secs(r.seconds)} s, peak +{_num(r.peak_mb.median)} MB{_count(r.seconds)}"


def _ms_cell(s: Series) -> str:
    return f"{_num(s.median)} / {_num(s.p95)}{_count(s)}"


def _kb_cell(s: Series) -> str:
    return f"{_num(s.median / 1e3)} / {_num(s.max / 1e3)}"


def _ratio(a: float, b: float) -> str:
    return _times(a / b if b else float("nan"))


def _times(ratio: float) -> str:
    if math.isnan(ratio):
        return "–"
    return f"{ratio:.2g}×" if ratio < 10 else f"{ratio:,.0f}×"


def _disk(r: SizeResult) -> str:
    csv = f"{_num(r.csv_mb, 1)} MB" if r.csv_mb is not None else "–"
    parquet = f"{_num(r.parquet_mb, 1)} MB" if r.parquet_mb is not None else "–"
    return f"{csv} / {parquet}"


def _open_cell(o: OpenResult | None) -> str:
    if o is None:
        return "–"
    if o.open_s is None:
        return f"failed: {o.error}"
    return f"{_num(o.open_s, 2 if o.open_s < 10 else 1)} s ({o.path})"


def _peak_cell(o: OpenResult | None) -> str:
    if o is None or o.peak_mb is None:
        return "–"
    text = f"{_num(o.peak_mb)} MB"
    if o.base_mb is not None and not o.error:
        text += f" (+{_num(o.peak_mb - o.base_mb)})"
    return text + (" **stopped**" if o.error else "")


def _in_memory(r: SizeResult) -> str:
    o = r.in_memory
    if o is None:
        return "–"
    if o.error:
        return f"{o.error}"
    worst = max((k.ms.median for k in o.dashboard.kinds.values()), default=float("nan"))
    return f"open {_num(o.open_s, 1)} s, slowest median {_num(worst)} ms, peak {_num(o.peak_mb)} MB"


def _against(r: SizeResult) -> str:
    then = r.against.get("opened")
    if then is None:
        return "–"
    if then.error or then.dashboard is None:
        return f"{r.against['rev']}: {then.error}"
    worst = max(k.ms.median for k in then.dashboard.kinds.values())
    load = r.against.get("load_csv")
    loaded = f", load {_secs(load.seconds)} s" if load is not None and load.seconds.n else ""
    return f"{r.against['rev']}: open {_num(then.open_s, 2)} s, {_num(worst)} ms{loaded}"


def table(results: list[SizeResult]) -> str:
    """The results, one column per size, as a Markdown table."""
    head = "| measure | " + " | ".join(_column(r) for r in results) + " |"
    rule = "|---|" + "---:|" * len(results)
    rows: list[tuple[str, list[str]]] = []

    def row(label: str, cell) -> None:
        rows.append((label, [cell(r) for r in results]))

    row("on disk: CSV / Parquet by year", _disk)
    row("load + validate, CSV: median (peak RSS rise)", lambda r: _load_cell(r.load_csv))
    row("load + validate, Parquet by year", lambda r: _load_cell(r.load_parquet))
    row(
        "**open**: `alliances.dashboard(DATA)` + first render, s (path taken)",
        lambda r: _open_cell(r.opened),
    )
    for kind in KINDS:
        row(
            f"**filter change, {KIND_LABELS[kind]}**: median / p95 ms",
            lambda r, k=kind: _ms_cell(r.dashboard.kinds[k].ms) if r.dashboard else "–",
        )
    row("**peak RSS** of that process, open + changes (rise over its start)",
        lambda r: _peak_cell(r.opened))  # fmt: skip
    row("the in-memory path (`ALLIANCES_ENGINE=memory`), same process measure", _in_memory)
    row("`--against REV`: its open, slowest change median, load (CSV), just after ours", _against)
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
    row("measured (code, UTC, CPU probe)", lambda r: r.measured or "–")
    lines = [head, rule] + [f"| {label} | " + " | ".join(cells) + " |" for label, cells in rows]
    return "\n".join(lines)


def _column(r: SizeResult) -> str:
    return f"{label(r)} events" + (" (Parquet)" if r.large else "")


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
        for layout, made in r.generated.items():
            parts.append(
                f"{layout} folder generated in {made['seconds']:,.0f} s with a peak RSS of "
                f"{made['peak_mb']:,.0f} MB"
            )
        if not r.generated and not r.bundled:
            parts.append("datasets reused from benchmarks/out/")
        if r.rollups.get("reused_from_seconds") is not None:
            parts.append(
                f"the engine's rollups reused ({r.rollups['said']} by an earlier run, in "
                f"{r.rollups['reused_from_seconds']:,.0f} s)"
            )
        elif r.rollups.get("seconds") is not None:
            parts.append(
                f"the engine's rollups {r.rollups['said']} in {r.rollups['seconds']:,.0f} s "
                f"(peak RSS {r.rollups['peak_mb']:,.0f} MB; built once per dataset, as "
                "`alliances convert` does, and reused)"
            )
        elif r.rollups:
            parts.append(f"the engine's rollups: {r.rollups['said']}")
        if r.opened is not None:
            where = "Parquet by year" if r.opened_layout == "parquet" else "CSV"
            parts.append(
                f"opened from {where} on the {r.opened.path or '?'} path"
                + (f" with {_env(r.opened.env)}" if r.opened.env else "")
            )
            if r.opened.error:
                parts.append(f"**the process was {r.opened.error}**")
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


def _env(env: dict[str, str]) -> str:
    return " ".join(f"`{k}={v}`" for k, v in env.items())


def document(
    results: list[SizeResult],
    *,
    command: str,
    started: dt.datetime,
    seconds: float,
    info: dict[str, str],
    notes: list[str],
) -> str:
    """docs/performance.md."""
    verdicts, _ = targets(results)
    profiles = "\n\n".join(
        f"**{title}** ({label(r)} events):\n\n```\n{text}\n```"
        for r in results
        for title, text in r.profiles.items()
    )
    machine_lines = "\n".join(f"- {k}: {v}" for k, v in info.items())
    details_lines = "\n".join([details(results), *(f"- {n}" for n in notes)])
    return f"""# Performance

Measured with `{command}` on {started:%Y-%m-%d %H:%M} UTC, in {seconds / 60:.1f} minutes; a
column measured by an earlier run (`--sizes` measures some sizes and keeps the others) says
when in its last row. The data is synthetic (`benchmarks/synthetic.py`, seed 0): 200 actors,
2,000 relations and the number of events in each column, skewed like real event data.
Regenerate this page with `python -m benchmarks`; `--sizes 1e7,1e8` measures only those sizes
(the full run takes hours: generating 1e8 events alone takes about an hour, once), `--quick`
the two smaller sizes only.

## Machine

{machine_lines}

The machine is shared and noisy: times are wall-clock medians, and p95 values move by tens of
percent between runs.

## Results

{table(results)}

**Open** is `alliances.dashboard(DATA)` on the folder, and the first render of the whole
dashboard into a Bokeh `Document`, in a fresh process that first built and changed a dashboard
on the bundled dataset (so imports are not counted): whichever path the product takes for that
folder, loaded into memory or on the engine (`alliances.engine`), which the cell names. At
10,000,000 events and more the folder is Parquet partitioned by year, the filter changes are
made in that same process, and its **peak RSS** (the whole process, interpreter and imports
included) is what the memory targets compare; a process over `--memory-cap` is stopped and
reported. The in-memory path is measured beside it, forced with `ALLIANCES_ENGINE=memory`.

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

{profiles or "No target was missed: no profile needed."}

## Details

{details_lines}

## How it is measured

- **Data**: `benchmarks/synthetic.generate(N, folder, seed=0)` (`layout="parquet"` for the
  folder partitioned by year), cached in `benchmarks/out/` (git-ignored) by size and seed, and
  reused while the generator's source is unchanged. It passes `alliances validate`. Events are
  made 250,000 at a time (at least a month of them) in date order and written as they are made,
  so generating takes bounded memory. Pairs of actors follow a Zipf law (the busiest pair,
  RUS–UKR, has about 10% of all events), ~10% of events are one-sided, ~10% known to the month
  and ~3% to the year, ~5% have an end date and ~20% a magnitude; activity grows ~5% a year.
- **Load + validate**: `alliances.load_dataset(path, cache=False)` in a fresh interpreter per
  run (after one load of the bundled dataset, so lazy imports are not counted); peak memory is
  the rise of peak RSS over the RSS before the load. Parquet: the same events partitioned by
  year (`events/year=YYYY/part-N.parquet`), the other tables CSV.
- **Open and filter changes**: `python -m benchmarks.opening` (`benchmarks/opening.py`), one
  process per size; the parent polls its RSS every 0.2 s and stops it above `--memory-cap`.
  Bundled to 1,000,000 events it opens the CSV folder, as before issue #11; from 10,000,000 the
  Parquet one. The changes at those sizes are planned from the Parquet files (events per actor
  counted a batch at a time, the years from the partitions).
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
