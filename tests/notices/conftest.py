"""A March in the test district for supervision notices: cases in both townships, a pending handover,
mediators' training, and helpers to clear campaign enrolments and to talk GraphQL."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timezone
from typing import Any

import httpx
import pytest
from beanie import PydanticObjectId
from pymongo.asynchronous.database import AsyncDatabase

from hub.campaigns.models import BacklogKind, Clearance, ClearanceOutcome, Enrolment
from hub.cases.models import Case, Category
from hub.mediators import service as mediator_service
from hub.mediators.models import Mediator, MediatorKind, TrainingRecord
from tests import graphql
from tests.factories import DISTRICT, T0, TOWNSHIP_A, VILLAGE_A1, VILLAGE_B1, batch, days, record
from tests.scenarios import ingest

MARCH = "2026-03"
_serial = itertools.count(1)

DRAFT = """mutation($input: DraftSupervisionNoticeInput!) { draftSupervisionNotice(input: $input) { ...N } }"""
REFRESH = """mutation($id: ID!) { refreshSupervisionNotice(id: $id) { ...N } }"""
COMMENT = """mutation($id: ID!, $unit: String!, $comment: String!) {
  commentOnNoticeUnit(id: $id, unitCode: $unit, comment: $comment) { ...N } }"""
PUBLISH = """mutation($id: ID!) { publishSupervisionNotice(id: $id) { ...N } }"""
ONE = """query($id: ID!) { supervisionNotice(id: $id) { ...N } }"""
LIST = """query($region: String, $status: NoticeStatus) {
  supervisionNotices(region: $region, status: $status) { id status title } }"""
FRAGMENT = """fragment N on SupervisionNotice {
  id title status periodFrom periodTo rankAgencies overdueHandoverDays asOf publishedAt reportUrl excelUrl
  region { code } createdBy { code } publishedBy { code }
  indicators { indicator label weight higherIsBetter }
  townships { ...U } agencies { ...U } }
fragment U on NoticeUnit { kind code name rank score comment values { indicator value score } }"""


def _document(query: str) -> str:
    return query + ("\n" + FRAGMENT if "...N" in query else "")


async def post(http: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    return await graphql.post(http, _document(query), **variables)


async def gql(http: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    return await graphql.gql(http, _document(query), **variables)


async def error(http: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    """The first error's extensions (code, field, reason) and message."""
    return await graphql.first_error(http, _document(query), **variables)


def unit(notice: dict[str, Any], code: str) -> dict[str, Any]:
    """One ranked unit of a notice (a township or an agency), with its values keyed by indicator."""
    found = next(u for u in notice["townships"] + notice["agencies"] if u["code"] == code)
    return {**found, "by": {v["indicator"]: v["value"] for v in found["values"]}}


async def clear_enrolment(*, township: str, unit_code: str, at: datetime) -> Enrolment:
    """A campaign enrolment of a case, cleared at `at` (inserted as the campaign service stores it)."""
    n = next(_serial)
    region = VILLAGE_A1 if township == TOWNSHIP_A else VILLAGE_B1
    enrolment = Enrolment(
        campaign_id=PydanticObjectId(), case_id=PydanticObjectId(), case_no=f"JF2026{900000 + n}",
        category=Category.LABOUR, region_code=region, region_path=[DISTRICT, township, region], township_code=township,
        kind=BacklogKind.ACCUMULATED, enrolled_by="CC", enrolled_by_user="测试员", enrolled_at=at, unit_code=unit_code,
        deadline=date(2026, 4, 30), cleared=True,
        clearance=Clearance(outcome=ClearanceOutcome.RESOLVED, note="已化解", by=unit_code, by_user="测试员", at=at),
    )
    await enrolment.insert()
    return enrolment


async def resolved_case_in_b(source: str, *, resolved_after: float = 2) -> None:
    """Another case in township B opened in March and settled `resolved_after` days later."""
    village = {"case": {"title": "邻里纠纷", "category": "NEIGHBOUR", "regionCode": VILLAGE_B1}}
    await ingest(batch("PMC-B", record(f"{source}-1", "INTAKE", at=T0 + days(12), **village),
                       record(f"{source}-2", "AGREEMENT", at=T0 + days(12 + resolved_after),
                              caseRef={"sourceSystem": "PMC-B-SYS", "sourceId": f"{source}-1"})))


@pytest.fixture
async def march(district: AsyncDatabase) -> AsyncDatabase:
    """March 2026: township A screened and settled a case in 4 days and left a handover to HRSS pending;
    township B settled one in 10 days and failed one. A's mediator trained 8 hours, B's 2 (and 10 in April)."""
    a1 = {"sourceSystem": "PMC-A-SYS", "sourceId": "a1-1"}
    b1 = {"sourceSystem": "PMC-B-SYS", "sourceId": "b1-1"}
    b2 = {"sourceSystem": "PMC-B-SYS", "sourceId": "b2-1"}
    in_b = {"case": {"title": "物业纠纷", "category": "PROPERTY_MANAGEMENT", "regionCode": VILLAGE_B1}}
    await ingest(
        batch("PMC-A",
              record("a1-1", "SCREENING", at=T0),
              record("a1-2", "INTAKE", at=T0 + days(0.1), caseRef=a1),
              record("a1-3", "AGREEMENT", at=T0 + days(4), caseRef=a1),
              record("a2-1", "INTAKE", at=T0 + days(1), case={"title": "土地纠纷", "category": "LAND_ACQUISITION",
                                                                 "regionCode": VILLAGE_A1}),
              record("a2-2", "HANDOVER", at=T0 + days(2), caseRef={"sourceSystem": "PMC-A-SYS", "sourceId": "a2-1"},
                     details={"toAgency": "HRSS"})),
        batch("PMC-B",
              record("b1-1", "INTAKE", at=T0, **in_b),
              record("b1-2", "AGREEMENT", at=T0 + days(10), caseRef=b1),
              record("b2-1", "INTAKE", at=T0 + days(5), **in_b),
              record("b2-2", "MEDIATION_SESSION", at=T0 + days(6), caseRef=b2,
                     details={"mediators": ["王调解"], "outcome": "FAILED"})),
    )
    assert await Case.find_all().count() == 4
    await mediator_service.upsert_many(mediators=[
        Mediator(code="M-A", name="李调解", agency_code="PMC-A", region_code=VILLAGE_A1, kind=MediatorKind.FULL_TIME,
                 training_records=[TrainingRecord(course="人民调解实务", hours=8, on=date(2026, 3, 10),
                                                  provider_code="JB")]),
        Mediator(code="M-B", name="王调解", agency_code="PMC-B", region_code=VILLAGE_B1, kind=MediatorKind.FULL_TIME,
                 training_records=[TrainingRecord(course="人民调解实务", hours=2, on=date(2026, 3, 31), provider_code="JB"),
                                   TrainingRecord(course="法律知识", hours=10, on=date(2026, 4, 1), provider_code="JB")]),
    ])
    return district


MARCH_CLEARED_AT = datetime(2026, 3, 20, 8, 0, tzinfo=timezone.utc)
