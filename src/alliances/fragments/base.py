"""The fragments' shared pieces: the Jinja2 environment and its macros, text, links, numbers
and the stylesheet. Dataset text is escaped here, by autoescaping, and nowhere else."""

from __future__ import annotations

import re
from functools import cache

import jinja2
import pandas as pd

from .. import schema
from ..dates import partial_spans

MAX_TYPES_SHOWN = 6
MAX_TOTALS_SHOWN = 4
MAX_CHANGES_SHOWN = 40
MAX_ACTOR_EVENTS = 8
_URL = schema.URL_PATTERN
_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"'`;]+", re.IGNORECASE)


def safe_url(value: object) -> bool:
    """True only for http(s) URLs without spaces or quotes: anything else is never a link."""
    return isinstance(value, str) and bool(_URL.match(value))


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("alliances", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.tests["safe_url"] = safe_url
    env.tests["color"] = lambda v: isinstance(v, str) and bool(schema.COLOR_PATTERN.match(v))
    env.filters["text"] = text
    return env


@cache
def _macros():
    return environment().get_template("macros.html.j2").module


def macro(name: str):
    """A macro of macros.html.j2 as a callable returning markup."""
    return getattr(_macros(), name)


def text(value: object) -> str:
    """Dataset value as display text ('' for missing)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value)


def with_links(value: object) -> list[tuple[str, str | None]]:
    """Text cut into (text, url) pieces: each http(s) address in it becomes a piece with its
    URL (the template makes those links; the rest stays escaped text)."""
    text_value = text(value)
    pieces: list[tuple[str, str | None]] = []
    last = 0
    for match in _URL_IN_TEXT.finditer(text_value):
        url = match.group(0).rstrip(".,)")
        end = match.start() + len(url)
        if match.start() > last:
            pieces.append((text_value[last : match.start()], None))
        pieces.append((url, url if safe_url(url) else None))
        last = end
    if last < len(text_value):
        pieces.append((text_value[last:], None))
    return pieces


def link(url: object, label: object) -> str:
    """An ``<a>`` for an http(s) URL, escaped; only the escaped label for anything else."""
    return str(macro("link")(url if isinstance(url, str) else None, text(label)))


def number(value: float) -> str:
    """A compact figure: 50.0 bn, 1.2 m, 7,000."""
    for size, suffix in ((1e12, " tn"), (1e9, " bn"), (1e6, " m")):
        if abs(value) >= size:
            return f"{value / size:,.1f}{suffix}"
    return f"{value:,.0f}"


def magnitude_text(value: object, unit: object, basis: object) -> str:
    """A magnitude with its unit, and a note when it is a running estimate."""
    if value is None or pd.isna(value):
        return ""
    note = " (cumulative estimate)" if basis == "cumulative" else ""
    return f"{float(value):,.0f} {text(unit)}{note}".strip()


def event_dates(events: pd.DataFrame) -> pd.Series:
    """Each event's date or span at the precision its source gives."""
    return partial_spans(
        events["date"], events["date_precision"], events["end_date"], events["end_precision"]
    )


CSS = """
.kpis {display: flex; flex-wrap: wrap; gap: 6px;}
.kpi {background: #f4f6f9; border-radius: 6px; padding: 4px 10px; min-width: 80px;}
.kpi-value {font-size: 1.2em; font-weight: 600; color: #1f3b57;}
.kpi-label {font-size: 0.75em; color: #555; max-width: 160px;}
.detail h4 {margin: 0 0 2px 0;}
.detail-when {margin: 0; color: #444;}
.detail-source {margin: 2px 0 6px 0;}
.detail dt {font-weight: 600; color: #444; margin-top: 4px;}
.detail dd {margin: 0 0 2px 0; overflow-wrap: anywhere;}
.detail ul {margin: 0; padding-left: 1.1em;}
.muted {color: #666;}
table.vocab, table.data {border-collapse: collapse; font-size: 0.9em; margin-bottom: 1em;
  display: block; max-width: 100%; overflow-x: auto;}  /* a narrow screen scrolls the table */
table.vocab th, table.vocab td, table.data th, table.data td {
  border-bottom: 1px solid #e3e6ea; padding: 3px 8px; text-align: left; vertical-align: top;}
.swatch {display: inline-block; width: 12px; height: 12px; border-radius: 2px;}
"""
"""The fragments' stylesheet, used by the dashboard's panes and by the briefing."""
