"""The batch pipeline: a validated job -> store, overlap, communities, selection, plots.

`graph_engine.job.read_job` checks the whole job file first; `run_job` then runs every
enabled stage and writes its outputs (each file atomically, `graph_engine.outputs`).
Outputs depend only on the job (same job, same seed, same bytes): nothing in them records
a time or a duration.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import polars as pl

from graph_engine import schema as s
from graph_engine.audience import audience_report
from graph_engine.communities import Communities, detect_communities
from graph_engine.errors import InputError, ParameterError
from graph_engine.exclusion import Exclusion
from graph_engine.exposure import read_rate
from graph_engine.graph import AudienceGraph, read_store
from graph_engine.ingestion import ingest
from graph_engine.job import CommunitiesSection, Job, OverlapSection, read_job
from graph_engine.outputs import dumps_json, fsync_dir, write_frames, write_text
from graph_engine.overlap import empty_pairs, overlap_blocks
from graph_engine.plots import plot_community_sizes, plot_overlap_matrix, plot_reach_curve
from graph_engine.readers import read_id_list
from graph_engine.run_report import REPORT_NAME, ReportInputs, render_report
from graph_engine.selection import Selection, select_creators
from graph_engine.store import Table, WriteMode, current_version, open_version, write_store
from graph_engine.tables import StoreTables

__all__ = ["JobResult", "Progress", "read_job", "run_job"]

Progress = Callable[[str], None]


@dataclass(frozen=True)
class JobResult:
    """What a run produced: the summary of every figure and the files written."""

    summary: dict[str, Any]
    outputs: dict[str, Path]
    selection: Selection | None


def run_job(job: Job, *, progress: Progress | None = None) -> JobResult:
    """Run every enabled stage of a job and write its outputs.

    Parameters
    ----------
    job
        A job from `graph_engine.job.read_job` (already validated).
    progress
        Called with a short description as each stage starts.

    Returns
    -------
    JobResult
        The summary (also written as ``summary.json``), the files and the selection.
    """
    say = progress or (lambda _: None)
    out = job.out_dir
    with _staged(out) as stage:
        tables = _ingest(job, say)
        store = out / "store" if job.store is None else job.store
        engine: _Engine
        if job.engine.name == "spark":  # `read_job` checked: a store, and nothing refused
            engine = _Spark.start(store, job, say)
        else:
            graph = read_store(store) if tables is None else AudienceGraph.from_tables(tables)
            engine = _Embedded(_choose(graph, job), graph)
        summary, written, selection = _stages(engine, job, stage, say)
        if tables is not None:  # the store is written last: a failed stage changes nothing
            say(f"store: {store}")
            mode: WriteMode = "replace" if current_version(store) else "create"
            write_store(tables, store, mode=mode, keep=2)
    outputs = {"store": store, **{k: out / v.relative_to(stage) for k, v in written.items()}}
    return JobResult(summary, outputs, selection)


@contextlib.contextmanager
def _staged(out: Path) -> Iterator[Path]:
    """Give a hidden folder in `out` to write every output to; move them in on success.

    On an error nothing in `out` changes (a folder this created is removed again), so a
    failed run leaves the previous run's outputs as they were.
    """
    created = not out.exists()
    stage = out / f".run-tmp-{os.getpid()}"
    try:
        stage.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot write to `{out}`: {exc.strerror or exc}") from exc
    try:
        yield stage
        for file in sorted(stage.iterdir()):
            _move_in(file, out / file.name)
        fsync_dir(out)
    except OSError as exc:
        raise InputError(f"cannot write to `{out}`: {exc.strerror or exc}") from exc
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if created and not any(out.iterdir()):
            out.rmdir()


def _move_in(source: Path, target: Path) -> None:
    """Rename `source` to `target`, replacing what is there.

    A file over a file is one rename. A folder (a Spark dataset), or a file where a
    folder was, moves the old one aside first, and back again when the move fails.
    """
    if source.is_file() and not (target.is_dir() and not target.is_symlink()):
        os.replace(source, target)  # a file over a file (or a symlink, or nothing)
        return
    old = target.with_name(f".{target.name}.old-{os.getpid()}-{os.urandom(4).hex()}")
    present = target.exists() or target.is_symlink()
    if present:
        os.replace(target, old)
    try:
        os.replace(source, target)
    except OSError:
        if present:
            os.replace(old, target)
        raise
    if old.is_dir() and not old.is_symlink():
        shutil.rmtree(old, ignore_errors=True)
    elif present:
        old.unlink()


class _Engine(Protocol):
    """What the stages need of an engine: the embedded one, or Spark on a store."""

    @property
    def filters(self) -> tuple[str, ...]: ...
    def figures(self) -> dict[str, int]: ...
    def overlap(self, ov: OverlapSection, path: Path) -> int: ...
    def communities(self, co: CommunitiesSection) -> Communities: ...
    def select(self, options: dict[str, Any]) -> Selection: ...
    def audience(self, ids: list[Any]) -> dict[str, Any]: ...
    def largest(self, n: int) -> list[Any]: ...
    def holding(self, ids: list[Any]) -> AudienceGraph: ...


@dataclass(frozen=True)
class _Embedded:
    """The stages on the graph in memory."""

    graph: AudienceGraph  # the chosen creators, with the excluded people left out
    whole: AudienceGraph  # the store's graph (everyone's reach)

    @property
    def filters(self) -> tuple[str, ...]:
        return self.graph.filters

    def figures(self) -> dict[str, int]:
        g = self.graph
        return {"creators": g.n_creators, "followers": g.n_followers, "edges": g.n_edges}

    def overlap(self, ov: OverlapSection, path: Path) -> int:
        blocks = overlap_blocks(
            self.graph,
            min_shared=ov.min_shared,
            min_jaccard=float(ov.min_jaccard),
            top_k=ov.top_k,
            by=ov.by,
        )
        return write_frames(blocks, path, empty=empty_pairs(self.graph))

    def communities(self, co: CommunitiesSection) -> Communities:
        return detect_communities(self.graph, **_community_options(co))

    def select(self, options: dict[str, Any]) -> Selection:
        selection = select_creators(self.graph, **options)
        if self.graph.filters:  # reach is incremental: say how many the picks reach in all
            picked = self.whole.creator_index(selection.picks[s.CREATOR_ID].to_list())
            selection = replace(selection, total_reach=self.whole.take(picked).n_followers)
        return selection

    def audience(self, ids: list[Any]) -> dict[str, Any]:
        return audience_report(self.graph, ids).summary

    def largest(self, n: int) -> list[Any]:
        g = self.graph
        return g.creator_ids(g.degrees.argsort(kind="stable")[::-1][:n]).to_list()

    def holding(self, ids: list[Any]) -> AudienceGraph:
        return self.graph


@dataclass(frozen=True)
class _Spark:
    """The stages on Apache Spark, reading the store's Parquet files; small reads locally."""

    store: Path
    version: str  # every stage reads this version, also when an ingest commits meanwhile
    session: Any

    @classmethod
    def start(cls, store: Path, job: Job, say: Progress) -> _Spark:
        from graph_engine.spark import spark_session

        say(f"starting Spark ({job.engine.spark_master})")
        conf = {k: _spark_text(v) for k, v in job.engine.spark_conf.items()}
        session = spark_session(job.engine.spark_master, conf)
        return cls(store, open_version(store).name, session)

    @property
    def filters(self) -> tuple[str, ...]:
        return ()

    def figures(self) -> dict[str, int]:
        v = open_version(self.store, self.version)
        return {table: v.rows(table) for table in _FIGURES}

    def overlap(self, ov: OverlapSection, path: Path) -> int:
        from graph_engine.spark import spark_overlap

        found = spark_overlap(
            self.store,
            spark=self.session,
            version=self.version,
            min_shared=ov.min_shared,
            min_jaccard=float(ov.min_jaccard),
            output=path,
        )
        assert isinstance(found, int)
        return found

    def communities(self, co: CommunitiesSection) -> Communities:
        from graph_engine.spark import spark_communities

        return spark_communities(
            self.store, spark=self.session, version=self.version, **_community_options(co)
        )

    def select(self, options: dict[str, Any]) -> Selection:
        from graph_engine.spark import spark_select

        return spark_select(self.store, spark=self.session, version=self.version, **options)

    def audience(self, ids: list[Any]) -> dict[str, Any]:
        from graph_engine.spark import spark_audience

        return spark_audience(self.store, ids, spark=self.session, version=self.version).summary

    def largest(self, n: int) -> list[Any]:
        creators = open_version(self.store, self.version).read("creators")
        order = creators[s.FOLLOWERS].to_numpy().argsort(kind="stable")[::-1][:n]
        return creators[s.CREATOR_ID].gather(order).to_list()

    def holding(self, ids: list[Any]) -> AudienceGraph:
        return read_store(self.store, self.version, creators=ids)  # only these creators' edges


def _spark_text(value: str | float | bool) -> str:
    """Spell a job's Spark setting as Spark does (``true``, ``4``, ``0.5``)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


_FIGURES: tuple[Table, ...] = ("creators", "followers", "edges")  # the graph's figures


def _stages(
    engine: _Engine, job: Job, out: Path, say: Progress
) -> tuple[dict[str, Any], dict[str, Path], Selection | None]:
    """Run every enabled stage on `engine`, writing into `out`: summary, files, selection."""
    outputs: dict[str, Path] = {}
    summary: dict[str, Any] = {"job": job.path.name, "graph": engine.figures()}
    if engine.filters:
        summary["audience_filter"] = "; ".join(engine.filters)
    if job.overlap.enabled:
        say("overlap: pairwise shared followers")
        summary["overlap"] = _overlap(engine, job, out, outputs)
    found: Communities | None = None
    if job.communities.enabled:
        say(f"communities: {job.communities.method} on {job.communities.weight}")
        found = _communities(engine, job, out, outputs)
        summary["communities"] = {
            "n_communities": found.n_communities,
            "modularity": round(found.modularity, 6),
            "sizes": found.summary["size"].to_list(),
        }
    selection: Selection | None = None
    if job.selection.enabled:
        say("selection: " + _describe(job))
        selection = engine.select(_selection_options(job, found))
        summary["selection"] = _selection_outputs(engine, selection, out, outputs)
    if job.output.plots:
        say("plots")
        outputs.update(_plots(engine, job, found, selection, out))
    outputs["summary"] = out / "summary.json"
    names = {k: str(v.relative_to(out)) for k, v in outputs.items()}
    if job.output.report:
        say("report")
        outputs["report"] = out / REPORT_NAME
        names["report"] = REPORT_NAME
    store = _relative(job.store, job.out_dir) if job.store is not None else "store"
    summary["outputs"] = dict(sorted({**names, "store": store}.items()))
    write_text(outputs["summary"], dumps_json(summary))
    if job.output.report:
        write_text(
            outputs["report"], render_report(_report_inputs(engine, summary, selection, found))
        )
    return summary, outputs, selection


def _report_inputs(
    engine: _Engine,
    summary: dict[str, Any],
    selection: Selection | None,
    found: Communities | None,
) -> ReportInputs:
    """Gather from memory what `graph-engine report RUN_DIR` reads back from the files."""
    chosen = selection.to_dict() if selection is not None else None
    picks = selection.picks[s.CREATOR_ID].to_list() if selection is not None else []
    return ReportInputs(
        summary=summary,
        selection=json.loads(dumps_json(chosen)) if chosen is not None else None,
        picks_graph=engine.holding(picks).subgraph(creators=picks) if picks else None,
        communities=found.summary if found is not None else None,
        membership=found.membership if found is not None else None,
    )


def _ingest(job: Job, say: Progress) -> StoreTables | None:
    """Read the job's edge files into store tables (None when the job names a store)."""
    if job.store is not None:
        say(f"using store {job.store}")
        return None
    say(f"reading {len(job.edges)} edge file(s)")
    inp = job.input
    return ingest(
        job.edges,
        creators=job.creators_file,
        format=inp.format,
        creator_column=inp.creator_column,
        follower_column=inp.follower_column,
        direction=inp.direction,
        separator=inp.separator,
        id_space=inp.id_space,
        creators_column=inp.creators_column,
        tier_thresholds=s.check_tier_thresholds(inp.tiers),
        strict=inp.strict,
    )


def _overlap(engine: _Engine, job: Job, out: Path, outputs: dict[str, Path]) -> dict[str, Any]:
    path = out / "overlap.parquet"  # a file, or on Spark a dataset (a folder of parts)
    n_pairs = engine.overlap(job.overlap, path)
    outputs["overlap"] = path
    columns = ["creator_a", "creator_b", "shared", "jaccard"]
    pairs = pl.scan_parquet(path / "*.parquet" if path.is_dir() else path).select(columns)
    mean = pairs.select(pl.col("jaccard").mean()).collect().item()  # streamed, not held
    strongest = pairs.sort(["jaccard", "shared"], descending=True, maintain_order=True).head(5)
    return {
        "pairs": n_pairs,
        "mean_jaccard": round(float(mean or 0.0), 6),
        "strongest": strongest.collect().to_dicts(),
    }


def _community_options(co: CommunitiesSection) -> dict[str, Any]:
    return {
        "method": co.method,
        "weight": co.weight,
        "min_weight": float(co.min_weight),
        "resolution": float(co.resolution),
        "seed": co.seed,
    }


def _communities(engine: _Engine, job: Job, out: Path, outputs: dict[str, Path]) -> Communities:
    found = engine.communities(job.communities)
    outputs["communities"] = out / "communities.parquet"
    write_frames([found.membership], outputs["communities"], empty=found.membership)
    outputs["community_summary"] = out / "communities.summary.parquet"
    write_frames([found.summary], outputs["community_summary"], empty=found.summary)
    return found


def _selection_options(job: Job, found: Communities | None) -> dict[str, Any]:
    """Give the arguments of `select_creators` that the ``[selection]`` section holds."""
    se = job.selection
    communities: Any = se.communities
    if communities is None and se.max_per_community is not None and found is not None:
        communities = found.membership
    return {
        "count": se.count,
        "budget": se.budget,
        "target_reach": se.target_reach,
        "minimize": se.minimize,
        "must_include": [str(x) for x in se.must_include],
        "must_exclude": [str(x) for x in se.must_exclude],
        "min_engagement": se.min_engagement,
        "communities": communities,
        "max_per_community": se.max_per_community,
        "price_by_tier": {str(k): float(v) for k, v in se.price.items()} or None,
        "posts": se.posts,
        "reach_rate": None if se.reach_rate is None else read_rate(se.reach_rate),
        "overhead": float(se.overhead),
        "weight": se.weight,
        "max_following": se.max_following,
        "method": se.method,
        "time_limit": float(se.time_limit),
        "currency": se.currency,
    }


def _selection_outputs(
    engine: _Engine, selection: Selection, out: Path, outputs: dict[str, Path]
) -> dict[str, Any]:
    outputs["selection_json"] = out / "selection.json"
    write_text(outputs["selection_json"], dumps_json(selection.to_dict()))
    outputs["selection_csv"] = out / "selection.csv"
    write_frames([selection.picks], outputs["selection_csv"], empty=selection.picks)
    ids = selection.picks[s.CREATOR_ID].to_list()
    report = engine.audience(ids) if ids else {}
    return {
        "summary": selection.summary(),
        "reach": selection.reach,
        "reach_share": round(selection.reach_share, 6),
        "total_cost": round(selection.total_cost, 2),
        **(
            {"expected_reach": selection.expected_reach}
            if selection.expected_reach is not None
            else {}
        ),
        "upper_bound": selection.upper_bound,
        "gap": round(selection.gap, 6),
        "optimal": selection.optimal,
        "method": selection.method,
        "picks": ids,
        "duplicated": report.get("duplicated"),
        "expected_frequency": report.get("expected_frequency"),
    }


def _choose(graph: AudienceGraph, job: Job) -> AudienceGraph:
    """Choose the creators of ``[creators]``, leaving out the people of ``[audience]``.

    Creators are chosen by observed followers in the store, before any exclusion.
    """
    c = job.creators
    ids = [str(x) for x in c.ids]
    ids += read_id_list(job.ids_file, "`creators.ids_file`") if job.ids_file else []
    rows = graph.choose(
        creators=ids or None,
        tiers=list(c.tiers) or None,
        min_followers=c.min_followers,
        max_followers=c.max_followers,
    )
    if rows.size == 0:
        raise ParameterError("no creator matches the [creators] section of the job")
    exclude = Exclusion(
        audience_of=tuple(str(x) for x in job.audience.exclude_audience_of),
        followers=tuple(
            read_id_list(job.exclude_followers, "`audience.exclude_followers` file")
            if job.exclude_followers
            else []
        ),
        where=job.audience.followers_where,
    )
    if not exclude and rows.size == graph.n_creators:
        return graph
    return graph.excluding(exclude).take(rows)


def _describe(job: Job) -> str:
    se = job.selection
    given = {"count": se.count, "budget": se.budget, "target_reach": se.target_reach}
    return ", ".join(f"{k} {v}" for k, v in given.items() if v is not None) or "(no objective)"


def _plots(
    engine: _Engine,
    job: Job,
    found: Communities | None,
    selection: Selection | None,
    out: Path,
) -> dict[str, Path]:
    files: dict[str, Path] = {}
    picks = selection.picks[s.CREATOR_ID].to_list() if selection is not None else []
    n = job.output.matrix_creators
    chosen = list(dict.fromkeys([*picks, *engine.largest(n)]))[: max(n, len(picks))]
    files["plot_overlap_matrix"] = plot_overlap_matrix(
        engine.holding(chosen),
        chosen,
        out / "overlap_matrix.png",
        membership=found.membership if found else None,
        highlight=picks,
    )
    if selection is not None and selection.picks.height:
        files["plot_reach_curve"] = plot_reach_curve(selection, out / "reach_curve.png")
    if found is not None:
        files["plot_community_sizes"] = plot_community_sizes(found, out / "community_sizes.png")
    return files


def _relative(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)
