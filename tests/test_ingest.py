from __future__ import annotations

import gzip
from pathlib import Path

import hypothesis.strategies as st
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings

from graph_engine import AudienceGraph, InputError, RejectedRowsError, SchemaError, ingest
from graph_engine.readers import read_edges

from .conftest import audiences, graph_audiences

EDGES = [("a", "x"), ("a", "y"), ("b", "y"), ("c", "z"), ("c", "x")]
EXPECTED = audiences(EDGES)


def _snap(edges: list[tuple[str, str]]) -> str:
    # SNAP: "a b" means a follows b, so the follower comes first
    return "".join(f"{f} {c}\n" for c, f in edges)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("e.csv", "creator_id,follower_id\n" + "".join(f"{c},{f}\n" for c, f in EDGES)),
        ("e.csv", "creator_id;follower_id\n" + "".join(f"{c};{f}\n" for c, f in EDGES)),
        ("e.tsv", "follower_id\tcreator_id\n" + "".join(f"{f}\t{c}\n" for c, f in EDGES)),
        ("e.jsonl", "".join(f'{{"creator_id":"{c}","follower_id":"{f}"}}\n' for c, f in EDGES)),
        ("e.txt", "# comment\r\n" + _snap(EDGES).replace("\n", "\r\n")),
        ("e.edges", "\n".join(f"  {f}\t {c} " for c, f in EDGES) + "\n\n"),
    ],
)
def test_every_text_format_gives_the_same_audiences(write_text, name, content):
    tables = ingest([write_text(name, content)])
    assert graph_audiences(AudienceGraph.from_tables(tables)) == EXPECTED


def test_gzip_and_parquet_inputs(tmp_path: Path):
    gz = tmp_path / "e.txt.gz"
    gz.write_bytes(gzip.compress(_snap(EDGES).encode()))
    pq = tmp_path / "e.parquet"
    pl.DataFrame(
        {"creator_id": [c for c, _ in EDGES], "follower_id": [f for _, f in EDGES]}
    ).write_parquet(pq)
    for path in (gz, pq):
        assert graph_audiences(AudienceGraph.from_tables(ingest([path]))) == EXPECTED


def test_direction_and_column_options(write_text):
    snap = write_text("e.txt", "".join(f"{c} {f}\n" for c, f in EDGES))
    tables = ingest([snap], direction="creator-follower")
    assert graph_audiences(AudienceGraph.from_tables(tables)) == EXPECTED
    csv = write_text("e.csv", "who,whom\n" + "".join(f"{f},{c}\n" for c, f in EDGES))
    tables = ingest([csv], creator_column="whom", follower_column="who")
    assert graph_audiences(AudienceGraph.from_tables(tables)) == EXPECTED


def test_rejects_and_duplicates_are_counted_and_kept(write_text):
    text = "# header comment\n1 2\n1 2\n3 3\njunk\n4 5 6\n\n7 8\n"
    tables = ingest([write_text("e.txt", text)])
    assert tables.duplicates == 1
    assert tables.rejected == {"self_follow": 1, "unparsable": 2}
    rejects = tables.rejects.sort("line")
    assert rejects["line"].to_list() == [4, 5, 6]
    assert rejects["raw"].to_list() == ["3 3", "junk", "4 5 6"]
    assert tables.edges.height == 2
    assert tables.sources[0]["rows_read"] == 6
    assert tables.sources[0]["rows_kept"] == 3


def test_missing_ids_in_csv_are_rejected(write_text):
    text = "creator_id,follower_id\na,1\n,2\nb,\n  ,3\nc\n"
    tables = ingest([write_text("e.csv", text)])
    assert tables.rejected == {"missing_id": 4}
    assert sorted(tables.rejects["line"].to_list()) == [3, 4, 5, 6]


def test_id_types_follow_the_data(write_text):
    ints = ingest([write_text("i.csv", "creator_id,follower_id\n1,2\n3,4\n")])
    assert ints.creators.schema["creator_id"] == pl.Int64
    assert ints.followers.schema["follower_id"] == pl.Int64
    padded = ingest([write_text("p.csv", "creator_id,follower_id\n007,2\n3,4\n")])
    assert padded.creators["creator_id"].to_list() == ["007", "3"]  # leading zero kept
    mixed = ingest(
        [
            write_text("a.csv", "creator_id,follower_id\n1,2\n"),
            write_text("b.csv", "creator_id,follower_id\nx,2\n"),
        ]
    )
    assert mixed.creators["creator_id"].to_list() == ["1", "x"]


def test_strict_turns_rejects_into_an_error(write_text):
    path = write_text("e.txt", "1 2\n2 2\n")
    with pytest.raises(RejectedRowsError, match=r"self_follow.*line 2"):
        ingest([path], strict=True)


@pytest.mark.parametrize(
    ("name", "content", "error", "pattern"),
    [
        (
            "e.csv",
            "creator,follower_id\na,1\n",
            SchemaError,
            r"`creator_id`.*did you mean `creator`",
        ),
        ("e.txt", "junk\nalso_junk\n", InputError, r"no valid edges.*unparsable: 2"),
        ("e.txt.gz", b"\x1f\x8bnot really gzip", InputError, r"not a readable gzip"),
        ("e.csv.gz", b"plain text, no gzip", InputError, r"not a readable gzip"),
        ("e.csv", "creator_id,follower_id\n", InputError, r"no valid edges"),
    ],
)
def test_bad_input_is_a_clear_error(write_text, name, content, error, pattern):
    with pytest.raises(error, match=pattern):
        ingest([write_text(name, content)])


def test_missing_file_and_wrong_parquet_type(tmp_path: Path):
    with pytest.raises(InputError, match="not found"):
        read_edges(tmp_path / "nope.csv")
    pq = tmp_path / "e.parquet"
    pl.DataFrame({"creator_id": [1.5], "follower_id": [2]}).write_parquet(pq)
    with pytest.raises(SchemaError, match=r"`creator_id` has type Float64.*1\.5"):
        read_edges(pq)


def test_creators_metadata_joins_and_sets_tiers(write_text):
    edges = write_text("e.csv", "creator_id,follower_id\n1,10\n1,11\n2,10\n")
    meta = write_text(
        "c.csv",
        "creator_id,handle,declared_followers,cost,engagement_rate,niche,extra\n"
        "1,@one,150000,500,0.02,food,x\n2,@two,,80,0.05,tech,y\n3,@three,5000000,9000,0.01,,z\n",
    )
    tables = ingest([edges], creators=meta, tier_thresholds=(2, 100_000, 1_000_000))
    rows = {r["creator_id"]: r for r in tables.creators.to_dicts()}
    assert rows[1]["tier"] == "macro"  # from declared followers
    assert rows[2]["tier"] == "nano"  # observed: 1 follower < 2
    assert rows[3]["tier"] == "mega" and rows[3]["followers"] == 0  # metadata only
    assert rows[1]["extra"] == "x" and rows[2]["handle"] == "@two"
    assert tables.creators.schema["cost"] == pl.Float64


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        ("creator_id,cost\n1,cheap\n", r"`cost` must be Float64; found 'cheap'"),
        ("creator_id,handle\n1,a\n1,b\n", r"lists creator 1 more than once"),
        ("creator_id,tier\n1,micro\n", r"column `tier`, which the engine computes"),
        ("creator_id,handle\nx,a\n", r"not an integer"),
    ],
)
def test_bad_creators_metadata(write_text, content, pattern):
    edges = write_text("e.csv", "creator_id,follower_id\n1,10\n")
    with pytest.raises(SchemaError, match=pattern):
        ingest([edges], creators=write_text("c.csv", content))


ids = st.integers(min_value=0, max_value=30)
junk = st.sampled_from(["", "   ", "#c", "x", "1 2 3", "\t"])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    edges=st.lists(st.tuples(ids, ids), min_size=1, max_size=60),
    junk_rows=st.lists(st.tuples(st.integers(0, 60), junk), max_size=8),
    prefix=st.sampled_from(["", "u", "ü"]),
)
def test_round_trip_matches_python_sets(tmp_path_factory, edges, junk_rows, prefix):
    lines = [f"{prefix}{f} {prefix}{c}" for c, f in edges]
    for pos, text in junk_rows:
        lines.insert(min(pos, len(lines)), text)
    path = tmp_path_factory.mktemp("rt") / "e.txt"
    path.write_text("\n".join(lines) + "\n")
    valid = {(f"{prefix}{c}", f"{prefix}{f}") for c, f in edges if c != f}
    if not valid:
        with pytest.raises(InputError):
            ingest([path])
        return
    tables = ingest([path])
    got = {
        str(k): {str(v) for v in vs}
        for k, vs in graph_audiences(AudienceGraph.from_tables(tables)).items()
    }
    assert got == audiences(valid)
    n_valid_rows = sum(1 for c, f in edges if c != f)
    assert tables.duplicates == n_valid_rows - len(valid)
    assert tables.rejected.get("self_follow", 0) == sum(1 for c, f in edges if c == f)
    assert sum(tables.rejected.values()) + n_valid_rows == tables.sources[0]["rows_read"]


@pytest.mark.parametrize("odd", ["+5", "05", "-0", "-05", "+0", "007"])
def test_non_canonical_integers_stay_strings(write_text, odd):
    tables = ingest([write_text("e.csv", f"creator_id,follower_id\n{odd},1\n5,2\n")])
    assert tables.creators.schema["creator_id"] == pl.String
    assert sorted(tables.creators["creator_id"].to_list()) == sorted([odd, "5"])
