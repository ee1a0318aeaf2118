"""`hub backup` / `hub restore`: a seeded database out and into a fresh one, equal document for document
and answering the same case view and person look-ups (docs/backup.md)."""

from __future__ import annotations

import stat
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from bson import Binary, Decimal128, Int64, ObjectId
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo import MongoClient
from pymongo.asynchronous.database import AsyncDatabase

from hub.app import create_app
from hub.config import Settings
from hub.errors import BadUserInput, Conflict
from hub.keys.ring import KeyRing
from hub.people.crypto import PersonalDataKeys
from hub.store import backup as backup_service
from hub.store import service as store_service
from seeds import loader
from tests.cases.test_queries import CASE_VIEW
from tests.conftest import TokenFor, act_as
from tests.people.test_lookup import LOOKUP
from tests.processes import HUB, hub_env
from tests.scenarios import EscalatedPetition

SCALE = 40  # the demo data set: meetings, campaigns, notices, mediators besides cases and records

ODD_TYPES = [  # a collection no hub model declares, with the BSON types a JSON export would bend
    {"_id": ObjectId("0123456789abcdef01234567"), "at": datetime(2026, 3, 1, 8, 30, 15, 123000, tzinfo=timezone.utc),
     "amount": Decimal128("1234.50"), "blob": b"\x00\xffbytes", "uuid": Binary(bytes(range(16)), 4),
     "big": Int64(2**40), "small": 7, "ratio": 0.1, "nested": {"list": [1, "two", None, True]}},
    {"_id": "a-string-id", "at": datetime(1999, 12, 31, 23, 59, 59, 999000, tzinfo=timezone.utc)},
]


@pytest.fixture
async def seeded(database: AsyncDatabase, escalated_petition: EscalatedPetition,
                 keys: KeyRing) -> EscalatedPetition:
    """The test district's escalated petition, the demo data set, odd BSON types and an empty collection."""
    await loader.load(keys=keys, scale=SCALE)
    await database["odd_types"].insert_many(ODD_TYPES)
    await database.create_collection("left_empty")
    await database["odd_types"].create_index([("at", -1), ("amount", 1)], name="at_amount", unique=True, sparse=True)
    return escalated_petition


@pytest.fixture
async def restored_db(settings: Settings) -> AsyncIterator[AsyncDatabase]:
    """A second, empty database on the same store; dropped afterwards."""
    client = store_service.open_client(url=settings.mongodb_url or "")
    yield client[f"{settings.db}_restored"]
    await client.drop_database(f"{settings.db}_restored")
    await client.close()


async def contents(database: AsyncDatabase) -> dict[str, tuple[list[bytes], list[dict[str, Any]]]]:
    """Every collection: its documents' exact BSON in `_id` order, and its index specs."""
    found = {}
    for name in sorted(await database.list_collection_names()):
        raw = database[name].with_options(codec_options=CodecOptions(document_class=RawBSONDocument))
        documents = [document.raw async for document in raw.find({}, sort=[("_id", 1)])]
        indexes = [{k: v for k, v in spec.items() if k not in {"v", "ns"}}
                   async for spec in await database[name].list_indexes()]
        found[name] = (documents, sorted(indexes, key=lambda spec: spec["name"]))
    return found


async def answers(http: httpx.AsyncClient, token_for: TokenFor, petition: EscalatedPetition) -> dict[str, Any]:
    """The case view and the person look-ups, as the centre and as the petition bureau with and without `pii`."""
    async def post(query: str, **variables: str) -> Any:
        body = (await http.post("/graphql", json={"query": query, "variables": variables})).json()
        assert "errors" not in body, body
        return body["data"]

    act_as(http, token_for("CC"))
    case = await post(CASE_VIEW, caseNo=petition.case_no)
    act_as(http, token_for("PB"))
    masked = await post(LOOKUP, idNumber=petition.petitioner_id)
    by_phone = await post(LOOKUP, name="周八", phone=petition.petitioner_phone)
    act_as(http, token_for("PB", roles=["pii"]))
    clear = await post(LOOKUP, idNumber=petition.petitioner_id)
    assert clear["personLookup"]["persons"][0]["idNumber"] == petition.petitioner_id
    assert masked["personLookup"]["persons"][0]["idNumber"] != petition.petitioner_id
    return {"case": case, "masked": masked, "by_phone": by_phone, "clear": clear}


async def test_restore_gives_the_same_database_and_the_same_answers(
    seeded: EscalatedPetition, http: httpx.AsyncClient, token_for: TokenFor, database: AsyncDatabase,
    restored_db: AsyncDatabase, settings: Settings, keys: KeyRing, tmp_path: Path,
) -> None:
    before = await answers(http, token_for, seeded)  # its look-ups are audited: the backup holds those entries

    manifest = await backup_service.backup(database=database, path=tmp_path / "bk", hub_version="test", keys=keys)
    summary = await backup_service.restore(database=restored_db, path=tmp_path / "bk", keys=keys)

    original = await contents(database)
    assert manifest.consistency.point_in_time and manifest.consistency.changed == []
    assert {"odd_types", "left_empty", "records", "case_files", "audit", "outbox"} <= set(original)
    assert [c.name for c in manifest.collections] == sorted(original)
    assert summary.documents == manifest.documents == sum(len(docs) for docs, _ in original.values())
    restored = await contents(restored_db)
    assert restored == original  # byte for byte, in `_id` order, with the same indexes
    odd = await restored_db["odd_types"].find({}, sort=[("_id", 1)]).to_list()
    assert odd[1] == ODD_TYPES[0] and odd[0] == ODD_TYPES[1]  # types as inserted
    assert isinstance(odd[1]["amount"], Decimal128) and odd[1]["at"].microsecond == 123000

    application = create_app(settings.model_copy(update={"db": restored_db.name}))
    async with LifespanManager(application):  # binds the models to the restored database
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
            after = await answers(client, token_for, seeded)
    assert after == before


async def test_a_tampered_file_is_refused_before_anything_is_written(
    seeded: EscalatedPetition, database: AsyncDatabase, restored_db: AsyncDatabase, keys: KeyRing,
    tmp_path: Path,
) -> None:
    manifest = await backup_service.backup(database=database, path=tmp_path / "bk", hub_version="test", keys=keys)
    people = tmp_path / "bk" / next(c.file for c in manifest.collections if c.name == "people")
    data = bytearray(people.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit, inside some person's document
    people.write_bytes(bytes(data))

    with pytest.raises(BadUserInput, match="people.bson is not what the backup wrote"):
        await backup_service.restore(database=restored_db, path=tmp_path / "bk", keys=keys)
    assert await restored_db.list_collection_names() == []


async def test_a_changed_manifest_is_refused(
    seeded: EscalatedPetition, database: AsyncDatabase, restored_db: AsyncDatabase, keys: KeyRing,
    tmp_path: Path,
) -> None:
    await backup_service.backup(database=database, path=tmp_path / "bk", hub_version="test", keys=keys)
    manifest = tmp_path / "bk" / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"hub_version": "test"', '"hub_version": "9.9"'))

    with pytest.raises(BadUserInput, match="signature does not match"):
        await backup_service.restore(database=restored_db, path=tmp_path / "bk", keys=keys)
    with pytest.raises(BadUserInput, match="another HUB_SECRET_KEY"):
        await backup_service.restore(database=restored_db, path=tmp_path / "bk", keys=PersonalDataKeys("x" * 40))
    assert await restored_db.list_collection_names() == []


async def test_restore_into_a_database_that_is_not_empty_is_refused(
    seeded: EscalatedPetition, database: AsyncDatabase, keys: KeyRing, tmp_path: Path,
) -> None:
    await backup_service.backup(database=database, path=tmp_path / "bk", hub_version="test", keys=keys)
    before = await database.cases.count_documents({})

    with pytest.raises(Conflict, match="is not empty"):
        await backup_service.restore(database=database, path=tmp_path / "bk", keys=keys)
    assert await database.cases.count_documents({}) == before


async def test_a_write_during_the_backup_is_reported(
    seeded: EscalatedPetition, database: AsyncDatabase, settings: Settings, keys: KeyRing, tmp_path: Path,
) -> None:
    writer: MongoClient = MongoClient(settings.mongodb_url)
    written: list[str] = []

    def meanwhile(_: int) -> None:  # after the first batch of the first collection (agencies) is written
        if not written:
            writer[database.name]["agencies"].insert_one({"code": "LATE", "name": "written during the backup"})
            written.append("agencies")

    try:
        manifest = await backup_service.backup(database=database, path=tmp_path / "bk", hub_version="test",
                                               keys=keys, on_documents=meanwhile)
    finally:
        writer.close()

    assert manifest.collections[0].name == "agencies"
    assert manifest.consistency.checked and not manifest.consistency.point_in_time
    assert manifest.consistency.changed == ["agencies"] and manifest.consistency.as_of is None


def hub_command(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`hub ARGS…` as a process; through `python -m hub.store.backup_cli` until hub/cli.py registers the commands."""
    from hub.cli import main

    argv = [HUB] if "backup" in main.commands else [sys.executable, "-m", "hub.store.backup_cli"]
    return subprocess.run([*argv, *args], env=env, capture_output=True, text=True, timeout=120)


async def test_the_commands_as_processes(
    seeded: EscalatedPetition, database: AsyncDatabase, restored_db: AsyncDatabase, settings: Settings,
    tmp_path: Path,
) -> None:
    env = hub_env(HUB_MONGODB_URL=settings.mongodb_url or "", HUB_DB=settings.db,
                  HUB_SECRET_KEY=settings.secret_key or "", HUB_DATA_DIR=str(tmp_path / "var"))
    out = tmp_path / "bk"

    made = hub_command("backup", str(out), env=env)
    assert made.returncode == 0, made.stderr
    assert "checked: the database as it stood at" in made.stdout
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    files = [p for p in out.rglob("*") if p.is_file()]
    assert files and {stat.S_IMODE(p.stat().st_mode) for p in files} == {0o600}
    assert hub_command("backup", str(out), env=env).returncode == 1  # never over an existing backup

    restored = hub_command("restore", str(out), "--db", restored_db.name, env=env)
    assert restored.returncode == 0, restored.stderr
    assert f"into {restored_db.name}:" in restored.stdout
    assert await contents(restored_db) == await contents(database)

    again = hub_command("restore", str(out), "--db", restored_db.name, env=env)
    assert again.returncode == 1 and "is not empty" in again.stderr
    dropped = hub_command("restore", str(out), "--db", restored_db.name, "--drop", env=env)
    assert dropped.returncode == 0, dropped.stderr
    assert f"dropped database {restored_db.name}" in dropped.stdout
