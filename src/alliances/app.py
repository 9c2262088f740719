"""The dashboard: every view on one Filters object, in a template, synced with the URL.

``create_app()`` is what ``panel serve`` runs per browser session; ``dashboard()`` is the same
dashboard without the page template, for notebooks.
"""

from __future__ import annotations

import html
import logging
import os
import sys
import urllib.parse

import panel as pn

from . import query, state
from .dataset import Dataset, Served, load_dataset, resolve_path, serve_dataset
from .state import Filters
from .validation import DatasetError
from .views import (
    AboutPanel,
    BriefingExport,
    ChangesView,
    EventDetail,
    EventsTable,
    FilterPanel,
    KpiView,
    NetworkView,
    RankingView,
    TemperatureView,
    TimelineView,
)
from .views.base import Linked

log = logging.getLogger("alliances")

TITLE = "Alliances"
APP_CSS = """
:host { --alliances-accent: #1f3b57; }
.notice { font-size: 0.9em; }
"""


class Dashboard(Linked):
    """All views of one dataset, linked through one :class:`Filters` object."""

    def __init__(self, **params):
        super().__init__(**params)
        shared = self.shared
        self.controls = FilterPanel(**shared)
        self.network = NetworkView(**shared)
        self.timeline = TimelineView(**shared)
        self.kpis = KpiView(**shared)
        self.temperature = TemperatureView(**shared)
        self.ranking = RankingView(**shared)
        self.changes = ChangesView(**shared)
        self.table = EventsTable(**shared)
        self.detail = EventDetail(**shared)
        self.export = BriefingExport(**shared)
        self.notices = pn.pane.Alert(
            "",
            alert_type="warning",
            visible=False,
            sizing_mode="stretch_width",
            css_classes=["al-notices"],
        )
        overview = pn.Column(
            self.kpis,
            pn.Row(
                pn.Column(self.network, sizing_mode="stretch_width"),
                pn.Column(
                    pn.Column(
                        pn.pane.HTML("<h4>Event detail</h4>", margin=(0, 10)),
                        self.detail,
                        height=250,
                        scroll=True,
                        sizing_mode="stretch_width",
                    ),
                    self.ranking,
                    width=330,
                ),
                sizing_mode="stretch_width",
            ),
            self.timeline,
            pn.Row(self.temperature, self.changes, sizing_mode="stretch_width"),
            sizing_mode="stretch_width",
        )
        self.tabs = pn.Tabs(
            ("Overview", overview),
            ("Events", self.table),
            ("About", AboutPanel(self.dataset)),
            sizing_mode="stretch_width",
            dynamic=False,
        )
        self.main = pn.Column(self.notices, self.tabs, sizing_mode="stretch_width")
        # the events table is in a background tab: it updates when it is looked at
        self.table.show(self.tabs.active == 1)
        self.tabs.param.watch(lambda e: self.table.show(e.new == 1), "active")

    def report_stale(self, served: Served) -> None:
        """Say that the files on disk are not what is shown, and why (the report is logged)."""
        fingerprint = self.dataset.fingerprint
        if served.problems:
            log.error("dataset %s no longer validates:\n%s", self.dataset.path,
                      "\n".join(map(str, served.problems)))  # fmt: skip
            lines = [str(p) for p in served.problems[:8]]
            more = len(served.problems) - len(lines)
            self.notify(
                [
                    f"The dataset files changed and no longer pass validation "
                    f"({len(served.problems)} problem(s)); you are seeing the last valid version "
                    f"(fingerprint {fingerprint}).",
                    *lines,
                    *([f"... and {more} more (the server log has them all)"] if more else []),
                ]
            )
        else:
            self.notify(
                [
                    "The dataset files are being updated; you are seeing the previous version "
                    f"(fingerprint {fingerprint}). Reload in a moment for the new data."
                ]
            )

    def notify(self, messages: list[str]) -> None:
        """Show notices (ignored link parameters, unknown ids) above the views, escaped."""
        if messages:
            items = "".join(f"<li>{html.escape(m)}</li>" for m in messages[:12])
            self.notices.object = f"<ul class='notice'>{items}</ul>"
        self.notices.visible = bool(messages)

    def __panel__(self):
        return pn.Row(
            pn.Column(self.controls, self.export, width=300),
            self.main,
            sizing_mode="stretch_width",
        )


def dashboard(
    data: str | os.PathLike[str] | Dataset | None = None, filters: Filters | None = None
) -> Dashboard:
    """The whole dashboard for a notebook cell (or any Panel layout)."""
    dataset = data if isinstance(data, Dataset) else load_dataset(data)
    return Dashboard(dataset=dataset, filters=filters)


def _session_query() -> dict[str, str]:
    """The page's query string, decoded leniently (garbage in, a notice out)."""
    args = getattr(pn.state, "session_args", None) or {}
    query = {}
    for key, values in args.items():
        if not values:
            continue
        raw = values[-1]
        query[str(key)] = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return query


def _sync_url(board: Dashboard) -> None:
    """Apply the link's filters once, then keep the link in step with the filters."""
    ds = board.dataset
    updates, notices = state.from_query(
        _session_query(),
        actors=ds.actor_ids,
        event_types=list(ds.event_types["id"]),
        relation_types=list(ds.relation_types["id"]),
        regions=ds.actors["region"].dropna().unique().tolist(),
        event_exists=lambda event_id: event_id in query.event_index(ds),
    )
    if updates:
        board.filters.param.update(**updates)
    board.notify(notices)
    location = pn.state.location
    if location is None:
        return

    def write(*_):
        query = state.to_query(board.filters)
        location.search = "?" + urllib.parse.urlencode(query) if query else ""

    board.filters.param.watch(write, list(Filters._filter_params()))
    # The browser sends its own query string when the page loads, which would overwrite a
    # link cleaned up here: rewrite it once the page is there.
    pn.state.onload(write)


def _reload(board: Dashboard, data) -> None:
    """Check the files again: new data reloads the page (a new session gets it), bad data
    keeps this session as it is and says why."""
    served = serve_dataset(data)
    if served.stale:
        board.report_stale(served)
    elif served.dataset is not None and served.dataset is not board.dataset:
        if pn.state.location is not None:
            pn.state.location.reload = True
    else:
        board.notify([f"The data has not changed (fingerprint {board.dataset.fingerprint})."])


def error_page(exc: DatasetError) -> pn.template.BaseTemplate:
    """What the browser shows for a dataset that fails validation: the report, not a traceback."""
    log.error("%s", exc)
    report = "\n".join(str(p) for p in exc.problems)
    body = pn.Column(
        pn.pane.Alert(
            f"<b>The dataset in <code>{html.escape(str(exc.path))}</code> did not pass "
            f"validation</b>: {len(exc.problems)} problem(s). Fix them and reload this page; "
            "<code>alliances validate</code> prints the same report.",
            alert_type="danger",
        ),
        pn.pane.HTML(
            f"<pre class='validation-report'>{html.escape(report)}</pre>",
            sizing_mode="stretch_width",
        ),
        sizing_mode="stretch_width",
    )
    return pn.template.BootstrapTemplate(title=f"{TITLE}: invalid dataset", main=[body])


def data_from_argv(argv: list[str] | None = None) -> str | None:
    """``--data FOLDER`` from ``panel serve APP --args --data FOLDER`` (else ``None``)."""
    argv = sys.argv[1:] if argv is None else argv
    for i, arg in enumerate(argv):
        if arg == "--data" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--data="):
            return arg.split("=", 1)[1]
    return None


def _quiet_closed_websockets() -> None:
    """Drop the tracebacks asyncio logs when a page closes in the middle of an update.

    Panel 1.9 cancels a closed session's pending writes but never awaits writes that already
    failed (holoviz/panel#3341), so asyncio logs "Task exception was never retrieved" with a
    ``WebSocketClosedError`` per page closed mid-update. Those, and only those, are dropped.
    """
    import asyncio

    from tornado.websocket import WebSocketClosedError

    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    previous = loop.get_exception_handler()
    if getattr(previous, "alliances", False):
        return

    def handler(loop: asyncio.AbstractEventLoop, context: dict) -> None:
        if isinstance(context.get("exception"), WebSocketClosedError):
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    handler.alliances = True  # type: ignore[attr-defined]
    loop.set_exception_handler(handler)


def local_stylesheets() -> None:
    """Point the session's Panel stylesheets at this server's ``static/`` route.

    Panel rewrites its components' stylesheet URLs (which name cdn.holoviz.org) only while it
    renders a page's HTML. A session that Bokeh builds from a websocket instead (the page's own
    session reached another ``--num-procs`` worker, or was discarded before the page connected)
    would keep the CDN URLs: offline, such a page loses Panel's widget and table styles.
    Call it after ``.servable()``; it is harmless when the page's HTML did the rewrite.
    ``patch_model_css`` is Panel-internal: tests/test_reliability.py fails if it changes.
    """
    from panel.io.resources import LOCAL_DIST, patch_model_css

    rel = pn.state.rel_path
    dist = f"{rel}/{LOCAL_DIST}" if rel else LOCAL_DIST
    for root in pn.state.curdoc.roots:
        patch_model_css(root, dist_url=dist)


def create_app(data: str | os.PathLike[str] | None = None) -> pn.template.BaseTemplate:
    """One browser session's dashboard (``panel serve`` calls this per session)."""
    pn.extension("plotly", "tabulator", notifications=False)
    _quiet_closed_websockets()
    try:
        served = serve_dataset(data)
    except OSError as exc:
        log.error("cannot load dataset: %s", exc)
        body = pn.pane.Alert(
            f"Cannot load the dataset: {html.escape(str(exc))}", alert_type="danger"
        )
        return pn.template.BootstrapTemplate(title=f"{TITLE}: no dataset", main=[body])
    if served.dataset is None:
        return error_page(DatasetError(resolve_path(data), served.problems))
    board = Dashboard(dataset=served.dataset)
    _sync_url(board)
    if served.stale:
        board.report_stale(served)
    reload = pn.widgets.Button(
        label="Reload data", color="light", css_classes=["al-reload"], sizing_mode="stretch_width"
    )
    reload.on_click(lambda _: _reload(board, data))
    template = pn.template.BootstrapTemplate(
        title=TITLE,
        sidebar=[board.controls, board.export, reload],
        main=[board.main],
        sidebar_width=300,
        header_background="#1f3b57",
    )
    return template
