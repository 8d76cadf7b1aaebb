"""The on-disk store: versioned Parquet tables, a manifest, and atomic commits.

Layout (see README, "Store format")::

    STORE/.graph-engine-store  marks the folder as a store (the store writes nowhere else)
    STORE/CURRENT              name of the live version directory
    STORE/v000001/             manifest.json, creators/followers/edges[/rejects].parquet

A write builds the new version in a hidden temporary directory, fsyncs it, renames it to
its final name, and only then replaces ``CURRENT`` with an atomic rename. A crash or an
error at any point leaves the previous version live and unchanged. Pruning renames a
version aside in one step before deleting it. The manifest records each table's size,
row count and checksum; reads check size and rows, `verify` the checksums too.
"""

from __future__ import annotations

from graph_engine.store._commit import commit, prune, write_store
from graph_engine.store._history import describe_versions, restore, verify
from graph_engine.store._layout import TABLES, Table, WriteMode, current_version, list_versions
from graph_engine.store._read import (
    StoreVersion,
    open_version,
    read_manifest,
    read_tables,
    reading,
)

__all__ = [
    "TABLES",
    "StoreVersion",
    "Table",
    "WriteMode",
    "commit",
    "current_version",
    "describe_versions",
    "list_versions",
    "open_version",
    "prune",
    "read_manifest",
    "read_tables",
    "reading",
    "restore",
    "verify",
    "write_store",
]
