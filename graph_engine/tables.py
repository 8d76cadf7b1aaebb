"""Store tables in memory: dense ids, deduplicated sorted edges, counts and tiers.

`build_tables` turns original-id edge frames (from `graph_engine.readers`) and optional
creators metadata into the tables of one store version (`StoreTables`): creators and
followers get dense int32 ids in sorted order of their original id, duplicate edges are
dropped and counted, observed follower counts and tiers computed. No file I/O here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from graph_engine import schema as s
from graph_engine.errors import SchemaError

__all__ = [
    "REJECTS_SCHEMA",
    "StoreTables",
    "attributes_of",
    "build_tables",
    "check_follower_attributes",
    "check_metadata",
    "count_rejects",
    "degree_percentiles",
    "empty_rejects",
    "given_columns",
    "merge_metadata",
    "metadata_of",
    "original_edges",
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


REJECTS_SCHEMA = {
    "source": pl.String,
    "line": pl.Int64,
    s.CREATOR_ID: pl.String,
    s.FOLLOWER_ID: pl.String,
    "raw": pl.String,
    s.REASON: pl.String,
}


@dataclass(frozen=True)
class StoreTables:
    """The tables of one store version, in memory (see README, "Store format")."""

    creators: pl.DataFrame
    followers: pl.DataFrame
    edges: pl.DataFrame
    rejects: pl.DataFrame
    sources: list[dict[str, Any]] = field(default_factory=list)
    duplicates: int = 0
    tier_thresholds: tuple[int, int, int] = s.DEFAULT_TIER_THRESHOLDS
    id_space: s.IdSpace = "shared"

    @property
    def rejected(self) -> dict[str, int]:
        """Rejected rows by reason."""
        counts = self.rejects.group_by(s.REASON).len().sort(s.REASON)
        return dict(zip(counts[s.REASON].to_list(), counts["len"].to_list(), strict=True))


def empty_rejects() -> pl.DataFrame:
    """Return a rejects table with no rows.

    Returns
    -------
    polars.DataFrame
        The columns of ``rejects.parquet``, no rows.
    """
    return pl.DataFrame(schema=REJECTS_SCHEMA)


def count_rejects(rejects: pl.DataFrame) -> dict[str, int]:
    """Count rejected rows by reason.

    Parameters
    ----------
    rejects
        A rejects table.

    Returns
    -------
    dict
        reason -> rows.
    """
    return {str(k): int(v) for k, v in rejects.group_by(s.REASON).len().iter_rows()}


def _unify_ids(frames: Sequence[pl.DataFrame], col: str) -> list[pl.DataFrame]:
    """Cast a column to one id type over all frames: int64 if every frame has ints."""
    if all(f.schema[col] == pl.Int64 for f in frames):
        return list(frames)
    return [f.with_columns(pl.col(col).cast(pl.String)) for f in frames]


def build_tables(
    edge_frames: Sequence[pl.DataFrame],
    creators_meta: pl.DataFrame | None = None,
    *,
    tier_thresholds: tuple[int, int, int] = s.DEFAULT_TIER_THRESHOLDS,
    followers_meta: pl.DataFrame | None = None,
) -> StoreTables:
    """Dense ids, deduplicated sorted edges, observed counts and tiers from original-id edges.

    Creators listed only in the metadata are kept with zero observed followers; follower
    attributes (`followers_meta`) are joined to the followers of the edges (a follower
    with no edge is not in the graph, and a follower without attributes gets nulls). A list
    passed as `edge_frames` is emptied, so that the caller's references do not keep the
    raw id columns alive through the sort (they are the largest thing in memory).
    """
    tier_thresholds = s.check_tier_thresholds(tier_thresholds)
    frames = _unify_ids([f.select(s.CREATOR_ID, s.FOLLOWER_ID) for f in edge_frames], s.CREATOR_ID)
    frames = _unify_ids(frames, s.FOLLOWER_ID)
    if isinstance(edge_frames, list):
        edge_frames.clear()  # we own the frames now: let the raw ids go before the sort
    raw = pl.concat(frames, rechunk=False)
    del frames
    n_rows = raw.height
    creator_ids = raw.lazy().select(pl.col(s.CREATOR_ID).unique())
    if creators_meta is not None:
        creators_meta = _typed_like(
            creators_meta, s.CREATOR_ID, raw.schema[s.CREATOR_ID], "creators metadata"
        )
        creator_ids = pl.concat([creator_ids, creators_meta.lazy().select(s.CREATOR_ID)])
    creator_index = (
        creator_ids.unique()
        .sort(s.CREATOR_ID)
        .with_row_index(s.CREATOR)
        .with_columns(pl.col(s.CREATOR).cast(pl.Int32))
        .collect()
    )
    # Dense ids in sorted order of the original id, then dedupe and sort the edges as one
    # packed int64 key (creator << 32 | follower): one numpy sort instead of a two-column
    # polars unique + sort, several times faster and lighter on memory.
    # the three passes over the raw ids are independent: polars runs them in parallel
    dense, followers = pl.collect_all(
        [
            raw.lazy().select(
                pl.col(s.CREATOR_ID)
                .replace_strict(
                    creator_index[s.CREATOR_ID], creator_index[s.CREATOR], return_dtype=pl.Int32
                )
                .alias(s.CREATOR),
                (pl.col(s.FOLLOWER_ID).rank("dense") - 1).alias(s.FOLLOWER),
            ),
            raw.lazy()
            .select(pl.col(s.FOLLOWER_ID).unique().sort())
            .with_row_index(s.FOLLOWER)
            .with_columns(pl.col(s.FOLLOWER).cast(pl.Int32)),
        ]
    )
    del raw  # the original ids are no longer needed: free them before the key exists
    key = dense[s.CREATOR].to_numpy().astype(np.int64)
    key <<= 32
    key |= dense[s.FOLLOWER].to_numpy()
    del dense
    key.sort()
    distinct = np.empty(key.size, dtype=bool)
    distinct[:1] = True
    np.not_equal(key[1:], key[:-1], out=distinct[1:])
    key = key[distinct]
    del distinct
    edges = pl.DataFrame(
        {s.CREATOR: (key >> 32).astype(np.int32), s.FOLLOWER: (key & 0xFFFFFFFF).astype(np.int32)}
    )
    del key
    n_creators = creator_index.height
    creators = creator_index.with_columns(
        pl.Series(s.FOLLOWERS, np.bincount(edges[s.CREATOR].to_numpy(), minlength=n_creators))
    )
    followers = followers.with_columns(
        pl.Series(
            s.FOLLOWING, np.bincount(edges[s.FOLLOWER].to_numpy(), minlength=followers.height)
        )
    )
    if followers_meta is not None:
        followers = _join_attributes(followers, followers_meta)
    if creators_meta is not None:
        creators = creators.join(creators_meta, on=s.CREATOR_ID, how="left")
    size = pl.col(s.FOLLOWERS)
    if "declared_followers" in creators.columns:
        size = pl.coalesce(pl.col("declared_followers"), size)
    creators = (
        creators.with_columns(s.tier_expr(size, tier_thresholds).alias(s.TIER))
        .select(
            s.CREATOR,
            s.CREATOR_ID,
            s.FOLLOWERS,
            s.TIER,
            pl.exclude(s.CREATOR, s.CREATOR_ID, s.FOLLOWERS, s.TIER),
        )
        .sort(s.CREATOR)
    )
    assert creators.height == n_creators
    return StoreTables(
        creators=creators,
        followers=followers,
        edges=edges,
        rejects=empty_rejects(),
        duplicates=n_rows - edges.height,
        tier_thresholds=tier_thresholds,
    )


def _join_attributes(followers: pl.DataFrame, attributes: pl.DataFrame) -> pl.DataFrame:
    """Join follower attributes by original id (typed like the edges' ids)."""
    id_type = followers.schema[s.FOLLOWER_ID]
    attributes = _typed_like(attributes, s.FOLLOWER_ID, id_type, "follower attributes")
    return followers.join(attributes, on=s.FOLLOWER_ID, how="left", maintain_order="left")


def _typed_like(frame: pl.DataFrame, key: str, id_type: pl.DataType, what: str) -> pl.DataFrame:
    """Cast a metadata file's ids to the edges' id type.

    Where every edge id is an integer, a text id that is not a canonical integer
    (``abc``, ``007``: ids keep their text) matches no edge, so it is refused.
    """
    if id_type == pl.Int64 and frame.schema[key] != pl.Int64:
        text = frame[key].cast(pl.String)
        canonical = text.cast(pl.Int64, strict=False).cast(pl.String)
        bad = text.filter(canonical.is_null() | (canonical != text))
        if bad.len():
            raise SchemaError(
                f"{what} `{key}` {bad[0]!r} is not an integer, but every edge file uses "
                f"integer {key.removesuffix('_id')} ids; hint: use the same ids"
            )
    return frame.with_columns(pl.col(key).cast(id_type))


def check_follower_attributes(
    frame: pl.DataFrame, what: str = "follower attributes"
) -> pl.DataFrame:
    """Check follower attributes: one row per follower, no computed column, finite numbers.

    Parameters
    ----------
    frame
        A frame with ``follower_id`` and attribute columns.
    what
        How error messages name it.

    Returns
    -------
    polars.DataFrame
        The frame, unchanged.

    Raises
    ------
    SchemaError
        On a column the engine computes (`follower`, `following`), a follower listed
        twice, or a NaN or infinite number.
    """
    if s.FOLLOWER_ID not in frame.columns:
        raise SchemaError(f"{what} has no `{s.FOLLOWER_ID}` column; hint: add the id column")
    for col in s.RESERVED_FOLLOWER_COLUMNS:
        if col in frame.columns:
            raise SchemaError(
                f"{what} has a column `{col}`, which the engine computes (creators of the store "
                "each follower follows); hint: rename it, e.g. `following_count`"
            )
    for col, dtype in frame.schema.items():
        if dtype.is_float():
            bad = frame.filter(~pl.col(col).is_finite())
            if bad.height:
                raise SchemaError(
                    f"{what} column `{col}` has {bad[col][0]} for follower "
                    f"{bad[s.FOLLOWER_ID][0]!r} ({bad.height} values); hint: blank those cells"
                )
    dupes = frame.filter(pl.col(s.FOLLOWER_ID).is_duplicated())
    if dupes.height:
        raise SchemaError(
            f"{what} lists follower {dupes[s.FOLLOWER_ID][0]!r} more than once "
            f"({dupes.height} rows involved); hint: keep one row per follower"
        )
    return frame


def attributes_of(tables: StoreTables) -> pl.DataFrame | None:
    """Return the follower attributes of a store version (None when it has none).

    Parameters
    ----------
    tables
        The tables of a store version.

    Returns
    -------
    polars.DataFrame or None
        `follower_id` and the attribute columns given at ingest.
    """
    given = given_columns(tables.followers.columns, s.RESERVED_FOLLOWER_COLUMNS)
    return tables.followers.select(s.FOLLOWER_ID, *given) if given else None


# Known metadata columns whose values must be finite and not negative.
_NON_NEGATIVE = ("declared_followers", "cost", "engagement_rate")


def check_metadata(meta: pl.DataFrame, what: str = "creators metadata") -> pl.DataFrame:
    """Check and cast creators metadata: one row per creator, known columns typed and valid.

    Parameters
    ----------
    meta
        A frame with ``creator_id`` and any other columns.
    what
        How error messages name it (e.g. "creators file `x.csv`").

    Returns
    -------
    polars.DataFrame
        `meta` with `handle`, `declared_followers`, `cost`, `engagement_rate` and `niche`
        cast to their types (any other column as given).

    Raises
    ------
    SchemaError
        On a column the engine computes (`creator`, `followers`, `tier`), a value that does
        not cast, a negative or non-finite count, cost or rate, or a creator listed twice.

    Examples
    --------
    >>> check_metadata(pl.DataFrame({"creator_id": [1], "cost": ["12.5"]}))["cost"].to_list()
    [12.5]
    """
    if s.CREATOR_ID not in meta.columns:
        raise SchemaError(f"{what} has no `{s.CREATOR_ID}` column; hint: add the id column")
    for col in s.RESERVED_CREATOR_COLUMNS:
        if col in meta.columns:
            raise SchemaError(
                f"{what} has a column `{col}`, which the engine computes; hint: rename or "
                "drop it (tiers come from `declared_followers` or observed followers)"
            )
    for col, dtype in s.CREATOR_METADATA.items():
        if col not in meta.columns:
            continue
        given = meta[col]
        if given.dtype == pl.String and dtype != pl.String:
            given = given.str.strip_chars().replace("", None)
        cast = given.cast(dtype, strict=False)
        bad = meta.filter(cast.is_null() & given.is_not_null())
        if bad.height:
            raise SchemaError(
                f"{what} column `{col}` must be {dtype}; found {bad[col][0]!r} for creator "
                f"{bad[s.CREATOR_ID][0]!r} ({bad.height} bad values); hint: fix or blank "
                "those cells"
            )
        if col in _NON_NEGATIVE:
            valid = cast.cast(pl.Float64).is_finite() & (cast >= 0)
            bad = meta.filter(~valid.fill_null(True))
            if bad.height:
                raise SchemaError(
                    f"{what} column `{col}` must be a finite number >= 0; found "
                    f"{cast.filter(~valid.fill_null(True))[0]!r} for creator "
                    f"{bad[s.CREATOR_ID][0]!r} ({bad.height} bad values); hint: fix or blank "
                    "those cells"
                )
        meta = meta.with_columns(cast.alias(col))
    dupes = meta.filter(pl.col(s.CREATOR_ID).is_duplicated())
    if dupes.height:
        raise SchemaError(
            f"{what} lists creator {dupes[s.CREATOR_ID][0]!r} more than once "
            f"({dupes.height} rows involved); hint: keep one row per creator"
        )
    return meta


def original_edges(tables: StoreTables) -> pl.DataFrame:
    """Edges of a store version in original ids."""
    return (
        tables.edges.lazy()
        .join(tables.creators.lazy().select(s.CREATOR, s.CREATOR_ID), on=s.CREATOR)
        .join(tables.followers.lazy().select(s.FOLLOWER, s.FOLLOWER_ID), on=s.FOLLOWER)
        .select(s.CREATOR_ID, s.FOLLOWER_ID)
        .collect()
    )


def metadata_of(tables: StoreTables) -> pl.DataFrame | None:
    """Return the creators metadata of a store version (None when it has none).

    Parameters
    ----------
    tables
        The tables of a store version.

    Returns
    -------
    polars.DataFrame or None
        `creator_id` and the metadata columns given at ingest.
    """
    given = given_columns(tables.creators.columns, s.RESERVED_CREATOR_COLUMNS)
    return tables.creators.select(s.CREATOR_ID, *given) if given else None


def given_columns(columns: list[str], computed: tuple[str, ...]) -> list[str]:
    """Return a table's columns given at ingest: neither computed nor the original id.

    Parameters
    ----------
    columns
        The table's columns.
    computed
        The columns the engine computes (`schema.RESERVED_CREATOR_COLUMNS`, ...).

    Returns
    -------
    list of str
        The metadata or attribute columns, in table order.
    """
    return [c for c in columns if c not in (*computed, s.CREATOR_ID, s.FOLLOWER_ID)]


def merge_metadata(
    old: pl.DataFrame | None, new: pl.DataFrame | None, key: str = s.CREATOR_ID
) -> pl.DataFrame | None:
    """Merge creators metadata (or follower attributes): new values win cell by cell.

    Parameters
    ----------
    old, new
        Frames keyed by `key` (either may be None); the rest of `old` is kept.
    key
        ``creator_id``, or ``follower_id`` for follower attributes.

    Returns
    -------
    polars.DataFrame or None
        Every row and column of both.
    """
    if old is None or new is None:
        return new if old is None else old
    if old.schema[key] != new.schema[key]:
        old = old.with_columns(pl.col(key).cast(pl.String))
        new = new.with_columns(pl.col(key).cast(pl.String))
    merged = old.join(new, on=key, how="full", coalesce=True, suffix="__new")
    updates = [c for c in new.columns if c != key and c in old.columns]
    return merged.with_columns(
        pl.coalesce(pl.col(f"{c}__new"), pl.col(c)).alias(c) for c in updates
    ).drop([f"{c}__new" for c in updates])
