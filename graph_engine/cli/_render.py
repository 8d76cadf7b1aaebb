"""One renderer for every command: a frame or a dict as a table, JSON or CSV.

A result is a `polars.DataFrame` or a JSON-able dict whose values may themselves be
frames (sections of a report). ``--output`` writes the result to a file whose format
comes from its extension; the terminal then gets a one-line note.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import typer

from graph_engine.cli._options import Format

if TYPE_CHECKING:  # rich is imported where a table, bar or spinner is drawn (not for JSON)
    import polars as pl
    from rich.table import Table
    from rich.text import Text

__all__ = [
    "Result",
    "echo",
    "progress_bar",
    "render",
    "results_on_stdout",
    "safe",
    "status",
    "write",
]

Result: TypeAlias = "pl.DataFrame | dict[str, Any]"  # a table, or a report of named parts

_MAX_ROWS = 40


# C0 and C1 control characters except tab and newline: they would drive the terminal
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe(text: str) -> str:
    """Escape control characters (ESC sequences and the like) so data cannot drive a terminal.

    Parameters
    ----------
    text
        Text that may hold ids, headers or values from the user's files.

    Returns
    -------
    str
        The text with each control character written as a backslash, ``x`` and two hex
        digits (ESC becomes the four characters backslash, x, 1, b).
    """
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def echo(text: str, *, err: bool = False) -> None:
    """Print one line of text (escaped with `safe`) on stdout, or on stderr with `err`.

    Parameters
    ----------
    text
        The line.
    err
        Print on stderr instead.
    """
    typer.echo(safe(text), err=err)


@contextlib.contextmanager
def results_on_stdout() -> Iterator[None]:
    """Keep stdout for results: whatever a dependency prints goes to stderr meanwhile.

    File descriptor 1 is pointed at stderr for the block, so a C library's banner (HiGHS
    prints one) cannot corrupt ``--format json``; Python's `sys.stdout`, which the renderer
    writes to, keeps the original stdout. A no-op when stdout is not a real file (tests).

    Yields
    ------
    None
        Nothing; stdout is restored when the block ends.
    """
    try:
        fd = sys.stdout.fileno()
        err = sys.stderr.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        yield
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    os.dup2(err, fd)
    original = sys.stdout
    sys.stdout = open(  # noqa: SIM115  (closed below, after fd 1 is restored)
        saved, "w", encoding=original.encoding, errors=original.errors, closefd=False
    )
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, fd)
        sys.stdout.close()
        os.close(saved)
        sys.stdout = original


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
    from graph_engine.outputs import dumps_json

    if fmt == "json":
        typer.echo(dumps_json(result), nl=False)  # JSON escapes control characters itself
    elif fmt == "csv":
        text = _csv(result)
        typer.echo(safe(text) if sys.stdout.isatty() else text, nl=False)
    else:
        _print_tables(result, title)


def write(result: Result, path: Path) -> None:
    """Write `result`, every part of it, to `path` and say on stderr what was written.

    Parameters
    ----------
    result
        A frame, or a report: one JSON document or workbook, or else its first table at
        `path` and each other part beside it (`graph_engine.outputs.write_result`).
    path
        The file to write; its extension gives the format.
    """
    from graph_engine.outputs import write_result

    first, *others = write_result(result, path)
    echo(
        f"wrote {first}" + (f" (and {', '.join(str(p) for p in others)})" if others else ""),
        err=True,
    )


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
    from rich.console import Console
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
    from rich.console import Console

    with Console(stderr=True).status(text):
        yield


def _csv(result: Result) -> str:
    """One rectangular table: a report's first table (or its figures as one row)."""
    import polars as pl

    from graph_engine.outputs import figures_row, report_parts

    if isinstance(result, pl.DataFrame):
        return _frame_csv(result)
    figures, tables = report_parts(result)
    if not tables:
        return _frame_csv(figures_row(figures))
    name, first = next(iter(tables.items()))
    if len(tables) > 1 or figures:
        echo(f"note: printed the {name} table; --output FILE.csv writes every part", err=True)
    return _frame_csv(first)


def _frame_csv(frame: pl.DataFrame) -> str:

    from graph_engine.outputs import flat_columns

    buf = io.StringIO()
    flat_columns(frame).write_csv(buf)
    return buf.getvalue()


def _print_tables(result: Result, title: str | None) -> None:
    import polars as pl
    from rich.console import Console
    from rich.table import Table

    from graph_engine.outputs import display, report_parts
    from graph_engine.schema import column_kind

    # a terminal's width, or COLUMNS; 160 when printing into a file or a pipe
    wide = sys.stdout.isatty() or os.environ.get("COLUMNS", "").isdigit()
    console = Console(soft_wrap=False, width=None if wide else 160)
    if isinstance(result, pl.DataFrame):
        console.print(_table(result, title, console.width))
        return
    if title:
        console.print(_text(title, style="bold"))
    figures, tables = report_parts(result)
    nested = {k: v for k, v in figures.items() if isinstance(v, dict) and v}
    scalars = {k: v for k, v in figures.items() if k not in nested}
    if scalars:
        grid = Table(show_header=False, box=None, pad_edge=False)
        for k, v in scalars.items():
            grid.add_row(_text(k, style="bold"), _text(display(v, column_kind(k))))
        console.print(grid)
    # a dict of figures (parameters, constraints) is a two-column table before the others
    shown = {
        key: pl.DataFrame(
            {"key": list(group), "value": [display(v, column_kind(k)) for k, v in group.items()]}
        )
        for key, group in nested.items()
    }
    for key, frame in {**shown, **tables}.items():
        console.print()
        console.print(_table(frame, key, console.width, heading=key.replace("_", " ")))


def _text(value: str, *, style: str = "") -> Text:
    """Wrap data as literal text: never parsed as rich markup (`[/]` is an id, not a tag)."""
    from rich.text import Text

    return Text(safe(value), style=style)


def _table(
    frame: pl.DataFrame, name: str | None, width: int, *, heading: str | None = None
) -> Table:
    """Draw the first rows as a rich table, cells shown by column meaning, fitted to `width`.

    Columns that do not fit are left out (the leading ids and handles are always kept)
    and named in the caption; nothing is cut inside a header or a cell.
    """
    from rich.table import Table

    from graph_engine.outputs import display
    from graph_engine.schema import column_kind

    kinds = [column_kind(c, name) for c in frame.columns]
    head = frame.head(_MAX_ROWS)
    cells = [
        [display(v, k) for v in head[c].to_list()]
        for c, k in zip(frame.columns, kinds, strict=True)
    ]
    need = [max([len(c), *map(len, col)]) + 3 for c, col in zip(frame.columns, cells, strict=True)]
    keep: list[int] = []
    used = 1
    leading = next((j for j, k in enumerate(kinds) if k != "id"), len(kinds))
    for j, w in enumerate(need):  # the leading ids always; then what fits, left to right
        if used + w <= width or j < max(leading, 1):
            keep.append(j)
            used += w
    table = Table(
        title=_text(heading or name or "") if heading or name else None,
        title_justify="left",
        header_style="bold",
    )
    for j in keep:
        numeric = frame.dtypes[j].is_numeric() and kinds[j] != "id"
        table.add_column(
            _text(frame.columns[j]), justify="right" if numeric else "left", no_wrap=True
        )
    for i in range(head.height):
        table.add_row(*(_text(cells[j][i]) for j in keep))
    notes = []
    if frame.height > _MAX_ROWS:
        notes.append(f"{frame.height - _MAX_ROWS} more rows")
    if len(keep) < frame.width:
        hidden = [c for j, c in enumerate(frame.columns) if j not in keep]
        notes.append(f"{len(hidden)} columns not shown ({', '.join(hidden)})")
    if notes:
        table.caption = "; ".join(notes) + " (use --output or --format csv)"
    return table
