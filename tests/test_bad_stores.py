"""Damaged stores and a hostile environment: every command fails cleanly, nothing is lost.

Part of the bad-input sweep (`tests/sweep.py`): each damaged store is offered to every
command that reads a store; each must exit 1 with one line naming the store and what is
wrong (or, for `verify`, list the damage and exit 1). Writes must change nothing when
they fail: a failed create leaves no folder, a failed write leaves no temporary, a full
disk or a read-only store gives one line, a symlinked output is replaced, not followed.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl
import pytest

from graph_engine import StoreError, ingest_into_store, read_store
from graph_engine.store import (
    current_version,
    list_versions,
    prune,
    reading,
    restore,
    verify,
)

from .conftest import graph_audiences
from .sweep import assert_clean_failure, invoke, run_cli, snapshot

V1 = "creator_id,follower_id\na,1\na,2\nb,2\nc,3\n"
V2 = "creator_id,follower_id\na,1\nb,3\nc,1\nc,4\n"
AUDIENCES_V1 = {"a": {1, 2}, "b": {2}, "c": {3}}
AUDIENCES_V2 = {"a": {1}, "b": {3}, "c": {1, 4}}


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A store with two versions (v000001 = V1, v000002 = V2, live)."""
    (tmp_path / "v1.csv").write_text(V1)
    (tmp_path / "v2.csv").write_text(V2)
    root = tmp_path / "store"
    ingest_into_store([tmp_path / "v1.csv"], root)
    ingest_into_store([tmp_path / "v2.csv"], root, mode="replace")
    return root


def _manifest(root: Path, version: str = "v000002") -> dict:
    return json.loads((root / version / "manifest.json").read_text())


def _set_manifest(root: Path, manifest: object, version: str = "v000002") -> None:
    (root / version / "manifest.json").write_text(json.dumps(manifest))


def _truncate(root: Path) -> None:
    edges = root / "v000002" / "edges.parquet"
    edges.write_bytes(edges.read_bytes()[: edges.stat().st_size // 2])


def _shorten(root: Path) -> None:
    """A valid Parquet file with one row fewer, its size patched into the manifest."""
    edges = root / "v000002" / "edges.parquet"
    pl.read_parquet(edges).head(-1).write_parquet(edges)
    manifest = _manifest(root)
    manifest["files"]["edges.parquet"]["bytes"] = edges.stat().st_size
    _set_manifest(root, manifest)


def _flip_a_byte(root: Path) -> None:
    edges = root / "v000002" / "edges.parquet"
    data = bytearray(edges.read_bytes())
    data[len(data) // 2] ^= 0xFF
    edges.write_bytes(bytes(data))


def _manifest_edit(edit: Callable[[dict], object]) -> Callable[[Path], None]:
    return lambda root: _set_manifest(root, edit(_manifest(root)))


def _without(key: str) -> Callable[[dict], dict]:
    return lambda m: {k: v for k, v in m.items() if k != key}


def _current(text: str | bytes) -> Callable[[Path], None]:
    def damage(root: Path) -> None:
        data = text.encode() if isinstance(text, str) else text
        (root / "CURRENT").write_bytes(data)

    return damage


def _user_folder_as_current(root: Path) -> None:
    (root / "v000007").mkdir()
    (root / "CURRENT").write_text("v000007\n")


# name -> (damage, what the error line must name)
DAMAGE: dict[str, tuple[Callable[[Path], None], str]] = {
    "truncated table": (_truncate, "edges.parquet"),
    "shortened but valid table": (_shorten, "rows"),
    "missing edges table": (lambda r: (r / "v000002" / "edges.parquet").unlink(), "missing"),
    "missing creators table": (
        lambda r: (r / "v000002" / "creators.parquet").unlink(),
        "creators.parquet",
    ),
    "table replaced by a folder": (
        lambda r: (
            (r / "v000002" / "edges.parquet").unlink(),
            (r / "v000002" / "edges.parquet").mkdir(),
        ),
        "edges.parquet",
    ),
    "manifest not JSON": (
        lambda r: (r / "v000002" / "manifest.json").write_text("{not json"),
        "unreadable",
    ),
    "manifest binary": (
        lambda r: (r / "v000002" / "manifest.json").write_bytes(b"\xff\xfe\x00\x01"),
        "manifest.json",
    ),
    "manifest a list": (lambda r: _set_manifest(r, [1, 2]), "format_version"),
    "manifest empty object": (lambda r: _set_manifest(r, {}), "format_version"),
    "manifest without counts": (_manifest_edit(_without("counts")), "counts"),
    "manifest without files": (_manifest_edit(_without("files")), "files"),
    "manifest edge count a string": (
        _manifest_edit(lambda m: m | {"counts": m["counts"] | {"edges": "many"}}),
        "counts.edges",
    ),
    "manifest file entry without bytes": (
        _manifest_edit(lambda m: m | {"files": m["files"] | {"edges.parquet": {}}}),
        "files.edges.parquet",
    ),
    "manifest missing": (lambda r: (r / "v000002" / "manifest.json").unlink(), "manifest"),
    "future format version": (
        _manifest_edit(lambda m: m | {"format_version": 99}),
        "format_version 99",
    ),
    "format version a string": (
        _manifest_edit(lambda m: m | {"format_version": "1"}),
        "format_version",
    ),
    "CURRENT pointing nowhere": (_current("v000009\n"), "v000009"),
    "CURRENT empty": (_current(""), "CURRENT"),
    "CURRENT binary": (_current(b"\xff\x00\xfe"), "CURRENT"),
    "CURRENT a path outside": (_current("../../etc\n"), "CURRENT"),
    "CURRENT names a user folder": (_user_folder_as_current, "v000007"),
    "live version folder deleted": (lambda r: shutil.rmtree(r / "v000002"), "v000002"),
    "CURRENT deleted": (lambda r: (r / "CURRENT").unlink(), "no live version"),
}

READERS = {
    "info": ["info"],
    "versions --format json": None,  # lists damage instead of failing; checked separately
    "overlap": ["overlap"],
    "audience": ["audience", "a", "b"],
    "similar": ["similar", "a"],
    "communities": ["communities"],
    "select": ["select", "--count", "2"],
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_store_fails_cleanly_in_every_reader(store, damage):
    harm, needle = DAMAGE[damage]
    harm(store)
    before = snapshot(store)
    for name, args in READERS.items():
        if args is None:
            continue
        out = invoke(args[0], store, *args[1:])
        assert_clean_failure(out, needle)
        assert str(store) in out.stderr or "store" in out.stderr, (name, out.stderr)
    out = invoke("verify", store)
    assert out.code == 1 and "Traceback" not in out.stderr, out.stderr
    assert snapshot(store) == before  # reading never repairs or deletes anything


def test_a_byte_flipped_table_is_found_by_verify(store):
    _flip_a_byte(store)
    out = invoke("verify", store, "--format", "json")
    assert out.code == 1
    rows = {(r["version"], r["file"]): r["status"] for r in json.loads(out.stdout)}
    assert rows[("v000002", "edges.parquet")] == "checksum differs from the manifest"
    assert rows[("v000001", "edges.parquet")] == "ok"
    assert sum(status != "ok" for status in rows.values()) == 1
    assert_clean_failure(out, "1 damaged file", "v000002")


def test_verify_checks_every_file_of_every_version(store):
    table = verify(store)
    assert table["status"].to_list() == ["ok"] * 6
    assert table["version"].to_list() == ["v000001"] * 3 + ["v000002"] * 3
    assert table.filter(pl.col("file") == "edges.parquet")["rows"].to_list() == [4, 4]
    assert invoke("verify", store).code == 0


@pytest.mark.parametrize(
    "path_kind", ["missing", "a file", "an empty folder", "a folder of other files"]
)
def test_what_is_not_a_store_is_named_as_such(tmp_path, path_kind):
    path = tmp_path / "thing"
    if path_kind == "a file":
        path.write_text("hello")
    elif path_kind != "missing":
        path.mkdir()
        if path_kind == "a folder of other files":
            (path / "notes.txt").write_text("mine")
    for command in ("info", "versions", "verify", "overlap", "select"):
        out = invoke(command, path, *(["--count", "1"] if command == "select" else []))
        assert_clean_failure(out, str(path))
    assert not path.exists() or path.is_file() or len(list(path.iterdir())) <= 1


# --- versions, restore, read_store(version=) ------------------------------------------


def test_versions_restore_and_reading_an_old_version(store):
    out = invoke("versions", store, "--format", "json")
    assert out.code == 0, out.stderr
    rows = json.loads(out.stdout)
    assert [(r["version"], r["live"], r["mode"], r["parent"]) for r in rows] == [
        ("v000001", False, "create", None),
        ("v000002", True, "replace", "v000001"),
    ]
    assert [r["edges"] for r in rows] == [4, 4]
    assert graph_audiences(read_store(store, version="v000001")) == AUDIENCES_V1
    assert graph_audiences(read_store(store)) == AUDIENCES_V2
    out = invoke("restore", store, "v000001")
    assert out.code == 0, out.stderr
    assert current_version(store) == "v000001"
    assert graph_audiences(read_store(store)) == AUDIENCES_V1
    assert_clean_failure(invoke("restore", store, "v000003"), "no version `v000003`")
    assert_clean_failure(invoke("restore", store, "../v1"), "no version")


def test_a_damaged_version_is_not_restored(store):
    _flip_a_byte(store)  # v000002's edges
    restore(store, "v000001")
    before = snapshot(store)
    assert_clean_failure(invoke("restore", store, "v000002"), "cannot be restored", "checksum")
    assert snapshot(store) == before


def test_a_reader_retries_on_the_live_version_when_its_version_is_pruned(store):
    """A concurrent `restore` + prune removes the version between two reads of a reader."""
    restore(store, "v000001")
    calls: list[str] = []

    def read(version):
        calls.append(version.name)
        if len(calls) == 1:  # another process switches back and prunes under us
            restore(store, "v000002")
            prune(store, keep=1)
        return version.read("edges").height, version.read("creators")["creator_id"].to_list()

    assert reading(store, read) == (4, ["a", "b", "c"])
    assert calls == ["v000001", "v000002"]
    assert list_versions(store) == ["v000002"]


def test_a_reader_of_a_named_version_that_is_pruned_gets_one_line(store):
    def read(version):
        prune(store, keep=1)
        return version.read("edges")

    with pytest.raises(StoreError, match="v000001 was pruned while it was being read"):
        reading(store, read, "v000001")


# --- the store touches only what it created -------------------------------------------


def test_a_non_empty_folder_that_is_not_a_store_is_refused(tmp_path):
    (tmp_path / "v1.csv").write_text(V1)
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / ".tmp-draft").write_text("user file")
    (folder / "v000000").mkdir()
    before = snapshot(folder)
    out = invoke("ingest", tmp_path / "v1.csv", "--store", folder)
    assert_clean_failure(out, "not empty and is not a graph-engine store")
    assert snapshot(folder) == before and sorted(p.name for p in folder.iterdir()) == [
        ".tmp-draft",
        "v000000",
    ]


def test_prune_removes_only_the_stores_own_versions(store, tmp_path):
    (store / "v000000").mkdir()  # the user's folder that merely looks like a version
    (store / "v000000" / "keep.txt").write_text("mine")
    (tmp_path / "v3.csv").write_text(V1)
    out = invoke("ingest", tmp_path / "v3.csv", "--store", store, "--mode", "replace", "--keep", 1)
    assert out.code == 0, out.stderr
    assert list_versions(store) == ["v000003"]
    assert (store / "v000000" / "keep.txt").read_text() == "mine"


@pytest.mark.parametrize("nested", [False, True])
def test_a_failed_create_leaves_no_folder(tmp_path, nested):
    (tmp_path / "bad.csv").write_text("creator_id,follower_id\n")  # no edge at all
    target = tmp_path / "a" / "b" / "store" if nested else tmp_path / "store"
    out = invoke("ingest", tmp_path / "bad.csv", "--store", target)
    assert out.code == 1 and "Traceback" not in out.stderr, out.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]


def test_a_failed_create_in_an_empty_folder_leaves_it_empty(tmp_path):
    (tmp_path / "bad.csv").write_text("creator_id,follower_id\n")
    (tmp_path / "store").mkdir()
    out = invoke("ingest", tmp_path / "bad.csv", "--store", tmp_path / "store")
    assert out.code == 1, out.stderr
    assert list((tmp_path / "store").iterdir()) == []


def test_keep_zero_is_refused_before_anything_is_committed(store, tmp_path):
    (tmp_path / "v3.csv").write_text(V1)
    before = snapshot(store)
    out = invoke("ingest", tmp_path / "v3.csv", "--store", store, "--mode", "replace", "--keep", 0)
    assert_clean_failure(out, "keep", "0")
    assert snapshot(store) == before


def test_kill_9_between_the_renames_of_a_prune_leaves_whole_versions(store, tmp_path):
    (tmp_path / "v3.csv").write_text(V1)
    code = (
        "import sys; from graph_engine import ingest_into_store; "
        "ingest_into_store([sys.argv[2]], sys.argv[1], mode='replace', keep=1)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(store), str(tmp_path / "v3.csv")],
        env=os.environ | {"GRAPH_ENGINE_CRASH_AT": "pruned-renamed"},
        capture_output=True,
        check=False,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    assert list_versions(store) == ["v000003"]  # the others are gone whole, not half
    assert verify(store)["status"].to_list() == ["ok"] * 3
    assert graph_audiences(read_store(store)) == AUDIENCES_V1
    ingest_into_store([tmp_path / "v3.csv"], store, mode="replace", keep=1)
    assert not [p for p in store.iterdir() if p.name.startswith(".trash-")]
    assert list_versions(store) == ["v000004"]


# --- the environment: full disk, read-only, symlinks, a concurrent writer --------------


def test_a_write_error_mid_commit_removes_the_temporary_version(store, tmp_path, monkeypatch):
    (tmp_path / "v3.csv").write_text(V1)
    before = snapshot(store)

    def full(self, file, **kwargs):
        Path(file).write_bytes(b"PAR1 partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pl.DataFrame, "write_parquet", full)
    with pytest.raises(StoreError, match="No space left on device"):
        ingest_into_store([tmp_path / "v3.csv"], store, mode="replace")
    monkeypatch.undo()
    assert snapshot(store) == before
    assert current_version(store) == "v000002"


@contextlib.contextmanager
def _mounted(target: Path, *options: str) -> Iterator[None]:
    """Mount over `target` (a small tmpfs, or a read-only bind), needs root."""
    target.mkdir(exist_ok=True)
    done = subprocess.run(["mount", *options, str(target)], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.fail(f"cannot mount ({done.stderr.decode().strip()}); run the tests as root")
    try:
        yield
    finally:
        subprocess.run(["umount", str(target)], check=True)


needs_root = pytest.mark.skipif(
    sys.platform != "linux" or os.geteuid() != 0,
    reason="a real full disk / read-only mount needs Linux and root (CI has both); the "
    "fault-injection tests above cover the same paths everywhere",
)


@needs_root
def test_a_really_full_disk(tmp_path):
    small = tmp_path / "small"
    with _mounted(small, "-t", "tmpfs", "-o", "size=256k", "tmpfs"):
        src = small / "v1.csv"
        src.write_text(V1)
        store = small / "store"
        assert invoke("ingest", src, "--store", store).code == 0
        big = tmp_path / "big.csv"
        rows = "\n".join(f"c{i % 97},{i}" for i in range(200_000))
        big.write_text("creator_id,follower_id\n" + rows + "\n")
        before = snapshot(store)
        out = invoke("ingest", big, "--store", store, "--mode", "replace")
        assert_clean_failure(out, "No space left on device")
        assert snapshot(store) == before  # no temporary version keeps the disk full
        out = invoke("select", store, "--count", "1", "-o", small / "picks.json")
        assert out.code == 0, out.stderr
        (small / "filler").write_bytes(b"\0" * 1)  # fill what is left
        with contextlib.suppress(OSError), (small / "filler").open("ab") as fh:
            fh.write(b"\0" * (1 << 20))
        picks = (small / "picks.json").read_bytes()
        out = invoke("select", store, "--count", "2", "-o", small / "picks.json")
        assert_clean_failure(out, "picks.json")
        assert (small / "picks.json").read_bytes() == picks  # not a 0-byte file
        assert not [p for p in small.iterdir() if ".tmp-" in p.name]


@needs_root
def test_a_read_only_store(store, tmp_path):
    (tmp_path / "v3.csv").write_text(V1)
    with _mounted(store, "--bind", "-o", "ro", str(store)):
        assert invoke("info", store).code == 0
        assert invoke("verify", store).code == 0
        for args in (
            ["ingest", tmp_path / "v3.csv", "--store", store, "--mode", "append"],
            ["restore", store, "v000001"],
        ):
            assert_clean_failure(invoke(*args), "read-only")
    assert current_version(store) == "v000002"


def test_a_symlinked_output_is_replaced_not_followed(store, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    link = tmp_path / "picks.json"
    link.symlink_to(victim)
    out = invoke("select", store, "--count", "1", "-o", link)
    assert out.code == 0, out.stderr
    assert victim.read_text() == "precious"
    assert not link.is_symlink() and json.loads(link.read_text())["picks"]


def test_an_output_under_a_file_fails_cleanly(store, tmp_path):
    (tmp_path / "file").write_text("x")
    assert_clean_failure(
        invoke("select", store, "--count", "1", "-o", tmp_path / "file" / "x.json"), "file"
    )
    assert_clean_failure(invoke("ingest", tmp_path / "file", "--store", tmp_path / "file" / "s"))


def test_a_concurrent_writer_is_waited_for_or_named(store, tmp_path):
    from filelock import FileLock

    (tmp_path / "v3.csv").write_text(V1)
    args = ["ingest", tmp_path / "v3.csv", "--store", store, "--mode", "append"]
    with FileLock(store / ".lock"):
        out = run_cli(*args)  # another process: the lock is held by this one
        assert_clean_failure(out, "being written by another process", "--wait")
        waiter = subprocess.Popen(
            [sys.executable, "-m", "graph_engine", *map(str, args), "--wait", "30"],
            stderr=subprocess.PIPE,
            text=True,
        )
        with contextlib.suppress(subprocess.TimeoutExpired):
            waiter.wait(timeout=1.0)
        assert waiter.poll() is None  # still waiting while the lock is held
    _, stderr = waiter.communicate(timeout=120)
    assert waiter.returncode == 0, stderr
    assert current_version(store) == "v000003"


# --- a failed run changes nothing -------------------------------------------------------


def test_a_failed_run_leaves_the_previous_outputs_as_they_were(tmp_path):
    (tmp_path / "edges.csv").write_text(V1)
    job = tmp_path / "job.toml"
    body = '[input]\nedges = ["edges.csv"]\n\n[output]\ndir = "out"\nplots = false\n'
    job.write_text(body + "\n[selection]\ncount = 1\n")
    assert invoke("run", job).code == 0
    before = snapshot(tmp_path / "out")
    (tmp_path / "edges.csv").write_text(V2)  # new data, and a selection that must fail
    job.write_text(body + '\n[selection]\ncount = 1\nmust_include = ["nobody"]\n')
    out = invoke("run", job)
    assert_clean_failure(out, "nobody")
    assert snapshot(tmp_path / "out") == before


def test_a_failed_first_run_leaves_no_output_folder(tmp_path):
    (tmp_path / "edges.csv").write_text(V1)
    job = tmp_path / "job.toml"
    job.write_text(
        '[input]\nedges = ["edges.csv"]\n\n[output]\ndir = "out"\n\n'
        '[selection]\ncount = 1\nmust_include = ["nobody"]\n'
    )
    assert_clean_failure(invoke("run", job), "nobody")
    assert not (tmp_path / "out").exists()
