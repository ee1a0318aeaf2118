"""Audit appends per second, before and after the chain; sealing and verifying rates.

    .venv/bin/python -m bench.audit_chain [--appends 2000] [--repeats 5] [--writers 16] [--url URL --db DB]

Without `--url`, starts a fresh local store (memory backend) and removes it afterwards. Each repeat appends
`--appends` entries to an emptied `audit` collection, in this process, through the service:

- **before**: the append as it was before the chain: one `insert_one` of the entry;
- **after**: `hub.audit.service.append`: a number from one `$inc`, two HMACs, one `insert_one`;

each by one writer (one append after another: the latency a request pays) and by `--writers` concurrent
writers (asyncio tasks: the throughput of a busy process). Then one `hub audit seal` round over the entries
of the last repeat, and one `hub audit verify`. Prints medians over the repeats.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

from bench.common import run_on_store
from hub.audit import chain
from hub.audit import service as audit_service
from hub.audit import verify as audit_verify
from hub.audit.models import AuditEntry, AuditSeal, Outcome
from hub.auth.policy import Principal
from hub.cases.models import CaseCounter
from hub.config import Settings
from hub.store import service as store_service
from hub.store.service import store_now

KEY = chain.key_for("bench-secret-of-at-least-thirty-two-bytes")


def principal() -> Principal:
    """A coordination centre's user, as the middleware makes one."""
    return Principal(agency_code="QH-CC", agency_kind="COORDINATION_CENTRE", region_path=("510199",),  # type: ignore[arg-type]
                     user="benchmark", roles=frozenset())


async def before(who: Principal) -> None:
    """The append before the chain (hub/audit/service.py at the commit before it)."""
    entry = AuditEntry(at=store_now(), agency_code=who.agency_code, region_path=list(who.region_path), user=who.user,
                       operation="case", target_ids=["JF2026000001"], outcome=Outcome.OK)
    await AuditEntry.get_pymongo_collection().insert_one(entry.model_dump(exclude={"id", "revision_id"}))


async def after(who: Principal) -> None:
    """The append with the chain."""
    await audit_service.append(principal=who, operation="case", targets=["JF2026000001"], outcome=Outcome.OK, key=KEY)


async def rate(append: Callable[[Principal], Awaitable[None]], *, appends: int, writers: int) -> float:
    """Appends per second into an emptied trail, by `writers` concurrent writers."""
    await AuditEntry.get_pymongo_collection().delete_many({"at": {"$gte": store_now().replace(year=2000)}})
    await AuditSeal.get_pymongo_collection().delete_many({"_id": {"$gte": 0}})
    await CaseCounter.get_pymongo_collection().delete_many({"name": chain.SEQ_COUNTER})
    who = principal()

    async def writer(n: int) -> None:
        for _ in range(n):
            await append(who)

    shares = [appends // writers + (i < appends % writers) for i in range(writers)]
    start = time.perf_counter()
    await asyncio.gather(*(writer(n) for n in shares))
    return appends / (time.perf_counter() - start)


async def run(args: argparse.Namespace) -> None:
    async with store_service.connected(settings=Settings(mongodb_url=args.url, db=args.db), bind_models=False) as db:
        await store_service.reset(database=db)
        await rate(after, appends=200, writers=4)  # warm-up: connections, the JIT of the store's JVM
        await rate(before, appends=200, writers=4)
        figures: dict[str, list[float]] = {}
        for _ in range(args.repeats):
            for name, append in (("before", before), ("after", after)):
                for writers in (1, args.writers):
                    figures.setdefault(f"{name}, {writers} writer(s)", []).append(
                        await rate(append, appends=args.appends, writers=writers))
        for name, samples in figures.items():
            median = statistics.median(samples)
            print(f"{name:>24}: {median:8.0f} appends/s ({1000 / median:.2f} ms each)  "
                  f"[{', '.join(f'{s:.0f}' for s in samples)}]")
        for writers in (1, args.writers):
            ratio = statistics.median(figures[f"after, {writers} writer(s)"]) / statistics.median(
                figures[f"before, {writers} writer(s)"])
            print(f"after / before, {writers} writer(s): {ratio:.2f}x")
        start = time.perf_counter()
        sealed = await chain.seal(key=KEY, gap_seconds=0)
        sealing = time.perf_counter() - start
        start = time.perf_counter()
        found = await audit_verify.verify(key=KEY)
        verifying = time.perf_counter() - start
        assert found.intact and sealed.entries == found.entries, found.describe()
        print(f"seal: {sealed.entries} entries in {sealing:.2f} s ({sealed.entries / sealing:.0f}/s, "
              f"{sealed.checkpoints} checkpoints); verify: {found.entries} in {verifying:.2f} s "
              f"({found.entries / verifying:.0f}/s)")


def main() -> None:
    """Command-line entry."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--appends", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--url", default=None, help="a MongoDB server; default: a fresh local store")
    parser.add_argument("--db", default="bench_audit")
    args = parser.parse_args()
    run_on_store(args, lambda a: asyncio.run(run(a)))


if __name__ == "__main__":
    main()
