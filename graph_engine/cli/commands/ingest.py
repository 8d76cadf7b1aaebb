"""`graph-engine ingest`: edge files (+ creators metadata) into a versioned store."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from graph_engine import schema as s
from graph_engine.cli._options import Format, FormatOpt
from graph_engine.cli._render import render, status
from graph_engine.errors import ParameterError
from graph_engine.reports import summarize_store
from graph_engine.store import ingest_into_store


class Mode(StrEnum):
    create = "create"
    append = "append"
    replace = "replace"  # type: ignore[assignment]  # shadows str.replace, harmless


class InputFormat(StrEnum):
    auto = "auto"
    csv = "csv"
    parquet = "parquet"
    jsonl = "jsonl"
    snap = "snap"


class Direction(StrEnum):
    follower_creator = "follower-creator"
    creator_follower = "creator-follower"


def parse_tiers(text: str) -> tuple[int, int, int]:
    """'1000,100000,1000000' -> lower bounds of micro, macro and mega."""
    try:
        values = tuple(int(v.replace("_", "")) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 3 or not 0 < values[0] < values[1] < values[2]:
        raise ParameterError(
            f"`--tiers` must be three increasing follower counts (micro,macro,mega lower "
            f"bounds), got {text!r}; hint: --tiers 1000,100000,1000000"
        )
    return values[0], values[1], values[2]


def ingest(
    edges: Annotated[list[Path], typer.Argument(help="Edge files: CSV/TSV, Parquet, JSONL, SNAP.")],
    store: Annotated[Path, typer.Option("--store", "-s", help="Store directory to write.")],
    creators: Annotated[
        Path | None, typer.Option("--creators", help="Creators metadata file to join.")
    ] = None,
    mode: Annotated[
        Mode, typer.Option(help="create (new store), append, or replace.")
    ] = Mode.create,
    input_format: Annotated[
        InputFormat, typer.Option(help="Input format; auto picks from the file name.")
    ] = InputFormat.auto,
    creator_column: Annotated[
        str, typer.Option(help="Column holding the creator id.")
    ] = s.CREATOR_ID,
    follower_column: Annotated[
        str, typer.Option(help="Column holding the follower id.")
    ] = s.FOLLOWER_ID,
    direction: Annotated[
        Direction, typer.Option(help="SNAP lists: 'a b' means a follows b (follower-creator).")
    ] = Direction.follower_creator,
    separator: Annotated[
        str | None, typer.Option(help="CSV delimiter (sniffed from the header by default).")
    ] = None,
    creators_column: Annotated[
        str, typer.Option(help="Creator id column of the creators file.")
    ] = s.CREATOR_ID,
    tiers: Annotated[
        str, typer.Option(help="Lower bounds of micro, macro, mega tiers (followers).")
    ] = "1000,100000,1000000",
    strict: Annotated[bool, typer.Option("--strict", help="Fail on any rejected row.")] = False,
    keep: Annotated[
        int | None, typer.Option(help="Keep at most N versions (prune older ones).")
    ] = None,
    format: FormatOpt = Format.table,
) -> None:
    """Read edge files into a store: validate, dedupe, quarantine bad rows, commit atomically."""
    with status("reading and validating the edges ..."):
        version = ingest_into_store(
            list(edges),
            store,
            mode=mode.value,
            keep=keep,
            creators=creators,
            format=input_format.value,
            creator_column=creator_column,
            follower_column=follower_column,
            direction=direction.value,
            separator=separator,
            creators_column=creators_column,
            tier_thresholds=parse_tiers(tiers),
            strict=strict,
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
    app.command()(ingest)
