"""Results as tidy polars frames and plain dicts, ready to render or write. Never prints."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow.parquet as pq

from graph_engine import schema as s
from graph_engine.errors import InputError, ParameterError
from graph_engine.store import read_manifest, version_dir

if TYPE_CHECKING:
    from graph_engine.communities import Communities
    from graph_engine.graph import AudienceGraph
    from graph_engine.selection import Selection

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


def to_jsonable(value: Any) -> Any:
    """Plain JSON values: frames become lists of row objects, paths strings, and NaN or
    infinity null (JSON has no such numbers; `json.dumps` would write invalid JSON)."""
    if isinstance(value, pl.DataFrame):
        return [to_jsonable(row) for row in value.to_dicts()]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


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


# ---------------------------------------------------------------------------------------
# plots (matplotlib's object API: no global pyplot state, nothing shown)


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=110, layout="constrained")


def _save(fig: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, metadata={"Software": None})  # no version stamp: same plot, same bytes
    return path


def plot_overlap_matrix(
    graph: AudienceGraph,
    creators: list[Any],
    path: str | os.PathLike[str],
    *,
    membership: pl.DataFrame | None = None,
    highlight: list[Any] | None = None,
) -> Path:
    """Heat map of pairwise Jaccard overlap, creators ordered by community then size.

    Highlighted creators (e.g. the selection) are marked with a `*`.
    """
    import numpy as np

    idx = graph.creator_index(creators)
    community = np.zeros(idx.size, dtype=np.int64)
    if membership is not None:
        lookup = dict(
            zip(membership[s.CREATOR_ID].to_list(), membership["community"].to_list(), strict=True)
        )
        community = np.array([lookup.get(c, -1) for c in graph.creator_ids(idx).to_list()])
    order = np.lexsort((-graph.degrees[idx], community))
    idx, community = idx[order], community[order]
    sub = graph.matrix[idx]
    shared = (sub @ sub.T).toarray().astype(np.float64)
    size = np.diag(shared)
    with np.errstate(divide="ignore", invalid="ignore"):
        jaccard = np.nan_to_num(shared / (size[:, None] + size[None, :] - shared))
    marked = {str(h) for h in highlight or []}
    labels = [f"{'*' if str(c) in marked else ''}{c}" for c in graph.creator_ids(idx).to_list()]
    fig = _figure(max(6.0, 0.28 * len(idx) + 2), max(5.0, 0.28 * len(idx) + 1.5))
    ax = fig.add_subplot()
    np.fill_diagonal(jaccard, np.nan)  # a creator with itself would set the scale
    peak = float(np.nanmax(jaccard)) if len(idx) > 1 else 1.0
    image = ax.imshow(jaccard, cmap="viridis", vmin=0, vmax=max(peak, 1e-9))
    ax.set_xticks(range(len(idx)), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(idx)), labels, fontsize=7)
    for edge in np.flatnonzero(np.diff(community)) + 0.5:
        ax.axhline(edge, color="white", lw=1)
        ax.axvline(edge, color="white", lw=1)
    ax.set_title("Audience overlap (Jaccard), ordered by community; * = selected")
    fig.colorbar(image, ax=ax, shrink=0.8, label="Jaccard")
    return _save(fig, Path(path))


def plot_reach_curve(selection: Selection, path: str | os.PathLike[str]) -> Path:
    """Reach vs number of creators and vs spend, with the upper bound on the optimum."""
    picks = selection.picks
    fig = _figure(10, 4)
    for ax, x, label in (
        (fig.add_subplot(1, 2, 1), [0, *picks["rank"].to_list()], "creators picked"),
        (fig.add_subplot(1, 2, 2), [0.0, *picks["total_cost"].to_list()], "spend ($)"),
    ):
        ax.step(x, [0.0, *picks["reach"].to_list()], where="post", label="reach (selection)")
        ax.axhline(
            selection.upper_bound,
            color="tab:red",
            ls="--",
            label=f"upper bound on optimum ({selection.upper_bound:,.0f})",
        )
        ax.axhline(
            selection.eligible_reach,
            color="grey",
            ls=":",
            label=f"eligible audience ({selection.eligible_reach:,.0f})",
        )
        ax.set_xlabel(label)
        ax.set_ylabel("unique followers reached")
        ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.suptitle(selection.summary(), fontsize=8)
    return _save(fig, Path(path))


def plot_community_sizes(found: Communities, path: str | os.PathLike[str]) -> Path:
    """Creators per community (bars) and unique audience (labels), largest first."""
    summary = found.summary
    fig = _figure(max(6.0, 0.35 * summary.height + 2), 4)
    ax = fig.add_subplot()
    ax.bar(summary["community"].to_list(), summary["size"].to_list(), color="tab:blue")
    ax.set_xticks(summary["community"].to_list())
    niches = (
        summary["dominant_niche"].to_list()
        if "dominant_niche" in summary.columns
        else [None] * summary.height
    )
    for (x, y, audience), niche in zip(
        summary.select("community", "size", "unique_audience").iter_rows(), niches, strict=True
    ):
        label = f"{audience:,} followers" + (f" · {niche}" if niche else "")
        ax.annotate(
            label, (x, y / 2), ha="center", va="center", fontsize=7, rotation=90, color="white"
        )
    ax.set_xlabel("community")
    ax.set_ylabel("creators")
    ax.set_title(
        f"{found.n_communities} communities ({found.method}), modularity {found.modularity:.3f}"
    )
    return _save(fig, Path(path))
