"""`graph-engine info` and `creators`: what a store holds."""

from __future__ import annotations

from typing import Annotated

import typer

from graph_engine.cli._options import FormatOpt, OutputOpt, StoreArg, TierOpt
from graph_engine.cli._render import render, write

__all__ = ["creators", "info", "register"]


def info(store: StoreArg, output: OutputOpt = None, format: FormatOpt = "table") -> None:
    """Show the counts, tiers, degree percentiles, sources and rejected rows of a store."""
    from graph_engine.reports import summarize_store

    summary = summarize_store(store)
    if output is not None:
        write(summary, output)
    else:
        render(summary, format, title=f"store {store}")


def creators(
    store: StoreArg,
    search: Annotated[
        str | None,
        typer.Option(help="Only creators whose id, handle or other text contains TEXT."),
    ] = None,
    tier: TierOpt = None,
    output: OutputOpt = None,
    format: FormatOpt = "table",
) -> None:
    """List the creators of a store: id, handle, tier, observed followers and metadata."""
    from graph_engine.reports import list_creators

    result = list_creators(store, search=search, tiers=tier)
    if output is not None:
        write(result, output)
    else:
        render(result, format, title=f"{result.height:,} creators")


def register(app: typer.Typer) -> None:
    """Add the command to `app`.

    Parameters
    ----------
    app
        The graph-engine typer application.
    """
    app.command()(info)
    app.command()(creators)
