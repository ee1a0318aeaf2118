"""Two Persons found to be one identity become one, whichever process sees it, in any order.

Without transactions, two batches that name one party concurrently can each create a Person: one by name and
phone, the other by ID number, say. The match keys (`person_keys`, one owner per key, first writer wins) are
what every process agrees on, so the batch that loses a key sees the split and merges the two Persons here.

A merge is convergent: the Person that stays is fixed by the two ids alone (`_order`), never by who merges, so
merges never form a cycle; every step is idempotent, so two processes merging the same pair, or a process that
died half-way and a later batch that finds the tombstone, end in the same state. The steps, in order:

1. the loser is marked `merged_into` the winner (a tombstone: kept, so a merge can be explained and undone);
2. its match keys, cases and identifiers it alone knows are added to the winner;
3. its match keys are pointed at the winner (but an ID number or credit code other than the winner's, which a
   batch claimed for the loser before the merge: that batch's settle gives it a Person of its own);
4. records naming the loser name the winner, and their cases are re-derived from them.

A writer that resolved a party to the loser just before step 1 and writes its records after step 4 would leave
them behind; so every batch, after writing, asks whether a Person it wrote is a tombstone (`settle`) and moves
what is left. Either it sees the mark, or its writes came before the mark and so before the moves.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from hub.errors import Conflict, NotFound
from hub.people.models import Person, PersonKey
from hub.records.models import Record
from hub.store.service import IN_SLICE, find_by_ids

log = logging.getLogger(__name__)

STRONG = ("id:", "cc:")
IDENTITY_FIELDS = ("id_masked", "id_encrypted")
CONTACT_FIELDS = ("phone_masked", "phone_encrypted", "address_masked", "address_encrypted", "region_code")
MAX_HOPS = 32


def _order(person_id: str) -> tuple[int, str]:
    """The order in which Persons win a merge: created by ID number or credit code, then by name and phone,
    then by a record's source; then by id. Fixed by the id, which never changes."""
    rank = 0 if person_id.startswith(STRONG) else 1 if person_id.startswith("np:") else 2
    return rank, person_id


def compatible(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two Persons may be one: not when each has its own, different ID number or credit code."""
    a_key, b_key = a.get("identity_key", ""), b.get("identity_key", "")
    return not (a_key.startswith(STRONG) and b_key.startswith(STRONG) and a_key != b_key)


ROOT_FIELDS = {"identity_key": 1, "merged_into": 1, "match_keys": 1}


async def roots(person_ids: Iterable[str], *, fields: dict[str, int] | None = ROOT_FIELDS) -> dict[str, dict[str, Any]]:
    """Each Person's root (itself, or the Person its chain of merges ends at): id -> the root's document, with
    `fields` (None: all of them)."""
    collection = Person.get_pymongo_collection()
    docs = {d["_id"]: d for d in await find_by_ids(collection, sorted(set(person_ids)), fields)}
    for _ in range(MAX_HOPS):
        wanted = sorted({d["merged_into"] for d in docs.values() if d.get("merged_into")} - docs.keys())
        if not wanted:
            break
        docs.update((d["_id"], d) for d in await find_by_ids(collection, wanted, fields))

    def root(person_id: str) -> dict[str, Any] | None:
        doc = docs.get(person_id)
        for _ in range(MAX_HOPS):
            if doc is None or not doc.get("merged_into"):
                return doc
            doc = docs.get(doc["merged_into"])
        return doc

    return {p: r for p in set(person_ids) if (r := root(p)) is not None}


async def merge(a: str, b: str) -> str | None:
    """Make Persons a and b one, if they may be (`compatible`): the root that stays, or None if they stay two."""
    for _ in range(MAX_HOPS):
        found = await roots([a, b])
        if a not in found or b not in found:
            return None
        root_a, root_b = found[a], found[b]
        if root_a["_id"] == root_b["_id"]:
            return root_a["_id"]
        if not compatible(root_a, root_b):
            return None
        winner, loser = sorted((root_a, root_b), key=lambda d: _order(d["_id"]))
        # Only as read: a Person verified by another batch since is looked at again (it may no longer be compatible).
        marked = await Person.get_pymongo_collection().update_one(
            {"_id": loser["_id"], "merged_into": None, "identity_key": loser.get("identity_key")},
            {"$set": {"merged_into": winner["_id"], "merged_at": datetime.now(timezone.utc)}})
        if marked.modified_count or marked.matched_count:
            log.info("person %s merged into %s", loser["_id"], winner["_id"])  # keyed hashes, no clear value
            await move(loser=loser["_id"], winner=winner["_id"])
            return winner["_id"]
        # Another process merged or verified the loser meanwhile: look again from the new roots.
    return None


@dataclass
class MergeLog:
    """What one merge changed, so that it can be undone exactly (`undo`): the winner's fields before, the keys,
    case ids and match keys it gained, the match keys pointed at it, and each record's parties rewritten."""

    loser: str
    winner: str
    fields_before: dict[str, Any] = field(default_factory=dict)  # the winner's fields the merge set, as they were
    fields_absent: list[str] = field(default_factory=list)  # of those, the ones the winner did not have
    added_match_keys: list[str] = field(default_factory=list)
    added_case_ids: list[Any] = field(default_factory=list)
    first_seen_at: datetime | None = None  # the winner's, when the loser's earlier one replaced it
    moved_keys: list[str] = field(default_factory=list)
    records: dict[str, list[int]] = field(default_factory=dict)  # record id -> positions of the loser in its parties
    case_ids: list[Any] = field(default_factory=list)

    def to_document(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> MergeLog:
        return cls(**doc)


async def move(*, loser: str, winner: str, log_to: MergeLog | None = None) -> None:
    """Steps 2 to 4 of a merge (idempotent): what still names the loser comes to the winner; what it changes is
    written into `log_to`, when given."""
    from hub.cases import service as case_service  # cases use people: imported when a merge happens

    people = Person.get_pymongo_collection()
    docs = {d["_id"]: d for d in await find_by_ids(people, [loser, winner])}
    gone, kept = docs.get(loser), docs.get(winner)
    if gone is None or kept is None:
        return
    fields: dict[str, Any] = {}
    if gone.get("identity_key", "").startswith(STRONG) and not kept.get("identity_key", "").startswith(STRONG):
        fields.update(identity_key=gone["identity_key"], verified=True,
                      **{f: gone[f] for f in IDENTITY_FIELDS if gone.get(f)})
    fields.update({f: gone[f] for f in CONTACT_FIELDS if gone.get(f) and not kept.get(f)})
    if any(f.endswith("_encrypted") for f in fields) and gone.get("key_id") != kept.get("key_id"):
        fields["key_id"] = None  # fields of two keys now: the re-keyer puts them on one
    update: dict[str, Any] = {"$addToSet": {"match_keys": {"$each": gone.get("match_keys", [])},
                                            "case_ids": {"$each": gone.get("case_ids", [])}},
                              "$min": {"first_seen_at": gone["first_seen_at"]}}
    if fields:
        update["$set"] = fields
    if log_to is not None:
        log_to.fields_before = {f: kept.get(f) for f in fields if f in kept}
        log_to.fields_absent = [f for f in fields if f not in kept]
        log_to.added_match_keys = [k for k in gone.get("match_keys", []) if k not in kept.get("match_keys", [])]
        log_to.added_case_ids = [c for c in gone.get("case_ids", []) if c not in kept.get("case_ids", [])]
        if gone["first_seen_at"] < kept["first_seen_at"]:
            log_to.first_seen_at = kept["first_seen_at"]
    await people.update_one({"_id": winner}, update)
    # The loser's keys, but an ID number or credit code other than the winner's: a batch claimed it for the loser
    # before the merge, and it belongs to a Person of its own, which that batch's settle creates.
    identity = fields.get("identity_key") or kept.get("identity_key", "")
    keys = PersonKey.get_pymongo_collection()
    movable = [d["_id"] async for d in keys.find({"person_id": loser}, {"_id": 1})
               if not d["_id"].startswith(STRONG) or d["_id"] == identity]
    if movable:
        await keys.update_many({"_id": {"$in": movable}, "person_id": loser}, {"$set": {"person_id": winner}})
    records = Record.get_pymongo_collection()
    naming = await records.find({"parties.person_id": loser}, {"case_id": 1, "parties.person_id": 1}).to_list()
    case_ids = sorted({d["case_id"] for d in naming if d.get("case_id") is not None} | set(gone.get("case_ids", [])))
    await records.update_many({"parties.person_id": loser}, {"$set": {"parties.$[p].person_id": winner}},
                              array_filters=[{"p.person_id": loser}])
    if log_to is not None:
        log_to.moved_keys = movable
        log_to.records = {d["_id"]: [n for n, p in enumerate(d.get("parties") or []) if p.get("person_id") == loser]
                          for d in naming}
        log_to.case_ids = case_ids
    await case_service.recompute(case_ids=case_ids)


async def merge_reviewed(a: str, b: str) -> MergeLog:
    """A coordination centre's merge (hub.people.review): a and b become one even when each has its own ID number
    (one of them mistyped); the Person that stays is chosen as for any merge. The log undoes it."""
    found = await roots([a, b])
    if a not in found or b not in found:
        raise NotFound("a Person of the pair is gone")
    root_a, root_b = found[a], found[b]
    if root_a["_id"] == root_b["_id"]:
        raise Conflict("the two are one Person already")
    winner, loser = sorted((root_a, root_b), key=lambda d: _order(d["_id"]))
    marked = await Person.get_pymongo_collection().update_one(
        {"_id": loser["_id"], "merged_into": None},
        {"$set": {"merged_into": winner["_id"], "merged_at": datetime.now(timezone.utc)}})
    if not marked.modified_count:
        raise Conflict("the Person was merged meanwhile; read the pair again")
    done = MergeLog(loser=loser["_id"], winner=winner["_id"])
    await move(loser=loser["_id"], winner=winner["_id"], log_to=done)
    log.info("person %s merged into %s on review", loser["_id"], winner["_id"])  # keyed hashes, no clear value
    return done


async def undo(done: MergeLog) -> None:
    """Take a reviewed merge back exactly: the loser is a Person again, with its keys, its records' parties and
    its cases; the winner loses what it gained. Records written since under the winner stay with it."""
    from hub.cases import service as case_service

    people = Person.get_pymongo_collection()
    restore: dict[str, Any] = {"$pullAll": {"match_keys": done.added_match_keys, "case_ids": done.added_case_ids}}
    if done.fields_before or done.first_seen_at:
        restore["$set"] = {**done.fields_before, **({"first_seen_at": done.first_seen_at} if done.first_seen_at else {})}
    if done.fields_absent:
        restore["$unset"] = {f: "" for f in done.fields_absent}
    await people.update_one({"_id": done.winner}, restore)
    await people.update_one({"_id": done.loser, "merged_into": done.winner},
                            {"$set": {"merged_into": None, "merged_at": None}})
    if done.moved_keys:
        await PersonKey.get_pymongo_collection().update_many(
            {"_id": {"$in": done.moved_keys}, "person_id": done.winner}, {"$set": {"person_id": done.loser}})
    records = Record.get_pymongo_collection()
    for record_id, positions in done.records.items():
        if positions:  # only where the record still names the winner there (not revised since)
            await records.update_one({"_id": record_id, **{f"parties.{n}.person_id": done.winner for n in positions}},
                                     {"$set": {f"parties.{n}.person_id": done.loser for n in positions}})
    await case_service.recompute(case_ids=done.case_ids)
    log.info("merge of person %s into %s undone", done.loser, done.winner)


async def settle(person_ids: Sequence[str]) -> list[str]:
    """After a batch's writes: move what it wrote under a Person merged meanwhile (one read when none was);
    the root of each Person."""
    wanted = sorted(set(person_ids))
    collection = Person.get_pymongo_collection()
    tombstones = [d["_id"] for n in range(0, len(wanted), IN_SLICE) for d in await collection.find(
        {"_id": {"$in": wanted[n:n + IN_SLICE]}, "merged_into": {"$ne": None}}, {"_id": 1}).to_list()]
    if not tombstones:
        return list(person_ids)
    found = await roots(tombstones)
    for person_id in tombstones:
        if (root := found.get(person_id)) is not None and root["_id"] != person_id:
            await move(loser=person_id, winner=root["_id"])
    return [found[p]["_id"] if p in found else p for p in person_ids]
