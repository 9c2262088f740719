"""Filter changes, ours and the notebook baseline's: latency, bytes sent, events selected.

``plan_changes`` draws the changes once per dataset; ``filter_changes`` applies them to a
``Dashboard`` rendered into a Bokeh ``Document`` as the server does, ``baseline`` to the
notebook implementation (``baseline.py``), on the same files.
"""

from __future__ import annotations

import datetime as dt
import gc
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .measure import clear_selection_caches, profile
from .stats import Series, within_budget

KINDS = ("actors", "dates", "types")
"""The kinds of filter change, each measured on its own."""


def plan_changes(dataset, repeat: int, seed: int) -> dict[str, list[dict]]:
    """``repeat`` random filter changes of each kind for a loaded dataset (see
    :func:`plan_from`)."""
    events = dataset.events
    counts = events["actor_1"].value_counts().add(events["actor_2"].value_counts(), fill_value=0)
    # windows where the events are (the span also covers relations since 1950)
    first_year = events["date"].min().year
    last_year = (events["stop"].max() - dt.timedelta(days=1)).year
    types = list(dataset.event_types["id"])
    return plan_from(dataset.actor_ids, counts, types, first_year, last_year, repeat, seed)


def plan_for_folder(folder: Path, repeat: int, seed: int) -> dict[str, list[dict]]:
    """The same plan for a folder too large to load: events per actor counted a batch at a
    time from its Parquet files, the years from its partitions."""
    import pandas as pd
    import pyarrow.parquet as pq

    from alliances import partitioned, schema
    from alliances.reading import read_table

    actors, _ = read_table(folder, schema.TABLES["actors"])
    types, _ = read_table(folder, schema.TABLES["event_types"])
    parts = partitioned.parts(folder / "events")[0]
    counts = pd.Series(dtype=float)
    for part in parts:
        for batch in pq.ParquetFile(part.path).iter_batches(columns=["actor_1", "actor_2"]):
            for column in batch.columns:
                found = column.value_counts().to_pylist()
                each = pd.Series({v["values"]: v["counts"] for v in found if v["values"]})
                counts = counts.add(each, fill_value=0)
    first_year, last_year = parts[0].year, parts[-1].year
    return plan_from(
        list(actors.frame["id"].astype(str)), counts, list(types.frame["id"].astype(str)),
        first_year, last_year, repeat, seed,
    )  # fmt: skip


def plan_from(
    actor_ids: list[str],
    counts,
    types: list[str],
    first_year: int,
    last_year: int,
    repeat: int,
    seed: int,
) -> dict[str, list[dict]]:
    """``repeat`` random filter changes of each kind, the same for ours and the baseline.

    Actors are drawn with probability growing with their activity (sqrt of their event
    count, ``counts`` by actor id): analysts look at busy actors more often than at quiet
    ones. Windows fall between ``first_year`` and ``last_year``, where the events are.
    """
    rng = np.random.default_rng(seed)
    counts = counts.reindex(actor_ids, fill_value=0)
    weights = np.sqrt(counts.to_numpy(float)) + 1e-3
    weights /= weights.sum()
    actor_ids = np.array(actor_ids, dtype=object)

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


def held(events: list) -> list:
    """``events`` as a held document sends them: the served dashboard holds its document
    through a change with Bokeh's "combine" policy
    (:func:`alliances.views.compat.one_message_per_change`), which folds an event into an
    earlier one on the same property (Panel sets a data source's columns one by one, each a
    whole new ``data``), scanning back as ``Document.unhold`` does."""
    out: list = []
    for event in events:
        if not any(earlier.combine(event) for earlier in reversed(out)):
            out.append(event)
    return out


def patch_size(events: list) -> tuple[int, float]:
    """Bytes of the PATCH-DOC message Bokeh would send for these document events (combined
    as the held document combines them, :func:`held`), and the milliseconds it takes to
    serialise it."""
    from bokeh.protocol import Protocol

    if not events:
        return 0, 0.0
    t0 = time.perf_counter()
    msg = Protocol().create("PATCH-DOC", held(events))
    size = len(msg.header_json) + len(msg.metadata_json) + len(msg.content_json)
    size += sum(len(buffer.to_bytes()) for buffer in msg.buffers)
    return size, (time.perf_counter() - t0) * 1000


def _css(pane) -> list[str]:
    return list(getattr(pane, "css_classes", []) or [])


@contextmanager
def dashboard(data):
    """A Dashboard on a fresh Filters, rendered into a Bokeh Document as the server does.

    ``data``: a loaded dataset, or a folder, opened as ``alliances.dashboard(DATA)`` opens it
    (whichever path that takes: loaded, or on the engine); the build time then includes it.
    """
    import panel as pn
    from bokeh.document import Document

    from alliances.app import dashboard as open_dashboard
    from alliances.state import Filters

    filters = Filters()
    t0 = time.perf_counter()
    board = open_dashboard(data, filters=filters)
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
    data,
    plan: dict[str, list[dict]],
    budget: float,
    profile_worst: bool = False,
    minimum: int = 5,
) -> tuple[DashboardResult, str]:
    """Apply every planned change through ``filters.param.update`` and time it (at least
    ``minimum`` of each kind, however long they take).

    ``data``: a loaded dataset or a folder (see :func:`dashboard`). Panel watchers run
    synchronously, so when the call returns every view holds its new figure; that is checked
    on the network and timeline panes. Returns the results and, with ``profile_worst``, a
    pyinstrument profile of the slowest change, re-run from the defaults.
    """
    import panel as pn

    from alliances import query

    profiled = ""
    with dashboard(data) as (board, view, doc, filters, build):
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
            for i in within_budget(len(plan[kind]), budget, minimum=minimum):
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
                res.selected.values.append(len(query.select(board.dataset, filters)))
            kinds[kind] = res
        if profile_worst:
            kind = max(KINDS, key=lambda k: max(kinds[k].ms.values))
            worst = plan[kind][int(np.argmax(kinds[kind].ms.values))]
            filters.reset()
            clear_selection_caches()
            text = profile(lambda: filters.param.update(**worst))
            profiled = f"filters.param.update(**{worst!r})  # kind: {kind}\n{text}"
    return DashboardResult(build, kinds), profiled


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
