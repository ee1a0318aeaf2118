"""The Python heap one request needs: tracemalloc's peak above the heap, per kind of request, one at a time.

    .venv/bin/python -m bench.peaks --url mongodb://127.0.0.1:27710/ [--db mediation_hub] [--secret S] [--repeats 3]

Needs a database seeded with the demo data set (`hub seed --scale N`). Runs the app in this process (its
lifespan, background loops off), and posts the console's documents one after another as the district's
coordination centre (the person look-up as the petition bureau): the five largest case views and five
others, the first page of 20 cases, a look-up by ID number, the district's summary of the last twelve months.
Before each request tracemalloc's peak is reset; after it, the peak above the heap as it was is the memory
that request built. Prints the median and the most per kind. One at a time, so the figures add up to what a
worker holds when that many requests are in flight at once (docs/reliability.md, "The memory examined").
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tracemalloc
from datetime import timedelta
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from pymongo import MongoClient

from bench.load import console_documents
from hub.app import create_app
from hub.auth import tokens
from hub.config import Settings
from hub.keys.ring import KeyRing

UNLIMITED = "1000000/minute"


def requests(db: Any, keys: KeyRing, repeats: int) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(kind, agency, operation, variables) for each request to make."""
    largest = db.cases.find({}, {"case_no": 1}).sort("record_count", -1).limit(5).to_list()
    others = db.cases.find({}, {"case_no": 1}).limit(5).to_list()
    person = db.people.find_one({"id_encrypted": {"$ne": None}, "identity_key": {"$regex": "^id:"}}, {"id_encrypted": 1})
    last = db.cases.find_one({}, {"opened_at": 1}, sort=[("opened_at", -1)])["opened_at"]
    period = {"from": (last - timedelta(days=365)).isoformat(), "to": last.isoformat()}
    everything = {k: None for k in ("region", "categories", "statuses", "channels", "agency", "riskLevels", "tags",
                                    "opened", "lastActivity", "partyName")}
    centre = db.agencies.find_one({"kind": "COORDINATION_CENTRE", "parent_code": None}, {"code": 1, "region_code": 1})
    bureau = db.agencies.find_one({"kind": "PETITION_BUREAU"}, {"code": 1})
    return [
        *(("case view, of the five largest", centre["code"], "CaseView", {"caseNo": c["case_no"]}) for c in largest),
        *(("case view, of five others", centre["code"], "CaseView", {"caseNo": c["case_no"]}) for c in others),
        *[("cases page of 20", centre["code"], "Cases",
           {"filter": everything, "first": 20, "after": None, "orderBy": "OPENED_AT_DESC"})] * repeats,
        *[("person look-up", bureau["code"], "PersonLookup",
           {"purpose": "越级信访人员基层调解情况核查", "idNumber": keys.decrypt(person["id_encrypted"])})] * repeats,
        *[("summary, the district's year", centre["code"], "Analysis",
           {"filter": {"region": centre["region_code"], "period": period}, "groupBy": ["TOWNSHIP"]})] * repeats,
    ]


async def run(args: argparse.Namespace) -> None:
    keys = KeyRing(args.secret)
    made = requests(MongoClient(args.url)[args.db], keys, args.repeats)
    documents = console_documents(("CaseView", "Cases", "PersonLookup", "Analysis"))
    app = create_app(Settings(mongodb_url=args.url, db=args.db, secret_key=args.secret, watch_poll_seconds=0,
                              webhook_poll_seconds=0, audit_seal_seconds=0, rekey_poll_seconds=0,
                              rate_limit_user=UNLIMITED, rate_limit_agency=UNLIMITED))
    peaks: dict[str, list[float]] = {}
    async with LifespanManager(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench",
                                                       timeout=300) as http:
        tracemalloc.start()
        for kind, agency, operation, variables in made:
            token = tokens.issue(keys=keys, agency_code=agency, user="bench", roles=[], ttl=timedelta(hours=1))
            before, _ = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            answer = (await http.post("/graphql", headers={"Authorization": f"Bearer {token}"}, json={
                "query": documents[operation], "operationName": operation, "variables": variables})).json()
            _, peak = tracemalloc.get_traced_memory()
            assert not answer.get("errors"), (kind, answer["errors"][:1])
            peaks.setdefault(kind, []).append((peak - before) / 2**20)
    for kind, found in peaks.items():
        print(f"{kind:32s} {len(found)} requests: peak above the heap, median {statistics.median(found):5.1f} MiB, "
              f"most {max(found):5.1f} MiB")


def main() -> None:
    """Parse the arguments and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="the seeded database's server")
    parser.add_argument("--db", default="mediation_hub")
    parser.add_argument("--secret", default=os.environ.get("HUB_SECRET_KEY"), required="HUB_SECRET_KEY" not in os.environ,
                        help="HUB_SECRET_KEY the data was seeded with (default: the environment's)")
    parser.add_argument("--repeats", type=int, default=3)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
