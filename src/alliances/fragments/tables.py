"""Tables and analysis fragments: the event table builder (one for the dashboard's table and
the briefing), relation rows, what shifted and an alignment index's make-up."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .. import query
from ..aggregates import pair_name
from ..analyses import shift_events
from ..dataset import Dataset
from ..dates import format_span
from .base import event_dates, macro, magnitude_text, text

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
        magnitude_text(v, u, b)
        for v, u, b in zip(
            events["magnitude"], events["unit"], events["magnitude_basis"], strict=True
        )
    ]
    labels = dataset.event_type_labels
    return pd.DataFrame(
        {
            "Date": event_dates(events).to_numpy(),
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


def shift_items(dataset: Dataset, filters: query.AnyFilters, shifts: pd.DataFrame) -> list:
    """Each flagged quarter (:func:`alliances.analyses.shifts`) with the events behind it."""
    names = dataset.names
    items = []
    for s in shifts.itertuples(index=False):
        events = shift_events(dataset, filters, s.pair, s.quarter)
        items.append(
            {
                "pair": pair_name(str(s.pair), names),
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
                        events.itertuples(index=False), event_dates(events), strict=True
                    )
                ],
            }
        )
    return items


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
