"""Backlog-clearance campaigns over GraphQL: enrolment of open backlog cases only, responsibility per level,
the escalation path, clearance, progress figures, warnings, the brief's section, and who may do what."""

from __future__ import annotations

import asyncio
import io
import itertools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from pymongo.asynchronous.database import AsyncDatabase

from hub.analytics.thresholds import Thresholds
from hub.audit.models import AuditEntry, Outcome
from hub.campaigns import service as campaign_service
from hub.campaigns.models import Enrolment, EscalationStage
from hub.cases.derive import district_day
from hub.errors import Conflict
from hub.reports import brief as report_service
from schema.relay import object_id
from tests.conftest import TokenFor, act_as
from tests.graphql import first_error as error
from tests.graphql import gql, post
from tests.factories import T0, TOWNSHIP_A, VILLAGE_A1, VILLAGE_B1, batch, days, party, record
from tests.scenarios import ingest

_serial = itertools.count(1)
TODAY = district_day()
SHANGHAI = ZoneInfo("Asia/Shanghai")
ENDS = TODAY + timedelta(days=60)

ENROLMENT = """id caseNo kind historicalLegacy note stage cleared overdue category
  responsibility { level unit { code } person measures deadline assignedBy { code } }
  steps { kind stage text user agency { code } } clearance { outcome note by { code } }
  case { caseNo } region { code } campaign { name }"""
CREATE = """mutation($input: CreateCampaignInput!) { createCampaign(input: $input) {
  id name startsOn endsOn categories region { code } createdBy { code } } }"""
ENROL = f"""mutation($id: ID!, $cases: [EnrolCaseInput!]!) {{ enrolCampaignCases(campaignId: $id, cases: $cases) {{
  enrolled rejected results {{ index caseNo errors {{ code field message }} enrolment {{ {ENROLMENT} }} }} }} }}"""
ASSIGN = f"""mutation($id: ID!, $input: AssignResponsibilityInput!) {{
  assignCampaignResponsibility(id: $id, input: $input) {{ {ENROLMENT} }} }}"""
ESCALATE = f"""mutation($id: ID!, $reason: String!) {{ escalateCampaignCase(id: $id, reason: $reason) {{ {ENROLMENT} }} }}"""
CLEAR = f"""mutation($id: ID!, $outcome: ClearanceOutcome!, $note: String!) {{
  clearCampaignCase(id: $id, outcome: $outcome, note: $note) {{ {ENROLMENT} }} }}"""
PROGRESS = """query($id: ID!, $groupBy: [CampaignDimension!], $on: Date) { campaignProgress(id: $id, groupBy: $groupBy, on: $on) {
  on total { enrolled assigned unassigned escalated cleared overdue historicalLegacy clearanceRate }
  groups { key { label kind level township { code } } figures { enrolled cleared overdue unassigned clearanceRate } } } }"""
ENROLMENTS = """query($id: ID!, $cleared: Boolean, $township: String, $first: Int, $after: String) {
  campaignEnrolments(id: $id, cleared: $cleared, township: $township, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { caseNo case { caseNo } } } }"""
ONE = """query($id: ID!) { campaignEnrolment(id: $id) { id caseNo } }"""
CAMPAIGN = """query($id: ID!) { campaign(id: $id) { id name } }"""
CAMPAIGNS = """query($region: String, $on: Date) { campaigns(region: $region, activeOn: $on) { id name } }"""
TASKS = """query($cleared: Boolean!) { campaignTasks(cleared: $cleared) { caseNo } }"""
WARNINGS = """query($asOf: DateTime) { earlyWarnings(region: "510199", asOf: $asOf,
  rules: [CAMPAIGN_OVERDUE, CAMPAIGN_UNASSIGNED]) { rule severity caseNo reason responsibleAgency { code } } }"""


@dataclass(frozen=True)
class Cases:
    """Case numbers of the scenario."""

    backlog_a: str  # labour, township A, open since T0 (months ago): backlog by age
    backlog_a2: str  # the same, a second one
    backlog_b: str  # labour, township B, open since T0
    recent: str  # labour, township A, opened days ago: not backlog
    resolved: str  # labour, township A, settled
    neighbour: str  # a neighbour dispute, township A, open since T0


async def open_case(*, at: datetime = T0, category: str = "LABOUR", region: str = VILLAGE_A1,
                    agreement: bool = False) -> str:
    n = next(_serial)
    parties = [party(f"当事人{n}号", phone=f"1380000{n:04d}"), party(f"清河{n}号公司", role="RESPONDENT",
                                                                    kind="ORGANISATION")]
    records = [record(f"cp-{n}-1", "INTAKE", at=at, parties=parties,
                      case={"title": f"第{n}号纠纷", "category": category, "regionCode": region})]
    if agreement:
        records.append(record(f"cp-{n}-2", "AGREEMENT", at=at + days(2), parties=parties,
                              caseRef={"sourceSystem": "PMC-A-SYS", "sourceId": f"cp-{n}-1"}))
    [outcome] = await ingest(batch("PMC-A", *records))
    return outcome.results[0].case_no or ""


async def resolve(case_no: str) -> None:
    """An agreement on the case, as PMC-A's system would send it."""
    n = next(_serial)
    await ingest(batch("PMC-A", record(f"cp-late-{n}", "AGREEMENT", at=datetime.now(timezone.utc) - days(1),
                                       caseNo=case_no)))


@pytest.fixture
async def cases(district: AsyncDatabase) -> Cases:
    recent = datetime.now(timezone.utc) - days(5)
    return Cases(
        backlog_a=await open_case(), backlog_a2=await open_case(), backlog_b=await open_case(region=VILLAGE_B1),
        recent=await open_case(at=recent), resolved=await open_case(agreement=True),
        neighbour=await open_case(category="NEIGHBOUR"),
    )


def campaign_input(**extra: Any) -> dict[str, Any]:
    return {"name": "2026年矛盾纠纷攻坚破难专项行动", "region": "510199", "startsOn": TODAY.isoformat(),
            "endsOn": ENDS.isoformat(), "categories": ["LABOUR", "LAND_ACQUISITION"], **extra}


async def campaign(http: httpx.AsyncClient, token_for: TokenFor, **extra: Any) -> dict[str, Any]:
    act_as(http, token_for("CC"))
    return (await gql(http, CREATE, input=campaign_input(**extra)))["createCampaign"]


async def enrol(http: httpx.AsyncClient, campaign_id: str, *case_nos: str, kind: str = "ACCUMULATED",
                **extra: Any) -> dict[str, Any]:
    cases = [{"caseNo": c, "kind": kind, **extra} for c in case_nos]
    return (await gql(http, ENROL, id=campaign_id, cases=cases))["enrolCampaignCases"]


async def enrolled(http: httpx.AsyncClient, token_for: TokenFor, case_no: str) -> tuple[str, str]:
    """A district campaign with the case enrolled; (campaign id, enrolment id)."""
    c = await campaign(http, token_for)
    result = await enrol(http, c["id"], case_no)
    return c["id"], result["results"][0]["enrolment"]["id"]


def responsibility(unit: str = "PMC-A", deadline: date = ENDS) -> dict[str, Any]:
    return {"unitCode": unit, "person": "王主任", "measures": "每周约谈双方,协调社保部门核算工资", "deadline": deadline.isoformat()}


# --- campaigns --------------------------------------------------------------------------------------


async def test_a_district_centre_creates_a_campaign_for_its_region(http: httpx.AsyncClient, token_for: TokenFor) -> None:
    created = await campaign(http, token_for)
    assert (created["name"], created["region"], created["createdBy"], created["categories"]) == (
        "2026年矛盾纠纷攻坚破难专项行动", {"code": "510199"}, {"code": "CC"}, ["LABOUR", "LAND_ACQUISITION"])
    assert (created["startsOn"], created["endsOn"]) == (TODAY.isoformat(), ENDS.isoformat())
    # every agency of the district reads it; it lists among the district's campaigns running today
    act_as(http, token_for("PMC-A"))
    assert (await gql(http, CAMPAIGN, id=created["id"]))["campaign"]["name"] == created["name"]
    listed = (await gql(http, CAMPAIGNS, region="510199", on=TODAY.isoformat()))["campaigns"]
    assert [c["id"] for c in listed] == [created["id"]]
    assert (await gql(http, CAMPAIGNS, region="510199", on=(ENDS + timedelta(days=1)).isoformat()))["campaigns"] == []


@pytest.mark.parametrize("agency", ["CC-A", "PMC-A", "COURT", "PB", "SO", "JB"])
async def test_only_a_centre_over_the_region_creates_a_campaign(
    http: httpx.AsyncClient, token_for: TokenFor, agency: str
) -> None:
    act_as(http, token_for(agency))
    assert (await error(http, CREATE, input=campaign_input()))["code"] == "FORBIDDEN"
    denied = await AuditEntry.find({"operation": "createCampaign", "agency_code": agency}).to_list()
    assert [e.outcome for e in denied] == [Outcome.DENIED]


async def test_a_township_centre_runs_its_own_township_campaign(http: httpx.AsyncClient, token_for: TokenFor) -> None:
    act_as(http, token_for("CC-A"))
    created = (await gql(http, CREATE, input=campaign_input(region=TOWNSHIP_A)))["createCampaign"]
    assert created["region"] == {"code": TOWNSHIP_A}
    # a district agency is not inside the township: the campaign is not its to read
    act_as(http, token_for("PMC-B"))
    assert (await error(http, CAMPAIGN, id=created["id"]))["code"] == "FORBIDDEN"


@pytest.mark.parametrize(("change", "field"), [
    ({"endsOn": (TODAY - timedelta(days=1)).isoformat()}, "endsOn"),
    ({"endsOn": (TODAY + timedelta(days=4 * 366)).isoformat()}, "endsOn"),
    ({"name": "  "}, "name"),
    ({"name": "专" * 101}, "name"),
    ({"region": "999999"}, "region"),
])
async def test_a_bad_campaign_is_refused_with_its_field(
    http: httpx.AsyncClient, token_for: TokenFor, change: dict[str, Any], field: str
) -> None:
    act_as(http, token_for("CC"))
    refused = await error(http, CREATE, input=campaign_input(**change))
    assert (refused["code"], refused["field"]) == ("BAD_USER_INPUT", field)


# --- enrolment ----------------------------------------------------------------------------------------


async def test_only_open_backlog_cases_of_the_region_and_categories_are_enrolled_each_refusal_by_index(
    http: httpx.AsyncClient, token_for: TokenFor, cases: Cases
) -> None:
    created = await campaign(http, token_for)
    entries = [cases.backlog_a, cases.recent, cases.resolved, cases.neighbour, "JF2026999999", cases.backlog_a,
               cases.backlog_b]
    result = await enrol(http, created["id"], *entries, kind="HARD_BONE", historicalLegacy=True, note="历时九个月")

    assert (result["enrolled"], result["rejected"]) == (2, 5)
    codes = [[e["code"] for e in r["errors"]] for r in result["results"]]
    assert codes == [[], ["NOT_BACKLOG"], ["CASE_NOT_OPEN"], ["CATEGORY_NOT_TARGETED"], ["CASE_NOT_FOUND"],
                     ["DUPLICATE_IN_CALL"], []]
    assert [r["index"] for r in result["results"]] == list(range(7))
    first = result["results"][0]["enrolment"]
    assert (first["caseNo"], first["kind"], first["historicalLegacy"], first["note"], first["stage"]) == (
        cases.backlog_a, "HARD_BONE", True, "历时九个月", "UNIT")
    assert first["responsibility"] is None and first["cleared"] is False
    assert [(s["kind"], s["agency"]) for s in first["steps"]] == [("ENROLLED", {"code": "CC"})]
    assert "骨头案" in first["steps"][0]["text"] and "历史遗留" in first["steps"][0]["text"]
    # the good ones landed, the bad ones did not, and enrolling again is refused, not doubled
    assert await Enrolment.find_all().count() == 2
    again = await enrol(http, created["id"], cases.backlog_a)
    assert again["results"][0]["errors"][0]["code"] == "ALREADY_ENROLLED"
    assert await Enrolment.find_all().count() == 2


async def test_a_case_tagged_as_backlog_is_enrolled_however_recent(
    http: httpx.AsyncClient, token_for: TokenFor, district: AsyncDatabase
) -> None:
    n = next(_serial)
    recent = datetime.now(timezone.utc) - days(3)
    [outcome] = await ingest(batch("PMC-A", record(
        f"tag-{n}", "INTAKE", at=recent, parties=[party("周某某", phone="13900001111")],
        case={"title": "老案", "category": "LABOUR", "regionCode": VILLAGE_A1, "tags": ["OLD"]})))
    created = await campaign(http, token_for)
    result = await enrol(http, created["id"], outcome.results[0].case_no or "")
    assert result["enrolled"] == 1, result


async def test_a_township_campaign_refuses_a_case_of_another_township(
    http: httpx.AsyncClient, token_for: TokenFor, cases: Cases
) -> None:
    act_as(http, token_for("CC-A"))
    created = (await gql(http, CREATE, input=campaign_input(region=TOWNSHIP_A, categories=[])))["createCampaign"]
    result = await enrol(http, created["id"], cases.backlog_b, cases.neighbour)
    assert [[e["code"] for e in r["errors"]] for r in result["results"]] == [["CASE_OUTSIDE_REGION"], []]


@pytest.mark.parametrize("agency", ["CC-A", "PMC-A", "COURT"])
async def test_only_the_campaign_s_centres_enrol(
    http: httpx.AsyncClient, token_for: TokenFor, cases: Cases, agency: str
) -> None:
    created = await campaign(http, token_for)
    act_as(http, token_for(agency))
    assert (await error(http, ENROL, id=created["id"], cases=[{"caseNo": cases.backlog_a, "kind": "OLD"}]))["code"] == \
        "FORBIDDEN"
    assert await Enrolment.find_all().count() == 0


async def test_an_enrolment_call_must_name_one_to_two_hundred_cases(
    http: httpx.AsyncClient, token_for: TokenFor, cases: Cases
) -> None:
    created = await campaign(http, token_for)
    assert (await error(http, ENROL, id=created["id"], cases=[]))["field"] == "cases"
    many = [{"caseNo": f"JF2026{i:06d}", "kind": "OLD"} for i in range(201)]
    assert (await error(http, ENROL, id=created["id"], cases=many))["code"] == "BAD_USER_INPUT"


# --- responsibility, escalation, clearance ------------------------------------------------------------------


async def test_responsibility_takes_its_level_from_the_unit_and_is_checked(
    http: httpx.AsyncClient, token_for: TokenFor, cases: Cases
) -> None:
    _, enrolment_id = await enrolled(http, token_for, cases.backlog_a)
    township = (await gql(http, ASSIGN, id=enrolment_id, input=responsibility("PMC-A")))["assignCampaignResponsibility"]
    assert township["responsibility"] == {
        "level": "TOWNSHIP", "unit": {"code": "PMC-A"}, "person": "王主任", "measures": "每周约谈双方,协调社保部门核算工资",
        "deadline": ENDS.isoformat(), "assignedBy": {"code": "CC"}}
    district = (await gql(http, ASSIGN, id=enrolment_id, input=responsibility("HRSS")))["assignCampaignResponsibility"]
    assert district["responsibility"]["level"] == "DISTRICT"
    assert [s["kind"] for s in district["steps"]] == ["ENROLLED", "ASSIGNED", "ASSIGNED"]  # the history keeps both

    for bad, field in ((responsibility("NOPE"), "unitCode"), (responsibility(deadline=TODAY - timedelta(days=1)), "deadline"),
                       (responsibility(deadline=ENDS + timedelta(days=1)), "deadline"), ({**responsibility(), "person": ""}, "person"),
                       ({**responsibility(), "measures": "措" * 1001}, "measures")):
        refused = await error(http, ASSIGN, id=enrolment_id, input=bad)
        assert (refused["code"], refused["field"]) == ("BAD_USER_INPUT", field), refused
    act_as(http, token_for("PMC-A"))
    assert (await error(http, ASSIGN, id=enrolment_id, input=responsibility()))["code"] == "FORBIDDEN"


async def test_the_escalation_path_goes_up_one_stage_at_a_time_and_stops_at_the_top(
    http: httpx.AsyncClient, token_for: TokenFor, cases: Cases
) -> None:
    _, enrolment_id = await enrolled(http, token_for, cases.backlog_a)
    # no unit yet: nobody has found it beyond them
    assert (await error(http, ESCALATE, id=enrolment_id, reason="无力化解"))["code"] == "BAD_USER_INPUT"
    await gql(http, ASSIGN, id=enrolment_id, input=responsibility("PMC-A"))

    # the unit hands it up to the coordination centre, with its reason
    act_as(http, token_for("PMC-A"))
    assert (await error(http, ESCALATE, id=enrolment_id, reason=" "))["field"] == "reason"
    up = (await gql(http, ESCALATE, id=enrolment_id, reason="涉及多部门职责,本级无力化解"))["escalateCampaignCase"]
    assert up["stage"] == "COORDINATION_CENTRE"
    # past the centre only a centre takes it; another agency not at all
    assert (await error(http, ESCALATE, id=enrolment_id, reason="仍无法化解"))["code"] == "FORBIDDEN"
    act_as(http, token_for("COURT"))
    assert (await error(http, ESCALATE, id=enrolment_id, reason="仍无法化解"))["code"] == "FORBIDDEN"
    act_as(http, token_for("CC"))
    top = (await gql(http, ESCALATE, id=enrolment_id, reason="确有重大困难,报区委区政府"))["escalateCampaignCase"]
    assert top["stage"] == "PARTY_GOVERNMENT"
    assert (await error(http, ESCALATE, id=enrolment_id, reason="再上报"))["code"] == "BAD_USER_INPUT"

    assert [(s["kind"], s["stage"], s["agency"]["code"]) for s in top["steps"]] == [
        ("ENROLLED", "UNIT", "CC"), ("ASSIGNED", "UNIT", "CC"), ("ESCALATED", "COORDINATION_CENTRE", "PMC-A"),
        ("ESCALATED", "PARTY_GOVERNMENT", "CC")]
    assert "本级无力化解" in top["steps"][2]["text"] and "报区委区政府" in top["steps"][3]["text"]


async def test_a_case_is_cleared_once_with_an_outcome_its_records_bear_out(
    http: httpx.AsyncClient, token_for: TokenFor, cases: Cases
) -> None:
    _, enrolment_id = await enrolled(http, token_for, cases.backlog_a)
    await gql(http, ASSIGN, id=enrolment_id, input=responsibility("PMC-A"))
    act_as(http, token_for("COURT"))
    assert (await error(http, CLEAR, id=enrolment_id, outcome="PETITION_ENDED", note="已息诉"))["code"] == "FORBIDDEN"

    act_as(http, token_for("PMC-A"))
    # the case is still open: "resolved" needs its records to say so
    refused = await error(http, CLEAR, id=enrolment_id, outcome="RESOLVED", note="双方达成协议")
    assert (refused["code"], refused["field"]) == ("BAD_USER_INPUT", "outcome")
    await resolve(cases.backlog_a)
    cleared = (await gql(http, CLEAR, id=enrolment_id, outcome="RESOLVED", note="双方达成协议并履行"))["clearCampaignCase"]
    assert (cleared["cleared"], cleared["clearance"]) == (
        True, {"outcome": "RESOLVED", "note": "双方达成协议并履行", "by": {"code": "PMC-A"}})
    assert cleared["steps"][-1]["kind"] == "CLEARED"

    # cleared is final: no second clearance, no escalation, no new responsibility
    assert (await error(http, CLEAR, id=enrolment_id, outcome="CONCLUDED", note="再次"))["code"] == "BAD_USER_INPUT"
    assert (await error(http, ESCALATE, id=enrolment_id, reason="再上报"))["code"] == "BAD_USER_INPUT"
    act_as(http, token_for("CC"))
    assert (await error(http, ASSIGN, id=enrolment_id, input=responsibility()))["code"] == "BAD_USER_INPUT"


async def test_two_centres_acting_on_one_enrolment_at_once_lose_no_step(
    http: httpx.AsyncClient, token_for: TokenFor, cases: Cases
) -> None:
    _, enrolment_id = await enrolled(http, token_for, cases.backlog_a)
    await gql(http, ASSIGN, id=enrolment_id, input=responsibility("PMC-A"))
    raw = object_id(enrolment_id, "CampaignEnrolment")

    async def escalate(n: int) -> str:
        try:
            await campaign_service.escalate(enrolment_id=raw, reason=f"第{n}次", agency_code="CC", user="u")  # type: ignore[arg-type]
        except Conflict:
            return "CONFLICT"
        return "OK"

    outcomes = await asyncio.gather(escalate(1), escalate(2))
    stored = await Enrolment.get(raw)
    assert stored is not None
    escalations = [s for s in stored.steps if s.kind == "ESCALATED"]
    # each success is in the history and the stage matches it: a concurrent write never overwrote another
    assert len(escalations) == outcomes.count("OK") >= 1
    assert stored.stage == [EscalationStage.COORDINATION_CENTRE, EscalationStage.PARTY_GOVERNMENT][len(escalations) - 1]


async def test_a_unit_escalating_twice_at_once_never_takes_a_case_past_the_centre(
    http: httpx.AsyncClient, token_for: TokenFor, cases: Cases
) -> None:
    # the permission class checks a read made before either write; the service checks what it changes
    _, enrolment_id = await enrolled(http, token_for, cases.backlog_a)
    await gql(http, ASSIGN, id=enrolment_id, input=responsibility("PMC-A"))
    act_as(http, token_for("PMC-A"))
    answers = await asyncio.gather(*(post(http, ESCALATE, id=enrolment_id, reason=f"第{n}次上报") for n in range(4)))
    codes = sorted(a["errors"][0]["extensions"]["code"] if a.get("errors") else "OK" for a in answers)
    assert codes.count("OK") == 1 and set(codes) <= {"OK", "CONFLICT", "FORBIDDEN"}, codes
    stored = await Enrolment.get(object_id(enrolment_id, "CampaignEnrolment"))
    assert stored is not None and stored.stage is EscalationStage.COORDINATION_CENTRE
    assert [s.kind.value for s in stored.steps] == ["ENROLLED", "ASSIGNED", "ESCALATED"]


# --- figures, lists and warnings ---------------------------------------------------------------------------


async def test_progress_counts_enrolled_cleared_overdue_and_the_clearance_rate_by_township_level_and_kind(
    http: httpx.AsyncClient, token_for: TokenFor, cases: Cases
) -> None:
    created = await campaign(http, token_for)
    result = await enrol(http, created["id"], cases.backlog_a, cases.backlog_b)
    [a, b] = [r["enrolment"]["id"] for r in result["results"]]
    await enrol(http, created["id"], cases.backlog_a2, kind="NAIL", historicalLegacy=True)  # a third, of another kind
    await gql(http, ASSIGN, id=a, input=responsibility("PMC-A", deadline=TODAY))
    await gql(http, ASSIGN, id=b, input=responsibility("HRSS"))
    await gql(http, CLEAR, id=b, outcome="PETITION_ENDED", note="当事人书面承诺息诉罢访")

    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    report = (await gql(http, PROGRESS, id=created["id"], groupBy=["TOWNSHIP"], on=tomorrow))["campaignProgress"]
    assert report["total"] == {"enrolled": 3, "assigned": 2, "unassigned": 1, "escalated": 0, "cleared": 1,
                               "overdue": 1, "historicalLegacy": 1, "clearanceRate": pytest.approx(1 / 3)}
    by_township = {g["key"]["township"]["code"]: g for g in report["groups"]}
    assert by_township["510199001"]["figures"] == {"enrolled": 2, "cleared": 0, "overdue": 1, "unassigned": 1,
                                                   "clearanceRate": 0.0}
    assert by_township["510199002"]["figures"]["clearanceRate"] == 1.0
    assert by_township["510199001"]["key"]["label"] == "柳林镇"
    # on the deadline itself nothing is overdue yet
    assert (await gql(http, PROGRESS, id=created["id"]))["campaignProgress"]["total"]["overdue"] == 0

    by_level_kind = (await gql(http, PROGRESS, id=created["id"], groupBy=["LEVEL", "KIND"]))["campaignProgress"]["groups"]
    assert {(g["key"]["level"], g["key"]["kind"]): g["figures"]["enrolled"] for g in by_level_kind} == {
        ("TOWNSHIP", "ACCUMULATED"): 1, ("DISTRICT", "ACCUMULATED"): 1, (None, "NAIL"): 1}
    assert {g["key"]["label"] for g in by_level_kind} == {"乡镇(街道)级 / 积案", "区级 / 积案", "未明确责任 / 钉子案"}


async def test_a_centre_lists_every_enrolment_and_a_unit_only_its_own(
    http: httpx.AsyncClient, token_for: TokenFor, cases: Cases
) -> None:
    created = await campaign(http, token_for)
    result = await enrol(http, created["id"], cases.backlog_a, cases.backlog_a2, cases.backlog_b)
    ids = [r["enrolment"]["id"] for r in result["results"]]
    await gql(http, ASSIGN, id=ids[2], input=responsibility("HRSS"))

    first = (await gql(http, ENROLMENTS, id=created["id"], first=2))["campaignEnrolments"]
    rest = (await gql(http, ENROLMENTS, id=created["id"], first=2, after=first["pageInfo"]["endCursor"]))["campaignEnrolments"]
    numbers = [n["caseNo"] for n in first["nodes"] + rest["nodes"]]
    assert numbers == sorted([cases.backlog_a, cases.backlog_a2, cases.backlog_b]) and first["totalCount"] == 3
    assert first["pageInfo"]["hasNextPage"] and not rest["pageInfo"]["hasNextPage"]
    township_b = (await gql(http, ENROLMENTS, id=created["id"], township="510199002"))["campaignEnrolments"]
    assert [n["caseNo"] for n in township_b["nodes"]] == [cases.backlog_b]

    act_as(http, token_for("HRSS"))
    own = (await gql(http, ENROLMENTS, id=created["id"]))["campaignEnrolments"]
    # its own only; and the case itself stays under the case policy (HRSS has no part in it)
    assert (own["totalCount"], [n["caseNo"] for n in own["nodes"]], own["nodes"][0]["case"]) == (1, [cases.backlog_b], None)
    assert [t["caseNo"] for t in (await gql(http, TASKS, cleared=False))["campaignTasks"]] == [cases.backlog_b]
    assert (await gql(http, ONE, id=ids[2]))["campaignEnrolment"]["caseNo"] == cases.backlog_b
    assert (await error(http, ONE, id=ids[0]))["code"] == "FORBIDDEN"
    node = await post(http, """query($id: ID!) { node(id: $id) { id } }""", id=ids[0])
    assert node["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_township_centre_lists_its_township_s_cases_and_an_outside_agency_none(
    http: httpx.AsyncClient, token_for: TokenFor, cases: Cases
) -> None:
    created = await campaign(http, token_for)
    await enrol(http, created["id"], cases.backlog_a, cases.backlog_b)
    act_as(http, token_for("CC-A"))
    own = (await gql(http, ENROLMENTS, id=created["id"]))["campaignEnrolments"]
    assert [n["caseNo"] for n in own["nodes"]] == [cases.backlog_a]  # township A's, not B's

    act_as(http, token_for("CC-A"))
    township = (await gql(http, CREATE, input=campaign_input(region=TOWNSHIP_A)))["createCampaign"]
    await enrol(http, township["id"], cases.backlog_a)
    act_as(http, token_for("PMC-B"))  # township B: outside township A's campaign
    assert (await error(http, ENROLMENTS, id=township["id"]))["code"] == "FORBIDDEN"
    assert (await http.get("/exports/campaign.xlsx", params={"id": township["id"]})).status_code == 403


async def test_the_responsible_unit_is_an_agency_inside_the_campaign_s_region(
    http: httpx.AsyncClient, token_for: TokenFor, cases: Cases
) -> None:
    act_as(http, token_for("CC-A"))
    township = (await gql(http, CREATE, input=campaign_input(region=TOWNSHIP_A)))["createCampaign"]
    [result] = (await enrol(http, township["id"], cases.backlog_a))["results"]
    refused = await error(http, ASSIGN, id=result["enrolment"]["id"], input=responsibility("PMC-B"))
    assert (refused["code"], refused["field"]) == ("BAD_USER_INPUT", "unitCode")
    assert (await gql(http, ASSIGN, id=result["enrolment"]["id"], input=responsibility("PMC-A")))


async def test_overdue_and_unassigned_enrolments_raise_warnings_for_their_units(
    http: httpx.AsyncClient, token_for: TokenFor, cases: Cases
) -> None:
    created = await campaign(http, token_for)
    result = await enrol(http, created["id"], cases.backlog_a, cases.backlog_b)
    [a, _] = [r["enrolment"]["id"] for r in result["results"]]
    await gql(http, ASSIGN, id=a, input=responsibility("PMC-A", deadline=TODAY))

    now = datetime.now(timezone.utc)
    assert (await gql(http, WARNINGS, asOf=now.isoformat()))["earlyWarnings"] == []  # too soon for either
    later = (now + timedelta(days=10)).isoformat()
    warnings = {w["rule"]: w for w in (await gql(http, WARNINGS, asOf=later))["earlyWarnings"]}
    assert set(warnings) == {"CAMPAIGN_OVERDUE", "CAMPAIGN_UNASSIGNED"}
    overdue = warnings["CAMPAIGN_OVERDUE"]
    assert (overdue["caseNo"], overdue["severity"], overdue["responsibleAgency"]) == (
        cases.backlog_a, "HIGH", {"code": "PMC-A"})
    assert "王主任" in overdue["reason"] and "逾期" in overdue["reason"]
    assert warnings["CAMPAIGN_UNASSIGNED"]["caseNo"] == cases.backlog_b
    # overdue from the district's next day: 01:00 in Beijing is still the deadline's day in UTC
    next_morning = datetime.combine(TODAY + timedelta(days=1), time(1), SHANGHAI)
    assert [w["rule"] for w in (await gql(http, WARNINGS, asOf=next_morning.isoformat()))["earlyWarnings"]
            if w["caseNo"] == cases.backlog_a] == ["CAMPAIGN_OVERDUE"]
    much_later = (now + timedelta(days=45)).isoformat()
    assert {w["rule"]: w["severity"] for w in (await gql(http, WARNINGS, asOf=much_later))["earlyWarnings"]}[
        "CAMPAIGN_OVERDUE"] == "CRITICAL"

    # a cleared case warns no more
    act_as(http, token_for("PMC-A"))
    await gql(http, CLEAR, id=a, outcome="CONCLUDED", note="依法终结")
    act_as(http, token_for("CC"))
    assert [w["rule"] for w in (await gql(http, WARNINGS, asOf=later))["earlyWarnings"]] == ["CAMPAIGN_UNASSIGNED"]


async def test_the_brief_has_a_section_with_each_running_campaign_s_progress(
    http: httpx.AsyncClient, token_for: TokenFor, cases: Cases
) -> None:
    created = await campaign(http, token_for)
    result = await enrol(http, created["id"], cases.backlog_a, cases.backlog_b)
    b = result["results"][1]["enrolment"]["id"]
    await gql(http, ASSIGN, id=b, input=responsibility("HRSS"))
    await gql(http, CLEAR, id=b, outcome="PETITION_ENDED", note="息诉罢访")

    month = TODAY.strftime("%Y-%m")
    html = await report_service.region_report(region_code="510199", month=month, thresholds=Thresholds(),
                                              now=datetime.now(timezone.utc))
    section = html[html.index('<section id="campaigns">'):html.index("</section>", html.index('<section id="campaigns">'))]
    assert "攻坚破难·清仓消案进展" in section and "2026年矛盾纠纷攻坚破难专项行动" in section
    assert "劳动争议、征地拆迁" in section and "50.0%" in section
    assert "柳林镇" in section and "清河街道" in section  # by township
    # a month before the campaign began: no such section content
    before = (TODAY.replace(day=1) - timedelta(days=40)).strftime("%Y-%m")
    earlier = await report_service.region_report(region_code="510199", month=before, thresholds=Thresholds(),
                                                 now=datetime.now(timezone.utc))
    assert "本期无攻坚破难专项行动" in earlier


async def test_every_campaign_mutation_is_in_the_audit_trail(
    http: httpx.AsyncClient, token_for: TokenFor, cases: Cases
) -> None:
    _, enrolment_id = await enrolled(http, token_for, cases.backlog_a)
    await gql(http, ASSIGN, id=enrolment_id, input=responsibility("PMC-A"))
    await gql(http, ESCALATE, id=enrolment_id, reason="本级无力化解")
    entries = await AuditEntry.find({"agency_code": "CC", "outcome": "OK"}).to_list()
    operations = [e.operation for e in entries]
    for name in ("createCampaign", "enrolCampaignCases", "assignCampaignResponsibility", "escalateCampaignCase"):
        assert name in operations
    enrolment_entry = next(e for e in entries if e.operation == "enrolCampaignCases")
    assert enrolment_entry.target_ids == [cases.backlog_a]


async def test_the_case_view_shows_the_campaigns_a_case_is_in_to_whoever_sees_the_case(
    http: httpx.AsyncClient, token_for: TokenFor, cases: Cases
) -> None:
    _, enrolment_id = await enrolled(http, token_for, cases.backlog_a)
    await gql(http, ASSIGN, id=enrolment_id, input=responsibility("HRSS"))
    view = """query($no: String!) { case(caseNo: $no) { campaignEnrolments {
      id kind stage responsibility { unit { code } } campaign { name } } } }"""
    # PMC-A wrote the case's records: it sees the case, so the enrolment on it, though HRSS answers for it
    act_as(http, token_for("PMC-A"))
    [shown] = (await gql(http, view, no=cases.backlog_a))["case"]["campaignEnrolments"]
    assert (shown["id"], shown["kind"], shown["responsibility"]["unit"], shown["campaign"]["name"]) == (
        enrolment_id, "ACCUMULATED", {"code": "HRSS"}, "2026年矛盾纠纷攻坚破难专项行动")
    assert (await gql(http, ONE, id=enrolment_id))["campaignEnrolment"]["id"] == enrolment_id
    # a case in no campaign shows none
    assert (await gql(http, view, no=cases.backlog_a2))["case"]["campaignEnrolments"] == []
    # and PMC-A, not the responsible unit, may not clear it
    assert (await error(http, CLEAR, id=enrolment_id, outcome="CONCLUDED", note="终结"))["code"] == "FORBIDDEN"


async def test_the_campaign_ledger_exports_to_excel_for_whoever_reads_the_enrolments(
    http: httpx.AsyncClient, token_for: TokenFor, cases: Cases
) -> None:
    created = await campaign(http, token_for)
    result = await enrol(http, created["id"], cases.backlog_a, cases.backlog_b, kind="NAIL", note="=1+1 不是公式")
    [a, b] = [r["enrolment"]["id"] for r in result["results"]]
    await gql(http, ASSIGN, id=a, input=responsibility("PMC-A"))
    await gql(http, ASSIGN, id=b, input=responsibility("HRSS"))
    await gql(http, CLEAR, id=b, outcome="PETITION_ENDED", note="息诉罢访")

    response = await http.get("/exports/campaign.xlsx", params={"id": created["id"]})
    assert response.status_code == 200, response.text
    sheet = load_workbook(io.BytesIO(response.content))["清仓台账"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("案件编号", "乡镇(街道)", "纠纷类型", "甄别分类", "历史遗留", "甄别意见")
    by_no = {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
    assert set(by_no) == {cases.backlog_a, cases.backlog_b}
    first = by_no[cases.backlog_a]
    assert (first["乡镇(街道)"], first["纠纷类型"], first["甄别分类"], first["甄别意见"], first["责任层级"],
            first["责任单位"], first["状态"]) == ("柳林镇", "劳动争议", "钉子案", "=1+1 不是公式", "乡镇(街道)级",
                                                "柳林镇人民调解委员会", "在办")
    assert first["化解时限"].date() == ENDS  # a date cell, not text
    assert (by_no[cases.backlog_b]["状态"], by_no[cases.backlog_b]["消案结果"]) == ("已消案", "息诉罢访")
    assert sheet["F2"].data_type == "s"  # a note starting with `=` stays text

    # a unit gets its own cases only; an agency outside the region gets nothing
    act_as(http, token_for("HRSS"))
    own = load_workbook(io.BytesIO((await http.get("/exports/campaign.xlsx", params={"id": created["id"]})).content))
    assert [r[0] for r in own["清仓台账"].iter_rows(min_row=2, values_only=True)] == [cases.backlog_b]
    assert (await http.get("/exports/campaign.xlsx")).status_code == 400


async def test_an_empty_campaign_id_is_bad_user_input(http: httpx.AsyncClient) -> None:
    # Found by fuzzing (tests/system/test_fuzz.py): `campaignId: ""` fell through to no id at all (INTERNAL_SERVER_ERROR).
    body = (await http.post("/graphql", json={"query": ENROL, "variables": {"id": "", "cases": []}})).json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
