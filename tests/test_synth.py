from __future__ import annotations

import polars as pl
import pytest

from graph_engine import ParameterError, generate_graph, ingest
from graph_engine._hashing import file_sha256
from graph_engine.synth import price_per_post


def test_same_seed_same_bytes(tmp_path):
    a = generate_graph(tmp_path / "a", n_creators=50, n_followers=2_000, n_edges=8_000, seed=3)
    b = generate_graph(tmp_path / "b", n_creators=50, n_followers=2_000, n_edges=8_000, seed=3)
    c = generate_graph(tmp_path / "c", n_creators=50, n_followers=2_000, n_edges=8_000, seed=4)
    assert file_sha256(a.edges_path) == file_sha256(b.edges_path)
    assert file_sha256(a.creators_path) == file_sha256(b.creators_path)
    assert file_sha256(a.edges_path) != file_sha256(c.edges_path)


def test_generated_graph_ingests_cleanly_with_planted_niches(tmp_path):
    g = generate_graph(
        tmp_path,
        n_creators=200,
        n_followers=20_000,
        n_edges=120_000,
        n_niches=5,
        mixing=0.0,
        seed=1,
        format="csv",
    )
    tables = ingest([g.edges_path], creators=g.creators_path)
    assert tables.rejected == {} and tables.duplicates == 0
    assert tables.edges.height == g.n_edges
    assert 0.8 * 120_000 <= g.n_edges <= 120_000
    creators = tables.creators
    assert (creators["followers"] == creators["declared_followers"]).all()
    # mixing 0: every follower follows creators of a single niche
    niche_of = dict(zip(creators["creator"], creators["niche"], strict=True))
    per_follower = (
        tables.edges.with_columns(pl.col("creator").replace_strict(niche_of).alias("niche"))
        .group_by("follower")
        .agg(pl.col("niche").n_unique())
    )
    assert per_follower["niche"].max() == 1
    # heavy tail: the top 1% of creators hold far more than 1% of the follows
    top = creators["followers"].sort(descending=True).head(2).sum()
    assert top > 0.05 * tables.edges.height
    assert set(creators["tier"]) <= {"nano", "micro", "macro", "mega"}


def test_price_model_rises_with_audience():
    prices = price_per_post([100, 1_000, 100_000, 1_000_000, 10_000_000])  # type: ignore[arg-type]
    assert list(prices.round()) == [5, 25, 400, 1_400, 25_000]


@pytest.mark.parametrize(
    "kwargs", [{"mixing": 1.5}, {"n_creators": 0}, {"n_niches": 500, "n_creators": 10}]
)
def test_bad_parameters(tmp_path, kwargs):
    with pytest.raises(ParameterError):
        generate_graph(tmp_path, **kwargs)
