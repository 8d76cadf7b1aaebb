"""Bad-input sweep, options: out-of-range numbers fail before any work, JSON stays JSON.

A value that makes no sense (NaN, infinity, a negative count, an unknown name) must be an
error in one line naming the option, never an answer reported as proven; and every
command's ``--format json`` must print exactly one JSON document on stdout, whatever the
libraries under it print.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from graph_engine.cli.app import COMMANDS
from tests.sweep import assert_clean_failure, invoke, run_cli, snapshot

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_graphs" / "twitter100" / "followers.tsv.gz"
SAMPLE_JOB = ROOT / "sample_graphs" / "twitter100.toml"
COLUMNS = ("--creator-column", "creator", "--follower-column", "follower")


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("options") / "store"
    assert invoke("ingest", SAMPLE, "--store", path, *COLUMNS).code == 0
    return path


# (command and options after the store, words of the error)
BAD_OPTIONS: list[tuple[list[str], list[str]]] = [
    (["select", "--budget", "nan"], ["budget", "finite"]),
    (["select", "--budget", "inf"], ["budget", "finite"]),
    (["select", "--budget", "-5"], ["budget"]),
    (["select", "--budget", "0"], ["budget"]),
    (["select", "--count", "0"], ["count", "at least 1"]),
    (["select", "--count", "-2"], ["count"]),
    (["select", "--count", "3", "--max-following", "-1"], ["max_following"]),
    (["select", "--count", "3", "--max-following", "0"], ["max_following"]),
    (["select", "--count", "3", "--time-limit", "-1"], ["time_limit"]),
    (["select", "--count", "3", "--time-limit", "0"], ["time_limit"]),
    (["select", "--count", "3", "--time-limit", "nan"], ["time_limit"]),
    (["select", "--count", "3", "--min-engagement", "nan"], ["min_engagement"]),
    (["select", "--count", "3", "--min-engagement", "-0.1"], ["min_engagement"]),
    (["select", "--count", "3", "--overhead", "nan"], ["overhead"]),
    (["select", "--count", "3", "--overhead", "-1"], ["overhead"]),
    (["select", "--count", "3", "--posts", "0"], ["posts"]),
    (["select", "--target-reach", "nan"], ["target_reach"]),
    (["select", "--target-reach", "1.5"], ["target_reach"]),
    (["select", "--count", "3", "--budget", "100", "--target-reach", "0.5"], ["target_reach"]),
    (["select"], ["count", "budget"]),
    (["select", "--count", "3", "--max-per-community", "0"], ["max_per_community"]),
    (["select", "--count", "3", "--must-include", "nobody"], ["nobody"]),
    (["communities", "--resolution", "nan"], ["resolution"]),
    (["communities", "--resolution", "0"], ["resolution"]),
    (["communities", "--resolution", "-1"], ["resolution"]),
    (["overlap", "--min-jaccard", "nan"], ["min_jaccard"]),
    (["overlap", "--min-jaccard", "2"], ["min_jaccard"]),
    (["overlap", "--min-shared", "-3"], ["min_shared"]),
    (["overlap", "--top-k", "0"], ["top_k"]),
    (["overlap", "--limit", "-1"], ["limit"]),
    (["overlap", "--output", "pairs.xls"], ["extension"]),
    (["similar", "nobody"], ["nobody"]),
    (["similar", "Set 1", "--top-k", "0"], ["top_k"]),
    (["audience", "nobody"], ["nobody"]),
    (["restore", "v999999"], ["v999999"]),
    (["restore", "../v000001"], ["no version"]),
]


@pytest.mark.parametrize(("args", "words"), BAD_OPTIONS, ids=[" ".join(a) for a, _ in BAD_OPTIONS])
def test_a_bad_option_fails_in_one_line_before_any_work(store, tmp_path, args, words):
    command, *options = args
    before = snapshot(store)
    out = invoke(command, store, *options)
    assert_clean_failure(out, *words)
    assert snapshot(store) == before and not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    "args",
    [["select", "--budget", "abc"], ["select", "--count", "1.5"], ["overlap", "--by", "zzz"]],
)
def test_an_option_of_the_wrong_type_is_a_usage_error(store, args):
    command, *options = args
    assert_clean_failure(invoke(command, store, *options), code=2)


def test_communities_write_nested_columns_to_csv_as_json_text(store, tmp_path):
    out = invoke("communities", store, "--output", tmp_path / "c.csv")
    assert out.code == 0, out.stderr
    summary = pl.read_csv(tmp_path / "c.summary.csv")
    figures = pl.read_csv(tmp_path / "c.figures.csv")  # every part is written: the figures too
    assert figures.height == 1 and figures["n_communities"][0] == summary.height
    assert 0 < figures["modularity"][0] < 1
    assigned = pl.read_csv(tmp_path / "c.csv", schema_overrides={"creator_id": pl.String})
    sizes = assigned.group_by("community").len().sort("community")
    assert summary.select("community", "size").rows() == sizes.rows()
    for community, text in summary.select("community", "top_creators").iter_rows():
        members = set(assigned.filter(pl.col("community") == community)["creator_id"])
        assert set(json.loads(text)) <= members


def _json_cases(tmp_path: Path, store: Path) -> dict[str, list[object]]:
    """One ordinary call of every command (as `--format json` would be run)."""
    versioned = tmp_path / "versioned"
    assert invoke("ingest", SAMPLE, "--store", versioned, *COLUMNS).code == 0
    again = invoke("ingest", SAMPLE, "--store", versioned, "--mode", "replace", *COLUMNS)
    assert again.code == 0
    run_dir = tmp_path / "run"
    assert invoke("run", SAMPLE_JOB, "--output-dir", run_dir).code == 0
    return {
        "ingest": ["ingest", SAMPLE, "--store", tmp_path / "new", *COLUMNS],
        "info": ["info", store],
        "creators": ["creators", store, "--search", "set 1"],
        "versions": ["versions", versioned],
        "verify": ["verify", versioned],
        "restore": ["restore", versioned, "v000001"],
        "overlap": ["overlap", store, "--top-k", "2"],
        "audience": ["audience", store, "Set 1", "Set 2", "Set 3"],
        "similar": ["similar", store, "Set 1"],
        "communities": ["communities", store],
        "select": ["select", store, "--count", "3", "--method", "exact"],
        "run": ["run", SAMPLE_JOB, "--output-dir", tmp_path / "run2"],
        "report": ["report", run_dir],
        "generate": ["generate", "--out", tmp_path / "gen", "--creators", "20", "--edges", "500"],
    }


def test_every_command_prints_one_json_document_with_format_json(store, tmp_path):
    cases = _json_cases(tmp_path, store)
    assert set(cases) == set(COMMANDS), "a command without a --format json case"
    for name, args in cases.items():
        out = run_cli(*args, "--format", "json")  # a real process: real stdout, real banners
        assert out.code == 0, (name, out.stderr)
        assert "Traceback" not in out.stderr
        document = json.loads(out.stdout)
        assert isinstance(document, dict | list) and document, name
