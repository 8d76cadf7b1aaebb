"""The inputs of a selection, read from the graph.

Eligible creators, their costs and communities, and the weight of every follower.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl

from graph_engine import schema as s
from graph_engine.errors import ParameterError, SchemaError, did_you_mean
from graph_engine.graph import AudienceGraph
from graph_engine.names import CreatorId, Creators

__all__ = ["community_codes", "creator_costs", "eligible_creators", "follower_weights"]


def eligible_creators(
    graph: Creators,
    must_include: Sequence[CreatorId],
    must_exclude: Sequence[CreatorId],
    min_engagement: float | None,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Find the creators a selection may choose from.

    Eligible: at least one follower, an engagement rate of at least `min_engagement`, not
    excluded; must-includes always (with a note when a filter would have dropped one).

    Parameters
    ----------
    graph
        The graph, or the store's creators (`names.Roster`).
    must_include
        Creator ids forced in.
    must_exclude
        Creator ids forced out.
    min_engagement
        Minimum `engagement_rate`, or None.

    Returns
    -------
    tuple
        Dense ids of the eligible creators (ascending), the local ids of the
        must-includes (in the order given, without duplicates), and notes.

    Raises
    ------
    SchemaError
        When `min_engagement` is given without an `engagement_rate` column.
    ParameterError
        When a creator is both included and excluded, or none is eligible.
    """
    notes: list[str] = []
    keep = graph.degrees > 0
    if min_engagement is not None:
        if "engagement_rate" not in graph.creators.columns:
            raise SchemaError(
                "`min_engagement` needs an `engagement_rate` creators column; hint: ingest "
                "with --creators FILE holding engagement_rate"
            )
        rate = graph.creators["engagement_rate"].fill_null(-1.0).to_numpy()
        keep &= rate >= min_engagement
    excluded = graph.creator_index(must_exclude) if must_exclude else np.zeros(0, dtype=np.int64)
    forced = graph.creator_index(must_include) if must_include else np.zeros(0, dtype=np.int64)
    clash = set(excluded.tolist()) & set(forced.tolist())
    if clash:
        ids = graph.creator_ids(np.array(sorted(clash))).to_list()
        raise ParameterError(f"creators {ids} are both must-include and must-exclude")
    keep[excluded] = False
    if forced.size and not keep[forced].all():
        notes.append("some must-include creators did not pass the filters; kept anyway")
    keep[forced] = True
    rows = np.flatnonzero(keep)
    if rows.size == 0:
        raise ParameterError("no eligible creator is left; hint: loosen the constraints")
    local = np.searchsorted(rows, forced)
    return rows, np.asarray(list(dict.fromkeys(local.tolist())), dtype=np.int64), notes


def creator_costs(
    graph: Creators,
    rows: np.ndarray,
    price_by_tier: Mapping[str, float] | None,
    posts: int,
    overhead: float,
) -> np.ndarray:
    """Compute the cost of every creator: price per post x posts + overhead.

    Parameters
    ----------
    graph
        The graph.
    rows
        Dense ids of the creators.
    price_by_tier
        Prices per post overriding the default tier prices; a creator's own `cost`
        column, where given, wins over its tier's price.
    posts
        Posts bought from every creator.
    overhead
        A fixed cost per creator.

    Returns
    -------
    numpy.ndarray
        Positive costs, in the order of `rows`.

    Raises
    ------
    ParameterError
        For an unknown tier in the price table, or a cost that is not positive.
    """
    prices = dict(s.DEFAULT_PRICE_BY_TIER) | dict(price_by_tier or {})
    for tier in prices:
        if tier not in s.TIERS:
            raise ParameterError(
                f"unknown tier `{tier}` in the price table{did_you_mean(tier, s.TIERS)}"
            )
    creators = graph.creators[rows]
    by_tier = creators[s.TIER].replace_strict(prices, return_dtype=pl.Float64)
    price = (
        creators["cost"].cast(pl.Float64).fill_null(by_tier)
        if "cost" in creators.columns
        else by_tier
    )
    cost = price.to_numpy() * posts + overhead
    bad = np.flatnonzero(~((cost > 0) & np.isfinite(cost)))
    if bad.size:
        cid = graph.creator_ids(rows[bad[:1]]).to_list()[0]
        raise ParameterError(
            f"creator {cid!r} costs {cost[bad[0]]}; costs must be positive and finite; "
            "hint: fix its `cost` or pass --overhead"
        )
    return np.asarray(cost, dtype=np.float64)


def community_codes(
    graph: Creators,
    rows: np.ndarray,
    communities: str | pl.DataFrame | Mapping[Any, Any] | None,
    cap: int | None,
) -> tuple[np.ndarray, pl.Series]:
    """Compute the community code of every creator (0, 1, ...; -1 for none) and the labels.

    Parameters
    ----------
    graph
        The graph.
    rows
        Dense ids of the creators.
    communities
        A creators column name, a frame with `creator_id` and `community`, a mapping
        creator id -> community (ids compared as text), or None.
    cap
        The per-community cap; it needs `communities`.

    Returns
    -------
    tuple of (numpy.ndarray, polars.Series)
        Codes in the order of `rows` (dense ranks of the labels as text), and the label
        of every code, as given (code ``i`` is ``labels[i]``).

    Raises
    ------
    ParameterError
        When a cap is given without communities.
    SchemaError
        For an unknown creators column.
    """
    if communities is None:
        if cap is not None:
            raise ParameterError("`max_per_community` needs `communities` (a column or a result)")
        return np.full(rows.size, -1, dtype=np.int64), pl.Series("community", [])
    ids = graph.creator_ids(rows)
    if isinstance(communities, str):
        if communities not in graph.creators.columns:
            raise SchemaError(
                f"no creators column `{communities}`"
                f"{did_you_mean(communities, graph.creators.columns)}"
            )
        labels = graph.creators[communities].gather(rows)
    else:
        pairs = (
            zip(
                communities[s.CREATOR_ID].to_list(), communities["community"].to_list(), strict=True
            )
            if isinstance(communities, pl.DataFrame)
            else communities.items()
        )
        mapping = {str(k): v for k, v in pairs}  # ids compared as text: 7 and "7" match
        labels = pl.Series([mapping.get(str(c)) for c in ids.to_list()])
    text = labels.cast(pl.String)
    codes = text.rank("dense").fill_null(0).to_numpy().astype(np.int64) - 1
    named = pl.DataFrame({"text": text, "label": labels}).drop_nulls("text")
    return codes, named.unique("text").sort("text")["label"].alias("community")


def follower_weights(
    graph: AudienceGraph, weight: str | None, max_following: int | None
) -> np.ndarray:
    """Compute the weight of every follower (1 unless a column or a cut-off says otherwise).

    Parameters
    ----------
    graph
        The graph.
    weight
        A numeric followers column to weigh followers by (nulls weigh 0), or None.
    max_following
        Followers following more than this many creators weigh 0, or None.

    Returns
    -------
    numpy.ndarray
        Non-negative weights, one per follower.

    Raises
    ------
    SchemaError
        For an unknown, non-numeric or negative weight column.
    """
    w = np.ones(graph.n_followers)
    if weight is not None:
        if weight not in graph.followers.columns:
            raise SchemaError(
                f"no followers column `{weight}`{did_you_mean(weight, graph.followers.columns)}"
            )
        col = graph.followers[weight]
        if not col.dtype.is_numeric():
            raise SchemaError(f"followers column `{weight}` must be numeric, it is {col.dtype}")
        w = col.cast(pl.Float64).fill_null(0.0).to_numpy()
        if (w < 0).any():
            raise SchemaError(f"followers column `{weight}` has negative weights")
    if max_following is not None:
        w = np.where(graph.followers[s.FOLLOWING].to_numpy() > max_following, 0.0, w)
    return w
