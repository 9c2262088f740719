"""The Panel workarounds of ``alliances.views.compat``: each still works, and is still needed.

A test here fails when a Panel or Bokeh upgrade breaks a workaround (the private name it uses
is gone or changed) or makes it unnecessary (upstream now does it): either way, look again.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import gc
import logging
import re
import threading
from pathlib import Path

import bokeh
import numpy as np
import panel as pn
import panel.io.resources
import panel.models
import panel.reactive
import param
import plotly.graph_objects as go
import pytest
from bokeh.document import Document
from bokeh.model import Model
from bokeh.models import Checkbox, CheckboxGroup, ImportedStyleSheet, UIElement
from panel.io.state import set_curdoc
from panel.models.plotly import PlotlyPlot
from pyviz_comms import Comm

from alliances.views.compat import (
    FigurePane,
    LabelledCheckbox,
    TypableDatePicker,
    inline_stylesheets_in_notebook_updates,
    local_stylesheets,
    one_message_per_change,
    quiet_closed_websockets,
)

SPEC = {"data": [{"type": "scatter", "x": [1, 2], "y": [3, 4]}], "layout": {"height": 200}}


# --------------------------------------------------------------------------- FigurePane


def test_figure_pane_sends_a_spec_dict_as_it_is():
    model = FigurePane(SPEC).get_root(Document())
    plot = next(iter(model.select({"type": PlotlyPlot})))
    assert [t["type"] for t in plot.data] == ["scatter"]
    assert [list(s.data["x"][0]) for s in plot.data_sources] == [[1, 2]]
    assert plot.layout["height"] == 200


def test_figure_pane_sends_flat_lists_as_arrays_and_keeps_the_spec_as_it_was():
    """Numbers and strings in flat lists go to the data sources (as arrays: Bokeh does not walk
    them item by item on each update); booleans, dates and nested lists stay in the trace; the
    pane's ``object`` keeps its lists, and values come through unchanged, ``None`` included."""
    day = dt.date(2024, 6, 19)
    trace = {
        "type": "scatter", "x": [1, 2.5, None], "y": [3, 4, 5], "text": ["<b>A</b>", "B", None],
        "marker": {"size": [4, 5, 6], "color": ["#f00", "red", "blue"]},
        "customdata": [["A", 1], ["B", 2], ["C", 3]], "visible": [True, False, True],
        "hovertext": [day, day, day],
    }  # fmt: skip
    spec = {"data": [trace], "layout": {"height": 200}}
    pane = FigurePane(spec)
    plot = next(iter(pane.get_root(Document()).select({"type": PlotlyPlot})))
    sent = {key: list(value[0]) for key, value in plot.data_sources[0].data.items()}
    assert sent == {
        "x": [1, 2.5, None], "y": [3, 4, 5], "text": ["<b>A</b>", "B", None],
        "marker.size": [4, 5, 6], "marker.color": ["#f00", "red", "blue"],
    }  # fmt: skip
    kept = plot.data[0]
    assert kept["customdata"] == [["A", 1], ["B", 2], ["C", 3]]
    assert kept["visible"] == [True, False, True]
    assert kept["hovertext"] == [str(day)] * 3  # Panel's own conversion of dates
    assert pane.object["data"][0] is trace
    assert trace["marker"]["size"] == [4, 5, 6]
    assert trace["x"] == [1, 2.5, None]


def test_figure_pane_keeps_the_spec_whole_so_a_redraw_keeps_nested_arrays():
    """Panel pops a trace's arrays out of its nested dicts into data sources; the pane must
    leave the spec it was given as it was, or a redraw loses marker sizes."""
    spec = {
        "data": [{"type": "scatter", "x": np.arange(3.0), "marker": {"size": np.array([4, 5, 6])}}],
        "layout": {},
    }
    pane = FigurePane(spec, config={})
    model = pane.get_root(Document())
    plot = next(iter(model.select({"type": PlotlyPlot})))
    assert list(pane.object["data"][0]["marker"]["size"]) == [4, 5, 6]
    pane.update_config(toImageButtonOptions={"format": "svg"})  # redraws from ``object``
    assert sorted(plot.data_sources[0].data) == ["marker.size", "x"]
    assert list(plot.data_sources[0].data["marker.size"][0]) == [4, 5, 6]


def test_panel_still_empties_the_nested_dicts_of_a_trace_it_is_given():
    """What FigurePane's copy guards against. If Panel stops popping arrays out of a trace's
    nested dicts, the copy in ``FigurePane._to_figure`` can go."""
    trace = {"type": "scatter", "x": np.arange(2.0), "marker": {"size": np.array([1, 2])}}
    pn.pane.Plotly._get_sources_for_trace(dict(trace), {})
    assert trace["marker"] == {}


def test_panel_still_converts_a_dict_through_a_plotly_figure():
    """What FigurePane saves: Panel's own pane validates a dict as a ``go.Figure`` through the
    private ``_to_figure`` hook. If this fails, Panel changed: check whether FigurePane is
    still needed, and still reached."""
    assert hasattr(pn.pane.Plotly, "_to_figure")
    assert isinstance(pn.pane.Plotly()._to_figure(SPEC), go.Figure)
    assert FigurePane._to_figure is not pn.pane.Plotly._to_figure


def test_update_config_reaches_the_drawn_model_and_sends_the_figure_again():
    pane = FigurePane(SPEC, config={"displaylogo": False})
    model = pane.get_root(Document())
    plot = next(iter(model.select({"type": PlotlyPlot})))
    sent = []
    for attr in ("data", "_render_count"):  # Panel redraws through either
        plot.on_change(attr, lambda attr, old, new: sent.append(attr))
    pane.update_config(toImageButtonOptions={"format": "svg"})
    assert plot.config == {"displaylogo": False, "toImageButtonOptions": {"format": "svg"}}
    assert sent, "the figure must be drawn again for plotly.js to read the new config"


def test_panel_plotly_view_still_ignores_config_changes():
    """What ``update_config`` works around: the browser side of Panel's plotly pane redraws on
    data, layout, relayout, restyle and frames, not on ``config``. If ``config`` is watched
    now, the re-send in ``update_config`` can go."""
    source = (Path(panel.models.__file__).parent / "plotly.ts").read_text(encoding="utf-8")
    watched = re.findall(r"this\.on_change\(\[?([^,\]\)]+(?:, [^\]\)]+)*)\]?,", source)
    assert watched, "Panel's plotly.ts changed shape: look at update_config again"
    assert not any("config" in names for names in watched)


# --------------------------------------------------------------------------- stylesheets


def _stylesheet_urls(doc: Document) -> list[str]:
    urls = []
    for root in doc.roots:
        for model in root.references():
            for sheet in getattr(model, "stylesheets", None) or []:
                url = getattr(sheet, "url", None)
                if url:
                    urls.append(url)
    return urls


def test_local_stylesheets_takes_panel_css_off_the_cdn():
    """A session built from a websocket keeps Panel's CDN stylesheet URLs (the page's HTML
    rewrite never ran): the workaround points them at the server. If the first assertion
    fails, Panel no longer names its CDN there and the workaround can go."""
    doc = Document()
    with set_curdoc(doc):
        pn.Column(pn.widgets.Button(label="x"), pn.widgets.TextInput()).server_doc(doc)
        assert any("cdn.holoviz.org" in url for url in _stylesheet_urls(doc))
        local_stylesheets()
    urls = _stylesheet_urls(doc)
    assert urls
    assert not [url for url in urls if "cdn.holoviz.org" in url]


# --------------------------------------------------------------------------- closed websockets


def test_closed_websocket_errors_are_dropped_and_others_still_logged(caplog):
    from tornado.websocket import WebSocketClosedError

    async def run() -> None:
        quiet_closed_websockets()
        quiet_closed_websockets()  # installed once, not stacked
        loop = asyncio.get_running_loop()
        loop.call_exception_handler({"message": "closed", "exception": WebSocketClosedError()})
        loop.call_exception_handler({"message": "real", "exception": RuntimeError("boom")})

    # in a thread of its own: the test session may already run an event loop in this one
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        worker = threading.Thread(target=asyncio.run, args=(run(),))
        worker.start()
        worker.join(timeout=30)
    messages = [r.getMessage() for r in caplog.records]
    assert any("real" in m for m in messages)
    assert not any("closed" in m for m in messages)


def test_panel_still_leaves_a_closed_pages_failed_writes_unretrieved():
    """What ``quiet_closed_websockets`` works around (holoviz/panel#3341): a page closes while
    Panel's task awaits its first queued write; destroying the document cancels that task, and
    a queued write that then fails (the socket is gone) is never awaited, so asyncio logs its
    ``WebSocketClosedError``. If nothing is logged here, Panel retrieves them now: drop it."""
    from functools import partial

    from panel.io.document import (
        _WRITE_FUTURES,
        _destroy_document,
        _dispatch_write_task,
        _run_write_futures,
    )
    from tornado.websocket import WebSocketClosedError

    def logged(quiet: bool) -> list[dict]:
        contexts: list[dict] = []

        async def run() -> None:
            loop = asyncio.get_running_loop()
            loop.set_exception_handler(lambda loop, context: contexts.append(context))
            if quiet:
                quiet_closed_websockets()
            doc = Document()
            doc.destroy = partial(_destroy_document, doc)  # as Panel's server sets it
            sending, queued = loop.create_future(), loop.create_future()
            _WRITE_FUTURES[doc] = [sending, queued]
            _dispatch_write_task(doc, _run_write_futures, doc)
            await asyncio.sleep(0)  # Panel's task now awaits the first write
            doc.destroy(None)  # the page closed
            await asyncio.sleep(0)
            queued.set_exception(WebSocketClosedError())
            del sending, queued
            gc.collect()
            await asyncio.sleep(0)

        worker = threading.Thread(target=asyncio.run, args=(run(),))
        worker.start()
        worker.join(timeout=30)
        return contexts

    try:
        unquiet = logged(quiet=False)
        assert [type(c.get("exception")) for c in unquiet] == [WebSocketClosedError]
        assert "never retrieved" in unquiet[0]["message"]
        assert logged(quiet=True) == []  # and the workaround drops exactly that
    finally:
        pn.state.cancel_task("gc.collect")  # what destroying a document schedules


# --------------------------------------------------------------------------- typable dates


def test_typable_date_picker_reads_and_writes_plain_dates():
    picker = TypableDatePicker(value=dt.datetime(2024, 1, 2))
    props = picker._process_param_change({"value": picker.value})
    assert props["value"] == "2024-01-02"
    assert props["date_format"] == "Y-m-d"
    assert picker._process_property_change({"value": "2024-05-06"})["value"] == dt.datetime(
        2024, 5, 6
    )
    assert picker._process_property_change({"value": "6 May"})["value"] is None
    model = picker.get_root(Document())
    assert (model.allow_input, model.enable_time, model.date_format) == (True, False, "Y-m-d")


@pytest.mark.parametrize("widget", [pn.widgets.DatePicker, pn.widgets.DatetimePicker])
def test_panel_date_pickers_still_need_the_workaround(widget):
    """If Panel's DatePicker gains typed input, or its DatetimePicker a date-only format, use
    that instead of TypableDatePicker."""
    if widget is pn.widgets.DatePicker:
        assert "allow_input" not in widget.param
    else:
        assert "date_format" not in widget.param
        assert widget()._deserialize_value(dt.date(2024, 1, 2)) == "2024-01-02 00:00:00"


# --------------------------------------------------------------------------- one message


def test_one_message_per_change_wraps_panel_once_and_still_applies_changes():
    from panel.reactive import Syncable

    one_message_per_change()
    one_message_per_change()  # installed once, not stacked
    for name in ("_change_event", "_process_bokeh_event"):
        method = getattr(Syncable, name)
        assert method.alliances
        assert not getattr(method.__wrapped__, "alliances", False)
    text = pn.widgets.TextInput(value="a")
    doc = Document()
    text.get_root(doc)
    text._events = {"value": "b"}  # what a browser's PATCH-DOC leaves for Panel to process
    with set_curdoc(doc):
        text._change_event(doc)
    assert text.value == "b"


def test_panel_still_processes_a_server_change_without_holding_the_document():
    """What ``one_message_per_change`` adds: Panel's server path (``_change_coroutine``)
    calls ``_change_event`` outside ``hold``, while its notebook path holds. If the server
    path holds the document now, the workaround can go."""
    import inspect

    from panel.reactive import Syncable

    one_message_per_change()
    server = inspect.getsource(Syncable._change_coroutine)
    notebook = inspect.getsource(Syncable._schedule_change)
    assert "self._change_event(doc)" in server
    assert "hold(" not in server
    assert "hold(" in notebook
    assert "hold(" not in inspect.getsource(Syncable._change_event.__wrapped__)


# --------------------------------------------------------------------------- labelled checkbox


class Flag(param.Parameterized):
    flag = param.Boolean(default=False)


def test_labelled_checkbox_keeps_the_box_and_its_parameter_in_step():
    flags = Flag(flag=True)
    box = LabelledCheckbox(flags.param.flag, "Include partners")
    doc = Document()
    root = pn.panel(box).get_root(doc)
    model = next(iter(root.select({"type": CheckboxGroup})))
    assert (model.labels, model.active) == (["Include partners"], [0])
    flags.flag = False
    assert model.active == []
    box.widget._events = {"active": [0]}  # a click in the browser, on the box or its text
    with set_curdoc(doc):
        box.widget._change_event(doc)
    assert flags.flag is True


def _bokeh_js_class(source: str, name: str) -> str:
    """The compiled BokehJS class ``name`` (up to its export) in ``source``."""
    start = source.index(f"class {name} ")
    return source[start : source.index(f"exports.{name} ", start)]


def test_panel_checkbox_still_renders_its_text_outside_a_label():
    """What LabelledCheckbox works around (holoviz/panel#7106): Panel's ``Checkbox`` is drawn
    by Bokeh's view, which puts its text in a ``<div>`` beside the box with no click handler,
    while a ``CheckboxGroup`` wraps box and text in a ``<label>``. If Bokeh's checkbox wraps
    its text in a ``<label>`` now (or Panel draws it another way), use ``Checkbox``."""
    assert type(pn.widgets.Checkbox(label="x").get_root(Document())) is Checkbox
    js = (Path(bokeh.__file__).parent / "server/static/js/bokeh-widgets.js").read_text("utf-8")
    toggle = _bokeh_js_class(js, "ToggleInputView")
    checkbox = _bokeh_js_class(js, "CheckboxView")
    group = _bokeh_js_class(js, "CheckboxGroupView")
    assert "this.label_el = (0, dom_1.div)(" in toggle
    assert "this.shadow_el.append(this.checkbox_el, this.label_el)" in checkbox
    assert "dom_1.label" not in toggle + checkbox
    assert "label_el.addEventListener" not in toggle + checkbox
    assert "(0, dom_1.label)(checkbox" in group


# --------------------------------------------------------------------------- notebook stylesheets
# inline_stylesheets_in_notebook_updates, checked without a browser: a
# cell rendered as Panel renders it for a notebook with inline resources (its
# ``_repr_mimebundle_``, less the kernel), then updated as a widget in another cell would.


class SilentComm(Comm):
    """A notebook comm that sends nothing (no kernel here)."""

    def init(self) -> None:
        pass

    def send(self, *args, **kwargs) -> None:
        pass

    def close(self) -> None:
        pass

    @classmethod
    def decode(cls, msg):
        return msg


def render_cell(obj) -> Model:
    """``obj``'s model as Panel 1.9 renders it into a notebook cell with ``inline=True``."""
    from panel.io.notebook import patch_inline_stylesheets
    from panel.io.resources import set_resource_mode

    with set_resource_mode("inline"):
        root = pn.panel(obj)._render_model(Document(), SilentComm())
    for model in root.select({"type": UIElement}):
        patch_inline_stylesheets(model)
    return root


def stylesheet_urls(root: Model) -> set[str]:
    return {
        sheet.url
        for model in root.select({"type": UIElement})
        for sheet in model.stylesheets
        if isinstance(sheet, ImportedStyleSheet)
    }


def filter_update_from_another_cell() -> tuple[Model, pn.pane.HTML]:
    """An HTML pane shown in one cell, updated by a checkbox shown (and ticked) in another."""
    state = Flag()
    html = pn.pane.HTML("before", css_classes=["al-kpis"])
    state.param.watch(lambda event: setattr(html, "object", f"flag {event.new}"), "flag")
    root = render_cell(html)
    checkbox_root = render_cell(pn.widgets.Checkbox.from_param(state.param.flag))
    with set_curdoc(checkbox_root.document):  # as while Panel handles the checkbox's message
        state.flag = True
    return root, html


@pytest.fixture
def inline_notebook(monkeypatch: pytest.MonkeyPatch) -> None:
    """``pn.config.inline`` on, and Panel's functions restored after the test."""
    monkeypatch.setattr(pn.config, "inline", True)
    for module in (panel.reactive, panel.io.resources):
        monkeypatch.setattr(module, "patch_stylesheet", module.patch_stylesheet)


def test_panel_still_sends_its_stylesheets_from_the_cdn_on_notebook_updates(inline_notebook):
    """The upstream gap: when this fails, Panel inlines updates itself; drop the workaround."""
    from panel.io.resources import CDN_DIST

    root, html = filter_update_from_another_cell()
    assert html.object == "flag True"
    assert any(url.startswith(CDN_DIST) for url in stylesheet_urls(root))


def test_compat_keeps_notebook_updates_off_the_cdn(inline_notebook):
    from panel.io.resources import DIST_DIR

    inline_stylesheets_in_notebook_updates()
    inline_stylesheets_in_notebook_updates()  # twice is once
    root, html = filter_update_from_another_cell()
    assert html.object == "flag True"  # the update went through, in its own document
    urls = stylesheet_urls(root)
    assert urls, "Panel no longer sends its stylesheets as URLs: check the workaround"
    assert all(url.startswith("data:text/css;base64,") for url in urls), urls
    files = {base64.b64decode(url.split(",", 1)[1]) for url in urls}
    assert (DIST_DIR / "css" / "loading.css").read_bytes() in files
