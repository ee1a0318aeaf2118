"""Cases: look-ups, numbering, creation and re-deriving their summaries from records."""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timezone
from enum import Enum
from typing import Any

from beanie import PydanticObjectId
from pymongo import ReplaceOne, UpdateOne
from pymongo.errors import BulkWriteError

from hub.agencies import service as agency_service
from hub.cases.derive import derive
from hub.cases.models import OPEN_STATUSES, Case, CaseCounter, CaseFile, CaseNumber, file_contents
from hub.changes import log as change_log
from hub.errors import Conflict, NotFound
from hub.people import service as person_service
from hub.records.models import Record
from hub.records.service import to_document
from hub.store.service import DUPLICATE_KEY, READ_BATCH_SIZE, bulk_write, find_by_ids, insert_new, stored_form, take_numbers



async def get(*, case_id: PydanticObjectId) -> Case | None:
    """One case by id, or None."""
    return await Case.get(case_id)


async def get_by_case_no_or_raise(*, case_no: str) -> Case:
    """One case by number; NOT_FOUND when there is none."""
    number = await CaseNumber.get_pymongo_collection().find_one({"_id": case_no})
    case = await Case.get(number["case_id"]) if number else None
    if case is None:
        raise NotFound(f"no case numbered {case_no!r}")
    return case


async def get_many(*, ids: Sequence[PydanticObjectId]) -> dict[PydanticObjectId, Case]:
    """Cases by id."""
    docs = await find_by_ids(Case.get_pymongo_collection(), ids)
    return {d["_id"]: Case.model_validate(d) for d in docs}


ACCESS_FIELDS = ("case_no", "region_path", "agencies", "lead_agency_code", "handed_to")


async def access_fields(*, case_ids: Sequence[PydanticObjectId]) -> list[dict[str, Any]]:
    """The fields the access policy reads, of these cases."""
    return await find_by_ids(Case.get_pymongo_collection(), case_ids, {f: 1 for f in ACCESS_FIELDS})


async def find_open_with_parties(*, person_ids: Sequence[str], since: datetime) -> list[dict[str, Any]]:
    """Open cases opened since `since` that name any of the persons (candidates for matching)."""
    linked = await person_service.case_ids_of(person_ids=sorted(set(person_ids)))
    case_ids = sorted({c for ids in linked.values() for c in ids})
    fields = {f: 1 for f in ("case_no", "category", "township_code", "opened_at", "party_ids", "status")}
    docs = await find_by_ids(Case.get_pymongo_collection(), case_ids, fields)
    open_values = {s.value for s in OPEN_STATUSES}
    # Oldest first, so a record matches the same case whatever order the store returned them in.
    return sorted((d for d in docs if d["status"] in open_values and d["opened_at"] >= since),
                  key=lambda d: (d["opened_at"], d["_id"]))


async def allocate_numbers(*, year: int, count: int) -> list[str]:
    """`count` fresh case numbers for `year`, e.g. JF2026000123 (one round trip)."""
    numbers = await take_numbers(CaseCounter.get_pymongo_collection(), f"case-{year}", count)
    return [f"JF{year}{n:06d}" for n in numbers]


def case_id_for(origin_source_key: str) -> PydanticObjectId:
    """A case's `_id`, fixed by the record that opened it, so a replay finds the same case."""
    return PydanticObjectId(hashlib.sha256(origin_source_key.encode()).digest()[:12])


async def find_opened(*, origins: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Cases already opened by these origin records (a replay after a crash), by origin."""
    docs = await find_by_ids(Case.get_pymongo_collection(), [case_id_for(o) for o in origins],
                             {"case_no": 1, "origin_source_key": 1})
    return {d["origin_source_key"]: d for d in docs}


async def find_numbers(*, case_nos: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Cases by number: case number -> {_id, case_no}."""
    docs = await find_by_ids(CaseNumber.get_pymongo_collection(), sorted(set(case_nos)))
    return {d["_id"]: {"_id": d["case_id"], "case_no": d["_id"]} for d in docs}


async def insert_many(*, cases: Sequence[Case]) -> dict[str, dict[str, Any]]:
    """Insert new cases; one whose origin record already opened it is not duplicated.

    Returns origin source key -> {_id, case_no} for every case asked for, new or existing.
    """
    await insert_new(Case.get_pymongo_collection(), [stored_form(c) for c in cases])
    opened = await find_opened(origins=[c.origin_source_key for c in cases])
    await ensure_numbers(cases=list(opened.values()))
    return opened


async def ensure_numbers(*, cases: Sequence[Mapping[str, Any]]) -> None:
    """Write the number document of each case ({_id, case_no}) that lacks one.

    After the case itself, so a number always names a case; a process that died in between left a case no
    number finds, which the replay that finds the case again (`find_opened`) repairs through this.
    """
    await insert_new(CaseNumber.get_pymongo_collection(), [{"_id": c["case_no"], "case_id": c["_id"]} for c in cases])


async def discard_if_empty(*, case_ids: Sequence[PydanticObjectId]) -> None:
    """Remove cases no record is on, with their files and numbers (hub.ingest.service: a case a batch opened for
    a record that a concurrent batch stored first, on another case). The number is not given out again."""
    for case_id in case_ids:
        if await Record.get_pymongo_collection().find_one({"case_id": case_id}, {"_id": 1}) is not None:
            continue
        case = await Case.get_pymongo_collection().find_one_and_delete({"_id": case_id}, {"case_no": 1})
        await CaseFile.get_pymongo_collection().delete_one({"_id": case_id})
        await person_service.unlink_case(case_id=case_id)
        if case is not None:
            await CaseNumber.get_pymongo_collection().delete_one({"_id": case["case_no"], "case_id": case_id})


FOLD_ATTEMPTS = 30

# case id -> its records, given the cases to fold and their files as read (case id -> file document)
Histories = Callable[[list[Any], dict[Any, dict[str, Any]]], Awaitable[dict[Any, Iterable[dict[str, Any]]]]]


def _rederive(
    case: dict[str, Any], history: Iterable[dict[str, Any]], stored: dict[str, Any] | None, kinds: dict[str, str],
) -> tuple[Any, UpdateOne | None, ReplaceOne | None]:
    """The case's id and the writes that bring its file and derived fields up to date (None where none is due).

    The file is replaced only if it is still at the version read: otherwise the upsert meets the case's `_id`
    and fails with a duplicate key, which `_write` reports as lost. The derived fields are set whole, from the
    file's new version, and never over those of a newer one."""
    ordered = sorted(history, key=lambda h: (h["occurred_at"], h["_id"]))
    derived = {k: _plain(v) for k, v in derive(case=case, records=ordered, agency_kinds=kinds).items()}
    version = (stored or {}).get("version") or 0  # a file stored before versions counts as 0
    file_op = None
    if stored is None or ordered != stored.get("records", []):
        file_op = ReplaceOne({"_id": case["_id"], "version": stored.get("version") if stored else None},
                             file_contents(ordered, version=version + 1), upsert=True)
        version += 1
    case_op = None
    if file_op is not None or any(v != case.get(k) for k, v in derived.items()):
        case_op = UpdateOne({"_id": case["_id"], "file_version": {"$not": {"$gt": version}}},
                            {"$set": {**derived, "file_version": version}, "$inc": {"revision": 1}})
    return case["_id"], case_op, file_op


async def _write(ops: Iterable[tuple[Any, UpdateOne | None, ReplaceOne | None]]) -> tuple[int, list[Any]]:
    """Write case files first, then the cases whose file this wrote (or needed no writing): how many cases
    changed, and the ids of those whose file another writer changed since it was read."""
    ops = list(ops)
    files = [(case_id, op) for case_id, _, op in ops if op is not None]
    lost: set[Any] = set()
    if files:
        try:
            await CaseFile.get_pymongo_collection().bulk_write([op for _, op in files], ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(err.get("code") != DUPLICATE_KEY for err in errors):
                raise
            lost = {files[err["index"]][0] for err in errors}
    cases = [op for case_id, op, _ in ops if op is not None and case_id not in lost]
    await bulk_write(Case.get_pymongo_collection(), cases)
    return len(cases), sorted(lost)


async def _fold(ids: Sequence[Any], histories: Histories) -> int:
    """Re-derive these cases from `histories`, reading and folding again a case whose file another writer
    changed in between (two batches adding records to one case at once); returns cases changed."""
    pending, changed = sorted(set(ids)), 0
    if not pending:
        return 0
    kinds = await agency_service.kinds()
    for attempt in range(FOLD_ATTEMPTS):
        cases, files = await asyncio.gather(find_by_ids(Case.get_pymongo_collection(), pending),
                                            find_by_ids(CaseFile.get_pymongo_collection(), pending))
        stored = {f["_id"]: f for f in files}
        history = await histories(pending, stored)
        done, pending = await _write(_rederive(case, history[case["_id"]], stored.get(case["_id"]), kinds)
                                     for case in cases)
        changed += done
        if not pending:
            await change_log.log_cases(ids)  # those at a revision not logged yet (docs/changes.md)
            return changed
        await asyncio.sleep(random.uniform(0, 0.005 * (attempt + 1)))  # let the other writer's round finish
    raise Conflict(f"{len(pending)} case file(s) kept changing under this write; send it again")


def _stored_records(file: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    return {h["_id"]: h for h in (file or {}).get("records", [])}


async def get_files(*, ids: Sequence[PydanticObjectId]) -> dict[PydanticObjectId, CaseFile]:
    """Case files (each case's records) by case id."""
    docs = await find_by_ids(CaseFile.get_pymongo_collection(), ids)
    return {d["_id"]: CaseFile.model_validate(d) for d in docs}


async def apply_records(*, records: Sequence[Record], documents: Sequence[dict[str, Any]] | None = None) -> int:
    """Fold freshly written records into their cases and re-derive them; returns cases changed. `documents`:
    the records' stored forms, when the caller has them already (`to_document`, in the same order).

    Each case's records are kept in its case file, so this reads only the affected cases and
    their files, by `_id`, and never scans the records collection.
    """
    entries: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for record, doc in zip(records, documents if documents is not None else map(to_document, records)):
        entries[record.case_id].append(doc)

    async def histories(ids: list[Any], stored: dict[Any, dict[str, Any]]) -> dict[Any, Iterable[dict[str, Any]]]:
        return {case_id: {**_stored_records(stored.get(case_id)), **{e["_id"]: e for e in entries[case_id]}}.values()
                for case_id in ids}

    changed = await _fold(list(entries), histories)
    await person_service.link_cases(pairs=[(p.person_id, r.case_id) for r in records for p in r.parties])
    return changed


async def complete(*, record_ids: Mapping[PydanticObjectId, Sequence[str]]) -> int:
    """Finish what a batch cut short left undone, for stored records a replay finds (by case): fold the ones
    their case file lacks, re-derive a case whose fields lag its file, link parties to the case again.

    A process that dies between writing a batch's records and folding them leaves records no case shows; the
    replay reports them UNCHANGED and calls this. Reads the cases, their files and their parties by `_id`;
    writes nothing when all is done. Returns cases changed.
    """
    found: dict[str, dict[str, Any]] = {}  # the records read from the records collection
    parties: set[tuple[str, Any]] = set()

    async def histories(ids: list[Any], stored: dict[Any, dict[str, Any]]) -> dict[Any, Iterable[dict[str, Any]]]:
        held = {case_id: _stored_records(stored.get(case_id)) for case_id in ids}
        missing = [r for case_id in ids for r in record_ids[case_id] if r not in held[case_id] and r not in found]
        found.update((d["_id"], d) for d in await find_by_ids(Record.get_pymongo_collection(), missing))
        for case_id in ids:
            held[case_id].update((r, found[r]) for r in record_ids[case_id] if r in found and r not in held[case_id])
            parties.update((p["person_id"], case_id) for r in record_ids[case_id] if r in held[case_id]
                           for p in held[case_id][r].get("parties", []))
        return {case_id: history.values() for case_id, history in held.items()}

    changed = await _fold(list(record_ids), histories)
    linked = await person_service.case_ids_of(person_ids=sorted({p for p, _ in parties}))
    await person_service.link_cases(pairs=sorted(pair for pair in parties if pair[1] not in linked.get(pair[0], [])))
    return changed


async def as_of(*, case: Case, at: datetime) -> Case | None:
    """The case as it stood at `at`, from its records that had happened by then (`occurredAt <= at`), derived
    as a write would have derived it; None when none had."""
    files = await get_files(ids=[case.id])  # type: ignore[list-item]
    records = [r for r in (files[case.id].records if case.id in files else []) if r["occurred_at"] <= at]
    if not records:
        return None
    ordered = sorted(records, key=lambda r: (r["occurred_at"], r["_id"]))
    stored = case.model_dump(by_alias=True)
    derived = derive(case=stored, records=ordered, agency_kinds=await agency_service.kinds())
    return Case.model_validate({**stored, **derived})


async def recompute(*, case_ids: Iterable[PydanticObjectId]) -> int:
    """Rebuild these cases' files from the records collection and re-derive them."""

    async def histories(ids: list[Any], stored: dict[Any, dict[str, Any]]) -> dict[Any, Iterable[dict[str, Any]]]:
        by_case: dict[Any, list[dict[str, Any]]] = {case_id: [] for case_id in ids}
        cursor = Record.get_pymongo_collection().find({"case_id": {"$in": ids}}, batch_size=READ_BATCH_SIZE)
        async for rec in cursor:
            by_case[rec["case_id"]].append(rec)
        return by_case

    return await _fold(list(case_ids), histories)


async def recompute_all(*, case_no: str | None = None, batch_size: int = 500) -> int:
    """Re-derive every case (or one, by number); returns how many changed."""
    query: dict[str, Any] = {"case_no": case_no} if case_no else {}
    if case_no:
        await get_by_case_no_or_raise(case_no=case_no)
    changed = 0
    batch: list[Any] = []
    async for doc in Case.get_pymongo_collection().find(query, {"_id": 1}).sort("_id", 1):
        batch.append(doc["_id"])
        if len(batch) >= batch_size:
            changed += await recompute(case_ids=batch)
            batch = []
    return changed + await recompute(case_ids=batch)


def _plain(value: Any) -> Any:
    """Values as they come back from the database, so unchanged fields compare equal."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    if isinstance(value, Enum):
        return value.value
    return value
