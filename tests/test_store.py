from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from graph_engine import StoreError, ingest, ingest_into_store, read_store, write_store
from graph_engine._hashing import file_sha256
from graph_engine.reports import summarize_store
from graph_engine.store import current_version, list_versions, prune, read_tables

from .conftest import graph_audiences


@pytest.fixture
def edges_v1(write_text) -> Path:
    return write_text("v1.csv", "creator_id,follower_id\na,1\na,2\nb,2\n")


@pytest.fixture
def edges_v2(write_text) -> Path:
    return write_text("v2.csv", "creator_id,follower_id\nb,3\nc,1\na,1\nc,c\n")


def test_create_append_replace(tmp_path, edges_v1, edges_v2):
    store = tmp_path / "s"
    ingest_into_store([edges_v1], store)
    assert graph_audiences(read_store(store)) == {"a": {1, 2}, "b": {2}}
    with pytest.raises(StoreError, match="already exists"):
        ingest_into_store([edges_v1], store)
    ingest_into_store([edges_v2], store, mode="append")
    assert graph_audiences(read_store(store)) == {"a": {1, 2}, "b": {2, 3}, "c": {1}}
    manifest = json.loads((store / "v000002" / "manifest.json").read_text())
    assert manifest["counts"]["duplicates"] == 1  # a,1 was already there
    assert manifest["counts"]["rejected"] == {"self_follow": 1}
    assert [src["path"] for src in manifest["sources"]] == [str(edges_v1), str(edges_v2)]
    assert manifest["parent"] == "v000001"
    ingest_into_store([edges_v2], store, mode="replace")
    assert graph_audiences(read_store(store)) == {"a": {1}, "b": {3}, "c": {1}}
    assert list_versions(store) == ["v000001", "v000002", "v000003"]
    assert current_version(store) == "v000003"


def test_append_merges_metadata(tmp_path, write_text, edges_v1, edges_v2):
    store = tmp_path / "s"
    meta1 = write_text("m1.csv", "creator_id,handle,cost\na,@a,10\nb,@b,20\n")
    meta2 = write_text("m2.csv", "creator_id,cost\nb,25\nc,30\n")
    ingest_into_store([edges_v1], store, creators=meta1)
    ingest_into_store([edges_v2], store, mode="append", creators=meta2)
    rows = {r["creator_id"]: r for r in read_tables(store).creators.to_dicts()}
    assert (rows["a"]["handle"], rows["a"]["cost"]) == ("@a", 10.0)
    assert (rows["b"]["handle"], rows["b"]["cost"]) == ("@b", 25.0)
    assert (rows["c"]["handle"], rows["c"]["cost"]) == (None, 30.0)


def test_manifest_hashes_and_counts(tmp_path, edges_v2):
    store = tmp_path / "s"
    version = ingest_into_store([edges_v2], store)
    manifest = json.loads((version / "manifest.json").read_text())
    assert manifest["format_version"] == 1
    assert manifest["counts"] | {"rejected": None} == {
        "creators": 3,
        "followers": 2,
        "edges": 3,
        "duplicates": 0,
        "rejected": None,
    }
    for name, info in manifest["files"].items():
        assert file_sha256(version / name) == info["sha256"]
    assert manifest["sources"][0]["sha256"] == file_sha256(edges_v2)
    assert (version / "rejects.parquet").is_file()


def test_prune_keeps_the_newest(tmp_path, edges_v1):
    store = tmp_path / "s"
    tables = ingest([edges_v1])
    for _ in range(4):
        write_store(tables, store, mode="replace" if current_version(store) else "create")
    assert prune(store, keep=2) == ["v000001", "v000002"]
    assert list_versions(store) == ["v000003", "v000004"]
    write_store(tables, store, mode="replace", keep=1)
    assert list_versions(store) == ["v000005"]


def test_not_a_store(tmp_path):
    with pytest.raises(StoreError, match="not found"):
        read_store(tmp_path / "missing")
    with pytest.raises(StoreError, match="no CURRENT"):
        read_store(tmp_path)


_WRITER = textwrap.dedent(
    """
    import sys
    from graph_engine import ingest_into_store
    ingest_into_store([sys.argv[2]], sys.argv[1], mode="replace")
    """
)
KILL_POINTS = [
    "wrote-creators",
    "wrote-edges",
    "writing-manifest.json",
    "tables-written",
    "version-renamed",
    "writing-CURRENT",
]


@pytest.mark.parametrize("point", KILL_POINTS)
def test_kill_9_mid_write_leaves_previous_version(tmp_path, edges_v1, edges_v2, point):
    store = tmp_path / "s"
    ingest_into_store([edges_v1], store)
    before = graph_audiences(read_store(store))
    env = os.environ | {"GRAPH_ENGINE_CRASH_AT": point}
    proc = subprocess.run(
        [sys.executable, "-c", _WRITER, str(store), str(edges_v2)],
        env=env,
        capture_output=True,
        check=False,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    assert current_version(store) == "v000001"
    assert graph_audiences(read_store(store)) == before
    # the next write cleans up and succeeds
    ingest_into_store([edges_v2], store, mode="replace")
    assert graph_audiences(read_store(store)) == {"a": {1}, "b": {3}, "c": {1}}
    assert not list(store.glob(".tmp-*"))


def test_kill_after_switch_means_new_version(tmp_path, edges_v1, edges_v2):
    store = tmp_path / "s"
    ingest_into_store([edges_v1], store)
    env = os.environ | {"GRAPH_ENGINE_CRASH_AT": "current-switched"}
    proc = subprocess.run(
        [sys.executable, "-c", _WRITER, str(store), str(edges_v2)],
        env=env,
        capture_output=True,
        check=False,
    )
    assert proc.returncode == -signal.SIGKILL
    assert graph_audiences(read_store(store)) == {"a": {1}, "b": {3}, "c": {1}}


def test_a_writer_holding_the_lock_keeps_appends_out(tmp_path, edges_v1, edges_v2):
    from graph_engine.store._layout import writer_lock as _lock

    store = tmp_path / "s"
    ingest_into_store([edges_v1], store)
    with _lock(store), pytest.raises(StoreError, match="being written by another process"):
        ingest_into_store([edges_v2], store, mode="append")
    assert current_version(store) == "v000001"
    with pytest.raises(StoreError, match="no live version to append"):
        ingest_into_store([edges_v1], tmp_path / "empty", mode="append")


@pytest.mark.parametrize("reader", [read_store, read_tables, summarize_store])
def test_every_reader_checks_the_format_version(tmp_path, edges_v1, reader):
    store = tmp_path / "s"
    version = ingest_into_store([edges_v1], store)
    manifest = json.loads((version / "manifest.json").read_text())
    (version / "manifest.json").write_text(json.dumps(manifest | {"format_version": 99}))
    with pytest.raises(StoreError, match="format_version 99"):
        reader(store)


def test_crashed_writes_leave_no_temporary_after_the_next_write_but_user_files_stay(
    tmp_path, edges_v1, edges_v2
):
    store = tmp_path / "s"
    ingest_into_store([edges_v1], store)
    (store / ".tmp-v000009-1").mkdir()  # what a killed writer leaves
    (store / ".CURRENT.tmp-1").write_text("v000009\n")
    (store / ".tmp-notes.txt").write_text("the user's own file")
    ingest_into_store([edges_v2], store, mode="replace")
    assert sorted(p.name for p in store.glob(".*tmp*")) == [".tmp-notes.txt"]


def test_a_second_writer_waits_for_the_first_with_wait(tmp_path, edges_v1, edges_v2):
    import threading

    from graph_engine.store._layout import writer_lock as _lock

    store = tmp_path / "s"
    ingest_into_store([edges_v1], store)
    held = threading.Event()

    def hold() -> None:
        with _lock(store):
            held.set()
            threading.Event().wait(0.5)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait()
    with pytest.raises(StoreError, match="being written by another process"):
        ingest_into_store([edges_v2], store, mode="append")
    ingest_into_store([edges_v2], store, mode="append", wait=10)  # waits, then commits
    holder.join()
    assert current_version(store) == "v000002"


@pytest.mark.parametrize("wait", [-1.0, float("nan"), float("inf")])
def test_wait_must_be_a_finite_non_negative_number(tmp_path, edges_v1, wait):
    from graph_engine import ParameterError

    with pytest.raises(ParameterError, match="`wait` must be a finite number"):
        ingest_into_store([edges_v1], tmp_path / "s", wait=wait)
    assert not (tmp_path / "s").exists()  # checked before the folder is made


def test_info_reads_no_followers_and_old_manifests_give_the_same_figures(tmp_path, monkeypatch):
    from graph_engine.store._read import StoreVersion
    from graph_engine.tables import degree_percentiles

    sample = Path(__file__).resolve().parents[1] / "sample_graphs" / "twitter100"
    store = tmp_path / "s"
    ingest_into_store(
        [sample / "followers.tsv.gz"], store, creator_column="creator", follower_column="follower"
    )
    followers = read_tables(store).followers["following"]
    read = []
    original = StoreVersion.read

    def spy(self, table, **kwargs):
        read.append(table)
        return original(self, table, **kwargs)

    monkeypatch.setattr(StoreVersion, "read", spy)
    new = summarize_store(store)
    assert read == ["creators"]  # time proportional to the creators, not the followers
    by_following = new["degrees"].filter(of="creators per follower").drop("of").row(0, named=True)
    assert by_following == degree_percentiles(followers)  # computed from the table itself
    manifest = store / current_version(store) / "manifest.json"
    text = json.loads(manifest.read_text())
    del text["following_percentiles"]  # a store written before the manifest held them
    manifest.write_text(json.dumps(text))
    read.clear()
    old = summarize_store(store)
    assert read == ["creators", "followers"] and old["degrees"].equals(new["degrees"])
