"""Results as tidy polars frames and plain dicts, ready to render or write. Never prints."""

from __future__ import annotations

import os
from typing import Any

import polars as pl

from graph_engine import schema as s
from graph_engine.store import open_version

__all__ = [
    "degree_percentiles",
    "summarize_store",
]

_PERCENTILES = (0.0, 0.25, 0.5, 0.75, 0.9, 0.99, 1.0)


def degree_percentiles(values: pl.Series) -> dict[str, float]:
    """min, p25, median, p75, p90, p99, max and mean of a degree column."""
    if values.len() == 0:
        return {}
    out = {
        ("min" if q == 0 else "max" if q == 1 else f"p{round(q * 100)}"): float(
            values.quantile(q, interpolation="nearest") or 0
        )
        for q in _PERCENTILES
    }
    out["mean"] = round(float(values.mean() or 0), 2)  # type: ignore[arg-type]
    return out


def summarize_store(store: str | os.PathLike[str]) -> dict[str, Any]:
    """Everything `graph-engine info` shows: counts, tiers, degree percentiles, sources.

    Reads the manifest and the creators and followers tables, not the edges.
    """
    version = open_version(store)
    manifest = version.manifest
    creators = version.read("creators")
    followers = version.read("followers", columns=[s.FOLLOWING])
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
            {"of": "creators per follower", **degree_percentiles(followers[s.FOLLOWING])},
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
