"""Column names, dtypes and defaults of the store format (see README, "Store format")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal

import polars as pl

from graph_engine.errors import ParameterError, did_you_mean
from graph_engine.vocab import IdSpace, Tier

__all__ = [
    "COLUMN_KINDS",
    "CREATOR",
    "CREATOR_ID",
    "CREATOR_METADATA",
    "DEFAULT_PRICE_BY_TIER",
    "DEFAULT_TIER_THRESHOLDS",
    "FOLLOWER",
    "FOLLOWERS",
    "FOLLOWER_ID",
    "FOLLOWING",
    "FORMAT_VERSION",
    "NAME_COLUMNS",
    "REASON",
    "RESERVED_CREATOR_COLUMNS",
    "RESERVED_FOLLOWER_COLUMNS",
    "TABLE_KINDS",
    "TIER",
    "TIERS",
    "ColumnKind",
    "IdSpace",
    "Tier",
    "check_tier_thresholds",
    "check_tiers",
    "column_kind",
    "name_column",
    "tier_expr",
]

FORMAT_VERSION: Final = 1

# edges.parquet
CREATOR: Final = "creator"  # dense int32 id
FOLLOWER: Final = "follower"  # dense int32 id
# creators.parquet / followers.parquet
CREATOR_ID: Final = "creator_id"  # original id (int64 or string)
FOLLOWER_ID: Final = "follower_id"
FOLLOWERS: Final = "followers"  # observed audience size of a creator
FOLLOWING: Final = "following"  # observed number of creators a follower follows
TIER: Final = "tier"
# rejects.parquet
REASON: Final = "reason"

# Known creators metadata columns and their types; any other column is kept as given.
CREATOR_METADATA: Final[dict[str, type[pl.DataType]]] = {
    "handle": pl.String,
    "declared_followers": pl.Int64,
    "cost": pl.Float64,
    "engagement_rate": pl.Float64,
    "niche": pl.String,
}
# Columns that name a creator for people, in order of preference: shown beside the id in
# every table, and accepted wherever an id is (case-insensitive, with or without `@`).
NAME_COLUMNS: Final = ("handle", "name")
# Columns the engine computes; a metadata (or follower attributes) file may not supply them.
RESERVED_CREATOR_COLUMNS: Final = (CREATOR, FOLLOWERS, TIER)
RESERVED_FOLLOWER_COLUMNS: Final = (FOLLOWER, FOLLOWING)


TIERS: Final[tuple[Tier, ...]] = ("nano", "micro", "macro", "mega")
# Lower bounds of micro, macro and mega (DESIGN.md): nano < 1,000 <= micro < 100,000 <= macro
# < 1,000,000 <= mega.
DEFAULT_TIER_THRESHOLDS: Final = (1_000, 100_000, 1_000_000)
# Price per post by tier, used when the creators metadata has no `cost` (DESIGN.md:
# micro about $25-$258, macro $400+, about $1,400 at 1M+, mega $25,000+ on some platforms).
DEFAULT_PRICE_BY_TIER: Final[dict[str, float]] = {
    "nano": 10.0,
    "micro": 100.0,
    "macro": 400.0,
    "mega": 1_400.0,
}


def check_tiers(tiers: Sequence[str]) -> list[str]:
    """Check tier names (`TIERS`); an unknown one is an error with the closest name.

    Parameters
    ----------
    tiers
        Tier names as given.

    Returns
    -------
    list of str
        The same names.

    Raises
    ------
    ParameterError
        A name is not a tier.
    """
    for tier in tiers:
        if tier not in TIERS:
            raise ParameterError(
                f"unknown tier `{tier}`{did_you_mean(tier, TIERS)}; tiers are {', '.join(TIERS)}"
            )
    return list(tiers)


def check_tier_thresholds(thresholds: Sequence[object]) -> tuple[int, int, int]:
    """Check tier thresholds: three increasing positive integers (micro, macro, mega).

    Parameters
    ----------
    thresholds
        Lower bounds (followers) of the micro, macro and mega tiers.

    Returns
    -------
    tuple of int
        The thresholds, as a tuple.

    Raises
    ------
    ParameterError
        When they are not three integers with ``0 < micro < macro < mega``.
    """
    values = tuple(thresholds)
    ints = all(isinstance(v, int) and not isinstance(v, bool) for v in values)
    if len(values) != 3 or not ints or not 0 < values[0] < values[1] < values[2]:  # type: ignore[operator]
        raise ParameterError(
            f"tier thresholds must be three increasing follower counts (lower bounds of "
            f"micro, macro and mega), got {list(values)!r}; hint: 1000,100000,1000000"
        )
    return values[0], values[1], values[2]  # type: ignore[return-value]


def tier_expr(followers: pl.Expr, thresholds: tuple[int, int, int]) -> pl.Expr:
    """Map a follower count to its tier name (a polars expression).

    Parameters
    ----------
    followers
        An expression giving follower counts.
    thresholds
        Lower bounds of micro, macro and mega.

    Returns
    -------
    polars.Expr
        The tier name.
    """
    micro, macro, mega = thresholds
    return (
        pl.when(followers >= mega)
        .then(pl.lit("mega"))
        .when(followers >= macro)
        .then(pl.lit("macro"))
        .when(followers >= micro)
        .then(pl.lit("micro"))
        .otherwise(pl.lit("nano"))
    )


def name_column(creators: pl.DataFrame) -> str | None:
    """Return the column that names creators for people (``handle``, else ``name``), if any.

    Parameters
    ----------
    creators
        A creators table.

    Returns
    -------
    str or None
        The first of `NAME_COLUMNS` the table has.
    """
    return next((c for c in NAME_COLUMNS if c in creators.columns), None)


# What a result column means decides how every output shows it (terminal tables, CSV,
# workbooks): counts as integers, shares (fractions 0..1) and percents (0..100) as
# percent with fixed decimals, money with two decimals, an index (100 = average) as a
# whole number. Columns not listed are shown as they are. A table named in TABLE_KINDS
# holds one kind in every value column (the audience matrices, whose columns are
# creators). Ids and handles are shown verbatim.
ColumnKind = Literal["id", "count", "share", "percent", "money", "ratio", "index"]
COLUMN_KINDS: Final[dict[str, ColumnKind]] = {
    # identifiers are text everywhere: no thousands separators, no 1e+18 in a workbook
    **dict.fromkeys(
        (
            CREATOR_ID,
            FOLLOWER_ID,
            "creator_a",
            "creator_b",
            "top_creators",
            "top_handles",
            "top_names",
            *NAME_COLUMNS,
        ),
        "id",
    ),
    **dict.fromkeys(
        (
            "shared",
            "followers",
            "followers_a",
            "followers_b",
            "exclusive",
            "reach",
            "marginal_reach",
            "eligible_reach",
            "total_followers",
            "duplicated",
            "n_creators",
            "size",
            "unique_audience",
            "rank",
            "creators",
            "edges",
            "duplicates",
            "rejected",
            "declared_followers",
            "upper_bound",
            "n_communities",
            "count",
            "min_followers",
            "max_followers",
            "at_least",
            "median_followers",
            "rows_read",
            "rows_kept",
            "n_eligible",
            "expected_reach",
            "marginal_expected_reach",
            "eligible_expected_reach",
            "expected_followers",
            "expected_at_least",
            "brand_audience",
            "population",
        ),
        "count",
    ),
    **dict.fromkeys(
        (
            "jaccard",
            "overlap_coefficient",
            "share_of_a",
            "share_of_b",
            "exclusive_share",
            "contribution",
            "reach_share",
            "expected_reach_share",
            "gap",
            "engagement_rate",
            "internal_density",
            "target_reach",
            "min_engagement",
            "share",
        ),
        "share",
    ),
    **dict.fromkeys(("cost", "total_cost", "budget", "price"), "money"),
    **dict.fromkeys(("expected_frequency", "modularity"), "ratio"),
    "affinity": "index",  # 100 = average (graph_engine.affinity)
}
TABLE_KINDS: Final[dict[str, ColumnKind]] = {"shared": "count", "shared_percent": "percent"}


def column_kind(column: str, table: str | None = None) -> ColumnKind | None:
    """Return what a result column means (see `COLUMN_KINDS`), or None for other columns.

    Parameters
    ----------
    column
        The column's name.
    table
        The table's name in its report (``shared_percent``, ...), when it has one.

    Returns
    -------
    str or None
        ``id``, ``count``, ``share``, ``percent``, ``money`` or ``ratio``.
    """
    if table in TABLE_KINDS and COLUMN_KINDS.get(column) != "id":
        return TABLE_KINDS[table]
    return COLUMN_KINDS.get(column)
