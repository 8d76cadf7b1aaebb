"""`graph-engine generate`: a seeded synthetic graph with planted niches, as input files."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from graph_engine.cli._options import Format, FormatOpt, SeedOpt
from graph_engine.cli._render import render
from graph_engine.synth import generate_graph


class FileFormat(StrEnum):
    parquet = "parquet"
    csv = "csv"


def generate(
    out: Annotated[Path, typer.Option("--out", help="Directory to write edges and creators to.")],
    creators: Annotated[int, typer.Option(help="Number of creators.")] = 1_000,
    followers: Annotated[int, typer.Option(help="Number of followers.")] = 100_000,
    edges: Annotated[int, typer.Option(help="Target number of follows.")] = 500_000,
    niches: Annotated[int, typer.Option(help="Number of planted audience niches.")] = 10,
    mixing: Annotated[float, typer.Option(help="Share of follows outside the niche (0-1).")] = 0.1,
    seed: SeedOpt = 0,
    file_format: Annotated[
        FileFormat, typer.Option(help="Edge file format: parquet or csv.")
    ] = FileFormat.parquet,
    format: FormatOpt = Format.table,
) -> None:
    """Write a synthetic graph (edges + creators metadata with planted niches)."""
    graph = generate_graph(
        out,
        n_creators=creators,
        n_followers=followers,
        n_edges=edges,
        n_niches=niches,
        mixing=mixing,
        seed=seed,
        format=file_format.value,
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
    app.command()(generate)
