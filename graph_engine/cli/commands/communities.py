"""`graph-engine communities`: creators grouped by shared audience niches."""

from __future__ import annotations

from typing import Annotated

import typer

from graph_engine._defaults import default_of
from graph_engine.cli._options import (
    CreatorsFileOpt,
    CreatorsOpt,
    ExcludeAudienceOfOpt,
    ExcludeFollowersOpt,
    FollowersWhereOpt,
    FormatOpt,
    MaxFollowersOpt,
    MinFollowersOpt,
    OutputOpt,
    SeedOpt,
    StoreArg,
    TierOpt,
    exclusion,
    load_graph,
)
from graph_engine.cli._render import render, status, write
from graph_engine.vocab import CommunityMethod, Weight

__all__ = ["communities", "register"]


def communities(
    store: StoreArg,
    creators: CreatorsOpt = None,
    creators_file: CreatorsFileOpt = None,
    tier: TierOpt = None,
    min_followers: MinFollowersOpt = None,
    max_followers: MaxFollowersOpt = None,
    exclude_audience_of: ExcludeAudienceOfOpt = None,
    exclude_followers: ExcludeFollowersOpt = None,
    followers_where: FollowersWhereOpt = None,
    method: Annotated[CommunityMethod, typer.Option(help="leiden or louvain.")] = default_of(
        "graph_engine.communities:detect_communities", "method"
    ),
    weight: Annotated[Weight, typer.Option(help="Overlap metric used as edge weight.")] = (
        default_of("graph_engine.communities:detect_communities", "weight")
    ),
    min_weight: Annotated[float, typer.Option(help="Drop creator pairs below this weight.")] = (
        default_of("graph_engine.communities:detect_communities", "min_weight")
    ),
    resolution: Annotated[
        float, typer.Option(help="Modularity resolution (higher: smaller communities).")
    ] = default_of("graph_engine.communities:detect_communities", "resolution"),
    seed: SeedOpt = default_of("graph_engine.communities:detect_communities", "seed"),
    output: OutputOpt = None,
    format: FormatOpt = "table",
) -> None:
    """Find communities of creators sharing audiences (Leiden or Louvain)."""
    from graph_engine.communities import detect_communities

    exclude = exclusion(exclude_audience_of, exclude_followers, followers_where)
    graph = load_graph(store, creators, creators_file, tier, min_followers, max_followers, exclude)
    with status("finding communities ..."):
        found = detect_communities(
            graph,
            method=method,
            weight=weight,
            min_weight=min_weight,
            resolution=resolution,
            seed=seed,
        )
    report = found.to_dict()
    if output is not None:
        write(report, output)  # membership at OUTPUT, every other part beside it
    render(
        report,
        format,
        title=f"{found.n_communities} communities, modularity {found.modularity:.4f}",
    )


def register(app: typer.Typer) -> None:
    """Add the command to `app`.

    Parameters
    ----------
    app
        The graph-engine typer application.
    """
    app.command()(communities)
