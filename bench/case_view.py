"""Read paths over HTTP against a running `hub serve`, with the direct-driver floor.

    .venv/bin/python -m bench.case_view --url mongodb://127.0.0.1:27018/ [--db mediation_hub] [--runs 50] [--secret S]

Needs a seeded database (`hub seed --scale N`). Starts `hub serve` on a free port against it,
then times, each `--runs` times: `case(caseNo)` with its whole timeline; the same case, records,
parties and agencies fetched with PyMongo directly by the same `_id` reads (the floor); a `cases`
page of 50 with timelines; and `personLookup` by name and phone. Prints p50 / p99 and the
case-view / floor ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
from pymongo import MongoClient

from bench.common import bearer, describe, free_port
from hub.people.crypto import PersonalDataKeys

CASE = """query($no: String!) { case(caseNo: $no) { caseNo title status channels
  agenciesInvolved { name } parties { role person { name idNumber } }
  timeline(first: 100) { edges { node { kind channel occurredAt summary agency { name } } } } } }"""
PAGE = """{ cases(first: 50) { edges { node { caseNo channels
  timeline(first: 100) { edges { node { kind occurredAt agency { name } } } } } } } }"""
LOOKUP = """query($name: String, $phone: String) { personLookup(name: $name, phone: $phone, purpose: "越级信访核查") {
  found cases { caseNo } priorGrassrootsMediation { kind occurredAt agency { name } } } }"""


def timed(fn, runs: int) -> list[float]:
    """Wall time of fn, runs times."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    """Command-line entry."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--db", default="mediation_hub")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--secret", default=os.environ.get("HUB_SECRET_KEY"), required="HUB_SECRET_KEY" not in os.environ,
                        help="HUB_SECRET_KEY the data was seeded with (default: the environment's)")
    args = parser.parse_args()

    db = MongoClient(args.url, tz_aware=True)[args.db]
    cases = db.cases.count_documents({})
    records = db.records.estimated_document_count()
    target = max(db.cases.find({}, {"case_no": 1, "record_count": 1}), key=lambda c: c.get("record_count", 0))
    print(f"data: {cases} cases, {records} records; case {target['case_no']} has {target['record_count']} records")

    port = free_port()
    env = {**os.environ, "HUB_MONGODB_URL": args.url, "HUB_DB": args.db, "HUB_PORT": str(port)}
    env["HUB_SECRET_KEY"] = args.secret
    hub = Path(sys.executable).with_name("hub")
    server = subprocess.Popen([str(hub), "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=120) as http:
            for _ in range(300):
                try:
                    if http.get("/readyz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)

            def post(query: str, agency: str = "QH-CC", **variables: object) -> dict:
                body = http.post("/graphql", json={"query": query, "variables": variables},
                                 headers=bearer(args.secret, agency)).json()
                assert "errors" not in body, body["errors"]
                return body

            view = timed(lambda: post(CASE, no=target["case_no"]), args.runs)

            def direct() -> None:
                # The same reads the hub makes, each by `_id` (the local store's one indexed read).
                number = db.case_numbers.find_one({"_id": target["case_no"]})
                case = db.cases.find_one({"_id": number["case_id"]})
                db.case_files.find_one({"_id": case["_id"]})
                for party in case["parties"]:
                    db.people.find_one({"_id": party["person_id"]})
                list(db.agencies.find({"code": {"$in": case["agencies"]}}))

            floor = timed(direct, args.runs)
            page = timed(lambda: post(PAGE), max(5, args.runs // 5))
            petition = db.records.find_one({"kind": "PETITION", "details.escalated": True})
            lookup: list[float] = []
            if petition:
                person = db.people.find_one({"_id": petition["parties"][0]["person_id"]})
                phone = PersonalDataKeys(args.secret).decrypt(person["phone_encrypted"])
                lookup = timed(lambda: post(LOOKUP, agency="QH-XFJ", name=person["name"], phone=phone),
                               max(5, args.runs // 5))
    finally:
        server.terminate()
        server.wait(timeout=30)

    print(f"case(caseNo), {target['record_count']}-record timeline, over HTTP: {describe(view)}")
    print(f"same data, PyMongo directly (floor):           {describe(floor)}")
    print(f"ratio of medians: {statistics.median(view) / statistics.median(floor):.2f}x")
    print(f"cases page of 50 with timelines, over HTTP:    {describe(page)}")
    if lookup:
        print(f"personLookup over HTTP: {describe(lookup)}")


if __name__ == "__main__":
    main()
