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
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import polars as pl

from graph_engine import schema as s
from graph_engine.errors import InputError, ParameterError

__all__ = [
    "EXCEL_ROWS",
    "FIGURES",
    "SUMMARY",
    "TABLE_SUFFIXES",
    "atomic_path",
    "display",
    "dumps_json",
    "figures_row",
    "flat_columns",
    "fsync_dir",
    "money",
    "report_parts",
    "to_jsonable",
    "write_frames",
    "write_result",
    "write_text",
    "write_workbook",
]

TABLE_SUFFIXES = (".parquet", ".csv", ".jsonl", ".json", ".xlsx")
EXCEL_ROWS = 1_048_575  # rows a worksheet holds below its header
SUMMARY = "summary"  # the part of a report that holds its figures (the scalars) ...
FIGURES = "figures"  # ... or this, when the report has a table named `summary`


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
        (JSON has no such numbers: `json.dumps` would write invalid JSON); a whole
        number under a count's name (`schema.column_kind`) becomes an integer.
    """
    if isinstance(value, pl.DataFrame):
        return [to_jsonable(row) for row in value.to_dicts()]
    if isinstance(value, dict):
        return {str(k): _counted(to_jsonable(v), str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def _counted(value: Any, key: str) -> Any:
    """Make a whole count an integer in JSON too (`3383`, not `3383.0`)."""
    if isinstance(value, float) and value.is_integer() and s.column_kind(key) == "count":
        return int(value)
    return value


def display(value: Any, kind: s.ColumnKind | None = None) -> str:
    """Show one value as text, by what its column means (`schema.column_kind`).

    Counts as whole numbers with thousands separators, shares (0..1) and percents
    (0..100) as percent with one decimal, money with two decimals, ratios with three,
    ids verbatim (no separators); other numbers by size.

    Parameters
    ----------
    value
        A cell or a figure.
    kind
        What it means, or None.

    Returns
    -------
    str
        The text (empty for a missing value or NaN).

    Examples
    --------
    >>> display(0.1234, "share"), display(5.678, "money"), display(152572.0, "count")
    ('12.3%', '5.68', '152,572')
    >>> display(1234, "id"), display(0.5), display(37.14)
    ('1234', '0.5000', '37.1')
    """
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if kind == "id":
        return ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return _number(value, kind)
    if isinstance(value, dict | list):
        return _collection(value, kind)
    return str(value)


_NUMBER_FORMATS: dict[str, Callable[[float], str]] = {
    "share": lambda v: f"{100 * v:.1f}%",
    "percent": lambda v: f"{v:.1f}%",
    "money": lambda v: f"{v:,.2f}",
    "ratio": lambda v: f"{v:.3f}",
    "index": lambda v: f"{v:,.0f}",
}


def _number(value: float, kind: s.ColumnKind | None) -> str:
    if kind in _NUMBER_FORMATS:
        return _NUMBER_FORMATS[kind](value)
    if isinstance(value, int) or (value.is_integer() and (kind == "count" or abs(value) >= 1)):
        return f"{int(value):,}"
    if kind == "count":  # a weighted count
        return f"{value:,.1f}"
    return f"{value:,.4f}" if abs(value) < 10 else f"{value:,.1f}"


def _collection(value: dict[str, Any] | list[Any], kind: s.ColumnKind | None) -> str:
    if not value:
        return "none"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {display(v, s.column_kind(k))}" for k, v in value.items())
    return ", ".join(display(v, kind) for v in value)


def money(amount: float, currency: str = "$") -> str:
    """Show an amount with its currency: a symbol before it, a code after it.

    Parameters
    ----------
    amount
        The amount.
    currency
        ``$``, ``€``, ``EUR``, ...

    Returns
    -------
    str
        For example ``$1,287.19`` or ``1,287.19 EUR``.

    Examples
    --------
    >>> money(1287.19), money(5.5, "EUR"), money(12, "€")
    ('$1,287.19', '5.50 EUR', '€12.00')
    """
    if currency.isalpha() and len(currency) > 1:
        return f"{amount:,.2f} {currency}"
    return f"{currency}{amount:,.2f}"


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
        objects) and ``.xlsx`` (one sheet named after the file, at most `EXCEL_ROWS`
        rows) collect the rows first.
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
    if suffix == ".xlsx":  # a worksheet is bounded: stop collecting once it is full
        kept, rows = [empty], 0
        for frame in frames:
            rows += frame.height
            if rows > EXCEL_ROWS:
                raise _too_long(target, target.stem, f"more than {EXCEL_ROWS:,}")
            kept.append(frame)
        write_workbook({target.stem: pl.concat(kept, how="vertical_relaxed")}, target)
        return rows
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


def report_parts(report: dict[str, Any]) -> tuple[dict[str, Any], dict[str, pl.DataFrame]]:
    """Split a report into its figures (scalars, small dicts) and its tables.

    Parameters
    ----------
    report
        A command's report: frames and lists of row objects are tables, the rest figures.

    Returns
    -------
    tuple
        The figures and the tables, each in the report's order.
    """
    figures: dict[str, Any] = {}
    tables: dict[str, pl.DataFrame] = {}
    for key, value in report.items():
        if isinstance(value, pl.DataFrame):
            tables[key] = value
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            tables[key] = pl.DataFrame(value)
        else:
            figures[key] = value
    return figures, tables


def figures_row(figures: dict[str, Any]) -> pl.DataFrame:
    """Return a report's figures as a one-row table (a rectangular CSV, a Parquet row).

    Parameters
    ----------
    figures
        Scalars and nested dicts (flattened to ``outer.inner`` columns); lists become
        JSON text.

    Returns
    -------
    polars.DataFrame
        One row, one column per figure.
    """
    row = {k: json.dumps(to_jsonable(v)) if isinstance(v, list) else v for k, v in _flat(figures)}
    return pl.DataFrame([row], infer_schema_length=None)


def _flat(value: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, item in value.items():
        if isinstance(item, dict):
            yield from _flat(item, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", to_jsonable(item)


def write_result(
    result: pl.DataFrame | dict[str, Any], path: str | os.PathLike[str], *, main: str | None = None
) -> list[Path]:
    """Write one command's result, every part of it, in the format of `path`'s extension.

    A table goes to `path`. A report goes whole into a ``.json`` file or a ``.xlsx``
    workbook (a sheet per part: `SUMMARY` for its figures, then each table, then each
    group of figures such as ``constraints``); in any other
    table format each part is a file of its own: the `main` table (by default the first)
    at `path`, the others at ``STEM.PART.EXT`` (the figures at ``STEM.summary.EXT``, one
    row, or ``STEM.figures.EXT`` when a table is named ``summary``). No part is left out.

    Parameters
    ----------
    result
        A frame, or a report (a dict whose values may be frames).
    path
        The file; its extension gives the format (see `write_frames`, `write_workbook`).
    main
        The report's table to write at `path` itself.

    Returns
    -------
    list of Path
        The files written, `path` first.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if isinstance(result, pl.DataFrame):
        write_frames([result], target, empty=result.clear())
        return [target]
    if suffix == ".json":
        return [write_text(target, dumps_json(result))]
    figures, tables = report_parts(result)
    about = SUMMARY if SUMMARY not in tables else FIGURES  # communities has a `summary` table
    if suffix == ".xlsx":
        # scalars on the summary sheet; a dict of figures (constraints, solve) on its own
        groups = {k: v for k, v in figures.items() if isinstance(v, dict) and v}
        scalars = {k: v for k, v in figures.items() if k not in groups}
        sheets: dict[str, pl.DataFrame | dict[str, Any]] = {about: scalars} if scalars else {}
        return [write_workbook({**sheets, **tables, **groups}, target)]
    first = main if main is not None else next(iter(tables), about)
    parts = {**({about: figures_row(figures)} if figures else {}), **tables}
    if first not in parts:
        raise ValueError(f"the report has no part `{first}`")
    order = [first, *(k for k in parts if k != first)]
    written = []
    for name in order:
        file = target if name == first else target.with_name(f"{target.stem}.{name}{target.suffix}")
        write_frames([parts[name]], file, empty=parts[name].clear())
        written.append(file)
    return written


def write_workbook(
    sheets: dict[str, pl.DataFrame | dict[str, Any]], path: str | os.PathLike[str]
) -> Path:
    """Write tables (and figures) as the sheets of one Excel workbook, atomically.

    Cells hold real numbers, formatted by what their column means
    (`schema.column_kind`): counts as integers, shares and percents as percent with two
    decimals, money with two decimals; ids and handles as text. A dict is a sheet of
    figures: one ``figure, value`` row each (nested dicts flattened to ``a.b``).

    Parameters
    ----------
    sheets
        Sheet name to a table or to figures, in order.
    path
        The ``.xlsx`` file.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ParameterError
        A table has more rows than a worksheet holds (`EXCEL_ROWS`).
    """
    import xlsxwriter

    for name, sheet in sheets.items():
        if isinstance(sheet, pl.DataFrame) and sheet.height > EXCEL_ROWS:
            raise _too_long(Path(path), name, f"{sheet.height:,}")
    with atomic_path(path) as tmp:
        book = xlsxwriter.Workbook(str(tmp), {"nan_inf_to_errors": True})
        formats = _Formats(book)
        taken: set[str] = set()
        for name, sheet in sheets.items():
            ws = book.add_worksheet(_sheet_name(name, taken))
            if isinstance(sheet, dict):
                _figures_sheet(ws, sheet, formats)
            else:
                _table_sheet(ws, sheet, name, formats)
        book.close()
    return Path(path)


def _sheet_name(name: str, taken: set[str]) -> str:
    """Make a worksheet name Excel accepts: no brackets, colons, slashes, ``*`` or ``?``."""
    base = re.sub(r"[\[\]:*?/\\]", "_", name).strip("'")[:31] or "sheet"
    unique, k = base, 1
    while unique.casefold() in taken:
        k += 1
        unique = f"{base[: 31 - len(str(k)) - 1]}_{k}"
    taken.add(unique.casefold())
    return unique


def _too_long(path: Path, name: str, rows: str) -> ParameterError:
    return ParameterError(
        f"cannot write `{path}`: `{name}` has {rows} rows, a worksheet holds {EXCEL_ROWS:,}; "
        "hint: write .parquet or .csv, or narrow it (--top-k, --min-shared)"
    )


class _Formats:
    """The workbook's cell formats, one per column kind."""

    def __init__(self, book: Any) -> None:
        self.header = book.add_format({"bold": True, "bottom": 1})
        self.kind = {
            "count": book.add_format({"num_format": "#,##0"}),
            "share": book.add_format({"num_format": "0.00%"}),
            "percent": book.add_format({"num_format": "0.00%"}),
            "money": book.add_format({"num_format": "#,##0.00"}),
            "ratio": book.add_format({"num_format": "0.0000"}),
            "index": book.add_format({"num_format": "#,##0"}),
            "id": None,
            None: None,
        }

    def of(self, kind: s.ColumnKind | None, value: Any) -> Any:
        if kind == "count" and isinstance(value, float) and not value.is_integer():
            return self.kind["ratio"]  # a weighted reach: not a whole number
        return self.kind[kind]


def _cell(ws: Any, row: int, col: int, value: Any, kind: s.ColumnKind | None, f: _Formats) -> None:
    if kind == "id" and value is not None:
        ws.write_string(row, col, display(value, "id"))  # no 1e+18, no dropped digits
    elif isinstance(value, bool) or value is None:
        ws.write(row, col, "" if value is None else str(value).lower())
    elif isinstance(value, int | float):
        ws.write_number(row, col, value / 100 if kind == "percent" else value, f.of(kind, value))
    elif isinstance(value, list | dict):
        ws.write_string(row, col, json.dumps(to_jsonable(value)))
    else:
        ws.write_string(row, col, str(value))


def _table_sheet(ws: Any, frame: pl.DataFrame, name: str, f: _Formats) -> None:
    kinds = [s.column_kind(c, name) for c in frame.columns]
    for j, col in enumerate(frame.columns):
        ws.write_string(0, j, col, f.header)
        ws.set_column(j, j, max(10, min(40, len(col) + 2)))
    for i, row in enumerate(frame.iter_rows(), start=1):
        for j, value in enumerate(row):
            _cell(ws, i, j, value, kinds[j], f)
    ws.freeze_panes(1, 0)
    if frame.width:
        ws.autofilter(0, 0, frame.height, frame.width - 1)


def _figures_sheet(ws: Any, figures: dict[str, Any], f: _Formats) -> None:
    ws.write_string(0, 0, "figure", f.header)
    ws.write_string(0, 1, "value", f.header)
    ws.set_column(0, 0, 28)
    ws.set_column(1, 1, 40)
    for i, (key, value) in enumerate(_flat(figures), start=1):
        ws.write_string(i, 0, key)
        _cell(ws, i, 1, value, s.column_kind(key.rsplit(".", 1)[-1]), f)
