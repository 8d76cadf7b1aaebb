"""Writing results to files: one JSON serialiser and one atomic writer for every output.

Every file graph-engine writes (JSON reports, CSV/Parquet/JSON-lines tables, PNG plots,
the store's manifest and ``CURRENT``) goes through `atomic_path`: it is written beside its
target under a temporary name, flushed to disk and renamed over the target, so a reader
sees the old file or the new one, never a part. A symlink at the target is replaced, not
followed. On any error the temporary file is removed and the target is left as it was.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import polars as pl

from graph_engine.errors import InputError, ParameterError

__all__ = [
    "TABLE_SUFFIXES",
    "atomic_path",
    "dumps_json",
    "flat_columns",
    "fsync_dir",
    "to_jsonable",
    "write_frames",
    "write_result",
    "write_text",
]

TABLE_SUFFIXES = (".parquet", ".csv", ".jsonl", ".json")


def to_jsonable(value: Any) -> Any:
    """Turn a result into plain JSON values.

    Parameters
    ----------
    value
        A frame, dict, list, tuple, path or scalar (nested freely).

    Returns
    -------
    Any
        Frames become lists of row objects, paths strings, and NaN or infinity ``None``
        (JSON has no such numbers: `json.dumps` would write invalid JSON).
    """
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


def dumps_json(value: Any) -> str:
    """Serialise a result as indented, valid JSON text (with a final newline).

    Parameters
    ----------
    value
        Anything `to_jsonable` takes; other objects are written with `str`.

    Returns
    -------
    str
        The JSON document.
    """
    return json.dumps(to_jsonable(value), indent=2, allow_nan=False, default=str) + "\n"


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries (new and renamed files) to disk, where the OS allows it.

    Parameters
    ----------
    path
        The folder.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # some platforms cannot open a directory; the rename is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Give a temporary path to write; on success it replaces `path` in one rename.

    Parameters
    ----------
    path
        The file to (re)place. Its folder is created when missing.

    Yields
    ------
    Path
        A path beside `path` to write the whole content to (any writer, any format).

    Notes
    -----
    The temporary file is fsynced, renamed over `path` (``os.replace``: atomic, and a
    symlink at `path` is replaced rather than followed) and the folder fsynced. On an
    exception the temporary file is removed and `path` is untouched. OS errors become
    `InputError` naming the path.
    """
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        yield tmp
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        fsync_dir(target.parent)
    except OSError as exc:
        raise InputError(f"cannot write `{target}`: {exc.strerror or exc}") from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write `text` (UTF-8) to `path` atomically.

    Parameters
    ----------
    path
        The file to write.
    text
        Its whole content.

    Returns
    -------
    Path
        The file written.
    """
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_frames(
    frames: Iterable[pl.DataFrame], path: str | os.PathLike[str], *, empty: pl.DataFrame
) -> int:
    """Write frames (blocks of one table) to a file as they come.

    Parameters
    ----------
    frames
        Blocks of one table, all with the schema of `empty`.
    path
        The file; its extension gives the format: ``.parquet``, ``.csv`` and ``.jsonl``
        stream block by block (memory holds one block), ``.json`` (an array of row
        objects) collects the rows first.
    empty
        A frame with no rows and the table's schema, written when there are no blocks.

    Returns
    -------
    int
        The number of rows written.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise ParameterError(
            f"cannot write `{target}`: unknown extension `{suffix or '(none)'}`; hint: use "
            f"{', '.join(TABLE_SUFFIXES)}"
        )
    with atomic_path(target) as tmp:
        if suffix == ".json":
            frame = pl.concat([empty, *frames], how="vertical_relaxed")
            tmp.write_text(dumps_json(frame), encoding="utf-8")
            return frame.height
        if suffix == ".parquet":
            return _write_parquet(frames, tmp, empty)
        return _write_text_rows(frames, tmp, empty, csv=suffix == ".csv")


def _write_parquet(frames: Iterable[pl.DataFrame], tmp: Path, empty: pl.DataFrame) -> int:
    """Stream frames into one Parquet file: polars encodes row groups on every core."""
    from polars.io.plugins import register_io_source

    rows = 0

    def source(
        with_columns: list[str] | None, predicate: Any, n_rows: int | None, batch_size: int | None
    ) -> Iterator[pl.DataFrame]:
        nonlocal rows
        for frame in frames:
            rows += frame.height
            yield frame if with_columns is None else frame.select(with_columns)

    register_io_source(source, schema=empty.schema).sink_parquet(tmp, compression="zstd")
    return rows


def flat_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """Turn nested columns (lists, structs) into JSON text, for CSV, which holds only scalars.

    Parameters
    ----------
    frame
        Any frame.

    Returns
    -------
    polars.DataFrame
        The frame, with every nested cell as its JSON text (``["a", "b"]``).
    """
    nested = [c for c, t in frame.schema.items() if t.is_nested()]
    return frame.with_columns(
        pl.col(c).map_elements(_json_cell, return_dtype=pl.String, skip_nulls=True) for c in nested
    )


def _json_cell(value: Any) -> str:
    return json.dumps(to_jsonable(value.to_list() if isinstance(value, pl.Series) else value))


def _write_text_rows(
    frames: Iterable[pl.DataFrame], tmp: Path, empty: pl.DataFrame, *, csv: bool
) -> int:
    rows = 0
    with tmp.open("wb") as fh:
        first = True
        for frame in frames:
            if csv:
                flat_columns(frame).write_csv(fh, include_header=first)
            else:
                frame.write_ndjson(fh)
            first, rows = False, rows + frame.height
        if first and csv:
            flat_columns(empty).write_csv(fh)
    return rows


def write_result(result: pl.DataFrame | dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write one command's result: a table in any table format, a report as JSON.

    Parameters
    ----------
    result
        A frame, or a report (a dict whose values may be frames).
    path
        The file; its extension gives the format (see `write_frames`).

    Returns
    -------
    Path
        The file written.
    """
    target = Path(path)
    if isinstance(result, pl.DataFrame):
        write_frames([result], target, empty=result.clear())
    elif target.suffix.lower() == ".json":
        write_text(target, dumps_json(result))
    else:
        raise ParameterError(f"cannot write `{target}`: this result is a report; hint: use .json")
    return target
