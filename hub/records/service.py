"""Records: look-ups by source key (`_id`) and bulk writes for ingestion."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pymongo import ReplaceOne, UpdateOne
from pymongo.errors import BulkWriteError

from hub.records.models import Record, record_key
from hub.store.service import DUPLICATE_KEY, bulk_write, find_by_ids, stored_form

# `kind` and `details.status`: a REFERRAL's stored state, which a new revision may not take back.
_KEY_FIELDS = {"source_system": 1, "source_id": 1, "source_revision": 1, "case_id": 1, "case_no": 1,
               "kind": 1, "agency_code": 1, "details.status": 1, "details.toAgency": 1}


async def find_keys(*, source_keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    """The key fields of existing records by (source_system, source_id), by `_id` look-ups."""
    docs = await find_by_ids(Record.get_pymongo_collection(), [record_key(*k) for k in source_keys], _KEY_FIELDS)
    return {(doc["source_system"], doc["source_id"]): doc for doc in docs}


def to_document(record: Record) -> dict[str, Any]:
    """The stored form of a record, with Beanie's class discriminator."""
    return stored_form(record)


async def write(*, created: Sequence[Record], replaced: Sequence[Record]) -> set[tuple[str, str]]:
    """Insert new records and replace updated ones; returns source keys that already existed."""
    collection = Record.get_pymongo_collection()
    duplicates: set[tuple[str, str]] = set()
    if created:
        docs = [to_document(r) for r in created]
        try:
            await collection.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            for error in exc.details.get("writeErrors", []):
                if error.get("code") != DUPLICATE_KEY:
                    raise
                doc = docs[error["index"]]
                duplicates.add((doc["source_system"], doc["source_id"]))
    if replaced:
        ops = [
            ReplaceOne({"_id": record_key(r.source_system, r.source_id)}, to_document(r))
            for r in replaced
        ]
        await bulk_write(collection, ops)
    return duplicates


async def move(*, records: Sequence[Record]) -> None:
    """Store these records' case (`case_id`, `case_no`) as they now say."""
    await bulk_write(Record.get_pymongo_collection(), [
        UpdateOne({"_id": r.id}, {"$set": {"case_id": r.case_id, "case_no": r.case_no}}) for r in records])


async def get(*, record_id: str) -> Record | None:
    """One record by id, typed by its kind."""
    return await Record.find_one({"_id": record_id}, with_children=True)
