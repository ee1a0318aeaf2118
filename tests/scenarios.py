"""Scenarios: multi-agency dispute histories built through the ingestion service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from hub.ingest import service as ingest_service
from hub.keys.ring import KeyRing
from tests.factories import T0, batch, days, load_reference_data, party, record, resident_id

KEYS = KeyRing("test-secret-key-not-for-production-use")


@dataclass(frozen=True)
class EscalatedPetition:
    """A wage dispute that went through three mediation channels before an escalated petition."""

    case_no: str
    petitioner_id: str
    petitioner_phone: str
    employer_code: str


async def ingest(*batches: dict[str, Any]) -> list[ingest_service.IngestOutcome]:
    """Ingest batches in order; fail the test on any rejected record."""
    outcomes = []
    for payload in batches:
        outcome = await ingest_service.ingest(batch=payload, keys=KEYS)
        rejected = [r for r in outcome.results if r.errors]
        assert not rejected, rejected
        outcomes.append(outcome)
    return outcomes


def employer_credit_code() -> str:
    from hub.people.identity import credit_code_check_char

    body = "91510199MA0000077"
    return body + credit_code_check_char(body)


@pytest.fixture
async def escalated_petition(database: AsyncDatabase) -> EscalatedPetition:
    """People's → administrative → judicial mediation, then an escalated petition and stability work."""
    await load_reference_data()
    worker_id, phone, employer = resident_id(seq=501), "13912345678", employer_credit_code()
    worker = party("周八", idNumber=worker_id, phone=phone)
    boss = party("清河建筑公司", role="RESPONDENT", kind="ORGANISATION", creditCode=employer)
    ref = {"caseRef": {"sourceSystem": "PMC-A-SYS", "sourceId": "pmc-1"}}
    [first] = await ingest(batch("PMC-A",
        record("pmc-1", "SCREENING", parties=[worker, boss], details={"screeningMode": "ROLLING", "foundBy": "网格员"},
               case={"title": "周八等拖欠工资纠纷", "category": "LABOUR", "regionCode": "510199001001"}),
        record("pmc-2", "INTAKE", at=T0 + days(1), parties=[worker, boss], **ref),
        record("pmc-3", "MEDIATION_SESSION", at=T0 + days(3), parties=[worker, boss],
               details={"mediators": ["李调解"], "outcome": "FAILED"}, **ref),
        record("pmc-4", "HANDOVER", at=T0 + days(4), parties=[worker, boss],
               details={"toAgency": "HRSS", "accepted": True}, **ref),
    ))
    await ingest(
        batch("HRSS", record("h-1", "INTAKE", at=T0 + days(5), parties=[worker, boss], **ref),
              record("h-2", "MEDIATION_SESSION", at=T0 + days(9), parties=[worker, boss],
                     details={"mediators": ["人社局调解员"], "outcome": "FAILED"}, **ref),
              record("h-3", "REFERRAL", at=T0 + days(10), parties=[worker, boss],
                     details={"target": "LITIGATION", "body": "清河区人民法院"}, **ref)),
        batch("COURT", record("c-1", "MEDIATION_SESSION", at=T0 + days(30), parties=[worker, boss], channel="JUDICIAL",
                              details={"mediators": ["法官"], "outcome": "FAILED"}, **ref)),
        batch("PB", record("pb-1", "PETITION", at=T0 + days(40),
                           parties=[party("周八", role="PETITIONER", phone=phone)],
                           details={"levelReached": "PROVINCE", "escalated": True, "participants": 12}, **ref)),
        batch("SO", record("so-1", "STABILITY_ASSESSMENT", at=T0 + days(41), visibility="RESTRICTED",
                           details={"riskLevel": "MAJOR", "factors": ["群体性"]}, **ref),
              record("so-2", "STABILITY_PLAN", at=T0 + days(42), visibility="RESTRICTED",
                     details={"responsibleUnit": "柳林镇政府", "responsiblePerson": "王镇长",
                              "measures": ["包案化解", "每周走访"], "reviewDate": "2026-05-01"}, **ref)),
    )
    return EscalatedPetition(case_no=first.results[0].case_no or "", petitioner_id=worker_id,
                             petitioner_phone=phone, employer_code=employer)
