"""All-pairs overlap on Spark, with the embedded engine's kernel inside each task.

The decomposition (docs/spark.md): B·Bᵀ is the sum over followers of the pairs of the
creators each follows, so edges are partitioned by follower; each task counts the pairs
of its partition's creators (B_p B_pᵀ) with the engine's compiled kernel on Arrow
batches (`mapInArrow`), Spark sums the partial counts by pair, and the metrics are the
engine's own `pair_metrics` on the summed counts. Partitioning by follower spreads a
creator with millions of followers over every task. A follower of k creators gives k²/2
pair counts to one task, so a follower of more than 2 x `SPLIT_FOLLOWING` creators is
split (`_split_heavy`): its creators are hashed into g groups, and its pairs are counted in
pieces spread over the tasks: each two groups together, and each group alone counted
2 - g times (which takes back what the pairs within it were counted too often). Integer
counts and the same float operations make
every row identical to `compute_overlap`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import numpy as np
import polars as pl

from graph_engine import schema as s
from graph_engine.errors import ParameterError
from graph_engine.overlap import PAIR_SCHEMA, pair_metrics
from graph_engine.spark._session import spark_session
from graph_engine.store import open_version

__all__ = ["SPLIT_FOLLOWING", "spark_overlap"]

# a follower of more than 2x this many creators has its pairs counted in pieces of about
# (2 x this)² / 2 pair counts, over several tasks
SPLIT_FOLLOWING = 1_000
# a split follower's edges are copied once per group: at most this many groups
_MAX_GROUPS = 64
_BLOCK_ENTRIES = 2_000_000  # pair slots per kernel call inside a task (bounds its memory)
_COUNTS = "creator_a int, creator_b int, shared long"
_PIECE, _TIMES = "piece", "times"  # a split follower's piece, and how many times it counts
_METRICS = (
    "creator_a int, creator_b int, shared long, followers_a long, followers_b long, "
    "jaccard double, overlap_coefficient double, share_of_a double, share_of_b double"
)


def spark_overlap(
    store: str | os.PathLike[str],
    *,
    spark: Any = None,
    version: str | None = None,
    min_shared: int = 1,
    min_jaccard: float = 0.0,
    partitions: int | None = None,
    split_following: int | None = SPLIT_FOLLOWING,
    output: str | os.PathLike[str] | None = None,
) -> pl.DataFrame | int:
    """Every pair of creators that share followers, computed by Spark.

    Parameters
    ----------
    store
        The store directory (Spark reads its Parquet files directly).
    spark
        A Spark session (`spark_session` makes a local one when None).
    version
        A version of the store; None for the live one.
    min_shared, min_jaccard
        Keep pairs with at least this many shared followers / this Jaccard index.
    partitions
        Follower partitions (tasks); default: three per core of the session.
    split_following
        Split the pairs of a follower of more than twice this many creators over several
        tasks (None: never). Only where the work goes changes, not the answer.
    output
        Write the pairs here as a Parquet dataset (by Spark) instead of returning them.

    Returns
    -------
    polars.DataFrame or int
        The pairs with the columns of `graph_engine.compute_overlap`, sorted by
        (creator_a, creator_b) in the store's dense order; or the number of pairs
        written to `output`.
    """
    if split_following is not None and split_following < 1:
        raise ParameterError(f"`split_following` must be >= 1, got {split_following}")
    if min_shared < 1 or not 0.0 <= min_jaccard <= 1.0:
        raise ParameterError(
            f"`min_shared` must be >= 1 and `min_jaccard` in [0, 1], got {min_shared} and "
            f"{min_jaccard}"
        )
    from pyspark.sql import functions as F

    v = open_version(store, version)
    session = spark or spark_session()
    edges = session.read.parquet(str(v.path / "edges.parquet"))
    table = session.read.parquet(str(v.path / "creators.parquet"))
    name = next((c for c in s.NAME_COLUMNS if c in table.columns), None)  # handle beside id
    creators = table.select(s.CREATOR, s.CREATOR_ID, s.FOLLOWERS, *([name] if name else []))
    tasks = partitions or 3 * session.sparkContext.defaultParallelism
    if split_following is None:
        pieces = edges.select(s.CREATOR, s.FOLLOWER, F.lit(0).alias(_PIECE), F.lit(1).alias(_TIMES))
    else:
        pieces = _split_heavy(edges, session.read.parquet(str(v.path / "followers.parquet")),
                              split_following)  # fmt: skip
    counts = (
        pieces.repartition(tasks, s.FOLLOWER, _PIECE)
        .mapInArrow(_partition_pairs, _COUNTS)
        .groupBy("creator_a", "creator_b")
        .agg(F.sum("shared").alias("shared"))
    )
    if min_shared > 1:
        counts = counts.filter(F.col("shared") >= min_shared)
    size_a = creators.select(F.col(s.CREATOR).alias("creator_a"), F.col(s.FOLLOWERS).alias("fa"))
    size_b = creators.select(F.col(s.CREATOR).alias("creator_b"), F.col(s.FOLLOWERS).alias("fb"))
    pairs = counts.join(size_a, "creator_a").join(size_b, "creator_b")
    pairs = pairs.select("creator_a", "creator_b", "shared", "fa", "fb").mapInArrow(
        _metrics, _METRICS
    )
    if min_jaccard > 0:
        pairs = pairs.filter(F.col("jaccard") >= min_jaccard)

    def names(end: str) -> tuple[Any, list[Any]]:
        """Map side `end` of each pair from dense id to the store's id (and handle)."""
        handle = [F.col(name).cast("string").alias(f"{name}_{end}")] if name else []
        keyed = creators.select(
            F.col(s.CREATOR).alias(f"creator_{end}"),
            F.col(s.CREATOR_ID).alias(f"id_{end}"),
            *handle,
        )
        shown = [F.col(f"id_{end}").alias(f"creator_{end}"), *([f"{name}_{end}"] if name else [])]
        return keyed, shown

    (ids_a, shown_a), (ids_b, shown_b) = names("a"), names("b")
    named = (
        pairs.join(ids_a, "creator_a")
        .join(ids_b, "creator_b")
        .orderBy("creator_a", "creator_b")
        .select(
            *shown_a, *shown_b, *[c for c in PAIR_SCHEMA if c not in ("creator_a", "creator_b")]
        )
    )
    if output is not None:
        named.write.mode("error").parquet(str(output))
        return int(session.read.parquet(str(output)).count())
    return pl.from_arrow(named.toArrow())  # type: ignore[return-value]


def _split_heavy(edges: Any, followers: Any, split: int) -> Any:
    """Give every edge a piece of its follower, and the times that piece counts.

    A follower of k > 2·split creators gets g = min(ceil(k / split), `_MAX_GROUPS`)
    groups (a hash of the creator); piece (i, j), i < j, holds groups i and j and counts
    once, piece (i, i) holds group i and counts 2 - g times. A pair within group i is in
    g - 1 pieces (i, j) and in (i, i): g - 1 + 2 - g = 1; a pair across groups i and j
    only in (i, j). So the pieces' pair counts sum to the follower's. Other followers are
    one piece.
    """
    from pyspark.sql import functions as F

    heavy = followers.filter(F.col(s.FOLLOWING) > 2 * split).select(
        s.FOLLOWER,
        F.least(F.ceil(F.col(s.FOLLOWING) / split), F.lit(_MAX_GROUPS)).cast("int").alias("g"),
    )
    tagged = edges.join(F.broadcast(heavy), s.FOLLOWER, "left")
    whole = tagged.filter(F.col("g").isNull()).select(
        s.CREATOR, s.FOLLOWER, F.lit(0).alias(_PIECE), F.lit(1).alias(_TIMES)
    )
    group = F.pmod(F.xxhash64(s.CREATOR), F.col("g")).cast("int")
    split_edges = (
        tagged.filter(F.col("g").isNotNull())
        .withColumn("i", group)
        .withColumn("j", F.explode(F.sequence(F.lit(0), F.col("g") - 1)))
        .select(
            s.CREATOR,
            s.FOLLOWER,
            # piece ids from 1: (i, j) -> lo * g + hi + 1 (for i == j, the group alone)
            (F.least("i", "j") * F.col("g") + F.greatest("i", "j") + 1).alias(_PIECE),
            F.when(F.col("i") == F.col("j"), 2 - F.col("g")).otherwise(1).alias(_TIMES),
        )
    )
    return whole.unionByName(split_edges)


def _partition_pairs(batches: Iterator[Any]) -> Iterator[Any]:
    """Count the pairs of one partition's followers' pieces (a task of `mapInArrow`)."""
    import pyarrow as pa

    table = pa.Table.from_batches(list(batches))
    if table.num_rows == 0:
        return
    creator = table.column(s.CREATOR).to_numpy()
    # a piece of a follower is a follower of its own here
    piece = (table.column(s.FOLLOWER).to_numpy().astype(np.int64) << 32) | table.column(
        _PIECE
    ).to_numpy().astype(np.int64)
    times = table.column(_TIMES).to_numpy()
    for t in np.unique(times):  # pieces that count the same times are counted together
        chosen = times == t
        for a, b, shared in _pair_counts(creator[chosen], piece[chosen]):
            yield pa.RecordBatch.from_pydict(
                {
                    "creator_a": pa.array(a, pa.int32()),
                    "creator_b": pa.array(b, pa.int32()),
                    "shared": pa.array(shared * int(t), pa.int64()),
                }
            )


def _pair_counts(
    creator: np.ndarray, follower: np.ndarray
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Count the pairs of creators of these edges: (a, b, shared) blocks, store ids, a < b."""
    from graph_engine._kernels import build_pattern, shared_counts

    # local dense ids, in the store's order: the kernel's b > a is the store's b > a
    names, rows = np.unique(creator, return_inverse=True)
    _, cols = np.unique(follower, return_inverse=True)
    order = np.lexsort((cols, rows))
    rows, cols = rows[order], cols[order].astype(np.int32)
    indptr = np.zeros(names.size + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=names.size), out=indptr[1:])
    pattern = build_pattern(indptr, cols, int(cols.max()) + 1)
    step = max(1, _BLOCK_ENTRIES // max(names.size, 1))
    for lo in range(0, names.size, step):
        a, b, shared = shared_counts(pattern, lo, min(lo + step, names.size), True)
        if a.size:
            yield names[a], names[b], shared


def _metrics(batches: Iterator[Any]) -> Iterator[Any]:
    """Apply the engine's `pair_metrics` to summed counts (a task of `mapInArrow`)."""
    import pyarrow as pa

    for batch in batches:
        cols = {name: batch.column(name).to_numpy() for name in batch.schema.names}
        metrics = pair_metrics(cols["shared"], cols["fa"], cols["fb"])
        yield pa.RecordBatch.from_pydict(
            {
                "creator_a": pa.array(cols["creator_a"], pa.int32()),
                "creator_b": pa.array(cols["creator_b"], pa.int32()),
                **{k: pa.array(v) for k, v in metrics.items()},
            }
        )
