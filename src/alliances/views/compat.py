"""Every workaround for a Panel or Bokeh behaviour, and every use of their private names.

Each piece names the upstream behaviour it works around; ``tests/test_compat.py`` fails when a
Panel upgrade breaks a workaround or makes it unnecessary, so that it is dropped, not kept.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import functools
from types import SimpleNamespace
from typing import Any

import numpy as np
import panel as pn
import param


class FigurePane(pn.pane.Plotly):
    """A Plotly pane that sends figure specs given as plain dicts as they are.

    Panel 1.9 turns a dict into a ``go.Figure`` (validating every trace) before reading it
    back as JSON; for the dashboard's updates that round trip cost more than computing the
    figure (plotly/plotly.py#1812). A dict ``{"data": [...], "layout": {...}}`` is read
    directly instead, through the private ``Plotly._to_figure`` hook.

    Panel then moves every array of a trace into a data source by popping it out of the
    trace, nested dicts included (``Plotly._get_sources_for_trace``), and its copy of each
    trace is shallow: it would empty the spec's ``marker`` and ``line`` dicts in place, and a
    redraw from ``object`` (``update_config``, or the same spec set again) would drop the
    marker sizes and colours. So the traces' dicts are copied here (not their arrays), and
    ``object`` stays the spec the view made.

    The copy also turns a trace's flat lists of numbers and strings (marker sizes and
    colours, labels, hover texts) into arrays, which Panel moves into the data sources with
    the rest: kept as lists they stay in the model's ``data``, and Bokeh walks every item of
    them for model references each time the figure changes (23-29 ms against 7.5 ms per
    update of the 1e7-event network, docs/performance.md). The spec keeps its lists.
    """

    def _to_figure(self, obj: Any) -> Any:
        if isinstance(obj, dict) and "data" in obj and "layout" in obj:
            data = [_dicts_copied(trace) for trace in obj["data"]]
            return SimpleNamespace(_data=data, _layout=dict(obj["layout"]))
        return super()._to_figure(obj)

    def update_config(self, **options: Any) -> None:
        """Merge ``options`` into the plotly ``config`` and redraw, so a drawn chart obeys it.

        Panel 1.9's plotly view reads ``config`` only when it redraws for new data or layout
        (``panel/models/plotly.ts`` watches neither ``config`` nor asks plotly.js to re-read
        it), so the figure is drawn again (Panel bumps its render count); ``Plotly.react``
        replots when the config changed.
        """
        self.config = {**self.config, **options}
        self.param.trigger("object")


def _dicts_copied(value: Any) -> Any:
    """``value`` with its dicts (and lists of dicts) copied all the way down, flat lists of
    numbers or strings made arrays (:func:`_as_array`), other values (arrays above all)
    shared."""
    if isinstance(value, dict):
        return {key: _dicts_copied(item) for key, item in value.items()}
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [_dicts_copied(item) for item in value]
    if isinstance(value, list):
        return _as_array(value)
    return value


_SCALARS = (int, float, str, np.integer, np.floating, type(None))


def _as_array(values: list) -> Any:
    """A flat list of numbers, strings and ``None`` as an array (strings, mixed values and
    ``None`` as objects: sent as the list they were), else the list itself. Booleans, dates
    and nested lists stay lists: Panel converts dates itself, and plotly reads a nested list
    (``customdata``) row by row."""
    if not values or not all(
        isinstance(v, _SCALARS) and not isinstance(v, (bool, np.bool_)) for v in values
    ):
        return values
    numbers = all(isinstance(v, int | float | np.integer | np.floating) for v in values)
    return np.asarray(values) if numbers else np.asarray(values, dtype=object)


def local_stylesheets() -> None:
    """Point the session's Panel stylesheets at this server's ``static/`` route.

    Panel rewrites its components' stylesheet URLs (which name cdn.holoviz.org) only while it
    renders a page's HTML. A session that Bokeh builds from a websocket instead (the page's own
    session reached another ``--num-procs`` worker, or was discarded before the page connected)
    would keep the CDN URLs: offline, such a page loses Panel's widget and table styles.
    Call it after ``.servable()``; it is harmless when the page's HTML did the rewrite.
    Uses Panel's private ``panel.io.resources.patch_model_css`` and ``LOCAL_DIST``.
    """
    from panel.io.resources import LOCAL_DIST, patch_model_css

    rel = pn.state.rel_path
    dist = f"{rel}/{LOCAL_DIST}" if rel else LOCAL_DIST
    for root in pn.state.curdoc.roots:
        patch_model_css(root, dist_url=dist)


def quiet_closed_websockets() -> None:
    """Drop the tracebacks asyncio logs when a page closes in the middle of an update.

    Panel 1.9 cancels a closed session's pending writes but never awaits writes that already
    failed (holoviz/panel#3341), so asyncio logs "Task exception was never retrieved" with a
    ``WebSocketClosedError`` per page closed mid-update. Those, and only those, are dropped,
    by an exception handler on the server's event loop (installed once).
    """
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


def one_message_per_change() -> None:
    """Send what one browser change does to the page as one message, not one per view.

    Panel 1.9 processes a change from the browser (a widget's new value, a click) in
    ``Syncable._change_event`` / ``_process_bokeh_event`` without holding the document, so
    every pane that follows the change writes its own ``PATCH-DOC`` (a dozen per filter
    change here), and Bokeh serialises each against every model of the document
    (``Serializer(references=doc.models.synced_references)``). Panel's notebook path
    (``Syncable._schedule_change``) already wraps the same call in ``panel.io.hold``; this
    does the same for the server: events on one property combine, and the whole change goes
    out as one message. Installed once per process, for every Panel component.
    """
    from panel.reactive import Syncable

    for name in ("_change_event", "_process_bokeh_event"):
        original = getattr(Syncable, name)
        if getattr(original, "alliances", False):
            continue
        setattr(Syncable, name, _held(original))


def _held(method: Any) -> Any:
    @functools.wraps(method)
    def held(self: Any, doc: Any, *args: Any) -> Any:
        with pn.io.hold(doc):
            return method(self, doc, *args)

    held.alliances = True  # type: ignore[attr-defined]
    return held


class TypableDatePicker(pn.widgets.DatetimePicker):
    """A date field that takes a typed ``YYYY-MM-DD`` as well as a click in its calendar.

    Panel's and Bokeh's ``DatePicker`` open a read-only field (flatpickr without
    ``allowInput``); Panel's ``DatetimePicker`` allows input but reads and writes
    ``YYYY-MM-DD HH:MM:SS`` (its private ``_serialize_value``/``_deserialize_value``), which is
    wrong for a date. This one sends and reads plain dates; ``value`` stays a ``datetime`` at
    midnight (``None`` for an empty or unreadable field).
    """

    def __init__(self, **params: Any):
        params.setdefault("enable_time", False)
        params.setdefault("allow_input", True)
        super().__init__(**params)

    def _serialize_value(self, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return dt.datetime.strptime(value.strip()[:10], "%Y-%m-%d")
            except ValueError:
                return None
        return value

    def _deserialize_value(self, value: Any) -> Any:
        if isinstance(value, dt.date):
            return value.strftime("%Y-%m-%d")
        return value

    def _process_param_change(self, params: dict[str, Any]) -> dict[str, Any]:
        props = super()._process_param_change(params)
        props["date_format"] = "Y-m-d"
        return props


def inline_stylesheets_in_notebook_updates() -> None:
    """Keep Panel's own stylesheets off its CDN in a notebook after the first render too.

    With ``pn.extension(inline=True)`` Panel 1.9 inlines its stylesheets (``loading.css``, the
    theme's ``default.css`` and ``native.css``) only when a cell first renders (the gap left by
    holoviz/panel#7701, for holoviz/panel#5167). An update afterwards (an HTML pane's new
    ``object``, from a widget or a filter set in another cell) re-sends them as
    ``ImportedStyleSheet`` URLs on cdn.holoviz.org, which offline fail to load.

    Every Panel stylesheet of a model passes through ``patch_stylesheet`` (imported by
    ``panel.reactive`` and looked up in ``panel.io.resources`` by the themes) when Panel
    builds or updates the model's properties; this wraps it so that, while ``pn.config.inline``
    is on, a URL naming an installed Panel file becomes a ``data:`` URL of that file.
    Idempotent. Checked, with and without it, in tests/test_compat.py.
    """
    import panel.io.resources
    import panel.reactive

    for module in (panel.reactive, panel.io.resources):
        if not getattr(module.patch_stylesheet, "alliances", False):
            module.patch_stylesheet = _inline_patch_stylesheet(module.patch_stylesheet)


def _inline_patch_stylesheet(patch: Any) -> Any:
    """Panel's ``patch_stylesheet(stylesheet, dist_url)``, then a ``data:`` URL when inline."""

    @functools.wraps(patch)
    def patch_stylesheet(stylesheet: Any, dist_url: str) -> None:
        patch(stylesheet, dist_url)
        if not pn.config.inline:
            return
        url = getattr(stylesheet, "url", None)
        data = _data_url(url) if isinstance(url, str) else None
        if data is not None:
            stylesheet.url = data

    patch_stylesheet.alliances = True  # type: ignore[attr-defined]
    return patch_stylesheet


@functools.lru_cache(maxsize=64)
def _data_url(url: str) -> str | None:
    """``data:`` URL of the installed Panel file that a CDN (or server) URL names, else None."""
    from panel.io.resources import CDN_DIST, DIST_DIR, LOCAL_DIST

    for prefix in (CDN_DIST, LOCAL_DIST):
        if url.startswith(prefix):
            path = DIST_DIR / url[len(prefix) :].split("?")[0]
            if path.is_file() and path.suffix == ".css":
                return "data:text/css;base64," + base64.b64encode(path.read_bytes()).decode()
    return None


class LabelledCheckbox(pn.viewable.Viewer):
    """A checkbox whose label text also toggles it, kept in step with one boolean parameter.

    Panel's ``Checkbox`` renders its label as a ``<div>`` beside the box, so a click on the
    text does nothing (holoviz/panel#7106). A one-option ``CheckBoxGroup`` renders a
    ``<label>`` around box and text, which browsers and screen readers treat as one control.
    """

    def __init__(self, parameter: param.Parameter, label: str, **params: Any):
        super().__init__()
        self._owner, self._name, self._label = parameter.owner, parameter.name, label
        self.widget = pn.widgets.CheckBoxGroup(
            options=[label], value=[label] if getattr(self._owner, self._name) else [], **params
        )
        self.widget.param.watch(self._from_widget, "value")
        self._owner.param.watch(self._from_owner, self._name)

    def _from_widget(self, event: param.parameterized.Event) -> None:
        checked = self._label in (event.new or [])
        if getattr(self._owner, self._name) != checked:
            setattr(self._owner, self._name, checked)

    def _from_owner(self, event: param.parameterized.Event) -> None:
        wanted = [self._label] if event.new else []
        if self.widget.value != wanted:
            self.widget.value = wanted

    def __panel__(self) -> pn.viewable.Viewable:
        return self.widget
