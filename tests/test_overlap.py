from __future__ import annotations

import itertools
from pathlib import Path

import hypothesis.strategies as st
import networkx as nx
import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings

from graph_engine import ParameterError, UnknownCreatorError, ingest
from graph_engine.audience import audience_report
from graph_engine.graph import AudienceGraph
from graph_engine.outputs import write_frames
from graph_engine.overlap import (
    compute_overlap,
    overlap_blocks,
    pair_bound,
    similar_creators,
    strongest_pairs,
)

from .conftest import ZOO, audiences, graph_from_edges

SAMPLE = Path(__file__).resolve().parents[1] / "sample_graphs" / "twitter100" / "followers.tsv.gz"


def brute_pairs(edges) -> dict[tuple[str, str], int]:
    aud = {str(c): {str(f) for f in fs} for c, fs in audiences(edges).items()}
    out = {}
    for a, b in itertools.combinations(sorted(aud), 2):
        shared = len(aud[a] & aud[b])
        if shared:
            out[(a, b)] = shared
    return out


def as_dict(pairs: pl.DataFrame) -> dict[tuple[str, str], int]:
    return {
        (str(a), str(b)): s
        for a, b, s in pairs.select("creator_a", "creator_b", "shared").iter_rows()
    }


def test_zoo_matches_brute_force(zoo_edges):
    assert as_dict(compute_overlap(graph_from_edges(zoo_edges))) == brute_pairs(zoo_edges)


edge_lists = st.lists(
    st.tuples(st.integers(0, 12), st.integers(100, 160)), min_size=1, max_size=150
)


@settings(max_examples=80, deadline=None)
@given(edges=edge_lists, block=st.integers(1, 50))
def test_overlap_equals_sets_and_networkx(edges, block):
    graph = graph_from_edges(edges)
    pairs = pl.concat([*overlap_blocks(graph, block_entries=block)])
    assert as_dict(pairs) == brute_pairs(edges)
    # networkx's projection, weighted by shared followers
    bg = nx.Graph()
    bg.add_edges_from((("c", str(c)), ("f", str(f))) for c, f in edges)
    creators = [n for n in bg if n[0] == "c"]
    proj = nx.bipartite.overlap_weighted_projected_graph(bg, creators, jaccard=True)
    for a, b, jac in pairs.select("creator_a", "creator_b", "jaccard").iter_rows():
        assert proj[("c", a)][("c", b)]["weight"] == pytest.approx(jac)
    assert proj.number_of_edges() == pairs.height
    # invariants
    if pairs.height:
        smaller = pairs.select(pl.min_horizontal("followers_a", "followers_b")).to_series()
        assert (pairs["shared"] <= smaller).all()
        assert pairs["jaccard"].is_between(0, 1).all()
        assert (pairs["share_of_a"] * pairs["followers_a"] - pairs["shared"]).abs().max() < 1e-9


@settings(max_examples=60, deadline=None)
@given(edges=edge_lists, top_k=st.one_of(st.none(), st.integers(1, 5)))
def test_pair_bound_is_at_least_the_pairs_computed(edges, top_k):
    graph = graph_from_edges(edges)
    pairs = compute_overlap(graph, top_k=top_k)
    assert pair_bound(graph, top_k=top_k) >= pairs.height
    if top_k is None and len({f for _, f in edges}) == 1:  # one follower: every pair exact
        assert pair_bound(graph) == len(brute_pairs(edges))


def test_filters_and_top_k():
    edges = ZOO["three"] + [("d", 1), ("d", 2), ("d", 3), ("d", 4)]
    graph = graph_from_edges(edges)
    full = compute_overlap(graph)
    assert as_dict(compute_overlap(graph, min_shared=2)) == {
        k: v for k, v in as_dict(full).items() if v >= 2
    }
    strong = compute_overlap(graph, min_jaccard=0.5)
    assert (strong["jaccard"] >= 0.5).all() and strong.height == (full["jaccard"] >= 0.5).sum()
    top = compute_overlap(graph, top_k=1, by="shared")
    assert sorted(top["creator_a"].to_list()) == ["a", "b", "c", "d"]  # one row per creator
    for a, s in top.select("creator_a", "shared").iter_rows():
        best = max(v for k, v in as_dict(full).items() if a in k)
        assert s == best
    subset = compute_overlap(graph, creators=["a", "d"])
    assert as_dict(subset) == {("a", "d"): 3}


def test_similar_creators_ranks_by_the_metric():
    graph = graph_from_edges(ZOO["three"] + [("d", 1), ("d", 2), ("d", 3), ("d", 4)])
    # a: {1,2,3}; shares 3 with d, 1 with b ({3}) and 1 with c ({1}); ties go to id order
    result = similar_creators(graph, "a", top_k=2, by="shared")
    assert result.select("creator_b", "shared").rows() == [("d", 3), ("b", 1)]
    by_share = similar_creators(graph, "a", top_k=3, by="share_of_b")  # b: 1/2, c: 1/3, d: 3/4
    assert by_share["creator_b"].to_list() == ["d", "b", "c"]
    with pytest.raises(UnknownCreatorError):
        similar_creators(graph, "zz")
    with pytest.raises(ParameterError, match="unknown metric"):
        similar_creators(graph, "a", by="cosine")  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(edges=edge_lists, pick=st.lists(st.integers(0, 12), min_size=1, max_size=6, unique=True))
def test_audience_report_equals_sets(edges, pick):
    aud = {str(c): {str(f) for f in fs} for c, fs in audiences(edges).items()}
    chosen = [str(c) for c in pick if str(c) in aud]
    if not chosen:
        return
    report = audience_report(graph_from_edges(edges), chosen)
    union = set().union(*(aud[c] for c in chosen))
    assert report.summary["reach"] == len(union)
    assert report.summary["total_followers"] == sum(len(aud[c]) for c in chosen)
    assert report.summary["duplicated"] == report.summary["total_followers"] - len(union)
    for row in report.creators.iter_rows(named=True):
        others = set().union(*(aud[c] for c in chosen if c != row["creator_id"]))
        assert row["exclusive"] == len(aud[row["creator_id"]] - others)
    assert report.shared is not None
    for i, a in enumerate(chosen):
        for b in chosen:
            assert report.shared[b][i] == len(aud[a] & aud[b])


def test_sample_graph_equals_a_polars_self_join():
    graph = AudienceGraph.from_tables(
        ingest([SAMPLE], creator_column="creator", follower_column="follower")
    )
    pairs = compute_overlap(graph)
    edges = pl.read_csv(SAMPLE, separator="\t")
    join = (
        edges.join(edges, on="follower", suffix="_b")
        .filter(pl.col("creator") < pl.col("creator_b"))
        .group_by("creator", "creator_b")
        .len()
    )
    assert pairs.height == join.height
    assert pairs["shared"].sum() == join["len"].sum()
    assert as_dict(pairs) == {(a, b): n for a, b, n in join.iter_rows()}


def test_streaming_write(tmp_path):
    graph = graph_from_edges(ZOO["three"])
    for ext in ("parquet", "csv", "jsonl", "json"):
        path = tmp_path / f"pairs.{ext}"
        n = write_frames(
            overlap_blocks(graph, block_entries=1), path, empty=compute_overlap(graph).clear()
        )
        assert n == 3
        frame = {
            "parquet": pl.read_parquet,
            "csv": pl.read_csv,
            "jsonl": pl.read_ndjson,
            "json": pl.read_json,
        }[ext](path)
        assert frame.height == 3 and "jaccard" in frame.columns
    assert not list(tmp_path.glob(".*tmp*"))


def test_isolated_creators_produce_no_pairs():
    graph = graph_from_edges(ZOO["disjoint"])
    pairs = compute_overlap(graph)
    assert pairs.height == 0 and pairs.columns[:3] == ["creator_a", "creator_b", "shared"]
    assert np.all(graph.degrees > 0)


@pytest.mark.parametrize("by", ["jaccard", "shared"])
@pytest.mark.parametrize("limit", [1, 5, 37])
def test_strongest_pairs_of_a_stream_are_the_top_of_a_full_sort(by, limit):
    edges = [(c, f) for c in "abcdefgh" for f in range(ord(c) % 5, 12, 1 + ord(c) % 3)]
    graph = graph_from_edges(edges)
    brute = brute_pairs(edges)
    aud = {str(c): {str(f) for f in fs} for c, fs in audiences(edges).items()}

    def score(pair):
        a, b = pair
        return brute[pair] if by == "shared" else brute[pair] / len(aud[a] | aud[b])

    # brute force ranking: metric, then shared, both descending, then the ids ascending
    ranked = sorted(brute, key=lambda p: (-score(p), -brute[p], p))[:limit]
    blocks = overlap_blocks(graph, block_entries=1)  # one creator per block
    top, seen = strongest_pairs(blocks, limit, by=by)
    assert seen == len(brute)
    assert list(zip(top["creator_a"], top["creator_b"], strict=True)) == ranked


@pytest.mark.parametrize(("creator", "by"), [(1, "jaccard"), ("68", "shared"), (300, "share_of_b")])
def test_similar_on_a_store_equals_similar_on_its_graph_and_plain_sets(
    synthetic_store, creator, by, monkeypatch
):
    from graph_engine import read_store

    graph = read_store(synthetic_store)
    expected = similar_creators(graph, creator, top_k=15, by=by)
    monkeypatch.setattr(AudienceGraph, "from_edges", None)  # no graph may be built
    got = similar_creators(synthetic_store, creator, top_k=15, by=by)
    assert got.equals(expected) and got.height == 15
    mine = set(graph.audience(creator).to_list())
    for other, shared in got.select("creator_b", "shared").rows():
        assert shared == len(mine & set(graph.audience(other).to_list()))


def test_similar_on_a_store_names_an_unknown_creator(synthetic_store):
    with pytest.raises(UnknownCreatorError, match="99999"):
        similar_creators(synthetic_store, 99_999)


@pytest.mark.parametrize("upper", [True, False])
def test_compiled_kernels_equal_a_dense_product(upper):
    """The C kernels (transpose, shared counts with prefetching) on a skewed random graph.

    Creators follow a power law, so rows are long enough for every prefetch distance, and
    blocks of uneven size start and end anywhere; the answer is the dense B·Bᵀ.
    """
    from graph_engine._kernels import build_pattern, shared_counts

    rng = np.random.default_rng(7)
    n, m = 60, 3_000
    dense = rng.random((n, m)) < np.linspace(0.002, 0.3, n)[:, None] ** 1.5
    indptr = np.concatenate([[0], np.cumsum(dense.sum(axis=1))]).astype(np.int64)
    indices = np.nonzero(dense)[1].astype(np.int32)
    pattern = build_pattern(indptr, indices, m)
    assert np.array_equal(pattern.t_indptr, np.concatenate([[0], np.cumsum(dense.sum(axis=0))]))
    assert np.array_equal(pattern.t_indices, np.nonzero(dense.T)[1])
    product = dense.astype(np.int64) @ dense.T.astype(np.int64)
    found = np.zeros((n, n), dtype=np.int64)
    for lo, hi in [(0, 1), (1, 17), (17, 18), (18, 60)]:
        a, b, shared = shared_counts(pattern, lo, hi, upper)
        assert ((a >= lo) & (a < hi)).all() and (b > a if upper else b != a).all()
        assert (shared > 0).all() and np.unique(a * n + b).size == a.size  # each pair once
        found[a, b] = shared
    expected = np.triu(product, 1) if upper else product - np.diag(np.diag(product))
    assert np.array_equal(found, expected)


def test_unbuilt_kernels_are_one_clear_error(monkeypatch):
    from graph_engine import GraphEngineError, _kernels

    _kernels._library.cache_clear()
    monkeypatch.setattr(_kernels.importlib.util, "find_spec", lambda name: None)
    try:
        with pytest.raises(GraphEngineError, match="not built; hint: reinstall"):
            compute_overlap(graph_from_edges(ZOO["three"]))
    finally:
        _kernels._library.cache_clear()


@settings(max_examples=60, deadline=None)
@given(
    edges=edge_lists,
    top_k=st.integers(1, 6),
    by=st.sampled_from(["shared", "jaccard", "share_of_a", "overlap_coefficient"]),
)
def test_top_k_keeps_each_creators_best_partners_ties_to_the_lower_creator(edges, top_k, by):
    graph = graph_from_edges(edges)
    aud = {str(c): {f for cc, f in edges if cc == c} for c, _ in edges}
    dense = {str(c): i for i, c in enumerate(graph.creator_ids())}

    def metric(a: str, b: str) -> float:
        shared, fa, fb = len(aud[a] & aud[b]), len(aud[a]), len(aud[b])
        return {
            "shared": shared,
            "jaccard": shared / len(aud[a] | aud[b]),
            "share_of_a": shared / fa,
            "overlap_coefficient": shared / min(fa, fb),
        }[by]

    expected = set()
    for a, mine in aud.items():
        partners = [b for b in aud if b != a and mine & aud[b]]
        partners.sort(key=lambda b: (-metric(a, b), dense[b]))
        expected |= {(a, b) for b in partners[:top_k]}
    found = compute_overlap(graph, top_k=top_k, by=by)
    got = {(str(a), str(b)) for a, b in found.select("creator_a", "creator_b").iter_rows()}
    assert got == expected


def test_the_kernels_refuse_arrays_they_would_overrun():
    from graph_engine._kernels import build_pattern, shared_counts

    indptr, indices = np.array([0, 2, 3]), np.array([0, 1, 1])
    with pytest.raises(ValueError, match=r"indices must lie in 0\.\.1"):
        build_pattern(indptr, np.array([0, 1, 2]), 2)
    with pytest.raises(ValueError, match="from 0 to the 3 indices"):
        build_pattern(np.array([0, 2, 4]), indices, 2)
    with pytest.raises(ValueError, match="must not decrease"):
        build_pattern(np.array([0, 2, 1, 3]), indices, 2)
    pattern = build_pattern(indptr, indices, 2)
    with pytest.raises(ValueError, match=r"block \[1, 3\) is not within 0..2"):
        shared_counts(pattern, 1, 3, True)
