"""Two `hub serve` processes on one store receive, concurrently and many times over, batches that name the same
persons and the same cases (#14 item 2). Afterwards: one Person per identity, one case per dispute, and each
case file holding exactly its records, whatever the interleaving was.

Disputes 6 to 11 have the parties of disputes 0 to 5, a few hours later: one at a time, each would match the
earlier dispute's case (same parties, category and township, within the match window). Concurrently, a batch
may not see that case yet and open another: matching is a heuristic over what is stored, and two different
opening records that race may keep two cases (docs/reliability.md). What holds whatever the interleaving:
the records of one dispute are never split over two cases, and no case is left without records."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from pymongo.asynchronous.database import AsyncDatabase

from hub.config import Settings
from hub.people import merge
from hub.keys.ring import KeyRing
from tests.conftest import TokenFor, free_port
from tests.factories import T0, record, resident_id
from tests.processes import hub_serve
from tests.reliability.checks import census

INGEST = """mutation($input: IngestBatchInput!) { ingestRecords(input: $input) {
    created unchanged rejected results { index status sourceId errors { code message } } } }"""
PEOPLE = [(f"重叠{n}", f"1380000{n:04d}", resident_id("19750101", 500 + n)) for n in range(6)]
DISPUTES = 12
ROUNDS = 48
QUIET = {"HUB_WEBHOOK_POLL_SECONDS": "0", "HUB_WATCH_POLL_SECONDS": "0", "HUB_AUDIT_SEAL_SECONDS": "0",
         "HUB_RATE_LIMIT_USER": "", "HUB_RATE_LIMIT_AGENCY": ""}


def party(n: int, form: str) -> dict[str, Any]:
    name, phone, id_number = PEOPLE[n]
    return {"role": "APPLICANT" if n % 2 == 0 else "RESPONDENT", "kind": "NATURAL", "name": name,
            **({"idNumber": id_number} if form != "phone" else {}), **({"phone": phone} if form != "id" else {})}


def dispute(d: int, rng: random.Random) -> list[dict[str, Any]]:
    """Dispute d: its opening intake and two follow-ups, the parties named each time in a random way (every
    person is named by both ID number and phone at least once: the intake's own form)."""
    a, b = d % len(PEOPLE), (d + 1) % len(PEOPLE)  # disputes d and d + 6 have the same parties
    forms = ["both", "id", "phone"]
    return [
        record(f"d{d}-in", at=T0 + timedelta(hours=d), parties=[party(a, "both"), party(b, "both")]),
        record(f"d{d}-f1", "MEDIATION_SESSION", at=T0 + timedelta(hours=d, minutes=30), caseRef={"sourceId": f"d{d}-in"},
               parties=[party(a, rng.choice(forms))]),
        record(f"d{d}-f2", "MEDIATION_SESSION", at=T0 + timedelta(hours=d, minutes=40), caseRef={"sourceId": f"d{d}-in"},
               parties=[party(b, rng.choice(forms)), party(a, rng.choice(forms))]),
    ]


async def test_overlapping_batches_to_two_processes_converge(
        district: AsyncDatabase, settings: Settings, token_for: TokenFor, keys: KeyRing,
        tmp_path: Path) -> None:
    rng = random.Random(14)
    # Each dispute's records are fixed (a replay sends the same record); each batch carries a few disputes.
    records = {d: dispute(d, rng) for d in range(DISPUTES)}
    batches = [[r for d in rng.sample(range(DISPUTES), 4) for r in records[d]] for _ in range(ROUNDS)]
    token = token_for("PMC-A")
    ports = free_port(), free_port()
    log = tmp_path / "serve.log"
    answers: list[dict[str, Any]] = []
    with hub_serve(settings, ports[0], log, **QUIET), hub_serve(settings, ports[1], log, **QUIET):
        clients = [httpx.AsyncClient(base_url=f"http://127.0.0.1:{p}", timeout=120,
                                     headers={"Authorization": f"Bearer {token}"}) for p in ports]
        try:
            async def send(n: int) -> None:
                payload = {"sourceSystem": "PMC-A-SYS", "agency": "PMC-A", "records": batches[n]}
                answer = await clients[n % 2].post("/graphql", json={"query": INGEST, "variables": {"input": payload}})
                answers.append(answer.json())

            for start in range(0, ROUNDS, 8):  # eight batches at a time, four to each process
                await asyncio.gather(*(send(n) for n in range(start, min(start + 8, ROUNDS))))
        finally:
            for client in clients:
                await client.aclose()

    assert all("errors" not in a for a in answers), [a for a in answers if "errors" in a]
    rejected = [r for a in answers for r in a["data"]["ingestRecords"]["results"] if r["status"] == "REJECTED"]
    assert not rejected, rejected
    assert sum(a["data"]["ingestRecords"]["created"] for a in answers) == sum(
        len(rs) for d, rs in records.items() if any(r in b for b in batches for r in rs))

    sent = sorted({r["sourceId"] for b in batches for r in b})
    found = await census(district, source_system="PMC-A-SYS", source_ids=sent)
    assert not found.problems, found.problems
    disputes = {r["sourceId"].split("-")[0] for b in batches for r in b}
    case_of: dict[str, set[Any]] = defaultdict(set)
    async for rec in district.records.find({}, {"source_id": 1, "case_id": 1}):
        case_of[rec["source_id"].split("-")[0]].add(rec["case_id"])
    assert set(case_of) == disputes and all(len(c) == 1 for c in case_of.values()), case_of  # never split
    for d in range(len(PEOPLE)):  # other parties, other cases; the same parties: one case, or two if raced
        others = {e for e in range(len(PEOPLE)) if e != d}
        assert not case_of[f"d{d}"] & set().union(*(case_of[f"d{e}"] | case_of[f"d{e + 6}"] for e in others))
    assert len(PEOPLE) <= found.cases <= len(disputes)

    # One standing Person per identity, and every record and case names it, not a Person merged away.
    people = {p["_id"]: p async for p in district.people.find()}
    roots = {pid: doc["_id"] for pid, doc in (await merge.roots(people)).items()}
    standing = {pid for pid in people if roots[pid] == pid}
    strong = {"id:" + keys.hash(purpose="resident-id", value=id_number): n for n, (_, _, id_number) in enumerate(PEOPLE)}
    holders = defaultdict(set)
    for pid in standing:
        holders[strong.get(people[pid]["identity_key"])].add(pid)
    named = {n for d in range(DISPUTES) if f"d{d}" in disputes for n in (d % len(PEOPLE), (d + 1) % len(PEOPLE))}
    assert set(holders) == named and all(len(h) == 1 for h in holders.values()), holders
    person_of = {n: next(iter(h)) for n, h in holders.items()}
    names = {name: n for n, (name, _, _) in enumerate(PEOPLE)}
    async for rec in district.records.find({}, {"parties": 1}):
        assert [p["person_id"] for p in rec["parties"]] == [person_of[names[p["name"]]] for p in rec["parties"]]
    async for case in district.cases.find({}, {"party_ids": 1}):
        assert set(case["party_ids"]) <= standing
    async for key in district.person_keys.find():
        assert key["person_id"] in standing
