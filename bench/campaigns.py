"""Campaigns and supervision notices over HTTP against a running `hub serve`.

    .venv/bin/python -m bench.campaigns --url mongodb://127.0.0.1:27018/ [--db mediation_hub] [--runs 10] [--secret S]

Needs a seeded database (`hub seed --scale N`). Starts `hub serve` on a free port against it, creates a
district campaign without target categories and enrols every open backlog case of the district in batches of
200 (`enrolCampaignCases`: the time per batch), names a responsibility for each (`assignCampaignResponsibility`:
the time per call), then times, each `--runs` times: `campaignProgress` grouped by township, by level x kind,
the first page of `campaignEnrolments`, the 清仓台账 export (`/exports/campaign.xlsx`), `earlyWarnings` of the
campaign rules, and `draftSupervisionNotice` of the district's last month with the agencies ranked, with its
printable page (`/reports/notice`). Prints p50 / p99. What it creates is removed afterwards.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from pymongo import MongoClient

from bench.common import bearer, describe, read_args, serving, timed
from schema.relay import object_id

CREATE = """mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }"""
ENROL = """mutation($id: ID!, $cases: [EnrolCaseInput!]!) { enrolCampaignCases(campaignId: $id, cases: $cases) {
  enrolled results { enrolment { id } } } }"""
ASSIGN = """mutation($id: ID!, $input: AssignResponsibilityInput!) { assignCampaignResponsibility(id: $id, input: $input) { id } }"""
PROGRESS = """query($id: ID!, $groupBy: [CampaignDimension!]) { campaignProgress(id: $id, groupBy: $groupBy) {
  total { enrolled cleared overdue clearanceRate } groups { key { label } figures { enrolled cleared clearanceRate } } } }"""
PAGE = """query($id: ID!) { campaignEnrolments(id: $id, first: 50) { totalCount nodes { caseNo kind stage
  responsibility { unit { name } deadline } case { caseNo } campaign { name } } } }"""
WARNINGS = """{ earlyWarnings(region: "510199", rules: [CAMPAIGN_OVERDUE, CAMPAIGN_UNASSIGNED]) { rule caseNo } }"""
DRAFT = """mutation($period: String!) { draftSupervisionNotice(input: {region: "510199", period: $period, rankAgencies: true}) {
  id townships { rank } agencies { rank } } }"""
BATCH = 200


def main() -> None:
    """Command-line entry."""
    args = read_args(__doc__ or "", runs=10)
    db = MongoClient(args.url, tz_aware=True)[args.db]
    now = datetime.now(timezone.utc)
    cutoff = now - timedelta(days=90)
    backlog = [c["case_no"] for c in db.cases.find(
        {"region_path": "510199", "status": {"$in": ["SCREENED", "ACCEPTED", "IN_MEDIATION"]}, "opened_at": {"$lt": cutoff}},
        {"case_no": 1}).sort("case_no", 1)]
    unit = db.agencies.find_one({"kind": "PEOPLES_MEDIATION_COMMITTEE"})["code"]
    last_month = (now.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    print(f"data: {db.cases.estimated_document_count()} cases; {len(backlog)} open backlog cases to enrol")

    campaigns: list[str] = []
    notices: list[str] = []
    try:
        with serving(args) as http:
            http.headers.update(bearer(args.secret, "QH-CC"))

            def post(query: str, **variables: object) -> dict:
                body = http.post("/graphql", json={"query": query, "variables": variables}).json()
                assert "errors" not in body, body["errors"]
                return body["data"]

            today = now.date()
            campaign = post(CREATE, input={"name": "基准测试专项行动", "region": "510199", "startsOn": today.isoformat(),
                                           "endsOn": (today + timedelta(days=90)).isoformat()})["createCampaign"]["id"]
            campaigns.append(campaign)
            batches = [backlog[i:i + BATCH] for i in range(0, len(backlog), BATCH)]
            enrolment_ids: list[str] = []

            def enrol_next() -> None:
                result = post(ENROL, id=campaign, cases=[{"caseNo": n, "kind": "ACCUMULATED"} for n in batches.pop(0)])
                enrolment_ids.extend(r["enrolment"]["id"] for r in result["enrolCampaignCases"]["results"] if r["enrolment"])

            enrolling = timed(enrol_next, len(batches))
            deadline = (today + timedelta(days=30)).isoformat()
            ids = iter(list(enrolment_ids))
            assigning = timed(lambda: post(ASSIGN, id=next(ids), input={
                "unitCode": unit, "person": "王主任", "measures": "限期调解", "deadline": deadline}), len(enrolment_ids))
            by_township = timed(lambda: post(PROGRESS, id=campaign, groupBy=["TOWNSHIP"]), args.runs)
            by_level_kind = timed(lambda: post(PROGRESS, id=campaign, groupBy=["LEVEL", "KIND"]), args.runs)
            page = timed(lambda: post(PAGE, id=campaign), args.runs)
            ledger = timed(lambda: http.get("/exports/campaign.xlsx", params={"id": campaign}).raise_for_status(),
                           args.runs)
            warnings = timed(lambda: post(WARNINGS), args.runs)

            def draft() -> None:
                notices.append(post(DRAFT, period=last_month)["draftSupervisionNotice"]["id"])

            drafting = timed(draft, args.runs)
            page_of_notice = timed(lambda: http.get("/reports/notice", params={"id": notices[0]}).raise_for_status(),
                                   args.runs)
            ranked = post("""query($id: ID!) { supervisionNotice(id: $id) { townships { code } agencies { code } } }""",
                          id=notices[0])["supervisionNotice"]
    finally:
        for c in campaigns:
            db.campaign_enrolments.delete_many({"campaign_id": object_id(c, "Campaign")})
            db.campaigns.delete_one({"_id": object_id(c, "Campaign")})
        db.supervision_notices.delete_many({"_id": {"$in": [object_id(n, "SupervisionNotice") for n in notices]}})

    print(f"enrolCampaignCases, {BATCH} cases a call ({len(enrolment_ids)} enrolled), over HTTP: {describe(enrolling)}")
    print(f"assignCampaignResponsibility, one case a call, over HTTP: {describe(assigning)}")
    print(f"campaignProgress by township ({len(enrolment_ids)} enrolments), over HTTP: {describe(by_township)}")
    print(f"campaignProgress by level x kind, over HTTP: {describe(by_level_kind)}")
    print(f"campaignEnrolments, first 50 with their case and campaign, over HTTP: {describe(page)}")
    print(f"/exports/campaign.xlsx ({len(enrolment_ids)} rows): {describe(ledger)}")
    print(f"earlyWarnings, campaign rules, over HTTP: {describe(warnings)}")
    print(f"draftSupervisionNotice of {last_month} ({len(ranked['townships'])} townships, "
          f"{len(ranked['agencies'])} agencies), over HTTP: {describe(drafting)}")
    print(f"/reports/notice, the printable page: {describe(page_of_notice)}")


if __name__ == "__main__":
    main()
