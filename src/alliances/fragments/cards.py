"""Cards and lists: KPIs, what changed, the filters in words, the event and actor cards."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import query
from ..dataset import Dataset
from ..dates import format_span
from .base import (
    MAX_ACTOR_EVENTS,
    MAX_CHANGES_SHOWN,
    MAX_TOTALS_SHOWN,
    MAX_TYPES_SHOWN,
    event_dates,
    macro,
    magnitude_text,
    number,
    text,
    with_links,
)


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
    labels = dataset.relation_type_labels
    return [
        {
            "when": format_span(row.when, row.when_precision),
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


def describe_filters(dataset: Dataset, filters: query.AnyFilters) -> list[tuple[str, str]]:
    """The filters as label/value lines a reader understands."""
    w = query.window(dataset, filters)
    focused = query.focus(dataset, filters)
    event_labels, relation_labels = dataset.event_type_labels, dataset.relation_type_labels

    def names(ids) -> str:
        return ", ".join(f"{dataset.actor_name(a)} ({a})" for a in ids)

    lines = [("Window", f"{w.start:%Y-%m-%d} to {w.end:%Y-%m-%d}")]
    chosen = [a for a in filters.actors if a in dataset.names]
    lines.append(("Actors", names(chosen) if chosen else "all"))
    link = getattr(filters, "link", "any")
    if link == "between" and len(chosen) > 1:
        lines.append(("Events", "only those between two or more of them"))
    elif link == "from" and len(chosen) > 1:
        lines.append(("Events", f"from {names(chosen[:1])} to the others"))
    if filters.include_partners and chosen:
        extra = [a for a in focused if a not in chosen]
        lines.append(("Their partners", names(extra) if extra else "none in the window"))
    types = [event_labels.get(t, t) for t in filters.event_types]
    lines.append(("Event types", ", ".join(types) if types else "all"))
    rtypes = [relation_labels.get(t, t) for t in filters.relation_types]
    lines.append(("Relation types", ", ".join(rtypes) if rtypes else "all"))
    if filters.regions:
        lines.append(("Regions", ", ".join(filters.regions)))
    if filters.search:
        lines.append(("Search", filters.search))
    pairs = getattr(filters, "pairs", ())
    if pairs:
        lines.append(("Temperature of", ", ".join(pairs)))
    return lines


def event_record(dataset: Dataset, event_id: str | None) -> dict[str, Any] | None:
    """Everything the detail card shows for one event id (None: nothing selected)."""
    if not event_id:
        return None
    e = query.event_row(dataset, event_id)
    if e is None:
        return {"missing": event_id}

    def actors_of(column: str) -> str:
        if column not in e.index or pd.isna(e[column]):
            return ""
        parts = [p.strip() for p in str(e[column]).split(";") if p.strip()]
        return ", ".join(_actor(dataset, p) for p in parts)

    relation = None
    if pd.notna(e["relation_id"]):
        rel = dataset.relations[dataset.relations["relation_id"] == str(e["relation_id"])]
        if not rel.empty:
            r = rel.iloc[0]
            dates = format_span(
                r["start_date"], r["start_precision"], r["end_date"], r["end_precision"]
            )
            relation = {
                "title": text(r["title"]),
                "type": dataset.relation_type_labels.get(str(r["relation_type"])),
                "dates": dates + ("" if pd.notna(r["end_date"]) else ", in force"),
                "source_url": text(r["source_url"]),
                "source_name": text(r["source_name"]),
            }
    return {
        "missing": None,
        "id": str(e["event_id"]),
        "title": text(e["title"]),
        "when": format_span(e["date"], e["date_precision"], e["end_date"], e["end_precision"]),
        "type": dataset.event_type_labels.get(str(e["event_type"]), str(e["event_type"])),
        "source_url": text(e["source_url"]),
        "source_name": text(e["source_name"]),
        "fields": [
            ("Actor 1", _actor(dataset, e["actor_1"])),
            ("Actor 2", _actor(dataset, e["actor_2"])),
            ("Acting with", actors_of("participants")),
            ("Directed against", actors_of("targets")),
            ("Location", text(e["location"])),
            ("Magnitude", magnitude_text(e["magnitude"], e["unit"], e["magnitude_basis"])),
            ("Stage", text(e["stage"]) if "stage" in e.index else ""),
            ("Score", f"{e['score']:+.1f}" if pd.notna(e["score"]) else ""),
            ("Description", text(e["description"])),
            ("Confidence", text(e["confidence"])),
        ],
        "other_sources": [with_links(s) for s in text(e["other_sources"]).split(";") if s.strip()],
        "relation": relation,
    }


def detail_html(dataset: Dataset, event_id: str | None) -> str:
    return str(macro("event_detail")(event_record(dataset, event_id)))


def actor_record(
    dataset: Dataset, filters: query.AnyFilters, actor_id: str | None
) -> dict[str, Any] | None:
    """What the actor card shows: who it is, its relations in force on the network's date, and
    its latest events in the selection."""
    if not actor_id:
        return None
    found = dataset.actors[dataset.actors["id"] == actor_id]
    if found.empty:
        return {"missing": actor_id}
    a = found.iloc[0]
    when = query.as_of(dataset, filters)
    in_force = query.relations_in_force(dataset, filters, when)
    mine = in_force[(in_force["actor_a"] == actor_id) | (in_force["actor_b"] == actor_id)]
    relations = [
        {
            "type": dataset.relation_type_labels.get(str(r.relation_type), str(r.relation_type)),
            "with": _actor(dataset, r.actor_b if str(r.actor_a) == actor_id else r.actor_a),
            "title": text(r.title),
            "since": format_span(r.start_date, r.start_precision),
        }
        for r in mine.itertuples(index=False)
    ]
    latest, total = query.select(dataset, filters).actor_events(actor_id, MAX_ACTOR_EVENTS)
    latest = latest.iloc[::-1]
    recent = [
        {"id": str(e.event_id), "when": w, "title": text(e.title)}
        for e, w in zip(latest.itertuples(index=False), event_dates(latest), strict=True)
    ]
    return {
        "missing": None,
        "id": actor_id,
        "name": text(a["name"]),
        "fields": [
            ("Kind", text(a["kind"]).replace("_", "-")),
            ("Region", text(a["region"])),
            ("Also known as", ", ".join(s.strip() for s in text(a["aliases"]).split(";") if s)),
            ("Description", text(a["description"])),
        ],
        "as_of": f"{when:%Y-%m-%d}",
        "relations": relations,
        "recent": recent,
        "events_total": total,
    }


def actor_html(dataset: Dataset, filters: query.AnyFilters, actor_id: str | None) -> str:
    return str(macro("actor_detail")(actor_record(dataset, filters, actor_id)))
