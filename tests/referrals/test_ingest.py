"""A referral's state through ingestion: every legal transition lands, every illegal one is rejected by code."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from hub.cases import service as case_service
from hub.cases.models import Case, CaseStatus
from hub.ingest import service as ingest_service
from hub.ingest.service import RecordStatus
from hub.keys.ring import KeyRing
from hub.records.models import Record
from tests.factories import T0, batch, days, record
from tests.referrals.wire import DECIDED_AT, FILED_AT, STATES, referral

pytestmark = pytest.mark.usefixtures("district")

ORDER = ["REFERRED", "FILED", "DECIDED"]
LEGAL = [(a, b) for a in ORDER for b in ORDER if ORDER.index(b) >= ORDER.index(a)]
ILLEGAL = [(a, b) for a in ORDER for b in ORDER if ORDER.index(b) < ORDER.index(a)]


async def push(keys: KeyRing, *records: dict[str, Any], agency: str = "PMC-A") -> list[Any]:
    return (await ingest_service.ingest(batch=batch(agency, *records), keys=keys)).results


async def opened(keys: KeyRing, details: dict[str, Any] | None = None) -> Any:
    """An intake opening a case, and a referral on it in the given state."""
    results = await push(keys, record("in-1"), referral(details=details))
    assert [r.status for r in results] == [RecordStatus.CREATED] * 2, [r.errors for r in results]
    return results[1]


def codes(result: Any) -> list[tuple[str, str]]:
    return [(e.path, e.code) for e in result.errors]


@pytest.mark.parametrize(("before", "after"), LEGAL)
async def test_a_revision_moves_the_state_forward_or_corrects_it(keys: KeyRing, before: str,
                                                                 after: str) -> None:
    first = await opened(keys, STATES[before])
    details = {**STATES[after], "body": "清河区人民法院诉调对接中心"}

    [result] = await push(keys, referral(revision=1, details=details))

    assert result.status is RecordStatus.UPDATED, result.errors
    stored = await Record.get_pymongo_collection().find_one({"_id": "PMC-A-SYS|ref-1"})
    assert stored["source_revision"] == 1 and stored["details"]["status"] == after
    assert stored["details"]["body"] == "清河区人民法院诉调对接中心"
    case = await Case.get(first.case_id)
    assert case is not None and case.status is CaseStatus.REFERRED
    assert (case.referral_target, case.referral_status) == ("LITIGATION", after)
    assert case.referral_outcome == ("UPHELD" if after == "DECIDED" else None)


@pytest.mark.parametrize(("before", "after"), ILLEGAL)
async def test_a_revision_that_takes_the_state_back_is_rejected(keys: KeyRing, before: str,
                                                                after: str) -> None:
    first = await opened(keys, STATES[before])

    [result] = await push(keys, referral(revision=1, details=STATES[after]))

    assert result.status is RecordStatus.REJECTED
    assert codes(result) == [("details.status", "REFERRAL_STATUS_BACKWARDS")]
    stored = await Record.get_pymongo_collection().find_one({"_id": "PMC-A-SYS|ref-1"})
    assert stored["source_revision"] == 0 and stored["details"]["status"] == before
    case = await Case.get(first.case_id)
    assert case is not None and case.referral_status == before


async def test_a_stale_revision_after_the_decision_is_a_replay_not_an_error(keys: KeyRing) -> None:
    await opened(keys)
    [decided] = await push(keys, referral(revision=2, details=STATES["DECIDED"]))
    assert decided.status is RecordStatus.UPDATED, decided.errors

    [stale] = await push(keys, referral(revision=1, details=STATES["FILED"]))

    assert stale.status is RecordStatus.UNCHANGED and stale.errors == []


async def test_a_new_referral_may_arrive_already_decided(keys: KeyRing) -> None:
    result = await opened(keys, {"target": "SETTLEMENT", "status": "DECIDED", "decidedAt": DECIDED_AT,
                                 "outcome": "SETTLED"})

    case = await Case.get(result.case_id)
    assert case is not None
    assert (case.referral_target, case.referral_status, case.referral_outcome) == ("SETTLEMENT", "DECIDED", "SETTLED")


FUTURE = (datetime.now(timezone.utc) + timedelta(days=3)).isoformat()
BEFORE_REFERRAL = (T0 - days(3)).isoformat()

INCONSISTENT: dict[str, tuple[dict[str, Any], list[tuple[str, str]]]] = {
    "an outcome before the decision": (
        {**STATES["FILED"], "outcome": "UPHELD"}, [("details.outcome", "REFERRAL_OUTCOME_WITHOUT_DECISION")]),
    "an outcome on a referral not yet filed": (
        {**STATES["REFERRED"], "outcome": "DISMISSED"}, [("details.outcome", "REFERRAL_OUTCOME_WITHOUT_DECISION")]),
    "DECIDED without an outcome": (
        {k: v for k, v in STATES["DECIDED"].items() if k != "outcome"},
        [("details.outcome", "REFERRAL_OUTCOME_REQUIRED")]),
    "DECIDED without decidedAt": (
        {k: v for k, v in STATES["DECIDED"].items() if k != "decidedAt"},
        [("details.decidedAt", "REFERRAL_DECIDED_AT_REQUIRED")]),
    "FILED without filedAt": (
        {"target": "ARBITRATION", "status": "FILED"}, [("details.filedAt", "REFERRAL_FILED_AT_REQUIRED")]),
    "filedAt while REFERRED": (
        {"target": "ARBITRATION", "filedAt": FILED_AT}, [("details.filedAt", "REFERRAL_DATE_WITHOUT_STATUS")]),
    "decidedAt while FILED": (
        {**STATES["FILED"], "decidedAt": DECIDED_AT}, [("details.decidedAt", "REFERRAL_DATE_WITHOUT_STATUS")]),
    "decided before filed": (
        {**STATES["DECIDED"], "filedAt": DECIDED_AT, "decidedAt": FILED_AT},
        [("details.decidedAt", "REFERRAL_DECIDED_BEFORE_FILED")]),
    "filed before the referral": (
        {**STATES["FILED"], "filedAt": BEFORE_REFERRAL}, [("details.filedAt", "REFERRAL_DATE_BEFORE_REFERRAL")]),
    "filed in the future": (
        {**STATES["FILED"], "filedAt": FUTURE}, [("details.filedAt", "TIMESTAMP_IN_FUTURE")]),
    "decided in the future": (
        {**STATES["DECIDED"], "decidedAt": FUTURE}, [("details.decidedAt", "TIMESTAMP_IN_FUTURE")]),
    "an unknown status": ({"target": "LITIGATION", "status": "CLOSED"}, [("details.status", "INVALID_ENUM")]),
    "an unknown outcome": (
        {**STATES["DECIDED"], "outcome": "WON"}, [("details.outcome", "INVALID_ENUM")]),
}


@pytest.mark.parametrize("case", list(INCONSISTENT), ids=list(INCONSISTENT))
async def test_an_inconsistent_state_is_rejected_new_or_revised(keys: KeyRing, case: str) -> None:
    details, expected = INCONSISTENT[case]
    await opened(keys)

    new, revised = await push(keys, referral("ref-new", details=details), referral(revision=1, details=details))

    assert new.status is RecordStatus.REJECTED and codes(new) == expected
    assert revised.status is RecordStatus.REJECTED and codes(revised) == expected
    assert await Record.get_pymongo_collection().count_documents({"_id": "PMC-A-SYS|ref-new"}) == 0


async def test_the_new_targets_are_accepted(keys: KeyRing) -> None:
    results = await push(keys, record("in-1"), referral("r-crim", details={"target": "CRIMINAL_RECONCILIATION",
                                                                           "body": "清河区人民检察院"}),
                         referral("r-settle", details={"target": "SETTLEMENT"}))

    assert [r.status for r in results] == [RecordStatus.CREATED] * 3, [r.errors for r in results]


async def test_the_latest_referral_gives_the_case_its_state(keys: KeyRing) -> None:
    await opened(keys, STATES["DECIDED"])
    later = record("ref-2", "REFERRAL", at=T0 + days(40), caseRef={"sourceId": "in-1"},
                   details={"target": "ARBITRATION", "body": "清河区劳动人事争议仲裁委员会"})

    [result] = await push(keys, later)

    case = await Case.get(result.case_id)
    assert case is not None
    assert (case.referral_target, case.referral_status, case.referral_outcome) == ("ARBITRATION", "REFERRED", None)


async def test_recompute_gives_an_old_style_referral_the_state_referred(keys: KeyRing,
                                                                       database: AsyncDatabase) -> None:
    first = await opened(keys)
    # As the hub stored it before states were tracked: no status in the record, none on the case.
    await database["records"].update_one({"_id": "PMC-A-SYS|ref-1"}, {"$unset": {"details.status": "",
                                                                             "details.filedAt": "",
                                                                             "details.decidedAt": "",
                                                                             "details.outcome": ""}})
    case_file = await database["case_files"].find_one({"_id": first.case_id})
    for doc in case_file["records"]:
        for name in ("status", "filedAt", "decidedAt", "outcome"):
            doc["details"].pop(name, None)
    await database["case_files"].replace_one({"_id": first.case_id}, case_file)
    await database["cases"].update_one({"_id": first.case_id}, {"$unset": {"referral_status": "",
                                                                          "referral_outcome": ""}})
    assert (await Case.get(first.case_id)).referral_status is None  # type: ignore[union-attr]

    await case_service.recompute_all()

    case = await Case.get(first.case_id)
    assert case is not None and (case.referral_status, case.referral_outcome) == ("REFERRED", None)
    # and the agency may move the old record on: it counts as REFERRED
    [filed] = await push(keys, referral(revision=1, details=STATES["FILED"]))
    assert filed.status is RecordStatus.UPDATED, filed.errors
    assert (await Case.get(first.case_id)).referral_status == "FILED"  # type: ignore[union-attr]
