"""Shared fixtures: a zoo of tiny graphs and brute-force reference answers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

import polars as pl
import pytest

from graph_engine import AudienceGraph, build_tables

Edge = tuple[object, object]
SYNTHETIC = Path(__file__).resolve().parents[1] / "sample_graphs" / "synthetic"

# (creator, follower) edge lists; every creator has at least one follower
ZOO: dict[str, list[Edge]] = {
    "one_creator": [("a", 1), ("a", 2), ("a", 3)],
    "disjoint": [("a", 1), ("a", 2), ("b", 3), ("b", 4), ("c", 5)],
    "nested": [("a", 1), ("a", 2), ("a", 3), ("a", 4), ("b", 2), ("b", 3), ("c", 3)],
    "identical": [(c, f) for c in ("a", "b", "c") for f in (1, 2, 3)],
    "star": [("hub", f) for f in range(10)] + [(f"leaf{i}", i) for i in range(10)],
    "duplicate_edges": [("a", 1), ("a", 1), ("b", 1), ("b", 2), ("b", 2)],
    "three": [("a", 1), ("a", 2), ("a", 3), ("b", 3), ("b", 4), ("c", 4), ("c", 5), ("c", 1)],
}


def audiences(edges: Iterable[Edge]) -> dict[object, set[object]]:
    """Brute force: creator -> set of followers."""
    out: dict[object, set[object]] = defaultdict(set)
    for c, f in edges:
        out[c].add(f)
    return dict(out)


def graph_from_edges(edges: Iterable[Edge]) -> AudienceGraph:
    edges = list(edges)
    frame = pl.DataFrame(
        {"creator_id": [str(c) for c, _ in edges], "follower_id": [str(f) for _, f in edges]}
    )
    return AudienceGraph.from_tables(build_tables([frame]))


def graph_audiences(graph: AudienceGraph) -> dict[object, set[object]]:
    return {cid: set(graph.audience(cid).to_list()) for cid in graph.creator_ids().to_list()}


@pytest.fixture(params=sorted(ZOO))
def zoo_edges(request: pytest.FixtureRequest) -> list[Edge]:
    return ZOO[request.param]


@pytest.fixture
def write_text(tmp_path: Path) -> Callable[[str, str | bytes], Path]:
    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        return path

    return _write


@pytest.fixture(scope="session")
def synthetic_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped synthetic sample as a store, with handles (tests only read it).

    149,344 edges of 300 creators in several Parquet row groups.
    """
    from graph_engine import ingest_into_store

    store = tmp_path_factory.mktemp("synthetic") / "store"
    ingest_into_store([SYNTHETIC / "edges.parquet"], store, creators=SYNTHETIC / "creators.csv")
    return store


@pytest.fixture(scope="session")
def synthetic_audiences() -> dict[int, set[int]]:
    """Brute force on the synthetic sample's edge file: creator id -> follower ids."""
    edges = pl.read_parquet(SYNTHETIC / "edges.parquet")
    return {int(c): set(fs) for c, fs in edges.group_by("creator_id").agg("follower_id").rows()}
