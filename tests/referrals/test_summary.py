"""`summary` counts the referred cases by target, state and outcome, as a brute-force count of the cases does."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from hub.analytics.summary import Dimension, SummaryFilter, summarize
from hub.ingest import service as ingest_service
from hub.ingest.service import RecordStatus
from hub.keys.ring import KeyRing
from tests.factories import T0, VILLAGE_B1, batch, days, record
from tests.graphql import gql
from tests.referrals.wire import DECIDED_AT, FILED_AT

pytestmark = pytest.mark.usefixtures("district")

SUMMARY = """query($groupBy: [SummaryDimension!]!) { summary(filter: {region: "510199"}, groupBy: $groupBy) {
  total { referred referredByTarget { target count } referralsByOutcome { target status outcome cases } }
  groups { key { value } figures { referralsByOutcome { target status outcome cases } } } } }"""

# (target, details beyond the target, case category): two cases per state somewhere, several targets.
CASES: list[tuple[str, dict[str, Any], str]] = [
    ("LITIGATION", {}, "LABOUR"),
    ("LITIGATION", {"status": "FILED", "filedAt": FILED_AT}, "LABOUR"),
    ("LITIGATION", {"status": "DECIDED", "filedAt": FILED_AT, "decidedAt": DECIDED_AT, "outcome": "UPHELD"}, "CONTRACT"),
    ("LITIGATION", {"status": "DECIDED", "filedAt": FILED_AT, "decidedAt": DECIDED_AT, "outcome": "UPHELD"}, "LABOUR"),
    ("ARBITRATION", {"status": "DECIDED", "decidedAt": DECIDED_AT, "outcome": "PARTLY_UPHELD"}, "LABOUR"),
    ("ARBITRATION", {"status": "FILED", "filedAt": FILED_AT}, "LABOUR"),
    ("CRIMINAL_RECONCILIATION", {"status": "DECIDED", "decidedAt": DECIDED_AT, "outcome": "SETTLED"},
     "TRAFFIC_ACCIDENT"),
    ("SETTLEMENT", {"status": "DECIDED", "decidedAt": DECIDED_AT, "outcome": "WITHDRAWN"}, "NEIGHBOUR"),
    ("ADMINISTRATIVE_RECONSIDERATION", {"status": "DECIDED", "filedAt": FILED_AT, "decidedAt": DECIDED_AT,
                                        "outcome": "DISMISSED"}, "LAND_ACQUISITION"),
]


@pytest.fixture
async def cases(keys: KeyRing, database: AsyncDatabase) -> list[dict[str, Any]]:
    """A case per entry of CASES (the fourth one agreed later, so no longer REFERRED), and a case
    without referral; returns every case as stored."""
    records = []
    for n, (target, state, category) in enumerate(CASES):
        opener = record(f"in-{n}", case={"title": f"纠纷{n}", "category": category, "regionCode": VILLAGE_B1})
        records += [opener, record(f"ref-{n}", "REFERRAL", at=T0 + days(1), caseRef={"sourceId": f"in-{n}"},
                                   details={"target": target, **state})]
    records.append(record("agreed", "AGREEMENT", at=T0 + days(50), caseRef={"sourceId": "in-3"}))
    records.append(record("in-none"))
    results = (await ingest_service.ingest(batch=batch("PMC-B", *records), keys=keys)).results
    assert {r.status for r in results} == {RecordStatus.CREATED}, [r.errors for r in results if r.errors]
    return await database["cases"].find({}).to_list()


def brute_force(cases: list[dict[str, Any]]) -> Counter[tuple[str, str, str | None]]:
    return Counter((c["referral_target"], c.get("referral_status") or "REFERRED", c.get("referral_outcome"))
                   for c in cases if c.get("referral_target"))


async def test_the_counts_are_the_brute_force_count(cases: list[dict[str, Any]]) -> None:
    summary = await summarize(filter=SummaryFilter(), group_by=[Dimension.CATEGORY])

    assert summary.total.referrals == brute_force(cases)
    assert summary.total.referrals[("LITIGATION", "DECIDED", "UPHELD")] == 2  # one of them RESOLVED by now
    assert sum(summary.total.referrals.values()) == len(CASES)
    assert summary.total.referred == len(CASES) - 1 and sum(summary.total.referred_by_target.values()) == len(CASES) - 1
    for row in summary.rows:
        members = [c for c in cases if c["category"] == row.key[Dimension.CATEGORY]]
        assert row.figures.referrals == brute_force(members), row.key


async def test_a_case_derived_before_states_were_tracked_counts_as_referred(
        cases: list[dict[str, Any]], database: AsyncDatabase) -> None:
    decided = next(c for c in cases if c.get("referral_target") == "SETTLEMENT")
    await database["cases"].update_one({"_id": decided["_id"]}, {"$unset": {"referral_status": "",
                                                                             "referral_outcome": ""}})

    summary = await summarize(filter=SummaryFilter(), group_by=[])

    assert summary.total.referrals[("SETTLEMENT", "REFERRED", None)] == 1
    assert summary.total.referrals[("SETTLEMENT", "DECIDED", "WITHDRAWN")] == 0


async def test_graphql_serves_referrals_by_outcome(cases: list[dict[str, Any]], http: httpx.AsyncClient) -> None:
    data = (await gql(http, SUMMARY, groupBy=["CATEGORY"]))["summary"]

    got = {(r["target"], r["status"], r["outcome"]): r["cases"] for r in data["total"]["referralsByOutcome"]}
    assert got == dict(brute_force(cases))
    assert got[("ARBITRATION", "FILED", None)] == 1 and got[("CRIMINAL_RECONCILIATION", "DECIDED", "SETTLED")] == 1
    rows = data["total"]["referralsByOutcome"]
    assert rows == sorted(rows, key=lambda r: (r["target"], r["status"], r["outcome"] or ""))
    by_category = {g["key"][0]["value"]: g["figures"]["referralsByOutcome"] for g in data["groups"]}
    assert by_category["NEIGHBOUR"] == [{"target": "SETTLEMENT", "status": "DECIDED", "outcome": "WITHDRAWN",
                                         "cases": 1}]
