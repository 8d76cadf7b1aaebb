"""The manifest of a version: what is written, and the check of its shape on read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graph_engine import schema as s
from graph_engine._hashing import file_sha256
from graph_engine.errors import StoreError
from graph_engine.store._layout import VersionGone, crash_point, fsync_file, write_small
from graph_engine.tables import StoreTables, degree_percentiles

__all__ = [
    "EDGES_ROW_GROUP",
    "MANIFEST_KEYS",
    "manifest_problem",
    "read_manifest_file",
    "write_tables",
]

# Edges are sorted by creator: in row groups this small, a query of a few creators reads
# a few groups (their min/max statistics let every reader skip the rest).
EDGES_ROW_GROUP = 65_536
MANIFEST_KEYS: dict[str, type] = {
    "created_at": str,
    "counts": dict,
    "id_types": dict,
    "tier_thresholds": list,
    "sources": list,
    "files": dict,
}


def write_tables(tables: StoreTables, path: Path, *, parent: str | None, mode: str) -> None:
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
        groups = EDGES_ROW_GROUP if table == "edges" else None
        frame.write_parquet(file, compression="zstd", statistics=True, row_group_size=groups)
        crash_point(f"wrote-{table}")
        files[file.name] = {
            "sha256": file_sha256(file),
            "bytes": file.stat().st_size,
            "rows": frame.height,
        }
        fsync_file(file)
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
        # what `info` shows of the followers, so that it never reads them
        "following_percentiles": degree_percentiles(tables.followers[s.FOLLOWING]),
        "id_space": tables.id_space,
        "sources": tables.sources,
        "files": files,
    }
    write_small(path / "manifest.json", json.dumps(manifest, indent=2) + "\n")


def read_manifest_file(root: Path, name: str) -> dict[str, Any]:
    file = root / name / "manifest.json"
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if not (root / name).is_dir():
            raise VersionGone(f"store `{root}`: {name} was pruned") from None
        raise StoreError(f"store `{root}`: {name} has no manifest.json (damaged)") from None
    except (OSError, ValueError) as exc:
        raise StoreError(f"store `{root}`: `{name}/manifest.json` is unreadable: {exc}") from exc
    found = manifest.get("format_version") if isinstance(manifest, dict) else None
    if found != s.FORMAT_VERSION:
        raise StoreError(
            f"store `{root}`: {name} has format_version {found!r}; this graph-engine reads "
            f"version {s.FORMAT_VERSION}"
        )
    problem = manifest_problem(manifest)
    if problem:
        raise StoreError(f"store `{root}`: `{name}/manifest.json` is damaged: {problem}")
    checked: dict[str, Any] = manifest
    return checked


def manifest_problem(manifest: dict[str, Any]) -> str | None:
    """Say what is wrong with a manifest's shape (keys and types), or return None."""
    for key, kind in MANIFEST_KEYS.items():
        if not isinstance(manifest.get(key), kind):
            return f"`{key}` is missing or not a {kind.__name__}"
    counts = manifest["counts"]
    for key in ("creators", "followers", "edges", "duplicates"):
        if not isinstance(counts.get(key), int):
            return f"`counts.{key}` is missing or not an integer"
    if not isinstance(counts.get("rejected"), dict):
        return "`counts.rejected` is missing or not an object"
    for file, entry in manifest["files"].items():
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("bytes"), int)
            and isinstance(entry.get("sha256"), str)
        ):
            return f"`files.{file}` needs `bytes` and `sha256`"
    return None
