"""A store that goes down: every read and write gets UNAVAILABLE quickly (no hang, no 500), and the hub
recovers by itself when the store is back."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
from asgi_lifespan import LifespanManager

from hub.keys.ring import KeyRing
from hub.app import create_app
from hub.auth import tokens
from hub.config import Settings
from hub.store import local as local_store
from hub.store import service as store_service
from seeds import loader
from tests.factories import batch, record

CASES = {"query": "{ cases(first: 5) { totalCount nodes { caseNo } } }"}
INGEST = """mutation($input: IngestBatchInput!) { ingestRecords(input: $input) { created rejected } }"""
SECRET = "store-down-test-secret-of-thirty-two-bytes"


def codes(response: httpx.Response) -> set[str]:
    return {e.get("extensions", {}).get("code") for e in response.json().get("errors", [])}


async def test_reads_and_writes_get_unavailable_quickly_and_recover(own_store: Settings) -> None:
    settings = Settings(mongodb_url=own_store.local_store_url, db="store_down", data_dir=own_store.data_dir,
                        secret_key=SECRET, webhook_poll_seconds=0, watch_poll_seconds=0, audit_seal_seconds=0)
    async with store_service.connected(settings=settings) as database:
        await store_service.reset(database=database)
        await loader.load_reference_data()
    app = create_app(settings)
    token = tokens.issue(keys=KeyRing(SECRET), agency_code="QH-CC", user="值班员", roles=[], ttl=timedelta(hours=1))
    headers = {"Authorization": f"Bearer {token}"}
    committee = {"Authorization": "Bearer " + tokens.issue(keys=KeyRing(SECRET), agency_code="QH-PMC-01", user="调解员",
                                                          roles=[], ttl=timedelta(hours=1))}
    payload = batch("QH-PMC-01", record("down-1", "INTAKE"))
    async with LifespanManager(app, startup_timeout=60):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test",
                                     headers=headers, timeout=60) as http:
            assert (await http.post("/graphql", json=CASES)).json()["data"]["cases"]["totalCount"] == 0

            local_store.stop(own_store)
            for name, send in (
                ("a read", lambda: http.post("/graphql", json=CASES)),
                ("a write", lambda: http.post("/graphql", headers=committee,
                                              json={"query": INGEST, "variables": {"input": payload}})),
                ("an export", lambda: http.get("/exports/cases.xlsx")),
            ):
                started = time.monotonic()
                answer = await send()
                elapsed = time.monotonic() - started
                print(f"store down: {name} answered {answer.status_code} UNAVAILABLE in {elapsed:.2f} s")
                assert answer.status_code in (200, 503), (name, answer.status_code, answer.text)
                assert codes(answer) == {"UNAVAILABLE"}, (name, answer.text)
                # Within HUB_READY_TIMEOUT (1.5 s) and the time to fail over the retry: no 30 s hang.
                assert elapsed < settings.ready_timeout * 3 + 2, f"{name} took {elapsed:.1f} s"

            local_store.start(own_store)  # the memory backend comes back empty: the hub itself is fine
            deadline = time.monotonic() + 30
            back = time.monotonic()
            while (await http.get("/readyz")).status_code != 200:
                assert time.monotonic() < deadline, "readyz did not recover"
            print(f"store back: ready {time.monotonic() - back:.2f} s after the store answered again")
            await loader.load_reference_data()  # through the app's own client, which reconnected by itself
            written = await http.post("/graphql", headers=committee,
                                      json={"query": INGEST, "variables": {"input": payload}})
            assert (written.json().get("data") or {}).get("ingestRecords") == {"created": 1, "rejected": 0}, written.text
            assert (await http.post("/graphql", json=CASES)).json()["data"]["cases"]["totalCount"] == 1
