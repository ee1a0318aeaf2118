"""Ingestion service: validation, idempotency, identity linking, case attachment."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from hub.cases.models import Case, CaseStatus
from hub.errors import BadUserInput
from hub.ingest import service as ingest_service
from hub.ingest.service import RecordStatus
from hub.keys.ring import KeyRing
from hub.people.models import Person
from hub.records.models import Record
from tests.factories import T0, VILLAGE_B1, batch, days, party, record, resident_id

pytestmark = pytest.mark.usefixtures("district")


async def ingest(keys: KeyRing, payload: dict[str, Any]) -> ingest_service.IngestOutcome:
    return await ingest_service.ingest(batch=payload, keys=keys)


async def test_new_record_opens_a_case(keys: KeyRing) -> None:
    outcome = await ingest(keys, batch("PMC-A", record("r1", "SCREENING", parties=[party()])))

    [result] = outcome.results
    assert result.status is RecordStatus.CREATED, result.errors
    case = await Case.get(result.case_id)
    assert case is not None
    assert case.case_no == result.case_no and case.case_no.startswith("JF2026")
    assert case.township_code == "510199001"
    assert case.region_path == ["510199", "510199001", "510199001001"]
    assert case.record_count == 1 and case.channels == ["PEOPLES"]
    assert case.status is CaseStatus.SCREENED


async def test_reingesting_a_batch_changes_nothing(keys: KeyRing, database: AsyncDatabase) -> None:
    payload = batch(
        "PMC-A",
        record("r1", "SCREENING", parties=[party(idNumber=resident_id(seq=1))]),
        record("r2", "INTAKE", at=T0 + days(1), caseRef={"sourceId": "r1"}, parties=[party(idNumber=resident_id(seq=1))]),
    )
    first = await ingest(keys, payload)
    before = {name: await database[name].count_documents({}) for name in ("cases", "records", "people")}
    case_before = await database.cases.find_one({})

    second = await ingest(keys, payload)

    assert [r.status for r in first.results] == [RecordStatus.CREATED] * 2
    assert [r.status for r in second.results] == [RecordStatus.UNCHANGED] * 2
    assert [r.case_no for r in second.results] == [r.case_no for r in first.results]
    after = {name: await database[name].count_documents({}) for name in ("cases", "records", "people")}
    assert after == before == {"cases": 1, "records": 2, "people": 1}
    assert await database.cases.find_one({}) == case_before


async def test_newer_source_revision_updates_the_record(keys: KeyRing) -> None:
    await ingest(keys, batch("PMC-A", record("r1", "MEDIATION_SESSION")))
    newer = record("r1", "MEDIATION_SESSION", sourceRevision=2,
                   details={"mediators": ["李调解"], "outcome": "FAILED"}, summary="调解不成功")

    [result] = (await ingest(keys, batch("PMC-A", newer))).results

    assert result.status is RecordStatus.UPDATED
    stored = await Record.find_one({"source_id": "r1"}, with_children=True)
    assert stored is not None and stored.summary == "调解不成功" and stored.source_revision == 2
    case = await Case.get(result.case_id)
    assert case is not None and case.status is CaseStatus.FAILED
    older = record("r1", "MEDIATION_SESSION", sourceRevision=1)
    assert (await ingest(keys, batch("PMC-A", older))).results[0].status is RecordStatus.UNCHANGED


async def test_one_person_across_two_agencies_is_one_person(keys: KeyRing) -> None:
    id_number = resident_id(seq=7)
    await ingest(keys, batch("PMC-A", record("a1", parties=[party("王五", idNumber=id_number, phone="13800138000")])))
    # The court's system writes the ID with full-width digits and no phone.
    full_width = id_number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    await ingest(keys, batch("COURT", record("c1", parties=[party("王五", idNumber=full_width)]), system="COURT-SYS"))
    # The petition bureau knows only name and phone.
    await ingest(keys, batch("PB", record("p1", "PETITION", parties=[party("王五", role="PETITIONER", phone="138 0013 8000")])))

    people = await Person.find_all().to_list()
    assert len(people) == 1
    assert people[0].verified and people[0].id_masked == id_number[:3] + "*" * 11 + id_number[-4:]
    assert id_number not in str(people[0].model_dump())


async def test_name_and_phone_person_is_upgraded_when_an_id_arrives(keys: KeyRing) -> None:
    await ingest(keys, batch("PB", record("p1", "PETITION", parties=[party("赵六", phone="13900001111")])))
    await ingest(keys, batch("PMC-A", record("a1", parties=[party("赵六", idNumber=resident_id(seq=9), phone="13900001111")])))
    await ingest(keys, batch("COURT", record("c1", parties=[party("赵六", idNumber=resident_id(seq=9))])))

    people = await Person.find_all().to_list()
    assert len(people) == 1 and people[0].verified and people[0].identity_key.startswith("id:")


async def test_party_without_keys_is_an_unverified_new_person(keys: KeyRing) -> None:
    await ingest(keys, batch("PMC-A", record("a1", parties=[party("无名氏")])))
    await ingest(keys, batch("PMC-A", record("a2", parties=[party("无名氏")])))

    people = await Person.find_all().to_list()
    assert len(people) == 2 and not any(p.verified for p in people)


async def test_three_agencies_records_about_one_dispute_land_on_one_case(keys: KeyRing) -> None:
    worker = party("孙七", idNumber=resident_id(seq=11))
    employer = party("清河建筑公司", role="RESPONDENT", kind="ORGANISATION", creditCode="91510199MA0000001" + "X")
    employer["creditCode"] = employer["creditCode"][:17]
    from hub.people.identity import credit_code_check_char

    employer["creditCode"] += credit_code_check_char(employer["creditCode"])
    # 1. People's mediation screens it and opens the case.
    await ingest(keys, batch("PMC-A", record("s1", "SCREENING", parties=[worker, employer])))
    # 2. The labour department refers to the committee's record.
    await ingest(keys, batch("HRSS", record("h1", "MEDIATION_SESSION", at=T0 + days(5),
                                                caseRef={"sourceSystem": "PMC-A-SYS", "sourceId": "s1"},
                                                parties=[worker, employer])))
    # 3. The court sends its own record with no link at all: matched by parties, category, township.
    outcome = await ingest(keys, batch("COURT", record("j1", "JUDICIAL_CONFIRMATION", at=T0 + days(20),
                                                         parties=[worker, employer])))

    assert outcome.results[0].status is RecordStatus.CREATED
    cases = await Case.find_all().to_list()
    assert len(cases) == 1
    assert sorted(cases[0].channels) == ["ADMINISTRATIVE", "JUDICIAL", "PEOPLES"]
    assert sorted(cases[0].agencies) == ["COURT", "HRSS", "PMC-A"]
    assert cases[0].record_count == 3 and cases[0].status is CaseStatus.RESOLVED


async def test_same_parties_in_another_township_open_another_case(keys: KeyRing) -> None:
    worker = party("孙七", idNumber=resident_id(seq=12))
    await ingest(keys, batch("PMC-A", record("s1", parties=[worker])))
    other = {"title": "拖欠工资纠纷", "category": "LABOUR", "regionCode": VILLAGE_B1}
    await ingest(keys, batch("PMC-B", record("s2", parties=[worker], case=other)))
    late = record("s3", at=T0 + days(200), parties=[worker])
    await ingest(keys, batch("PMC-A", late))

    assert await Case.count() == 3


async def test_bad_records_are_reported_by_index_and_good_ones_land(keys: KeyRing) -> None:
    bad_id = resident_id(seq=3)[:-1] + ("0" if resident_id(seq=3)[-1] != "0" else "1")
    payload = batch(
        "PMC-A",
        record("ok1"),
        record("bad1", parties=[party(idNumber=bad_id)]),
        record("ok2", caseRef={"sourceId": "ok1"}),
        record("bad2", "PETITION", details={"levelReached": "MARS"}),
        {"kind": "NOT_A_KIND", "sourceId": "bad3"},
        record("bad4", caseNo="JF2026999999"),
    )

    outcome = await ingest(keys, payload)

    statuses = [r.status for r in outcome.results]
    assert statuses == [RecordStatus.CREATED, RecordStatus.REJECTED, RecordStatus.CREATED,
                        RecordStatus.REJECTED, RecordStatus.REJECTED, RecordStatus.REJECTED]
    errors = {r.index: [(e.path, e.code) for e in r.errors] for r in outcome.results if r.errors}
    assert errors[1] == [("parties[0].idNumber", "INVALID_ID_NUMBER_CHECK_DIGIT")]
    assert errors[3] == [("details.levelReached", "INVALID_ENUM")]
    assert errors[4] == [("kind", "INVALID_KIND")]
    assert errors[5] == [("caseNo", "CASE_NOT_FOUND")]
    assert bad_id not in repr(outcome)
    assert await Record.find_all(with_children=True).count() == 2


@pytest.mark.parametrize(
    ("change", "path", "code"),
    [
        ({"occurredAt": "2099-01-01T00:00:00+08:00"}, "occurredAt", "TIMESTAMP_IN_FUTURE"),
        ({"occurredAt": "yesterday"}, "occurredAt", "INVALID_DATETIME_FROM_DATE_PARSING"),
        ({"summary": ""}, "summary", "INVALID_STRING_TOO_SHORT"),
        ({"parties": [party(phone="12345")]}, "parties[0].phone", "INVALID_PHONE"),
        ({"parties": [party(idNumber="51019919851332001X")]}, "parties[0].idNumber", "INVALID_ID_NUMBER_BIRTH_DATE"),
        ({"parties": [party(kind="ORGANISATION", creditCode="91510199MA0000001I")]}, "parties[0].creditCode", "INVALID_CREDIT_CODE_FORMAT"),
        ({"parties": [party(kind="ORGANISATION", creditCode="91510199MA00000011")]}, "parties[0].creditCode", "INVALID_CREDIT_CODE_CHECK_CHAR"),
        ({"case": {"title": "x", "category": "LABOUR", "regionCode": "999"}}, "case.regionCode", "REGION_NOT_FOUND"),
        ({"case": {"title": "x", "category": "SPORTS", "regionCode": "510199001001"}}, "case.category", "INVALID_ENUM"),
        ({"details": {"toAgency": "NOPE"}, "kind": "HANDOVER"}, "details.toAgency", "AGENCY_NOT_FOUND"),
        ({"details": {}, "kind": "STABILITY_PLAN"}, "details.responsibleUnit", "INVALID_MISSING"),
        ({"caseRef": {"sourceId": "never-sent"}, "case": None}, "caseRef", "CASE_REF_NOT_FOUND"),
        ({"case": None}, "", "CASE_LINK_REQUIRED"),
        ({"colour": "red"}, "colour", "INVALID_EXTRA_FORBIDDEN"),
    ],
)
async def test_each_validation_rule_rejects_a_bad_example(
    keys: KeyRing, change: dict[str, Any], path: str, code: str
) -> None:
    bad = {**record("x1"), **change}
    bad = {k: v for k, v in bad.items() if v is not None}

    [result] = (await ingest(keys, batch("PMC-A", bad))).results

    assert result.status is RecordStatus.REJECTED
    assert (path, code) in [(e.path, e.code) for e in result.errors], result.errors
    assert await Record.find_all(with_children=True).count() == 0


async def test_batch_over_the_limit_is_refused_whole(keys: KeyRing) -> None:
    with pytest.raises(BadUserInput, match="at most 1000"):
        await ingest(keys, batch("PMC-A", *[record(f"r{i}") for i in range(1001)]))


async def test_unknown_agency_is_refused(keys: KeyRing) -> None:
    with pytest.raises(BadUserInput, match="unknown agency"):
        await ingest(keys, batch("NOPE", record("r1")))
