"""Ingestion throughput: generated records in batches of 500 into a fresh local store.

    .venv/bin/python -m bench.ingest [--records 50000] [--batch-size 500] [--url URL]

Prints records per second (overall and for the last tenth, to show any slow-down as the
collections grow) and the peak resident memory of this process.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time

from bench.common import bench_database
from hub.ingest import service as ingest_service
from hub.ingest.service import RecordStatus
from hub.people.crypto import PersonalDataKeys
from seeds import generator, loader


async def run(records: int, batch_size: int, url: str | None) -> None:
    """Ingest `records` generated records and report the rate."""
    keys = PersonalDataKeys("bench-secret")
    async with bench_database(url, "bench_ingest") as (_, database):
        await loader.load_reference_data()
        done = rejected = 0
        marks: list[tuple[int, float]] = []
        start = time.perf_counter()
        scale = max(1, records // 6)  # about 6.7 records per generated case
        for batch in generator.iter_batches(scale=scale * 2, batch_size=batch_size):
            batch["records"] = batch["records"][: records - done]
            outcome = await ingest_service.ingest(batch=batch, keys=keys)
            done += len(outcome.results)
            rejected += outcome.count(RecordStatus.REJECTED)
            marks.append((done, time.perf_counter() - start))
            if done >= records:
                break
        elapsed = time.perf_counter() - start
        tail_from = next((m for m in marks if m[0] >= done * 0.9), marks[0])
        tail_rate = (done - tail_from[0]) / max(elapsed - tail_from[1], 1e-9)
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"records={done} rejected={rejected} batches={len(marks)} batch_size={batch_size}")
        print(f"elapsed {elapsed:.1f} s, {done / elapsed:.0f} records/s overall, "
              f"{tail_rate:.0f} records/s over the last tenth")
        print(f"cases={await database.cases.estimated_document_count()} "
              f"people={await database.people.estimated_document_count()}")
        print(f"peak RSS of the hub process {peak_mib:.0f} MiB")


def main() -> None:
    """Command-line entry."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--url", default=None, help="benchmark this server instead of a fresh local store")
    args = parser.parse_args()
    asyncio.run(run(args.records, args.batch_size, args.url))


if __name__ == "__main__":
    main()
