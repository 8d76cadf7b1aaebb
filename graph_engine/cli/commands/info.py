"""`graph-engine info`: what a store holds."""

from __future__ import annotations

import typer

from graph_engine.cli._options import FormatOpt, StoreArg
from graph_engine.cli._render import render

__all__ = ["info", "register"]


def info(store: StoreArg, format: FormatOpt = "table") -> None:
    """Show the counts, tiers, degree percentiles, sources and rejected rows of a store."""
    from graph_engine.reports import summarize_store

    render(summarize_store(store), format, title=f"store {store}")


def register(app: typer.Typer) -> None:
    """Add the command to `app`.

    Parameters
    ----------
    app
        The graph-engine typer application.
    """
    app.command()(info)
