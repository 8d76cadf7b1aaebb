"""Results as tidy polars frames and plain dicts, ready to render or write. Never prints."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from graph_engine import schema as s
from graph_engine.errors import InputError, ParameterError
from graph_engine.store import read_manifest, version_dir

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


def summarize_store(store: str | os.PathLike[str]) -> dict[str, Any]:
    """Everything `graph-engine info` shows: counts, tiers, degree percentiles, sources.

    Reads the manifest and the creators and followers tables, not the edges.
    """
    manifest = read_manifest(store)
    path = version_dir(store)
    creators = pl.read_parquet(path / "creators.parquet")
    followers = pl.read_parquet(path / "followers.parquet", columns=[s.FOLLOWING])
    counts = manifest["counts"]
    tiers = (
        creators.group_by(s.TIER)
        .agg(
            pl.len().alias("creators"),
            pl.col(s.FOLLOWERS).min().alias("min_followers"),
            pl.col(s.FOLLOWERS).median().alias("median_followers"),
            pl.col(s.FOLLOWERS).max().alias("max_followers"),
        )
        .with_columns(pl.col(s.TIER).replace_strict(list(s.TIERS), range(4)).alias("_order"))
        .sort("_order")
        .drop("_order")
    )
    degrees = pl.DataFrame(
        [
            {"of": "followers per creator", **degree_percentiles(creators[s.FOLLOWERS])},
            {"of": "creators per follower", **degree_percentiles(followers[s.FOLLOWING])},
        ]
    )
    sources = pl.DataFrame(
        [
            {
                "path": src["path"],
                "format": src["format"],
                "rows_read": src["rows_read"],
                "rows_kept": src["rows_kept"],
                "rejected": sum(src["rows_rejected"].values()),
                "sha256": src["sha256"][:12],
            }
            for src in manifest["sources"]
        ]
    )
    return {
        "store": str(store),
        "version": path.name,
        "created_at": manifest["created_at"],
        "creators": counts["creators"],
        "followers": counts["followers"],
        "edges": counts["edges"],
        "duplicates": counts["duplicates"],
        "rejected": counts["rejected"],
        "creator_id_type": manifest["id_types"][s.CREATOR_ID],
        "metadata_columns": [
            c for c in creators.columns if c not in (s.CREATOR, s.CREATOR_ID, s.FOLLOWERS, s.TIER)
        ],
        "tiers": tiers,
        "degrees": degrees,
        "sources": sources,
    }


def write_frames(
    frames: Iterable[pl.DataFrame], path: str | os.PathLike[str], *, empty: pl.DataFrame
) -> int:
    """Write frames (blocks of one table) to a file as they come; returns the row count.

    The format comes from the extension: ``.parquet`` and ``.csv`` and ``.jsonl`` stream
    block by block (memory holds one block); ``.json`` (an array of row objects) collects
    the rows first. `empty` gives the schema when there are no blocks. The file appears
    complete or not at all: it is written beside the target and renamed into place.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".parquet", ".csv", ".jsonl", ".json"):
        raise ParameterError(
            f"cannot write `{target}`: unknown extension `{suffix or '(none)'}`; hint: use "
            ".parquet, .csv, .jsonl or .json"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    rows = 0
    try:
        if suffix == ".json":
            frame = pl.concat([empty, *frames], how="vertical_relaxed")
            tmp.write_text(json.dumps(frame.to_dicts(), default=str) + "\n")
            rows = frame.height
        elif suffix == ".parquet":
            writer: pq.ParquetWriter | None = None
            for frame in frames:
                table = frame.to_arrow()
                writer = writer or pq.ParquetWriter(tmp, table.schema, compression="zstd")
                writer.write_table(table)
                rows += frame.height
            if writer is None:
                empty.write_parquet(tmp)
            else:
                writer.close()
        else:
            with tmp.open("wb") as fh:
                first = True
                for frame in frames:
                    if suffix == ".csv":
                        frame.write_csv(fh, include_header=first)
                    else:
                        frame.write_ndjson(fh)
                    first, rows = False, rows + frame.height
                if first and suffix == ".csv":
                    empty.write_csv(fh)
        os.replace(tmp, target)
    except OSError as exc:
        raise InputError(f"cannot write `{target}`: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return rows
