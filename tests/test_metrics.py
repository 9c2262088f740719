"""Graph metrics: the relation graph, centralities against networkx, ranking and layout."""

from __future__ import annotations

import shutil
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from alliances import metrics
from alliances.dataset import load_dataset
from unit_helpers import DATA, SMALL, actor, build, clear_query_caches, relation, small

pytestmark = pytest.mark.usefixtures("fresh_caches")


def relations_frame(*edges: tuple[str, str] | tuple[str, str, str]) -> pd.DataFrame:
    """A relations frame with only the columns the graph needs; ``(a, b[, type])`` per row."""
    rows = []
    for i, edge in enumerate(edges):
        a, b, rtype = (*edge, "defense_pact") if len(edge) == 2 else edge
        polarity = {"rivalry": -1, "diplomatic_relations": 0}.get(rtype, 1)
        rows.append(
            {
                "relation_id": f"r{i}",
                "actor_a": a,
                "actor_b": b,
                "relation_type": rtype,
                "polarity": polarity,
            }
        )
    frame = pd.DataFrame(rows, columns=["relation_id", "actor_a", "actor_b", "relation_type"])
    frame["polarity"] = [r["polarity"] for r in rows]
    return frame


EDGES = [("A", "B"), ("B", "C"), ("C", "D"), ("B", "D"), ("D", "E"), ("E", "F")]


def reference_graph() -> nx.Graph:
    graph = nx.Graph()
    graph.add_edges_from(EDGES)
    return graph


# --------------------------------------------------------------------------- relation graph


def test_relation_graph_has_one_edge_per_relation():
    graph = metrics.relation_graph(relations_frame(("A", "B"), ("B", "A", "rivalry"), ("B", "C")))
    assert graph.number_of_edges() == 3
    assert graph.number_of_edges("A", "B") == 2
    assert {k: d["relation_type"] for k, d in graph["A"]["B"].items()} == {
        "r0": "defense_pact",
        "r1": "rivalry",
    }
    assert graph["A"]["B"]["r1"]["polarity"] == -1


def test_relation_graph_keeps_isolated_nodes_given():
    graph = metrics.relation_graph(relations_frame(("A", "B")), nodes=["A", "B", "Z"])
    assert sorted(graph.nodes) == ["A", "B", "Z"]


def test_relation_graph_of_dataset_relations():
    ds = small()
    graph = metrics.relation_graph(ds.relations, ds.actor_ids)
    assert graph.number_of_nodes() == 7
    assert graph.number_of_edges() == 5
    assert graph.number_of_edges("RUS", "PRK") == 2
    assert set(graph["RUS"]["PRK"]) == {"rel-rus-prk-1961", "rel-rus-prk-2024"}


# --------------------------------------------------------------------------- centrality


def test_degree_matches_networkx():
    got = metrics.centrality(metrics.relation_graph(relations_frame(*EDGES)), "degree")
    assert got == pytest.approx(nx.degree_centrality(reference_graph()))
    assert got["B"] == pytest.approx(3 / 5)


def test_betweenness_matches_networkx():
    got = metrics.centrality(metrics.relation_graph(relations_frame(*EDGES)), "betweenness")
    expected = nx.betweenness_centrality(reference_graph())
    assert got == pytest.approx(expected)
    assert got["A"] == 0.0
    assert max(got, key=got.get) == "D"


def test_eigenvector_matches_networkx():
    got = metrics.centrality(metrics.relation_graph(relations_frame(*EDGES)), "eigenvector")
    expected = nx.eigenvector_centrality_numpy(reference_graph())
    assert got == pytest.approx(expected, abs=1e-6)
    assert all(v > 0 for v in got.values())


@pytest.mark.parametrize("kind", ["degree", "betweenness", "eigenvector"])
def test_parallel_relations_count_once(kind):
    doubled = [*EDGES, ("B", "A", "rivalry"), ("A", "B", "entente"), ("D", "C", "rivalry")]
    once = metrics.centrality(metrics.relation_graph(relations_frame(*EDGES)), kind)
    twice = metrics.centrality(metrics.relation_graph(relations_frame(*doubled)), kind)
    assert twice == pytest.approx(once, abs=1e-6)


def test_eigenvector_on_an_edgeless_graph_gives_zeros():
    graph = metrics.relation_graph(relations_frame(), nodes=["A", "B", "C"])
    assert metrics.centrality(graph, "eigenvector") == {"A": 0.0, "B": 0.0, "C": 0.0}


@pytest.mark.parametrize("kind", ["degree", "betweenness", "eigenvector"])
def test_centrality_of_an_empty_graph_is_empty(kind):
    assert metrics.centrality(metrics.relation_graph(relations_frame()), kind) == {}


def test_eigenvector_on_a_disconnected_graph_matches_networkx():
    edges = [("A", "B"), ("B", "C"), ("D", "E")]
    got = metrics.centrality(metrics.relation_graph(relations_frame(*edges)), "eigenvector")
    assert set(got) == set("ABCDE")
    assert all(np.isfinite(v) and v >= 0 for v in got.values())


def test_unknown_centrality_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown centrality 'pagerank'"):
        metrics.centrality(metrics.relation_graph(relations_frame(("A", "B"))), "pagerank")


# --------------------------------------------------------------------------- ranking


def test_ranking_orders_by_value_then_id_with_names():
    rel = relations_frame(("A", "B"), ("A", "C"), ("D", "E"))
    frame = metrics.ranking(rel, "degree", {"A": "Alpha", "D": "Delta"})
    assert list(frame["actor"]) == ["A", "B", "C", "D", "E"]
    assert list(frame["name"]) == ["Alpha", "B", "C", "Delta", "E"]
    assert frame["value"].tolist() == pytest.approx([0.5, 0.25, 0.25, 0.25, 0.25])


def test_ranking_of_no_relations_is_empty():
    frame = metrics.ranking(relations_frame(), "degree", {})
    assert frame.empty
    assert list(frame.columns) == ["actor", "value", "name"]


def test_ranking_of_the_small_dataset():
    ds = small()
    frame = metrics.ranking(ds.relations, "degree", ds.names)
    # five actors have relations; Russia's three partners are PRK, UKR and USA
    assert list(frame["actor"]) == ["RUS", "USA", "KOR", "PRK", "UKR"]
    assert frame.iloc[0]["name"] == "Russia"
    assert frame["value"].tolist() == pytest.approx([0.75, 0.5, 0.25, 0.25, 0.25])


# --------------------------------------------------------------------------- layout


def test_layout_has_a_row_per_actor_and_no_missing_values():
    ds = small()
    pos = metrics.layout(ds)
    assert list(pos.index) == ds.actor_ids
    assert list(pos.columns) == ["x", "y"]
    assert not pos.isna().any().any()
    assert np.isfinite(pos.to_numpy()).all()


def test_layout_puts_actors_without_relations_in_a_row_at_the_bottom():
    ds = small()  # CHN and UNSC have no relation
    pos = metrics.layout(ds)
    connected = pos.drop(["CHN", "UNSC"])
    assert pos.loc["CHN", "y"] == pos.loc["UNSC", "y"] <= connected["y"].min()
    assert pos.loc["CHN", "x"] != pos.loc["UNSC", "x"]


def test_layout_gives_distinct_positions():
    """No actor is drawn on top of another (an isolated one included)."""
    pos = metrics.layout(small())
    assert not pos.round(6).duplicated(keep=False).any(), pos


def test_layout_is_deterministic():
    first = metrics.layout(small())
    clear_query_caches()
    second = metrics.layout(small())
    pd.testing.assert_frame_equal(first, second)


def test_layout_is_the_same_for_a_copy_of_the_dataset(tmp_path: Path):
    copy = tmp_path / "copy"
    shutil.copytree(SMALL, copy)
    pd.testing.assert_frame_equal(
        metrics.layout(load_dataset(SMALL, cache=False)),
        metrics.layout(load_dataset(copy, cache=False)),
    )


def test_layout_of_the_bundled_dataset_is_deterministic():
    one = metrics.layout(load_dataset(DATA, cache=False))
    two = metrics.layout(load_dataset(DATA, cache=False))
    pd.testing.assert_frame_equal(one, two)
    assert not one.isna().any().any()


def test_layout_is_cached_per_dataset():
    ds = small()
    assert metrics.layout(ds) is metrics.layout(ds)


def test_layout_of_a_dataset_without_relations(tmp_path: Path):
    ds = build(tmp_path, actors=[actor("A"), actor("B"), actor("C")])
    pos = metrics.layout(ds)
    assert list(pos.index) == ["A", "B", "C"]
    assert not pos.isna().any().any()
    assert pos["x"].is_unique


def test_layout_of_a_single_relation(tmp_path: Path):
    ds = build(
        tmp_path,
        actors=[actor("A"), actor("B")],
        relations=[relation("ab", "A", "B", "entente", "2000")],
    )
    pos = metrics.layout(ds)
    assert not pos.isna().any().any()
    assert (pos.loc["A"] != pos.loc["B"]).any()


# a layout that took long is kept beside the data: the next open reads it


@pytest.fixture
def copied(tmp_path: Path, monkeypatch) -> Path:
    """The small dataset in a folder of its own, every layout kept (however small)."""
    monkeypatch.setattr(metrics, "KEEP_NODES", 2)
    folder = tmp_path / "data"
    shutil.copytree(SMALL, folder)
    return folder


def kept_layouts(folder: Path) -> list[Path]:
    return sorted((folder / ".alliances").glob("layout-*.json"))


def no_forceatlas(monkeypatch) -> None:
    def fail(graph):
        raise AssertionError("the layout was computed again")

    monkeypatch.setattr(metrics, "_positions", fail)


def test_a_kept_layout_is_read_back_exactly_on_the_next_open(copied, monkeypatch):
    first = metrics.layout(load_dataset(copied, cache=False))
    assert len(kept_layouts(copied)) == 1
    no_forceatlas(monkeypatch)
    again = metrics.layout(load_dataset(copied, cache=False))
    pd.testing.assert_frame_equal(first, again, check_exact=True)


def test_other_relations_get_a_layout_of_their_own_and_two_are_kept(copied, monkeypatch):
    first = metrics.layout(load_dataset(copied, cache=False))
    relations = pd.read_csv(copied / "relations.csv", dtype=str)
    for i, (a, b) in enumerate([("CHN", "UKR"), ("USA", "PRK")]):
        row = relation(f"rel-extra-{i}", a, b, "rivalry", "2001")
        relations = pd.concat([relations, pd.DataFrame([row])])
        relations.to_csv(copied / "relations.csv", index=False)
        changed = metrics.layout(load_dataset(copied, cache=False))
        assert not changed.equals(first)  # computed for the new graph, not read
    assert len(kept_layouts(copied)) == 2  # the oldest went
    no_forceatlas(monkeypatch)
    pd.testing.assert_frame_equal(metrics.layout(load_dataset(copied, cache=False)), changed)


def test_an_unreadable_or_unwritable_layout_is_computed_again(copied, monkeypatch):
    first = metrics.layout(load_dataset(copied, cache=False))
    (kept,) = kept_layouts(copied)
    kept.write_text('{"nodes": ["RUS"], "xy": [[0, 0]', encoding="utf-8")  # cut short
    pd.testing.assert_frame_equal(metrics.layout(load_dataset(copied, cache=False)), first)

    def full(path, data, encoding="utf-8"):
        raise OSError(28, "No space left on device")

    kept.unlink()
    monkeypatch.setattr(metrics, "write_atomic", full)
    pd.testing.assert_frame_equal(metrics.layout(load_dataset(copied, cache=False)), first)
    assert kept_layouts(copied) == []


def test_a_small_layout_is_not_kept(tmp_path: Path):
    folder = tmp_path / "data"
    shutil.copytree(SMALL, folder)
    metrics.layout(load_dataset(folder, cache=False))
    assert kept_layouts(folder) == []
