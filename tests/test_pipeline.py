from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from graph_engine import InputError, ParameterError
from graph_engine.cli.app import app
from graph_engine._hashing import file_sha256
from graph_engine.pipeline import read_job, run_job

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_JOB = ROOT / "sample_graphs" / "twitter100.toml"


@pytest.fixture
def job_dir(tmp_path) -> Path:
    shutil.copytree(ROOT / "sample_graphs" / "twitter100", tmp_path / "twitter100")
    return tmp_path


def write_job(folder: Path, text: str) -> Path:
    path = folder / "job.toml"
    path.write_text(text)
    return path


BASE = """
[input]
edges = ["twitter100/followers.tsv.gz"]
creator_column = "creator"
follower_column = "follower"
"""


def test_sample_job_runs_and_is_reproducible(job_dir):
    text = SAMPLE_JOB.read_text().replace('"../out/twitter100"', '"out"')
    job = read_job(write_job(job_dir, text))
    first = run_job(job)
    digests = {
        name: file_sha256(path)
        for name, path in first.outputs.items()
        if path.suffix in (".parquet", ".json", ".csv", ".png")
    }
    assert {"overlap", "communities", "selection_json", "selection_csv", "summary"} <= set(digests)
    second = run_job(read_job(job.path))
    for name, digest in digests.items():
        assert file_sha256(second.outputs[name]) == digest, name

    def strict(constant: str) -> None:  # NaN / Infinity are not JSON
        raise AssertionError(f"{constant} in a JSON output")

    for name in ("summary.json", "selection.json"):
        json.loads((job_dir / "out" / name).read_text(), parse_constant=strict)
    summary = json.loads((job_dir / "out" / "summary.json").read_text())
    assert summary["graph"]["creators"] == 100
    sel = summary["selection"]
    assert len(sel["picks"]) == 10 and sel["reach"] <= sel["upper_bound"]
    picks = pl.read_csv(job_dir / "out" / "selection.csv")
    assert picks["creator_id"].to_list() == sel["picks"]
    # max_per_community = 4 with the communities found in the same run
    membership = pl.read_parquet(job_dir / "out" / "communities.parquet")
    chosen = membership.filter(pl.col("creator_id").is_in(sel["picks"]))
    assert chosen.group_by("community").len()["len"].max() <= 4
    for png in ("overlap_matrix.png", "reach_curve.png", "community_sizes.png"):
        assert (job_dir / "out" / png).read_bytes()[:4] == b"\x89PNG"


def test_existing_store_and_disabled_stages(job_dir):
    first = run_job(
        read_job(
            write_job(
                job_dir, BASE + '[selection]\ncount = 2\n[output]\ndir = "a"\nplots = false\n'
            )
        )
    )
    store = first.outputs["store"]
    text = (
        f'[input]\nstore = "{store}"\n[overlap]\nenabled = false\n[communities]\nenabled = false\n'
    )
    text += '[selection]\nbudget = 300.0\n[output]\ndir = "b"\nplots = false\n'
    result = run_job(read_job(write_job(job_dir, text)))
    assert "overlap" not in result.summary and "communities" not in result.summary
    assert result.summary["selection"]["total_cost"] <= 300


@pytest.mark.parametrize(
    ("extra", "error", "pattern"),
    [
        (
            "[selection]\ncont = 5\n",
            ParameterError,
            r"unknown key `selection.cont` \(did you mean `count`\?\)",
        ),
        (
            "[selektion]\ncount = 5\n",
            ParameterError,
            r"unknown section `\[selektion\]` \(did you mean `selection`\?\)",
        ),
        (
            '[selection]\ncount = "five"\n',
            ParameterError,
            r"`selection.count` must be int, got 'five'",
        ),
        ("[overlap]\nenabled = 1\n", ParameterError, r"`overlap.enabled` must be bool"),
        ("[input]\nstrict = true\n", InputError, r"not valid TOML"),
    ],
)
def test_bad_job_files_name_the_key(job_dir, extra, error, pattern):
    with pytest.raises(error, match=pattern):
        read_job(write_job(job_dir, BASE + extra))


def test_missing_inputs(job_dir):
    with pytest.raises(InputError, match=r"`input.edges` names `nope.csv`, not found"):
        read_job(write_job(job_dir, '[input]\nedges = ["nope.csv"]\n'))
    with pytest.raises(ParameterError, match=r"exactly one of `input.edges`"):
        read_job(write_job(job_dir, "[selection]\ncount = 2\n"))
    with pytest.raises(InputError, match="not found"):
        read_job(job_dir / "missing.toml")


def test_cli_run(job_dir):
    runner = CliRunner()
    job = write_job(job_dir, BASE + "[selection]\ncount = 3\n[output]\nplots = false\n")
    result = runner.invoke(app, ["run", str(job), "--output-dir", str(job_dir / "cli-out")])
    assert result.exit_code == 0, result.output
    assert "3 creators reach" in result.stdout and "outputs:" in result.stdout
    assert (job_dir / "cli-out" / "summary.json").is_file()
    bad = runner.invoke(app, ["run", str(write_job(job_dir, BASE + "[output]\nplot = false\n"))])
    assert bad.exit_code == 1 and "unknown key `output.plot`" in bad.stderr
    none = runner.invoke(app, ["run", str(write_job(job_dir, BASE))])
    assert none.exit_code == 1 and "needs `selection.count`" in none.stderr
    assert bad.exit_code == 1 and "unknown key `output.plot`" in bad.stderr


def test_readme_job_reference_lists_every_key():
    import re
    import tomllib

    from graph_engine.pipeline import JOB_SCHEMA

    readme = (ROOT / "README.md").read_text()
    block = re.search(r"Every key, with its default:\n\n```toml\n(.*?)```", readme, re.S)
    assert block, "README lacks the job file reference"
    documented = tomllib.loads(block.group(1))
    assert set(documented) == set(JOB_SCHEMA)
    for section, keys in JOB_SCHEMA.items():
        assert set(documented[section]) == set(keys), section
