"""`hub seed`'s loader: the demo data lands whole and shows what a newcomer is promised."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from hub.keys.ring import KeyRing
from hub.ingest.service import RecordStatus
from seeds import generator, loader
from tests.conftest import TokenFor, act_as

SCALE = 150  # big enough for four-channel histories and escalated petitions

PAGE = """query($after: String) { cases(first: 100, after: $after) {
  totalCount edges { node { caseNo channels tags } } pageInfo { hasNextPage endCursor } } }"""
LOOKUP = """query($name: String, $phone: String) { personLookup(name: $name, phone: $phone, purpose: "越级信访核查") {
  found firstPetitionAt priorGrassrootsMediation { channel occurredAt agency { kind } } } }"""


def escalated_petitioner() -> dict[str, Any]:
    """Name and phone of a party to an escalated petition, read from the generator's output."""
    for batch in generator.generate(scale=SCALE).batches:
        for record in batch["records"]:
            if record["kind"] == "PETITION" and record["details"].get("escalated"):
                return next(p for p in record["parties"] if p.get("phone"))
    raise AssertionError("the demo data has no escalated petition")


@pytest.fixture
async def demo(database: object, keys: KeyRing) -> loader.LoadSummary:
    """The demo data set at a small scale, loaded through the ingestion service."""
    return await loader.load(keys=keys, scale=SCALE)


async def test_every_generated_record_lands(demo: loader.LoadSummary, http: httpx.AsyncClient) -> None:
    assert demo.rejections == []
    assert demo.counts[RecordStatus.CREATED] == sum(len(b["records"]) for b in generator.generate(scale=SCALE).batches)
    body = (await http.post("/graphql", json={"query": PAGE})).json()
    assert body["data"]["cases"]["totalCount"] == SCALE


async def test_loading_again_changes_nothing(demo: loader.LoadSummary, keys: KeyRing) -> None:
    again = await loader.load(keys=keys, scale=SCALE)
    assert again.counts[RecordStatus.CREATED] == 0
    assert again.counts[RecordStatus.UNCHANGED] == demo.counts[RecordStatus.CREATED]
    assert demo.meetings == again.meetings == 2  # found again, not scheduled twice
    assert (await loader.load(keys=keys, scale=SCALE, if_empty=True)).skipped


async def test_a_case_has_records_from_four_channels(demo: loader.LoadSummary, http: httpx.AsyncClient) -> None:
    cases, after = [], None
    while True:
        page = (await http.post("/graphql", json={"query": PAGE, "variables": {"after": after}})).json()["data"]["cases"]
        cases += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    wide = [c for c in cases if len(c["channels"]) >= 4]
    assert wide, "no demo case has records from four channels"
    assert any("ESCALATED" in c["tags"] for c in cases)


async def test_escalated_petitioner_has_earlier_grassroots_mediation(
    demo: loader.LoadSummary, http: httpx.AsyncClient, token_for: TokenFor
) -> None:
    petitioner = escalated_petitioner()
    act_as(http, token_for("QH-XFJ"))  # the demo's petition bureau
    body = (await http.post("/graphql", json={"query": LOOKUP, "variables": {
        "name": petitioner["name"], "phone": petitioner["phone"]}})).json()

    result = body["data"]["personLookup"]
    assert result["found"]
    prior = result["priorGrassrootsMediation"]
    assert prior and all(p["occurredAt"] < result["firstPetitionAt"] for p in prior)
    assert {p["channel"] for p in prior} <= {"PEOPLES", "ADMINISTRATIVE"}


MEETINGS = """{ jointMeetings(region: "510199") { id heldOn agenda { caseNo riskLevel status }
  decisions { key status dueDate } } }"""


async def test_the_demo_has_a_meeting_to_prepare(demo: loader.LoadSummary, http: httpx.AsyncClient) -> None:
    current, earlier = (await http.post("/graphql", json={"query": MEETINGS})).json()["data"]["jointMeetings"]
    assert current["heldOn"] == "2026-11-15" and earlier["heldOn"] == "2026-10-16"
    assert current["agenda"] and all(c["riskLevel"] in {"HIGH", "MAJOR"} for c in current["agenda"])
    assert [d["status"] for d in earlier["decisions"]] == ["DONE", "OPEN", "OPEN"]
    brief = (await http.post("/graphql", json={"query": """query($id: ID!) { jointMeetingBrief(meetingId: $id) {
        openDecisions { overdue decision { key } } agenda { case { caseNo } } } }""",
                                               "variables": {"id": current["id"]}})).json()["data"]["jointMeetingBrief"]
    assert [(o["decision"]["key"], o["overdue"]) for o in brief["openDecisions"]] == [("D2", True), ("D3", False)]
    assert len(brief["agenda"]) == len(current["agenda"])
