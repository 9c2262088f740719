"""ACLED exports, from the old uppercase layout (``EVENT_ID_CNTY``, ``GWNO``, ``ALLY_ACTOR_1``,
dates ``18/04/2001``) to today's (``event_id_cnty``, ``time_precision``, ``disorder_type``,
``inter1``, ``iso``, ``tags`` ...; dates ``2024-01-18`` or ``18 January 2024``), including files
re-saved by R (``NA`` for missing values, a first column of row numbers) and notes that span
several lines inside quotes.

One event per record: ``acled:<event_id_cnty>``, the day at ACLED's ``time_precision`` (1: the
day; 2 and 3: only the month is sure, so the month), fatalities as magnitude, the coordinates.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from .actors import STATE_PREFIXES
from .events_common import coordinates, days, integers, joined, labelled
from .inputs import InputFile, header_chunks, lower_columns
from .pipeline import Batch, Context

NAME = "acled"
LABEL = "ACLED exports (old uppercase layout to current)"

EVENT_TYPES = {
    "battles": "military_action",
    "explosions/remote violence": "military_action",
    "remote violence": "military_action",
    "violence against civilians": "assault",
    "protests": "protest",
    "riots": "protest",
    "riots/protests": "protest",
    "strategic developments": "strategic_development",
    "strategic development": "strategic_development",
    "headquarters or base established": "strategic_development",
    "non-violent transfer of territory": "strategic_development",
}
"""ACLED ``event_type`` (lower case) -> event type; the old ``Battle-...`` types are battles."""

STATE_FORCES = frozenset({"1", "state forces"})
"""``inter1``/``inter2`` values of a state's forces: code 1, or its label in newer exports."""


def event_type(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    return "military_action" if text.startswith("battle") else EVENT_TYPES.get(text)


def _is_acled(header: list[str]) -> bool:
    return "event_id_cnty" in {h.lower() for h in header}


def read(inp: InputFile, ctx: Context) -> Iterator[Batch]:
    """The events of one ACLED export, in chunks."""
    what = "an ACLED export (no event_id_cnty column)"
    for chunk in header_chunks(inp, _is_acled, what=what, missing=frozenset({"", "NA"})):
        frame = lower_columns(chunk.frame)
        ctx.report.read += len(frame)
        layout = "ACLED (old uppercase layout)" if "gwno" in frame else "ACLED"
        yield from _events(frame, chunk.lines, inp.name, layout, ctx)


def _actor(name: object, inter: object, country: object, ctx: Context) -> str | None:
    if not isinstance(name, str) or not name.strip():
        return None
    key = (name, inter)
    cache = ctx.cache.setdefault("acled", {})
    if key not in cache:
        # a state's forces abroad are coded 8 (external forces): their name says whose they are
        state = (isinstance(inter, str) and inter.strip().lower() in STATE_FORCES) or any(
            name.strip().lower().startswith(prefix + " ") for prefix in STATE_PREFIXES
        )
        region = ctx.actors.region_of(
            ctx.actors.name(country) if isinstance(country, str) else None
        )
        cache[key] = ctx.actors.named(name, state=state, region=region)
    return cache[key]


def _events(
    frame: pd.DataFrame, lines: np.ndarray, file: str, layout: str, ctx: Context
) -> Iterator[Batch]:
    def col(name: str, *old: str) -> pd.Series:
        for candidate in (name, *old):
            if candidate in frame:
                return frame[candidate]
        return pd.Series(None, index=frame.index, dtype=object)

    report = ctx.report
    types = col("event_type").map(event_type)
    report.skip_rows("ACLED event_type not known", types.isna().to_numpy(bool), file, lines)
    country = col("country")
    a1 = [
        _actor(n, i, c, ctx) for n, i, c in zip(col("actor1"), col("inter1"), country, strict=True)
    ]
    a2 = [
        _actor(n, i, c, ctx) for n, i, c in zip(col("actor2"), col("inter2"), country, strict=True)
    ]
    day = days(col("event_date"))
    precision = col("time_precision").astype("string").str.strip()
    date = day.where(precision.isin(["1"]).fillna(True), day.str.slice(0, 7))
    fatalities = integers(col("fatalities"))
    lat, lon = coordinates(col("latitude"), col("longitude"))
    kind = col("sub_event_type").fillna(col("event_type"))
    title = kind.fillna("") + ": " + col("actor1").fillna("") + (" – " + col("actor2")).fillna("")
    description = joined(
        col("notes"),
        labelled("ACLED", col("event_id_cnty")),
        labelled("disorder type:", col("disorder_type")),
        labelled("event type:", col("event_type")),
        labelled("sub-event type:", col("sub_event_type")),
        labelled("with actor 1:", col("assoc_actor_1", "ally_actor_1")),
        labelled("with actor 2:", col("assoc_actor_2", "ally_actor_2")),
        labelled("interaction:", col("interaction")),
        labelled("tags:", col("tags")),
        labelled("time precision:", col("time_precision")),
        labelled("reported", day.where(~precision.isin(["1"]).fillna(False), None)),
        f"{file} line " + pd.Series(lines, index=frame.index).astype(str),
    )
    place = joined(col("location"), col("admin1"), country, sep=", ")
    events = pd.DataFrame(
        {
            "event_id": "acled:" + col("event_id_cnty").astype("string").str.strip(),
            "date": date,
            "event_type": types,
            "actor_1": a1,
            "actor_2": a2,
            "location": place.where(place != "", None),
            "magnitude": fatalities,
            "unit": np.where(fatalities.notna(), "fatalities", None),
            "title": title,
            "description": description,
            "source_name": layout,
            "other_sources": col("source"),
            "confidence": "reported",
            "latitude": lat,
            "longitude": lon,
        }
    )
    keep = types.notna().to_numpy(bool)
    yield Batch("events", events[keep], file, lines[keep])
