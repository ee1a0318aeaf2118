"""Cases: look-ups, numbering, creation and re-deriving their summaries from records."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timezone
from enum import Enum
from typing import Any

from beanie import PydanticObjectId

from hub.store.service import READ_BATCH_SIZE
from pymongo import ReturnDocument, UpdateOne
from pymongo.errors import BulkWriteError

from hub.cases.derive import RECORD_FIELDS, derive
from hub.cases.models import OPEN_STATUSES, Case, CaseCounter
from hub.errors import NotFound
from hub.records.models import Record

DUPLICATE_KEY = 11000


async def get(*, case_id: PydanticObjectId) -> Case | None:
    """One case by id, or None."""
    return await Case.get(case_id)


async def get_by_case_no_or_raise(*, case_no: str) -> Case:
    """One case by number; NOT_FOUND when there is none."""
    case = await Case.find_one({"case_no": case_no})
    if case is None:
        raise NotFound(f"no case numbered {case_no!r}")
    return case


async def get_many(*, ids: Sequence[PydanticObjectId]) -> dict[PydanticObjectId, Case]:
    """Cases by id."""
    if not ids:
        return {}
    return {c.id: c for c in await Case.find({"_id": {"$in": list(set(ids))}}, batch_size=READ_BATCH_SIZE).to_list()}  # type: ignore[misc]


async def find_raw(*, query: dict[str, Any], fields: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Raw case documents matching query (for bulk paths that need only a few fields)."""
    projection = {f: 1 for f in fields} if fields else None
    return await Case.get_pymongo_collection().find(query, projection).to_list()


async def find_open_with_parties(*, person_ids: Sequence[PydanticObjectId], since: datetime) -> list[dict[str, Any]]:
    """Open cases opened since `since` that name any of the persons (candidates for matching)."""
    if not person_ids:
        return []
    return await find_raw(
        query={
            "party_ids": {"$in": list(set(person_ids))},
            "status": {"$in": [s.value for s in OPEN_STATUSES]},
            "opened_at": {"$gte": since},
        },
        fields=("case_no", "category", "township_code", "opened_at", "party_ids"),
    )


async def allocate_numbers(*, year: int, count: int) -> list[str]:
    """`count` fresh case numbers for `year`, e.g. JF2026000123 (one round trip)."""
    doc = await CaseCounter.get_pymongo_collection().find_one_and_update(
        {"name": f"case-{year}"}, {"$inc": {"value": count}}, upsert=True,
        return_document=ReturnDocument.AFTER,
    )
    last = int(doc["value"])
    return [f"JF{year}{n:06d}" for n in range(last - count + 1, last + 1)]


async def insert_many(*, cases: Sequence[Case]) -> dict[str, PydanticObjectId]:
    """Insert new cases; a case whose origin record already opened one is not duplicated.

    Returns origin source key -> case id for every case asked for, new or existing.
    """
    if cases:
        try:
            await Case.insert_many(list(cases), ordered=False)
        except BulkWriteError as exc:
            if any(e.get("code") != DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
                raise
    keys = [c.origin_source_key for c in cases]
    docs = await find_raw(query={"origin_source_key": {"$in": keys}}, fields=("origin_source_key",))
    return {d["origin_source_key"]: d["_id"] for d in docs}


async def recompute(*, case_ids: Iterable[PydanticObjectId]) -> int:
    """Re-derive the summaries of these cases from their records; returns how many changed."""
    ids = list(set(case_ids))
    if not ids:
        return 0
    cases = await find_raw(query={"_id": {"$in": ids}})
    by_case: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    cursor = Record.get_pymongo_collection().find(
        {"case_id": {"$in": ids}}, {f: 1 for f in ("case_id", *RECORD_FIELDS)}
    )
    async for rec in cursor:
        by_case[rec["case_id"]].append(rec)
    ops = []
    for case in cases:
        derived = derive(case=case, records=by_case.get(case["_id"], []))
        changes = {k: _plain(v) for k, v in derived.items() if _plain(v) != case.get(k)}
        if changes:
            ops.append(UpdateOne({"_id": case["_id"]}, {"$set": changes, "$inc": {"revision": 1}}))
    if ops:
        await Case.get_pymongo_collection().bulk_write(ops, ordered=False)
    return len(ops)


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
