"""Results as tidy polars frames and plain dicts, ready to render or write. Never prints."""

from __future__ import annotations

import os
from typing import Any

import polars as pl

from graph_engine import schema as s
from graph_engine.store import open_version
from graph_engine.tables import degree_percentiles

__all__ = [
    "degree_percentiles",
    "summarize_store",
]


def summarize_store(store: str | os.PathLike[str]) -> dict[str, Any]:
    """Everything `graph-engine info` shows: counts, tiers, degree percentiles, sources.

    Reads the manifest and the creators table: the percentiles of creators per follower
    are in the manifest (stores written before they were are read for them).
    """
    version = open_version(store)
    manifest = version.manifest
    creators = version.read("creators")
    following = manifest.get("following_percentiles")
    if not isinstance(following, dict):
        following = degree_percentiles(
            version.read("followers", columns=[s.FOLLOWING])[s.FOLLOWING]
        )
    counts = manifest["counts"]
    tiers = (
        creators.group_by(s.TIER)
        .agg(
            pl.len().alias("creators"),
            pl.col(s.FOLLOWERS).min().alias("min_followers"),
            pl.col(s.FOLLOWERS).median().alias("median_followers"),
            pl.col(s.FOLLOWERS).max().alias("max_followers"),
        )
        .with_columns(pl.col(s.TIER).replace_strict(list(s.TIERS), range(4)).alias("_order"))
        .sort("_order")
        .drop("_order")
    )
    degrees = pl.DataFrame(
        [
            {"of": "followers per creator", **degree_percentiles(creators[s.FOLLOWERS])},
            {"of": "creators per follower", **following},
        ]
    )
    sources = pl.DataFrame(
        [
            {
                "path": src["path"],
                "format": src["format"],
                "rows_read": src["rows_read"],
                "rows_kept": src["rows_kept"],
                "rejected": sum(src["rows_rejected"].values()),
                "sha256": src["sha256"][:12],
            }
            for src in manifest["sources"]
        ]
    )
    return {
        "store": str(store),
        "version": version.name,
        "created_at": manifest["created_at"],
        "creators": counts["creators"],
        "followers": counts["followers"],
        "edges": counts["edges"],
        "duplicates": counts["duplicates"],
        "rejected": counts["rejected"],
        "creator_id_type": manifest["id_types"][s.CREATOR_ID],
        "id_space": manifest.get("id_space", "shared"),
        "metadata_columns": [
            c for c in creators.columns if c not in (s.CREATOR, s.CREATOR_ID, s.FOLLOWERS, s.TIER)
        ],
        "tiers": tiers,
        "degrees": degrees,
        "sources": sources,
    }
