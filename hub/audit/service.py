"""Appending to the audit trail and reading it. There is deliberately no update and no delete."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bson import ObjectId

from hub.audit import chain
from hub.audit.models import AuditEntry, Outcome
from hub.auth.policy import Principal
from hub.store.service import store_now

MAX_TARGETS = 100


async def append(
    *, principal: Principal, operation: str, targets: Sequence[str] = (), outcome: Outcome,
    purpose: str | None = None, reason: str | None = None, key: bytes,
) -> AuditEntry:
    """Append one entry, numbered and signed for the chain with `key` (hub.audit.chain.key_for; the app's is
    `app.state.audit_key`); targets beyond the first hundred are counted, not listed."""
    listed = list(dict.fromkeys(targets))
    if len(listed) > MAX_TARGETS:
        listed = [*listed[:MAX_TARGETS], f"…+{len(listed) - MAX_TARGETS}"]
    entry = AuditEntry(
        id=ObjectId(), at=store_now(), agency_code=principal.agency_code, region_path=list(principal.region_path),
        user=principal.user, operation=operation, target_ids=listed, purpose=purpose, outcome=outcome,
        reason=reason,
    )
    doc = entry.model_dump(by_alias=True, exclude={"revision_id"})
    chain.sign(doc, seq=await chain.allocate(), key=key)
    entry.seq, entry.mac, entry.seq_mac = doc["seq"], doc["mac"], doc["seq_mac"]
    await AuditEntry.get_pymongo_collection().insert_one(doc)
    return entry


@dataclass(frozen=True)
class AuditSearch:
    """Which entries to list; all given conditions hold."""

    scope: dict[str, Any]
    agency: str | None = None
    operation: str | None = None
    outcome: Outcome | None = None
    target: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def query(self) -> dict[str, Any]:
        query: dict[str, Any] = dict(self.scope)
        for name, value in (("agency_code", self.agency), ("operation", self.operation),
                            ("outcome", self.outcome and self.outcome.value), ("target_ids", self.target)):
            if value:
                query[name] = value
        bounds = {op: v for op, v in (("$gte", self.since), ("$lt", self.until)) if v is not None}
        if bounds:
            query["at"] = bounds
        return query


async def page(
    *, search: AuditSearch, first: int, after: tuple[datetime, ObjectId] | None
) -> tuple[list[AuditEntry], bool]:
    """Newest first, keyset-paged on (at, _id)."""
    query = search.query()
    if after:
        at, oid = after
        query = {"$and": [query, {"$or": [{"at": {"$lt": at}}, {"at": at, "_id": {"$lt": oid}}]}]}
    found = await AuditEntry.find(query).sort(("at", -1), ("_id", -1)).limit(first + 1).to_list()
    return found[:first], len(found) > first


async def count(*, search: AuditSearch) -> int:
    """How many entries match."""
    return await AuditEntry.get_pymongo_collection().count_documents(search.query())
