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


def test_a_job_on_spark_refuses_what_spark_does_not_run(job_dir):
    store = run_job(
        read_job(write_job(job_dir, BASE + "[selection]\ncount = 2\n[output]\nplots = false\n"))
    ).outputs["store"]
    head = f'[input]\nstore = "{store}"\n[engine]\nname = "spark"\n[selection]\ncount = 2\n'
    assert read_job(write_job(job_dir, head)).engine.name == "spark"  # checked, not started
    for extra, named in [
        ('[creators]\ntiers = ["micro"]\n', "`creators.tiers` is not available"),
        ("[overlap]\ntop_k = 3\n", "`overlap.top_k` is not available"),
        ('[audience]\nfollowers_where = "following < 5"\n', "`audience.followers_where`"),
    ]:
        with pytest.raises(ParameterError, match=named):
            read_job(write_job(job_dir, head + extra))


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
        == {
            "input",
            "creators",
            "audience",
            "overlap",
            "communities",
            "selection",
            "output",
            "engine",
        }
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
    ("[selection]\ncount = 3\nmax_following = 0\n", "`selection.max_following`"),
    ("[selection]\ncount = 3\nmin_engagement = nan\n", "`selection.min_engagement`"),
    ("[selection]\ncount = 3\nmust_include = [true]\n", "`selection.must_include.0`"),
    ('[selection]\ncount = 3\nmust_include = ["a"]\nmust_exclude = ["a"]\n', "both hold"),
    ("[selection]\ncount = 3\ncommunities = 5\n", "`selection.communities` must be str"),
    (
        "[selection]\ncount = 3\nmax_per_community = 2\n[communities]\nenabled = false\n",
        "`selection.max_per_community` needs",
    ),
    ("[selection]\nenabled = true\n", "needs `selection.count`"),
    ("[selection]\ncount = 3\n[communities]\nresolution = inf\n", "`communities.resolution`"),
    ("[selection]\ncount = 3\n[communities]\nmin_weight = 1.5\n", "`communities.min_weight`"),
    ("[selection]\ncount = 3\n[overlap]\nmin_jaccard = -inf\n", "`overlap.min_jaccard`"),
    ("[selection]\ncount = 3\n[overlap]\nmin_shared = 1.0\n", "`overlap.min_shared` must be int"),
    ("[selection]\ncount = 3\n[creators]\nids = [true]\n", "`creators.ids.0` must be str or int"),
    ('[selection]\ncount = 3\n[creators]\nids_file = "nope.txt"\n', "`creators.ids_file`"),
    (
        "[selection]\ncount = 3\n[creators]\nmin_followers = 10\nmax_followers = 5\n",
        "`creators.max_followers`",
    ),
    ("[selection]\ncount = 3\n[creators]\nmax_followers = nan\n", "`creators.max_followers`"),
    ('[selection]\ncount = 3\n[input]\nseparator = ";;"\n', "`input.separator`"),
    ('[selection]\ncount = 3\n[input]\ncreators = "nope.csv"\n', "`input.creators`"),
    ('[selection]\ncount = 3\n[input]\nstore = "twitter100"\n', "exactly one of `input.edges`"),
    ("[selection]\ncount = 3\n[input]\ntiers = [0, 10, 100]\n", "`input.tiers`"),
    ("[selection]\ncount = 3\n[input]\ntiers = [1000, 1e5, 1e6]\n", "`input.tiers.1`"),
    ("[selection]\ncount = 3\n[output]\nmatrix_creators = -1\n", "`output.matrix_creators`"),
    ("[selection]\ncount = 3\n[output]\nplot = false\n", "unknown key `output.plot`"),
    ("[[selection]]\ncount = 3\n", "`selection` must be a [selection] table"),
    ('[selection]\ncount = 3\n[engine]\nname = "spark"\n', "reads an existing store"),
    ('[selection]\ncount = 3\n[engine]\nname = "sparc"\n', "one of embedded, spark"),
    ("[selection]\ncount = 3\n[engine]\nspark_conf = { a = [1] }\n", "`engine.spark_conf.a`"),
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
    # and without --output-dir: nothing appears next to the job either
    again = CliRunner().invoke(app, ["run", str(job)])
    assert again.exit_code == 1 and fragment in again.stderr, again.stderr
    assert sorted(p.name for p in job_dir.iterdir()) == ["bad.toml", "twitter100"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            '[communities]\nmethod = "leidn"\n',
            "`communities.method` must be one of leiden, louvain, got 'leidn'; "
            "hint: did you mean `leiden`?",
        ),
        (
            "[communities]\nresolution = 0\n",
            "`communities.resolution` must be greater than 0, got 0; hint: modularity resolution",
        ),
        (
            '[selection]\ncount = 3\nprice = { nano = "cheap" }\n',
            "`selection.price.nano` must be a number, got 'cheap'; hint: per post",
        ),
        (
            "[selection]\ncount = 3\nprice = { giga = 5 }\n",
            "`selection.price.giga` must be one of nano, micro, macro, mega, got 'giga'",
        ),
        (
            "[selection]\nbudget = nan\n",
            "`selection.budget` must be a finite number, got nan; hint: total cost",
        ),
        (
            '[selection]\ncount = 3\nmethod = "zzz"\n',
            "`selection.method` must be one of auto, greedy, exact, plain-greedy, got 'zzz'; "
            "hint: the default is `auto`",
        ),
    ],
)
def test_bad_values_name_the_value_and_a_hint(job_dir, extra, message):
    text = BASE + extra + ("" if "[selection]" in extra else "[selection]\ncount = 3\n")
    with pytest.raises(ParameterError) as caught:
        read_job(write_job(job_dir, text))
    assert str(caught.value).startswith(f"job file `{job_dir / 'job.toml'}`: ")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_readme_holds_the_generated_job_reference():
    from graph_engine.job import job_reference

    readme = (ROOT / "README.md").read_text()
    assert f"```toml\n{job_reference()}```" in readme, (
        "README.md's job file reference differs from the typed job; regenerate it with "
        'python -c "from graph_engine.job import job_reference; print(job_reference())"'
    )


def test_every_key_of_the_reference_parses_back_to_its_default():
    import tomllib

    from graph_engine.job import Job, job_reference

    reference = tomllib.loads(job_reference())
    defaults = Job()
    assert list(reference) == [
        "input",
        "creators",
        "audience",
        "overlap",
        "communities",
        "selection",
        "output",
        "engine",
    ]
    for section, shown in reference.items():
        model = getattr(defaults, section)
        assert list(shown) == list(type(model).model_fields), section
        given = {}
        for key, value in shown.items():
            default = getattr(model, key)
            if default is None:  # the README's convention: "" or 0 marks an absent key
                assert value in ("", 0), f"{section}.{key}"
                continue
            assert value == default and type(value) is type(default), f"{section}.{key}"
            given[key] = value
        assert type(model).model_validate(given) == model, section


def test_job_defaults_are_the_library_defaults():
    import inspect

    from graph_engine.communities import detect_communities
    from graph_engine.job import Job
    from graph_engine.overlap import compute_overlap
    from graph_engine.selection import select_creators

    job = Job()
    for section, function in (
        (job.overlap, compute_overlap),
        (job.communities, detect_communities),
        (job.selection, select_creators),
    ):
        parameters = inspect.signature(function).parameters
        for key in type(section).model_fields:
            if key in parameters:
                default = parameters[key].default
                expected = list(default) if isinstance(default, tuple) else default
                assert getattr(section, key) == expected, key
