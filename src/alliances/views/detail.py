"""The event detail card: every field of the selected event, its relation and source."""

from __future__ import annotations

import html

import pandas as pd
import panel as pn

from ..figures.common import lookup, span_label
from .base import DatasetView, link

CARD_CSS = """
.detail dt {font-weight: 600; color: #444; margin-top: 4px;}
.detail dd {margin: 0 0 2px 0;}
.detail .muted, .muted {color: #666;}
"""


def _esc(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return html.escape(str(value))


def detail_html(dataset, event_id: str) -> str:
    """The card for one event id, every dataset text escaped."""
    if not event_id:
        return "<p class='muted'>Click an event in the timeline or the table to see it here.</p>"
    events = dataset.events
    rows = events[events["event_id"] == event_id]
    if rows.empty:
        return f"<p class='muted'>No event with id <code>{_esc(event_id)}</code>.</p>"
    e = rows.iloc[0]
    names = dataset.names
    type_labels = lookup(dataset.event_types, "id", "label")

    def actor(a) -> str:
        return "" if pd.isna(a) else f"{_esc(names.get(str(a), a))} ({_esc(a)})"

    participants = ""
    if pd.notna(e["participants"]):
        parts = [p.strip() for p in str(e["participants"]).split(";") if p.strip()]
        participants = ", ".join(actor(p) for p in parts)
    magnitude = ""
    if pd.notna(e["magnitude"]):
        basis = " (cumulative estimate)" if e["magnitude_basis"] == "cumulative" else ""
        magnitude = f"{e['magnitude']:,.0f} {_esc(e['unit'])}{basis}"
    fields = [
        (
            "Date",
            _esc(span_label(e["date"], e["date_precision"], e["end_date"], e["end_precision"])),
        ),
        ("Type", _esc(type_labels.get(str(e["event_type"]), e["event_type"]))),
        ("Actor 1", actor(e["actor_1"])),
        ("Actor 2", actor(e["actor_2"])),
        ("Participants", participants),
        ("Location", _esc(e["location"])),
        ("Magnitude", magnitude),
        ("Description", _esc(e["description"])),
        ("Source", link(e["source_url"], e["source_name"])),
        ("Other sources", _esc(e["other_sources"])),
        ("Confidence", _esc(e["confidence"])),
        ("Event id", f"<code>{_esc(e['event_id'])}</code>"),
    ]
    if pd.notna(e["relation_id"]):
        rel = dataset.relations[dataset.relations["relation_id"] == str(e["relation_id"])]
        if not rel.empty:
            r = rel.iloc[0]
            dates = span_label(
                r["start_date"], r["start_precision"], r["end_date"], r["end_precision"]
            )
            rel_labels = lookup(dataset.relation_types, "id", "label")
            fields.append(
                (
                    "Relation",
                    f"{_esc(r['title'])} ({_esc(rel_labels.get(str(r['relation_type'])))}, "
                    f"{_esc(dates)}{'' if pd.notna(r['end_date']) else ', in force'}); "
                    f"source: {link(r['source_url'], r['source_name'])}",
                )
            )
    body = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in fields if v)
    return f"<div class='detail'><h4>{_esc(e['title'])}</h4><dl>{body}</dl></div>"


class EventDetail(DatasetView):
    """The selected event (``filters.event``) in full."""

    _watches = ("event",)

    def _build(self):
        self._html = pn.pane.HTML(
            "", stylesheets=[CARD_CSS], sizing_mode="stretch_width", css_classes=["al-detail"]
        )
        return self._html

    def _refresh(self) -> None:
        self._html.object = detail_html(self.dataset, self.filters.event)
