"""The Panel workarounds of ``alliances.views.compat``: each still works, and is still needed.

A test here fails when a Panel or Bokeh upgrade breaks a workaround (the private name it uses
is gone or changed) or makes it unnecessary (upstream now does it): either way, look again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import threading
from pathlib import Path

import numpy as np
import panel as pn
import panel.models
import plotly.graph_objects as go
import pytest
from bokeh.document import Document
from panel.io.state import set_curdoc
from panel.models.plotly import PlotlyPlot

from alliances.views.compat import (
    FigurePane,
    TypableDatePicker,
    local_stylesheets,
    one_message_per_change,
    quiet_closed_websockets,
)

SPEC = {"data": [{"type": "scatter", "x": [1, 2], "y": [3, 4]}], "layout": {"height": 200}}


# --------------------------------------------------------------------------- FigurePane


def test_figure_pane_sends_a_spec_dict_as_it_is():
    model = FigurePane(SPEC).get_root(Document())
    plot = next(iter(model.select({"type": PlotlyPlot})))
    assert [list(t["x"]) for t in plot.data] == [[1, 2]]
    assert plot.layout["height"] == 200


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
