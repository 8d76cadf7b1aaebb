"""Creator communities: audience niches found on the creator overlap graph.

Creators are nodes; two creators are linked when they share followers, with a chosen
overlap metric as the weight (pairs below `min_weight` are dropped as noise). Leiden
optimising modularity (leidenalg, iterated until stable) or Louvain partitions that graph.
igraph and leidenalg are imported when a partition is computed, not with this module.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, get_args

import numpy as np
import polars as pl

from graph_engine import schema as s
from graph_engine.errors import ParameterError
from graph_engine.graph import AudienceGraph, CreatorId
from graph_engine.names import creator_columns
from graph_engine.overlap import overlap_blocks
from graph_engine.vocab import CommunityMethod, Weight

if TYPE_CHECKING:
    import igraph

__all__ = [
    "TOP_CREATORS",
    "Communities",
    "CommunityMethod",
    "Weight",
    "communities_of_pairs",
    "detect_communities",
    "normalized_mutual_information",
    "partition",
    "unique_audiences",
]

TOP_CREATORS = 5


@dataclass(frozen=True)
class Communities:
    """A partition of creators into audience communities.

    `membership` has `creator_id` and `community` (0 is the largest community);
    `summary` has one row per community: size, unique_audience (reach of its members),
    internal_density (mean overlap weight over member pairs), top_creators (by
    followers) and, when the creators have a `niche`, the dominant niche and its share.
    """

    membership: pl.DataFrame
    summary: pl.DataFrame
    modularity: float
    method: str
    parameters: dict[str, Any]

    @property
    def n_communities(self) -> int:
        """The number of communities."""
        return self.summary.height

    def to_dict(self) -> dict[str, Any]:
        """Return the result as a report: counts, modularity, parameters and both tables.

        Returns
        -------
        dict
            ``n_communities``, ``modularity``, ``method``, ``parameters``, then the tables
            ``membership`` (each creator's community) and ``summary`` (one row per
            community).
        """
        return {
            "n_communities": self.n_communities,
            "modularity": self.modularity,
            "method": self.method,
            "parameters": self.parameters,
            "membership": self.membership,
            "summary": self.summary,
        }


def partition(
    n: int,
    edges: np.ndarray,
    weights: np.ndarray | None,
    *,
    method: CommunityMethod = "leiden",
    resolution: float = 1.0,
    seed: int = 0,
) -> tuple[np.ndarray, float]:
    """Community membership of nodes 0..n-1 of a weighted undirected graph, and modularity.

    Leiden optimises modularity (not igraph's CPM default) and iterates until the
    partition stops changing; communities that come out disconnected (Louvain can do
    that) are split into their connected parts, which never lowers modularity. Labels are
    renumbered by size (0 largest), ties by lowest node. Same seed, same result.

    Examples
    --------
    >>> import numpy as np
    >>> two_triangles = np.array([[0, 1], [1, 2], [0, 2], [3, 4], [4, 5], [3, 5], [2, 3]])
    >>> membership, q = partition(6, two_triangles, None)
    >>> membership.tolist(), round(q, 3)
    ([0, 0, 0, 1, 1, 1], 0.357)
    """
    import igraph as ig

    _check(method=method, resolution=resolution)
    g = ig.Graph(n=n, edges=edges.tolist(), directed=False)
    w = None if weights is None else np.asarray(weights, dtype=np.float64).tolist()
    labels = _optimise(g, w, method=method, resolution=resolution, seed=seed)
    labels = _split_disconnected(n, edges, labels)
    labels = _relabel_by_size(labels)
    q = g.modularity(labels.tolist(), weights=w, resolution=resolution) if g.ecount() else 0.0
    return labels, float(q)


def _optimise(
    g: igraph.Graph,
    weights: list[float] | None,
    *,
    method: CommunityMethod,
    resolution: float,
    seed: int,
) -> np.ndarray:
    """Membership maximising modularity at `resolution`, seeded locally.

    leidenalg's optimiser owns its random state (`set_rng_seed`), so nothing process-wide
    changes. Louvain is leidenalg's documented loop of local moves and aggregation, with no
    refinement (its `refine_partition = False` switch crashes in leidenalg 0.12).
    """
    if g.ecount() == 0:
        return np.arange(g.vcount())
    import leidenalg

    found = leidenalg.RBConfigurationVertexPartition(
        g, weights=weights, resolution_parameter=resolution
    )
    optimiser = leidenalg.Optimiser()
    optimiser.set_rng_seed(seed)
    if method == "leiden":
        optimiser.optimise_partition(found, n_iterations=-1)
    else:
        coarse = found.aggregate_partition()
        while optimiser.move_nodes(coarse) > 0:
            found.from_coarse_partition(coarse)
            coarse = coarse.aggregate_partition()
    return np.asarray(found.membership)


def _check(
    *, method: str, resolution: float, weight: str = "jaccard", min_weight: float = 0.0
) -> None:
    if method not in get_args(CommunityMethod):
        raise ParameterError(f"unknown method `{method}`; use leiden or louvain")
    if not (resolution > 0 and np.isfinite(resolution)):
        raise ParameterError(f"`resolution` must be positive and finite, got {resolution}")
    if weight not in get_args(Weight):
        raise ParameterError(
            f"unknown weight `{weight}`; use jaccard, shared or overlap_coefficient"
        )
    if not np.isfinite(min_weight) or min_weight < 0:
        raise ParameterError(f"`min_weight` must be a finite number >= 0, got {min_weight}")


def _split_disconnected(n: int, edges: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each connected part of a community becomes a community of its own."""
    import igraph as ig

    edges = edges.reshape(-1, 2)
    internal = edges[labels[edges[:, 0]] == labels[edges[:, 1]]]
    parts = ig.Graph(n=n, edges=internal.tolist(), directed=False).connected_components()
    return np.asarray(parts.membership)


def _relabel_by_size(labels: np.ndarray) -> np.ndarray:
    uniq, first, counts = np.unique(labels, return_index=True, return_counts=True)
    order = np.lexsort((first, -counts))  # larger first, then by first node
    new = np.empty(uniq.size, dtype=np.int64)
    new[order] = np.arange(uniq.size)
    return new[np.searchsorted(uniq, labels)]


def detect_communities(
    graph: AudienceGraph,
    *,
    method: CommunityMethod = "leiden",
    weight: Weight = "jaccard",
    min_weight: float = 0.0,
    resolution: float = 1.0,
    seed: int = 0,
    creators: Sequence[CreatorId] | None = None,
) -> Communities:
    """Communities of creators that share audiences.

    Parameters
    ----------
    graph
        The creators to partition and their followers.
    method
        ``"leiden"`` (default: refined, every community connected) or ``"louvain"``.
    weight
        Overlap metric used as edge weight: jaccard, shared or overlap_coefficient.
    min_weight
        Drop creator pairs whose weight is below this (noise).
    resolution
        Modularity resolution: above 1 gives more, smaller communities.
    seed
        Seed of the optimiser's own random state (same seed, same result).
    creators
        Only these creators (others: `AudienceGraph.subgraph` first).

    Notes
    -----
    Creators sharing no follower (above `min_weight`) with anyone are singleton
    communities. Overlap is exact (`graph_engine.overlap`); the partition is heuristic
    (modularity maximisation is NP-hard) but deterministic for a seed.
    """
    _check(method=method, resolution=resolution, weight=weight, min_weight=min_weight)
    if creators is not None:
        graph = graph.take(graph.creator_index(creators))
    if graph.n_creators == 0:
        raise ParameterError("no creators to partition; hint: check the creator choice")
    pairs = [b.select("creator_a", "creator_b", weight) for b in overlap_blocks(graph)]
    return communities_of_pairs(
        graph.creators,
        pairs,
        lambda labels: unique_audiences(graph, labels),
        method=method,
        weight=weight,
        min_weight=min_weight,
        resolution=resolution,
        seed=seed,
        filters=graph.filters,
    )


def communities_of_pairs(
    creators: pl.DataFrame,
    pairs: Sequence[pl.DataFrame],
    audiences: Callable[[np.ndarray], np.ndarray],
    *,
    method: CommunityMethod = "leiden",
    weight: Weight = "jaccard",
    min_weight: float = 0.0,
    resolution: float = 1.0,
    seed: int = 0,
    filters: Sequence[str] = (),
) -> Communities:
    """Partition creators from their overlap pairs, however the pairs were computed.

    The embedded engine's `detect_communities` and Spark's `spark_communities` both end
    here, so the same pairs give the same partition: the pairs are ordered by the
    creators' rows before the optimiser sees them.

    Parameters
    ----------
    creators
        The creators table (rows in dense order, with ``followers``).
    pairs
        Frames of ``creator_a``, ``creator_b`` (original ids) and the `weight` column.
    audiences
        Unique followers of each community, given every creator's community label.
    method, weight, min_weight, resolution, seed
        As in `detect_communities`.
    filters
        What was left out of the audience (for the parameters).

    Returns
    -------
    Communities
        Membership, per-community summary, modularity, method and parameters.
    """
    _check(method=method, resolution=resolution, weight=weight, min_weight=min_weight)
    ids = creators[s.CREATOR_ID]
    index = pl.DataFrame({"creator_id": ids, "i": np.arange(creators.height)})
    empty = pl.DataFrame(
        schema={"creator_a": ids.dtype, "creator_b": ids.dtype, weight: pl.Float64}
    )
    found = pl.concat([*pairs] or [empty], how="vertical_relaxed").filter(
        pl.col(weight) >= min_weight, pl.col(weight) > 0
    )
    found = (
        found.join(index.rename({"creator_id": "creator_a"}), on="creator_a")
        .join(index.rename({"creator_id": "creator_b", "i": "j"}), on="creator_b")
        .sort("i", "j")  # one order for the optimiser, whoever computed the pairs
    )
    edges = found.select("i", "j").to_numpy()
    weights = found[weight].cast(pl.Float64).to_numpy()
    labels, q = partition(
        creators.height, edges, weights, method=method, resolution=resolution, seed=seed
    )
    membership = pl.DataFrame({**creator_columns(creators), "community": labels})
    summary = _summarize(creators, labels, edges, weights, audiences(labels))
    params: dict[str, Any] = {
        "weight": weight,
        "min_weight": min_weight,
        "resolution": resolution,
        "seed": seed,
    }
    if filters:
        params["audience_filter"] = "; ".join(filters)
    return Communities(membership, summary, q, method, params)


def unique_audiences(graph: AudienceGraph, labels: np.ndarray) -> np.ndarray:
    """Count the unique followers of each community (distinct community, follower pairs).

    Parameters
    ----------
    graph
        The graph.
    labels
        The community of every creator (0..k-1).

    Returns
    -------
    numpy.ndarray
        Followers of each community.
    """
    k = int(labels.max()) + 1 if labels.size else 0
    edge_comm = np.repeat(labels, graph.degrees)
    key = edge_comm.astype(np.int64) * graph.n_followers + graph.indices
    key.sort()
    distinct = np.ones(key.size, dtype=bool)
    distinct[1:] = key[1:] != key[:-1]
    counts: np.ndarray = np.bincount(key[distinct] // max(graph.n_followers, 1), minlength=k)
    return counts


def _summarize(
    creators: pl.DataFrame,
    labels: np.ndarray,
    edges: np.ndarray,
    weights: np.ndarray,
    audience: np.ndarray,
) -> pl.DataFrame:
    k = int(labels.max()) + 1 if labels.size else 0
    size = np.bincount(labels, minlength=k)
    internal: np.ndarray = np.zeros(k)
    if edges.size:
        same = labels[edges[:, 0]] == labels[edges[:, 1]]
        internal = np.bincount(labels[edges[same, 0]], weights=weights[same], minlength=k)
    pairs = size * (size - 1) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        density = np.where(pairs > 0, internal / pairs, 0.0)
    name = s.name_column(creators)
    table = creators
    creators = pl.DataFrame(
        {
            "community": labels,
            **creator_columns(table),
            s.FOLLOWERS: table[s.FOLLOWERS],
            **({"niche": table["niche"]} if "niche" in table.columns else {}),
        }
    )
    top = (
        creators.sort([s.FOLLOWERS, s.CREATOR_ID], descending=[True, False])
        .group_by("community", maintain_order=True)
        .agg(
            pl.col(s.CREATOR_ID).head(TOP_CREATORS).alias("top_creators"),
            *([pl.col(name).head(TOP_CREATORS).alias(f"top_{name}s")] if name else []),
        )
    )
    summary = pl.DataFrame(
        {
            "community": np.arange(k),
            "size": size,
            "unique_audience": audience,
            "internal_density": density,
        }
    ).join(top, on="community", how="left")
    if "niche" in creators.columns:
        niche = (
            creators.drop_nulls("niche")
            .group_by("community", "niche")
            .len()
            .sort(["community", "len", "niche"], descending=[False, True, False])
            .group_by("community", maintain_order=True)
            .first()
            .rename({"niche": "dominant_niche", "len": "niche_count"})
        )
        summary = (
            summary.join(niche, on="community", how="left")
            .with_columns((pl.col("niche_count") / pl.col("size")).alias("niche_share"))
            .drop("niche_count")
        )
    return summary.sort("community")


def normalized_mutual_information(a: Sequence[Any], b: Sequence[Any]) -> float:
    """NMI between two memberships (igraph's implementation)."""
    import igraph as ig

    codes_a = pl.Series(list(a)).cast(pl.String).rank("dense").to_list()
    codes_b = pl.Series(list(b)).cast(pl.String).rank("dense").to_list()
    return float(ig.compare_communities(codes_a, codes_b, method="nmi"))
