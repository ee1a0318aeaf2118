"""Mediators: appointment (选聘), training records, case loads, filters and the township training summary."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from hub.cases.models import OPEN_STATUSES, Case, CaseFile
from hub.mediators import service as mediator_service
from hub.mediators.models import Mediator, MediatorKind
from hub.keys.ring import KeyRing
from seeds import loader
from tests.conftest import CommandLog, TokenFor, act_as
from tests.factories import TOWNSHIP_A, VILLAGE_A1

APPOINT = """mutation($input: AppointMediatorInput!) { appointMediator(input: $input) {
  code appointment { appointedOn termEnd status agency { code } } } }"""
TRAIN = """mutation($input: RecordMediatorTrainingInput!) { recordMediatorTraining(input: $input) {
  code trainings trainingHours trainingRecords { course hours on kind provider { code } } } }"""
MEDIATORS = """query($status: AppointmentStatus, $kind: MediatorKind, $since: Date) {
  mediators(status: $status, kind: $kind, trainedSince: $since) { code } }"""
SUMMARY = """query($region: String!) { mediatorTrainingSummary(region: $region, from: "2026-01-01", to: "2026-12-31") {
  regionCode mediators trainedMediators totalHours } }"""
ROSTER = """{ mediators { code expert currentCaseLoad } }"""


async def post(http: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    return (await http.post("/graphql", json={"query": query, "variables": variables})).json()


def error_of(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("errors"), body
    return body["errors"][0]["extensions"]


@pytest.fixture
async def village_mediator(district: AsyncDatabase) -> str:
    """A mediator of 柳林镇's committee, working in 桃源村, with one registered course."""
    await mediator_service.upsert_many(mediators=[
        Mediator(code="M-1", name="王调解", agency_code="PMC-A", region_code=VILLAGE_A1, kind=MediatorKind.FULL_TIME,
                 trainings=["人民调解员岗前培训"]),
        Mediator(code="M-2", name="李网格", agency_code="PMC-A", region_code=TOWNSHIP_A, kind=MediatorKind.GRID_WORKER),
    ])
    return "M-1"


def appointment(**extra: Any) -> dict[str, Any]:
    return {"mediator": "M-1", "agency": "JB", "appointedOn": "2026-01-01", "termYears": 3, **extra}


@pytest.mark.parametrize("agency", ["JB", "CC", "CC-A"])
async def test_the_justice_bureau_and_centres_over_the_region_appoint(
    http: httpx.AsyncClient, token_for: TokenFor, village_mediator: str, agency: str
) -> None:
    # given a mediator in 桃源村, when the justice bureau or a centre over it appoints them
    act_as(http, token_for(agency))
    body = await post(http, APPOINT, input=appointment(agency=agency))
    # then the appointment is stored with its term
    assert body["data"]["appointMediator"]["appointment"] == {
        "appointedOn": "2026-01-01", "termEnd": "2029-01-01", "status": "APPOINTED", "agency": {"code": agency}}


@pytest.mark.parametrize("agency", ["CC-B", "COURT", "PMC-A"])
async def test_others_may_not_appoint(
    http: httpx.AsyncClient, token_for: TokenFor, village_mediator: str, agency: str
) -> None:
    # given another township's centre, the court, or the mediator's own committee
    act_as(http, token_for(agency))
    # when it appoints, then FORBIDDEN and nothing is stored
    assert error_of(await post(http, APPOINT, input=appointment()))["code"] == "FORBIDDEN"
    assert (await mediator_service.get_many_by_code(codes=["M-1"]))["M-1"].appointment is None


@pytest.mark.parametrize(("change", "field"), [
    ({"termYears": None, "termEnd": "2025-12-31"}, "termEnd"),
    ({"agency": "NOPE"}, "agency"),
    ({"mediator": "NOPE"}, "mediator"),
    ({"status": "EXPIRED"}, "status"),
])
async def test_bad_appointments_name_the_field(
    http: httpx.AsyncClient, village_mediator: str, change: dict[str, Any], field: str
) -> None:
    # given a term ending before the appointment, an unknown agency or mediator, or a stored EXPIRED
    body = await post(http, APPOINT, input=appointment(**change))
    # then BAD_USER_INPUT names the field
    assert error_of(body) == {"code": "BAD_USER_INPUT", "field": field} | {
        k: v for k, v in error_of(body).items() if k not in ("code", "field")}


async def test_a_term_that_ended_is_expired_and_filtered(http: httpx.AsyncClient, village_mediator: str) -> None:
    # given an appointment whose term ended, and a dismissal
    await post(http, APPOINT, input=appointment(appointedOn="2020-03-01", termYears=2))
    await post(http, APPOINT, input=appointment(mediator="M-2", status="DISMISSED"))
    # when mediators are listed by status
    expired = (await post(http, MEDIATORS, status="EXPIRED"))["data"]["mediators"]
    appointed = (await post(http, MEDIATORS, status="APPOINTED"))["data"]["mediators"]
    dismissed = (await post(http, MEDIATORS, status="DISMISSED", kind="GRID_WORKER"))["data"]["mediators"]
    # then the ended term reads EXPIRED
    assert (expired, appointed, dismissed) == ([{"code": "M-1"}], [], [{"code": "M-2"}])


TRAINING = {"mediator": "M-1", "course": "调解技巧", "hours": 8, "on": "2026-05-10", "provider": "JB"}


@pytest.mark.parametrize("agency", ["PMC-A", "JB", "CC-A"])
async def test_the_own_agency_and_appointers_record_training(
    http: httpx.AsyncClient, token_for: TokenFor, village_mediator: str, agency: str
) -> None:
    # given the mediator's committee, the justice bureau or the township centre
    act_as(http, token_for(agency))
    # when it records a course and the court's guidance
    await post(http, TRAIN, input=TRAINING)
    body = await post(http, TRAIN, input={**TRAINING, "course": "诉前调解对口指导", "hours": 2.5, "on": "2026-06-01", "provider": "COURT",
                                          "kind": "GUIDANCE"})
    # then both count, and `trainings` keeps the registered course
    got = body["data"]["recordMediatorTraining"]
    assert got["trainingHours"] == 10.5
    assert got["trainings"] == sorted(["人民调解员岗前培训", "调解技巧", "诉前调解对口指导"])
    assert [(r["kind"], r["provider"]["code"]) for r in got["trainingRecords"]] == [("COURSE", "JB"), ("GUIDANCE", "COURT")]


@pytest.mark.parametrize("agency", ["HRSS", "CC-B"])
async def test_others_may_not_record_training(
    http: httpx.AsyncClient, token_for: TokenFor, village_mediator: str, agency: str
) -> None:
    act_as(http, token_for(agency))
    assert error_of(await post(http, TRAIN, input=TRAINING))["code"] == "FORBIDDEN"


@pytest.mark.parametrize(("change", "field"), [({"hours": 0}, "hours"), ({"provider": "NOPE"}, "provider")])
async def test_bad_training_names_the_field(
    http: httpx.AsyncClient, village_mediator: str, change: dict[str, Any], field: str
) -> None:
    assert error_of(await post(http, TRAIN, input={**TRAINING, **change}))["field"] == field


async def test_the_same_course_on_the_same_day_is_recorded_once(http: httpx.AsyncClient, village_mediator: str) -> None:
    await post(http, TRAIN, input=TRAINING)
    body = await post(http, TRAIN, input={**TRAINING, "hours": 6})
    assert body["data"]["recordMediatorTraining"]["trainingHours"] == 6
    since = (await post(http, MEDIATORS, since="2026-05-10"))["data"]["mediators"]
    later = (await post(http, MEDIATORS, since="2026-05-11"))["data"]["mediators"]
    assert (since, later) == ([{"code": "M-1"}], [])


async def test_the_training_summary_is_per_township(
    http: httpx.AsyncClient, token_for: TokenFor, village_mediator: str
) -> None:
    await post(http, TRAIN, input=TRAINING)
    rows = (await post(http, SUMMARY, region="510199"))["data"]["mediatorTrainingSummary"]
    assert rows == [
        {"regionCode": TOWNSHIP_A, "mediators": 2, "trainedMediators": 1, "totalHours": 8.0},
        {"regionCode": "510199002", "mediators": 0, "trainedMediators": 0, "totalHours": 0.0},
    ]
    act_as(http, token_for("JB"))
    assert error_of(await post(http, SUMMARY, region="510199"))["code"] == "FORBIDDEN"


async def test_seeded_case_loads_count_open_cases_in_one_aggregation(
    http: httpx.AsyncClient, token_for: TokenFor, keys: KeyRing, command_log: CommandLog
) -> None:
    # given the demo district seeded (appointments and training included)
    await loader.load(keys=keys, scale=30)
    act_as(http, token_for("QH-CC"))
    # when the roster (the expert pool included) is read with case loads
    command_log.recording = True
    pool = (await post(http, ROSTER))["data"]["mediators"]
    command_log.recording = False
    # then one aggregation counts them all, and each count is the open cases naming the mediator
    assert sum(m["expert"] for m in pool) == 20 and command_log.names.count("aggregate") == 1
    experts = await mediator_service.get_many_by_code(codes=[m["code"] for m in pool])
    open_ids = {c.id for c in await Case.find({"status": {"$in": [s.value for s in OPEN_STATUSES]}}).to_list()}
    expected = {}
    files = await CaseFile.find({"_id": {"$in": list(open_ids)}}).to_list()
    for m in experts.values():
        expected[m.code] = sum(1 for f in files if any(
            r.get("kind") == "MEDIATION_SESSION" and r.get("agency_code") == m.agency_code
            and m.name in (r.get("details") or {}).get("mediators", []) for r in f.records))
    assert {m["code"]: m["currentCaseLoad"] for m in pool} == expected
    assert sum(expected.values()) > 0
    assert all(m.appointment is not None and m.training_records for m in experts.values())
