"""Key rotation against the real store: tokens keep working across a rotation, Persons written under the old key
are found and re-keyed, a split across two keys is merged, and a retired key is gone for good."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from cryptography.fernet import InvalidToken
from pymongo.asynchronous.database import AsyncDatabase

from hub.auth import tokens
from hub.config import Settings
from hub.errors import BadUserInput, Conflict, Unauthenticated
from hub.ingest import service as ingest_service
from hub.keys import rekey
from hub.keys import service as keys_service
from hub.keys.ring import KeyRing
from hub.notifications import webhooks
from hub.people import lookup
from hub.people.crypto import PersonalDataKeys
from tests.factories import T0, batch, days, load_reference_data, party, record, resident_id
from tests.scenarios import KEYS, EscalatedPetition

SECRET = "test-secret-key-not-for-production-use"


async def rotated(database: AsyncDatabase) -> KeyRing:
    """The ring after a rotation whose key is current at once."""
    await keys_service.rotate(database=database, master=SECRET, activate_in=timedelta(0), by="测试")
    return await KeyRing.load(database=database, master=SECRET)


def issue(ring: KeyRing) -> str:
    return tokens.issue(keys=ring, agency_code="CC", user="u", roles=[], ttl=timedelta(hours=1))


async def test_tokens_name_their_key_and_outlive_a_rotation_until_the_key_is_retired(database: AsyncDatabase) -> None:
    before = KeyRing(SECRET)
    old = issue(before)
    assert jwt.get_unverified_header(old)["kid"] == "k0"
    ring = await rotated(database)
    new = issue(ring)
    assert jwt.get_unverified_header(new)["kid"] == "k1"
    assert tokens.verify(keys=ring, token=old).user == tokens.verify(keys=ring, token=new).user == "u"
    with pytest.raises(Unauthenticated, match="no longer accepts"):
        tokens.verify(keys=before, token=new)  # a ring that never read k1 does not know it
    with pytest.raises(BadUserInput, match="current key"):
        await keys_service.retire(database=database, ring=ring, key_id="k1")
    with pytest.raises(Conflict, match="may be valid until"):
        await keys_service.retire(database=database, ring=ring, key_id="k0")  # its tokens may not have expired
    await keys_service.retire(database=database, ring=ring, key_id="k0", force=True)
    after = await KeyRing.load(database=database, master=SECRET)
    assert [k.id for k in after.keys] == ["k1"]
    with pytest.raises(Unauthenticated, match="no longer accepts"):
        tokens.verify(keys=after, token=old)
    assert tokens.verify(keys=after, token=new).agency_code == "CC"


async def test_a_pending_key_is_searched_before_it_signs_or_hashes(database: AsyncDatabase) -> None:
    await keys_service.rotate(database=database, master=SECRET, activate_in=timedelta(hours=1), by="测试")
    ring = await KeyRing.load(database=database, master=SECRET)
    assert [k.id for k in ring.keys] == ["k0", "k1"] and ring.current.id == "k0"
    assert jwt.get_unverified_header(issue(ring))["kid"] == "k0"
    assert len(ring.hashes(purpose="resident-id", value="x")) == 2  # a process that activated it is found


async def test_persons_of_the_old_key_are_found_then_rekeyed_and_the_old_key_retired(
        escalated_petition: EscalatedPetition, database: AsyncDatabase, settings: Settings) -> None:
    petition = escalated_petition
    hook, hook_secret = await webhooks.register(agency_code="CC", user="u", url="http://127.0.0.1:9/hook", kinds=None,
                                                settings=settings, keys=KEYS)
    before = await lookup.lookup(keys=KEYS, id_number=petition.petitioner_id)
    persons = await database.people.count_documents({})
    ring = await rotated(database)

    # Found by the old hashes before any re-keying; a new record naming them lands on the same Person.
    found = await lookup.lookup(keys=ring, id_number=petition.petitioner_id)
    assert [p.id for p in found.persons] == [p.id for p in before.persons]
    outcome = await ingest_service.ingest(batch=batch("PMC-A", record(
        "pmc-after-rotation", "INTAKE", at=T0 + days(40), parties=[party("周八", idNumber=petition.petitioner_id)],
        case={"title": "周八再次来访", "category": "LABOUR", "regionCode": "510199001001"})), keys=ring)
    assert not [r for r in outcome.results if r.errors]
    assert await database.people.count_documents({}) == persons
    left = await keys_service.status(database=database, ring=ring)
    assert (left.current, left.persons, left.webhooks) == ("k1", persons, 1)

    done = await rekey.rekey_all(ring=ring, batch_size=2)
    assert (done.persons, done.webhooks, done.merged, done.unreadable) == (persons, 1, 0, 0)
    assert (await keys_service.status(database=database, ring=ring)).rekeyed
    k0, k1 = PersonalDataKeys(SECRET), ring.get("k1").data  # type: ignore[union-attr]
    async for person in database.people.find({"id_encrypted": {"$ne": None}}):
        assert person["key_id"] == "k1"
        k1.decrypt(person["id_encrypted"])
        with pytest.raises(InvalidToken):
            k0.decrypt(person["id_encrypted"])
    stored = await database.webhooks.find_one({"_id": hook.id})
    assert k1.decrypt(stored["secret"]) == hook_secret

    retired = await keys_service.retire(database=database, ring=ring, key_id="k0", force=True)
    assert retired.hashes > 0
    assert await database.person_keys.count_documents({"kid": {"$ne": "k1"}, "_id": {"$not": {"$regex": "^anon:"}}}) == 0
    only_k1 = await KeyRing.load(database=database, master=SECRET)
    for by in ({"id_number": petition.petitioner_id}, {"name": "周八", "phone": petition.petitioner_phone},
               {"credit_code": petition.employer_code}):
        again = await lookup.lookup(keys=only_k1, **by)
        assert again.persons, by
    again = await lookup.lookup(keys=only_k1, id_number=petition.petitioner_id)
    assert [p.id for p in again.persons] == [p.id for p in before.persons]
    assert {c.case_no for c in again.cases} >= {c.case_no for c in before.cases}
    assert len(again.records) == len(before.records) + 1


async def test_one_identity_split_across_two_keys_is_merged_by_the_rekeyer(database: AsyncDatabase) -> None:
    """A process that has not read the ring yet writes a Person by the old key's hash that the new key's
    writers created already: the re-keyer finds the new hash taken and merges the two."""
    await load_reference_data()
    number = resident_id(seq=777)
    ring = await rotated(database)
    stale = KeyRing(SECRET)  # k0 only
    for n, keys in enumerate((ring, stale)):
        outcome = await ingest_service.ingest(batch=batch("PMC-A", record(
            f"split-{n}", "INTAKE", at=T0 + days(n), parties=[party("吴九", idNumber=number)],
            case={"title": f"吴九纠纷{n}", "category": "NEIGHBOUR", "regionCode": "510199001001"})), keys=keys)
        assert not [r for r in outcome.results if r.errors]
    assert await database.people.count_documents({"name": "吴九", "merged_into": None}) == 2

    done = await rekey.rekey_all(ring=ring)
    assert done.merged == 1
    standing = await database.people.find({"name": "吴九", "merged_into": None}).to_list()
    assert len(standing) == 1 and len(standing[0]["case_ids"]) == 2
    found = await lookup.lookup(keys=ring, id_number=number)
    assert [p.id for p in found.persons] == [standing[0]["_id"]] and len(found.records) == 2
