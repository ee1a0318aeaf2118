"""Ingestion throughput through `ingestRecords`, against `hub serve` as a process.

    .venv/bin/python -m bench.ingest [--records 50000] [--batch-size 500] [--url URL --db DB]

Without `--url`, starts a fresh local store (memory backend, `HUB_STORE_HEAP`, default 2g) and
removes it afterwards. Loads the demo district's reference data, starts `hub serve` against it,
and posts the demo generator's batches as `ingestRecords` mutations, each with a token of the
batch's agency, one after another. Prints records per second overall and over the first and the
last tenth (a slow-down as the collections grow shows there), and the peak RSS of the hub process.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.common import bearer, free_port, peak_rss_mib, serving_process
from hub.config import Settings
from hub.store import local as local_store
from hub.store import service as store_service
from seeds import generator, loader

INGEST = """mutation($input: IngestBatchInput!) { ingestRecords(input: $input) {
  created updated unchanged rejected results { errors { code } } } }"""


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
    with serving_process(args) as (http, server):
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


def main() -> None:
    """Command-line entry."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--url", default=None, help="a server to benchmark instead of a fresh local store")
    parser.add_argument("--db", default="bench_ingest")
    args = parser.parse_args()
    args.secret = "bench-secret-of-at-least-thirty-two-bytes"
    if args.url:
        run(args)
        return
    with tempfile.TemporaryDirectory(prefix="hub-bench-") as tmp:
        store = Settings(data_dir=Path(tmp), store_port=free_port(), store_backend="memory")  # HUB_STORE_HEAP applies
        args.url = local_store.start(store).url
        try:
            run(args)
        finally:
            local_store.stop(store)


if __name__ == "__main__":
    main()
