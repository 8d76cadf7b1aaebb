"""Readers of input files: edge lists and creators metadata, validated and normalised.

Each edge file becomes a frame of original ``creator_id`` / ``follower_id`` values plus a
frame of rejected rows (`EdgeBatch`); a creators file becomes one checked row per creator.
Nothing here builds store tables (`graph_engine.tables`) or touches a store.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import polars as pl

from graph_engine import schema as s
from graph_engine._hashing import file_sha256
from graph_engine.errors import InputError, SchemaError, did_you_mean
from graph_engine.tables import count_rejects, empty_rejects

__all__ = [
    "Direction",
    "EdgeBatch",
    "EdgeFormat",
    "Source",
    "detect_format",
    "narrow_ids",
    "read_creators",
    "read_edges",
]

EdgeFormat = Literal["auto", "csv", "parquet", "jsonl", "snap"]
Direction = Literal["follower-creator", "creator-follower"]

_SNAP_LINE = r"^\s*(\S+)\s+(\S+)\s*$"


@dataclass(frozen=True)
class Source:
    """What one input file contributed: counts by outcome and a content hash."""

    path: str
    format: str
    sha256: str
    bytes: int
    rows_read: int
    rows_kept: int
    rejected: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        """Return the manifest entry of this source.

        Returns
        -------
        dict
            path, format, sha256, bytes, rows_read, rows_kept, rows_rejected (by reason).
        """
        return {
            "path": self.path,
            "format": self.format,
            "sha256": self.sha256,
            "bytes": self.bytes,
            "rows_read": self.rows_read,
            "rows_kept": self.rows_kept,
            "rows_rejected": self.rejected,
        }


@dataclass(frozen=True)
class EdgeBatch:
    """Valid edges of one file in original ids (duplicates still in), and its rejects."""

    edges: pl.DataFrame
    rejects: pl.DataFrame
    source: Source


# ---------------------------------------------------------------------------------------
# reading one file


def detect_format(path: Path) -> EdgeFormat:
    """Guess a file's format from its name (``.gz`` is looked through)."""
    name = path.name.lower().removesuffix(".gz")
    suffix = Path(name).suffix
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".tsv"):
        return "csv"
    return "snap"


def read_edges(
    path: str | os.PathLike[str],
    *,
    format: EdgeFormat = "auto",
    creator_column: str = s.CREATOR_ID,
    follower_column: str = s.FOLLOWER_ID,
    direction: Direction = "follower-creator",
    separator: str | None = None,
) -> EdgeBatch:
    """Read one edge file into original-id edges and rejected rows.

    Parameters
    ----------
    path
        A CSV/TSV file with a header (any one-character delimiter), Parquet, JSON lines,
        or a SNAP-style edge list; text formats may be gzip-compressed (``.gz``).
    format
        ``"auto"`` picks from the file name: ``.parquet``, ``.jsonl``/``.ndjson``,
        ``.csv``/``.tsv``, anything else is a SNAP edge list.
    creator_column, follower_column
        Column names holding the creator and the follower (CSV, Parquet, JSON lines).
    direction
        For SNAP edge lists only: ``"follower-creator"`` reads ``a b`` as "a follows b"
        (b is the creator), as SNAP's follow graphs do; ``"creator-follower"`` the reverse.
    separator
        CSV delimiter; sniffed from the header line when not given.

    Notes
    -----
    Rows with a missing or empty id are rejected as ``missing_id``, SNAP or JSON lines that
    do not parse as ``unparsable``, and rows where creator and follower are the same id as
    ``self_follow``. Ids become int64 when every id of the column is a canonical integer,
    else strings. Duplicates are kept here; `build_tables` drops them.
    """
    p = Path(path)
    if not p.is_file():
        hint = "check the path" if not p.exists() else "it is a directory, not a file"
        raise InputError(f"input file `{p}` not found ({hint})")
    fmt = detect_format(p) if format == "auto" else format
    _check_gzip(p)
    try:
        if fmt == "parquet":
            raw = _read_parquet(p, creator_column, follower_column)
        elif fmt == "csv":
            raw = _read_csv(p, creator_column, follower_column, separator)
        elif fmt == "jsonl":
            raw = _read_jsonl(p, creator_column, follower_column)
        else:
            raw = _read_snap(p, direction)
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot read `{p}` as {fmt}: {_first_line(exc)}; hint: check the file is "
            f"{fmt}{' (use --format to say which)' if format == 'auto' else ''} and not truncated"
        ) from exc
    # rows of a CSV start on line 2 (after the header); Parquet rows are numbered from 1
    return _validate(raw, p, fmt, first_line=2 if fmt == "csv" else 1)


def _check_gzip(p: Path) -> None:
    with p.open("rb") as fh:
        magic = fh.read(2)
    if p.suffix.lower() == ".gz" or magic == b"\x1f\x8b":
        try:
            with gzip.open(p, "rb") as fh:
                while fh.read(1 << 24):
                    pass
        except (OSError, EOFError) as exc:
            raise InputError(
                f"`{p}` is not a readable gzip file ({exc}); hint: the file may be truncated "
                "or not compressed at all (drop the .gz suffix)"
            ) from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _require_columns(p: Path, present: Sequence[str], wanted: Sequence[str]) -> None:
    for col in wanted:
        if col not in present:
            option = "--creator-column" if col == wanted[0] else "--follower-column"
            raise SchemaError(
                f"`{p}` has no column `{col}`{did_you_mean(col, present)}; columns are "
                f"{', '.join(f'`{c}`' for c in present)}; hint: name it with `{option}`"
            )


def _read_parquet(p: Path, creator_col: str, follower_col: str) -> pl.DataFrame:
    names = list(pl.read_parquet_schema(p))
    _require_columns(p, names, [creator_col, follower_col])
    df = pl.read_parquet(p, columns=[creator_col, follower_col])
    for col in (creator_col, follower_col):
        dtype = df.schema[col]
        if not (dtype.is_integer() or dtype in (pl.String, pl.Categorical)):
            example = df[col].drop_nulls().head(1).to_list()
            raise SchemaError(
                f"`{p}` column `{col}` has type {dtype} (example value {example[:1]}); "
                "hint: ids must be integers or strings"
            )
    return df.select(
        _as_id(pl.col(creator_col), df.schema[creator_col]).alias(s.CREATOR_ID),
        _as_id(pl.col(follower_col), df.schema[follower_col]).alias(s.FOLLOWER_ID),
    )


def _as_id(col: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    return col.cast(pl.Int64) if dtype.is_integer() else col.cast(pl.String)


def _sniff_separator(p: Path) -> str:
    opener = gzip.open if p.suffix.lower() == ".gz" else open
    with opener(p, "rt", encoding="utf-8", errors="replace") as fh:
        header = fh.readline()
    if p.name.lower().removesuffix(".gz").endswith(".tsv"):
        return "\t"
    counts = {sep: header.count(sep) for sep in ("\t", ",", ";", "|")}
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] else ","


def _read_csv(p: Path, creator_col: str, follower_col: str, separator: str | None) -> pl.DataFrame:
    sep = separator or _sniff_separator(p)
    header = pl.read_csv(p, separator=sep, n_rows=0, infer_schema=False).columns
    _require_columns(p, header, [creator_col, follower_col])
    columns = [creator_col, follower_col]
    # read ids as text: parsing straight to int64 would merge "007" and "7"
    df = pl.read_csv(p, separator=sep, columns=columns, infer_schema=False)
    return df.select(
        pl.col(creator_col).alias(s.CREATOR_ID), pl.col(follower_col).alias(s.FOLLOWER_ID)
    )


def _read_lines(p: Path) -> pl.DataFrame:
    """Every line of a text file as one string column, with 1-based line numbers."""
    return pl.read_csv(
        p,
        has_header=False,
        separator="\x1f",
        quote_char=None,
        new_columns=["raw"],
        schema={"raw": pl.String},
    ).with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("line"))


def _read_snap(p: Path, direction: Direction) -> pl.DataFrame:
    lines = _read_lines(p).filter(
        pl.col("raw").is_not_null()
        & (pl.col("raw").str.strip_chars() != "")
        & ~pl.col("raw").str.strip_chars_start().str.starts_with("#")
    )
    parts = pl.col("raw").str.extract_groups(_SNAP_LINE)
    first, second = parts.struct.field("1"), parts.struct.field("2")
    creator, follower = (second, first) if direction == "follower-creator" else (first, second)
    return lines.select(
        "line",
        creator.alias(s.CREATOR_ID),
        follower.alias(s.FOLLOWER_ID),
        "raw",
        pl.when(first.is_null()).then(pl.lit("unparsable")).alias(s.REASON),
    )


def _read_jsonl(p: Path, creator_col: str, follower_col: str) -> pl.DataFrame:
    lines = _read_lines(p).filter(
        pl.col("raw").is_not_null() & (pl.col("raw").str.strip_chars() != "")
    )
    valid = pl.col("raw").str.json_path_match("$").is_not_null()
    frame = lines.select(
        "line",
        pl.col("raw").str.json_path_match(f"$.{creator_col}").alias(s.CREATOR_ID),
        pl.col("raw").str.json_path_match(f"$.{follower_col}").alias(s.FOLLOWER_ID),
        "raw",
        pl.when(~valid).then(pl.lit("unparsable")).alias(s.REASON),
    )
    if frame.height and frame[s.CREATOR_ID].null_count() == frame.height:
        keys = _json_keys(lines)
        _require_columns(p, keys, [creator_col, follower_col])
    return frame


def _json_keys(lines: pl.DataFrame) -> list[str]:
    """Keys of the first JSON object among the first lines (for error hints)."""
    for raw in lines["raw"].head(100):
        try:
            value = json.loads(raw)
        except (TypeError, ValueError):
            continue
        if isinstance(value, dict):
            return [str(k) for k in value]
    return []


def _validate(raw: pl.DataFrame, p: Path, fmt: str, *, first_line: int) -> EdgeBatch:
    """Normalise ids, classify rejects, settle the id type of each column.

    `raw` has `creator_id` and `follower_id`; text readers add `line`, `raw` and a
    pre-set `reason` (unparsable lines). Other rows are numbered from `first_line`.
    """
    cid, fid = pl.col(s.CREATOR_ID), pl.col(s.FOLLOWER_ID)
    if raw.schema[s.CREATOR_ID] != raw.schema[s.FOLLOWER_ID]:  # mixed: compare as text
        raw = raw.with_columns(cid.cast(pl.String), fid.cast(pl.String))
    if raw.schema[s.CREATOR_ID] == pl.String:
        raw = raw.with_columns(
            cid.str.strip_chars().replace("", None), fid.str.strip_chars().replace("", None)
        )
    preset = pl.col(s.REASON) if s.REASON in raw.columns else pl.lit(None, pl.String)
    missing = cid.is_null() | fid.is_null()
    reason = (
        pl.when(preset.is_not_null())
        .then(preset)
        .when(missing)
        .then(pl.lit("missing_id"))
        .when(cid == fid)
        .then(pl.lit("self_follow"))
    )
    is_bad = raw.select((preset.is_not_null() | missing | (cid == fid)).fill_null(True))
    bad = is_bad.to_series()
    rejects = empty_rejects()
    good = raw.select(s.CREATOR_ID, s.FOLLOWER_ID)
    if bad.any():
        if "line" not in raw.columns:
            line = pl.int_range(first_line, pl.len() + first_line, dtype=pl.Int64)
            raw = raw.with_columns(line.alias("line"))
        rejects = raw.filter(bad).select(
            pl.lit(str(p)).alias("source"),
            "line",
            cid.cast(pl.String),
            fid.cast(pl.String),
            pl.col("raw") if "raw" in raw.columns else pl.lit(None, pl.String).alias("raw"),
            reason.alias(s.REASON),
        )
        good = good.filter(~bad)
    good = good.with_columns(narrow_ids(good[s.CREATOR_ID]), narrow_ids(good[s.FOLLOWER_ID]))
    source = Source(
        path=str(p),
        format=fmt,
        sha256=file_sha256(p),
        bytes=p.stat().st_size,
        rows_read=raw.height,
        rows_kept=good.height,
        rejected=count_rejects(rejects),
    )
    return EdgeBatch(edges=good, rejects=rejects, source=source)


def narrow_ids(ids: pl.Series) -> pl.Series:
    """Int64 when every id is a canonical integer string, else the strings unchanged.

    The integer parser also takes "+5", "05", "-0" and "-05"; ids written so stay strings
    (turning "007" into 7 would merge it with "7").
    """
    if ids.dtype != pl.String:
        return ids
    as_int = ids.str.to_integer(strict=False)
    if as_int.null_count() != ids.null_count():
        return ids
    padded = ids.str.starts_with("0") & (ids.str.len_bytes() > 1)
    if (padded | ids.str.starts_with("+") | ids.str.starts_with("-0")).any():
        return ids
    return as_int


# ---------------------------------------------------------------------------------------
# creators metadata


def read_creators(
    path: str | os.PathLike[str], *, creator_column: str = s.CREATOR_ID
) -> pl.DataFrame:
    """Read a creators metadata file (CSV/TSV, Parquet or JSON lines), one row per creator.

    Known columns are checked and cast (`handle`, `declared_followers`, `cost`,
    `engagement_rate`, `niche`); any other column is kept as given.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"creators file `{p}` not found (check the path)")
    _check_gzip(p)
    fmt = detect_format(p)
    try:
        if fmt == "parquet":
            meta = pl.read_parquet(p)
        elif fmt == "jsonl":
            meta = pl.read_ndjson(p)
        else:
            meta = pl.read_csv(p, separator=_sniff_separator(p), infer_schema_length=None)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(
            f"cannot read creators file `{p}`: {_first_line(exc)}; hint: CSV/TSV with a "
            "header, Parquet or JSON lines"
        ) from exc
    _require_columns(p, meta.columns, [creator_column])
    meta = meta.rename({creator_column: s.CREATOR_ID})
    for col in s.RESERVED_CREATOR_COLUMNS:
        if col in meta.columns:
            raise SchemaError(
                f"creators file `{p}` has a column `{col}`, which the engine computes; "
                f"hint: rename or drop it (tiers come from `declared_followers` or observed "
                "followers)"
            )
    meta = meta.filter(pl.col(s.CREATOR_ID).is_not_null())
    for col, dtype in s.CREATOR_METADATA.items():
        if col in meta.columns:
            cast = meta[col].cast(dtype, strict=False)
            bad = meta.filter(cast.is_null() & meta[col].is_not_null())
            if bad.height:
                raise SchemaError(
                    f"creators file `{p}` column `{col}` must be {dtype}; found "
                    f"{bad[col][0]!r} for creator {bad[s.CREATOR_ID][0]!r} "
                    f"({bad.height} bad values); hint: fix or blank those cells"
                )
            meta = meta.with_columns(cast.alias(col))
    ids = meta[s.CREATOR_ID]
    meta = meta.with_columns(
        narrow_ids(ids.cast(pl.String).str.strip_chars()) if ids.dtype != pl.Int64 else ids
    )
    dupes = meta.filter(pl.col(s.CREATOR_ID).is_duplicated())
    if dupes.height:
        raise SchemaError(
            f"creators file `{p}` lists creator {dupes[s.CREATOR_ID][0]!r} more than once "
            f"({dupes.height} rows involved); hint: keep one row per creator"
        )
    return meta
