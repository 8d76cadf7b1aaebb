"""The on-disk store: versioned Parquet tables, a manifest, and atomic commits.

Layout (see README, "Store format")::

    STORE/CURRENT            name of the live version directory
    STORE/v000001/           manifest.json, creators/followers/edges[/rejects].parquet

A write builds the new version in a hidden temporary directory, fsyncs it, renames it to
its final name, and only then replaces ``CURRENT`` with an atomic rename. A crash or an
error at any point leaves the previous version live and unchanged.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import shutil
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import polars as pl

from graph_engine import schema as s
from graph_engine._hashing import file_sha256
from graph_engine.errors import ParameterError, StoreError
from graph_engine.outputs import atomic_path, fsync_dir
from graph_engine.tables import StoreTables, empty_rejects

__all__ = [
    "TABLES",
    "StoreVersion",
    "WriteMode",
    "commit",
    "current_version",
    "list_versions",
    "open_version",
    "prune",
    "read_manifest",
    "read_tables",
    "write_store",
]

WriteMode = Literal["create", "append", "replace"]
Table = Literal["creators", "followers", "edges", "rejects"]
TABLES: tuple[Table, ...] = ("creators", "followers", "edges", "rejects")

_VERSION = re.compile(r"^v(\d{6})$")
_TEMP_VERSION = ".tmp-v"  # prefix of a version being written: .tmp-v000002-<pid>


def write_store(
    tables: StoreTables,
    store: str | os.PathLike[str],
    *,
    mode: WriteMode = "create",
    keep: int | None = None,
    wait: float = 0.0,
) -> Path:
    """Commit `tables` as a new version of `store` and make it live.

    Parameters
    ----------
    tables
        The tables of the new version (`graph_engine.ingest` builds them).
    store
        The store directory (created when missing).
    mode
        ``"create"`` fails if the store already has a live version; ``"replace"`` and
        ``"append"`` add a new version (for append, build `tables` with
        ``ingest(..., base=read_tables(store))``, or use `graph_engine.ingest_into_store`).
    keep
        Prune older versions so that at most this many remain (the live one included).
    wait
        Seconds to wait for another writer to finish (like SQLite's busy timeout).

    Returns
    -------
    Path
        The new version directory.
    """
    return commit(store, lambda _: tables, mode=mode, keep=keep, wait=wait)


def commit(
    store: str | os.PathLike[str],
    build: Callable[[StoreTables | None], StoreTables],
    *,
    mode: WriteMode = "create",
    keep: int | None = None,
    wait: float = 0.0,
) -> Path:
    """Build a new version under the writer lock and make it live.

    Parameters
    ----------
    store
        The store directory (created when missing).
    build
        Called once under the lock with the live version's tables (append) or None
        (create, replace); returns the tables to commit. Nothing is written before it
        returns, so an error in `build` leaves the store as it was.
    mode
        ``"create"``, ``"append"`` or ``"replace"`` (see `write_store`).
    keep
        Prune older versions so that at most this many remain.
    wait
        Seconds to wait for another writer to finish before failing.

    Returns
    -------
    Path
        The new version directory.

    Notes
    -----
    The lock is held from reading the live version to the switch of ``CURRENT``, so two
    concurrent appends cannot lose each other's edges: a second writer fails at once with
    a clear error instead of interleaving.
    """
    if not (math.isfinite(wait) and wait >= 0):  # filelock waits forever on a negative one
        raise ParameterError(f"`wait` must be a finite number of seconds >= 0, got {wait}")
    root = _prepare(store)
    with _lock(root, wait):
        _check_mode(root, mode)  # fail before reading any input
        base = read_tables(root) if mode == "append" else None
        return _commit(build(base), root, mode=mode, keep=keep)


def _prepare(store: str | os.PathLike[str]) -> Path:
    root = Path(store)
    if root.exists() and not root.is_dir():
        raise StoreError(f"store `{root}` is a file, not a directory; hint: choose another path")
    root.mkdir(parents=True, exist_ok=True)
    return root


def _check_mode(root: Path, mode: WriteMode) -> str | None:
    live = _live_version(root)
    if mode == "create" and live is not None:
        raise StoreError(
            f"store `{root}` already exists (live version {live}); hint: use "
            "--mode append or --mode replace"
        )
    if mode != "create" and live is None:
        raise StoreError(f"store `{root}` has no live version to {mode}; hint: --mode create")
    return live


def _commit(tables: StoreTables, root: Path, *, mode: WriteMode, keep: int | None) -> Path:
    """Write a new version and switch CURRENT to it; the caller holds the lock."""
    live = _check_mode(root, mode)
    _remove_temporaries(root)
    name = f"v{_next_version(root):06d}"
    tmp = root / f"{_TEMP_VERSION}{name[1:]}-{os.getpid()}"
    tmp.mkdir()
    _write_tables(tables, tmp, parent=live, mode=mode)
    fsync_dir(tmp)
    _crash_point("tables-written")
    os.rename(tmp, root / name)
    fsync_dir(root)
    _crash_point("version-renamed")
    _write_small(root / "CURRENT", name + "\n")
    _crash_point("current-switched")
    if keep is not None:
        prune(root, keep=keep, _locked=True)
    return root / name


def current_version(store: str | os.PathLike[str]) -> str | None:
    """Return the name of the live version directory, or None when the store has none.

    Parameters
    ----------
    store
        The store directory.

    Returns
    -------
    str or None
        For example ``"v000003"``.
    """
    root = Path(store)
    return _live_version(root) if root.is_dir() else None


@dataclass(frozen=True)
class StoreVersion:
    """One committed version of a store: its folder and its (checked) manifest.

    The only reader of a store's files: every table is read through `read`, after the
    manifest's format version was checked by `open_version`.
    """

    root: Path
    name: str
    manifest: dict[str, Any]

    @property
    def path(self) -> Path:
        """The version's folder."""
        return self.root / self.name

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
        """
        file = self.path / f"{table}.parquet"
        if not file.is_file():
            if table == "rejects":
                return empty_rejects() if columns is None else empty_rejects().select(columns)
            raise StoreError(f"store `{self.root}`: `{file.name}` is missing from {self.name}")
        return pl.read_parquet(file, columns=columns)

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


def open_version(store: str | os.PathLike[str]) -> StoreVersion:
    """Open the live version of a store, checking that this engine can read it.

    Parameters
    ----------
    store
        The store directory.

    Returns
    -------
    StoreVersion
        The live version.

    Raises
    ------
    StoreError
        The store is missing, has no live version, or its format version is not
        `graph_engine.schema.FORMAT_VERSION`.
    """
    root = Path(store)
    if not root.exists():
        raise StoreError(f"store `{root}` not found; hint: create it with `graph-engine ingest`")
    name = _live_version(root)
    if name is None:
        raise StoreError(
            f"`{root}` is not a graph-engine store (no CURRENT file); hint: create it with "
            "`graph-engine ingest`"
        )
    file = root / name / "manifest.json"
    if not file.is_file():
        raise StoreError(f"store `{root}`: live version `{name}` has no manifest.json (damaged)")
    try:
        manifest = json.loads(file.read_text())
    except (OSError, ValueError) as exc:
        raise StoreError(f"store `{root}`: `{name}/manifest.json` is unreadable: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format_version") != s.FORMAT_VERSION:
        found = manifest.get("format_version") if isinstance(manifest, dict) else None
        raise StoreError(
            f"store `{root}` has format_version {found!r}; this graph-engine reads version "
            f"{s.FORMAT_VERSION}"
        )
    return StoreVersion(root, name, manifest)


def read_manifest(store: str | os.PathLike[str]) -> dict[str, Any]:
    """Read the manifest of the live version (format version checked).

    Parameters
    ----------
    store
        The store directory.

    Returns
    -------
    dict
        The manifest.
    """
    return open_version(store).manifest


def read_tables(store: str | os.PathLike[str]) -> StoreTables:
    """Read every table of the live version into memory.

    Parameters
    ----------
    store
        The store directory.

    Returns
    -------
    StoreTables
        The live version's tables.
    """
    return open_version(store).tables()


def list_versions(store: str | os.PathLike[str]) -> list[str]:
    """List the committed version directories, oldest first.

    Parameters
    ----------
    store
        The store directory.

    Returns
    -------
    list of str
        Version names.
    """
    root = Path(store)
    return sorted(p.name for p in root.iterdir() if p.is_dir() and _VERSION.match(p.name))


def prune(store: str | os.PathLike[str], *, keep: int, _locked: bool = False) -> list[str]:
    """Delete all but the newest `keep` versions (never the live one).

    Parameters
    ----------
    store
        The store directory.
    keep
        How many versions remain, the live one included (at least 1).
    _locked
        The caller already holds the writer lock.

    Returns
    -------
    list of str
        The deleted versions.
    """
    if keep < 1:
        raise StoreError(f"`keep` must be at least 1, got {keep}")
    root = Path(store)
    ctx = contextlib.nullcontext() if _locked else _lock(root)
    with ctx:
        live = _live_version(root)
        versions = [v for v in list_versions(root) if v != live]
        doomed = versions[: max(0, len(versions) - (keep - 1))]
        for name in doomed:
            shutil.rmtree(root / name)
    return doomed


# ---------------------------------------------------------------------------------------


def _write_tables(tables: StoreTables, path: Path, *, parent: str | None, mode: str) -> None:
    files: dict[str, dict[str, Any]] = {}
    frames = {
        "creators": tables.creators,
        "followers": tables.followers,
        "edges": tables.edges,
    }
    if tables.rejects.height:
        frames["rejects"] = tables.rejects
    for table, frame in frames.items():
        file = path / f"{table}.parquet"
        frame.write_parquet(file, compression="zstd", statistics=True)
        _crash_point(f"wrote-{table}")
        files[file.name] = {"sha256": file_sha256(file), "bytes": file.stat().st_size}
        _fsync_file(file)
    manifest = {
        "format_version": s.FORMAT_VERSION,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "parent": parent,
        "mode": mode,
        "counts": {
            "creators": tables.creators.height,
            "followers": tables.followers.height,
            "edges": tables.edges.height,
            "duplicates": tables.duplicates,
            "rejected": tables.rejected,
        },
        "id_types": {
            s.CREATOR_ID: str(tables.creators.schema[s.CREATOR_ID]),
            s.FOLLOWER_ID: str(tables.followers.schema[s.FOLLOWER_ID]),
        },
        "tier_thresholds": list(tables.tier_thresholds),
        "id_space": tables.id_space,
        "sources": tables.sources,
        "files": files,
    }
    _write_small(path / "manifest.json", json.dumps(manifest, indent=2) + "\n")


def _crash_point(name: str) -> None:
    """Kill this process at the named step when GRAPH_ENGINE_CRASH_AT names it (crash tests).

    A no-op otherwise.
    """
    if os.environ.get("GRAPH_ENGINE_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _live_version(root: Path) -> str | None:
    current = root / "CURRENT"
    if not current.is_file():
        return None
    name = current.read_text().strip()
    if not _VERSION.match(name) or not (root / name).is_dir():
        raise StoreError(f"store `{root}`: CURRENT names `{name}`, which is not a version here")
    return name


def _next_version(root: Path) -> int:
    numbers = [int(m.group(1)) for p in root.iterdir() if (m := _VERSION.match(p.name))]
    return max(numbers, default=0) + 1


def _remove_temporaries(root: Path) -> None:
    """Leftovers of this store's own writes that crashed; safe to delete under the lock."""
    for tmp in root.glob(f"{_TEMP_VERSION}*"):
        if tmp.is_dir() and _VERSION.match(tmp.name[len(".tmp-") :].split("-")[0]):
            shutil.rmtree(tmp, ignore_errors=True)
    for tmp in root.glob(".CURRENT.tmp-*"):
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def _lock(root: Path, wait: float = 0.0) -> Iterator[None]:
    """Hold the store's writer lock (a portable file lock), waiting up to `wait` seconds."""
    from filelock import FileLock, Timeout

    lock = FileLock(root / ".lock", timeout=wait)
    try:
        lock.acquire()
    except Timeout as exc:
        raise StoreError(
            f"store `{root}` is being written by another process; hint: wait for it"
            + (" or pass a larger --wait" if wait else " (--wait SECONDS waits for it)")
        ) from exc
    try:
        yield
    finally:
        lock.release()


def _write_small(path: Path, text: str) -> None:
    """Write a manifest or CURRENT atomically (`atomic_path`), with a crash point inside."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)
        _crash_point(f"writing-{path.name}")


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
