"""Handles: accepted wherever an id is, and shown beside the id in every table."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import polars as pl
import pytest

from graph_engine import (
    UnknownCreatorError,
    compute_overlap,
    detect_communities,
    ingest_into_store,
    read_store,
    select_creators,
)
from graph_engine.audience import audience_report
from graph_engine.overlap import similar_creators
from graph_engine.reports import list_creators

from .sweep import invoke

# creator -> followers; `a` is also somebody else's handle, `b` and `c` share one
AUDIENCES = {
    "a": {1, 2, 3, 4},
    "b": {3, 4, 5},
    "c": {5, 6},
    "d": {1, 7, 8, 9, 10},
    "e": {11},
}
HANDLES = {"a": "@Ana", "b": "bo", "c": "BO", "d": "a", "e": None}


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("handles")
    edges = [(c, f) for c, fs in AUDIENCES.items() for f in sorted(fs)]
    pl.DataFrame(edges, schema=["creator_id", "follower_id"], orient="row").write_csv(
        base / "edges.csv"
    )
    pl.DataFrame(
        {"creator_id": list(HANDLES), "handle": list(HANDLES.values())},
        schema={"creator_id": pl.String, "handle": pl.String},
    ).write_csv(base / "creators.csv")
    ingest_into_store([base / "edges.csv"], base / "store", creators=base / "creators.csv")
    return base / "store"


def test_a_handle_matches_without_at_and_in_any_case_but_an_id_first(store):
    graph = read_store(store)
    rows = graph.creator_index(["@Ana", "ana", "@ANA", "A"]).tolist()
    by_id = graph.creator_index(["a", "a", "a", "d"]).tolist()
    # `A` is no id, so it is d's handle `a`; `a` itself is the id a, not d's handle
    assert rows == by_id
    assert graph.creator_index(["a"]).tolist() == graph.creator_index(["@ana"]).tolist()


def test_a_handle_shared_by_two_creators_is_refused_with_their_ids(store):
    with pytest.raises(UnknownCreatorError, match=r"names 2 creators \(`b`, `c`\)"):
        read_store(store).creator_index(["Bo"])


def test_a_missing_handle_suggests_the_closest(store):
    with pytest.raises(UnknownCreatorError, match=r"did you mean `@Ana`"):
        read_store(store).creator_index(["@Anna"])


def test_handles_work_in_reads_reports_and_the_command_line(store):
    by_handle = audience_report(read_store(store, creators=["@ana", "e"]), ["@ana", "e"])
    by_id = audience_report(read_store(store, creators=["a", "e"]), ["a", "e"])
    assert by_handle.summary == by_id.summary
    assert by_handle.summary["reach"] == len(AUDIENCES["a"] | AUDIENCES["e"])
    out = invoke("audience", store, "@ANA", "e", "--format", "json")
    assert out.code == 0, out.stderr
    assert json.loads(out.stdout)["reach"] == 5


def _handle(cid: object) -> str | None:
    return HANDLES[str(cid)]


def test_overlap_pairs_carry_both_handles_beside_the_ids(store):
    pairs = compute_overlap(read_store(store))
    assert pairs.columns[:4] == ["creator_a", "handle_a", "creator_b", "handle_b"]
    expected = {
        (x, y): len(AUDIENCES[x] & AUDIENCES[y])
        for x, y in itertools.combinations(sorted(AUDIENCES), 2)
        if AUDIENCES[x] & AUDIENCES[y]
    }
    assert {(a, b): n for a, b, n in pairs.select("creator_a", "creator_b", "shared").rows()} == (
        expected
    )
    for a, ha, b, hb in pairs.select("creator_a", "handle_a", "creator_b", "handle_b").rows():
        assert (ha, hb) == (_handle(a), _handle(b))


def test_similar_audience_selection_and_communities_show_handles(store):
    graph = read_store(store)
    for similar in (similar_creators(graph, "@ana"), similar_creators(store, "@ana")):
        assert similar.columns[:4] == ["creator_a", "handle_a", "creator_b", "handle_b"]
        assert similar["handle_a"].to_list() == ["@Ana"] * similar.height
        assert similar["handle_b"].to_list() == [_handle(c) for c in similar["creator_b"]]
    report = audience_report(graph, ["a", "b", "d"])
    assert report.creators.columns[:2] == ["creator_id", "handle"]
    assert report.creators["handle"].to_list() == ["@Ana", "bo", "a"]
    # matrix headers are the handles (distinct here) and each row names its creator
    assert report.shared is not None
    assert report.shared.columns == ["creator_id", "handle", "@Ana", "bo", "a"]
    assert report.shared.row(0) == ("a", "@Ana", 4, 2, 1)
    picks = select_creators(graph, count=2).picks
    assert picks["handle"].to_list() == [_handle(c) for c in picks["creator_id"]]
    found = detect_communities(graph)
    members = found.membership
    assert members["handle"].to_list() == [_handle(c) for c in members["creator_id"]]
    for ids, handles in found.summary.select("top_creators", "top_handles").rows():
        assert handles == [_handle(c) for c in ids]


def test_matrix_headers_fall_back_to_ids_when_handles_repeat(store):
    report = audience_report(read_store(store), ["b", "c"])  # `bo` and `BO`: distinct text
    assert report.shared is not None
    assert report.shared.columns == ["creator_id", "handle", "bo", "BO"]
    report = audience_report(read_store(store), ["a", "e"])  # e has no handle
    assert report.shared is not None
    assert report.shared.columns == ["creator_id", "handle", "a", "e"]


def test_creators_lists_observed_followers_and_finds_by_any_text(store):
    everyone = list_creators(store)
    assert everyone.columns[:4] == ["creator_id", "handle", "tier", "followers"]
    assert dict(everyone.select("creator_id", "followers").rows()) == {
        c: len(fs) for c, fs in AUDIENCES.items()
    }
    assert everyone["followers"].to_list() == sorted(everyone["followers"], reverse=True)
    assert set(list_creators(store, search="@BO")["creator_id"]) == {"b", "c"}
    assert set(list_creators(store, search="an")["creator_id"]) == {"a"}
    assert list_creators(store, search="zzz").height == 0
    out = invoke("creators", store, "--search", "bo", "--format", "json")
    assert out.code == 0, out.stderr
    assert sorted(r["creator_id"] for r in json.loads(out.stdout)) == ["b", "c"]
