"""Every workaround for a Panel or Bokeh behaviour, and every use of their private names.

Each piece names the upstream behaviour it works around; ``tests/test_compat.py`` fails when a
Panel upgrade breaks a workaround or makes it unnecessary, so that it is dropped, not kept.
"""

from __future__ import annotations

import base64
import functools
from typing import Any

import panel as pn


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
    Idempotent. Checked, with and without it, in tests/browser/test_jupyterlab.py.
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
