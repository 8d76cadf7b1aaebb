"""`graph-engine report RUN_DIR`: the self-contained HTML report of a run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from graph_engine.cli._options import FormatOpt
from graph_engine.cli._render import render

__all__ = ["register", "report"]


def report(
    run_dir: Annotated[Path, typer.Argument(help="A folder written by `graph-engine run`.")],
    format: FormatOpt = "table",
) -> None:
    """Write report.html into a run folder: the plan, picks, charts; opens offline."""
    from graph_engine.run_report import write_report

    render({"report": str(write_report(run_dir))}, format, title="wrote")


def register(app: typer.Typer) -> None:
    """Add the command to `app`.

    Parameters
    ----------
    app
        The graph-engine typer application.
    """
    app.command()(report)
