"""Key rotation's costs: loading and looking up with a ring of two keys against one, and the re-keying rate.

    .venv/bin/python -m bench.rekey [--scale 1000] [--repeats 3] [--lookups 300] [--url URL --db DB]

Without `--url`, starts a fresh local store (memory backend) and removes it afterwards. Each repeat:

1. loads the demo data set (`--scale` cases, through ingestion) into an emptied database with the one key of
   `HUB_SECRET_KEY` (k0), then, into another emptied database, with a ring rotated before the load (k1
   current, k0 still searched): each party is hashed under both keys and both hashes are read;
2. in the first database, `--lookups` person look-ups by ID number with the one-key ring, then rotates and
   makes the same look-ups with the two-key ring before any re-keying (the Persons found by k0's hashes);
3. re-keys the first database to the end (`hub keys rekey`'s work) and reports persons per second.

Prints each figure's median over the repeats, and the two-key/one-key ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import timedelta

from bench.common import run_on_store
from hub.config import Settings
from hub.keys import rekey
from hub.keys import service as keys_service
from hub.keys.ring import KeyRing
from hub.people import lookup
from hub.store import service as store_service
from seeds import loader

SECRET = "bench-secret-of-at-least-thirty-two-bytes"


async def _load(database: object, ring: KeyRing, scale: int) -> float:
    started = time.perf_counter()
    await loader.load(keys=ring, scale=scale)
    return time.perf_counter() - started


async def _lookups(ring: KeyRing, numbers: list[str]) -> float:
    """The median seconds of one look-up by ID number."""
    took = []
    for number in numbers:
        started = time.perf_counter()
        found = await lookup.lookup(keys=ring, id_number=number)
        took.append(time.perf_counter() - started)
        assert found.persons, "a look-up found no one"
    return statistics.median(took)


async def repeat(args: argparse.Namespace, figures: dict[str, list[float]]) -> None:
    async with store_service.connected(settings=Settings(mongodb_url=args.url, db=args.db + "_2keys"),
                                       bind_models=False) as two:
        await store_service.reset(database=two)
        await keys_service.rotate(database=two, master=SECRET, activate_in=timedelta(0), by="bench")
        figures["load, 2 keys (s)"].append(await _load(two, await KeyRing.load(database=two, master=SECRET),
                                                       args.scale))
    async with store_service.connected(settings=Settings(mongodb_url=args.url, db=args.db),
                                       bind_models=False) as one:
        await store_service.reset(database=one)
        ring = KeyRing(SECRET)
        figures["load, 1 key (s)"].append(await _load(one, ring, args.scale))
        people = await one.people.find({"identity_key": {"$regex": "^id:"}, "id_encrypted": {"$ne": None}},
                                       {"id_encrypted": 1}).limit(args.lookups).to_list()
        numbers = [ring.decrypt(p["id_encrypted"]) for p in people]
        figures["look-up, 1 key (ms)"].append(await _lookups(ring, numbers) * 1000)
        await keys_service.rotate(database=one, master=SECRET, activate_in=timedelta(0), by="bench")
        rotated = await KeyRing.load(database=one, master=SECRET)
        figures["look-up, 2 keys, before re-keying (ms)"].append(await _lookups(rotated, numbers) * 1000)
        persons = await one.people.count_documents({})
        started = time.perf_counter()
        done = await rekey.rekey_all(ring=rotated)
        seconds = time.perf_counter() - started
        assert done.persons == persons and not done.unreadable, done
        figures["re-key (persons/s)"].append(persons / seconds)
        figures["persons"].append(persons)
        figures["look-up, 2 keys, after re-keying (ms)"].append(await _lookups(rotated, numbers) * 1000)


async def run(args: argparse.Namespace) -> None:
    figures: dict[str, list[float]] = {k: [] for k in (
        "load, 1 key (s)", "load, 2 keys (s)", "look-up, 1 key (ms)", "look-up, 2 keys, before re-keying (ms)",
        "look-up, 2 keys, after re-keying (ms)", "re-key (persons/s)", "persons")}
    for n in range(args.repeats):
        await repeat(args, figures)
        print(f"repeat {n + 1}: " + ", ".join(f"{k} {v[-1]:.2f}" for k, v in figures.items()), flush=True)
    median = {k: statistics.median(v) for k, v in figures.items()}
    print(f"\nmedians of {args.repeats} repeats, {args.scale} cases, {median['persons']:.0f} persons:")
    for key, value in median.items():
        print(f"  {key}: {value:.2f}")
    print(f"  load, 2 keys / 1 key: {median['load, 2 keys (s)'] / median['load, 1 key (s)']:.2f}x")
    print(f"  look-up before re-keying, 2 keys / 1 key: "
          f"{median['look-up, 2 keys, before re-keying (ms)'] / median['look-up, 1 key (ms)']:.2f}x")


def main() -> None:
    """Parse the arguments and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--lookups", type=int, default=300)
    parser.add_argument("--url", default=None, help="a MongoDB server; default: a fresh local store")
    parser.add_argument("--db", default="bench_rekey")
    args = parser.parse_args()
    run_on_store(args, lambda a: asyncio.run(run(a)))


if __name__ == "__main__":
    main()
