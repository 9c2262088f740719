"""HTML fragments (KPI cards, event detail, tables) rendered with autoescaping Jinja2.

The dashboard's panes and the offline briefing render the same macros
(``templates/macros.html.j2``), so dataset text is escaped by one mechanism everywhere and
links are made only from http(s) URLs.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2
import pandas as pd

from . import schema
from .dataset import Dataset
from .figures.common import lookup, span_label
from .formats import partial_dates

MAX_TYPES_SHOWN = 6
MAX_TOTALS_SHOWN = 4
MAX_CHANGES_SHOWN = 40
_URL = schema.URL_PATTERN


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


def link(url: object, label: object) -> str:
    """An ``<a>`` for an http(s) URL, escaped; only the escaped label for anything else."""
    return str(macro("link")(url if isinstance(url, str) else None, text(label)))


def number(value: float) -> str:
    """A compact figure: 50.0 bn, 1.2 m, 7,000."""
    for size, suffix in ((1e12, " tn"), (1e9, " bn"), (1e6, " m")):
        if abs(value) >= size:
            return f"{value / size:,.1f}{suffix}"
    return f"{value:,.0f}"


def kpi_cards(kpis: dict[str, Any], type_labels: dict[str, str], relations: int) -> list:
    cards = [("Events", f"{kpis['events']:,}"), ("Relations", f"{relations:,}")]
    for type_id, count in list(kpis["by_type"].items())[:MAX_TYPES_SHOWN]:
        cards.append((type_labels.get(str(type_id), str(type_id)), f"{count:,}"))
    for unit, total in list(kpis["totals"].items())[:MAX_TOTALS_SHOWN]:
        cards.append((f"Total {unit}", number(float(total))))
    return cards


def kpis_html(kpis: dict[str, Any], type_labels: dict[str, str], relations: int) -> str:
    return str(macro("kpis")(kpi_cards(kpis, type_labels, relations)))


def change_items(changes: pd.DataFrame, dataset: Dataset) -> list[dict[str, str]]:
    names = dataset.names
    labels = lookup(dataset.relation_types, "id", "label")
    return [
        {
            "when": span_label(row.when, row.when_precision),
            "change": str(row.change),
            "type": labels.get(str(row.relation_type), str(row.relation_type)),
            "a": names.get(str(row.actor_a), str(row.actor_a)),
            "b": names.get(str(row.actor_b), str(row.actor_b)),
            "title": text(row.title),
        }
        for row in changes.itertuples(index=False)
    ]


def changes_html(changes: pd.DataFrame, dataset: Dataset, limit: int = MAX_CHANGES_SHOWN) -> str:
    """The most recent ``limit`` changes, oldest first, and how many earlier ones were left out."""
    shown = changes.tail(limit)
    return str(macro("changes")(change_items(shown, dataset), len(changes) - len(shown)))


def _actor(dataset: Dataset, actor: object) -> str:
    if actor is None or pd.isna(actor):
        return ""
    return f"{dataset.actor_name(str(actor))} ({actor})"


def event_record(dataset: Dataset, event_id: str | None) -> dict[str, Any] | None:
    """Everything the detail card shows for one event id (None: nothing selected)."""
    if not event_id:
        return None
    from .query import event_index

    positions = event_index(dataset).get_indexer_for([event_id])
    if positions[0] < 0:
        return {"missing": event_id}
    e = dataset.events.iloc[positions[0]]
    type_labels = lookup(dataset.event_types, "id", "label")
    participants = ""
    if pd.notna(e["participants"]):
        parts = [p.strip() for p in str(e["participants"]).split(";") if p.strip()]
        participants = ", ".join(_actor(dataset, p) for p in parts)
    magnitude = ""
    if pd.notna(e["magnitude"]):
        basis = " (cumulative estimate)" if e["magnitude_basis"] == "cumulative" else ""
        magnitude = f"{e['magnitude']:,.0f} {text(e['unit'])}{basis}"
    relation = None
    if pd.notna(e["relation_id"]):
        rel = dataset.relations[dataset.relations["relation_id"] == str(e["relation_id"])]
        if not rel.empty:
            r = rel.iloc[0]
            dates = span_label(
                r["start_date"], r["start_precision"], r["end_date"], r["end_precision"]
            )
            relation = {
                "title": text(r["title"]),
                "type": lookup(dataset.relation_types, "id", "label").get(str(r["relation_type"])),
                "dates": dates + ("" if pd.notna(r["end_date"]) else ", in force"),
                "source_url": text(r["source_url"]),
                "source_name": text(r["source_name"]),
            }
    return {
        "missing": None,
        "id": str(e["event_id"]),
        "title": text(e["title"]),
        "fields": [
            ("Date", span_label(e["date"], e["date_precision"], e["end_date"], e["end_precision"])),
            ("Type", type_labels.get(str(e["event_type"]), str(e["event_type"]))),
            ("Actor 1", _actor(dataset, e["actor_1"])),
            ("Actor 2", _actor(dataset, e["actor_2"])),
            ("Participants", participants),
            ("Location", text(e["location"])),
            ("Magnitude", magnitude),
            ("Description", text(e["description"])),
            ("Confidence", text(e["confidence"])),
        ],
        "source_url": text(e["source_url"]),
        "source_name": text(e["source_name"]),
        "other_sources": text(e["other_sources"]),
        "relation": relation,
    }


def detail_html(dataset: Dataset, event_id: str | None) -> str:
    return str(macro("event_detail")(event_record(dataset, event_id)))


def event_rows(events: pd.DataFrame, dataset: Dataset) -> list[dict[str, Any]]:
    """Events as table rows for the briefing (source as a (url, name) pair)."""
    when = partial_dates(events["date"], events["date_precision"])
    until = partial_dates(events["end_date"], events["end_precision"])
    labels = lookup(dataset.event_types, "id", "label")
    rows = []
    for row, w, u in zip(events.itertuples(index=False), when, until, strict=True):
        magnitude = "" if pd.isna(row.magnitude) else f"{row.magnitude:,.0f} {text(row.unit)}"
        rows.append(
            {
                "Date": f"{w} – {u}" if u else w,
                "Type": labels.get(str(row.event_type), str(row.event_type)),
                "Actors": " → ".join(
                    dataset.actor_name(str(a)) for a in (row.actor_1, row.actor_2) if pd.notna(a)
                ),
                "Event": text(row.title),
                "Magnitude": magnitude,
                "Confidence": text(row.confidence),
                "Source": (text(row.source_url), text(row.source_name)),
            }
        )
    return rows


def relation_rows(relations: pd.DataFrame, dataset: Dataset) -> list[dict[str, Any]]:
    labels = lookup(dataset.relation_types, "id", "label")
    rows = []
    for r in relations.itertuples(index=False):
        rows.append(
            {
                "Relation": text(r.title),
                "Type": labels.get(str(r.relation_type), str(r.relation_type)),
                "Between": f"{dataset.actor_name(str(r.actor_a))} – "
                f"{dataset.actor_name(str(r.actor_b))}",
                "Since": span_label(r.start_date, r.start_precision),
                "Until": span_label(r.end_date, r.end_precision) if pd.notna(r.end_date) else "",
                "Confidence": text(r.confidence),
                "Source": (text(r.source_url), text(r.source_name)),
            }
        )
    return rows


def table_html(columns: list[str], rows: list[dict[str, Any]], links: tuple[str, ...] = ()) -> str:
    return str(macro("table")(columns, rows, links))


CSS = """
.kpis {display: flex; flex-wrap: wrap; gap: 6px;}
.kpi {background: #f4f6f9; border-radius: 6px; padding: 4px 10px; min-width: 80px;}
.kpi-value {font-size: 1.2em; font-weight: 600; color: #1f3b57;}
.kpi-label {font-size: 0.75em; color: #555; max-width: 160px;}
.detail dt {font-weight: 600; color: #444; margin-top: 4px;}
.detail dd {margin: 0 0 2px 0;}
.muted {color: #666;}
table.vocab, table.data {border-collapse: collapse; font-size: 0.9em; margin-bottom: 1em;}
table.vocab th, table.vocab td, table.data th, table.data td {
  border-bottom: 1px solid #e3e6ea; padding: 3px 8px; text-align: left; vertical-align: top;}
.swatch {display: inline-block; width: 12px; height: 12px; border-radius: 2px;}
"""
"""The fragments' stylesheet, used by the dashboard's panes and by the briefing."""
