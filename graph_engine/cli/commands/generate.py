"""`graph-engine generate`: a seeded synthetic graph with planted niches, as input files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from graph_engine._defaults import default_of
from graph_engine.cli._options import FormatOpt, SeedOpt
from graph_engine.cli._render import render
from graph_engine.vocab import SynthFormat

__all__ = ["generate", "register"]


def generate(
    out: Annotated[Path, typer.Option("--out", help="Directory to write edges and creators to.")],
    creators: Annotated[int, typer.Option(help="Number of creators.")] = default_of(
        "graph_engine.synth:generate_graph", "n_creators"
    ),
    followers: Annotated[int, typer.Option(help="Number of followers.")] = default_of(
        "graph_engine.synth:generate_graph", "n_followers"
    ),
    edges: Annotated[int, typer.Option(help="Target number of follows.")] = default_of(
        "graph_engine.synth:generate_graph", "n_edges"
    ),
    niches: Annotated[int, typer.Option(help="Number of planted audience niches.")] = default_of(
        "graph_engine.synth:generate_graph", "n_niches"
    ),
    mixing: Annotated[
        float, typer.Option(help="Share of follows outside the niche (0-1).")
    ] = default_of("graph_engine.synth:generate_graph", "mixing"),
    seed: SeedOpt = default_of("graph_engine.synth:generate_graph", "seed"),
    file_format: Annotated[
        SynthFormat, typer.Option(help="Edge file format: parquet or csv.")
    ] = default_of("graph_engine.synth:generate_graph", "format"),
    format: FormatOpt = "table",
) -> None:
    """Write a synthetic graph (edges + creators metadata with planted niches)."""
    from graph_engine.synth import generate_graph

    graph = generate_graph(
        out,
        n_creators=creators,
        n_followers=followers,
        n_edges=edges,
        n_niches=niches,
        mixing=mixing,
        seed=seed,
        format=file_format,
    )
    render(
        {
            "edges_file": str(graph.edges_path),
            "creators_file": str(graph.creators_path),
            "creators": graph.n_creators,
            "followers": graph.n_followers,
            "edges": graph.n_edges,
        },
        format,
        title="generated",
    )


def register(app: typer.Typer) -> None:
    """Add the command to `app`.

    Parameters
    ----------
    app
        The graph-engine typer application.
    """
    app.command()(generate)
