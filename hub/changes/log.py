"""The change log (docs/changes.md): every case and record as written, in one order across hub processes.

Writers log after they write: `log_records` once a batch's records are stored, `log_cases` once its cases are
re-derived (hub.cases.service logs every case it re-derives, whoever asked). An entry's key is fixed by what it
holds — a case at one `revision`, a record at one source revision on one case — so logging is idempotent: a
replayed batch, or two processes folding the same case, log it once. A batch cut short between its write and
its log is logged by its replay (the ingestion contract: send a batch again until it is answered).

Numbers come from one counter (`take_numbers`, one `$inc` for a whole batch of entries) and are written
after; a reader reads the unbroken run (`unbroken`), so it never passes an entry another process is still
writing. A number taken for an entry another process logged first is written as a VOID entry at once, so
that race leaves no gap for readers to wait on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from hub.cases.models import Case, CaseCounter
from hub.changes.models import Change, ChangeEntity
from hub.records.models import Record
from hub.store.service import find_by_ids, insert_new, store_now, take_numbers, unbroken

SEQ_COUNTER = "changes"


def case_key(doc: Mapping[str, Any]) -> str:
    return f"case:{doc['_id']}:{doc.get('revision', 0)}"


def record_key(record_id: str, source_revision: int, case_id: Any) -> str:
    return f"record:{record_id}:{source_revision}:{case_id}"


def _entry(entity: ChangeEntity, key: str, doc: dict[str, Any], revision: int) -> dict[str, Any]:
    return {"_id": key, "entity": entity.value, "case_id": doc["_id"] if entity is ChangeEntity.CASE else doc["case_id"],
            "case_no": doc.get("case_no"), "revision": revision, "doc": doc}


async def log_cases(case_ids: Iterable[Any]) -> int:
    """Log these cases as stored now (those not logged at their current revision); returns entries written.
    A case without records is left out: one just opened and not yet folded, or one about to be discarded."""
    docs = await find_by_ids(Case.get_pymongo_collection(), list(case_ids))
    return await append([_entry(ChangeEntity.CASE, case_key(d), d, int(d.get("revision") or 0))
                         for d in docs if d.get("record_count")])


def _record_entry(doc: dict[str, Any]) -> dict[str, Any]:
    revision = int(doc.get("source_revision") or 0)
    return _entry(ChangeEntity.RECORD, record_key(doc["_id"], revision, doc["case_id"]), doc, revision)


async def log_records(written: Sequence[dict[str, Any]], unchanged: Mapping[str, tuple[int, Any]] | None = None) -> int:
    """Log records a batch wrote (their documents as written) and those it found stored and left as they were
    (record id -> (sourceRevision, case id)): these only if not logged yet — an attempt cut short before its
    log — and then read back as stored. Entries written."""
    entries = [_record_entry(d) for d in written]
    keys = {record_key(rid, revision, case_id): rid for rid, (revision, case_id) in (unchanged or {}).items()}
    if keys:
        logged = {d["_id"] for d in await find_by_ids(Change.get_pymongo_collection(), list(keys), {"_id": 1})}
        missing = [rid for key, rid in keys.items() if key not in logged]
        entries += [_record_entry(d) for d in await find_by_ids(Record.get_pymongo_collection(), missing)]
    return await append(entries)


async def log_record_ids(record_ids: Iterable[str]) -> int:
    """Log these records as stored now (those not logged in this revision on this case); entries written."""
    return await append([_record_entry(d) for d in await find_by_ids(Record.get_pymongo_collection(), list(record_ids))])


async def append(entries: list[dict[str, Any]]) -> int:
    """Number and insert the entries whose key is new, in the order given; returns how many were written."""
    wanted = {e["_id"]: e for e in entries}
    if not wanted:
        return 0
    collection = Change.get_pymongo_collection()
    stored = {d["_id"] for d in await find_by_ids(collection, list(wanted), {"_id": 1})}
    fresh = [e for key, e in wanted.items() if key not in stored]
    if not fresh:
        return 0
    at = store_now()
    for entry, seq in zip(fresh, await take_numbers(CaseCounter.get_pymongo_collection(), SEQ_COUNTER, len(fresh))):
        entry.update(seq=seq, at=at)
    written = set(await insert_new(collection, fresh))
    lost = [e["seq"] for n, e in enumerate(fresh) if n not in written]  # another process logged them first
    await insert_new(collection, [{"_id": f"void:{seq}", "seq": seq, "entity": ChangeEntity.VOID.value,
                                   "revision": 0, "at": at, "doc": {}} for seq in lost])
    return len(written)


async def read_after(position: int, *, now: datetime, gap_seconds: float, limit: int,
                     until: int | None = None) -> list[dict[str, Any]]:
    """The entries after `position` (up to `until`), in order, up to the first number still being written."""
    query: dict[str, Any] = {"$gt": position} if until is None else {"$gt": position, "$lte": until}
    found = await Change.get_pymongo_collection().find({"seq": query}).sort("seq", 1).limit(limit).to_list()
    return unbroken(found, position=position, now=now, gap_seconds=gap_seconds, seq=lambda e: e["seq"],
                    at=lambda e: e["at"])


async def backfill(*, batch_size: int = 500) -> tuple[int, int]:
    """Log every record, then every case, not logged as stored now (a database from before the change log):
    records in `_id` order, cases in `_id` order, a batch at a time; returns (records, cases) logged."""
    counts = []
    for collection, logger in ((Record.get_pymongo_collection(), log_record_ids),
                               (Case.get_pymongo_collection(), log_cases)):
        logged, last = 0, None
        while ids := [d["_id"] for d in await collection.find({} if last is None else {"_id": {"$gt": last}},
                                                               {"_id": 1}).sort("_id", 1).limit(batch_size).to_list()]:
            logged += await logger(ids)
            last = ids[-1]
        counts.append(logged)
    return counts[0], counts[1]
