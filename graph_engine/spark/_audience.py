"""The reach report of a list of creators on Spark: the same report, counted by Spark.

Spark reads only the listed creators' edges (a filter pushed into the Parquet scan),
counts per follower how many listed creators it follows, and reduces those counts to
what the report is made of (`audience.ListCounts`): each creator's followers and
exclusive followers, the frequency histogram and, for short lists, the shared matrix
(a self-join on follower). Only those few numbers reach the driver, which builds the
report with the embedded engine's own `audience.report_of`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from graph_engine import schema as s
from graph_engine.audience import MAX_MATRIX, AudienceReport, ListCounts, report_of
from graph_engine.errors import ParameterError
from graph_engine.exposure import FREQUENCY_TOP
from graph_engine.names import CreatorId, CreatorLookup
from graph_engine.spark._session import spark_session
from graph_engine.store import open_version

__all__ = ["spark_audience"]


def spark_audience(
    store: str | os.PathLike[str],
    creators: Sequence[CreatorId],
    *,
    spark: Any = None,
    version: str | None = None,
) -> AudienceReport:
    """Reach, duplication and exclusive followers of a list of creators, counted by Spark.

    Parameters
    ----------
    store
        The store directory (Spark reads its edges directly).
    creators
        Ids or handles of the list.
    spark
        A Spark session (`spark_session` makes a local one when None).
    version
        A version of the store; None for the live one.

    Returns
    -------
    AudienceReport
        The report `graph_engine.audience_report` gives for the same list, figure for
        figure.
    """
    from pyspark.sql import functions as F

    if not creators:
        raise ParameterError("`creators` is empty; hint: name at least one creator")
    v = open_version(store, version)
    table = v.read("creators")
    idx = list(dict.fromkeys(CreatorLookup(table).index(creators).tolist()))
    session = spark or spark_session()
    edges = (
        session.read.parquet(str(v.path / "edges.parquet"))
        .filter(F.col(s.CREATOR).isin(idx))
        .select(s.CREATOR, s.FOLLOWER)
    )
    per_follower = edges.groupBy(s.FOLLOWER).agg(
        F.count("*").alias("n"), F.min(s.CREATOR).alias("only")
    )
    times = dict(
        per_follower.groupBy(F.least(F.col("n"), F.lit(FREQUENCY_TOP)).alias("t")).count().collect()
    )
    exclusive = dict(per_follower.filter(F.col("n") == 1).groupBy("only").count().collect())
    followers = dict(edges.groupBy(s.CREATOR).count().collect())
    matrix = None
    if len(idx) <= MAX_MATRIX:
        a, b = edges.alias("a"), edges.alias("b")
        pairs = (
            a.join(b, F.col(f"a.{s.FOLLOWER}") == F.col(f"b.{s.FOLLOWER}"))
            .filter(F.col(f"a.{s.CREATOR}") < F.col(f"b.{s.CREATOR}"))
            .groupBy(F.col(f"a.{s.CREATOR}"), F.col(f"b.{s.CREATOR}"))
            .count()
            .collect()
        )
        where = {c: i for i, c in enumerate(idx)}
        matrix = np.diag(np.array([followers.get(c, 0) for c in idx], dtype=np.int64))
        for ca, cb, n in pairs:
            matrix[where[ca], where[cb]] = matrix[where[cb], where[ca]] = n
    counts = ListCounts(
        followers=np.array([followers.get(c, 0) for c in idx], dtype=np.int64),
        exclusive=np.array([exclusive.get(c, 0) for c in idx], dtype=np.int64),
        times=np.array([times.get(t, 0) for t in range(1, FREQUENCY_TOP + 1)], dtype=np.int64),
        matrix=matrix,
    )
    return report_of(table, idx, counts)
