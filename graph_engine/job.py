"""The job file: typed sections, validated as a whole before any stage runs.

Every option vocabulary is the library's own `Literal` and every default the library's
own (`graph_engine._defaults.default_of`), so a job cannot drift from the library. An
unknown section or key, a wrong type, a value out of range (NaN and infinity included) or
a missing input file is an error naming ``section.key``, raised by `read_job` before
anything is read or written.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from graph_engine import schema as s
from graph_engine._defaults import default_of
from graph_engine.communities import CommunityMethod, Weight, detect_communities
from graph_engine.errors import InputError, ParameterError, did_you_mean
from graph_engine.ingestion import ingest
from graph_engine.overlap import Metric, compute_overlap
from graph_engine.readers import Direction, EdgeFormat
from graph_engine.schema import Tier
from graph_engine.selection import Method, Minimize, select_creators

__all__ = [
    "CommunitiesSection",
    "CreatorsSection",
    "InputSection",
    "Job",
    "OutputSection",
    "OverlapSection",
    "SelectionSection",
    "read_job",
]

Id = str | int
Positive = Annotated[int, Field(ge=1)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]


class _Section(BaseModel):
    """A job section: unknown keys, wrong types, NaN and infinity are errors."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


class InputSection(_Section):
    """``[input]``: what to ingest (or which store to use) and how to read it."""

    edges: list[str] = []
    store: str | None = None
    creators: str | None = None
    format: EdgeFormat = default_of(ingest, "format")
    creator_column: str = default_of(ingest, "creator_column")
    follower_column: str = default_of(ingest, "follower_column")
    direction: Direction = default_of(ingest, "direction")
    separator: str | None = default_of(ingest, "separator")
    creators_column: str = default_of(ingest, "creators_column")
    tiers: list[int] = list(default_of(ingest, "tier_thresholds"))
    strict: bool = default_of(ingest, "strict")


class CreatorsSection(_Section):
    """``[creators]``: which creators the analysis considers."""

    ids: list[Id] = []
    ids_file: str | None = None
    tiers: list[Tier] = []
    min_followers: Annotated[int, Field(ge=0)] | None = None
    max_followers: Annotated[int, Field(ge=0)] | None = None


class OverlapSection(_Section):
    """``[overlap]``: the pairwise overlap written to ``overlap.parquet``."""

    enabled: bool = True
    min_shared: Positive = default_of(compute_overlap, "min_shared")
    min_jaccard: Share = default_of(compute_overlap, "min_jaccard")
    top_k: Positive | None = default_of(compute_overlap, "top_k")
    by: Metric = default_of(compute_overlap, "by")


class CommunitiesSection(_Section):
    """``[communities]``: the audience communities."""

    enabled: bool = True
    method: CommunityMethod = default_of(detect_communities, "method")
    weight: Weight = default_of(detect_communities, "weight")
    min_weight: Annotated[float, Field(ge=0.0)] = default_of(detect_communities, "min_weight")
    resolution: Annotated[float, Field(gt=0.0)] = default_of(detect_communities, "resolution")
    seed: int = default_of(detect_communities, "seed")


class SelectionSection(_Section):
    """``[selection]``: the creators to pick and the constraints."""

    enabled: bool = True
    count: Positive | None = default_of(select_creators, "count")
    budget: Annotated[float, Field(gt=0.0)] | None = default_of(select_creators, "budget")
    target_reach: Annotated[float, Field(gt=0.0, le=1.0)] | None = default_of(
        select_creators, "target_reach"
    )
    minimize: Minimize = default_of(select_creators, "minimize")
    must_include: list[Id] = []
    must_exclude: list[Id] = []
    min_engagement: float | None = default_of(select_creators, "min_engagement")
    communities: str | None = None
    max_per_community: Positive | None = default_of(select_creators, "max_per_community")
    price: dict[Tier, Annotated[float, Field(gt=0.0)]] = {}
    posts: Positive = default_of(select_creators, "posts")
    overhead: Annotated[float, Field(ge=0.0)] = default_of(select_creators, "overhead")
    weight: str | None = default_of(select_creators, "weight")
    max_following: Annotated[int, Field(ge=0)] | None = default_of(select_creators, "max_following")
    method: Method = default_of(select_creators, "method")
    time_limit: Annotated[float, Field(gt=0.0)] = default_of(select_creators, "time_limit")


class OutputSection(_Section):
    """``[output]``: where outputs go and which plots to draw."""

    dir: str = "out"
    plots: bool = True
    matrix_creators: Positive = 30


class Job(_Section):
    """A validated job: every section with every key, paths resolved against the job file."""

    input: InputSection = InputSection()
    creators: CreatorsSection = CreatorsSection()
    overlap: OverlapSection = OverlapSection()
    communities: CommunitiesSection = CommunitiesSection()
    selection: SelectionSection = SelectionSection()
    output: OutputSection = OutputSection()
    path: Path = Path("job.toml")
    edges: list[Path] = []
    store: Path | None = None
    creators_file: Path | None = None
    ids_file: Path | None = None
    out_dir: Path = Path("out")


_SECTIONS = ("input", "creators", "overlap", "communities", "selection", "output")
_TYPE_NAMES = {
    "int_type": "int",
    "float_type": "a number",
    "bool_type": "bool",
    "string_type": "str",
    "list_type": "a list",
    "dict_type": "a table",
    "model_type": "a [section] table",
    "model_attributes_type": "a [section] table",
}


def read_job(path: str | os.PathLike[str], *, output_dir: str | None = None) -> Job:
    """Parse and check a job file; nothing is read or written before it returns.

    Parameters
    ----------
    path
        The TOML job file; relative paths in it are relative to its folder.
    output_dir
        Write outputs here (relative to the working directory) instead of ``output.dir``.

    Returns
    -------
    Job
        Every section with every key filled in, and the resolved paths.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"job file `{p}` not found (check the path)")
    try:
        raw = tomllib.loads(p.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"job file `{p}` is not valid TOML: {exc}") from exc
    for section in raw:
        if section not in _SECTIONS:
            raise ParameterError(
                f"job file `{p}`: unknown section `[{section}]`"
                f"{did_you_mean(section, _SECTIONS)}; sections are "
                f"{', '.join(f'[{x}]' for x in _SECTIONS)}"
            )
    try:
        job = Job.model_validate(raw)
    except ValidationError as exc:
        raise ParameterError(f"job file `{p}`: {_first_error(exc, raw)}") from None
    if bool(job.input.edges) == bool(job.input.store):
        raise ParameterError(
            f"job file `{p}`: give exactly one of `input.edges` (files to ingest) or "
            "`input.store` (an existing store)"
        )
    resolved = _resolve(job, p, output_dir)
    _check_together(job, p)
    return resolved


def _first_error(exc: ValidationError, raw: dict[str, Any]) -> str:
    error = exc.errors()[0]
    loc = [str(x) for x in error["loc"] if x != "[key]"]
    section = loc[0]
    key = ".".join(loc)
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden" and len(loc) == 2:
        keys = list(type(getattr(Job(), section)).model_fields)
        return (
            f"unknown key `{key}`{did_you_mean(loc[1], keys)}; keys of [{section}] are "
            f"{', '.join(keys)}"
        )
    if kind in _TYPE_NAMES:
        return f"`{key}` must be {_TYPE_NAMES[kind]}, got {value!r}"
    if kind == "literal_error":
        allowed = error.get("ctx", {}).get("expected", "")
        return f"`{key}` must be one of {allowed}, got {value!r}{did_you_mean(str(value), [])}"
    if kind == "finite_number":
        return f"`{key}` must be a finite number, got {value!r}"
    message = str(error["msg"]).removeprefix("Input should be ").removeprefix("Value error, ")
    return f"`{key}` must be {message}, got {value!r}"


def _check_together(job: Job, p: Path) -> None:
    """Check across keys: tiers, one objective, communities for a cap."""
    se = job.selection
    try:
        s.check_tier_thresholds(job.input.tiers)
    except ParameterError as exc:
        raise ParameterError(f"job file `{p}`: `input.tiers`: {exc}") from None
    if not se.enabled:
        return
    if se.count is None and se.budget is None and se.target_reach is None:
        raise ParameterError(
            f"job file `{p}`: [selection] needs `selection.count`, `selection.budget` or "
            "`selection.target_reach` (or `selection.enabled = false`)"
        )
    if se.target_reach is not None and (se.count is not None or se.budget is not None):
        raise ParameterError(
            f"job file `{p}`: `selection.target_reach` cannot be combined with "
            "`selection.count` or `selection.budget`"
        )
    if se.max_per_community is not None and se.communities is None and not job.communities.enabled:
        raise ParameterError(
            f"job file `{p}`: `selection.max_per_community` needs `selection.communities` "
            "or `[communities] enabled = true`"
        )


def _resolve(job: Job, p: Path, output_dir: str | None) -> Job:
    base = p.resolve().parent
    updates: dict[str, Any] = {"path": p}
    updates["edges"] = [_existing(base, e, "input.edges", p) for e in job.input.edges]
    if job.input.creators is not None:
        updates["creators_file"] = _existing(base, job.input.creators, "input.creators", p)
    if job.creators.ids_file is not None:
        updates["ids_file"] = _existing(base, job.creators.ids_file, "creators.ids_file", p)
    if job.input.store is not None:
        store = base / job.input.store
        if not (store / "CURRENT").is_file():
            raise InputError(f"job file `{p}`: `input.store` `{store}` is not a store")
        updates["store"] = store
    out = output_dir if output_dir is not None else job.output.dir
    updates["out_dir"] = ((Path.cwd() if output_dir else base) / out).resolve()
    return job.model_copy(update=updates)


def _existing(base: Path, value: str, key: str, job: Path) -> Path:
    path = base / value
    if not path.is_file():
        raise InputError(f"job file `{job}`: `{key}` names `{value}`, not found at `{path}`")
    return path
