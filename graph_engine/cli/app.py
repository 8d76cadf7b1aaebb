"""The typer application and its single error boundary."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from graph_engine._version import __version__
from graph_engine.cli._render import results_on_stdout, safe
from graph_engine.errors import GraphEngineError

__all__ = ["app", "main"]
from graph_engine.cli.commands import (
    communities,
    generate,
    info,
    ingest,
    overlap,
    run,
    select,
    versions,
)


class _Group(TyperGroup):
    """Turns every `GraphEngineError` into one line on stderr and exit code 1."""

    def invoke(self, ctx: Any) -> Any:
        """Run the command; a `GraphEngineError` becomes one line on stderr and exit 1."""
        try:
            with results_on_stdout():
                return super().invoke(ctx)
        except GraphEngineError as exc:
            typer.secho(safe(f"error: {exc}"), err=True, fg="red")
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=_Group,
    name="graph-engine",
    help="Audience-overlap graph analytics: overlap, unique reach, communities, selection.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"graph-engine {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = None,
) -> None:
    """Audience-overlap graph analytics: overlap, unique reach, communities, selection."""


for module in (ingest, info, versions, overlap, communities, select, run, generate):
    module.register(app)


def main() -> None:
    """Run the command line (the ``graph-engine`` script and ``python -m graph_engine``)."""
    app(prog_name="graph-engine")
