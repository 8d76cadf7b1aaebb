"""Follower attributes: ingested, versioned, and usable by --followers-where and --weight."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from graph_engine import SchemaError, ingest_into_store, read_store
from graph_engine.audience import audience_report
from graph_engine.exclusion import Exclusion
from graph_engine.store import read_tables

from .sweep import invoke

EDGES = {"a": [1, 2, 3, 4], "b": [3, 4, 5], "c": [5, 6, 7], "d": [1, 7, 8]}
COUNTRY = {1: "DE", 2: "FR", 3: "DE", 4: "AT", 5: "DE", 6: None, 7: "AT", 8: "US"}
VALUE = {1: 1.0, 2: 0.5, 3: 2.0, 4: 0.0, 5: 1.5, 6: 3.0, 7: 0.25, 8: 1.0}


@pytest.fixture()
def store(tmp_path) -> Path:
    edges = [(c, f) for c, fs in EDGES.items() for f in fs]
    pl.DataFrame(edges, schema=["creator_id", "follower_id"], orient="row").write_csv(
        tmp_path / "edges.csv"
    )
    pl.DataFrame(
        {
            "user": [*list(COUNTRY), 99],  # 99 follows nobody: not in the graph
            "country": [*list(COUNTRY.values()), "DE"],
            "value": [*list(VALUE.values()), 5.0],
        }
    ).write_csv(tmp_path / "people.csv")
    store = tmp_path / "store"
    out = invoke(
        "ingest",
        tmp_path / "edges.csv",
        "--store",
        store,
        "--followers",
        tmp_path / "people.csv",
        "--followers-column",
        "user",
    )
    assert out.code == 0, out.stderr
    return store


def test_attributes_are_stored_with_the_followers(store):
    followers = read_tables(store).followers
    rows = {r["follower_id"]: r for r in followers.to_dicts()}
    assert set(rows) == set(COUNTRY)  # 99 has no edge
    assert all(rows[f]["country"] == COUNTRY[f] and rows[f]["value"] == VALUE[f] for f in rows)
    info = json.loads(invoke("info", store, "--format", "json").stdout)
    assert info["follower_attributes"] == ["country", "value"]


def test_a_filter_and_a_weight_on_attributes(store):
    where = Exclusion(where='country in ["DE", "AT"]')
    report = audience_report(read_store(store, exclude=where), ["a", "c"])
    kept = {f for f in (1, 2, 3, 4, 5, 6, 7) if COUNTRY[f] in ("DE", "AT")}
    assert report.summary["reach"] == len(kept)
    out = invoke("select", store, "--count", "1", "--weight", "value", "--format", "json")
    assert out.code == 0, out.stderr
    best = max(sum(VALUE[f] for f in fs) for fs in EDGES.values())
    assert json.loads(out.stdout)["reach"] == pytest.approx(best)


def test_an_append_updates_attributes_cell_by_cell(store, tmp_path):
    pl.DataFrame({"follower_id": [1, 9], "value": [7.0, 2.0]}).write_csv(tmp_path / "more.csv")
    pl.DataFrame({"creator_id": ["e"], "follower_id": [9]}).write_csv(tmp_path / "new.csv")
    out = invoke(
        "ingest",
        tmp_path / "new.csv",
        "--store",
        store,
        "--mode",
        "append",
        "--followers",
        tmp_path / "more.csv",
    )
    assert out.code == 0, out.stderr
    rows = {r["follower_id"]: r for r in read_tables(store).followers.to_dicts()}
    assert rows[1]["value"] == 7.0 and rows[1]["country"] == "DE"  # value new, country kept
    assert rows[9]["value"] == 2.0 and rows[9]["country"] is None
    assert rows[2]["value"] == 0.5


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        ({"follower_id": [1, 1], "x": [1, 2]}, "more than once"),
        ({"follower_id": [1], "following": [3]}, "which the engine computes"),
        ({"follower_id": [1, 2], "value": [1.0, float("nan")]}, "blank those cells"),
        ({"id": [1]}, "no `follower_id`"),
    ],
)
def test_bad_attributes_are_one_clear_error(tmp_path, frame, message):
    from graph_engine import ingest

    pl.DataFrame({"creator_id": ["a"], "follower_id": [1]}).write_csv(tmp_path / "e.csv")
    with pytest.raises(SchemaError, match=message):
        ingest([tmp_path / "e.csv"], followers=pl.DataFrame(frame))
    with pytest.raises(SchemaError):  # and nothing is written
        ingest_into_store([tmp_path / "e.csv"], tmp_path / "s", followers=pl.DataFrame(frame))
    assert not (tmp_path / "s").exists()


def test_a_weighted_total_is_never_called_unique_followers(store):
    weighted = invoke("select", store, "--count", "1", "--weight", "value").stdout.splitlines()[0]
    assert "weighted reach (sum of `value`)" in weighted and "unique followers" not in weighted
    plain = invoke("select", store, "--count", "1").stdout.splitlines()[0]
    assert "unique followers" in plain


@pytest.mark.parametrize(
    ("option", "header", "row"),
    [("--creators", "creator_id,handle", "007,a"), ("--followers", "follower_id,x", "001,1")],
)
def test_a_non_canonical_id_beside_integer_edges_is_one_clear_error(tmp_path, option, header, row):
    pl.DataFrame({"creator_id": [7, 8], "follower_id": [1, 2]}).write_csv(tmp_path / "e.csv")
    (tmp_path / "meta.csv").write_text(f"{header}\n{row}\n8,b\n")
    out = invoke(
        "ingest", tmp_path / "e.csv", "--store", tmp_path / "s", option, tmp_path / "meta.csv"
    )
    assert out.code == 1 and "Traceback" not in out.stderr
    assert f"{row.split(',')[0]!r} is not an integer" in out.stderr
    assert not (tmp_path / "s").exists()
