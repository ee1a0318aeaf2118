"""Read paths over HTTP against a running `hub serve`, with the direct-driver floor.

    .venv/bin/python -m bench.case_view --url mongodb://127.0.0.1:27018/ [--db mediation_hub] [--runs 50] [--secret S]

Needs a seeded database (`hub seed --scale N`). Starts `hub serve` on a free port against it,
then times, each `--runs` times: `case(caseNo)` with its whole timeline (the case nearest 50
records, and a typical one); the same case, case file and parties fetched with PyMongo directly by
the same reads the hub makes (the floor; agencies come from the hub's in-memory directory); a
`cases` page of 50 with timelines and parties; and `personLookup` by name and phone. Prints
p50 / p99 and the case-view / floor ratio of medians. With `--profile`, samples `hub serve` with
py-spy during the case views and prints where its CPU time goes, by layer.
"""

from __future__ import annotations

import statistics

from pymongo import MongoClient

import tempfile
from pathlib import Path

from bench.common import bearer, describe, profiled, read_args, serving_process, timed
from hub.keys.ring import KeyRing

CASE = """query($no: String!) { case(caseNo: $no) { caseNo title status channels
  agenciesInvolved { name } parties { role person { name idNumber } }
  timeline(first: 100) { edges { node { kind channel occurredAt summary agency { name } } } } } }"""
PAGE = """{ cases(first: 50) { edges { node { caseNo channels parties { role person { name idNumber } }
  timeline(first: 100) { edges { node { kind occurredAt agency { name } } } } } } } }"""
LOOKUP = """query($name: String, $phone: String) { personLookup(name: $name, phone: $phone, purpose: "越级信访核查") {
  found cases { caseNo } priorGrassrootsMediation { kind occurredAt agency { name } } } }"""


def main() -> None:
    """Command-line entry."""
    args = read_args(__doc__ or "", runs=50, profile=True)
    db = MongoClient(args.url, tz_aware=True)[args.db]
    cases = db.cases.count_documents({})
    records = db.records.estimated_document_count()
    sizes = list(db.cases.find({}, {"case_no": 1, "record_count": 1, "party_ids": 1}))
    target = min(sizes, key=lambda c: abs(c.get("record_count", 0) - 50))
    typical = max((c for c in sizes if len(c.get("party_ids", [])) <= 4), key=lambda c: c.get("record_count", 0))
    print(f"data: {cases} cases, {records} records; case {target['case_no']} has {target['record_count']} records "
          f"and {len(target['party_ids'])} parties; {typical['case_no']}, {typical['record_count']} records and "
          f"{len(typical['party_ids'])} parties")

    with serving_process(args) as (http, server):

        def post(query: str, agency: str = "QH-CC", **variables: object) -> dict:
            body = http.post("/graphql", json={"query": query, "variables": variables},
                             headers=bearer(args.secret, agency)).json()
            assert "errors" not in body, body["errors"]
            return body

        view = timed(lambda: post(CASE, no=target["case_no"]), args.runs)
        shares: dict[str, float] = {}
        if args.profile:
            with tempfile.TemporaryDirectory() as tmp, profiled(server.pid, Path(tmp) / "spy.txt") as shares:
                profiled_runs = timed(lambda: post(CASE, no=target["case_no"]), args.runs * 4)
        small = timed(lambda: post(CASE, no=typical["case_no"]), args.runs)

        def direct(case_no: str) -> None:
            # The reads the hub makes: number -> case -> its case file and its parties by `$in`.
            number = db.case_numbers.find_one({"_id": case_no})
            case = db.cases.find_one({"_id": number["case_id"]})
            db.case_files.find_one({"_id": case["_id"]})
            list(db.people.find({"_id": {"$in": [p["person_id"] for p in case["parties"]]}}))

        floor = timed(lambda: direct(target["case_no"]), args.runs)
        small_floor = timed(lambda: direct(typical["case_no"]), args.runs)
        page = timed(lambda: post(PAGE), max(5, args.runs // 5))
        petition = db.records.find_one({"kind": "PETITION", "details.escalated": True})
        lookup: list[float] = []
        if petition:
            person = db.people.find_one({"_id": petition["parties"][0]["person_id"]})
            phone = KeyRing(args.secret).decrypt(person["phone_encrypted"])
            lookup = timed(lambda: post(LOOKUP, agency="QH-XFJ", name=person["name"], phone=phone),
                           max(5, args.runs // 5))

    for name, case, hub, low in (("~50-record", target, view, floor), ("typical", typical, small, small_floor)):
        print(f"{name} case(caseNo), {case['record_count']} records, {len(case['party_ids'])} parties, over HTTP: "
              f"{describe(hub)}")
        print(f"  same data, PyMongo directly (floor): {describe(low)}; "
              f"ratio of medians {statistics.median(hub) / statistics.median(low):.2f}x")
    print(f"cases page of 50 with timelines and parties, over HTTP: {describe(page)}")
    if shares:
        print(f"where `hub serve` spends its CPU on the ~50-record case view ({len(profiled_runs)} runs under py-spy, "
              f"{describe(profiled_runs)}):")
        for layer, share in shares.items():
            print(f"  {share * 100:5.1f}%  {layer}")
    if lookup:
        print(f"personLookup over HTTP: {describe(lookup)}")


if __name__ == "__main__":
    main()
