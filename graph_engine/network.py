"""The creator overlap network as a file Gephi opens: GEXF or GraphML.

Nodes are creators (with handle, tier, observed followers, community and any niche);
edges are pairs sharing followers (with shared, jaccard, overlap coefficient and both
shares; ``weight`` is the jaccard, which Gephi's layouts and modularity use). The
community of each creator is Leiden's on these same edges, weighted by jaccard and
seeded, so the file colours by community without another step.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from graph_engine import schema as s
from graph_engine.communities import partition
from graph_engine.errors import ParameterError
from graph_engine.graph import AudienceGraph
from graph_engine.outputs import atomic_path

if TYPE_CHECKING:
    import networkx

__all__ = ["NETWORK_SUFFIXES", "overlap_network", "write_network"]

NETWORK_SUFFIXES = (".gexf", ".graphml")
_EDGE_COLUMNS = ("shared", "jaccard", "overlap_coefficient", "share_of_a", "share_of_b")


def overlap_network(graph: AudienceGraph, pairs: pl.DataFrame, *, seed: int = 0) -> networkx.Graph:
    """Build the creator overlap network of `graph` from its overlap `pairs`.

    Parameters
    ----------
    graph
        The creators (every one is a node, sharing followers or not).
    pairs
        Overlap pairs of those creators (`graph_engine.overlap.compute_overlap`).
    seed
        Seed of the Leiden partition that gives each node its ``community``.

    Returns
    -------
    networkx.Graph
        Nodes keyed by the creator id as text, edges carrying the pair's metrics.
    """
    import networkx as nx

    index = {cid: i for i, cid in enumerate(graph.creator_ids().to_list())}
    pairs = _one_row_per_pair(pairs, index)
    a = np.array([index[c] for c in pairs["creator_a"].to_list()], dtype=np.int64)
    b = np.array([index[c] for c in pairs["creator_b"].to_list()], dtype=np.int64)
    weights = pairs["jaccard"].to_numpy()
    community, _ = partition(graph.n_creators, np.column_stack([a, b]), weights, seed=seed)
    name = s.name_column(graph.creators)
    extra = [c for c in ("niche",) if c in graph.creators.columns]
    net = nx.Graph()
    rows = graph.creators.select(s.CREATOR_ID, *([name] if name else []), s.TIER, *extra)
    for i, row in enumerate(rows.iter_rows(named=True)):
        cid = str(row[s.CREATOR_ID])
        attrs: dict[str, Any] = {
            "label": str(row[name]) if name and row[name] else cid,
            "creator_id": cid,
            s.TIER: row[s.TIER],
            s.FOLLOWERS: int(graph.degrees[i]),
            "community": int(community[i]),
        }
        if name and row[name]:
            attrs[name] = str(row[name])
        attrs.update({c: row[c] for c in extra if row[c] is not None})
        net.add_node(cid, **attrs)
    ids = [str(c) for c in index]
    metrics = pairs.select(_EDGE_COLUMNS).rows()
    for x, y, values in zip(a.tolist(), b.tolist(), metrics, strict=True):
        edge = dict(zip(_EDGE_COLUMNS, values, strict=True))
        net.add_edge(ids[x], ids[y], weight=edge["jaccard"], **edge)
    return net


def _one_row_per_pair(pairs: pl.DataFrame, index: dict[Any, int]) -> pl.DataFrame:
    """Orient every pair from the lower dense id and drop repeats.

    ``--top-k`` can list a pair once from each side; the one-sided columns (shares,
    followers) are swapped with the ends.
    """
    rank = pl.col("creator_a").replace_strict(index, return_dtype=pl.Int64) > pl.col(
        "creator_b"
    ).replace_strict(index, return_dtype=pl.Int64)
    swap = {"creator_a": "creator_b", "share_of_a": "share_of_b", "followers_a": "followers_b"}
    swap |= {v: k for k, v in swap.items()}
    flipped = pairs.filter(rank).rename({k: v for k, v in swap.items() if k in pairs.columns})
    both = pl.concat([pairs.filter(~rank), flipped.select(pairs.columns)])
    return both.unique(["creator_a", "creator_b"], keep="first", maintain_order=True)


def write_network(
    graph: AudienceGraph, pairs: pl.DataFrame, path: str | os.PathLike[str], *, seed: int = 0
) -> Path:
    """Write the creator overlap network (see `overlap_network`) as GEXF or GraphML.

    Parameters
    ----------
    graph
        The creators.
    pairs
        Their overlap pairs.
    path
        A ``.gexf`` or ``.graphml`` file (written atomically).
    seed
        Seed of the community partition.

    Returns
    -------
    Path
        The file written.
    """
    import networkx as nx

    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in NETWORK_SUFFIXES:
        raise ParameterError(f"cannot write a network to `{target}`; hint: use .gexf or .graphml")
    net = overlap_network(graph, pairs, seed=seed)
    with atomic_path(target) as tmp:
        if suffix == ".gexf":
            nx.write_gexf(net, tmp)
        else:
            nx.write_graphml(net, tmp)
    return target
