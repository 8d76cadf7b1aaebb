"""Writing a version: `commit`, `write_store` and `prune`, all under the writer lock."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from graph_engine.errors import StoreError
from graph_engine.outputs import fsync_dir
from graph_engine.store._layout import (
    LOCK_NAME,
    MARKER,
    TEMP_PREFIX,
    TRASH_PREFIX,
    WriteMode,
    as_store_error,
    check_keep,
    check_wait,
    crash_point,
    existing_store,
    is_store,
    list_versions,
    live_or_none,
    live_version,
    next_version,
    remove_temporaries,
    write_small,
    writer_lock,
)
from graph_engine.store._manifest import write_tables
from graph_engine.store._read import read_tables
from graph_engine.tables import StoreTables

__all__ = [
    "commit",
    "prune",
    "prune_locked",
    "write_store",
]


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
        The store directory (created when missing; an existing folder must be a store or
        empty).
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
        The store directory (created when missing; an existing folder must be a store or
        empty).
    build
        Called once under the lock with the live version's tables (append) or None
        (create, replace); returns the tables to commit. Nothing is written before it
        returns, so an error in `build` leaves the store as it was.
    mode
        ``"create"``, ``"append"`` or ``"replace"`` (see `write_store`).
    keep
        Prune older versions so that at most this many remain (at least 1).
    wait
        Seconds to wait for another writer to finish before failing.

    Returns
    -------
    Path
        The new version directory.

    Notes
    -----
    The lock is held from reading the live version to the switch of ``CURRENT``, so two
    concurrent appends cannot lose each other's edges. Every argument is checked before
    anything is written. On any failure the store is as it was: the temporary version is
    removed, and a store folder this call created is removed again.
    """
    check_wait(wait)
    check_keep(keep)
    root, created = _prepare(store)
    with writer_lock(root, wait):
        try:
            _check_mode(root, mode)  # fail before reading any input
            base = read_tables(root) if mode == "append" else None
            tables = build(base)
            with as_store_error(root):
                name = _commit(tables, root, mode=mode)
        except BaseException:
            if live_or_none(root) is None:
                _forget(root, created)
            raise
        if keep is not None:
            try:
                prune_locked(root, keep)
            except StoreError as exc:
                raise StoreError(f"committed {name}, but pruning failed: {exc}") from exc
    return root / name


def _prepare(store: str | os.PathLike[str]) -> tuple[Path, Path | None]:
    """Return the store folder and the topmost folder this call created (or None).

    An existing folder must be a store (it has the marker or ``CURRENT``) or empty: the
    store never writes into, or later prunes in, a folder of the user's.
    """
    root = Path(store)
    if root.exists() and not root.is_dir():
        raise StoreError(f"store `{root}` is a file, not a directory; hint: choose another path")
    if root.is_dir():
        if not is_store(root) and any(p.name != LOCK_NAME for p in root.iterdir()):
            raise StoreError(
                f"`{root}` is not empty and is not a graph-engine store; hint: choose a new "
                "or empty folder for the store"
            )
        return root, None
    missing = [p for p in (root, *root.parents) if not p.exists()]
    created: Path | None = None
    with as_store_error(root):
        for folder in reversed(missing):
            try:
                folder.mkdir()
            except FileExistsError:
                continue
            created = created or folder
    return root, created


def _forget(root: Path, created: Path | None) -> None:
    """Undo `_prepare` after a failed first commit: leave no folder or lock behind."""
    with contextlib.suppress(OSError):
        if created is not None:
            shutil.rmtree(created)
        else:
            remove_temporaries(root)
            (root / MARKER).unlink(missing_ok=True)
            (root / LOCK_NAME).unlink(missing_ok=True)


def _check_mode(root: Path, mode: WriteMode) -> str | None:
    live = live_version(root)
    if mode == "create" and live is not None:
        raise StoreError(
            f"store `{root}` already exists (live version {live}); hint: use "
            "--mode append or --mode replace"
        )
    if mode != "create" and live is None:
        raise StoreError(f"store `{root}` has no live version to {mode}; hint: --mode create")
    return live


def _commit(tables: StoreTables, root: Path, *, mode: WriteMode) -> str:
    """Write a new version and switch CURRENT to it; the caller holds the lock."""
    live = _check_mode(root, mode)
    remove_temporaries(root)
    name = f"v{next_version(root):06d}"
    tmp = root / f"{TEMP_PREFIX}{name[1:]}-{os.getpid()}"
    final = root / name
    tmp.mkdir()
    try:
        write_tables(tables, tmp, parent=live, mode=mode)
        fsync_dir(tmp)
        crash_point("tables-written")
        os.rename(tmp, final)
        fsync_dir(root)
        crash_point("version-renamed")
        if not (root / MARKER).is_file():
            write_small(root / MARKER, json.dumps({"graph_engine_store": 1}) + "\n")
        write_small(root / "CURRENT", name + "\n")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if live_or_none(root) != name:
            shutil.rmtree(final, ignore_errors=True)
        raise
    crash_point("current-switched")
    return name


def prune(store: str | os.PathLike[str], *, keep: int, wait: float = 0.0) -> list[str]:
    """Delete all but the newest `keep` versions (never the live one), atomically each.

    Parameters
    ----------
    store
        The store directory.
    keep
        How many versions remain, the live one included (at least 1).
    wait
        Seconds to wait for another writer to finish before failing.

    Returns
    -------
    list of str
        The deleted versions.
    """
    check_keep(keep)
    check_wait(wait)
    root = existing_store(store)
    with writer_lock(root, wait):
        return prune_locked(root, keep)


def prune_locked(root: Path, keep: int) -> list[str]:
    """Each doomed version is renamed aside in one step, then deleted: never half there."""
    live = live_version(root)
    versions = [v for v in list_versions(root) if v != live]
    doomed = versions[: max(0, len(versions) - (keep - 1))]
    with as_store_error(root):
        trash = []
        for name in doomed:
            trash.append(root / f"{TRASH_PREFIX}{name[1:]}-{os.getpid()}")
            os.rename(root / name, trash[-1])
        fsync_dir(root)
        crash_point("pruned-renamed")
        for folder in trash:
            shutil.rmtree(folder)
    return doomed


# ---------------------------------------------------------------------------------------
