"""`graph-engine info`: what a store holds."""

from __future__ import annotations

import typer

from graph_engine.cli._options import Format, FormatOpt, StoreArg
from graph_engine.cli._render import render
from graph_engine.reports import summarize_store


def info(store: StoreArg, format: FormatOpt = Format.table) -> None:
    """Counts, tiers, degree percentiles, sources and rejected rows of a store."""
    render(summarize_store(store), format, title=f"store {store}")


def register(app: typer.Typer) -> None:
    app.command()(info)
