"""Graph metrics with networkx: the relation network, centralities and a stable layout."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from . import query
from .cache import per_dataset
from .dataset import Dataset
from .files import cache_root, write_atomic

log = logging.getLogger("alliances")

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


LAYOUT = {"seed": 7, "max_iter": 300, "scaling_ratio": 2.0, "gravity": 1.0}
"""ForceAtlas2's settings (part of a kept layout's key)."""

KEEP_NODES = 100
"""A layout of this many actors or more is kept beside the data (:func:`_kept`): ForceAtlas2
takes about a second at 200 (the benchmarks' synthetic data) and a few hundredths at the
bundled dataset's size, which is not worth a file."""


def _positions(graph: nx.Graph) -> dict:
    """ForceAtlas2 (pure numpy, seeded): hubs spread out, their satellites stay close."""
    if graph.number_of_nodes() == 0:
        return {}
    return nx.forceatlas2_layout(graph, **LAYOUT)


def _layout_file(folder: Path, graph: nx.Graph) -> Path:
    """Where the layout of ``graph`` is kept for a dataset folder: named by what it is computed
    from (the nodes and edges in order, ForceAtlas2's settings, networkx's version), so that
    other relations or another networkx never read it."""
    made_from = [list(graph.nodes), list(graph.edges), LAYOUT, nx.__version__]
    key = hashlib.sha256(json.dumps(made_from, default=str).encode()).hexdigest()[:20]
    return cache_root(folder) / f"layout-{key}.json"


def _kept(graph: nx.Graph, folder: Path | None) -> dict:
    """:func:`_positions`, read from the folder's cache when computed before (ForceAtlas2 takes
    about a second for 200 actors and 2,000 relations, on every open of a large dataset), and
    kept there for :data:`KEEP_NODES` actors or more (the last two layouts stay). A file that
    cannot be read or written is computed again, silently: it is only a cache."""
    keep = folder is not None and len(graph) >= KEEP_NODES
    path = _layout_file(folder, graph) if keep else None
    if path is not None and path.is_file():
        try:
            kept = json.loads(path.read_text(encoding="utf-8"))
            xy = np.array(kept["xy"], dtype=kept["dtype"])  # as computed: float32
            fits = xy.dtype.kind == "f" and xy.shape == (len(graph), 2)
            if fits and kept["nodes"] == list(graph.nodes):
                return dict(zip(kept["nodes"], xy, strict=True))
        except (OSError, ValueError, KeyError, TypeError):
            log.debug("layout %s unreadable: computed again", path, exc_info=True)
    positions = _positions(graph)
    if path is not None:
        xy = np.array([positions[n] for n in graph.nodes])
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            record = {"nodes": list(graph.nodes), "dtype": xy.dtype.str, "xy": xy.tolist()}
            write_atomic(path, json.dumps(record))
            kept_files = sorted(
                path.parent.glob("layout-*.json"), key=lambda p: (p.stat().st_mtime_ns, p == path)
            )
            for old in kept_files[:-2]:
                old.unlink(missing_ok=True)
        except OSError:
            log.debug("layout not kept in %s", path.parent, exc_info=True)
    return positions


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
    pos = _kept(graph, dataset.path)
    frame = pd.DataFrame.from_dict(pos, orient="index", columns=["x", "y"])
    if isolated:  # actors with no relation at all: a row under the network
        lo, hi = (frame["x"].min(), frame["x"].max()) if len(frame) else (-1.0, 1.0)
        y_lo, y_hi = (frame["y"].min(), frame["y"].max()) if len(frame) else (0.0, 1.0)
        bottom = y_lo - 0.12 * max(y_hi - y_lo, 1e-9)
        xs = np.linspace(lo, hi, len(isolated)) if len(isolated) > 1 else np.array([lo])
        frame = pd.concat([frame, pd.DataFrame({"x": xs, "y": bottom}, index=isolated)])
    return frame.reindex(dataset.actor_ids)
