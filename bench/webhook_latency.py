"""Webhook delivery latency: a change committed through `ingestRecords` → its signed POST received.

    .venv/bin/python -m bench.webhook_latency [--rate 100] [--seconds 60] [--batch 10] [--senders 4]
                                              [--processes 1] [--poll-seconds S] [--wait 30]

Starts a fresh local store (memory backend, `HUB_STORE_HEAP`, default 2g) with the demo district's
reference data, and `hub serve` against it (`--processes 2`: two of them on the one store, the
requests alternating between them), with the default `HUB_WEBHOOK_POLL_SECONDS` unless
`--poll-seconds` says otherwise. A receiver in this process (stdlib ThreadingHTTPServer on
127.0.0.1) notes when each `X-Hub-Event-Id` arrives, checks `X-Hub-Signature` with
`hub.notifications.webhooks.verify` and answers 204. QH-RSJ (the district's labour bureau)
registers a webhook for CASE_HANDED_TO to it with `registerWebhook`.

Setup opens one case per event to come (INTAKE records of QH-PMC-01, batches of 500). Then
`--rate` events per second for `--seconds`: requests of `--batch` HANDOVER records (each on its
own case, `details.toAgency` QH-RSJ, so one CASE_HANDED_TO event each), due on a fixed schedule
(request i at start + i · batch / rate) and sent by at most `--senders` concurrent requests; a
request that cannot start on time starts late, and the rate achieved is reported. Then waits for
stragglers, at most `--wait` seconds after the last request returned. The records are dated now
and the handovers due in a week, so the hub's watch (HUB_WATCH_POLL_SECONDS, which the environment
passes through like any HUB_ setting) raises no warning or deadline about them.

An event's latency is its first receipt minus the time its ingest request returned (the change
committed), and minus the time the request was sent. Printed: p50 / p90 / p99 / max of both, the
p50 per tenth of the run (a growth shows there), received against expected, duplicates, bad
signatures, and where the time goes, from the delivery log's own times (the hub's clock, the same
machine's): request returned → delivery created (the dispatcher's fan-out) → received.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
from pymongo import MongoClient

from bench.common import WebhookReceiver, bearer, percentile, run_on_store, serving_process, timed
from bench.ingest import INGEST, _prepare
from hub.config import Settings

SENDER = "QH-PMC-01"  # a township's people's mediation committee opens the cases and hands them over
SOURCE = f"{SENDER}-SYS"
RECEIVER = "QH-RSJ"  # the district's human resources and social security bureau receives them
VILLAGE = "510199001001"  # in SENDER's township
REGISTER = """mutation($input: RegisterWebhookInput!) { registerWebhook(input: $input) { secret webhook { id } } }"""


# The records are dated now and the handovers to be answered in a week, so the watch (HUB_WATCH_POLL_SECONDS)
# finds no warning or near deadline among them: the outbox holds the handovers' events only.
NOW = datetime.now(timezone.utc).replace(microsecond=0)


def _intake(n: int) -> dict[str, Any]:
    return {"sourceId": f"lat-{n}-in", "kind": "INTAKE", "occurredAt": (NOW - timedelta(minutes=5)).isoformat(),
            "summary": f"受理记录 {n}", "details": {},
            "case": {"title": "拖欠工资纠纷", "category": "LABOUR", "regionCode": VILLAGE}}


def _handover(n: int) -> dict[str, Any]:
    return {"sourceId": f"lat-{n}-ho", "kind": "HANDOVER", "occurredAt": NOW.isoformat(),
            "summary": f"移交人社局 {n}", "caseRef": {"sourceId": f"lat-{n}-in"},
            "details": {"toAgency": RECEIVER, "reason": "属劳动保障部门职责",
                        "acceptBy": (NOW + timedelta(days=7)).isoformat()}}


def event_key(n: int) -> str:
    return f"handover:{SOURCE}|lat-{n}-ho"


def _ingest(http: httpx.Client | httpx.AsyncClient, headers: dict[str, str], records: list[dict[str, Any]]) -> Any:
    return http.post("/graphql", headers=headers, json={"query": INGEST, "variables": {"input": {
        "sourceSystem": SOURCE, "agency": SENDER, "records": records}}})


def _landed(body: dict[str, Any], expected: int) -> None:
    assert "errors" not in body, body["errors"]
    result = body["data"]["ingestRecords"]
    assert result["rejected"] == 0 and result["created"] == expected, result


def median_time(fn: Any, runs: int = 9) -> float:
    """The median wall time of fn, in seconds."""
    return statistics.median(timed(fn, runs))


def _stats(samples: list[float]) -> str:
    if not samples:
        return "no samples"
    return (f"p50 {statistics.median(samples) * 1000:.0f} ms, p90 {percentile(samples, 90) * 1000:.0f} ms, "
            f"p99 {percentile(samples, 99) * 1000:.0f} ms, max {max(samples) * 1000:.0f} ms")


async def _send_all(args: argparse.Namespace, ports: list[int], headers: dict[str, str], first: int,
                    timing: dict[int, tuple[float, float, float]]) -> tuple[float, float, int]:
    """Post the scheduled requests; per request index: (due, sent, returned). Returns (start, end, late)."""
    requests = max(1, round(args.rate * args.seconds / args.batch))
    interval = args.batch / args.rate
    clients = [httpx.AsyncClient(base_url=f"http://127.0.0.1:{p}", timeout=120) for p in ports]
    slots = asyncio.Semaphore(args.senders)
    late = 0

    async def one(i: int, due: float) -> None:
        try:
            records = [_handover(first + i * args.batch + j) for j in range(args.batch)]
            sent = time.time()
            response = await _ingest(clients[i % len(clients)], headers, records)
            returned = time.time()
            _landed(response.json(), args.batch)
            timing[i] = (due, sent, returned)
        finally:
            slots.release()

    tasks = []
    start = time.time() + 0.2
    try:
        for i in range(requests):
            due = start + i * interval
            await asyncio.sleep(max(0.0, due - time.time()))
            await slots.acquire()
            late += time.time() - due > interval
            tasks.append(asyncio.create_task(one(i, due)))
        await asyncio.gather(*tasks)
    finally:
        for client in clients:
            await client.aclose()
    return start, max(t[2] for t in timing.values()), late


def run(args: argparse.Namespace) -> None:
    """Set up, send the events, wait for them, report."""
    asyncio.run(_prepare(args.url, args.db))
    if args.poll_seconds is not None:
        os.environ["HUB_WEBHOOK_POLL_SECONDS"] = str(args.poll_seconds)
    poll = Settings().webhook_poll_seconds
    requests = max(1, round(args.rate * args.seconds / args.batch))
    events = requests * args.batch
    warmup = args.batch
    sender, receiver_headers = bearer(args.secret, SENDER), bearer(args.secret, RECEIVER)
    with contextlib.ExitStack() as stack:
        receiver = stack.enter_context(WebhookReceiver())
        hubs = [stack.enter_context(serving_process(args)) for _ in range(args.processes)]
        http = hubs[0][0]
        ports = [h[0].base_url.port for h in hubs]
        for lo in range(0, warmup + events, 500):  # one case per event
            hi = min(lo + 500, warmup + events)
            _landed(_ingest(http, sender, [_intake(n) for n in range(lo, hi)]).json(), hi - lo)
        made = http.post("/graphql", headers=receiver_headers,
                         json={"query": REGISTER, "variables": {"input": {"url": receiver.url_for("rsj"),
                                                                           "kinds": ["CASE_HANDED_TO"]}}}).json()
        assert "errors" not in made, made["errors"]
        receiver.secrets["/rsj"] = made["data"]["registerWebhook"]["secret"]
        # warm-up: one request, its events awaited (connections opened, code paths warm)
        _landed(_ingest(http, sender, [_handover(n) for n in range(warmup)]).json(), warmup)
        deadline = time.time() + 30
        while receiver.received("/rsj", [event_key(n) for n in range(warmup)]) < warmup and time.time() < deadline:
            time.sleep(0.05)
        assert receiver.received("/rsj", [event_key(n) for n in range(warmup)]) == warmup, "the warm-up was not delivered"

        timing: dict[int, tuple[float, float, float]] = {}
        start, end, late = asyncio.run(_send_all(args, ports, sender, warmup, timing))
        keys = [event_key(warmup + n) for n in range(events)]
        deadline = end + args.wait
        while receiver.received("/rsj", keys) < events and time.time() < deadline:
            time.sleep(0.1)
        waited = time.time() - end
        time.sleep(0.5)  # a duplicate on its way
        with receiver.lock:
            receipts = {k.removeprefix("/rsj "): list(v) for k, v in receiver.receipts.items()}
            bad, retries = receiver.bad_signatures, receiver.retries

    with MongoClient(args.url, tz_aware=True, tzinfo=timezone.utc) as client:
        database = client[args.db]
        log = {d["event_key"]: d for d in database["webhook_deliveries"].find(
            {}, {"event_key": 1, "created_at": 1, "status": 1, "attempts": 1})}
        # what the dispatcher's two reads cost the store now that the collections hold the run
        now = datetime.now(timezone.utc)
        claim = median_time(lambda: database["webhook_deliveries"].find_one(
            {"status": "PENDING", "next_attempt_at": {"$lte": now}, "lease_until": {"$lte": now}},
            sort=[("next_attempt_at", 1)]))
        position = database["outbox_cursors"].find_one({"_id": "webhooks"})["seq"]
        read = median_time(lambda: list(database["outbox"].find({"seq": {"$gt": position}}).sort("seq", 1).limit(500)))
        sizes = database["webhook_deliveries"].estimated_document_count(), database["outbox"].estimated_document_count()

    after_return, after_send, fan_out, send = [], [], [], []
    by_tenth: dict[int, list[float]] = defaultdict(list)
    for i, (due, sent, returned) in sorted(timing.items()):
        for j in range(args.batch):
            key = event_key(warmup + i * args.batch + j)
            if key not in receipts:
                continue
            got = min(receipts[key])
            after_return.append(got - returned)
            after_send.append(got - sent)
            by_tenth[min(9, int(10 * (due - start) / args.seconds))].append(got - returned)
            if key in log:
                created = log[key]["created_at"].timestamp()
                fan_out.append(created - returned)
                send.append(got - created)
    received = sum(1 for k in keys if k in receipts)
    duplicates = sum(len(receipts[k]) - 1 for k in keys if k in receipts)
    durations = [t[2] - t[1] for t in timing.values()]

    print(f"hub processes={args.processes} HUB_WEBHOOK_POLL_SECONDS={poll:g} "
          f"HUB_WATCH_POLL_SECONDS={os.environ.get('HUB_WATCH_POLL_SECONDS', 'default')} rate={args.rate:g}/s "
          f"seconds={args.seconds:g} batch={args.batch} senders={args.senders}")
    print(f"sent {events} events in {requests} requests; achieved {events / (end - start):.1f} events/s "
          f"(first due to last returned, {end - start:.1f} s); {late} requests started more than one interval late")
    print(f"ingest request (sent → returned): {_stats(durations)}")
    print(f"received {received} of {events} (waited {waited:.1f} s after the last request), duplicates {duplicates}, "
          f"bad signatures {bad}, retried attempts {retries}")
    print(f"latency after the request returned (committed): {_stats(after_return)}")
    print(f"latency after the request was sent:             {_stats(after_send)}")
    print("p50 after return per tenth of the run (ms): "
          + " ".join(f"{statistics.median(by_tenth[t]) * 1000:.0f}" if by_tenth[t] else "-" for t in range(10)))
    print(f"where it goes: returned → delivery created (fan-out) {_stats(fan_out)}")
    print(f"               delivery created → received (claim, sign, POST) {_stats(send)}")
    print(f"the store afterwards ({sizes[0]} deliveries, {sizes[1]} outbox events): a claim's query (nothing due) "
          f"{claim * 1000:.1f} ms, the outbox read after the cursor {read * 1000:.1f} ms (medians of 9)")
    print("(the delivery log's created_at is the hub's clock at millisecond precision; negative fan-out times "
          "mean the delivery was created before the ingest request's answer reached the bench)")


def main() -> None:
    """Command-line entry."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=100.0, help="events per second (default 100)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to produce them (default 60)")
    parser.add_argument("--batch", type=int, default=10, help="HANDOVER records (events) per request (default 10)")
    parser.add_argument("--senders", type=int, default=4, help="concurrent requests at most (default 4)")
    parser.add_argument("--processes", type=int, default=1, choices=(1, 2),
                        help="`hub serve` processes on the one store, requests alternating (default 1)")
    parser.add_argument("--poll-seconds", type=float, default=None,
                        help="HUB_WEBHOOK_POLL_SECONDS for the hub (default: the hub's default, 1 s)")
    parser.add_argument("--wait", type=float, default=30.0,
                        help="seconds to wait for stragglers after the last request returned (default 30)")
    parser.add_argument("--url", default=None, help="a server to use instead of a fresh local store (it is reset)")
    parser.add_argument("--db", default="bench_webhooks")
    args = parser.parse_args()
    args.secret = "bench-secret-of-at-least-thirty-two-bytes"
    run_on_store(args, run)


if __name__ == "__main__":
    main()
