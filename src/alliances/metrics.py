"""Graph metrics with networkx: the relation network, centralities and a stable layout."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

from . import query
from .cache import per_dataset
from .dataset import Dataset

CENTRALITY_LABELS = {
    "degree": "Degree centrality",
    "betweenness": "Betweenness centrality",
    "eigenvector": "Eigenvector centrality",
}


def relation_graph(relations: pd.DataFrame, nodes: list[str] | None = None) -> nx.MultiGraph:
    """An undirected multigraph: one edge per relation, keyed by relation id."""
    graph = nx.MultiGraph()
    if nodes:
        graph.add_nodes_from(nodes)
    for rid, a, b, rtype, pol in zip(
        relations["relation_id"],
        relations["actor_a"].astype(str),
        relations["actor_b"].astype(str),
        relations["relation_type"].astype(str),
        relations["polarity"],
        strict=True,
    ):
        graph.add_edge(a, b, key=rid, relation_type=rtype, polarity=int(pol))
    return graph


def centrality(graph: nx.Graph, kind: str = "degree") -> dict[str, float]:
    """Centrality of every node of the simple graph underneath (parallel relations count once)."""
    simple = nx.Graph(graph) if graph.is_multigraph() else graph
    if simple.number_of_nodes() == 0:
        return {}
    if kind == "degree":
        return nx.degree_centrality(simple)
    if kind == "betweenness":
        return nx.betweenness_centrality(simple)
    if kind == "eigenvector":
        if simple.number_of_edges() == 0:
            return dict.fromkeys(simple, 0.0)
        try:  # power iteration: no SciPy needed
            return nx.eigenvector_centrality(simple, max_iter=2000, tol=1e-8)
        except nx.PowerIterationFailedConvergence:
            return dict.fromkeys(simple, 0.0)
    raise ValueError(f"unknown centrality {kind!r}; use one of {', '.join(CENTRALITY_LABELS)}")


def pair_graph(relations: pd.DataFrame) -> nx.Graph:
    """The simple graph of ``relations``: one edge per pair of actors, however many relations
    join them (what :func:`centrality` measures), built without a multigraph in between."""
    graph = nx.Graph()
    graph.add_edges_from(
        zip(relations["actor_a"].astype(str), relations["actor_b"].astype(str), strict=True)
    )
    return graph


def ranking(relations: pd.DataFrame, kind: str, names: dict[str, str]) -> pd.DataFrame:
    """Actors ranked by centrality in the network of ``relations``."""
    values = centrality(pair_graph(relations), kind)
    frame = pd.DataFrame({"actor": list(values), "value": list(values.values())})
    frame["name"] = frame["actor"].map(lambda a: names.get(a, a))
    return frame.sort_values(["value", "actor"], ascending=[False, True]).reset_index(drop=True)


def _positions(graph: nx.Graph) -> dict:
    """ForceAtlas2 (pure numpy, seeded): hubs spread out, their satellites stay close."""
    if graph.number_of_nodes() == 0:
        return {}
    return nx.forceatlas2_layout(graph, seed=7, max_iter=300, scaling_ratio=2.0, gravity=1.0)


def ranking_at(
    dataset: Dataset, filters: query.AnyFilters, when: pd.Timestamp, kind: str
) -> pd.DataFrame:
    """The ranking of the relations the filters show in force on ``when`` (cached, shared)."""
    criteria = query.Criteria.of(filters).for_relations()
    return _ranking_at(dataset, criteria, pd.Timestamp(when), kind)


@per_dataset(maxsize=16)
def _ranking_at(
    dataset: Dataset, criteria: query.Criteria, when: pd.Timestamp, kind: str
) -> pd.DataFrame:
    in_force = query.relations_in_force(dataset, criteria, when)
    return ranking(in_force, kind, dataset.names)


@per_dataset(maxsize=1)
def layout(dataset: Dataset) -> pd.DataFrame:
    """Node positions, computed once per dataset over every relation it holds.

    Nodes keep their place whatever the filters, so the network does not jump as it changes.
    Returns columns ``x``, ``y`` indexed by actor id.
    """
    graph = nx.Graph(relation_graph(dataset.relations, dataset.actor_ids))
    isolated = sorted(nx.isolates(graph))
    graph.remove_nodes_from(isolated)
    pos = _positions(graph)
    frame = pd.DataFrame.from_dict(pos, orient="index", columns=["x", "y"])
    if isolated:  # actors with no relation at all: a row under the network
        lo, hi = (frame["x"].min(), frame["x"].max()) if len(frame) else (-1.0, 1.0)
        y_lo, y_hi = (frame["y"].min(), frame["y"].max()) if len(frame) else (0.0, 1.0)
        bottom = y_lo - 0.12 * max(y_hi - y_lo, 1e-9)
        xs = np.linspace(lo, hi, len(isolated)) if len(isolated) > 1 else np.array([lo])
        frame = pd.concat([frame, pd.DataFrame({"x": xs, "y": bottom}, index=isolated)])
    return frame.reindex(dataset.actor_ids)
