"""Results as tidy polars frames and plain dicts, ready to render or write. Never prints."""

from __future__ import annotations

import os
from typing import Any

import polars as pl

from graph_engine import schema as s
from graph_engine.store import open_version
from graph_engine.tables import degree_percentiles, given_columns

__all__ = [
    "degree_percentiles",
    "list_creators",
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
        "metadata_columns": given_columns(creators.columns, s.RESERVED_CREATOR_COLUMNS),
        # from the Parquet footer: no follower row is read
        "follower_attributes": given_columns(
            version.scan("followers").collect_schema().names(), s.RESERVED_FOLLOWER_COLUMNS
        ),
        "tiers": tiers,
        "degrees": degrees,
        "sources": sources,
    }


def list_creators(
    store: str | os.PathLike[str], *, search: str | None = None, tiers: list[str] | None = None
) -> pl.DataFrame:
    """List the creators of a store with their metadata, tier and observed followers.

    Reads only the creators table. Sorted by observed followers (largest first), then id.

    Parameters
    ----------
    store
        The store directory.
    search
        Keep creators whose id or any text column (handle, name, niche, ...) contains
        this text, ignoring case and a leading `@`.
    tiers
        Keep creators of these tiers.

    Returns
    -------
    polars.DataFrame
        ``creator_id``, the handle or name when there is one, ``tier``, ``followers``,
        then the other metadata columns as given.

    Examples
    --------
    >>> import tempfile, polars as pl
    >>> from graph_engine import ingest_into_store
    >>> d = tempfile.mkdtemp()
    >>> pl.DataFrame({"creator_id": [1, 1, 2], "follower_id": [5, 6, 5]}).write_csv(f"{d}/e.csv")
    >>> pl.DataFrame({"creator_id": [1, 2], "handle": ["@Ana", "bo"]}).write_csv(f"{d}/c.csv")
    >>> _ = ingest_into_store([f"{d}/e.csv"], f"{d}/s", creators=f"{d}/c.csv")
    >>> list_creators(f"{d}/s", search="ANA").select("creator_id", "handle", "followers").rows()
    [(1, '@Ana', 2)]
    """
    creators = open_version(store).read("creators").drop(s.CREATOR)
    if tiers:
        s.check_tiers(tiers)
        creators = creators.filter(pl.col(s.TIER).is_in(tiers))
    if search:
        needle = search.strip().removeprefix("@").lower()  # cells are lowercased the same way
        text = [c for c, t in creators.schema.items() if t == pl.String and c != s.TIER]
        hit = (
            pl.col(s.CREATOR_ID)
            .cast(pl.String)
            .str.to_lowercase()
            .str.contains(needle, literal=True)
        )
        for col in text:
            hit = hit | pl.col(col).str.to_lowercase().str.contains(needle, literal=True)
        creators = creators.filter(hit.fill_null(False))
    name = s.name_column(creators)
    first = [s.CREATOR_ID, *([name] if name else []), s.TIER, s.FOLLOWERS]
    rest = [c for c in creators.columns if c not in first]
    return creators.select(*first, *rest).sort(
        [s.FOLLOWERS, s.CREATOR_ID], descending=[True, False]
    )
