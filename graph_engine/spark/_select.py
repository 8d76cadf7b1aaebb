"""Selection on Spark: Spark groups the followers, the driver solves the same problem.

A selection needs, of the followers, only which eligible creators each one follows and
what it weighs. Spark reads the eligible creators' edges (a broadcast join pushed into
the Parquet scan), collects each follower's sorted list of creators, and counts the
followers of every (list, weight) pair: the audience signatures, with their
multiplicities. Only those groups reach the driver, where `select_creators` solves the
problem on them (`selection.audiences.SignatureAudiences`): the same picks, reach,
bounds and certificate as on the graph in memory.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import polars as pl

from graph_engine import schema as s
from graph_engine.errors import ParameterError
from graph_engine.names import Roster
from graph_engine.selection import Selection, select_creators
from graph_engine.selection.audiences import SIGNATURE_SCHEMA, SignatureAudiences
from graph_engine.spark._session import spark_session
from graph_engine.store import open_version

__all__ = ["EMBEDDED_ONLY", "spark_select"]

# what the groups cannot answer: they count followers of weight 0 or 1 and plain reach
EMBEDDED_ONLY = ("target_reach", "reach_rate", "weight")


def spark_select(
    store: str | os.PathLike[str],
    *,
    spark: Any = None,
    version: str | None = None,
    **options: Any,
) -> Selection:
    """Choose creators as `select_creators` does, with the followers grouped by Spark.

    Parameters
    ----------
    store
        The store directory (Spark reads its Parquet files directly).
    spark
        A Spark session (`spark_session` makes a local one when None).
    version
        A version of the store; None for the live one.
    **options
        The arguments of `graph_engine.select_creators` (a count or a budget, caps,
        must-includes, prices, `max_following`, `method`, `time_limit`, ...); the time
        limit counts from when the groups reach the driver.

    Returns
    -------
    Selection
        What `select_creators(read_store(store), ...)` gives: the same picks, reach and
        bound (only `n_elements` differs: groups of followers, not followers).

    Raises
    ------
    ParameterError
        For a target reach, a reach rate or a follower weight column (use the embedded
        engine for them).
    """
    given = [name for name in EMBEDDED_ONLY if options.get(name) is not None]
    if given:
        raise ParameterError(
            f"the Spark engine does not select with {', '.join(given)} yet; hint: use the "
            "embedded engine for them"
        )
    v = open_version(store, version)
    session = spark or spark_session()

    def gather(rows: np.ndarray, max_following: int | None) -> pl.DataFrame:
        from pyspark.sql import functions as F

        eligible = session.createDataFrame([(int(r),) for r in rows], f"{s.CREATOR} int")
        edges = session.read.parquet(str(v.path / "edges.parquet")).join(
            F.broadcast(eligible), s.CREATOR
        )
        per_follower = edges.groupBy(s.FOLLOWER).agg(
            F.sort_array(F.collect_list(s.CREATOR)).alias("creators")
        )
        weight = F.lit(1.0)
        if max_following is not None:  # as `follower_weights`: following > cut-off weighs 0
            following = session.read.parquet(str(v.path / "followers.parquet"))
            per_follower = per_follower.join(following.select(s.FOLLOWER, s.FOLLOWING), s.FOLLOWER)
            weight = F.when(F.col(s.FOLLOWING) > max_following, 0.0).otherwise(1.0)
        groups = per_follower.groupBy("creators", weight.alias("weight")).agg(
            F.count("*").alias("followers")
        )
        frame = pl.from_arrow(groups.toArrow())
        assert isinstance(frame, pl.DataFrame)
        return frame.cast(SIGNATURE_SCHEMA)

    return select_creators(SignatureAudiences(Roster(v.read("creators")), gather), **options)
