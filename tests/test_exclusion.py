"""Incremental reach: people excluded (a brand's audience, a list) leave every measure."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import polars as pl
import pytest

from graph_engine import UnknownCreatorError, compute_overlap, read_store
from graph_engine.audience import audience_report
from graph_engine.exclusion import Exclusion
from graph_engine.overlap import similar_creators

from .conftest import SYNTHETIC
from .sweep import invoke

BRAND = ("29", "@creator_68")  # the brand's own accounts: an id and a handle


@pytest.fixture()
def store(synthetic_store: Path) -> Path:
    return synthetic_store


@pytest.fixture()
def audiences(synthetic_audiences: dict[int, set[int]]) -> dict[int, set[int]]:
    return synthetic_audiences


@pytest.fixture()
def listed(tmp_path_factory, audiences) -> tuple[Path, set[int]]:
    people = sorted(audiences[1])[:40] + sorted(audiences[150])[:25]
    path = tmp_path_factory.mktemp("list") / "followers.txt"
    path.write_text("\n".join(map(str, [*people, 999_999_999])) + "\n")  # one unknown id
    return path, set(people)


def _excluded(audiences: dict[int, set[int]], listed: set[int]) -> set[int]:
    return audiences[29] | audiences[68] | listed


def test_a_graph_read_with_exclusions_holds_only_the_rest(store, audiences, listed):
    path, people = listed
    gone = _excluded(audiences, people)
    exclude = Exclusion(audience_of=BRAND, followers=tuple(path.read_text().split()))
    for choice in ({}, {"creators": [1, 2, 150, 300]}, {"tiers": ["micro"]}):
        graph = read_store(store, exclude=exclude, **choice)
        assert graph.filters and graph.filters[0].startswith(f"{len(gone):,} followers left out")
        for cid in graph.creator_ids().to_list():
            assert set(graph.audience(cid).to_list()) == audiences[cid] - gone
        assert graph.n_followers == len(
            set().union(*(audiences[c] for c in graph.creator_ids())) - gone
        )


def test_every_measure_is_among_the_people_not_excluded(store, audiences, listed):
    _, people = listed
    gone = _excluded(audiences, people)
    exclude = Exclusion(audience_of=BRAND, followers=tuple(people))
    ids = [1, 2, 150, 300]
    report = audience_report(read_store(store, creators=ids, exclude=exclude), ids)
    assert report.summary["reach"] == len(set().union(*(audiences[i] for i in ids)) - gone)
    assert "audience_filter" in report.summary
    graph = read_store(store, exclude=exclude)
    pairs = compute_overlap(graph, creators=ids)
    expected = {
        (a, b): len((audiences[a] & audiences[b]) - gone)
        for a, b in itertools.combinations(ids, 2)
        if (audiences[a] & audiences[b]) - gone
    }
    assert (
        dict(((a, b), n) for a, b, n in pairs.select("creator_a", "creator_b", "shared").rows())
        == expected
    )
    # similar straight from the store equals similar on the graph read with the exclusion
    assert similar_creators(store, 1, top_k=20, exclude=exclude).equals(
        similar_creators(graph, 1, top_k=20)
    )


def test_select_maximises_incremental_reach_and_reports_the_total(store, audiences):
    small = [1, 2, 40, 68, 120, 150, 226, 300]  # exhaustive search over these
    brand = audiences[29]
    out = invoke(
        "select",
        store,
        "--count",
        "2",
        "--creators",
        ",".join(map(str, small)),
        "--exclude-audience-of",
        "29",
        "--method",
        "exact",
        "--format",
        "json",
    )
    assert out.code == 0, out.stderr
    result = json.loads(out.stdout)
    best = max(
        len((audiences[a] | audiences[b]) - brand) for a, b in itertools.combinations(small, 2)
    )
    assert result["reach"] == best
    picks = [int(p["creator_id"]) for p in result["picks"]]
    assert result["total_reach"] == len(audiences[picks[0]] | audiences[picks[1]])
    assert "excluding the audience of 29" in result["constraints"]["audience_filter"]
    assert any("excluding" in note for note in result["notes"])


def test_an_unknown_excluded_creator_is_one_clear_error(store):
    with pytest.raises(UnknownCreatorError, match="nobody"):
        read_store(store, exclude=Exclusion(audience_of=("nobody",)))
    out = invoke("audience", store, "1", "--exclude-audience-of", "nobody")
    assert out.code == 1 and "Traceback" not in out.stderr
    assert invoke("audience", store, "1", "--exclude-audience-of", " , ").code == 1


def test_excluding_in_memory_equals_excluding_while_reading(store, listed):
    import numpy as np

    path, _ = listed
    exclude = Exclusion(audience_of=BRAND, followers=tuple(path.read_text().split()))
    read = read_store(store, exclude=exclude)
    held = read_store(store).excluding(exclude)
    assert np.array_equal(read.indptr, held.indptr)
    assert np.array_equal(read.indices, held.indices)
    assert read.creators.equals(held.creators) and read.followers.equals(held.followers)
    assert read.filters == held.filters


def test_a_run_leaves_out_the_audience_of_the_job(store, audiences, tmp_path):
    job = tmp_path / "job.toml"
    job.write_text(
        f'[input]\nedges = ["{SYNTHETIC / "edges.parquet"}"]\n'
        f'creators = "{SYNTHETIC / "creators.csv"}"\n'
        '[audience]\nexclude_audience_of = ["29", "@creator_68"]\n'
        "[selection]\ncount = 3\n[output]\nplots = false\nreport = false\n"
    )
    out = invoke("run", job, "--output-dir", tmp_path / "run")
    assert out.code == 0, out.stderr
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert "excluding the audience of 29, @creator_68" in summary["audience_filter"]
    chosen = json.loads((tmp_path / "run" / "selection.json").read_text())
    picks = [int(p["creator_id"]) for p in chosen["picks"]]
    gone = audiences[29] | audiences[68]
    reached = set().union(*(audiences[p] for p in picks))
    assert chosen["reach"] == len(reached - gone)
    assert chosen["total_reach"] == len(reached)
    pairs = pl.read_parquet(tmp_path / "run" / "overlap.parquet")
    a, b, n = pairs.select("creator_a", "creator_b", "shared").row(0)
    assert n == len((audiences[a] & audiences[b]) - gone)
