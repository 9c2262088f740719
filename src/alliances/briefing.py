"""Offline HTML briefings: one self-contained file an analyst can email or open air-gapped.

Built from the same query and figure layers as the dashboard, rendered with Jinja2
(autoescaping) and plotly's own HTML output, with plotly.js inlined once. Notes are Markdown,
rendered with raw HTML disabled and sanitised again with nh3. A Content-Security-Policy in the
page forbids every network request.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path

import nh3
import numpy as np
import pandas as pd
import plotly.io as pio
import plotly.offline
from markdown_it import MarkdownIt
from markupsafe import Markup

from . import __version__, analyses, metrics, query
from .dataset import Dataset, load_dataset
from .figures import Spec, network_for, temperature_for, timeline_for
from .files import write_atomic
from .fragments import (
    CSS,
    changes_html,
    describe_filters,
    environment,
    event_rows,
    kpi_cards,
    relation_rows,
    shifts_html,
)
from .reading import bundled_path
from .state import Filters

MAX_EVENTS = 300
EVENT_COLUMNS = ["Date", "Type", "Actors", "Event", "Magnitude", "Confidence", "Source"]
RELATION_COLUMNS = ["Relation", "Type", "Between", "Since", "Until", "Confidence", "Source"]
PLOT_CONFIG = {"displaylogo": False, "responsive": True}
_ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "a", "hr", "table", "thead", "tbody", "tr", "th", "td",
    "del", "sup", "sub",
}  # fmt: skip


def notes_to_html(notes: str) -> str:
    """Markdown notes as sanitised HTML: no raw HTML, no scripts, links http(s) only."""
    if not notes or not notes.strip():
        return ""
    rendered = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
    html = rendered.render(notes)
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https"},
        link_rel="noopener noreferrer",
    )


def _figure_html(spec: Spec, div_id: str, height: int) -> str:
    spec = {"data": spec["data"], "layout": {**spec["layout"], "height": height}}
    return pio.to_html(
        spec,
        full_html=False,
        include_plotlyjs=False,
        include_mathjax=False,
        config=PLOT_CONFIG,
        div_id=div_id,
        default_width="100%",
        default_height=f"{height}px",
    )


def _key_events(sel: query.Selection) -> tuple[pd.DataFrame, str]:
    """All events if few; else the most significant (largest |score|, then newest)."""
    if len(sel) <= MAX_EVENTS:
        return sel.events, ""
    weight = sel.facts["score"].abs().to_numpy()
    newest_first = -sel.facts["date"].to_numpy("datetime64[ns]").view("int64")
    top = np.lexsort((newest_first, -weight))[:MAX_EVENTS]
    chosen = sel.source.iloc[np.sort(sel.rows[top])]
    note = (
        f"The {MAX_EVENTS} events with the strongest cooperation or conflict scores are listed; "
        "the charts and summary count all of them."
    )
    return chosen, note


def render_briefing(
    filters: Filters | None = None,
    *,
    dataset: Dataset | None = None,
    title: str = "Alliance briefing",
    notes: str = "",
    generated: dt.datetime | None = None,
    rule: analyses.ShiftRule | None = None,
) -> str:
    """The briefing's HTML for the given filters (default: everything); ``rule``: when a
    quarter counts as a shift from its pair's baseline (default: :class:`ShiftRule`)."""
    dataset = dataset if dataset is not None else load_dataset()
    filters = filters if filters is not None else Filters()
    sel = query.select(dataset, filters)
    w = sel.window
    rule = rule or analyses.ShiftRule()
    generated = generated or dt.datetime.now(dt.UTC)
    when = query.as_of(dataset, filters)
    in_force = query.relations_in_force(dataset, filters, when)
    label = metrics.CENTRALITY_LABELS[filters.centrality]

    figures = [
        {
            "title": f"Network on {when:%Y-%m-%d}",
            "caption": f"Node size: {label.lower()}. Edge width: events between the pair in "
            "the window. Hover for the relations and their sources.",
            "html": _figure_html(network_for(dataset, filters, titled=False), "network", 520),
        },
        {
            "title": "Timeline",
            "caption": "Events known only to the month or year are drawn as spans over it.",
            "html": _figure_html(timeline_for(dataset, filters), "timeline", 420),
        },
        {
            "title": "Relationship temperature",
            "caption": "Sum of event scores per quarter: above zero cooperation, below conflict.",
            "html": _figure_html(
                temperature_for(dataset, filters, title=None, rule=rule), "temperature", 340
            ),
        },
    ]
    key_events, events_note = _key_events(sel)

    return (
        environment()
        .get_template("briefing.html.j2")
        .render(
            title=title or "Alliance briefing",
            version=__version__,
            generated=generated.strftime("%Y-%m-%d %H:%M UTC"),
            fingerprint=dataset.fingerprint,
            origin="bundled dataset" if _is_bundled(dataset) else "",
            filters=describe_filters(dataset, filters),
            notices=list(sel.notices),
            notes_html=_markup(notes_to_html(notes)),
            kpis=kpi_cards(sel.kpis(), dataset.event_type_labels, len(sel.relations)),
            figures=[{**f, "html": _markup(f["html"])} for f in figures],
            as_of=f"{when:%Y-%m-%d}",
            relations=relation_rows(in_force, dataset),
            relation_columns=RELATION_COLUMNS,
            events=event_rows(key_events, dataset, EVENT_COLUMNS),
            events_total=len(sel),
            events_note=events_note,
            event_columns=EVENT_COLUMNS,
            changes_html=_markup(changes_html(query.changes(sel.relations, w), dataset, 200)),
            shift_rule=rule,
            shifts_html=_markup(
                shifts_html(dataset, filters, analyses.shifts(dataset, filters, rule))
            ),
            css=_markup(CSS),
            plotlyjs=_markup(plotly.offline.get_plotlyjs()),
        )
    )


def _markup(html: str) -> Markup:
    """Mark HTML we generated (plotly, nh3, our CSS) as safe; dataset text never comes here raw."""
    return Markup(html)


def _is_bundled(dataset: Dataset) -> bool:
    return dataset.path is not None and dataset.path == bundled_path().resolve()


def export_briefing(
    filters: Filters | None = None,
    path: str | os.PathLike[str] = "briefing.html",
    *,
    dataset: Dataset | None = None,
    title: str = "Alliance briefing",
    notes: str = "",
) -> Path:
    """Write the briefing for ``filters`` to ``path`` atomically; returns the path."""
    html = render_briefing(filters, dataset=dataset, title=title, notes=notes)
    return write_atomic(Path(path), html)


def filters_from_options(dataset: Dataset, options: Mapping[str, str]) -> tuple[Filters, list[str]]:
    """Filters from URL-style options (``actors``, ``from``, ``to`` ...), and what was wrong."""
    from .state import from_query

    updates, problems = from_query(
        options,
        actors=dataset.actor_ids,
        event_types=list(dataset.event_types["id"]),
        relation_types=list(dataset.relation_types["id"]),
        regions=dataset.actors["region"].dropna().unique().tolist(),
    )
    return Filters(**updates), problems
