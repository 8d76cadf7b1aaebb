"""Readers of input files: edge lists and creators metadata, validated and normalised.

Each edge file becomes a frame of original ``creator_id`` / ``follower_id`` values plus a
frame of rejected rows (`EdgeBatch`); a creators file becomes one checked row per creator.
Nothing here builds store tables (`graph_engine.tables`) or touches a store.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import polars as pl

from graph_engine import schema as s
from graph_engine._hashing import file_sha256
from graph_engine.errors import InputError, SchemaError, did_you_mean
from graph_engine.sniff import (
    check_gzip,
    check_separator,
    check_text,
    first_line,
    open_content,
    readable_file,
    sniff_separator,
)
from graph_engine.tables import (
    check_follower_attributes,
    check_metadata,
    count_rejects,
    empty_rejects,
)
from graph_engine.vocab import Direction, EdgeFormat

__all__ = [
    "Direction",
    "EdgeBatch",
    "EdgeFormat",
    "Source",
    "detect_format",
    "narrow_ids",
    "read_creators",
    "read_edges",
    "read_followers",
    "read_id_list",
]

# Id text that exports write for a missing value: such an id is missing, not a creator.
_NULL_TEXT = ("null", "nan", "none")

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
        entry = asdict(self)
        entry["rows_rejected"] = entry.pop("rejected")
        return entry


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
    id_space: s.IdSpace = "shared",
) -> EdgeBatch:
    r"""Read one edge file into original-id edges and rejected rows.

    Parameters
    ----------
    path
        A CSV/TSV file with a header (any one-character delimiter), Parquet, JSON lines,
        or a SNAP-style edge list; text formats may be gzip-compressed (``.gz``). Text
        must be UTF-8 (a byte-order mark and CRLF line ends are fine).
    format
        ``"auto"`` picks from the file name: ``.parquet``, ``.jsonl``/``.ndjson``,
        ``.csv``/``.tsv``, anything else is a SNAP edge list.
    creator_column, follower_column
        Column names holding the creator and the follower (CSV, Parquet, JSON lines).
    direction
        For SNAP edge lists only: ``"follower-creator"`` reads ``a b`` as "a follows b"
        (b is the creator), as SNAP's follow graphs do; ``"creator-follower"`` the reverse.
    separator
        CSV delimiter; sniffed from the header line when not given. ``\t`` (backslash, t)
        and ``tab`` mean a tab (what a shell passes for ``'\t'``).
    id_space
        ``"shared"``: creator and follower ids name the same accounts, so a row whose two
        ids are equal is a self-follow and rejected. ``"separate"`` (users x artists): such
        a row is an ordinary edge.

    Returns
    -------
    EdgeBatch
        The valid edges in original ids, the rejected rows and what the file contributed.

    Notes
    -----
    Ids are kept as given, byte for byte, after stripping surrounding whitespace: no
    Unicode normalisation (``café`` in NFC and in NFD are two ids), no case folding.
    Rows are rejected (reason in ``rejects.parquet``, with their line) when a SNAP or JSON
    line does not parse (``unparsable``), a JSON line is not an object
    (``not_an_object``), an id is missing, empty or the text ``null``/``NaN``/``None``
    (``missing_id``), an id is not a scalar string or integer (a JSON list, object,
    boolean or fraction) or holds a NUL byte (``invalid_id``), or creator and follower
    are the same id in a shared id space (``self_follow``). Ids become int64 when every
    id of the column is a canonical integer that fits, else strings (so ``007``,
    ``+7`` and ids beyond int64 keep their text). Duplicates are kept here;
    `build_tables` drops them.
    """
    p = readable_file(path, "input file")
    fmt = detect_format(p) if format == "auto" else format
    sep = check_separator(separator)
    check_gzip(p)
    if fmt != "parquet":
        check_text(p, fmt)
    try:
        if fmt == "parquet":
            raw = _read_parquet(p, creator_column, follower_column)
        elif fmt == "csv":
            raw = _read_csv(p, creator_column, follower_column, sep)
        elif fmt == "jsonl":
            raw = _read_jsonl(p, creator_column, follower_column)
        else:
            raw = _read_snap(p, direction)
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot read `{p}` as {fmt}: {first_line(exc)}; hint: check the file is "
            f"{fmt}{' (use --format to say which)' if format == 'auto' else ''} and not truncated"
        ) from exc
    # rows of a CSV start on line 2 (after the header); Parquet rows are numbered from 1
    return _validate(raw, p, fmt, start_line=2 if fmt == "csv" else 1, id_space=id_space)


def _require_columns(
    p: Path, present: Sequence[str], wanted: Sequence[str], hint: str | None = None
) -> None:
    for col in wanted:
        if col not in present:
            option = "--creator-column" if col == wanted[0] else "--follower-column"
            shown = [f"`{c[:40]}`" for c in present[:12]]
            more = f" and {len(present) - 12} more" if len(present) > 12 else ""
            raise SchemaError(
                f"`{p}` has no column `{col}`{did_you_mean(col, present)}; columns are "
                f"{', '.join(shown) or 'none'}{more}; hint: {hint or f'name it with `{option}`'}"
            )


def _read_parquet(p: Path, creator_col: str, follower_col: str) -> pl.DataFrame:
    names = list(pl.read_parquet_schema(p))
    _require_columns(p, names, [creator_col, follower_col])
    df = pl.read_parquet(p, columns=[creator_col, follower_col])
    return df.select(
        _as_id(df[creator_col], f"`{p}`").alias(s.CREATOR_ID),
        _as_id(df[follower_col], f"`{p}`").alias(s.FOLLOWER_ID),
    )


def _as_id(col: pl.Series, where: str) -> pl.Series:
    """Int64 for integers that fit (an unsigned id beyond int64 keeps its digits), else text.

    Raises a `SchemaError` naming `where` and the column when it holds neither.
    """
    if not (col.dtype.is_integer() or col.dtype in (pl.String, pl.Categorical, pl.Enum)):
        example = col.drop_nulls().head(1).to_list()
        raise SchemaError(
            f"{where} column `{col.name}` has type {col.dtype} (example value {example[:1]}); "
            "hint: ids must be integers or strings (cast whole-number floats to integers)"
        )
    if col.dtype.is_integer():
        top = col.max()
        fits = col.dtype != pl.UInt64 or top is None or int(top) <= 2**63 - 1  # type: ignore[arg-type]
        return col.cast(pl.Int64) if fits else col.cast(pl.String)
    return col.cast(pl.String)


def _read_csv(p: Path, creator_col: str, follower_col: str, separator: str | None) -> pl.DataFrame:
    sep = separator or sniff_separator(p)
    header = pl.read_csv(p, separator=sep, n_rows=0, infer_schema=False).columns
    hint = None
    if len(header) == 1:
        hint = f"the header does not split at {sep!r}: give the delimiter with `--separator`"
    _require_columns(p, header, [creator_col, follower_col], hint)
    for col in (creator_col, follower_col):
        if f"{col}_duplicated_0" in header:
            raise SchemaError(
                f"`{p}` has the column `{col}` more than once; hint: rename one of them"
            )
    columns = [creator_col, follower_col]
    # read ids as text: parsing straight to int64 would merge "007" and "7"
    try:
        df = pl.read_csv(p, separator=sep, columns=columns, infer_schema=False)
    except pl.exceptions.ComputeError as exc:
        if "more fields" not in str(exc):
            raise
        line, fields = _ragged_line(p, sep, len(header))
        raise InputError(
            f"`{p}` line {line} has {fields} fields, the header has {len(header)}; hint: "
            f"quote values that contain {sep!r}, or give the delimiter with `--separator`"
        ) from None
    return df.select(
        pl.col(creator_col).alias(s.CREATOR_ID), pl.col(follower_col).alias(s.FOLLOWER_ID)
    )


def _ragged_line(p: Path, sep: str, width: int) -> tuple[int | str, int | str]:
    """Find the first line of a CSV with more fields than its header, and its fields."""
    with (
        open_content(p) as fh,
        io.TextIOWrapper(fh, encoding="utf-8-sig", errors="replace", newline="") as text,
    ):
        reader = csv.reader(text, delimiter=sep)
        for row in reader:
            if len(row) > width:
                return reader.line_num, len(row)
    return "?", "more"


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
    is_object = pl.col("raw").str.strip_chars_start().str.starts_with("{")
    frame = lines.select(
        "line",
        pl.col("raw").str.json_path_match(_json_path(creator_col)).alias(s.CREATOR_ID),
        pl.col("raw").str.json_path_match(_json_path(follower_col)).alias(s.FOLLOWER_ID),
        "raw",
        pl.when(~valid)
        .then(pl.lit("unparsable"))
        .when(~is_object)
        .then(pl.lit("not_an_object"))
        .alias(s.REASON),
    )
    if frame.height and (
        frame[s.CREATOR_ID].null_count() == frame.height
        or frame[s.FOLLOWER_ID].null_count() == frame.height
    ):
        keys = _json_keys(lines)
        if keys:
            _require_columns(p, keys, [creator_col, follower_col])
    return _exact_json_ids(frame, creator_col, follower_col)


def _json_path(key: str) -> str:
    return f"$.{key}" if key.isidentifier() else "$[" + json.dumps(key).replace('"', "'") + "]"


def _odd_json(value: pl.Expr) -> pl.Expr:
    """Flag values whose text may not be the id as written (1e+20 for a huge integer)."""
    return value.str.contains(r"^(?:[\[{]|true$|false$|-?\d[\d.]*[eE.])").fill_null(False)


def _json_id(value: object) -> tuple[str | None, bool]:
    """Return (text, ok) for a decoded JSON value: only strings and integers are ids."""
    if value is None or isinstance(value, str):
        return value, True
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value), True
    return json.dumps(value)[:200], False


def _exact_json_ids(frame: pl.DataFrame, creator_col: str, follower_col: str) -> pl.DataFrame:
    """Decode odd-looking values again: ids as written, else `invalid_id` (lists, ...)."""
    odd = frame.filter(
        pl.col(s.REASON).is_null()
        & (_odd_json(pl.col(s.CREATOR_ID)) | _odd_json(pl.col(s.FOLLOWER_ID)))
    )
    if not odd.height:
        return frame
    fixes = []
    for line, raw in odd.select("line", "raw").iter_rows():
        record = json.loads(raw)
        creator, creator_ok = _json_id(record.get(creator_col))
        follower, follower_ok = _json_id(record.get(follower_col))
        fixes.append(
            (line, creator, follower, None if creator_ok and follower_ok else "invalid_id")
        )
    fixed = pl.DataFrame(
        fixes,
        schema={"line": pl.Int64, "_c": pl.String, "_f": pl.String, "_r": pl.String},
        orient="row",
    ).with_columns(pl.lit(True).alias("_fixed"))
    is_fixed = pl.col("_fixed").fill_null(False)
    return (
        frame.join(fixed, on="line", how="left", maintain_order="left")
        .with_columns(
            pl.when(is_fixed)
            .then(pl.col("_c"))
            .otherwise(pl.col(s.CREATOR_ID))
            .alias(s.CREATOR_ID),
            pl.when(is_fixed)
            .then(pl.col("_f"))
            .otherwise(pl.col(s.FOLLOWER_ID))
            .alias(s.FOLLOWER_ID),
            pl.coalesce(pl.col(s.REASON), pl.col("_r")).alias(s.REASON),
        )
        .drop("_c", "_f", "_r", "_fixed")
    )


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


def _null_text(col: pl.Expr) -> pl.Expr:
    return col.str.to_lowercase().is_in(_NULL_TEXT).fill_null(False)


def _validate(
    raw: pl.DataFrame, p: Path, fmt: str, *, start_line: int, id_space: s.IdSpace
) -> EdgeBatch:
    """Normalise ids, classify rejects, settle the id type of each column.

    `raw` has `creator_id` and `follower_id`; text readers add `line`, `raw` and a
    pre-set `reason` (unparsable lines). Other rows are numbered from `start_line`.
    """
    cid, fid = pl.col(s.CREATOR_ID), pl.col(s.FOLLOWER_ID)
    if raw.schema[s.CREATOR_ID] != raw.schema[s.FOLLOWER_ID]:  # mixed: compare as text
        raw = raw.with_columns(cid.cast(pl.String), fid.cast(pl.String))
    missing = cid.is_null() | fid.is_null()
    invalid = pl.lit(False)
    if raw.schema[s.CREATOR_ID] == pl.String:
        raw = raw.with_columns(
            cid.str.strip_chars().replace("", None), fid.str.strip_chars().replace("", None)
        )
        missing = missing | _null_text(cid) | _null_text(fid)
        invalid = cid.str.contains("\x00", literal=True) | fid.str.contains("\x00", literal=True)
    preset = pl.col(s.REASON) if s.REASON in raw.columns else pl.lit(None, pl.String)
    self_follow = (cid == fid) if id_space == "shared" else pl.lit(False)
    reason = (
        pl.when(preset.is_not_null())
        .then(preset)
        .when(missing)
        .then(pl.lit("missing_id"))
        .when(invalid)
        .then(pl.lit("invalid_id"))
        .when(self_follow)
        .then(pl.lit("self_follow"))
    )
    bad = raw.select(
        (preset.is_not_null() | missing | invalid | self_follow).fill_null(True)
    ).to_series()
    rejects = empty_rejects()
    good = raw.select(s.CREATOR_ID, s.FOLLOWER_ID)
    if bad.any():
        if "line" not in raw.columns:
            line = pl.int_range(start_line, pl.len() + start_line, dtype=pl.Int64)
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

    Parameters
    ----------
    path
        The file; text may be gzip-compressed.
    creator_column
        The column holding the creator id (renamed to ``creator_id``).

    Returns
    -------
    polars.DataFrame
        ``creator_id`` (int64 when every id is a canonical integer, else text) and the
        other columns, checked by `graph_engine.tables.check_metadata`.

    Notes
    -----
    Ids are read as text, stripped and typed like edge ids (``007`` stays a string).
    Wholly empty rows are skipped; a row with values but no id is an error.
    """
    meta = _read_keyed(path, creator_column, s.CREATOR_ID, "creators")
    return check_metadata(meta, f"creators file `{Path(path)}`")


def read_followers(
    path: str | os.PathLike[str], *, follower_column: str = s.FOLLOWER_ID
) -> pl.DataFrame:
    """Read a follower attributes file (CSV/TSV, Parquet or JSON lines), one row per follower.

    Parameters
    ----------
    path
        The file; text may be gzip-compressed.
    follower_column
        The column holding the follower id (renamed to ``follower_id``).

    Returns
    -------
    polars.DataFrame
        ``follower_id`` (typed like edge ids) and the attribute columns (country, a bot
        flag, a value, ...), checked by `graph_engine.tables.check_follower_attributes`.
    """
    frame = _read_keyed(path, follower_column, s.FOLLOWER_ID, "followers")
    return check_follower_attributes(frame, f"followers file `{Path(path)}`")


def _read_keyed(path: str | os.PathLike[str], column: str, key: str, kind: str) -> pl.DataFrame:
    """Read a file of one row per creator (or follower) keyed by `column`, renamed `key`."""
    p = readable_file(path, f"{kind} file")
    check_gzip(p)
    fmt = detect_format(p)
    if fmt != "parquet":
        check_text(p, fmt)
    try:
        frame = _read_table(p, fmt, column)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(
            f"cannot read {kind} file `{p}`{_bad_json_line(p) if fmt == 'jsonl' else ''}: "
            f"{first_line(exc)}; hint: CSV/TSV with a header, Parquet or JSON lines"
        ) from exc
    _require_columns(p, frame.columns, [column], f"name it with `--{kind}-column`")
    if column != key and key in frame.columns:
        raise SchemaError(
            f"{kind} file `{p}` has a column `{key}` besides the id column `{column}`; "
            "hint: rename or drop one of them"
        )
    return _keyed_ids(p, frame.rename({column: key}), fmt, key, kind)


def _read_table(p: Path, fmt: str, id_column: str) -> pl.DataFrame:
    if fmt == "parquet":
        return pl.read_parquet(p)
    if fmt == "jsonl":
        return pl.read_ndjson(p, infer_schema_length=None)
    sep = sniff_separator(p)
    header = pl.read_csv(p, separator=sep, n_rows=0, infer_schema=False).columns
    text_id = {id_column: pl.String} if id_column in header else None  # "007" is not 7
    return pl.read_csv(p, separator=sep, infer_schema_length=None, schema_overrides=text_id)


def _bad_json_line(p: Path) -> str:
    """Say which line of a JSON lines file is first not a JSON object (" line N")."""
    with open_content(p) as fh, io.TextIOWrapper(fh, "utf-8-sig", "replace") as text:
        for number, line in enumerate(text, 1):
            try:
                ok = not line.strip() or isinstance(json.loads(line), dict)
            except ValueError:
                ok = False
            if not ok:
                return f" line {number}"
    return ""


def _keyed_ids(p: Path, meta: pl.DataFrame, fmt: str, key: str, kind: str) -> pl.DataFrame:
    """Type and strip the ids; skip wholly empty rows, refuse rows with values but no id."""
    ids = _as_id(meta[key], f"{kind} file `{p}`")
    if ids.dtype == pl.String:
        ids = narrow_ids(ids.str.strip_chars().replace("", None))
    meta = meta.with_columns(ids.alias(key))
    meta = meta.with_row_index("_line", 2 if fmt == "csv" else 1)
    no_id = meta.filter(pl.col(key).is_null())
    with_values = no_id.filter(~pl.all_horizontal(pl.exclude("_line").is_null()))
    if with_values.height:
        raise SchemaError(
            f"{kind} file `{p}` line {with_values['_line'][0]} has no `{key}` "
            f"({with_values.height} rows with values but no id); hint: fill in the id or "
            "delete the row"
        )
    return meta.filter(pl.col(key).is_not_null()).drop("_line")


def read_id_list(path: str | os.PathLike[str], what: str = "ids file") -> list[str]:
    """Read ids from a text file, one per line (blank lines and ``#`` comments skipped).

    Parameters
    ----------
    path
        The file (UTF-8; a byte-order mark is ignored).
    what
        How errors name it (e.g. "`--exclude-followers` file").

    Returns
    -------
    list of str
        The ids, in file order.

    Raises
    ------
    InputError
        The file is missing, unreadable, or lists no id.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{what} `{p}` not found (check the path)")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot read {what} `{p}`: {exc}; hint: UTF-8 text, one id per line"
        ) from None
    ids = [line.strip() for line in text.splitlines()]
    ids = [i for i in ids if i and not i.startswith("#")]
    if not ids:
        raise InputError(f"{what} `{p}` lists no id; hint: one id per line")
    return ids
