"""The Spark engine gives exactly the embedded engine's answers (a real local Spark).

Marked `spark`: `make test` runs them (it installs the `spark` extra and, when missing,
a Java runtime); they take about a minute, most of it Spark's start.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from graph_engine import compute_overlap, generate_graph, ingest_into_store, read_store

pytestmark = pytest.mark.spark

ROOT = Path(__file__).resolve().parents[1]
KEY = ["creator_a", "creator_b"]


@pytest.fixture(scope="module")
def spark():
    from graph_engine.spark import spark_session

    session = spark_session("local[2]", {"spark.sql.shuffle.partitions": "4"})
    yield session
    session.stop()


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("spark")
    out = {}
    twitter = ROOT / "sample_graphs" / "twitter100" / "followers.tsv.gz"
    out["twitter100"] = base / "twitter100"
    ingest_into_store(
        [twitter], out["twitter100"], creator_column="creator", follower_column="follower"
    )
    synthetic = ROOT / "sample_graphs" / "synthetic"
    out["synthetic"] = base / "synthetic"
    ingest_into_store(  # with handles: the pairs carry handle_a and handle_b
        [synthetic / "edges.parquet"], out["synthetic"], creators=synthetic / "creators.csv"
    )
    # skewed: a few creators with most of the follows, heavy followers too
    generated = generate_graph(
        base / "gen",
        n_creators=400,
        n_followers=20_000,
        n_edges=120_000,
        seed=3,
        popularity_exponent=2.0,
    )
    out["generated"] = base / "generated"
    ingest_into_store([generated.edges_path], out["generated"])
    return out


@pytest.mark.parametrize("name", ["twitter100", "synthetic", "generated"])
def test_every_overlap_row_is_the_embedded_engines(spark, stores, name):
    from graph_engine.spark import spark_overlap

    expected = compute_overlap(read_store(stores[name])).sort(KEY)
    got = spark_overlap(stores[name], spark=spark, partitions=7)
    assert isinstance(got, pl.DataFrame)
    assert got.columns == expected.columns
    assert got.sort(KEY).equals(expected), name  # every row, every float bit


@pytest.mark.parametrize(("name", "split"), [("twitter100", 2), ("generated", 3), ("generated", 7)])
def test_heavy_followers_counted_in_pieces_give_every_row(spark, stores, name, split):
    from graph_engine.spark import spark_overlap

    graph = read_store(stores[name])
    following = graph.followers["following"]
    # at least 10 followers are split, some into 7 groups or more
    assert (following > 2 * split).sum() >= 10 and following.max() > 6 * split
    expected = compute_overlap(graph).sort(KEY)
    got = spark_overlap(stores[name], spark=spark, split_following=split)
    assert isinstance(got, pl.DataFrame)
    assert got.sort(KEY).equals(expected), name


def test_filters_and_a_parquet_dataset_written_by_spark(spark, stores, tmp_path):
    from graph_engine.spark import spark_overlap

    store = stores["generated"]
    expected = compute_overlap(read_store(store), min_shared=3, min_jaccard=0.02).sort(KEY)
    out = tmp_path / "pairs.parquet"
    n = spark_overlap(store, spark=spark, min_shared=3, min_jaccard=0.02, output=out)
    assert out.is_dir() and n == expected.height  # a dataset folder of part files
    assert pl.read_parquet(out / "*.parquet").sort(KEY).equals(expected)


def _report_frames(report):
    """Every part of an audience report, as comparable values."""
    parts = report.to_dict()
    return {k: (v.to_dicts() if isinstance(v, pl.DataFrame) else v) for k, v in parts.items()}


@pytest.mark.parametrize(
    ("name", "ids"),
    [
        ("synthetic", ["@creator_29", "3", "68", "40"]),  # handles and ids
        ("generated", slice(0, 60, 2)),  # 30 of the largest: the matrix's longest list
        ("generated", slice(0, 93, 3)),  # 31: no matrix
        ("twitter100", slice(0, 5)),
    ],
)
def test_every_audience_figure_is_the_embedded_engines(spark, stores, name, ids):
    from graph_engine import audience_report
    from graph_engine.spark import spark_audience

    store = stores[name]
    if isinstance(ids, slice):  # creators by size, largest first
        ranked = read_store(store).creators.sort("followers", descending=True)["creator_id"]
        ids = [str(x) for x in ranked.to_list()[ids]]
    expected = audience_report(read_store(store, creators=ids), ids)
    got = spark_audience(store, ids, spark=spark)
    assert _report_frames(got) == _report_frames(expected)


def test_the_command_line_runs_on_spark(spark, stores, tmp_path):
    import json

    from typer.testing import CliRunner

    from graph_engine.cli.app import app

    runner = CliRunner()
    store = str(stores["synthetic"])
    spark_args = ["--engine", "spark", "--spark-master", "local[2]"]
    out = tmp_path / "pairs.parquet"
    done = runner.invoke(app, ["overlap", store, *spark_args, "--min-shared", "5", "-o", str(out)])
    assert done.exit_code == 0, done.output
    expected = compute_overlap(read_store(stores["synthetic"]), min_shared=5).sort(KEY)
    assert pl.read_parquet(out / "*.parquet").sort(KEY).equals(expected)
    shown = runner.invoke(app, ["audience", store, "29", "3", *spark_args, "--format", "json"])
    assert shown.exit_code == 0, shown.output
    embedded = runner.invoke(app, ["audience", store, "29", "3", "--format", "json"])
    assert json.loads(shown.stdout) == json.loads(embedded.stdout)
    grouped = runner.invoke(app, ["communities", store, *spark_args, "--format", "json"])
    assert grouped.exit_code == 0, grouped.output
    alone = runner.invoke(app, ["communities", store, "--format", "json"])
    assert json.loads(grouped.stdout) == json.loads(alone.stdout)
    select = ["select", store, "--count", "4", "--max-following", "5", "--time-limit", "120"]
    picked = runner.invoke(app, [*select, *spark_args, "--format", "json"])
    assert picked.exit_code == 0, picked.output
    embedded = runner.invoke(app, [*select, "--format", "json"])
    got, expected = json.loads(picked.stdout), json.loads(embedded.stdout)
    assert got.pop("n_elements") < expected.pop("n_elements")  # groups of followers
    assert got == expected
    for args, message in [
        (["select", store, *spark_args, "--target-reach", "0.5"], "--target-reach is not"),
        (["select", store, *spark_args, "--count", "3", "--tier", "micro"], "--tier is not"),
        (["overlap", store, *spark_args, "--top-k", "3"], "--top-k is not available"),
        (["communities", store, *spark_args, "--tier", "micro"], "--tier is not available"),
        (["audience", store, "29", *spark_args, "--reach-rate", "0.3"], "--reach-rate"),
        (["overlap", store, *spark_args, "-o", str(tmp_path / "p.csv")], "Parquet dataset"),
        (["overlap", store, *spark_args, "--spark-conf", "nokey"], "KEY=VALUE"),
    ]:
        result = runner.invoke(app, args)
        assert result.exit_code != 0 and message in result.output, (args, result.output)


@pytest.mark.parametrize("name", ["synthetic", "generated"])
def test_communities_on_spark_are_the_embedded_engines(spark, stores, name):
    from graph_engine import detect_communities
    from graph_engine.spark import spark_communities

    options = {"min_weight": 0.01, "seed": 3}
    expected = detect_communities(read_store(stores[name]), **options)
    got = spark_communities(stores[name], spark=spark, **options)
    assert got.modularity == expected.modularity
    assert got.membership.equals(expected.membership)
    assert got.summary.equals(expected.summary)
    assert got.parameters == expected.parameters


SELECTIONS = [
    {"count": 5},
    {"count": 8, "max_following": 3, "method": "greedy"},
    {"budget": 5_000.0, "max_following": 5},
]
# the integer program: on the samples (HiGHS does not finish on the generated graph soon)
EXACT = {"count": 3, "method": "exact"}


@pytest.mark.parametrize("name", ["twitter100", "synthetic", "generated"])
def test_selections_on_spark_are_the_embedded_engines(spark, stores, name):
    from graph_engine.outputs import to_jsonable
    from graph_engine.selection import select_creators
    from graph_engine.spark import spark_select

    graph = read_store(stores[name])
    second = graph.creator_ids().to_list()[1]
    cases = [*SELECTIONS, *([] if name == "generated" else [EXACT])]
    for options in cases:
        kw = {**options, "must_include": [second], "time_limit": 120.0}  # not cut short
        expected = to_jsonable(select_creators(graph, **kw).to_dict())
        got = to_jsonable(spark_select(stores[name], spark=spark, **kw).to_dict())
        assert got.pop("n_elements") <= expected.pop("n_elements")  # groups, not followers
        assert got == expected, (name, options)


def test_a_job_on_spark_writes_the_embedded_jobs_outputs(spark, stores, tmp_path):
    import json

    from graph_engine import read_job, run_job

    text = f"""[input]
store = "{stores["synthetic"]}"
[overlap]
min_shared = 5
[communities]
min_weight = 0.01
[selection]
count = 4
max_per_community = 2
time_limit = 120.0
[output]
matrix_creators = 12
"""
    embedded = tmp_path / "embedded.toml"
    embedded.write_text(text + 'dir = "embedded"\n')
    on_spark = tmp_path / "spark.toml"
    engine = '[engine]\nname = "spark"\nspark_conf = { "spark.sql.shuffle.partitions" = 4 }\n'
    on_spark.write_text(text + 'dir = "spark"\n' + engine)
    alone, shared = run_job(read_job(embedded)), run_job(read_job(on_spark))
    assert shared.summary == {**alone.summary, "job": "spark.toml"}
    pairs = pl.read_parquet(shared.outputs["overlap"] / "*.parquet")
    assert pairs.sort(KEY).equals(pl.read_parquet(alone.outputs["overlap"]).sort(KEY))
    files = ["communities", "community_summary", "selection_csv", "plot_overlap_matrix"]
    for name in [*files, "plot_reach_curve", "plot_community_sizes"]:
        assert shared.outputs[name].read_bytes() == alone.outputs[name].read_bytes(), name
    got, expected = (json.loads(r.outputs["selection_json"].read_text()) for r in (shared, alone))
    assert got.pop("n_elements") < expected.pop("n_elements")  # groups of followers
    assert got == expected
    report = shared.outputs["report"].read_text()  # the report's figures: the same words
    assert report == alone.outputs["report"].read_text().replace("embedded.toml", "spark.toml")
    # a second run replaces the dataset it wrote; an embedded run then writes a file there
    again = run_job(read_job(on_spark))
    assert pl.read_parquet(again.outputs["overlap"] / "*.parquet").height == pairs.height
    (tmp_path / "embedded.toml").write_text(text + 'dir = "spark"\n')
    run_job(read_job(embedded))
    out = tmp_path / "spark"
    assert (out / "overlap.parquet").is_file()
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]  # nothing left aside


def test_without_java_spark_is_one_line_with_a_hint(stores, monkeypatch):
    from typer.testing import CliRunner

    from graph_engine.cli.app import app

    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    result = CliRunner().invoke(app, ["overlap", str(stores["synthetic"]), "--engine", "spark"])
    assert result.exit_code == 1, result.output
    assert "needs a Java 17+ runtime" in result.output and "Traceback" not in result.output
