"""`graph-engine run JOB.toml`: the batch pipeline."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from graph_engine.cli._options import FormatOpt
from graph_engine.cli._render import echo, render

__all__ = ["register", "run"]


def run(
    job: Annotated[Path, typer.Argument(help="Job file (TOML); see the README, 'Job files'.")],
    output_dir: Annotated[
        str | None, typer.Option(help="Write outputs here instead of the job's output.dir.")
    ] = None,
    format: FormatOpt = "table",
) -> None:
    """Run a batch job: ingest, overlap, communities, selection, plots, summary."""
    from graph_engine.pipeline import read_job, run_job

    spec = read_job(job, output_dir=output_dir)
    show = sys.stderr.isatty()

    def progress(stage: str) -> None:
        if show:
            typer.secho(f"· {stage}", err=True, fg="cyan")

    result = run_job(spec, progress=progress)
    if format != "table":
        render(result.summary, format)
        return
    sel = result.summary.get("selection")
    if sel:
        echo(sel["summary"])
        echo("picks: " + ", ".join(str(p) for p in sel["picks"]))
    if "communities" in result.summary:
        c = result.summary["communities"]
        typer.echo(f"communities: {c['n_communities']} (modularity {c['modularity']:.3f})")
    if "overlap" in result.summary:
        typer.echo(f"overlap: {result.summary['overlap']['pairs']:,} creator pairs share followers")
    echo(f"outputs: {spec.out_dir}")
    for name, path in result.summary["outputs"].items():
        echo(f"  {name:22s} {path}")


def register(app: typer.Typer) -> None:
    """Add the command to `app`.

    Parameters
    ----------
    app
        The graph-engine typer application.
    """
    app.command()(run)
