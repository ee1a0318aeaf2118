"""`hub export-records` and `hub import` of its file: a database moved to a fresh one whole."""

from __future__ import annotations

import csv
import json
import stat
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from hub.config import Settings
from hub.ingest import export
from hub.ingest import service as ingest_service
from hub.ingest.models import RECORD_ADAPTER
from hub.ingest.service import RecordStatus
from hub.keys.ring import KeyRing
from hub.store import service as store_service
from seeds import loader
from tests.conftest import CommandLog
from tests.factories import credit_code, resident_id
from tests.processes import hub_env, run_hub

SCALE = 20
LEDGER = "QH-PMC-01:台账"  # a source system named as `hub import` names them, with a colon
PHONE = "13912340001"


def own_batches() -> list[dict[str, Any]]:
    """A deployment's own records on top of the demo: what the export must not lose.

    A case opened with every `case` field, a party first known by name and phone who later
    shows an ID number, an organisation, an update, a restricted plan with refs and a review
    date, a record that matched the case by its `case` block, and a follow-up on a demo case
    naming a party by name alone.
    """
    applicant = {"role": "APPLICANT", "name": "甄一", "phone": PHONE}
    company = {"role": "RESPONDENT", "kind": "ORGANISATION", "name": "清河区某物业公司", "creditCode": credit_code(41)}
    with_id = {**applicant, "idNumber": resident_id(seq=941), "address": "四川省清河区滨河社区3栋"}
    opened = {"sourceId": "L-1", "kind": "SCREENING", "occurredAt": "2026-09-01T09:00:00+08:00",
              "summary": "网格员排查发现物业漏水纠纷", "parties": [applicant, company],
              "case": {"title": "滨河社区物业漏水纠纷", "category": "PROPERTY_MANAGEMENT", "regionCode": "510199001001",
                       "riskLevel": "MEDIUM", "tags": ["TYPICAL"], "responsiblePerson": "周网格员",
                       "deadline": "2026-10-01"},
              "details": {"screeningMode": "ROLLING", "foundBy": "第1网格"}}
    session = {"sourceId": "L-2", "kind": "MEDIATION_SESSION", "occurredAt": "2026-09-05T14:00:00+08:00",
               "summary": "第一次调解", "caseRef": {"sourceId": "L-1"}, "parties": [with_id, company],
               "details": {"mediators": ["王调解"], "outcome": "CONTINUING"}}
    plan = {"sourceId": "WW-1", "kind": "STABILITY_PLAN", "occurredAt": "2026-09-06T10:00:00+08:00",
            "summary": "稳控方案", "caseRef": {"sourceSystem": LEDGER, "sourceId": "L-1"}, "visibility": "RESTRICTED",
            "refs": [{"sourceSystem": LEDGER, "sourceId": "L-2"}],
            "details": {"responsibleUnit": "清河街道", "responsiblePerson": "李主任", "measures": ["每周走访"],
                        "reviewDate": "2026-11-30"}}
    matched = {"sourceId": "CC-1", "kind": "INTAKE", "occurredAt": "2026-09-10T09:00:00+08:00",
               "summary": "街道协调中心受理", "parties": [with_id, company],
               "case": {"title": "物业纠纷", "category": "PROPERTY_MANAGEMENT", "regionCode": "510199001002"},
               "details": {}}
    follow_up = {"sourceId": "WW-2", "kind": "FOLLOW_UP", "occurredAt": "2026-10-01T10:00:00+08:00",
                 "summary": "回访", "caseNo": "JF2025000001", "parties": [{"role": "THIRD_PARTY", "name": "邻居丙"}],
                 "details": {"satisfied": True}}
    return [
        {"sourceSystem": LEDGER, "agency": "QH-PMC-01", "records": [opened, session]},
        {"sourceSystem": "QH-WWB-SYS", "agency": "QH-WWB", "records": [plan, follow_up]},
        {"sourceSystem": "QH-CC-01-SYS", "agency": "QH-CC-01", "records": [matched]},
        {"sourceSystem": LEDGER, "agency": "QH-PMC-01",
         "records": [{**session, "sourceRevision": 1, "summary": "第一次调解（补记地点）",
                      "details": {"mediators": ["王调解"], "outcome": "CONTINUING", "location": "滨河社区调解室"}}]},
    ]


@pytest.fixture
async def district_in_use(database: AsyncDatabase, keys: KeyRing) -> AsyncDatabase:
    """The demo district at a small scale, plus the deployment's own records."""
    summary = await loader.load(keys=keys, scale=SCALE)
    assert summary.rejections == []
    statuses = []
    for batch in own_batches():
        statuses += [r.status for r in (await ingest_service.ingest(batch=batch, keys=keys)).results]
    assert statuses == [RecordStatus.CREATED] * 5 + [RecordStatus.UPDATED]
    case = await database.cases.find_one({"origin_source_key": f"{LEDGER}:L-1"})
    assert await database.records.count_documents({"case_id": case["_id"]}) == 4  # CC-1 matched it
    person = await database.people.find_one({"name": "甄一"})
    assert person["_id"].startswith("np:") and person["identity_key"].startswith("id:")
    return database


@pytest.fixture
async def fresh(settings: Settings) -> AsyncIterator[AsyncDatabase]:
    """A second, empty database on the same store; dropped afterwards."""
    client = store_service.open_client(url=settings.mongodb_url or "")
    database = client[f"{settings.db}_new"]
    yield database
    await client.drop_database(database.name)
    await client.close()


def env_for(settings: Settings, database: AsyncDatabase, **overrides: str) -> dict[str, str]:
    """A `hub` process's environment for one database of the session's store."""
    return hub_env(**{"HUB_MONGODB_URL": settings.mongodb_url or "", "HUB_DB": database.name,
                      "HUB_DATA_DIR": str(settings.data_dir), "HUB_SECRET_KEY": settings.secret_key or "", **overrides})


async def reference_data_only(database: AsyncDatabase) -> None:
    """The demo's regions and agencies, which ingestion needs and an export does not carry."""
    await store_service.init_models(database=database)  # binds the models to it from here on
    await loader.load_reference_data()


def without(doc: dict[str, Any], *fields: str) -> dict[str, Any]:
    """doc minus fields."""
    return {k: v for k, v in doc.items() if k not in fields}


async def snapshot(database: AsyncDatabase, keys: KeyRing) -> dict[str, Any]:
    """Records, cases, numbers and persons, minus what only says when or how often they were written.

    `recorded_at` is the time of ingestion; a case's `revision` counts its re-derivations, its `file_version`
    the writes of its file. A
    Person's `first_seen_at` is left out too: it is set by the batch that creates the Person,
    so it follows the order records arrived in, which an export does not keep.
    """
    records = {d["_id"]: without(d, "recorded_at") async for d in database.records.find()}
    record_sets: dict[str, set[str]] = defaultdict(set)
    for key, doc in records.items():
        record_sets[doc["case_no"]].add(key)
    persons = {}
    async for doc in database.people.find():
        clear = {f: keys.decrypt(doc[f"{f}_encrypted"]) for f in ("id", "phone", "address") if doc.get(f"{f}_encrypted")}
        persons[doc["_id"]] = {**without(doc, "first_seen_at", "id_encrypted", "phone_encrypted", "address_encrypted"),
                               "match_keys": sorted(doc["match_keys"]), "case_ids": sorted(doc["case_ids"]),
                               "clear": clear}
    return {
        "records": records,
        "record_sets": dict(record_sets),
        "cases": {d["case_no"]: without(d, "revision", "file_version") async for d in database.cases.find()},
        "numbers": {d["_id"]: d["case_id"] async for d in database.case_numbers.find()},
        # The case numbers' counters; not the outbox's or the audit trail's, which count events and audited
        # requests (a meeting's decisions, say), not records.
        "counters": {d["name"]: d["value"] async for d in database.counters.find({"name": {"$regex": "^case-"}})},
        "persons": persons,
        "person_keys": {d["_id"]: d["person_id"] async for d in database.person_keys.find()},
    }


def export_to(path: Path, env: dict[str, str]) -> list[dict[str, Any]]:
    """Run `hub export-records` and return the file's lines, parsed."""
    result = run_hub("export-records", "--out", str(path), env=env)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert f"wrote {path}: {len(lines)} records" in result.stdout
    identifiers = {p[k] for line in lines for p in line["parties"] for k in ("idNumber", "phone") if k in p}
    assert identifiers and not any(i in result.stdout + result.stderr for i in identifiers)
    return lines


async def exported(
    database: AsyncDatabase, settings: Settings, keys: KeyRing, folder: Path
) -> tuple[dict[str, Any], Path, list[dict[str, Any]]]:
    """The database's state, and its export by `hub export-records` (the file and its parsed lines)."""
    before = await snapshot(database, keys)
    path = folder / "hub-export.jsonl"
    return before, path, export_to(path, env_for(settings, database))


async def test_export_and_import_give_a_fresh_database_the_same_data(
    district_in_use: AsyncDatabase, fresh: AsyncDatabase, settings: Settings, keys: KeyRing,
    tmp_path: Path,
) -> None:
    before, path, lines = await exported(district_in_use, settings, keys, tmp_path)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(f"{line['sourceSystem']}|{line['sourceId']}" for line in lines) == sorted(before["records"])
    for line in lines:  # each line: the batch header, then one record exactly in the wire format
        RECORD_ADAPTER.validate_python(without(line, "sourceSystem", "agency"))
    assert not list(tmp_path.glob(".hub-export-*")) and not list(tmp_path.glob("*.partial"))

    await reference_data_only(fresh)
    imported = run_hub("import", str(path), env=env_for(settings, fresh), timeout=120)

    assert imported.returncode == 0, imported.stderr
    assert f"{len(lines)} rows: {len(lines)} created, 0 updated, 0 unchanged, 0 rejected" in imported.stdout
    after = await snapshot(fresh, keys)
    assert after == before

    replay = run_hub("import", str(path), env=env_for(settings, fresh), timeout=120)
    assert f"{len(lines)} rows: 0 created, 0 updated, {len(lines)} unchanged, 0 rejected" in replay.stdout
    assert await snapshot(fresh, keys) == before


async def test_upgrade_reseeds_the_demo_then_imports_the_deployments_own_records(
    district_in_use: AsyncDatabase, fresh: AsyncDatabase, settings: Settings, keys: KeyRing,
    tmp_path: Path,
) -> None:
    """The path docs/ingest.md gives: the demo comes back from `hub seed`, the rest from the file."""
    before, path, lines = await exported(district_in_use, settings, keys, tmp_path)

    seeded = run_hub("seed", "--scale", str(SCALE), env=env_for(settings, fresh), timeout=120)
    assert seeded.returncode == 0, seeded.stderr
    imported = run_hub("import", str(path), env=env_for(settings, fresh), timeout=120)

    assert f"{len(lines)} rows: 5 created, 0 updated, {len(lines) - 5} unchanged, 0 rejected" in imported.stdout
    assert await snapshot(fresh, keys) == before


async def test_a_garbled_line_is_reported_by_number_and_the_others_land(
    district_in_use: AsyncDatabase, fresh: AsyncDatabase, settings: Settings, tmp_path: Path,
) -> None:
    path = tmp_path / "hub-export.jsonl"
    lines = export_to(path, env_for(settings, district_in_use))
    texts = path.read_text(encoding="utf-8").splitlines()
    garbled = next(n for n, line in enumerate(lines) if "caseRef" in line and n > len(lines) // 2)
    texts[garbled] = texts[garbled][: len(texts[garbled]) // 2]
    path.write_text("\n".join(texts)[:-40], encoding="utf-8")  # and the last line cut short, as by a full disk

    await reference_data_only(fresh)
    result = run_hub("import", str(path), env=env_for(settings, fresh), timeout=120)

    assert result.returncode == 0, result.stderr
    good = len(lines) - 2
    assert f"{len(lines)} rows: {good} created, 0 updated, 0 unchanged, 2 rejected" in result.stdout
    rejected_file = tmp_path / "hub-export.rejected.csv"
    assert stat.S_IMODE(rejected_file.stat().st_mode) == 0o600  # it holds the lines' personal data
    with rejected_file.open(encoding="utf-8-sig") as handle:
        rejected = list(csv.DictReader(handle))
    assert [r["行号"] for r in rejected] == [str(garbled + 1), str(len(lines))]
    assert all("not valid JSON" in r["拒收原因"] for r in rejected)
    assert await fresh.records.count_documents({}) == good
    lost = {f"{lines[n]['sourceSystem']}|{lines[n]['sourceId']}" for n in (garbled, len(lines) - 1)}
    assert await fresh.records.count_documents({"_id": {"$in": sorted(lost)}}) == 0


async def test_export_reads_with_plain_finds_and_sorts_alike_however_it_spills(
    district_in_use: AsyncDatabase, keys: KeyRing, tmp_path: Path,
    command_log: CommandLog, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Only `find` (and its `getMore`): what the old FerretDB store answers as well as the new one."""
    whole = tmp_path / "whole.jsonl"
    command_log.recording = True
    summary = await export.export_records(database=district_in_use, keys=keys, out=whole)
    command_log.recording = False
    assert set(command_log.names) <= {"find", "getMore"}
    assert summary.records == await district_in_use.records.count_documents({})
    assert summary.numbering_gaps == [] and summary.reopened == summary.without_case == 0

    monkeypatch.setattr(export, "SPILL_RECORDS", 7)  # many sorted runs on disk, merged
    monkeypatch.setattr(export, "WRITE_RECORDS", 5)
    spilled = tmp_path / "spilled.jsonl"
    await export.export_records(database=district_in_use, keys=keys, out=spilled)
    assert spilled.read_bytes() == whole.read_bytes()


async def test_export_with_another_secret_fails_and_leaves_no_file(
    district_in_use: AsyncDatabase, settings: Settings, tmp_path: Path,
) -> None:
    path = tmp_path / "hub-export.jsonl"

    result = run_hub("export-records", "--out", str(path),
                     env=env_for(settings, district_in_use, HUB_SECRET_KEY="not-the-secret-it-was-written-with"))

    assert result.returncode == 1
    assert "hub: cannot decrypt the personal data" in result.stderr
    assert not list(tmp_path.glob("hub-export*")) and not list(tmp_path.glob(".hub-export-*"))
