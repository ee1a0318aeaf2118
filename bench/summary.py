"""Analysis read paths over HTTP against a running `hub serve`: `summary`, `jointMeetingBrief`, `earlyWarnings`.

    .venv/bin/python -m bench.summary --url mongodb://127.0.0.1:27018/ [--db mediation_hub] [--runs 10] [--secret S]

Needs a seeded database (`hub seed --scale N`). Starts `hub serve` on a free port against it,
schedules a district joint meeting with ten agenda cases and an earlier meeting's open decisions,
then times, each `--runs` times: `summary` of the district over one year (the twelve months to the
data's last opening) grouped by township x month, and its two aggregation pipelines (total, rows)
sent at once with PyMongo directly (the floor); the console's 分析研判 query (four summaries of that
year) and its one pipeline, and the store's bare scan of that year; the whole district grouped by agency x month and
its floor; `jointMeetingBrief`; and `earlyWarnings` for the district. Prints p50 / p99. The
meetings it creates are removed afterwards.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from pymongo import MongoClient

from bench.common import bearer, describe, read_args, serving, timed
from hub.analytics.summary import Dimension, SummaryFilter, pipeline
from schema.relay import object_id, to_global_id

SUMMARY = """query($groupBy: [SummaryDimension!]!, $period: DateRange) {
  summary(filter: {region: "510199", period: $period}, groupBy: $groupBy) {
  total { cases resolved resolutionRate medianDaysToResolution backlog }
  groups { key { dimension value label } figures { cases resolved failed referred resolutionRate backlog } } } }"""
DASHBOARD = """query($period: DateRange) {
  table: summary(filter: {region: "510199", period: $period}, groupBy: [TOWNSHIP]) { total { cases } groups { figures { cases } } }
  townships: summary(filter: {region: "510199", period: $period}, groupBy: [TOWNSHIP]) { groups { figures { cases } } }
  categories: summary(filter: {region: "510199", period: $period}, groupBy: [CATEGORY]) { groups { figures { cases } } }
  trend: summary(filter: {region: "510199", period: $period}, groupBy: [MONTH]) { groups { figures { cases } } } }"""
BRIEF = """query($id: ID!) { jointMeetingBrief(meetingId: $id) {
  periodFrom periodTo
  byAgency { total { cases } groups { key { label } figures { cases resolved resolutionRate } } }
  byCategory { groups { key { label } figures { cases } } }
  trend { groups { key { value } figures { cases resolved } } }
  agenda { case { caseNo title status } latestRecords { kind occurredAt summary agency { name } }
           openHandovers { occurredAt agency { name } } }
  openDecisions { overdue decision { key text dueDate ownerAgency { name } } }
  warnings { rule severity reason caseNo responsibleAgency { name } } } }"""
WARNINGS = """{ earlyWarnings(region: "510199") { rule severity caseNo reason responsibleAgency { name } } }"""
SCHEDULE = """mutation($d: Date!, $convener: String!, $participants: [String!]!) { scheduleJointMeeting(input: {level: DISTRICT, region: "510199", heldOn: $d,
  convener: $convener, participants: $participants}) { id } }"""


def main() -> None:
    """Command-line entry."""
    args = read_args(__doc__ or "", runs=10)
    db = MongoClient(args.url, tz_aware=True)[args.db]
    cases = db.cases.estimated_document_count()
    records = db.records.estimated_document_count()
    convener = db.agencies.find_one({"kind": "COORDINATION_CENTRE", "region_code": "510199"})
    participants = [a["code"] for a in db.agencies.find({"region_code": "510199"}).limit(8)]
    agenda = [c["_id"] for c in db.cases.find({"status": "IN_MEDIATION"}, {"_id": 1}).limit(10)]
    last = next(db.cases.find({}, {"opened_at": 1}).sort("opened_at", -1).limit(1))["opened_at"]
    end = datetime(last.year, last.month, 1, tzinfo=timezone.utc) + timedelta(days=32)
    end = end.replace(day=1)
    start = end.replace(year=end.year - 1)
    print(f"data: {cases} cases, {records} records; meeting of {len(participants)} agencies, {len(agenda)} agenda cases")

    created: list[str] = []
    try:
        with serving(args) as http, ThreadPoolExecutor(max_workers=2) as pool:
            http.headers.update(bearer(args.secret, convener["code"]))

            def post(query: str, **variables: object) -> dict:
                body = http.post("/graphql", json={"query": query, "variables": variables}).json()
                assert "errors" not in body, body["errors"]
                return body["data"]

            def meeting_on(day: str) -> str:
                found = post(SCHEDULE, d=day, convener=convener["code"], participants=participants)
                return found["scheduleJointMeeting"]["id"]

            earlier = meeting_on("2026-10-15")
            for n, due in enumerate(("2026-10-31", "2026-12-31")):
                post("""mutation($m: ID!, $t: String!, $o: String!, $d: Date!) { recordDecision(input: {
                       meetingId: $m, text: $t, ownerAgency: $o, dueDate: $d}) { decision { key } } }""",
                     m=earlier, t=f"决定事项 {n + 1}", o=participants[n % len(participants)], d=due)
            meeting = meeting_on("2026-11-14")
            created += [earlier, meeting]
            ids = [to_global_id("Case", c) for c in agenda]
            post("mutation($m: ID!, $c: [ID!]!) { addToAgenda(meetingId: $m, caseIds: $c) { id } }", m=meeting, c=ids)

            def floor_of(flt: SummaryFilter, groupings: list[tuple[Dimension, ...]]) -> list[float]:
                pipelines = [pipeline(filter=flt, group_by=g, cutoff=flt.backlog_cutoff()) for g in groupings]

                def direct() -> None:
                    # The pipelines the hub sends for this summary (see hub/analytics/summary.py), read whole.
                    list(pool.map(lambda stages: list(db.cases.aggregate(stages)), pipelines))

                return timed(direct, args.runs)

            year = {"from": start.isoformat(), "to": end.isoformat()}
            by_township = timed(lambda: post(SUMMARY, groupBy=["TOWNSHIP", "MONTH"], period=year), args.runs)
            township_groups = len(post(SUMMARY, groupBy=["TOWNSHIP", "MONTH"], period=year)["summary"]["groups"])
            in_year = SummaryFilter(region="510199", opened_from=start, opened_to=end)
            # Single-valued dimensions: one pipeline, its total added up by the hub.
            township_floor = floor_of(in_year, [(Dimension.TOWNSHIP, Dimension.MONTH)])
            dashboard = timed(lambda: post(DASHBOARD, period=year), args.runs)
            dashboard_floor = floor_of(in_year, [(Dimension.TOWNSHIP, Dimension.CATEGORY, Dimension.MONTH)])
            scan = timed(lambda: list(db.cases.aggregate([{"$match": in_year.query()}, {"$count": "n"}])), args.runs)
            summary = timed(lambda: post(SUMMARY, groupBy=["AGENCY", "MONTH"]), args.runs)
            groups = len(post(SUMMARY, groupBy=["AGENCY", "MONTH"])["summary"]["groups"])
            floor = floor_of(SummaryFilter(region="510199"), [(), (Dimension.AGENCY, Dimension.MONTH)])
            brief = timed(lambda: post(BRIEF, id=meeting), args.runs)
            warnings = timed(lambda: post(WARNINGS), args.runs)
            fired = len(post(WARNINGS)["earlyWarnings"])
    finally:
        db.joint_meetings.delete_many({"_id": {"$in": [object_id(m, "JointMeeting") for m in created]}})

    print(f"summary of one year by township x month ({township_groups} groups), over HTTP: {describe(by_township)}")
    print(f"  its aggregation pipeline, PyMongo directly: {describe(township_floor)}")
    print(f"the console's 分析研判 query (the same year: by township, by township, by category, by month), "
          f"over HTTP: {describe(dashboard)}")
    print(f"  its one pipeline (township x category x month), PyMongo directly: {describe(dashboard_floor)}")
    print(f"  the store's bare scan of that year ($match, $count), PyMongo directly: {describe(scan)}")
    print(f"summary of all time by agency x month ({groups} groups), over HTTP: {describe(summary)}")
    print(f"  its aggregation pipelines, PyMongo directly: {describe(floor)}")
    print(f"jointMeetingBrief, over HTTP: {describe(brief)}")
    print(f"earlyWarnings for the district ({fired} warnings), over HTTP: {describe(warnings)}")


if __name__ == "__main__":
    main()
