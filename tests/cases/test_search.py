"""`cases`: every filter, stable ordering, and pages that hold while cases arrive."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from hub.ingest import service as ingest_service
from hub.keys.ring import KeyRing
from tests.factories import T0, VILLAGE_A1, VILLAGE_A2, VILLAGE_B1, batch, days, party, record

CASES = """
query Cases($filter: CaseFilter, $first: Int, $after: String, $orderBy: CaseOrder! = OPENED_AT_DESC) {
  cases(filter: $filter, first: $first, after: $after, orderBy: $orderBy) {
    totalCount
    edges { cursor node { caseNo title } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def opener(source_id: str, title: str, *, category: str = "LABOUR", region: str = VILLAGE_A1,
           at_day: int = 0, kind: str = "INTAKE", name: str = "甲", **extra: Any) -> dict[str, Any]:
    """A record that opens its own case (each with a distinct party, so nothing is matched)."""
    return record(source_id, kind, at=T0 + days(at_day), parties=[party(name)],
                  case={"title": title, "category": category, "regionCode": region, **extra.pop("case", {})},
                  **extra)


@pytest.fixture
async def landscape(district: object, keys: KeyRing) -> None:
    """Six cases that differ in one respect each."""
    pmc = batch("PMC-A",
        opener("l1", "劳资A1", at_day=1, name="甲"),
        opener("n1", "邻里A2", category="NEIGHBOUR", region=VILLAGE_A2, at_day=2, name="乙",
               case={"tags": ["OLD", "DIFFICULT"]}),
        opener("m1", "医疗A1", category="MEDICAL", at_day=3, kind="AGREEMENT", name="丙",
               details={"terms": "赔偿"}),
    )
    other = batch("PMC-B", opener("b1", "劳资B1", region=VILLAGE_B1, at_day=4, name="丁"))
    stability = batch("SO", opener("s1", "征地A1", category="LAND_ACQUISITION", at_day=5,
                                   kind="STABILITY_ASSESSMENT", name="戊", details={"riskLevel": "MAJOR"}))
    court = batch("COURT", opener("c1", "合同A1", category="CONTRACT", at_day=40, name="己"))
    for payload in (pmc, other, stability, court):
        outcome = await ingest_service.ingest(batch=payload, keys=keys)
        assert not any(r.errors for r in outcome.results)


async def titles(http: httpx.AsyncClient, **variables: Any) -> list[str]:
    body = (await http.post("/graphql", json={"query": CASES, "variables": variables})).json()
    assert "errors" not in body, body
    return [e["node"]["title"] for e in body["data"]["cases"]["edges"]]


@pytest.mark.usefixtures("landscape")
@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        (None, ["合同A1", "征地A1", "劳资B1", "医疗A1", "邻里A2", "劳资A1"]),
        ({"region": "510199"}, ["合同A1", "征地A1", "劳资B1", "医疗A1", "邻里A2", "劳资A1"]),
        ({"region": "510199002"}, ["劳资B1"]),
        ({"region": VILLAGE_A2}, ["邻里A2"]),
        ({"categories": ["LABOUR"]}, ["劳资B1", "劳资A1"]),
        ({"categories": ["MEDICAL", "CONTRACT"]}, ["合同A1", "医疗A1"]),
        ({"statuses": ["RESOLVED"]}, ["医疗A1"]),
        ({"channels": ["STABILITY"]}, ["征地A1"]),
        ({"channels": ["JUDICIAL"]}, ["合同A1"]),
        ({"agency": "PMC-B"}, ["劳资B1"]),
        ({"riskLevels": ["MAJOR", "HIGH"]}, ["征地A1"]),
        ({"tags": ["OLD", "DIFFICULT"]}, ["邻里A2"]),
        ({"tags": ["OLD", "MASS"]}, []),
        ({"opened": {"from": "2026-03-04T00:00:00Z", "to": "2026-03-07T00:00:00Z"}}, ["劳资B1", "医疗A1", "邻里A2"]),
        ({"lastActivity": {"from": "2026-04-01T00:00:00Z"}}, ["合同A1"]),
        ({"partyName": "乙"}, ["邻里A2"]),
        ({"partyName": "无此人"}, []),
        ({"region": "510199001", "categories": ["LABOUR"]}, ["劳资A1"]),
    ],
)
async def test_each_filter(http: httpx.AsyncClient, filter: dict[str, Any] | None, expected: list[str]) -> None:
    assert await titles(http, filter=filter, first=50) == expected


@pytest.mark.usefixtures("landscape")
async def test_orders(http: httpx.AsyncClient) -> None:
    assert await titles(http, orderBy="OPENED_AT_ASC") == ["劳资A1", "邻里A2", "医疗A1", "劳资B1", "征地A1", "合同A1"]
    by_no = await titles(http, orderBy="CASE_NO_ASC")
    assert sorted(by_no) == sorted(await titles(http)) and len(by_no) == 6


async def test_pages_neither_skip_nor_repeat_while_cases_arrive(
    http: httpx.AsyncClient, district: object, keys: KeyRing
) -> None:
    # Given 30 cases opened on 30 days
    await ingest_service.ingest(keys=keys, batch=batch("PMC-A", *[
        opener(f"p{i}", f"案{i:02d}", at_day=i, name=f"人{i}") for i in range(30)]))
    seen: list[str] = []
    after = None
    arrivals = 0
    # When we page through 7 at a time while other agencies keep adding cases (some with the
    # same opening instant as cases already seen, some newer)
    while True:
        body = (await http.post("/graphql", json={"query": CASES, "variables": {"first": 7, "after": after}})).json()
        page = body["data"]["cases"]
        seen += [e["node"]["title"] for e in page["edges"]]
        arrival = opener(f"new{arrivals}", f"新{arrivals}", at_day=arrivals * 3, name=f"新人{arrivals}")
        await ingest_service.ingest(keys=keys, batch=batch("PMC-B", arrival))
        arrivals += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    # Then every original case was seen exactly once, in order
    originals = [t for t in seen if t.startswith("案")]
    assert originals == [f"案{i:02d}" for i in reversed(range(30))]
    assert len(seen) == len(set(seen))


async def test_page_size_is_bounded(http: httpx.AsyncClient, district: object) -> None:
    body = (await http.post("/graphql", json={"query": CASES, "variables": {"first": 1000}})).json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    bad_cursor = (await http.post("/graphql", json={"query": CASES, "variables": {"after": "garbage"}})).json()
    assert bad_cursor["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
