"""The three events no single record causes: a meeting's decision (written by `recordDecision`), and what the
watch finds each round — warnings newly raised, deadlines drawing near — under its lease."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from hub.cases.derive import district_day
from hub.config import Settings
from hub.notifications import watch
from hub.notifications.models import OutboxEvent, RaisedWarning
from schema.relay import to_global_id
from tests.conftest import TokenFor, act_as
from tests.factories import DISTRICT, T0, TOWNSHIP_A, VILLAGE_B1, batch, days, party, record
from tests.graphql import gql
from tests.scenarios import ingest

SCHEDULE = """mutation($input: ScheduleMeetingInput!) { scheduleJointMeeting(input: $input) { id title } }"""
AGENDA = """mutation($id: ID!, $cases: [ID!]!) { addToAgenda(meetingId: $id, caseIds: $cases) { agenda { caseNo } } }"""
DECIDE = """mutation($input: RecordDecisionInput!) { recordDecision(input: $input) { decision { key } } }"""
COMPLETE = """mutation($id: ID!, $key: String!) { completeDecision(meetingId: $id, key: $key) { decision { status } } }"""
CASE_ID = """query($no: String!) { case(caseNo: $no) { id } }"""
HAND_OVER = """mutation($input: HandOverInput!) { handOverCase(input: $input) { id record { id } } }"""
CREATE_CAMPAIGN = """mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }"""
ENROL = """mutation($id: ID!, $cases: [EnrolCaseInput!]!) { enrolCampaignCases(campaignId: $id, cases: $cases) {
  results { enrolment { id } } } }"""
ASSIGN = """mutation($id: ID!, $input: AssignResponsibilityInput!) { assignCampaignResponsibility(id: $id, input: $input) {
  id } }"""
WARNINGS = """query($region: ID!, $asOf: DateTime) { earlyWarnings(region: $region, asOf: $asOf, rules: [STALLED]) {
  caseNo } }"""

# Only STALLED among the rules that look at a plain case's age: backlog and campaign rules kept quiet.
QUIET = {"backlog_days": 100_000, "stalled_days": 30}


@pytest.fixture
def watching(settings: Settings, district: AsyncDatabase) -> Settings:
    """The test district, and the test's settings with no interval between rounds (each test calls
    `watch.scan` itself)."""
    return settings.model_copy(update={"watch_poll_seconds": 0.0,
                                       "warnings": settings.warnings.model_copy(update=QUIET)})


async def events(kind: str) -> list[OutboxEvent]:
    return await OutboxEvent.find({"kind": kind}).sort("seq").to_list()


async def a_case(source: str, *, at: datetime = T0, region: str | None = None, **extra: Any) -> str:
    """A case PMC-A opened (and leads), in village A1 unless told otherwise."""
    case = {"case": {"title": "拖欠工资纠纷", "category": "LABOUR", "regionCode": region}} if region else {}
    [outcome] = await ingest(batch("PMC-A", record(source, "INTAKE", at=at, **case, **extra)))
    return outcome.results[0].case_no or ""


# --- DECISION_ASSIGNED ----------------------------------------------------------------------------


async def test_a_decision_is_an_event_for_its_owner_only(http: httpx.AsyncClient, token_for: TokenFor) -> None:
    case_no = await a_case("d-1")
    case_id = (await gql(http, CASE_ID, no=case_no))["case"]["id"]
    meeting = (await gql(http, SCHEDULE, input={"level": "DISTRICT", "region": DISTRICT, "heldOn": "2026-04-15",
                                                "convener": "CC", "participants": ["HRSS", "PB"]}))["scheduleJointMeeting"]
    await gql(http, AGENDA, id=meeting["id"], cases=[case_id])
    await gql(http, DECIDE, input={"meetingId": meeting["id"], "text": "人社局牵头督促支付欠薪", "ownerAgency": "HRSS",
                                   "dueDate": "2026-04-30", "caseId": case_id})
    await gql(http, DECIDE, input={"meetingId": meeting["id"], "text": "信访局做好接访", "ownerAgency": "PB",
                                   "dueDate": "2026-05-10"})
    first, second = await events("DECISION_ASSIGNED")
    meeting_raw = first.id.split(":")[1]  # type: ignore[union-attr]
    assert (first.id, first.agencies, first.case_no, first.region_path) == (
        f"decision:{meeting_raw}:D1", ["HRSS"], case_no, [DISTRICT])
    assert first.payload == {"decision": {
        "meetingId": meeting["id"], "meetingTitle": meeting["title"], "heldOn": "2026-04-15", "key": "D1",
        "text": "人社局牵头督促支付欠薪", "dueDate": "2026-04-30", "ownerAgency": "HRSS"}}
    assert (second.id, second.agencies, second.case_id, second.case_no) == (
        f"decision:{meeting_raw}:D2", ["PB"], None, None)


# --- WARNING_RAISED -------------------------------------------------------------------------------


async def test_a_new_warning_is_told_once_to_the_centres_above_and_the_agency_to_act(
    http: httpx.AsyncClient, token_for: TokenFor, watching: Settings
) -> None:
    old = await a_case("w-old", at=T0 - days(60))  # stalled already before the watch's first round
    fresh = await a_case("w-new")
    elsewhere = await a_case("w-b", at=T0 - days(60), region=VILLAGE_B1)

    baseline = await watch.scan(settings=watching, now=T0 + days(1))
    assert (baseline.scanned, baseline.baselined, baseline.raised, baseline.events) == (True, 1, 2, 0)
    assert await events("WARNING_RAISED") == []  # the backlog of a new deployment is recorded, not told

    raised = await watch.scan(settings=watching, now=T0 + days(40))
    assert (raised.baselined, raised.raised, raised.events) == (0, 1, 1)
    [event] = await events("WARNING_RAISED")
    assert event.id == f"warning:STALLED:{fresh}:{int((T0 + days(40)).timestamp())}"
    assert event.agencies == ["CC", "CC-A", "PMC-A"]  # not CC-B (township B), nor HRSS, SO …
    assert event.case_no == fresh and event.payload == {"warning": {
        "rule": "STALLED", "ruleLabel": "久拖未决", "severity": "MEDIUM", "reason": "已40天无新的办理记录",
        "agency": "PMC-A"}}
    act_as(http, token_for("CC-A"))  # who is told can read it: earlyWarnings as the township centre
    assert fresh in {w["caseNo"] for w in (await gql(
        http, WARNINGS, region=TOWNSHIP_A, asOf=(T0 + days(40)).isoformat()))["earlyWarnings"]}
    assert {old, elsewhere} <= {d.case_no for d in await RaisedWarning.find({}).to_list()}

    again = await watch.scan(settings=watching, now=T0 + days(41))
    assert (again.raised, again.events) == (0, 0) and len(await events("WARNING_RAISED")) == 1

    await ingest(batch("PMC-A", record("w-new-2", "FOLLOW_UP", at=T0 + days(42), caseNo=fresh)))
    cleared = await watch.scan(settings=watching, now=T0 + days(43))
    assert (cleared.cleared, cleared.events) == (1, 0)
    assert await RaisedWarning.get(f"STALLED:{fresh}") is None

    back = await watch.scan(settings=watching, now=T0 + days(80))
    assert back.events == 1
    first, second = await events("WARNING_RAISED")
    assert second.id == f"warning:STALLED:{fresh}:{int((T0 + days(80)).timestamp())}" and second.id != first.id


async def test_a_warning_names_no_person_and_restricted_petitions_reach_only_their_readers(
    watching: Settings,
) -> None:
    case_no = await a_case("p-1")
    await watch.scan(settings=watching, now=T0)  # the baseline
    petitioner = party("周八", role="PETITIONER", phone="13912345678")
    await ingest(batch("PB", *[record(f"pet-{n}", "PETITION", at=T0 + days(n), caseNo=case_no, parties=[petitioner])
                               for n in (1, 2, 3)]))
    await ingest(batch("SO", record("pet-r", "PETITION", at=T0 + days(4), caseNo=case_no, visibility="RESTRICTED",
                                    details={"levelReached": "CITY", "escalated": True})))
    await watch.scan(settings=watching, now=T0 + days(5))
    told = {e.payload["warning"]["rule"]: e for e in await events("WARNING_RAISED")}
    assert set(told) == {"REPEAT_PETITIONS", "ESCALATED_PETITION"}
    repeat, escalated = told["REPEAT_PETITIONS"], told["ESCALATED_PETITION"]
    assert repeat.agencies == ["CC", "CC-A", "PMC-A"] and repeat.payload["warning"]["reason"] is None
    stored = await RaisedWarning.find({"rule": "REPEAT_PETITIONS"}).to_list()
    assert len(stored) == 1 and stored[0].person_id and stored[0].ref
    assert stored[0].person_id not in repeat.id and repeat.id.split(":")[3] == stored[0].ref  # type: ignore[union-attr]
    body = json.dumps([repeat.payload, escalated.payload], ensure_ascii=False)
    assert "周八" not in body and "13912345678" not in body
    # Escalated only in stability intelligence: the lead (a mediation committee) may not read it.
    assert escalated.agencies == ["CC", "CC-A"]


# --- DEADLINE_NEAR --------------------------------------------------------------------------------


async def test_near_deadlines_are_told_once_each_to_who_must_meet_them(
    http: httpx.AsyncClient, token_for: TokenFor, watching: Settings
) -> None:
    now = datetime.now(timezone.utc)
    today = district_day(now)
    handed = await a_case("h-1", at=now - days(3))
    later = await a_case("h-2", at=now - days(3))
    backlog = await a_case("c-1", at=now - days(200))
    act_as(http, token_for("PMC-A"))
    accept_by = (now + timedelta(days=1)).replace(microsecond=0)
    handover = (await gql(http, HAND_OVER, input={"caseNo": handed, "toAgency": "HRSS", "mode": "TRANSFER",
                                                  "reason": "属劳动保障部门职责",
                                                  "acceptBy": accept_by.isoformat()}))["handOverCase"]
    await gql(http, HAND_OVER, input={"caseNo": later, "toAgency": "COURT", "mode": "TRANSFER", "reason": "诉前调解",
                                      "acceptBy": (now + timedelta(days=5)).isoformat()})  # not near yet

    act_as(http, token_for("CC"))
    meeting = (await gql(http, SCHEDULE, input={"level": "DISTRICT", "region": DISTRICT, "heldOn": today.isoformat(),
                                                "convener": "CC", "participants": ["PB"]}))["scheduleJointMeeting"]
    for text, owner, due in (("接访", "PB", today + timedelta(days=2)), ("回访", "HRSS", today + timedelta(days=1)),
                             ("复核", "COURT", today + timedelta(days=9))):
        await gql(http, DECIDE, input={"meetingId": meeting["id"], "text": text, "ownerAgency": owner,
                                       "dueDate": due.isoformat()})
    await gql(http, COMPLETE, id=meeting["id"], key="D2")  # done: nothing to remind

    campaign = (await gql(http, CREATE_CAMPAIGN, input={
        "name": "专项行动", "region": DISTRICT, "startsOn": today.isoformat(),
        "endsOn": (today + timedelta(days=60)).isoformat()}))["createCampaign"]
    enrolment = (await gql(http, ENROL, id=campaign["id"], cases=[{"caseNo": backlog, "kind": "ACCUMULATED"}])
                 )["enrolCampaignCases"]["results"][0]["enrolment"]
    await gql(http, ASSIGN, id=enrolment["id"], input={"unitCode": "PMC-A", "person": "王主任", "measures": "约谈",
                                                       "deadline": (today + timedelta(days=1)).isoformat()})

    first = await watch.scan(settings=watching)
    near = {e.payload["deadline"]["what"]: e for e in await events("DEADLINE_NEAR")}
    assert first.deadlines == 3 and len(await events("DEADLINE_NEAR")) == 3
    record_id = near["HANDOVER_ACCEPT"].payload["deadline"]["id"]
    assert (near["HANDOVER_ACCEPT"].agencies, near["HANDOVER_ACCEPT"].case_no,
            near["HANDOVER_ACCEPT"].id) == (["HRSS"], handed,
                                            f"deadline:HANDOVER_ACCEPT:{record_id}:{district_day(accept_by)}")
    assert datetime.fromisoformat(near["HANDOVER_ACCEPT"].payload["deadline"]["due"]) == accept_by
    assert to_global_id("Record", record_id) == handover["record"]["id"]  # what acceptHandover takes
    decision = near["MEETING_DECISION"]
    assert (decision.agencies, decision.payload["deadline"]["id"], decision.payload["deadline"]["due"],
            decision.payload["deadline"]["summary"]) == (
        ["PB"], f"{meeting['id']}:D1", (today + timedelta(days=2)).isoformat(), "接访")
    task = near["CAMPAIGN_TASK"]
    assert (task.agencies, task.case_no, task.payload["deadline"]["id"]) == (["PMC-A"], backlog, enrolment["id"])
    assert "王主任" not in json.dumps(task.payload, ensure_ascii=False)

    second = await watch.scan(settings=watching)
    assert second.deadlines == 3 and second.events == 0  # the same deadlines: not told twice
    assert len(await events("DEADLINE_NEAR")) == 3


# --- the lease ------------------------------------------------------------------------------------


async def test_of_two_concurrent_rounds_only_one_works(watching: Settings) -> None:
    await a_case("l-1", at=T0 - days(60))
    rounds = await asyncio.gather(*(watch.scan(settings=watching, now=T0) for _ in range(2)))
    assert sorted(r.scanned for r in rounds) == [False, True]
    idle = next(r for r in rounds if not r.scanned)
    assert (idle.regions, idle.warnings, idle.events) == (0, 0, 0)
    assert await RaisedWarning.find({}).count() == 1  # the one round's baseline

    # A round holds the lease until its interval has passed: another process in between does nothing.
    held = watching.model_copy(update={"watch_poll_seconds": 60.0})
    assert (await watch.scan(settings=held, now=T0)).scanned
    assert not (await watch.scan(settings=watching, now=T0)).scanned


async def test_a_flood_of_new_warnings_is_told_the_most_severe_first_over_several_rounds(watching: Settings) -> None:
    capped = watching.model_copy(update={"watch_max_warnings": 1})
    repeated, escalated = await a_case("f-1"), await a_case("f-2")
    await watch.scan(settings=capped, now=T0)  # the baseline
    petitioner = party("吴九", role="PETITIONER", phone="13712345678")
    await ingest(batch("PB", *[record(f"fp-{n}", "PETITION", at=T0 + days(n), caseNo=repeated, parties=[petitioner])
                               for n in (1, 2, 3)],
                       record("fp-e", "PETITION", at=T0 + days(3), caseNo=escalated,
                              details={"levelReached": "CITY", "escalated": True})))
    rounds = []
    for n in range(3):
        result = await watch.scan(settings=capped, now=T0 + days(5 + n))
        rounds.append((result.events, result.deferred))
    assert rounds == [(1, 1), (1, 0), (0, 0)]  # two new warnings, one a round
    told = [e.payload["warning"] for e in sorted(await events("WARNING_RAISED"), key=lambda e: e.seq)]
    severities = [t["severity"] for t in told]
    assert len(told) == 2 and severities == sorted(severities, key=["CRITICAL", "HIGH", "MEDIUM"].index)


async def test_a_round_that_outlives_its_lease_tells_nothing_and_the_next_tells_it_once(
        watching: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    await a_case("l-1")
    await watch.scan(settings=watching, now=T0 + days(1))  # the baseline
    monkeypatch.setattr(watch, "LEASE", timedelta(0))  # every round outlives its lease at once
    late = await watch.scan(settings=watching, now=T0 + days(40))
    assert (late.scanned, late.raised, late.events) == (True, 1, 0)
    [held] = await RaisedWarning.find({}).to_list()
    assert not held.told  # stored, left to the next round
    monkeypatch.undo()
    again = await watch.scan(settings=watching, now=T0 + days(41))
    assert (again.raised, again.events) == (0, 1)
    [event] = await events("WARNING_RAISED")
    assert event.id == held.event_key
    assert (await watch.scan(settings=watching, now=T0 + days(42))).events == 0
