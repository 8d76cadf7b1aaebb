"""The --followers-where language: what it accepts, what it refuses, and what it keeps."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from graph_engine import ParameterError, read_store
from graph_engine.audience import audience_report
from graph_engine.exclusion import Exclusion
from graph_engine.where import parse_where

from .sweep import invoke

FRAME = pl.DataFrame(
    {
        "following": [1, 3, 7, 12, 500, None],
        "country": ["DE", "AT", "FR", None, "DE", "US"],
        "bot": [False, False, True, False, True, False],
        "score": [0.5, -1.0, 2.5, 0.0, 9.0, 1.0],
    }
)
ROWS = FRAME.to_dicts()


@pytest.mark.parametrize(
    ("text", "keep"),
    [
        ("following < 5", lambda r: r["following"] is not None and r["following"] < 5),
        (
            "3 <= following < 500",
            lambda r: r["following"] is not None and 3 <= r["following"] < 500,
        ),
        ('country in ["DE", "AT"]', lambda r: r["country"] in ("DE", "AT")),
        ("country not in ('DE',)", lambda r: r["country"] is not None and r["country"] != "DE"),
        ("not bot and score > -0.5", lambda r: not r["bot"] and r["score"] > -0.5),
        ("bot == false or following >= 12", lambda r: not r["bot"] or (r["following"] or 0) >= 12),
        (
            "score != 1.0 and (country == 'DE' or country == 'FR')",
            lambda r: r["score"] != 1.0 and r["country"] in ("DE", "FR"),
        ),
        ("score > -2", lambda r: r["score"] > -2),
        ("country != null", lambda r: r["country"] is not None),
        ("null == following or bot", lambda r: r["following"] is None or r["bot"]),
        ("not (country == null)", lambda r: r["country"] is not None),
    ],
)
def test_the_language_keeps_what_a_python_predicate_keeps(text, keep):
    kept = FRAME.with_row_index().filter(parse_where(text, FRAME.columns).fill_null(False))
    assert kept["index"].to_list() == [i for i, r in enumerate(ROWS) if keep(r)]


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('true')",
        "following.__class__",
        "following + 1 > 2",
        "[x for x in following]",
        "lambda: 1",
        "following < len('abc')",
        "country in following",
        "following[0] == 1",
        "f'{following}' == '1'",
        "following < ",
        "",
        "1",
    ],
)
def test_anything_else_is_refused_in_one_line(text):
    with pytest.raises(ParameterError, match="followers-where"):
        parse_where(text, FRAME.columns)


def test_an_unknown_column_suggests_the_closest():
    with pytest.raises(ParameterError, match="did you mean `country`"):
        parse_where("contry == 'DE'", FRAME.columns)


@pytest.fixture()
def store(synthetic_store: Path) -> Path:
    return synthetic_store


@pytest.fixture()
def audiences(synthetic_audiences: dict[int, set[int]]) -> dict[int, set[int]]:
    return synthetic_audiences


@pytest.mark.parametrize("limit", [1, 2, 4])
def test_a_where_filter_keeps_exactly_the_matching_followers(store, audiences, limit):
    following: dict[int, int] = {}
    for fs in audiences.values():
        for f in fs:
            following[f] = following.get(f, 0) + 1
    kept = {f for f, n in following.items() if n <= limit}
    ids = [1, 2, 68, 300]
    where = Exclusion(where=f"following <= {limit}")
    graph = read_store(store, creators=ids, exclude=where)
    for cid in ids:
        assert set(graph.audience(cid).to_list()) == audiences[cid] & kept
    assert audience_report(graph, ids).summary["reach"] == len(
        set().union(*(audiences[i] for i in ids)) & kept
    )
    held = read_store(store).excluding(where).take(read_store(store).creator_index(ids))
    assert held.n_followers == graph.n_followers


def test_every_command_takes_followers_where(store, audiences, tmp_path):
    import json

    for args in (
        ["overlap", store, "--creators", "1,2,68", "--format", "json"],
        ["audience", store, "1", "2", "--format", "json"],
        ["similar", store, "1", "--format", "json"],
        ["communities", store, "--format", "json"],
        ["select", store, "--count", "2", "--format", "json"],
    ):
        out = invoke(*args, "--followers-where", "following <= 2")
        assert out.code == 0, (args, out.stderr)
        json.loads(out.stdout)
    pairs = json.loads(
        invoke(
            "overlap",
            store,
            "--creators",
            "1,2,68",
            "--followers-where",
            "following <= 2",
            "--format",
            "json",
        ).stdout
    )
    following: dict[int, int] = {}
    for fs in audiences.values():
        for f in fs:
            following[f] = following.get(f, 0) + 1
    for pair in pairs:
        a, b = int(pair["creator_a"]), int(pair["creator_b"])
        assert pair["shared"] == sum(following[f] <= 2 for f in audiences[a] & audiences[b])
    assert pairs, "the filter keeps some shared followers"
    bad = invoke("audience", store, "1", "--followers-where", "open('x')")
    assert bad.code == 1 and "Traceback" not in bad.stderr
