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
from typing import ClassVar

import panel as pn
import param

from . import query, state
from .dataset import Dataset, ServedDataset, load_dataset, serve_dataset
from .engine.sources import describe
from .problems import DatasetError, read_faults_only
from .state import FILTERS, Filters
from .views import (
    AboutPanel,
    AnalysisPanel,
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
from .views.base import SELECTION_DEPENDS, FilteredViewer
from .views.compat import FigurePane, one_message_per_change, quiet_closed_websockets

log = logging.getLogger("alliances")

TITLE = "Alliances"
DISCONNECTED = (
    "Lost the connection to the server. Reload the page to reconnect: "
    "your filters are kept in its address."
)
"""What the page says, until it is reloaded, when its server process stops or restarts
(behind a proxy, the reload opens a new session on another process)."""
NARROW_PX = 768
"""Below this window width the filter sidebar starts collapsed, over the page when opened."""
SIDEBAR_CSS = f"""
@media (max-width: {NARROW_PX - 0.02}px) {{
  #sidebar.show, #sidebar.collapsing {{
    position: absolute; z-index: 1050; height: 100%; overflow-y: auto;
    background: var(--bs-body-bg, #fff); box-shadow: 0 0 12px rgba(0, 0, 0, 0.25);
  }}
}}
"""


class NarrowScreen(pn.reactive.ReactiveHTML):
    """Collapses the template's sidebar when the page opens in a narrow window (a phone).

    The server cannot know the window's width when it renders the page, so this invisible
    element's render script does it in the browser; the menu button opens it again.
    """

    _template = "<div id='narrow' style='display: none'></div>"
    _scripts: ClassVar[dict[str, str]] = {
        "render": f"""
        const sidebar = document.getElementById('sidebar');
        if (sidebar && window.innerWidth < {NARROW_PX}) {{
          sidebar.classList.remove('show');
          document.getElementById('sidebar-toggle')?.setAttribute('aria-expanded', 'false');
        }}
        """
    }


class Dashboard(FilteredViewer):
    """All views of one dataset, linked through one :class:`Filters` object.

    The layout reflows: the network and its side column sit side by side when there is room
    and stack when there is not, and so do the temperature and the changes.
    """

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
        # the events table is in a background tab: built now, filled when first looked at
        self.table = EventsTable(**shared, active=False)
        self.detail = EventDetail(**shared)
        self.export = BriefingExport(**shared)
        self._data_notices: list[str] = []
        self._link_notices: list[str] = []
        self.notices = pn.pane.Alert(
            "",
            alert_type="warning",
            visible=False,
            sizing_mode="stretch_width",
            css_classes=["al-notices"],
        )
        side = pn.Column(
            pn.pane.HTML("<h4>Details</h4>", margin=(0, 10)),
            self.detail,
            self.ranking,
            width=330,
            css_classes=["al-side"],
        )
        overview = pn.Column(
            self.kpis,
            pn.FlexBox(
                _flexible(self.network, basis=480, least=320),
                side,
                flex_wrap="wrap",
                align_items="flex-start",
                sizing_mode="stretch_width",
            ),
            self.timeline,
            pn.FlexBox(
                _flexible(self.temperature, basis=480, least=320),
                _flexible(self.changes, basis=320, least=280),
                flex_wrap="wrap",
                sizing_mode="stretch_width",
            ),
            sizing_mode="stretch_width",
        )
        # the Analysis tab is built now and computes nothing until it is first opened
        self.analysis = AnalysisPanel(**shared, active=False)
        self.tabs = pn.Tabs(
            ("Overview", overview),
            ("Events", self.table),
            ("Analysis", self.analysis),
            ("About", AboutPanel(self.dataset)),
            sizing_mode="stretch_width",
            # not dynamic: Panel 1.9 can draw a dynamic tab's table before its rows arrive and
            # then never show them; the table stays empty (and costs nothing) until opened
            dynamic=False,
        )
        self.main = pn.Column(self.notices, self.tabs, sizing_mode="stretch_width")
        self.tabs.param.watch(self._on_tab, "active")
        self.export.param.watch(self._on_image_format, "image_format")
        self._show_notices()

    @property
    def charts(self) -> list[FigurePane]:
        """Every plotly pane of the dashboard."""
        analysis = self.analysis
        views = [self.network, self.timeline, self.temperature, self.ranking]
        views += [analysis.temperature, analysis.pledges, analysis.running]
        return [view._pane for view in views] + [analysis.alignment._chart]

    def _on_image_format(self, event) -> None:
        """Each chart's camera button saves PNG or SVG, as chosen in the Export card."""
        for pane in self.charts:
            options = {**pane.config.get("toImageButtonOptions", {}), "format": event.new}
            pane.update_config(toImageButtonOptions=options)

    def _on_tab(self, event) -> None:
        self.table.active = event.new == 1
        self.analysis.active = event.new == 2

    @param.depends(*SELECTION_DEPENDS, watch=True)
    def _on_selection(self) -> None:
        self._link_notices = []  # they were about the link that opened the page
        self._show_notices()

    def report_stale(self, served: ServedDataset) -> None:
        """Say that the files on disk are not what is shown, and why (the report is logged)."""
        fingerprint = self.dataset.fingerprint
        if served.problems and read_faults_only(served.problems):
            log.error("dataset %s cannot be read:\n%s", self.dataset.path,
                      "\n".join(map(str, served.problems)))  # fmt: skip
            self.notify(
                [
                    "The dataset could not be read (its engine could not be reached, or a table "
                    "or file in it is missing or unreadable); the last good version keeps "
                    f"serving (fingerprint {fingerprint}). The error:",
                    *[p.message for p in served.problems[:8]],
                ]
            )
        elif served.problems:
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
        """Show notices about the data (stale files, a reload) above the views."""
        self._data_notices = list(messages)
        self._show_notices()

    def notify_link(self, messages: list[str]) -> None:
        """Show what the page's link asked for that could not be applied, until the next change."""
        self._link_notices = list(messages)
        self._show_notices()

    def _show_notices(self) -> None:
        """Data notices, link notices and what the current selection says, escaped."""
        messages = [*self._data_notices, *self._link_notices, *self.selection_notices()]
        if messages:
            items = "".join(f"<li>{html.escape(m)}</li>" for m in messages[:12])
            self.notices.object = f"<ul class='notice'>{items}</ul>"
        self.notices.visible = bool(messages)

    def selection_notices(self) -> tuple[str, ...]:
        return query.select(self.dataset, self.filters).notices

    def __panel__(self):
        return pn.FlexBox(
            pn.Column(self.controls, self.export, width=300),
            _flexible(self.main, basis=600, least=360),
            flex_wrap="wrap",
            sizing_mode="stretch_width",
        )


def _flexible(item, *, basis: int, least: int) -> pn.Column:
    """A column that grows to fill its row from ``basis`` px, shrinks to ``least`` px, and
    moves to a line of its own below that (in a wrapping ``FlexBox``)."""
    return pn.Column(
        item,
        min_width=least,
        sizing_mode="stretch_width",
        styles={"flex": f"1 1 {basis}px"},
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
    query_args = {}
    for key, values in args.items():
        if not values:
            continue
        raw = values[-1]
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        query_args[str(key)] = text
    return query_args


def _sync_url(board: Dashboard) -> None:
    """Apply the link's filters once, then keep the link in step with the filters."""
    ds = board.dataset
    updates, notices = state.from_query(
        _session_query(),
        actors=ds.actor_ids,
        event_types=list(ds.event_types["id"]),
        relation_types=list(ds.relation_types["id"]),
        regions=ds.regions,
        event_exists=lambda event_id: query.has_event(ds, event_id),
    )
    if updates:
        board.filters.param.update(**updates)
    board.notify_link(notices)
    location = pn.state.location
    if location is None:
        return

    def write(*_):
        query_string = state.to_query(board.filters)
        location.search = "?" + urllib.parse.urlencode(query_string) if query_string else ""

    board.filters.param.watch(write, list(FILTERS))
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
    """What the browser shows for a dataset that fails validation or cannot be read: the
    report or the error, not a traceback."""
    log.error("%s", exc)
    where = html.escape(str(exc.path))
    if exc.read_fault:
        heading = (
            f"<b>Cannot read the dataset in <code>{where}</code></b>: its engine could not be "
            "reached, or a table or file in it is missing or unreadable. The error is below; "
            "fix it and reload this page."
        )
        report, css, title = "\n".join(p.message for p in exc.problems), "read-error", "unreadable"
    else:
        heading = (
            f"<b>The dataset in <code>{where}</code> did not pass validation</b>: "
            f"{len(exc.problems)} problem(s). Fix them and reload this page; "
            "<code>alliances validate</code> prints the same report."
        )
        report, css, title = "\n".join(str(p) for p in exc.problems), "validation-report", "invalid"
    body = pn.Column(
        pn.pane.Alert(heading, alert_type="danger"),
        pn.pane.HTML(
            f"<pre class='{css}'>{html.escape(report)}</pre>", sizing_mode="stretch_width"
        ),
        sizing_mode="stretch_width",
    )
    return pn.template.BootstrapTemplate(title=f"{TITLE}: {title} dataset", main=[body])


def data_from_argv(argv: list[str] | None = None) -> str | None:
    """``--data FOLDER`` from ``panel serve APP --args --data FOLDER`` (else ``None``)."""
    argv = sys.argv[1:] if argv is None else argv
    for i, arg in enumerate(argv):
        if arg == "--data" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--data="):
            return arg.split("=", 1)[1]
    return None


def warm_up(data: str | os.PathLike[str] | None = None) -> None:
    """Load the dataset and compute what every session shares, once, before the first page
    (``dashboards/warm_up.py``, run by ``panel serve --setup``). A dataset that does not load
    is left for the first session to report."""
    from . import metrics
    from .figures.network import network_for, relation_hovers
    from .figures.timeline import timeline_for

    try:
        served = serve_dataset(data)
    except OSError:
        return
    dataset = served.dataset
    if dataset is None:
        return
    metrics.layout(dataset)
    relation_hovers(dataset)
    defaults = Filters()
    network_for(dataset, defaults)  # the default view's selection, ranking and hovers
    timeline_for(dataset, defaults)


def create_app(data: str | os.PathLike[str] | None = None) -> pn.template.BaseTemplate:
    """One browser session's dashboard (``panel serve`` calls this per session)."""
    pn.extension("plotly", "tabulator", disconnect_notification=DISCONNECTED)
    quiet_closed_websockets()
    one_message_per_change()
    try:
        served = serve_dataset(data)
    except OSError as exc:
        log.error("cannot load dataset: %s", exc)
        body = pn.pane.Alert(
            f"Cannot load the dataset: {html.escape(str(exc))}", alert_type="danger"
        )
        return pn.template.BootstrapTemplate(title=f"{TITLE}: no dataset", main=[body])
    if served.dataset is None:
        return error_page(DatasetError(describe(data), served.problems))
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
        main=[board.main, NarrowScreen()],
        sidebar_width=300,
        header_background="#1f3b57",
    )
    template.config.raw_css.append(SIDEBAR_CSS)
    return template
