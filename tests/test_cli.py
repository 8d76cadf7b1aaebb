from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph_engine.cli.app import COMMANDS, app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_graphs" / "twitter100" / "followers.tsv.gz"


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory) -> Path:
    store = tmp_path_factory.mktemp("cli") / "store"
    result = invoke(
        "ingest",
        SAMPLE,
        "--store",
        store,
        "--creator-column",
        "creator",
        "--follower-column",
        "follower",
    )
    assert result.exit_code == 0, result.output
    return store


def test_info_json_has_the_stable_keys(sample_store):
    result = invoke("info", sample_store, "--format", "json")
    assert result.exit_code == 0
    info = json.loads(result.stdout)
    # figures from the data README for twitter100_followers.tsv.gz
    assert (info["creators"], info["followers"], info["edges"]) == (100, 28_459, 100_600)
    assert info["duplicates"] == 0 and info["rejected"] == {}
    assert [t["tier"] for t in info["tiers"]] == ["nano", "micro"]
    assert sum(t["creators"] for t in info["tiers"]) == 100


def test_info_table_and_csv(sample_store):
    table = invoke("info", sample_store)
    assert table.exit_code == 0 and "followers per creator" in table.stdout
    csv = invoke("info", sample_store, "--format", "csv")
    assert csv.exit_code == 0 and csv.stdout.startswith("tier,creators,")  # the first table
    widths = {len(line.split(",")) for line in csv.stdout.splitlines()}
    assert len(widths) == 1, "--format csv is one rectangular table"
    assert "--output FILE.csv writes every part" in csv.stderr


def test_errors_are_one_line_exit_1(tmp_path, sample_store):
    result = invoke("ingest", SAMPLE, "--store", tmp_path / "s")
    assert result.exit_code == 1
    assert "no column `creator_id` (did you mean `creator`?)" in result.stderr
    assert "Traceback" not in result.output
    again = invoke(
        "ingest",
        SAMPLE,
        "--store",
        sample_store,
        "--creator-column",
        "creator",
        "--follower-column",
        "follower",
    )
    assert again.exit_code == 1 and "already exists" in again.stderr
    missing = invoke("info", tmp_path / "nope")
    assert missing.exit_code == 1 and "not found" in missing.stderr


def test_usage_errors_exit_2(sample_store):
    assert invoke("info").exit_code == 2
    assert invoke("info", sample_store, "--format", "xml").exit_code == 2
    assert invoke("ingest", SAMPLE, "--store", "x", "--mode", "merge").exit_code == 2


def test_strict_and_rejects(tmp_path):
    edges = tmp_path / "e.txt"
    edges.write_text("1 2\n2 2\njunk\n")
    strict = invoke("ingest", edges, "--store", tmp_path / "a", "--strict")
    assert strict.exit_code == 1 and "--strict: 2 rows rejected" in strict.stderr
    loose = invoke("ingest", edges, "--store", tmp_path / "b", "--format", "json")
    assert loose.exit_code == 0
    out = json.loads(loose.stdout)
    assert out["rejected"] == {"self_follow": 1, "unparsable": 1}
    assert Path(out["rejects_file"]).is_file()


def test_bad_tiers_option(tmp_path):
    edges = tmp_path / "e.txt"
    edges.write_text("1 2\n")
    result = invoke("ingest", edges, "--store", tmp_path / "s", "--tiers", "10,5,1")
    assert result.exit_code == 1 and "`--tiers` must be three increasing" in result.stderr


def test_generate_then_ingest_with_metadata(tmp_path):
    out = tmp_path / "gen"
    gen = invoke(
        "generate",
        "--out",
        out,
        "--creators",
        30,
        "--followers",
        500,
        "--edges",
        2_000,
        "--niches",
        3,
        "--seed",
        7,
        "--format",
        "json",
    )
    assert gen.exit_code == 0, gen.output
    info = json.loads(gen.stdout)
    ing = invoke(
        "ingest",
        info["edges_file"],
        "--store",
        tmp_path / "s",
        "--creators",
        info["creators_file"],
        "--format",
        "json",
    )
    assert ing.exit_code == 0, ing.output
    assert json.loads(ing.stdout)["edges"] == info["edges"]


def _commands() -> list[str]:
    return sorted(COMMANDS)


def test_every_command_has_help_and_a_readme_line():
    readme = (ROOT / "README.md").read_text()
    commands = _commands()
    assert {"ingest", "info", "generate"} <= set(commands)
    for name in commands:
        result = invoke(name, "--help")
        assert result.exit_code == 0
        doc = re.sub(r"\s+", " ", result.stdout)
        assert "Usage:" in doc and len(doc) > 80, name
        assert "╭" not in result.stdout, f"{name} --help is drawn in rich panels, not plain"
        assert f"graph-engine {name}" in readme, f"README lacks `graph-engine {name}`"


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0 and result.stdout.startswith("graph-engine ")


def test_overlap_outputs(sample_store, tmp_path):
    table = invoke("overlap", sample_store, "--limit", 3)
    assert table.exit_code == 0 and "strongest 3 pairs by jaccard" in table.stdout
    out = tmp_path / "pairs.parquet"
    written = invoke("overlap", sample_store, "--min-shared", 100, "--output", out)
    assert written.exit_code == 0, written.output
    import polars as pl

    pairs = pl.read_parquet(out)
    assert pairs.columns == [
        "creator_a",
        "creator_b",
        "shared",
        "followers_a",
        "followers_b",
        "jaccard",
        "overlap_coefficient",
        "share_of_a",
        "share_of_b",
    ]
    assert pairs["shared"].min() >= 100
    top = json.loads(
        invoke("overlap", sample_store, "--top-k", 1, "--by", "shared", "--format", "json").stdout
    )
    assert len(top) == 100
    assert invoke("overlap", sample_store, "--output", tmp_path / "x.xls").exit_code == 1


def test_overlap_warns_before_a_large_result(sample_store, monkeypatch):
    import graph_engine.overlap as ov

    pairs = json.loads(invoke("overlap", sample_store, "--format", "json").stdout)
    monkeypatch.setattr(ov, "LARGE_RESULT", len(pairs) - 1)
    warned = invoke("overlap", sample_store, "--limit", 1)
    assert warned.exit_code == 0
    assert "warning: up to" in warned.stderr and "--top-k" in warned.stderr
    assert "held in memory" in invoke("overlap", sample_store, "--format", "json").stderr
    narrow = invoke("overlap", sample_store, "--top-k", 1, "--format", "json")
    assert narrow.exit_code == 0 and "warning" not in narrow.stderr


def test_audience_and_similar(sample_store):
    report = json.loads(
        invoke("audience", sample_store, "Set 1", "Set 2", "--format", "json").stdout
    )
    assert report["reach"] <= report["total_followers"] == 3216 + 2735
    assert report["duplicated"] == report["total_followers"] - report["reach"]
    missing = invoke("audience", sample_store, "Set 1", "Set 999")
    assert missing.exit_code == 1 and "creator `Set 999` is not in the graph" in missing.stderr
    similar = json.loads(
        invoke("similar", sample_store, "Set 1", "--top-k", 3, "--format", "json").stdout
    )
    assert len(similar) == 3 and all(r["creator_a"] == "Set 1" for r in similar)


def test_select_json_has_the_stable_keys(sample_store, tmp_path):
    result = invoke("select", sample_store, "--count", 5, "--format", "json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    for key in ("picks", "reach", "total_cost", "upper_bound", "method", "constraints"):
        assert key in out
    assert len(out["picks"]) == 5
    for key in ("creator_id", "cost", "marginal_reach", "reach", "total_cost"):
        assert key in out["picks"][0]
    assert out["picks"][-1]["reach"] == out["reach"] <= out["upper_bound"]
    assert out["constraints"]["count"] == 5
    table = invoke("select", sample_store, "--budget", 500, "--method", "greedy")
    assert table.exit_code == 0 and "unique followers" in table.stdout
    saved = tmp_path / "sel.json"
    assert invoke("select", sample_store, "--count", 2, "--output", saved).exit_code == 0
    assert json.loads(saved.read_text())["constraints"]["count"] == 2


def test_select_errors(sample_store):
    none = invoke("select", sample_store)
    assert none.exit_code == 1 and "give `count`, `budget` or `target_reach`" in none.stderr
    bad = invoke("select", sample_store, "--count", 2, "--price", "nano:10")
    assert bad.exit_code == 1 and "tier=price" in bad.stderr
    eng = invoke("select", sample_store, "--count", 2, "--min-engagement", 0.1)
    assert eng.exit_code == 1 and "engagement_rate" in eng.stderr


def test_communities_then_select_with_caps(sample_store, tmp_path):
    out = tmp_path / "comm.parquet"
    result = invoke(
        "communities", sample_store, "--min-weight", 0.05, "--output", out, "--format", "json"
    )
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert info["n_communities"] >= 2 and 0 < info["modularity"] < 1
    import polars as pl

    membership = pl.read_parquet(out)
    assert membership.columns == ["creator_id", "community"] and membership.height == 100
    assert pl.read_parquet(tmp_path / "comm.summary.parquet").height == info["n_communities"]
    assert pl.read_parquet(tmp_path / "comm.figures.parquet")["modularity"][0] == info["modularity"]
    sel = invoke(
        "select",
        sample_store,
        "--count",
        6,
        "--communities",
        out,
        "--max-per-community",
        1,
        "--format",
        "json",
    )
    assert sel.exit_code == 0, sel.output
    picks = json.loads(sel.stdout)["picks"]
    assert len({p["community"] for p in picks}) == len(picks)


def test_json_stdout_stays_json_whatever_the_solver_prints(sample_store):
    import subprocess
    import sys

    done = subprocess.run(
        [
            *(sys.executable, "-m", "graph_engine", "select", str(sample_store)),
            *("--count", "3", "--method", "exact", "--format", "json"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)  # HiGHS 1.16 prints a banner: it must go to stderr
    assert answer["optimal"] and len(answer["picks"]) == 3


def test_ids_that_look_like_markup_or_escapes_print_literally(tmp_path):
    edges = tmp_path / "e.csv"
    edges.write_text('creator_id,follower_id\n[/],1\n[deleted],2\n"\x1b[31mred",3\n[/],2\n')
    store = tmp_path / "s"
    assert invoke("ingest", edges, "--store", store).exit_code == 0
    shown = invoke("audience", store, "[/]", "[deleted]", "\x1b[31mred")
    assert shown.exit_code == 0, shown.output
    assert "[/]" in shown.stdout and "[deleted]" in shown.stdout
    assert "\x1b" not in shown.stdout and "\\x1b[31mred" in shown.stdout
