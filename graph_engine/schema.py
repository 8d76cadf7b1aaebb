"""Column names, dtypes and defaults of the store format (see README, "Store format")."""

from __future__ import annotations

from typing import Final, Literal

import polars as pl

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
# Columns the engine computes; a metadata file may not supply them.
RESERVED_CREATOR_COLUMNS: Final = (CREATOR, FOLLOWERS, TIER)

Tier = Literal["nano", "micro", "macro", "mega"]
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


def tier_expr(followers: pl.Expr, thresholds: tuple[int, int, int]) -> pl.Expr:
    """Polars expression mapping a follower count to its tier name."""
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
