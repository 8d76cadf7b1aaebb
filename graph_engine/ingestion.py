"""Ingest: input files into store tables, and into a new version of a store.

`ingest` reads edge files and creators metadata (`graph_engine.readers`) and builds the
tables of a store version (`graph_engine.tables`); `ingest_into_store` does that under
the store's writer lock and commits the result (`graph_engine.store`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl

from graph_engine import schema as s
from graph_engine.errors import InputError, RejectedRowsError
from graph_engine.readers import (
    Direction,
    EdgeFormat,
    read_creators,
    read_edges,
    read_followers,
)
from graph_engine.store import WriteMode, commit
from graph_engine.tables import (
    StoreTables,
    attributes_of,
    build_tables,
    check_follower_attributes,
    check_metadata,
    count_rejects,
    merge_metadata,
    metadata_of,
    original_edges,
)

__all__ = ["ingest", "ingest_into_store"]


def ingest(
    sources: Sequence[str | os.PathLike[str]],
    *,
    creators: str | os.PathLike[str] | pl.DataFrame | None = None,
    format: EdgeFormat = "auto",
    creator_column: str = s.CREATOR_ID,
    follower_column: str = s.FOLLOWER_ID,
    direction: Direction = "follower-creator",
    separator: str | None = None,
    id_space: s.IdSpace = "shared",
    creators_column: str = s.CREATOR_ID,
    tier_thresholds: tuple[int, int, int] = s.DEFAULT_TIER_THRESHOLDS,
    strict: bool = False,
    base: StoreTables | None = None,
    followers: str | os.PathLike[str] | pl.DataFrame | None = None,
    followers_column: str = s.FOLLOWER_ID,
) -> StoreTables:
    r"""Read edge files (and creators metadata) into the tables of a new store version.

    Parameters
    ----------
    sources
        Edge files; see `graph_engine.readers.read_edges` for formats.
    creators
        Optional creators metadata (a file, or a frame with a `creator_id` column).
    format, creator_column, follower_column, direction, separator, id_space
        How to read the edge files (see `graph_engine.readers.read_edges`); `id_space`
        is recorded in the manifest, and an append must use the store's.
    creators_column
        The creator id column of the creators file.
    tier_thresholds
        Lower bounds (followers) of the micro, macro and mega tiers.
    base
        Tables of the live store version to merge into (append mode): its edges, rejects
        and sources are kept, its metadata is updated column by column by the new file.
    strict
        Raise `RejectedRowsError` when any row would be rejected.
    followers, followers_column
        Optional follower attributes (a file keyed by follower id, or a frame with a
        `follower_id` column): country, a bot flag, a value, ... stored as columns of the
        followers table, for `--followers-where` and `--weight`. An append updates them
        column by column, like creators metadata.

    Returns
    -------
    StoreTables
        The tables of the new version (not written anywhere).

    Examples
    --------
    >>> import polars as pl, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "e.csv").write_text("creator_id,follower_id\na,x\na,y\nb,y\nb,b\n")
    >>> t = ingest([d / "e.csv"])
    >>> t.creators.select("creator_id", "followers").rows()
    [('a', 2), ('b', 1)]
    >>> t.rejected
    {'self_follow': 1}
    """
    if not sources:
        raise InputError("no edge files given; hint: pass one or more edge files")
    if base is not None and base.id_space != id_space:
        raise InputError(
            f"the store's ids are in a {base.id_space} id space, this append says {id_space}; "
            f"hint: pass --id-space {base.id_space}, or --mode replace to start over"
        )
    batches = [
        read_edges(
            src,
            format=format,
            creator_column=creator_column,
            follower_column=follower_column,
            direction=direction,
            separator=separator,
            id_space=id_space,
        )
        for src in sources
    ]
    new_edges = sum(b.edges.height for b in batches)
    rejects = pl.concat([b.rejects for b in batches])
    if strict and rejects.height:
        ex = rejects.row(0, named=True)
        raise RejectedRowsError(
            f"--strict: {rejects.height} rows rejected ({_by_reason(rejects)}); first: "
            f"`{ex['source']}` line {ex['line']}, reason {ex[s.REASON]}, value "
            f"{ex['raw'] or (ex[s.CREATOR_ID], ex[s.FOLLOWER_ID])!r}; hint: fix the input or "
            "drop --strict to quarantine them in rejects.parquet"
        )
    if new_edges == 0:
        raise InputError(
            f"no valid edges in {', '.join(f'`{x}`' for x in sources)} (rejected: "
            f"{_by_reason(rejects) or 'none'}); "
            "hint: check the column names, the format and the edge direction"
        )
    meta = _keyed(
        creators, check_metadata, lambda f: read_creators(f, creator_column=creators_column)
    )
    attributes = _keyed(
        followers,
        check_follower_attributes,
        lambda f: read_followers(f, follower_column=followers_column),
    )
    edges = [b.edges for b in batches]
    sources_info = [b.source.to_dict() for b in batches]
    del batches
    if base is not None:
        _check_id_types(base, edges, meta)
        edges.insert(0, original_edges(base))
        rejects = pl.concat([base.rejects, rejects])
        sources_info = base.sources + sources_info
        meta = merge_metadata(metadata_of(base), meta)
        attributes = merge_metadata(attributes_of(base), attributes, key=s.FOLLOWER_ID)
    tables = build_tables(edges, meta, tier_thresholds=tier_thresholds, followers_meta=attributes)
    return replace(
        tables,
        id_space=id_space,
        rejects=rejects,
        sources=sources_info,
        duplicates=tables.duplicates + (base.duplicates if base else 0),
    )


def _keyed(
    given: str | os.PathLike[str] | pl.DataFrame | None,
    check: Callable[[pl.DataFrame], pl.DataFrame],
    read: Callable[[str | os.PathLike[str]], pl.DataFrame],
) -> pl.DataFrame | None:
    """Creators metadata or follower attributes: a frame is checked, a file read (and checked)."""
    if given is None:
        return None
    return check(given) if isinstance(given, pl.DataFrame) else read(given)


def _by_reason(rejects: pl.DataFrame) -> str:
    """Rejected rows by reason, as text (``missing_id: 2, self_follow: 1``)."""
    return ", ".join(f"{k}: {v}" for k, v in sorted(count_rejects(rejects).items()))


def _check_id_types(
    base: StoreTables, edges: Sequence[pl.DataFrame], meta: pl.DataFrame | None
) -> None:
    """Refuse an append whose ids are text where the store's are integers.

    Appending one text id to an integer-id store would silently turn every id of the
    store into text (and change how ids sort, compare and export).
    """
    frames = [(f"edge file {i + 1}", e) for i, e in enumerate(edges)]
    if meta is not None:
        frames.append(("creators metadata", meta.select(s.CREATOR_ID)))
    store_types = {
        s.CREATOR_ID: base.creators.schema[s.CREATOR_ID],
        s.FOLLOWER_ID: base.followers.schema[s.FOLLOWER_ID],
    }
    for column, store_type in store_types.items():
        if store_type != pl.Int64:
            continue
        for what, frame in frames:
            if column in frame.columns and frame.schema[column] != pl.Int64:
                example = (
                    frame.filter(pl.col(column).cast(pl.Int64, strict=False).is_null())[column]
                    .head(1)
                    .to_list()
                )
                raise InputError(
                    f"the store's `{column}` values are integers, but {what} has text ids "
                    f"(e.g. {example[:1]}); appending would turn every id into text; hint: "
                    "fix those ids, or --mode replace to rebuild the store with text ids"
                )


def ingest_into_store(
    sources: Sequence[str | os.PathLike[str]],
    store: str | os.PathLike[str],
    *,
    mode: WriteMode = "create",
    keep: int | None = None,
    wait: float = 0.0,
    **options: Any,
) -> Path:
    """Ingest the sources and commit them as a new version of `store`.

    Parameters
    ----------
    sources
        Edge files (see `graph_engine.readers.read_edges`).
    store
        The store directory.
    mode
        ``"create"``, ``"append"`` (merge into the live version) or ``"replace"``.
    keep
        Prune older versions so that at most this many remain.
    wait
        Seconds to wait for another writer to finish before failing.
    **options
        Keyword arguments of `ingest` (creators, format, columns, tiers, strict).

    Returns
    -------
    Path
        The new version directory.
    """
    return commit(
        store, lambda base: ingest(sources, base=base, **options), mode=mode, keep=keep, wait=wait
    )
