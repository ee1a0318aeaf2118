"""`hub store start|stop|status` against a real local store process (mongo-java-server)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from pymongo import MongoClient
from pymongo.errors import BulkWriteError, DuplicateKeyError

from hub.config import Settings
from hub.store import local as local_store
from hub.store.service import DUPLICATE_KEY
from tests.conftest import free_port
from tests.processes import hub_env, run_hub


def test_start_twice_is_harmless_and_stop_ends_it(tmp_path: Path) -> None:
    env = hub_env(HUB_DATA_DIR=str(tmp_path), HUB_STORE_PORT=str(free_port()))

    first = run_hub("store", "start", env=env)
    assert first.returncode == 0, first.stderr
    assert "running (pid" in first.stdout
    try:
        second = run_hub("store", "start", env=env)
        assert second.returncode == 0, second.stderr
        assert second.stdout == first.stdout  # same pid, same store

        status = run_hub("store", "status", env=env)
        assert status.returncode == 0
        assert (tmp_path / "store" / "localstore.pid").exists()
    finally:
        stopped = run_hub("store", "stop", env=env)
    assert stopped.returncode == 0
    assert "stopped" in stopped.stdout
    after = run_hub("store", "status", env=env)
    assert after.returncode == 3
    assert "stopped" in after.stdout


def test_stale_pid_file_is_cleaned_up(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, store_port=free_port())
    pid_file = settings.store_dir / "localstore.pid"
    pid_file.parent.mkdir(parents=True)
    pid_file.write_text("999999\n")  # no such process

    assert local_store.status(settings).running is False
    status = local_store.start(settings)
    try:
        assert status.running
        assert pid_file.read_text().strip() == str(status.pid)
        assert local_store.ping(status.url)
    finally:
        local_store.stop(settings)
    assert not pid_file.exists()


def test_start_failure_exits_non_zero_with_the_log(tmp_path: Path) -> None:
    blocker = tmp_path / "store" / "hub.mv"
    blocker.mkdir(parents=True)  # a folder where the H2 data file should be
    env = hub_env(HUB_DATA_DIR=str(tmp_path), HUB_STORE_PORT=str(free_port()))

    result = run_hub("store", "start", env=env)

    assert result.returncode == 1
    assert result.stderr.startswith("hub: local store exited with status")
    assert "hub.mv" in result.stderr  # the log's tail names the file it could not open


def _count_after_restart(settings: Settings) -> int:
    """Write one document, restart the store, and count what is left."""
    local_store.start(settings)
    try:
        with MongoClient(settings.local_store_url) as client:
            client.kept.things.insert_one({"_id": "one", "what": "survives a restart?"})
        local_store.stop(settings)
        local_store.start(settings)
        with MongoClient(settings.local_store_url) as client:
            return client.kept.things.count_documents({})
    finally:
        local_store.stop(settings)


def test_the_h2_backend_keeps_the_data_across_restarts(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, store_port=free_port(), store_backend="h2")
    assert _count_after_restart(settings) == 1
    assert local_store.data_file(settings).is_file()


def test_the_memory_backend_starts_empty_every_time(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, store_port=free_port(), store_backend="memory")
    assert _count_after_restart(settings) == 0
    assert not local_store.data_file(settings).exists()


def test_the_store_reports_a_wire_version_current_drivers_accept(store_url: str) -> None:
    with MongoClient(store_url) as client:
        hello = client.admin.command("isMaster")
    assert hello["maxWireVersion"] >= 9  # PyMongo 4.18+ refuses anything older



def test_a_killed_h2_store_rebuilds_its_indexes_from_the_documents(tmp_path: Path) -> None:
    """A kill can keep a document its indexes lack; the next start rebuilds them, so duplicates stay duplicates."""
    settings = Settings(data_dir=tmp_path, store_port=free_port(), store_backend="h2")
    env = hub_env(HUB_DATA_DIR=str(tmp_path), HUB_STORE_PORT=str(settings.store_port), HUB_STORE_BACKEND="h2")
    rebuilt = "did not close"
    started = run_hub("store", "start", env=env)  # a process of its own, which init reaps once killed
    assert started.returncode == 0, started.stderr
    pid = local_store.status(settings).pid
    try:
        with MongoClient(settings.local_store_url) as client:
            things = client.kept.things
            things.create_index("key", unique=True)
            for batch in range(40):  # MVStore commits in the background while these land
                things.insert_many([{"_id": f"{batch}-{n}", "key": f"k{batch}-{n}"} for n in range(250)])
        os.kill(pid, signal.SIGKILL)
        _wait_gone(pid)

        local_store.start(settings)
        assert local_store.tail_log(settings, lines=200).count(rebuilt) == 1
        with MongoClient(settings.local_store_url) as client:
            things = client.kept.things
            kept = list(things.find({}, {"_id": 1, "key": 1}))
            assert kept, "the H2 file kept nothing across the kill"
            with pytest.raises(BulkWriteError) as again:
                things.insert_many(kept, ordered=False)
            codes = {error["code"] for error in again.value.details["writeErrors"]}
            assert codes == {DUPLICATE_KEY}
            assert len(again.value.details["writeErrors"]) == len(kept)
            by_key = things.find_one({"key": kept[-1]["key"]})
            assert by_key is not None and by_key["_id"] == kept[-1]["_id"]

        local_store.stop(settings)  # a clean stop: the next start rebuilds nothing
        local_store.start(settings)
        assert local_store.tail_log(settings, lines=200).count(rebuilt) == 1
    finally:
        local_store.stop(settings)


def test_a_killed_h2_store_keeps_every_write_it_acknowledged(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, store_port=free_port(), store_backend="h2")
    env = hub_env(HUB_DATA_DIR=str(tmp_path), HUB_STORE_PORT=str(settings.store_port), HUB_STORE_BACKEND="h2")
    started = run_hub("store", "start", env=env)
    assert started.returncode == 0, started.stderr
    pid = local_store.status(settings).pid
    try:
        with MongoClient(settings.local_store_url) as client:
            things = client.kept.things
            for n in range(20):
                things.insert_one({"_id": n})
            things.update_one({"_id": 0}, {"$set": {"changed": True}})
            things.delete_one({"_id": 19})
            os.kill(pid, signal.SIGKILL)  # at once: MVStore alone would have committed none of it yet
        _wait_gone(pid)
        local_store.start(settings)
        with MongoClient(settings.local_store_url) as client:
            kept = list(client.kept.things.find().sort("_id", 1))
        assert [d["_id"] for d in kept] == list(range(19))
        assert kept[0].get("changed") is True
    finally:
        local_store.stop(settings)


@pytest.mark.parametrize("backend", ["memory", "h2"])
def test_a_filter_on_id_and_more_matches_as_mongodb_does(tmp_path: Path, backend: str) -> None:
    """The launcher reads `{_id: x, ...}` by `_id` first, then matches the rest (a compare-and-swap)."""
    settings = Settings(data_dir=tmp_path, store_port=free_port(), store_backend=backend)
    local_store.start(settings)
    try:
        with MongoClient(settings.local_store_url) as client:
            things = client.kept.things
            things.insert_many([{"_id": 1, "version": 1}, {"_id": 2}])
            assert things.update_one({"_id": 1, "version": 2}, {"$set": {"won": True}}).matched_count == 0
            assert things.update_one({"_id": 1, "version": 1}, {"$set": {"version": 2}}).matched_count == 1
            assert things.find_one({"_id": 1, "version": {"$gt": 1}}) == {"_id": 1, "version": 2}
            assert things.find_one({"_id": 2, "version": None}) == {"_id": 2}  # null matches a missing field
            assert things.count_documents({"_id": 2, "version": {"$not": {"$gt": 0}}}) == 1
            assert [d["_id"] for d in things.find({"_id": {"$in": [1, 2, 3]}, "version": {"$ne": None}})] == [1]
            with pytest.raises(DuplicateKeyError):  # a lost upsert meets the _id: the hub's lost-race signal
                things.replace_one({"_id": 1, "version": 1}, {"version": 3}, upsert=True)
            assert things.find_one({"_id": 1}) == {"_id": 1, "version": 2}
    finally:
        local_store.stop(settings)


def _wait_gone(pid: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} still there after SIGKILL")
