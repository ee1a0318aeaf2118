"""Fuzzing `hub serve` as a process (#14 items 5 and 6): schema-generated queries and mutations with a token of
each agency kind, judged by the access oracle (tests/system/fuzzing.py); and malformed HTTP requests.

The default suite sends a few hundred of each. The full run sets the counts and writes the figures to a file:

    HUB_FUZZ_EXAMPLES=10000 HUB_FUZZ_MALFORMED=2000 HUB_FUZZ_REPORT=/tmp/fuzz.json \
        .venv/bin/pytest tests/system/test_fuzz.py

Mutations in the stream change the data: the oracle reads the store again after every mutation that answered
with data (and whenever an answer names an object it has not seen), so each answer is judged against the
store as it was right after it.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from pymongo import MongoClient
from pymongo.asynchronous.database import AsyncDatabase

from hub.auth import tokens
from hub.config import Settings
from hub.keys.ring import KeyRing
from hub.cases.models import Case
from seeds import loader
from tests.factories import batch, record
from tests.scenarios import ingest
from tests.conftest import free_port
from tests.processes import hub_serve
from tests.system import fuzzing, malformed

SCALE = 40  # every record kind, petitions, handovers, meetings, a campaign, notices, typical cases
EXAMPLES = int(os.environ.get("HUB_FUZZ_EXAMPLES", "240"))  # documents, shared among the callers
MALFORMED = int(os.environ.get("HUB_FUZZ_MALFORMED", "200"))
REPORT = os.environ.get("HUB_FUZZ_REPORT")
# uvicorn's own answers to what is not HTTP it parses (the hub never sees those requests).
UVICORN_OWN = (b"Invalid HTTP request received.", b"Unsupported upgrade request.", b"Failed to open a WebSocket connection")


def _fuzz_settings(examples: int) -> Any:
    return hypothesis_settings(max_examples=examples, database=None, deadline=None, phases=[Phase.generate],
                               suppress_health_check=list(HealthCheck), print_blob=False)


@pytest.fixture
async def seeded(settings: Settings, database: AsyncDatabase, keys: KeyRing) -> Settings:
    """The test's database with a demo district of SCALE cases, and a restricted stability plan (which the demo
    writes on one case in a hundred) on six of them, so that the oracle has restricted records to look for."""
    await loader.load(keys=keys, scale=SCALE)
    cases = await Case.find_all().sort("case_no").limit(6).to_list()
    await ingest(batch("QH-WWB", *(record(f"fuzz-plan-{n}", "STABILITY_PLAN", caseNo=case.case_no, visibility="RESTRICTED")
                                   for n, case in enumerate(cases))))
    return settings


@pytest.fixture
def served(seeded: Settings, tmp_path: Path) -> Iterator[int]:
    """`hub serve` on a free port against the seeded database (no background work, no rate limits): the port."""
    port = free_port()
    log = tmp_path / "serve.log"
    try:
        with hub_serve(seeded, port, log, HUB_WEBHOOK_POLL_SECONDS="0", HUB_WATCH_POLL_SECONDS="0",
                       HUB_AUDIT_SEAL_SECONDS="0", HUB_RATE_LIMIT_USER="", HUB_RATE_LIMIT_AGENCY=""):
            yield port
    finally:
        if log.exists() and "Traceback" in log.read_text(errors="replace"):
            print(log.read_text(errors="replace")[-4000:])


def _token(settings: Settings, caller: fuzzing.Caller) -> str:
    return tokens.issue(keys=KeyRing(settings.resolved_secret_key()), agency_code=caller.agency, user="fuzz",
                        roles=list(caller.roles), ttl=timedelta(hours=6))


def _write_report(section: str, figures: dict[str, Any]) -> None:
    if not REPORT:
        return
    path = Path(REPORT)
    report = json.loads(path.read_text()) if path.exists() else {}
    report[section] = figures
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2))


def fuzz_documents(port: int, settings: Settings, keys: KeyRing, examples: int) -> dict[str, fuzzing.Tally]:
    """Send `examples` generated documents, shared among the callers; a tally per caller."""
    client: MongoClient = MongoClient(settings.mongodb_url)
    db = client[settings.db]
    clear = fuzzing.clear_values(db, keys)  # the seeded people's, before anything is fuzzed in
    assert clear, "the seeded district has people with clear identifiers"
    strategy = fuzzing.documents(fuzzing.Known.read(db, clear))
    tallies: dict[str, fuzzing.Tally] = {}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            for caller in fuzzing.CALLERS:
                oracle = fuzzing.Oracle(db, fuzzing.principal_of(db, caller), clear)
                tally = tallies[caller.label] = fuzzing.Tally()
                headers = {"Authorization": f"Bearer {_token(settings, caller)}"}

                @_fuzz_settings(max(1, examples // len(fuzzing.CALLERS)))
                @given(strategy)
                def one(document: str) -> None:
                    sent = fuzzing.with_identity(document)
                    response = http.post("/graphql", json={"query": sent}, headers=headers)
                    try:
                        answer = response.json()
                    except ValueError:
                        answer = None
                    leaks: list[str] = []
                    if isinstance(answer, dict) and answer.get("data"):
                        if fuzzing.is_mutation(sent):
                            oracle.refresh()
                        leaks = oracle.judge(sent, answer)
                    tally.note(sent, response.status_code, answer, leaks)

                one()
    finally:
        client.close()
    return tallies


async def test_generated_documents_never_fail_inside_and_answer_only_what_the_caller_may_see(
        served: int, seeded: Settings, keys: KeyRing) -> None:
    started = time.monotonic()
    tallies = await asyncio.to_thread(fuzz_documents, served, seeded, keys, EXAMPLES)
    elapsed = time.monotonic() - started
    figures = {label: {"sent": t.sent, "mutations": t.mutations, "with_data": t.with_data,
                       "statuses": dict(t.statuses), "codes": dict(t.codes.most_common()), "problems": len(t.problems)}
               for label, t in tallies.items()}
    _write_report("documents", {"seconds": round(elapsed, 1), "callers": figures})
    problems = [f"{label}: {p}" for label, t in tallies.items() for p in t.problems]
    assert sum(t.sent for t in tallies.values()) >= EXAMPLES * 0.9
    assert sum(t.with_data for t in tallies.values()) > 0, "no generated document was answered with data"
    assert not problems, f"{len(problems)} problems, the first:\n" + "\n\n".join(problems[:8])


def fuzz_malformed(port: int, token: str, count: int) -> tuple[Counter[str], list[str]]:
    """Send `count` malformed requests; the answers by kind and status, and what is wrong with any."""
    seen: Counter[str] = Counter()
    problems: list[str] = []

    @_fuzz_settings(count)
    @given(malformed.requests(token))
    def one(request: malformed.Raw) -> None:
        answer = malformed.send(port, request)
        status, body = answer.status, answer.body
        own = any(body.startswith(text) for text in UVICORN_OWN) or status == 0 or \
            request.kind in {"broken HTTP", "WebSocket upgrade junk"} and status in {400, 403, 426} \
            and "json" not in answer.headers.get("content-type", "")
        seen[f"{request.kind}: {status}{' (uvicorn)' if own else ''}"] += 1
        what = f"{request.kind}: {request.head[:200]!r}"
        if status >= 500:
            problems.append(f"HTTP {status} {body[:300]!r} for {what}")
            return
        if own or request.head.startswith(b"HEAD "):
            return  # uvicorn's own answer; or an answer to HEAD, which has no body
        parsed = answer.json()
        if status == 101:
            return  # a real upgrade: the graphql-transport-ws handshake took over
        errors = parsed.get("errors") if isinstance(parsed, dict) else None
        if status >= 400 and not errors:
            problems.append(f"HTTP {status} without a JSON error: {body[:200]!r} for {what}")
        for error in errors or []:
            code = (error.get("extensions") or {}).get("code")
            if not code or code == "INTERNAL_SERVER_ERROR":
                problems.append(f"HTTP {status} error {code or 'without a code'}: {error.get('message')!r} for {what}")

    one()
    return seen, problems


async def test_malformed_requests_get_a_coded_4xx_and_never_a_500(served: int, seeded: Settings) -> None:
    token = _token(seeded, fuzzing.CALLERS[0])
    started = time.monotonic()
    seen, problems = await asyncio.to_thread(fuzz_malformed, served, token, MALFORMED)
    _write_report("malformed", {"seconds": round(time.monotonic() - started, 1), "sent": sum(seen.values()),
                                "answers": dict(sorted(seen.items())), "problems": len(problems)})
    assert sum(seen.values()) >= MALFORMED * 0.9
    assert not problems, f"{len(problems)} problems, the first:\n" + "\n".join(problems[:12])
    # the hub is still up and answering
    assert httpx.get(f"http://127.0.0.1:{served}/healthz").status_code == 200


async def test_the_oracle_tells_a_leak(seeded: Settings, keys: KeyRing) -> None:
    """The oracle is not vacuous: an answer forged with a case, a restricted record and a clear phone that the
    social mediation organisation may not see is judged three times wrong; the district centre (with pii)
    may see them all."""
    client: MongoClient = MongoClient(seeded.mongodb_url)
    try:
        db = client[seeded.db]
        clear = fuzzing.clear_values(db, keys)
        outsider = fuzzing.Oracle(db, fuzzing.principal_of(db, fuzzing.Caller("social", "QH-YTW")), clear)
        centre = fuzzing.Oracle(db, fuzzing.principal_of(db, fuzzing.Caller("centre", "QH-CC", ("pii",))), clear)
        record = db.records.find_one({"visibility": "RESTRICTED"})
        assert record is not None, "the seeded district has restricted records"
        case = db.cases.find_one({"_id": record["case_id"]})
        assert "QH-YTW" not in case["agencies"] + case.get("handed_to", []) + [case.get("lead_agency_code")]
        person = db.people.find_one({"phone_encrypted": {"$ne": None}})
        document = ("{ case(caseNo: \"%s\") { __typename id timeline { nodes { __typename id } } "
                    "parties { person { __typename id phone } } } }" % case["case_no"])
        answer = {"data": {"case": {
            "__typename": "Case", "id": fuzzing.global_id("Case", case["_id"]),
            "timeline": {"nodes": [{"__typename": "StabilityAssessmentRecord", "id": fuzzing.global_id("Record", record["_id"])}]},
            "parties": [{"person": {"__typename": "Person", "id": fuzzing.global_id("Person", person["_id"]),
                                    "phone": keys.decrypt(person["phone_encrypted"])}}]}}}
        problems = outsider.judge(document, answer)
        assert any("case" in p and "outside" in p for p in problems), problems
        assert any("RESTRICTED" in p for p in problems), problems
        assert any("clear phone" in p for p in problems), problems
        assert any(".phone: not the masked value" in p for p in problems), problems
        assert centre.judge(document, answer) == []
    finally:
        client.close()
