"""UCDP Georeferenced Event Dataset (GED) CSV files: one event per record, ``ucdp:<id>``.

Dates follow ``date_prec``: 1 the day; 2 and 3 (within a week) the span ``date_start`` to
``date_end``; 4 the month and 5 the year when the span lies within one, else the span. Deaths:
``best`` as magnitude, ``low`` and ``high`` in the description. Sides: a ``Government of X`` is
the state (by its Gleditsch-Ward number ``gwnoa``/``gwnob``, else by name); other sides are
``non_state`` actors, civilians named with their country.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from .events_common import coordinates, days, integers, joined, labelled
from .inputs import InputFile, header_chunks, lower_columns
from .pipeline import Batch, Context

NAME = "ucdp"
LABEL = "UCDP Georeferenced Event Dataset (GED) CSV"

VIOLENCE = {"1": "military_action", "2": "military_action", "3": "assault"}
"""``type_of_violence``: 1 state-based, 2 non-state (armed fighting), 3 one-sided violence."""
VIOLENCE_NAMES = {"1": "state-based conflict", "2": "non-state conflict", "3": "one-sided violence"}
REQUIRED = ("id", "type_of_violence", "side_a", "side_b", "date_start", "best")


def _is_ged(header: list[str]) -> bool:
    return set(REQUIRED) <= {h.lower() for h in header}


def read(inp: InputFile, ctx: Context) -> Iterator[Batch]:
    """The events of one GED CSV file, in chunks."""
    what = "a UCDP GED file (no id, type_of_violence, side_a, side_b, date_start, best columns)"
    for chunk in header_chunks(inp, _is_ged, what=what, missing=frozenset({"", "NA"})):
        frame = lower_columns(chunk.frame)
        ctx.report.read += len(frame)
        yield from _events(frame, chunk.lines, inp.name, ctx)


def _side(name: object, gw: object, country: object, ctx: Context) -> str | None:
    if not isinstance(name, str) or not name.strip():
        return None
    cache = ctx.cache.setdefault("ucdp", {})
    key = (name, gw, country if name.strip().lower() == "civilians" else None)
    if key not in cache:
        actors = ctx.actors
        if name.lower().startswith("government of"):
            first = str(gw).split(",")[0].strip() if isinstance(gw, str) else None
            found = actors.code("gw", first, "UCDP gwno", count=False) if first else None
            cache[key] = found or actors.named(name, state=True)
        elif name.strip().lower() == "civilians" and isinstance(country, str):
            region = actors.region_of(actors.name(country, state=True))
            cache[key] = actors.named(f"Civilians ({country})", region=region)
        else:
            cache[key] = actors.named(name)
    return cache[key]


def _dates(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(date, end_date) at the precision ``date_prec`` gives."""
    start, end = days(frame["date_start"]), days(frame.get("date_end", frame["date_start"]))
    end = end.where(end.notna(), start)
    prec = frame.get("date_prec", pd.Series("1", index=frame.index)).astype("string").str.strip()
    same_month = start.str.slice(0, 7) == end.str.slice(0, 7)
    same_year = start.str.slice(0, 4) == end.str.slice(0, 4)
    date = start.copy()
    until = end.where(end != start, None)
    month = (prec == "4") & same_month
    year = (prec == "5") & same_year
    date[month.fillna(False)] = start.str.slice(0, 7)
    date[year.fillna(False)] = start.str.slice(0, 4)
    until[(month | year | (prec == "1")).fillna(False)] = None
    return date, until


def _events(frame: pd.DataFrame, lines: np.ndarray, file: str, ctx: Context) -> Iterator[Batch]:
    def col(name: str) -> pd.Series:
        return frame[name] if name in frame else pd.Series(None, index=frame.index, dtype=object)

    violence = col("type_of_violence").astype("string").str.strip()
    types = violence.map(VIOLENCE)
    ctx.report.skip_rows(
        "type_of_violence is not 1, 2 or 3", types.isna().to_numpy(bool), file, lines
    )
    country = col("country")
    a = [_side(n, g, c, ctx) for n, g, c in zip(col("side_a"), col("gwnoa"), country, strict=True)]
    b = [_side(n, g, c, ctx) for n, g, c in zip(col("side_b"), col("gwnob"), country, strict=True)]
    date, until = _dates(frame)
    best = integers(col("best"))
    lat, lon = coordinates(col("latitude"), col("longitude"))
    clarity = col("event_clarity").astype("string").str.strip()
    title = col("dyad_name").fillna(col("side_a").fillna("") + " – " + col("side_b").fillna(""))
    description = joined(
        labelled("UCDP GED event", col("id")),
        violence.map(VIOLENCE_NAMES),
        labelled("conflict:", col("conflict_name")),
        labelled("deaths best", col("best"))
        + labelled(" (low", col("low")).fillna("")
        + labelled(", high", col("high")).fillna("")
        + np.where(col("low").notna(), ")", ""),
        labelled("side A", col("deaths_a")),
        labelled("side B", col("deaths_b")),
        labelled("civilians", col("deaths_civilians")),
        labelled("unknown", col("deaths_unknown")),
        labelled("date_prec", col("date_prec")),
        labelled("event_clarity", col("event_clarity")),
        labelled("where:", col("where_description")),
        labelled("source:", col("source_headline")),
        f"{file} line " + pd.Series(lines, index=frame.index).astype(str),
    )
    place = joined(col("where_coordinates"), col("adm_1"), country, sep=", ")
    events = pd.DataFrame(
        {
            "event_id": "ucdp:" + col("id").astype("string").str.strip(),
            "date": date,
            "end_date": until,
            "event_type": types,
            "actor_1": a,
            "actor_2": b,
            "location": place.where(place != "", None),
            "magnitude": best,
            "unit": np.where(best.notna(), "deaths (UCDP best estimate)", None),
            "title": title,
            "description": description,
            "source_name": "UCDP Georeferenced Event Dataset (GED)",
            "other_sources": col("source_office"),
            "confidence": np.where(clarity == "2", "estimated", "reported"),
            "latitude": lat,
            "longitude": lon,
        }
    )
    keep = types.notna().to_numpy(bool)
    yield Batch("events", events[keep], file, lines[keep])
