"""Ingestion throughput through `ingestRecords`, against `hub serve` as a process.

    .venv/bin/python -m bench.ingest [--records 50000] [--batch-size 500] [--webhooks N] [--url URL --db DB]

Without `--url`, starts a fresh local store (memory backend, `HUB_STORE_HEAP`, default 2g) and
removes it afterwards. Loads the demo district's reference data, starts `hub serve` against it,
and posts the demo generator's batches as `ingestRecords` mutations, each with a token of the
batch's agency, one after another. Prints records per second overall and over the first and the
last tenth (a slow-down as the collections grow shows there), and the peak RSS of the hub process.

`--webhooks N` (0-10, default 0): before the batches, every agency of the district registers N
webhooks (every kind of event) to a receiver in this process (127.0.0.1, answers 204), so the
dispatcher of `hub serve` fans each event out N times to each agency it concerns and sends the
deliveries while the batches land. Prints the deliveries created and delivered by the end of the
batches, and how long after it the last one arrived (at most 60 s are waited).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from collections import Counter

import httpx
from pymongo import MongoClient

from bench.common import WebhookReceiver, bearer, peak_rss_mib, run_on_store, serving_process
from hub.config import Settings
from hub.store import service as store_service
from seeds import generator, loader

INGEST = """mutation($input: IngestBatchInput!) { ingestRecords(input: $input) {
  created updated unchanged rejected results { errors { code } } } }"""
REGISTER = """mutation($input: RegisterWebhookInput!) { registerWebhook(input: $input) { secret } }"""


async def _prepare(url: str, db: str) -> None:
    """A fresh database with the demo district's regions, agencies and mediators."""
    settings = Settings(mongodb_url=url, db=db)
    async with store_service.connected(settings=settings, bind_models=False) as database:
        await store_service.reset(database=database)  # drops it and binds the models
        await loader.load_reference_data()


def run(args: argparse.Namespace) -> None:
    """Post `args.records` generated records and report the rates."""
    asyncio.run(_prepare(args.url, args.db))
    tokens: dict[str, dict[str, str]] = {}
    done = rejected = 0
    reasons: Counter[str] = Counter()
    marks: list[tuple[int, float]] = []
    with contextlib.ExitStack() as stack:
        receiver = stack.enter_context(WebhookReceiver())
        http, server = stack.enter_context(serving_process(args))
        hooks = _register(http, receiver, args) if args.webhooks else 0
        start = time.perf_counter()
        for batch in generator.iter_batches(scale=args.records, batch_size=args.batch_size):
            batch["records"] = batch["records"][: args.records - done]
            headers = tokens.setdefault(batch["agency"], bearer(args.secret, batch["agency"]))
            body = http.post("/graphql", headers=headers, json={"query": INGEST, "variables": {"input": batch}}).json()
            assert "errors" not in body, body["errors"]
            result = body["data"]["ingestRecords"]
            done += len(batch["records"])
            rejected += result["rejected"]
            reasons.update(e["code"] for r in result["results"] for e in r["errors"])
            marks.append((done, time.perf_counter() - start))
            if done >= args.records:
                break
        elapsed = time.perf_counter() - start
        if hooks:
            created, delivered = _deliveries(args)
            with MongoClient(args.url) as client:  # why the ones still pending are (a retry's last error)
                errors = Counter(d.get("last_error") or "not yet attempted" for d in client[args.db][
                    "webhook_deliveries"].find({"status": {"$ne": "DELIVERED"}}, {"last_error": 1}))
            drained = time.perf_counter()
            while (final := _deliveries(args))[1] < final[0] and time.perf_counter() - drained < 60:
                time.sleep(0.2)
            drained = time.perf_counter() - drained
        peak = peak_rss_mib(server.pid)

    def rate(lo: float, hi: float) -> float:
        first = next(m for m in [(0, 0.0), *marks] if m[0] >= done * lo)
        last = next(m for m in marks if m[0] >= done * hi)
        return (last[0] - first[0]) / max(last[1] - first[1], 1e-9)

    print(f"records={done} rejected={rejected} batches={len(marks)} batch_size={args.batch_size}")
    if reasons:
        print("rejections by code:", ", ".join(f"{code} {n}" for code, n in reasons.most_common()))
    print(f"landed {done - rejected} records, {(done - rejected) / elapsed:.0f} landed records/s")
    print(f"elapsed {elapsed:.1f} s, {done / elapsed:.0f} records/s overall, {rate(0, 0.1):.0f} over the first "
          f"tenth, {rate(0.9, 1.0):.0f} over the last tenth")
    print(f"peak RSS of `hub serve`: {peak:.0f} MiB")
    if hooks:
        print(f"webhooks={hooks} ({args.webhooks} per agency): at the end of the batches {created} deliveries created, "
              f"{delivered} delivered; {final[1]} of {final[0]} delivered {drained:.1f} s later; receiver got "
              f"{receiver.requests} requests, {receiver.bad_signatures} bad signatures, {receiver.retries} retries")
        if errors:
            print("not delivered at the end of the batches:", ", ".join(f"{e} {n}" for e, n in errors.most_common()))


def _register(http: httpx.Client, receiver: WebhookReceiver, args: argparse.Namespace) -> int:
    """N webhooks of every agency of the district, to the receiver; returns how many."""
    _, agencies, _ = generator.reference_data()
    for agency in agencies:
        headers = bearer(args.secret, agency.code)
        for i in range(args.webhooks):
            path = f"{agency.code}/{i}"
            body = http.post("/graphql", headers=headers, json={"query": REGISTER, "variables": {
                "input": {"url": receiver.url_for(path)}}}).json()
            assert "errors" not in body, body["errors"]
            receiver.secrets[f"/{path}"] = body["data"]["registerWebhook"]["secret"]
    return len(agencies) * args.webhooks


def _deliveries(args: argparse.Namespace) -> tuple[int, int]:
    """(created, delivered) in the delivery log."""
    with MongoClient(args.url) as client:
        log = client[args.db]["webhook_deliveries"]
        return log.count_documents({}), log.count_documents({"status": "DELIVERED"})


def main() -> None:
    """Command-line entry."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--webhooks", type=int, default=0, choices=range(11), metavar="N",
                        help="webhooks registered by every agency, to a local receiver (0-10, default 0)")
    parser.add_argument("--url", default=None, help="a server to benchmark instead of a fresh local store")
    parser.add_argument("--db", default="bench_ingest")
    args = parser.parse_args()
    args.secret = "bench-secret-of-at-least-thirty-two-bytes"
    run_on_store(args, run)


if __name__ == "__main__":
    main()
