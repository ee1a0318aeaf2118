"""`hub seed`'s campaign: the district's backlog cases enrolled and replayed through the service to the demo's day."""

from __future__ import annotations

from collections import Counter

import httpx

from hub.campaigns.models import Campaign, ClearanceOutcome, Enrolment, EscalationStage
from hub.cases.models import Case, CaseStatus
from hub.keys.ring import KeyRing
from seeds import generator, loader
from schema.relay import to_global_id
from seeds.campaigns import NAME, load_campaigns
from tests.conftest import TokenFor, act_as

SCALE = 300
PROGRESS = """query($id: ID!, $on: Date) { campaignProgress(id: $id, groupBy: [TOWNSHIP], on: $on) {
  total { enrolled assigned unassigned escalated cleared overdue clearanceRate } groups { key { label } } } }"""


async def test_the_demo_campaign_shows_every_state_of_an_enrolled_case(
    database: object, keys: KeyRing, http: httpx.AsyncClient, token_for: TokenFor
) -> None:
    # given the demo data set loaded
    await loader.load(keys=keys, scale=SCALE)

    [campaign] = await Campaign.find_all().to_list()
    assert campaign.name == NAME and campaign.created_by == "QH-CC"
    enrolments = await Enrolment.find_all().to_list()
    assert len(enrolments) >= 10
    # every enrolled case was an open backlog case of a targeted category when enrolled
    assert {e.category for e in enrolments} <= set(campaign.categories)
    stages = Counter(e.stage for e in enrolments)
    assert stages[EscalationStage.COORDINATION_CENTRE] and stages[EscalationStage.PARTY_GOVERNMENT]
    assert sum(e.responsibility is None for e in enrolments) >= 1
    cleared = [e for e in enrolments if e.cleared]
    assert cleared and {e.clearance.outcome for e in cleared if e.clearance} >= {ClearanceOutcome.RESOLVED}
    # a case cleared as resolved is resolved in its own records (the agreement went through ingestion)
    resolved_ids = [e.case_id for e in cleared if e.clearance and e.clearance.outcome is ClearanceOutcome.RESOLVED]
    statuses = {c.status for c in await Case.find({"_id": {"$in": resolved_ids}}).to_list()}
    assert statuses <= {CaseStatus.RESOLVED, CaseStatus.CLOSED}

    # and its figures on the demo's day: some overdue, a clearance rate, by township
    act_as(http, token_for("QH-CC"))
    day = generator.DEFAULT_NOW.date().isoformat()
    body = (await http.post("/graphql", json={"query": PROGRESS, "variables": {"id": to_global_id("Campaign", campaign.id), "on": day}})).json()
    total = body["data"]["campaignProgress"]["total"]
    assert total["enrolled"] == len(enrolments) and total["cleared"] == len(cleared)
    assert total["overdue"] >= 1 and total["unassigned"] >= 1 and 0 < total["clearanceRate"] < 1
    assert all(g["key"]["label"] for g in body["data"]["campaignProgress"]["groups"])

    # when seeded again; then nothing is added
    again = await load_campaigns(now=generator.DEFAULT_NOW, keys=keys)
    assert again.id == campaign.id and await Enrolment.find_all().count() == len(enrolments)
