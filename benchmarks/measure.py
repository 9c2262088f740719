"""The measurements: load, filter changes and their bytes, briefings, cold start, baseline.

Each function measures one thing on one dataset and returns plain numbers; ``__main__``
runs them for every size and ``report`` formats them. Nothing here changes the package.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from alliances.testing import APP_PATH, HOST, chromium, free_port, stop_process

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboards" / "alliances_app.py"
KINDS = ("actors", "dates", "types")


# --------------------------------------------------------------------------- statistics


def median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def p95(values: list[float]) -> float:
    return float(np.percentile(values, 95)) if values else float("nan")


@dataclass
class Series:
    """Repeated measurements of one quantity, and how many were planned."""

    values: list[float] = field(default_factory=list)
    planned: int = 0

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def median(self) -> float:
        return median(self.values)

    @property
    def p95(self) -> float:
        return p95(self.values)

    @property
    def max(self) -> float:
        return max(self.values) if self.values else float("nan")


def within_budget(planned: int, budget: float, minimum: int = 1) -> Iterator[int]:
    """Indices 0..planned-1, stopping early once ``budget`` seconds have passed (after
    ``minimum`` runs): keeps the slowest sizes from taking the whole run."""
    start = time.perf_counter()
    for i in range(planned):
        if i >= minimum and time.perf_counter() - start > budget:
            return
        yield i


# --------------------------------------------------------------------------- caches


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


def load(path: Path, runs: int, budget: float) -> LoadResult:
    """``load_dataset(path, cache=False)`` in a fresh interpreter per run: time and the rise
    of peak RSS over the RSS before the load (so each run starts from the same state)."""
    result = LoadResult(Series(planned=runs), Series(planned=runs), Series(planned=runs))
    for _ in within_budget(runs, budget):
        proc = subprocess.run(
            [sys.executable, "-c", LOAD_SCRIPT, str(path)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=1800,
        )
        if proc.returncode != 0:
            result.error = (proc.stderr or proc.stdout).strip().splitlines()[-1][:300]
            break
        data = json.loads(proc.stdout.strip().splitlines()[-1])
        result.seconds.values.append(data["seconds"])
        result.peak_mb.values.append(data["peak_mb"])
        result.retained_mb.values.append(data["retained_mb"])
    return result


def parquet_supported() -> bool:
    """Whether ``load_dataset`` reads a folder whose events and relations are Parquet only."""
    from alliances.dataset import load_dataset

    from .synthetic import generate

    with tempfile.TemporaryDirectory() as tmp:
        folder = parquet_folder(generate(200, Path(tmp) / "csv", parquet=True), Path(tmp) / "pq")
        try:
            ds = load_dataset(folder, cache=False)
        except Exception:
            return False
        return len(ds.events) == 200


def parquet_folder(csv_folder: Path, out: Path) -> Path:
    """A copy of a generated folder with events and relations as Parquet only."""
    out.mkdir(parents=True, exist_ok=True)
    for name in ("actors.csv", "event_types.csv", "relation_types.csv"):
        shutil.copyfile(csv_folder / name, out / name)
    for name in ("events.parquet", "relations.parquet"):
        shutil.move(csv_folder / name, out / name)
    return out


# --------------------------------------------------------------------------- filter changes


def plan_changes(dataset, repeat: int, seed: int) -> dict[str, list[dict]]:
    """``repeat`` random filter changes of each kind, the same for ours and the baseline.

    Actors are drawn with probability growing with their activity (sqrt of their event
    count): analysts look at busy actors more often than at quiet ones.
    """
    rng = np.random.default_rng(seed)
    events = dataset.events
    counts = (
        events["actor_1"].value_counts().add(events["actor_2"].value_counts(), fill_value=0)
    ).reindex(dataset.actor_ids, fill_value=0)
    weights = np.sqrt(counts.to_numpy(float)) + 1e-3
    weights /= weights.sum()
    actor_ids = np.array(dataset.actor_ids, dtype=object)
    types = list(dataset.event_types["id"])
    # windows where the events are (the span also covers relations since 1950)
    first_year = events["date"].min().year
    last_year = (events["stop"].max() - dt.timedelta(days=1)).year

    plan: dict[str, list[dict]] = {kind: [] for kind in KINDS}
    for _ in range(repeat):
        k = int(rng.integers(1, 4))
        chosen = rng.choice(len(actor_ids), size=k, replace=False, p=weights)
        plan["actors"].append(
            {
                "actors": sorted(str(a) for a in actor_ids[chosen]),
                "include_partners": bool(rng.random() < 0.3),
            }
        )
        years = int(rng.integers(1, 21))
        latest_start = max(first_year, last_year - years + 1)
        start = dt.date(int(rng.integers(first_year, latest_start + 1)), 1, 1) + dt.timedelta(
            days=int(rng.integers(0, 365))
        )
        end = dt.date(start.year + years, start.month, 1) - dt.timedelta(days=1)
        plan["dates"].append({"start": start, "end": end})
        size = int(rng.integers(1, len(types)))
        plan["types"].append(
            {"event_types": sorted(str(t) for t in rng.choice(types, size, replace=False))}
        )
    return plan


@dataclass
class KindResult:
    """Filter changes of one kind: latency, bytes, what they selected."""

    ms: Series
    patch_bytes: Series
    json_bytes: Series
    serialise_ms: Series
    selected: Series
    stale: int = 0
    largest_panes: dict[str, int] = field(default_factory=dict)  # for the largest patch


@dataclass
class DashboardResult:
    build_s: float
    kinds: dict[str, KindResult]


def patch_size(events: list) -> tuple[int, float]:
    """Bytes of the PATCH-DOC message Bokeh would send for these document events, and the
    milliseconds it takes to serialise it."""
    from bokeh.protocol import Protocol

    if not events:
        return 0, 0.0
    t0 = time.perf_counter()
    msg = Protocol().create("PATCH-DOC", events)
    size = len(msg.header_json) + len(msg.metadata_json) + len(msg.content_json)
    size += sum(len(buffer.to_bytes()) for buffer in msg.buffers)
    return size, (time.perf_counter() - t0) * 1000


def _css(pane) -> list[str]:
    return list(getattr(pane, "css_classes", []) or [])


@contextmanager
def dashboard(dataset):
    """A Dashboard on a fresh Filters, rendered into a Bokeh Document as the server does."""
    import panel as pn
    from bokeh.document import Document

    from alliances.app import Dashboard
    from alliances.state import Filters

    filters = Filters()
    t0 = time.perf_counter()
    board = Dashboard(dataset=dataset, filters=filters)
    view = pn.panel(board)
    doc = Document()
    doc.add_root(view.get_root(doc))
    build = time.perf_counter() - t0
    try:
        yield board, view, doc, filters, build
    finally:
        for root in list(doc.roots):
            with suppress(Exception):  # a private API: freeing memory is best effort
                view._cleanup(root)  # drop Panel's references to the models
        doc.clear()
        del board, view, doc
        gc.collect()


def warm_up() -> None:
    """Build and update one dashboard on the bundled dataset, untimed, so that the first
    measured build does not pay for imports and first-use compilation."""
    from alliances.dataset import bundled_path, load_dataset

    with dashboard(load_dataset(bundled_path(), cache=False)) as (_b, _v, _d, filters, _t):
        filters.param.update(actors=["RUS"], include_partners=True)
        filters.param.update(event_types=["summit"], start=dt.date(2000, 1, 1))


def figures_json(view) -> tuple[int, dict[str, int]]:
    """Sum of ``len(fig.to_json())`` over the Plotly panes, plus the table's first page."""
    import panel as pn
    import plotly.io as pio

    sizes = {}
    for pane in view.select(pn.pane.Plotly):
        if pane.object is not None:
            name = next((c for c in _css(pane) if c.startswith("al-")), "plotly")
            # the panes hold figure specs (dicts) or Figures: plotly serialises both
            sizes[name] = len(pio.to_json(pane.object, validate=False))
    for table in view.select(pn.widgets.Tabulator):
        value = table.value
        if value is not None and len(value.columns):
            size = table.page_size or len(value)
            sizes["al-table"] = len(value.iloc[:size].to_json(orient="records"))
    return sum(sizes.values()), sizes


def filter_changes(
    dataset, plan: dict[str, list[dict]], budget: float, profile_worst: bool = False
) -> tuple[DashboardResult, str]:
    """Apply every planned change through ``filters.param.update`` and time it.

    Panel watchers run synchronously, so when the call returns every view holds its new
    figure; that is checked on the network and timeline panes. Returns the results and, with
    ``profile_worst``, a pyinstrument profile of the slowest change, re-run from the defaults.
    """
    import panel as pn

    from alliances import query

    profiled = ""
    with dashboard(dataset) as (_board, view, doc, filters, build):
        captured: list = []
        doc.on_change(captured.append)
        panes = [
            p for p in view.select(pn.pane.Plotly) if {"al-network", "al-timeline"} & set(_css(p))
        ]
        # warm up: one change of each kind (first calls import and compile), then reset
        for kind in KINDS:
            filters.param.update(**plan[kind][-1])
        filters.reset()
        kinds = {}
        for kind in KINDS:
            filters.reset()
            res = KindResult(*(Series(planned=len(plan[kind])) for _ in range(5)))
            for i in within_budget(len(plan[kind]), budget, minimum=5):
                change = plan[kind][i]
                clear_selection_caches()
                captured.clear()
                before = [p.object for p in panes]
                t0 = time.perf_counter()
                filters.param.update(**change)
                res.ms.values.append((time.perf_counter() - t0) * 1000)
                if any(p.object is b for p, b in zip(panes, before, strict=True)):
                    res.stale += 1
                size, ser_ms = patch_size(captured)
                res.patch_bytes.values.append(size)
                res.serialise_ms.values.append(ser_ms)
                total, panes_json = figures_json(view)
                res.json_bytes.values.append(total)
                if size >= max(res.patch_bytes.values):
                    res.largest_panes = {"patch": size, **panes_json}
                res.selected.values.append(len(query.select(dataset, filters).events))
            kinds[kind] = res
        if profile_worst:
            kind = max(KINDS, key=lambda k: max(kinds[k].ms.values))
            worst = plan[kind][int(np.argmax(kinds[kind].ms.values))]
            filters.reset()
            clear_selection_caches()
            text = profile(lambda: filters.param.update(**worst))
            profiled = f"filters.param.update(**{worst!r})  # kind: {kind}\n{text}"
    return DashboardResult(build, kinds), profiled


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


# --------------------------------------------------------------------------- baseline


@dataclass
class BaselineResult:
    read_s: float
    kinds: dict[str, KindResult]


def baseline(path: Path, plan: dict[str, list[dict]], budget: float) -> BaselineResult:
    """The notebook implementation on the same files and the same changes."""
    from .baseline import Notebook

    t0 = time.perf_counter()
    notebook = Notebook(path)
    read = time.perf_counter() - t0
    notebook.update(**plan["dates"][-1])  # warm up plotly.express
    kinds = {}
    for kind in KINDS:
        res = KindResult(*(Series(planned=len(plan[kind])) for _ in range(5)))
        for i in within_budget(len(plan[kind]), budget, minimum=5):
            t0 = time.perf_counter()
            update = notebook.update(**plan[kind][i])
            res.ms.values.append((time.perf_counter() - t0) * 1000)
            res.json_bytes.values.append(update.bytes)
            res.selected.values.append(update.events)
        kinds[kind] = res
    del notebook
    gc.collect()
    return BaselineResult(read, kinds)


# --------------------------------------------------------------------------- briefing


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


# --------------------------------------------------------------------------- cold start


@dataclass
class ColdStart:
    server_s: Series  # the server answers HTTP
    html_s: Series  # the page's HTML arrived: the session's dashboard is built
    page_s: Series  # the network and timeline graphs hold traces
    error: str = ""


def _server_up(port: int, deadline: float) -> bool:
    """Poll a path that is no app route: any HTTP answer means the server listens, and no
    session is created (each request to the app route would build a whole dashboard)."""
    url = f"http://{HOST}:{port}/__benchmark_ready__"
    while time.perf_counter() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=30):
                return True
        except urllib.error.HTTPError:
            return True
        except (urllib.error.URLError, OSError):
            time.sleep(0.05)
    return False


def _graphs_drawn(page, deadline: float) -> bool:
    from playwright.sync_api import Error as PlaywrightError

    script = "el => (el.data || []).length"
    while time.perf_counter() < deadline:
        try:
            if all(
                page.locator(f"{css} .js-plotly-plot").first.evaluate(script, timeout=1000) > 0
                for css in (".al-network", ".al-timeline")
            ):
                return True
        except PlaywrightError:
            pass
        page.wait_for_timeout(50)
    return False


def cold_start(path: Path, runs: int, budget: float, timeout: float = 900.0) -> ColdStart:
    """``panel serve`` from scratch until Chromium shows the network and timeline graphs.

    The clock starts when the process is spawned; ``server_s`` is when it answers HTTP,
    ``html_s`` when the page's HTML arrived (its session built), ``page_s`` when both graphs
    hold traces. Only the process started here is stopped.
    """
    res = ColdStart(Series(planned=runs), Series(planned=runs), Series(planned=runs))
    if shutil.which("chromium") is None:
        res.error = "no `chromium` on PATH"
        return res
    env = {k: v for k, v in os.environ.items() if k != "ALLIANCES_DATA"}
    with chromium() as browser:
        for _ in within_budget(runs, budget):
            port = free_port()
            cmd = [sys.executable, "-m", "panel", "serve", str(APP), "--port", str(port)]
            cmd += ["--address", HOST, "--allow-websocket-origin", f"{HOST}:{port}"]
            cmd += ["--args", "--data", str(path)]
            with tempfile.TemporaryFile() as log:
                t0 = time.perf_counter()
                proc = subprocess.Popen(
                    cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=env
                )
                try:
                    deadline = t0 + timeout
                    if not _server_up(port, deadline):
                        res.error = "server did not answer"
                        break
                    res.server_s.values.append(time.perf_counter() - t0)
                    context = browser.new_context(viewport={"width": 1400, "height": 1000})
                    try:
                        page = context.new_page()
                        page.goto(
                            f"http://{HOST}:{port}{APP_PATH}",
                            timeout=timeout * 1000,
                            wait_until="commit",
                        )
                        res.html_s.values.append(time.perf_counter() - t0)
                        if not _graphs_drawn(page, deadline):
                            res.error = "graphs not drawn before the timeout"
                            break
                        res.page_s.values.append(time.perf_counter() - t0)
                    finally:
                        context.close()
                finally:
                    stop_process(proc)
                    if res.error:
                        log.seek(0)
                        tail = log.read().decode("utf-8", "replace").strip().splitlines()
                        res.error += ": " + " | ".join(tail[-3:])[:300]
    return res
