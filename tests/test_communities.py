from __future__ import annotations

import networkx as nx
import numpy as np
import polars as pl
import pytest

from graph_engine import ParameterError, generate_graph, ingest
from graph_engine.communities import (
    detect_communities,
    normalized_mutual_information,
    partition,
)
from graph_engine.graph import AudienceGraph

from .conftest import ZOO, graph_from_edges


def test_karate_club_leiden_reaches_the_known_best_modularity():
    karate = nx.karate_club_graph()  # unweighted: the weights networkx carries are ignored
    edges = np.array(list(karate.edges()))
    membership, q = partition(34, edges, None, method="leiden", seed=0)
    assert round(q, 4) == 0.4198
    assert q == pytest.approx(
        nx.community.modularity(
            karate,
            [set(np.flatnonzero(membership == c).tolist()) for c in np.unique(membership)],
            weight=None,
        )
    )


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> AudienceGraph:
    out = tmp_path_factory.mktemp("planted")
    g = generate_graph(
        out, n_creators=200, n_followers=30_000, n_edges=150_000, n_niches=5, mixing=0.1, seed=3
    )
    return AudienceGraph.from_tables(ingest([g.edges_path], creators=g.creators_path))


@pytest.mark.parametrize("method", ["leiden", "louvain"])
def test_planted_niches_are_found(planted, method):
    found = detect_communities(planted, method=method, seed=1)
    nmi = normalized_mutual_information(
        found.membership["community"].to_list(), planted.creators["niche"].to_list()
    )
    assert nmi >= 0.9
    assert found.summary["size"].sum() == planted.n_creators
    assert (found.summary["niche_share"] > 0.5).all()


def test_partition_invariants_and_determinism(planted):
    a = detect_communities(planted, seed=7)
    b = detect_communities(planted, seed=7)
    assert a.membership.equals(b.membership) and a.modularity == b.modularity
    m = a.membership
    assert m["creator_id"].n_unique() == planted.n_creators  # every creator exactly once
    sizes = m.group_by("community").len().sort("community")["len"].to_list()
    assert sizes == sorted(sizes, reverse=True)  # 0 is the largest
    assert sizes == a.summary["size"].to_list()
    # unique audience of a community is the union of its members' audiences
    row = a.summary.row(0, named=True)
    members = m.filter(pl.col("community") == 0)["creator_id"].to_list()
    union = set().union(*(set(planted.audience(c).to_list()) for c in members))
    assert row["unique_audience"] == len(union)


def test_every_community_is_connected(planted):
    found = detect_communities(planted, method="louvain", min_weight=0.02, seed=0)
    ids = planted.creator_ids().to_list()
    from graph_engine.overlap import compute_overlap

    pairs = compute_overlap(planted).filter(pl.col("jaccard") >= 0.02)
    g = nx.Graph()
    g.add_nodes_from(ids)
    g.add_edges_from(pairs.select("creator_a", "creator_b").iter_rows())
    for _, group in found.membership.group_by("community"):
        assert nx.is_connected(g.subgraph(group["creator_id"].to_list()))


def test_isolated_creators_are_singletons():
    graph = graph_from_edges(ZOO["disjoint"])
    found = detect_communities(graph)
    assert found.n_communities == 3 and found.summary["size"].to_list() == [1, 1, 1]
    assert found.modularity == 0.0


def test_errors():
    graph = graph_from_edges(ZOO["three"])
    with pytest.raises(ParameterError, match="unknown method"):
        detect_communities(graph, method="girvan")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="no creators"):
        detect_communities(graph, creators=[])
    with pytest.raises(ParameterError, match="`resolution` must be positive"):
        detect_communities(graph, resolution=0)
