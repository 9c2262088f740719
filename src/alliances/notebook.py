"""Notebook support: ``alliances.extension()``, the first cell of a notebook that shows views.

Panel loads its notebook JavaScript and CSS (Bokeh, Panel, plotly.js, Tabulator) from its CDN
unless told to inline them; offline, the views then render nothing while the cells run without
error. ``extension()`` loads what the views need from the installed packages instead.
"""

from __future__ import annotations

from typing import Any

EXTENSIONS = ("plotly", "tabulator")
"""The Panel extensions the views use: plotly figures and the events table."""


def extension(*extensions: str, **params: Any) -> None:
    """Load Panel in this notebook with every resource inlined (no CDN); run it in the first cell.

    Further Panel extension names and ``pn.extension`` keywords are passed on.
    """
    import panel as pn

    from .views.compat import inline_stylesheets_in_notebook_updates

    inline_stylesheets_in_notebook_updates()  # and keep them inline when the views update
    names = dict.fromkeys([*EXTENSIONS, *extensions])  # ordered, without repeats
    params["inline"] = True
    pn.extension(*names, **params)
