"""Reading a version: `StoreVersion`, `open_version`, retries when a version is pruned."""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import polars as pl

from graph_engine._hashing import file_sha256
from graph_engine.errors import StoreError, did_you_mean
from graph_engine.store._layout import (
    MARKER,
    TABLES,
    VERSION_NAME,
    Table,
    VersionGone,
    list_versions,
    live_version,
    short,
)
from graph_engine.store._manifest import read_manifest_file
from graph_engine.tables import StoreTables, empty_rejects

__all__ = [
    "READ_ATTEMPTS",
    "StoreVersion",
    "open_version",
    "read_manifest",
    "read_tables",
    "reading",
    "unchecked",
    "verify_version",
]

T = TypeVar("T")
READ_ATTEMPTS = 5  # a reader retries this often when writers prune under it


@dataclass(frozen=True)
class StoreVersion:
    """One committed version of a store: its folder and its (checked) manifest.

    The only reader of a store's files: every table is read through `read`, after the
    manifest was checked by `open_version`. Each read checks the file's size and row
    count against the manifest (cheap); `verify` also checks every checksum.
    """

    root: Path
    name: str
    manifest: dict[str, Any]

    @property
    def path(self) -> Path:
        """The version's folder."""
        return self.root / self.name

    def rows(self, table: Table) -> int:
        """Return the number of rows the manifest records for `table`.

        Parameters
        ----------
        table
            ``creators``, ``followers``, ``edges`` or ``rejects``.

        Returns
        -------
        int
            The row count.
        """
        entry = self.manifest["files"].get(f"{table}.parquet", {})
        if "rows" in entry:
            return int(entry["rows"])
        counts = self.manifest["counts"]  # manifests of 0.1 have no per-file rows
        return sum(counts["rejected"].values()) if table == "rejects" else int(counts[table])

    def check_files(self) -> None:
        """Check that every table file is there with its size and row count (cheap).

        Reads only each file's size and Parquet footer, not its data.

        Raises
        ------
        StoreError
            A file is missing, or its size or row count differs from the manifest.
        """
        for table in TABLES:
            entry = self.manifest["files"].get(f"{table}.parquet")
            if entry is None and table != "rejects":
                raise self._damaged(f"the manifest lists no `{table}.parquet`")
            if entry is not None and (problem := self._file_problem(table, checksum=False)):
                raise self._damaged(f"`{table}.parquet` {problem}")

    def _file_problem(self, table: Table, *, checksum: bool) -> str | None:
        """Say what is wrong with one listed table file, or return None."""
        file = self.path / f"{table}.parquet"
        entry = self.manifest["files"][file.name]
        try:
            size = file.stat().st_size
            if size != entry["bytes"]:
                return f"has {size:,} bytes, the manifest says {entry['bytes']:,}"
            if checksum and file_sha256(file) != entry["sha256"]:
                return "checksum differs from the manifest"
            rows = pl.scan_parquet(file).select(pl.len()).collect().item()
        except FileNotFoundError:
            if not self.path.is_dir():
                raise VersionGone(f"store `{self.root}`: {self.name} was pruned") from None
            return "is missing"
        except (OSError, pl.exceptions.PolarsError) as exc:
            return f"is unreadable ({short(str(exc))})"
        if rows != self.rows(table):
            return f"has {rows:,} rows, the manifest says {self.rows(table):,}"
        return None

    def read(self, table: Table, *, columns: list[str] | None = None) -> pl.DataFrame:
        """Read one table of this version.

        Parameters
        ----------
        table
            ``creators``, ``followers``, ``edges`` or ``rejects`` (an empty rejects table
            when the version has none).
        columns
            Only these columns (Parquet reads nothing else).

        Returns
        -------
        polars.DataFrame
            The table.

        Raises
        ------
        StoreError
            The file is missing, or its size or row count differs from the manifest.
        """
        file = self.path / f"{table}.parquet"
        entry = self.manifest["files"].get(file.name)
        if entry is None and table == "rejects":
            return empty_rejects() if columns is None else empty_rejects().select(columns)
        if entry is None:
            raise self._damaged(f"the manifest lists no `{file.name}`")
        try:
            size = file.stat().st_size
            frame = pl.read_parquet(file, columns=columns) if size == entry["bytes"] else None
        except FileNotFoundError:
            raise self._missing(file) from None
        except (OSError, pl.exceptions.PolarsError) as exc:
            raise self._damaged(f"`{file.name}` is unreadable ({exc})") from None
        if frame is None:
            raise self._damaged(
                f"`{file.name}` has {size:,} bytes, the manifest says {entry['bytes']:,}"
            )
        return self._counted(frame, table)

    def read_later(self, table: Table) -> Callable[[], pl.DataFrame]:
        """Open one table now and read it on first call (for a table a query may not need).

        The file is opened and its size checked at once, so a version pruned meanwhile
        is still read whole (an open file outlives its name); the row count is checked
        when it is read.

        Parameters
        ----------
        table
            ``creators``, ``followers`` or ``edges``.

        Returns
        -------
        Callable[[], polars.DataFrame]
            Reads the table (once; later calls return the same frame).

        Raises
        ------
        StoreError
            The file is missing or its size differs from the manifest (at once), or its
            row count differs (when read).
        """
        file = self.path / f"{table}.parquet"
        entry = self.manifest["files"].get(file.name)
        if entry is None:
            raise self._damaged(f"the manifest lists no `{file.name}`")
        try:
            handle = file.open("rb")
        except FileNotFoundError:
            raise self._missing(file) from None
        size = os.fstat(handle.fileno()).st_size
        if size != entry["bytes"]:
            handle.close()
            raise self._damaged(
                f"`{file.name}` has {size:,} bytes, the manifest says {entry['bytes']:,}"
            )

        frames: list[pl.DataFrame] = []

        def read() -> pl.DataFrame:
            if not frames:
                try:
                    frames.append(pl.read_parquet(handle))
                except (OSError, pl.exceptions.PolarsError) as exc:
                    raise self._damaged(f"`{file.name}` is unreadable ({exc})") from None
                finally:
                    handle.close()
            return self._counted(frames[0], table)

        weakref.finalize(read, handle.close)  # never read: close the file with the reader
        return read

    def scan(self, table: Table) -> pl.LazyFrame:
        """Scan one table lazily, to read only the rows and columns a query needs.

        Parameters
        ----------
        table
            ``creators``, ``followers`` or ``edges``.

        Returns
        -------
        polars.LazyFrame
            The table; filters on sorted columns (``creator`` in edges) skip whole row
            groups. Its size and row count were checked when the version was opened.
        """
        if f"{table}.parquet" not in self.manifest["files"]:
            raise self._damaged(f"the manifest lists no `{table}.parquet`")
        return pl.scan_parquet(self.path / f"{table}.parquet")

    def tables(self) -> StoreTables:
        """Read every table of this version into memory.

        Returns
        -------
        StoreTables
            The tables, sources, duplicate count and tier thresholds.
        """
        return StoreTables(
            creators=self.read("creators"),
            followers=self.read("followers"),
            edges=self.read("edges"),
            rejects=self.read("rejects"),
            sources=self.manifest["sources"],
            duplicates=self.manifest["counts"]["duplicates"],
            tier_thresholds=tuple(self.manifest["tier_thresholds"]),
            id_space=self.manifest.get("id_space", "shared"),
        )

    def _missing(self, file: Path) -> StoreError:
        """Say why a table file is gone: its version was pruned, or the version is damaged."""
        if not self.path.is_dir():
            return VersionGone(f"store `{self.root}`: {self.name} was pruned")
        return self._damaged(f"`{file.name}` is missing")

    def _counted(self, frame: pl.DataFrame, table: Table) -> pl.DataFrame:
        """Return `frame` when it has the rows the manifest records for `table`."""
        if frame.height != self.rows(table):
            raise self._damaged(
                f"`{table}.parquet` has {frame.height:,} rows, the manifest says "
                f"{self.rows(table):,}"
            )
        return frame

    def _damaged(self, what: str) -> StoreError:
        return StoreError(
            f"store `{self.root}`: {self.name} is damaged: {what}; hint: `graph-engine verify "
            f"{self.root}`, then `graph-engine restore` a good version"
        )


def open_version(store: str | os.PathLike[str], version: str | None = None) -> StoreVersion:
    """Open a version of a store (the live one by default), checking its manifest.

    Parameters
    ----------
    store
        The store directory.
    version
        A version name such as ``"v000002"`` (see `list_versions`); None for the live one.

    Returns
    -------
    StoreVersion
        The version.

    Raises
    ------
    StoreError
        The store or version is missing, its manifest is damaged, or its format version
        is not `graph_engine.schema.FORMAT_VERSION`.
    """
    root = Path(store)
    if not root.exists():
        raise StoreError(f"store `{root}` not found; hint: create it with `graph-engine ingest`")
    if version is None:
        version = live_version(root)
        if version is None and (root / MARKER).is_file():
            raise StoreError(
                f"store `{root}` has no live version (CURRENT is missing); hint: "
                f"`graph-engine restore {root} VERSION` with one of "
                f"{', '.join(list_versions(root)) or '(none)'}"
            )
        if version is None:
            raise StoreError(
                f"`{root}` is not a graph-engine store (no CURRENT file); hint: create it with "
                "`graph-engine ingest`"
            )
        if not (root / version).is_dir():  # pruned after a restore, between two reads
            raise VersionGone(f"store `{root}`: {version} was pruned")
    opened = unchecked(root, version)
    opened.check_files()
    return opened


def unchecked(root: Path, version: str) -> StoreVersion:
    """Open a version checking its manifest but not its files (`verify`, `restore`)."""
    if not VERSION_NAME.match(version) or not (root / version).is_dir():
        raise StoreError(
            f"store `{root}` has no version `{version}`; hint: `graph-engine versions {root}` "
            f"lists them{did_you_mean(version, list_versions(root))}"
        )
    return StoreVersion(root, version, read_manifest_file(root, version))


def reading(
    store: str | os.PathLike[str], read: Callable[[StoreVersion], T], version: str | None = None
) -> T:
    """Run `read` on a version; retry on the new live version if the old one was pruned.

    Parameters
    ----------
    store
        The store directory.
    read
        Reads what it needs from one version (all of it from that version).
    version
        A version name; None for the live one (then a concurrent prune is retried).

    Returns
    -------
    T
        What `read` returned.
    """
    for _ in range(READ_ATTEMPTS):
        try:
            return read(open_version(store, version))
        except VersionGone:
            if version is not None:
                raise StoreError(
                    f"store `{store}`: {version} was pruned while it was being read"
                ) from None
    raise StoreError(f"store `{store}` kept changing while it was read; hint: try again")


def read_manifest(store: str | os.PathLike[str], version: str | None = None) -> dict[str, Any]:
    """Read the manifest of a version (the live one by default; checked).

    Parameters
    ----------
    store
        The store directory.
    version
        A version name; None for the live one.

    Returns
    -------
    dict
        The manifest.
    """
    return open_version(store, version).manifest


def read_tables(store: str | os.PathLike[str], version: str | None = None) -> StoreTables:
    """Read every table of a version (the live one by default) into memory.

    Parameters
    ----------
    store
        The store directory.
    version
        A version name; None for the live one.

    Returns
    -------
    StoreTables
        The version's tables.
    """
    return reading(store, StoreVersion.tables, version)


def verify_version(version: StoreVersion) -> list[dict[str, Any]]:
    """Check each table file of a version: present, size, checksum and row count."""
    rows: list[dict[str, Any]] = []
    for table in TABLES:
        entry = version.manifest["files"].get(f"{table}.parquet")
        if entry is None:
            if table != "rejects":
                rows.append({"file": f"{table}.parquet", "status": "not listed in the manifest"})
            continue
        problem = version._file_problem(table, checksum=True)
        rows.append(
            {
                "file": f"{table}.parquet",
                "rows": version.rows(table),
                "bytes": entry["bytes"],
                "status": "ok" if problem is None else problem,
            }
        )
    return rows
