"""What every Panel view shares: the dataset, one Filters object, and in-place updates."""

from __future__ import annotations

import html
import io
import logging
from collections.abc import Callable

import pandas as pd
import panel as pn
import param
import plotly.graph_objects as go

from .. import query
from ..dataset import Dataset, load_dataset
from ..downloads import download_name
from ..figures import Spec
from ..figures.common import empty_figure, same_spec
from ..problems import SelectionTooLarge
from ..state import SELECTION, Filters
from .compat import FigurePane

log = logging.getLogger("alliances")

ERROR_TEXT = "This view could not be drawn; see the server log."
PLOTLY_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


def on_filters(*names: str) -> tuple[str, ...]:
    """``param.depends`` names of the shared :class:`Filters` parameters ``names``."""
    return tuple(f"filters.{name}" for name in names)


SELECTION_DEPENDS = on_filters(*SELECTION)
"""The filter parameters every view's selection depends on, for ``param.depends``."""


def made_download(
    viewer: FilteredViewer, what: str, ext: str, content: Callable[[], str | bytes], **params
) -> pn.widgets.FileDownload:
    """A download button for ``what`` (``events``, ``temperature``, ``network`` ...) of
    ``viewer``'s dataset and filters, made and named (:func:`~alliances.downloads.download_name`)
    when it is clicked.

    Panel reads ``filename`` after calling the callback, so the name (which says which filters
    chose the rows) is set there, not sent to the page on every filter change.
    """
    button = pn.widgets.FileDownload(filename=f"alliances-{what}.{ext}", **params)

    def make() -> io.StringIO | io.BytesIO:
        button.filename = download_name(what, viewer.dataset, viewer.filters, ext)
        try:
            data = content()
        except SelectionTooLarge as exc:  # the file says why it holds no rows
            log.warning("download of %s: %s", what, exc)
            button.filename = download_name(
                f"{what}-too-many", viewer.dataset, viewer.filters, "txt"
            )
            return io.StringIO(f"{exc}\n")
        return io.StringIO(data) if isinstance(data, str) else io.BytesIO(data)

    button.callback = make
    return button


class FilteredViewer(pn.viewable.Viewer):
    """Anything shown for one dataset through one shared :class:`Filters` object.

    Without arguments it makes its own Filters and uses the bundled dataset, so that
    ``NetworkView()`` works in a notebook cell as it is.
    """

    filters = param.ClassSelector(class_=Filters, doc="The shared filter state.")
    dataset = param.ClassSelector(class_=Dataset, doc="The dataset shown (default: bundled).")

    def __init__(self, **params):
        if params.get("filters") is None:
            params["filters"] = Filters()
        if params.get("dataset") is None:
            params["dataset"] = load_dataset()
        super().__init__(**params)

    @property
    def shared(self) -> dict:
        """Keyword arguments that link another view to the same filters and dataset."""
        return {"filters": self.filters, "dataset": self.dataset}

    def __repr__(self) -> str:  # param's repr would print the whole dataset in a notebook
        return f"<{type(self).__name__} of {self.dataset!r}, {self.filters!r}>"


class DatasetView(FilteredViewer):
    """A view of one dataset through one :class:`Filters` object.

    Subclasses build their panes once in ``_build``, refresh them in ``_refresh``, and call
    :meth:`update` from a method that ``param.depends`` on the filter parameters they draw from
    (``SELECTION_DEPENDS`` and more).
    """

    active = param.Boolean(
        default=True,
        doc="Whether the view is on screen: a hidden view (a background tab) defers its updates "
        "until it is shown again, instead of recomputing for nobody.",
    )

    def __init__(self, **params):
        super().__init__(**params)
        self._stale = False
        self._layout = self._build()
        self.update()

    # -- data a notebook user can take further
    @property
    def selection(self) -> query.Selection:
        return query.select(self.dataset, self.filters)

    @property
    def events(self) -> pd.DataFrame:
        """The events the filters select (a read-only frame)."""
        return self.selection.events

    @property
    def relations(self) -> pd.DataFrame:
        """The relations the filters select."""
        return self.selection.relations

    # -- subclass hooks
    def _build(self) -> pn.viewable.Viewable:
        raise NotImplementedError

    def _refresh(self) -> None:
        raise NotImplementedError

    def update(self) -> None:
        """Redraw for the current filters now, or when next shown if the view is hidden."""
        if not self.active:
            self._stale = True
            return
        self._stale = False
        self._error = None
        try:
            self._refresh()
        except SelectionTooLarge as exc:  # the filters select more than the view can read
            log.warning("%s: %s", type(self).__name__, exc)
            self._error = str(exc)
            self._show_error()
        except Exception:  # a view must never take the page down
            log.exception("%s failed to update", type(self).__name__)
            self._show_error()

    @property
    def error_text(self) -> str:
        """What the view says instead of its content after a failure (escaped HTML)."""
        error = getattr(self, "_error", None)
        return html.escape(error) if error else ERROR_TEXT

    @param.depends("active", watch=True)
    def _on_shown(self) -> None:
        if self.active and self._stale:
            self.update()

    def _show_error(self) -> None:
        """Replace what the view shows by a message, so stale content never passes for current."""
        raise NotImplementedError

    def __panel__(self) -> pn.viewable.Viewable:
        return self._layout


class ChartView(DatasetView):
    """A view that is one plotly chart: :meth:`spec` builds it, one pane shows it."""

    _height: int | None = 300
    _css_class = ""

    def _build(self) -> pn.viewable.Viewable:
        self._pane = FigurePane(
            config=PLOTLY_CONFIG,
            sizing_mode="stretch_width",
            height=self._height,
            css_classes=[self._css_class],
        )
        return self._pane

    def spec(self) -> Spec:
        """The chart for the current filters, as a plotly figure spec (plain data)."""
        raise NotImplementedError

    def figure(self) -> go.Figure:
        """The chart as a plotly ``Figure`` (a new object each call), to take further."""
        return go.Figure(self.spec())

    def _refresh(self) -> None:
        spec = self.spec()
        # Panel would diff it against the drawn figure and send nothing, after converting
        # and comparing every trace: a chart these filters leave as it was costs nothing
        if not same_spec(spec, self._pane.object):
            self._pane.object = spec

    def _show_error(self) -> None:
        self._pane.object = empty_figure(self.error_text)


class HTMLView(DatasetView):
    """A view that is one HTML fragment: :meth:`html` renders it, one pane shows it."""

    _css_class = ""
    _stylesheets: tuple[str, ...] = ()

    def _build(self) -> pn.viewable.Viewable:
        self._html = pn.pane.HTML(
            "",
            stylesheets=list(self._stylesheets),
            sizing_mode="stretch_width",
            css_classes=[self._css_class],
        )
        return self._html

    def html(self) -> str:
        raise NotImplementedError

    def _refresh(self) -> None:
        self._html.object = self.html()

    def _show_error(self) -> None:
        self._html.object = f"<p class='al-error'>{self.error_text}</p>"
