from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from graph_engine import InputError, ParameterError
from graph_engine._hashing import file_sha256
from graph_engine.cli.app import app
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


def test_readme_job_reference_is_the_typed_job():
    import re
    import tomllib

    from graph_engine.job import Job

    readme = (ROOT / "README.md").read_text()
    block = re.search(r"Every key, with its default:\n\n```toml\n(.*?)```", readme, re.S)
    assert block, "README lacks the job file reference"
    documented = tomllib.loads(block.group(1))
    defaults = Job()
    sections = {name for name, f in Job.model_fields.items() if name in documented}
    assert (
        set(documented)
        == sections
        == {"input", "creators", "overlap", "communities", "selection", "output"}
    )
    for section, keys in documented.items():
        model = getattr(defaults, section)
        assert set(keys) == set(type(model).model_fields), section
        for key, value in keys.items():
            default = getattr(model, key)
            if default not in (None, [], {}):  # shown with its default
                assert value == default, f"{section}.{key}"
            elif default is None and value in ("", 0):
                continue  # the README's convention: "" or 0 marks an optional key
            type(model).model_validate({key: value})  # an example that parses


BAD_JOBS = [
    ("[selection]\ncount = 5\n[selektion]\nx = 1\n", "unknown section"),
    ("[selection]\ncont = 5\n", "`selection.cont`"),
    ('[selection]\ncount = "five"\n', "`selection.count` must be int"),
    ("[selection]\ncount = 0\n", "`selection.count`"),
    ("[selection]\ncount = true\n", "`selection.count`"),
    ("[selection]\nbudget = -1\n", "`selection.budget`"),
    ("[selection]\nbudget = nan\n", "`selection.budget` must be a finite number"),
    ("[selection]\nbudget = inf\n", "`selection.budget` must be a finite number"),
    ("[selection]\ntarget_reach = 1.5\n", "`selection.target_reach`"),
    ("[selection]\ntarget_reach = 0.5\ncount = 3\n", "cannot be combined"),
    ('[selection]\ncount = 3\nmethod = "exactly"\n', "`selection.method` must be one of"),
    ('[selection]\ncount = 3\nminimize = "price"\n', "`selection.minimize`"),
    ("[selection]\ncount = 3\ntime_limit = -1\n", "`selection.time_limit`"),
    ("[selection]\ncount = 3\ntime_limit = nan\n", "`selection.time_limit`"),
    ('[selection]\ncount = 3\nprice = { nano = "cheap" }\n', "`selection.price.nano`"),
    ("[selection]\ncount = 3\nprice = { giga = 5 }\n", "`selection.price.giga`"),
    ("[selection]\ncount = 3\nprice = { nano = -5 }\n", "`selection.price.nano`"),
    ("[selection]\ncount = 3\nposts = 0\n", "`selection.posts`"),
    ("[selection]\ncount = 3\noverhead = -1\n", "`selection.overhead`"),
    ("[selection]\ncount = 3\nmax_per_community = 0\n", "`selection.max_per_community`"),
    ("[selection]\ncount = 3\nmax_following = -1\n", "`selection.max_following`"),
    ('[selection]\ncount = 3\n[communities]\nmethod = "leidn"\n', "`communities.method`"),
    ('[selection]\ncount = 3\n[communities]\nweight = "cosine"\n', "`communities.weight`"),
    ("[selection]\ncount = 3\n[communities]\nresolution = 0\n", "`communities.resolution`"),
    ("[selection]\ncount = 3\n[communities]\nresolution = nan\n", "`communities.resolution`"),
    ("[selection]\ncount = 3\n[communities]\nmin_weight = -0.1\n", "`communities.min_weight`"),
    ("[selection]\ncount = 3\n[communities]\nseed = 1.5\n", "`communities.seed`"),
    ("[selection]\ncount = 3\n[overlap]\nmin_jaccard = 2\n", "`overlap.min_jaccard`"),
    ("[selection]\ncount = 3\n[overlap]\nmin_shared = 0\n", "`overlap.min_shared`"),
    ('[selection]\ncount = 3\n[overlap]\nby = "cosine"\n', "`overlap.by`"),
    ("[selection]\ncount = 3\n[overlap]\ntop_k = -2\n", "`overlap.top_k`"),
    ("[selection]\ncount = 3\n[output]\nmatrix_creators = 0\n", "`output.matrix_creators`"),
    ("[selection]\ncount = 3\n[output]\nplots = 1\n", "`output.plots` must be bool"),
    ('[selection]\ncount = 3\n[creators]\ntiers = ["giga"]\n', "`creators.tiers.0`"),
    ("[selection]\ncount = 3\n[creators]\nmin_followers = -1\n", "`creators.min_followers`"),
    ("[selection]\ncount = 3\n[creators]\nids = [1.5]\n", "`creators.ids"),
    ('[selection]\ncount = 3\n[input]\ntiers = ["a", "b", "c"]\n', "`input.tiers.0`"),
    ("[selection]\ncount = 3\n[input]\ntiers = [5, 2, 1]\n", "`input.tiers`"),
    ("[selection]\ncount = 3\n[input]\ntiers = [1000, 100000]\n", "`input.tiers`"),
    ('[selection]\ncount = 3\n[input]\nformat = "xlsx"\n', "`input.format`"),
    ('[selection]\ncount = 3\n[input]\ndirection = "both"\n', "`input.direction`"),
    ("[selection]\ncount = 3\n[input]\nstrict = 1\n", "`input.strict` must be bool"),
    ("[selection]\ncount = 3\noverlap = 5\n", "unknown key `selection.overlap`"),
    ("[selection]\ncount = 3\n[output]\ndir = 5\n", "`output.dir` must be str"),
]


@pytest.mark.parametrize(("extra", "fragment"), BAD_JOBS)
def test_bad_job_fails_before_any_stage_runs(job_dir, extra, fragment):
    job = job_dir / "bad.toml"
    out = job_dir / "bad-out"
    head, inside, keys = extra.partition("[input]\n")  # [input] keys go into BASE's table
    job.write_text(BASE + keys + head if inside else BASE + extra)
    result = CliRunner().invoke(app, ["run", str(job), "--output-dir", str(out)])
    assert result.exit_code == 1, result.output
    assert fragment in result.stderr, result.stderr
    assert "Traceback" not in result.output and len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()  # validation happens before anything is written
