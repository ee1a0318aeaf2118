"""The audit trail's chain: entries appended through real requests are numbered and signed, the chain holds with
concurrent writers (in one process and in two `hub serve` processes), and `hub audit verify` finds every direct
edit of the store — a changed, deleted, inserted or reordered entry — by its number, telling a deletion from a
crashed writer's gap."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from bson import ObjectId
from pymongo.asynchronous.database import AsyncDatabase

from hub.audit import chain
from hub.audit.verify import verify
from hub.config import Settings
from hub.store.service import store_now
from tests.conftest import TokenFor, act_as, free_port
from tests.graphql import gql, post
from tests.notifications.test_two_processes import hub_serve
from tests.processes import hub_env

AUDIT_LOG = "{ auditLog(first: 1) { totalCount } }"  # itself audited: one entry per request


@pytest.fixture
def key(settings: Settings) -> bytes:
    return chain.key_for(settings.resolved_secret_key())


async def requests(http: httpx.AsyncClient, n: int) -> None:
    """n audited requests, one after another."""
    for _ in range(n):
        await gql(http, AUDIT_LOG)


async def by_seq(database: AsyncDatabase) -> list[dict[str, Any]]:
    return await database.audit.find({"seq": {"$gt": 0}}).sort("seq", 1).to_list()


async def sealed(key: bytes, gap_seconds: float = 0) -> chain.SealResult:
    done = await chain.seal(key=key, gap_seconds=gap_seconds)
    assert done.sealed and done.stopped is None, done
    return done


async def broken(key: bytes, **kwargs: Any) -> tuple[int | None, str | None, str]:
    found = await verify(key=key, **kwargs)
    assert found.problem is not None, found.describe()
    return found.problem.seq, found.problem.entry_id, found.problem.what


@pytest.fixture
async def trail(http: httpx.AsyncClient, database: AsyncDatabase, key: bytes,
                token_for: TokenFor) -> list[dict[str, Any]]:
    """Eight entries through requests (a denial among them), all sealed: the entries by number."""
    await requests(http, 4)
    act_as(http, token_for("PMC-A"))
    await post(http, AUDIT_LOG)  # refused: a DENIED entry
    act_as(http, token_for("CC"))
    await requests(http, 3)
    await sealed(key)
    entries = await by_seq(database)
    assert [e["seq"] for e in entries] == list(range(1, 9))
    return entries


# --- appending ----------------------------------------------------------------------------------


async def test_requests_append_numbered_signed_entries_and_verify_finds_them_intact(
        http: httpx.AsyncClient, database: AsyncDatabase, key: bytes, token_for: TokenFor) -> None:
    await requests(http, 3)
    act_as(http, token_for("PMC-A"))  # not a coordination centre: refused, and the denial audited
    assert (await post(http, AUDIT_LOG))["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    entries = await by_seq(database)
    assert [(e["seq"], e["outcome"]) for e in entries] == [(1, "OK"), (2, "OK"), (3, "OK"), (4, "DENIED")]
    assert all(chain.check(e, key) == "ok" for e in entries)
    assert all(chain.check(e, chain.key_for("another deployment's secret")) == "changed" for e in entries)

    before = await verify(key=key)  # nothing sealed yet: every entry checked on its own
    assert (before.intact, before.entries, before.sealed_through, before.last) == (True, 4, 0, 4)
    done = await sealed(key)
    assert (done.checkpoints, done.entries, done.gaps, done.through) == (1, 4, 0, 4)
    after = await verify(key=key)
    assert (after.intact, after.entries, after.sealed_through, after.unsealed_missing) == (True, 4, 4, 0)
    assert after.describe().startswith("audit trail intact: 4 entries, numbers 1-4, sealed through 4")
    assert (await sealed(key)).checkpoints == 0  # nothing new: no empty checkpoint


async def test_many_concurrent_requests_keep_the_chain_whole(
        http: httpx.AsyncClient, database: AsyncDatabase, key: bytes) -> None:
    await asyncio.gather(*(gql(http, AUDIT_LOG) for _ in range(60)))
    await sealed(key)
    await asyncio.gather(*(gql(http, AUDIT_LOG) for _ in range(40)))  # a second checkpoint over later writers
    await sealed(key)
    assert sorted(e["seq"] for e in await by_seq(database)) == list(range(1, 101))
    found = await verify(key=key)
    assert (found.intact, found.entries, found.sealed_through, found.gaps) == (True, 100, 100, 0), found.describe()
    assert await database.audit_seals.count_documents({}) == 2


async def test_two_hub_processes_appending_at_once_keep_the_chain_whole(
        district: AsyncDatabase, settings: Settings, token_for: TokenFor, key: bytes, tmp_path: Path) -> None:
    ports = free_port(), free_port()
    headers = {"Authorization": f"Bearer {token_for('CC')}"}
    with hub_serve(settings, ports[0], tmp_path / "serve.log"), hub_serve(settings, ports[1], tmp_path / "serve.log"):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{ports[0]}", timeout=30) as one, \
                httpx.AsyncClient(base_url=f"http://127.0.0.1:{ports[1]}", timeout=30) as two:
            answers = await asyncio.gather(*((one, two)[n % 2].post("/graphql", json={"query": AUDIT_LOG},
                                                                    headers=headers) for n in range(80)))
    assert all("errors" not in a.json() for a in answers)
    await sealed(key)
    assert sorted(e["seq"] for e in await by_seq(district)) == list(range(1, 81))
    found = await verify(key=key)
    assert (found.intact, found.entries, found.sealed_through) == (True, 80, 80), found.describe()


# --- direct edits of the store ------------------------------------------------------------------


async def test_a_changed_field_is_found_at_its_entry(database: AsyncDatabase, key: bytes,
                                                     trail: list[dict[str, Any]]) -> None:
    await database.audit.update_one({"_id": trail[2]["_id"]}, {"$set": {"user": "someone else"}})
    assert await broken(key) == (3, str(trail[2]["_id"]), "changed")


async def test_a_changed_unsealed_entry_is_found_too(http: httpx.AsyncClient, database: AsyncDatabase,
                                                     key: bytes, trail: list[dict[str, Any]]) -> None:
    await requests(http, 2)  # 9 and 10, after the checkpoint
    tenth = (await by_seq(database))[9]
    await database.audit.update_one({"_id": tenth["_id"]}, {"$set": {"target_ids": ["JF2024000001"]}})
    assert await broken(key) == (10, str(tenth["_id"]), "changed")


async def test_a_deleted_entry_is_found_by_its_number(database: AsyncDatabase, key: bytes,
                                                      trail: list[dict[str, Any]]) -> None:
    await database.audit.delete_one({"_id": trail[4]["_id"]})
    assert await broken(key) == (5, None, "deleted")


async def test_the_newest_sealed_entries_deleted_are_found(database: AsyncDatabase, key: bytes,
                                                           trail: list[dict[str, Any]]) -> None:
    await database.audit.delete_many({"seq": {"$gte": 7}})
    assert await broken(key) == (7, None, "deleted")


async def test_a_forged_entry_under_a_taken_number_is_found_as_inserted(
        database: AsyncDatabase, key: bytes, trail: list[dict[str, Any]]) -> None:
    forged = {**trail[1], "_id": ObjectId(), "user": "forger"}  # the real MACs copied, a field changed
    await database.audit.insert_one(forged)
    assert await broken(key) == (2, str(forged["_id"]), "inserted")


async def test_a_forged_entry_after_the_last_number_is_found_as_inserted(
        database: AsyncDatabase, key: bytes, trail: list[dict[str, Any]]) -> None:
    forged = {**trail[0], "_id": ObjectId(), "seq": 9}
    await database.audit.insert_one(forged)
    assert await broken(key) == (9, str(forged["_id"]), "inserted")


async def test_a_forged_entry_without_chain_fields_is_found_as_inserted(
        database: AsyncDatabase, key: bytes, trail: list[dict[str, Any]]) -> None:
    forged = {k: v for k, v in trail[0].items() if k not in {"seq", "mac", "seq_mac"}} | {"_id": ObjectId()}
    await database.audit.insert_one(forged)
    problem = (await verify(key=key)).problem
    assert problem is not None and (problem.seq, problem.what) == (None, "inserted"), problem


async def test_two_entries_swapped_are_found_as_reordered(database: AsyncDatabase, key: bytes,
                                                          trail: list[dict[str, Any]]) -> None:
    fifth, sixth = trail[4], trail[5]
    await database.audit.update_one({"_id": fifth["_id"]}, {"$set": {"seq": 6}})
    await database.audit.update_one({"_id": sixth["_id"]}, {"$set": {"seq": 5}})
    assert await broken(key) == (5, str(sixth["_id"]), "reordered")


async def test_an_edited_checkpoint_is_found(database: AsyncDatabase, key: bytes,
                                             trail: list[dict[str, Any]]) -> None:
    await database.audit_seals.update_one({"_id": 8}, {"$set": {"gaps": [5]}})  # to pass a deletion off as a gap
    await database.audit.delete_one({"_id": trail[4]["_id"]})
    assert await broken(key) == (8, None, "changed")


# --- gaps: a writer that died between taking its number and writing ---------------------------


async def test_a_crashed_writers_number_is_sealed_as_a_gap_and_told_apart_from_a_deletion(
        http: httpx.AsyncClient, database: AsyncDatabase, key: bytes) -> None:
    await requests(http, 2)
    assert await chain.allocate() == 3  # taken; the writer dies before writing it
    await requests(http, 2)

    waiting = await verify(key=key)  # not sealed: it could be a writer still writing, or a deletion
    assert (waiting.intact, waiting.unsealed_missing, waiting.gaps) == (True, 1, 0), waiting.describe()
    assert (await sealed(key, gap_seconds=3600)).through == 2  # a writer may still be writing number 3
    done = await sealed(key, gap_seconds=0)  # long enough since entry 4 was written
    assert (done.through, done.gaps) == (5, 1)
    found = await verify(key=key)
    assert (found.intact, found.entries, found.gaps, found.unsealed_missing) == (True, 4, 1, 0), found.describe()
    assert "1 number(s) never written (a writer died)" in found.describe()

    fourth = (await by_seq(database))[2]
    assert fourth["seq"] == 4
    await database.audit.delete_one({"_id": fourth["_id"]})
    assert await broken(key) == (4, None, "deleted")


async def test_a_slow_writer_after_its_number_was_sealed_as_a_gap_is_not_a_forgery(
        http: httpx.AsyncClient, database: AsyncDatabase, key: bytes) -> None:
    await requests(http, 1)
    slow = await chain.allocate()
    await requests(http, 1)
    await sealed(key)
    late = {"_id": ObjectId(), "at": store_now(), "agency_code": "CC", "region_path": ["510199"], "user": "测试员",
            "operation": "auditLog", "target_ids": [], "purpose": None, "outcome": "OK", "reason": None}
    chain.sign(late, seq=slow, key=key)
    await database.audit.insert_one(late)
    found = await verify(key=key)
    assert (found.intact, found.gaps, found.late, found.entries) == (True, 0, 1, 3), found.describe()


# --- an upgraded deployment, --since, the command -----------------------------------------------


async def test_entries_predating_the_chain_are_counted_not_failed(
        http: httpx.AsyncClient, database: AsyncDatabase, key: bytes) -> None:
    old = [{"at": store_now(), "agency_code": "CC", "region_path": ["510199"], "user": "u", "operation": "case",
            "target_ids": ["JF2023000001"], "purpose": None, "outcome": "OK", "reason": None} for _ in range(3)]
    await database.audit.insert_many(old)  # as the append before the chain wrote them
    await requests(http, 2)
    await sealed(key)
    found = await verify(key=key)
    assert (found.intact, found.legacy, found.entries) == (True, 3, 2), found.describe()
    assert found.describe().endswith("; 3 entries predate the chain")
    await database.audit.delete_one({"_id": old[0]["_id"]})
    problem = (await verify(key=key)).problem
    assert problem is not None and (problem.seq, problem.what) == (None, "deleted"), problem


async def test_since_starts_at_the_checkpoint_before_it(http: httpx.AsyncClient, database: AsyncDatabase,
                                                       key: bytes) -> None:
    await requests(http, 3)
    await sealed(key)
    await asyncio.sleep(0.01)
    since = store_now()
    await requests(http, 2)
    await sealed(key)
    found = await verify(key=key, since=since)
    assert (found.intact, found.start, found.entries, found.sealed_through) == (True, 3, 2, 5), found.describe()
    first = (await by_seq(database))[0]
    await database.audit.update_one({"_id": first["_id"]}, {"$set": {"user": "x"}})
    assert (await verify(key=key, since=since)).intact  # before the span: not read
    assert await broken(key) == (1, str(first["_id"]), "changed")


def verify_command(settings: Settings, *args: str) -> Any:
    import subprocess

    env = hub_env(HUB_MONGODB_URL=settings.mongodb_url or "", HUB_DB=settings.db,
                  HUB_SECRET_KEY=settings.resolved_secret_key(), HUB_DATA_DIR=str(settings.data_dir))
    return subprocess.run([sys.executable, "-m", "hub.audit.cli", "verify", *args], env=env, capture_output=True,
                          text=True, timeout=60)


async def test_the_command_exits_0_when_intact_and_1_naming_the_first_bad_entry(
        settings: Settings, database: AsyncDatabase, key: bytes, trail: list[dict[str, Any]]) -> None:
    intact = await asyncio.to_thread(verify_command, settings)
    assert intact.returncode == 0, intact.stderr
    assert intact.stdout.startswith("audit trail intact: 8 entries, numbers 1-8, sealed through 8"), intact.stdout
    await database.audit.update_one({"_id": trail[5]["_id"]}, {"$set": {"outcome": "DENIED"}})
    bad = await asyncio.to_thread(verify_command, settings, "--since", "2000-01-01")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert bad.stdout.strip() == (f"audit trail broken at seq 6, entry {trail[5]['_id']}: changed — its fields do "
                                  "not match its MAC")
