"""`updateReferral`: the next revision of the same record, by the agency that wrote it, with the same rules."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from hub.ingest import service as ingest_service
from hub.ingest.service import RecordStatus
from hub.keys.ring import KeyRing
from hub.records.models import Record
from schema.relay import to_global_id
from tests.conftest import TokenFor, act_as
from tests.factories import T0, batch, days, record
from tests.graphql import first_error, gql
from tests.referrals.wire import DECIDED_AT, FILED_AT, STATES, referral

pytestmark = pytest.mark.usefixtures("district")

REF_ID = to_global_id("Record", "PMC-A-SYS|ref-1")
UPDATE = """mutation($id: ID!, $input: UpdateReferralInput!) {
  updateReferral(recordId: $id, input: $input) {
    id sourceSystem sourceRevision referralTarget referralStatus body filedAt decidedAt referralOutcome
    case { caseNo status referralTarget referralStatus referralOutcome } } }"""
CASE = """query($caseNo: String!) { case(caseNo: $caseNo) { referralTarget referralStatus referralOutcome
  timeline { edges { node { ... on ReferralRecord { referralStatus filedAt decidedAt referralOutcome body } } } } } }"""


@pytest.fixture
async def case_no(keys: KeyRing) -> str:
    """PMC-A's system stored an intake and a referral (REFERRED) on one case."""
    results = (await ingest_service.ingest(batch=batch("PMC-A", record("in-1"), referral()), keys=keys)).results
    assert [r.status for r in results] == [RecordStatus.CREATED] * 2
    return str(results[0].case_no)


@pytest.fixture
def http(http: httpx.AsyncClient, token_for: TokenFor) -> httpx.AsyncClient:
    """As the people's mediation committee that wrote the referral."""
    return act_as(http, token_for("PMC-A"))


async def update(http: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    return (await gql(http, UPDATE, id=REF_ID, input=fields))["updateReferral"]


FILED = {"status": "FILED", "filedAt": FILED_AT, "body": "清河区人民法院立案庭"}
DECIDED = {"status": "DECIDED", "decidedAt": DECIDED_AT, "outcome": "PARTLY_UPHELD"}


async def test_filed_then_decided_through_the_mutation(http: httpx.AsyncClient, case_no: str) -> None:
    filed = await update(http, **FILED)

    assert (filed["sourceSystem"], filed["sourceRevision"], filed["referralStatus"]) == ("PMC-A-SYS", 1, "FILED")
    assert filed["body"] == "清河区人民法院立案庭" and filed["referralOutcome"] is None
    assert filed["case"] == {"caseNo": case_no, "status": "REFERRED", "referralTarget": "LITIGATION",
                             "referralStatus": "FILED", "referralOutcome": None}

    decided = await update(http, **DECIDED)

    assert (decided["sourceRevision"], decided["referralStatus"], decided["referralOutcome"]) == (2, "DECIDED",
                                                                                                 "PARTLY_UPHELD")
    assert decided["body"] == "清河区人民法院立案庭"  # kept: fields left out keep their value
    assert datetime.fromisoformat(decided["filedAt"]) == datetime.fromisoformat(FILED_AT)
    assert datetime.fromisoformat(decided["decidedAt"]) == datetime.fromisoformat(DECIDED_AT)
    assert decided["case"]["referralStatus"] == "DECIDED" and decided["case"]["referralOutcome"] == "PARTLY_UPHELD"
    shown = (await gql(http, CASE, caseNo=case_no))["case"]
    [ref] = [e["node"] for e in shown["timeline"]["edges"] if e["node"]]
    assert ref["referralStatus"] == "DECIDED" and ref["referralOutcome"] == "PARTLY_UPHELD"
    assert await Record.get_pymongo_collection().count_documents({"kind": "REFERRAL"}) == 1  # the same record


@pytest.mark.parametrize(("first", "then"), [
    ({}, {"status": "REFERRED"}),  # REFERRED → REFERRED: a correction
    ({}, FILED), ({}, {**DECIDED, "filedAt": FILED_AT}), ({}, DECIDED),  # REFERRED → DECIDED directly
    (FILED, {"status": "FILED", "body": "另一法庭"}), (FILED, DECIDED),
    ({**FILED, **DECIDED}, {"outcome": "SETTLED"}),  # DECIDED → DECIDED: the outcome corrected
])
async def test_every_legal_transition(http: httpx.AsyncClient, case_no: str, first: dict[str, Any],
                                      then: dict[str, Any]) -> None:
    if first:
        await update(http, **first)

    result = await update(http, **then)

    assert result["referralStatus"] == then.get("status", first.get("status", "REFERRED"))
    assert result["sourceRevision"] == (2 if first else 1)
    assert result["case"]["referralStatus"] == result["referralStatus"]


@pytest.mark.parametrize(("first", "then", "field", "reason"), [
    (FILED, {"status": "REFERRED"}, "status", "REFERRAL_STATUS_BACKWARDS"),
    ({**FILED, **DECIDED}, {"status": "FILED"}, "status", "REFERRAL_STATUS_BACKWARDS"),
    ({**FILED, **DECIDED}, {"status": "REFERRED"}, "status", "REFERRAL_STATUS_BACKWARDS"),
    ({}, {"status": "FILED", "filedAt": FILED_AT, "outcome": "UPHELD"}, "outcome",
     "REFERRAL_OUTCOME_WITHOUT_DECISION"),
    ({}, {"outcome": "UPHELD"}, "outcome", "REFERRAL_OUTCOME_WITHOUT_DECISION"),
    ({}, {"status": "DECIDED", "decidedAt": DECIDED_AT}, "outcome", "REFERRAL_OUTCOME_REQUIRED"),
    ({}, {"status": "DECIDED", "outcome": "UPHELD"}, "decidedAt", "REFERRAL_DECIDED_AT_REQUIRED"),
    ({}, {"status": "FILED"}, "filedAt", "REFERRAL_FILED_AT_REQUIRED"),
    (FILED, {**DECIDED, "decidedAt": (T0 + days(2)).isoformat()}, "decidedAt", "REFERRAL_DECIDED_BEFORE_FILED"),
    ({}, {"status": "FILED", "filedAt": (T0 - days(10)).isoformat()}, "filedAt", "REFERRAL_DATE_BEFORE_REFERRAL"),
    ({}, {"status": "FILED", "filedAt": (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()}, "filedAt",
     "TIMESTAMP_IN_FUTURE"),
    (FILED, {**DECIDED, "decidedAt": (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()}, "decidedAt",
     "TIMESTAMP_IN_FUTURE"),
    ({}, {"body": ""}, "body", "INVALID_STRING_TOO_SHORT"),
])
async def test_every_illegal_update_is_bad_user_input_with_its_field(
    http: httpx.AsyncClient, case_no: str, first: dict[str, Any], then: dict[str, Any], field: str, reason: str,
) -> None:
    if first:
        await update(http, **first)

    error = await first_error(http, UPDATE, id=REF_ID, input=then)

    assert (error["code"], error["field"], error["reason"]) == ("BAD_USER_INPUT", field, reason), error
    stored = await Record.get_pymongo_collection().find_one({"_id": "PMC-A-SYS|ref-1"})
    assert stored["source_revision"] == (1 if first else 0)  # nothing written


async def test_the_agency_system_continues_above_the_consoles_revision(
    http: httpx.AsyncClient, case_no: str, keys: KeyRing,
) -> None:
    await update(http, **FILED)  # revision 1

    same, back, on = (await ingest_service.ingest(batch=batch(
        "PMC-A", referral(revision=1, details=STATES["DECIDED"])), keys=keys)).results + \
        (await ingest_service.ingest(batch=batch("PMC-A", referral(revision=2)), keys=keys)).results + \
        (await ingest_service.ingest(batch=batch("PMC-A", referral(revision=3, details=STATES["DECIDED"])),
                                     keys=keys)).results

    assert same.status is RecordStatus.UNCHANGED
    assert back.status is RecordStatus.REJECTED and back.errors[0].code == "REFERRAL_STATUS_BACKWARDS"
    assert on.status is RecordStatus.UPDATED
    shown = (await gql(http, CASE, caseNo=case_no))["case"]
    assert (shown["referralStatus"], shown["referralOutcome"]) == ("DECIDED", "UPHELD")


@pytest.mark.parametrize(("agency", "why"), [
    ("CC", "only the agency that wrote"), ("CC-A", "only the agency that wrote"),  # centres above: see the case
    ("PMC-B", "no part in this case"), ("COURT", "no part in this case"),
])
async def test_only_the_agency_that_wrote_it_may_update_it(http: httpx.AsyncClient, token_for: TokenFor,
                                                           case_no: str, agency: str, why: str) -> None:
    act_as(http, token_for(agency))

    error = await first_error(http, UPDATE, id=REF_ID, input=FILED)

    assert error["code"] == "FORBIDDEN" and why in error["message"], error
    stored = await Record.get_pymongo_collection().find_one({"_id": "PMC-A-SYS|ref-1"})
    assert stored["source_revision"] == 0


async def test_a_case_the_caller_cannot_see_is_forbidden_with_its_reason(
        http: httpx.AsyncClient, token_for: TokenFor, case_no: str) -> None:
    act_as(http, token_for("PMC-B"))

    error = await first_error(http, UPDATE, id=REF_ID, input=FILED)

    assert error["code"] == "FORBIDDEN" and "no part in this case" in error["message"]


async def test_an_unknown_record_or_one_that_is_no_referral_is_not_found(http: httpx.AsyncClient,
                                                                       case_no: str) -> None:
    unknown = await first_error(http, UPDATE, id=to_global_id("Record", "PMC-A-SYS|nothing"), input=FILED)
    intake = await first_error(http, UPDATE, id=to_global_id("Record", "PMC-A-SYS|in-1"), input=FILED)
    wrong_type = await first_error(http, UPDATE, id=to_global_id("Case", "x"), input=FILED)

    assert unknown["code"] == intake["code"] == "NOT_FOUND"
    assert (wrong_type["code"], wrong_type["field"]) == ("BAD_USER_INPUT", "recordId")
