"""One renderer for every command: a frame or a dict as a table, JSON or CSV.

A result is a `polars.DataFrame` or a JSON-able dict whose values may themselves be
frames (sections of a report). ``--output`` writes the result to a file whose format
comes from its extension; the terminal then gets a one-line note.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from graph_engine.cli._options import Format
from graph_engine.outputs import dumps_json, to_jsonable, write_result

__all__ = ["Result", "progress_bar", "render", "status", "write"]

Result = pl.DataFrame | dict[str, Any]

_MAX_ROWS = 40
# identifiers print verbatim: no thousands separators in a creator id
_ID_COLUMNS = frozenset({"creator_id", "follower_id", "creator_a", "creator_b", "top_creators"})


def render(result: Result, fmt: Format, *, title: str | None = None) -> None:
    """Print `result` on stdout in the chosen format.

    Parameters
    ----------
    result
        A frame, or a report (a dict whose values may be frames).
    fmt
        ``table`` (rich tables), ``json`` or ``csv``.
    title
        A title above the table (table format only).
    """
    if fmt == "json":
        typer.echo(dumps_json(result), nl=False)
    elif fmt == "csv":
        typer.echo(_csv(result), nl=False)
    else:
        _print_tables(result, title)


def write(result: Result, path: Path) -> None:
    """Write `result` to `path` (the format chosen by the extension) and say so on stderr.

    Parameters
    ----------
    result
        A frame, or a report (written as JSON).
    path
        The file to write.
    """
    write_result(result, path)
    typer.echo(f"wrote {path}", err=True)


@contextlib.contextmanager
def progress_bar(description: str) -> Iterator[Callable[[int, int], None]]:
    """Show a progress bar on stderr when it is a terminal; a no-op callback otherwise.

    Parameters
    ----------
    description
        The bar's label.

    Yields
    ------
    callable
        ``update(done, total)``.
    """
    if not sys.stderr.isatty():
        yield lambda done, total: None
        return
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@contextlib.contextmanager
def status(text: str) -> Iterator[None]:
    """Show a spinner with `text` on stderr while a long call runs (only on a terminal).

    Parameters
    ----------
    text
        The spinner's label.

    Yields
    ------
    None
        Nothing; the spinner stops when the block ends.
    """
    if not sys.stderr.isatty():
        yield
        return
    with Console(stderr=True).status(text):
        yield


def _csv(result: Result) -> str:
    if isinstance(result, pl.DataFrame):
        return _frame_csv(result)
    scalars = {k: v for k, v in result.items() if not isinstance(v, pl.DataFrame | dict | list)}
    frames = [v for v in result.values() if isinstance(v, pl.DataFrame)]
    if frames and not scalars:
        return _frame_csv(frames[0])
    rows = [{"key": k, "value": str(v)} for k, v in _flatten(result).items()]
    return _frame_csv(pl.DataFrame(rows, schema={"key": pl.String, "value": pl.String}))


def _frame_csv(frame: pl.DataFrame) -> str:
    nested = [c for c, t in frame.schema.items() if t.is_nested()]
    frame = frame.with_columns(
        pl.col(c).map_elements(lambda v: json.dumps(to_jsonable(v)), return_dtype=pl.String)
        for c in nested
    )
    buf = io.StringIO()
    frame.write_csv(buf)
    return buf.getvalue()


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for k, v in items:
        key = f"{prefix}{k}"
        if isinstance(v, pl.DataFrame):
            v = v.to_dicts()
        if isinstance(v, dict | list):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def _print_tables(result: Result, title: str | None) -> None:
    console = Console(soft_wrap=False, width=None if sys.stdout.isatty() else 160)
    if isinstance(result, pl.DataFrame):
        console.print(_table(result, title))
        return
    if title:
        console.print(f"[bold]{title}[/]")
    scalars = {k: v for k, v in result.items() if not _is_section(v)}
    if scalars:
        grid = Table(show_header=False, box=None, pad_edge=False)
        for k, v in scalars.items():
            grid.add_row(f"[bold]{k}[/]", _cell(v))
        console.print(grid)
    for key, value in result.items():
        if not _is_section(value):
            continue
        if isinstance(value, dict):
            value = pl.DataFrame({"key": list(value), "value": [_cell(v) for v in value.values()]})
        if isinstance(value, list):
            value = pl.DataFrame(value) if value and isinstance(value[0], dict) else None
        if isinstance(value, pl.DataFrame):
            console.print()
            console.print(_table(value, key.replace("_", " ")))


def _is_section(value: Any) -> bool:
    """Non-empty frames, dicts and lists of objects print as tables of their own."""
    if isinstance(value, pl.DataFrame | dict):
        return len(value) > 0
    return isinstance(value, list) and bool(value) and isinstance(value[0], dict)


def _table(frame: pl.DataFrame, title: str | None) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold")
    for col, dtype in frame.schema.items():
        table.add_column(col, justify="right" if dtype.is_numeric() else "left")
    ids = [c in _ID_COLUMNS for c in frame.columns]
    for row in frame.head(_MAX_ROWS).iter_rows():
        table.add_row(
            *(_id_cell(v) if is_id else _cell(v) for v, is_id in zip(row, ids, strict=True))
        )
    if frame.height > _MAX_ROWS:
        table.caption = f"{frame.height - _MAX_ROWS} more rows (use --output or --format csv)"
    return table


def _id_cell(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if value in ({}, []):
        return "none"
    if isinstance(value, float):
        return _float_cell(value)
    if isinstance(value, dict | list):
        return _collection_cell(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _float_cell(value: float) -> str:
    if not math.isfinite(value):
        return ""
    if value.is_integer() and abs(value) >= 1:
        return f"{int(value):,}"
    return f"{value:,.4f}" if abs(value) < 10 else f"{value:,.1f}"


def _collection_cell(value: dict[str, Any] | list[Any]) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_cell(v)}" for k, v in value.items()) or "-"
    return ", ".join(_cell(v) for v in value)
