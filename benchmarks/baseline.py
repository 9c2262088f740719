"""The straightforward notebook implementation the dashboard is measured against.

What an analyst would write in a notebook cell, on the same files: the CSV read with
``pd.read_csv`` as strings, filters as boolean masks on string columns (partial ISO dates
compare correctly as text), dates parsed with ``pd.to_datetime`` on every update, every
filtered event drawn with ``plotly.express.scatter``, and the network laid out again with
``nx.spring_layout`` on every update. Its bytes are ``len(fig.to_json())``: what a notebook
sends to the browser for each figure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go


@dataclass
class Update:
    """One update of the notebook: the selection size and the JSON of its figures."""

    events: int
    relations: int
    bytes: int


class Notebook:
    """Events and relations as plain string frames, filtered and drawn from scratch each time."""

    def __init__(self, path: Path):
        self.events = pd.read_csv(path / "events.csv", dtype=str, keep_default_na=False)
        self.relations = pd.read_csv(path / "relations.csv", dtype=str, keep_default_na=False)
        types = pd.read_csv(path / "relation_types.csv", dtype=str, keep_default_na=False)
        self.polarity = dict(zip(types["id"], types["polarity"].astype(int), strict=True))

    def update(
        self,
        start: dt.date | None = None,
        end: dt.date | None = None,
        actors: list[str] | tuple[str, ...] = (),
        include_partners: bool = False,
        event_types: list[str] | tuple[str, ...] = (),
        **_ignored: object,
    ) -> Update:
        """Filter, draw both figures, serialise them: one notebook re-run."""
        ev, rel = self.events, self.relations
        lo = start.isoformat() if start else "0000"
        hi = end.isoformat() if end else "9999"
        mask = (ev["date"] >= lo) & (ev["date"] <= hi)
        rel_mask = (rel["start_date"] <= hi) & ((rel["end_date"] == "") | (rel["end_date"] >= hi))
        chosen = set(actors)
        if chosen and include_partners:  # aligned by a relation in force during the window
            during = (rel["start_date"] <= hi) & ((rel["end_date"] == "") | (rel["end_date"] >= lo))
            aligned = rel[during & (rel["relation_type"].map(self.polarity) > 0)]
            partners = set(aligned.loc[aligned["actor_a"].isin(chosen), "actor_b"])
            partners |= set(aligned.loc[aligned["actor_b"].isin(chosen), "actor_a"])
            chosen |= partners
        if chosen:
            mask &= ev["actor_1"].isin(chosen) | ev["actor_2"].isin(chosen)
            rel_mask &= rel["actor_a"].isin(chosen) | rel["actor_b"].isin(chosen)
        if event_types:
            mask &= ev["event_type"].isin(list(event_types))
        selected = ev[mask].copy()
        selected["when"] = pd.to_datetime(selected["date"], format="ISO8601")
        timeline = px.scatter(selected, x="when", y="event_type", hover_name="title")
        network = network_figure(rel[rel_mask])
        size = len(timeline.to_json()) + len(network.to_json())
        return Update(len(selected), int(rel_mask.sum()), size)


def network_figure(relations: pd.DataFrame) -> go.Figure:
    """Spring layout of the relations in force, edges as one line trace, nodes as markers."""
    graph = nx.from_pandas_edgelist(relations, "actor_a", "actor_b")
    pos = nx.spring_layout(graph, seed=1)
    xs: list[float | None] = []
    ys: list[float | None] = []
    for a, b in graph.edges():
        xs += [pos[a][0], pos[b][0], None]
        ys += [pos[a][1], pos[b][1], None]
    nodes = list(graph.nodes())
    return go.Figure(
        [
            go.Scatter(x=xs, y=ys, mode="lines", line={"width": 1, "color": "#888"}),
            go.Scatter(
                x=[pos[n][0] for n in nodes],
                y=[pos[n][1] for n in nodes],
                mode="markers+text",
                text=nodes,
                hovertext=[f"{n}: {graph.degree(n)} relations" for n in nodes],
            ),
        ]
    )
