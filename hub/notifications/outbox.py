"""The outbox: the events a batch of freshly written records causes, appended once each by key.

Called by ingestion (hub.ingest.service) right after the records are folded into their cases, with
the records that batch wrote. An event's `_id` is its key, fixed by the record that caused it, so a
replayed or revised record writes nothing new; its `seq` comes from one atomic `$inc` per batch on
the `counters` collection, so events have one total order across hub processes (docs/webhooks.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING

from hub.agencies import service as agency_service
from hub.auth.policy import RESTRICTED_READERS
from hub.cases.models import Case, CaseCounter
from hub.notifications.models import Delivery, DeliveryStatus, EventKind, OutboxCursor, OutboxEvent
from hub.records.enums import RecordKind, Visibility
from hub.records.models import Record
from hub.store.service import find_by_ids, insert_new, store_now, take_numbers, unbroken

SEQ_COUNTER = "outbox-seq"
PRUNED_COUNTER = "outbox-pruned"  # the newest seq pruning has deleted
_listeners: set[Callable[[], None]] = set()


def listen(callback: Callable[[], None]) -> Callable[[], None]:
    """Call `callback` (no arguments, not awaited) each time this process writes events; returns the unlisten.

    The readers of this process (the webhook dispatcher, the subscriptions' feed) wake at once for the
    events written here instead of waiting for their next poll; events written by other processes
    still arrive at the next poll.
    """
    _listeners.add(callback)
    return lambda: _listeners.discard(callback)


def _written() -> None:
    for callback in list(_listeners):
        callback()
_CAUSES = frozenset({RecordKind.HANDOVER, RecordKind.HANDOVER_RESPONSE, RecordKind.PETITION})


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _record_part(record: Record) -> dict[str, Any]:
    return {"id": record.id, "kind": str(record.kind), "agency": record.agency_code,
            "occurredAt": _iso(record.occurred_at), "summary": record.summary}


async def events_for(records: Sequence[Record]) -> list[OutboxEvent]:
    """The events these records cause (without `seq`: `append` numbers them). No party data goes in.

    - HANDOVER → CASE_HANDED_TO, for the receiving agency;
    - HANDOVER_RESPONSE → HANDOVER_ANSWERED, for the agency that sent the handover;
    - PETITION → PETITION_ON_CASE (ESCALATED_PETITION when `details.escalated`), for the agencies
      involved in the case (`Case.agencies`) other than the one that recorded the petition.

    A RESTRICTED record (stability intelligence) concerns only the agencies that may read it
    (hub.auth.policy.RESTRICTED_READERS).
    """
    causes = [r for r in records if r.kind in _CAUSES]
    if not causes:
        return []
    handover_ids = sorted({str(r.details.handover_id) for r in causes  # type: ignore[attr-defined]
                           if r.kind == RecordKind.HANDOVER_RESPONSE})
    cases = {c["_id"]: c for c in await find_by_ids(Case.get_pymongo_collection(), {r.case_id for r in causes},
                                                    {"case_no": 1, "region_path": 1, "agencies": 1})}
    handovers = {h["_id"]: h for h in await find_by_ids(Record.get_pymongo_collection(), handover_ids,
                                                        {"agency_code": 1})} if handover_ids else {}
    restricted = any(str(r.visibility) == Visibility.RESTRICTED for r in causes)
    kinds = await agency_service.kinds() if restricted else {}
    now = store_now()
    events = []
    for record in causes:
        case = cases.get(record.case_id) or {}
        details: Any = getattr(record, "details", None)
        payload: dict[str, Any] = {"record": _record_part(record)}
        if record.kind == RecordKind.HANDOVER:
            kind, key, agencies = EventKind.CASE_HANDED_TO, f"handover:{record.id}", [details.to_agency]
            payload["handover"] = {"id": record.id, "fromAgency": record.agency_code, "toAgency": details.to_agency,
                                   "mode": str(details.mode), "reason": details.reason,
                                   "acceptBy": _iso(details.accept_by)}
        elif record.kind == RecordKind.HANDOVER_RESPONSE:
            sender = (handovers.get(details.handover_id) or {}).get("agency_code")
            kind, key, agencies = EventKind.HANDOVER_ANSWERED, f"handover-answer:{record.id}", [sender] if sender else []
            payload["answer"] = {"handoverId": details.handover_id, "decision": str(details.decision),
                                 "reason": details.reason, "answeredBy": record.agency_code}
        else:
            kind = EventKind.ESCALATED_PETITION if details.escalated else EventKind.PETITION_ON_CASE
            key = f"petition:{record.id}"
            agencies = [a for a in case.get("agencies", []) if a != record.agency_code]
            payload["petition"] = {"petitionNo": details.petition_no, "form": str(details.form),
                                   "levelReached": str(details.level_reached), "escalated": details.escalated,
                                   "participants": details.participants}
        if str(record.visibility) == Visibility.RESTRICTED:
            agencies = [a for a in agencies if kinds.get(a) in RESTRICTED_READERS]
        agencies = sorted(set(agencies))
        if not agencies:
            continue
        events.append(OutboxEvent(
            id=key, seq=0, kind=kind, case_id=record.case_id, case_no=case.get("case_no") or record.case_no,
            region_path=list(case.get("region_path") or []), agencies=agencies, payload=payload, at=now,
        ))
    return events


async def allocate_seqs(count: int) -> list[int]:
    """`count` consecutive sequence numbers, from one atomic `$inc` (one round trip)."""
    return list(await take_numbers(CaseCounter.get_pymongo_collection(), SEQ_COUNTER, count))


async def append(events: Iterable[OutboxEvent]) -> int:
    """Insert the events whose key is new (a replay writes nothing); returns how many were written."""
    wanted = {e.id: e for e in events}
    if not wanted:
        return 0
    stored = {d["_id"] for d in await find_by_ids(OutboxEvent.get_pymongo_collection(), list(wanted), {"_id": 1})}
    fresh = [e for key, e in wanted.items() if key not in stored]
    if not fresh:
        return 0
    for event, seq in zip(fresh, await allocate_seqs(len(fresh))):
        event.seq = seq
    documents = [e.model_dump(by_alias=True, exclude={"revision_id"}) for e in fresh]
    # A concurrent writer that got there first: its event stands (the seq this one took leaves a gap).
    written = len(await insert_new(OutboxEvent.get_pymongo_collection(), documents))
    if written:
        _written()
    return written


async def read_after(position: int, *, now: datetime, gap_seconds: float, limit: int,
                     query: dict[str, Any] | None = None) -> list[OutboxEvent]:
    """The events after `position`, in order, up to the first number still missing (at most `limit`).

    A missing number may be an event another process is still writing: the read stops before it,
    for up to `gap_seconds` after the next event was written; after that the number is taken as
    never used (its writer crashed, or lost a race on the key) and passed.
    """
    found = await OutboxEvent.find({"seq": {"$gt": position}, **(query or {})}).sort(
        ("seq", ASCENDING)).limit(limit).to_list()
    return unbroken(found, position=position, now=now, gap_seconds=gap_seconds, seq=lambda e: e.seq,
                    at=lambda e: e.at)


async def publish(*, records: Sequence[Record]) -> int:
    """The events of a batch's written records, appended to the outbox; returns how many were new."""
    return await append(await events_for(records))


async def prune(*, before: datetime) -> tuple[int, int]:
    """Delete what is no longer needed: outbox events written before `before` that every consumer's cursor
    has passed (all of them when there is no consumer), and webhook deliveries DELIVERED or FAILED and
    created before it. Returns (events, deliveries) deleted.

    A subscription resuming with an `after` older than that gets only the events still kept.
    """
    cursors = [int(c["seq"]) async for c in OutboxCursor.get_pymongo_collection().find({}, {"seq": 1})]
    query: dict[str, Any] = {"seq": {"$gt": 0}, "at": {"$lt": before}}
    if cursors:
        query["seq"] = {"$gt": 0, "$lte": min(cursors)}
    newest = await OutboxEvent.get_pymongo_collection().find(query, {"seq": 1}).sort("seq", -1).limit(1).to_list()
    if newest:  # remembered first, so a subscriber resuming before it is told it missed pruned events
        await CaseCounter.get_pymongo_collection().update_one(
            {"name": PRUNED_COUNTER}, {"$max": {"value": int(newest[0]["seq"])}}, upsert=True)
    events = await OutboxEvent.get_pymongo_collection().delete_many(query)
    deliveries = await Delivery.get_pymongo_collection().delete_many(
        {"status": {"$in": [DeliveryStatus.DELIVERED.value, DeliveryStatus.FAILED.value]}, "created_at": {"$lt": before}})
    return events.deleted_count, deliveries.deleted_count


async def pruned_through() -> int:
    """The newest `seq` pruning may have deleted (0: none yet)."""
    doc = await CaseCounter.get_pymongo_collection().find_one({"name": PRUNED_COUNTER})
    return int(doc["value"]) if doc else 0


async def repair(*, since: datetime, until: datetime | None = None, batch_size: int = 500) -> tuple[int, int]:
    """Write the events the outbox lacks for records recorded in [since, until): after a process died
    between writing a batch's records and writing their events (`hub outbox repair`). Events already
    there are left alone (by key), so it is safe to run over a wider span than needed, or twice.

    Reads the records of the kinds that cause events through the (kind, occurred_at) index and keeps
    those recorded in the span. Returns (records examined, events written).
    """
    query = {"kind": {"$in": sorted(k.value for k in _CAUSES)},
             "recorded_at": {"$gte": since, "$lt": until or store_now()}}
    examined = written = 0
    batch: list[Record] = []
    async for record in Record.find(query, with_children=True):
        batch.append(record)
        if len(batch) == batch_size:
            examined, written = examined + len(batch), written + await publish(records=batch)
            batch = []
    if batch:
        examined, written = examined + len(batch), written + await publish(records=batch)
    return examined, written
