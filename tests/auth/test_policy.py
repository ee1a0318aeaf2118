"""The policy, table-driven: each operation for each kind of agency is allowed, denied or masked exactly
as hub/auth/policy.py says, and leaves an audit entry (denials included)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from tests.conftest import TokenFor, act_as
from tests.factories import batch, record
from tests.scenarios import EscalatedPetition

# The scenario's case (tests/scenarios.py): opened by PMC-A in township A, handed to HRSS, mediated by
# COURT, petitioned at PB; SO's stability records are RESTRICTED. Agencies of the test district, by kind:
#   CC   district coordination centre      CC-A township A's centre      CC-B township B's centre
#   PMC-A / PMC-B people's mediation committees of townships A / B        HRSS, MKT administrative departments
#   COURT court  JB justice bureau  PB petition bureau  SO stability office  GC governance centre  SMO social org
SEES_CASE = {"CC", "CC-A", "PMC-A", "HRSS", "COURT", "PB", "SO"}
EVERYONE = ["CC", "CC-A", "CC-B", "PMC-A", "PMC-B", "HRSS", "MKT", "COURT", "JB", "PB", "SO", "GC", "SMO"]

Call = Callable[[httpx.AsyncClient, EscalatedPetition], Awaitable[str]]


async def _gql(http: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    return (await http.post("/graphql", json={"query": query, "variables": variables})).json()


def _outcome(body: dict[str, Any], allowed: Callable[[dict[str, Any]], str] = lambda data: "allowed") -> str:
    if body.get("errors"):
        code = body["errors"][0]["extensions"]["code"]
        return "denied" if code == "FORBIDDEN" else code
    return allowed(body["data"])


async def case_view(http: httpx.AsyncClient, s: EscalatedPetition) -> str:
    return _outcome(await _gql(http, "query($n: String!) { case(caseNo: $n) { caseNo } }", n=s.case_no))


async def case_list(http: httpx.AsyncClient, s: EscalatedPetition) -> str:
    body = await _gql(http, "{ cases(first: 50) { edges { node { caseNo } } } }")
    return _outcome(body, lambda d: "listed" if [e["node"]["caseNo"] for e in d["cases"]["edges"]] == [s.case_no]
                    else "absent")


async def restricted_records(http: httpx.AsyncClient, s: EscalatedPetition) -> str:
    body = await _gql(http, """query($n: String!) { case(caseNo: $n) { timeline { edges { node { sourceId } } }
                                currentStabilityPlan { sourceId } } }""", n=s.case_no)
    def seen(d: dict[str, Any]) -> str:
        ids = {e["node"]["sourceId"] for e in d["case"]["timeline"]["edges"]}
        assert ("so-2" in ids) == (d["case"]["currentStabilityPlan"] is not None)
        return "restricted shown" if {"so-1", "so-2"} <= ids else "restricted hidden"
    return _outcome(body, seen)


async def person_lookup(http: httpx.AsyncClient, s: EscalatedPetition) -> str:
    body = await _gql(http, """query($id: String) { personLookup(idNumber: $id, purpose: "越级信访人员核查") {
                                 found persons { idNumber } } }""", id=s.petitioner_id)
    return _outcome(body, lambda d: "clear" if d["personLookup"]["persons"][0]["idNumber"] == s.petitioner_id
                    else "masked")


async def party_identifiers(http: httpx.AsyncClient, s: EscalatedPetition) -> str:
    body = await _gql(http, "query($n: String!) { case(caseNo: $n) { parties { person { idNumber phone } } } }",
                      n=s.case_no)
    def shown(d: dict[str, Any]) -> str:
        ids = {p["person"]["idNumber"] for p in d["case"]["parties"]}
        return "clear" if s.petitioner_id in ids else "masked"
    return _outcome(body, shown)


async def ingest_own(http: httpx.AsyncClient, s: EscalatedPetition, agency: str) -> str:
    body = await _gql(http, """mutation($input: IngestBatchInput!) { ingestRecords(input: $input) { created } }""",
                      input=batch(agency, record(f"own-{agency}", "FOLLOW_UP", details={"satisfied": True},
                                                 caseNo=s.case_no)))
    return _outcome(body)


async def summary_district(http: httpx.AsyncClient, s: EscalatedPetition) -> str:
    return _outcome(await _gql(http, '{ summary(filter: {region: "510199"}, groupBy: []) { total { cases } } }'))


async def warnings_township_a(http: httpx.AsyncClient, s: EscalatedPetition) -> str:
    return _outcome(await _gql(http, '{ earlyWarnings(region: "510199001") { rule } }'))


async def schedule_meeting(http: httpx.AsyncClient, s: EscalatedPetition) -> str:
    return _outcome(await _gql(http, """mutation { scheduleJointMeeting(input: {level: TOWNSHIP, region: "510199001",
        heldOn: "2026-05-01", convener: "CC-A", participants: ["PMC-A"]}) { id } }"""))


async def audit_log(http: httpx.AsyncClient, s: EscalatedPetition) -> str:
    return _outcome(await _gql(http, "{ auditLog(first: 5) { totalCount } }"))


# operation -> (call, audited operation name, {agency: expected}); agencies not named expect `default`.
TABLE: dict[str, tuple[Call, str, dict[str, str], str]] = {
    "case view": (case_view, "case", {a: "allowed" for a in SEES_CASE}, "denied"),
    "case list": (case_list, "cases", {a: "listed" for a in SEES_CASE}, "absent"),
    "restricted records": (restricted_records, "case", {"CC": "restricted shown", "CC-A": "restricted shown",
                                                         "SO": "restricted shown", "CC-B": "denied", "PMC-B": "denied",
                                                         "MKT": "denied", "JB": "denied", "GC": "denied",
                                                         "SMO": "denied"}, "restricted hidden"),
    "person lookup": (person_lookup, "personLookup", {"PB": "masked"}, "denied"),
    "party identifiers": (party_identifiers, "case", {a: "masked" for a in SEES_CASE}, "denied"),
    "summary of the district": (summary_district, "summary", {"CC": "allowed"}, "denied"),
    "warnings of township A": (warnings_township_a, "earlyWarnings", {"CC": "allowed", "CC-A": "allowed"}, "denied"),
    "schedule a township A meeting": (schedule_meeting, "scheduleJointMeeting",
                                      {"CC": "allowed", "CC-A": "allowed"}, "denied"),
    "audit log": (audit_log, "auditLog", {"CC": "allowed", "CC-A": "allowed", "CC-B": "allowed"}, "denied"),
}


async def _audit(database: AsyncDatabase) -> list[dict[str, Any]]:
    return await database["audit"].find({}, {"_id": 0, "agency_code": 1, "operation": 1, "outcome": 1}).to_list()


@pytest.mark.parametrize("operation", list(TABLE))
async def test_each_agency_kind_gets_what_the_policy_says(
    operation: str, http: httpx.AsyncClient, token_for: TokenFor, escalated_petition: EscalatedPetition,
    database: AsyncDatabase,
) -> None:
    call, audited_as, expected, default = TABLE[operation]
    got, audit = {}, {}
    for agency in EVERYONE:
        before = len(await _audit(database))
        got[agency] = await call(act_as(http, token_for(agency)), escalated_petition)
        new = (await _audit(database))[before:]
        audit[agency] = [(e["agency_code"], e["operation"], e["outcome"]) for e in new]
    assert got == {a: expected.get(a, default) for a in EVERYONE}
    for agency in EVERYONE:
        outcome = "DENIED" if got[agency] == "denied" else "OK"
        assert audit[agency] == [(agency, audited_as, outcome)], (agency, audit[agency])


async def test_the_pii_role_shows_identifiers_in_clear(
    http: httpx.AsyncClient, token_for: TokenFor, escalated_petition: EscalatedPetition
) -> None:
    assert await person_lookup(act_as(http, token_for("PB", roles=["pii"])), escalated_petition) == "clear"
    assert await party_identifiers(act_as(http, token_for("HRSS", roles=["pii"])), escalated_petition) == "clear"
    # The role shows more of what the agency may see; it opens nothing else.
    assert await case_view(act_as(http, token_for("MKT", roles=["pii"])), escalated_petition) == "denied"


async def test_records_go_in_only_in_the_callers_own_name(
    http: httpx.AsyncClient, token_for: TokenFor, escalated_petition: EscalatedPetition, database: AsyncDatabase
) -> None:
    assert await ingest_own(act_as(http, token_for("HRSS")), escalated_petition, "HRSS") == "allowed"
    assert await ingest_own(act_as(http, token_for("HRSS")), escalated_petition, "COURT") == "denied"
    assert await database["records"].count_documents({"source_id": "own-COURT"}) == 0
    entries = await database["audit"].find({"operation": "ingestRecords"}).to_list()
    assert [(e["agency_code"], e["outcome"], e["target_ids"]) for e in entries] == [
        ("HRSS", "OK", [escalated_petition.case_no]), ("HRSS", "DENIED", ["COURT"])]


async def test_a_lookup_needs_a_purpose_which_the_audit_trail_keeps(
    http: httpx.AsyncClient, token_for: TokenFor, escalated_petition: EscalatedPetition, database: AsyncDatabase
) -> None:
    act_as(http, token_for("PB"))
    query = "query($p: String!, $id: String) { personLookup(idNumber: $id, purpose: $p) { found } }"
    blank = await _gql(http, query, p="  ", id=escalated_petition.petitioner_id)
    assert blank["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    done = await _gql(http, query, p="越级信访人员基层调解情况核查", id=escalated_petition.petitioner_id)
    assert done["data"]["personLookup"]["found"]
    [failed, ok] = await database["audit"].find({"operation": "personLookup"}).sort("at", 1).to_list()
    assert (failed["outcome"], failed["reason"]) == ("FAILED", "BAD_USER_INPUT")
    assert (ok["outcome"], ok["purpose"], ok["user"]) == ("OK", "越级信访人员基层调解情况核查", "测试员")
    assert escalated_petition.case_no in ok["target_ids"]
    assert escalated_petition.petitioner_id not in str(ok)


async def test_the_audit_log_is_read_by_region_and_cannot_be_changed(
    http: httpx.AsyncClient, token_for: TokenFor, escalated_petition: EscalatedPetition
) -> None:
    for agency in ("PMC-A", "PMC-B", "MKT"):
        await case_view(act_as(http, token_for(agency)), escalated_petition)
    query = """query($f: AuditFilter) { auditLog(filter: $f, first: 10) { totalCount
                edges { node { operation outcome agency { code } targetIds } } } }"""
    township_a = (await _gql(act_as(http, token_for("CC-A")), query, f={"operation": "case"}))["data"]["auditLog"]
    assert [(e["node"]["agency"]["code"], e["node"]["outcome"]) for e in township_a["edges"]] == [("PMC-A", "OK")]
    district = (await _gql(act_as(http, token_for("CC")), query, f={"operation": "case", "outcome": "DENIED"}))
    assert sorted(e["node"]["agency"]["code"] for e in district["data"]["auditLog"]["edges"]) == ["MKT", "PMC-B"]
    mutations = (await _gql(http, "{ __schema { mutationType { fields { name } } } }"))["data"]["__schema"]
    names = {f["name"] for f in mutations["mutationType"]["fields"]}
    assert not {n for n in names if "audit" in n.lower()}, names  # no API path changes or removes an entry


async def test_no_agency_joins_a_case_it_cannot_see_by_naming_it(
    http: httpx.AsyncClient, token_for: TokenFor, escalated_petition: EscalatedPetition, database: AsyncDatabase
) -> None:
    act_as(http, token_for("MKT"))
    query = "mutation($input: IngestBatchInput!) { ingestRecords(input: $input) { results { status errors { code } } } }"
    by_number = record("mkt-1", "FOLLOW_UP", details={"satisfied": True}, caseNo=escalated_petition.case_no)
    by_ref = record("mkt-2", "FOLLOW_UP", details={"satisfied": True},
                    caseRef={"sourceSystem": "PMC-A-SYS", "sourceId": "pmc-1"})
    body = await _gql(http, query, input=batch("MKT", by_number, by_ref))
    results = body["data"]["ingestRecords"]["results"]
    assert [(r["status"], r["errors"][0]["code"]) for r in results] == [
        ("REJECTED", "CASE_NOT_FOUND"), ("REJECTED", "CASE_REF_NOT_FOUND")]  # as if there were no such case
    assert await case_view(http, escalated_petition) == "denied"
    assert await database["records"].count_documents({"agency_code": "MKT"}) == 0


async def test_node_applies_the_policy_to_records_and_persons(
    http: httpx.AsyncClient, token_for: TokenFor, escalated_petition: EscalatedPetition
) -> None:
    from schema.relay import to_global_id

    restricted = to_global_id("Record", "SO-SYS|so-2")
    ordinary = to_global_id("Record", "PMC-A-SYS|pmc-1")
    query = "query($id: ID!) { node(id: $id) { id } }"
    for agency, node_id, expected in (("MKT", ordinary, "denied"), ("PMC-A", ordinary, "allowed"),
                                      ("PMC-A", restricted, "denied"), ("SO", restricted, "allowed")):
        assert _outcome(await _gql(act_as(http, token_for(agency)), query, id=node_id)) == expected, (agency, node_id)
    person = (await _gql(act_as(http, token_for("PMC-A")), """query($n: String!) {
        case(caseNo: $n) { parties { person { id } } } }""", n=escalated_petition.case_no))
    person_id = person["data"]["case"]["parties"][0]["person"]["id"]
    assert _outcome(await _gql(act_as(http, token_for("CC-B", roles=["pii"])), query, id=person_id)) == "denied"
    assert _outcome(await _gql(act_as(http, token_for("HRSS")), query, id=person_id)) == "allowed"


async def test_a_participant_reads_the_brief_without_restricted_records_or_other_meetings_agendas(
    http: httpx.AsyncClient, token_for: TokenFor, escalated_petition: EscalatedPetition
) -> None:
    act_as(http, token_for("CC"))
    case_id = (await _gql(http, "query($n: String!) { case(caseNo: $n) { id } }", n=escalated_petition.case_no))
    schedule = """mutation($d: Date!, $p: [String!]!) { scheduleJointMeeting(input: {level: DISTRICT, region: "510199",
        heldOn: $d, convener: "CC", participants: $p}) { id } }"""
    earlier = (await _gql(http, schedule, d="2026-04-01", p=["SO"]))["data"]["scheduleJointMeeting"]["id"]
    await _gql(http, "mutation($m: ID!, $c: ID!) { addToAgenda(meetingId: $m, caseIds: [$c]) { id } }",
               m=earlier, c=case_id["data"]["case"]["id"])
    await _gql(http, """mutation($m: ID!) { recordDecision(input: {meetingId: $m, text: "维稳办跟进", ownerAgency: "SO",
        dueDate: "2026-04-10"}) { decision { key } } }""", m=earlier)
    meeting = (await _gql(http, schedule, d="2026-04-15", p=["MKT"]))["data"]["scheduleJointMeeting"]["id"]
    await _gql(http, "mutation($m: ID!, $c: ID!) { addToAgenda(meetingId: $m, caseIds: [$c]) { id } }",
               m=meeting, c=case_id["data"]["case"]["id"])

    brief = await _gql(act_as(http, token_for("MKT")), """query($m: ID!) { jointMeetingBrief(meetingId: $m) {
        agenda { latestRecords { sourceId } } openDecisions { meeting { agenda { caseNo } } } } }""", m=meeting)
    [item] = brief["data"]["jointMeetingBrief"]["agenda"]
    assert {r["sourceId"] for r in item["latestRecords"]}.isdisjoint({"so-1", "so-2"})
    assert brief["errors"][0]["extensions"]["code"] == "FORBIDDEN"  # the earlier meeting's agenda
    page = await http.get("/reports/brief", params={"meeting": meeting})
    assert page.status_code == 200 and "稳控" not in page.text.split("会议议题")[1].split("前次会议")[0]


async def test_an_agenda_holds_only_cases_of_the_meetings_region(
    http: httpx.AsyncClient, token_for: TokenFor, escalated_petition: EscalatedPetition
) -> None:
    act_as(http, token_for("CC"))
    case_id = (await _gql(http, "query($n: String!) { case(caseNo: $n) { id } }", n=escalated_petition.case_no))
    act_as(http, token_for("CC-B"))
    meeting = (await _gql(http, """mutation { scheduleJointMeeting(input: {level: TOWNSHIP, region: "510199002",
        heldOn: "2026-05-01", convener: "CC-B", participants: ["PMC-B"]}) { id } }"""))["data"]["scheduleJointMeeting"]["id"]
    refused = await _gql(http, "mutation($m: ID!, $c: ID!) { addToAgenda(meetingId: $m, caseIds: [$c]) { id } }",
                         m=meeting, c=case_id["data"]["case"]["id"])
    assert refused["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_the_same_view_twice_in_one_request_is_one_audit_entry(
    http: httpx.AsyncClient, escalated_petition: EscalatedPetition, database: AsyncDatabase
) -> None:
    body = await _gql(http, "query($n: String!) { a: case(caseNo: $n) { caseNo } b: case(caseNo: $n) { title } }",
                      n=escalated_petition.case_no)
    assert body["data"]["a"]["caseNo"] == escalated_petition.case_no and body["data"]["b"]["title"]
    assert await database["audit"].count_documents({"operation": "case"}) == 1
    await _gql(http, "query($n: String!) { case(caseNo: $n) { caseNo } }", n=escalated_petition.case_no)
    assert await database["audit"].count_documents({"operation": "case"}) == 2  # a new request, a new entry
