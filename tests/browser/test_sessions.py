"""Sessions that Bokeh builds from a page's websocket, in Chromium.

When the websocket reaches a process that does not hold the session the page's HTTP request
created (another ``--num-procs`` worker, or the session was discarded before the page
connected), Bokeh builds a new session from the token. The page must still load nothing off
the server: Panel rewrites its stylesheet URLs (cdn.holoviz.org) only while it renders a
page's HTML, so the app does it itself (``alliances.views.compat.local_stylesheets``).
"""

from __future__ import annotations

import pytest
from reliability.pages import websocket_built_page

pytestmark = pytest.mark.browser


def test_a_session_built_by_its_websocket_loads_nothing_off_the_server(
    browser, short_lived_server, oracle
):
    # Bokeh's JavaScript held back 3 s: the page's own session is gone when it connects
    page = websocket_built_page(short_lived_server, oracle, delay=3.0, browser=browser)

    assert page.ok, "the page did not show its deep link's KPIs"
    assert not page.errors, "\n".join(page.errors)
    assert not page.external, sorted(page.external)
    assert not short_lived_server.error_lines(), short_lived_server.output()
