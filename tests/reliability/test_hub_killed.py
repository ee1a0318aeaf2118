"""`hub serve` SIGKILLed while it writes a batch of 1,000 records; restarted; what readers see; the replay.

"Visible" (docs/reliability.md, "Faults"): a record is visible once its case's file holds it — the case view,
its timeline and `cases` read case files and cases, never the records collection. The test kills the hub
once the batch's cases are being written and checks, through GraphQL, what the definition allows.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import MongoClient
from pymongo.asynchronous.database import AsyncDatabase

from hub.config import Settings
from hub.store import service as store_service
from tests.conftest import TokenFor, free_port
from tests.factories import load_reference_data, record, resident_id
from tests.processes import HUB, hub_env, run_hub, wait_for_status
from tests.reliability.checks import census

N, HANDOVERS = 1000, 200
SYSTEM = "PMC-A-SYS"
INGEST = """mutation($input: IngestBatchInput!) {
  ingestRecords(input: $input) { created updated unchanged rejected }
}"""
CASES = """query($after: String) {
  cases(first: 100, after: $after) {
    edges { node { caseNo recordCount timeline(first: 100) { edges { node { sourceId } } } } }
    pageInfo { hasNextPage endCursor }
  }
}"""


def big_batch() -> dict[str, Any]:
    """800 intakes, each opening its own case, and 200 handovers of the first 200 to HRSS (each an event)."""
    at = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    intakes = [record(f"in-{i}", at=at, parties=[{"role": "APPLICANT", "name": f"当事人{i}",
                                                  "idNumber": resident_id(birth=f"1980{1 + i // 300:02d}01", seq=i % 300)}])
               for i in range(N - HANDOVERS)]
    handovers = [record(f"ho-{i}", "HANDOVER", at=at + timedelta(hours=1), caseRef={"sourceId": f"in-{i}"})
                 for i in range(HANDOVERS)]
    return {"sourceSystem": SYSTEM, "agency": "PMC-A", "records": intakes + handovers}


def serve(settings: Settings, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = hub_env(HUB_MONGODB_URL=settings.mongodb_url or "", HUB_DB=settings.db, HUB_PORT=str(port),
                  HUB_SECRET_KEY=settings.resolved_secret_key(), HUB_DATA_DIR=str(settings.data_dir),
                  HUB_WEBHOOK_POLL_SECONDS="0", HUB_WATCH_POLL_SECONDS="0", HUB_AUDIT_SEAL_SECONDS="0",
                  HUB_RATE_LIMIT_USER="", HUB_RATE_LIMIT_AGENCY="")
    with log.open("ab") as out:
        server = subprocess.Popen([HUB, "serve"], env=env, stdout=out, stderr=subprocess.STDOUT)
    wait_for_status(f"http://127.0.0.1:{port}/readyz", 200, within=60)
    return server


def phase(db: Any) -> dict[str, int]:
    """How far the batch got, collection by collection."""
    return {name: db[name].estimated_document_count() for name in ("cases", "records", "case_files", "outbox")}


def ingest(base: str, token: str, payload: dict[str, Any]) -> dict[str, int]:
    answer = httpx.post(f"{base}/graphql", json={"query": INGEST, "variables": {"input": payload}},
                        headers={"Authorization": f"Bearer {token}"}, timeout=300)
    body = answer.json()
    assert "errors" not in body, body
    return body["data"]["ingestRecords"]


def kill_mid_batch(settings: Settings, port: int, log: Path, token: str,
                   trigger: str) -> tuple[dict[str, int], datetime]:
    """Post the batch and SIGKILL the hub once the `trigger` collection has a document (`cases`: the batch is
    opening its cases; `records`: writing its records); the counts at the kill, and when the batch started."""
    base = f"http://127.0.0.1:{port}"
    server = serve(settings, port, log)
    sync: MongoClient = MongoClient(settings.mongodb_url)
    started = datetime.now(timezone.utc)
    try:
        poster = threading.Thread(target=lambda: _swallow(ingest, base, token, big_batch()), daemon=True)
        poster.start()
        deadline = time.monotonic() + 120
        while sync[settings.db][trigger].estimated_document_count() == 0 and poster.is_alive():
            assert time.monotonic() < deadline, "the batch wrote no case within 2 minutes"
            time.sleep(0.005)
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
        poster.join(timeout=30)
        return phase(sync[settings.db]), started
    finally:
        sync.close()
        if server.poll() is None:
            server.kill()


def _swallow(func: Any, *args: Any) -> None:
    try:
        func(*args)
    except (httpx.HTTPError, ValueError):
        pass  # the hub died under the request: expected


def read_cases(base: str, token: str) -> list[dict[str, Any]]:
    """Every case a coordination centre sees, with its record count and timeline, page by page."""
    cases, after = [], None
    while True:
        answer = httpx.post(f"{base}/graphql", json={"query": CASES, "variables": {"after": after}},
                            headers={"Authorization": f"Bearer {token}"}, timeout=60).json()
        assert "errors" not in answer, answer
        page = answer["data"]["cases"]
        cases += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return cases
        after = page["pageInfo"]["endCursor"]


@pytest.mark.parametrize("trigger", ["cases", "records"])
async def test_hub_killed_mid_batch_shows_no_half_written_record_and_the_replay_completes_it(
    settings: Settings, district: AsyncDatabase, token_for: TokenFor, tmp_path: Path, trigger: str
) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    for attempt in range(4):  # the kill must land inside the batch's writes; on this machine it nearly always does
        at_kill, started = kill_mid_batch(settings, port, log, token_for("PMC-A"), trigger)
        if at_kill["records"] < N or at_kill["case_files"] < at_kill["cases"] or at_kill["outbox"] < HANDOVERS:
            break
        await district.client.drop_database(settings.db)  # it landed after the batch: start again
        await store_service.init_models(database=district)
        await load_reference_data()
    else:
        raise AssertionError(f"the kill never landed mid-batch: {at_kill}")

    server = serve(settings, port, log)
    base = f"http://127.0.0.1:{port}"
    try:
        # What readers see after the crash, before any replay.
        seen = read_cases(base, token_for("CC"))
        stored = {r["source_id"]: r["case_no"] async for r in district.records.find({}, {"source_id": 1, "case_no": 1})}
        shown = {e["node"]["sourceId"]: c["caseNo"] for c in seen for e in c["timeline"]["edges"]}
        assert all(stored.get(s) == case_no for s, case_no in shown.items()), "a timeline shows a record not stored"
        empty = [c["caseNo"] for c in seen if not c["timeline"]["edges"]]
        lagging = [c["caseNo"] for c in seen if c["recordCount"] != len(c["timeline"]["edges"])]
        hidden = len(stored) - len(shown)  # written, not yet in a case file: not visible
        cases_then = len(seen)
        before_replay = await census(district, source_system=SYSTEM, source_ids=[r["sourceId"] for r in big_batch()["records"]])

        # The replay completes the batch.
        again = ingest(base, token_for("PMC-A"), big_batch())
        assert again["rejected"] == 0 and again["updated"] == 0
        assert again["created"] + again["unchanged"] == N
        assert again["unchanged"] == at_kill["records"]  # what the dead process wrote counts once
        after = await census(district, source_system=SYSTEM, source_ids=[r["sourceId"] for r in big_batch()["records"]])
        assert after.problems == [], (at_kill, after.problems)
        assert after.records == N and after.cases == N - HANDOVERS and after.persons == N - HANDOVERS
        seen = read_cases(base, token_for("CC"))
        assert len(seen) == N - HANDOVERS
        assert all(c["recordCount"] == len(c["timeline"]["edges"]) >= 1 for c in seen)
        assert sum(c["recordCount"] for c in seen) == N

        # The events the dead process never wrote: the replay does not write them (its handovers are unchanged
        # when they were stored before the kill); `hub outbox repair` does.
        events = await district.outbox.count_documents({"_id": {"$regex": "^handover:"}})
        env = hub_env(HUB_MONGODB_URL=settings.mongodb_url or "", HUB_DB=settings.db,
                      HUB_SECRET_KEY=settings.resolved_secret_key(), HUB_DATA_DIR=str(settings.data_dir))
        since = (started - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S")
        repaired = run_hub("outbox", "repair", "--since", since, env=env)
        assert repaired.returncode == 0, repaired.stderr
        assert await district.outbox.count_documents({"_id": {"$regex": "^handover:"}}) == HANDOVERS
        again_repaired = run_hub("outbox", "repair", "--since", since, env=env)
        assert "0 missing event(s) written" in again_repaired.stdout
        print(f"\n{trigger}: attempt {attempt + 1}; at the kill {at_kill}; readers then saw {cases_then} cases, "
              f"{len(empty)} empty (opened, not folded), {len(lagging)} with a record count behind the timeline, "
              f"{hidden} records not visible; before the replay: {before_replay.problems}; "
              f"replay {again}; events before repair {events}; repair: {repaired.stdout.strip()}")
    finally:
        server.terminate()
        server.wait(timeout=30)
