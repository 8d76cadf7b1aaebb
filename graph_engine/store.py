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
import fcntl
import json
import os
import re
import shutil
import signal
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import polars as pl

from graph_engine import schema as s
from graph_engine.errors import StoreError
from graph_engine.ingest import StoreTables, empty_rejects, file_sha256, ingest

WriteMode = Literal["create", "append", "replace"]

_VERSION = re.compile(r"^v(\d{6})$")
_TABLES = ("creators", "followers", "edges", "rejects")


def write_store(
    tables: StoreTables,
    store: str | os.PathLike[str],
    *,
    mode: WriteMode = "create",
    keep: int | None = None,
) -> Path:
    """Commit `tables` as a new version of `store` and make it live.

    Parameters
    ----------
    mode
        ``"create"`` fails if the store already has a live version; ``"replace"`` and
        ``"append"`` add a new version (for append, build `tables` with
        ``ingest(..., base=read_tables(store))`` or use `ingest_into_store`).
    keep
        Prune older versions so that at most this many remain (the live one included).

    Returns
    -------
    Path
        The new version directory.
    """
    root = _prepare(store)
    with _lock(root):
        return _commit(tables, root, mode=mode, keep=keep)


def ingest_into_store(
    sources: list[str | os.PathLike[str]],
    store: str | os.PathLike[str],
    *,
    mode: WriteMode = "create",
    keep: int | None = None,
    **options: Any,
) -> Path:
    """`ingest` the sources and commit them as a new version of `store`.

    The writer lock is held from reading the live version (append) to the commit, so two
    concurrent appends cannot lose each other's edges: a second writer fails at once with
    a clear error instead of interleaving.
    """
    root = _prepare(store)
    with _lock(root):
        _check_mode(root, mode)  # fail before reading any input
        base = read_tables(root) if mode == "append" else None
        tables = ingest(sources, base=base, **options)
        return _commit(tables, root, mode=mode, keep=keep)


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
    tmp = root / f".tmp-{name}-{os.getpid()}"
    tmp.mkdir()
    _write_tables(tables, tmp, parent=live, mode=mode)
    _fsync_dir(tmp)
    _crash_point("tables-written")
    os.rename(tmp, root / name)
    _fsync_dir(root)
    _crash_point("version-renamed")
    _atomic_write_text(root / "CURRENT", name + "\n")
    _crash_point("current-switched")
    if keep is not None:
        prune(root, keep=keep, _locked=True)
    return root / name


def current_version(store: str | os.PathLike[str]) -> str | None:
    """Name of the live version directory, or None when the store has none."""
    root = Path(store)
    return _live_version(root) if root.is_dir() else None


def version_dir(store: str | os.PathLike[str]) -> Path:
    """The live version directory; `StoreError` when there is none."""
    root = Path(store)
    if not root.exists():
        raise StoreError(f"store `{root}` not found; hint: create it with `graph-engine ingest`")
    name = _live_version(root)
    if name is None:
        raise StoreError(
            f"`{root}` is not a graph-engine store (no CURRENT file); hint: create it with "
            "`graph-engine ingest`"
        )
    path = root / name
    if not (path / "manifest.json").is_file():
        raise StoreError(f"store `{root}`: live version `{name}` has no manifest.json (damaged)")
    return path


def read_manifest(store: str | os.PathLike[str]) -> dict[str, Any]:
    """The manifest of the live version."""
    manifest: dict[str, Any] = json.loads((version_dir(store) / "manifest.json").read_text())
    if manifest.get("format_version") != s.FORMAT_VERSION:
        raise StoreError(
            f"store `{store}` has format_version {manifest.get('format_version')!r}; this "
            f"graph-engine reads version {s.FORMAT_VERSION}"
        )
    return manifest


def read_tables(store: str | os.PathLike[str]) -> StoreTables:
    """Every table of the live version, in memory."""
    manifest = read_manifest(store)
    path = version_dir(store)
    frames: dict[str, pl.DataFrame] = {}
    for table in _TABLES:
        file = path / f"{table}.parquet"
        if file.is_file():
            frames[table] = pl.read_parquet(file)
        elif table != "rejects":
            raise StoreError(f"store `{store}`: `{file.name}` is missing from {path.name}")
    rejects = frames.get("rejects", empty_rejects())
    return StoreTables(
        creators=frames["creators"],
        followers=frames["followers"],
        edges=frames["edges"],
        rejects=rejects,
        sources=manifest["sources"],
        duplicates=manifest["counts"]["duplicates"],
        tier_thresholds=tuple(manifest["tier_thresholds"]),
    )


def list_versions(store: str | os.PathLike[str]) -> list[str]:
    """Committed version directories, oldest first."""
    root = Path(store)
    return sorted(p.name for p in root.iterdir() if p.is_dir() and _VERSION.match(p.name))


def prune(store: str | os.PathLike[str], *, keep: int, _locked: bool = False) -> list[str]:
    """Delete all but the newest `keep` versions (never the live one). Returns the deleted."""
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
        "sources": tables.sources,
        "files": files,
    }
    _atomic_write_text(path / "manifest.json", json.dumps(manifest, indent=2) + "\n")


def _crash_point(name: str) -> None:
    """Fault injection for the crash tests: SIGKILL this process at the named step when
    GRAPH_ENGINE_CRASH_AT names it. A no-op otherwise."""
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
    """Leftovers of writes that crashed; safe to delete since we hold the lock."""
    for tmp in root.glob(".tmp-*"):
        shutil.rmtree(tmp, ignore_errors=True) if tmp.is_dir() else tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def _lock(root: Path) -> Iterator[None]:
    with (root / ".lock").open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise StoreError(
                f"store `{root}` is being written by another process; hint: wait for it"
            ) from exc
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".tmp-{path.name}-{os.getpid()}")
    with tmp.open("w") as fh:
        fh.write(text)
        _crash_point(f"writing-{path.name}")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
