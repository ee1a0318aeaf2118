"""The identity review queue (docs/identity-review.md): pairs of Persons matching did not merge that look alike.

Matching merges by itself only on what cannot be wrong by chance: a checked ID number or credit code, or a
name with a phone (hub.people.service). What is left looks alike to a person, not to a rule: the same name
with a phone one digit off, two ID numbers (or credit codes) two edits apart, the same name twice among one
case's parties. Why two: the check characters of GB 11643 and GB 32100 catch every single wrong digit and
every swap of two neighbours (their weights differ at every position, modulo the primes 11 and 31), so a
mistyped number that passed the check and reached the store is at least two edits from the right one; one
double slip in eleven passes. `queue_similar` finds
such pairs among the Persons a batch named and queues each pair once; a coordination centre then merges them
(`merge`, undoable exactly: `undo`) or keeps them apart (`keep_apart`: never queued again), with a reason.

Distances are jellyfish's (Damerau-Levenshtein, which counts a transposition as one edit): a maintained
library for exactly this, rather than hand-written loops. Clear values are decrypted in memory to compare
them and never stored in the queue or logged: it holds the two Person ids and the figures.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import jellyfish
from bson import ObjectId
from pymongo import UpdateOne
from pymongo.errors import BulkWriteError

from hub.cases.models import Case
from hub.errors import BadUserInput, Conflict, NotFound
from hub.keys.ring import KeyRing
from hub.people import merge as person_merge
from hub.people.models import IdentityReview, Person, PersonName, ReviewReason, ReviewStatus
from hub.store.service import DUPLICATE_KEY, find_by_ids, insert_new

log = logging.getLogger(__name__)

MOST_PER_NAME = 200  # namesakes compared at once: of a name more common than that, the latest named
FIELDS = {"name": 1, "identity_key": 1, "id_encrypted": 1, "phone_encrypted": 1, "case_ids": 1, "merged_into": 1}


def pair_id(a: str, b: str) -> str:
    first, second = sorted((a, b))
    return f"{first}~{second}"


ID_EDITS = 2  # the most edits (a wrong character, two neighbours swapped) between two numbers of one person


def _near(a: str, b: str) -> int | None:
    """The edits between two different identifiers of one length, when few enough to be a slip."""
    if len(a) != len(b) or a == b:
        return None
    distance = jellyfish.damerau_levenshtein_distance(a, b)
    return distance if distance <= ID_EDITS else None


@dataclass
class _Clear:
    """A Person's ID number and phone, decrypted for the comparison only."""

    id_number: str | None
    phone: str | None


def _clear(person: Mapping[str, Any], keys: KeyRing) -> _Clear:
    def open_(field: str) -> str | None:
        value = person.get(field)
        if not value:
            return None
        try:
            return keys.decrypt(value)
        except Exception:  # a key retired meanwhile: this Person is left out of the comparison
            return None

    return _Clear(open_("id_encrypted"), open_("phone_encrypted"))


def compare(a: Mapping[str, Any], b: Mapping[str, Any], opened: Callable[[Mapping[str, Any]], _Clear],
            ) -> tuple[list[ReviewReason], dict[str, float]]:
    """Why two Persons of one name look like one, and the figures; no reasons: they do not. Decrypts only
    what both have."""
    reasons: list[ReviewReason] = []
    scores: dict[str, float] = {}
    both_phones = a.get("phone_encrypted") and b.get("phone_encrypted")
    both_ids = a.get("id_encrypted") and b.get("id_encrypted")
    ca, cb = (opened(a), opened(b)) if both_phones or both_ids else (_Clear(None, None), _Clear(None, None))
    if ca.phone and cb.phone and ca.phone != cb.phone:
        distance = jellyfish.damerau_levenshtein_distance(ca.phone, cb.phone)
        if distance == 1:
            reasons.append(ReviewReason.SIMILAR_PHONE)
            scores["phoneDistance"] = float(distance)
            scores["phoneJaroWinkler"] = round(jellyfish.jaro_winkler_similarity(ca.phone, cb.phone), 4)
    if ca.id_number and cb.id_number and (edits := _near(ca.id_number, cb.id_number)) is not None:
        reasons.append(ReviewReason.SIMILAR_ID_NUMBER)
        scores["idDistance"] = float(edits)
    if set(a.get("case_ids") or []) & set(b.get("case_ids") or []):
        reasons.append(ReviewReason.SAME_NAME_IN_CASE)
    if reasons:
        scores["nameJaroWinkler"] = round(jellyfish.jaro_winkler_similarity(a["name"], b["name"]), 4)
    return reasons, scores


async def queue_similar(*, parties: Mapping[str, str], keys: KeyRing) -> int:
    """Queue the look-alike pairs between these Persons (id -> the name a record gave) and the others of their
    names; returns pairs queued.

    The Persons of a name are listed by the name (`person_names`, read by `_id`). A batch reads its names'
    lists; only its Persons new to their name's list are compared (a pair is found when the later of the two
    arrives), so a batch of known parties stops there. New ones are written into the lists; those with a
    namesake (the newest MOST_PER_NAME of a name, or another new one) are read with their namesakes in one
    read; then the pairs already queued and their cases' regions, only when it finds any."""
    names = sorted(set(parties.values()))
    if not names:
        return 0
    listed = {d["_id"]: d["person_ids"] for d in await find_by_ids(PersonName.get_pymongo_collection(), names)}
    fresh = sorted(p for p, name in parties.items() if p not in set(listed.get(name, ())))
    if not fresh:
        return 0
    await _note_names([{"_id": p, "name": parties[p]} for p in fresh])
    # Read only what has someone to be compared with: a new Person whose name had Persons, or two new ones of it.
    new_of: dict[str, list[str]] = {}
    for person_id in fresh:
        new_of.setdefault(parties[person_id], []).append(person_id)
    compared = {name for name, ids in new_of.items() if listed.get(name) or len(ids) > 1}
    if not compared:
        return 0
    namesakes = {p for name in compared for p in listed.get(name, [])[-MOST_PER_NAME:]}
    wanted = namesakes | {p for name in compared for p in new_of[name]}
    docs = {d["_id"]: d for d in await find_by_ids(Person.get_pymongo_collection(), sorted(wanted), FIELDS)}
    mine = [docs[p] for name in compared for p in new_of[name] if p in docs and not docs[p].get("merged_into")]
    if not mine:
        return 0
    others: dict[str, list[dict[str, Any]]] = {}
    for person_id in sorted(namesakes | {d["_id"] for d in mine}):  # the batch's new ones with each other too
        if (doc := docs.get(person_id)) is not None and not doc.get("merged_into"):
            others.setdefault(doc["name"], []).append(doc)
    clear: dict[str, _Clear] = {}

    def opened(doc: Mapping[str, Any]) -> _Clear:
        if doc["_id"] not in clear:
            clear[doc["_id"]] = _clear(doc, keys)
        return clear[doc["_id"]]

    found: dict[str, tuple[list[str], list[ReviewReason], dict[str, float], set[Any]]] = {}
    for person in mine:
        for other in others.get(person["name"], []):
            if other["_id"] == person["_id"] or pair_id(person["_id"], other["_id"]) in found:
                continue
            reasons, scores = compare(person, other, opened)
            if reasons:
                found[pair_id(person["_id"], other["_id"])] = (
                    sorted((person["_id"], other["_id"])), reasons, scores,
                    set(person.get("case_ids") or []) | set(other.get("case_ids") or []))
    if not found:
        return 0
    queued = {d["_id"] for d in await find_by_ids(IdentityReview.get_pymongo_collection(), list(found), {"_id": 1})}
    new_pairs = {k: v for k, v in found.items() if k not in queued}
    if not new_pairs:
        return 0
    paths = {d["_id"]: d.get("region_path") or [] for d in await find_by_ids(
        Case.get_pymongo_collection(), sorted({c for v in new_pairs.values() for c in v[3]}), {"region_path": 1})}
    now = datetime.now(timezone.utc)
    documents = [{"_id": key, "person_ids": ids, "reasons": [r.value for r in reasons], "scores": scores,
                  "region_paths": sorted({r for c in cases for r in paths.get(c, [])}),
                  "status": ReviewStatus.OPEN.value, "found_at": now, "history": []}
                 for key, (ids, reasons, scores, cases) in new_pairs.items()]
    written = len(await insert_new(IdentityReview.get_pymongo_collection(), documents))
    if written:
        log.info("%d look-alike pair(s) queued for identity review", written)  # no names, no values
    return written


async def _note_names(persons: Sequence[Mapping[str, Any]]) -> None:  # {_id, name} each
    """Add the Persons to the lists of their names (idempotent; a concurrent first upsert of a name is retried)."""
    by_name: dict[str, list[str]] = {}
    for person in persons:
        by_name.setdefault(person["name"], []).append(person["_id"])
    ops = [UpdateOne({"_id": name}, {"$addToSet": {"person_ids": {"$each": ids}}}, upsert=True)
           for name, ids in sorted(by_name.items())]
    for attempt in range(3):
        try:
            await PersonName.get_pymongo_collection().bulk_write(ops, ordered=False)
            return
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if attempt == 2 or any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            ops = [ops[e["index"]] for e in errors]  # the name's document exists now: add to it


# --- decisions ----------------------------------------------------------------------------------


def review_scope(region_code: str) -> dict[str, Any]:
    """The reviews a coordination centre of this region sees: those with a case in its region."""
    return {"region_paths": region_code}


async def page(*, region_code: str, status: ReviewStatus | None, first: int,
               after: tuple[datetime, str] | None) -> tuple[list[IdentityReview], bool]:
    """A page of the centre's reviews, newest first (keyset on found_at, _id)."""
    query: dict[str, Any] = review_scope(region_code)
    if status is not None:
        query["status"] = status.value
    if after is not None:
        query["$or"] = [{"found_at": {"$lt": after[0]}}, {"found_at": after[0], "_id": {"$lt": after[1]}}]
    docs = await IdentityReview.get_pymongo_collection().find(query).sort(
        [("found_at", -1), ("_id", -1)]).limit(first + 1).to_list()
    return [IdentityReview.model_validate(d) for d in docs[:first]], len(docs) > first


async def get(*, review_id: str, region_code: str) -> IdentityReview:
    doc = await IdentityReview.get_pymongo_collection().find_one({"_id": review_id, **review_scope(region_code)})
    if doc is None:
        raise NotFound(f"no identity review {review_id!r}")
    return IdentityReview.model_validate(doc)


def _reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise BadUserInput("a decision on an identity gives its reason", field="reason")
    return text[:2000]


async def _decide(review: IdentityReview, *, expect: ReviewStatus, status: ReviewStatus, by: dict[str, str],
                  reason: str, merge_log: dict[str, Any] | None, action: str) -> IdentityReview:
    """Move the review from `expect` to `status`, once: a concurrent decision gets CONFLICT."""
    now = datetime.now(timezone.utc)
    entry = {"action": action, "at": now, "by": by, "reason": reason}
    changed = await IdentityReview.get_pymongo_collection().find_one_and_update(
        {"_id": review.id, "status": expect.value},
        {"$set": {"status": status.value, "decided_at": now, "decided_by": by, "reason": reason,
                  "merge_log": merge_log}, "$push": {"history": entry}},
        return_document=True)
    if changed is None:
        raise Conflict("the review was decided meanwhile; read it again")
    return IdentityReview.model_validate(changed)


async def merge(*, review_id: str, region_code: str, by: dict[str, str], reason: str) -> IdentityReview:
    """One person: the pair is merged (its cases and look-up keys to the Person that stays) and the log kept."""
    reason = _reason(reason)
    review = await get(review_id=review_id, region_code=region_code)
    if review.status not in (ReviewStatus.OPEN, ReviewStatus.UNDONE):
        raise Conflict(f"the review is {review.status.value.lower()}")
    claimed = await _decide(review, expect=review.status, status=ReviewStatus.MERGED, by=by, reason=reason,
                            merge_log=None, action="MERGE")
    try:
        done = await person_merge.merge_reviewed(*review.person_ids)
    except (Conflict, NotFound):
        await IdentityReview.get_pymongo_collection().update_one(
            {"_id": review.id}, {"$set": {"status": review.status.value}, "$pop": {"history": 1}})
        raise
    await IdentityReview.get_pymongo_collection().update_one(
        {"_id": review.id}, {"$set": {"merge_log": _stored(done.to_document())}})
    claimed.merge_log = done.to_document()
    return claimed


async def keep_apart(*, review_id: str, region_code: str, by: dict[str, str], reason: str) -> IdentityReview:
    """Two people: the pair stays apart and is never queued again."""
    reason = _reason(reason)
    review = await get(review_id=review_id, region_code=region_code)
    if review.status not in (ReviewStatus.OPEN, ReviewStatus.UNDONE):
        raise Conflict(f"the review is {review.status.value.lower()}")
    return await _decide(review, expect=review.status, status=ReviewStatus.KEPT_APART, by=by, reason=reason,
                         merge_log=None, action="KEEP_APART")


async def undo(*, review_id: str, region_code: str, by: dict[str, str], reason: str) -> IdentityReview:
    """Take the merge back exactly (hub.people.merge.undo); the pair may be decided again."""
    reason = _reason(reason)
    review = await get(review_id=review_id, region_code=region_code)
    if review.status is not ReviewStatus.MERGED or not review.merge_log:
        raise Conflict("only a merged pair's merge is undone")
    done = person_merge.MergeLog.from_document(_loaded(review.merge_log))
    undone = await _decide(review, expect=ReviewStatus.MERGED, status=ReviewStatus.UNDONE, by=by, reason=reason,
                           merge_log=_stored(done.to_document()), action="UNDO")
    await person_merge.undo(done)
    return undone


def _stored(log_doc: dict[str, Any]) -> dict[str, Any]:
    """A merge log as the store keeps it: record ids may hold dots, so the records map becomes a list."""
    return {**log_doc, "records": [[k, v] for k, v in log_doc["records"].items()]}


def _loaded(log_doc: dict[str, Any]) -> dict[str, Any]:
    records = log_doc.get("records") or []
    return {**log_doc, "records": dict(records) if isinstance(records, list) else records,
            "added_case_ids": [ObjectId(c) if isinstance(c, str) else c for c in log_doc.get("added_case_ids") or []],
            "case_ids": [ObjectId(c) if isinstance(c, str) else c for c in log_doc.get("case_ids") or []]}


async def persons(ids: Sequence[str]) -> dict[str, Person]:
    """The pair's Persons, by id (a merged one too: its tombstone)."""
    return {d["_id"]: Person.model_validate(d) for d in await find_by_ids(Person.get_pymongo_collection(), ids)}


async def count(*, region_code: str, status: ReviewStatus | None) -> int:
    query: dict[str, Any] = review_scope(region_code)
    if status is not None:
        query["status"] = status.value
    return await IdentityReview.get_pymongo_collection().count_documents(query)
