"""Rotating and retiring the ring's keys (`hub keys rotate|status|retire`), and keeping a process's ring fresh."""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from pymongo.errors import DuplicateKeyError

from hub.auth.tokens import MAX_TTL
from hub.errors import BadUserInput, Conflict
from hub.keys.ring import COLLECTION, EPOCH, MASTER_ID, KeyRing, RingKey, key_number, wrapping_key
from hub.store.service import IN_SLICE, store_now

log = logging.getLogger(__name__)

HASHED = ("id:", "cc:", "np:")  # match keys that are keyed hashes (`anon:` ones are a record's source key)


async def rotate(*, database: Any, master: str, activate_in: timedelta, by: str,
                 now: datetime | None = None) -> RingKey:
    """Add a random key to the ring, current from `now + activate_in` (by then every process has read it)."""
    now = now or store_now()
    ids = [d["_id"] async for d in database[COLLECTION].find({}, {"_id": 1})]
    number = max((key_number(i) for i in ids), default=0) + 1
    secret = secrets.token_urlsafe(48)
    wrapped = wrapping_key(master).encrypt(secret.encode()).decode()
    for _ in range(100):  # another rotation at the same moment takes the next number
        key = RingKey(f"k{number}", secret, now + activate_in)
        try:
            await database[COLLECTION].insert_one({"_id": key.id, "wrapped": wrapped, "created_at": now,
                                                   "created_by": by, "active_from": key.active_from})
        except DuplicateKeyError:
            number += 1
            continue
        log.info("key %s added to the ring, current from %s", key.id, key.active_from.isoformat())
        return key
    raise Conflict("could not number a new key: too many rotations at once")


@dataclass
class KeyState:
    """One key as `hub keys status` shows it."""

    id: str
    active_from: datetime
    state: str  # current, pending, previous, retired
    retired_at: datetime | None = None


@dataclass
class RingStatus:
    """The ring, and what is still written under a key other than the current one."""

    current: str
    keys: list[KeyState] = field(default_factory=list)
    persons: int = 0  # Persons the re-keyer has still to bring onto the current key
    webhooks: int = 0  # webhook secrets likewise

    @property
    def rekeyed(self) -> bool:
        """Everything is on the current key."""
        return self.persons == 0 and self.webhooks == 0


async def status(*, database: Any, ring: KeyRing, now: datetime | None = None) -> RingStatus:
    """Each key's state and the work left to the re-keyer."""
    now = now or datetime.now(timezone.utc)
    current = ring.current_at(now)
    docs = {d["_id"]: d async for d in database[COLLECTION].find({}, {"wrapped": 0})}
    found = RingStatus(current=current.id)
    for key in ring.keys:
        state = "current" if key.id == current.id else "pending" if key.active_from > now else "previous"
        found.keys.append(KeyState(key.id, key.active_from, state))
    for key_id, doc in docs.items():
        if doc.get("retired_at") is not None:
            found.keys.append(KeyState(key_id, doc.get("active_from") or EPOCH, "retired", doc["retired_at"]))
    found.keys.sort(key=lambda k: key_number(k.id))
    not_current = {"key_id": {"$ne": current.id}}
    found.persons = await database["people"].count_documents(not_current)
    found.webhooks = await database["webhooks"].count_documents(not_current)
    return found


@dataclass
class Retired:
    """What `retire` did."""

    key_id: str
    hashes: int  # match keys under the key, dropped


async def retire(*, database: Any, ring: KeyRing, key_id: str, force: bool = False,
                 now: datetime | None = None) -> Retired:
    """Take a key out of the ring for good: tokens it signed stop working, its keyed hashes are dropped.

    Refused for the current key, while anything is still written under a key other than the current one, and
    (unless `force`) while a token it signed may still be unexpired."""
    now = now or store_now()
    docs = {d["_id"]: d async for d in database[COLLECTION].find({}, {"wrapped": 0})}
    already = docs.get(key_id, {}).get("retired_at") is not None
    if not already:
        key = ring.get(key_id)
        if key is None:
            raise BadUserInput(f"no key {key_id!r} in the ring; `hub keys status` lists them", field="key_id")
        current = ring.current_at(now)
        if key.id == current.id or key.active_from > now:
            raise BadUserInput(f"{key_id} is the current key (or becomes it): rotate first", field="key_id")
        left = await status(database=database, ring=ring, now=now)
        if not left.rekeyed:
            raise Conflict(f"{left.persons} person(s) and {left.webhooks} webhook(s) are not on {current.id} yet: "
                           "wait for the re-keyer (`hub keys status`), or run `hub keys rekey`")
        successor = min((k.active_from for k in ring.keys if k.active_from > key.active_from), default=now)
        if successor + MAX_TTL > now and not force:
            raise Conflict(f"tokens {key_id} signed may be valid until {(successor + MAX_TTL).isoformat()}; "
                           "--force ends them now")
        await database[COLLECTION].update_one({"_id": key_id}, {"$set": {"retired_at": now},
                                                                "$unset": {"wrapped": ""}}, upsert=True)
        log.info("key %s retired", key_id)
    hashes = await _drop_hashes(database=database, key_id=key_id)
    return Retired(key_id=key_id, hashes=hashes)


async def _drop_hashes(*, database: Any, key_id: str) -> int:
    """Delete the person keys hashed under a retired key, and take them off their Persons."""
    kid = {"$in": [None, MASTER_ID]} if key_id == MASTER_ID else key_id  # none: written before keys had ids
    found = [d["_id"] async for d in database["person_keys"].find({"kid": kid}, {"_id": 1})
             if d["_id"].startswith(HASHED)]
    for n in range(0, len(found), IN_SLICE):
        chunk = found[n:n + IN_SLICE]
        await database["people"].update_many({"match_keys": {"$in": chunk}}, {"$pull": {"match_keys": {"$in": chunk}}})
        await database["person_keys"].delete_many({"_id": {"$in": chunk}, "kid": kid})
    return len(found)


async def keep_fresh(*, ring: KeyRing, database: Any, every: float) -> None:
    """Read the ring again every `every` seconds (a process's view of a rotation is at most that old)."""
    while True:
        await asyncio.sleep(every)
        try:
            await ring.refresh(database=database)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the ring as last read stays in use
            log.warning("reading the key ring failed: %s", type(exc).__name__)
