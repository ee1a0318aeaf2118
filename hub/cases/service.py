"""Cases: look-ups, numbering, creation and re-deriving their summaries from records."""

from __future__ import annotations

import asyncio
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timezone
from enum import Enum
from typing import Any

from beanie import PydanticObjectId
from pymongo import ReplaceOne, UpdateOne

from hub.agencies import service as agency_service
from hub.cases.derive import derive
from hub.cases.models import OPEN_STATUSES, Case, CaseCounter, CaseFile, CaseNumber, file_contents
from hub.errors import NotFound
from hub.people import service as person_service
from hub.records.models import Record
from hub.records.service import to_document
from hub.store.service import READ_BATCH_SIZE, bulk_write, find_by_ids, insert_new, stored_form, take_numbers



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


def _rederive(
    case: dict[str, Any], history: Iterable[dict[str, Any]], stored: list[dict[str, Any]] | None,
    kinds: dict[str, str],
) -> tuple[UpdateOne | None, ReplaceOne | None]:
    """The writes that bring a case's file and derived fields up to date (None where none is due)."""
    ordered = sorted(history, key=lambda h: (h["occurred_at"], h["_id"]))
    derived = derive(case=case, records=ordered, agency_kinds=kinds)
    changes = {k: _plain(v) for k, v in derived.items() if _plain(v) != case.get(k)}
    file_op = None if ordered == stored else ReplaceOne({"_id": case["_id"]}, file_contents(ordered), upsert=True)
    case_op = None
    if changes or file_op is not None:
        case_op = UpdateOne({"_id": case["_id"]}, {"$set": changes, "$inc": {"revision": 1}} if changes
                            else {"$inc": {"revision": 1}})
    return case_op, file_op


async def _write(ops: Iterable[tuple[Any, Any]]) -> int:
    """Write case files first, then the cases whose revision records them; returns cases changed."""
    case_ops, file_ops = [], []
    for case_op, file_op in ops:
        if case_op is not None:
            case_ops.append(case_op)
        if file_op is not None:
            file_ops.append(file_op)
    if file_ops:
        await bulk_write(CaseFile.get_pymongo_collection(), file_ops)
    if case_ops:
        await bulk_write(Case.get_pymongo_collection(), case_ops)
    return len(case_ops)


async def get_files(*, ids: Sequence[PydanticObjectId]) -> dict[PydanticObjectId, CaseFile]:
    """Case files (each case's records) by case id."""
    docs = await find_by_ids(CaseFile.get_pymongo_collection(), ids)
    return {d["_id"]: CaseFile.model_validate(d) for d in docs}


async def apply_records(*, records: Sequence[Record]) -> int:
    """Fold freshly written records into their cases and re-derive them; returns cases changed.

    Each case's records are kept in its case file, so this reads only the affected cases and
    their files, by `_id`, and never scans the records collection.
    """
    entries: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        entries[record.case_id].append(to_document(record))
    ids = list(entries)
    cases, files, kinds = await asyncio.gather(
        find_by_ids(Case.get_pymongo_collection(), ids), find_by_ids(CaseFile.get_pymongo_collection(), ids),
        agency_service.kinds(),
    )
    stored = {f["_id"]: f.get("records", []) for f in files}
    ops = []
    for case in cases:
        history = {h["_id"]: h for h in stored.get(case["_id"], [])}
        history.update((e["_id"], e) for e in entries[case["_id"]])
        ops.append(_rederive(case, history.values(), stored.get(case["_id"]), kinds))
    changed = await _write(ops)
    await person_service.link_cases(pairs=[(p.person_id, r.case_id) for r in records for p in r.parties])
    return changed


async def complete(*, record_ids: Mapping[PydanticObjectId, Sequence[str]]) -> int:
    """Finish what a batch cut short left undone, for stored records a replay finds (by case): fold the ones
    their case file lacks, re-derive a case whose fields lag its file, link parties to the case again.

    A process that dies between writing a batch's records and folding them leaves records no case shows; the
    replay reports them UNCHANGED and calls this. Reads the cases, their files and their parties by `_id`;
    writes nothing when all is done. Returns cases changed.
    """
    ids = list(record_ids)
    if not ids:
        return 0
    cases, files, kinds = await asyncio.gather(
        find_by_ids(Case.get_pymongo_collection(), ids), find_by_ids(CaseFile.get_pymongo_collection(), ids),
        agency_service.kinds(),
    )
    stored = {f["_id"]: f.get("records", []) for f in files}
    held = {h["_id"]: h for history in stored.values() for h in history}
    missing = [r for rs in record_ids.values() for r in rs if r not in held]
    found = {d["_id"]: d for d in await find_by_ids(Record.get_pymongo_collection(), missing)} if missing else {}
    ops = []
    for case in cases:
        history = {h["_id"]: h for h in stored.get(case["_id"], [])}
        history.update((r, found[r]) for r in record_ids[case["_id"]] if r in found)
        ops.append(_rederive(case, history.values(), stored.get(case["_id"]), kinds))
    changed = await _write(ops)
    pairs = {(p["person_id"], doc["case_id"]) for doc in (held.get(r) or found.get(r)
             for rs in record_ids.values() for r in rs) if doc for p in doc.get("parties", [])}
    linked = await person_service.case_ids_of(person_ids=sorted({p for p, _ in pairs}))
    await person_service.link_cases(pairs=sorted(pair for pair in pairs if pair[1] not in linked.get(pair[0], [])))
    return changed


async def recompute(*, case_ids: Iterable[PydanticObjectId]) -> int:
    """Rebuild these cases' files from the records collection and re-derive them."""
    ids = list(set(case_ids))
    if not ids:
        return 0
    by_case: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    cursor = Record.get_pymongo_collection().find({"case_id": {"$in": ids}}, batch_size=READ_BATCH_SIZE)
    async for rec in cursor:
        by_case[rec["case_id"]].append(rec)
    files = {f["_id"]: f.get("records", []) for f in await find_by_ids(CaseFile.get_pymongo_collection(), ids)}
    kinds = await agency_service.kinds()
    return await _write(_rederive(case, by_case.get(case["_id"], []), files.get(case["_id"]), kinds)
                        for case in await find_by_ids(Case.get_pymongo_collection(), ids))


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
