"""Handovers as a workflow over GraphQL and ingestion: hand over, accept or return, every illegal step, the race,
the lists, the case view, and the deadline warning."""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from hub.audit.models import AuditEntry
from hub.cases.models import Case
from hub.ingest import service as ingest_service
from schema.relay import from_global_id
from tests.conftest import TokenFor, act_as
from tests.factories import batch, days, party, record
from tests.graphql import first_error, gql, post
from tests.scenarios import KEYS, ingest

_serial = itertools.count(1)
HANDOVER = """id status mode accepted acceptedAt answeredAt acceptBy overdue reason returnReason
  from { code } to { code } case { caseNo leadAgency { code } } record { id kind summary }"""
HAND_OVER = f"""mutation($input: HandOverInput!) {{ handOverCase(input: $input) {{ {HANDOVER} }} }}"""
ACCEPT = f"""mutation($id: ID!) {{ acceptHandover(id: $id) {{ {HANDOVER} }} }}"""
RETURN = f"""mutation($id: ID!, $reason: String!) {{ returnHandover(id: $id, reason: $reason) {{ {HANDOVER} }} }}"""
INBOX = """query($status: HandoverStatus) { handoverInbox(status: $status) { id status case { caseNo } } }"""
SENT = """query($status: HandoverStatus) { handoversSent(status: $status) { id status to { code } } }"""
CASE = """query($no: String!) { case(caseNo: $no) { leadAgency { code } handovers { id status to { code } returnReason }
  timeline { nodes { kind agency { code } } } } }"""
WARNINGS = """query($asOf: DateTime) { earlyWarnings(region: "510199", asOf: $asOf, rules: [HANDOVER_UNANSWERED, HANDOVER_CHURN]) {
  rule caseNo responsibleAgency { code } reason } }"""


async def a_case(agency: str = "PMC-A") -> str:
    """A case the agency accepted (it leads it)."""
    n = next(_serial)
    [outcome] = await ingest(batch(agency, record(f"ho-{n}", "INTAKE", at=datetime.now(timezone.utc) - days(30),
                                                  parties=[party(f"当事人甲{n}", phone=f"1370000{n:04d}")])))
    return outcome.results[0].case_no or ""


@pytest.fixture
async def case_no(district: AsyncDatabase) -> str:
    return await a_case()


def hand_over_input(case_no: str, **extra: Any) -> dict[str, Any]:
    return {"caseNo": case_no, "toAgency": "HRSS", "mode": "TRANSFER", "reason": "属劳动保障部门职责", **extra}


async def handed(http: httpx.AsyncClient, token_for: TokenFor, case_no: str, **extra: Any) -> dict[str, Any]:
    act_as(http, token_for("PMC-A"))
    return (await gql(http, HAND_OVER, input=hand_over_input(case_no, **extra)))["handOverCase"]


# --- the workflow -----------------------------------------------------------------------------------------


async def test_a_handover_waits_for_the_receiver_which_sees_it_in_its_inbox(
    http: httpx.AsyncClient, token_for: TokenFor, case_no: str
) -> None:
    deadline = (datetime.now(timezone.utc) + timedelta(days=3)).replace(microsecond=0)
    sent = await handed(http, token_for, case_no, mode="ASSIGN", acceptBy=deadline.isoformat())
    assert (sent["status"], sent["mode"], sent["accepted"], sent["from"], sent["to"], sent["overdue"]) == (
        "PENDING", "ASSIGN", None, {"code": "PMC-A"}, {"code": "HRSS"}, False)
    assert datetime.fromisoformat(sent["acceptBy"]) == deadline
    assert sent["record"]["kind"] == "HANDOVER" and "交办" in sent["record"]["summary"]
    assert [h["id"] for h in (await gql(http, SENT))["handoversSent"]] == [sent["id"]]

    act_as(http, token_for("HRSS"))
    inbox = (await gql(http, INBOX))["handoverInbox"]
    assert [(h["id"], h["case"]["caseNo"]) for h in inbox] == [(sent["id"], case_no)]  # it may see the case now
    assert (await gql(http, INBOX))["handoverInbox"] and not (await gql(http, SENT))["handoversSent"]
    audited = await AuditEntry.find({"operation": "handOverCase", "agency_code": "PMC-A"}).count()
    assert audited == 1


async def test_accepting_makes_the_receiver_responsible_and_is_final(
    http: httpx.AsyncClient, token_for: TokenFor, case_no: str
) -> None:
    sent = await handed(http, token_for, case_no)
    act_as(http, token_for("HRSS"))
    accepted = (await gql(http, ACCEPT, id=sent["id"]))["acceptHandover"]
    assert (accepted["status"], accepted["accepted"], accepted["case"]["leadAgency"]) == (
        "ACCEPTED", True, {"code": "HRSS"})
    assert accepted["answeredAt"] and accepted["acceptedAt"] == accepted["answeredAt"]
    assert (await gql(http, INBOX))["handoverInbox"] == []
    view = (await gql(http, CASE, no=case_no))["case"]
    assert view["leadAgency"] == {"code": "HRSS"}
    assert [(e["kind"], e["agency"]["code"]) for e in view["timeline"]["nodes"]][-2:] == [
        ("HANDOVER", "PMC-A"), ("HANDOVER_RESPONSE", "HRSS")]

    for query, variables in ((ACCEPT, {}), (RETURN, {"reason": "改变主意"})):
        refused = await first_error(http, query, id=sent["id"], **variables)
        assert (refused["code"], refused["reason"]) == ("BAD_USER_INPUT", "HANDOVER_ALREADY_ANSWERED")


async def test_returning_sends_the_case_back_to_the_sender_with_the_reason(
    http: httpx.AsyncClient, token_for: TokenFor, case_no: str
) -> None:
    sent = await handed(http, token_for, case_no)
    act_as(http, token_for("HRSS"))
    assert (await first_error(http, RETURN, id=sent["id"], reason="  "))["field"] == "reason"
    returned = (await gql(http, RETURN, id=sent["id"], reason="不属于劳动争议,应由属地调解"))["returnHandover"]
    assert (returned["status"], returned["accepted"], returned["returnReason"], returned["case"]) == (
        "RETURNED", False, "不属于劳动争议,应由属地调解", {"caseNo": case_no, "leadAgency": {"code": "PMC-A"}})
    act_as(http, token_for("PMC-A"))
    assert (await gql(http, SENT, status="RETURNED"))["handoversSent"][0]["id"] == sent["id"]
    assert (await gql(http, CASE, no=case_no))["case"]["handovers"][0]["returnReason"] == "不属于劳动争议,应由属地调解"
    # returned, the sender may hand it to the same agency again
    again = await handed(http, token_for, case_no, reason="经核实确属劳动争议")
    assert again["status"] == "PENDING" and again["id"] != sent["id"]


async def test_only_the_receiver_answers_a_handover(http: httpx.AsyncClient, token_for: TokenFor, case_no: str) -> None:
    sent = await handed(http, token_for, case_no)
    for agency in ("PMC-A", "CC"):  # the sender, even the district centre
        act_as(http, token_for(agency))
        assert (await first_error(http, ACCEPT, id=sent["id"]))["code"] == "FORBIDDEN"
    act_as(http, token_for("COURT"))  # an agency that may not see the case learns nothing of the handover
    assert (await first_error(http, ACCEPT, id=sent["id"]))["code"] == "NOT_FOUND"
    act_as(http, token_for("HRSS"))
    assert (await first_error(http, ACCEPT, id="UmVjb3JkOm5vcGU="))["code"] == "NOT_FOUND"  # Record:nope


@pytest.mark.parametrize(("change", "field", "code"), [
    ({"toAgency": "PMC-A"}, "toAgency", "BAD_USER_INPUT"),
    ({"toAgency": "NOPE"}, "details.toAgency", "BAD_USER_INPUT"),
    ({"reason": " "}, "reason", "BAD_USER_INPUT"),
    ({"acceptBy": "2026-01-01T00:00:00+08:00"}, "acceptBy", "BAD_USER_INPUT"),
    ({"caseNo": "JF2026999999"}, None, "NOT_FOUND"),
])
async def test_a_bad_handover_is_refused_and_nothing_is_written(
    http: httpx.AsyncClient, token_for: TokenFor, case_no: str, change: dict[str, Any], field: str | None, code: str
) -> None:
    act_as(http, token_for("PMC-A"))
    refused = await first_error(http, HAND_OVER, input=hand_over_input(case_no, **change))
    assert (refused["code"], refused.get("field")) == (code, field)
    case = await Case.find_one({"case_no": case_no})
    assert case is not None and case.handed_to == [] and case.pending_handovers == 0


async def test_a_case_cannot_be_handed_over_by_an_agency_without_a_part_in_it_nor_twice_while_pending(
    http: httpx.AsyncClient, token_for: TokenFor, case_no: str
) -> None:
    act_as(http, token_for("COURT"))
    assert (await first_error(http, HAND_OVER, input=hand_over_input(case_no)))["code"] == "NOT_FOUND"
    await handed(http, token_for, case_no)
    refused = await first_error(http, HAND_OVER, input=hand_over_input(case_no))
    assert (refused["code"], refused["reason"]) == ("BAD_USER_INPUT", "HANDOVER_PENDING")


async def test_of_an_accept_and_a_return_sent_at_once_exactly_one_wins(
    http: httpx.AsyncClient, token_for: TokenFor, case_no: str
) -> None:
    sent = await handed(http, token_for, case_no)
    act_as(http, token_for("HRSS"))
    answers = await asyncio.gather(post(http, ACCEPT, id=sent["id"]), post(http, RETURN, id=sent["id"], reason="退回"),
                                   post(http, ACCEPT, id=sent["id"]))
    won = [a for a in answers if not a.get("errors")]
    lost = [a["errors"][0]["extensions"] for a in answers if a.get("errors")]
    assert len(won) == 1, answers
    assert all(e["code"] == "CONFLICT" or e.get("reason") == "HANDOVER_ALREADY_ANSWERED" for e in lost), lost
    winner = next(iter(won[0]["data"].values()))
    view = (await gql(http, CASE, no=case_no))["case"]
    assert [h["status"] for h in view["handovers"]] == [winner["status"]]
    assert [e["kind"] for e in view["timeline"]["nodes"]].count("HANDOVER_RESPONSE") == 1


# --- agencies' own systems ---------------------------------------------------------------------------------


async def test_records_from_agencies_systems_fit_the_same_states(district: AsyncDatabase) -> None:
    case_no = await a_case()
    at = datetime.now(timezone.utc) - days(5)
    await ingest(batch("PMC-A", record("sys-h1", "HANDOVER", at=at, caseNo=case_no, details={"toAgency": "HRSS"}),
                       record("sys-h2", "HANDOVER", at=at, caseNo=case_no, details={"toAgency": "MKT"}),
                       record("sys-h3", "HANDOVER", at=at, caseNo=case_no,
                              details={"toAgency": "COURT", "accepted": True, "acceptedAt": at.isoformat()})))

    def answer(source_id: str, handover: str, decision: str, **details: Any) -> dict[str, Any]:
        return record(source_id, "HANDOVER_RESPONSE", at=at + days(1), caseNo=case_no,
                      details={"handoverId": f"PMC-A-SYS|{handover}", "decision": decision, **details})

    by_hrss = await ingest_service.ingest(keys=KEYS, batch=batch(
        "HRSS", answer("r1", "sys-h1", "RETURNED"),  # no reason
        answer("r2", "sys-h2", "ACCEPTED"),  # not addressed to HRSS
        answer("r3", "nope", "ACCEPTED"), answer("r4", "sys-h1", "ACCEPTED"),
        answer("r5", "sys-h1", "RETURNED", reason="再答一次")))
    codes = [[e.code for e in r.errors] for r in by_hrss.results]
    assert codes == [["REASON_REQUIRED"], ["HANDOVER_NOT_ADDRESSED"], ["HANDOVER_NOT_FOUND"], [],
                     ["HANDOVER_ALREADY_ANSWERED"]]
    case = await Case.find_one({"case_no": case_no})
    assert case is not None
    # HRSS accepted by its system (so it leads), MKT's is pending, COURT's was accepted on the handover itself
    assert (case.lead_agency_code, case.pending_handovers, case.unaccepted_handover_count) == ("HRSS", 1, 1)


# --- deadlines and churn ----------------------------------------------------------------------------------


async def test_an_unanswered_handover_past_its_deadline_warns_the_region_until_answered(
    http: httpx.AsyncClient, token_for: TokenFor, case_no: str
) -> None:
    deadline = datetime.now(timezone.utc) + timedelta(days=2)
    sent = await handed(http, token_for, case_no, acceptBy=deadline.isoformat())
    act_as(http, token_for("CC"))
    assert (await gql(http, WARNINGS))["earlyWarnings"] == []
    later = (deadline + timedelta(days=1)).isoformat()
    [warning] = (await gql(http, WARNINGS, asOf=later))["earlyWarnings"]
    assert (warning["rule"], warning["caseNo"], warning["responsibleAgency"]) == (
        "HANDOVER_UNANSWERED", case_no, {"code": "HRSS"})
    assert "逾期" in warning["reason"]
    act_as(http, token_for("HRSS"))
    await gql(http, ACCEPT, id=sent["id"])
    act_as(http, token_for("CC"))
    assert (await gql(http, WARNINGS, asOf=later))["earlyWarnings"] == []


async def test_repeated_returns_raise_the_handover_churn_warning(
    http: httpx.AsyncClient, token_for: TokenFor, case_no: str
) -> None:
    for agency in ("HRSS", "MKT", "COURT"):
        sent = await handed(http, token_for, case_no, toAgency=agency)
        act_as(http, token_for(agency))
        await gql(http, RETURN, id=sent["id"], reason="不属于本单位职责")
    act_as(http, token_for("CC"))
    rules = [w["rule"] for w in (await gql(http, WARNINGS))["earlyWarnings"] if w["caseNo"] == case_no]
    assert rules == ["HANDOVER_CHURN"]



# --- what a review found: keys, revisions, order, settled cases ----------------------------------------------


async def test_no_agency_can_take_the_hub_s_answer_key_of_a_handover(
    http: httpx.AsyncClient, token_for: TokenFor, case_no: str
) -> None:
    sent = await handed(http, token_for, case_no)
    raw = sent["id"]
    squat = {"sourceSystem": "HUB-HANDOVERS", "agency": "MKT", "records": [
        record(f"answer-{from_global_id(raw)[1]}", "SCREENING", details={"screeningMode": "ROLLING"})]}
    act_as(http, token_for("MKT"))
    refused = await first_error(http, """mutation($input: IngestBatchInput!) { ingestRecords(input: $input) { created } }""",
                                input=squat)
    assert (refused["code"], refused["field"]) == ("BAD_USER_INPUT", "sourceSystem")
    act_as(http, token_for("HRSS"))
    assert (await gql(http, ACCEPT, id=raw))["acceptHandover"]["status"] == "ACCEPTED"


async def test_an_answer_is_final_and_a_record_is_revised_only_by_its_author(district: AsyncDatabase) -> None:
    case_no = await a_case()
    at = datetime.now(timezone.utc) - days(5)
    await ingest(batch("PMC-A", record("rv-h", "HANDOVER", at=at, caseNo=case_no, details={"toAgency": "HRSS"})))
    answer = {"caseNo": case_no, "details": {"handoverId": "PMC-A-SYS|rv-h", "decision": "ACCEPTED"}}
    await ingest(batch("HRSS", record("rv-a", "HANDOVER_RESPONSE", at=at + days(1), **answer)))

    def revised(agency: str, source_id: str, kind: str, system: str, **fields: Any) -> dict[str, Any]:
        return batch(agency, record(source_id, kind, at=at + days(1), sourceRevision=1, **fields), system=system)

    outcomes = [
        await ingest_service.ingest(keys=KEYS, batch=revised(
            "HRSS", "rv-a", "HANDOVER_RESPONSE", "HRSS-SYS", caseNo=case_no,
            details={"handoverId": "PMC-A-SYS|rv-h", "decision": "RETURNED", "reason": "改主意"})),
        await ingest_service.ingest(keys=KEYS, batch=revised("HRSS", "rv-a", "SCREENING", "HRSS-SYS", caseNo=case_no,
                                                             details={"screeningMode": "ROLLING"})),
        await ingest_service.ingest(keys=KEYS, batch=revised("MKT", "rv-a", "HANDOVER_RESPONSE", "HRSS-SYS",
                                                             **answer)),
        await ingest_service.ingest(keys=KEYS, batch=revised("PMC-A", "rv-h", "HANDOVER", "PMC-A-SYS", caseNo=case_no,
                                                             details={"toAgency": "MKT"})),
    ]
    assert [[e.code for e in o.results[0].errors] for o in outcomes] == [
        ["HANDOVER_ALREADY_ANSWERED"], ["KIND_CHANGED"], ["RECORD_NOT_YOURS"], ["HANDOVER_RECEIVER_CHANGED"]]
    case = await Case.find_one({"case_no": case_no})
    assert case is not None and case.lead_agency_code == "HRSS" and case.pending_handovers == 0


async def test_ingested_handovers_to_oneself_answers_before_their_handover_or_opening_cases_are_refused(
    district: AsyncDatabase,
) -> None:
    case_no = await a_case()
    at = datetime.now(timezone.utc) - days(5)
    cases_before = await Case.find_all().count()
    self_handover = await ingest_service.ingest(keys=KEYS, batch=batch(
        "PMC-A", record("sf-h", "HANDOVER", at=at, caseNo=case_no, details={"toAgency": "PMC-A"}),
        record("ok-h", "HANDOVER", at=at, caseNo=case_no, details={"toAgency": "HRSS"})))
    assert [[e.code for e in r.errors] for r in self_handover.results] == [["HANDOVER_TO_SELF"], []]
    answers = await ingest_service.ingest(keys=KEYS, batch=batch(
        "HRSS", record("early", "HANDOVER_RESPONSE", at=at - days(1), caseNo=case_no,
                       details={"handoverId": "PMC-A-SYS|ok-h", "decision": "ACCEPTED"}),
        record("opening", "HANDOVER_RESPONSE", at=at + days(1),
               details={"handoverId": "PMC-A-SYS|ok-h", "decision": "ACCEPTED"})))
    assert [[e.code for e in r.errors] for r in answers.results] == [["ANSWER_BEFORE_HANDOVER"], ["ANSWER_NEEDS_CASE"]]
    assert await Case.find_all().count() == cases_before  # a refused answer opens no case


async def test_a_return_leaves_the_lead_with_whoever_took_the_case_and_settled_cases_are_left_alone(
    http: httpx.AsyncClient, token_for: TokenFor, case_no: str
) -> None:
    to_hrss = await handed(http, token_for, case_no)
    to_mkt = await handed(http, token_for, case_no, toAgency="MKT")
    act_as(http, token_for("MKT"))
    await gql(http, ACCEPT, id=to_mkt["id"])
    act_as(http, token_for("HRSS"))
    returned = (await gql(http, RETURN, id=to_hrss["id"], reason="不属本单位"))["returnHandover"]
    assert returned["case"]["leadAgency"] == {"code": "MKT"}

    settled = await a_case()
    act_as(http, token_for("PMC-A"))
    await gql(http, HAND_OVER, input=hand_over_input(settled))
    await ingest(batch("PMC-A", record("settle", "CLOSURE", caseNo=settled, at=datetime.now(timezone.utc) - days(1),
                                       details={"outcome": "RESOLVED"})))
    refused = await first_error(http, HAND_OVER, input=hand_over_input(settled, toAgency="MKT"))
    assert (refused["code"], refused["reason"]) == ("BAD_USER_INPUT", "CASE_SETTLED")
    act_as(http, token_for("HRSS"))
    assert [h["case"]["caseNo"] for h in (await gql(http, INBOX))["handoverInbox"]] == []  # settled: off the list
