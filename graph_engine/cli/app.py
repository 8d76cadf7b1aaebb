"""The typer application: its commands, loaded lazily, and its single error boundary.

``graph-engine --help`` lists every command from `COMMANDS` and the first docstring line
of each command's function, read from its source without importing it; a command's module
(and the library it needs) is imported only when that command runs or shows its help.
"""

from __future__ import annotations

import ast
import atexit
import gc
import importlib
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from graph_engine._version import __version__
from graph_engine.errors import GraphEngineError

__all__ = ["COMMANDS", "app", "main"]

# command -> (module in graph_engine.cli.commands, function), in the order --help lists them
COMMANDS: dict[str, tuple[str, str]] = {
    "ingest": ("ingest", "ingest_command"),
    "info": ("info", "info"),
    "creators": ("info", "creators"),
    "versions": ("versions", "versions"),
    "verify": ("versions", "verify_store"),
    "restore": ("versions", "restore_version"),
    "overlap": ("overlap", "overlap"),
    "audience": ("overlap", "audience"),
    "similar": ("overlap", "similar"),
    "communities": ("communities", "communities"),
    "select": ("select", "select"),
    "run": ("run", "run"),
    "report": ("report", "report"),
    "generate": ("generate", "generate"),
}


_SETTINGS: dict[str, Any] = {"pretty_exceptions_enable": False, "rich_markup_mode": None}


@cache
def _load(name: str) -> Any:
    """Import one command's module and build its click command."""
    module = importlib.import_module(f"graph_engine.cli.commands.{COMMANDS[name][0]}")
    commands = typer.Typer(**_SETTINGS)
    module.register(commands)
    group = typer.main.get_group(commands)
    return group.commands[name]


def _short_help(name: str) -> str:
    """Return the first docstring line of a command's function, parsed from its source."""
    module, function = COMMANDS[name]
    source = Path(__file__).with_name("commands") / f"{module}.py"
    tree = ast.parse(source.read_text(encoding="utf-8"))
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function)
    return (ast.get_docstring(node) or "").split("\n")[0]


class _Group(TyperGroup):
    """Loads commands on demand; every `GraphEngineError` becomes one line and exit 1."""

    def list_commands(self, ctx: Any) -> list[str]:
        """Name every command without importing any."""
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """Import and build the named command only."""
        return _load(cmd_name) if cmd_name in COMMANDS else None

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """List the commands with their one-line help, importing none of them."""
        rows = [(name, _short_help(name)) for name in COMMANDS]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: Any) -> Any:
        """Run the command; a `GraphEngineError` becomes one line on stderr and exit 1."""
        from graph_engine.cli._render import results_on_stdout, safe  # polars: not for --help

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
    **_SETTINGS,
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


def main() -> None:
    """Run the command line (the ``graph-engine`` script and ``python -m graph_engine``)."""
    # A command's imports (polars, numpy) leave ~1M long-lived objects that the cyclic GC
    # walks again and again as they load and once more at exit: about 0.1 s of a 0.3 s
    # query. Young objects are collected less often (cycles are still freed, in batches
    # of at most 50,000 objects), and what is left is frozen before the interpreter exits.
    # (At exit only, and the threshold is restored: a caller in a longer process keeps
    # its own collector as it was.)
    threshold = gc.get_threshold()
    gc.set_threshold(50_000, 20, 100)
    atexit.unregister(gc.freeze)  # once, however often main() runs in one process
    atexit.register(gc.freeze)
    try:
        app(prog_name="graph-engine")
    finally:
        gc.set_threshold(*threshold)
