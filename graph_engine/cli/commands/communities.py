"""`graph-engine communities`: creators grouped by shared audience niches."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from graph_engine._defaults import default_of
from graph_engine.cli._options import (
    SPARK_MASTER,
    CreatorsFileOpt,
    CreatorsOpt,
    EngineOpt,
    ExcludeAudienceOfOpt,
    ExcludeFollowersOpt,
    FollowersWhereOpt,
    FormatOpt,
    MaxFollowersOpt,
    MinFollowersOpt,
    OutputOpt,
    SeedOpt,
    SparkConfOpt,
    SparkMasterOpt,
    StoreArg,
    TierOpt,
    embedded_only,
    exclusion,
    load_graph,
    spark_of,
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
    engine: EngineOpt = "embedded",
    spark_master: SparkMasterOpt = SPARK_MASTER,
    spark_conf: SparkConfOpt = None,
    output: OutputOpt = None,
    format: FormatOpt = "table",
) -> None:
    """Find communities of creators sharing audiences (Leiden or Louvain)."""
    options: dict[str, Any] = {
        "method": method,
        "weight": weight,
        "min_weight": min_weight,
        "resolution": resolution,
        "seed": seed,
    }
    if engine == "spark":
        embedded_only(
            engine,
            creators=creators,
            creators_file=creators_file,
            tier=tier,
            min_followers=min_followers,
            max_followers=max_followers,
            exclude_audience_of=exclude_audience_of,
            exclude_followers=exclude_followers,
            followers_where=followers_where,
        )
        from graph_engine.spark import spark_communities

        spark = spark_of(spark_master, spark_conf)
        with status("finding communities, overlap on Spark ..."):
            found = spark_communities(store, spark=spark, **options)
    else:
        from graph_engine.communities import detect_communities

        exclude = exclusion(exclude_audience_of, exclude_followers, followers_where)
        choice = (creators, creators_file, tier, min_followers, max_followers)
        graph = load_graph(store, *choice, exclude)
        with status("finding communities ..."):
            found = detect_communities(graph, **options)
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
