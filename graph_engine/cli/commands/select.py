"""`graph-engine select`: the fewest, cheapest creators for the most unique reach."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

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
from graph_engine.cli._render import echo, render, status, write
from graph_engine.errors import ParameterError
from graph_engine.vocab import Method, Minimize

if TYPE_CHECKING:
    import polars as pl

    from graph_engine.selection import Selection

__all__ = ["communities_source", "parse_prices", "register", "select"]


def _ids(text: str | None) -> list[str]:
    return [t.strip() for t in (text or "").split(",") if t.strip()]


def parse_prices(text: str | None) -> dict[str, float] | None:
    """Parse ``'nano=10,micro=120'`` into ``{'nano': 10.0, 'micro': 120.0}``.

    Parameters
    ----------
    text
        Comma-separated tier=price pairs, or None.

    Returns
    -------
    dict or None
        Price per post by tier; None when `text` is empty.
    """
    if not text:
        return None
    prices = {}
    for item in text.split(","):
        tier, _, value = item.partition("=")
        try:
            prices[tier.strip()] = float(value)
        except ValueError:
            raise ParameterError(
                f"`--price` takes tier=price pairs, got {item!r}; hint: --price nano=10,micro=120"
            ) from None
    return prices


def communities_source(text: str | None) -> str | pl.DataFrame | None:
    """Read `--communities`: a creators column name, or a `communities --output` file.

    Parameters
    ----------
    text
        The option's value, or None.

    Returns
    -------
    str or polars.DataFrame or None
        The column name, or the membership (`creator_id`, `community`) read from the file.
    """
    import polars as pl

    if text is None:
        return None
    path = Path(text)
    if path.suffix.lower() in (".parquet", ".csv") and path.is_file():
        frame = pl.read_parquet(path) if path.suffix.lower() == ".parquet" else pl.read_csv(path)
        return frame.select(pl.col("creator_id").cast(pl.String), "community")
    return text


def select(
    store: StoreArg,
    count: Annotated[int | None, typer.Option(help="Pick at most N creators.")] = None,
    budget: Annotated[float | None, typer.Option(help="Spend at most this much in total.")] = None,
    target_reach: Annotated[
        float | None, typer.Option(help="Reach this share (0-1] of the eligible audience.")
    ] = None,
    minimize: Annotated[
        Minimize, typer.Option(help="With --target-reach: minimise cost or count.")
    ] = default_of("graph_engine.selection.select:select_creators", "minimize"),
    creators: CreatorsOpt = None,
    creators_file: CreatorsFileOpt = None,
    tier: TierOpt = None,
    min_followers: MinFollowersOpt = None,
    max_followers: MaxFollowersOpt = None,
    exclude_audience_of: ExcludeAudienceOfOpt = None,
    exclude_followers: ExcludeFollowersOpt = None,
    followers_where: FollowersWhereOpt = None,
    must_include: Annotated[
        str | None, typer.Option(help="Comma-separated creator ids to always pick.")
    ] = None,
    must_exclude: Annotated[
        str | None, typer.Option(help="Comma-separated creator ids never to pick.")
    ] = None,
    min_engagement: Annotated[
        float | None, typer.Option(help="Only creators with engagement_rate at least this.")
    ] = None,
    communities: Annotated[
        str | None,
        typer.Option(help="Creators column (e.g. niche) or a `communities --output` file."),
    ] = None,
    max_per_community: Annotated[
        int | None, typer.Option(help="At most N creators per community.")
    ] = None,
    price: Annotated[
        str | None, typer.Option(help="Price per post by tier when there is no cost column.")
    ] = None,
    posts: Annotated[int, typer.Option(help="Posts bought from each creator.")] = default_of(
        "graph_engine.selection.select:select_creators", "posts"
    ),
    rate: ReachRateOpt = None,
    overhead: Annotated[float, typer.Option(help="Fixed cost per creator hired.")] = default_of(
        "graph_engine.selection.select:select_creators", "overhead"
    ),
    weight: Annotated[
        str | None, typer.Option(help="Followers column to weigh followers by.")
    ] = None,
    max_following: Annotated[
        int | None, typer.Option(help="Ignore followers following more than N creators.")
    ] = None,
    method: Annotated[
        Method, typer.Option(help="auto, greedy, exact (HiGHS) or plain-greedy.")
    ] = default_of("graph_engine.selection.select:select_creators", "method"),
    time_limit: Annotated[
        float,
        typer.Option(
            help="Wall-clock seconds for the whole selection (bounds and solver included)."
        ),
    ] = default_of("graph_engine.selection.select:select_creators", "time_limit"),
    currency: Annotated[
        str, typer.Option(help="Currency of the costs: a symbol ($, €) or a code (EUR).")
    ] = default_of("graph_engine.selection.select:select_creators", "currency"),
    engine: EngineOpt = "embedded",
    spark_master: SparkMasterOpt = SPARK_MASTER,
    spark_conf: SparkConfOpt = None,
    output: OutputOpt = None,
    format: FormatOpt = "table",
) -> None:
    """Choose creators for the most unique reach under a count, budget or target reach.

    With --reach-rate, for the most expected reach (each post reaches that share).
    """
    options: dict[str, Any] = {
        "count": count,
        "budget": budget,
        "target_reach": target_reach,
        "minimize": minimize,
        "must_include": _ids(must_include),
        "must_exclude": _ids(must_exclude),
        "min_engagement": min_engagement,
        "communities": communities_source(communities),
        "max_per_community": max_per_community,
        "price_by_tier": parse_prices(price),
        "posts": posts,
        "reach_rate": reach_rate(rate),
        "overhead": overhead,
        "weight": weight,
        "max_following": max_following,
        "method": method,
        "time_limit": time_limit,
        "currency": currency,
    }
    if engine == "spark":
        from graph_engine.spark import EMBEDDED_ONLY, spark_select

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
            **{name: options[name] for name in EMBEDDED_ONLY},
        )

        spark = spark_of(spark_master, spark_conf)
        with status("selecting creators on Spark ..."):
            selection = spark_select(store, spark=spark, **options)
        _show(selection, output, format)
        return
    from graph_engine.selection import select_creators

    exclude = exclusion(exclude_audience_of, exclude_followers, followers_where)
    graph = load_graph(store, creators, creators_file, tier, min_followers, max_followers, exclude)
    with status("selecting creators ..."):
        selection = select_creators(graph, **options)
    if exclude:  # reach is among the people not excluded; say how many are reached in all
        from dataclasses import replace

        from graph_engine.graph import read_reach

        picked = selection.picks["creator_id"].to_list()
        selection = replace(selection, total_reach=read_reach(store, picked))
    _show(selection, output, format)


def _show(selection: Selection, output: Path | None, format: Format) -> None:
    """Write the selection to `output` (every part kept) and print it."""
    result = selection.to_dict()
    if output is not None:
        write(result, output)  # picks at OUTPUT (or a workbook, or JSON), every part kept
    if format == "table":
        echo(selection.summary())
        for note in selection.notes:
            echo(f"note: {note}")
        render(selection.picks, format, title="picks")
    else:
        render(result, format)


def register(app: typer.Typer) -> None:
    """Add the command to `app`.

    Parameters
    ----------
    app
        The graph-engine typer application.
    """
    app.command()(select)
