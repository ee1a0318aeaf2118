"""The re-keyer: what was hashed or encrypted under an older key of the ring, made again under the current one.

A Person not on the current key (`key_id`) has its encrypted fields decrypted (with whichever key made them)
and encrypted again, and its ID-number or credit-code hash and its name-and-phone hash made again; the new
hashes are added to `person_keys` and to the Person, the old ones stay until `hub keys retire` drops them, so a
process that has not read the ring again yet still finds the Person. The Person is written only as it was read
(a compare-and-swap on its key and fields): one a batch or a merge changed meanwhile is taken again on the next
pass. A new hash another Person holds already is the same identity split across two keys (a process that wrote
with a stale ring); the two are merged as any split is (hub.people.merge).

Webhook secrets are encrypted again the same way. One hub process at a time runs it, by a lease; `hub keys
rekey` runs it to the end from the command line. Nothing clear is logged: only counts.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.fernet import InvalidToken
from pymongo.errors import DuplicateKeyError

from hub.keys.ring import KeyRing, RingKey
from hub.people import merge
from hub.people import service as person_service
from hub.people.models import Person
from hub.store.service import store_now

log = logging.getLogger(__name__)

ENCRYPTED = ("id", "phone", "address")  # a Person's `<name>_encrypted` fields
LEASE_COLLECTION = "hub_key_leases"
LEASE_ID = "rekey"
LEASE = timedelta(minutes=2)


@dataclass
class RekeyResult:
    """One pass's work."""

    persons: int = 0  # brought onto the current key
    webhooks: int = 0
    merged: int = 0  # Persons found to be one identity across two keys, and merged
    raced: int = 0  # changed by another writer while being re-keyed: taken again on the next pass
    unreadable: int = 0  # a field no key of the ring decrypts (left as it is; `hub keys retire` will refuse)

    def add(self, other: RekeyResult) -> None:
        for name in ("persons", "webhooks", "merged", "raced", "unreadable"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _new_keys(doc: dict[str, Any], clear: dict[str, str], key: RingKey) -> tuple[str | None, list[str]]:
    """The Person's identity key and match keys hashed under `key` (None: its identity is not a number)."""
    identity_key = doc.get("identity_key") or ""
    strong = None
    if identity_key.startswith(("id:", "cc:")) and "id" in clear:
        purpose = "resident-id" if identity_key.startswith("id:") else "credit-code"
        strong = identity_key[:3] + key.data.hash(purpose=purpose, value=clear["id"])
    keys = [strong] if strong else []
    if "phone" in clear:
        keys.append("np:" + key.data.hash(purpose="name-phone", value=f"{doc['name']}\x00{clear['phone']}"))
    return strong, keys


async def rekey_person(doc: dict[str, Any], *, ring: KeyRing, key: RingKey, result: RekeyResult) -> None:
    """Bring one Person (a tombstone too: its keys find the Person it was merged into) onto `key`."""
    clear = {}
    for name in ENCRYPTED:
        if value := doc.get(f"{name}_encrypted"):
            try:
                clear[name] = ring.decrypt(value)
            except InvalidToken:
                result.unreadable += 1
                return
    strong, keys = _new_keys(doc, clear, key)
    lost = await person_service.add_keys({k: doc["_id"] for k in keys}, {k: key.id for k in keys})
    as_read = {f"{n}_encrypted": doc.get(f"{n}_encrypted") for n in ENCRYPTED}
    update: dict[str, Any] = {"$set": {**{f"{n}_encrypted": key.data.encrypt(v) for n, v in clear.items()},
                                       "key_id": key.id, **({"identity_key": strong} if strong else {})}}
    if keys:
        update["$addToSet"] = {"match_keys": {"$each": keys}}
    written = await Person.get_pymongo_collection().update_one(
        {"_id": doc["_id"], "key_id": doc.get("key_id"), "identity_key": doc.get("identity_key"), **as_read}, update)
    if not written.matched_count:
        result.raced += 1
        return
    result.persons += 1
    if lost:
        owners = set((await person_service.person_ids_by_key(lost)).values()) - {doc["_id"]}
        found = await merge.roots([doc["_id"], *owners])
        for owner in sorted(owners):
            if owner in found and doc["_id"] in found and found[owner]["_id"] != found[doc["_id"]]["_id"]:
                if await merge.merge(doc["_id"], owner) is not None:
                    result.merged += 1


async def rekey_webhook(doc: dict[str, Any], *, ring: KeyRing, key: RingKey, result: RekeyResult) -> None:
    """Encrypt one webhook's secret again under `key`."""
    try:
        clear = ring.decrypt(doc["secret"])
    except InvalidToken:
        result.unreadable += 1
        return
    collection = Person.get_pymongo_collection().database["webhooks"]
    written = await collection.update_one({"_id": doc["_id"], "secret": doc["secret"]},
                                          {"$set": {"secret": key.data.encrypt(clear), "key_id": key.id}})
    if written.matched_count:
        result.webhooks += 1
    else:
        result.raced += 1


async def rekey_pass(*, ring: KeyRing, batch_size: int = 500,
                     on_batch: Callable[[RekeyResult], None] | None = None,
                     still_held: Callable[[], Any] | None = None) -> RekeyResult:
    """One pass over everything not on the current key (one cursor each: the local store scans per query)."""
    key = ring.current
    result = RekeyResult()
    database = Person.get_pymongo_collection().database
    for collection, step in ((database["people"], rekey_person), (database["webhooks"], rekey_webhook)):
        done = 0
        async for doc in collection.find({"key_id": {"$ne": key.id}}, batch_size=batch_size):
            await step(doc, ring=ring, key=key, result=result)
            done += 1
            if done % batch_size == 0:
                if on_batch is not None:
                    on_batch(result)
                if still_held is not None and not await still_held():
                    return result
    if on_batch is not None:
        on_batch(result)
    return result


async def rekey_all(*, ring: KeyRing, batch_size: int = 500, max_passes: int = 10,
                    on_batch: Callable[[RekeyResult], None] | None = None) -> RekeyResult:
    """Passes until nothing is left to do, or a pass makes no progress (what is left is raced or unreadable)."""
    total = RekeyResult()
    for _ in range(max_passes):
        found = await rekey_pass(ring=ring, batch_size=batch_size, on_batch=on_batch)
        total.add(found)
        if not found.raced:
            break
    return total


# --- in the background, one process at a time --------------------------------------------------


async def _claim(leases: Any, holder: str, now: datetime) -> bool:
    try:
        await leases.find_one_and_update({"_id": LEASE_ID, "lease_until": {"$lte": now}},
                                         {"$set": {"lease_until": now + LEASE, "holder": holder}}, upsert=True)
        return True
    except DuplicateKeyError:  # the lease exists and has not run out
        return False


async def run_forever(*, ring: KeyRing, every: float) -> None:
    """Every `every` seconds, when the ring has more than one key and this process can take the lease, a pass."""
    if every <= 0:
        return
    holder = f"{socket.gethostname()}:{os.getpid()}"
    leases = Person.get_pymongo_collection().database[LEASE_COLLECTION]
    while True:
        await asyncio.sleep(every)
        if len(ring.keys) < 2:
            continue  # one key: everything is on it
        try:
            if not await _claim(leases, holder, store_now()):
                continue

            async def renew() -> bool:
                renewed = await leases.update_one({"_id": LEASE_ID, "holder": holder},
                                                  {"$set": {"lease_until": store_now() + LEASE}})
                return bool(renewed.matched_count)

            found = await rekey_pass(ring=ring, still_held=renew)
            await leases.update_one({"_id": LEASE_ID, "holder": holder}, {"$set": {"lease_until": store_now()}})
            if found.persons or found.webhooks or found.raced or found.unreadable:
                log.info("re-keyed onto %s: %d persons, %d webhooks; %d merged, %d raced, %d unreadable",
                         ring.current.id, found.persons, found.webhooks, found.merged, found.raced, found.unreadable)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # never let the re-keyer die; no personal data in the message
            log.warning("re-keying failed: %s", type(exc).__name__)
