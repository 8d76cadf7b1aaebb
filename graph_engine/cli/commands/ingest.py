"""`graph-engine ingest`: edge files (+ creators metadata) into a versioned store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from graph_engine._defaults import default_of
from graph_engine.cli._options import FormatOpt
from graph_engine.cli._render import render, status
from graph_engine.errors import ParameterError
from graph_engine.vocab import Direction, EdgeFormat, IdSpace, WriteMode

__all__ = ["ingest_command", "parse_tiers", "register"]

_DEFAULT_TIERS = ",".join(map(str, default_of("graph_engine.ingestion:ingest", "tier_thresholds")))


def parse_tiers(text: str) -> tuple[int, int, int]:
    """Parse ``'1000,100000,1000000'`` into the lower bounds of micro, macro and mega.

    Parameters
    ----------
    text
        Three comma-separated follower counts.

    Returns
    -------
    tuple of int
        The three thresholds.
    """
    try:
        values: list[object] = [int(v.replace("_", "")) for v in text.split(",")]
    except ValueError:
        values = [text]
    from graph_engine.schema import check_tier_thresholds

    try:
        return check_tier_thresholds(values)
    except ParameterError:
        raise ParameterError(
            f"`--tiers` must be three increasing follower counts (micro,macro,mega lower "
            f"bounds), got {text!r}; hint: --tiers 1000,100000,1000000"
        ) from None


def ingest_command(
    edges: Annotated[list[Path], typer.Argument(help="Edge files: CSV/TSV, Parquet, JSONL, SNAP.")],
    store: Annotated[Path, typer.Option("--store", "-s", help="Store directory to write.")],
    creators: Annotated[
        Path | None, typer.Option("--creators", help="Creators metadata file to join.")
    ] = None,
    followers: Annotated[
        Path | None,
        typer.Option(
            "--followers",
            help="Follower attributes file to join (country, bot flag, a value, ...), keyed "
            "by follower id.",
        ),
    ] = None,
    mode: Annotated[
        WriteMode, typer.Option(help="create (new store), append, or replace.")
    ] = default_of("graph_engine.store._commit:write_store", "mode"),
    input_format: Annotated[
        EdgeFormat, typer.Option(help="Input format; auto picks from the file name.")
    ] = default_of("graph_engine.ingestion:ingest", "format"),
    creator_column: Annotated[str, typer.Option(help="Column holding the creator id.")] = (
        default_of("graph_engine.ingestion:ingest", "creator_column")
    ),
    follower_column: Annotated[str, typer.Option(help="Column holding the follower id.")] = (
        default_of("graph_engine.ingestion:ingest", "follower_column")
    ),
    direction: Annotated[
        Direction, typer.Option(help="SNAP lists: 'a b' means a follows b (follower-creator).")
    ] = default_of("graph_engine.ingestion:ingest", "direction"),
    separator: Annotated[
        str | None, typer.Option(help="CSV delimiter (sniffed from the header by default).")
    ] = default_of("graph_engine.ingestion:ingest", "separator"),
    id_space: Annotated[
        IdSpace,
        typer.Option(help="separate: creator and follower ids name different kinds of account."),
    ] = default_of("graph_engine.ingestion:ingest", "id_space"),
    creators_column: Annotated[
        str, typer.Option(help="Creator id column of the creators file.")
    ] = default_of("graph_engine.ingestion:ingest", "creators_column"),
    followers_column: Annotated[
        str, typer.Option(help="Follower id column of the followers file.")
    ] = default_of("graph_engine.ingestion:ingest", "followers_column"),
    tiers: Annotated[
        str, typer.Option(help="Lower bounds of micro, macro, mega tiers (followers).")
    ] = _DEFAULT_TIERS,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on any rejected row.")] = (
        default_of("graph_engine.ingestion:ingest", "strict")
    ),
    keep: Annotated[
        int | None, typer.Option(help="Keep at most N versions (prune older ones).")
    ] = default_of("graph_engine.store._commit:write_store", "keep"),
    wait: Annotated[
        float, typer.Option(help="Seconds to wait for another writer of the store to finish.")
    ] = default_of("graph_engine.store._commit:write_store", "wait"),
    format: FormatOpt = "table",
) -> None:
    """Read edge files into a store: validate, dedupe, quarantine bad rows, commit atomically."""
    from graph_engine.ingestion import ingest_into_store
    from graph_engine.reports import summarize_store

    with status("reading and validating the edges ..."):
        version = ingest_into_store(
            list(edges),
            store,
            mode=mode,
            keep=keep,
            wait=wait,
            creators=creators,
            format=input_format,
            creator_column=creator_column,
            follower_column=follower_column,
            direction=direction,
            separator=separator,
            id_space=id_space,
            creators_column=creators_column,
            tier_thresholds=parse_tiers(tiers),
            strict=strict,
            followers=followers,
            followers_column=followers_column,
        )
    summary = summarize_store(store)
    render(
        {
            k: summary[k]
            for k in (
                "store",
                "version",
                "creators",
                "followers",
                "edges",
                "duplicates",
                "rejected",
            )
        }
        | {"rejects_file": str(version / "rejects.parquet") if summary["rejected"] else None},
        format,
        title="ingested",
    )


def register(app: typer.Typer) -> None:
    """Add the command to `app`.

    Parameters
    ----------
    app
        The graph-engine typer application.
    """
    app.command("ingest")(ingest_command)
