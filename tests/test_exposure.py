"""Exposure: expected reach, its selection and bound, expected frequency, affinity.

Independent answers: every possible outcome of every post enumerated (tiny graphs),
exact rational arithmetic (`fractions.Fraction`) for the product formula, exhaustive
search over every selection for the optimum, and set arithmetic on the edge file.
"""

from __future__ import annotations

import itertools
import json
import math
from fractions import Fraction

import hypothesis.strategies as st
import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from typer.testing import CliRunner

from graph_engine import ParameterError, SchemaError
from graph_engine.audience import audience_report
from graph_engine.cli.app import app
from graph_engine.exposure import Exposure, expected_reach, expected_times_seen
from graph_engine.graph import read_store
from graph_engine.overlap import similar_creators
from graph_engine.selection import select_creators

from .conftest import SYNTHETIC, audiences
from .test_selection import instances, make_graph

RATES = [Fraction(1, 10), Fraction(1, 4), Fraction(1, 2), Fraction(4, 5), Fraction(1)]


def exact_expected(aud, picks, q) -> Fraction:
    """Sum over followers of 1 - prod(1 - q_c), in rationals."""
    followers = set().union(*(aud[c] for c in picks)) if picks else set()
    total = Fraction(0)
    for f in followers:
        miss = Fraction(1)
        for c in picks:
            if f in aud[c]:
                miss *= 1 - q[c]
        total += 1 - miss
    return total


def worlds(aud, picks, p, posts):
    """Every outcome of every (post, follower) trial: expected reach and times-seen counts."""
    trials = [(c, f) for c in picks for f in sorted(aud[c]) for _ in range(posts)]
    reach, seen = Fraction(0), [Fraction(0)] * 4
    for outcome in itertools.product((0, 1), repeat=len(trials)):
        chance, times = Fraction(1), {}
        for (c, f), hit in zip(trials, outcome, strict=True):
            chance *= p[c] if hit else 1 - p[c]
            times[f] = times.get(f, 0) + hit
        reach += chance * sum(1 for n in times.values() if n > 0)
        for n in times.values():
            if n:
                seen[min(n, 4) - 1] += chance
    return reach, seen


TINY = [
    [("a", 1), ("a", 2), ("b", 2)],
    [("a", 1), ("a", 2), ("b", 2), ("b", 3), ("c", 3), ("c", 1)],
    [("a", 1), ("b", 1), ("c", 1), ("a", 2)],
]


@pytest.mark.parametrize("edges", TINY)
@pytest.mark.parametrize("posts", [1, 2])
@pytest.mark.parametrize("one_rate", [False, True])
def test_expected_reach_and_frequency_match_every_possible_outcome(edges, posts, one_rate):
    aud = audiences(edges)
    names = sorted(aud)
    p = {c: RATES[1] if one_rate else RATES[i + 1] for i, c in enumerate(names)}
    rate_column = {"reach_rate": {c: float(p[c]) for c in names}}
    graph = make_graph(edges, dict.fromkeys(names, 1), rate_column)
    # one rate for all is a number (the histogram path), else a column (creator by creator)
    exposure = Exposure(float(RATES[1]) if one_rate else "reach_rate", posts=posts)
    index = graph.creator_index(names)
    truth, seen = worlds(aud, names, p, posts)
    assert expected_reach(graph, index, exposure) == pytest.approx(float(truth), rel=1e-12)
    got = expected_times_seen(graph, index, exposure)
    assert got == pytest.approx([float(x) for x in seen], rel=1e-12, abs=1e-15)
    report = audience_report(graph, names, exposure=exposure)
    assert report.summary["expected_reach"] == pytest.approx(float(truth), rel=1e-12)
    assert report.frequency["expected_followers"].to_list() == pytest.approx(got.tolist())
    # every follower counted once: the expected frequency adds up to the expected reach
    assert float(got.sum()) == pytest.approx(float(truth), rel=1e-12)
    if one_rate:  # the two paths agree
        by_column = expected_times_seen(graph, index, Exposure("reach_rate", posts=posts))
        assert got == pytest.approx(by_column.tolist(), rel=1e-12)


def rated(inst, rate_codes):
    """The instance's graph with a reach_rate column, its audiences, costs and rates."""
    edges = inst["edges"]
    aud = {str(c): {str(f) for f in fs} for c, fs in audiences(edges).items()}
    costs = {str(c): float(inst["costs"][c]) for c in range(8)}
    rates = {str(c): RATES[rate_codes[c]] for c in range(8)}
    extra = {"reach_rate": {c: float(r) for c, r in rates.items()}}
    return aud, {c: costs[c] for c in aud}, rates, make_graph(edges, costs, extra)


def best_expected(aud, costs, q, *, count=None, budget=None) -> Fraction:
    """The exact optimum of the expected reach, by exhaustive search in rationals."""
    top = Fraction(0)
    for r in range(1, len(aud) + 1):
        if count is not None and r > count:
            break
        for combo in itertools.combinations(sorted(aud), r):
            if budget is not None and sum(costs[c] for c in combo) > budget + 1e-9:
                continue
            top = max(top, exact_expected(aud, combo, q))
    return top


rate_lists = st.lists(st.integers(0, len(RATES) - 1), min_size=8, max_size=8)


@settings(max_examples=100, deadline=None)
@given(inst=instances, codes=rate_lists, k=st.integers(1, 4), posts=st.integers(1, 3))
def test_count_selection_of_expected_reach_against_the_exhaustive_optimum(inst, codes, k, posts):
    aud, costs, rates, g = rated(inst, codes)
    q = {c: 1 - (1 - r) ** posts for c, r in rates.items()}
    opt = float(best_expected(aud, costs, q, count=k))
    for method in ("greedy", "auto", "plain-greedy"):
        sel = select_creators(g, count=k, reach_rate="reach_rate", posts=posts, method=method)
        picks = sel.picks["creator_id"].to_list()
        assert len(picks) <= k
        assert sel.expected_reach == pytest.approx(float(exact_expected(aud, picks, q)), rel=1e-9)
        assert sel.reach == len(set().union(*(aud[c] for c in picks)))
        assert sel.expected_reach >= (1 - 1 / math.e) * opt - 1e-9  # greedy's guarantee
        assert sel.expected_reach <= opt + 1e-9
        assert sel.upper_bound >= opt - 1e-9  # a bound below the optimum is a bug
        if sel.optimal:
            assert sel.expected_reach == pytest.approx(opt, rel=1e-9)


@settings(max_examples=100, deadline=None)
@given(inst=instances, codes=rate_lists, budget=st.integers(1, 25))
def test_budget_selection_of_expected_reach_against_the_exhaustive_optimum(inst, codes, budget):
    aud, costs, rates, g = rated(inst, codes)
    opt = float(best_expected(aud, costs, rates, budget=budget))
    for method in ("greedy", "auto"):
        sel = select_creators(g, budget=budget, reach_rate="reach_rate", method=method)
        picks = sel.picks["creator_id"].to_list()
        assert sel.total_cost <= budget + 1e-9
        value = float(exact_expected(aud, picks, rates))
        assert sel.expected_reach == pytest.approx(value, rel=1e-9)
        assert sel.expected_reach >= 0.405 * opt - 1e-9  # Tang et al. 2021
        assert sel.upper_bound >= opt - 1e-9


@settings(max_examples=60, deadline=None)
@given(inst=instances, k=st.integers(1, 4), method=st.sampled_from(["greedy", "auto"]))
def test_a_rate_of_one_is_plain_reach(inst, k, method):
    g = make_graph(inst["edges"])
    plain = select_creators(g, count=k, method=method)
    full = select_creators(g, count=k, method=method, reach_rate=1.0)
    assert full.picks["creator_id"].to_list() == plain.picks["creator_id"].to_list()
    assert full.expected_reach == plain.reach == full.reach
    assert (full.upper_bound, full.optimal, full.method) == (
        plain.upper_bound,
        plain.optimal,
        plain.method,
    )  # solved and bounded as plain reach, proofs included


def test_exposure_is_checked():
    for rate in (0, -0.1, 1.5, float("nan")):
        with pytest.raises(ParameterError, match=r"in \(0, 1\]"):
            Exposure(rate)
    for posts in (0, 10**20, 2.5, True):
        with pytest.raises(ParameterError, match="posts"):
            Exposure(0.5, posts=posts)
    for rate in (True, None, [0.3]):
        with pytest.raises(ParameterError, match="reach rate"):
            Exposure(rate)
    g = make_graph([("a", 1), ("b", 2)], {"a": 1, "b": 2}, {"rate": {"a": 0.5, "b": None}})
    with pytest.raises(SchemaError, match="1 creators have no reach rate"):
        select_creators(g, count=1, reach_rate="rate")
    with pytest.raises(SchemaError, match="did you mean"):
        select_creators(g, count=1, reach_rate="rates")
    with pytest.raises(ParameterError, match="integer program"):
        select_creators(g, count=1, reach_rate=0.5, method="exact")


def test_affinity_matches_set_arithmetic_on_the_edge_file(synthetic_store):
    edges = pl.read_parquet(SYNTHETIC / "edges.parquet")
    aud = {str(c): set(fs) for c, fs in edges.group_by("creator_id").agg("follower_id").iter_rows()}
    population = len(set(edges["follower_id"]))
    brand = aud["7"] | aud["11"]
    listed = ["3", "29", "40", "68"]
    graph = read_store(synthetic_store, creators=[*listed, "7", "11"])
    report = audience_report(graph, listed, affinity_to=["7", "11"], population=population)
    want = {
        c: 100 * (len(aud[c] & brand) / len(aud[c])) / (len(brand) / population) for c in listed
    }
    got = dict(
        zip(map(str, report.creators["creator_id"]), report.creators["affinity"], strict=True)
    )
    assert got == pytest.approx(want, rel=1e-12)
    assert report.creators["affinity"].to_list() == sorted(want.values(), reverse=True)
    assert report.summary["brand_audience"] == len(brand)
    # similar: the affinity of every creator to one creator's audience, from one scan
    found = similar_creators(synthetic_store, "29", by="affinity", top_k=500, min_shared=20)
    for row in found.iter_rows(named=True):
        c = str(row["creator_b"])
        shared = len(aud[c] & aud["29"])
        assert shared >= 20 and row["shared"] == shared
        base = len(aud["29"]) / population
        assert row["affinity"] == pytest.approx(100 * shared / len(aud[c]) / base, rel=1e-12)
    every = [c for c in aud if c != "29" and len(aud[c] & aud["29"]) >= 20]
    assert found.height == len(every)
    assert found["affinity"].to_list() == sorted(found["affinity"].to_list(), reverse=True)


def test_the_command_line_reports_expected_reach_and_affinity(synthetic_store, tmp_path):
    runner = CliRunner()
    store = str(synthetic_store)
    out = runner.invoke(
        app,
        [
            "audience", store, "3", "29", "--reach-rate", "0.3", "--posts", "2",
            "--affinity-to", "7", "--format", "json",
        ],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    graph = read_store(synthetic_store)
    truth = expected_reach(graph, graph.creator_index(["3", "29"]), Exposure(0.3, 2))
    assert report["expected_reach"] == pytest.approx(truth, rel=1e-12)
    assert report["population"] == graph.n_followers
    picked = runner.invoke(
        app, ["select", store, "--count", "3", "--reach-rate", "0.2", "--format", "json"]
    )
    assert picked.exit_code == 0, picked.output
    sel = json.loads(picked.stdout)
    ids = [str(r["creator_id"]) for r in sel["picks"]]
    assert sel["expected_reach"] == pytest.approx(
        expected_reach(graph, graph.creator_index(ids), Exposure(0.2)), rel=1e-9
    )
    assert sel["upper_bound"] >= sel["expected_reach"]
    assert "expected_followers" in sel["frequency"][0]
    for args, message in [
        (["audience", store, "3", "--reach-rate", "2"], "in (0, 1]"),
        (["audience", store, "3", "--reach-rate", "rate"], "no creators column 'rate'"),
        (["audience", store, "3", "--reach-rate", "handle"], "not numbers"),
        (["audience", store, "3", "--posts", "0", "--reach-rate", "0.1"], "between 1 and"),
        (["audience", store, "3", "--posts", "3"], "needs `--reach-rate`"),
        (["audience", store, "3", "--affinity-to", " , "], "names no creator"),
        (["audience", store, "3", "--affinity-to", "nobody"], "nobody"),
        (["select", store, "--count", "2", "--reach-rate", "0.1", "--method", "exact"], "plain"),
        (["similar", store, "3", "--by", "affinity", "--min-shared", "0"], "at least 1"),
    ]:
        result = runner.invoke(app, args)
        assert result.exit_code != 0, args
        assert message in result.output, (args, result.output)
        assert "Traceback" not in result.output
    assert np.isfinite(report["expected_reach"])


@settings(max_examples=150, deadline=None)
@given(
    inst=instances,
    codes=rate_lists,
    k=st.integers(1, 4),
    budget=st.integers(1, 25),
    use_budget=st.booleans(),
    cap=st.sampled_from([None, 1, 2]),
)
def test_the_concave_bound_never_drops_below_the_exhaustive_optimum(
    inst, codes, k, budget, use_budget, cap
):
    from graph_engine.selection import Constraints, Problem, rows_of
    from graph_engine.selection.concave import exposure_bound
    from graph_engine.selection.greedy import greedy

    aud, costs, rates, g = rated(inst, codes)
    names = g.creator_ids().cast(pl.String).to_list()
    labels = {c: int(c) % 3 for c in names}  # three communities
    limits = Constraints.of(
        count=None if use_budget else k,
        budget=float(budget) if use_budget else None,
        target=None,
        minimize="cost",
        cap=cap,
    )
    rows = np.arange(g.n_creators)
    cost = np.array([costs[c] for c in names])
    community = np.array([labels[c] for c in names]) if cap else np.full(len(names), -1)
    q = np.array([float(rates[c]) for c in names])
    p = Problem(rows, cost, *rows_of(g, rows), np.ones(g.n_followers), community,
                np.zeros(0, dtype=np.int64), q)  # fmt: skip
    run = greedy(p, limits)
    bound = exposure_bound(p, limits, run.picks, lower=p.value(run.picks), seconds=10)
    top = Fraction(0)
    for r in range(1, len(names) + 1):
        for combo in itertools.combinations(names, r):
            if not use_budget and r > k:
                continue
            if use_budget and sum(costs[c] for c in combo) > budget + 1e-9:
                continue
            if cap and max(sum(labels[c] == x for c in combo) for x in range(3)) > cap:
                continue
            top = max(top, exact_expected(aud, combo, rates))
    assert bound >= float(top) - 1e-9


def test_the_concave_bound_tightens_the_data_bound_on_the_sample(synthetic_store):
    graph = read_store(synthetic_store)
    quick = select_creators(graph, count=5, reach_rate=0.2, posts=3, method="greedy")
    tight = select_creators(graph, count=5, reach_rate=0.2, posts=3, method="auto")
    assert tight.expected_reach >= quick.expected_reach - 1e-9
    assert tight.upper_bound <= quick.upper_bound
    assert tight.solve.bound == "concave" and "concave-bound" in tight.method
    # measured: the data bound leaves 13.9%, the concave bound 0.7%
    assert quick.gap > 0.10 and tight.gap < 0.02


def test_affinity_is_undefined_for_the_brand_and_without_a_brand_audience(synthetic_store):
    from graph_engine.exclusion import Exclusion

    graph = read_store(synthetic_store, creators=["3", "29", "7"])
    once = audience_report(graph, ["3", "29", "7"], affinity_to=["7", "7"])
    assert once.summary["affinity_to"] == ["7"]  # a brand named twice counts once
    ids = map(str, once.creators["creator_id"])
    by_id = dict(zip(ids, once.creators["affinity"], strict=True))
    assert by_id["7"] is None and by_id["3"] is not None  # the brand is not ranked
    assert str(once.creators["creator_id"][-1]) == "7"
    gone = read_store(synthetic_store, creators=["3", "29", "7"], exclude=Exclusion(("7",)))
    empty = audience_report(gone, ["3", "29"], affinity_to=["7"])
    assert empty.summary["brand_audience"] == 0
    assert empty.creators["affinity"].null_count() == 2
    # ranking by affinity leaves out creators sharing fewer than 30 followers by default
    found = similar_creators(synthetic_store, "29", by="affinity", top_k=1000)
    assert found.height and found["shared"].min() >= 30


def test_the_count_holds_when_the_must_includes_fill_it():
    g = make_graph([("a", 1), ("b", 2), ("b", 3)], {"a": 5, "b": 1})
    for rate in (None, 0.5):
        sel = select_creators(g, count=1, budget=10, must_include=["a"], reach_rate=rate)
        assert sel.picks["creator_id"].to_list() == ["a"]


def test_a_cover_summary_survives_float_weights():
    edges = [(0, 0), (0, 1), (0, 2), (0, 4), (1, 2), (1, 4), (2, 0), (2, 1), (2, 3), (2, 4)]
    frame = pl.DataFrame(
        {"creator_id": [str(c) for c, _ in edges], "follower_id": [f for _, f in edges]}
    )
    from graph_engine.graph import AudienceGraph
    from graph_engine.tables import build_tables

    tables = build_tables([frame])
    people = tables.followers.with_columns(
        value=pl.col("follower_id").replace_strict({0: 0.3, 1: 0.2, 2: 0.3, 3: 0.1, 4: 0.1})
    )
    g = AudienceGraph.from_tables(tables.__class__(**{**tables.__dict__, "followers": people}))
    sel = select_creators(g, target_reach=1.0, minimize="count", weight="value", method="greedy")
    assert "creators reach" in sel.summary()


def test_a_target_under_exposure_is_a_share_of_the_expected_reach(synthetic_store):
    graph = read_store(synthetic_store)
    sel = select_creators(graph, target_reach=0.5, reach_rate=0.3, method="greedy")
    assert sel.expected_reach >= 0.5 * sel.eligible_expected_reach - 1e-6
    assert sel.to_dict()["expected_reach_share"] == pytest.approx(sel.objective_share)
    assert "of the eligible expected reach" in sel.summary()


def test_a_run_under_exposure_reports_the_expected_reach(tmp_path):
    from graph_engine import read_job, run_job

    job = tmp_path / "job.toml"
    job.write_text(
        f'''[input]
edges = ["{SYNTHETIC / "edges.parquet"}"]
creators = "{SYNTHETIC / "creators.csv"}"
[selection]
count = 8
reach_rate = "0.3"
[output]
dir = "out"
'''
    )
    run_job(read_job(job))
    picked = json.loads((tmp_path / "out" / "selection.json").read_text())
    assert picked["constraints"]["reach_rate"] == 0.3  # text holding a number is a number
    assert picked["upper_bound"] >= picked["expected_reach"]
    report = (tmp_path / "out" / "report.html").read_text()
    assert "people in expectation" in report
