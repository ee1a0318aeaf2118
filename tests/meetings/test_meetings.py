"""Joint meetings over GraphQL: schedule, agenda, decisions, follow-through, and the brief."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import DISTRICT, T0, TOWNSHIP_A, batch, days, record
from tests.scenarios import EscalatedPetition, ingest

SCHEDULE = """mutation($input: ScheduleMeetingInput!) { scheduleJointMeeting(input: $input) {
  id title level heldOn convener { code } participants { code } region { name } } }"""
AGENDA = """mutation($id: ID!, $cases: [ID!]!) { addToAgenda(meetingId: $id, caseIds: $cases) { agenda { caseNo } } }"""
DECIDE = """mutation($input: RecordDecisionInput!) { recordDecision(input: $input) {
  decision { key text status dueDate ownerAgency { code } case { caseNo } } meeting { decisions { key } } } }"""
COMPLETE = """mutation($id: ID!, $key: String!) { completeDecision(meetingId: $id, key: $key, note: "已落实") {
  decision { key status doneAt doneNote } } }"""
MEETINGS = """query($region: ID!) { jointMeetings(region: $region) { id heldOn decisions { key status } } }"""
BRIEF = """query($id: ID!) { jointMeetingBrief(meetingId: $id) {
  meeting { title } periodFrom periodTo region { code }
  byAgency { total { cases } groups { key { value label } figures { cases resolved } } }
  byCategory { groups { key { value label } figures { cases } } }
  trend { groups { key { value } figures { cases } } }
  agenda { case { caseNo } latestRecords { kind occurredAt } openHandovers { kind agency { code } } }
  openDecisions { overdue decision { key text dueDate } meeting { heldOn } }
  warnings { rule caseNo } } }"""


async def gql(http: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    body = (await http.post("/graphql", json={"query": query, "variables": variables})).json()
    assert "errors" not in body, body["errors"]
    return body["data"]


async def schedule(http: httpx.AsyncClient, held_on: str, participants: list[str] | None = None) -> dict[str, Any]:
    data = await gql(http, SCHEDULE, input={"level": "DISTRICT", "region": DISTRICT, "heldOn": held_on,
                                            "convener": "CC", "participants": participants or ["HRSS", "PB", "COURT"]})
    return data["scheduleJointMeeting"]


async def case_id(http: httpx.AsyncClient, case_no: str) -> str:
    return (await gql(http, "query($no: String!) { case(caseNo: $no) { id } }", no=case_no))["case"]["id"]


async def test_a_meeting_is_scheduled_with_its_convener_among_the_participants(
    http: httpx.AsyncClient, district: object
) -> None:
    meeting = await schedule(http, "2026-04-10")
    assert meeting["convener"]["code"] == "CC"
    assert [p["code"] for p in meeting["participants"]] == ["CC", "HRSS", "PB", "COURT"]
    assert meeting["level"] == "DISTRICT" and meeting["region"]["name"] == "清河区" and "联席会议" in meeting["title"]
    node = await gql(http, "query($id: ID!) { node(id: $id) { ... on JointMeeting { heldOn } } }", id=meeting["id"])
    assert node["node"]["heldOn"] == "2026-04-10"


async def test_agenda_decisions_and_follow_through(
    http: httpx.AsyncClient, escalated_petition: EscalatedPetition
) -> None:
    meeting = await schedule(http, "2026-04-15")
    target = await case_id(http, escalated_petition.case_no)
    agenda = await gql(http, AGENDA, id=meeting["id"], cases=[target, target])
    assert [c["caseNo"] for c in agenda["addToAgenda"]["agenda"]] == [escalated_petition.case_no]

    decided = await gql(http, DECIDE, input={"meetingId": meeting["id"], "text": "人社局牵头督促清河建筑公司支付欠薪",
                                             "ownerAgency": "HRSS", "dueDate": "2026-04-30", "caseId": target})
    decision = decided["recordDecision"]["decision"]
    assert decision == {"key": "D1", "text": "人社局牵头督促清河建筑公司支付欠薪", "status": "OPEN",
                        "dueDate": "2026-04-30", "ownerAgency": {"code": "HRSS"},
                        "case": {"caseNo": escalated_petition.case_no}}

    done = (await gql(http, COMPLETE, id=meeting["id"], key="D1"))["completeDecision"]["decision"]
    assert done["status"] == "DONE" and done["doneNote"] == "已落实" and done["doneAt"]
    again = (await gql(http, COMPLETE, id=meeting["id"], key="D1"))["completeDecision"]["decision"]
    assert again["doneAt"] == done["doneAt"]  # marking it again changes nothing

    listed = (await gql(http, MEETINGS, region=TOWNSHIP_A))["jointMeetings"]
    assert listed == []  # a district meeting is not a township's
    listed = (await gql(http, MEETINGS, region=DISTRICT))["jointMeetings"]
    assert [(m["heldOn"], m["decisions"]) for m in listed] == [("2026-04-15", [{"key": "D1", "status": "DONE"}])]


async def test_bad_meeting_input_is_refused_with_codes(http: httpx.AsyncClient, district: object) -> None:
    async def error(query: str, **variables: Any) -> dict[str, Any]:
        body = (await http.post("/graphql", json={"query": query, "variables": variables})).json()
        return body["errors"][0]

    unknown = await error(SCHEDULE, input={"level": "DISTRICT", "region": DISTRICT, "heldOn": "2026-04-10",
                                           "convener": "CC", "participants": ["HRSS", "NOPE"]})
    assert unknown["extensions"]["code"] == "BAD_USER_INPUT" and "NOPE" in unknown["message"]
    meeting = await schedule(http, "2026-04-10")
    early = await error(DECIDE, input={"meetingId": meeting["id"], "text": "x", "ownerAgency": "HRSS",
                                       "dueDate": "2026-04-01"})
    assert early["extensions"]["code"] == "BAD_USER_INPUT"
    missing = await error(COMPLETE, id=meeting["id"], key="D9")
    assert missing["extensions"]["code"] == "NOT_FOUND"
    ghost_case = await error(AGENDA, id=meeting["id"], cases=["Q2FzZTo2NTAwMDAwMDAwMDAwMDAwMDAwMDAwMDA="])
    assert ghost_case["extensions"]["code"] == "NOT_FOUND"
    assert (await gql(http, MEETINGS, region=DISTRICT))["jointMeetings"][0]["decisions"] == []  # nothing half-written


async def test_the_brief_gathers_the_period_agenda_open_decisions_and_warnings(
    http: httpx.AsyncClient, escalated_petition: EscalatedPetition
) -> None:
    # An earlier meeting left one decision overdue and one not yet due; a pending handover on the case.
    earlier = await schedule(http, "2026-03-20")
    for text, due in (("信访局做好稳控", "2026-03-31"), ("法院开展诉前调解", "2026-05-31")):
        await gql(http, DECIDE, input={"meetingId": earlier["id"], "text": text, "ownerAgency": "PB", "dueDate": due})
    await ingest(batch("COURT", record("c-2", "HANDOVER", at=T0 + days(43), details={"toAgency": "JB"},
                                       caseRef={"sourceSystem": "PMC-A-SYS", "sourceId": "pmc-1"})))
    meeting = await schedule(http, "2026-04-15")
    await gql(http, AGENDA, id=meeting["id"], cases=[await case_id(http, escalated_petition.case_no)])

    brief = (await gql(http, BRIEF, id=meeting["id"]))["jointMeetingBrief"]

    assert brief["periodFrom"].startswith("2026-03-19T16:00") and brief["periodTo"].startswith("2026-04-14T16:00")
    assert brief["byAgency"]["total"]["cases"] == 0  # the case was opened before the period
    [item] = brief["agenda"]
    assert item["case"]["caseNo"] == escalated_petition.case_no
    assert [r["kind"] for r in item["latestRecords"]] == ["HANDOVER", "STABILITY_PLAN", "STABILITY_ASSESSMENT",
                                                         "PETITION", "MEDIATION_SESSION"]
    assert [(h["kind"], h["agency"]["code"]) for h in item["openHandovers"]] == [("HANDOVER", "COURT")]
    assert [(o["overdue"], o["decision"]["text"]) for o in brief["openDecisions"]] == [
        (True, "信访局做好稳控"), (False, "法院开展诉前调解")]
    assert {w["caseNo"] for w in brief["warnings"]} == {escalated_petition.case_no}
    assert {g["key"][0]["value"] for g in brief["trend"]["groups"]} == {"2026-03"}


async def test_a_period_with_cases_is_summarised_by_participating_agency(
    http: httpx.AsyncClient, escalated_petition: EscalatedPetition
) -> None:
    meeting = await schedule(http, "2026-03-10", participants=["HRSS", "COURT"])
    brief = (await gql(http, BRIEF, id=meeting["id"]))["jointMeetingBrief"]
    # No earlier meeting: the period is the usual month before it, which holds the case.
    assert brief["byAgency"]["total"]["cases"] == 1
    rows = {g["key"][0]["value"]: g for g in brief["byAgency"]["groups"]}
    assert set(rows) == {"HRSS", "COURT"}  # only participants, though PMC-A, PB and SO wrote records too
    assert rows["HRSS"]["key"][0]["label"] == "清河区人力资源和社会保障局"
    assert [(g["key"][0]["label"], g["figures"]["cases"]) for g in brief["byCategory"]["groups"]] == [("劳动争议", 1)]


async def test_an_empty_meeting_id_is_bad_user_input(http: httpx.AsyncClient, district: object) -> None:
    # Found by fuzzing (tests/system/test_fuzz.py): `meetingId: ""` was taken for "no meeting", and the permission
    # check then read the region of an input addToAgenda does not have (INTERNAL_SERVER_ERROR).
    for query, variables in ((AGENDA, {"id": "", "cases": []}), (COMPLETE, {"id": "", "key": "D1"})):
        body = (await http.post("/graphql", json={"query": query, "variables": variables})).json()
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
