"""Embedded vs Spark `local[2]`, whole process, on 10M and 30M generated edges.

Each contender is one `graph-engine` process (`benchmarks.process._process`): the
embedded engine, and the same command with `--engine spark --spark-master local[2]`
(Spark's start, about 10 s here, included: it is what a user waits for). Cases:

- all pairs sharing at least 10 followers, written as Parquet (Spark: a dataset);
- the reach report of the 10 largest creators.

Both answers are checked equal (pair count and total shared; the reach). Skipped when
PySpark or Java is missing.
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


def _reach(out: str) -> dict[str, Any]:
    import json

    return {"reach": json.loads(out)["reach"]}


def _same_reach(results: dict[str, Any]) -> list[str]:
    got = {name: (r["result"] or {}).get("reach") for name, r in results.items()}
    return [] if len(set(got.values())) == 1 else [f"reach differs: {got}"]


for size, items in (("10m", 10_000_000), ("30m", 30_000_000)):
    register(
        Case(
            f"spark-overlap-{size}",
            f"`overlap --min-shared 10 -o pairs.parquet` on {size.upper()} edges: embedded vs "
            "Spark local[2], whole process",
            [
                Contender("embedded", _process(_overlap(size, False), lambda _: {}), timeout=1800),
                Contender(
                    "spark local[2]", _process(_overlap(size, True), lambda _: {}), timeout=3600
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
                Contender("embedded", _process(_audience(size, False), _reach)),
                Contender("spark local[2]", _process(_audience(size, True), _reach)),
            ],
            prepare=_store(size),
            items=items,
            check=_same_reach,
            skip=_missing,
            slow=True,
        )
    )
