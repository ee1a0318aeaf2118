"""Two `hub serve` processes on one store: every event reaches every subscriber and the webhook once by key,
through a receiver that fails twice, and through one process being killed and started again."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
from pymongo.asynchronous.database import AsyncDatabase

from hub.config import Settings
from hub.notifications import webhooks
from tests.conftest import TokenFor, free_port
from tests.factories import batch, record
from tests.notifications.conftest import Closed, Receiver, graphql_ws
from tests.processes import hub_serve as serving

INGEST = """mutation($input: IngestBatchInput!) { ingestRecords(input: $input) { rejected } }"""
REGISTER = """mutation($input: RegisterWebhookInput!) { registerWebhook(input: $input) { secret } }"""
EVENTS = """subscription($after: Int) { events(after: $after) { key seq kind } }"""


@contextmanager
def hub_serve(settings: Settings, port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`hub serve` with quick polls and retries."""
    with serving(settings, port, log, HUB_WEBHOOK_POLL_SECONDS="0.2", HUB_WEBHOOK_BACKOFF_BASE="0.2",
                 HUB_WEBHOOK_BACKOFF_CAP="0.5", HUB_WEBHOOK_TIMEOUT="2", HUB_SUBSCRIPTION_POLL_SECONDS="0.2",
                 HUB_WATCH_POLL_SECONDS="0") as server:
        yield server


@asynccontextmanager
async def subscriber(base: str, token: str, into: list[dict[str, Any]]) -> AsyncIterator[asyncio.Task[None]]:
    """A task that subscribes at `base` and appends every event to `into`, resuming after the last one
    (the first time after 0: the test's database holds no earlier event, and none is missed while joining)."""
    async def run() -> None:
        after = into[-1]["seq"] if into else 0
        async with graphql_ws(base, token=token) as client:
            await client.subscribe(EVENTS, after=after)
            while True:
                into.append((await client.next(timeout=120))["events"])

    task = asyncio.create_task(run())
    try:
        yield task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def hand_over(client: httpx.AsyncClient, token: str, n: int) -> str:
    """One case PMC-A opens and hands to HRSS, posted to this process: the event key."""
    payload = batch("PMC-A", record(f"p{n}-in", "INTAKE"), record(f"p{n}-ho", "HANDOVER", caseRef={"sourceId": f"p{n}-in"}))
    answer = await client.post("/graphql", json={"query": INGEST, "variables": {"input": payload}},
                               headers={"Authorization": f"Bearer {token}"})
    assert answer.json()["data"]["ingestRecords"]["rejected"] == 0, answer.text
    return f"handover:PMC-A-SYS|p{n}-ho"


async def until(check: Any, *, within: float, what: str) -> None:
    for _ in range(int(within / 0.1)):
        if check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not within {within}s: {what}")


async def test_two_processes_deliver_every_event_once_by_key_through_failures_and_a_kill(
        district: AsyncDatabase, settings: Settings, token_for: TokenFor, receiver: Receiver, tmp_path: Path) -> None:
    receiver.failures = 2
    ports = free_port(), free_port()
    bases = [f"127.0.0.1:{p}" for p in ports]
    sender, hrss = token_for("PMC-A"), token_for("HRSS")
    log = tmp_path / "serve.log"
    first: list[dict[str, Any]] = []
    second: list[dict[str, Any]] = []
    keys: list[str] = []
    with hub_serve(settings, ports[0], log):
        async with httpx.AsyncClient(base_url=f"http://{bases[0]}", timeout=30) as one:
            registered = await one.post("/graphql", headers={"Authorization": f"Bearer {hrss}"}, json={
                "query": REGISTER, "variables": {"input": {"url": f"{receiver.url}/hrss"}}})
            secret = registered.json()["data"]["registerWebhook"]["secret"]
            async with subscriber(bases[0], hrss, first):
                with hub_serve(settings, ports[1], log) as killed:
                    async with httpx.AsyncClient(base_url=f"http://{bases[1]}", timeout=30) as two:
                        async with subscriber(bases[1], hrss, second) as listening:
                            for n in range(6):  # to both processes in turn
                                keys.append(await hand_over((one, two)[n % 2], sender, n))
                            await until(lambda: len(second) >= 3, within=120, what="events on the second process")
                            killed.send_signal(signal.SIGKILL)
                            killed.wait(timeout=10)
                            await asyncio.gather(listening, return_exceptions=True)
                            assert isinstance(listening.exception(), Closed)
                for n in range(6, 10):  # while the second process is down
                    keys.append(await hand_over(one, sender, n))
                with hub_serve(settings, ports[1], log):
                    async with httpx.AsyncClient(base_url=f"http://{bases[1]}", timeout=30) as two:
                        async with subscriber(bases[1], hrss, second):  # resumes after its last event
                            for n in range(10, 12):
                                keys.append(await hand_over(two, sender, n))
                            await until(lambda: len(first) >= 12 and len(second) >= 12, within=120,
                                        what=f"12 events to each subscriber ({len(first)}, {len(second)})")
                            delivered = lambda: {r["headers"]["X-Hub-Event-Id"]  # noqa: E731
                                                 for r in receiver.on("/hrss")[2:]}
                            await until(lambda: delivered() >= set(keys), within=120,
                                        what="every event accepted by the webhook receiver")
    # Each subscriber: every event, once, in order — across the kill for the second one.
    for received in (first, second):
        assert [e["key"] for e in received] == keys, (received, keys)
        assert [e["seq"] for e in received] == sorted(e["seq"] for e in received)
    # The webhook: the first two attempts failed and were retried; every key arrived, each signed right.
    requests = receiver.on("/hrss")
    assert len(requests) >= len(keys) + 2
    for request in requests:
        headers = request["headers"]
        assert webhooks.verify(secret, timestamp=headers["X-Hub-Timestamp"], body=request["body"],
                               signature_header=headers["X-Hub-Signature"]), headers
        assert json.loads(request["body"])["id"] == headers["X-Hub-Event-Id"]
    accepted = [r["headers"]["X-Hub-Event-Id"] for r in requests[2:]]
    assert sorted(set(accepted)) == sorted(keys)
