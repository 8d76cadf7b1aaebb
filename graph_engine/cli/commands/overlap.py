"""`graph-engine overlap`, `audience` and `similar`: how much audiences overlap."""

from __future__ import annotations

from typing import Annotated

import polars as pl
import typer

from graph_engine.cli._options import (
    ByOpt,
    CreatorsFileOpt,
    CreatorsOpt,
    Format,
    FormatOpt,
    MaxFollowersOpt,
    MetricChoice,
    MinFollowersOpt,
    OutputOpt,
    StoreArg,
    TierOpt,
    load_graph,
    read_id_file,
)
from graph_engine.cli._render import progress_bar, render, write
from graph_engine.errors import ParameterError
from graph_engine.overlap import (
    audience_report,
    empty_pairs,
    overlap_blocks,
    similar_creators,
)
from graph_engine.reports import write_frames


def overlap(
    store: StoreArg,
    creators: CreatorsOpt = None,
    creators_file: CreatorsFileOpt = None,
    tier: TierOpt = None,
    min_followers: MinFollowersOpt = None,
    max_followers: MaxFollowersOpt = None,
    min_shared: Annotated[int, typer.Option(help="Only pairs sharing at least N followers.")] = 1,
    min_jaccard: Annotated[float, typer.Option(help="Only pairs with Jaccard at least J.")] = 0.0,
    top_k: Annotated[
        int | None, typer.Option(help="Keep each creator's K strongest partners (by --by).")
    ] = None,
    by: ByOpt = MetricChoice.jaccard,
    limit: Annotated[int, typer.Option(help="Pairs to show in a terminal table.")] = 20,
    output: OutputOpt = None,
    format: FormatOpt = Format.table,
) -> None:
    """Pairwise follower overlap of creators (exact, streamed to --output)."""
    graph = load_graph(store, creators, creators_file, tier, min_followers, max_followers)
    with progress_bar("overlap") as progress:
        blocks = overlap_blocks(
            graph,
            min_shared=min_shared,
            min_jaccard=min_jaccard,
            top_k=top_k,
            by=by.value,
            progress=progress,
        )
        if output is not None:
            n = write_frames(blocks, output, empty=empty_pairs(graph))
            typer.echo(f"wrote {n:,} pairs to {output}", err=True)
            return
        pairs = pl.concat([empty_pairs(graph), *blocks])
    if format is Format.table:
        strongest = pairs.sort([by.value, "shared"], descending=True).head(limit)
        render(
            {"pairs": pairs.height, "creators": graph.n_creators, "strongest": strongest},
            format,
            title=f"overlap, strongest {min(limit, pairs.height)} pairs by {by.value}",
        )
    else:
        render(pairs, format)


def audience(
    store: StoreArg,
    creator_ids: Annotated[
        list[str] | None, typer.Argument(help="Creator ids of the list.", show_default=False)
    ] = None,
    creators_file: CreatorsFileOpt = None,
    output: OutputOpt = None,
    format: FormatOpt = Format.table,
) -> None:
    """Reach report of a list of creators: reach, duplication, exclusive followers."""
    ids = list(creator_ids or []) + (read_id_file(creators_file) if creators_file else [])
    if not ids:
        raise ParameterError("no creators given; hint: `graph-engine audience STORE ID ID ...`")
    report = audience_report(load_graph(store), ids).to_dict()
    if output is not None:
        write(report["creators"] if output.suffix.lower() != ".json" else report, output)
    else:
        render(report, format, title="audience of the list")


def similar(
    store: StoreArg,
    creator: Annotated[str, typer.Argument(help="The creator to find look-alikes for.")],
    top_k: Annotated[int, typer.Option(help="How many similar creators.")] = 10,
    by: ByOpt = MetricChoice.jaccard,
    output: OutputOpt = None,
    format: FormatOpt = Format.table,
) -> None:
    """Creators whose audiences are most like one creator's."""
    result = similar_creators(load_graph(store), creator, top_k=top_k, by=by.value)
    if output is not None:
        write(result, output)
    else:
        render(result, format, title=f"creators most similar to {creator} by {by.value}")


def register(app: typer.Typer) -> None:
    app.command()(overlap)
    app.command()(audience)
    app.command()(similar)
