"""The job file: typed sections, validated as a whole before any stage runs.

Every option vocabulary is the library's own `Literal` and every default the library's
own (`graph_engine._defaults.default_of`), so a job cannot drift from the library. An
unknown section or key, a wrong type, a value out of range (NaN and infinity included) or
a missing input file is an error naming ``section.key``, the value and a hint, raised by
`read_job` before anything is read or written. `job_reference` prints every key with its
default and description: the README's reference is that text.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from graph_engine import schema as s
from graph_engine._defaults import default_of
from graph_engine.communities import CommunityMethod, Weight, detect_communities
from graph_engine.errors import InputError, ParameterError, did_you_mean
from graph_engine.exposure import Exposure, read_rate
from graph_engine.graph import AudienceGraph
from graph_engine.ingestion import ingest
from graph_engine.overlap import Metric, compute_overlap
from graph_engine.readers import Direction, EdgeFormat
from graph_engine.schema import IdSpace, Tier
from graph_engine.selection import Method, Minimize, select_creators
from graph_engine.sniff import check_separator
from graph_engine.spark import EMBEDDED_ONLY
from graph_engine.vocab import Engine

__all__ = [
    "CommunitiesSection",
    "CreatorsSection",
    "EngineSection",
    "InputSection",
    "Job",
    "OutputSection",
    "OverlapSection",
    "SelectionSection",
    "job_reference",
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

    edges: list[str] = Field(default=[], description="edge files to ingest (see Ingest)")
    store: str | None = Field(default=None, description="or an existing store directory")
    creators: str | None = Field(
        default=default_of(ingest, "creators"), description="creators metadata file (optional)"
    )
    format: EdgeFormat = Field(default=default_of(ingest, "format"), description="edge file format")
    creator_column: str = Field(
        default=default_of(ingest, "creator_column"),
        description="creator id column of the edge files",
    )
    follower_column: str = Field(
        default=default_of(ingest, "follower_column"),
        description="follower id column of the edge files",
    )
    direction: Direction = Field(
        default=default_of(ingest, "direction"), description='order of "a b" in SNAP lists'
    )
    separator: str | None = Field(
        default=default_of(ingest, "separator"),
        description='CSV delimiter (sniffed when absent; "tab" is a tab)',
    )
    id_space: IdSpace = Field(
        default=default_of(ingest, "id_space"),
        description='"separate" when creator and follower ids are different kinds of account',
    )
    creators_column: str = Field(
        default=default_of(ingest, "creators_column"),
        description="creator id column of the creators file",
    )
    tiers: list[int] = Field(
        default=list(default_of(ingest, "tier_thresholds")),
        description="lower bounds of micro, macro, mega",
    )
    strict: bool = Field(
        default=default_of(ingest, "strict"), description="any rejected row is an error"
    )


class CreatorsSection(_Section):
    """``[creators]``: which creators the analysis considers."""

    ids: list[Id] = Field(default=[], description="original ids")
    ids_file: str | None = Field(default=None, description="one id per line")
    tiers: list[Tier] = Field(default=[], description="only creators of these tiers")
    min_followers: Annotated[int, Field(ge=0)] | None = Field(
        default=default_of(AudienceGraph.subgraph, "min_followers"),
        description="observed followers, inclusive (absent: no bound)",
    )
    max_followers: Annotated[int, Field(ge=0)] | None = Field(
        default=default_of(AudienceGraph.subgraph, "max_followers"),
        description="observed followers, inclusive (absent: no bound)",
    )


class AudienceSection(_Section):
    """``[audience]``: people to leave out of every measure (incremental reach)."""

    exclude_audience_of: list[Id] = Field(
        default=[], description="creators whose followers are left out (ids or handles)"
    )
    exclude_followers: str | None = Field(
        default=None, description="file of follower ids to leave out, one per line"
    )
    followers_where: str | None = Field(
        default=None, description='only followers matching this, e.g. "following < 500"'
    )


class OverlapSection(_Section):
    """``[overlap]``: the pairwise overlap written to ``overlap.parquet``."""

    enabled: bool = Field(default=True, description="write overlap.parquet")
    min_shared: Positive = Field(
        default=default_of(compute_overlap, "min_shared"),
        description="keep pairs sharing at least this many followers",
    )
    min_jaccard: Share = Field(
        default=default_of(compute_overlap, "min_jaccard"),
        description="keep pairs with at least this Jaccard index",
    )
    top_k: Positive | None = Field(
        default=default_of(compute_overlap, "top_k"),
        description="absent: every pair; else each creator's k strongest",
    )
    by: Metric = Field(default=default_of(compute_overlap, "by"), description="top_k ranks by")


class CommunitiesSection(_Section):
    """``[communities]``: the audience communities."""

    enabled: bool = Field(default=True, description="write communities.parquet and its summary")
    method: CommunityMethod = Field(
        default=default_of(detect_communities, "method"), description="algorithm"
    )
    weight: Weight = Field(
        default=default_of(detect_communities, "weight"), description="edge weight"
    )
    min_weight: Annotated[float, Field(ge=0.0)] = Field(
        default=default_of(detect_communities, "min_weight"),
        description="drop pairs whose weight is below this",
    )
    resolution: Annotated[float, Field(gt=0.0)] = Field(
        default=default_of(detect_communities, "resolution"),
        description="modularity resolution: above 1, more and smaller communities",
    )
    seed: int = Field(
        default=default_of(detect_communities, "seed"), description="same seed, same communities"
    )


class SelectionSection(_Section):
    """``[selection]``: the creators to pick and the constraints."""

    enabled: bool = Field(default=True, description="write selection.json and selection.csv")
    count: Positive | None = Field(
        default=default_of(select_creators, "count"),
        description="at most this many creators, e.g. 10",
    )
    budget: Annotated[float, Field(gt=0.0)] | None = Field(
        default=default_of(select_creators, "budget"),
        description="total cost at most this, e.g. 5000",
    )
    target_reach: Annotated[float, Field(gt=0.0, le=1.0)] | None = Field(
        default=default_of(select_creators, "target_reach"),
        description="share of the eligible audience, e.g. 0.8",
    )
    minimize: Minimize = Field(
        default=default_of(select_creators, "minimize"), description="with target_reach"
    )
    must_include: list[Id] = Field(default=[], description="creator ids always picked")
    must_exclude: list[Id] = Field(default=[], description="creator ids never picked")
    min_engagement: float | None = Field(
        default=default_of(select_creators, "min_engagement"),
        description="only creators with engagement_rate at least this, e.g. 0.02",
    )
    communities: str | None = Field(
        default=None,
        description='a creators column, e.g. "niche"; absent: the communities found above',
    )
    max_per_community: Positive | None = Field(
        default=default_of(select_creators, "max_per_community"),
        description="at most this many picks per community, e.g. 2",
    )
    price: dict[Tier, Annotated[float, Field(gt=0.0)]] = Field(
        default={tier: s.DEFAULT_PRICE_BY_TIER[tier] for tier in s.TIERS},
        description="per post, for creators without a cost",
    )
    posts: Positive = Field(
        default=default_of(select_creators, "posts"), description="posts bought from each creator"
    )
    reach_rate: float | str | None = Field(
        default=default_of(select_creators, "reach_rate"),
        description="share of followers a post reaches, or a creators column: expected reach",
    )
    overhead: Annotated[float, Field(ge=0.0)] = Field(
        default=default_of(select_creators, "overhead"), description="fixed cost per creator hired"
    )
    weight: str | None = Field(
        default=default_of(select_creators, "weight"),
        description="followers column to weigh followers by",
    )
    max_following: Positive | None = Field(
        default=default_of(select_creators, "max_following"),
        description="ignore followers following more than N creators",
    )
    method: Method = Field(default=default_of(select_creators, "method"), description="solver")
    time_limit: Annotated[float, Field(gt=0.0)] = Field(
        default=default_of(select_creators, "time_limit"),
        description="wall-clock seconds for the whole selection",
    )
    currency: str = Field(
        default=default_of(select_creators, "currency"),
        description="currency of the costs: a symbol ($) or a code (EUR)",
    )


class OutputSection(_Section):
    """``[output]``: where outputs go and which plots to draw."""

    dir: str = Field(default="out", description="output folder, relative to the job file")
    plots: bool = Field(default=True, description="draw the PNG plots")
    report: bool = Field(default=True, description="write report.html (self-contained)")
    matrix_creators: Positive = Field(
        default=30, description="creators in the overlap matrix plot (picks + the largest)"
    )


class EngineSection(_Section):
    """``[engine]``: where the stages run: the embedded engine, or Apache Spark."""

    name: Engine = Field(
        default="embedded", description="where overlap, communities and selection run"
    )
    spark_master: str = Field(
        default=default_of("graph_engine.spark._session:spark_session", "master"),
        description='Spark master URL, e.g. "spark://host:7077"',
    )
    spark_conf: dict[str, str | int | float | bool] = Field(
        default={}, description='Spark settings, e.g. {"spark.executor.memory" = "8g"}'
    )


class Job(_Section):
    """A validated job: every section with every key, paths resolved against the job file.

    Attributes
    ----------
    path
        The job file, as given to `read_job`.
    edges, store, creators_file, ids_file, exclude_followers
        ``input.edges``, ``input.store``, ``input.creators``, ``creators.ids_file`` and
        ``audience.exclude_followers`` resolved against the job file's folder (each
        checked to exist).
    out_dir
        The absolute output folder: ``output.dir`` or `read_job`'s ``output_dir``.
    """

    input: InputSection = Field(default=InputSection(), description="exactly one of edges / store")
    creators: CreatorsSection = Field(
        default=CreatorsSection(), description="which creators the analysis considers"
    )
    audience: AudienceSection = Field(
        default=AudienceSection(), description="people left out of every measure"
    )
    overlap: OverlapSection = OverlapSection()
    communities: CommunitiesSection = CommunitiesSection()
    selection: SelectionSection = Field(
        default=SelectionSection(), description="one of count / budget (or both) / target_reach"
    )
    output: OutputSection = OutputSection()
    engine: EngineSection = Field(
        default=EngineSection(), description="the embedded engine or Apache Spark"
    )
    path: Path = Path("job.toml")
    edges: list[Path] = []
    store: Path | None = None
    creators_file: Path | None = None
    ids_file: Path | None = None
    exclude_followers: Path | None = None
    out_dir: Path = Path("out")


_MODELS: dict[str, type[_Section]] = {
    "input": InputSection,
    "creators": CreatorsSection,
    "audience": AudienceSection,
    "overlap": OverlapSection,
    "communities": CommunitiesSection,
    "selection": SelectionSection,
    "output": OutputSection,
    "engine": EngineSection,
}
_SECTIONS = tuple(_MODELS)
_TYPE_NAMES = {
    "int_type": "int",
    "float_type": "a number",
    "bool_type": "bool",
    "string_type": "str",
    "list_type": "a list",
    "dict_type": "a table",
    "finite_number": "a finite number",
}
_COMMENT_COLUMN = 28


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

    Raises
    ------
    InputError
        When the job file, or a file it names, is missing or is not valid TOML.
    ParameterError
        For an unknown section or key, a wrong type, a value out of range or keys that
        do not go together; the message names ``section.key``, the value and a hint.
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
        raise ParameterError(f"job file `{p}`: {_explain(exc.errors()[0])}") from None
    if bool(job.input.edges) == bool(job.input.store):
        raise ParameterError(
            f"job file `{p}`: give exactly one of `input.edges` (files to ingest) or "
            "`input.store` (an existing store)"
        )
    resolved = _resolve(job, p, output_dir)
    problem = _check_together(job)
    if problem:
        raise ParameterError(f"job file `{p}`: {problem}")
    return resolved


def job_reference() -> str:
    """Return the job file reference: every section and key, its default and description.

    Keys absent by default are shown as ``""`` (text) or ``0`` (numbers). The README's
    block under "Job files" is this text (a test checks it).

    Returns
    -------
    str
        TOML text, one key per line with a comment.

    Examples
    --------
    >>> print(job_reference().splitlines()[0])
    [input]                     # exactly one of edges / store
    """
    lines: list[str] = []
    for name, model in _MODELS.items():
        lines.append(_commented(f"[{name}]", Job.model_fields[name].description))
        for key, field in model.model_fields.items():
            shown = _toml(_shown_default(field))
            choices = _choices(field.annotation)
            comment = field.description or ""
            if choices and get_origin(field.annotation) is not dict:
                comment = f"{comment}: {' | '.join(choices)}"
            lines.append(_commented(f"{key} = {shown}", comment))
        lines.append("")
    return "\n".join(lines[:-1]) + "\n"


def _commented(text: str, comment: str | None) -> str:
    if not comment:
        return text
    return f"{text.ljust(max(_COMMENT_COLUMN, len(text) + 2))}# {comment}"


def _shown_default(field: FieldInfo) -> object:
    default = field.get_default(call_default_factory=True)
    if default is not None:
        return default
    return "" if str in get_args(field.annotation) else 0


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{k} = {_toml(v)}" for k, v in value.items())
        return "{ " + items + " }" if items else "{}"
    raise TypeError(f"no TOML form for {value!r}")


def _choices(annotation: object) -> list[str]:
    """Return the values of the `Literal` in an annotation (also inside lists and dicts)."""
    if get_origin(annotation) is Literal:
        return [str(a) for a in get_args(annotation)]
    for arg in get_args(annotation):
        found = _choices(arg)
        if found:
            return found
    return []


def _field(loc: tuple[int | str, ...]) -> FieldInfo | None:
    model = _MODELS.get(str(loc[0])) if loc else None
    if model is None or len(loc) < 2:
        return None
    return model.model_fields.get(str(loc[1]))


def _explain(error: ErrorDetails) -> str:
    """One line for the first validation error: ``section.key``, the value, a hint."""
    loc = tuple(x for x in error["loc"] if x != "[key]")
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden" and len(loc) == 2:
        section = str(loc[0])
        keys = list(_MODELS[section].model_fields)
        return (
            f"unknown key `{section}.{loc[1]}`{did_you_mean(str(loc[1]), keys)}; keys of "
            f"[{section}] are {', '.join(keys)}"
        )
    if kind in ("model_type", "model_attributes_type"):
        return f"`{loc[0]}` must be a [{loc[0]}] table, got {value!r}"
    field = _field(loc)
    if len(loc) > 3 and kind in ("string_type", "int_type") and loc[-1] in ("str", "int"):
        loc, must = loc[:-1], "str or int (a creator id)"  # a member of `str | int`
    elif kind == "literal_error":
        choices = _choices(field.annotation) if field else []
        close = did_you_mean(str(value), choices).strip(" ()")
        default = field.get_default() if field else None
        hint = close or (f"the default is `{default}`" if isinstance(default, str) else "")
        allowed = ", ".join(choices)
        return f"`{_name(loc)}` must be one of {allowed}, got {value!r}" + (
            f"; hint: {hint}" if hint else ""
        )
    else:
        must = _TYPE_NAMES.get(kind) or str(error["msg"]).removeprefix("Input should be ")
    return f"`{_name(loc)}` must be {must}, got {value!r}{_hint(field)}"


def _name(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(x) for x in loc)


def _hint(field: FieldInfo | None) -> str:
    if field is None or not field.description:
        return ""
    default = field.get_default(call_default_factory=True)
    shown = "absent by default" if default is None else f"default {_toml(default)}"
    return f"; hint: {field.description} ({shown})"


def _check_together(job: Job) -> str | None:
    """Check values that depend on more than one key; return the problem, if any."""
    co, cr, se = job.communities, job.creators, job.selection
    tiers = job.input.tiers
    try:
        s.check_tier_thresholds(tiers)
    except ParameterError:
        return (
            f"`input.tiers` must be three increasing follower counts (the lower bounds of "
            f"micro, macro and mega), got {tiers!r}; hint: the default is "
            f"{_toml(list(s.DEFAULT_TIER_THRESHOLDS))}"
        )
    try:
        check_separator(job.input.separator)
    except ParameterError:
        return (
            f"`input.separator` must be one character other than a quote or a newline, got "
            f'{job.input.separator!r}; hint: ";" or "tab" (a tab)'
        )
    low, high = cr.min_followers, cr.max_followers
    if low is not None and high is not None and high < low:
        return (
            f"`creators.max_followers` must be at least `creators.min_followers` ({low}), "
            f"got {high}; hint: no creator would match"
        )
    if co.enabled and co.weight != "shared" and co.min_weight > 1:
        return (
            f"`communities.min_weight` must be at most 1 with `communities.weight = "
            f'"{co.weight}"` (a share), got {co.min_weight!r}; hint: 0.05 drops the '
            "faintest overlaps"
        )
    if se.enabled and (problem := _check_selection(job) or _check_exposure(job)):
        return problem
    return _check_engine(job)


# what a job on Spark cannot do yet: the creator choice, the audience filters, a few keys
_SPARK_DEFAULTS: tuple[tuple[str, _Section, tuple[str, ...]], ...] = (
    ("creators", CreatorsSection(), tuple(CreatorsSection.model_fields)),
    ("audience", AudienceSection(), tuple(AudienceSection.model_fields)),
    ("overlap", OverlapSection(), ("top_k",)),
    ("selection", SelectionSection(), EMBEDDED_ONLY),
)


def _check_engine(job: Job) -> str | None:
    if job.engine.name != "spark":
        return None
    if job.input.store is None:
        return (
            '`engine.name = "spark"` reads an existing store: give `input.store`; hint: '
            "`graph-engine ingest STORE EDGES` first, then `store = ...` in [input]"
        )
    given = [
        f"`{section}.{key}`"
        for section, default, keys in _SPARK_DEFAULTS
        for key in keys
        if getattr(getattr(job, section), key) != getattr(default, key)
    ]
    if given:
        return (
            f"{', '.join(given)} {'is' if len(given) == 1 else 'are'} not available with "
            '`engine.name = "spark"` yet; hint: drop it, or use the embedded engine'
        )
    return None


def _check_exposure(job: Job) -> str | None:
    se = job.selection
    if se.reach_rate is None:
        return None
    try:
        Exposure(read_rate(se.reach_rate), se.posts)
    except ParameterError as exc:
        return f"`selection.reach_rate`: {exc}"
    if se.method == "exact":
        return (
            '`selection.method = "exact"` solves plain reach; with `selection.reach_rate` '
            'the expected reach is not linear; hint: method = "auto" or "greedy"'
        )
    return None


def _check_selection(job: Job) -> str | None:
    se = job.selection
    if se.count is None and se.budget is None and se.target_reach is None:
        return (
            "[selection] needs `selection.count`, `selection.budget` or "
            "`selection.target_reach` (or `selection.enabled = false`)"
        )
    if se.target_reach is not None and (se.count is not None or se.budget is not None):
        return (
            "`selection.target_reach` cannot be combined with `selection.count` or "
            "`selection.budget`; hint: keep the target alone, or drop it for a count/budget"
        )
    if se.max_per_community is not None and se.communities is None and not job.communities.enabled:
        return (
            "`selection.max_per_community` needs `selection.communities` or "
            "`[communities] enabled = true`; hint: name a creators column such as "
            '`communities = "niche"`'
        )
    both = sorted({str(x) for x in se.must_include} & {str(x) for x in se.must_exclude})
    if both:
        return (
            f"`selection.must_include` and `selection.must_exclude` both hold {both}; "
            "hint: a creator is either forced in or kept out"
        )
    return None


def _resolve(job: Job, p: Path, output_dir: str | None) -> Job:
    base = p.resolve().parent
    updates: dict[str, Any] = {"path": p}
    updates["edges"] = [_existing(base, e, "input.edges", p) for e in job.input.edges]
    if job.input.creators is not None:
        updates["creators_file"] = _existing(base, job.input.creators, "input.creators", p)
    if job.creators.ids_file is not None:
        updates["ids_file"] = _existing(base, job.creators.ids_file, "creators.ids_file", p)
    if job.audience.exclude_followers is not None:
        updates["exclude_followers"] = _existing(
            base, job.audience.exclude_followers, "audience.exclude_followers", p
        )
    if job.input.store is not None:
        store = base / job.input.store
        if not (store / "CURRENT").is_file():
            raise InputError(
                f"job file `{p}`: `input.store` `{store}` is not a store; hint: a folder "
                "written by `graph-engine ingest`"
            )
        updates["store"] = store
    out = output_dir if output_dir is not None else job.output.dir
    updates["out_dir"] = ((Path.cwd() if output_dir else base) / out).resolve()
    return job.model_copy(update=updates)


def _existing(base: Path, value: str, key: str, job: Path) -> Path:
    path = base / value
    if not path.is_file():
        raise InputError(f"job file `{job}`: `{key}` names `{value}`, not found at `{path}`")
    return path
