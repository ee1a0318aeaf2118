"""The change log's costs: loading with and without it, and reading it back (`hub export`, `changes` pages).

    .venv/bin/python -m bench.changes [--scale 1000] [--repeats 5] [--warmup 1] [--url URL --db DB]

Without `--url`, starts a fresh local store (memory backend) and removes it afterwards. After a warm-up load,
each repeat:

1. loads the demo data set (`--scale` cases, through ingestion) into an emptied database with the change log
   as the hub writes it, and into another emptied database with the log's two writers turned into no-ops
   (the hub as it was before the log), the two in turn first: the ratio is what the log costs ingestion;
2. exports the whole log (`hub export`'s work) as JSON Lines and as the provincial ledger workbook: entries
   per second;
3. reads it through `changes`' service as the district's coordination centre would, 500 entries a page:
   the median page time.

Prints each figure's median over the repeats, the entries per case and the log's size against the records'.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pymongo.errors import OperationFailure

from bench.common import run_on_store
from hub.changes import export as exporter, ledger, log as change_log, service
from hub.config import Settings
from hub.keys.ring import KeyRing
from hub.store import service as store_service
from seeds import loader

SECRET = "bench-secret-of-at-least-thirty-two-bytes"


@contextmanager
def without_log() -> Iterator[None]:
    """The hub's writers of the change log, made no-ops for one load (the module attributes they call)."""
    kept = change_log.log_records, change_log.log_cases

    async def nothing(ids: Any) -> int:
        return 0

    change_log.log_records = change_log.log_cases = nothing  # type: ignore[assignment]
    try:
        yield
    finally:
        change_log.log_records, change_log.log_cases = kept


async def _load(scale: int) -> float:
    started = time.perf_counter()
    await loader.load(keys=KeyRing(SECRET), scale=scale)
    return time.perf_counter() - started


async def _load_without(args: argparse.Namespace) -> float:
    async with store_service.connected(settings=Settings(mongodb_url=args.url, db=args.db + "_nolog")) as bare:
        await store_service.reset(database=bare)
        with without_log():
            return await _load(args.scale)


async def repeat(args: argparse.Namespace, figures: dict[str, list[float]], n: int) -> None:
    if n % 2 == 0:  # the two loads in turn first, so that neither always meets a warmer store
        figures["load without the log (s)"].append(await _load_without(args))
    async with store_service.connected(settings=Settings(mongodb_url=args.url, db=args.db)) as database:
        await store_service.reset(database=database)
        figures["load with the log (s)"].append(await _load(args.scale))
        entries = await database.changes.count_documents({"entity": {"$ne": "VOID"}})
        cases = await database.cases.count_documents({})
        figures["entries per case"].append(entries / cases)
        try:
            sizes = {name: (await database.command("collStats", name)).get("size") or 0
                     for name in ("changes", "records")}
        except OperationFailure:  # a server without collStats: the ratio is left out
            sizes = {}
        if sizes.get("records"):
            figures["log size / records size"].append(sizes["changes"] / sizes["records"])
        mapping = ledger.load()
        with tempfile.TemporaryDirectory() as scratch:
            for form in (exporter.Format.JSONL, exporter.Format.XLSX):
                started = time.perf_counter()
                done = await exporter.run(out=Path(scratch) / f"all.{form}", form=form, since=0, until=None,
                                          gap_seconds=30, mapping=mapping)
                figures[f"export {form} (entries/s)"].append(done.entries / (time.perf_counter() - started))
        took, after = [], 0
        while True:
            started = time.perf_counter()
            page = await service.page(after=after, first=500, gap_seconds=30, visible=lambda entry, access: True)
            took.append(time.perf_counter() - started)
            after = page.position
            if not page.more:
                break
        figures["changes page of 500 (ms)"].append(statistics.median(took) * 1000)
    if n % 2 == 1:  # after: connecting binds the models to that database
        figures["load without the log (s)"].append(await _load_without(args))


async def run(args: argparse.Namespace) -> None:
    figures: dict[str, list[float]] = {k: [] for k in (
        "load without the log (s)", "load with the log (s)", "entries per case", "log size / records size",
        "export jsonl (entries/s)", "export xlsx (entries/s)", "changes page of 500 (ms)")}
    if args.warmup:  # the store's JIT and the process's imports: the first load is slower, whichever it is
        await _load_without(args)
    for n in range(args.repeats):
        await repeat(args, figures, n)
        print(f"repeat {n + 1}: " + ", ".join(f"{k} {v[-1]:.2f}" for k, v in figures.items() if v), flush=True)
    median = {k: statistics.median(v) for k, v in figures.items() if v}
    print(f"\nmedians of {args.repeats} repeats, {args.scale} cases:")
    for key, value in median.items():
        print(f"  {key}: {value:.2f}")
    ratios = [w / wo for w, wo in zip(figures["load with the log (s)"], figures["load without the log (s)"])]
    print(f"  load with / without the log, median of each repeat's ratio: {statistics.median(ratios):.2f}x "
          f"({', '.join(f'{r:.2f}' for r in ratios)})")


def main() -> None:
    """Parse the arguments and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1, help="loads made and not counted first (0: none)")
    parser.add_argument("--url", default=None, help="a MongoDB server; default: a fresh local store")
    parser.add_argument("--db", default="bench_changes")
    args = parser.parse_args()
    run_on_store(args, lambda a: asyncio.run(run(a)))


if __name__ == "__main__":
    main()
