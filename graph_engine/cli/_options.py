"""Options shared by several commands (one definition each).

Choices are the library's own `Literal` types (typer accepts them), so a vocabulary is
written once, in the module that implements it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from graph_engine._defaults import default_of
from graph_engine.errors import ParameterError
from graph_engine.vocab import Engine, Metric

if TYPE_CHECKING:
    from graph_engine.exclusion import Exclusion
    from graph_engine.graph import AudienceGraph

__all__ = [
    "SPARK_MASTER",
    "ByOpt",
    "CreatorsFileOpt",
    "CreatorsOpt",
    "EngineOpt",
    "Format",
    "FormatOpt",
    "MaxFollowersOpt",
    "MinFollowersOpt",
    "OutputOpt",
    "ReachRateOpt",
    "SeedOpt",
    "SparkConfOpt",
    "SparkMasterOpt",
    "StoreArg",
    "TierOpt",
    "creator_choice",
    "embedded_only",
    "load_graph",
    "reach_rate",
    "spark_of",
]

Format = Literal["table", "json", "csv"]

FormatOpt = Annotated[
    Format, typer.Option("--format", "-f", help="How to print results: table, json or csv.")
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Write results to this file: .parquet, .csv, .jsonl, .json or .xlsx (every part "
        "of a report); overlap also .gexf or .graphml (the network, for Gephi).",
    ),
]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed (same seed, same result).")]
StoreArg = Annotated[Path, typer.Argument(help="Store directory (made by `graph-engine ingest`).")]

CreatorsOpt = Annotated[
    str | None, typer.Option("--creators", help="Comma-separated creator ids to consider.")
]
CreatorsFileOpt = Annotated[
    Path | None,
    typer.Option("--creators-file", help="File with one creator id per line to consider."),
]
TierOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--tier", help="Only creators of this tier (nano, micro, macro, mega); repeatable."
    ),
]
MinFollowersOpt = Annotated[
    int | None, typer.Option("--min-followers", help="Only creators with at least N followers.")
]
MaxFollowersOpt = Annotated[
    int | None, typer.Option("--max-followers", help="Only creators with at most N followers.")
]
ByOpt = Annotated[Metric, typer.Option("--by", help="Metric to rank pairs by.")]
ExcludeAudienceOfOpt = Annotated[
    str | None,
    typer.Option(
        "--exclude-audience-of",
        help="Leave out the followers of these creators (comma-separated ids or handles: the "
        "brand's own accounts, a past campaign): every figure is then incremental reach.",
    ),
]
ExcludeFollowersOpt = Annotated[
    Path | None,
    typer.Option(
        "--exclude-followers", help="Leave out the followers listed in this file (one id per line)."
    ),
]

FollowersWhereOpt = Annotated[
    str | None,
    typer.Option(
        "--followers-where",
        help='Only followers matching this expression count, e.g. "following < 500" '
        "(columns of the followers table; ==, <, in [...], and, or, not).",
    ),
]

ReachRateOpt = Annotated[
    str | None,
    typer.Option(
        "--reach-rate",
        help="Share of a creator's followers one post reaches (e.g. 0.3), or a creators "
        "column of them (e.g. reach_rate): adds expected reach and frequency.",
    ),
]

EngineOpt = Annotated[
    Engine,
    typer.Option(
        "--engine", help="embedded (this process) or spark (Apache Spark; the spark extra)."
    ),
]
SPARK_MASTER = default_of("graph_engine.spark._session:spark_session", "master")
SparkMasterOpt = Annotated[
    str,
    typer.Option(
        "--spark-master", help="With --engine spark: local[*], local[2], spark://host:7077, yarn."
    ),
]
SparkConfOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--spark-conf",
        help="With --engine spark: a Spark setting KEY=VALUE (e.g. spark.executor.memory=8g); "
        "repeatable.",
    ),
]


def spark_of(master: str, conf: list[str] | None) -> Any:
    """Start (or get) the Spark session that `--spark-master` and `--spark-conf` describe.

    Parameters
    ----------
    master
        The master URL.
    conf
        ``KEY=VALUE`` settings.

    Returns
    -------
    pyspark.sql.SparkSession
        The session.
    """
    settings = {}
    for item in conf or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ParameterError(
                f"`--spark-conf` takes KEY=VALUE, got {item!r}; hint: "
                "--spark-conf spark.executor.memory=8g"
            )
        settings[key.strip()] = value.strip()
    from graph_engine.cli._render import status
    from graph_engine.spark import spark_session

    with status("starting Spark ..."):
        return spark_session(master, settings)


def embedded_only(engine: str, **given: object) -> None:
    """Refuse options the Spark engine does not run yet, naming them.

    Parameters
    ----------
    engine
        The `--engine` value.
    **given
        Option name (``top_k`` for ``--top-k``) -> its value; a value other than None,
        False or an empty list counts as given.
    """
    used = [f"--{k.replace('_', '-')}" for k, v in given.items() if _given(v)]
    if engine == "spark" and used:
        raise ParameterError(
            f"{', '.join(used)} {'is' if len(used) == 1 else 'are'} not available with "
            "--engine spark yet; hint: drop it, or use the embedded engine"
        )


def _given(value: object) -> bool:
    """Tell whether an option was given: not None, False or an empty list (0 is a value)."""
    return value is not None and value is not False and value != []


def reach_rate(text: str | None) -> float | str | None:
    """Read `--reach-rate`: a number (a share in (0, 1]) or the name of a creators column.

    Parameters
    ----------
    text
        The option's value, or None.

    Returns
    -------
    float or str or None
        The rate, the column name, or None when unset.
    """
    if text is None:
        return None
    from graph_engine.exposure import read_rate

    return read_rate(text)


def exclusion(
    audience_of: str | None, followers_file: Path | None, where: str | None = None
) -> Exclusion | None:
    """Turn the exclusion options into a `graph_engine.exclusion.Exclusion` (None when unset).

    Parameters
    ----------
    audience_of
        Comma-separated creator ids or handles.
    followers_file
        A file with one follower id per line.
    where
        A `graph_engine.where` expression: only followers matching it count.

    Returns
    -------
    Exclusion or None
        What to leave out.
    """
    from graph_engine.exclusion import Exclusion

    creators = tuple(c.strip() for c in (audience_of or "").split(",") if c.strip())
    from graph_engine.readers import read_id_list

    listed = (
        [] if followers_file is None else read_id_list(followers_file, "`--exclude-followers` file")
    )
    followers = tuple(listed)
    if audience_of is not None and not creators:
        raise ParameterError("`--exclude-audience-of` names no creator")
    if where is not None and not where.strip():
        raise ParameterError("`--followers-where` is empty")
    found = Exclusion(audience_of=creators, followers=followers, where=where or None)
    return found if found else None


def load_graph(
    store: Path,
    creators: str | None = None,
    creators_file: Path | None = None,
    tier: list[str] | None = None,
    min_followers: int | None = None,
    max_followers: int | None = None,
    exclude: Exclusion | None = None,
) -> AudienceGraph:
    """Read the store's graph, restricted by the creator-choice options.

    Parameters
    ----------
    store
        The store directory.
    creators, creators_file, tier, min_followers, max_followers
        The creator-choice options, as given on the command line.
    exclude
        People to leave out (`exclusion`); the graph's `filters` say so.

    Returns
    -------
    AudienceGraph
        The chosen creators and their followers.
    """
    from graph_engine.graph import read_store

    choice = creator_choice(creators, creators_file, tier, min_followers, max_followers)
    sub = read_store(store, **choice, exclude=exclude)  # a choice reads only its edges
    if sub.n_creators == 0:
        raise ParameterError("no creator matches the creator-choice options; hint: loosen them")
    return sub


def creator_choice(
    creators: str | None,
    creators_file: Path | None,
    tier: list[str] | None,
    min_followers: int | None,
    max_followers: int | None,
) -> dict[str, Any]:
    """Turn the creator-choice options into keyword arguments of `AudienceGraph.subgraph`.

    Parameters
    ----------
    creators
        Comma-separated creator ids.
    creators_file
        A file with one creator id per line.
    tier
        Tier names.
    min_followers, max_followers
        Bounds on observed followers.

    Returns
    -------
    dict
        ``creators``, ``tiers``, ``min_followers`` and ``max_followers``.
    """
    ids: list[str] | None = None
    if creators:
        ids = [c.strip() for c in creators.split(",") if c.strip()]
    if creators_file is not None:
        from graph_engine.readers import read_id_list

        ids = (ids or []) + read_id_list(creators_file, "`--creators-file`")
    return {
        "creators": ids,
        "tiers": tier or None,
        "min_followers": min_followers,
        "max_followers": max_followers,
    }
