"""The simulated clients of `bench/load.py`, for locust: the console's case views, case pages,
person look-ups and summaries, and agencies' systems pushing small ingestion batches.

Reads the plan `bench/load.py` wrote (the file named by LOAD_PLAN): the GraphQL documents (the
console's own), the cases to view and who views each, the ID numbers to look up, the summaries'
scopes, tokens per agency and client. A request fails on any status but 200, on an answer with
`errors`, on a case not found, a person not found, and on an ingestion batch with records rejected.
Tallies of what the answers held are written to the plan's `outcomes` file when the run stops.
"""

from __future__ import annotations

import itertools
import json
import os
import random
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from locust import FastHttpUser, between, events, task

from seeds import wire
from seeds.generator import DEFAULT_NOW, DEFAULT_SEED, build_world, reference_data
from seeds.histories import CaseBuilder
from seeds.world import Identities

PLAN: dict[str, Any] = json.loads(Path(os.environ["LOAD_PLAN"]).read_text())
DOCUMENTS: dict[str, str] = PLAN["documents"]
OUTCOMES: Counter[str] = Counter()
BATCH_RECORDS = 10  # an agency's system pushes its new records in batches of about this many
_clients = itertools.count()


def new_batches(tag: str) -> Iterator[dict[str, Any]]:
    """Batches of new cases the data does not hold yet: the demo's district and organisations, new
    people (their own identity seed), each case's records by the agency that opened it (those that
    refer only to records of that agency). Each agency's records go out in batches of about
    BATCH_RECORDS, from a source system of this run's own (`<agency>-LOAD-<tag>`), so that
    the records are new on every run."""
    world = build_world(DEFAULT_SEED, *reference_data(DEFAULT_SEED))
    world.people = Identities(random.Random(f"people:load:{tag}"))
    rng = random.Random(f"cases:load:{tag}")
    pending: dict[str, list[dict[str, Any]]] = {}
    for index in itertools.count():
        records = wire.records(CaseBuilder(world, rng, DEFAULT_NOW, index).build())
        opener = records[0][0]
        system = f"{opener}-LOAD-{tag}"
        kept: set[tuple[str, str]] = set()
        for agency, record, deps in records:
            if agency != opener or not all(d in kept for d in deps) or "handoverId" in record["details"]:
                continue
            kept.add((f"{agency}-SYS", record["sourceId"]))
            for ref in [record.get("caseRef"), *record.get("refs", [])]:
                if ref:
                    ref["sourceSystem"] = system
            pending.setdefault(opener, []).append(record)
        if len(pending.get(opener, [])) >= BATCH_RECORDS:
            yield {"sourceSystem": system, "agency": opener, "records": pending.pop(opener)}


BATCHES = new_batches(PLAN["tag"])


def headline_of(data: dict[str, Any]) -> str | None:
    return None if data.get("case") else "case not found"


def found(data: dict[str, Any]) -> str | None:
    return None if data["personLookup"]["found"] else "person not found"


def landed(data: dict[str, Any]) -> str | None:
    result = data["ingestRecords"]
    OUTCOMES.update({"records created": result["created"], "records updated": result["updated"],
                     "records unchanged": result["unchanged"], "records rejected": result["rejected"]})
    codes = sorted({e["code"] for r in result["results"] for e in r["errors"]})
    OUTCOMES.update(f"rejected: {code}" for code in codes)
    return f"records rejected ({', '.join(codes)})" if result["rejected"] else None


class Client(FastHttpUser):
    """One person at the console or one agency's system: after each answer, waits 0.5 to 1.5 s."""

    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        self.number = next(_clients) % PLAN["clients"]
        self.rng = random.Random(f"client:{self.number}")

    def graphql(self, name: str, agency: str, operation: str, variables: dict[str, Any],
                check: Callable[[dict[str, Any]], str | None] | None = None) -> dict[str, Any] | None:
        """POST one of the console's documents as this client's user of `agency`; None when it failed."""
        headers = {"Authorization": f"Bearer {PLAN['tokens'][agency][self.number]}"}
        body = {"query": DOCUMENTS[operation], "operationName": operation, "variables": variables}
        with self.client.post("/graphql", json=body, headers=headers, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}: {(response.text or '')[:120]}")
                return None
            try:
                answer = response.json()
            except ValueError:
                response.failure("not JSON")
                return None
            if answer.get("errors"):
                response.failure("; ".join(f"{(e.get('extensions') or {}).get('code')}: {e.get('message', '')[:80]}"
                                           for e in answer["errors"]))
                return None
            problem = check(answer["data"]) if check else None
            if problem:
                response.failure(problem)
                return None
            return answer["data"]

    @task(16)
    def case_view(self) -> None:
        """案件全景: one case by its number, as the lead agency, an agency involved or a centre above it."""
        case = self.rng.choice(PLAN["cases"])
        self.graphql("case view", self.rng.choice(case["viewers"]), "CaseView", {"caseNo": case["caseNo"]},
                     headline_of)

    @task(6)
    def case_pages(self) -> None:
        """案件检索: the first page of 20, newest first, then up to two more by the cursor."""
        agency, scope = self.rng.choice(PLAN["page_scopes"])
        statuses = self.rng.choice([None, ["IN_MEDIATION"]])
        flt = {"region": None, "categories": None, "statuses": statuses, "channels": None, "agency": None,
               "riskLevels": None, "tags": None, "opened": None, "lastActivity": None, "partyName": None}
        after = None
        for _ in range(self.rng.randint(1, 3)):
            data = self.graphql(f"cases page ({scope})", agency, "Cases",
                                {"filter": flt, "first": 20, "after": after, "orderBy": "OPENED_AT_DESC"})
            if not data or not data["cases"]["pageInfo"]["hasNextPage"]:
                break
            after = data["cases"]["pageInfo"]["endCursor"]

    @task(6)
    def person_lookup(self) -> None:
        """当事人查询 by ID number, at the petition bureau's window, with its stated purpose."""
        variables = {"purpose": "越级信访人员基层调解情况核查", "idNumber": self.rng.choice(PLAN["id_numbers"])}
        self.graphql("person look-up", PLAN["petition_bureau"], "PersonLookup", variables, found)

    @task(1)
    def summary(self) -> None:
        """分析研判: the console's four summaries of the last twelve months, for a centre's region."""
        agency, region, scope = self.rng.choice(PLAN["summaries"])
        self.graphql(f"summary ({scope})", agency, "Analysis",
                     {"filter": {"region": region, "period": PLAN["period"]}, "groupBy": ["TOWNSHIP"]})

    @task(10)
    def ingest(self) -> None:
        """An agency's system pushes about ten new records (`ingestRecords`, the console's document)."""
        batch = next(BATCHES)
        self.graphql("ingest batch", batch["agency"], "SubmitScreening", {"input": batch}, landed)


@events.quitting.add_listener
def _write_outcomes(environment: Any, **_: Any) -> None:
    Path(PLAN["outcomes"]).write_text(json.dumps(OUTCOMES, ensure_ascii=False, indent=1))
