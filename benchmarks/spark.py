"""Embedded vs Spark `local[2]`, whole process, on 10M and 30M generated edges.

Each contender is one `graph-engine` process (`benchmarks.process._process`): the
embedded engine, and the same command with `--engine spark --spark-master local[2]`
(Spark's start, about 10 s here, included: it is what a user waits for). Cases:

- all pairs sharing at least 10 followers, written as Parquet (Spark: a dataset);
- the reach report of the 10 largest creators;
- a selection of 20 creators (Spark groups the followers, the driver solves).

Both answers are checked equal (pair count and total shared; the reach; the picks, reach
and bound). Peak memory is the whole process tree's (`tree_peak_rss_mb`: Spark's JVM and
Python workers included), sampled every 50 ms.

`spark-skew-10m` is in-process (the session is started untimed): all-pairs overlap on
the 10M graph plus followers of 4,000 creators each (bots), with their pairs counted in
pieces over the tasks (`split_following`, the default) and without, and how much of the
pair counting the busiest task holds. Skipped when PySpark or Java is missing.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.cases import generated, register, store_of
from benchmarks.framework import DATA, Case, Contender
from benchmarks.process import ENGINE, _process

SPARK = ["--engine", "spark", "--spark-master", "local[2]"]
SIZES = {
    "10m": {"n_creators": 5_000, "n_followers": 2_000_000, "n_edges": 10_000_000},
    "30m": {"n_creators": 10_000, "n_followers": 5_000_000, "n_edges": 30_000_000},
}
LARGEST = 10
PICKS = ["--count", "20", "--time-limit", "120", "--format", "json"]
BOTS, BOT_FOLLOWING, TASKS = 5, 4_000, 24


def _missing() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark not installed (the spark extra)"
    return None if shutil.which("java") else "no Java runtime"


def _store(size: str) -> Callable[[], Path]:
    def make() -> Path:
        edges = generated(f"gen-{size}", n_niches=20, mixing=0.1, seed=5, **SIZES[size])
        return store_of(f"gen-{size}", edges)

    return make


def _pairs(path: Path) -> dict[str, int]:
    import polars as pl

    frame = pl.scan_parquet(path / "*.parquet" if path.is_dir() else path)
    n, shared = frame.select(pl.len(), pl.col("shared").sum()).collect().row(0)
    return {"pairs": int(n), "shared": int(shared)}


def _overlap(size: str, spark: bool) -> Callable[[], list[str]]:
    out = DATA / f"pairs-{size}-{'spark' if spark else 'embedded'}.parquet"

    def argv() -> list[str]:
        if out.is_dir():
            shutil.rmtree(out)  # Spark refuses to write over a dataset
        store = str(_store(size)())
        return [ENGINE, "overlap", store, "--min-shared", "10", "-o", str(out)]

    return lambda: argv() + (SPARK if spark else [])


def _overlap_check(size: str) -> Callable[[dict[str, Any]], list[str]]:
    def check(_: dict[str, Any]) -> list[str]:
        found = {
            engine: _pairs(DATA / f"pairs-{size}-{engine}.parquet")
            for engine in ("embedded", "spark")
        }
        return [] if found["embedded"] == found["spark"] else [f"pairs differ: {found}"]

    return check


def _audience(size: str, spark: bool) -> Callable[[], list[str]]:
    def argv() -> list[str]:
        from graph_engine.graph import read_store

        store = _store(size)()
        ranked = read_store(store).creators.sort("followers", descending=True)
        ids = [str(x) for x in ranked["creator_id"].to_list()[:LARGEST]]
        return [ENGINE, "audience", str(store), *ids, "--format", "json"] + (SPARK if spark else [])

    return argv


def _select(size: str, spark: bool) -> Callable[[], list[str]]:
    return lambda: [ENGINE, "select", str(_store(size)()), *PICKS, *(SPARK if spark else [])]


def _picks(out: str) -> dict[str, Any]:
    import json

    found = json.loads(out)
    keys = ("reach", "upper_bound", "method")
    return {"picks": [p["creator_id"] for p in found["picks"]], **{k: found[k] for k in keys}}


def _same_picks(results: dict[str, Any]) -> list[str]:
    keys = ("picks", "reach", "upper_bound")
    got = {n: tuple(str((r["result"] or {}).get(k)) for k in keys) for n, r in results.items()}
    return [] if len(set(got.values())) == 1 else [f"selections differ: {got}"]


def _bots_store() -> Path:
    """The 10M graph plus `BOTS` followers of `BOT_FOLLOWING` creators each (seeded)."""
    import numpy as np
    import polars as pl

    edges = DATA / "gen-10m-bots" / "edges.parquet"
    if not edges.exists():
        base = pl.read_parquet(generated("gen-10m", n_niches=20, mixing=0.1, seed=5,
                                         **SIZES["10m"]))  # fmt: skip
        creators = base["creator_id"].unique().sort().to_numpy()
        rng = np.random.default_rng(11)
        first = int(base["follower_id"].max()) + 1
        bots = pl.DataFrame(
            {
                "creator_id": np.concatenate(
                    [rng.choice(creators, BOT_FOLLOWING, replace=False) for _ in range(BOTS)]
                ),
                "follower_id": np.repeat(np.arange(first, first + BOTS), BOT_FOLLOWING),
            }
        ).cast(base.schema)
        edges.parent.mkdir(parents=True, exist_ok=True)
        pl.concat([base, bots]).write_parquet(edges)
    return store_of("gen-10m-bots", edges)


def _skew(split: bool) -> Contender:
    def setup() -> Any:
        from graph_engine.spark import spark_session

        return spark_session("local[2]"), _busiest_share(_bots_store(), split)

    def run(state: Any) -> Any:
        from graph_engine.spark import SPLIT_FOLLOWING, spark_overlap

        session, busiest = state
        pairs = spark_overlap(
            _bots_store(),
            spark=session,
            min_shared=10,
            partitions=TASKS,
            split_following=SPLIT_FOLLOWING if split else None,
        )
        return {"pairs": pairs.height, "shared": int(pairs["shared"].sum()), **busiest}

    return Contender("spark split" if split else "spark unsplit", run, setup, timeout=3600)


def _busiest_share(store: Path, split: bool) -> dict[str, float]:
    """The busiest task's share of the pair counting (a follower piece of k: k(k-1)/2)."""
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    from graph_engine.spark._overlap import SPLIT_FOLLOWING, _split_heavy
    from graph_engine.store import open_version

    session = SparkSession.getActiveSession()
    assert session is not None
    live = open_version(store).path
    edges = session.read.parquet(str(live / "edges.parquet"))
    if split:
        followers = session.read.parquet(str(live / "followers.parquet"))
        pieces = _split_heavy(edges, followers, SPLIT_FOLLOWING)
    else:
        pieces = edges.select("creator", "follower", F.lit(0).alias("piece"))
    work = (
        pieces.repartition(TASKS, "follower", "piece")
        .withColumn("task", F.spark_partition_id())
        .groupBy("task", "follower", "piece")
        .count()
        .groupBy("task")
        .agg(F.sum(F.col("count") * (F.col("count") - 1) / 2).alias("work"))
        .toPandas()["work"]
    )
    return {
        "busiest_task_share": round(float(work.max() / work.sum()), 4),
        "pair_work": float(work.sum()),
    }


def _reach(out: str) -> dict[str, Any]:
    import json

    return {"reach": json.loads(out)["reach"]}


def _same_reach(results: dict[str, Any]) -> list[str]:
    got = {name: (r["result"] or {}).get("reach") for name, r in results.items()}
    return [] if len(set(got.values())) == 1 else [f"reach differs: {got}"]


def _none(_: str) -> dict[str, Any]:
    return {}


for size, items in (("10m", 10_000_000), ("30m", 30_000_000)):
    register(
        Case(
            f"spark-overlap-{size}",
            f"`overlap --min-shared 10 -o pairs.parquet` on {size.upper()} edges: embedded vs "
            "Spark local[2], whole process",
            [
                Contender(
                    "embedded", *_process(_overlap(size, False), _none, tree=True), timeout=1800
                ),
                Contender(
                    "spark local[2]",
                    *_process(_overlap(size, True), _none, tree=True),
                    timeout=3600,
                ),
            ],
            prepare=_store(size),
            items=items,
            check=_overlap_check(size),
            skip=_missing,
            slow=True,
        )
    )
    register(
        Case(
            f"spark-audience-{size}",
            f"`audience` of the {LARGEST} largest creators on {size.upper()} edges: embedded vs "
            "Spark local[2], whole process",
            [
                Contender("embedded", *_process(_audience(size, False), _reach, tree=True)),
                Contender("spark local[2]", *_process(_audience(size, True), _reach, tree=True)),
            ],
            prepare=_store(size),
            items=items,
            check=_same_reach,
            skip=_missing,
            slow=True,
        )
    )
    register(
        Case(
            f"spark-select-{size}",
            f"`select --count 20` on {size.upper()} edges: embedded vs Spark local[2] (Spark "
            "groups the followers, the driver solves), whole process",
            [
                Contender("embedded", *_process(_select(size, False), _picks, tree=True)),
                Contender(
                    "spark local[2]",
                    *_process(_select(size, True), _picks, tree=True),
                    timeout=3600,
                ),
            ],
            prepare=_store(size),
            items=items,
            check=_same_picks,
            skip=_missing,
            slow=True,
        )
    )


def _same_pairs(results: dict[str, Any]) -> list[str]:
    got = {n: str({k: (r["result"] or {}).get(k) for k in ("pairs", "shared")})
           for n, r in results.items()}  # fmt: skip
    return [] if len(set(got.values())) == 1 else [f"pairs differ: {got}"]


register(
    Case(
        "spark-skew-10m",
        f"all pairs (min shared 10) of the 10M graph plus {BOTS} followers of "
        f"{BOT_FOLLOWING:,} creators each, {TASKS} tasks on Spark local[2], in-process: heavy "
        "followers' pairs counted in pieces vs in one task",
        [_skew(True), _skew(False)],
        prepare=_bots_store,
        items=10_000_000 + BOTS * BOT_FOLLOWING,
        check=_same_pairs,
        skip=_missing,
        slow=True,
    )
)
