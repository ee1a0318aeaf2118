"""The audit trail's tamper-evident chain (docs/reliability.md, "Tamper-evident audit trail").

- **numbering**: every entry takes its `seq` from one atomic `$inc` on `counters` ("audit-seq"), so
  entries of every hub process have one total order, and no writer waits for another;
- **signing**: the writer MACs the entry's fields (`mac`, `_id` included) and its number with them
  (`seq_mac`), keyed by a key derived from HUB_SECRET_KEY: without the key an edit cannot be re-signed;
- **sealing**: one process at a time (by a lease) walks the numbers after the last checkpoint and writes
  the next one (`audit_seals`): the running keyed hash over the numbers in order, each entry's `seq_mac`
  or the mark of a number never written. A number missing for longer than `audit_gap_seconds` is a
  writer's that died between taking it and writing: the checkpoint lists it, so that a number missing
  later, and not listed, is a deletion;
- **verifying** (hub.audit.verify): the entries are walked by number against the checkpoints.

A writer never needs its predecessor's hash: the chain is linked by number, after the fact.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from hub.audit.models import AuditEntry, AuditSeal, AuditSealLease
from hub.cases.models import CaseCounter
from hub.config import Settings
from hub.people.crypto import derive_key
from hub.store.service import READ_BATCH_SIZE, store_now, take_numbers

log = logging.getLogger("hub.audit")

SEQ_COUNTER = "audit-seq"
VERSION = "audit/v1"  # in every MAC: a change of the signed fields needs a new version
LEASE_ID = "sealer"
LEASE = timedelta(minutes=5)  # the longest a round may hold the lease should its process die mid-round
SEAL_BATCH = 1000  # numbers per checkpoint, at most
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MS = timedelta(milliseconds=1)

# The key of the request being served, set by the Authentication middleware, for appends that are not
# handed one (the report routes); GraphQL resolvers hand theirs (subscriptions run outside it).
@lru_cache(maxsize=8)
def key_for(secret: str) -> bytes:
    """The chain's HMAC key, derived from the hub's secret."""
    return derive_key(secret, b"mediation-hub/audit-chain/v1")


def _mac(key: bytes, *parts: str) -> str:
    # 128 bits of HMAC-SHA256 (truncated as RFC 2104 allows): as strong as the trail needs, half the bytes.
    return hmac.new(key, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()[:32]


def _millis(at: datetime) -> int:
    if at.tzinfo is None:  # a client without tz_aware reads UTC as naive
        at = at.replace(tzinfo=timezone.utc)
    return (at - EPOCH) // MS


def content_mac(key: bytes, doc: Mapping[str, Any]) -> str:
    """The MAC of an entry's fields as stored (`_id` included, the chain fields not)."""
    outcome = doc.get("outcome")
    fields = [VERSION, str(doc.get("_id")), _millis(doc["at"]) if isinstance(doc.get("at"), datetime) else None,
              doc.get("agency_code"), doc.get("region_path"), doc.get("user"), doc.get("operation"),
              doc.get("target_ids"), doc.get("purpose"), None if outcome is None else str(outcome),
              doc.get("reason")]
    return _mac(key, "entry", json.dumps(fields, ensure_ascii=False, separators=(",", ":")))


def seq_mac(key: bytes, seq: int, mac: str) -> str:
    """The MAC binding an entry (its `mac`) to its number."""
    return _mac(key, "seq", str(seq), mac)


def sign(doc: dict[str, Any], *, seq: int, key: bytes) -> None:
    """Number and sign a stored-form entry in place."""
    doc["seq"] = seq
    doc["mac"] = content_mac(key, doc)
    doc["seq_mac"] = seq_mac(key, seq, doc["mac"])


def check(doc: Mapping[str, Any], key: bytes) -> str:
    """"ok"; "changed" (its fields do not match its MAC); "reordered" (they do, but not its number)."""
    mac = doc.get("mac")
    if not isinstance(mac, str) or not hmac.compare_digest(mac, content_mac(key, doc)):
        return "changed"
    if not hmac.compare_digest(str(doc.get("seq_mac")), seq_mac(key, int(doc["seq"]), mac)):
        return "reordered"
    return "ok"


def genesis(key: bytes) -> str:
    """The chain's value before the first number."""
    return _mac(key, "genesis", VERSION)


def link(key: bytes, chain: str, seq: int, entry_seq_mac: str | None) -> str:
    """The chain's value after number `seq`: its entry's `seq_mac`, or None for a number never written."""
    return _mac(key, "chain", chain, str(seq), entry_seq_mac or "gap")


def seal_mac(key: bytes, seal: Mapping[str, Any]) -> str:
    """The MAC of a checkpoint's fields."""
    fields = [VERSION, seal["_id"], seal["prev"], seal["entries"], list(seal["gaps"]), seal["legacy"], seal["chain"]]
    return _mac(key, "seal", json.dumps(fields, separators=(",", ":")))


def seal_ok(seal: Mapping[str, Any], key: bytes) -> bool:
    """The checkpoint is as its sealer wrote it."""
    try:
        return hmac.compare_digest(str(seal.get("mac")), seal_mac(key, seal))
    except (KeyError, TypeError):
        return False


async def allocate() -> int:
    """The next number of the trail, from one atomic `$inc` (one round trip; hub.store.service.take_numbers)."""
    [number] = await take_numbers(CaseCounter.get_pymongo_collection(), SEQ_COUNTER)
    return number


async def allocated() -> int:
    """The last number taken so far (0: none)."""
    doc = await CaseCounter.get_pymongo_collection().find_one({"name": SEQ_COUNTER})
    return int(doc["value"]) if doc else 0


async def legacy_count() -> int:
    """How many entries predate the chain (no `seq`; served by the `seq` index, where they are null)."""
    return await AuditEntry.get_pymongo_collection().count_documents({"seq": None})


async def latest_seal() -> dict[str, Any] | None:
    """The newest checkpoint."""
    found = await AuditSeal.get_pymongo_collection().find({"_id": {"$gte": 0}}).sort(
        "_id", DESCENDING).limit(1).to_list()
    return found[0] if found else None


# --- the sealer ---------------------------------------------------------------------------------


@dataclass
class SealResult:
    """What one round did."""

    sealed: bool = False  # False: another process held the lease
    checkpoints: int = 0
    entries: int = 0
    gaps: int = 0  # numbers sealed as never written
    through: int = 0  # the last number sealed
    stopped: str | None = None  # why the round stopped short of the newest entry, when it is not a writer still writing


async def _claim(holder: str, now: datetime) -> bool:
    try:
        await AuditSealLease.get_pymongo_collection().find_one_and_update(
            {"_id": LEASE_ID, "lease_until": {"$lte": now}}, {"$set": {"lease_until": now + LEASE, "holder": holder}},
            upsert=True)
        return True
    except DuplicateKeyError:  # the lease exists and has not run out
        return False


async def _seal_batch(key: bytes, *, now: datetime, gap: timedelta, result: SealResult) -> bool:
    """Seal up to SEAL_BATCH numbers after the newest checkpoint; True when there may be more."""
    last = await latest_seal()
    if last is not None and not seal_ok(last, key):
        result.stopped = f"checkpoint {last['_id']} fails its MAC (run `hub audit verify`)"
        return False
    through = int(last["_id"]) if last else 0
    chain = last["chain"] if last else genesis(key)
    found = await AuditEntry.get_pymongo_collection().find({"seq": {"$gt": through}}).sort(
        "seq", ASCENDING).limit(SEAL_BATCH).batch_size(READ_BATCH_SIZE).to_list()
    expected, entries, gaps = through + 1, 0, []
    for doc in found:
        seq = int(doc["seq"])
        if check(doc, key) != "ok" or seq < expected:
            result.stopped = f"entry {seq} fails its MAC (run `hub audit verify`)"  # the number only: no content
            break
        if seq > expected:
            if now - doc["at"] < gap:
                break  # the missing numbers' writers may still be writing
            for missing in range(expected, seq):
                chain = link(key, chain, missing, None)
            gaps.extend(range(expected, seq))
        chain = link(key, chain, seq, doc["seq_mac"])
        entries, expected = entries + 1, seq + 1
    if expected - 1 == through:
        return False
    seal: dict[str, Any] = {"_id": expected - 1, "prev": through, "entries": entries, "gaps": gaps,
                            "legacy": await legacy_count(), "chain": chain, "sealed_at": now}
    seal["mac"] = seal_mac(key, seal)
    try:
        await AuditSeal.get_pymongo_collection().insert_one(seal)
    except DuplicateKeyError:  # another sealer (whose lease ran out under this one) got there first
        result.stopped = "another sealer wrote this checkpoint"
        return False
    result.checkpoints, result.entries, result.gaps = result.checkpoints + 1, result.entries + entries, \
        result.gaps + len(gaps)
    result.through = expected - 1
    if result.stopped:
        log.error("audit sealer stopped before number %d: %s", expected, result.stopped)
        return False
    return len(found) == SEAL_BATCH


async def seal(*, key: bytes, gap_seconds: float, now: datetime | None = None) -> SealResult:
    """One round of the sealer: checkpoints for every number it can account for, if it gets the lease."""
    now = now or store_now()
    holder, result = secrets.token_hex(8), SealResult()
    if not await _claim(holder, now):
        return result
    result.sealed = True
    try:
        while await _seal_batch(key, now=now, gap=timedelta(seconds=gap_seconds), result=result):
            pass
    finally:
        await AuditSealLease.get_pymongo_collection().update_one(
            {"_id": LEASE_ID, "holder": holder}, {"$set": {"lease_until": now}})
    if result.stopped and not result.checkpoints:
        log.error("audit sealer stopped: %s", result.stopped)
    return result


async def run_forever(*, settings: Settings) -> None:
    """The sealer of one hub process: a round every `audit_seal_seconds` (0: none); the lease makes one
    process at a time seal. A round that fails is logged by its error's type and the next comes as usual."""
    if settings.audit_seal_seconds <= 0:
        return
    key = key_for(settings.resolved_secret_key())
    while True:
        try:
            await seal(key=key, gap_seconds=settings.audit_gap_seconds)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # never let the sealer die
            log.warning("audit seal round failed: %s", type(exc).__name__)
        await asyncio.sleep(settings.audit_seal_seconds)
