"""The store folder's names and small mechanics.

Version names, the marker, the writer lock, crash points, atomic small files and the
live version.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import polars as pl

from graph_engine.errors import InputError, ParameterError, StoreError
from graph_engine.outputs import atomic_path
from graph_engine.vocab import WriteMode

__all__ = [
    "LOCK_NAME",
    "MARKER",
    "SHOWN",
    "TABLES",
    "TEMP_PREFIX",
    "TRASH_PREFIX",
    "VERSION_NAME",
    "Table",
    "VersionGone",
    "WriteMode",
    "as_store_error",
    "check_keep",
    "check_wait",
    "crash_point",
    "current_version",
    "existing_store",
    "fsync_file",
    "is_own_version",
    "is_store",
    "list_versions",
    "live_or_none",
    "live_version",
    "next_version",
    "remove_temporaries",
    "short",
    "write_small",
    "writer_lock",
]

Table = Literal["creators", "followers", "edges", "rejects"]
TABLES: tuple[Table, ...] = ("creators", "followers", "edges", "rejects")

VERSION_NAME = re.compile(r"^v(\d{6})$")
TEMP_PREFIX = ".tmp-v"  # prefix of a version being written: .tmp-v000002-<pid>
TRASH_PREFIX = ".trash-v"  # prefix of a version being pruned: .trash-v000001-<pid>
MARKER = ".graph-engine-store"
LOCK_NAME = ".lock"
SHOWN = 40  # longest piece of a damaged file quoted in an error


def short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SHOWN * 2 else text[: SHOWN * 2] + "..."


def crash_point(name: str) -> None:
    """Kill this process at the named step when GRAPH_ENGINE_CRASH_AT names it (crash tests).

    A no-op otherwise.
    """
    if os.environ.get("GRAPH_ENGINE_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def is_store(root: Path) -> bool:
    return (root / MARKER).is_file() or (root / "CURRENT").is_file()


def is_own_version(path: Path) -> bool:
    return bool(VERSION_NAME.match(path.name)) and (path / "manifest.json").is_file()


def existing_store(store: str | os.PathLike[str]) -> Path:
    root = Path(store)
    if not root.is_dir() or not is_store(root):
        raise StoreError(
            f"`{root}` is not a graph-engine store; hint: create it with `graph-engine ingest`"
        )
    return root


def live_version(root: Path) -> str | None:
    current = root / "CURRENT"
    try:
        name = current.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise StoreError(f"store `{root}`: CURRENT is unreadable: {exc}") from exc
    if VERSION_NAME.match(name) and (root / name).is_dir() and not is_own_version(root / name):
        raise StoreError(
            f"store `{root}`: CURRENT names `{name}`, whose manifest.json is missing "
            f"(damaged); hint: `graph-engine verify {root}`"
        )
    if not VERSION_NAME.match(name) or not is_own_version(root / name):
        shown = short(name)
        raise StoreError(
            f"store `{root}`: CURRENT names `{shown}`, which is not a version here (damaged); "
            f"hint: `graph-engine restore {root} VERSION` with one of "
            f"{', '.join(list_versions(root)) or '(none)'}"
        )
    return name


def live_or_none(root: Path) -> str | None:
    try:
        return live_version(root)
    except StoreError:
        return None


def next_version(root: Path) -> int:
    names = [p.name.removeprefix(".tmp-").removeprefix(".trash-") for p in root.iterdir()]
    numbers = [int(m.group(1)) for n in names if (m := VERSION_NAME.match(n[:7]))]
    return max(numbers, default=0) + 1


def remove_temporaries(root: Path) -> None:
    """Leftovers of this store's own writes and prunes that crashed; the lock is held."""
    for prefix in (TEMP_PREFIX, TRASH_PREFIX):
        for tmp in root.glob(f"{prefix}*"):
            if tmp.is_dir() and re.fullmatch(r"\d{6}-\d+", tmp.name[len(prefix) :]):
                shutil.rmtree(tmp, ignore_errors=True)
    for tmp in root.glob(".CURRENT.tmp-*"):
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def as_store_error(root: Path) -> Iterator[None]:
    """OS errors (disk full, read-only, permissions) become one `StoreError` line."""
    try:
        yield
    except StoreError:
        raise
    except (OSError, InputError, pl.exceptions.PolarsError) as exc:
        what = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise StoreError(f"store `{root}`: cannot write: {what}; nothing was changed") from exc


@contextlib.contextmanager
def writer_lock(root: Path, wait: float = 0.0) -> Iterator[None]:
    """Hold the store's writer lock (a portable file lock), waiting up to `wait` seconds."""
    from filelock import FileLock, Timeout

    lock = FileLock(root / LOCK_NAME, timeout=wait)
    try:
        lock.acquire()
    except Timeout as exc:
        raise StoreError(
            f"store `{root}` is being written by another process; hint: wait for it"
            + (" or pass a larger --wait" if wait else " (--wait SECONDS waits for it)")
        ) from exc
    except OSError as exc:
        raise StoreError(
            f"store `{root}` cannot be locked for writing: {exc.strerror or exc}; hint: is it "
            "read-only?"
        ) from exc
    try:
        yield
    finally:
        lock.release()


def write_small(path: Path, text: str) -> None:
    """Write a manifest or CURRENT atomically (`atomic_path`), with a crash point inside."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
        crash_point(f"writing-{path.name}")


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def check_wait(wait: float) -> None:
    if not (math.isfinite(wait) and wait >= 0):  # filelock waits forever on a negative one
        raise ParameterError(f"`wait` must be a finite number of seconds >= 0, got {wait}")


def check_keep(keep: int | None) -> None:
    if keep is not None and keep < 1:
        raise ParameterError(f"`keep` must be at least 1 (the live version), got {keep}")


def list_versions(store: str | os.PathLike[str]) -> list[str]:
    """List the store's own committed versions, oldest first.

    Parameters
    ----------
    store
        The store directory.

    Returns
    -------
    list of str
        Version names: folders named ``vNNNNNN`` that hold a store manifest. A folder of
        the user's that merely looks like one is not listed (and never pruned).
    """
    root = Path(store)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if is_own_version(p))


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
    return live_version(root) if root.is_dir() else None


class VersionGone(StoreError):
    """The version being read was pruned meanwhile (the reader retries on the live one)."""
