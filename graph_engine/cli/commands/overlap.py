"""`graph-engine overlap`, `audience` and `similar`: how much audiences overlap."""

from __future__ import annotations

from itertools import chain
from pathlib import Path
from typing import Annotated

import typer

from graph_engine._defaults import default_of
from graph_engine.cli._options import (
    SPARK_MASTER,
    ByOpt,
    CreatorsFileOpt,
    CreatorsOpt,
    EngineOpt,
    ExcludeAudienceOfOpt,
    ExcludeFollowersOpt,
    FollowersWhereOpt,
    Format,
    FormatOpt,
    MaxFollowersOpt,
    MinFollowersOpt,
    OutputOpt,
    ReachRateOpt,
    SparkConfOpt,
    SparkMasterOpt,
    StoreArg,
    TierOpt,
    embedded_only,
    exclusion,
    load_graph,
    reach_rate,
    spark_of,
)
from graph_engine.cli._render import echo, progress_bar, render, status, write
from graph_engine.errors import ParameterError
from graph_engine.vocab import Metric, SimilarBy

__all__ = ["audience", "overlap", "register", "similar"]


def overlap(
    store: StoreArg,
    creators: CreatorsOpt = None,
    creators_file: CreatorsFileOpt = None,
    tier: TierOpt = None,
    min_followers: MinFollowersOpt = None,
    max_followers: MaxFollowersOpt = None,
    exclude_audience_of: ExcludeAudienceOfOpt = None,
    exclude_followers: ExcludeFollowersOpt = None,
    followers_where: FollowersWhereOpt = None,
    min_shared: Annotated[
        int, typer.Option(help="Only pairs sharing at least N followers.")
    ] = default_of("graph_engine.overlap:compute_overlap", "min_shared"),
    min_jaccard: Annotated[
        float, typer.Option(help="Only pairs with Jaccard at least J.")
    ] = default_of("graph_engine.overlap:compute_overlap", "min_jaccard"),
    top_k: Annotated[
        int | None, typer.Option(help="Keep each creator's K strongest partners (by --by).")
    ] = default_of("graph_engine.overlap:compute_overlap", "top_k"),
    by: ByOpt = default_of("graph_engine.overlap:compute_overlap", "by"),
    limit: Annotated[int, typer.Option(help="Pairs to show in a terminal table.")] = 20,
    engine: EngineOpt = "embedded",
    spark_master: SparkMasterOpt = SPARK_MASTER,
    spark_conf: SparkConfOpt = None,
    output: OutputOpt = None,
    format: FormatOpt = "table",
) -> None:
    """Pairwise follower overlap of creators (exact, streamed to --output)."""
    import polars as pl

    from graph_engine import overlap as ov
    from graph_engine.outputs import write_frames

    if limit < 1:
        raise ParameterError(f"`--limit` must be at least 1 (pairs shown), got {limit}")
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
            top_k=top_k,
        )
        _spark_overlap(store, min_shared, min_jaccard, by, limit, spark_master, spark_conf,
                       output, format)  # fmt: skip
        return
    exclude = exclusion(exclude_audience_of, exclude_followers, followers_where)
    graph = load_graph(store, creators, creators_file, tier, min_followers, max_followers, exclude)
    for note in graph.filters:
        echo(f"note: {note}", err=True)
    bound = ov.pair_bound(graph, top_k=top_k)
    if bound > ov.LARGE_RESULT:
        held = " and held in memory" if output is None and format != "table" else ""
        echo(
            f"warning: up to {bound:,} pairs of {graph.n_creators:,} creators will be computed"
            f"{held}; hint: narrow it with --min-followers N, --tier, --creators or --top-k K",
            err=True,
        )
    with progress_bar("overlap") as progress:
        blocks = ov.overlap_blocks(
            graph,
            min_shared=min_shared,
            min_jaccard=min_jaccard,
            top_k=top_k,
            by=by,
            progress=progress,
        )
        if output is not None and output.suffix.lower() in (".gexf", ".graphml"):
            from graph_engine.network import write_network

            pairs = pl.concat([ov.empty_pairs(graph), *blocks])
            write_network(graph, pairs, output)
            echo(
                f"wrote the overlap network of {graph.n_creators:,} creators to {output}", err=True
            )
            return
        if output is not None:
            n = write_frames(blocks, output, empty=ov.empty_pairs(graph))
            echo(f"wrote {n:,} pairs to {output}", err=True)
            return
        if format == "table":  # memory holds the shown pairs, not every pair
            strongest, n_pairs = ov.strongest_pairs(
                chain([ov.empty_pairs(graph)], blocks), limit, by=by
            )
        else:
            pairs = pl.concat([ov.empty_pairs(graph), *blocks])
    if format == "table":
        render(
            {"pairs": n_pairs, "creators": graph.n_creators, "strongest": strongest},
            format,
            title=f"overlap, strongest {strongest.height} pairs by {by}",
        )
    else:
        render(pairs, format)


def _spark_overlap(
    store: Path,
    min_shared: int,
    min_jaccard: float,
    by: Metric,
    limit: int,
    master: str,
    conf: list[str] | None,
    output: Path | None,
    format: Format,
) -> None:
    """`overlap --engine spark`: Spark counts; a Parquet dataset, or the pairs shown."""
    from graph_engine import overlap as ov
    from graph_engine.spark import spark_overlap

    if output is not None and output.suffix.lower() != ".parquet":
        raise ParameterError(
            f"with --engine spark the pairs are a Parquet dataset written by Spark, got "
            f"{output.name!r}; hint: --output pairs.parquet (a folder of part files)"
        )
    spark = spark_of(master, conf)
    with status("overlap on Spark ..."):
        found = spark_overlap(
            store, spark=spark, min_shared=min_shared, min_jaccard=min_jaccard, output=output
        )
    if isinstance(found, int):
        echo(f"wrote {found:,} pairs to {output} (a Parquet dataset written by Spark)", err=True)
    elif format == "table":
        strongest, n_pairs = ov.strongest_pairs(iter([found]), limit, by=by)
        render(
            {"pairs": n_pairs, "strongest": strongest},
            format,
            title=f"overlap on Spark, strongest {strongest.height} pairs by {by}",
        )
    else:
        render(found, format)


def audience(
    store: StoreArg,
    creator_ids: Annotated[
        list[str] | None, typer.Argument(help="Creator ids of the list.", show_default=False)
    ] = None,
    creators_file: CreatorsFileOpt = None,
    exclude_audience_of: ExcludeAudienceOfOpt = None,
    exclude_followers: ExcludeFollowersOpt = None,
    followers_where: FollowersWhereOpt = None,
    rate: ReachRateOpt = None,
    posts: Annotated[int, typer.Option(help="Posts per creator, with --reach-rate.")] = (
        default_of("graph_engine.selection.select:select_creators", "posts")
    ),
    affinity_to: Annotated[
        str | None,
        typer.Option(
            help="A brand's own accounts (comma-separated ids or handles): rank the list by "
            "affinity to their audience (100 = average).",
        ),
    ] = None,
    plot: Annotated[
        Path | None,
        typer.Option(
            help="Draw heatmap.png, venn.png (2-3 creators) or upset.png (4-15) and "
            "frequency.png into this folder.",
        ),
    ] = None,
    engine: EngineOpt = "embedded",
    spark_master: SparkMasterOpt = SPARK_MASTER,
    spark_conf: SparkConfOpt = None,
    output: OutputOpt = None,
    format: FormatOpt = "table",
) -> None:
    """Reach report of a list of creators: reach, duplication, exclusive followers."""
    from graph_engine.audience import audience_report
    from graph_engine.exposure import Exposure
    from graph_engine.graph import read_population, read_store
    from graph_engine.readers import read_id_list

    listed = read_id_list(creators_file, "`--creators-file`") if creators_file else []
    ids = list(creator_ids or []) + listed
    if not ids:
        raise ParameterError("no creators given; hint: `graph-engine audience STORE ID ID ...`")
    if engine == "spark":
        embedded_only(
            engine,
            exclude_audience_of=exclude_audience_of,
            exclude_followers=exclude_followers,
            followers_where=followers_where,
            reach_rate=rate,
            affinity_to=affinity_to,
            plot=plot,
        )
        from graph_engine.spark import spark_audience

        spark = spark_of(spark_master, spark_conf)
        with status("audience on Spark ..."):
            report = spark_audience(store, ids, spark=spark).to_dict()
        if output is not None:
            write(report, output)
        else:
            render(report, format, title="audience of the list (Spark)")
        return
    per_post = reach_rate(rate)
    if per_post is None and posts != 1:
        raise ParameterError("`--posts` needs `--reach-rate`; hint: --reach-rate 0.3 --posts 2")
    exposure = None if per_post is None else Exposure(per_post, posts)
    brand = [b.strip() for b in (affinity_to or "").split(",") if b.strip()]
    if affinity_to is not None and not brand:
        raise ParameterError("`--affinity-to` names no creator")
    exclude = exclusion(exclude_audience_of, exclude_followers, followers_where)
    # read only the listed (and brand) creators' edges: time follows the list, not the store
    graph = read_store(store, creators=ids + brand, exclude=exclude)
    for note in graph.filters:
        echo(f"note: {note}", err=True)
    found = audience_report(
        graph,
        ids,
        exposure=exposure,
        affinity_to=brand,
        population=read_population(store, exclude=exclude) if brand else None,
    )
    if plot is not None:
        from graph_engine.plots import plot_shortlist

        with status("drawing ..."):
            drawn = plot_shortlist(graph, found, plot)
        echo(f"wrote {', '.join(str(p) for p in drawn)}", err=True)
    report = found.to_dict()
    if output is not None:
        write(report, output)  # every part: one JSON, one workbook, or a file per part
    else:
        render(report, format, title="audience of the list")


def similar(
    store: StoreArg,
    creator: Annotated[str, typer.Argument(help="The creator to find look-alikes for.")],
    top_k: Annotated[int, typer.Option(help="How many similar creators.")] = default_of(
        "graph_engine.overlap:similar_creators", "top_k"
    ),
    by: Annotated[
        SimilarBy,
        typer.Option(
            "--by", help="Rank by a pair metric, or by affinity to the creator's audience."
        ),
    ] = default_of("graph_engine.overlap:similar_creators", "by"),
    min_shared: Annotated[
        int | None,
        typer.Option(
            help="Only creators sharing at least N followers (default 1; 30 by affinity)."
        ),
    ] = default_of("graph_engine.overlap:similar_creators", "min_shared"),
    exclude_audience_of: ExcludeAudienceOfOpt = None,
    exclude_followers: ExcludeFollowersOpt = None,
    followers_where: FollowersWhereOpt = None,
    output: OutputOpt = None,
    format: FormatOpt = "table",
) -> None:
    """Creators whose audiences are most like one creator's."""
    from graph_engine.overlap import similar_creators

    exclude = exclusion(exclude_audience_of, exclude_followers, followers_where)
    # counts only the edges of the creator's followers: no graph is loaded
    result = similar_creators(
        store, creator, top_k=top_k, by=by, min_shared=min_shared, exclude=exclude
    )
    if exclude:
        echo(f"note: {exclude.describe()}", err=True)
    if output is not None:
        write(result, output)
    else:
        render(result, format, title=f"creators most similar to {creator} by {by}")


def register(app: typer.Typer) -> None:
    """Add the commands to `app`.

    Parameters
    ----------
    app
        The graph-engine typer application.
    """
    app.command()(overlap)
    app.command()(audience)
    app.command()(similar)
