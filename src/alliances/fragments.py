"""HTML fragments (KPI cards, event detail, tables) rendered with autoescaping Jinja2.

The dashboard's panes and the offline briefing render the same macros
(``templates/macros.html.j2``), so dataset text is escaped by one mechanism everywhere and
links are made only from http(s) URLs.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import jinja2
import numpy as np
import pandas as pd

from . import query, schema
from .dataset import Dataset
from .dates import format_span, partial_spans

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
    positions = query.event_index(dataset).get_indexer_for([event_id])
    if positions[0] < 0:
        return {"missing": event_id}
    e = dataset.events.iloc[positions[0]]

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
            ("Magnitude", _magnitude(e["magnitude"], e["unit"], e["magnitude_basis"])),
            ("Stage", text(e["stage"]) if "stage" in e.index else ""),
            ("Score", f"{e['score']:+.1f}" if pd.notna(e["score"]) else ""),
            ("Description", text(e["description"])),
            ("Confidence", text(e["confidence"])),
        ],
        "other_sources": [with_links(s) for s in text(e["other_sources"]).split(";") if s.strip()],
        "relation": relation,
    }


def _magnitude(value: object, unit: object, basis: object) -> str:
    if value is None or pd.isna(value):
        return ""
    note = " (cumulative estimate)" if basis == "cumulative" else ""
    return f"{float(value):,.0f} {text(unit)}{note}".strip()


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
    sel = query.select(dataset, filters)
    facts = sel.facts
    involved = (facts["actor_1"] == actor_id) | (facts["actor_2"] == actor_id)
    rows = sel.rows[involved.to_numpy(bool)][-MAX_ACTOR_EVENTS:][::-1]
    recent = [
        {"id": str(e.event_id), "when": w, "title": text(e.title)}
        for e, w in zip(
            dataset.events.iloc[rows].itertuples(index=False),
            event_table(dataset.events.iloc[rows], dataset)["Date"],
            strict=True,
        )
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
        "events_total": int(involved.sum()),
    }


def actor_html(dataset: Dataset, filters: query.AnyFilters, actor_id: str | None) -> str:
    return str(macro("actor_detail")(actor_record(dataset, filters, actor_id)))


def shift_items(dataset: Dataset, filters: query.AnyFilters, shifts: pd.DataFrame) -> list:
    """Each flagged quarter (:func:`alliances.analyses.shifts`) with the events behind it."""
    from .analyses import shift_events

    names = dataset.names
    items = []
    for s in shifts.itertuples(index=False):
        events = shift_events(dataset, filters, s.pair, s.quarter)
        items.append(
            {
                "pair": " – ".join(names.get(p, p) for p in str(s.pair).split("–")),
                "quarter": str(pd.Timestamp(s.quarter).to_period("Q")),
                "direction": str(s.direction),
                "score": f"{s.score:+.1f}",
                "baseline": f"{s.mean:+.1f} ± {s.sd:.1f}",
                "events": [
                    {
                        "when": w,
                        "title": text(e.title),
                        "source": (text(e.source_url), text(e.source_name)),
                    }
                    for e, w in zip(
                        events.itertuples(index=False), _event_dates(events), strict=True
                    )
                ],
            }
        )
    return items


def _event_dates(events: pd.DataFrame) -> pd.Series:
    return partial_spans(
        events["date"], events["date_precision"], events["end_date"], events["end_precision"]
    )


def shifts_html(dataset: Dataset, filters: query.AnyFilters, shifts: pd.DataFrame) -> str:
    return str(macro("shifts")(shift_items(dataset, filters, shifts)))


def alignment_html(pair: str, index: float, explained: pd.DataFrame) -> str:
    """One pair's alignment index and what makes it up."""
    rows = [
        {"kind": str(r.kind), "what": text(r.what), "detail": text(r.detail),
         "points": f"{r.points:+.2f}"}
        for r in explained.itertuples(index=False)
    ]  # fmt: skip
    return str(macro("alignment")(pair, f"{index:.0f}", rows))


EVENT_TABLE_COLUMNS = (
    "Date", "Type", "Actors", "Event", "Magnitude", "Location", "Confidence", "Description",
    "Other sources", "Id", "Actor 1", "Actor 2",
)  # fmt: skip
"""The readable columns of :func:`event_table`, besides ``source_name`` and ``source_url``."""


def event_table(events: pd.DataFrame, dataset: Dataset) -> pd.DataFrame:
    """Events as people read them: one builder for the dashboard's table and the briefing.

    Dates at their precision, type labels, actor names with the direction, magnitudes with
    their unit; ``source_name`` and ``source_url`` stay apart for each medium to link.
    """
    names = dataset.names

    def name(ids: pd.Series) -> np.ndarray:
        return ids.astype(object).map(lambda a: names.get(a, a), na_action="ignore").to_numpy()

    first, second = name(events["actor_1"]), name(events["actor_2"])
    actors = [
        a if not isinstance(b, str) else f"{a} → {b}" for a, b in zip(first, second, strict=True)
    ]
    magnitude = [
        _magnitude(v, u, b)
        for v, u, b in zip(
            events["magnitude"], events["unit"], events["magnitude_basis"], strict=True
        )
    ]
    labels = dataset.event_type_labels
    return pd.DataFrame(
        {
            "Date": _event_dates(events).to_numpy(),
            "Type": events["event_type"].astype(str).map(labels).to_numpy(),
            "Actors": actors,
            "Event": events["title"].astype(object).fillna("").to_numpy(),
            "Magnitude": magnitude,
            "Location": events["location"].astype(object).fillna("").to_numpy(),
            "Confidence": events["confidence"].astype(str).to_numpy(),
            "Description": events["description"].astype(object).fillna("").to_numpy(),
            "Other sources": events["other_sources"].astype(object).fillna("").to_numpy(),
            "Id": events["event_id"].astype(str).to_numpy(),
            "Actor 1": events["actor_1"].astype(str).to_numpy(),
            "Actor 2": events["actor_2"].astype(object).fillna("").to_numpy(),
            "source_name": events["source_name"].astype(object).fillna("").to_numpy(),
            "source_url": events["source_url"].astype(object).fillna("").to_numpy(),
        }
    )


def event_rows(events: pd.DataFrame, dataset: Dataset, columns: list[str]) -> list[dict[str, Any]]:
    """Events as the briefing's table rows (``Source`` as a (url, name) pair)."""
    table = event_table(events, dataset)
    table["Source"] = list(zip(table["source_url"], table["source_name"], strict=True))
    return table[columns].to_dict("records")


def relation_rows(relations: pd.DataFrame, dataset: Dataset) -> list[dict[str, Any]]:
    labels = dataset.relation_type_labels
    rows = []
    for r in relations.itertuples(index=False):
        rows.append(
            {
                "Relation": text(r.title),
                "Type": labels.get(str(r.relation_type), str(r.relation_type)),
                "Between": f"{dataset.actor_name(str(r.actor_a))} – "
                f"{dataset.actor_name(str(r.actor_b))}",
                "Since": format_span(r.start_date, r.start_precision),
                "Until": format_span(r.end_date, r.end_precision) if pd.notna(r.end_date) else "",
                "Confidence": text(r.confidence),
                "Source": (text(r.source_url), text(r.source_name)),
            }
        )
    return rows


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
