"""HTML fragments (KPI cards, event and actor cards, tables, analyses) rendered with
autoescaping Jinja2.

The dashboard's panes and the offline briefing render the same macros
(``templates/macros.html.j2``), so dataset text is escaped by one mechanism everywhere and
links are made only from http(s) URLs. ``base`` holds that mechanism; ``cards`` and
``tables`` what is built with it.
"""

from __future__ import annotations

from .base import CSS, environment, link, macro, number, safe_url, text, with_links
from .cards import (
    actor_html,
    actor_record,
    change_items,
    changes_html,
    describe_filters,
    detail_html,
    event_record,
    kpi_cards,
    kpis_html,
)
from .tables import (
    EVENT_TABLE_COLUMNS,
    alignment_html,
    event_rows,
    event_table,
    relation_rows,
    shift_items,
    shifts_html,
)

__all__ = [
    "CSS",
    "EVENT_TABLE_COLUMNS",
    "actor_html",
    "actor_record",
    "alignment_html",
    "change_items",
    "changes_html",
    "describe_filters",
    "detail_html",
    "environment",
    "event_record",
    "event_rows",
    "event_table",
    "kpi_cards",
    "kpis_html",
    "link",
    "macro",
    "number",
    "relation_rows",
    "safe_url",
    "shift_items",
    "shifts_html",
    "text",
    "with_links",
]
