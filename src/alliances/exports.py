"""Files other tools read: the network as GEXF (Gephi, relation spells as dynamic edges) and
GraphML, and the selection as an Excel workbook with a sheet of its filters and sources.

Every writer takes the dashboard's filters and writes what the dashboard shows for them.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from . import __version__, query, schema
from .dataset import Dataset
from .downloads import download_lines
from .formats import neutralise_formulas, to_public


def _day(value: object) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def network_graph(dataset: Dataset, filters: query.AnyFilters) -> nx.MultiGraph:
    """The relations in force on the network's date that the filters show, one edge each, with
    the relation's whole spell (``start``, ``end``: ISO days, ``end`` absent while in force).

    Nodes carry the actor's ``label`` (name), ``kind`` and ``region``; edges the relation id,
    type, type label, polarity, title and source.
    """
    when = query.as_of(dataset, filters)
    relations = query.relations_in_force(dataset, filters, when)
    graph = nx.MultiGraph(as_of=f"{when:%Y-%m-%d}", mode="dynamic", timeformat="date")
    actors = dataset.actors.set_index("id")
    labels = dataset.relation_type_labels
    for r in relations.itertuples(index=False):
        for actor in (str(r.actor_a), str(r.actor_b)):
            if actor not in graph:
                row = actors.loc[actor]
                graph.add_node(
                    actor, label=str(row["name"]), kind=str(row["kind"]), region=str(row["region"])
                )
        attrs = {
            "relation_id": str(r.relation_id),
            "relation_type": str(r.relation_type),
            "type_label": labels.get(str(r.relation_type), str(r.relation_type)),
            "polarity": int(r.polarity),
            "title": str(r.title),
            "source": str(r.source_name),
            "start": _day(r.start_date),
        }
        end = _day(r.end_stop - pd.Timedelta(days=1)) if pd.notna(r.end_stop) else None
        if end is not None:
            attrs["end"] = end
        graph.add_edge(str(r.actor_a), str(r.actor_b), key=str(r.relation_id), **attrs)
    return graph


def gexf_bytes(dataset: Dataset, filters: query.AnyFilters) -> bytes:
    """The network as GEXF 1.2: Gephi reads each relation's spell as a dynamic edge."""
    out = io.BytesIO()
    nx.write_gexf(network_graph(dataset, filters), out, version="1.2draft")
    return out.getvalue()


def graphml_bytes(dataset: Dataset, filters: query.AnyFilters) -> bytes:
    """The network as GraphML (spells as ``start``/``end`` text attributes)."""
    graph = network_graph(dataset, filters)
    for _, _, data in graph.edges(data=True):
        data.setdefault("end", "")
    out = io.BytesIO()
    nx.write_graphml(graph, out)
    return out.getvalue()


def _sources(events: pd.DataFrame, relations: pd.DataFrame) -> pd.DataFrame:
    rows = pd.concat(
        [
            events[["source_name", "source_url"]].assign(rows="events"),
            relations[["source_name", "source_url"]].assign(rows="relations"),
        ],
        ignore_index=True,
    ).astype(object)
    rows["source_url"] = rows["source_url"].where(rows["source_url"].notna(), "")
    table = rows.groupby(["source_name", "source_url"], dropna=False).size()
    return (
        table.rename("rows")
        .reset_index()
        .sort_values(["rows", "source_name"], ascending=[False, True])
    )


def _sheet(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """``table``'s columns in the public format, but numbers as numbers: a spreadsheet sums
    them, and a negative one is not mistaken for a formula and quoted."""
    out = to_public(frame, table)
    for f in schema.TABLES[table].fields:
        if f.kind == "number":
            out[f.name] = pd.to_numeric(frame[f.name]).to_numpy(dtype=float, na_value=np.nan)
    return out


def workbook_bytes(
    dataset: Dataset, filters: query.AnyFilters, generated: dt.datetime | None = None
) -> bytes:
    """The selection as an Excel workbook: sheets Filters, Events, Relations and Sources.

    Events and relations are written in the public format (as the CSV download); text a
    spreadsheet would run as a formula is quoted there too.
    """
    sel = query.select(dataset, filters)
    generated = generated or dt.datetime.now(dt.UTC)
    lines = download_lines(f"selection: {len(sel):,} events", dataset, filters)
    lines += [f"Generated: {generated:%Y-%m-%d %H:%M UTC} by alliances {__version__}"]
    about = pd.DataFrame({"filters": [line for line in lines]})
    sheets = {
        "Filters": about,
        "Events": _sheet(sel.events, "events"),
        "Relations": _sheet(sel.relations, "relations"),
        "Sources": _sources(sel.events, sel.relations),
    }
    out = io.BytesIO()
    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame = frame.copy()
            for column in frame.columns:  # text of any dtype (sources are categorical)
                if not pd.api.types.is_numeric_dtype(frame[column]):
                    frame[column] = neutralise_formulas(frame[column])
            frame.to_excel(writer, sheet_name=name, index=False)
            writer.sheets[name].freeze_panes = "A2"
    return out.getvalue()


def write_export(data: bytes, path: str | Path) -> Path:
    """Write an export's bytes to ``path`` atomically; returns the path."""
    from .files import write_atomic

    return write_atomic(Path(path), data)
