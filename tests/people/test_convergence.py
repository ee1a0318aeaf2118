"""Concurrent batches that name one identity end with one Person, in whatever order their steps run (#14 item 2).

`hub.people.service.resolve` reads, then writes Persons, then match keys, then settles; a batch in another
process may run any of its steps in between. The property test draws batches naming a few identities in
different ways (ID number, name and phone, both), and an interleaving of their steps, runs them in that order
against the local store, and checks the end state against what the identities are.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pymongo.asynchronous.database import AsyncDatabase

from hub.ingest import service as ingest_service
from hub.people import merge
from hub.people import service as person_service
from hub.keys.ring import KeyRing
from hub.records.enums import PartyKind
from tests.factories import T0, batch, record, resident_id


@dataclass(frozen=True)
class Identity:
    """A person as they are; a party names them by some of these."""

    label: str
    name: str
    phone: str
    id_number: str


A = Identity("A", "王建国", "13800001111", resident_id("19700101", 1))
TWIN = Identity("twin", "王建国", "13800001111", resident_id("19980101", 2))  # A's name and phone, another ID
C = Identity("C", "李秀英", "13900002222", resident_id("19800101", 3))
FORMS = ("id", "phone", "both")
STEPS = 4  # plan, write_persons, write_keys, settle


def party(keys: KeyRing, who: Identity, form: str, n: int) -> person_service.PartyIdentity:
    return person_service.identify(
        keys=keys, name=who.name, kind=PartyKind.NATURAL, id_number=who.id_number if form != "phone" else None,
        credit_code=None, phone=who.phone if form != "id" else None, address=None, fallback_key=f"src:{n}")


@st.composite
def runs(draw: st.DrawFn) -> tuple[list[list[tuple[Identity, str]]], list[int]]:
    """Batches (each a list of (identity, form)) and an interleaving: batch numbers, each STEPS times."""
    pool = [A, C] + ([TWIN] if draw(st.booleans()) else [])
    named = st.tuples(st.sampled_from(pool), st.sampled_from(FORMS))
    batches = draw(st.lists(st.lists(named, min_size=1, max_size=3), min_size=2, max_size=4))
    order = draw(st.permutations([b for b in range(len(batches)) for _ in range(STEPS)]))
    return batches, order


async def run_interleaved(keys: KeyRing, batches: list[list[tuple[Identity, str]]],
                          order: list[int]) -> list[list[str]]:
    """Each batch's steps, in the drawn order: each batch's Persons, party by party."""
    parties = [[party(keys, who, form, n) for n, (who, form) in enumerate(batch)] for batch in batches]
    plans: dict[int, person_service.Resolution] = {}
    done: Counter[int] = Counter()
    results: dict[int, list[str]] = {}
    for b in order:
        step = done[b]
        done[b] += 1
        if step == 0:
            plans[b] = await person_service.plan(
                parties=parties[b], seen_at=[T0 + timedelta(minutes=b)] * len(parties[b]))
        elif step == 1:
            await plans[b].write_persons()
        elif step == 2:
            await plans[b].write_keys()
        else:
            results[b] = await plans[b].settle()
    return [results[b] for b in range(len(batches))]


def strong(keys: KeyRing, who: Identity) -> str:
    return "id:" + keys.hash(purpose="resident-id", value=who.id_number)


def name_phone(keys: KeyRing, who: Identity) -> str:
    return "np:" + keys.hash(purpose="name-phone", value=f"{who.name}\x00{who.phone}")


# The suite runs the same 150 interleavings every time (derandomized, so CI never meets a new one by chance);
# CONVERGENCE_EXAMPLES=3000 explores afresh (docs/reliability.md).
EXPLORE = os.environ.get("CONVERGENCE_EXAMPLES")


@settings(max_examples=int(EXPLORE or 150), derandomize=not EXPLORE, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(run=runs())
# Found by this test (in a fresh clone): a name-and-phone Person merged into A's was then verified with the
# twin's ID number by a batch that had read it before the merge, and a later move of the merged Person's keys
# took the twin's ID number to A's Person. A verify now skips a merged Person, and a move leaves another ID
# number where it is, for the batch that claimed it.
@example(run=([[(A, "phone")], [(A, "both")], [(TWIN, "both")]], [1, 0, 0, 0, 2, 1, 1, 1, 2, 2, 0, 2]))
@example(run=([[(A, "phone")], [(A, "both")], [(TWIN, "both")]], [1, 0, 0, 0, 2, 1, 1, 1, 0, 2, 2, 2]))
async def test_any_interleaving_of_batches_ends_with_one_person_per_identity(
        database: AsyncDatabase, keys: KeyRing,
        run: tuple[list[list[tuple[Identity, str]]], list[int]]) -> None:
    await database.people.delete_many({})
    await database.person_keys.delete_many({})
    batches, order = run
    results = await run_interleaved(keys, batches, order)

    people = {d["_id"]: d async for d in database.people.find()}
    owners = {d["_id"]: d["person_id"] async for d in database.person_keys.find()}
    root_of = {p: doc["_id"] for p, doc in (await merge.roots(people)).items()}
    roots = {root_of[p] for p in people}

    # Every match key belongs to a Person that stands (no key left on a merged one).
    assert all(person_id in roots for person_id in owners.values()), (owners, people)
    # Each party ends with the Person its strongest key belongs to.
    for named_by, found in zip(batches, results):
        for (who, form), person_id in zip(named_by, found):
            key = strong(keys, who) if form != "phone" else name_phone(keys, who)
            # (a batch that finished before a later one merged its Person holds the merged one's id)
            assert root_of[person_id] == root_of[owners[key]], (who.label, form, batches, order)
    # One standing Person per ID number named, and never one for two ID numbers.
    ids = {who for batch in batches for who, form in batch if form != "phone"}
    for who in ids:
        holders = {p for p in roots if people[p]["identity_key"] == strong(keys, who)}
        assert len(holders) == 1, (who.label, holders, batches, order)
    for person_id, doc in people.items():
        root = people[root_of[person_id]]
        assert merge.compatible(doc, root), (doc, root)
        assert set(doc["match_keys"]) <= set(root["match_keys"])
    # Without the twin: one Person per identity once a party has named it by both ID number and phone (by one
    # alone, the ID number and the phone say nothing of each other).
    named = {who for batch in batches for who, _ in batch}
    if TWIN not in named:
        forms = {who: {form for batch in batches for w, form in batch if w == who} for who in named}
        expected = sum(1 if "both" in f or len(f) == 1 else 2 for f in forms.values())
        assert len(roots) == expected, (roots, batches, order)


async def test_a_merge_moves_records_and_cases_and_is_found_under_either_key(
        district: AsyncDatabase, keys: KeyRing) -> None:
    by_phone = batch("PMC-A", record("m-1", "INTAKE", parties=[{
        "role": "APPLICANT", "kind": "NATURAL", "name": A.name, "phone": A.phone}]))
    by_id = batch("HRSS", record("m-2", "INTAKE", parties=[{
        "role": "APPLICANT", "kind": "NATURAL", "name": A.name, "idNumber": A.id_number}]))
    for payload in (by_phone, by_id):
        outcome = await ingest_service.ingest(batch=payload, keys=keys)
        assert outcome.count(ingest_service.RecordStatus.CREATED) == 1, outcome
    first, second = [await database_person_of(district, source) for source in ("m-1", "m-2")]
    assert first != second  # two Persons: nothing yet says they are one

    winner = await merge.merge(first, second)

    assert winner == second  # the one created by ID number stands
    assert (await district.people.find_one({"_id": first}))["merged_into"] == second
    assert {await database_person_of(district, s) for s in ("m-1", "m-2")} == {second}
    cases = [c async for c in district.cases.find({}, {"party_ids": 1})]
    assert cases and all(c["party_ids"] == [second] for c in cases)
    files = [f async for f in district.case_files.find({}, {"records.parties.person_id": 1})]
    assert {p["person_id"] for f in files for r in f["records"] for p in r["parties"]} == {second}
    found = [await person_service.find_by_keys(match_keys=person_service.lookup_keys(keys=keys, **how))
             for how in ({"name": A.name, "phone": A.phone}, {"id_number": A.id_number})]
    assert [[p.id for p in f] for f in found] == [[second], [second]]
    assert sorted((await district.people.find_one({"_id": second}))["case_ids"]) == sorted(c["_id"] for c in cases)
    assert await merge.merge(first, second) == second  # again: nothing changes


async def database_person_of(database: AsyncDatabase, source_id: str) -> str:
    doc = await database.records.find_one({"source_id": source_id}, {"parties.person_id": 1})
    return doc["parties"][0]["person_id"]
