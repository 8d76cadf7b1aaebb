"""Communities on Spark: the overlap graph computed by Spark, partitioned on the driver.

The pairs come from `spark_overlap` (Spark's sums of the engine's kernel counts), the
partition from the embedded engine's own `communities.communities_of_pairs` (a graph of
creators is small even when their audiences are not), and each community's unique
audience from Spark (a join of the edges with the membership, then a distinct count).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from graph_engine import schema as s
from graph_engine.communities import Communities, communities_of_pairs
from graph_engine.spark._overlap import spark_overlap
from graph_engine.spark._session import spark_session
from graph_engine.store import open_version
from graph_engine.vocab import CommunityMethod, Weight

__all__ = ["spark_communities"]


def spark_communities(
    store: str | os.PathLike[str],
    *,
    spark: Any = None,
    version: str | None = None,
    method: CommunityMethod = "leiden",
    weight: Weight = "jaccard",
    min_weight: float = 0.0,
    resolution: float = 1.0,
    seed: int = 0,
) -> Communities:
    """Communities of creators that share audiences, with the overlap counted by Spark.

    Parameters
    ----------
    store
        The store directory (Spark reads its Parquet files directly).
    spark
        A Spark session (`spark_session` makes a local one when None).
    version
        A version of the store; None for the live one.
    method, weight, min_weight, resolution, seed
        As in `graph_engine.detect_communities`.

    Returns
    -------
    Communities
        What `detect_communities` gives on the whole store, label for label.
    """
    from pyspark.sql import functions as F

    v = open_version(store, version)
    session = spark or spark_session()
    pairs = spark_overlap(store, spark=session, version=v.name)
    assert not isinstance(pairs, int)
    creators = v.read("creators")

    def audiences(labels: np.ndarray) -> np.ndarray:
        membership = session.createDataFrame(
            [(i, int(c)) for i, c in enumerate(labels.tolist())], f"{s.CREATOR} int, community int"
        )
        counted = dict(
            session.read.parquet(str(v.path / "edges.parquet"))
            .join(F.broadcast(membership), s.CREATOR)
            .groupBy("community")
            .agg(F.countDistinct(s.FOLLOWER))
            .collect()
        )
        k = int(labels.max()) + 1 if labels.size else 0
        return np.array([counted.get(c, 0) for c in range(k)], dtype=np.int64)

    return communities_of_pairs(
        creators,
        [pairs.select("creator_a", "creator_b", weight)],
        audiences,
        method=method,
        weight=weight,
        min_weight=min_weight,
        resolution=resolution,
        seed=seed,
    )
