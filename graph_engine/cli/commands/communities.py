"""`graph-engine communities`: creators grouped by shared audience niches."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from graph_engine.cli._options import (
    CreatorsFileOpt,
    CreatorsOpt,
    Format,
    FormatOpt,
    MaxFollowersOpt,
    MinFollowersOpt,
    OutputOpt,
    SeedOpt,
    StoreArg,
    TierOpt,
    load_graph,
)
from graph_engine.cli._render import render, status, write
from graph_engine.communities import detect_communities


class MethodChoice(StrEnum):
    leiden = "leiden"
    louvain = "louvain"


class WeightChoice(StrEnum):
    jaccard = "jaccard"
    shared = "shared"
    overlap_coefficient = "overlap_coefficient"


def communities(
    store: StoreArg,
    creators: CreatorsOpt = None,
    creators_file: CreatorsFileOpt = None,
    tier: TierOpt = None,
    min_followers: MinFollowersOpt = None,
    max_followers: MaxFollowersOpt = None,
    method: Annotated[MethodChoice, typer.Option(help="leiden or louvain.")] = MethodChoice.leiden,
    weight: Annotated[
        WeightChoice, typer.Option(help="Overlap metric used as edge weight.")
    ] = WeightChoice.jaccard,
    min_weight: Annotated[float, typer.Option(help="Drop creator pairs below this weight.")] = 0.0,
    resolution: Annotated[
        float, typer.Option(help="Modularity resolution (higher: smaller communities).")
    ] = 1.0,
    seed: SeedOpt = 0,
    output: OutputOpt = None,
    format: FormatOpt = Format.table,
) -> None:
    """Find communities of creators sharing audiences (Leiden or Louvain)."""
    graph = load_graph(store, creators, creators_file, tier, min_followers, max_followers)
    with status("finding communities ..."):
        found = detect_communities(
            graph,
            method=method.value,
            weight=weight.value,
            min_weight=min_weight,
            resolution=resolution,
            seed=seed,
        )
    if output is not None:
        write(found.membership, output)
        write(found.summary, output.with_name(f"{output.stem}.summary{output.suffix}"))
    render(
        found.to_dict() if format is not Format.csv else found.membership,
        format,
        title=f"{found.n_communities} communities, modularity {found.modularity:.4f}",
    )


def register(app: typer.Typer) -> None:
    app.command()(communities)
