"""The batch pipeline: one TOML job file -> store, overlap, communities, selection, plots.

Relative paths in a job file are relative to the job file's folder. Every section and
key is checked before any work starts; see the README, "Job files", for the reference.
Outputs depend only on the job (same job, same seed, same bytes): nothing in them
records a time or a duration.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from graph_engine import schema as s
from graph_engine.communities import Communities, detect_communities
from graph_engine.errors import InputError, ParameterError, did_you_mean
from graph_engine.graph import AudienceGraph, read_store
from graph_engine.overlap import audience_report, empty_pairs, overlap_blocks
from graph_engine.reports import (
    plot_community_sizes,
    plot_overlap_matrix,
    plot_reach_curve,
    to_jsonable,
    write_frames,
)
from graph_engine.selection import Selection, select_creators
from graph_engine.ingestion import ingest_into_store

Progress = Callable[[str], None]

_OPTIONAL_INT = (int, type(None))
_OPTIONAL_FLOAT = (int, float, type(None))
_OPTIONAL_STR = (str, type(None))
_LIST = (list,)

# section -> key -> (accepted types, default)
JOB_SCHEMA: dict[str, dict[str, tuple[tuple[type, ...], Any]]] = {
    "input": {
        "edges": (_LIST, []),
        "store": (_OPTIONAL_STR, None),
        "creators": (_OPTIONAL_STR, None),
        "format": ((str,), "auto"),
        "creator_column": ((str,), s.CREATOR_ID),
        "follower_column": ((str,), s.FOLLOWER_ID),
        "direction": ((str,), "follower-creator"),
        "separator": (_OPTIONAL_STR, None),
        "creators_column": ((str,), s.CREATOR_ID),
        "tiers": (_LIST, list(s.DEFAULT_TIER_THRESHOLDS)),
        "strict": ((bool,), False),
    },
    "creators": {
        "ids": (_LIST, []),
        "ids_file": (_OPTIONAL_STR, None),
        "tiers": (_LIST, []),
        "min_followers": (_OPTIONAL_INT, None),
        "max_followers": (_OPTIONAL_INT, None),
    },
    "overlap": {
        "enabled": ((bool,), True),
        "min_shared": ((int,), 1),
        "min_jaccard": ((int, float), 0.0),
        "top_k": (_OPTIONAL_INT, None),
        "by": ((str,), "jaccard"),
    },
    "communities": {
        "enabled": ((bool,), True),
        "method": ((str,), "leiden"),
        "weight": ((str,), "jaccard"),
        "min_weight": ((int, float), 0.0),
        "resolution": ((int, float), 1.0),
        "seed": ((int,), 0),
    },
    "selection": {
        "enabled": ((bool,), True),
        "count": (_OPTIONAL_INT, None),
        "budget": (_OPTIONAL_FLOAT, None),
        "target_reach": (_OPTIONAL_FLOAT, None),
        "minimize": ((str,), "cost"),
        "must_include": (_LIST, []),
        "must_exclude": (_LIST, []),
        "min_engagement": (_OPTIONAL_FLOAT, None),
        "communities": (_OPTIONAL_STR, None),
        "max_per_community": (_OPTIONAL_INT, None),
        "price": ((dict,), {}),
        "posts": ((int,), 1),
        "overhead": ((int, float), 0.0),
        "weight": (_OPTIONAL_STR, None),
        "max_following": (_OPTIONAL_INT, None),
        "method": ((str,), "auto"),
        "time_limit": ((int, float), 10.0),
    },
    "output": {
        "dir": ((str,), "out"),
        "plots": ((bool,), True),
        "matrix_creators": ((int,), 30),
    },
}


@dataclass(frozen=True)
class Job:
    """A validated job: every section with every key filled in, paths made absolute."""

    path: Path
    settings: dict[str, dict[str, Any]]

    def __getitem__(self, section: str) -> dict[str, Any]:
        return self.settings[section]


@dataclass(frozen=True)
class JobResult:
    """What a run produced: the summary of every figure and the files written."""

    summary: dict[str, Any]
    outputs: dict[str, Path]
    selection: Selection | None


def read_job(path: str | os.PathLike[str], *, output_dir: str | None = None) -> Job:
    """Parse and check a job file; errors name the section and key."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"job file `{p}` not found (check the path)")
    try:
        raw = tomllib.loads(p.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"job file `{p}` is not valid TOML: {exc}") from exc
    settings: dict[str, dict[str, Any]] = {}
    for section in raw:
        if section not in JOB_SCHEMA:
            raise ParameterError(
                f"job file `{p}`: unknown section `[{section}]`"
                f"{did_you_mean(section, JOB_SCHEMA)}; sections are "
                f"{', '.join(f'[{x}]' for x in JOB_SCHEMA)}"
            )
        if not isinstance(raw[section], dict):
            raise ParameterError(f"job file `{p}`: `{section}` must be a [section] table")
    for section, keys in JOB_SCHEMA.items():
        given = raw.get(section, {})
        for key in given:
            if key not in keys:
                raise ParameterError(
                    f"job file `{p}`: unknown key `{section}.{key}`"
                    f"{did_you_mean(key, keys)}; keys of [{section}] are {', '.join(keys)}"
                )
        settings[section] = {}
        for key, (types, default) in keys.items():
            value = given.get(key, default)
            if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
                names = " or ".join(t.__name__ for t in types if t is not type(None))
                raise ParameterError(
                    f"job file `{p}`: `{section}.{key}` must be {names}, got {value!r}"
                )
            settings[section][key] = value
    base = p.resolve().parent
    inp = settings["input"]
    if bool(inp["edges"]) == bool(inp["store"]):
        raise ParameterError(
            f"job file `{p}`: give exactly one of `input.edges` (files to ingest) or "
            "`input.store` (an existing store)"
        )
    inp["edges"] = [_resolve(base, e, "input.edges", p) for e in inp["edges"]]
    for section, key in (("input", "creators"), ("creators", "ids_file")):
        if settings[section][key] is not None:
            settings[section][key] = _resolve(base, settings[section][key], f"{section}.{key}", p)
    if inp["store"] is not None:
        store = base / inp["store"]
        if not (store / "CURRENT").is_file():
            raise InputError(f"job file `{p}`: `input.store` `{store}` is not a store")
        inp["store"] = store
    se = settings["selection"]
    if se["enabled"] and all(se[k] is None for k in ("count", "budget", "target_reach")):
        raise ParameterError(
            f"job file `{p}`: [selection] needs `selection.count`, `selection.budget` or "
            "`selection.target_reach` (or `selection.enabled = false`)"
        )
    out = output_dir if output_dir is not None else settings["output"]["dir"]
    settings["output"]["dir"] = ((Path.cwd() if output_dir else base) / out).resolve()
    return Job(p, settings)


def _resolve(base: Path, value: Any, key: str, job: Path) -> Path:
    if not isinstance(value, str):
        raise ParameterError(f"job file `{job}`: `{key}` holds {value!r}; paths are strings")
    path = base / value
    if not path.is_file():
        raise InputError(f"job file `{job}`: `{key}` names `{value}`, not found at `{path}`")
    return path


def run_job(job: Job, *, progress: Progress | None = None) -> JobResult:
    """Run every stage of a job and write its outputs; returns the summary."""
    say = progress or (lambda _: None)
    out: Path = job["output"]["dir"]
    out.mkdir(parents=True, exist_ok=True)
    outputs: dict[str, Path] = {}
    summary: dict[str, Any] = {"job": job.path.name}

    inp = job["input"]
    if inp["store"] is not None:
        store = inp["store"]
        say(f"using store {store}")
    else:
        store = out / "store"
        say(f"ingest: {len(inp['edges'])} file(s) -> {store}")
        from graph_engine.store import current_version

        tiers = inp["tiers"]
        if len(tiers) != 3:
            raise ParameterError("`input.tiers` must list three follower counts")
        ingest_into_store(
            inp["edges"],
            store,
            mode="replace" if current_version(store) else "create",
            keep=2,
            creators=inp["creators"],
            format=inp["format"],
            creator_column=inp["creator_column"],
            follower_column=inp["follower_column"],
            direction=inp["direction"],
            separator=inp["separator"],
            creators_column=inp["creators_column"],
            tier_thresholds=(int(tiers[0]), int(tiers[1]), int(tiers[2])),
            strict=inp["strict"],
        )
    outputs["store"] = store
    graph = _choose(read_store(store), job)
    summary["graph"] = {
        "creators": graph.n_creators,
        "followers": graph.n_followers,
        "edges": graph.n_edges,
    }

    ov = job["overlap"]
    if ov["enabled"]:
        say("overlap: pairwise shared followers")
        path = out / "overlap.parquet"
        n_pairs = write_frames(
            overlap_blocks(
                graph,
                min_shared=ov["min_shared"],
                min_jaccard=float(ov["min_jaccard"]),
                top_k=ov["top_k"],
                by=ov["by"],
            ),
            path,
            empty=empty_pairs(graph),
        )
        outputs["overlap"] = path
        pairs = pl.read_parquet(path, columns=["creator_a", "creator_b", "shared", "jaccard"])
        summary["overlap"] = {
            "pairs": n_pairs,
            "mean_jaccard": round(float(pairs["jaccard"].mean() or 0.0), 6),  # type: ignore[arg-type]
            "strongest": pairs.sort(["jaccard", "shared"], descending=True).head(5).to_dicts(),
        }

    found: Communities | None = None
    co = job["communities"]
    if co["enabled"]:
        say(f"communities: {co['method']} on {co['weight']}")
        found = detect_communities(
            graph,
            method=co["method"],
            weight=co["weight"],
            min_weight=float(co["min_weight"]),
            resolution=float(co["resolution"]),
            seed=co["seed"],
        )
        outputs["communities"] = out / "communities.parquet"
        write_frames([found.membership], outputs["communities"], empty=found.membership)
        outputs["community_summary"] = out / "communities.summary.parquet"
        write_frames([found.summary], outputs["community_summary"], empty=found.summary)
        summary["communities"] = {
            "n_communities": found.n_communities,
            "modularity": round(found.modularity, 6),
            "sizes": found.summary["size"].to_list(),
        }

    selection: Selection | None = None
    se = job["selection"]
    if se["enabled"]:
        say("selection: " + _describe(se))
        communities: Any = se["communities"]
        if communities is None and se["max_per_community"] is not None and found is not None:
            communities = found.membership
        selection = select_creators(
            graph,
            count=se["count"],
            budget=se["budget"],
            target_reach=se["target_reach"],
            minimize=se["minimize"],
            must_include=[str(x) for x in se["must_include"]],
            must_exclude=[str(x) for x in se["must_exclude"]],
            min_engagement=se["min_engagement"],
            communities=communities,
            max_per_community=se["max_per_community"],
            price_by_tier={str(k): float(v) for k, v in se["price"].items()} or None,
            posts=se["posts"],
            overhead=float(se["overhead"]),
            weight=se["weight"],
            max_following=se["max_following"],
            method=se["method"],
            time_limit=float(se["time_limit"]),
        )
        outputs["selection_json"] = out / "selection.json"
        outputs["selection_json"].write_text(_json(selection.to_dict()))
        outputs["selection_csv"] = out / "selection.csv"
        write_frames([selection.picks], outputs["selection_csv"], empty=selection.picks)
        ids = selection.picks[s.CREATOR_ID].to_list()
        report = audience_report(graph, ids).summary if ids else {}
        summary["selection"] = {
            "summary": selection.summary(),
            "reach": selection.reach,
            "reach_share": round(selection.reach_share, 6),
            "total_cost": round(selection.total_cost, 2),
            "upper_bound": selection.upper_bound,
            "gap": round(selection.gap, 6),
            "optimal": selection.optimal,
            "method": selection.method,
            "picks": ids,
            "duplicated": report.get("duplicated"),
            "expected_frequency": report.get("expected_frequency"),
        }

    if job["output"]["plots"]:
        say("plots")
        outputs.update(_plots(graph, job, found, selection, out))
    outputs["summary"] = out / "summary.json"
    summary["outputs"] = {k: _relative(v, out) for k, v in sorted(outputs.items())}
    outputs["summary"].write_text(_json(summary))
    return JobResult(summary, outputs, selection)


def _choose(graph: AudienceGraph, job: Job) -> AudienceGraph:
    c = job["creators"]
    ids = [str(x) for x in c["ids"]]
    if c["ids_file"] is not None:
        lines = (line.strip() for line in Path(c["ids_file"]).read_text().splitlines())
        ids += [line for line in lines if line and not line.startswith("#")]
    sub = graph.subgraph(
        creators=ids or None,
        tiers=c["tiers"] or None,
        min_followers=c["min_followers"],
        max_followers=c["max_followers"],
    )
    if sub.n_creators == 0:
        raise ParameterError("no creator matches the [creators] section of the job")
    return sub


def _describe(se: dict[str, Any]) -> str:
    parts = [f"{k} {se[k]}" for k in ("count", "budget", "target_reach") if se[k] is not None]
    return ", ".join(parts) or "(no objective)"


def _plots(
    graph: AudienceGraph,
    job: Job,
    found: Communities | None,
    selection: Selection | None,
    out: Path,
) -> dict[str, Path]:
    files: dict[str, Path] = {}
    picks = selection.picks[s.CREATOR_ID].to_list() if selection is not None else []
    n = job["output"]["matrix_creators"]
    top = graph.creator_ids(graph.degrees.argsort(kind="stable")[::-1][:n]).to_list()
    chosen = list(dict.fromkeys([*picks, *top]))[: max(n, len(picks))]
    files["plot_overlap_matrix"] = plot_overlap_matrix(
        graph,
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


def _json(value: Any) -> str:
    return json.dumps(to_jsonable(value), indent=2, allow_nan=False) + "\n"
