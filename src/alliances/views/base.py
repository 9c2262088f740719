"""What every Panel view shares: the dataset, one Filters object, and in-place updates."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pandas as pd
import panel as pn
import param

from .. import query
from ..dataset import Dataset, load_dataset
from ..figures.common import empty_figure
from ..fragments import link  # noqa: F401  (re-exported for the views)
from ..state import Filters

log = logging.getLogger("alliances")

ERROR_TEXT = "This view could not be drawn; see the server log."
PLOTLY_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


class FigurePane(pn.pane.Plotly):
    """A Plotly pane that sends figure specs given as plain dicts as they are.

    Panel turns a dict into a ``go.Figure`` before reading it back as JSON; for the
    dashboard's updates that round trip through plotly objects cost more than computing the
    figure. A dict (``{"data": [...], "layout": {...}}``) is read directly instead.
    """

    def _to_figure(self, obj):
        if isinstance(obj, dict) and "data" in obj and "layout" in obj:
            return SimpleNamespace(_data=list(obj["data"]), _layout=dict(obj["layout"]))
        return super()._to_figure(obj)


class Linked(pn.viewable.Viewer):
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


class DatasetView(Linked):
    """A view of one dataset through one :class:`Filters` object.

    Subclasses build their panes once in ``_build`` and refresh them in ``_refresh``; they
    react only to the filter parameters listed in ``_watches``.
    """

    _watches: tuple[str, ...] = (
        "start",
        "end",
        "actors",
        "include_partners",
        "event_types",
        "relation_types",
        "regions",
        "search",
    )

    def __init__(self, **params):
        super().__init__(**params)
        self._layout = self._build()
        self.filters.param.watch(self._on_change, list(self._watches))
        self._refresh()

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

    def show(self, shown: bool) -> None:
        """Tell the view whether it is on screen: a hidden view (a background tab) defers its
        updates until it is shown again, instead of recomputing for nobody."""
        self._hidden = not shown
        if shown and getattr(self, "_stale", False):
            self._stale = False
            self._on_change()

    def _on_change(self, *events: param.parameterized.Event) -> None:
        if getattr(self, "_hidden", False):
            self._stale = True
            return
        try:
            self._refresh()
        except Exception:  # a view must never take the page down
            log.exception("%s failed to update", type(self).__name__)
            self._show_error()

    def _show_error(self) -> None:
        """Replace what the view shows by a message, so stale content never passes for current."""
        for pane in (getattr(self, "_pane", None), getattr(self, "_html", None)):
            if isinstance(pane, pn.pane.Plotly):
                pane.object = empty_figure(ERROR_TEXT, as_dict=True)
            elif isinstance(pane, pn.pane.HTML):
                pane.object = f"<p class='al-error'>{ERROR_TEXT}</p>"
        table = getattr(self, "_table", None)
        if table is not None:
            table.value = pd.DataFrame()
            self._count.object = f"<span class='al-error'>{ERROR_TEXT}</span>"

    def __panel__(self) -> pn.viewable.Viewable:
        return self._layout
