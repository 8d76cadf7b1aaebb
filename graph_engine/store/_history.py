"""A store's history: `describe_versions`, `verify` and `restore`."""

from __future__ import annotations

import os
from typing import Any

import polars as pl

from graph_engine.errors import StoreError
from graph_engine.store._layout import (
    as_store_error,
    check_wait,
    existing_store,
    list_versions,
    live_version,
    write_small,
    writer_lock,
)
from graph_engine.store._read import unchecked, verify_version

__all__ = [
    "VERIFY_SCHEMA",
    "VERSIONS_SCHEMA",
    "describe_versions",
    "restore",
    "verify",
]

VERSIONS_SCHEMA = {
    "version": pl.String,
    "live": pl.Boolean,
    "created_at": pl.String,
    "mode": pl.String,
    "parent": pl.String,
    "creators": pl.Int64,
    "followers": pl.Int64,
    "edges": pl.Int64,
    "status": pl.String,
}
VERIFY_SCHEMA = {
    "version": pl.String,
    "live": pl.Boolean,
    "file": pl.String,
    "rows": pl.Int64,
    "bytes": pl.Int64,
    "status": pl.String,
}


def describe_versions(store: str | os.PathLike[str]) -> pl.DataFrame:
    """Describe every version: when and how it was made and what it holds.

    Parameters
    ----------
    store
        The store directory.

    Returns
    -------
    polars.DataFrame
        One row per version, oldest first: ``version, live, created_at, mode, parent,
        creators, followers, edges`` and ``status`` (``ok`` or why it cannot be read).
    """
    root = existing_store(store)
    live = live_version(root)
    rows: list[dict[str, Any]] = []
    for name in list_versions(root):
        row: dict[str, Any] = {"version": name, "live": name == live}
        try:
            manifest = unchecked(root, name).manifest
        except StoreError as exc:
            rows.append({**row, "status": str(exc)})
            continue
        counts = manifest["counts"]
        rows.append(
            {
                **row,
                "created_at": manifest["created_at"],
                "mode": manifest.get("mode"),
                "parent": manifest.get("parent"),
                **{t: counts[t] for t in ("creators", "followers", "edges")},
                "status": "ok",
            }
        )
    return pl.DataFrame(rows, schema=VERSIONS_SCHEMA)


def verify(store: str | os.PathLike[str], version: str | None = None) -> pl.DataFrame:
    """Check every table of every version (or one) against its manifest, checksums included.

    Parameters
    ----------
    store
        The store directory.
    version
        Only this version; None for all of them.

    Returns
    -------
    polars.DataFrame
        One row per table file: ``version, live, file, rows, bytes, status`` where status
        is ``ok`` or what is wrong. A version whose manifest cannot be read has one row
        for ``manifest.json``.
    """
    root = existing_store(store)
    live = live_version(root)
    rows: list[dict[str, Any]] = []
    for name in [version] if version is not None else list_versions(root):
        try:
            checked = verify_version(unchecked(root, name))
        except StoreError as exc:
            checked = [{"file": "manifest.json", "rows": None, "bytes": None, "status": str(exc)}]
        rows += [{"version": name, "live": name == live, **row} for row in checked]
    if live is None:
        rows.append({"file": "CURRENT", "status": "missing: the store has no live version"})
    return pl.DataFrame(rows, schema=VERIFY_SCHEMA)


def restore(store: str | os.PathLike[str], version: str, *, wait: float = 0.0) -> str:
    """Make an older version live again (after checking every checksum of it).

    Parameters
    ----------
    store
        The store directory.
    version
        The version to make live (see `list_versions`).
    wait
        Seconds to wait for another writer to finish before failing.

    Returns
    -------
    str
        The version that was live before.
    """
    check_wait(wait)
    root = existing_store(store)
    with writer_lock(root, wait):
        before = live_version(root)
        checked = verify_version(unchecked(root, version))
        problems = [r for r in checked if r["status"] != "ok"]
        if problems:
            raise StoreError(
                f"store `{root}`: {version} cannot be restored: {problems[0]['file']}: "
                f"{problems[0]['status']}"
            )
        with as_store_error(root):
            write_small(root / "CURRENT", version + "\n")
    return before or version
