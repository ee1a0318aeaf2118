"""Resolving parties to Persons: the same ID number or credit code is the same Person."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime

from beanie import PydanticObjectId
from pymongo import UpdateOne

from hub.people import identity
from hub.people.crypto import PersonalDataKeys
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

    @property
    def keys(self) -> list[str]:
        """Every key that should find this party's Person."""
        return [k for k in (self.strong_key, self.name_phone_key) if k] or [self.fallback_key]

    @cached_property
    def fields(self) -> dict[str, str | None]:
        """The masked and encrypted identifiers stored on a Person."""
        return self.protect()


def identify(
    *,
    keys: PersonalDataKeys,
    name: str,
    kind: PartyKind,
    id_number: str | None,
    credit_code: str | None,
    phone: str | None,
    address: str | None,
    fallback_key: str,
) -> PartyIdentity:
    """Keys of a validated party, and how to mask and encrypt its identifiers; never stores them in clear."""
    strong = None
    if id_number:
        strong = "id:" + keys.hash(purpose="resident-id", value=id_number)
    elif credit_code:
        strong = "cc:" + keys.hash(purpose="credit-code", value=credit_code)
    name_phone = "np:" + keys.hash(purpose="name-phone", value=f"{name}\x00{phone}") if phone else None

    def protect() -> dict[str, str | None]:
        fields: dict[str, str | None] = {}
        if id_number or credit_code:
            clear = id_number or credit_code or ""
            fields.update(id_masked=identity.mask_resident_id(clear), id_encrypted=keys.encrypt(clear))
        if phone:
            fields.update(phone_masked=identity.mask_phone(phone), phone_encrypted=keys.encrypt(phone))
        if address:
            fields.update(address_masked=identity.mask_address(address), address_encrypted=keys.encrypt(address))
        return fields

    return PartyIdentity(
        name=name, kind=kind, strong_key=strong, name_phone_key=name_phone,
        fallback_key="anon:" + fallback_key, protect=protect,
    )


def lookup_keys(
    *, keys: PersonalDataKeys, id_number: str | None = None, credit_code: str | None = None,
    name: str | None = None, phone: str | None = None,
) -> list[str]:
    """The match keys a lookup by these (validated) identifiers should search."""
    found = []
    if id_number:
        found.append("id:" + keys.hash(purpose="resident-id", value=id_number))
    if credit_code:
        found.append("cc:" + keys.hash(purpose="credit-code", value=credit_code))
    if name and phone:
        found.append("np:" + keys.hash(purpose="name-phone", value=f"{name}\x00{phone}"))
    return found


async def _person_ids_by_key(match_keys: Sequence[str]) -> dict[str, str]:
    """match key -> person id, for the keys that are known."""
    docs = await find_by_ids(PersonKey.get_pymongo_collection(), match_keys)
    return {d["_id"]: d["person_id"] for d in docs}


async def find_by_keys(*, match_keys: Sequence[str]) -> list[Person]:
    """Persons any of whose match keys is among match_keys."""
    ids = sorted(set((await _person_ids_by_key(match_keys)).values()))
    return [Person.model_validate(d) for d in await find_by_ids(Person.get_pymongo_collection(), ids)]


async def link_cases(*, pairs: Sequence[tuple[str, PydanticObjectId]]) -> None:
    """Note on each person the cases they are party to (for matching new records to cases)."""
    ops = [UpdateOne({"_id": person_id}, {"$addToSet": {"case_ids": case_id}})
           for person_id, case_id in dict.fromkeys(pairs)]
    if ops:
        await bulk_write(Person.get_pymongo_collection(), ops)


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
    return await Person.find({"name": name}).limit(limit).to_list()


async def resolve(
    *, parties: Sequence[PartyIdentity], seen_at: Sequence[datetime]
) -> list[str]:
    """One Person id per party, creating or upgrading Persons as needed (idempotent)."""
    all_keys = sorted({k for p in parties for k in [*p.keys, p.fallback_key]})
    known = await _person_ids_by_key(all_keys)
    docs = await find_by_ids(
        Person.get_pymongo_collection(), sorted(set(known.values())), {"identity_key": 1, "match_keys": 1}
    )
    by_key: dict[str, dict] = {}
    for doc in docs:
        for key in doc["match_keys"]:
            by_key[key] = doc

    stored = {doc["_id"] for doc in docs}
    creates: dict[str, dict] = {}  # _id (the creation key) -> new person document
    upgrades: dict[str, PartyIdentity] = {}
    resolved: list[str] = []
    for party, at in zip(parties, seen_at):
        found = _match(party, by_key)
        if found is None:
            key = party.strong_key or party.name_phone_key or party.fallback_key
            found = {
                "_id": key, "kind": party.kind.value, "name": party.name, "identity_key": key,
                "match_keys": party.keys if key in party.keys else [key],
                "verified": party.strong_key is not None, "first_seen_at": at, **party.fields,
            }
            creates[key] = found
            for match_key in found["match_keys"]:
                by_key[match_key] = found
        elif party.strong_key and not found["identity_key"].startswith(("id:", "cc:")):
            # Known so far by name and phone only: the ID number now arriving verifies them.
            found.update(identity_key=party.strong_key, verified=True, **party.fields)
            found["match_keys"] = [*found["match_keys"], party.strong_key]
            by_key[party.strong_key] = found
            if found["_id"] in stored:
                upgrades[found["_id"]] = party
        if found["_id"] in creates:
            found["first_seen_at"] = min(found["first_seen_at"], at)
        resolved.append(found["_id"])

    ops: list[UpdateOne] = [
        UpdateOne(
            {"_id": key},
            {"$setOnInsert": {k: v for k, v in doc.items() if k not in ("_id", "first_seen_at")},
             "$min": {"first_seen_at": doc["first_seen_at"]}},
            upsert=True,
        )
        for key, doc in creates.items()
    ]
    for person_id, party in upgrades.items():
        ops.append(UpdateOne(
            {"_id": person_id},
            {"$set": {"identity_key": party.strong_key, "verified": True, **party.fields},
             "$addToSet": {"match_keys": party.strong_key}},
        ))
    if ops:
        await bulk_write(Person.get_pymongo_collection(), ops)
    new_keys = [(k, doc["_id"]) for doc in creates.values() for k in doc["match_keys"]]
    new_keys += [(party.strong_key, person_id) for person_id, party in upgrades.items()]
    await _add_keys([(k, pid) for k, pid in new_keys if k and known.get(k) != pid])
    return resolved


async def _add_keys(pairs: Sequence[tuple[str, str]]) -> None:
    """Record match keys; a key written concurrently by another batch is left as it is."""
    if not pairs:
        return
    await insert_new(PersonKey.get_pymongo_collection(),
                     [{"_id": key, "person_id": pid} for key, pid in dict(pairs).items()])


def _match(party: PartyIdentity, by_key: dict[str, dict]) -> dict | None:
    """The known Person for a party: by strong key, else by name and phone when that Person has
    no conflicting strong key, else by the party's fallback key (replays)."""
    if party.strong_key and party.strong_key in by_key:
        return by_key[party.strong_key]
    if party.name_phone_key and party.name_phone_key in by_key:
        candidate = by_key[party.name_phone_key]
        has_other_strong = candidate["identity_key"].startswith(("id:", "cc:"))
        if not (party.strong_key and has_other_strong):
            return candidate
    if not party.strong_key and not party.name_phone_key:
        return by_key.get(party.fallback_key)
    return None
