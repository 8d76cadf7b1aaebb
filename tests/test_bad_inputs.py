"""Bad-input sweep, input files: every kind of broken or odd edge and creators file.

A broken file must fail in one line naming the file (and the line or column) with a hint,
and leave nothing behind; an odd but valid file must give exactly the edges and rejects a
reader of the format would expect. The expected answers are written out by hand from the
bytes of each file (they are a few rows), not taken from the engine.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import polars as pl
import pytest

from graph_engine.errors import InputError
from graph_engine.ingestion import ingest
from graph_engine.tables import original_edges
from tests.sweep import assert_clean_failure, invoke, snapshot

HEADER = b"creator_id,follower_id\n"
GOOD = HEADER + b"a,x\na,y\nb,y\n"


def _parquet(path: Path, frame: pl.DataFrame) -> bytes:
    frame.write_parquet(path)
    return path.read_bytes()


# (name, file name, bytes or a function of the folder, extra CLI options, words of the error)
BROKEN: list[tuple[str, str, object, list[str], list[str]]] = [
    ("empty file", "e.csv", b"", [], ["is empty"]),
    ("blank lines only", "e.csv", b"  \n\n\r\n", [], ["is empty"]),
    ("empty gzip", "e.csv.gz", gzip.compress(b""), [], ["is empty"]),
    ("header only", "e.csv", HEADER, [], ["no valid edges"]),
    ("truncated gzip", "e.csv.gz", gzip.compress(GOOD * 50)[:-30], [], ["e.csv.gz"]),
    ("not gzip but .gz", "e.csv.gz", GOOD, [], ["e.csv.gz"]),
    ("random binary", "e.csv", bytes(range(256)) * 64, [], ["e.csv"]),
    ("NUL-filled text", "e.csv", HEADER + b"\x00" * 4096, [], ["binary"]),
    ("UTF-16 text", "e.csv", GOOD.decode().encode("utf-16"), [], ["UTF-16", "hint"]),
    ("Latin-1 text", "e.csv", HEADER + "caf\xe9,x\n".encode("latin-1"), [], ["not UTF-8"]),
    ("CR-only line ends", "e.csv", GOOD.replace(b"\n", b"\r"), [], ["CR only"]),
    ("missing column", "e.csv", b"creator,follower_id\na,x\n", [], ["no column", "creator"]),
    ("column twice", "e.csv", b"creator_id,follower_id,creator_id\na,x,b\n", [], ["once"]),
    ("ragged row", "e.csv", HEADER + b"a,x\na,b,c\n", [], ["line 3", "3 fields"]),
    (
        "wrong separator",
        "e.csv",
        b"creator_id;follower_id\na;x\n",
        ["--separator", ","],
        ["does not split"],
    ),
    ("separator two chars", "e.csv", GOOD, ["--separator", ";;"], ["one ASCII character"]),
    ("separator quote", "e.csv", GOOD, ["--separator", '"'], ["one ASCII character"]),
    ("separator newline", "e.csv", GOOD, ["--separator", "\n"], ["one ASCII character"]),
    ("HTML saved as CSV", "e.csv", b"<html><body>404</body></html>\n", [], ["no column"]),
    ("Parquet named .csv", "e.csv", "parquet", [], ["Parquet file"]),
    ("CSV named .parquet", "e.parquet", GOOD, [], ["e.parquet"]),
    ("every row a self-follow", "e.csv", HEADER + b"a,a\nb,b\n", [], ["self_follow: 2"]),
    ("every id NULL text", "e.csv", HEADER + b"NULL,x\nnan,y\nNone,z\n", [], ["missing_id: 3"]),
    ("SNAP lines of three", "e.txt", b"1 2 3\n4 5 6\n", [], ["unparsable: 2"]),
    ("JSONL of arrays", "e.jsonl", b"[1, 2]\n[3, 4]\n", [], ["not_an_object: 2"]),
    ("JSONL without the keys", "e.jsonl", b'{"u": 1, "v": 2}\n', [], ["no column", "u"]),
    (
        "JSONL of lists as ids",
        "e.jsonl",
        b'{"creator_id": [1], "follower_id": 2}\n',
        [],
        ["invalid_id: 1"],
    ),
    ("Parquet float ids", "e.parquet", "float", [], ["Float64", "integers"]),
    ("Parquet missing column", "e.parquet", "nocol", [], ["follower_id"]),
    ("a directory", "dir", "dir", [], ["directory"]),
    ("no such file", "missing.csv", None, [], ["not found"]),
]


def _make(tmp_path: Path, name: str, content: object) -> Path:
    path = tmp_path / name
    if content == "parquet":
        _parquet(path, pl.DataFrame({"creator_id": ["a"], "follower_id": ["x"]}))
    elif content == "float":
        _parquet(path, pl.DataFrame({"creator_id": [1.5], "follower_id": [2.0]}))
    elif content == "nocol":
        _parquet(path, pl.DataFrame({"creator_id": ["a"], "follower": ["x"]}))
    elif content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("name", "file", "content", "options", "words"), BROKEN, ids=[c[0] for c in BROKEN]
)
def test_a_broken_edge_file_fails_in_one_line_and_writes_nothing(
    tmp_path, name, file, content, options, words
):
    path = _make(tmp_path, file, content)
    before = snapshot(tmp_path)
    out = invoke("ingest", path, "--store", tmp_path / "store", *options)
    assert_clean_failure(out, *words)
    assert snapshot(tmp_path) == before and not (tmp_path / "store").exists()


def _edges(tmp_path: Path, name: str, content: bytes, **options: object):
    path = tmp_path / name
    path.write_bytes(content)
    tables = ingest([path], **options)  # type: ignore[arg-type]
    return sorted(original_edges(tables).rows()), tables.rejected, tables


# (name, file name, bytes, ingest options, expected edges, expected rejects by reason)
ODD: list[
    tuple[str, str, bytes, dict[str, object], list[tuple[object, object]], dict[str, int]]
] = [
    (
        "byte-order mark",
        "e.csv",
        b"\xef\xbb\xbf" + GOOD,
        {},
        [("a", "x"), ("a", "y"), ("b", "y")],
        {},
    ),
    ("CRLF", "e.csv", GOOD.replace(b"\n", b"\r\n"), {}, [("a", "x"), ("a", "y"), ("b", "y")], {}),
    ("no final newline", "e.csv", GOOD.rstrip(b"\n"), {}, [("a", "x"), ("a", "y"), ("b", "y")], {}),
    ("quoted separator", "e.csv", HEADER + b'"a,b",x\n', {}, [("a,b", "x")], {}),
    ("quoted quote", "e.csv", HEADER + b'"say ""hi""",x\n', {}, [('say "hi"', "x")], {}),
    ("spaces around ids", "e.csv", HEADER + b"  a ,\tx \n", {}, [("a", "x")], {}),
    ("empty cells", "e.csv", HEADER + b"a,\n,x\na,y\n", {}, [("a", "y")], {"missing_id": 2}),
    (
        "NULL-like text",
        "e.csv",
        HEADER + b"null,x\nNaN,y\na,NONE\na,z\n",
        {},
        [("a", "z")],
        {"missing_id": 3},
    ),
    ("NUL inside an id", "e.csv", HEADER + b"a\x00b,x\na,y\n", {}, [("a", "y")], {"invalid_id": 1}),
    ("leading zeros", "e.csv", HEADER + b"007,1\n7,1\n", {}, [("007", 1), ("7", 1)], {}),
    ("plus sign", "e.csv", HEADER + b"+7,1\n8,1\n", {}, [("+7", 1), ("8", 1)], {}),
    ("negative integers", "e.csv", HEADER + b"-5,1\n6,-1\n", {}, [(-5, 1), (6, -1)], {}),
    (
        "ids beyond int64",
        "e.csv",
        HEADER + b"99999999999999999999,1\n5,2\n",
        {},
        [("5", 2), ("99999999999999999999", 1)],
        {},
    ),
    (
        "int64 extremes",
        "e.csv",
        HEADER + b"9223372036854775807,-9223372036854775808\n",
        {},
        [(2**63 - 1, -(2**63))],
        {},
    ),
    ("mixed ints and text", "e.csv", HEADER + b"1,x\nb,2\n", {}, [("1", "x"), ("b", "2")], {}),
    (
        "unicode kept byte for byte",
        "e.csv",
        HEADER + "caf\u00e9,x\ncafe\u0301,x\n\U0001f600,y\n".encode(),
        {},
        [("cafe\u0301", "x"), ("caf\u00e9", "x"), ("\U0001f600", "y")],
        {},
    ),
    ("case is kept", "e.csv", HEADER + b"Ann,x\nann,x\n", {}, [("Ann", "x"), ("ann", "x")], {}),
    (
        "markup-like ids",
        "e.csv",
        HEADER + b"[/],x\n[deleted],y\n",
        {},
        [("[/]", "x"), ("[deleted]", "y")],
        {},
    ),
    ("escape sequences", "e.csv", HEADER + b"\x1b[31mred,x\n", {}, [("\x1b[31mred", "x")], {}),
    ("duplicates", "e.csv", HEADER + b"a,x\na,x\na,x\n", {}, [("a", "x")], {}),
    ("self-follow rejected", "e.csv", HEADER + b"a,a\na,b\n", {}, [("a", "b")], {"self_follow": 1}),
    (
        "separate id spaces",
        "e.csv",
        HEADER + b"1,1\n1,2\n",
        {"id_space": "separate"},
        [(1, 1), (1, 2)],
        {},
    ),
    (
        "tab as backslash t",
        "e.txt.csv",
        b"creator_id\tfollower_id\na\tx\n",
        {"separator": "\\t"},
        [("a", "x")],
        {},
    ),
    (
        "tab by name",
        "e.csv",
        b"creator_id\tfollower_id\na\tx\n",
        {"separator": "tab"},
        [("a", "x")],
        {},
    ),
    ("semicolons sniffed", "e.csv", b"creator_id;follower_id\na;x\n", {}, [("a", "x")], {}),
    ("extra columns", "e.csv", b"ts,creator_id,follower_id,w\n1,a,x,2\n", {}, [("a", "x")], {}),
    ("gzip CSV", "e.csv.gz", gzip.compress(GOOD), {}, [("a", "x"), ("a", "y"), ("b", "y")], {}),
    (
        "SNAP comments, tabs, CRLF",
        "e.txt",
        b"# from SNAP\r\n1\t2\r\n3 2\r\n\r\n",
        {},
        [(2, 1), (2, 3)],
        {},
    ),
    ("SNAP reversed", "e.txt", b"1 2\n", {"direction": "creator-follower"}, [(1, 2)], {}),
    (
        "JSONL odd values",
        "e.jsonl",
        b'{"creator_id": "a", "follower_id": 1}\n'
        b'{"creator_id": {"k": 1}, "follower_id": 2}\n'
        b'{"creator_id": true, "follower_id": 3}\n'
        b'{"creator_id": 1.5, "follower_id": 4}\n'
        b"[5]\nnot json\n\n",
        {},
        [("a", 1)],
        {"invalid_id": 3, "not_an_object": 1, "unparsable": 1},
    ),
    (
        "JSONL huge integer",
        "e.jsonl",
        b'{"creator_id": 100000000000000000000, "follower_id": 1}\n'
        b'{"creator_id": 5, "follower_id": 2}\n',
        {},
        [("100000000000000000000", 1), ("5", 2)],
        {},
    ),
    (
        "JSONL null ids",
        "e.jsonl",
        b'{"creator_id": null, "follower_id": 1}\n{"creator_id": "a", "follower_id": 2}\n',
        {},
        [("a", 2)],
        {"missing_id": 1},
    ),
    (
        "JSONL key with a space",
        "e.jsonl",
        b'{"user id": "u", "artist": "a"}\n',
        {"creator_column": "artist", "follower_column": "user id"},
        [("a", "u")],
        {},
    ),
]


@pytest.mark.parametrize(
    ("name", "file", "content", "options", "edges", "rejected"), ODD, ids=[c[0] for c in ODD]
)
def test_an_odd_edge_file_gives_exactly_its_edges_and_rejects(
    tmp_path, name, file, content, options, edges, rejected
):
    got, got_rejected, _ = _edges(tmp_path, file, content, **options)
    assert got == sorted(edges)
    assert got_rejected == rejected


def test_rejected_rows_keep_their_line_and_text(tmp_path):
    _, _, tables = _edges(tmp_path, "e.csv", HEADER + b"a,x\nNULL,y\na,a\n")
    rows = tables.rejects.select("line", "reason").sort("line").rows()
    assert rows == [(3, "missing_id"), (4, "self_follow")]


def test_parquet_ids_of_every_integer_and_text_kind(tmp_path):
    path = tmp_path / "e.parquet"
    pl.DataFrame(
        {"creator_id": pl.Series([2**64 - 1, 1], dtype=pl.UInt64), "follower_id": ["x", "y"]}
    ).with_columns(pl.col("follower_id").cast(pl.Categorical)).write_parquet(path)
    got = sorted(original_edges(ingest([path])).rows())
    assert got == [("1", "y"), (str(2**64 - 1), "x")]


BAD_CREATORS = [
    ("negative cost", b"creator_id,cost\na,-1\n", ["cost", ">= 0"]),
    ("NaN cost", b"creator_id,cost\na,NaN\n", ["cost", "finite"]),
    ("infinite cost", b"creator_id,cost\na,inf\n", ["cost", "finite"]),
    ("text cost", b"creator_id,cost\na,cheap\n", ["cost", "cheap"]),
    ("negative engagement", b"creator_id,engagement_rate\na,-0.1\n", ["engagement_rate"]),
    (
        "negative declared followers",
        b"creator_id,declared_followers\na,-5\n",
        ["declared_followers"],
    ),
    ("creator twice", b"creator_id,cost\na,1\na,2\n", ["more than once"]),
    ("engine column", b"creator_id,tier\na,nano\n", ["tier", "computes"]),
    ("values without an id", b"creator_id,cost\na,1\n,2\n", ["line 3", "no `creator_id`"]),
    ("no id column", b"id,cost\na,1\n", ["no column", "--creators-column"]),
    ("binary", bytes(range(256)) * 16, ["creators.csv"]),
    ("empty", b"", ["is empty"]),
]


@pytest.mark.parametrize(
    ("name", "content", "words"), BAD_CREATORS, ids=[c[0] for c in BAD_CREATORS]
)
def test_a_bad_creators_file_fails_in_one_line_and_writes_nothing(tmp_path, name, content, words):
    edges = tmp_path / "e.csv"
    edges.write_bytes(GOOD)
    creators = tmp_path / "creators.csv"
    creators.write_bytes(content)
    out = invoke("ingest", edges, "--store", tmp_path / "store", "--creators", creators)
    assert_clean_failure(out, *words)
    assert not (tmp_path / "store").exists()


def test_a_bad_creators_jsonl_line_is_named(tmp_path):
    edges = tmp_path / "e.csv"
    edges.write_bytes(GOOD)
    creators = tmp_path / "creators.jsonl"
    creators.write_text('{"creator_id": "a", "cost": 1}\n[1, 2]\n')
    out = invoke("ingest", edges, "--store", tmp_path / "store", "--creators", creators)
    assert_clean_failure(out, "creators.jsonl", "line 2")


def test_creator_ids_in_metadata_are_typed_like_edge_ids(tmp_path):
    edges = tmp_path / "e.csv"
    edges.write_bytes(HEADER + b"007,1\n8,1\n")
    creators = tmp_path / "c.csv"
    creators.write_bytes(b"creator_id,cost, handle\n007,5,\n 8 ,,@eight\n\n")
    tables = ingest([edges], creators=creators)
    got = tables.creators.select("creator_id", "cost").sort("creator_id").rows()
    assert got == [("007", 5.0), ("8", None)]


def _store(tmp_path: Path, content: bytes, *options: str) -> Path:
    path = tmp_path / "first.csv"
    path.write_bytes(content)
    store = tmp_path / "store"
    assert invoke("ingest", path, "--store", store, *options).code == 0
    return store


@pytest.mark.parametrize(
    ("name", "content", "options", "words"),
    [
        ("text id into an integer store", HEADER + b"3,abc\n", [], ["integers", "text"]),
        ("no valid edge", HEADER + b"5,5\n", [], ["no valid edges"]),
        ("other id space", HEADER + b"5,6\n", ["--id-space", "separate"], ["id space"]),
    ],
)
def test_an_append_that_would_change_the_store_silently_is_refused(
    tmp_path, name, content, options, words
):
    store = _store(tmp_path, HEADER + b"1,2\n1,3\n")
    before = snapshot(store)
    more = tmp_path / "more.csv"
    more.write_bytes(content)
    out = invoke("ingest", more, "--store", store, "--mode", "append", *options)
    assert_clean_failure(out, *words)
    assert snapshot(store) == before


def test_the_id_space_is_recorded_and_kept_by_appends(tmp_path):
    store = _store(tmp_path, HEADER + b"1,1\n", "--id-space", "separate")
    manifest = json.loads(next(store.glob("v*/manifest.json")).read_text())
    assert manifest["id_space"] == "separate"
    more = tmp_path / "more.csv"
    more.write_bytes(HEADER + b"2,2\n")
    out = invoke("ingest", more, "--store", store, "--mode", "append", "--id-space", "separate")
    assert out.code == 0, out.stderr
    shown = invoke("info", store, "--format", "json")
    assert json.loads(shown.stdout)["edges"] == 2


def test_the_library_raises_input_error_not_a_polars_error(tmp_path):
    path = tmp_path / "e.csv"
    path.write_bytes(HEADER + b"a,x\na,b,c\n")
    with pytest.raises(InputError, match="line 3"):
        ingest([path])
