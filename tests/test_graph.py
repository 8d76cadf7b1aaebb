from __future__ import annotations

import networkx as nx
import numpy as np
import polars as pl
import pytest

from graph_engine import ParameterError, UnknownCreatorError

from .conftest import ZOO, audiences, graph_audiences, graph_from_edges


def _str_audiences(edges):
    return {str(c): {str(f) for f in fs} for c, fs in audiences(edges).items()}


def test_csr_matches_sets(zoo_edges):
    graph = graph_from_edges(zoo_edges)
    assert graph_audiences(graph) == _str_audiences(zoo_edges)
    expected = _str_audiences(zoo_edges)
    assert graph.n_edges == sum(len(v) for v in expected.values())
    assert graph.matrix.sum() == graph.n_edges
    for row in range(graph.n_creators):  # indices sorted within rows
        seg = graph.indices[graph.indptr[row] : graph.indptr[row + 1]]
        assert np.all(np.diff(seg) > 0)


def test_subgraph_filters():
    graph = graph_from_edges(ZOO["nested"])  # a: 4 followers, b: 2, c: 1
    assert graph.subgraph(min_followers=2).creator_ids().to_list() == ["a", "b"]
    assert graph.subgraph(max_followers=2).creator_ids().to_list() == ["b", "c"]
    sub = graph.subgraph(creators=["c", "b"])
    assert graph_audiences(sub) == {"b": {"2", "3"}, "c": {"3"}}
    assert sub.n_followers == 2  # followers of nobody chosen are dropped
    assert sub.followers["following"].to_list() == [2, 3]  # store-wide, not subgraph
    assert graph.subgraph(tiers=["nano"]).n_creators == 3
    with pytest.raises(ParameterError, match="did you mean `micro`"):
        graph.subgraph(tiers=["micr"])


def test_unknown_creator_has_a_hint():
    graph = graph_from_edges(ZOO["star"])
    with pytest.raises(UnknownCreatorError, match=r"creator `hubb` is not in the graph.*`hub`"):
        graph.audience("hubb")


def test_integer_ids_accept_strings(tmp_path):
    from graph_engine import ingest

    path = tmp_path / "e.txt"
    path.write_text("10 1\n11 1\n10 2\n")
    from graph_engine import AudienceGraph

    graph = AudienceGraph.from_tables(ingest([path]))
    assert sorted(graph.audience("1").to_list()) == [10, 11]
    assert sorted(graph.audience(1).to_list()) == [10, 11]


def test_to_networkx_and_igraph(zoo_edges):
    graph = graph_from_edges(zoo_edges)
    expected = _str_audiences(zoo_edges)
    g = graph.to_networkx()
    assert nx.is_bipartite(g)
    for c, fs in expected.items():
        assert {f for _, f in g.neighbors(("creator", c))} == fs
    ig = graph.to_igraph()
    assert ig.is_bipartite()
    assert ig.ecount() == graph.n_edges
    for v in range(graph.n_creators):
        assert {ig.vs[u]["id"] for u in ig.neighbors(v)} == expected[ig.vs[v]["id"]]


# --- reading only the chosen creators ---------------------------------------------------


def _same_graph(a, b) -> None:
    assert np.array_equal(a.indptr, b.indptr)
    assert np.array_equal(a.indices, b.indices)
    assert a.creators.equals(b.creators)
    assert a.followers.equals(b.followers)


def test_the_store_has_several_row_groups_to_skip(synthetic_store):
    import pyarrow.parquet as pq

    from graph_engine.store import open_version

    edges = open_version(synthetic_store).path / "edges.parquet"
    assert pq.read_metadata(edges).num_row_groups > 1


@pytest.mark.parametrize(
    "choice",
    [
        {"creators": ["68"]},
        {"creators": [1, 300, 150]},
        {"creators": list(range(1, 301, 7))},
        {"tiers": ["micro"]},
        {"min_followers": 1_000},
        {"max_followers": 150, "tiers": ["nano"]},
        {"creators": [3, 4, 5], "min_followers": 100_000},  # nothing matches
    ],
)
def test_reading_chosen_creators_equals_choosing_after_a_full_read(synthetic_store, choice):
    from graph_engine import read_store

    full = read_store(synthetic_store)
    _same_graph(read_store(synthetic_store, **choice), full.subgraph(**choice))
    # and against plain sets of the followers' original ids
    part = read_store(synthetic_store, **choice)
    for cid in part.creator_ids().to_list():
        assert set(part.audience(cid).to_list()) == set(full.audience(cid).to_list())


def test_a_short_query_never_reads_the_followers_table(synthetic_store, monkeypatch):
    from graph_engine import read_store
    from graph_engine.audience import audience_report

    read = []
    real = pl.read_parquet
    monkeypatch.setattr(pl, "read_parquet", lambda src, **kw: read.append(src) or real(src, **kw))
    part = read_store(synthetic_store, creators=[1, 300, 150])
    report = audience_report(part, [1, 300, 150])
    assert report.summary["reach"] == part.n_followers > 0
    assert not any("followers" in str(getattr(src, "name", src)) for src in read), read
    # the followers are read on first use, and they are the right ones
    full = read_store(synthetic_store)
    assert part.followers.equals(full.subgraph(creators=[1, 300, 150]).followers)


def test_followers_read_later_survive_a_prune_of_their_version(tmp_path):
    import shutil

    from graph_engine import ingest_into_store, read_store

    edges = tmp_path / "e.csv"
    edges.write_text("creator_id,follower_id\na,1\na,2\nb,2\nc,3\n")
    store = tmp_path / "s"
    ingest_into_store([edges], store)
    part = read_store(store, creators=["a", "b"])
    version = next(store.glob("v*"))
    shutil.rmtree(version)  # as a prune by another process would
    assert part.followers["follower_id"].to_list() == [1, 2]


def test_take_equals_the_scipy_row_slice(synthetic_store):
    from graph_engine import read_store

    full = read_store(synthetic_store)
    rows = np.array([5, 0, 77, 5, 299])
    sub = full.take(rows)
    expected = full.matrix[np.unique(rows)]
    assert np.array_equal(sub.indptr, expected.indptr)
    # renumbered followers: map back to the store's dense ids and compare
    back = full.followers["follower_id"].to_list()
    got = [sub.followers["follower_id"][int(i)] for i in sub.indices]
    assert got == [back[int(i)] for i in expected.indices]


def test_an_unknown_chosen_creator_is_named_before_any_edge_is_read(synthetic_store):
    from graph_engine import read_store

    with pytest.raises(UnknownCreatorError, match="creator `nobody`"):
        read_store(synthetic_store, creators=["nobody"])
