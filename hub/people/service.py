"""Resolving parties to Persons: the same ID number or credit code is the same Person."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime, timezone

from beanie import PydanticObjectId
from pymongo import UpdateOne

from hub.people import identity, merge
from hub.keys.ring import MASTER_ID, KeyRing
from hub.people.models import Person, PersonKey
from hub.store.service import bulk_write, find_by_ids, insert_new
from hub.records.enums import PartyKind


@dataclass(frozen=True)
class PartyIdentity:
    """A party's identity keys, computed once from validated input, and its protected fields on demand.

    The masked and encrypted forms are made only for the parties that create or verify a Person
    (`fields`): most parties of a batch are persons already known, and encryption is the dearest
    step of resolving them. The clear values live in the closure only as long as the batch does.
    """

    name: str
    kind: PartyKind
    strong_key: str | None
    name_phone_key: str | None
    fallback_key: str
    protect: Callable[[], dict[str, str | None]] = field(default=dict, repr=False, compare=False)
    key_id: str = MASTER_ID  # the ring's key the keys are hashed (and the fields encrypted) under
    # The same keys hashed under the ring's other keys: a Person written before a rotation is found by these.
    strong_aliases: frozenset[str] = frozenset()
    name_phone_aliases: frozenset[str] = frozenset()

    @property
    def keys(self) -> list[str]:
        """Every key that should find this party's Person."""
        return [k for k in (self.strong_key, self.name_phone_key) if k] or [self.fallback_key]

    @property
    def search_keys(self) -> list[str]:
        """The keys to read: the party's own, and the same under the ring's older keys."""
        return [*self.keys, *sorted(self.strong_aliases | self.name_phone_aliases)]

    def is_own_strong(self, key: str) -> bool:
        """Whether `key` is this party's ID number or credit code, under any key of the ring."""
        return key == self.strong_key or key in self.strong_aliases

    @cached_property
    def fields(self) -> dict[str, str | None]:
        """The masked and encrypted identifiers stored on a Person."""
        return self.protect()


def identify(
    *,
    keys: KeyRing,
    name: str,
    kind: PartyKind,
    id_number: str | None,
    credit_code: str | None,
    phone: str | None,
    address: str | None,
    fallback_key: str,
) -> PartyIdentity:
    """Keys of a validated party, and how to mask and encrypt its identifiers; never stores them in clear.

    Hashed and encrypted under the ring's current key, taken once, so one party's keys and fields agree."""
    current = keys.current
    strong_hashes: list[str] = []
    if id_number:
        strong_hashes = ["id:" + h for h in keys.hashes(purpose="resident-id", value=id_number, first=current)]
    elif credit_code:
        strong_hashes = ["cc:" + h for h in keys.hashes(purpose="credit-code", value=credit_code, first=current)]
    np_hashes = ["np:" + h for h in keys.hashes(purpose="name-phone", value=f"{name}\x00{phone}", first=current)
                 ] if phone else []
    data = current.data

    def protect() -> dict[str, str | None]:
        fields: dict[str, str | None] = {}
        if id_number or credit_code:
            clear = id_number or credit_code or ""
            fields.update(id_masked=identity.mask_resident_id(clear), id_encrypted=data.encrypt(clear))
        if phone:
            fields.update(phone_masked=identity.mask_phone(phone), phone_encrypted=data.encrypt(phone))
        if address:
            fields.update(address_masked=identity.mask_address(address), address_encrypted=data.encrypt(address))
        return fields

    return PartyIdentity(
        name=name, kind=kind, strong_key=strong_hashes[0] if strong_hashes else None,
        name_phone_key=np_hashes[0] if np_hashes else None, fallback_key="anon:" + fallback_key, protect=protect,
        key_id=current.id, strong_aliases=frozenset(strong_hashes[1:]), name_phone_aliases=frozenset(np_hashes[1:]),
    )


def lookup_keys(
    *, keys: KeyRing, id_number: str | None = None, credit_code: str | None = None,
    name: str | None = None, phone: str | None = None,
) -> list[str]:
    """The match keys a lookup by these (validated) identifiers should search: hashed under every key of the
    ring, so a Person not yet re-keyed since a rotation is found too."""
    found = []
    if id_number:
        found += ["id:" + h for h in keys.hashes(purpose="resident-id", value=id_number)]
    if credit_code:
        found += ["cc:" + h for h in keys.hashes(purpose="credit-code", value=credit_code)]
    if name and phone:
        found += ["np:" + h for h in keys.hashes(purpose="name-phone", value=f"{name}\x00{phone}")]
    return found


async def person_ids_by_key(match_keys: Sequence[str]) -> dict[str, str]:
    """match key -> person id, for the keys that are known."""
    docs = await find_by_ids(PersonKey.get_pymongo_collection(), match_keys)
    return {d["_id"]: d["person_id"] for d in docs}


async def find_by_keys(*, match_keys: Sequence[str]) -> list[Person]:
    """Persons any of whose match keys is among match_keys (the Person a merged one was merged into)."""
    found = await merge.roots((await person_ids_by_key(match_keys)).values(), fields=None)
    roots = {doc["_id"]: doc for doc in found.values()}
    return [Person.model_validate(roots[person_id]) for person_id in sorted(roots)]


async def link_cases(*, pairs: Sequence[tuple[str, PydanticObjectId]]) -> None:
    """Note on each person the cases they are party to (for matching new records to cases)."""
    ops = [UpdateOne({"_id": person_id}, {"$addToSet": {"case_ids": case_id}})
           for person_id, case_id in dict.fromkeys(pairs)]
    if ops:
        await bulk_write(Person.get_pymongo_collection(), ops)


async def unlink_case(*, case_id: PydanticObjectId) -> None:
    """Take a case that is no more off every person's list."""
    await Person.get_pymongo_collection().update_many({"case_ids": case_id}, {"$pull": {"case_ids": case_id}})


async def case_ids_of(*, person_ids: Sequence[str]) -> dict[str, list[PydanticObjectId]]:
    """The cases each person is party to."""
    docs = await find_by_ids(Person.get_pymongo_collection(), person_ids, {"case_ids": 1})
    return {d["_id"]: d.get("case_ids") or [] for d in docs}


async def get_many(*, ids: Sequence[str]) -> dict[str, Person]:
    """Persons by id."""
    docs = await find_by_ids(Person.get_pymongo_collection(), ids)
    return {d["_id"]: Person.model_validate(d) for d in docs}


async def find_by_name(*, name: str, limit: int = 50) -> list[Person]:
    """Persons with exactly this name."""
    return await Person.find({"name": name, "merged_into": None}).limit(limit).to_list()


async def resolve(
    *, parties: Sequence[PartyIdentity], seen_at: Sequence[datetime]
) -> list[str]:
    """One Person id per party, creating or upgrading Persons as needed (idempotent), and merging two Persons
    that a concurrent batch made of one identity (hub.people.merge)."""
    resolution = await plan(parties=parties, seen_at=seen_at)
    await resolution.write_persons()
    await resolution.write_keys()
    return await resolution.settle()


@dataclass
class Resolution:
    """One batch's parties resolved against the store as read, and the writes that follow, in the steps that
    another batch's may come between (tests/people/test_convergence.py runs them in every order)."""

    parties: Sequence[PartyIdentity]
    resolved: list[str]  # the Person of each party
    owners: dict[str, str]  # match key -> the Person it belongs to, as far as this batch knows
    creates: list[UpdateOne]
    verifies: list[UpdateOne]  # after the creates: a Person known by name and phone gets its ID number
    keys: dict[str, str]  # match keys to record: key -> Person

    async def write_persons(self) -> None:
        """Create Persons (an upsert: another batch may be creating the same one), then verify Persons."""
        await bulk_write(Person.get_pymongo_collection(), self.creates)
        await bulk_write(Person.get_pymongo_collection(), self.verifies)

    async def write_keys(self) -> None:
        """Record the match keys; learn the owners of those another batch stored first."""
        self.owners.update(self.keys)
        kids = {k: p.key_id for p in self.parties for k in p.keys}
        if lost := await add_keys(self.keys, kids):
            self.owners.update(await person_ids_by_key(lost))

    async def settle(self) -> list[str]:
        """Put right what concurrent batches split, and say the Person each party ends with.

        A party's ID number claimed for a Person that another batch verified with another ID number gets a
        Person of its own; a party whose keys belong to several Persons that may be one merges them
        (hub.people.merge); what this batch wrote under a Person merged meanwhile is moved."""
        found = await merge.roots([*self.resolved, *self.owners.values()])
        for n, party in enumerate(self.parties):
            owner = found.get(self.owners.get(party.strong_key or "", ""))
            if party.strong_key and owner is not None and not party.is_own_strong(owner["identity_key"]) \
                    and owner["identity_key"].startswith(merge.STRONG):
                claimed = self.owners[party.strong_key]
                self.owners[party.strong_key] = self.resolved[n] = await _own_person(party, claimed)
        pairs = {(person_id, self.owners[k]) for party, person_id in zip(self.parties, self.resolved)
                 for k in party.keys if self.owners.get(k, person_id) != person_id}
        for a, b in sorted(pairs):
            await merge.merge(a, b)
        if pairs:  # each party ends with the Person its strongest key belongs to, whatever this batch first thought
            found = await merge.roots([*self.resolved, *self.owners.values()])
            for n, party in enumerate(self.parties):
                if (owner := found.get(self.owners.get(party.keys[0], ""))) is not None:
                    self.resolved[n] = owner["_id"]
        return await merge.settle(self.resolved)


async def _own_person(party: PartyIdentity, claimed_by: str) -> str:
    """The Person of a party's ID number, created if need be, with the number's key pointed at it (only if it
    still points where this batch saw it: another batch may be doing the same)."""
    assert party.strong_key is not None
    await Person.get_pymongo_collection().update_one({"_id": party.strong_key}, {
        "$setOnInsert": {"kind": party.kind.value, "name": party.name, "identity_key": party.strong_key,
                         "verified": True, "first_seen_at": datetime.now(timezone.utc), **party.fields},
        "$addToSet": {"match_keys": party.strong_key}}, upsert=True)
    await PersonKey.get_pymongo_collection().update_one(
        {"_id": party.strong_key, "person_id": claimed_by}, {"$set": {"person_id": party.strong_key}})
    return party.strong_key


async def plan(*, parties: Sequence[PartyIdentity], seen_at: Sequence[datetime]) -> Resolution:
    """Read the Persons the parties' keys find (their roots, if merged) and decide each party's Person."""
    all_keys = sorted({k for p in parties for k in [*p.search_keys, p.fallback_key]})
    known = await person_ids_by_key(all_keys)
    found_roots = await merge.roots(known.values())
    docs = list({d["_id"]: d for d in found_roots.values()}.values())
    owners = dict(known)  # as stored: perhaps a Person since merged
    by_key: dict[str, dict] = {}
    for doc in docs:
        for key in doc["match_keys"]:
            by_key[key] = doc
    by_key.update((k, found_roots[pid]) for k, pid in known.items() if pid in found_roots)  # mid-merge too

    stored = {doc["_id"] for doc in docs}
    creates: dict[str, dict] = {}  # _id (the creation key) -> new person document
    upgrades: dict[str, PartyIdentity] = {}  # Persons this batch verifies by an ID number or credit code
    added: dict[str, list[str]] = {}  # stored Persons -> the name-and-phone keys they gain
    claims: dict[str, str] = {}  # keys nobody held, now this batch's Persons': key -> Person
    resolved: list[str] = []
    for party, at in zip(parties, seen_at):
        found = _match(party, by_key)
        if found is None:
            key = party.strong_key or party.name_phone_key or party.fallback_key
            found = {
                "_id": key, "kind": party.kind.value, "name": party.name, "identity_key": key, "match_keys": [],
                "verified": party.strong_key is not None, "first_seen_at": at, **party.fields,
                "key_id": party.key_id,
            }
            creates[key] = found
        elif party.strong_key and not found["identity_key"].startswith(merge.STRONG):
            # Known so far by name and phone only: the ID number now arriving verifies them.
            found.update(identity_key=party.strong_key, verified=True, **party.fields)
            if found["_id"] in stored or found["_id"] != party.strong_key:  # stored, or being created by another
                upgrades[found["_id"]] = party
        # The party's keys that nobody holds come to its Person; one another Person holds stays theirs.
        for key in party.keys:
            if key not in by_key:
                by_key[key] = found
                claims[key] = found["_id"]
                found["match_keys"] = [*found["match_keys"], key]
                if found["_id"] in stored and not key.startswith(merge.STRONG):
                    added.setdefault(found["_id"], []).append(key)
        if found["_id"] in creates:
            found["first_seen_at"] = min(found["first_seen_at"], at)
        resolved.append(found["_id"])

    create_writes = [
        UpdateOne(
            {"_id": key},
            {"$setOnInsert": {k: v for k, v in doc.items() if k not in ("_id", "first_seen_at", "match_keys")},
             # another batch may be creating this Person too: its ID number, if it has one, only by `verifies`
             "$addToSet": {"match_keys": {"$each": [k for k in doc["match_keys"]
                                                    if k == key or not k.startswith(merge.STRONG)]}},
             "$min": {"first_seen_at": doc["first_seen_at"]}},
            upsert=True,
        )
        for key, doc in creates.items()
    ]
    # Verified only if still unverified, or by this very number: never over another ID number, and never once
    # merged into another Person (whose identity it would then contradict; settle finds the one that stays).
    verifies = [
        UpdateOne({"_id": person_id, "merged_into": None,
                   "$or": [{"verified": False}, {"identity_key": party.strong_key}]},
                  {"$set": {"identity_key": party.strong_key, "verified": True, **party.fields},
                   "$addToSet": {"match_keys": party.strong_key}})
        for person_id, party in upgrades.items()
    ]
    verifies += [UpdateOne({"_id": person_id}, {"$addToSet": {"match_keys": {"$each": keys}}})
                 for person_id, keys in added.items()]
    return Resolution(parties=parties, resolved=resolved, owners=owners, creates=create_writes, verifies=verifies,
                      keys=claims)


async def add_keys(pairs: dict[str, str], kids: dict[str, str]) -> list[str]:
    """Record match keys (key -> person id), with the id of the ring's key each is hashed under (`kids`; none:
    not a hash); the keys another batch wrote first are left as they are and returned."""
    if not pairs:
        return []
    documents = [{"_id": key, "person_id": pid, **({"kid": kids[key]} if key in kids and not key.startswith("anon:")
                                                    else {})} for key, pid in pairs.items()]
    inserted = set(await insert_new(PersonKey.get_pymongo_collection(), documents))
    return [doc["_id"] for n, doc in enumerate(documents) if n not in inserted]


def _match(party: PartyIdentity, by_key: dict[str, dict]) -> dict | None:
    """The known Person for a party: by strong key, else by name and phone when that Person has
    no conflicting strong key, else by the party's fallback key (replays)."""
    for key in (party.strong_key, *sorted(party.strong_aliases)):
        if key and key in by_key:
            return by_key[key]
    for key in (party.name_phone_key, *sorted(party.name_phone_aliases)):
        if key and key in by_key:
            candidate = by_key[key]
            has_other_strong = candidate["identity_key"].startswith(("id:", "cc:"))
            if not (party.strong_key and has_other_strong):
                return candidate
    if not party.strong_key and not party.name_phone_key:
        return by_key.get(party.fallback_key)
    return None
